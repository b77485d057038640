/* rb_gmm.h - per-modality Gaussian mixture models of clean snippet features (RobustA dynamic
 * weighting, design.md section 4): EM fit with k-means++ seeding, and per-row negative
 * log-likelihood scoring. Diagonal covariances (default) or full covariances (Cholesky).
 *
 * Log densities are evaluated in GEMM form (docs/gmm-weights.md):
 *   diag:  log N(x|mu,diag s2) = -0.5 [ sum x^2/s2 - 2 x.(mu/s2) + sum mu^2/s2 + sum log s2 + d log 2pi ]
 *          -> one dgemm of the row block [x^2 | x] (rows x 2d) against [-0.5/s2 ; mu/s2] (2d x k);
 *   full:  -0.5 [ |L^-1 (x - mu)|^2 + 2 sum log L_ii + d log 2pi ], Sigma = L L^T -> one dtrsm per
 *          component and row block.
 * Features arrive as float32 rows with a row stride (so visual rows with a crop axis can be passed);
 * everything after the load is double. Rows are shifted by a centre c (the data mean at fit time,
 * sum_j w_j mu_j when scoring) before the GEMM, which removes most of the cancellation of the
 * expanded quadratic form without changing the result mathematically.
 *
 * The model is plain arrays (weights, means, cov) so it can be stored in HDF5 and loaded back with
 * rb_gmm_alloc + rb_gmm_validate. */
#ifndef RB_GMM_H
#define RB_GMM_H

#include <stdint.h>

enum { RB_GMM_DIAG = 0, RB_GMM_FULL = 1 };

typedef struct {
    int k;                /* components, >= 1 (default 8); fewer fit rows than k is an error */
    int covariance;       /* RB_GMM_DIAG (default) or RB_GMM_FULL */
    int max_iter;         /* maximum number of EM M-steps, >= 0 (default 100) */
    double tol;           /* stop when the mean log-likelihood per row improves by < tol (default 1e-3) */
    double var_floor_rel; /* variance floor per dimension: var_floor_rel * (data variance of the */
    double var_floor_abs; /*   dimension) + var_floor_abs; rel >= 0 (default 1e-3), abs > 0 (1e-6) */
    int kmeans_iter;      /* Lloyd iterations after k-means++ seeding, >= 0 (default 10) */
    int64_t max_points;   /* fit on a uniform subsample of at most this many rows; 0 = all (default 0) */
    uint32_t seed;        /* run seed: RB_PURPOSE_GMM_SUBSAMPLE and RB_PURPOSE_GMM_INIT streams */
    uint32_t stream_id;   /* distinguishes fits under one seed (e.g. 0 visual, 1 audio; default 0) */
} rb_gmm_params;

typedef struct {
    int k, d;
    int full;             /* 0: diagonal covariances, 1: full covariances */
    double *weights;      /* [k] mixing weights, >= 0, sum 1 */
    double *means;        /* [k][d] */
    double *cov;          /* diag: [k][d] variances; full: [k][d][d] symmetric positive definite */
    double *var_floor;    /* [d] floor used by the fit (fit-time information, not needed to score) */
    double mean_loglik;   /* mean log-likelihood per fitted row of the final parameters */
    int iterations;       /* M-steps performed */
    int converged;        /* 1 if the tol criterion stopped EM (0: max_iter reached) */
    int64_t n_fit;        /* rows fitted on (after subsampling) */
    double *loglik_trace; /* [n_trace] mean log-likelihood of the parameters after 0, 1, .. M-steps */
    int n_trace;          /* iterations + 1 (0 for a loaded model without trace) */
} rb_gmm;

void rb_gmm_params_default(rb_gmm_params *p);

/* Fit by EM on n rows x[i*ld .. i*ld+d). rb_gmm_fit_rows fits on the rows listed in rows[0..n)
 * (row indices into x, in that order; the caller guarantees they are in range). g is overwritten and
 * owns its arrays on success (rb_gmm_free); on failure g is left empty. Non-finite input is an error
 * naming the row. Fewer fitted rows than k is an error (no silent reduction of k). */
int rb_gmm_fit(rb_gmm *g, const float *x, int64_t n, int d, int64_t ld, const rb_gmm_params *p);
int rb_gmm_fit_rows(rb_gmm *g, const float *x, int d, int64_t ld, const int64_t *rows, int64_t n,
                    const rb_gmm_params *p);

/* nll[i] = -log sum_j w_j N(x_i | mu_j, Sigma_j) for n rows with stride ld (row width g->d).
 * A visual block [snippets][crops][d] scored with n = snippets*crops, ld = d gives nll[snippet][crop].
 * rb_gmm_nll_rows scores the listed rows, nll[i] for rows[i]. */
int rb_gmm_nll(const rb_gmm *g, const float *x, int64_t n, int64_t ld, double *nll);
int rb_gmm_nll_rows(const rb_gmm *g, const float *x, int64_t ld, const int64_t *rows, int64_t n,
                    double *nll);

/* Allocate the arrays of a k x d model (zeroed; trace empty), e.g. before loading from a file. */
int rb_gmm_alloc(rb_gmm *g, int k, int d, int full);
/* Check a model (loaded or fitted): finite means, weights >= 0 summing to 1 within 1e-9, positive
 * variances (diag) or positive definite symmetric covariances (full). */
int rb_gmm_validate(const rb_gmm *g);
void rb_gmm_free(rb_gmm *g);

/* ---- Building blocks shared by gmm_fit.c and gmm_score.c (and used by the tests) ---------------- */

#define RB_GMM_BLOCK 256 /* rows per GEMM block */

/* Evaluation workspace for one model: GEMM operands derived from (weights, means, cov). */
typedef struct {
    int k, d, full;
    double *center; /* [d] shift applied to every row */
    double *B;      /* diag: [2d][k] = [-0.5/s2 ; mu_c/s2] (mu_c = mu - center) */
    double *konst;  /* [k] log w_j - 0.5 (sum mu_c^2/s2 + sum log s2 + d log 2pi) (diag)
                           log w_j - sum log L_ii - 0.5 d log 2pi (full) */
    double *chol;   /* full: [k][d][d] lower Cholesky factors */
    double *mu_c;   /* full: [k][d] centred means */
    double *A;      /* [RB_GMM_BLOCK][2d] = [xc^2 | xc] of the loaded rows */
    double *Y;      /* full: [RB_GMM_BLOCK][d] workspace */
} rb_gmm_eval;

int rb_gmm_eval_alloc(rb_gmm_eval *e, int k, int d, int full);
/* Derive the operands from g. center NULL: use sum_j w_j mu_j. Fails if a covariance is not PD. */
int rb_gmm_eval_set(rb_gmm_eval *e, const rb_gmm *g, const double *center);
void rb_gmm_eval_free(rb_gmm_eval *e);
/* Load rows (rows <= RB_GMM_BLOCK) into e->A: row r is x + (idx ? idx[first + r] : first + r) * ld.
 * A non-finite value is an error naming the row index and column. */
int rb_gmm_eval_load(rb_gmm_eval *e, const float *x, int64_t ld, const int64_t *idx, int64_t first,
                     int rows);
/* logp[r][j] = log w_j + log N(x_r | j) for the loaded rows. */
void rb_gmm_eval_logp(rb_gmm_eval *e, int rows, double *logp);
/* lse[r] = log sum_j exp(logp[r][j]); with to_resp, logp is replaced by the responsibilities. */
void rb_gmm_logsumexp(double *logp, int rows, int k, double *lse, int to_resp);
/* In-place lower Cholesky factor of a row-major symmetric d x d matrix (upper triangle zeroed).
 * Returns RB_ERR (message set) if the matrix is not positive definite. */
int rb_gmm_cholesky(double *a, int d);

#endif

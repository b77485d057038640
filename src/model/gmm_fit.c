/* gmm_fit.c - fitting a per-modality GMM: optional uniform subsample, data statistics and variance
 * floor, k-means++ seeding with GEMM-form Lloyd iterations, then EM with log-sum-exp
 * responsibilities, sufficient statistics accumulated by dgemm/dsyrk in double (rb_model.h,
 * docs/gmm-weights.md). */
#include "rb_model.h"
#include "rb_core.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A component whose responsibility mass falls below this many rows keeps its previous mean and
 * covariance (its share of the EM objective is negligible); its weight is still mass / n. */
#define RB_GMM_DEAD_MASS 1e-8

void rb_gmm_params_default(rb_gmm_params *p) {
    memset(p, 0, sizeof *p);
    p->k = 8;
    p->covariance = RB_GMM_DIAG;
    p->max_iter = 100;
    p->tol = 1e-3;
    p->var_floor_rel = 1e-3;
    p->var_floor_abs = 1e-6;
    p->kmeans_iter = 10;
    p->max_points = 0;
    p->seed = 0;
    p->stream_id = 0;
}

static int rb_gmm_check_params(const rb_gmm_params *p, int64_t n, int d, int64_t ld) {
    if (d < 1) return rb_fail("expected dimension d >= 1, got %d", d);
    if (ld < d) return rb_fail("row stride %lld smaller than dimension %d", (long long)ld, d);
    if (n < 0) return rb_fail("expected n >= 0 rows, got %lld", (long long)n);
    if (p->k < 1) return rb_fail("expected k >= 1 components, got %d", p->k);
    if (p->covariance != RB_GMM_DIAG && p->covariance != RB_GMM_FULL)
        return rb_fail("covariance: expected diag (0) or full (1), got %d", p->covariance);
    if (p->max_iter < 0) return rb_fail("max_iter: expected >= 0, got %d", p->max_iter);
    if (p->kmeans_iter < 0) return rb_fail("kmeans_iter: expected >= 0, got %d", p->kmeans_iter);
    if (!(p->tol >= 0.0)) return rb_fail("tol: expected >= 0, got %g", p->tol);
    if (!(p->var_floor_rel >= 0.0) || !isfinite(p->var_floor_rel))
        return rb_fail("var_floor_rel: expected finite >= 0, got %g", p->var_floor_rel);
    if (!(p->var_floor_abs > 0.0) || !isfinite(p->var_floor_abs))
        return rb_fail("var_floor_abs: expected finite > 0, got %g", p->var_floor_abs);
    if (p->max_points < 0) return rb_fail("max_points: expected >= 0, got %lld", (long long)p->max_points);
    return RB_OK;
}

/* Row index list of the fit: the caller's rows (or 0..n-1), uniformly subsampled to max_points by
 * selection sampling (Knuth's algorithm S: keeps the original order). *idx NULL means 0..n-1. */
static int rb_gmm_select_rows(const int64_t *rows, int64_t n, const rb_gmm_params *p, int64_t **idx,
                              int64_t *m) {
    *idx = NULL;
    *m = n;
    if (p->max_points == 0 || n <= p->max_points) {
        if (!rows) return RB_OK;
        *idx = rb_malloc(sizeof(int64_t) * (size_t)n, "gmm row list");
        if (!*idx) return RB_ERR;
        memcpy(*idx, rows, sizeof(int64_t) * (size_t)n);
        return RB_OK;
    }
    int64_t want = p->max_points;
    *idx = rb_malloc(sizeof(int64_t) * (size_t)want, "gmm subsample");
    if (!*idx) return RB_ERR;
    rb_rng r;
    rb_rng_init(&r, p->seed, RB_PURPOSE_GMM_SUBSAMPLE, p->stream_id, 0, 0);
    int64_t got = 0;
    for (int64_t i = 0; i < n && got < want; i++) {
        double u = rb_rng_uniform(&r);
        if ((double)(n - i) * u < (double)(want - got)) (*idx)[got++] = rows ? rows[i] : i;
    }
    *m = got; /* == want: algorithm S always fills the sample */
    return RB_OK;
}

static inline const float *rb_row(const float *x, int64_t ld, const int64_t *idx, int64_t i) {
    return x + (size_t)(idx ? idx[i] : i) * (size_t)ld;
}

/* Per-dimension mean and variance (two passes, double), finiteness check naming the row. */
static int rb_gmm_data_stats(const float *x, int64_t ld, const int64_t *idx, int64_t m, int d,
                             double *mean, double *var) {
    for (int t = 0; t < d; t++) mean[t] = var[t] = 0.0;
    for (int64_t i = 0; i < m; i++) {
        const float *xr = rb_row(x, ld, idx, i);
        for (int t = 0; t < d; t++) {
            if (!isfinite(xr[t]))
                return rb_fail("row %lld column %d is not finite (%g)", (long long)(idx ? idx[i] : i), t,
                               (double)xr[t]);
            mean[t] += xr[t];
        }
    }
    for (int t = 0; t < d; t++) mean[t] /= (double)m;
    for (int64_t i = 0; i < m; i++) {
        const float *xr = rb_row(x, ld, idx, i);
        for (int t = 0; t < d; t++) {
            double c = xr[t] - mean[t];
            var[t] += c * c;
        }
    }
    for (int t = 0; t < d; t++) var[t] /= (double)m;
    return RB_OK;
}

static double rb_sq_dist_row(const float *xr, const double *c, int d) {
    double s = 0.0;
    for (int t = 0; t < d; t++) {
        double v = xr[t] - c[t];
        s += v * v;
    }
    return s;
}

/* k-means++ seeding: first centre uniform, each next one with probability proportional to the
 * squared distance to the nearest chosen centre (uniform if every distance is 0). */
static int rb_gmm_kmeanspp(const float *x, int64_t ld, const int64_t *idx, int64_t m, int d, int k,
                           const rb_gmm_params *p, double *centers) {
    if (m > (int64_t)UINT32_MAX) return rb_fail("k-means++: too many rows (%lld)", (long long)m);
    double *d2 = rb_malloc(sizeof(double) * (size_t)m, "k-means++ distances");
    if (!d2) return RB_ERR;
    rb_rng r;
    rb_rng_init(&r, p->seed, RB_PURPOSE_GMM_INIT, p->stream_id, 0, 0);
    int64_t pick = (int64_t)rb_rng_below(&r, (uint32_t)m);
    for (int c = 0; c < k; c++) {
        if (c > 0) {
            double total = 0.0;
            for (int64_t i = 0; i < m; i++) total += d2[i];
            if (total > 0.0) {
                double u = rb_rng_uniform(&r) * total, cum = 0.0;
                pick = -1;
                for (int64_t i = 0; i < m; i++) {
                    if (d2[i] <= 0.0) continue;
                    cum += d2[i];
                    pick = i;
                    if (cum > u) break;
                }
            } else {
                pick = (int64_t)rb_rng_below(&r, (uint32_t)m);
            }
        }
        const float *xr = rb_row(x, ld, idx, pick);
        double *cc = centers + (size_t)c * d;
        for (int t = 0; t < d; t++) cc[t] = xr[t];
        for (int64_t i = 0; i < m; i++) {
            double dd = rb_sq_dist_row(rb_row(x, ld, idx, i), cc, d);
            if (c == 0 || dd < d2[i]) d2[i] = dd;
        }
    }
    free(d2);
    return RB_OK;
}

/* Working state of one fit. */
typedef struct {
    int k, d, full;
    const float *x;
    int64_t ld, m;
    const int64_t *idx;
    double *center;  /* [d] data mean */
    double *S;       /* [k][2d]: sum r [xc^2 | xc] */
    double *N;       /* [k] responsibility mass */
    double *Sfull;   /* full: [k][d][d] sum r xc xc^T (lower) */
    double *logp;    /* [BLOCK][k] */
    double *Z;       /* full: [BLOCK][d] */
    int32_t *label;  /* [m] hard assignments (k-means) */
    rb_gmm_eval e;
} rb_gmm_work;

/* One pass over the rows with the model in w->e: accumulates S, N (and Sfull) with soft
 * (hard = 0) or hard (hard = 1, nearest = max logp) responsibilities; returns the mean
 * log-likelihood in *mean_ll and the number of changed hard labels in *changed. */
static int rb_gmm_pass(rb_gmm_work *w, int hard, double *mean_ll, int64_t *changed) {
    int k = w->k, d = w->d;
    memset(w->S, 0, sizeof(double) * (size_t)k * 2 * d);
    memset(w->N, 0, sizeof(double) * (size_t)k);
    if (w->full && !hard) memset(w->Sfull, 0, sizeof(double) * (size_t)k * d * d);
    double ll = 0.0;
    int64_t nchanged = 0;
    double lse[RB_GMM_BLOCK];
    for (int64_t i0 = 0; i0 < w->m; i0 += RB_GMM_BLOCK) {
        int rows = (int)(w->m - i0 < RB_GMM_BLOCK ? w->m - i0 : RB_GMM_BLOCK);
        RB_TRY(rb_gmm_eval_load(&w->e, w->x, w->ld, w->idx, i0, rows));
        rb_gmm_eval_logp(&w->e, rows, w->logp);
        if (hard) {
            for (int r = 0; r < rows; r++) {
                double *l = w->logp + (size_t)r * k;
                int best = 0;
                for (int j = 1; j < k; j++)
                    if (l[j] > l[best]) best = j;
                for (int j = 0; j < k; j++) l[j] = j == best ? 1.0 : 0.0;
                if (w->label[i0 + r] != best) nchanged++;
                w->label[i0 + r] = best;
            }
        } else {
            rb_gmm_logsumexp(w->logp, rows, k, lse, 1);
            for (int r = 0; r < rows; r++) ll += lse[r];
        }
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < k; j++) w->N[j] += w->logp[(size_t)r * k + j];
        /* S += R^T [xc^2 | xc]  (k x rows) (rows x 2d) */
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, 2 * d, rows, 1.0, w->logp, k, w->e.A,
                    2 * d, 1.0, w->S, 2 * d);
        if (w->full && !hard) {
            for (int j = 0; j < k; j++) {
                for (int r = 0; r < rows; r++) {
                    double s = sqrt(w->logp[(size_t)r * k + j]);
                    const double *xc = w->e.A + (size_t)r * 2 * d + d;
                    double *z = w->Z + (size_t)r * d;
                    for (int t = 0; t < d; t++) z[t] = s * xc[t];
                }
                cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, d, rows, 1.0, w->Z, d, 1.0,
                            w->Sfull + (size_t)j * d * d, d);
            }
        }
    }
    if (mean_ll) *mean_ll = ll / (double)w->m;
    if (changed) *changed = nchanged;
    return RB_OK;
}

/* Make a full covariance positive definite: clamp the diagonal to the floor, then, only if the
 * Cholesky factorisation still fails, add floor * 10^s to the diagonal (s = 0, 1, ...). */
static int rb_gmm_make_pd(double *cov, const double *floor, int d, double *scratch) {
    for (int t = 0; t < d; t++)
        if (!(cov[(size_t)t * d + t] >= floor[t])) cov[(size_t)t * d + t] = floor[t];
    double load = 0.0;
    for (int attempt = 0; attempt < 16; attempt++) {
        memcpy(scratch, cov, sizeof(double) * (size_t)d * d);
        if (rb_gmm_cholesky(scratch, d) == RB_OK) return RB_OK;
        double next = attempt == 0 ? 1.0 : load * 10.0;
        for (int t = 0; t < d; t++) cov[(size_t)t * d + t] += (next - load) * floor[t];
        load = next;
    }
    return rb_fail("covariance not positive definite even after diagonal loading");
}

/* M-step: parameters from the accumulated statistics. var_from_data: components with fewer than 2
 * rows get the data variance (used only at the k-means initialisation). */
static int rb_gmm_mstep(rb_gmm_work *w, rb_gmm *g, const double *data_var, double *scratch) {
    int k = w->k, d = w->d;
    double total = 0.0;
    for (int j = 0; j < k; j++) total += w->N[j];
    for (int j = 0; j < k; j++) {
        double nj = w->N[j];
        g->weights[j] = nj / total;
        if (nj < RB_GMM_DEAD_MASS) continue; /* keep the previous mean and covariance */
        double *mu = g->means + (size_t)j * d;
        const double *s = w->S + (size_t)j * 2 * d;
        if (!w->full || data_var) {
            double *var = w->full ? scratch : g->cov + (size_t)j * d;
            for (int t = 0; t < d; t++) {
                double mc = s[d + t] / nj;
                double v = s[t] / nj - mc * mc;
                if (data_var && nj < 2.0) v = data_var[t];
                var[t] = v >= g->var_floor[t] ? v : g->var_floor[t];
                mu[t] = mc + w->center[t];
            }
            if (w->full) {
                double *c = g->cov + (size_t)j * d * d;
                memset(c, 0, sizeof(double) * (size_t)d * d);
                for (int t = 0; t < d; t++) c[(size_t)t * d + t] = scratch[t];
            }
            continue;
        }
        double *c = g->cov + (size_t)j * d * d;
        const double *sf = w->Sfull + (size_t)j * d * d;
        double *mc = scratch; /* [d], then the Cholesky scratch after it */
        for (int t = 0; t < d; t++) mc[t] = s[d + t] / nj;
        for (int a = 0; a < d; a++)
            for (int b = 0; b <= a; b++) {
                double v = sf[(size_t)a * d + b] / nj - mc[a] * mc[b];
                c[(size_t)a * d + b] = v;
                c[(size_t)b * d + a] = v;
            }
        for (int t = 0; t < d; t++) mu[t] = mc[t] + w->center[t];
        RB_TRY_CTX(rb_gmm_make_pd(c, g->var_floor, d, scratch + d), "component %d", j);
    }
    return RB_OK;
}

static void rb_gmm_work_free(rb_gmm_work *w) {
    free(w->center);
    free(w->S);
    free(w->N);
    free(w->Sfull);
    free(w->logp);
    free(w->Z);
    free(w->label);
    rb_gmm_eval_free(&w->e);
}

static int rb_gmm_fit_impl(rb_gmm *g, rb_gmm_work *w, const float *x, int d, int64_t ld,
                           const int64_t *rows, int64_t n, const rb_gmm_params *p, int64_t **idx_out,
                           double **scratch_out) {
    RB_TRY(rb_gmm_check_params(p, n, d, ld));
    int k = p->k, full = p->covariance == RB_GMM_FULL;
    int64_t m;
    RB_TRY(rb_gmm_select_rows(rows, n, p, idx_out, &m));
    if (m < k)
        return rb_fail("expected at least k = %d rows (one per component), got %lld", k, (long long)m);
    RB_TRY(rb_gmm_alloc(g, k, d, full));
    g->n_fit = m;
    g->loglik_trace = rb_calloc((size_t)p->max_iter + 1, sizeof(double), "gmm log-likelihood trace");
    w->k = k;
    w->d = d;
    w->full = full;
    w->x = x;
    w->ld = ld;
    w->m = m;
    w->idx = *idx_out;
    w->center = rb_calloc((size_t)d, sizeof(double), "gmm data mean");
    w->S = rb_calloc((size_t)k * 2 * d, sizeof(double), "gmm statistics");
    w->N = rb_calloc((size_t)k, sizeof(double), "gmm masses");
    w->logp = rb_calloc((size_t)RB_GMM_BLOCK * k, sizeof(double), "gmm responsibilities");
    w->label = rb_malloc(sizeof(int32_t) * (size_t)m, "k-means labels");
    double *data_var = rb_calloc((size_t)d, sizeof(double), "gmm data variance");
    *scratch_out = rb_calloc((size_t)d * d + 2 * (size_t)d, sizeof(double), "gmm scratch");
    if (full) {
        w->Sfull = rb_calloc((size_t)k * d * d, sizeof(double), "gmm scatter matrices");
        w->Z = rb_calloc((size_t)RB_GMM_BLOCK * d, sizeof(double), "gmm scatter block");
    }
    int rc = RB_OK;
    if (!g->loglik_trace || !w->center || !w->S || !w->N || !w->logp || !w->label || !data_var ||
        !*scratch_out || (full && (!w->Sfull || !w->Z)))
        rc = RB_ERR;
    double *scratch = *scratch_out;
    if (rc == RB_OK) rc = rb_gmm_data_stats(x, ld, w->idx, m, d, w->center, data_var);
    for (int t = 0; rc == RB_OK && t < d; t++) g->var_floor[t] = p->var_floor_rel * data_var[t] + p->var_floor_abs;
    for (int64_t i = 0; rc == RB_OK && i < m; i++) w->label[i] = -1;

    /* k-means: seeding, then Lloyd iterations as hard-assignment passes of a unit-variance,
     * equal-weight diagonal model (argmax log density = nearest centre). */
    rb_gmm km;
    memset(&km, 0, sizeof km);
    if (rc == RB_OK) rc = rb_gmm_alloc(&km, k, d, 0);
    if (rc == RB_OK) rc = rb_gmm_kmeanspp(x, ld, w->idx, m, d, k, p, km.means);
    if (rc == RB_OK) rc = rb_gmm_eval_alloc(&w->e, k, d, 0);
    for (int j = 0; rc == RB_OK && j < k; j++) {
        km.weights[j] = 1.0 / k;
        for (int t = 0; t < d; t++) km.cov[(size_t)j * d + t] = 1.0;
    }
    for (int it = 0; rc == RB_OK; it++) {
        int64_t changed = 0;
        rc = rb_gmm_eval_set(&w->e, &km, w->center);
        if (rc == RB_OK) rc = rb_gmm_pass(w, 1, NULL, &changed);
        if (rc != RB_OK || (it > 0 && changed == 0) || it >= p->kmeans_iter) break;
        for (int j = 0; j < k; j++) {
            if (w->N[j] < 0.5) continue; /* empty cluster keeps its centre */
            for (int t = 0; t < d; t++)
                km.means[(size_t)j * d + t] = w->S[(size_t)j * 2 * d + d + t] / w->N[j] + w->center[t];
        }
    }
    rb_gmm_free(&km);
    rb_gmm_eval_free(&w->e);
    /* Initial GMM from the last assignment: cluster fractions, means and (floored) variances. */
    if (rc == RB_OK) {
        /* An empty cluster keeps the data mean and the (floored) data variance, with weight 0. */
        for (int j = 0; j < k; j++)
            for (int t = 0; t < d; t++) {
                double v = data_var[t] >= g->var_floor[t] ? data_var[t] : g->var_floor[t];
                g->means[(size_t)j * d + t] = w->center[t];
                if (full) g->cov[((size_t)j * d + t) * d + t] = v;
                else g->cov[(size_t)j * d + t] = v;
            }
        rc = rb_gmm_mstep(w, g, data_var, scratch);
    }
    free(data_var);

    /* EM. Trace entry t is the mean log-likelihood of the parameters after t M-steps. */
    if (rc == RB_OK) rc = rb_gmm_eval_alloc(&w->e, k, d, full);
    for (int t = 0; rc == RB_OK; t++) {
        double ll;
        rc = rb_gmm_eval_set(&w->e, g, w->center);
        if (rc == RB_OK) rc = rb_gmm_pass(w, 0, &ll, NULL);
        if (rc != RB_OK) break;
        g->loglik_trace[t] = ll;
        g->n_trace = t + 1;
        g->mean_loglik = ll;
        g->iterations = t;
        if (t > 0 && ll - g->loglik_trace[t - 1] < p->tol) {
            g->converged = 1;
            break;
        }
        if (t >= p->max_iter) break;
        rc = rb_gmm_mstep(w, g, NULL, scratch);
        if (rc != RB_OK) rb_context("EM iteration %d", t + 1);
    }
    return rc;
}

int rb_gmm_fit_rows(rb_gmm *g, const float *x, int d, int64_t ld, const int64_t *rows, int64_t n,
                    const rb_gmm_params *p) {
    memset(g, 0, sizeof *g);
    rb_gmm_work w;
    memset(&w, 0, sizeof w);
    int64_t *idx = NULL;
    double *scratch = NULL;
    int rc = rb_gmm_fit_impl(g, &w, x, d, ld, rows, n, p, &idx, &scratch);
    rb_gmm_work_free(&w);
    free(idx);
    free(scratch);
    if (rc != RB_OK) rb_gmm_free(g);
    if (rc != RB_OK) return rb_context("gmm fit (k=%d, d=%d, %lld rows)", p->k, d, (long long)n);
    return RB_OK;
}

int rb_gmm_fit(rb_gmm *g, const float *x, int64_t n, int d, int64_t ld, const rb_gmm_params *p) {
    return rb_gmm_fit_rows(g, x, d, ld, NULL, n, p);
}

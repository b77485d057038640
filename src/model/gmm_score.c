/* gmm_score.c - the GMM container (alloc, validate, free) and its evaluation in GEMM form:
 * per-component log densities for blocks of rows and the per-row negative log-likelihood (rb_model.h). */
#include "rb_model.h"
#include "rb_core.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RB_LOG_2PI 1.8378770664093454835606594728112

int rb_gmm_alloc(rb_gmm *g, int k, int d, int full) {
    memset(g, 0, sizeof *g);
    if (k < 1 || d < 1) return rb_fail("gmm: expected k >= 1 and d >= 1, got k=%d d=%d", k, d);
    int ok = 1;
    size_t kd = rb_size_mul((size_t)k, (size_t)d, &ok);
    size_t ncov = full ? rb_size_mul(kd, (size_t)d, &ok) : kd;
    if (!ok) return rb_context("gmm: %d components of dimension %d", k, d);
    g->k = k;
    g->d = d;
    g->full = full ? 1 : 0;
    g->weights = rb_calloc((size_t)k, sizeof(double), "gmm weights");
    g->means = rb_calloc(kd, sizeof(double), "gmm means");
    g->cov = rb_calloc(ncov, sizeof(double), "gmm covariances");
    g->var_floor = rb_calloc((size_t)d, sizeof(double), "gmm variance floor");
    if (!g->weights || !g->means || !g->cov || !g->var_floor) {
        rb_gmm_free(g);
        return RB_ERR;
    }
    return RB_OK;
}

void rb_gmm_free(rb_gmm *g) {
    if (!g) return;
    free(g->weights);
    free(g->means);
    free(g->cov);
    free(g->var_floor);
    free(g->loglik_trace);
    memset(g, 0, sizeof *g);
}

int rb_gmm_cholesky(double *a, int d) {
    for (int j = 0; j < d; j++) {
        double *rj = a + (size_t)j * d;
        double s = rj[j];
        for (int p = 0; p < j; p++) s -= rj[p] * rj[p];
        if (!(s > 0.0) || !isfinite(s))
            return rb_fail("cholesky: matrix not positive definite (pivot %d = %.6g)", j, s);
        double ljj = sqrt(s);
        rj[j] = ljj;
        for (int i = j + 1; i < d; i++) {
            double *ri = a + (size_t)i * d;
            double t = ri[j];
            for (int p = 0; p < j; p++) t -= ri[p] * rj[p];
            ri[j] = t / ljj;
        }
        for (int p = j + 1; p < d; p++) rj[p] = 0.0;
    }
    return RB_OK;
}

int rb_gmm_validate(const rb_gmm *g) {
    if (!g || g->k < 1 || g->d < 1 || !g->weights || !g->means || !g->cov)
        return rb_fail("gmm: model not allocated");
    int k = g->k, d = g->d;
    double wsum = 0.0;
    for (int j = 0; j < k; j++) {
        if (!(g->weights[j] >= 0.0) || !isfinite(g->weights[j]))
            return rb_fail("gmm: weight %d: expected finite >= 0, got %g", j, g->weights[j]);
        wsum += g->weights[j];
    }
    if (fabs(wsum - 1.0) > 1e-9) return rb_fail("gmm: weights sum to %.17g, expected 1", wsum);
    for (size_t i = 0; i < (size_t)k * d; i++)
        if (!isfinite(g->means[i]))
            return rb_fail("gmm: mean of component %zu dimension %zu is not finite", i / d, i % d);
    if (!g->full) {
        for (size_t i = 0; i < (size_t)k * d; i++)
            if (!(g->cov[i] > 0.0) || !isfinite(g->cov[i]))
                return rb_fail("gmm: variance of component %zu dimension %zu: expected finite > 0, got %g",
                               i / d, i % d, g->cov[i]);
        return RB_OK;
    }
    double *tmp = rb_malloc(sizeof(double) * (size_t)d * d, "gmm covariance copy");
    if (!tmp) return RB_ERR;
    for (int j = 0; j < k; j++) {
        const double *c = g->cov + (size_t)j * d * d;
        for (int a = 0; a < d; a++)
            for (int b = 0; b < a; b++)
                if (!(fabs(c[a * d + b] - c[b * d + a]) <= 1e-12 * (fabs(c[a * d + b]) + fabs(c[b * d + a])) + 1e-300)) {
                    free(tmp);
                    return rb_fail("gmm: covariance of component %d not symmetric at (%d,%d)", j, a, b);
                }
        memcpy(tmp, c, sizeof(double) * (size_t)d * d);
        if (rb_gmm_cholesky(tmp, d) != RB_OK) {
            free(tmp);
            return rb_context("gmm: covariance of component %d", j);
        }
    }
    free(tmp);
    return RB_OK;
}

int rb_gmm_eval_alloc(rb_gmm_eval *e, int k, int d, int full) {
    memset(e, 0, sizeof *e);
    e->k = k;
    e->d = d;
    e->full = full;
    e->center = rb_calloc((size_t)d, sizeof(double), "gmm centre");
    e->konst = rb_calloc((size_t)k, sizeof(double), "gmm constants");
    e->A = rb_calloc((size_t)RB_GMM_BLOCK * 2 * d, sizeof(double), "gmm row block");
    if (full) {
        e->chol = rb_calloc((size_t)k * d * d, sizeof(double), "gmm Cholesky factors");
        e->mu_c = rb_calloc((size_t)k * d, sizeof(double), "gmm centred means");
        e->Y = rb_calloc((size_t)RB_GMM_BLOCK * d, sizeof(double), "gmm solve block");
    } else {
        e->B = rb_calloc((size_t)2 * d * k, sizeof(double), "gmm GEMM operand");
    }
    if (!e->center || !e->konst || !e->A || (full && (!e->chol || !e->mu_c || !e->Y)) ||
        (!full && !e->B)) {
        rb_gmm_eval_free(e);
        return RB_ERR;
    }
    return RB_OK;
}

void rb_gmm_eval_free(rb_gmm_eval *e) {
    if (!e) return;
    free(e->center);
    free(e->B);
    free(e->konst);
    free(e->chol);
    free(e->mu_c);
    free(e->A);
    free(e->Y);
    memset(e, 0, sizeof *e);
}

int rb_gmm_eval_set(rb_gmm_eval *e, const rb_gmm *g, const double *center) {
    int k = g->k, d = g->d;
    if (e->k != k || e->d != d || e->full != g->full)
        return rb_fail("gmm eval: workspace for k=%d d=%d full=%d, model k=%d d=%d full=%d", e->k, e->d,
                       e->full, k, d, g->full);
    if (center) {
        memcpy(e->center, center, sizeof(double) * (size_t)d);
    } else {
        for (int t = 0; t < d; t++) e->center[t] = 0.0;
        for (int j = 0; j < k; j++)
            for (int t = 0; t < d; t++) e->center[t] += g->weights[j] * g->means[(size_t)j * d + t];
    }
    for (int j = 0; j < k; j++) {
        const double *mu = g->means + (size_t)j * d;
        double logw = g->weights[j] > 0.0 ? log(g->weights[j]) : -INFINITY;
        if (!g->full) {
            const double *s2 = g->cov + (size_t)j * d;
            double quad = 0.0, logdet = 0.0;
            for (int t = 0; t < d; t++) {
                double mc = mu[t] - e->center[t];
                double inv = 1.0 / s2[t];
                e->B[(size_t)t * k + j] = -0.5 * inv;
                e->B[(size_t)(d + t) * k + j] = mc * inv;
                quad += mc * mc * inv;
                logdet += log(s2[t]);
            }
            e->konst[j] = logw - 0.5 * (quad + logdet + d * RB_LOG_2PI);
        } else {
            double *L = e->chol + (size_t)j * d * d;
            memcpy(L, g->cov + (size_t)j * d * d, sizeof(double) * (size_t)d * d);
            RB_TRY_CTX(rb_gmm_cholesky(L, d), "gmm: covariance of component %d", j);
            double half_logdet = 0.0;
            for (int t = 0; t < d; t++) {
                half_logdet += log(L[(size_t)t * d + t]);
                e->mu_c[(size_t)j * d + t] = mu[t] - e->center[t];
            }
            e->konst[j] = logw - half_logdet - 0.5 * d * RB_LOG_2PI;
        }
    }
    return RB_OK;
}

/* One row of the load matrix: a = [c^2 | c], c = x - center, in double. Returns how many of the d
 * values are not finite (counted with integer operations, so the loop vectorises). */
RB_VECTOR_KERNEL static int rb_gmm_load_row(double *restrict a, const float *restrict xr, const double *restrict center,
                                            int d) {
    int bad = 0;
    for (int t = 0; t < d; t++) {
        uint32_t u;
        memcpy(&u, &xr[t], sizeof u);
        bad += (u & 0x7f800000u) == 0x7f800000u; /* exponent all ones: inf or NaN */
        double c = (double)xr[t] - center[t];
        a[t] = c * c;
        a[d + t] = c;
    }
    return bad;
}

int rb_gmm_eval_load(rb_gmm_eval *e, const float *x, int64_t ld, const int64_t *idx, int64_t first,
                     int rows) {
    int d = e->d;
    for (int r = 0; r < rows; r++) {
        int64_t row = idx ? idx[first + r] : first + r;
        const float *xr = x + (size_t)row * (size_t)ld;
        if (rb_gmm_load_row(e->A + (size_t)r * 2 * d, xr, e->center, d) == 0) continue;
        for (int t = 0; t < d; t++) /* name the first value that is not finite */
            if (!isfinite(xr[t])) return rb_fail("row %lld column %d is not finite (%g)", (long long)row, t, (double)xr[t]);
    }
    return RB_OK;
}

void rb_gmm_eval_logp(rb_gmm_eval *e, int rows, double *logp) {
    int k = e->k, d = e->d;
    if (rows <= 0) return;
    if (!e->full) {
        /* logp = [xc^2 | xc] (rows x 2d) * B (2d x k), then + konst per column. */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, k, 2 * d, 1.0, e->A, 2 * d, e->B, k,
                    0.0, logp, k);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < k; j++) logp[(size_t)r * k + j] += e->konst[j];
        return;
    }
    for (int j = 0; j < k; j++) {
        const double *mc = e->mu_c + (size_t)j * d;
        for (int r = 0; r < rows; r++) {
            const double *xc = e->A + (size_t)r * 2 * d + d;
            double *y = e->Y + (size_t)r * d;
            for (int t = 0; t < d; t++) y[t] = xc[t] - mc[t];
        }
        /* Y L^T = (X - mu)  ->  row r of Y is L^-1 (x_r - mu). */
        cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, rows, d, 1.0,
                    e->chol + (size_t)j * d * d, d, e->Y, d);
        for (int r = 0; r < rows; r++) {
            const double *y = e->Y + (size_t)r * d;
            double m = 0.0;
            for (int t = 0; t < d; t++) m += y[t] * y[t];
            logp[(size_t)r * k + j] = e->konst[j] - 0.5 * m;
        }
    }
}

void rb_gmm_logsumexp(double *logp, int rows, int k, double *lse, int to_resp) {
    for (int r = 0; r < rows; r++) {
        double *l = logp + (size_t)r * k;
        double mx = -INFINITY;
        for (int j = 0; j < k; j++)
            if (l[j] > mx) mx = l[j];
        double s = 0.0;
        if (mx == -INFINITY) { /* every component has weight 0 or density 0 */
            if (lse) lse[r] = -INFINITY;
            if (to_resp)
                for (int j = 0; j < k; j++) l[j] = 1.0 / k;
            continue;
        }
        for (int j = 0; j < k; j++) s += exp(l[j] - mx);
        double v = mx + log(s);
        if (lse) lse[r] = v;
        if (to_resp)
            for (int j = 0; j < k; j++) l[j] = exp(l[j] - v);
    }
}

static int rb_gmm_nll_impl(const rb_gmm *g, const float *x, int64_t ld, const int64_t *rows, int64_t n,
                           double *nll) {
    if (n < 0) return rb_fail("gmm nll: expected n >= 0, got %lld", (long long)n);
    if (ld < g->d) return rb_fail("gmm nll: row stride %lld < dimension %d", (long long)ld, g->d);
    if (n == 0) return RB_OK;
    RB_TRY_CTX(rb_gmm_validate(g), "gmm nll");
    rb_gmm_eval e;
    RB_TRY_CTX(rb_gmm_eval_alloc(&e, g->k, g->d, g->full), "gmm nll");
    double *logp = rb_malloc(sizeof(double) * (size_t)RB_GMM_BLOCK * g->k, "gmm log densities");
    int rc = logp ? rb_gmm_eval_set(&e, g, NULL) : RB_ERR;
    for (int64_t i0 = 0; rc == RB_OK && i0 < n; i0 += RB_GMM_BLOCK) {
        int rowsb = (int)(n - i0 < RB_GMM_BLOCK ? n - i0 : RB_GMM_BLOCK);
        rc = rb_gmm_eval_load(&e, x, ld, rows, i0, rowsb);
        if (rc != RB_OK) break;
        rb_gmm_eval_logp(&e, rowsb, logp);
        rb_gmm_logsumexp(logp, rowsb, g->k, nll + i0, 0);
        for (int r = 0; r < rowsb; r++) nll[i0 + r] = -nll[i0 + r];
    }
    free(logp);
    rb_gmm_eval_free(&e);
    return rc == RB_OK ? RB_OK : rb_context("gmm nll");
}

int rb_gmm_nll(const rb_gmm *g, const float *x, int64_t n, int64_t ld, double *nll) {
    return rb_gmm_nll_impl(g, x, ld, NULL, n, nll);
}

int rb_gmm_nll_rows(const rb_gmm *g, const float *x, int64_t ld, const int64_t *rows, int64_t n,
                    double *nll) {
    return rb_gmm_nll_impl(g, x, ld, rows, n, nll);
}

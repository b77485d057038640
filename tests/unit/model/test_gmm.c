/* test_gmm.c - GMM fit and scoring: recovery of a known mixture, monotone EM trace, degenerate data,
 * errors, GEMM-form NLL against a direct double evaluation (diag and full), full vs diag, row lists
 * and subsampling. */
#include "rb_core.h"
#include "rb_model.h"
#include "rb_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOG_2PI 1.8378770664093454835606594728112

/* n rows of dimension d (stride ld) from a diagonal mixture; label[i] = component of row i. */
static void gen_mixture(float *x, int64_t n, int d, int64_t ld, int k, const double *w, const double *mu,
                        const double *sd, int *label, uint32_t id) {
    rb_rng r;
    rb_rng_init(&r, 5, RB_PURPOSE_TEST, id, 0, 0);
    for (int64_t i = 0; i < n; i++) {
        double u = rb_rng_uniform(&r), cum = 0.0;
        int j = k - 1;
        for (int c = 0; c < k; c++) {
            cum += w[c];
            if (u < cum) { j = c; break; }
        }
        if (label) label[i] = j;
        for (int t = 0; t < d; t++)
            x[i * ld + t] = (float)(mu[j * d + t] + sd[j * d + t] * rb_rng_normal(&r));
        for (int64_t t = d; t < ld; t++) x[i * ld + t] = NAN; /* padding must never be read */
    }
}

/* Index of the fitted component whose mean is nearest to m. */
static int nearest(const rb_gmm *g, const double *m) {
    int best = 0;
    double bd = INFINITY;
    for (int j = 0; j < g->k; j++) {
        double s = 0;
        for (int t = 0; t < g->d; t++) s += (g->means[j * g->d + t] - m[t]) * (g->means[j * g->d + t] - m[t]);
        if (s < bd) { bd = s; best = j; }
    }
    return best;
}

static const double W3[3] = {0.5, 0.3, 0.2};
static const double MU3[9] = {0, 0, 0, 10, 0, 5, -8, 10, -5};
static const double SD3[9] = {1.0, 0.5, 2.0, 1.5, 1.0, 0.7, 0.8, 1.2, 1.0};

RB_TEST(gmm_em_recovers_known_mixture) {
    const int64_t n = 6000;
    const int d = 3, k = 3;
    float *x = malloc(sizeof(float) * n * d);
    gen_mixture(x, n, d, d, k, W3, MU3, SD3, NULL, 1);
    rb_gmm_params p;
    rb_gmm_params_default(&p);
    p.k = k;
    p.tol = 1e-8;
    p.seed = 17;
    rb_gmm g;
    RB_EXPECT_OK(rb_gmm_fit(&g, x, n, d, d, &p));
    RB_EXPECT_INT(g.k, 3);
    RB_EXPECT(g.converged);
    int used[3] = {0, 0, 0};
    for (int c = 0; c < k; c++) {
        int j = nearest(&g, MU3 + c * d);
        used[j]++;
        double nc = W3[c] * n;
        /* 5 standard errors: weight sd sqrt(w(1-w)/n), mean sd sigma/sqrt(n_c), variance sd
         * sigma^2 sqrt(2/n_c). */
        RB_EXPECT_NEAR(g.weights[j], W3[c], 5 * sqrt(W3[c] * (1 - W3[c]) / n));
        for (int t = 0; t < d; t++) {
            double s = SD3[c * d + t];
            RB_EXPECT_NEAR(g.means[j * d + t], MU3[c * d + t], 5 * s / sqrt(nc));
            RB_EXPECT_NEAR(g.cov[j * d + t], s * s, 5 * s * s * sqrt(2.0 / nc));
        }
    }
    RB_EXPECT(used[0] == 1 && used[1] == 1 && used[2] == 1);
    rb_gmm_free(&g);
    free(x);
}

RB_TEST(gmm_loglik_trace_never_decreases) {
    /* Overlapping clusters and more components than clusters: EM needs many small steps. */
    const int64_t n = 3000;
    const int d = 5, k = 6;
    double w[3] = {0.4, 0.35, 0.25}, mu[15], sd[15];
    for (int i = 0; i < 15; i++) {
        mu[i] = (i % 3) * 1.5 - (i / 5);
        sd[i] = 0.7 + 0.1 * (i % 4);
    }
    float *x = malloc(sizeof(float) * n * d);
    gen_mixture(x, n, d, d, 3, w, mu, sd, NULL, 2);
    rb_gmm_params p;
    rb_gmm_params_default(&p);
    p.k = k;
    p.tol = 0.0;
    p.max_iter = 60;
    p.kmeans_iter = 2;
    rb_gmm g;
    RB_EXPECT_OK(rb_gmm_fit(&g, x, n, d, d, &p));
    RB_EXPECT_INT(g.n_trace, g.iterations + 1);
    RB_EXPECT(g.n_trace >= 10);
    for (int t = 1; t < g.n_trace; t++)
        RB_EXPECT_MSG(g.loglik_trace[t] >= g.loglik_trace[t - 1] - 1e-9 * fabs(g.loglik_trace[t - 1]),
                      "trace decreased at %d: %.17g -> %.17g", t, g.loglik_trace[t - 1], g.loglik_trace[t]);
    RB_EXPECT(g.loglik_trace[g.n_trace - 1] > g.loglik_trace[0]);
    RB_EXPECT_NEAR(g.mean_loglik, g.loglik_trace[g.n_trace - 1], 0.0);
    /* The fit's log-likelihood agrees with scoring the same rows. */
    double *nll = malloc(sizeof(double) * n), s = 0;
    RB_EXPECT_OK(rb_gmm_nll(&g, x, n, d, nll));
    for (int64_t i = 0; i < n; i++) s += nll[i];
    RB_EXPECT_NEAR(-s / n, g.mean_loglik, 1e-9 * fabs(g.mean_loglik));
    double wsum = 0;
    for (int j = 0; j < k; j++) wsum += g.weights[j];
    RB_EXPECT_NEAR(wsum, 1.0, 1e-12);
    free(nll);
    rb_gmm_free(&g);
    free(x);
}

RB_TEST(gmm_constant_columns_sit_at_the_floor) {
    const int64_t n = 200;
    const int d = 4;
    float *x = malloc(sizeof(float) * n * d);
    rb_rng r;
    rb_rng_init(&r, 1, RB_PURPOSE_TEST, 3, 0, 0);
    for (int64_t i = 0; i < n; i++) {
        x[i * d + 0] = (float)rb_rng_normal(&r) + (i % 2 ? 6.0f : 0.0f);
        x[i * d + 1] = 2.5f;
        x[i * d + 2] = (float)rb_rng_normal(&r);
        x[i * d + 3] = -7.0f;
    }
    rb_gmm_params p;
    rb_gmm_params_default(&p);
    p.k = 2;
    for (int full = 0; full <= 1; full++) {
        p.covariance = full;
        rb_gmm g;
        RB_EXPECT_OK(rb_gmm_fit(&g, x, n, d, d, &p));
        RB_EXPECT_OK(rb_gmm_validate(&g));
        RB_EXPECT(isfinite(g.mean_loglik));
        RB_EXPECT_NEAR(g.var_floor[1], p.var_floor_abs, 0.0);
        for (int j = 0; j < 2; j++) {
            double v1 = full ? g.cov[(j * d + 1) * d + 1] : g.cov[j * d + 1];
            double v3 = full ? g.cov[(j * d + 3) * d + 3] : g.cov[j * d + 3];
            RB_EXPECT_NEAR(v1, p.var_floor_abs, 1e-15);
            RB_EXPECT_NEAR(v3, p.var_floor_abs, 1e-15);
            RB_EXPECT_NEAR(g.means[j * d + 1], 2.5, 1e-12);
            for (int t = 0; t < d * (full ? d : 1); t++)
                RB_EXPECT(isfinite(g.cov[j * d * (full ? d : 1) + t]));
        }
        double nll[4];
        RB_EXPECT_OK(rb_gmm_nll(&g, x, 4, d, nll));
        for (int i = 0; i < 4; i++) RB_EXPECT(isfinite(nll[i]));
        rb_gmm_free(&g);
    }
    free(x);
}

RB_TEST(gmm_identical_rows_give_finite_model) {
    float x[10 * 2];
    for (int i = 0; i < 20; i++) x[i] = (i % 2) ? 1.0f : -3.0f;
    rb_gmm_params p;
    rb_gmm_params_default(&p);
    p.k = 3;
    rb_gmm g;
    RB_EXPECT_OK(rb_gmm_fit(&g, x, 10, 2, 2, &p));
    RB_EXPECT_OK(rb_gmm_validate(&g));
    double nll[10];
    RB_EXPECT_OK(rb_gmm_nll(&g, x, 10, 2, nll));
    /* Every component sits on the point with the floor variance 1e-6: nll = log(2 pi 1e-6). */
    RB_EXPECT_NEAR(nll[0], LOG_2PI + log(1e-6), 1e-9);
    rb_gmm_free(&g);
}

RB_TEST(gmm_fewer_rows_than_components_is_an_error) {
    float x[3 * 2] = {0, 1, 2, 3, 4, 5};
    rb_gmm_params p;
    rb_gmm_params_default(&p);
    p.k = 5;
    rb_gmm g;
    RB_EXPECT_ERR(rb_gmm_fit(&g, x, 3, 2, 2, &p), "at least k = 5 rows");
    RB_EXPECT(g.weights == NULL && g.k == 0);
    /* The subsample cap counts too. */
    float y[100 * 2];
    for (int i = 0; i < 200; i++) y[i] = (float)i;
    p.k = 3;
    p.max_points = 2;
    RB_EXPECT_ERR(rb_gmm_fit(&g, y, 100, 2, 2, &p), "got 2");
    rb_gmm_params_default(&p);
    p.var_floor_abs = 0.0;
    RB_EXPECT_ERR(rb_gmm_fit(&g, y, 100, 2, 2, &p), "var_floor_abs");
}

RB_TEST(gmm_nonfinite_input_names_the_row) {
    float x[50 * 3];
    for (int i = 0; i < 150; i++) x[i] = (float)(i % 7);
    x[7 * 3 + 2] = NAN;
    rb_gmm_params p;
    rb_gmm_params_default(&p);
    p.k = 2;
    rb_gmm g;
    RB_EXPECT_ERR(rb_gmm_fit(&g, x, 50, 3, 3, &p), "row 7 column 2 is not finite");
    x[7 * 3 + 2] = 1.0f;
    RB_EXPECT_OK(rb_gmm_fit(&g, x, 50, 3, 3, &p));
    double nll[50];
    x[33 * 3] = INFINITY;
    RB_EXPECT_ERR(rb_gmm_nll(&g, x, 50, 3, nll), "row 33 column 0");
    rb_gmm_free(&g);
}

/* Direct double reference: per-element log densities and log-sum-exp. */
static double ref_nll_diag(const rb_gmm *g, const float *xr) {
    double lp[64], mx = -INFINITY;
    for (int j = 0; j < g->k; j++) {
        double s = 0;
        for (int t = 0; t < g->d; t++) {
            double v = g->cov[j * g->d + t], dx = xr[t] - g->means[j * g->d + t];
            s += dx * dx / v + log(v) + LOG_2PI;
        }
        lp[j] = log(g->weights[j]) - 0.5 * s;
        if (lp[j] > mx) mx = lp[j];
    }
    double s = 0;
    for (int j = 0; j < g->k; j++) s += exp(lp[j] - mx);
    return -(mx + log(s));
}

RB_TEST(gmm_nll_gemm_form_matches_direct_evaluation) {
    const int k = 5, d = 37;
    const int64_t n = 300, ld = d + 3; /* > one block, strided rows */
    rb_gmm g;
    RB_EXPECT_OK(rb_gmm_alloc(&g, k, d, 0));
    rb_rng r;
    rb_rng_init(&r, 2, RB_PURPOSE_TEST, 4, 0, 0);
    double ws = 0;
    for (int j = 0; j < k; j++) ws += g.weights[j] = 0.2 + rb_rng_uniform(&r);
    for (int j = 0; j < k; j++) g.weights[j] /= ws;
    for (int i = 0; i < k * d; i++) {
        g.means[i] = 100.0 + 3.0 * rb_rng_normal(&r); /* far from 0: exercises the centring */
        g.cov[i] = 0.05 + 2.0 * rb_rng_uniform(&r);
    }
    float *x = malloc(sizeof(float) * n * ld);
    for (int64_t i = 0; i < n * ld; i++) x[i] = (float)(100.0 + 4.0 * rb_rng_normal(&r));
    double *nll = malloc(sizeof(double) * n);
    RB_EXPECT_OK(rb_gmm_nll(&g, x, n, ld, nll));
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double ref = ref_nll_diag(&g, x + i * ld);
        double rel = fabs(nll[i] - ref) / fmax(1.0, fabs(ref));
        if (rel > worst) worst = rel;
    }
    RB_EXPECT_MSG(worst < 1e-10, "worst relative difference %g", worst);
    /* Row lists score the listed rows (equal up to rounding: the GEMM blocks differ). */
    int64_t rows[3] = {299, 0, 150};
    double nr[3];
    RB_EXPECT_OK(rb_gmm_nll_rows(&g, x, ld, rows, 3, nr));
    for (int i = 0; i < 3; i++) RB_EXPECT_NEAR(nr[i], nll[rows[i]], 1e-12 * fabs(nll[rows[i]]));
    free(nll);
    free(x);
    rb_gmm_free(&g);
}

/* Gauss-Jordan inverse and log-determinant (independent of the Cholesky under test). */
static double ref_inverse(const double *a, double *inv, int d) {
    double *m = malloc(sizeof(double) * d * 2 * d), logdet = 0;
    for (int i = 0; i < d; i++)
        for (int j = 0; j < 2 * d; j++) m[i * 2 * d + j] = j < d ? a[i * d + j] : (j - d == i);
    for (int c = 0; c < d; c++) {
        int pv = c;
        for (int i = c + 1; i < d; i++)
            if (fabs(m[i * 2 * d + c]) > fabs(m[pv * 2 * d + c])) pv = i;
        for (int j = 0; j < 2 * d; j++) {
            double t = m[c * 2 * d + j];
            m[c * 2 * d + j] = m[pv * 2 * d + j];
            m[pv * 2 * d + j] = t;
        }
        double piv = m[c * 2 * d + c];
        logdet += log(fabs(piv));
        for (int j = 0; j < 2 * d; j++) m[c * 2 * d + j] /= piv;
        for (int i = 0; i < d; i++) {
            if (i == c) continue;
            double f = m[i * 2 * d + c];
            for (int j = 0; j < 2 * d; j++) m[i * 2 * d + j] -= f * m[c * 2 * d + j];
        }
    }
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) inv[i * d + j] = m[i * 2 * d + d + j];
    free(m);
    return logdet;
}

RB_TEST(gmm_full_nll_matches_direct_evaluation) {
    const int k = 3, d = 6;
    const int64_t n = 270;
    rb_gmm g;
    RB_EXPECT_OK(rb_gmm_alloc(&g, k, d, 1));
    rb_rng r;
    rb_rng_init(&r, 2, RB_PURPOSE_TEST, 5, 0, 0);
    double a[36];
    for (int j = 0; j < k; j++) {
        g.weights[j] = (j + 1) / 6.0;
        for (int i = 0; i < d * d; i++) a[i] = rb_rng_normal(&r);
        for (int p = 0; p < d; p++)
            for (int q = 0; q < d; q++) {
                double s = p == q ? 0.3 : 0.0;
                for (int t = 0; t < d; t++) s += a[p * d + t] * a[q * d + t];
                g.cov[(j * d + p) * d + q] = s;
            }
        for (int t = 0; t < d; t++) g.means[j * d + t] = 5.0 * rb_rng_normal(&r);
    }
    RB_EXPECT_OK(rb_gmm_validate(&g));
    float *x = malloc(sizeof(float) * n * d);
    for (int64_t i = 0; i < n * d; i++) x[i] = (float)(4.0 * rb_rng_normal(&r));
    double *nll = malloc(sizeof(double) * n);
    RB_EXPECT_OK(rb_gmm_nll(&g, x, n, d, nll));
    double inv[3][36], logdet[3];
    for (int j = 0; j < k; j++) logdet[j] = ref_inverse(g.cov + j * d * d, inv[j], d);
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double lp[3], mx = -INFINITY;
        for (int j = 0; j < k; j++) {
            double dx[6], q = 0;
            for (int t = 0; t < d; t++) dx[t] = x[i * d + t] - g.means[j * d + t];
            for (int p = 0; p < d; p++)
                for (int t = 0; t < d; t++) q += dx[p] * inv[j][p * d + t] * dx[t];
            lp[j] = log(g.weights[j]) - 0.5 * (q + logdet[j] + d * LOG_2PI);
            if (lp[j] > mx) mx = lp[j];
        }
        double s = 0;
        for (int j = 0; j < k; j++) s += exp(lp[j] - mx);
        double ref = -(mx + log(s));
        double rel = fabs(nll[i] - ref) / fmax(1.0, fabs(ref));
        if (rel > worst) worst = rel;
    }
    RB_EXPECT_MSG(worst < 1e-10, "worst relative difference %g", worst);
    free(nll);
    free(x);
    rb_gmm_free(&g);
}

RB_TEST(gmm_full_equals_diag_in_one_dimension) {
    const int64_t n = 1500;
    double w[2] = {0.6, 0.4}, mu[2] = {-2.0, 3.0}, sd[2] = {1.0, 0.5};
    float *x = malloc(sizeof(float) * n);
    gen_mixture(x, n, 1, 1, 2, w, mu, sd, NULL, 6);
    rb_gmm_params p;
    rb_gmm_params_default(&p);
    p.k = 2;
    p.tol = 1e-9;
    rb_gmm gd, gf;
    RB_EXPECT_OK(rb_gmm_fit(&gd, x, n, 1, 1, &p));
    p.covariance = RB_GMM_FULL;
    RB_EXPECT_OK(rb_gmm_fit(&gf, x, n, 1, 1, &p));
    RB_EXPECT_INT(gf.iterations, gd.iterations);
    for (int j = 0; j < 2; j++) {
        RB_EXPECT_NEAR(gf.weights[j], gd.weights[j], 1e-9);
        RB_EXPECT_NEAR(gf.means[j], gd.means[j], 1e-9);
        RB_EXPECT_NEAR(gf.cov[j], gd.cov[j], 1e-9);
    }
    RB_EXPECT_NEAR(gf.mean_loglik, gd.mean_loglik, 1e-9);
    rb_gmm_free(&gd);
    rb_gmm_free(&gf);
    free(x);
}

RB_TEST(gmm_full_matches_diag_on_diagonal_data) {
    const int64_t n = 6000;
    const int d = 3, k = 3;
    float *x = malloc(sizeof(float) * n * d);
    gen_mixture(x, n, d, d, k, W3, MU3, SD3, NULL, 7);
    rb_gmm_params p;
    rb_gmm_params_default(&p);
    p.k = k;
    p.tol = 1e-8;
    rb_gmm gd, gf;
    RB_EXPECT_OK(rb_gmm_fit(&gd, x, n, d, d, &p));
    p.covariance = RB_GMM_FULL;
    RB_EXPECT_OK(rb_gmm_fit(&gf, x, n, d, d, &p));
    RB_EXPECT_OK(rb_gmm_validate(&gf));
    for (int c = 0; c < k; c++) {
        int jd = nearest(&gd, MU3 + c * d), jf = nearest(&gf, MU3 + c * d);
        double nc = W3[c] * n;
        RB_EXPECT_NEAR(gf.weights[jf], gd.weights[jd], 1e-3);
        for (int a = 0; a < d; a++) {
            RB_EXPECT_NEAR(gf.means[jf * d + a], gd.means[jd * d + a], 1e-2 * SD3[c * d + a]);
            double vd = gd.cov[jd * d + a];
            RB_EXPECT_NEAR(gf.cov[(jf * d + a) * d + a], vd, 1e-2 * vd);
            for (int b = 0; b < a; b++) {
                double corr = gf.cov[(jf * d + a) * d + b] /
                              sqrt(gf.cov[(jf * d + a) * d + a] * gf.cov[(jf * d + b) * d + b]);
                RB_EXPECT_NEAR(corr, 0.0, 5.0 / sqrt(nc)); /* sample correlation sd 1/sqrt(n_c) */
            }
        }
    }
    /* More parameters, same partition: the full model fits at least as well, by little. */
    RB_EXPECT(gf.mean_loglik >= gd.mean_loglik - 1e-9);
    RB_EXPECT(gf.mean_loglik - gd.mean_loglik < 5e-3);
    rb_gmm_free(&gd);
    rb_gmm_free(&gf);
    free(x);
}

RB_TEST(gmm_rows_strides_and_subsample_are_consistent) {
    const int64_t n = 2000;
    const int d = 3, crops = 2;
    /* Visual-like layout [n][crops][d]; the centre crop is crop 0. */
    float *xv = malloc(sizeof(float) * n * crops * d), *packed = malloc(sizeof(float) * n * d);
    gen_mixture(xv, n, d, (int64_t)crops * d, 3, W3, MU3, SD3, NULL, 8);
    for (int64_t i = 0; i < n; i++)
        for (int t = 0; t < d; t++) packed[i * d + t] = xv[i * crops * d + t];
    rb_gmm_params p;
    rb_gmm_params_default(&p);
    p.k = 3;
    rb_gmm a, b, c;
    RB_EXPECT_OK(rb_gmm_fit(&a, xv, n, d, (int64_t)crops * d, &p));
    RB_EXPECT_OK(rb_gmm_fit(&b, packed, n, d, d, &p));
    int64_t *rows = malloc(sizeof(int64_t) * n);
    for (int64_t i = 0; i < n; i++) rows[i] = i;
    RB_EXPECT_OK(rb_gmm_fit_rows(&c, packed, d, d, rows, n, &p));
    RB_EXPECT(memcmp(a.means, b.means, sizeof(double) * 9) == 0);
    RB_EXPECT(memcmp(a.cov, b.cov, sizeof(double) * 9) == 0);
    RB_EXPECT(memcmp(b.means, c.means, sizeof(double) * 9) == 0);
    RB_EXPECT(memcmp(b.weights, c.weights, sizeof(double) * 3) == 0);
    rb_gmm_free(&a);
    rb_gmm_free(&b);
    rb_gmm_free(&c);
    /* Subsample: n_fit = cap, reproducible, and a different seed draws a different subsample. */
    p.max_points = 500;
    RB_EXPECT_OK(rb_gmm_fit(&a, packed, n, d, d, &p));
    RB_EXPECT_OK(rb_gmm_fit(&b, packed, n, d, d, &p));
    p.seed = 99;
    RB_EXPECT_OK(rb_gmm_fit(&c, packed, n, d, d, &p));
    RB_EXPECT_INT(a.n_fit, 500);
    RB_EXPECT(memcmp(a.means, b.means, sizeof(double) * 9) == 0);
    RB_EXPECT(a.mean_loglik == b.mean_loglik);
    RB_EXPECT(a.mean_loglik != c.mean_loglik);
    rb_gmm_free(&a);
    rb_gmm_free(&b);
    rb_gmm_free(&c);
    free(rows);
    free(packed);
    free(xv);
}

RB_TEST(gmm_validate_rejects_broken_models) {
    rb_gmm g;
    RB_EXPECT_OK(rb_gmm_alloc(&g, 2, 2, 0));
    g.weights[0] = 0.5;
    g.weights[1] = 0.5;
    for (int i = 0; i < 4; i++) g.cov[i] = 1.0;
    RB_EXPECT_OK(rb_gmm_validate(&g));
    g.weights[1] = 0.6;
    RB_EXPECT_ERR(rb_gmm_validate(&g), "weights sum");
    g.weights[1] = 0.5;
    g.cov[3] = 0.0;
    RB_EXPECT_ERR(rb_gmm_validate(&g), "component 1 dimension 1");
    rb_gmm_free(&g);
    RB_EXPECT_OK(rb_gmm_alloc(&g, 1, 2, 1));
    g.weights[0] = 1.0;
    double bad[4] = {1.0, 2.0, 2.0, 1.0}; /* symmetric, indefinite */
    memcpy(g.cov, bad, sizeof bad);
    RB_EXPECT_ERR(rb_gmm_validate(&g), "not positive definite");
    rb_gmm_free(&g);
}

RB_TEST(gmm_cholesky_reconstructs) {
    double a[9] = {4, 2, -2, 2, 10, 1, -2, 1, 6}, l[9];
    memcpy(l, a, sizeof a);
    RB_EXPECT_OK(rb_gmm_cholesky(l, 3));
    /* Hand-computed: L = [2 0 0; 1 3 0; -1 2/3 sqrt(6 - 1 - 4/9)]. */
    RB_EXPECT_NEAR(l[0], 2.0, 1e-15);
    RB_EXPECT_NEAR(l[3], 1.0, 1e-15);
    RB_EXPECT_NEAR(l[4], 3.0, 1e-15);
    RB_EXPECT_NEAR(l[6], -1.0, 1e-15);
    RB_EXPECT_NEAR(l[7], 2.0 / 3.0, 1e-15);
    RB_EXPECT_NEAR(l[8], sqrt(5.0 - 4.0 / 9.0), 1e-15);
    RB_EXPECT_NEAR(l[1] + l[2] + l[5], 0.0, 0.0);
}

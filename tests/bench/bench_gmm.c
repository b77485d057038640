/* bench_gmm.c - GMM throughput at realistic shapes: NLL scoring GFLOP/s (GEMM form) next to the
 * sgemm reference of the same shape and a dgemm of the block shape scoring uses, EM time per
 * iteration, and a verification of the GEMM-form NLL against a direct double evaluation. */
#include "rb_bench.h"
#include "rb_core.h"
#include "rb_model.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define LOG_2PI 1.8378770664093454835606594728112

/* Clustered features: k0 prototypes plus noise, values around 1 like post-ReLU I3D means. */
static float *make_features(int64_t n, int d, uint32_t id) {
    float *x = malloc(sizeof(float) * (size_t)n * d);
    double *proto = malloc(sizeof(double) * 12 * (size_t)d);
    if (!x || !proto) { free(x); free(proto); return NULL; }
    rb_rng r;
    rb_rng_init(&r, 1, RB_PURPOSE_TEST, id, 0, 0);
    for (int i = 0; i < 12 * d; i++) proto[i] = 1.0 + 0.5 * rb_rng_normal(&r);
    for (int64_t i = 0; i < n; i++) {
        const double *pr = proto + (size_t)rb_rng_below(&r, 12) * d;
        for (int t = 0; t < d; t++) x[(size_t)i * d + t] = (float)(pr[t] + 0.3 * rb_rng_normal(&r));
    }
    free(proto);
    return x;
}

static double direct_nll(const rb_gmm *g, const float *xr) {
    double lp[64], mx = -INFINITY, s = 0;
    for (int j = 0; j < g->k; j++) {
        double q = 0;
        for (int t = 0; t < g->d; t++) {
            double v = g->cov[(size_t)j * g->d + t], dx = xr[t] - g->means[(size_t)j * g->d + t];
            q += dx * dx / v + log(v) + LOG_2PI;
        }
        lp[j] = log(g->weights[j]) - 0.5 * q;
        if (lp[j] > mx) mx = lp[j];
    }
    for (int j = 0; j < g->k; j++) s += exp(lp[j] - mx);
    return -(mx + log(s));
}

/* dgemm of the block shape the scorer issues (RB_GMM_BLOCK x 2d times 2d x k), over n rows. */
static double dgemm_block_gflops(int64_t n, int d, int k) {
    double *a = calloc((size_t)RB_GMM_BLOCK * 2 * d, sizeof(double)), *b = calloc((size_t)2 * d * k, sizeof(double)),
           *c = calloc((size_t)RB_GMM_BLOCK * k, sizeof(double));
    if (!a || !b || !c) { free(a); free(b); free(c); return 0.0; }
    for (int i = 0; i < RB_GMM_BLOCK * 2 * d; i++) a[i] = (i % 17) * 0.01;
    for (int i = 0; i < 2 * d * k; i++) b[i] = (i % 13) * 0.01;
    int64_t blocks = n / RB_GMM_BLOCK;
    double t0 = rb_now();
    for (int64_t i = 0; i < blocks; i++)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, RB_GMM_BLOCK, k, 2 * d, 1.0, a, 2 * d, b, k,
                    0.0, c, k);
    double dt = rb_now() - t0;
    free(a); free(b); free(c);
    return 2.0 * (double)blocks * RB_GMM_BLOCK * 2.0 * d * k / dt * 1e-9;
}

static void bench_shape(const char *name, int64_t n, int d, int k, int64_t n_fit) {
    float *x = make_features(n, d, (uint32_t)d);
    if (!x) { rb_bench_check(name, 0, "allocation"); return; }
    rb_gmm_params p;
    rb_gmm_params_default(&p);
    p.k = k;
    p.tol = 0.0;
    p.kmeans_iter = 2;
    p.max_points = n_fit;
    p.seed = 3;
    /* EM time per iteration: the difference of 4 and 0 M-steps (same seeding and k-means). */
    rb_gmm g0, g;
    p.max_iter = 0;
    double t0 = rb_now();
    int rc = rb_gmm_fit(&g0, x, n, d, d, &p);
    double t_init = rb_now() - t0;
    p.max_iter = 4;
    t0 = rb_now();
    rc |= rb_gmm_fit(&g, x, n, d, d, &p);
    double t_fit = rb_now() - t0;
    if (rc != RB_OK) {
        rb_bench_check(name, 0, rb_error_message());
        free(x);
        return;
    }
    double per_iter = (t_fit - t_init) / 4.0;
    int monotone = 1;
    for (int t = 1; t < g.n_trace; t++) monotone &= g.loglik_trace[t] >= g.loglik_trace[t - 1] - 1e-9 * fabs(g.loglik_trace[t - 1]);

    double *nll = malloc(sizeof(double) * (size_t)n);
    t0 = rb_now();
    rc = rb_gmm_nll(&g, x, n, d, nll);
    double t_nll = rb_now() - t0;
    double flops = 2.0 * (double)n * 2.0 * d * k; /* the GEMM of [x^2 | x] against [-0.5/s2 ; mu/s2] */
    double gf = flops / t_nll * 1e-9;
    double sg = rb_bench_sgemm_gflops((int)n, k, 2 * d, 2);
    double dg = dgemm_block_gflops(n, d, k);
    double worst = 0.0;
    for (int64_t i = 0; rc == RB_OK && i < n; i += n / 200) {
        double ref = direct_nll(&g, x + (size_t)i * d);
        double rel = fabs(nll[i] - ref) / fmax(1.0, fabs(ref));
        if (rel > worst) worst = rel;
    }
    rb_bench_report(name,
                    "n=%lld d=%d k=%d nll_seconds=%.4f nll_rows_per_s=%.4g nll_gflops=%.2f "
                    "sgemm_ref_gflops=%.2f dgemm_block_ref_gflops=%.2f fit_rows=%lld init_seconds=%.3f "
                    "em_seconds_per_iter=%.4f nll_max_rel_err=%.2e",
                    (long long)n, d, k, t_nll, n / t_nll, gf, sg, dg, (long long)g.n_fit, t_init, per_iter,
                    worst);
    char what[160];
    snprintf(what, sizeof what, "GEMM-form NLL vs direct double evaluation on 200 rows: max rel err %.2e < 1e-9", worst);
    rb_bench_check(name, rc == RB_OK && worst < 1e-9, what);
    rb_bench_check(name, monotone, "EM log-likelihood trace non-decreasing");
    free(nll);
    rb_gmm_free(&g0);
    rb_gmm_free(&g);
    free(x);
}

RB_BENCH(gmm_visual_1024) {
    bench_shape("gmm_visual_1024_k16", 50000, 1024, 16, 10000);
    bench_shape("gmm_visual_1024_k8", 50000, 1024, 8, 10000);
}

RB_BENCH(gmm_audio_128) {
    bench_shape("gmm_audio_128_k16", 50000, 128, 16, 50000);
}

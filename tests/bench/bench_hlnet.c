/* bench_hlnet.c - cost of model.arch = "hlnet" at the XD-Violence shapes: one gradient group of 16
 * bags x 200 snippets of 1024-d visual features through the 1024 -> 512 -> 128 trunk and the HL-Net
 * head (three graph branches, online branch). Reports, separately for the forward pass (the loss
 * without a gradient) and the backward pass (the full pass minus the forward), the time and GFLOP/s
 * next to cblas_sgemm of that direction's own GEMM shapes (trunk, head dense products and the per-bag
 * T x T adjacency products), and the dense-parts ratio: seconds of those sgemm calls alone / seconds
 * of the pass (1 = the pass is all sgemm at the reference rate; target >= 0.6). Then the same pass of
 * the mlp detector (the added training cost), and eval scoring of a 1,000-snippet test video for both
 * architectures: the added cost per grid cell as a ratio and as seconds per 100k test snippets (per
 * detector and crop, at T = 1,000: the hlnet cost per snippet grows with the video length).
 * Times are thread CPU seconds (one BLAS thread: all the work runs in this thread), medians of 5
 * repetitions; read ratios within one run. Verifies only that the losses are finite and the scores lie
 * in (0, 1): times are printed, never asserted. */
#include "rb_bench.h"
#include "rb_core.h"
#include "rb_model.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BAGS = 16, T = 200, /* VIDEO <= BAGS * T: the video is the first rows of the batch */ DV = 1024, DA = 128, H1 = 512, H2 = 128, GW = 96, VIDEO = 1000 };
#define REPS 5

typedef struct {
    int m, n, k, count;
} rb_shape;

#define SH(m_, n_, k_, c_) (s[n++] = (rb_shape){(m_), (n_), (k_), (c_)})
/* The sgemm shapes of the forward pass of the visual hlnet detector over R rows (hlnet.c, detector.c). */
static int hlnet_forward_shapes(int R, rb_shape *s) {
    int n = 0;
    SH(R, H1, DV, 1); SH(R, H2, H1, 1);                /* trunk */
    SH(R, 64, H2, 1); SH(R, 32, 64, 1); SH(R, 1, 160, 1); /* online branch */
    SH(T, T, DV, BAGS);                                /* Gram matrices of the similarity graphs */
    SH(R, GW, H2, 1); SH(R, GW, 5 * H2, 1);            /* first graph layer: X W, im2col residual */
    SH(R, 32, 32, 3);                                  /* second graph layer X W */
    SH(T, 32, T, 6 * BAGS);                            /* A (XW), two layers x three branches */
    SH(R, 1, GW, 1);                                   /* classifier */
    return n;
}

/* ... and of its backward pass (the input gradient of layer 1 is not needed: x is data). */
static int hlnet_backward_shapes(int R, rb_shape *s) {
    int n = 0;
    SH(GW, 1, R, 1); SH(R, GW, 1, 1);                  /* classifier */
    SH(T, 32, T, 6 * BAGS);                            /* A^T dY, two layers x three branches */
    SH(32, 32, R, 3); SH(R, 32, 32, 3);                /* second graph layer */
    SH(H2, GW, R, 1); SH(5 * H2, GW, R, 1); SH(R, H2, GW, 1); SH(R, 5 * H2, GW, 1); /* first graph layer */
    SH(160, 1, R, 1); SH(R, 160, 1, 1); SH(64, 32, R, 1); SH(R, 64, 32, 1); SH(H2, 64, R, 1); SH(R, H2, 64, 1); /* online */
    SH(H1, H2, R, 1); SH(R, H1, H2, 1); SH(DV, H1, R, 1); /* trunk: layer 2 weight and input, layer 1 weight */
    return n;
}
#undef SH

static double shapes_flops(const rb_shape *s, int n) {
    double f = 0;
    for (int i = 0; i < n; i++) f += 2.0 * s[i].m * s[i].n * (double)s[i].k * s[i].count;
    return f;
}

/* Seconds of every sgemm of the list (each shape `count` times), median of REPS; -1 on allocation failure. */
static double time_shapes(const rb_shape *s, int n) {
    size_t na = 1, nb = 1, nc = 1;
    for (int i = 0; i < n; i++) {
        size_t m = (size_t)s[i].m, nn = (size_t)s[i].n, k = (size_t)s[i].k;
        if (m * k > na) na = m * k;
        if (k * nn > nb) nb = k * nn;
        if (m * nn > nc) nc = m * nn;
    }
    float *a = malloc(sizeof(float) * na), *b = malloc(sizeof(float) * nb), *c = malloc(sizeof(float) * nc);
    if (!a || !b || !c) { free(a); free(b); free(c); return -1.0; }
    for (size_t i = 0; i < na; i++) a[i] = (float)(i % 17) * 0.01f;
    for (size_t i = 0; i < nb; i++) b[i] = (float)(i % 13) * 0.01f;
    double t[REPS];
    for (int r = 0; r < REPS; r++) {
        double t0 = rb_bench_cpu_seconds();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < s[i].count; j++)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s[i].m, s[i].n, s[i].k, 1.0f, a, s[i].k, b, s[i].n,
                            0.0f, c, s[i].n);
        t[r] = rb_bench_cpu_seconds() - t0;
    }
    free(a); free(b); free(c);
    return rb_bench_median(t, REPS);
}

/* Medians of REPS forward passes (loss, no gradient) and of REPS backward passes, each the full pass
 * (loss and gradient) minus the forward pass of the same repetition. */
static void pass_seconds(const rb_detector *d, const rb_det_batch *b, rb_det_work *w, float *grad, double *loss,
                         int *ok, double *fwd, double *bwd) {
    double tf[REPS], tb[REPS];
    for (int r = 0; r < REPS; r++) {
        double t0 = rb_bench_cpu_seconds();
        *ok &= rb_detector_loss_grad(d, b, w, loss, NULL) == RB_OK;
        double t1 = rb_bench_cpu_seconds();
        *ok &= rb_detector_loss_grad(d, b, w, loss, grad) == RB_OK;
        double t2 = rb_bench_cpu_seconds();
        tf[r] = t1 - t0;
        tb[r] = (t2 - t1) - (t1 - t0);
    }
    *fwd = rb_bench_median(tf, REPS);
    *bwd = rb_bench_median(tb, REPS);
}

static void report_direction(const char *name, double seconds, double flops, double sgemm_seconds) {
    rb_bench_report(name, "rows=%d bags=%d seconds=%.4f gflops=%.1f sgemm_seconds=%.4f sgemm_gflops=%.1f dense_ratio=%.3f",
                    BAGS * T, BAGS, seconds, flops / seconds * 1e-9, sgemm_seconds, flops / sgemm_seconds * 1e-9,
                    sgemm_seconds / seconds);
}

RB_BENCH(hlnet) {
    const int R = BAGS * T;
    float *x = malloc(sizeof(float) * (size_t)R * DV), *scores = malloc(sizeof(float) * VIDEO);
    rb_detector mlp, hl;
    if (!x || !scores || rb_detector_init(&mlp, RB_DET_VISUAL, DV, DA, H1, H2, 0.6f, 5, 0) != RB_OK ||
        rb_detector_init_arch(&hl, RB_ARCH_HLNET, RB_DET_VISUAL, DV, DA, H1, H2, 0.6f, 5, 0) != RB_OK) {
        rb_bench_check("hlnet", 0, "allocating the detectors");
        free(x);
        free(scores);
        return;
    }
    rb_rng r;
    rb_rng_init(&r, 3, RB_PURPOSE_TEST, 9, 0, 0);
    for (int64_t i = 0; i < (int64_t)R * DV; i++) x[i] = (float)rb_rng_normal(&r);
    for (int64_t i = 0; i < (int64_t)R * DV; i += 3) x[i] += 1.0f; /* a shared direction: some cosines > 0.7 */
    int64_t start[BAGS];
    int32_t len[BAGS];
    float labels[BAGS];
    uint32_t ids[BAGS];
    for (int b = 0; b < BAGS; b++) {
        start[b] = (int64_t)b * T;
        len[b] = T;
        labels[b] = (float)(b % 2);
        ids[b] = (uint32_t)b;
    }
    rb_det_batch bt = {.xv = x, .rows_v = R, .n_bags = BAGS, .start = start, .len = len, .labels = labels,
                       .dropout_on = 1, .seed = 1, .bag_id = ids};
    rb_det_work wm, wh;
    float *grad = malloc(sizeof(float) * (size_t)hl.n_params);
    int ok = grad && rb_det_work_alloc(&wm, &mlp, R) == RB_OK && rb_det_work_alloc(&wh, &hl, R) == RB_OK;
    double loss_m = NAN, loss_h = NAN, fm = 0, bm = 0, fh = 0, bh = 0;
    rb_shape fs[24], bs[32];
    int nf = hlnet_forward_shapes(R, fs), nb = hlnet_backward_shapes(R, bs);
    double sf = -1, sb = -1;
    if (ok) {
        pass_seconds(&mlp, &bt, &wm, grad, &loss_m, &ok, &fm, &bm);
        pass_seconds(&hl, &bt, &wh, grad, &loss_h, &ok, &fh, &bh);
        sf = time_shapes(fs, nf);
        sb = time_shapes(bs, nb);
        ok &= sf > 0 && sb > 0;
    }
    /* eval: one 1,000-snippet video, whole (hlnet) or row by row (mlp) */
    int64_t offs[2] = {0, VIDEO};
    double tm[REPS], th[REPS];
    int in_range = 1;
    for (int round = 0; ok && round < REPS; round++) {
        double t0 = rb_bench_cpu_seconds();
        ok &= rb_detector_score_videos(&mlp, RB_INPUT_VISUAL, x, DV, offs, 1, scores) == RB_OK;
        double t1 = rb_bench_cpu_seconds();
        ok &= rb_detector_score_videos(&hl, RB_INPUT_VISUAL, x, DV, offs, 1, scores) == RB_OK;
        double t2 = rb_bench_cpu_seconds();
        tm[round] = t1 - t0;
        th[round] = t2 - t1;
    }
    for (int i = 0; ok && i < VIDEO; i++) in_range &= scores[i] > 0.0f && scores[i] < 1.0f;
    if (!ok) {
        rb_bench_check("hlnet", 0, rb_error_message());
    } else {
        double e_m = rb_bench_median(tm, REPS), e_h = rb_bench_median(th, REPS), per = 1e5 / VIDEO;
        report_direction("hlnet_forward", fh, shapes_flops(fs, nf), sf);
        report_direction("hlnet_backward", bh, shapes_flops(bs, nb), sb);
        rb_bench_report("hlnet_train_group",
                        "rows=%d bags=%d hlnet_seconds=%.4f mlp_seconds=%.4f added_cost=%.2fx "
                        "(forward %.2fx, backward %.2fx) loss_mlp=%.4f loss_hlnet=%.4f",
                        R, BAGS, fh + bh, fm + bm, (fh + bh) / (fm + bm), fh / fm, bh / bm, loss_m, loss_h);
        rb_bench_report("hlnet_score_video",
                        "snippets=%d hlnet_seconds=%.4f mlp_seconds=%.4f added_cost=%.2fx "
                        "hlnet_s_per_100k=%.2f mlp_s_per_100k=%.2f added_s_per_100k=%.2f",
                        VIDEO, e_h, e_m, e_h / e_m, e_h * per, e_m * per, (e_h - e_m) * per);
        rb_bench_check("hlnet", isfinite(loss_h) && isfinite(loss_m), "losses finite");
        rb_bench_check("hlnet", in_range, "whole-video scores in (0, 1)");
    }
    if (grad) {
        rb_det_work_free(&wm);
        rb_det_work_free(&wh);
    }
    free(grad);
    free(x);
    free(scores);
    rb_detector_free(&mlp);
    rb_detector_free(&hl);
}

/* bench_hlnet.c - cost of model.arch = "hlnet" at the XD-Violence shapes: one gradient group of 16
 * bags x 200 snippets of 1024-d visual features through the 1024 -> 512 -> 128 trunk and the HL-Net
 * head (three graph branches, online branch). Reports the forward+backward time and GFLOP/s next to
 * cblas_sgemm on the same GEMM shapes (trunk, head dense products and the per-bag T x T adjacency
 * products; target >= 0.6), the same pass of the mlp detector (the added training cost per row), and
 * eval scoring of a 1,000-snippet test video for both architectures (the added cost per grid cell).
 * Verifies that the loss is finite and the scores lie in (0, 1). */
#include "rb_bench.h"
#include "rb_core.h"
#include "rb_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BAGS = 16, T = 200, /* VIDEO <= BAGS * T: the video is the first rows of the batch */ DV = 1024, DA = 128, H1 = 512, H2 = 128, GW = 96, VIDEO = 1000 };

typedef struct {
    int m, n, k, count;
} rb_shape;

/* The sgemm shapes of one forward+backward pass of the visual hlnet detector over R rows. */
static int hlnet_shapes(int R, rb_shape *s) {
    int n = 0;
#define SH(m_, n_, k_, c_) (s[n++] = (rb_shape){(m_), (n_), (k_), (c_)})
    SH(R, H1, DV, 1); SH(DV, H1, R, 1);              /* trunk layer 1: forward, weight gradient */
    SH(R, H2, H1, 1); SH(H1, H2, R, 1); SH(R, H1, H2, 1); /* layer 2: forward, weight and input gradient */
    SH(R, 64, H2, 1); SH(R, 32, 64, 1); SH(R, 1, 160, 1); /* online branch forward */
    SH(160, 1, R, 1); SH(R, 160, 1, 1); SH(64, 32, R, 1); SH(R, 64, 32, 1); SH(H2, 64, R, 1); SH(R, H2, 64, 1);
    SH(R, GW, H2, 1); SH(R, GW, 5 * H2, 1);            /* first graph layer: X W, im2col residual */
    SH(R, 32, 32, 3); SH(R, 1, GW, 1);                 /* second graph layer, classifier */
    SH(T, T, DV, BAGS);                                /* Gram matrices of the similarity graphs */
    SH(T, 32, T, 6 * BAGS);                            /* A (XW), two layers x three branches */
    SH(GW, 1, R, 1); SH(R, GW, 1, 1);                  /* classifier backward */
    SH(T, 32, T, 6 * BAGS);                            /* A^T dY, two layers x three branches */
    SH(32, 32, R, 3); SH(R, 32, 32, 3);                /* second graph layer backward */
    SH(H2, GW, R, 1); SH(5 * H2, GW, R, 1); SH(R, H2, GW, 1); SH(R, 5 * H2, GW, 1); /* first layer backward */
#undef SH
    return n;
}

static double pass_seconds(const rb_detector *d, const rb_det_batch *b, rb_det_work *w, float *grad, double *loss,
                           int *ok) {
    double best = 1e30;
    for (int round = 0; round < 3; round++) {
        double t0 = rb_now();
        *ok &= rb_detector_loss_grad(d, b, w, loss, grad) == RB_OK;
        double dt = rb_now() - t0;
        if (dt < best) best = dt;
    }
    return best;
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
    double loss_m = 0, loss_h = 0, t_m = 1e30, t_h = 1e30;
    rb_shape shapes[40];
    int ns = hlnet_shapes(R, shapes);
    double ref = 0, flops = 0;
    if (ok) {
        t_m = pass_seconds(&mlp, &bt, &wm, grad, &loss_m, &ok);
        t_h = pass_seconds(&hl, &bt, &wh, grad, &loss_h, &ok);
        for (int i = 0; i < ns; i++) {
            double f = 2.0 * shapes[i].m * shapes[i].n * (double)shapes[i].k * shapes[i].count;
            double gf = rb_bench_sgemm_gflops(shapes[i].m, shapes[i].n, shapes[i].k, 2);
            flops += f;
            ref += gf > 0 ? f / (gf * 1e9) : 0;
        }
    }
    /* eval: one 1,000-snippet video, whole (hlnet) or row by row (mlp) */
    int64_t offs[2] = {0, VIDEO};
    double e_m = 1e30, e_h = 1e30;
    int in_range = 1;
    for (int round = 0; ok && round < 3; round++) {
        double t0 = rb_now();
        ok &= rb_detector_score_videos(&mlp, RB_INPUT_VISUAL, x, DV, offs, 1, scores) == RB_OK;
        double t1 = rb_now();
        ok &= rb_detector_score_videos(&hl, RB_INPUT_VISUAL, x, DV, offs, 1, scores) == RB_OK;
        double t2 = rb_now();
        e_m = fmin(e_m, t1 - t0);
        e_h = fmin(e_h, t2 - t1);
    }
    for (int i = 0; ok && i < VIDEO; i++) in_range &= scores[i] > 0.0f && scores[i] < 1.0f;
    if (!ok) {
        rb_bench_check("hlnet", 0, rb_error_message());
    } else {
        double gflops = flops / t_h * 1e-9, ref_gflops = ref > 0 ? flops / ref * 1e-9 : 0;
        double ratio = ref_gflops > 0 ? gflops / ref_gflops : 0;
        rb_bench_report("hlnet_train_group",
                        "rows=%d bags=%d hlnet_seconds=%.4f hlnet_gflops=%.1f sgemm_gflops=%.1f ratio=%.3f "
                        "mlp_seconds=%.4f added_cost=%.2fx loss_mlp=%.4f loss_hlnet=%.4f",
                        R, BAGS, t_h, gflops, ref_gflops, ratio, t_m, t_h / t_m, loss_m, loss_h);
        rb_bench_report("hlnet_score_video", "snippets=%d hlnet_seconds=%.4f mlp_seconds=%.4f added_cost=%.2fx "
                        "hlnet_snippets_per_s=%.0f", VIDEO, e_h, e_m, e_h / e_m, VIDEO / e_h);
        rb_bench_check("hlnet", isfinite(loss_h) && isfinite(loss_m), "losses finite");
        rb_bench_check("hlnet", in_range, "whole-video scores in (0, 1)");
        rb_bench_check("hlnet", ratio >= 0.6, "hlnet forward+backward reaches >= 60% of sgemm on the same shapes");
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

/* bench_train.c - training throughput of the detectors at the XD-Violence shapes: a minibatch of 128
 * bags x 200 snippets through 1024 -> 512 -> 128 -> 1 (visual) and 1152 -> 512 -> 128 -> 1 (concat).
 * Reports the achieved GFLOP/s of one forward+backward pass next to what cblas_sgemm reaches on the
 * same GEMM shapes in the same run (rb_bench_sgemm_gflops), their ratio (target >= 0.6), and the
 * end-to-end snippets/s of rb_train_detector; verifies that the loss is finite and decreases. */
#include "rb_bench.h"
#include "rb_core.h"
#include "rb_data.h"
#include "rb_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BAGS = 128, SNIPS = 200, DV = 1024, DA = 128, H1 = 512, H2 = 128 };

/* 128 videos x 200 snippets, one crop; odd videos carry a 12-snippet segment shifted along a fixed
 * direction in both modalities, so a few steps visibly lower the loss. */
static int make_bench_split(rb_split *s) {
    RB_TRY(rb_split_alloc(s, BAGS, (int64_t)BAGS * SNIPS, 1, DV, DA, 0));
    rb_rng r;
    rb_rng_init(&r, 1, RB_PURPOSE_TEST, 7, 0, 0);
    for (int64_t i = 0; i < (int64_t)BAGS * SNIPS * DV; i++) s->visual[i] = (float)rb_rng_normal(&r);
    for (int64_t i = 0; i < (int64_t)BAGS * SNIPS * DA; i++) s->audio[i] = (float)rb_rng_normal(&r);
    for (int v = 0; v < BAGS; v++) {
        s->offsets[v + 1] = (int64_t)(v + 1) * SNIPS;
        s->labels[v] = (uint8_t)(v % 2);
        if (!s->labels[v]) continue;
        int64_t at = (int64_t)v * SNIPS + 50 + (v * 7) % 100;
        for (int64_t t = at; t < at + 12; t++) {
            for (int i = 0; i < DV; i += 2) s->visual[t * DV + i] += 0.5f;
            for (int i = 0; i < DA; i += 2) s->audio[t * DA + i] += 0.5f;
        }
    }
    return RB_OK;
}

/* The GEMM shapes (m, n, k) of one forward+backward pass (layer-1 input gradients are not needed). */
static int step_shapes(rb_detector_kind kind, int rows, int shapes[][3]) {
    int n = 0;
#define RB_SHAPE(m_, n_, k_) (shapes[n][0] = (m_), shapes[n][1] = (n_), shapes[n][2] = (k_), n++)
    if (kind == RB_DET_CONCAT) {
        RB_SHAPE(rows, H1, DV); RB_SHAPE(rows, H1, DA); /* forward 1, two input blocks */
        RB_SHAPE(DV, H1, rows); RB_SHAPE(DA, H1, rows); /* weight gradient 1 */
    } else {
        RB_SHAPE(rows, H1, DV);
        RB_SHAPE(DV, H1, rows);
    }
    RB_SHAPE(rows, H2, H1); RB_SHAPE(rows, 1, H2);   /* forward 2, 3 */
    RB_SHAPE(H1, H2, rows); RB_SHAPE(H2, 1, rows);   /* weight gradients 2, 3 */
    RB_SHAPE(rows, H1, H2); RB_SHAPE(rows, H2, 1);   /* input gradients of 3 and 2 */
#undef RB_SHAPE
    return n;
}

static void bench_kind(const char *name, rb_detector_kind kind, const rb_split *s) {
    const int64_t R = (int64_t)BAGS * SNIPS;
    rb_train_params p;
    rb_train_params_default(&p);
    p.epochs = 3;
    p.lr = 1e-3;
    p.seed = 11;
    rb_detector d;
    if (rb_train_detector_init(&d, kind, DV, DA, &p) != RB_OK) {
        rb_bench_check(name, 0, rb_error_message());
        return;
    }
    /* 1. one forward+backward pass over the whole minibatch, timed (best of 3) */
    int64_t start[BAGS];
    int32_t len[BAGS];
    float labels[BAGS];
    uint32_t ids[BAGS];
    for (int b = 0; b < BAGS; b++) {
        start[b] = (int64_t)b * SNIPS;
        len[b] = SNIPS;
        labels[b] = (float)s->labels[b];
        ids[b] = (uint32_t)b;
    }
    rb_det_batch bt = {.xv = s->visual, .rows_v = R, .xa = kind == RB_DET_CONCAT ? s->audio : NULL,
                       .rows_a = kind == RB_DET_CONCAT ? R : 0, .n_bags = BAGS, .start = start,
                       .len = len, .labels = labels, .dropout_on = 1, .seed = 1, .bag_id = ids};
    rb_det_work w;
    float *grad = malloc(sizeof(float) * (size_t)d.n_params);
    if (!grad || rb_det_work_alloc(&w, &d, R) != RB_OK) {
        rb_bench_check(name, 0, "allocating the training workspace");
        free(grad);
        rb_detector_free(&d);
        return;
    }
    /* Rounds alternate the pass and the reference GEMMs, so both see the same machine load; the best
     * of the rounds counts for each. */
    int shapes[12][3], ns = step_shapes(kind, (int)R, shapes);
    double best = 1e30, ref_best[12], loss = 0;
    for (int i = 0; i < ns; i++) ref_best[i] = 1e30;
    int ok = 1;
    for (int round = 0; round < 3; round++) {
        double t0 = rb_now();
        ok &= rb_detector_loss_grad(&d, &bt, &w, &loss, grad) == RB_OK;
        double dt = rb_now() - t0;
        if (dt < best) best = dt;
        for (int i = 0; i < ns; i++) {
            double gf = rb_bench_sgemm_gflops(shapes[i][0], shapes[i][1], shapes[i][2], 1);
            double t = gf > 0 ? 2.0 * shapes[i][0] * shapes[i][1] * (double)shapes[i][2] / (gf * 1e9) : 1e30;
            if (t < ref_best[i]) ref_best[i] = t;
        }
    }
    const int din = d.d_in;
    double flops = rb_detector_train_flops(&d, R, 0);
    double gflops = flops / best * 1e-9;
    double tref = 0;
    for (int i = 0; i < ns; i++) tref += ref_best[i];
    double ref_gflops = tref > 0 ? flops / tref * 1e-9 : 0;
    double ratio = ref_gflops > 0 ? gflops / ref_gflops : 0;
    rb_det_work_free(&w);
    free(grad);

    /* 2. end-to-end training steps (gather, dropout, MIL, Adam): 3 epochs of one minibatch */
    rb_train_log log;
    ok &= rb_train_detector(&d, s, &p, &log) == RB_OK;
    if (!ok) {
        rb_bench_check(name, 0, rb_error_message());
        rb_detector_free(&d);
        return;
    }
    double sps = 0;
    for (int e = 0; e < log.n_epochs; e++) sps = fmax(sps, log.snippets_per_s[e]);
    rb_bench_report(name,
                    "rows=%lld d_in=%d step_seconds=%.4f step_gflops=%.1f sgemm_gflops=%.1f ratio=%.3f "
                    "train_snippets_per_s=%.0f loss0=%.5f loss2=%.5f",
                    (long long)R, din, best, gflops, ref_gflops, ratio, sps, log.loss[0], log.loss[2]);
    int finite = isfinite(log.loss[0]) && isfinite(log.loss[1]) && isfinite(log.loss[2]);
    rb_bench_check(name, finite && log.loss[2] < log.loss[0], "training loss finite and decreasing over 3 steps");
    rb_bench_check(name, ratio >= 0.6, "forward+backward reaches >= 60% of sgemm on the same shapes");
    rb_train_log_free(&log);
    rb_detector_free(&d);
}

RB_BENCH(train_step) {
    rb_split s;
    if (make_bench_split(&s) != RB_OK) {
        rb_bench_check("train_step", 0, rb_error_message());
        return;
    }
    bench_kind("train_step_visual", RB_DET_VISUAL, &s);
    bench_kind("train_step_concat", RB_DET_CONCAT, &s);
    rb_split_free(&s);
}

/* The mlp shared detector's folded audio path in training: one gradient group of `bags` bags x 200
 * snippets, half fed visual and half audio, forward + backward with and without the fold (medians of
 * 5 thread CPU times), for the protocol's group (batch 128 over 8 groups: 16 bags) and the default
 * job's (batch 16: 2 bags); which one rb_detector_fold_pays picks; and the two gradients' largest
 * relative difference (float rounding). */
static void bench_fold(const rb_split *s, int bags) {
    rb_detector d;
    if (rb_detector_init(&d, RB_DET_SHARED, DV, DA, H1, H2, 0.6f, 3, 0) != RB_OK) {
        rb_bench_check("train_fold", 0, rb_error_message());
        return;
    }
    int64_t start[BAGS];
    int32_t len[BAGS];
    float labels[BAGS];
    uint32_t ids[BAGS];
    const int n_vis = bags / 2;
    for (int b = 0; b < bags; b++) { /* visual bags first, then the audio bags' rows */
        start[b] = (int64_t)b * SNIPS;
        len[b] = SNIPS;
        labels[b] = (float)s->labels[b];
        ids[b] = (uint32_t)b;
    }
    const int64_t rv = (int64_t)n_vis * SNIPS, ra = (int64_t)(bags - n_vis) * SNIPS;
    rb_det_batch bt = {.xv = s->visual, .rows_v = rv, .xa = s->audio, .rows_a = ra, .n_bags = bags,
                       .start = start, .len = len, .labels = labels, .dropout_on = 1, .seed = 1, .bag_id = ids};
    rb_det_work w;
    float *g[2] = {malloc(sizeof(float) * (size_t)d.n_params), malloc(sizeof(float) * (size_t)d.n_params)};
    if (!g[0] || !g[1] || rb_det_work_alloc(&w, &d, rv + ra) != RB_OK) {
        rb_bench_check("train_fold", 0, "allocating the training workspace");
        free(g[0]);
        free(g[1]);
        rb_detector_free(&d);
        return;
    }
    double t[2][5], loss[2] = {0, 0};
    int ok = 1;
    for (int rep = 0; rep < 5; rep++)
        for (int f = 0; f < 2; f++) { /* alternating, so both see the same load */
            bt.audio_fold = f ? 1 : -1;
            double t0 = rb_bench_cpu_seconds();
            ok &= rb_detector_loss_grad(&d, &bt, &w, &loss[f], g[f]) == RB_OK;
            t[f][rep] = rb_bench_cpu_seconds() - t0;
        }
    double worst = 0;
    for (int64_t i = 0; i < d.n_params; i++)
        worst = fmax(worst, fabs((double)g[1][i] - g[0][i]) / fmax(1.0, fabs((double)g[0][i])));
            const double unfolded = rb_bench_median(t[0], 5), folded = rb_bench_median(t[1], 5);
    rb_bench_report("train_fold", "bags=%d rows_visual=%lld rows_audio=%lld unfolded_s=%.4f folded_s=%.4f "
                    "speedup=%.2f chosen=%s max_rel_grad_diff=%.2g",
                    bags, (long long)rv, (long long)ra, unfolded, folded, unfolded / folded,
                    rb_detector_fold_pays(&d, ra) ? "folded" : "unfolded", worst);
    rb_bench_check("train_fold", ok && isfinite(loss[0]) && fabs(loss[0] - loss[1]) <= 1e-4 * fabs(loss[0]) && worst < 1e-3,
                   "folded and unfolded loss and gradients agree");
    rb_det_work_free(&w);
    free(g[0]);
    free(g[1]);
    rb_detector_free(&d);
}

RB_BENCH(train_fold) {
    rb_split s;
    if (make_bench_split(&s) != RB_OK) {
        rb_bench_check("train_fold", 0, rb_error_message());
        return;
    }
    bench_fold(&s, 16);
    bench_fold(&s, 2);
    rb_split_free(&s);
}

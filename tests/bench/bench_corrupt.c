/* bench_corrupt.c - throughput of the feature-space corruption surrogates (rb_corrupt.h): snippets
 * per second of rb_corrupt_video for every corruption at severity 3, on 1024-d visual (one crop)
 * and 128-d audio features, streamed video by video through one buffer as the grid does.
 * Verification: a second pass gives identical bytes, outputs are finite, visual outputs are
 * nonnegative, and every operator changes the features. */
#include "rb_bench.h"
#include "rb_core.h"
#include "rb_corrupt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_VIDEOS 48
#define BENCH_DV 1024
#define BENCH_DA 128

/* Nonnegative AR(1) visual, signed AR(1) audio; lengths 20..179 snippets. */
static int bench_split(rb_split *s, uint32_t seed) {
    int64_t len[BENCH_VIDEOS], total = 0;
    for (int v = 0; v < BENCH_VIDEOS; v++) total += len[v] = 20 + (v * 37) % 160;
    RB_TRY(rb_split_alloc(s, BENCH_VIDEOS, total, 1, BENCH_DV, BENCH_DA, 0));
    for (int v = 0; v < BENCH_VIDEOS; v++) s->offsets[v + 1] = s->offsets[v] + len[v];
    static float zv[BENCH_DV], za[BENCH_DA];
    rb_rng r;
    for (int v = 0; v < BENCH_VIDEOS; v++) {
        rb_rng_init(&r, seed, RB_PURPOSE_TEST, (uint32_t)v, 0, 0);
        for (int d = 0; d < BENCH_DV; d++) zv[d] = (float)rb_rng_normal(&r);
        for (int d = 0; d < BENCH_DA; d++) za[d] = (float)rb_rng_normal(&r);
        for (int64_t t = s->offsets[v]; t < s->offsets[v + 1]; t++) {
            float *x = rb_split_visual_at(s, t, 0), *y = rb_split_audio_at(s, t);
            for (int d = 0; d < BENCH_DV; d++) {
                zv[d] = 0.8f * zv[d] + 0.6f * (float)rb_rng_normal(&r);
                float val = 0.5f + 0.4f * zv[d];
                x[d] = val > 0.0f ? val : 0.0f;
            }
            for (int d = 0; d < BENCH_DA; d++) {
                za[d] = 0.8f * za[d] + 0.6f * (float)rb_rng_normal(&r);
                y[d] = za[d];
            }
        }
    }
    return RB_OK;
}

/* One pass over the split; returns a checksum of the outputs (order-sensitive) or NAN on error. */
static double bench_pass(const rb_corrupt_ctx *ctx, const rb_corruption *c, const rb_split *s, float *buf,
                         int *nonneg, int *finite, int *changed) {
    const int32_t D = c->modality == RB_MOD_VISUAL ? s->d_visual : s->d_audio;
    double sum = 0.0;
    for (int64_t v = 0; v < s->n_videos; v++) {
        if (rb_corrupt_video(ctx, c, 3, s, v, 0, buf) != RB_OK) return NAN;
        const size_t n = (size_t)rb_split_video_len(s, v) * (size_t)D;
        const float *x = c->modality == RB_MOD_VISUAL ? rb_split_visual_at(s, s->offsets[v], 0)
                                                          : rb_split_audio_at(s, s->offsets[v]);
        for (size_t i = 0; i < n; i++) {
            sum += (double)buf[i] * (double)((i % 7) + 1);
            *nonneg &= buf[i] >= 0.0f;
            *finite &= isfinite(buf[i]) != 0;
            *changed |= buf[i] != x[i];
        }
    }
    return sum;
}

RB_BENCH(corrupt_throughput) {
    rb_split train, test;
    rb_clean_stats sv, sa;
    rb_corrupt_ctx ctx;
    if (bench_split(&train, 1) != RB_OK || bench_split(&test, 2) != RB_OK ||
        rb_clean_stats_compute(&train, RB_MOD_VISUAL, &sv) != RB_OK ||
        rb_clean_stats_compute(&train, RB_MOD_AUDIO, &sa) != RB_OK ||
        rb_corrupt_ctx_init(&ctx, 42, 0, &sv, &sa) != RB_OK) {
        rb_bench_check("corrupt_throughput", 0, rb_error_message());
        return;
    }
    float *buf = malloc(sizeof(float) * rb_corrupt_video_floats(&test, RB_MOD_VISUAL));
    const double S = (double)test.n_snippets;
    int all_ok = 1;
    for (int i = 0; i < rb_corrupt_count(); i++) {
        const rb_corruption *c = rb_corrupt_at(i);
        if (c->is_missing) continue;
        int nonneg = 1, finite = 1, changed = 0, d1 = 1, d2 = 1, d3 = 0;
        double best = 1e30, ref = 0.0, again = 0.0;
        int reps = 0;
        double t_total = 0.0;
        while (reps < 3 || (t_total < 0.3 && reps < 50)) {
            double t0 = rb_now();
            double sum = reps == 0 ? bench_pass(&ctx, c, &test, buf, &nonneg, &finite, &changed)
                                   : bench_pass(&ctx, c, &test, buf, &d1, &d2, &d3);
            double dt = rb_now() - t0;
            if (reps == 0) ref = sum;
            else again = sum;
            t_total += dt;
            if (dt < best) best = dt;
            reps++;
        }
        const int32_t D = c->modality == RB_MOD_VISUAL ? BENCH_DV : BENCH_DA;
        char name[64];
        snprintf(name, sizeof name, "corrupt_%s_%s", rb_modality_name(c->modality), c->name);
        rb_bench_report(name, "dim=%d snippets=%.0f severity=3 seconds=%.5f snippets_per_s=%.4g MB_per_s=%.1f", D, S,
                        best, S / best, S * D * 4.0 / best * 1e-6);
        int ok = !isnan(ref) && ref == again && finite && changed &&
                 (c->modality != RB_MOD_VISUAL || nonneg);
        all_ok &= ok;
        if (!ok)
            printf("  %s: deterministic %d finite %d changed %d nonneg %d\n", name, ref == again, finite, changed, nonneg);
    }
    rb_bench_check("corrupt_throughput", all_ok,
                   "every operator deterministic across passes, finite, changes the features, visual >= 0");
    free(buf);
    rb_corrupt_ctx_free(&ctx);
    rb_clean_stats_free(&sv);
    rb_clean_stats_free(&sa);
    rb_split_free(&train);
    rb_split_free(&test);
}

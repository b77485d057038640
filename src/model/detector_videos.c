/* detector_videos.c - scoring whole videos (rb_model.h): the mlp detectors score rows independently;
 * an hlnet detector builds one graph over all snippets of each video (as the public test.py does),
 * through the same forward pass as training, in eval mode. */
#include "rb_model.h"

#include "rb_core.h"

#include <stdlib.h>
#include <string.h>

static int rb_videos_check(const rb_detector *d, const int64_t *offsets, int64_t n_videos, int64_t *max_len) {
    *max_len = 0;
    for (int64_t v = 0; v < n_videos; v++) {
        int64_t t = offsets[v + 1] - offsets[v];
        if (t < 0) return rb_fail("detector %s: video %lld has a negative length", rb_detector_kind_name(d->kind), (long long)v);
        if (t > *max_len) *max_len = t;
    }
    if (*max_len > 0x7fffffff / 16)
        return rb_fail("detector %s: a video of %lld snippets is longer than hlnet scoring supports",
                       rb_detector_kind_name(d->kind), (long long)*max_len);
    return RB_OK;
}

static void rb_copy_rows(float *dst, const float *src, int64_t rows, int width, int ld) {
    for (int64_t i = 0; i < rows; i++) memcpy(dst + i * width, src + i * ld, sizeof(float) * (size_t)width);
}

/* One hlnet pass per video; xv / xa may be NULL when the input is not used. */
static int rb_hlnet_score_videos(const rb_detector *d, const float *xv, int ldv, const float *xa,
                                 int lda, const int64_t *offsets, int64_t n_videos, float *scores) {
    int64_t max_len;
    RB_TRY(rb_videos_check(d, offsets, n_videos, &max_len));
    if (max_len == 0) return RB_OK;
    const int dv = d->d_visual, da = d->d_audio;
    rb_det_work w;
    RB_TRY(rb_det_work_alloc(&w, d, max_len));
    float *bv = xv ? rb_malloc(sizeof(float) * (size_t)max_len * (size_t)dv, "video visual rows") : NULL;
    float *ba = xa ? rb_malloc(sizeof(float) * (size_t)max_len * (size_t)da, "video audio rows") : NULL;
    int rc = (xv && !bv) || (xa && !ba) ? RB_ERR : RB_OK;
    for (int64_t v = 0; rc == RB_OK && v < n_videos; v++) {
        int64_t t = offsets[v + 1] - offsets[v], r0 = offsets[v] - offsets[0];
        if (t == 0) continue;
        if (xv) rb_copy_rows(bv, xv + r0 * ldv, t, dv, ldv);
        if (xa) rb_copy_rows(ba, xa + r0 * lda, t, da, lda);
        int64_t start = 0;
        int32_t len = (int32_t)t;
        rb_det_batch b = {.xv = bv, .rows_v = xv ? t : 0, .xa = ba, .rows_a = xa ? t : 0, .n_bags = 1, .start = &start,
                          .len = &len, .dropout_on = 0};
        rc = rb_detector_loss_grad(d, &b, &w, NULL, NULL);
        if (rc != RB_OK) rc = rb_context("video %lld", (long long)v);
        for (int64_t i = 0; rc == RB_OK && i < t; i++) scores[r0 + i] = (float)rb_nn_sigmoid(w.z3[i]);
    }
    free(bv);
    free(ba);
    rb_det_work_free(&w);
    return rc;
}

int rb_detector_score_videos(const rb_detector *d, rb_det_input input, const float *x, int ld,
                             const int64_t *offsets, int64_t n_videos, float *scores) {
    if (d->arch != RB_ARCH_HLNET)
        return rb_detector_score(d, input, x, offsets[n_videos] - offsets[0], ld, scores);
    if (!rb_detector_accepts(d, input))
        return rb_fail("detector %s: cannot score %s input alone%s", rb_detector_kind_name(d->kind),
                       input == RB_INPUT_VISUAL ? "visual" : "audio",
                       d->kind == RB_DET_CONCAT ? " (use rb_detector_score_concat_videos)" : "");
    int width = input == RB_INPUT_VISUAL ? d->d_visual : d->d_audio;
    if (ld < width)
        return rb_fail("detector %s: leading dimension %d is below the feature width %d", rb_detector_kind_name(d->kind),
                       ld, width);
    if (input == RB_INPUT_VISUAL) return rb_hlnet_score_videos(d, x, ld, NULL, 0, offsets, n_videos, scores);
    return rb_hlnet_score_videos(d, NULL, 0, x, ld, offsets, n_videos, scores);
}

int rb_detector_score_concat_videos(const rb_detector *d, const float *xv, int ldv, const float *xa, int lda,
                                    const int64_t *offsets, int64_t n_videos, float *scores) {
    if (d->arch != RB_ARCH_HLNET)
        return rb_detector_score_concat(d, xv, ldv, xa, lda, offsets[n_videos] - offsets[0], scores);
    if (d->kind != RB_DET_CONCAT)
        return rb_fail("detector %s: rb_detector_score_concat_videos needs a concat detector", rb_detector_kind_name(d->kind));
    if (ldv < d->d_visual || lda < d->d_audio)
        return rb_fail("detector concat: leading dimensions %d/%d are below the feature widths %d/%d", ldv, lda,
                       d->d_visual, d->d_audio);
    return rb_hlnet_score_videos(d, xv, ldv, xa, lda, offsets, n_videos, scores);
}

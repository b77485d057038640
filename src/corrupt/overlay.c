/* overlay.c - another video on top (RB_CORRUPT_OP_OVERLAY): y_t = x_t + p0*(v_{(t+o) mod T_v} - mu),
 * v the features of a partner video of the same test split, looped from a start offset o. Unlike
 * video_mix.c's convex mix, which pulls the features toward the partner (and so toward the clean
 * mean on average), this adds the partner's deviation from the clean mean at full strength, so the
 * spread grows by about (1 + p0^2) and the features leave the clean manifold: a spreading surrogate.
 * Partner and offset come from the per-video stream shared by every crop (drawn exactly as in
 * video_mix.c), so they do not change with severity. */
#include "rb_corrupt.h"

#include "operator.h"

static int rb_apply_overlay(const rb_op_video *v, rb_rng *r) {
    const rb_split *test = v->test;
    uint32_t j = rb_rng_below(r, (uint32_t)(test->n_videos - 1));
    int64_t partner = (int64_t)j >= v->video ? (int64_t)j + 1 : (int64_t)j;
    int64_t tp = rb_split_video_len(test, partner);
    int64_t off = (int64_t)rb_rng_below(r, (uint32_t)tp);
    const float gain = (float)v->p0;
    const float *pbase = v->base + (size_t)test->offsets[partner] * v->stride;
    for (int64_t t = 0; t < v->T; t++) {
        const float *p = pbase + (size_t)((t + off) % tp) * v->stride;
        rb_row_overlay(rb_op_out_row(v, t), rb_op_in_row(v, t), p, v->mu, gain, v->D);
    }
    return RB_OK;
}

const rb_corrupt_ops rb_ops_overlay = {
    .name = "overlay", .stream = RB_OP_STREAM_VIDEO, .uses_clean_stats = 1, .min_videos = 2,
    .apply = rb_apply_overlay};

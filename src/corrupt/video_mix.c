/* video_mix.c - mixing with another video (RB_CORRUPT_OP_MIX_VIDEO): (1-p0)*x + p0*y, y the
 * features of a partner video of the same test split, looped from a start offset. Partner and
 * offset come from the per-video stream shared by every crop, so they do not change with severity. */
#include "rb_corrupt.h"

#include "operator.h"

/* Partner video (uniform over the other videos) and start offset from the per-video stream. */
static int rb_apply_mix_video(const rb_op_video *v, rb_rng *r) {
    const rb_split *test = v->test;
    uint32_t j = rb_rng_below(r, (uint32_t)(test->n_videos - 1));
    int64_t partner = (int64_t)j >= v->video ? (int64_t)j + 1 : (int64_t)j;
    int64_t tp = rb_split_video_len(test, partner);
    int64_t off = (int64_t)rb_rng_below(r, (uint32_t)tp);
    const float keep = (float)(1.0 - v->p0), mix = (float)v->p0;
    const float *pbase = v->base + (size_t)test->offsets[partner] * v->stride;
    for (int64_t t = 0; t < v->T; t++) {
        const float *p = pbase + (size_t)((t + off) % tp) * v->stride;
        rb_row_mix(rb_op_out_row(v, t), rb_op_in_row(v, t), p, keep, mix, v->D);
    }
    return RB_OK;
}

const rb_corrupt_ops rb_ops_mix_video = {
    .name = "mix_video", .stream = RB_OP_STREAM_VIDEO, .uses_clean_stats = 1, .min_videos = 2,
    .apply = rb_apply_mix_video};

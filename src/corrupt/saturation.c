/* saturation.c - saturation (RB_CORRUPT_OP_CLIP): values capped at min(x, mu + p0*sigma) per dim.
 * No randomness. */
#include "rb_corrupt.h"

#include "operator.h"

static int rb_apply_clip(const rb_op_video *v, rb_rng *r) {
    (void)r;
    const float k = (float)v->p0;
    for (int64_t t = 0; t < v->T; t++) rb_row_clip(rb_op_out_row(v, t), rb_op_in_row(v, t), v->mu, v->sd, k, v->D);
    return RB_OK;
}

const rb_corrupt_ops rb_ops_clip = {
    .name = "clip", .stream = RB_OP_STREAM_NONE, .uses_clean_stats = 1, .apply = rb_apply_clip};

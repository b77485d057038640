/* dropout.c - snippet dropout: a snippet is lost with probability p0 and either repeats the last
 * snippet received (RB_CORRUPT_OP_DROP_FREEZE, frame drop) or becomes zeros (RB_CORRUPT_OP_DROP_ZERO,
 * packet loss). The drop draws come from the per-video stream shared by every crop. */
#include "rb_corrupt.h"

#include "operator.h"

#include <string.h>

/* Snippet t is dropped iff u_t < p, u_t the t-th uniform of the per-video stream (shared by crops
 * and severities, so drop sets are nested across severities). */
static void rb_drop_snippets(const rb_op_video *v, int freeze, rb_rng *r) {
    const double p = v->p0;
    const size_t row = sizeof(float) * (size_t)v->D;
    int64_t last_kept = -1;
    for (int64_t t = 0; t < v->T; t++) {
        int dropped = rb_rng_uniform(r) < p;
        float *y = rb_op_out_row(v, t);
        if (!dropped) {
            memcpy(y, rb_op_in_row(v, t), row);
            last_kept = t;
        } else if (!freeze) {
            memset(y, 0, row);
        } else if (last_kept >= 0) {
            memcpy(y, rb_op_out_row(v, last_kept), row);
        } else { /* nothing received yet: a neutral frame, the clean mean */
            memcpy(y, v->mu, row);
        }
    }
}

static int rb_apply_drop_freeze(const rb_op_video *v, rb_rng *r) {
    rb_drop_snippets(v, 1, r);
    return RB_OK;
}

static int rb_apply_drop_zero(const rb_op_video *v, rb_rng *r) {
    rb_drop_snippets(v, 0, r);
    return RB_OK;
}

const rb_corrupt_ops rb_ops_drop_freeze = {
    .name = "drop_freeze", .stream = RB_OP_STREAM_VIDEO, .uses_clean_stats = 1, .row_linear = 1,
    .apply = rb_apply_drop_freeze};
const rb_corrupt_ops rb_ops_drop_zero = {
    .name = "drop_zero", .stream = RB_OP_STREAM_VIDEO, .uses_clean_stats = 1, .row_linear = 1,
    .apply = rb_apply_drop_zero};

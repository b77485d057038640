/* smoothing.c - temporal smoothing over the snippets of a video: the centred moving average
 * (RB_CORRUPT_OP_MOVING_AVERAGE, width p0, truncated at the ends) and causal exponential smoothing
 * (RB_CORRUPT_OP_EXP_SMOOTHING, y_0 = x_0, y_t = p0*y_{t-1} + (1-p0)*x_t). No randomness. */
#include "rb_corrupt.h"

#include "operator.h"

#include <stdlib.h>
#include <string.h>

static int rb_apply_moving_average(const rb_op_video *v, rb_rng *r) {
    (void)r;
    const int width = (int)v->p0;
    const int64_t h = width / 2, T = v->T;
    const int32_t D = v->D;
    double *acc = rb_calloc((size_t)D, sizeof *acc, "moving-average accumulator");
    if (!acc) return RB_ERR;
    int64_t lo = 0, hi = -1; /* window rows lo..hi are in acc */
    for (int64_t t = 0; t < T; t++) {
        int64_t want_lo = t - h < 0 ? 0 : t - h, want_hi = t + h >= T ? T - 1 : t + h;
        while (hi < want_hi) rb_row_accumulate(acc, rb_op_in_row(v, ++hi), D);
        while (lo < want_lo) rb_row_deaccumulate(acc, rb_op_in_row(v, lo++), D);
        rb_row_scaled(rb_op_out_row(v, t), acc, 1.0 / (double)(hi - lo + 1), D);
    }
    free(acc);
    return RB_OK;
}

static int rb_apply_exp_smoothing(const rb_op_video *v, rb_rng *r) {
    (void)r;
    const float alpha = (float)v->p0;
    memcpy(rb_op_out_row(v, 0), rb_op_in_row(v, 0), sizeof(float) * (size_t)v->D);
    /* x + alpha*(prev - x): a constant sequence stays exactly constant. */
    for (int64_t t = 1; t < v->T; t++)
        rb_row_exp_smooth(rb_op_out_row(v, t), rb_op_in_row(v, t), rb_op_out_row(v, t - 1), alpha, v->D);
    return RB_OK;
}

const rb_corrupt_ops rb_ops_moving_average = {
    .name = "moving_average", .stream = RB_OP_STREAM_NONE, .uses_clean_stats = 1, .row_linear = 1,
    .apply = rb_apply_moving_average};
const rb_corrupt_ops rb_ops_exp_smoothing = {
    .name = "exp_smoothing", .stream = RB_OP_STREAM_NONE, .uses_clean_stats = 1, .row_linear = 1,
    .apply = rb_apply_exp_smoothing};

/* detail.c - detail attenuation (RB_CORRUPT_OP_DETAIL): mu + p1*(x - mu) on the first ceil(p0*D)
 * dims of the entry's fixed dimension order (drawn once per context, the other dims untouched). */
#include "rb_corrupt.h"

#include "operator.h"

#include <math.h>

static int rb_apply_detail(const rb_op_video *v, rb_rng *r) {
    (void)r;
    const int32_t *rank = v->ctx->rank[v->index];
    const int32_t n_att = (int32_t)ceil(v->p0 * v->D - 1e-9);
    const float k = (float)v->p1;
    for (int64_t t = 0; t < v->T; t++) {
        const float *x = rb_op_in_row(v, t);
        float *y = rb_op_out_row(v, t);
        for (int32_t d = 0; d < v->D; d++)
            y[d] = rank[d] < n_att ? v->mu[d] + k * (x[d] - v->mu[d]) : x[d];
    }
    return RB_OK;
}

const rb_corrupt_ops rb_ops_detail = {
    .name = "detail", .stream = RB_OP_STREAM_NONE, .uses_clean_stats = 1,
    .prepare = rb_corrupt_prepare_dim_order, .apply = rb_apply_detail};

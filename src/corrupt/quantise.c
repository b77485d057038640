/* quantise.c - quantisation: of the values (RB_CORRUPT_OP_QUANTISE, step*round(x/step), step =
 * p0*sigma, times p1 on the upper half of the entry's fixed dimension order) and of the resolution
 * (RB_CORRUPT_OP_BLOCK_AVERAGE: in standardised units z = (x-mu)/sigma the block mean zb over p0
 * adjacent dims, x' = mu + sigma*(zb + p1*(z - zb))). No per-video randomness. */
#include "rb_corrupt.h"

#include "operator.h"

#include <math.h>
#include <stdlib.h>

static int rb_apply_quantise(const rb_op_video *v, rb_rng *r) {
    (void)r;
    const int32_t *rank = v->ctx->rank[v->index];
    float *q = rb_malloc(sizeof *q * 2 * (size_t)v->D, "quantisation steps");
    if (!q) return RB_ERR;
    float *inv = q + v->D;
    const int32_t half = v->D / 2;
    for (int32_t d = 0; d < v->D; d++) {
        q[d] = (float)(v->p0 * v->sd[d] * (rank[d] >= half ? v->p1 : 1.0));
        inv[d] = 1.0f / q[d];
    }
    for (int64_t t = 0; t < v->T; t++) rb_row_quantise(rb_op_out_row(v, t), rb_op_in_row(v, t), q, inv, v->D);
    free(q);
    return RB_OK;
}

static int rb_apply_block_average(const rb_op_video *v, rb_rng *r) {
    (void)r;
    const int block = (int)v->p0;
    const double keep = v->p1;
    for (int64_t t = 0; t < v->T; t++) {
        const float *x = rb_op_in_row(v, t);
        float *y = rb_op_out_row(v, t);
        for (int32_t d0 = 0; d0 < v->D; d0 += block) {
            int32_t d1 = d0 + block < v->D ? d0 + block : v->D;
            double z = 0.0;
            for (int32_t d = d0; d < d1; d++) z += (x[d] - v->mu[d]) / v->sd[d];
            z /= (double)(d1 - d0);
            for (int32_t d = d0; d < d1; d++) {
                double zd = (x[d] - v->mu[d]) / v->sd[d];
                y[d] = (float)(v->mu[d] + v->sd[d] * (z + keep * (zd - z)));
            }
        }
    }
    return RB_OK;
}

const rb_corrupt_ops rb_ops_quantise = {
    .name = "quantise", .stream = RB_OP_STREAM_NONE, .uses_clean_stats = 1,
    .prepare = rb_corrupt_prepare_dim_order, .apply = rb_apply_quantise};
const rb_corrupt_ops rb_ops_block_average = {
    .name = "block_average", .stream = RB_OP_STREAM_NONE, .uses_clean_stats = 1,
    .apply = rb_apply_block_average};

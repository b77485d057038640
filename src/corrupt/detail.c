/* detail.c - detail attenuation (RB_CORRUPT_OP_DETAIL): mu + p1*(x - mu) on the first ceil(p0*D)
 * dims of the entry's fixed dimension order (drawn once per context, the other dims untouched). */
#include "rb_corrupt.h"

#include "operator.h"

#include <math.h>

/* The attenuated dims: the first ceil(p0 * D) of the entry's order. */
static int32_t rb_detail_count(double p0, int32_t D) { return (int32_t)ceil(p0 * D - 1e-9); }

static int rb_apply_detail(const rb_op_video *v, rb_rng *r) {
    (void)r;
    const int32_t *rank = v->ctx->rank[v->index];
    const int32_t n_att = rb_detail_count(v->p0, v->D);
    const float k = (float)v->p1;
    for (int64_t t = 0; t < v->T; t++) rb_row_detail(rb_op_out_row(v, t), rb_op_in_row(v, t), v->mu, rank, n_att, k, v->D);
    return RB_OK;
}

static void rb_detail_changed_dims(const rb_corrupt_ctx *ctx, int index, double p0, double p1, int32_t D, int32_t *dims,
                                   int32_t *n) {
    (void)p1;
    const int32_t *rank = ctx->rank[index], n_att = rb_detail_count(p0, D);
    *n = 0;
    for (int32_t d = 0; d < D; d++)
        if (rank[d] < n_att) dims[(*n)++] = d;
}

const rb_corrupt_ops rb_ops_detail = {
    .name = "detail", .stream = RB_OP_STREAM_NONE, .uses_clean_stats = 1,
    .prepare = rb_corrupt_prepare_dim_order, .apply = rb_apply_detail, .changed_dims = rb_detail_changed_dims};

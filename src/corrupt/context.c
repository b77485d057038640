/* context.c - the corruption context and the public entry points of the operators (rb_corrupt.h):
 * the read-only context (floored clean statistics, derived data built through each operator's
 * `prepare`), the RNG stream ids, and the per-video corruption that the grid streams through
 * (memory bounded by the longest video, not by the test set), dispatched through the table of
 * operations (operator.h). */
#include "rb_corrupt.h"

#include "operator.h"
#include "rb_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RB_CORRUPT_KIND_DERIVED 0xFFu  /* id1 low byte of the derived-data stream */
#define RB_CORRUPT_STD_FLOOR_REL 1e-3  /* std floor: this times the average std over dims */
#define RB_CORRUPT_STD_FLOOR_ABS 1e-8

/* ------------------------------------------------------------------ random streams */

void rb_corrupt_stream_ids(const rb_corrupt_ctx *ctx, const rb_corruption *c, int64_t video, int slot,
                           uint32_t ids[3]) {
    ids[0] = ctx->dataset_id;
    ids[1] = (uint32_t)c->id << 8;
    ids[2] = ((uint32_t)video << 4) | ((uint32_t)slot & 15u);
}

void rb_corrupt_derived_rng(const rb_corrupt_ctx *ctx, const rb_corruption *c, rb_rng *r) {
    rb_rng_init(r, ctx->seed, RB_PURPOSE_CORRUPT, ctx->dataset_id,
                ((uint32_t)c->id << 8) | RB_CORRUPT_KIND_DERIVED, 0);
}

int rb_corrupt_prepare_dim_order(rb_corrupt_ctx *ctx, const rb_corruption *c, int index) {
    const int32_t D = ctx->dim[c->modality];
    int32_t *perm = rb_malloc(sizeof *perm * (size_t)D, "dimension order");
    ctx->rank[index] = rb_malloc(sizeof(int32_t) * (size_t)D, "dimension ranks");
    if (!perm || !ctx->rank[index]) {
        free(perm);
        return RB_ERR;
    }
    rb_rng r;
    rb_corrupt_derived_rng(ctx, c, &r);
    rb_rng_permutation(&r, perm, D);
    for (int32_t k = 0; k < D; k++) ctx->rank[index][perm[k]] = k;
    free(perm);
    return RB_OK;
}

/* ------------------------------------------------------------------ context */

static int rb_ctx_set_modality(rb_corrupt_ctx *ctx, int m, const rb_clean_stats *st) {
    if (!st) return RB_OK;
    if (st->dim < 1 || !st->mean || !st->std)
        return rb_fail("%s statistics: expected dim >= 1 with mean and std, got dim %d",
                       rb_modality_name((rb_modality)m), st->dim);
    const int D = st->dim;
    ctx->mean[m] = rb_malloc(sizeof(float) * (size_t)D, "corruption means");
    ctx->std[m] = rb_malloc(sizeof(float) * (size_t)D, "corruption stds");
    if (!ctx->mean[m] || !ctx->std[m]) return RB_ERR;
    double avg = 0.0;
    for (int d = 0; d < D; d++) {
        if (!isfinite(st->mean[d]) || !isfinite(st->std[d]) || st->std[d] < 0.0)
            return rb_fail("%s statistics: dim %d: expected finite mean and std >= 0, got %g, %g",
                           rb_modality_name((rb_modality)m), d, st->mean[d], st->std[d]);
        avg += st->std[d];
    }
    avg /= D;
    double floor = RB_CORRUPT_STD_FLOOR_REL * avg;
    if (floor < RB_CORRUPT_STD_FLOOR_ABS) floor = RB_CORRUPT_STD_FLOOR_ABS;
    for (int d = 0; d < D; d++) {
        ctx->mean[m][d] = (float)st->mean[d];
        ctx->std[m][d] = (float)(st->std[d] > floor ? st->std[d] : floor);
    }
    ctx->dim[m] = D;
    ctx->nonnegative[m] = st->nonnegative;
    return RB_OK;
}

int rb_corrupt_ctx_init(rb_corrupt_ctx *ctx, uint32_t seed, uint32_t dataset_id,
                        const rb_clean_stats *visual, const rb_clean_stats *audio) {
    memset(ctx, 0, sizeof *ctx);
    ctx->seed = seed;
    ctx->dataset_id = dataset_id;
    if (rb_ctx_set_modality(ctx, RB_MOD_VISUAL, visual) != RB_OK ||
        rb_ctx_set_modality(ctx, RB_MOD_AUDIO, audio) != RB_OK)
        goto fail;
    for (int i = 0; i < RB_CORRUPT_COUNT; i++) {
        const rb_corruption *c = rb_corrupt_at(i);
        const rb_corrupt_ops *ops = rb_corrupt_ops_of(c);
        if (!ops) {
            rb_fail("%s %s: no operation for operator %d", rb_modality_name(c->modality), c->name, (int)c->op);
            goto fail;
        }
        if (ctx->dim[c->modality] == 0 || !ops->prepare) continue;
        if (ops->prepare(ctx, c, i) != RB_OK) goto fail;
    }
    return RB_OK;
fail:
    rb_corrupt_ctx_free(ctx);
    return rb_context("building the corruption context");
}

void rb_corrupt_ctx_free(rb_corrupt_ctx *ctx) {
    for (int m = 0; m < 2; m++) {
        free(ctx->mean[m]);
        free(ctx->std[m]);
    }
    for (int i = 0; i < RB_CORRUPT_COUNT; i++) {
        free(ctx->proto[i]);
        free(ctx->rank[i]);
    }
    memset(ctx, 0, sizeof *ctx);
}

int64_t rb_corrupt_max_video_len(const rb_split *s) {
    int64_t best = 0;
    for (int64_t v = 0; v < s->n_videos; v++) {
        int64_t len = rb_split_video_len(s, v);
        if (len > best) best = len;
    }
    return best;
}

size_t rb_corrupt_video_floats(const rb_split *s, rb_modality m) {
    size_t d = (size_t)(m == RB_MOD_VISUAL ? s->d_visual : s->d_audio);
    return (size_t)rb_corrupt_max_video_len(s) * d;
}

/* ------------------------------------------------------------------ per-video entry point */

/* The checks every operator shares: arguments, severity, video and crop in range and in the RNG
 * counter, and - for operators that use them - clean statistics of the split's width. */
static int rb_check_video_call(const rb_corrupt_ctx *ctx, const rb_corruption *c, const rb_corrupt_ops *ops,
                               int severity, const rb_split *test, int64_t video, int32_t crop) {
    RB_TRY(rb_corrupt_check_severity(c, severity));
    const int m = c->modality;
    const char *mname = rb_modality_name(c->modality);
    if (video < 0 || video >= test->n_videos)
        return rb_fail("%s %s: video index: expected 0..%lld, got %lld", mname, c->name,
                       (long long)test->n_videos - 1, (long long)video);
    if (video >= ((int64_t)1 << 28))
        return rb_fail("%s %s: video index %lld does not fit the RNG counter (expected < 2^28)", mname,
                       c->name, (long long)video);
    const int32_t ncrop = m == RB_MOD_VISUAL ? test->n_crops : 1;
    if (crop < 0 || crop >= ncrop)
        return rb_fail("%s %s: crop: expected 0..%d, got %d", mname, c->name, ncrop - 1, crop);
    if (crop >= RB_CORRUPT_MAX_CROPS)
        return rb_fail("%s %s: crop %d does not fit the RNG counter (expected < %d)", mname, c->name, crop,
                       RB_CORRUPT_MAX_CROPS);
    if (!ops->uses_clean_stats) return RB_OK;
    const int32_t D = m == RB_MOD_VISUAL ? test->d_visual : test->d_audio;
    if (ctx->dim[m] == 0)
        return rb_fail("%s %s: no clean %s statistics in the corruption context", mname, c->name, mname);
    if (ctx->dim[m] != D)
        return rb_fail("%s %s: feature width: expected %d (the clean statistics), got %d in the split",
                       mname, c->name, ctx->dim[m], D);
    if (test->n_videos < ops->min_videos)
        return rb_fail("%s %s: needs at least %lld videos in the split, got %lld", mname, c->name,
                       (long long)ops->min_videos, (long long)test->n_videos);
    return RB_OK;
}

/* x = x > 0 ? x : 0 (negative values, -0 and NaN give +0) */
RB_VECTOR_KERNEL static void rb_clamp_nonnegative(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

/* Run entry c's operator on one video whose clean rows are base + (offsets[video] + t) * stride,
 * width D, with the given statistics and prototype, into out [T][D]. The stream is the video's
 * (and crop's) whatever the rows are, so the same draws hit rows of any space. */
static int rb_corrupt_apply(const rb_corrupt_ctx *ctx, const rb_corruption *c, const rb_corrupt_ops *ops, int severity,
                            const rb_split *test, int64_t video, int32_t crop, const float *base, size_t stride,
                            int32_t D, const float *mu, const float *sd, const float *proto, float *out) {
    const rb_op_video v = {
        .ctx = ctx, .c = c, .index = rb_corrupt_index(c), .test = test, .video = video, .base = base,
        .in = base + (size_t)test->offsets[video] * stride, .stride = stride,
        .T = rb_split_video_len(test, video), .D = D, .mu = mu, .sd = sd, .proto = proto, .out = out,
        .p0 = severity > 0 ? c->param[0][severity - 1] : 0.0, .p1 = severity > 0 ? c->param[1][severity - 1] : 0.0};
    rb_rng r;
    if (ops->stream != RB_OP_STREAM_NONE) {
        uint32_t ids[3];
        rb_corrupt_stream_ids(ctx, c, video, ops->stream == RB_OP_STREAM_CROP ? crop : RB_CORRUPT_SLOT_VIDEO, ids);
        rb_rng_init(&r, ctx->seed, RB_PURPOSE_CORRUPT, ids[0], ids[1], ids[2]);
    }
    if (ops->apply(&v, ops->stream != RB_OP_STREAM_NONE ? &r : NULL) != RB_OK)
        return rb_context("%s %s severity %d, video %lld", rb_modality_name(c->modality), c->name, severity,
                          (long long)video);
    return RB_OK;
}

int rb_corrupt_video(const rb_corrupt_ctx *ctx, const rb_corruption *c, int severity, const rb_split *test,
                     int64_t video, int32_t crop, float *out) {
    const int idx = rb_corrupt_index(c);
    const rb_corrupt_ops *ops = idx >= 0 ? rb_corrupt_ops_of(c) : NULL;
    if (!ctx || !test || !out || !ops)
        return rb_fail("corrupting a video: expected a context, a registry entry, a split and a buffer");
    RB_TRY(rb_check_video_call(ctx, c, ops, severity, test, video, crop));
    const int m = c->modality;
    const int32_t D = m == RB_MOD_VISUAL ? test->d_visual : test->d_audio;
    const size_t stride = m == RB_MOD_VISUAL ? (size_t)test->n_crops * (size_t)D : (size_t)D;
    const float *base = m == RB_MOD_VISUAL ? test->visual + (size_t)crop * (size_t)D : test->audio;
    const int with_stats = ops->uses_clean_stats;
    RB_TRY(rb_corrupt_apply(ctx, c, ops, severity, test, video, crop, base, stride, D, with_stats ? ctx->mean[m] : NULL,
                            with_stats ? ctx->std[m] : NULL, ctx->proto[idx], out));
    if (with_stats && ctx->nonnegative[m]) { /* never produce a value the clean modality cannot have */
        rb_clamp_nonnegative(out, (size_t)rb_split_video_len(test, video) * (size_t)D);
    }
    return RB_OK;
}

int rb_corrupt_row_linear(const rb_corruption *c) {
    const rb_corrupt_ops *ops = rb_corrupt_index(c) >= 0 ? rb_corrupt_ops_of(c) : NULL;
    return ops && ops->row_linear;
}

int rb_corrupt_linear_constants(const rb_corrupt_ctx *ctx, const rb_corruption *c, const float **mean,
                                const float **proto) {
    const int idx = rb_corrupt_index(c);
    if (!ctx || idx < 0 || !rb_corrupt_row_linear(c))
        return rb_fail("%s: not a row-linear corruption", c ? c->name : "(null)");
    if (ctx->dim[c->modality] == 0)
        return rb_fail("%s %s: no clean %s statistics in the corruption context", rb_modality_name(c->modality), c->name,
                       rb_modality_name(c->modality));
    *mean = ctx->mean[c->modality];
    *proto = ctx->proto[idx];
    return RB_OK;
}

int rb_corrupt_dim_sparse(const rb_corruption *c) {
    const rb_corrupt_ops *ops = rb_corrupt_index(c) >= 0 ? rb_corrupt_ops_of(c) : NULL;
    return ops && ops->changed_dims;
}

int rb_corrupt_changed_dims(const rb_corrupt_ctx *ctx, const rb_corruption *c, int severity, int32_t *dims,
                            int32_t *n) {
    const int idx = rb_corrupt_index(c);
    const rb_corrupt_ops *ops = idx >= 0 ? rb_corrupt_ops_of(c) : NULL;
    if (!ctx || !ops || !dims || !n) return rb_fail("changed dimensions: expected a context, a registry entry and buffers");
    if (!ops->changed_dims) return rb_fail("%s %s: not a dimension-sparse corruption", rb_modality_name(c->modality), c->name);
    RB_TRY(rb_corrupt_check_severity(c, severity));
    const int32_t D = ctx->dim[c->modality];
    if (D == 0 || (ops->prepare && !ctx->rank[idx] && !ctx->proto[idx]))
        return rb_fail("%s %s: no clean %s statistics in the corruption context", rb_modality_name(c->modality), c->name,
                       rb_modality_name(c->modality));
    ops->changed_dims(ctx, idx, c->param[0][severity - 1], c->param[1][severity - 1], D, dims, n);
    return RB_OK;
}

int rb_corrupt_video_rows(const rb_corrupt_ctx *ctx, const rb_corruption *c, int severity, const rb_split *test,
                          int64_t video, int32_t crop, const rb_corrupt_rows *rows, float *out) {
    const int idx = rb_corrupt_index(c);
    const rb_corrupt_ops *ops = idx >= 0 ? rb_corrupt_ops_of(c) : NULL;
    if (!ctx || !test || !rows || !rows->base || !out || !ops)
        return rb_fail("corrupting rows: expected a context, a registry entry, a split, rows and a buffer");
    if (!ops->row_linear)
        return rb_fail("%s %s: only a row-linear corruption can be applied to rows of another space",
                       rb_modality_name(c->modality), c->name);
    if (rows->width < 1 || rows->stride < (size_t)rows->width)
        return rb_fail("%s %s: rows of width %d with stride %zu: expected width >= 1 and stride >= width",
                       rb_modality_name(c->modality), c->name, rows->width, rows->stride);
    if (!rows->mean || (ctx->proto[idx] && !rows->proto))
        return rb_fail("%s %s: the rows need the image of the clean mean%s", rb_modality_name(c->modality), c->name,
                       ctx->proto[idx] ? " and of the prototype" : "");
    RB_TRY(rb_check_video_call(ctx, c, ops, severity, test, video, crop));
    return rb_corrupt_apply(ctx, c, ops, severity, test, video, crop, rows->base, rows->stride, rows->width, rows->mean,
                            NULL, rows->proto, out);
}

int rb_corrupt_split(const rb_corrupt_ctx *ctx, const rb_corruption *c, int severity, const rb_split *test,
                     float *out) {
    if (!c || !test || !out) return rb_fail("corrupting a split: expected a registry entry, a split and a buffer");
    const int m = c->modality;
    const int32_t D = m == RB_MOD_VISUAL ? test->d_visual : test->d_audio;
    const int32_t ncrop = m == RB_MOD_VISUAL ? test->n_crops : 1;
    float *buf = rb_malloc(sizeof(float) * rb_corrupt_video_floats(test, c->modality), "corruption buffer");
    if (!buf) return RB_ERR;
    const size_t row = sizeof(float) * (size_t)D;
    for (int64_t v = 0; v < test->n_videos; v++) {
        const int64_t off = test->offsets[v], T = rb_split_video_len(test, v);
        for (int32_t k = 0; k < ncrop; k++) {
            if (rb_corrupt_video(ctx, c, severity, test, v, k, buf) != RB_OK) {
                free(buf);
                return RB_ERR;
            }
            for (int64_t t = 0; t < T; t++)
                memcpy(out + ((size_t)(off + t) * (size_t)ncrop + (size_t)k) * (size_t)D, buf + (size_t)t * (size_t)D, row);
        }
    }
    free(buf);
    return RB_OK;
}

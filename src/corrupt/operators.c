/* operators.c - the feature-space surrogate operators (rb_corrupt.h, docs/corruptions.md): the
 * read-only context with derived prototypes, and the per-video corruption that the grid streams
 * through (memory bounded by the longest video, not by the test set). */
#include "rb_corrupt.h"

#include "rb_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RB_CORRUPT_SLOT_VIDEO 15       /* counter slot shared by every crop of a video */
#define RB_CORRUPT_KIND_DERIVED 0xFFu  /* id1 low byte of the derived-data stream */
#define RB_CORRUPT_STD_FLOOR_REL 1e-3  /* std floor: this times the average std over dims */
#define RB_CORRUPT_STD_FLOOR_ABS 1e-8
#define RB_FOG_SMOOTH_WIDTH 9          /* fog prototype: moving average width over dims */
#define RB_FOG_OFFSET 0.5              /* fog prototype: mean + this * std * smooth pattern */
#define RB_DARK_LEVEL 0.15             /* dark prototype: this * mean * exp(RB_DARK_JITTER * g) */
#define RB_DARK_JITTER 0.25

/* ------------------------------------------------------------------ context */

void rb_corrupt_stream_ids(const rb_corrupt_ctx *ctx, const rb_corruption *c, int64_t video, int slot,
                           uint32_t ids[3]) {
    ids[0] = ctx->dataset_id;
    ids[1] = (uint32_t)c->id << 8;
    ids[2] = ((uint32_t)video << 4) | ((uint32_t)slot & 15u);
}

static void rb_derived_rng(const rb_corrupt_ctx *ctx, const rb_corruption *c, rb_rng *r) {
    rb_rng_init(r, ctx->seed, RB_PURPOSE_CORRUPT, ctx->dataset_id,
                ((uint32_t)c->id << 8) | RB_CORRUPT_KIND_DERIVED, 0);
}

/* Prototype of a MIX_PROTOTYPE entry (docs/corruptions.md, "Prototypes"). */
static int rb_make_prototype(rb_corrupt_ctx *ctx, const rb_corruption *c, float *proto) {
    const int m = c->modality, D = ctx->dim[m];
    const float *mu = ctx->mean[m], *sd = ctx->std[m];
    rb_rng r;
    rb_derived_rng(ctx, c, &r);
    if (strcmp(c->name, "attenuation") == 0) { /* silence: the zero vector, as for a missing stream */
        memset(proto, 0, sizeof *proto * (size_t)D);
        return RB_OK;
    }
    double *g = rb_malloc(sizeof *g * (size_t)D, "prototype pattern");
    if (!g) return RB_ERR;
    for (int d = 0; d < D; d++) g[d] = rb_rng_normal(&r);
    if (strcmp(c->name, "fog") == 0) {
        /* Smooth pattern: circular moving average over dims, rescaled to unit RMS. */
        double *s = rb_malloc(sizeof *s * (size_t)D, "fog pattern");
        if (!s) { free(g); return RB_ERR; }
        const int h = RB_FOG_SMOOTH_WIDTH / 2;
        double ss = 0.0;
        for (int d = 0; d < D; d++) {
            double acc = 0.0;
            for (int k = -h; k <= h; k++) acc += g[((d + k) % D + D) % D];
            s[d] = acc;
            ss += acc * acc;
        }
        double scale = ss > 0.0 ? 1.0 / sqrt(ss / D) : 0.0;
        for (int d = 0; d < D; d++) proto[d] = (float)(mu[d] + RB_FOG_OFFSET * sd[d] * s[d] * scale);
        free(s);
    } else if (strcmp(c->name, "low_light") == 0) {
        for (int d = 0; d < D; d++) proto[d] = (float)(RB_DARK_LEVEL * mu[d] * exp(RB_DARK_JITTER * g[d]));
    } else {
        free(g);
        return rb_fail("prototype of %s %s: no prototype defined", rb_modality_name(c->modality), c->name);
    }
    free(g);
    if (ctx->nonnegative[m])
        for (int d = 0; d < D; d++) proto[d] = proto[d] > 0.0f ? proto[d] : 0.0f;
    return RB_OK;
}

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
        const int m = c->modality, D = ctx->dim[m];
        if (D == 0) continue;
        if (c->op == RB_CORRUPT_OP_MIX_PROTOTYPE) {
            ctx->proto[i] = rb_malloc(sizeof(float) * (size_t)D, "corruption prototype");
            if (!ctx->proto[i] || rb_make_prototype(ctx, c, ctx->proto[i]) != RB_OK) goto fail;
        }
        if (c->op == RB_CORRUPT_OP_DETAIL || c->op == RB_CORRUPT_OP_QUANTISE) {
            int32_t *perm = rb_malloc(sizeof *perm * (size_t)D, "dimension order");
            ctx->rank[i] = rb_malloc(sizeof(int32_t) * (size_t)D, "dimension ranks");
            if (!perm || !ctx->rank[i]) { free(perm); goto fail; }
            rb_rng r;
            rb_derived_rng(ctx, c, &r);
            rb_rng_permutation(&r, perm, D);
            for (int k = 0; k < D; k++) ctx->rank[i][perm[k]] = k;
            free(perm);
        }
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

/* ------------------------------------------------------------------ operators
 * Each reads the clean rows in[t*stride .. +D) (t < T) and writes out[t*D .. +D). */

typedef struct {
    const float *in;
    size_t stride;
    int64_t T;
    int32_t D;
    const float *mu, *sd;
    float *out;
} rb_op_args;

#define IN(a, t) ((a)->in + (size_t)(t) * (a)->stride)
#define OUT(a, t) ((a)->out + (size_t)(t) * (size_t)(a)->D)

/* n standard normals in single precision: Box-Muller on pairs of 24-bit uniforms taken from the
 * stream's 32-bit words (a = first word, b = second; z0 = r cos(2 pi u2), z1 = r sin(2 pi u2)).
 * Float and 24 bits are ample for a noise surrogate (tails reach 5.8 sigma) and about twice as fast
 * as rb_rng_normal; an odd n discards the last sine. */
static void rb_fill_normals(rb_rng *r, float *z, int32_t n) {
    for (int32_t i = 0; i < n; i += 2) {
        const uint32_t a = rb_rng_u32(r), b = rb_rng_u32(r);
        const float u1 = ((float)(a >> 8) + 0.5f) * 0x1p-24f, u2 = (float)(b >> 8) * 0x1p-24f;
        const float rad = sqrtf(-2.0f * logf(u1)), ang = 6.28318530717958647692f * u2;
        z[i] = rad * cosf(ang);
        if (i + 1 < n) z[i + 1] = rad * sinf(ang);
    }
}

static void rb_op_noise(const rb_op_args *a, double scale, rb_rng *r) {
    const float k = (float)scale;
    for (int64_t t = 0; t < a->T; t++) {
        const float *x = IN(a, t);
        float *y = OUT(a, t);
        rb_fill_normals(r, y, a->D); /* the normals go straight into the output row */
        for (int32_t d = 0; d < a->D; d++) y[d] = x[d] + k * a->sd[d] * y[d];
    }
}

static void rb_op_mix_vector(const rb_op_args *a, double w, const float *p) {
    const float keep = (float)(1.0 - w), mix = (float)w;
    for (int64_t t = 0; t < a->T; t++) {
        const float *x = IN(a, t);
        float *y = OUT(a, t);
        for (int32_t d = 0; d < a->D; d++) y[d] = keep * x[d] + mix * p[d];
    }
}

static int rb_op_moving_average(const rb_op_args *a, int width) {
    const int64_t h = width / 2, T = a->T;
    const int32_t D = a->D;
    double *acc = rb_calloc((size_t)D, sizeof *acc, "moving-average accumulator");
    if (!acc) return RB_ERR;
    int64_t lo = 0, hi = -1; /* window rows lo..hi are in acc */
    for (int64_t t = 0; t < T; t++) {
        int64_t want_lo = t - h < 0 ? 0 : t - h, want_hi = t + h >= T ? T - 1 : t + h;
        while (hi < want_hi) {
            const float *x = IN(a, ++hi);
            for (int32_t d = 0; d < D; d++) acc[d] += x[d];
        }
        while (lo < want_lo) {
            const float *x = IN(a, lo++);
            for (int32_t d = 0; d < D; d++) acc[d] -= x[d];
        }
        const double inv = 1.0 / (double)(hi - lo + 1);
        float *y = OUT(a, t);
        for (int32_t d = 0; d < D; d++) y[d] = (float)(acc[d] * inv);
    }
    free(acc);
    return RB_OK;
}

static void rb_op_exp_smoothing(const rb_op_args *a, double decay) {
    const float alpha = (float)decay;
    memcpy(OUT(a, 0), IN(a, 0), sizeof(float) * (size_t)a->D);
    for (int64_t t = 1; t < a->T; t++) {
        const float *x = IN(a, t), *prev = OUT(a, t - 1);
        float *y = OUT(a, t);
        /* x + alpha*(prev - x): a constant sequence stays exactly constant. */
        for (int32_t d = 0; d < a->D; d++) y[d] = x[d] + alpha * (prev[d] - x[d]);
    }
}

static void rb_op_detail(const rb_op_args *a, double fraction, double keep, const int32_t *rank) {
    const int32_t n_att = (int32_t)ceil(fraction * a->D - 1e-9);
    const float k = (float)keep;
    for (int64_t t = 0; t < a->T; t++) {
        const float *x = IN(a, t);
        float *y = OUT(a, t);
        for (int32_t d = 0; d < a->D; d++)
            y[d] = rank[d] < n_att ? a->mu[d] + k * (x[d] - a->mu[d]) : x[d];
    }
}

static int rb_op_quantise(const rb_op_args *a, double step, double upper_mult, const int32_t *rank) {
    float *q = rb_malloc(sizeof *q * 2 * (size_t)a->D, "quantisation steps");
    if (!q) return RB_ERR;
    float *inv = q + a->D;
    const int32_t half = a->D / 2;
    for (int32_t d = 0; d < a->D; d++) {
        q[d] = (float)(step * a->sd[d] * (rank[d] >= half ? upper_mult : 1.0));
        inv[d] = 1.0f / q[d];
    }
    for (int64_t t = 0; t < a->T; t++) {
        const float *x = IN(a, t);
        float *y = OUT(a, t);
        for (int32_t d = 0; d < a->D; d++) y[d] = q[d] * floorf(x[d] * inv[d] + 0.5f);
    }
    free(q);
    return RB_OK;
}

static void rb_op_block_average(const rb_op_args *a, int block, double keep) {
    for (int64_t t = 0; t < a->T; t++) {
        const float *x = IN(a, t);
        float *y = OUT(a, t);
        for (int32_t d0 = 0; d0 < a->D; d0 += block) {
            int32_t d1 = d0 + block < a->D ? d0 + block : a->D;
            double z = 0.0;
            for (int32_t d = d0; d < d1; d++) z += (x[d] - a->mu[d]) / a->sd[d];
            z /= (double)(d1 - d0);
            for (int32_t d = d0; d < d1; d++) {
                double zd = (x[d] - a->mu[d]) / a->sd[d];
                y[d] = (float)(a->mu[d] + a->sd[d] * (z + keep * (zd - z)));
            }
        }
    }
}

/* Snippet t is dropped iff u_t < p, u_t the t-th uniform of the per-video stream (shared by crops
 * and severities, so drop sets are nested across severities). */
static void rb_op_drop(const rb_op_args *a, double p, int freeze, rb_rng *r) {
    const size_t row = sizeof(float) * (size_t)a->D;
    int64_t last_kept = -1;
    for (int64_t t = 0; t < a->T; t++) {
        int dropped = rb_rng_uniform(r) < p;
        float *y = OUT(a, t);
        if (!dropped) {
            memcpy(y, IN(a, t), row);
            last_kept = t;
        } else if (!freeze) {
            memset(y, 0, row);
        } else if (last_kept >= 0) {
            memcpy(y, OUT(a, last_kept), row);
        } else { /* nothing received yet: a neutral frame, the clean mean */
            memcpy(y, a->mu, row);
        }
    }
}

static void rb_op_clip(const rb_op_args *a, double k) {
    for (int64_t t = 0; t < a->T; t++) {
        const float *x = IN(a, t);
        float *y = OUT(a, t);
        for (int32_t d = 0; d < a->D; d++) {
            float q = a->mu[d] + (float)k * a->sd[d];
            y[d] = x[d] < q ? x[d] : q;
        }
    }
}

/* Partner video (uniform over the other videos) and start offset from the per-video stream. */
static void rb_op_mix_video(const rb_op_args *a, double w, const rb_split *test, int64_t video,
                            const float *base, size_t stride, rb_rng *r) {
    uint32_t j = rb_rng_below(r, (uint32_t)(test->n_videos - 1));
    int64_t partner = (int64_t)j >= video ? (int64_t)j + 1 : (int64_t)j;
    int64_t tp = rb_split_video_len(test, partner);
    int64_t off = (int64_t)rb_rng_below(r, (uint32_t)tp);
    const float keep = (float)(1.0 - w), mix = (float)w;
    const float *pbase = base + (size_t)test->offsets[partner] * stride;
    for (int64_t t = 0; t < a->T; t++) {
        const float *x = IN(a, t), *p = pbase + (size_t)((t + off) % tp) * stride;
        float *y = OUT(a, t);
        for (int32_t d = 0; d < a->D; d++) y[d] = keep * x[d] + mix * p[d];
    }
}

/* ------------------------------------------------------------------ per-video entry point */

int rb_corrupt_video(const rb_corrupt_ctx *ctx, const rb_corruption *c, int severity, const rb_split *test,
                     int64_t video, int32_t crop, float *out) {
    const int idx = rb_corrupt_index(c);
    if (!ctx || !test || !out || idx < 0)
        return rb_fail("corrupting a video: expected a context, a registry entry, a split and a buffer");
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
    const int32_t D = m == RB_MOD_VISUAL ? test->d_visual : test->d_audio;
    const int64_t T = rb_split_video_len(test, video);
    if (c->is_missing) {
        memset(out, 0, sizeof(float) * (size_t)T * (size_t)D);
        return RB_OK;
    }
    if (ctx->dim[m] == 0)
        return rb_fail("%s %s: no clean %s statistics in the corruption context", mname, c->name, mname);
    if (ctx->dim[m] != D)
        return rb_fail("%s %s: feature width: expected %d (the clean statistics), got %d in the split",
                       mname, c->name, ctx->dim[m], D);
    if (c->op == RB_CORRUPT_OP_MIX_VIDEO && test->n_videos < 2)
        return rb_fail("%s %s: needs at least 2 videos in the split, got %lld", mname, c->name,
                       (long long)test->n_videos);

    const size_t stride = m == RB_MOD_VISUAL ? (size_t)test->n_crops * (size_t)D : (size_t)D;
    const float *base = m == RB_MOD_VISUAL ? test->visual + (size_t)crop * (size_t)D : test->audio;
    rb_op_args a = {base + (size_t)test->offsets[video] * stride, stride, T, D, ctx->mean[m], ctx->std[m], out};
    const double p0 = c->param[0][severity - 1], p1 = c->param[1][severity - 1];
    uint32_t ids[3];
    rb_rng r;
    int rc = RB_OK;
    switch (c->op) {
    case RB_CORRUPT_OP_NOISE:
        rb_corrupt_stream_ids(ctx, c, video, crop, ids);
        rb_rng_init(&r, ctx->seed, RB_PURPOSE_CORRUPT, ids[0], ids[1], ids[2]);
        rb_op_noise(&a, p0, &r);
        break;
    case RB_CORRUPT_OP_MIX_PROTOTYPE: rb_op_mix_vector(&a, p0, ctx->proto[idx]); break;
    case RB_CORRUPT_OP_MOVING_AVERAGE: rc = rb_op_moving_average(&a, (int)p0); break;
    case RB_CORRUPT_OP_EXP_SMOOTHING: rb_op_exp_smoothing(&a, p0); break;
    case RB_CORRUPT_OP_DETAIL: rb_op_detail(&a, p0, p1, ctx->rank[idx]); break;
    case RB_CORRUPT_OP_QUANTISE: rc = rb_op_quantise(&a, p0, p1, ctx->rank[idx]); break;
    case RB_CORRUPT_OP_BLOCK_AVERAGE: rb_op_block_average(&a, (int)p0, p1); break;
    case RB_CORRUPT_OP_DROP_FREEZE:
    case RB_CORRUPT_OP_DROP_ZERO:
        rb_corrupt_stream_ids(ctx, c, video, RB_CORRUPT_SLOT_VIDEO, ids);
        rb_rng_init(&r, ctx->seed, RB_PURPOSE_CORRUPT, ids[0], ids[1], ids[2]);
        rb_op_drop(&a, p0, c->op == RB_CORRUPT_OP_DROP_FREEZE, &r);
        break;
    case RB_CORRUPT_OP_CLIP: rb_op_clip(&a, p0); break;
    case RB_CORRUPT_OP_MIX_VIDEO:
        rb_corrupt_stream_ids(ctx, c, video, RB_CORRUPT_SLOT_VIDEO, ids);
        rb_rng_init(&r, ctx->seed, RB_PURPOSE_CORRUPT, ids[0], ids[1], ids[2]);
        rb_op_mix_video(&a, p0, test, video, base, stride, &r);
        break;
    case RB_CORRUPT_OP_ZERO: memset(out, 0, sizeof(float) * (size_t)T * (size_t)D); break;
    }
    if (rc != RB_OK) return rb_context("%s %s severity %d, video %lld", mname, c->name, severity, (long long)video);
    if (ctx->nonnegative[m]) { /* never produce a value the clean modality cannot have */
        const size_t n = (size_t)T * (size_t)D;
        for (size_t i = 0; i < n; i++) out[i] = out[i] > 0.0f ? out[i] : 0.0f;
    }
    return RB_OK;
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

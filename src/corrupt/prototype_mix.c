/* prototype_mix.c - mixing toward a corruption prototype (RB_CORRUPT_OP_MIX_PROTOTYPE):
 * (1-p0)*x + p0*proto. The prototype kind is data of the registry entry (rb_corrupt_prototype:
 * fog, dark, silence) and indexes the table of prototype builders below; `prepare` builds the
 * prototype once per context from the clean statistics and the entry's derived stream
 * (docs/corruptions.md, "Prototypes"). No per-video randomness. */
#include "rb_corrupt.h"

#include "operator.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RB_FOG_SMOOTH_WIDTH 9 /* fog prototype: moving average width over dims */
#define RB_FOG_OFFSET 0.5     /* fog prototype: mean + this * std * smooth pattern */
#define RB_DARK_LEVEL 0.15    /* dark prototype: this * mean * exp(RB_DARK_JITTER * g) */
#define RB_DARK_JITTER 0.25

/* Writes the prototype of entry c into proto[D] (D = the modality's width); r is the entry's
 * derived stream. */
typedef int (*rb_prototype_fn)(const rb_corrupt_ctx *ctx, const rb_corruption *c, rb_rng *r, float *proto);

/* D standard normals g of the derived stream (the random pattern of fog and dark); NULL on error. */
static double *rb_normal_pattern(rb_rng *r, int D) {
    double *g = rb_malloc(sizeof *g * (size_t)D, "prototype pattern");
    if (g)
        for (int d = 0; d < D; d++) g[d] = rb_rng_normal(r);
    return g;
}

/* Silence: the zero vector, as for a missing stream (draws nothing). */
static int rb_prototype_silence(const rb_corrupt_ctx *ctx, const rb_corruption *c, rb_rng *r, float *proto) {
    (void)r;
    memset(proto, 0, sizeof *proto * (size_t)ctx->dim[c->modality]);
    return RB_OK;
}

/* Fog: mean + offset*std*s, s the pattern g smoothed by a circular moving average over dims and
 * rescaled to unit RMS. */
static int rb_prototype_fog(const rb_corrupt_ctx *ctx, const rb_corruption *c, rb_rng *r, float *proto) {
    const int m = c->modality, D = ctx->dim[m];
    const float *mu = ctx->mean[m], *sd = ctx->std[m];
    double *g = rb_normal_pattern(r, D);
    if (!g) return RB_ERR;
    double *s = rb_malloc(sizeof *s * (size_t)D, "fog pattern");
    if (!s) {
        free(g);
        return RB_ERR;
    }
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
    free(g);
    return RB_OK;
}

/* Dark: a faint copy of the mean, jittered per dim by exp(jitter * g). */
static int rb_prototype_dark(const rb_corrupt_ctx *ctx, const rb_corruption *c, rb_rng *r, float *proto) {
    const int m = c->modality, D = ctx->dim[m];
    const float *mu = ctx->mean[m];
    double *g = rb_normal_pattern(r, D);
    if (!g) return RB_ERR;
    for (int d = 0; d < D; d++) proto[d] = (float)(RB_DARK_LEVEL * mu[d] * exp(RB_DARK_JITTER * g[d]));
    free(g);
    return RB_OK;
}

/* The builder of each prototype kind (NONE has none). */
static const rb_prototype_fn rb_prototype_builders[RB_CORRUPT_PROTO_COUNT] = {
    [RB_CORRUPT_PROTO_FOG] = rb_prototype_fog,
    [RB_CORRUPT_PROTO_DARK] = rb_prototype_dark,
    [RB_CORRUPT_PROTO_SILENCE] = rb_prototype_silence,
};

/* prepare: ctx->proto[index], clamped at 0 when the modality is nonnegative. */
static int rb_prepare_prototype(rb_corrupt_ctx *ctx, const rb_corruption *c, int index) {
    const int m = c->modality, D = ctx->dim[m];
    const int kind = (int)c->prototype;
    const rb_prototype_fn build = kind >= 0 && kind < RB_CORRUPT_PROTO_COUNT ? rb_prototype_builders[kind] : NULL;
    if (!build) return rb_fail("prototype of %s %s: no prototype defined", rb_modality_name(c->modality), c->name);
    ctx->proto[index] = rb_malloc(sizeof(float) * (size_t)D, "corruption prototype");
    if (!ctx->proto[index]) return RB_ERR;
    rb_rng r;
    rb_corrupt_derived_rng(ctx, c, &r);
    RB_TRY(build(ctx, c, &r, ctx->proto[index]));
    float *proto = ctx->proto[index];
    if (ctx->nonnegative[m])
        for (int d = 0; d < D; d++) proto[d] = proto[d] > 0.0f ? proto[d] : 0.0f;
    return RB_OK;
}

static int rb_apply_mix_prototype(const rb_op_video *v, rb_rng *r) {
    (void)r;
    const float *p = v->proto;
    const float keep = (float)(1.0 - v->p0), mix = (float)v->p0;
    for (int64_t t = 0; t < v->T; t++) rb_row_mix(rb_op_out_row(v, t), rb_op_in_row(v, t), p, keep, mix, v->D);
    return RB_OK;
}

const rb_corrupt_ops rb_ops_mix_prototype = {
    .name = "mix_prototype", .stream = RB_OP_STREAM_NONE, .uses_clean_stats = 1, .row_linear = 1,
    .prepare = rb_prepare_prototype, .apply = rb_apply_mix_prototype};

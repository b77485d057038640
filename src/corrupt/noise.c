/* noise.c - additive noise (RB_CORRUPT_OP_NOISE): x + p0*sigma*z, z ~ N(0,1) per element, from the
 * crop's own per-video stream (common random numbers: the same z at every severity). */
#include "rb_corrupt.h"

#include "operator.h"

#include <math.h>

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

static int rb_apply_noise(const rb_op_video *v, rb_rng *r) {
    const float k = (float)v->p0;
    for (int64_t t = 0; t < v->T; t++) {
        const float *x = rb_op_in_row(v, t);
        float *y = rb_op_out_row(v, t);
        rb_fill_normals(r, y, v->D); /* the normals go straight into the output row */
        for (int32_t d = 0; d < v->D; d++) y[d] = x[d] + k * v->sd[d] * y[d];
    }
    return RB_OK;
}

const rb_corrupt_ops rb_ops_noise = {
    .name = "noise", .stream = RB_OP_STREAM_CROP, .uses_clean_stats = 1, .apply = rb_apply_noise};

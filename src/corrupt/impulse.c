/* impulse.c - outlier snippets (RB_CORRUPT_OP_IMPULSE): each snippet is hit with probability p0 and
 * a hit snippet becomes x + p1*sigma*z, z ~ N(0,1) per element; other snippets are unchanged. A
 * spreading surrogate: a few snippets leave the clean manifold by several clean standard deviations.
 * Draws come from the crop's own per-video stream: per snippet one uniform u (hit iff u < p0), then
 * D normals, drawn for every snippet whether hit or not, so the draws of a snippet do not depend on
 * the severity (common random numbers: the snippets hit at severity s are hit at every higher one). */
#include "rb_corrupt.h"

#include "operator.h"

#include <math.h>
#include <string.h>

/* One uniform in [0, 1) with 24 bits, and n standard normals by Box-Muller on pairs of 24-bit
 * uniforms (an odd n discards the last sine), single precision: ample for a surrogate. */
static float rb_impulse_uniform(rb_rng *r) { return (float)(rb_rng_u32(r) >> 8) * 0x1p-24f; }

static void rb_impulse_normals(rb_rng *r, float *z, int32_t n) {
    for (int32_t i = 0; i < n; i += 2) {
        const uint32_t a = rb_rng_u32(r), b = rb_rng_u32(r);
        const float u1 = ((float)(a >> 8) + 0.5f) * 0x1p-24f, u2 = (float)(b >> 8) * 0x1p-24f;
        const float rad = sqrtf(-2.0f * logf(u1)), ang = 6.28318530717958647692f * u2;
        z[i] = rad * cosf(ang);
        if (i + 1 < n) z[i + 1] = rad * sinf(ang);
    }
}

static int rb_apply_impulse(const rb_op_video *v, rb_rng *r) {
    const float p = (float)v->p0, k = (float)v->p1;
    for (int64_t t = 0; t < v->T; t++) {
        const float *x = rb_op_in_row(v, t);
        float *y = rb_op_out_row(v, t);
        const int hit = rb_impulse_uniform(r) < p;
        rb_impulse_normals(r, y, v->D); /* the normals go straight into the output row */
        if (hit)
            rb_row_impulse(y, x, v->sd, k, v->D);
        else
            memcpy(y, x, sizeof(float) * (size_t)v->D);
    }
    return RB_OK;
}

const rb_corrupt_ops rb_ops_impulse = {
    .name = "impulse", .stream = RB_OP_STREAM_CROP, .uses_clean_stats = 1, .apply = rb_apply_impulse};

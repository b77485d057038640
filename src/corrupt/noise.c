/* noise.c - additive noise (RB_CORRUPT_OP_NOISE): x + p0*sigma*z, z ~ N(0,1) per element, from the
 * crop's own per-video stream (common random numbers: the same z at every severity).
 *
 * The deviates of a video are deviates 0 .. T*D-1 of the stream, row t taking t*D .. t*D+D-1, drawn in
 * one call of the vectorised generator (rb_rng_normals_f32: Philox blocks of four words, Box-Muller
 * with single-precision polynomials; docs/corruptions.md). They depend on the video, crop and element
 * only, so chunking and rank count never change them. */
#include "rb_corrupt.h"

#include "operator.h"

/* y = x + k sd y, element by element (y holds the normals) */
RB_VECTOR_KERNEL static void rb_noise_row(float *restrict y, const float *restrict x, const float *restrict sd, float k,
                                          int32_t D) {
    for (int32_t d = 0; d < D; d++) y[d] = x[d] + k * sd[d] * y[d];
}

static int rb_apply_noise(const rb_op_video *v, rb_rng *r) {
    const float k = (float)v->p0;
    /* the normals go straight into the output, then each row becomes x + k sd z in place */
    rb_rng_normals_f32(r->key[0], r->key[1], r->ctr[0], r->ctr[1], r->ctr[2], 0, v->out, v->T * (int64_t)v->D);
    for (int64_t t = 0; t < v->T; t++) rb_noise_row(rb_op_out_row(v, t), rb_op_in_row(v, t), v->sd, k, v->D);
    return RB_OK;
}

const rb_corrupt_ops rb_ops_noise = {
    .name = "noise", .stream = RB_OP_STREAM_CROP, .uses_clean_stats = 1, .apply = rb_apply_noise};

/* row_kernels.c - the per-row element loops of the corruption operators, built as vector kernels
 * (RB_VECTOR_KERNEL, rb_core.h). Each is one elementwise formula over the D values of a row, with
 * restrict rows and no reduction across the row, so every clone gives the bits of the scalar loop it
 * replaced: the operators (prototype_mix.c, video_mix.c, smoothing.c, overlay.c, saturation.c,
 * detail.c, quantise.c, impulse.c) call these on their rows and keep their own order of draws. On the
 * linear shortcut's 512-wide first-layer rows (rb_corrupt_video_rows) these loops are most of a
 * row-linear cell's own work (docs/scaling.md). */
#include "operator.h"

#include <math.h>

RB_VECTOR_KERNEL void rb_row_mix(float *restrict y, const float *restrict x, const float *restrict p, float keep,
                                 float mix, int32_t D) {
    for (int32_t d = 0; d < D; d++) y[d] = keep * x[d] + mix * p[d];
}

RB_VECTOR_KERNEL void rb_row_accumulate(double *restrict acc, const float *restrict x, int32_t D) {
    for (int32_t d = 0; d < D; d++) acc[d] += x[d];
}

RB_VECTOR_KERNEL void rb_row_deaccumulate(double *restrict acc, const float *restrict x, int32_t D) {
    for (int32_t d = 0; d < D; d++) acc[d] -= x[d];
}

RB_VECTOR_KERNEL void rb_row_scaled(float *restrict y, const double *restrict acc, double scale, int32_t D) {
    for (int32_t d = 0; d < D; d++) y[d] = (float)(acc[d] * scale);
}

RB_VECTOR_KERNEL void rb_row_exp_smooth(float *restrict y, const float *restrict x, const float *restrict prev,
                                        float alpha, int32_t D) {
    for (int32_t d = 0; d < D; d++) y[d] = x[d] + alpha * (prev[d] - x[d]);
}

RB_VECTOR_KERNEL void rb_row_overlay(float *restrict y, const float *restrict x, const float *restrict p,
                                     const float *restrict mu, float gain, int32_t D) {
    for (int32_t d = 0; d < D; d++) y[d] = x[d] + gain * (p[d] - mu[d]);
}

RB_VECTOR_KERNEL void rb_row_clip(float *restrict y, const float *restrict x, const float *restrict mu,
                                  const float *restrict sd, float k, int32_t D) {
    for (int32_t d = 0; d < D; d++) {
        const float q = mu[d] + k * sd[d];
        y[d] = x[d] < q ? x[d] : q;
    }
}

RB_VECTOR_KERNEL void rb_row_detail(float *restrict y, const float *restrict x, const float *restrict mu,
                                    const int32_t *restrict rank, int32_t n_att, float k, int32_t D) {
    for (int32_t d = 0; d < D; d++) {
        const float att = mu[d] + k * (x[d] - mu[d]); /* computed for every dim, kept for the attenuated */
        y[d] = rank[d] < n_att ? att : x[d];
    }
}

RB_VECTOR_KERNEL void rb_row_quantise(float *restrict y, const float *restrict x, const float *restrict step,
                                      const float *restrict inv_step, int32_t D) {
    for (int32_t d = 0; d < D; d++) y[d] = step[d] * floorf(x[d] * inv_step[d] + 0.5f);
}

RB_VECTOR_KERNEL void rb_row_impulse(float *restrict y, const float *restrict x, const float *restrict sd, float k,
                                     int32_t D) {
    for (int32_t d = 0; d < D; d++) y[d] = x[d] + k * sd[d] * y[d];
}

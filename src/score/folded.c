/* folded.c - the shared detector's audio path through the folded first layer, and the
 * double-accumulated image of a vector under a layer it is built from (folded.h).
 *
 * The shared detector projects audio to the visual width, a -> a P + p, and feeds the result to the
 * first layer, z1 = (a P + p) W1 + b1, with no nonlinearity in between. By associativity
 * z1 = a (P W1) + (p W1) + b1, so with the fold w = P W1 and b = p W1 computed once per detector
 * replica (when the scorer is built), scoring an audio row costs d_audio x hidden1 multiply-adds in
 * the first layer instead of d_audio x d_visual + d_visual x hidden1 (128 x 512 against
 * 128 x 1024 + 1024 x 512 at protocol shapes: ~9.0x fewer). The fold is accumulated in double and
 * rounded once, so the folded scores differ from the unfolded float path only by float rounding
 * (tests/unit/score/test_folded.c states the measured difference; docs/scaling.md). */
#include "folded.h"

#include "rb_core.h"

#include <stdlib.h>
#include <string.h>

#define RB_FOLDED_CHUNK 4096 /* rows per first-layer product: bounds the scratch */

/* acc[j] += xk w[j] for j < h: a restrict vector kernel, since the plain loop (acc and w may alias)
 * stays scalar at -O2. Each acc[j] sums over k in the same order and a float-by-float product is
 * exact in double, so the bits are those of the scalar loop. */
static RB_VECTOR_KERNEL void rb_row_image_add(double *restrict acc, double xk, const float *restrict w, int h) {
    for (int j = 0; j < h; j++) acc[j] += xk * w[j];
}

/* The same for four rows at once: each row of W is loaded once for the four accumulators. */
static RB_VECTOR_KERNEL void rb_row_image_add4(double *restrict a0, double *restrict a1, double *restrict a2,
                                               double *restrict a3, const double x[4], const float *restrict w,
                                               int h) {
    const double x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
    for (int j = 0; j < h; j++) {
        const double wj = w[j];
        a0[j] += x0 * wj;
        a1[j] += x1 * wj;
        a2[j] += x2 * wj;
        a3[j] += x3 * wj;
    }
}

void rb_row_image(const float *x, const float *W, int D, int h, double *acc, float *out) {
    for (int j = 0; j < h; j++) acc[j] = 0.0;
    for (int k = 0; k < D; k++) rb_row_image_add(acc, x[k], W + (size_t)k * (size_t)h, h);
    for (int j = 0; j < h; j++) out[j] = (float)acc[j];
}

/* rb_row_image of the n rows of X (row stride ldx) into the rows of out (row stride h), four at a
 * time (acc: [4][h] scratch); the bits of n calls of rb_row_image. W is read from cache once per
 * four rows instead of once per row. */
static void rb_rows_image(const float *X, int n, size_t ldx, const float *W, int D, int h, double *acc, float *out) {
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        for (int j = 0; j < 4 * h; j++) acc[j] = 0.0;
        for (int k = 0; k < D; k++) {
            const double x[4] = {X[(size_t)i * ldx + (size_t)k], X[(size_t)(i + 1) * ldx + (size_t)k],
                                 X[(size_t)(i + 2) * ldx + (size_t)k], X[(size_t)(i + 3) * ldx + (size_t)k]};
            rb_row_image_add4(acc, acc + h, acc + 2 * h, acc + 3 * h, x, W + (size_t)k * (size_t)h, h);
        }
        for (int j = 0; j < 4 * h; j++) out[(size_t)i * (size_t)h + (size_t)j] = (float)acc[j];
    }
    for (; i < n; i++) rb_row_image(X + (size_t)i * ldx, W, D, h, acc, out + (size_t)i * (size_t)h);
}

int rb_folded_audio_init(rb_folded_audio *f, const rb_detector *d) {
    memset(f, 0, sizeof *f);
    if (d->kind != RB_DET_SHARED || !d->has_proj)
        return rb_fail("folding the audio projection: detector %s has no projection", rb_detector_kind_name(d->kind));
    const int da = d->d_audio, dv = d->d_visual, h = d->hidden1;
    f->det = d;
    f->d_audio = da;
    f->hidden1 = h;
    f->w = rb_malloc(sizeof(float) * (size_t)da * (size_t)h, "folded audio weights");
    f->b = rb_malloc(sizeof(float) * (size_t)h, "folded audio bias");
    f->pre = rb_malloc(sizeof(float) * RB_FOLDED_CHUNK * (size_t)h, "folded audio pre-activations");
    double *acc = rb_malloc(sizeof(double) * 4 * (size_t)h, "folding accumulator");
    if (!f->w || !f->b || !f->pre || !acc) {
        free(acc);
        rb_folded_audio_free(f);
        return RB_ERR;
    }
    const float *P = d->proj.w, *p = d->proj.b, *W1 = d->l1.w;
    rb_rows_image(P, da, (size_t)dv, W1, dv, h, acc, f->w);
    rb_row_image(p, W1, dv, h, acc, f->b);
    free(acc);
    return RB_OK;
}

int rb_folded_audio_score(const void *fold, const float *x, int64_t rows, int ld, float *scores) {
    const rb_folded_audio *f = fold;
    if (ld < f->d_audio)
        return rb_fail("folded audio path: leading dimension %d is below the audio width %d", ld, f->d_audio);
    for (int64_t r0 = 0; r0 < rows; r0 += RB_FOLDED_CHUNK) {
        const int64_t n = rows - r0 < RB_FOLDED_CHUNK ? rows - r0 : RB_FOLDED_CHUNK;
        rb_nn_matmul(x + r0 * (int64_t)ld, n, f->d_audio, ld, f->w, f->hidden1, f->hidden1, f->pre, f->hidden1, 0.0f);
        RB_TRY(rb_detector_score_pre(f->det, f->pre, f->b, n, scores + r0)); /* (a P W1 + p W1) + b1 */
    }
    return RB_OK;
}

void rb_folded_audio_free(rb_folded_audio *f) {
    free(f->w);
    free(f->b);
    free(f->pre);
    memset(f, 0, sizeof *f);
}

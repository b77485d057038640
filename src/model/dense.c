/* dense.c - batched dense layers (sgemm forward, input-gradient and weight-gradient), bias
 * helpers, ReLU with inverted dropout from counter-based streams, stable sigmoid/softplus (rb_model.h). */
#include "rb_model.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* y = beta * y over rows x n (row stride ldy), as sgemm leaves C when the inner dimension is empty:
 * beta 0 writes zeros (C is not read), beta 1 leaves y as it is. */
static void rb_scale_rows(float *y, int64_t rows, int n, int ldy, float beta) {
    if (beta == 1.0f) return;
    for (int64_t r = 0; r < rows; r++) {
        float *yr = y + r * ldy;
        if (beta == 0.0f) memset(yr, 0, sizeof(float) * (size_t)n);
        else
            for (int j = 0; j < n; j++) yr[j] *= beta;
    }
}

void rb_nn_matmul(const float *x, int64_t rows, int k, int ldx, const float *w, int out, int ldw,
                  float *y, int ldy, float beta) {
    if (rows <= 0 || out <= 0) return;
    if (k <= 0) { /* empty inner dimension: y = beta * y */
        rb_scale_rows(y, rows, out, ldy, beta);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, out, k, 1.0f, x, ldx, w, ldw,
                beta, y, ldy);
}

void rb_nn_matmul_tn(const float *x, int64_t rows, int k, int ldx, const float *dy, int out, int lddy,
                     float *g, int ldg, float beta) {
    if (k <= 0 || out <= 0) return;
    if (rows <= 0) { /* no rows (a gradient group without rows of this input): g = beta * g */
        rb_scale_rows(g, k, out, ldg, beta);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, out, (int)rows, 1.0f, x, ldx, dy, lddy,
                beta, g, ldg);
}

void rb_nn_matmul_nt(const float *dy, int64_t rows, int out, int lddy, const float *w, int k, int ldw,
                     float *dx, int lddx, float beta) {
    if (rows <= 0 || k <= 0) return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, k, out, 1.0f, dy, lddy, w, ldw,
                beta, dx, lddx);
}

RB_VECTOR_KERNEL void rb_nn_add_bias(float *y, int64_t rows, int n, int ldy, const float *b) {
    for (int64_t r = 0; r < rows; r++) {
        float *yr = y + r * ldy;
        for (int j = 0; j < n; j++) yr[j] += b[j];
    }
}

RB_VECTOR_KERNEL void rb_nn_colsum(const float *dy, int64_t rows, int n, int lddy, float *db, float beta) {
    double acc[256];
    for (int j0 = 0; j0 < n; j0 += 256) { /* column blocks keep the accumulator on the stack */
        int nb = n - j0 < 256 ? n - j0 : 256;
        for (int j = 0; j < nb; j++) acc[j] = 0.0;
        for (int64_t r = 0; r < rows; r++) {
            const float *row = dy + r * lddy + j0;
            for (int j = 0; j < nb; j++) acc[j] += row[j];
        }
        for (int j = 0; j < nb; j++)
            db[j0 + j] = (float)(beta == 0.0f ? acc[j] : beta * db[j0 + j] + acc[j]);
    }
}

void rb_dense_forward(const rb_dense *L, const float *x, int64_t rows, int ldx, float *y) {
    rb_nn_matmul(x, rows, L->in, ldx, L->w, L->out, L->out, y, L->out, 0.0f);
    rb_nn_add_bias(y, rows, L->out, L->out, L->b);
}

void rb_dense_backward(const rb_dense *L, const float *x, int64_t rows, int ldx, const float *dy,
                       const rb_dense *g, int accumulate, float *dx, int lddx) {
    float beta = accumulate ? 1.0f : 0.0f;
    rb_nn_matmul_tn(x, rows, L->in, ldx, dy, L->out, L->out, g->w, L->out, beta);
    rb_nn_colsum(dy, rows, L->out, L->out, g->b, beta);
    if (dx) rb_nn_matmul_nt(dy, rows, L->out, L->out, L->w, L->in, L->out, dx, lddx, 0.0f);
}

/* Dropout threshold on 16-bit draws: an element is kept when its 16 bits are >= thr. */
static uint32_t rb_dropout_threshold(float p) {
    double t = floor((double)p * 65536.0 + 0.5);
    return t > 65535.0 ? 65535u : (uint32_t)t;
}

float rb_nn_dropout_scale(float p) {
    if (p <= 0.0f) return 1.0f;
    return (float)(65536.0 / (double)(65536u - rb_dropout_threshold(p)));
}

/* The two helpers below are always inlined: the vector kernels (RB_VECTOR_KERNEL) are built with
 * other optimisation options, and GCC does not inline an ordinary function across that difference. */
#if defined(__GNUC__)
#define RB_INLINE static inline __attribute__((always_inline))
#else
#define RB_INLINE static inline
#endif

/* relu as bit operations (branchless, vectorisable): a set sign bit clears the word, so negative
 * values and -0 give +0, positive values and positive NaNs pass through. */
RB_INLINE float rb_relu(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    u &= ~(uint32_t)((int32_t)u >> 31);
    memcpy(&x, &u, sizeof x);
    return x;
}

/* 1 where the output of the forward pass is positive (the unit was active and kept), else 0. */
RB_INLINE float rb_active(float x) {
    int32_t i;
    memcpy(&i, &x, sizeof i);
    return (float)(i > 0);
}

RB_VECTOR_KERNEL void rb_nn_sum_bias_relu(float *y, const float *a, const float *c, int64_t rows, int n, const float *b) {
    for (int64_t r = 0; r < rows; r++)
        for (int j = 0; j < n; j++) y[r * n + j] = rb_relu((a[r * n + j] + c[r * n + j]) + b[j]);
}

RB_VECTOR_KERNEL void rb_nn_bias2_relu(float *y, const float *a, const float *b0, int64_t rows, int n, const float *b) {
    for (int64_t r = 0; r < rows; r++) {
        if (b0)
            for (int j = 0; j < n; j++) y[r * n + j] = rb_relu((a[r * n + j] + b0[j]) + b[j]);
        else
            for (int j = 0; j < n; j++) y[r * n + j] = rb_relu(a[r * n + j] + b[j]);
    }
}

RB_VECTOR_KERNEL void rb_nn_add_bias_relu(float *y, int64_t rows, int n, int ldy, const float *b) {
    for (int64_t r = 0; r < rows; r++) {
        float *yr = y + r * ldy;
        for (int j = 0; j < n; j++) yr[j] = rb_relu(yr[j] + b[j]);
    }
}

/* relu over the whole buffer (no dropout) */
RB_VECTOR_KERNEL static void rb_relu_all(float *h, int64_t count) {
    for (int64_t i = 0; i < count; i++) h[i] = rb_relu(h[i]);
}

/* The dropout draws of n elements: 16 bits each from n/2 words, element 2j from the low half of word
 * j and element 2j + 1 from its high half. On a little-endian machine that is the words' memory order. */
static void rb_dropout_halves(const uint32_t *words, int nw, uint16_t *half) {
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(half, words, sizeof(uint32_t) * (size_t)nw);
#else
    for (int j = 0; j < nw; j++) {
        half[2 * j] = (uint16_t)(words[j] & 0xffffu);
        half[2 * j + 1] = (uint16_t)(words[j] >> 16);
    }
#endif
}

/* h = relu(h) * (scale if the element's 16 bits are >= thr, else 0) */
RB_VECTOR_KERNEL static void rb_relu_keep(float *restrict h, const uint16_t *restrict half, int n, uint32_t thr,
                                          float scale) {
    for (int j = 0; j < n; j++) h[j] = rb_relu(h[j]) * (scale * (float)((uint32_t)half[j] >= thr));
}

void rb_nn_relu_dropout(float *h, int64_t rows, int n, float p, rb_rng *stream) {
    int64_t count = rows * (int64_t)n;
    if (p <= 0.0f || !stream) {
        rb_relu_all(h, count);
        return;
    }
    const uint32_t thr = rb_dropout_threshold(p);
    const float scale = rb_nn_dropout_scale(p);
    enum { CHUNK = 512 };
    uint32_t words[CHUNK / 2];
    uint16_t half[CHUNK];
    for (int64_t i0 = 0; i0 < count; i0 += CHUNK) {
        int nb = count - i0 < CHUNK ? (int)(count - i0) : CHUNK, nw = (nb + 1) / 2;
        /* every element consumes 16 bits (low half first), whatever h holds: the mask depends only
         * on the stream and the element index; an odd tail uses the low half of one more word */
        rb_rng_fill_u32(stream, words, nw);
        rb_dropout_halves(words, nw, half);
        rb_relu_keep(h + i0, half, nb, thr, scale);
    }
}

RB_VECTOR_KERNEL void rb_nn_relu_dropout_backward(const float *h, float *dh, int64_t count, float p) {
    const float scale = rb_nn_dropout_scale(p);
    for (int64_t i = 0; i < count; i++) dh[i] *= scale * rb_active(h[i]);
}

double rb_nn_sigmoid(double x) {
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

double rb_nn_softplus(double x) {
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

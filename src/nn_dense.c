/* nn_dense.c - batched dense layers (sgemm forward, input-gradient and weight-gradient), bias
 * helpers, ReLU with inverted dropout from counter-based streams, stable sigmoid/softplus (rb_nn.h). */
#include "rb_nn.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>

void rb_nn_matmul(const float *x, int64_t rows, int k, int ldx, const float *w, int out, int ldw,
                  float *y, int ldy, float beta) {
    if (rows <= 0 || out <= 0) return;
    if (k <= 0) { /* empty inner dimension: y = beta * y */
        for (int64_t r = 0; r < rows; r++)
            for (int j = 0; j < out; j++) y[r * ldy + j] = beta == 0.0f ? 0.0f : beta * y[r * ldy + j];
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, out, k, 1.0f, x, ldx, w, ldw,
                beta, y, ldy);
}

void rb_nn_matmul_tn(const float *x, int64_t rows, int k, int ldx, const float *dy, int out, int lddy,
                     float *g, int ldg, float beta) {
    if (k <= 0 || out <= 0) return;
    if (rows <= 0) {
        for (int i = 0; i < k; i++)
            for (int j = 0; j < out; j++) g[(int64_t)i * ldg + j] = beta == 0.0f ? 0.0f : beta * g[(int64_t)i * ldg + j];
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

void rb_nn_add_bias(float *y, int64_t rows, int n, int ldy, const float *b) {
    for (int64_t r = 0; r < rows; r++) {
        float *yr = y + r * ldy;
        for (int j = 0; j < n; j++) yr[j] += b[j];
    }
}

void rb_nn_colsum(const float *dy, int64_t rows, int n, int lddy, float *db, float beta) {
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

void rb_nn_relu_dropout(float *h, int64_t rows, int n, float p, rb_rng *stream) {
    int64_t count = rows * (int64_t)n;
    if (p <= 0.0f || !stream) {
        for (int64_t i = 0; i < count; i++) h[i] = h[i] > 0.0f ? h[i] : 0.0f;
        return;
    }
    double thr_d = floor((double)p * 4294967296.0 + 0.5);
    uint32_t thr = thr_d >= 4294967295.0 ? 4294967295u : (uint32_t)thr_d;
    float scale = (float)(1.0 / (1.0 - (double)p));
    for (int64_t i = 0; i < count; i++) {
        uint32_t u = rb_rng_u32(stream); /* drawn for every element: the mask never depends on h */
        h[i] = (h[i] > 0.0f && u >= thr) ? h[i] * scale : 0.0f;
    }
}

void rb_nn_relu_dropout_backward(const float *h, float *dh, int64_t count, float p) {
    float scale = p > 0.0f ? (float)(1.0 / (1.0 - (double)p)) : 1.0f;
    for (int64_t i = 0; i < count; i++) dh[i] = h[i] > 0.0f ? dh[i] * scale : 0.0f;
}

double rb_nn_sigmoid(double x) {
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

double rb_nn_softplus(double x) {
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

/* rb_nn.h - the neural-network building blocks of the detectors: batched dense layers over stacked
 * snippet matrices (cblas_sgemm for forward, input-gradient and weight-gradient), ReLU with inverted
 * dropout whose masks come from counter-based streams, the top-k MIL loss of the XD-Violence
 * baselines, and Adam with learning-rate schedules. docs/training.md explains the choices.
 *
 * Layout: every activation matrix is row-major [rows][width] with a leading dimension; a dense layer
 * stores W as [in][out] (row-major) and b as [out], so y = x W + b is one NoTrans/NoTrans sgemm and
 * the rows of W that belong to one block of input columns are a contiguous block of W. */
#ifndef RB_NN_H
#define RB_NN_H

#include <stdint.h>

#include "rb_rng.h"

/* ---- dense layers (src/nn_dense.c) ---- */

typedef struct {
    int in, out;
    float *w; /* [in][out] */
    float *b; /* [out] */
} rb_dense;

/* y[rows][out] (leading dim ldy) = beta * y + x[rows][k] (ldx) * w[k][out] (ldw). One sgemm. */
void rb_nn_matmul(const float *x, int64_t rows, int k, int ldx, const float *w, int out, int ldw,
                  float *y, int ldy, float beta);
/* g[k][out] (ldg) = beta * g + x^T * dy, with x [rows][k] (ldx), dy [rows][out] (lddy). One sgemm. */
void rb_nn_matmul_tn(const float *x, int64_t rows, int k, int ldx, const float *dy, int out, int lddy,
                     float *g, int ldg, float beta);
/* dx[rows][k] (lddx) = beta * dx + dy[rows][out] (lddy) * w^T, w [k][out] (ldw). One sgemm. */
void rb_nn_matmul_nt(const float *dy, int64_t rows, int out, int lddy, const float *w, int k, int ldw,
                     float *dx, int lddx, float beta);
/* y[r][j] += b[j]. */
void rb_nn_add_bias(float *y, int64_t rows, int n, int ldy, const float *b);
/* db[j] = beta * db[j] + sum_r dy[r][j]; the sum runs in double, rows in ascending order. */
void rb_nn_colsum(const float *dy, int64_t rows, int n, int lddy, float *db, float beta);

/* Dense layer: y = x W + b (y is [rows][L->out], contiguous). */
void rb_dense_forward(const rb_dense *L, const float *x, int64_t rows, int ldx, float *y);
/* Gradients of a dense layer given dy [rows][out] (contiguous): g->w = x^T dy, g->b = colsum(dy)
 * (overwritten, or added to when accumulate is set), and dx = dy W^T when dx is not NULL. g has the
 * shape of L and points into a gradient buffer. */
void rb_dense_backward(const rb_dense *L, const float *x, int64_t rows, int ldx, const float *dy,
                       const rb_dense *g, int accumulate, float *dx, int lddx);

/* In place h = relu(h) * mask * scale over h [rows][n] (contiguous) - inverted dropout. Each element
 * takes 16 bits of stream (row-major, low half of each 32-bit word first) and is kept when they are
 * >= thr = round(p * 65536); scale = rb_nn_dropout_scale(p) = 65536 / (65536 - thr), so the expected
 * output equals relu(h) exactly (p is quantised to 1/65536). stream may be NULL when p == 0 (plain
 * ReLU). The mask depends only on the stream and the element index, never on h. */
void rb_nn_relu_dropout(float *h, int64_t rows, int n, float p, rb_rng *stream);
float rb_nn_dropout_scale(float p);
/* Backward of rb_nn_relu_dropout from its output h: dh[i] = h[i] > 0 ? dh[i] * scale : 0. */
void rb_nn_relu_dropout_backward(const float *h, float *dh, int64_t count, float p);

/* Numerically stable logistic function and log(1 + exp(x)). */
double rb_nn_sigmoid(double x);
double rb_nn_softplus(double x);

/* ---- top-k MIL loss (src/nn_mil.c) ---- */

/* k of the baselines for a bag of true length t >= 1: floor(t / 16) + 1, capped at t. */
int rb_mil_k(int t);

/* Indices (0-based, relative to the bag) of the k largest of x[0..t-1], in decreasing order of value;
 * ties go to the lower index. k <= t. */
void rb_mil_topk(const float *x, int t, int k, int *idx);

/* Top-k MIL binary cross-entropy of the XD-Violence baselines over n_bags bags. Bag b's snippet
 * logits are logits[start[b] .. start[b] + len[b] - 1] (len >= 1; rows past len - padding - are never
 * read or selected). bag logit = mean of the k = rb_mil_k(len) largest snippet logits, p = sigmoid,
 * loss_b = BCE(p, label_b) computed from the logit (softplus form, no clamping). *loss = mean over
 * bags. When dlogits is not NULL it is filled with d(*loss)/d(logits): zero everywhere except the
 * selected snippets, which get (p - y) / (k * n_bags). dlogits must cover every row touched by the
 * caller's layout: the function zeroes the rows of each bag (start .. start+len-1) only. */
int rb_mil_topk_loss(const float *logits, const int64_t *start, const int32_t *len, const float *labels,
                     int n_bags, double *loss, float *dlogits);

/* ---- Adam and learning-rate schedules (src/nn_adam.c) ---- */

typedef enum {
    RB_WD_L2 = 0,        /* PyTorch Adam(weight_decay=): g += wd * w before the moments */
    RB_WD_DECOUPLED = 1  /* AdamW: w -= lr * wd * w, separately from the Adam step */
} rb_wd_mode;

typedef struct {
    int64_t n;             /* number of parameters */
    int64_t t;             /* steps taken */
    double beta1, beta2, eps, weight_decay;
    rb_wd_mode wd_mode;
    float *m, *v;          /* first and second moments, [n] */
} rb_adam;

/* beta1 0.9, beta2 0.999, eps 1e-8, moments zero. */
int rb_adam_init(rb_adam *a, int64_t n, double weight_decay, rb_wd_mode wd_mode);
void rb_adam_free(rb_adam *a);
/* One step at learning rate lr (bias-corrected moments, PyTorch semantics:
 * w -= lr * mhat / (sqrt(vhat) + eps)). Per element in double, in index order. */
void rb_adam_step(rb_adam *a, float *w, const float *g, double lr);

typedef enum { RB_LR_CONSTANT = 0, RB_LR_STEP = 1, RB_LR_COSINE = 2 } rb_lr_schedule;

/* Learning rate of epoch e (0-based) of n_epochs: constant lr; step: lr * gamma^floor(e / step_every);
 * cosine: lr * (1 + cos(pi * e / n_epochs)) / 2. Changes once per epoch. */
double rb_lr_at(rb_lr_schedule s, double lr, int e, int n_epochs, int step_every, double gamma);
/* "constant" | "step" | "cosine" -> schedule; RB_ERR with a message naming the choices otherwise. */
int rb_lr_schedule_parse(const char *name, rb_lr_schedule *out);
const char *rb_lr_schedule_name(rb_lr_schedule s);

#endif

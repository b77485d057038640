/* test_nn.c - the network building blocks (rb_model.h): dense layer forward against hand values and its
 * gradients against central finite differences, ReLU + dropout (gradient, mask rate, determinism),
 * the top-k MIL loss (k rule, ties, padding, hand value, finite differences), Adam by hand, the
 * learning-rate schedules and the baseline resampling positions. */
#include "rb_core.h"
#include "rb_model.h"
#include "rb_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void fill_normal(float *x, int n, uint32_t id, double scale) {
    rb_rng r;
    rb_rng_init(&r, 5, RB_PURPOSE_TEST, id, 0, 0);
    for (int i = 0; i < n; i++) x[i] = (float)(scale * rb_rng_normal(&r));
}

/* Relative/absolute closeness for float32 finite differences. */
static int fd_close(double analytic, double numeric, double abs_tol, double rel_tol) {
    return fabs(analytic - numeric) <= abs_tol + rel_tol * fmax(fabs(analytic), fabs(numeric));
}

RB_TEST(nn_dense_forward_hand_values) {
    /* x = [[1, 2, 3], [-1, 0, 2]], W = [[1, 0], [0, 1], [1, -1]], b = [0.5, -0.5] */
    float x[6] = {1, 2, 3, -1, 0, 2}, w[6] = {1, 0, 0, 1, 1, -1}, b[2] = {0.5f, -0.5f}, y[4];
    rb_dense L = {3, 2, w, b};
    rb_dense_forward(&L, x, 2, 3, y);
    RB_EXPECT_NEAR(y[0], 4.5, 1e-6);  /* 1 + 3 + 0.5 */
    RB_EXPECT_NEAR(y[1], -1.5, 1e-6); /* 2 - 3 - 0.5 */
    RB_EXPECT_NEAR(y[2], 1.5, 1e-6);  /* -1 + 2 + 0.5 */
    RB_EXPECT_NEAR(y[3], -2.5, 1e-6); /* 0 - 2 - 0.5 */
    /* leading dimension: the same rows embedded in a wider matrix */
    float xw[10] = {1, 2, 3, 9, 9, -1, 0, 2, 9, 9}, y2[4];
    rb_dense_forward(&L, xw, 2, 5, y2);
    for (int i = 0; i < 4; i++) RB_EXPECT_NEAR(y2[i], y[i], 0);
}

/* L = sum(c * (x W + b)): its gradients are exact linear functions, checked by central differences. */
static double dense_objective(const rb_dense *L, const float *x, int rows, const float *c) {
    float y[64];
    rb_dense_forward(L, x, rows, L->in, y);
    double s = 0;
    for (int i = 0; i < rows * L->out; i++) s += (double)c[i] * y[i];
    return s;
}

RB_TEST(nn_dense_backward_matches_finite_differences) {
    enum { R = 5, IN = 4, OUT = 3 };
    float x[R * IN], w[IN * OUT], b[OUT], c[R * OUT], gw[IN * OUT], gb[OUT], dx[R * IN];
    fill_normal(x, R * IN, 1, 1.0);
    fill_normal(w, IN * OUT, 2, 1.0);
    fill_normal(b, OUT, 3, 1.0);
    fill_normal(c, R * OUT, 4, 1.0);
    rb_dense L = {IN, OUT, w, b}, G = {IN, OUT, gw, gb};
    rb_dense_backward(&L, x, R, IN, c, &G, 0, dx, IN);
    const float h = 1e-2f;
    float *targets[3] = {w, b, x}, *grads[3] = {gw, gb, dx};
    int sizes[3] = {IN * OUT, OUT, R * IN};
    for (int t = 0; t < 3; t++)
        for (int i = 0; i < sizes[t]; i++) {
            float keep = targets[t][i];
            targets[t][i] = keep + h;
            double up = dense_objective(&L, x, R, c);
            targets[t][i] = keep - h;
            double dn = dense_objective(&L, x, R, c);
            targets[t][i] = keep;
            double num = (up - dn) / (2.0 * h);
            RB_EXPECT_MSG(fd_close(grads[t][i], num, 1e-4, 1e-3), "block %d entry %d: analytic %g, numeric %g",
                          t, i, (double)grads[t][i], num);
        }
    /* accumulate adds to what is there */
    float gw2[IN * OUT], gb2[OUT];
    for (int i = 0; i < IN * OUT; i++) gw2[i] = 1.0f;
    for (int i = 0; i < OUT; i++) gb2[i] = 1.0f;
    rb_dense G2 = {IN, OUT, gw2, gb2};
    rb_dense_backward(&L, x, R, IN, c, &G2, 1, NULL, 0);
    for (int i = 0; i < IN * OUT; i++) RB_EXPECT_NEAR(gw2[i], gw[i] + 1.0f, 1e-5);
    for (int i = 0; i < OUT; i++) RB_EXPECT_NEAR(gb2[i], gb[i] + 1.0f, 1e-5);
}

static double relu_objective(const float *z, const float *c, int n, float p, uint32_t key) {
    float h[64];
    memcpy(h, z, sizeof(float) * (size_t)n);
    rb_rng r;
    rb_rng_init(&r, 9, RB_PURPOSE_TEST, key, 0, 0);
    rb_nn_relu_dropout(h, 1, n, p, p > 0 ? &r : NULL);
    double s = 0;
    for (int i = 0; i < n; i++) s += (double)c[i] * h[i];
    return s;
}

RB_TEST(nn_relu_dropout_gradient_with_fixed_mask) {
    enum { N = 48 };
    float z[N], c[N];
    fill_normal(z, N, 11, 1.0);
    fill_normal(c, N, 12, 1.0);
    for (int i = 0; i < N; i++)
        if (fabsf(z[i]) < 0.05f) z[i] = 0.3f; /* keep clear of the kink */
    for (int pass = 0; pass < 2; pass++) {
        float p = pass ? 0.5f : 0.0f;
        float h[N], dh[N];
        memcpy(h, z, sizeof h);
        rb_rng r;
        rb_rng_init(&r, 9, RB_PURPOSE_TEST, 77, 0, 0);
        rb_nn_relu_dropout(h, 1, N, p, p > 0 ? &r : NULL);
        memcpy(dh, c, sizeof dh);
        rb_nn_relu_dropout_backward(h, dh, N, p);
        int kept = 0, positive = 0;
        for (int i = 0; i < N; i++) {
            float keep = z[i];
            z[i] = keep + 1e-2f;
            double up = relu_objective(z, c, N, p, 77);
            z[i] = keep - 1e-2f;
            double dn = relu_objective(z, c, N, p, 77);
            z[i] = keep;
            RB_EXPECT_MSG(fd_close(dh[i], (up - dn) / 2e-2, 1e-4, 1e-3), "p %g entry %d: %g vs %g",
                          (double)p, i, (double)dh[i], (up - dn) / 2e-2);
            if (z[i] > 0) {
                positive++;
                if (h[i] > 0) {
                    kept++;
                    RB_EXPECT_NEAR(h[i], z[i] * rb_nn_dropout_scale(p), 1e-6);
                }
            } else {
                RB_EXPECT_INT(h[i] == 0.0f, 1);
            }
        }
        if (p == 0) RB_EXPECT_INT(kept, positive);
        else RB_EXPECT(kept > 0 && kept < positive);
    }
}

RB_TEST(nn_dropout_rate_and_determinism) {
    enum { N = 100000 };
    float *a = malloc(sizeof(float) * N), *b = malloc(sizeof(float) * N);
    for (int i = 0; i < N; i++) a[i] = b[i] = 1.0f;
    rb_rng ra, rb;
    rb_rng_init(&ra, 3, RB_PURPOSE_TRAIN_DROPOUT, 1, 2, 3);
    rb_rng_init(&rb, 3, RB_PURPOSE_TRAIN_DROPOUT, 1, 2, 3);
    rb_nn_relu_dropout(a, 100, N / 100, 0.6f, &ra);
    rb_nn_relu_dropout(b, 1, N, 0.6f, &rb); /* same stream, different shape: same mask */
    int kept = 0, same = 1;
    double sum = 0;
    for (int i = 0; i < N; i++) {
        kept += a[i] != 0.0f;
        same &= a[i] == b[i];
        sum += a[i];
    }
    RB_EXPECT(same);
    RB_EXPECT_NEAR(rb_nn_dropout_scale(0.5f), 2.0, 0);
    RB_EXPECT_NEAR(rb_nn_dropout_scale(0.6f), 65536.0 / 26214.0, 1e-6); /* thr = 39322 */
    RB_EXPECT_NEAR(rb_nn_dropout_scale(0.0f), 1.0, 0);
    RB_EXPECT_NEAR((double)kept / N, 0.4, 0.006); /* sd 0.0015 */
    RB_EXPECT_NEAR(sum / N, 1.0, 0.015);           /* inverted dropout keeps the mean */
    free(a);
    free(b);
}

/* The mask, element by element from the stream's words: element 2j is kept when the low 16 bits of
 * word j are >= 39322 (p = 0.6), element 2j+1 when its high 16 bits are; 1,001 elements (two chunks
 * and an odd tail) of one call, and the stream continues after the word the odd tail half used. */
RB_TEST(nn_dropout_mask_is_the_stream_halves) {
    enum { N = 1001 };
    float h[N];
    for (int i = 0; i < N; i++) h[i] = 1.0f;
    rb_rng r, ref;
    rb_rng_init(&r, 9, RB_PURPOSE_TRAIN_DROPOUT, 4, 5, 6);
    rb_rng_init(&ref, 9, RB_PURPOSE_TRAIN_DROPOUT, 4, 5, 6);
    rb_nn_relu_dropout(h, 1, N, 0.6f, &r);
    int bad = 0, kept = 0;
    for (int j = 0; j < (N + 1) / 2; j++) {
        uint32_t w = rb_rng_u32(&ref);
        for (int half = 0; half < 2 && 2 * j + half < N; half++) {
            int keep = ((half ? w >> 16 : w & 0xffffu) >= 39322u);
            kept += keep;
            bad += h[2 * j + half] != (keep ? rb_nn_dropout_scale(0.6f) : 0.0f);
        }
    }
    RB_EXPECT_INT(bad, 0);
    RB_EXPECT(kept > 300 && kept < 500);
    RB_EXPECT(rb_rng_u32(&r) == rb_rng_u32(&ref));
}

RB_TEST(nn_sigmoid_softplus_stable) {
    RB_EXPECT_NEAR(rb_nn_sigmoid(0), 0.5, 0);
    RB_EXPECT_NEAR(rb_nn_sigmoid(-800), 0.0, 1e-300);
    RB_EXPECT_NEAR(rb_nn_sigmoid(800), 1.0, 0);
    RB_EXPECT_NEAR(rb_nn_softplus(0), log(2.0), 1e-15);
    RB_EXPECT_NEAR(rb_nn_softplus(800), 800.0, 1e-12);
    RB_EXPECT_NEAR(rb_nn_softplus(-800), 0.0, 1e-300);
    RB_EXPECT_NEAR(rb_nn_softplus(2.0) - rb_nn_softplus(-2.0), 2.0, 1e-14);
}

RB_TEST(mil_k_rule) {
    int t[] = {1, 2, 15, 16, 17, 31, 32, 199, 200};
    int k[] = {1, 1, 1, 2, 2, 2, 3, 13, 13};
    for (int i = 0; i < 9; i++) RB_EXPECT_INT(rb_mil_k(t[i]), k[i]);
}

RB_TEST(mil_topk_order_and_ties) {
    float x[] = {1, 3, 3, 2, 3, -1};
    int idx[6];
    rb_mil_topk(x, 6, 2, idx);
    RB_EXPECT_INT(idx[0], 1);
    RB_EXPECT_INT(idx[1], 2);
    rb_mil_topk(x, 6, 4, idx);
    RB_EXPECT_INT(idx[0], 1);
    RB_EXPECT_INT(idx[1], 2);
    RB_EXPECT_INT(idx[2], 4);
    RB_EXPECT_INT(idx[3], 3);
    float y[] = {5, 5, 5, 5};
    rb_mil_topk(y, 4, 3, idx);
    RB_EXPECT_INT(idx[0], 0);
    RB_EXPECT_INT(idx[1], 1);
    RB_EXPECT_INT(idx[2], 2);
    float z[] = {-2, 7, 0.5f, 7.5f, 7};
    rb_mil_topk(z, 5, 1, idx);
    RB_EXPECT_INT(idx[0], 3);
}

RB_TEST(mil_loss_hand_value_and_tie_gradient) {
    /* Bag 0: 4 snippets, k = 1, ties at the top: the lower index (1) gets the whole gradient.
     * Bag 1: 16 snippets, k = 2: top two are 3 and 1 -> bag logit 2. */
    float logits[20] = {0.5f, 2, 2, 1};
    for (int i = 0; i < 16; i++) logits[4 + i] = -1.0f;
    logits[4 + 5] = 3.0f;
    logits[4 + 9] = 1.0f;
    int64_t start[2] = {0, 4};
    int32_t len[2] = {4, 16};
    float labels[2] = {0, 1}, g[20];
    double loss;
    RB_EXPECT_OK(rb_mil_topk_loss(logits, start, len, labels, 2, &loss, g));
    double l0 = log1p(exp(2.0)), l1 = log1p(exp(-2.0)); /* BCE(sig(2), 0), BCE(sig(2), 1) */
    RB_EXPECT_NEAR(loss, (l0 + l1) / 2, 1e-12);
    double s2 = 1.0 / (1.0 + exp(-2.0));
    for (int i = 0; i < 20; i++) {
        double want = 0;
        if (i == 1) want = (s2 - 0) / (1 * 2);
        if (i == 4 + 5 || i == 4 + 9) want = (s2 - 1) / (2 * 2);
        RB_EXPECT_NEAR(g[i], want, 1e-7);
    }
}

RB_TEST(mil_loss_padded_bags_and_finite_differences) {
    /* Padded layout: 3 bags in rows of 40, true lengths 20, 33 and 40; padding holds huge logits
     * that must never be selected, and padding gradient slots must stay untouched. */
    enum { M = 40, B = 3 };
    float logits[B * M], g[B * M];
    fill_normal(logits, B * M, 21, 1.0);
    int32_t len[B] = {20, 33, 40};
    int64_t start[B] = {0, M, 2 * M};
    float labels[B] = {1, 0, 1};
    for (int b = 0; b < B; b++)
        for (int i = len[b]; i < M; i++) logits[b * M + i] = 1000.0f;
    for (int i = 0; i < B * M; i++) g[i] = 42.0f;
    double loss, up, dn;
    RB_EXPECT_OK(rb_mil_topk_loss(logits, start, len, labels, B, &loss, g));
    RB_EXPECT(loss < 10.0); /* a selected padding logit of 1000 would give a loss of about 333 */
    int selected = 0;
    for (int b = 0; b < B; b++)
        for (int i = 0; i < M; i++) {
            int j = b * M + i;
            if (i >= len[b]) {
                RB_EXPECT_NEAR(g[j], 42.0, 0);
                continue;
            }
            selected += g[j] != 0.0f;
            float keep = logits[j];
            logits[j] = keep + 1e-3f;
            RB_EXPECT_OK(rb_mil_topk_loss(logits, start, len, labels, B, &up, NULL));
            logits[j] = keep - 1e-3f;
            RB_EXPECT_OK(rb_mil_topk_loss(logits, start, len, labels, B, &dn, NULL));
            logits[j] = keep;
            double num = (up - dn) / 2e-3;
            RB_EXPECT_MSG(fd_close(g[j], num, 2e-5, 1e-3), "bag %d snippet %d: %g vs %g", b, i, (double)g[j], num);
        }
    RB_EXPECT_INT(selected, rb_mil_k(20) + rb_mil_k(33) + rb_mil_k(40)); /* 2 + 3 + 3 */
}

RB_TEST(mil_loss_rejects_bad_bags) {
    float x[4] = {0};
    int64_t start[1] = {0};
    int32_t len[1] = {0};
    float lab[1] = {1};
    double loss;
    RB_EXPECT_ERR(rb_mil_topk_loss(x, start, len, lab, 1, &loss, NULL), "length >= 1");
    RB_EXPECT_ERR(rb_mil_topk_loss(x, start, len, lab, 0, &loss, NULL), "at least one bag");
    float nan_x[1] = {NAN};
    len[0] = 1;
    RB_EXPECT_ERR(rb_mil_topk_loss(nan_x, start, len, lab, 1, &loss, NULL), "not finite");
}

RB_TEST(adam_two_parameters_by_hand) {
    /* Step 1: m = 0.1 g, v = 0.001 g^2, mhat = g, vhat = g^2: w -= lr * g / (|g| + eps).
     * Step 2 (g = 0.2, 0.3): values from the PyTorch update rule evaluated in double. */
    rb_adam a;
    RB_EXPECT_OK(rb_adam_init(&a, 2, 0.0, RB_WD_L2));
    float w[2] = {1.0f, -2.0f}, g1[2] = {0.5f, -0.1f}, g2[2] = {0.2f, 0.3f};
    rb_adam_step(&a, w, g1, 0.1);
    RB_EXPECT_NEAR(w[0], 0.900000002, 1e-7);
    RB_EXPECT_NEAR(w[1], -1.900000010, 2e-7);
    RB_EXPECT_NEAR(a.m[0], 0.05, 1e-9);
    RB_EXPECT_NEAR(a.v[1], 1e-5, 1e-12);
    rb_adam_step(&a, w, g2, 0.1);
    RB_EXPECT_NEAR(w[0], 0.8101424839029282, 2e-7);
    RB_EXPECT_NEAR(w[1], -1.9494189911200654, 2e-7);
    RB_EXPECT_INT(a.t, 2);
    rb_adam_free(&a);

    /* weight decay 0.5, one step: L2 adds wd * w to g; decoupled shrinks w by (1 - lr wd) */
    RB_EXPECT_OK(rb_adam_init(&a, 2, 0.5, RB_WD_L2));
    float wl[2] = {1.0f, -2.0f};
    rb_adam_step(&a, wl, g1, 0.1);
    RB_EXPECT_NEAR(wl[0], 0.900000001, 1e-7);
    RB_EXPECT_NEAR(wl[1], -1.900000001, 2e-7);
    rb_adam_free(&a);
    RB_EXPECT_OK(rb_adam_init(&a, 2, 0.5, RB_WD_DECOUPLED));
    float wd[2] = {1.0f, -2.0f};
    rb_adam_step(&a, wd, g1, 0.1);
    RB_EXPECT_NEAR(wd[0], 0.850000002, 1e-7);
    RB_EXPECT_NEAR(wd[1], -1.800000010, 2e-7);
    rb_adam_free(&a);
    RB_EXPECT_ERR(rb_adam_init(&a, 2, -1.0, RB_WD_L2), "weight decay");
}

RB_TEST(lr_schedules) {
    RB_EXPECT_NEAR(rb_lr_at(RB_LR_CONSTANT, 1e-3, 7, 10, 0, 0), 1e-3, 0);
    RB_EXPECT_NEAR(rb_lr_at(RB_LR_STEP, 1.0, 0, 50, 10, 0.5), 1.0, 0);
    RB_EXPECT_NEAR(rb_lr_at(RB_LR_STEP, 1.0, 9, 50, 10, 0.5), 1.0, 0);
    RB_EXPECT_NEAR(rb_lr_at(RB_LR_STEP, 1.0, 10, 50, 10, 0.5), 0.5, 0);
    RB_EXPECT_NEAR(rb_lr_at(RB_LR_STEP, 1.0, 35, 50, 10, 0.5), 0.125, 1e-15);
    RB_EXPECT_NEAR(rb_lr_at(RB_LR_COSINE, 2.0, 0, 4, 0, 0), 2.0, 1e-15);
    RB_EXPECT_NEAR(rb_lr_at(RB_LR_COSINE, 2.0, 2, 4, 0, 0), 1.0, 1e-15);
    RB_EXPECT_NEAR(rb_lr_at(RB_LR_COSINE, 2.0, 3, 4, 0, 0), 1.0 - sqrt(0.5), 1e-15);
    rb_lr_schedule s;
    RB_EXPECT_OK(rb_lr_schedule_parse("cosine", &s));
    RB_EXPECT_INT(s, RB_LR_COSINE);
    RB_EXPECT(strcmp(rb_lr_schedule_name(RB_LR_STEP), "step") == 0);
    RB_EXPECT_ERR(rb_lr_schedule_parse("linear", &s), "constant, step or cosine");
}

/* Products with an empty inner dimension (a gradient group with no rows of an input, a layer with no
 * inputs) leave C = beta C, as sgemm would: zeros for beta 0 (whatever C held, NaN included), C
 * unchanged for beta 1, scaled otherwise; the padding beyond each row's n columns is not touched. */
RB_TEST(nn_matmul_empty_inner_dimension_is_beta_times_c) {
    enum { K = 3, OUT = 5, LD = 7 };
    const float betas[3] = {0.0f, 1.0f, 0.5f};
    for (int t = 0; t < 3; t++) {
        float g[K * LD], before[K * LD];
        for (int i = 0; i < K * LD; i++) g[i] = before[i] = (i % 4 == 1) ? NAN : (float)i - 6.5f;
        rb_nn_matmul_tn(NULL, 0, K, K, NULL, OUT, OUT, g, LD, betas[t]);
        int bad = 0;
        for (int i = 0; i < K; i++)
            for (int j = 0; j < LD; j++) {
                float want = j >= OUT ? before[i * LD + j] : betas[t] == 0.0f ? 0.0f : betas[t] * before[i * LD + j];
                float got = g[i * LD + j];
                bad += !(isnan(want) ? isnan(got) : memcmp(&got, &want, sizeof got) == 0);
            }
        RB_EXPECT_INT(bad, 0);
        float y[2 * LD];
        for (int i = 0; i < 2 * LD; i++) y[i] = NAN;
        rb_nn_matmul(NULL, 2, 0, 0, NULL, OUT, OUT, y, LD, 0.0f);
        for (int i = 0; i < 2 * LD; i++) bad += (i % LD < OUT) ? y[i] != 0.0f : !isnan(y[i]);
        RB_EXPECT_INT(bad, 0);
    }
}

/* test_vector_kernels.c - the element kernels built with vector clones (RB_VECTOR_KERNEL, rb_core.h)
 * give bitwise the values of their scalar formulas, written out here one element at a time: the bias
 * and ReLU passes of scoring, ReLU with dropout and its backward pass, the column sums of the bias
 * gradient, Adam in its three weight-decay modes and the group sum of training. Every length from 1
 * to 70 is run, so each vector body and each scalar tail is reached (AVX-512 holds 16 floats or 8
 * doubles); the inputs mix signs, both zeros, subnormals and large values. */
#include "rb_core.h"
#include "rb_model.h"
#include "rb_test.h"

#include "model/train_groups.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAXN = 70, ROWS = 3 };

/* value i of a test vector keyed by id: mostly normals, with -0, +0, subnormals and large values */
static float test_value(uint32_t id, int i) {
    static const float special[] = {-0.0f, 0.0f, 1e-40f, -1e-40f, 3e30f, -3e30f, 1.0f, -1.0f};
    rb_rng r;
    rb_rng_init(&r, 17, RB_PURPOSE_TEST, id, (uint32_t)i, 0);
    if (i % 5 == 3) return special[(id + (uint32_t)i) % 8];
    return (float)rb_rng_normal(&r);
}

static void fill(float *x, int n, uint32_t id) {
    for (int i = 0; i < n; i++) x[i] = test_value(id, i);
}

static float scalar_relu(float x) { return x > 0.0f ? x : 0.0f; } /* NaN-free inputs: the same as the bit form */

static int same_bits(const float *a, const float *b, int n) { return memcmp(a, b, sizeof(float) * (size_t)n) == 0; }

RB_TEST(vector_kernels_bias_relu_match_scalar_formulas) {
    float a[ROWS * MAXN], c[ROWS * MAXN], b0[MAXN], b[MAXN], y[ROWS * MAXN], ref[ROWS * MAXN];
    int bad = 0;
    for (int n = 1; n <= MAXN; n++) {
        fill(a, ROWS * n, 1);
        fill(c, ROWS * n, 2);
        fill(b0, n, 3);
        fill(b, n, 4);
        /* add_bias_relu, with a row stride wider than the row */
        int ld = n + 3;
        float yy[ROWS * (MAXN + 3)], rr[ROWS * (MAXN + 3)];
        fill(yy, ROWS * ld, 5);
        memcpy(rr, yy, sizeof(float) * (size_t)(ROWS * ld));
        rb_nn_add_bias_relu(yy, ROWS, n, ld, b);
        for (int r = 0; r < ROWS; r++)
            for (int j = 0; j < n; j++) rr[r * ld + j] = scalar_relu(rr[r * ld + j] + b[j]);
        bad += !same_bits(yy, rr, ROWS * ld);
        /* add_bias (no relu) */
        memcpy(y, a, sizeof(float) * (size_t)(ROWS * n));
        rb_nn_add_bias(y, ROWS, n, n, b);
        for (int i = 0; i < ROWS * n; i++) ref[i] = a[i] + b[i % n];
        bad += !same_bits(y, ref, ROWS * n);
        /* sum_bias_relu: relu((a + c) + b) */
        rb_nn_sum_bias_relu(y, a, c, ROWS, n, b);
        for (int i = 0; i < ROWS * n; i++) ref[i] = scalar_relu((a[i] + c[i]) + b[i % n]);
        bad += !same_bits(y, ref, ROWS * n);
        /* bias2_relu: relu((a + b0) + b), and relu(a + b) without b0 */
        rb_nn_bias2_relu(y, a, b0, ROWS, n, b);
        for (int i = 0; i < ROWS * n; i++) ref[i] = scalar_relu((a[i] + b0[i % n]) + b[i % n]);
        bad += !same_bits(y, ref, ROWS * n);
        rb_nn_bias2_relu(y, a, NULL, ROWS, n, b);
        for (int i = 0; i < ROWS * n; i++) ref[i] = scalar_relu(a[i] + b[i % n]);
        bad += !same_bits(y, ref, ROWS * n);
    }
    RB_EXPECT_INT(bad, 0);
}

/* ReLU with dropout against the mask written out from the stream's 16-bit halves, on mixed-sign
 * inputs; the backward pass against dh * scale where the output is positive. */
RB_TEST(vector_kernels_dropout_match_scalar_formulas) {
    float h[ROWS * MAXN], ref[ROWS * MAXN], dh[ROWS * MAXN], dref[ROWS * MAXN];
    const float p = 0.3f, scale = rb_nn_dropout_scale(p);
    const uint32_t thr = 19661u; /* floor(0.3 * 65536 + 0.5) */
    int bad = 0;
    for (int n = 1; n <= MAXN; n++) {
        const int count = ROWS * n;
        fill(h, count, 6);
        memcpy(ref, h, sizeof(float) * (size_t)count);
        rb_rng r, words;
        rb_rng_init(&r, 9, RB_PURPOSE_TRAIN_DROPOUT, (uint32_t)n, 1, 2);
        rb_rng_init(&words, 9, RB_PURPOSE_TRAIN_DROPOUT, (uint32_t)n, 1, 2);
        rb_nn_relu_dropout(h, ROWS, n, p, &r);
        for (int j = 0; 2 * j < count; j++) {
            uint32_t w = rb_rng_u32(&words);
            for (int half = 0; half < 2 && 2 * j + half < count; half++) {
                float keep = scale * (float)(((half ? w >> 16 : w & 0xffffu)) >= thr);
                ref[2 * j + half] = scalar_relu(ref[2 * j + half]) * keep;
            }
        }
        bad += !same_bits(h, ref, count);
        /* without dropout: relu alone */
        fill(h, count, 7);
        for (int i = 0; i < count; i++) ref[i] = scalar_relu(h[i]);
        rb_nn_relu_dropout(h, ROWS, n, 0.0f, NULL);
        bad += !same_bits(h, ref, count);
        /* backward from the forward output h (now >= 0 or +0) */
        fill(dh, count, 8);
        for (int i = 0; i < count; i++) dref[i] = dh[i] * (scale * (float)(h[i] > 0.0f));
        rb_nn_relu_dropout_backward(h, dh, count, p);
        bad += !same_bits(dh, dref, count);
    }
    RB_EXPECT_INT(bad, 0);
}

/* The bias gradient: column sums accumulated in double in row order, then rounded (beta 0), or added
 * to beta times the old value (beta 1). */
RB_TEST(vector_kernels_colsum_matches_scalar_formula) {
    enum { R = 5 };
    float dy[R * MAXN], db[MAXN], ref[MAXN];
    int bad = 0;
    for (int n = 1; n <= MAXN; n++) {
        fill(dy, R * n, 9);
        for (int beta = 0; beta <= 1; beta++) {
            fill(db, n, 10);
            for (int j = 0; j < n; j++) {
                double acc = 0.0;
                for (int r = 0; r < R; r++) acc += dy[r * n + j];
                ref[j] = (float)(beta == 0 ? acc : (double)(1.0f * db[j]) + acc);
            }
            rb_nn_colsum(dy, R, n, n, db, (float)beta);
            bad += !same_bits(db, ref, n);
        }
    }
    RB_EXPECT_INT(bad, 0);
}

/* Adam over n parameters, three steps, every weight-decay mode, against the update written out in
 * double one parameter at a time (the PyTorch formulas, as adam.c states them). */
RB_TEST(vector_kernels_adam_matches_scalar_formula) {
    static const struct { double wd; rb_wd_mode mode; } modes[3] = {{0.0, RB_WD_L2}, {0.01, RB_WD_L2}, {0.01, RB_WD_DECOUPLED}};
    int bad = 0;
    for (int k = 0; k < 3; k++)
        for (int n = 1; n <= MAXN; n++) {
            float w[MAXN], g[MAXN], rw[MAXN], rm[MAXN] = {0}, rv[MAXN] = {0};
            fill(w, n, 11);
            for (int i = 0; i < n; i++) w[i] = isfinite(w[i]) && fabsf(w[i]) < 1e20f ? w[i] : 0.5f;
            memcpy(rw, w, sizeof w);
            rb_adam a;
            RB_EXPECT_OK(rb_adam_init(&a, n, modes[k].wd, modes[k].mode));
            const double lr = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = modes[k].wd;
            for (int t = 1; t <= 3; t++) {
                fill(g, n, 12 + (uint32_t)t);
                for (int i = 0; i < n; i++) g[i] = fabsf(g[i]) < 1e20f ? g[i] : -2.0f;
                rb_adam_step(&a, w, g, lr);
                const double c1 = 1.0 - pow(b1, t), c2 = 1.0 - pow(b2, t), step = lr / c1, sc2 = sqrt(c2);
                for (int i = 0; i < n; i++) {
                    double wi = rw[i], gi = g[i];
                    if (modes[k].mode == RB_WD_L2 && wd > 0.0) gi += wd * wi;
                    double m = b1 * rm[i] + (1.0 - b1) * gi, v = b2 * rv[i] + (1.0 - b2) * gi * gi;
                    rm[i] = (float)m;
                    rv[i] = (float)v;
                    wi *= modes[k].mode == RB_WD_DECOUPLED ? 1.0 - lr * wd : 1.0;
                    wi -= step * m / (sqrt(v) / sc2 + eps);
                    rw[i] = (float)wi;
                }
            }
            bad += !same_bits(w, rw, n) || !same_bits(a.m, rm, n) || !same_bits(a.v, rv, n);
            rb_adam_free(&a);
        }
    RB_EXPECT_INT(bad, 0);
}

/* The group sum: 0 + w_0 row_0 + w_1 row_1 + ... in group order, w_g = (bags of g) / nb, over lengths
 * that end inside a vector and across the 2,048-element chunks. */
RB_TEST(vector_kernels_group_sum_matches_scalar_formula) {
    enum { G = 3, NB = 7, LEN = 2048 + 37 };
    float *rows = malloc(sizeof(float) * G * LEN), *out = malloc(sizeof(float) * LEN), *ref = malloc(sizeof(float) * LEN);
    RB_EXPECT(rows && out && ref);
    if (!rows || !out || !ref) goto done;
    const float *row_ptr[G];
    for (int g = 0; g < G; g++) {
        fill(rows + g * LEN, LEN, 20 + (uint32_t)g);
        row_ptr[g] = rows + g * LEN;
    }
    int bad = 0;
    for (int len = 1; len <= LEN; len += (len < 80 ? 1 : 331)) {
        rb_group_sum(out, len, row_ptr, NB, G);
        for (int i = 0; i < len; i++) {
            float o = 0.0f;
            for (int g = 0; g < G; g++) {
                int j0, j1;
                rb_group_bags(NB, G, g, &j0, &j1);
                o += (float)(j1 - j0) / (float)NB * row_ptr[g][i];
            }
            ref[i] = o;
        }
        bad += !same_bits(out, ref, len);
    }
    RB_EXPECT_INT(bad, 0);
done:
    free(rows);
    free(out);
    free(ref);
}

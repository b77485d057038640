/* test_train_groups.c - the fixed gradient groups of a minibatch (src/model/train_groups.c): the bags
 * of each group and the parameter slice of each team member against hand values, slices that tile
 * the vector for any team size, the group sum against a hand-computed value, the sum taken slice by
 * slice (as a team's members take it) bitwise equal to the whole-vector sum of one rank, and the
 * range check of train.grad_groups. */
#include "rb_core.h"
#include "rb_model.h"
#include "rb_test.h"
#include "model/train_groups.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

RB_TEST(train_group_bags_hand_values) {
    int j0, j1;
    rb_group_bags(128, 8, 3, &j0, &j1); /* the default: 16 bags per group */
    RB_EXPECT_INT(j0, 48);
    RB_EXPECT_INT(j1, 64);
    rb_group_bags(16, 64, 3, &j0, &j1); /* more groups than bags: floor(16 x 3 / 64) = 0, floor(16 x 4 / 64) = 1 */
    RB_EXPECT_INT(j0, 0);
    RB_EXPECT_INT(j1, 1);
    rb_group_bags(16, 64, 2, &j0, &j1);
    RB_EXPECT_INT(j1 - j0, 0);
    int nonempty = 0, covered = 0;
    for (int g = 0; g < 64; g++) {
        rb_group_bags(16, 64, g, &j0, &j1);
        nonempty += j1 > j0;
        covered += j1 - j0;
    }
    RB_EXPECT_INT(nonempty, 16);
    RB_EXPECT_INT(covered, 16);
}

RB_TEST(train_grad_slices_hand_values_and_tiling) {
    int64_t a, b;
    rb_grad_slice(10, 3, 0, &a, &b);
    RB_EXPECT_INT(a, 0);
    RB_EXPECT_INT(b, 3);
    rb_grad_slice(10, 3, 1, &a, &b);
    RB_EXPECT_INT(a, 3);
    RB_EXPECT_INT(b, 6);
    rb_grad_slice(10, 3, 2, &a, &b);
    RB_EXPECT_INT(a, 6);
    RB_EXPECT_INT(b, 10);
    rb_grad_slice(2, 3, 0, &a, &b); /* fewer parameters than members: empty slices */
    RB_EXPECT_INT(b - a, 0);
    int ok = 1;
    for (int64_t n = 0; n <= 70; n++)
        for (int P = 1; P <= 9; P++) {
            int64_t end = 0, lo = n, hi = 0;
            for (int k = 0; k < P; k++) {
                rb_grad_slice(n, P, k, &a, &b);
                ok &= a == end && b >= a;
                end = b;
                lo = b - a < lo ? b - a : lo;
                hi = b - a > hi ? b - a : hi;
            }
            ok &= end == n && hi - lo <= 1;
        }
    RB_EXPECT_MSG(ok, "the slices do not tile 0..n in order with sizes within 1");
    RB_EXPECT_INT(rb_group_rows(8, 3), 3);
    RB_EXPECT_INT(rb_group_rows(64, 8), 8);
    RB_EXPECT_INT(rb_group_rows(8, 1), 8);
}

RB_TEST(train_group_sum_hand_value) {
    /* 3 bags in 2 groups: bags [0, 1) and [1, 3), weights 1/3 and 2/3 */
    const float g0[2] = {3.0f, -6.0f}, g1[2] = {1.5f, 3.0f};
    const float *rows[2] = {g0, g1};
    float out[2] = {99.0f, 99.0f};
    rb_group_sum(out, 2, rows, 3, 2);
    RB_EXPECT_NEAR(out[0], 2.0, 1e-6);
    RB_EXPECT_NEAR(out[1], 0.0, 1e-6);
    /* 2 bags in 4 groups: groups 0 and 2 are empty and their rows are not read */
    const float h1[2] = {4.0f, 8.0f}, h3[2] = {2.0f, -2.0f};
    const float *sparse[4] = {NULL, h1, NULL, h3};
    rb_group_sum(out, 2, sparse, 2, 4);
    RB_EXPECT_NEAR(out[0], 3.0, 0);
    RB_EXPECT_NEAR(out[1], 3.0, 0);
}

/* The sum a team takes, each member over its slice, is bitwise the one-rank sum over whole vectors,
 * for any team size and with empty groups (nb < G). */
RB_TEST(train_group_sum_by_slices_is_bitwise_the_whole_sum) {
    enum { N = 1001, G = 16 };
    float *grads = malloc(sizeof(float) * G * N), *whole = malloc(sizeof(float) * N), *sliced = malloc(sizeof(float) * N);
    RB_EXPECT(grads && whole && sliced);
    if (!grads || !whole || !sliced) goto done;
    rb_rng r;
    rb_rng_init(&r, 31, RB_PURPOSE_TEST, 7, 0, 0);
    for (int i = 0; i < G * N; i++) grads[i] = (float)(rb_rng_normal(&r) * exp(4.0 * rb_rng_normal(&r)));
    const float *rows[G];
    for (int g = 0; g < G; g++) rows[g] = grads + (size_t)g * N;
    const int batches[3] = {128, 13, 7};
    int ok = 1;
    for (int bi = 0; bi < 3; bi++) {
        rb_group_sum(whole, N, rows, batches[bi], G);
        for (int P = 1; P <= 9; P++) {
            memset(sliced, 0xff, sizeof(float) * N);
            for (int k = 0; k < P; k++) {
                int64_t a, b;
                rb_grad_slice(N, P, k, &a, &b);
                const float *slice_rows[G];
                for (int g = 0; g < G; g++) slice_rows[g] = rows[g] + a;
                rb_group_sum(sliced + a, b - a, slice_rows, batches[bi], G);
            }
            ok &= memcmp(whole, sliced, sizeof(float) * N) == 0;
        }
    }
    RB_EXPECT_MSG(ok, "a slice-by-slice group sum differs from the whole-vector sum");
done:
    free(grads);
    free(whole);
    free(sliced);
}

RB_TEST(train_grad_groups_range_is_1_to_64) {
    rb_train_params p;
    rb_train_params_default(&p);
    RB_EXPECT_INT(p.grad_groups, 8);
    p.grad_groups = 64;
    RB_EXPECT_OK(rb_train_params_check(&p));
    p.grad_groups = 1;
    RB_EXPECT_OK(rb_train_params_check(&p));
    p.grad_groups = 65;
    RB_EXPECT_ERR(rb_train_params_check(&p), "expected train.grad_groups in 1..64, got 65");
    p.grad_groups = 0;
    RB_EXPECT_ERR(rb_train_params_check(&p), "expected train.grad_groups in 1..64, got 0");
}

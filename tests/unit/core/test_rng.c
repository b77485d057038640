/* test_rng.c - the counter-based generator: known-answer, independence of streams, distributions. */
#include "rb_core.h"
#include "rb_test.h"

#include <string.h>
#include <Random123/philox.h>

RB_TEST(rng_matches_philox_reference) {
    /* Known-answer vector of Philox4x32-10 from the Random123 distribution (kat_vectors):
     * ctr = key = 0 -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8. */
    rb_rng r;
    rb_rng_init(&r, 0, 0, 0, 0, 0);
    RB_EXPECT_INT(rb_rng_u32(&r), 0x6627e8d5u);
    RB_EXPECT_INT(rb_rng_u32(&r), 0xe169c58du);
    RB_EXPECT_INT(rb_rng_u32(&r), 0xbc57ac4cu);
    RB_EXPECT_INT(rb_rng_u32(&r), 0x9b00dbd8u);
}

RB_TEST(rng_streams_depend_only_on_ids) {
    rb_rng a, b;
    rb_rng_init(&a, 7, RB_PURPOSE_TEST, 1, 2, 3);
    for (int i = 0; i < 1000; i++) rb_rng_u32(&a); /* advance one stream a lot */
    rb_rng_init(&a, 7, RB_PURPOSE_TEST, 1, 2, 3);
    rb_rng_init(&b, 7, RB_PURPOSE_TEST, 1, 2, 3);
    int same = 1;
    for (int i = 0; i < 100; i++) same &= rb_rng_u32(&a) == rb_rng_u32(&b);
    RB_EXPECT(same);
    rb_rng_init(&b, 7, RB_PURPOSE_TEST, 1, 2, 4);
    rb_rng_init(&a, 7, RB_PURPOSE_TEST, 1, 2, 3);
    int equal = 0;
    for (int i = 0; i < 100; i++) equal += rb_rng_u32(&a) == rb_rng_u32(&b);
    RB_EXPECT(equal < 3);
}

RB_TEST(rng_uniform_and_normal_moments) {
    rb_rng r;
    rb_rng_init(&r, 11, RB_PURPOSE_TEST, 0, 0, 0);
    const int n = 200000;
    double su = 0, sn = 0, sn2 = 0, mn = 1, mx = 0;
    for (int i = 0; i < n; i++) {
        double u = rb_rng_uniform(&r);
        su += u;
        if (u < mn) mn = u;
        if (u > mx) mx = u;
        double z = rb_rng_normal(&r);
        sn += z;
        sn2 += z * z;
    }
    RB_EXPECT(mn > 0.0 && mx < 1.0);
    RB_EXPECT_NEAR(su / n, 0.5, 0.005);   /* sd of mean = 0.29/sqrt(n) = 6.5e-4 */
    RB_EXPECT_NEAR(sn / n, 0.0, 0.01);    /* sd 2.2e-3 */
    RB_EXPECT_NEAR(sn2 / n, 1.0, 0.015);  /* sd 3.2e-3 */
}

RB_TEST(rng_permutation_is_a_permutation) {
    rb_rng r;
    rb_rng_init(&r, 3, RB_PURPOSE_TEST, 0, 0, 0);
    int32_t perm[257];
    int seen[257];
    rb_rng_permutation(&r, perm, 257);
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < 257; i++) seen[perm[i]]++;
    int all_once = 1;
    for (int i = 0; i < 257; i++) all_once &= seen[i] == 1;
    RB_EXPECT(all_once);
    int counts[5] = {0};
    for (int i = 0; i < 50000; i++) counts[rb_rng_below(&r, 5)]++;
    for (int k = 0; k < 5; k++) RB_EXPECT_NEAR(counts[k], 10000, 400);
}

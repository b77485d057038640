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

/* The bulk fill returns the words successive rb_rng_u32 calls would, whatever is buffered before and
 * left after it (fills of 0..9 and of 535 words after 0..3 single reads, then single reads again). */
RB_TEST(rng_fill_matches_single_words) {
    for (int pre = 0; pre < 4; pre++)
        for (int n = 0; n < 10; n++) {
            rb_rng a, b;
            rb_rng_init(&a, 5, RB_PURPOSE_TEST, 7, pre, n);
            rb_rng_init(&b, 5, RB_PURPOSE_TEST, 7, pre, n);
            uint32_t fill[16], one[16];
            int same = 1;
            for (int i = 0; i < pre; i++) same &= rb_rng_u32(&a) == rb_rng_u32(&b);
            rb_rng_fill_u32(&a, fill, n);
            for (int i = 0; i < n; i++) one[i] = rb_rng_u32(&b);
            same &= memcmp(fill, one, sizeof(uint32_t) * (size_t)n) == 0;
            for (int i = 0; i < 6; i++) same &= rb_rng_u32(&a) == rb_rng_u32(&b);
            RB_EXPECT_MSG(same, "%d words read before, fill of %d", pre, n);
        }
    for (int pre = 0; pre < 3; pre++) { /* several kernel batches (64 blocks each), then a partial block */
        rb_rng a, b;
        rb_rng_init(&a, 6, RB_PURPOSE_TEST, 1, 2, pre);
        rb_rng_init(&b, 6, RB_PURPOSE_TEST, 1, 2, pre);
        enum { M = 4 * 64 * 2 + 4 * 5 + 3 };
        static uint32_t fill[M], one[M];
        for (int i = 0; i < pre; i++) rb_rng_u32(&a), rb_rng_u32(&b);
        rb_rng_fill_u32(&a, fill, M);
        for (int i = 0; i < M; i++) one[i] = rb_rng_u32(&b);
        RB_EXPECT(memcmp(fill, one, sizeof fill) == 0 && rb_rng_u32(&a) == rb_rng_u32(&b));
    }
    rb_rng r; /* the known answer through the fill */
    rb_rng_init(&r, 0, 0, 0, 0, 0);
    uint32_t w[4];
    rb_rng_fill_u32(&r, w, 4);
    RB_EXPECT(w[0] == 0x6627e8d5u && w[1] == 0xe169c58du && w[2] == 0xbc57ac4cu && w[3] == 0x9b00dbd8u);
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

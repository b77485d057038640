/* test_sha256.c - SHA-256: the FIPS 180-4 known answers through the streaming API, the same digest
 * however the input is split into updates, and the SHA-NI compression (sha256_shani.c) against the
 * portable one on random blocks and random states. */
#include "rb_core.h"
#include "rb_test.h"
#include "core/sha256_blocks.h"

#include <stdlib.h>
#include <string.h>

static void digest(const void *data, size_t n, char hex[65]) {
    rb_sha256 h;
    rb_sha256_init(&h);
    rb_sha256_update(&h, data, n);
    rb_sha256_hex(&h, hex);
}

RB_TEST(sha256_known_answers) {
    char hex[65];
    digest("abc", 3, hex);
    RB_EXPECT(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    digest(two, strlen(two), hex);
    RB_EXPECT(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0);
    digest("", 0, hex);
    RB_EXPECT(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0);
    /* one million 'a': 15,625 whole blocks in one update */
    char *a = malloc(1000000);
    RB_EXPECT(a != NULL);
    if (!a) return;
    memset(a, 'a', 1000000);
    digest(a, 1000000, hex);
    RB_EXPECT(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
    free(a);
}

/* Random split points (1-200 bytes, so buffered partial blocks, whole blocks straight from the input
 * and both in one update all occur) give the one-shot digest. */
RB_TEST(sha256_same_digest_however_split) {
    enum { N = 20000 };
    unsigned char *buf = malloc(N);
    RB_EXPECT(buf != NULL);
    if (!buf) return;
    rb_rng r;
    rb_rng_init(&r, 7, RB_PURPOSE_TEST, 256, 0, 0);
    for (int i = 0; i < N; i++) buf[i] = (unsigned char)rb_rng_u32(&r);
    char whole[65], split[65];
    digest(buf, N, whole);
    for (int trial = 0; trial < 50; trial++) {
        rb_sha256 h;
        rb_sha256_init(&h);
        size_t at = 0;
        while (at < N) {
            size_t step = 1 + rb_rng_below(&r, trial % 2 ? 200u : 70u);
            if (step > N - at) step = N - at;
            rb_sha256_update(&h, buf + at, step);
            at += step;
        }
        rb_sha256_hex(&h, split);
        RB_EXPECT(strcmp(whole, split) == 0);
    }
    free(buf);
}

RB_TEST(sha256_shani_matches_portable) {
    rb_sha256_blocks_fn shani = rb_sha256_blocks_shani();
    if (!shani) {
        printf("  (this CPU has no SHA extensions: only the portable compression runs here)\n");
        return;
    }
    enum { BLOCKS = 300 };
    unsigned char *buf = malloc(64 * BLOCKS);
    RB_EXPECT(buf != NULL);
    if (!buf) return;
    rb_rng r;
    rb_rng_init(&r, 11, RB_PURPOSE_TEST, 256, 1, 0);
    for (int i = 0; i < 64 * BLOCKS; i++) buf[i] = (unsigned char)rb_rng_u32(&r);
    static const size_t counts[] = {1, 2, 3, 4, 7, 64, 255, BLOCKS};
    int differ = 0;
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++)
        for (int trial = 0; trial < 20; trial++) {
            uint32_t a[8], b[8];
            for (int i = 0; i < 8; i++) a[i] = b[i] = rb_rng_u32(&r); /* any chaining state */
            size_t off = 64 * rb_rng_below(&r, (uint32_t)(BLOCKS - counts[c] + 1));
            rb_sha256_blocks_portable(a, buf + off, counts[c]);
            shani(b, buf + off, counts[c]);
            differ += memcmp(a, b, sizeof a) != 0;
        }
    RB_EXPECT_INT(differ, 0);
    free(buf);
}

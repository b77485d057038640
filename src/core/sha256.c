/* sha256.c - SHA-256 (FIPS 180-4), streaming over files for provenance checksums (declared in rb_core.h).
 * Whole blocks go straight from the caller's buffer to the compression function: the SHA-NI one of
 * sha256_shani.c where the CPU has it, else the portable one below (chosen once, at first use). */
#include "rb_core.h"
#include "sha256_blocks.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

const uint32_t rb_sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void rb_sha256_block(uint32_t state[8], const unsigned char *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], k = state[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + rb_sha256_k[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    state[0] += a; state[1] += b; state[2] += c; state[3] += d;
    state[4] += e; state[5] += f; state[6] += g; state[7] += k;
}

void rb_sha256_blocks_portable(uint32_t state[8], const unsigned char *data, size_t n_blocks) {
    for (; n_blocks > 0; n_blocks--, data += 64) rb_sha256_block(state, data);
}

/* The compression function of this CPU, found once; every thread that races here stores the same. */
static _Atomic(rb_sha256_blocks_fn) rb_sha256_blocks_chosen;

static rb_sha256_blocks_fn rb_sha256_blocks(void) {
    rb_sha256_blocks_fn f = atomic_load_explicit(&rb_sha256_blocks_chosen, memory_order_relaxed);
    if (!f) {
        f = rb_sha256_blocks_shani();
        if (!f) f = rb_sha256_blocks_portable;
        atomic_store_explicit(&rb_sha256_blocks_chosen, f, memory_order_relaxed);
    }
    return f;
}

void rb_sha256_init(rb_sha256 *h) {
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(h->state, iv, sizeof iv);
    h->length = 0;
    h->used = 0;
}

void rb_sha256_update(rb_sha256 *h, const void *data, size_t n) {
    const unsigned char *p = data;
    h->length += n;
    if (h->used > 0) { /* complete the buffered block first */
        size_t take = 64 - h->used < n ? 64 - h->used : n;
        memcpy(h->block + h->used, p, take);
        h->used += take;
        p += take;
        n -= take;
        if (h->used < 64) return;
        rb_sha256_blocks()(h->state, h->block, 1);
        h->used = 0;
    }
    if (n >= 64) {
        rb_sha256_blocks()(h->state, p, n / 64);
        p += n / 64 * 64;
        n %= 64;
    }
    memcpy(h->block, p, n);
    h->used = n;
}

void rb_sha256_hex(rb_sha256 *h, char hex[65]) {
    uint64_t bits = h->length * 8;
    unsigned char pad = 0x80, zero = 0;
    rb_sha256_update(h, &pad, 1);
    while (h->used != 56) rb_sha256_update(h, &zero, 1);
    unsigned char len[8];
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)(bits >> (56 - 8 * i));
    rb_sha256_update(h, len, 8);
    for (int i = 0; i < 8; i++) snprintf(hex + 8 * i, 9, "%08x", h->state[i]);
}

int rb_sha256_file(const char *path, char hex[65]) {
    FILE *f = fopen(path, "rb");
    if (!f) return rb_fail("%s: %s", path, strerror(errno));
    rb_sha256 h;
    rb_sha256_init(&h);
    static unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) rb_sha256_update(&h, buf, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) return rb_fail("%s: read error while checksumming", path);
    rb_sha256_hex(&h, hex);
    return RB_OK;
}

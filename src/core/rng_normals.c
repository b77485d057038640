/* rng_normals.c - many standard normal deviates (rb_rng_normals_f32) or raw words (rb_rng_fill_u32, the
 * dropout masks) at once from a counter-based stream (rb_core.h), written so the compiler vectorises it.
 *
 * Deviate j of the stream (seed, purpose, id0, id1, id2) comes from Philox4x32-10 block j / 4 (the
 * block counter is the fourth counter word, as in rb_rng), words (w0, w1) giving deviates 4b and 4b+1
 * and (w2, w3) giving 4b+2 and 4b+3, by Box-Muller on 24-bit uniforms:
 *     u1 = ((w0 >> 8) + 0.5) 2^-24,  u2 = (w1 >> 8) 2^-24,
 *     z0 = sqrt(-2 ln u1) cos(2 pi u2),  z1 = sqrt(-2 ln u1) sin(2 pi u2).
 * So deviate j depends on (stream, j) alone: any split of a range into calls, any rank count and any
 * chunking give the same bits. The word layout is the one rb_rng_u32 reads, so for an even count the
 * deviates are those of the former scalar loop (noise.c) up to the rounding of the functions below.
 *
 * Speed: Philox runs on 64 counters at a time in struct-of-arrays form (the 32 x 32 -> 64-bit
 * products vectorise), and ln, sin, cos are branch-free single-precision polynomials (Cephes
 * coefficients, about 1-2 ulp on the reduced ranges) instead of libm calls, so the whole transform
 * vectorises too. Same bits with or without vectorisation: only +, *, sqrt (correctly rounded) and
 * integer operations, no fused multiply-add contraction across the -O levels we build with. */
#include "rb_core.h"

#include <math.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__)
/* the loop vectoriser with its full cost model at -O2 too; the Makefile adds -fno-math-errno for this
 * file (sqrtf's argument is never negative here), without which sqrtf keeps the loop scalar */
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic", "fp-contract=off")
#endif

/* x86-64: an AVX2 clone of the two kernels next to the baseline (SSE2) one, picked at load time. The
 * bits are the same in both: integer operations and IEEE +, *, sqrt only, no contraction to fused
 * multiply-adds (fp-contract=off above; target avx2 does not enable FMA). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define RB_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define RB_VECTOR_CLONES
#endif

#define RB_NORMAL_LANES 64 /* Philox blocks per batch: 256 deviates */

static inline float rb_bits_float(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint32_t rb_float_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* Philox4x32-10 of counters (c0, c1, c2, first + i), i < n, key (k0, k1): w[word][i]. */
RB_VECTOR_CLONES static void rb_philox_lanes(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t first,
                            uint32_t w[4][RB_NORMAL_LANES]) {
    uint32_t *x0 = w[0], *x1 = w[1], *x2 = w[2], *x3 = w[3];
    for (int i = 0; i < RB_NORMAL_LANES; i++) {
        x0[i] = c0;
        x1[i] = c1;
        x2[i] = c2;
        x3[i] = first + (uint32_t)i;
    }
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < RB_NORMAL_LANES; i++) {
            const uint64_t p0 = (uint64_t)0xD2511F53u * x0[i], p1 = (uint64_t)0xCD9E8D57u * x2[i];
            const uint32_t n0 = (uint32_t)(p1 >> 32) ^ x1[i] ^ k0, n2 = (uint32_t)(p0 >> 32) ^ x3[i] ^ k1;
            x1[i] = (uint32_t)p1;
            x3[i] = (uint32_t)p0;
            x0[i] = n0;
            x2[i] = n2;
        }
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
}

/* ln u for u in (0, 1], normal floats only (u >= 2^-25 here). Branch-free: selections are
 * arithmetic, so the loop that calls it vectorises. */
static inline float rb_ln(float u) {
    const uint32_t b = rb_float_bits(u);
    float m = rb_bits_float((b & 0x007FFFFFu) | 0x3F800000u); /* [1, 2) */
    const int big = m > 1.41421356f;
    m = m * (1.0f - 0.5f * (float)big); /* [sqrt(1/2), sqrt(2)); exact */
    const float fe = (float)((int32_t)(b >> 23) - 127 + big);
    const float x = m - 1.0f, z = x * x;
    float y = 7.0376836292e-2f;
    y = y * x - 1.1514610310e-1f;
    y = y * x + 1.1676998740e-1f;
    y = y * x - 1.2420140846e-1f;
    y = y * x + 1.4249322787e-1f;
    y = y * x - 1.6668057665e-1f;
    y = y * x + 2.0000714765e-1f;
    y = y * x - 2.4999993993e-1f;
    y = y * x + 3.3333331174e-1f;
    y = y * x * z;
    y += -2.12194440e-4f * fe;
    y += -0.5f * z;
    return (x + y) + 0.693359375f * fe;
}

/* a if sel = 1, b if sel = 0 (exact: the other term is a signed zero) */
static inline float rb_pick(float sel, float a, float b) { return a * sel + b * (1.0f - sel); }

/* z[0..4n) from the words of n blocks (see the header comment). */
RB_VECTOR_CLONES static void rb_box_muller_lanes(const uint32_t w[4][RB_NORMAL_LANES], int n, float *z) {
    float zc[RB_NORMAL_LANES], zs[RB_NORMAL_LANES];
    for (int pair = 0; pair < 2; pair++) {
        const uint32_t *a = w[2 * pair], *b = w[2 * pair + 1];
        for (int i = 0; i < n; i++) {
            const float u1 = ((float)(int32_t)(a[i] >> 8) + 0.5f) * 0x1p-24f;
            const float rad = sqrtf(-2.0f * rb_ln(u1));
            /* 2 pi u2 = q pi/2 + f pi/2, q = top two bits, f in [0, 1) from the next 22 bits; f is
             * folded to [0, 1/2] (sin and cos swap) so the polynomials only see [0, pi/4]. */
            const int32_t q = (int32_t)(b[i] >> 30); /* int: vectorisable conversions */
            const float f = (float)(int32_t)((b[i] >> 8) & 0x3FFFFFu) * 0x1p-22f;
            const int32_t hi = f > 0.5f;
            const float t = (f + (float)hi * (1.0f - 2.0f * f)) * 1.57079632679489662f, t2 = t * t; /* exact fold */
            const float s = ((-1.9515295891e-4f * t2 + 8.3321608736e-3f) * t2 - 1.6666654611e-1f) * t2 * t + t;
            const float c = ((2.443315711809948e-5f * t2 - 1.388731625493765e-3f) * t2 + 4.166664568298827e-2f) * t2 * t2 -
                            0.5f * t2 + 1.0f;
            const float swap_f = (float)hi, swap_q = (float)(q & 1);
            const float cf = rb_pick(swap_f, s, c), sf = rb_pick(swap_f, c, s); /* cos, sin of f pi/2 */
            /* rotate by q quarter turns, (cos, sin) -> (-sin, cos) per turn: cos negated for q = 1, 2,
             * sin for q = 2, 3 */
            const float co = rb_pick(swap_q, sf, cf), si = rb_pick(swap_q, cf, sf);
            zc[i] = rad * co * (1.0f - (float)((q + 1) & 2));
            zs[i] = rad * si * (1.0f - (float)(q & 2));
        }
        for (int i = 0; i < n; i++) {
            z[4 * i + 2 * pair] = zc[i];
            z[4 * i + 2 * pair + 1] = zs[i];
        }
    }
}

void rb_rng_normals_f32(uint32_t seed, uint32_t purpose, uint32_t id0, uint32_t id1, uint32_t id2, uint64_t first,
                        float *z, int64_t n) {
    uint32_t w[4][RB_NORMAL_LANES];
    float tmp[4 * RB_NORMAL_LANES];
    int64_t done = 0;
    while (done < n) {
        const uint64_t j = first + (uint64_t)done, block = j / 4;
        const int skip = (int)(j % 4); /* a range may start inside a block */
        rb_philox_lanes(seed, purpose, id0, id1, id2, (uint32_t)block, w);
        int64_t want = n - done + skip;
        const int blocks = want >= 4 * RB_NORMAL_LANES ? RB_NORMAL_LANES : (int)((want + 3) / 4);
        int64_t take = 4 * (int64_t)blocks - skip;
        if (take > n - done) take = n - done;
        if (skip == 0 && take == 4 * (int64_t)blocks) {
            rb_box_muller_lanes(w, blocks, z + done);
        } else {
            rb_box_muller_lanes(w, blocks, tmp);
            memcpy(z + done, tmp + skip, sizeof(float) * (size_t)take);
        }
        done += take;
    }
}

/* The next n words of r: what n rb_rng_u32 calls return. Buffered words first, then whole blocks from
 * the vectorised kernel (counters ctr[3], ctr[3] + 1, ..., wrapping as rb_rng's does), then a partial
 * block through rb_rng_u32, which leaves its remaining words buffered. */
void rb_rng_fill_u32(rb_rng *r, uint32_t *out, int64_t n) {
    int64_t i = 0;
    while (i < n && r->avail > 0) out[i++] = r->buf[4 - r->avail--];
    uint32_t w[4][RB_NORMAL_LANES];
    while (n - i >= 4) {
        const int64_t left = (n - i) / 4;
        const int blocks = left < RB_NORMAL_LANES ? (int)left : RB_NORMAL_LANES;
        rb_philox_lanes(r->key[0], r->key[1], r->ctr[0], r->ctr[1], r->ctr[2], r->ctr[3], w);
        for (int b = 0; b < blocks; b++, i += 4) {
            out[i] = w[0][b];
            out[i + 1] = w[1][b];
            out[i + 2] = w[2][b];
            out[i + 3] = w[3][b];
        }
        r->ctr[3] += (uint32_t)blocks;
    }
    while (i < n) out[i++] = rb_rng_u32(r);
}

/* sha256_shani.c - SHA-256 block compression with the x86 SHA extensions (Intel SHA-NI: Goldmont,
 * Ice Lake and later, AMD Zen), chosen by sha256.c at run time when the CPU reports them (CPUID leaf 7,
 * EBX bit 29, with SSSE3 and SSE4.1). About 4x the portable code's rate (make bench sha256: 1,269
 * against 307 MB/s): the dataset files a run checksums are gigabytes (docs/scaling.md).
 *
 * The state lives in two registers as the instructions want it, ABEF and CDGH; each sha256rnds2 does
 * two rounds, so a 4-word group of the message schedule takes two calls. The schedule of group j
 * (words 4j..4j+3, j >= 4) from the four groups before it, X[j-4..j-1]:
 *   W[t] = sigma1(W[t-2]) + W[t-7] + sigma0(W[t-15]) + W[t-16]
 *   sha256msg1(X[j-4], X[j-3])          = W[t-16] + sigma0(W[t-15])
 *   alignr(X[j-1], X[j-2], 4 bytes)     = W[t-7]
 *   sha256msg2(sum, X[j-1])             adds sigma1(W[t-2]), the last two from the first two results. */
#include "sha256_blocks.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

__attribute__((target("sha,ssse3,sse4.1"))) static void rb_sha256_blocks_x86(uint32_t state[8],
                                                                          const unsigned char *data,
                                                                          size_t n_blocks) {
    const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i dcba = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i hgfe = _mm_loadu_si128((const __m128i *)&state[4]);
    __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
    __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);
    for (; n_blocks > 0; n_blocks--, data += 64) {
        const __m128i abef_in = abef, cdgh_in = cdgh;
        __m128i x[4];
        for (int j = 0; j < 16; j++) {
            if (j < 4)
                x[j] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * j)), byte_swap);
            else
                x[j & 3] = _mm_sha256msg2_epu32(
                    _mm_add_epi32(_mm_sha256msg1_epu32(x[j & 3], x[(j + 1) & 3]),
                                  _mm_alignr_epi8(x[(j + 3) & 3], x[(j + 2) & 3], 4)),
                    x[(j + 3) & 3]);
            __m128i wk = _mm_add_epi32(x[j & 3], _mm_loadu_si128((const __m128i *)&rb_sha256_k[4 * j]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk); /* now the new ABEF; abef is the new CDGH */
            abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));
        }
        abef = _mm_add_epi32(abef, abef_in);
        cdgh = _mm_add_epi32(cdgh, cdgh_in);
    }
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));
}

rb_sha256_blocks_fn rb_sha256_blocks_shani(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1)) return NULL;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 29))) return NULL;
    return rb_sha256_blocks_x86;
}
#else
rb_sha256_blocks_fn rb_sha256_blocks_shani(void) { return NULL; }
#endif

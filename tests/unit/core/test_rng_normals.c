/* test_rng_normals.c - the vectorised normal deviates (rb_rng_normals_f32): each deviate against an
 * independent recomputation from the scalar stream's words in double precision with libm, the same
 * bits however a range is split into calls, and the first two moments and tails. */
#include "rb_core.h"
#include "rb_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Box-Muller of the header comment, from rb_rng_u32 words, in double precision. */
static void reference_normals(uint32_t seed, uint32_t id2, double *z, int n) {
    rb_rng r;
    rb_rng_init(&r, seed, RB_PURPOSE_TEST, 5, 6, id2);
    for (int i = 0; i < n; i += 2) {
        uint32_t a = rb_rng_u32(&r), b = rb_rng_u32(&r);
        double u1 = ((double)(a >> 8) + 0.5) * 0x1p-24, u2 = (double)(b >> 8) * 0x1p-24;
        double rad = sqrt(-2.0 * log(u1)), ang = 6.283185307179586476925 * u2;
        z[i] = rad * cos(ang);
        if (i + 1 < n) z[i + 1] = rad * sin(ang);
    }
}

RB_TEST(rng_normals_match_scalar_recomputation) {
    enum { N = 20000 };
    float *z = malloc(sizeof(float) * N);
    double *ref = malloc(sizeof(double) * N);
    RB_EXPECT(z && ref);
    if (!z || !ref) goto done;
    rb_rng_normals_f32(42, RB_PURPOSE_TEST, 5, 6, 7, 0, z, N);
    reference_normals(42, 7, ref, N);
    double worst = 0.0, worst_rel = 0.0;
    for (int i = 0; i < N; i++) {
        double e = fabs(z[i] - ref[i]);
        if (e > worst) worst = e;
        double rel = e / (fabs(ref[i]) + 1e-2);
        if (rel > worst_rel) worst_rel = rel;
    }
    /* float polynomials for ln, sin, cos against double libm: measured max abs 7.7e-7 (at the
     * tails), relative 1.8e-5 near zero (the angle rounded to float times a radius of up to 5.8) */
    RB_EXPECT_MSG(worst < 3e-6, "max abs error %g", worst);
    RB_EXPECT_MSG(worst_rel < 5e-5, "max relative error %g", worst_rel);
done:
    free(z);
    free(ref);
}

RB_TEST(rng_normals_do_not_depend_on_the_split) {
    enum { N = 3001 };
    static float whole[N], parts[N];
    rb_rng_normals_f32(9, RB_PURPOSE_TEST, 1, 2, 3, 17, whole, N);
    /* pieces starting inside blocks, across the 256-deviate batches, single deviates */
    const int cuts[] = {0, 1, 2, 7, 255, 256, 257, 513, 1000, 1001, 2999, N};
    for (size_t k = 0; k + 1 < sizeof cuts / sizeof cuts[0]; k++)
        rb_rng_normals_f32(9, RB_PURPOSE_TEST, 1, 2, 3, 17 + (uint64_t)cuts[k], parts + cuts[k], cuts[k + 1] - cuts[k]);
    RB_EXPECT(memcmp(whole, parts, sizeof whole) == 0);
    /* another stream id gives other deviates */
    rb_rng_normals_f32(9, RB_PURPOSE_TEST, 1, 2, 4, 17, parts, N);
    int equal = 0;
    for (int i = 0; i < N; i++) equal += whole[i] == parts[i];
    RB_EXPECT(equal < 3);
}

RB_TEST(rng_normals_moments_and_tails) {
    enum { N = 1 << 20 };
    float *z = malloc(sizeof(float) * N);
    RB_EXPECT(z != NULL);
    if (!z) return;
    rb_rng_normals_f32(123, RB_PURPOSE_TEST, 0, 0, 0, 0, z, N);
    double s = 0, s2 = 0, s4 = 0;
    int64_t beyond2 = 0, finite = 0;
    for (int i = 0; i < N; i++) {
        double v = z[i];
        finite += isfinite(v) != 0;
        s += v;
        s2 += v * v;
        s4 += v * v * v * v;
        beyond2 += fabs(v) > 2.0;
    }
    RB_EXPECT_INT(finite, N);
    RB_EXPECT_NEAR(s / N, 0.0, 0.005);        /* sd 1e-3 */
    RB_EXPECT_NEAR(s2 / N, 1.0, 0.007);       /* sd 1.4e-3 */
    RB_EXPECT_NEAR(s4 / N, 3.0, 0.05);        /* sd ~1e-2 */
    RB_EXPECT_NEAR((double)beyond2 / N, 0.0455, 0.002); /* P(|z| > 2) = 0.0455, sd 2e-4 */
    free(z);
}

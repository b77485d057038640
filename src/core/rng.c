/* rng.c - Philox4x32-10 streams keyed by (seed, purpose), countered by three ids (rb_core.h). */
#include "rb_core.h"

#include <math.h>
#include <Random123/philox.h>

void rb_rng_init(rb_rng *r, uint32_t seed, uint32_t purpose, uint32_t id0, uint32_t id1, uint32_t id2) {
    r->key[0] = seed;
    r->key[1] = purpose;
    r->ctr[0] = id0;
    r->ctr[1] = id1;
    r->ctr[2] = id2;
    r->ctr[3] = 0;
    r->avail = 0;
    r->has_spare = 0;
    r->spare = 0.0;
}

static void rb_rng_refill(rb_rng *r) {
    philox4x32_key_t k = {{r->key[0], r->key[1]}};
    philox4x32_ctr_t c = {{r->ctr[0], r->ctr[1], r->ctr[2], r->ctr[3]}};
    philox4x32_ctr_t out = philox4x32(c, k);
    for (int i = 0; i < 4; i++) r->buf[i] = out.v[i];
    r->ctr[3]++;
    r->avail = 4;
}

uint32_t rb_rng_u32(rb_rng *r) {
    if (r->avail == 0) rb_rng_refill(r);
    return r->buf[4 - r->avail--];
}

double rb_rng_uniform(rb_rng *r) {
    uint64_t hi = rb_rng_u32(r) >> 5; /* 27 bits */
    uint64_t lo = rb_rng_u32(r) >> 6; /* 26 bits */
    uint64_t bits = (hi << 26) | lo;  /* 53 bits */
    return ((double)bits + 0.5) * (1.0 / 9007199254740992.0);
}

double rb_rng_normal(rb_rng *r) {
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u1 = rb_rng_uniform(r), u2 = rb_rng_uniform(r);
    double rad = sqrt(-2.0 * log(u1));
    double ang = 6.283185307179586476925286766559 * u2;
    r->spare = rad * sin(ang);
    r->has_spare = 1;
    return rad * cos(ang);
}

uint32_t rb_rng_below(rb_rng *r, uint32_t n) {
    uint32_t limit = UINT32_MAX - (UINT32_MAX % n);
    uint32_t x;
    do x = rb_rng_u32(r);
    while (x >= limit);
    return x % n;
}

void rb_rng_permutation(rb_rng *r, int32_t *perm, int32_t n) {
    for (int32_t i = 0; i < n; i++) perm[i] = i;
    for (int32_t i = n - 1; i > 0; i--) {
        int32_t j = (int32_t)rb_rng_below(r, (uint32_t)i + 1);
        int32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

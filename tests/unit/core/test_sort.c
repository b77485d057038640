/* test_sort.c - rb_sort_by_double against qsort's order: random keys with both signs, zeros of both
 * signs, ties, subnormals and infinities, in both directions, in records with the key not first; equal
 * keys keep their input order (stable), and -0.0 sorts next to +0.0. */
#include "rb_core.h"
#include "rb_test.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int32_t input_order;
    double key;
    int32_t tag;
} record; /* 24 bytes with the key at offset 8 */

static int ascending_then_order(const void *pa, const void *pb) {
    const record *a = pa, *b = pb;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    int za = signbit(a->key) != 0, zb = signbit(b->key) != 0; /* -0.0 before +0.0 */
    if (za != zb) return za ? -1 : 1;
    return (a->input_order > b->input_order) - (a->input_order < b->input_order);
}

static int descending_then_order(const void *pa, const void *pb) {
    const record *a = pa, *b = pb;
    if (a->key != b->key) return a->key > b->key ? -1 : 1;
    int za = signbit(a->key) != 0, zb = signbit(b->key) != 0; /* +0.0 before -0.0 */
    if (za != zb) return za ? 1 : -1;
    return (a->input_order > b->input_order) - (a->input_order < b->input_order);
}

static double random_key(rb_rng *r) {
    switch (rb_rng_below(r, 8)) {
    case 0: return (double)(int)rb_rng_below(r, 5) - 2.0; /* many ties */
    case 1: return rb_rng_below(r, 2) ? 0.0 : -0.0;
    case 2: return (rb_rng_below(r, 2) ? 1 : -1) * 4.9e-324 * (1 + rb_rng_below(r, 3)); /* subnormal */
    case 3: return rb_rng_below(r, 2) ? INFINITY : -INFINITY;
    case 4: return (double)(float)rb_rng_uniform(r); /* scores in (0, 1), float-rounded */
    default: return rb_rng_normal(r) * pow(10.0, (double)rb_rng_below(r, 40) - 20.0);
    }
}

RB_TEST(sort_by_double_equals_qsort_order_and_is_stable) {
    enum { N = 5000 };
    record *v = malloc(sizeof *v * N), *want = malloc(sizeof *v * N);
    RB_EXPECT(v && want);
    if (!v || !want) goto done;
    rb_rng r;
    rb_rng_init(&r, 3, RB_PURPOSE_TEST, 257, 0, 0);
    static const int sizes[] = {0, 1, 2, 3, 17, 256, 1000, N};
    int wrong = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (int descending = 0; descending < 2; descending++) {
            const int n = sizes[s];
            for (int i = 0; i < n; i++) v[i] = (record){i, random_key(&r), (int32_t)rb_rng_u32(&r)};
            memcpy(want, v, sizeof *v * (size_t)n);
            if (n > 0) qsort(want, (size_t)n, sizeof *want, descending ? descending_then_order : ascending_then_order);
            RB_EXPECT_OK(rb_sort_by_double(v, n, sizeof *v, offsetof(record, key), descending, "test records"));
            for (int i = 0; i < n; i++)
                wrong += memcmp(&v[i].key, &want[i].key, sizeof(double)) != 0 ||
                         v[i].input_order != want[i].input_order || v[i].tag != want[i].tag;
        }
    RB_EXPECT_INT(wrong, 0);
done:
    free(v);
    free(want);
}

/* Plain doubles (the record is the key) with every key sharing its top bytes: the passes over those
 * bytes are skipped, the order is still right. */
RB_TEST(sort_by_double_plain_keys_with_shared_bytes) {
    enum { N = 3000 };
    double v[N], want[N];
    rb_rng r;
    rb_rng_init(&r, 4, RB_PURPOSE_TEST, 257, 1, 0);
    for (int i = 0; i < N; i++) want[i] = v[i] = 0.5 + 0x1p-30 * (double)rb_rng_below(&r, 1000);
    RB_EXPECT_OK(rb_sort_by_double(v, N, sizeof *v, 0, 0, "test keys"));
    int bad = 0;
    for (int i = 1; i < N; i++) bad += v[i - 1] > v[i];
    RB_EXPECT_INT(bad, 0);
    double sum_in = 0, sum_out = 0; /* a permutation: the same multiset */
    for (int i = 0; i < N; i++) {
        sum_in += want[i];
        sum_out += v[i];
    }
    RB_EXPECT(sum_in == sum_out);
}

/* Records of each width the sort moves whole (8, 16, 24 bytes) and of one it sorts through (key,
 * index) pairs (40 bytes): the same order as qsort's, stable, with the rest of the record intact. */
typedef struct {
    double key;
    int32_t input_order, tag;
    char pad[24];
} wide_record; /* 40 bytes */

static int wide_descending(const void *pa, const void *pb) {
    const wide_record *a = pa, *b = pb;
    if (a->key != b->key) return a->key > b->key ? -1 : 1;
    int za = signbit(a->key) != 0, zb = signbit(b->key) != 0;
    if (za != zb) return za ? 1 : -1;
    return (a->input_order > b->input_order) - (a->input_order < b->input_order);
}

RB_TEST(sort_by_double_every_record_width) {
    enum { N = 2000 };
    static const size_t widths[] = {16, 24, 40};
    wide_record *v = malloc(sizeof *v * N), *want = malloc(sizeof *v * N);
    unsigned char *packed = malloc(sizeof *v * N);
    RB_EXPECT(v && want && packed);
    if (!v || !want || !packed) goto done;
    rb_rng r;
    rb_rng_init(&r, 5, RB_PURPOSE_TEST, 257, 2, 0);
    for (size_t w = 0; w < sizeof widths / sizeof *widths; w++) {
        const size_t size = widths[w];
        for (int i = 0; i < N; i++) {
            memset(&v[i], 0, sizeof v[i]);
            v[i].key = random_key(&r);
            v[i].input_order = i;
            v[i].tag = (int32_t)rb_rng_u32(&r);
            for (size_t b = 16; b < size; b++) v[i].pad[b - 16] = (char)rb_rng_below(&r, 256);
            memcpy(packed + (size_t)i * size, &v[i], size); /* the first `size` bytes of the record */
        }
        memcpy(want, v, sizeof *v * N);
        qsort(want, N, sizeof *want, wide_descending);
        RB_EXPECT_OK(rb_sort_by_double(packed, N, size, 0, 1, "test records"));
        int wrong = 0;
        for (int i = 0; i < N; i++) wrong += memcmp(packed + (size_t)i * size, &want[i], size) != 0;
        RB_EXPECT_MSG(wrong == 0, "records of %zu bytes: %d out of place", size, wrong);
    }
done:
    free(v);
    free(want);
    free(packed);
}

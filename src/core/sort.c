/* sort.c - rb_sort_by_double (declared in rb_core.h): records ordered by a double field with a stable
 * LSD radix sort over the key's 64 bits. The cells' metrics and bootstrap sort every snippet's score
 * once per method: at 10^5 snippets qsort's comparator calls were most of a clean cell's time.
 *
 * A double's bits become an unsigned key in numeric order: a negative number's bits are all flipped
 * (larger magnitude, smaller key), a positive number's sign bit is set. Descending order flips the key
 * again. One pass counts all eight byte histograms; a byte on which every key agrees (the sign and
 * most of the exponent, for scores in (0, 1)) needs no pass. Records of 8, 16 or 24 bytes (the
 * metrics' and the bootstrap's) are moved whole on every pass, their key read again from the record;
 * larger ones as (key, index) pairs, gathered once through the indices at the end. */
#include "rb_core.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t key;
    uint64_t index;
} rb_sort_pair;

static uint64_t rb_sort_key(const unsigned char *record, size_t key_offset, int descending) {
    double x;
    memcpy(&x, record + key_offset, sizeof x);
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    uint64_t ascending = u >> 63 ? ~u : u | (UINT64_C(1) << 63);
    return descending ? ~ascending : ascending;
}

/* The passes over records of `size` bytes moved whole (size a constant where it is inlined, so each
 * move is a fixed-size copy), with tmp as the other buffer and count the eight byte histograms. */
static inline __attribute__((always_inline)) void rb_sort_records(unsigned char *rec, unsigned char *tmp, int64_t n,
                                                                  const size_t size, size_t key_offset,
                                                                  int descending, size_t (*count)[256]) {
    for (int64_t i = 0; i < n; i++) {
        const uint64_t k = rb_sort_key(rec + (size_t)i * size, key_offset, descending);
        for (int d = 0; d < 8; d++) count[d][(k >> (8 * d)) & 0xff]++;
    }
    unsigned char *a = rec, *b = tmp;
    const uint64_t first = rb_sort_key(rec, key_offset, descending);
    for (int d = 0; d < 8; d++) {
        const int shift = 8 * d;
        if (count[d][(first >> shift) & 0xff] == (size_t)n) continue; /* every key has this byte */
        size_t start[256], sum = 0;
        for (int v = 0; v < 256; v++) {
            start[v] = sum;
            sum += count[d][v];
        }
        for (int64_t i = 0; i < n; i++) {
            const unsigned char *r = a + (size_t)i * size;
            memcpy(b + start[(rb_sort_key(r, key_offset, descending) >> shift) & 0xff]++ * size, r, size);
        }
        unsigned char *t = a;
        a = b;
        b = t;
    }
    if (a != rec) memcpy(rec, a, size * (size_t)n);
}

int rb_sort_by_double(void *records, int64_t n, size_t size, size_t key_offset, int descending, const char *what) {
    if (n < 2) return RB_OK;
    unsigned char *rec = records;
    if (size == 8 || size == 16 || size == 24) {
        unsigned char *tmp = malloc(size * (size_t)n);
        size_t (*count)[256] = calloc(8, sizeof *count);
        if (!tmp || !count) {
            free(tmp); free(count);
            return rb_fail("sorting %lld %s: out of memory for %zu bytes of scratch", (long long)n, what, (size_t)n * size);
        }
        if (size == 8) rb_sort_records(rec, tmp, n, 8, key_offset, descending, count);
        else if (size == 16) rb_sort_records(rec, tmp, n, 16, key_offset, descending, count);
        else rb_sort_records(rec, tmp, n, 24, key_offset, descending, count);
        free(tmp); free(count);
        return RB_OK;
    }
    rb_sort_pair *a = malloc(sizeof *a * (size_t)n), *b = malloc(sizeof *b * (size_t)n);
    unsigned char *gathered = malloc(size * (size_t)n);
    size_t (*count)[256] = calloc(8, sizeof *count);
    if (!a || !b || !gathered || !count) {
        free(a); free(b); free(gathered); free(count);
        return rb_fail("sorting %lld %s: out of memory for %zu bytes of scratch", (long long)n, what,
                       (size_t)n * (2 * sizeof *a + size));
    }
    for (int64_t i = 0; i < n; i++) {
        uint64_t k = rb_sort_key(rec + (size_t)i * size, key_offset, descending);
        a[i].key = k;
        a[i].index = (uint64_t)i;
        for (int d = 0; d < 8; d++) count[d][(k >> (8 * d)) & 0xff]++;
    }
    for (int d = 0; d < 8; d++) {
        const int shift = 8 * d;
        if (count[d][(a[0].key >> shift) & 0xff] == (size_t)n) continue; /* every key has this byte */
        size_t start[256], sum = 0;
        for (int v = 0; v < 256; v++) {
            start[v] = sum;
            sum += count[d][v];
        }
        for (int64_t i = 0; i < n; i++) b[start[(a[i].key >> shift) & 0xff]++] = a[i];
        rb_sort_pair *t = a;
        a = b;
        b = t;
    }
    for (int64_t i = 0; i < n; i++) memcpy(gathered + (size_t)i * size, rec + a[i].index * size, size);
    memcpy(rec, gathered, size * (size_t)n);
    free(a); free(b); free(gathered); free(count);
    return RB_OK;
}

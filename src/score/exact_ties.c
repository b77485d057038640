/* exact_ties.c - tie-exact scoring of feature rows (exact_ties.h).
 *
 * Why: a detector's score of a row should depend on the row alone. OpenBLAS does not promise that:
 * which micro-kernel (main block or edge) computes a row of an sgemm depends on the row's position
 * in the batch, and some kernel families (seen with the generic Prescott kernel that OpenBLAS picks
 * on CPUs it does not recognise) then round identical rows differently in the last bit. Identical
 * rows are common in a robustness grid (a missing stream is all zeros, packet loss zeroes snippets,
 * frame drop repeats the last kept snippet), and frame-level AP with the trapezoid rule is
 * discontinuous in ties: a constant score gets (1 + q) / 2, the same scores split by rounding noise
 * get about q. So the benchmark would measure the BLAS kernel, not the detector. Scoring each
 * distinct zero row and each run of repeated rows once makes the ties exact on every kernel.
 *
 * Cost: one pass over the rows that stops at the first non-zero element of a row and at the first
 * element that differs from the previous row (a few elements for ordinary features), and a packed
 * copy of the fresh rows only when some row is zero or repeated. */
#include "exact_ties.h"

#include <stdlib.h>
#include <string.h>

enum { RB_ROW_FRESH = 0, RB_ROW_ZERO = 1, RB_ROW_REPEAT = 2 };

static int rb_row_is_zero(const float *row, int d) {
    for (int j = 0; j < d; j++)
        if (row[j] != 0.0f) return 0;
    return 1;
}

static int rb_exact_ties_reserve(rb_exact_ties *t, int64_t rows, int d, int64_t fresh_floats) {
    if (rows > t->cap_rows) {
        uint8_t *k = realloc(t->kind, (size_t)rows);
        if (!k) return rb_fail("out of memory for the row kinds of %lld rows", (long long)rows);
        t->kind = k;
        float *fs = realloc(t->fresh_score, sizeof(float) * (size_t)rows);
        if (!fs) return rb_fail("out of memory for the scores of %lld rows", (long long)rows);
        t->fresh_score = fs;
        t->cap_rows = rows;
    }
    if (d > t->cap_d) {
        float *z = calloc((size_t)d, sizeof(float));
        if (!z) return rb_fail("out of memory for a zero row of width %d", d);
        free(t->zero_row);
        t->zero_row = z;
        t->cap_d = d;
    }
    if (fresh_floats > t->cap_floats) {
        float *f = realloc(t->fresh, sizeof(float) * (size_t)fresh_floats);
        if (!f) return rb_fail("out of memory packing %lld feature values", (long long)fresh_floats);
        t->fresh = f;
        t->cap_floats = fresh_floats;
    }
    return RB_OK;
}

typedef struct {
    const rb_detector *det;
    rb_det_input input;
} rb_plain_scorer;

static int rb_plain_score(const void *ctx, const float *x, int64_t rows, int ld, float *scores) {
    const rb_plain_scorer *p = ctx;
    return rb_detector_score(p->det, p->input, x, rows, ld, scores);
}

int rb_exact_ties_score(rb_exact_ties *t, const rb_detector *det, rb_det_input input, const float *x, int64_t rows,
                        int d, int ld, float *scores) {
    const rb_plain_scorer p = {det, input};
    return rb_exact_ties_score_with(t, rb_plain_score, &p, x, rows, d, ld, scores);
}

int rb_exact_ties_score_with(rb_exact_ties *t, rb_row_scorer fn, const void *ctx, const float *x, int64_t rows, int d,
                             int ld, float *scores) {
    return rb_exact_ties_score_keyed(t, fn, ctx, x, d, ld, x, d, ld, rows, scores);
}

int rb_exact_ties_score_keyed(rb_exact_ties *t, rb_row_scorer fn, const void *ctx, const float *key, int key_d,
                              int key_ld, const float *x, int d, int ld, int64_t rows, float *scores) {
    if (rows <= 0) return RB_OK;
    RB_TRY(rb_exact_ties_reserve(t, rows, d, 0));
    int64_t n_fresh = 0, n_zero = 0;
    for (int64_t i = 0; i < rows; i++) {
        const float *row = key + (size_t)i * (size_t)key_ld;
        uint8_t k = RB_ROW_FRESH;
        if (rb_row_is_zero(row, key_d)) k = RB_ROW_ZERO;
        else if (i > 0 && memcmp(row, row - key_ld, sizeof(float) * (size_t)key_d) == 0) k = RB_ROW_REPEAT;
        t->kind[i] = k;
        n_fresh += k == RB_ROW_FRESH;
        n_zero += k == RB_ROW_ZERO;
    }
    if (n_fresh == rows) return fn(ctx, x, rows, ld, scores);

    float zero_score = 0.0f;
    if (n_zero) RB_TRY(fn(ctx, t->zero_row, 1, d, &zero_score));
    if (n_fresh) {
        RB_TRY(rb_exact_ties_reserve(t, rows, d, n_fresh * (int64_t)d));
        int64_t f = 0;
        for (int64_t i = 0; i < rows; i++)
            if (t->kind[i] == RB_ROW_FRESH)
                memcpy(t->fresh + (size_t)(f++) * (size_t)d, x + (size_t)i * (size_t)ld, sizeof(float) * (size_t)d);
        RB_TRY(fn(ctx, t->fresh, n_fresh, d, t->fresh_score));
    }
    int64_t f = 0;
    for (int64_t i = 0; i < rows; i++) {
        switch (t->kind[i]) {
        case RB_ROW_FRESH: scores[i] = t->fresh_score[f++]; break;
        case RB_ROW_ZERO: scores[i] = zero_score; break;
        default: scores[i] = scores[i - 1]; break; /* a repeat of row i-1, fresh or zero */
        }
    }
    return RB_OK;
}

void rb_exact_ties_free(rb_exact_ties *t) {
    free(t->kind);
    free(t->fresh);
    free(t->fresh_score);
    free(t->zero_row);
    memset(t, 0, sizeof *t);
}

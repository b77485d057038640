/* exact_ties.h - scoring a block of feature rows so that rows with the same features get the same
 * score bit for bit, whatever the BLAS kernel (exact_ties.c). Private to the score stage. */
#ifndef RB_EXACT_TIES_H
#define RB_EXACT_TIES_H

#include "rb_model.h"

/* Scratch reused across calls (grown on demand; free with rb_exact_ties_free). */
typedef struct {
    uint8_t *kind;       /* [rows] RB_ROW_FRESH / RB_ROW_ZERO / RB_ROW_REPEAT */
    float *fresh;        /* [n_fresh][d] the fresh rows, packed */
    float *fresh_score;  /* [n_fresh] */
    float *zero_row;     /* [d] zeros */
    int64_t cap_rows, cap_floats;
    int cap_d;
} rb_exact_ties;

/* Scores of rows feature rows x (row stride ld, width d) by detector d through input `input` into
 * scores[rows], like rb_detector_score, except that every all-zero row (a missing stream, a dropped
 * snippet) gets the score of a lone zero row, and every row equal to the row before it (a frozen
 * snippet) gets that row's score. The other rows are scored together, in their order; when there is
 * no such row the call is exactly rb_detector_score on x. */
int rb_exact_ties_score(rb_exact_ties *t, const rb_detector *det, rb_det_input input, const float *x, int64_t rows,
                        int d, int ld, float *scores);
/* The same with any row scorer: fn(ctx, x, rows, ld, scores) scores rows rows of width d. */
typedef int (*rb_row_scorer)(const void *ctx, const float *x, int64_t rows, int ld, float *scores);
int rb_exact_ties_score_with(rb_exact_ties *t, rb_row_scorer fn, const void *ctx, const float *x, int64_t rows, int d,
                             int ld, float *scores);
/* The same with the ties found on other rows: row i of key (width key_d, stride key_ld) decides
 * whether row i of x is scored fresh, as the zero row (key row all zero: x's row must then be zero
 * too, as x = key W is) or as a repeat of row i-1. For rows x = key W computed by a product whose
 * rounding may depend on the row's position: the ties of the inputs stay exact in the scores. */
int rb_exact_ties_score_keyed(rb_exact_ties *t, rb_row_scorer fn, const void *ctx, const float *key, int key_d,
                              int key_ld, const float *x, int d, int ld, int64_t rows, float *scores);
void rb_exact_ties_free(rb_exact_ties *t);

#endif

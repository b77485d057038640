/* reference_weights.h - private to src/score/: the weights of the reference methods beside RobustA's
 * fusion (shared-two-sided, shared-decor; shared-oracle needs no weights) and the per-cell weighting
 * diagnostics (reference_weights.c; docs/gmm-weights.md section 8, docs/results.md). */
#ifndef RB_SCORE_REFERENCE_WEIGHTS_H
#define RB_SCORE_REFERENCE_WEIGHTS_H

#include <stdint.h>

#include "rb_data.h"
#include "rb_model.h"
#include "rb_score.h"

/* Two-sided weights of n x width NLLs with calibration c (its tau_lo and s_lo; c itself may be
 * one-sided): rb_weight_from_nll with two_sided forced to 1. */
int rb_ref_two_sided_weights(const rb_weight_calib *c, const double *nll, int64_t n, int width,
                             const int64_t *offsets, int64_t n_videos, double *w);

/* Least-squares slope of NLL on score over n paired values and the mean score:
 * beta = cov(nll, score) / var(score) (0 when the scores do not vary). Sums in index order. */
void rb_ref_decor_fit(const double *nll, const float *score, int64_t n, double *beta, double *score_mean);

/* Decorrelated statistic nll - beta (score - score_mean) into out[n], then the weights of calibration
 * c (its statistic, threshold and temperature) in place. */
int rb_ref_decor_weights(const rb_weight_calib *c, const double *nll, const float *score, int64_t n, int width,
                         const int64_t *offsets, int64_t n_videos, double beta, double score_mean, double *out);

/* The diagnostics of one modality of a cell: nll and w are [S][width] (width = crops for visual, 1
 * for audio), detect_auc the cell's detection ROC-AUC (NaN when not applicable). */
int rb_weight_diagnostics(const rb_split *test, const double *nll, const double *w, int width, double detect_auc,
                          double out[RB_DIAG_COUNT]);

/* Linear-interpolation percentile q in [0, 100] of m sorted values (numpy's default). */
double rb_ref_percentile_sorted(const double *sorted, int64_t m, double q);

#endif

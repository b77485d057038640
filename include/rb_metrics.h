/* rb_metrics.h - frame-level metrics of a scored test split: XD-Violence "AP" (trapezoid under the
 * precision-recall curve), step-wise average precision and ROC-AUC (docs/metrics.md).
 *
 * Input is per snippet: one score that applies to every frame of the snippet (the protocol repeats
 * each snippet score 16 times), the number of positive frames pos[i] and of frames frames[i]
 * (0 <= pos[i] <= frames[i]; a snippet with 0 frames is ignored). The metrics are computed from these
 * counts without expanding to frames: snippets are sorted by score once, equal scores are grouped and
 * the integer counts accumulated, which gives exactly the curve points that scikit-learn computes on
 * the expanded frames. rb_metrics_compute_expanded is the literal frame-level transcription of the
 * scikit-learn algorithm, kept to test and audit the counted one. */
#ifndef RB_METRICS_H
#define RB_METRICS_H

#include <stdint.h>

typedef struct {
    double ap;            /* XD-Violence "AP": precision_recall_curve then auc(recall, precision) */
    double ap_step;       /* average_precision_score: sum over thresholds of delta-recall * precision */
    double roc_auc;       /* roc_auc_score: trapezoid under the ROC curve (ties count one half) */
    int64_t n_pos_frames; /* positive frames (sum of pos) */
    int64_t n_frames;     /* all frames (sum of frames) */
} rb_metrics;

/* Validate the inputs shared by every metric: n >= 1, non-NULL arrays, every score finite, every
 * 0 <= pos[i] <= frames[i]. Writes the positive and total frame counts. Does not require both
 * classes to be present (the metric functions do). */
int rb_metrics_check_inputs(const double *scores, const int32_t *pos, const int32_t *frames, int64_t n,
                            int64_t *n_pos_frames, int64_t *n_frames);

/* The three metrics from per-snippet counts, O(n log n). Fails (RB_ERR) on invalid input and when the
 * frames are all positive or all negative (the metrics are undefined; scikit-learn returns nan). */
int rb_metrics_compute(const double *scores, const int32_t *pos, const int32_t *frames, int64_t n,
                       rb_metrics *out);

/* Reference: expands to one (score, label) per frame and follows scikit-learn step by step
 * (metrics_reference.c). Same contract as rb_metrics_compute; O(F log F) time and memory in the
 * number of frames F. For tests and audits, not for the benchmark grid. */
int rb_metrics_compute_expanded(const double *scores, const int32_t *pos, const int32_t *frames,
                                int64_t n, rb_metrics *out);

/* ROC-AUC of a binary labelling (labels[i] 1 = positive, 0 = negative; higher score = more positive),
 * e.g. for how well a corruption detector separates corrupted from clean snippets. Same errors as
 * rb_metrics_compute, plus a label other than 0 or 1. */
int rb_roc_auc_binary(const double *scores, const uint8_t *labels, int64_t n, double *out);

#endif

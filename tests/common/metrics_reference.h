/* metrics_reference.h - the literal frame-level transcription of scikit-learn's metrics, against
 * which the fast per-snippet metrics (src/score/metrics.c) are tested. Test code only. */
#ifndef RB_METRICS_REFERENCE_H
#define RB_METRICS_REFERENCE_H

#include "rb_score.h"

/* Reference: expands to one (score, label) per frame and follows scikit-learn step by step
 * (metrics_reference.c). Same contract as rb_metrics_compute; O(F log F) time and memory in the
 * number of frames F. For tests and audits, not for the benchmark grid. */
int rb_metrics_compute_expanded(const double *scores, const int32_t *pos, const int32_t *frames,
                                int64_t n, rb_metrics *out);

#endif

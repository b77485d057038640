/* synth_probe.h - the calibration proxy of the synthetic data (docs/synthetic.md): linear ridge
 * probes whose frame AP says how separable a generated dataset is. Test and benchmark code only. */
#ifndef RB_SYNTH_PROBE_H
#define RB_SYNTH_PROBE_H

#include "rb_data.h"

/* Frame-level XD "AP": trapezoid area under the precision-recall curve built from per-snippet scores
 * with per-snippet positive/total frame counts (sklearn precision_recall_curve + auc semantics). */
double rb_synth_trapezoid_ap(const float *score, const int32_t *pos, const int32_t *frames, int64_t n);

typedef struct {
    double ap_visual, ap_audio, ap_concat; /* trapezoid frame AP of each probe on the test split */
    double ap_constant;                    /* (1 + positive frame fraction) / 2 */
    double positive_fraction;              /* of test frames */
} rb_synth_probe_result;

/* Linear probes for visual (crop mean), audio and their concatenation on standardised train snippets
 * (every stride-th): a ridge fit (penalty ridge * rows) with every snippet of a violent video labelled
 * positive, then mil_rounds refits in which a violent video keeps only its floor(T/16)+1 best-scoring
 * sampled snippets (linear top-k MIL). Scores the test split and reports the frame AP of each. */
int rb_synth_probe(const rb_dataset *d, int stride, double ridge, int mil_rounds, rb_synth_probe_result *r);

#endif

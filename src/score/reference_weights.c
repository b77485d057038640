/* reference_weights.c - the weights of the reference methods beside RobustA's dynamic fusion and the
 * per-cell weighting diagnostics (reference_weights.h; docs/gmm-weights.md section 8 explains the
 * choices, docs/results.md the diagnostic columns). */
#include "rb_score.h"
#include "rb_core.h"
#include "rb_model.h"
#include "reference_weights.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const rb_diag_names[RB_DIAG_COUNT] = {
    "nll_anomaly_auc", "detect_direction", "weight_anomalous", "weight_normal", "weight_low_frac",
    "weight_q05",      "weight_q25",       "weight_q50",       "weight_q75",    "weight_q95"};

const char *rb_weight_diag_name(int diag) { return diag >= 0 && diag < RB_DIAG_COUNT ? rb_diag_names[diag] : "?"; }

int rb_ref_two_sided_weights(const rb_weight_calib *c, const double *nll, int64_t n, int width,
                             const int64_t *offsets, int64_t n_videos, double *w) {
    rb_weight_calib two = *c;
    two.two_sided = 1.0;
    return rb_weight_from_nll(&two, nll, n, width, offsets, n_videos, w);
}

void rb_ref_decor_fit(const double *nll, const float *score, int64_t n, double *beta, double *score_mean) {
    double ms = 0.0, mn = 0.0;
    for (int64_t i = 0; i < n; i++) {
        ms += score[i];
        mn += nll[i];
    }
    ms = n > 0 ? ms / (double)n : 0.0;
    mn = n > 0 ? mn / (double)n : 0.0;
    double sxy = 0.0, sxx = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double ds = (double)score[i] - ms;
        sxy += ds * (nll[i] - mn);
        sxx += ds * ds;
    }
    *beta = sxx > 0.0 ? sxy / sxx : 0.0;
    *score_mean = ms;
}

int rb_ref_decor_weights(const rb_weight_calib *c, const double *nll, const float *score, int64_t n, int width,
                         const int64_t *offsets, int64_t n_videos, double beta, double score_mean, double *out) {
    int64_t m = n * width;
    for (int64_t i = 0; i < m; i++) out[i] = nll[i] - beta * ((double)score[i] - score_mean);
    /* rb_weight_from_nll reads its input fully before writing, except for the snippet statistic,
     * which maps element by element: in place is safe for both */
    return rb_weight_from_nll(c, out, n, width, offsets, n_videos, out);
}

double rb_ref_percentile_sorted(const double *s, int64_t m, double q) {
    if (m < 1) return NAN;
    double pos = (double)(m - 1) * q / 100.0;
    int64_t i = (int64_t)floor(pos);
    if (i >= m - 1) return s[m - 1];
    double f = pos - (double)i;
    return s[i] + f * (s[i + 1] - s[i]);
}

int rb_weight_diagnostics(const rb_split *test, const double *nll, const double *w, int width, double detect_auc,
                          double out[RB_DIAG_COUNT]) {
    const int64_t S = test->n_snippets, n = S * width;
    double *tmp = rb_malloc(sizeof(double) * (size_t)(n > 0 ? n : 1), "diagnostics");
    if (!tmp) return RB_ERR;
    /* NLL as an anomaly score: crop mean per snippet, frame-level ROC-AUC */
    for (int64_t i = 0; i < S; i++) {
        double acc = 0.0;
        for (int c = 0; c < width; c++) acc += nll[i * width + c];
        tmp[i] = acc / width;
    }
    rb_metrics mt;
    int rc = rb_metrics_compute(tmp, test->snippet_pos, test->snippet_frames, S, &mt);
    if (rc != RB_OK) {
        free(tmp);
        return rb_context("NLL anomaly ROC-AUC");
    }
    out[RB_DIAG_NLL_ANOMALY_AUC] = mt.roc_auc;
    out[RB_DIAG_DETECT_DIRECTION] = isnan(detect_auc) ? NAN : detect_auc > 0.5 ? 1.0 : detect_auc < 0.5 ? -1.0 : 0.0;
    double sa = 0.0, sn = 0.0;
    int64_t na = 0, nn = 0, low = 0;
    for (int64_t v = 0; v < test->n_videos; v++)
        for (int64_t i = test->offsets[v]; i < test->offsets[v + 1]; i++)
            for (int c = 0; c < width; c++) {
                double wi = w[i * width + c];
                if (test->snippet_pos[i] > 0) {
                    sa += wi;
                    na++;
                }
                if (test->labels[v] == 0) {
                    sn += wi;
                    nn++;
                }
                if (wi < 0.5) low++;
            }
    out[RB_DIAG_WEIGHT_ANOMALOUS] = na ? sa / (double)na : NAN;
    out[RB_DIAG_WEIGHT_NORMAL] = nn ? sn / (double)nn : NAN;
    out[RB_DIAG_WEIGHT_LOW_FRAC] = n ? (double)low / (double)n : NAN;
    memcpy(tmp, w, sizeof(double) * (size_t)n);
    if (rb_sort_by_double(tmp, n, sizeof(double), 0, 0, "weights") != RB_OK) {
        free(tmp);
        return rb_context("weight quantiles");
    }
    static const double q[5] = {5, 25, 50, 75, 95};
    for (int k = 0; k < 5; k++) out[RB_DIAG_WEIGHT_Q05 + k] = rb_ref_percentile_sorted(tmp, n, q[k]);
    free(tmp);
    return RB_OK;
}

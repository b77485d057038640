/* metrics.c - frame-level AP (XD-Violence trapezoid), step AP and ROC-AUC from per-snippet counts
 * (rb_score.h, docs/metrics.md).
 *
 * Why counting is exact: a snippet with score s, p positive and f - p negative frames contributes f
 * frames that all tie at s. scikit-learn groups tied scores into one threshold, so its curve only
 * sees, per distinct score, the cumulative integer counts TP and FP. Summing integer counts per
 * distinct snippet score gives the same TP and FP (integers are exact in int64 and in the float64
 * cumulative sums of scikit-learn below 2^53), hence the same float64 precision and recall values,
 * and the same terms of the area sums. Sums are compensated (Neumaier), so the order in which the
 * terms are added changes a result by at most about one unit in the last place. */
#include "rb_score.h"

#include "rb_core.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>

typedef struct {
    double score;
    int32_t pos;
    int32_t neg;
} rb_snippet_counts;

/* Neumaier compensated sum: error about one rounding of the total, independent of the term order. */
typedef struct {
    double sum, comp;
} rb_ksum;

static void rb_ksum_add(rb_ksum *k, double x) {
    double t = k->sum + x;
    if (fabs(k->sum) >= fabs(x)) k->comp += (k->sum - t) + x;
    else k->comp += (x - t) + k->sum;
    k->sum = t;
}

static double rb_ksum_value(const rb_ksum *k) { return k->sum + k->comp; }

int rb_metrics_check_inputs(const double *scores, const int32_t *pos, const int32_t *frames, int64_t n,
                            int64_t *n_pos_frames, int64_t *n_frames) {
    if (n <= 0) return rb_fail("frame metrics: expected at least one snippet, got n = %lld", (long long)n);
    if (!scores || !pos || !frames)
        return rb_fail("frame metrics: expected score, positive-frame and frame arrays, got a NULL array");
    int64_t npos = 0, nall = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(scores[i]))
            return rb_fail("frame metrics: snippet %lld: expected a finite score, got %g", (long long)i,
                           scores[i]);
        if (frames[i] < 0 || pos[i] < 0 || pos[i] > frames[i])
            return rb_fail("frame metrics: snippet %lld: expected 0 <= positive frames <= frames, got "
                           "%d positive of %d frames", (long long)i, (int)pos[i], (int)frames[i]);
        npos += pos[i];
        nall += frames[i];
    }
    *n_pos_frames = npos;
    *n_frames = nall;
    return RB_OK;
}

int rb_metrics_compute(const double *scores, const int32_t *pos, const int32_t *frames, int64_t n,
                       rb_metrics *out) {
    int64_t n_pos = 0, n_all = 0;
    RB_TRY(rb_metrics_check_inputs(scores, pos, frames, n, &n_pos, &n_all));
    if (n_pos == 0 || n_pos == n_all)
        return rb_fail("frame metrics: expected both positive and negative frames, got %lld positive of "
                       "%lld frames (AP and ROC-AUC are undefined)", (long long)n_pos, (long long)n_all);

    rb_snippet_counts *c = rb_malloc(sizeof *c * (size_t)n, "frame metrics: snippet counts");
    if (!c) return RB_ERR;
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        if (frames[i] == 0) continue; /* no frames, no threshold (as in the expanded frames) */
        c[m].score = scores[i];
        c[m].pos = pos[i];
        c[m].neg = frames[i] - pos[i];
        m++;
    }
    /* descending by score; -0.0 lands next to 0.0, and the walk below groups them with == (as np.diff
     * sees them) */
    if (rb_sort_by_double(c, m, sizeof *c, offsetof(rb_snippet_counts, score), 1, "snippet scores") != RB_OK) {
        free(c);
        return rb_context("frame metrics");
    }

    /* Walk the distinct thresholds from the highest score down. The PR curve starts at the point
     * (recall 0, precision 1) that scikit-learn appends and stops at the first threshold with full
     * recall; the ROC curve starts at (0, 0) and runs to (1, 1). */
    const double P = (double)n_pos, N = (double)(n_all - n_pos);
    int64_t tp = 0, fp = 0;
    double r_prev = 0.0, p_prev = 1.0, fpr_prev = 0.0, tpr_prev = 0.0;
    int pr_done = 0;
    rb_ksum ap = {0, 0}, ap_step = {0, 0}, roc = {0, 0};
    for (int64_t i = 0; i < m;) {
        int64_t j = i;
        while (j < m && c[j].score == c[i].score) {
            tp += c[j].pos;
            fp += c[j].neg;
            j++;
        }
        i = j;
        double tps = (double)tp, fps = (double)fp;
        double recall = tps / P, precision = tps / (tps + fps);
        if (!pr_done) {
            double dr = recall - r_prev;
            rb_ksum_add(&ap, dr * (precision + p_prev) / 2.0);
            rb_ksum_add(&ap_step, dr * precision);
            r_prev = recall;
            p_prev = precision;
            pr_done = tp == n_pos;
        }
        double fpr = fps / N;
        rb_ksum_add(&roc, (fpr - fpr_prev) * (recall + tpr_prev) / 2.0);
        fpr_prev = fpr;
        tpr_prev = recall;
    }
    free(c);

    out->ap = rb_ksum_value(&ap);
    out->ap_step = fmax(0.0, rb_ksum_value(&ap_step));
    out->roc_auc = rb_ksum_value(&roc);
    out->n_pos_frames = n_pos;
    out->n_frames = n_all;
    return RB_OK;
}

int rb_roc_auc_binary(const double *scores, const uint8_t *labels, int64_t n, double *out) {
    if (n <= 0) return rb_fail("binary ROC-AUC: expected at least one sample, got n = %lld", (long long)n);
    if (!labels) return rb_fail("binary ROC-AUC: expected a label array, got NULL");
    int32_t *pos = rb_malloc(sizeof *pos * (size_t)n, "binary ROC-AUC: labels");
    int32_t *ones = rb_malloc(sizeof *ones * (size_t)n, "binary ROC-AUC: unit counts");
    int rc = RB_ERR;
    if (!pos || !ones) goto done;
    for (int64_t i = 0; i < n; i++) {
        if (labels[i] > 1) {
            rb_fail("binary ROC-AUC: sample %lld: expected label 0 or 1, got %d", (long long)i,
                    (int)labels[i]);
            goto done;
        }
        pos[i] = labels[i];
        ones[i] = 1;
    }
    rb_metrics m;
    if (rb_metrics_compute(scores, pos, ones, n, &m) != RB_OK) {
        rb_context("binary ROC-AUC (one frame per sample)");
        goto done;
    }
    *out = m.roc_auc;
    rc = RB_OK;
done:
    free(pos);
    free(ones);
    return rc;
}

/* metrics_reference.c - the frame-level reference for rb_metrics_compute: expand every snippet to its
 * frames and follow scikit-learn step by step (rb_score.h, docs/metrics.md). Kept for the unit
 * tests and for audits; too slow and memory-hungry for the benchmark grid.
 *
 * Transcribed steps (scikit-learn sklearn/metrics/_ranking.py, the XD-Violence era):
 *   _binary_clf_curve: sort frames by decreasing score; threshold_idxs = indices where the sorted
 *     score changes, plus the last index; tps = cumsum(y)[threshold_idxs];
 *     fps = 1 + threshold_idxs - tps.
 *   precision_recall_curve: precision = tps / (tps + fps), recall = tps / tps[-1];
 *     last_ind = tps.searchsorted(tps[-1]); sl = slice(last_ind, None, -1);
 *     precision = r_[precision[sl], 1], recall = r_[recall[sl], 0].
 *   auc(x, y): direction -1 if x is non-increasing; area = direction * trapz(y, x), where
 *     trapz = sum(diff(x) * (y[1:] + y[:-1]) / 2).
 *   average_precision_score: max(0, -sum(diff(recall) * precision[:-1])).
 *   roc_auc_score: roc_curve prepends (0, 0); fpr = fps / fps[-1], tpr = tps / tps[-1]; auc(fpr, tpr).
 *     (roc_curve's drop_intermediate only removes collinear points, so it is not transcribed.)
 * Sums are compensated (Neumaier) like the counted implementation, so the two agree to about one
 * unit in the last place although they add their terms in opposite orders. */
#include "metrics_reference.h"

#include "rb_core.h"

#include <math.h>
#include <stdlib.h>

typedef struct {
    double score;
    double label;
} rb_frame;

typedef struct {
    double sum, comp;
} rb_ref_ksum;

static void rb_ref_ksum_add(rb_ref_ksum *k, double x) {
    double t = k->sum + x;
    if (fabs(k->sum) >= fabs(x)) k->comp += (k->sum - t) + x;
    else k->comp += (x - t) + k->sum;
    k->sum = t;
}

/* Order inside a tie does not matter: only the cumulative sum at the last index of a tie is used. */
static int rb_frame_desc(const void *a, const void *b) {
    double x = ((const rb_frame *)a)->score, y = ((const rb_frame *)b)->score;
    return (x < y) - (x > y);
}

/* sklearn.metrics.auc: trapezoid with the direction of x; x must be monotonic. */
static int rb_ref_auc(const double *x, const double *y, int64_t len, double *area) {
    int any_neg = 0, any_pos = 0;
    for (int64_t i = 0; i + 1 < len; i++) {
        double dx = x[i + 1] - x[i];
        any_neg |= dx < 0;
        any_pos |= dx > 0;
    }
    if (any_neg && any_pos) return rb_fail("reference auc: expected a monotonic x, got both directions");
    double direction = any_neg ? -1.0 : 1.0;
    rb_ref_ksum k = {0, 0};
    for (int64_t i = 0; i + 1 < len; i++) rb_ref_ksum_add(&k, (x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2.0);
    *area = direction * (k.sum + k.comp);
    return RB_OK;
}

int rb_metrics_compute_expanded(const double *scores, const int32_t *pos, const int32_t *frames,
                                int64_t n, rb_metrics *out) {
    int64_t n_pos = 0, n_all = 0;
    RB_TRY(rb_metrics_check_inputs(scores, pos, frames, n, &n_pos, &n_all));
    if (n_pos == 0 || n_pos == n_all)
        return rb_fail("frame metrics: expected both positive and negative frames, got %lld positive of "
                       "%lld frames (AP and ROC-AUC are undefined)", (long long)n_pos, (long long)n_all);

    const int64_t F = n_all;
    rb_frame *fr = rb_malloc(sizeof *fr * (size_t)F, "reference metrics: frames");
    int64_t *thr = rb_malloc(sizeof *thr * (size_t)F, "reference metrics: thresholds");
    double *tps = rb_malloc(sizeof *tps * (size_t)F, "reference metrics: tps");
    double *fps = rb_malloc(sizeof *fps * (size_t)F, "reference metrics: fps");
    /* Curves have at most F + 1 points. */
    double *cx = rb_malloc(sizeof *cx * (size_t)(F + 1), "reference metrics: curve x");
    double *cy = rb_malloc(sizeof *cy * (size_t)(F + 1), "reference metrics: curve y");
    int rc = RB_ERR;
    if (!fr || !thr || !tps || !fps || !cx || !cy) goto done;

    /* The protocol: each snippet score repeated for each of its frames; the positive frames first
     * (their place inside the snippet is irrelevant once the scores tie). */
    int64_t f = 0;
    for (int64_t i = 0; i < n; i++)
        for (int32_t k = 0; k < frames[i]; k++) {
            fr[f].score = scores[i];
            fr[f].label = k < pos[i] ? 1.0 : 0.0;
            f++;
        }
    qsort(fr, (size_t)F, sizeof *fr, rb_frame_desc);

    /* _binary_clf_curve */
    int64_t nt = 0;
    for (int64_t i = 0; i + 1 < F; i++)
        if (fr[i + 1].score - fr[i].score != 0.0) thr[nt++] = i;
    thr[nt++] = F - 1;
    double cum = 0.0;
    int64_t t = 0;
    for (int64_t i = 0; i < F && t < nt; i++) {
        cum += fr[i].label;
        if (i == thr[t]) {
            tps[t] = cum;
            fps[t] = 1.0 + (double)thr[t] - cum;
            t++;
        }
    }

    /* precision_recall_curve, truncated at the first full recall and reversed */
    int64_t last_ind = 0;
    while (tps[last_ind] < tps[nt - 1]) last_ind++;
    int64_t len = 0;
    for (int64_t k = last_ind; k >= 0; k--) {
        double ps = tps[k] + fps[k];
        cy[len] = ps != 0.0 ? tps[k] / ps : 0.0; /* precision */
        cx[len] = tps[k] / tps[nt - 1];          /* recall */
        len++;
    }
    cy[len] = 1.0;
    cx[len] = 0.0;
    len++;
    double ap;
    if (rb_ref_auc(cx, cy, len, &ap) != RB_OK) goto done;
    rb_ref_ksum step = {0, 0};
    for (int64_t i = 0; i + 1 < len; i++) rb_ref_ksum_add(&step, (cx[i + 1] - cx[i]) * cy[i]);
    double ap_step = fmax(0.0, -(step.sum + step.comp));

    /* roc_curve and roc_auc_score */
    cx[0] = 0.0;
    cy[0] = 0.0;
    for (int64_t k = 0; k < nt; k++) {
        cx[k + 1] = fps[k] / fps[nt - 1];
        cy[k + 1] = tps[k] / tps[nt - 1];
    }
    double roc;
    if (rb_ref_auc(cx, cy, nt + 1, &roc) != RB_OK) goto done;

    out->ap = ap;
    out->ap_step = ap_step;
    out->roc_auc = roc;
    out->n_pos_frames = n_pos;
    out->n_frames = n_all;
    rc = RB_OK;
done:
    free(fr);
    free(thr);
    free(tps);
    free(fps);
    free(cx);
    free(cy);
    return rc;
}

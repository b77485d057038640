/* bootstrap.c - paired, stratified bootstrap of the frame-level metrics over test videos
 * (rb_score.h, docs/metrics.md "Intervals"): the resamples of a dataset as per-video multiplicities
 * drawn from the counter-based generator, the three metrics of every resample in O(S) each over a
 * score order sorted once, and the percentile interval.
 *
 * Why the weighted walk is exact: a resample in which video v appears k times is the test set with
 * v's snippets repeated k times. Repeated snippets tie with their copies, so at each distinct score
 * TP and FP are the integer sums of k * pos and k * neg over the snippets with that score; a score
 * whose snippets all have k = 0 is no threshold of the resample and is skipped. The walk then does
 * the same float64 operations as rb_metrics_compute (metrics.c), in the same order, on the same
 * integers. */
#include "rb_score.h"

#include "rb_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int rb_boot_counts(const rb_split *test, uint32_t seed, uint32_t dataset_id, int B, int32_t *counts) {
    int64_t V = test->n_videos;
    if (B < 1 || V < 1) return rb_fail("bootstrap: expected B >= 1 resamples of >= 1 videos, got B = %d, %lld videos", B, (long long)V);
    if (V > INT32_MAX) return rb_fail("bootstrap: %lld test videos is more than supported", (long long)V);
    /* strata in video order: videos with a positive frame, then the rest */
    int32_t *strata = rb_malloc(sizeof *strata * (size_t)V, "bootstrap strata");
    if (!strata) return RB_ERR;
    int32_t n_pos = 0, n_neg = 0;
    for (int64_t v = 0; v < V; v++) {
        int any = 0;
        for (int64_t i = test->offsets[v]; i < test->offsets[v + 1] && !any; i++) any = test->snippet_pos[i] > 0;
        if (any) strata[n_pos++] = (int32_t)v;
    }
    for (int64_t v = 0, k = n_pos; v < V; v++) {
        int any = 0;
        for (int64_t i = test->offsets[v]; i < test->offsets[v + 1] && !any; i++) any = test->snippet_pos[i] > 0;
        if (!any) strata[k++] = (int32_t)v;
    }
    n_neg = (int32_t)V - n_pos;
    for (int b = 0; b < B; b++) {
        int32_t *c = counts + (size_t)b * (size_t)V;
        memset(c, 0, sizeof *c * (size_t)V);
        rb_rng rng;
        rb_rng_init(&rng, seed, RB_PURPOSE_BOOTSTRAP, dataset_id, (uint32_t)b, 0);
        for (int32_t j = 0; j < n_pos; j++) c[strata[rb_rng_below(&rng, (uint32_t)n_pos)]]++;
        for (int32_t j = 0; j < n_neg; j++) c[strata[n_pos + rb_rng_below(&rng, (uint32_t)n_neg)]]++;
    }
    free(strata);
    return RB_OK;
}

typedef struct {
    double score;
    int32_t pos, neg, video;
} rb_boot_entry;

static int rb_boot_by_score_desc(const void *a, const void *b) {
    double x = ((const rb_boot_entry *)a)->score, y = ((const rb_boot_entry *)b)->score;
    return (x < y) - (x > y);
}

/* Neumaier compensated sum, as in metrics.c. */
typedef struct {
    double sum, comp;
} rb_bsum;

static void rb_bsum_add(rb_bsum *k, double x) {
    double t = k->sum + x;
    if (fabs(k->sum) >= fabs(x)) k->comp += (k->sum - t) + x;
    else k->comp += (x - t) + k->sum;
    k->sum = t;
}

/* One resample: mult[v] per video over the sorted entries; last[i] marks the end of a tie group. */
static void rb_boot_eval(const rb_boot_entry *e, const uint8_t *last, int64_t m, const int32_t *mult,
                         const int64_t *vpos, const int64_t *vneg, int64_t V, double out[3]) {
    int64_t n_pos = 0, n_neg = 0;
    for (int64_t v = 0; v < V; v++) {
        n_pos += mult[v] * vpos[v];
        n_neg += mult[v] * vneg[v];
    }
    if (n_pos == 0 || n_neg == 0) {
        out[0] = out[1] = out[2] = NAN;
        return;
    }
    const double P = (double)n_pos, N = (double)n_neg;
    int64_t tp = 0, fp = 0, tp_group = 0, fp_group = 0;
    double r_prev = 0.0, p_prev = 1.0, fpr_prev = 0.0, tpr_prev = 0.0;
    int pr_done = 0;
    rb_bsum ap = {0, 0}, ap_step = {0, 0}, roc = {0, 0};
    for (int64_t i = 0; i < m; i++) {
        int64_t w = mult[e[i].video];
        tp += w * e[i].pos;
        fp += w * e[i].neg;
        if (!last[i]) continue;
        if (tp == tp_group && fp == fp_group) continue; /* no frame of this score in the resample */
        tp_group = tp;
        fp_group = fp;
        double tps = (double)tp, fps = (double)fp;
        double recall = tps / P, precision = tps / (tps + fps);
        if (!pr_done) {
            double dr = recall - r_prev;
            rb_bsum_add(&ap, dr * (precision + p_prev) / 2.0);
            rb_bsum_add(&ap_step, dr * precision);
            r_prev = recall;
            p_prev = precision;
            pr_done = tp == n_pos;
        }
        double fpr = fps / N;
        rb_bsum_add(&roc, (fpr - fpr_prev) * (recall + tpr_prev) / 2.0);
        fpr_prev = fpr;
        tpr_prev = recall;
    }
    out[0] = ap.sum + ap.comp;
    out[1] = fmax(0.0, ap_step.sum + ap_step.comp);
    out[2] = roc.sum + roc.comp;
}

int rb_metrics_bootstrap(const double *scores, const int32_t *pos, const int32_t *frames, int64_t n,
                         const int64_t *offsets, int64_t n_videos, const int32_t *counts, int B, double *out) {
    int64_t n_pos = 0, n_all = 0;
    RB_TRY(rb_metrics_check_inputs(scores, pos, frames, n, &n_pos, &n_all));
    if (!offsets || !counts || !out || B < 1 || n_videos < 1 || offsets[0] != 0 || offsets[n_videos] != n)
        return rb_fail("bootstrap metrics: expected video offsets covering the %lld snippets, counts and B >= 1", (long long)n);
    rb_boot_entry *e = rb_malloc(sizeof *e * (size_t)n, "bootstrap: sorted snippets");
    uint8_t *last = rb_malloc((size_t)n, "bootstrap: tie groups");
    int64_t *vpos = rb_calloc((size_t)n_videos * 2, sizeof *vpos, "bootstrap: per-video frames");
    if (!e || !last || !vpos) {
        free(e);
        free(last);
        free(vpos);
        return RB_ERR;
    }
    int64_t *vneg = vpos + n_videos;
    int64_t m = 0;
    for (int64_t v = 0; v < n_videos; v++)
        for (int64_t i = offsets[v]; i < offsets[v + 1]; i++) {
            vpos[v] += pos[i];
            vneg[v] += frames[i] - pos[i];
            if (frames[i] == 0) continue;
            e[m].score = scores[i];
            e[m].pos = pos[i];
            e[m].neg = frames[i] - pos[i];
            e[m].video = (int32_t)v;
            m++;
        }
    qsort(e, (size_t)m, sizeof *e, rb_boot_by_score_desc);
    for (int64_t i = 0; i < m; i++) last[i] = i + 1 == m || e[i + 1].score != e[i].score;
    for (int b = 0; b < B; b++) {
        double v[3];
        rb_boot_eval(e, last, m, counts + (size_t)b * (size_t)n_videos, vpos, vneg, n_videos, v);
        for (int q = 0; q < 3; q++) out[(size_t)q * (size_t)B + (size_t)b] = v[q];
    }
    free(e);
    free(last);
    free(vpos);
    return RB_OK;
}

static int rb_double_cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double rb_quantile_sorted(const double *s, int n, double p) {
    double h = (n - 1) * p;
    int lo = (int)floor(h);
    if (lo >= n - 1) return s[n - 1];
    double frac = h - lo;
    return frac == 0.0 ? s[lo] : s[lo] + frac * (s[lo + 1] - s[lo]);
}

void rb_percentile_interval(const double *values, int n, double confidence, double *lo, double *hi) {
    *lo = *hi = NAN;
    if (n < 1) return;
    for (int i = 0; i < n; i++)
        if (isnan(values[i])) return;
    double *s = malloc(sizeof *s * (size_t)n);
    if (!s) return;
    memcpy(s, values, sizeof *s * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, rb_double_cmp);
    *lo = rb_quantile_sorted(s, n, (1.0 - confidence) / 2.0);
    *hi = rb_quantile_sorted(s, n, (1.0 + confidence) / 2.0);
    free(s);
}

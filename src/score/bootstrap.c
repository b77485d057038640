/* bootstrap.c - paired, stratified bootstrap of the frame-level metrics over test videos
 * (rb_score.h, docs/metrics.md "Intervals"): the resamples of a dataset as per-video multiplicities
 * drawn from the counter-based generator, the three metrics of every resample in O(S) each over a
 * score order sorted once, and the percentile interval.
 *
 * Why the weighted walk is exact: a resample in which video v appears k times is the test set with
 * v's snippets repeated k times. Repeated snippets tie with their copies, so at each distinct score
 * TP and FP are the integer sums of k * pos and k * neg over the snippets with that score; a score
 * whose snippets all have k = 0 is no threshold of the resample and is skipped. The walk then
 * evaluates the curve sums of rb_metrics_compute (metrics.c) on the same integers, rearranged to
 * need one division per threshold, for all resamples at once (rb_boot_walk). */
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

/* All B resamples in one pass over the score order (entries e, sorted by score descending; last[i]
 * marks the end of a tie group). The state of every resample is a vector over b, so the inner loops
 * run over b with no dependence between iterations (they vectorise); w is [V][B], the multiplicity
 * of each video in each resample. Per threshold (a tie group with frames in resample b) with dTP
 * new positive and dFP new negative frames, the curve sums of metrics.c become
 *   ap_step = (1/P) sum dTP * precision,   ap = (1/(2P)) sum dTP * (precision + precision_prev),
 *   roc_auc = (1/(2PN)) sum dFP * (2 TP_prev + dTP),
 * with precision = TP / (TP + FP) and the PR sums stopping at the first threshold with TP = P. A
 * group none of whose videos is drawn adds no frame: it is no threshold of the resample, and the
 * masks below leave its state unchanged. Counts are held in float64, exact below 2^53 frames; the
 * sums are plain, so values agree with rb_metrics_compute to about 1e-14 relative (tested). */
typedef struct {
    double *tp, *fp, *tp_prev, *fp_prev, *p_prev, *done, *step, *trap, *roc, *n_pos;
} rb_boot_state;

#if defined(__GNUC__) && !defined(__clang__)
#define RB_VECTORISE __attribute__((optimize("O3", "no-trapping-math"))) /* loops over b: no reduction across b */
#else
#define RB_VECTORISE
#endif

/* The frames of one snippet into every resample's running counts. */
RB_VECTORISE static void rb_boot_add(int B, const int32_t *restrict wv, double pos, double neg, double *restrict tp,
                                     double *restrict fp) {
    for (int b = 0; b < B; b++) {
        tp[b] += wv[b] * pos;
        fp[b] += wv[b] * neg;
    }
}

/* The end of a tie group: a threshold of every resample that drew frames of it. Branch-free, so the
 * loop vectorises: a is 1.0 for a threshold of resample b before full recall, else 0.0, and
 * a * x + (1 - a) * y selects x or y exactly (both finite). */
RB_VECTORISE static void rb_boot_threshold(int B, const double *restrict tp, const double *restrict fp,
                                           double *restrict tpp, double *restrict fpp, double *restrict pp,
                                           double *restrict done, double *restrict step, double *restrict trap,
                                           double *restrict roc, const double *restrict npos) {
    for (int b = 0; b < B; b++) {
        double dtp = tp[b] - tpp[b], dfp = fp[b] - fpp[b];
        roc[b] += dfp * (2.0 * tpp[b] + dtp);
        double all = tp[b] + fp[b]; /* 0 only when nothing is drawn yet (a = 0 then) */
        double precision = tp[b] / (all < 1.0 ? 1.0 : all);
        double a = (dtp + dfp > 0 ? 1.0 : 0.0) * (done[b] == 0.0 ? 1.0 : 0.0);
        step[b] += a * (dtp * precision);
        trap[b] += a * (dtp * (precision + pp[b]));
        pp[b] = a * precision + (1.0 - a) * pp[b];
        double reached = tp[b] == npos[b] ? a : 0.0;
        done[b] = reached > done[b] ? reached : done[b];
        tpp[b] = tp[b];
        fpp[b] = fp[b];
    }
}

static void rb_boot_walk(const rb_boot_entry *e, const uint8_t *last, int64_t m, const int32_t *w, int B,
                         rb_boot_state *st) {
    for (int64_t i = 0; i < m; i++) {
        rb_boot_add(B, w + (size_t)e[i].video * (size_t)B, e[i].pos, e[i].neg, st->tp, st->fp);
        if (last[i])
            rb_boot_threshold(B, st->tp, st->fp, st->tp_prev, st->fp_prev, st->p_prev, st->done, st->step, st->trap,
                              st->roc, st->n_pos);
    }
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
    int32_t *w = rb_malloc(sizeof *w * (size_t)n_videos * (size_t)B, "bootstrap: multiplicities by video");
    double *state = rb_calloc((size_t)B * 11, sizeof *state, "bootstrap: resample state");
    int rc = e && last && vpos && w && state ? RB_OK : RB_ERR;
    if (rc == RB_OK) {
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
        for (int b = 0; b < B; b++)
            for (int64_t v = 0; v < n_videos; v++) w[(size_t)v * (size_t)B + (size_t)b] = counts[(size_t)b * (size_t)n_videos + (size_t)v];
        rb_boot_state st = {state, state + B, state + 2 * B, state + 3 * B, state + 4 * B, state + 5 * B,
                            state + 6 * B, state + 7 * B, state + 8 * B, state + 9 * B};
        double *n_neg = state + 10 * B;
        for (int b = 0; b < B; b++) {
            st.p_prev[b] = 1.0;
            int64_t np = 0, nn = 0;
            for (int64_t v = 0; v < n_videos; v++) {
                np += (int64_t)counts[(size_t)b * (size_t)n_videos + (size_t)v] * vpos[v];
                nn += (int64_t)counts[(size_t)b * (size_t)n_videos + (size_t)v] * vneg[v];
            }
            st.n_pos[b] = (double)np;
            n_neg[b] = (double)nn;
        }
        rb_boot_walk(e, last, m, w, B, &st);
        for (int b = 0; b < B; b++) {
            double P = st.n_pos[b], N = n_neg[b];
            int ok = P > 0 && N > 0;
            out[b] = ok ? st.trap[b] / (2.0 * P) : NAN;
            out[(size_t)B + (size_t)b] = ok ? fmax(0.0, st.step[b] / P) : NAN;
            out[2 * (size_t)B + (size_t)b] = ok ? st.roc[b] / (2.0 * P * N) : NAN;
        }
    }
    free(e);
    free(last);
    free(vpos);
    free(w);
    free(state);
    return rc;
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

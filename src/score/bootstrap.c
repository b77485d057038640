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
 * need one division per threshold, for all resamples at once (rb_boot_walk). What does not depend
 * on the scores (the multiplicities by video, each resample's frames) is prepared once per split and
 * set of resamples (rb_boot_plan), and each score vector is then one sort and one walk. */
#include "rb_score.h"

#include "rb_core.h"

#include <math.h>
#include <stddef.h>
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

/* All B resamples over the score order (entries e, sorted by score descending; last[i] marks the end
 * of a tie group), in blocks of RB_BOOT_BLOCK resamples whose state stays in L1 cache while the walk
 * passes over every group. Within a block the state of every resample is a vector over b, so the
 * inner loops run over b with no dependence between iterations (they vectorise); w is [V][B], the
 * multiplicity of each video in each resample. Per threshold (a tie group with frames in resample b)
 * with dTP new positive and dFP new negative frames, the curve sums of metrics.c become
 *   ap_step = (1/P) sum dTP * precision,   ap = (1/(2P)) sum dTP * (precision + precision_prev),
 *   roc_auc = (1/(2PN)) sum dFP * (2 TP_prev + dTP),
 * with precision = TP / (TP + FP) and the PR sums stopping at the first threshold with TP = P. A
 * group none of whose videos is drawn adds no frame: it is no threshold of the resample, and the
 * masks below leave its state unchanged. Counts are held in float64 and are integers, exact below
 * 2^53 frames, so dTP and dFP are exact whether summed per group or taken as differences of TP; the
 * sums are plain, so values agree with rb_metrics_compute to about 1e-14 relative (tested), and each
 * resample's values are the same bits whatever B and the block size. */
enum { RB_BOOT_BLOCK = 256 }; /* 9 state vectors of 256 doubles: 18 KiB */

typedef struct {
    double tp[RB_BOOT_BLOCK], fp[RB_BOOT_BLOCK], done[RB_BOOT_BLOCK];
    double step[RB_BOOT_BLOCK], trap[RB_BOOT_BLOCK], roc[RB_BOOT_BLOCK], n_pos[RB_BOOT_BLOCK];
    double dtp[RB_BOOT_BLOCK], dfp[RB_BOOT_BLOCK]; /* a tie group's frames, when it has several snippets */
    double prec[RB_BOOT_BLOCK];                     /* the precision the last threshold step computed */
    int32_t run[RB_BOOT_BLOCK];                     /* a run of negative snippets' frames (rb_boot_negative_sum) */
} rb_boot_block;

/* The loops over b have no reduction across b, so they vectorise (RB_VECTOR_KERNEL, rb_core.h): 8 or
 * 4 doubles per instruction with AVX-512 or AVX2 instead of SSE2's 2 (2.2x faster with AVX-512 at a
 * cell's size), with the same bits in every clone (tests/unit/score/test_bootstrap.c and the grid's
 * rank-invariance checks). */

/* One threshold of each of the nb resamples: dtp(b) and dfp(b) new frames, a no-op where both are 0.
 * Branch-free, so the loop vectorises: a is 1.0 for a threshold of resample b before full recall,
 * else 0.0, and a * x adds x or exactly nothing (x finite).
 * The previous threshold's precision is recomputed from the counts, not carried: before full recall
 * every threshold that changed TP or FP was one with a = 1, so TP / (TP + FP) now is the precision of
 * the last one, bit for bit (the same operation on the same integers); 1.0 before the first. */
static inline __attribute__((always_inline)) void rb_boot_step(rb_boot_block *restrict s, int b, double dtp,
                                                               double dfp, int carried) {
    double all_prev = s->tp[b] + s->fp[b];
    /* carried: the last change of TP and FP was a threshold step, whose precision s->prec holds: the
     * same division of the same counts, so the same bits without dividing again */
    double p_prev = all_prev < 1.0 ? 1.0 : carried ? s->prec[b] : s->tp[b] / all_prev;
    s->roc[b] += dfp * (2.0 * s->tp[b] + dtp);
    double tp = s->tp[b] + dtp, fp = s->fp[b] + dfp;
    s->tp[b] = tp;
    s->fp[b] = fp;
    double all = tp + fp; /* 0 only when nothing is drawn yet (a = 0 then) */
    double precision = tp / (all < 1.0 ? 1.0 : all);
    s->prec[b] = precision;
    double a = (dtp + dfp > 0 ? 1.0 : 0.0) * (s->done[b] == 0.0 ? 1.0 : 0.0);
    s->step[b] += a * (dtp * precision);
    s->trap[b] += a * (dtp * (precision + p_prev));
    double reached = tp == s->n_pos[b] ? a : 0.0;
    s->done[b] = reached > s->done[b] ? reached : s->done[b];
}

/* A tie group of one snippet with no positive frame (most snippets): rb_boot_step with dtp = 0, where
 * most of it does nothing. The PR sums add a * (0 * precision) = +0.0 (no change); the precision
 * carried to the next threshold is recomputed there; full recall cannot be reached by a step that
 * adds no TP (a resample reaches it on the step whose TP reaches P, or, with P = 0, has NaN metrics).
 * What is left: FP and the ROC area, 2 TP dFP (2 TP + 0.0 is 2 TP exactly). Same bits as the general
 * step, without its two divisions. */
RB_VECTOR_KERNEL static void rb_boot_negative(rb_boot_block *restrict s, int nb, const int32_t *restrict wv, double neg) {
    for (int b = 0; b < nb; b++) {
        double dfp = wv[b] * neg;
        s->roc[b] += dfp * (2.0 * s->tp[b]);
        s->fp[b] += dfp;
    }
}

/* A run of n consecutive such groups (entries e[0..n)): rb_boot_negative n times, with the frames of
 * the run summed first. TP does not change within the run, so the ROC area gains 2 TP times the
 * run's negative frames; every term is an integer and every sum below 2^53 (the caller checks
 * 2 P N < 2^53 for every resample), so the sums are exact and the bits those of n single steps. The
 * run's frames are summed in 32-bit integers (the caller checks that every resample's negative
 * frames fit): one integer multiply-add per snippet and resample, 16 resamples per AVX-512
 * instruction, instead of the single step's three double operations. */
RB_VECTOR_KERNEL static void rb_boot_negative_sum(rb_boot_block *restrict s, int nb, const int32_t *restrict wv, int32_t neg) {
    for (int b = 0; b < nb; b++) s->run[b] += wv[b] * neg;
}

RB_VECTOR_KERNEL static void rb_boot_negative_close(rb_boot_block *restrict s, int nb) {
    for (int b = 0; b < nb; b++) {
        const double dfp = (double)s->run[b];
        s->roc[b] += dfp * (2.0 * s->tp[b]);
        s->fp[b] += dfp;
        s->run[b] = 0;
    }
}

/* A tie group of one snippet (the usual case): its frames times each resample's multiplicity. */
RB_VECTOR_KERNEL static void rb_boot_single(rb_boot_block *restrict s, int nb, const int32_t *restrict wv, double pos,
                                        double neg) {
    for (int b = 0; b < nb; b++) rb_boot_step(s, b, wv[b] * pos, wv[b] * neg, 0);
}

/* The same right after another threshold step (rb_boot_single, rb_boot_group, or this): the previous
 * precision is carried in s->prec, one division per resample instead of two. */
RB_VECTOR_KERNEL static void rb_boot_single_carried(rb_boot_block *restrict s, int nb, const int32_t *restrict wv,
                                                    double pos, double neg) {
    for (int b = 0; b < nb; b++) rb_boot_step(s, b, wv[b] * pos, wv[b] * neg, 1);
}

/* A tie group of several snippets: its frames summed first (exact integers), then one threshold. */
RB_VECTOR_KERNEL static void rb_boot_add(rb_boot_block *restrict s, int nb, const int32_t *restrict wv, double pos,
                                     double neg) {
    for (int b = 0; b < nb; b++) {
        s->dtp[b] += wv[b] * pos;
        s->dfp[b] += wv[b] * neg;
    }
}

RB_VECTOR_KERNEL static void rb_boot_group(rb_boot_block *restrict s, int nb) {
    for (int b = 0; b < nb; b++) {
        rb_boot_step(s, b, s->dtp[b], s->dfp[b], 0);
        s->dtp[b] = 0.0;
        s->dfp[b] = 0.0;
    }
}

/* Resamples b0 .. b0 + nb of the walk: their trap, step and roc sums into trap, step, roc. runs: sum
 * runs of negative singleton groups first (exact when every resample has 2 P N < 2^53). */
static void rb_boot_walk(const rb_boot_entry *e, const uint8_t *last, int64_t m, const int32_t *w, int B, int b0,
                         int nb, int runs, rb_boot_block *s) {
    for (int b = 0; b < nb; b++) {
        s->tp[b] = s->fp[b] = s->done[b] = s->step[b] = s->trap[b] = s->roc[b] = 0.0;
        s->dtp[b] = s->dfp[b] = s->prec[b] = 0.0;
        s->run[b] = 0;
    }
    int carried = 0; /* the last change of TP and FP was a threshold step (s->prec is its precision) */
    for (int64_t i = 0; i < m; i++) {
        const int32_t *wv = w + (size_t)e[i].video * (size_t)B + (size_t)b0;
        if (last[i] && (i == 0 || last[i - 1])) {
            if (e[i].pos == 0 && runs) {
                int64_t j = i + 1; /* the run of negative singleton groups from i */
                while (j < m && e[j].pos == 0 && last[j]) j++;
                for (int64_t k = i; k < j; k++)
                    rb_boot_negative_sum(s, nb, w + (size_t)e[k].video * (size_t)B + (size_t)b0, e[k].neg);
                rb_boot_negative_close(s, nb);
                i = j - 1;
                carried = 0;
            } else if (e[i].pos == 0) {
                rb_boot_negative(s, nb, wv, e[i].neg);
                carried = 0;
            } else {
                if (carried) rb_boot_single_carried(s, nb, wv, e[i].pos, e[i].neg);
                else rb_boot_single(s, nb, wv, e[i].pos, e[i].neg);
                carried = 1;
            }
        } else {
            rb_boot_add(s, nb, wv, e[i].pos, e[i].neg);
            if (last[i]) {
                rb_boot_group(s, nb);
                carried = 1;
            }
        }
    }
}

int rb_boot_plan_init(rb_boot_plan *p, const int32_t *pos, const int32_t *frames, int64_t n, const int64_t *offsets,
                      int64_t n_videos, const int32_t *counts, int B) {
    memset(p, 0, sizeof *p);
    if (!pos || !frames || !offsets || !counts || B < 1 || n_videos < 1 || n < 0 || offsets[0] != 0 || offsets[n_videos] != n)
        return rb_fail("bootstrap metrics: expected video offsets covering the %lld snippets, counts and B >= 1", (long long)n);
    p->B = B;
    p->n = n;
    p->n_videos = n_videos;
    p->offsets = offsets;
    p->pos = pos;
    p->frames = frames;
    int64_t *vpos = rb_calloc((size_t)n_videos * 2, sizeof *vpos, "bootstrap: per-video frames");
    p->w = rb_malloc(sizeof *p->w * (size_t)n_videos * (size_t)B, "bootstrap: multiplicities by video");
    p->n_pos = rb_malloc(sizeof *p->n_pos * (size_t)B * 2, "bootstrap: positive and negative frames per resample");
    if (!vpos || !p->w || !p->n_pos) {
        free(vpos);
        rb_boot_plan_free(p);
        return RB_ERR;
    }
    p->n_neg = p->n_pos + B;
    int64_t *vneg = vpos + n_videos;
    for (int64_t v = 0; v < n_videos; v++)
        for (int64_t i = offsets[v]; i < offsets[v + 1]; i++) {
            vpos[v] += pos[i];
            vneg[v] += frames[i] - pos[i];
        }
    for (int b = 0; b < B; b++)
        for (int64_t v = 0; v < n_videos; v++) p->w[(size_t)v * (size_t)B + (size_t)b] = counts[(size_t)b * (size_t)n_videos + (size_t)v];
    for (int b = 0; b < B; b++) {
        int64_t np = 0, nn = 0;
        for (int64_t v = 0; v < n_videos; v++) {
            np += (int64_t)counts[(size_t)b * (size_t)n_videos + (size_t)v] * vpos[v];
            nn += (int64_t)counts[(size_t)b * (size_t)n_videos + (size_t)v] * vneg[v];
        }
        p->n_pos[b] = (double)np;
        p->n_neg[b] = (double)nn;
    }
    /* run sums give the single steps' bits: every ROC sum exact in double, and every resample's
     * negative frames (a bound on any run's) exact in 32-bit integers */
    p->runs = 1;
    for (int b = 0; b < B; b++)
        p->runs &= 2.0 * p->n_pos[b] * p->n_neg[b] < 9007199254740992.0 && p->n_neg[b] < 2147483647.0;
    free(vpos);
    return RB_OK;
}

void rb_boot_plan_free(rb_boot_plan *p) {
    free(p->w);
    free(p->n_pos);
    memset(p, 0, sizeof *p);
}

int rb_metrics_bootstrap_plan(const rb_boot_plan *p, const double *scores, double *out) {
    const int64_t n = p->n, n_videos = p->n_videos;
    const int B = p->B;
    const int64_t *offsets = p->offsets;
    const int32_t *pos = p->pos, *frames = p->frames;
    if (!out || !p->w) return rb_fail("bootstrap metrics: expected a built plan and an output");
    int64_t n_pos = 0, n_all = 0;
    RB_TRY(rb_metrics_check_inputs(scores, pos, frames, n, &n_pos, &n_all));
    rb_boot_entry *e = rb_malloc(sizeof *e * (size_t)(n > 0 ? n : 1), "bootstrap: sorted snippets");
    uint8_t *last = rb_malloc((size_t)(n > 0 ? n : 1), "bootstrap: tie groups");
    rb_boot_block *block = rb_malloc(sizeof *block, "bootstrap: resample state");
    int rc = e && last && block ? RB_OK : RB_ERR;
    int64_t m = 0;
    if (rc == RB_OK) {
        for (int64_t v = 0; v < n_videos; v++)
            for (int64_t i = offsets[v]; i < offsets[v + 1]; i++) {
                if (frames[i] == 0) continue;
                e[m].score = scores[i];
                e[m].pos = pos[i];
                e[m].neg = frames[i] - pos[i];
                e[m].video = (int32_t)v;
                m++;
            }
        rc = rb_sort_by_double(e, m, sizeof *e, offsetof(rb_boot_entry, score), 1, "bootstrap snippet scores");
    }
    if (rc == RB_OK) {
        for (int64_t i = 0; i < m; i++) last[i] = i + 1 == m || e[i + 1].score != e[i].score;
        for (int b0 = 0; b0 < B; b0 += RB_BOOT_BLOCK) {
            int nb = B - b0 < RB_BOOT_BLOCK ? B - b0 : RB_BOOT_BLOCK;
            memcpy(block->n_pos, p->n_pos + b0, sizeof *p->n_pos * (size_t)nb);
            rb_boot_walk(e, last, m, p->w, B, b0, nb, p->runs, block);
            for (int k = 0; k < nb; k++) {
                int b = b0 + k;
                double P = p->n_pos[b], N = p->n_neg[b];
                int ok = P > 0 && N > 0;
                out[b] = ok ? block->trap[k] / (2.0 * P) : NAN;
                out[(size_t)B + (size_t)b] = ok ? fmax(0.0, block->step[k] / P) : NAN;
                out[2 * (size_t)B + (size_t)b] = ok ? block->roc[k] / (2.0 * P * N) : NAN;
            }
        }
    }
    free(e);
    free(last);
    free(block);
    return rc;
}

int rb_metrics_bootstrap(const double *scores, const int32_t *pos, const int32_t *frames, int64_t n,
                         const int64_t *offsets, int64_t n_videos, const int32_t *counts, int B, double *out) {
    rb_boot_plan p; /* the scores are checked by the walk */
    RB_TRY(rb_boot_plan_init(&p, pos, frames, n, offsets, n_videos, counts, B));
    int rc = rb_metrics_bootstrap_plan(&p, scores, out);
    rb_boot_plan_free(&p);
    return rc;
}

static int rb_double_cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void rb_swap_double(double *a, double *b) {
    double t = *a;
    *a = *b;
    *b = t;
}

/* Puts the k-th smallest of v[0..n) at v[k], no larger value before it and no smaller one after it:
 * quickselect with a median-of-three pivot and a three-way partition (many bootstrap values tie),
 * expected linear; past 64 rounds (adversarial input) the rest is sorted. */
static void rb_select_kth(double *v, int n, int k) {
    int lo = 0, hi = n - 1;
    for (int round = 0; hi > lo; round++) {
        if (round == 64) {
            qsort(v + lo, (size_t)(hi - lo + 1), sizeof *v, rb_double_cmp);
            return;
        }
        double a = v[lo], b = v[lo + (hi - lo) / 2], c = v[hi];
        double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        int lt = lo, i = lo, gt = hi; /* [lo, lt) < pivot, [lt, i) == pivot, (gt, hi] > pivot */
        while (i <= gt) {
            if (v[i] < pivot) rb_swap_double(&v[lt++], &v[i++]);
            else if (v[i] > pivot) rb_swap_double(&v[i], &v[gt--]);
            else i++;
        }
        if (k < lt) hi = lt - 1;
        else if (k > gt) lo = gt + 1;
        else return;
    }
}

/* The p-quantile of v[from..n) with numpy's linear interpolation between the order statistics
 * h = (n - 1) p, where every value before v[from] is no larger than those from it on; the two order
 * statistics are selected, so v is reordered. */
static double rb_quantile_select(double *v, int n, int from, double p) {
    double h = (n - 1) * p;
    int at = (int)floor(h);
    if (at >= n - 1) at = n - 1;
    rb_select_kth(v + from, n - from, at - from);
    if (at == n - 1) return v[n - 1];
    double frac = h - at;
    if (frac == 0.0) return v[at];
    double next = v[at + 1]; /* the (at + 1)-th smallest: the least value after v[at] */
    for (int i = at + 2; i < n; i++)
        if (v[i] < next) next = v[i];
    return v[at] + frac * (next - v[at]);
}

/* The K smallest values of v[0..n) in ascending order into out (K <= n): one pass keeping a sorted
 * buffer, a value entering only when it is below the buffer's largest, so with values in any order
 * most cost one comparison. */
static void rb_smallest_k(const double *v, int n, int K, double *out) {
    int have = 0;
    for (int i = 0; i < n; i++) {
        double x = v[i];
        if (have == K && !(x < out[K - 1])) continue;
        int j = have < K ? have++ : K - 1;
        while (j > 0 && out[j - 1] > x) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = x;
    }
}

/* The same for the K largest, in descending order. */
static void rb_largest_k(const double *v, int n, int K, double *out) {
    int have = 0;
    for (int i = 0; i < n; i++) {
        double x = v[i];
        if (have == K && !(x > out[K - 1])) continue;
        int j = have < K ? have++ : K - 1;
        while (j > 0 && out[j - 1] < x) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = x;
    }
}

enum { RB_QUANTILE_TAIL = 64 }; /* order statistics this close to an end are read from a bounded buffer */

/* numpy's linear interpolation between the order statistics v_(at) and v_(at+1) given as a, b. */
static double rb_interpolate(double h, int at, int n, double a, double b) {
    if (at == n - 1) return a;
    double frac = h - at;
    if (frac == 0.0) return a;
    return a + frac * (b - a);
}

void rb_percentile_interval(double *values, int n, double confidence, double *lo, double *hi) {
    *lo = *hi = NAN;
    if (n < 1) return;
    for (int i = 0; i < n; i++)
        if (isnan(values[i])) return;
    const double p_lo = (1.0 - confidence) / 2.0, p_hi = (1.0 + confidence) / 2.0;
    const double h_lo = (n - 1) * p_lo, h_hi = (n - 1) * p_hi;
    int at_lo = (int)floor(h_lo), at_hi = (int)floor(h_hi);
    if (at_lo >= n - 1) at_lo = n - 1;
    if (at_hi >= n - 1) at_hi = n - 1;
    const int k_lo = at_lo + 2 <= n ? at_lo + 2 : n, k_hi = n - at_hi; /* v_(at_hi+1) is the (k_hi-1)-th largest */
    if (k_lo <= RB_QUANTILE_TAIL && k_hi <= RB_QUANTILE_TAIL) {
        /* the usual case (95% of 1,000 resamples: the 26 smallest and 26 largest): the same order
         * statistics as a full selection, so the same values, from one pass per end */
        double small[RB_QUANTILE_TAIL], large[RB_QUANTILE_TAIL];
        rb_smallest_k(values, n, k_lo, small);
        rb_largest_k(values, n, k_hi, large);
        *lo = rb_interpolate(h_lo, at_lo, n, small[at_lo], at_lo + 1 < k_lo ? small[at_lo + 1] : small[at_lo]);
        *hi = rb_interpolate(h_hi, at_hi, n, large[k_hi - 1], k_hi >= 2 ? large[k_hi - 2] : large[k_hi - 1]);
        return;
    }
    *lo = rb_quantile_select(values, n, 0, p_lo);
    int from = (int)floor((n - 1) * p_lo); /* values from here on are >= the lower order statistic */
    *hi = rb_quantile_select(values, n, from < n - 1 ? from : n - 1, p_hi);
}

/* weights.c - RobustA dynamic weights: held-out split, NLL statistic (raw / smoothed / per-video),
 * sigmoid calibration on clean held-out data, NLL -> weight, and weighted score fusion over crops
 * (rb_model.h, docs/gmm-weights.md). */
#include "rb_model.h"
#include "rb_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void rb_weight_params_default(rb_weight_params *p) {
    memset(p, 0, sizeof *p);
    p->statistic = RB_WSTAT_SNIPPET;
    p->window = 5;
    p->two_sided = 0;
    p->percentile_hi = 95.0;
    p->percentile_lo = 5.0;
    p->median_weight = 0.95;
}

int rb_weight_holdout_videos(int64_t n_videos, double fraction, uint32_t seed, uint32_t stream_id,
                             uint8_t *holdout) {
    if (n_videos < 2 || n_videos > INT32_MAX)
        return rb_fail("held-out split: expected 2 .. 2^31-1 videos, got %lld", (long long)n_videos);
    if (!(fraction > 0.0 && fraction < 1.0))
        return rb_fail("held-out split: expected 0 < fraction < 1, got %g", fraction);
    int64_t want = (int64_t)llround(fraction * (double)n_videos);
    if (want < 1) want = 1;
    if (want > n_videos - 1) want = n_videos - 1;
    int32_t *perm = rb_malloc(sizeof(int32_t) * (size_t)n_videos, "held-out permutation");
    if (!perm) return RB_ERR;
    rb_rng r;
    rb_rng_init(&r, seed, RB_PURPOSE_GMM_HOLDOUT, stream_id, 0, 0);
    rb_rng_permutation(&r, perm, (int32_t)n_videos);
    memset(holdout, 0, (size_t)n_videos);
    for (int64_t i = 0; i < want; i++) holdout[perm[i]] = 1;
    free(perm);
    return RB_OK;
}

static int rb_check_offsets(const int64_t *offsets, int64_t n_videos, int64_t n) {
    if (n_videos < 0) return rb_fail("expected n_videos >= 0, got %lld", (long long)n_videos);
    if (offsets[0] != 0) return rb_fail("offsets[0] = %lld, expected 0", (long long)offsets[0]);
    for (int64_t v = 0; v < n_videos; v++)
        if (offsets[v + 1] < offsets[v])
            return rb_fail("offsets decrease at video %lld (%lld -> %lld)", (long long)v,
                           (long long)offsets[v], (long long)offsets[v + 1]);
    if (offsets[n_videos] != n)
        return rb_fail("offsets end at %lld, expected %lld snippets", (long long)offsets[n_videos],
                       (long long)n);
    return RB_OK;
}

int rb_weight_select_rows(const int64_t *offsets, int64_t n_videos, const uint8_t *mask, uint8_t want,
                          int n_crops, int64_t **rows, int64_t *n_rows, int64_t **sub_offsets,
                          int64_t *n_sel_videos) {
    *rows = NULL;
    *sub_offsets = NULL;
    if (n_crops < 1) return rb_fail("select rows: expected n_crops >= 1, got %d", n_crops);
    RB_TRY_CTX(rb_check_offsets(offsets, n_videos, offsets[n_videos > 0 ? n_videos : 0]), "select rows");
    int64_t nsel = 0, nsn = 0;
    for (int64_t v = 0; v < n_videos; v++)
        if (mask[v] == want) {
            nsel++;
            nsn += offsets[v + 1] - offsets[v];
        }
    *rows = rb_malloc(sizeof(int64_t) * (size_t)(nsn * n_crops), "selected rows");
    *sub_offsets = rb_malloc(sizeof(int64_t) * (size_t)(nsel + 1), "selected offsets");
    if (!*rows || !*sub_offsets) {
        free(*rows);
        free(*sub_offsets);
        *rows = NULL;
        *sub_offsets = NULL;
        return RB_ERR;
    }
    int64_t r = 0, s = 0;
    (*sub_offsets)[0] = 0;
    for (int64_t v = 0; v < n_videos; v++) {
        if (mask[v] != want) continue;
        for (int64_t t = offsets[v]; t < offsets[v + 1]; t++)
            for (int c = 0; c < n_crops; c++) (*rows)[r++] = t * n_crops + c;
        (*sub_offsets)[s + 1] = (*sub_offsets)[s] + (offsets[v + 1] - offsets[v]);
        s++;
    }
    *n_rows = r;
    *n_sel_videos = nsel;
    return RB_OK;
}

int rb_weight_statistic(const double *nll, int64_t n, int n_crops, const int64_t *offsets,
                        int64_t n_videos, int statistic, int window, double *out) {
    if (n_crops < 1) return rb_fail("nll statistic: expected n_crops >= 1, got %d", n_crops);
    RB_TRY_CTX(rb_check_offsets(offsets, n_videos, n), "nll statistic");
    for (int64_t i = 0; i < n * n_crops; i++)
        if (!isfinite(nll[i]))
            return rb_fail("nll statistic: nll of snippet %lld crop %lld is not finite (%g)",
                           (long long)(i / n_crops), (long long)(i % n_crops), nll[i]);
    if (statistic == RB_WSTAT_SNIPPET) {
        memmove(out, nll, sizeof(double) * (size_t)(n * n_crops));
        return RB_OK;
    }
    if (statistic == RB_WSTAT_VIDEO) {
        for (int64_t v = 0; v < n_videos; v++) {
            int64_t a = offsets[v], b = offsets[v + 1];
            for (int c = 0; c < n_crops; c++) {
                double s = 0.0;
                for (int64_t t = a; t < b; t++) s += nll[t * n_crops + c];
                double mean = s / (double)(b - a);
                for (int64_t t = a; t < b; t++) out[t * n_crops + c] = mean;
            }
        }
        return RB_OK;
    }
    if (statistic != RB_WSTAT_SMOOTH)
        return rb_fail("nll statistic: expected snippet (0), smooth (1) or video (2), got %d", statistic);
    if (window < 1 || window % 2 == 0)
        return rb_fail("nll statistic: smoothing window must be odd and >= 1, got %d", window);
    if (out == nll) return rb_fail("nll statistic: smoothing cannot run in place");
    int64_t h = window / 2;
    for (int64_t v = 0; v < n_videos; v++) {
        int64_t a = offsets[v], b = offsets[v + 1];
        for (int64_t t = a; t < b; t++) {
            int64_t lo = t - h < a ? a : t - h, hi = t + h + 1 > b ? b : t + h + 1;
            for (int c = 0; c < n_crops; c++) {
                double s = 0.0;
                for (int64_t u = lo; u < hi; u++) s += nll[u * n_crops + c];
                out[t * n_crops + c] = s / (double)(hi - lo);
            }
        }
    }
    return RB_OK;
}

static int rb_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Percentile q in [0, 100] of sorted values, linear interpolation at position (m - 1) q / 100. */
static double rb_percentile_sorted(const double *s, int64_t m, double q) {
    double pos = (double)(m - 1) * q / 100.0;
    int64_t i = (int64_t)floor(pos);
    if (i >= m - 1) return s[m - 1];
    double f = pos - (double)i;
    return s[i] + f * (s[i + 1] - s[i]);
}

int rb_weight_calibrate(rb_weight_calib *c, const double *stat, int64_t m, const rb_weight_params *p) {
    memset(c, 0, sizeof *c);
    if (m < 1) return rb_fail("weight calibration: no held-out values");
    if (!(p->percentile_hi > 50.0 && p->percentile_hi <= 100.0))
        return rb_fail("weight calibration: percentile_hi must be in (50, 100], got %g", p->percentile_hi);
    if (!(p->percentile_lo >= 0.0 && p->percentile_lo < 50.0))
        return rb_fail("weight calibration: percentile_lo must be in [0, 50), got %g", p->percentile_lo);
    if (!(p->median_weight > 0.5 && p->median_weight < 1.0))
        return rb_fail("weight calibration: median_weight must be in (0.5, 1), got %g", p->median_weight);
    double *s = rb_malloc(sizeof(double) * (size_t)m, "calibration values");
    if (!s) return RB_ERR;
    for (int64_t i = 0; i < m; i++) {
        if (!isfinite(stat[i])) {
            free(s);
            return rb_fail("weight calibration: value %lld is not finite (%g)", (long long)i, stat[i]);
        }
        s[i] = stat[i];
    }
    qsort(s, (size_t)m, sizeof(double), rb_cmp_double);
    double med = rb_percentile_sorted(s, m, 50.0);
    double hi = rb_percentile_sorted(s, m, p->percentile_hi);
    double lo = rb_percentile_sorted(s, m, p->percentile_lo);
    free(s);
    /* s = distance threshold -> median over logit(median_weight): the median gets median_weight
     * from each sigmoid. A zero spread (all values equal) falls back to a tiny temperature. */
    double logit = log(p->median_weight / (1.0 - p->median_weight));
    double tiny = 1e-9 * (fabs(med) > 1.0 ? fabs(med) : 1.0);
    c->tau_hi = hi;
    c->s_hi = (hi - med) / logit > tiny ? (hi - med) / logit : tiny;
    c->tau_lo = lo;
    c->s_lo = (med - lo) / logit > tiny ? (med - lo) / logit : tiny;
    c->median = med;
    c->two_sided = p->two_sided ? 1.0 : 0.0;
    c->statistic = p->statistic;
    c->window = p->window;
    c->percentile_hi = p->percentile_hi;
    c->percentile_lo = p->percentile_lo;
    c->median_weight = p->median_weight;
    c->n_calib = (double)m;
    return RB_OK;
}

int rb_weight_calibrate_nll(rb_weight_calib *c, const double *nll, int64_t n, int n_crops,
                            const int64_t *offsets, int64_t n_videos, const rb_weight_params *p) {
    double *st = rb_malloc(sizeof(double) * (size_t)(n * (n_crops > 0 ? n_crops : 1)), "calibration statistic");
    if (!st) return RB_ERR;
    int rc = rb_weight_statistic(nll, n, n_crops, offsets, n_videos, p->statistic, p->window, st);
    if (rc == RB_OK) rc = rb_weight_calibrate(c, st, n * n_crops, p);
    free(st);
    return rc;
}

static double rb_sigmoid(double x) {
    if (x >= 0.0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

double rb_weight_of(const rb_weight_calib *c, double v) {
    double w = rb_sigmoid((c->tau_hi - v) / c->s_hi);
    if (c->two_sided != 0.0) w *= rb_sigmoid((v - c->tau_lo) / c->s_lo);
    return w;
}

int rb_weight_from_nll(const rb_weight_calib *c, const double *nll, int64_t n, int n_crops,
                       const int64_t *offsets, int64_t n_videos, double *w) {
    if (!(c->s_hi > 0.0) || !(c->s_lo > 0.0))
        return rb_fail("weights: calibration has non-positive temperatures (s_hi %g, s_lo %g)", c->s_hi,
                       c->s_lo);
    int statistic = (int)c->statistic, window = (int)c->window;
    if (statistic == RB_WSTAT_SMOOTH) {
        double *st = rb_malloc(sizeof(double) * (size_t)(n * (n_crops > 0 ? n_crops : 1)), "weight statistic");
        if (!st) return RB_ERR;
        int rc = rb_weight_statistic(nll, n, n_crops, offsets, n_videos, statistic, window, st);
        if (rc == RB_OK) memcpy(w, st, sizeof(double) * (size_t)(n * n_crops));
        free(st);
        RB_TRY_CTX(rc, "weights");
    } else {
        RB_TRY_CTX(rb_weight_statistic(nll, n, n_crops, offsets, n_videos, statistic, window, w), "weights");
    }
    for (int64_t i = 0; i < n * n_crops; i++) w[i] = rb_weight_of(c, w[i]);
    return RB_OK;
}

int rb_fuse_scores(const float *sv, const double *wv, int n_crops, const float *sa, const double *wa,
                   int64_t n, float *fused) {
    if (!sv && !sa) return rb_fail("fusion: both modalities missing");
    if (n < 0) return rb_fail("fusion: expected n >= 0, got %lld", (long long)n);
    int C = sv ? n_crops : 1;
    if (C < 1) return rb_fail("fusion: expected n_crops >= 1, got %d", n_crops);
    for (int64_t i = 0; i < n; i++) {
        double a = 0.0, wai = 0.0;
        if (sa) {
            a = sa[i];
            wai = wa ? wa[i] : 1.0;
            if (!isfinite(a)) return rb_fail("fusion: audio score of snippet %lld is not finite", (long long)i);
            if (!(wai >= 0.0) || !isfinite(wai))
                return rb_fail("fusion: audio weight of snippet %lld: expected finite >= 0, got %g",
                               (long long)i, wai);
        }
        double acc = 0.0;
        for (int c = 0; c < C; c++) {
            double v = 0.0, wvc = 0.0;
            if (sv) {
                v = sv[i * C + c];
                wvc = wv ? wv[i * C + c] : 1.0;
                if (!isfinite(v))
                    return rb_fail("fusion: visual score of snippet %lld crop %d is not finite", (long long)i, c);
                if (!(wvc >= 0.0) || !isfinite(wvc))
                    return rb_fail("fusion: visual weight of snippet %lld crop %d: expected finite >= 0, got %g",
                                   (long long)i, c, wvc);
            }
            double sum = wvc + wai, f;
            if (sum >= RB_FUSE_MIN_WEIGHT_SUM) f = (wvc * v + wai * a) / sum;
            else if (sv && sa) f = 0.5 * (v + a);
            else f = sv ? v : a;
            acc += f;
        }
        fused[i] = (float)(acc / C);
    }
    return RB_OK;
}

double rb_weight_mean(const double *w, int64_t n) {
    if (n <= 0) return NAN;
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) s += w[i];
    return s / (double)n;
}

/* test_bootstrap.c - the paired bootstrap (src/score/bootstrap.c): resamples as per-video
 * multiplicities (stratified, deterministic, keyed by dataset and resample), the O(S) weighted walk
 * against an independent computation (the resampled test set expanded video by video and frame by
 * frame, scored by the scikit-learn transcription in tests/common/metrics_reference.c, for a fixed
 * list of resamples), agreement with rb_metrics_compute (1e-14) when every multiplicity is 1, and the
 * percentile interval by hand. */
#include "rb_core.h"
#include "rb_data.h"
#include "rb_score.h"
#include "metrics_reference.h"
#include "rb_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A test split of V videos with random lengths, scores on a coarse grid (many ties, also across
 * videos), and random positive / total frame counts; the first half of the videos are anomalous. */
typedef struct {
    int64_t V, S;
    int64_t offsets[65];
    double scores[2000];
    int32_t pos[2000], frames[2000];
} rb_boot_case;

static void rb_make_case(rb_boot_case *c, uint32_t seed, int64_t V) {
    rb_rng r;
    rb_rng_init(&r, seed, RB_PURPOSE_TEST, 77, 0, 0);
    c->V = V;
    c->offsets[0] = 0;
    int64_t s = 0;
    for (int64_t v = 0; v < V; v++) {
        int64_t len = 1 + rb_rng_below(&r, 20);
        for (int64_t i = 0; i < len; i++, s++) {
            c->scores[s] = (double)rb_rng_below(&r, 12) / 4.0;
            c->frames[s] = (int32_t)rb_rng_below(&r, 17); /* 0 frames happens: ignored */
            c->pos[s] = v < V / 2 ? (int32_t)rb_rng_below(&r, (uint32_t)c->frames[s] + 1) : 0;
        }
        c->offsets[v + 1] = s;
    }
    c->S = s;
}

RB_TEST(bootstrap_all_ones_is_the_metric) {
    for (uint32_t t = 0; t < 10; t++) {
        rb_boot_case c;
        rb_make_case(&c, 100 + t, 40);
        rb_metrics m;
        if (rb_metrics_compute(c.scores, c.pos, c.frames, c.S, &m) != RB_OK) continue; /* one class only */
        int32_t ones[40];
        for (int v = 0; v < 40; v++) ones[v] = 1;
        double out[3];
        RB_EXPECT_OK(rb_metrics_bootstrap(c.scores, c.pos, c.frames, c.S, c.offsets, c.V, ones, 1, out));
        RB_EXPECT_MSG(fabs(out[0] - m.ap) <= 1e-14 && fabs(out[1] - m.ap_step) <= 1e-14 && fabs(out[2] - m.roc_auc) <= 1e-14,
                      "case %u: (%.17g, %.17g, %.17g) vs (%.17g, %.17g, %.17g)", t, out[0], out[1], out[2], m.ap,
                      m.ap_step, m.roc_auc);
    }
}

/* The fixed resample list: resample b draws video (7 * b + 3 * j * j + j) mod V for j < V. */
static int64_t rb_fixed_draw(int b, int64_t j, int64_t V) { return (7 * b + 3 * j * j + j) % V; }

RB_TEST(bootstrap_matches_expanded_resamples_and_interval_by_hand) {
    enum { B = 40 };
    rb_boot_case c;
    rb_make_case(&c, 7, 30);
    int32_t *counts = calloc((size_t)B * 30, sizeof *counts);
    double *out = malloc(sizeof(double) * 3 * B);
    double *xs = malloc(sizeof(double) * 4000);
    int32_t *xp = malloc(sizeof(int32_t) * 4000), *xf = malloc(sizeof(int32_t) * 4000);
    RB_EXPECT(counts && out && xs && xp && xf);
    if (!counts || !out || !xs || !xp || !xf) return;
    for (int b = 0; b < B; b++)
        for (int64_t j = 0; j < c.V; j++) counts[b * c.V + rb_fixed_draw(b, j, c.V)]++;
    RB_EXPECT_OK(rb_metrics_bootstrap(c.scores, c.pos, c.frames, c.S, c.offsets, c.V, counts, B, out));
    double ref[3][B];
    for (int b = 0; b < B; b++) {
        /* the resampled test set, video by video in draw order; the reference expands it to frames */
        int64_t n = 0;
        for (int64_t j = 0; j < c.V; j++) {
            int64_t v = rb_fixed_draw(b, j, c.V);
            for (int64_t i = c.offsets[v]; i < c.offsets[v + 1]; i++, n++) {
                xs[n] = c.scores[i];
                xp[n] = c.pos[i];
                xf[n] = c.frames[i];
            }
        }
        rb_metrics e;
        int rc = rb_metrics_compute_expanded(xs, xp, xf, n, &e);
        if (rc != RB_OK) { /* a resample without one class: the bootstrap gives NaN */
            RB_EXPECT(isnan(out[b]) && isnan(out[B + b]) && isnan(out[2 * B + b]));
            ref[0][b] = ref[1][b] = ref[2][b] = NAN;
            continue;
        }
        ref[0][b] = e.ap;
        ref[1][b] = e.ap_step;
        ref[2][b] = e.roc_auc;
        for (int q = 0; q < 3; q++)
            RB_EXPECT_MSG(fabs(out[q * B + b] - ref[q][b]) <= 1e-13, "resample %d metric %d: %.17g vs expanded %.17g", b, q,
                          out[q * B + b], ref[q][b]);
    }
    /* the 90% interval of ap_step by hand: sort, quantiles 0.05 and 0.95 with linear interpolation
     * between order statistics, h = (B - 1) p = 1.95 and 37.05 */
    double s[B];
    memcpy(s, ref[1], sizeof s);
    for (int i = 1; i < B; i++)
        for (int j = i; j > 0 && s[j] < s[j - 1]; j--) {
            double t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    double lo_hand = s[1] + 0.95 * (s[2] - s[1]), hi_hand = s[37] + 0.05 * (s[38] - s[37]);
    double lo, hi;
    rb_percentile_interval(out + B, B, 0.90, &lo, &hi);
    RB_EXPECT_NEAR(lo, lo_hand, 1e-13);
    RB_EXPECT_NEAR(hi, hi_hand, 1e-13);
    RB_EXPECT(lo < hi);
    free(counts);
    free(out);
    free(xs);
    free(xp);
    free(xf);
}

/* Resamples are independent in the walk (bootstrap.c): each resample's values are the same bits
 * whether it is computed alone (B = 1) or as one of B = 300. */
RB_TEST(bootstrap_resample_values_do_not_depend_on_b_or_blocks) {
    enum { B = 300 };
    rb_boot_case c;
    rb_make_case(&c, 11, 50);
    int32_t *counts = calloc((size_t)B * 50, sizeof *counts);
    double *out = malloc(sizeof(double) * 3 * B);
    RB_EXPECT(counts && out);
    if (!counts || !out) return;
    for (int b = 0; b < B; b++)
        for (int64_t j = 0; j < c.V; j++) counts[b * c.V + rb_fixed_draw(b, j, c.V)]++;
    RB_EXPECT_OK(rb_metrics_bootstrap(c.scores, c.pos, c.frames, c.S, c.offsets, c.V, counts, B, out));
    int differ = 0;
    for (int b = 0; b < B; b++) {
        double one[3];
        RB_EXPECT_OK(rb_metrics_bootstrap(c.scores, c.pos, c.frames, c.S, c.offsets, c.V, counts + b * c.V, 1, one));
        for (int q = 0; q < 3; q++)
            if (memcmp(&one[q], &out[q * B + b], sizeof one[q]) != 0 && differ++ < 3)
                RB_EXPECT_MSG(0, "resample %d metric %d: %.17g alone vs %.17g among %d", b, q, one[q], out[q * B + b], B);
    }
    RB_EXPECT_MSG(differ == 0, "%d values differ", differ);
    free(counts);
    free(out);
}

RB_TEST(bootstrap_percentile_by_hand) {
    double v[5] = {5, 1, 4, 2, 3};
    double lo, hi;
    rb_percentile_interval(v, 5, 0.5, &lo, &hi); /* p = 0.25, 0.75: h = 1, 3 -> 2, 4 */
    RB_EXPECT(lo == 2.0 && hi == 4.0);
    RB_EXPECT(v[0] + v[1] + v[2] + v[3] + v[4] == 15.0); /* reordered in place, the same values */
    double v2[5] = {5, 1, 4, 2, 3};
    rb_percentile_interval(v2, 5, 0.9, &lo, &hi); /* h = 0.2, 3.8 -> 1.2, 4.8 */
    RB_EXPECT_NEAR(lo, 1.2, 1e-15);
    RB_EXPECT_NEAR(hi, 4.8, 1e-15);
    double w[3] = {1, NAN, 2};
    rb_percentile_interval(w, 3, 0.95, &lo, &hi);
    RB_EXPECT(isnan(lo) && isnan(hi));
    double one[1] = {5};
    rb_percentile_interval(one, 1, 0.95, &lo, &hi);
    RB_EXPECT(lo == 5.0 && hi == 5.0);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy's "linear" quantile of a sorted array, written out for the test */
static double sorted_quantile(const double *s, int n, double p) {
    double h = (n - 1) * p;
    int i = (int)floor(h);
    return i >= n - 1 ? s[n - 1] : s[i] + (h - i) * (s[i + 1] - s[i]);
}

/* The selected order statistics give the interval of the fully sorted values, bit for bit: random
 * sizes, confidences and values with many ties (bootstrap values repeat). */
RB_TEST(bootstrap_percentile_selection_equals_sorting) {
    enum { NMAX = 1500 };
    double *v = malloc(sizeof *v * NMAX), *sorted = malloc(sizeof *v * NMAX);
    RB_EXPECT(v && sorted);
    if (!v || !sorted) goto done;
    rb_rng r;
    rb_rng_init(&r, 5, RB_PURPOSE_TEST, 258, 0, 0);
    static const double conf[] = {0.95, 0.9, 0.5, 0.99, 0.0, 0.999};
    int differ = 0;
    for (int trial = 0; trial < 400; trial++) {
        int n = 1 + (int)rb_rng_below(&r, trial < 200 ? 40u : (uint32_t)NMAX);
        int levels = 1 + (int)rb_rng_below(&r, trial % 3 ? 1000u : 4u);
        for (int i = 0; i < n; i++) v[i] = (double)rb_rng_below(&r, (uint32_t)levels) / levels + 0.25;
        if (trial % 5 == 0) /* an already sorted or reversed input */
            for (int i = 0; i < n; i++) v[i] = trial % 10 ? (double)i : (double)(n - i);
        memcpy(sorted, v, sizeof *v * (size_t)n);
        qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
        double c = conf[trial % 6], lo, hi;
        rb_percentile_interval(v, n, c, &lo, &hi);
        double want_lo = sorted_quantile(sorted, n, (1.0 - c) / 2.0), want_hi = sorted_quantile(sorted, n, (1.0 + c) / 2.0);
        if ((lo != want_lo || hi != want_hi) && differ++ < 3)
            RB_EXPECT_MSG(0, "n = %d, c = %g: [%.17g, %.17g] selected, [%.17g, %.17g] sorted", n, c, lo, hi, want_lo, want_hi);
        qsort(v, (size_t)n, sizeof *v, cmp_double); /* still a permutation of the input */
        differ += memcmp(v, sorted, sizeof *v * (size_t)n) != 0;
    }
    RB_EXPECT_MSG(differ == 0, "%d intervals differ", differ);
done:
    free(v);
    free(sorted);
}

RB_TEST(bootstrap_counts_stratified_and_deterministic) {
    rb_boot_case c;
    rb_make_case(&c, 11, 24);
    rb_split t;
    memset(&t, 0, sizeof t);
    t.n_videos = c.V;
    t.n_snippets = c.S;
    t.offsets = c.offsets;
    t.snippet_pos = c.pos;
    t.snippet_frames = c.frames;
    int anomalous[24] = {0}, n_anom = 0;
    for (int v = 0; v < 24; v++) {
        for (int64_t i = c.offsets[v]; i < c.offsets[v + 1]; i++) anomalous[v] |= c.pos[i] > 0;
        n_anom += anomalous[v];
    }
    enum { B = 200 };
    int32_t *a = malloc(sizeof *a * B * 24), *b = malloc(sizeof *b * B * 24), *o = malloc(sizeof *o * B * 24);
    RB_EXPECT(a && b && o);
    if (!a || !b || !o) return;
    RB_EXPECT_OK(rb_boot_counts(&t, 5, 123, B, a));
    RB_EXPECT_OK(rb_boot_counts(&t, 5, 123, B, b));
    RB_EXPECT_OK(rb_boot_counts(&t, 5, 124, B, o));
    RB_EXPECT(memcmp(a, b, sizeof *a * B * 24) == 0);
    RB_EXPECT(memcmp(a, o, sizeof *a * B * 24) != 0); /* another dataset id, other resamples */
    /* fewer resamples: a prefix of the same resamples (keyed by resample, not by B) */
    RB_EXPECT_OK(rb_boot_counts(&t, 5, 123, 3, b));
    RB_EXPECT(memcmp(a, b, sizeof *a * 3 * 24) == 0);
    double mean_mult = 0;
    int distinct = 0;
    for (int r = 0; r < B; r++) {
        int total_a = 0, total_n = 0;
        for (int v = 0; v < 24; v++) {
            RB_EXPECT(a[r * 24 + v] >= 0);
            if (anomalous[v]) total_a += a[r * 24 + v];
            else total_n += a[r * 24 + v];
            mean_mult += a[r * 24 + v];
        }
        RB_EXPECT_INT(total_a, n_anom);
        RB_EXPECT_INT(total_n, 24 - n_anom);
        if (r > 0) distinct += memcmp(a + r * 24, a + (r - 1) * 24, sizeof *a * 24) != 0;
    }
    RB_EXPECT_INT(distinct, B - 1);
    /* each video is drawn once per resample on average */
    RB_EXPECT_NEAR(mean_mult / (B * 24.0), 1.0, 1e-12);
    free(a);
    free(b);
    free(o);
}

/* A plan built once serves several score vectors of its split (as the grid uses it for every method
 * and cell of a dataset): each gives rb_metrics_bootstrap's values bit for bit, and a plan is refused
 * for offsets that do not cover the snippets. */
RB_TEST(bootstrap_plan_serves_many_score_vectors) {
    enum { B = 24 };
    rb_boot_case c, other;
    rb_make_case(&c, 31, 36);
    rb_make_case(&other, 32, 36); /* other scores for the same split: taken from another case */
    int32_t counts[B * 36];
    rb_rng r;
    rb_rng_init(&r, 9, RB_PURPOSE_TEST, 1, 2, 3);
    for (int i = 0; i < B * 36; i++) counts[i] = (int32_t)rb_rng_below(&r, 4);
    rb_boot_plan plan;
    RB_EXPECT_OK(rb_boot_plan_init(&plan, c.pos, c.frames, c.S, c.offsets, c.V, counts, B));
    for (int k = 0; k < 2; k++) {
        double scores[2000];
        for (int64_t i = 0; i < c.S; i++) scores[i] = k == 0 ? c.scores[i] : other.scores[i % other.S];
        double with_plan[3 * B], fresh[3 * B];
        RB_EXPECT_OK(rb_metrics_bootstrap_plan(&plan, scores, with_plan));
        RB_EXPECT_OK(rb_metrics_bootstrap(scores, c.pos, c.frames, c.S, c.offsets, c.V, counts, B, fresh));
        RB_EXPECT_MSG(memcmp(with_plan, fresh, sizeof fresh) == 0, "score vector %d: the plan's values differ", k);
    }
    rb_boot_plan_free(&plan);
    int64_t short_offsets[37];
    memcpy(short_offsets, c.offsets, sizeof short_offsets);
    short_offsets[36] = c.S - 1;
    RB_EXPECT_ERR(rb_boot_plan_init(&plan, c.pos, c.frames, c.S, short_offsets, c.V, counts, B), "offsets covering");
}

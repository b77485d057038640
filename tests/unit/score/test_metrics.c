/* test_metrics.c - frame-level AP (XD trapezoid), step AP and ROC-AUC: hand-computed vectors, the
 * scikit-learn documentation examples, a pure-python transcription of scikit-learn, counted ==
 * expanded on random tied inputs, invariants and errors (src/metrics.c, src/metrics_reference.c).
 *
 * Notation for the hand computations: thresholds are the distinct snippet scores from high to low;
 * TP / FP are the cumulative positive / negative frames at or above a threshold; P, N the totals.
 * PR points (recall TP/P, precision TP/(TP+FP)) are taken until recall first reaches 1, preceded by
 * (0, 1). ap = sum of trapezoids dr * (p + p_prev) / 2; ap_step = sum dr * p;
 * roc = trapezoids over (FP/N, TP/P) from (0, 0).
 *
 * scikit-learn and numpy are not installed here, so expected values were cross-checked with this
 * pure-python transcription of the scikit-learn code (XD-Violence era precision_recall_curve with
 * the last_ind truncation, sklearn.metrics.auc, average_precision_score, roc_auc_score), run with
 * exact fractions (num=Fraction) and with floats:
 *
 *   def curves(y, s, num=float):
 *       o = sorted(range(len(s)), key=lambda i: -s[i]); ys = [y[i] for i in o]; ss = [s[i] for i in o]
 *       idx = [i for i in range(len(ss)-1) if ss[i+1]-ss[i] != 0] + [len(ss)-1]
 *       cum = []; c = 0
 *       for v in ys: c += v; cum.append(c)
 *       tps = [num(cum[i]) for i in idx]; fps = [num(1+i)-tps[k] for k, i in enumerate(idx)]
 *       prec = [t/(t+f) for t, f in zip(tps, fps)]; rec = [t/tps[-1] for t in tps]
 *       last = next(k for k, t in enumerate(tps) if t >= tps[-1])
 *       P = prec[last::-1] + [num(1)]; R = rec[last::-1] + [num(0)]
 *       ap = -sum((R[i+1]-R[i])*(P[i+1]+P[i])/2 for i in range(len(R)-1))
 *       step = -sum((R[i+1]-R[i])*P[i] for i in range(len(R)-1))
 *       fpr = [num(0)] + [f/fps[-1] for f in fps]; tpr = [num(0)] + [t/tps[-1] for t in tps]
 *       roc = sum((fpr[i+1]-fpr[i])*(tpr[i+1]+tpr[i])/2 for i in range(len(fpr)-1))
 *       return ap, step, roc
 *   def expand(s, pos, fr):   # the protocol: each snippet score repeated for each of its frames
 *       y = []; ss = []
 *       for a, p, f in zip(s, pos, fr): y += [1]*p + [0]*(f-p); ss += [a]*f
 *       return y, ss
 */
#include "rb_core.h"
#include "rb_score.h"
#include "metrics_reference.h"
#include "rb_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N_OF(a) ((int64_t)(sizeof(a) / sizeof((a)[0])))

/* Both implementations on the same input, each checked against the expected triple. */
static void check_both(const double *s, const int32_t *pos, const int32_t *fr, int64_t n, double ap,
                       double ap_step, double roc, const char *what) {
    rb_metrics m, e;
    int rc = rb_metrics_compute(s, pos, fr, n, &m);
    RB_EXPECT_MSG(rc == RB_OK, "%s: counted failed: %s", what, rb_error_message());
    rc = rb_metrics_compute_expanded(s, pos, fr, n, &e);
    RB_EXPECT_MSG(rc == RB_OK, "%s: expanded failed: %s", what, rb_error_message());
    RB_EXPECT_MSG(fabs(m.ap - ap) <= 1e-15, "%s: ap = %.17g, expected %.17g", what, m.ap, ap);
    RB_EXPECT_MSG(fabs(m.ap_step - ap_step) <= 1e-15, "%s: ap_step = %.17g, expected %.17g", what,
                  m.ap_step, ap_step);
    RB_EXPECT_MSG(fabs(m.roc_auc - roc) <= 1e-15, "%s: roc_auc = %.17g, expected %.17g", what, m.roc_auc,
                  roc);
    RB_EXPECT_MSG(fabs(e.ap - ap) <= 1e-15, "%s: expanded ap = %.17g, expected %.17g", what, e.ap, ap);
    RB_EXPECT_MSG(fabs(e.ap_step - ap_step) <= 1e-15, "%s: expanded ap_step = %.17g, expected %.17g",
                  what, e.ap_step, ap_step);
    RB_EXPECT_MSG(fabs(e.roc_auc - roc) <= 1e-15, "%s: expanded roc_auc = %.17g, expected %.17g", what,
                  e.roc_auc, roc);
}

RB_TEST(metrics_ties_across_classes) {
    /* Snippet 1 (score 0.5) holds 1 positive + 1 negative frame and ties with snippet 2 (2 negatives).
     *   score  frames(pos)        TP FP   recall precision
     *   0.9    2(2)                2  0    2/3    1
     *   0.5    2(1) + 2(0)         3  3    1      1/2      <- full recall: PR curve stops here
     *   0.1    2(0)                3  5
     * P = 3, N = 5.
     * ap      = 2/3 * (1 + 1)/2 + 1/3 * (1 + 1/2)/2 = 2/3 + 1/4 = 11/12
     * ap_step = 2/3 * 1 + 1/3 * 1/2 = 5/6
     * roc: (0,0) (0,2/3) (3/5,1) (1,1): 0 + 3/5 * (2/3 + 1)/2 + 2/5 * 1 = 1/2 + 2/5 = 9/10
     *      Mann-Whitney: 2 positives beat 5 negatives (10), 1 positive beats 2 and ties 3 (3.5):
     *      13.5 / 15 = 9/10. python transcription: 11/12, 5/6, 9/10. */
    const double s[] = {0.9, 0.5, 0.5, 0.1};
    const int32_t pos[] = {2, 1, 0, 0}, fr[] = {2, 2, 2, 2};
    check_both(s, pos, fr, 4, 11.0 / 12.0, 5.0 / 6.0, 0.9, "ties");
    rb_metrics m;
    RB_EXPECT_OK(rb_metrics_compute(s, pos, fr, 4, &m));
    RB_EXPECT_INT(m.n_pos_frames, 3);
    RB_EXPECT_INT(m.n_frames, 8);
}

RB_TEST(metrics_constant_score) {
    /* One threshold: TP = P = 4, FP = N = 8, precision = 1/3 = positive fraction p.
     * ap = 1 * (1 + 1/3)/2 = 2/3 = (1 + p)/2; ap_step = 1 * 1/3 = p; roc: (0,0)-(1,1) = 1/2. */
    const double s[] = {0.3, 0.3, 0.3};
    const int32_t pos[] = {1, 0, 3}, fr[] = {4, 4, 4};
    check_both(s, pos, fr, 3, 2.0 / 3.0, 1.0 / 3.0, 0.5, "constant");

    /* The same law on random counts. */
    for (int t = 0; t < 20; t++) {
        rb_rng r;
        rb_rng_init(&r, 5, RB_PURPOSE_TEST, 1, (uint32_t)t, 0);
        enum { n = 50 };
        double sc[n];
        int32_t p[n], f[n];
        int64_t np = 0, nf = 0;
        for (int i = 0; i < n; i++) {
            sc[i] = -2.5;
            f[i] = 1 + (int32_t)rb_rng_below(&r, 16);
            p[i] = (int32_t)rb_rng_below(&r, (uint32_t)f[i] + 1);
            np += p[i];
            nf += f[i];
        }
        if (np == 0 || np == nf) continue;
        double frac = (double)np / (double)nf;
        rb_metrics m;
        RB_EXPECT_OK(rb_metrics_compute(sc, p, f, n, &m));
        RB_EXPECT_NEAR(m.ap, (1.0 + frac) / 2.0, 1e-15);
        RB_EXPECT_NEAR(m.ap_step, frac, 1e-15);
        RB_EXPECT_NEAR(m.roc_auc, 0.5, 1e-15);
    }
}

RB_TEST(metrics_single_positive_frame) {
    /*   score  frames(pos)  TP FP  recall precision
     *   0.8    2(0)          0  2   0      0
     *   0.6    1(1)          1  2   1      1/3      <- full recall
     * P = 1, N = 6.
     * ap      = (0,1)->(0,0): 0; (0,0)->(1,1/3): 1 * (0 + 1/3)/2 = 1/6
     * ap_step = 0 * 0 + 1 * 1/3 = 1/3
     * roc: (0,0) (1/3,0) (1/3,1) (2/3,1) (1,1) = 2/3 (the positive beats 4 of 6 negatives). */
    const double s[] = {0.8, 0.6, 0.4, 0.2};
    const int32_t pos[] = {0, 1, 0, 0}, fr[] = {2, 1, 2, 2};
    check_both(s, pos, fr, 4, 1.0 / 6.0, 1.0 / 3.0, 2.0 / 3.0, "single positive");
}

RB_TEST(metrics_perfect_ranking) {
    /* TP 4 then 6 with FP 0: PR points (2/3, 1), (1, 1): ap = ap_step = 1; roc = 1. */
    const double s[] = {3, 2, 1};
    const int32_t pos[] = {4, 2, 0}, fr[] = {4, 2, 5};
    check_both(s, pos, fr, 3, 1.0, 1.0, 1.0, "perfect");
}

RB_TEST(metrics_reversed_ranking) {
    /*   score  frames(pos)  TP FP  recall precision
     *   3      2(0)          0  2   0      0
     *   2      3(0)          0  5   0      0
     *   1      2(2)          2  5   1      2/7
     * ap = 0 + 0 + 1 * (0 + 2/7)/2 = 1/7 (half the positive fraction); ap_step = 2/7; roc = 0. */
    const double s[] = {3, 2, 1};
    const int32_t pos[] = {0, 0, 2}, fr[] = {2, 3, 2};
    check_both(s, pos, fr, 3, 1.0 / 7.0, 2.0 / 7.0, 0.0, "reversed");
}

RB_TEST(metrics_sklearn_documentation_example) {
    /* y_true = [0, 0, 1, 1], y_score = [0.1, 0.4, 0.35, 0.8] (scikit-learn docstrings):
     * precision_recall_curve -> precision [0.5, 0.667, 0.5, 1, 1], recall [1, 1, 0.5, 0.5, 0] in the
     * current version (our truncated curve drops the (1, 0.5) point, which adds no area);
     * average_precision_score = 0.83 (5/6); roc_auc (auc(fpr, tpr)) = 0.75.
     * ap by hand: (0,1)->(.5,1): .5; (.5,1)->(.5,.5): 0; (.5,.5)->(1,2/3): .5 * (7/6)/2 = 7/24;
     * total 19/24. */
    const double s[] = {0.1, 0.4, 0.35, 0.8};
    const int32_t pos[] = {0, 0, 1, 1}, fr[] = {1, 1, 1, 1};
    check_both(s, pos, fr, 4, 19.0 / 24.0, 5.0 / 6.0, 0.75, "sklearn doc");
}

RB_TEST(metrics_mixed_vector_matches_python_transcription) {
    /* 12 snippets, ties of three snippets, a 0-frame snippet (score 0.6).
     *   score  snippets frames(pos)          TP  FP
     *   0.95   16(10)                         10   6
     *   0.9    16(16)                         26   6
     *   0.7    16(3) 16(16) 4(1)              46  22
     *   0.6    0(0)  - no frames, no threshold
     *   0.4    9(0) 16(5)                     51  42
     *   0.33   16(7)                          58  51
     *   0.2    16(0) 16(2)                    60  81  <- full recall
     *   0.05   16(0)                          60  97
     * P = 60, N = 97. Exact (python, Fraction): ap = 45698501/64795704, ap_step = 433020853/647957040,
     * roc = 9593/11640; floats from the transcription: 0.7052705376887333, 0.6682863620094319,
     * 0.8241408934707904. */
    const double s[] = {0.7, 0.2, 0.7, 0.95, 0.4, 0.2, 0.05, 0.4, 0.6, 0.7, 0.33, 0.9};
    const int32_t pos[] = {3, 0, 16, 10, 0, 2, 0, 5, 0, 1, 7, 16};
    const int32_t fr[] = {16, 16, 16, 16, 9, 16, 16, 16, 0, 4, 16, 16};
    check_both(s, pos, fr, N_OF(s), 45698501.0 / 64795704.0, 433020853.0 / 647957040.0,
               9593.0 / 11640.0, "mixed");
    RB_EXPECT_NEAR(45698501.0 / 64795704.0, 0.7052705376887333, 2e-16);
    RB_EXPECT_NEAR(433020853.0 / 647957040.0, 0.6682863620094319, 2e-16);
    RB_EXPECT_NEAR(9593.0 / 11640.0, 0.8241408934707904, 2e-16);
}

RB_TEST(metrics_zero_frame_snippet_is_ignored) {
    /* A 0-frame snippet with the highest score must not add a (recall 0, precision 0) point: with it
     * the first trapezoid would use precision 0 instead of 1. */
    const double s[] = {0.9, 0.5, 0.5, 0.1, 5.0};
    const int32_t pos[] = {2, 1, 0, 0, 0}, fr[] = {2, 2, 2, 2, 0};
    check_both(s, pos, fr, 5, 11.0 / 12.0, 5.0 / 6.0, 0.9, "zero-frame snippet");
}

/* Random snippets with few distinct score levels (many ties within and across snippets). */
static void random_case(rb_rng *r, int64_t n, int levels, double *s, int32_t *pos, int32_t *fr) {
    double pos_rate = 0.05 + 0.9 * rb_rng_uniform(r);
    for (int64_t i = 0; i < n; i++) {
        s[i] = (double)rb_rng_below(r, (uint32_t)levels) / (double)levels - 0.25;
        fr[i] = rb_rng_below(r, 10) == 0 ? (int32_t)rb_rng_below(r, 16) : 16;
        uint32_t kind = rb_rng_below(r, 4);
        if (kind == 0) pos[i] = (int32_t)rb_rng_below(r, (uint32_t)fr[i] + 1);
        else pos[i] = rb_rng_uniform(r) < pos_rate ? fr[i] : 0;
    }
}

static int has_both_classes(const int32_t *pos, const int32_t *fr, int64_t n) {
    int64_t p = 0, f = 0;
    for (int64_t i = 0; i < n; i++) p += pos[i], f += fr[i];
    return p > 0 && p < f;
}

RB_TEST(metrics_counted_equals_expanded_random) {
    enum { max_n = 600 };
    double s[max_n];
    int32_t pos[max_n], fr[max_n];
    double worst = 0.0;
    int compared = 0;
    for (uint32_t t = 0; t < 120; t++) {
        rb_rng r;
        rb_rng_init(&r, 17, RB_PURPOSE_TEST, 2, t, 0);
        int64_t n = 1 + (int64_t)rb_rng_below(&r, max_n);
        int levels = t % 3 == 0 ? 2 + (int)rb_rng_below(&r, 5) : 10 + (int)rb_rng_below(&r, 2000);
        random_case(&r, n, levels, s, pos, fr);
        if (!has_both_classes(pos, fr, n)) continue;
        rb_metrics m, e;
        RB_EXPECT_OK(rb_metrics_compute(s, pos, fr, n, &m));
        RB_EXPECT_OK(rb_metrics_compute_expanded(s, pos, fr, n, &e));
        const double got[3] = {m.ap, m.ap_step, m.roc_auc}, ref[3] = {e.ap, e.ap_step, e.roc_auc};
        for (int k = 0; k < 3; k++) {
            double dev = fabs(got[k] - ref[k]);
            RB_EXPECT_MSG(dev <= 1e-15 * fabs(ref[k]) + 1e-300, "trial %u metric %d: counted %.17g, "
                          "expanded %.17g", (unsigned)t, k, got[k], ref[k]);
            if (ref[k] > 0 && dev / ref[k] > worst) worst = dev / ref[k];
            RB_EXPECT(got[k] >= 0.0 && got[k] <= 1.0);
        }
        RB_EXPECT_INT(m.n_pos_frames, e.n_pos_frames);
        RB_EXPECT_INT(m.n_frames, e.n_frames);
        compared++;
    }
    RB_EXPECT(compared >= 100);
    RB_EXPECT(worst <= 1e-15);
}

RB_TEST(metrics_roc_auc_is_mann_whitney) {
    /* ROC-AUC = P(positive frame scores above a negative one) + 1/2 P(tie), by brute force over
     * snippet pairs: U = sum_ij pos_i * neg_j * ([s_i > s_j] + [s_i == s_j] / 2). */
    enum { n = 300 };
    double s[n];
    int32_t pos[n], fr[n];
    for (uint32_t t = 0; t < 10; t++) {
        rb_rng r;
        rb_rng_init(&r, 23, RB_PURPOSE_TEST, 3, t, 0);
        random_case(&r, n, 3 + 5 * (int)t, s, pos, fr);
        if (!has_both_classes(pos, fr, n)) continue;
        double u2 = 0.0; /* 2U, an exact integer in double */
        int64_t np = 0, nn = 0;
        for (int i = 0; i < n; i++) {
            np += pos[i];
            nn += fr[i] - pos[i];
            for (int j = 0; j < n; j++) {
                double pairs = (double)pos[i] * (double)(fr[j] - pos[j]);
                u2 += s[i] > s[j] ? 2.0 * pairs : s[i] == s[j] ? pairs : 0.0;
            }
        }
        rb_metrics m;
        RB_EXPECT_OK(rb_metrics_compute(s, pos, fr, n, &m));
        RB_EXPECT_NEAR(m.roc_auc, u2 / (2.0 * (double)np * (double)nn), 1e-14);
    }
}

RB_TEST(metrics_invariant_to_order_and_splitting) {
    /* Permuting the snippets, or splitting one snippet into two with the same score, leaves every
     * curve point unchanged; the counted results must be bit-identical. */
    enum { n = 400 };
    double s[n], s2[n + 1];
    int32_t pos[n], fr[n], pos2[n + 1], fr2[n + 1], perm[n];
    rb_rng r;
    rb_rng_init(&r, 29, RB_PURPOSE_TEST, 4, 0, 0);
    do random_case(&r, n, 7, s, pos, fr);
    while (!has_both_classes(pos, fr, n));
    rb_rng_permutation(&r, perm, n);
    for (int i = 0; i < n; i++) {
        s2[i] = s[perm[i]];
        pos2[i] = pos[perm[i]];
        fr2[i] = fr[perm[i]];
    }
    /* split snippet 0 of the permuted list: its frames become fr/2 + rest, positives likewise */
    int32_t f0 = fr2[0], p0 = pos2[0];
    int32_t fa = f0 / 2, pa = p0 < fa ? p0 : fa;
    fr2[0] = fa;
    pos2[0] = pa;
    s2[n] = s2[0];
    fr2[n] = f0 - fa;
    pos2[n] = p0 - pa;
    rb_metrics a, b;
    RB_EXPECT_OK(rb_metrics_compute(s, pos, fr, n, &a));
    RB_EXPECT_OK(rb_metrics_compute(s2, pos2, fr2, n + 1, &b));
    RB_EXPECT(a.ap == b.ap);
    RB_EXPECT(a.ap_step == b.ap_step);
    RB_EXPECT(a.roc_auc == b.roc_auc);
    RB_EXPECT_INT(a.n_frames, b.n_frames);
}

RB_TEST(metrics_negated_scores_flip_roc) {
    enum { n = 500 };
    double s[n], neg[n];
    int32_t pos[n], fr[n];
    rb_rng r;
    rb_rng_init(&r, 31, RB_PURPOSE_TEST, 5, 0, 0);
    do random_case(&r, n, 40, s, pos, fr);
    while (!has_both_classes(pos, fr, n));
    for (int i = 0; i < n; i++) neg[i] = -s[i];
    rb_metrics a, b;
    RB_EXPECT_OK(rb_metrics_compute(s, pos, fr, n, &a));
    RB_EXPECT_OK(rb_metrics_compute(neg, pos, fr, n, &b));
    RB_EXPECT_NEAR(a.roc_auc + b.roc_auc, 1.0, 1e-14);
    RB_EXPECT(a.roc_auc > 0.0 && a.roc_auc < 1.0);
}

RB_TEST(metrics_errors) {
    const double s[] = {0.9, 0.5, NAN, 0.1};
    const double ok_s[] = {0.9, 0.5, 0.3, 0.1};
    const double inf_s[] = {0.9, INFINITY, 0.3, 0.1};
    const int32_t pos[] = {2, 1, 0, 0}, fr[] = {2, 2, 2, 2};
    const int32_t none[] = {0, 0, 0, 0}, all[] = {2, 2, 2, 2};
    const int32_t too_many[] = {2, 3, 0, 0}, negative[] = {2, -1, 0, 0}, neg_frames[] = {2, 2, -2, 2};
    rb_metrics m;
    for (int impl = 0; impl < 2; impl++) {
        int (*f)(const double *, const int32_t *, const int32_t *, int64_t, rb_metrics *) =
            impl ? rb_metrics_compute_expanded : rb_metrics_compute;
        RB_EXPECT_ERR(f(ok_s, pos, fr, 0, &m), "at least one snippet");
        RB_EXPECT_ERR(f(ok_s, pos, fr, -3, &m), "n = -3");
        RB_EXPECT_ERR(f(NULL, pos, fr, 4, &m), "NULL");
        RB_EXPECT_ERR(f(s, pos, fr, 4, &m), "snippet 2: expected a finite score, got nan");
        RB_EXPECT_ERR(f(inf_s, pos, fr, 4, &m), "snippet 1: expected a finite score, got inf");
        RB_EXPECT_ERR(f(ok_s, none, fr, 4, &m), "got 0 positive of 8 frames");
        RB_EXPECT_ERR(f(ok_s, all, fr, 4, &m), "got 8 positive of 8 frames");
        RB_EXPECT_ERR(f(ok_s, too_many, fr, 4, &m), "snippet 1: expected 0 <= positive frames <= frames, "
                                                    "got 3 positive of 2 frames");
        RB_EXPECT_ERR(f(ok_s, negative, fr, 4, &m), "got -1 positive of 2 frames");
        RB_EXPECT_ERR(f(ok_s, pos, neg_frames, 4, &m), "snippet 2");
        RB_EXPECT_OK(f(ok_s, pos, fr, 4, &m));
    }
}

RB_TEST(metrics_roc_auc_binary) {
    /* scikit-learn docstring: y_true [0, 0, 1, 1], scores [0.1, 0.4, 0.35, 0.8] -> 0.75. */
    const double s[] = {0.1, 0.4, 0.35, 0.8};
    const uint8_t y[] = {0, 0, 1, 1};
    double auc = -1;
    RB_EXPECT_OK(rb_roc_auc_binary(s, y, 4, &auc));
    RB_EXPECT_NEAR(auc, 0.75, 1e-15);
    /* ties: the positive at 1 beats the negative at 0 and ties the negative at 1: 1.5 / 2. */
    const double st[] = {1, 1, 0};
    const uint8_t yt[] = {1, 0, 0};
    RB_EXPECT_OK(rb_roc_auc_binary(st, yt, 3, &auc));
    RB_EXPECT_NEAR(auc, 0.75, 1e-15);
    const uint8_t bad[] = {0, 2, 1, 1}, one_class[] = {1, 1, 1, 1};
    RB_EXPECT_ERR(rb_roc_auc_binary(s, bad, 4, &auc), "sample 1: expected label 0 or 1, got 2");
    RB_EXPECT_ERR(rb_roc_auc_binary(s, one_class, 4, &auc), "both positive and negative");
    RB_EXPECT_ERR(rb_roc_auc_binary(s, y, 0, &auc), "at least one sample");

    /* equals the counted metric with one frame per sample */
    enum { n = 1000 };
    double rs[n];
    uint8_t ry[n];
    int32_t pos[n], ones[n];
    rb_rng r;
    rb_rng_init(&r, 37, RB_PURPOSE_TEST, 6, 0, 0);
    for (int i = 0; i < n; i++) {
        ry[i] = (uint8_t)(rb_rng_uniform(&r) < 0.3);
        rs[i] = rb_rng_normal(&r) + (ry[i] ? 0.7 : 0.0);
        pos[i] = ry[i];
        ones[i] = 1;
    }
    rb_metrics m;
    RB_EXPECT_OK(rb_roc_auc_binary(rs, ry, n, &auc));
    RB_EXPECT_OK(rb_metrics_compute_expanded(rs, pos, ones, n, &m));
    RB_EXPECT_NEAR(auc, m.roc_auc, 1e-15 * m.roc_auc);
    RB_EXPECT(auc > 0.6 && auc < 0.8); /* shift 0.7 sd: Phi(0.7/sqrt 2) = 0.69 */
}

/* test_robustness.c - robustness summaries, paired comparisons and per-cell intervals
 * (src/results/robustness.c, bootstrap_stats.c) on the worked example of docs/metrics.md
 * "Robustness summaries", every expected number computed by hand there; a results.h5 round trip
 * keeps the resamples and gives the same intervals bitwise. */
#include "rb_core.h"
#include "rb_io.h"
#include "rb_results.h"
#include "rb_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void rb_cond(rb_result_cond *c, const char *corr, const char *mod, int sev) {
    snprintf(c->dataset, sizeof c->dataset, "xd");
    snprintf(c->corruption, sizeof c->corruption, "%s", corr);
    snprintf(c->modality, sizeof c->modality, "%s", mod);
    snprintf(c->label, sizeof c->label, "%s.%s", mod, corr);
    snprintf(c->source, sizeof c->source, "surrogate");
    c->severity = sev;
    c->detect_auc[0] = c->detect_auc[1] = c->weight[0] = c->weight[1] = NAN;
}

/* The worked example: conditions clean, visual fog s1, s5, audio reverb s5, audio missing; methods
 * concat (the baseline) and shared-dyn; one replica; the same numbers for all three metrics.
 * Resample 0 repeats the point values, resample 1 subtracts 0.1 from every shared-dyn value. */
static void rb_build_example(rb_results *r) {
    RB_EXPECT_OK(rb_results_alloc(r, 5, 2, 1));
    snprintf(r->methods[0], sizeof r->methods[0], "concat");
    snprintf(r->methods[1], sizeof r->methods[1], "shared-dyn");
    rb_cond(&r->conds[0], "clean", "none", 0);
    rb_cond(&r->conds[1], "fog", "visual", 1);
    rb_cond(&r->conds[2], "fog", "visual", 5);
    rb_cond(&r->conds[3], "reverb", "audio", 5);
    rb_cond(&r->conds[4], "missing", "audio", 0);
    const double concat[5] = {0.80, 0.70, 0.40, 0.60, 0.50}, dyn[5] = {0.90, 0.85, 0.60, 0.80, 0.70};
    RB_EXPECT_OK(rb_results_alloc_boot(r, 2, 0.95, "concat"));
    for (int c = 0; c < 5; c++)
        for (int k = 0; k < 2; k++) {
            double v = k == 0 ? concat[c] : dyn[c];
            r->ap[rb_results_at(r, c, k, 0)] = r->ap_step[rb_results_at(r, c, k, 0)] = r->roc_auc[rb_results_at(r, c, k, 0)] = v;
            for (int q = 0; q < 3; q++) {
                double *b = r->boot + (((size_t)c * 2 + (size_t)k) * 3 + (size_t)q) * 2;
                b[0] = v;
                b[1] = k == 1 ? v - 0.1 : v;
            }
        }
    RB_EXPECT_OK(rb_results_boot_intervals(r));
}

static const rb_summary *rb_get(const rb_summary *s, int64_t n, const char *family, rb_summary_kind kind, int method) {
    for (int64_t i = 0; i < n; i++)
        if (s[i].kind == kind && s[i].metric == 1 && s[i].method == method && strcmp(s[i].family, family) == 0) return &s[i];
    return NULL;
}

#define EXPECT_SUMMARY(fam, kind, method, want)                                                        \
    do {                                                                                              \
        const rb_summary *x_ = rb_get(s, n, fam, kind, method);                                       \
        RB_EXPECT_MSG(x_ != NULL, "no %s %s row for method %d", fam, rb_summary_name(kind), method); \
        if (x_) RB_EXPECT_MSG(fabs(x_->value - (want)) <= 1e-12, "%s %s method %d = %.17g, expected %.17g", fam, \
                              rb_summary_name(kind), method, x_->value, (double)(want));              \
    } while (0)

RB_TEST(robustness_summaries_worked_example) {
    rb_results r;
    rb_build_example(&r);
    rb_summary *s;
    int64_t n;
    RB_EXPECT_OK(rb_results_summaries(&r, &s, &n));
    /* all: mean corrupted (0.7 + 0.4 + 0.6 + 0.5) / 4 = 0.55 and (0.85 + 0.6 + 0.8 + 0.7) / 4 = 0.7375 */
    EXPECT_SUMMARY("all", RB_SUM_MEAN_CORRUPTED, 0, 0.55);
    EXPECT_SUMMARY("all", RB_SUM_MEAN_CORRUPTED, 1, 0.7375);
    EXPECT_SUMMARY("all", RB_SUM_RELATIVE, 0, 0.55 / 0.8);
    EXPECT_SUMMARY("all", RB_SUM_RELATIVE, 1, 0.7375 / 0.9);
    /* severity area: fog concat (1 (0.8 + 0.7)/2 + 4 (0.7 + 0.4)/2) / 5 = 2.95 / 5 = 0.59, reverb
     * 5 (0.8 + 0.6)/2 / 5 = 0.7; family all = mean of the two (missing has no severities) */
    EXPECT_SUMMARY("visual.fog", RB_SUM_SEVERITY_AUC, 0, 0.59);
    EXPECT_SUMMARY("audio.reverb", RB_SUM_SEVERITY_AUC, 0, 0.70);
    EXPECT_SUMMARY("all", RB_SUM_SEVERITY_AUC, 0, 0.645);
    EXPECT_SUMMARY("all", RB_SUM_SEVERITY_AUC, 1, (0.755 + 0.85) / 2);
    RB_EXPECT(rb_get(s, n, "audio.missing", RB_SUM_SEVERITY_AUC, 0) == NULL);
    /* mCE: fog 0.55 / 0.9, reverb 0.2 / 0.4, missing 0.3 / 0.5 */
    EXPECT_SUMMARY("all", RB_SUM_MCE, 1, (0.55 / 0.9 + 0.5 + 0.6) / 3);
    EXPECT_SUMMARY("all", RB_SUM_MCE, 0, 1.0);
    EXPECT_SUMMARY("visual.fog", RB_SUM_MCE, 1, 0.55 / 0.9);
    /* relative mCE: fog 0.35 / 0.5, reverb 0.1 / 0.2, missing 0.2 / 0.3 */
    EXPECT_SUMMARY("all", RB_SUM_REL_MCE, 1, (0.7 + 0.5 + 0.2 / 0.3) / 3);
    /* effective robustness: 0.7375 - 0.9 * 0.55 / 0.8 = 0.11875; the baseline's own is 0 */
    EXPECT_SUMMARY("all", RB_SUM_EFFECTIVE, 1, 0.11875);
    EXPECT_SUMMARY("all", RB_SUM_EFFECTIVE, 0, 0.0);
    EXPECT_SUMMARY("visual", RB_SUM_MEAN_CORRUPTED, 1, (0.85 + 0.6) / 2);
    EXPECT_SUMMARY("missing", RB_SUM_MEAN_CORRUPTED, 1, 0.7);
    /* the interval of the resample values {0.7375, 0.6375}: 0.6375 + 0.025 / 0.975 of the gap 0.1 */
    const rb_summary *m = rb_get(s, n, "all", RB_SUM_MEAN_CORRUPTED, 1);
    if (m) {
        RB_EXPECT_NEAR(m->lo, 0.6375 + 0.0025, 1e-12);
        RB_EXPECT_NEAR(m->hi, 0.6375 + 0.0975, 1e-12);
    }
    /* no pairs in the example: no pairs family */
    for (int64_t i = 0; i < n; i++) RB_EXPECT(strcmp(s[i].family, "pairs") != 0);
    rb_results_free(&r);
    free(s);
}

RB_TEST(robustness_cell_intervals_and_comparisons) {
    rb_results r;
    rb_build_example(&r);
    /* fog s5, shared-dyn: resamples {0.6, 0.5} */
    size_t at = 2 * 2 + 1;
    RB_EXPECT_NEAR(r.ap_step_lo[at], 0.5 + 0.0025, 1e-12);
    RB_EXPECT_NEAR(r.ap_step_hi[at], 0.5 + 0.0975, 1e-12);
    RB_EXPECT(r.ap_lo[0] == 0.8 && r.ap_hi[0] == 0.8); /* concat clean: both resamples 0.8 */
    rb_comparison *c;
    int64_t n;
    RB_EXPECT_OK(rb_results_comparisons(&r, &c, &n));
    /* per condition: shared-dyn - concat on three metrics (no shared-mean, so no second pair) */
    RB_EXPECT_INT(n, 5 * 3);
    if (n == 15) {
        const rb_comparison *x = &c[2 * 3 + 1]; /* fog s5, ap_step */
        RB_EXPECT(x->cond == 2 && x->method == 1 && x->other == 0 && x->metric == 1);
        RB_EXPECT_NEAR(x->diff, 0.2, 1e-12);
        RB_EXPECT_NEAR(x->lo, 0.1 + 0.0025, 1e-12);
        RB_EXPECT(x->frac_pos == 1.0);
    }
    free(c);
    rb_results_free(&r);
}

/* Each pair is compared once: with the baseline shared-dyn and shared-mean present, the pair
 * (shared-mean vs shared-dyn) comes from the baseline loop, not again reversed. */
RB_TEST(robustness_comparisons_each_pair_once) {
    rb_results r;
    rb_build_example(&r);
    snprintf(r.methods[0], sizeof r.methods[0], "shared-mean");
    snprintf(r.baseline, sizeof r.baseline, "shared-dyn");
    rb_comparison *c;
    int64_t n;
    RB_EXPECT_OK(rb_results_comparisons(&r, &c, &n));
    RB_EXPECT_INT(n, 5 * 3); /* one pair (shared-mean - shared-dyn) per condition and metric */
    for (int64_t i = 0; i < n; i++)
        RB_EXPECT_MSG(c[i].method == 0 && c[i].other == 1, "row %lld compares %d with %d", (long long)i, c[i].method,
                      c[i].other);
    if (n > 4) RB_EXPECT_NEAR(c[4].diff, 0.70 - 0.85, 1e-12); /* row 4: fog s1, ap_step */
    free(c);
    rb_results_free(&r);
}

/* results.h5 keeps the resamples: read back, the intervals, comparisons and summaries are bitwise
 * those of the written object, and the file holds /summaries with the written values. */
RB_TEST_MPI(robustness_results_file_round_trip) {
    rb_results a, b;
    rb_build_example(&a);
    a.run_id = rb_strdup("boot-test", "run id");
    char path[700];
    snprintf(path, sizeof path, "%s/boot_round_trip.h5", rb_test_tmpdir());
    int owner[5] = {0};
    RB_EXPECT_OK(rb_results_write(path, &a, owner, MPI_COMM_WORLD, NULL, NULL, 0, NULL, NULL));
    RB_EXPECT_OK(rb_results_read(path, &b));
    RB_EXPECT_INT(b.n_boot, 2);
    RB_EXPECT(b.confidence == 0.95 && strcmp(b.baseline, "concat") == 0);
    size_t n = 5 * 2;
    RB_EXPECT(b.boot && memcmp(a.boot, b.boot, sizeof(double) * n * 3 * 2) == 0);
    RB_EXPECT(b.ap_lo && memcmp(a.ap_lo, b.ap_lo, sizeof(double) * n) == 0);
    RB_EXPECT(b.roc_auc_hi && memcmp(a.roc_auc_hi, b.roc_auc_hi, sizeof(double) * n) == 0);
    rb_summary *sa, *sb;
    int64_t na, nb;
    RB_EXPECT_OK(rb_results_summaries(&a, &sa, &na));
    RB_EXPECT_OK(rb_results_summaries(&b, &sb, &nb));
    RB_EXPECT(na == nb && na > 0 && memcmp(sa, sb, sizeof *sa * (size_t)na) == 0);
    /* the /summaries table in the file: one row per summary, the value column as computed */
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hsize_t d[1];
    double *v = NULL;
    hid_t g = f >= 0 ? H5Gopen2(f, "summaries", H5P_DEFAULT) : -1;
    RB_EXPECT(g >= 0);
    if (g >= 0) {
        RB_EXPECT_OK(rb_h5_read(g, "value", RB_H5_F64, 1, d, (void **)&v, path));
        RB_EXPECT((int64_t)d[0] == na);
        for (int64_t i = 0; v && i < na && i < (int64_t)d[0]; i++) RB_EXPECT(v[i] == sa[i].value || (isnan(v[i]) && isnan(sa[i].value)));
        free(v);
        H5Gclose(g);
    }
    if (f >= 0) H5Fclose(f);
    free(sa);
    free(sb);
    rb_results_free(&a);
    rb_results_free(&b);
}

/* test_audit.c - the results audit: identical results match; a metric perturbed by 1e-12 differs
 * under the default bitwise rule and matches with a 1e-9 tolerance; missing and extra cells,
 * NaN and signed-zero rules, tolerance parsing, provenance differences (config line diff, inputs,
 * versions; failing only under --strict), the printed verdict, and a file-level round trip through
 * results.h5 written by rb_results_write. */
#include "rb_results.h"
#include "rb_core.h"
#include "rb_test.h"

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void rb_cond(rb_result_cond *c, const char *ds, const char *corr, const char *mod, int sev) {
    memset(c, 0, sizeof *c);
    snprintf(c->dataset, sizeof c->dataset, "%s", ds);
    snprintf(c->corruption, sizeof c->corruption, "%s", corr);
    snprintf(c->modality, sizeof c->modality, "%s", mod);
    c->severity = sev;
    snprintf(c->label, sizeof c->label, "%s%s%s", strcmp(mod, "none") ? mod : "", strcmp(mod, "none") ? "." : "", corr);
    snprintf(c->source, sizeof c->source, "%s", strcmp(corr, "clean") == 0 ? "clean" : "surrogate");
    c->detect_auc[0] = strcmp(mod, "visual") == 0 ? 0.5 + 0.1 * sev : NAN;
    c->detect_auc[1] = NAN;
    c->weight[0] = 0.9 - 0.1 * sev;
    c->weight[1] = 0.8;
}

/* 3 conditions (clean, fog s1, fog s2) x 2 methods x 2 replicas, or without fog s2. */
static void rb_build(rb_results *r, int n_conds) {
    RB_EXPECT_OK(rb_results_alloc(r, n_conds, 2, 2));
    snprintf(r->methods[0], sizeof r->methods[0], "concat");
    snprintf(r->methods[1], sizeof r->methods[1], "shared-dyn");
    rb_cond(&r->conds[0], "xd", "clean", "none", 0);
    if (n_conds > 1) rb_cond(&r->conds[1], "xd", "fog", "visual", 1);
    if (n_conds > 2) rb_cond(&r->conds[2], "xd", "fog", "visual", 2);
    for (int i = 0; i < n_conds * 4; i++) {
        r->ap[i] = 0.5 + 0.01 * i;
        r->ap_step[i] = 0.2 + 0.01 * i;
        r->roc_auc[i] = 0.6 + 0.01 * i;
    }
}

static char *rb_print_to_string(const rb_audit_report *rep, const rb_audit_options *o) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rb_audit_print(rep, o, "A.h5", "B.h5", f);
    fclose(f);
    return buf;
}

static const char *rb_last_line(const char *text) {
    size_t n = strlen(text);
    if (n && text[n - 1] == '\n') n--;
    while (n > 0 && text[n - 1] != '\n') n--;
    return text + n;
}

RB_TEST(audit_identical_match) {
    rb_results a, b;
    rb_build(&a, 3);
    rb_build(&b, 3);
    rb_audit_options o;
    rb_audit_defaults(&o, 0);
    rb_audit_report rep;
    RB_EXPECT_OK(rb_audit_compare(&a, NULL, &b, NULL, &o, &rep));
    RB_EXPECT(rep.match);
    RB_EXPECT_INT(rep.n_fail, 0);
    RB_EXPECT_INT(rep.cell_rows, 6);
    RB_EXPECT_INT(rep.compared[RB_AUDIT_AP], 12);
    RB_EXPECT_INT(rep.compared[RB_AUDIT_WEIGHT_AUDIO], 3);
    /* NaN detection AUCs on both sides count as equal */
    RB_EXPECT_INT(rep.beyond[RB_AUDIT_DETECT_AUDIO], 0);
    char *text = rb_print_to_string(&rep, &o);
    RB_EXPECT_MSG(text && strcmp(rb_last_line(text), "audit: MATCH\n") == 0, "verdict: %s", text ? text : "");
    free(text);
    rb_audit_report_free(&rep);
    rb_results_free(&a);
    rb_results_free(&b);
}

RB_TEST(audit_tiny_perturbation) {
    rb_results a, b;
    rb_build(&a, 3);
    rb_build(&b, 3);
    int64_t at = rb_results_at(&b, 2, 1, 1);
    b.ap[at] += 1e-12;
    rb_audit_options o;
    rb_audit_defaults(&o, 0);
    rb_audit_report rep;
    RB_EXPECT_OK(rb_audit_compare(&a, NULL, &b, NULL, &o, &rep));
    RB_EXPECT(!rep.match);
    RB_EXPECT_INT(rep.n_fail, 1);
    RB_EXPECT_INT(rep.beyond[RB_AUDIT_AP], 1);
    RB_EXPECT_INT(rep.beyond[RB_AUDIT_ROC_AUC], 0);
    RB_EXPECT_NEAR(rep.max_abs[RB_AUDIT_AP], 1e-12, 1e-15);
    RB_EXPECT_INT(rep.n_diffs, 1);
    if (rep.n_diffs == 1) {
        RB_EXPECT_MSG(strcmp(rep.diffs[0].key, "xd/visual.fog/s2/shared-dyn/r1") == 0, "key %s", rep.diffs[0].key);
        RB_EXPECT(rep.diffs[0].a == a.ap[at] && rep.diffs[0].b == b.ap[at]);
    }
    char *text = rb_print_to_string(&rep, &o);
    RB_EXPECT_MSG(text && strcmp(rb_last_line(text), "audit: DIFFER (1 cells beyond tolerance)\n") == 0, "%s", text ? text : "");
    RB_EXPECT(text && strstr(text, "xd/visual.fog/s2/shared-dyn/r1") != NULL);
    free(text);
    rb_audit_report_free(&rep);
    /* within a 1e-9 tolerance */
    RB_EXPECT_OK(rb_audit_set_tolerance(&o, "1e-9"));
    RB_EXPECT_OK(rb_audit_compare(&a, NULL, &b, NULL, &o, &rep));
    RB_EXPECT(rep.match && rep.n_fail == 0);
    RB_EXPECT_NEAR(rep.max_abs[RB_AUDIT_AP], 1e-12, 1e-15);
    rb_audit_report_free(&rep);
    /* a per-metric tolerance on another metric does not cover ap */
    rb_audit_defaults(&o, 0);
    RB_EXPECT_OK(rb_audit_parse_tolerances(&o, "roc_auc=1e-9"));
    RB_EXPECT_OK(rb_audit_compare(&a, NULL, &b, NULL, &o, &rep));
    RB_EXPECT(!rep.match);
    rb_audit_report_free(&rep);
    /* reference mode: 1e-6 by default */
    rb_audit_defaults(&o, 1);
    RB_EXPECT_OK(rb_audit_compare(&a, NULL, &b, NULL, &o, &rep));
    RB_EXPECT(rep.match);
    rb_audit_report_free(&rep);
    /* a weight perturbation is a condition-level difference */
    rb_audit_defaults(&o, 0);
    b.ap[at] = a.ap[at];
    b.conds[1].weight[1] = nextafter(b.conds[1].weight[1], 1.0);
    RB_EXPECT_OK(rb_audit_compare(&a, NULL, &b, NULL, &o, &rep));
    RB_EXPECT(!rep.match && rep.conds_beyond == 1 && rep.cells_beyond == 0 && rep.beyond[RB_AUDIT_WEIGHT_AUDIO] == 1);
    RB_EXPECT(rep.n_diffs == 1 && strcmp(rep.diffs[0].key, "xd/visual.fog/s1") == 0);
    rb_audit_report_free(&rep);
    rb_results_free(&a);
    rb_results_free(&b);
}

RB_TEST(audit_missing_and_extra_cells) {
    rb_results a, b;
    rb_build(&a, 3);
    rb_build(&b, 2);
    rb_audit_options o;
    rb_audit_defaults(&o, 0);
    o.tolerance[RB_AUDIT_AP] = 1; /* values are irrelevant here */
    rb_audit_report rep;
    RB_EXPECT_OK(rb_audit_compare(&a, NULL, &b, NULL, &o, &rep));
    RB_EXPECT(!rep.match);
    RB_EXPECT_INT(rep.missing, 2); /* fog s2 x 2 methods */
    RB_EXPECT_INT(rep.extra, 0);
    RB_EXPECT_INT(rep.n_fail, 2);
    RB_EXPECT(rep.n_absent == 2 && strcmp(rep.absent[0].key, "xd/visual.fog/s2/concat") == 0);
    char *text = rb_print_to_string(&rep, &o);
    RB_EXPECT(text && strstr(text, "only in A: xd/visual.fog/s2/shared-dyn"));
    RB_EXPECT(text && strcmp(rb_last_line(text), "audit: DIFFER (2 cells beyond tolerance)\n") == 0);
    free(text);
    rb_audit_report_free(&rep);
    /* the other way round: extra cells */
    RB_EXPECT_OK(rb_audit_compare(&b, NULL, &a, NULL, &o, &rep));
    RB_EXPECT(!rep.match && rep.extra == 2 && rep.missing == 0);
    rb_audit_report_free(&rep);
    /* a method B does not have: every row of that method is missing */
    rb_results_free(&b);
    rb_build(&b, 3);
    snprintf(b.methods[1], sizeof b.methods[1], "shared-mean");
    RB_EXPECT_OK(rb_audit_compare(&a, NULL, &b, NULL, &o, &rep));
    RB_EXPECT(!rep.match && rep.missing == 3 && rep.extra == 3 && rep.n_fail == 6);
    rb_audit_report_free(&rep);
    /* conditions in another order still match (keys, not positions) */
    rb_results_free(&b);
    rb_build(&b, 3);
    rb_result_cond t = b.conds[1];
    b.conds[1] = b.conds[2];
    b.conds[2] = t;
    for (int m = 0; m < 2; m++)
        for (int k = 0; k < 2; k++) {
            int64_t i1 = rb_results_at(&b, 1, m, k), i2 = rb_results_at(&b, 2, m, k);
            double x = b.ap[i1];
            b.ap[i1] = b.ap[i2];
            b.ap[i2] = x;
            x = b.ap_step[i1];
            b.ap_step[i1] = b.ap_step[i2];
            b.ap_step[i2] = x;
            x = b.roc_auc[i1];
            b.roc_auc[i1] = b.roc_auc[i2];
            b.roc_auc[i2] = x;
        }
    rb_audit_defaults(&o, 0);
    RB_EXPECT_OK(rb_audit_compare(&a, NULL, &b, NULL, &o, &rep));
    RB_EXPECT_MSG(rep.match, "reordered conditions: %lld failures", (long long)rep.n_fail);
    rb_audit_report_free(&rep);
    /* a duplicate condition is an error, not a silent match */
    b.conds[2] = b.conds[1];
    RB_EXPECT_ERR(rb_audit_compare(&a, NULL, &b, NULL, &o, &rep), "appears twice");
    rb_results_free(&a);
    rb_results_free(&b);
}

RB_TEST(audit_nan_and_signed_zero) {
    rb_results a, b;
    rb_build(&a, 1);
    rb_build(&b, 1);
    a.ap[0] = b.ap[0] = NAN;
    a.ap[1] = 0.0;
    b.ap[1] = -0.0;
    rb_audit_options o;
    rb_audit_defaults(&o, 0);
    rb_audit_report rep;
    RB_EXPECT_OK(rb_audit_compare(&a, NULL, &b, NULL, &o, &rep));
    RB_EXPECT(!rep.match && rep.beyond[RB_AUDIT_AP] == 1); /* -0 is not bitwise 0; NaN == NaN */
    rb_audit_report_free(&rep);
    RB_EXPECT_OK(rb_audit_set_tolerance(&o, "1e-9"));
    RB_EXPECT_OK(rb_audit_compare(&a, NULL, &b, NULL, &o, &rep));
    RB_EXPECT(rep.match);
    rb_audit_report_free(&rep);
    b.ap[2] = NAN; /* a number against NaN differs under any tolerance */
    RB_EXPECT_OK(rb_audit_set_tolerance(&o, "1"));
    RB_EXPECT_OK(rb_audit_compare(&a, NULL, &b, NULL, &o, &rep));
    RB_EXPECT(!rep.match && rep.beyond[RB_AUDIT_AP] == 1 && isinf(rep.max_abs[RB_AUDIT_AP]));
    rb_audit_report_free(&rep);
    rb_results_free(&a);
    rb_results_free(&b);
}

RB_TEST(audit_tolerance_parsing) {
    rb_audit_options o;
    rb_audit_defaults(&o, 0);
    for (int m = 0; m < RB_AUDIT_N_METRICS; m++) RB_EXPECT(o.tolerance[m] == 0.0);
    rb_audit_defaults(&o, 1);
    for (int m = 0; m < RB_AUDIT_N_METRICS; m++) RB_EXPECT(o.tolerance[m] == 1e-6);
    RB_EXPECT_OK(rb_audit_parse_tolerances(&o, "ap=1e-3,weight=0.25,detect_auc_audio=2"));
    RB_EXPECT(o.tolerance[RB_AUDIT_AP] == 1e-3 && o.tolerance[RB_AUDIT_AP_STEP] == 1e-6);
    RB_EXPECT(o.tolerance[RB_AUDIT_WEIGHT_VISUAL] == 0.25 && o.tolerance[RB_AUDIT_WEIGHT_AUDIO] == 0.25);
    RB_EXPECT(o.tolerance[RB_AUDIT_DETECT_AUDIO] == 2 && o.tolerance[RB_AUDIT_DETECT_VISUAL] == 1e-6);
    RB_EXPECT_ERR(rb_audit_parse_tolerances(&o, "apx=1"), "unknown metric 'apx'");
    RB_EXPECT_ERR(rb_audit_parse_tolerances(&o, "ap=-1"), "finite number >= 0");
    RB_EXPECT_ERR(rb_audit_parse_tolerances(&o, "ap"), "name=value");
    RB_EXPECT_ERR(rb_audit_set_tolerance(&o, "1e-9x"), "got '1e-9x'");
    RB_EXPECT_ERR(rb_audit_set_tolerance(&o, "nan"), "finite");
}

static void rb_prov(rb_audit_provenance *p, const char *config, const char *commit, const char *input) {
    memset(p, 0, sizeof *p);
    p->robusta_version = strdup("0.1.0");
    p->git_commit = strdup(commit);
    p->mpi_library = strdup("Open MPI v4.1");
    p->hdf5_version = strdup("1.10.8");
    p->openblas_config = strdup("OpenBLAS 0.3.21 Haswell");
    p->ranks = 1;
    p->config = strdup(config);
    p->n_inputs = 1;
    p->inputs = calloc(1, sizeof *p->inputs);
    p->inputs[0] = strdup(input);
}

RB_TEST(audit_provenance_differences) {
    rb_results a, b;
    rb_build(&a, 2);
    rb_build(&b, 2);
    rb_audit_provenance pa, pb;
    rb_prov(&pa, "run = {\n  seed = 1\n}\ntrain = {\n  epochs = 50\n}\n", "abc", "1111  data/x.h5");
    rb_prov(&pb, "run = {\n  seed = 1\n}\ntrain = {\n  epochs = 40\n}\n", "def", "2222  data/x.h5");
    rb_audit_options o;
    rb_audit_defaults(&o, 0);
    rb_audit_report rep;
    RB_EXPECT_OK(rb_audit_compare(&a, &pa, &b, &pb, &o, &rep));
    RB_EXPECT(rep.match); /* reported, not failing without --strict */
    RB_EXPECT(rep.config_differs && rep.inputs_differ && rep.versions_differ);
    char *text = rb_print_to_string(&rep, &o);
    RB_EXPECT_MSG(text && strstr(text, "config: differs (2 lines)") && strstr(text, "-    5:   epochs = 50") &&
                      strstr(text, "+    5:   epochs = 40"),
                  "config diff:\n%s", text ? text : "");
    RB_EXPECT(text && strstr(text, "changed: data/x.h5") && strstr(text, "git_commit: abc  vs  def"));
    RB_EXPECT(text && strcmp(rb_last_line(text), "audit: MATCH\n") == 0);
    free(text);
    rb_audit_report_free(&rep);
    o.strict = 1;
    RB_EXPECT_OK(rb_audit_compare(&a, &pa, &b, &pb, &o, &rep));
    RB_EXPECT(!rep.match && rep.provenance_fails && rep.n_fail == 0);
    text = rb_print_to_string(&rep, &o);
    RB_EXPECT(text && strstr(rb_last_line(text), "audit: DIFFER (0 cells beyond tolerance; provenance differs") == rb_last_line(text));
    free(text);
    rb_audit_report_free(&rep);
    /* same content at another path is informational only */
    rb_audit_provenance_free(&pb);
    rb_prov(&pb, pa.config, "abc", "1111  elsewhere/x.h5");
    RB_EXPECT_OK(rb_audit_compare(&a, &pa, &b, &pb, &o, &rep));
    RB_EXPECT(rep.match && !rep.inputs_differ && !rep.config_differs && !rep.versions_differ);
    rb_audit_report_free(&rep);
    rb_audit_provenance_free(&pa);
    rb_audit_provenance_free(&pb);
    rb_results_free(&a);
    rb_results_free(&b);
}

/* Write r to path with rb_results_write (one rank). */
static int rb_write_file(const char *path, const rb_results *r) {
    int owner[8] = {0};
    char *inputs[1] = {"data/xd.h5"}, *sha[1] = {"00ff"};
    return rb_results_write(path, r, owner, MPI_COMM_SELF, inputs, sha, 1, NULL, NULL);
}

RB_TEST_MPI(audit_files_round_trip) {
    rb_results a, b;
    rb_build(&a, 3);
    rb_build(&b, 3);
    a.config_text = strdup("run = {\n  seed = 7\n}\n");
    b.config_text = strdup("run = {\n  seed = 8\n}\n");
    a.run_id = strdup("a");
    b.run_id = strdup("b");
    b.roc_auc[rb_results_at(&b, 1, 0, 0)] += 1e-12;
    char pa[600], pa2[600], pb[600];
    snprintf(pa, sizeof pa, "%s/audit_a.h5", rb_test_tmpdir());
    snprintf(pa2, sizeof pa2, "%s/audit_a2.h5", rb_test_tmpdir());
    snprintf(pb, sizeof pb, "%s/audit_b.h5", rb_test_tmpdir());
    RB_EXPECT_OK(rb_write_file(pa, &a));
    RB_EXPECT_OK(rb_write_file(pa2, &a));
    RB_EXPECT_OK(rb_write_file(pb, &b));
    rb_audit_provenance p;
    RB_EXPECT_OK(rb_audit_read_provenance(pa, &p));
    RB_EXPECT(p.config && strcmp(p.config, a.config_text) == 0);
    RB_EXPECT(p.n_inputs == 1 && strcmp(p.inputs[0], "00ff  data/xd.h5") == 0);
    RB_EXPECT(p.git_commit && p.robusta_version && p.ranks == 1);
    rb_audit_provenance_free(&p);
    rb_audit_options o;
    rb_audit_defaults(&o, 0);
    rb_audit_report rep;
    RB_EXPECT_OK(rb_audit_files(pa, pa2, &o, &rep));
    RB_EXPECT_MSG(rep.match && rep.compared[RB_AUDIT_AP] == 12, "identical files: match %d, %lld compared", rep.match,
                  (long long)rep.compared[RB_AUDIT_AP]);
    rb_audit_report_free(&rep);
    RB_EXPECT_OK(rb_audit_files(pa, pb, &o, &rep));
    RB_EXPECT(!rep.match && rep.n_fail == 1 && rep.beyond[RB_AUDIT_ROC_AUC] == 1 && rep.config_differs);
    rb_audit_report_free(&rep);
    RB_EXPECT_OK(rb_audit_set_tolerance(&o, "1e-9"));
    RB_EXPECT_OK(rb_audit_files(pa, pb, &o, &rep));
    RB_EXPECT(rep.match);
    rb_audit_report_free(&rep);
    char missing[700];
    snprintf(missing, sizeof missing, "%s/no_such.h5", rb_test_tmpdir());
    RB_EXPECT_ERR(rb_audit_files(pa, missing, &o, &rep), "no_such.h5");
    rb_results_free(&a);
    rb_results_free(&b);
}

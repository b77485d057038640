/* test_results_tables.c - tables from hand-built rb_results: replica means and sds in cells.csv,
 * headline numbers (mean over corrupted cells, drop, relative robustness) computed by hand, the
 * grouping of conditions into corruption rows, NaN handling and byte-identical rewrites. */
#include "rb_core.h"
#include "rb_results.h"
#include "rb_test.h"
#include "temp_files.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *rb_slurp(const char *path) {
    char *text = NULL;
    return rb_read_file(path, &text) == RB_OK ? text : NULL;
}

static void rb_mkdir_test(const char *name, char *out, size_t cap) {
    snprintf(out, cap, "%s/%s", rb_test_tmpdir(), name);
    mkdir(out, 0755);
}

static void rb_set_cond(rb_result_cond *c, const char *ds, const char *corr, const char *mod, int sev,
                        const char *source) {
    snprintf(c->dataset, sizeof c->dataset, "%s", ds);
    snprintf(c->corruption, sizeof c->corruption, "%s", corr);
    snprintf(c->modality, sizeof c->modality, "%s", mod);
    c->severity = sev;
    snprintf(c->source, sizeof c->source, "%s", source);
    c->detect_auc[0] = c->detect_auc[1] = NAN;
    c->weight[0] = c->weight[1] = 0.5;
}

/* 2 conditions (clean, visual fog at severity 3) x 2 methods x 2 replicas. */
static void rb_build_small(rb_results *r) {
    RB_EXPECT_OK(rb_results_alloc(r, 2, 2, 2));
    snprintf(r->methods[0], sizeof r->methods[0], "concat");
    snprintf(r->methods[1], sizeof r->methods[1], "shared-dyn");
    rb_set_cond(&r->conds[0], "xd", "clean", "none", 0, "clean");
    r->conds[0].weight[0] = 0.875;
    r->conds[0].weight[1] = 0.75;
    rb_set_cond(&r->conds[1], "xd", "fog", "visual", 3, "surrogate");
    r->conds[1].detect_auc[0] = 0.96875;
    r->conds[1].weight[0] = 0.25;
    r->conds[1].weight[1] = 0.9375;
    /* [cond][method][replica] */
    const double ap[8] = {0.875, 0.625, 0.9375, 0.8125, 0.5, 0.5, 0.75, 0.625};
    const double st[8] = {0.5, 0.25, 0.5, 0.5, 0.125, NAN, 0.25, 0.25};
    const double au[8] = {0.75, 0.75, 1.0, 0.5, 0.5, 0.5, 0.625, 0.875};
    for (int i = 0; i < 8; i++) {
        r->ap[i] = ap[i];
        r->ap_step[i] = st[i];
        r->roc_auc[i] = au[i];
    }
}

/* Split one CSV line (no quoting in these tests) into fields. */
static int rb_fields(char *line, char **f, int cap) {
    int n = 0;
    for (char *p = line; n < cap;) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

RB_TEST(results_mean_sd_and_alloc) {
    rb_results r;
    rb_build_small(&r);
    double m, s;
    rb_results_mean_sd(&r, r.ap, 0, 0, &m, &s);
    RB_EXPECT(m == 0.75);
    RB_EXPECT_NEAR(s, 0.25 / sqrt(2.0), 1e-16);
    rb_results_mean_sd(&r, r.ap, 1, 0, &m, &s);
    RB_EXPECT(m == 0.5 && s == 0.0);
    rb_results_mean_sd(&r, r.ap_step, 1, 0, &m, &s);
    RB_EXPECT(isnan(m) && isnan(s));
    RB_EXPECT_INT(rb_results_method(&r, "shared-dyn"), 1);
    RB_EXPECT_INT(rb_results_method(&r, "nope"), -1);
    rb_results_free(&r);
    RB_EXPECT(r.ap == NULL && r.conds == NULL);
    /* fresh arrays are NaN; bad shapes are refused */
    RB_EXPECT_OK(rb_results_alloc(&r, 3, 1, 1));
    RB_EXPECT(isnan(r.ap[2]) && isnan(r.ap_step[0]) && isnan(r.roc_auc[1]));
    rb_results_free(&r);
    RB_EXPECT_ERR(rb_results_alloc(&r, 1, RB_RESULTS_MAX_METHODS + 1, 1), "n_methods");
    RB_EXPECT_ERR(rb_results_alloc(&r, 1, 1, 0), "n_replicas");
    /* one replica: sd 0 */
    double one = 0.3;
    rb_report_stats(&one, 1, &m, &s);
    RB_EXPECT(m == 0.3 && s == 0.0);
}

RB_TEST(results_tables_cells_csv) {
    rb_results r;
    rb_build_small(&r);
    /* run columns: the digest is the first 16 hex digits of sha256("a = 1;\n") (sha256sum) */
    free(r.run_id);
    free(r.config_text);
    r.run_id = strdup("results/run-7");
    r.git_commit = strdup("0123456789ab");
    r.config_text = strdup("a = 1;\n");
    char dir[600];
    rb_mkdir_test("tables_csv", dir, sizeof dir);
    RB_EXPECT_OK(rb_results_tables(&r, dir));
    char path[700];
    snprintf(path, sizeof path, "%s/cells.csv", dir);
    char *csv = rb_slurp(path);
    RB_EXPECT(csv != NULL);
    if (!csv) {
        rb_results_free(&r);
        return;
    }
    char *save = NULL, *line = strtok_r(csv, "\n", &save);
    RB_EXPECT(line && strcmp(line, "dataset,corruption,modality,severity,method,ap,ap_step,roc_auc,ap_sd,"
                                   "ap_step_sd,roc_auc_sd,n_replicas,source,detect_auc_visual,detect_auc_audio,"
                                   "weight_visual,weight_audio,ap_lo,ap_hi,ap_step_lo,ap_step_hi,roc_auc_lo,"
                                   "roc_auc_hi,run_id,commit,config_digest") == 0);
    /* rows in canonical order: (clean, concat), (clean, shared-dyn), (fog, concat), (fog, shared-dyn) */
    const char *expect_strings[4][6] = {
        {"xd", "clean", "none", "0", "concat", "clean"},
        {"xd", "clean", "none", "0", "shared-dyn", "clean"},
        {"xd", "fog", "visual", "3", "concat", "surrogate"},
        {"xd", "fog", "visual", "3", "shared-dyn", "surrogate"},
    };
    /* means (exact binary fractions) and sds by hand: sd of two values = |a - b| / sqrt(2) */
    const double expect_mean[4][3] = {{0.75, 0.375, 0.75}, {0.875, 0.5, 0.75}, {0.5, NAN, 0.5}, {0.6875, 0.25, 0.75}};
    const double expect_sd[4][3] = {{0.25, 0.25, 0}, {0.125, 0, 0.5}, {0, NAN, 0}, {0.125, 0, 0.25}};
    const double expect_tail[4][4] = {{NAN, NAN, 0.875, 0.75}, {NAN, NAN, 0.875, 0.75},
                                      {0.96875, NAN, 0.25, 0.9375}, {0.96875, NAN, 0.25, 0.9375}};
    int rows = 0;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char *f[32];
        int n = rb_fields(line, f, 32);
        RB_EXPECT_INT(n, 26);
        if (n != 26 || rows >= 4) {
            rows++;
            continue;
        }
        const char *const *es = expect_strings[rows];
        RB_EXPECT_MSG(strcmp(f[0], es[0]) == 0 && strcmp(f[1], es[1]) == 0 && strcmp(f[2], es[2]) == 0 &&
                          strcmp(f[3], es[3]) == 0 && strcmp(f[4], es[4]) == 0 && strcmp(f[12], es[5]) == 0,
                      "row %d: unexpected key fields %s,%s,%s,%s,%s source %s", rows, f[0], f[1], f[2], f[3], f[4], f[12]);
        RB_EXPECT(strcmp(f[11], "2") == 0);
        for (int k = 0; k < 3; k++) {
            if (isnan(expect_mean[rows][k])) {
                RB_EXPECT_MSG(strcmp(f[5 + k], "nan") == 0 && strcmp(f[8 + k], "nan") == 0,
                              "row %d metric %d: expected nan, got %s / %s", rows, k, f[5 + k], f[8 + k]);
                continue;
            }
            char want[64];
            snprintf(want, sizeof want, "%.17g", expect_mean[rows][k]);
            RB_EXPECT_MSG(strcmp(f[5 + k], want) == 0, "row %d metric %d mean: %s, expected %s", rows, k, f[5 + k], want);
            RB_EXPECT_NEAR(strtod(f[8 + k], NULL), expect_sd[rows][k] / sqrt(2.0), 1e-16);
        }
        for (int k = 0; k < 4; k++) {
            if (isnan(expect_tail[rows][k])) RB_EXPECT_MSG(strcmp(f[13 + k], "nan") == 0, "tail %d: %s", k, f[13 + k]);
            else RB_EXPECT(strtod(f[13 + k], NULL) == expect_tail[rows][k]);
        }
        for (int k = 0; k < 6; k++) RB_EXPECT_MSG(strcmp(f[17 + k], "nan") == 0, "no resamples: interval %d is %s", k, f[17 + k]);
        RB_EXPECT_MSG(strcmp(f[23], "results/run-7") == 0 && strcmp(f[24], "0123456789ab") == 0 &&
                          strcmp(f[25], "78a5f362a48ff6a0") == 0,
                      "row %d run columns: %s,%s,%s", rows, f[23], f[24], f[25]);
        rows++;
    }
    RB_EXPECT_INT(rows, 4);
    free(csv);
    /* full precision: a value that needs 17 digits survives the text round trip */
    r.ap[0] = 0.1 + 0.2;
    RB_EXPECT_OK(rb_results_tables(&r, dir));
    csv = rb_slurp(path);
    char want[64];
    snprintf(want, sizeof want, "\nxd,clean,none,0,concat,%.17g,", (0.1 + 0.2 + 0.625) / 2);
    RB_EXPECT_MSG(csv && strstr(csv, want), "cells.csv lacks %s", want + 1);
    free(csv);
    rb_results_free(&r);
}

RB_TEST(results_tables_headline_by_hand) {
    rb_results r;
    rb_build_small(&r);
    rb_report_dataset *ds;
    int n_ds;
    RB_EXPECT_OK(rb_report_layout(&r, &ds, &n_ds));
    RB_EXPECT_INT(n_ds, 1);
    rb_headline h;
    RB_EXPECT_OK(rb_report_headline(&r, &ds[0], r.ap, 1, &h));
    /* shared-dyn: clean (0.9375, 0.8125), corrupted (0.75, 0.625): per replica drop (0.1875, 0.1875),
     * relative (0.8, 0.625 / 0.8125) */
    RB_EXPECT(h.clean[0] == 0.875);
    RB_EXPECT(h.corrupted[0] == 0.6875);
    RB_EXPECT(h.drop[0] == 0.1875 && h.drop[1] == 0.0);
    double rel1 = 0.625 / 0.8125;
    RB_EXPECT_NEAR(h.relative[0], (0.8 + rel1) / 2, 1e-15);
    RB_EXPECT_NEAR(h.relative[1], fabs(0.8 - rel1) / sqrt(2.0), 1e-15);
    RB_EXPECT_NEAR(h.corrupted[1], 0.125 / sqrt(2.0), 1e-16);
    rb_report_layout_free(ds, n_ds);
    /* q = 3/16 on the clean cell only: the dataset's chance levels are ap (1 + 3/16) / 2 = 0.59375,
     * ap_step 0.1875 (printed, not a fixed "about 0.57") */
    r.conds[0].positive_fraction = 0.1875;

    char dir[600], path[700];
    rb_mkdir_test("tables_headline", dir, sizeof dir);
    RB_EXPECT_OK(rb_results_tables(&r, dir));
    snprintf(path, sizeof path, "%s/summary.md", dir);
    char *md = rb_slurp(path);
    RB_EXPECT(md != NULL);
    if (md) {
        /* the ranking by mean corrupted ap_step (replica means): shared-dyn 0.25 (clean 0.5, relative
         * 0.5, corrupted roc_auc (0.625 + 0.875) / 2); concat's corrupted ap_step has a NaN replica,
         * so it ranks last with nan. No baseline and no resamples: no mCE, no intervals. */
        const char *want = "| 1 | shared-dyn | 0.2500 | 0.5000 | 0.5000 | - | - | 0.7500 |";
        RB_EXPECT_MSG(strstr(md, want) != NULL, "summary.md lacks the ranking row %s", want);
        RB_EXPECT_MSG(strstr(md, "| 2 | concat | nan | 0.3750 | nan | - | - | 0.5000 |"),
                      "summary.md lacks the NaN ranking row of concat");
        RB_EXPECT(strstr(md, "No intervals (stats.bootstrap = 0)") != NULL);
        RB_EXPECT(strstr(md, "(1 + q) / 2") != NULL);
        RB_EXPECT(strstr(md, "UCF-Crime") != NULL);
        RB_EXPECT_MSG(strstr(md, "Chance level (a constant score): `ap` 0.5938, `ap_step` 0.1875, `roc_auc` 0.5 "
                                 "(q = 0.1875).\n") != NULL,
                      "summary.md lacks the dataset's chance line");
        RB_EXPECT(strstr(md, "0.57") == NULL);
        /* the caveat once */
        const char *c1 = strstr(md, "(1 + q) / 2");
        RB_EXPECT(c1 && strstr(c1 + 1, "(1 + q) / 2") == NULL);
        /* the family table: visual is fog at s3 alone */
        RB_EXPECT_MSG(strstr(md, "| visual | nan | 0.2500 |"), "summary.md lacks the visual family row");
        free(md);
    }
    /* the plain-text headline */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    RB_EXPECT_OK(rb_results_print_headline(&r, f));
    fclose(f);
    RB_EXPECT_MSG(buf && strstr(buf, "shared-dyn      AP 0.8750 +- 0.0884 -> 0.6875 +- 0.0884 (drop 0.1875 +- 0.0000, "
                                     "relative 0.7846 +- 0.0218)"),
                  "headline text:\n%s", buf ? buf : "(null)");
    RB_EXPECT(buf && strstr(buf, "dataset xd: 1 corrupted cells, 2 replicas") != NULL);
    RB_EXPECT_MSG(buf && strstr(buf, "  chance: ap 0.5938, ap_step 0.1875, roc_auc 0.5 (q = 0.1875).\n") != NULL,
                  "headline lacks the chance line:\n%s", buf ? buf : "(null)");
    RB_EXPECT(buf && strstr(buf, "0.57") == NULL);
    /* without q the levels that need it are unknown, not a guess */
    r.conds[0].positive_fraction = NAN;
    free(buf);
    buf = NULL;
    f = open_memstream(&buf, &len);
    RB_EXPECT_OK(rb_results_print_headline(&r, f));
    fclose(f);
    RB_EXPECT_MSG(buf && strstr(buf, "  chance: ap and ap_step unknown (the file does not record q), roc_auc 0.5.\n"),
                  "headline without q:\n%s", buf ? buf : "(null)");
    free(buf);
    rb_results_free(&r);
}

/* A richer layout: conditions out of group order, two datasets, one replica. */
RB_TEST(results_tables_layout_and_corrupted_mean) {
    rb_results r;
    RB_EXPECT_OK(rb_results_alloc(&r, 10, 1, 1));
    snprintf(r.methods[0], sizeof r.methods[0], "m");
    rb_set_cond(&r.conds[0], "a", "clean", "none", 0, "clean");
    rb_set_cond(&r.conds[1], "a", "reverb", "audio", 2, "surrogate");
    rb_set_cond(&r.conds[2], "a", "fog", "visual", 1, "surrogate");
    rb_set_cond(&r.conds[3], "a", "fog+reverb", "both", 1, "surrogate");
    rb_set_cond(&r.conds[4], "a", "missing", "visual", 0, "none");
    rb_set_cond(&r.conds[5], "a", "reverb", "audio", 1, "preextracted");
    rb_set_cond(&r.conds[6], "a", "fog", "visual", 2, "surrogate");
    rb_set_cond(&r.conds[7], "a", "missing", "audio", 0, "none");
    rb_set_cond(&r.conds[8], "b", "clean", "none", 0, "clean");
    rb_set_cond(&r.conds[9], "b", "fog", "visual", 5, "surrogate");
    const double ap[10] = {0.9, 0.5, 0.75, 0.25, 0.625, 0.375, 0.5, 0.875, 0.8, 0.4};
    for (int i = 0; i < 10; i++) r.ap[i] = r.ap_step[i] = r.roc_auc[i] = ap[i];
    rb_report_dataset *ds;
    int n_ds;
    RB_EXPECT_OK(rb_report_layout(&r, &ds, &n_ds));
    RB_EXPECT_INT(n_ds, 2);
    if (n_ds == 2) {
        rb_report_dataset *a = &ds[0];
        RB_EXPECT(strcmp(a->dataset, "a") == 0 && a->clean == 0 && a->n_corrupted == 7);
        RB_EXPECT_INT(a->n_rows, 5);
        if (a->n_rows == 5) {
            RB_EXPECT(a->rows[0].group == RB_GROUP_VISUAL && strcmp(a->rows[0].corruption, "fog") == 0);
            RB_EXPECT(a->rows[0].n_sev == 2 && a->rows[0].cond[0] == 2 && a->rows[0].cond[1] == 6);
            RB_EXPECT(a->rows[1].group == RB_GROUP_AUDIO && a->rows[1].cond[0] == 5 && a->rows[1].cond[1] == 1);
            RB_EXPECT(a->rows[2].group == RB_GROUP_MISSING && strcmp(a->rows[2].modality, "visual") == 0);
            RB_EXPECT(a->rows[3].group == RB_GROUP_MISSING && strcmp(a->rows[3].modality, "audio") == 0);
            RB_EXPECT(a->rows[4].group == RB_GROUP_PAIR && a->rows[4].cond[0] == 3);
        }
        RB_EXPECT(a->n_severities == 2 && a->severities[0] == 1 && a->severities[1] == 2);
        rb_headline h;
        RB_EXPECT_OK(rb_report_headline(&r, a, r.ap, 0, &h));
        /* mean of the 7 corrupted cells of dataset a, by hand */
        double corr = (0.5 + 0.75 + 0.25 + 0.625 + 0.375 + 0.5 + 0.875) / 7;
        RB_EXPECT_NEAR(h.corrupted[0], corr, 1e-15);
        RB_EXPECT_NEAR(h.drop[0], 0.9 - corr, 1e-15);
        RB_EXPECT_NEAR(h.relative[0], corr / 0.9, 1e-15);
        RB_EXPECT(h.clean[1] == 0.0 && h.corrupted[1] == 0.0);
        /* row means: fog (0.75 + 0.5) / 2; visual missing is its single cell */
        double m, s;
        rb_report_row_mean(&r, &a->rows[0], r.ap, 0, &m, &s);
        RB_EXPECT(m == 0.625 && s == 0.0);
        rb_report_row_mean(&r, &a->rows[2], r.ap, 0, &m, &s);
        RB_EXPECT(m == 0.625);
        RB_EXPECT(strcmp(ds[1].dataset, "b") == 0 && ds[1].clean == 8 && ds[1].n_corrupted == 1);
        RB_EXPECT_OK(rb_report_headline(&r, &ds[1], r.ap, 0, &h));
        RB_EXPECT(h.corrupted[0] == 0.4 && h.relative[0] == 0.4 / 0.8);
    }
    rb_report_layout_free(ds, n_ds);
    char dir[600], path[700];
    rb_mkdir_test("tables_layout", dir, sizeof dir);
    RB_EXPECT_OK(rb_results_tables(&r, dir));
    snprintf(path, sizeof path, "%s/summary.md", dir);
    char *md = rb_slurp(path);
    /* families of dataset a: missing = (0.625 + 0.875) / 2, pairs = fog+reverb alone */
    RB_EXPECT(md && strstr(md, "| missing | 0.7500 |"));
    RB_EXPECT(md && strstr(md, "| pairs | 0.2500 |"));
    RB_EXPECT(md && strstr(md, "| 1 | m | 0.5536 | 0.9000 | 0.6151 |"));
    RB_EXPECT(md && strstr(md, "4 surrogate, 1 pre-extracted, 2 missing modality"));
    /* one replica: no "+-" anywhere */
    RB_EXPECT(md && strstr(md, "+- 0") == NULL);
    free(md);
    /* a duplicate condition is refused */
    rb_set_cond(&r.conds[6], "a", "fog", "visual", 1, "surrogate");
    RB_EXPECT_ERR(rb_report_layout(&r, &ds, &n_ds), "appears twice");
    rb_set_cond(&r.conds[6], "a", "fog", "sideways", 2, "surrogate");
    RB_EXPECT_ERR(rb_results_tables(&r, dir), "expected modality");
    rb_results_free(&r);
}

RB_TEST(results_tables_deterministic_and_atomic) {
    rb_results r;
    rb_build_small(&r);
    r.conds[1].seconds = 12.5;
    char d1[600], d2[600], p1[700], p2[700];
    rb_mkdir_test("tables_det1", d1, sizeof d1);
    rb_mkdir_test("tables_det2", d2, sizeof d2);
    RB_EXPECT_OK(rb_results_tables(&r, d1));
    r.conds[1].seconds = 99.0; /* timings are not part of the tables */
    r.run_id = strdup("another-run");
    RB_EXPECT_OK(rb_results_tables(&r, d2));
    const char *names[2] = {"summary.md", "cells.csv"};
    for (int i = 0; i < 2; i++) {
        snprintf(p1, sizeof p1, "%s/%s", d1, names[i]);
        snprintf(p2, sizeof p2, "%s/%s", d2, names[i]);
        char *a = rb_slurp(p1), *b = rb_slurp(p2);
        /* cells.csv names its run (run_id column, issue 14): apart from it, the same bytes */
        RB_EXPECT(i == 0 || (b && strstr(b, ",another-run,")));
        for (char *at; i == 1 && b && (at = strstr(b, "another-run"));) memmove(at, at + 11, strlen(at + 11) + 1);
        RB_EXPECT_MSG(a && b && strcmp(a, b) == 0, "%s differs between two writes", names[i]);
        RB_EXPECT(a && strlen(a) > 100);
        free(a);
        free(b);
        snprintf(p1, sizeof p1, "%s/%s", d1, names[i]);
        RB_EXPECT_MSG(rb_count_temps(p1) == 0, "a temporary of %s left behind", p1);
    }
    /* a directory that does not exist is an error naming the file */
    snprintf(p1, sizeof p1, "%s/no/such/dir", d1);
    RB_EXPECT_ERR(rb_results_tables(&r, p1), "summary.md.tmp");
    rb_results_free(&r);
}

RB_TEST(results_report_plots) {
    rb_results r;
    rb_build_small(&r);
    char dir[600], path[800];
    rb_mkdir_test("report_plots", dir, sizeof dir);
    RB_EXPECT(!rb_report_have_gnuplot("/nonexistent/gnuplot"));
    /* a gnuplot that fails: an error naming the exit status, the script is still written */
    if (access("/bin/false", X_OK) == 0) RB_EXPECT_ERR(rb_report_plots(&r, dir, "/bin/false"), "exit status 1");
    snprintf(path, sizeof path, "%s/plots/plots.gp", dir);
    char *gp = rb_slurp(path);
    /* the fog data block: severity 3, concat 0.5, shared-dyn 0.6875; clean AP 0.875 dashed */
    RB_EXPECT_MSG(gp && strstr(gp, "$ap0 << EOD\n# severity concat shared-dyn\n3 0.5 0.6875\nEOD\n"), "plots.gp:\n%s",
                  gp ? gp : "(missing)");
    RB_EXPECT(gp && strstr(gp, "0.875 with lines dt 2 lc 2 notitle"));
    RB_EXPECT(gp && strstr(gp, "$w0 << EOD\n# severity weight_visual weight_audio\n3 0.25 0.9375\nEOD\n"));
    free(gp);
    if (!rb_report_have_gnuplot(NULL)) {
        printf("    (gnuplot not on PATH: rendering not checked)\n");
        rb_results_free(&r);
        return;
    }
    RB_EXPECT_OK(rb_report_plots(&r, dir, NULL));
    const char *files[4] = {"visual.fog.ap.png", "visual.fog.ap.svg", "visual.fog.weight.png", "visual.fog.weight.svg"};
    for (int i = 0; i < 4; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/plots/xd/%s", dir, files[i]);
        RB_EXPECT_MSG(stat(path, &st) == 0 && st.st_size > 1000, "%s missing or empty", path);
    }
    snprintf(path, sizeof path, "%s/plots/gnuplot.log", dir);
    struct stat st;
    RB_EXPECT_MSG(stat(path, &st) != 0, "gnuplot.log kept after a successful run");
    rb_results_free(&r);
}

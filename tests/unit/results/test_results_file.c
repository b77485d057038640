/* test_results_file.c - results.h5 (src/results/results_file.c): results written collectively with
 * rb_results_write on MPI_COMM_WORLD (one rank) read back with rb_results_read with every column
 * equal - condition keys and strings, detection AUCs and weights (NaN and -0.0 bitwise), the
 * per-replica metrics, methods, run id and config text - and the derived /cells columns (mean and
 * sd over replicas, method names, replica counts) and /replicas keys hold what the format says. */
#include "rb_results.h"
#include "rb_core.h"
#include "rb_io.h"
#include "rb_test.h"

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N_CONDS = 5, N_METHODS = 3, N_REPLICAS = 2 };

static void rb_set_cond(rb_result_cond *c, const char *ds, const char *corr, const char *mod, int sev,
                        const char *label, const char *source) {
    snprintf(c->dataset, sizeof c->dataset, "%s", ds);
    snprintf(c->corruption, sizeof c->corruption, "%s", corr);
    snprintf(c->modality, sizeof c->modality, "%s", mod);
    c->severity = sev;
    snprintf(c->label, sizeof c->label, "%s", label);
    snprintf(c->source, sizeof c->source, "%s", source);
}

/* Two datasets' conditions in canonical order, metrics distinct per (condition, method, replica). */
static int rb_build_results(rb_results *r) {
    RB_TRY(rb_results_alloc(r, N_CONDS, N_METHODS, N_REPLICAS));
    static const char *const methods[N_METHODS] = {"concat", "shared-mean", "shared-dyn"};
    for (int k = 0; k < N_METHODS; k++) snprintf(r->methods[k], sizeof r->methods[k], "%s", methods[k]);
    rb_set_cond(&r->conds[0], "xdv-like", "clean", "none", 0, "clean", "clean");
    rb_set_cond(&r->conds[1], "xdv-like", "fog", "visual", 2, "visual.fog", "surrogate");
    rb_set_cond(&r->conds[2], "xdv-like", "missing", "audio", 0, "audio.missing", "none");
    rb_set_cond(&r->conds[3], "xdv-like", "fog+reverb", "both", 5, "pair.fog+reverb", "surrogate");
    rb_set_cond(&r->conds[4], "ucf-like", "clean", "none", 0, "clean", "clean");
    for (int c = 0; c < N_CONDS; c++) {
        rb_result_cond *co = &r->conds[c];
        co->detect_auc[0] = c == 1 || c == 3 ? 0.5 + 0.125 * c : NAN;
        co->detect_auc[1] = c == 3 ? 0.71 : NAN;
        co->weight[0] = c == 2 ? -0.0 : 0.9 - 0.05 * c;
        co->weight[1] = c == 2 ? 0.0 : 0.8 + 0.01 * c;
        for (int m = 0; m < 2; m++)
            for (int q = 0; q < RB_DIAG_COUNT; q++) co->diag[m][q] = c == 2 && m == 1 ? NAN : 0.01 * q + 0.3 * m + 1e-3 * c;
        for (int q = 0; q < 3; q++) co->oracle_gap[q] = c == 4 ? NAN : -0.02 * q + 1e-3 * c;
    }
    for (int64_t i = 0; i < (int64_t)N_CONDS * N_METHODS * N_REPLICAS; i++) {
        r->ap[i] = 0.5 + 0.001 * (double)i + 1e-17 * (double)(i % 7);
        r->ap_step[i] = 0.25 + 0.003 * (double)i;
        r->roc_auc[i] = i == 7 ? NAN : 0.6 + 0.002 * (double)i;
    }
    r->config_text = rb_strdup("run = {\n  seed = 3\n}\n", "config");
    r->run_id = rb_strdup("results/unit-run", "run id");
    return r->config_text && r->run_id ? RB_OK : RB_ERR;
}

static int rb_same_double(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static void rb_expect_same_results(const rb_results *a, const rb_results *b) {
    RB_EXPECT_INT(b->n_conds, a->n_conds);
    RB_EXPECT_INT(b->n_methods, a->n_methods);
    RB_EXPECT_INT(b->n_replicas, a->n_replicas);
    if (b->n_conds != a->n_conds || b->n_methods != a->n_methods || b->n_replicas != a->n_replicas) return;
    for (int k = 0; k < a->n_methods; k++)
        RB_EXPECT_MSG(strcmp(a->methods[k], b->methods[k]) == 0, "method %d: %s, expected %s", k, b->methods[k],
                      a->methods[k]);
    for (int c = 0; c < a->n_conds; c++) {
        const rb_result_cond *x = &a->conds[c], *y = &b->conds[c];
        RB_EXPECT_MSG(strcmp(x->dataset, y->dataset) == 0 && strcmp(x->corruption, y->corruption) == 0 &&
                          strcmp(x->modality, y->modality) == 0 && x->severity == y->severity &&
                          strcmp(x->label, y->label) == 0 && strcmp(x->source, y->source) == 0,
                      "condition %d: %s %s %s %d %s %s, expected %s %s %s %d %s %s", c, y->dataset, y->corruption,
                      y->modality, y->severity, y->label, y->source, x->dataset, x->corruption, x->modality,
                      x->severity, x->label, x->source);
        for (int m = 0; m < 2; m++)
            RB_EXPECT_MSG(rb_same_double(x->detect_auc[m], y->detect_auc[m]) &&
                              rb_same_double(x->weight[m], y->weight[m]),
                          "condition %d modality %d: detect_auc %.17g weight %.17g, expected %.17g %.17g", c, m,
                          y->detect_auc[m], y->weight[m], x->detect_auc[m], x->weight[m]);
        for (int m = 0; m < 2; m++)
            for (int q = 0; q < RB_DIAG_COUNT; q++)
                RB_EXPECT_MSG(rb_same_double(x->diag[m][q], y->diag[m][q]), "condition %d: %s of modality %d differs", c,
                              rb_weight_diag_name(q), m);
        for (int q = 0; q < 3; q++) RB_EXPECT_MSG(rb_same_double(x->oracle_gap[q], y->oracle_gap[q]), "condition %d: oracle gap %d", c, q);
    }
    size_t n = (size_t)a->n_conds * (size_t)a->n_methods * (size_t)a->n_replicas;
    RB_EXPECT_MSG(memcmp(a->ap, b->ap, n * sizeof(double)) == 0, "ap differs");
    RB_EXPECT_MSG(memcmp(a->ap_step, b->ap_step, n * sizeof(double)) == 0, "ap_step differs");
    RB_EXPECT_MSG(memcmp(a->roc_auc, b->roc_auc, n * sizeof(double)) == 0, "roc_auc differs");
    RB_EXPECT(b->config_text && strcmp(a->config_text, b->config_text) == 0);
    RB_EXPECT(b->run_id && strcmp(a->run_id, b->run_id) == 0);
}

/* The derived /cells and /replicas columns against the in-memory results. */
static void rb_expect_derived_columns(const char *path, const rb_results *a) {
    hid_t f;
    RB_EXPECT_OK(rb_h5_open_read(path, MPI_COMM_NULL, &f));
    const int64_t ncells = (int64_t)N_CONDS * N_METHODS, nrep = ncells * N_REPLICAS;
    double *ap = NULL, *ap_sd = NULL;
    int32_t *nrepl = NULL, *sev = NULL, *replica = NULL;
    char **method = NULL, **rep_method = NULL;
    hsize_t dims[1];
    RB_EXPECT_OK(rb_h5_read(f, "cells/ap", RB_H5_F64, 1, dims, (void **)&ap, path));
    RB_EXPECT_OK(rb_h5_read(f, "cells/ap_sd", RB_H5_F64, 1, dims, (void **)&ap_sd, path));
    RB_EXPECT_OK(rb_h5_read(f, "cells/n_replicas", RB_H5_I32, 1, dims, (void **)&nrepl, path));
    RB_EXPECT_OK(rb_h5_read(f, "cells/severity", RB_H5_I32, 1, dims, (void **)&sev, path));
    RB_EXPECT_INT(dims[0], ncells);
    RB_EXPECT_OK(rb_h5_read_strings(f, "cells/method", ncells, &method, path));
    RB_EXPECT_OK(rb_h5_read(f, "replicas/replica", RB_H5_I32, 1, dims, (void **)&replica, path));
    RB_EXPECT_INT(dims[0], nrep);
    RB_EXPECT_OK(rb_h5_read_strings(f, "replicas/method", nrep, &rep_method, path));
    for (int c = 0; ap && ap_sd && nrepl && sev && method && c < N_CONDS; c++)
        for (int k = 0; k < N_METHODS; k++) {
            int64_t row = (int64_t)c * N_METHODS + k;
            double mean, sd;
            rb_results_mean_sd(a, a->ap, c, k, &mean, &sd);
            RB_EXPECT_MSG(rb_same_double(ap[row], mean) && rb_same_double(ap_sd[row], sd),
                          "cells row %lld: ap %.17g sd %.17g, expected %.17g %.17g", (long long)row, ap[row],
                          ap_sd[row], mean, sd);
            RB_EXPECT_INT(nrepl[row], N_REPLICAS);
            RB_EXPECT_INT(sev[row], a->conds[c].severity);
            RB_EXPECT_MSG(strcmp(method[row], a->methods[k]) == 0, "cells row %lld: method %s", (long long)row,
                          method[row]);
        }
    for (int64_t i = 0; replica && rep_method && i < nrep; i++) {
        RB_EXPECT_INT(replica[i], i % N_REPLICAS);
        RB_EXPECT_MSG(strcmp(rep_method[i], a->methods[(i / N_REPLICAS) % N_METHODS]) == 0,
                      "replicas row %lld: method %s", (long long)i, rep_method[i]);
    }
    for (int64_t i = 0; method && i < ncells; i++) free(method[i]);
    for (int64_t i = 0; rep_method && i < nrep; i++) free(rep_method[i]);
    free(method);
    free(rep_method);
    free(ap);
    free(ap_sd);
    free(nrepl);
    free(sev);
    free(replica);
    RB_EXPECT_OK(rb_h5_close(f, path));
}

RB_TEST_MPI(results_file_round_trip_every_column) {
    rb_results a, b;
    memset(&a, 0, sizeof a);
    if (rb_build_results(&a) != RB_OK) {
        rb_test_fail(__FILE__, __LINE__, "building the results: %s", rb_error_message());
        rb_results_free(&a);
        return;
    }
    char path[600];
    snprintf(path, sizeof path, "%s/unit.results.h5", rb_test_tmpdir());
    int owner[N_CONDS] = {0};
    char *inputs[2] = {"data/xdv-like.h5", "data/ucf-like.h5"}, *sha[2] = {"00aa", "00bb"};
    RB_EXPECT_OK(rb_results_write(path, &a, owner, MPI_COMM_WORLD, inputs, sha, 2, NULL, NULL));
    RB_EXPECT_OK(rb_results_read(path, &b));
    rb_expect_same_results(&a, &b);
    rb_expect_derived_columns(path, &a);
    rb_results_free(&b);
    rb_results_free(&a);
}

/* A results file is untrusted input: a name that would end a line of the gnuplot script (and start a
 * '!' shell command there) or a key with a control character is refused when the file is read, with
 * the file, the dataset and the value named. */
RB_TEST_MPI(results_file_refuses_hostile_names) {
    static const char *const hostile = "x\n!touch /tmp/PWNED\n#";
    char path[600];
    int owner[N_CONDS] = {0};
    char *inputs[2] = {"data/xdv-like.h5", "data/ucf-like.h5"}, *sha[2] = {"00aa", "00bb"};
    for (int which = 0; which < 4; which++) {
        rb_results a, b;
        memset(&a, 0, sizeof a);
        if (rb_build_results(&a) != RB_OK) {
            rb_test_fail(__FILE__, __LINE__, "building the results: %s", rb_error_message());
            rb_results_free(&a);
            return;
        }
        const char *want = NULL;
        if (which == 0) { /* every condition of the dataset renamed, so /replicas stays consistent */
            for (int c = 0; c < 4; c++) snprintf(a.conds[c].dataset, sizeof a.conds[c].dataset, "%s", hostile);
            want = "/conditions row 0: dataset \"x\\n!touch /tmp/PWNED\\n#\" is not a valid name";
        } else if (which == 1) {
            snprintf(a.methods[1], sizeof a.methods[1], "%s", "m\n!id");
            want = ": method \"m\\n!id\" is not a valid name";
        } else if (which == 2) {
            snprintf(a.conds[1].corruption, sizeof a.conds[1].corruption, "%s", "fog\n!id");
            want = "dataset xdv-like: /conditions row 1: corruption \"fog\\n!id\" is not a valid key: it contains a "
                   "control character";
        } else {
            snprintf(a.conds[3].label, sizeof a.conds[3].label, "%s", "pair.fog+reverb\"; !id");
            want = "label \"pair.fog+reverb\\x22; !id\" is not a valid key";
        }
        snprintf(path, sizeof path, "%s/hostile%d.results.h5", rb_test_tmpdir(), which);
        RB_EXPECT_OK(rb_results_write(path, &a, owner, MPI_COMM_WORLD, inputs, sha, 2, NULL, NULL));
        memset(&b, 0, sizeof b);
        RB_EXPECT_ERR(rb_results_read(path, &b), want);
        RB_EXPECT_MSG(strstr(rb_error_message(), path) != NULL, "error \"%s\" does not name %s", rb_error_message(), path);
        rb_results_free(&a);
    }
}

/* The second layer: the gnuplot script writer refuses any control character itself, so even an
 * rb_results built in memory cannot put a shell line into plots.gp. */
RB_TEST(results_gnuplot_string_refuses_control_characters) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    RB_EXPECT_OK(rb_gnuplot_string(f, "a \"b\" \\c"));
    RB_EXPECT_ERR(rb_gnuplot_string(f, "x\n!touch /tmp/PWNED\n#"), "control character (byte 0x0a)");
    RB_EXPECT_ERR(rb_gnuplot_string(f, "x\r!id"), "control character (byte 0x0d)");
    RB_EXPECT_ERR(rb_gnuplot_string(f, "x\x7f"), "control character (byte 0x7f)");
    fclose(f);
    RB_EXPECT_MSG(strcmp(text, "\"a \\\"b\\\" \\\\c\"") == 0, "script text %s", text);
    free(text);

    rb_results a;
    memset(&a, 0, sizeof a);
    if (rb_build_results(&a) != RB_OK) {
        rb_test_fail(__FILE__, __LINE__, "building the results: %s", rb_error_message());
        rb_results_free(&a);
        return;
    }
    snprintf(a.methods[0], sizeof a.methods[0], "%s", "m\n!id\n#");
    char dir[600];
    snprintf(dir, sizeof dir, "%s/hostile-plots", rb_test_tmpdir());
    RB_EXPECT_ERR(rb_report_plots(&a, dir, "/nonexistent/gnuplot"), "control character");
    rb_results_free(&a);
}

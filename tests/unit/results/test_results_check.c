/* test_results_check.c - the consistency check of one results file (results_check.c) and the stored
 * digests (results_digest.c): a file as written is consistent with every digest matching (the 31
 * base columns, the newer /conditions columns, /summaries; with bootstrap resamples also the /cells
 * intervals, /bootstrap/values and /comparisons), and an edit to any of the newer columns is
 * reported; a file whose /digests predates them stays consistent; the
 * reader places /replicas rows by key (rows exchanged in the file read back identical); an edited
 * /cells value, labels exchanged between two /replicas rows, a duplicate and a missing key are each
 * reported (MISMATCH, DIGEST, DUPLICATE, MISSING), refused by rb_results_require_consistent, and
 * make audit DIFFER; a /digests column name climbing out with ".." is refused; audit A B compares
 * the newer /conditions columns by key where both files have them. Files are edited in
 * place with HDF5, as an adversarial user would. */
#include "rb_results.h"
#include "rb_core.h"
#include "rb_io.h"
#include "rb_test.h"

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N_CONDS = 3, N_METHODS = 2, N_REPLICAS = 3 };

/* How many columns /digests covers: 31 base columns, positive_fraction, the diagnostics and oracle
 * gaps of /conditions, the 8 of /summaries; with resamples also the 6 interval columns of /cells,
 * /bootstrap/values and the 11 of /comparisons. */
#define RB_DIGESTS_NO_BOOT (31 + 1 + (2 * RB_DIAG_COUNT + 3) + 8)
#define RB_DIGESTS_BOOT (RB_DIGESTS_NO_BOOT + 6 + 1 + 11)

/* A small results file: 3 conditions x 2 methods x 3 replicas with distinct metrics; n_boot > 0
 * adds bootstrap resamples (and so intervals, comparisons and summaries with intervals). */
static int rb_check_fixture_boot(const char *name, char *path, size_t cap, rb_results *r, int n_boot) {
    snprintf(path, cap, "%s/%s", rb_test_tmpdir(), name);
    RB_TRY(rb_results_alloc(r, N_CONDS, N_METHODS, N_REPLICAS));
    snprintf(r->methods[0], sizeof r->methods[0], "concat");
    snprintf(r->methods[1], sizeof r->methods[1], "shared-dyn");
    static const char *const corr[N_CONDS] = {"clean", "fog", "reverb"}, *const mod[N_CONDS] = {"none", "visual", "audio"};
    for (int c = 0; c < N_CONDS; c++) {
        rb_result_cond *co = &r->conds[c];
        snprintf(co->dataset, sizeof co->dataset, "xdv-like");
        snprintf(co->corruption, sizeof co->corruption, "%s", corr[c]);
        snprintf(co->modality, sizeof co->modality, "%s", mod[c]);
        co->severity = c ? 3 : 0;
        snprintf(co->label, sizeof co->label, c ? "%s.%s" : "%s", c ? mod[c] : "clean", corr[c]);
        snprintf(co->source, sizeof co->source, "surrogate");
        co->detect_auc[0] = co->detect_auc[1] = NAN;
        co->weight[0] = 0.9 - 0.1 * c;
        co->weight[1] = 0.8;
    }
    for (int64_t i = 0; i < (int64_t)N_CONDS * N_METHODS * N_REPLICAS; i++) {
        r->ap[i] = 0.4 + 0.01 * (double)i;
        r->ap_step[i] = 0.3 + 0.02 * (double)i;
        r->roc_auc[i] = 0.6 + 0.005 * (double)i;
    }
    for (int c = 0; c < N_CONDS; c++) {
        r->conds[c].positive_fraction = 0.25 + 0.01 * c;
        for (int q = 0; q < RB_DIAG_COUNT; q++) {
            r->conds[c].diag[0][q] = 0.1 * q + 0.01 * c;
            r->conds[c].diag[1][q] = 0.2 * q + 0.01 * c;
        }
        for (int q = 0; q < 3; q++) r->conds[c].oracle_gap[q] = 0.001 * (q + 1) * (c + 1);
    }
    if (n_boot > 0) {
        RB_TRY(rb_results_alloc_boot(r, n_boot, 0.95, "concat"));
        for (int64_t i = 0; i < (int64_t)N_CONDS * N_METHODS * 3 * n_boot; i++) r->boot[i] = 0.5 + 0.001 * (double)(i % 97);
        RB_TRY(rb_results_boot_intervals(r));
    }
    r->run_id = rb_strdup("check-unit", "run id");
    int owner[N_CONDS] = {0};
    return rb_results_write(path, r, owner, MPI_COMM_WORLD, NULL, NULL, 0, NULL, NULL);
}

static int rb_check_fixture(const char *name, char *path, size_t cap, rb_results *r) {
    return rb_check_fixture_boot(name, path, cap, r, 0);
}

/* Row i of every /replicas row is at ((c * M) + k) * R + rep. */
static int rb_replica_row(int c, int k, int rep) { return (c * N_METHODS + k) * N_REPLICAS + rep; }

/* Exchange rows i and j of one column (any fixed-size element type). */
static void rb_swap_rows(hid_t file, const char *column, int i, int j) {
    hid_t ds = H5Dopen2(file, column, H5P_DEFAULT);
    hid_t ft = H5Dget_type(ds), sp = H5Dget_space(ds);
    size_t w = H5Tget_size(ft);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(sp, &n, NULL);
    char *buf = calloc(n, w), *tmp = malloc(w);
    RB_EXPECT(buf && tmp && H5Dread(ds, ft, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    memcpy(tmp, buf + (size_t)i * w, w);
    memcpy(buf + (size_t)i * w, buf + (size_t)j * w, w);
    memcpy(buf + (size_t)j * w, tmp, w);
    RB_EXPECT(H5Dwrite(ds, ft, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    free(buf);
    free(tmp);
    H5Sclose(sp);
    H5Tclose(ft);
    H5Dclose(ds);
}

static void rb_set_f64(hid_t file, const char *column, int row, double v) {
    hid_t ds = H5Dopen2(file, column, H5P_DEFAULT), sp = H5Dget_space(ds);
    hsize_t start[1] = {(hsize_t)row}, one[1] = {1};
    H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, one, NULL);
    hid_t mem = H5Screate_simple(1, one, NULL);
    RB_EXPECT(H5Dwrite(ds, H5T_NATIVE_DOUBLE, mem, sp, H5P_DEFAULT, &v) >= 0);
    H5Sclose(mem);
    H5Sclose(sp);
    H5Dclose(ds);
}

static void rb_set_i32(hid_t file, const char *column, int row, int32_t v) {
    hid_t ds = H5Dopen2(file, column, H5P_DEFAULT), sp = H5Dget_space(ds);
    hsize_t start[1] = {(hsize_t)row}, one[1] = {1};
    H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, one, NULL);
    hid_t mem = H5Screate_simple(1, one, NULL);
    RB_EXPECT(H5Dwrite(ds, H5T_NATIVE_INT32, mem, sp, H5P_DEFAULT, &v) >= 0);
    H5Sclose(mem);
    H5Sclose(sp);
    H5Dclose(ds);
}

/* Overwrite row 0 of a fixed-length string column with text (no longer than its width). */
static void rb_set_first_string(hid_t file, const char *column, const char *text) {
    hid_t ds = H5Dopen2(file, column, H5P_DEFAULT), ft = H5Dget_type(ds), sp = H5Dget_space(ds);
    size_t w = H5Tget_size(ft);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(sp, &n, NULL);
    char *buf = calloc(n, w);
    RB_EXPECT(buf && strlen(text) <= w && H5Dread(ds, ft, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    memset(buf, 0, w);
    memcpy(buf, text, strlen(text));
    RB_EXPECT(H5Dwrite(ds, ft, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    free(buf);
    H5Sclose(sp);
    H5Tclose(ft);
    H5Dclose(ds);
}

/* Some listed line of chk contains every one of the given substrings. */
static int rb_listed(const rb_results_check *chk, const char *a, const char *b) {
    for (int i = 0; i < chk->n_listed; i++)
        if (strstr(chk->lines[i], a) && (!b || strstr(chk->lines[i], b))) return 1;
    return 0;
}

RB_TEST_MPI(results_check_as_written_is_consistent) {
    char path[600];
    rb_results r;
    RB_EXPECT_OK(rb_check_fixture("check-ok.h5", path, sizeof path, &r));
    rb_results_check chk;
    RB_EXPECT_OK(rb_results_check_file(path, &chk));
    RB_EXPECT_MSG(chk.n_problems == 0, "%lld problems, first: %s", (long long)chk.n_problems, chk.lines[0]);
    RB_EXPECT(chk.keys_ok);
    RB_EXPECT_INT(chk.n_digests, RB_DIGESTS_NO_BOOT);
    RB_EXPECT_INT(chk.digests_matching, RB_DIGESTS_NO_BOOT);
    RB_EXPECT_INT((int)chk.conds, N_CONDS);
    RB_EXPECT_INT((int)chk.cells, N_CONDS * N_METHODS);
    RB_EXPECT_INT((int)chk.replicas, N_CONDS * N_METHODS * N_REPLICAS);
    RB_EXPECT_OK(rb_results_require_consistent(path));
    rb_results_free(&r);
}

RB_TEST_MPI(results_reader_places_replicas_by_key) {
    char path[600];
    rb_results r, back;
    RB_EXPECT_OK(rb_check_fixture("check-order.h5", path, sizeof path, &r));
    /* exchange two whole /replicas rows (every key and metric column): same content, other order */
    int i = rb_replica_row(0, 1, 2), j = rb_replica_row(2, 0, 1);
    hid_t f;
    RB_EXPECT_OK(rb_h5_open_rw(path, &f));
    static const char *const cols[] = {"dataset", "corruption", "modality", "severity", "method", "replica",
                                       "ap", "ap_step", "roc_auc"};
    for (size_t q = 0; q < sizeof cols / sizeof cols[0]; q++) {
        char name[64];
        snprintf(name, sizeof name, "replicas/%s", cols[q]);
        rb_swap_rows(f, name, i, j);
    }
    H5Fclose(f);
    RB_EXPECT_OK(rb_results_read(path, &back));
    for (int64_t s = 0; s < (int64_t)N_CONDS * N_METHODS * N_REPLICAS; s++) {
        RB_EXPECT_MSG(back.ap[s] == r.ap[s] && back.ap_step[s] == r.ap_step[s] && back.roc_auc[s] == r.roc_auc[s],
                      "slot %lld read %.17g, written %.17g", (long long)s, back.ap[s], r.ap[s]);
    }
    /* consistent by key; only the digests of the reordered columns tell that the file was edited */
    rb_results_check chk;
    RB_EXPECT_OK(rb_results_check_file(path, &chk));
    RB_EXPECT(chk.keys_ok);
    RB_EXPECT(!rb_listed(&chk, "MISMATCH", NULL));
    RB_EXPECT(rb_listed(&chk, "DIGEST /replicas/ap:", "changed after it was written"));
    RB_EXPECT(rb_listed(&chk, "DIGEST /replicas/method:", NULL));
    RB_EXPECT(!rb_listed(&chk, "DIGEST /cells", NULL));
    rb_results_free(&back);
    rb_results_free(&r);
}

RB_TEST_MPI(results_check_detects_an_edited_cell) {
    char path[600];
    rb_results r;
    RB_EXPECT_OK(rb_check_fixture("check-cell.h5", path, sizeof path, &r));
    hid_t f;
    RB_EXPECT_OK(rb_h5_open_rw(path, &f));
    rb_set_f64(f, "cells/ap", 3, 0.999); /* condition 1 (fog), method 1 (shared-dyn) */
    H5Fclose(f);
    rb_results_check chk;
    RB_EXPECT_OK(rb_results_check_file(path, &chk));
    RB_EXPECT_INT((int)chk.n_problems, 2);
    double mean, sd;
    rb_results_mean_sd(&r, r.ap, 1, 1, &mean, &sd);
    char want[64];
    snprintf(want, sizeof want, "is %.17g", mean);
    RB_EXPECT_MSG(rb_listed(&chk, "MISMATCH /cells/ap at (xdv-like, fog, visual, 3, shared-dyn): stored 0.999", want),
                  "got: %s", chk.lines[0]);
    RB_EXPECT(rb_listed(&chk, "DIGEST /cells/ap:", NULL));
    RB_EXPECT_ERR(rb_results_require_consistent(path), "is inconsistent (2 problems; first: DIGEST /cells/ap");
    /* audit against the untouched values: the replicas agree, the file itself does not */
    char clean[600];
    rb_results r2;
    RB_EXPECT_OK(rb_check_fixture("check-cell-ref.h5", clean, sizeof clean, &r2));
    rb_audit_options o;
    rb_audit_defaults(&o, 0);
    rb_audit_report rep;
    RB_EXPECT_OK(rb_audit_files(clean, path, &o, &rep));
    RB_EXPECT(!rep.match);
    RB_EXPECT_INT((int)rep.cells_beyond, 0);
    RB_EXPECT_INT((int)rep.check[1].n_problems, 2);
    rb_audit_report_free(&rep);
    RB_EXPECT_OK(rb_audit_files(clean, clean, &o, &rep));
    RB_EXPECT(rep.match);
    rb_audit_report_free(&rep);
    rb_results_free(&r2);
    rb_results_free(&r);
}

RB_TEST_MPI(results_check_detects_swapped_method_labels) {
    char path[600];
    rb_results r;
    RB_EXPECT_OK(rb_check_fixture("check-labels.h5", path, sizeof path, &r));
    hid_t f;
    RB_EXPECT_OK(rb_h5_open_rw(path, &f));
    rb_swap_rows(f, "replicas/method", rb_replica_row(1, 0, 0), rb_replica_row(1, 1, 0));
    H5Fclose(f);
    rb_results_check chk;
    RB_EXPECT_OK(rb_results_check_file(path, &chk));
    RB_EXPECT(chk.keys_ok); /* still unique and complete: only the values moved */
    RB_EXPECT(rb_listed(&chk, "MISMATCH /cells/ap at (xdv-like, fog, visual, 3, concat)", NULL));
    RB_EXPECT(rb_listed(&chk, "MISMATCH /cells/ap at (xdv-like, fog, visual, 3, shared-dyn)", NULL));
    RB_EXPECT(rb_listed(&chk, "DIGEST /replicas/method:", NULL));
    /* the reader follows the keys: the two replica values are exchanged in memory */
    rb_results back;
    RB_EXPECT_OK(rb_results_read(path, &back));
    RB_EXPECT(back.ap[rb_results_at(&r, 1, 0, 0)] == r.ap[rb_results_at(&r, 1, 1, 0)]);
    RB_EXPECT(back.ap[rb_results_at(&r, 1, 1, 0)] == r.ap[rb_results_at(&r, 1, 0, 0)]);
    rb_results_free(&back);
    rb_results_free(&r);
}

RB_TEST_MPI(results_check_reports_duplicate_and_missing_keys) {
    char path[600];
    rb_results r;
    RB_EXPECT_OK(rb_check_fixture("check-dup.h5", path, sizeof path, &r));
    hid_t f;
    RB_EXPECT_OK(rb_h5_open_rw(path, &f));
    rb_set_i32(f, "replicas/replica", rb_replica_row(2, 1, 2), 0); /* replica 2 becomes a second replica 0 */
    rb_set_i32(f, "cells/severity", 0, 4);                           /* a /cells row naming no condition */
    H5Fclose(f);
    rb_results_check chk;
    RB_EXPECT_OK(rb_results_check_file(path, &chk));
    RB_EXPECT(!chk.keys_ok);
    RB_EXPECT(rb_listed(&chk, "DUPLICATE /replicas key (xdv-like, reverb, audio, 3, shared-dyn, replica 0)", NULL));
    RB_EXPECT(rb_listed(&chk, "MISSING /replicas key (xdv-like, reverb, audio, 3, shared-dyn, replica 2)", NULL));
    RB_EXPECT(rb_listed(&chk, "UNKNOWN /cells row 0: (xdv-like, clean, none, 4, concat)", NULL));
    RB_EXPECT(rb_listed(&chk, "MISSING /cells key (xdv-like, clean, none, 0, concat)", NULL));
    rb_results back;
    RB_EXPECT_ERR(rb_results_read(path, &back), "keys are inconsistent");
    rb_audit_options o;
    rb_audit_defaults(&o, 0);
    rb_audit_report rep;
    RB_EXPECT_OK(rb_audit_files(path, path, &o, &rep));
    RB_EXPECT(!rep.match);
    rb_audit_report_free(&rep);
    rb_results_free(&r);
}

RB_TEST_MPI(results_check_digest_names_stay_inside_the_file) {
    char path[600];
    rb_results r;
    RB_EXPECT_OK(rb_check_fixture("check-digest-name.h5", path, sizeof path, &r));
    hid_t f;
    RB_EXPECT_OK(rb_h5_open_rw(path, &f));
    rb_set_first_string(f, "digests/column", "cells/../cells/ap");
    H5Fclose(f);
    rb_results_check chk;
    RB_EXPECT_OK(rb_results_check_file(path, &chk));
    RB_EXPECT_INT((int)chk.n_problems, 1);
    RB_EXPECT(rb_listed(&chk, "DIGEST /cells/../cells/ap: the column cannot be read", "'..' component"));
    RB_EXPECT_INT(chk.digests_matching, RB_DIGESTS_NO_BOOT - 1);
    rb_results_free(&r);
}

/* Set element i (row-major) of a numeric dataset of any rank, as an edit with h5py would. */
static void rb_set_element(hid_t file, const char *column, hssize_t i, double v) {
    hid_t ds = H5Dopen2(file, column, H5P_DEFAULT), sp = H5Dget_space(ds);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    double *buf = malloc(sizeof *buf * (size_t)n);
    RB_EXPECT(buf && i < n && H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    buf[i] = v;
    RB_EXPECT(H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    free(buf);
    H5Sclose(sp);
    H5Dclose(ds);
}

RB_TEST_MPI(results_check_covers_bootstrap_and_condition_columns) {
    char path[600];
    rb_results r;
    RB_EXPECT_OK(rb_check_fixture_boot("check-boot.h5", path, sizeof path, &r, 20));
    rb_results_check chk;
    RB_EXPECT_OK(rb_results_check_file(path, &chk));
    RB_EXPECT_MSG(chk.n_problems == 0, "%lld problems, first: %s", (long long)chk.n_problems, chk.lines[0]);
    RB_EXPECT_INT(chk.n_digests, RB_DIGESTS_BOOT);
    RB_EXPECT_INT(chk.digests_matching, RB_DIGESTS_BOOT);
    /* one value changed in each newer column a reader reads */
    char diag[80];
    snprintf(diag, sizeof diag, "conditions/%s_audio", rb_weight_diag_name(RB_DIAG_COUNT - 1));
    const char *const edited[] = {"bootstrap/values", "conditions/positive_fraction", diag, "conditions/oracle_gap_ap_step",
                                  "cells/roc_auc_hi", "comparisons/diff", "summaries/value"};
    const int n_edited = (int)(sizeof edited / sizeof edited[0]);
    hid_t f;
    RB_EXPECT_OK(rb_h5_open_rw(path, &f));
    for (int e = 0; e < n_edited; e++) rb_set_element(f, edited[e], e == 0 ? 1 * 3 * 20 + 2 * 20 + 7 : 1, 0.123456);
    H5Fclose(f);
    RB_EXPECT_OK(rb_results_check_file(path, &chk));
    RB_EXPECT_INT((int)chk.n_problems, n_edited); /* the digests only: /cells ap ... still agree with /replicas */
    RB_EXPECT_INT(chk.digests_matching, RB_DIGESTS_BOOT - n_edited);
    for (int e = 0; e < n_edited; e++) {
        char want[100];
        snprintf(want, sizeof want, "DIGEST /%s:", edited[e]);
        RB_EXPECT_MSG(rb_listed(&chk, want, "changed after it was written"), "no line for %s", edited[e]);
    }
    RB_EXPECT_ERR(rb_results_require_consistent(path), "is inconsistent (7 problems; first: DIGEST /");
    rb_results_free(&r);
}

RB_TEST_MPI(results_check_accepts_digests_from_before_the_new_columns) {
    /* a file written before positive_fraction, the diagnostics and the bootstrap digests existed:
     * those columns absent, /digests listing only the 31 base columns */
    char path[600];
    rb_results r;
    RB_EXPECT_OK(rb_check_fixture("check-old.h5", path, sizeof path, &r));
    hid_t f;
    RB_EXPECT_OK(rb_h5_open_rw(path, &f));
    char **cols = NULL, **sha = NULL;
    RB_EXPECT_OK(rb_h5_read_strings(f, "digests/column", RB_DIGESTS_NO_BOOT, &cols, "test"));
    RB_EXPECT_OK(rb_h5_read_strings(f, "digests/sha256", RB_DIGESTS_NO_BOOT, &sha, "test"));
    RB_EXPECT(H5Ldelete(f, "digests", H5P_DEFAULT) >= 0);
    RB_EXPECT(H5Ldelete(f, "conditions/positive_fraction", H5P_DEFAULT) >= 0);
    hid_t g;
    RB_EXPECT_OK(rb_h5_group(f, "digests", &g));
    RB_EXPECT_OK(rb_h5_write_strings(g, "column", cols, 31));
    RB_EXPECT_OK(rb_h5_write_strings(g, "sha256", sha, 31));
    H5Gclose(g);
    H5Fclose(f);
    RB_EXPECT(strcmp(cols[30], "replicas/roc_auc") == 0 && strcmp(cols[31], "conditions/positive_fraction") == 0);
    for (int i = 0; i < RB_DIGESTS_NO_BOOT; i++) {
        free(cols[i]);
        free(sha[i]);
    }
    free(cols);
    free(sha);
    rb_results_check chk;
    RB_EXPECT_OK(rb_results_check_file(path, &chk));
    RB_EXPECT_MSG(chk.n_problems == 0, "%lld problems, first: %s", (long long)chk.n_problems, chk.lines[0]);
    RB_EXPECT_INT(chk.n_digests, 31);
    RB_EXPECT_INT(chk.digests_matching, 31);
    rb_results back;
    RB_EXPECT_OK(rb_results_read(path, &back));
    RB_EXPECT(isnan(back.conds[0].positive_fraction));
    rb_results_free(&back);
    rb_results_free(&r);
}

RB_TEST_MPI(results_audit_compares_the_newer_condition_columns_by_key) {
    char pa[600], pb[600], pold[600];
    rb_results r;
    RB_EXPECT_OK(rb_check_fixture("audit-new-a.h5", pa, sizeof pa, &r));
    /* B: the same results but one diagnostic and one oracle gap of condition 2 changed */
    const double diag_a = r.conds[2].diag[1][3], gap_a = r.conds[2].oracle_gap[1];
    r.conds[2].diag[1][3] = diag_a + 0.5;
    r.conds[2].oracle_gap[1] = gap_a + 1e-9;
    snprintf(pb, sizeof pb, "%s/audit-new-b.h5", rb_test_tmpdir());
    int owner[N_CONDS] = {0};
    RB_EXPECT_OK(rb_results_write(pb, &r, owner, MPI_COMM_WORLD, NULL, NULL, 0, NULL, NULL));
    rb_audit_options o;
    rb_audit_defaults(&o, 0);
    rb_audit_report rep;
    RB_EXPECT_OK(rb_audit_files(pa, pb, &o, &rep));
    RB_EXPECT(!rep.match);
    RB_EXPECT_INT((int)rep.compared[RB_AUDIT_POSITIVE_FRACTION], N_CONDS);
    RB_EXPECT_INT((int)rep.compared[RB_AUDIT_DIAGNOSTIC], N_CONDS * 2 * RB_DIAG_COUNT);
    RB_EXPECT_INT((int)rep.compared[RB_AUDIT_ORACLE_GAP], N_CONDS * 3);
    RB_EXPECT_INT((int)rep.beyond[RB_AUDIT_POSITIVE_FRACTION], 0);
    RB_EXPECT_INT((int)rep.beyond[RB_AUDIT_DIAGNOSTIC], 1);
    RB_EXPECT_INT((int)rep.beyond[RB_AUDIT_ORACLE_GAP], 1);
    RB_EXPECT_INT((int)rep.conds_beyond, 1);
    RB_EXPECT_INT((int)rep.cells_beyond, 0);
    char want[120];
    snprintf(want, sizeof want, "xdv-like/audio.reverb/s3 [%s_audio]", rb_weight_diag_name(3));
    int found = 0;
    for (int64_t i = 0; i < rep.n_diffs; i++)
        if (strcmp(rep.diffs[i].key, want) == 0 && rep.diffs[i].metric == RB_AUDIT_DIAGNOSTIC) {
            found = 1;
            RB_EXPECT(rep.diffs[i].a == diag_a && rep.diffs[i].b == diag_a + 0.5);
        }
    RB_EXPECT_MSG(found, "no difference keyed %s", want);
    rb_audit_report_free(&rep);
    /* a tolerance per column family: the oracle gap's 1e-9 passes, the diagnostic's 0.5 does not */
    RB_EXPECT_OK(rb_audit_parse_tolerances(&o, "oracle_gap=1e-6"));
    RB_EXPECT_OK(rb_audit_files(pa, pb, &o, &rep));
    RB_EXPECT_INT((int)rep.beyond[RB_AUDIT_ORACLE_GAP], 0);
    RB_EXPECT_INT((int)rep.beyond[RB_AUDIT_DIAGNOSTIC], 1);
    rb_audit_report_free(&rep);
    /* a file without positive_fraction (written before it): that column is not compared, the rest is */
    RB_EXPECT_OK(rb_check_fixture("audit-new-old.h5", pold, sizeof pold, &r));
    hid_t f;
    RB_EXPECT_OK(rb_h5_open_rw(pold, &f));
    RB_EXPECT(H5Ldelete(f, "conditions/positive_fraction", H5P_DEFAULT) >= 0);
    RB_EXPECT(H5Ldelete(f, "digests", H5P_DEFAULT) >= 0); /* as a file from before the digests */
    H5Fclose(f);
    rb_audit_defaults(&o, 0);
    RB_EXPECT_OK(rb_audit_files(pa, pold, &o, &rep));
    RB_EXPECT_INT((int)rep.compared[RB_AUDIT_POSITIVE_FRACTION], 0);
    RB_EXPECT_INT((int)rep.compared[RB_AUDIT_DIAGNOSTIC], N_CONDS * 2 * RB_DIAG_COUNT);
    RB_EXPECT_MSG(rep.match, "%lld differences", (long long)rep.n_fail);
    rb_audit_report_free(&rep);
    rb_results_free(&r);
}

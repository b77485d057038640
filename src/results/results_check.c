/* results_check.c - the internal consistency of one results file (rb_results.h, docs/audit.md
 * "audit --check"): /replicas placed by key (also what the reader uses), /cells matched by key and
 * compared bitwise with the mean and sample sd of its replicas, duplicate, unknown and missing keys
 * in every table, and the stored /digests compared with the file's columns (results_digest.c). */
#include "rb_results.h"
#include "rb_core.h"
#include "rb_io.h"
#include "results_check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rb_check_add(rb_results_check *chk, const char *fmt, ...) {
    if (chk->n_listed < RB_CHECK_MAX_LISTED) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(chk->lines[chk->n_listed], sizeof chk->lines[0], fmt, ap);
        va_end(ap);
        chk->n_listed++;
    }
    chk->n_problems++;
}

/* ---- condition keys: (dataset, corruption, modality, severity) -> condition index ---- */

typedef struct {
    char key[300];
    int index;
} rb_keyed;

static void rb_cond_key(const char *dataset, const char *corruption, const char *modality, int severity, char *buf,
                        size_t cap) {
    snprintf(buf, cap, "%s\x1f%s\x1f%s\x1f%d", dataset, corruption, modality, severity);
}

static int rb_keyed_cmp(const void *x, const void *y) {
    const rb_keyed *a = x, *b = y;
    int c = strcmp(a->key, b->key);
    return c ? c : (a->index > b->index) - (a->index < b->index);
}

/* Sorted keys of r's conditions; a duplicate key is a problem. */
static rb_keyed *rb_cond_index(const rb_results *r, rb_results_check *chk) {
    rb_keyed *k = rb_calloc((size_t)(r->n_conds ? r->n_conds : 1), sizeof *k, "condition keys");
    if (!k) return NULL;
    for (int c = 0; c < r->n_conds; c++) {
        const rb_result_cond *co = &r->conds[c];
        rb_cond_key(co->dataset, co->corruption, co->modality, co->severity, k[c].key, sizeof k[c].key);
        k[c].index = c;
    }
    qsort(k, (size_t)r->n_conds, sizeof *k, rb_keyed_cmp);
    for (int c = 1; c < r->n_conds; c++)
        if (strcmp(k[c].key, k[c - 1].key) == 0) {
            const rb_result_cond *co = &r->conds[k[c].index];
            rb_check_add(chk, "DUPLICATE /conditions key (%s, %s, %s, %d) at rows %d and %d", co->dataset,
                         co->corruption, co->modality, (int)co->severity, k[c - 1].index, k[c].index);
            chk->keys_ok = 0;
        }
    return k;
}

static int rb_cond_lookup(const rb_keyed *k, int n, const char *key) {
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = strcmp(k[mid].key, key);
        if (c == 0) return k[mid].index;
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

/* ---- the key and metric columns of one table ---- */

typedef struct {
    int64_t n;
    char **dataset, **corruption, **modality, **method; /* method: NULL for /conditions */
    int32_t *severity, *replica, *n_replicas;           /* replica: /replicas; n_replicas: /cells */
    double *metric[6];                                  /* ap, ap_step, roc_auc[, ap_sd, ap_step_sd, roc_auc_sd] */
} rb_table;

static void rb_strings_free(char **s, int64_t n) {
    for (int64_t i = 0; s && i < n; i++) free(s[i]);
    free(s);
}

static void rb_table_free(rb_table *t) {
    rb_strings_free(t->dataset, t->n);
    rb_strings_free(t->corruption, t->n);
    rb_strings_free(t->modality, t->n);
    rb_strings_free(t->method, t->n);
    free(t->severity);
    free(t->replica);
    free(t->n_replicas);
    for (int q = 0; q < 6; q++) free(t->metric[q]);
    memset(t, 0, sizeof *t);
}

static int rb_read_i32(hid_t g, const char *name, int64_t n, int32_t **out, const char *what) {
    hsize_t d[1];
    RB_TRY(rb_h5_read(g, name, RB_H5_I32, 1, d, (void **)out, what));
    if ((int64_t)d[0] != n) return rb_fail("%s: %s has %llu rows, expected %lld", what, name, (unsigned long long)d[0], (long long)n);
    return RB_OK;
}

static int rb_read_f64(hid_t g, const char *name, int64_t n, double **out, const char *what) {
    hsize_t d[1];
    RB_TRY(rb_h5_read(g, name, RB_H5_F64, 1, d, (void **)out, what));
    if ((int64_t)d[0] != n) return rb_fail("%s: %s has %llu rows, expected %lld", what, name, (unsigned long long)d[0], (long long)n);
    return RB_OK;
}

/* Read group ("cells" or "replicas") of file: keys, and n_metrics metric columns. */
static int rb_table_read(hid_t file, const char *group, int n_metrics, rb_table *t, const char *path) {
    static const char *const mnames[6] = {"ap", "ap_step", "roc_auc", "ap_sd", "ap_step_sd", "roc_auc_sd"};
    memset(t, 0, sizeof *t);
    char what[4200], name[64];
    snprintf(what, sizeof what, "%s: /%s", path, group);
    snprintf(name, sizeof name, "%s/dataset", group);
    if (!rb_h5_exists(file, name)) return rb_fail("%s is missing or has no dataset column", what);
    hid_t g = H5Gopen2(file, group, H5P_DEFAULT);
    if (g < 0) return rb_fail("%s: cannot open", what);
    hid_t ds = H5Dopen2(g, "dataset", H5P_DEFAULT);
    hid_t sp = ds >= 0 ? H5Dget_space(ds) : -1;
    hsize_t d[1] = {0};
    if (sp >= 0 && H5Sget_simple_extent_ndims(sp) == 1) H5Sget_simple_extent_dims(sp, d, NULL);
    if (sp >= 0) H5Sclose(sp);
    if (ds >= 0) H5Dclose(ds);
    t->n = (int64_t)d[0];
    int rc = rb_h5_read_strings(g, "dataset", t->n, &t->dataset, what);
    if (rc == RB_OK) rc = rb_h5_read_strings(g, "corruption", t->n, &t->corruption, what);
    if (rc == RB_OK) rc = rb_h5_read_strings(g, "modality", t->n, &t->modality, what);
    if (rc == RB_OK) rc = rb_h5_read_strings(g, "method", t->n, &t->method, what);
    if (rc == RB_OK) rc = rb_read_i32(g, "severity", t->n, &t->severity, what);
    if (rc == RB_OK && strcmp(group, "replicas") == 0) rc = rb_read_i32(g, "replica", t->n, &t->replica, what);
    if (rc == RB_OK && strcmp(group, "cells") == 0) rc = rb_read_i32(g, "n_replicas", t->n, &t->n_replicas, what);
    for (int q = 0; rc == RB_OK && q < n_metrics; q++) rc = rb_read_f64(g, mnames[q], t->n, &t->metric[q], what);
    H5Gclose(g);
    if (rc != RB_OK) rb_table_free(t);
    return rc;
}

/* Condition and method of row i of t, or -1 (a problem is recorded). */
static int rb_row_cond(const rb_table *t, int64_t i, const rb_keyed *idx, const rb_results *r, const char *table,
                       int *method, rb_results_check *chk) {
    char key[300];
    rb_cond_key(t->dataset[i], t->corruption[i], t->modality[i], t->severity[i], key, sizeof key);
    int c = rb_cond_lookup(idx, r->n_conds, key);
    *method = rb_results_method(r, t->method[i]);
    if (c < 0 || *method < 0) {
        rb_check_add(chk, "UNKNOWN /%s row %lld: (%s, %s, %s, %d, %s) names %s", table, (long long)i, t->dataset[i],
                     t->corruption[i], t->modality[i], (int)t->severity[i], t->method[i],
                     c < 0 ? "no condition of /conditions" : "no method of the methods attribute");
        return -1;
    }
    return c;
}

static void rb_slot_name(const rb_results *r, int c, int k, char *buf, size_t cap) {
    const rb_result_cond *co = &r->conds[c];
    snprintf(buf, cap, "%s, %s, %s, %d, %s", co->dataset, co->corruption, co->modality, (int)co->severity, r->methods[k]);
}

int rb_results_fill_replicas(hid_t file, rb_results *r, const char *path, rb_results_check *chk) {
    chk->keys_ok = 1;
    rb_keyed *idx = rb_cond_index(r, chk);
    if (!idx) return RB_ERR;
    rb_table t;
    if (rb_table_read(file, "replicas", 3, &t, path) != RB_OK) {
        free(idx);
        return RB_ERR;
    }
    chk->replicas = t.n;
    const int M = r->n_methods, R = r->n_replicas;
    int64_t n_slots = (int64_t)r->n_conds * M * R;
    char *filled = rb_calloc((size_t)(n_slots ? n_slots : 1), 1, "replica slots");
    double *dst[3] = {r->ap, r->ap_step, r->roc_auc};
    for (int64_t i = 0; filled && i < t.n; i++) {
        int k, c = rb_row_cond(&t, i, idx, r, "replicas", &k, chk);
        if (c < 0) {
            chk->keys_ok = 0;
            continue;
        }
        char name[300];
        rb_slot_name(r, c, k, name, sizeof name);
        if (t.replica[i] < 0 || t.replica[i] >= R) {
            rb_check_add(chk, "UNKNOWN /replicas row %lld: (%s) replica %d is outside 0..%d", (long long)i, name,
                         (int)t.replica[i], R - 1);
            chk->keys_ok = 0;
            continue;
        }
        int64_t s = rb_results_at(r, c, k, t.replica[i]);
        if (filled[s]) {
            rb_check_add(chk, "DUPLICATE /replicas key (%s, replica %d) at row %lld", name, (int)t.replica[i], (long long)i);
            chk->keys_ok = 0;
            continue;
        }
        filled[s] = 1;
        for (int q = 0; q < 3; q++) dst[q][s] = t.metric[q][i];
    }
    for (int c = 0; filled && c < r->n_conds; c++)
        for (int k = 0; k < M; k++)
            for (int rep = 0; rep < R; rep++)
                if (!filled[rb_results_at(r, c, k, rep)]) {
                    char name[300];
                    rb_slot_name(r, c, k, name, sizeof name);
                    rb_check_add(chk, "MISSING /replicas key (%s, replica %d)", name, rep);
                    chk->keys_ok = 0;
                }
    int rc = filled ? RB_OK : RB_ERR;
    free(filled);
    free(idx);
    rb_table_free(&t);
    return rc;
}

/* Same float64 bits, or both NaN. */
static int rb_same_value(double a, double b) {
    if (isnan(a) && isnan(b)) return 1;
    return memcmp(&a, &b, sizeof a) == 0;
}

/* /cells by key: every (condition, method) once, its values the mean and sd of its replicas. */
static int rb_check_cells(hid_t file, const rb_results *r, const char *path, rb_results_check *chk) {
    static const char *const mnames[6] = {"ap", "ap_step", "roc_auc", "ap_sd", "ap_step_sd", "roc_auc_sd"};
    rb_results_check scratch = {0}; /* duplicate /conditions keys are reported by the replica pass */
    rb_keyed *idx = rb_cond_index(r, &scratch);
    if (!idx) return RB_ERR;
    rb_table t;
    if (rb_table_read(file, "cells", 6, &t, path) != RB_OK) {
        free(idx);
        return RB_ERR;
    }
    chk->cells = t.n;
    const int M = r->n_methods;
    size_t n_slots = (size_t)r->n_conds * (size_t)M;
    char *seen = rb_calloc(n_slots ? n_slots : 1, 1, "cell slots");
    const double *metric[3] = {r->ap, r->ap_step, r->roc_auc};
    for (int64_t i = 0; seen && i < t.n; i++) {
        int k, c = rb_row_cond(&t, i, idx, r, "cells", &k, chk);
        if (c < 0) continue;
        char name[300];
        rb_slot_name(r, c, k, name, sizeof name);
        if (seen[c * M + k]) {
            rb_check_add(chk, "DUPLICATE /cells key (%s) at row %lld", name, (long long)i);
            continue;
        }
        seen[c * M + k] = 1;
        if (t.n_replicas[i] != r->n_replicas)
            rb_check_add(chk, "MISMATCH /cells/n_replicas at (%s): stored %d, the file has %d replicas", name,
                         (int)t.n_replicas[i], r->n_replicas);
        if (!chk->keys_ok) continue; /* the replicas themselves are not all known: no recomputation */
        for (int q = 0; q < 6; q++) {
            double mean, sd;
            rb_results_mean_sd(r, metric[q % 3], c, k, &mean, &sd);
            double want = q < 3 ? mean : sd;
            if (!rb_same_value(t.metric[q][i], want))
                rb_check_add(chk, "MISMATCH /cells/%s at (%s): stored %.17g, the %s of its %d /replicas rows is %.17g",
                             mnames[q], name, t.metric[q][i], q < 3 ? "mean" : "sample sd", r->n_replicas, want);
        }
    }
    for (int c = 0; seen && c < r->n_conds; c++)
        for (int k = 0; k < M; k++)
            if (!seen[c * M + k]) {
                char name[300];
                rb_slot_name(r, c, k, name, sizeof name);
                rb_check_add(chk, "MISSING /cells key (%s)", name);
            }
    int rc = seen ? RB_OK : RB_ERR;
    free(seen);
    free(idx);
    rb_table_free(&t);
    return rc;
}

/* /digests: each stored SHA-256 against the column as it is now. */
static int rb_check_digests(hid_t file, const char *path, rb_results_check *chk) {
    if (!rb_h5_exists(file, "digests/column")) return RB_OK; /* a file written before digests were stored */
    hid_t g = H5Gopen2(file, "digests", H5P_DEFAULT);
    if (g < 0) return rb_fail("%s: cannot open /digests", path);
    hid_t ds = H5Dopen2(g, "column", H5P_DEFAULT);
    hid_t sp = ds >= 0 ? H5Dget_space(ds) : -1;
    hsize_t d[1] = {0};
    if (sp >= 0 && H5Sget_simple_extent_ndims(sp) == 1) H5Sget_simple_extent_dims(sp, d, NULL);
    if (sp >= 0) H5Sclose(sp);
    if (ds >= 0) H5Dclose(ds);
    int64_t n = (int64_t)d[0];
    char **cols = NULL, **sha = NULL, what[4200];
    snprintf(what, sizeof what, "%s: /digests", path);
    int rc = rb_h5_read_strings(g, "column", n, &cols, what);
    if (rc == RB_OK) rc = rb_h5_read_strings(g, "sha256", n, &sha, what);
    H5Gclose(g);
    for (int64_t i = 0; rc == RB_OK && i < n; i++) {
        chk->n_digests++;
        char hex[65];
        /* the column names come from the file itself: each must stay a path under the file's root */
        if (rb_check_relative_path("/digests column", cols[i]) != RB_OK ||
            rb_digest_file_column(file, cols[i], hex, path) != RB_OK) {
            rb_check_add(chk, "DIGEST /%s: the column cannot be read (%s)", cols[i], rb_error_message());
            continue;
        }
        if (strcmp(hex, sha[i]) == 0) chk->digests_matching++;
        else
            rb_check_add(chk, "DIGEST /%s: stored sha256 %.16s..., the column now gives %.16s...: changed after it was written",
                         cols[i], sha[i], hex);
    }
    rb_strings_free(cols, n);
    rb_strings_free(sha, n);
    return rc;
}

int rb_results_check_file(const char *path, rb_results_check *chk) {
    memset(chk, 0, sizeof *chk);
    rb_results r;
    RB_TRY(rb_results_load(path, &r, chk));
    chk->conds = r.n_conds;
    hid_t file;
    int rc = rb_h5_open_read(path, MPI_COMM_NULL, &file);
    if (rc == RB_OK) {
        /* digests first: a few lines that name every edited column, before the per-cell lines */
        rc = rb_check_digests(file, path, chk);
        if (rc == RB_OK) rc = rb_check_cells(file, &r, path, chk);
        H5Fclose(file);
    }
    rb_results_free(&r);
    return rc;
}

void rb_results_check_print(const rb_results_check *chk, const char *path, FILE *out) {
    fprintf(out, "check: %s: %lld conditions, %lld cells, %lld replica rows; ", path, (long long)chk->conds,
            (long long)chk->cells, (long long)chk->replicas);
    if (chk->n_digests) fprintf(out, "digests: %d of %d match\n", chk->digests_matching, chk->n_digests);
    else fprintf(out, "no /digests stored (a file from before digests; values checked against /replicas only)\n");
    for (int i = 0; i < chk->n_listed; i++) fprintf(out, "  %s\n", chk->lines[i]);
    if (chk->n_problems > chk->n_listed)
        fprintf(out, "  ... and %lld more\n", (long long)(chk->n_problems - chk->n_listed));
    if (chk->n_problems) fprintf(out, "check: INCONSISTENT (%lld problems)\n", (long long)chk->n_problems);
    else fprintf(out, "check: CONSISTENT\n");
}

int rb_results_require_consistent(const char *path) {
    rb_results_check *chk = rb_malloc(sizeof *chk, "consistency check");
    if (!chk) return RB_ERR;
    int rc = rb_results_check_file(path, chk);
    if (rc == RB_OK && chk->n_problems)
        rc = rb_fail("%s is inconsistent (%lld problem%s; first: %s); run robusta audit --check %s", path,
                     (long long)chk->n_problems, chk->n_problems == 1 ? "" : "s", chk->lines[0], path);
    free(chk);
    return rc;
}

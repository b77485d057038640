/* results_boot_file.c - the bootstrap part of results.h5 (docs/formats.md "Results file"): the root
 * attributes n_boot, confidence and baseline, the interval columns of /cells, the per-resample
 * values (/bootstrap/values), the paired differences (/comparisons) and the robustness summaries
 * (/summaries); read back, only the values are needed (intervals, comparisons and summaries are
 * recomputed from them, bitwise as written). The same code gives /digests the digests of these
 * columns (rb_results_boot_digests: the columns built as for writing, hashed instead). Every function here is collective when the file is
 * parallel: each rank holds the same r, rank 0 writes. */
#include "results_boot_file.h"
#include "rb_core.h"
#include "rb_io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const rb_metric_names[3] = {"ap", "ap_step", "roc_auc"};

/* Where a table's columns go: written into group g, or (d non-NULL) only their digests added to d
 * as "<group>/<name>", so /digests covers exactly the values the writer writes. */
typedef struct {
    hid_t g;
    const char *group;
    rb_digest_set *d;
} rb_col_sink;

static void rb_sink_column(const rb_col_sink *k, const char *name, char *col, size_t cap) {
    snprintf(col, cap, "%s/%s", k->group, name);
}

static int rb_sink_strings(const rb_col_sink *k, const char *name, char **v, int64_t n) {
    char col[64];
    rb_sink_column(k, name, col, sizeof col);
    return k->d ? rb_digest_add_strings(k->d, col, v, n) : rb_h5_write_strings(k->g, name, v, n);
}

static int rb_sink_f64(const rb_col_sink *k, const char *name, const double *v, int64_t n) {
    char col[64];
    rb_sink_column(k, name, col, sizeof col);
    hsize_t d[1] = {(hsize_t)n};
    return k->d ? rb_digest_add_f64(k->d, col, v, n) : rb_h5_write(k->g, name, RB_H5_F64, 1, d, v);
}

static int rb_sink_i32(const rb_col_sink *k, const char *name, const int32_t *v, int64_t n) {
    char col[64];
    rb_sink_column(k, name, col, sizeof col);
    hsize_t d[1] = {(hsize_t)n};
    return k->d ? rb_digest_add_i32(k->d, col, v, n) : rb_h5_write(k->g, name, RB_H5_I32, 1, d, v);
}

/* A group of file for a table: created when writing, nothing when only digesting. */
static int rb_sink_open(hid_t file, const char *group, rb_digest_set *d, rb_col_sink *k) {
    k->g = -1;
    k->group = group;
    k->d = d;
    return d ? RB_OK : rb_h5_group(file, group, &k->g);
}

static void rb_sink_close(rb_col_sink *k) {
    if (k->g >= 0) H5Gclose(k->g);
    k->g = -1;
}

/* A string column of n rows from str(row, col). */
static int rb_write_strings_of(const rb_col_sink *k, const char *name, int64_t n, const char *(*str)(const void *, int64_t, int),
                               const void *ctx, int col) {
    char **v = rb_malloc(sizeof *v * (size_t)(n ? n : 1), "string column");
    if (!v) return RB_ERR;
    for (int64_t i = 0; i < n; i++) v[i] = (char *)str(ctx, i, col);
    int rc = rb_sink_strings(k, name, v, n);
    free(v);
    return rc;
}

/* The interval columns of /cells into k (nothing when r->n_boot = 0). */
static int rb_cell_intervals_to(const rb_col_sink *k, const rb_results *r) {
    if (r->n_boot == 0) return RB_OK;
    const double *cols[6] = {r->ap_lo, r->ap_hi, r->ap_step_lo, r->ap_step_hi, r->roc_auc_lo, r->roc_auc_hi};
    static const char *const names[6] = {"ap_lo", "ap_hi", "ap_step_lo", "ap_step_hi", "roc_auc_lo", "roc_auc_hi"};
    int64_t n = (int64_t)r->n_conds * r->n_methods;
    for (int q = 0; q < 6; q++) {
        if (!cols[q]) return rb_fail("results: interval column %s is missing", names[q]);
        RB_TRY(rb_sink_f64(k, names[q], cols[q], n));
    }
    return RB_OK;
}

typedef struct {
    const rb_results *r;
    const rb_comparison *c;
    const rb_summary *s;
} rb_table_ctx;

static const char *rb_cmp_str(const void *p, int64_t i, int col) {
    const rb_table_ctx *t = p;
    const rb_comparison *c = &t->c[i];
    const rb_result_cond *cd = &t->r->conds[c->cond];
    switch (col) {
    case 0: return cd->dataset;
    case 1: return cd->corruption;
    case 2: return cd->modality;
    case 3: return t->r->methods[c->method];
    case 4: return t->r->methods[c->other];
    default: return rb_metric_names[c->metric];
    }
}

static const char *rb_sum_str(const void *p, int64_t i, int col) {
    const rb_table_ctx *t = p;
    const rb_summary *s = &t->s[i];
    switch (col) {
    case 0: return s->dataset;
    case 1: return t->r->methods[s->method];
    case 2: return s->family;
    case 3: return rb_summary_name(s->kind);
    default: return rb_metric_names[s->metric];
    }
}

static int rb_write_comparisons(hid_t file, const rb_results *r, rb_digest_set *digests) {
    rb_comparison *c;
    int64_t n;
    RB_TRY(rb_results_comparisons(r, &c, &n));
    rb_table_ctx t = {r, c, NULL};
    double *col = rb_malloc(sizeof(double) * (size_t)(n ? n : 1), "comparison column");
    int32_t *sev = rb_malloc(sizeof(int32_t) * (size_t)(n ? n : 1), "comparison severities");
    rb_col_sink g = {-1, "comparisons", NULL};
    int rc = col && sev ? rb_sink_open(file, "comparisons", digests, &g) : RB_ERR;
    static const char *const sn[6] = {"dataset", "corruption", "modality", "method", "other", "metric"};
    for (int k = 0; rc == RB_OK && k < 6; k++) rc = rb_write_strings_of(&g, sn[k], n, rb_cmp_str, &t, k);
    if (rc == RB_OK) {
        for (int64_t i = 0; i < n; i++) sev[i] = r->conds[c[i].cond].severity;
        rc = rb_sink_i32(&g, "severity", sev, n);
    }
    static const char *const fn[4] = {"diff", "lo", "hi", "frac_positive"};
    for (int k = 0; rc == RB_OK && k < 4; k++) {
        for (int64_t i = 0; i < n; i++) col[i] = k == 0 ? c[i].diff : k == 1 ? c[i].lo : k == 2 ? c[i].hi : c[i].frac_pos;
        rc = rb_sink_f64(&g, fn[k], col, n);
    }
    rb_sink_close(&g);
    free(col);
    free(sev);
    free(c);
    return rc;
}

static int rb_write_summaries(hid_t file, const rb_results *r, rb_digest_set *digests) {
    rb_summary *s;
    int64_t n;
    RB_TRY(rb_results_summaries(r, &s, &n));
    rb_table_ctx t = {r, NULL, s};
    double *col = rb_malloc(sizeof(double) * (size_t)(n ? n : 1), "summary column");
    rb_col_sink g = {-1, "summaries", NULL};
    int rc = col ? rb_sink_open(file, "summaries", digests, &g) : RB_ERR;
    static const char *const sn[5] = {"dataset", "method", "family", "summary", "metric"};
    for (int k = 0; rc == RB_OK && k < 5; k++) rc = rb_write_strings_of(&g, sn[k], n, rb_sum_str, &t, k);
    static const char *const fn[3] = {"value", "lo", "hi"};
    for (int k = 0; rc == RB_OK && k < 3; k++) {
        for (int64_t i = 0; i < n; i++) col[i] = k == 0 ? s[i].value : k == 1 ? s[i].lo : s[i].hi;
        rc = rb_sink_f64(&g, fn[k], col, n);
    }
    rb_sink_close(&g);
    free(col);
    free(s);
    return rc;
}

int rb_results_write_boot(hid_t file, const rb_results *r) {
    RB_TRY(rb_h5_attr_int64(file, "n_boot", r->n_boot));
    RB_TRY(rb_h5_attr_double(file, "confidence", r->confidence));
    RB_TRY(rb_h5_attr_string(file, "baseline", r->baseline));
    if (r->n_boot > 0) {
        hid_t g;
        RB_TRY(rb_h5_group(file, "bootstrap", &g));
        hsize_t d[4] = {(hsize_t)r->n_conds, (hsize_t)r->n_methods, 3, (hsize_t)r->n_boot};
        int rc = rb_h5_write(g, "values", RB_H5_F64, 4, d, r->boot);
        H5Gclose(g);
        RB_TRY(rc);
        RB_TRY(rb_write_comparisons(file, r, NULL));
    }
    return rb_write_summaries(file, r, NULL);
}

int rb_results_write_cell_intervals(hid_t cells, const rb_results *r) {
    rb_col_sink k = {cells, "cells", NULL};
    return rb_cell_intervals_to(&k, r);
}

int rb_results_boot_digests(const rb_results *r, rb_digest_set *d) {
    rb_col_sink cells = {-1, "cells", d};
    RB_TRY(rb_cell_intervals_to(&cells, r));
    if (r->n_boot > 0) {
        /* /bootstrap/values [n_conds][n_methods][3][n_boot], hashed in row-major order */
        RB_TRY(rb_digest_add_f64(d, "bootstrap/values", r->boot, (int64_t)r->n_conds * r->n_methods * 3 * r->n_boot));
        RB_TRY(rb_write_comparisons(-1, r, d));
    }
    return rb_write_summaries(-1, r, d);
}

int rb_results_read_boot(hid_t file, rb_results *r, const char *path) {
    int64_t B = 0;
    if (H5Aexists(file, "n_boot") <= 0) return rb_results_alloc_boot(r, 0, 0.95, "concat"); /* written before intervals */
    RB_TRY(rb_h5_get_attr_int64(file, "n_boot", &B, path));
    double conf = NAN;
    hid_t a = H5Aopen(file, "confidence", H5P_DEFAULT);
    herr_t st = a >= 0 ? H5Aread(a, H5T_NATIVE_DOUBLE, &conf) : -1;
    if (a >= 0) H5Aclose(a);
    if (st < 0) return rb_fail("%s: attribute confidence is missing or not a number", path);
    char *baseline = NULL;
    RB_TRY(rb_h5_get_attr_string(file, "baseline", &baseline, path));
    if (B < 0 || B > 100000) {
        free(baseline);
        return rb_fail("%s: n_boot = %lld is out of range", path, (long long)B);
    }
    int rc = rb_results_alloc_boot(r, (int)B, conf, baseline);
    free(baseline);
    RB_TRY(rc);
    if (B == 0) return RB_OK;
    hsize_t d[4];
    double *v = NULL;
    hid_t g = H5Gopen2(file, "bootstrap", H5P_DEFAULT);
    if (g < 0) return rb_fail("%s: /bootstrap is missing although n_boot = %lld", path, (long long)B);
    rc = rb_h5_read(g, "values", RB_H5_F64, 4, d, (void **)&v, path);
    H5Gclose(g);
    RB_TRY(rc);
    if (d[0] != (hsize_t)r->n_conds || d[1] != (hsize_t)r->n_methods || d[2] != 3 || d[3] != (hsize_t)B) {
        free(v);
        return rb_fail("%s: /bootstrap/values has shape [%llu][%llu][%llu][%llu], expected [%d][%d][3][%lld]", path,
                       (unsigned long long)d[0], (unsigned long long)d[1], (unsigned long long)d[2], (unsigned long long)d[3],
                       r->n_conds, r->n_methods, (long long)B);
    }
    memcpy(r->boot, v, sizeof(double) * (size_t)r->n_conds * (size_t)r->n_methods * 3 * (size_t)B);
    free(v);
    return rb_results_boot_intervals(r);
}

/* results_digest.c - the SHA-256 digests of a results file's columns (docs/formats.md "/digests"):
 * computed from the in-memory results when the file is written (rb_results_write_digests, called by
 * results_file.c) and recomputed from the stored columns by the consistency check, so an edited
 * value or label is detected. Every column a reader reads is covered: the base key and metric
 * columns, the newer /conditions columns, and the bootstrap columns (results_boot_file.c builds
 * those). A column's digest covers its rows in file order (a dataset of rank > 1: its elements in
 * row-major order): float64 values as 8 little-endian bytes, int32 as 4 little-endian bytes,
 * strings as their bytes and one NUL. */
#include "rb_results.h"
#include "rb_core.h"
#include "rb_io.h"
#include "results_check.h"
#include "results_boot_file.h"

#include <stdlib.h>
#include <string.h>

const char *const rb_digest_columns[RB_DIGEST_BASE_COLUMNS] = {
    "conditions/dataset", "conditions/corruption", "conditions/modality", "conditions/severity",
    "conditions/label", "conditions/source", "conditions/detect_auc_visual", "conditions/detect_auc_audio",
    "conditions/weight_visual", "conditions/weight_audio",
    "cells/dataset", "cells/corruption", "cells/modality", "cells/severity", "cells/method", "cells/ap",
    "cells/ap_step", "cells/roc_auc", "cells/ap_sd", "cells/ap_step_sd", "cells/roc_auc_sd", "cells/n_replicas",
    "replicas/dataset", "replicas/corruption", "replicas/modality", "replicas/severity", "replicas/method",
    "replicas/replica", "replicas/ap", "replicas/ap_step", "replicas/roc_auc"};

static void rb_hash_f64(rb_sha256 *h, double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(bits >> (8 * i));
    rb_sha256_update(h, b, 8);
}

static void rb_hash_i32(rb_sha256 *h, int32_t v) {
    uint32_t u = (uint32_t)v;
    unsigned char b[4];
    for (int i = 0; i < 4; i++) b[i] = (unsigned char)(u >> (8 * i));
    rb_sha256_update(h, b, 4);
}

static void rb_hash_str(rb_sha256 *h, const char *s) { rb_sha256_update(h, s, strlen(s) + 1); }

/* One row's value of a key or condition column; returns 0 when column is not one of these. */
static int rb_hash_cond_column(rb_sha256 *h, const rb_result_cond *c, const char *col) {
    if (strcmp(col, "dataset") == 0) rb_hash_str(h, c->dataset);
    else if (strcmp(col, "corruption") == 0) rb_hash_str(h, c->corruption);
    else if (strcmp(col, "modality") == 0) rb_hash_str(h, c->modality);
    else if (strcmp(col, "severity") == 0) rb_hash_i32(h, c->severity);
    else if (strcmp(col, "label") == 0) rb_hash_str(h, c->label);
    else if (strcmp(col, "source") == 0) rb_hash_str(h, c->source);
    else if (strcmp(col, "detect_auc_visual") == 0) rb_hash_f64(h, c->detect_auc[0]);
    else if (strcmp(col, "detect_auc_audio") == 0) rb_hash_f64(h, c->detect_auc[1]);
    else if (strcmp(col, "weight_visual") == 0) rb_hash_f64(h, c->weight[0]);
    else if (strcmp(col, "weight_audio") == 0) rb_hash_f64(h, c->weight[1]);
    else return 0;
    return 1;
}

/* The digest of column (group/name) as results_file.c writes it from r. */
static void rb_digest_of_results(const rb_results *r, const char *column, char hex[65]) {
    rb_sha256 h;
    rb_sha256_init(&h);
    const char *slash = strchr(column, '/');
    const char *col = slash + 1;
    const int M = r->n_methods, R = r->n_replicas;
    const double *metric[3] = {r->ap, r->ap_step, r->roc_auc};
    static const char *const mnames[6] = {"ap", "ap_step", "roc_auc", "ap_sd", "ap_step_sd", "roc_auc_sd"};
    if (strncmp(column, "conditions/", 11) == 0) {
        for (int c = 0; c < r->n_conds; c++) rb_hash_cond_column(&h, &r->conds[c], col);
    } else if (strncmp(column, "cells/", 6) == 0) {
        for (int c = 0; c < r->n_conds; c++)
            for (int k = 0; k < M; k++) {
                if (rb_hash_cond_column(&h, &r->conds[c], col)) continue;
                if (strcmp(col, "method") == 0) rb_hash_str(&h, r->methods[k]);
                else if (strcmp(col, "n_replicas") == 0) rb_hash_i32(&h, R);
                else
                    for (int q = 0; q < 6; q++) {
                        if (strcmp(col, mnames[q]) != 0) continue;
                        double mean, sd;
                        rb_results_mean_sd(r, metric[q % 3], c, k, &mean, &sd);
                        rb_hash_f64(&h, q < 3 ? mean : sd);
                    }
            }
    } else {
        for (int c = 0; c < r->n_conds; c++)
            for (int k = 0; k < M; k++)
                for (int rep = 0; rep < R; rep++) {
                    if (rb_hash_cond_column(&h, &r->conds[c], col)) continue;
                    if (strcmp(col, "method") == 0) rb_hash_str(&h, r->methods[k]);
                    else if (strcmp(col, "replica") == 0) rb_hash_i32(&h, rep);
                    else
                        for (int q = 0; q < 3; q++)
                            if (strcmp(col, mnames[q]) == 0) rb_hash_f64(&h, metric[q][rb_results_at(r, c, k, rep)]);
                }
    }
    rb_sha256_hex(&h, hex);
}

/* ---- the digests gathered at write time ---- */

/* Room for one more digest named column; returns its index, or -1. */
static int rb_digest_slot(rb_digest_set *d, const char *column) {
    if (strlen(column) >= sizeof d->name[0]) return rb_fail("digest: column name %s is too long", column), -1;
    if (d->n == d->cap) {
        int cap = d->cap ? 2 * d->cap : 64;
        char(*name)[64] = realloc(d->name, sizeof *name * (size_t)cap);
        if (name) d->name = name;
        char(*hex)[65] = name ? realloc(d->hex, sizeof *hex * (size_t)cap) : NULL;
        if (!hex) return rb_fail("out of memory gathering the column digests"), -1;
        d->hex = hex;
        d->cap = cap;
    }
    snprintf(d->name[d->n], sizeof d->name[0], "%s", column);
    return d->n++;
}

int rb_digest_add_f64(rb_digest_set *d, const char *column, const double *v, int64_t n) {
    int i = rb_digest_slot(d, column);
    if (i < 0) return RB_ERR;
    rb_sha256 h;
    rb_sha256_init(&h);
    for (int64_t j = 0; j < n; j++) rb_hash_f64(&h, v[j]);
    rb_sha256_hex(&h, d->hex[i]);
    return RB_OK;
}

int rb_digest_add_i32(rb_digest_set *d, const char *column, const int32_t *v, int64_t n) {
    int i = rb_digest_slot(d, column);
    if (i < 0) return RB_ERR;
    rb_sha256 h;
    rb_sha256_init(&h);
    for (int64_t j = 0; j < n; j++) rb_hash_i32(&h, v[j]);
    rb_sha256_hex(&h, d->hex[i]);
    return RB_OK;
}

int rb_digest_add_strings(rb_digest_set *d, const char *column, char *const *v, int64_t n) {
    int i = rb_digest_slot(d, column);
    if (i < 0) return RB_ERR;
    rb_sha256 h;
    rb_sha256_init(&h);
    for (int64_t j = 0; j < n; j++) rb_hash_str(&h, v[j]);
    rb_sha256_hex(&h, d->hex[i]);
    return RB_OK;
}

/* The newer float64 columns of /conditions: positive_fraction, then the diagnostics and oracle gaps. */
static int rb_digest_cond_extras(const rb_results *r, rb_digest_set *d) {
    double *v = rb_malloc(sizeof *v * (size_t)(r->n_conds ? r->n_conds : 1), "digest column");
    if (!v) return RB_ERR;
    int rc = RB_OK;
    for (int q = -1; rc == RB_OK && q < RB_N_EXTRA_COND_COLS; q++) {
        char name[64], column[80];
        if (q < 0) snprintf(name, sizeof name, "positive_fraction");
        else rb_results_extra_cond_col(q, name, sizeof name);
        snprintf(column, sizeof column, "conditions/%s", name);
        for (int c = 0; c < r->n_conds; c++)
            v[c] = q < 0 ? r->conds[c].positive_fraction : rb_results_extra_cond_value(&r->conds[c], q);
        rc = rb_digest_add_f64(d, column, v, r->n_conds);
    }
    free(v);
    return rc;
}

int rb_results_write_digests(hid_t file, const rb_results *r) {
    rb_digest_set d = {0};
    int rc = RB_OK;
    for (int i = 0; rc == RB_OK && i < RB_DIGEST_BASE_COLUMNS; i++) {
        int s = rb_digest_slot(&d, rb_digest_columns[i]);
        if (s < 0) rc = RB_ERR;
        else rb_digest_of_results(r, rb_digest_columns[i], d.hex[s]);
    }
    if (rc == RB_OK) rc = rb_digest_cond_extras(r, &d);
    if (rc == RB_OK) rc = rb_results_boot_digests(r, &d);
    char **names = rc == RB_OK ? rb_malloc(sizeof *names * (size_t)d.n, "digest names") : NULL;
    char **hexes = names ? rb_malloc(sizeof *hexes * (size_t)d.n, "digest values") : NULL;
    if (!hexes) rc = RB_ERR;
    hid_t g = -1;
    if (rc == RB_OK) rc = rb_h5_group(file, "digests", &g);
    if (rc == RB_OK) {
        for (int i = 0; i < d.n; i++) {
            names[i] = d.name[i];
            hexes[i] = d.hex[i];
        }
        rc = rb_h5_write_strings(g, "column", names, d.n) == RB_OK && rb_h5_write_strings(g, "sha256", hexes, d.n) == RB_OK
                 ? RB_OK
                 : RB_ERR;
    }
    if (g >= 0) H5Gclose(g);
    free(names);
    free(hexes);
    free(d.name);
    free(d.hex);
    return rc;
}

int rb_digest_file_column(hid_t file, const char *column, char hex[65], const char *what) {
    if (!rb_h5_exists(file, column)) return rb_fail("%s: /%s is missing", what, column);
    hid_t ds = H5Dopen2(file, column, H5P_DEFAULT);
    if (ds < 0) return rb_fail("%s: cannot open /%s", what, column);
    hid_t ft = H5Dget_type(ds);
    H5T_class_t cls = H5Tget_class(ft);
    H5Tclose(ft);
    hid_t space = H5Dget_space(ds);
    hsize_t dims[8] = {0};
    int nd = H5Sget_simple_extent_ndims(space);
    if (nd >= 1 && nd <= 8) H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    H5Dclose(ds);
    /* strings are columns; numbers may have any rank (/bootstrap/values), hashed in row-major order */
    if (nd < 1 || nd > 8 || (cls == H5T_STRING && nd != 1)) return rb_fail("%s: /%s is not a column", what, column);
    rb_sha256 h;
    rb_sha256_init(&h);
    int64_t n = 1;
    for (int k = 0; k < nd; k++) n *= (int64_t)dims[k];
    if (cls == H5T_STRING) {
        char **s = NULL;
        RB_TRY(rb_h5_read_strings(file, column, n, &s, what));
        for (int64_t i = 0; i < n; i++) {
            rb_hash_str(&h, s[i]);
            free(s[i]);
        }
        free(s);
    } else if (cls == H5T_FLOAT) {
        double *v = NULL;
        RB_TRY(rb_h5_read(file, column, RB_H5_F64, nd, dims, (void **)&v, what));
        for (int64_t i = 0; i < n; i++) rb_hash_f64(&h, v[i]);
        free(v);
    } else if (cls == H5T_INTEGER) {
        int32_t *v = NULL;
        RB_TRY(rb_h5_read(file, column, RB_H5_I32, nd, dims, (void **)&v, what));
        for (int64_t i = 0; i < n; i++) rb_hash_i32(&h, v[i]);
        free(v);
    } else {
        return rb_fail("%s: /%s has an unexpected element type", what, column);
    }
    rb_sha256_hex(&h, hex);
    return RB_OK;
}

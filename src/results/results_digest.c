/* results_digest.c - the SHA-256 digests of a results file's columns (docs/formats.md "/digests"):
 * computed from the in-memory results when the file is written (rb_results_write_digests, called by
 * results_file.c) and recomputed from the stored columns by the consistency check, so an edited
 * value or label is detected. A column's digest covers its rows in file order: float64 values as 8
 * little-endian bytes, int32 as 4 little-endian bytes, strings as their bytes and one NUL. */
#include "rb_results.h"
#include "rb_core.h"
#include "rb_io.h"
#include "results_check.h"

#include <stdlib.h>
#include <string.h>

const char *const rb_digest_columns[RB_DIGEST_COLUMNS] = {
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

int rb_results_write_digests(hid_t file, const rb_results *r) {
    char *names[RB_DIGEST_COLUMNS], *hexes[RB_DIGEST_COLUMNS];
    char hex[RB_DIGEST_COLUMNS][65];
    for (int i = 0; i < RB_DIGEST_COLUMNS; i++) {
        rb_digest_of_results(r, rb_digest_columns[i], hex[i]);
        names[i] = (char *)rb_digest_columns[i];
        hexes[i] = hex[i];
    }
    hid_t g;
    RB_TRY(rb_h5_group(file, "digests", &g));
    int rc = rb_h5_write_strings(g, "column", names, RB_DIGEST_COLUMNS) == RB_OK &&
                     rb_h5_write_strings(g, "sha256", hexes, RB_DIGEST_COLUMNS) == RB_OK
                 ? RB_OK
                 : RB_ERR;
    H5Gclose(g);
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
    hsize_t dims[1] = {0};
    int nd = H5Sget_simple_extent_ndims(space);
    if (nd == 1) H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    H5Dclose(ds);
    if (nd != 1) return rb_fail("%s: /%s is not a column", what, column);
    rb_sha256 h;
    rb_sha256_init(&h);
    int64_t n = (int64_t)dims[0];
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
        RB_TRY(rb_h5_read(file, column, RB_H5_F64, 1, dims, (void **)&v, what));
        for (int64_t i = 0; i < n; i++) rb_hash_f64(&h, v[i]);
        free(v);
    } else if (cls == H5T_INTEGER) {
        int32_t *v = NULL;
        RB_TRY(rb_h5_read(file, column, RB_H5_I32, 1, dims, (void **)&v, what));
        for (int64_t i = 0; i < n; i++) rb_hash_i32(&h, v[i]);
        free(v);
    } else {
        return rb_fail("%s: /%s has an unexpected element type", what, column);
    }
    rb_sha256_hex(&h, hex);
    return RB_OK;
}

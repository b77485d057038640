/* results_file.c - results.h5 (docs/formats.md "Results file"): written collectively with parallel
 * HDF5, every rank writing the rows of the cells it computed; read back for report and audit.
 * The writer keeps the MPI error discipline of rb_core.h: every helper returns a status all ranks
 * agree on (rb_mpi_agree before each collective HDF5 call), so a full disk or a failed allocation on
 * one rank makes every rank skip the remaining writes, close the file together and remove the
 * temporary; results.h5 itself is only ever replaced by a complete file. A file read back is untrusted:
 * every method, dataset and key value in it is checked (names.c) before anything uses it. */
#include "rb_results.h"
#include "rb_core.h"
#include "rb_io.h"
#include "results_check.h"
#include "results_boot_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#define RB_RESULTS_FORMAT "robusta-results"
#define RB_RESULTS_VERSION 1

/* Name of extra /conditions column q: <diagnostic>_visual, <diagnostic>_audio, then the oracle gaps. */
void rb_results_extra_cond_col(int q, char *name, size_t cap) {
    static const char *const gaps[3] = {"oracle_gap_ap", "oracle_gap_ap_step", "oracle_gap_roc_auc"};
    if (q < 2 * RB_DIAG_COUNT) snprintf(name, cap, "%s_%s", rb_weight_diag_name(q % RB_DIAG_COUNT), q < RB_DIAG_COUNT ? "visual" : "audio");
    else snprintf(name, cap, "%s", gaps[q - 2 * RB_DIAG_COUNT]);
}

static double *rb_extra_cond_value(rb_result_cond *c, int q) {
    return q < 2 * RB_DIAG_COUNT ? &c->diag[q / RB_DIAG_COUNT][q % RB_DIAG_COUNT] : &c->oracle_gap[q - 2 * RB_DIAG_COUNT];
}

double rb_results_extra_cond_value(const rb_result_cond *c, int q) { return *rb_extra_cond_value((rb_result_cond *)c, q); }

/* Create a 1-D dataset of n rows (collective) and write the rows whose cell is owned by this rank;
 * row i belongs to cell i / rows_per_cell. data holds every row (identical on all ranks). Returns a
 * status every rank of comm agrees on. */
static int rb_write_owned(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int64_t n, int rows_per_cell,
                          const void *data, const int *owner, int rank, MPI_Comm comm) {
    hsize_t dims[1] = {(hsize_t)n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t ds = H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT); /* collective */
    if (rb_mpi_agree(ds < 0 ? rb_fail("cannot create %s", name) : RB_OK, &comm) != RB_OK) {
        if (ds >= 0) H5Dclose(ds);
        H5Sclose(space);
        return RB_ERR;
    }
    H5Sselect_none(space);
    int64_t n_cells = n / rows_per_cell;
    for (int64_t c = 0; c < n_cells; c++) {
        if (owner[c] != rank) continue;
        hsize_t start[1] = {(hsize_t)(c * rows_per_cell)}, count[1] = {(hsize_t)rows_per_cell};
        H5Sselect_hyperslab(space, H5S_SELECT_OR, start, NULL, count, NULL);
    }
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
    herr_t st = n ? H5Dwrite(ds, mtype, space, space, dxpl, data) : 0; /* collective */
    if (rb_fault_active && rb_h5_fault_write(ds, "")) st = -1;
    H5Pclose(dxpl);
    H5Sclose(space);
    if (H5Dclose(ds) < 0) st = -1; /* collective: every rank closes */
    return rb_mpi_agree(st < 0 ? rb_fail("writing %s failed (disk full?)", name) : RB_OK, &comm);
}

/* String column of n rows built by fn(row) (rank 0 writes it). */
typedef const char *(*rb_row_string)(const rb_results *r, int64_t row, int per_cell);

static int rb_write_string_column(hid_t g, const char *name, const rb_results *r, int64_t n, int per_cell,
                                  rb_row_string fn, MPI_Comm comm) {
    char **col = rb_malloc(sizeof *col * (size_t)(n ? n : 1), "string column");
    if (rb_mpi_agree(col ? RB_OK : RB_ERR, &comm) != RB_OK) {
        free(col);
        return RB_ERR;
    }
    for (int64_t i = 0; i < n; i++) col[i] = (char *)fn(r, i, per_cell);
    int rc = rb_h5_write_strings(g, name, col, n);
    free(col);
    return rc;
}

static const rb_result_cond *rb_cond_of(const rb_results *r, int64_t row, int per_cell) { return &r->conds[row / per_cell]; }
static const char *rb_col_dataset(const rb_results *r, int64_t row, int pc) { return rb_cond_of(r, row, pc)->dataset; }
static const char *rb_col_corruption(const rb_results *r, int64_t row, int pc) { return rb_cond_of(r, row, pc)->corruption; }
static const char *rb_col_modality(const rb_results *r, int64_t row, int pc) { return rb_cond_of(r, row, pc)->modality; }
static const char *rb_col_label(const rb_results *r, int64_t row, int pc) { return rb_cond_of(r, row, pc)->label; }
static const char *rb_col_source(const rb_results *r, int64_t row, int pc) { return rb_cond_of(r, row, pc)->source; }
static const char *rb_col_method(const rb_results *r, int64_t row, int pc) {
    int per_method = pc / r->n_methods; /* 1 for /cells, n_replicas for /replicas */
    return r->methods[(row % pc) / per_method];
}

static int rb_write_keys(hid_t g, const rb_results *r, int64_t n, int per_cell, int with_method, const int *owner,
                         int rank, MPI_Comm comm) {
    int32_t *sev = rb_malloc(sizeof *sev * (size_t)(n ? n : 1), "severity column");
    if (rb_mpi_agree(sev ? RB_OK : RB_ERR, &comm) != RB_OK) {
        free(sev);
        return RB_ERR;
    }
    for (int64_t i = 0; i < n; i++) sev[i] = r->conds[i / per_cell].severity;
    int rc = RB_OK;
    /* every helper returns an agreed status, so every rank stops at the same column */
    if (rb_write_string_column(g, "dataset", r, n, per_cell, rb_col_dataset, comm) ||
        rb_write_string_column(g, "corruption", r, n, per_cell, rb_col_corruption, comm) ||
        rb_write_string_column(g, "modality", r, n, per_cell, rb_col_modality, comm) ||
        rb_write_owned(g, "severity", H5T_STD_I32LE, H5T_NATIVE_INT32, n, per_cell, sev, owner, rank, comm) ||
        (with_method && rb_write_string_column(g, "method", r, n, per_cell, rb_col_method, comm)))
        rc = RB_ERR;
    free(sev);
    return rc;
}

static int rb_write_f64(hid_t g, const char *name, const double *v, int64_t n, int per_cell, const int *owner, int rank,
                        MPI_Comm comm) {
    return rb_write_owned(g, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, per_cell, v, owner, rank, comm);
}

/* The per-row arrays of the file, identical on every rank. */
typedef struct {
    double *cells, *reps, *conds;
    int32_t *nrepl, *repi;
} rb_results_columns;

static int rb_results_columns_make(const rb_results *r, rb_results_columns *k) {
    const int M = r->n_methods, R = r->n_replicas;
    const int64_t nc = r->n_conds, ncells = nc * M, nrep = nc * M * R;
    k->cells = rb_malloc(sizeof(double) * (size_t)(ncells ? ncells : 1) * 6, "cells columns");
    k->reps = rb_malloc(sizeof(double) * (size_t)(nrep ? nrep : 1) * 3, "replica columns");
    k->conds = rb_malloc(sizeof(double) * (size_t)(nc ? nc : 1) * (5 + RB_N_EXTRA_COND_COLS), "condition columns");
    k->nrepl = rb_malloc(sizeof(int32_t) * (size_t)(ncells ? ncells : 1), "n_replicas column");
    k->repi = rb_malloc(sizeof(int32_t) * (size_t)(nrep ? nrep : 1), "replica column");
    if (!k->cells || !k->reps || !k->conds || !k->nrepl || !k->repi) return RB_ERR;
    const double *metric[3] = {r->ap, r->ap_step, r->roc_auc};
    for (int64_t c = 0; c < nc; c++)
        for (int m = 0; m < M; m++) {
            int64_t row = c * M + m;
            for (int q = 0; q < 3; q++)
                rb_results_mean_sd(r, metric[q], (int)c, m, &k->cells[q * ncells + row], &k->cells[(3 + q) * ncells + row]);
            k->nrepl[row] = R;
            for (int rep = 0; rep < R; rep++) {
                int64_t i = rb_results_at(r, (int)c, m, rep);
                for (int q = 0; q < 3; q++) k->reps[q * nrep + i] = metric[q][i];
                k->repi[i] = rep;
            }
        }
    for (int64_t c = 0; c < nc; c++) {
        k->conds[c] = r->conds[c].detect_auc[0];
        k->conds[nc + c] = r->conds[c].detect_auc[1];
        k->conds[2 * nc + c] = r->conds[c].weight[0];
        k->conds[3 * nc + c] = r->conds[c].weight[1];
        k->conds[4 * nc + c] = r->conds[c].positive_fraction;
        for (int q = 0; q < RB_N_EXTRA_COND_COLS; q++)
            k->conds[(5 + q) * nc + c] = *rb_extra_cond_value((rb_result_cond *)&r->conds[c], q);
    }
    return RB_OK;
}

static void rb_results_columns_free(rb_results_columns *k) {
    free(k->cells);
    free(k->reps);
    free(k->conds);
    free(k->nrepl);
    free(k->repi);
}

/* The groups /cells, /conditions and /replicas. Every step's status is agreed by every rank. */
static int rb_results_write_tables(hid_t file, const rb_results *r, const rb_results_columns *k, const int *owner,
                                   int rank, MPI_Comm comm) {
    const int M = r->n_methods, R = r->n_replicas;
    const int64_t nc = r->n_conds, ncells = nc * M, nrep = nc * M * R;
    static const char *const metric_names[6] = {"ap", "ap_step", "roc_auc", "ap_sd", "ap_step_sd", "roc_auc_sd"};
    hid_t g;
    RB_TRY(rb_h5_group(file, "cells", &g));
    int rc = rb_write_keys(g, r, ncells, M, 1, owner, rank, comm);
    for (int q = 0; rc == RB_OK && q < 6; q++)
        rc = rb_write_f64(g, metric_names[q], k->cells + q * ncells, ncells, M, owner, rank, comm);
    if (rc == RB_OK) rc = rb_write_owned(g, "n_replicas", H5T_STD_I32LE, H5T_NATIVE_INT32, ncells, M, k->nrepl, owner, rank, comm);
    if (rc == RB_OK) rc = rb_mpi_agree(rb_results_write_cell_intervals(g, r), &comm);
    H5Gclose(g);
    RB_TRY(rc);
    RB_TRY(rb_h5_group(file, "conditions", &g));
    if (rb_write_keys(g, r, nc, 1, 0, owner, rank, comm) || rb_write_string_column(g, "label", r, nc, 1, rb_col_label, comm) ||
        rb_write_string_column(g, "source", r, nc, 1, rb_col_source, comm) ||
        rb_write_f64(g, "detect_auc_visual", k->conds, nc, 1, owner, rank, comm) ||
        rb_write_f64(g, "detect_auc_audio", k->conds + nc, nc, 1, owner, rank, comm) ||
        rb_write_f64(g, "weight_visual", k->conds + 2 * nc, nc, 1, owner, rank, comm) ||
        rb_write_f64(g, "weight_audio", k->conds + 3 * nc, nc, 1, owner, rank, comm) ||
        rb_write_f64(g, "positive_fraction", k->conds + 4 * nc, nc, 1, owner, rank, comm))
        rc = RB_ERR;
    for (int q = 0; rc == RB_OK && q < RB_N_EXTRA_COND_COLS; q++) {
        char name[64];
        rb_results_extra_cond_col(q, name, sizeof name);
        rc = rb_write_f64(g, name, k->conds + (5 + q) * nc, nc, 1, owner, rank, comm);
    }
    H5Gclose(g);
    RB_TRY(rc);
    RB_TRY(rb_h5_group(file, "replicas", &g));
    if (rb_write_keys(g, r, nrep, M * R, 1, owner, rank, comm) ||
        rb_write_owned(g, "replica", H5T_STD_I32LE, H5T_NATIVE_INT32, nrep, M * R, k->repi, owner, rank, comm))
        rc = RB_ERR;
    for (int q = 0; rc == RB_OK && q < 3; q++)
        rc = rb_write_f64(g, metric_names[q], k->reps + q * nrep, nrep, M * R, owner, rank, comm);
    H5Gclose(g);
    return rc;
}

/* Disk space held back for the final flush of the file's metadata. HDF5's parallel metadata flush
 * (in H5Fflush / H5Fclose) has collective sync points of its own and does not agree on a failed
 * write: a full disk at that moment hangs the ranks inside HDF5. So rank 0 reserves this much next
 * to the temporary when the file is created, and frees it just before the flush: a disk that fills
 * does so during the dataset writes, where the ranks agree on it. */
enum { RB_RESULTS_RESERVE = 128 * 1024 };

/* Rank 0: "<tmp>.reserve" created exclusively (never through a link) and allocated on disk. */
static int rb_reserve_space(const char *tmp, char *reserve, size_t cap) {
    snprintf(reserve, cap, "%s.reserve", tmp);
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    int fd = open(reserve, flags, 0600);
    if (fd < 0 && errno == EEXIST && (unlink(reserve) == 0 || errno == ENOENT)) fd = open(reserve, flags, 0600);
    if (fd < 0) return rb_fail("cannot create %s: %s", reserve, strerror(errno));
    int err = posix_fallocate(fd, 0, RB_RESULTS_RESERVE);
    close(fd);
    if (err != 0) {
        unlink(reserve);
        return rb_fail("no room for the results file next to %s (%s)", tmp, strerror(err));
    }
    return RB_OK;
}

int rb_results_write(const char *path, const rb_results *r, const int *owner, MPI_Comm comm, char *const *inputs,
                     char *const *input_sha, int n_inputs, rb_scores_fn scores, void *scores_ctx) {
    int rank;
    MPI_Comm_rank(comm, &rank);
    char tmp[4096];
    char reserve[4200] = "";
    hid_t file = -1;
    /* a fresh exclusive temporary, created by rank 0 and opened by all (agreed inside) */
    int rc = rb_h5_create_tmp(path, comm, &file, tmp, sizeof tmp);
    if (rb_mpi_agree(rc, &comm) != RB_OK) return rb_context("writing %s", path);
    rc = rank == 0 ? rb_reserve_space(tmp, reserve, sizeof reserve) : RB_OK;
    if (rb_mpi_agree(rc, &comm) != RB_OK) {
        H5Fclose(file); /* collective: every rank holds the file */
        if (rank == 0) unlink(tmp);
        return rb_context("writing %s", path);
    }
    const int M = r->n_methods, R = r->n_replicas;
    char methods[512] = "";
    for (int k = 0; k < M; k++) snprintf(methods + strlen(methods), sizeof methods - strlen(methods), "%s%s", k ? "," : "", r->methods[k]);
    /* attributes and provenance: each helper returns an agreed status */
    rc = rb_h5_attr_string(file, "format", RB_RESULTS_FORMAT) || rb_h5_attr_int64(file, "format_version", RB_RESULTS_VERSION) ||
                 rb_h5_attr_string(file, "run_id", r->run_id ? r->run_id : "") || rb_h5_attr_string(file, "methods", methods) ||
                 rb_h5_attr_int64(file, "n_replicas", R) ||
                 rb_provenance_write(file, r->config_text, inputs, input_sha, n_inputs)
             ? RB_ERR
             : RB_OK;
    rb_results_columns cols = {0};
    if (rc == RB_OK) rc = rb_mpi_agree(rb_results_columns_make(r, &cols), &comm);
    if (rc == RB_OK) rc = rb_results_write_tables(file, r, &cols, owner, rank, comm);
    rb_results_columns_free(&cols);
    if (rc == RB_OK) rc = rb_mpi_agree(rb_results_write_boot(file, r), &comm);
    if (rc == RB_OK) rc = rb_mpi_agree(rb_results_write_digests(file, r), &comm); /* after every table */
    if (rc == RB_OK && scores) rc = rb_mpi_agree(scores(file, scores_ctx), &comm);
    /* the reserved space goes to the metadata flush; every rank waits for that (the agreement) */
    if (rank == 0) unlink(reserve);
    rc = rb_mpi_agree(rc, &comm);
    /* every rank closes (collective), whatever happened; then publish or remove the temporary */
    if (rb_h5_close(file, tmp) != RB_OK && rc == RB_OK) rc = RB_ERR;
    rc = rb_mpi_agree(rc, &comm);
    if (rank == 0) {
        if (rc == RB_OK) rc = rb_h5_publish(tmp, path);
        else unlink(tmp);
    }
    if (rb_mpi_agree(rc, &comm) != RB_OK) return rb_context("writing %s", path);
    return RB_OK;
}

/* ---- reading ---- */

static int rb_read_f64_col(hid_t g, const char *name, int64_t n, double **out, const char *what) {
    hsize_t dims[1];
    RB_TRY(rb_h5_read(g, name, RB_H5_F64, 1, dims, (void **)out, what));
    if ((int64_t)dims[0] != n) {
        free(*out);
        *out = NULL;
        return rb_fail("%s: %s has %llu rows, expected %lld", what, name, (unsigned long long)dims[0], (long long)n);
    }
    return RB_OK;
}

/* Every name read from the file is untrusted: methods and dataset names must be plain names
 * (rb_check_name), the other keys plain key values (rb_check_key_value), so nothing read from a
 * results file can carry a quote, a newline or a control character into a table, a script or a
 * path. One error naming the file, the dataset and the bad value. */
static int rb_results_check_names(const rb_results *r, const char *path) {
    char what[600];
    for (int m = 0; m < r->n_methods; m++) {
        snprintf(what, sizeof what, "%s: method", path);
        RB_TRY(rb_check_name(what, r->methods[m]));
    }
    for (int c = 0; c < r->n_conds; c++) {
        const rb_result_cond *co = &r->conds[c];
        snprintf(what, sizeof what, "%s: /conditions row %d: dataset", path, c);
        RB_TRY(rb_check_name(what, co->dataset));
        const char *const value[4] = {co->corruption, co->modality, co->label, co->source};
        static const char *const col[4] = {"corruption", "modality", "label", "source"};
        for (int q = 0; q < 4; q++) {
            snprintf(what, sizeof what, "%s: dataset %s: /conditions row %d: %s", path, co->dataset, c, col[q]);
            RB_TRY(rb_check_key_value(what, value[q]));
        }
    }
    return RB_OK;
}

int rb_results_load(const char *path, rb_results *r, rb_results_check *chk) {
    memset(r, 0, sizeof *r);
    hid_t file;
    RB_TRY(rb_h5_open_read(path, MPI_COMM_NULL, &file));
    char *format = NULL, *methods = NULL;
    int64_t version = 0, R = 0;
    int rc = RB_OK;
    if (rb_h5_get_attr_string(file, "format", &format, path) != RB_OK || strcmp(format, RB_RESULTS_FORMAT) != 0)
        rc = rb_fail("%s: not a robusta results file", path);
    else if (rb_h5_get_attr_int64(file, "format_version", &version, path) || version != RB_RESULTS_VERSION)
        rc = rb_fail("%s: results format_version %lld is not supported (expected %d)", path, (long long)version,
                     RB_RESULTS_VERSION);
    free(format);
    if (rc == RB_OK && (rb_h5_get_attr_string(file, "methods", &methods, path) || rb_h5_get_attr_int64(file, "n_replicas", &R, path)))
        rc = RB_ERR;
    int M = 0;
    char names[RB_RESULTS_MAX_METHODS][32];
    for (char *tok = methods, *save = NULL; rc == RB_OK && (tok = strtok_r(tok, ",", &save)); tok = NULL) {
        if (M == RB_RESULTS_MAX_METHODS || strlen(tok) >= 32) rc = rb_fail("%s: bad methods attribute", path);
        else snprintf(names[M++], 32, "%.31s", tok);
    }
    free(methods);
    if (rc == RB_OK && (M < 1 || R < 1 || R > 100000)) rc = rb_fail("%s: no methods or replicas recorded", path);
    int64_t nc = 0;
    hid_t g = -1;
    if (rc == RB_OK) {
        g = H5Gopen2(file, "conditions", H5P_DEFAULT);
        if (g < 0) rc = rb_fail("%s: /conditions is missing", path);
    }
    if (rc == RB_OK) {
        hid_t ds = H5Dopen2(g, "dataset", H5P_DEFAULT);
        if (ds < 0) rc = rb_fail("%s: /conditions/dataset is missing", path);
        else {
            hid_t sp = H5Dget_space(ds);
            hsize_t d[1] = {0};
            H5Sget_simple_extent_dims(sp, d, NULL);
            nc = (int64_t)d[0];
            H5Sclose(sp);
            H5Dclose(ds);
        }
    }
    if (rc == RB_OK) rc = rb_results_alloc(r, (int)nc, M, (int)R);
    if (rc == RB_OK) {
        for (int k = 0; k < M; k++) memcpy(r->methods[k], names[k], sizeof r->methods[k]);
        char **cols[6] = {0};
        static const char *const sc[6] = {"dataset", "corruption", "modality", "label", "source", NULL};
        for (int q = 0; rc == RB_OK && sc[q]; q++) rc = rb_h5_read_strings(g, sc[q], nc, &cols[q], path);
        double *f[4] = {0};
        static const char *const fc[4] = {"detect_auc_visual", "detect_auc_audio", "weight_visual", "weight_audio"};
        for (int q = 0; rc == RB_OK && q < 4; q++) rc = rb_read_f64_col(g, fc[q], nc, &f[q], path);
        int32_t *sev = NULL;
        hsize_t d[1];
        if (rc == RB_OK) rc = rb_h5_read(g, "severity", RB_H5_I32, 1, d, (void **)&sev, path);
        for (int64_t c = 0; rc == RB_OK && c < nc; c++) {
            rb_result_cond *co = &r->conds[c];
            snprintf(co->dataset, sizeof co->dataset, "%s", cols[0][c]);
            snprintf(co->corruption, sizeof co->corruption, "%s", cols[1][c]);
            snprintf(co->modality, sizeof co->modality, "%s", cols[2][c]);
            snprintf(co->label, sizeof co->label, "%s", cols[3][c]);
            snprintf(co->source, sizeof co->source, "%s", cols[4][c]);
            co->severity = sev[c];
            co->detect_auc[0] = f[0][c];
            co->detect_auc[1] = f[1][c];
            co->weight[0] = f[2][c];
            co->weight[1] = f[3][c];
        }
        for (int q = 0; q < 5; q++) {
            for (int64_t c = 0; cols[q] && c < nc; c++) free(cols[q][c]);
            free(cols[q]);
        }
        for (int q = 0; q < 4; q++) free(f[q]);
        free(sev);
        /* optional (files written before it have none: NaN) */
        double *pf = NULL;
        if (rc == RB_OK && rb_h5_exists(g, "positive_fraction")) rc = rb_read_f64_col(g, "positive_fraction", nc, &pf, path);
        for (int64_t c = 0; rc == RB_OK && pf && c < nc; c++) r->conds[c].positive_fraction = pf[c];
        if (pf) r->cond_columns |= RB_COND_HAS_POSITIVE_FRACTION;
        int n_diag = 0, n_gap = 0;
        free(pf);
        /* diagnostics and oracle gaps: optional (files written before them stay readable; NaN) */
        for (int q = 0; rc == RB_OK && q < RB_N_EXTRA_COND_COLS; q++) {
            char name[64], path_in[80];
            rb_results_extra_cond_col(q, name, sizeof name);
            snprintf(path_in, sizeof path_in, "conditions/%s", name);
            if (!rb_h5_exists(file, path_in)) continue;
            if (q < 2 * RB_DIAG_COUNT) n_diag++;
            else n_gap++;
            double *col = NULL;
            rc = rb_read_f64_col(g, name, nc, &col, path);
            for (int64_t c = 0; rc == RB_OK && c < nc; c++) *rb_extra_cond_value(&r->conds[c], q) = col[c];
            free(col);
        }
        if (n_diag == 2 * RB_DIAG_COUNT) r->cond_columns |= RB_COND_HAS_DIAG;
        if (n_gap == 3) r->cond_columns |= RB_COND_HAS_ORACLE_GAP;
    }
    if (g >= 0) H5Gclose(g);
    if (rc == RB_OK) rc = rb_results_check_names(r, path);
    if (rc == RB_OK) rc = rb_results_fill_replicas(file, r, path, chk); /* by key, never by position */
    if (rc == RB_OK && rb_h5_exists(file, "provenance/config")) {
        hid_t pg = H5Gopen2(file, "provenance", H5P_DEFAULT);
        char **cfg = NULL;
        if (rb_h5_read_strings(pg, "config", 1, &cfg, path) == RB_OK) {
            r->config_text = cfg[0];
            free(cfg);
        }
        H5Gclose(pg);
    }
    if (rc == RB_OK) rc = rb_h5_get_attr_string(file, "run_id", &r->run_id, path);
    if (rc == RB_OK && rb_h5_exists(file, "provenance")) {
        hid_t pg = H5Gopen2(file, "provenance", H5P_DEFAULT);
        if (pg >= 0 && H5Aexists(pg, "git_commit") > 0) rc = rb_h5_get_attr_string(pg, "git_commit", &r->git_commit, path);
        if (pg >= 0) H5Gclose(pg);
    }
    if (rc == RB_OK) rc = rb_results_read_boot(file, r, path);
    H5Fclose(file);
    if (rc != RB_OK) rb_results_free(r);
    return rc;
}

int rb_results_read(const char *path, rb_results *r) {
    rb_results_check *chk = rb_calloc(1, sizeof *chk, "consistency check");
    if (!chk) return RB_ERR;
    int rc = rb_results_load(path, r, chk);
    if (rc == RB_OK && chk->n_problems) {
        rb_results_free(r);
        rc = rb_fail("%s: the /replicas or /conditions keys are inconsistent (%lld problem%s; first: %s); "
                     "robusta audit --check %s lists them", path, (long long)chk->n_problems,
                     chk->n_problems == 1 ? "" : "s", chk->lines[0], path);
    }
    free(chk);
    return rc;
}

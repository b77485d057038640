/* model_file.c - model.h5 write and read (rb_model.h). Layout (docs/formats.md):
 *   /  attrs format="robusta-model", format_version, dataset, recipe, d_visual, d_audio, n_crops,
 *          n_replicas, kinds (comma-separated)
 *   /provenance
 *   /detectors/<kind>/<replica>/  <param name> f32 [rows][cols]; attrs hidden1, hidden2, dropout, arch
 *          (arch "mlp" or "hlnet"; absent = mlp: files from before hlnet still read)
 *   /detectors/<kind>/<replica>/log/  loss, visual_fraction, snippets_per_s, lr  f64 [epochs]; attr seconds
 *   /gmm/<visual|audio>/  weights [k], means [k][d], cov [k][d] or [k][d][d], var_floor [d],
 *                         loglik_trace [t]; attrs k, d, full, iterations, converged, n_fit, mean_loglik
 *   /calibration/<visual|audio>  f64 [12] (rb_weight_calib fields in order)
 *   /stats/<visual|audio>/{mean,std}  f64 [d]; attrs rows, nonnegative (clean train statistics) */
#include "rb_model.h"
#include "rb_core.h"
#include "rb_io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RB_MODEL_FORMAT "robusta-model"
#define RB_MODEL_VERSION 1
static const char *rb_mod_name[2] = {"visual", "audio"};

int rb_model_slot(const rb_model *m, rb_detector_kind kind) {
    for (int i = 0; i < m->n_kinds; i++)
        if (m->kinds[i] == kind) return i;
    return -1;
}

static int rb_write_log(hid_t g, const rb_train_log *log) {
    hid_t lg;
    RB_TRY(rb_h5_group(g, "log", &lg));
    hsize_t dims[1] = {(hsize_t)log->n_epochs};
    int rc = RB_OK;
    if (log->n_epochs > 0 &&
        (rb_h5_write(lg, "loss", RB_H5_F64, 1, dims, log->loss) ||
         rb_h5_write(lg, "visual_fraction", RB_H5_F64, 1, dims, log->visual_fraction) ||
         rb_h5_write(lg, "snippets_per_s", RB_H5_F64, 1, dims, log->snippets_per_s) ||
         rb_h5_write(lg, "lr", RB_H5_F64, 1, dims, log->lr)))
        rc = RB_ERR;
    if (rc == RB_OK) rc = rb_h5_attr_double(lg, "seconds", log->seconds);
    H5Gclose(lg);
    return rc;
}

static int rb_write_detector(hid_t file, const rb_detector *d, const rb_train_log *log, int replica) {
    char path[256];
    snprintf(path, sizeof path, "detectors/%s/%d", rb_detector_kind_name(d->kind), replica);
    hid_t g;
    RB_TRY(rb_h5_group(file, path, &g));
    rb_param_view views[RB_DETECTOR_MAX_PARAMS];
    int n = 0, rc = rb_detector_params(d, views, &n);
    for (int i = 0; rc == RB_OK && i < n; i++) {
        hsize_t dims[2] = {(hsize_t)views[i].rows, (hsize_t)views[i].cols};
        rc = rb_h5_write(g, views[i].name, RB_H5_F32, 2, dims, views[i].data);
    }
    if (rc == RB_OK && (rb_h5_attr_int64(g, "hidden1", d->hidden1) || rb_h5_attr_int64(g, "hidden2", d->hidden2) ||
                        rb_h5_attr_double(g, "dropout", d->dropout) ||
                        rb_h5_attr_string(g, "arch", rb_detector_arch_name(d->arch))))
        rc = RB_ERR;
    if (rc == RB_OK && log) rc = rb_write_log(g, log);
    H5Gclose(g);
    if (rc != RB_OK) return rb_context("%s", path);
    return RB_OK;
}

static int rb_write_gmm(hid_t file, const rb_gmm *gm, const rb_weight_calib *calib, int mod) {
    char path[64];
    snprintf(path, sizeof path, "gmm/%s", rb_mod_name[mod]);
    hid_t g;
    RB_TRY(rb_h5_group(file, path, &g));
    hsize_t k[1] = {(hsize_t)gm->k}, kd[2] = {(hsize_t)gm->k, (hsize_t)gm->d};
    hsize_t kdd[3] = {(hsize_t)gm->k, (hsize_t)gm->d, (hsize_t)gm->d}, d1[1] = {(hsize_t)gm->d};
    hsize_t tr[1] = {(hsize_t)gm->n_trace};
    int rc = RB_OK;
    if (rb_h5_write(g, "weights", RB_H5_F64, 1, k, gm->weights) || rb_h5_write(g, "means", RB_H5_F64, 2, kd, gm->means) ||
        (gm->full ? rb_h5_write(g, "cov", RB_H5_F64, 3, kdd, gm->cov) : rb_h5_write(g, "cov", RB_H5_F64, 2, kd, gm->cov)) ||
        (gm->var_floor && rb_h5_write(g, "var_floor", RB_H5_F64, 1, d1, gm->var_floor)) ||
        (gm->n_trace > 0 && rb_h5_write(g, "loglik_trace", RB_H5_F64, 1, tr, gm->loglik_trace)) ||
        rb_h5_attr_int64(g, "k", gm->k) || rb_h5_attr_int64(g, "d", gm->d) || rb_h5_attr_int64(g, "full", gm->full) ||
        rb_h5_attr_int64(g, "iterations", gm->iterations) || rb_h5_attr_int64(g, "converged", gm->converged) ||
        rb_h5_attr_int64(g, "n_fit", gm->n_fit) || rb_h5_attr_double(g, "mean_loglik", gm->mean_loglik))
        rc = RB_ERR;
    H5Gclose(g);
    if (rc == RB_OK) {
        hid_t cg;
        rc = rb_h5_group(file, "calibration", &cg);
        if (rc == RB_OK) {
            hsize_t n[1] = {RB_WEIGHT_CALIB_NFIELDS};
            rc = rb_h5_write(cg, rb_mod_name[mod], RB_H5_F64, 1, n, (const double *)calib);
            H5Gclose(cg);
        }
    }
    if (rc != RB_OK) return rb_context("%s", path);
    return RB_OK;
}

static int rb_write_stats(hid_t file, const rb_clean_stats *st, int mod) {
    char path[64];
    snprintf(path, sizeof path, "stats/%s", rb_mod_name[mod]);
    hid_t g;
    RB_TRY(rb_h5_group(file, path, &g));
    hsize_t d[1] = {(hsize_t)st->dim};
    int rc = RB_OK;
    if (rb_h5_write(g, "mean", RB_H5_F64, 1, d, st->mean) || rb_h5_write(g, "std", RB_H5_F64, 1, d, st->std) ||
        rb_h5_attr_int64(g, "rows", st->rows) || rb_h5_attr_int64(g, "nonnegative", st->nonnegative))
        rc = RB_ERR;
    H5Gclose(g);
    return rc;
}

static int rb_read_stats(hid_t file, rb_clean_stats *st, int mod, int dim, const char *what) {
    char path[64];
    snprintf(path, sizeof path, "stats/%s", rb_mod_name[mod]);
    memset(st, 0, sizeof *st);
    if (!rb_h5_exists(file, path)) return rb_fail("%s: %s is missing", what, path);
    hid_t g = H5Gopen2(file, path, H5P_DEFAULT);
    int64_t rows = 0, nonneg = 0;
    st->dim = dim;
    st->mean = rb_calloc((size_t)dim, sizeof(double), "stats");
    st->std = rb_calloc((size_t)dim, sizeof(double), "stats");
    hsize_t d[1] = {(hsize_t)dim};
    int rc = st->mean && st->std ? RB_OK : RB_ERR;
    if (rc == RB_OK && (rb_h5_read_rows(g, "mean", RB_H5_F64, 1, d, 0, d[0], st->mean, what) ||
                        rb_h5_read_rows(g, "std", RB_H5_F64, 1, d, 0, d[0], st->std, what) ||
                        rb_h5_get_attr_int64(g, "rows", &rows, what) || rb_h5_get_attr_int64(g, "nonnegative", &nonneg, what)))
        rc = RB_ERR;
    for (int i = 0; rc == RB_OK && i < dim; i++)
        if (!isfinite(st->mean[i]) || !(st->std[i] >= 0)) rc = rb_fail("%s: %s has a non-finite value", what, path);
    st->rows = rows;
    st->nonnegative = (int)nonneg;
    H5Gclose(g);
    if (rc != RB_OK) rb_clean_stats_free(st);
    return rc;
}

int rb_model_write(const char *path, const rb_model *m, const char *config_text, char *const *inputs,
                   char *const *input_sha256, int n_inputs) {
    char tmp[4096];
    hid_t file;
    RB_TRY(rb_h5_create_tmp(path, MPI_COMM_NULL, &file, tmp, sizeof tmp));
    char kinds[256] = "";
    for (int i = 0; i < m->n_kinds; i++)
        snprintf(kinds + strlen(kinds), sizeof kinds - strlen(kinds), "%s%s", i ? "," : "", rb_detector_kind_name(m->kinds[i]));
    int rc = RB_OK;
    if (rb_h5_attr_string(file, "format", RB_MODEL_FORMAT) || rb_h5_attr_int64(file, "format_version", RB_MODEL_VERSION) ||
        rb_h5_attr_string(file, "dataset", m->dataset) || rb_h5_attr_string(file, "recipe", m->recipe) ||
        rb_h5_attr_int64(file, "d_visual", m->d_visual) || rb_h5_attr_int64(file, "d_audio", m->d_audio) ||
        rb_h5_attr_int64(file, "n_crops", m->n_crops) || rb_h5_attr_int64(file, "n_replicas", m->n_replicas) ||
        rb_h5_attr_string(file, "kinds", kinds) ||
        rb_provenance_write(file, config_text, inputs, input_sha256, n_inputs))
        rc = RB_ERR;
    for (int s = 0; rc == RB_OK && s < m->n_kinds; s++)
        for (int r = 0; rc == RB_OK && r < m->n_replicas; r++)
            rc = rb_write_detector(file, rb_model_detector(m, s, r), m->logs ? &m->logs[s * m->n_replicas + r] : NULL, r);
    for (int mod = 0; rc == RB_OK && mod < 2; mod++) rc = rb_write_gmm(file, &m->gmm[mod], &m->calib[mod], mod);
    for (int mod = 0; rc == RB_OK && mod < 2; mod++) rc = rb_write_stats(file, &m->stats[mod], mod);
    if (rb_h5_close(file, tmp) != RB_OK) rc = RB_ERR;
    if (rc == RB_OK) rc = rb_h5_publish(tmp, path);
    if (rc != RB_OK) {
        remove(tmp);
        return rb_context("writing %s", path);
    }
    return RB_OK;
}

static int rb_read_detector(hid_t file, rb_detector *d, rb_detector_kind kind, int replica, const rb_model *m,
                            const char *what) {
    char path[256];
    snprintf(path, sizeof path, "detectors/%s/%d", rb_detector_kind_name(kind), replica);
    if (!rb_h5_exists(file, path)) return rb_fail("%s: %s is missing", what, path);
    hid_t g = H5Gopen2(file, path, H5P_DEFAULT);
    int64_t h1 = 0, h2 = 0;
    int rc = RB_OK;
    if (rb_h5_get_attr_int64(g, "hidden1", &h1, what) || rb_h5_get_attr_int64(g, "hidden2", &h2, what)) rc = RB_ERR;
    if (rc == RB_OK && (h1 < 1 || h1 > 65536 || h2 < 1 || h2 > 65536))
        rc = rb_fail("%s: %s has implausible widths %lld/%lld", what, path, (long long)h1, (long long)h2);
    /* the architecture: attribute "arch" (absent in files written before hlnet existed: mlp) */
    rb_detector_arch arch = RB_ARCH_MLP;
    if (rc == RB_OK && H5Aexists(g, "arch") > 0) {
        char *name = NULL;
        rc = rb_h5_get_attr_string(g, "arch", &name, what);
        if (rc == RB_OK && rb_detector_arch_parse(name, &arch) != RB_OK)
            rc = rb_context("%s: %s attribute arch", what, path);
        free(name);
    }
    /* an initialised detector of the recorded shape, then every parameter block overwritten */
    if (rc == RB_OK) rc = rb_detector_init_arch(d, arch, kind, m->d_visual, m->d_audio, (int)h1, (int)h2, 0.0f, 0, 0);
    if (rc == RB_OK) {
        rb_param_view views[RB_DETECTOR_MAX_PARAMS];
        int n = 0;
        rc = rb_detector_params(d, views, &n);
        for (int i = 0; rc == RB_OK && i < n; i++) {
            hsize_t dims[2] = {(hsize_t)views[i].rows, (hsize_t)views[i].cols};
            char name[300];
            snprintf(name, sizeof name, "%s/%s", path, views[i].name);
            rc = rb_h5_read_rows(file, name, RB_H5_F32, 2, dims, 0, dims[0], views[i].data, what);
            for (int64_t j = 0; rc == RB_OK && j < views[i].rows * views[i].cols; j++)
                if (!isfinite(views[i].data[j])) rc = rb_fail("%s: %s has a non-finite weight", what, name);
        }
        if (rc != RB_OK) rb_detector_free(d);
    }
    H5Gclose(g);
    return rc;
}

static int rb_read_gmm(hid_t file, rb_gmm *gm, rb_weight_calib *calib, int mod, int d_expected, const char *what) {
    char path[64];
    snprintf(path, sizeof path, "gmm/%s", rb_mod_name[mod]);
    if (!rb_h5_exists(file, path)) return rb_fail("%s: %s is missing", what, path);
    hid_t g = H5Gopen2(file, path, H5P_DEFAULT);
    int64_t k = 0, d = 0, full = 0;
    int rc = RB_OK;
    if (rb_h5_get_attr_int64(g, "k", &k, what) || rb_h5_get_attr_int64(g, "d", &d, what) ||
        rb_h5_get_attr_int64(g, "full", &full, what))
        rc = RB_ERR;
    if (rc == RB_OK && (k < 1 || k > 4096 || d != d_expected || (full != 0 && full != 1)))
        rc = rb_fail("%s: %s has k = %lld, d = %lld (expected %d), full = %lld", what, path, (long long)k,
                     (long long)d, d_expected, (long long)full);
    if (rc == RB_OK) rc = rb_gmm_alloc(gm, (int)k, (int)d, (int)full);
    if (rc == RB_OK) {
        hsize_t kd[3] = {(hsize_t)k, (hsize_t)d, (hsize_t)d}, k1[1] = {(hsize_t)k};
        if (rb_h5_read_rows(g, "weights", RB_H5_F64, 1, k1, 0, k1[0], gm->weights, what) ||
            rb_h5_read_rows(g, "means", RB_H5_F64, 2, kd, 0, kd[0], gm->means, what) ||
            rb_h5_read_rows(g, "cov", RB_H5_F64, full ? 3 : 2, kd, 0, kd[0], gm->cov, what))
            rc = RB_ERR;
        if (rc == RB_OK) rc = rb_gmm_validate(gm);
        if (rc != RB_OK) rb_gmm_free(gm);
    }
    H5Gclose(g);
    if (rc == RB_OK) {
        char cpath[64];
        snprintf(cpath, sizeof cpath, "calibration/%s", rb_mod_name[mod]);
        hsize_t n[1] = {RB_WEIGHT_CALIB_NFIELDS};
        rc = rb_h5_read_rows(file, cpath, RB_H5_F64, 1, n, 0, n[0], (double *)calib, what);
        if (rc == RB_OK && !(calib->s_hi > 0 && calib->s_lo > 0 && isfinite(calib->tau_hi)))
            rc = rb_fail("%s: %s is not a valid calibration", what, cpath);
        if (rc != RB_OK) rb_gmm_free(gm);
    }
    if (rc != RB_OK) return rb_context("%s", path);
    return RB_OK;
}

int rb_model_read_recipe(const char *path, char **recipe) {
    hid_t f;
    RB_TRY(rb_h5_open_read(path, MPI_COMM_NULL, &f));
    int rc = rb_h5_get_attr_string(f, "recipe", recipe, path);
    H5Fclose(f);
    return rc;
}

int rb_model_read(const char *path, rb_model *m) {
    memset(m, 0, sizeof *m);
    hid_t file;
    RB_TRY(rb_h5_open_read(path, MPI_COMM_NULL, &file));
    char *format = NULL, *kinds = NULL;
    int64_t version = 0, dv = 0, da = 0, nc = 0, nr = 0;
    int rc = RB_OK;
    if (rb_h5_get_attr_string(file, "format", &format, path) != RB_OK || strcmp(format, RB_MODEL_FORMAT) != 0)
        rc = rb_fail("%s: not a robusta model file", path);
    else if (rb_h5_get_attr_int64(file, "format_version", &version, path) || version != RB_MODEL_VERSION)
        rc = rb_fail("%s: model format_version %lld not supported (expected %d)", path, (long long)version, RB_MODEL_VERSION);
    free(format);
    if (rc == RB_OK &&
        (rb_h5_get_attr_string(file, "dataset", &m->dataset, path) || rb_h5_get_attr_string(file, "recipe", &m->recipe, path) ||
         rb_h5_get_attr_int64(file, "d_visual", &dv, path) || rb_h5_get_attr_int64(file, "d_audio", &da, path) ||
         rb_h5_get_attr_int64(file, "n_crops", &nc, path) || rb_h5_get_attr_int64(file, "n_replicas", &nr, path) ||
         rb_h5_get_attr_string(file, "kinds", &kinds, path)))
        rc = RB_ERR;
    if (rc == RB_OK && (dv < 1 || dv > 65536 || da < 1 || da > 65536 || nc < 1 || nr < 1 || nr > 1000))
        rc = rb_fail("%s: implausible model shape", path);
    m->d_visual = (int)dv;
    m->d_audio = (int)da;
    m->n_crops = (int)nc;
    m->n_replicas = (int)nr;
    for (char *tok = kinds, *save = NULL; rc == RB_OK && (tok = strtok_r(tok, ",", &save)); tok = NULL) {
        if (m->n_kinds == RB_DET_N_KINDS || rb_detector_kind_parse(tok, &m->kinds[m->n_kinds]) != RB_OK)
            rc = rb_fail("%s: bad detector list '%s'", path, kinds);
        else
            m->n_kinds++;
    }
    free(kinds);
    if (rc == RB_OK) {
        m->det = rb_calloc((size_t)(m->n_kinds * m->n_replicas), sizeof *m->det, "detectors");
        if (!m->det) rc = RB_ERR;
    }
    for (int s = 0; rc == RB_OK && s < m->n_kinds; s++)
        for (int r = 0; rc == RB_OK && r < m->n_replicas; r++)
            rc = rb_read_detector(file, rb_model_detector(m, s, r), m->kinds[s], r, m, path);
    for (int mod = 0; rc == RB_OK && mod < 2; mod++)
        rc = rb_read_gmm(file, &m->gmm[mod], &m->calib[mod], mod, mod == 0 ? m->d_visual : m->d_audio, path);
    for (int mod = 0; rc == RB_OK && mod < 2; mod++)
        rc = rb_read_stats(file, &m->stats[mod], mod, mod == 0 ? m->d_visual : m->d_audio, path);
    H5Fclose(file);
    if (rc != RB_OK) {
        rb_model_free(m); /* every free below is safe on a zeroed or already-freed part */
        return RB_ERR;
    }
    return RB_OK;
}

void rb_model_free(rb_model *m) {
    if (m->det)
        for (int i = 0; i < m->n_kinds * m->n_replicas; i++) rb_detector_free(&m->det[i]);
    if (m->logs)
        for (int i = 0; i < m->n_kinds * m->n_replicas; i++) rb_train_log_free(&m->logs[i]);
    free(m->det);
    free(m->logs);
    rb_gmm_free(&m->gmm[0]);
    rb_gmm_free(&m->gmm[1]);
    rb_clean_stats_free(&m->stats[0]);
    rb_clean_stats_free(&m->stats[1]);
    free(m->dataset);
    free(m->recipe);
    memset(m, 0, sizeof *m);
}

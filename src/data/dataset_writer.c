/* dataset_writer.c - streaming writer of dataset files (dataset_writer.h): datasets created at
 * their final size, rows written in order with a chunk cache large enough that partial chunks are
 * completed in memory, metadata written at finish. */
#include "dataset_writer.h"
#include "rb_core.h"
#include "rb_io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RB_W_VISUAL, RB_W_AUDIO, RB_W_POS, RB_W_FRAMES, RB_W_N };

struct rb_dataset_writer {
    char path[4096], tmp[4200];
    hid_t file;
    hid_t ds[2][RB_W_N];
    const rb_dataset *meta;
    int64_t next_row[2];
    int32_t fps;
};

static hid_t rb_w_create(hid_t g, const char *name, hid_t type, int rank, const hsize_t *dims, size_t row_bytes) {
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hsize_t chunk[3] = {dims[0], rank > 1 ? dims[1] : 1, rank > 2 ? dims[2] : 1};
    hsize_t rows = (hsize_t)((4u << 20) / (row_bytes ? row_bytes : 1));
    chunk[0] = rows < 1 ? 1 : rows > dims[0] ? dims[0] : rows;
    if (dims[0] > 0) H5Pset_chunk(dcpl, rank, chunk);
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    H5Pset_chunk_cache(dapl, 521, 64u << 20, 1.0); /* 64 MiB: a partly written chunk stays in memory */
    hid_t ds = H5Dcreate2(g, name, type, space, H5P_DEFAULT, dcpl, dapl);
    H5Pclose(dapl);
    H5Pclose(dcpl);
    H5Sclose(space);
    return ds;
}

static int rb_w_split(rb_dataset_writer *w, int k, const char *name) {
    const rb_split *s = k == 0 ? &w->meta->train : &w->meta->test;
    hid_t g;
    RB_TRY(rb_h5_group(w->file, name, &g));
    int rc = RB_OK;
    if (rb_h5_attr_int64(g, "n_videos", s->n_videos) || rb_h5_attr_int64(g, "n_snippets", s->n_snippets) ||
        rb_h5_attr_int64(g, "n_crops", s->n_crops) || rb_h5_attr_int64(g, "d_visual", s->d_visual) ||
        rb_h5_attr_int64(g, "d_audio", s->d_audio))
        rc = RB_ERR;
    for (int i = 0; i < RB_W_N; i++) w->ds[k][i] = -1;
    if (rc == RB_OK && s->n_videos > 0) {
        hsize_t vd[3] = {(hsize_t)s->n_snippets, (hsize_t)s->n_crops, (hsize_t)s->d_visual};
        hsize_t ad[2] = {(hsize_t)s->n_snippets, (hsize_t)s->d_audio}, sd[1] = {(hsize_t)s->n_snippets};
        hsize_t od[1] = {(hsize_t)s->n_videos + 1}, ld[1] = {(hsize_t)s->n_videos};
        w->ds[k][RB_W_VISUAL] = rb_w_create(g, "visual", H5T_IEEE_F32LE, 3, vd, sizeof(float) * s->n_crops * (size_t)s->d_visual);
        w->ds[k][RB_W_AUDIO] = rb_w_create(g, "audio", H5T_IEEE_F32LE, 2, ad, sizeof(float) * (size_t)s->d_audio);
        if (k == 1) {
            w->ds[k][RB_W_POS] = rb_w_create(g, "snippet_pos", H5T_STD_I32LE, 1, sd, 4);
            w->ds[k][RB_W_FRAMES] = rb_w_create(g, "snippet_frames", H5T_STD_I32LE, 1, sd, 4);
        }
        if (w->ds[k][RB_W_VISUAL] < 0 || w->ds[k][RB_W_AUDIO] < 0 || (k == 1 && (w->ds[k][RB_W_POS] < 0 || w->ds[k][RB_W_FRAMES] < 0)))
            rc = rb_fail("cannot create the /%s datasets", name);
        if (rc == RB_OK && (rb_h5_write(g, "offsets", RB_H5_I64, 1, od, s->offsets) ||
                            rb_h5_write(g, "labels", RB_H5_U8, 1, ld, s->labels) ||
                            rb_h5_write_strings(g, "names", s->names, s->n_videos)))
            rc = RB_ERR;
    }
    H5Gclose(g);
    return rc;
}

static void rb_w_close(rb_dataset_writer *w) {
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < RB_W_N; i++)
            if (w->ds[k][i] >= 0) H5Dclose(w->ds[k][i]);
    if (w->file >= 0) H5Fclose(w->file);
    w->file = -1;
}

int rb_dataset_writer_open(rb_dataset_writer **out, const char *path, const rb_dataset *meta) {
    *out = NULL;
    /* metadata checks without features: rb_split_validate skips them when visual/audio are NULL */
    rb_split tr = meta->train, te = meta->test;
    tr.visual = tr.audio = te.visual = te.audio = NULL;
    te.snippet_pos = te.snippet_frames = NULL;
    RB_TRY_CTX(rb_split_validate(&tr, meta->frames_per_snippet, 0, "train split"), "%s", path);
    RB_TRY_CTX(rb_split_validate(&te, meta->frames_per_snippet, 0, "test split"), "%s", path);
    if (meta->test.n_videos == 0) return rb_fail("%s: the test split has no videos", path);
    rb_dataset_writer *w = rb_calloc(1, sizeof *w, "dataset writer");
    if (!w) return RB_ERR;
    w->meta = meta;
    w->fps = meta->frames_per_snippet;
    snprintf(w->path, sizeof w->path, "%s", path);
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < RB_W_N; i++) w->ds[k][i] = -1;
    w->file = -1;
    int rc = rb_h5_create_tmp(path, MPI_COMM_NULL, &w->file, w->tmp, sizeof w->tmp);
    if (rc == RB_OK &&
        (rb_h5_attr_string(w->file, "format", "robusta-dataset") || rb_h5_attr_int64(w->file, "format_version", 1) ||
         rb_h5_attr_string(w->file, "name", meta->name ? meta->name : "") ||
         rb_h5_attr_string(w->file, "source", meta->source ? meta->source : "") ||
         rb_h5_attr_string(w->file, "recipe", meta->recipe ? meta->recipe : "") ||
         rb_h5_attr_int64(w->file, "frames_per_snippet", meta->frames_per_snippet) ||
         rb_provenance_write(w->file, meta->config_text, NULL, NULL, 0) || rb_w_split(w, 0, "train") ||
         rb_w_split(w, 1, "test")))
        rc = RB_ERR;
    if (rc != RB_OK) {
        rb_dataset_writer_abort(w);
        return rb_context("writing %s", path);
    }
    *out = w;
    return RB_OK;
}

static int rb_w_rows(hid_t ds, hid_t mtype, int rank, int64_t row0, int64_t nrows, const void *data, const char *what) {
    hid_t fs = H5Dget_space(ds);
    hsize_t dims[3], start[3] = {(hsize_t)row0, 0, 0}, count[3];
    H5Sget_simple_extent_dims(fs, dims, NULL);
    count[0] = (hsize_t)nrows;
    for (int i = 1; i < rank; i++) count[i] = dims[i];
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    hid_t ms = H5Screate_simple(rank, count, NULL);
    herr_t st = H5Dwrite(ds, mtype, ms, fs, H5P_DEFAULT, data);
    if (rb_fault_active && rb_h5_fault_write(ds, "")) st = -1; /* RB_FAULT (rb_core.h) */
    H5Sclose(ms);
    H5Sclose(fs);
    if (st < 0) return rb_fail("writing %s rows %lld.. failed (disk full?)", what, (long long)row0);
    return RB_OK;
}

int rb_dataset_writer_rows(rb_dataset_writer *w, int split, int64_t row0, int64_t nrows, const float *visual,
                           const float *audio, const int32_t *pos, const int32_t *frames) {
    const rb_split *s = split == 0 ? &w->meta->train : &w->meta->test;
    const char *name = split == 0 ? "train" : "test";
    if (row0 != w->next_row[split] || row0 + nrows > s->n_snippets)
        return rb_fail("%s: /%s rows must be written in order (expected row %lld, got %lld..%lld of %lld)", w->path,
                       name, (long long)w->next_row[split], (long long)row0, (long long)(row0 + nrows),
                       (long long)s->n_snippets);
    size_t nv = (size_t)nrows * (size_t)s->n_crops * (size_t)s->d_visual, na = (size_t)nrows * (size_t)s->d_audio;
    for (size_t i = 0; i < nv; i++)
        if (!isfinite(visual[i])) return rb_fail("%s: /%s visual row %lld is not finite", w->path, name, (long long)(row0 + (int64_t)(i / ((size_t)s->n_crops * s->d_visual))));
    for (size_t i = 0; i < na; i++)
        if (!isfinite(audio[i])) return rb_fail("%s: /%s audio row %lld is not finite", w->path, name, (long long)(row0 + (int64_t)(i / (size_t)s->d_audio)));
    if (split == 1)
        for (int64_t i = 0; i < nrows; i++)
            if (frames[i] < 1 || frames[i] > w->fps || pos[i] < 0 || pos[i] > frames[i])
                return rb_fail("%s: test snippet %lld has %d positive of %d frames", w->path, (long long)(row0 + i), pos[i], frames[i]);
    RB_TRY(rb_w_rows(w->ds[split][RB_W_VISUAL], H5T_NATIVE_FLOAT, 3, row0, nrows, visual, "visual"));
    RB_TRY(rb_w_rows(w->ds[split][RB_W_AUDIO], H5T_NATIVE_FLOAT, 2, row0, nrows, audio, "audio"));
    if (split == 1) {
        RB_TRY(rb_w_rows(w->ds[1][RB_W_POS], H5T_NATIVE_INT32, 1, row0, nrows, pos, "snippet_pos"));
        RB_TRY(rb_w_rows(w->ds[1][RB_W_FRAMES], H5T_NATIVE_INT32, 1, row0, nrows, frames, "snippet_frames"));
    }
    w->next_row[split] = row0 + nrows;
    return RB_OK;
}

int rb_dataset_writer_finish(rb_dataset_writer *w) {
    int rc = RB_OK;
    for (int k = 0; k < 2 && rc == RB_OK; k++) {
        const rb_split *s = k == 0 ? &w->meta->train : &w->meta->test;
        if (w->next_row[k] != s->n_snippets)
            rc = rb_fail("%s: only %lld of %lld /%s rows were written", w->path, (long long)w->next_row[k],
                         (long long)s->n_snippets, k == 0 ? "train" : "test");
    }
    if (rc != RB_OK) {
        rb_dataset_writer_abort(w);
        return RB_ERR;
    }
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < RB_W_N; i++)
            if (w->ds[k][i] >= 0) {
                if (H5Dclose(w->ds[k][i]) < 0) rc = rb_fail("%s: flushing a dataset failed (disk full?)", w->tmp);
                w->ds[k][i] = -1;
            }
    if (rb_h5_close(w->file, w->tmp) != RB_OK) rc = RB_ERR;
    w->file = -1;
    if (rc == RB_OK) rc = rb_dataset_train_digest_stamp(w->tmp); /* renaming keeps the stamp */
    if (rc == RB_OK) rc = rb_h5_publish(w->tmp, w->path);
    if (rc != RB_OK) remove(w->tmp);
    free(w);
    return rc;
}

void rb_dataset_writer_abort(rb_dataset_writer *w) {
    if (!w) return;
    rb_w_close(w);
    remove(w->tmp);
    free(w);
}

/* dataset_file.c - the dataset file: write (serial, via a fresh <path>.tmp.XXXXXX) and read + validate (serial or
 * MPI-IO). Layout in docs/formats.md:
 *   /                attrs format="robusta-dataset", format_version, name, source, recipe,
 *                    frames_per_snippet
 *   /provenance      see provenance.c
 *   /train, /test    attrs n_videos, n_snippets, n_crops, d_visual, d_audio
 *     visual [S][C][Dv] f32, audio [S][Da] f32, offsets [V+1] i64, names [V] str, labels [V] u8
 *     (test only) snippet_pos [S] i32, snippet_frames [S] i32
 *   /test/corrupted/<modality>/<corruption>/<severity>   optional pre-extracted corrupted features */
#include "rb_data.h"
#include "rb_core.h"
#include "rb_io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RB_DATASET_FORMAT "robusta-dataset"
#define RB_DATASET_VERSION 1

static int rb_write_split(hid_t file, const char *group_name, const rb_split *s, int with_truth) {
    hid_t g;
    RB_TRY(rb_h5_group(file, group_name, &g));
    int rc = RB_OK;
    if (rb_h5_attr_int64(g, "n_videos", s->n_videos) || rb_h5_attr_int64(g, "n_snippets", s->n_snippets) ||
        rb_h5_attr_int64(g, "n_crops", s->n_crops) || rb_h5_attr_int64(g, "d_visual", s->d_visual) ||
        rb_h5_attr_int64(g, "d_audio", s->d_audio))
        rc = RB_ERR;
    if (rc == RB_OK && s->n_videos > 0) {
        hsize_t vdims[3] = {(hsize_t)s->n_snippets, (hsize_t)s->n_crops, (hsize_t)s->d_visual};
        hsize_t adims[2] = {(hsize_t)s->n_snippets, (hsize_t)s->d_audio};
        hsize_t odims[1] = {(hsize_t)s->n_videos + 1};
        hsize_t ldims[1] = {(hsize_t)s->n_videos};
        hsize_t sdims[1] = {(hsize_t)s->n_snippets};
        if (rb_h5_write(g, "visual", RB_H5_F32, 3, vdims, s->visual) ||
            rb_h5_write(g, "audio", RB_H5_F32, 2, adims, s->audio) ||
            rb_h5_write(g, "offsets", RB_H5_I64, 1, odims, s->offsets) ||
            rb_h5_write(g, "labels", RB_H5_U8, 1, ldims, s->labels) ||
            rb_h5_write_strings(g, "names", s->names, s->n_videos))
            rc = RB_ERR;
        if (rc == RB_OK && with_truth &&
            (rb_h5_write(g, "snippet_pos", RB_H5_I32, 1, sdims, s->snippet_pos) ||
             rb_h5_write(g, "snippet_frames", RB_H5_I32, 1, sdims, s->snippet_frames)))
            rc = RB_ERR;
    }
    H5Gclose(g);
    if (rc != RB_OK) return rb_context("/%s", group_name);
    return RB_OK;
}

int rb_dataset_write(const char *path, const rb_dataset *d) {
    RB_TRY_CTX(rb_split_validate(&d->train, d->frames_per_snippet, 0, "train split"), "%s", path);
    RB_TRY_CTX(rb_split_validate(&d->test, d->frames_per_snippet, 1, "test split"), "%s", path);
    if (d->test.n_videos == 0) return rb_fail("%s: the test split has no videos", path);
    char tmp[4096];
    hid_t file;
    RB_TRY(rb_h5_create_tmp(path, MPI_COMM_NULL, &file, tmp, sizeof tmp));
    int rc = RB_OK;
    if (rb_h5_attr_string(file, "format", RB_DATASET_FORMAT) ||
        rb_h5_attr_int64(file, "format_version", RB_DATASET_VERSION) ||
        rb_h5_attr_string(file, "name", d->name ? d->name : "") ||
        rb_h5_attr_string(file, "source", d->source ? d->source : "") ||
        rb_h5_attr_string(file, "recipe", d->recipe ? d->recipe : "") ||
        rb_h5_attr_int64(file, "frames_per_snippet", d->frames_per_snippet) ||
        rb_provenance_write(file, d->config_text, d->inputs, d->input_sha256, d->n_inputs) ||
        rb_write_split(file, "train", &d->train, 0) || rb_write_split(file, "test", &d->test, 1))
        rc = RB_ERR;
    if (rb_h5_close(file, tmp) != RB_OK) rc = RB_ERR;
    if (rc == RB_OK) rc = rb_dataset_train_digest_stamp(tmp); /* train_digest_cache.c; renaming keeps it */
    if (rc == RB_OK) rc = rb_h5_publish(tmp, path);
    if (rc != RB_OK) {
        remove(tmp);
        return rb_context("writing %s", path);
    }
    return RB_OK;
}

static int rb_expect_dims(const hsize_t *got, const hsize_t *want, int rank, const char *what, const char *name) {
    for (int i = 0; i < rank; i++)
        if (got[i] != want[i]) {
            char g[128] = "", w[128] = "";
            for (int j = 0; j < rank; j++) {
                snprintf(g + strlen(g), sizeof g - strlen(g), "%s%llu", j ? " x " : "", (unsigned long long)got[j]);
                snprintf(w + strlen(w), sizeof w - strlen(w), "%s%llu", j ? " x " : "", (unsigned long long)want[j]);
            }
            return rb_fail("%s: %s has shape [%s], expected [%s]", what, name, g, w);
        }
    return RB_OK;
}

/* Feature handling of a split read: allocate and read (own), leave out (NULL), or read into caller
 * buffers (the node-shared window). */
typedef enum { RB_FEAT_OWN, RB_FEAT_SKIP, RB_FEAT_INTO } rb_feat_mode;

static int rb_read_split(hid_t file, const char *group_name, rb_split *s, int with_truth, int32_t fps,
                         const char *path, rb_feat_mode mode, float *into_visual, float *into_audio) {
    char what[4200];
    snprintf(what, sizeof what, "%s: /%s", path, group_name);
    memset(s, 0, sizeof *s);
    if (!rb_h5_exists(file, group_name)) return rb_fail("%s is missing", what);
    hid_t g = H5Gopen2(file, group_name, H5P_DEFAULT);
    if (g < 0) return rb_fail("%s: cannot open the group", what);
    int64_t nv = 0, ns = 0, nc = 0, dv = 0, da = 0;
    int rc = RB_OK;
    if (rb_h5_get_attr_int64(g, "n_videos", &nv, what) || rb_h5_get_attr_int64(g, "n_snippets", &ns, what) ||
        rb_h5_get_attr_int64(g, "n_crops", &nc, what) || rb_h5_get_attr_int64(g, "d_visual", &dv, what) ||
        rb_h5_get_attr_int64(g, "d_audio", &da, what))
        rc = RB_ERR;
    if (rc == RB_OK && (nv < 0 || ns < nv || nc < 1 || nc > 64 || dv < 1 || dv > 65536 || da < 1 || da > 65536))
        rc = rb_fail("%s: implausible sizes (videos %lld, snippets %lld, crops %lld, widths %lld/%lld)", what,
                     (long long)nv, (long long)ns, (long long)nc, (long long)dv, (long long)da);
    if (rc != RB_OK || nv == 0) {
        H5Gclose(g);
        s->n_crops = (int32_t)(nc > 0 ? nc : 1);
        s->d_visual = (int32_t)dv;
        s->d_audio = (int32_t)da;
        return rc;
    }
    hsize_t dims[3];
    void *buf = NULL;
    s->n_videos = nv;
    s->n_snippets = ns;
    s->n_crops = (int32_t)nc;
    s->d_visual = (int32_t)dv;
    s->d_audio = (int32_t)da;
    hsize_t want_v[3] = {(hsize_t)ns, (hsize_t)nc, (hsize_t)dv}, want_a[2] = {(hsize_t)ns, (hsize_t)da};
    hsize_t want_o[1] = {(hsize_t)nv + 1}, want_l[1] = {(hsize_t)nv}, want_s[1] = {(hsize_t)ns};
#define RB_READ(name, type, rank, want, field)                                                     \
    if (rc == RB_OK) {                                                                             \
        rc = rb_h5_read(g, name, type, rank, dims, &buf, what);                                    \
        if (rc == RB_OK) rc = rb_expect_dims(dims, want, rank, what, name);                        \
        if (rc == RB_OK) s->field = buf;                                                           \
        else free(buf);                                                                            \
        buf = NULL;                                                                                \
    }
    RB_READ("offsets", RB_H5_I64, 1, want_o, offsets)
    RB_READ("labels", RB_H5_U8, 1, want_l, labels)
    if (mode == RB_FEAT_OWN) {
        RB_READ("audio", RB_H5_F32, 2, want_a, audio)
        RB_READ("visual", RB_H5_F32, 3, want_v, visual)
    } else if (mode == RB_FEAT_INTO && rc == RB_OK) {
        rc = rb_h5_read_rows(g, "audio", RB_H5_F32, 2, want_a, 0, want_a[0], into_audio, what);
        if (rc == RB_OK) rc = rb_h5_read_rows(g, "visual", RB_H5_F32, 3, want_v, 0, want_v[0], into_visual, what);
        if (rc == RB_OK) {
            s->audio = into_audio;
            s->visual = into_visual;
        }
    }
    if (with_truth) {
        RB_READ("snippet_pos", RB_H5_I32, 1, want_s, snippet_pos)
        RB_READ("snippet_frames", RB_H5_I32, 1, want_s, snippet_frames)
    }
#undef RB_READ
    if (rc == RB_OK) rc = rb_h5_read_strings(g, "names", nv, &s->names, what);
    H5Gclose(g);
    if (mode != RB_FEAT_OWN) s->features_borrowed = 1;
    if (rc == RB_OK) rc = rb_split_validate(s, fps, with_truth, what);
    if (rc != RB_OK) {
        rb_split_free(s);
    }
    return rc;
}

/* Read the root attributes and the splits: want_train / want_test select them, mode says what happens
 * to the features of the split named by shared_split ("train" or "test"; the other split, if read,
 * owns its features). */
static int rb_dataset_read_impl(const char *path, rb_dataset *d, MPI_Comm comm, int want_train, int want_test,
                                const char *shared_split, rb_feat_mode mode, float *into_visual, float *into_audio) {
    memset(d, 0, sizeof *d);
    hid_t file;
    RB_TRY(rb_h5_open_read(path, comm, &file));
    char *format = NULL;
    int64_t version = 0, fps = 0;
    int rc = RB_OK;
    if (rb_h5_get_attr_string(file, "format", &format, path) != RB_OK) {
        rc = rb_fail("%s: not a robusta dataset file (no 'format' attribute)", path);
    } else if (strcmp(format, RB_DATASET_FORMAT) != 0) {
        rc = rb_fail("%s: format is '%s', expected '%s'", path, format, RB_DATASET_FORMAT);
    }
    free(format);
    if (rc == RB_OK && rb_h5_get_attr_int64(file, "format_version", &version, path) == RB_OK &&
        version != RB_DATASET_VERSION)
        rc = rb_fail("%s: format_version %lld is not supported (this robusta reads %d)", path,
                     (long long)version, RB_DATASET_VERSION);
    if (rc == RB_OK && (rb_h5_get_attr_int64(file, "frames_per_snippet", &fps, path) != RB_OK || fps < 1 || fps > 1024))
        rc = rb_fail("%s: frames_per_snippet missing or out of range", path);
    if (rc == RB_OK && (rb_h5_get_attr_string(file, "name", &d->name, path) ||
                        rb_h5_get_attr_string(file, "source", &d->source, path) ||
                        rb_h5_get_attr_string(file, "recipe", &d->recipe, path)))
        rc = RB_ERR;
    d->frames_per_snippet = (int32_t)fps;
    if (rc == RB_OK && rb_h5_exists(file, "provenance/config")) {
        char **cfg = NULL;
        hid_t g = H5Gopen2(file, "provenance", H5P_DEFAULT);
        rc = rb_h5_read_strings(g, "config", 1, &cfg, path); /* present but unreadable: an error */
        if (rc == RB_OK) {
            d->config_text = cfg[0];
            free(cfg);
        }
        H5Gclose(g);
    }
    int train_shared = shared_split && strcmp(shared_split, "train") == 0;
    int test_shared = shared_split && strcmp(shared_split, "test") == 0;
    if (rc == RB_OK && want_train)
        rc = rb_read_split(file, "train", &d->train, 0, d->frames_per_snippet, path, train_shared ? mode : RB_FEAT_OWN,
                           into_visual, into_audio);
    if (rc == RB_OK && want_test)
        rc = rb_read_split(file, "test", &d->test, 1, d->frames_per_snippet, path, test_shared ? mode : RB_FEAT_OWN,
                           into_visual, into_audio);
    if (rc == RB_OK && want_test && d->test.n_videos == 0) rc = rb_fail("%s: the test split has no videos", path);
    if (rc == RB_OK && want_train && want_test && d->train.n_videos > 0 &&
        (d->train.d_visual != d->test.d_visual || d->train.d_audio != d->test.d_audio ||
         d->train.n_crops != d->test.n_crops))
        rc = rb_fail("%s: train and test splits have different feature shapes", path);
    H5Fclose(file);
    if (rc != RB_OK) rb_dataset_free(d);
    return rc;
}

int rb_dataset_read(const char *path, rb_dataset *d, MPI_Comm comm) {
    return rb_dataset_read_impl(path, d, comm, 1, 1, NULL, RB_FEAT_OWN, NULL, NULL);
}

/* Sizes of a split from its attributes, for sizing the shared window. */
static int rb_split_sizes(const char *path, const char *split, int64_t *ns, int64_t *nc, int64_t *dv, int64_t *da) {
    hid_t file;
    RB_TRY(rb_h5_open_read(path, MPI_COMM_NULL, &file));
    int rc = RB_OK;
    if (!rb_h5_exists(file, split)) rc = rb_fail("%s: /%s is missing", path, split);
    if (rc == RB_OK) {
        hid_t g = H5Gopen2(file, split, H5P_DEFAULT);
        if (rb_h5_get_attr_int64(g, "n_snippets", ns, path) || rb_h5_get_attr_int64(g, "n_crops", nc, path) ||
            rb_h5_get_attr_int64(g, "d_visual", dv, path) || rb_h5_get_attr_int64(g, "d_audio", da, path))
            rc = RB_ERR;
        H5Gclose(g);
    }
    H5Fclose(file);
    if (rc == RB_OK && (*ns < 0 || *nc < 1 || *nc > 64 || *dv < 1 || *dv > 65536 || *da < 1 || *da > 65536))
        rc = rb_fail("%s: implausible /%s split sizes", path, split);
    return rc;
}

int rb_dataset_read_test_shared(const char *path, rb_dataset *d, MPI_Comm comm, MPI_Win *win) {
    return rb_dataset_read_shared(path, "test", d, comm, win);
}

int rb_dataset_read_shared(const char *path, const char *split, rb_dataset *d, MPI_Comm comm, MPI_Win *win) {
    memset(d, 0, sizeof *d);
    *win = MPI_WIN_NULL;
    int is_train = strcmp(split, "train") == 0;
    MPI_Comm node;
    rb_node_comm(comm, &node);
    int node_rank;
    MPI_Comm_rank(node, &node_rank);
    int64_t ns = 0, nc = 0, dv = 0, da = 0;
    int rc = node_rank == 0 ? rb_split_sizes(path, split, &ns, &nc, &dv, &da) : RB_OK;
    if (rb_mpi_agree(rc, &comm) != RB_OK) { /* every rank returns (rb_core.h) */
        MPI_Comm_free(&node);
        return RB_ERR;
    }
    int64_t sizes[4] = {ns, nc, dv, da};
    MPI_Bcast(sizes, 4, MPI_INT64_T, 0, node);
    size_t nvis = (size_t)sizes[0] * (size_t)sizes[1] * (size_t)sizes[2], naud = (size_t)sizes[0] * (size_t)sizes[3];
    float *base = NULL;
    MPI_Aint bytes = node_rank == 0 ? (MPI_Aint)(sizeof(float) * (nvis + naud)) : 0;
    if (MPI_Win_allocate_shared(bytes, sizeof(float), MPI_INFO_NULL, node, &base, win) != MPI_SUCCESS)
        rc = rb_fail("%s: cannot allocate the node-shared window for the %s features (%.1f MiB)", path, split,
                     (double)(sizeof(float) * (nvis + naud)) / 1048576.0);
    if (rb_mpi_agree(rc, &comm) != RB_OK) {
        if (*win != MPI_WIN_NULL) MPI_Win_free(win);
        MPI_Comm_free(&node);
        return RB_ERR;
    }
    rb_mpi_set_win_error_handler(win); /* an MPI error on the window ends the job with one line */
    MPI_Aint qsize;
    int disp;
    MPI_Win_shared_query(*win, 0, &qsize, &disp, &base);
    MPI_Win_fence(0, *win);
    /* the node's first rank reads (and checks) the features; every rank reads the small metadata */
    rc = rb_dataset_read_impl(path, d, MPI_COMM_NULL, is_train, !is_train, split,
                              node_rank == 0 ? RB_FEAT_INTO : RB_FEAT_SKIP, base, base + nvis);
    if (rb_mpi_agree(rc, &comm) != RB_OK) {
        rb_dataset_free(d);
        MPI_Win_free(win); /* collective over the node, as its allocation */
        MPI_Comm_free(&node);
        return RB_ERR;
    }
    MPI_Win_fence(0, *win);
    rb_split *s = is_train ? &d->train : &d->test;
    if (s->n_videos > 0) {
        s->visual = base;
        s->audio = base + nvis;
    }
    s->features_borrowed = 1;
    MPI_Comm_free(&node);
    return RB_OK;
}

void rb_dataset_free_shared(rb_dataset *d, MPI_Win *win) {
    rb_dataset_free(d);
    if (*win != MPI_WIN_NULL) MPI_Win_free(win);
}

int rb_dataset_read_corrupted(const char *path, const rb_split *test, int modality, const char *corruption,
                              int severity, float **out, int *found) {
    *out = NULL;
    *found = 0;
    hid_t file;
    RB_TRY(rb_h5_open_read(path, MPI_COMM_NULL, &file));
    char name[512];
    snprintf(name, sizeof name, "test/corrupted/%s/%s/%d", modality == 0 ? "visual" : "audio", corruption, severity);
    int rc = RB_OK;
    if (rb_h5_exists(file, name)) {
        hsize_t dims[3];
        void *buf = NULL;
        int rank = modality == 0 ? 3 : 2;
        hsize_t want[3] = {(hsize_t)test->n_snippets, modality == 0 ? (hsize_t)test->n_crops : (hsize_t)test->d_audio,
                           (hsize_t)test->d_visual};
        char what[4200];
        snprintf(what, sizeof what, "%s: pre-extracted corrupted features", path);
        rc = rb_h5_read(file, name, RB_H5_F32, rank, dims, &buf, what);
        if (rc == RB_OK) rc = rb_expect_dims(dims, want, rank, what, name);
        size_t n = (size_t)dims[0] * (size_t)dims[1] * (rank == 3 ? (size_t)dims[2] : 1);
        for (size_t i = 0; rc == RB_OK && i < n; i++)
            if (!isfinite(((float *)buf)[i])) rc = rb_fail("%s: %s has a non-finite value at element %zu", what, name, i);
        if (rc == RB_OK) {
            *out = buf;
            *found = 1;
        } else {
            free(buf);
        }
    }
    H5Fclose(file);
    return rc;
}

/* Hash one dataset of a group in row blocks (bounded memory). */
static int rb_hash_dataset(hid_t g, const char *name, rb_h5_type type, int rank, size_t elem, rb_sha256 *h,
                           const char *what) {
    hid_t ds;
    hsize_t dims[3] = {0, 1, 1};
    if (!rb_h5_exists(g, name)) return rb_fail("%s: dataset %s is missing", what, name);
    ds = H5Dopen2(g, name, H5P_DEFAULT);
    hid_t sp = H5Dget_space(ds);
    int r = H5Sget_simple_extent_ndims(sp);
    if (r == rank) H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    H5Dclose(ds);
    if (r != rank) return rb_fail("%s: %s has rank %d, expected %d", what, name, r, rank);
    size_t row = elem;
    for (int i = 1; i < rank; i++) row *= (size_t)dims[i];
    hsize_t block = (hsize_t)((16u << 20) / (row ? row : 1));
    if (block < 1) block = 1;
    void *buf = rb_malloc(row * (size_t)(block < dims[0] ? block : (dims[0] ? dims[0] : 1)), "hash buffer");
    if (!buf) return RB_ERR;
    int rc = RB_OK;
    for (hsize_t r0 = 0; rc == RB_OK && r0 < dims[0]; r0 += block) {
        hsize_t n = dims[0] - r0 < block ? dims[0] - r0 : block;
        rc = rb_h5_read_rows(g, name, type, rank, dims, r0, n, buf, what);
        if (rc == RB_OK) rb_sha256_update(h, buf, row * (size_t)n);
    }
    free(buf);
    return rc;
}

int rb_dataset_train_digest(const char *path, char hex[65]) {
    hid_t file;
    RB_TRY(rb_h5_open_read(path, MPI_COMM_NULL, &file));
    rb_sha256 h;
    rb_sha256_init(&h);
    char *recipe = NULL;
    int rc = rb_h5_get_attr_string(file, "recipe", &recipe, path);
    if (rc == RB_OK) rb_sha256_update(&h, recipe, strlen(recipe) + 1);
    free(recipe);
    int64_t nv = 0;
    hid_t g = -1;
    if (rc == RB_OK) {
        if (!rb_h5_exists(file, "train")) rc = rb_fail("%s: /train is missing", path);
        else g = H5Gopen2(file, "train", H5P_DEFAULT);
    }
    if (rc == RB_OK) rc = rb_h5_get_attr_int64(g, "n_videos", &nv, path);
    if (rc == RB_OK && nv > 0) {
        char **names = NULL;
        if (rb_hash_dataset(g, "offsets", RB_H5_I64, 1, 8, &h, path) || rb_hash_dataset(g, "labels", RB_H5_U8, 1, 1, &h, path) ||
            rb_hash_dataset(g, "audio", RB_H5_F32, 2, 4, &h, path) || rb_hash_dataset(g, "visual", RB_H5_F32, 3, 4, &h, path) ||
            rb_h5_read_strings(g, "names", nv, &names, path))
            rc = RB_ERR;
        for (int64_t v = 0; names && v < nv; v++) {
            rb_sha256_update(&h, names[v], strlen(names[v]) + 1);
            free(names[v]);
        }
        free(names);
    }
    if (g >= 0) H5Gclose(g);
    H5Fclose(file);
    if (rc == RB_OK) rb_sha256_hex(&h, hex);
    return rc;
}

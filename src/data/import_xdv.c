/* import_xdv.c - the public XD-Violence feature release -> rb_dataset (rb_data.h).
 *
 * Per split: parse the visual and audio lists into a table of videos (list order of the visual list),
 * read every file's header to size the split exactly (pass 1: shapes, widths, crop lengths, the
 * visual/audio snippet counts), allocate, then read the rows into place (pass 2). The test split gets
 * per-snippet frame truth from the annotation file. Real releases are large (5 crops x 1024 floats per
 * snippet), so the features are read straight into the final arrays, never staged. The list and
 * annotation files are parsed by import_xdv_lists.c. */
#include "rb_data.h"
#include "rb_core.h"
#include "rb_io.h"
#include "import_xdv_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rb_xdv_label(const char *video) { return strstr(video, "_label_A") ? 0 : 1; }

static int rb_join(char *out, const char *dir, const char *file) {
    int n = snprintf(out, RB_XDV_PATH_MAX, "%s/%s", dir, file);
    if (n < 0 || n >= RB_XDV_PATH_MAX) return rb_fail("path %s/%s is too long", dir, file);
    return RB_OK;
}

/* ---- one split ------------------------------------------------------------------------------- */

typedef struct {
    const char *what; /* "train" / "test" */
    const char *visual_list, *audio_list, *visual_dir, *audio_dir;
} rb_xdv_split_src;

/* Pass 1: headers of every file; sets v->len, the widths (first file wins) and the drop count. */
static int rb_scan_video(const rb_xdv_split_src *src, rb_xdv_video *v, int n_crops, int32_t *d_visual,
                         int32_t *d_audio, int64_t *dropped_rows) {
    char path[RB_XDV_PATH_MAX];
    RB_TRY(rb_join(path, src->audio_dir, v->audio_file));
    RB_TRY(rb_npy_read_header(path, &v->ah));
    if (v->ah.rows < 1) return rb_fail("%s: has no rows (video %s)", path, v->name);
    if (v->ah.cols > INT32_MAX) return rb_fail("%s: %lld columns is too wide", path, (long long)v->ah.cols);
    if (*d_audio == 0) *d_audio = (int32_t)v->ah.cols;
    if (v->ah.cols != *d_audio)
        return rb_fail("%s: audio features are %lld wide, earlier files are %d wide", path, (long long)v->ah.cols,
                       *d_audio);
    for (int c = 0; c < n_crops; c++) {
        RB_TRY(rb_join(path, src->visual_dir, v->crop_file[c]));
        RB_TRY(rb_npy_read_header(path, &v->vh[c]));
        if (v->vh[c].rows < 1) return rb_fail("%s: has no rows (video %s)", path, v->name);
        if (v->vh[c].cols > INT32_MAX) return rb_fail("%s: %lld columns is too wide", path, (long long)v->vh[c].cols);
        if (*d_visual == 0) *d_visual = (int32_t)v->vh[c].cols;
        if (v->vh[c].cols != *d_visual)
            return rb_fail("%s: visual features are %lld wide, earlier files are %d wide", path,
                           (long long)v->vh[c].cols, *d_visual);
        if (v->vh[c].rows != v->vh[0].rows)
            return rb_fail("video %s: crop %d has %lld snippets but crop 0 has %lld (%s)", v->name, c,
                           (long long)v->vh[c].rows, (long long)v->vh[0].rows, path);
    }
    int64_t tv = v->vh[0].rows, ta = v->ah.rows;
    if (tv == ta) {
        v->len = tv;
    } else if (tv == ta + 1) {
        v->len = ta; /* the public baselines drop the last visual row */
        (*dropped_rows)++;
    } else {
        return rb_fail("video %s: %lld visual snippets but %lld audio snippets (only one extra visual snippet "
                       "is tolerated)", v->name, (long long)tv, (long long)ta);
    }
    return RB_OK;
}

static int rb_import_split(const rb_xdv_split_src *src, int n_crops, int32_t *d_visual, int32_t *d_audio,
                           rb_annotations *A, const rb_xdv_table *other, rb_split *out,
                           rb_xdv_split_stats *st) {
    rb_xdv_table t = {0};
    int rc = RB_OK;
    memset(st, 0, sizeof *st);
    if (rb_xdv_read_visual_list(src->visual_list, n_crops, &t) != RB_OK ||
        rb_xdv_read_audio_list(src->audio_list, src->visual_list, &t) != RB_OK)
        goto fail;
    if (other)
        for (int64_t k = 0; k < t.n; k++)
            if (rb_xdv_table_find(other, t.v[k].name) >= 0) {
                rb_fail("video %s is in both the training and the test lists", t.v[k].name);
                goto fail;
            }
    int64_t n_snippets = 0;
    for (int64_t k = 0; k < t.n; k++) {
        if (rb_scan_video(src, &t.v[k], n_crops, d_visual, d_audio, &st->dropped_visual_rows) != RB_OK) goto fail;
        n_snippets += t.v[k].len;
    }
    if (rb_split_alloc(out, t.n, n_snippets, n_crops, *d_visual, *d_audio, A != NULL) != RB_OK) goto fail;
    char path[RB_XDV_PATH_MAX];
    size_t vstride = (size_t)n_crops * (size_t)*d_visual;
    int64_t off = 0;
    for (int64_t k = 0; k < t.n; k++) {
        rb_xdv_video *v = &t.v[k];
        out->offsets[k] = off;
        if (!(out->names[k] = rb_strdup(v->name, "video name"))) goto fail;
        out->labels[k] = (uint8_t)rb_xdv_label(v->name);
        for (int c = 0; c < n_crops; c++)
            if (rb_join(path, src->visual_dir, v->crop_file[c]) != RB_OK ||
                rb_npy_load_rows_f32(path, &v->vh[c], v->len, rb_split_visual_at(out, off, c), vstride) != RB_OK)
                goto fail;
        if (rb_join(path, src->audio_dir, v->audio_file) != RB_OK ||
            rb_npy_load_rows_f32(path, &v->ah, v->len, rb_split_audio_at(out, off), (size_t)*d_audio) != RB_OK)
            goto fail;
        if (A) {
            for (int64_t i = 0; i < v->len; i++) out->snippet_frames[off + i] = RB_XDV_FRAMES_PER_SNIPPET;
            rb_annotation *a = rb_xdv_annotation_find(A, v->name);
            if (!a && out->labels[k]) {
                rb_fail("violent test video %s has no line in the annotation file", v->name);
                goto fail;
            }
            if (a) {
                int64_t kept, dropped;
                a->used = 1;
                rb_xdv_truth_from_intervals(a, v->len, out->snippet_pos + off, &kept, &dropped);
                if (!out->labels[k] && kept + dropped > 0) {
                    rb_fail("annotation line %d gives %lld violent frames to normal video %s (its name has "
                            "_label_A)", a->line, (long long)(kept + dropped), v->name);
                    goto fail;
                }
                st->positive_frames += kept;
                st->dropped_frames += dropped;
            }
        }
        st->violent += out->labels[k];
        off += v->len;
    }
    st->videos = t.n;
    st->snippets = n_snippets;
    rb_xdv_table_free(&t);
    return rc;
fail:
    rb_xdv_table_free(&t);
    rb_split_free(out);
    return rb_context("%s split", src->what);
}

/* The training split's table is needed to check the test split against it; rebuild it cheaply. */
static int rb_train_names(const rb_split *train, rb_xdv_table *t) {
    memset(t, 0, sizeof *t);
    for (int64_t k = 0; k < train->n_videos; k++) {
        int64_t idx;
        if (rb_xdv_table_get(t, train->names[k], strlen(train->names[k]), &idx) != RB_OK) {
            rb_xdv_table_free(t);
            return RB_ERR;
        }
    }
    return RB_OK;
}

/* Canonical description of what shaped the features: options, widths and checksums of the list and
 * annotation files (the .npy files are named by the lists; directories do not enter, so moving the
 * release does not change the recipe). */
static int rb_xdv_recipe(const rb_xdv_options *opt, int32_t d_visual, int32_t d_audio, char **recipe, rb_dataset *out) {
    const char *files[5] = {opt->visual_list, opt->audio_list, opt->visual_test_list, opt->audio_test_list,
                            opt->annotations};
    static const char *const keys[5] = {"visual_list", "audio_list", "visual_test_list", "audio_test_list",
                                        "annotations"};
    char buf[1024], hex[65];
    int used = snprintf(buf, sizeof buf, "importer=import-xdv crops=%d d_visual=%d d_audio=%d frames_per_snippet=%d",
                        opt->n_crops, d_visual, d_audio, RB_XDV_FRAMES_PER_SNIPPET);
    out->inputs = rb_calloc(5, sizeof *out->inputs, "inputs");
    out->input_sha256 = rb_calloc(5, sizeof *out->input_sha256, "input checksums");
    if (!out->inputs || !out->input_sha256) return RB_ERR;
    for (int i = 0; i < 5; i++) {
        RB_TRY(rb_sha256_file(files[i], hex));
        used += snprintf(buf + used, sizeof buf - (size_t)used, " %s_sha256=%s", keys[i], hex);
        out->inputs[i] = rb_strdup(files[i], "input path");
        out->input_sha256[i] = rb_strdup(hex, "input checksum");
        if (!out->inputs[i] || !out->input_sha256[i]) return RB_ERR;
        out->n_inputs = i + 1; /* recorded in /provenance/inputs by the writer */
    }
    *recipe = rb_strdup(buf, "recipe");
    return *recipe ? RB_OK : RB_ERR;
}

int rb_import_xdv(const rb_xdv_options *opt, const char *name, rb_dataset *out, rb_xdv_stats *stats) {
    memset(out, 0, sizeof *out);
    rb_xdv_stats local;
    if (!stats) stats = &local;
    memset(stats, 0, sizeof *stats);
    if (opt->n_crops != 1 && opt->n_crops != RB_XDV_MAX_CROPS)
        return rb_fail("number of crops must be 1 or 5, got %d", opt->n_crops);
    const char *need[] = {opt->visual_list, opt->audio_list, opt->visual_test_list, opt->audio_test_list,
                          opt->visual_dir, opt->audio_dir, opt->annotations};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!need[i] || !*need[i]) return rb_fail("import-xdv: a list file, feature directory or annotation file is missing");
    rb_xdv_split_src train = {"train", opt->visual_list, opt->audio_list, opt->visual_dir, opt->audio_dir};
    rb_xdv_split_src test = {"test", opt->visual_test_list, opt->audio_test_list,
                             opt->visual_test_dir ? opt->visual_test_dir : opt->visual_dir,
                             opt->audio_test_dir ? opt->audio_test_dir : opt->audio_dir};
    rb_annotations A;
    RB_TRY(rb_xdv_read_annotations(opt->annotations, &A));
    int32_t d_visual = 0, d_audio = 0;
    rb_xdv_table train_names = {0};
    if (!(out->name = rb_strdup(name ? name : "xdv", "dataset name")) ||
        !(out->source = rb_strdup("import-xdv", "dataset source")))
        goto fail;
    out->frames_per_snippet = RB_XDV_FRAMES_PER_SNIPPET;
    if (rb_import_split(&train, opt->n_crops, &d_visual, &d_audio, NULL, NULL, &out->train, &stats->train) != RB_OK ||
        rb_train_names(&out->train, &train_names) != RB_OK ||
        rb_import_split(&test, opt->n_crops, &d_visual, &d_audio, &A, &train_names, &out->test, &stats->test) != RB_OK)
        goto fail;
    if (rb_xdv_recipe(opt, d_visual, d_audio, &out->recipe, out) != RB_OK) goto fail;
    for (int64_t i = 0; i < A.n; i++) stats->unused_annotations += !A.a[i].used;
    stats->n_crops = opt->n_crops;
    stats->d_visual = d_visual;
    stats->d_audio = d_audio;
    rb_xdv_table_free(&train_names);
    rb_xdv_annotations_free(&A);
    return RB_OK;
fail:
    rb_xdv_table_free(&train_names);
    rb_xdv_annotations_free(&A);
    rb_dataset_free(out);
    return RB_ERR;
}

/* test_dataset_io.c - dataset files: round trip, and one clear error for each kind of bad file
 * (missing, not HDF5, truncated, wrong shape, wrong type, NaN features, offsets out of range). */
#include "rb_core.h"
#include "rb_data.h"
#include "rb_io.h"
#include "rb_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A tiny dataset: train 3 videos, test 2 videos, 2 crops, widths 4 / 3. Values encode positions. */
static void rb_make_tiny(rb_dataset *d) {
    memset(d, 0, sizeof *d);
    d->name = rb_strdup("tiny", "n");
    d->source = rb_strdup("unit-test", "s");
    d->frames_per_snippet = 16;
    d->config_text = rb_strdup("run: { seed = 1; };\n", "c");
    rb_split_alloc(&d->train, 3, 6, 2, 4, 3, 0);
    rb_split_alloc(&d->test, 2, 5, 2, 4, 3, 1);
    int64_t tro[] = {0, 1, 3, 6}, teo[] = {0, 2, 5};
    memcpy(d->train.offsets, tro, sizeof tro);
    memcpy(d->test.offsets, teo, sizeof teo);
    const char *trn[] = {"a_label_A", "b_label_B1-0-0", "c_label_A"}, *ten[] = {"t1_label_G-0-0", "t2_label_A"};
    for (int v = 0; v < 3; v++) d->train.names[v] = rb_strdup(trn[v], "n");
    for (int v = 0; v < 2; v++) d->test.names[v] = rb_strdup(ten[v], "n");
    d->train.labels[1] = 1;
    d->test.labels[0] = 1;
    rb_split *sp[2] = {&d->train, &d->test};
    for (int k = 0; k < 2; k++)
        for (int64_t s = 0; s < sp[k]->n_snippets; s++) {
            for (int c = 0; c < 2; c++)
                for (int j = 0; j < 4; j++) rb_split_visual_at(sp[k], s, c)[j] = (float)(k * 1000 + s * 100 + c * 10 + j);
            for (int j = 0; j < 3; j++) rb_split_audio_at(sp[k], s)[j] = -(float)(k * 1000 + s * 100 + j) * 0.5f;
        }
    int32_t pos[] = {3, 16, 0, 0, 0};
    for (int s = 0; s < 5; s++) {
        d->test.snippet_pos[s] = pos[s];
        d->test.snippet_frames[s] = s == 4 ? 7 : 16;
    }
}

/* Scratch path; distinct buffers for the first 16 names a run asks for. */
static char *rb_tmp(const char *name) {
    static char buf[16][600];
    static int i = 0;
    char *p = buf[i++ % 16];
    snprintf(p, 600, "%s/%s", rb_test_tmpdir(), name);
    return p;
}

RB_TEST(dataset_round_trip) {
    rb_dataset d, r;
    rb_make_tiny(&d);
    const char *path = rb_tmp("tiny.h5");
    RB_EXPECT_OK(rb_dataset_write(path, &d));
    RB_EXPECT_OK(rb_dataset_read(path, &r, MPI_COMM_NULL));
    RB_EXPECT(r.name && strcmp(r.name, "tiny") == 0);
    RB_EXPECT(r.config_text && strcmp(r.config_text, d.config_text) == 0);
    RB_EXPECT_INT(r.test.n_snippets, 5);
    RB_EXPECT_INT(r.train.n_crops, 2);
    if (r.test.visual && r.train.names && r.test.snippet_frames) {
        RB_EXPECT(memcmp(r.train.visual, d.train.visual, 6 * 2 * 4 * sizeof(float)) == 0);
        RB_EXPECT(memcmp(r.test.audio, d.test.audio, 5 * 3 * sizeof(float)) == 0);
        RB_EXPECT(memcmp(r.test.offsets, d.test.offsets, 3 * sizeof(int64_t)) == 0);
        RB_EXPECT(strcmp(r.train.names[1], "b_label_B1-0-0") == 0);
        RB_EXPECT_INT(r.test.labels[0], 1);
        RB_EXPECT_INT(r.test.snippet_pos[1], 16);
        RB_EXPECT_INT(r.test.snippet_frames[4], 7);
        RB_EXPECT_NEAR(rb_split_visual_at(&r.test, 3, 1)[2], 1000 + 300 + 10 + 2, 0);
    }
    rb_dataset_free(&r);
    rb_dataset_free(&d);
}

/* Rewrite one dataset of a good file with other contents. */
static void rb_replace(const char *path, const char *name, rb_h5_type type, int rank, const hsize_t *dims, const void *data) {
    hid_t f;
    if (rb_h5_open_rw(path, &f) != RB_OK) return;
    H5Ldelete(f, name, H5P_DEFAULT);
    rb_h5_write(f, name, type, rank, dims, data);
    H5Fclose(f);
}

/* Copy the first max_bytes bytes of src (all of it when max_bytes < 0) to dst; 0 on success. */
static int rb_copy_prefix(const char *src, const char *dst, long max_bytes) {
    FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
    int ok = in && out;
    char buf[4096];
    for (long left = max_bytes; ok && (max_bytes < 0 || left > 0);) {
        size_t want = max_bytes < 0 || left > (long)sizeof buf ? sizeof buf : (size_t)left;
        size_t got = fread(buf, 1, want, in);
        if (got == 0) break;
        ok = fwrite(buf, 1, got, out) == got;
        left -= (long)got;
    }
    if (in && ferror(in)) ok = 0;
    if (in) fclose(in);
    if (out && fclose(out) != 0) ok = 0;
    return ok ? 0 : -1;
}

RB_TEST(dataset_bad_files_give_one_clear_error) {
    rb_dataset d, r;
    rb_make_tiny(&d);
    const char *good = rb_tmp("good.h5");
    RB_EXPECT_OK(rb_dataset_write(good, &d));
    RB_EXPECT_ERR(rb_dataset_read(rb_tmp("absent.h5"), &r, MPI_COMM_NULL), "absent.h5: No such file");
    const char *text = rb_tmp("text.h5");
    FILE *f = fopen(text, "w");
    fputs("not hdf5\n", f);
    fclose(f);
    RB_EXPECT_ERR(rb_dataset_read(text, &r, MPI_COMM_NULL), "not an HDF5 file");
    const char *trunc = rb_tmp("trunc.h5");
    RB_EXPECT(rb_copy_prefix(good, trunc, 3000) == 0);
    rb_error_clear();
    RB_EXPECT(rb_dataset_read(trunc, &r, MPI_COMM_NULL) != RB_OK);
    RB_EXPECT(strstr(rb_error_message(), "trunc.h5") != NULL);

    const char *bad = rb_tmp("bad.h5");
    RB_EXPECT(rb_copy_prefix(good, bad, -1) == 0);
    float wrong[5 * 2 * 5] = {0};
    hsize_t wdims[3] = {5, 2, 5};
    rb_replace(bad, "test/visual", RB_H5_F32, 3, wdims, wrong);
    RB_EXPECT_ERR(rb_dataset_read(bad, &r, MPI_COMM_NULL), "/test: visual has shape [5 x 2 x 5], expected [5 x 2 x 4]");

    RB_EXPECT(rb_copy_prefix(good, bad, -1) == 0);
    double as_double[5 * 3] = {0};
    hsize_t adims[2] = {5, 3};
    rb_replace(bad, "test/audio", RB_H5_F64, 2, adims, as_double);
    RB_EXPECT_ERR(rb_dataset_read(bad, &r, MPI_COMM_NULL), "audio has the wrong element type (expected float32)");

    RB_EXPECT(rb_copy_prefix(good, bad, -1) == 0);
    float nan_audio[5 * 3] = {0};
    nan_audio[7] = NAN;
    rb_replace(bad, "test/audio", RB_H5_F32, 2, adims, nan_audio);
    RB_EXPECT_ERR(rb_dataset_read(bad, &r, MPI_COMM_NULL), "audio features has a non-finite value (nan) at row 2, column 1");

    RB_EXPECT(rb_copy_prefix(good, bad, -1) == 0);
    int64_t offs[4] = {0, 2, 9, 6};
    hsize_t odims[1] = {4};
    rb_replace(bad, "train/offsets", RB_H5_I64, 1, odims, offs);
    RB_EXPECT_ERR(rb_dataset_read(bad, &r, MPI_COMM_NULL), "offsets[2] = 9 out of range");

    RB_EXPECT(rb_copy_prefix(good, bad, -1) == 0);
    int32_t pos[5] = {3, 17, 0, 0, 0};
    hsize_t sdims[1] = {5};
    rb_replace(bad, "test/snippet_pos", RB_H5_I32, 1, sdims, pos);
    RB_EXPECT_ERR(rb_dataset_read(bad, &r, MPI_COMM_NULL), "snippet 1 has 17 positive of 16 frames");

    /* a write that fails leaves nothing under the final name */
    d.test.snippet_pos[0] = -1;
    const char *never = rb_tmp("never.h5");
    RB_EXPECT_ERR(rb_dataset_write(never, &d), "snippet 0 has -1 positive");
    FILE *g = fopen(never, "r");
    RB_EXPECT(g == NULL);
    if (g) fclose(g);
    rb_dataset_free(&d);
}

/* The streaming writer produces exactly the dataset the in-memory generator + writer produce. */
RB_TEST(dataset_streamed_synth_equals_in_memory) {
    rb_synth_params p;
    RB_EXPECT_OK(rb_synth_defaults(&p, "xdv"));
    p.n_train = 9;
    p.n_train_anomalous = 4;
    p.n_test = 7;
    p.n_test_anomalous = 4;
    p.n_crops = 2;
    p.d_visual = 32;
    p.d_audio = 8;
    rb_dataset mem, a, b;
    RB_EXPECT_OK(rb_synth_generate(&p, 17, &mem));
    free(mem.name);
    mem.name = rb_strdup("s", "n");
    mem.recipe = rb_strdup("r", "r");
    const char *pa = rb_tmp("mem.h5"), *pb = rb_tmp("stream.h5");
    RB_EXPECT_OK(rb_dataset_write(pa, &mem));
    int64_t n = 0;
    RB_EXPECT_OK(rb_synth_write_stream(&p, 17, "s", "r", NULL, pb, &n));
    RB_EXPECT_INT(n, mem.train.n_snippets + mem.test.n_snippets);
    RB_EXPECT_OK(rb_dataset_read(pa, &a, MPI_COMM_NULL));
    RB_EXPECT_OK(rb_dataset_read(pb, &b, MPI_COMM_NULL));
    const rb_split *sa[2] = {&a.train, &a.test}, *sb[2] = {&b.train, &b.test};
    for (int k = 0; k < 2 && a.test.visual && b.test.visual; k++) {
        RB_EXPECT_INT(sa[k]->n_snippets, sb[k]->n_snippets);
        RB_EXPECT(memcmp(sa[k]->offsets, sb[k]->offsets, sizeof(int64_t) * (size_t)(sa[k]->n_videos + 1)) == 0);
        RB_EXPECT(memcmp(sa[k]->labels, sb[k]->labels, (size_t)sa[k]->n_videos) == 0);
        RB_EXPECT(memcmp(sa[k]->visual, sb[k]->visual, sizeof(float) * (size_t)sa[k]->n_snippets * 2 * 32) == 0);
        RB_EXPECT(memcmp(sa[k]->audio, sb[k]->audio, sizeof(float) * (size_t)sa[k]->n_snippets * 8) == 0);
        for (int64_t v = 0; v < sa[k]->n_videos; v++) RB_EXPECT(strcmp(sa[k]->names[v], sb[k]->names[v]) == 0);
    }
    if (a.test.snippet_pos && b.test.snippet_pos) {
        RB_EXPECT(memcmp(a.test.snippet_pos, b.test.snippet_pos, sizeof(int32_t) * (size_t)a.test.n_snippets) == 0);
        RB_EXPECT(memcmp(a.test.snippet_frames, b.test.snippet_frames, sizeof(int32_t) * (size_t)a.test.n_snippets) == 0);
    }
    rb_dataset_free(&a);
    rb_dataset_free(&b);
    rb_dataset_free(&mem);
}

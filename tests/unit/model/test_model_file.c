/* test_model_file.c - model.h5 (src/model/model_file.c): a model written with rb_model_write reads
 * back with rb_model_read bitwise - every detector's parameters, both GMMs (a diagonal and a full
 * one), the weight calibrations and the clean statistics - with its shape, detector list and recipe
 * (also through rb_model_read_recipe); the temporary file is gone once the model is published; a file
 * that is not a model is refused with its name. */
#include "rb_model.h"
#include "rb_core.h"
#include "rb_io.h"
#include "rb_fixture.h"
#include "temp_files.h"
#include "rb_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* train, test videos, crops, d_visual, d_audio, hidden1, hidden2, replicas, GMM components, seed */
static const rb_fixture_spec rb_model_spec = {24, 8, 2, 24, 12, 12, 6, 2, 3, 11};

/* Whether n elements of size bytes are the same bits (an absent array on both sides counts as equal). */
static int rb_same_bits(const void *a, const void *b, size_t n, size_t size) {
    if (!a || !b) return a == b;
    return memcmp(a, b, n * size) == 0;
}

static void rb_expect_same_detector(const rb_detector *a, const rb_detector *b, int slot, int replica) {
    RB_EXPECT_MSG(a->kind == b->kind && a->d_visual == b->d_visual && a->d_audio == b->d_audio && a->d_in == b->d_in &&
                      a->hidden1 == b->hidden1 && a->hidden2 == b->hidden2 && a->n_params == b->n_params &&
                      a->has_proj == b->has_proj && a->arch == b->arch && a->n_params_slow == b->n_params_slow,
                  "detector %d/%d: shape differs after the round trip", slot, replica);
    if (a->n_params != b->n_params) return;
    RB_EXPECT_MSG(rb_same_bits(a->params, b->params, (size_t)a->n_params, sizeof(float)),
                  "detector %s/%d: parameters differ after the round trip", rb_detector_kind_name(a->kind), replica);
    /* the named blocks point at the same offsets of the buffer */
    rb_param_view va[RB_DETECTOR_MAX_PARAMS], vb[RB_DETECTOR_MAX_PARAMS];
    int na = 0, nb = 0;
    RB_EXPECT_OK(rb_detector_params(a, va, &na));
    RB_EXPECT_OK(rb_detector_params(b, vb, &nb));
    RB_EXPECT_INT(nb, na);
    for (int i = 0; i < na && i < nb; i++)
        RB_EXPECT_MSG(strcmp(va[i].name, vb[i].name) == 0 && va[i].rows == vb[i].rows && va[i].cols == vb[i].cols &&
                          va[i].data - a->params == vb[i].data - b->params,
                      "detector %s/%d: block %s differs", rb_detector_kind_name(a->kind), replica, va[i].name);
}

static void rb_expect_same_gmm(const rb_gmm *a, const rb_gmm *b, int mod) {
    RB_EXPECT_MSG(a->k == b->k && a->d == b->d && a->full == b->full, "gmm %d: k/d/full %d/%d/%d, expected %d/%d/%d",
                  mod, b->k, b->d, b->full, a->k, a->d, a->full);
    if (a->k != b->k || a->d != b->d || a->full != b->full) return;
    size_t k = (size_t)a->k, d = (size_t)a->d;
    RB_EXPECT_MSG(rb_same_bits(a->weights, b->weights, k, sizeof(double)), "gmm %d: weights differ", mod);
    RB_EXPECT_MSG(rb_same_bits(a->means, b->means, k * d, sizeof(double)), "gmm %d: means differ", mod);
    RB_EXPECT_MSG(rb_same_bits(a->cov, b->cov, k * d * (a->full ? d : 1), sizeof(double)), "gmm %d: cov differs", mod);
}

static void rb_expect_same_stats(const rb_clean_stats *a, const rb_clean_stats *b, int mod) {
    RB_EXPECT_MSG(a->dim == b->dim && a->rows == b->rows && a->nonnegative == b->nonnegative,
                  "stats %d: dim/rows/nonnegative %d/%lld/%d, expected %d/%lld/%d", mod, (int)b->dim,
                  (long long)b->rows, b->nonnegative, (int)a->dim, (long long)a->rows, a->nonnegative);
    if (a->dim != b->dim) return;
    RB_EXPECT_MSG(rb_same_bits(a->mean, b->mean, (size_t)a->dim, sizeof(double)) &&
                      rb_same_bits(a->std, b->std, (size_t)a->dim, sizeof(double)),
                  "stats %d: mean or std differs", mod);
}

/* The fixture model with a full-covariance audio GMM (so both covariance layouts are stored) and a
 * recipe of several lines. */
static int rb_build_model(rb_dataset *d, rb_model *m) {
    memset(d, 0, sizeof *d);
    memset(m, 0, sizeof *m);
    RB_TRY(rb_fixture_dataset(&rb_model_spec, d));
    RB_TRY(rb_fixture_model(&rb_model_spec, d, m));
    rb_gmm_params gp;
    rb_gmm_params_default(&gp);
    gp.k = 2;
    gp.covariance = RB_GMM_FULL;
    gp.max_iter = 3;
    gp.seed = rb_model_spec.seed;
    rb_gmm_free(&m->gmm[1]);
    RB_TRY(rb_gmm_fit(&m->gmm[1], d->train.audio, d->train.n_snippets, d->train.d_audio, d->train.d_audio, &gp));
    free(m->recipe);
    m->recipe = rb_strdup("train_split_sha256=00ff\nrun.seed=11\ntrain.epochs=3\n", "recipe");
    return m->recipe ? RB_OK : RB_ERR;
}

RB_TEST_MPI(model_file_round_trip_bitwise) {
    rb_dataset d;
    rb_model m, r;
    if (rb_build_model(&d, &m) != RB_OK) {
        rb_test_fail(__FILE__, __LINE__, "fixture: %s", rb_error_message());
        rb_model_free(&m);
        rb_dataset_free(&d);
        return;
    }
    char path[600];
    snprintf(path, sizeof path, "%s/fixture.model.h5", rb_test_tmpdir());
    char *inputs[1] = {"data/fixture.h5"}, *sha[1] = {"00ff"};
    RB_EXPECT_OK(rb_model_write(path, &m, "run: { seed = 11; };\n", inputs, sha, 1));
    RB_EXPECT_MSG(rb_count_temps(path) == 0, "a temporary of %s left behind", path);

    RB_EXPECT_OK(rb_model_read(path, &r));
    RB_EXPECT(r.dataset && strcmp(r.dataset, m.dataset) == 0);
    RB_EXPECT(r.recipe && strcmp(r.recipe, m.recipe) == 0);
    RB_EXPECT_INT(r.d_visual, m.d_visual);
    RB_EXPECT_INT(r.d_audio, m.d_audio);
    RB_EXPECT_INT(r.n_crops, m.n_crops);
    RB_EXPECT_INT(r.n_replicas, m.n_replicas);
    RB_EXPECT_INT(r.n_kinds, m.n_kinds);
    if (r.n_kinds == m.n_kinds && r.n_replicas == m.n_replicas && r.det) {
        for (int s = 0; s < m.n_kinds; s++) {
            RB_EXPECT_INT(r.kinds[s], m.kinds[s]);
            for (int rep = 0; rep < m.n_replicas; rep++)
                rb_expect_same_detector(rb_model_detector(&m, s, rep), rb_model_detector(&r, s, rep), s, rep);
        }
    }
    RB_EXPECT(m.gmm[0].full == 0 && m.gmm[1].full == 1);
    for (int mod = 0; mod < 2; mod++) {
        rb_expect_same_gmm(&m.gmm[mod], &r.gmm[mod], mod);
        RB_EXPECT_MSG(rb_same_bits(&m.calib[mod], &r.calib[mod], RB_WEIGHT_CALIB_NFIELDS, sizeof(double)),
                      "calibration %d differs", mod);
        rb_expect_same_stats(&m.stats[mod], &r.stats[mod], mod);
    }
    char *recipe = NULL;
    RB_EXPECT_OK(rb_model_read_recipe(path, &recipe));
    RB_EXPECT_MSG(recipe && strcmp(recipe, m.recipe) == 0, "recipe \"%s\"", recipe ? recipe : "(none)");
    free(recipe);
    rb_model_free(&r);
    rb_model_free(&m);
    rb_dataset_free(&d);
}

/* An hlnet detector (model.arch = "hlnet") next to mlp ones: its arch attribute and every hl.* block
 * read back bitwise. */
RB_TEST_MPI(model_file_round_trip_hlnet) {
    rb_dataset d;
    rb_model m, r;
    if (rb_build_model(&d, &m) != RB_OK) {
        rb_test_fail(__FILE__, __LINE__, "fixture: %s", rb_error_message());
        rb_model_free(&m);
        rb_dataset_free(&d);
        return;
    }
    rb_detector *d0 = rb_model_detector(&m, 0, 1);
    rb_detector_kind kind = d0->kind;
    int h1 = d0->hidden1, h2 = d0->hidden2;
    rb_detector_free(d0);
    RB_EXPECT_OK(rb_detector_init_arch(d0, RB_ARCH_HLNET, kind, m.d_visual, m.d_audio, h1, h2, 0.6f, 5, 1));
    char path[600];
    snprintf(path, sizeof path, "%s/hlnet.model.h5", rb_test_tmpdir());
    char *inputs[1] = {"data/fixture.h5"}, *sha[1] = {"00ff"};
    RB_EXPECT_OK(rb_model_write(path, &m, "model: { arch = \"hlnet\"; };\n", inputs, sha, 1));
    RB_EXPECT_OK(rb_model_read(path, &r));
    if (r.det) {
        RB_EXPECT_INT(rb_model_detector(&r, 0, 1)->arch, RB_ARCH_HLNET);
        RB_EXPECT_INT(rb_model_detector(&r, 0, 0)->arch, RB_ARCH_MLP);
        for (int s = 0; s < m.n_kinds; s++)
            for (int rep = 0; rep < m.n_replicas; rep++)
                rb_expect_same_detector(rb_model_detector(&m, s, rep), rb_model_detector(&r, s, rep), s, rep);
        rb_model_free(&r);
    }
    rb_model_free(&m);
    rb_dataset_free(&d);
}

RB_TEST_MPI(model_file_refuses_other_files) {
    char path[600];
    snprintf(path, sizeof path, "%s/not-a-model.h5", rb_test_tmpdir());
    hid_t f;
    RB_EXPECT_OK(rb_h5_create(path, MPI_COMM_NULL, &f));
    RB_EXPECT_OK(rb_h5_attr_string(f, "format", "robusta-results"));
    RB_EXPECT_OK(rb_h5_close(f, path));
    rb_model m;
    RB_EXPECT_ERR(rb_model_read(path, &m), "not-a-model.h5: not a robusta model file");
    RB_EXPECT(m.det == NULL && m.dataset == NULL); /* left empty */
    snprintf(path, sizeof path, "%s/absent.model.h5", rb_test_tmpdir());
    RB_EXPECT_ERR(rb_model_read(path, &m), "absent.model.h5");
    char *recipe = NULL;
    RB_EXPECT_ERR(rb_model_read_recipe(path, &recipe), "absent.model.h5");
}

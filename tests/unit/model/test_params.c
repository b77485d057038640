/* test_params.c - config keys -> parameter structs (src/model/params.c): the schema defaults and
 * overridden keys land in the right fields of the training, detector-list, GMM and weighting
 * parameters (struct defaults survive where no key exists), bad combinations are errors, and the
 * canonical text of the model recipe changes exactly when a setting under its prefixes changes. */
#include "rb_model.h"
#include "rb_core.h"
#include "rb_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A config of one dataset with run: { <run> } (NULL: seed 5) and the extra groups. */
static rb_config *rb_params_config_run(const char *run, const char *extra) {
    char text[2048];
    snprintf(text, sizeof text, "run: { %s };\ndata: { datasets = ( { name = \"a\"; } ); };\n%s",
             run ? run : "seed = 5;", extra);
    rb_config *c = NULL;
    RB_EXPECT_OK(rb_config_load_string(&c, text, "params.cfg"));
    return c;
}

static rb_config *rb_params_config(const char *extra) { return rb_params_config_run(NULL, extra); }

RB_TEST(params_defaults_from_schema) {
    rb_config *c = rb_params_config("");
    if (!c) return;
    rb_train_params t;
    RB_EXPECT_OK(rb_params_train(c, &t));
    RB_EXPECT_INT(t.hidden1, 512);
    RB_EXPECT_INT(t.hidden2, 128);
    RB_EXPECT_NEAR(t.dropout, 0.6f, 0);
    RB_EXPECT_INT(t.epochs, 50);
    RB_EXPECT_INT(t.batch, 128);
    RB_EXPECT_INT(t.max_snippets, 200);
    RB_EXPECT_NEAR(t.lr, 1e-4, 0);
    RB_EXPECT_NEAR(t.weight_decay, 0, 0);
    RB_EXPECT_INT(t.schedule, RB_LR_CONSTANT);
    RB_EXPECT_INT(t.step_every, 10);
    RB_EXPECT_NEAR(t.step_gamma, 0.1, 0);
    RB_EXPECT_INT(t.grad_groups, 8);
    RB_EXPECT_INT(t.seed, 5);
    RB_EXPECT_INT(t.replica, 0);
    RB_EXPECT_INT(t.wd_mode, RB_WD_L2); /* no key: the struct default */

    rb_detector_kind kinds[RB_DET_N_KINDS];
    int n = 0;
    RB_EXPECT_OK(rb_params_detectors(c, kinds, &n));
    RB_EXPECT_INT(n, 5);
    for (int i = 0; i < n && i < RB_DET_N_KINDS; i++) RB_EXPECT_INT(kinds[i], i); /* concat .. shared-pad */

    rb_gmm_params g;
    double holdout = 0;
    RB_EXPECT_OK(rb_params_gmm(c, &g, &holdout));
    RB_EXPECT_INT(g.k, 8);
    RB_EXPECT_INT(g.covariance, RB_GMM_DIAG);
    RB_EXPECT_INT(g.max_iter, 100);
    RB_EXPECT_NEAR(g.tol, 1e-4, 0); /* the config default, not the struct's 1e-3 */
    RB_EXPECT_NEAR(g.var_floor_rel, 1e-3, 0);
    RB_EXPECT_NEAR(g.var_floor_abs, 1e-6, 0);
    RB_EXPECT_INT(g.kmeans_iter, 10);
    RB_EXPECT_INT(g.max_points, 20000);
    RB_EXPECT_INT(g.seed, 5);
    RB_EXPECT_INT(g.stream_id, 0);
    RB_EXPECT_NEAR(holdout, 0.2, 0);

    rb_weight_params w;
    RB_EXPECT_OK(rb_params_weights(c, &w));
    RB_EXPECT_INT(w.two_sided, 0);
    RB_EXPECT_INT(w.statistic, RB_WSTAT_SNIPPET);
    RB_EXPECT_INT(w.window, 1);
    RB_EXPECT_NEAR(w.percentile_hi, 95, 0);
    RB_EXPECT_NEAR(w.percentile_lo, 5, 0);
    RB_EXPECT_NEAR(w.median_weight, 0.95, 0);
    rb_config_free(c);
}

RB_TEST(params_overrides_land_in_their_fields) {
    rb_config *c = rb_params_config(
        "model: { hidden1 = 64; hidden2 = 16; dropout = 0.25; };\n"
        "train: { epochs = 3; batch = 8; max_snippets = 50; lr = 2e-3; weight_decay = 0.01; schedule = \"step\";\n"
        "         step_every = 4; step_gamma = 0.5; grad_groups = 2; detectors = [\"shared\", \"concat\"]; };\n"
        "gmm: { components = 3; covariance = \"full\"; max_iter = 7; tol = 1e-6; var_floor = 0.01;\n"
        "       subsample = 500; holdout_fraction = 0.3; };\n"
        "weights: { mode = \"two-sided\"; smooth = 5; percentile = 90.0; low_percentile = 10.0;\n"
        "           median_weight = 0.9; };\n");
    if (!c) return;
    rb_train_params t;
    RB_EXPECT_OK(rb_params_train(c, &t));
    RB_EXPECT_INT(t.hidden1, 64);
    RB_EXPECT_INT(t.hidden2, 16);
    RB_EXPECT_NEAR(t.dropout, 0.25f, 0);
    RB_EXPECT_INT(t.epochs, 3);
    RB_EXPECT_INT(t.batch, 8);
    RB_EXPECT_INT(t.max_snippets, 50);
    RB_EXPECT_NEAR(t.lr, 2e-3, 0);
    RB_EXPECT_NEAR(t.weight_decay, 0.01, 0);
    RB_EXPECT_INT(t.schedule, RB_LR_STEP);
    RB_EXPECT_INT(t.step_every, 4);
    RB_EXPECT_NEAR(t.step_gamma, 0.5, 0);
    RB_EXPECT_INT(t.grad_groups, 2);

    rb_detector_kind kinds[RB_DET_N_KINDS];
    int n = 0;
    RB_EXPECT_OK(rb_params_detectors(c, kinds, &n));
    RB_EXPECT_INT(n, 2);
    RB_EXPECT(n == 2 && kinds[0] == RB_DET_SHARED && kinds[1] == RB_DET_CONCAT); /* config order kept */

    rb_gmm_params g;
    double holdout = 0;
    RB_EXPECT_OK(rb_params_gmm(c, &g, &holdout));
    RB_EXPECT_INT(g.k, 3);
    RB_EXPECT_INT(g.covariance, RB_GMM_FULL);
    RB_EXPECT_INT(g.max_iter, 7);
    RB_EXPECT_NEAR(g.tol, 1e-6, 0);
    RB_EXPECT_NEAR(g.var_floor_rel, 0.01, 0);
    RB_EXPECT_INT(g.max_points, 500);
    RB_EXPECT_NEAR(holdout, 0.3, 0);

    rb_weight_params w;
    RB_EXPECT_OK(rb_params_weights(c, &w));
    RB_EXPECT_INT(w.two_sided, 1);
    RB_EXPECT_INT(w.statistic, RB_WSTAT_SMOOTH); /* snippet statistic with a window > 1 */
    RB_EXPECT_INT(w.window, 5);
    RB_EXPECT_NEAR(w.percentile_hi, 90, 0);
    RB_EXPECT_NEAR(w.percentile_lo, 10, 0);
    RB_EXPECT_NEAR(w.median_weight, 0.9, 0);
    rb_config_free(c);

    c = rb_params_config("weights: { statistic = \"video\"; smooth = 3; };\n");
    if (c) {
        RB_EXPECT_OK(rb_params_weights(c, &w));
        RB_EXPECT_INT(w.statistic, RB_WSTAT_VIDEO);
        RB_EXPECT_INT(w.window, 3);
    }
    rb_config_free(c);
}

RB_TEST(params_bad_combinations_are_errors) {
    rb_config *c = rb_params_config("weights: { smooth = 4; };\ntrain: { detectors = [\"audio\", \"audio\"]; };\n");
    if (!c) return;
    rb_weight_params w;
    RB_EXPECT_ERR(rb_params_weights(c, &w), "params.cfg: weights.smooth = 4 must be odd");
    rb_detector_kind kinds[RB_DET_N_KINDS];
    int n = 0;
    RB_EXPECT_ERR(rb_params_detectors(c, kinds, &n), "params.cfg: train.detectors lists audio twice");
    rb_config_free(c);
}

/* Canonical text of the model recipe's sections (as src/grid/inputs.c asks for it) of the config
 * rb_params_config_run(run, extra), into buf; 0 when the config or the text could not be made. */
static int rb_canonical_of(const char *run, const char *extra, char *buf, size_t cap) {
    static const char *const sections[] = {"run.seed", "model.", "train.", "gmm.", "weights."};
    rb_config *c = rb_params_config_run(run, extra);
    if (!c) return 0;
    int rc = rb_params_canonical(c, sections, 5, buf, cap);
    RB_EXPECT_MSG(rc == RB_OK, "canonical text of \"%s\": %s", extra, rb_error_message());
    rb_config_free(c);
    return rc == RB_OK;
}

RB_TEST(params_canonical_text_tracks_training_settings_only) {
    static char base[8192], other[8192];
    if (!rb_canonical_of(NULL, "", base, sizeof base)) return;
    /* every scalar and array key under the prefixes, "key=value", in schema order */
    const char *seed = strstr(base, "run.seed=5\n"), *h1 = strstr(base, "model.hidden1=512\n");
    const char *epochs = strstr(base, "train.epochs=50\n"), *k = strstr(base, "gmm.components=8\n");
    const char *mode = strstr(base, "weights.mode=one-sided\n");
    RB_EXPECT(seed && h1 && epochs && k && mode);
    RB_EXPECT(seed < h1 && h1 < epochs && epochs < k && k < mode);
    RB_EXPECT(strstr(base, "train.detectors=[concat,visual,audio,shared,shared-pad]\n") != NULL);
    RB_EXPECT(strstr(base, "run.id") == NULL && strstr(base, "grid.") == NULL && strstr(base, "data.") == NULL);

    /* a training key changes exactly its own line */
    if (rb_canonical_of(NULL, "train: { epochs = 51; };\n", other, sizeof other)) {
        RB_EXPECT(strcmp(base, other) != 0);
        char *line = strstr(other, "train.epochs=51\n");
        RB_EXPECT(line != NULL);
        if (line) {
            line[strlen("train.epochs=5")] = '0';
            RB_EXPECT_MSG(strcmp(base, other) == 0, "more than train.epochs changed:\n%s", other);
        }
    }
    static const struct {
        const char *run, *extra;
    } changes[] = {{"seed = 6;", ""},
                   {NULL, "model: { dropout = 0.5; };\n"},
                   {NULL, "gmm: { covariance = \"full\"; };\n"},
                   {NULL, "weights: { median_weight = 0.9; };\n"},
                   {NULL, "train: { detectors = [\"concat\"]; };\n"}},
      unrelated[] = {{"seed = 5; id = \"night\";", ""},
                     {NULL, "grid: { severities = [1, 3]; };\n"},
                     {NULL, "output: { save_scores = true; };\n"}};
    for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++)
        if (rb_canonical_of(changes[i].run, changes[i].extra, other, sizeof other))
            RB_EXPECT_MSG(strcmp(base, other) != 0, "canonical text unchanged by run { %s } %s",
                          changes[i].run ? changes[i].run : "", changes[i].extra);
    /* settings outside the model recipe leave it byte for byte */
    for (size_t i = 0; i < sizeof unrelated / sizeof unrelated[0]; i++)
        if (rb_canonical_of(unrelated[i].run, unrelated[i].extra, other, sizeof other))
            RB_EXPECT_MSG(strcmp(base, other) == 0, "canonical text changed by run { %s } %s",
                          unrelated[i].run ? unrelated[i].run : "", unrelated[i].extra);

    static const char *const sections[] = {"train."};
    rb_config *c = rb_params_config("");
    char tiny[16];
    if (c) RB_EXPECT_ERR(rb_params_canonical(c, sections, 1, tiny, sizeof tiny), "canonical config text too long");
    rb_config_free(c);
}

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

/* One config and the parameters it must give. */
typedef struct {
    const char *name, *extra;    /* extra: groups added to the base config */
    rb_train_params train;       /* every field compared but team (always MPI_COMM_NULL) */
    int n_kinds;
    rb_detector_kind kinds[RB_DET_N_KINDS];
    rb_gmm_params gmm;
    double holdout;
    rb_weight_params weights;
} rb_params_case;

/* The schema defaults with run.seed = 5. wd_mode, var_floor_abs, kmeans_iter and stream_id have no
 * key: the struct defaults stay. gmm.tol's config default (1e-4) replaces the struct's 1e-3. */
static const rb_params_case rb_defaults = {
    "schema defaults", "",
    {.hidden1 = 512, .hidden2 = 128, .dropout = 0.6f, .epochs = 50, .batch = 128, .max_snippets = 200, .lr = 1e-4,
     .weight_decay = 0.0, .wd_mode = RB_WD_L2, .schedule = RB_LR_CONSTANT, .step_every = 10, .step_gamma = 0.1,
     .seed = 5, .replica = 0, .grad_groups = 8},
    5, {RB_DET_CONCAT, RB_DET_VISUAL, RB_DET_AUDIO, RB_DET_SHARED, RB_DET_SHARED_PAD},
    {.k = 8, .covariance = RB_GMM_DIAG, .max_iter = 100, .tol = 1e-4, .var_floor_rel = 1e-3, .var_floor_abs = 1e-6,
     .kmeans_iter = 10, .max_points = 20000, .seed = 5, .stream_id = 0},
    0.2,
    {.statistic = RB_WSTAT_SNIPPET, .window = 1, .two_sided = 0, .percentile_hi = 95.0, .percentile_lo = 5.0,
     .median_weight = 0.95}};

/* Every key set away from its default; the detector list in a non-canonical order (kept). */
static const rb_params_case rb_overrides = {
    "every key overridden",
    "model: { hidden1 = 64; hidden2 = 16; dropout = 0.25; };\n"
    "train: { epochs = 3; batch = 8; max_snippets = 50; lr = 2e-3; weight_decay = 0.01; schedule = \"step\";\n"
    "         step_every = 4; step_gamma = 0.5; grad_groups = 2; detectors = [\"shared\", \"concat\"]; };\n"
    "gmm: { components = 3; covariance = \"full\"; max_iter = 7; tol = 1e-6; var_floor = 0.01;\n"
    "       subsample = 500; holdout_fraction = 0.3; };\n"
    "weights: { mode = \"two-sided\"; smooth = 5; percentile = 90.0; low_percentile = 10.0;\n"
    "           median_weight = 0.9; };\n",
    {.hidden1 = 64, .hidden2 = 16, .dropout = 0.25f, .epochs = 3, .batch = 8, .max_snippets = 50, .lr = 2e-3,
     .weight_decay = 0.01, .wd_mode = RB_WD_L2, .schedule = RB_LR_STEP, .step_every = 4, .step_gamma = 0.5,
     .seed = 5, .replica = 0, .grad_groups = 2},
    2, {RB_DET_SHARED, RB_DET_CONCAT},
    {.k = 3, .covariance = RB_GMM_FULL, .max_iter = 7, .tol = 1e-6, .var_floor_rel = 0.01, .var_floor_abs = 1e-6,
     .kmeans_iter = 10, .max_points = 500, .seed = 5, .stream_id = 0},
    0.3,
    /* the snippet statistic with a window > 1 is the smoothed one */
    {.statistic = RB_WSTAT_SMOOTH, .window = 5, .two_sided = 1, .percentile_hi = 90.0, .percentile_lo = 10.0,
     .median_weight = 0.9}};

/* got.field == want.field (as doubles: exact for every int and float field here), naming the case. */
#define RB_SAME_FIELD(got, want, field, name)                                                         \
    RB_EXPECT_MSG((double)(got).field == (double)(want).field, "%s: %s = %.17g, expected %.17g", name, #field, \
                  (double)(got).field, (double)(want).field)

static void rb_expect_params(const rb_params_case *e) {
    rb_config *c = rb_params_config(e->extra);
    if (!c) return;
    rb_train_params t;
    RB_EXPECT_OK(rb_params_train(c, &t));
    RB_SAME_FIELD(t, e->train, hidden1, e->name);
    RB_SAME_FIELD(t, e->train, hidden2, e->name);
    RB_SAME_FIELD(t, e->train, dropout, e->name);
    RB_SAME_FIELD(t, e->train, epochs, e->name);
    RB_SAME_FIELD(t, e->train, batch, e->name);
    RB_SAME_FIELD(t, e->train, max_snippets, e->name);
    RB_SAME_FIELD(t, e->train, lr, e->name);
    RB_SAME_FIELD(t, e->train, weight_decay, e->name);
    RB_SAME_FIELD(t, e->train, wd_mode, e->name);
    RB_SAME_FIELD(t, e->train, schedule, e->name);
    RB_SAME_FIELD(t, e->train, step_every, e->name);
    RB_SAME_FIELD(t, e->train, step_gamma, e->name);
    RB_SAME_FIELD(t, e->train, seed, e->name);
    RB_SAME_FIELD(t, e->train, replica, e->name);
    RB_SAME_FIELD(t, e->train, grad_groups, e->name);
    RB_EXPECT(t.team == MPI_COMM_NULL);

    rb_detector_kind kinds[RB_DET_N_KINDS];
    int n = 0;
    RB_EXPECT_OK(rb_params_detectors(c, kinds, &n));
    RB_EXPECT_INT(n, e->n_kinds);
    for (int i = 0; i < n && i < e->n_kinds; i++)
        RB_EXPECT_MSG(kinds[i] == e->kinds[i], "%s: detector %d is %s, expected %s", e->name, i,
                      rb_detector_kind_name(kinds[i]), rb_detector_kind_name(e->kinds[i]));

    rb_gmm_params g;
    double holdout = 0;
    RB_EXPECT_OK(rb_params_gmm(c, &g, &holdout));
    RB_SAME_FIELD(g, e->gmm, k, e->name);
    RB_SAME_FIELD(g, e->gmm, covariance, e->name);
    RB_SAME_FIELD(g, e->gmm, max_iter, e->name);
    RB_SAME_FIELD(g, e->gmm, tol, e->name);
    RB_SAME_FIELD(g, e->gmm, var_floor_rel, e->name);
    RB_SAME_FIELD(g, e->gmm, var_floor_abs, e->name);
    RB_SAME_FIELD(g, e->gmm, kmeans_iter, e->name);
    RB_SAME_FIELD(g, e->gmm, max_points, e->name);
    RB_SAME_FIELD(g, e->gmm, seed, e->name);
    RB_SAME_FIELD(g, e->gmm, stream_id, e->name);
    RB_EXPECT_MSG(holdout == e->holdout, "%s: holdout %.17g, expected %.17g", e->name, holdout, e->holdout);

    rb_weight_params w;
    RB_EXPECT_OK(rb_params_weights(c, &w));
    RB_SAME_FIELD(w, e->weights, statistic, e->name);
    RB_SAME_FIELD(w, e->weights, window, e->name);
    RB_SAME_FIELD(w, e->weights, two_sided, e->name);
    RB_SAME_FIELD(w, e->weights, percentile_hi, e->name);
    RB_SAME_FIELD(w, e->weights, percentile_lo, e->name);
    RB_SAME_FIELD(w, e->weights, median_weight, e->name);
    rb_config_free(c);
}

RB_TEST(params_defaults_from_schema) { rb_expect_params(&rb_defaults); }

RB_TEST(params_overrides_land_in_their_fields) {
    rb_expect_params(&rb_overrides);
    /* the per-video statistic whatever the window */
    rb_params_case video = rb_defaults;
    video.name = "per-video statistic";
    video.extra = "weights: { statistic = \"video\"; smooth = 3; };\n";
    video.weights.statistic = RB_WSTAT_VIDEO;
    video.weights.window = 3;
    rb_expect_params(&video);
}

RB_TEST(params_bad_combinations_are_errors) {
    /* refused when the config loads (src/core/config_rules.c), so no command reads them */
    rb_config *c = NULL;
    RB_EXPECT_ERR(rb_config_load_string(&c, "run: { seed = 5; };\ndata: { datasets = ( { name = \"a\"; } ); };\n"
                                            "weights: { smooth = 4; };\n", "params.cfg"),
                  "params.cfg:3: weights.smooth = 4 must be odd");
    RB_EXPECT_ERR(rb_config_load_string(&c, "run: { seed = 5; };\ndata: { datasets = ( { name = \"a\"; } ); };\n"
                                            "train: { detectors = [\"audio\", \"audio\"]; };\n", "params.cfg"),
                  "train.detectors lists \"audio\" twice");
    RB_EXPECT(c == NULL);
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

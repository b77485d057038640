/* test_reference_weights.c - the reference methods beside RobustA's fusion and the weighting
 * diagnostics: two-sided and decorrelated weights and the diagnostics on hand-computed vectors, and
 * shared-oracle through the scorer (it must equal the remaining modality's shared path bit for bit). */
#include "rb_score.h"
#include "rb_core.h"
#include "rb_fixture.h"
#include "rb_test.h"
#include "score/reference_weights.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double rb_sig(double x) { return 1.0 / (1.0 + exp(-x)); }

static rb_weight_calib rb_hand_calib(void) {
    rb_weight_calib c;
    memset(&c, 0, sizeof c);
    c.tau_hi = 2.0;
    c.s_hi = 0.5;
    c.tau_lo = -1.0;
    c.s_lo = 0.25;
    c.two_sided = 0.0; /* a one-sided calibration: the two-sided method uses its lower threshold anyway */
    c.statistic = RB_WSTAT_SNIPPET;
    c.window = 1;
    return c;
}

RB_TEST(reference_two_sided_weights_by_hand) {
    rb_weight_calib c = rb_hand_calib();
    const double nll[4] = {0.0, 2.0, -1.0, 3.0};
    const int64_t off[2] = {0, 4};
    double w[4], one[4];
    RB_EXPECT_OK(rb_ref_two_sided_weights(&c, nll, 4, 1, off, 1, w));
    RB_EXPECT_OK(rb_weight_from_nll(&c, nll, 4, 1, off, 1, one));
    const double want[4] = {rb_sig(4) * rb_sig(4), 0.5 * rb_sig(12), rb_sig(6) * 0.5, rb_sig(-2) * rb_sig(16)};
    for (int i = 0; i < 4; i++) {
        RB_EXPECT_NEAR(w[i], want[i], 1e-15);
        RB_EXPECT_NEAR(one[i], rb_sig((2.0 - nll[i]) / 0.5), 1e-15); /* the calibration itself stays one-sided */
    }
    RB_EXPECT(c.two_sided == 0.0);
}

RB_TEST(reference_decor_removes_a_linear_score_dependence) {
    const float score[4] = {0.1f, 0.3f, 0.5f, 0.9f};
    double nll[4], mean = 0;
    for (int i = 0; i < 4; i++) {
        nll[i] = 1.0 + 2.0 * (double)score[i];
        mean += (double)score[i] / 4;
    }
    double beta = 0, centre = 0;
    rb_ref_decor_fit(nll, score, 4, &beta, &centre);
    RB_EXPECT_NEAR(beta, 2.0, 1e-12);
    RB_EXPECT_NEAR(centre, mean, 1e-15);
    rb_weight_calib c = rb_hand_calib();
    const int64_t off[2] = {0, 4};
    double w[4];
    RB_EXPECT_OK(rb_ref_decor_weights(&c, nll, score, 4, 1, off, 1, beta, centre, w));
    /* every statistic is 1 + 2 * mean: one weight */
    for (int i = 0; i < 4; i++) RB_EXPECT_NEAR(w[i], rb_sig((2.0 - (1.0 + 2.0 * mean)) / 0.5), 1e-12);
    /* constant scores carry no information: slope 0, the statistic is the NLL itself */
    const float flat[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    rb_ref_decor_fit(nll, flat, 4, &beta, &centre);
    RB_EXPECT(beta == 0.0 && centre == 0.5);
}

RB_TEST(reference_weight_diagnostics_by_hand) {
    /* video 0 (anomalous): snippets 0..2, video 1 (normal): snippets 3..4; 16 frames each */
    int64_t off[3] = {0, 3, 5};
    uint8_t labels[2] = {1, 0};
    int32_t pos[5] = {0, 8, 16, 0, 0}, frames[5] = {16, 16, 16, 16, 16};
    rb_split t;
    memset(&t, 0, sizeof t);
    t.n_videos = 2;
    t.n_snippets = 5;
    t.n_crops = 1;
    t.offsets = off;
    t.labels = labels;
    t.snippet_pos = pos;
    t.snippet_frames = frames;
    const double nll[5] = {1, 5, 4, 2, 3}, w[5] = {0.9, 0.4, 0.2, 0.8, 0.6};
    double d[RB_DIAG_COUNT];
    RB_EXPECT_OK(rb_weight_diagnostics(&t, nll, w, 1, 0.3, d));
    /* positive frames: 8 at NLL 5 (8 negatives tie there), 16 at NLL 4; 48 negatives below 4:
     * (8 * (48 + 8/2) + 16 * 48) / (24 * 56) */
    RB_EXPECT_NEAR(d[RB_DIAG_NLL_ANOMALY_AUC], 1184.0 / 1344.0, 1e-15);
    RB_EXPECT(d[RB_DIAG_DETECT_DIRECTION] == -1.0);
    RB_EXPECT_NEAR(d[RB_DIAG_WEIGHT_ANOMALOUS], 0.3, 1e-15);
    RB_EXPECT_NEAR(d[RB_DIAG_WEIGHT_NORMAL], 0.7, 1e-15);
    RB_EXPECT_NEAR(d[RB_DIAG_WEIGHT_LOW_FRAC], 0.4, 1e-15);
    const double q[5] = {0.24, 0.4, 0.6, 0.8, 0.88};
    for (int k = 0; k < 5; k++) RB_EXPECT_NEAR(d[RB_DIAG_WEIGHT_Q05 + k], q[k], 1e-15);
    RB_EXPECT_OK(rb_weight_diagnostics(&t, nll, w, 1, NAN, d));
    RB_EXPECT(isnan(d[RB_DIAG_DETECT_DIRECTION]));
    RB_EXPECT_OK(rb_weight_diagnostics(&t, nll, w, 1, 0.9, d));
    RB_EXPECT(d[RB_DIAG_DETECT_DIRECTION] == 1.0);
}

static const rb_fixture_spec rb_ref_spec = {30, 12, 2, 48, 16, 16, 8, 2, 3, 7};

static const float *rb_method_scores(const rb_cell_result *r, rb_method m) {
    for (int k = 0; k < r->n_methods; k++)
        if (r->methods[k] == m) return r->scores + (size_t)k * (size_t)r->n_replicas * (size_t)r->n_snippets;
    return NULL;
}

RB_TEST(reference_oracle_is_the_remaining_shared_path) {
    rb_dataset d;
    rb_model m;
    rb_corrupt_ctx ctx;
    int ok = rb_fixture_scoring(&rb_ref_spec, &d, &m, &ctx) == RB_OK;
    RB_EXPECT_MSG(ok, "fixture: %s", rb_error_message());
    rb_scorer *s = NULL;
    if (ok) RB_EXPECT_OK(rb_scorer_init(&s, &m, &d.test, &ctx, 4096, 1e9));
    if (s) {
        rb_method all[RB_N_METHODS];
        for (int k = 0; k < RB_N_METHODS; k++) all[k] = (rb_method)k;
        RB_EXPECT_OK(rb_scorer_set_methods(s, all, RB_N_METHODS));
        rb_modality_condition clean[2] = {{0}, {0}}, mv[2] = {{.missing = 1}, {0}}, ma[2] = {{0}, {.missing = 1}};
        rb_modality_condition fog[2] = {{0}, {0}}, rev[2] = {{0}, {0}}, pair[2] = {{0}, {0}};
        rb_corrupt_lookup(RB_MOD_VISUAL, "fog", &fog[0].corruption);
        fog[0].severity = 3;
        rb_corrupt_lookup(RB_MOD_AUDIO, "reverb", &rev[1].corruption);
        rev[1].severity = 5;
        pair[0] = fog[0];
        pair[1] = rev[1];
        rb_cell_result r[6];
        rb_modality_condition *conds[6] = {clean, mv, ma, fog, rev, pair};
        for (int k = 0; k < 6; k++) RB_EXPECT_OK(rb_scorer_cell(s, conds[k], &r[k]));
        size_t n = sizeof(float) * (size_t)r[0].n_replicas * (size_t)r[0].n_snippets;
        const rb_method O = RB_METHOD_SHARED_ORACLE, M = RB_METHOD_SHARED_MEAN;
        /* missing: the oracle is the remaining modality's shared path, as shared-mean is */
        RB_EXPECT(memcmp(rb_method_scores(&r[1], O), rb_method_scores(&r[1], M), n) == 0);
        RB_EXPECT(memcmp(rb_method_scores(&r[2], O), rb_method_scores(&r[2], M), n) == 0);
        /* one corrupted modality: dropped, so the oracle equals the missing-modality cell's path */
        RB_EXPECT(memcmp(rb_method_scores(&r[3], O), rb_method_scores(&r[1], M), n) == 0);
        RB_EXPECT(memcmp(rb_method_scores(&r[4], O), rb_method_scores(&r[2], M), n) == 0);
        /* clean and pairs: the plain mean */
        RB_EXPECT(memcmp(rb_method_scores(&r[0], O), rb_method_scores(&r[0], M), n) == 0);
        RB_EXPECT(memcmp(rb_method_scores(&r[5], O), rb_method_scores(&r[5], M), n) == 0);
        /* the reference methods really differ from plain fusion somewhere */
        RB_EXPECT(memcmp(rb_method_scores(&r[3], RB_METHOD_SHARED_TWO_SIDED), rb_method_scores(&r[3], M), n) != 0);
        RB_EXPECT(memcmp(rb_method_scores(&r[3], RB_METHOD_SHARED_DECOR), rb_method_scores(&r[3], M), n) != 0);
        /* diagnostics: NaN for a missing modality, weights in [0, 1] and ordered quantiles otherwise */
        RB_EXPECT(isnan(r[1].diag[0][RB_DIAG_WEIGHT_Q50]) && !isnan(r[1].diag[1][RB_DIAG_WEIGHT_Q50]));
        for (int q = RB_DIAG_WEIGHT_Q05; q < RB_DIAG_WEIGHT_Q95; q++) RB_EXPECT(r[0].diag[0][q] <= r[0].diag[0][q + 1]);
        RB_EXPECT(r[0].diag[0][RB_DIAG_NLL_ANOMALY_AUC] >= 0 && r[0].diag[0][RB_DIAG_NLL_ANOMALY_AUC] <= 1);
        for (int k = 0; k < 6; k++) rb_cell_result_free(&r[k]);
        /* a method the model cannot compute, and an unknown name, are errors */
        rb_method bad;
        RB_EXPECT_ERR(rb_method_from_name("shared-magic", &bad), "unknown method");
        RB_EXPECT_OK(rb_method_from_name("shared-oracle", &bad));
        RB_EXPECT(bad == RB_METHOD_SHARED_ORACLE);
    }
    rb_scorer_free(s);
    rb_corrupt_ctx_free(&ctx);
    rb_model_free(&m);
    rb_dataset_free(&d);
}

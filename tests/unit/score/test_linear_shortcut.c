/* test_linear_shortcut.c - the scorer's linear shortcut (rb_scorer_set_linear): a row-linear
 * corruption of either modality (and a pair of them) scored from the cached clean first layers (the
 * visual paths and the concat halves) gives
 * the scores of the product path up to float rounding, for every such corruption, severity, method
 * and crop; frozen snippets of frame_drop and lost audio packets keep exact ties; every other cell is
 * unchanged within rounding too; the shortcut is set before the clean arrays exist, and costs the
 * documented clean-array rows. */
#include "rb_score.h"
#include "rb_core.h"
#include "rb_fixture.h"
#include "rb_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2 crops, 2 replicas, a first layer wide enough that a rounding difference would show */
static const rb_fixture_spec rb_linear_spec = {30, 14, 2, 64, 16, 32, 8, 2, 3, 23};

/* The fixture's dataset, model and corruption context (rb_fixture_inputs_open). */
static int rb_lin_setup(rb_fixture_inputs *in) {
    int ok = rb_fixture_inputs_open(&rb_linear_spec, in) == RB_OK;
    RB_EXPECT_MSG(ok, "fixture: %s", rb_error_message());
    return ok;
}

static int rb_make_scorer(rb_scorer **s, const rb_model *m, const rb_split *t, const rb_corrupt_ctx *ctx, int linear) {
    RB_TRY(rb_scorer_create(s, m, t, ctx, 64, 1e9)); /* several blocks */
    int rc = rb_scorer_set_linear(*s, linear);
    if (rc == RB_OK) rc = rb_scorer_clean_blocks(*s, 0, rb_scorer_n_blocks(*s));
    if (rc == RB_OK) rc = rb_scorer_clean_finish(*s);
    if (rc == RB_OK) {
        rb_method all[RB_N_METHODS];
        for (int q = 0; q < RB_N_METHODS; q++) all[q] = (rb_method)q;
        rc = rb_scorer_set_methods(*s, all, RB_N_METHODS);
    }
    return rc;
}

/* Largest |a - b| / max(1e-3, |b|) over the scores of two results of the same cell. */
static double rb_max_rel(const rb_cell_result *a, const rb_cell_result *b) {
    double worst = 0.0;
    size_t n = (size_t)a->n_methods * (size_t)a->n_replicas * (size_t)a->n_snippets;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a->scores[i] - (double)b->scores[i]) / fmax(1e-3, fabs((double)b->scores[i]));
        if (!(d <= worst)) worst = d; /* NaN counts as the worst */
    }
    return worst;
}

RB_TEST(linear_shortcut_scores_equal_the_products_up_to_rounding) {
    rb_fixture_inputs in;
    int ok = rb_lin_setup(&in);
    rb_scorer *lin = NULL, *prod = NULL;
    if (ok) ok = rb_make_scorer(&lin, &in.m, &in.d.test, &in.ctx, 1) == RB_OK && rb_make_scorer(&prod, &in.m, &in.d.test, &in.ctx, 0) == RB_OK;
    RB_EXPECT_MSG(ok, "scorers: %s", rb_error_message());
    /* the shortcut's clean arrays: the visual, shared and shared-pad first layers of 2 replicas x 2
     * crops (the concat halves are kept by both: reuse_mb allows them here) */
    if (ok) {
        size_t extra = rb_scorer_clean_bytes(lin) - rb_scorer_clean_bytes(prod);
        size_t rows = sizeof(float) * 3 * 2 * 2 * (size_t)in.d.test.n_snippets * (size_t)rb_linear_spec.hidden1;
        RB_EXPECT_MSG(extra >= rows && extra < rows + 4096, "the shortcut adds %zu bytes of clean arrays, expected %zu",
                      extra, rows);
        RB_EXPECT_ERR(rb_scorer_set_linear(lin, 0), "before the clean arrays");
    }
    /* row-linear: 4 visual, 3 audio, and a pair of both; then cells the shortcut must not touch */
    /* kind 1: row-linear, 2: dimension-sparse (defocus_blur), 0: neither */
    static const struct {
        const char *visual, *audio;
        int linear;
    } cells[] = {{"fog", NULL, 1},       {"low_light", NULL, 1},      {"motion_blur", NULL, 1},
                 {"frame_drop", NULL, 1}, {NULL, "reverb", 1},         {NULL, "packet_loss", 1},
                 {NULL, "attenuation", 1}, {"fog", "reverb", 1},       {"jpeg", NULL, 0},
                 {"gaussian_noise", NULL, 0}, {"pixelate", NULL, 0},  {"defocus_blur", NULL, 2},
                 {NULL, "clipping", 0},   {NULL, "codec", 0},          {NULL, "background_noise", 0},
                 {"jpeg", "packet_loss", 1}, {"defocus_blur", "reverb", 1}};
    double worst_linear = 0.0, worst_other = 0.0;
    int differs = 0, differs_sparse = 0; /* the shortcut really changed how some cell was computed */
    for (size_t k = 0; ok && k < sizeof cells / sizeof *cells; k++) {
        for (int sev = 1; sev <= 5; sev++) {
            rb_modality_condition cond[2] = {{0}, {0}};
            if (cells[k].visual) RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, cells[k].visual, &cond[0].corruption));
            if (cells[k].audio) RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_AUDIO, cells[k].audio, &cond[1].corruption));
            cond[0].severity = cond[1].severity = sev;
            const char *name = cells[k].visual ? cells[k].visual : cells[k].audio;
            int any_linear = (cond[0].corruption && rb_corrupt_row_linear(cond[0].corruption)) ||
                             (cond[1].corruption && rb_corrupt_row_linear(cond[1].corruption));
            int sparse = cond[0].corruption && rb_corrupt_dim_sparse(cond[0].corruption);
            RB_EXPECT_MSG(any_linear ? cells[k].linear == 1 : sparse ? cells[k].linear == 2 : cells[k].linear == 0,
                          "%s: row-linear %d, dimension-sparse %d", name, any_linear, sparse);
            rb_cell_result a, b;
            if (rb_scorer_cell(lin, cond, &a) != RB_OK || rb_scorer_cell(prod, cond, &b) != RB_OK) {
                RB_EXPECT_MSG(0, "%s severity %d: %s", name, sev, rb_error_message());
                continue;
            }
            double rel = rb_max_rel(&a, &b);
            if (cells[k].linear) worst_linear = fmax(worst_linear, rel);
            else worst_other = fmax(worst_other, rel);
            differs |= cells[k].linear == 1 && rel > 0.0;
            differs_sparse |= cells[k].linear == 2 && rel > 0.0;
            for (int q = 0; q < a.n_methods * a.n_replicas; q++)
                RB_EXPECT_MSG(fabs(a.metrics[q].ap - b.metrics[q].ap) < 1e-4, "%s severity %d: AP %.9f against %.9f", name,
                              sev, a.metrics[q].ap, b.metrics[q].ap);
            rb_cell_result_free(&a);
            rb_cell_result_free(&b);
        }
    }
    printf("    linear shortcut: max relative score difference %.2e (row-linear and dimension-sparse), %.2e (others)\n",
           worst_linear, worst_other);
    RB_EXPECT_MSG(worst_linear < 1e-4, "row-linear corruptions: scores differ by %.3e relative", worst_linear);
    RB_EXPECT_MSG(worst_other < 1e-4, "other corruptions: scores differ by %.3e relative", worst_other);
    RB_EXPECT_MSG(!ok || differs, "no row-linear cell differs in any bit: the shortcut was not taken");
    RB_EXPECT_MSG(!ok || differs_sparse, "no defocus_blur cell differs in any bit: the sparse shortcut was not taken");
    rb_scorer_free(lin);
    rb_scorer_free(prod);
    rb_fixture_inputs_close(&in);
}

/* frame_drop repeats the last kept snippet: through the shortcut its first-layer rows are copies, so
 * a frozen snippet's visual-input scores equal the kept snippet's bit for bit. */
RB_TEST(linear_shortcut_frame_drop_keeps_exact_ties) {
    rb_fixture_inputs in;
    int ok = rb_lin_setup(&in);
    rb_scorer *lin = NULL;
    if (ok) ok = rb_make_scorer(&lin, &in.m, &in.d.test, &in.ctx, 1) == RB_OK;
    rb_modality_condition cond[2] = {{0}, {0}};
    if (ok) ok = rb_corrupt_lookup(RB_MOD_VISUAL, "frame_drop", &cond[0].corruption) == RB_OK;
    cond[0].severity = 5;
    const rb_split *t = &in.d.test;
    const int C = t->n_crops, D = t->d_visual;
    float *vid = ok ? malloc(sizeof(float) * rb_corrupt_video_floats(t, RB_MOD_VISUAL) * (size_t)C) : NULL;
    rb_cell_result r;
    if (ok) ok = vid && rb_scorer_cell(lin, cond, &r) == RB_OK;
    RB_EXPECT_MSG(ok, "frame_drop cell: %s", rb_error_message());
    int frozen = 0, checked_methods = 0;
    for (int64_t v = 0; ok && v < t->n_videos; v++) {
        int64_t T = rb_split_video_len(t, v);
        size_t per_crop = (size_t)T * (size_t)D;
        for (int c = 0; c < C; c++) RB_EXPECT_OK(rb_corrupt_video(&in.ctx, cond[0].corruption, 5, t, v, c, vid + c * per_crop));
        for (int64_t i = 1; i < T; i++) {
            int same = 1;
            for (int c = 0; c < C && same; c++)
                same = memcmp(vid + c * per_crop + (size_t)i * D, vid + c * per_crop + (size_t)(i - 1) * D, sizeof(float) * D) == 0;
            if (!same) continue;
            frozen++;
            int64_t s = t->offsets[v] + i;
            for (int k = 0; k < r.n_methods; k++) {
                if (r.methods[k] != RB_METHOD_VISUAL) continue;
                checked_methods++;
                for (int rep = 0; rep < r.n_replicas; rep++) {
                    const float *f = r.scores + ((size_t)k * (size_t)r.n_replicas + (size_t)rep) * (size_t)r.n_snippets;
                    RB_EXPECT_MSG(f[s] == f[s - 1], "video %lld snippet %lld: frozen score %.9g, kept %.9g", (long long)v,
                                  (long long)i, f[s], f[s - 1]);
                }
            }
        }
    }
    RB_EXPECT_MSG(!ok || frozen > 0, "frame_drop severity 5 froze no snippet of the fixture");
    RB_EXPECT_MSG(!ok || checked_methods > 0, "the visual method was not scored");
    if (ok) rb_cell_result_free(&r);
    free(vid);
    rb_scorer_free(lin);
    rb_fixture_inputs_close(&in);
}

/* packet_loss zeroes lost audio snippets: through the shortcut their first-layer rows are exact
 * zeros, so every lost snippet gets one audio score, the score of a lone zero row (the missing-audio
 * constant), bit for bit. */
RB_TEST(linear_shortcut_packet_loss_keeps_exact_ties) {
    rb_fixture_inputs in;
    int ok = rb_lin_setup(&in);
    rb_scorer *lin = NULL;
    if (ok) ok = rb_make_scorer(&lin, &in.m, &in.d.test, &in.ctx, 1) == RB_OK;
    rb_modality_condition lost[2] = {{0}, {0}}, missing[2] = {{0}, {0}};
    if (ok) ok = rb_corrupt_lookup(RB_MOD_AUDIO, "packet_loss", &lost[1].corruption) == RB_OK;
    lost[1].severity = 5;
    missing[1].missing = 1;
    const rb_split *t = &in.d.test;
    float *vid = ok ? malloc(sizeof(float) * rb_corrupt_video_floats(t, RB_MOD_AUDIO)) : NULL;
    rb_cell_result r, z;
    int have_r = ok && vid && rb_scorer_cell(lin, lost, &r) == RB_OK;
    int have_z = have_r && rb_scorer_cell(lin, missing, &z) == RB_OK;
    RB_EXPECT_MSG(have_z, "packet_loss / missing audio cells: %s", rb_error_message());
    int zeros = 0;
    for (int64_t v = 0; have_z && v < t->n_videos; v++) {
        int64_t T = rb_split_video_len(t, v);
        RB_EXPECT_OK(rb_corrupt_video(&in.ctx, lost[1].corruption, 5, t, v, 0, vid));
        for (int64_t i = 0; i < T; i++) {
            int is_zero = 1;
            for (int q = 0; q < t->d_audio && is_zero; q++) is_zero = vid[(size_t)i * t->d_audio + q] == 0.0f;
            if (!is_zero) continue;
            zeros++;
            int64_t s = t->offsets[v] + i;
            for (int k = 0; k < r.n_methods; k++) {
                if (r.methods[k] != RB_METHOD_AUDIO) continue;
                for (int rep = 0; rep < r.n_replicas; rep++) {
                    size_t at = ((size_t)k * (size_t)r.n_replicas + (size_t)rep) * (size_t)r.n_snippets + (size_t)s;
                    RB_EXPECT_MSG(r.scores[at] == z.scores[at], "video %lld snippet %lld: lost score %.9g, missing %.9g",
                                  (long long)v, (long long)i, r.scores[at], z.scores[at]);
                }
            }
        }
    }
    RB_EXPECT_MSG(!have_z || zeros > 0, "packet_loss severity 5 lost no audio snippet of the fixture");
    if (have_r) rb_cell_result_free(&r);
    if (have_z) rb_cell_result_free(&z);
    free(vid);
    rb_scorer_free(lin);
    rb_fixture_inputs_close(&in);
}

/* A negative clean test value where the modality is clamped at 0: the clamp could act, so the
 * shortcut's identities need not hold and it is not taken: the cell does the products' work (its
 * counted flops equal the product path's; with the value nonnegative they are far fewer). */
RB_TEST(linear_shortcut_not_taken_when_the_clamp_could_act) {
    rb_fixture_inputs in;
    int ok = rb_lin_setup(&in);
    RB_EXPECT_MSG(!ok || in.ctx.nonnegative[0], "the fixture's visual modality is not clamped: the test shows nothing");
    if (ok) in.d.test.visual[5] = -0.25f;
    rb_scorer *lin = NULL, *prod = NULL;
    if (ok) ok = rb_make_scorer(&lin, &in.m, &in.d.test, &in.ctx, 1) == RB_OK && rb_make_scorer(&prod, &in.m, &in.d.test, &in.ctx, 0) == RB_OK;
    static const char *const names[] = {"fog", "frame_drop", "defocus_blur"};
    for (int k = 0; ok && k < 3; k++) {
        rb_modality_condition cond[2] = {{0}, {0}};
        RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, names[k], &cond[0].corruption));
        cond[0].severity = 4;
        rb_cell_result a, b;
        rb_scorer_flops(lin, 1);
        rb_scorer_flops(prod, 1);
        if (rb_scorer_cell(lin, cond, &a) != RB_OK || rb_scorer_cell(prod, cond, &b) != RB_OK) {
            RB_EXPECT_MSG(0, "%s: %s", names[k], rb_error_message());
            continue;
        }
        double f_lin = rb_scorer_flops(lin, 1), f_prod = rb_scorer_flops(prod, 1);
        RB_EXPECT_MSG(f_lin == f_prod && f_prod > 0, "%s: %.6g flops with the shortcut set, %.6g without: it was taken",
                      names[k], f_lin, f_prod);
        RB_EXPECT_MSG(rb_max_rel(&a, &b) < 1e-4, "%s: scores differ", names[k]);
        rb_cell_result_free(&a);
        rb_cell_result_free(&b);
    }
    /* the check can fail: with the value nonnegative again the shortcut is taken and counts less */
    if (ok) {
        in.d.test.visual[5] = 0.25f;
        rb_scorer *again = NULL;
        rb_modality_condition cond[2] = {{0}, {0}};
        RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, "fog", &cond[0].corruption));
        cond[0].severity = 4;
        rb_cell_result a, b;
        int made = rb_make_scorer(&again, &in.m, &in.d.test, &in.ctx, 1) == RB_OK;
        if (made) rb_scorer_flops(again, 1); /* not the clean pass */
        if (made && rb_scorer_cell(again, cond, &a) == RB_OK) {
            rb_scorer_flops(prod, 1);
            double f_again = rb_scorer_flops(again, 1);
            RB_EXPECT_OK(rb_scorer_cell(prod, cond, &b));
            RB_EXPECT_MSG(f_again < 0.5 * rb_scorer_flops(prod, 1), "fog with the shortcut: %.6g flops", f_again);
            rb_cell_result_free(&a);
            rb_cell_result_free(&b);
        } else {
            RB_EXPECT_MSG(0, "scorer: %s", rb_error_message());
        }
        rb_scorer_free(again);
    }
    rb_scorer_free(lin);
    rb_scorer_free(prod);
    rb_fixture_inputs_close(&in);
}

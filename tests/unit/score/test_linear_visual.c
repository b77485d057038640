/* test_linear_visual.c - the scorer's linear shortcut (rb_scorer_set_linear_visual): a row-linear
 * visual corruption scored from the cached clean first layers gives the scores of the product path
 * up to float rounding, for every such corruption, severity, method and crop; frozen snippets of
 * frame_drop keep exact ties; every other cell is unchanged within rounding too; the shortcut is
 * set before the clean arrays exist, and costs the documented clean-array rows. */
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

static int rb_make_scorer(rb_scorer **s, const rb_model *m, const rb_split *t, const rb_corrupt_ctx *ctx, int linear) {
    RB_TRY(rb_scorer_create(s, m, t, ctx, 64, 1e9)); /* several blocks */
    int rc = rb_scorer_set_linear_visual(*s, linear);
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

RB_TEST(linear_visual_scores_equal_the_products_up_to_rounding) {
    rb_dataset d;
    rb_model m;
    rb_corrupt_ctx ctx;
    int ok = rb_fixture_scoring(&rb_linear_spec, &d, &m, &ctx) == RB_OK;
    RB_EXPECT_MSG(ok, "fixture: %s", rb_error_message());
    rb_scorer *lin = NULL, *prod = NULL;
    if (ok) ok = rb_make_scorer(&lin, &m, &d.test, &ctx, 1) == RB_OK && rb_make_scorer(&prod, &m, &d.test, &ctx, 0) == RB_OK;
    RB_EXPECT_MSG(ok, "scorers: %s", rb_error_message());
    /* the shortcut's clean arrays: the visual, shared and shared-pad first layers of 2 replicas x 2 crops */
    if (ok) {
        size_t extra = rb_scorer_clean_bytes(lin) - rb_scorer_clean_bytes(prod);
        size_t rows = sizeof(float) * 3 * 2 * 2 * (size_t)d.test.n_snippets * (size_t)rb_linear_spec.hidden1;
        RB_EXPECT_MSG(extra >= rows && extra < rows + 4096, "the shortcut adds %zu bytes of clean arrays, expected %zu",
                      extra, rows);
        RB_EXPECT_ERR(rb_scorer_set_linear_visual(lin, 0), "before the clean arrays");
    }
    static const char *const linear[] = {"fog", "low_light", "motion_blur", "frame_drop"};
    static const char *const other[] = {"jpeg", "gaussian_noise", "pixelate", "defocus_blur"};
    double worst_linear = 0.0, worst_other = 0.0;
    int differs = 0; /* the shortcut really changed how some cell was computed */
    for (int k = 0; ok && k < 8; k++) {
        const char *name = k < 4 ? linear[k] : other[k - 4];
        for (int sev = 1; sev <= 5; sev++) {
            rb_modality_condition cond[2] = {{0}, {0}};
            RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, name, &cond[0].corruption));
            cond[0].severity = sev;
            RB_EXPECT(rb_corrupt_row_linear(cond[0].corruption) == (k < 4));
            rb_cell_result a, b;
            if (rb_scorer_cell(lin, cond, &a) != RB_OK || rb_scorer_cell(prod, cond, &b) != RB_OK) {
                RB_EXPECT_MSG(0, "%s severity %d: %s", name, sev, rb_error_message());
                continue;
            }
            double rel = rb_max_rel(&a, &b);
            if (k < 4) worst_linear = fmax(worst_linear, rel);
            else worst_other = fmax(worst_other, rel);
            differs |= rel > 0.0;
            for (int q = 0; q < a.n_methods * a.n_replicas; q++)
                RB_EXPECT_MSG(fabs(a.metrics[q].ap - b.metrics[q].ap) < 1e-4, "%s severity %d: AP %.9f against %.9f", name,
                              sev, a.metrics[q].ap, b.metrics[q].ap);
            rb_cell_result_free(&a);
            rb_cell_result_free(&b);
        }
    }
    printf("    linear shortcut: max relative score difference %.2e (row-linear corruptions), %.2e (others)\n",
           worst_linear, worst_other);
    RB_EXPECT_MSG(worst_linear < 1e-4, "row-linear corruptions: scores differ by %.3e relative", worst_linear);
    RB_EXPECT_MSG(worst_other < 1e-4, "other corruptions: scores differ by %.3e relative", worst_other);
    RB_EXPECT_MSG(!ok || differs, "no cell differs in any bit: the shortcut was not taken");
    rb_scorer_free(lin);
    rb_scorer_free(prod);
    rb_corrupt_ctx_free(&ctx);
    rb_model_free(&m);
    rb_dataset_free(&d);
}

/* frame_drop repeats the last kept snippet: through the shortcut its first-layer rows are copies, so
 * a frozen snippet's visual-input scores equal the kept snippet's bit for bit. */
RB_TEST(linear_visual_frame_drop_keeps_exact_ties) {
    rb_dataset d;
    rb_model m;
    rb_corrupt_ctx ctx;
    int ok = rb_fixture_scoring(&rb_linear_spec, &d, &m, &ctx) == RB_OK;
    RB_EXPECT_MSG(ok, "fixture: %s", rb_error_message());
    rb_scorer *lin = NULL;
    if (ok) ok = rb_make_scorer(&lin, &m, &d.test, &ctx, 1) == RB_OK;
    rb_modality_condition cond[2] = {{0}, {0}};
    if (ok) ok = rb_corrupt_lookup(RB_MOD_VISUAL, "frame_drop", &cond[0].corruption) == RB_OK;
    cond[0].severity = 5;
    const rb_split *t = &d.test;
    const int C = t->n_crops, D = t->d_visual;
    float *vid = ok ? malloc(sizeof(float) * rb_corrupt_video_floats(t, RB_MOD_VISUAL) * (size_t)C) : NULL;
    rb_cell_result r;
    if (ok) ok = vid && rb_scorer_cell(lin, cond, &r) == RB_OK;
    RB_EXPECT_MSG(ok, "frame_drop cell: %s", rb_error_message());
    int frozen = 0, checked_methods = 0;
    for (int64_t v = 0; ok && v < t->n_videos; v++) {
        int64_t T = rb_split_video_len(t, v);
        size_t per_crop = (size_t)T * (size_t)D;
        for (int c = 0; c < C; c++) RB_EXPECT_OK(rb_corrupt_video(&ctx, cond[0].corruption, 5, t, v, c, vid + c * per_crop));
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
    rb_corrupt_ctx_free(&ctx);
    rb_model_free(&m);
    rb_dataset_free(&d);
}

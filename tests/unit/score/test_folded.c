/* test_folded.c - the folded audio path of the shared detector (src/score/folded.c) against the
 * unfolded detector, and the constant paths of a missing modality (src/score/scorer.c) against the
 * detectors' own scores of a zero row. */
#include "rb_score.h"
#include "rb_core.h"
#include "rb_fixture.h"
#include "rb_test.h"
#include "score/folded.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Protocol shapes (128 -> 1024 -> 512 -> 128 -> 1), Xavier weights with the biases and the projection
 * scaled up so the logits spread over several units, rows of N(0, 1) audio features. */
RB_TEST(folded_audio_matches_unfolded) {
    enum { DA = 128, DV = 1024, H1 = 512, H2 = 128, ROWS = 3000 };
    rb_detector d;
    RB_EXPECT_OK(rb_detector_init(&d, RB_DET_SHARED, DV, DA, H1, H2, 0.0f, 5, 0));
    for (int64_t i = 0; i < (int64_t)DA * DV; i++) d.proj.w[i] *= 3.0f;
    for (int j = 0; j < DV; j++) d.proj.b[j] *= 3.0f;
    float *x = malloc(sizeof(float) * ROWS * DA), *plain = malloc(sizeof(float) * ROWS),
          *folded = malloc(sizeof(float) * ROWS);
    RB_EXPECT(x && plain && folded);
    rb_folded_audio f;
    RB_EXPECT_OK(rb_folded_audio_init(&f, &d));
    if (x && plain && folded && f.w) {
        rb_rng r;
        rb_rng_init(&r, 3, RB_PURPOSE_TEST, 0, 0, 0);
        for (int i = 0; i < ROWS * DA; i++) x[i] = (float)rb_rng_normal(&r);
        RB_EXPECT_OK(rb_detector_score(&d, RB_INPUT_AUDIO, x, ROWS, DA, plain));
        RB_EXPECT_OK(rb_folded_audio_score(&f, x, ROWS, DA, folded));
        double worst = 0.0, lo = 1.0, hi = 0.0;
        for (int i = 0; i < ROWS; i++) {
            double e = fabs((double)plain[i] - folded[i]);
            if (e > worst) worst = e;
            if (plain[i] < lo) lo = plain[i];
            if (plain[i] > hi) hi = plain[i];
        }
        /* the scores spread over (0, 1), so the comparison is not between saturated sigmoids */
        RB_EXPECT_MSG(lo < 0.2 && hi > 0.8, "scores span [%g, %g]", lo, hi);
        /* float rounding of two different summation orders: measured max |difference| 4.8e-7
         * (8 float ulps at 0.5) over the 3,000 rows */
        RB_EXPECT_MSG(worst < 2e-6, "max |folded - unfolded| = %g", worst);
        /* the fold itself: one entry recomputed in double */
        double w00 = 0.0, b7 = 0.0;
        for (int k = 0; k < DV; k++) {
            w00 += (double)d.proj.w[k] * d.l1.w[(size_t)k * H1];
            b7 += (double)d.proj.b[k] * d.l1.w[(size_t)k * H1 + 7];
        }
        RB_EXPECT(f.w[0] == (float)w00 && f.b[7] == (float)b7);
    }
    /* only a shared detector has a projection to fold */
    rb_detector pad;
    RB_EXPECT_OK(rb_detector_init(&pad, RB_DET_SHARED_PAD, DV, DA, 8, 4, 0.0f, 5, 0));
    rb_folded_audio g;
    RB_EXPECT_ERR(rb_folded_audio_init(&g, &pad), "no projection");
    rb_detector_free(&pad);
    rb_folded_audio_free(&f);
    rb_detector_free(&d);
    free(x);
    free(plain);
    free(folded);
}

static const rb_fixture_spec rb_const_spec = {30, 12, 2, 48, 16, 16, 8, 2, 3, 7};

/* A missing modality: every single-input path of that modality gives the detector's score of a zero
 * row, for every snippet and replica, and the concat scores with zero visual input equal the concat
 * detector on (zeros, audio) recomputed over the whole split. */
RB_TEST(missing_modality_paths_are_the_zero_row_constants) {
    rb_dataset ds;
    rb_model m;
    rb_corrupt_ctx ctx;
    int ok = rb_fixture_dataset(&rb_const_spec, &ds) == RB_OK && rb_fixture_model(&rb_const_spec, &ds, &m) == RB_OK &&
             rb_corrupt_ctx_init(&ctx, 7, 99, &m.stats[0], &m.stats[1]) == RB_OK;
    RB_EXPECT_MSG(ok, "fixture: %s", rb_error_message());
    if (!ok) return;
    rb_scorer *s = NULL;
    RB_EXPECT_OK(rb_scorer_init(&s, &m, &ds.test, &ctx, 4096, 1e9));
    if (!s) return;
    const size_t S = (size_t)ds.test.n_snippets, R = (size_t)m.n_replicas;
    rb_modality_condition c_mv[2] = {{.missing = 1}, {0}}, c_ma[2] = {{0}, {.missing = 1}};
    rb_cell_result mv, ma;
    RB_EXPECT_OK(rb_scorer_cell(s, c_mv, &mv));
    RB_EXPECT_OK(rb_scorer_cell(s, c_ma, &ma));
    float zero[64] = {0};
    int visual_const = 1, concat_same = 1;
    float *pre_a = malloc(sizeof(float) * S * 16), *pre_0 = calloc(S * 16, sizeof(float)), *ref = malloc(sizeof(float) * S);
    for (size_t r = 0; r < R && pre_a && pre_0 && ref; r++) {
        float zv = 0, za = 0;
        RB_EXPECT_OK(rb_detector_score(rb_model_detector(&m, rb_model_slot(&m, RB_DET_VISUAL), (int)r), RB_INPUT_VISUAL, zero, 1, 48, &zv));
        RB_EXPECT_OK(rb_detector_score(rb_model_detector(&m, rb_model_slot(&m, RB_DET_AUDIO), (int)r), RB_INPUT_AUDIO, zero, 1, 16, &za));
        const float *vis = mv.scores + ((size_t)RB_METHOD_VISUAL * R + r) * S, *aud = ma.scores + ((size_t)RB_METHOD_AUDIO * R + r) * S;
        for (size_t i = 0; i < S; i++) visual_const &= vis[i] == zv && aud[i] == za;
        const rb_detector *dc = rb_model_detector(&m, rb_model_slot(&m, RB_DET_CONCAT), (int)r);
        RB_EXPECT_OK(rb_detector_concat_partial(dc, RB_INPUT_AUDIO, ds.test.audio, (int64_t)S, 16, pre_a));
        RB_EXPECT_OK(rb_detector_score_partials(dc, pre_0, pre_a, (int64_t)S, ref));
        const float *cat = mv.scores + ((size_t)RB_METHOD_CONCAT * R + r) * S;
        for (size_t i = 0; i < S; i++) concat_same &= cat[i] == ref[i]; /* mean of C equal crops */
    }
    RB_EXPECT(pre_a && pre_0 && ref);
    RB_EXPECT(visual_const);
    RB_EXPECT(concat_same);
    free(pre_a);
    free(pre_0);
    free(ref);
    rb_cell_result_free(&mv);
    rb_cell_result_free(&ma);
    rb_scorer_free(s);
    rb_corrupt_ctx_free(&ctx);
    rb_model_free(&m);
    rb_dataset_free(&ds);
}

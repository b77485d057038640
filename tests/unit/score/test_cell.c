/* test_cell.c - the cell scorer: reusing the clean modality (and the cached concat half) never
 * changes a number; missing modalities, weights and detection AUC behave as documented; crops. */
#include "rb_score.h"
#include "rb_core.h"
#include "rb_fixture.h"
#include "rb_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const rb_fixture_spec rb_cell_spec = {30, 12, 2, 48, 16, 16, 8, 2, 3, 7};

typedef struct {
    rb_dataset d;
    rb_model m;
    rb_corrupt_ctx ctx;
    int ok;
} rb_cell_fixture;

static void rb_cell_setup(rb_cell_fixture *fx) {
    memset(fx, 0, sizeof *fx);
    fx->ok = rb_fixture_scoring(&rb_cell_spec, &fx->d, &fx->m, &fx->ctx) == RB_OK;
    if (!fx->ok) rb_test_fail(__FILE__, __LINE__, "fixture: %s", rb_error_message());
}

static void rb_cell_teardown(rb_cell_fixture *fx) {
    rb_corrupt_ctx_free(&fx->ctx);
    rb_model_free(&fx->m);
    rb_dataset_free(&fx->d);
}

static rb_modality_condition rb_corrupted(rb_modality m, const char *name, int severity) {
    rb_modality_condition c = {0};
    if (rb_corrupt_lookup(m, name, &c.corruption) != RB_OK) c.corruption = NULL;
    c.severity = severity;
    return c;
}

static int rb_same_result(const rb_cell_result *a, const rb_cell_result *b) {
    size_t n = (size_t)a->n_methods * (size_t)a->n_replicas;
    if (a->n_methods != b->n_methods || a->n_replicas != b->n_replicas) return 0;
    if (memcmp(a->scores, b->scores, sizeof(float) * n * (size_t)a->n_snippets) != 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (a->metrics[i].ap != b->metrics[i].ap || a->metrics[i].roc_auc != b->metrics[i].roc_auc) return 0;
    for (int m = 0; m < 2; m++) {
        if (a->weight_mean[m] != b->weight_mean[m]) return 0;
        if (!(a->detect_auc[m] == b->detect_auc[m] || (isnan(a->detect_auc[m]) && isnan(b->detect_auc[m])))) return 0;
        for (int q = 0; q < RB_DIAG_COUNT; q++)
            if (!(a->diag[m][q] == b->diag[m][q] || (isnan(a->diag[m][q]) && isnan(b->diag[m][q])))) return 0;
    }
    return 1;
}

RB_TEST(cell_reuse_never_changes_a_number) {
    rb_cell_fixture fx;
    rb_cell_setup(&fx);
    if (!fx.ok) return;
    rb_scorer *with_cache = NULL, *no_cache = NULL, *no_reuse = NULL, *small_chunks = NULL;
    RB_EXPECT_OK(rb_scorer_init(&with_cache, &fx.m, &fx.d.test, &fx.ctx, 4096, 1e9));
    RB_EXPECT_OK(rb_scorer_init(&no_cache, &fx.m, &fx.d.test, &fx.ctx, 4096, 0));
    RB_EXPECT_OK(rb_scorer_init(&no_reuse, &fx.m, &fx.d.test, &fx.ctx, 4096, 1e9));
    RB_EXPECT_OK(rb_scorer_init(&small_chunks, &fx.m, &fx.d.test, &fx.ctx, 1, 1e9));
    if (!with_cache || !no_cache || !no_reuse || !small_chunks) return;
    rb_scorer_set_reuse(no_reuse, 0);
    rb_method all[RB_N_METHODS];
    for (int k = 0; k < RB_N_METHODS; k++) all[k] = (rb_method)k;
    RB_EXPECT_OK(rb_scorer_set_methods(with_cache, all, RB_N_METHODS));
    RB_EXPECT_OK(rb_scorer_set_methods(no_cache, all, RB_N_METHODS));
    RB_EXPECT_OK(rb_scorer_set_methods(no_reuse, all, RB_N_METHODS));
    RB_EXPECT_OK(rb_scorer_set_methods(small_chunks, all, RB_N_METHODS));
    rb_modality_condition conds[5][2] = {
        {{0}, {0}},
        {rb_corrupted(RB_MOD_VISUAL, "fog", 3), {0}},
        {{0}, rb_corrupted(RB_MOD_AUDIO, "reverb", 5)},
        {rb_corrupted(RB_MOD_VISUAL, "gaussian_noise", 2), rb_corrupted(RB_MOD_AUDIO, "codec", 4)},
        {{.missing = 1}, {0}},
    };
    for (int k = 0; k < 5; k++) {
        rb_cell_result a, b, c, e;
        RB_EXPECT_OK(rb_scorer_cell(with_cache, conds[k], &a));
        RB_EXPECT_OK(rb_scorer_cell(no_cache, conds[k], &b));
        RB_EXPECT_OK(rb_scorer_cell(no_reuse, conds[k], &c));
        RB_EXPECT_OK(rb_scorer_cell(small_chunks, conds[k], &e));
        RB_EXPECT_MSG(rb_same_result(&a, &b), "condition %d: cached concat half changed a number", k);
        RB_EXPECT_MSG(rb_same_result(&a, &c), "condition %d: reusing the clean modality changed a number", k);
        RB_EXPECT_INT(a.n_methods, RB_N_METHODS);
        RB_EXPECT_INT(a.n_replicas, 2);
        (void)e; /* chunking may move GEMM blocking: checked for validity below, not bit equality */
        for (int i = 0; i < a.n_methods * a.n_replicas; i++)
            RB_EXPECT(a.metrics[i].roc_auc >= 0.0 && a.metrics[i].roc_auc <= 1.0 && fabs(a.metrics[i].ap - e.metrics[i].ap) < 1e-5);
        rb_cell_result_free(&a);
        rb_cell_result_free(&b);
        rb_cell_result_free(&c);
        rb_cell_result_free(&e);
    }
    rb_scorer_free(with_cache);
    rb_scorer_free(no_cache);
    rb_scorer_free(no_reuse);
    rb_scorer_free(small_chunks);
    rb_cell_teardown(&fx);
}

RB_TEST(cell_missing_weights_and_detection) {
    rb_cell_fixture fx;
    rb_cell_setup(&fx);
    if (!fx.ok) return;
    rb_scorer *s = NULL;
    RB_EXPECT_OK(rb_scorer_init(&s, &fx.m, &fx.d.test, &fx.ctx, 4096, 1e9));
    if (!s) return;
    rb_cell_result clean, miss_v, miss_a, fog;
    rb_modality_condition c_clean[2] = {{0}, {0}}, c_mv[2] = {{.missing = 1}, {0}}, c_ma[2] = {{0}, {.missing = 1}};
    rb_modality_condition c_fog[2] = {rb_corrupted(RB_MOD_VISUAL, "gaussian_noise", 5), {0}};
    RB_EXPECT_OK(rb_scorer_cell(s, c_clean, &clean));
    RB_EXPECT_OK(rb_scorer_cell(s, c_mv, &miss_v));
    RB_EXPECT_OK(rb_scorer_cell(s, c_ma, &miss_a));
    RB_EXPECT_OK(rb_scorer_cell(s, c_fog, &fog));
    size_t S = (size_t)clean.n_snippets, R = 2;
    /* clean: no detection AUC, weights in (0, 1] */
    RB_EXPECT(isnan(clean.detect_auc[0]) && isnan(clean.detect_auc[1]));
    RB_EXPECT(clean.weight_mean[0] > 0 && clean.weight_mean[0] <= 1 && clean.weight_mean[1] > 0);
    /* a missing modality has weight 0, and the shared methods fall back to the other modality: with
     * visual missing, shared-mean and shared-dyn both equal the shared detector's audio score */
    RB_EXPECT(miss_v.weight_mean[0] == 0.0 && isnan(miss_v.detect_auc[0]));
    RB_EXPECT(miss_a.weight_mean[1] == 0.0);
    const float *mean_v = miss_v.scores + (size_t)RB_METHOD_SHARED_MEAN * R * S;
    const float *dyn_v = miss_v.scores + (size_t)RB_METHOD_SHARED_DYN * R * S;
    RB_EXPECT(memcmp(mean_v, dyn_v, sizeof(float) * R * S) == 0);
    /* the audio-only detector does not see a visual change */
    RB_EXPECT(memcmp(clean.scores + (size_t)RB_METHOD_AUDIO * R * S, fog.scores + (size_t)RB_METHOD_AUDIO * R * S,
                     sizeof(float) * R * S) == 0);
    RB_EXPECT(memcmp(clean.scores + (size_t)RB_METHOD_VISUAL * R * S, fog.scores + (size_t)RB_METHOD_VISUAL * R * S,
                     sizeof(float) * R * S) != 0);
    /* strong noise moves features off the clean distribution: the GMM sees it */
    RB_EXPECT_MSG(fog.detect_auc[0] > 0.9, "detection AUC of severity-5 noise = %g", fog.detect_auc[0]);
    RB_EXPECT(fog.weight_mean[0] < clean.weight_mean[0]);
    RB_EXPECT(fog.weight_mean[1] == clean.weight_mean[1]);
    rb_cell_result_free(&clean);
    rb_cell_result_free(&miss_v);
    rb_cell_result_free(&miss_a);
    rb_cell_result_free(&fog);
    rb_scorer_free(s);
    rb_cell_teardown(&fx);
}

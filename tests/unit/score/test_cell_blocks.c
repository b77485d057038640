/* test_cell_blocks.c - a cell scored in blocks on several scorers (the grid's split cells): the
 * blocks scored apart, moved into one scorer and finished there give rb_scorer_cell's result bit for
 * bit (scores of every method and replica, metrics, weights, detection AUC, diagnostics), for every
 * kind of cell and however the blocks are dealt. */
#include "rb_score.h"
#include "rb_core.h"
#include "rb_fixture.h"
#include "rb_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const rb_fixture_spec rb_blocks_spec = {30, 12, 2, 48, 16, 16, 8, 2, 3, 7};

static rb_modality_condition rb_blocks_corrupted(rb_modality m, const char *name, int severity) {
    rb_modality_condition c = {0};
    if (rb_corrupt_lookup(m, name, &c.corruption) != RB_OK) c.corruption = NULL;
    c.severity = severity;
    return c;
}

static int rb_same_double(double a, double b) { return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b)); }

/* Bitwise equality of two cell results (the timing aside). */
static int rb_blocks_same(const rb_cell_result *a, const rb_cell_result *b) {
    size_t n = (size_t)a->n_methods * (size_t)a->n_replicas;
    if (a->n_methods != b->n_methods || a->n_replicas != b->n_replicas || a->n_snippets != b->n_snippets) return 0;
    if (memcmp(a->scores, b->scores, sizeof(float) * n * (size_t)a->n_snippets) != 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (!rb_same_double(a->metrics[i].ap, b->metrics[i].ap) || !rb_same_double(a->metrics[i].ap_step, b->metrics[i].ap_step) ||
            !rb_same_double(a->metrics[i].roc_auc, b->metrics[i].roc_auc))
            return 0;
    for (int m = 0; m < 2; m++) {
        if (!rb_same_double(a->weight_mean[m], b->weight_mean[m]) || !rb_same_double(a->detect_auc[m], b->detect_auc[m])) return 0;
        for (int q = 0; q < RB_DIAG_COUNT; q++)
            if (!rb_same_double(a->diag[m][q], b->diag[m][q])) return 0;
    }
    return 1;
}

/* Score blocks [b0, b1) of cond on helper (a "rank" that is not the owner) and put them into owner. */
static int rb_blocks_on_helper(rb_scorer *helper, rb_scorer *owner, const rb_modality_condition cond[2], int64_t b0,
                               int64_t b1) {
    int64_t row0, rows;
    RB_TRY(rb_scorer_block_rows(helper, b0, b1, &row0, &rows));
    size_t bytes = (size_t)rows * rb_scorer_block_row_bytes(helper, cond);
    void *packed = malloc(bytes ? bytes : 1);
    if (!packed) return rb_fail("out of memory");
    int rc = rb_scorer_score_blocks(helper, cond, b0, b1, packed);
    if (rc == RB_OK) rc = rb_scorer_put_blocks(owner, cond, b0, b1, packed);
    free(packed);
    return rc;
}

RB_TEST(cell_blocks_equal_the_whole_cell_bitwise) {
    rb_dataset d;
    rb_model m;
    rb_corrupt_ctx ctx;
    int ok = rb_fixture_scoring(&rb_blocks_spec, &d, &m, &ctx) == RB_OK;
    RB_EXPECT_MSG(ok, "fixture: %s", rb_error_message());
    /* chunk_rows 1: each block holds as many whole videos as fit in the longest one */
    rb_scorer *whole = NULL, *owner = NULL, *a = NULL, *b = NULL;
    if (ok) {
        RB_EXPECT_OK(rb_scorer_init(&whole, &m, &d.test, &ctx, 1, 1e9));
        RB_EXPECT_OK(rb_scorer_init(&owner, &m, &d.test, &ctx, 1, 1e9));
        RB_EXPECT_OK(rb_scorer_init(&a, &m, &d.test, &ctx, 1, 0)); /* a helper without the concat cache */
        RB_EXPECT_OK(rb_scorer_init(&b, &m, &d.test, &ctx, 1, 1e9));
    }
    if (whole && owner && a && b) {
        rb_method all[RB_N_METHODS];
        for (int k = 0; k < RB_N_METHODS; k++) all[k] = (rb_method)k;
        RB_EXPECT_OK(rb_scorer_set_methods(whole, all, RB_N_METHODS));
        RB_EXPECT_OK(rb_scorer_set_methods(owner, all, RB_N_METHODS));
        int64_t n = rb_scorer_n_blocks(whole);
        int64_t *first = malloc(sizeof(int64_t) * (size_t)(n + 1));
        RB_EXPECT_INT(rb_score_blocks(&d.test, 1, NULL), n);
        RB_EXPECT_MSG(n >= 4, "the fixture gives %lld blocks; the test needs at least 4", (long long)n);
        if (first) {
            rb_score_blocks(&d.test, 1, first);
            RB_EXPECT_INT(first[0], 0);
            RB_EXPECT_INT(first[n], d.test.n_videos);
            for (int64_t k = 0; k < n; k++) RB_EXPECT(first[k] < first[k + 1]);
            free(first);
        }
        int64_t row0 = -1, rows = -1;
        RB_EXPECT_OK(rb_scorer_block_rows(whole, 0, n, &row0, &rows));
        RB_EXPECT(row0 == 0 && rows == d.test.n_snippets);
        RB_EXPECT_ERR(rb_scorer_block_rows(whole, 1, n + 1, &row0, &rows), "outside the");
        rb_modality_condition clean[2] = {{0}, {0}};
        RB_EXPECT_INT(rb_scorer_block_row_bytes(whole, clean), 0);
        rb_modality_condition conds[][2] = {
            {{0}, {0}},
            {rb_blocks_corrupted(RB_MOD_VISUAL, "fog", 3), {0}},
            {rb_blocks_corrupted(RB_MOD_VISUAL, "gaussian_noise", 4), {0}},
            {rb_blocks_corrupted(RB_MOD_VISUAL, "frame_drop", 5), {0}}, /* frozen and zero rows: tie-exact scoring */
            {{0}, rb_blocks_corrupted(RB_MOD_AUDIO, "reverb", 5)},
            {{0}, rb_blocks_corrupted(RB_MOD_AUDIO, "background_noise", 2)}, /* reads a partner video */
            {rb_blocks_corrupted(RB_MOD_VISUAL, "motion_blur", 2), rb_blocks_corrupted(RB_MOD_AUDIO, "codec", 4)},
            {{.missing = 1}, {0}},
            {{0}, {.missing = 1}},
        };
        int n_conds = (int)(sizeof conds / sizeof conds[0]);
        for (int k = 0; k < n_conds; k++) {
            RB_EXPECT_MSG(k == 0 || conds[k][0].corruption || conds[k][1].corruption || conds[k][0].missing || conds[k][1].missing,
                          "condition %d: unknown corruption name", k);
            rb_cell_result ref, split3, dealt;
            memset(&split3, 0, sizeof split3);
            memset(&dealt, 0, sizeof dealt);
            RB_EXPECT_OK(rb_scorer_cell(whole, conds[k], &ref));
            /* three contiguous ranges: the owner's own, then two helpers' */
            int64_t k1 = n / 3, k2 = 2 * n / 3;
            RB_EXPECT_OK(rb_scorer_score_blocks(owner, conds[k], 0, k1, NULL));
            RB_EXPECT_OK(rb_blocks_on_helper(a, owner, conds[k], k1, k2));
            RB_EXPECT_OK(rb_blocks_on_helper(b, owner, conds[k], k2, n));
            RB_EXPECT_OK(rb_scorer_finish_cell(owner, conds[k], &split3));
            RB_EXPECT_MSG(split3.scores && rb_blocks_same(&ref, &split3), "condition %d: three block ranges differ from the whole cell", k);
            /* one block at a time, dealt round-robin over the two helpers, last block first */
            for (int64_t blk = n - 1; blk >= 0; blk--)
                RB_EXPECT_OK(rb_blocks_on_helper(blk % 2 ? a : b, owner, conds[k], blk, blk + 1));
            RB_EXPECT_OK(rb_scorer_finish_cell(owner, conds[k], &dealt));
            RB_EXPECT_MSG(dealt.scores && rb_blocks_same(&ref, &dealt), "condition %d: blocks dealt one by one differ from the whole cell", k);
            rb_cell_result_free(&ref);
            rb_cell_result_free(&split3);
            rb_cell_result_free(&dealt);
        }
    }
    rb_scorer_free(whole);
    rb_scorer_free(owner);
    rb_scorer_free(a);
    rb_scorer_free(b);
    rb_corrupt_ctx_free(&ctx);
    rb_model_free(&m);
    rb_dataset_free(&d);
}

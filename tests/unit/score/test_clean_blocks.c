/* test_clean_blocks.c - the clean pass in blocks (the grid's clean pass shared over ranks,
 * src/grid/clean_pass.c), with mlp and with hlnet detectors: a scorer made with rb_scorer_create
 * whose clean blocks are scored in two ranges on two scorers, the second range copied into the first
 * through rb_scorer_clean_segments and finished there, holds rb_scorer_init's clean arrays bit for
 * bit, and gives its cell results bit for bit (which checks the clean weights and the shared-decor
 * fit as well). */
#include "rb_score.h"
#include "rb_core.h"
#include "rb_fixture.h"
#include "rb_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const rb_fixture_spec rb_clean_spec = {30, 12, 2, 48, 16, 16, 8, 2, 3, 7};

static int rb_clean_same_double(double a, double b) { return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b)); }

static int rb_clean_same_result(const rb_cell_result *a, const rb_cell_result *b) {
    size_t n = (size_t)a->n_methods * (size_t)a->n_replicas;
    if (!a->scores || !b->scores || a->n_methods != b->n_methods || a->n_replicas != b->n_replicas ||
        a->n_snippets != b->n_snippets)
        return 0;
    if (memcmp(a->scores, b->scores, sizeof(float) * n * (size_t)a->n_snippets) != 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (!rb_clean_same_double(a->metrics[i].ap, b->metrics[i].ap) || !rb_clean_same_double(a->metrics[i].roc_auc, b->metrics[i].roc_auc))
            return 0;
    for (int m = 0; m < 2; m++) {
        if (!rb_clean_same_double(a->weight_mean[m], b->weight_mean[m]) || !rb_clean_same_double(a->detect_auc[m], b->detect_auc[m]))
            return 0;
        for (int q = 0; q < RB_DIAG_COUNT; q++)
            if (!rb_clean_same_double(a->diag[m][q], b->diag[m][q])) return 0;
    }
    return 1;
}

/* Whether rows [row0, row0 + rows) of every clean array of a and b are the same bytes. */
static int rb_clean_same_rows(const rb_scorer *a, const rb_scorer *b, int64_t row0, int64_t rows) {
    rb_clean_segment sa[256], sb[256];
    int na = rb_scorer_clean_segments(a, sa, 256), nb = rb_scorer_clean_segments(b, sb, 256);
    if (na != nb || na > 256) return 0;
    for (int k = 0; k < na; k++)
        if (sa[k].row_bytes != sb[k].row_bytes ||
            memcmp((char *)sa[k].base + (size_t)row0 * sa[k].row_bytes, (char *)sb[k].base + (size_t)row0 * sb[k].row_bytes,
                   (size_t)rows * sa[k].row_bytes) != 0)
            return 0;
    return 1;
}

/* Copy rows [row0, row0 + rows) of every clean array from src into dst. */
static void rb_clean_copy_rows(rb_scorer *dst, const rb_scorer *src, int64_t row0, int64_t rows) {
    rb_clean_segment sd[256], ss[256];
    int n = rb_scorer_clean_segments(dst, sd, 256);
    rb_scorer_clean_segments(src, ss, 256);
    for (int k = 0; k < n && k < 256; k++)
        memcpy((char *)sd[k].base + (size_t)row0 * sd[k].row_bytes, (char *)ss[k].base + (size_t)row0 * ss[k].row_bytes,
               (size_t)rows * sd[k].row_bytes);
}

/* The clean pass in two block ranges against the whole, for detectors of architecture arch: mlp (the
 * concat halves are kept and gathered too) or hlnet (whole-video graphs per block, no halves). */
static void rb_check_clean_blocks(rb_detector_arch arch) {
    rb_dataset d;
    rb_model m;
    rb_corrupt_ctx ctx;
    int ok = rb_fixture_scoring_arch(&rb_clean_spec, arch, &d, &m, &ctx) == RB_OK;
    RB_EXPECT_MSG(ok, "fixture: %s", rb_error_message());
    rb_scorer *whole = NULL, *first = NULL, *second = NULL;
    if (ok) {
        RB_EXPECT_OK(rb_scorer_init(&whole, &m, &d.test, &ctx, 1, 1e9));
        RB_EXPECT_OK(rb_scorer_create(&first, &m, &d.test, &ctx, 1, 1e9));
        RB_EXPECT_OK(rb_scorer_create(&second, &m, &d.test, &ctx, 1, 1e9));
    }
    if (whole && first && second) {
        int64_t n = rb_scorer_n_blocks(whole), k = n / 2 + 1, row0, rows, S = d.test.n_snippets;
        RB_EXPECT_MSG(n >= 4, "the fixture gives %lld blocks; the test needs at least 4", (long long)n);
        /* 7 paths of 2 replicas, two NLLs, with mlp the concat halves of 2 replicas x (2 crops + audio)
         * and the first-layer rows of the visual, shared and shared-pad paths (2 replicas x 2 crops) */
        int n_seg = rb_scorer_clean_segments(whole, NULL, 0);
        RB_EXPECT_INT(n_seg, 2 * 7 + 2 + (arch == RB_ARCH_MLP ? 2 * (2 + 1) + 3 * 2 * 2 : 0));
        rb_clean_segment seg[64];
        rb_scorer_clean_segments(whole, seg, 64);
        RB_EXPECT_INT(seg[0].row_bytes, sizeof(float) * 2); /* concat: one score per crop */
        RB_EXPECT_INT(seg[2 * 7].row_bytes, sizeof(double) * 2); /* the visual NLL per crop */
        RB_EXPECT_INT(seg[2 * 7 + 1].row_bytes, sizeof(double)); /* the audio NLL */
        RB_EXPECT_ERR(rb_scorer_clean_blocks(first, 0, n + 1), "outside the");
        RB_EXPECT_OK(rb_scorer_clean_blocks(first, 0, k));
        RB_EXPECT_OK(rb_scorer_clean_blocks(second, k, n));
        RB_EXPECT_OK(rb_scorer_block_rows(whole, k, n, &row0, &rows));
        RB_EXPECT(row0 > 0 && row0 + rows == S);
        RB_EXPECT_MSG(rb_clean_same_rows(first, whole, 0, row0), "the first range differs from the whole clean pass");
        RB_EXPECT_MSG(rb_clean_same_rows(second, whole, row0, rows), "the second range differs from the whole clean pass");
        /* the check can fail: the first scorer has not scored the second range */
        RB_EXPECT(!rb_clean_same_rows(first, whole, row0, rows));
        rb_clean_copy_rows(first, second, row0, rows);
        RB_EXPECT_MSG(rb_clean_same_rows(first, whole, 0, S), "the joined clean arrays differ from the whole clean pass");
        RB_EXPECT_OK(rb_scorer_clean_finish(first));
        rb_method all[RB_N_METHODS];
        for (int q = 0; q < RB_N_METHODS; q++) all[q] = (rb_method)q;
        RB_EXPECT_OK(rb_scorer_set_methods(whole, all, RB_N_METHODS));
        RB_EXPECT_OK(rb_scorer_set_methods(first, all, RB_N_METHODS));
        rb_modality_condition conds[4][2] = {{{0}, {0}}, {{0}, {0}}, {{0}, {0}}, {{.missing = 1}, {0}}};
        RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, "fog", &conds[1][0].corruption));
        conds[1][0].severity = 3;
        RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_AUDIO, "reverb", &conds[2][1].corruption));
        conds[2][1].severity = 5;
        for (int c = 0; c < 4; c++) {
            rb_cell_result a, b;
            memset(&a, 0, sizeof a);
            memset(&b, 0, sizeof b);
            RB_EXPECT_OK(rb_scorer_cell(whole, conds[c], &a));
            RB_EXPECT_OK(rb_scorer_cell(first, conds[c], &b));
            RB_EXPECT_MSG(rb_clean_same_result(&a, &b), "condition %d: the cell differs from the whole clean pass's", c);
            rb_cell_result_free(&a);
            rb_cell_result_free(&b);
        }
    }
    rb_scorer_free(whole);
    rb_scorer_free(first);
    rb_scorer_free(second);
    rb_corrupt_ctx_free(&ctx);
    rb_model_free(&m);
    rb_dataset_free(&d);
}

RB_TEST(clean_blocks_in_two_ranges_equal_the_whole_clean_pass_bitwise) { rb_check_clean_blocks(RB_ARCH_MLP); }

RB_TEST(clean_blocks_in_two_ranges_equal_the_whole_clean_pass_bitwise_hlnet) { rb_check_clean_blocks(RB_ARCH_HLNET); }

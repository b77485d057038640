/* test_boot_memo.c - the bootstrap of a grid cell (rb_grid_boot_cell, bootstrap_cell.c) against a
 * direct recomputation with rb_metrics_bootstrap, bit for bit, and its memo: a method whose scores
 * are bit for bit those of the rank's previous cell takes that cell's values without the walk
 * (counted in boot_reused), and a score that differs in one bit is walked again. */
#include "grid/grid_internal.h"
#include "rb_fixture.h"
#include "rb_test.h"

#include <stdlib.h>
#include <string.h>

enum { M = 2, R = 2, B = 40 };

/* The replica mean of rb_metrics_bootstrap of method k's scores [R][S], as [3][B]. */
static int direct_values(const rb_split *t, const int32_t *counts, const float *scores_k, double *out) {
    const int64_t S = t->n_snippets;
    double *dbl = malloc(sizeof(double) * (size_t)S), one[3 * B];
    if (!dbl) return RB_ERR;
    memset(out, 0, sizeof(double) * 3 * B);
    for (int r = 0; r < R; r++) {
        for (int64_t i = 0; i < S; i++) dbl[i] = scores_k[(size_t)r * (size_t)S + (size_t)i];
        if (rb_metrics_bootstrap(dbl, t->snippet_pos, t->snippet_frames, S, t->offsets, t->n_videos, counts, B, one) !=
            RB_OK) {
            free(dbl);
            return RB_ERR;
        }
        for (int i = 0; i < 3 * B; i++) out[i] += one[i];
    }
    for (int i = 0; i < 3 * B; i++) out[i] /= R;
    free(dbl);
    return RB_OK;
}

/* Every method's values from the cell equal the direct ones bit for bit. */
static int equal_to_direct(const rb_split *t, const int32_t *counts, const float *scores, const double *out) {
    const size_t per = (size_t)R * (size_t)t->n_snippets;
    double want[3 * B];
    for (int k = 0; k < M; k++) {
        if (direct_values(t, counts, scores + (size_t)k * per, want) != RB_OK) return 0;
        if (memcmp(want, out + (size_t)k * 3 * B, sizeof want) != 0) return 0;
    }
    return 1;
}

RB_TEST(grid_boot_cell_reuses_only_bitwise_equal_scores) {
    const rb_fixture_spec spec = {8, 12, 1, 8, 4, 8, 4, 1, 2, 5};
    rb_dataset d;
    RB_EXPECT_OK(rb_fixture_dataset(&spec, &d));
    rb_dataset_spec ds;
    memset(&ds, 0, sizeof ds);
    snprintf(ds.name, sizeof ds.name, "memo-set");
    ds.seed = 17;
    rb_grid g;
    memset(&g, 0, sizeof g);
    g.B = B;
    g.M = M;
    g.R = R;
    g.n_specs = 1;
    g.specs = &ds;
    g.data = &d;
    g.methods[0] = RB_METHOD_CONCAT;
    g.methods[1] = RB_METHOD_AUDIO;
    const rb_split *t = &d.test;
    const size_t per = (size_t)R * (size_t)t->n_snippets, n = (size_t)M * per;
    float *scores = malloc(sizeof(float) * n);
    double *out = malloc(sizeof(double) * M * 3 * B), *first = malloc(sizeof(double) * M * 3 * B);
    int32_t *counts = malloc(sizeof(int32_t) * B * (size_t)t->n_videos);
    RB_EXPECT(scores && out && first && counts);
    if (!scores || !out || !first || !counts || rb_boot_counts(t, ds.seed, rb_grid_dataset_id(ds.name), B, counts) != RB_OK) {
        RB_EXPECT_MSG(0, "setup: %s", rb_error_message());
        free(scores);
        free(out);
        free(first);
        free(counts);
        rb_dataset_free(&d);
        return;
    }
    rb_rng rng;
    rb_rng_init(&rng, 3, 0, 1, 2, 0);
    for (size_t i = 0; i < n; i++) scores[i] = (float)rb_rng_uniform(&rng);

    /* a first cell: both methods walked */
    RB_EXPECT_OK(rb_grid_boot_cell(&g, 0, scores, first));
    RB_EXPECT(g.boot_walked == 2 && g.boot_reused == 0);
    RB_EXPECT(equal_to_direct(t, counts, scores, first));

    /* a cell that changes method 0 only (one snippet of replica 1): method 1 reused */
    scores[per - 1] = scores[per - 1] * 0.5f + 0.25f;
    RB_EXPECT_OK(rb_grid_boot_cell(&g, 0, scores, out));
    RB_EXPECT(g.boot_walked == 3 && g.boot_reused == 1);
    RB_EXPECT(memcmp(out + 3 * B, first + 3 * B, sizeof(double) * 3 * B) == 0);
    RB_EXPECT(equal_to_direct(t, counts, scores, out));

    /* method 1's last score one bit away: walked again, and the values are the direct ones */
    uint32_t bits;
    memcpy(&bits, &scores[n - 1], sizeof bits);
    bits ^= 1u;
    memcpy(&scores[n - 1], &bits, sizeof bits);
    RB_EXPECT_OK(rb_grid_boot_cell(&g, 0, scores, out));
    RB_EXPECT(g.boot_walked == 4 && g.boot_reused == 2); /* method 0 as the last cell's: reused */
    RB_EXPECT(equal_to_direct(t, counts, scores, out));

    rb_grid_boot_free(&g);
    free(scores);
    free(out);
    free(first);
    free(counts);
    rb_dataset_free(&d);
}

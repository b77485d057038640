/* bench_bootstrap.c - the cost of the paired bootstrap of one grid cell next to the cost of scoring
 * it, at protocol feature shapes (1024-d visual, 128-d audio, 512/128 trunk): one visual-corruption
 * cell scored by the scorer, then B = 1000 resamples (the stats.bootstrap default) of every method
 * and replica of that cell, as the grid does (src/grid/bootstrap_cell.c). Both costs grow linearly
 * with the test snippets (apart from the one sort per score vector), so their ratio at this size
 * is the ratio at XD size. Verifies that a resample of all ones reproduces the cell's metrics. */
#include "rb_bench.h"
#include "rb_score.h"
#include "rb_core.h"
#include "rb_fixture.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

RB_BENCH(cell_bootstrap) {
    const rb_fixture_spec spec = {40, 48, 1, 1024, 128, 512, 128, 1, 8, 11};
    enum { B = 1000 };
    rb_dataset d;
    rb_model m;
    rb_corrupt_ctx ctx;
    rb_scorer *s = NULL;
    if (rb_fixture_dataset(&spec, &d) != RB_OK || rb_fixture_model(&spec, &d, &m) != RB_OK ||
        rb_corrupt_ctx_init(&ctx, 11, 1, &m.stats[0], &m.stats[1]) != RB_OK ||
        rb_scorer_init(&s, &m, &d.test, &ctx, rb_bench_chunk_rows(), 1e9) != RB_OK) {
        rb_bench_check("cell_bootstrap", 0, rb_error_message());
        return;
    }
    rb_modality_condition vis[2] = {{0}, {0}};
    rb_corrupt_lookup(RB_MOD_VISUAL, "fog", &vis[0].corruption);
    vis[0].severity = 3;
    rb_cell_result res;
    double best_cell = 1e30;
    for (int i = 0; i < 3; i++) {
        double t0 = rb_now();
        if (rb_scorer_cell(s, vis, &res) != RB_OK) {
            rb_bench_check("cell_bootstrap", 0, rb_error_message());
            return;
        }
        double dt = rb_now() - t0;
        if (dt < best_cell) best_cell = dt;
        if (i < 2) rb_cell_result_free(&res);
    }
    const rb_split *t = &d.test;
    int64_t S = t->n_snippets;
    int32_t *counts = malloc(sizeof *counts * (size_t)B * (size_t)t->n_videos);
    int32_t *ones = malloc(sizeof *ones * (size_t)t->n_videos);
    double *dbl = malloc(sizeof *dbl * (size_t)S), *out = malloc(sizeof *out * 3 * B);
    if (!counts || !ones || !dbl || !out) {
        rb_bench_check("cell_bootstrap", 0, "out of memory");
        return;
    }
    for (int64_t v = 0; v < t->n_videos; v++) ones[v] = 1;
    double t0 = rb_now();
    int ok = rb_boot_counts(t, 11, 1, B, counts) == RB_OK;
    double t_counts = rb_now() - t0;
    /* as the grid: the resamples prepared once per dataset (rb_boot_plan), then one walk per vector */
    rb_boot_plan plan;
    memset(&plan, 0, sizeof plan); /* freeable whatever happens below */
    t0 = rb_now();
    ok = ok && rb_boot_plan_init(&plan, t->snippet_pos, t->snippet_frames, S, t->offsets, t->n_videos, counts, B) == RB_OK;
    double t_plan = rb_now() - t0;
    double best_boot = 1e30;
    for (int rep = 0; rep < 3 && ok; rep++) {
        t0 = rb_now();
        for (int k = 0; k < res.n_methods * res.n_replicas && ok; k++) {
            const float *f = res.scores + (size_t)k * (size_t)S;
            for (int64_t i = 0; i < S; i++) dbl[i] = f[i];
            ok = rb_metrics_bootstrap_plan(&plan, dbl, out) == RB_OK;
        }
        double dt = rb_now() - t0;
        if (dt < best_boot) best_boot = dt;
    }
    int same = ok;
    for (int k = 0; k < res.n_methods * res.n_replicas && same; k++) {
        const float *f = res.scores + (size_t)k * (size_t)S;
        for (int64_t i = 0; i < S; i++) dbl[i] = f[i];
        double one[3];
        same = rb_metrics_bootstrap(dbl, t->snippet_pos, t->snippet_frames, S, t->offsets, t->n_videos, ones, 1, one) == RB_OK &&
               fabs(one[0] - res.metrics[k].ap) <= 1e-14 && fabs(one[1] - res.metrics[k].ap_step) <= 1e-14 &&
               fabs(one[2] - res.metrics[k].roc_auc) <= 1e-14;
    }
    rb_bench_report("cell_bootstrap", "snippets=%lld videos=%lld methods=%d replicas=%d B=%d cell_scoring_s=%.4f "
                    "bootstrap_s=%.4f resample_draw_s=%.4f plan_s=%.4f bootstrap_over_cell=%.2f per_resample_per_vector_us=%.2f",
                    (long long)S, (long long)t->n_videos, res.n_methods, res.n_replicas, B, best_cell, best_boot, t_counts,
                    t_plan, best_boot / best_cell, best_boot / (B * res.n_methods * res.n_replicas) * 1e6);
    rb_bench_check("cell_bootstrap", same, "the all-ones resample reproduces the cell's metrics (to 1e-14)");
    rb_boot_plan_free(&plan);
    free(counts);
    free(ones);
    free(dbl);
    free(out);
    rb_cell_result_free(&res);
    rb_scorer_free(s);
    rb_corrupt_ctx_free(&ctx);
    rb_model_free(&m);
    rb_dataset_free(&d);
}

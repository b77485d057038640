/* bench_cell.c - grid cell scoring at protocol shapes (1024-d visual, 128-d audio, 512/128 trunk):
 * achieved GFLOP/s of a cell (dense layers + GMM, end to end including corruption and metrics) next
 * to a plain sgemm of the dominant shape measured in the same run, and the time saved by reusing the
 * clean modality (cell time with reuse / without). Verifies that reuse does not change the scores. */
#include "rb_bench.h"
#include "rb_score.h"
#include "rb_core.h"
#include "rb_fixture.h"

#include <string.h>

static double rb_time_cell(rb_scorer *s, const rb_modality_condition c[2], int reps, rb_cell_result *keep,
                           double *flops) {
    double best = 1e30;
    for (int i = 0; i < reps; i++) {
        rb_cell_result r;
        rb_scorer_flops(s, 1);
        double t0 = rb_now();
        if (rb_scorer_cell(s, c, &r) != RB_OK) return -1;
        double dt = rb_now() - t0;
        *flops = rb_scorer_flops(s, 0);
        if (dt < best) best = dt;
        if (i == reps - 1 && keep) *keep = r;
        else rb_cell_result_free(&r);
    }
    return best;
}

RB_BENCH(cell_scoring) {
    const rb_fixture_spec spec = {40, 48, 1, 1024, 128, 512, 128, 1, 8, 11};
    rb_dataset d;
    rb_model m;
    rb_corrupt_ctx ctx;
    if (rb_fixture_dataset(&spec, &d) != RB_OK || rb_fixture_model(&spec, &d, &m) != RB_OK ||
        rb_corrupt_ctx_init(&ctx, 11, 1, &m.stats[0], &m.stats[1]) != RB_OK) {
        rb_bench_check("cell_scoring", 0, rb_error_message());
        return;
    }
    rb_scorer *s = NULL;
    if (rb_scorer_init(&s, &m, &d.test, &ctx, rb_bench_chunk_rows(), 1e9) != RB_OK) {
        rb_bench_check("cell_scoring", 0, rb_error_message());
        return;
    }
    rb_modality_condition vis[2] = {{0}, {0}}, aud[2] = {{0}, {0}};
    rb_corrupt_lookup(RB_MOD_VISUAL, "fog", &vis[0].corruption);
    vis[0].severity = 3;
    rb_corrupt_lookup(RB_MOD_AUDIO, "reverb", &aud[1].corruption);
    aud[1].severity = 3;
    double fv, fa, fv0, fa0;
    rb_cell_result rv, rv0;
    double tv = rb_time_cell(s, vis, 3, &rv, &fv);
    double ta = rb_time_cell(s, aud, 3, NULL, &fa);
    rb_scorer_set_reuse(s, 0);
    double tv0 = rb_time_cell(s, vis, 3, &rv0, &fv0);
    double ta0 = rb_time_cell(s, aud, 3, NULL, &fa0);
    int64_t rows = d.test.n_snippets;
    double sgemm = rb_bench_sgemm_gflops((int)(rows < rb_bench_chunk_rows() ? rows : rb_bench_chunk_rows()), 512, 1024, 3);
    rb_bench_report("cell_scoring", "snippets=%lld visual_cell_s=%.4f visual_gflops=%.1f audio_cell_s=%.4f audio_gflops=%.1f "
                    "sgemm_gflops=%.1f ratio_visual=%.2f",
                    (long long)rows, tv, fv / tv * 1e-9, ta, fa / ta * 1e-9, sgemm, fv / tv * 1e-9 / sgemm);
    rb_bench_report("cell_reuse", "visual_cell_with_reuse_s=%.4f without_s=%.4f ratio=%.2f audio_cell_with_reuse_s=%.4f "
                    "without_s=%.4f ratio=%.2f",
                    tv, tv0, tv / tv0, ta, ta0, ta / ta0);
    size_t n = (size_t)rv.n_methods * (size_t)rv.n_replicas * (size_t)rv.n_snippets;
    rb_bench_check("cell_scoring", memcmp(rv.scores, rv0.scores, n * sizeof(float)) == 0,
                   "scores with and without reuse are bitwise identical");
    rb_cell_result_free(&rv);
    rb_cell_result_free(&rv0);
    rb_scorer_free(s);
    rb_corrupt_ctx_free(&ctx);
    rb_model_free(&m);
    rb_dataset_free(&d);
}

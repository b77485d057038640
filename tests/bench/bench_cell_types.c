/* bench_cell_types.c - per cell type (visual, visual with noise, row-linear visual, dimension-sparse
 * visual, audio, row-linear audio, missing visual, missing audio, clean) the measured cell time next to its floor: the dense work the cell must do, timed in
 * the same run as plain sgemm (and, for the GMM, dgemm) calls of exactly those shapes in the blocks
 * the scorer uses. Shapes: protocol widths (1024-d visual, 128-d audio, 512/128 trunk), 1 crop,
 * 1 replica, every detector kind, a GMM of 8 components per modality.
 *
 * The work a cell must do (docs/scaling.md, "Cost of a cell"), per replica and crop C:
 *   visual:          4 first layers S x 1024 x 512 (visual, shared, shared-pad, concat half) and
 *                    4 second layers S x 512 x 128, the visual GMM (S C) x 8 x 2048 in double
 *                    (measured with jpeg, a corruption that is not row-linear)
 *   visual + noise:  the same (generating the noise is the overhead the line shows)
 *   row-linear visual (fog, motion_blur, low_light, frame_drop): the 4 second layers and the GMM;
 *                    the first layers come from the cached clean ones with no product
 *                    (rb_scorer_set_linear). The `linear_shortcut` lines time a fog, a defocus_blur
 *                    and a reverb cell with and without the shortcut.
 *   dimension-sparse visual (defocus_blur severity 3: 615 of 1024 dims changed): the 4 first layers
 *                    restricted to the changed dims, S x 615 x 512, added to the cached clean ones;
 *                    the second layers and the GMM
 *   audio:           4 first layers S x 128 x 512 (audio, shared folded, shared-pad, concat half),
 *                    3 + C second layers, the audio GMM S x 8 x 256 (measured with clipping)
 *   row-linear audio (reverb, packet_loss, attenuation): the same but the concat half, which comes
 *                    from the cached clean one
 *   missing visual:  the concat second layer once (its audio half is cached; the other paths are
 *                    constants)
 *   missing audio:   C concat second layers (the visual halves are cached)
 *   clean:           nothing (every path reused): fusion and metrics only
 * and, as `pass=clean`, the clean pass a scorer makes once per dataset before its cells (in the grid
 * shared over the ranks, src/grid/clean_pass.c): every path of both modalities on the clean features,
 * keeping the first layers the cells reuse. Its floor is the visual cell's products plus the audio
 * paths' (4 first layers S x 128 x 512, 3 second layers) and the audio GMM; its time is the scorer's
 * creation and clean blocks, as the grid does them on one rank.
 * Every cell also fuses scores and computes the metrics of 6 methods; `fixed_s` is that part,
 * measured as the clean cell, and `ratio_fixed` compares the time with floor + fixed.
 * Times are thread CPU seconds, medians of 5 to 41 repetitions (about a quarter second of each
 * measurement, reps_after); read ratios within one run. */
#include "rb_bench.h"
#include "rb_score.h"
#include "rb_core.h"
#include "rb_corrupt.h"
#include "rb_fixture.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#define REPS 5      /* at least this many timed repetitions of everything */
#define MAX_REPS 41 /* and up to this many for short ones, until about TARGET_S seconds are timed */
#define TARGET_S 0.25

/* Repetitions for a measurement whose first repetition took `first` seconds: enough for about
 * TARGET_S seconds (a 4 ms cell gets 41, a 100 ms one 5), odd so the median is one of them. Medians
 * of a few milliseconds over 5 repetitions moved by 0.1-0.2 in ratio between runs on a shared host. */
static int reps_after(double first) {
    const double want = first > 0 ? TARGET_S / first : MAX_REPS; /* clamped before the conversion */
    const int n = want < REPS ? REPS : want > MAX_REPS ? MAX_REPS : (int)want;
    return n | 1; /* MAX_REPS is odd */
}
#define DETECTOR_BLOCK 4096 /* rows per product at most, as the detectors score (detector.c) */

/* Seconds of `count` products rows x k times k x n, in row blocks as the scorer makes them: at most
 * one chunk (grid.chunk_rows) and at most DETECTOR_BLOCK (median of REPS). */
static double time_products(int64_t rows, int n, int k, int count, int dbl) {
    if (count == 0 || rows == 0) return 0.0;
    const int64_t chunk = rb_bench_chunk_rows(), BLOCK = chunk < DETECTOR_BLOCK ? chunk : DETECTOR_BLOCK;
    const int64_t m = rows < BLOCK ? rows : BLOCK;
    size_t es = dbl ? sizeof(double) : sizeof(float);
    void *a = calloc((size_t)m * (size_t)k, es), *b = calloc((size_t)k * (size_t)n, es), *c = calloc((size_t)m * (size_t)n, es);
    if (!a || !b || !c) { free(a); free(b); free(c); return -1.0; }
    for (size_t i = 0; i < (size_t)m * (size_t)k; i++) {
        if (dbl) ((double *)a)[i] = (double)(i % 17) * 0.01;
        else ((float *)a)[i] = (float)(i % 17) * 0.01f;
    }
    double t[MAX_REPS];
    int reps = REPS;
    for (int r = 0; r < reps; r++) {
        double t0 = rb_bench_cpu_seconds();
        for (int j = 0; j < count; j++)
            for (int64_t r0 = 0; r0 < rows; r0 += BLOCK) {
                int mm = (int)(rows - r0 < BLOCK ? rows - r0 : BLOCK);
                if (dbl) cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, mm, n, k, 1.0, a, k, b, n, 0.0, c, n);
                else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, mm, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
            }
        t[r] = rb_bench_cpu_seconds() - t0;
        if (r == 0) reps = reps_after(t[0]);
    }
    free(a); free(b); free(c);
    return rb_bench_median(t, reps);
}

/* A scorer like rb_scorer_init's with the linear shortcut set to `linear`: creation and clean pass. */
static int make_scorer(rb_scorer **s, const rb_model *m, const rb_split *test, const rb_corrupt_ctx *ctx, int linear) {
    RB_TRY(rb_scorer_create(s, m, test, ctx, rb_bench_chunk_rows(), 1e9));
    int rc = rb_scorer_set_linear(*s, linear);
    if (rc == RB_OK) rc = rb_scorer_clean_blocks(*s, 0, rb_scorer_n_blocks(*s));
    if (rc == RB_OK) rc = rb_scorer_clean_finish(*s);
    if (rc != RB_OK) {
        rb_scorer_free(*s);
        *s = NULL;
    }
    return rc;
}

static double time_cell(rb_scorer *s, const rb_modality_condition c[2]) {
    double t[MAX_REPS];
    int reps = REPS;
    for (int i = 0; i < reps; i++) {
        rb_cell_result r;
        double t0 = rb_bench_cpu_seconds();
        if (rb_scorer_cell(s, c, &r) != RB_OK) return -1.0;
        t[i] = rb_bench_cpu_seconds() - t0;
        rb_cell_result_free(&r);
        if (i == 0) reps = reps_after(t[0]);
    }
    return rb_bench_median(t, reps);
}

/* The cell type the scorer makes of a corruption (the rules of rb_score_chunk and rb_scorer_cell):
 * the names above. `make bench-grid` sorts the grid's cells with these lines, so its types follow the
 * code, not a list of names. */
static const char *cell_type_of(const rb_corruption *c) {
    const int visual = c->modality == RB_MOD_VISUAL;
    if (c->is_missing) return visual ? "missing_visual" : "missing_audio";
    if (rb_corrupt_row_linear(c)) return visual ? "visual_linear" : "audio_linear";
    if (!visual) return "audio";
    if (rb_corrupt_dim_sparse(c)) return "visual_sparse";
    return c->op == RB_CORRUPT_OP_NOISE ? "visual_noise" : "visual";
}

RB_BENCH(cell_types) {
    enum { DV = 1024, DA = 128, H1 = 512, H2 = 128, K = 8, C = 1 };
    const rb_fixture_spec spec = {40, 48, C, DV, DA, H1, H2, 1, K, 11};
    rb_dataset d;
    rb_model m;
    rb_corrupt_ctx ctx;
    rb_scorer *s = NULL, *s_products = NULL;
    if (rb_fixture_dataset(&spec, &d) != RB_OK || rb_fixture_model(&spec, &d, &m) != RB_OK ||
        rb_corrupt_ctx_init(&ctx, 11, 1, &m.stats[0], &m.stats[1]) != RB_OK ||
        make_scorer(&s, &m, &d.test, &ctx, 1) != RB_OK || make_scorer(&s_products, &m, &d.test, &ctx, 0) != RB_OK) {
        rb_bench_check("cell_types", 0, rb_error_message());
        return;
    }
    const int64_t S = d.test.n_snippets;
    enum { N = 9, SPARSE_DIMS = 615 /* ceil(0.6 x 1024): defocus_blur severity 3 */ };
    rb_modality_condition conds[N][2];
    memset(conds, 0, sizeof conds);
    rb_corrupt_lookup(RB_MOD_VISUAL, "jpeg", &conds[0][0].corruption);
    conds[0][0].severity = 3;
    rb_corrupt_lookup(RB_MOD_VISUAL, "gaussian_noise", &conds[1][0].corruption);
    conds[1][0].severity = 3;
    rb_corrupt_lookup(RB_MOD_VISUAL, "fog", &conds[2][0].corruption);
    conds[2][0].severity = 3;
    rb_corrupt_lookup(RB_MOD_AUDIO, "clipping", &conds[3][1].corruption);
    conds[3][1].severity = 3;
    rb_corrupt_lookup(RB_MOD_AUDIO, "reverb", &conds[4][1].corruption);
    conds[4][1].severity = 3;
    conds[5][0].missing = 1;
    conds[6][1].missing = 1;
    rb_corrupt_lookup(RB_MOD_VISUAL, "defocus_blur", &conds[7][0].corruption);
    conds[7][0].severity = 3;
    static const char *names[N] = {"visual",         "visual_noise",  "visual_linear", "audio", "audio_linear",
                                   "missing_visual", "missing_audio", "visual_sparse", "clean"};
    /* the floors, in the same run */
    const double l2 = time_products(S, H2, H1, 1, 0);
    const double gmm_v = time_products(S * C, K, 2 * DV, 1, 1);
    const double vis = C * (4 * time_products(S, H1, DV, 1, 0) + 4 * l2) + gmm_v;
    const double gmm_a = time_products(S, K, 2 * DA, 1, 1);
    const double l1a = time_products(S, H1, DA, 1, 0);
    const double aud = 4 * l1a + (3 + C) * l2 + gmm_a;
    const double sparse = C * (4 * time_products(S, H1, SPARSE_DIMS, 1, 0) + 4 * l2) + gmm_v;
    const double floor[N] = {vis, vis, C * 4 * l2 + gmm_v, aud, 3 * l1a + (3 + C) * l2 + gmm_a, l2, C * l2, sparse, 0.0};
    const double clean_pass_floor = vis + 4 * l1a + 3 * l2 + gmm_a;
    double t_pass[REPS];
    for (int i = 0; i < REPS; i++) {
        rb_scorer *again = NULL;
        const double t0 = rb_bench_cpu_seconds();
        const int rc = make_scorer(&again, &m, &d.test, &ctx, 1);
        t_pass[i] = rc == RB_OK ? rb_bench_cpu_seconds() - t0 : -1.0;
        rb_scorer_free(again);
    }
    const double clean_pass = rb_bench_median(t_pass, REPS);
    double t[N];
    for (int i = 0; i < N; i++) t[i] = time_cell(s, conds[i]);
    const double fixed = t[N - 1];
    for (int i = 0; i < N; i++)
        rb_bench_report("cell_types", "cell=%s snippets=%lld measured_s=%.4f floor_s=%.4f ratio=%.2f fixed_s=%.4f "
                        "ratio_fixed=%.2f",
                        names[i], (long long)S, t[i], floor[i], floor[i] > 0 ? t[i] / floor[i] : 0.0, fixed,
                        t[i] / (floor[i] + fixed));
    rb_bench_report("cell_types", "pass=clean snippets=%lld measured_s=%.4f floor_s=%.4f ratio=%.2f", (long long)S,
                    clean_pass, clean_pass_floor, clean_pass / clean_pass_floor);
    rb_bench_report("cell_types", "noise_overhead_of_visual_cell=%.2f", (t[1] - t[0]) / t[1]);
    const double fog_products = time_cell(s_products, conds[2]), reverb_products = time_cell(s_products, conds[4]);
    const double defocus_products = time_cell(s_products, conds[7]);
    rb_bench_report("cell_types", "linear_shortcut cell=fog with_s=%.4f without_s=%.4f speedup=%.2f", t[2], fog_products,
                    fog_products / t[2]);
    rb_bench_report("cell_types", "linear_shortcut cell=defocus_blur with_s=%.4f without_s=%.4f speedup=%.2f", t[7],
                    defocus_products, defocus_products / t[7]);
    rb_bench_report("cell_types", "linear_shortcut cell=reverb with_s=%.4f without_s=%.4f speedup=%.2f", t[4],
                    reverb_products, reverb_products / t[4]);
    int ok = fog_products > 0 && reverb_products > 0 && defocus_products > 0 && clean_pass > 0;
    for (int i = 0; i < N; i++) ok &= t[i] > 0 && floor[i] >= 0;
    rb_bench_check("cell_types", ok, "every cell type scored and every floor timed");
    for (int i = 0; i < rb_corrupt_count(); i++) {
        const rb_corruption *c = rb_corrupt_at(i);
        rb_bench_report("cell_types", "kind condition=%s.%s type=%s", c->modality == RB_MOD_VISUAL ? "visual" : "audio",
                        c->name, cell_type_of(c));
    }
    rb_scorer_free(s);
    rb_scorer_free(s_products);
    rb_corrupt_ctx_free(&ctx);
    rb_model_free(&m);
    rb_dataset_free(&d);
}

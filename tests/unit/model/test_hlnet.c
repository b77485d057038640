/* test_hlnet.c - the HL-Net architecture (model.arch = "hlnet"; src/model/graph.c, src/model/hlnet.c):
 * the three adjacency matrices against hand values, the similarity graph's backward against central
 * finite differences, the full HL-Net loss and gradient of every detector kind against central
 * finite differences (dropout on, projection through the graph included), scoring whole videos
 * (independent per video, dependent on temporal context), parameter layout, and the model file. */
#include "rb_core.h"
#include "rb_model.h"
#include "rb_test.h"
#include "model/hlnet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fill_normal(float *x, int64_t n, uint32_t id, double scale) {
    rb_rng r;
    rb_rng_init(&r, 23, RB_PURPOSE_TEST, id, 2, 0);
    for (int64_t i = 0; i < n; i++) x[i] = (float)(scale * rb_rng_normal(&r));
}

/* ---- adjacency matrices ---- */

RB_TEST(hlnet_distance_adjacency_hand_values) {
    float a[16];
    rb_graph_distance(4, a, 4);
    const double e = exp(1.0);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) RB_EXPECT_NEAR(a[i * 4 + j], exp(-fabs((double)(i - j)) / e), 1e-6);
    RB_EXPECT_NEAR(a[1], 0.6922006, 1e-6); /* exp(-1/e) */
    float b[3 * 5];                        /* embedded in a wider matrix: the same top-left block */
    rb_graph_distance(3, b, 5);
    RB_EXPECT_NEAR(b[5 + 2], a[4 + 2], 0);
}

RB_TEST(hlnet_similarity_adjacency_hand_values) {
    /* x0 = (1, 0), x1 = (1, 0.1), x2 = (0, 1): cos01 = 1/sqrt(1.01) = 0.995037 > 0.7 kept, cos02 = 0,
     * cos12 = 0.1/sqrt(1.01) = 0.0995 < 0.7 zeroed (weight exp(0) after the softmax). */
    float x[6] = {1, 0, 1, 0.1f, 0, 1}, cos[9], n[3], adj[9];
    double scratch[3];
    rb_graph_similarity(x, 2, 2, NULL, 0, 0, 3, cos, n, adj, scratch);
    double c01 = 1.0 / sqrt(1.01);
    RB_EXPECT_NEAR(cos[1], c01, 1e-6);
    RB_EXPECT_NEAR(cos[5], 0.1 / sqrt(1.01), 1e-6);
    RB_EXPECT_NEAR(n[1], sqrt(1.01), 1e-6);
    double z0 = exp(1.0) + exp(c01) + 1.0; /* row 0: t = (1, c01, 0) */
    RB_EXPECT_NEAR(adj[0], exp(1.0) / z0, 1e-6);
    RB_EXPECT_NEAR(adj[1], exp(c01) / z0, 1e-6);
    RB_EXPECT_NEAR(adj[2], 1.0 / z0, 1e-6);
    double z2 = 1.0 + 1.0 + exp(1.0); /* row 2: t = (0, 0, 1) */
    RB_EXPECT_NEAR(adj[8], exp(1.0) / z2, 1e-6);
    /* two column blocks (concat) equal one block of the joined rows */
    float xa[3] = {1, 1, 1}, xj[9] = {1, 0, 1, 1, 0.1f, 1, 0, 1, 1}, cos2[9], n2[3], adj2[9], cos3[9], n3[3], adj3[9];
    rb_graph_similarity(x, 2, 2, xa, 1, 1, 3, cos2, n2, adj2, scratch);
    rb_graph_similarity(xj, 3, 3, NULL, 0, 0, 3, cos3, n3, adj3, scratch);
    for (int i = 0; i < 9; i++) RB_EXPECT_NEAR(adj2[i], adj3[i], 1e-6);
    /* an all-zero row (a missing stream) gives cosine 0, not NaN */
    float xz[4] = {0, 0, 1, 2}, cz[4], nz[2], az[4];
    rb_graph_similarity(xz, 2, 2, NULL, 0, 0, 2, cz, nz, az, scratch);
    RB_EXPECT(cz[0] == 0.0f && cz[1] == 0.0f && isfinite(az[0]) && fabs(az[0] - 0.5) < 1e-7);
}

RB_TEST(hlnet_score_adjacency_hand_values) {
    float o[3] = {0, 0, 2}, adj[9];
    double scratch[3];
    rb_graph_score(o, 3, adj, scratch);
    /* s = (0.5, 0.5, sigmoid 2); a = 1 - |s_i - s_j|; row softmax of 1/(1+exp(-(a-0.5)/0.1)) */
    double s2 = 1.0 / (1.0 + exp(-2.0)), f1 = 1.0 / (1.0 + exp(-5.0)),
           f2 = 1.0 / (1.0 + exp(-(1.0 - (s2 - 0.5) - 0.5) / 0.1));
    double z = 2 * exp(f1) + exp(f2);
    RB_EXPECT_NEAR(adj[0], exp(f1) / z, 1e-6);
    RB_EXPECT_NEAR(adj[2], exp(f2) / z, 1e-6);
    for (int i = 0; i < 3; i++) RB_EXPECT_NEAR(adj[i * 3] + adj[i * 3 + 1] + adj[i * 3 + 2], 1.0, 1e-6);
}

/* L = sum c .* adj(x): the similarity backward against central differences (double objective). */
static double sim_objective(const float *x, int T, int d, const float *c) {
    float cos[64], n[8], adj[64];
    double scratch[8], s = 0;
    rb_graph_similarity(x, d, d, NULL, 0, 0, T, cos, n, adj, scratch);
    for (int i = 0; i < T * T; i++) s += (double)c[i] * adj[i];
    return s;
}

RB_TEST(hlnet_similarity_backward_matches_finite_differences) {
    enum { T = 6, D = 3 };
    float x[T * D], c[T * T], cos[T * T], n[T], adj[T * T], dadj[T * T], dx[T * D];
    double scratch[T];
    fill_normal(x, T * D, 1, 1.0);
    for (int i = 0; i < T; i++) x[i * D] += 2.0f; /* a common direction: several cosines above 0.7 */
    fill_normal(c, T * T, 2, 1.0);
    rb_graph_similarity(x, D, D, NULL, 0, 0, T, cos, n, adj, scratch);
    int above = 0, near = 0;
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++)
            if (i != j) {
                above += cos[i * T + j] > RB_GRAPH_SIM_THRESHOLD;
                near += fabs(cos[i * T + j] - RB_GRAPH_SIM_THRESHOLD) < 0.005;
            }
    RB_EXPECT_MSG(above >= 6 && near == 0, "%d cosines above the threshold, %d near it", above, near);
    memcpy(dadj, c, sizeof c);
    memset(dx, 0, sizeof dx);
    rb_graph_similarity_backward(x, D, D, T, cos, n, adj, dadj, dx, D, scratch);
    const float h = 1e-3f;
    int nonzero = 0;
    for (int i = 0; i < T * D; i++) {
        float keep = x[i];
        x[i] = keep + h;
        double up = sim_objective(x, T, D, c);
        x[i] = keep - h;
        double dn = sim_objective(x, T, D, c);
        x[i] = keep;
        double num = (up - dn) / (2.0 * h);
        nonzero += fabs(dx[i]) > 1e-5;
        RB_EXPECT_MSG(fabs(dx[i] - num) <= 2e-4 + 1e-2 * fabs(num), "x[%d]: analytic %g, central %g", i, dx[i], num);
    }
    RB_EXPECT_MSG(nonzero > T * D / 2, "%d of %d gradients nonzero", nonzero, T * D);
}

/* ---- the full HL-Net loss and gradient ---- */

enum { GV = 6, GA = 3, GH1 = 5, GH2 = 4, GROWS = 25 };

typedef struct {
    float xv[GROWS * GV], xa[GROWS * GA];
    int64_t start[3];
    int32_t len[3];
    float labels[3];
    uint32_t ids[3];
    rb_det_batch b;
} grad_batch;

/* Three bags of 5, 17 (k = 2) and 3 snippets. Shared kinds: bags 0 and 2 visual, bag 1 audio. The
 * audio rows share a direction, so the projected audio has cosines above the threshold. */
static void make_grad_batch(grad_batch *g, rb_detector_kind kind) {
    fill_normal(g->xv, GROWS * GV, 31, 1.0);
    fill_normal(g->xa, GROWS * GA, 32, 0.5);
    for (int i = 0; i < GROWS; i++) g->xa[i * GA] += 1.0f;
    int32_t len[3] = {5, 17, 3};
    float lab[3] = {1, 0, 1};
    memcpy(g->len, len, sizeof len);
    memcpy(g->labels, lab, sizeof lab);
    for (int i = 0; i < 3; i++) g->ids[i] = 100 + (uint32_t)i;
    memset(&g->b, 0, sizeof g->b);
    g->b = (rb_det_batch){.n_bags = 3, .start = g->start, .len = g->len, .labels = g->labels, .dropout_on = 1,
                          .seed = 4, .replica = 1, .epoch = 2, .bag_id = g->ids};
    if (kind == RB_DET_SHARED || kind == RB_DET_SHARED_PAD) {
        g->start[0] = 0;
        g->start[2] = 5;
        g->start[1] = 8;
        g->b.xv = g->xv;
        g->b.rows_v = 8;
        g->b.xa = g->xa;
        g->b.rows_a = 17;
    } else {
        g->start[0] = 0;
        g->start[1] = 5;
        g->start[2] = 22;
        if (kind != RB_DET_AUDIO) { g->b.xv = g->xv; g->b.rows_v = GROWS; }
        if (kind != RB_DET_VISUAL) { g->b.xa = g->xa; g->b.rows_a = GROWS; }
    }
}

static void check_hlnet_gradient(rb_detector_kind kind, float dropout) {
    rb_detector d;
    RB_EXPECT_OK(rb_detector_init_arch(&d, RB_ARCH_HLNET, kind, GV, GA, GH1, GH2, dropout, 8, 0));
    grad_batch g;
    make_grad_batch(&g, kind);
    rb_det_work w;
    RB_EXPECT_OK(rb_det_work_alloc(&w, &d, GROWS));
    float *grad = calloc((size_t)d.n_params, sizeof(float));
    double loss, up, dn, terms[3];
    RB_EXPECT_OK(rb_detector_loss_grad(&d, &g.b, &w, &loss, grad));
    rb_hlnet_loss_terms(&w, terms);
    RB_EXPECT(isfinite(loss) && terms[0] > 0 && terms[1] > 0 && terms[2] > 0);
    RB_EXPECT_NEAR(loss, terms[0] + terms[1] + 5.0 * terms[2], 1e-12);
    /* the gradient is that of the loss with the detached quantities held fixed (as autograd does) */
    RB_EXPECT_OK(rb_hlnet_freeze(&w, GROWS, 1));
    /* central differences in float32 (h = 1e-3); a ReLU kink, top-k switch or threshold crossing
     * within h of the point must match a one-sided difference and stay rare */
    const float h = 1e-3f;
    int bad = 0, nonzero = 0, kinks = 0;
    for (int64_t i = 0; i < d.n_params; i++) {
        float keep = d.params[i];
        d.params[i] = keep + h;
        RB_EXPECT_OK(rb_detector_loss_grad(&d, &g.b, &w, &up, NULL));
        d.params[i] = keep - h;
        RB_EXPECT_OK(rb_detector_loss_grad(&d, &g.b, &w, &dn, NULL));
        d.params[i] = keep;
        double num = (up - dn) / (2.0 * h), an = grad[i];
        nonzero += an != 0.0;
        if (fabs(an - num) <= 3e-4 + 2e-2 * fmax(fabs(an), fabs(num))) continue;
        double fwd = (up - loss) / h, bwd = (loss - dn) / h;
        if (fabs(an - fwd) <= 6e-4 + 5e-2 * fabs(an) || fabs(an - bwd) <= 6e-4 + 5e-2 * fabs(an)) {
            kinks++;
            continue;
        }
        if (bad++ < 5)
            rb_test_fail(__FILE__, __LINE__, "hlnet %s dropout %g: parameter %lld: analytic %g, central %g, "
                         "forward %g, backward %g", rb_detector_kind_name(kind), (double)dropout, (long long)i, an,
                         num, fwd, bwd);
    }
    RB_EXPECT_INT(bad, 0);
    RB_EXPECT_MSG(kinks <= d.n_params / 50, "hlnet %s: %d parameters near a kink", rb_detector_kind_name(kind), kinks);
    RB_EXPECT(nonzero > d.n_params / 2);
    RB_EXPECT_OK(rb_hlnet_freeze(&w, GROWS, 0));
    free(grad);
    rb_det_work_free(&w);
    rb_detector_free(&d);
}

RB_TEST(hlnet_gradient_concat) { check_hlnet_gradient(RB_DET_CONCAT, 0.0f); check_hlnet_gradient(RB_DET_CONCAT, 0.3f); }
RB_TEST(hlnet_gradient_visual) { check_hlnet_gradient(RB_DET_VISUAL, 0.3f); }
RB_TEST(hlnet_gradient_audio) { check_hlnet_gradient(RB_DET_AUDIO, 0.3f); }
RB_TEST(hlnet_gradient_shared_projection_through_graph) { check_hlnet_gradient(RB_DET_SHARED, 0.0f); check_hlnet_gradient(RB_DET_SHARED, 0.3f); }
RB_TEST(hlnet_gradient_shared_pad) { check_hlnet_gradient(RB_DET_SHARED_PAD, 0.3f); }

/* ---- layout, scoring, file ---- */

RB_TEST(hlnet_param_views_cover_the_buffer) {
    rb_detector d;
    RB_EXPECT_OK(rb_detector_init_arch(&d, RB_ARCH_HLNET, RB_DET_SHARED, 10, 4, 7, 5, 0.5f, 1, 0));
    rb_param_view v[RB_DETECTOR_MAX_PARAMS];
    int n = 0;
    RB_EXPECT_OK(rb_detector_params(&d, v, &n));
    RB_EXPECT_INT(n, 6 + 12); /* proj, l1, l2 (no l3) and the twelve head blocks */
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        RB_EXPECT(v[i].data == d.params + total);
        total += v[i].rows * v[i].cols;
    }
    RB_EXPECT_INT(total, d.n_params);
    RB_EXPECT(strcmp(v[6].name, "hl.gc_in.w") == 0 && v[6].rows == 5 && v[6].cols == 96);
    RB_EXPECT(strcmp(v[7].name, "hl.res.w") == 0 && v[7].rows == 25 && v[7].cols == 96);
    RB_EXPECT(strcmp(v[17].name, "hl.onc.b") == 0);
    /* the online branch (on1.w .. onc.b) is the slow tail: 5*64+64 + 64*32+32 + 160+1 */
    RB_EXPECT_INT(d.n_params_slow, 5 * 64 + 64 + 64 * 32 + 32 + 160 + 1);
    /* Xavier bound of the residual convolution: fans 5*5 and 32*5 */
    double bound = sqrt(6.0 / (25 + 160)), mx = 0;
    for (int64_t i = 0; i < v[7].rows * v[7].cols; i++) mx = fmax(mx, fabs(v[7].data[i]));
    RB_EXPECT(mx <= bound && mx > 0.5 * bound);
    /* the trunk starts from the same weights as the mlp detector of the same seed */
    rb_detector m;
    RB_EXPECT_OK(rb_detector_init(&m, RB_DET_SHARED, 10, 4, 7, 5, 0.5f, 1, 0));
    RB_EXPECT(memcmp(m.params, d.params, sizeof(float) * (size_t)(m.l3.w - m.params)) == 0);
    rb_detector_arch a;
    RB_EXPECT_OK(rb_detector_arch_parse("hlnet", &a));
    RB_EXPECT_INT(a, RB_ARCH_HLNET);
    RB_EXPECT_ERR(rb_detector_arch_parse("gcn", &a), "mlp or hlnet");
    rb_detector_free(&m);
    rb_detector_free(&d);
}

RB_TEST(hlnet_scores_whole_videos) {
    enum { N = 40 };
    rb_detector d;
    RB_EXPECT_OK(rb_detector_init_arch(&d, RB_ARCH_HLNET, RB_DET_VISUAL, GV, GA, GH1, GH2, 0.5f, 3, 0));
    float x[N * GV], s_two[N], s_a[N], s_b[N], s_prefix[N];
    fill_normal(x, N * GV, 61, 1.0);
    int64_t two[3] = {0, 15, N}, one_a[2] = {0, 15}, one_b[2] = {15, N}, prefix[2] = {15, 25};
    RB_EXPECT_OK(rb_detector_score_videos(&d, RB_INPUT_VISUAL, x, GV, two, 2, s_two));
    RB_EXPECT_OK(rb_detector_score_videos(&d, RB_INPUT_VISUAL, x, GV, one_a, 1, s_a));
    RB_EXPECT_OK(rb_detector_score_videos(&d, RB_INPUT_VISUAL, x + 15 * GV, GV, one_b, 1, s_b));
    /* videos are independent graphs: scoring them together or alone gives the same bits */
    RB_EXPECT(memcmp(s_two, s_a, sizeof(float) * 15) == 0);
    RB_EXPECT(memcmp(s_two + 15, s_b, sizeof(float) * (N - 15)) == 0);
    /* temporal context matters: the first 10 snippets of the second video scored alone differ */
    RB_EXPECT_OK(rb_detector_score_videos(&d, RB_INPUT_VISUAL, x + 15 * GV, GV, prefix, 1, s_prefix));
    double diff = 0;
    for (int i = 0; i < 10; i++) diff = fmax(diff, fabs(s_prefix[i] - s_b[i]));
    RB_EXPECT(diff > 1e-6);
    for (int i = 0; i < N; i++) RB_EXPECT(s_two[i] > 0.0f && s_two[i] < 1.0f);
    /* eval scores are the sigmoid of the forward pass's offline logits for one bag */
    rb_det_work w;
    RB_EXPECT_OK(rb_det_work_alloc(&w, &d, N));
    int64_t st = 0;
    int32_t len = 15;
    rb_det_batch b = {.xv = x, .rows_v = 15, .n_bags = 1, .start = &st, .len = &len};
    RB_EXPECT_OK(rb_detector_loss_grad(&d, &b, &w, NULL, NULL));
    for (int i = 0; i < 15; i++) RB_EXPECT(s_a[i] == (float)rb_nn_sigmoid(w.z3[i]));
    rb_det_work_free(&w);
    /* the per-row entry point refuses an hlnet detector */
    RB_EXPECT_ERR(rb_detector_score(&d, RB_INPUT_VISUAL, x, N, GV, s_a), "whole videos");
    rb_detector_free(&d);
}

RB_TEST(hlnet_concat_and_shared_audio_score_videos) {
    enum { N = 12 };
    float xv[N * 2 * GV], xa[N * GA], s1[N], s2[N];
    fill_normal(xv, N * 2 * GV, 71, 1.0);
    fill_normal(xa, N * GA, 72, 1.0);
    int64_t offs[3] = {0, 5, N};
    rb_detector c, sh;
    RB_EXPECT_OK(rb_detector_init_arch(&c, RB_ARCH_HLNET, RB_DET_CONCAT, GV, GA, GH1, GH2, 0.5f, 3, 0));
    RB_EXPECT_OK(rb_detector_init_arch(&sh, RB_ARCH_HLNET, RB_DET_SHARED, GV, GA, GH1, GH2, 0.5f, 3, 0));
    /* the second crop of a [snippet][2][GV] block through the leading dimension = a packed copy */
    float packed[N * GV];
    for (int i = 0; i < N; i++) memcpy(packed + i * GV, xv + (i * 2 + 1) * GV, sizeof(float) * GV);
    RB_EXPECT_OK(rb_detector_score_concat_videos(&c, xv + GV, 2 * GV, xa, GA, offs, 2, s1));
    RB_EXPECT_OK(rb_detector_score_concat_videos(&c, packed, GV, xa, GA, offs, 2, s2));
    RB_EXPECT(memcmp(s1, s2, sizeof s1) == 0);
    /* shared audio = the projected audio scored as visual input */
    float proj[N * GV];
    rb_dense_forward(&sh.proj, xa, N, GA, proj);
    RB_EXPECT_OK(rb_detector_score_videos(&sh, RB_INPUT_AUDIO, xa, GA, offs, 2, s1));
    RB_EXPECT_OK(rb_detector_score_videos(&sh, RB_INPUT_VISUAL, proj, GV, offs, 2, s2));
    for (int i = 0; i < N; i++) RB_EXPECT_NEAR(s1[i], s2[i], 1e-6);
    rb_detector_free(&c);
    rb_detector_free(&sh);
}

/* ---- one training step for the independent PyTorch check (tests/hlnet_check.py step) ---- */

static void dump_floats(FILE *f, const char *tag, const char *name, int64_t rows, int64_t cols, const float *x) {
    fprintf(f, "%s %s %lld %lld", tag, name, (long long)rows, (long long)cols);
    for (int64_t i = 0; i < rows * cols; i++) fprintf(f, " %.9g", (double)x[i]);
    fputc('\n', f);
}

/* One step (dropout off: PyTorch cannot draw our masks) of every detector kind (concat, visual, audio,
 * shared, shared-pad) on the gradient-check batch: its loss terms and gradients, deterministic (two
 * passes give the same bits). With RB_HLNET_STEP_DUMP=<path> the inputs, weights, loss and gradients
 * are written there as text for tests/hlnet_check.py, which fails unless it finds all five kinds. */
RB_TEST(hlnet_step_for_pytorch_check) {
    const char *path = getenv("RB_HLNET_STEP_DUMP");
    FILE *f = path ? fopen(path, "w") : NULL;
    RB_EXPECT(!path || f);
    for (int k = 0; k < RB_DET_N_KINDS; k++) {
        const rb_detector_kind kind = (rb_detector_kind)k;
        rb_detector d;
        RB_EXPECT_OK(rb_detector_init_arch(&d, RB_ARCH_HLNET, kind, GV, GA, GH1, GH2, 0.0f, 11, 0));
        grad_batch g;
        make_grad_batch(&g, kind);
        g.b.dropout_on = 0;
        rb_det_work w;
        RB_EXPECT_OK(rb_det_work_alloc(&w, &d, GROWS));
        float *grad = calloc((size_t)d.n_params, sizeof(float)), *grad2 = calloc((size_t)d.n_params, sizeof(float));
        double loss, loss2, terms[3];
        RB_EXPECT_OK(rb_detector_loss_grad(&d, &g.b, &w, &loss, grad));
        rb_hlnet_loss_terms(&w, terms);
        RB_EXPECT_OK(rb_detector_loss_grad(&d, &g.b, &w, &loss2, grad2));
        RB_EXPECT(loss == loss2 && memcmp(grad, grad2, sizeof(float) * (size_t)d.n_params) == 0);
        RB_EXPECT(isfinite(loss) && fabs(loss - (terms[0] + terms[1] + 5 * terms[2])) < 1e-12);
        if (f) {
            fprintf(f, "case %s %d %d %d %d %d %lld %lld\n", rb_detector_kind_name(kind), GV, GA, GH1, GH2, g.b.n_bags,
                    (long long)g.b.rows_v, (long long)g.b.rows_a);
            for (int i = 0; i < g.b.n_bags; i++)
                fprintf(f, "bag %lld %d %g\n", (long long)g.b.start[i], g.b.len[i], (double)g.b.labels[i]);
            if (g.b.xv) dump_floats(f, "input", "xv", g.b.rows_v, GV, g.b.xv);
            if (g.b.xa) dump_floats(f, "input", "xa", g.b.rows_a, GA, g.b.xa);
            rb_param_view v[RB_DETECTOR_MAX_PARAMS];
            int n = 0;
            RB_EXPECT_OK(rb_detector_params(&d, v, &n));
            for (int i = 0; i < n; i++) dump_floats(f, "param", v[i].name, v[i].rows, v[i].cols, v[i].data);
            fprintf(f, "loss %.17g %.17g %.17g %.17g\n", loss, terms[0], terms[1], terms[2]);
            for (int i = 0; i < n; i++)
                dump_floats(f, "grad", v[i].name, v[i].rows, v[i].cols, grad + (v[i].data - d.params));
        }
        free(grad);
        free(grad2);
        rb_det_work_free(&w);
        rb_detector_free(&d);
    }
    if (f) fclose(f);
}

/* test_train.c - detectors and their training (rb_model.h): parameter layout, the full
 * batched forward/backward of every variant (trunk, projection, padding, dropout with fixed masks,
 * MIL) against central finite differences, scoring paths that must agree, dropout keyed by bag,
 * resampling positions, bitwise determinism, and learning a small synthetic MIL problem. */
#include "rb_core.h"
#include "rb_data.h"
#include "rb_model.h"
#include "rb_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void fill_normal(float *x, int64_t n, uint32_t id, double scale) {
    rb_rng r;
    rb_rng_init(&r, 17, RB_PURPOSE_TEST, id, 1, 0);
    for (int64_t i = 0; i < n; i++) x[i] = (float)(scale * rb_rng_normal(&r));
}

/* ---- layout and initialisation ---- */

RB_TEST(detector_param_views_cover_the_buffer) {
    for (int k = 0; k < RB_DET_N_KINDS; k++) {
        rb_detector d;
        RB_EXPECT_OK(rb_detector_init(&d, (rb_detector_kind)k, 10, 4, 7, 5, 0.5f, 1, 0));
        rb_param_view v[RB_DETECTOR_MAX_PARAMS];
        int n = 0;
        RB_EXPECT_OK(rb_detector_params(&d, v, &n));
        RB_EXPECT_INT(n, k == RB_DET_SHARED ? 8 : 6);
        int64_t total = 0;
        for (int i = 0; i < n; i++) {
            RB_EXPECT(v[i].data == d.params + total); /* contiguous, in buffer order */
            total += v[i].rows * v[i].cols;
        }
        RB_EXPECT_INT(total, d.n_params);
        int din = k == RB_DET_CONCAT ? 14 : k == RB_DET_AUDIO ? 4 : 10;
        const rb_param_view *l1w = &v[n - 6];
        RB_EXPECT(strcmp(l1w->name, "l1.w") == 0);
        RB_EXPECT_INT(l1w->rows, din);
        RB_EXPECT_INT(l1w->cols, 7);
        RB_EXPECT(strcmp(v[n - 1].name, "l3.b") == 0 && v[n - 1].cols == 1);
        if (k == RB_DET_SHARED) RB_EXPECT(strcmp(v[0].name, "proj.w") == 0 && v[0].rows == 4 && v[0].cols == 10);
        /* Xavier bound of l1.w */
        double bound = sqrt(6.0 / (din + 7)), mx = 0;
        for (int64_t i = 0; i < l1w->rows * l1w->cols; i++) mx = fmax(mx, fabs(l1w->data[i]));
        RB_EXPECT(mx <= bound && mx > 0.5 * bound);
        rb_detector c;
        RB_EXPECT_OK(rb_detector_copy(&c, &d));
        RB_EXPECT(c.params != d.params && memcmp(c.params, d.params, sizeof(float) * (size_t)d.n_params) == 0);
        RB_EXPECT(c.l1.w == c.params + (d.l1.w - d.params));
        rb_detector_free(&c);
        rb_detector_free(&d);
    }
    rb_detector d;
    RB_EXPECT_ERR(rb_detector_init(&d, RB_DET_SHARED_PAD, 4, 10, 3, 3, 0.1f, 0, 0), "zero-padded");
    RB_EXPECT_ERR(rb_detector_init(&d, RB_DET_VISUAL, 4, 2, 3, 3, 1.0f, 0, 0), "dropout");
    rb_detector_kind kk;
    RB_EXPECT_OK(rb_detector_kind_parse("shared-pad", &kk));
    RB_EXPECT_INT(kk, RB_DET_SHARED_PAD);
    RB_EXPECT_ERR(rb_detector_kind_parse("late", &kk), "shared-pad");
}

/* ---- gradient checks of the full training pass ---- */

enum { GV = 6, GA = 3, GH1 = 5, GH2 = 4, GROWS = 25 };

typedef struct {
    float xv[GROWS * GV], xa[GROWS * GA];
    int64_t start[3];
    int32_t len[3];
    float labels[3];
    uint32_t ids[3];
    rb_det_batch b;
} grad_batch;

/* Three bags of 5, 17 (k = 2) and 3 snippets. Shared kinds: bags 0 and 2 visual, bag 1 audio. */
static void make_grad_batch(grad_batch *g, rb_detector_kind kind) {
    fill_normal(g->xv, GROWS * GV, 31, 1.0);
    fill_normal(g->xa, GROWS * GA, 32, 1.0);
    int32_t len[3] = {5, 17, 3};
    float lab[3] = {1, 0, 1};
    memcpy(g->len, len, sizeof len);
    memcpy(g->labels, lab, sizeof lab);
    for (int i = 0; i < 3; i++) g->ids[i] = 100 + (uint32_t)i;
    memset(&g->b, 0, sizeof g->b);
    g->b.n_bags = 3;
    g->b.start = g->start;
    g->b.len = g->len;
    g->b.labels = g->labels;
    g->b.dropout_on = 1;
    g->b.seed = 4;
    g->b.replica = 1;
    g->b.epoch = 2;
    g->b.bag_id = g->ids;
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

static void check_full_gradient_fold(rb_detector_kind kind, float dropout, int audio_fold) {
    rb_detector d;
    RB_EXPECT_OK(rb_detector_init(&d, kind, GV, GA, GH1, GH2, dropout, 8, 0));
    grad_batch g;
    make_grad_batch(&g, kind);
    g.b.audio_fold = audio_fold;
    rb_det_work w;
    RB_EXPECT_OK(rb_det_work_alloc(&w, &d, GROWS));
    float *grad = calloc((size_t)d.n_params, sizeof(float));
    double loss, up, dn;
    RB_EXPECT_OK(rb_detector_loss_grad(&d, &g.b, &w, &loss, grad));
    RB_EXPECT(isfinite(loss) && loss > 0);
    /* Central differences; where they disagree, a ReLU kink or a top-k switch may lie within h of
     * the point: the analytic value must then match one of the one-sided differences (the side
     * without the kink), and such parameters must stay rare. */
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
        if (fabs(an - num) <= 2e-4 + 2e-2 * fmax(fabs(an), fabs(num))) continue;
        double fwd = (up - loss) / h, bwd = (loss - dn) / h;
        if (fabs(an - fwd) <= 5e-4 + 5e-2 * fabs(an) || fabs(an - bwd) <= 5e-4 + 5e-2 * fabs(an)) {
            kinks++;
            continue;
        }
        if (bad++ < 5)
            rb_test_fail(__FILE__, __LINE__, "%s dropout %g: parameter %lld: analytic %g, central %g, "
                         "forward %g, backward %g", rb_detector_kind_name(kind), (double)dropout,
                         (long long)i, an, num, fwd, bwd);
    }
    RB_EXPECT_INT(bad, 0);
    RB_EXPECT_MSG(kinks <= 2, "%s: %d parameters near a kink", rb_detector_kind_name(kind), kinks);
    RB_EXPECT(nonzero > d.n_params / 2); /* the check is not vacuous */
    free(grad);
    rb_det_work_free(&w);
    rb_detector_free(&d);
}

static void check_full_gradient(rb_detector_kind kind, float dropout) { check_full_gradient_fold(kind, dropout, 0); }

RB_TEST(detector_gradient_concat) { check_full_gradient(RB_DET_CONCAT, 0.0f); check_full_gradient(RB_DET_CONCAT, 0.3f); }
RB_TEST(detector_gradient_visual) { check_full_gradient(RB_DET_VISUAL, 0.3f); }
RB_TEST(detector_gradient_audio) { check_full_gradient(RB_DET_AUDIO, 0.3f); }
RB_TEST(detector_gradient_shared_projection) { check_full_gradient(RB_DET_SHARED, 0.0f); check_full_gradient(RB_DET_SHARED, 0.3f); }
/* The mlp shared detector's audio rows with and without the fold (xa P + p) W1 = xa (P W1) + p W1,
 * each against finite differences, and the two losses and gradients equal up to float rounding. */
RB_TEST(detector_gradient_shared_folded_and_unfolded) {
    check_full_gradient_fold(RB_DET_SHARED, 0.3f, 1);
    check_full_gradient_fold(RB_DET_SHARED, 0.3f, -1);
    rb_detector d;
    RB_EXPECT_OK(rb_detector_init(&d, RB_DET_SHARED, GV, GA, GH1, GH2, 0.3f, 8, 0));
    grad_batch g;
    make_grad_batch(&g, RB_DET_SHARED);
    rb_det_work w;
    RB_EXPECT_OK(rb_det_work_alloc(&w, &d, GROWS));
    float *ga = calloc((size_t)d.n_params, sizeof(float)), *gb = calloc((size_t)d.n_params, sizeof(float));
    double la = 0, lb = 0;
    g.b.audio_fold = 1;
    RB_EXPECT_OK(rb_detector_loss_grad(&d, &g.b, &w, &la, ga));
    g.b.audio_fold = -1;
    RB_EXPECT_OK(rb_detector_loss_grad(&d, &g.b, &w, &lb, gb));
    double worst = 0;
    for (int64_t i = 0; i < d.n_params; i++) worst = fmax(worst, fabs((double)ga[i] - gb[i]) / fmax(1.0, fabs((double)gb[i])));
    RB_EXPECT_NEAR(la, lb, 1e-5 * fabs(lb));
    RB_EXPECT_MSG(worst < 1e-5, "folded and unfolded gradients differ by %g", worst);
    RB_EXPECT(rb_detector_fold_pays(&d, 100) && !rb_detector_fold_pays(&d, 1)); /* 6 x 3 x 5 widths: > 2 rows */
    free(ga);
    free(gb);
    rb_det_work_free(&w);
    rb_detector_free(&d);
}
RB_TEST(detector_gradient_shared_pad) { check_full_gradient(RB_DET_SHARED_PAD, 0.3f); }

/* Two bags A (5 rows, id 7) and B (17 rows, id 9) give the same loss and gradient (up to summation
 * order) when B's rows come first and B is also bag 0 of the batch: dropout masks follow the bag's
 * id, not its row position or its index in the batch; another epoch draws other masks. For an hlnet
 * detector this covers the graph layers' dropout too. Leaves d's work space in *w for more checks. */
static void check_dropout_keyed_by_bag(const rb_detector *d, rb_det_work *w, float *x, double *loss_out) {
    float xs[22 * GV];
    fill_normal(x, 22 * GV, 41, 1.0);
    memcpy(xs, x + 5 * GV, sizeof(float) * 17 * GV); /* bag B first */
    memcpy(xs + 17 * GV, x, sizeof(float) * 5 * GV);  /* then bag A */
    int64_t s1[2] = {0, 5}, s2[2] = {0, 17};
    int32_t l1[2] = {5, 17}, l2[2] = {17, 5};
    float lab1[2] = {1, 0}, lab2[2] = {0, 1};
    uint32_t ids1[2] = {7, 9}, ids2[2] = {9, 7};
    rb_det_batch b1 = {.xv = x, .rows_v = 22, .n_bags = 2, .start = s1, .len = l1, .labels = lab1,
                       .dropout_on = 1, .seed = 1, .replica = 0, .epoch = 3, .bag_id = ids1};
    rb_det_batch b2 = {.xv = xs, .rows_v = 22, .n_bags = 2, .start = s2, .len = l2, .labels = lab2,
                       .dropout_on = 1, .seed = 1, .replica = 0, .epoch = 3, .bag_id = ids2};
    RB_EXPECT_OK(rb_det_work_alloc(w, d, 22));
    float *g1 = calloc((size_t)d->n_params, sizeof(float)), *g2 = calloc((size_t)d->n_params, sizeof(float));
    double loss1 = 0, loss2 = 1, loss3 = 0;
    RB_EXPECT_OK(rb_detector_loss_grad(d, &b1, w, &loss1, g1));
    RB_EXPECT_OK(rb_detector_loss_grad(d, &b2, w, &loss2, g2));
    RB_EXPECT_NEAR(loss1, loss2, 1e-6);
    double maxdiff = 0;
    for (int64_t i = 0; i < d->n_params; i++) maxdiff = fmax(maxdiff, fabs(g1[i] - g2[i]));
    RB_EXPECT_MSG(maxdiff < 1e-5, "%s: gradients differ by %g", rb_detector_arch_name(d->arch), maxdiff);
    b1.epoch = 4; /* another epoch draws other masks */
    RB_EXPECT_OK(rb_detector_loss_grad(d, &b1, w, &loss3, NULL));
    RB_EXPECT(fabs(loss3 - loss1) > 1e-6);
    *loss_out = loss1;
    free(g1);
    free(g2);
}

RB_TEST(detector_dropout_keyed_by_bag_not_position) {
    rb_detector d;
    RB_EXPECT_OK(rb_detector_init(&d, RB_DET_VISUAL, GV, GA, GH1, GH2, 0.5f, 3, 0));
    float x[22 * GV], *g = calloc((size_t)d.n_params, sizeof(float));
    rb_det_work w;
    double loss;
    check_dropout_keyed_by_bag(&d, &w, x, &loss);
    int64_t s_bad[2] = {0, 10}; /* bag B would run past the last row */
    rb_det_batch b3 = {.xv = x, .rows_v = 22, .n_bags = 2, .start = s_bad, .len = (int32_t[]){5, 17},
                       .labels = (float[]){1, 0}, .dropout_on = 1, .seed = 1, .epoch = 3,
                       .bag_id = (uint32_t[]){7, 9}};
    RB_EXPECT_ERR(rb_detector_loss_grad(&d, &b3, &w, &loss, g), "lies outside");
    int64_t s_ovl[2] = {0, 3};
    int32_t l_ovl[2] = {5, 2};
    b3.start = s_ovl;
    b3.len = l_ovl;
    RB_EXPECT_ERR(rb_detector_loss_grad(&d, &b3, &w, &loss, g), "overlap");
    free(g);
    rb_det_work_free(&w);
    rb_detector_free(&d);
}

RB_TEST(detector_dropout_keyed_by_bag_not_position_hlnet) {
    rb_detector d;
    RB_EXPECT_OK(rb_detector_init_arch(&d, RB_ARCH_HLNET, RB_DET_VISUAL, GV, GA, GH1, GH2, 0.5f, 3, 0));
    float x[22 * GV];
    rb_det_work w;
    double loss;
    check_dropout_keyed_by_bag(&d, &w, x, &loss);
    rb_det_work_free(&w);
    rb_detector_free(&d);
}

/* ---- scoring paths ---- */

RB_TEST(detector_scoring_paths_agree) {
    enum { N = 9 };
    float xv[N * 2 * GV], xa[N * GA], s1[N], s2[N], s3[N], pre_v[N * GH1], pre_a[N * GH1];
    fill_normal(xv, N * 2 * GV, 51, 1.0);
    fill_normal(xa, N * GA, 52, 1.0);
    const float *crop1 = xv + GV; /* crop 1 of a [N][2][GV] block */
    float c1[N * GV];
    for (int i = 0; i < N; i++) memcpy(c1 + i * GV, crop1 + i * 2 * GV, sizeof(float) * GV);
    int64_t st[1] = {0};
    int32_t ln[1] = {N};
    float lab[1] = {1};
    double loss;

    /* concat: two-pointer scoring == partials == training pass in eval mode */
    rb_detector d;
    RB_EXPECT_OK(rb_detector_init(&d, RB_DET_CONCAT, GV, GA, GH1, GH2, 0.6f, 2, 0));
    RB_EXPECT_OK(rb_detector_score_concat(&d, crop1, 2 * GV, xa, GA, N, s1));
    RB_EXPECT_OK(rb_detector_concat_partial(&d, RB_INPUT_VISUAL, crop1, N, 2 * GV, pre_v));
    RB_EXPECT_OK(rb_detector_concat_partial(&d, RB_INPUT_AUDIO, xa, N, GA, pre_a));
    RB_EXPECT_OK(rb_detector_score_partials(&d, pre_v, pre_a, N, s2));
    rb_det_work w;
    RB_EXPECT_OK(rb_det_work_alloc(&w, &d, N));
    rb_det_batch b = {.xv = c1, .rows_v = N, .xa = xa, .rows_a = N, .n_bags = 1, .start = st, .len = ln,
                      .labels = lab, .dropout_on = 0};
    RB_EXPECT_OK(rb_detector_loss_grad(&d, &b, &w, &loss, NULL));
    for (int i = 0; i < N; i++) {
        RB_EXPECT_NEAR(s1[i], s2[i], 1e-6);
        RB_EXPECT_NEAR(s1[i], rb_nn_sigmoid(w.z3[i]), 1e-6);
        RB_EXPECT(s1[i] > 0 && s1[i] < 1);
    }
    RB_EXPECT_ERR(rb_detector_score(&d, RB_INPUT_VISUAL, crop1, N, 2 * GV, s3), "score_concat");
    rb_det_work_free(&w);
    rb_detector_free(&d);

    /* shared: audio score == visual-path score of the projected rows */
    RB_EXPECT_OK(rb_detector_init(&d, RB_DET_SHARED, GV, GA, GH1, GH2, 0.6f, 2, 0));
    float proj[N * GV];
    rb_dense_forward(&d.proj, xa, N, GA, proj);
    RB_EXPECT_OK(rb_detector_score(&d, RB_INPUT_AUDIO, xa, N, GA, s1));
    RB_EXPECT_OK(rb_detector_score(&d, RB_INPUT_VISUAL, proj, N, GV, s2));
    for (int i = 0; i < N; i++) RB_EXPECT_NEAR(s1[i], s2[i], 1e-6);
    RB_EXPECT_OK(rb_det_work_alloc(&w, &d, N));
    rb_det_batch bs = {.xa = xa, .rows_a = N, .n_bags = 1, .start = st, .len = ln, .labels = lab};
    RB_EXPECT_OK(rb_detector_loss_grad(&d, &bs, &w, &loss, NULL));
    for (int i = 0; i < N; i++) RB_EXPECT_NEAR(s1[i], rb_nn_sigmoid(w.z3[i]), 1e-6);
    rb_det_work_free(&w);
    rb_detector_free(&d);

    /* shared-pad: audio score == visual-path score of the zero-padded rows */
    RB_EXPECT_OK(rb_detector_init(&d, RB_DET_SHARED_PAD, GV, GA, GH1, GH2, 0.6f, 2, 0));
    float pad[N * GV];
    memset(pad, 0, sizeof pad);
    for (int i = 0; i < N; i++) memcpy(pad + i * GV, xa + i * GA, sizeof(float) * GA);
    RB_EXPECT_OK(rb_detector_score(&d, RB_INPUT_AUDIO, xa, N, GA, s1));
    RB_EXPECT_OK(rb_detector_score(&d, RB_INPUT_VISUAL, pad, N, GV, s2));
    for (int i = 0; i < N; i++) RB_EXPECT_NEAR(s1[i], s2[i], 1e-6);
    rb_detector_free(&d);

    /* unimodal detectors refuse the other modality */
    RB_EXPECT_OK(rb_detector_init(&d, RB_DET_VISUAL, GV, GA, GH1, GH2, 0.6f, 2, 0));
    RB_EXPECT_ERR(rb_detector_score(&d, RB_INPUT_AUDIO, xa, N, GA, s1), "cannot score audio");
    RB_EXPECT_ERR(rb_detector_score(&d, RB_INPUT_VISUAL, xv, N, GV - 1, s1), "leading dimension");
    rb_detector_free(&d);
}

/* ---- resampling ---- */

RB_TEST(train_resample_positions_match_linspace_uint16) {
    int32_t pos[200];
    RB_EXPECT_INT(rb_train_resample(50, 200, pos), 50);
    RB_EXPECT_INT(pos[0], 0);
    RB_EXPECT_INT(pos[49], 49);
    RB_EXPECT_INT(rb_train_resample(201, 200, pos), 200); /* step 200/199: 0..198, then 200 */
    RB_EXPECT_INT(pos[198], 198);
    RB_EXPECT_INT(pos[199], 200);
    RB_EXPECT_INT(rb_train_resample(399, 200, pos), 200); /* step exactly 2 */
    int ok = 1;
    for (int i = 0; i < 200; i++) ok &= pos[i] == 2 * i;
    RB_EXPECT(ok);
    RB_EXPECT_INT(rb_train_resample(401, 200, pos), 200); /* step 400/199 = 2.01005 */
    RB_EXPECT_INT(pos[1], 2);
    RB_EXPECT_INT(pos[99], 198);
    RB_EXPECT_INT(pos[100], 201);
    RB_EXPECT_INT(pos[199], 400);
}

/* ---- training ---- */

/* Synthetic MIL problem: normal snippets N(0, 1); odd videos are anomalous and carry a segment of
 * 3..6 snippets shifted by `shift` along a fixed visual direction (every crop) and audio direction.
 * truth[s] marks anomalous snippets. Lengths 12..51 (some beyond max_snippets in the tests). */
static void make_mil_split(rb_split *s, uint8_t **truth, int n_videos, int n_crops, int dv, int da,
                           double shift) {
    rb_rng r;
    rb_rng_init(&r, 23, RB_PURPOSE_TEST, 0, 0, 0);
    int64_t *len = malloc(sizeof(int64_t) * (size_t)n_videos), total = 0;
    for (int v = 0; v < n_videos; v++) total += len[v] = 12 + rb_rng_below(&r, 40);
    RB_EXPECT_OK(rb_split_alloc(s, n_videos, total, n_crops, dv, da, 0));
    *truth = calloc((size_t)total, 1);
    float *u = malloc(sizeof(float) * (size_t)dv), *a = malloc(sizeof(float) * (size_t)da);
    fill_normal(u, dv, 61, 1.0);
    fill_normal(a, da, 62, 1.0);
    double nu = 0, na = 0;
    for (int i = 0; i < dv; i++) nu += (double)u[i] * u[i];
    for (int i = 0; i < da; i++) na += (double)a[i] * a[i];
    fill_normal(s->visual, total * n_crops * dv, 63, 1.0);
    fill_normal(s->audio, total * da, 64, 1.0);
    for (int v = 0; v < n_videos; v++) {
        s->offsets[v + 1] = s->offsets[v] + len[v];
        s->labels[v] = (uint8_t)(v % 2);
        if (!s->labels[v]) continue;
        int seg = 3 + (int)rb_rng_below(&r, 4);
        int64_t at = s->offsets[v] + rb_rng_below(&r, (uint32_t)(len[v] - seg + 1));
        for (int64_t t = at; t < at + seg; t++) {
            (*truth)[t] = 1;
            for (int c = 0; c < n_crops; c++) {
                float *x = rb_split_visual_at(s, t, c);
                for (int i = 0; i < dv; i++) x[i] += (float)(shift * u[i] / sqrt(nu));
            }
            float *y = rb_split_audio_at(s, t);
            for (int i = 0; i < da; i++) y[i] += (float)(shift * a[i] / sqrt(na));
        }
    }
    free(len);
    free(u);
    free(a);
}

static void small_params(rb_train_params *p) {
    rb_train_params_default(p);
    p->hidden1 = 16;
    p->hidden2 = 8;
    p->dropout = 0.2f;
    p->epochs = 30;
    p->batch = 16;
    p->max_snippets = 40;
    p->lr = 1e-2;
    p->seed = 5;
}

/* Mean crop-averaged eval score of anomalous and normal snippets. */
static void separation(const rb_detector *d, const rb_split *s, const uint8_t *truth, rb_det_input in,
                       double *anom, double *norm) {
    int64_t n = s->n_snippets;
    float *sc = malloc(sizeof(float) * (size_t)n);
    double *avg = calloc((size_t)n, sizeof(double));
    int crops = in == RB_INPUT_VISUAL ? s->n_crops : 1;
    for (int c = 0; c < crops; c++) {
        if (d->kind == RB_DET_CONCAT)
            RB_EXPECT_OK(rb_detector_score_concat(d, s->visual + c * s->d_visual, s->n_crops * s->d_visual,
                                                  s->audio, s->d_audio, n, sc));
        else if (in == RB_INPUT_VISUAL)
            RB_EXPECT_OK(rb_detector_score(d, in, s->visual + c * s->d_visual, n, s->n_crops * s->d_visual, sc));
        else
            RB_EXPECT_OK(rb_detector_score(d, in, s->audio, n, s->d_audio, sc));
        for (int64_t i = 0; i < n; i++) avg[i] += sc[i] / crops;
    }
    double sa = 0, sn = 0;
    int64_t na = 0, nn = 0;
    for (int64_t i = 0; i < n; i++) {
        if (truth[i]) { sa += avg[i]; na++; }
        else { sn += avg[i]; nn++; }
    }
    *anom = sa / na;
    *norm = sn / nn;
    free(sc);
    free(avg);
}

RB_TEST(train_learns_synthetic_mil_problem) {
    rb_split s;
    uint8_t *truth;
    make_mil_split(&s, &truth, 64, 2, 16, 8, 4.0);
    rb_train_params p;
    small_params(&p);
    for (int k = 0; k < RB_DET_N_KINDS; k++) {
        rb_detector d;
        RB_EXPECT_OK(rb_train_detector_init(&d, (rb_detector_kind)k, 16, 8, &p));
        rb_train_log log;
        RB_EXPECT_OK(rb_train_detector(&d, &s, &p, &log));
        const char *name = rb_detector_kind_name(d.kind);
        RB_EXPECT_INT(log.n_epochs, p.epochs);
        RB_EXPECT_INT(log.bags_per_epoch, 128);
        RB_EXPECT_INT(log.steps_per_epoch, 8);
        double first = log.loss[0], last = log.loss[p.epochs - 1];
        RB_EXPECT_MSG(last < 0.7 * first, "%s: loss %g -> %g", name, first, last);
        int shared = k == RB_DET_SHARED || k == RB_DET_SHARED_PAD;
        for (int e = 0; e < p.epochs; e++) {
            RB_EXPECT(isfinite(log.loss[e]) && log.snippets_per_s[e] > 0);
            if (shared)
                RB_EXPECT_MSG(log.visual_fraction[e] > 0.3 && log.visual_fraction[e] < 0.7,
                              "%s epoch %d: visual fraction %g", name, e, log.visual_fraction[e]);
            else
                RB_EXPECT(isnan(log.visual_fraction[e]));
        }
        for (int in = 0; in < 2; in++) {
            if (k != RB_DET_CONCAT && !rb_detector_accepts(&d, (rb_det_input)in)) continue;
            if (k == RB_DET_CONCAT && in == 1) continue;
            double a, n;
            separation(&d, &s, truth, (rb_det_input)in, &a, &n);
            RB_EXPECT_MSG(a > n + 0.3, "%s, %s input: anomalous %g vs normal %g", name,
                          in ? "audio" : "visual", a, n);
        }
        rb_train_log_free(&log);
        rb_detector_free(&d);
    }
    free(truth);
    rb_split_free(&s);
}

RB_TEST(train_is_bitwise_deterministic) {
    rb_split s;
    uint8_t *truth;
    make_mil_split(&s, &truth, 24, 2, 8, 4, 3.0);
    rb_train_params p;
    small_params(&p);
    p.epochs = 3;
    p.max_snippets = 20; /* exercise resampling */
    p.schedule = RB_LR_COSINE;
    p.weight_decay = 1e-3;
    p.wd_mode = RB_WD_DECOUPLED;
    rb_detector a, b, c, e;
    RB_EXPECT_OK(rb_train_detector_init(&a, RB_DET_SHARED, 8, 4, &p));
    RB_EXPECT_OK(rb_train_detector_init(&b, RB_DET_SHARED, 8, 4, &p));
    RB_EXPECT_OK(rb_train_detector(&a, &s, &p, NULL));
    RB_EXPECT_OK(rb_train_detector(&b, &s, &p, NULL));
    RB_EXPECT(memcmp(a.params, b.params, sizeof(float) * (size_t)a.n_params) == 0);
    rb_train_params q = p;
    q.seed = p.seed + 1;
    RB_EXPECT_OK(rb_train_detector_init(&c, RB_DET_SHARED, 8, 4, &q));
    RB_EXPECT_OK(rb_train_detector(&c, &s, &q, NULL));
    RB_EXPECT(memcmp(a.params, c.params, sizeof(float) * (size_t)a.n_params) != 0);
    /* same initial weights, other replica: shuffle, modality and dropout streams differ */
    q = p;
    q.replica = 1;
    RB_EXPECT_OK(rb_train_detector_init(&e, RB_DET_SHARED, 8, 4, &p));
    RB_EXPECT_OK(rb_train_detector(&e, &s, &q, NULL));
    RB_EXPECT(memcmp(a.params, e.params, sizeof(float) * (size_t)a.n_params) != 0);
    rb_detector_free(&a);
    rb_detector_free(&b);
    rb_detector_free(&c);
    rb_detector_free(&e);
    free(truth);
    rb_split_free(&s);
}

/* The first Adam step moves each parameter by its rate times about the sign of its gradient (m_hat = g,
 * v_hat = g^2, so the step is lr g / (|g| + eps)): an hlnet detector's online branch, its last
 * n_params_slow parameters, at lr / 2 as the public HL-Net optimizer's parameter groups, the rest at
 * lr. One step: every bag in one batch, one epoch. */
RB_TEST(train_hlnet_online_branch_at_half_rate) {
    rb_split s;
    uint8_t *truth;
    make_mil_split(&s, &truth, 24, 2, 8, 4, 3.0);
    rb_train_params p;
    small_params(&p);
    p.arch = RB_ARCH_HLNET;
    p.epochs = 1;
    p.batch = 48; /* 24 videos x 2 crops: one step */
    p.dropout = 0.0f;
    p.lr = 1e-3;
    rb_detector d;
    RB_EXPECT_OK(rb_train_detector_init(&d, RB_DET_VISUAL, 8, 4, &p));
    float *before = malloc(sizeof(float) * (size_t)d.n_params);
    RB_EXPECT(before != NULL && d.n_params_slow > 0);
    if (before) {
        memcpy(before, d.params, sizeof(float) * (size_t)d.n_params);
        RB_EXPECT_OK(rb_train_detector(&d, &s, &p, NULL));
        const int64_t n_fast = d.n_params - d.n_params_slow;
        /* a gradient much larger than eps moves its parameter by the full rate, a tiny one by less;
         * no step exceeds its group's rate, and each group has many steps at its rate */
        int64_t at_rate[2] = {0, 0}, over[2] = {0, 0};
        for (int64_t i = 0; i < d.n_params; i++) {
            int slow = i >= n_fast;
            double rate = slow ? 0.5 * p.lr : p.lr, step = fabs((double)d.params[i] - (double)before[i]);
            at_rate[slow] += step >= 0.98 * rate;
            over[slow] += step > 1.001 * rate;
        }
        RB_EXPECT_MSG(at_rate[0] > 100 && at_rate[1] > 100, "steps at the rate: %lld fast (lr), %lld slow (lr / 2)",
                      (long long)at_rate[0], (long long)at_rate[1]);
        RB_EXPECT_MSG(over[0] == 0 && over[1] == 0, "steps over the rate: %lld fast, %lld slow", (long long)over[0],
                      (long long)over[1]);
    }
    free(before);
    rb_detector_free(&d);
    free(truth);
    rb_split_free(&s);
}

RB_TEST(train_rejects_bad_inputs) {
    rb_split s;
    uint8_t *truth;
    make_mil_split(&s, &truth, 4, 1, 8, 4, 3.0);
    rb_train_params p;
    small_params(&p);
    rb_detector d;
    RB_EXPECT_OK(rb_train_detector_init(&d, RB_DET_CONCAT, 9, 4, &p));
    RB_EXPECT_ERR(rb_train_detector(&d, &s, &p, NULL), "differ from the split");
    rb_detector_free(&d);
    RB_EXPECT_OK(rb_train_detector_init(&d, RB_DET_CONCAT, 8, 4, &p));
    rb_train_params bad = p;
    bad.epochs = 0;
    RB_EXPECT_ERR(rb_train_detector(&d, &s, &bad, NULL), "epochs");
    bad = p;
    bad.lr = -1;
    RB_EXPECT_ERR(rb_train_detector(&d, &s, &bad, NULL), "lr");
    bad = p;
    bad.lr = 1e30; /* diverges: reported, not silently kept */
    RB_EXPECT_ERR(rb_train_detector(&d, &s, &bad, NULL), "not finite");
    rb_detector_free(&d);
    free(truth);
    rb_split_free(&s);
}

/* test_corrupt_cases.c - hand-computed small cases of the corruption stage (rb_corrupt.h): clean
 * statistics, each operator through the public entry point on a split with hand-set statistics,
 * each operator of the table of operations (src/corrupt/operator.h) against its documented formula
 * on tiny vectors, and smoothing of constant sequences. */
#include "rb_core.h"
#include "rb_corrupt.h"
#include "rb_test.h"

#include "corrupt/operator.h"

#include <string.h>

/* ---------------------------------------------------------------- statistics */

RB_TEST(corrupt_stats_hand_computed) {
    rb_split s;
    RB_EXPECT_OK(rb_split_alloc(&s, 1, 4, 2, 2, 1, 0));
    /* visual rows (snippet, crop): dim0 = 1e4 + {0,1,2,3,4,5,6,7}, dim1 = {0,0,0,0,0,0,0,8} */
    for (int i = 0; i < 8; i++) {
        s.visual[2 * i] = 10000.0f + (float)i;
        s.visual[2 * i + 1] = i == 7 ? 8.0f : 0.0f;
    }
    float audio[4] = {-1.0f, 1.0f, 3.0f, 5.0f};
    memcpy(s.audio, audio, sizeof audio);
    rb_clean_stats sv, sa;
    RB_EXPECT_OK(rb_clean_stats_compute(&s, RB_MOD_VISUAL, &sv));
    RB_EXPECT_OK(rb_clean_stats_compute(&s, RB_MOD_AUDIO, &sa));
    RB_EXPECT_INT(sv.rows, 8);
    RB_EXPECT_NEAR(sv.mean[0], 10003.5, 1e-9);
    RB_EXPECT_NEAR(sv.std[0], sqrt(6.0), 1e-9); /* var of 0..7 with n-1: 42/7 */
    RB_EXPECT_NEAR(sv.mean[1], 1.0, 1e-12);
    RB_EXPECT_NEAR(sv.std[1], sqrt(56.0 / 7.0), 1e-12);
    RB_EXPECT_INT(sv.nonnegative, 1);
    RB_EXPECT_NEAR(sa.mean[0], 2.0, 1e-12);
    RB_EXPECT_NEAR(sa.std[0], sqrt(20.0 / 3.0), 1e-12);
    RB_EXPECT_INT(sa.nonnegative, 0);
    rb_clean_stats_free(&sv);
    rb_clean_stats_free(&sa);
    rb_split one;
    RB_EXPECT_OK(rb_split_alloc(&one, 1, 1, 1, 2, 1, 0));
    RB_EXPECT_ERR(rb_clean_stats_compute(&one, RB_MOD_AUDIO, &sa), "at least 2 feature rows");
    rb_split_free(&one);
    rb_split_free(&s);
}


/* Hand-computed small cases on a 2-video split whose statistics are set by hand. */
RB_TEST(corrupt_hand_computed_cases) {
    rb_split s;
    RB_EXPECT_OK(rb_split_alloc(&s, 2, 6, 1, 4, 2, 0));
    s.offsets[1] = 4;
    const float vis[6][4] = {{1, 2, 3, 4}, {2, 2, 2, 2}, {3, 0, 1, 0}, {4, 4, 4, 4}, {9, 9, 9, 9}, {8, 8, 8, 8}};
    const float aud[6][2] = {{1, -1}, {2, 0}, {3, 1}, {4, 2}, {10, 20}, {30, 40}};
    memcpy(s.visual, vis, sizeof vis);
    memcpy(s.audio, aud, sizeof aud);
    double mv[4] = {2, 2, 2, 2}, sdv[4] = {1, 1, 2, 2}, ma[2] = {0, 0}, sda[2] = {1, 2};
    rb_clean_stats sv = {4, 10, mv, sdv, 1}, sa = {2, 10, ma, sda, 0};
    rb_corrupt_ctx ctx;
    RB_EXPECT_OK(rb_corrupt_ctx_init(&ctx, 1, 0, &sv, &sa));
    float y[16];
    const rb_corruption *c;

    /* motion blur severity 1: centred width 3, truncated at the ends */
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, "motion_blur", &c));
    RB_EXPECT_OK(rb_corrupt_video(&ctx, c, 1, &s, 0, 0, y));
    const float mb[4][4] = {{1.5f, 2, 2.5f, 3}, {2, 4.f / 3, 2, 2}, {3, 2, 7.f / 3, 2}, {3.5f, 2, 2.5f, 2}};
    for (int i = 0; i < 16; i++) RB_EXPECT_NEAR(y[i], mb[i / 4][i % 4], 1e-6);

    /* reverb severity 1: y0 = x0, y_t = 0.3*y_{t-1} + 0.7*x_t */
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_AUDIO, "reverb", &c));
    RB_EXPECT_OK(rb_corrupt_video(&ctx, c, 1, &s, 0, 0, y));
    double r0 = 1, r1 = -1;
    for (int t = 0; t < 4; t++) {
        if (t > 0) {
            r0 = 0.3 * r0 + 0.7 * aud[t][0];
            r1 = 0.3 * r1 + 0.7 * aud[t][1];
        }
        RB_EXPECT_NEAR(y[2 * t], r0, 1e-6);
        RB_EXPECT_NEAR(y[2 * t + 1], r1, 1e-6);
    }

    /* attenuation severity 2: (1 - 0.35) * x (silence prototype = 0) */
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_AUDIO, "attenuation", &c));
    RB_EXPECT_OK(rb_corrupt_video(&ctx, c, 2, &s, 1, 0, y));
    RB_EXPECT_NEAR(y[0], 6.5, 1e-5);
    RB_EXPECT_NEAR(y[3], 26.0, 1e-5);

    /* pixelate severity 1: blocks of 2 in standardised units, 0.6 of the within-block detail kept.
     * Row {1,2,3,4}: z = {-1,0,0.5,1}, block means -0.5, 0.75 -> z' = {-0.8,-0.2,0.6,0.9}
     * -> {1.2, 1.8, 3.2, 3.8}. Severity 5: one block (32 > 4 dims), no detail: mean z 0.125. */
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, "pixelate", &c));
    RB_EXPECT_OK(rb_corrupt_video(&ctx, c, 1, &s, 0, 0, y));
    const float px1[4] = {1.2f, 1.8f, 3.2f, 3.8f};
    for (int d = 0; d < 4; d++) RB_EXPECT_NEAR(y[d], px1[d], 1e-6);
    RB_EXPECT_OK(rb_corrupt_video(&ctx, c, 5, &s, 0, 0, y));
    const float px5[4] = {2.125f, 2.125f, 2.25f, 2.25f};
    for (int d = 0; d < 4; d++) RB_EXPECT_NEAR(y[d], px5[d], 1e-6);
    /* row {3,0,1,0}: z = {1,-2,-0.5,-1}, mean -0.625 -> {1.375, 1.375, 0.75, 0.75} */
    const float px5b[4] = {1.375f, 1.375f, 0.75f, 0.75f};
    for (int d = 0; d < 4; d++) RB_EXPECT_NEAR(y[8 + d], px5b[d], 1e-6);

    /* defocus severity 5: ceil(0.9*4) = 4 dims -> mean + 0.1*(x - mean) */
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, "defocus_blur", &c));
    RB_EXPECT_OK(rb_corrupt_video(&ctx, c, 5, &s, 1, 0, y));
    for (int d = 0; d < 4; d++) RB_EXPECT_NEAR(y[d], 2 + 0.1 * 7, 1e-6);
    /* severity 1: ceil(0.3*4) = 2 dims attenuated by 0.7, the dims of rank 0 and 1 */
    RB_EXPECT_OK(rb_corrupt_video(&ctx, c, 1, &s, 1, 0, y));
    const int32_t *rank = ctx.rank[rb_corrupt_index(c)];
    for (int d = 0; d < 4; d++) RB_EXPECT_NEAR(y[d], rank[d] < 2 ? 2 + 0.7 * 7 : 9, 1e-6);

    /* background noise severity 1 on audio: 0.9*x + 0.1*y, y the other video's audio, looped */
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_AUDIO, "background_noise", &c));
    RB_EXPECT_OK(rb_corrupt_video(&ctx, c, 1, &s, 1, 0, y));
    int match = 0;
    for (int o = 0; o < 4; o++) { /* partner is video 0 (the only other); some start offset o */
        int ok = 1;
        for (int t = 0; t < 2; t++)
            for (int d = 0; d < 2; d++)
                ok &= fabs(y[2 * t + d] - (0.9 * aud[4 + t][d] + 0.1 * aud[(t + o) % 4][d])) < 1e-5;
        match += ok;
    }
    RB_EXPECT_INT(match, 1);
    float y5[16];
    RB_EXPECT_OK(rb_corrupt_video(&ctx, c, 5, &s, 1, 0, y5));
    for (int i = 0; i < 4; i++) /* same partner and offset at severity 5: y5 = 0.3x + 0.7p */
        RB_EXPECT_NEAR(y5[i], 0.3 * aud[4 + i / 2][i % 2] + 0.7 * ((y[i] - 0.9 * aud[4 + i / 2][i % 2]) / 0.1), 1e-4);

    /* crosstalk severity 1 on audio: x + 0.3*(y - mu), mu = 0, y the other video's audio, looped */
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_AUDIO, "crosstalk", &c));
    RB_EXPECT_OK(rb_corrupt_video(&ctx, c, 1, &s, 1, 0, y));
    match = 0;
    for (int o = 0; o < 4; o++) {
        int ok = 1;
        for (int t = 0; t < 2; t++)
            for (int d = 0; d < 2; d++) ok &= fabs(y[2 * t + d] - (aud[4 + t][d] + 0.3 * aud[(t + o) % 4][d])) < 1e-5;
        match += ok;
    }
    RB_EXPECT_INT(match, 1);
    /* double exposure severity 5 on visual video 1: max(0, x + 1.2*(y - 2)), y rows of video 0 */
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, "double_exposure", &c));
    RB_EXPECT_OK(rb_corrupt_video(&ctx, c, 5, &s, 1, 0, y));
    match = 0;
    for (int o = 0; o < 4; o++) {
        int ok = 1;
        for (int t = 0; t < 2; t++)
            for (int d = 0; d < 4; d++) {
                double want = vis[4 + t][d] + 1.2 * (vis[(t + o) % 4][d] - 2.0);
                ok &= fabs(y[4 * t + d] - (want > 0 ? want : 0)) < 1e-5;
            }
        match += ok;
    }
    RB_EXPECT_INT(match, 1);
    /* clicks: every snippet is either unchanged or x + k*sigma*z; at severity 5 (p = 0.45) over the
     * 6 snippets some are hit with probability 1 - 0.55^6; the unhit rows are exact copies */
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_AUDIO, "clicks", &c));
    for (int64_t v = 0; v < 2; v++) {
        RB_EXPECT_OK(rb_corrupt_video(&ctx, c, 1, &s, v, 0, y));
        RB_EXPECT_OK(rb_corrupt_video(&ctx, c, 5, &s, v, 0, y5));
        for (int t = 0; t < (v == 0 ? 4 : 2); t++) {
            const float *x = aud[s.offsets[v] + t];
            int hit1 = y[2 * t] != x[0] || y[2 * t + 1] != x[1], hit5 = y5[2 * t] != x[0] || y5[2 * t + 1] != x[1];
            RB_EXPECT(!hit1 || hit5); /* nested */
            for (int d = 0; hit1 && d < 2; d++) /* the same z: (y1 - x)/(3 sd) = (y5 - x)/(5 sd) */
                RB_EXPECT_NEAR((y[2 * t + d] - x[d]) / (3.0 * sda[d]), (y5[2 * t + d] - x[d]) / (5.0 * sda[d]), 1e-5);
        }
    }

    /* fog prototype: mean + 0.5*std*smooth pattern, nonnegative; low light: 0.15*mean*exp(0.25 g) */
    const rb_corruption *fog, *dark;
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, "fog", &fog));
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, "low_light", &dark));
    const float *pf = ctx.proto[rb_corrupt_index(fog)], *pd = ctx.proto[rb_corrupt_index(dark)];
    double rms = 0;
    for (int d = 0; d < 4; d++) {
        RB_EXPECT(pf[d] >= 0.0f && pd[d] > 0.0f);
        double pat = (pf[d] - 2.0) / (0.5 * sdv[d]);
        rms += pat * pat;
        RB_EXPECT(pd[d] > 0.15 * 2 * exp(-0.25 * 6) && pd[d] < 0.15 * 2 * exp(0.25 * 6));
    }
    RB_EXPECT_NEAR(rms / 4, 1.0, 1e-4);
    RB_EXPECT_OK(rb_corrupt_video(&ctx, fog, 3, &s, 1, 0, y));
    for (int d = 0; d < 4; d++) RB_EXPECT_NEAR(y[d], 0.5 * 9 + 0.5 * pf[d], 1e-5);
    rb_corrupt_ctx_free(&ctx);
    rb_split_free(&s);
}

RB_TEST(corrupt_smoothing_preserves_constant_sequence) {
    rb_split s;
    RB_EXPECT_OK(rb_split_alloc(&s, 1, 50, 2, 6, 5, 0));
    for (size_t i = 0; i < 50 * 2 * 6; i++) s.visual[i] = 0.1f + 0.37f * (float)(i % 6);
    for (size_t i = 0; i < 50 * 5; i++) s.audio[i] = -3.3f + 1.7f * (float)(i % 5);
    double mv[6] = {0}, sdv[6] = {1, 1, 1, 1, 1, 1}, ma[5] = {0}, sda[5] = {1, 1, 1, 1, 1};
    rb_clean_stats sv = {6, 2, mv, sdv, 1}, sa = {5, 2, ma, sda, 0};
    rb_corrupt_ctx ctx;
    RB_EXPECT_OK(rb_corrupt_ctx_init(&ctx, 3, 1, &sv, &sa));
    float y[50 * 6];
    const rb_corruption *mb, *rv;
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, "motion_blur", &mb));
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_AUDIO, "reverb", &rv));
    for (int sev = 1; sev <= RB_CORRUPT_SEVERITIES; sev++) {
        RB_EXPECT_OK(rb_corrupt_video(&ctx, mb, sev, &s, 0, 1, y));
        double err = 0;
        for (int i = 0; i < 50 * 6; i++) err = fmax(err, fabs(y[i] - (0.1f + 0.37f * (float)(i % 6))));
        RB_EXPECT_MSG(err <= 1e-6, "motion blur severity %d moves a constant sequence by %g", sev, err);
        RB_EXPECT_OK(rb_corrupt_video(&ctx, rv, sev, &s, 0, 0, y));
        err = 0;
        for (int i = 0; i < 50 * 5; i++) err = fmax(err, fabs(y[i] - (-3.3f + 1.7f * (float)(i % 5))));
        RB_EXPECT_MSG(err == 0.0, "reverb severity %d moves a constant sequence by %g", sev, err);
    }
    rb_corrupt_ctx_free(&ctx);
    rb_split_free(&s);
}

/* ---------------------------------------------------------------- the table's operators, by formula */

/* T rows x D dims, contiguous, as an operator of the table sees one video (no split needed). */
static rb_op_video tiny_video(const rb_corrupt_ctx *ctx, int index, const float *x, int64_t T, int32_t D,
                              const float *mu, const float *sd, double p0, double p1, float *out) {
    rb_op_video v = {.ctx = ctx, .index = index, .p0 = p0, .p1 = p1, .base = x, .in = x, .stride = (size_t)D,
                     .T = T, .D = D, .mu = mu, .sd = sd, .out = out};
    return v;
}

static int apply_op(rb_corrupt_op op, const rb_op_video *v, rb_rng *r) {
    return rb_corrupt_ops_for(op)->apply(v, r);
}

static void expect_rows(const float *got, const float *want, int n, const char *what) {
    for (int i = 0; i < n; i++)
        RB_EXPECT_MSG(got[i] == want[i], "%s: element %d is %.9g, expected %.9g", what, i, got[i], want[i]);
}

RB_TEST(corrupt_table_operators_match_formulas) {
    const float mu[2] = {0.0f, 1.0f}, sd[2] = {1.0f, 2.0f};
    const float x[3][2] = {{1.0f, -1.0f}, {0.25f, 3.0f}, {-2.0f, 2.5f}};
    float y[3][2];
    rb_corrupt_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    rb_rng r;
    rb_op_video v;

    /* clip k = 0.5: min(x, mu + 0.5*sd) = min(x, {0.5, 2}) */
    v = tiny_video(&ctx, 0, &x[0][0], 3, 2, mu, sd, 0.5, 0.0, &y[0][0]);
    RB_EXPECT_OK(apply_op(RB_CORRUPT_OP_CLIP, &v, NULL));
    const float clip[6] = {0.5f, -1.0f, 0.25f, 2.0f, -2.0f, 2.0f};
    expect_rows(&y[0][0], clip, 6, "clip");

    /* centred moving average of width 3, truncated at the ends: {mean(r0,r1), mean(r0..r2), mean(r1,r2)} */
    const float ramp[3] = {1.0f, 4.0f, 7.0f};
    float yr[3];
    v = tiny_video(&ctx, 0, ramp, 3, 1, mu, sd, 3.0, 0.0, yr);
    RB_EXPECT_OK(apply_op(RB_CORRUPT_OP_MOVING_AVERAGE, &v, NULL));
    const float ma3[3] = {2.5f, 4.0f, 5.5f};
    expect_rows(yr, ma3, 3, "moving average width 3");
    v.p0 = 5.0; /* wider than the video: every row is the video mean */
    RB_EXPECT_OK(apply_op(RB_CORRUPT_OP_MOVING_AVERAGE, &v, NULL));
    const float ma5[3] = {4.0f, 4.0f, 4.0f};
    expect_rows(yr, ma5, 3, "moving average width 5");

    /* exponential smoothing decay 0.5: y0 = x0, y_t = 0.5*y_{t-1} + 0.5*x_t */
    v.p0 = 0.5;
    RB_EXPECT_OK(apply_op(RB_CORRUPT_OP_EXP_SMOOTHING, &v, NULL));
    const float es[3] = {1.0f, 2.5f, 4.75f};
    expect_rows(yr, es, 3, "exponential smoothing");

    /* quantise step 0.5*sd, times 2 on the upper half of the order (rank >= D/2 = 1: dim 1):
     * steps {0.5, 0.5*2*2 = 2}; step*floor(x/step + 0.5) */
    int32_t rank[2] = {0, 1};
    ctx.rank[0] = rank;
    v = tiny_video(&ctx, 0, &x[0][0], 3, 2, mu, sd, 0.5, 2.0, &y[0][0]);
    RB_EXPECT_OK(apply_op(RB_CORRUPT_OP_QUANTISE, &v, NULL));
    const float quant[6] = {1.0f, 0.0f, 0.5f, 4.0f, -2.0f, 2.0f};
    expect_rows(&y[0][0], quant, 6, "quantise");

    /* detail: fraction 0.5 of 2 dims -> the dim of rank 0 (dim 1 here) becomes mu + 0.25*(x - mu) */
    rank[0] = 1;
    rank[1] = 0;
    v.p0 = 0.5;
    v.p1 = 0.25;
    RB_EXPECT_OK(apply_op(RB_CORRUPT_OP_DETAIL, &v, NULL));
    const float detail[6] = {1.0f, 0.5f, 0.25f, 1.5f, -2.0f, 1.375f};
    expect_rows(&y[0][0], detail, 6, "detail");
    ctx.rank[0] = NULL;

    /* block average, blocks of 2, no detail kept: both dims become mu + sd*mean(z) */
    v.p0 = 2.0;
    v.p1 = 0.0;
    RB_EXPECT_OK(apply_op(RB_CORRUPT_OP_BLOCK_AVERAGE, &v, NULL));
    /* z rows {1,-1}, {0.25,1}, {-2,0.75}: means 0, 0.625, -0.625 */
    const float block[6] = {0.0f, 1.0f, 0.625f, 2.25f, -0.625f, -0.25f};
    expect_rows(&y[0][0], block, 6, "block average");

    /* mixing toward a prototype: 0.75*x + 0.25*proto */
    float proto[2] = {4.0f, -4.0f};
    ctx.proto[0] = proto;
    v.proto = proto;
    v.p0 = 0.25;
    RB_EXPECT_OK(apply_op(RB_CORRUPT_OP_MIX_PROTOTYPE, &v, NULL));
    const float mix[6] = {1.75f, -1.75f, 1.1875f, 1.25f, -0.5f, 0.875f};
    expect_rows(&y[0][0], mix, 6, "mix prototype");
    ctx.proto[0] = NULL;

    /* dropout: p = 0 keeps every snippet, p = 1 loses every one (zeros / the clean mean, frozen) */
    rb_rng_init(&r, 1, RB_PURPOSE_TEST, 9, 0, 0);
    v.p0 = 0.0;
    RB_EXPECT_OK(apply_op(RB_CORRUPT_OP_DROP_ZERO, &v, &r));
    expect_rows(&y[0][0], &x[0][0], 6, "drop zero p=0");
    RB_EXPECT_OK(apply_op(RB_CORRUPT_OP_DROP_FREEZE, &v, &r));
    expect_rows(&y[0][0], &x[0][0], 6, "drop freeze p=0");
    v.p0 = 1.0;
    RB_EXPECT_OK(apply_op(RB_CORRUPT_OP_DROP_ZERO, &v, &r));
    const float zeros[6] = {0};
    expect_rows(&y[0][0], zeros, 6, "drop zero p=1");
    RB_EXPECT_OK(apply_op(RB_CORRUPT_OP_DROP_FREEZE, &v, &r));
    const float means[6] = {0.0f, 1.0f, 0.0f, 1.0f, 0.0f, 1.0f};
    expect_rows(&y[0][0], means, 6, "drop freeze p=1");

    /* missing: zeros, without statistics */
    v = tiny_video(&ctx, 0, &x[0][0], 3, 2, NULL, NULL, 0.0, 0.0, &y[0][0]);
    RB_EXPECT_OK(apply_op(RB_CORRUPT_OP_ZERO, &v, NULL));
    expect_rows(&y[0][0], zeros, 6, "zero");
}

/* rb_corrupt_video is exactly the table's operation on the video's rows with the entry's parameters
 * and the per-video stream the operation asks for (crop slot or slot 15), for every entry. */
RB_TEST(corrupt_video_dispatches_through_the_table) {
    rb_split s;
    RB_EXPECT_OK(rb_split_alloc(&s, 3, 9, 2, 4, 3, 0));
    s.offsets[1] = 4;
    s.offsets[2] = 7;
    for (int i = 0; i < 9 * 2 * 4; i++) s.visual[i] = (float)((i * 7) % 11) - 3.0f;
    for (int i = 0; i < 9 * 3; i++) s.audio[i] = (float)((i * 5) % 13) * 0.5f - 2.0f;
    double mv[4] = {0.5, -1, 2, 0}, sdv[4] = {1, 2, 0.5, 3}, ma[3] = {0.25, 0, -1}, sda[3] = {2, 1, 1};
    rb_clean_stats sv = {4, 10, mv, sdv, 0}, sa = {3, 10, ma, sda, 0}; /* signed: no clamping */
    rb_corrupt_ctx ctx;
    RB_EXPECT_OK(rb_corrupt_ctx_init(&ctx, 11, 2, &sv, &sa));
    const int64_t video = 1;
    const int32_t crop = 1;
    float got[3 * 4], want[3 * 4];
    for (int i = 0; i < rb_corrupt_count(); i++) {
        const rb_corruption *c = rb_corrupt_at(i);
        const rb_corrupt_ops *ops = rb_corrupt_ops_of(c);
        const int m = c->modality, k = m == RB_MOD_VISUAL ? crop : 0;
        const int32_t D = m == RB_MOD_VISUAL ? s.d_visual : s.d_audio;
        const size_t stride = m == RB_MOD_VISUAL ? (size_t)s.n_crops * (size_t)D : (size_t)D;
        const float *base = m == RB_MOD_VISUAL ? s.visual + (size_t)crop * (size_t)D : s.audio;
        const int lo = c->is_missing ? 0 : 1, hi = c->is_missing ? 0 : RB_CORRUPT_SEVERITIES;
        for (int sev = lo; sev <= hi; sev++) {
            RB_EXPECT_OK(rb_corrupt_video(&ctx, c, sev, &s, video, k, got));
            rb_op_video v = {.ctx = &ctx, .c = c, .index = i, .test = &s, .video = video, .base = base,
                             .in = base + (size_t)s.offsets[video] * stride, .stride = stride, .T = 3, .D = D,
                             .mu = ops->uses_clean_stats ? ctx.mean[m] : NULL,
                             .sd = ops->uses_clean_stats ? ctx.std[m] : NULL, .proto = ctx.proto[i], .out = want,
                             .p0 = sev ? c->param[0][sev - 1] : 0.0, .p1 = sev ? c->param[1][sev - 1] : 0.0};
            rb_rng r;
            uint32_t ids[3];
            rb_corrupt_stream_ids(&ctx, c, video, ops->stream == RB_OP_STREAM_CROP ? k : 15, ids);
            rb_rng_init(&r, 11, RB_PURPOSE_CORRUPT, ids[0], ids[1], ids[2]);
            RB_EXPECT_OK(ops->apply(&v, ops->stream == RB_OP_STREAM_NONE ? NULL : &r));
            RB_EXPECT_MSG(memcmp(got, want, sizeof(float) * 3 * (size_t)D) == 0, "%s %s severity %d: differs",
                          rb_modality_name(c->modality), c->name, sev);
        }
    }
    rb_corrupt_ctx_free(&ctx);
    rb_split_free(&s);
}

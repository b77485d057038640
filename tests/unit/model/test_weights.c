/* test_weights.c - dynamic weights: percentiles and temperatures, one- and two-sided sigmoids,
 * the NLL statistics (smoothing, per-video) by hand-computed vectors, fusion with crops, missing
 * modalities and vanishing weights, the held-out split, and the GMM -> weight chain end to end. */
#include "rb_core.h"
#include "rb_model.h"
#include "rb_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double sig(double x) { return 1.0 / (1.0 + exp(-x)); }

RB_TEST(weights_calibration_threshold_and_temperature) {
    double v[101];
    for (int i = 0; i < 101; i++) v[100 - i] = 1.0 + i; /* 101 .. 1, unsorted input */
    rb_weight_params p;
    rb_weight_params_default(&p);
    rb_weight_calib c;
    RB_EXPECT_OK(rb_weight_calibrate(&c, v, 101, &p));
    RB_EXPECT_NEAR(c.median, 51.0, 1e-12);
    RB_EXPECT_NEAR(c.tau_hi, 96.0, 1e-12);
    RB_EXPECT_NEAR(c.tau_lo, 6.0, 1e-12);
    RB_EXPECT_NEAR(c.s_hi, 45.0 / log(19.0), 1e-12);
    RB_EXPECT_NEAR(c.n_calib, 101.0, 0.0);
    RB_EXPECT_NEAR(rb_weight_of(&c, 96.0), 0.5, 1e-15);  /* sigmoid(0) at the threshold */
    RB_EXPECT_NEAR(rb_weight_of(&c, 51.0), 0.95, 1e-12); /* the median gets median_weight */
    RB_EXPECT(rb_weight_of(&c, 1e6) < 1e-10);
    RB_EXPECT(rb_weight_of(&c, -1e6) > 1.0 - 1e-10);
    double prev = 2.0;
    for (double x = -50; x <= 250; x += 0.5) {
        double w = rb_weight_of(&c, x);
        RB_EXPECT_MSG(w < prev && w > 0.0 && w < 1.0, "weight not decreasing at %g: %g after %g", x, w, prev);
        prev = w;
    }
    /* Interpolated percentiles: sorted {0, 10, 20, 30}, position (m-1) q / 100. */
    double u[4] = {30, 0, 20, 10};
    RB_EXPECT_OK(rb_weight_calibrate(&c, u, 4, &p));
    RB_EXPECT_NEAR(c.tau_hi, 28.5, 1e-12);
    RB_EXPECT_NEAR(c.median, 15.0, 1e-12);
    RB_EXPECT_NEAR(c.tau_lo, 1.5, 1e-12);
    /* Degenerate spread: a tiny positive temperature, weights still finite and a step at tau. */
    double same[5] = {3, 3, 3, 3, 3};
    RB_EXPECT_OK(rb_weight_calibrate(&c, same, 5, &p));
    RB_EXPECT(c.s_hi > 0.0 && c.s_hi < 1e-8);
    RB_EXPECT_NEAR(rb_weight_of(&c, 3.0), 0.5, 1e-15);
    RB_EXPECT(rb_weight_of(&c, 3.001) < 1e-10);
    /* Errors. */
    p.percentile_hi = 40;
    RB_EXPECT_ERR(rb_weight_calibrate(&c, u, 4, &p), "percentile_hi");
    rb_weight_params_default(&p);
    u[2] = NAN;
    RB_EXPECT_ERR(rb_weight_calibrate(&c, u, 4, &p), "value 2 is not finite");
    RB_EXPECT_ERR(rb_weight_calibrate(&c, u, 0, &p), "no held-out values");
}

RB_TEST(weights_two_sided_fall_at_both_ends) {
    double v[101];
    for (int i = 0; i < 101; i++) v[i] = 1.0 + i;
    rb_weight_params p;
    rb_weight_params_default(&p);
    p.two_sided = 1;
    rb_weight_calib c;
    RB_EXPECT_OK(rb_weight_calibrate(&c, v, 101, &p));
    RB_EXPECT_NEAR(c.two_sided, 1.0, 0.0);
    RB_EXPECT_NEAR(c.s_lo, 45.0 / log(19.0), 1e-12);
    RB_EXPECT_NEAR(rb_weight_of(&c, 51.0), 0.95 * 0.95, 1e-12);
    /* At tau_lo: sigmoid(0) * sigmoid((96 - 6) / s_hi) = 0.5 * sigmoid(2 log 19) = 0.5 * 361/362. */
    RB_EXPECT_NEAR(rb_weight_of(&c, 6.0), 0.5 * 361.0 / 362.0, 1e-12);
    RB_EXPECT_NEAR(rb_weight_of(&c, 96.0), 0.5 * 361.0 / 362.0, 1e-12);
    RB_EXPECT(rb_weight_of(&c, -100.0) < 0.01);
    RB_EXPECT(rb_weight_of(&c, 200.0) < 0.01);
    double prev = -1.0;
    for (double x = -50; x <= 51.0; x += 0.5) { /* rising up to the median ... */
        double w = rb_weight_of(&c, x);
        RB_EXPECT_MSG(w > prev, "not increasing at %g", x);
        prev = w;
    }
    for (double x = 51.5; x <= 150; x += 0.5) { /* ... falling after it */
        double w = rb_weight_of(&c, x);
        RB_EXPECT_MSG(w < prev, "not decreasing at %g", x);
        prev = w;
    }
    /* The same formula by hand at an arbitrary point. */
    double x = 80.0;
    RB_EXPECT_NEAR(rb_weight_of(&c, x), sig((96 - x) / c.s_hi) * sig((x - 6) / c.s_lo), 1e-15);
}

RB_TEST(weights_statistics_by_hand) {
    /* Two videos: [1 2 3 4 5] and [10 20]; crop 1 = 10 x crop 0. */
    const int64_t off[3] = {0, 5, 7};
    double a[7] = {1, 2, 3, 4, 5, 10, 20}, nll[14], out[14];
    for (int i = 0; i < 7; i++) {
        nll[2 * i] = a[i];
        nll[2 * i + 1] = 10 * a[i];
    }
    const double w3[7] = {1.5, 2, 3, 4, 4.5, 15, 15};
    const double w5[7] = {2, 2.5, 3, 3.5, 4, 15, 15};
    const double vid[7] = {3, 3, 3, 3, 3, 15, 15};
    RB_EXPECT_OK(rb_weight_statistic(nll, 7, 2, off, 2, RB_WSTAT_SMOOTH, 3, out));
    for (int i = 0; i < 7; i++) {
        RB_EXPECT_NEAR(out[2 * i], w3[i], 1e-12);
        RB_EXPECT_NEAR(out[2 * i + 1], 10 * w3[i], 1e-11);
    }
    RB_EXPECT_OK(rb_weight_statistic(nll, 7, 2, off, 2, RB_WSTAT_SMOOTH, 5, out));
    for (int i = 0; i < 7; i++) RB_EXPECT_NEAR(out[2 * i], w5[i], 1e-12);
    RB_EXPECT_OK(rb_weight_statistic(nll, 7, 2, off, 2, RB_WSTAT_SMOOTH, 1, out));
    for (int i = 0; i < 14; i++) RB_EXPECT_NEAR(out[i], nll[i], 0.0);
    RB_EXPECT_OK(rb_weight_statistic(nll, 7, 2, off, 2, RB_WSTAT_VIDEO, 0, out));
    for (int i = 0; i < 7; i++) {
        RB_EXPECT_NEAR(out[2 * i], vid[i], 1e-12);
        RB_EXPECT_NEAR(out[2 * i + 1], 10 * vid[i], 1e-11);
    }
    RB_EXPECT_OK(rb_weight_statistic(nll, 7, 2, off, 2, RB_WSTAT_SNIPPET, 0, out));
    RB_EXPECT(memcmp(out, nll, sizeof nll) == 0);
    RB_EXPECT_ERR(rb_weight_statistic(nll, 7, 2, off, 2, RB_WSTAT_SMOOTH, 4, out), "odd");
    const int64_t bad[3] = {0, 5, 6};
    RB_EXPECT_ERR(rb_weight_statistic(nll, 7, 2, bad, 2, RB_WSTAT_VIDEO, 0, out), "expected 7 snippets");
    nll[9] = NAN;
    RB_EXPECT_ERR(rb_weight_statistic(nll, 7, 2, off, 2, RB_WSTAT_SNIPPET, 0, out), "snippet 4 crop 1");
}

RB_TEST(weights_fusion_by_hand) {
    const float sv[4] = {0.2f, 0.4f, 0.9f, 0.1f};
    const double wv[4] = {1.0, 0.5, 0.0, 0.25};
    const float sa[2] = {0.6f, 0.3f};
    const double wa[2] = {0.5, 0.0};
    float f[2];
    /* i0: crop0 (0.2 + 0.5*0.6)/1.5 = 1/3, crop1 (0.5*0.4 + 0.5*0.6)/1 = 0.5 -> 5/12.
     * i1: crop0 weights vanish -> (0.9 + 0.3)/2 = 0.6; crop1 0.25*0.1/0.25 = 0.1 -> 0.35. */
    RB_EXPECT_OK(rb_fuse_scores(sv, wv, 2, sa, wa, 2, f));
    RB_EXPECT_NEAR(f[0], 5.0 / 12.0, 1e-7);
    RB_EXPECT_NEAR(f[1], 0.35, 1e-7);
    /* Plain mean (shared-mean). */
    RB_EXPECT_OK(rb_fuse_scores(sv, NULL, 2, sa, NULL, 2, f));
    RB_EXPECT_NEAR(f[0], 0.45, 1e-7);
    RB_EXPECT_NEAR(f[1], 0.4, 1e-7);
    /* Audio missing: the visual crop mean; a vanished visual weight falls back to its score. */
    RB_EXPECT_OK(rb_fuse_scores(sv, wv, 2, NULL, NULL, 2, f));
    RB_EXPECT_NEAR(f[0], 0.3, 1e-7);
    RB_EXPECT_NEAR(f[1], 0.5, 1e-7);
    /* Visual missing: the audio score (n_crops ignored). */
    RB_EXPECT_OK(rb_fuse_scores(NULL, NULL, 0, sa, wa, 2, f));
    RB_EXPECT_NEAR(f[0], 0.6, 1e-7);
    RB_EXPECT_NEAR(f[1], 0.3, 1e-7);
    /* Weight scale does not matter; one modality at weight 0 is ignored. */
    const double wv2[4] = {3.0, 3.0, 3.0, 3.0}, wa0[2] = {0.0, 0.0};
    RB_EXPECT_OK(rb_fuse_scores(sv, wv2, 2, sa, wa0, 2, f));
    RB_EXPECT_NEAR(f[0], 0.3, 1e-7);
    RB_EXPECT_NEAR(f[1], 0.5, 1e-7);
    RB_EXPECT_ERR(rb_fuse_scores(NULL, NULL, 1, NULL, NULL, 2, f), "both modalities missing");
    const double neg[2] = {0.5, -0.1};
    RB_EXPECT_ERR(rb_fuse_scores(sv, wv, 2, sa, neg, 2, f), "audio weight of snippet 1");
    RB_EXPECT_NEAR(rb_weight_mean(wv, 4), 0.4375, 1e-15);
    RB_EXPECT(isnan(rb_weight_mean(wv, 0)));
}

RB_TEST(weights_holdout_split_and_row_selection) {
    uint8_t h[100], h2[100], h3[100];
    RB_EXPECT_OK(rb_weight_holdout_videos(100, 0.2, 7, 0, h));
    RB_EXPECT_OK(rb_weight_holdout_videos(100, 0.2, 7, 0, h2));
    RB_EXPECT_OK(rb_weight_holdout_videos(100, 0.2, 7, 1, h3));
    int cnt = 0, diff = 0;
    for (int i = 0; i < 100; i++) {
        cnt += h[i];
        RB_EXPECT(h[i] == h2[i]);
        diff += h[i] != h3[i];
    }
    RB_EXPECT_INT(cnt, 20);
    RB_EXPECT(diff > 0);
    RB_EXPECT_OK(rb_weight_holdout_videos(2, 0.01, 7, 0, h));
    RB_EXPECT_INT(h[0] + h[1], 1);
    RB_EXPECT_ERR(rb_weight_holdout_videos(10, 0.0, 7, 0, h), "fraction");
    RB_EXPECT_ERR(rb_weight_holdout_videos(1, 0.5, 7, 0, h), "videos");

    const int64_t off[4] = {0, 2, 5, 6};
    const uint8_t mask[3] = {1, 0, 1};
    int64_t *rows, *sub, nr, ns;
    RB_EXPECT_OK(rb_weight_select_rows(off, 3, mask, 1, 2, &rows, &nr, &sub, &ns));
    const int64_t er[6] = {0, 1, 2, 3, 10, 11}, es[3] = {0, 2, 3};
    RB_EXPECT_INT(nr, 6);
    RB_EXPECT_INT(ns, 2);
    for (int i = 0; i < 6 && i < nr; i++) RB_EXPECT_INT(rows[i], er[i]);
    for (int i = 0; i < 3; i++) RB_EXPECT_INT(sub[i], es[i]);
    free(rows);
    free(sub);
    RB_EXPECT_OK(rb_weight_select_rows(off, 3, mask, 0, 1, &rows, &nr, &sub, &ns));
    RB_EXPECT_INT(nr, 3);
    RB_EXPECT_INT(rows[0], 2);
    RB_EXPECT_INT(rows[2], 4);
    RB_EXPECT_INT(sub[1], 3);
    free(rows);
    free(sub);
}

/* features [n][d] from a 2-cluster mixture plus optional extra noise. */
static void gen_feats(float *x, int64_t n, int d, double noise, uint32_t id) {
    rb_rng r;
    rb_rng_init(&r, 3, RB_PURPOSE_TEST, id, 0, 0);
    for (int64_t i = 0; i < n; i++) {
        double centre = (i / 20) % 2 ? 2.0 : -2.0; /* one cluster per 20-snippet video */
        for (int t = 0; t < d; t++)
            x[i * d + t] = (float)(centre * (t % 2 ? 1 : -1) + 0.5 * rb_rng_normal(&r) + noise * rb_rng_normal(&r));
    }
}

RB_TEST(weights_chain_from_gmm_to_fusion) {
    const int d = 4, len = 20;
    const int64_t nv = 60, n = nv * len, nt = 20 * len;
    int64_t off[61], toff[21];
    for (int v = 0; v <= 60; v++) off[v] = (int64_t)v * len;
    for (int v = 0; v <= 20; v++) toff[v] = (int64_t)v * len;
    float *x = malloc(sizeof(float) * n * d), *xt = malloc(sizeof(float) * nt * d),
          *xc = malloc(sizeof(float) * nt * d);
    gen_feats(x, n, d, 0.0, 1);
    gen_feats(xt, nt, d, 0.0, 2);
    gen_feats(xc, nt, d, 2.0, 3); /* corrupted: extra noise */
    uint8_t hold[60];
    RB_EXPECT_OK(rb_weight_holdout_videos(nv, 0.25, 11, 0, hold));
    int64_t *fit_rows, *fit_off, nfit, nfv, *cal_rows, *cal_off, ncal, ncv;
    RB_EXPECT_OK(rb_weight_select_rows(off, nv, hold, 0, 1, &fit_rows, &nfit, &fit_off, &nfv));
    RB_EXPECT_OK(rb_weight_select_rows(off, nv, hold, 1, 1, &cal_rows, &ncal, &cal_off, &ncv));
    RB_EXPECT_INT(nfit + ncal, n);
    RB_EXPECT_INT(ncv, 15);
    rb_gmm_params gp;
    rb_gmm_params_default(&gp);
    gp.k = 2;
    rb_gmm g;
    RB_EXPECT_OK(rb_gmm_fit_rows(&g, x, d, d, fit_rows, nfit, &gp));
    double *cal = malloc(sizeof(double) * ncal), *nl = malloc(sizeof(double) * nt),
           *wc = malloc(sizeof(double) * nt), *wk = malloc(sizeof(double) * nt);
    RB_EXPECT_OK(rb_gmm_nll_rows(&g, x, d, cal_rows, ncal, cal));
    rb_weight_params wp;
    rb_weight_params_default(&wp);
    wp.statistic = RB_WSTAT_SMOOTH;
    wp.window = 3;
    rb_weight_calib c;
    RB_EXPECT_OK(rb_weight_calibrate_nll(&c, cal, ncal, 1, cal_off, ncv, &wp));
    RB_EXPECT_NEAR(c.statistic, RB_WSTAT_SMOOTH, 0.0);
    /* By construction about 5% of the held-out statistic lies above tau_hi. */
    double *st = malloc(sizeof(double) * ncal);
    RB_EXPECT_OK(rb_weight_statistic(cal, ncal, 1, cal_off, ncv, RB_WSTAT_SMOOTH, 3, st));
    int above = 0;
    for (int64_t i = 0; i < ncal; i++) above += st[i] > c.tau_hi;
    RB_EXPECT_NEAR((double)above / ncal, 0.05, 1.0 / ncal + 1e-12);
    /* Clean test data keeps high weights, corrupted data loses them. */
    RB_EXPECT_OK(rb_gmm_nll(&g, xt, nt, d, nl));
    RB_EXPECT_OK(rb_weight_from_nll(&c, nl, nt, 1, toff, 20, wk));
    RB_EXPECT_OK(rb_gmm_nll(&g, xc, nt, d, nl));
    RB_EXPECT_OK(rb_weight_from_nll(&c, nl, nt, 1, toff, 20, wc));
    double mk = rb_weight_mean(wk, nt), mc = rb_weight_mean(wc, nt);
    RB_EXPECT_MSG(mk > 0.75 && mc < 0.05, "clean mean weight %g, corrupted %g", mk, mc);
    /* Fusion then follows the clean modality. */
    float *sv = malloc(sizeof(float) * nt), *sa = malloc(sizeof(float) * nt), *f = malloc(sizeof(float) * nt);
    for (int64_t i = 0; i < nt; i++) {
        sv[i] = 0.9f; /* "corrupted" visual score */
        sa[i] = 0.1f; /* clean audio score */
    }
    RB_EXPECT_OK(rb_fuse_scores(sv, wc, 1, sa, wk, nt, f));
    double mf = 0;
    for (int64_t i = 0; i < nt; i++) mf += f[i];
    RB_EXPECT(mf / nt < 0.2);
    free(sv);
    free(sa);
    free(f);
    free(st);
    free(cal);
    free(nl);
    free(wc);
    free(wk);
    free(fit_rows);
    free(fit_off);
    free(cal_rows);
    free(cal_off);
    rb_gmm_free(&g);
    free(x);
    free(xt);
    free(xc);
}

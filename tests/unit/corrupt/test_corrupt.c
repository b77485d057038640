/* test_corrupt.c - the feature-space surrogate operators (rb_corrupt.h) on synthetic AR(1) splits:
 * argument errors, determinism and call-order independence, severity monotonicity of the distance
 * to the clean features (table printed), invariants of every family and per-video vs whole-split
 * corruption. Registry and RNG keys: test_corrupt_registry.c; hand-computed cases:
 * test_corrupt_cases.c. */
#include "rb_core.h"
#include "rb_corrupt.h"
#include "rb_test.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- synthetic splits */

/* AR(1) features, rho 0.8, per-video offsets; visual = ReLU(mu + sigma*z) (nonnegative, some exact
 * zeros), audio signed. Video lengths vary (3..47) and the last video has a single snippet. */
static void make_ar1_split(rb_split *s, uint32_t seed, int64_t n_videos, int32_t crops, int32_t dv, int32_t da) {
    int64_t *len = malloc(sizeof *len * (size_t)n_videos), total = 0;
    for (int64_t v = 0; v < n_videos; v++) {
        len[v] = v == n_videos - 1 ? 1 : 3 + (v * 17) % 45;
        total += len[v];
    }
    if (rb_split_alloc(s, n_videos, total, crops, dv, da, 1) != RB_OK) abort();
    for (int64_t v = 0; v < n_videos; v++) s->offsets[v + 1] = s->offsets[v] + len[v];
    free(len);
    rb_rng r;
    rb_rng_init(&r, seed, RB_PURPOSE_TEST, 1, 0, 0);
    double *muv = malloc(sizeof(double) * (size_t)dv), *mua = malloc(sizeof(double) * (size_t)da);
    for (int32_t d = 0; d < dv; d++) muv[d] = 0.2 + 0.6 * rb_rng_uniform(&r);
    for (int32_t d = 0; d < da; d++) mua[d] = rb_rng_uniform(&r) - 0.5;
    double *zv = malloc(sizeof(double) * (size_t)dv), *za = malloc(sizeof(double) * (size_t)da);
    const double rho = 0.8, inn = sqrt(1.0 - rho * rho);
    for (int64_t v = 0; v < n_videos; v++) {
        s->labels[v] = (uint8_t)(v % 2);
        rb_rng_init(&r, seed, RB_PURPOSE_TEST, 2, (uint32_t)v, 0);
        double bias = 0.3 * rb_rng_normal(&r);
        for (int32_t d = 0; d < dv; d++) zv[d] = rb_rng_normal(&r);
        for (int32_t d = 0; d < da; d++) za[d] = rb_rng_normal(&r);
        for (int64_t sn = s->offsets[v]; sn < s->offsets[v + 1]; sn++) {
            for (int32_t d = 0; d < dv; d++) zv[d] = rho * zv[d] + inn * rb_rng_normal(&r);
            for (int32_t d = 0; d < da; d++) za[d] = rho * za[d] + inn * rb_rng_normal(&r);
            for (int32_t c = 0; c < crops; c++) {
                float *x = rb_split_visual_at(s, sn, c);
                for (int32_t d = 0; d < dv; d++) {
                    double val = muv[d] + 0.4 * (zv[d] + bias + 0.2 * rb_rng_normal(&r));
                    x[d] = (float)(val > 0.0 ? val : 0.0);
                }
            }
            float *y = rb_split_audio_at(s, sn);
            for (int32_t d = 0; d < da; d++) y[d] = (float)(mua[d] + za[d] + bias);
            s->snippet_frames[sn] = 16;
        }
    }
    free(muv);
    free(mua);
    free(zv);
    free(za);
}

typedef struct {
    rb_split train, test;
    rb_clean_stats sv, sa;
    rb_corrupt_ctx ctx;
} fixture;

static void fixture_init(fixture *f, int64_t n_test, int32_t crops, int32_t dv, int32_t da, uint32_t run_seed) {
    make_ar1_split(&f->train, 101, 30, crops, dv, da);
    make_ar1_split(&f->test, 202, n_test, crops, dv, da);
    if (rb_clean_stats_compute(&f->train, RB_MOD_VISUAL, &f->sv) != RB_OK ||
        rb_clean_stats_compute(&f->train, RB_MOD_AUDIO, &f->sa) != RB_OK ||
        rb_corrupt_ctx_init(&f->ctx, run_seed, 3, &f->sv, &f->sa) != RB_OK) {
        fprintf(stderr, "fixture: %s\n", rb_error_message());
        abort();
    }
}

static void fixture_free(fixture *f) {
    rb_corrupt_ctx_free(&f->ctx);
    rb_clean_stats_free(&f->sv);
    rb_clean_stats_free(&f->sa);
    rb_split_free(&f->train);
    rb_split_free(&f->test);
}

static size_t split_floats(const rb_split *s, rb_modality m) {
    return m == RB_MOD_VISUAL ? (size_t)s->n_snippets * (size_t)s->n_crops * (size_t)s->d_visual
                                  : (size_t)s->n_snippets * (size_t)s->d_audio;
}
static const float *split_data(const rb_split *s, rb_modality m) {
    return m == RB_MOD_VISUAL ? s->visual : s->audio;
}

/* ---------------------------------------------------------------- argument errors */

RB_TEST(corrupt_severity_and_argument_errors) {
    fixture f;
    fixture_init(&f, 6, 2, 16, 8, 7);
    float *buf = malloc(sizeof(float) * rb_corrupt_video_floats(&f.test, RB_MOD_VISUAL));
    const rb_corruption *noise, *vmiss, *anoise;
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, "gaussian_noise", &noise));
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, "missing", &vmiss));
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_AUDIO, "gaussian_noise", &anoise));
    for (int i = 0; i < rb_corrupt_count(); i++) {
        const rb_corruption *c = rb_corrupt_at(i);
        if (c->is_missing) continue;
        RB_EXPECT_ERR(rb_corrupt_video(&f.ctx, c, 0, &f.test, 0, 0, buf), "expected 1..5, got 0");
        RB_EXPECT_ERR(rb_corrupt_video(&f.ctx, c, 6, &f.test, 0, 0, buf), "expected 1..5, got 6");
        RB_EXPECT_ERR(rb_corrupt_video(&f.ctx, c, -1, &f.test, 0, 0, buf), "severity");
    }
    RB_EXPECT_ERR(rb_corrupt_video(&f.ctx, vmiss, 1, &f.test, 0, 0, buf), "expected 0 (missing");
    RB_EXPECT_ERR(rb_corrupt_video(&f.ctx, noise, 1, &f.test, 6, 0, buf), "video index");
    RB_EXPECT_ERR(rb_corrupt_video(&f.ctx, noise, 1, &f.test, -1, 0, buf), "video index");
    RB_EXPECT_ERR(rb_corrupt_video(&f.ctx, noise, 1, &f.test, 0, 2, buf), "crop: expected 0..1, got 2");
    RB_EXPECT_ERR(rb_corrupt_video(&f.ctx, anoise, 1, &f.test, 0, 1, buf), "crop: expected 0..0, got 1");
    RB_EXPECT_ERR(rb_corrupt_video(&f.ctx, NULL, 1, &f.test, 0, 0, buf), "registry entry");
    /* missing writes zeros for severity 0 */
    int64_t T = rb_split_video_len(&f.test, 1);
    for (size_t i = 0; i < (size_t)T * 16; i++) buf[i] = 1.0f;
    RB_EXPECT_OK(rb_corrupt_video(&f.ctx, vmiss, 0, &f.test, 1, 1, buf));
    int zeros = 1;
    for (size_t i = 0; i < (size_t)T * 16; i++) zeros &= buf[i] == 0.0f;
    RB_EXPECT(zeros);
    /* a context whose statistics have another width, or no audio statistics at all */
    rb_corrupt_ctx narrow;
    RB_EXPECT_OK(rb_corrupt_ctx_init(&narrow, 7, 3, &f.sa, NULL)); /* 8-wide stats as "visual" */
    RB_EXPECT_ERR(rb_corrupt_video(&narrow, noise, 1, &f.test, 0, 0, buf), "expected 8 (the clean statistics), got 16");
    RB_EXPECT_ERR(rb_corrupt_video(&narrow, anoise, 1, &f.test, 0, 0, buf), "no clean audio statistics");
    rb_corrupt_ctx_free(&narrow);
    free(buf);
    fixture_free(&f);
}

/* ---------------------------------------------------------------- determinism */

RB_TEST(corrupt_order_independent_and_deterministic) {
    fixture f;
    fixture_init(&f, 10, 2, 24, 12, 7);
    rb_corrupt_ctx again, other_seed;
    RB_EXPECT_OK(rb_corrupt_ctx_init(&again, 7, 3, &f.sv, &f.sa));
    RB_EXPECT_OK(rb_corrupt_ctx_init(&other_seed, 8, 3, &f.sv, &f.sa));
    float *vid = malloc(sizeof(float) * rb_corrupt_video_floats(&f.test, RB_MOD_VISUAL));
    for (int i = 0; i < rb_corrupt_count(); i++) {
        const rb_corruption *c = rb_corrupt_at(i);
        const int sev = c->is_missing ? 0 : 3;
        const size_t n = split_floats(&f.test, c->modality);
        const int32_t D = c->modality == RB_MOD_VISUAL ? f.test.d_visual : f.test.d_audio;
        const int32_t ncrop = c->modality == RB_MOD_VISUAL ? f.test.n_crops : 1;
        float *fwd = malloc(sizeof(float) * n), *rev = malloc(sizeof(float) * n);
        float *rep = malloc(sizeof(float) * n), *oth = malloc(sizeof(float) * n);
        RB_EXPECT_OK(rb_corrupt_split(&f.ctx, c, sev, &f.test, fwd));
        /* reverse video order, reverse crop order, each video into the layout by hand */
        for (int64_t v = f.test.n_videos - 1; v >= 0; v--)
            for (int32_t k = ncrop - 1; k >= 0; k--) {
                RB_EXPECT_OK(rb_corrupt_video(&f.ctx, c, sev, &f.test, v, k, vid));
                for (int64_t t = 0; t < rb_split_video_len(&f.test, v); t++)
                    memcpy(rev + ((size_t)(f.test.offsets[v] + t) * (size_t)ncrop + (size_t)k) * (size_t)D,
                           vid + (size_t)t * (size_t)D, sizeof(float) * (size_t)D);
            }
        RB_EXPECT_MSG(memcmp(fwd, rev, sizeof(float) * n) == 0, "%s %s: reverse order differs",
                      rb_modality_name(c->modality), c->name);
        RB_EXPECT_OK(rb_corrupt_split(&again, c, sev, &f.test, rep));
        RB_EXPECT_MSG(memcmp(fwd, rep, sizeof(float) * n) == 0, "%s: second context differs", c->name);
        /* random corruptions depend on the seed, deterministic ones must not */
        RB_EXPECT_OK(rb_corrupt_split(&other_seed, c, sev, &f.test, oth));
        int seeded = c->op == RB_CORRUPT_OP_NOISE || c->op == RB_CORRUPT_OP_DROP_FREEZE ||
                     c->op == RB_CORRUPT_OP_DROP_ZERO || c->op == RB_CORRUPT_OP_MIX_VIDEO ||
                     c->op == RB_CORRUPT_OP_IMPULSE || c->op == RB_CORRUPT_OP_OVERLAY ||
                     c->op == RB_CORRUPT_OP_DETAIL || c->op == RB_CORRUPT_OP_QUANTISE ||
                     c->prototype == RB_CORRUPT_PROTO_FOG || c->prototype == RB_CORRUPT_PROTO_DARK;
        int same = memcmp(fwd, oth, sizeof(float) * n) == 0;
        if (strcmp(c->name, "codec") == 0) seeded = 0; /* codec: multiplier 1, dimension order unused */
        RB_EXPECT_MSG(same != seeded, "%s %s: seed dependence %d, expected %d", rb_modality_name(c->modality),
                      c->name, !same, seeded);
        free(fwd);
        free(rev);
        free(rep);
        free(oth);
    }
    free(vid);
    rb_corrupt_ctx_free(&again);
    rb_corrupt_ctx_free(&other_seed);
    fixture_free(&f);
}

/* ---------------------------------------------------------------- severity means something */

RB_TEST(corrupt_distance_grows_with_severity) {
    fixture f;
    fixture_init(&f, 24, 2, 64, 32, 7);
    printf("    relative L2 distance ||x_c - x|| / ||x|| on the AR(1) test split (and / ||x - mean||)\n");
    printf("    %-6s %-17s %8s %8s %8s %8s %8s\n", "mod", "corruption", "s1", "s2", "s3", "s4", "s5");
    for (int i = 0; i < rb_corrupt_count(); i++) {
        const rb_corruption *c = rb_corrupt_at(i);
        if (c->is_missing) continue;
        const rb_modality m = c->modality;
        const size_t n = split_floats(&f.test, m);
        const int32_t D = m == RB_MOD_VISUAL ? f.test.d_visual : f.test.d_audio;
        const float *x = split_data(&f.test, m), *mu = f.ctx.mean[m];
        float *y = malloc(sizeof(float) * n);
        double xx = 0.0, dev = 0.0, rel[RB_CORRUPT_SEVERITIES], reld[RB_CORRUPT_SEVERITIES];
        for (size_t k = 0; k < n; k++) {
            xx += (double)x[k] * x[k];
            double e = x[k] - mu[k % (size_t)D];
            dev += e * e;
        }
        for (int s = 1; s <= RB_CORRUPT_SEVERITIES; s++) {
            RB_EXPECT_OK(rb_corrupt_split(&f.ctx, c, s, &f.test, y));
            double dd = 0.0;
            for (size_t k = 0; k < n; k++) dd += ((double)y[k] - x[k]) * ((double)y[k] - x[k]);
            rel[s - 1] = sqrt(dd / xx);
            reld[s - 1] = sqrt(dd / dev);
        }
        printf("    %-6s %-17s", rb_modality_name(m), c->name);
        for (int s = 0; s < RB_CORRUPT_SEVERITIES; s++) printf(" %8.4f", rel[s]);
        printf("\n    %-6s %-17s", "", "  (/ deviation)");
        for (int s = 0; s < RB_CORRUPT_SEVERITIES; s++) printf(" %8.4f", reld[s]);
        printf("\n");
        RB_EXPECT_MSG(rel[0] > 1e-3, "%s %s: severity 1 barely changes the features (%g)",
                      rb_modality_name(m), c->name, rel[0]);
        for (int s = 1; s < RB_CORRUPT_SEVERITIES; s++)
            RB_EXPECT_MSG(rel[s] > rel[s - 1] * 1.02, "%s %s: distance %g at severity %d not above %g at %d",
                          rb_modality_name(m), c->name, rel[s], s + 1, rel[s - 1], s);
        /* severity 5 moves the features by at least half the clean variation around the mean */
        RB_EXPECT_MSG(reld[4] > 0.5, "%s %s: severity 5 distance only %g of the clean deviation",
                      rb_modality_name(m), c->name, reld[4]);
        free(y);
    }
    fixture_free(&f);
}

/* ---------------------------------------------------------------- invariants */

RB_TEST(corrupt_visual_outputs_nonnegative) {
    fixture f;
    fixture_init(&f, 12, 2, 32, 8, 9);
    RB_EXPECT_INT(f.ctx.nonnegative[RB_MOD_VISUAL], 1);
    RB_EXPECT_INT(f.ctx.nonnegative[RB_MOD_AUDIO], 0);
    const size_t n = split_floats(&f.test, RB_MOD_VISUAL);
    float *y = malloc(sizeof(float) * n);
    for (int i = 0; i < rb_corrupt_count(); i++) {
        const rb_corruption *c = rb_corrupt_at(i);
        if (c->modality != RB_MOD_VISUAL || c->is_missing) continue;
        for (int s = 1; s <= RB_CORRUPT_SEVERITIES; s++) {
            RB_EXPECT_OK(rb_corrupt_split(&f.ctx, c, s, &f.test, y));
            size_t neg = 0, nonfinite = 0;
            for (size_t k = 0; k < n; k++) {
                neg += y[k] < 0.0f;
                nonfinite += !isfinite(y[k]);
            }
            RB_EXPECT_MSG(neg == 0 && nonfinite == 0, "%s severity %d: %zu negative, %zu non-finite", c->name, s,
                          neg, nonfinite);
        }
    }
    /* Audio noise is not clamped: negative values survive (the clean audio is signed). */
    const rb_corruption *an;
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_AUDIO, "gaussian_noise", &an));
    float *ya = malloc(sizeof(float) * split_floats(&f.test, RB_MOD_AUDIO));
    RB_EXPECT_OK(rb_corrupt_split(&f.ctx, an, 5, &f.test, ya));
    size_t neg = 0;
    for (size_t k = 0; k < split_floats(&f.test, RB_MOD_AUDIO); k++) neg += ya[k] < 0.0f;
    RB_EXPECT(neg > 0);
    free(ya);
    free(y);
    fixture_free(&f);
}

RB_TEST(corrupt_noise_is_scaled_standard_normal) {
    fixture f;
    fixture_init(&f, 40, 1, 8, 16, 11);
    const rb_corruption *an;
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_AUDIO, "gaussian_noise", &an));
    const size_t n = split_floats(&f.test, RB_MOD_AUDIO);
    float *y = malloc(sizeof(float) * n), *y5 = malloc(sizeof(float) * n);
    RB_EXPECT_OK(rb_corrupt_split(&f.ctx, an, 2, &f.test, y));
    RB_EXPECT_OK(rb_corrupt_split(&f.ctx, an, 5, &f.test, y5));
    double s1 = 0, s2 = 0, maxdiff = 0;
    const double k2 = an->param[0][1], k5 = an->param[0][4];
    for (size_t i = 0; i < n; i++) {
        const size_t d = i % 16;
        double z = ((double)y[i] - f.test.audio[i]) / (k2 * f.ctx.std[1][d]);
        double z5 = ((double)y5[i] - f.test.audio[i]) / (k5 * f.ctx.std[1][d]);
        s1 += z;
        s2 += z * z;
        if (fabs(z - z5) > maxdiff) maxdiff = fabs(z - z5);
    }
    RB_EXPECT_NEAR(s1 / n, 0.0, 5.0 / sqrt((double)n));
    RB_EXPECT_NEAR(s2 / n, 1.0, 6.0 * sqrt(2.0 / n));
    RB_EXPECT(maxdiff < 1e-3); /* common random numbers: the same z at every severity */
    free(y);
    free(y5);
    fixture_free(&f);
}

RB_TEST(corrupt_clipping_bounded) {
    fixture f;
    fixture_init(&f, 12, 1, 8, 16, 9);
    const rb_corruption *c;
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_AUDIO, "clipping", &c));
    const size_t n = split_floats(&f.test, RB_MOD_AUDIO);
    float *y = malloc(sizeof(float) * n);
    for (int s = 1; s <= RB_CORRUPT_SEVERITIES; s++) {
        RB_EXPECT_OK(rb_corrupt_split(&f.ctx, c, s, &f.test, y));
        size_t bad = 0, clipped = 0;
        for (size_t i = 0; i < n; i++) {
            const size_t d = i % 16;
            float q = f.ctx.mean[1][d] + (float)c->param[0][s - 1] * f.ctx.std[1][d];
            float x = f.test.audio[i];
            float want = x < q ? x : q;
            bad += y[i] != want || y[i] > q;
            clipped += x > q;
        }
        RB_EXPECT_MSG(bad == 0, "severity %d: %zu values not min(x, q)", s, bad);
        RB_EXPECT(clipped > 0);
    }
    free(y);
    fixture_free(&f);
}

RB_TEST(corrupt_dropout_rate_and_nesting) {
    fixture f;
    fixture_init(&f, 80, 2, 8, 8, 13);
    static const char *names[2] = {"frame_drop", "packet_loss"};
    static const rb_modality mods[2] = {RB_MOD_VISUAL, RB_MOD_AUDIO};
    const int64_t S = f.test.n_snippets;
    uint8_t *prev = calloc((size_t)S, 1), *cur = calloc((size_t)S, 1);
    for (int k = 0; k < 2; k++) {
        const rb_corruption *c;
        RB_EXPECT_OK(rb_corrupt_lookup(mods[k], names[k], &c));
        const size_t n = split_floats(&f.test, mods[k]);
        const int32_t ncrop = mods[k] == RB_MOD_VISUAL ? f.test.n_crops : 1, D = 8;
        const float *x = split_data(&f.test, mods[k]);
        float *y = malloc(sizeof(float) * n);
        memset(prev, 0, (size_t)S);
        for (int s = 1; s <= RB_CORRUPT_SEVERITIES; s++) {
            RB_EXPECT_OK(rb_corrupt_split(&f.ctx, c, s, &f.test, y));
            int64_t dropped = 0, crop_mismatch = 0, bad_fill = 0, not_nested = 0;
            for (int64_t v = 0; v < f.test.n_videos; v++)
                for (int64_t sn = f.test.offsets[v]; sn < f.test.offsets[v + 1]; sn++) {
                    for (int32_t cr = 0; cr < ncrop; cr++) {
                        const float *xr = x + ((size_t)sn * ncrop + cr) * D, *yr = y + ((size_t)sn * ncrop + cr) * D;
                        int changed = memcmp(xr, yr, sizeof(float) * D) != 0;
                        if (cr == 0) cur[sn] = (uint8_t)changed;
                        else crop_mismatch += cur[sn] != changed;
                        if (!changed) continue;
                        if (k == 1) { /* packet loss: zeros */
                            for (int d = 0; d < D; d++) bad_fill += yr[d] != 0.0f;
                        } else if (sn > f.test.offsets[v]) { /* frame freeze: same as the previous output */
                            bad_fill += memcmp(yr, yr - (size_t)ncrop * D, sizeof(float) * D) != 0;
                        } else { /* first snippet dropped: the clean mean */
                            bad_fill += memcmp(yr, f.ctx.mean[0], sizeof(float) * D) != 0;
                        }
                    }
                    dropped += cur[sn];
                    not_nested += prev[sn] && !cur[sn];
                }
            const double p = c->param[0][s - 1], rate = (double)dropped / (double)S;
            RB_EXPECT_MSG(fabs(rate - p) < 4.0 * sqrt(p * (1 - p) / S) + 1e-9, "%s severity %d: drop rate %g, nominal %g",
                          c->name, s, rate, p);
            RB_EXPECT_INT(crop_mismatch, 0);
            RB_EXPECT_INT(bad_fill, 0);
            RB_EXPECT_INT(not_nested, 0);
            memcpy(prev, cur, (size_t)S);
        }
        free(y);
    }
    free(prev);
    free(cur);
    fixture_free(&f);
}

RB_TEST(corrupt_quantised_values_on_grid) {
    fixture f;
    fixture_init(&f, 10, 2, 32, 16, 9);
    static const char *names[2] = {"jpeg", "codec"};
    static const rb_modality mods[2] = {RB_MOD_VISUAL, RB_MOD_AUDIO};
    for (int k = 0; k < 2; k++) {
        const rb_corruption *c;
        RB_EXPECT_OK(rb_corrupt_lookup(mods[k], names[k], &c));
        const int m = mods[k], idx = rb_corrupt_index(c);
        const int32_t D = m == RB_MOD_VISUAL ? f.test.d_visual : f.test.d_audio;
        const size_t n = split_floats(&f.test, mods[k]);
        const float *x = split_data(&f.test, mods[k]);
        float *y = malloc(sizeof(float) * n);
        int coarse = 0;
        for (int d = 0; d < D; d++) coarse += f.ctx.rank[idx][d] >= D / 2;
        RB_EXPECT_INT(coarse, D - D / 2);
        for (int s = 1; s <= RB_CORRUPT_SEVERITIES; s++) {
            RB_EXPECT_OK(rb_corrupt_split(&f.ctx, c, s, &f.test, y));
            size_t off_grid = 0, too_far = 0, levels_used = 0;
            for (size_t i = 0; i < n; i++) {
                const int d = (int)(i % (size_t)D);
                double step = c->param[0][s - 1] * f.ctx.std[m][d] * (f.ctx.rank[idx][d] >= D / 2 ? c->param[1][s - 1] : 1.0);
                double q = y[i] / step;
                off_grid += fabs(q - nearbyint(q)) > 1e-3;
                too_far += fabs((double)y[i] - x[i]) > 0.5 * step * (1 + 1e-5);
                levels_used += nearbyint(q) != 0.0;
            }
            RB_EXPECT_MSG(off_grid == 0 && too_far == 0, "%s severity %d: %zu off the grid, %zu further than step/2",
                          c->name, s, off_grid, too_far);
            RB_EXPECT(levels_used > 0);
        }
        free(y);
    }
    fixture_free(&f);
}
RB_TEST(corrupt_split_matches_per_video) {
    fixture f;
    fixture_init(&f, 8, 3, 16, 8, 5);
    const rb_corruption *c;
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, "gaussian_noise", &c));
    float *all = malloc(sizeof(float) * split_floats(&f.test, RB_MOD_VISUAL));
    float *vid = malloc(sizeof(float) * rb_corrupt_video_floats(&f.test, RB_MOD_VISUAL));
    RB_EXPECT_OK(rb_corrupt_split(&f.ctx, c, 2, &f.test, all));
    RB_EXPECT_INT(rb_corrupt_max_video_len(&f.test), 43); /* lengths 3, 20, 37, 9, 26, 43, 15, 1 */
    int64_t v = 3;
    RB_EXPECT_OK(rb_corrupt_video(&f.ctx, c, 2, &f.test, v, 2, vid));
    int same = 1;
    for (int64_t t = 0; t < rb_split_video_len(&f.test, v); t++)
        same &= memcmp(vid + t * 16, all + ((size_t)(f.test.offsets[v] + t) * 3 + 2) * 16, 16 * sizeof(float)) == 0;
    RB_EXPECT(same);
    /* crops get independent noise: compare the noise of crop 1 with that of crop 2 */
    RB_EXPECT_OK(rb_corrupt_video(&f.ctx, c, 2, &f.test, v, 1, vid));
    int equal_noise = 0;
    for (int d = 0; d < 16; d++) {
        float n1 = vid[d] - rb_split_visual_at(&f.test, f.test.offsets[v], 1)[d];
        float n2 = all[((size_t)f.test.offsets[v] * 3 + 2) * 16 + d] - rb_split_visual_at(&f.test, f.test.offsets[v], 2)[d];
        equal_noise += n1 == n2;
    }
    RB_EXPECT(equal_noise < 8);
    free(all);
    free(vid);
    fixture_free(&f);
}

/* ---------------------------------------------------------------- spreading surrogates */

RB_TEST(corrupt_impulse_hits_a_nested_fraction_with_scaled_normals) {
    fixture f;
    fixture_init(&f, 40, 1, 8, 16, 13);
    const rb_corruption *c;
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_AUDIO, "clicks", &c));
    const int64_t S = f.test.n_snippets;
    const size_t n = split_floats(&f.test, RB_MOD_AUDIO);
    float *y[RB_CORRUPT_SEVERITIES];
    for (int s = 0; s < RB_CORRUPT_SEVERITIES; s++) {
        y[s] = malloc(sizeof(float) * n);
        RB_EXPECT_OK(rb_corrupt_split(&f.ctx, c, s + 1, &f.test, y[s]));
    }
    uint8_t *prev = calloc((size_t)S, 1);
    for (int s = 0; s < RB_CORRUPT_SEVERITIES; s++) {
        int64_t hits = 0, lost = 0;
        double s1 = 0, s2 = 0, maxdiff = 0;
        int64_t m = 0;
        for (int64_t t = 0; t < S; t++) {
            const float *x = f.test.audio + (size_t)t * 16, *yt = y[s] + (size_t)t * 16;
            const int hit = memcmp(x, yt, sizeof(float) * 16) != 0;
            hits += hit;
            lost += prev[t] && !hit; /* nested: a snippet hit at severity s is hit at every higher one */
            prev[t] = (uint8_t)hit;
            for (int d = 0; hit && d < 16; d++) {
                double z = ((double)yt[d] - x[d]) / (c->param[1][s] * f.ctx.std[1][d]);
                double z5 = ((double)y[4][(size_t)t * 16 + d] - x[d]) / (c->param[1][4] * f.ctx.std[1][d]);
                s1 += z;
                s2 += z * z;
                m++;
                if (fabs(z - z5) > maxdiff) maxdiff = fabs(z - z5);
            }
        }
        const double p = c->param[0][s];
        RB_EXPECT_MSG(fabs((double)hits / S - p) < 4.0 * sqrt(p * (1 - p) / S), "severity %d: %lld of %lld hit, p %g",
                      s + 1, (long long)hits, (long long)S, p);
        RB_EXPECT_INT(lost, 0);
        RB_EXPECT_NEAR(s1 / m, 0.0, 5.0 / sqrt((double)m));
        RB_EXPECT_NEAR(s2 / m, 1.0, 6.0 * sqrt(2.0 / m));
        RB_EXPECT(maxdiff < 1e-3); /* common random numbers: the same z at every severity */
    }
    free(prev);
    for (int s = 0; s < RB_CORRUPT_SEVERITIES; s++) free(y[s]);
    fixture_free(&f);
}

RB_TEST(corrupt_overlay_adds_another_videos_deviation) {
    fixture f;
    fixture_init(&f, 24, 1, 8, 16, 17);
    const rb_corruption *c;
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_AUDIO, "crosstalk", &c));
    const int64_t S = f.test.n_snippets;
    const size_t n = split_floats(&f.test, RB_MOD_AUDIO);
    float *y1 = malloc(sizeof(float) * n), *y5 = malloc(sizeof(float) * n);
    RB_EXPECT_OK(rb_corrupt_split(&f.ctx, c, 1, &f.test, y1));
    RB_EXPECT_OK(rb_corrupt_split(&f.ctx, c, 5, &f.test, y5));
    const double g1 = c->param[0][0], g5 = c->param[0][4];
    double maxdiff = 0, vx = 0, vy = 0;
    int64_t unmatched = 0;
    for (int64_t v = 0; v < f.test.n_videos; v++)
        for (int64_t t = f.test.offsets[v]; t < f.test.offsets[v + 1]; t++) {
            const float *x = f.test.audio + (size_t)t * 16;
            float added[16];
            for (int d = 0; d < 16; d++) {
                double a1 = (y1[(size_t)t * 16 + d] - x[d]) / g1, a5 = (y5[(size_t)t * 16 + d] - x[d]) / g5;
                if (fabs(a1 - a5) > maxdiff) maxdiff = fabs(a1 - a5); /* the same partner at every severity */
                added[d] = (float)a5 + f.ctx.mean[1][d];
                double dx = x[d] - f.ctx.mean[1][d], dy = y5[(size_t)t * 16 + d] - f.ctx.mean[1][d];
                vx += dx * dx;
                vy += dy * dy;
            }
            /* what was added is a clean row of another video, minus the clean mean */
            int found = 0;
            for (int64_t u = 0; u < S && !found; u++) {
                if (u >= f.test.offsets[v] && u < f.test.offsets[v + 1]) continue;
                double e = 0;
                for (int d = 0; d < 16; d++) e = fmax(e, fabs(added[d] - f.test.audio[(size_t)u * 16 + d]));
                found = e < 1e-3;
            }
            unmatched += !found;
        }
    RB_EXPECT(maxdiff < 1e-3);
    RB_EXPECT_INT(unmatched, 0);
    /* the spread around the clean mean grows by about 1 + g^2 (the partner is another, independent video) */
    RB_EXPECT_MSG(fabs(vy / vx - (1 + g5 * g5)) < 0.35 * (1 + g5 * g5), "spread ratio %g, expected about %g", vy / vx,
                  1 + g5 * g5);
    free(y1);
    free(y5);
    fixture_free(&f);
}

/* test_corrupt_rows.c - row-linear corruptions in another row space (rb_corrupt_video_rows): which
 * entries are row-linear; on the split's own rows with the context's mean and prototype they give
 * rb_corrupt_video bit for bit; on rows x L of a random linear map L, with the images of the mean and
 * prototype, they give rb_corrupt_video(x) L up to float rounding; other entries and bad rows are
 * refused with a message. */
#include "rb_corrupt.h"
#include "rb_core.h"
#include "rb_fixture.h"
#include "rb_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const rb_fixture_spec rb_rows_spec = {20, 10, 2, 24, 12, 8, 4, 1, 2, 31};

/* The fixture's dataset, model and corruption context (rb_fixture_inputs_open). */
static int rb_rows_setup(rb_fixture_inputs *in) {
    int ok = rb_fixture_inputs_open(&rb_rows_spec, in) == RB_OK;
    RB_EXPECT_MSG(ok, "fixture: %s", rb_error_message());
    return ok;
}

RB_TEST(corrupt_row_linear_entries_are_the_documented_ones) {
    static const char *const expected[] = {"visual motion_blur", "visual fog",    "visual low_light", "visual frame_drop",
                                           "audio reverb",       "audio packet_loss", "audio attenuation"};
    int found = 0;
    for (int i = 0; i < rb_corrupt_count(); i++) {
        const rb_corruption *c = rb_corrupt_at(i);
        char name[64];
        snprintf(name, sizeof name, "%s %s", rb_modality_name(c->modality), c->name);
        int listed = 0;
        for (size_t k = 0; k < sizeof expected / sizeof *expected; k++) listed |= strcmp(name, expected[k]) == 0;
        RB_EXPECT_MSG(rb_corrupt_row_linear(c) == listed, "%s: row-linear %d, expected %d", name, rb_corrupt_row_linear(c),
                      listed);
        found += listed;
    }
    RB_EXPECT_INT(found, 7);
    RB_EXPECT(!rb_corrupt_row_linear(NULL));
}

/* Images of v [D] under L [D][h] in double, rounded once. */
static void rb_image(const float *v, const float *L, int D, int h, float *out) {
    for (int j = 0; j < h; j++) {
        double acc = 0.0;
        for (int k = 0; k < D; k++) acc += (double)v[k] * L[(size_t)k * h + j];
        out[j] = (float)acc;
    }
}

RB_TEST(corrupt_rows_match_the_features_and_commute_with_a_linear_map) {
    rb_fixture_inputs in;
    int ok = rb_rows_setup(&in);
    const rb_split *t = &in.d.test;
    enum { H = 5 };
    size_t cap = ok ? rb_corrupt_max_video_len(t) : 0;
    const int Dmax = t->d_visual > t->d_audio ? t->d_visual : t->d_audio;
    float *got = malloc(sizeof(float) * cap * (size_t)Dmax), *want = malloc(sizeof(float) * cap * (size_t)Dmax);
    float *L = malloc(sizeof(float) * (size_t)Dmax * H), *zrows = malloc(sizeof(float) * (size_t)t->n_snippets * H);
    float *zout = malloc(sizeof(float) * cap * H), *mean_img = malloc(sizeof(float) * H), *proto_img = malloc(sizeof(float) * H);
    ok = ok && got && want && L && zrows && zout && mean_img && proto_img;
    rb_rng r;
    rb_rng_init(&r, 5, 0, 1, 2, 3);
    for (int i = 0; ok && i < Dmax * H; i++) L[i] = (float)rb_rng_normal(&r);
    double worst = 0.0;
    int checked = 0;
    for (int i = 0; ok && i < rb_corrupt_count(); i++) {
        const rb_corruption *c = rb_corrupt_at(i);
        if (!rb_corrupt_row_linear(c)) continue;
        const int mod = c->modality, D = mod == RB_MOD_VISUAL ? t->d_visual : t->d_audio;
        const int C = mod == RB_MOD_VISUAL ? t->n_crops : 1;
        const float *mean, *proto;
        RB_EXPECT_OK(rb_corrupt_linear_constants(&in.ctx, c, &mean, &proto));
        rb_image(mean, L, D, H, mean_img);
        if (proto) rb_image(proto, L, D, H, proto_img);
        for (int crop = 0; crop < C; crop++) {
            const float *base = mod == RB_MOD_VISUAL ? t->visual + (size_t)crop * D : t->audio;
            const size_t stride = (size_t)C * (size_t)D;
            for (int64_t s = 0; s < t->n_snippets; s++) rb_image(base + (size_t)s * stride, L, D, H, zrows + (size_t)s * H);
            const rb_corrupt_rows own = {base, stride, D, mean, proto};
            const rb_corrupt_rows mapped = {zrows, H, H, mean_img, proto ? proto_img : NULL};
            for (int sev = 1; sev <= 5; sev++)
                for (int64_t v = 0; v < t->n_videos; v++) {
                    const int64_t T = rb_split_video_len(t, v);
                    RB_EXPECT_OK(rb_corrupt_video(&in.ctx, c, sev, t, v, crop, want));
                    RB_EXPECT_OK(rb_corrupt_video_rows(&in.ctx, c, sev, t, v, crop, &own, got));
                    RB_EXPECT_MSG(memcmp(got, want, sizeof(float) * (size_t)T * D) == 0,
                                  "%s severity %d video %lld: own rows differ from rb_corrupt_video", c->name, sev, (long long)v);
                    RB_EXPECT_OK(rb_corrupt_video_rows(&in.ctx, c, sev, t, v, crop, &mapped, zout));
                    for (int64_t k = 0; k < T; k++) {
                        float expect[H];
                        rb_image(want + (size_t)k * D, L, D, H, expect);
                        for (int j = 0; j < H; j++) {
                            double scale = 1.0;
                            for (int q = 0; q < D; q++) scale += fabs(want[(size_t)k * D + q] * L[(size_t)q * H + j]);
                            worst = fmax(worst, fabs((double)zout[k * H + j] - expect[j]) / scale);
                        }
                    }
                    checked++;
                }
        }
    }
    printf("    row-linear corruptions mapped by a random linear map: max error %.2e of the row's |x||L|\n", worst);
    RB_EXPECT_MSG(worst < 1e-6, "corrupt(x) L and corrupt'(x L) differ by %.3e", worst);
    RB_EXPECT_MSG(!ok || checked > 0, "no row-linear entry checked");
    /* refusals */
    const rb_corruption *jpeg = NULL, *fog = NULL;
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, "jpeg", &jpeg));
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, "fog", &fog));
    if (ok) {
        const rb_corrupt_rows rows = {zrows, H, H, mean_img, proto_img};
        RB_EXPECT_ERR(rb_corrupt_video_rows(&in.ctx, jpeg, 3, t, 0, 0, &rows, zout), "row-linear");
        const float *mean, *proto;
        RB_EXPECT_ERR(rb_corrupt_linear_constants(&in.ctx, jpeg, &mean, &proto), "not a row-linear");
        const rb_corrupt_rows no_proto = {zrows, H, H, mean_img, NULL};
        RB_EXPECT_ERR(rb_corrupt_video_rows(&in.ctx, fog, 3, t, 0, 0, &no_proto, zout), "prototype");
        const rb_corrupt_rows narrow = {zrows, 2, H, mean_img, proto_img};
        RB_EXPECT_ERR(rb_corrupt_video_rows(&in.ctx, fog, 3, t, 0, 0, &narrow, zout), "stride");
        RB_EXPECT_ERR(rb_corrupt_video_rows(&in.ctx, fog, 3, t, t->n_videos, 0, &rows, zout), "video index");
    }
    free(got);
    free(want);
    free(L);
    free(zrows);
    free(zout);
    free(mean_img);
    free(proto_img);
    rb_fixture_inputs_close(&in);
}

/* Dimension-sparse entries (rb_corrupt_changed_dims): defocus_blur and low_pass; at every severity the
 * set has ceil(p0 D) ascending dims and every other dim of every corrupted row is the clean value bit
 * for bit; other entries are refused. */
RB_TEST(corrupt_changed_dims_are_the_only_ones_that_change) {
    rb_fixture_inputs in;
    int ok = rb_rows_setup(&in);
    const rb_split *t = &in.d.test;
    const int Dmax = t->d_visual > t->d_audio ? t->d_visual : t->d_audio;
    float *out = ok ? malloc(sizeof(float) * rb_corrupt_video_floats(t, RB_MOD_VISUAL) + sizeof(float) * Dmax) : NULL;
    int32_t *dims = malloc(sizeof(int32_t) * (size_t)Dmax);
    uint8_t *changed = malloc((size_t)Dmax);
    ok = ok && out && dims && changed;
    int sparse_entries = 0, checked = 0;
    for (int i = 0; ok && i < rb_corrupt_count(); i++) {
        const rb_corruption *c = rb_corrupt_at(i);
        int32_t n = -1;
        if (!rb_corrupt_dim_sparse(c)) {
            if (!c->is_missing) RB_EXPECT_ERR(rb_corrupt_changed_dims(&in.ctx, c, 3, dims, &n), "not a dimension-sparse");
            continue;
        }
        sparse_entries++;
        RB_EXPECT(strcmp(c->name, "defocus_blur") == 0 || strcmp(c->name, "low_pass") == 0);
        const int mod = c->modality, D = mod == RB_MOD_VISUAL ? t->d_visual : t->d_audio;
        const int C = mod == RB_MOD_VISUAL ? t->n_crops : 1;
        for (int sev = 1; sev <= 5; sev++) {
            RB_EXPECT_OK(rb_corrupt_changed_dims(&in.ctx, c, sev, dims, &n));
            RB_EXPECT_INT(n, (int32_t)ceil(c->param[0][sev - 1] * D - 1e-9));
            memset(changed, 0, (size_t)D);
            for (int32_t j = 0; j < n; j++) {
                RB_EXPECT(j == 0 || dims[j] > dims[j - 1]);
                changed[dims[j]] = 1;
            }
            for (int64_t v = 0; v < t->n_videos; v++)
                for (int crop = 0; crop < C; crop++) {
                    RB_EXPECT_OK(rb_corrupt_video(&in.ctx, c, sev, t, v, crop, out));
                    const float *base = mod == RB_MOD_VISUAL ? t->visual + (size_t)crop * D : t->audio;
                    for (int64_t k = 0; k < rb_split_video_len(t, v); k++) {
                        const float *x = base + (size_t)(t->offsets[v] + k) * (size_t)C * D, *y = out + (size_t)k * D;
                        for (int q = 0; q < D; q++)
                            if (!changed[q] && memcmp(&x[q], &y[q], sizeof(float)) != 0) {
                                RB_EXPECT_MSG(0, "%s severity %d: dim %d changed but is not listed", c->name, sev, q);
                                ok = 0;
                            }
                    }
                    checked++;
                }
        }
    }
    RB_EXPECT_INT(sparse_entries, 2);
    RB_EXPECT(checked > 0);
    free(out);
    free(dims);
    free(changed);
    rb_fixture_inputs_close(&in);
}

/* synth_model.c - the generative model of the synthetic dataset (docs/synthetic.md, rb_data.h):
 * seed-keyed global arrays (loadings, scene prototypes, anomaly and hard-negative directions), the
 * per-video frame-level description (length, scene, anomalous segments, hard negative) and the
 * per-video features (latents batched through sgemm, then noise and the visual rectifier). It checks
 * its parameters with synth_params.c and calls nothing of synth.c, which builds datasets on it. */
#include "rb_data.h"
#include "rb_core.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Global array ids (first counter of RB_PURPOSE_SYNTH_GLOBAL streams). */
enum { G_WV = 1, G_WA = 2, G_PROTO = 3, G_SHIFT = 4, G_ANOM_COMMON = 5, G_ANOM_CLASS = 6, G_HARDNEG = 7 };
/* Per-video sub-streams (third counter of RB_PURPOSE_SYNTH_VIDEO streams). */
enum { V_LENGTH = 0, V_SCENE = 1, V_ANOMALY = 2, V_HARDNEG = 3, V_CROPS = 4 };
/* Per-snippet kinds (third counter = snippet * 32 + kind of RB_PURPOSE_SYNTH_SNIPPET streams). */
enum { S_CROP_JITTER = 0, S_CROP_NOISE = 8, S_AUDIO_NOISE = 16, S_INNOVATION = 17, S_MODULATION = 18 };

#define RB_SYNTH_PROTO_SD 0.7     /* sd of scene prototype coordinates */
#define RB_SYNTH_CLASS_SHARE 0.5  /* share of the common violence axis in each class direction */
#define RB_SYNTH_HN_ALIGN 0.6     /* cosine of the hard-negative axis with the common violence axis */

/* Approximate standard normal from one 32-bit word: Irwin-Hall sum of its four bytes, standardised
 * (support +-3.46 sd). Used for the per-feature noise, the only draw made per feature value. */
static inline float rb_synth_fast_normal(rb_rng *r) {
    uint32_t u = rb_rng_u32(r);
    int s = (int)(u & 255u) + (int)((u >> 8) & 255u) + (int)((u >> 16) & 255u) + (int)(u >> 24);
    return ((float)s - 510.0f) * 0.0067658f; /* 1 / sqrt(4 * (256^2 - 1) / 12) */
}

static void rb_synth_unit(double *x, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += x[i] * x[i];
    s = s > 0 ? 1.0 / sqrt(s) : 0.0;
    for (int i = 0; i < n; i++) x[i] *= s;
}

static void rb_synth_normals(uint32_t seed, uint32_t array, uint32_t row, double *x, int n) {
    rb_rng r;
    rb_rng_init(&r, seed, RB_PURPOSE_SYNTH_GLOBAL, array, row, 0);
    for (int i = 0; i < n; i++) x[i] = rb_rng_normal(&r);
}

/* Category from a weight table and a uniform draw. */
static int rb_synth_pick(const double *w, int n, double u) {
    double sum = 0;
    for (int i = 0; i < n; i++) sum += w[i];
    double acc = 0, target = u * sum;
    for (int i = 0; i < n; i++) {
        acc += w[i];
        if (target < acc && w[i] > 0) return i;
    }
    for (int i = n - 1; i >= 0; i--)
        if (w[i] > 0) return i;
    return 0;
}

int rb_synth_open(rb_synth *g, const rb_synth_params *p, uint32_t seed) {
    memset(g, 0, sizeof *g);
    RB_TRY(rb_synth_check(p));
    g->p = *p;
    g->seed = seed;
    const int dv = p->d_visual, da = p->d_audio;
    g->wv = rb_malloc(sizeof(float) * (size_t)RB_SYNTH_KV * (size_t)dv, "synthetic visual loadings");
    g->bias_v = rb_malloc(sizeof(float) * (size_t)dv, "synthetic visual bias");
    g->gain_v = rb_malloc(sizeof(float) * (size_t)dv, "synthetic visual gain");
    g->wa = rb_malloc(sizeof(float) * (size_t)RB_SYNTH_KA * (size_t)da, "synthetic audio loadings");
    g->bias_a = rb_malloc(sizeof(float) * (size_t)da, "synthetic audio bias");
    g->scale_a = rb_malloc(sizeof(float) * (size_t)da, "synthetic audio scale");
    if (!g->wv || !g->bias_v || !g->gain_v || !g->wa || !g->bias_a || !g->scale_a) {
        rb_synth_close(g);
        return RB_ERR;
    }
    /* Visual feature d: gain ~ lognormal (heavy tails across features), bias ~ N(-0.5, 0.4^2), half
     * of the loadings zero (each feature reads a random subset of the latents). Row d of the draws
     * depends only on (seed, d): a 2048-wide setting extends the 1024-wide one. */
    double row[2 * RB_SYNTH_KV + 2];
    for (int d = 0; d < dv; d++) {
        rb_synth_normals(seed, G_WV, (uint32_t)d, row, 2 * RB_SYNTH_KV + 2);
        double gain = exp(0.4 * row[0]);
        g->gain_v[d] = (float)gain;
        g->bias_v[d] = (float)(-0.5 + 0.4 * row[1]);
        for (int k = 0; k < RB_SYNTH_KV; k++) {
            int keep = row[2 + RB_SYNTH_KV + k] > 0; /* sign of an independent normal: p = 1/2 */
            g->wv[(size_t)k * dv + d] = keep ? (float)(gain * sqrt(2.0 / RB_SYNTH_KV) * row[2 + k]) : 0.0f;
        }
    }
    /* Audio feature d: PCA-like decaying scale, small bias, dense loadings. */
    double arow[RB_SYNTH_KA + 1];
    for (int d = 0; d < da; d++) {
        rb_synth_normals(seed, G_WA, (uint32_t)d, arow, RB_SYNTH_KA + 1);
        double scale = 0.3 + 0.9 * exp(-(double)d / 24.0);
        g->scale_a[d] = (float)scale;
        g->bias_a[d] = (float)(0.1 * arow[0]);
        for (int k = 0; k < RB_SYNTH_KA; k++)
            g->wa[(size_t)k * da + d] = (float)(scale * sqrt(1.0 / RB_SYNTH_KA) * arow[1 + k]);
    }
    for (int s = 0; s < RB_SYNTH_N_SCENES; s++) {
        rb_synth_normals(seed, G_PROTO, (uint32_t)s, g->proto[s], RB_SYNTH_K_ALL);
        for (int k = 0; k < RB_SYNTH_K_ALL; k++) g->proto[s][k] *= RB_SYNTH_PROTO_SD;
    }
    rb_synth_normals(seed, G_SHIFT, 0, g->shift, RB_SYNTH_K_ALL);
    rb_synth_unit(g->shift, RB_SYNTH_K_ALL);
    /* Anomaly directions: unit mix of a common violence axis and a class axis, per modality. */
    double common_v[RB_SYNTH_KV], common_a[RB_SYNTH_KA], tmp[RB_SYNTH_KV];
    rb_synth_normals(seed, G_ANOM_COMMON, 0, common_v, RB_SYNTH_KV);
    rb_synth_normals(seed, G_ANOM_COMMON, 1, common_a, RB_SYNTH_KA);
    rb_synth_unit(common_v, RB_SYNTH_KV);
    rb_synth_unit(common_a, RB_SYNTH_KA);
    const double a = sqrt(RB_SYNTH_CLASS_SHARE), b = sqrt(1.0 - RB_SYNTH_CLASS_SHARE);
    for (int c = 0; c < RB_SYNTH_N_CLASSES; c++) {
        rb_synth_normals(seed, G_ANOM_CLASS, (uint32_t)(2 * c), tmp, RB_SYNTH_KV);
        rb_synth_unit(tmp, RB_SYNTH_KV);
        for (int k = 0; k < RB_SYNTH_KV; k++) g->anom_v[c][k] = a * common_v[k] + b * tmp[k];
        rb_synth_unit(g->anom_v[c], RB_SYNTH_KV);
        rb_synth_normals(seed, G_ANOM_CLASS, (uint32_t)(2 * c + 1), tmp, RB_SYNTH_KA);
        rb_synth_unit(tmp, RB_SYNTH_KA);
        for (int k = 0; k < RB_SYNTH_KA; k++) g->anom_a[c][k] = a * common_a[k] + b * tmp[k];
        rb_synth_unit(g->anom_a[c], RB_SYNTH_KA);
    }
    /* Hard negatives: the part of a random axis orthogonal to the violence axis, mixed back in at a
     * fixed cosine RB_SYNTH_HN_ALIGN. */
    const double h = RB_SYNTH_HN_ALIGN, hr = sqrt(1.0 - h * h);
    for (int m = 0; m < 2; m++) {
        int n = m == 0 ? RB_SYNTH_KV : RB_SYNTH_KA;
        const double *u = m == 0 ? common_v : common_a;
        double *out = m == 0 ? g->hardneg_v : g->hardneg_a;
        rb_synth_normals(seed, G_HARDNEG, (uint32_t)m, tmp, n);
        double dot = 0;
        for (int k = 0; k < n; k++) dot += tmp[k] * u[k];
        for (int k = 0; k < n; k++) tmp[k] -= dot * u[k];
        rb_synth_unit(tmp, n);
        for (int k = 0; k < n; k++) out[k] = h * u[k] + hr * tmp[k];
    }
    return RB_OK;
}

void rb_synth_close(rb_synth *g) {
    free(g->wv);
    free(g->bias_v);
    free(g->gain_v);
    free(g->wa);
    free(g->bias_a);
    free(g->scale_a);
    memset(g, 0, sizeof *g);
}

int64_t rb_synth_split_videos(const rb_synth *g, int split) {
    return split == RB_SYNTH_TRAIN ? g->p.n_train : split == RB_SYNTH_TEST ? g->p.n_test : 0;
}

/* Stream key of a video: (generator, split, label) in the first counter, the index within its label
 * group in the second, so a video does not move when the other group grows. */
static void rb_synth_video_key(const rb_synth *g, int split, int64_t v, uint32_t *id0, uint32_t *idx,
                               uint8_t *label) {
    int64_t n_anom = split == RB_SYNTH_TRAIN ? g->p.n_train_anomalous : g->p.n_test_anomalous;
    *label = (uint8_t)(v < n_anom);
    *idx = (uint32_t)(*label ? v : v - n_anom);
    *id0 = ((uint32_t)g->p.generator << 16) | ((uint32_t)split << 8) | *label;
}

int rb_synth_describe(const rb_synth *g, int split, int64_t v, rb_synth_video_info *info) {
    const rb_synth_params *p = &g->p;
    if ((split != RB_SYNTH_TRAIN && split != RB_SYNTH_TEST) || v < 0 || v >= rb_synth_split_videos(g, split))
        return rb_fail("synthetic video: split %d video %lld out of range", split, (long long)v);
    memset(info, 0, sizeof *info);
    uint32_t id0, idx;
    rb_synth_video_key(g, split, v, &id0, &idx, &info->label);
    rb_rng r;
    /* Length: lognormal with mean len_mean, clipped. */
    rb_rng_init(&r, g->seed, RB_PURPOSE_SYNTH_VIDEO, id0, idx, V_LENGTH);
    double mu = log(p->len_mean) - 0.5 * p->len_sigma * p->len_sigma;
    double len = exp(mu + p->len_sigma * rb_rng_normal(&r));
    if (len < p->len_min) len = p->len_min;
    if (len > p->len_max) len = p->len_max;
    const int32_t T = (int32_t)lround(len), F = T * RB_SYNTH_FRAMES;
    info->n_snippets = T;
    rb_rng_init(&r, g->seed, RB_PURPOSE_SYNTH_VIDEO, id0, idx, V_SCENE);
    info->scene = rb_synth_pick(p->scene_mix, RB_SYNTH_N_SCENES, rb_rng_uniform(&r));
    /* Anomalous segments (violent videos only). A fixed number of draws, whatever the outcome. */
    if (info->label) {
        rb_rng_init(&r, g->seed, RB_PURPOSE_SYNTH_VIDEO, id0, idx, V_ANOMALY);
        int c1 = rb_synth_pick(p->class_mix, RB_SYNTH_N_CLASSES, rb_rng_uniform(&r));
        int second = rb_rng_uniform(&r) < p->multi_class_rate;
        double rest[RB_SYNTH_N_CLASSES];
        memcpy(rest, p->class_mix, sizeof rest);
        rest[c1] = 0;
        double u2 = rb_rng_uniform(&r);
        double rest_sum = 0;
        for (int c = 0; c < RB_SYNTH_N_CLASSES; c++) rest_sum += rest[c];
        int c2 = rest_sum > 0 ? rb_synth_pick(rest, RB_SYNTH_N_CLASSES, u2) : c1;
        if (c2 == c1) second = 0;
        double f = p->anomaly_fraction * exp(0.6 * rb_rng_normal(&r) - 0.18);
        if (f < 0.02) f = 0.02;
        if (f > 0.9) f = 0.9;
        int32_t A = (int32_t)lround(f * F), amax = (int32_t)(0.9 * F);
        if (A < 8) A = 8;
        if (A > amax) A = amax;
        int k = 1 + (int)rb_rng_below(&r, (uint32_t)p->max_segments);
        while (k > 1 && A / k < 8) k--;
        double wseg[RB_SYNTH_MAX_SEGMENTS], wgap[RB_SYNTH_MAX_SEGMENTS + 1], sseg = 0, sgap = 0;
        for (int i = 0; i < RB_SYNTH_MAX_SEGMENTS; i++) wseg[i] = 0.5 + rb_rng_uniform(&r);
        for (int i = 0; i <= RB_SYNTH_MAX_SEGMENTS; i++) wgap[i] = rb_rng_uniform(&r);
        for (int i = 0; i < k; i++) sseg += wseg[i];
        for (int i = 0; i <= k; i++) sgap += wgap[i];
        int32_t L[RB_SYNTH_MAX_SEGMENTS], G[RB_SYNTH_MAX_SEGMENTS + 1], used = 0, R = F - A, gused = 0;
        for (int i = 0; i < k; i++) {
            L[i] = i == k - 1 ? A - used : (int32_t)floor(A * wseg[i] / sseg);
            if (L[i] < 1) L[i] = 1;
            used += L[i];
        }
        for (int i = 0; i <= k; i++) {
            G[i] = i == k ? R - gused : (int32_t)floor(R * wgap[i] / sgap);
            gused += G[i];
        }
        int32_t pos = G[0];
        info->n_segments = k;
        for (int i = 0; i < RB_SYNTH_MAX_SEGMENTS; i++) {
            double inten = exp(0.5 * rb_rng_normal(&r) - 0.125);
            double jv = exp(0.3 * rb_rng_normal(&r) - 0.045), ja = exp(0.3 * rb_rng_normal(&r) - 0.045);
            if (i >= k) continue;
            int c = second && (i % 2 == 1) ? c2 : c1;
            info->seg_start[i] = pos;
            info->seg_end[i] = pos + L[i];
            pos += L[i] + G[i + 1];
            info->seg_class[i] = c;
            info->seg_visual[i] = p->class_visual[c] * inten * jv;
            info->seg_audio[i] = p->class_audio[c] * inten * ja;
        }
        info->classes[0] = c1;
        info->n_classes = 1;
        if (second && k >= 2) {
            info->classes[1] = c2;
            info->n_classes = 2;
        }
    }
    /* Hard negative: fast motion, loud audio, or both, over 30-100 % of the video. */
    rb_rng_init(&r, g->seed, RB_PURPOSE_SYNTH_VIDEO, id0, idx, V_HARDNEG);
    double u = rb_rng_uniform(&r);
    int type = (int)rb_rng_below(&r, 3);
    double span = 0.3 + 0.7 * rb_rng_uniform(&r), us = rb_rng_uniform(&r);
    double hs = p->hard_negative_strength * exp(0.3 * rb_rng_normal(&r) - 0.045);
    info->hn_type = -1;
    if (u < p->hard_negative_rate && hs > 0) {
        int32_t H = (int32_t)lround(span * F);
        if (H < RB_SYNTH_FRAMES) H = RB_SYNTH_FRAMES;
        if (H > F) H = F;
        info->hn_type = type;
        info->hn_start = (int32_t)floor(us * (F - H + 1));
        if (info->hn_start > F - H) info->hn_start = F - H;
        info->hn_end = info->hn_start + H;
        info->hn_strength = hs;
    }
    return RB_OK;
}

static int32_t rb_synth_overlap(int32_t a0, int32_t a1, int32_t b0, int32_t b1) {
    int32_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
    return hi > lo ? hi - lo : 0;
}

/* Smooth rectifier of the visual features: "squareplus" (x + sqrt(x^2 + b)) / 2 with b = 1/4, a
 * softplus-like curve (0.25 at 0, 0.06 at -1, 0.03 at -2, ~x for large x) at the cost of one sqrt. */
static inline float rb_synth_rectify(float x) {
    return 0.5f * (x + sqrtf(x * x + 0.25f));
}

int rb_synth_video(const rb_synth *g, int split, int64_t v, float *visual, float *audio,
                   int32_t *snippet_pos, int32_t *snippet_frames) {
    const rb_synth_params *p = &g->p;
    rb_synth_video_info info;
    RB_TRY(rb_synth_describe(g, split, v, &info));
    uint32_t id0, idx;
    uint8_t label;
    rb_synth_video_key(g, split, v, &id0, &idx, &label);
    const int T = info.n_snippets, C = p->n_crops, D = p->d_visual, DA = p->d_audio;
    const int KV = RB_SYNTH_KV, KA = RB_SYNTH_KA, KS = RB_SYNTH_K_SHARED;
    float *zv = rb_malloc(sizeof(float) * (size_t)T * C * KV, "synthetic visual latents");
    float *za = rb_malloc(sizeof(float) * (size_t)T * KA, "synthetic audio latents");
    if (!zv || !za) {
        free(zv);
        free(za);
        return RB_ERR;
    }
    rb_rng r;
    /* Scene latent: prototype + setting shift + per-video deviation (same stream as the scene pick). */
    double scene[RB_SYNTH_K_ALL], q[RB_SYNTH_K_ALL];
    rb_rng_init(&r, g->seed, RB_PURPOSE_SYNTH_VIDEO, id0, idx, V_SCENE);
    (void)rb_rng_uniform(&r);
    for (int k = 0; k < RB_SYNTH_K_ALL; k++)
        scene[k] = g->proto[info.scene][k] + p->scene_shift * g->shift[k] + p->scene_scale * rb_rng_normal(&r);
    /* Crop visibility of the event: centre crop 1, others 0.7..1. */
    double kappa[RB_SYNTH_MAX_CROPS];
    rb_rng_init(&r, g->seed, RB_PURPOSE_SYNTH_VIDEO, id0, idx, V_CROPS);
    for (int c = 0; c < RB_SYNTH_MAX_CROPS; c++) {
        double uu = rb_rng_uniform(&r);
        kappa[c] = c == 0 ? 1.0 : 1.0 - 0.3 * uu;
    }
    const double rho = p->temporal_rho, rho_a = rho * rho;
    const double in_v = sqrt(1.0 - rho * rho), in_a = sqrt(1.0 - rho_a * rho_a);
    const double sh_common = sqrt(RB_SYNTH_SHARED_CORR), sh_private = sqrt(1.0 - RB_SYNTH_SHARED_CORR);
    for (int t = 0; t < T; t++) {
        const uint32_t sid = (uint32_t)t * 32u;
        /* AR(1) latents, stationary with unit variance; audio-only factors decorrelate faster. */
        rb_rng_init(&r, g->seed, RB_PURPOSE_SYNTH_SNIPPET, id0, idx, sid + S_INNOVATION);
        for (int k = 0; k < RB_SYNTH_K_ALL; k++) {
            double e = rb_rng_normal(&r);
            if (t == 0) q[k] = e;
            else if (k < KV) q[k] = rho * q[k] + in_v * e;
            else q[k] = rho_a * q[k] + in_a * e;
        }
        rb_rng_init(&r, g->seed, RB_PURPOSE_SYNTH_SNIPPET, id0, idx, sid + S_MODULATION);
        double mod = 1.0 + 0.25 * rb_rng_normal(&r);
        if (mod < 0) mod = 0;
        const int32_t f0 = t * RB_SYNTH_FRAMES, f1 = f0 + RB_SYNTH_FRAMES;
        double av[RB_SYNTH_KV] = {0}, aa[RB_SYNTH_KA] = {0};
        int32_t pos = 0;
        for (int i = 0; i < info.n_segments; i++) {
            int32_t ov = rb_synth_overlap(info.seg_start[i], info.seg_end[i], f0, f1);
            if (!ov) continue;
            pos += ov;
            double frac = (double)ov / RB_SYNTH_FRAMES * mod;
            double sv = p->visual_strength * frac * info.seg_visual[i];
            double sa = p->audio_strength * frac * info.seg_audio[i];
            for (int k = 0; k < KV; k++) av[k] += sv * g->anom_v[info.seg_class[i]][k];
            for (int k = 0; k < KA; k++) aa[k] += sa * g->anom_a[info.seg_class[i]][k];
        }
        if (info.hn_type >= 0) {
            int32_t ov = rb_synth_overlap(info.hn_start, info.hn_end, f0, f1);
            double s = info.hn_strength * ov / RB_SYNTH_FRAMES;
            if (ov && info.hn_type != 1)
                for (int k = 0; k < KV; k++) av[k] += s * g->hardneg_v[k];
            if (ov && info.hn_type != 0)
                for (int k = 0; k < KA; k++) aa[k] += s * g->hardneg_a[k];
        }
        if (snippet_pos) snippet_pos[t] = pos;
        if (snippet_frames) snippet_frames[t] = RB_SYNTH_FRAMES;
        for (int c = 0; c < C; c++) {
            float *z = zv + ((size_t)c * T + t) * KV; /* crop-major: one product per crop below */
            for (int k = 0; k < KV; k++) z[k] = (float)(scene[k] + q[k] + kappa[c] * av[k]);
            if (c > 0 && p->crop_jitter > 0) {
                rb_rng_init(&r, g->seed, RB_PURPOSE_SYNTH_SNIPPET, id0, idx, sid + S_CROP_JITTER + (uint32_t)c);
                for (int k = 0; k < KV; k++) z[k] += (float)(p->crop_jitter * rb_rng_normal(&r));
            }
        }
        /* Audio latents: the shared block as seen by audio (partly private), then audio-only. */
        float *y = za + (size_t)t * KA;
        for (int k = 0; k < KS; k++) {
            const int pk = KV + RB_SYNTH_K_AUDIO + k;
            y[k] = (float)(sh_common * (scene[k] + q[k]) + sh_private * (scene[pk] + q[pk]) + aa[k]);
        }
        for (int k = KS; k < KA; k++) y[k] = (float)(scene[KV + k - KS] + q[KV + k - KS] + aa[k]);
    }
    /* Latents -> features: all snippets of the video in one product per crop (strided into the
     * [snippet][crop][d] rows), so crop 0 is bit-identical whatever the number of crops. */
    for (int c = 0; c < C; c++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, D, KV, 1.0f, zv + (size_t)c * T * KV, KV,
                    g->wv, D, 0.0f, visual + (size_t)c * D, C * D);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, DA, KA, 1.0f, za, KA, g->wa, DA, 0.0f, audio, DA);
    const float nz = (float)p->noise;
    for (int t = 0; t < T; t++) {
        for (int c = 0; c < C; c++) {
            float *x = visual + ((size_t)t * C + c) * D;
            rb_rng_init(&r, g->seed, RB_PURPOSE_SYNTH_SNIPPET, id0, idx, (uint32_t)t * 32u + S_CROP_NOISE + (uint32_t)c);
            for (int d = 0; d < D; d++)
                x[d] = rb_synth_rectify(x[d] + g->bias_v[d] + nz * g->gain_v[d] * rb_synth_fast_normal(&r));
        }
        float *y = audio + (size_t)t * DA;
        rb_rng_init(&r, g->seed, RB_PURPOSE_SYNTH_SNIPPET, id0, idx, (uint32_t)t * 32u + S_AUDIO_NOISE);
        for (int d = 0; d < DA; d++) y[d] += g->bias_a[d] + nz * g->scale_a[d] * rb_synth_fast_normal(&r);
    }
    free(zv);
    free(za);
    return RB_OK;
}

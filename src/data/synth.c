/* synth.c - synthetic dataset generator: parameter defaults and checks per setting (xdv, ucf), video
 * names, split layout and the whole-dataset driver. The generative model itself is in synth_model.c,
 * the calibration probe in synth_probe.c; docs/synthetic.md describes all three. */
#include "rb_data.h"
#include "rb_core.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Class order: the six XD-Violence classes with their label codes. */
static const char *const rb_synth_class_names[RB_SYNTH_N_CLASSES] = {
    "fight", "shooting", "riot", "abuse", "car_accident", "explosion"};
static const char *const rb_synth_class_codes[RB_SYNTH_N_CLASSES] = {"B1", "B2", "B4", "B5", "B6", "G"};
/* UCF-Crime-style folder names used for the ucf setting's video names. */
static const char *const rb_synth_ucf_names[RB_SYNTH_N_CLASSES] = {
    "Fighting", "Shooting", "Riot", "Abuse", "RoadAccidents", "Explosion"};

const char *rb_synth_class_name(int c) {
    return c >= 0 && c < RB_SYNTH_N_CLASSES ? rb_synth_class_names[c] : "unknown";
}
const char *rb_synth_class_code(int c) {
    return c >= 0 && c < RB_SYNTH_N_CLASSES ? rb_synth_class_codes[c] : "?";
}
const char *rb_synth_generator_name(int32_t generator) {
    return generator == RB_SYNTH_XDV ? "xdv" : generator == RB_SYNTH_UCF ? "ucf" : NULL;
}

static void rb_synth_set6(double *dst, double a, double b, double c, double d, double e, double f) {
    dst[0] = a, dst[1] = b, dst[2] = c, dst[3] = d, dst[4] = e, dst[5] = f;
}

int rb_synth_defaults(rb_synth_params *p, const char *generator) {
    memset(p, 0, sizeof *p);
    if (!generator || (strcmp(generator, "xdv") && strcmp(generator, "ucf")))
        return rb_fail("synthetic generator: expected \"xdv\" or \"ucf\", got \"%s\"",
                       generator ? generator : "(null)");
    /* Common to both settings: widths, crops, difficulty knobs, dynamics. */
    p->n_crops = 1;
    p->d_visual = 1024;
    p->d_audio = 128;
    p->max_segments = 3;
    p->visual_strength = 6.5;
    p->audio_strength = 4.5;
    p->noise = 0.5;
    p->hard_negative_rate = 0.3;
    p->hard_negative_strength = 1.5;
    p->scene_scale = 0.6;
    p->crop_jitter = 0.3;
    /* fight, shooting, riot, abuse, car accident, explosion */
    rb_synth_set6(p->class_visual, 1.0, 0.55, 0.9, 1.0, 1.0, 0.8);
    rb_synth_set6(p->class_audio, 0.5, 1.3, 0.9, 0.3, 0.6, 1.4);
    if (!strcmp(generator, "xdv")) {
        p->generator = RB_SYNTH_XDV;
        /* XD-Violence ratios (train 1,905/3,954 violent, test 500/800) at the default-run scale. */
        p->n_train = 400;
        p->n_train_anomalous = 193;
        p->n_test = 200;
        p->n_test_anomalous = 125;
        p->len_mean = 100.0;
        p->len_sigma = 0.8;
        p->len_min = 8;
        p->len_max = 1000;
        p->anomaly_fraction = 0.22;
        p->multi_class_rate = 0.2;
        p->scene_shift = 0.0;
        p->temporal_rho = 0.9;
        rb_synth_set6(p->class_mix, 0.25, 0.22, 0.14, 0.07, 0.12, 0.20);
        for (int s = 0; s < RB_SYNTH_N_SCENES; s++) p->scene_mix[s] = 1.0;
    } else {
        p->generator = RB_SYNTH_UCF;
        /* UCF-Crime ratios (train 810/1,610 anomalous, test 140/290): longer surveillance videos, a
         * smaller anomalous fraction, few scene types, quiet audio. */
        p->n_train = 200;
        p->n_train_anomalous = 100;
        p->n_test = 120;
        p->n_test_anomalous = 58;
        p->len_mean = 220.0;
        p->len_sigma = 0.9;
        p->len_min = 16;
        p->len_max = 2000;
        p->anomaly_fraction = 0.12;
        p->max_segments = 2;
        p->multi_class_rate = 0.05;
        p->scene_shift = 2.0;
        p->temporal_rho = 0.95;
        rb_synth_set6(p->class_mix, 0.22, 0.08, 0.15, 0.17, 0.23, 0.15);
        rb_synth_set6(p->class_visual, 0.9, 0.45, 0.8, 0.8, 1.1, 0.9);
        rb_synth_set6(p->class_audio, 0.25, 0.8, 0.5, 0.15, 0.35, 0.9);
        static const double ucf_scenes[RB_SYNTH_N_SCENES] = {4.0, 3.0, 1.0, 0.5, 0.5, 0.2, 0.2, 0.1};
        memcpy(p->scene_mix, ucf_scenes, sizeof ucf_scenes);
    }
    return RB_OK;
}

static int rb_synth_check_range(const char *name, double x, double lo, double hi) {
    if (!isfinite(x) || x < lo || x > hi)
        return rb_fail("synthetic parameter %s: expected a value in [%g, %g], got %g", name, lo, hi, x);
    return RB_OK;
}

static int rb_synth_check_table(const char *name, const double *t, int n, int need_positive_sum) {
    double sum = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(t[i]) || t[i] < 0 || t[i] > 1e6)
            return rb_fail("synthetic parameter %s[%d]: expected a finite value >= 0, got %g", name, i, t[i]);
        sum += t[i];
    }
    if (need_positive_sum && !(sum > 0))
        return rb_fail("synthetic parameter %s: expected at least one positive entry", name);
    return RB_OK;
}

int rb_synth_check(const rb_synth_params *p) {
    if (!rb_synth_generator_name(p->generator))
        return rb_fail("synthetic parameter generator: expected 0 (xdv) or 1 (ucf), got %d", p->generator);
    const double max_videos = 1e9;
    RB_TRY(rb_synth_check_range("n_train", (double)p->n_train, 0, max_videos));
    RB_TRY(rb_synth_check_range("n_train_anomalous", (double)p->n_train_anomalous, 0, (double)p->n_train));
    RB_TRY(rb_synth_check_range("n_test", (double)p->n_test, 1, max_videos));
    RB_TRY(rb_synth_check_range("n_test_anomalous", (double)p->n_test_anomalous, 0, (double)p->n_test));
    RB_TRY(rb_synth_check_range("n_crops", p->n_crops, 1, RB_SYNTH_MAX_CROPS));
    RB_TRY(rb_synth_check_range("d_visual", p->d_visual, 1, 65536));
    RB_TRY(rb_synth_check_range("d_audio", p->d_audio, 1, 65536));
    RB_TRY(rb_synth_check_range("len_mean", p->len_mean, 1, 1e6));
    RB_TRY(rb_synth_check_range("len_sigma", p->len_sigma, 0, 3));
    RB_TRY(rb_synth_check_range("len_min", p->len_min, 2, 1 << 24));
    RB_TRY(rb_synth_check_range("len_max", p->len_max, p->len_min, 1 << 24));
    RB_TRY(rb_synth_check_range("anomaly_fraction", p->anomaly_fraction, 0.01, 0.9));
    RB_TRY(rb_synth_check_range("max_segments", p->max_segments, 1, RB_SYNTH_MAX_SEGMENTS));
    RB_TRY(rb_synth_check_range("multi_class_rate", p->multi_class_rate, 0, 1));
    RB_TRY(rb_synth_check_range("visual_strength", p->visual_strength, 0, 100));
    RB_TRY(rb_synth_check_range("audio_strength", p->audio_strength, 0, 100));
    RB_TRY(rb_synth_check_range("noise", p->noise, 0, 100));
    RB_TRY(rb_synth_check_range("hard_negative_rate", p->hard_negative_rate, 0, 1));
    RB_TRY(rb_synth_check_range("hard_negative_strength", p->hard_negative_strength, 0, 100));
    RB_TRY(rb_synth_check_range("scene_scale", p->scene_scale, 0, 100));
    RB_TRY(rb_synth_check_range("scene_shift", p->scene_shift, 0, 100));
    RB_TRY(rb_synth_check_range("temporal_rho", p->temporal_rho, 0, 0.999));
    RB_TRY(rb_synth_check_range("crop_jitter", p->crop_jitter, 0, 100));
    RB_TRY(rb_synth_check_table("class_mix", p->class_mix, RB_SYNTH_N_CLASSES, 1));
    RB_TRY(rb_synth_check_table("class_visual", p->class_visual, RB_SYNTH_N_CLASSES, 0));
    RB_TRY(rb_synth_check_table("class_audio", p->class_audio, RB_SYNTH_N_CLASSES, 0));
    RB_TRY(rb_synth_check_table("scene_mix", p->scene_mix, RB_SYNTH_N_SCENES, 1));
    return RB_OK;
}

/* ---- names ---- */

/* splitmix64 finaliser: a bijection of 64-bit words, so distinct keys give distinct names. */
static uint64_t rb_synth_mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* "B1-0-0", "B2-G-0" or "A". */
static void rb_synth_label_code(const rb_synth_video_info *info, char *out, size_t cap) {
    if (!info->label) {
        snprintf(out, cap, "A");
        return;
    }
    const char *c0 = rb_synth_class_code(info->classes[0]);
    const char *c1 = info->n_classes > 1 ? rb_synth_class_code(info->classes[1]) : "0";
    snprintf(out, cap, "%s-%s-0", c0, c1);
}

int rb_synth_video_name(const rb_synth *g, int split, int64_t v, char *buf, size_t cap) {
    rb_synth_video_info info;
    RB_TRY(rb_synth_describe(g, split, v, &info));
    int64_t n_anom = split == RB_SYNTH_TRAIN ? g->p.n_train_anomalous : g->p.n_test_anomalous;
    int64_t idx = info.label ? v : v - n_anom;
    char code[32];
    rb_synth_label_code(&info, code, sizeof code);
    int n;
    if (g->p.generator == RB_SYNTH_UCF) {
        const char *folder = info.label ? rb_synth_ucf_names[info.classes[0]] : "Normal_Videos_";
        n = snprintf(buf, cap, "%s%s%04lld_x264_label_%s", folder, split == RB_SYNTH_TRAIN ? "train" : "test",
                     (long long)idx, code);
    } else {
        /* YouTube-style id: 11 base64url characters of a bijective scramble of the video key. */
        static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        uint64_t key = ((uint64_t)(uint32_t)g->p.generator << 48) | ((uint64_t)(uint32_t)split << 44) |
                       ((uint64_t)info.label << 40) | (uint64_t)idx;
        uint64_t h = rb_synth_mix64(key);
        char id[12];
        for (int i = 0; i < 11; i++) id[i] = b64[(h >> (6 * i)) & 63];
        id[11] = 0;
        n = snprintf(buf, cap, "v=%s__#1_label_%s", id, code);
    }
    if (n < 0 || (size_t)n >= cap)
        return rb_fail("synthetic video name: buffer of %zu bytes too small (need %d)", cap, n + 1);
    return RB_OK;
}

/* ---- layout and driver ---- */

int rb_synth_split_offsets(const rb_synth *g, int split, int64_t *offsets) {
    int64_t n = rb_synth_split_videos(g, split);
    offsets[0] = 0;
    for (int64_t v = 0; v < n; v++) {
        rb_synth_video_info info;
        RB_TRY(rb_synth_describe(g, split, v, &info));
        offsets[v + 1] = offsets[v] + info.n_snippets;
    }
    return RB_OK;
}

double rb_synth_bytes(const rb_synth *g, int64_t *n_snippets) {
    int64_t total = 0;
    for (int split = 0; split < 2; split++) {
        int64_t n = rb_synth_split_videos(g, split);
        for (int64_t v = 0; v < n; v++) {
            rb_synth_video_info info;
            if (rb_synth_describe(g, split, v, &info) == RB_OK) total += info.n_snippets;
        }
    }
    if (n_snippets) *n_snippets = total;
    return (double)total * 4.0 * ((double)g->p.n_crops * g->p.d_visual + g->p.d_audio);
}

static int rb_synth_fill_split(const rb_synth *g, int split, rb_split *s) {
    int64_t n = rb_synth_split_videos(g, split);
    int64_t *off = rb_malloc(((size_t)n + 1) * sizeof *off, "synthetic offsets");
    if (!off) return RB_ERR;
    if (rb_synth_split_offsets(g, split, off) != RB_OK) {
        free(off);
        return RB_ERR;
    }
    int with_truth = split == RB_SYNTH_TEST;
    if (rb_split_alloc(s, n, off[n], g->p.n_crops, g->p.d_visual, g->p.d_audio, with_truth) != RB_OK) {
        free(off);
        return RB_ERR;
    }
    memcpy(s->offsets, off, ((size_t)n + 1) * sizeof *off);
    free(off);
    char name[160];
    for (int64_t v = 0; v < n; v++) {
        int64_t o = s->offsets[v];
        RB_TRY(rb_synth_video_name(g, split, v, name, sizeof name));
        if (!(s->names[v] = rb_strdup(name, "synthetic video name"))) return RB_ERR;
        s->labels[v] = (uint8_t)(v < (split == RB_SYNTH_TRAIN ? g->p.n_train_anomalous : g->p.n_test_anomalous));
        RB_TRY_CTX(rb_synth_video(g, split, v, rb_split_visual_at(s, o, 0), rb_split_audio_at(s, o),
                                  with_truth ? s->snippet_pos + o : NULL,
                                  with_truth ? s->snippet_frames + o : NULL),
                   "video %s", name);
    }
    return RB_OK;
}

int rb_synth_generate(const rb_synth_params *p, uint32_t seed, rb_dataset *out) {
    memset(out, 0, sizeof *out);
    rb_synth g;
    RB_TRY_CTX(rb_synth_open(&g, p, seed), "synthetic dataset");
    const char *gen = rb_synth_generator_name(p->generator);
    char name[32], source[32];
    snprintf(name, sizeof name, "%s-like", gen);
    snprintf(source, sizeof source, "synth:%s", gen);
    out->frames_per_snippet = RB_SYNTH_FRAMES;
    int rc = RB_ERR;
    if (!(out->name = rb_strdup(name, "dataset name")) || !(out->source = rb_strdup(source, "dataset source")))
        goto done;
    if (rb_synth_fill_split(&g, RB_SYNTH_TRAIN, &out->train) != RB_OK) {
        rb_context("synthetic %s dataset: train split", gen);
        goto done;
    }
    if (rb_synth_fill_split(&g, RB_SYNTH_TEST, &out->test) != RB_OK) {
        rb_context("synthetic %s dataset: test split", gen);
        goto done;
    }
    rc = RB_OK;
done:
    rb_synth_close(&g);
    if (rc != RB_OK) rb_dataset_free(out);
    return rc;
}

/* synth_params.c - the parameters of the synthetic dataset generator (rb_data.h, docs/synthetic.md):
 * the defaults of each setting (xdv, ucf), the range check of every field, and the generator and
 * event-class names. The lowest of the synth files: synth_model.c (the generative model) checks its
 * parameters here, and synth.c (video names, split layout, whole-dataset driver) builds on both. */
#include "rb_data.h"
#include "rb_core.h"

#include <math.h>
#include <string.h>

/* Class order: the six XD-Violence classes with their label codes. */
static const char *const rb_synth_class_names[RB_SYNTH_N_CLASSES] = {
    "fight", "shooting", "riot", "abuse", "car_accident", "explosion"};
static const char *const rb_synth_class_codes[RB_SYNTH_N_CLASSES] = {"B1", "B2", "B4", "B5", "B6", "G"};

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

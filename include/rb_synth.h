/* rb_synth.h - the synthetic XD-Violence-shaped dataset generator behind `robusta synth`.
 *
 * A latent-factor generative model (docs/synthetic.md has the equations): per-video scene latents,
 * AR(1) temporal latents, visual features = a smooth rectifier (squareplus, softplus-like) of a
 * sparse linear map of the latents (I3D-like, nonnegative), audio = a linear map of latents partly
 * shared with the video plus audio-only factors (VGGish-like, post-PCA), anomalous segments at frame
 * resolution whose signal enters each snippet in proportion to its overlap, six event classes with
 * per-modality visibility, and hard negatives.
 *
 * Two settings share every global draw (loadings, anomaly directions, scene prototypes) for a given
 * seed: "xdv" (XD-Violence-like) and "ucf" (shifted scenes, class mix, lengths: the zero-shot row).
 *
 * Determinism: global arrays come from stream (seed, RB_PURPOSE_SYNTH_GLOBAL) only; a video's draws
 * are keyed by (seed, generator, split, label, index within its label group), so a video's features
 * do not depend on the other videos, the generation order, or how many videos are generated.
 * Visual row layout matches rb_split: visual[snippet][crop][d]. */
#ifndef RB_SYNTH_H
#define RB_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "rb_dataset.h"

enum { RB_SYNTH_XDV = 0, RB_SYNTH_UCF = 1 };    /* generator ids (part of every video's stream key) */
enum { RB_SYNTH_TRAIN = 0, RB_SYNTH_TEST = 1 }; /* split ids */

#define RB_SYNTH_FRAMES 16       /* frames per snippet */
#define RB_SYNTH_N_CLASSES 6     /* fight, shooting, riot, abuse, car accident, explosion */
#define RB_SYNTH_N_SCENES 8      /* scene prototypes */
#define RB_SYNTH_MAX_SEGMENTS 3  /* anomalous segments per violent video, at most */
#define RB_SYNTH_MAX_CROPS 8
#define RB_SYNTH_K_SHARED 16     /* latent factors seen by both modalities */
#define RB_SYNTH_K_VISUAL 32     /* visual-only latent factors */
#define RB_SYNTH_K_AUDIO 16      /* audio-only latent factors */
#define RB_SYNTH_KV (RB_SYNTH_K_SHARED + RB_SYNTH_K_VISUAL)
#define RB_SYNTH_KA (RB_SYNTH_K_SHARED + RB_SYNTH_K_AUDIO)
/* All latents of a snippet: shared, visual-only, audio-only, and the audio's private view of the shared
 * block (audio sees shared = sqrt(c) * common + sqrt(1-c) * private, c = RB_SYNTH_SHARED_CORR). */
#define RB_SYNTH_K_ALL (2 * RB_SYNTH_K_SHARED + RB_SYNTH_K_VISUAL + RB_SYNTH_K_AUDIO)
#define RB_SYNTH_SHARED_CORR 0.5

/* Generator parameters. The scalar fields are the config knobs (docs/synthetic.md lists meaning and
 * defaults per generator); the tables at the end are set by rb_synth_defaults per generator. */
typedef struct {
    int32_t generator;          /* RB_SYNTH_XDV or RB_SYNTH_UCF (set by rb_synth_defaults) */
    /* shape */
    int64_t n_train, n_train_anomalous; /* train videos; the first n_train_anomalous are violent */
    int64_t n_test, n_test_anomalous;   /* test videos; the first n_test_anomalous are violent */
    int32_t n_crops;            /* visual crops (1 or 5 usual; crop 0 = centre) */
    int32_t d_visual;           /* visual width (1024 I3D release, 2048 ResNet-I3D) */
    int32_t d_audio;            /* audio width (128 VGGish) */
    /* video lengths in snippets: lognormal with this mean and log-sd, clipped to [len_min, len_max] */
    double len_mean, len_sigma;
    int32_t len_min, len_max;
    /* anomalies */
    double anomaly_fraction;    /* mean fraction of a violent video's frames that are anomalous */
    int32_t max_segments;       /* 1..RB_SYNTH_MAX_SEGMENTS anomalous segments per violent video */
    double multi_class_rate;    /* probability that a violent video has a second event class */
    /* difficulty */
    double visual_strength;     /* anomaly shift in visual latent space (latent sd units) */
    double audio_strength;      /* anomaly shift in audio latent space */
    double noise;               /* per-feature noise, relative to the latent-driven sd of a feature */
    double hard_negative_rate;  /* probability that a video has a hard-negative event */
    double hard_negative_strength; /* its shift (latent sd units) along a partly anomaly-aligned axis */
    /* scenes and dynamics */
    double scene_scale;         /* sd of the per-video scene latent around its prototype */
    double scene_shift;         /* length of the global setting shift of every scene latent */
    double temporal_rho;        /* AR(1) coefficient of the latents from snippet to snippet */
    double crop_jitter;         /* latent sd of a non-centre crop's perturbation */
    /* per-generator tables (not config knobs) */
    double class_mix[RB_SYNTH_N_CLASSES];    /* event class probabilities of a violent video */
    double class_visual[RB_SYNTH_N_CLASSES]; /* visual visibility of each class */
    double class_audio[RB_SYNTH_N_CLASSES];  /* audibility of each class */
    double scene_mix[RB_SYNTH_N_SCENES];     /* scene prototype probabilities */
} rb_synth_params;

/* Defaults of a generator: "xdv" or "ucf" (anything else is an error). */
int rb_synth_defaults(rb_synth_params *p, const char *generator);
/* Range checks of every field, naming the offending one. */
int rb_synth_check(const rb_synth_params *p);
/* "xdv" / "ucf" for a generator id, NULL if unknown. */
const char *rb_synth_generator_name(int32_t generator);
/* XD-Violence class name ("fight", ...) and label code ("B1", ...) of class c. */
const char *rb_synth_class_name(int c);
const char *rb_synth_class_code(int c);

/* Generate the whole dataset: train split without truth, test split with frame truth. Sets name
 * ("xdv-like"/"ucf-like"), source ("synth:xdv"/"synth:ucf"), frames_per_snippet; config_text NULL.
 * out is overwritten (not freed first). Memory: see rb_synth_bytes; use rb_synth_video to stream. */
int rb_synth_generate(const rb_synth_params *p, uint32_t seed, rb_dataset *out);

/* ---- streaming interface: one video at a time (for writers that cannot hold the whole split) ---- */

/* Global state of one generator: the parameters and the seed-keyed global arrays. Read-only after
 * rb_synth_open, so several threads may call rb_synth_video on the same object. */
typedef struct {
    rb_synth_params p;
    uint32_t seed;
    float *wv;       /* [KV][d_visual] latent -> visual pre-activation loadings */
    float *bias_v;   /* [d_visual] */
    float *gain_v;   /* [d_visual] per-feature scale of the latent-driven part */
    float *wa;       /* [KA][d_audio] latent -> audio loadings */
    float *bias_a;   /* [d_audio] */
    float *scale_a;  /* [d_audio] PCA-like decaying scale */
    double proto[RB_SYNTH_N_SCENES][RB_SYNTH_K_ALL];       /* scene prototypes */
    double shift[RB_SYNTH_K_ALL];                          /* unit setting-shift direction */
    double anom_v[RB_SYNTH_N_CLASSES][RB_SYNTH_KV];        /* unit anomaly directions, visual latent */
    double anom_a[RB_SYNTH_N_CLASSES][RB_SYNTH_KA];        /* unit anomaly directions, audio latent */
    double hardneg_v[RB_SYNTH_KV], hardneg_a[RB_SYNTH_KA]; /* unit hard-negative directions */
} rb_synth;

int rb_synth_open(rb_synth *g, const rb_synth_params *p, uint32_t seed);
void rb_synth_close(rb_synth *g);

/* Frame-level description of one video (drawn from its own streams; cheap, no features). */
typedef struct {
    int32_t n_snippets;
    uint8_t label;                /* 1 violent */
    int32_t scene;                /* prototype index */
    int32_t n_classes, classes[2];
    int32_t n_segments;           /* 0 for a normal video */
    int32_t seg_start[RB_SYNTH_MAX_SEGMENTS], seg_end[RB_SYNTH_MAX_SEGMENTS]; /* frames [start,end) */
    int32_t seg_class[RB_SYNTH_MAX_SEGMENTS];
    double seg_visual[RB_SYNTH_MAX_SEGMENTS], seg_audio[RB_SYNTH_MAX_SEGMENTS]; /* effective strengths */
    int32_t hn_type;              /* -1 none, 0 fast motion (visual), 1 loud (audio), 2 both */
    int32_t hn_start, hn_end;     /* frames [start,end) */
    double hn_strength;
} rb_synth_video_info;

int64_t rb_synth_split_videos(const rb_synth *g, int split);
int rb_synth_describe(const rb_synth *g, int split, int64_t v, rb_synth_video_info *info);
/* Unique XD-style name of video v ("v=..._label_A", "..._label_B2-G-0"); fails if cap is too small. */
int rb_synth_video_name(const rb_synth *g, int split, int64_t v, char *buf, size_t cap);
/* Offsets of a split: offsets[0..n_videos], n_videos = rb_synth_split_videos. */
int rb_synth_split_offsets(const rb_synth *g, int split, int64_t *offsets);
/* Fill one video's rows: visual [T][n_crops][d_visual], audio [T][d_audio], and if non-NULL the
 * truth snippet_pos[T], snippet_frames[T]; T = info.n_snippets. */
int rb_synth_video(const rb_synth *g, int split, int64_t v, float *visual, float *audio,
                   int32_t *snippet_pos, int32_t *snippet_frames);
/* Bytes of feature arrays of both splits (for memory planning); *n_snippets gets the total. */
double rb_synth_bytes(const rb_synth *g, int64_t *n_snippets);

/* ---- calibration proxy (docs/synthetic.md): ridge probes on snippet features ---- */

/* Frame-level XD "AP": trapezoid area under the precision-recall curve built from per-snippet scores
 * with per-snippet positive/total frame counts (sklearn precision_recall_curve + auc semantics). */
double rb_synth_trapezoid_ap(const float *score, const int32_t *pos, const int32_t *frames, int64_t n);

typedef struct {
    double ap_visual, ap_audio, ap_concat; /* trapezoid frame AP of each probe on the test split */
    double ap_constant;                    /* (1 + positive frame fraction) / 2 */
    double positive_fraction;              /* of test frames */
} rb_synth_probe_result;

/* Linear probes for visual (crop mean), audio and their concatenation on standardised train snippets
 * (every stride-th): a ridge fit (penalty ridge * rows) with every snippet of a violent video labelled
 * positive, then mil_rounds refits in which a violent video keeps only its floor(T/16)+1 best-scoring
 * sampled snippets (linear top-k MIL). Scores the test split and reports the frame AP of each. */
int rb_synth_probe(const rb_dataset *d, int stride, double ridge, int mil_rounds, rb_synth_probe_result *r);

#endif

/* rb_corrupt.h - the corruption registry (names, modality, family, severity parameter tables) and
 * the feature-space surrogate operators that make corrupted test features one video at a time.
 *
 * docs/corruptions.md. The paper corrupts raw video/audio and re-extracts I3D/VGGish features; a
 * feature-level runner cannot, so each corruption here is a documented operator on clean features
 * (docs/corruptions.md has the operator and the parameter of every severity). Pre-extracted corrupted
 * features, when the dataset file has them, take precedence (dataset_io, not this module); results
 * record which source was used (rb_corrupt_source).
 *
 * Registry: 8 visual + 8 audio operators with 5 severities each, plus one `missing` entry per
 * modality (is_missing = 1, no severities: the grid gives that modality weight 0 / zero features).
 * Stable numeric ids, also the canonical order of results (ascending id):
 *    1..8  visual gaussian_noise, motion_blur, defocus_blur, fog, low_light, jpeg, pixelate, frame_drop
 *    9     visual missing
 *   17..24 audio gaussian_noise, background_noise, clipping, low_pass, reverb, packet_loss,
 *          attenuation, codec
 *   25     audio missing
 * (id & 16 is the audio bit, so the modality is part of every RNG counter.)
 *
 * Randomness (rb_rng, purpose RB_PURPOSE_CORRUPT, key = run seed), counters (id0, id1, id2):
 *   per-video draws:  (dataset_id, id << 8 | 0,    video << 4 | slot)
 *                     slot = crop (0..14) for draws private to one crop (additive noise),
 *                     slot = 15 for draws shared by every crop of the video (drop masks, the
 *                     partner video of background_noise). The severity is deliberately NOT in the
 *                     key: all severities of one corruption share the same random numbers (common
 *                     random numbers), so a snippet dropped at severity 2 is also dropped at 3, the
 *                     noise at severity 5 is the noise of severity 1 scaled up, and the distance to
 *                     the clean features grows with severity video by video, not only on average.
 *   derived data:     (dataset_id, id << 8 | 0xFF, 0) - prototypes and dimension orders, drawn once
 *                     in rb_corrupt_ctx_init.
 * Nothing is carried between calls: a video's corrupted features depend only on (seed, dataset id,
 * clean statistics, corruption, severity, test split, video, crop), never on call order or rank. */
#ifndef RB_CORRUPT_H
#define RB_CORRUPT_H

#include <stddef.h>
#include <stdint.h>

#include "rb_core.h"
#include "rb_data.h"

#define RB_CORRUPT_SEVERITIES 5 /* severities 1..5 for every operator */
#define RB_CORRUPT_COUNT 22     /* registry entries: 20 operators + 2 missing */
#define RB_CORRUPT_MAX_CROPS 15 /* crops addressable in the RNG counter (slot 15 is per-video) */


/* Where the corrupted features of a cell came from (recorded in results). */
typedef enum { RB_CORRUPT_SOURCE_SURROGATE = 0, RB_CORRUPT_SOURCE_PREEXTRACTED = 1 } rb_corrupt_source;

/* Families of corruptions (docs/corruptions.md). */
typedef enum {
    RB_CORRUPT_FAMILY_MISSING = 0,       /* not an operator: the modality is absent */
    RB_CORRUPT_FAMILY_NOISE,             /* additive noise scaled by the clean std */
    RB_CORRUPT_FAMILY_PROTOTYPE_MIX,     /* mixing toward a corruption prototype */
    RB_CORRUPT_FAMILY_TEMPORAL_SMOOTHING,/* smoothing over snippets */
    RB_CORRUPT_FAMILY_DETAIL_ATTENUATION,/* deviations from the clean mean shrunk */
    RB_CORRUPT_FAMILY_QUANTISATION,      /* value or resolution quantisation */
    RB_CORRUPT_FAMILY_DROPOUT,           /* snippets lost */
    RB_CORRUPT_FAMILY_SATURATION,        /* values capped */
    RB_CORRUPT_FAMILY_VIDEO_MIX,         /* mixed with another video's features */
    RB_CORRUPT_FAMILY_IMPULSE,           /* outlier snippets: a few snippets get a large deviation */
    RB_CORRUPT_FAMILY_OVERLAY            /* another video's deviation added on top (spreads) */
} rb_corrupt_family;

/* The operator that implements an entry (docs/corruptions.md has the formulas). mu, sigma: clean
 * per-dimension train mean and std; p[k]: the entry's param[k][severity-1]. Each value indexes the
 * table of operations (src/corrupt/operator_table.c); the code of an operator is in the file of
 * its family under src/corrupt/. */
typedef enum {
    RB_CORRUPT_OP_ZERO = 0,      /* missing: zero features */
    RB_CORRUPT_OP_NOISE,         /* x + p0*sigma*z, z ~ N(0,1) per element */
    RB_CORRUPT_OP_MIX_PROTOTYPE, /* (1-p0)*x + p0*proto, proto per entry (fog, dark, silence) */
    RB_CORRUPT_OP_MOVING_AVERAGE,/* centred moving average over p0 (odd) snippets, truncated at ends */
    RB_CORRUPT_OP_EXP_SMOOTHING, /* y_0 = x_0, y_t = p0*y_{t-1} + (1-p0)*x_t (causal tail) */
    RB_CORRUPT_OP_DETAIL,        /* mu + p1*(x - mu) on the first ceil(p0*D) dims of a fixed order */
    RB_CORRUPT_OP_QUANTISE,      /* step*round(x/step), step = p0*sigma (times p1 on the upper half
                                    of a fixed dimension order) */
    RB_CORRUPT_OP_BLOCK_AVERAGE, /* standardised values z = (x-mu)/sigma: block mean zb over p0
                                    adjacent dims; x' = mu + sigma*(zb + p1*(z - zb)) */
    RB_CORRUPT_OP_DROP_FREEZE,   /* snippet dropped w.p. p0 repeats the previous kept snippet */
    RB_CORRUPT_OP_DROP_ZERO,     /* snippet dropped w.p. p0 becomes zeros */
    RB_CORRUPT_OP_CLIP,          /* min(x, mu + p0*sigma) */
    RB_CORRUPT_OP_MIX_VIDEO,     /* (1-p0)*x + p0*y, y another test video's features, looped */
    RB_CORRUPT_OP_IMPULSE,       /* snippet hit w.p. p0: x + p1*sigma*z, z ~ N(0,1) per element */
    RB_CORRUPT_OP_OVERLAY,       /* x + p0*(y - mu), y another test video's features, looped */
    RB_CORRUPT_OP_COUNT          /* number of operators (not an operator): size of the table of
                                    operations in src/corrupt/operator_table.c */
} rb_corrupt_op;

/* The prototype a MIX_PROTOTYPE entry mixes toward (docs/corruptions.md, "Prototypes"); derived once
 * per context from the clean statistics. */
typedef enum {
    RB_CORRUPT_PROTO_NONE = 0,   /* the entry is not a MIX_PROTOTYPE entry */
    RB_CORRUPT_PROTO_FOG,        /* mean + 0.5*std*(smooth unit-RMS pattern over dims) */
    RB_CORRUPT_PROTO_DARK,       /* 0.15*mean*exp(0.25*g), g ~ N(0,1) per dim */
    RB_CORRUPT_PROTO_SILENCE,    /* the zero vector, as for a missing stream */
    RB_CORRUPT_PROTO_COUNT       /* number of prototype kinds (not a kind) */
} rb_corrupt_prototype;

typedef struct {
    int32_t id;                    /* stable numeric id (RNG counter, canonical order) */
    rb_modality modality;
    const char *name;              /* unique within the modality: "gaussian_noise", "missing", ... */
    rb_corrupt_family family;
    rb_corrupt_op op;
    rb_corrupt_prototype prototype; /* MIX_PROTOTYPE entries: which prototype; else NONE */
    int is_missing;                /* 1 for the two `missing` entries */
    int n_severities;              /* RB_CORRUPT_SEVERITIES, or 0 for missing */
    const char *effect;            /* the real-world effect it stands for (one line) */
    const char *param_name[2];     /* meaning of param[0] and param[1] (NULL when unused) */
    double param[2][RB_CORRUPT_SEVERITIES]; /* param[k][s-1] is used at severity s */
} rb_corruption;

/* ---- registry (src/corrupt/registry.c) ---- */

/* Number of entries (RB_CORRUPT_COUNT) and entry i in canonical order (ascending id); NULL if out
 * of range. */
int rb_corrupt_count(void);
const rb_corruption *rb_corrupt_at(int index);
/* Canonical position of an entry (0..count-1). */
int rb_corrupt_index(const rb_corruption *c);
/* Find by (modality, name); error names the known names of that modality. */
int rb_corrupt_lookup(rb_modality m, const char *name, const rb_corruption **out);
int rb_corrupt_by_id(int32_t id, const rb_corruption **out);
const char *rb_corrupt_family_name(rb_corrupt_family f);
const char *rb_corrupt_source_name(rb_corrupt_source s); /* "surrogate" / "preextracted" */
/* RB_OK iff severity is valid for c: 1..5 for operators, exactly 0 for missing. */
int rb_corrupt_check_severity(const rb_corruption *c, int severity);

/* ---- context and operators (src/corrupt/context.c, dispatching to the family files) ---- */

/* Everything the operators need besides the split: the run seed, a dataset id, the clean stats of
 * each modality (floored std) and the derived prototypes and dimension orders. Read-only after
 * init, so one context can serve any number of threads. */
typedef struct {
    uint32_t seed;
    uint32_t dataset_id;
    int32_t dim[2];                        /* per modality; 0 = modality not available */
    int nonnegative[2];                    /* outputs clamped at 0 (clean train features were >= 0) */
    float *mean[2];                        /* [dim] clean mean */
    float *std[2];                         /* [dim] clean std, floored (see docs) */
    float *proto[RB_CORRUPT_COUNT];        /* prototype of MIX_PROTOTYPE entries, else NULL */
    int32_t *rank[RB_CORRUPT_COUNT];       /* rank of each dim in the entry's fixed order (DETAIL,
                                              QUANTISE), else NULL */
} rb_corrupt_ctx;

/* Build a context. visual or audio may be NULL (that modality then cannot be corrupted). */
int rb_corrupt_ctx_init(rb_corrupt_ctx *ctx, uint32_t seed, uint32_t dataset_id,
                        const rb_clean_stats *visual, const rb_clean_stats *audio);
void rb_corrupt_ctx_free(rb_corrupt_ctx *ctx);

/* RNG counter ids of a per-video stream (layout in the header comment); exposed for tests and
 * provenance. slot: crop (0..14) or 15 (shared by the crops of the video). */
void rb_corrupt_stream_ids(const rb_corrupt_ctx *ctx, const rb_corruption *c, int64_t video, int slot,
                           uint32_t ids[3]);

/* Longest video of the split, and the floats rb_corrupt_video needs for any video of modality m
 * (longest length x width). */
int64_t rb_corrupt_max_video_len(const rb_split *s);
size_t rb_corrupt_video_floats(const rb_split *s, rb_modality m);

/* Corrupted features of one video (one crop for visual; crop must be 0 for audio) of the test split
 * into out [T][D] (T = the video's length, D = the modality's width). severity: 1..5, or 0 for a
 * missing entry (which writes zeros). background_noise draws its partner video from `test`. */
int rb_corrupt_video(const rb_corrupt_ctx *ctx, const rb_corruption *c, int severity, const rb_split *test,
                     int64_t video, int32_t crop, float *out);

/* ---- row-linear corruptions in another row space (the scorer's first-layer shortcut) ----
 * An entry is row-linear when each corrupted row is a combination of the video's clean rows, the
 * clean mean and the entry's prototype whose coefficients depend on neither the values nor the
 * dimension, and are nonnegative: motion_blur, reverb, frame_drop, packet_loss, fog, low_light and
 * attenuation. For any linear map L (a first layer) the corrupted rows then satisfy
 * corrupt(x) L = corrupt'(x L), where corrupt' is the same entry, with the same random draws, applied
 * to the rows x L with mean mu L and prototype proto L; and the clamp at 0 of a nonnegative modality
 * never acts, because nonnegative coefficients keep nonnegative rows nonnegative. */
int rb_corrupt_row_linear(const rb_corruption *c);
/* The clean mean of c's modality and c's prototype (NULL without one): what a row-linear entry mixes in. */
int rb_corrupt_linear_constants(const rb_corrupt_ctx *ctx, const rb_corruption *c, const float **mean,
                                const float **proto);
/* Rows of another space: snippet s of the split at base + s * stride, width floats; mean and proto are
 * the images of rb_corrupt_linear_constants' vectors (proto may be NULL when the entry has none). */
typedef struct {
    const float *base;
    size_t stride;
    int32_t width;
    const float *mean, *proto;
} rb_corrupt_rows;
/* corrupt' above for one video (and crop) of the split into out [T][width]; fails for an entry that is
 * not row-linear. No clamp: rows of another space may be negative. */
int rb_corrupt_video_rows(const rb_corrupt_ctx *ctx, const rb_corruption *c, int severity, const rb_split *test,
                          int64_t video, int32_t crop, const rb_corrupt_rows *rows, float *out);

/* ---- dimension-sparse corruptions ----
 * An entry is dimension-sparse when, at a given severity, it changes the same set of dimensions in
 * every row and video and copies the others bit for bit: defocus_blur and low_pass (detail
 * attenuation). rb_corrupt_changed_dims writes that set (ascending, at most the modality's width
 * entries) into dims and its size into *n, so a first layer of the corrupted rows is the clean one
 * plus (x' - x) W restricted to those rows of W. */
int rb_corrupt_dim_sparse(const rb_corruption *c);
int rb_corrupt_changed_dims(const rb_corrupt_ctx *ctx, const rb_corruption *c, int severity, int32_t *dims,
                            int32_t *n);

/* The whole split in the split's own layout: visual out [n_snippets][n_crops][d_visual], audio out
 * [n_snippets][d_audio]. Built on rb_corrupt_video (one video-sized scratch buffer). */
int rb_corrupt_split(const rb_corrupt_ctx *ctx, const rb_corruption *c, int severity, const rb_split *test,
                     float *out);

#endif

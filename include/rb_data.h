/* rb_data.h - the data stage (src/data/): the dataset in memory and in its HDF5 file, clean feature
 * statistics, the synthetic generator, the datasets a config describes, and import-xdv. */
#ifndef RB_DATA_H
#define RB_DATA_H

#include <stdint.h>
#include <mpi.h>
#include <stddef.h>

#include "rb_core.h"
#include "rb_io.h"

/* ---- the in-memory dataset (train and test split of per-snippet features) and its HDF5
 * file (layout in docs/formats.md).
 *
 * Features are per 16-frame snippet. Visual features carry a crop axis: visual[s][c][d]. Audio has
 * none: audio[s][d]. Video v owns snippets offsets[v] .. offsets[v+1]-1. The test split also carries
 * the frame-level truth as per-snippet counts (positive frames, total frames), which is all the
 * frame-level metrics need (docs/formats.md). */

typedef struct {
    int64_t n_videos;
    int64_t n_snippets;
    int32_t n_crops;
    int32_t d_visual;
    int32_t d_audio;
    int64_t *offsets;        /* [n_videos + 1]; offsets[0] = 0, strictly increasing, last = n_snippets */
    char **names;            /* [n_videos], non-empty, unique */
    uint8_t *labels;         /* [n_videos]; 1 = anomalous (violent), 0 = normal */
    float *visual;           /* [n_snippets][n_crops][d_visual] */
    float *audio;            /* [n_snippets][d_audio] */
    int32_t *snippet_pos;    /* test split only (else NULL): positive frames in each snippet */
    int32_t *snippet_frames; /* test split only (else NULL): frames in each snippet (1..fps) */
    int features_borrowed;   /* visual/audio belong to someone else (a node-shared window) */
} rb_split;

typedef struct {
    char *name;                 /* dataset name, e.g. "xdv-like" */
    char *source;               /* how it was made: "synth:xdv", "synth:ucf", "import-xdv" */
    int32_t frames_per_snippet; /* 16 */
    rb_split train;             /* may be empty (n_videos = 0) for a test-only dataset */
    rb_split test;
    char *config_text;          /* effective config that produced the file, or NULL */
    char *recipe;               /* canonical text of every input that shaped the features (generator
                                 * parameters and seed, or import options); compared before a file is
                                 * reused, so a changed config never silently reuses old data */
    char **inputs;              /* files the dataset was made from (import-xdv: lists, annotations), */
    char **input_sha256;        /* with their SHA-256, recorded in /provenance/inputs; may be NULL */
    int n_inputs;
} rb_dataset;

/* Allocate the arrays of a split (names set to NULL, features zeroed). with_truth allocates the test
 * truth arrays. offsets[n_videos] is set to n_snippets, offsets[0] to 0. */
int rb_split_alloc(rb_split *s, int64_t n_videos, int64_t n_snippets, int32_t n_crops,
                   int32_t d_visual, int32_t d_audio, int with_truth);
void rb_split_free(rb_split *s);
void rb_dataset_free(rb_dataset *d);

static inline int64_t rb_split_video_len(const rb_split *s, int64_t v) {
    return s->offsets[v + 1] - s->offsets[v];
}
static inline float *rb_split_visual_at(const rb_split *s, int64_t snippet, int32_t crop) {
    return s->visual + ((size_t)snippet * (size_t)s->n_crops + (size_t)crop) * (size_t)s->d_visual;
}
static inline float *rb_split_audio_at(const rb_split *s, int64_t snippet) {
    return s->audio + (size_t)snippet * (size_t)s->d_audio;
}

/* Check internal consistency: offsets, names, labels, finiteness of every feature, truth counts
 * (0 <= pos <= frames <= fps). what names the split in messages ("test split of data/x.h5"). */
int rb_split_validate(const rb_split *s, int32_t frames_per_snippet, int need_truth, const char *what);

/* Write the dataset to path (via a fresh path.tmp.XXXXXX, renamed when complete). Serial HDF5 I/O. */
int rb_dataset_write(const char *path, const rb_dataset *d);
/* Read and validate a dataset file. comm: MPI_COMM_NULL for a one-process open, or a communicator
 * whose ranks all call this together (MPI-IO driver, collective reads). */
int rb_dataset_read(const char *path, rb_dataset *d, MPI_Comm comm);
/* The test split only, for the benchmark grid: every rank of comm reads the small metadata (offsets,
 * names, labels, truth); the feature arrays are read once per node, by the node's first rank, into
 * an MPI-3 shared-memory window that every rank of the node maps (so memory per node does not grow
 * with ranks per node). Collective over comm; the status is agreed by every rank of comm (rb_core.h),
 * so a failure returns on every rank with nothing held. Free with rb_dataset_free_shared. */
int rb_dataset_read_test_shared(const char *path, rb_dataset *d, MPI_Comm comm, MPI_Win *win);
/* The same for either split ("train" or "test"); only that split is read. Training uses the train
 * split this way, so a node holds one copy of the training features however many ranks train. */
int rb_dataset_read_shared(const char *path, const char *split, rb_dataset *d, MPI_Comm comm, MPI_Win *win);
void rb_dataset_free_shared(rb_dataset *d, MPI_Win *win);
/* SHA-256 over what training reads from a dataset file: its recipe attribute and the train split's
 * offsets, labels, audio, visual and names (streamed in row blocks). Adding test-only content such
 * as pre-extracted corrupted features leaves it unchanged. */
int rb_dataset_train_digest(const char *path, char hex[65]);
/* The same digest, cached in the file (train_digest_cache.c): _stamp computes it and stores it with a
 * stamp (the modification time it then gives the file, and the inode); _cached returns the stored
 * digest while the file's modification time and inode still match the stamp (*cached = 1), else
 * recomputes it in full (*cached = 0). */
int rb_dataset_train_digest_stamp(const char *path);
int rb_dataset_train_digest_cached(const char *path, char hex[65], int *cached);
/* Pre-extracted corrupted test features /test/corrupted/<visual|audio>/<corruption>/<severity>
 * (modality 0 visual, 1 audio), checked against the test split's shape and for finiteness. *found = 0
 * (and *out NULL) when the file has none for this cell. */
int rb_dataset_read_corrupted(const char *path, const rb_split *test, int modality, const char *corruption,
                              int severity, float **out, int *found);


/* ---- modalities and clean feature statistics (src/data/clean_stats.c) ---- */

/* The two modalities; the value indexes every per-modality array (models, weights, corruptions). */
typedef enum { RB_MOD_VISUAL = 0, RB_MOD_AUDIO = 1 } rb_modality;
/* "visual" / "audio"; parse accepts exactly those. */
const char *rb_modality_name(rb_modality m);
int rb_modality_parse(const char *name, rb_modality *out);

/* Per-dimension statistics of one modality of a clean split (all snippets; all crops for visual). */
typedef struct {
    int32_t dim;
    int64_t rows;        /* feature rows accumulated */
    double *mean;        /* [dim] */
    double *std;         /* [dim], sample std (n-1), not floored */
    int nonnegative;     /* 1 if every clean value was >= 0 (I3D visual features are ReLU outputs) */
} rb_clean_stats;

/* Mean and std of modality m over every row of split s (double accumulators, fixed order). Meant
 * for the clean TRAIN split. Needs at least 2 rows. */
int rb_clean_stats_compute(const rb_split *s, rb_modality m, rb_clean_stats *out);
void rb_clean_stats_free(rb_clean_stats *s);

/* ---- the synthetic XD-Violence-shaped dataset generator behind `robusta synth`.
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

/* ---- the datasets a config describes (data.datasets), where their files live, and
 * building or verifying them: a synthetic dataset whose file is missing is generated; a file that
 * exists is checked against the recipe it records and never silently rebuilt. */

typedef struct {
    char name[128];
    char path[4096];
    char model_path[4096];/* where the models trained on this dataset live (train_on = self) */
    char train_on[128];   /* "self" or another dataset's name */
    int synthetic;        /* generator != none */
    rb_synth_params synth;/* valid when synthetic */
    uint32_t seed;        /* run.seed */
    int index;            /* position in data.datasets */
} rb_dataset_spec;

/* Read every data.datasets entry; checks names are unique and train_on refers to a dataset. */
int rb_dataset_specs(const rb_config *c, rb_dataset_spec **specs, int *n);
/* Canonical recipe text of a synthetic spec (every generator parameter and the seed). */
int rb_dataset_recipe(const rb_dataset_spec *s, char *buf, size_t cap);
/* Generate a synthetic dataset straight into its file, one video at a time (memory bounded by the
 * longest video): the same bytes as rb_synth_generate + rb_dataset_write. */
int rb_synth_write_stream(const rb_synth_params *p, uint32_t seed, const char *name, const char *recipe,
                          const char *config_text, const char *path, int64_t *n_snippets);
/* Build the file if missing (synthetic), else verify its recorded recipe. force rebuilds a
 * synthetic file. *built reports whether it was (re)generated. */
int rb_dataset_ensure(const rb_dataset_spec *s, const char *config_text, int force, int *built);
/* Clears wanted[i] for the datasets rank (of size ranks) does not make: dataset i is made by rank
 * i mod size, so a job's datasets are generated side by side (the file depends on its spec alone);
 * by rank 0 alone when two specs name the same file. */
void rb_datasets_share(const rb_dataset_spec *specs, int n, int rank, int size, uint8_t *wanted);
/* rb_dataset_ensure over the specs with wanted[i] set (wanted NULL: every spec; synthetic_only: skip
 * imported ones), on the calling rank, with one progress counter "synth 1/2 datasets (...% of the
 * predicted work, ETA ...)" over the files it generates, each costing its feature bytes
 * (rb_synth_bytes); a file kept prints "dataset NAME: PATH is up to date". */
int rb_datasets_ensure(const rb_dataset_spec *specs, int n, const uint8_t *wanted, int synthetic_only,
                       const char *config_text, int force);

/* ---- conversion of the public XD-Violence feature release (list files, per-crop I3D and
 * per-video VGGish .npy files, test annotations) into an in-memory rb_dataset (docs/import-xdv.md).
 *
 * List entries are matched by FILE NAME only: the directory part of each line (an absolute path on
 * the release authors' machine) is discarded and the file is looked up in the feature directory given
 * for that modality and split. Nothing outside those directories is opened. */

#define RB_XDV_FRAMES_PER_SNIPPET 16
#define RB_XDV_MAX_CROPS 5

typedef struct {
    /* List files: one .npy path per line. Visual lines end in __<crop>.npy (crop 0 = centre),
     * audio lines in __vggish.npy. */
    const char *visual_list, *audio_list;           /* training split */
    const char *visual_test_list, *audio_test_list; /* test split */
    /* Directories holding the files named by the lists. */
    const char *visual_dir, *audio_dir;           /* training split */
    const char *visual_test_dir, *audio_test_dir; /* test split */
    /* Test annotations: "<video>[.mp4] start end [start end ...]" per line, frames [start, end). */
    const char *annotations;
    int n_crops; /* 1 (centre crop only) or 5 */
} rb_xdv_options;

typedef struct {
    int64_t videos, violent, snippets;
    int64_t dropped_visual_rows;   /* videos whose visual stream had one snippet more than audio */
    int64_t positive_frames;       /* test split: annotated frames kept */
    int64_t dropped_frames;        /* test split: annotated frames past 16 * (snippet count) */
} rb_xdv_split_stats;

typedef struct {
    rb_xdv_split_stats train, test;
    int32_t n_crops, d_visual, d_audio;
    int64_t unused_annotations; /* annotation lines naming no video of the test list */
} rb_xdv_stats;

/* Read everything and fill out (train and test splits, frames_per_snippet = 16, source =
 * "import-xdv", name = name). On failure out is left empty (zeroed) and the error names the file,
 * line or video at fault. stats may be NULL. */
int rb_import_xdv(const rb_xdv_options *opt, const char *name, rb_dataset *out, rb_xdv_stats *stats);

/* Helpers exposed for tests. */
/* Label rule of the release: a name containing "_label_A" is normal (0), anything else violent (1). */
int rb_xdv_label(const char *video);
/* Basename of a list entry (after the last '/' or '\\'), checked to be a plain file name: non-empty,
 * not "." or "..", no control characters. Returns a pointer into entry or NULL (with an error). */
const char *rb_xdv_entry_basename(const char *entry);

#endif

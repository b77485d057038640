/* rb_dataset.h - the in-memory dataset (train and test split of per-snippet features) and its HDF5
 * file (layout in docs/formats.md).
 *
 * Features are per 16-frame snippet. Visual features carry a crop axis: visual[s][c][d]. Audio has
 * none: audio[s][d]. Video v owns snippets offsets[v] .. offsets[v+1]-1. The test split also carries
 * the frame-level truth as per-snippet counts (positive frames, total frames), which is all the
 * frame-level metrics need (design.md section 3). */
#ifndef RB_DATASET_H
#define RB_DATASET_H

#include <stdint.h>
#include <mpi.h>

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

/* Write the dataset to path (via path.tmp, renamed when complete). Serial HDF5 I/O. */
int rb_dataset_write(const char *path, const rb_dataset *d);
/* Read and validate a dataset file. comm: MPI_COMM_NULL for a one-process open, or a communicator
 * whose ranks all call this together (MPI-IO driver, collective reads). */
int rb_dataset_read(const char *path, rb_dataset *d, MPI_Comm comm);
/* The test split only, for the benchmark grid: every rank of comm reads the small metadata (offsets,
 * names, labels, truth); the feature arrays are read once per node, by the node's first rank, into
 * an MPI-3 shared-memory window that every rank of the node maps (so memory per node does not grow
 * with ranks per node). Collective over comm; free with rb_dataset_free_shared. */
int rb_dataset_read_test_shared(const char *path, rb_dataset *d, MPI_Comm comm, MPI_Win *win);
/* The same for either split ("train" or "test"); only that split is read. Training uses the train
 * split this way, so a node holds one copy of the training features however many ranks train. */
int rb_dataset_read_shared(const char *path, const char *split, rb_dataset *d, MPI_Comm comm, MPI_Win *win);
void rb_dataset_free_shared(rb_dataset *d, MPI_Win *win);
/* SHA-256 over what training reads from a dataset file: its recipe attribute and the train split's
 * offsets, labels, audio, visual and names (streamed in row blocks). Adding test-only content such
 * as pre-extracted corrupted features leaves it unchanged. */
int rb_dataset_train_digest(const char *path, char hex[65]);
/* Pre-extracted corrupted test features /test/corrupted/<visual|audio>/<corruption>/<severity>
 * (modality 0 visual, 1 audio), checked against the test split's shape and for finiteness. *found = 0
 * (and *out NULL) when the file has none for this cell. */
int rb_dataset_read_corrupted(const char *path, const rb_split *test, int modality, const char *corruption,
                              int severity, float **out, int *found);

#endif

/* import_xdv_internal.h - what the two files of import-xdv share privately: the table of videos built
 * from the visual and audio lists and the parsed annotation file (import_xdv_lists.c reads them;
 * import_xdv.c turns them into an rb_dataset). */
#ifndef RB_IMPORT_XDV_INTERNAL_H
#define RB_IMPORT_XDV_INTERNAL_H

#include "rb_data.h"
#include "rb_io.h"

#include <stddef.h>
#include <stdint.h>

#define RB_XDV_PATH_MAX 4096

/* ---- video table: the videos of one split, in the order of its visual list ---- */

typedef struct {
    char *name;
    char *crop_file[RB_XDV_MAX_CROPS]; /* basenames, NULL if not listed */
    char *audio_file;
    int audio_line;
    rb_npy_header vh[RB_XDV_MAX_CROPS], ah;
    int64_t len; /* snippets kept */
} rb_xdv_video;

typedef struct {
    rb_xdv_video *v;
    int64_t n, cap;
    int64_t *slot; /* open addressing: index + 1, 0 = empty */
    size_t nslot;
} rb_xdv_table;

/* Index of the video called name, -1 if absent. */
int64_t rb_xdv_table_find(const rb_xdv_table *t, const char *name);
/* Index of the video called name (name[0..n)), added if new. */
int rb_xdv_table_get(rb_xdv_table *t, const char *name, size_t n, int64_t *index);
void rb_xdv_table_free(rb_xdv_table *t);

/* The visual list (<video>__<crop>.npy lines): fills t with every video and its crops 0..n_crops-1
 * (a video lacking one is an error; higher crops are skipped). */
int rb_xdv_read_visual_list(const char *path, int n_crops, rb_xdv_table *t);
/* The audio list (<video>__vggish.npy lines): every video of t (read from visual_list) gets its file. */
int rb_xdv_read_audio_list(const char *path, const char *visual_list, rb_xdv_table *t);

/* ---- annotations: violent frame intervals per test video ---- */

typedef struct {
    int64_t start, end; /* frames [start, end) */
} rb_interval;

typedef struct {
    char *name;
    int line;
    int used;
    int64_t n;
    rb_interval *iv;
} rb_annotation;

typedef struct {
    rb_annotation *a;
    int64_t n;
} rb_annotations;

/* Read the annotation file, sorted by video name (a video annotated twice is an error). */
int rb_xdv_read_annotations(const char *path, rb_annotations *A);
void rb_xdv_annotations_free(rb_annotations *A);
/* The annotation of a video, NULL if it has none. */
rb_annotation *rb_xdv_annotation_find(rb_annotations *A, const char *name);
/* Per-snippet positive-frame counts of one video of len snippets (pos[0..len), added to); frames past
 * the video's end are counted in *dropped, the others in *kept. Sorts a's intervals. */
void rb_xdv_truth_from_intervals(rb_annotation *a, int64_t len, int32_t *pos, int64_t *kept, int64_t *dropped);

#endif

/* rb_import_xdv.h - conversion of the public XD-Violence feature release (list files, per-crop I3D and
 * per-video VGGish .npy files, test annotations) into an in-memory rb_dataset (docs/import-xdv.md).
 *
 * List entries are matched by FILE NAME only: the directory part of each line (an absolute path on
 * the release authors' machine) is discarded and the file is looked up in the feature directory given
 * for that modality and split. Nothing outside those directories is opened. */
#ifndef RB_IMPORT_XDV_H
#define RB_IMPORT_XDV_H

#include <stdint.h>

#include "rb_dataset.h"

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

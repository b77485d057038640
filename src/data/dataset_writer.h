/* dataset_writer.h - writing a dataset file video by video, for datasets too large to hold in
 * memory (XD-Violence scale with 5 crops is ~10 GB of features). The layout is the one of
 * rb_dataset_write (docs/formats.md); the file is built under a fresh <path>.tmp.XXXXXX and renamed by finish. */
#ifndef RB_DATASET_WRITER_H
#define RB_DATASET_WRITER_H

#include <stdint.h>

#include "rb_data.h"

typedef struct rb_dataset_writer rb_dataset_writer;

/* meta: name, source, recipe, config_text, frames_per_snippet, and for each split the shape
 * (n_videos, n_snippets, n_crops, d_visual, d_audio), offsets, names and labels; feature and truth
 * arrays are not read (may be NULL). Validates the offsets, names and labels. */
int rb_dataset_writer_open(rb_dataset_writer **w, const char *path, const rb_dataset *meta);
/* Rows [row0, row0 + nrows) of split 0 (train) or 1 (test): visual [nrows][crops][dv], audio
 * [nrows][da], and for the test split the truth counts. Every value is checked finite. */
int rb_dataset_writer_rows(rb_dataset_writer *w, int split, int64_t row0, int64_t nrows, const float *visual,
                           const float *audio, const int32_t *pos, const int32_t *frames);
/* Check every row was written, close, publish under the final name, free w. */
int rb_dataset_writer_finish(rb_dataset_writer *w);
/* Close, remove the temporary file, free w (after an error). */
void rb_dataset_writer_abort(rb_dataset_writer *w);

#endif

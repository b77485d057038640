/* folded.h - the shared detector's audio path with the projection folded into the first layer
 * (folded.c). Private to the score stage. */
#ifndef RB_FOLDED_H
#define RB_FOLDED_H

#include "rb_model.h"

/* For a shared detector with projection P (proj.w [d_audio][d_visual], proj.b [d_visual]) and first
 * layer W1 ([d_visual][hidden1]): w = P W1 ([d_audio][hidden1]) and b = proj.b W1 ([hidden1]), so the
 * audio path's pre-activation (a P + p) W1 = a w + b needs d_audio x hidden1 multiply-adds per row
 * instead of d_audio x d_visual + d_visual x hidden1. */
typedef struct {
    const rb_detector *det;
    int d_audio, hidden1;
    float *w;   /* [d_audio][hidden1] */
    float *b;   /* [hidden1] */
    float *pre; /* scratch [RB_FOLDED_CHUNK][hidden1] */
} rb_folded_audio;

/* out[h] = x W (x [D], W [D][h] with row stride h), accumulated in double (acc: [h] scratch) and
 * rounded once to float: the image of a vector under a layer (the fold's rows, and the scorer's
 * images of the clean mean and prototypes). */
void rb_row_image(const float *x, const float *W, int D, int h, double *acc, float *out);
/* Build the fold of detector d (kind shared), products accumulated in double, rounded once to float. */
int rb_folded_audio_init(rb_folded_audio *f, const rb_detector *d);
/* Scores of rows audio rows x (row stride ld >= d_audio): an rb_row_scorer (exact_ties.h), ctx = the fold. */
int rb_folded_audio_score(const void *fold, const float *x, int64_t rows, int ld, float *scores);
void rb_folded_audio_free(rb_folded_audio *f);

#endif

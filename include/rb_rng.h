/* rb_rng.h - the only source of randomness in robusta: Random123 Philox4x32-10, counter-based.
 *
 * A stream is keyed by (run seed, purpose) and countered by three caller-chosen 32-bit ids (for
 * example dataset, video, snippet) plus an internal draw counter. No state is carried between
 * streams, so a draw depends only on (seed, purpose, ids, draw index): the same numbers come out on
 * any rank, in any order. design.md section 6. */
#ifndef RB_RNG_H
#define RB_RNG_H

#include <stdint.h>

/* Purposes: one per independent use. Never reuse a purpose for two uses; append new ones at the end
 * (changing a value changes every number that depends on it). */
enum rb_purpose {
    RB_PURPOSE_SYNTH_GLOBAL = 1,   /* synthetic generator: dataset-wide prototypes and loadings */
    RB_PURPOSE_SYNTH_VIDEO = 2,    /* synthetic generator: per-video draws */
    RB_PURPOSE_SYNTH_SNIPPET = 3,  /* synthetic generator: per-snippet noise */
    RB_PURPOSE_TRAIN_INIT = 10,    /* weight initialisation */
    RB_PURPOSE_TRAIN_SHUFFLE = 11, /* minibatch order */
    RB_PURPOSE_TRAIN_DROPOUT = 12, /* dropout masks */
    RB_PURPOSE_TRAIN_MODALITY = 13,/* visual-or-audio choice per bag (shared detector) */
    RB_PURPOSE_TRAIN_RESAMPLE = 14,/* snippet resampling of long videos */
    RB_PURPOSE_GMM_SUBSAMPLE = 20, /* GMM training subsample */
    RB_PURPOSE_GMM_INIT = 21,      /* k-means++ seeding */
    RB_PURPOSE_GMM_HOLDOUT = 22,   /* held-out split for weight calibration */
    RB_PURPOSE_CORRUPT = 30,       /* feature-space corruption surrogates */
    RB_PURPOSE_TEST = 99           /* unit tests */
};

typedef struct {
    uint32_t key[2];   /* seed, purpose */
    uint32_t ctr[4];   /* id0, id1, id2, block index */
    uint32_t buf[4];   /* current output block */
    int avail;         /* unread words left in buf */
    int has_spare;     /* Box-Muller keeps its second normal */
    double spare;
} rb_rng;

void rb_rng_init(rb_rng *r, uint32_t seed, uint32_t purpose, uint32_t id0, uint32_t id1, uint32_t id2);
uint32_t rb_rng_u32(rb_rng *r);
/* Uniform double in the open interval (0, 1), 53 random bits. */
double rb_rng_uniform(rb_rng *r);
/* Standard normal (Box-Muller on two uniforms). */
double rb_rng_normal(rb_rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint32_t rb_rng_below(rb_rng *r, uint32_t n);
/* Fisher-Yates permutation of 0..n-1 into perm. */
void rb_rng_permutation(rb_rng *r, int32_t *perm, int32_t n);

#endif

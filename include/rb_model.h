/* rb_model.h - the trained models of one dataset (model.h5): every detector kind x replica with its
 * training log, and per modality the clean-feature GMM and the weight calibration. Layout in
 * docs/formats.md. Written on one process to <path>.tmp and renamed; read on every rank. */
#ifndef RB_MODEL_H
#define RB_MODEL_H

#include "rb_corrupt.h"
#include "rb_detector.h"
#include "rb_gmm.h"
#include "rb_train.h"
#include "rb_weights.h"

enum { RB_MOD_VISUAL = 0, RB_MOD_AUDIO = 1 };

typedef struct {
    char *dataset;        /* name of the dataset trained on */
    char *recipe;         /* canonical text of the inputs (dataset checksum, training config, seed) */
    int d_visual, d_audio, n_crops;
    int n_kinds;
    rb_detector_kind kinds[RB_DET_N_KINDS];
    int n_replicas;
    rb_detector *det;     /* [n_kinds * n_replicas], index kind_slot * n_replicas + replica */
    rb_train_log *logs;   /* same index */
    rb_gmm gmm[2];        /* RB_MOD_VISUAL, RB_MOD_AUDIO */
    rb_weight_calib calib[2];
    rb_corrupt_stats stats[2]; /* clean train statistics per modality (the corruption surrogates' scale) */
} rb_model;

static inline rb_detector *rb_model_detector(const rb_model *m, int slot, int replica) {
    return &m->det[slot * m->n_replicas + replica];
}
/* Slot of a kind in m->kinds, or -1. */
int rb_model_slot(const rb_model *m, rb_detector_kind kind);

int rb_model_write(const char *path, const rb_model *m, const char *config_text, char *const *inputs,
                   char *const *input_sha256, int n_inputs);
int rb_model_read(const char *path, rb_model *m);
/* Only the recorded recipe (cheap check before reuse). */
int rb_model_read_recipe(const char *path, char **recipe);
void rb_model_free(rb_model *m);

#endif

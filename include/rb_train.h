/* rb_train.h - training a detector (rb_detector.h) on the clean train split with the top-k MIL loss
 * of the XD-Violence baselines: bags, resampling, minibatches, Adam, schedules, per-epoch log.
 * Training never prints; the caller prints the returned log. docs/training.md has the details.
 *
 * Determinism: the result depends only on (split, detector init, params). Shuffling, the
 * visual-or-audio choice of the shared kinds and the dropout masks come from counter-based streams
 * keyed by (seed, purpose) and countered by (replica, epoch, bag, layer), never by call order. With the
 * same BLAS build and thread count, the same seed gives bitwise identical weights. */
#ifndef RB_TRAIN_H
#define RB_TRAIN_H

#include <mpi.h>
#include <stdint.h>

#include "rb_dataset.h"
#include "rb_detector.h"
#include "rb_nn.h"

typedef struct {
    int hidden1, hidden2;   /* trunk widths (used by rb_train_detector_init) */
    float dropout;          /* drop probability after each hidden layer (rb_train_detector_init) */
    int epochs;             /* passes over all bags */
    int batch;              /* bags per minibatch */
    int max_snippets;       /* longer videos are resampled to this many uniform positions */
    double lr;              /* base learning rate */
    double weight_decay;    /* 0 = none */
    rb_wd_mode wd_mode;     /* RB_WD_L2 (PyTorch Adam) or RB_WD_DECOUPLED (AdamW) */
    rb_lr_schedule schedule;
    int step_every;         /* RB_LR_STEP: epochs between decays */
    double step_gamma;      /* RB_LR_STEP: decay factor */
    uint32_t seed;          /* run seed */
    uint32_t replica;       /* replica index: independent trainings under one seed */
    int grad_groups;        /* each minibatch is split into this many fixed groups of bags whose
                             * gradients are summed in group order: the unit of data parallelism, and
                             * the reason the weights do not depend on how many ranks train (default 8) */
    MPI_Comm team;          /* ranks training this detector together (groups dealt round-robin), or
                             * MPI_COMM_NULL to train alone; every member ends with the same weights */
} rb_train_params;

/* The XD-Violence baseline settings: 512/128, dropout 0.6, 50 epochs, batch 128, 200 snippets,
 * lr 1e-4, no weight decay (L2 mode), constant schedule (step: every 10 epochs x 0.1), seed 0. */
void rb_train_params_default(rb_train_params *p);
/* Range checks with messages naming the field. */
int rb_train_params_check(const rb_train_params *p);

/* rb_detector_init with the widths, dropout, seed and replica of p. */
int rb_train_detector_init(rb_detector *d, rb_detector_kind kind, int d_visual, int d_audio,
                           const rb_train_params *p);

typedef struct {
    int n_epochs;
    int64_t bags_per_epoch;   /* n_videos x n_crops */
    int64_t steps_per_epoch;
    double *loss;             /* [n_epochs] mean bag loss over the epoch (training mode, dropout on) */
    double *visual_fraction;  /* [n_epochs] fraction of bags fed as visual; NaN for non-shared kinds */
    double *snippets_per_s;   /* [n_epochs] trunk rows processed per wall-clock second */
    double *lr;               /* [n_epochs] learning rate used */
    double seconds;           /* total wall time */
} rb_train_log;

void rb_train_log_free(rb_train_log *log);

/* Uniform resampling positions of the baselines (XDVioDet utils.uniform_extract:
 * np.linspace(0, t-1, m, dtype=np.uint16), i.e. floor(i * (t-1)/(m-1)) in double, last = t-1) when
 * t > m; the identity 0..t-1 otherwise. pos needs min(t, m) slots; returns that count. */
int rb_train_resample(int64_t t, int m, int32_t *pos);

/* Train d in place on the split (every video x crop is a bag, labelled with its video's label; the
 * audio-only and audio-fed bags use the video's audio, the same for every crop). log may be NULL;
 * otherwise it receives arrays the caller frees with rb_train_log_free. */
int rb_train_detector(rb_detector *d, const rb_split *train, const rb_train_params *p, rb_train_log *log);

#endif

/* rb_detector.h - the five snippet-level anomaly detectors of the benchmark (design.md section 4):
 * their parameters (one flat buffer, exposed as named views for saving/loading), inference scoring,
 * and the batched forward/backward pass the trainer (rb_train.h) and the gradient checks use.
 *
 * Trunk per snippet: d_in -> hidden1 -> hidden2 -> 1, ReLU + dropout after each hidden layer, sigmoid
 * score. Variants differ in what reaches the trunk:
 *   concat      [visual ; audio], d_in = d_visual + d_audio (early fusion baseline)
 *   visual      visual only, d_in = d_visual
 *   audio       audio only, d_in = d_audio
 *   shared      RobustA: d_in = d_visual; audio goes through a learned projection d_audio -> d_visual
 *               (with bias) first; a training bag is fed as visual OR audio, never both
 *   shared-pad  ablation: as shared, audio zero-padded to d_visual instead of projected
 * Zero padding is applied implicitly: [a ; 0] W1 = a W1[0:d_audio], so no padded copy is made. */
#ifndef RB_DETECTOR_H
#define RB_DETECTOR_H

#include <stdint.h>

#include "rb_nn.h"

typedef enum {
    RB_DET_CONCAT = 0,
    RB_DET_VISUAL = 1,
    RB_DET_AUDIO = 2,
    RB_DET_SHARED = 3,
    RB_DET_SHARED_PAD = 4
} rb_detector_kind;
#define RB_DET_N_KINDS 5

/* Which features a scoring call receives. */
typedef enum { RB_INPUT_VISUAL = 0, RB_INPUT_AUDIO = 1 } rb_det_input;

typedef struct {
    rb_detector_kind kind;
    int d_visual, d_audio;
    int d_in;             /* trunk input width */
    int hidden1, hidden2;
    float dropout;        /* training-time drop probability after each hidden layer */
    int64_t n_params;
    float *params;        /* every parameter, one buffer; the layers below point into it */
    int has_proj;
    rb_dense proj;        /* shared only: d_audio -> d_visual */
    rb_dense l1, l2, l3;  /* d_in -> hidden1 -> hidden2 -> 1 */
} rb_detector;

/* A named parameter block, row-major [rows][cols], pointing into the detector's buffer (writable, so
 * a loader can fill a freshly initialised detector of the same shape). */
typedef struct {
    const char *name; /* "proj.w", "proj.b", "l1.w", "l1.b", "l2.w", "l2.b", "l3.w", "l3.b" */
    int64_t rows, cols;
    float *data;
} rb_param_view;
#define RB_DETECTOR_MAX_PARAMS 8

/* "concat" | "visual" | "audio" | "shared" | "shared-pad". */
const char *rb_detector_kind_name(rb_detector_kind k);
int rb_detector_kind_parse(const char *name, rb_detector_kind *out);

/* Allocate the detector and initialise it: weights Xavier-uniform U(+-sqrt(6/(in+out))), biases
 * U(+-1/sqrt(in)) (PyTorch's Linear bias default), each block from its own stream
 * (seed, RB_PURPOSE_TRAIN_INIT, replica, block index, 0), row-major draw order. */
int rb_detector_init(rb_detector *d, rb_detector_kind kind, int d_visual, int d_audio, int hidden1,
                     int hidden2, float dropout, uint32_t seed, uint32_t replica);
void rb_detector_free(rb_detector *d);
/* Deep copy (dst must not be initialised). */
int rb_detector_copy(rb_detector *dst, const rb_detector *src);

/* The parameter blocks in buffer order (proj.* only for shared). views needs RB_DETECTOR_MAX_PARAMS
 * slots; *n receives the count. */
int rb_detector_params(const rb_detector *d, rb_param_view *views, int *n);

/* Does the detector accept this input at inference? concat: visual and audio together (use
 * rb_detector_score_concat); visual/audio: its own modality; shared kinds: either. */
int rb_detector_accepts(const rb_detector *d, rb_det_input input);

/* Sigmoid scores of rows snippets of one modality, x [rows] with leading dimension ld (>= the
 * modality's width; e.g. one crop of a split's visual block: x = visual + crop * d_visual,
 * ld = n_crops * d_visual). Not for concat. Eval mode (no dropout). */
int rb_detector_score(const rb_detector *d, rb_det_input input, const float *x, int64_t rows, int ld,
                      float *scores);
/* Concat detector: scores of rows snippets given the visual rows xv (ldv) and audio rows xa (lda)
 * separately; equals scoring the concatenated rows [xv ; xa]. */
int rb_detector_score_concat(const rb_detector *d, const float *xv, int ldv, const float *xa, int lda,
                             int64_t rows, float *scores);
/* Concat detector, split first layer: pre[rows][hidden1] = x W1_part, where W1_part is the block of
 * W1 that multiplies the given modality (no bias). Because the first layer is linear in its input,
 * z1 = pre_visual + pre_audio + b1; a grid cell with one clean modality can reuse its half. */
int rb_detector_concat_partial(const rb_detector *d, rb_det_input part, const float *x, int64_t rows,
                               int ld, float *pre);
/* Concat detector: scores from the two partial pre-activations (each [rows][hidden1]). */
int rb_detector_score_partials(const rb_detector *d, const float *pre_visual, const float *pre_audio,
                               int64_t rows, float *scores);

/* ---- training pass ---- */

/* One minibatch of bags, already gathered into row blocks. The trunk sees R rows:
 *   concat: R = rows_v = rows_a, row r is [xv[r] ; xa[r]];
 *   visual: R = rows_v (rows_a = 0); audio: R = rows_a (rows_v = 0);
 *   shared kinds: rows 0..rows_v-1 are xv, rows rows_v..R-1 are xa (projected or padded).
 * Bag b owns trunk rows start[b] .. start[b]+len[b]-1 (bags may not overlap; rows not owned by a bag
 * are computed but get no gradient). */
typedef struct {
    const float *xv; int64_t rows_v; /* [rows_v][d_visual] contiguous, or NULL */
    const float *xa; int64_t rows_a; /* [rows_a][d_audio] contiguous, or NULL */
    int n_bags;
    const int64_t *start;
    const int32_t *len;
    const float *labels;
    /* Dropout: layer l (0, 1) of bag b draws its mask from stream
     * (seed, RB_PURPOSE_TRAIN_DROPOUT, replica, epoch * 8 + l, bag_id[b]), row-major over the bag's
     * rows - independent of batch composition, order and thread count. dropout_on = 0: eval mode. */
    int dropout_on;
    uint32_t seed, replica, epoch;
    const uint32_t *bag_id;
} rb_det_batch;

/* Scratch memory for batches of up to cap_rows trunk rows. */
typedef struct {
    int64_t cap_rows;
    float *h1, *dh1;   /* [cap][hidden1] */
    float *h2, *dh2;   /* [cap][hidden2] */
    float *z3, *dz3;   /* [cap] */
    float *p, *dp;     /* [cap][d_visual], shared (projection) only */
} rb_det_work;

int rb_det_work_alloc(rb_det_work *w, const rb_detector *d, int64_t cap_rows);
void rb_det_work_free(rb_det_work *w);

/* Forward the batch, compute the top-k MIL loss (mean over bags) and, when grad is not NULL, its
 * gradient with respect to every parameter into grad[n_params] (same layout as d->params,
 * overwritten). The snippet logits are left in w->z3. */
int rb_detector_loss_grad(const rb_detector *d, const rb_det_batch *b, rb_det_work *w, double *loss,
                          float *grad);

/* Multiply-add count of one forward+backward pass over R rows (rows_a of them projected), for
 * throughput figures: 2 flops per multiply-add. */
double rb_detector_train_flops(const rb_detector *d, int64_t rows, int64_t rows_a);

#endif

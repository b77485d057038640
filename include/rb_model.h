/* rb_model.h - the model stage (src/model/): layers, the MIL loss and Adam, the five detectors and
 * their training, the per-modality GMMs and dynamic weights, training every model of a dataset, the
 * model file (model.h5), and the parameters read from a config. */
#ifndef RB_MODEL_H
#define RB_MODEL_H

#include <stdint.h>
#include <mpi.h>
#include <stddef.h>

#include "rb_core.h"
#include "rb_io.h"
#include "rb_data.h"

/* ---- the neural-network building blocks of the detectors: batched dense layers over stacked
 * snippet matrices (cblas_sgemm for forward, input-gradient and weight-gradient), ReLU with inverted
 * dropout whose masks come from counter-based streams, the top-k MIL loss of the XD-Violence
 * baselines, and Adam with learning-rate schedules. docs/training.md explains the choices.
 *
 * Layout: every activation matrix is row-major [rows][width] with a leading dimension; a dense layer
 * stores W as [in][out] (row-major) and b as [out], so y = x W + b is one NoTrans/NoTrans sgemm and
 * the rows of W that belong to one block of input columns are a contiguous block of W. */

/* ---- dense layers (src/model/dense.c) ---- */

typedef struct {
    int in, out;
    float *w; /* [in][out] */
    float *b; /* [out] */
} rb_dense;

/* y[rows][out] (leading dim ldy) = beta * y + x[rows][k] (ldx) * w[k][out] (ldw). One sgemm. */
void rb_nn_matmul(const float *x, int64_t rows, int k, int ldx, const float *w, int out, int ldw,
                  float *y, int ldy, float beta);
/* g[k][out] (ldg) = beta * g + x^T * dy, with x [rows][k] (ldx), dy [rows][out] (lddy). One sgemm. */
void rb_nn_matmul_tn(const float *x, int64_t rows, int k, int ldx, const float *dy, int out, int lddy,
                     float *g, int ldg, float beta);
/* dx[rows][k] (lddx) = beta * dx + dy[rows][out] (lddy) * w^T, w [k][out] (ldw). One sgemm. */
void rb_nn_matmul_nt(const float *dy, int64_t rows, int out, int lddy, const float *w, int k, int ldw,
                     float *dx, int lddx, float beta);
/* y[r][j] += b[j]. */
void rb_nn_add_bias(float *y, int64_t rows, int n, int ldy, const float *b);
/* y[r][j] = relu(y[r][j] + b[j]): rb_nn_add_bias then relu (eval mode) in one pass, the same bits. */
void rb_nn_add_bias_relu(float *y, int64_t rows, int n, int ldy, const float *b);
/* y[r][j] = relu((a[r][j] + c[r][j]) + b[j]), all [rows][n] contiguous: the concat detector's two
 * first-layer halves, bias and relu in one pass. */
void rb_nn_sum_bias_relu(float *y, const float *a, const float *c, int64_t rows, int n, const float *b);
/* y[r][j] = relu((a[r][j] + b0[j]) + b[j]), or relu(a[r][j] + b[j]) when b0 is NULL. */
void rb_nn_bias2_relu(float *y, const float *a, const float *b0, int64_t rows, int n, const float *b);
/* db[j] = beta * db[j] + sum_r dy[r][j]; the sum runs in double, rows in ascending order. */
void rb_nn_colsum(const float *dy, int64_t rows, int n, int lddy, float *db, float beta);

/* Dense layer: y = x W + b (y is [rows][L->out], contiguous). */
void rb_dense_forward(const rb_dense *L, const float *x, int64_t rows, int ldx, float *y);
/* Gradients of a dense layer given dy [rows][out] (contiguous): g->w = x^T dy, g->b = colsum(dy)
 * (overwritten, or added to when accumulate is set), and dx = dy W^T when dx is not NULL. g has the
 * shape of L and points into a gradient buffer. */
void rb_dense_backward(const rb_dense *L, const float *x, int64_t rows, int ldx, const float *dy,
                       const rb_dense *g, int accumulate, float *dx, int lddx);

/* In place h = relu(h) * mask * scale over h [rows][n] (contiguous) - inverted dropout. Each element
 * takes 16 bits of stream (row-major, low half of each 32-bit word first) and is kept when they are
 * >= thr = round(p * 65536); scale = rb_nn_dropout_scale(p) = 65536 / (65536 - thr), so the expected
 * output equals relu(h) exactly (p is quantised to 1/65536). stream may be NULL when p == 0 (plain
 * ReLU). The mask depends only on the stream and the element index, never on h. */
void rb_nn_relu_dropout(float *h, int64_t rows, int n, float p, rb_rng *stream);
float rb_nn_dropout_scale(float p);
/* Backward of rb_nn_relu_dropout from its output h: dh[i] = h[i] > 0 ? dh[i] * scale : 0. */
void rb_nn_relu_dropout_backward(const float *h, float *dh, int64_t count, float p);

/* Numerically stable logistic function and log(1 + exp(x)). */
double rb_nn_sigmoid(double x);
double rb_nn_softplus(double x);

/* ---- top-k MIL loss (src/model/mil.c) ---- */

/* k of the baselines for a bag of true length t >= 1: floor(t / 16) + 1, capped at t. */
int rb_mil_k(int t);

/* Indices (0-based, relative to the bag) of the k largest of x[0..t-1], in decreasing order of value;
 * ties go to the lower index. k <= t. */
void rb_mil_topk(const float *x, int t, int k, int *idx);

/* Top-k MIL binary cross-entropy of the XD-Violence baselines over n_bags bags. Bag b's snippet
 * logits are logits[start[b] .. start[b] + len[b] - 1] (len >= 1; rows past len - padding - are never
 * read or selected). bag logit = mean of the k = rb_mil_k(len) largest snippet logits, p = sigmoid,
 * loss_b = BCE(p, label_b) computed from the logit (softplus form, no clamping). *loss = mean over
 * bags. When dlogits is not NULL it is filled with d(*loss)/d(logits): zero everywhere except the
 * selected snippets, which get (p - y) / (k * n_bags). dlogits must cover every row touched by the
 * caller's layout: the function zeroes the rows of each bag (start .. start+len-1) only. */
int rb_mil_topk_loss(const float *logits, const int64_t *start, const int32_t *len, const float *labels,
                     int n_bags, double *loss, float *dlogits);

/* ---- Adam and learning-rate schedules (src/model/adam.c) ---- */

typedef enum {
    RB_WD_L2 = 0,        /* PyTorch Adam(weight_decay=): g += wd * w before the moments */
    RB_WD_DECOUPLED = 1  /* AdamW: w -= lr * wd * w, separately from the Adam step */
} rb_wd_mode;

typedef struct {
    int64_t n;             /* number of parameters */
    int64_t t;             /* steps taken */
    double beta1, beta2, eps, weight_decay;
    rb_wd_mode wd_mode;
    float *m, *v;          /* first and second moments, [n] */
} rb_adam;

/* beta1 0.9, beta2 0.999, eps 1e-8, moments zero. */
int rb_adam_init(rb_adam *a, int64_t n, double weight_decay, rb_wd_mode wd_mode);
void rb_adam_free(rb_adam *a);
/* One step at learning rate lr (bias-corrected moments, PyTorch semantics:
 * w -= lr * mhat / (sqrt(vhat) + eps)). Per element in double, in index order. */
void rb_adam_step(rb_adam *a, float *w, const float *g, double lr);

typedef enum { RB_LR_CONSTANT = 0, RB_LR_STEP = 1, RB_LR_COSINE = 2 } rb_lr_schedule;

/* Learning rate of epoch e (0-based) of n_epochs: constant lr; step: lr * gamma^floor(e / step_every);
 * cosine: lr * (1 + cos(pi * e / n_epochs)) / 2. Changes once per epoch. */
double rb_lr_at(rb_lr_schedule s, double lr, int e, int n_epochs, int step_every, double gamma);
/* "constant" | "step" | "cosine" -> schedule; RB_ERR with a message naming the choices otherwise. */
int rb_lr_schedule_parse(const char *name, rb_lr_schedule *out);
const char *rb_lr_schedule_name(rb_lr_schedule s);

/* ---- the five snippet-level anomaly detectors of the benchmark (docs/training.md):
 * their parameters (one flat buffer, exposed as named views for saving/loading), inference scoring,
 * and the batched forward/backward pass the trainer (rb_model.h) and the gradient checks use.
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

typedef enum {
    RB_DET_CONCAT = 0,
    RB_DET_VISUAL = 1,
    RB_DET_AUDIO = 2,
    RB_DET_SHARED = 3,
    RB_DET_SHARED_PAD = 4
} rb_detector_kind;
#define RB_DET_N_KINDS 5

/* Architecture on top of the D -> hidden1 -> hidden2 trunk (model.arch, docs/training.md):
 *   mlp    per-snippet Linear(hidden2, 1) head, top-k MIL loss (the XD-Violence trunk baselines)
 *   hlnet  HL-Net (Wu et al., ECCV 2020, public code Roc-Ng/XDVioDet): three two-layer graph branches
 *          over the bag's snippets (feature-similarity, temporal-distance and score adjacency), a
 *          Linear(3 x 32, 1) classifier on their concatenation, a causal online score branch, and the
 *          loss MIL(offline) + MIL(online) + 5 x distillation. src/model/hlnet.c, src/model/graph.c. */
typedef enum { RB_ARCH_MLP = 0, RB_ARCH_HLNET = 1 } rb_detector_arch;
#define RB_HLNET_GRAPH 32  /* graph-layer width (GraphConvolution(128, 32) in the public model) */
#define RB_HLNET_ON1 64    /* online branch widths: Conv1d(128, 64, 1), Conv1d(64, 32, 1) */
#define RB_HLNET_ON2 32
#define RB_HLNET_KERNEL 5  /* residual Conv1d(.., 5, padding 2) and causal online Conv1d(32, 1, 5) */

/* HL-Net head parameters (views into rb_detector.params; H = hidden2, G = RB_HLNET_GRAPH, K = 5).
 * Branch j (0 similarity, 1 distance, 2 score) owns columns j*G .. j*G+G-1 of the [..][3G] blocks. */
typedef struct {
    float *gc_in_w;   /* [H][3G]    first graph layer of each branch (gc1, gc3, gc5), no bias */
    float *res_w;     /* [K*H][3G]  their residual Conv1d(H, G, 5, padding 2): row k*H + c, tap k */
    float *res_b;     /* [3G] */
    float *gc_out_w;  /* [3G][G]    second graph layer (gc2, gc4, gc6), rows j*G.. of branch j; identity residual */
    float *cls_w;     /* [3G]       classifier Linear(3G, 1) */
    float *cls_b;     /* [1] */
    float *on1_w, *on1_b; /* [H][64], [64]  online branch Conv1d(H, 64, 1) */
    float *on2_w, *on2_b; /* [64][32], [32] Conv1d(64, 32, 1) */
    float *onc_w, *onc_b; /* [K*32][1], [1] causal Conv1d(32, 1, 5) on 4 left zeros: row k*32 + c */
} rb_hlnet;

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
    rb_dense l1, l2, l3;  /* d_in -> hidden1 -> hidden2 -> 1 (l3 unused and empty for hlnet) */
    rb_detector_arch arch;
    rb_hlnet hl;          /* hlnet only: the head's parameter views */
    int64_t n_params_slow; /* the last n_params_slow parameters train at half the learning rate (the
                            * public HL-Net optimizer's lr / 2 for the online branch); 0 for mlp */
} rb_detector;

/* A named parameter block, row-major [rows][cols], pointing into the detector's buffer (writable, so
 * a loader can fill a freshly initialised detector of the same shape). */
typedef struct {
    const char *name; /* "proj.w", "proj.b", "l1.w", "l1.b", "l2.w", "l2.b", "l3.w", "l3.b"; hlnet:
                       * "hl.gc_in.w", "hl.res.w", "hl.res.b", "hl.gc_out.w", "hl.cls.w", "hl.cls.b",
                       * "hl.on1.w", "hl.on1.b", "hl.on2.w", "hl.on2.b", "hl.onc.w", "hl.onc.b" */
    int64_t rows, cols;
    float *data;
} rb_param_view;
#define RB_DETECTOR_MAX_PARAMS 18

/* "concat" | "visual" | "audio" | "shared" | "shared-pad". */
const char *rb_detector_kind_name(rb_detector_kind k);
int rb_detector_kind_parse(const char *name, rb_detector_kind *out);

/* Allocate the detector and initialise it: weights Xavier-uniform U(+-sqrt(6/(in+out))), biases
 * U(+-1/sqrt(in)) (PyTorch's Linear bias default), each block from its own stream
 * (seed, RB_PURPOSE_TRAIN_INIT, replica, block index, 0), row-major draw order. */
int rb_detector_init(rb_detector *d, rb_detector_kind kind, int d_visual, int d_audio, int hidden1,
                     int hidden2, float dropout, uint32_t seed, uint32_t replica);
/* The same for an architecture: rb_detector_init is rb_detector_init_arch(RB_ARCH_MLP, ...). hlnet
 * blocks draw from blocks 8.. in the order of rb_detector_params (Xavier with the fan of the public
 * layer they stand for; Conv1d fans include the kernel). */
int rb_detector_init_arch(rb_detector *d, rb_detector_arch arch, rb_detector_kind kind, int d_visual, int d_audio,
                          int hidden1, int hidden2, float dropout, uint32_t seed, uint32_t replica);
/* "mlp" | "hlnet". */
const char *rb_detector_arch_name(rb_detector_arch a);
int rb_detector_arch_parse(const char *name, rb_detector_arch *out);
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
/* Concat detector: scores from the two partial pre-activations (each [rows][hidden1]). A NULL half is
 * a zero half (a missing modality: 0 W1 = 0), with the same bits as passing zeros: relu((x + 0) + b)
 * = relu(x + b) for every float x. */
int rb_detector_score_partials(const rb_detector *d, const float *pre_visual, const float *pre_audio,
                               int64_t rows, float *scores);
/* Any detector: scores of rows snippets from their first-layer pre-activations pre[rows][hidden1]
 * without the bias (x W1 for an input x, or an equivalent such as a folded product, src/score/folded.c):
 * the trunk from the bias of layer 1 on, in eval mode. pre_bias (NULL for none, else [hidden1]) is
 * added to pre first: z1 = (pre + pre_bias) + b1. */
int rb_detector_score_pre(const rb_detector *d, const float *pre, const float *pre_bias, int64_t rows, float *scores);

/* Scores of whole videos: video v owns rows offsets[v] - offsets[0] .. offsets[v+1] - offsets[0] - 1 of
 * x (leading dimension ld). mlp: exactly rb_detector_score on all rows. hlnet: each video is one graph
 * over all its snippets (the public test.py scores whole videos), in eval mode. */
int rb_detector_score_videos(const rb_detector *d, rb_det_input input, const float *x, int ld,
                             const int64_t *offsets, int64_t n_videos, float *scores);
/* Concat detector, whole videos (rows as above, visual and audio through separate pointers). */
int rb_detector_score_concat_videos(const rb_detector *d, const float *xv, int ldv, const float *xa, int lda,
                                    const int64_t *offsets, int64_t n_videos, float *scores);

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
    /* The mlp shared detector's audio rows, (xa P + p) W1: 0 (the default) folds them into
     * xa (P W1) + p W1 when that costs fewer multiply-adds (rb_detector_fold_pays), 1 always folds,
     * -1 never does (the tests check both paths' gradients). A deterministic choice per group. */
    int audio_fold;
} rb_det_batch;

/* Whether folding pays for ra audio rows of a shared mlp detector: the per-call products P W1, P^T G
 * and G W1^T (3 (d_audio + 1) d_visual hidden1 multiply-adds) against the per-row saving
 * (3 hidden1 + 2 d_audio) d_visual - 2 d_audio hidden1: above 119 rows at the protocol widths. */
int rb_detector_fold_pays(const rb_detector *d, int64_t ra);

/* Scratch memory for batches of up to cap_rows trunk rows. */
typedef struct {
    int64_t cap_rows;
    float *h1, *dh1;   /* [cap][hidden1] */
    float *h2, *dh2;   /* [cap][hidden2] */
    float *z3, *dz3;   /* [cap] */
    float *p, *dp;     /* [cap][d_visual], shared (projection) only */
    float *fold, *dfold; /* shared mlp: [d_audio + 1][hidden1], P W1 with p W1 as its last row, and the
                          * gradient products xa^T dZ with colsum(dZ) (the folded audio path) */
    struct rb_hlnet_work *hl; /* hlnet only: head scratch, grown on demand (src/model/hlnet.c) */
} rb_det_work;

int rb_det_work_alloc(rb_det_work *w, const rb_detector *d, int64_t cap_rows);
void rb_det_work_free(rb_det_work *w);

/* Forward the batch, compute the top-k MIL loss (mean over bags) and, when grad is not NULL, its
 * gradient with respect to every parameter into grad[n_params] (same layout as d->params,
 * overwritten). The snippet logits are left in w->z3. loss NULL: forward only (no labels read, grad
 * must be NULL). hlnet: each bag is one graph; the loss is the HL-Net loss (docs/training.md), and
 * w->z3 holds the offline (classifier) logits. */
int rb_detector_loss_grad(const rb_detector *d, const rb_det_batch *b, rb_det_work *w, double *loss,
                          float *grad);

/* Multiply-add count of one forward+backward pass over R rows (rows_a of them projected), for
 * throughput figures: 2 flops per multiply-add. mlp detectors (the hlnet head's shapes: bench_hlnet). */
double rb_detector_train_flops(const rb_detector *d, int64_t rows, int64_t rows_a);

/* ---- per-modality Gaussian mixture models of clean snippet features (RobustA dynamic
 * weighting, docs/gmm-weights.md): EM fit with k-means++ seeding, and per-row negative
 * log-likelihood scoring. Diagonal covariances (default) or full covariances (Cholesky).
 *
 * Log densities are evaluated in GEMM form (docs/gmm-weights.md):
 *   diag:  log N(x|mu,diag s2) = -0.5 [ sum x^2/s2 - 2 x.(mu/s2) + sum mu^2/s2 + sum log s2 + d log 2pi ]
 *          -> one dgemm of the row block [x^2 | x] (rows x 2d) against [-0.5/s2 ; mu/s2] (2d x k);
 *   full:  -0.5 [ |L^-1 (x - mu)|^2 + 2 sum log L_ii + d log 2pi ], Sigma = L L^T -> one dtrsm per
 *          component and row block.
 * Features arrive as float32 rows with a row stride (so visual rows with a crop axis can be passed);
 * everything after the load is double. Rows are shifted by a centre c (the data mean at fit time,
 * sum_j w_j mu_j when scoring) before the GEMM, which removes most of the cancellation of the
 * expanded quadratic form without changing the result mathematically.
 *
 * The model is plain arrays (weights, means, cov) so it can be stored in HDF5 and loaded back with
 * rb_gmm_alloc + rb_gmm_validate. */

enum { RB_GMM_DIAG = 0, RB_GMM_FULL = 1 };

typedef struct {
    int k;                /* components, >= 1 (default 8); fewer fit rows than k is an error */
    int covariance;       /* RB_GMM_DIAG (default) or RB_GMM_FULL */
    int max_iter;         /* maximum number of EM M-steps, >= 0 (default 100) */
    double tol;           /* stop when the mean log-likelihood per row improves by < tol (default 1e-3) */
    double var_floor_rel; /* variance floor per dimension: var_floor_rel * (data variance of the */
    double var_floor_abs; /*   dimension) + var_floor_abs; rel >= 0 (default 1e-3), abs > 0 (1e-6) */
    int kmeans_iter;      /* Lloyd iterations after k-means++ seeding, >= 0 (default 10) */
    int64_t max_points;   /* fit on a uniform subsample of at most this many rows; 0 = all (default 0) */
    uint32_t seed;        /* run seed: RB_PURPOSE_GMM_SUBSAMPLE and RB_PURPOSE_GMM_INIT streams */
    uint32_t stream_id;   /* distinguishes fits under one seed (e.g. 0 visual, 1 audio; default 0) */
} rb_gmm_params;

typedef struct {
    int k, d;
    int full;             /* 0: diagonal covariances, 1: full covariances */
    double *weights;      /* [k] mixing weights, >= 0, sum 1 */
    double *means;        /* [k][d] */
    double *cov;          /* diag: [k][d] variances; full: [k][d][d] symmetric positive definite */
    double *var_floor;    /* [d] floor used by the fit (fit-time information, not needed to score) */
    double mean_loglik;   /* mean log-likelihood per fitted row of the final parameters */
    int iterations;       /* M-steps performed */
    int converged;        /* 1 if the tol criterion stopped EM (0: max_iter reached) */
    int64_t n_fit;        /* rows fitted on (after subsampling) */
    double *loglik_trace; /* [n_trace] mean log-likelihood of the parameters after 0, 1, .. M-steps */
    int n_trace;          /* iterations + 1 (0 for a loaded model without trace) */
} rb_gmm;

void rb_gmm_params_default(rb_gmm_params *p);

/* Fit by EM on n rows x[i*ld .. i*ld+d). rb_gmm_fit_rows fits on the rows listed in rows[0..n)
 * (row indices into x, in that order; the caller guarantees they are in range). g is overwritten and
 * owns its arrays on success (rb_gmm_free); on failure g is left empty. Non-finite input is an error
 * naming the row. Fewer fitted rows than k is an error (no silent reduction of k). */
int rb_gmm_fit(rb_gmm *g, const float *x, int64_t n, int d, int64_t ld, const rb_gmm_params *p);
int rb_gmm_fit_rows(rb_gmm *g, const float *x, int d, int64_t ld, const int64_t *rows, int64_t n,
                    const rb_gmm_params *p);

/* nll[i] = -log sum_j w_j N(x_i | mu_j, Sigma_j) for n rows with stride ld (row width g->d).
 * A visual block [snippets][crops][d] scored with n = snippets*crops, ld = d gives nll[snippet][crop].
 * rb_gmm_nll_rows scores the listed rows, nll[i] for rows[i]. */
int rb_gmm_nll(const rb_gmm *g, const float *x, int64_t n, int64_t ld, double *nll);
int rb_gmm_nll_rows(const rb_gmm *g, const float *x, int64_t ld, const int64_t *rows, int64_t n,
                    double *nll);

/* Allocate the arrays of a k x d model (zeroed; trace empty), e.g. before loading from a file. */
int rb_gmm_alloc(rb_gmm *g, int k, int d, int full);
/* Check a model (loaded or fitted): finite means, weights >= 0 summing to 1 within 1e-9, positive
 * variances (diag) or positive definite symmetric covariances (full). */
int rb_gmm_validate(const rb_gmm *g);
void rb_gmm_free(rb_gmm *g);

/* ---- Building blocks shared by gmm_fit.c and gmm_score.c (and used by the tests) ---------------- */

#define RB_GMM_BLOCK 32 /* rows per GEMM block: 32 x 2d doubles stay in L2 cache at d = 1024 (docs/scaling.md) */

/* Evaluation workspace for one model: GEMM operands derived from (weights, means, cov). */
typedef struct {
    int k, d, full;
    double *center; /* [d] shift applied to every row */
    double *B;      /* diag: [2d][k] = [-0.5/s2 ; mu_c/s2] (mu_c = mu - center) */
    double *konst;  /* [k] log w_j - 0.5 (sum mu_c^2/s2 + sum log s2 + d log 2pi) (diag)
                           log w_j - sum log L_ii - 0.5 d log 2pi (full) */
    double *chol;   /* full: [k][d][d] lower Cholesky factors */
    double *mu_c;   /* full: [k][d] centred means */
    double *A;      /* [RB_GMM_BLOCK][2d] = [xc^2 | xc] of the loaded rows */
    double *Y;      /* full: [RB_GMM_BLOCK][d] workspace */
} rb_gmm_eval;

int rb_gmm_eval_alloc(rb_gmm_eval *e, int k, int d, int full);
/* Derive the operands from g. center NULL: use sum_j w_j mu_j. Fails if a covariance is not PD. */
int rb_gmm_eval_set(rb_gmm_eval *e, const rb_gmm *g, const double *center);
void rb_gmm_eval_free(rb_gmm_eval *e);
/* Load rows (rows <= RB_GMM_BLOCK) into e->A: row r is x + (idx ? idx[first + r] : first + r) * ld.
 * A non-finite value is an error naming the row index and column. */
int rb_gmm_eval_load(rb_gmm_eval *e, const float *x, int64_t ld, const int64_t *idx, int64_t first,
                     int rows);
/* logp[r][j] = log w_j + log N(x_r | j) for the loaded rows. */
void rb_gmm_eval_logp(rb_gmm_eval *e, int rows, double *logp);
/* lse[r] = log sum_j exp(logp[r][j]); with to_resp, logp is replaced by the responsibilities. */
void rb_gmm_logsumexp(double *logp, int rows, int k, double *lse, int to_resp);
/* In-place lower Cholesky factor of a row-major symmetric d x d matrix (upper triangle zeroed).
 * Returns RB_ERR (message set) if the matrix is not positive definite. */
int rb_gmm_cholesky(double *a, int d);

/* ---- RobustA dynamic weighting (docs/gmm-weights.md): the held-out split used for
 * calibration, the per-snippet statistic (GMM NLL, raw, time-smoothed or per-video), the sigmoid
 * calibration from clean held-out data, NLL -> weight, and the weighted score fusion with crops.
 * docs/gmm-weights.md explains every choice.
 *
 * Layout conventions: per-snippet arrays with a crop axis are [n][n_crops] (snippet-major, as
 * rb_gmm_nll produces for visual rows [n][n_crops][d] scored with ld = d); audio arrays have
 * n_crops = 1. offsets[n_videos + 1] delimit videos in snippet units (offsets[0] = 0, non-decreasing,
 * offsets[n_videos] = n). */

/* Statistic the sigmoid is applied to. */
enum {
    RB_WSTAT_SNIPPET = 0, /* per-snippet NLL */
    RB_WSTAT_SMOOTH = 1,  /* centred moving average of the NLL over `window` snippets of the video,
                             truncated at the video edges (mean of the neighbours that exist) */
    RB_WSTAT_VIDEO = 2    /* mean NLL of the video, for every snippet of it */
};

typedef struct {
    int statistic;        /* RB_WSTAT_* (default RB_WSTAT_SNIPPET) */
    int window;           /* odd >= 1, for RB_WSTAT_SMOOTH (default 5) */
    int two_sided;        /* 0: distrust unlikely features only; 1: also too-likely ones (default 0) */
    double percentile_hi; /* tau_hi = this percentile of the clean held-out statistic (default 95) */
    double percentile_lo; /* tau_lo = this percentile, two-sided only (default 5) */
    double median_weight; /* each sigmoid gives the clean held-out median this weight (default 0.95);
                             sets the temperature: s = (tau_hi - median) / logit(median_weight) */
} rb_weight_params;

/* Calibration: plain doubles only, so it can be stored as one float64 array of
 * RB_WEIGHT_CALIB_NFIELDS values in field order. */
typedef struct {
    double tau_hi;        /* upper threshold: weight 0.5 from the upper sigmoid */
    double s_hi;          /* its temperature (> 0) */
    double tau_lo;        /* lower threshold (two-sided; equals the percentile even when unused) */
    double s_lo;          /* its temperature (> 0) */
    double median;        /* median of the clean held-out statistic */
    double two_sided;     /* 0 or 1 */
    double statistic;     /* RB_WSTAT_* the calibration was made with (applied identically) */
    double window;        /* smoothing window */
    double percentile_hi, percentile_lo, median_weight; /* the parameters used */
    double n_calib;       /* number of held-out values calibrated on */
} rb_weight_calib;
#define RB_WEIGHT_CALIB_NFIELDS 12

void rb_weight_params_default(rb_weight_params *p);

/* Held-out videos for calibration: exactly round(fraction * n_videos) videos, clamped to
 * [1, n_videos - 1], chosen by a permutation from RB_PURPOSE_GMM_HOLDOUT keyed by (seed, stream_id).
 * holdout[v] = 1 for held-out videos, 0 for the GMM fit videos. Needs n_videos >= 2, 0 < fraction < 1. */
int rb_weight_holdout_videos(int64_t n_videos, double fraction, uint32_t seed, uint32_t stream_id,
                             uint8_t *holdout);

/* Rows of the videos v with mask[v] == want, expanded by n_crops (row = snippet * n_crops + crop),
 * in snippet order; *sub_offsets[n_sel + 1] are the offsets of the selected videos packed in that
 * order (snippet units), n_sel in *n_sel_videos. Outputs are malloc'd (free()). */
int rb_weight_select_rows(const int64_t *offsets, int64_t n_videos, const uint8_t *mask, uint8_t want,
                          int n_crops, int64_t **rows, int64_t *n_rows, int64_t **sub_offsets,
                          int64_t *n_sel_videos);

/* out[n][n_crops] = the statistic of nll[n][n_crops], per crop column, within each video. */
int rb_weight_statistic(const double *nll, int64_t n, int n_crops, const int64_t *offsets,
                        int64_t n_videos, int statistic, int window, double *out);

/* Calibrate from m clean held-out statistic values (already passed through rb_weight_statistic).
 * Percentiles by linear interpolation between order statistics (numpy's default). */
int rb_weight_calibrate(rb_weight_calib *c, const double *stat, int64_t m, const rb_weight_params *p);
/* The same from raw held-out NLLs [n][n_crops] with their video offsets (computes the statistic of
 * p first). */
int rb_weight_calibrate_nll(rb_weight_calib *c, const double *nll, int64_t n, int n_crops,
                            const int64_t *offsets, int64_t n_videos, const rb_weight_params *p);

/* Weight of one statistic value: sigmoid((tau_hi - v) / s_hi) [* sigmoid((v - tau_lo) / s_lo)]. */
double rb_weight_of(const rb_weight_calib *c, double v);
/* Weights [n][n_crops] of test NLLs: the calibration's statistic, then rb_weight_of. */
int rb_weight_from_nll(const rb_weight_calib *c, const double *nll, int64_t n, int n_crops,
                       const int64_t *offsets, int64_t n_videos, double *w);

/* Fused per-snippet score, crop-averaged:
 *   fused[i] = (1/C) sum_c f(i,c),  f = (wv[i][c] sv[i][c] + wa[i] sa[i]) / (wv[i][c] + wa[i])
 * Missing modality: pass its scores as NULL (weight 0). Weights NULL: weight 1 for every snippet
 * (the plain mean, "shared-mean"; with one modality NULL: that modality's crop mean). If the two
 * weights sum to less than 1e-12, f is the plain mean of the available scores. sv is [n][n_crops]
 * (n_crops ignored when sv is NULL); sa, wa are [n]. At least one modality must be present;
 * weights must be finite and >= 0, scores finite. */
#define RB_FUSE_MIN_WEIGHT_SUM 1e-12
int rb_fuse_scores(const float *sv, const double *wv, int n_crops, const float *sa, const double *wa,
                   int64_t n, float *fused);

/* Mean of n weights, summed in index order (NaN for n = 0): the per-cell mean weight report. */
double rb_weight_mean(const double *w, int64_t n);

/* ---- training a detector (rb_model.h) on the clean train split with the top-k MIL loss
 * of the XD-Violence baselines: bags, resampling, minibatches, Adam, schedules, per-epoch log.
 * Training never prints; the caller prints the returned log. docs/training.md has the details.
 *
 * Determinism: the result depends only on (split, detector init, params). Shuffling, the
 * visual-or-audio choice of the shared kinds and the dropout masks come from counter-based streams
 * keyed by (seed, purpose) and countered by (replica, epoch, bag, layer), never by call order. With the
 * same BLAS build and thread count, the same seed gives bitwise identical weights. */

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
    rb_detector_arch arch;  /* model.arch (used by rb_train_detector_init; default mlp) */
    int grad_groups;        /* each minibatch is split into this many fixed groups of bags whose
                             * gradients are summed in group order: the unit of data parallelism, and
                             * the reason the weights do not depend on how many ranks train (default 8,
                             * 1 .. 64) */
    MPI_Comm team;          /* ranks training this detector together (groups dealt round-robin), or
                             * MPI_COMM_NULL to train alone; every member ends with the same weights.
                             * The members agree (rb_mpi_agree) after allocating and before each step's
                             * gradient exchange (a reduce-scatter of the group sum, then allgathers:
                             * src/model/train_groups.c), so an error on one member fails
                             * rb_train_detector on all */
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

/* ---- the trained models of one dataset (model.h5): every detector kind x replica with its
 * training log, and per modality the clean-feature GMM and the weight calibration. Layout in
 * docs/formats.md. Written on one process to a fresh <path>.tmp.XXXXXX and renamed; read on every rank. */

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
    rb_clean_stats stats[2]; /* clean train statistics per modality (the corruption surrogates' scale) */
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

/* ---- training every model of one dataset across the ranks of a communicator:
 * detector kinds x replicas and the two GMM + calibration fits are jobs, assigned to ranks by
 * estimated cost (longest first, to the least-loaded rank), run independently, and gathered on
 * rank 0 in a fixed order. A job's result depends only on its own seeds, never on the rank that ran
 * it, so the model is identical for any rank count. */

/* Every rank of comm calls this with the same config and dataset. On rank 0, *m receives the complete
 * model (detectors, logs, GMMs, calibrations); on other ranks *m is freed and left empty. Returns a
 * status every rank of comm agrees on (rb_mpi_agree; a job that failed on one rank fails the build on
 * every rank, with that rank's message).
 * dataset_name and recipe are recorded in the model. Progress lines go to stderr via rb_log. */
int rb_model_build(const rb_config *cfg, const rb_dataset *data, const char *dataset_name, const char *recipe,
                   MPI_Comm comm, rb_model *m);

/* ---- the one place where config keys become the parameter structs of the modules
 * (training, GMM, weighting), and the canonical text of config sections used in recipes. */

int rb_params_train(const rb_config *c, rb_train_params *p);
int rb_params_detectors(const rb_config *c, rb_detector_kind *kinds, int *n_kinds);
int rb_params_gmm(const rb_config *c, rb_gmm_params *p, double *holdout_fraction);
int rb_params_weights(const rb_config *c, rb_weight_params *p);
/* "key=value\n" for every scalar/array key of the schema under the given prefixes ("train."), in
 * schema order: a canonical text that changes exactly when one of those settings changes. */
int rb_params_canonical(const rb_config *c, const char *const *prefixes, int n_prefixes, char *buf, size_t cap);

#endif

/* hlnet.h - private to the model stage: the HL-Net adjacency matrices (graph.c) and the HL-Net head's
 * forward/backward over the trunk output (hlnet.c). docs/training.md ("HL-Net") explains every constant. */
#ifndef RB_MODEL_HLNET_H
#define RB_MODEL_HLNET_H

#include "rb_model.h"

/* ---- adjacency matrices of one bag of T snippets (graph.c); all row-major [T][T], ld = T ---- */

#define RB_GRAPH_SIM_THRESHOLD 0.7f /* F.threshold(cosine, 0.7, 0) in the public model's adj() */
#define RB_GRAPH_NORM_EPS 1e-20f    /* cosine denominator n_i n_j + 1e-20, as the public code */

/* Feature-similarity adjacency: cos[i][j] = x_i.x_j / (|x_i| |x_j| + 1e-20) over the row
 * [x1_i ; x2_i] (x2 may be NULL: one block), t = cos if cos > 0.7 else 0, adj = row softmax of t
 * (entries zeroed by the threshold still weigh exp(0)). cos and norms[T] are kept for the backward;
 * scratch holds T doubles. */
void rb_graph_similarity(const float *x1, int ld1, int d1, const float *x2, int ld2, int d2, int T, float *cos,
                         float *norms, float *adj, double *scratch);
/* dx[T][d] (ldx) += d(loss)/d(x) given dadj = d(loss)/d(adj) (overwritten as scratch), for one block
 * x (the projected audio of the shared detector; the other inputs are data and need no gradient).
 * scratch holds T doubles. */
void rb_graph_similarity_backward(const float *x, int ld, int d, int T, const float *cos, const float *norms,
                                  const float *adj, float *dadj, float *dx, int ldx, double *scratch);
/* Temporal-distance adjacency: adj[i][j] = exp(-|i - j| / e) with e = exp(1) in float, not normalised
 * (the public DistanceAdj); written into a T x T block with leading dimension ld. */
void rb_graph_distance(int T, float *adj, int ld);
/* Score adjacency from the online logits o[T] (treated as constants): s = sigmoid(o),
 * a[i][j] = 1 - |s_i - s_j|, adj = row softmax of 1 / (1 + exp(-(a - 0.5) / 0.1)). scratch holds T doubles. */
void rb_graph_score(const float *o, int T, float *adj, double *scratch);

/* ---- HL-Net head (hlnet.c) ---- */

/* The features a bag's similarity graph is built from: rows [x1 ; x2] (x2 NULL for one block), each
 * pointing at the bag's first row; dx1 non-NULL when the loss gradient with respect to x1 is wanted
 * (projected audio of the shared detector), added into dx1 (ld ld1). */
typedef struct {
    const float *x1; int ld1, d1;
    const float *x2; int ld2, d2;
    float *dx1;
} rb_graph_input;

/* Head over w->h2 (the trunk output after its dropout, R rows): offline logits into w->z3, online
 * logits kept in the work space; with loss: the HL-Net loss (docs/training.md); with grad: the head's
 * parameter gradients into grad (d->params layout) and d(loss)/d(h2) into dh2 (overwritten). */
int rb_hlnet_head(const rb_detector *d, const rb_det_batch *b, rb_det_work *w, int64_t R, const rb_graph_input *gin,
                  double *loss, float *grad, float *dh2);
/* The online logits of the last rb_hlnet_head call ([R]). */
const float *rb_hlnet_online_logits(const rb_det_work *w);
void rb_hlnet_work_free(struct rb_hlnet_work *h);

/* Test hook for finite differences of the loss the gradient belongs to: the public code detaches the
 * score adjacency's input (logits2.detach() in sadj) and the distillation target (sigmoid(logits)
 * .detach() in CENTROPY). on = 1: until called with 0, later passes on the same bags keep the score
 * adjacency and the distillation target of the last pass (R rows). */
int rb_hlnet_freeze(rb_det_work *w, int64_t R, int on);

/* The three loss terms of the last rb_hlnet_head call with a loss: MIL(offline), MIL(online), distillation. */
void rb_hlnet_loss_terms(const rb_det_work *w, double terms[3]);

#endif

/* hlnet.c - the HL-Net head (hlnet.h) over the detector trunk's output: the online score branch
 * (two 1x1 convolutions and a causal width-5 convolution), the three two-layer graph branches
 * (similarity, distance and score adjacency; residual Conv1d(H, 32, 5) on the first layer, identity
 * on the second), the classifier on their concatenation, the HL-Net loss and the backward pass.
 * Every dense product is one sgemm over all rows of the batch; every T x T adjacency product is one
 * sgemm per bag and branch. docs/training.md ("HL-Net") gives the sources of the constants. */
#include "hlnet.h"

#include "rb_core.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { G = RB_HLNET_GRAPH, G3 = 3 * RB_HLNET_GRAPH, A1 = RB_HLNET_ON1, A2 = RB_HLNET_ON2, K = RB_HLNET_KERNEL };
#define RB_HLNET_DISTILL_WEIGHT 5.0 /* total_loss = clsloss + clsloss2 + 5 * croloss (public train.py) */

struct rb_hlnet_work {
    int64_t cap_rows, cap_adj, cap_dadj, cap_bags;
    int cap_len, dist_len;
    /* forward, [rows][width] */
    float *x5;              /* [R][K*H] im2col of h2 (residual convolution, 2 zero rows each side of a bag) */
    float *u, *g1, *u2, *g2;/* [R][3G] */
    float *a1, *a2;         /* [R][A1], [R][A2] online branch */
    float *a2c;             /* [R][K*A2] causal im2col of a2 (4 zero rows before each bag) */
    float *o;               /* [R] online logits */
    float *adj_s, *cos_s, *adj_p; /* per bag T x T, at adj_off[b] */
    float *norms;           /* [R] */
    float *adj_d;           /* [dist_len][dist_len]: every bag uses its top-left T x T block */
    int64_t *adj_off;       /* [bags] */
    /* backward */
    float *dg2, *dg1, *du;  /* [R][3G] */
    float *dx5;             /* [R][K*H] */
    float *da1, *da2, *da2c, *dz, *dout; /* online and logit gradients */
    float *dadj_s;          /* per bag T x T (shared audio bags only) */
    double *scratch;        /* [cap_len] */
    double terms[3];
    /* test hook (rb_hlnet_freeze): the detached quantities held at their values of one pass */
    int frozen;
    float *z_frozen;        /* [cap_rows] offline logits the distillation target is taken from */
};

void rb_hlnet_work_free(struct rb_hlnet_work *h) {
    if (!h) return;
    float *f[] = {h->x5, h->u, h->g1, h->u2, h->g2, h->a1, h->a2, h->a2c, h->o, h->adj_s, h->cos_s, h->adj_p,
                  h->norms, h->adj_d, h->dg2, h->dg1, h->du, h->dx5, h->da1, h->da2, h->da2c, h->dz, h->dout,
                  h->dadj_s, h->z_frozen};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) free(f[i]);
    free(h->adj_off);
    free(h->scratch);
    free(h);
}

const float *rb_hlnet_online_logits(const rb_det_work *w) { return w->hl ? w->hl->o : NULL; }

int rb_hlnet_freeze(rb_det_work *w, int64_t R, int on) {
    struct rb_hlnet_work *h = w->hl;
    if (!h) return rb_fail("hlnet freeze: no forward pass yet");
    h->frozen = 0;
    if (!on) return RB_OK;
    free(h->z_frozen);
    if (!(h->z_frozen = rb_malloc(sizeof(float) * (size_t)(R > 0 ? R : 1), "frozen logits"))) return RB_ERR;
    memcpy(h->z_frozen, w->z3, sizeof(float) * (size_t)R);
    h->frozen = 1;
    return RB_OK;
}

void rb_hlnet_loss_terms(const rb_det_work *w, double terms[3]) {
    for (int i = 0; i < 3; i++) terms[i] = w->hl ? w->hl->terms[i] : NAN;
}

static int rb_grow(float **p, int64_t n, const char *what) {
    free(*p);
    *p = rb_malloc(sizeof(float) * (size_t)(n > 0 ? n : 1), what);
    return *p ? RB_OK : RB_ERR;
}

/* Size the scratch for R rows, bags whose T x T blocks total n_adj, longest bag max_len. */
static int rb_hlnet_reserve(rb_det_work *w, const rb_detector *d, int64_t R, int64_t n_adj, int n_bags, int max_len,
                            int need_adj_grad) {
    if (!w->hl) {
        w->hl = rb_calloc(1, sizeof *w->hl, "HL-Net work space");
        if (!w->hl) return RB_ERR;
    }
    struct rb_hlnet_work *h = w->hl;
    const int64_t H = d->hidden2;
    if (R > h->cap_rows) {
        int64_t c = R;
        if (rb_grow(&h->x5, c * K * H, "HL-Net im2col") || rb_grow(&h->dx5, c * K * H, "HL-Net im2col gradient") ||
            rb_grow(&h->u, c * G3, "HL-Net graph") || rb_grow(&h->g1, c * G3, "HL-Net graph") ||
            rb_grow(&h->u2, c * G3, "HL-Net graph") || rb_grow(&h->g2, c * G3, "HL-Net graph") ||
            rb_grow(&h->dg2, c * G3, "HL-Net graph") || rb_grow(&h->dg1, c * G3, "HL-Net graph") ||
            rb_grow(&h->du, c * G3, "HL-Net graph") || rb_grow(&h->a1, c * A1, "HL-Net online") ||
            rb_grow(&h->a2, c * A2, "HL-Net online") || rb_grow(&h->a2c, c * K * A2, "HL-Net online") ||
            rb_grow(&h->da1, c * A1, "HL-Net online") || rb_grow(&h->da2, c * A2, "HL-Net online") ||
            rb_grow(&h->da2c, c * K * A2, "HL-Net online") || rb_grow(&h->o, c, "HL-Net online") ||
            rb_grow(&h->dz, c, "HL-Net logits") || rb_grow(&h->dout, c, "HL-Net logits") ||
            rb_grow(&h->norms, c, "HL-Net norms"))
            return RB_ERR;
        h->cap_rows = c;
    }
    if (n_adj > h->cap_adj) {
        if (rb_grow(&h->adj_s, n_adj, "HL-Net similarity adjacency") || rb_grow(&h->cos_s, n_adj, "HL-Net cosines") ||
            rb_grow(&h->adj_p, n_adj, "HL-Net score adjacency"))
            return RB_ERR;
        h->cap_adj = n_adj;
    }
    /* the similarity graph's gradient: only for learned graph inputs (projected audio in training) */
    if (need_adj_grad && n_adj > h->cap_dadj) {
        if (rb_grow(&h->dadj_s, n_adj, "HL-Net adjacency gradient")) return RB_ERR;
        h->cap_dadj = n_adj;
    }
    if (n_bags > h->cap_bags) {
        free(h->adj_off);
        if (!(h->adj_off = rb_malloc(sizeof(int64_t) * (size_t)n_bags, "HL-Net bag offsets"))) return RB_ERR;
        h->cap_bags = n_bags;
    }
    if (max_len > h->cap_len) {
        free(h->scratch);
        if (!(h->scratch = rb_malloc(sizeof(double) * (size_t)max_len, "HL-Net scratch"))) return RB_ERR;
        h->cap_len = max_len;
    }
    if (max_len > h->dist_len) {
        if (rb_grow(&h->adj_d, (int64_t)max_len * max_len, "HL-Net distance adjacency")) return RB_ERR;
        rb_graph_distance(max_len, h->adj_d, max_len);
        h->dist_len = max_len;
    }
    return RB_OK;
}

/* im2col of a bag's rows for a width-K convolution: col[t][k*n + c] = x[t + k - left][c], zero outside
 * the bag (left = 2: Conv1d padding 2; left = 4: the causal F.pad(.., (4, 0))). */
static void rb_im2col(const float *x, int T, int n, int left, float *col) {
    for (int t = 0; t < T; t++)
        for (int k = 0; k < K; k++) {
            int s = t + k - left;
            float *dst = col + ((int64_t)t * K + k) * n;
            if (s < 0 || s >= T) memset(dst, 0, sizeof(float) * (size_t)n);
            else memcpy(dst, x + (int64_t)s * n, sizeof(float) * (size_t)n);
        }
}

/* Adjoint of rb_im2col: dx[s] += dcol[t][k*n..] for s = t + k - left inside the bag. */
static void rb_col2im_add(const float *dcol, int T, int n, int left, float *dx) {
    for (int t = 0; t < T; t++)
        for (int k = 0; k < K; k++) {
            int s = t + k - left;
            if (s < 0 || s >= T) continue;
            const float *src = dcol + ((int64_t)t * K + k) * n;
            float *dst = dx + (int64_t)s * n;
            for (int c = 0; c < n; c++) dst[c] += src[c];
        }
}

/* relu, plus the per-bag inverted dropout of layer `layer` in training (the trunk's scheme). */
static void rb_hlnet_activation(const rb_detector *d, const rb_det_batch *b, float *h, int64_t R, int n, int layer) {
    rb_nn_relu_dropout(h, R, n, 0.0f, NULL);
    if (!(b->dropout_on && d->dropout > 0.0f)) return;
    for (int i = 0; i < b->n_bags; i++) {
        rb_rng r;
        rb_rng_init(&r, b->seed, RB_PURPOSE_TRAIN_DROPOUT, b->replica, b->epoch * 8u + (uint32_t)layer, b->bag_id[i]);
        rb_nn_relu_dropout(h + b->start[i] * n, b->len[i], n, d->dropout, &r);
    }
}

/* out[T][G] (ld G3) (+)= A[T][T] (ld lda, transposed when trans) x in[T][G] (ld G3). */
static void rb_adj_mul(const float *A, int lda, int trans, const float *in, int T, float *out, float beta) {
    cblas_sgemm(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, CblasNoTrans, T, G, T, 1.0f, A, lda, in, G3, beta,
                out, G3);
}

/* Adjacency of branch j (0 similarity, 1 distance, 2 score) of the bag whose blocks start at off. */
static const float *rb_branch_adj(const struct rb_hlnet_work *h, int j, int64_t off, int T, int *lda) {
    *lda = j == 1 ? h->dist_len : T;
    return j == 0 ? h->adj_s + off : j == 1 ? h->adj_d : h->adj_p + off;
}

static float *rb_gv(const rb_detector *d, float *grad, const float *param) { return grad + (param - d->params); }

/* Distillation term of the public CENTROPY: mean over bags of mean_t -sigmoid(z_t) log sigmoid(o_t),
 * sigmoid(z) a constant; log sigmoid(o) = -softplus(-o). Adds w * its gradient to dout when not NULL. */
static double rb_distill(const float *z, const float *o, const rb_det_batch *b, double weight, float *dout) {
    double total = 0.0;
    for (int i = 0; i < b->n_bags; i++) {
        const int64_t s0 = b->start[i];
        const int T = b->len[i];
        double sum = 0.0;
        for (int t = 0; t < T; t++) {
            double p = rb_nn_sigmoid(z[s0 + t]);
            sum += p * rb_nn_softplus(-(double)o[s0 + t]);
            if (dout) dout[s0 + t] += (float)(weight * -p * (1.0 - rb_nn_sigmoid(o[s0 + t])) / ((double)T * b->n_bags));
        }
        total += sum / T;
    }
    return total / b->n_bags;
}

int rb_hlnet_head(const rb_detector *d, const rb_det_batch *b, rb_det_work *w, int64_t R, const rb_graph_input *gin,
                  double *loss, float *grad, float *dh2) {
    const int H = d->hidden2;
    const rb_hlnet *P = &d->hl;
    int64_t n_adj = 0;
    int max_len = 1, adj_grad = 0;
    for (int i = 0; i < b->n_bags; i++) {
        adj_grad |= grad && gin[i].dx1;
        n_adj += (int64_t)b->len[i] * b->len[i];
        if (b->len[i] > max_len) max_len = b->len[i];
    }
    RB_TRY_CTX(rb_hlnet_reserve(w, d, R, n_adj, b->n_bags, max_len, adj_grad), "detector %s (hlnet)", rb_detector_kind_name(d->kind));
    struct rb_hlnet_work *h = w->hl;
    const float *h2 = w->h2;
    int64_t off = 0;
    for (int i = 0; i < b->n_bags; i++) {
        h->adj_off[i] = off;
        off += (int64_t)b->len[i] * b->len[i];
    }

    /* online branch: a1 = relu(h2 W + b), a2 = relu(a1 W + b), o = causal conv5(a2) */
    rb_nn_matmul(h2, R, H, H, P->on1_w, A1, A1, h->a1, A1, 0.0f);
    rb_nn_add_bias(h->a1, R, A1, A1, P->on1_b);
    rb_nn_relu_dropout(h->a1, R, A1, 0.0f, NULL);
    rb_nn_matmul(h->a1, R, A1, A1, P->on2_w, A2, A2, h->a2, A2, 0.0f);
    rb_nn_add_bias(h->a2, R, A2, A2, P->on2_b);
    rb_nn_relu_dropout(h->a2, R, A2, 0.0f, NULL);
    memset(h->a2c, 0, sizeof(float) * (size_t)R * K * A2);
    for (int i = 0; i < b->n_bags; i++)
        rb_im2col(h->a2 + b->start[i] * A2, b->len[i], A2, K - 1, h->a2c + b->start[i] * K * A2);
    rb_nn_matmul(h->a2c, R, K * A2, K * A2, P->onc_w, 1, 1, h->o, 1, 0.0f);
    rb_nn_add_bias(h->o, R, 1, 1, P->onc_b);

    /* adjacencies of every bag */
    for (int i = 0; i < b->n_bags; i++) {
        const rb_graph_input *g = &gin[i];
        rb_graph_similarity(g->x1, g->ld1, g->d1, g->x2, g->ld2, g->d2, b->len[i], h->cos_s + h->adj_off[i],
                            h->norms + b->start[i], h->adj_s + h->adj_off[i], h->scratch);
        if (!h->frozen) rb_graph_score(h->o + b->start[i], b->len[i], h->adj_p + h->adj_off[i], h->scratch);
    }

    /* first graph layer of the three branches: g1 = relu(A (h2 W) + conv5(h2) + b), dropout */
    rb_nn_matmul(h2, R, H, H, P->gc_in_w, G3, G3, h->u, G3, 0.0f);
    memset(h->x5, 0, sizeof(float) * (size_t)R * K * H);
    for (int i = 0; i < b->n_bags; i++) rb_im2col(h2 + b->start[i] * H, b->len[i], H, K / 2, h->x5 + b->start[i] * K * H);
    rb_nn_matmul(h->x5, R, K * H, K * H, P->res_w, G3, G3, h->g1, G3, 0.0f);
    rb_nn_add_bias(h->g1, R, G3, G3, P->res_b);
    for (int i = 0; i < b->n_bags; i++)
        for (int j = 0; j < 3; j++) {
            int lda;
            const float *A = rb_branch_adj(h, j, h->adj_off[i], b->len[i], &lda);
            int64_t r0 = b->start[i] * G3 + j * G;
            rb_adj_mul(A, lda, 0, h->u + r0, b->len[i], h->g1 + r0, 1.0f);
        }
    rb_hlnet_activation(d, b, h->g1, R, G3, 2);

    /* second graph layer: g2 = relu(A (g1_j W_j) + g1_j), dropout */
    for (int j = 0; j < 3; j++)
        rb_nn_matmul(h->g1 + j * G, R, G, G3, P->gc_out_w + (int64_t)j * G * G, G, G, h->u2 + j * G, G3, 0.0f);
    memcpy(h->g2, h->g1, sizeof(float) * (size_t)R * G3);
    for (int i = 0; i < b->n_bags; i++)
        for (int j = 0; j < 3; j++) {
            int lda;
            const float *A = rb_branch_adj(h, j, h->adj_off[i], b->len[i], &lda);
            int64_t r0 = b->start[i] * G3 + j * G;
            rb_adj_mul(A, lda, 0, h->u2 + r0, b->len[i], h->g2 + r0, 1.0f);
        }
    rb_hlnet_activation(d, b, h->g2, R, G3, 3);

    /* classifier on the concatenated branches: offline logits */
    rb_nn_matmul(h->g2, R, G3, G3, P->cls_w, 1, 1, w->z3, 1, 0.0f);
    rb_nn_add_bias(w->z3, R, 1, 1, P->cls_b);
    if (!loss) return RB_OK;

    /* loss = MIL(z) + MIL(o) + 5 distill(z, o) */
    memset(h->dz, 0, sizeof(float) * (size_t)R);
    memset(h->dout, 0, sizeof(float) * (size_t)R);
    RB_TRY_CTX(rb_mil_topk_loss(w->z3, b->start, b->len, b->labels, b->n_bags, &h->terms[0], grad ? h->dz : NULL),
               "detector %s (hlnet, offline)", rb_detector_kind_name(d->kind));
    RB_TRY_CTX(rb_mil_topk_loss(h->o, b->start, b->len, b->labels, b->n_bags, &h->terms[1], grad ? h->dout : NULL),
               "detector %s (hlnet, online)", rb_detector_kind_name(d->kind));
    h->terms[2] = rb_distill(h->frozen ? h->z_frozen : w->z3, h->o, b, RB_HLNET_DISTILL_WEIGHT, grad ? h->dout : NULL);
    *loss = h->terms[0] + h->terms[1] + RB_HLNET_DISTILL_WEIGHT * h->terms[2];
    if (!grad) return RB_OK;

    const float p = b->dropout_on ? d->dropout : 0.0f;
    /* classifier */
    rb_nn_matmul_tn(h->g2, R, G3, G3, h->dz, 1, 1, rb_gv(d, grad, P->cls_w), 1, 0.0f);
    rb_nn_colsum(h->dz, R, 1, 1, rb_gv(d, grad, P->cls_b), 0.0f);
    rb_nn_matmul_nt(h->dz, R, 1, 1, P->cls_w, G3, 1, h->dg2, G3, 0.0f);
    rb_nn_relu_dropout_backward(h->g2, h->dg2, R * G3, p);
    /* second graph layer: dg1 = dpre2 (residual) + (A^T dpre2) W^T */
    memcpy(h->dg1, h->dg2, sizeof(float) * (size_t)R * G3);
    for (int i = 0; i < b->n_bags; i++) {
        const int T = b->len[i];
        for (int j = 0; j < 3; j++) {
            int lda;
            const float *A = rb_branch_adj(h, j, h->adj_off[i], b->len[i], &lda);
            int64_t r0 = b->start[i] * G3 + j * G;
            rb_adj_mul(A, lda, 1, h->dg2 + r0, T, h->du + r0, 0.0f);
        }
        if (gin[i].dx1) /* dA_sim = dpre2_sim u2_sim^T */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, G, 1.0f, h->dg2 + b->start[i] * G3, G3,
                        h->u2 + b->start[i] * G3, G3, 0.0f, h->dadj_s + h->adj_off[i], T);
    }
    for (int j = 0; j < 3; j++) {
        rb_nn_matmul_tn(h->g1 + j * G, R, G, G3, h->du + j * G, G, G3, rb_gv(d, grad, P->gc_out_w) + (int64_t)j * G * G, G, 0.0f);
        rb_nn_matmul_nt(h->du + j * G, R, G, G3, P->gc_out_w + (int64_t)j * G * G, G, G, h->dg1 + j * G, G3, 1.0f);
    }
    rb_nn_relu_dropout_backward(h->g1, h->dg1, R * G3, p);
    /* first graph layer */
    for (int i = 0; i < b->n_bags; i++) {
        const int T = b->len[i];
        for (int j = 0; j < 3; j++) {
            int lda;
            const float *A = rb_branch_adj(h, j, h->adj_off[i], b->len[i], &lda);
            int64_t r0 = b->start[i] * G3 + j * G;
            rb_adj_mul(A, lda, 1, h->dg1 + r0, T, h->du + r0, 0.0f);
        }
        if (gin[i].dx1)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, G, 1.0f, h->dg1 + b->start[i] * G3, G3,
                        h->u + b->start[i] * G3, G3, 1.0f, h->dadj_s + h->adj_off[i], T);
    }
    rb_nn_matmul_tn(h2, R, H, H, h->du, G3, G3, rb_gv(d, grad, P->gc_in_w), G3, 0.0f);
    rb_nn_matmul_tn(h->x5, R, K * H, K * H, h->dg1, G3, G3, rb_gv(d, grad, P->res_w), G3, 0.0f);
    rb_nn_colsum(h->dg1, R, G3, G3, rb_gv(d, grad, P->res_b), 0.0f);
    rb_nn_matmul_nt(h->du, R, G3, G3, P->gc_in_w, H, G3, dh2, H, 0.0f);
    rb_nn_matmul_nt(h->dg1, R, G3, G3, P->res_w, K * H, G3, h->dx5, K * H, 0.0f);
    for (int i = 0; i < b->n_bags; i++) rb_col2im_add(h->dx5 + b->start[i] * K * H, b->len[i], H, K / 2, dh2 + b->start[i] * H);
    /* online branch */
    rb_nn_matmul_tn(h->a2c, R, K * A2, K * A2, h->dout, 1, 1, rb_gv(d, grad, P->onc_w), 1, 0.0f);
    rb_nn_colsum(h->dout, R, 1, 1, rb_gv(d, grad, P->onc_b), 0.0f);
    rb_nn_matmul_nt(h->dout, R, 1, 1, P->onc_w, K * A2, 1, h->da2c, K * A2, 0.0f);
    memset(h->da2, 0, sizeof(float) * (size_t)R * A2);
    for (int i = 0; i < b->n_bags; i++)
        rb_col2im_add(h->da2c + b->start[i] * K * A2, b->len[i], A2, K - 1, h->da2 + b->start[i] * A2);
    rb_nn_relu_dropout_backward(h->a2, h->da2, R * A2, 0.0f);
    rb_nn_matmul_tn(h->a1, R, A1, A1, h->da2, A2, A2, rb_gv(d, grad, P->on2_w), A2, 0.0f);
    rb_nn_colsum(h->da2, R, A2, A2, rb_gv(d, grad, P->on2_b), 0.0f);
    rb_nn_matmul_nt(h->da2, R, A2, A2, P->on2_w, A1, A2, h->da1, A1, 0.0f);
    rb_nn_relu_dropout_backward(h->a1, h->da1, R * A1, 0.0f);
    rb_nn_matmul_tn(h2, R, H, H, h->da1, A1, A1, rb_gv(d, grad, P->on1_w), A1, 0.0f);
    rb_nn_colsum(h->da1, R, A1, A1, rb_gv(d, grad, P->on1_b), 0.0f);
    rb_nn_matmul_nt(h->da1, R, A1, A1, P->on1_w, H, A1, dh2, H, 1.0f);
    /* similarity graphs built from learned features (projected audio): their gradient */
    for (int i = 0; i < b->n_bags; i++) {
        const rb_graph_input *g = &gin[i];
        if (!g->dx1) continue;
        rb_graph_similarity_backward(g->x1, g->ld1, g->d1, b->len[i], h->cos_s + h->adj_off[i], h->norms + b->start[i],
                                     h->adj_s + h->adj_off[i], h->dadj_s + h->adj_off[i], g->dx1, g->ld1, h->scratch);
    }
    return RB_OK;
}

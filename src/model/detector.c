/* detector.c - the five detector variants (rb_model.h): parameter layout and initialisation,
 * inference scoring (plain, concat from two modalities, concat from cached first-layer halves), and
 * the batched training forward/backward pass with the top-k MIL loss. */
#include "rb_model.h"
#include "hlnet.h"

#include "rb_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RB_SCORE_CHUNK 4096 /* rows per inference chunk: bounds scratch memory */
/* Rows per pass of the trunk after the first layer (bias and relu, second layer, output): 256 rows of
 * 512 activations (512 KiB) stay in L2 cache from the relu pass into the second product, instead of
 * going out to memory and back (a missing cell 10% and a fog cell 3% faster, the same bits). The last
 * pass takes all that is left below 2 x 256 rows, so a pass has fewer than 256 rows only when the
 * whole call has: BLAS libraries switch to other kernels for products of a few rows, whose rounding
 * can differ (exact_ties.c), and splitting a call into passes never creates such a product. */
#define RB_TAIL_CHUNK 256
static int64_t rb_tail_rows(int64_t left) { return left < 2 * RB_TAIL_CHUNK ? left : RB_TAIL_CHUNK; }

static const char *const rb_kind_names[RB_DET_N_KINDS] = {"concat", "visual", "audio", "shared",
                                                          "shared-pad"};

const char *rb_detector_kind_name(rb_detector_kind k) {
    return (unsigned)k < RB_DET_N_KINDS ? rb_kind_names[k] : "unknown";
}

int rb_detector_kind_parse(const char *name, rb_detector_kind *out) {
    for (int i = 0; i < RB_DET_N_KINDS; i++)
        if (strcmp(name, rb_kind_names[i]) == 0) {
            *out = (rb_detector_kind)i;
            return RB_OK;
        }
    return rb_fail("detector kind: expected concat, visual, audio, shared or shared-pad, got \"%s\"",
                   name);
}


static const char *const rb_arch_names[2] = {"mlp", "hlnet"};

const char *rb_detector_arch_name(rb_detector_arch a) { return (unsigned)a < 2 ? rb_arch_names[a] : "unknown"; }

int rb_detector_arch_parse(const char *name, rb_detector_arch *out) {
    for (int i = 0; i < 2; i++)
        if (strcmp(name, rb_arch_names[i]) == 0) {
            *out = (rb_detector_arch)i;
            return RB_OK;
        }
    return rb_fail("model.arch: expected mlp or hlnet, got \"%s\"", name);
}

/* The HL-Net head's blocks in buffer order: name, shape, the view it sets, and the fans of the public
 * layer it stands for (Xavier bound for weights, 1/sqrt(fan_in) for biases). */
typedef struct {
    const char *name;
    int64_t rows, cols;
    float **view;
    double fan_in, fan_out;
    int bias;
} rb_hl_block;

enum { RB_HL_NBLOCKS = 12 };

static void rb_hl_blocks(rb_detector *d, rb_hl_block *bl) {
    const double H = d->hidden2, Gw = RB_HLNET_GRAPH, Kk = RB_HLNET_KERNEL, a1 = RB_HLNET_ON1, a2 = RB_HLNET_ON2;
    const int64_t h = d->hidden2, g3 = 3 * RB_HLNET_GRAPH, k = RB_HLNET_KERNEL;
    rb_hlnet *P = &d->hl;
    rb_hl_block t[RB_HL_NBLOCKS] = {
        {"hl.gc_in.w", h, g3, &P->gc_in_w, H, Gw, 0},
        {"hl.res.w", k * h, g3, &P->res_w, H * Kk, Gw * Kk, 0},
        {"hl.res.b", 1, g3, &P->res_b, H * Kk, 0, 1},
        {"hl.gc_out.w", g3, RB_HLNET_GRAPH, &P->gc_out_w, Gw, Gw, 0},
        {"hl.cls.w", g3, 1, &P->cls_w, 3 * Gw, 1, 0},
        {"hl.cls.b", 1, 1, &P->cls_b, 3 * Gw, 0, 1},
        {"hl.on1.w", h, RB_HLNET_ON1, &P->on1_w, H, a1, 0},
        {"hl.on1.b", 1, RB_HLNET_ON1, &P->on1_b, H, 0, 1},
        {"hl.on2.w", RB_HLNET_ON1, RB_HLNET_ON2, &P->on2_w, a1, a2, 0},
        {"hl.on2.b", 1, RB_HLNET_ON2, &P->on2_b, a1, 0, 1},
        {"hl.onc.w", k * RB_HLNET_ON2, 1, &P->onc_w, a2 * Kk, Kk, 0},
        {"hl.onc.b", 1, 1, &P->onc_b, a2 * Kk, 0, 1},
    };
    memcpy(bl, t, sizeof t);
}
#define RB_HL_FIRST_SLOW 6 /* hl.on1.w onwards: the online branch, lr / 2 in the public optimizer */

/* Point the layers into d->params in buffer order; returns the parameter count. */
static int64_t rb_det_layout(rb_detector *d) {
    float *base = d->params;
    int64_t off = 0;
    rb_dense *layers[4] = {&d->proj, &d->l1, &d->l2, &d->l3};
    int ins[4] = {d->d_audio, d->d_in, d->hidden1, d->hidden2};
    int outs[4] = {d->d_visual, d->hidden1, d->hidden2, 1};
    int n_layers = d->arch == RB_ARCH_HLNET ? 3 : 4; /* hlnet replaces the Linear(hidden2, 1) head */
    for (int i = d->has_proj ? 0 : 1; i < n_layers; i++) {
        layers[i]->in = ins[i];
        layers[i]->out = outs[i];
        layers[i]->w = base ? base + off : NULL;
        off += (int64_t)ins[i] * outs[i];
        layers[i]->b = base ? base + off : NULL;
        off += outs[i];
    }
    if (!d->has_proj) memset(&d->proj, 0, sizeof d->proj);
    d->n_params_slow = 0;
    if (d->arch == RB_ARCH_HLNET) {
        memset(&d->l3, 0, sizeof d->l3);
        rb_hl_block bl[RB_HL_NBLOCKS];
        rb_hl_blocks(d, bl);
        for (int i = 0; i < RB_HL_NBLOCKS; i++) {
            *bl[i].view = base ? base + off : NULL;
            off += bl[i].rows * bl[i].cols;
            if (i >= RB_HL_FIRST_SLOW) d->n_params_slow += bl[i].rows * bl[i].cols;
        }
    } else {
        memset(&d->hl, 0, sizeof d->hl);
    }
    return off;
}

static void rb_det_init_block(float *x, int64_t count, double bound, uint32_t seed, uint32_t replica,
                              uint32_t block) {
    rb_rng r;
    rb_rng_init(&r, seed, RB_PURPOSE_TRAIN_INIT, replica, block, 0);
    for (int64_t i = 0; i < count; i++) x[i] = (float)(bound * (2.0 * rb_rng_uniform(&r) - 1.0));
}

int rb_detector_init(rb_detector *d, rb_detector_kind kind, int d_visual, int d_audio, int hidden1,
                     int hidden2, float dropout, uint32_t seed, uint32_t replica) {
    return rb_detector_init_arch(d, RB_ARCH_MLP, kind, d_visual, d_audio, hidden1, hidden2, dropout, seed, replica);
}

int rb_detector_init_arch(rb_detector *d, rb_detector_arch arch, rb_detector_kind kind, int d_visual, int d_audio,
                          int hidden1, int hidden2, float dropout, uint32_t seed, uint32_t replica) {
    memset(d, 0, sizeof *d);
    if ((unsigned)kind >= RB_DET_N_KINDS) return rb_fail("detector: unknown kind %d", (int)kind);
    if (arch != RB_ARCH_MLP && arch != RB_ARCH_HLNET) return rb_fail("detector: unknown architecture %d", (int)arch);
    d->arch = arch;
    if (d_visual < 1 || d_audio < 1)
        return rb_fail("detector %s: expected feature widths >= 1, got visual %d, audio %d",
                       rb_kind_names[kind], d_visual, d_audio);
    if (kind == RB_DET_SHARED_PAD && d_audio > d_visual)
        return rb_fail("detector shared-pad: audio width %d cannot be zero-padded to visual width %d",
                       d_audio, d_visual);
    if (hidden1 < 1 || hidden2 < 1)
        return rb_fail("detector %s: expected hidden widths >= 1, got %d and %d", rb_kind_names[kind],
                       hidden1, hidden2);
    if (!(dropout >= 0.0f && dropout < 1.0f))
        return rb_fail("detector %s: expected dropout in [0, 1), got %g", rb_kind_names[kind],
                       (double)dropout);
    if ((int64_t)d_visual + d_audio > 1 << 24 || hidden1 > 1 << 20 || hidden2 > 1 << 20)
        return rb_fail("detector %s: widths too large (visual %d, audio %d, hidden %d, %d)",
                       rb_kind_names[kind], d_visual, d_audio, hidden1, hidden2);
    d->kind = kind;
    d->d_visual = d_visual;
    d->d_audio = d_audio;
    d->d_in = kind == RB_DET_CONCAT ? d_visual + d_audio : kind == RB_DET_AUDIO ? d_audio : d_visual;
    d->hidden1 = hidden1;
    d->hidden2 = hidden2;
    d->dropout = dropout;
    d->has_proj = kind == RB_DET_SHARED;
    d->n_params = rb_det_layout(d);
    d->params = rb_malloc((size_t)d->n_params * sizeof(float), "detector parameters");
    if (!d->params) return rb_context("detector %s", rb_kind_names[kind]);
    rb_det_layout(d);
    rb_dense *layers[4] = {&d->proj, &d->l1, &d->l2, &d->l3};
    for (int i = d->has_proj ? 0 : 1; i < (arch == RB_ARCH_HLNET ? 3 : 4); i++) {
        rb_dense *L = layers[i];
        double wb = sqrt(6.0 / (double)(L->in + L->out)), bb = 1.0 / sqrt((double)L->in);
        rb_det_init_block(L->w, (int64_t)L->in * L->out, wb, seed, replica, (uint32_t)(2 * i));
        rb_det_init_block(L->b, L->out, bb, seed, replica, (uint32_t)(2 * i + 1));
    }
    if (arch == RB_ARCH_HLNET) {
        rb_hl_block bl[RB_HL_NBLOCKS];
        rb_hl_blocks(d, bl);
        for (int i = 0; i < RB_HL_NBLOCKS; i++) {
            double bound = bl[i].bias ? 1.0 / sqrt(bl[i].fan_in) : sqrt(6.0 / (bl[i].fan_in + bl[i].fan_out));
            rb_det_init_block(*bl[i].view, bl[i].rows * bl[i].cols, bound, seed, replica, (uint32_t)(8 + i));
        }
    }
    return RB_OK;
}

void rb_detector_free(rb_detector *d) {
    free(d->params);
    memset(d, 0, sizeof *d);
}

int rb_detector_copy(rb_detector *dst, const rb_detector *src) {
    *dst = *src;
    dst->params = rb_malloc((size_t)src->n_params * sizeof(float), "detector parameters (copy)");
    if (!dst->params) return RB_ERR;
    memcpy(dst->params, src->params, (size_t)src->n_params * sizeof(float));
    rb_det_layout(dst);
    return RB_OK;
}

int rb_detector_params(const rb_detector *d, rb_param_view *views, int *n) {
    static const char *const names[8] = {"proj.w", "proj.b", "l1.w", "l1.b",
                                         "l2.w",   "l2.b",   "l3.w", "l3.b"};
    const rb_dense *layers[4] = {&d->proj, &d->l1, &d->l2, &d->l3};
    int k = 0;
    for (int i = d->has_proj ? 0 : 1; i < (d->arch == RB_ARCH_HLNET ? 3 : 4); i++) {
        views[k++] = (rb_param_view){names[2 * i], layers[i]->in, layers[i]->out, layers[i]->w};
        views[k++] = (rb_param_view){names[2 * i + 1], 1, layers[i]->out, layers[i]->b};
    }
    if (d->arch == RB_ARCH_HLNET) {
        rb_hl_block bl[RB_HL_NBLOCKS];
        rb_hl_blocks((rb_detector *)d, bl); /* only reads the views */
        for (int i = 0; i < RB_HL_NBLOCKS; i++) views[k++] = (rb_param_view){bl[i].name, bl[i].rows, bl[i].cols, *bl[i].view};
    }
    *n = k;
    return RB_OK;
}

int rb_detector_accepts(const rb_detector *d, rb_det_input input) {
    switch (d->kind) {
    case RB_DET_VISUAL: return input == RB_INPUT_VISUAL;
    case RB_DET_AUDIO: return input == RB_INPUT_AUDIO;
    case RB_DET_SHARED:
    case RB_DET_SHARED_PAD: return input == RB_INPUT_VISUAL || input == RB_INPUT_AUDIO;
    default: return 0;
    }
}

/* ---- inference ---- */

typedef struct {
    float *h1, *h2, *z3, *p;
} rb_score_work;

/* Scratch for h1_rows rows of first-layer activations (RB_SCORE_CHUNK where a first product fills
 * them, one tail pass where they come from given pre-activations); the second layer and the output
 * hold one tail pass, fewer than 2 x RB_TAIL_CHUNK rows (rb_tail_rows). */
static int rb_score_work_alloc(rb_score_work *w, const rb_detector *d, int64_t h1_rows, int with_proj) {
    memset(w, 0, sizeof *w);
    const size_t tail = 2 * RB_TAIL_CHUNK;
    w->h1 = rb_malloc(sizeof(float) * (size_t)h1_rows * (size_t)d->hidden1, "scoring scratch h1");
    w->h2 = rb_malloc(sizeof(float) * tail * (size_t)d->hidden2, "scoring scratch h2");
    w->z3 = rb_malloc(sizeof(float) * tail, "scoring scratch z3");
    if (with_proj) w->p = rb_malloc(sizeof(float) * RB_SCORE_CHUNK * (size_t)d->d_visual, "scoring scratch p");
    if (!w->h1 || !w->h2 || !w->z3 || (with_proj && !w->p)) {
        free(w->h1); free(w->h2); free(w->z3); free(w->p);
        return RB_ERR;
    }
    return RB_OK;
}

static void rb_score_work_free(rb_score_work *w) {
    free(w->h1); free(w->h2); free(w->z3); free(w->p);
}

/* h1 holds the first layer's activations relu(z1) for n < 2 x RB_TAIL_CHUNK rows: the rest of the
 * trunk in eval mode, sigmoid scores out. Bias and relu are one pass (rb_nn_add_bias_relu: the same
 * bits as two). */
static void rb_det_tail_active(const rb_detector *d, rb_score_work *w, const float *h1, int64_t n, float *scores) {
    rb_nn_matmul(h1, n, d->hidden1, d->hidden1, d->l2.w, d->hidden2, d->hidden2, w->h2, d->hidden2, 0.0f);
    rb_nn_add_bias_relu(w->h2, n, d->hidden2, d->hidden2, d->l2.b);
    rb_dense_forward(&d->l3, w->h2, n, d->hidden2, w->z3);
    for (int64_t i = 0; i < n; i++) scores[i] = (float)rb_nn_sigmoid(w->z3[i]);
}

/* w->h1 holds z1 without bias for n rows: finish the trunk in eval mode and write sigmoid scores,
 * about RB_TAIL_CHUNK rows at a time (rb_tail_rows). */
static void rb_det_tail_eval(const rb_detector *d, rb_score_work *w, int64_t n, float *scores) {
    for (int64_t r0 = 0, m; r0 < n; r0 += m) {
        m = rb_tail_rows(n - r0);
        float *h1 = w->h1 + r0 * d->hidden1;
        rb_nn_add_bias_relu(h1, m, d->hidden1, d->hidden1, d->l1.b);
        rb_det_tail_active(d, w, h1, m, scores + r0);
    }
}

static int rb_check_rows(const rb_detector *d, int64_t rows, int ld, int width, const char *what) {
    if (rows < 0) return rb_fail("detector %s: %s: expected rows >= 0, got %lld", rb_kind_names[d->kind], what, (long long)rows);
    if (ld < width)
        return rb_fail("detector %s: %s: leading dimension %d is below the feature width %d",
                       rb_kind_names[d->kind], what, ld, width);
    return RB_OK;
}

/* hlnet scores depend on the whole video: the per-row entry points refuse it. */
static int rb_rows_only(const rb_detector *d, const char *fn) {
    if (d->arch == RB_ARCH_HLNET)
        return rb_fail("detector %s: %s scores rows independently, but an hlnet detector needs whole videos "
                       "(use rb_detector_score_videos)", rb_kind_names[d->kind], fn);
    return RB_OK;
}

int rb_detector_score(const rb_detector *d, rb_det_input input, const float *x, int64_t rows, int ld,
                      float *scores) {
    RB_TRY(rb_rows_only(d, "rb_detector_score"));
    if (!rb_detector_accepts(d, input))
        return rb_fail("detector %s: cannot score %s input alone%s", rb_kind_names[d->kind],
                       input == RB_INPUT_VISUAL ? "visual" : "audio",
                       d->kind == RB_DET_CONCAT ? " (use rb_detector_score_concat)" : "");
    int width = input == RB_INPUT_VISUAL ? d->d_visual : d->d_audio;
    RB_TRY(rb_check_rows(d, rows, ld, width, "score"));
    int projected = input == RB_INPUT_AUDIO && d->kind == RB_DET_SHARED;
    rb_score_work w;
    RB_TRY_CTX(rb_score_work_alloc(&w, d, RB_SCORE_CHUNK, projected), "detector %s", rb_kind_names[d->kind]);
    for (int64_t r0 = 0; r0 < rows; r0 += RB_SCORE_CHUNK) {
        int64_t n = rows - r0 < RB_SCORE_CHUNK ? rows - r0 : RB_SCORE_CHUNK;
        const float *xr = x + r0 * (int64_t)ld;
        if (projected) {
            rb_dense_forward(&d->proj, xr, n, ld, w.p);
            rb_nn_matmul(w.p, n, d->d_visual, d->d_visual, d->l1.w, d->hidden1, d->hidden1, w.h1,
                         d->hidden1, 0.0f);
        } else {
            /* visual input, the audio detector, or shared-pad audio (first d_audio rows of W1) */
            rb_nn_matmul(xr, n, width, ld, d->l1.w, d->hidden1, d->hidden1, w.h1, d->hidden1, 0.0f);
        }
        rb_det_tail_eval(d, &w, n, scores + r0);
    }
    rb_score_work_free(&w);
    return RB_OK;
}

int rb_detector_score_concat(const rb_detector *d, const float *xv, int ldv, const float *xa, int lda,
                             int64_t rows, float *scores) {
    RB_TRY(rb_rows_only(d, "rb_detector_score_concat"));
    if (d->kind != RB_DET_CONCAT)
        return rb_fail("detector %s: rb_detector_score_concat needs a concat detector", rb_kind_names[d->kind]);
    RB_TRY(rb_check_rows(d, rows, ldv, d->d_visual, "visual rows"));
    RB_TRY(rb_check_rows(d, rows, lda, d->d_audio, "audio rows"));
    rb_score_work w;
    RB_TRY_CTX(rb_score_work_alloc(&w, d, RB_SCORE_CHUNK, 0), "detector concat");
    const float *w1a = d->l1.w + (int64_t)d->d_visual * d->hidden1;
    for (int64_t r0 = 0; r0 < rows; r0 += RB_SCORE_CHUNK) {
        int64_t n = rows - r0 < RB_SCORE_CHUNK ? rows - r0 : RB_SCORE_CHUNK;
        rb_nn_matmul(xv + r0 * (int64_t)ldv, n, d->d_visual, ldv, d->l1.w, d->hidden1, d->hidden1, w.h1,
                     d->hidden1, 0.0f);
        rb_nn_matmul(xa + r0 * (int64_t)lda, n, d->d_audio, lda, w1a, d->hidden1, d->hidden1, w.h1,
                     d->hidden1, 1.0f);
        rb_det_tail_eval(d, &w, n, scores + r0);
    }
    rb_score_work_free(&w);
    return RB_OK;
}

int rb_detector_concat_partial(const rb_detector *d, rb_det_input part, const float *x, int64_t rows,
                               int ld, float *pre) {
    RB_TRY(rb_rows_only(d, "rb_detector_concat_partial"));
    if (d->kind != RB_DET_CONCAT)
        return rb_fail("detector %s: rb_detector_concat_partial needs a concat detector", rb_kind_names[d->kind]);
    if (part != RB_INPUT_VISUAL && part != RB_INPUT_AUDIO)
        return rb_fail("detector concat: unknown input %d", (int)part);
    int width = part == RB_INPUT_VISUAL ? d->d_visual : d->d_audio;
    RB_TRY(rb_check_rows(d, rows, ld, width, "partial"));
    const float *w1 = d->l1.w + (part == RB_INPUT_VISUAL ? 0 : (int64_t)d->d_visual * d->hidden1);
    rb_nn_matmul(x, rows, width, ld, w1, d->hidden1, d->hidden1, pre, d->hidden1, 0.0f);
    return RB_OK;
}

int rb_detector_score_partials(const rb_detector *d, const float *pre_visual, const float *pre_audio,
                               int64_t rows, float *scores) {
    RB_TRY(rb_rows_only(d, "rb_detector_score_partials"));
    if (d->kind != RB_DET_CONCAT)
        return rb_fail("detector %s: rb_detector_score_partials needs a concat detector", rb_kind_names[d->kind]);
    if (!pre_visual && !pre_audio)
        return rb_fail("detector concat: rb_detector_score_partials needs at least one partial");
    RB_TRY(rb_check_rows(d, rows, d->hidden1, d->hidden1, "partials"));
    rb_score_work w;
    RB_TRY_CTX(rb_score_work_alloc(&w, d, 2 * RB_TAIL_CHUNK, 0), "detector concat");
    const int h = d->hidden1;
    for (int64_t r0 = 0, n; r0 < rows; r0 += n) {
        n = rb_tail_rows(rows - r0);
        if (pre_visual && pre_audio) rb_nn_sum_bias_relu(w.h1, pre_visual + r0 * h, pre_audio + r0 * h, n, h, d->l1.b);
        else rb_nn_bias2_relu(w.h1, (pre_visual ? pre_visual : pre_audio) + r0 * h, NULL, n, h, d->l1.b);
        rb_det_tail_active(d, &w, w.h1, n, scores + r0);
    }
    rb_score_work_free(&w);
    return RB_OK;
}

int rb_detector_score_pre(const rb_detector *d, const float *pre, const float *pre_bias, int64_t rows, float *scores) {
    RB_TRY(rb_check_rows(d, rows, d->hidden1, d->hidden1, "pre-activations"));
    rb_score_work w;
    RB_TRY_CTX(rb_score_work_alloc(&w, d, 2 * RB_TAIL_CHUNK, 0), "detector %s", rb_kind_names[d->kind]);
    const int h = d->hidden1;
    for (int64_t r0 = 0, n; r0 < rows; r0 += n) {
        n = rb_tail_rows(rows - r0);
        rb_nn_bias2_relu(w.h1, pre + r0 * h, pre_bias, n, h, d->l1.b);
        rb_det_tail_active(d, &w, w.h1, n, scores + r0);
    }
    rb_score_work_free(&w);
    return RB_OK;
}

/* ---- training pass ---- */

int rb_det_work_alloc(rb_det_work *w, const rb_detector *d, int64_t cap_rows) {
    memset(w, 0, sizeof *w);
    if (cap_rows < 1) cap_rows = 1;
    w->cap_rows = cap_rows;
    size_t c = (size_t)cap_rows;
    w->h1 = rb_malloc(sizeof(float) * c * (size_t)d->hidden1, "training activations h1");
    w->dh1 = rb_malloc(sizeof(float) * c * (size_t)d->hidden1, "training gradients dh1");
    w->h2 = rb_malloc(sizeof(float) * c * (size_t)d->hidden2, "training activations h2");
    w->dh2 = rb_malloc(sizeof(float) * c * (size_t)d->hidden2, "training gradients dh2");
    w->z3 = rb_malloc(sizeof(float) * c, "training logits");
    w->dz3 = rb_malloc(sizeof(float) * c, "training logit gradients");
    int ok = w->h1 && w->dh1 && w->h2 && w->dh2 && w->z3 && w->dz3;
    if (ok && d->has_proj) {
        w->p = rb_malloc(sizeof(float) * c * (size_t)d->d_visual, "training projections");
        w->dp = rb_malloc(sizeof(float) * c * (size_t)d->d_visual, "training projection gradients");
        size_t fold = (size_t)(d->d_audio + 1) * (size_t)d->hidden1;
        w->fold = rb_malloc(sizeof(float) * fold, "training folded projection");
        w->dfold = rb_malloc(sizeof(float) * fold, "training folded projection gradients");
        ok = w->p && w->dp && w->fold && w->dfold;
    }
    if (!ok) {
        rb_det_work_free(w);
        return RB_ERR;
    }
    return RB_OK;
}

void rb_det_work_free(rb_det_work *w) {
    rb_hlnet_work_free(w->hl);
    free(w->h1); free(w->dh1); free(w->h2); free(w->dh2);
    free(w->z3); free(w->dz3); free(w->p); free(w->dp); free(w->fold); free(w->dfold);
    memset(w, 0, sizeof *w);
}

static int64_t rb_batch_rows(const rb_detector *d, const rb_det_batch *b) {
    switch (d->kind) {
    case RB_DET_CONCAT:
    case RB_DET_VISUAL: return b->rows_v;
    case RB_DET_AUDIO: return b->rows_a;
    default: return b->rows_v + b->rows_a;
    }
}

typedef struct {
    int64_t start;
    int32_t len, bag;
} rb_bag_span;

static int rb_by_start(const void *a, const void *b) {
    int64_t x = ((const rb_bag_span *)a)->start, y = ((const rb_bag_span *)b)->start;
    return (x > y) - (x < y);
}

static int rb_batch_check(const rb_detector *d, const rb_det_batch *b, const rb_det_work *w, int64_t R) {
    const char *k = rb_kind_names[d->kind];
    if (b->rows_v < 0 || b->rows_a < 0) return rb_fail("detector %s: negative batch rows", k);
    if (d->kind == RB_DET_CONCAT && b->rows_v != b->rows_a)
        return rb_fail("detector concat: expected as many audio rows as visual rows, got %lld and %lld",
                       (long long)b->rows_a, (long long)b->rows_v);
    if (d->kind == RB_DET_VISUAL && b->rows_a != 0)
        return rb_fail("detector visual: expected no audio rows, got %lld", (long long)b->rows_a);
    if (d->kind == RB_DET_AUDIO && b->rows_v != 0)
        return rb_fail("detector audio: expected no visual rows, got %lld", (long long)b->rows_v);
    if ((b->rows_v > 0 && !b->xv) || (b->rows_a > 0 && !b->xa))
        return rb_fail("detector %s: batch rows without features", k);
    if (R > w->cap_rows)
        return rb_fail("detector %s: batch of %lld rows exceeds the workspace capacity %lld", k,
                       (long long)R, (long long)w->cap_rows);
    if (R > 0x7fffffff) return rb_fail("detector %s: batch of %lld rows exceeds the BLAS int range", k, (long long)R);
    if (b->dropout_on && !b->bag_id) return rb_fail("detector %s: dropout needs bag ids", k);
    for (int i = 0; i < b->n_bags; i++)
        if (b->len[i] < 1 || b->start[i] < 0 || b->start[i] + b->len[i] > R)
            return rb_fail("detector %s: bag %d (rows %lld + %d) lies outside the %lld batch rows", k, i,
                           (long long)b->start[i], b->len[i], (long long)R);
    /* bags must not overlap: sort them by first row and compare neighbours */
    rb_bag_span *sp = rb_malloc(sizeof(rb_bag_span) * (size_t)(b->n_bags > 0 ? b->n_bags : 1), "bag spans");
    if (!sp) return RB_ERR;
    for (int i = 0; i < b->n_bags; i++) sp[i] = (rb_bag_span){b->start[i], b->len[i], i};
    qsort(sp, (size_t)b->n_bags, sizeof *sp, rb_by_start);
    int rc = RB_OK;
    for (int i = 0; i + 1 < b->n_bags && rc == RB_OK; i++)
        if (sp[i].start + sp[i].len > sp[i + 1].start)
            rc = rb_fail("detector %s: bags %d and %d overlap (rows %lld + %d and %lld)", k, sp[i].bag,
                         sp[i + 1].bag, (long long)sp[i].start, sp[i].len, (long long)sp[i + 1].start);
    free(sp);
    return rc;
}

/* Training: relu + the per-bag dropout mask on each bag's rows (plus plain relu first when some rows
 * belong to no bag; relu is idempotent). Eval: plain relu. */
static void rb_det_activation(const rb_detector *d, const rb_det_batch *b, float *h, int64_t R, int n,
                              int layer) {
    int train = b->dropout_on && d->dropout > 0.0f;
    int64_t covered = 0;
    for (int i = 0; train && i < b->n_bags; i++) covered += b->len[i];
    if (!train || covered != R) rb_nn_relu_dropout(h, R, n, 0.0f, NULL);
    if (!train) return;
    for (int i = 0; i < b->n_bags; i++) {
        rb_rng r;
        rb_rng_init(&r, b->seed, RB_PURPOSE_TRAIN_DROPOUT, b->replica, b->epoch * 8u + (uint32_t)layer,
                    b->bag_id[i]);
        rb_nn_relu_dropout(h + b->start[i] * n, b->len[i], n, d->dropout, &r);
    }
}

static rb_dense rb_grad_view(const rb_detector *d, const rb_dense *L, float *grad) {
    rb_dense g = *L;
    g.w = grad + (L->w - d->params);
    g.b = grad + (L->b - d->params);
    return g;
}

/* The HL-Net head over w->h2: each bag's similarity graph is built from the features the trunk was
 * given (concat: [visual ; audio]; shared: visual, or the projected audio - whose gradient reaches the
 * projection through the graph too; shared-pad: the audio, whose zero padding leaves cosines unchanged). */
static int rb_det_hlnet_head(const rb_detector *d, const rb_det_batch *b, rb_det_work *w, int64_t R, double *loss,
                             float *grad) {
    const int64_t rv = b->rows_v;
    const int dv = d->d_visual, da = d->d_audio;
    rb_graph_input *gin = rb_malloc(sizeof *gin * (size_t)(b->n_bags > 0 ? b->n_bags : 1), "graph inputs");
    if (!gin) return RB_ERR;
    int rc = RB_OK;
    for (int i = 0; i < b->n_bags && rc == RB_OK; i++) {
        const int64_t s0 = b->start[i];
        rb_graph_input g = {0};
        switch (d->kind) {
        case RB_DET_CONCAT: g = (rb_graph_input){b->xv + s0 * dv, dv, dv, b->xa + s0 * da, da, da, NULL}; break;
        case RB_DET_VISUAL: g = (rb_graph_input){b->xv + s0 * dv, dv, dv, NULL, 0, 0, NULL}; break;
        case RB_DET_AUDIO: g = (rb_graph_input){b->xa + s0 * da, da, da, NULL, 0, 0, NULL}; break;
        default:
            if (s0 < rv && s0 + b->len[i] > rv)
                rc = rb_fail("detector %s: bag %d crosses the boundary between visual and audio rows",
                             rb_kind_names[d->kind], i);
            else if (s0 < rv) g = (rb_graph_input){b->xv + s0 * dv, dv, dv, NULL, 0, 0, NULL};
            else if (d->kind == RB_DET_SHARED)
                g = (rb_graph_input){w->p + (s0 - rv) * dv, dv, dv, NULL, 0, 0, grad ? w->dp + (s0 - rv) * dv : NULL};
            else g = (rb_graph_input){b->xa + (s0 - rv) * da, da, da, NULL, 0, 0, NULL};
        }
        gin[i] = g;
    }
    if (rc == RB_OK && grad && d->kind == RB_DET_SHARED && b->rows_a > 0)
        memset(w->dp, 0, sizeof(float) * (size_t)b->rows_a * (size_t)dv);
    if (rc == RB_OK) rc = rb_hlnet_head(d, b, w, R, gin, loss, grad, w->dh2);
    free(gin);
    return rc;
}

int rb_detector_fold_pays(const rb_detector *d, int64_t ra) {
    const double dv = d->d_visual, da = d->d_audio, h1 = d->hidden1;
    const double per_row = (3.0 * h1 + 2.0 * da) * dv - 2.0 * da * h1, per_call = 3.0 * (da + 1.0) * dv * h1;
    return d->kind == RB_DET_SHARED && d->arch == RB_ARCH_MLP && (double)ra * per_row > per_call;
}

int rb_detector_loss_grad(const rb_detector *d, const rb_det_batch *b, rb_det_work *w, double *loss,
                          float *grad) {
    const int64_t R = rb_batch_rows(d, b), rv = b->rows_v, ra = b->rows_a;
    if (!loss && grad) return rb_fail("detector %s: a gradient needs the loss", rb_kind_names[d->kind]);
    RB_TRY(rb_batch_check(d, b, w, R));
    const int dv = d->d_visual, da = d->d_audio, h1 = d->hidden1, h2 = d->hidden2;
    const float *W1 = d->l1.w;
    const int folded = d->kind == RB_DET_SHARED && d->arch == RB_ARCH_MLP &&
                       (b->audio_fold > 0 || (b->audio_fold == 0 && rb_detector_fold_pays(d, ra)));
    /* layer 1 pre-activation */
    switch (d->kind) {
    case RB_DET_CONCAT:
        rb_nn_matmul(b->xv, R, dv, dv, W1, h1, h1, w->h1, h1, 0.0f);
        rb_nn_matmul(b->xa, R, da, da, W1 + (int64_t)dv * h1, h1, h1, w->h1, h1, 1.0f);
        break;
    case RB_DET_VISUAL: rb_nn_matmul(b->xv, R, dv, dv, W1, h1, h1, w->h1, h1, 0.0f); break;
    case RB_DET_AUDIO: rb_nn_matmul(b->xa, R, da, da, W1, h1, h1, w->h1, h1, 0.0f); break;
    case RB_DET_SHARED:
        rb_nn_matmul(b->xv, rv, dv, dv, W1, h1, h1, w->h1, h1, 0.0f);
        if (folded) { /* (xa P + p) W1 = xa (P W1) + p W1: 128-wide rows instead of 128 -> 1024 -> 512 */
            rb_nn_matmul(d->proj.w, da, dv, dv, W1, h1, h1, w->fold, h1, 0.0f);
            rb_nn_matmul(d->proj.b, 1, dv, dv, W1, h1, h1, w->fold + (int64_t)da * h1, h1, 0.0f);
            rb_nn_matmul(b->xa, ra, da, da, w->fold, h1, h1, w->h1 + rv * h1, h1, 0.0f);
            rb_nn_add_bias(w->h1 + rv * h1, ra, h1, h1, w->fold + (int64_t)da * h1);
        } else { /* unfolded: hlnet (its similarity graph needs the projected rows themselves), or an
                  * mlp group with too few audio rows for the fold to pay */
            rb_dense_forward(&d->proj, b->xa, ra, da, w->p);
            rb_nn_matmul(w->p, ra, dv, dv, W1, h1, h1, w->h1 + rv * h1, h1, 0.0f);
        }
        break;
    case RB_DET_SHARED_PAD:
        rb_nn_matmul(b->xv, rv, dv, dv, W1, h1, h1, w->h1, h1, 0.0f);
        rb_nn_matmul(b->xa, ra, da, da, W1, h1, h1, w->h1 + rv * h1, h1, 0.0f);
        break;
    }
    rb_nn_add_bias(w->h1, R, h1, h1, d->l1.b);
    rb_det_activation(d, b, w->h1, R, h1, 0);
    rb_dense_forward(&d->l2, w->h1, R, h1, w->h2);
    rb_det_activation(d, b, w->h2, R, h2, 1);
    if (d->arch == RB_ARCH_HLNET) {
        RB_TRY(rb_det_hlnet_head(d, b, w, R, loss, grad));
        if (!grad) return RB_OK;
    } else {
        rb_dense_forward(&d->l3, w->h2, R, h2, w->z3);
        if (!loss) return RB_OK;
        if (grad) memset(w->dz3, 0, sizeof(float) * (size_t)R);
        RB_TRY_CTX(rb_mil_topk_loss(w->z3, b->start, b->len, b->labels, b->n_bags, loss, grad ? w->dz3 : NULL),
                   "detector %s", rb_kind_names[d->kind]);
        if (!grad) return RB_OK;
        rb_dense g3 = rb_grad_view(d, &d->l3, grad);
        rb_dense_backward(&d->l3, w->h2, R, h2, w->dz3, &g3, 0, w->dh2, h2);
    }

    const float p = b->dropout_on ? d->dropout : 0.0f;
    rb_dense g2 = rb_grad_view(d, &d->l2, grad), g1 = rb_grad_view(d, &d->l1, grad);
    rb_nn_relu_dropout_backward(w->h2, w->dh2, R * h2, p);
    rb_dense_backward(&d->l2, w->h1, R, h1, w->dh2, &g2, 0, w->dh1, h1);
    rb_nn_relu_dropout_backward(w->h1, w->dh1, R * h1, p);
    rb_nn_colsum(w->dh1, R, h1, h1, g1.b, 0.0f);
    const float *dh1a = w->dh1 + rv * h1; /* audio rows of the shared kinds */
    switch (d->kind) {
    case RB_DET_CONCAT:
        rb_nn_matmul_tn(b->xv, R, dv, dv, w->dh1, h1, h1, g1.w, h1, 0.0f);
        rb_nn_matmul_tn(b->xa, R, da, da, w->dh1, h1, h1, g1.w + (int64_t)dv * h1, h1, 0.0f);
        break;
    case RB_DET_VISUAL: rb_nn_matmul_tn(b->xv, R, dv, dv, w->dh1, h1, h1, g1.w, h1, 0.0f); break;
    case RB_DET_AUDIO: rb_nn_matmul_tn(b->xa, R, da, da, w->dh1, h1, h1, g1.w, h1, 0.0f); break;
    case RB_DET_SHARED: {
        rb_dense gp = rb_grad_view(d, &d->proj, grad);
        rb_nn_matmul_tn(b->xv, rv, dv, dv, w->dh1, h1, h1, g1.w, h1, 0.0f);
        if (folded) {
            /* with G = xa^T dZa [da][h1] and c = colsum(dZa) [h1] (the audio rows' first-layer
             * gradient): dW1 += P^T G + p^T c, dP = G W1^T, dp = c W1^T */
            float *G = w->dfold, *c = w->dfold + (int64_t)da * h1;
            rb_nn_matmul_tn(b->xa, ra, da, da, dh1a, h1, h1, G, h1, 0.0f);
            rb_nn_colsum(dh1a, ra, h1, h1, c, 0.0f);
            rb_nn_matmul_tn(d->proj.w, da, dv, dv, G, h1, h1, g1.w, h1, 1.0f);
            rb_nn_matmul_tn(d->proj.b, 1, dv, dv, c, h1, h1, g1.w, h1, 1.0f);
            rb_nn_matmul_nt(G, da, h1, h1, W1, dv, h1, gp.w, dv, 0.0f);
            rb_nn_matmul_nt(c, 1, h1, h1, W1, dv, h1, gp.b, dv, 0.0f);
            break;
        }
        rb_nn_matmul_tn(w->p, ra, dv, dv, dh1a, h1, h1, g1.w, h1, 1.0f);
        /* hlnet already put the similarity graph's gradient into dp: add to it */
        rb_nn_matmul_nt(dh1a, ra, h1, h1, W1, dv, h1, w->dp, dv, d->arch == RB_ARCH_HLNET ? 1.0f : 0.0f);
        rb_dense_backward(&d->proj, b->xa, ra, da, w->dp, &gp, 0, NULL, 0);
        break;
    }
    case RB_DET_SHARED_PAD:
        rb_nn_matmul_tn(b->xv, rv, dv, dv, w->dh1, h1, h1, g1.w, h1, 0.0f);
        rb_nn_matmul_tn(b->xa, ra, da, da, dh1a, h1, h1, g1.w, h1, 1.0f);
        break;
    }
    return RB_OK;
}

double rb_detector_train_flops(const rb_detector *d, int64_t rows, int64_t rows_a) {
    const double h1 = d->hidden1, h2 = d->hidden2, dv = d->d_visual, da = d->d_audio;
    double R = (double)rows, ra = (double)rows_a, rv = R - ra;
    double l1_macs; /* layer-1 multiply-adds of one forward */
    switch (d->kind) {
    case RB_DET_SHARED_PAD: l1_macs = (rv * dv + ra * da) * h1; break;
    default: l1_macs = R * d->d_in * h1; break;
    }
    double tail = R * (h1 * h2 + h2);          /* layers 2 and 3, forward */
    double macs = 2.0 * (l1_macs + tail)        /* forward + weight gradients */
                  + R * (h2 + h1 * h2);         /* input gradients of layers 3 and 2 */
    if (rb_detector_fold_pays(d, rows_a)) {
        /* folded audio path: its rows are da wide in the forward and in G = xa^T dZ instead of dv
         * (the default count above), plus the per-batch products P W1, P^T G and G W1^T */
        macs -= 2.0 * ra * (dv - da) * h1;
        macs += 3.0 * (da + 1) * dv * h1;
    } else if (d->kind == RB_DET_SHARED) {
        macs += ra * dv * h1 + 2.0 * ra * da * dv; /* dp, proj fwd + wgrad */
    }
    return 2.0 * macs;
}

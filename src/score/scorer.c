/* scorer.c - scoring grid cells (rb_score.h): paths of every detector replica over chunks of
 * whole videos, reuse of the clean modality, first layers of row-linear and dimension-sparse
 * corruptions from the cached clean ones (the linear shortcut), dynamic weights, fusion into
 * methods, metrics. A cell
 * can also be scored chunk range by chunk range on several scorers and finished on one (the grid's
 * split cells, src/grid/split.c): the chunks are the blocks, and the packed per-snippet path scores
 * and NLLs of a block range move between scorers unchanged. */
#include "rb_score.h"
#include "exact_ties.h"
#include "folded.h"
#include "reference_weights.h"
#include "rb_core.h"
#include "rb_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A "path" is one detector applied to one modality's features (per crop for visual inputs). */
enum { P_CONCAT, P_V, P_A, P_SV, P_SA, P_PV, P_PA, N_PATHS };
static const rb_detector_kind rb_path_kind[N_PATHS] = {RB_DET_CONCAT, RB_DET_VISUAL, RB_DET_AUDIO, RB_DET_SHARED,
                                                        RB_DET_SHARED, RB_DET_SHARED_PAD, RB_DET_SHARED_PAD};
/* which modality a path reads: 0 visual, 1 audio, 2 both */
static const int rb_path_modality[N_PATHS] = {2, 0, 1, 0, 1, 0, 1};

static const char *rb_method_names[RB_N_METHODS] = {"concat",         "visual",           "audio",
                                                    "shared-mean",    "shared-dyn",       "shared-pad-dyn",
                                                    "shared-two-sided", "shared-decor", "shared-oracle"};

const char *rb_method_name(rb_method m) { return m >= 0 && m < RB_N_METHODS ? rb_method_names[m] : "?"; }

int rb_method_from_name(const char *name, rb_method *out) {
    char known[256] = "";
    for (int m = 0; m < RB_N_METHODS; m++) {
        if (name && strcmp(name, rb_method_names[m]) == 0) {
            *out = (rb_method)m;
            return RB_OK;
        }
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", m ? ", " : "", rb_method_names[m]);
    }
    return rb_fail("unknown method \"%s\": expected one of %s", name ? name : "(null)", known);
}

int rb_method_available(const rb_model *model, rb_method m) {
    switch (m) {
    case RB_METHOD_CONCAT: return rb_model_slot(model, RB_DET_CONCAT) >= 0;
    case RB_METHOD_VISUAL: return rb_model_slot(model, RB_DET_VISUAL) >= 0;
    case RB_METHOD_AUDIO: return rb_model_slot(model, RB_DET_AUDIO) >= 0;
    case RB_METHOD_SHARED_MEAN:
    case RB_METHOD_SHARED_DYN:
    case RB_METHOD_SHARED_TWO_SIDED:
    case RB_METHOD_SHARED_DECOR:
    case RB_METHOD_SHARED_ORACLE: return rb_model_slot(model, RB_DET_SHARED) >= 0;
    case RB_METHOD_SHARED_PAD_DYN: return rb_model_slot(model, RB_DET_SHARED_PAD) >= 0;
    default: return 0;
    }
}

struct rb_scorer {
    const rb_model *model;
    const rb_split *test;
    const rb_corrupt_ctx *ctx;
    int64_t S, chunk_rows, max_video;
    int64_t n_blocks, *block_v;        /* the chunks: [n_blocks + 1] first video of each, then n_videos */
    int C, Dv, Da, R, h1;
    int have[N_PATHS];
    /* per path: [R][S][width] with width C (visual-input paths and concat) or 1 */
    float *clean[N_PATHS];
    float *work[N_PATHS];
    double *clean_nll[2], *clean_w[2]; /* [S][C] visual, [S] audio */
    double *nll[2], *w[2];             /* the current cell's */
    float *pre_v, *pre_a;              /* concat first-layer halves of the clean features: [R][C][S][h1], [R][S][h1] */
    /* Row-linear corruptions (rb_corrupt_row_linear) from the clean first layers: with linear set,
     * pre_path[p] holds the clean first-layer rows x W1 of each path rb_path_has_rows names
     * ([R][C][S][h1]) and pre_v / pre_a are kept whatever reuse_mb says; every such path is scored
     * from its first-layer rows (rb_score_rows), and the concat halves of a row-linear modality come
     * from the cached ones. */
    int linear;
    int halves_fit;                    /* the concat halves fit in reuse_mb */
    float *pre_path[N_PATHS];
    float *zbuf;                       /* [chunk][h1max] first-layer rows of one crop of a block */
    float *img[2];                     /* per modality [N_PATHS][R][2][h1max]: images of the mean and prototype */
    const rb_corruption *img_of[2];    /* the entry whose images img[m] holds (they do not depend on the severity) */
    int h1max;
    int clamp_safe[2];                 /* the corruptions' clamp at 0 never changes a clean test value of m */
    /* Dimension-sparse visual corruptions (rb_corrupt_dim_sparse): with linear set, the visual paths'
     * first layers are the cached clean ones plus (x' - x) W on the changed dimensions only. */
    int sparse;                        /* the current rb_score_range call is such a cell */
    const rb_corruption *sp_of;        /* the entry and severity sp_dims and wsel hold */
    int sp_sev;
    int32_t *sp_dims, sp_n;            /* [Dv] the changed dimensions, ascending */
    float *wsel[N_PATHS];              /* [R][Dv][h1] the rows of each path's visual first layer at sp_dims */
    float *delta;                      /* [chunk][Dv] x' - x at sp_dims of one crop of a block */
    int64_t delta_s0;                  /* the block and crop delta holds (-1: none) */
    int delta_c;
    /* chunk scratch */
    float *buf[2];                     /* corrupted features of a chunk: [rows][C][Dv], [rows][Da] */
    int any_hlnet;                     /* some path's detector has model.arch = hlnet */
    /* Constants (computed once when the scorer is built): the score of a lone zero row for each
     * single-input path and replica, [N_PATHS][R], which is what a missing modality gives every
     * snippet; and the shared detector's folded audio path per replica (folded.c). */
    float *zero_score;
    rb_folded_audio *fold;             /* [R], NULL without a shared detector */
    float *video_tmp;                  /* [max_video][max(Dv, Da)] */
    float *tmp;                        /* [chunk] scores */
    float *part_tmp[2];                /* [chunk][h1] partials */
    rb_exact_ties ties;                /* tie-exact scoring of the single-input paths (exact_ties.c) */
    double flops;
    int reuse;                         /* 0: every cell recomputes both modalities (benchmarks, checks) */
    int clean_borrowed;                /* the clean arrays live in caller memory (rb_scorer_clean_borrow) */
    int clean_started;                 /* some clean block was scored or the arrays borrowed */
    int n_sel;                         /* the methods rb_scorer_cell computes (rb_scorer_set_methods) */
    rb_method sel[RB_N_METHODS];
    double *decor_beta, *decor_mean;   /* shared-decor: [2][R] slope of NLL on the shared score, mean score */
    double *w_ref[2];                  /* [S][C] / [S] weights of a reference method (two-sided, decor) */
};

static int rb_path_width(const rb_scorer *s, int p) { return rb_path_modality[p] == 1 ? 1 : s->C; }

static const rb_detector *rb_path_det(const rb_scorer *s, int p, int r) {
    int slot = rb_model_slot(s->model, rb_path_kind[p]);
    return rb_model_detector(s->model, slot, r);
}

static double rb_trunk_flops(const rb_detector *d, int64_t rows, int d_in) {
    return 2.0 * (double)rows * ((double)d_in * d->hidden1 + (double)d->hidden1 * d->hidden2 + d->hidden2);
}

/* Free the clean arrays (the segments of rb_scorer_clean_segments) unless they are borrowed. */
static void rb_scorer_free_clean(rb_scorer *s) {
    if (!s->clean_borrowed) {
        for (int p = 0; p < N_PATHS; p++) free(s->clean[p]);
        for (int m = 0; m < 2; m++) free(s->clean_nll[m]);
        free(s->pre_v);
        free(s->pre_a);
        for (int p = 0; p < N_PATHS; p++) free(s->pre_path[p]);
    }
    for (int p = 0; p < N_PATHS; p++) s->clean[p] = s->pre_path[p] = NULL;
    s->clean_nll[0] = s->clean_nll[1] = NULL;
    s->pre_v = s->pre_a = NULL;
}

void rb_scorer_free(rb_scorer *s) {
    if (!s) return;
    rb_scorer_free_clean(s);
    for (int p = 0; p < N_PATHS; p++) free(s->work[p]);
    for (int m = 0; m < 2; m++) {
        free(s->clean_w[m]);
        free(s->nll[m]);
        free(s->w[m]);
        free(s->buf[m]);
        free(s->part_tmp[m]);
        free(s->w_ref[m]);
    }
    free(s->decor_beta);
    free(s->decor_mean);
    free(s->zero_score);
    for (int r = 0; s->fold && r < s->R; r++) rb_folded_audio_free(&s->fold[r]);
    free(s->fold);
    free(s->video_tmp);
    free(s->zbuf);
    free(s->img[0]);
    free(s->img[1]);
    free(s->sp_dims);
    free(s->delta);
    for (int p = 0; p < N_PATHS; p++) free(s->wsel[p]);
    free(s->tmp);
    free(s->block_v);
    rb_exact_ties_free(&s->ties);
    free(s);
}

/* Features of rows [s0, s0+rows) of modality m for a cell: a pointer and its row layout is always
 * the split's ([rows][C][Dv] or [rows][Da]). */
static int rb_chunk_features(rb_scorer *s, int m, const rb_modality_condition *cond, int64_t v0, int64_t v1,
                             const float **x) {
    const rb_split *t = s->test;
    int64_t s0 = t->offsets[v0];
    size_t row = m == 0 ? (size_t)s->C * (size_t)s->Dv : (size_t)s->Da;
    if (cond->missing) {
        /* an mlp path of a missing modality is a constant and reads no rows; an hlnet path scores the
         * whole zero video (its graphs depend on the video's length), so it gets real zero rows */
        if (!s->any_hlnet) {
            *x = NULL;
            return RB_OK;
        }
        int64_t rows = t->offsets[v1] - s0;
        memset(s->buf[m], 0, sizeof(float) * (size_t)rows * row);
        *x = s->buf[m];
        return RB_OK;
    }
    if (!cond->corruption) {
        *x = (m == 0 ? t->visual : t->audio) + (size_t)s0 * row;
        return RB_OK;
    }
    if (cond->preextracted) {
        *x = cond->preextracted + (size_t)s0 * row;
        return RB_OK;
    }
    int width = m == 0 ? s->Dv : s->Da;
    const int crops = m == 0 ? s->C : 1;
    for (int64_t v = v0; v < v1; v++) {
        int64_t T = rb_split_video_len(t, v), base = t->offsets[v] - s0;
        if (crops == 1) { /* the block's rows are the video's [T][width] rows: corrupt in place */
            RB_TRY(rb_corrupt_video(s->ctx, cond->corruption, cond->severity, t, v, 0, s->buf[m] + (size_t)base * row));
            continue;
        }
        for (int c = 0; c < crops; c++) {
            RB_TRY(rb_corrupt_video(s->ctx, cond->corruption, cond->severity, t, v, c, s->video_tmp));
            for (int64_t i = 0; i < T; i++)
                memcpy(s->buf[m] + (size_t)(base + i) * row + (size_t)c * (size_t)width,
                       s->video_tmp + (size_t)i * (size_t)width, sizeof(float) * (size_t)width);
        }
    }
    *x = s->buf[m];
    return RB_OK;
}

/* An hlnet detector's scores of the whole videos of rows [s0, s0+rows) into o ([rows][C] for visual
 * inputs and concat, [rows] for audio): modality m (0 visual, 1 audio, 2 both). */
static int rb_score_paths_hlnet(rb_scorer *s, const rb_detector *d, int m, const float *xv, const float *xa, int64_t s0,
                                int64_t rows, float *o) {
    const rb_split *t = s->test;
    const int C = s->C, Dv = s->Dv, Da = s->Da;
    int64_t v0 = 0, v1;
    while (v0 < t->n_videos && t->offsets[v0] < s0) v0++;
    for (v1 = v0; v1 < t->n_videos && t->offsets[v1 + 1] <= s0 + rows; v1++) {}
    const int64_t *offs = t->offsets + v0, nv = v1 - v0;
    if (m == 1) {
        RB_TRY(rb_detector_score_videos(d, RB_INPUT_AUDIO, xa, Da, offs, nv, o));
        s->flops += rb_trunk_flops(d, rows, d->kind == RB_DET_SHARED_PAD ? Da : d->d_in);
        return RB_OK;
    }
    for (int c = 0; c < C; c++) {
        if (m == 0) RB_TRY(rb_detector_score_videos(d, RB_INPUT_VISUAL, xv + (size_t)c * Dv, C * Dv, offs, nv, s->tmp));
        else RB_TRY(rb_detector_score_concat_videos(d, xv + (size_t)c * Dv, C * Dv, xa, Da, offs, nv, s->tmp));
        for (int64_t i = 0; i < rows; i++) o[(size_t)i * C + c] = s->tmp[i];
        s->flops += rb_trunk_flops(d, rows, d->d_in);
    }
    return RB_OK;
}

/* How many of x[0..n) are negative or NaN: a vector kernel (no early exit), called on slices. */
static RB_VECTOR_KERNEL size_t rb_count_below_zero(const float *restrict x, size_t n) {
    size_t below = 0;
    for (size_t i = 0; i < n; i++) below += !(x[i] >= 0.0f);
    return below;
}

/* Is every value of x[0..n) >= 0 (no NaN): slices of 64k values, stopping at the first that has one. */
static int rb_all_nonnegative(const float *x, size_t n) {
    enum { SLICE = 65536 };
    for (size_t i = 0; i < n; i += SLICE)
        if (rb_count_below_zero(x + i, n - i < SLICE ? n - i : SLICE)) return 0;
    return 1;
}

/* ---- first-layer rows (the linear shortcut) ---- */

/* Is p a path whose first-layer rows are cached when linear is set: an mlp visual-input single path
 * (the concat halves are cached anyway). The audio paths are not: their 128-wide first-layer product
 * costs about what the corruption applied to 512-wide rows does (docs/scaling.md, measured), and
 * caching them would add R x S x hidden1 floats per path. */
static int rb_path_has_rows(const rb_scorer *s, int p) {
    return s->have[p] && rb_path_modality[p] == 0 && rb_path_det(s, p, 0)->arch != RB_ARCH_HLNET;
}

/* The first layer of path p (concat: its half of modality m), replica r: W [D][h1] (row stride h1)
 * and the input width *D. Concat's audio half is the rows of W1 after the visual ones. */
static const float *rb_path_w1(const rb_scorer *s, int p, int m, int r, int *D) {
    const rb_detector *d = rb_path_det(s, p, r);
    *D = m == 0 ? s->Dv : s->Da;
    return p == P_CONCAT && m == 1 ? d->l1.w + (size_t)s->Dv * (size_t)d->hidden1 : d->l1.w;
}

/* An rb_row_scorer over first-layer rows (stride hidden1): the rest of detector ctx. */
static int rb_first_layer_rows_score(const void *ctx, const float *z, int64_t rows, int ld, float *scores) {
    const rb_detector *d = ctx;
    if (ld != d->hidden1) return rb_fail("scoring first-layer rows: stride %d, expected %d", ld, d->hidden1);
    return rb_detector_score_pre(d, z, NULL, rows, scores);
}

static float *rb_img(const rb_scorer *s, int m, int p, int r) {
    return s->img[m] + ((size_t)p * (size_t)s->R + (size_t)r) * 2 * (size_t)s->h1max;
}

/* For a row-linear condition of modality m: s->img[m] holds, per path of m with cached rows (and
 * concat's half of m) and replica, the images under the path's first-layer map of the clean mean and
 * of the prototype. */
static int rb_linear_images(rb_scorer *s, const rb_modality_condition *cond) {
    const int m = cond->corruption->modality;
    if (s->img_of[m] == cond->corruption) return RB_OK;
    s->img_of[m] = NULL;
    const float *mean, *proto;
    RB_TRY(rb_corrupt_linear_constants(s->ctx, cond->corruption, &mean, &proto));
    double *acc = rb_malloc(sizeof(double) * (size_t)s->h1max, "image accumulator");
    if (!acc) return RB_ERR;
    for (int p = 0; p < N_PATHS; p++) {
        const int mine = p == P_CONCAT ? s->pre_v != NULL : s->pre_path[p] && rb_path_modality[p] == m;
        if (!mine) continue;
        for (int r = 0; r < s->R; r++) {
            int D;
            const float *W = rb_path_w1(s, p, m, r, &D);
            const int h = rb_path_det(s, p, r)->hidden1;
            rb_row_image(mean, W, D, h, acc, rb_img(s, m, p, r));
            if (proto) rb_row_image(proto, W, D, h, acc, rb_img(s, m, p, r) + s->h1max);
        }
    }
    free(acc);
    s->img_of[m] = cond->corruption;
    return RB_OK;
}

/* The row-linear condition's first-layer rows of path p (concat: its half of the condition's
 * modality; cache: its clean rows, [R][crops][S][h1]), replica r, crop c, videos [v0, v1), into z:
 * the corruption applied to the clean rows, with no product (rb_corrupt_video_rows). */
static int rb_linear_rows(rb_scorer *s, const rb_modality_condition *cond, const float *cache, int p, int r, int c,
                          int h1, int64_t v0, int64_t v1, float *z) {
    const rb_split *t = s->test;
    const int m = cond->corruption->modality;
    const size_t crops = m == 0 ? (size_t)s->C : 1;
    const float *mean, *proto;
    RB_TRY(rb_corrupt_linear_constants(s->ctx, cond->corruption, &mean, &proto));
    const float *img = rb_img(s, m, p, r);
    const rb_corrupt_rows rows = {cache + ((size_t)r * crops + (size_t)c) * (size_t)s->S * (size_t)h1, (size_t)h1, h1, img,
                                  proto ? img + s->h1max : NULL};
    const int64_t s0 = t->offsets[v0];
    for (int64_t v = v0; v < v1; v++)
        RB_TRY(rb_corrupt_video_rows(s->ctx, cond->corruption, cond->severity, t, v, c, &rows,
                                     z + (size_t)(t->offsets[v] - s0) * (size_t)h1));
    return RB_OK;
}

/* For a dimension-sparse visual condition: the changed dimensions and, per path with cached rows
 * (and concat's visual half) and replica, the rows of its visual first layer at them (kept for the
 * next cell of the same entry and severity). */
static int rb_sparse_prepare(rb_scorer *s, const rb_modality_condition *cond) {
    s->delta_s0 = -1;
    if (s->sp_of == cond->corruption && s->sp_sev == cond->severity) return RB_OK;
    s->sp_of = NULL;
    const size_t Dv = (size_t)s->Dv;
    if (!s->sp_dims) s->sp_dims = rb_malloc(sizeof(int32_t) * Dv, "changed dimensions");
    if (!s->delta) s->delta = rb_malloc(sizeof(float) * (size_t)s->chunk_rows * Dv, "changed features");
    if (!s->sp_dims || !s->delta) return RB_ERR;
    RB_TRY(rb_corrupt_changed_dims(s->ctx, cond->corruption, cond->severity, s->sp_dims, &s->sp_n));
    for (int p = 0; p < N_PATHS; p++) {
        if (!s->pre_path[p] && !(p == P_CONCAT && s->pre_v)) continue;
        const size_t h1 = (size_t)rb_path_det(s, p, 0)->hidden1;
        if (!s->wsel[p]) s->wsel[p] = rb_malloc(sizeof(float) * (size_t)s->R * Dv * h1, "first-layer rows at changed dimensions");
        if (!s->wsel[p]) return RB_ERR;
        for (int r = 0; r < s->R; r++) {
            int D;
            const float *W = rb_path_w1(s, p, 0, r, &D);
            for (int32_t j = 0; j < s->sp_n; j++)
                memcpy(s->wsel[p] + ((size_t)r * Dv + (size_t)j) * h1, W + (size_t)s->sp_dims[j] * h1, sizeof(float) * h1);
        }
    }
    s->sp_of = cond->corruption;
    s->sp_sev = cond->severity;
    return RB_OK;
}

/* x' - x at the changed dimensions for crop c of the block's rows [s0, s0 + rows): [rows][sp_n]. */
static const float *rb_sparse_delta(rb_scorer *s, const float *xv, int64_t s0, int64_t rows, int c) {
    if (s->delta_s0 == s0 && s->delta_c == c) return s->delta;
    const size_t ld = (size_t)s->C * (size_t)s->Dv, n = (size_t)s->sp_n;
    const float *x = xv + (size_t)c * (size_t)s->Dv, *clean = s->test->visual + (size_t)s0 * ld + (size_t)c * (size_t)s->Dv;
    for (int64_t i = 0; i < rows; i++)
        for (size_t j = 0; j < n; j++) {
            const size_t at = (size_t)i * ld + (size_t)s->sp_dims[j];
            s->delta[(size_t)i * n + j] = x[at] - clean[at];
        }
    s->delta_s0 = s0;
    s->delta_c = c;
    return s->delta;
}

/* z = the cached clean first-layer rows (clean, [rows][h1]) + (x' - x) W at the changed dimensions. */
static void rb_sparse_rows(rb_scorer *s, int p, int r, int c, const float *xv, int64_t s0, int64_t rows, const float *clean,
                           int h1, float *z) {
    const float *delta = rb_sparse_delta(s, xv, s0, rows, c);
    memcpy(z, clean, sizeof(float) * (size_t)rows * (size_t)h1);
    rb_nn_matmul(delta, rows, s->sp_n, s->sp_n, s->wsel[p] + (size_t)r * (size_t)s->Dv * (size_t)h1, h1, h1, z, h1, 1.0f);
    s->flops += 2.0 * (double)rows * s->sp_n * h1;
}

/* Visual path p (with cached rows), replica r, crop c of rows [s0, s0 + rows) into s->tmp. For a row-linear
 * condition lin of the path's modality, from the clean rows without a product; for a
 * dimension-sparse visual cell (s->sparse), the clean rows plus the changed dimensions' product;
 * otherwise its first-layer rows by one product over the block (into the cache when filling it). The
 * ties of the input rows (for the shortcut: of the first-layer rows, exact copies) are kept exact. */
static int rb_score_rows(rb_scorer *s, const rb_detector *d, int p, int r, int c, const rb_modality_condition *lin,
                         const float *xv, int64_t s0, int64_t rows, int64_t v0, int64_t v1, int fill_cache) {
    const int h1 = d->hidden1, Dv = s->Dv, ldv = s->C * s->Dv;
    const float *x = xv + (size_t)c * (size_t)Dv;
    float *cached = s->pre_path[p] + (((size_t)r * (size_t)s->C + (size_t)c) * (size_t)s->S + (size_t)s0) * (size_t)h1;
    if (lin) {
        RB_TRY(rb_linear_rows(s, lin, s->pre_path[p], p, r, c, h1, v0, v1, s->zbuf));
        s->flops += rb_trunk_flops(d, rows, 0);
        return rb_exact_ties_score_keyed(&s->ties, rb_first_layer_rows_score, d, s->zbuf, h1, h1, s->zbuf, h1, h1,
                                         rows, s->tmp);
    }
    if (s->sparse && !fill_cache) { /* the clean rows plus the changed dimensions' product */
        rb_sparse_rows(s, p, r, c, xv, s0, rows, cached, h1, s->zbuf);
        s->flops += rb_trunk_flops(d, rows, 0);
        return rb_exact_ties_score_keyed(&s->ties, rb_first_layer_rows_score, d, x, Dv, ldv, s->zbuf, h1, h1, rows, s->tmp);
    }
    float *z = fill_cache ? cached : s->zbuf;
    rb_nn_matmul(x, rows, Dv, ldv, d->l1.w, h1, h1, z, h1, 0.0f);
    s->flops += rb_trunk_flops(d, rows, Dv);
    return rb_exact_ties_score_keyed(&s->ties, rb_first_layer_rows_score, d, x, Dv, ldv, z, h1, h1, rows, s->tmp);
}

/* Score the dirty paths of rows [s0, s0+rows) into out[p] ([R][S][width]); nll of dirty modalities
 * into nll[m]. dirty[m]: modality m's features changed. fill_cache: also store the clean concat halves. */
static int rb_score_chunk(rb_scorer *s, const float *xv, const float *xa, int64_t s0, int64_t rows, const int dirty[2],
                          const int missing[2], float *const out[N_PATHS], double *const nll[2], int fill_cache,
                          const rb_modality_condition *const lin[2], int64_t v0, int64_t v1) {
    const int C = s->C, Dv = s->Dv, Da = s->Da;
    const int ldv = C * Dv;
    for (int r = 0; r < s->R; r++) {
        for (int p = 0; p < N_PATHS; p++) {
            if (!s->have[p] || p == P_CONCAT) continue;
            int m = rb_path_modality[p];
            if (!dirty[m]) continue;
            const rb_detector *d = rb_path_det(s, p, r);
            int width = rb_path_width(s, p);
            float *o = out[p] + ((size_t)r * (size_t)s->S + (size_t)s0) * (size_t)width;
            if (d->arch == RB_ARCH_HLNET) { /* one graph per whole video (rb_detector_score_videos) */
                RB_TRY(rb_score_paths_hlnet(s, d, m, xv, xa, s0, rows, o));
                continue;
            }
            if (missing[m]) { /* every row is the zero row: its score was computed once */
                const float z = s->zero_score[(size_t)p * (size_t)s->R + (size_t)r];
                for (int64_t i = 0; i < rows * width; i++) o[i] = z;
                continue;
            }
            if (s->pre_path[p]) { /* from first-layer rows (the linear shortcut's cache) */
                for (int c = 0; c < width; c++) {
                    RB_TRY(rb_score_rows(s, d, p, r, c, lin[m], xv, s0, rows, v0, v1, fill_cache));
                    for (int64_t i = 0; i < rows; i++) o[(size_t)i * (size_t)width + (size_t)c] = s->tmp[i];
                }
                continue;
            }
            if (p == P_SA) { /* the projection folded into the first layer (folded.c) */
                RB_TRY(rb_exact_ties_score_with(&s->ties, rb_folded_audio_score, &s->fold[r], xa, rows, Da, Da, o));
                s->flops += rb_trunk_flops(d, rows, Da);
                continue;
            }
            if (m == 0) {
                for (int c = 0; c < C; c++) {
                    RB_TRY(rb_exact_ties_score(&s->ties, d, RB_INPUT_VISUAL, xv + (size_t)c * Dv, rows, Dv, ldv, s->tmp));
                    for (int64_t i = 0; i < rows; i++) o[(size_t)i * C + c] = s->tmp[i];
                    s->flops += rb_trunk_flops(d, rows, Dv);
                }
            } else {
                RB_TRY(rb_exact_ties_score(&s->ties, d, RB_INPUT_AUDIO, xa, rows, Da, Da, o));
                /* zero padding is implicit: only the first Da rows of W1 multiply real inputs */
                s->flops += rb_trunk_flops(d, rows, Da);
            }
        }
        if (s->have[P_CONCAT] && (dirty[0] || dirty[1])) {
            /* Always through the two first-layer halves (z1 = x_v W1v + x_a W1a + b1), so a cached
             * clean half and a recomputed one give the same bits: reuse never changes a result. */
            const rb_detector *d = rb_path_det(s, P_CONCAT, r);
            float *o = out[P_CONCAT] + ((size_t)r * (size_t)s->S + (size_t)s0) * (size_t)C;
            if (d->arch == RB_ARCH_HLNET) {
                RB_TRY(rb_score_paths_hlnet(s, d, 2, xv, xa, s0, rows, o));
                continue;
            }
            const size_t h1 = (size_t)s->h1;
            int cache = s->pre_v && s->pre_a;
            const float *pa;
            if (missing[1]) { /* x_a W1a = 0: no product, no zeros (a NULL half is zero) */
                pa = NULL;
            } else if (lin[1]) { /* a row-linear corruption of the cached clean half: no product */
                RB_TRY(rb_linear_rows(s, lin[1], s->pre_a, P_CONCAT, r, 0, (int)h1, v0, v1, s->part_tmp[1]));
                pa = s->part_tmp[1];
            } else if (cache && !fill_cache && !dirty[1]) {
                pa = s->pre_a + ((size_t)r * (size_t)s->S + (size_t)s0) * h1;
            } else {
                float *dst = fill_cache ? s->pre_a + ((size_t)r * (size_t)s->S + (size_t)s0) * h1 : s->part_tmp[1];
                RB_TRY(rb_detector_concat_partial(d, RB_INPUT_AUDIO, xa, rows, Da, dst));
                s->flops += 2.0 * (double)rows * Da * h1;
                pa = dst;
            }
            for (int c = 0; c < C; c++) {
                const float *pv;
                float *cached_v = cache ? s->pre_v + (((size_t)r * C + c) * (size_t)s->S + (size_t)s0) * h1 : NULL;
                if (missing[0] && c > 0) { /* every crop is the zero crop: copy crop 0's scores */
                    for (int64_t i = 0; i < rows; i++) o[(size_t)i * C + c] = o[(size_t)i * C];
                    continue;
                }
                if (missing[0]) { /* x_v W1v = 0 */
                    pv = NULL;
                } else if (lin[0]) { /* a row-linear corruption of the cached clean half: no product */
                    RB_TRY(rb_linear_rows(s, lin[0], s->pre_v, P_CONCAT, r, c, (int)h1, v0, v1, s->part_tmp[0]));
                    pv = s->part_tmp[0];
                } else if (s->sparse && !fill_cache) { /* the cached clean half plus the changed dimensions */
                    rb_sparse_rows(s, P_CONCAT, r, c, xv, s0, rows, cached_v, (int)h1, s->part_tmp[0]);
                    pv = s->part_tmp[0];
                } else if (cache && !fill_cache && !dirty[0]) {
                    pv = cached_v;
                } else {
                    float *dst = fill_cache ? cached_v : s->part_tmp[0];
                    RB_TRY(rb_detector_concat_partial(d, RB_INPUT_VISUAL, xv + (size_t)c * Dv, rows, ldv, dst));
                    s->flops += 2.0 * (double)rows * Dv * h1;
                    pv = dst;
                }
                RB_TRY(rb_detector_score_partials(d, pv, pa, rows, s->tmp));
                for (int64_t i = 0; i < rows; i++) o[(size_t)i * C + c] = s->tmp[i];
                s->flops += rb_trunk_flops(d, rows, 0);
            }
        }
    }
    for (int m = 0; m < 2; m++) {
        if (!dirty[m] || missing[m]) continue;
        const rb_gmm *g = &s->model->gmm[m];
        int width = m == 0 ? C : 1;
        int64_t n = rows * width;
        RB_TRY(rb_gmm_nll(g, m == 0 ? xv : xa, n, g->d, nll[m] + (size_t)s0 * (size_t)width));
        s->flops += 4.0 * (double)n * g->d * g->k;
    }
    return RB_OK;
}

int64_t rb_score_blocks(const rb_split *test, int64_t chunk_rows, int64_t *first_video) {
    int64_t longest = rb_corrupt_max_video_len(test), rows_max = chunk_rows > longest ? chunk_rows : longest, n = 0;
    for (int64_t v0 = 0; v0 < test->n_videos; n++) {
        int64_t v1 = v0 + 1;
        while (v1 < test->n_videos && test->offsets[v1 + 1] - test->offsets[v0] <= rows_max) v1++;
        if (first_video) first_video[n] = v0;
        v0 = v1;
    }
    if (first_video) first_video[n] = test->n_videos;
    return n;
}

/* Run chunks [b0, b1) of a cell (all of them: [0, n_blocks)). */
static int rb_score_range(rb_scorer *s, const rb_modality_condition cond[2], const int dirty[2], float *const out[N_PATHS],
                          double *const nll[2], int fill_cache, int64_t b0, int64_t b1) {
    const rb_split *t = s->test;
    int missing[2] = {cond[0].missing, cond[1].missing};
    const rb_modality_condition *lin[2] = {NULL, NULL}; /* row-linear corruptions scored from the clean rows */
    for (int m = 0; m < 2; m++)
        if (s->linear && s->clamp_safe[m] && dirty[m] && !missing[m] && cond[m].corruption && !cond[m].preextracted &&
            rb_corrupt_row_linear(cond[m].corruption)) {
            lin[m] = &cond[m];
            RB_TRY(rb_linear_images(s, lin[m]));
        }
    /* a dimension-sparse visual corruption: the clean first layers plus the changed dimensions */
    s->sparse = s->linear && s->clamp_safe[0] && dirty[0] && !missing[0] && cond[0].corruption && !cond[0].preextracted &&
                cond[0].corruption->modality == RB_MOD_VISUAL && rb_corrupt_dim_sparse(cond[0].corruption);
    if (s->sparse && rb_sparse_prepare(s, &cond[0]) != RB_OK) {
        s->sparse = 0;
        return RB_ERR;
    }
    for (int64_t b = b0; b < b1; b++) {
        int64_t v0 = s->block_v[b], v1 = s->block_v[b + 1];
        int64_t s0 = t->offsets[v0], rows = t->offsets[v1] - s0;
        const float *xv = NULL, *xa = NULL;
        RB_TRY(rb_chunk_features(s, 0, &cond[0], v0, v1, &xv));
        RB_TRY(rb_chunk_features(s, 1, &cond[1], v0, v1, &xa));
        RB_TRY(rb_score_chunk(s, xv, xa, s0, rows, dirty, missing, out, nll, fill_cache, lin, v0, v1));
    }
    return RB_OK;
}

/* What does not depend on the cell, once per detector replica: the folded audio path of the shared
 * detector, and each single-input path's score of a lone zero row (the score of every snippet of a
 * missing modality; the same value exact_ties.c gives a zero row inside a block). */
static int rb_scorer_constants(rb_scorer *s) {
    if (s->have[P_SA]) {
        s->fold = rb_calloc((size_t)s->R, sizeof *s->fold, "folded audio paths");
        if (!s->fold) return RB_ERR;
        for (int r = 0; r < s->R; r++) RB_TRY(rb_folded_audio_init(&s->fold[r], rb_path_det(s, P_SA, r)));
    }
    s->zero_score = rb_calloc((size_t)N_PATHS * (size_t)s->R, sizeof(float), "zero-row scores");
    float *zero_row = rb_calloc((size_t)(s->Dv > s->Da ? s->Dv : s->Da), sizeof(float), "zero row");
    int rc = s->zero_score && zero_row ? RB_OK : RB_ERR;
    for (int p = 0; rc == RB_OK && p < N_PATHS; p++) {
        if (!s->have[p] || p == P_CONCAT) continue;
        for (int r = 0; rc == RB_OK && r < s->R; r++) {
            if (rb_path_det(s, p, r)->arch == RB_ARCH_HLNET) continue; /* scored per whole video, never a row */
            float *z = &s->zero_score[(size_t)p * (size_t)s->R + (size_t)r];
            if (p == P_SA) rc = rb_folded_audio_score(&s->fold[r], zero_row, 1, s->Da, z);
            else if (rb_path_modality[p] == 0) rc = rb_detector_score(rb_path_det(s, p, r), RB_INPUT_VISUAL, zero_row, 1, s->Dv, z);
            else rc = rb_detector_score(rb_path_det(s, p, r), RB_INPUT_AUDIO, zero_row, 1, s->Da, z);
        }
    }
    free(zero_row);
    return rc;
}

/* The caches the settings ask for, in the scorer's own memory (before any borrow): the concat
 * first-layer halves when they fit in reuse_mb or linear is set (an hlnet concat detector scores whole
 * videos: no halves), and with linear the first-layer rows of the paths rb_path_has_rows names. */
static int rb_scorer_alloc_caches(rb_scorer *s) {
    free(s->pre_v);
    free(s->pre_a);
    s->pre_v = s->pre_a = NULL;
    for (int p = 0; p < N_PATHS; p++) {
        free(s->pre_path[p]);
        s->pre_path[p] = NULL;
    }
    const size_t R = (size_t)s->R, C = (size_t)s->C, S = (size_t)s->S;
    if (s->have[P_CONCAT] && rb_path_det(s, P_CONCAT, 0)->arch != RB_ARCH_HLNET && (s->halves_fit || s->linear)) {
        s->pre_v = rb_malloc(sizeof(float) * R * C * S * (size_t)s->h1, "clean concat visual half");
        s->pre_a = rb_malloc(sizeof(float) * R * S * (size_t)s->h1, "clean concat audio half");
        if (!s->pre_v || !s->pre_a) return RB_ERR;
    }
    for (int p = 0; s->linear && p < N_PATHS; p++) {
        if (!rb_path_has_rows(s, p)) continue;
        s->pre_path[p] = rb_malloc(sizeof(float) * R * (size_t)rb_path_width(s, p) * S *
                                       (size_t)rb_path_det(s, p, 0)->hidden1,
                                   "clean first-layer rows");
        if (!s->pre_path[p]) return RB_ERR;
    }
    return RB_OK;
}

int rb_scorer_set_linear(rb_scorer *s, int on) {
    if ((on != 0) == s->linear) return RB_OK; /* the caches for this setting exist (rb_scorer_create) */
    if (s->clean_started)
        return rb_fail("scorer: the linear shortcut is set before the clean arrays are borrowed or scored");
    s->linear = on != 0;
    RB_TRY_CTX(rb_scorer_alloc_caches(s), "scorer: the clean first-layer caches");
    return RB_OK;
}

int rb_scorer_create(rb_scorer **out, const rb_model *model, const rb_split *test, const rb_corrupt_ctx *ctx,
                     int64_t chunk_rows, double reuse_mb) {
    *out = NULL;
    if (test->d_visual != model->d_visual || test->d_audio != model->d_audio || test->n_crops != model->n_crops)
        return rb_fail("test features (%d crops, %d/%d wide) do not match the model (%d crops, %d/%d wide)",
                       test->n_crops, test->d_visual, test->d_audio, model->n_crops, model->d_visual, model->d_audio);
    rb_scorer *s = rb_calloc(1, sizeof *s, "scorer");
    if (!s) return RB_ERR;
    s->model = model;
    s->test = test;
    s->ctx = ctx;
    s->S = test->n_snippets;
    s->C = test->n_crops;
    s->Dv = test->d_visual;
    s->Da = test->d_audio;
    s->R = model->n_replicas;
    s->reuse = 1;
    s->max_video = rb_corrupt_max_video_len(test);
    s->chunk_rows = chunk_rows > s->max_video ? chunk_rows : s->max_video;
    s->n_blocks = rb_score_blocks(test, chunk_rows, NULL);
    for (int p = 0; p < N_PATHS; p++) s->have[p] = rb_model_slot(model, rb_path_kind[p]) >= 0;
    for (int p = 0; p < N_PATHS; p++)
        if (s->have[p] && rb_model_detector(model, rb_model_slot(model, rb_path_kind[p]), 0)->arch == RB_ARCH_HLNET)
            s->any_hlnet = 1;
    s->h1 = s->have[P_CONCAT] ? rb_path_det(s, P_CONCAT, 0)->hidden1 : 0;
    s->block_v = rb_malloc(sizeof(int64_t) * (size_t)(s->n_blocks + 1), "chunk list");
    int rc = s->block_v ? RB_OK : RB_ERR;
    if (rc == RB_OK) rb_score_blocks(test, chunk_rows, s->block_v);
    for (int p = 0; rc == RB_OK && p < N_PATHS; p++) {
        if (!s->have[p]) continue;
        size_t n = (size_t)s->R * (size_t)s->S * (size_t)rb_path_width(s, p);
        s->clean[p] = rb_malloc(sizeof(float) * n, "clean scores");
        s->work[p] = rb_malloc(sizeof(float) * n, "cell scores");
        if (!s->clean[p] || !s->work[p]) rc = RB_ERR;
    }
    size_t ch = (size_t)s->chunk_rows;
    for (int m = 0; rc == RB_OK && m < 2; m++) {
        size_t width = m == 0 ? (size_t)s->C : 1, row = m == 0 ? (size_t)s->C * s->Dv : (size_t)s->Da;
        s->clean_nll[m] = rb_malloc(sizeof(double) * (size_t)s->S * width, "clean NLL");
        s->clean_w[m] = rb_malloc(sizeof(double) * (size_t)s->S * width, "clean weights");
        s->nll[m] = rb_malloc(sizeof(double) * (size_t)s->S * width, "cell NLL");
        s->w[m] = rb_malloc(sizeof(double) * (size_t)s->S * width, "cell weights");
        s->buf[m] = rb_malloc(sizeof(float) * ch * row, "corrupted features");
        s->part_tmp[m] = rb_malloc(sizeof(float) * ch * (size_t)(s->h1 ? s->h1 : 1), "concat partials");
        s->w_ref[m] = rb_malloc(sizeof(double) * (size_t)s->S * width, "reference weights");
        if (!s->clean_nll[m] || !s->clean_w[m] || !s->nll[m] || !s->w[m] || !s->buf[m] || !s->part_tmp[m] || !s->w_ref[m])
            rc = RB_ERR;
    }
    if (rc == RB_OK) {
        s->video_tmp = rb_malloc(sizeof(float) * (size_t)s->max_video * (size_t)(s->Dv > s->Da ? s->Dv : s->Da), "video buffer");
        s->tmp = rb_malloc(sizeof(float) * ch, "score buffer");
        if (!s->video_tmp || !s->tmp) rc = RB_ERR;
    }
    double cache_mb = s->have[P_CONCAT] ? 4.0 * s->R * (double)s->S * s->h1 * (s->C + 1) / 1048576.0 : 0;
    s->halves_fit = cache_mb <= reuse_mb;
    s->linear = 1;
    /* The shortcut's identities hold when the clamp at 0 after a corruption never acts on a clean
     * value: no clamp for the modality, or no negative (or NaN) clean test value (docs/corruptions.md) */
    for (int m = 0; m < 2; m++) {
        const float *x = m == 0 ? test->visual : test->audio;
        const size_t n = (size_t)s->S * (size_t)(m == 0 ? s->C * s->Dv : s->Da);
        s->clamp_safe[m] = !(ctx && ctx->nonnegative[m] && x) || rb_all_nonnegative(x, n);
    }
    s->h1max = s->h1 > 1 ? s->h1 : 1;
    for (int p = 0; rc == RB_OK && p < N_PATHS; p++) {
        if (!rb_path_has_rows(s, p)) continue;
        for (int r = 1; rc == RB_OK && r < s->R; r++)
            if (rb_path_det(s, p, r)->hidden1 != rb_path_det(s, p, 0)->hidden1)
                rc = rb_fail("detector %s: replicas 0 and %d differ in hidden width (%d, %d)",
                             rb_detector_kind_name(rb_path_kind[p]), r, rb_path_det(s, p, 0)->hidden1,
                             rb_path_det(s, p, r)->hidden1);
        if (rb_path_det(s, p, 0)->hidden1 > s->h1max) s->h1max = rb_path_det(s, p, 0)->hidden1;
    }
    if (rc == RB_OK) {
        s->zbuf = rb_malloc(sizeof(float) * ch * (size_t)s->h1max, "first-layer rows");
        for (int m = 0; m < 2; m++)
            s->img[m] = rb_malloc(sizeof(float) * (size_t)N_PATHS * (size_t)s->R * 2 * (size_t)s->h1max, "first-layer images");
        if (!s->zbuf || !s->img[0] || !s->img[1]) rc = RB_ERR;
    }
    if (rc == RB_OK) rc = rb_scorer_alloc_caches(s);
    if (rc == RB_OK) rc = rb_scorer_constants(s);
    if (rc == RB_OK && s->have[P_SV]) {
        s->decor_beta = rb_malloc(sizeof(double) * 2 * (size_t)s->R, "decor slopes");
        s->decor_mean = rb_malloc(sizeof(double) * 2 * (size_t)s->R, "decor centres");
        if (!s->decor_beta || !s->decor_mean) rc = RB_ERR;
    }
    for (int me = 0; me < RB_N_STANDARD_METHODS; me++)
        if (rb_method_available(model, (rb_method)me)) s->sel[s->n_sel++] = (rb_method)me;
    if (rc != RB_OK) {
        rb_scorer_free(s);
        return rb_context("preparing the scorer of the test split");
    }
    *out = s;
    return RB_OK;
}

int rb_scorer_clean_blocks(rb_scorer *s, int64_t b0, int64_t b1) {
    if (b0 < 0 || b1 < b0 || b1 > s->n_blocks)
        return rb_fail("scorer: clean block range [%lld, %lld) outside the %lld blocks", (long long)b0, (long long)b1,
                       (long long)s->n_blocks);
    rb_modality_condition clean[2] = {{0}, {0}};
    int dirty[2] = {1, 1};
    s->clean_started = 1;
    RB_TRY_CTX(rb_score_range(s, clean, dirty, s->clean, s->clean_nll, s->pre_v != NULL, b0, b1),
               "scoring the clean test split");
    return RB_OK;
}

int rb_scorer_clean_segments(const rb_scorer *s, rb_clean_segment *seg, int cap) {
    int n = 0;
#define RB_SEGMENT(ptr, bytes)                                                                                          \
    do {                                                                                                              \
        if (seg && n < cap) seg[n] = (rb_clean_segment){(void *)(ptr), (bytes)};                                      \
        n++;                                                                                                          \
    } while (0)
    for (int p = 0; p < N_PATHS; p++) {
        if (!s->have[p]) continue;
        size_t width = (size_t)rb_path_width(s, p);
        for (int r = 0; r < s->R; r++) RB_SEGMENT(s->clean[p] + (size_t)r * (size_t)s->S * width, sizeof(float) * width);
    }
    for (int m = 0; m < 2; m++) RB_SEGMENT(s->clean_nll[m], sizeof(double) * (size_t)(m == 0 ? s->C : 1));
    if (s->pre_v && s->pre_a) {
        size_t h1 = (size_t)s->h1;
        for (int r = 0; r < s->R; r++)
            for (int c = 0; c < s->C; c++)
                RB_SEGMENT(s->pre_v + ((size_t)r * (size_t)s->C + (size_t)c) * (size_t)s->S * h1, sizeof(float) * h1);
        for (int r = 0; r < s->R; r++) RB_SEGMENT(s->pre_a + (size_t)r * (size_t)s->S * h1, sizeof(float) * h1);
    }
    for (int p = 0; p < N_PATHS; p++) {
        if (!s->pre_path[p]) continue;
        size_t h1 = (size_t)rb_path_det(s, p, 0)->hidden1, crops = (size_t)rb_path_width(s, p);
        for (int r = 0; r < s->R; r++)
            for (size_t c = 0; c < crops; c++)
                RB_SEGMENT(s->pre_path[p] + ((size_t)r * crops + c) * (size_t)s->S * h1, sizeof(float) * h1);
    }
#undef RB_SEGMENT
    return n;
}

/* The clean arrays in one buffer: each starts on a 64-byte boundary, in the order of
 * rb_scorer_clean_segments (path arrays with all replicas, the two NLLs, the concat halves when
 * halves is set, the first-layer rows of each path p with bit p of rows_mask). Returns the bytes they
 * take; with base, points the scorer's arrays into it. */
#define RB_CLEAN_ALIGN ((size_t)64)
static size_t rb_clean_round(size_t n) { return (n + RB_CLEAN_ALIGN - 1) / RB_CLEAN_ALIGN * RB_CLEAN_ALIGN; }

static size_t rb_scorer_clean_layout(rb_scorer *s, int halves, unsigned rows_mask, char *base) {
    size_t at = 0;
    for (int p = 0; p < N_PATHS; p++) {
        if (!s->have[p]) continue;
        if (base) s->clean[p] = (float *)(base + at);
        at += rb_clean_round(sizeof(float) * (size_t)s->R * (size_t)s->S * (size_t)rb_path_width(s, p));
    }
    for (int m = 0; m < 2; m++) {
        if (base) s->clean_nll[m] = (double *)(base + at);
        at += rb_clean_round(sizeof(double) * (size_t)s->S * (size_t)(m == 0 ? s->C : 1));
    }
    if (halves) {
        const size_t h1 = (size_t)s->h1, S = (size_t)s->S, R = (size_t)s->R, C = (size_t)s->C;
        char *v = base ? base + at : NULL;
        at += rb_clean_round(sizeof(float) * R * C * S * h1);
        char *a = base ? base + at : NULL;
        at += rb_clean_round(sizeof(float) * R * S * h1);
        if (base) {
            s->pre_v = (float *)v;
            s->pre_a = (float *)a;
        }
    }
    for (int p = 0; p < N_PATHS; p++) {
        if (!(rows_mask & (1u << p))) continue;
        if (base) s->pre_path[p] = (float *)(base + at);
        at += rb_clean_round(sizeof(float) * (size_t)s->R * (size_t)rb_path_width(s, p) * (size_t)s->S *
                             (size_t)rb_path_det(s, p, 0)->hidden1);
    }
    return at;
}

static unsigned rb_scorer_rows_mask(const rb_scorer *s) {
    unsigned mask = 0;
    for (int p = 0; p < N_PATHS; p++)
        if (s->pre_path[p]) mask |= 1u << p;
    return mask;
}

size_t rb_scorer_clean_bytes(const rb_scorer *s) {
    return rb_scorer_clean_layout((rb_scorer *)s, s->pre_v && s->pre_a, rb_scorer_rows_mask(s), NULL);
}

int rb_scorer_clean_borrow(rb_scorer *s, void *base) {
    if (!base || ((uintptr_t)base % RB_CLEAN_ALIGN) != 0)
        return rb_fail("scorer: the memory for the clean arrays must be %zu-byte aligned", RB_CLEAN_ALIGN);
    const int halves = s->pre_v && s->pre_a;
    const unsigned rows_mask = rb_scorer_rows_mask(s);
    rb_scorer_free_clean(s);
    s->clean_borrowed = 1;
    s->clean_started = 1;
    rb_scorer_clean_layout(s, halves, rows_mask, base);
    return RB_OK;
}

int rb_scorer_clean_finish(rb_scorer *s) {
    for (int m = 0; m < 2; m++)
        RB_TRY_CTX(rb_weight_from_nll(&s->model->calib[m], s->clean_nll[m], s->S, m == 0 ? s->C : 1, s->test->offsets,
                                      s->test->n_videos, s->clean_w[m]),
                   "the clean test split's %s weights", m == 0 ? "visual" : "audio");
    if (s->have[P_SV]) /* shared-decor: slope of the clean NLL on the clean shared score */
        for (int m = 0; m < 2; m++)
            for (int r = 0; r < s->R; r++) {
                int64_t n = s->S * (m == 0 ? s->C : 1);
                rb_ref_decor_fit(s->clean_nll[m], s->clean[m == 0 ? P_SV : P_SA] + (size_t)r * (size_t)n, n,
                                 &s->decor_beta[m * s->R + r], &s->decor_mean[m * s->R + r]);
            }
    return RB_OK;
}

int rb_scorer_init(rb_scorer **out, const rb_model *model, const rb_split *test, const rb_corrupt_ctx *ctx,
                   int64_t chunk_rows, double reuse_mb) {
    RB_TRY(rb_scorer_create(out, model, test, ctx, chunk_rows, reuse_mb));
    int rc = rb_scorer_clean_blocks(*out, 0, (*out)->n_blocks);
    if (rc == RB_OK) rc = rb_scorer_clean_finish(*out);
    if (rc != RB_OK) {
        rb_scorer_free(*out);
        *out = NULL;
    }
    return rc;
}

void rb_scorer_set_reuse(rb_scorer *s, int on) { s->reuse = on; }

int rb_scorer_set_methods(rb_scorer *s, const rb_method *methods, int n) {
    if (n < 1 || n > RB_N_METHODS) return rb_fail("scorer: expected 1..%d methods, got %d", RB_N_METHODS, n);
    for (int k = 0; k < n; k++)
        if (!rb_method_available(s->model, methods[k]))
            return rb_fail("method %s needs a detector the model did not train", rb_method_name(methods[k]));
    memcpy(s->sel, methods, sizeof(rb_method) * (size_t)n);
    s->n_sel = n;
    return RB_OK;
}

double rb_scorer_flops(rb_scorer *s, int reset) {
    double f = s->flops;
    if (reset) s->flops = 0;
    return f;
}

void rb_cell_result_free(rb_cell_result *r) {
    free(r->scores);
    free(r->metrics);
    memset(r, 0, sizeof *r);
}

/* Crop mean of a [S][C] block into dst[S]. */
static void rb_crop_mean(const float *src, int64_t S, int C, float *dst) {
    for (int64_t i = 0; i < S; i++) {
        double acc = 0;
        for (int c = 0; c < C; c++) acc += src[(size_t)i * C + c];
        dst[i] = (float)(acc / C);
    }
}

static int rb_detect_auc(const double *clean, const double *cell, int64_t n, double *auc) {
    double *sc = rb_malloc(sizeof(double) * 2 * (size_t)n, "detection scores");
    uint8_t *lab = rb_malloc(2 * (size_t)n, "detection labels");
    int rc = sc && lab ? RB_OK : RB_ERR;
    if (rc == RB_OK) {
        memcpy(sc, clean, sizeof(double) * (size_t)n);
        memcpy(sc + n, cell, sizeof(double) * (size_t)n);
        memset(lab, 0, (size_t)n);
        memset(lab + n, 1, (size_t)n);
        rc = rb_roc_auc_binary(sc, lab, 2 * n, auc);
    }
    free(sc);
    free(lab);
    return rc;
}

/* The reference methods (reference_weights.c): pv, pa are the shared paths of replica rep (NULL when
 * missing). shared-oracle drops the one changed modality (weight 0, the other weight 1) and is the
 * plain mean when none or both changed; the weighted ones fuse with their own weights. */
static int rb_scorer_reference_fuse(rb_scorer *s, rb_method method, const rb_modality_condition cond[2],
                                    const int changed[2], double *const nll[2], int rep, const float *pv,
                                    const float *pa, float *f) {
    if (method == RB_METHOD_SHARED_ORACLE) {
        if (changed[0] != changed[1]) return rb_fuse_scores(changed[0] ? NULL : pv, NULL, s->C, changed[1] ? NULL : pa, NULL, s->S, f);
        return rb_fuse_scores(pv, NULL, s->C, pa, NULL, s->S, f);
    }
    for (int m = 0; m < 2; m++) {
        if (cond[m].missing) continue;
        int width = m == 0 ? s->C : 1;
        const rb_weight_calib *cal = &s->model->calib[m];
        if (method == RB_METHOD_SHARED_TWO_SIDED) {
            RB_TRY(rb_ref_two_sided_weights(cal, nll[m], s->S, width, s->test->offsets, s->test->n_videos, s->w_ref[m]));
        } else {
            RB_TRY(rb_ref_decor_weights(cal, nll[m], m == 0 ? pv : pa, s->S, width, s->test->offsets, s->test->n_videos,
                                        s->decor_beta[m * s->R + rep], s->decor_mean[m * s->R + rep], s->w_ref[m]));
        }
    }
    return rb_fuse_scores(pv, pv ? s->w_ref[0] : NULL, s->C, pa, pa ? s->w_ref[1] : NULL, s->S, f);
}

/* Which modalities a cell changes, and which it recomputes (no reuse: the clean one too). */
static void rb_cell_dirty(const rb_scorer *s, const rb_modality_condition cond[2], int changed[2], int dirty[2]) {
    for (int m = 0; m < 2; m++) {
        changed[m] = cond[m].corruption != NULL || cond[m].missing;
        dirty[m] = changed[m] || !s->reuse;
    }
}

/* Does the cell recompute path p / the NLL of modality m (what rb_score_chunk writes)? */
static int rb_path_dirty(const rb_scorer *s, int p, const int dirty[2]) {
    int m = rb_path_modality[p];
    return s->have[p] && (m == 2 ? dirty[0] || dirty[1] : dirty[m]);
}
static int rb_nll_dirty(const rb_modality_condition cond[2], int m, const int dirty[2]) {
    return dirty[m] && !cond[m].missing;
}

/* The methods' scores and metrics of a cell whose recomputed paths and NLLs are in s->work and
 * s->nll (scored by rb_score_range, or moved there block by block). */
static int rb_scorer_finish(rb_scorer *s, const rb_modality_condition cond[2], rb_cell_result *r);

int rb_scorer_cell(rb_scorer *s, const rb_modality_condition cond[2], rb_cell_result *r) {
    memset(r, 0, sizeof *r);
    double t0 = rb_now();
    int changed[2], dirty[2];
    rb_cell_dirty(s, cond, changed, dirty);
    if (dirty[0] || dirty[1]) RB_TRY(rb_score_range(s, cond, dirty, s->work, s->nll, 0, 0, s->n_blocks));
    RB_TRY(rb_scorer_finish(s, cond, r));
    r->seconds = rb_now() - t0;
    return RB_OK;
}

int64_t rb_scorer_n_blocks(const rb_scorer *s) { return s->n_blocks; }

int rb_scorer_block_rows(const rb_scorer *s, int64_t b0, int64_t b1, int64_t *row0, int64_t *rows) {
    if (b0 < 0 || b1 < b0 || b1 > s->n_blocks)
        return rb_fail("scorer: block range [%lld, %lld) outside the %lld blocks of the cell", (long long)b0,
                       (long long)b1, (long long)s->n_blocks);
    *row0 = s->test->offsets[s->block_v[b0]];
    *rows = s->test->offsets[s->block_v[b1]] - *row0;
    return RB_OK;
}

size_t rb_scorer_block_row_bytes(const rb_scorer *s, const rb_modality_condition cond[2]) {
    int changed[2], dirty[2];
    rb_cell_dirty(s, cond, changed, dirty);
    size_t bytes = 0;
    for (int p = 0; p < N_PATHS; p++)
        if (rb_path_dirty(s, p, dirty)) bytes += sizeof(float) * (size_t)s->R * (size_t)rb_path_width(s, p);
    for (int m = 0; m < 2; m++)
        if (rb_nll_dirty(cond, m, dirty)) bytes += sizeof(double) * (size_t)(m == 0 ? s->C : 1);
    return bytes;
}

/* Copy the recomputed paths and NLLs of rows [row0, row0 + rows) from the scorer into out, or from in
 * into the scorer (the other is NULL). Packed layout: per recomputed path [R][rows][width] floats,
 * then per recomputed NLL [rows][width] doubles. */
static void rb_blocks_copy(rb_scorer *s, const rb_modality_condition cond[2], int64_t row0, int64_t rows,
                           unsigned char *out, const unsigned char *in) {
    int changed[2], dirty[2];
    rb_cell_dirty(s, cond, changed, dirty);
    size_t at = 0;
    const int to_packed = out != NULL;
    for (int p = 0; p < N_PATHS; p++) {
        if (!rb_path_dirty(s, p, dirty)) continue;
        size_t width = (size_t)rb_path_width(s, p), n = sizeof(float) * (size_t)rows * width;
        for (int r = 0; r < s->R; r++) {
            float *rows_at = s->work[p] + ((size_t)r * (size_t)s->S + (size_t)row0) * width;
            if (to_packed) memcpy(out + at, rows_at, n);
            else memcpy(rows_at, in + at, n);
            at += n;
        }
    }
    for (int m = 0; m < 2; m++) {
        if (!rb_nll_dirty(cond, m, dirty)) continue;
        size_t width = (size_t)(m == 0 ? s->C : 1), n = sizeof(double) * (size_t)rows * width;
        double *rows_at = s->nll[m] + (size_t)row0 * width;
        if (to_packed) memcpy(out + at, rows_at, n);
        else memcpy(rows_at, in + at, n);
        at += n;
    }
}

int rb_scorer_score_blocks(rb_scorer *s, const rb_modality_condition cond[2], int64_t b0, int64_t b1, void *packed) {
    int64_t row0, rows;
    RB_TRY(rb_scorer_block_rows(s, b0, b1, &row0, &rows));
    int changed[2], dirty[2];
    rb_cell_dirty(s, cond, changed, dirty);
    if (dirty[0] || dirty[1]) RB_TRY(rb_score_range(s, cond, dirty, s->work, s->nll, 0, b0, b1));
    if (packed) rb_blocks_copy(s, cond, row0, rows, packed, NULL);
    return RB_OK;
}

int rb_scorer_put_blocks(rb_scorer *s, const rb_modality_condition cond[2], int64_t b0, int64_t b1, const void *packed) {
    int64_t row0, rows;
    RB_TRY(rb_scorer_block_rows(s, b0, b1, &row0, &rows));
    rb_blocks_copy(s, cond, row0, rows, NULL, packed);
    return RB_OK;
}

int rb_scorer_finish_cell(rb_scorer *s, const rb_modality_condition cond[2], rb_cell_result *r) {
    double t0 = rb_now();
    RB_TRY(rb_scorer_finish(s, cond, r));
    r->seconds = rb_now() - t0;
    return RB_OK;
}

static int rb_scorer_finish(rb_scorer *s, const rb_modality_condition cond[2], rb_cell_result *r) {
    memset(r, 0, sizeof *r);
    int changed[2], dirty[2];
    rb_cell_dirty(s, cond, changed, dirty);
    float *paths[N_PATHS];
    for (int p = 0; p < N_PATHS; p++) paths[p] = rb_path_dirty(s, p, dirty) ? s->work[p] : s->clean[p];
    double *nll[2] = {dirty[0] ? s->nll[0] : s->clean_nll[0], dirty[1] ? s->nll[1] : s->clean_nll[1]};
    const double *w[2];
    for (int m = 0; m < 2; m++) {
        int width = m == 0 ? s->C : 1;
        r->detect_auc[m] = NAN;
        if (cond[m].missing) {
            w[m] = NULL;
            r->weight_mean[m] = 0.0;
            continue;
        }
        if (dirty[m]) {
            RB_TRY(rb_weight_from_nll(&s->model->calib[m], nll[m], s->S, width, s->test->offsets, s->test->n_videos, s->w[m]));
            w[m] = s->w[m];
            if (changed[m]) RB_TRY(rb_detect_auc(s->clean_nll[m], nll[m], s->S * width, &r->detect_auc[m]));
        } else {
            w[m] = s->clean_w[m];
        }
        r->weight_mean[m] = rb_weight_mean(w[m], s->S * width);
    }
    for (int m = 0; m < 2; m++) {
        for (int q = 0; q < RB_DIAG_COUNT; q++) r->diag[m][q] = NAN;
        if (!cond[m].missing)
            RB_TRY_CTX(rb_weight_diagnostics(s->test, nll[m], w[m], m == 0 ? s->C : 1, r->detect_auc[m], r->diag[m]),
                       "%s weighting diagnostics", m == 0 ? "visual" : "audio");
    }
    r->n_replicas = s->R;
    r->n_snippets = s->S;
    for (int k = 0; k < s->n_sel; k++) r->methods[r->n_methods++] = s->sel[k];
    size_t S = (size_t)s->S, C = (size_t)s->C;
    r->scores = rb_malloc(sizeof(float) * (size_t)r->n_methods * (size_t)s->R * S, "cell scores");
    r->metrics = rb_calloc((size_t)r->n_methods * (size_t)s->R, sizeof *r->metrics, "cell metrics");
    double *dbl = rb_malloc(sizeof(double) * S, "scores as double");
    if (!r->scores || !r->metrics || !dbl) {
        free(dbl);
        rb_cell_result_free(r);
        return RB_ERR;
    }
    int rc = RB_OK;
    for (int k = 0; rc == RB_OK && k < r->n_methods; k++) {
        for (int rep = 0; rc == RB_OK && rep < s->R; rep++) {
            float *f = r->scores + ((size_t)k * (size_t)s->R + (size_t)rep) * S;
            const float *pv = NULL, *pa = NULL;
            switch (r->methods[k]) {
            case RB_METHOD_CONCAT: rb_crop_mean(paths[P_CONCAT] + rep * S * C, s->S, s->C, f); break;
            case RB_METHOD_VISUAL: rb_crop_mean(paths[P_V] + rep * S * C, s->S, s->C, f); break;
            case RB_METHOD_AUDIO: memcpy(f, paths[P_A] + rep * S, sizeof(float) * S); break;
            case RB_METHOD_SHARED_MEAN:
            case RB_METHOD_SHARED_DYN:
            case RB_METHOD_SHARED_TWO_SIDED:
            case RB_METHOD_SHARED_DECOR:
            case RB_METHOD_SHARED_ORACLE:
                pv = cond[0].missing ? NULL : paths[P_SV] + rep * S * C;
                pa = cond[1].missing ? NULL : paths[P_SA] + rep * S;
                break;
            case RB_METHOD_SHARED_PAD_DYN:
                pv = cond[0].missing ? NULL : paths[P_PV] + rep * S * C;
                pa = cond[1].missing ? NULL : paths[P_PA] + rep * S;
                break;
            default: break;
            }
            if (r->methods[k] == RB_METHOD_SHARED_MEAN)
                rc = rb_fuse_scores(pv, NULL, s->C, pa, NULL, s->S, f);
            else if (r->methods[k] == RB_METHOD_SHARED_DYN || r->methods[k] == RB_METHOD_SHARED_PAD_DYN)
                rc = rb_fuse_scores(pv, pv ? w[0] : NULL, s->C, pa, pa ? w[1] : NULL, s->S, f);
            else if (r->methods[k] >= RB_METHOD_SHARED_TWO_SIDED)
                rc = rb_scorer_reference_fuse(s, r->methods[k], cond, changed, nll, rep, pv, pa, f);
            if (rc != RB_OK) break;
            /* metrics from the float32 scores exactly as stored, so saved scores reproduce them */
            for (size_t i = 0; i < S; i++) dbl[i] = f[i];
            rc = rb_metrics_compute(dbl, s->test->snippet_pos, s->test->snippet_frames, s->S,
                                    &r->metrics[(size_t)k * (size_t)s->R + (size_t)rep]);
            if (rc != RB_OK) rb_context("method %s replica %d", rb_method_name(r->methods[k]), rep);
        }
    }
    free(dbl);
    if (rc != RB_OK) {
        rb_cell_result_free(r);
        return RB_ERR;
    }
    return RB_OK;
}

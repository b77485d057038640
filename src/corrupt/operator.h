/* operator.h - the table of operations behind the corruption stage (private to src/corrupt/).
 *
 * Every operator of the registry (rb_corrupt_op) is one rb_corrupt_ops struct, exported by the file
 * of its family (noise.c, prototype_mix.c, smoothing.c, detail.c, quantise.c, dropout.c,
 * saturation.c, video_mix.c, missing.c). operator_table.c maps the registry's op enum to those
 * structs; context.c dispatches through the table: rb_corrupt_ctx_init calls each entry's `prepare`
 * (derived data: prototypes, dimension orders), rb_corrupt_video checks the arguments, opens the
 * per-video random stream the ops struct asks for, calls `apply` and clamps nonnegative modalities.
 * An operator therefore only reads rows and parameters; the RNG counter layout (rb_corrupt.h) lives
 * in context.c alone. */
#ifndef RB_CORRUPT_OPERATOR_H
#define RB_CORRUPT_OPERATOR_H

#include <stddef.h>
#include <stdint.h>

#include "rb_core.h"
#include "rb_corrupt.h"
#include "rb_data.h"

#define RB_CORRUPT_SLOT_VIDEO 15 /* counter slot shared by every crop of a video */

/* The per-video random stream an operator reads (counter layout in rb_corrupt.h). */
typedef enum {
    RB_OP_STREAM_NONE = 0, /* deterministic given the context: apply gets r = NULL */
    RB_OP_STREAM_CROP,     /* slot = crop: draws private to one crop (additive noise) */
    RB_OP_STREAM_VIDEO     /* slot = RB_CORRUPT_SLOT_VIDEO: draws shared by every crop of the video */
} rb_op_stream;

/* One video (one crop) of the test split as an operator sees it. The clean rows are
 * in[t*stride .. +D) and the corrupted rows out[t*D .. +D), t < T. */
typedef struct {
    const rb_corrupt_ctx *ctx;
    const rb_corruption *c;
    int index;            /* canonical index of c: ctx->proto[index], ctx->rank[index] */
    double p0, p1;        /* c->param[0][severity-1], c->param[1][severity-1] */
    const rb_split *test;
    int64_t video;
    const float *base;    /* the modality's rows of the whole split for this crop: snippet s at
                             base + s*stride (other videos, for video_mix) */
    const float *in;      /* the video's first clean row: base + offsets[video]*stride */
    size_t stride;        /* floats between consecutive snippets */
    int64_t T;            /* snippets of the video */
    int32_t D;            /* feature width */
    const float *mu, *sd; /* clean mean and floored std of the modality (NULL if the operator
                             does not use clean statistics) */
    const float *proto;   /* the entry's prototype (ctx->proto[index], or its image in another row
                             space for rb_corrupt_video_rows); NULL without one */
    float *out;           /* [T][D] */
} rb_op_video;

static inline const float *rb_op_in_row(const rb_op_video *v, int64_t t) {
    return v->in + (size_t)t * v->stride;
}
static inline float *rb_op_out_row(const rb_op_video *v, int64_t t) {
    return v->out + (size_t)t * (size_t)v->D;
}

/* The operations of one operator. */
typedef struct {
    const char *name;         /* the operator, for messages and tests: "noise", "clip", ... */
    rb_op_stream stream;      /* the random stream apply reads */
    int uses_clean_stats;     /* 1: needs the modality's clean statistics, output clamped at 0 when
                                 the modality is nonnegative; 0 (zero): works without statistics */
    int64_t min_videos;       /* the test split needs at least this many videos (0: any) */
    /* 1: row-linear (rb_corrupt_row_linear in rb_corrupt.h): each output row is a combination of the
     * video's input rows, mu and proto with coefficients that do not depend on the values or the
     * dimension, nonnegative and never reading sd; apply then also works on rows of another width */
    int row_linear;
    /* Optional (NULL: every dimension may change): the dimensions apply may change for parameters
     * p0, p1 (the same for every row and video) into dims (ascending), their count into *n; apply
     * copies every other dimension bit for bit. */
    void (*changed_dims)(const rb_corrupt_ctx *ctx, int index, double p0, double p1, int32_t D, int32_t *dims,
                         int32_t *n);
    /* Optional (NULL: nothing derived): derived data of registry entry `index` in ctx (prototype,
     * dimension order), built once by rb_corrupt_ctx_init when the entry's modality has statistics. */
    int (*prepare)(rb_corrupt_ctx *ctx, const rb_corruption *c, int index);
    /* Corrupt one video: read v's clean rows, write v->out. r: the stream of `stream`, or NULL. */
    int (*apply)(const rb_op_video *v, rb_rng *r);
} rb_corrupt_ops;

/* The operators, one per rb_corrupt_op value, exported by their family files. */
extern const rb_corrupt_ops rb_ops_zero;           /* missing.c */
extern const rb_corrupt_ops rb_ops_noise;          /* noise.c */
extern const rb_corrupt_ops rb_ops_mix_prototype;  /* prototype_mix.c */
extern const rb_corrupt_ops rb_ops_moving_average; /* smoothing.c */
extern const rb_corrupt_ops rb_ops_exp_smoothing;  /* smoothing.c */
extern const rb_corrupt_ops rb_ops_detail;         /* detail.c */
extern const rb_corrupt_ops rb_ops_quantise;       /* quantise.c */
extern const rb_corrupt_ops rb_ops_block_average;  /* quantise.c */
extern const rb_corrupt_ops rb_ops_drop_freeze;    /* dropout.c */
extern const rb_corrupt_ops rb_ops_drop_zero;      /* dropout.c */
extern const rb_corrupt_ops rb_ops_clip;           /* saturation.c */
extern const rb_corrupt_ops rb_ops_mix_video;      /* video_mix.c */
extern const rb_corrupt_ops rb_ops_impulse;        /* impulse.c */
extern const rb_corrupt_ops rb_ops_overlay;        /* overlay.c */

/* The operators' per-row element loops (row_kernels.c), vector kernels with the bits of the plain
 * loops: y, x and the other rows must not overlap (y may be read where the formula reads it). */
void rb_row_mix(float *restrict y, const float *restrict x, const float *restrict p, float keep, float mix,
                int32_t D); /* keep*x + mix*p */
void rb_row_accumulate(double *restrict acc, const float *restrict x, int32_t D);   /* acc += x */
void rb_row_deaccumulate(double *restrict acc, const float *restrict x, int32_t D); /* acc -= x */
void rb_row_scaled(float *restrict y, const double *restrict acc, double scale, int32_t D); /* (float)(acc*scale) */
void rb_row_exp_smooth(float *restrict y, const float *restrict x, const float *restrict prev, float alpha,
                       int32_t D); /* x + alpha*(prev - x) */
void rb_row_overlay(float *restrict y, const float *restrict x, const float *restrict p, const float *restrict mu,
                    float gain, int32_t D); /* x + gain*(p - mu) */
void rb_row_clip(float *restrict y, const float *restrict x, const float *restrict mu, const float *restrict sd,
                 float k, int32_t D); /* min(x, mu + k*sd) */
void rb_row_detail(float *restrict y, const float *restrict x, const float *restrict mu, const int32_t *restrict rank,
                   int32_t n_att, float k, int32_t D); /* mu + k*(x - mu) where rank < n_att, else x */
void rb_row_quantise(float *restrict y, const float *restrict x, const float *restrict step,
                     const float *restrict inv_step, int32_t D); /* step*floor(x*inv_step + 0.5) */
void rb_row_impulse(float *restrict y, const float *restrict x, const float *restrict sd, float k,
                    int32_t D); /* x + k*sd*y, y holding the normals */

/* The operations of an operator / of a registry entry (operator_table.c); NULL if out of range. */
const rb_corrupt_ops *rb_corrupt_ops_for(rb_corrupt_op op);
const rb_corrupt_ops *rb_corrupt_ops_of(const rb_corruption *c);

/* Derived-data helpers (context.c). The derived stream of an entry: counter
 * (dataset_id, id << 8 | 0xFF, 0). */
void rb_corrupt_derived_rng(const rb_corrupt_ctx *ctx, const rb_corruption *c, rb_rng *r);
/* A `prepare` operation: ctx->rank[index] = rank of each dim in a random order drawn from the
 * derived stream (DETAIL, QUANTISE). */
int rb_corrupt_prepare_dim_order(rb_corrupt_ctx *ctx, const rb_corruption *c, int index);

#endif

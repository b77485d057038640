/* rb_score.h - the score stage (src/score/): frame-level metrics and the scorer of one grid cell. */
#ifndef RB_SCORE_H
#define RB_SCORE_H

#include <stdint.h>

#include "rb_core.h"
#include "rb_data.h"
#include "rb_corrupt.h"
#include "rb_model.h"

/* ---- frame-level metrics of a scored test split: XD-Violence "AP" (trapezoid under the
 * precision-recall curve), step-wise average precision and ROC-AUC (docs/metrics.md).
 *
 * Input is per snippet: one score that applies to every frame of the snippet (the protocol repeats
 * each snippet score 16 times), the number of positive frames pos[i] and of frames frames[i]
 * (0 <= pos[i] <= frames[i]; a snippet with 0 frames is ignored). The metrics are computed from these
 * counts without expanding to frames: snippets are sorted by score once, equal scores are grouped and
 * the integer counts accumulated, which gives exactly the curve points that scikit-learn computes on
 * the expanded frames. rb_metrics_compute_expanded is the literal frame-level transcription of the
 * scikit-learn algorithm, kept to test and audit the counted one. */

typedef struct {
    double ap;            /* XD-Violence "AP": precision_recall_curve then auc(recall, precision) */
    double ap_step;       /* average_precision_score: sum over thresholds of delta-recall * precision */
    double roc_auc;       /* roc_auc_score: trapezoid under the ROC curve (ties count one half) */
    int64_t n_pos_frames; /* positive frames (sum of pos) */
    int64_t n_frames;     /* all frames (sum of frames) */
} rb_metrics;

/* Validate the inputs shared by every metric: n >= 1, non-NULL arrays, every score finite, every
 * 0 <= pos[i] <= frames[i]. Writes the positive and total frame counts. Does not require both
 * classes to be present (the metric functions do). */
int rb_metrics_check_inputs(const double *scores, const int32_t *pos, const int32_t *frames, int64_t n,
                            int64_t *n_pos_frames, int64_t *n_frames);

/* The three metrics from per-snippet counts, O(n log n). Fails (RB_ERR) on invalid input and when the
 * frames are all positive or all negative (the metrics are undefined; scikit-learn returns nan). */
int rb_metrics_compute(const double *scores, const int32_t *pos, const int32_t *frames, int64_t n,
                       rb_metrics *out);

/* ROC-AUC of a binary labelling (labels[i] 1 = positive, 0 = negative; higher score = more positive),
 * e.g. for how well a corruption detector separates corrupted from clean snippets. Same errors as
 * rb_metrics_compute, plus a label other than 0 or 1. */
int rb_roc_auc_binary(const double *scores, const uint8_t *labels, int64_t n, double *out);

/* ---- paired bootstrap of the metrics over test videos (src/score/bootstrap.c, docs/metrics.md
 * "Intervals"). A resample draws the test videos with replacement, stratified: the videos with at
 * least one positive frame and the others are drawn separately, each stratum keeping its size, so
 * every resample has both classes. Resample b of a dataset comes from the stream (seed,
 * RB_PURPOSE_BOOTSTRAP, dataset_id, b), so every cell and method sees the same resamples (paired)
 * on any rank. A resample is stored as per-video multiplicities (how often each video was drawn);
 * the metrics of a resample are those of the expanded test set in which every video appears that
 * many times, computed in O(S) over a score order sorted once. */

/* counts[b * n_videos + v] = multiplicity of video v in resample b, b < B. */
int rb_boot_counts(const rb_split *test, uint32_t seed, uint32_t dataset_id, int B, int32_t *counts);

/* The metrics of B resamples of one score vector: out[0][b] ap, out[1][b] ap_step, out[2][b] roc_auc
 * (out is [3][B]); NaN for a resample without positive or without negative frames. offsets are the
 * split's video offsets (snippet i belongs to video v when offsets[v] <= i < offsets[v + 1]). With
 * every multiplicity 1 the result is rb_metrics_compute's up to rounding (about 1e-15). */
int rb_metrics_bootstrap(const double *scores, const int32_t *pos, const int32_t *frames, int64_t n,
                         const int64_t *offsets, int64_t n_videos, const int32_t *counts, int B, double *out);

/* The part of rb_metrics_bootstrap that does not depend on the scores, for the many score vectors of
 * one split and one set of resamples (every method and cell of a dataset): the multiplicities by
 * video, each resample's positive and negative frames, and whether run sums are exact. Built once
 * (it keeps the split's pos, frames and offsets, which must outlive it); rb_metrics_bootstrap_plan
 * then gives rb_metrics_bootstrap's values for a score vector of that split, bit for bit. */
typedef struct {
    int B;
    int64_t n, n_videos;
    const int64_t *offsets; /* the split's, not owned */
    const int32_t *pos, *frames; /* the split's positive and all frames per snippet, not owned */
    int32_t *w;             /* [n_videos][B] multiplicities */
    double *n_pos, *n_neg;  /* [B] positive and negative frames of each resample */
    int runs;               /* every resample's frame sums exact in the walk's integer run sums */
} rb_boot_plan;
int rb_boot_plan_init(rb_boot_plan *p, const int32_t *pos, const int32_t *frames, int64_t n, const int64_t *offsets,
                      int64_t n_videos, const int32_t *counts, int B);
int rb_metrics_bootstrap_plan(const rb_boot_plan *p, const double *scores, double *out);
void rb_boot_plan_free(rb_boot_plan *p);

/* Percentile interval of n values at confidence c (e.g. 0.95): lo / hi are the (1 - c)/2 and
 * (1 + c)/2 quantiles with linear interpolation between order statistics (numpy's default
 * "linear" method). NaN when n = 0 or any value is NaN. May reorder values in place (callers pass a
 * scratch copy): the order statistics are selected, not sorted (one pass with two bounded buffers
 * when both are within 64 of an end, as for 95% of 1,000 resamples; quickselect otherwise), so it
 * needs no memory and cannot fail. */
void rb_percentile_interval(double *values, int n, double confidence, double *lo, double *hi);

/* ---- scoring one grid cell: the (possibly corrupted) test features of a dataset are scored by
 * every trained detector replica, fused into the benchmark's methods, and measured.
 *
 * Methods (docs/training.md for the detectors, docs/gmm-weights.md for the fusion):
 *   concat          early-fusion baseline on [visual ; audio]
 *   visual, audio   unimodal detectors
 *   shared-mean     RobustA's shared detector, plain mean of its visual and audio scores
 *   shared-dyn      RobustA: the same scores fused with the GMM-based dynamic weights
 *   shared-pad-dyn  the padding ablation (audio zero-padded instead of projected), dynamic weights
 * Reference points beside RobustA's fusion (the shared detector's scores, no retraining; opt-in through
 * grid.methods; src/score/reference_weights.c, docs/gmm-weights.md section 8):
 *   shared-two-sided  the shared scores fused with the two-sided NLL-to-weight map of the same calibration
 *   shared-decor      weights from the NLL with the shared detector's score regressed out (on clean test
 *                     data, without labels): a corruption statistic decorrelated from the anomaly evidence
 *   shared-oracle     weight 0 on the modality the cell corrupted or removed, 1 on the other; the plain
 *                     mean (shared-mean) on clean cells and on pairs (both modalities corrupted)
 * A missing modality reaches concat and the unimodal detectors as zero features (what a pipeline fed
 * by a dead sensor sees) and is left out of the shared methods' fusion (weight 0).
 *
 * Work that does not change between cells is done once per dataset (rb_scorer_init scores the clean
 * test split): a cell that corrupts one modality recomputes only that modality's paths, reusing the
 * clean scores, NLLs and weights of the other, and the clean half of the concat first layer (which is
 * linear in its input) when grid.reuse_mb allows the memory (always with the linear shortcut, below).
 * Features are generated and scored in chunks
 * of whole videos (at least the longest video), so a cell's feature memory does not grow with the
 * test set. */

typedef enum {
    RB_METHOD_CONCAT = 0,
    RB_METHOD_VISUAL,
    RB_METHOD_AUDIO,
    RB_METHOD_SHARED_MEAN,
    RB_METHOD_SHARED_DYN,
    RB_METHOD_SHARED_PAD_DYN,
    RB_METHOD_SHARED_TWO_SIDED,
    RB_METHOD_SHARED_DECOR,
    RB_METHOD_SHARED_ORACLE,
    RB_N_METHODS
} rb_method;

/* The methods a scorer computes unless told otherwise (rb_scorer_set_methods): the first six. */
#define RB_N_STANDARD_METHODS 6

const char *rb_method_name(rb_method m);
/* Method by name (grid.methods); RB_ERR with a message listing the names when unknown. */
int rb_method_from_name(const char *name, rb_method *out);
/* Is the method computable with the detectors this model holds? */
int rb_method_available(const rb_model *model, rb_method m);

/* What a cell does to one modality. */
typedef struct {
    const rb_corruption *corruption; /* NULL: clean */
    int severity;                    /* 1..5 (0 for clean or missing) */
    int missing;                     /* the modality is absent */
    const float *preextracted;       /* corrupted features in the split's layout, or NULL (surrogate) */
} rb_modality_condition;

/* Weighting diagnostics of one modality in one cell (reference_weights.c computes them from the
 * shared-dyn weights and NLLs; docs/results.md "Weighting diagnostics"). NaN when the modality is
 * missing (no weights exist). */
typedef enum {
    RB_DIAG_NLL_ANOMALY_AUC = 0, /* frame ROC-AUC of the cell's NLL (crop mean) as an anomaly score */
    RB_DIAG_DETECT_DIRECTION,    /* +1 detect_auc > 0.5, -1 below, 0 equal; NaN when detect_auc is NaN */
    RB_DIAG_WEIGHT_ANOMALOUS,    /* mean weight over snippets with anomalous frames (snippet_pos > 0) */
    RB_DIAG_WEIGHT_NORMAL,       /* mean weight over the snippets of normal videos (label 0) */
    RB_DIAG_WEIGHT_LOW_FRAC,     /* fraction of snippet (x crop) weights below 0.5 */
    RB_DIAG_WEIGHT_Q05,          /* weight quantiles over snippets x crops (linear interpolation) */
    RB_DIAG_WEIGHT_Q25,
    RB_DIAG_WEIGHT_Q50,
    RB_DIAG_WEIGHT_Q75,
    RB_DIAG_WEIGHT_Q95,
    RB_DIAG_COUNT
} rb_weight_diag;

/* Column stem of a diagnostic ("nll_anomaly_auc", ...); the columns are <stem>_visual, <stem>_audio. */
const char *rb_weight_diag_name(int diag);

typedef struct {
    int n_methods;
    rb_method methods[RB_N_METHODS];
    int n_replicas;
    int64_t n_snippets;
    float *scores;             /* [n_methods][n_replicas][n_snippets] crop-averaged fused scores */
    rb_metrics *metrics;       /* [n_methods][n_replicas] */
    double weight_mean[2];     /* mean dynamic weight per modality (visual, audio) */
    double detect_auc[2];      /* ROC-AUC of the NLL, clean vs this cell's snippets; NaN if clean/missing */
    double diag[2][RB_DIAG_COUNT]; /* weighting diagnostics per modality (visual, audio) */
    double seconds;
} rb_cell_result;

typedef struct rb_scorer rb_scorer;

/* Prepare scoring of test (which must outlive the scorer) with model: computes the clean paths,
 * NLLs and weights once. ctx supplies the corruption surrogates. reuse_mb bounds the memory of the
 * cached clean concat first-layer halves (0 disables that cache). chunk_rows: rows scored per
 * block (raised to the longest video). */
int rb_scorer_init(rb_scorer **out, const rb_model *model, const rb_split *test, const rb_corrupt_ctx *ctx,
                   int64_t chunk_rows, double reuse_mb);
void rb_scorer_free(rb_scorer *s);

/* rb_scorer_init in three steps, so the clean pass can be shared out (the grid's clean pass over
 * ranks, src/grid/clean_pass.c): rb_scorer_create allocates the scorer and its per-detector
 * constants without scoring anything; rb_scorer_clean_blocks scores the clean blocks [b0, b1) (the
 * blocks of rb_score_blocks below) into the clean arrays; rb_scorer_clean_finish computes what needs
 * every clean row (the clean dynamic weights, the shared-decor fit) once every block is in, scored
 * here or copied in. A block is scored by the same float operations whichever scorer scores it, so
 * create + blocks in any ranges + finish gives rb_scorer_init's scorer bit for bit (tested). */
int rb_scorer_create(rb_scorer **out, const rb_model *model, const rb_split *test, const rb_corrupt_ctx *ctx,
                     int64_t chunk_rows, double reuse_mb);
/* The linear shortcut (on after create): a cell whose corruption of a modality is row-linear
 * (rb_corrupt_row_linear: motion_blur, fog, low_light, frame_drop; reverb, packet_loss, attenuation)
 * gets the first layers of the mlp visual-input paths (visual, shared, shared-pad) and the concat
 * half of that modality by applying the corruption to the cached clean first-layer rows, with no
 * product; those visual paths are then scored from their first-layer rows in every cell. A
 * dimension-sparse visual corruption (rb_corrupt_dim_sparse: defocus_blur) gets them as the clean
 * rows plus the product of (x' - x) with the rows of W1 at its changed dimensions only. Neither is
 * taken when the clamp at 0 could act on a clean test value. The audio paths keep their (128-wide,
 * cheap) products. The scores equal the products' up to float rounding
 * (docs/scaling.md). Costs R x C x S x hidden1 floats per visual path of clean arrays, and keeps the
 * concat halves whatever reuse_mb says. Set it between create and the first clean block or borrow. */
int rb_scorer_set_linear(rb_scorer *s, int on);
int rb_scorer_clean_blocks(rb_scorer *s, int64_t b0, int64_t b1);
int rb_scorer_clean_finish(rb_scorer *s);
/* The clean arrays as segments of n_snippets rows each: row i of a segment is at base + i * row_bytes
 * and holds snippet i's values (the clean scores of each path and replica, the clean NLL of each
 * modality, the cached concat first-layer halves of each replica and crop when kept). Writes at most
 * cap segments into seg (may be NULL) and returns how many there are; the rows of blocks [b0, b1)
 * (rb_scorer_block_rows) are what rb_scorer_clean_blocks(b0, b1) writes in every segment. */
typedef struct {
    void *base;
    size_t row_bytes;
} rb_clean_segment;
int rb_scorer_clean_segments(const rb_scorer *s, rb_clean_segment *seg, int cap);
/* The clean arrays in caller memory instead of the scorer's own, e.g. one node-shared window for the
 * ranks of a node (src/grid/clean_pass.c): rb_scorer_clean_bytes is the size they need in one buffer,
 * rb_scorer_clean_borrow(s, base) frees the scorer's arrays and lays them out from base (64-byte
 * aligned, at least rb_scorer_clean_bytes(s) bytes; contents undefined until the clean blocks are
 * scored or copied in). The scorer then never frees that memory: the caller frees it after
 * rb_scorer_free. Call before any clean block is scored. */
size_t rb_scorer_clean_bytes(const rb_scorer *s);
int rb_scorer_clean_borrow(rb_scorer *s, void *base);

/* Score one cell. cond[0] visual, cond[1] audio. r is overwritten (rb_cell_result_free). */
int rb_scorer_cell(rb_scorer *s, const rb_modality_condition cond[2], rb_cell_result *r);
void rb_cell_result_free(rb_cell_result *r);

/* The methods rb_scorer_cell computes, in the order given (default: the RB_N_STANDARD_METHODS first
 * methods that the model can compute). A method the model cannot compute is an error. */
int rb_scorer_set_methods(rb_scorer *s, const rb_method *methods, int n);

/* Reuse of the clean modality (default on). Off: every cell recomputes both modalities from their
 * features. Results are bitwise identical either way (tested); the switch exists for benchmarks. */
void rb_scorer_set_reuse(rb_scorer *s, int on);

/* ---- one cell scored in blocks on several scorers (the grid's split cells, src/grid/split.c).
 * The blocks are the scorer's chunks of whole videos: fixed by the test split and chunk_rows alone
 * (never by how many scorers share the cell), so each block is scored by exactly the float
 * operations rb_scorer_cell applies to it (the same corruption of its videos, the same GEMM shapes,
 * the same GMM NLLs). Scoring blocks [b0, b1) on any scorer of the same model, split, context and
 * chunk_rows gives the same bits; moving every block's packed result into one scorer and finishing
 * there (dynamic weights, fusion, metrics) gives rb_scorer_cell's result bit for bit. */

/* The number of blocks of test at chunk_rows (the chunks rb_scorer_init(.., chunk_rows, ..) uses),
 * and when first_video is not NULL their first videos, first_video[n] = n_videos ([n + 1]). */
int64_t rb_score_blocks(const rb_split *test, int64_t chunk_rows, int64_t *first_video);
int64_t rb_scorer_n_blocks(const rb_scorer *s);
/* Snippet rows [*row0, *row0 + *rows) of blocks [b0, b1); a range outside the blocks is an error. */
int rb_scorer_block_rows(const rb_scorer *s, int64_t b0, int64_t b1, int64_t *row0, int64_t *rows);
/* Bytes per snippet row of a packed block result of the cell cond (0 for a cell that recomputes
 * nothing, the clean cell): its recomputed detector paths (float, every replica) and NLLs (double). */
size_t rb_scorer_block_row_bytes(const rb_scorer *s, const rb_modality_condition cond[2]);
/* Score blocks [b0, b1) of the cell cond into the scorer; when packed is not NULL, also copy their
 * result there (rows x rb_scorer_block_row_bytes bytes). */
int rb_scorer_score_blocks(rb_scorer *s, const rb_modality_condition cond[2], int64_t b0, int64_t b1, void *packed);
/* Put the packed result of blocks [b0, b1) of the cell cond, scored elsewhere, into the scorer. */
int rb_scorer_put_blocks(rb_scorer *s, const rb_modality_condition cond[2], int64_t b0, int64_t b1, const void *packed);
/* Finish the cell cond once every block was scored (rb_scorer_score_blocks) or put here since the
 * scorer's last cell: r as rb_scorer_cell gives it (r->seconds counts the finishing only). */
int rb_scorer_finish_cell(rb_scorer *s, const rb_modality_condition cond[2], rb_cell_result *r);

/* Dense-layer and GMM flops spent by the scorer so far (for GFLOP/s figures), and reset. */
double rb_scorer_flops(rb_scorer *s, int reset);

#endif

/* rb_weights.h - RobustA dynamic weighting (design.md section 4): the held-out split used for
 * calibration, the per-snippet statistic (GMM NLL, raw, time-smoothed or per-video), the sigmoid
 * calibration from clean held-out data, NLL -> weight, and the weighted score fusion with crops.
 * docs/gmm-weights.md explains every choice.
 *
 * Layout conventions: per-snippet arrays with a crop axis are [n][n_crops] (snippet-major, as
 * rb_gmm_nll produces for visual rows [n][n_crops][d] scored with ld = d); audio arrays have
 * n_crops = 1. offsets[n_videos + 1] delimit videos in snippet units (offsets[0] = 0, non-decreasing,
 * offsets[n_videos] = n). */
#ifndef RB_WEIGHTS_H
#define RB_WEIGHTS_H

#include <stdint.h>

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

#endif

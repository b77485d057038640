/* bootstrap_stats.c - what the per-resample metrics of a results object give (rb_results.h,
 * docs/metrics.md "Intervals"): the per-cell percentile intervals of ap, ap_step and roc_auc
 * (/cells ap_lo ... roc_auc_hi) and the paired differences between methods on each cell
 * (/comparisons). Pure functions of r: identical inputs give bitwise identical numbers. */
#include "rb_results.h"
#include "rb_core.h"
#include "rb_score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int rb_results_alloc_boot(rb_results *r, int n_boot, double confidence, const char *baseline) {
    free(r->boot);
    r->boot = NULL;
    r->n_boot = 0;
    r->confidence = confidence;
    snprintf(r->baseline, sizeof r->baseline, "%s", baseline ? baseline : "");
    if (n_boot < 0) return rb_fail("results: expected n_boot >= 0, got %d", n_boot);
    if (n_boot == 0) return RB_OK;
    if (!(confidence > 0.0 && confidence < 1.0)) return rb_fail("results: expected 0 < confidence < 1, got %g", confidence);
    int ok = 1;
    size_t n = rb_size_mul(rb_size_mul((size_t)r->n_conds * (size_t)r->n_methods, 3, &ok), (size_t)n_boot, &ok);
    if (!ok) return rb_context("bootstrap values");
    r->boot = rb_malloc(sizeof(double) * (n ? n : 1), "bootstrap values");
    if (!r->boot) return RB_ERR;
    for (size_t i = 0; i < n; i++) r->boot[i] = NAN;
    r->n_boot = n_boot;
    return RB_OK;
}

static const double *rb_boot_at(const rb_results *r, int cond, int method, int metric) {
    return r->boot + (((size_t)cond * (size_t)r->n_methods + (size_t)method) * 3 + (size_t)metric) * (size_t)r->n_boot;
}

const double *rb_results_boot_values(const rb_results *r, int cond, int method, int metric) {
    return rb_boot_at(r, cond, method, metric);
}

double rb_results_value(const rb_results *r, int cond, int method, int metric, int b) {
    if (b >= 0) return rb_boot_at(r, cond, method, metric)[b];
    const double *m = metric == 0 ? r->ap : metric == 1 ? r->ap_step : r->roc_auc;
    double mean, sd;
    rb_results_mean_sd(r, m, cond, method, &mean, &sd);
    return mean;
}

int rb_results_boot_intervals(rb_results *r) {
    if (r->n_boot == 0 || !r->boot) return RB_OK;
    double **dst[6] = {&r->ap_lo, &r->ap_hi, &r->ap_step_lo, &r->ap_step_hi, &r->roc_auc_lo, &r->roc_auc_hi};
    size_t n = (size_t)r->n_conds * (size_t)r->n_methods;
    for (int q = 0; q < 6; q++) {
        free(*dst[q]);
        *dst[q] = rb_malloc(sizeof(double) * (n ? n : 1), "interval column");
        if (!*dst[q]) return RB_ERR;
    }
    double *scratch = rb_malloc(sizeof(double) * (size_t)r->n_boot, "interval resamples");
    if (!scratch) return RB_ERR;
    for (int c = 0; c < r->n_conds; c++)
        for (int k = 0; k < r->n_methods; k++)
            for (int q = 0; q < 3; q++) {
                size_t at = (size_t)c * (size_t)r->n_methods + (size_t)k;
                memcpy(scratch, rb_boot_at(r, c, k, q), sizeof(double) * (size_t)r->n_boot);
                rb_percentile_interval(scratch, r->n_boot, r->confidence, &(*dst[2 * q])[at], &(*dst[2 * q + 1])[at]);
            }
    free(scratch);
    return RB_OK;
}

int rb_results_comparisons(const rb_results *r, rb_comparison **rows, int64_t *n) {
    *rows = NULL;
    *n = 0;
    if (r->n_boot == 0 || !r->boot) return RB_OK;
    int base = rb_results_method(r, r->baseline), dyn = rb_results_method(r, "shared-dyn"), mean = rb_results_method(r, "shared-mean");
    int pairs[RB_RESULTS_MAX_METHODS + 1][2], n_pairs = 0;
    for (int k = 0; base >= 0 && k < r->n_methods; k++)
        if (k != base) {
            pairs[n_pairs][0] = k;
            pairs[n_pairs++][1] = base;
        }
    if (dyn >= 0 && mean >= 0 && base != mean && base != dyn) { /* else the loop above has the pair */
        pairs[n_pairs][0] = dyn;
        pairs[n_pairs++][1] = mean;
    }
    int64_t total = (int64_t)r->n_conds * n_pairs * 3;
    rb_comparison *out = rb_calloc((size_t)(total ? total : 1), sizeof *out, "comparisons");
    double *d = rb_malloc(sizeof(double) * (size_t)r->n_boot, "paired differences");
    if (!out || !d) {
        free(out);
        free(d);
        return RB_ERR;
    }
    int64_t at = 0;
    for (int c = 0; c < r->n_conds; c++)
        for (int p = 0; p < n_pairs; p++)
            for (int q = 0; q < 3; q++) {
                rb_comparison *o = &out[at++];
                o->cond = c;
                o->method = pairs[p][0];
                o->other = pairs[p][1];
                o->metric = q;
                o->diff = rb_results_value(r, c, o->method, q, -1) - rb_results_value(r, c, o->other, q, -1);
                const double *a = rb_boot_at(r, c, o->method, q), *b = rb_boot_at(r, c, o->other, q);
                int positive = 0;
                for (int i = 0; i < r->n_boot; i++) {
                    d[i] = a[i] - b[i];
                    positive += d[i] > 0;
                }
                rb_percentile_interval(d, r->n_boot, r->confidence, &o->lo, &o->hi);
                o->frac_pos = (double)positive / r->n_boot;
            }
    free(d);
    *rows = out;
    *n = total;
    return RB_OK;
}

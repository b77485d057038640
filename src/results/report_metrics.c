/* report_metrics.c - the numbers behind the figures of report.html and results.json
 * (report_internal.h): metric selection by name, chance levels from the positive-frame fraction q,
 * the error bar of one cell (95% interval when the file has one, else mean +- sd over replicas), the
 * ranking of methods, and the config digest. */
#include "report_internal.h"
#include "rb_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const rb_metric_names3[3] = {"ap", "ap_step", "roc_auc"};

const char *rb_report_metric_name(int k) { return k >= 0 && k < 3 ? rb_metric_names3[k] : "?"; }

const char *rb_report_metric_title(int k) {
    switch (k) {
    case 0: return "XD-Violence AP (trapezoid, ap)";
    case 1: return "step-wise AP (ap_step)";
    case 2: return "ROC-AUC (roc_auc)";
    default: return "?";
    }
}

int rb_report_metric_parse(const char *name, int *k) {
    for (int i = 0; i < 3; i++)
        if (strcmp(name, rb_metric_names3[i]) == 0) {
            *k = i;
            return RB_OK;
        }
    return rb_fail("report: --metric: expected ap, ap_step or roc_auc, got '%s'", name);
}

const double *rb_report_metric(const rb_results *r, int k) { return k == 0 ? r->ap : k == 1 ? r->ap_step : r->roc_auc; }

void rb_report_interval_arrays(const rb_results *r, int k, const double **lo, const double **hi) {
    *lo = k == 0 ? r->ap_lo : k == 1 ? r->ap_step_lo : r->roc_auc_lo;
    *hi = k == 0 ? r->ap_hi : k == 1 ? r->ap_step_hi : r->roc_auc_hi;
    if (!*lo || !*hi) *lo = *hi = NULL;
}

double rb_report_chance(int k, double q) {
    if (k == 2) return 0.5;
    if (!(q >= 0 && q <= 1)) return NAN;
    return k == 0 ? (1 + q) / 2 : q;
}

double rb_report_dataset_q(const rb_results *r, const char *dataset) {
    for (int c = 0; c < r->n_conds; c++)
        if (strcmp(r->conds[c].dataset, dataset) == 0 && isfinite(r->conds[c].positive_fraction))
            return r->conds[c].positive_fraction;
    return NAN;
}

int rb_report_cell_bar(const rb_results *r, int k, int cond, int method, double *mean, double *lo, double *hi) {
    double sd;
    rb_results_mean_sd(r, rb_report_metric(r, k), cond, method, mean, &sd);
    const double *alo, *ahi;
    rb_report_interval_arrays(r, k, &alo, &ahi);
    if (alo) {
        *lo = alo[(int64_t)cond * r->n_methods + method];
        *hi = ahi[(int64_t)cond * r->n_methods + method];
        if (isfinite(*lo) && isfinite(*hi)) return 1;
    }
    *lo = *mean - (r->n_replicas > 1 ? sd : 0);
    *hi = *mean + (r->n_replicas > 1 ? sd : 0);
    return 0;
}

void rb_report_ranking(const rb_results *r, const rb_report_dataset *d, int k, int *order) {
    double score[RB_RESULTS_MAX_METHODS];
    for (int m = 0; m < r->n_methods; m++) {
        rb_headline h;
        score[m] = rb_report_headline(r, d, rb_report_metric(r, k), m, &h) == RB_OK ? h.corrupted[0] : NAN;
        if (isnan(score[m])) score[m] = -INFINITY;
        order[m] = m;
    }
    /* insertion sort: stable, best first */
    for (int i = 1; i < r->n_methods; i++) {
        int v = order[i], j = i;
        while (j > 0 && score[order[j - 1]] < score[v]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
}

void rb_report_config_digest(const rb_results *r, char *buf) {
    buf[0] = '\0';
    if (!r->config_text || !r->config_text[0]) return;
    rb_sha256 h;
    char hex[65];
    rb_sha256_init(&h);
    rb_sha256_update(&h, r->config_text, strlen(r->config_text));
    rb_sha256_hex(&h, hex);
    snprintf(buf, 17, "%.16s", hex);
}

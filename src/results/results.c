/* results.c - the in-memory results (rb_results.h: allocation, replica statistics, method
 * lookup) and their reading as tables (rb_results.h: conditions grouped into corruption rows by
 * severity, headline numbers per replica). Rendering is in tables.c. */
#include "rb_core.h"
#include "rb_results.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int rb_results_alloc(rb_results *r, int n_conds, int n_methods, int n_replicas) {
    memset(r, 0, sizeof *r);
    if (n_conds < 0 || n_methods < 1 || n_methods > RB_RESULTS_MAX_METHODS || n_replicas < 1)
        return rb_fail("results: expected n_conds >= 0, 1 <= n_methods <= %d, n_replicas >= 1, got %d, %d, %d",
                       RB_RESULTS_MAX_METHODS, n_conds, n_methods, n_replicas);
    int ok = 1;
    size_t n = rb_size_mul(rb_size_mul((size_t)n_conds, (size_t)n_methods, &ok), (size_t)n_replicas, &ok);
    if (!ok) return rb_context("results arrays");
    r->conds = rb_calloc((size_t)(n_conds ? n_conds : 1), sizeof *r->conds, "results conditions");
    r->ap = rb_malloc(n * sizeof(double), "results ap");
    r->ap_step = rb_malloc(n * sizeof(double), "results ap_step");
    r->roc_auc = rb_malloc(n * sizeof(double), "results roc_auc");
    if (!r->conds || !r->ap || !r->ap_step || !r->roc_auc) {
        rb_results_free(r);
        return RB_ERR;
    }
    for (size_t i = 0; i < n; i++) r->ap[i] = r->ap_step[i] = r->roc_auc[i] = NAN;
    for (int c = 0; c < n_conds; c++) {
        r->conds[c].positive_fraction = NAN;
        for (int m = 0; m < 2; m++)
            for (int q = 0; q < RB_DIAG_COUNT; q++) r->conds[c].diag[m][q] = NAN;
        for (int q = 0; q < 3; q++) r->conds[c].oracle_gap[q] = NAN;
    }
    r->n_conds = n_conds;
    r->n_methods = n_methods;
    r->n_replicas = n_replicas;
    return RB_OK;
}

void rb_results_free(rb_results *r) {
    if (!r) return;
    free(r->conds);
    free(r->ap);
    free(r->ap_step);
    free(r->roc_auc);
    free(r->config_text);
    free(r->run_id);
    free(r->git_commit);
    free(r->boot);
    double *intervals[] = {r->ap_lo, r->ap_hi, r->ap_step_lo, r->ap_step_hi, r->roc_auc_lo, r->roc_auc_hi};
    for (size_t i = 0; i < sizeof intervals / sizeof intervals[0]; i++) free(intervals[i]);
    memset(r, 0, sizeof *r);
}

void rb_report_stats(const double *v, int n, double *mean, double *sd) {
    if (n < 1) {
        *mean = *sd = NAN;
        return;
    }
    double s = 0;
    for (int i = 0; i < n; i++) s += v[i];
    double m = s / n, ss = 0;
    for (int i = 0; i < n; i++) ss += (v[i] - m) * (v[i] - m);
    *mean = m;
    *sd = n > 1 ? sqrt(ss / (n - 1)) : (isnan(m) ? NAN : 0.0);
}

void rb_results_mean_sd(const rb_results *r, const double *metric, int cond, int method, double *mean, double *sd) {
    rb_report_stats(metric + rb_results_at(r, cond, method, 0), r->n_replicas, mean, sd);
}

int rb_results_method(const rb_results *r, const char *name) {
    for (int m = 0; m < r->n_methods; m++)
        if (strcmp(r->methods[m], name) == 0) return m;
    return -1;
}

const char *rb_report_group_name(rb_report_group g) {
    switch (g) {
    case RB_GROUP_VISUAL: return "visual";
    case RB_GROUP_AUDIO: return "audio";
    case RB_GROUP_MISSING: return "missing";
    case RB_GROUP_PAIR: return "pairs";
    default: return "?";
    }
}

static int rb_cond_group(const rb_result_cond *c, rb_report_group *g) {
    if (strcmp(c->corruption, "missing") == 0) *g = RB_GROUP_MISSING;
    else if (strcmp(c->modality, "visual") == 0) *g = RB_GROUP_VISUAL;
    else if (strcmp(c->modality, "audio") == 0) *g = RB_GROUP_AUDIO;
    else if (strcmp(c->modality, "both") == 0) *g = RB_GROUP_PAIR;
    else return rb_fail("condition %s/%s/%s/%d: expected modality visual, audio or both", c->dataset,
                        c->corruption, c->modality, c->severity);
    return RB_OK;
}

void rb_report_layout_free(rb_report_dataset *d, int n) {
    for (int i = 0; d && i < n; i++) {
        free(d[i].rows);
        free(d[i].corrupted);
    }
    free(d);
}

static void rb_insert_sorted(int *vals, int *aux, int *n, int v, int a) {
    int i = *n;
    while (i > 0 && vals[i - 1] > v) {
        vals[i] = vals[i - 1];
        if (aux) aux[i] = aux[i - 1];
        i--;
    }
    vals[i] = v;
    if (aux) aux[i] = a;
    (*n)++;
}

/* Lay out the conditions of one dataset (d->dataset set). */
static int rb_layout_one(const rb_results *r, rb_report_dataset *d) {
    d->clean = -1;
    d->rows = rb_calloc((size_t)(r->n_conds ? r->n_conds : 1), sizeof *d->rows, "report rows");
    d->corrupted = rb_calloc((size_t)(r->n_conds ? r->n_conds : 1), sizeof *d->corrupted, "report cells");
    if (!d->rows || !d->corrupted) return RB_ERR;
    for (int g = 0; g < RB_N_GROUPS; g++) {
        for (int i = 0; i < r->n_conds; i++) {
            const rb_result_cond *c = &r->conds[i];
            if (strcmp(c->dataset, d->dataset) != 0) continue;
            if (strcmp(c->corruption, "clean") == 0) {
                if (g == 0) {
                    if (d->clean >= 0) return rb_fail("dataset %s: two clean conditions (%d and %d)", d->dataset, d->clean, i);
                    d->clean = i;
                }
                continue;
            }
            rb_report_group cg = RB_GROUP_VISUAL;
            RB_TRY(rb_cond_group(c, &cg));
            if ((int)cg != g) continue;
            rb_report_row *row = NULL;
            for (int k = 0; k < d->n_rows && !row; k++)
                if (d->rows[k].group == cg && strcmp(d->rows[k].corruption, c->corruption) == 0 &&
                    strcmp(d->rows[k].modality, c->modality) == 0)
                    row = &d->rows[k];
            if (!row) {
                row = &d->rows[d->n_rows++];
                row->group = cg;
                snprintf(row->modality, sizeof row->modality, "%s", c->modality);
                snprintf(row->corruption, sizeof row->corruption, "%s", c->corruption);
            }
            for (int s = 0; s < row->n_sev; s++)
                if (row->severity[s] == c->severity)
                    return rb_fail("dataset %s: condition %s/%s at severity %d appears twice", d->dataset,
                                   c->modality, c->corruption, c->severity);
            if (row->n_sev == RB_REPORT_MAX_SEV)
                return rb_fail("dataset %s: %s/%s has more than %d severities", d->dataset, c->modality,
                               c->corruption, RB_REPORT_MAX_SEV);
            rb_insert_sorted(row->severity, row->cond, &row->n_sev, c->severity, i);
            if (c->severity > 0) {
                int seen = 0;
                for (int s = 0; s < d->n_severities; s++) seen |= d->severities[s] == c->severity;
                if (!seen) {
                    if (d->n_severities == RB_REPORT_MAX_SEV)
                        return rb_fail("dataset %s: more than %d distinct severities", d->dataset, RB_REPORT_MAX_SEV);
                    rb_insert_sorted(d->severities, NULL, &d->n_severities, c->severity, 0);
                }
            }
        }
    }
    for (int i = 0; i < r->n_conds; i++)
        if (strcmp(r->conds[i].dataset, d->dataset) == 0 && i != d->clean) d->corrupted[d->n_corrupted++] = i;
    return RB_OK;
}

int rb_report_layout(const rb_results *r, rb_report_dataset **datasets, int *n_datasets) {
    *datasets = NULL;
    *n_datasets = 0;
    rb_report_dataset *d = rb_calloc((size_t)(r->n_conds ? r->n_conds : 1), sizeof *d, "report datasets");
    if (!d) return RB_ERR;
    int n = 0;
    for (int i = 0; i < r->n_conds; i++) {
        int seen = 0;
        for (int k = 0; k < n && !seen; k++) seen = strcmp(d[k].dataset, r->conds[i].dataset) == 0;
        if (seen) continue;
        snprintf(d[n].dataset, sizeof d[n].dataset, "%s", r->conds[i].dataset);
        n++;
        if (rb_layout_one(r, &d[n - 1]) != RB_OK) {
            rb_report_layout_free(d, n);
            return rb_context("laying out the results tables");
        }
    }
    *datasets = d;
    *n_datasets = n;
    return RB_OK;
}

void rb_report_row_mean(const rb_results *r, const rb_report_row *row, const double *metric, int method,
                        double *mean, double *sd) {
    double per[64] = {0};
    double *v = r->n_replicas <= 64 ? per : malloc(sizeof(double) * (size_t)r->n_replicas);
    if (!v) {
        *mean = *sd = NAN;
        return;
    }
    for (int k = 0; k < r->n_replicas; k++) {
        double s = 0;
        for (int j = 0; j < row->n_sev; j++) s += metric[rb_results_at(r, row->cond[j], method, k)];
        v[k] = row->n_sev ? s / row->n_sev : NAN;
    }
    rb_report_stats(v, r->n_replicas, mean, sd);
    if (v != per) free(v);
}

int rb_report_headline(const rb_results *r, const rb_report_dataset *d, const double *metric, int method,
                       rb_headline *h) {
    int n = r->n_replicas;
    double *v = rb_malloc(sizeof(double) * 4 * (size_t)n, "headline");
    if (!v) return RB_ERR;
    double *clean = v, *corr = v + n, *drop = v + 2 * n, *rel = v + 3 * n;
    for (int k = 0; k < n; k++) {
        clean[k] = d->clean >= 0 ? metric[rb_results_at(r, d->clean, method, k)] : NAN;
        double s = 0;
        for (int j = 0; j < d->n_corrupted; j++) s += metric[rb_results_at(r, d->corrupted[j], method, k)];
        corr[k] = d->n_corrupted ? s / d->n_corrupted : NAN;
        drop[k] = clean[k] - corr[k];
        rel[k] = corr[k] / clean[k];
    }
    rb_report_stats(clean, n, &h->clean[0], &h->clean[1]);
    rb_report_stats(corr, n, &h->corrupted[0], &h->corrupted[1]);
    rb_report_stats(drop, n, &h->drop[0], &h->drop[1]);
    rb_report_stats(rel, n, &h->relative[0], &h->relative[1]);
    free(v);
    return RB_OK;
}

const char *rb_results_fmt4(char *buf, size_t cap, double v) {
    if (isnan(v)) snprintf(buf, cap, "nan");
    else snprintf(buf, cap, "%.4f", v);
    return buf;
}

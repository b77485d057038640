/* robustness.c - robustness summaries per dataset, method, corruption family and metric, with
 * percentile intervals from the same paired bootstrap resamples as the cells (rb_results.h,
 * docs/metrics.md "Robustness summaries"): mean corrupted metric, relative robustness, normalised
 * area under metric-versus-severity, mCE and relative mCE against a baseline method (ImageNet-C
 * style) and effective robustness against the baseline. A summary is computed the same way from the
 * point estimates (replica means) and from each resample; its interval is the percentile interval
 * of the resample values. Pure function of r. */
#include "rb_results.h"
#include "rb_core.h"
#include "rb_score.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *rb_summary_name(rb_summary_kind k) {
    static const char *const names[RB_N_SUMMARIES] = {"mean_corrupted", "relative", "severity_auc",
                                                      "mce", "relative_mce", "effective_robustness"};
    return k >= 0 && k < RB_N_SUMMARIES ? names[k] : "?";
}

typedef struct {
    const rb_results *r;
    const rb_report_dataset *d;
    const rb_report_row *const *rows;
    int n_rows;
    int metric, base;
} rb_family;

/* A summary is computed for n lanes at once: the n_boot resamples (each lane one resample, read
 * contiguously), or one lane holding the point estimate. Every lane goes through the same operations
 * in the same order as a summary computed alone, so the values do not depend on the lane count. */
enum { RB_LANE_SCRATCH = 7 };

typedef struct {
    const rb_family *f;
    int boot;     /* 1: lanes are the resamples; 0: one lane, the point estimate */
    int n;        /* lanes */
    double point[2]; /* the last two point estimates handed out (boot = 0) */
    int n_point;
    double *mean_base, *num, *den, *area, *prev, *cm, *cb; /* [n] scratch each */
} rb_lanes;

/* L's scratch arrays from one buffer of RB_LANE_SCRATCH * n doubles. */
static void rb_lanes_init(rb_lanes *L, const rb_family *f, int boot, int n, double *scratch) {
    memset(L, 0, sizeof *L);
    L->f = f;
    L->boot = boot;
    L->n = n;
    double **arr[RB_LANE_SCRATCH] = {&L->mean_base, &L->num, &L->den, &L->area, &L->prev, &L->cm, &L->cb};
    for (int i = 0; i < RB_LANE_SCRATCH; i++) *arr[i] = scratch + (size_t)i * (size_t)n;
}

/* The lanes of (cond, method): n values. A point estimate is kept in one of two slots, so only the
 * last two values handed out stay valid (copy with rb_lane_copy to keep one longer). */
static const double *rb_lane_vals(rb_lanes *L, int cond, int method) {
    if (L->boot) return rb_results_boot_values(L->f->r, cond, method, L->f->metric);
    double *slot = &L->point[L->n_point++ % 2];
    *slot = rb_results_value(L->f->r, cond, method, L->f->metric, -1);
    return slot;
}

static void rb_lane_copy(rb_lanes *L, int cond, int method, double *dst) {
    memcpy(dst, rb_lane_vals(L, cond, method), sizeof(double) * (size_t)L->n);
}

static void rb_mean_corrupted(rb_lanes *L, int m, double *out) {
    const rb_family *f = L->f;
    const int n = L->n;
    for (int l = 0; l < n; l++) out[l] = 0;
    int count = 0;
    for (int i = 0; i < f->n_rows; i++)
        for (int j = 0; j < f->rows[i]->n_sev; j++, count++) {
            const double *v = rb_lane_vals(L, f->rows[i]->cond[j], m);
            for (int l = 0; l < n; l++) out[l] += v[l];
        }
    for (int l = 0; l < n; l++) out[l] = count ? out[l] / count : NAN;
}

static int rb_has_severities(const rb_report_row *row) { return row->n_sev > 0 && row->severity[row->n_sev - 1] > 0; }

/* Trapezoid of metric versus severity from (0, clean) through the row's severities, divided by the
 * largest severity: the mean height of the curve (a method unaffected by the corruption scores its
 * clean value). Added to sum. */
static void rb_row_auc_add(rb_lanes *L, const rb_report_row *row, int m, double *sum) {
    const int n = L->n;
    double *area = L->area, *v_prev = L->prev, s_prev = 0;
    const double *clean = rb_lane_vals(L, L->f->d->clean, m);
    for (int l = 0; l < n; l++) {
        area[l] = 0;
        v_prev[l] = clean[l];
    }
    for (int j = 0; j < row->n_sev; j++) {
        const double *v = rb_lane_vals(L, row->cond[j], m);
        for (int l = 0; l < n; l++) {
            area[l] += (row->severity[j] - s_prev) * (v[l] + v_prev[l]) / 2.0;
            v_prev[l] = v[l];
        }
        s_prev = row->severity[j];
    }
    for (int l = 0; l < n; l++) sum[l] += area[l] / s_prev;
}

static void rb_summary_lanes(rb_lanes *L, rb_summary_kind kind, int m, double *out) {
    const rb_family *f = L->f;
    const int clean = f->d->clean, n = L->n;
    switch (kind) {
    case RB_SUM_MEAN_CORRUPTED: rb_mean_corrupted(L, m, out); return;
    case RB_SUM_RELATIVE: {
        rb_mean_corrupted(L, m, out);
        const double *c = rb_lane_vals(L, clean, m);
        for (int l = 0; l < n; l++) out[l] = out[l] / c[l];
        return;
    }
    case RB_SUM_SEVERITY_AUC: {
        int count = 0;
        for (int l = 0; l < n; l++) out[l] = 0;
        for (int i = 0; i < f->n_rows; i++)
            if (rb_has_severities(f->rows[i])) {
                rb_row_auc_add(L, f->rows[i], m, out);
                count++;
            }
        for (int l = 0; l < n; l++) out[l] = count ? out[l] / count : NAN;
        return;
    }
    case RB_SUM_MCE:
    case RB_SUM_REL_MCE: {
        if (m == f->base) { /* by definition, also where rounding would leave 1 +- 1 ulp */
            for (int l = 0; l < n; l++) out[l] = 1.0;
            return;
        }
        double *cm = L->cm, *cb = L->cb, *num = L->num, *den = L->den;
        rb_lane_copy(L, clean, m, cm);
        rb_lane_copy(L, clean, f->base, cb);
        for (int l = 0; l < n; l++) out[l] = 0;
        for (int i = 0; i < f->n_rows; i++) {
            for (int l = 0; l < n; l++) num[l] = den[l] = 0;
            for (int j = 0; j < f->rows[i]->n_sev; j++) {
                const double *x = rb_lane_vals(L, f->rows[i]->cond[j], m);
                const double *xb = rb_lane_vals(L, f->rows[i]->cond[j], f->base);
                for (int l = 0; l < n; l++) {
                    num[l] += kind == RB_SUM_MCE ? 1.0 - x[l] : cm[l] - x[l];
                    den[l] += kind == RB_SUM_MCE ? 1.0 - xb[l] : cb[l] - xb[l];
                }
            }
            for (int l = 0; l < n; l++) out[l] += num[l] / den[l];
        }
        for (int l = 0; l < n; l++) out[l] = f->n_rows ? out[l] / f->n_rows : NAN;
        return;
    }
    case RB_SUM_EFFECTIVE: {
        if (m == f->base) { /* by definition */
            for (int l = 0; l < n; l++) out[l] = 0.0;
            return;
        }
        rb_mean_corrupted(L, m, out);
        rb_mean_corrupted(L, f->base, L->mean_base);
        const double *cm = rb_lane_vals(L, clean, m), *cb = rb_lane_vals(L, clean, f->base);
        for (int l = 0; l < n; l++) out[l] = out[l] - cm[l] * L->mean_base[l] / cb[l];
        return;
    }
    default:
        for (int l = 0; l < n; l++) out[l] = NAN;
        return;
    }
}

/* Scratch for rb_summary_value: the lanes of one point estimate and of the resamples of r. */
typedef struct {
    double point_scratch[RB_LANE_SCRATCH];
    double *scratch;   /* [RB_LANE_SCRATCH][n_boot] */
    double *resamples; /* [n_boot] */
} rb_summary_ws;

static int rb_summary_ws_init(rb_summary_ws *w, const rb_results *r) {
    size_t nb = (size_t)(r->n_boot > 0 ? r->n_boot : 1);
    w->scratch = rb_malloc(sizeof(double) * RB_LANE_SCRATCH * nb, "summary resample lanes");
    w->resamples = rb_malloc(sizeof(double) * nb, "summary resamples");
    return w->scratch && w->resamples ? RB_OK : RB_ERR;
}

static void rb_summary_ws_free(rb_summary_ws *w) {
    free(w->scratch);
    free(w->resamples);
}

/* One summary of method m: its point estimate in out[0] and, with resamples, the percentile interval
 * of their values in out[1], out[2] (NaN without). */
static void rb_summary_value(const rb_family *f, rb_summary_ws *w, rb_summary_kind kind, int m, double out[3]) {
    const rb_results *r = f->r;
    rb_lanes L;
    rb_lanes_init(&L, f, 0, 1, w->point_scratch);
    rb_summary_lanes(&L, kind, m, &out[0]);
    out[1] = out[2] = NAN;
    if (r->n_boot > 0 && r->boot) {
        rb_lanes_init(&L, f, 1, r->n_boot, w->scratch);
        rb_summary_lanes(&L, kind, m, w->resamples);
        rb_percentile_interval(w->resamples, r->n_boot, r->confidence, &out[1], &out[2]);
    }
}

static int rb_kind_applies(const rb_family *f, rb_summary_kind kind) {
    if (kind != RB_SUM_MEAN_CORRUPTED && f->d->clean < 0) return 0;
    if ((kind == RB_SUM_MCE || kind == RB_SUM_REL_MCE || kind == RB_SUM_EFFECTIVE) && f->base < 0) return 0;
    if (kind == RB_SUM_SEVERITY_AUC) {
        for (int i = 0; i < f->n_rows; i++)
            if (rb_has_severities(f->rows[i])) return 1;
        return 0;
    }
    return 1;
}

static void rb_family_name(const rb_report_row *row, char *buf, size_t cap) {
    if (row->group == RB_GROUP_PAIR) snprintf(buf, cap, "pair.%s", row->corruption);
    else if (row->group == RB_GROUP_MISSING) snprintf(buf, cap, "%s.missing", row->modality);
    else snprintf(buf, cap, "%s.%s", row->modality, row->corruption);
}

/* Append the summaries of one family (or count them when out is NULL). */
static int64_t rb_emit_family(const rb_results *r, const rb_report_dataset *d, const char *name,
                              const rb_report_row *const *rows, int n_rows, rb_summary *out, rb_summary_ws *w) {
    int64_t n = 0;
    if (n_rows == 0) return 0;
    for (int kind = 0; kind < RB_N_SUMMARIES; kind++)
        for (int q = 0; q < 3; q++) {
            rb_family f = {r, d, rows, n_rows, q, rb_results_method(r, r->baseline)};
            if (!rb_kind_applies(&f, (rb_summary_kind)kind)) continue;
            for (int m = 0; m < r->n_methods; m++, n++) {
                if (!out) continue;
                rb_summary *o = &out[n];
                snprintf(o->dataset, sizeof o->dataset, "%s", d->dataset);
                snprintf(o->family, sizeof o->family, "%s", name);
                o->method = m;
                o->metric = q;
                o->kind = (rb_summary_kind)kind;
                double v[3];
                rb_summary_value(&f, w, (rb_summary_kind)kind, m, v);
                o->value = v[0];
                o->lo = v[1];
                o->hi = v[2];
            }
        }
    return n;
}

static int64_t rb_emit_all(const rb_results *r, const rb_report_dataset *ds, int n_ds, const rb_report_row **tmp,
                           rb_summary *out, rb_summary_ws *w) {
    int64_t n = 0;
    for (int di = 0; di < n_ds; di++) {
        const rb_report_dataset *d = &ds[di];
        for (int i = 0; i < d->n_rows; i++) tmp[i] = &d->rows[i];
        n += rb_emit_family(r, d, "all", tmp, d->n_rows, out ? out + n : NULL, w);
        static const char *const groups[RB_N_GROUPS] = {"visual", "audio", "missing", "pairs"};
        for (int g = 0; g < RB_N_GROUPS; g++) {
            int k = 0;
            for (int i = 0; i < d->n_rows; i++)
                if ((int)d->rows[i].group == g) tmp[k++] = &d->rows[i];
            n += rb_emit_family(r, d, groups[g], tmp, k, out ? out + n : NULL, w);
        }
        for (int i = 0; i < d->n_rows; i++) {
            char name[96];
            rb_family_name(&d->rows[i], name, sizeof name);
            tmp[0] = &d->rows[i];
            n += rb_emit_family(r, d, name, tmp, 1, out ? out + n : NULL, w);
        }
    }
    return n;
}

int rb_results_summary_all(const rb_results *r, const rb_report_dataset *d, rb_summary_kind kind, int metric,
                           int method, double out[3]) {
    out[0] = out[1] = out[2] = NAN;
    if (d->n_rows == 0) return RB_OK;
    const rb_report_row **tmp = rb_malloc(sizeof *tmp * (size_t)d->n_rows, "summary family");
    rb_summary_ws w;
    int rc = rb_summary_ws_init(&w, r) == RB_OK && tmp ? RB_OK : RB_ERR;
    if (rc == RB_OK) {
        for (int i = 0; i < d->n_rows; i++) tmp[i] = &d->rows[i];
        rb_family f = {r, d, tmp, d->n_rows, metric, rb_results_method(r, r->baseline)};
        if (rb_kind_applies(&f, kind)) rb_summary_value(&f, &w, kind, method, out);
    }
    free(tmp);
    rb_summary_ws_free(&w);
    return rc;
}

int rb_results_summaries(const rb_results *r, rb_summary **rows, int64_t *n) {
    *rows = NULL;
    *n = 0;
    rb_report_dataset *ds;
    int n_ds;
    RB_TRY(rb_report_layout(r, &ds, &n_ds));
    int max_rows = 1;
    for (int i = 0; i < n_ds; i++)
        if (ds[i].n_rows > max_rows) max_rows = ds[i].n_rows;
    const rb_report_row **tmp = rb_malloc(sizeof *tmp * (size_t)max_rows, "summary families");
    rb_summary_ws w;
    int rc = rb_summary_ws_init(&w, r) == RB_OK && tmp ? RB_OK : RB_ERR;
    if (rc == RB_OK) {
        int64_t total = rb_emit_all(r, ds, n_ds, tmp, NULL, &w);
        *rows = rb_calloc((size_t)(total ? total : 1), sizeof **rows, "summaries");
        if (!*rows) rc = RB_ERR;
        else *n = rb_emit_all(r, ds, n_ds, tmp, *rows, &w);
    }
    free(tmp);
    rb_summary_ws_free(&w);
    rb_report_layout_free(ds, n_ds);
    return rc;
}

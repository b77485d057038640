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

static double rb_val(const rb_family *f, int cond, int method, int b) {
    return rb_results_value(f->r, cond, method, f->metric, b);
}

static double rb_mean_corrupted(const rb_family *f, int m, int b) {
    double s = 0;
    int n = 0;
    for (int i = 0; i < f->n_rows; i++)
        for (int j = 0; j < f->rows[i]->n_sev; j++, n++) s += rb_val(f, f->rows[i]->cond[j], m, b);
    return n ? s / n : NAN;
}

/* Trapezoid of metric versus severity from (0, clean) through the row's severities, divided by the
 * largest severity: the mean height of the curve (a method unaffected by the corruption scores its
 * clean value). */
static double rb_row_auc(const rb_family *f, const rb_report_row *row, int m, int b) {
    double clean = rb_val(f, f->d->clean, m, b), area = 0, s_prev = 0, v_prev = clean;
    for (int j = 0; j < row->n_sev; j++) {
        double v = rb_val(f, row->cond[j], m, b);
        area += (row->severity[j] - s_prev) * (v + v_prev) / 2.0;
        s_prev = row->severity[j];
        v_prev = v;
    }
    return area / s_prev;
}

static int rb_has_severities(const rb_report_row *row) { return row->n_sev > 0 && row->severity[row->n_sev - 1] > 0; }

static double rb_summary_value(const rb_family *f, rb_summary_kind kind, int m, int b) {
    const int clean = f->d->clean;
    switch (kind) {
    case RB_SUM_MEAN_CORRUPTED: return rb_mean_corrupted(f, m, b);
    case RB_SUM_RELATIVE: return rb_mean_corrupted(f, m, b) / rb_val(f, clean, m, b);
    case RB_SUM_SEVERITY_AUC: {
        double s = 0;
        int n = 0;
        for (int i = 0; i < f->n_rows; i++)
            if (rb_has_severities(f->rows[i])) {
                s += rb_row_auc(f, f->rows[i], m, b);
                n++;
            }
        return n ? s / n : NAN;
    }
    case RB_SUM_MCE:
    case RB_SUM_REL_MCE: {
        if (m == f->base) return 1.0; /* by definition, also where rounding would leave 1 +- 1 ulp */
        double s = 0;
        double cm = rb_val(f, clean, m, b), cb = rb_val(f, clean, f->base, b);
        for (int i = 0; i < f->n_rows; i++) {
            double num = 0, den = 0;
            for (int j = 0; j < f->rows[i]->n_sev; j++) {
                double x = rb_val(f, f->rows[i]->cond[j], m, b), xb = rb_val(f, f->rows[i]->cond[j], f->base, b);
                num += kind == RB_SUM_MCE ? 1.0 - x : cm - x;
                den += kind == RB_SUM_MCE ? 1.0 - xb : cb - xb;
            }
            s += num / den;
        }
        return f->n_rows ? s / f->n_rows : NAN;
    }
    case RB_SUM_EFFECTIVE: {
        if (m == f->base) return 0.0; /* by definition */
        double cm = rb_val(f, clean, m, b), cb = rb_val(f, clean, f->base, b);
        return rb_mean_corrupted(f, m, b) - cm * rb_mean_corrupted(f, f->base, b) / cb;
    }
    default: return NAN;
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
                              const rb_report_row *const *rows, int n_rows, rb_summary *out, double *buf) {
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
                o->value = rb_summary_value(&f, (rb_summary_kind)kind, m, -1);
                o->lo = o->hi = NAN;
                if (r->n_boot > 0 && r->boot) {
                    for (int b = 0; b < r->n_boot; b++) buf[b] = rb_summary_value(&f, (rb_summary_kind)kind, m, b);
                    rb_percentile_interval(buf, r->n_boot, r->confidence, &o->lo, &o->hi);
                }
            }
        }
    return n;
}

static int64_t rb_emit_all(const rb_results *r, const rb_report_dataset *ds, int n_ds, const rb_report_row **tmp,
                           rb_summary *out, double *buf) {
    int64_t n = 0;
    for (int di = 0; di < n_ds; di++) {
        const rb_report_dataset *d = &ds[di];
        for (int i = 0; i < d->n_rows; i++) tmp[i] = &d->rows[i];
        n += rb_emit_family(r, d, "all", tmp, d->n_rows, out ? out + n : NULL, buf);
        static const char *const groups[RB_N_GROUPS] = {"visual", "audio", "missing", "pairs"};
        for (int g = 0; g < RB_N_GROUPS; g++) {
            int k = 0;
            for (int i = 0; i < d->n_rows; i++)
                if ((int)d->rows[i].group == g) tmp[k++] = &d->rows[i];
            n += rb_emit_family(r, d, groups[g], tmp, k, out ? out + n : NULL, buf);
        }
        for (int i = 0; i < d->n_rows; i++) {
            char name[96];
            rb_family_name(&d->rows[i], name, sizeof name);
            tmp[0] = &d->rows[i];
            n += rb_emit_family(r, d, name, tmp, 1, out ? out + n : NULL, buf);
        }
    }
    return n;
}

int rb_results_summary_all(const rb_results *r, const rb_report_dataset *d, rb_summary_kind kind, int metric,
                           int method, double out[3]) {
    out[0] = out[1] = out[2] = NAN;
    if (d->n_rows == 0) return RB_OK;
    const rb_report_row **tmp = rb_malloc(sizeof *tmp * (size_t)d->n_rows, "summary family");
    double *buf = rb_malloc(sizeof(double) * (size_t)(r->n_boot > 0 ? r->n_boot : 1), "summary resamples");
    int rc = tmp && buf ? RB_OK : RB_ERR;
    if (rc == RB_OK) {
        for (int i = 0; i < d->n_rows; i++) tmp[i] = &d->rows[i];
        rb_family f = {r, d, tmp, d->n_rows, metric, rb_results_method(r, r->baseline)};
        if (rb_kind_applies(&f, kind)) {
            out[0] = rb_summary_value(&f, kind, method, -1);
            if (r->n_boot > 0 && r->boot) {
                for (int b = 0; b < r->n_boot; b++) buf[b] = rb_summary_value(&f, kind, method, b);
                rb_percentile_interval(buf, r->n_boot, r->confidence, &out[1], &out[2]);
            }
        }
    }
    free(tmp);
    free(buf);
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
    double *buf = rb_malloc(sizeof(double) * (size_t)(r->n_boot > 0 ? r->n_boot : 1), "summary resamples");
    int rc = tmp && buf ? RB_OK : RB_ERR;
    if (rc == RB_OK) {
        int64_t total = rb_emit_all(r, ds, n_ds, tmp, NULL, buf);
        *rows = rb_calloc((size_t)(total ? total : 1), sizeof **rows, "summaries");
        if (!*rows) rc = RB_ERR;
        else *n = rb_emit_all(r, ds, n_ds, tmp, *rows, buf);
    }
    free(tmp);
    free(buf);
    rb_report_layout_free(ds, n_ds);
    return rc;
}

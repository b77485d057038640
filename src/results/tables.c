/* tables.c - rendering of an rb_results (docs/results.md): summary.md (headline, clean row,
 * AP per corruption and severity per method, means over severities, dynamic weights, corruption
 * detection, with the XD "AP" constant-score caveat beside the tables), cells.csv (one row per
 * (cell, method), full precision) and the plain-text headline printed at the end of a run.
 * Everything here is a pure function of the metrics: no times, hosts or run ids, so identical
 * metrics give byte-identical files. */
#include "rb_core.h"
#include "rb_results.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char rb_report_caveat[] =
    "> **Caveat (docs/metrics.md).** `ap` is the XD-Violence \"AP\": the trapezoid area\n"
    "> under the frame-level precision-recall curve, which starts at (recall 0, precision 1). A constant\n"
    "> score therefore already gets `ap` = (1 + q) / 2 (about 0.57 on XD-like data), where q is the\n"
    "> positive-frame fraction, and a collapsed detector can look better in `ap` than it is. Step-wise AP\n"
    "> (`ap_step`, chance level q) and ROC-AUC (`roc_auc`, chance level 0.5) give a constant score its\n"
    "> honest chance level. XD-Violence papers report `ap`; UCF-Crime papers report `roc_auc`.\n";

static const char rb_short_caveat[] =
    "> `ap` = XD-Violence trapezoid \"AP\": a constant score already gets (1 + q)/2 (about 0.57 on XD-like data);\n"
    "> `ap_step` (chance q) and `roc_auc` (chance 0.5) are the honest chance-level metrics.\n";

/* ---- number formatting ---- */

static void rb_fmt(char *buf, size_t cap, double v) {
    if (isnan(v)) snprintf(buf, cap, "nan");
    else snprintf(buf, cap, "%.4f", v);
}

/* "mean" or "mean +- sd" (more than one replica). */
static void rb_fmt_ms(char *buf, size_t cap, double mean, double sd, int n_replicas) {
    char m[48], s[48];
    rb_fmt(m, sizeof m, mean);
    if (n_replicas <= 1) {
        snprintf(buf, cap, "%s", m);
        return;
    }
    rb_fmt(s, sizeof s, sd);
    snprintf(buf, cap, "%s +- %s", m, s);
}

/* Condition-level numbers (weights, detection): NaN means "not applicable". */
static void rb_fmt_na(char *buf, size_t cap, double v) {
    if (isnan(v)) snprintf(buf, cap, "-");
    else snprintf(buf, cap, "%.4f", v);
}

static void rb_csv_double(FILE *f, double v) {
    if (isnan(v)) fputs("nan", f);
    else if (isinf(v)) fputs(v > 0 ? "inf" : "-inf", f);
    else fprintf(f, "%.17g", v);
}

static void rb_csv_string(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* ---- pieces of summary.md ---- */

static const char *rb_metric_title(int m) {
    return m == 0 ? "XD-Violence AP (`ap`, trapezoid)" : m == 1 ? "step AP (`ap_step`)" : "ROC-AUC (`roc_auc`)";
}

static const double *rb_metric_array(const rb_results *r, int m) {
    return m == 0 ? r->ap : m == 1 ? r->ap_step : r->roc_auc;
}

static void rb_row_name(const rb_report_row *row, char *buf, size_t cap) {
    if (row->group == RB_GROUP_MISSING) snprintf(buf, cap, "%s missing", row->modality);
    else snprintf(buf, cap, "%s", row->corruption);
}

static int rb_md_headline(FILE *f, const rb_results *r, const rb_report_dataset *d, int metric) {
    fprintf(f, "### Headline: %s\n\n", rb_metric_title(metric));
    fprintf(f, "| method | clean | corrupted (mean of %d cells) | drop | relative |\n|---|---|---|---|---|\n",
            d->n_corrupted);
    for (int m = 0; m < r->n_methods; m++) {
        rb_headline h;
        RB_TRY(rb_report_headline(r, d, rb_metric_array(r, metric), m, &h));
        char a[128], b[128], c[128], e[128];
        rb_fmt_ms(a, sizeof a, h.clean[0], h.clean[1], r->n_replicas);
        rb_fmt_ms(b, sizeof b, h.corrupted[0], h.corrupted[1], r->n_replicas);
        rb_fmt_ms(c, sizeof c, h.drop[0], h.drop[1], r->n_replicas);
        rb_fmt_ms(e, sizeof e, h.relative[0], h.relative[1], r->n_replicas);
        fprintf(f, "| %s | %s | %s | %s | %s |\n", r->methods[m], a, b, c, e);
    }
    fprintf(f, "\n%s\n", rb_short_caveat);
    return RB_OK;
}

static void rb_md_clean(FILE *f, const rb_results *r, const rb_report_dataset *d) {
    fprintf(f, "### Clean test set\n\n| method | `ap` | `ap_step` | `roc_auc` |\n|---|---|---|---|\n");
    for (int m = 0; m < r->n_methods; m++) {
        char v[3][128];
        for (int k = 0; k < 3; k++) {
            double mean = NAN, sd = NAN;
            if (d->clean >= 0) rb_results_mean_sd(r, rb_metric_array(r, k), d->clean, m, &mean, &sd);
            rb_fmt_ms(v[k], sizeof v[k], mean, sd, r->n_replicas);
        }
        fprintf(f, "| %s | %s | %s | %s |\n", r->methods[m], v[0], v[1], v[2]);
    }
    fprintf(f, "\n%s\n", rb_short_caveat);
}

/* One table cell; an empty one is "| |". */
static void rb_md_cell(FILE *f, const char *v) {
    if (v[0]) fprintf(f, " %s |", v);
    else fputs(" |", f);
}

static void rb_md_header_sev(FILE *f, const rb_report_dataset *d, const char *first) {
    fprintf(f, "| group | %s |", first);
    for (int s = 0; s < d->n_severities; s++) fprintf(f, " s%d |", d->severities[s]);
    fprintf(f, " mean |\n|---|---|");
    for (int s = 0; s < d->n_severities; s++) fprintf(f, "---|");
    fprintf(f, "---|\n");
}

/* Index into row->cond of a severity, or -1. */
static int rb_row_sev(const rb_report_row *row, int severity) {
    for (int j = 0; j < row->n_sev; j++)
        if (row->severity[j] == severity) return j;
    return -1;
}

static void rb_md_method_table(FILE *f, const rb_results *r, const rb_report_dataset *d, int m) {
    fprintf(f, "### XD-Violence AP (`ap`) per corruption and severity: `%s`\n\n", r->methods[m]);
    rb_md_header_sev(f, d, "corruption");
    for (int i = 0; i < d->n_rows; i++) {
        const rb_report_row *row = &d->rows[i];
        char name[96];
        rb_row_name(row, name, sizeof name);
        fprintf(f, "| %s | %s |", rb_report_group_name(row->group), name);
        for (int s = 0; s < d->n_severities; s++) {
            int j = rb_row_sev(row, d->severities[s]);
            char v[128] = "";
            if (j >= 0) {
                double mean, sd;
                rb_results_mean_sd(r, r->ap, row->cond[j], m, &mean, &sd);
                rb_fmt_ms(v, sizeof v, mean, sd, r->n_replicas);
            }
            rb_md_cell(f, v);
        }
        double mean, sd;
        char v[128];
        rb_report_row_mean(r, row, r->ap, m, &mean, &sd);
        rb_fmt_ms(v, sizeof v, mean, sd, r->n_replicas);
        fprintf(f, " %s |\n", v);
    }
    fprintf(f, "\n%s\n", rb_short_caveat);
}

static void rb_md_means_table(FILE *f, const rb_results *r, const rb_report_dataset *d, int metric) {
    fprintf(f, "### Mean over severities: %s\n\n| group | corruption |", rb_metric_title(metric));
    for (int m = 0; m < r->n_methods; m++) fprintf(f, " %s |", r->methods[m]);
    fprintf(f, "\n|---|---|");
    for (int m = 0; m < r->n_methods; m++) fprintf(f, "---|");
    fprintf(f, "\n");
    for (int i = 0; i < d->n_rows; i++) {
        const rb_report_row *row = &d->rows[i];
        char name[96];
        rb_row_name(row, name, sizeof name);
        fprintf(f, "| %s | %s |", rb_report_group_name(row->group), name);
        for (int m = 0; m < r->n_methods; m++) {
            double mean, sd;
            char v[128];
            rb_report_row_mean(r, row, rb_metric_array(r, metric), m, &mean, &sd);
            rb_fmt_ms(v, sizeof v, mean, sd, r->n_replicas);
            rb_md_cell(f, v);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\n%s\n", rb_short_caveat);
}

/* Mean over severities of a condition-level number (NaN, "not applicable", propagates). */
static double rb_cond_mean(const rb_results *r, const rb_report_row *row, int field, int modality) {
    double s = 0;
    for (int j = 0; j < row->n_sev; j++) {
        const rb_result_cond *c = &r->conds[row->cond[j]];
        s += field == 0 ? c->weight[modality] : c->detect_auc[modality];
    }
    return row->n_sev ? s / row->n_sev : NAN;
}

static void rb_pair_cell(char *buf, size_t cap, double v, double a) {
    char x[48], y[48];
    rb_fmt_na(x, sizeof x, v);
    rb_fmt_na(y, sizeof y, a);
    snprintf(buf, cap, "%s / %s", x, y);
}

static void rb_md_weights(FILE *f, const rb_results *r, const rb_report_dataset *d) {
    fprintf(f, "### Mean dynamic weight (visual / audio)\n\n"
               "Mean RobustA fusion weight of each modality over the cell's test snippets and crops (0 for a\n"
               "missing modality). A working corruption detector lowers the weight of the corrupted modality.\n\n");
    rb_md_header_sev(f, d, "corruption");
    if (d->clean >= 0) {
        const rb_result_cond *c = &r->conds[d->clean];
        char v[128];
        rb_pair_cell(v, sizeof v, c->weight[0], c->weight[1]);
        fprintf(f, "| clean | clean |");
        for (int s = 0; s < d->n_severities; s++) fprintf(f, " |");
        fprintf(f, " %s |\n", v);
    }
    for (int i = 0; i < d->n_rows; i++) {
        const rb_report_row *row = &d->rows[i];
        char name[96], v[128];
        rb_row_name(row, name, sizeof name);
        fprintf(f, "| %s | %s |", rb_report_group_name(row->group), name);
        for (int s = 0; s < d->n_severities; s++) {
            int j = rb_row_sev(row, d->severities[s]);
            v[0] = '\0';
            if (j >= 0) rb_pair_cell(v, sizeof v, r->conds[row->cond[j]].weight[0], r->conds[row->cond[j]].weight[1]);
            rb_md_cell(f, v);
        }
        rb_pair_cell(v, sizeof v, rb_cond_mean(r, row, 0, 0), rb_cond_mean(r, row, 0, 1));
        fprintf(f, " %s |\n", v);
    }
    fprintf(f, "\n");
}

/* Detection AUC of the corrupted modality (both, "visual / audio", for pairs). */
static void rb_detect_cell(char *buf, size_t cap, const rb_report_row *row, double v, double a) {
    if (row->group == RB_GROUP_PAIR) rb_pair_cell(buf, cap, v, a);
    else rb_fmt_na(buf, cap, row->group == RB_GROUP_AUDIO || strcmp(row->modality, "audio") == 0 ? a : v);
}

static void rb_md_detect(FILE *f, const rb_results *r, const rb_report_dataset *d) {
    fprintf(f, "### Corruption detection ROC-AUC\n\n"
               "ROC-AUC of the corrupted modality's GMM negative log-likelihood separating its clean from its\n"
               "corrupted test snippets (0.5 = the corruption is invisible to the GMM, 1 = perfectly detected;\n"
               "pairs: visual / audio; \"-\": not applicable).\n\n");
    rb_md_header_sev(f, d, "corruption");
    for (int i = 0; i < d->n_rows; i++) {
        const rb_report_row *row = &d->rows[i];
        if (row->group == RB_GROUP_MISSING) continue;
        char name[96], v[128];
        rb_row_name(row, name, sizeof name);
        fprintf(f, "| %s | %s |", rb_report_group_name(row->group), name);
        for (int s = 0; s < d->n_severities; s++) {
            int j = rb_row_sev(row, d->severities[s]);
            v[0] = '\0';
            if (j >= 0)
                rb_detect_cell(v, sizeof v, row, r->conds[row->cond[j]].detect_auc[0], r->conds[row->cond[j]].detect_auc[1]);
            rb_md_cell(f, v);
        }
        rb_detect_cell(v, sizeof v, row, rb_cond_mean(r, row, 1, 0), rb_cond_mean(r, row, 1, 1));
        fprintf(f, " %s |\n", v);
    }
    fprintf(f, "\n");
}

static void rb_md_sources(FILE *f, const rb_results *r, const rb_report_dataset *d) {
    static const char *const names[] = {"surrogate", "preextracted", "none", "mixed", "clean"};
    int count[6] = {0};
    for (int j = 0; j < d->n_corrupted; j++) {
        int k = 5;
        for (int i = 0; i < 5 && k == 5; i++)
            if (strcmp(r->conds[d->corrupted[j]].source, names[i]) == 0) k = i;
        count[k]++;
    }
    fprintf(f, "Cells: %s clean, %d corrupted (features: %d surrogate, %d pre-extracted, %d missing modality",
            d->clean >= 0 ? "1" : "no", d->n_corrupted, count[0], count[1], count[2]);
    if (count[3]) fprintf(f, ", %d mixed", count[3]);
    if (count[4] + count[5]) fprintf(f, ", %d other", count[4] + count[5]);
    fprintf(f, "). Methods: %d. Replicas: %d.\n\n", r->n_methods, r->n_replicas);
}

static int rb_write_summary(FILE *f, const rb_results *r, const rb_report_dataset *ds, int n_ds) {
    fprintf(f, "# robusta results\n\n"
               "How to read these tables: docs/results.md. Metrics (docs/metrics.md), all frame-level:\n\n"
               "- `ap`: XD-Violence \"AP\", trapezoid area under the precision-recall curve. Compare with published\n"
               "  XD-Violence numbers (and the RobustA paper).\n"
               "- `ap_step`: step-wise average precision (scikit-learn `average_precision_score`).\n"
               "- `roc_auc`: ROC-AUC. Compare with published UCF-Crime numbers.\n\n%s\n",
            rb_report_caveat);
    fprintf(f, "Numbers have 4 decimals; with more than one trained replica a cell reads \"mean +- sd\" (sample\n"
               "standard deviation over replicas). \"corrupted\" is the mean over every corrupted cell of the\n"
               "dataset (each corruption at each severity, each missing modality and each pair weighs 1),\n"
               "\"drop\" = clean - corrupted, \"relative\" = corrupted / clean; each is computed per replica, then\n"
               "averaged. \"nan\": no number (a cell that was not computed); \"-\": not applicable. Full-precision\n"
               "numbers: cells.csv.\n\n");
    for (int i = 0; i < n_ds; i++) {
        const rb_report_dataset *d = &ds[i];
        fprintf(f, "## Dataset `%s`\n\n", d->dataset);
        rb_md_sources(f, r, d);
        for (int k = 0; k < 3; k++) RB_TRY(rb_md_headline(f, r, d, k));
        rb_md_clean(f, r, d);
        if (d->n_rows == 0) continue;
        for (int k = 0; k < 3; k++) rb_md_means_table(f, r, d, k);
        for (int m = 0; m < r->n_methods; m++) rb_md_method_table(f, r, d, m);
        rb_md_weights(f, r, d);
        rb_md_detect(f, r, d);
        rb_results_weights_table(f, r, d);
    }
    return RB_OK;
}

static int rb_write_cells(FILE *f, const rb_results *r) {
    fprintf(f, "dataset,corruption,modality,severity,method,ap,ap_step,roc_auc,ap_sd,ap_step_sd,roc_auc_sd,"
               "n_replicas,source,detect_auc_visual,detect_auc_audio,weight_visual,weight_audio\n");
    for (int c = 0; c < r->n_conds; c++) {
        const rb_result_cond *cd = &r->conds[c];
        for (int m = 0; m < r->n_methods; m++) {
            double mean[3], sd[3];
            for (int k = 0; k < 3; k++) rb_results_mean_sd(r, rb_metric_array(r, k), c, m, &mean[k], &sd[k]);
            rb_csv_string(f, cd->dataset);
            fputc(',', f);
            rb_csv_string(f, cd->corruption);
            fputc(',', f);
            rb_csv_string(f, cd->modality);
            fprintf(f, ",%d,", (int)cd->severity);
            rb_csv_string(f, r->methods[m]);
            for (int k = 0; k < 3; k++) {
                fputc(',', f);
                rb_csv_double(f, mean[k]);
            }
            for (int k = 0; k < 3; k++) {
                fputc(',', f);
                rb_csv_double(f, sd[k]);
            }
            fprintf(f, ",%d,", r->n_replicas);
            rb_csv_string(f, cd->source);
            const double tail[4] = {cd->detect_auc[0], cd->detect_auc[1], cd->weight[0], cd->weight[1]};
            for (int k = 0; k < 4; k++) {
                fputc(',', f);
                rb_csv_double(f, tail[k]);
            }
            fputc('\n', f);
        }
    }
    return RB_OK;
}

/* Render dir/name in memory, then replace the file atomically (rb_write_bytes_atomic). */
static int rb_write_file(const char *dir, const char *name, const rb_results *r, const rb_report_dataset *ds,
                         int n_ds, int which) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return rb_fail("%s: cannot render: %s", path, strerror(errno));
    int rc = which == 0 ? rb_write_summary(f, r, ds, n_ds) : rb_write_cells(f, r);
    int err = ferror(f);
    if (fclose(f) != 0) err = 1;
    if (rc != RB_OK) rc = rb_context("writing %s", path);
    else if (err) rc = rb_fail("%s: out of memory rendering it", path);
    else rc = rb_write_bytes_atomic(path, text, len);
    free(text);
    return rc;
}

int rb_results_tables(const rb_results *r, const char *dir) {
    rb_report_dataset *ds;
    int n_ds;
    RB_TRY(rb_report_layout(r, &ds, &n_ds));
    int rc = rb_write_file(dir, "summary.md", r, ds, n_ds, 0);
    if (rc == RB_OK) rc = rb_write_file(dir, "cells.csv", r, ds, n_ds, 1);
    rb_report_layout_free(ds, n_ds);
    return rc;
}

int rb_results_print_headline(const rb_results *r, FILE *out) {
    rb_report_dataset *ds;
    int n_ds;
    RB_TRY(rb_report_layout(r, &ds, &n_ds));
    fprintf(out, "headline: clean -> mean over the corrupted cells (drop, relative); AP = XD-Violence trapezoid\n"
                 "  (a constant score gets (1 + q)/2, about 0.57), step AP (chance q) and ROC-AUC (chance 0.5)\n");
    int rc = RB_OK;
    for (int i = 0; i < n_ds && rc == RB_OK; i++) {
        const rb_report_dataset *d = &ds[i];
        fprintf(out, "dataset %s: %d corrupted cells, %d replica%s%s\n", d->dataset, d->n_corrupted, r->n_replicas,
                r->n_replicas == 1 ? "" : "s", r->n_replicas > 1 ? " (mean +- sd)" : "");
        for (int m = 0; m < r->n_methods && rc == RB_OK; m++) {
            rb_headline h[3];
            for (int k = 0; k < 3 && rc == RB_OK; k++) rc = rb_report_headline(r, d, rb_metric_array(r, k), m, &h[k]);
            if (rc != RB_OK) break;
            char a[128], b[128], c[128], e[128], s1[128], s2[128], r1[128], r2[128];
            rb_fmt_ms(a, sizeof a, h[0].clean[0], h[0].clean[1], r->n_replicas);
            rb_fmt_ms(b, sizeof b, h[0].corrupted[0], h[0].corrupted[1], r->n_replicas);
            rb_fmt_ms(c, sizeof c, h[0].drop[0], h[0].drop[1], r->n_replicas);
            rb_fmt_ms(e, sizeof e, h[0].relative[0], h[0].relative[1], r->n_replicas);
            rb_fmt_ms(s1, sizeof s1, h[1].clean[0], h[1].clean[1], r->n_replicas);
            rb_fmt_ms(s2, sizeof s2, h[1].corrupted[0], h[1].corrupted[1], r->n_replicas);
            rb_fmt_ms(r1, sizeof r1, h[2].clean[0], h[2].clean[1], r->n_replicas);
            rb_fmt_ms(r2, sizeof r2, h[2].corrupted[0], h[2].corrupted[1], r->n_replicas);
            fprintf(out, "  %-15s AP %s -> %s (drop %s, relative %s) | step AP %s -> %s | ROC-AUC %s -> %s\n",
                    r->methods[m], a, b, c, e, s1, s2, r1, r2);
        }
    }
    rb_report_layout_free(ds, n_ds);
    return rc;
}

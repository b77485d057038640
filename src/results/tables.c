/* tables.c - rendering of an rb_results (docs/results.md): summary.md (short: per dataset the
 * ranking of methods with bootstrap intervals, which differences are resolved, the families; the
 * XD "AP" caveat once), cells.csv (one row per (cell, method), full precision, with intervals),
 * summaries.csv and comparisons.csv (the /summaries and /comparisons tables) and the plain-text
 * headline printed at the end of a run.
 * Everything here is a pure function of the metrics: no times, hosts or run ids, so identical
 * metrics give byte-identical files. */
#include "rb_core.h"
#include "rb_results.h"
#include "report_internal.h"
#include "rb_score.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char rb_report_caveat[] =
    "> **Caveat (docs/metrics.md).** `ap` is the XD-Violence \"AP\": the trapezoid area\n"
    "> under the frame-level precision-recall curve, which starts at (recall 0, precision 1). A constant\n"
    "> score therefore already gets `ap` = (1 + q) / 2 (each dataset's value is on its chance line), where q\n"
    "> is the positive-frame fraction, and a collapsed detector can look better in `ap` than it is. Step-wise AP\n"
    "> (`ap_step`, chance level q) and ROC-AUC (`roc_auc`, chance level 0.5) give a constant score its\n"
    "> honest chance level. XD-Violence papers report `ap`; UCF-Crime papers report `roc_auc`.\n";

/* ---- number formatting ---- */

/* "mean" or "mean +- sd" (more than one replica). */
static void rb_fmt_ms(char *buf, size_t cap, double mean, double sd, int n_replicas) {
    char m[48], s[48];
    rb_results_fmt4(m, sizeof m, mean);
    if (n_replicas <= 1) {
        snprintf(buf, cap, "%s", m);
        return;
    }
    rb_results_fmt4(s, sizeof s, sd);
    snprintf(buf, cap, "%s +- %s", m, s);
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

/* ---- summary.md: per dataset the ranking with intervals, which differences are resolved, and
 * the families; one screen per dataset. The ranking metric is ap_step (honest chance level). */

#define RB_RANK_METRIC 1 /* ap_step */

static const double *rb_metric_array(const rb_results *r, int m) {
    return m == 0 ? r->ap : m == 1 ? r->ap_step : r->roc_auc;
}

/* An interval endpoint of a difference: 4 decimals, or 2 significant digits when it would print as
 * 0.0000 without being 0 (so that "excludes 0" stays visible). */
static void rb_fmt_end(char *buf, size_t cap, double v) {
    if (v != 0.0 && fabs(v) < 0.00005) snprintf(buf, cap, "%.1e", v);
    else rb_results_fmt4(buf, cap, v);
}

/* "0.1234 [0.1000, 0.1400]" or "0.1234" without an interval. */
static void rb_fmt_ci(char *buf, size_t cap, double v, double lo, double hi) {
    char a[40], b[40], c[40];
    rb_results_fmt4(a, sizeof a, v);
    if (isnan(lo) && isnan(hi)) {
        snprintf(buf, cap, "%s", a);
        return;
    }
    rb_results_fmt4(b, sizeof b, lo);
    rb_results_fmt4(c, sizeof c, hi);
    snprintf(buf, cap, "%s [%s, %s]", a, b, c);
}

static const rb_summary *rb_find_summary(const rb_summary *s, int64_t n, const char *dataset, const char *family,
                                         rb_summary_kind kind, int metric, int method) {
    for (int64_t i = 0; i < n; i++)
        if (s[i].kind == kind && s[i].metric == metric && s[i].method == method && strcmp(s[i].family, family) == 0 &&
            strcmp(s[i].dataset, dataset) == 0)
            return &s[i];
    return NULL;
}

static void rb_fmt_summary(char *buf, size_t cap, const rb_summary *s) {
    if (!s) snprintf(buf, cap, "-");
    else rb_fmt_ci(buf, cap, s->value, s->lo, s->hi);
}

/* Mean of the ranking metric over the dataset's corrupted cells for method m, in resample b (or the
 * point estimate, b < 0): the "all" mean_corrupted summary, recomputed for paired differences. */
static double rb_mean_corrupted(const rb_results *r, const rb_report_dataset *d, int m, int b) {
    double s = 0;
    for (int j = 0; j < d->n_corrupted; j++) s += rb_results_value(r, d->corrupted[j], m, RB_RANK_METRIC, b);
    return d->n_corrupted ? s / d->n_corrupted : NAN;
}

/* Paired difference a - b of the mean corrupted ranking metric: point, interval, shares of the
 * resamples with a difference > 0 and < 0. */
static void rb_rank_diff(const rb_results *r, const rb_report_dataset *d, int a, int b, double *buf, double out[5]) {
    out[0] = rb_mean_corrupted(r, d, a, -1) - rb_mean_corrupted(r, d, b, -1);
    out[1] = out[2] = out[3] = out[4] = NAN;
    if (r->n_boot == 0) return;
    int pos = 0, neg = 0;
    for (int k = 0; k < r->n_boot; k++) {
        buf[k] = rb_mean_corrupted(r, d, a, k) - rb_mean_corrupted(r, d, b, k);
        pos += buf[k] > 0;
        neg += buf[k] < 0;
    }
    rb_percentile_interval(buf, r->n_boot, r->confidence, &out[1], &out[2]);
    out[3] = (double)pos / r->n_boot;
    out[4] = (double)neg / r->n_boot;
}

/* One line: the chance levels of the three metrics on dataset d, from its positive-frame fraction q
 * (rb_report_chance); "unknown" when the file does not record q. q = metric names' quote. */
static void rb_fmt_chance(FILE *f, const rb_results *r, const rb_report_dataset *d, const char *lead, const char *q) {
    double pf = rb_report_dataset_q(r, d->dataset);
    char a[32], s[32], p[32];
    if (isnan(rb_report_chance(0, pf))) {
        fprintf(f, "%s: %sap%s and %sap_step%s unknown (the file does not record q), %sroc_auc%s 0.5.\n", lead, q, q, q, q,
                q, q);
        return;
    }
    rb_results_fmt4(a, sizeof a, rb_report_chance(0, pf));
    rb_results_fmt4(s, sizeof s, rb_report_chance(1, pf));
    rb_results_fmt4(p, sizeof p, pf);
    fprintf(f, "%s: %sap%s %s, %sap_step%s %s, %sroc_auc%s 0.5 (q = %s).\n", lead, q, q, a, q, q, s, q, q, p);
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
    fprintf(f, "). Methods: %d. Replicas: %d.\n", r->n_methods, r->n_replicas);
    rb_fmt_chance(f, r, d, "Chance level (a constant score)", "`");
    fprintf(f, "\n");
}

/* The ranking table and, in words, which adjacent differences (and which differences to the
 * baseline) the intervals resolve. */
static int rb_md_ranking(FILE *f, const rb_results *r, const rb_report_dataset *d, const rb_summary *s, int64_t ns) {
    int order[RB_RESULTS_MAX_METHODS];
    double key[RB_RESULTS_MAX_METHODS];
    for (int m = 0; m < r->n_methods; m++) {
        order[m] = m;
        key[m] = rb_mean_corrupted(r, d, m, -1);
    }
    for (int i = 1; i < r->n_methods; i++) /* descending, NaN last, ties by method order (stable) */
        for (int j = i; j > 0; j--) {
            double x = key[order[j - 1]], y = key[order[j]];
            int swap = (isnan(x) && !isnan(y)) || (!isnan(x) && !isnan(y) && y > x);
            if (!swap) break;
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    int base = rb_results_method(r, r->baseline);
    fprintf(f, "### Ranking: mean `ap_step` over the %d corrupted cells\n\n", d->n_corrupted);
    fprintf(f, "| rank | method | corrupted `ap_step` | clean `ap_step` | relative | mCE vs %s | effective robustness | corrupted `roc_auc` |\n"
               "|---|---|---|---|---|---|---|---|\n", r->baseline[0] ? r->baseline : "-");
    for (int i = 0; i < r->n_methods; i++) {
        int m = order[i];
        char v[6][192];
        rb_fmt_summary(v[0], sizeof v[0], rb_find_summary(s, ns, d->dataset, "all", RB_SUM_MEAN_CORRUPTED, RB_RANK_METRIC, m));
        double clean = d->clean >= 0 ? rb_results_value(r, d->clean, m, RB_RANK_METRIC, -1) : NAN;
        double lo = d->clean >= 0 && r->ap_step_lo ? r->ap_step_lo[(size_t)d->clean * r->n_methods + m] : NAN;
        double hi = d->clean >= 0 && r->ap_step_hi ? r->ap_step_hi[(size_t)d->clean * r->n_methods + m] : NAN;
        rb_fmt_ci(v[1], sizeof v[1], clean, lo, hi);
        rb_fmt_summary(v[2], sizeof v[2], rb_find_summary(s, ns, d->dataset, "all", RB_SUM_RELATIVE, RB_RANK_METRIC, m));
        rb_fmt_summary(v[3], sizeof v[3], rb_find_summary(s, ns, d->dataset, "all", RB_SUM_MCE, RB_RANK_METRIC, m));
        rb_fmt_summary(v[4], sizeof v[4], rb_find_summary(s, ns, d->dataset, "all", RB_SUM_EFFECTIVE, RB_RANK_METRIC, m));
        rb_fmt_summary(v[5], sizeof v[5], rb_find_summary(s, ns, d->dataset, "all", RB_SUM_MEAN_CORRUPTED, 2, m));
        fprintf(f, "| %d | %s | %s | %s | %s | %s | %s | %s |\n", i + 1, r->methods[m], v[0], v[1], v[2], v[3], v[4], v[5]);
    }
    fprintf(f, "\n");
    if (r->n_boot == 0 || d->n_corrupted == 0) {
        fprintf(f, "No intervals (stats.bootstrap = 0): no difference is resolved.\n\n");
        return RB_OK;
    }
    double *buf = rb_malloc(sizeof(double) * (size_t)r->n_boot, "ranking differences");
    if (!buf) return RB_ERR;
    /* adjacent pairs of the ranking, then every method against the baseline */
    int pa[2 * RB_RESULTS_MAX_METHODS], pb[2 * RB_RESULTS_MAX_METHODS], np = 0;
    for (int i = 0; i + 1 < r->n_methods; i++) {
        pa[np] = order[i];
        pb[np++] = order[i + 1];
    }
    for (int i = 0; base >= 0 && i < r->n_methods; i++) {
        int m = order[i], dup = 0;
        if (m == base) continue;
        for (int j = 0; j < np; j++) dup |= (pa[j] == m && pb[j] == base) || (pa[j] == base && pb[j] == m);
        if (dup) continue;
        pa[np] = m;
        pb[np++] = base;
    }
    char resolved[4096] = "", unresolved[4096] = "";
    for (int j = 0; j < np; j++) {
        double o[5];
        rb_rank_diff(r, d, pa[j], pb[j], buf, o);
        char item[320], x[48], lo[48], hi[48];
        snprintf(x, sizeof x, "%+.4f", o[0]);
        rb_fmt_end(lo, sizeof lo, o[1]);
        rb_fmt_end(hi, sizeof hi, o[2]);
        int res = o[1] > 0 || o[2] < 0;
        int a = pa[j], b = pb[j];
        if (res && o[2] < 0) { /* state the winner first */
            a = pb[j];
            b = pa[j];
            snprintf(x, sizeof x, "%+.4f", -o[0]);
            char t[48];
            rb_fmt_end(t, sizeof t, -o[2]);
            rb_fmt_end(hi, sizeof hi, -o[1]);
            snprintf(lo, sizeof lo, "%s", t);
        }
        if (res)
            snprintf(item, sizeof item, "- %s > %s: %s [%s, %s], ahead in %.1f%% of resamples\n", r->methods[a], r->methods[b], x,
                     lo, hi, 100.0 * (a == pa[j] ? o[3] : o[4]));
        else
            snprintf(item, sizeof item, "- %s vs %s: %s [%s, %s], ahead in %.1f%% of resamples\n", r->methods[a], r->methods[b], x,
                     lo, hi, 100.0 * o[3]);
        char *dst = res ? resolved : unresolved;
        if (strlen(dst) + strlen(item) < sizeof resolved) strcat(dst, item);
    }
    free(buf);
    fprintf(f, "Paired differences of the corrupted `ap_step` (%.0f%% interval over %d resamples of the test videos).\n\n",
            100.0 * r->confidence, r->n_boot);
    fprintf(f, "**Resolved** (the interval excludes 0):\n\n%s\n", resolved[0] ? resolved : "- none\n");
    fprintf(f, "**Not resolved** (the interval contains 0; the data cannot order these):\n\n%s\n",
            unresolved[0] ? unresolved : "- none\n");
    return RB_OK;
}

/* Mean corrupted ap_step per corruption family, with intervals. */
static void rb_md_families(FILE *f, const rb_results *r, const rb_report_dataset *d, const rb_summary *s, int64_t ns) {
    static const char *const fam[4] = {"visual", "audio", "missing", "pairs"};
    fprintf(f, "### Mean corrupted `ap_step` by family\n\n| family |");
    for (int m = 0; m < r->n_methods; m++) fprintf(f, " %s |", r->methods[m]);
    fprintf(f, "\n|---|");
    for (int m = 0; m < r->n_methods; m++) fprintf(f, "---|");
    fprintf(f, "\n");
    for (int k = 0; k < 4; k++) {
        if (!rb_find_summary(s, ns, d->dataset, fam[k], RB_SUM_MEAN_CORRUPTED, RB_RANK_METRIC, 0)) continue;
        fprintf(f, "| %s |", fam[k]);
        for (int m = 0; m < r->n_methods; m++) {
            char v[192];
            rb_fmt_summary(v, sizeof v, rb_find_summary(s, ns, d->dataset, fam[k], RB_SUM_MEAN_CORRUPTED, RB_RANK_METRIC, m));
            fprintf(f, " %s |", v);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\n");
}

static int rb_write_summary(FILE *f, const rb_results *r, const rb_report_dataset *ds, int n_ds) {
    rb_summary *s;
    int64_t ns;
    RB_TRY(rb_results_summaries(r, &s, &ns));
    fprintf(f, "# robusta results\n\n"
               "How to read this: docs/results.md. Methods are ranked by step AP (`ap_step`) averaged over\n"
               "every corrupted cell of the dataset; ");
    if (r->n_boot > 0)
        fprintf(f, "[lo, hi] is the %.0f%% paired bootstrap percentile interval over the test\n"
                   "videos (%d resamples, the same for every cell and method; docs/metrics.md \"Intervals\").\n",
                100.0 * r->confidence, r->n_boot);
    else
        fprintf(f, "no intervals were computed (stats.bootstrap = 0).\n");
    fprintf(f, "Relative = corrupted / clean; mCE and effective robustness are against `%s` (docs/metrics.md\n"
               "\"Robustness summaries\"). With replicas, every number is for the replica mean. All summaries of\n"
               "`ap`, `ap_step` and `roc_auc` per family and corruption: summaries.csv; every cell with its\n"
               "intervals: cells.csv; paired differences per cell: comparisons.csv.\n\n%s\n",
            r->baseline[0] ? r->baseline : "-", rb_report_caveat);
    int rc = RB_OK;
    for (int i = 0; i < n_ds && rc == RB_OK; i++) {
        const rb_report_dataset *d = &ds[i];
        fprintf(f, "## Dataset `%s`\n\n", d->dataset);
        rb_md_sources(f, r, d);
        rc = rb_md_ranking(f, r, d, s, ns);
        if (rc == RB_OK && d->n_rows > 0) rb_md_families(f, r, d, s, ns);
        if (rc == RB_OK) rb_results_weights_table(f, r, d); /* "What the weights did" (weights_table.c) */
    }
    free(s);
    return rc;
}

static int rb_write_cells(FILE *f, const rb_results *r) {
    fprintf(f, "dataset,corruption,modality,severity,method,ap,ap_step,roc_auc,ap_sd,ap_step_sd,roc_auc_sd,"
               "n_replicas,source,detect_auc_visual,detect_auc_audio,weight_visual,weight_audio,"
               "ap_lo,ap_hi,ap_step_lo,ap_step_hi,roc_auc_lo,roc_auc_hi,run_id,commit,config_digest\n");
    char digest[17];
    rb_report_config_digest(r, digest); /* report_metrics.c */
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
            const double *ci[6] = {r->ap_lo, r->ap_hi, r->ap_step_lo, r->ap_step_hi, r->roc_auc_lo, r->roc_auc_hi};
            for (int k = 0; k < 6; k++) {
                fputc(',', f);
                rb_csv_double(f, ci[k] ? ci[k][(size_t)c * r->n_methods + m] : NAN);
            }
            fputc(',', f);
            rb_csv_string(f, r->run_id ? r->run_id : "");
            fputc(',', f);
            rb_csv_string(f, r->git_commit ? r->git_commit : "");
            fprintf(f, ",%s\n", digest);
        }
    }
    return RB_OK;
}

static const char *const rb_metric_key[3] = {"ap", "ap_step", "roc_auc"};

/* summaries.csv: the rows of /summaries. */
static int rb_write_summaries_csv(FILE *f, const rb_results *r) {
    rb_summary *s;
    int64_t n;
    RB_TRY(rb_results_summaries(r, &s, &n));
    fprintf(f, "dataset,method,family,summary,metric,value,lo,hi\n");
    for (int64_t i = 0; i < n; i++) {
        rb_csv_string(f, s[i].dataset);
        fputc(',', f);
        rb_csv_string(f, r->methods[s[i].method]);
        fputc(',', f);
        rb_csv_string(f, s[i].family);
        fprintf(f, ",%s,%s,", rb_summary_name(s[i].kind), rb_metric_key[s[i].metric]);
        rb_csv_double(f, s[i].value);
        fputc(',', f);
        rb_csv_double(f, s[i].lo);
        fputc(',', f);
        rb_csv_double(f, s[i].hi);
        fputc('\n', f);
    }
    free(s);
    return RB_OK;
}

/* comparisons.csv: the rows of /comparisons (header only without intervals). */
static int rb_write_comparisons_csv(FILE *f, const rb_results *r) {
    rb_comparison *c;
    int64_t n;
    RB_TRY(rb_results_comparisons(r, &c, &n));
    fprintf(f, "dataset,corruption,modality,severity,method,other,metric,diff,lo,hi,frac_positive\n");
    for (int64_t i = 0; i < n; i++) {
        const rb_result_cond *cd = &r->conds[c[i].cond];
        rb_csv_string(f, cd->dataset);
        fputc(',', f);
        rb_csv_string(f, cd->corruption);
        fputc(',', f);
        rb_csv_string(f, cd->modality);
        fprintf(f, ",%d,", (int)cd->severity);
        rb_csv_string(f, r->methods[c[i].method]);
        fputc(',', f);
        rb_csv_string(f, r->methods[c[i].other]);
        fprintf(f, ",%s", rb_metric_key[c[i].metric]);
        const double v[4] = {c[i].diff, c[i].lo, c[i].hi, c[i].frac_pos};
        for (int k = 0; k < 4; k++) {
            fputc(',', f);
            rb_csv_double(f, v[k]);
        }
        fputc('\n', f);
    }
    free(c);
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
    int rc = which == 0   ? rb_write_summary(f, r, ds, n_ds)
             : which == 1 ? rb_write_cells(f, r)
             : which == 2 ? rb_write_summaries_csv(f, r)
                          : rb_write_comparisons_csv(f, r);
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
    if (rc == RB_OK) rc = rb_write_file(dir, "summaries.csv", r, ds, n_ds, 2);
    if (rc == RB_OK) rc = rb_write_file(dir, "comparisons.csv", r, ds, n_ds, 3);
    rb_report_layout_free(ds, n_ds);
    return rc;
}

int rb_results_print_headline(const rb_results *r, FILE *out) {
    rb_report_dataset *ds;
    int n_ds;
    RB_TRY(rb_report_layout(r, &ds, &n_ds));
    fprintf(out, "headline: clean -> mean over the corrupted cells (drop, relative); AP = XD-Violence trapezoid\n"
                 "  (a constant score gets (1 + q)/2, q = positive-frame fraction), step AP (chance q), ROC-AUC (0.5)\n");
    int rc = RB_OK;
    for (int i = 0; i < n_ds && rc == RB_OK; i++) {
        const rb_report_dataset *d = &ds[i];
        fprintf(out, "dataset %s: %d corrupted cells, %d replica%s%s\n", d->dataset, d->n_corrupted, r->n_replicas,
                r->n_replicas == 1 ? "" : "s", r->n_replicas > 1 ? " (mean +- sd)" : "");
        rb_fmt_chance(out, r, d, "  chance", "");
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

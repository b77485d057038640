/* report_json.c - results.json (docs/formats.md "results.json"): the headline, the per-corruption
 * robustness summaries, the rankings and the provenance of a results file in a stable, versioned
 * JSON schema for pipelines. Written by `robusta bench` (rank 0) and `robusta report`. Numbers use
 * %.17g (round-trip exact); NaN and infinities are null. */
#include "report_internal.h"
#include "rb_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RB_JSON_SCHEMA "robusta-results-json"
#define RB_JSON_VERSION 1

void rb_json_write_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p == '\n') fputs("\\n", f);
        else if (*p == '\t') fputs("\\t", f);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

/* "key": string, or null when s is NULL */
static void rb_json_kv_str(FILE *f, const char *key, const char *s, int comma) {
    rb_json_write_string(f, key);
    fputs(": ", f);
    if (s) rb_json_write_string(f, s);
    else fputs("null", f);
    if (comma) fputs(", ", f);
}

static void rb_json_num(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, "%.17g", v);
    else fputs("null", f);
}

static void rb_json_ms(FILE *f, const char *key, const double ms[2]) {
    rb_json_write_string(f, key);
    fputs(": {\"mean\": ", f);
    rb_json_num(f, ms[0]);
    fputs(", \"sd\": ", f);
    rb_json_num(f, ms[1]);
    fputc('}', f);
}

static void rb_json_provenance(FILE *f, const rb_results *r, const rb_audit_provenance *p) {
    char digest[17];
    rb_report_config_digest(r, digest);
    fputs("  \"provenance\": {", f);
    rb_json_kv_str(f, "robusta_version", p ? p->robusta_version : NULL, 1);
    rb_json_kv_str(f, "git_commit", p && p->git_commit ? p->git_commit : r->git_commit, 1);
    rb_json_kv_str(f, "time_utc", p ? p->time_utc : NULL, 1);
    rb_json_kv_str(f, "host", p ? p->host : NULL, 1);
    fputs("\"ranks\": ", f);
    if (p && p->ranks >= 0) fprintf(f, "%lld", (long long)p->ranks);
    else fputs("null", f);
    fputs(", ", f);
    rb_json_kv_str(f, "command", p ? p->command : NULL, 1);
    rb_json_kv_str(f, "mpi_library", p ? p->mpi_library : NULL, 1);
    rb_json_kv_str(f, "hdf5_version", p ? p->hdf5_version : NULL, 1);
    rb_json_kv_str(f, "config_digest", digest[0] ? digest : NULL, 1);
    fputs("\"inputs\": [", f);
    for (int i = 0; p && i < p->n_inputs; i++) {
        const char *line = p->inputs[i], *sep = strstr(line, "  ");
        char sha[80] = "";
        if (sep && (size_t)(sep - line) < sizeof sha) snprintf(sha, sizeof sha, "%.*s", (int)(sep - line), line);
        fputs(i ? ", {" : "{", f);
        rb_json_kv_str(f, "sha256", sha, 1);
        rb_json_kv_str(f, "path", sep ? sep + 2 : line, 0);
        fputc('}', f);
    }
    fputs("]},\n", f);
}

/* The robustness summaries of one dataset for its family groups (all, visual, audio, missing,
 * pairs): every summary kind, metric and method, as in summaries.csv, which also has them per
 * corruption. */
static void rb_json_summaries(FILE *f, const rb_results *r, const char *dataset, const rb_summary *rows, int64_t n) {
    static const char *const groups[] = {"all", "visual", "audio", "missing", "pairs"};
    fputs(",\n     \"summaries\": [", f);
    int first = 1;
    for (int64_t i = 0; i < n; i++) {
        const rb_summary *s = &rows[i];
        int group = 0;
        for (size_t g = 0; g < sizeof groups / sizeof *groups; g++) group |= strcmp(s->family, groups[g]) == 0;
        if (!group || strcmp(s->dataset, dataset) != 0) continue;
        fputs(first ? "\n      {" : ",\n      {", f);
        first = 0;
        rb_json_kv_str(f, "family", s->family, 1);
        rb_json_kv_str(f, "summary", rb_summary_name(s->kind), 1);
        rb_json_kv_str(f, "metric", rb_report_metric_name(s->metric), 1);
        rb_json_kv_str(f, "method", r->methods[s->method], 1);
        fputs("\"value\": ", f);
        rb_json_num(f, s->value);
        fputs(", \"interval\": ", f);
        if (isfinite(s->lo) && isfinite(s->hi)) {
            fputc('[', f);
            rb_json_num(f, s->lo);
            fputs(", ", f);
            rb_json_num(f, s->hi);
            fputc(']', f);
        } else {
            fputs("null", f);
        }
        fputc('}', f);
    }
    fputc(']', f);
}

static int rb_json_dataset(FILE *f, const rb_results *r, const rb_report_dataset *d, const rb_summary *sums,
                           int64_t n_sums) {
    double q = rb_report_dataset_q(r, d->dataset);
    fputs("    {", f);
    rb_json_kv_str(f, "name", d->dataset, 1);
    fputs("\"positive_fraction\": ", f);
    rb_json_num(f, q);
    fprintf(f, ", \"n_corrupted_cells\": %d,\n     \"chance\": {", d->n_corrupted);
    for (int k = 0; k < 3; k++) {
        fprintf(f, "%s\"%s\": ", k ? ", " : "", rb_report_metric_name(k));
        rb_json_num(f, rb_report_chance(k, q));
    }
    fputs("},\n     \"ranking\": {", f);
    for (int k = 0; k < 3; k++) {
        int order[RB_RESULTS_MAX_METHODS];
        rb_report_ranking(r, d, k, order);
        fprintf(f, "%s\"%s\": [", k ? ", " : "", rb_report_metric_name(k));
        for (int i = 0; i < r->n_methods; i++) {
            if (i) fputs(", ", f);
            rb_json_write_string(f, r->methods[order[i]]);
        }
        fputc(']', f);
    }
    fputs("},\n     \"headline\": [", f);
    for (int m = 0; m < r->n_methods; m++) {
        fprintf(f, "%s\n      {", m ? "," : "");
        rb_json_kv_str(f, "method", r->methods[m], 0);
        for (int k = 0; k < 3; k++) {
            rb_headline h;
            RB_TRY(rb_report_headline(r, d, rb_report_metric(r, k), m, &h));
            fprintf(f, ", \"%s\": {", rb_report_metric_name(k));
            rb_json_ms(f, "clean", h.clean);
            fputs(", ", f);
            rb_json_ms(f, "corrupted", h.corrupted);
            fputs(", ", f);
            rb_json_ms(f, "drop", h.drop);
            fputs(", ", f);
            rb_json_ms(f, "relative", h.relative);
            const double *lo, *hi;
            rb_report_interval_arrays(r, k, &lo, &hi);
            if (lo && d->clean >= 0) {
                fputs(", \"clean_interval\": [", f);
                rb_json_num(f, lo[(int64_t)d->clean * r->n_methods + m]);
                fputs(", ", f);
                rb_json_num(f, hi[(int64_t)d->clean * r->n_methods + m]);
                fputc(']', f);
            }
            if (lo) { /* the intervals of summaries.csv's family "all" rows */
                double cs[3], rs[3];
                RB_TRY(rb_results_summary_all(r, d, RB_SUM_MEAN_CORRUPTED, k, m, cs));
                RB_TRY(rb_results_summary_all(r, d, RB_SUM_RELATIVE, k, m, rs));
                fputs(", \"corrupted_interval\": [", f);
                rb_json_num(f, cs[1]);
                fputs(", ", f);
                rb_json_num(f, cs[2]);
                fputs("], \"relative_interval\": [", f);
                rb_json_num(f, rs[1]);
                fputs(", ", f);
                rb_json_num(f, rs[2]);
                fputc(']', f);
            }
            fputc('}', f);
        }
        fputc('}', f);
    }
    fputs("],\n     \"corruptions\": [", f);
    for (int i = 0; i < d->n_rows; i++) {
        const rb_report_row *row = &d->rows[i];
        fprintf(f, "%s\n      {", i ? "," : "");
        rb_json_kv_str(f, "family", rb_report_group_name(row->group), 1);
        rb_json_kv_str(f, "modality", row->modality, 1);
        rb_json_kv_str(f, "corruption", row->corruption, 1);
        fputs("\"severities\": [", f);
        for (int j = 0; j < row->n_sev; j++) fprintf(f, "%s%d", j ? ", " : "", row->severity[j]);
        fputs("], \"mean_over_severities\": {", f);
        for (int m = 0; m < r->n_methods; m++) {
            if (m) fputs(", ", f);
            rb_json_write_string(f, r->methods[m]);
            fputs(": {", f);
            for (int k = 0; k < 3; k++) {
                double ms[2];
                rb_report_row_mean(r, row, rb_report_metric(r, k), m, &ms[0], &ms[1]);
                if (k) fputs(", ", f);
                rb_json_ms(f, rb_report_metric_name(k), ms);
            }
            fputc('}', f);
        }
        fputs("}}", f);
    }
    fputc(']', f);
    rb_json_summaries(f, r, d->dataset, sums, n_sums);
    fputc('}', f);
    return RB_OK;
}

struct rb_json_ctx {
    const rb_results *r;
    const rb_audit_provenance *p;
};

static int rb_json_fn(FILE *f, void *vctx) {
    const struct rb_json_ctx *c = vctx;
    const rb_results *r = c->r;
    rb_report_dataset *ds;
    int n_ds;
    RB_TRY(rb_report_layout(r, &ds, &n_ds));
    rb_summary *sums = NULL;
    int64_t n_sums = 0;
    if (rb_results_summaries(r, &sums, &n_sums) != RB_OK) {
        rb_report_layout_free(ds, n_ds);
        return rb_context("results.json: robustness summaries");
    }
    fprintf(f, "{\n  \"schema\": \"%s\",\n  \"schema_version\": %d,\n  ", RB_JSON_SCHEMA, RB_JSON_VERSION);
    rb_json_kv_str(f, "run_id", r->run_id, 0);
    fputs(",\n  \"methods\": [", f);
    for (int m = 0; m < r->n_methods; m++) {
        if (m) fputs(", ", f);
        rb_json_write_string(f, r->methods[m]);
    }
    fprintf(f, "],\n  \"n_replicas\": %d,\n  \"n_boot\": %d,\n", r->n_replicas, r->n_boot);
    rb_json_provenance(f, r, c->p);
    fputs("  \"datasets\": [\n", f);
    int rc = RB_OK;
    for (int i = 0; i < n_ds && rc == RB_OK; i++) {
        rc = rb_json_dataset(f, r, &ds[i], sums, n_sums);
        fputs(i + 1 < n_ds ? ",\n" : "\n", f);
    }
    fputs("  ]\n}\n", f);
    free(sums);
    rb_report_layout_free(ds, n_ds);
    return rc;
}

int rb_report_json_write(const rb_results *r, const rb_audit_provenance *p, const char *dir) {
    struct rb_json_ctx c = {r, p};
    return rb_report_render_file(dir, "results.json", rb_json_fn, &c);
}

int rb_results_json(const rb_results *r, const rb_audit_provenance *p, const char *dir) {
    return rb_report_json_write(r, p, dir);
}

/* report_compare.c - `robusta report A.h5 B.h5 ...` (docs/results.md "Comparing runs"): one
 * compare.html that sets runs (nights, commits, configs) side by side: which runs they are, the
 * headline of every (dataset, method) with a column per run, and the cells that differ from the
 * first run beyond the audit tolerances (rb_audit_compare, the same matching and tolerances as
 * `robusta audit`), flagged. */
#include "report_internal.h"
#include "rb_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RB_COMPARE_MAX_LISTED 200

struct rb_compare_ctx {
    const rb_results *runs;
    const rb_audit_provenance *provs;
    char *const *paths;
    int n, k;
    const rb_audit_options *o;
    rb_audit_report *reps; /* [n]; reps[0] unused */
    rb_report_dataset **ds;
    int *n_ds;
    int64_t flagged;
};

static void rb_cnum(FILE *f, double v, int flag) {
    if (isnan(v)) fprintf(f, "<td%s>nan</td>", flag ? " class=\"flag\"" : "");
    else fprintf(f, "<td%s>%.4f</td>", flag ? " class=\"flag\"" : "", v);
}

static const rb_report_dataset *rb_find_ds(const rb_report_dataset *ds, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (strcmp(ds[i].dataset, name) == 0) return &ds[i];
    return NULL;
}

/* |a - b| beyond tol (NaN against a number is a difference; NaN against NaN is not). */
static int rb_beyond(double a, double b, double tol) {
    if (isnan(a) || isnan(b)) return isnan(a) != isnan(b);
    return fabs(a - b) > tol;
}

static int rb_compare_page(FILE *f, void *vctx) {
    struct rb_compare_ctx *c = vctx;
    const int k = c->k;
    rb_report_page_head(f, "robusta report: comparison of runs");
    fprintf(f, "<h1>robusta: %d runs compared</h1>\n<p>Metric shown: <b>%s</b>. Run 1 is the baseline: a value of a "
               "later run is <span style=\"background:#ffd9b3\">flagged</span> when it differs from run 1 beyond the "
               "audit tolerance of its metric (the tolerances of <code>robusta audit --reference</code>: ",
            c->n, rb_report_metric_title(k));
    for (int m = 0; m < RB_AUDIT_N_METRICS; m++)
        fprintf(f, "%s%s %.3g", m ? ", " : "", rb_audit_metric_name((rb_audit_metric)m), c->o->tolerance[m]);
    fprintf(f, "; docs/audit.md).</p>\n<h2>Runs</h2>\n<table><tr><th class=\"l\"></th>");
    for (int i = 0; i < c->n; i++) fprintf(f, "<th>run %d</th>", i + 1);
    fprintf(f, "</tr>\n");
    static const char *const rows[] = {"file", "run id", "commit", "time (UTC)", "ranks", "config digest", "audit vs run 1"};
    for (int row = 0; row < 7; row++) {
        fprintf(f, "<tr><th class=\"l\">%s</th>", rows[row]);
        for (int i = 0; i < c->n; i++) {
            const rb_results *r = &c->runs[i];
            const rb_audit_provenance *p = &c->provs[i];
            char buf[256] = "";
            const char *v = buf;
            switch (row) {
            case 0: v = c->paths[i]; break;
            case 1: v = r->run_id; break;
            case 2: v = p->git_commit ? p->git_commit : r->git_commit; break;
            case 3: v = p->time_utc; break;
            case 4:
                if (p->ranks >= 0) snprintf(buf, sizeof buf, "%lld", (long long)p->ranks);
                break;
            case 5: rb_report_config_digest(r, buf); break;
            default:
                if (i == 0) snprintf(buf, sizeof buf, "baseline");
                else if (c->reps[i].match) snprintf(buf, sizeof buf, "MATCH");
                else snprintf(buf, sizeof buf, "DIFFER (%lld cells beyond tolerance%s)", (long long)c->reps[i].n_fail,
                              c->reps[i].config_differs ? "; config differs" : "");
            }
            int flag = row == 6 && i > 0 && !c->reps[i].match;
            fprintf(f, "<td class=\"l%s\">", flag ? " flag" : "");
            rb_xml_text(f, v && v[0] ? v : "-");
            fprintf(f, "</td>");
        }
        fprintf(f, "</tr>\n");
    }
    fprintf(f, "</table>\n<h2>Headline</h2>\n");
    for (int d = 0; d < c->n_ds[0]; d++) {
        const rb_report_dataset *d0 = &c->ds[0][d];
        fprintf(f, "<h3><code>");
        rb_xml_text(f, d0->dataset);
        fprintf(f, "</code>: %s</h3>\n<table><tr><th class=\"l\">method</th><th class=\"l\">quantity</th>",
                rb_report_metric_name(k));
        for (int i = 0; i < c->n; i++) fprintf(f, "<th>run %d</th>", i + 1);
        fprintf(f, "</tr>\n");
        const rb_results *r0 = &c->runs[0];
        for (int m = 0; m < r0->n_methods; m++) {
            static const char *const qn[4] = {"clean", "corrupted (mean)", "drop", "relative"};
            double v[4][64];
            int nr = c->n < 64 ? c->n : 64;
            for (int i = 0; i < nr; i++) {
                const rb_results *r = &c->runs[i];
                const rb_report_dataset *di = rb_find_ds(c->ds[i], c->n_ds[i], d0->dataset);
                int mi = rb_results_method(r, r0->methods[m]);
                rb_headline h;
                if (!di || mi < 0 || rb_report_headline(r, di, rb_report_metric(r, k), mi, &h) != RB_OK) {
                    for (int q = 0; q < 4; q++) v[q][i] = NAN;
                    continue;
                }
                v[0][i] = h.clean[0];
                v[1][i] = h.corrupted[0];
                v[2][i] = h.drop[0];
                v[3][i] = h.relative[0];
            }
            for (int q = 0; q < 4; q++) {
                fprintf(f, "<tr><td class=\"l\">");
                rb_xml_text(f, r0->methods[m]);
                fprintf(f, "</td><td class=\"l\">%s</td>", qn[q]);
                for (int i = 0; i < nr; i++) rb_cnum(f, v[q][i], i > 0 && rb_beyond(v[q][0], v[q][i], c->o->tolerance[k]));
                fprintf(f, "</tr>\n");
            }
        }
        fprintf(f, "</table>\n");
    }
    fprintf(f, "<h2>Cells beyond tolerance</h2>\n");
    for (int i = 1; i < c->n; i++) {
        const rb_audit_report *rep = &c->reps[i];
        fprintf(f, "<h3>run %d against run 1: %lld value%s beyond tolerance, %lld row%s missing, %lld extra</h3>\n", i + 1,
                (long long)rep->n_diffs, rep->n_diffs == 1 ? "" : "s", (long long)rep->missing,
                rep->missing == 1 ? "" : "s", (long long)rep->extra);
        c->flagged += rep->n_diffs + rep->n_absent;
        if (rep->n_diffs + rep->n_absent == 0) continue;
        fprintf(f, "<table><tr><th class=\"l\">cell</th><th class=\"l\">metric</th><th>run 1</th><th>run %d</th>"
                   "<th>|difference|</th></tr>\n",
                i + 1);
        int64_t shown = 0;
        for (int64_t j = 0; j < rep->n_diffs && shown < RB_COMPARE_MAX_LISTED; j++, shown++) {
            const rb_audit_diff *d = &rep->diffs[j];
            fprintf(f, "<tr><td class=\"l\">");
            rb_xml_text(f, d->key);
            fprintf(f, "</td><td class=\"l\">%s</td>", rb_audit_metric_name((rb_audit_metric)d->metric));
            rb_cnum(f, d->a, 0);
            rb_cnum(f, d->b, 1);
            fprintf(f, "<td>%.3g</td></tr>\n", d->diff);
        }
        for (int64_t j = 0; j < rep->n_absent && shown < RB_COMPARE_MAX_LISTED; j++, shown++) {
            fprintf(f, "<tr><td class=\"l flag\">");
            rb_xml_text(f, rep->absent[j].key);
            fprintf(f, "</td><td class=\"l\" colspan=\"4\">%s</td></tr>\n",
                    isnan(rep->absent[j].b) ? "only in run 1" : "not in run 1");
        }
        fprintf(f, "</table>\n");
        if (rep->n_diffs + rep->n_absent > shown)
            fprintf(f, "<p class=\"cap\">%lld more; <code>robusta audit --reference</code> lists them all.</p>\n",
                    (long long)(rep->n_diffs + rep->n_absent - shown));
    }
    for (int i = 0; i < c->n; i++) {
        fprintf(f, "<h2>Provenance of run %d</h2>\n", i + 1);
        rb_report_section_provenance(f, &c->runs[i], &c->provs[i], c->paths[i]);
    }
    rb_report_page_tail(f);
    return RB_OK;
}

int rb_report_compare_html(const rb_results *runs, const rb_audit_provenance *provs, char *const *paths, int n,
                           const char *dir, int metric, const rb_audit_options *o, int64_t *n_flagged) {
    if (n < 2) return rb_fail("report: comparing runs needs at least two results files");
    struct rb_compare_ctx c = {runs, provs, paths, n, metric, o, NULL, NULL, NULL, 0};
    c.reps = rb_calloc((size_t)n, sizeof *c.reps, "compare reports");
    c.ds = rb_calloc((size_t)n, sizeof *c.ds, "compare layouts");
    c.n_ds = rb_calloc((size_t)n, sizeof *c.n_ds, "compare layouts");
    int rc = c.reps && c.ds && c.n_ds ? RB_OK : RB_ERR;
    for (int i = 0; i < n && rc == RB_OK; i++) rc = rb_report_layout(&runs[i], &c.ds[i], &c.n_ds[i]);
    for (int i = 1; i < n && rc == RB_OK; i++) {
        rc = rb_audit_compare(&runs[0], &provs[0], &runs[i], &provs[i], o, &c.reps[i]);
        if (rc != RB_OK) rb_context("comparing %s with %s", paths[i], paths[0]);
    }
    if (rc == RB_OK) rc = rb_report_render_file(dir, "compare.html", rb_compare_page, &c);
    if (n_flagged) *n_flagged = c.flagged;
    for (int i = 0; i < n; i++) {
        if (c.reps) rb_audit_report_free(&c.reps[i]);
        if (c.ds) rb_report_layout_free(c.ds[i], c.n_ds[i]);
    }
    free(c.reps);
    free(c.ds);
    free(c.n_ds);
    return rc;
}

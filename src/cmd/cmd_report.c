/* cmd_report.c - `robusta report RESULTS.h5`: report.html, overview.svg, results.json and the tables (summary.md,
 * cells.csv, summaries.csv, comparisons.csv) of a results file, optionally the gnuplot figures, into the file's directory or --out DIR;
 * with several files, compare.html (docs/results.md). Every file must pass the
 * consistency check of `audit --check` first. Serial: under mpirun only rank 0 works. */
#include "rb_core.h"
#include "rb_cmd.h"
#include "rb_results.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The directory part of path ("." when it has none). */
static void rb_dirname(const char *path, char *buf, size_t cap) {
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(buf, cap, ".");
    else if (slash == path) snprintf(buf, cap, "/");
    else snprintf(buf, cap, "%.*s", (int)(slash - path), path);
}

/* Tables, report.html, overview.svg, results.json and (with --plots) the gnuplot figures of one
 * results file. */
static int rb_report_run(const char *results, const char *out, int metric, int plots, int plots_required,
                         const char *gnuplot) {
    char dir[4096];
    if (out) snprintf(dir, sizeof dir, "%s", out);
    else rb_dirname(results, dir, sizeof dir);
    /* an inconsistent file (edited /cells, broken keys, changed digest) is refused before any table */
    RB_TRY_CTX(rb_results_require_consistent(results), "report");
    RB_TRY_CTX(rb_mkdir_p(dir), "report");
    rb_results r;
    RB_TRY_CTX(rb_results_read(results, &r), "report");
    rb_audit_provenance p;
    int rc = rb_audit_read_provenance(results, &p);
    if (rc == RB_OK) rc = rb_results_tables(&r, dir);
    if (rc == RB_OK) rc = rb_report_html(&r, &p, results, dir, metric);
    if (rc == RB_OK) rc = rb_results_json(&r, &p, dir);
    if (rc == RB_OK) {
        /* every file rb_results_tables, rb_report_html and rb_results_json write */
        rb_log("report: wrote %s/report.html, overview.svg, results.json, summary.md, cells.csv, summaries.csv and "
               "comparisons.csv", dir);
        rc = rb_results_print_headline(&r, stdout);
    }
    if (rc == RB_OK && plots) {
        if (!rb_report_have_gnuplot(gnuplot)) {
            if (plots_required) rc = rb_fail("report: %s not found on PATH and --plots-required was given", gnuplot ? gnuplot : "gnuplot");
            else rb_log("report: %s not found on PATH; skipping the gnuplot figures (report.html written)", gnuplot ? gnuplot : "gnuplot");
        } else {
            rc = rb_report_plots(&r, dir, gnuplot);
            if (rc == RB_OK) rb_log("report: wrote the plots under %s/plots/", dir);
            else if (!plots_required) {
                /* the tables are made; a broken gnuplot is reported but does not fail the report */
                rb_log("report: warning: %s; tables written", rb_error_message());
                rb_error_clear();
                rc = RB_OK;
            }
        }
    }
    rb_audit_provenance_free(&p);
    rb_results_free(&r);
    return rc;
}

/* `robusta report A.h5 B.h5 ...`: compare.html with a column per run. */
static int rb_report_compare_run(char *const *paths, int n, const char *out, int metric, const rb_audit_options *o) {
    char dir[4096];
    if (out) snprintf(dir, sizeof dir, "%s", out);
    else rb_dirname(paths[0], dir, sizeof dir);
    RB_TRY_CTX(rb_mkdir_p(dir), "report");
    rb_results *runs = rb_calloc((size_t)n, sizeof *runs, "runs");
    rb_audit_provenance *provs = rb_calloc((size_t)n, sizeof *provs, "runs");
    int rc = runs && provs ? RB_OK : RB_ERR, n_read = 0;
    for (int i = 0; i < n && rc == RB_OK; i++) {
        rc = rb_results_require_consistent(paths[i]); /* as for one file: an edited file is refused */
        if (rc == RB_OK) rc = rb_results_read(paths[i], &runs[i]);
        if (rc == RB_OK) {
            n_read++;
            rc = rb_audit_read_provenance(paths[i], &provs[i]);
        }
    }
    int64_t flagged = 0;
    if (rc == RB_OK) rc = rb_report_compare_html(runs, provs, paths, n, dir, metric, o, &flagged);
    if (rc == RB_OK)
        rb_log("report: wrote %s/compare.html (%d runs; %lld values or rows differ from run 1 beyond tolerance)", dir, n,
               (long long)flagged);
    for (int i = 0; i < n_read; i++) rb_results_free(&runs[i]);
    for (int i = 0; runs && provs && i < n; i++) rb_audit_provenance_free(&provs[i]);
    free(runs);
    free(provs);
    return rc == RB_OK ? RB_OK : rb_context("report");
}

/* What `robusta report` reads from its command line. */
struct report_options {
    const char *out;              /* --out DIR, or NULL: the directory of RESULTS.h5 */
    const char *metric;           /* --metric ap|ap_step|roc_auc, or NULL: ap_step */
    int plots;                    /* --plots: also the gnuplot PNG/SVG per corruption */
    int no_plots;                 /* --no-plots: accepted for old scripts (the default) */
    int plots_required;           /* --plots-required (implies --plots) */
    const char *gnuplot;          /* --gnuplot PROG, or NULL: gnuplot on PATH */
    const char *corruption_table; /* --corruption-table DATASET: print only that table */
    const char *tolerance;        /* comparing runs: --tolerance X (default: audit --reference's) */
    rb_cli_list metric_tolerances;
};

int rb_cmd_report(int argc, char **argv) {
    struct report_options o = {0};
    const rb_opt opts[] = {
        RB_CLI_VALUE("out", 'o', "DIR", &o.out, "output directory (default: the directory of RESULTS.h5)"),
        RB_CLI_VALUE("metric", 'm', "M", &o.metric, "metric of report.html: ap, ap_step (default) or roc_auc"),
        RB_CLI_FLAG("plots", 0, &o.plots, "also the gnuplot figures per corruption (PNG and SVG under DIR/plots/)"),
        RB_CLI_FLAG("no-plots", 0, &o.no_plots, "no gnuplot figures (the default; kept for old scripts)"),
        RB_CLI_FLAG("plots-required", 0, &o.plots_required, "with --plots: fail when gnuplot is missing or fails"),
        RB_CLI_VALUE("gnuplot", 0, "PROG", &o.gnuplot, "gnuplot executable (default: gnuplot on PATH)"),
        RB_CLI_VALUE("corruption-table", 0, "DATASET", &o.corruption_table,
                     "only print the measured-effect table of DATASET (docs/corruptions.md)"),
        RB_CLI_VALUE("tolerance", 't', "X", &o.tolerance, "comparing runs: absolute tolerance for every metric (default 1e-6)"),
        RB_CLI_LIST("metric-tolerance", 0, "M=X[,M=X]", &o.metric_tolerances, "comparing runs: per-metric tolerance (as audit)"),
    };
    const int n_opts = RB_CLI_COUNT(opts);
    rb_cli_list pos;
    static const char synopsis[] = "RESULTS.h5 [--out DIR] [--metric ap|ap_step|roc_auc] [--plots]  |  A.h5 B.h5 ... [--out DIR]";
    static const char summary[] =
        "Write report.html (self-contained: ranking, overview heatmap, metric versus severity, missing modality, "
        "weights, provenance), overview.svg, results.json, summary.md, cells.csv, summaries.csv and comparisons.csv "
        "from a results file; print the "
        "headline. With several files: compare.html, the runs side by side, differences flagged.";
    int start = rb_cli_command(argc, argv, opts, n_opts, synopsis, summary, &pos);
    if (start != 0) return start == RB_ERR ? RB_ERR : 0; /* an error, or --help */
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (pos.n < 1) { /* seen alike by every rank (same argv): they agree, rank 0 prints */
        rb_fail("report: expected a RESULTS.h5 argument (or several to compare), got none (see robusta report --help)");
        rb_cli_free(opts, n_opts, &pos);
        return rb_mpi_agree(RB_ERR, &(MPI_Comm){MPI_COMM_WORLD});
    }
    int metric = 1;
    rb_audit_options ao;
    rb_audit_defaults(&ao, 1);
    int rc = o.metric ? rb_report_metric_parse(o.metric, &metric) : RB_OK;
    if (rc == RB_OK && o.tolerance) rc = rb_audit_set_tolerance(&ao, o.tolerance);
    for (int i = 0; rc == RB_OK && i < o.metric_tolerances.n; i++) rc = rb_audit_parse_tolerances(&ao, o.metric_tolerances.items[i]);
    if (rc == RB_OK && pos.n > 1 && o.corruption_table)
        rc = rb_fail("report: --corruption-table takes one RESULTS.h5, got %d files", pos.n);
    if (rc == RB_OK && rank == 0 && o.corruption_table) {
        rb_results r;
        rc = rb_results_require_consistent(pos.items[0]);
        if (rc == RB_OK) rc = rb_results_read(pos.items[0], &r);
        if (rc == RB_OK) {
            rc = rb_report_corruption_table(&r, o.corruption_table, stdout);
            rb_results_free(&r);
        }
    } else if (rc == RB_OK && rank == 0 && pos.n > 1) {
        rc = rb_report_compare_run(pos.items, pos.n, o.out, metric, &ao);
    } else if (rc == RB_OK && rank == 0) {
        rc = rb_report_run(pos.items[0], o.out, metric, o.plots || o.plots_required, o.plots_required, o.gnuplot);
    }
    rb_cli_free(opts, n_opts, &pos);
    return rb_mpi_agree(rc, &(MPI_Comm){MPI_COMM_WORLD}); /* rank 0 did the work: every rank leaves with its status */
}

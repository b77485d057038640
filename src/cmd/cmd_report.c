/* cmd_report.c - `robusta report RESULTS.h5`: the tables (summary.md, cells.csv) and the gnuplot
 * figures of a results file, into the file's directory or --out DIR (docs/results.md). The file must
 * pass the consistency check of `audit --check` first. Serial: under mpirun only rank 0 works. */
#include "rb_core.h"
#include "rb_cmd.h"
#include "rb_results.h"

#include <mpi.h>
#include <stdio.h>
#include <string.h>

/* The directory part of path ("." when it has none). */
static void rb_dirname(const char *path, char *buf, size_t cap) {
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(buf, cap, ".");
    else if (slash == path) snprintf(buf, cap, "/");
    else snprintf(buf, cap, "%.*s", (int)(slash - path), path);
}

static int rb_report_run(const char *results, const char *out, int plots, int plots_required, const char *gnuplot) {
    char dir[4096];
    if (out) snprintf(dir, sizeof dir, "%s", out);
    else rb_dirname(results, dir, sizeof dir);
    /* an inconsistent file (edited /cells, broken keys, changed digest) is refused before any table */
    RB_TRY_CTX(rb_results_require_consistent(results), "report");
    RB_TRY_CTX(rb_mkdir_p(dir), "report");
    rb_results r;
    RB_TRY_CTX(rb_results_read(results, &r), "report");
    int rc = rb_results_tables(&r, dir);
    if (rc == RB_OK) {
        rb_log("report: wrote %s/summary.md and %s/cells.csv", dir, dir);
        rc = rb_results_print_headline(&r, stdout);
    }
    if (rc == RB_OK && plots) {
        if (!rb_report_have_gnuplot(gnuplot)) {
            if (plots_required) rc = rb_fail("report: %s not found on PATH and --plots-required was given", gnuplot ? gnuplot : "gnuplot");
            else rb_log("report: %s not found on PATH; skipping the plots (tables written)", gnuplot ? gnuplot : "gnuplot");
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
    rb_results_free(&r);
    return rc;
}

/* What `robusta report` reads from its command line. */
struct report_options {
    const char *out;              /* --out DIR, or NULL: the directory of RESULTS.h5 */
    int no_plots;                 /* --no-plots */
    int plots_required;           /* --plots-required */
    const char *gnuplot;          /* --gnuplot PROG, or NULL: gnuplot on PATH */
    const char *corruption_table; /* --corruption-table DATASET: print only that table */
};

int rb_cmd_report(int argc, char **argv) {
    struct report_options o = {0};
    const rb_opt opts[] = {
        RB_CLI_VALUE("out", 'o', "DIR", &o.out, "output directory (default: the directory of RESULTS.h5)"),
        RB_CLI_FLAG("no-plots", 0, &o.no_plots, "tables only"),
        RB_CLI_FLAG("plots-required", 0, &o.plots_required, "fail when gnuplot is missing or fails (default: warn, tables only)"),
        RB_CLI_VALUE("gnuplot", 0, "PROG", &o.gnuplot, "gnuplot executable (default: gnuplot on PATH)"),
        RB_CLI_VALUE("corruption-table", 0, "DATASET", &o.corruption_table,
                     "only print the measured-effect table of DATASET (docs/corruptions.md)"),
    };
    const int n_opts = RB_CLI_COUNT(opts);
    rb_cli_list pos;
    static const char synopsis[] = "RESULTS.h5 [--out DIR] [--no-plots] [--plots-required]";
    static const char summary[] =
        "Write summary.md, cells.csv and plots (gnuplot: AP and dynamic weights versus severity, "
        "PNG and SVG under DIR/plots/) from a results file; print the headline.";
    if (rb_cli_command(argc, argv, opts, n_opts, synopsis, summary, &pos)) return 0; /* --help */
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (pos.n != 1) {
        rb_fail("report: expected one RESULTS.h5 argument, got %d (see robusta report --help)", pos.n);
        rb_die();
    }
    int rc = RB_OK;
    if (rank == 0 && o.corruption_table) {
        rb_results r;
        rc = rb_results_require_consistent(pos.items[0]);
        if (rc == RB_OK) rc = rb_results_read(pos.items[0], &r);
        if (rc == RB_OK) {
            rc = rb_report_corruption_table(&r, o.corruption_table, stdout);
            rb_results_free(&r);
        }
    } else if (rank == 0) {
        rc = rb_report_run(pos.items[0], o.out, !o.no_plots, o.plots_required, o.gnuplot);
    }
    rb_collective_check(rc, &(MPI_Comm){MPI_COMM_WORLD});
    rb_cli_free(opts, n_opts, &pos);
    return 0;
}

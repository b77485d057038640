/* rb_results.h - the results stage (src/results/): the benchmark's results in memory and in
 * results.h5, the tables and plots made from them, and the audit that compares two results files. */
#ifndef RB_RESULTS_H
#define RB_RESULTS_H

#include <stdint.h>
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>

#include "rb_core.h"
#include "rb_io.h"
#include "rb_score.h"

/* ---- the benchmark's results in memory, in canonical order (docs/formats.md "Results
 * file"): one condition row per grid cell, and per cell the metrics of every method and replica.
 * The grid fills it, results_file.c writes and reads results.h5, tables.c renders summary.md
 * and the csv files, and report/audit read it back. */

#define RB_RESULTS_MAX_METHODS 12

typedef struct {
    char dataset[64];
    char corruption[64];  /* clean | <name> | missing | <visual>+<audio> */
    char modality[8];     /* none | visual | audio | both */
    int32_t severity;     /* 1..5; 0 for clean and missing */
    char label[160];      /* condition path: clean, visual.fog, audio.missing, pair.fog+reverb */
    char source[16];      /* clean | surrogate | preextracted | none | mixed */
    double detect_auc[2]; /* visual, audio: GMM NLL ROC-AUC clean vs cell; NaN when not applicable */
    double weight[2];     /* visual, audio: mean dynamic weight */
    double diag[2][RB_DIAG_COUNT]; /* visual, audio: weighting diagnostics (rb_weight_diag); NaN when
                                      absent (missing modality, or a file written before they existed) */
    double oracle_gap[3]; /* ap, ap_step, roc_auc: shared-oracle - shared-dyn, mean over replicas;
                             NaN unless both methods are in the file (rb_results_fill_oracle_gap) */
    double seconds;       /* wall time of the cell (informational; not part of the metrics) */
    double positive_fraction; /* q: fraction of positive frames in the dataset's test set (chance
                               * levels: ap (1+q)/2, ap_step q); NaN when the file predates it */
} rb_result_cond;

typedef struct {
    int n_conds, n_methods, n_replicas;
    rb_result_cond *conds;                     /* [n_conds] canonical order */
    char methods[RB_RESULTS_MAX_METHODS][32];  /* method names of the columns, canonical order */
    double *ap, *ap_step, *roc_auc;            /* [n_conds][n_methods][n_replicas] */
    char *config_text;                         /* effective config of the run (may be NULL) */
    char *run_id;
    char *git_commit;                          /* commit of the robusta that ran it (NULL: unknown) */
    /* paired bootstrap (docs/metrics.md "Intervals"; src/results/bootstrap_stats.c) */
    int n_boot;  /* bootstrap resamples B; 0 when the file has no intervals */
    double confidence;      /* of every interval, e.g. 0.95 */
    char baseline[32];      /* method the corruption errors and effective robustness refer to */
    double *boot;           /* [n_conds][n_methods][3][n_boot]: ap, ap_step, roc_auc of each resample,
                             * averaged over replicas; NULL when n_boot = 0 */
    double *ap_lo, *ap_hi, *ap_step_lo, *ap_step_hi, *roc_auc_lo, *roc_auc_hi; /* [n_conds][n_methods], 95% percentile interval, NULL when absent */
    unsigned cond_columns;  /* RB_COND_HAS_*: the optional /conditions columns the file read had (reader only) */
} rb_results;
#define RB_COND_HAS_POSITIVE_FRACTION 1u
#define RB_COND_HAS_DIAG 2u       /* every weighting-diagnostic column, both modalities */
#define RB_COND_HAS_ORACLE_GAP 4u /* the three oracle-gap columns */

static inline int64_t rb_results_at(const rb_results *r, int cond, int method, int replica) {
    return ((int64_t)cond * r->n_methods + method) * r->n_replicas + replica;
}

/* Allocate the metric arrays (NaN-filled) and conditions (zeroed). */
int rb_results_alloc(rb_results *r, int n_conds, int n_methods, int n_replicas);
void rb_results_free(rb_results *r);
/* Mean and sample standard deviation (0 for one replica) over replicas of one metric array. */
void rb_results_mean_sd(const rb_results *r, const double *metric, int cond, int method, double *mean, double *sd);
/* Index of a method column by name, or -1. */
int rb_results_method(const rb_results *r, const char *name);

/* ---- bootstrap intervals, paired comparisons and robustness summaries (src/results/
 * bootstrap_stats.c, robustness.c; docs/metrics.md "Intervals" and "Robustness summaries"). */

/* Allocate r->boot for B resamples (NaN-filled) and record confidence and baseline. */
int rb_results_alloc_boot(rb_results *r, int n_boot, double confidence, const char *baseline);
/* The replica-mean of one metric (0 ap, 1 ap_step, 2 roc_auc) of a cell: in resample b, or the
 * point estimate for b < 0. */
double rb_results_value(const rb_results *r, int cond, int method, int metric, int b);
/* The n_boot resample values of one metric of a cell, contiguous (b = 0 .. n_boot - 1). */
const double *rb_results_boot_values(const rb_results *r, int cond, int method, int metric);
/* Fill ap_lo ... roc_auc_hi from r->boot (allocating them). No-op when n_boot = 0. */
int rb_results_boot_intervals(rb_results *r);

/* A paired difference of one metric on one cell: method - other, with its interval and the
 * fraction of resamples in which the difference is > 0. Rows: every method but the baseline
 * against the baseline, and shared-dyn against shared-mean. */
typedef struct {
    int cond, method, other, metric;
    double diff, lo, hi, frac_pos;
} rb_comparison;
int rb_results_comparisons(const rb_results *r, rb_comparison **rows, int64_t *n);

/* Robustness summaries (docs/metrics.md): per dataset, method, family and metric. */
typedef enum {
    RB_SUM_MEAN_CORRUPTED = 0, /* mean over the family's corrupted cells */
    RB_SUM_RELATIVE,           /* mean corrupted / clean */
    RB_SUM_SEVERITY_AUC,       /* normalised trapezoid area of metric versus severity 0..5 */
    RB_SUM_MCE,                /* mean corruption error, normalised to the baseline */
    RB_SUM_REL_MCE,            /* relative mCE (drops from clean), normalised to the baseline */
    RB_SUM_EFFECTIVE,          /* effective robustness against the baseline */
    RB_N_SUMMARIES
} rb_summary_kind;
const char *rb_summary_name(rb_summary_kind k);

typedef struct {
    char dataset[64];
    char family[96];  /* all | visual | audio | missing | pairs | <modality>.<corruption> */
    int method, metric;
    rb_summary_kind kind;
    double value, lo, hi; /* lo = hi = NaN without resamples */
} rb_summary;
/* Every summary of r; rows in (dataset, family, summary, metric, method) order. A summary that is
 * undefined for a family (e.g. the severity area of a missing modality) has no row. */
int rb_results_summaries(const rb_results *r, rb_summary **rows, int64_t *n);

/* Fill every condition's oracle_gap from the metric arrays (weights_table.c). */
void rb_results_fill_oracle_gap(rb_results *r);

/* Read a results.h5 written by robusta bench (checks format and shapes; /replicas rows are placed by
 * their keys, never by position; a duplicate, unknown or missing key is an error). */
int rb_results_read(const char *path, rb_results *r);

/* ---- internal consistency of one results file (results_check.c; docs/audit.md "audit --check"):
 * /conditions, /cells and /replicas matched by their key columns (dataset, corruption, modality,
 * severity, method, replica), never by position; keys unique and complete; /cells equal to the mean
 * and sample sd of its /replicas rows (bitwise); the SHA-256 digests stored in /digests at write
 * time (results_digest.c) equal to the file's columns. */

#define RB_CHECK_MAX_LISTED 20
typedef struct {
    int64_t n_problems;                    /* every problem found */
    int n_listed;                          /* the first RB_CHECK_MAX_LISTED, one line each */
    char lines[RB_CHECK_MAX_LISTED][320];  /* "MISMATCH /cells/ap ...", "DUPLICATE ...", ... */
    int keys_ok;                           /* /conditions and /replicas keys unique and complete */
    int64_t conds, cells, replicas;        /* rows of each table */
    int n_digests, digests_matching;       /* /digests rows, and how many match (0, 0: none stored) */
} rb_results_check;

/* Check path alone. RB_ERR only when it cannot be read as a results file; problems go to chk. */
int rb_results_check_file(const char *path, rb_results_check *chk);
/* The check as text: one line per listed problem, then "check: CONSISTENT" or
 * "check: INCONSISTENT (N problems)". */
void rb_results_check_print(const rb_results_check *chk, const char *path, FILE *out);
/* RB_OK when path is consistent, else one error naming the file, the first problem and the count
 * (what `report` runs before writing tables). */
int rb_results_require_consistent(const char *path);

/* A number as the tables print it: 4 decimals, "nan" for NaN, into buf (returned; results.c). */
const char *rb_results_fmt4(char *buf, size_t cap, double v);

/* s as a JSON string literal, quoted and escaped (NULL: ""); report_json.c. */
void rb_json_write_string(FILE *f, const char *s);

/* summary.md and cells.csv into dir (each via a temporary name, renamed when complete). */
int rb_results_tables(const rb_results *r, const char *dir);

/* ---- writing results.h5 collectively (the reader is declared in rb_results.h). */

/* Optional extra content (per-snippet scores) written into the open file by every rank. */
typedef int (*rb_scores_fn)(hid_t file, void *ctx);

/* Collective over comm. r must be complete and identical on every rank; owner[c] is the rank that
 * writes condition c's rows. Inputs are recorded in /provenance/inputs. Written to a fresh
 * <path>.tmp.XXXXXX (rb_h5_create_tmp) and renamed by rank 0 when complete. */
int rb_results_write(const char *path, const rb_results *r, const int *owner, MPI_Comm comm, char *const *inputs,
                     char *const *input_sha, int n_inputs, rb_scores_fn scores, void *scores_ctx);

/* ---- reading an rb_results as tables (docs/results.md): the layout of a dataset's
 * conditions into rows (one per corruption, grouped visual / audio / missing / pairs, one column per
 * severity), the headline numbers (clean AP, mean over every corrupted cell, drop, relative
 * robustness; mean and sd over replicas), the headline printed at the end of a run, and the gnuplot
 * figures of `robusta report`. rb_results_tables itself is declared in rb_results.h. */

#define RB_REPORT_MAX_SEV 16

typedef enum { RB_GROUP_VISUAL = 0, RB_GROUP_AUDIO, RB_GROUP_MISSING, RB_GROUP_PAIR, RB_N_GROUPS } rb_report_group;

const char *rb_report_group_name(rb_report_group g);

/* One corruption of one dataset: its conditions by severity. A missing modality has one condition
 * at severity 0. */
typedef struct {
    rb_report_group group;
    char modality[8];
    char corruption[64];
    int n_sev;
    int severity[RB_REPORT_MAX_SEV]; /* ascending */
    int cond[RB_REPORT_MAX_SEV];     /* condition index per severity */
} rb_report_row;

typedef struct {
    char dataset[64];
    int clean;                  /* condition index of the clean cell, -1 if absent */
    int n_rows;
    rb_report_row *rows;        /* visual, audio, missing, pairs; canonical order inside a group */
    int n_severities;           /* distinct severities > 0 over the dataset's rows (table columns) */
    int severities[RB_REPORT_MAX_SEV];
    int n_corrupted;            /* conditions other than clean */
    int *corrupted;             /* their indices, canonical order */
} rb_report_dataset;

/* Group the conditions of r by dataset (order of first appearance) and corruption. Fails on a
 * duplicate condition, an unknown modality or more than RB_REPORT_MAX_SEV severities. */
int rb_report_layout(const rb_results *r, rb_report_dataset **datasets, int *n_datasets);
void rb_report_layout_free(rb_report_dataset *datasets, int n_datasets);

/* One robustness summary of family "all" (every corrupted cell of dataset d) for one metric and
 * method, computed as rb_results_summaries computes it (robustness.c; the same numbers as that row of
 * summaries.csv) without computing the others: out = {value, lo, hi}; NaN where the summary does not
 * apply, lo = hi = NaN without resamples. */
int rb_results_summary_all(const rb_results *r, const rb_report_dataset *d, rb_summary_kind kind, int metric,
                           int method, double out[3]);

/* The "What the weights did" section of summary.md for one dataset (weights_table.c): on the clean
 * cell, per modality, how much the GMM NLL is itself an anomaly score and what that does to the
 * weights; over the corrupted cells of each modality (missing and pairs left out), how many the
 * weighting detects (detection ROC-AUC > 0.5) or reads backwards (< 0.5), the mean weight of the
 * corrupted modality and the gap between shared-oracle and shared-dyn. */
void rb_results_weights_table(FILE *f, const rb_results *r, const rb_report_dataset *d);

/* Mean and sample sd (0 for n = 1) of v[0..n-1], summed in index order; NaN propagates. */
void rb_report_stats(const double *v, int n, double *mean, double *sd);

/* Headline of one method and metric (an r->ap / ap_step / roc_auc array) on one dataset. Each number
 * is computed per replica, then averaged: [0] mean, [1] sample sd over replicas.
 *   clean     the clean cell
 *   corrupted mean over every corrupted cell of the dataset (each (corruption, severity) cell and
 *             each missing-modality cell weighs 1)
 *   drop      clean - corrupted
 *   relative  corrupted / clean (relative robustness) */
typedef struct {
    double clean[2], corrupted[2], drop[2], relative[2];
} rb_headline;
int rb_report_headline(const rb_results *r, const rb_report_dataset *d, const double *metric, int method,
                       rb_headline *h);

/* Mean over severities of one row, per replica, then mean and sd over replicas. */
void rb_report_row_mean(const rb_results *r, const rb_report_row *row, const double *metric, int method,
                        double *mean, double *sd);

/* The headline table (every dataset, every method; AP, step AP, ROC-AUC) as plain text, for the end
 * of a bench run (rank 0) and `robusta report`. Deterministic for identical metrics. */
int rb_results_print_headline(const rb_results *r, FILE *out);

/* The caveat printed beside the tables (one paragraph, markdown). */
extern const char rb_report_caveat[];

/* Plots with gnuplot into dir/plots/<dataset>/: AP versus severity per corruption (one line per
 * method, the clean AP dashed) and the dynamic weights versus severity (visual, audio), each as PNG
 * (pngcairo, or png when pngcairo is missing) and SVG. gnuplot is the program to run (NULL: "gnuplot"
 * from PATH). Returns RB_OK, or RB_ERR with a message (gnuplot failed: its first error line). */
int rb_report_plots(const rb_results *r, const char *dir, const char *gnuplot);
/* Whether a gnuplot executable is on PATH (or, for a name with '/', is executable). */
int rb_report_have_gnuplot(const char *gnuplot);
/* Write s to f as a gnuplot string literal (double quotes; '"' and '\' escaped). Refuses (RB_ERR,
 * nothing written) a string with any control character, so a name can never end a script line and
 * start a gnuplot command (a '!' line runs a shell). */
int rb_gnuplot_string(FILE *f, const char *s);

/* The markdown "measured effect" table of docs/corruptions.md for one dataset of a results file. */
int rb_report_corruption_table(const rb_results *r, const char *dataset, FILE *out);

/* ---- comparing two benchmark results (docs/audit.md): every metric cell matched by
 * (dataset, corruption, modality, severity, method, replica), the per-condition detection AUCs and
 * dynamic weights, and the provenance (effective config, input checksums, versions). The core,
 * rb_audit_compare, works on in-memory results, so `robusta audit A.h5 B.h5`, a reference check and
 * a rerun of a recorded job all share it. */

/* /provenance of a results file (docs/formats.md). Absent attributes read as NULL. */
typedef struct {
    char *robusta_version, *git_commit, *mpi_library, *hdf5_version, *openblas_config;
    char *host, *time_utc, *command;
    int64_t ranks; /* -1 when absent */
    char *config;  /* effective config text */
    char **inputs; /* "<sha256>  <path>" */
    int n_inputs;
} rb_audit_provenance;

int rb_audit_read_provenance(const char *path, rb_audit_provenance *p);
void rb_audit_provenance_free(rb_audit_provenance *p);

typedef enum {
    RB_AUDIT_AP = 0,
    RB_AUDIT_AP_STEP,
    RB_AUDIT_ROC_AUC,
    RB_AUDIT_DETECT_VISUAL,
    RB_AUDIT_DETECT_AUDIO,
    RB_AUDIT_WEIGHT_VISUAL,
    RB_AUDIT_WEIGHT_AUDIO,
    RB_AUDIT_POSITIVE_FRACTION, /* /conditions columns compared only when both files have them */
    RB_AUDIT_DIAGNOSTIC,        /* every <diagnostic>_visual / _audio column */
    RB_AUDIT_ORACLE_GAP,        /* oracle_gap_ap, _ap_step, _roc_auc */
    RB_AUDIT_N_METRICS
} rb_audit_metric;

const char *rb_audit_metric_name(rb_audit_metric m);

typedef struct {
    double tolerance[RB_AUDIT_N_METRICS]; /* absolute; 0 = bitwise equality (NaN equals NaN) */
    int reference;                         /* A is the accepted reference (labels and defaults) */
    int strict;                            /* provenance differences fail the audit too */
    int n_worst;                           /* worst cells listed */
} rb_audit_options;

/* Defaults: bitwise equality; reference mode: RB_AUDIT_REFERENCE_TOL for every metric. */
#define RB_AUDIT_REFERENCE_TOL 1e-6
void rb_audit_defaults(rb_audit_options *o, int reference);
/* Set every metric's tolerance from "X" (a finite number >= 0). */
int rb_audit_set_tolerance(rb_audit_options *o, const char *value);
/* Per-metric tolerances "name=X[,name=X]...": names ap, ap_step, roc_auc, detect_auc_visual,
 * detect_auc_audio, weight_visual, weight_audio, positive_fraction, diagnostic, oracle_gap, and
 * detect_auc / weight for both modalities. */
int rb_audit_parse_tolerances(rb_audit_options *o, const char *spec);

/* One value beyond tolerance (or one missing / extra cell, metric = -1). */
typedef struct {
    char key[256]; /* dataset/modality.corruption/s<severity>/method/r<replica> */
    int metric;
    double a, b, diff;
    int64_t seq;   /* canonical position, for a deterministic order among equal diffs */
} rb_audit_diff;

typedef struct {
    int64_t compared[RB_AUDIT_N_METRICS], beyond[RB_AUDIT_N_METRICS];
    double max_abs[RB_AUDIT_N_METRICS];  /* over compared pairs; inf when a NaN meets a number */
    int64_t cell_rows;       /* (condition, method) rows of A */
    int64_t cells_beyond;    /* matched rows with a value beyond tolerance (or a replica missing) */
    int64_t conds_compared, conds_beyond; /* conditions: detection AUCs and weights */
    int64_t missing, extra;  /* rows of A absent from B, rows of B absent from A */
    int64_t n_fail;          /* cells_beyond + conds_beyond + missing + extra */
    rb_audit_diff *diffs;    /* values beyond tolerance, worst first */
    int64_t n_diffs;
    rb_audit_diff *absent;   /* missing (b = NaN) and extra (a = NaN) rows, canonical order */
    int64_t n_absent;
    char **prov_lines;       /* provenance comparison, one line each */
    int n_prov_lines;
    int config_differs, inputs_differ, versions_differ;
    int provenance_fails;    /* a provenance difference under strict */
    int match;               /* the verdict */
    rb_results_check check[2]; /* rb_audit_files: the internal consistency of A and B (counted in n_fail) */
    int checked;             /* check[] filled */
} rb_audit_report;

/* Compare b against a. pa / pb may be NULL (no provenance comparison). */
int rb_audit_compare(const rb_results *a, const rb_audit_provenance *pa, const rb_results *b,
                     const rb_audit_provenance *pb, const rb_audit_options *o, rb_audit_report *rep);
/* The human- and script-readable report; its last line is "audit: MATCH" or
 * "audit: DIFFER (N cells beyond tolerance)". */
void rb_audit_print(const rb_audit_report *rep, const rb_audit_options *o, const char *name_a, const char *name_b,
                    FILE *out);
void rb_audit_report_free(rb_audit_report *rep);

/* Read both files (rb_results_read and their /provenance) and compare them. */
int rb_audit_files(const char *path_a, const char *path_b, const rb_audit_options *o, rb_audit_report *rep);

/* JUnit XML of an audit (docs/audit.md "JUnit"): one test case per (condition, method) cell of A
 * and per condition's detection AUCs and weights, failed when beyond tolerance, missing from B or
 * extra in B; plus one test case per provenance check (config, inputs, versions), failed only under
 * --strict. a and b are the results files the report was made from (b may be NULL; when their replica
 * counts differ, every cell row of A fails, as the text report counts it). */
int rb_audit_junit(const rb_results *a, const rb_results *b, const rb_audit_report *rep, const rb_audit_options *o,
                   const char *name_a, const char *name_b, FILE *out);

/* ---- report.html, results.json and the JUnit audit report (docs/results.md, docs/formats.md) */

/* Metric by name: ap 0, ap_step 1, roc_auc 2. */
int rb_report_metric_parse(const char *name, int *metric);
/* dir/report.html (self-contained: inline style, figures as embedded SVG) and dir/overview.svg (the
 * overview heatmap as a multi-panel figure). p (provenance, for the page) may be NULL. */
int rb_report_html(const rb_results *r, const rb_audit_provenance *p, const char *results_path, const char *dir,
                   int metric);
/* dir/compare.html comparing n >= 2 runs: the headline per (dataset, method) with a column per run,
 * the cells whose values differ from run 0's beyond the audit tolerances o, and each run's
 * provenance. Sets *n_flagged to the number of flagged (run, cell) pairs. */
int rb_report_compare_html(const rb_results *runs, const rb_audit_provenance *provs, char *const *paths, int n,
                           const char *dir, int metric, const rb_audit_options *o, int64_t *n_flagged);
/* dir/results.json (docs/formats.md "results.json"); p may be NULL. */
int rb_results_json(const rb_results *r, const rb_audit_provenance *p, const char *dir);

#endif

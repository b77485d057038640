/* rb_report.h - reading an rb_results as tables (docs/results.md): the layout of a dataset's
 * conditions into rows (one per corruption, grouped visual / audio / missing / pairs, one column per
 * severity), the headline numbers (clean AP, mean over every corrupted cell, drop, relative
 * robustness; mean and sd over replicas), the headline printed at the end of a run, and the gnuplot
 * figures of `robusta report`. rb_results_tables itself is declared in rb_results.h. */
#ifndef RB_REPORT_H
#define RB_REPORT_H

#include <stdio.h>

#include "rb_results.h"

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

/* The markdown "measured effect" table of docs/corruptions.md for one dataset of a results file. */
int rb_report_corruption_table(const rb_results *r, const char *dataset, FILE *out);

#endif

/* rb_audit.h - comparing two benchmark results (docs/audit.md): every metric cell matched by
 * (dataset, corruption, modality, severity, method, replica), the per-condition detection AUCs and
 * dynamic weights, and the provenance (effective config, input checksums, versions). The core,
 * rb_audit_compare, works on in-memory results, so `robusta audit A.h5 B.h5`, a reference check and
 * a rerun of a recorded job all share it. */
#ifndef RB_AUDIT_H
#define RB_AUDIT_H

#include <stdint.h>
#include <stdio.h>

#include "rb_results.h"

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
 * detect_auc_audio, weight_visual, weight_audio, and detect_auc / weight for both modalities. */
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

#endif

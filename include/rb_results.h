/* rb_results.h - the benchmark's results in memory, in canonical order (docs/formats.md "Results
 * file"): one condition row per grid cell, and per cell the metrics of every method and replica.
 * The grid fills it, results_io.c writes and reads results.h5, results_tables.c renders summary.md
 * and cells.csv, and report/audit read it back. */
#ifndef RB_RESULTS_H
#define RB_RESULTS_H

#include <stdint.h>

#define RB_RESULTS_MAX_METHODS 8

typedef struct {
    char dataset[64];
    char corruption[64];  /* clean | <name> | missing | <visual>+<audio> */
    char modality[8];     /* none | visual | audio | both */
    int32_t severity;     /* 1..5; 0 for clean and missing */
    char label[160];      /* condition path: clean, visual.fog, audio.missing, pair.fog+reverb */
    char source[16];      /* clean | surrogate | preextracted | none | mixed */
    double detect_auc[2]; /* visual, audio: GMM NLL ROC-AUC clean vs cell; NaN when not applicable */
    double weight[2];     /* visual, audio: mean dynamic weight */
    double seconds;       /* wall time of the cell (informational; not part of the metrics) */
} rb_result_cond;

typedef struct {
    int n_conds, n_methods, n_replicas;
    rb_result_cond *conds;                     /* [n_conds] canonical order */
    char methods[RB_RESULTS_MAX_METHODS][32];  /* method names of the columns, canonical order */
    double *ap, *ap_step, *roc_auc;            /* [n_conds][n_methods][n_replicas] */
    char *config_text;                         /* effective config of the run (may be NULL) */
    char *run_id;
} rb_results;

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

/* Read a results.h5 written by robusta bench (checks format, shapes and canonical layout). */
int rb_results_read(const char *path, rb_results *r);

/* summary.md and cells.csv into dir (each via a temporary name, renamed when complete). */
int rb_results_tables(const rb_results *r, const char *dir);

#endif

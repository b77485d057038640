/* grid_internal.h - what the files of the distributed grid run share (private to src/grid/): the
 * run's state (rb_grid), the packed record of one finished cell, and the steps each file supplies
 * to rb_grid_run (run.c): dataset selection and shard plan (plan.c), the run directory (run_dir.c),
 * log and progress lines (progress.c), saved per-snippet scores (saved_scores.c), the memory
 * figures (memory_report.c), cells split over ranks (split.c, with the cell steps of run.c it
 * shares), and the clean pass shared over ranks (clean_pass.c). */
#ifndef RB_GRID_INTERNAL_H
#define RB_GRID_INTERNAL_H

#include "rb_grid.h"
#include "rb_core.h"
#include "rb_io.h"
#include "rb_corrupt.h"
#include "rb_model.h"
#include "rb_results.h"
#include "rb_score.h"

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>

/* Packed record of one finished cell: header, per-modality figures, metrics [M][R][3]. */
enum { RB_REC_CELL, RB_REC_SECONDS, RB_REC_W0, RB_REC_W1, RB_REC_D0, RB_REC_D1, RB_REC_SRC0, RB_REC_SRC1, RB_REC_HEAD };

/* A method's last bootstrapped scores on this rank and their per-resample values: the bootstrap is a
 * function of the scores (with the dataset's fixed resamples), so a cell whose scores of that method
 * equal them bit for bit (the audio method in a visual cell, the visual one in an audio cell: the
 * clean scores) takes the values instead of walking the resamples again. */
typedef struct {
    int dataset;   /* -1: empty */
    float *scores; /* [R][S] */
    double *values; /* [3][B] */
} rb_boot_memo;

typedef struct {
    const rb_config *cfg;
    const rb_dataset_spec *specs;
    int n_specs;
    MPI_Comm comm;
    int rank, size;
    rb_dataset *data;
    MPI_Win *data_win;
    rb_model *models;       /* [n_specs]; loaded for datasets trained on themselves */
    int *model_of;          /* dataset -> index of the spec whose model scores it */
    rb_corrupt_ctx *ctx;
    rb_scorer **scorer;     /* lazily built per dataset */
    MPI_Win *clean_win;     /* per dataset: the node-shared window of its scorer's clean arrays (clean_pass.c),
                             * MPI_WIN_NULL when the scorer owns them; freed after the scorer */
    int *selected;          /* dataset runs in this job (all, or the --datasets shard) */
    int *model_loaded;
    rb_cell *cells;
    int n_cells, M, R, rec_len;
    rb_method methods[RB_N_METHODS];
    double *records;        /* [n_cells][rec_len] */
    int *have;              /* record present */
    int *computed_here;     /* computed by this rank in this attempt; after rb_grid_share: the rank
                             * that writes the cell's rows */
    int64_t chunk_rows;
    double reuse_mb;
    int linear_corruptions;         /* grid.linear_corruptions: the scorers' linear shortcut (rb_scorer_set_linear) */
    const rb_grid_options *opt;
    FILE *log;              /* rank 0: <run>/log.txt */
    int attempt;            /* this attempt's number (0 for a new run) */
    char **inputs, **shas;  /* [n_inputs] input files and their SHA-256, on every rank */
    int n_inputs;
    int B;                  /* stats.bootstrap resamples (0: none) */
    double confidence;      /* stats.confidence */
    char baseline[32];      /* stats.baseline */
    rb_boot_plan **boot_plan; /* per dataset, lazily: its resamples, prepared for the walk (rb_boot_plan_init) */
    rb_boot_memo *boot_memo; /* per method, lazily: the last scores bootstrapped and their values */
    int64_t boot_walked, boot_reused; /* this rank's methods x cells bootstrapped, and taken from boot_memo */
    rb_journal_tag ident;   /* the run's identity (version, commit, config and inputs digests; key unset),
                             * on every rank after rb_grid_open_run; each journal record carries it */
} rb_grid;

/* ---- methods.c: the methods of the run */

/* grid.methods, in canonical order, less those whose detector the model did not train (the
 * standard six then run exactly as before the key existed). Unknown names are errors. */
int rb_grid_methods(const rb_config *cfg, const rb_model *model, rb_method *methods, int *n);

/* ---- plan.c: which datasets run, and their cells */

/* Parse the --datasets list (comma-separated names, NULL for all) into selected[n_specs]. A name
 * that is no dataset of the config, or a list that selects none, is an error. */
int rb_grid_select_datasets(const rb_dataset_spec *specs, int n_specs, const char *list, int *selected);
/* rb_grid_plan, keeping only the cells of the selected datasets (a shard), in canonical order. */
int rb_grid_plan_selected(const rb_config *cfg, int n_specs, const int64_t *snippets, const int *selected,
                          rb_cell **cells, int *n_cells);

/* ---- manifest.c: manifest.txt, the identity of a run (docs/run-directory.md) */

typedef struct {
    char version[64], commit[64];
    char config_digest[65];  /* SHA-256 of the effective config text */
    char inputs_digest[65];  /* rb_inputs_digest of the input list */
    char datasets[1024];     /* the --datasets shard, or "all" */
    int save_scores;
    char **inputs;           /* [n_inputs] "<sha256>  <path>" */
    int n_inputs;
    char **cells;            /* [n_cells] cell keys "<dataset>/<label>/<severity>" in canonical order */
    int n_cells;
} rb_manifest;

/* The entries robusta owns in a run directory (NULL-terminated; folders end in '/'), and whether a
 * directory entry is one of them (or a temporary "<owned file>.<suffix>"). */
extern const char *const rb_run_owned[];
int rb_run_owns(const char *entry, int is_dir);
/* SHA-256 of a text, and of an input list ("<sha>  <path>\n" per input). */
void rb_sha256_text(const char *text, char hex[65]);
void rb_inputs_digest(char *const *shas, char *const *paths, int n, char hex[65]);
/* The manifest text (malloc'd, NULL on error with the message set); config_text goes last. */
char *rb_manifest_format(const rb_manifest *m, const char *config_text);
/* Parse a manifest text read from path; a manifest of an older robusta or a damaged one is an error. */
int rb_manifest_parse(const char *path, const char *text, rb_manifest *m);
void rb_manifest_free(rb_manifest *m);
/* The first field in which now differs from the run's manifest, as an error naming it (inputs only
 * when with_inputs); RB_OK when none differs. */
int rb_manifest_compare(const char *path, const rb_manifest *run, const rb_manifest *now, int with_inputs);

/* ---- run_dir.c: the run directory <run>/ (rank 0 works, every rank calls) */

/* rb_grid_claim_run_dir (rb_grid.h) unless this process already claimed opt->run_dir, then
 * <run>/scores/ for --save-scores. Collective; the status is agreed by every rank (rb_mpi_agree), as
 * for the functions below. */
int rb_grid_make_run_dir(const rb_grid *g);
/* Open <run>/log.txt, checksum the inputs, write manifest.txt (a new run) or compare it with this
 * job's identity including the inputs (a resumed run), decide the attempt number; every rank
 * receives g->attempt, g->inputs / g->shas and g->ident. Needs g->cells. Collective. */
int rb_grid_open_run(rb_grid *g);
/* --resume: the records committed to <run>/journal/ by earlier attempts (logs how many). A record
 * made by another identity, or whose key names no cell of the run, is an error. Collective. */
int rb_grid_restore(rb_grid *g);
/* The key of cell idx: "<dataset>/<condition label>/<severity>". */
void rb_grid_cell_key(const rb_grid *g, int idx, char *buf, size_t cap);
/* Append the record of cell idx to this rank's journal, tagged with its key and the run identity. */
int rb_grid_journal_append(const rb_grid *g, rb_journal *j, int idx, const double *rec);

/* ---- progress.c: rank 0's log lines and the per-cell progress */

/* Rank 0: "robusta: <line>" to stderr (unless rb_log_quiet) and <line> to <run>/log.txt. */
void rb_grid_log(const rb_grid *g, const char *fmt, ...) RB_PRINTF(2, 3);

typedef struct {
    int done, todo, total;
    int ranks_finished; /* rank 0: other ranks that sent their end-of-loop marker */
    double t0;
    rb_eta eta; /* remaining time from the cells' predicted costs (rb_cell.cost) */
    unsigned char started[64]; /* datasets with a finished cell (setup time paid); 64 at most tracked */
    unsigned char in_todo[64]; /* datasets with cells in this attempt */
    int setup_measured;
} rb_progress;

/* todo: the indices of the cells this attempt computes (for their predicted cost). */
void rb_progress_start(const rb_grid *g, rb_progress *p, const int *todo, int n_todo);
/* A cell this rank finished: rank 0 prints its line (and those other ranks sent), other ranks send
 * it to rank 0. */
void rb_progress_cell_done(const rb_grid *g, rb_progress *p, int idx, double seconds);
/* Every rank, when it takes no more cells (done or failed): the other ranks send rank 0 an end
 * marker, and rank 0 prints the lines of the cells other ranks finished until every marker is in
 * (so a rank that stopped on an error never leaves rank 0 waiting). */
void rb_progress_finish(const rb_grid *g, rb_progress *p);

/* ---- saved_scores.c: --save-scores, per-snippet scores of each cell in <run>/scores/ until they
 * are copied into results.h5 */

/* Scores [M][R][S] of cell idx to <run>/scores/cell-NNNNNN.f32 (atomic, before the journal record). */
int rb_grid_save_cell_scores(const rb_grid *g, int idx, const float *scores, size_t n);
/* rb_results_write's extra-data callback: truth and scores groups, each cell written by its owner. */
int rb_grid_write_scores(hid_t file, void *grid);
/* Remove the cell score files this rank wrote into results.h5. */
void rb_grid_remove_saved_scores(const rb_grid *g);

/* ---- bootstrap_cell.c: the paired bootstrap of a cell (its record holds, after the metrics,
 * [M][3][B] per-resample values, the replica mean) */

/* Read stats.bootstrap, stats.confidence and stats.baseline into g. */
int rb_grid_boot_config(rb_grid *g);
/* Rank 0 logs a note when the baseline is none of the run's methods (its summaries are then absent;
 * a config that trains no concat detector stays valid). */
void rb_grid_boot_note_baseline(const rb_grid *g);
/* Per-resample metrics of a cell of dataset from its scores [M][R][S] into out [M][3][B]. */
int rb_grid_boot_cell(rb_grid *g, int dataset, const float *scores, double *out);
void rb_grid_boot_free(rb_grid *g);
/* Stable id of a dataset name (FNV-1a), keying its corruption and bootstrap streams. */
uint32_t rb_grid_dataset_id(const char *name);

/* ---- run.c: the steps of one cell, shared by whole cells and split cells (split.c) */

/* The scorer of dataset d: the one the shared clean pass built (clean_pass.c), or built here on this
 * rank alone at its first use (the whole clean pass, docs/scaling.md "I"). */
int rb_grid_scorer(rb_grid *g, int d);
/* The conditions of cell idx per modality (corruption, severity, missing) with its pre-extracted
 * corrupted features when grid.source finds them (pre[m]: to free, also on error), and the source
 * code of each modality (src[m]: 0 clean, 1 surrogate, 2 pre-extracted, 3 missing). */
int rb_grid_cell_condition(const rb_grid *g, int idx, rb_modality_condition cond[2], float *pre[2], int src[2]);
/* The record of cell idx from its scored result (head, metrics, diagnostics, bootstrap resamples);
 * res is freed, *scores_out takes its scores [M][R][S]. */
int rb_grid_cell_record(rb_grid *g, int idx, rb_cell_result *res, const int src[2], double *rec, float **scores_out);
/* A whole cell on this rank: scored, recorded, committed. */
int rb_grid_do_cell(rb_grid *g, rb_journal *jr, int idx, double *rec);
/* The scores saved (--save-scores; frees scores) and the record journalled. */
int rb_grid_commit_cell(rb_grid *g, rb_journal *jr, int idx, const double *rec, float *scores);
/* A committed cell: its record kept in g, and its progress line. */
void rb_grid_cell_finished(rb_grid *g, rb_progress *prog, int idx, const double *rec);

/* ---- split.c: cells split over ranks when ranks outnumber the cells still to do */

/* Ranks per cell: n_ranks[k] >= 1 for each of the n cells (cost[k], at most cap[k] ranks: its
 * blocks, 1 for a cell that recomputes nothing); each of the P - n spare ranks goes, in turn, to the
 * cell with the largest cost per rank still below its cap (ties: the lower k). Returns how many
 * ranks got a cell (P, or fewer when every cell reached its cap). */
int rb_grid_split_ranks(const double *cost, const int64_t *cap, int n, int P, int *n_ranks);
/* Every todo cell on a group of ranks (rb_grid_split_ranks, consecutive ranks in todo order); the
 * group's first rank owns the cell: each rank of the group scores a contiguous range of the cell's
 * blocks (the scorer's chunks: rb_score_blocks), the owner gathers their packed results (MPI_Gatherv
 * in the group's communicator), finishes, records, commits and reports the cell. A group of one rank
 * scores its cell whole (rb_grid_do_cell). Ends with rb_progress_finish; the caller agrees on the
 * outcome over every rank. */
int rb_grid_compute_split(rb_grid *g, rb_journal *jr, const int *todo, int n_todo, double *rec, rb_progress *prog);

/* ---- clean_pass.c: the clean pass of each dataset, computed once across the ranks */

/* For every dataset with a cell in todo and no scorer yet, in dataset order: its scorer on every
 * rank with its clean arrays in one node-shared window per node (g->clean_win[d]), the clean blocks
 * dealt contiguously over the nodes and then each node's ranks, scored into the window, exchanged
 * between the nodes in row ranges, and finished (clean weights, shared-decor fit) on every rank;
 * bitwise the scorer rb_scorer_init builds. Collective; returns a status every rank agrees on. */
int rb_grid_clean_pass(rb_grid *g, const int *todo, int n_todo);

/* ---- memory_report.c */

/* Collective over comm: the largest per-rank peak resident set and the largest per-node sum of
 * proportional set sizes (PSS counts the node-shared windows once), in MiB, valid on rank 0. */
void rb_memory_peaks(MPI_Comm comm, double *rss_max_mib, double *node_pss_max_mib);

#endif

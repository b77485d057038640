/* rb_grid.h - the grid stage (src/grid/): the cells of a config in canonical order, bringing the
 * inputs (datasets, models) up to date, and the distributed run of the grid. */
#ifndef RB_GRID_H
#define RB_GRID_H

#include <mpi.h>
#include <stdint.h>

#include "rb_core.h"
#include "rb_data.h"
#include "rb_results.h"

/* ---- the benchmark grid: cells = datasets x conditions (clean, every corruption x severity,
 * missing per modality, co-occurring pairs), their canonical order (docs/formats.md), cost estimates
 * for load balancing, and the distributed run (rb_grid_run). */

typedef struct {
    int dataset;          /* index into the specs */
    int32_t corr_id[2];   /* registry id per modality (visual, audio), 0 = clean */
    int severity;         /* 1..5, 0 for clean and missing */
    int missing[2];
    char corruption[64];  /* results column: clean | name | missing | visual+audio */
    char modality[8];     /* none | visual | audio | both */
    char label[160];      /* condition path (scores group) */
    double cost;          /* estimated relative cost (for load balancing) */
} rb_cell;

/* Enumerate the cells of the config's n_datasets datasets in canonical order. snippets[d]: test
 * snippets of dataset d (for cost estimates; may be NULL: unit costs). */
int rb_grid_plan(const rb_config *cfg, int n_datasets, const int64_t *snippets, rb_cell **cells, int *n_cells);

typedef struct {
    const char *run_dir;  /* results/<run-id> */
    int resume;           /* skip cells committed to the journal */
    int save_scores;      /* per-snippet scores and truth into results.h5 */
    int progress_tty;     /* rank 0: an updating progress line instead of one line per cell */
    const char *datasets; /* comma-separated dataset names to run (a shard), or NULL for all */
    int progress_json;    /* rank 0: one JSON object per finished cell on stdout (docs/formats.md) */
} rb_grid_options;

/* Claim the run directory opt->run_dir for this job, before any input is built (docs/run-directory.md).
 * A new run (or --resume of a directory that holds no manifest) needs an absent or empty directory,
 * or one that holds only robusta's own files of a run that committed no cell (they are reset). Rank
 * 0 takes an exclusive lock, <run>/run.lock (flock), held until the process ends: a second job on
 * the same directory is refused. --resume of a directory with committed cells compares the run's
 * manifest (robusta version, git commit, config digest, --datasets, --save-scores, cell keys) and
 * refuses, naming the field that differs; a journal without a manifest is refused. Collective: the
 * outcome is agreed by every rank before it returns; errors end the job with rank 0's message.
 * rb_grid_run claims the directory itself when its caller has not. */
int rb_grid_claim_run_dir(const rb_config *cfg, const rb_dataset_spec *specs, int n_specs,
                          const rb_grid_options *opt, MPI_Comm comm);

/* Run the grid of cfg over the ranks of comm: every dataset's test split (node-shared), the models it
 * is scored with, dynamic cost-ordered scheduling, a per-rank journal of finished cells, results.h5
 * written collectively, and on rank 0 the tables. *results (rank 0) receives the full results. */
int rb_grid_run(const rb_config *cfg, const rb_dataset_spec *specs, int n_specs, const rb_grid_options *opt,
                MPI_Comm comm, rb_results *results);

/* ---- bringing a config's inputs up to date before a stage runs: synthetic datasets are
 * built when missing, models are trained when missing; inputs that exist are checked against the
 * recipe they record (dataset generator parameters; model: checksum of the train split it learns
 * from + training, GMM and weighting settings + seed) and never silently rebuilt. Collective over
 * comm. */

/* Datasets only (rank 0 builds; every rank returns after the files exist). */
int rb_pipeline_datasets(const rb_config *cfg, const rb_dataset_spec *specs, int n, int force, MPI_Comm comm);
/* Datasets, then the models of every dataset with train_on = self. */
int rb_pipeline_models(const rb_config *cfg, const rb_dataset_spec *specs, int n, int force, MPI_Comm comm);
/* The model recipe of a dataset file (its train-split digest and the training-relevant settings). */
int rb_pipeline_model_recipe(const rb_config *cfg, const char *dataset_path, char *buf, size_t cap);

#endif

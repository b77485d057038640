/* cmd_bench.c - `robusta bench -c CFG`: the main job. Brings datasets and models up to date, runs the
 * grid over the MPI ranks, writes results/<run-id>/ and prints the summary. */
#include "rb_core.h"
#include "rb_cmd.h"
#include "rb_grid.h"
#include "rb_results.h"
#include "setup.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


int rb_cmd_bench(int argc, char **argv) {
    rb_opt opts[] = {
        {"config", 'c', RB_OPT_VALUE, "CFG", "experiment config (configs/default.cfg)", 0, NULL, NULL, 0},
        {"set", 0, RB_OPT_LIST, "KEY=VALUE", "override a config key (repeatable)", 0, NULL, NULL, 0},
        {"out", 'o', RB_OPT_VALUE, "DIR", "run directory (default: <run.out_root>/<run.id>)", 0, NULL, NULL, 0},
        {"resume", 0, RB_OPT_FLAG, "", "continue the run in the run directory, skipping committed cells", 0, NULL, NULL, 0},
        {"save-scores", 0, RB_OPT_FLAG, "", "store per-snippet scores and truth in results.h5", 0, NULL, NULL, 0},
        {"force", 0, RB_OPT_FLAG, "", "rebuild synthetic datasets and retrain models even if present", 0, NULL, NULL, 0},
        {"datasets", 0, RB_OPT_VALUE, "A,B", "run only these datasets (a shard; combine shards with robusta merge)", 0, NULL, NULL, 0},
    };
    const int n_opts = (int)(sizeof opts / sizeof opts[0]);
    char **pos;
    int n_pos;
    static const char synopsis[] = "-c CFG [--out DIR] [--resume] [--save-scores] [--datasets A,B] [--set KEY=VALUE]...";
    static const char summary[] =
        "Run the benchmark grid (datasets x clean/corruption x severity/missing) under mpirun or\n"
        "srun: corrupted test features per cell, every method and trained replica, frame-level AP,\n"
        "step AP and ROC-AUC. Missing synthetic datasets and models are built first. Writes\n"
        "results.h5 (parallel HDF5), summary.md, cells.csv and log.txt into the run directory;\n"
        "identical numbers on any rank count. A killed run continues with --resume.";
    if (rb_cli_config_command(argc, argv, opts, n_opts, synopsis, summary, &pos, &n_pos)) {
        rb_cli_free(opts, n_opts, pos);
        return 0;
    }
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    rb_config *cfg;
    rb_dataset_spec *specs;
    int n;
    if (rb_setup_command(opts[0].value, opts[1].values, opts[1].n_values, &cfg) != RB_OK) rb_die();
    if (rb_dataset_specs(cfg, &specs, &n) != RB_OK) rb_die();
    char run_dir[4096];
    if (opts[2].value) {
        snprintf(run_dir, sizeof run_dir, "%s", opts[2].value);
    } else {
        const char *root, *id;
        if (rb_config_string(cfg, "run.out_root", &root) || rb_config_string(cfg, "run.id", &id)) rb_die();
        char stamp[64] = "";
        if (!id[0] && rank == 0) {
            time_t now = time(NULL);
            struct tm tm;
            gmtime_r(&now, &tm);
            strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        }
        MPI_Bcast(stamp, sizeof stamp, MPI_CHAR, 0, MPI_COMM_WORLD);
        snprintf(run_dir, sizeof run_dir, "%s/%s", root, id[0] ? id : stamp);
    }
    if (rb_pipeline_models(cfg, specs, n, opts[5].given, MPI_COMM_WORLD) != RB_OK) rb_die();
    rb_grid_options go = {run_dir, opts[3].given, opts[4].given, rank == 0 && isatty(2), opts[6].value};
    rb_results res;
    if (rb_grid_run(cfg, specs, n, &go, MPI_COMM_WORLD, &res) != RB_OK) rb_die();
    if (rank == 0) {
        rb_results_print_headline(&res, stdout);
        printf("\nfull tables: %s/summary.md, %s/cells.csv; results: %s/results.h5\n", run_dir, run_dir, run_dir);
    }
    rb_results_free(&res);
    free(specs);
    rb_config_free(cfg);
    rb_cli_free(opts, n_opts, pos);
    return 0;
}

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

/* What `robusta bench` reads from its command line. */
struct bench_options {
    rb_cli_config config; /* -c CFG, --set KEY=VALUE... */
    const char *out;      /* --out DIR, or NULL: <run.out_root>/<run.id> */
    int resume;           /* --resume */
    int save_scores;      /* --save-scores */
    int force;            /* --force */
    const char *datasets; /* --datasets A,B, or NULL: every dataset */
    const char *progress; /* --progress text|json, or NULL: text */
};

/* The run directory: --out DIR, else <run.out_root>/<run.id>, or a UTC time stamp (rank 0's clock,
 * broadcast) when run.id is empty. */
static int rb_bench_run_dir(const rb_config *cfg, const char *out, int rank, char *run_dir, size_t cap) {
    if (out) {
        snprintf(run_dir, cap, "%s", out);
        return RB_OK;
    }
    const char *root, *id;
    if (rb_config_string(cfg, "run.out_root", &root) || rb_config_string(cfg, "run.id", &id))
        return RB_ERR; /* the same on every rank: the config is identical */
    if (id[0] && rb_check_name("run.id", id) != RB_OK) return RB_ERR; /* one directory under run.out_root */
    char stamp[64] = "";
    if (!id[0] && rank == 0) {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    }
    MPI_Bcast(stamp, sizeof stamp, MPI_CHAR, 0, MPI_COMM_WORLD);
    snprintf(run_dir, cap, "%s/%s", root, id[0] ? id : stamp);
    return RB_OK;
}

int rb_cmd_bench(int argc, char **argv) {
    struct bench_options o = {0};
    const rb_opt opts[] = {
        RB_CLI_CONFIG(&o.config, "required: the experiment config, e.g. configs/default.cfg"),
        RB_CLI_VALUE("out", 'o', "DIR", &o.out, "run directory (default: <run.out_root>/<run.id>)"),
        RB_CLI_FLAG("resume", 0, &o.resume, "continue the run in the run directory, skipping committed cells"),
        RB_CLI_FLAG("save-scores", 0, &o.save_scores, "store per-snippet scores and truth in results.h5"),
        RB_CLI_FLAG("force", 0, &o.force, "rebuild synthetic datasets and retrain models even if present"),
        RB_CLI_VALUE("datasets", 0, "A,B", &o.datasets, "run only these datasets (a shard; combine shards with robusta merge)"),
        RB_CLI_VALUE("progress", 0, "MODE", &o.progress, "text (default) or json: grid progress as JSON lines on stdout"),
    };
    const int n_opts = RB_CLI_COUNT(opts);
    rb_cli_list pos;
    static const char synopsis[] = "-c CFG [--out DIR] [--resume] [--save-scores] [--datasets A,B] [--set KEY=VALUE]...";
    static const char summary[] =
        "Run the benchmark grid (datasets x clean/corruption x severity/missing) under mpirun or\n"
        "srun: corrupted test features per cell, every method and trained replica, frame-level AP,\n"
        "step AP and ROC-AUC. Missing synthetic datasets and models are built first. Writes\n"
        "results.h5 (parallel HDF5), summary.md, cells.csv and log.txt into the run directory;\n"
        "identical numbers on any rank count. A killed run continues with --resume.";
    int start = rb_cli_config_command(argc, argv, opts, n_opts, synopsis, summary, &o.config, &pos);
    if (start != 0) return start == RB_ERR ? RB_ERR : 0; /* an error, or --help */
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    rb_config *cfg;
    rb_dataset_spec *specs;
    int n;
    /* every step returns a status all ranks agree on (rb_core.h), so every rank stops at the same one */
    if (rb_cli_progress_mode("bench", o.progress) != RB_OK) { /* sets rb_progress_json for synth and train */
        rb_cli_free(opts, n_opts, &pos);
        return RB_ERR;
    }
    if (rb_setup_command(o.config.path, o.config.sets.items, o.config.sets.n, &cfg) != RB_OK) return RB_ERR;
    specs = NULL;
    char run_dir[4096];
    rb_results res;
    if (size == 1)
        rb_log("bench: running on 1 MPI rank; to use more: mpirun -np N robusta bench ... (under Slurm: srun or "
               "jobs/*.sh, docs/slurm.md)");
    int rc = rb_mpi_agree(rb_dataset_specs(cfg, &specs, &n), &(MPI_Comm){MPI_COMM_WORLD});
    if (rc == RB_OK) rc = rb_mpi_agree(rb_bench_run_dir(cfg, o.out, rank, run_dir, sizeof run_dir), &(MPI_Comm){MPI_COMM_WORLD});
    int json = o.progress && strcmp(o.progress, "json") == 0;
    rb_grid_options go = {run_dir, o.resume, o.save_scores, rank == 0 && isatty(2) && !json, o.datasets, json};
    /* the run directory is claimed (lock, emptiness, a resumed run's identity) before any input is built */
    if (rc == RB_OK) rc = rb_grid_claim_run_dir(cfg, specs, n, &go, MPI_COMM_WORLD);
    if (rc == RB_OK) rc = rb_pipeline_models(cfg, specs, n, o.force, MPI_COMM_WORLD);
    if (rc == RB_OK) rc = rb_grid_run(cfg, specs, n, &go, MPI_COMM_WORLD, &res);
    if (rc != RB_OK) {
        free(specs);
        rb_config_free(cfg);
        rb_cli_free(opts, n_opts, &pos);
        return RB_ERR;
    }
    if (rank == 0 && json) {
        char results[4200], json_path[4200];
        snprintf(results, sizeof results, "%s/results.h5", run_dir);
        snprintf(json_path, sizeof json_path, "%s/results.json", run_dir);
        fputs("{\"event\": \"done\", \"run_dir\": ", stdout); /* paths escaped: --out may hold any character */
        rb_json_write_string(stdout, run_dir);
        fputs(", \"results\": ", stdout);
        rb_json_write_string(stdout, results);
        fputs(", \"results_json\": ", stdout);
        rb_json_write_string(stdout, json_path);
        fputs("}\n", stdout);
    } else if (rank == 0) {
        rb_results_print_headline(&res, stdout);
        printf("\nfull tables: %s/summary.md, %s/cells.csv; results: %s/results.h5\n", run_dir, run_dir, run_dir);
    }
    rb_results_free(&res);
    free(specs);
    rb_config_free(cfg);
    rb_cli_free(opts, n_opts, &pos);
    return 0;
}

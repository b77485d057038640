/* cmd_audit.c - `robusta audit A.h5 B.h5`: compare two results files (metrics cell by cell, then
 * config, inputs and versions) and end with "audit: MATCH" (exit 0) or "audit: DIFFER (N cells
 * beyond tolerance)" (exit 1). docs/audit.md. Comparison is serial (rank 0).
 * `--rerun A.h5` re-runs the job A records (its stored effective config, on the ranks of this job,
 * synthetic data and models rebuilt under the rerun directory), then compares A with the new file;
 * input files the config names explicitly must still have A's checksums. */
#include "rb_results.h"
#include "rb_core.h"
#include "rb_cmd.h"
#include "rb_data.h"
#include "rb_grid.h"
#include "setup.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rb_audit_options_from_cli(rb_opt *opts, rb_audit_options *o) {
    rb_audit_defaults(o, opts[2].given > 0);
    if (opts[0].value) RB_TRY_CTX(rb_audit_set_tolerance(o, opts[0].value), "audit: --tolerance");
    for (int i = 0; i < opts[1].n_values; i++) RB_TRY_CTX(rb_audit_parse_tolerances(o, opts[1].values[i]), "audit");
    o->strict = opts[3].given > 0;
    if (opts[4].value) {
        char *end;
        long n = strtol(opts[4].value, &end, 10);
        if (end == opts[4].value || *end || n < 0 || n > 1000000)
            return rb_fail("audit: --worst: expected a count 0..1000000, got '%s'", opts[4].value);
        o->n_worst = (int)n;
    }
    return RB_OK;
}

/* Re-run the job recorded in a results file into out_dir (collective); the new file is
 * out_dir/results.h5. Synthetic datasets and models are rebuilt under out_dir/data. */
static int rb_audit_rerun(const char *path, const char *out_dir) {
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    char cfg_path[4200];
    snprintf(cfg_path, sizeof cfg_path, "%s/rerun.cfg", out_dir);
    int rc = RB_OK;
    if (rank == 0) {
        rb_audit_provenance p;
        rc = rb_audit_read_provenance(path, &p);
        if (rc == RB_OK && (!p.config || !p.config[0])) rc = rb_fail("%s: no stored config to re-run", path);
        if (rc == RB_OK) rc = rb_mkdir_p(out_dir);
        if (rc == RB_OK) {
            FILE *f = fopen(cfg_path, "w");
            if (!f || fputs(p.config, f) < 0) rc = rb_fail("cannot write %s", cfg_path);
            if (f) fclose(f);
        }
        if (rc == RB_OK) rb_log("audit --rerun: re-running the config stored in %s (%s)", path, cfg_path);
        rb_audit_provenance_free(&p);
    }
    rb_collective_check(rc, &(MPI_Comm){MPI_COMM_WORLD});
    char data_set[4300], *sets[1] = {data_set};
    snprintf(data_set, sizeof data_set, "data.dir=\"%s/data\"", out_dir);
    rb_config *cfg;
    rb_dataset_spec *specs;
    int n;
    char run_dir[4200];
    snprintf(run_dir, sizeof run_dir, "%s/run", out_dir);
    RB_TRY(rb_setup_command(cfg_path, sets, 1, &cfg));
    RB_TRY(rb_dataset_specs(cfg, &specs, &n));
    RB_TRY(rb_pipeline_models(cfg, specs, n, 0, MPI_COMM_WORLD));
    rb_grid_options go = {run_dir, 0, 0, 0, NULL};
    rb_results res;
    RB_TRY(rb_grid_run(cfg, specs, n, &go, MPI_COMM_WORLD, &res));
    rb_results_free(&res);
    free(specs);
    rb_config_free(cfg);
    return RB_OK;
}

int rb_cmd_audit(int argc, char **argv) {
    rb_opt opts[] = {
        {"tolerance", 't', RB_OPT_VALUE, "X", "absolute tolerance for every metric (default 0 = bitwise; --reference: 1e-6)", 0, NULL, NULL, 0},
        {"metric-tolerance", 0, RB_OPT_LIST, "M=X[,M=X]", "per-metric tolerance: ap, ap_step, roc_auc, detect_auc[_visual|_audio], weight[_visual|_audio]", 0, NULL, NULL, 0},
        {"reference", 0, RB_OPT_FLAG, "", "A is the accepted reference (nightly regression; default tolerance 1e-6)", 0, NULL, NULL, 0},
        {"strict", 0, RB_OPT_FLAG, "", "config, input checksum and version differences fail the audit too", 0, NULL, NULL, 0},
        {"worst", 0, RB_OPT_VALUE, "N", "list the N worst cells (default 10)", 0, NULL, NULL, 0},
        {"rerun", 0, RB_OPT_FLAG, "", "re-run the job A.h5 records (under mpirun/srun) and compare A with the result", 0, NULL, NULL, 0},
        {"out", 'o', RB_OPT_VALUE, "DIR", "--rerun: where the re-run goes (default results/rerun-<A's run id>)", 0, NULL, NULL, 0},
    };
    const int n_opts = (int)(sizeof opts / sizeof opts[0]);
    char **pos;
    int n_pos;
    static const char synopsis[] = "A.h5 B.h5 | --rerun A.h5 [--out DIR]  [--tolerance X] [--metric-tolerance M=X,...] [--reference] [--strict]";
    static const char summary[] =
        "Compare two results files: every metric cell, the detection AUCs and weights, then config, "
        "inputs and versions. Last line: audit: MATCH (exit 0) or audit: DIFFER (exit 1).";
    if (rb_cli_command(argc, argv, opts, n_opts, synopsis, summary, &pos, &n_pos)) {
        rb_cli_free(opts, n_opts, pos);
        return 0;
    }
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    int rerun = opts[5].given > 0;
    if (n_pos != (rerun ? 1 : 2)) {
        rb_fail(rerun ? "audit --rerun: expected one results file A.h5, got %d argument%s"
                      : "audit: expected two results files A.h5 B.h5, got %d argument%s (see robusta audit --help)",
                n_pos, n_pos == 1 ? "" : "s");
        rb_die();
    }
    char out_dir[4096], new_path[4200];
    const char *b_path = rerun ? new_path : pos[1];
    if (rerun) {
        if (opts[6].value) {
            snprintf(out_dir, sizeof out_dir, "%s", opts[6].value);
        } else {
            const char *base = strrchr(pos[0], '/');
            snprintf(out_dir, sizeof out_dir, "results/rerun-%s", base ? base + 1 : pos[0]);
        }
        snprintf(new_path, sizeof new_path, "%s/run/results.h5", out_dir);
        if (rb_audit_rerun(pos[0], out_dir) != RB_OK) rb_die();
    }
    int rc = RB_OK, status = 0;
    if (rank == 0) {
        rb_audit_options o;
        rb_audit_report rep;
        rc = rb_audit_options_from_cli(opts, &o);
        if (rc == RB_OK) rc = rb_audit_files(pos[0], b_path, &o, &rep);
        if (rc == RB_OK) {
            rb_audit_print(&rep, &o, pos[0], b_path, stdout);
            fflush(stdout);
            status = rep.match ? 0 : 1;
            rb_audit_report_free(&rep);
        }
    }
    rb_collective_check(rc, &(MPI_Comm){MPI_COMM_WORLD});
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    rb_cli_free(opts, n_opts, pos);
    return status;
}

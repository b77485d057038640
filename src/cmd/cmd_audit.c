/* cmd_audit.c - `robusta audit A.h5 B.h5`: compare two results files (metrics cell by cell, then
 * config, inputs and versions) and end with "audit: MATCH" (exit 0) or "audit: DIFFER (N cells
 * beyond tolerance)" (exit 1). Each file is first checked alone (rb_results_check_file); `--check A.h5`
 * runs only that ("check: CONSISTENT", exit 0, or "check: INCONSISTENT (N problems)", exit 1).
 * docs/audit.md. Comparison is serial (rank 0).
 * `--rerun A.h5` re-runs the job A records (its stored effective config, on the ranks of this job,
 * synthetic data and models rebuilt under the rerun directory), then compares A with the new file;
 * input files the config names explicitly must still have A's checksums. The stored config is
 * untrusted: rerun.cfg, datasets, models and the run go only under --out (no shell anywhere). */
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

/* What `robusta audit` reads from its command line. */
struct audit_cli_options {
    const char *tolerance;         /* --tolerance X, or NULL: 0 (--reference: 1e-6) */
    rb_cli_list metric_tolerances; /* --metric-tolerance M=X[,M=X]..., in order */
    int reference;                 /* --reference */
    int strict;                    /* --strict */
    int worst;                     /* --worst N, or -1: the default */
    int rerun;                     /* --rerun */
    int check;                     /* --check: one file's internal consistency */
    const char *out;               /* --out DIR for --rerun, or NULL: results/rerun-<A's name> */
    const char *junit;             /* --junit FILE: the report as JUnit XML too */
};

/* --junit FILE: the audit as JUnit XML (audit_junit.c), written atomically. */
static int rb_audit_write_junit(const char *path, const char *a_path, const char *b_path, const rb_audit_report *rep,
                                const rb_audit_options *o) {
    rb_results a, b;
    RB_TRY_CTX(rb_results_read(a_path, &a), "audit --junit");
    if (rb_results_read(b_path, &b) != RB_OK) {
        rb_results_free(&a);
        return rb_context("audit --junit");
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    int rc = f ? rb_audit_junit(&a, &b, rep, o, a_path, b_path, f) : rb_fail("audit --junit: out of memory");
    if (f && (fclose(f) != 0) && rc == RB_OK) rc = rb_fail("audit --junit: out of memory");
    if (rc == RB_OK) rc = rb_write_bytes_atomic(path, text, len);
    free(text);
    rb_results_free(&a);
    rb_results_free(&b);
    return rc == RB_OK ? RB_OK : rb_context("audit --junit %s", path);
}

static int rb_audit_options_from_cli(const struct audit_cli_options *cli, rb_audit_options *o) {
    rb_audit_defaults(o, cli->reference > 0);
    if (cli->tolerance) RB_TRY_CTX(rb_audit_set_tolerance(o, cli->tolerance), "audit: --tolerance");
    for (int i = 0; i < cli->metric_tolerances.n; i++)
        RB_TRY_CTX(rb_audit_parse_tolerances(o, cli->metric_tolerances.items[i]), "audit");
    o->strict = cli->strict > 0;
    if (cli->worst >= 0) o->n_worst = cli->worst;
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
        /* a stored effective config is flat; an @include in it (a hand-edited file) could read any file */
        if (rc == RB_OK && (strncmp(p.config, "@include", 8) == 0 || strstr(p.config, "\n@include")))
            rc = rb_fail("%s: the stored config contains @include, which no effective config written by robusta "
                         "does; refusing to re-run it", path);
        char data_dir[4300];
        snprintf(data_dir, sizeof data_dir, "%s/data", out_dir);
        if (rc == RB_OK) rc = rb_mkdir_p(data_dir);
        if (rc == RB_OK) rc = rb_write_file_atomic(cfg_path, p.config);
        if (rc == RB_OK) rb_log("audit --rerun: re-running the config stored in %s (%s)", path, cfg_path);
        rb_audit_provenance_free(&p);
    }
    RB_TRY(rb_mpi_agree(rc, &(MPI_Comm){MPI_COMM_WORLD})); /* rank 0 wrote the config every rank reads */
    char data_set[4300], *sets[1] = {data_set};
    snprintf(data_set, sizeof data_set, "data.dir=\"%s/data\"", out_dir); /* --set strips the outer quotes only */
    rb_config *cfg;
    rb_dataset_spec *specs;
    int n;
    char run_dir[4200];
    snprintf(run_dir, sizeof run_dir, "%s/run", out_dir);
    RB_TRY(rb_setup_command(cfg_path, sets, 1, &cfg));
    RB_TRY(rb_dataset_specs(cfg, &specs, &n));
    /* The stored config is untrusted: whatever file and model paths it names, everything this rerun
     * writes goes under out_dir/data (dataset names are checked names, rb_check_name). Imported
     * datasets (generator = none) are only read, where the config names them. */
    for (int i = 0; i < n; i++) {
        int len = snprintf(specs[i].model_path, sizeof specs[i].model_path, "%s/data/%s.model.h5", out_dir, specs[i].name);
        if (specs[i].synthetic && len > 0)
            len = snprintf(specs[i].path, sizeof specs[i].path, "%s/data/%s.h5", out_dir, specs[i].name);
        if (len < 0 || (size_t)len >= sizeof specs[i].path) {
            free(specs);
            rb_config_free(cfg);
            return rb_fail("audit --rerun: --out %s is too long", out_dir);
        }
    }
    rb_grid_options go = {run_dir, 0, 0, 0, NULL, 0};
    rb_results res;
    rc = rb_pipeline_models(cfg, specs, n, 0, MPI_COMM_WORLD);
    if (rc == RB_OK) rc = rb_grid_run(cfg, specs, n, &go, MPI_COMM_WORLD, &res);
    if (rc == RB_OK) rb_results_free(&res);
    free(specs);
    rb_config_free(cfg);
    return rc;
}

int rb_cmd_audit(int argc, char **argv) {
    struct audit_cli_options cli = {.worst = -1};
    const rb_opt opts[] = {
        RB_CLI_VALUE("tolerance", 't', "X", &cli.tolerance, "absolute tolerance for every metric (default 0 = bitwise; --reference: 1e-6)"),
        RB_CLI_LIST("metric-tolerance", 0, "M=X[,M=X]", &cli.metric_tolerances,
                    "per-metric tolerance: ap, ap_step, roc_auc, detect_auc[_visual|_audio], weight[_visual|_audio], "
                    "positive_fraction, diagnostic, oracle_gap"),
        RB_CLI_FLAG("reference", 0, &cli.reference, "A is the accepted reference (nightly regression; default tolerance 1e-6)"),
        RB_CLI_FLAG("strict", 0, &cli.strict, "config, input checksum and version differences fail the audit too"),
        RB_CLI_INT("worst", 0, "N", &cli.worst, 0, 1000000, "list the N worst cells (default 10)"),
        RB_CLI_FLAG("check", 0, &cli.check, "check one file alone: keys, /cells against /replicas, stored digests"),
        RB_CLI_FLAG("rerun", 0, &cli.rerun, "re-run the job A.h5 records (under mpirun/srun) and compare A with the result"),
        RB_CLI_VALUE("out", 'o', "DIR", &cli.out, "--rerun: where the re-run goes (default results/rerun-<A's run id>)"),
        RB_CLI_VALUE("junit", 0, "FILE", &cli.junit, "also write the result as JUnit XML (a test case per cell and check)"),
    };
    const int n_opts = RB_CLI_COUNT(opts);
    rb_cli_list pos;
    static const char synopsis[] = "A.h5 B.h5 | --check A.h5 | --rerun A.h5 [--out DIR]  [--tolerance X] [--metric-tolerance M=X,...] [--reference] [--strict] [--junit FILE]";
    static const char summary[] =
        "Compare two results files: every metric cell, the detection AUCs and weights, then config, "
        "inputs and versions. Last line: audit: MATCH (exit 0) or audit: DIFFER (exit 1).";
    int start = rb_cli_command(argc, argv, opts, n_opts, synopsis, summary, &pos);
    if (start != 0) return start == RB_ERR ? RB_ERR : 0; /* an error, or --help */
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    int rerun = cli.rerun > 0, n_pos = pos.n;
    if (cli.check > 0) {
        if (rerun || n_pos != 1) {
            rb_fail("audit --check: expected one results file A.h5 (and no --rerun), got %d argument%s", n_pos,
                    n_pos == 1 ? "" : "s");
            rb_cli_free(opts, n_opts, &pos);
            return rb_mpi_agree(RB_ERR, &(MPI_Comm){MPI_COMM_WORLD}); /* every rank saw it: rank 0 prints */
        }
        int status = 0, rc = RB_OK;
        if (rank == 0) {
            rb_results_check chk;
            rc = rb_results_check_file(pos.items[0], &chk);
            if (rc == RB_OK) {
                rb_results_check_print(&chk, pos.items[0], stdout);
                fflush(stdout);
                status = chk.n_problems ? 1 : 0;
            }
        }
        rb_cli_free(opts, n_opts, &pos);
        RB_TRY(rb_mpi_agree(rc, &(MPI_Comm){MPI_COMM_WORLD}));
        MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
        return status;
    }
    if (n_pos != (rerun ? 1 : 2)) {
        rb_fail(rerun ? "audit --rerun: expected one results file A.h5, got %d argument%s"
                      : "audit: expected two results files A.h5 B.h5, got %d argument%s (see robusta audit --help)",
                n_pos, n_pos == 1 ? "" : "s");
        rb_cli_free(opts, n_opts, &pos);
        return rb_mpi_agree(RB_ERR, &(MPI_Comm){MPI_COMM_WORLD}); /* every rank saw it: rank 0 prints */
    }
    /* tolerances are checked before a --rerun spends its time */
    rb_audit_options o;
    if (rb_mpi_agree(rb_audit_options_from_cli(&cli, &o), &(MPI_Comm){MPI_COMM_WORLD}) != RB_OK) {
        rb_cli_free(opts, n_opts, &pos);
        return RB_ERR;
    }
    char out_dir[4096], new_path[4200];
    const char *a_path = pos.items[0], *b_path = rerun ? new_path : pos.items[1];
    if (rerun) {
        if (cli.out) {
            snprintf(out_dir, sizeof out_dir, "%s", cli.out);
        } else {
            const char *base = strrchr(a_path, '/');
            snprintf(out_dir, sizeof out_dir, "results/rerun-%s", base ? base + 1 : a_path);
        }
        snprintf(new_path, sizeof new_path, "%s/run/results.h5", out_dir);
        /* agreed again: an error the ranks found alike (a long --out) is returned without agreement */
        if (rb_mpi_agree(rb_audit_rerun(a_path, out_dir), &(MPI_Comm){MPI_COMM_WORLD}) != RB_OK) {
            rb_cli_free(opts, n_opts, &pos);
            return RB_ERR;
        }
    }
    int rc = RB_OK, status = 0;
    if (rank == 0) {
        rb_audit_report rep;
        rc = rb_audit_files(a_path, b_path, &o, &rep);
        if (rc == RB_OK) {
            rb_audit_print(&rep, &o, a_path, b_path, stdout);
            fflush(stdout);
            status = rep.match ? 0 : 1;
            if (cli.junit) rc = rb_audit_write_junit(cli.junit, a_path, b_path, &rep, &o);
            rb_audit_report_free(&rep);
        }
    }
    rb_cli_free(opts, n_opts, &pos);
    RB_TRY(rb_mpi_agree(rc, &(MPI_Comm){MPI_COMM_WORLD}));
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return status;
}

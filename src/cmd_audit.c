/* cmd_audit.c - `robusta audit A.h5 B.h5`: compare two results files (metrics cell by cell, then
 * config, inputs and versions) and end with "audit: MATCH" (exit 0) or "audit: DIFFER (N cells
 * beyond tolerance)" (exit 1). docs/audit.md. Serial: under mpirun only rank 0 works.
 * (The lead's `--rerun A.h5` will rerun A's recorded job and call rb_audit_compare on the two
 * in-memory results; it slots in beside rb_audit_files below.) */
#include "rb_audit.h"
#include "rb_cli.h"
#include "rb_commands.h"
#include "rb_common.h"

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

int rb_cmd_audit(int argc, char **argv) {
    rb_opt opts[] = {
        {"tolerance", 't', RB_OPT_VALUE, "X", "absolute tolerance for every metric (default 0 = bitwise; --reference: 1e-6)", 0, NULL, NULL, 0},
        {"metric-tolerance", 0, RB_OPT_LIST, "M=X[,M=X]", "per-metric tolerance: ap, ap_step, roc_auc, detect_auc[_visual|_audio], weight[_visual|_audio]", 0, NULL, NULL, 0},
        {"reference", 0, RB_OPT_FLAG, "", "A is the accepted reference (nightly regression; default tolerance 1e-6)", 0, NULL, NULL, 0},
        {"strict", 0, RB_OPT_FLAG, "", "config, input checksum and version differences fail the audit too", 0, NULL, NULL, 0},
        {"worst", 0, RB_OPT_VALUE, "N", "list the N worst cells (default 10)", 0, NULL, NULL, 0},
    };
    const int n_opts = (int)(sizeof opts / sizeof opts[0]);
    char **pos;
    int n_pos, help, rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rb_cli_parse(argc, argv, opts, n_opts, &pos, &n_pos, &help) != RB_OK) rb_die();
    if (help) {
        if (rank == 0)
            rb_cli_usage("audit", "A.h5 B.h5 [--tolerance X] [--metric-tolerance M=X,...] [--reference] [--strict]",
                         "Compare two results files: every metric cell, the detection AUCs and weights, then config, "
                         "inputs and versions. Last line: audit: MATCH (exit 0) or audit: DIFFER (exit 1).",
                         opts, n_opts);
        rb_cli_free(opts, n_opts, pos);
        return 0;
    }
    if (n_pos != 2) {
        rb_fail("audit: expected two results files A.h5 B.h5, got %d argument%s (see robusta audit --help)", n_pos,
                n_pos == 1 ? "" : "s");
        rb_die();
    }
    int rc = RB_OK, status = 0;
    if (rank == 0) {
        rb_audit_options o;
        rb_audit_report rep;
        rc = rb_audit_options_from_cli(opts, &o);
        if (rc == RB_OK) rc = rb_audit_files(pos[0], pos[1], &o, &rep);
        if (rc == RB_OK) {
            rb_audit_print(&rep, &o, pos[0], pos[1], stdout);
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

/* main.c - the robusta binary: MPI start-up and git-style dispatch to the subcommands. The one place
 * that ends a failed job (the MPI error discipline of rb_core.h): a command returns RB_ERR with its
 * message, main prints it once (rb_error_report), closes HDF5 and finalises MPI, exit status 1. */
#include "rb_cmd.h"
#include "rb_core.h"
#include "rb_io.h"

#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} rb_command;

static const rb_command rb_commands[] = {
    {"bench", rb_cmd_bench, "run the benchmark grid (MPI): corrupted cells, every method, AP tables"},
    {"config", rb_cmd_config, "print the effective config of CFG, or every key robusta reads"},
    {"synth", rb_cmd_synth, "build the synthetic datasets of a config (XD-Violence-shaped)"},
    {"train", rb_cmd_train, "fit the detectors and the per-modality GMMs on clean training features"},
    {"merge", rb_cmd_merge, "combine results files of dataset shards into one results.h5"},
    {"import-xdv", rb_cmd_import_xdv, "convert the public XD-Violence feature release to a dataset file"},
    {"report", rb_cmd_report, "report.html, results.json and the tables of a results file; compare.html for several"},
    {"audit", rb_cmd_audit, "compare two results files cell by cell (and their configs, inputs, versions)"},
};
static const int rb_n_commands = (int)(sizeof rb_commands / sizeof rb_commands[0]);

static void rb_usage(void) {
    printf("usage: robusta <command> [options]   (robusta <command> --help for each)\n\n"
           "robusta runs the RobustA robustness benchmark for multimodal (video + audio) anomaly\n"
           "detection: corrupted or missing modalities, frame-level AP, on 1 or many MPI ranks.\n\n"
           "commands:\n");
    for (int i = 0; i < rb_n_commands; i++) printf("  %-12s %s\n", rb_commands[i].name, rb_commands[i].summary);
    printf("\n  --version    version and git commit\n  --help       this text\n");
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    rb_mpi_set_error_handler();
    rb_provenance_set_command(argc, argv);
    int rank = 0, status = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rb_mpi_agree(rb_fault_init(rank), &(MPI_Comm){MPI_COMM_WORLD}) != RB_OK) {
        status = RB_ERR; /* a malformed RB_FAULT */
    } else if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        if (rank == 0) rb_usage();
        status = argc < 2 ? 2 : 0;
    } else if (strcmp(argv[1], "--version") == 0) {
        if (rank == 0) printf("%s\n", rb_version_string());
    } else {
        const rb_command *cmd = NULL;
        for (int i = 0; i < rb_n_commands; i++)
            if (strcmp(argv[1], rb_commands[i].name) == 0) cmd = &rb_commands[i];
        if (!cmd)
            status = rb_mpi_agree(rb_fail("unknown command '%s' (robusta --help lists the commands)", argv[1]),
                                  &(MPI_Comm){MPI_COMM_WORLD});
        else
            status = cmd->run(argc - 1, argv + 1);
    }
    if (status == RB_ERR) status = rb_error_report();
    if (rb_h5_unusable()) { /* a failed HDF5 close: HDF5's shutdown would crash (rb_io.h) */
        fflush(NULL);
        _exit(status ? status : 1);
    }
    H5close(); /* every HDF5 id is closed while MPI is still up (an error path may have left one) */
    MPI_Finalize();
    return status;
}

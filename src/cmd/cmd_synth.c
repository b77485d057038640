/* cmd_synth.c - `robusta synth -c CFG`: build (or verify) every synthetic dataset of a config. */
#include "rb_core.h"
#include "rb_cmd.h"
#include "rb_data.h"
#include "setup.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>

int rb_cmd_synth(int argc, char **argv) {
    rb_opt opts[] = {
        {"config", 'c', RB_OPT_VALUE, "CFG", "experiment config (configs/default.cfg)", 0, NULL, NULL, 0},
        {"set", 0, RB_OPT_LIST, "KEY=VALUE", "override a config key (repeatable)", 0, NULL, NULL, 0},
        {"dataset", 0, RB_OPT_LIST, "NAME", "only this dataset (repeatable; default: all synthetic)", 0, NULL, NULL, 0},
        {"force", 0, RB_OPT_FLAG, "", "rebuild files that exist", 0, NULL, NULL, 0},
    };
    const int n_opts = (int)(sizeof opts / sizeof opts[0]);
    char **pos;
    int n_pos;
    static const char synopsis[] = "-c CFG [--set KEY=VALUE]... [--dataset NAME]... [--force]";
    static const char summary[] =
        "Generate the XD-Violence-shaped synthetic datasets that CFG describes (data.datasets with\n"
        "generator xdv or ucf) into their files. A file that exists is checked against the recipe\n"
        "it records and kept; a different recipe is an error unless --force.";
    if (rb_cli_config_command(argc, argv, opts, n_opts, synopsis, summary, &pos, &n_pos)) {
        rb_cli_free(opts, n_opts, pos);
        return 0;
    }
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    rb_config *cfg;
    if (rb_setup_command(opts[0].value, opts[1].values, opts[1].n_values, &cfg) != RB_OK) rb_die();
    rb_dataset_spec *specs;
    int n;
    if (rb_dataset_specs(cfg, &specs, &n) != RB_OK) rb_die();
    for (int k = 0; k < opts[2].n_values; k++) {
        int found = 0;
        for (int i = 0; i < n; i++) found |= strcmp(specs[i].name, opts[2].values[k]) == 0;
        if (!found) {
            rb_fail("synth: --dataset %s is not in %s", opts[2].values[k], opts[0].value);
            rb_die();
        }
    }
    /* synthesis is serial: rank 0 builds, the others wait (an error aborts every rank) */
    if (rank == 0) {
        for (int i = 0; i < n; i++) {
            int wanted = opts[2].n_values == 0;
            for (int k = 0; k < opts[2].n_values; k++) wanted |= strcmp(specs[i].name, opts[2].values[k]) == 0;
            if (!wanted || !specs[i].synthetic) continue;
            int built;
            if (rb_dataset_ensure(&specs[i], rb_config_text(cfg), opts[3].given, &built) != RB_OK) rb_die();
            if (!built) rb_log("dataset %s: %s is up to date", specs[i].name, specs[i].path);
        }
    }
    MPI_Barrier(MPI_COMM_WORLD);
    free(specs);
    rb_config_free(cfg);
    rb_cli_free(opts, n_opts, pos);
    return 0;
}

/* cmd_synth.c - `robusta synth -c CFG`: build (or verify) every synthetic dataset of a config. */
#include "rb_core.h"
#include "rb_cmd.h"
#include "rb_data.h"
#include "setup.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>

/* What `robusta synth` reads from its command line. */
struct synth_options {
    rb_cli_config config; /* -c CFG, --set KEY=VALUE... */
    rb_cli_list datasets; /* --dataset NAME..., empty: every synthetic dataset */
    int force;            /* --force */
    const char *progress; /* --progress text|json, or NULL: text */
};

/* Whether --dataset selects the dataset name (no --dataset selects every one). */
static int rb_synth_wanted(const struct synth_options *o, const char *name) {
    int wanted = o->datasets.n == 0;
    for (int k = 0; k < o->datasets.n; k++) wanted |= strcmp(name, o->datasets.items[k]) == 0;
    return wanted;
}

int rb_cmd_synth(int argc, char **argv) {
    struct synth_options o = {0};
    const rb_opt opts[] = {
        RB_CLI_CONFIG(&o.config, "required: the experiment config, e.g. configs/default.cfg"),
        RB_CLI_LIST("dataset", 0, "NAME", &o.datasets, "only this dataset (repeatable; default: all synthetic)"),
        RB_CLI_FLAG("force", 0, &o.force, "rebuild files that exist"),
        RB_CLI_VALUE("progress", 0, "MODE", &o.progress, "text (default) or json: progress as JSON lines on stdout"),
    };
    const int n_opts = RB_CLI_COUNT(opts);
    rb_cli_list pos;
    static const char synopsis[] = "-c CFG [--set KEY=VALUE]... [--dataset NAME]... [--force] [--progress text|json]";
    static const char summary[] =
        "Generate the XD-Violence-shaped synthetic datasets that CFG describes (data.datasets with\n"
        "generator xdv or ucf) into their files. A file that exists is checked against the recipe\n"
        "it records and kept; a different recipe is an error unless --force.";
    int start = rb_cli_config_command(argc, argv, opts, n_opts, synopsis, summary, &o.config, &pos);
    if (start != 0) return start == RB_ERR ? RB_ERR : 0; /* an error, or --help */
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rb_cli_progress_mode("synth", o.progress) != RB_OK) {
        rb_cli_free(opts, n_opts, &pos);
        return RB_ERR;
    }
    rb_config *cfg;
    if (rb_setup_command(o.config.path, o.config.sets.items, o.config.sets.n, &cfg) != RB_OK) return RB_ERR;
    rb_dataset_spec *specs = NULL;
    int n = 0;
    int rc = rb_mpi_agree(rb_dataset_specs(cfg, &specs, &n), &(MPI_Comm){MPI_COMM_WORLD}); /* the same on every rank */
    for (int k = 0; rc == RB_OK && k < o.datasets.n; k++) {
        int found = 0;
        for (int i = 0; i < n; i++) found |= strcmp(specs[i].name, o.datasets.items[k]) == 0;
        if (!found) rc = rb_fail("synth: --dataset %s is not in %s", o.datasets.items[k], o.config.path);
    }
    /* each rank makes its share of the datasets (rb_datasets_share); all agree on the status (rb_core.h) */
    if (rc == RB_OK) {
        int size;
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        uint8_t *wanted = rb_calloc((size_t)n + 1, 1, "dataset selection");
        rc = wanted ? RB_OK : RB_ERR;
        for (int i = 0; rc == RB_OK && i < n; i++) wanted[i] = (uint8_t)rb_synth_wanted(&o, specs[i].name);
        if (rc == RB_OK) rb_datasets_share(specs, n, rank, size, wanted);
        if (rc == RB_OK) rc = rb_datasets_ensure(specs, n, wanted, 1, rb_config_text(cfg), o.force);
        free(wanted);
    }
    rc = rb_mpi_agree(rc, &(MPI_Comm){MPI_COMM_WORLD});
    free(specs);
    rb_config_free(cfg);
    rb_cli_free(opts, n_opts, &pos);
    return rc == RB_OK ? 0 : RB_ERR;
}

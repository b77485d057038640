/* cmd_train.c - `robusta train -c CFG`: fit every detector and the per-modality GMMs of each dataset
 * the config trains on (building missing synthetic datasets first), writing <dataset>.model.h5. */
#include "rb_core.h"
#include "rb_cmd.h"
#include "rb_grid.h"
#include "setup.h"

#include <mpi.h>
#include <stdlib.h>

/* What `robusta train` reads from its command line. */
struct train_options {
    rb_cli_config config; /* -c CFG, --set KEY=VALUE... */
    int force;          /* --force */
    const char *progress; /* --progress text|json, or NULL: text */
};

int rb_cmd_train(int argc, char **argv) {
    struct train_options o = {0};
    const rb_opt opts[] = {
        RB_CLI_CONFIG(&o.config, "required: the experiment config, e.g. configs/default.cfg"),
        RB_CLI_FLAG("force", 0, &o.force, "retrain (and rebuild synthetic data) even if files exist"),
        RB_CLI_VALUE("progress", 0, "MODE", &o.progress, "text (default) or json: progress as JSON lines on stdout"),
    };
    const int n_opts = RB_CLI_COUNT(opts);
    rb_cli_list pos;
    static const char synopsis[] = "-c CFG [--set KEY=VALUE]... [--force] [--progress text|json]";
    static const char summary[] =
        "Train the detectors (train.detectors x train.seeds replicas) and the visual and audio\n"
        "GMMs with their weight calibration on the clean train split of every dataset with\n"
        "train_on = \"self\". Jobs are spread over the MPI ranks by cost; the model file is the\n"
        "same for any rank count. Missing synthetic datasets are built first; existing files are\n"
        "checked against their recorded recipe.";
    int start = rb_cli_config_command(argc, argv, opts, n_opts, synopsis, summary, &o.config, &pos);
    if (start != 0) return start == RB_ERR ? RB_ERR : 0; /* an error, or --help */
    if (rb_cli_progress_mode("train", o.progress) != RB_OK) {
        rb_cli_free(opts, n_opts, &pos);
        return RB_ERR;
    }
    rb_config *cfg;
    rb_dataset_spec *specs;
    int n;
    if (rb_setup_command(o.config.path, o.config.sets.items, o.config.sets.n, &cfg) != RB_OK) return RB_ERR;
    specs = NULL;
    int rc = rb_mpi_agree(rb_dataset_specs(cfg, &specs, &n), &(MPI_Comm){MPI_COMM_WORLD}); /* the same on every rank */
    if (rc == RB_OK) rc = rb_pipeline_models(cfg, specs, n, o.force, MPI_COMM_WORLD); /* agreed */
    free(specs);
    rb_config_free(cfg);
    rb_cli_free(opts, n_opts, &pos);
    return rc == RB_OK ? 0 : RB_ERR;
}

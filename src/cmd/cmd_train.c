/* cmd_train.c - `robusta train -c CFG`: fit every detector and the per-modality GMMs of each dataset
 * the config trains on (building missing synthetic datasets first), writing <dataset>.model.h5. */
#include "rb_core.h"
#include "rb_cmd.h"
#include "rb_grid.h"
#include "setup.h"

#include <mpi.h>
#include <stdlib.h>

int rb_cmd_train(int argc, char **argv) {
    rb_opt opts[] = {
        {"config", 'c', RB_OPT_VALUE, "CFG", "experiment config (configs/default.cfg)", 0, NULL, NULL, 0},
        {"set", 0, RB_OPT_LIST, "KEY=VALUE", "override a config key (repeatable)", 0, NULL, NULL, 0},
        {"force", 0, RB_OPT_FLAG, "", "retrain (and rebuild synthetic data) even if files exist", 0, NULL, NULL, 0},
    };
    const int n_opts = (int)(sizeof opts / sizeof opts[0]);
    char **pos;
    int n_pos;
    static const char synopsis[] = "-c CFG [--set KEY=VALUE]... [--force]";
    static const char summary[] =
        "Train the detectors (train.detectors x train.seeds replicas) and the visual and audio\n"
        "GMMs with their weight calibration on the clean train split of every dataset with\n"
        "train_on = \"self\". Jobs are spread over the MPI ranks by cost; the model file is the\n"
        "same for any rank count. Missing synthetic datasets are built first; existing files are\n"
        "checked against their recorded recipe.";
    if (rb_cli_config_command(argc, argv, opts, n_opts, synopsis, summary, &pos, &n_pos)) {
        rb_cli_free(opts, n_opts, pos);
        return 0;
    }
    rb_config *cfg;
    rb_dataset_spec *specs;
    int n;
    if (rb_setup_command(opts[0].value, opts[1].values, opts[1].n_values, &cfg) != RB_OK) rb_die();
    if (rb_dataset_specs(cfg, &specs, &n) != RB_OK) rb_die();
    if (rb_pipeline_models(cfg, specs, n, opts[2].given, MPI_COMM_WORLD) != RB_OK) rb_die();
    free(specs);
    rb_config_free(cfg);
    rb_cli_free(opts, n_opts, pos);
    return 0;
}

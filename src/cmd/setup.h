/* setup.h - what every config-driven subcommand does first: load the config with its --set
 * overrides, check it in full (the schema and its rules, then every stage's reading of it: datasets,
 * synthetic parameters, grid cells, training, GMM and weight settings) before any work starts, fix
 * the OpenBLAS thread count per rank (run.blas_threads; results may depend on the BLAS blocking, so
 * it is part of the config, never left to the environment), and collect provenance. */
#ifndef RB_SETUP_H
#define RB_SETUP_H

#include "rb_core.h"

int rb_setup_command(const char *config_path, char *const *sets, int n_sets, rb_config **cfg);
/* Every stage's reading of a loaded config, without touching a file: the same check for `robusta
 * config`, synth, train and bench. */
int rb_setup_check_config(const rb_config *cfg);
/* --progress MODE of synth, train and bench: NULL or "text" (the default), or "json", which sets
 * rb_progress_json; anything else is one clear error naming the command. */
int rb_cli_progress_mode(const char *command, const char *mode);

#endif

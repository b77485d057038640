/* setup.h - what every config-driven subcommand does first: load the config with its --set
 * overrides, fix the OpenBLAS thread count per rank (run.blas_threads; results may depend on the
 * BLAS blocking, so it is part of the config, never left to the environment), and collect provenance. */
#ifndef RB_SETUP_H
#define RB_SETUP_H

#include "rb_core.h"

int rb_setup_command(const char *config_path, char *const *sets, int n_sets, rb_config **cfg);

#endif

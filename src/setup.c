/* setup.c - common start of the config-driven subcommands (rb_setup.h). */
#include "rb_setup.h"
#include "rb_common.h"
#include "rb_provenance.h"

#include <cblas.h>
#include <mpi.h>

int rb_setup_command(const char *config_path, char *const *sets, int n_sets, rb_config **cfg) {
    RB_TRY(rb_config_load(cfg, config_path, sets, n_sets));
    int threads = 1;
    RB_TRY(rb_config_int(*cfg, "run.blas_threads", &threads));
    openblas_set_num_threads(threads);
    RB_TRY(rb_provenance_init(MPI_COMM_WORLD));
    return RB_OK;
}

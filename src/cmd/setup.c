/* setup.c - common start of the config-driven subcommands (setup.h). */
#include "setup.h"
#include "rb_core.h"
#include "rb_io.h"

#include <cblas.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

/* Rank 0 reads the config file (one reader, one error message); the other ranks parse the effective
 * text it broadcasts, so every rank holds exactly the same configuration. */
static int rb_load_shared(const char *config_path, char *const *sets, int n_sets, rb_config **cfg) {
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    long len = 0;
    int rc = RB_OK;
    if (rank == 0) {
        rc = rb_config_load(cfg, config_path, sets, n_sets);
        if (rc == RB_OK) len = (long)strlen(rb_config_text(*cfg)) + 1;
    }
    RB_TRY(rb_mpi_agree(rc, &(MPI_Comm){MPI_COMM_WORLD}));
    MPI_Bcast(&len, 1, MPI_LONG, 0, MPI_COMM_WORLD);
    char *text = rank == 0 ? (char *)rb_config_text(*cfg) : rb_malloc((size_t)len, "config text");
    if (rb_mpi_agree(text ? RB_OK : RB_ERR, &(MPI_Comm){MPI_COMM_WORLD}) != RB_OK) {
        if (rank == 0) rb_config_free(*cfg);
        else free(text);
        return RB_ERR;
    }
    MPI_Bcast(text, (int)len, MPI_CHAR, 0, MPI_COMM_WORLD);
    if (rank != 0) {
        rc = rb_config_load_string(cfg, text, config_path);
        free(text);
    }
    return rb_mpi_agree(rc, &(MPI_Comm){MPI_COMM_WORLD});
}

int rb_setup_command(const char *config_path, char *const *sets, int n_sets, rb_config **cfg) {
    RB_TRY(rb_load_shared(config_path, sets, n_sets, cfg)); /* agreed by every rank */
    int threads = 1;
    RB_TRY(rb_mpi_agree(rb_config_int(*cfg, "run.blas_threads", &threads), &(MPI_Comm){MPI_COMM_WORLD}));
    openblas_set_num_threads(threads);
    return rb_mpi_agree(rb_provenance_init(MPI_COMM_WORLD), &(MPI_Comm){MPI_COMM_WORLD});
}

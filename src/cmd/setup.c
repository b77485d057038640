/* setup.c - common start of the config-driven subcommands (setup.h): the config loaded once and
 * shared, checked in full before any command does work, the BLAS threads and the provenance. */
#include "setup.h"
#include "rb_core.h"
#include "rb_data.h"
#include "rb_grid.h"
#include "rb_io.h"
#include "rb_model.h"

#include <cblas.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

int rb_setup_check_config(const rb_config *cfg) {
    rb_dataset_spec *specs = NULL;
    int n = 0;
    RB_TRY(rb_dataset_specs(cfg, &specs, &n)); /* names, train_on, every generator parameter */
    for (int i = 0; i < n; i++) {
        const rb_dataset_spec *s = &specs[i];
        int rc = RB_OK;
        if (s->synthetic && s->synth.n_test_anomalous < 1)
            rc = rb_fail("%s: data.datasets.[%d] (%s): n_test_violent = %lld: the test set needs 1 .. n_test (%lld) "
                         "videos with anomalies, or no frame-level AP can be computed",
                         rb_config_origin(cfg), i, s->name, (long long)s->synth.n_test_anomalous,
                         (long long)s->synth.n_test);
        else if (s->synthetic && strcmp(s->train_on, "self") == 0 && s->synth.n_train < 2)
            rc = rb_fail("%s: data.datasets.[%d] (%s): n_train = %lld: a dataset trained on itself needs at least 2 "
                         "train videos",
                         rb_config_origin(cfg), i, s->name, (long long)s->synth.n_train);
        if (rc != RB_OK) {
            free(specs);
            return rc;
        }
    }
    rb_cell *cells = NULL;
    int n_cells = 0;
    int rc = rb_grid_plan(cfg, n, NULL, &cells, &n_cells);
    free(cells);
    free(specs);
    RB_TRY(rc);
    rb_train_params tp;
    rb_detector_kind kinds[RB_DET_N_KINDS];
    int n_kinds;
    rb_gmm_params gp;
    double holdout;
    rb_weight_params wp;
    RB_TRY(rb_params_train(cfg, &tp));
    RB_TRY(rb_params_detectors(cfg, kinds, &n_kinds));
    RB_TRY(rb_params_gmm(cfg, &gp, &holdout));
    RB_TRY(rb_params_weights(cfg, &wp));
    return RB_OK;
}

/* Rank 0 reads and checks the config file (one reader, one error message: a failure there ends the
 * job once every rank has agreed on it); the other ranks parse the effective text it broadcasts, so
 * every rank holds exactly the same configuration. */
static int rb_load_shared(const char *config_path, char *const *sets, int n_sets, rb_config **cfg) {
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    long len = 0;
    int rc = RB_OK;
    if (rank == 0) {
        rc = rb_config_load(cfg, config_path, sets, n_sets);
        if (rc == RB_OK && (rc = rb_setup_check_config(*cfg)) != RB_OK) rb_config_free(*cfg);
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

int rb_cli_progress_mode(const char *command, const char *mode) {
    if (mode && strcmp(mode, "json") != 0 && strcmp(mode, "text") != 0)
        return rb_fail("%s: --progress: expected text or json, got '%s'", command, mode);
    rb_progress_json = mode && strcmp(mode, "json") == 0;
    return RB_OK;
}

/* provenance.c - collection and HDF5 recording of run provenance (rb_io.h). */
#include "rb_io.h"
#include "rb_core.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef RB_VERSION
#define RB_VERSION "0.0.0"
#endif
#ifndef RB_GIT_COMMIT
#define RB_GIT_COMMIT "unknown"
#endif

char *openblas_get_config(void);

static struct {
    char host[256];
    char time_utc[64];
    char command[4096];
    char mpi[512];
    int ranks;
    int ready;
} rb_prov;

void rb_provenance_set_command(int argc, char **argv) {
    size_t used = 0;
    rb_prov.command[0] = '\0';
    for (int i = 0; i < argc && used + 2 < sizeof rb_prov.command; i++) {
        int w = snprintf(rb_prov.command + used, sizeof rb_prov.command - used, "%s%s", i ? " " : "", argv[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
}

int rb_provenance_init(MPI_Comm comm) {
    int rank = 0;
    rb_prov.ranks = 1;
    if (comm != MPI_COMM_NULL) {
        MPI_Comm_rank(comm, &rank);
        MPI_Comm_size(comm, &rb_prov.ranks);
    }
    if (rank == 0) {
        if (gethostname(rb_prov.host, sizeof rb_prov.host) != 0) snprintf(rb_prov.host, sizeof rb_prov.host, "unknown");
        rb_prov.host[sizeof rb_prov.host - 1] = '\0';
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(rb_prov.time_utc, sizeof rb_prov.time_utc, "%Y-%m-%dT%H:%M:%SZ", &tm);
        int len = 0;
        MPI_Get_library_version(rb_prov.mpi, &len);
        for (char *p = rb_prov.mpi; *p; p++)
            if (*p == '\n' || *p == '\r') *p = ' ';
        for (int i = (int)strlen(rb_prov.mpi) - 1; i >= 0 && (rb_prov.mpi[i] == ' ' || rb_prov.mpi[i] == ','); i--)
            rb_prov.mpi[i] = '\0';
    }
    if (comm != MPI_COMM_NULL) {
        MPI_Bcast(rb_prov.host, sizeof rb_prov.host, MPI_CHAR, 0, comm);
        MPI_Bcast(rb_prov.time_utc, sizeof rb_prov.time_utc, MPI_CHAR, 0, comm);
        MPI_Bcast(rb_prov.mpi, sizeof rb_prov.mpi, MPI_CHAR, 0, comm);
        MPI_Bcast(rb_prov.command, sizeof rb_prov.command, MPI_CHAR, 0, comm);
    }
    rb_prov.ready = 1;
    return RB_OK;
}

const char *rb_version_string(void) { return "robusta " RB_VERSION " (commit " RB_GIT_COMMIT ")"; }
const char *rb_build_commit(void) { return RB_GIT_COMMIT; }
const char *rb_robusta_version(void) { return RB_VERSION; }
const char *rb_robusta_commit(void) { return RB_GIT_COMMIT; }

int rb_provenance_write(hid_t file, const char *config_text, char *const *input_paths,
                        char *const *input_sha256, int n_inputs) {
    if (!rb_prov.ready) RB_TRY(rb_provenance_init(MPI_COMM_NULL));
    hid_t g;
    RB_TRY(rb_h5_group(file, "provenance", &g));
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    char hdf5[64];
    snprintf(hdf5, sizeof hdf5, "%u.%u.%u", maj, min, rel);
    int rc = RB_OK;
    if (rb_h5_attr_string(g, "robusta_version", RB_VERSION) || rb_h5_attr_string(g, "git_commit", RB_GIT_COMMIT) ||
        rb_h5_attr_string(g, "mpi_library", rb_prov.mpi) || rb_h5_attr_string(g, "hdf5_version", hdf5) ||
        rb_h5_attr_string(g, "openblas_config", openblas_get_config()) ||
        rb_h5_attr_int64(g, "ranks", rb_prov.ranks) || rb_h5_attr_string(g, "host", rb_prov.host) ||
        rb_h5_attr_string(g, "time_utc", rb_prov.time_utc) || rb_h5_attr_string(g, "command", rb_prov.command))
        rc = RB_ERR;
    if (rc == RB_OK) {
        char *cfg = (char *)(config_text ? config_text : "");
        rc = rb_h5_write_strings(g, "config", &cfg, 1);
    }
    if (rc == RB_OK) {
        char **lines = rb_calloc((size_t)(n_inputs ? n_inputs : 1), sizeof *lines, "provenance inputs");
        if (!lines) rc = RB_ERR;
        for (int i = 0; rc == RB_OK && i < n_inputs; i++) {
            size_t n = strlen(input_paths[i]) + strlen(input_sha256[i]) + 3;
            lines[i] = rb_malloc(n, "provenance line");
            if (!lines[i]) rc = RB_ERR;
            else snprintf(lines[i], n, "%s  %s", input_sha256[i], input_paths[i]);
        }
        rc = rb_h5_agree(g, rc); /* an allocation failed on one rank: no rank creates "inputs" */
        if (rc == RB_OK) rc = rb_h5_write_strings(g, "inputs", lines, n_inputs);
        for (int i = 0; lines && i < n_inputs; i++) free(lines[i]);
        free(lines);
    }
    H5Gclose(g);
    if (rc != RB_OK) return rb_context("writing provenance");
    return RB_OK;
}

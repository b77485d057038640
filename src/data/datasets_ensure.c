/* datasets_ensure.c - the synth stage over several datasets (rb_data.h): build-or-verify each one with
 * rb_dataset_ensure and count the files it generates on one progress counter whose ETA comes from
 * their predicted sizes (feature bytes = snippets x floats per snippet, rb_synth_bytes): generation
 * time is linear in them (docs/synthetic.md); and the share of the datasets each MPI rank makes
 * (rb_datasets_share). Used by `robusta synth` and before train and bench. */
#include "rb_data.h"
#include "rb_core.h"
#include "rb_io.h"

#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

/* The predicted cost of generating spec s (its feature bytes), or 0 when it will not be generated. */
static double rb_dataset_build_cost(const rb_dataset_spec *s, int force) {
    struct stat st;
    if (!s->synthetic || (stat(s->path, &st) == 0 && !force)) return 0;
    rb_synth g;
    if (rb_synth_open(&g, &s->synth, s->seed) != RB_OK) {
        rb_error_clear(); /* rb_dataset_ensure meets the same error and reports it */
        return 0;
    }
    double bytes = rb_synth_bytes(&g, NULL);
    rb_synth_close(&g);
    return bytes > 0 ? bytes : 1;
}

void rb_datasets_share(const rb_dataset_spec *specs, int n, int rank, int size, uint8_t *wanted) {
    int same_file = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) same_file |= strcmp(specs[i].path, specs[j].path) == 0;
    for (int i = 0; i < n; i++)
        if (same_file ? rank != 0 : i % size != rank) wanted[i] = 0;
}

int rb_datasets_ensure(const rb_dataset_spec *specs, int n, const uint8_t *wanted, int synthetic_only,
                       const char *config_text, int force) {
    double total = 0;
    int to_build = 0;
    for (int i = 0; i < n; i++) {
        if ((wanted && !wanted[i]) || (synthetic_only && !specs[i].synthetic)) continue;
        double c = rb_dataset_build_cost(&specs[i], force);
        total += c;
        to_build += c > 0;
    }
    int rank = 0, mpi_up = 0; /* the rank the progress lines name */
    MPI_Initialized(&mpi_up);
    if (mpi_up) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    rb_stage_progress pr;
    rb_stage_progress_start(&pr, "synth", "datasets", "", total, to_build, 1, to_build > 0);
    for (int i = 0; i < n; i++) {
        if ((wanted && !wanted[i]) || (synthetic_only && !specs[i].synthetic)) continue;
        double t0 = rb_now();
        int built;
        RB_TRY(rb_dataset_ensure(&specs[i], config_text, force, &built));
        if (built) rb_stage_progress_item(&pr, rb_dataset_build_cost(&specs[i], 1), rb_now() - t0, specs[i].name, rank);
        else rb_log("dataset %s: %s is up to date", specs[i].name, specs[i].path);
    }
    return RB_OK;
}

/* run_dir.c - the run directory of a grid run (<run>/ = results/<run-id>): created with its scores/
 * scratch folder, log.txt opened, manifest.txt (the effective config, the --datasets shard and the
 * SHA-256 of every input file) written by the first attempt and compared by every --resume, the
 * attempt number taken from the journal, and the records earlier attempts committed restored.
 * Rank 0 does the file work; every rank receives what it decided. */
#include "rb_core.h"
#include "rb_io.h"
#include "grid_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rb_grid_make_run_dir(const rb_grid *g) {
    int rc = g->rank == 0 ? rb_mkdir_p(g->opt->run_dir) : RB_OK;
    if (rc == RB_OK && g->rank == 0 && g->opt->save_scores) {
        char sdir[4200];
        snprintf(sdir, sizeof sdir, "%s/scores", g->opt->run_dir);
        rc = rb_mkdir_p(sdir);
    }
    return rb_mpi_agree(rc, &g->comm);
}

/* Rank 0: the input files of this job (the selected datasets, then the models loaded) with their
 * SHA-256, into g->inputs / g->shas. */
static int rb_checksum_inputs(rb_grid *g) {
    int n = 0;
    g->inputs = rb_calloc((size_t)(2 * g->n_specs), sizeof *g->inputs, "inputs");
    g->shas = rb_calloc((size_t)(2 * g->n_specs), sizeof *g->shas, "input checksums");
    if (!g->inputs || !g->shas) return RB_ERR;
    for (int d = 0; d < g->n_specs; d++)
        for (int which = 0; which < 2; which++) {
            if (which == 0 && !g->selected[d]) continue;
            if (which == 1 && !g->model_loaded[d]) continue;
            const char *p = which == 0 ? g->specs[d].path : g->specs[d].model_path;
            char sha[65];
            RB_TRY(rb_sha256_file(p, sha));
            g->inputs[n] = rb_strdup(p, "input");
            g->shas[n] = rb_strdup(sha, "checksum");
            n++;
        }
    g->n_inputs = n;
    return RB_OK;
}

/* The manifest.txt text: effective config, "# datasets: <list|all>", "# inputs", "<sha>  <path>" lines. */
static char *rb_manifest_text(const rb_grid *g) {
    size_t cap = strlen(rb_config_text(g->cfg)) + (size_t)g->n_inputs * 4200 + 64;
    char *manifest = rb_malloc(cap, "manifest");
    if (!manifest) return NULL;
    snprintf(manifest, cap, "%s\n# datasets: %s\n# inputs\n", rb_config_text(g->cfg),
             g->opt->datasets ? g->opt->datasets : "all");
    for (int i = 0; i < g->n_inputs; i++)
        snprintf(manifest + strlen(manifest), cap - strlen(manifest), "%s  %s\n", g->shas[i], g->inputs[i]);
    return manifest;
}

/* Rank 0: input checksums, manifest, resume checks, and the attempt number. */
static int rb_grid_prepare_dir(rb_grid *g) {
    const char *dir = g->opt->run_dir;
    char path[4200];
    RB_TRY(rb_checksum_inputs(g));
    char *manifest = rb_manifest_text(g);
    if (!manifest) return RB_ERR;
    snprintf(path, sizeof path, "%s/manifest.txt", dir);
    char *old = NULL;
    if (rb_read_file(path, &old) != RB_OK) rb_error_clear(); /* no manifest yet: a new run */
    RB_TRY(rb_journal_attempts(dir, &g->attempt));
    struct stat st;
    char rpath[4200];
    snprintf(rpath, sizeof rpath, "%s/results.h5", dir);
    int has_results = stat(rpath, &st) == 0;
    int rc = RB_OK;
    if (!g->opt->resume && (old || g->attempt > 0 || has_results))
        rc = rb_fail("run directory %s already holds a run; use --resume to continue it, or another run id", dir);
    else if (g->opt->resume && old && strcmp(old, manifest) != 0)
        rc = rb_fail("cannot resume %s: the config or the input files changed since it started (compare %s with "
                     "`robusta config`); start a new run id instead", dir, path);
    if (rc == RB_OK && !old) rc = rb_write_file_atomic(path, manifest);
    free(old);
    free(manifest);
    return rc;
}

/* Every rank other than 0 receives the attempt number and the input list rank 0 decided. */
static void rb_grid_share_inputs(rb_grid *g) {
    MPI_Bcast(&g->attempt, 1, MPI_INT, 0, g->comm);
    MPI_Bcast(&g->n_inputs, 1, MPI_INT, 0, g->comm);
    int n = g->n_inputs;
    if (g->rank != 0) {
        g->inputs = rb_calloc((size_t)(n ? n : 1), sizeof *g->inputs, "inputs");
        g->shas = rb_calloc((size_t)(n ? n : 1), sizeof *g->shas, "checksums");
        for (int i = 0; i < n; i++) {
            g->inputs[i] = rb_calloc(4096, 1, "input");
            g->shas[i] = rb_calloc(65, 1, "checksum");
        }
    }
    for (int i = 0; i < n; i++) {
        char buf[4096] = "";
        if (g->rank == 0) snprintf(buf, sizeof buf, "%s", g->inputs[i]);
        MPI_Bcast(buf, sizeof buf, MPI_CHAR, 0, g->comm);
        if (g->rank != 0) memcpy(g->inputs[i], buf, sizeof buf);
        char sbuf[65] = "";
        if (g->rank == 0) memcpy(sbuf, g->shas[i], 65);
        MPI_Bcast(sbuf, 65, MPI_CHAR, 0, g->comm);
        if (g->rank != 0) memcpy(g->shas[i], sbuf, 65);
    }
}

int rb_grid_open_run(rb_grid *g) {
    int rc = RB_OK;
    if (g->rank == 0) {
        char lpath[4200];
        snprintf(lpath, sizeof lpath, "%s/log.txt", g->opt->run_dir);
        /* appended to, never through a symbolic link planted at its name */
        int fd = open(lpath, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0 && errno == ELOOP) rc = rb_fail("%s is a symbolic link: the run log is never written through one", lpath);
        g->log = fd >= 0 ? fdopen(fd, "a") : NULL;
        if (fd >= 0 && !g->log) close(fd);
        if (rc == RB_OK) rc = rb_grid_prepare_dir(g);
    }
    RB_TRY(rb_mpi_agree(rc, &g->comm));
    rb_grid_share_inputs(g);
    return RB_OK;
}

int rb_grid_restore(rb_grid *g) {
    double *recs = NULL;
    int count = 0;
    int rc = rb_journal_load(g->opt->run_dir, g->rec_len, &recs, &count);
    if (rb_mpi_agree(rc, &g->comm) != RB_OK) {
        free(recs);
        return RB_ERR;
    }
    for (int j = 0; j < count; j++) {
        int idx = (int)recs[(size_t)j * g->rec_len + RB_REC_CELL];
        if (idx < 0 || idx >= g->n_cells) continue;
        memcpy(g->records + (size_t)idx * g->rec_len, recs + (size_t)j * g->rec_len, sizeof(double) * (size_t)g->rec_len);
        g->have[idx] = 1;
    }
    free(recs);
    int restored = 0;
    for (int i = 0; i < g->n_cells; i++) restored += g->have[i];
    rb_grid_log(g, "resume: %d of %d cells already committed in %s", restored, g->n_cells, g->opt->run_dir);
    return RB_OK;
}

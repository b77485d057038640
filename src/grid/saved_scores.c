/* saved_scores.c - `bench --save-scores`: each cell's per-snippet scores [methods][replicas][snippets]
 * go to <run>/scores/cell-NNNNNN.f32 as the cell finishes (atomically, before its journal record, so a
 * resumed run finds the scores of every committed cell), are copied into results.h5 (/scores, with
 * /truth per dataset) by the rank that owns the cell, and are removed once results.h5 holds them. */
#include "rb_core.h"
#include "rb_io.h"
#include "grid_internal.h"

#include <stdio.h>
#include <stdlib.h>

static void rb_scores_path(const rb_grid *g, int idx, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/scores/cell-%06d.f32", g->opt->run_dir, idx);
}

int rb_grid_save_cell_scores(const rb_grid *g, int idx, const float *scores, size_t n) {
    char path[4200];
    rb_scores_path(g, idx, path, sizeof path);
    return rb_write_bytes_atomic(path, scores, sizeof(float) * n);
}

/* Read the saved scores of cell i (this rank computed it) into a fresh *buf. */
static int rb_read_cell_scores(const rb_grid *g, int i, size_t n, float **buf) {
    char fpath[4200];
    rb_scores_path(g, i, fpath, sizeof fpath);
    *buf = rb_malloc(sizeof(float) * n, "cell scores");
    if (!*buf) return RB_ERR;
    FILE *f = fopen(fpath, "rb");
    int ok = f && fread(*buf, sizeof(float), n, f) == n;
    if (f) fclose(f);
    if (ok) return RB_OK;
    free(*buf);
    *buf = NULL;
    return rb_fail("cannot read the saved scores %s (was the run started without --save-scores?)", fpath);
}

/* Datasets created collectively, each written (independently) by the rank that owns the cell. The
 * MPI error discipline (rb_core.h): the ranks agree on every cell's reads and on the previous
 * cell's writes before its collective dataset creations, and on each creation before going on, so
 * a failure on one rank (a missing scores file, a failed write, an allocation) makes every rank
 * leave at the same step, never inside a creation another rank skipped. */
int rb_grid_write_scores(hid_t file, void *grid) {
    const rb_grid *g = grid;
    MPI_Comm comm = g->comm;
    for (int d = 0; d < g->n_specs; d++) {
        if (!g->selected[d]) continue;
        char path[512];
        hid_t grp;
        const rb_split *t = &g->data[d].test;
        snprintf(path, sizeof path, "truth/%s", g->specs[d].name);
        RB_TRY(rb_h5_group(file, path, &grp)); /* the helpers of hdf5.c agree themselves */
        hsize_t dims[1] = {(hsize_t)t->n_snippets};
        int rc = rb_h5_write(grp, "snippet_pos", RB_H5_I32, 1, dims, t->snippet_pos);
        if (rc == RB_OK) rc = rb_h5_write(grp, "snippet_frames", RB_H5_I32, 1, dims, t->snippet_frames);
        H5Gclose(grp);
        RB_TRY(rc);
    }
    int rc = RB_OK; /* this rank's reads and writes since the last agreement */
    for (int i = 0; i < g->n_cells; i++) {
        const rb_cell *c = &g->cells[i];
        const rb_split *t = &g->data[c->dataset].test;
        size_t S = (size_t)t->n_snippets, per = (size_t)g->R * S;
        float *buf = NULL;
        if (g->computed_here[i] == g->rank) rc = rc == RB_OK ? rb_read_cell_scores(g, i, per * (size_t)g->M, &buf) : rc;
        if (rb_mpi_agree(rc, &comm) != RB_OK) {
            free(buf);
            return RB_ERR;
        }
        for (int k = 0; k < g->M; k++) {
            char path[512];
            snprintf(path, sizeof path, "scores/%s/%s/%d", g->specs[c->dataset].name, c->label, c->severity);
            hid_t grp;
            if (rb_h5_group(file, path, &grp) != RB_OK) {
                free(buf);
                return RB_ERR;
            }
            hsize_t dims[2] = {(hsize_t)g->R, (hsize_t)S};
            hid_t space = H5Screate_simple(2, dims, NULL);
            hid_t ds = H5Dcreate2(grp, rb_method_name(g->methods[k]), H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT,
                                  H5P_DEFAULT); /* collective */
            int created = ds < 0 ? rb_fail("cannot create %s/%s", path, rb_method_name(g->methods[k])) : RB_OK;
            if (rb_mpi_agree(created, &comm) != RB_OK) { /* every rank leaves before the next collective step */
                if (ds >= 0) H5Dclose(ds);
                H5Sclose(space);
                H5Gclose(grp);
                free(buf);
                return RB_ERR;
            }
            if (buf && rc == RB_OK) {
                if (H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf + (size_t)k * per) < 0 ||
                    (rb_fault_active && rb_h5_fault_write(ds, "")))
                    rc = rb_fail("writing %s/%s failed (disk full?)", path, rb_method_name(g->methods[k]));
            }
            H5Dclose(ds); /* collective: every rank closes */
            H5Sclose(space);
            H5Gclose(grp);
        }
        free(buf);
    }
    return rb_mpi_agree(rc, &comm);
}

void rb_grid_remove_saved_scores(const rb_grid *g) {
    for (int i = 0; i < g->n_cells; i++)
        if (g->computed_here[i] == g->rank) {
            char p[4200];
            rb_scores_path(g, i, p, sizeof p);
            remove(p);
        }
}

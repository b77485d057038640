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

/* Datasets created collectively, each written by the rank that owns the cell. */
int rb_grid_write_scores(hid_t file, void *grid) {
    const rb_grid *g = grid;
    for (int d = 0; d < g->n_specs; d++) {
        if (!g->selected[d]) continue;
        char path[512];
        hid_t grp;
        const rb_split *t = &g->data[d].test;
        snprintf(path, sizeof path, "truth/%s", g->specs[d].name);
        RB_TRY(rb_h5_group(file, path, &grp));
        hsize_t dims[1] = {(hsize_t)t->n_snippets};
        int rc = rb_h5_write(grp, "snippet_pos", RB_H5_I32, 1, dims, t->snippet_pos);
        if (rc == RB_OK) rc = rb_h5_write(grp, "snippet_frames", RB_H5_I32, 1, dims, t->snippet_frames);
        H5Gclose(grp);
        RB_TRY(rc);
    }
    int rc_all = RB_OK;
    for (int i = 0; i < g->n_cells; i++) {
        const rb_cell *c = &g->cells[i];
        const rb_split *t = &g->data[c->dataset].test;
        size_t S = (size_t)t->n_snippets, per = (size_t)g->R * S;
        float *buf = NULL;
        if (g->computed_here[i] == g->rank) {
            char fpath[4200];
            rb_scores_path(g, i, fpath, sizeof fpath);
            FILE *f = fopen(fpath, "rb");
            buf = rb_malloc(sizeof(float) * per * (size_t)g->M, "cell scores");
            if (!f || !buf || fread(buf, sizeof(float), per * (size_t)g->M, f) != per * (size_t)g->M)
                rc_all = rb_fail("cannot read the saved scores %s (was the run started without --save-scores?)", fpath);
            if (f) fclose(f);
        }
        for (int k = 0; k < g->M; k++) {
            char path[512];
            snprintf(path, sizeof path, "scores/%s/%s/%d", g->specs[c->dataset].name, c->label, c->severity);
            hid_t grp;
            RB_TRY(rb_h5_group(file, path, &grp));
            hsize_t dims[2] = {(hsize_t)g->R, (hsize_t)S};
            hid_t space = H5Screate_simple(2, dims, NULL);
            hid_t ds = H5Dcreate2(grp, rb_method_name(g->methods[k]), H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            if (ds < 0) rc_all = rb_fail("cannot create %s/%s", path, rb_method_name(g->methods[k]));
            else if (buf && rc_all == RB_OK && H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf + (size_t)k * per) < 0)
                rc_all = rb_fail("writing %s failed", path);
            if (ds >= 0) H5Dclose(ds);
            H5Sclose(space);
            H5Gclose(grp);
        }
        free(buf);
    }
    return rc_all;
}

void rb_grid_remove_saved_scores(const rb_grid *g) {
    for (int i = 0; i < g->n_cells; i++)
        if (g->computed_here[i] == g->rank) {
            char p[4200];
            rb_scores_path(g, i, p, sizeof p);
            remove(p);
        }
}

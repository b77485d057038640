/* clean_pass.c - the clean pass of each dataset, computed once across the ranks and shared. Before
 * the grid computes its cells, every dataset with a cell left to do gets its scorer on every rank
 * without the scorer's own clean pass (rb_scorer_create); the dataset's clean blocks (the scorer's
 * chunks of whole videos, fixed by the test split and grid.chunk_rows, never by the rank count) are
 * dealt contiguously over the ranks, each rank scores its blocks (rb_scorer_clean_blocks: every path
 * and replica, both NLLs, the concat first-layer halves when kept), and every clean array is
 * allgathered in place in row ranges (MPI_Allgatherv with a datatype of one row, so the counts are
 * rows and stay in int range); then every rank computes the clean weights and the shared-decor fit
 * (rb_scorer_clean_finish). A block is scored by the same float operations whichever rank scores it
 * (rb_score.h), so the clean state, hence every result, is bitwise that of one rank. Each rank then
 * holds the clean state of every dataset with cells left (docs/scaling.md). Every collective step is
 * preceded by rb_mpi_agree over all ranks (rb_core.h), so a fault one rank sees ends the job with one
 * message. */
#include "rb_core.h"
#include "rb_score.h"
#include "grid_internal.h"

#include <limits.h>
#include <stdlib.h>

/* Blocks [*b0, *b1) of rank q of P sharing B blocks (contiguous, in rank order). */
static void rb_clean_rank_blocks(int64_t B, int q, int P, int64_t *b0, int64_t *b1) {
    *b0 = B * q / P;
    *b1 = B * (q + 1) / P;
}

/* The clean pass of dataset d over every rank of g->comm; g->scorer[d] holds the finished scorer on
 * every rank after an agreed success. */
static int rb_clean_pass_dataset(rb_grid *g, int d) {
    double t0 = rb_now();
    const rb_model *m = &g->models[g->model_of[d]];
    const rb_split *test = &g->data[d].test;
    rb_scorer *s = NULL;
    int *counts = NULL, *displs = NULL;
    rb_clean_segment *seg = NULL;
    int n_seg = 0;
    int64_t B = 0, b0 = 0, b1 = 0;
    int rc = rb_scorer_create(&s, m, test, &g->ctx[d], g->chunk_rows, g->reuse_mb);
    if (rc == RB_OK) rc = rb_scorer_set_methods(s, g->methods, g->M);
    if (rc == RB_OK) {
        B = rb_scorer_n_blocks(s);
        rb_clean_rank_blocks(B, g->rank, g->size, &b0, &b1);
        rc = rb_scorer_clean_blocks(s, b0, b1);
    }
    if (rc == RB_OK && test->n_snippets > INT_MAX)
        rc = rb_fail("%lld test snippets: the clean pass gathers at most %d rows", (long long)test->n_snippets, INT_MAX);
    if (rc == RB_OK) { /* every rank's row range, in rank order */
        counts = rb_malloc(sizeof(int) * (size_t)g->size, "clean pass row ranges");
        displs = rb_malloc(sizeof(int) * (size_t)g->size, "clean pass row offsets");
        n_seg = rb_scorer_clean_segments(s, NULL, 0);
        seg = rb_malloc(sizeof *seg * (size_t)n_seg, "clean pass arrays");
        if (!counts || !displs || !seg) rc = RB_ERR;
        for (int q = 0; rc == RB_OK && q < g->size; q++) {
            int64_t q0, q1, r0, nr;
            rb_clean_rank_blocks(B, q, g->size, &q0, &q1);
            rc = rb_scorer_block_rows(s, q0, q1, &r0, &nr);
            counts[q] = (int)nr;
            displs[q] = (int)r0;
        }
    }
    if (rc == RB_OK) {
        rb_scorer_clean_segments(s, seg, n_seg);
        for (int k = 0; rc == RB_OK && k < n_seg; k++)
            if (seg[k].row_bytes == 0 || seg[k].row_bytes > INT_MAX)
                rc = rb_fail("internal: a clean array of %zu bytes per snippet", seg[k].row_bytes);
    }
    if (rc != RB_OK) rb_context("the clean pass of dataset %s", g->specs[d].name);
    rc = rb_mpi_agree(rc, &g->comm); /* every rank scored its blocks: gather */
    double t_gather = rb_now();
    size_t row_bytes = 0;
    for (int k = 0; rc == RB_OK && k < n_seg; k++) {
        MPI_Datatype row_type;
        MPI_Type_contiguous((int)seg[k].row_bytes, MPI_BYTE, &row_type);
        MPI_Type_commit(&row_type);
        MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, seg[k].base, counts, displs, row_type, g->comm);
        MPI_Type_free(&row_type);
        row_bytes += seg[k].row_bytes;
    }
    t_gather = rb_now() - t_gather;
    if (rc == RB_OK) {
        rc = rb_scorer_clean_finish(s);
        if (rc != RB_OK) rb_context("the clean pass of dataset %s", g->specs[d].name);
        rc = rb_mpi_agree(rc, &g->comm);
    }
    free(counts);
    free(displs);
    free(seg);
    if (rc != RB_OK) {
        rb_scorer_free(s);
        return RB_ERR;
    }
    g->scorer[d] = s;
    rb_grid_log(g, "grid: clean pass of %s: %lld blocks over %d ranks in %.2f s (all-gather of %.1f MiB: %.2f s)",
                g->specs[d].name, (long long)B, g->size, rb_now() - t0,
                (double)row_bytes * (double)test->n_snippets / 1048576.0, t_gather);
    return RB_OK;
}

int rb_grid_clean_pass(rb_grid *g, const int *todo, int n_todo) {
    for (int d = 0; d < g->n_specs; d++) {
        int needed = 0;
        for (int k = 0; k < n_todo && !needed; k++) needed = g->cells[todo[k]].dataset == d;
        if (needed && !g->scorer[d]) RB_TRY(rb_clean_pass_dataset(g, d));
    }
    return RB_OK;
}

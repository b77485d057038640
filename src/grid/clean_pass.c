/* clean_pass.c - the clean pass of each dataset, computed once across the ranks and shared, one copy
 * per node. Before the grid computes its cells, every dataset with a cell left to do gets its scorer
 * on every rank without the scorer's own clean pass (rb_scorer_create). The scorer's clean arrays
 * (every path's clean scores, both NLLs, the concat first-layer halves when kept) live in one
 * node-shared window (MPI_Win_allocate_shared on the node communicator, rb_node_comm), so the ranks
 * of a node hold them once. The dataset's clean blocks (the scorer's chunks of whole videos, fixed by
 * the test split and grid.chunk_rows, never by the rank count) are dealt contiguously over the nodes
 * and, within a node, over its ranks; each rank scores its blocks straight into the window
 * (rb_scorer_clean_blocks), the nodes' first ranks exchange their nodes' row ranges in place
 * (MPI_Allgatherv over one rank per node, with a datatype of one row, so the counts are rows and stay
 * in int range), and every rank then computes the clean weights and the shared-decor fit
 * (rb_scorer_clean_finish, in its own memory). A block is scored by the same float operations
 * whichever rank scores it (rb_score.h), so the clean state, hence every result, is bitwise that of
 * one rank. Every collective step is preceded by rb_mpi_agree over all ranks (rb_core.h), so a fault
 * one rank sees ends the job with one message; the window is freed with the scorer (run.c). */
#include "rb_core.h"
#include "rb_io.h"
#include "rb_score.h"
#include "grid_internal.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

/* Part q of P of the range [a, a + n) (contiguous, in order). */
static void rb_clean_part(int64_t a, int64_t n, int q, int P, int64_t *b0, int64_t *b1) {
    *b0 = a + n * q / P;
    *b1 = a + n * (q + 1) / P;
}

/* Where the ranks sit: node communicator, this rank's place in its node, the node's index among the
 * nodes (by the world rank of its first rank) and the communicator of the nodes' first ranks
 * (MPI_COMM_NULL on the others). Collective over g->comm. */
typedef struct {
    MPI_Comm node, leaders;
    int node_rank, node_size, node_index, n_nodes;
} rb_clean_topology;

static void rb_clean_topology_make(const rb_grid *g, rb_clean_topology *t) {
    rb_node_comm(g->comm, &t->node);
    MPI_Comm_rank(t->node, &t->node_rank);
    MPI_Comm_size(t->node, &t->node_size);
    MPI_Comm_split(g->comm, t->node_rank == 0 ? 0 : MPI_UNDEFINED, g->rank, &t->leaders);
    int where[2] = {0, 0};
    if (t->node_rank == 0) {
        MPI_Comm_rank(t->leaders, &where[0]);
        MPI_Comm_size(t->leaders, &where[1]);
    }
    MPI_Bcast(where, 2, MPI_INT, 0, t->node);
    t->node_index = where[0];
    t->n_nodes = where[1];
}

static void rb_clean_topology_free(rb_clean_topology *t) {
    if (t->leaders != MPI_COMM_NULL) MPI_Comm_free(&t->leaders);
    MPI_Comm_free(&t->node);
}

/* The blocks of node k of N, and of rank q of the node's P ranks, out of B. */
static void rb_clean_node_blocks(int64_t B, int k, int N, int64_t *b0, int64_t *b1) { rb_clean_part(0, B, k, N, b0, b1); }

static void rb_clean_rank_blocks(int64_t B, const rb_clean_topology *t, int64_t *b0, int64_t *b1) {
    int64_t n0, n1;
    rb_clean_node_blocks(B, t->node_index, t->n_nodes, &n0, &n1);
    rb_clean_part(n0, n1 - n0, t->node_rank, t->node_size, b0, b1);
}

/* The node-shared window of n bytes (allocated by the node's first rank) and its 64-byte aligned
 * start. Collective over the node. */
#define RB_CLEAN_WIN_PAD 64
static int rb_clean_window(const rb_clean_topology *t, size_t n, MPI_Win *win, void **aligned) {
    void *base = NULL;
    MPI_Aint mine = t->node_rank == 0 ? (MPI_Aint)(n + RB_CLEAN_WIN_PAD) : 0;
    if (MPI_Win_allocate_shared(mine, 1, MPI_INFO_NULL, t->node, &base, win) != MPI_SUCCESS)
        return rb_fail("cannot allocate the node-shared window of the clean arrays (%.1f MiB)", (double)n / 1048576.0);
    rb_mpi_set_win_error_handler(win); /* an MPI error on the window ends the job with one line */
    MPI_Aint size;
    int disp;
    MPI_Win_shared_query(*win, 0, &size, &disp, &base);
    uintptr_t at = (uintptr_t)base;
    *aligned = (void *)((at + RB_CLEAN_WIN_PAD - 1) / RB_CLEAN_WIN_PAD * RB_CLEAN_WIN_PAD);
    return RB_OK;
}

/* The clean pass of dataset d over every rank of g->comm; g->scorer[d] holds the finished scorer on
 * every rank after an agreed success, its clean arrays in g->clean_win[d]. */
static int rb_clean_pass_dataset(rb_grid *g, int d) {
    double t0 = rb_now();
    const rb_model *m = &g->models[g->model_of[d]];
    const rb_split *test = &g->data[d].test;
    rb_scorer *s = NULL;
    int *counts = NULL, *displs = NULL;
    rb_clean_segment *seg = NULL;
    int n_seg = 0;
    int64_t B = 0, b0 = 0, b1 = 0;
    MPI_Win win = MPI_WIN_NULL;
    void *shared = NULL;
    size_t clean_bytes = 0;
    rb_clean_topology t;
    rb_clean_topology_make(g, &t);
    int rc = rb_scorer_create(&s, m, test, &g->ctx[d], g->chunk_rows, g->reuse_mb);
    if (rc == RB_OK) rc = rb_scorer_set_linear(s, g->linear_corruptions);
    if (rc == RB_OK) rc = rb_scorer_set_methods(s, g->methods, g->M);
    if (rc == RB_OK && test->n_snippets > INT_MAX)
        rc = rb_fail("%lld test snippets: the clean pass gathers at most %d rows", (long long)test->n_snippets, INT_MAX);
    if (rc == RB_OK) clean_bytes = rb_scorer_clean_bytes(s); /* the same on every rank: same model and split */
    if (rc != RB_OK) rb_context("the clean pass of dataset %s", g->specs[d].name);
    rc = rb_mpi_agree(rc, &g->comm); /* every rank has its scorer: the window */
    if (rc == RB_OK) {
        rc = rb_clean_window(&t, clean_bytes, &win, &shared);
        if (rc == RB_OK) rc = rb_scorer_clean_borrow(s, shared);
        if (rc == RB_OK) {
            B = rb_scorer_n_blocks(s);
            rb_clean_rank_blocks(B, &t, &b0, &b1);
            rc = rb_scorer_clean_blocks(s, b0, b1);
        }
        if (rc == RB_OK) { /* every node's row range, in node order */
            counts = rb_malloc(sizeof(int) * (size_t)t.n_nodes, "clean pass row ranges");
            displs = rb_malloc(sizeof(int) * (size_t)t.n_nodes, "clean pass row offsets");
            n_seg = rb_scorer_clean_segments(s, NULL, 0);
            seg = rb_malloc(sizeof *seg * (size_t)n_seg, "clean pass arrays");
            if (!counts || !displs || !seg) rc = RB_ERR;
            for (int k = 0; rc == RB_OK && k < t.n_nodes; k++) {
                int64_t q0, q1, r0, nr;
                rb_clean_node_blocks(B, k, t.n_nodes, &q0, &q1);
                rc = rb_scorer_block_rows(s, q0, q1, &r0, &nr);
                counts[k] = (int)nr;
                displs[k] = (int)r0;
            }
        }
        if (rc == RB_OK) {
            rb_scorer_clean_segments(s, seg, n_seg);
            for (int k = 0; rc == RB_OK && k < n_seg; k++)
                if (seg[k].row_bytes == 0 || seg[k].row_bytes > INT_MAX)
                    rc = rb_fail("internal: a clean array of %zu bytes per snippet", seg[k].row_bytes);
        }
        if (rc != RB_OK) rb_context("the clean pass of dataset %s", g->specs[d].name);
        /* a failed window allocation aborts through the MPI error handler; any other failure is agreed
         * here with the window existing on every rank */
        rc = rb_mpi_agree(rc, &g->comm); /* every rank scored its blocks: exchange between nodes */
    }
    double t_gather = rb_now();
    size_t row_bytes = 0;
    if (rc == RB_OK) {
        MPI_Win_fence(0, win); /* the node's blocks are in the window */
        for (int k = 0; k < n_seg; k++) {
            row_bytes += seg[k].row_bytes;
            if (t.leaders == MPI_COMM_NULL) continue;
            MPI_Datatype row_type;
            MPI_Type_contiguous((int)seg[k].row_bytes, MPI_BYTE, &row_type);
            MPI_Type_commit(&row_type);
            MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, seg[k].base, counts, displs, row_type, t.leaders);
            MPI_Type_free(&row_type);
        }
        MPI_Win_fence(0, win); /* every node's blocks are in every window */
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
    const int n_nodes = t.n_nodes;
    rb_clean_topology_free(&t);
    if (rc != RB_OK) {
        rb_scorer_free(s);
        if (win != MPI_WIN_NULL) MPI_Win_free(&win); /* every rank: the failure was agreed */
        return RB_ERR;
    }
    g->scorer[d] = s;
    g->clean_win[d] = win;
    rb_grid_log(g, "grid: clean pass of %s: %lld blocks over %d ranks in %.2f s (clean arrays %.1f MiB, one copy per node; "
                   "exchange between %d nodes: %.2f s)",
                g->specs[d].name, (long long)B, g->size, rb_now() - t0,
                (double)row_bytes * (double)test->n_snippets / 1048576.0, n_nodes, t_gather);
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

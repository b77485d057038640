/* split.c - working past the number of cells: when the ranks outnumber the cells still to do, each
 * cell gets a group of consecutive ranks (at least one, more for costlier cells: rb_grid_split_ranks)
 * and its test videos are split over them. The unit of work is a block: one of the scorer's chunks
 * of whole videos, fixed by the test split and grid.chunk_rows alone, never by the rank count. Each
 * rank of a group scores a contiguous range of the cell's blocks - the corruption of those videos,
 * every detector path and the GMM NLLs, the same float operations the whole cell applies to them
 * (rb_score.h; the corruption's random numbers are keyed per video and crop, so a block draws what
 * the whole cell draws) - and the group's first rank, the cell's owner, gathers the packed results
 * (MPI_Gatherv in the group's communicator, after rb_mpi_agree on the group's status), then computes
 * the dynamic weights, fusion, metrics, bootstrap and journal record exactly as for a whole cell. So
 * results are bitwise those of any other rank count. The clean pass of each dataset was computed
 * before, once across every rank (clean_pass.c). A group of one rank scores its cell whole (run.c). */
#include "rb_core.h"
#include "rb_score.h"
#include "grid_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

int rb_grid_split_ranks(const double *cost, const int64_t *cap, int n, int P, int *n_ranks) {
    for (int k = 0; k < n; k++) n_ranks[k] = 1;
    int used = n < P ? n : P;
    while (used < P) {
        int best = -1;
        for (int k = 0; k < n; k++) {
            if (n_ranks[k] >= cap[k]) continue;
            if (best < 0 || cost[k] / n_ranks[k] > cost[best] / n_ranks[best]) best = k;
        }
        if (best < 0) break; /* every cell has as many ranks as blocks */
        n_ranks[best]++;
        used++;
    }
    return used;
}

/* Blocks [*b0, *b1) of member j of a group of n ranks sharing B blocks (contiguous, in member order). */
static void rb_member_blocks(int64_t B, int j, int n, int64_t *b0, int64_t *b1) {
    *b0 = B * j / n;
    *b1 = B * (j + 1) / n;
}

/* This rank's part of cell idx, split over the group (member j of n) that shares its B blocks. */
static int rb_split_cell(rb_grid *g, rb_journal *jr, MPI_Comm group, int idx, int j, int n, int64_t B, double *rec,
                         rb_progress *prog) {
    const rb_cell *c = &g->cells[idx];
    int d = c->dataset;
    rb_modality_condition cond[2];
    float *pre[2] = {NULL, NULL};
    int src[2] = {0, 0};
    int rc = rb_grid_scorer(g, d);
    double t0 = rb_now();
    if (rc == RB_OK) rc = rb_grid_cell_condition(g, idx, cond, pre, src);
    rb_scorer *s = g->scorer[d];
    if (rc == RB_OK && rb_scorer_n_blocks(s) != B)
        rc = rb_fail("internal: the scorer has %lld blocks, the split plan %lld", (long long)rb_scorer_n_blocks(s), (long long)B);
    size_t row_bytes = rc == RB_OK ? rb_scorer_block_row_bytes(s, cond) : 0;
    if (rc == RB_OK && (row_bytes == 0 || row_bytes > INT_MAX || g->data[d].test.n_snippets > INT_MAX))
        rc = rb_fail("internal: a split cell of %zu bytes per snippet and %lld snippets", row_bytes,
                     (long long)g->data[d].test.n_snippets);
    int64_t b0, b1, row0 = 0, rows = 0;
    rb_member_blocks(B, j, n, &b0, &b1);
    if (rc == RB_OK) rc = rb_scorer_block_rows(s, b0, b1, &row0, &rows);
    unsigned char *mine = NULL, *others = NULL;
    int *counts = NULL, *displs = NULL;
    if (rc == RB_OK && j > 0) { /* a helper packs its blocks; the owner scores its own in place */
        mine = rb_malloc(row_bytes * (size_t)(rows ? rows : 1), "split cell blocks");
        if (!mine) rc = RB_ERR;
    }
    if (rc == RB_OK && j == 0) { /* the owner's room for the other members' rows, in member order */
        counts = rb_malloc(sizeof(int) * (size_t)n, "split counts");
        displs = rb_malloc(sizeof(int) * (size_t)n, "split displacements");
        others = rb_malloc(row_bytes * (size_t)(g->data[d].test.n_snippets - rows + 1), "split cell gather");
        if (!counts || !displs || !others) rc = RB_ERR;
        for (int q = 0; rc == RB_OK && q < n; q++) {
            int64_t q0, q1, r0, nr;
            rb_member_blocks(B, q, n, &q0, &q1);
            rc = rb_scorer_block_rows(s, q0, q1, &r0, &nr);
            counts[q] = q == 0 ? 0 : (int)nr;
            displs[q] = q == 0 ? 0 : (int)(r0 - rows); /* rows after the owner's own */
        }
    }
    if (rc == RB_OK) rc = rb_scorer_score_blocks(s, cond, b0, b1, mine);
    if (rc != RB_OK) rb_context("cell %s %s severity %d", g->specs[d].name, c->label, c->severity);
    rc = rb_mpi_agree(rc, &group); /* every member scored its blocks: gather */
    if (rc == RB_OK) {
        MPI_Datatype row_type;
        MPI_Type_contiguous((int)row_bytes, MPI_BYTE, &row_type);
        MPI_Type_commit(&row_type);
        if (j == 0) MPI_Gatherv(MPI_IN_PLACE, 0, row_type, others, counts, displs, row_type, 0, group);
        else MPI_Gatherv(mine, (int)rows, row_type, NULL, NULL, NULL, row_type, 0, group);
        MPI_Type_free(&row_type);
    }
    if (rc == RB_OK && j == 0) { /* the owner: the others' blocks in, then the cell as a whole cell ends */
        for (int q = 1; rc == RB_OK && q < n; q++) {
            int64_t q0, q1;
            rb_member_blocks(B, q, n, &q0, &q1);
            rc = rb_scorer_put_blocks(s, cond, q0, q1, others + (size_t)displs[q] * row_bytes);
        }
        rb_cell_result res;
        float *scores = NULL;
        if (rc == RB_OK) rc = rb_scorer_finish_cell(s, cond, &res);
        if (rc != RB_OK) {
            rb_context("cell %s %s severity %d", g->specs[d].name, c->label, c->severity);
        } else {
            res.seconds = rb_now() - t0; /* the cell's wall time on its owner, gather included */
            rc = rb_grid_cell_record(g, idx, &res, src, rec, &scores);
        }
        if (rc == RB_OK) rc = rb_grid_commit_cell(g, jr, idx, rec, scores);
        if (rc == RB_OK) rb_grid_cell_finished(g, prog, idx, rec);
    }
    free(pre[0]);
    free(pre[1]);
    free(mine);
    free(others);
    free(counts);
    free(displs);
    return rb_mpi_agree(rc, &group); /* before the group's communicator is freed */
}

int rb_grid_compute_split(rb_grid *g, rb_journal *jr, const int *todo, int n_todo, double *rec, rb_progress *prog) {
    double *cost = rb_malloc(sizeof(double) * (size_t)n_todo, "split costs");
    int64_t *blocks = rb_malloc(sizeof(int64_t) * (size_t)n_todo, "split blocks");
    int64_t *cap = rb_malloc(sizeof(int64_t) * (size_t)n_todo, "split caps");
    int *n_ranks = rb_malloc(sizeof(int) * (size_t)n_todo, "split ranks");
    int rc = cost && blocks && cap && n_ranks ? RB_OK : RB_ERR;
    int mine = -1, member = 0, used = 0, widest = 1;
    if (rc == RB_OK) {
        for (int k = 0; k < n_todo; k++) {
            const rb_cell *c = &g->cells[todo[k]];
            int recomputes = c->corr_id[0] || c->corr_id[1] || c->missing[0] || c->missing[1];
            cost[k] = c->cost;
            blocks[k] = rb_score_blocks(&g->data[c->dataset].test, g->chunk_rows, NULL);
            cap[k] = recomputes && blocks[k] > 1 ? blocks[k] : 1;
        }
        used = rb_grid_split_ranks(cost, cap, n_todo, g->size, n_ranks);
        for (int k = 0, first = 0; k < n_todo; first += n_ranks[k++]) {
            if (g->rank >= first && g->rank < first + n_ranks[k]) {
                mine = k;
                member = g->rank - first;
            }
            if (n_ranks[k] > widest) widest = n_ranks[k];
        }
        rb_grid_log(g, "grid: %d cells for %d ranks: each cell's videos split in blocks over up to %d ranks (%d ranks idle)",
                    n_todo, g->size, widest, g->size - used);
    }
    rc = rb_mpi_agree(rc, &g->comm); /* before the groups' communicators are made */
    if (rc == RB_OK) {
        MPI_Comm group = MPI_COMM_NULL;
        int split = mine >= 0 && n_ranks[mine] > 1;
        MPI_Comm_split(g->comm, split ? mine : MPI_UNDEFINED, g->rank, &group);
        if (split) {
            rc = rb_split_cell(g, jr, group, todo[mine], member, n_ranks[mine], blocks[mine], rec, prog);
            MPI_Comm_free(&group);
        } else if (mine >= 0) {
            rc = rb_grid_do_cell(g, jr, todo[mine], rec);
            if (rc == RB_OK) rb_grid_cell_finished(g, prog, todo[mine], rec);
        }
    }
    rb_progress_finish(g, prog);
    free(cost);
    free(blocks);
    free(cap);
    free(n_ranks);
    return rc;
}

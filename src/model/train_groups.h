/* train_groups.h - the fixed gradient groups of a training minibatch (private to src/model; used by
 * train.c): which bags each group holds, which slice of the parameter vector each member of a team
 * sums, and the batch gradient as the bag-weighted sum of the group gradients in group order. A team
 * computes it with a fixed-order reduce-scatter (one MPI_Alltoallv moves every group's slice to the
 * member that sums it) and one MPI_Allgatherv of the summed slices; each parameter goes through the
 * same float operations, in the same order, whichever member sums it, so the weights are bitwise
 * those of a one-rank training for the same group count (docs/training.md, docs/scaling.md). */
#ifndef RB_MODEL_TRAIN_GROUPS_H
#define RB_MODEL_TRAIN_GROUPS_H

#include <mpi.h>
#include <stdint.h>

/* Group g of G over a batch of nb bags holds the bags [*j0, *j1): j0 = floor(nb g / G), j1 =
 * floor(nb (g + 1) / G). Some groups are empty when nb < G. */
void rb_group_bags(int nb, int G, int g, int *j0, int *j1);

/* The slice [*begin, *end) of n parameters that member k of a team of P sums: floor(n k / P) ..
 * floor(n (k + 1) / P). The P slices are contiguous and cover 0 .. n; their sizes differ by <= 1. */
void rb_grad_slice(int64_t n, int P, int k, int64_t *begin, int64_t *end);

/* out[0 .. len) = the sum, over the non-empty groups g = 0, 1, .., G-1 of a batch of nb bags and in
 * that order, of w_g * rows[g][0 .. len), with w_g = (float)(bags of g) / (float)nb, accumulated in
 * float from 0. rows[g] of an empty group is not read. The one summation of the batch gradient: a
 * lone rank calls it on whole vectors, a team member on its slice. */
void rb_group_sum(float *out, int64_t len, const float *const *rows, int nb, int G);

/* The buffers of one detector's group sum. A member keeps the gradients of its own groups only:
 * group g belongs to member g % size and is row g / size of its group-gradient array, which holds
 * rb_group_rows(G, size) rows of n_params floats. */
typedef struct {
    MPI_Comm team;          /* MPI_COMM_NULL alone */
    int rank, size;         /* this member and the team size (0 and 1 alone) */
    int G;                  /* gradient groups per batch */
    int64_t n_params;
    const float **rows;     /* [G] the rows rb_group_sum reads */
    float *send, *recv;     /* team: own groups' slices by destination; every group's slice of mine */
    int *send_count, *send_displ, *recv_count, *recv_displ, *slice_count, *slice_displ; /* [size] */
    double *loss_send, *loss_all; /* team: [rows] own groups' losses; [size][rows] everyone's */
} rb_group_exchange;

/* Rows of group gradients a member of a team of `size` keeps: ceil(G / size). */
int rb_group_rows(int G, int size);

/* Allocate the buffers for G groups of n_params gradients, alone (team MPI_COMM_NULL) or over a team
 * (not collective). Fails, with a message naming kname, when a team's MPI counts would not fit an int.
 * x is zeroed first, so rb_group_exchange_free is always safe. */
int rb_group_exchange_init(rb_group_exchange *x, MPI_Comm team, int G, int64_t n_params, const char *kname);
void rb_group_exchange_free(rb_group_exchange *x);

/* The batch gradient of a batch of nb bags into grad[0 .. n_params), from the rows of group_grad
 * (rb_group_exchange's layout); and group_loss[g] of every group g from its owner (on entry each
 * member holds its own groups' losses). Alone: rb_group_sum over the whole vectors, no MPI. A team:
 * collective over the team (an MPI_Alltoallv, an MPI_Allgatherv and an MPI_Allgather, nothing that
 * can fail in between; the members agree with rb_mpi_agree before calling, MPI errors go to the
 * error handler: rb_core.h). */
void rb_group_batch_grad(rb_group_exchange *x, int nb, const float *group_grad, double *group_loss, float *grad);

#endif

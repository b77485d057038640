/* train_groups.c - the batch gradient as the sum of its fixed gradient groups in group order
 * (train_groups.h), alone or over a team: a fixed-order reduce-scatter (each member receives its slice
 * of every group gradient from the group's owner with one MPI_Alltoallv and sums the slices in group
 * order) and an MPI_Allgatherv of the summed slices. Traffic per member and step: about 2 x 4 x
 * n_params bytes whatever the group count (docs/scaling.md). */
#include "train_groups.h"

#include "rb_core.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

void rb_group_bags(int nb, int G, int g, int *j0, int *j1) {
    *j0 = (int)((int64_t)nb * g / G);
    *j1 = (int)((int64_t)nb * (g + 1) / G);
}

void rb_grad_slice(int64_t n, int P, int k, int64_t *begin, int64_t *end) {
    *begin = n * k / P;
    *end = n * (k + 1) / P;
}

int rb_group_rows(int G, int size) { return (G + size - 1) / size; }

/* o += w * row, element by element */
RB_VECTOR_KERNEL static void rb_add_scaled(float *restrict o, const float *restrict row, int64_t n, float w) {
    for (int64_t i = 0; i < n; i++) o[i] += w * row[i];
}

/* In chunks that stay in L1 cache: each element still gets 0 + w_0 row_0 + w_1 row_1 + .. in group
 * order (the same operations, the same bits), but out is written once per chunk instead of being
 * read and written once per group over the whole vector. */
void rb_group_sum(float *out, int64_t len, const float *const *rows, int nb, int G) {
    enum { CHUNK = 2048 };
    for (int64_t i0 = 0; i0 < len; i0 += CHUNK) {
        const int64_t n = len - i0 < CHUNK ? len - i0 : CHUNK;
        float *o = out + i0;
        memset(o, 0, sizeof(float) * (size_t)n);
        for (int g = 0; g < G; g++) {
            int j0, j1;
            rb_group_bags(nb, G, g, &j0, &j1);
            if (j1 == j0) continue;
            const float w = (float)(j1 - j0) / (float)nb;
            rb_add_scaled(o, rows[g] + i0, n, w);
        }
    }
}

void rb_group_exchange_free(rb_group_exchange *x) {
    free(x->rows);
    free(x->send);
    free(x->recv);
    free(x->send_count);
    free(x->send_displ);
    free(x->recv_count);
    free(x->recv_displ);
    free(x->slice_count);
    free(x->slice_displ);
    free(x->loss_send);
    free(x->loss_all);
    memset(x, 0, sizeof *x);
}

int rb_group_exchange_init(rb_group_exchange *x, MPI_Comm team, int G, int64_t n_params, const char *kname) {
    memset(x, 0, sizeof *x);
    x->team = team;
    x->rank = 0;
    x->size = 1;
    x->G = G;
    x->n_params = n_params;
    if (team != MPI_COMM_NULL) {
        MPI_Comm_rank(team, &x->rank);
        MPI_Comm_size(team, &x->size);
    }
    x->rows = rb_malloc(sizeof *x->rows * (size_t)G, "gradient group rows");
    if (!x->rows) return RB_ERR;
    if (x->size == 1) return RB_OK;
    const int P = x->size, own = rb_group_rows(G, P);
    const int64_t slice_cap = (n_params + P - 1) / P;
    /* the largest count or displacement: own x n_params sent, G x slice_cap received */
    if ((int64_t)own * n_params > INT_MAX || (int64_t)G * slice_cap > INT_MAX)
        return rb_fail("train %s: %lld parameters x %d gradient groups over %d ranks exceed the MPI counts "
                       "of the team's gradient exchange", kname, (long long)n_params, G, P);
    x->send = rb_malloc(sizeof(float) * (size_t)own * (size_t)n_params, "group gradient slices to send");
    x->recv = rb_malloc(sizeof(float) * (size_t)G * (size_t)slice_cap, "group gradient slices received");
    x->send_count = rb_malloc(sizeof(int) * (size_t)P, "exchange counts");
    x->send_displ = rb_malloc(sizeof(int) * (size_t)P, "exchange counts");
    x->recv_count = rb_malloc(sizeof(int) * (size_t)P, "exchange counts");
    x->recv_displ = rb_malloc(sizeof(int) * (size_t)P, "exchange counts");
    x->slice_count = rb_malloc(sizeof(int) * (size_t)P, "exchange counts");
    x->slice_displ = rb_malloc(sizeof(int) * (size_t)P, "exchange counts");
    x->loss_send = rb_malloc(sizeof(double) * (size_t)own, "group losses to send");
    x->loss_all = rb_malloc(sizeof(double) * (size_t)own * (size_t)P, "group losses received");
    if (!x->send || !x->recv || !x->send_count || !x->send_displ || !x->recv_count || !x->recv_displ ||
        !x->slice_count || !x->slice_displ || !x->loss_send || !x->loss_all)
        return RB_ERR;
    for (int r = 0; r < P; r++) {
        int64_t a, b;
        rb_grad_slice(n_params, P, r, &a, &b);
        x->slice_count[r] = (int)(b - a);
        x->slice_displ[r] = (int)a;
    }
    return RB_OK;
}

static int rb_group_nonempty(int nb, int G, int g) {
    int j0, j1;
    rb_group_bags(nb, G, g, &j0, &j1);
    return j1 > j0;
}

/* Team: member `me` sums its slice of the batch gradient (in place in grad) from every non-empty
 * group's slice, received from the group's owner. The send buffer holds, for each member r in turn,
 * slice r of each of my non-empty groups in group order; the receive buffer, for each owner q in
 * turn, my slice of each of q's non-empty groups in group order. */
static void rb_group_reduce_scatter(rb_group_exchange *x, int nb, const float *group_grad, float *grad) {
    const int G = x->G, P = x->size, me = x->rank;
    const int64_t n = x->n_params;
    int n_own = 0;
    for (int g = me; g < G; g += P) n_own += rb_group_nonempty(nb, G, g);
    for (int r = 0; r < P; r++) {
        const int64_t a = x->slice_displ[r], len = x->slice_count[r];
        x->send_count[r] = (int)(n_own * len);
        x->send_displ[r] = (int)(n_own * a);
        float *dst = x->send + n_own * a;
        for (int g = me; g < G; g += P)
            if (rb_group_nonempty(nb, G, g)) {
                memcpy(dst, group_grad + (size_t)(g / P) * (size_t)n + (size_t)a, sizeof(float) * (size_t)len);
                dst += len;
            }
    }
    const int64_t my_len = x->slice_count[me];
    int64_t off = 0;
    for (int q = 0; q < P; q++) {
        x->recv_displ[q] = (int)off;
        for (int g = q; g < G; g += P) {
            x->rows[g] = NULL;
            if (!rb_group_nonempty(nb, G, g)) continue;
            x->rows[g] = x->recv + off;
            off += my_len;
        }
        x->recv_count[q] = (int)(off - x->recv_displ[q]);
    }
    MPI_Alltoallv(x->send, x->send_count, x->send_displ, MPI_FLOAT, x->recv, x->recv_count, x->recv_displ,
                  MPI_FLOAT, x->team);
    rb_group_sum(grad + x->slice_displ[me], my_len, x->rows, nb, G);
}

void rb_group_batch_grad(rb_group_exchange *x, int nb, const float *group_grad, double *group_loss, float *grad) {
    const int G = x->G, P = x->size;
    if (P == 1) {
        for (int g = 0; g < G; g++) x->rows[g] = group_grad + (size_t)g * (size_t)x->n_params;
        rb_group_sum(grad, x->n_params, x->rows, nb, G);
        return;
    }
    rb_group_reduce_scatter(x, nb, group_grad, grad);
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, grad, x->slice_count, x->slice_displ, MPI_FLOAT, x->team);
    /* the losses: own groups' by row, gathered as [member][row]; group g is row g / P of member g % P */
    const int own = rb_group_rows(G, P);
    for (int k = 0; k < own; k++) {
        int g = x->rank + k * P;
        x->loss_send[k] = g < G ? group_loss[g] : 0.0;
    }
    MPI_Allgather(x->loss_send, own, MPI_DOUBLE, x->loss_all, own, MPI_DOUBLE, x->team);
    for (int g = 0; g < G; g++) group_loss[g] = x->loss_all[(size_t)(g % P) * (size_t)own + (size_t)(g / P)];
}

/* graph.c - the three adjacency matrices of HL-Net over the snippets of one bag (hlnet.h): feature
 * similarity (cosine, threshold 0.7, row softmax) with its backward, temporal distance
 * (exp(-|i-j|/e)) and the score adjacency of the online logits. Constants: docs/training.md. */
#include "hlnet.h"

#include "rb_core.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>

/* In place row softmax of a T x T matrix (max subtracted; exponentials in float, sums in double).
 * The similarity graph's rows are mostly the threshold's zeros: their exponential expf(0 - m) is
 * computed once per row (the same value, so the same bits). */
static void rb_graph_softmax_rows(float *a, int T) {
    for (int i = 0; i < T; i++) {
        float *row = a + (int64_t)i * T, m = row[0];
        for (int j = 1; j < T; j++) m = row[j] > m ? row[j] : m;
        const float zero = 0.0f, e_zero = expf(zero - m);
        double s = 0.0;
        for (int j = 0; j < T; j++) {
            row[j] = row[j] == zero ? e_zero : expf(row[j] - m);
            s += row[j];
        }
        float inv = (float)(1.0 / s);
        for (int j = 0; j < T; j++) row[j] *= inv;
    }
}

static void rb_graph_norms(const float *x, int ld, int d, int T, double *acc) {
    for (int i = 0; i < T; i++) {
        const float *r = x + (int64_t)i * ld;
        double s = 0.0;
        for (int c = 0; c < d; c++) s += (double)r[c] * r[c];
        acc[i] += s;
    }
}

void rb_graph_similarity(const float *x1, int ld1, int d1, const float *x2, int ld2, int d2, int T, float *cos,
                         float *norms, float *adj, double *acc) {
    if (T <= 0) return;
    /* Gram matrix as one or two sgemms (the concat detector's rows are [visual ; audio]) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, d1, 1.0f, x1, ld1, x1, ld1, 0.0f, cos, T);
    if (x2) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, d2, 1.0f, x2, ld2, x2, ld2, 1.0f, cos, T);
    for (int i = 0; i < T; i++) acc[i] = 0.0;
    rb_graph_norms(x1, ld1, d1, T, acc);
    if (x2) rb_graph_norms(x2, ld2, d2, T, acc);
    for (int i = 0; i < T; i++) norms[i] = (float)sqrt(acc[i]);
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) {
            int64_t ij = (int64_t)i * T + j;
            cos[ij] = cos[ij] / (norms[i] * norms[j] + RB_GRAPH_NORM_EPS);
            adj[ij] = cos[ij] > RB_GRAPH_SIM_THRESHOLD ? cos[ij] : 0.0f;
        }
    rb_graph_softmax_rows(adj, T);
}

void rb_graph_similarity_backward(const float *x, int ld, int d, int T, const float *cos, const float *norms,
                                  const float *adj, float *dadj, float *dx, int ldx, double *dn) {
    if (T <= 0) return;
    for (int i = 0; i < T; i++) dn[i] = 0.0;
    for (int i = 0; i < T; i++) {
        const float *a = adj + (int64_t)i * T, *c = cos + (int64_t)i * T;
        float *g = dadj + (int64_t)i * T;
        double dot = 0.0;
        for (int j = 0; j < T; j++) dot += (double)a[j] * g[j];
        for (int j = 0; j < T; j++) {
            /* softmax backward, then the threshold's mask (derivative 1 above 0.7, else 0) */
            double ds = c[j] > RB_GRAPH_SIM_THRESHOLD ? a[j] * (g[j] - dot) : 0.0;
            double q = (double)norms[i] * norms[j] + RB_GRAPH_NORM_EPS;
            /* cos = G / q with q = n_i n_j + eps: d/dn_i = -cos n_j / q, d/dn_j = -cos n_i / q */
            dn[i] -= ds * c[j] * norms[j] / q;
            dn[j] -= ds * c[j] * norms[i] / q;
            g[j] = (float)(ds / q); /* dG */
        }
    }
    /* G = x x^T: dx = (dG + dG^T) x; n_i = |x_i|: dx_i += dn_i x_i / n_i */
    for (int i = 0; i < T; i++) {
        dadj[(int64_t)i * T + i] *= 2.0f;
        for (int j = i + 1; j < T; j++) {
            float s = dadj[(int64_t)i * T + j] + dadj[(int64_t)j * T + i];
            dadj[(int64_t)i * T + j] = dadj[(int64_t)j * T + i] = s;
        }
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, d, T, 1.0f, dadj, T, x, ld, 1.0f, dx, ldx);
    for (int i = 0; i < T; i++) {
        if (!(norms[i] > 0.0f)) continue;
        float f = (float)(dn[i] / norms[i]);
        for (int c = 0; c < d; c++) dx[(int64_t)i * ldx + c] += f * x[(int64_t)i * ld + c];
    }
}

void rb_graph_distance(int T, float *adj, int ld) {
    const float e = expf(1.0f); /* torch.exp(torch.tensor(1.)) in the public DistanceAdj */
    /* the matrix is Toeplitz: the T values exp(-k / e), k = |i - j|, are computed once each, into
     * the first row, then copied along the diagonals */
    for (int k = 0; k < T; k++) adj[k] = expf(-(float)k / e);
    for (int i = 1; i < T; i++)
        for (int j = 0; j < T; j++) adj[(int64_t)i * ld + j] = adj[abs(i - j)];
}

void rb_graph_score(const float *o, int T, float *adj, double *scratch) {
    for (int j = 0; j < T; j++) scratch[j] = (float)rb_nn_sigmoid(o[j]);
    /* symmetric before the softmax (|s_i - s_j| = |s_j - s_i| exactly): each pair computed once */
    for (int i = 0; i < T; i++) {
        float si = (float)scratch[i];
        for (int j = i; j < T; j++) {
            float a = 1.0f - fabsf(si - (float)scratch[j]);
            adj[(int64_t)i * T + j] = adj[(int64_t)j * T + i] = 1.0f / (1.0f + expf(-(a - 0.5f) / 0.1f));
        }
    }
    rb_graph_softmax_rows(adj, T);
}

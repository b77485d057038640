/* synth_probe.c - calibration proxy for the synthetic data (docs/synthetic.md): ridge (least-squares)
 * probes on standardised snippet features, trained with every snippet of a violent train video
 * labelled positive, scored on the test split with the frame-level XD "AP" (trapezoid PR rule).
 * A cheap stand-in for the trained detectors, used to tune and to watch the difficulty knobs. */
#include "rb_score.h"
#include "synth_probe.h"
#include "rb_data.h"
#include "rb_core.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The XD "AP" of the metrics module (one implementation of the protocol in robusta); NaN when it is
 * undefined (no positive or no negative frames) or memory runs out. */
double rb_synth_trapezoid_ap(const float *score, const int32_t *pos, const int32_t *frames, int64_t n) {
    double *sc = malloc(sizeof *sc * (size_t)(n > 0 ? n : 1));
    if (!sc) return NAN;
    for (int64_t i = 0; i < n; i++) sc[i] = score[i];
    rb_metrics m;
    int rc = rb_metrics_compute(sc, pos, frames, n, &m);
    free(sc);
    return rc == RB_OK ? m.ap : NAN;
}

/* Feature row of snippet s for probe mode 0 visual (crop mean), 1 audio, 2 both. */
static void rb_probe_row(const rb_split *sp, int mode, int64_t s, float *out) {
    int off = 0;
    if (mode != 1) {
        const float *x = rb_split_visual_at(sp, s, 0);
        const int D = sp->d_visual, C = sp->n_crops;
        for (int d = 0; d < D; d++) out[d] = 0;
        for (int c = 0; c < C; c++)
            for (int d = 0; d < D; d++) out[d] += x[(size_t)c * D + d];
        for (int d = 0; d < D; d++) out[d] /= (float)C;
        off = D;
    }
    if (mode != 0) memcpy(out + off, rb_split_audio_at(sp, s), sizeof(float) * (size_t)sp->d_audio);
}

/* Solve (A) w = b in place for symmetric positive definite A (n x n, row-major), Cholesky. */
static int rb_probe_cholesky_solve(double *A, double *b, int n) {
    for (int j = 0; j < n; j++) {
        double s = A[(size_t)j * n + j];
        for (int k = 0; k < j; k++) s -= A[(size_t)j * n + k] * A[(size_t)j * n + k];
        if (!(s > 0)) return rb_fail("probe: normal matrix not positive definite at column %d", j);
        double l = sqrt(s);
        A[(size_t)j * n + j] = l;
        for (int i = j + 1; i < n; i++) {
            double t = A[(size_t)i * n + j];
            const double *ai = A + (size_t)i * n, *aj = A + (size_t)j * n;
            for (int k = 0; k < j; k++) t -= ai[k] * aj[k];
            A[(size_t)i * n + j] = t / l;
        }
    }
    for (int i = 0; i < n; i++) { /* L y = b */
        double t = b[i];
        for (int k = 0; k < i; k++) t -= A[(size_t)i * n + k] * b[k];
        b[i] = t / A[(size_t)i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) { /* L^T w = y */
        double t = b[i];
        for (int k = i + 1; k < n; k++) t -= A[(size_t)k * n + i] * b[k];
        b[i] = t / A[(size_t)i * n + i];
    }
    return RB_OK;
}

/* Ridge fit on the selected rows of the standardised design X (n x p): centres the selection, solves
 * (Xs^T Xs + ridge*m I) w = Xs^T (y - ybar). Xs is scratch of n x p floats. */
static int rb_probe_fit(const float *X, const float *y, const uint8_t *sel, int64_t n, int p, double ridge,
                        float *Xs, float *ys, float *G, double *A, double *w, float *wf) {
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (sel[i]) {
            memcpy(Xs + (size_t)m * p, X + (size_t)i * p, sizeof(float) * (size_t)p);
            ys[m++] = y[i];
        }
    if (m < 2) return rb_fail("probe: fewer than 2 training rows selected");
    double ybar = 0;
    for (int64_t i = 0; i < m; i++) ybar += ys[i];
    ybar /= (double)m;
    for (int64_t i = 0; i < m; i++) ys[i] = (float)(ys[i] - ybar);
    for (int j = 0; j < p; j++) w[j] = 0;
    for (int64_t i = 0; i < m; i++)
        for (int j = 0; j < p; j++) w[j] += Xs[(size_t)i * p + j];
    for (int j = 0; j < p; j++) wf[j] = (float)(w[j] / (double)m);
    for (int64_t i = 0; i < m; i++)
        for (int j = 0; j < p; j++) Xs[(size_t)i * p + j] -= wf[j];
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, p, p, (int)m, 1.0f, Xs, p, Xs, p, 0.0f, G, p);
    cblas_sgemv(CblasRowMajor, CblasTrans, (int)m, p, 1.0f, Xs, p, ys, 1, 0.0f, wf, 1);
    for (size_t i = 0; i < (size_t)p * p; i++) A[i] = G[i];
    for (int j = 0; j < p; j++) {
        A[(size_t)j * p + j] += ridge * (double)m;
        w[j] = wf[j];
    }
    RB_TRY(rb_probe_cholesky_solve(A, w, p));
    for (int j = 0; j < p; j++) wf[j] = (float)w[j];
    return RB_OK;
}

typedef struct {
    float score;
    int64_t row;
} rb_probe_rank;

static int rb_probe_rank_desc(const void *a, const void *b) {
    float x = ((const rb_probe_rank *)a)->score, y = ((const rb_probe_rank *)b)->score;
    if (x != y) return (x < y) - (x > y);
    int64_t i = ((const rb_probe_rank *)a)->row, j = ((const rb_probe_rank *)b)->row;
    return (i > j) - (i < j);
}

static int rb_probe_one(const rb_dataset *ds, int mode, int stride, double ridge, int mil_rounds, double *ap) {
    const rb_split *tr = &ds->train, *te = &ds->test;
    const int p = (mode != 1 ? tr->d_visual : 0) + (mode != 0 ? tr->d_audio : 0);
    int64_t n = 0;
    for (int64_t s = 0; s < tr->n_snippets; s += stride) n++;
    float *X = rb_malloc(sizeof(float) * (size_t)n * p, "probe design matrix");
    float *Xs = rb_malloc(sizeof(float) * (size_t)n * p, "probe selected rows");
    float *y = rb_malloc(sizeof(float) * (size_t)n, "probe labels");
    float *ys = rb_malloc(sizeof(float) * (size_t)n, "probe labels");
    float *sc = rb_malloc(sizeof(float) * (size_t)n, "probe train scores");
    int64_t *vid = rb_malloc(sizeof(int64_t) * (size_t)n, "probe video ids");
    uint8_t *sel = rb_malloc((size_t)n, "probe selection");
    rb_probe_rank *rk = rb_malloc(sizeof(rb_probe_rank) * (size_t)n, "probe ranks");
    double *mean = rb_calloc((size_t)p, sizeof(double), "probe mean");
    double *sd = rb_calloc((size_t)p, sizeof(double), "probe sd");
    float *G = rb_malloc(sizeof(float) * (size_t)p * p, "probe gram");
    double *A = rb_malloc(sizeof(double) * (size_t)p * p, "probe normal matrix");
    double *w = rb_calloc((size_t)p, sizeof(double), "probe weights");
    float *wf = rb_malloc(sizeof(float) * (size_t)p, "probe weights");
    float *score = rb_malloc(sizeof(float) * (size_t)(te->n_snippets + 1), "probe scores");
    int rc = RB_ERR;
    if (!X || !Xs || !y || !ys || !sc || !vid || !sel || !rk || !mean || !sd || !G || !A || !w || !wf || !score)
        goto done;
    int64_t row = 0, v = 0;
    for (int64_t s = 0; s < tr->n_snippets; s += stride, row++) {
        while (tr->offsets[v + 1] <= s) v++;
        rb_probe_row(tr, mode, s, X + (size_t)row * p);
        y[row] = tr->labels[v];
        vid[row] = v;
    }
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < p; j++) mean[j] += X[(size_t)i * p + j];
    for (int j = 0; j < p; j++) mean[j] /= (double)n;
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < p; j++) {
            double e = X[(size_t)i * p + j] - mean[j];
            sd[j] += e * e;
        }
    for (int j = 0; j < p; j++) sd[j] = sqrt(sd[j] / (double)n) + 1e-6;
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < p; j++) X[(size_t)i * p + j] = (float)((X[(size_t)i * p + j] - mean[j]) / sd[j]);
    /* Round 0: every snippet of a violent video positive. Later rounds (linear top-k MIL): a violent
     * video contributes only its k = floor(T/16) + 1 best-scoring sampled snippets. */
    for (int64_t i = 0; i < n; i++) sel[i] = 1;
    for (int round = 0; round <= mil_rounds; round++) {
        if (round > 0) {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, p, 1.0f, X, p, wf, 1, 0.0f, sc, 1);
            for (int64_t i0 = 0; i0 < n;) {
                int64_t i1 = i0;
                while (i1 < n && vid[i1] == vid[i0]) i1++;
                if (y[i0] > 0) {
                    int64_t T = i1 - i0, k = T / 16 + 1;
                    for (int64_t i = i0; i < i1; i++) rk[i - i0] = (rb_probe_rank){sc[i], i};
                    qsort(rk, (size_t)T, sizeof *rk, rb_probe_rank_desc);
                    for (int64_t i = i0; i < i1; i++) sel[i] = 0;
                    for (int64_t i = 0; i < k && i < T; i++) sel[rk[i].row] = 1;
                }
                i0 = i1;
            }
        }
        if (rb_probe_fit(X, y, sel, n, p, ridge, Xs, ys, G, A, w, wf) != RB_OK) goto done;
    }
    for (int j = 0; j < p; j++) wf[j] = (float)(w[j] / sd[j]);
    /* Test scores in row blocks, Xs reused as the block buffer (the constant offset from the mean is
     * irrelevant to the ranking). */
    const int64_t block = n < 4096 ? n : 4096;
    for (int64_t s0 = 0; s0 < te->n_snippets; s0 += block) {
        int64_t m = te->n_snippets - s0 < block ? te->n_snippets - s0 : block;
        for (int64_t i = 0; i < m; i++) rb_probe_row(te, mode, s0 + i, Xs + (size_t)i * p);
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)m, p, 1.0f, Xs, p, wf, 1, 0.0f, score + s0, 1);
    }
    *ap = rb_synth_trapezoid_ap(score, te->snippet_pos, te->snippet_frames, te->n_snippets);
    rc = RB_OK;
done:
    free(X); free(Xs); free(y); free(ys); free(sc); free(vid); free(sel); free(rk);
    free(mean); free(sd); free(G); free(A); free(w); free(wf); free(score);
    return rc;
}

int rb_synth_probe(const rb_dataset *d, int stride, double ridge, int mil_rounds, rb_synth_probe_result *r) {
    memset(r, 0, sizeof *r);
    if (d->train.n_snippets < 2 || d->test.n_snippets < 1 || !d->test.snippet_pos)
        return rb_fail("probe: needs a non-empty train split and a test split with truth");
    if (stride < 1) return rb_fail("probe: stride must be >= 1, got %d", stride);
    if (mil_rounds < 0 || mil_rounds > 100) return rb_fail("probe: mil_rounds must be in [0, 100], got %d", mil_rounds);
    double P = 0, F = 0;
    for (int64_t s = 0; s < d->test.n_snippets; s++) {
        P += d->test.snippet_pos[s];
        F += d->test.snippet_frames[s];
    }
    if (!(P > 0)) return rb_fail("probe: the test split has no positive frame");
    r->positive_fraction = P / F;
    r->ap_constant = 0.5 * (1.0 + r->positive_fraction);
    RB_TRY_CTX(rb_probe_one(d, 0, stride, ridge, mil_rounds, &r->ap_visual), "visual probe");
    RB_TRY_CTX(rb_probe_one(d, 1, stride, ridge, mil_rounds, &r->ap_audio), "audio probe");
    RB_TRY_CTX(rb_probe_one(d, 2, stride, ridge, mil_rounds, &r->ap_concat), "concatenation probe");
    return RB_OK;
}

/* mil.c - the top-k multiple-instance BCE loss of the public XD-Violence baselines (rb_model.h):
 * k = floor(T/16) + 1 largest snippet logits of a bag, averaged, sigmoid, BCE against the video label;
 * the gradient reaches only the k selected snippets. Ties go to the lower snippet index. */
#include "rb_core.h"
#include "rb_model.h"

#include <math.h>

int rb_mil_k(int t) {
    int k = t / 16 + 1;
    return k < t ? k : t;
}

void rb_mil_topk(const float *x, int t, int k, int *idx) {
    /* One pass keeping idx[0..n-1] sorted by decreasing value; a later element enters only when it is
     * strictly larger than an element held, so among equal values the lower index wins. O(t k). */
    int n = 0;
    for (int i = 0; i < t; i++) {
        float v = x[i];
        if (n == k && !(v > x[idx[k - 1]])) continue;
        int pos = n < k ? n : k - 1; /* slot to fill (dropping the smallest when full) */
        while (pos > 0 && v > x[idx[pos - 1]]) {
            idx[pos] = idx[pos - 1];
            pos--;
        }
        idx[pos] = i;
        if (n < k) n++;
    }
}

int rb_mil_topk_loss(const float *logits, const int64_t *start, const int32_t *len, const float *labels,
                     int n_bags, double *loss, float *dlogits) {
    if (n_bags <= 0) return rb_fail("MIL loss: expected at least one bag, got %d", n_bags);
    int idx[4096];
    double total = 0.0;
    for (int b = 0; b < n_bags; b++) {
        int t = len[b];
        if (t < 1) return rb_fail("MIL loss: bag %d: expected length >= 1, got %d", b, t);
        int k = rb_mil_k(t);
        if (k > (int)(sizeof idx / sizeof idx[0]))
            return rb_fail("MIL loss: bag %d: length %d exceeds the supported %d snippets", b, t,
                           16 * (int)(sizeof idx / sizeof idx[0]) - 1);
        const float *x = logits + start[b];
        rb_mil_topk(x, t, k, idx);
        double s = 0.0;
        for (int j = 0; j < k; j++) s += x[idx[j]];
        double z = s / k, y = labels[b];
        if (!isfinite(z)) return rb_fail("MIL loss: bag %d: bag logit is not finite (%g)", b, z);
        /* BCE(sigmoid(z), y) = y softplus(-z) + (1 - y) softplus(z) */
        total += y * rb_nn_softplus(-z) + (1.0 - y) * rb_nn_softplus(z);
        if (dlogits) {
            float *g = dlogits + start[b];
            for (int i = 0; i < t; i++) g[i] = 0.0f;
            double gz = (rb_nn_sigmoid(z) - y) / ((double)k * n_bags);
            for (int j = 0; j < k; j++) g[idx[j]] = (float)gz;
        }
    }
    *loss = total / n_bags;
    return RB_OK;
}

/* adam.c - Adam (PyTorch semantics, optional L2 or decoupled weight decay) over a flat parameter
 * buffer, and the per-epoch learning-rate schedules (rb_model.h). */
#include "rb_core.h"
#include "rb_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int rb_adam_init(rb_adam *a, int64_t n, double weight_decay, rb_wd_mode wd_mode) {
    memset(a, 0, sizeof *a);
    if (n < 0) return rb_fail("Adam: expected a parameter count >= 0, got %lld", (long long)n);
    if (!(weight_decay >= 0.0)) return rb_fail("Adam: expected weight decay >= 0, got %g", weight_decay);
    if (wd_mode != RB_WD_L2 && wd_mode != RB_WD_DECOUPLED)
        return rb_fail("Adam: unknown weight-decay mode %d", (int)wd_mode);
    a->n = n;
    a->beta1 = 0.9;
    a->beta2 = 0.999;
    a->eps = 1e-8;
    a->weight_decay = weight_decay;
    a->wd_mode = wd_mode;
    a->m = rb_calloc((size_t)n, sizeof(float), "Adam first moments");
    a->v = rb_calloc((size_t)n, sizeof(float), "Adam second moments");
    if (!a->m || !a->v) {
        rb_adam_free(a);
        return RB_ERR;
    }
    return RB_OK;
}

void rb_adam_free(rb_adam *a) {
    free(a->m);
    free(a->v);
    a->m = a->v = NULL;
}

/* One update of n parameters, in double per element as PyTorch's reference formulas read (same bits
 * as the scalar loop in every clone: IEEE operations only, sqrt without errno: Makefile). */
RB_VECTOR_KERNEL static void rb_adam_update(int64_t n, float *restrict w, const float *restrict g, float *restrict m1,
                                            float *restrict m2, double b1, double b2, double step, double sc2,
                                            double eps, int l2, double wd, double shrink) {
    for (int64_t i = 0; i < n; i++) {
        double wi = w[i], gi = g[i];
        if (l2) gi += wd * wi; /* loop-invariant: the loop is unswitched, each copy vectorised */
        double m = b1 * m1[i] + (1.0 - b1) * gi;
        double v = b2 * m2[i] + (1.0 - b2) * gi * gi;
        m1[i] = (float)m;
        m2[i] = (float)v;
        wi *= shrink;
        wi -= step * m / (sqrt(v) / sc2 + eps);
        w[i] = (float)wi;
    }
}

void rb_adam_step(rb_adam *a, float *w, const float *g, double lr) {
    a->t++;
    const double b1 = a->beta1, b2 = a->beta2;
    const double c1 = 1.0 - pow(b1, (double)a->t), c2 = 1.0 - pow(b2, (double)a->t);
    const double step = lr / c1, sc2 = sqrt(c2), wd = a->weight_decay;
    const int l2 = a->wd_mode == RB_WD_L2 && wd > 0.0;
    const double shrink = a->wd_mode == RB_WD_DECOUPLED ? 1.0 - lr * wd : 1.0;
    rb_adam_update(a->n, w, g, a->m, a->v, b1, b2, step, sc2, a->eps, l2, wd, shrink);
}

double rb_lr_at(rb_lr_schedule s, double lr, int e, int n_epochs, int step_every, double gamma) {
    switch (s) {
    case RB_LR_STEP:
        return step_every > 0 ? lr * pow(gamma, (double)(e / step_every)) : lr;
    case RB_LR_COSINE:
        return n_epochs > 0 ? lr * 0.5 * (1.0 + cos(3.14159265358979323846 * e / n_epochs)) : lr;
    case RB_LR_CONSTANT:
    default:
        return lr;
    }
}

static const char *const rb_lr_names[] = {"constant", "step", "cosine"};

int rb_lr_schedule_parse(const char *name, rb_lr_schedule *out) {
    for (int i = 0; i < 3; i++)
        if (strcmp(name, rb_lr_names[i]) == 0) {
            *out = (rb_lr_schedule)i;
            return RB_OK;
        }
    return rb_fail("learning-rate schedule: expected constant, step or cosine, got \"%s\"", name);
}

const char *rb_lr_schedule_name(rb_lr_schedule s) {
    return (unsigned)s < 3 ? rb_lr_names[s] : "unknown";
}

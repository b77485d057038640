/* bench_metrics.c - time of the counted frame metrics (rb_metrics_compute) for 1e4, 1e5 and 1e6
 * snippets of 16 frames, reported as seconds and as nanoseconds per n*log2(n) (flat when the cost
 * scales as n log n); the frame-expanding reference is timed at the smallest size, and counted ==
 * expanded is verified there. */
#include "rb_bench.h"
#include "rb_core.h"
#include "rb_score.h"
#include "metrics_reference.h"

#include <math.h>
#include <stdlib.h>

/* XD-like test scores: float32-rounded sigmoid-ish scores, anomalous snippets score higher; 16
 * frames per snippet except a short last snippet every 50; partial positives at anomaly borders. */
static void make_case(int64_t n, double *s, int32_t *pos, int32_t *fr) {
    rb_rng r;
    rb_rng_init(&r, 2024, RB_PURPOSE_TEST, 100, (uint32_t)n, 0);
    for (int64_t i = 0; i < n; i++) {
        int anomalous = rb_rng_uniform(&r) < 0.2;
        double z = rb_rng_normal(&r) + (anomalous ? 1.5 : 0.0);
        s[i] = (double)(float)(1.0 / (1.0 + exp(-z)));
        fr[i] = i % 50 == 49 ? 1 + (int32_t)rb_rng_below(&r, 16) : 16;
        pos[i] = anomalous ? (rb_rng_below(&r, 8) == 0 ? (int32_t)rb_rng_below(&r, (uint32_t)fr[i] + 1)
                                                      : fr[i])
                           : 0;
    }
}

static double best_time(const double *s, const int32_t *pos, const int32_t *fr, int64_t n, int reps,
                        int expanded, rb_metrics *m, int *ok) {
    double best = 1e30;
    for (int k = 0; k < reps; k++) {
        double t0 = rb_now();
        int rc = expanded ? rb_metrics_compute_expanded(s, pos, fr, n, m)
                          : rb_metrics_compute(s, pos, fr, n, m);
        double dt = rb_now() - t0;
        if (rc != RB_OK) *ok = 0;
        if (dt < best) best = dt;
    }
    return best;
}

RB_BENCH(metrics_scaling) {
    const int64_t sizes[3] = {10000, 100000, 1000000};
    const int reps[3] = {20, 5, 3};
    for (int k = 0; k < 3; k++) {
        int64_t n = sizes[k];
        double *s = rb_malloc(sizeof *s * (size_t)n, "bench scores");
        int32_t *pos = rb_malloc(sizeof *pos * (size_t)n, "bench pos");
        int32_t *fr = rb_malloc(sizeof *fr * (size_t)n, "bench frames");
        if (!s || !pos || !fr) {
            rb_bench_check("metrics_scaling", 0, rb_error_message());
            free(s); free(pos); free(fr);
            return;
        }
        make_case(n, s, pos, fr);
        rb_metrics m;
        int ok = 1;
        double t = best_time(s, pos, fr, n, reps[k], 0, &m, &ok);
        rb_bench_report("metrics_scaling",
                        "n=%lld frames=%lld seconds=%.6f ns_per_nlog2n=%.3f ap=%.6f ap_step=%.6f "
                        "roc_auc=%.6f",
                        (long long)n, (long long)m.n_frames, t, t * 1e9 / ((double)n * log2((double)n)),
                        m.ap, m.ap_step, m.roc_auc);
        if (!ok) rb_bench_check("metrics_scaling", 0, rb_error_message());
        if (k == 0) {
            rb_metrics e;
            double te = best_time(s, pos, fr, n, 3, 1, &e, &ok);
            rb_bench_report("metrics_scaling", "n=%lld expanded_seconds=%.6f speedup=%.1f", (long long)n, te,
                            te / t);
            double dev = fmax(fabs(m.ap - e.ap) / e.ap, fabs(m.ap_step - e.ap_step) / e.ap_step);
            dev = fmax(dev, fabs(m.roc_auc - e.roc_auc) / e.roc_auc);
            rb_bench_report("metrics_scaling", "n=%lld max_rel_dev_counted_vs_expanded=%.3g", (long long)n,
                            dev);
            rb_bench_check("metrics_scaling", ok && dev <= 1e-15,
                           "counted == expanded (relative 1e-15) on 1e4 snippets");
        }
        free(s);
        free(pos);
        free(fr);
    }
}

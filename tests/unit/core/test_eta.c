/* test_eta.c - the cost-model ETA (src/core/eta.c) by hand and on a recorded progress trace: the
 * trace is the `--progress=json` output of a real 2-rank `robusta bench` (two datasets, 24 cells,
 * the small grid of tests/e2e/report_browser.sh), replayed event by event. The requirement:
 * after 10% of the work every estimate of the total is within 30% of the real one. The old estimate
 * (cells left / cells per second so far) is replayed too, to show the trace is not an easy one. */
#include "rb_core.h"
#include "rb_test.h"

#include <math.h>

RB_TEST(eta_by_hand) {
    rb_eta e;
    rb_eta_init(&e, 8, 3, 2);
    RB_EXPECT(isnan(rb_eta_remaining(&e)));
    RB_EXPECT(rb_eta_fraction(&e) == 0);
    rb_eta_add(&e, 4, 8); /* 2 s per unit; 4 units left over min(2 workers, 2 items) */
    RB_EXPECT(rb_eta_fraction(&e) == 0.5);
    RB_EXPECT(rb_eta_remaining(&e) == 4);
    rb_eta_setup(&e, 1.5, 2); /* two groups not started: + 3 s */
    RB_EXPECT(rb_eta_remaining(&e) == 7);
    rb_eta_setup(&e, 1.5, 0);
    rb_eta_add(&e, 2, 4); /* still 2 s per unit; 2 left on the one worker that has an item */
    RB_EXPECT(rb_eta_remaining(&e) == 4);
    rb_eta_add(&e, 2, 1);
    RB_EXPECT(rb_eta_remaining(&e) == 0 && rb_eta_fraction(&e) == 1);
    /* no costs: fraction by items */
    rb_eta_init(&e, 0, 4, 1);
    rb_eta_add(&e, 0, 1);
    RB_EXPECT(rb_eta_fraction(&e) == 0.25 && isnan(rb_eta_remaining(&e)));
}

/* {predicted cost, cell seconds, elapsed wall seconds at the event, dataset}, in arrival order */
static const double rb_trace[][4] = {
    {8330.85, 0.569, 1.52, 0},
    {8330.85, 0.534, 2.12, 0},
    {8330.85, 0.582, 2.12, 0},
    {8330.85, 0.225, 2.36, 0},
    {8330.85, 0.532, 2.36, 0},
    {8330.85, 0.089, 2.45, 0},
    {2159.85, 0.441, 2.92, 0},
    {2159.85, 0.422, 3.37, 0},
    {8330.85, 0.575, 3.37, 0},
    {7820.55, 0.521, 4.81, 1},
    {2159.85, 0.263, 4.81, 0},
    {2159.85, 0.024, 4.81, 0},
    {102.85, 0.002, 4.81, 0},
    {7820.55, 0.447, 5.31, 1},
    {7820.55, 0.622, 5.31, 1},
    {7820.55, 0.236, 5.64, 1},
    {7820.55, 0.588, 5.64, 1},
    {7820.55, 0.052, 5.74, 1},
    {2027.55, 0.306, 6.05, 1},
    {2027.55, 0.296, 6.4, 1},
    {7820.55, 0.466, 6.4, 1},
    {2027.55, 0.361, 6.4, 1},
    {2027.55, 0.004, 6.4, 1},
    {96.55, 0.001, 6.4, 1}
};

RB_TEST(eta_recorded_trace_within_30_percent_after_10_percent) {
    const int n = (int)(sizeof rb_trace / sizeof rb_trace[0]), workers = 2;
    double total_cost = 0, total = rb_trace[n - 1][2];
    for (int i = 0; i < n; i++) total_cost += rb_trace[i][0];
    rb_eta e;
    rb_eta_init(&e, total_cost, n, workers);
    int started[2] = {0, 0}, checked = 0;
    double worst = 0, worst_old = 0;
    for (int i = 0; i < n; i++) {
        rb_eta_add(&e, rb_trace[i][0], rb_trace[i][1]);
        if (i == 0) e.setup_seconds = rb_trace[0][2] - rb_trace[0][1]; /* as progress.c measures it */
        started[(int)rb_trace[i][3]] = 1;
        rb_eta_setup(&e, e.setup_seconds, !started[0] + !started[1]);
        double predicted = rb_trace[i][2] + rb_eta_remaining(&e);
        double old = rb_trace[i][2] + (n - i - 1) * rb_trace[i][2] / (i + 1);
        if (rb_eta_fraction(&e) < 0.1) continue;
        checked++;
        worst = fmax(worst, fabs(predicted / total - 1));
        worst_old = fmax(worst_old, fabs(old / total - 1));
        RB_EXPECT_MSG(fabs(predicted / total - 1) <= 0.30, "event %d (%.0f%% done): predicted %.2f s, real %.2f s", i,
                      100 * rb_eta_fraction(&e), predicted, total);
    }
    RB_EXPECT(checked >= n - 2);
    RB_EXPECT_MSG(worst_old > 0.30 && worst < worst_old, "worst error %.3f, old estimate %.3f", worst, worst_old);
}

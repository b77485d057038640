/* eta.c - the remaining-time estimate of a stage from a cost model (rb_core.h, docs/scaling.md):
 * every work item has a predicted relative cost (grid cells: rb_cell.cost); as items finish, the
 * seconds one unit of predicted cost really takes on one worker are measured, and the remaining
 * predicted cost is converted with that rate and divided over the workers. Unlike "items left /
 * items per second", it does not assume items are alike: the grid hands out its most expensive cells
 * first, which made the per-item estimate 7x too high at the start. A fixed setup time per group of
 * items not started yet (the grid: the clean scoring pass of each dataset, paid before its first
 * cell) is added. When each item's worker is fixed in advance (the training jobs), the schedule
 * variant ends each worker at its measured busy time plus its own remaining predicted cost, so work
 * in progress elsewhere is not taken for work not started. Tested on recorded traces
 * (tests/unit/core/test_eta.c, test_stage_progress.c), not by timing. */
#include "rb_core.h"

#include <math.h>

void rb_eta_init(rb_eta *e, double total_cost, int n_items, int workers) {
    e->total_cost = total_cost > 0 ? total_cost : 0;
    e->done_cost = e->done_seconds = 0;
    e->n_items = n_items;
    e->n_done = 0;
    e->workers = workers > 0 ? workers : 1;
    e->setup_seconds = 0;
    e->groups_left = 0;
}

void rb_eta_setup(rb_eta *e, double setup_seconds, int groups_left) {
    e->setup_seconds = setup_seconds > 0 ? setup_seconds : 0;
    e->groups_left = groups_left > 0 ? groups_left : 0;
}

void rb_eta_add(rb_eta *e, double cost, double seconds) {
    e->done_cost += cost > 0 ? cost : 0;
    e->done_seconds += seconds > 0 ? seconds : 0;
    e->n_done++;
}

double rb_eta_fraction(const rb_eta *e) {
    if (e->total_cost > 0) return fmin(1.0, e->done_cost / e->total_cost);
    return e->n_items > 0 ? (double)e->n_done / e->n_items : 1.0;
}

double rb_eta_remaining(const rb_eta *e) {
    if (e->n_done >= e->n_items) return 0;
    if (e->n_done == 0 || e->done_cost <= 0) return NAN;
    double rate = e->done_seconds / e->done_cost; /* seconds per unit of predicted cost, one worker */
    double left = e->total_cost - e->done_cost;
    if (left < 0) left = 0;
    /* no more workers than items left */
    int items_left = e->n_items - e->n_done, w = e->workers < items_left ? e->workers : items_left;
    return left * rate / w + e->setup_seconds * e->groups_left;
}

double rb_eta_schedule_remaining(const rb_eta *e, const double *busy, const double *left_cost, int workers,
                                 double elapsed) {
    if (e->n_done >= e->n_items) return 0;
    if (e->n_done == 0 || e->done_cost <= 0) return NAN;
    double rate = e->done_seconds / e->done_cost, end = 0;
    for (int w = 0; w < workers; w++) end = fmax(end, busy[w] + (left_cost[w] > 0 ? left_cost[w] : 0) * rate);
    return fmax(0, end - elapsed);
}

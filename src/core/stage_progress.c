/* stage_progress.c - one progress counter per stage before the grid (synth: datasets to generate;
 * train: the training jobs of a dataset) with the cost-model ETA of eta.c (rb_core.h): each finished
 * item prints one line on rank 0, "train xdv-like 3/12 jobs (31% of the predicted work, ETA 42 s):
 * concat#0 (rank 1, 4.1 s)", or with --progress=json one JSON object on stdout in the format of the
 * grid's events (docs/formats.md). With a static schedule (the training jobs' owners) the ETA is the
 * schedule's (rb_eta_schedule_remaining). The grid's own counter is src/grid/progress.c. */
#include "rb_core.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rb_progress_json = 0;

/* "42 s", "12.5 min", "3.2 h"; "?" when unknown (as the grid's lines) */
static void rb_stage_fmt_eta(char *buf, size_t cap, double s) {
    if (!(s >= 0)) snprintf(buf, cap, "?");
    else if (s < 120) snprintf(buf, cap, "%.0f s", s);
    else if (s < 7200) snprintf(buf, cap, "%.1f min", s / 60);
    else snprintf(buf, cap, "%.1f h", s / 3600);
}

int rb_stage_progress_format(char *buf, size_t cap, const char *stage, const char *group, int done, int todo,
                             const char *unit, double fraction, double eta_s) {
    char eta[32];
    rb_stage_fmt_eta(eta, sizeof eta, eta_s);
    return snprintf(buf, cap, "%s%s%s %d/%d %s (%.0f%% of the predicted work, ETA %s)", stage, group[0] ? " " : "",
                    group, done, todo, unit, 100 * fraction, eta);
}

void rb_stage_progress_start(rb_stage_progress *p, const char *stage, const char *unit, const char *group,
                             double total_cost, int n_items, int workers, int active) {
    memset(p, 0, sizeof *p);
    p->stage = stage;
    p->unit = unit;
    snprintf(p->group, sizeof p->group, "%s", group ? group : "");
    p->active = active;
    p->t0 = rb_now();
    rb_eta_init(&p->eta, total_cost, n_items, workers);
    if (p->active && rb_progress_json) {
        printf("{\"event\": \"stage\", \"stage\": \"%s\", \"group\": \"%s\", \"todo\": %d, \"ranks\": %d, "
               "\"predicted_cost\": %.6g}\n",
               stage, p->group, n_items, p->eta.workers, p->eta.total_cost);
        fflush(stdout);
    }
}

int rb_stage_progress_schedule(rb_stage_progress *p, int workers, const int *worker, const double *cost, int n) {
    p->busy = rb_calloc((size_t)workers, sizeof *p->busy, "progress schedule");
    p->left_cost = rb_calloc((size_t)workers, sizeof *p->left_cost, "progress schedule");
    if (!p->busy || !p->left_cost) {
        rb_stage_progress_free(p);
        return RB_ERR;
    }
    p->sched_workers = workers;
    for (int i = 0; i < n; i++)
        for (int w = 0; w < workers; w++)
            if (worker[i] == w || worker[i] == -1) p->left_cost[w] += cost[i];
    return RB_OK;
}

void rb_stage_progress_free(rb_stage_progress *p) {
    free(p->busy);
    free(p->left_cost);
    p->busy = p->left_cost = NULL;
    p->sched_workers = 0;
}

double rb_stage_progress_item_at(rb_stage_progress *p, double cost, double seconds, const char *item, int worker,
                                 double elapsed) {
    rb_eta_add(&p->eta, cost, seconds);
    for (int w = 0; w < p->sched_workers; w++)
        if (worker == w || worker == -1) {
            p->busy[w] += seconds;
            p->left_cost[w] -= cost;
        }
    double frac = rb_eta_fraction(&p->eta);
    double eta = p->sched_workers > 0 ? rb_eta_schedule_remaining(&p->eta, p->busy, p->left_cost, p->sched_workers, elapsed)
                                      : rb_eta_remaining(&p->eta);
    if (!p->active) return eta;
    char by[32];
    if (worker < 0) snprintf(by, sizeof by, "all ranks");
    else snprintf(by, sizeof by, "rank %d", worker);
    if (rb_progress_json) {
        printf("{\"event\": \"progress\", \"stage\": \"%s\", \"group\": \"%s\", \"done\": %d, \"todo\": %d, "
               "\"fraction\": %.4f, \"elapsed_s\": %.2f, \"eta_s\": ",
               p->stage, p->group, p->eta.n_done, p->eta.n_items, frac, elapsed);
        if (eta >= 0) printf("%.1f", eta);
        else fputs("null", stdout);
        printf(", \"item\": \"%s\", \"rank\": %d, \"seconds\": %.3f, \"cost\": %.6g}\n", item, worker, seconds, cost);
        fflush(stdout);
        return eta;
    }
    char line[256];
    rb_stage_progress_format(line, sizeof line, p->stage, p->group, p->eta.n_done, p->eta.n_items, p->unit, frac, eta);
    rb_log("%s: %s (%s, %.1f s)", line, item, by, seconds);
    return eta;
}

void rb_stage_progress_item(rb_stage_progress *p, double cost, double seconds, const char *item, int worker) {
    rb_stage_progress_item_at(p, cost, seconds, item, worker, rb_now() - p->t0);
}

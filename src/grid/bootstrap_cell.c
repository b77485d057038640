/* bootstrap_cell.c - the paired bootstrap of one grid cell, on the rank that scored it
 * (docs/metrics.md "Intervals"): the resamples of each dataset (per-video multiplicities, built
 * once per dataset and rank from the counter-based generator, hence the same on every rank), and
 * the per-resample metrics of every method of the cell, averaged over replicas, packed into the
 * cell's record (so they are journaled, survive a resume and are shared like the metrics).
 * A method whose scores are bit for bit those it had in the rank's previous cell of the dataset
 * (a modality the cell leaves clean: the audio method in a visual cell) takes that cell's values
 * (rb_boot_memo): the same function of the same inputs, so the same bits, without the walk. */
#include "grid_internal.h"
#include "rb_core.h"
#include "rb_score.h"

#include <stdlib.h>
#include <string.h>

int rb_grid_boot_config(rb_grid *g) {
    const char *baseline;
    RB_TRY(rb_config_int(g->cfg, "stats.bootstrap", &g->B));
    RB_TRY(rb_config_double(g->cfg, "stats.confidence", &g->confidence));
    RB_TRY(rb_config_string(g->cfg, "stats.baseline", &baseline));
    snprintf(g->baseline, sizeof g->baseline, "%s", baseline);
    return RB_OK;
}

void rb_grid_boot_note_baseline(const rb_grid *g) {
    for (int k = 0; k < g->M; k++)
        if (strcmp(rb_method_name(g->methods[k]), g->baseline) == 0) return;
    rb_grid_log(g, "note: stats.baseline = \"%s\" is not among the trained methods: no mCE, relative mCE, effective "
                   "robustness or comparisons against it (train its detector or choose another baseline)", g->baseline);
}

int rb_grid_boot_cell(rb_grid *g, int dataset, const float *scores, double *out) {
    if (g->B == 0) return RB_OK;
    const rb_split *t = &g->data[dataset].test;
    if (!g->boot_plan) {
        g->boot_plan = rb_calloc((size_t)g->n_specs, sizeof *g->boot_plan, "bootstrap resamples");
        if (!g->boot_plan) return RB_ERR;
    }
    if (!g->boot_plan[dataset]) { /* the dataset's resamples, once: what every walk of its cells shares */
        int32_t *c = rb_malloc(sizeof *c * (size_t)g->B * (size_t)t->n_videos, "bootstrap multiplicities");
        rb_boot_plan *plan = rb_calloc(1, sizeof *plan, "bootstrap plan");
        int rc = c && plan ? RB_OK : RB_ERR;
        if (rc == RB_OK) rc = rb_boot_counts(t, g->specs[dataset].seed, rb_grid_dataset_id(g->specs[dataset].name), g->B, c);
        if (rc == RB_OK)
            rc = rb_boot_plan_init(plan, t->snippet_pos, t->snippet_frames, t->n_snippets, t->offsets, t->n_videos, c, g->B);
        free(c);
        if (rc != RB_OK) {
            free(plan);
            return rb_context("dataset %s", g->specs[dataset].name);
        }
        g->boot_plan[dataset] = plan;
    }
    const int64_t S = t->n_snippets;
    const size_t n_scores = (size_t)g->R * (size_t)S, n_values = 3 * (size_t)g->B;
    if (!g->boot_memo) {
        g->boot_memo = rb_calloc((size_t)g->M, sizeof *g->boot_memo, "bootstrap memo");
        if (!g->boot_memo) return RB_ERR;
        for (int k = 0; k < g->M; k++) g->boot_memo[k].dataset = -1;
    }
    double *dbl = rb_malloc(sizeof(double) * (size_t)S, "bootstrap scores");
    double *one = rb_malloc(sizeof(double) * 3 * (size_t)g->B, "bootstrap replica values");
    int rc = dbl && one ? RB_OK : RB_ERR;
    for (int k = 0; rc == RB_OK && k < g->M; k++) {
        double *o = out + (size_t)k * 3 * (size_t)g->B; /* [3][B], the replica mean */
        const float *scores_k = scores + (size_t)k * n_scores;
        rb_boot_memo *memo = &g->boot_memo[k];
        if (memo->dataset == dataset && memcmp(memo->scores, scores_k, sizeof(float) * n_scores) == 0) {
            memcpy(o, memo->values, sizeof(double) * n_values);
            g->boot_reused++;
            continue;
        }
        g->boot_walked++;
        memset(o, 0, sizeof(double) * 3 * (size_t)g->B);
        for (int rep = 0; rc == RB_OK && rep < g->R; rep++) {
            const float *f = scores + ((size_t)k * (size_t)g->R + (size_t)rep) * (size_t)S;
            for (int64_t i = 0; i < S; i++) dbl[i] = f[i]; /* the float32 scores, as the metrics use them */
            rc = rb_metrics_bootstrap_plan(g->boot_plan[dataset], dbl, one);
            for (size_t i = 0; rc == RB_OK && i < 3 * (size_t)g->B; i++) o[i] += one[i];
        }
        for (size_t i = 0; rc == RB_OK && i < 3 * (size_t)g->B; i++) o[i] /= g->R;
        if (rc != RB_OK) {
            rb_context("bootstrap of method %s", rb_method_name(g->methods[k]));
            break;
        }
        /* remember them for the next cell (a failed allocation only leaves the memo empty) */
        if (memo->dataset != dataset) {
            free(memo->scores);
            free(memo->values);
            memo->scores = malloc(sizeof(float) * n_scores);
            memo->values = malloc(sizeof(double) * n_values);
        }
        memo->dataset = memo->scores && memo->values ? dataset : -1;
        if (memo->dataset == dataset) {
            memcpy(memo->scores, scores_k, sizeof(float) * n_scores);
            memcpy(memo->values, o, sizeof(double) * n_values);
        }
    }
    free(dbl);
    free(one);
    return rc;
}

void rb_grid_boot_free(rb_grid *g) {
    for (int d = 0; g->boot_plan && d < g->n_specs; d++)
        if (g->boot_plan[d]) {
            rb_boot_plan_free(g->boot_plan[d]);
            free(g->boot_plan[d]);
        }
    free(g->boot_plan);
    g->boot_plan = NULL;
    for (int k = 0; g->boot_memo && k < g->M; k++) {
        free(g->boot_memo[k].scores);
        free(g->boot_memo[k].values);
    }
    free(g->boot_memo);
    g->boot_memo = NULL;
}

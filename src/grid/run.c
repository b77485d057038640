/* run.c - the distributed benchmark (rb_grid_run, rb_grid.h): the inputs of the selected datasets,
 * each cell scored, dynamic cost-ordered scheduling with an MPI-3 atomic counter and a per-rank
 * journal of finished cells, every record gathered on every rank in canonical order, results.h5
 * written collectively and the tables on rank 0. When ranks outnumber the cells still to do, the
 * cells' videos are split over the ranks instead (split.c); before either, the clean pass of each
 * dataset is computed once across the ranks (clean_pass.c). The run directory (run_dir.c), progress
 * lines (progress.c), saved scores (saved_scores.c) and memory figures (memory_report.c) are beside
 * it. */
#include "rb_grid.h"
#include "rb_score.h"
#include "rb_core.h"
#include "rb_corrupt.h"
#include "rb_io.h"
#include "rb_model.h"
#include "rb_results.h"
#include "grid_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t rb_grid_dataset_id(const char *s) { /* FNV-1a: stable dataset id for the corruption and bootstrap streams */
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The run's settings; every array is allocated by a later step. */
static int rb_grid_init(rb_grid *g, const rb_config *cfg, const rb_dataset_spec *specs, int n_specs,
                        const rb_grid_options *opt, MPI_Comm comm) {
    memset(g, 0, sizeof *g);
    g->cfg = cfg;
    g->specs = specs;
    g->n_specs = n_specs;
    g->comm = comm;
    g->opt = opt;
    MPI_Comm_rank(comm, &g->rank);
    MPI_Comm_size(comm, &g->size);
    int chunk;
    RB_TRY(rb_config_int(cfg, "grid.chunk_rows", &chunk));
    RB_TRY(rb_config_double(cfg, "grid.reuse_mb", &g->reuse_mb));
    RB_TRY(rb_config_bool(cfg, "grid.linear_corruptions", &g->linear_corruptions));
    g->chunk_rows = chunk;
    return rb_grid_boot_config(g);
}

/* The --datasets shard: g->selected. */
static int rb_grid_select(rb_grid *g) {
    g->selected = rb_calloc((size_t)g->n_specs, sizeof *g->selected, "dataset selection");
    if (!g->selected) return RB_ERR;
    return rb_grid_select_datasets(g->specs, g->n_specs, g->opt->datasets, g->selected);
}

/* ---- inputs ---- */

/* The models and test splits of the selected datasets. Returns a status every rank agrees on. */
static int rb_grid_inputs(rb_grid *g) {
    int n = g->n_specs;
    g->data = rb_calloc((size_t)n, sizeof *g->data, "datasets");
    g->data_win = rb_calloc((size_t)n, sizeof *g->data_win, "windows");
    g->models = rb_calloc((size_t)n, sizeof *g->models, "models");
    g->model_of = rb_calloc((size_t)n, sizeof *g->model_of, "model map");
    g->ctx = rb_calloc((size_t)n, sizeof *g->ctx, "corruption contexts");
    g->scorer = rb_calloc((size_t)n, sizeof *g->scorer, "scorers");
    g->clean_win = rb_calloc((size_t)n, sizeof *g->clean_win, "clean windows");
    g->model_loaded = rb_calloc((size_t)n, sizeof *g->model_loaded, "model flags");
    for (int d = 0; g->data_win && d < n; d++) g->data_win[d] = MPI_WIN_NULL; /* for rb_grid_free */
    for (int d = 0; g->clean_win && d < n; d++) g->clean_win[d] = MPI_WIN_NULL;
    int ok = g->data && g->data_win && g->models && g->model_of && g->ctx && g->scorer && g->clean_win &&
             g->model_loaded;
    RB_TRY(rb_mpi_agree(ok ? RB_OK : RB_ERR, &g->comm));
    for (int d = 0; d < n; d++) {
        g->model_of[d] = d;
        if (strcmp(g->specs[d].train_on, "self") != 0)
            for (int e = 0; e < n; e++)
                if (strcmp(g->specs[e].name, g->specs[d].train_on) == 0) g->model_of[d] = e;
    }
    for (int d = 0; d < n; d++) {
        if (!g->selected[d] || g->model_loaded[g->model_of[d]]) continue;
        int e = g->model_of[d];
        int rc = rb_model_read(g->specs[e].model_path, &g->models[e]);
        g->model_loaded[e] = rc == RB_OK;
        RB_TRY(rb_mpi_agree(rc, &g->comm));
    }
    int first = -1;
    for (int d = 0; d < n; d++) {
        if (!g->selected[d]) continue;
        if (first < 0) first = d;
        RB_TRY(rb_mpi_agree(rb_dataset_read_test_shared(g->specs[d].path, &g->data[d], g->comm, &g->data_win[d]), &g->comm));
        const rb_model *m = &g->models[g->model_of[d]];
        int rc = rb_corrupt_ctx_init(&g->ctx[d], g->specs[d].seed, rb_grid_dataset_id(g->specs[d].name), &m->stats[0], &m->stats[1]);
        RB_TRY(rb_mpi_agree(rc, &g->comm));
    }
    const rb_model *m0 = &g->models[g->model_of[first]];
    g->R = m0->n_replicas;
    RB_TRY(rb_grid_methods(g->cfg, m0, g->methods, &g->M));
    /* record: head, metrics [M][R][3], the weighting diagnostics [2][RB_DIAG_COUNT], resamples [M][3][B] */
    g->rec_len = RB_REC_HEAD + 3 * g->M * g->R + 2 * RB_DIAG_COUNT + 3 * g->M * g->B;
    return RB_OK;
}

/* The cells of the shard in canonical order, with cost estimates, and room for their records. */
static int rb_grid_cells(rb_grid *g) {
    int64_t *snippets = rb_malloc(sizeof(int64_t) * (size_t)g->n_specs, "snippet counts");
    if (!snippets) return RB_ERR;
    for (int d = 0; d < g->n_specs; d++) snippets[d] = g->selected[d] ? g->data[d].test.n_snippets : 0;
    int rc = rb_grid_plan_selected(g->cfg, g->n_specs, snippets, g->selected, &g->cells, &g->n_cells);
    free(snippets);
    RB_TRY(rc);
    g->records = rb_calloc((size_t)g->n_cells * (size_t)g->rec_len, sizeof(double), "records");
    g->have = rb_calloc((size_t)g->n_cells, sizeof(int), "have");
    g->computed_here = rb_calloc((size_t)g->n_cells, sizeof(int), "computed");
    if (!g->records || !g->have || !g->computed_here) return RB_ERR;
    return RB_OK;
}

/* ---- one cell ---- */

static const char *rb_source_name(int code) {
    static const char *names[] = {"clean", "surrogate", "preextracted", "none"};
    return code >= 0 && code < 4 ? names[code] : "?";
}

int rb_grid_scorer(rb_grid *g, int d) {
    if (g->scorer[d]) return RB_OK;
    const rb_model *m = &g->models[g->model_of[d]];
    rb_scorer *s = NULL;
    int rc = rb_scorer_create(&s, m, &g->data[d].test, &g->ctx[d], g->chunk_rows, g->reuse_mb);
    if (rc == RB_OK) rc = rb_scorer_set_linear(s, g->linear_corruptions);
    if (rc == RB_OK) rc = rb_scorer_clean_blocks(s, 0, rb_scorer_n_blocks(s));
    if (rc == RB_OK) rc = rb_scorer_clean_finish(s);
    if (rc != RB_OK) {
        rb_scorer_free(s);
        return rb_context("dataset %s", g->specs[d].name);
    }
    g->scorer[d] = s;
    RB_TRY_CTX(rb_scorer_set_methods(g->scorer[d], g->methods, g->M), "dataset %s", g->specs[d].name);
    return RB_OK;
}

int rb_grid_cell_condition(const rb_grid *g, int idx, rb_modality_condition cond[2], float *pre[2], int src[2]) {
    const rb_cell *c = &g->cells[idx];
    int d = c->dataset;
    memset(cond, 0, 2 * sizeof *cond);
    pre[0] = pre[1] = NULL;
    src[0] = src[1] = 0;
    const char *source_mode;
    RB_TRY(rb_config_string(g->cfg, "grid.source", &source_mode));
    int rc = RB_OK;
    for (int mod = 0; rc == RB_OK && mod < 2; mod++) {
        if (c->missing[mod]) {
            cond[mod].missing = 1;
            src[mod] = 3;
            continue;
        }
        if (!c->corr_id[mod]) continue;
        const rb_corruption *cor;
        RB_TRY(rb_corrupt_by_id(c->corr_id[mod], &cor));
        cond[mod].corruption = cor;
        cond[mod].severity = c->severity;
        src[mod] = 1;
        if (strcmp(source_mode, "surrogate") != 0) {
            int found = 0;
            rc = rb_dataset_read_corrupted(g->specs[d].path, &g->data[d].test, mod, cor->name, c->severity, &pre[mod], &found);
            if (rc == RB_OK && found) {
                cond[mod].preextracted = pre[mod];
                src[mod] = 2;
            } else if (rc == RB_OK && strcmp(source_mode, "preextracted") == 0) {
                rc = rb_fail("grid.source = \"preextracted\" but %s has no /test/corrupted/%s/%s/%d",
                             g->specs[d].path, mod == 0 ? "visual" : "audio", cor->name, c->severity);
            }
        }
    }
    return rc;
}

int rb_grid_cell_record(rb_grid *g, int idx, rb_cell_result *res, const int src[2], double *rec, float **scores_out) {
    const rb_cell *c = &g->cells[idx];
    int d = c->dataset;
    rec[RB_REC_CELL] = idx;
    rec[RB_REC_SECONDS] = res->seconds;
    rec[RB_REC_W0] = res->weight_mean[0];
    rec[RB_REC_W1] = res->weight_mean[1];
    rec[RB_REC_D0] = res->detect_auc[0];
    rec[RB_REC_D1] = res->detect_auc[1];
    rec[RB_REC_SRC0] = src[0];
    rec[RB_REC_SRC1] = src[1];
    for (int k = 0; k < g->M; k++)
        for (int r = 0; r < g->R; r++) {
            const rb_metrics *mt = &res->metrics[k * g->R + r];
            double *o = rec + RB_REC_HEAD + 3 * (k * g->R + r);
            o[0] = mt->ap;
            o[1] = mt->ap_step;
            o[2] = mt->roc_auc;
        }
    memcpy(rec + RB_REC_HEAD + 3 * g->M * g->R, res->diag, sizeof res->diag);
    /* the paired bootstrap needs every method's scores: here, on the rank that has them */
    if (rb_grid_boot_cell(g, d, res->scores, rec + RB_REC_HEAD + 3 * g->M * g->R + 2 * RB_DIAG_COUNT) != RB_OK) {
        rb_cell_result_free(res);
        return rb_context("cell %s %s severity %d", g->specs[d].name, c->label, c->severity);
    }
    *scores_out = res->scores; /* [M][R][S] */
    res->scores = NULL;
    rb_cell_result_free(res);
    return RB_OK;
}

static int rb_grid_cell(rb_grid *g, int idx, double *rec, float **scores_out) {
    const rb_cell *c = &g->cells[idx];
    int d = c->dataset;
    RB_TRY(rb_grid_scorer(g, d));
    rb_modality_condition cond[2];
    float *pre[2];
    int src[2];
    int rc = rb_grid_cell_condition(g, idx, cond, pre, src);
    rb_cell_result res;
    if (rc == RB_OK) rc = rb_scorer_cell(g->scorer[d], cond, &res);
    free(pre[0]);
    free(pre[1]);
    if (rc != RB_OK) return rb_context("cell %s %s severity %d", g->specs[d].name, c->label, c->severity);
    return rb_grid_cell_record(g, idx, &res, src, rec, scores_out);
}

/* ---- scheduling ---- */

/* The cells still to do, in (dataset, cost desc, index) order: expensive ones first within a dataset
 * so the tail is short, datasets in turn so a rank builds few scorers. */
static int rb_grid_todo(const rb_grid *g, int **todo_out, int *n_out) {
    int *todo = rb_malloc(sizeof *todo * (size_t)(g->n_cells ? g->n_cells : 1), "todo list");
    *todo_out = todo;
    *n_out = 0;
    if (!todo) return RB_ERR;
    int n_todo = 0;
    for (int i = 0; i < g->n_cells; i++)
        if (!g->have[i]) todo[n_todo++] = i;
    for (int i = 1; i < n_todo; i++)
        for (int j = i; j > 0; j--) {
            const rb_cell *a = &g->cells[todo[j - 1]], *b = &g->cells[todo[j]];
            int swap = b->dataset < a->dataset || (b->dataset == a->dataset && b->cost > a->cost);
            if (!swap) break;
            int t = todo[j];
            todo[j] = todo[j - 1];
            todo[j - 1] = t;
        }
    *n_out = n_todo;
    return RB_OK;
}

int rb_grid_commit_cell(rb_grid *g, rb_journal *jr, int idx, const double *rec, float *scores) {
    const rb_cell *c = &g->cells[idx];
    size_t n_scores = (size_t)g->M * (size_t)g->R * (size_t)g->data[c->dataset].test.n_snippets;
    int rc = g->opt->save_scores ? rb_grid_save_cell_scores(g, idx, scores, n_scores) : RB_OK;
    free(scores);
    RB_TRY(rc);
    return rb_grid_journal_append(g, jr, idx, rec); /* tagged with the cell key and the run identity */
}

void rb_grid_cell_finished(rb_grid *g, rb_progress *prog, int idx, const double *rec) {
    memcpy(g->records + (size_t)idx * g->rec_len, rec, sizeof(double) * (size_t)g->rec_len);
    g->have[idx] = 1;
    g->computed_here[idx] = 1;
    rb_progress_cell_done(g, prog, idx, rec[RB_REC_SECONDS]);
}

int rb_grid_do_cell(rb_grid *g, rb_journal *jr, int idx, double *rec) {
    float *scores = NULL;
    RB_TRY(rb_grid_cell(g, idx, rec, &scores));
    return rb_grid_commit_cell(g, jr, idx, rec, scores);
}

/* Whole cells: every rank takes cells from a shared counter until none is left. A rank that fails (a
 * cell, its scores file, its journal record: seen by that rank only) stops taking cells and moves the
 * counter past the end, so the others stop after their current cell; the caller then agrees on the
 * outcome. Ends with rb_progress_finish. */
static int rb_grid_compute_cells(rb_grid *g, rb_journal *jr, const int *todo, int n_todo, double *rec, rb_progress *prog) {
    int rc = RB_OK;
    int64_t *counter = NULL;
    MPI_Win win;
    MPI_Win_allocate(g->rank == 0 ? (MPI_Aint)sizeof(int64_t) : 0, sizeof(int64_t), MPI_INFO_NULL, g->comm, &counter, &win);
    rb_mpi_set_win_error_handler(&win);
    if (g->rank == 0) *counter = 0;
    MPI_Win_fence(0, win);
    for (;;) {
        int64_t one = 1, next = 0;
        MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win);
        MPI_Fetch_and_op(&one, &next, MPI_INT64_T, 0, 0, MPI_SUM, win);
        MPI_Win_unlock(0, win);
        if (next >= n_todo) break;
        int idx = todo[next];
        if (rb_grid_do_cell(g, jr, idx, rec) != RB_OK) {
            rc = RB_ERR;
            int64_t rest = n_todo, ignored; /* no rank starts another cell */
            MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win);
            MPI_Fetch_and_op(&rest, &ignored, MPI_INT64_T, 0, 0, MPI_SUM, win);
            MPI_Win_unlock(0, win);
            break;
        }
        rb_grid_cell_finished(g, prog, idx, rec);
    }
    rb_progress_finish(g, prog); /* before the window goes: rank 0 waits for every end marker */
    MPI_Win_free(&win);
    return rc;
}

/* The cells still to do: first the clean pass of each dataset with cells left, shared over every
 * rank (clean_pass.c); then whole cells from a shared counter while there are at least as many cells
 * as ranks, otherwise each cell's videos split over a group of ranks (split.c). Then every rank
 * leaves through the same collective steps and agrees on the outcome (rb_core.h). */
static int rb_grid_compute(rb_grid *g) {
    int *todo = NULL, n_todo = 0;
    int rc = rb_grid_todo(g, &todo, &n_todo);
    double *rec = rb_malloc(sizeof(double) * (size_t)g->rec_len, "cell record");
    if (!rec) rc = RB_ERR;
    rb_journal jr;
    jr.fd = -1;
    if (rc == RB_OK) rc = rb_journal_open(&jr, g->opt->run_dir, g->attempt, g->rank);
    if (rb_mpi_agree(rc, &g->comm) != RB_OK || rb_grid_clean_pass(g, todo, n_todo) != RB_OK) {
        free(todo);
        free(rec);
        rb_journal_close(&jr);
        return RB_ERR;
    }
    rb_progress prog;
    rb_progress_start(g, &prog, todo, n_todo);
    if (n_todo > 0 && g->size > n_todo) rc = rb_grid_compute_split(g, &jr, todo, n_todo, rec, &prog);
    else rc = rb_grid_compute_cells(g, &jr, todo, n_todo, rec, &prog);
    free(rec);
    rb_journal_close(&jr);
    free(todo);
    return rb_mpi_agree(rc, &g->comm);
}

/* Every rank ends with every record: the ones computed now (allgathered) plus the restored ones.
 * Returns a status every rank agrees on. */
static int rb_grid_share(rb_grid *g) {
    int mine = 0;
    for (int i = 0; i < g->n_cells; i++) mine += g->computed_here[i];
    int *counts = rb_malloc(sizeof(int) * (size_t)g->size, "counts"), *displs = rb_malloc(sizeof(int) * (size_t)g->size, "displs");
    int *owner = rb_malloc(sizeof(int) * (size_t)(g->n_cells ? g->n_cells : 1), "owners");
    double *send = NULL, *all = NULL;
    int rc = rb_mpi_agree(counts && displs && owner ? RB_OK : RB_ERR, &g->comm);
    int my_doubles = mine * g->rec_len, total = 0;
    if (rc == RB_OK) {
        MPI_Allgather(&my_doubles, 1, MPI_INT, counts, 1, MPI_INT, g->comm);
        for (int r = 0; r < g->size; r++) {
            displs[r] = total;
            total += counts[r];
        }
        send = rb_malloc(sizeof(double) * (size_t)(my_doubles ? my_doubles : 1), "send records");
        all = rb_malloc(sizeof(double) * (size_t)(total ? total : 1), "all records");
        rc = rb_mpi_agree(send && all ? RB_OK : RB_ERR, &g->comm);
    }
    if (rc == RB_OK) {
        int k = 0;
        for (int i = 0; i < g->n_cells; i++)
            if (g->computed_here[i]) memcpy(send + (size_t)(k++) * g->rec_len, g->records + (size_t)i * g->rec_len, sizeof(double) * (size_t)g->rec_len);
        MPI_Allgatherv(send, my_doubles, MPI_DOUBLE, all, counts, displs, MPI_DOUBLE, g->comm);
        for (int i = 0; i < g->n_cells; i++) owner[i] = -1;
        for (int r = 0; r < g->size; r++)
            for (int j = 0; j < counts[r] / g->rec_len; j++) {
                const double *rec = all + displs[r] + (size_t)j * g->rec_len;
                int idx = (int)rec[RB_REC_CELL];
                memcpy(g->records + (size_t)idx * g->rec_len, rec, sizeof(double) * (size_t)g->rec_len);
                g->have[idx] = 1;
                owner[idx] = r;
            }
        for (int i = 0; rc == RB_OK && i < g->n_cells; i++) {
            if (!g->have[i]) rc = rb_fail("internal: cell %d has no result after the run", i); /* the same on every rank */
            else g->computed_here[i] = owner[i] >= 0 ? owner[i] : i % g->size; /* now: the rank that writes its rows */
        }
    }
    free(owner);
    free(send);
    free(all);
    free(counts);
    free(displs);
    return rc;
}

/* ---- results ---- */

/* q: the fraction of positive frames of a test split (NaN without frame truth). */
static double rb_grid_positive_fraction(const rb_split *test) {
    if (!test->snippet_pos || !test->snippet_frames) return NAN;
    int64_t pos = 0, frames = 0;
    for (int64_t i = 0; i < test->n_snippets; i++) {
        pos += test->snippet_pos[i];
        frames += test->snippet_frames[i];
    }
    return frames > 0 ? (double)pos / (double)frames : NAN;
}

static int rb_grid_results(rb_grid *g, rb_results *r) {
    RB_TRY(rb_results_alloc(r, g->n_cells, g->M, g->R));
    for (int k = 0; k < g->M; k++) snprintf(r->methods[k], sizeof r->methods[k], "%s", rb_method_name(g->methods[k]));
    for (int i = 0; i < g->n_cells; i++) {
        const rb_cell *c = &g->cells[i];
        const double *rec = g->records + (size_t)i * g->rec_len;
        rb_result_cond *o = &r->conds[i];
        snprintf(o->dataset, sizeof o->dataset, "%.63s", g->specs[c->dataset].name);
        snprintf(o->corruption, sizeof o->corruption, "%s", c->corruption);
        snprintf(o->modality, sizeof o->modality, "%s", c->modality);
        snprintf(o->label, sizeof o->label, "%s", c->label);
        o->severity = c->severity;
        int s0 = (int)rec[RB_REC_SRC0], s1 = (int)rec[RB_REC_SRC1];
        int src = s0 == 0 ? s1 : s1 == 0 ? s0 : s0 == s1 ? s0 : -1;
        snprintf(o->source, sizeof o->source, "%s", src < 0 ? "mixed" : rb_source_name(src));
        o->weight[0] = rec[RB_REC_W0];
        o->weight[1] = rec[RB_REC_W1];
        o->detect_auc[0] = rec[RB_REC_D0];
        o->detect_auc[1] = rec[RB_REC_D1];
        o->seconds = rec[RB_REC_SECONDS];
        o->positive_fraction = rb_grid_positive_fraction(&g->data[c->dataset].test);
        for (int k = 0; k < g->M; k++)
            for (int rep = 0; rep < g->R; rep++) {
                const double *m = rec + RB_REC_HEAD + 3 * (k * g->R + rep);
                int64_t at = rb_results_at(r, i, k, rep);
                r->ap[at] = m[0];
                r->ap_step[at] = m[1];
                r->roc_auc[at] = m[2];
            }
        memcpy(o->diag, rec + RB_REC_HEAD + 3 * g->M * g->R, sizeof o->diag);
    }
    rb_results_fill_oracle_gap(r);
    RB_TRY(rb_results_alloc_boot(r, g->B, g->confidence, g->baseline));
    if (g->B > 0) {
        size_t per_cell = 3 * (size_t)g->M * (size_t)g->B; /* [M][3][B], the layout of r->boot per condition */
        for (int i = 0; i < g->n_cells; i++)
            memcpy(r->boot + (size_t)i * per_cell,
                   g->records + (size_t)i * g->rec_len + RB_REC_HEAD + 3 * g->M * g->R + 2 * RB_DIAG_COUNT,
                   sizeof(double) * per_cell);
    }
    return rb_results_boot_intervals(r);
}

/* The run's name for run_id: the last component of its directory (run.id, or that of --out), so that
 * results.h5, cells.csv, results.json and report.html never carry a path of the machine that ran. */
static char *rb_run_name(const char *run_dir) {
    size_t end = strlen(run_dir);
    while (end > 1 && run_dir[end - 1] == '/') end--;
    size_t start = end;
    while (start > 0 && run_dir[start - 1] != '/') start--;
    char *name = rb_malloc(end - start + 1, "run id");
    if (name) {
        memcpy(name, run_dir + start, end - start);
        name[end - start] = '\0';
    }
    return name;
}

/* results.h5 (collective, with the saved scores), then on rank 0 the tables and the closing line;
 * the scratch score files go once results.h5 holds them. t0, t_grid, t_write: when the run, the grid
 * and the writing started. Returns a status every rank agrees on; a failed write leaves the run's
 * previous results.h5 (if any) and no temporary. */
static int rb_grid_write(rb_grid *g, rb_results *results, double t0, double t_grid, double t_write) {
    int rc = rb_grid_results(g, results);
    if (rc == RB_OK) {
        results->config_text = rb_strdup(rb_config_text(g->cfg), "config text");
        results->run_id = rb_run_name(g->opt->run_dir);
        results->git_commit = rb_strdup(rb_build_commit(), "commit");
        if (!results->config_text || !results->run_id || !results->git_commit) rc = RB_ERR;
    }
    RB_TRY(rb_mpi_agree(rc, &g->comm));
    char rpath[4200];
    snprintf(rpath, sizeof rpath, "%s/results.h5", g->opt->run_dir);
    RB_TRY(rb_results_write(rpath, results, g->computed_here, g->comm, g->inputs, g->shas, g->n_inputs,
                            g->opt->save_scores ? rb_grid_write_scores : NULL, g));
    if (g->rank == 0) {
        rc = rb_results_tables(results, g->opt->run_dir);
        if (rc == RB_OK) {
            rb_audit_provenance prov;
            rc = rb_audit_read_provenance(rpath, &prov);
            if (rc == RB_OK) {
                rc = rb_results_json(results, &prov, g->opt->run_dir);
                rb_audit_provenance_free(&prov);
            }
        }
        if (rc == RB_OK)
            rb_grid_log(g, "grid: %d cells in %.1f s (%.2f cells/s); results.h5 and tables in %.1f s; total %.1f s",
                        g->n_cells, t_write - t_grid, (t_write - t_grid) > 0 ? g->n_cells / (t_write - t_grid) : 0,
                        rb_now() - t_write, rb_now() - t0);
    }
    RB_TRY(rb_mpi_agree(rc, &g->comm));
    if (g->opt->save_scores) rb_grid_remove_saved_scores(g);
    return RB_OK;
}

/* Frees what the steps that ran allocated (every array may still be NULL). Collective: the shared
 * dataset windows are freed on every rank. */
static void rb_grid_free(rb_grid *g) {
    for (int i = 0; i < g->n_inputs; i++) {
        free(g->inputs[i]);
        free(g->shas[i]);
    }
    free(g->inputs);
    free(g->shas);
    for (int d = 0; d < g->n_specs; d++) {
        if (g->scorer) rb_scorer_free(g->scorer[d]);
        if (g->clean_win && g->clean_win[d] != MPI_WIN_NULL) MPI_Win_free(&g->clean_win[d]); /* the node's ranks together */
        if (g->selected && g->selected[d] && g->ctx && g->data && g->data_win) {
            rb_corrupt_ctx_free(&g->ctx[d]);
            rb_dataset_free_shared(&g->data[d], &g->data_win[d]);
        }
        if (g->model_loaded && g->model_loaded[d]) rb_model_free(&g->models[d]);
    }
    if (g->log) fclose(g->log);
    g->log = NULL;
    rb_grid_boot_free(g);
    free(g->selected);
    free(g->model_loaded);
    free(g->scorer);
    free(g->ctx);
    free(g->data);
    free(g->data_win);
    free(g->clean_win);
    free(g->models);
    free(g->model_of);
    free(g->cells);
    free(g->records);
    free(g->have);
    free(g->computed_here);
}

/* Each step returns a status every rank agrees on (rb_mpi_agree, rb_core.h): on a failure every rank
 * stops at the same step, frees what it holds and returns RB_ERR with the same message. */
int rb_grid_run(const rb_config *cfg, const rb_dataset_spec *specs, int n_specs, const rb_grid_options *opt,
                MPI_Comm comm, rb_results *results) {
    rb_grid gs, *g = &gs;
    memset(results, 0, sizeof *results);
    int rc = rb_mpi_agree(rb_grid_init(g, cfg, specs, n_specs, opt, comm), &comm);
    if (rc != RB_OK) return RB_ERR;
    double t0 = rb_now();
    rc = rb_grid_make_run_dir(g);
    if (rc == RB_OK) rc = rb_mpi_agree(rb_grid_select(g), &comm);
    if (rc == RB_OK) rc = rb_grid_inputs(g);
    if (rc == RB_OK) rc = rb_mpi_agree(rb_grid_cells(g), &comm);
    if (rc == RB_OK) rc = rb_grid_open_run(g); /* after the cells: the manifest lists their keys */
    if (rc == RB_OK && opt->resume) rc = rb_grid_restore(g);
    double t_grid = rb_now();
    if (rc == RB_OK) {
        rb_grid_log(g, "grid: %d datasets, %d cells, %d methods x %d replicas, %d ranks (attempt %d)", n_specs, g->n_cells,
                    g->M, g->R, g->size, g->attempt);
        rb_grid_boot_note_baseline(g);
        t_grid = rb_now();
        rc = rb_grid_compute(g);
    }
    if (rc == RB_OK) {
        double rss_max, node_pss_max;
        rb_memory_peaks(comm, &rss_max, &node_pss_max);
        rb_grid_log(g, "memory: peak RSS per rank %.1f MiB (largest rank), node total %.1f MiB (PSS, largest node, after the grid)",
                    rss_max, node_pss_max);
        long long boot[2] = {(long long)g->boot_walked, (long long)g->boot_reused}, boot_sum[2] = {0, 0};
        MPI_Reduce(boot, boot_sum, 2, MPI_LONG_LONG, MPI_SUM, 0, comm);
        if (g->B > 0)
            rb_grid_log(g, "bootstrap: %lld method resamplings walked, %lld taken from the same rank's previous cell "
                           "(the method's scores unchanged, bit for bit)", boot_sum[0], boot_sum[1]);
        rc = rb_grid_share(g);
    }
    if (rc == RB_OK) rc = rb_grid_write(g, results, t0, t_grid, rb_now());
    if (rc != RB_OK) {
        if (g->rank == 0 && g->log) fprintf(g->log, "error: %s\n", rb_error_message()); /* log.txt keeps the reason */
        rb_results_free(results);
        memset(results, 0, sizeof *results);
    }
    rb_grid_free(g);
    return rc;
}

/* run.c - the distributed benchmark (rb_grid.h): inputs, dynamic cost-ordered scheduling with
 * an MPI-3 atomic counter, per-rank journal of finished cells, progress on rank 0, gathering in
 * canonical order, results.h5 written collectively, tables on rank 0. */
#include "rb_grid.h"
#include "rb_score.h"
#include "rb_core.h"
#include "rb_corrupt.h"
#include "rb_io.h"
#include "rb_model.h"
#include "rb_results.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

enum { RB_TAG_PROGRESS = 41 };

/* Packed record of one finished cell: header, per-modality figures, metrics [M][R][3]. */
enum { RB_REC_CELL, RB_REC_SECONDS, RB_REC_W0, RB_REC_W1, RB_REC_D0, RB_REC_D1, RB_REC_SRC0, RB_REC_SRC1, RB_REC_HEAD };

typedef struct {
    const rb_config *cfg;
    const rb_dataset_spec *specs;
    int n_specs;
    MPI_Comm comm;
    int rank, size;
    rb_dataset *data;
    MPI_Win *data_win;
    rb_model *models;       /* [n_specs]; loaded for datasets trained on themselves */
    int *model_of;          /* dataset -> index of the spec whose model scores it */
    rb_corrupt_ctx *ctx;
    rb_scorer **scorer;     /* lazily built per dataset */
    int *selected;          /* dataset runs in this job (all, or the --datasets shard) */
    int *model_loaded;
    rb_cell *cells;
    int n_cells, M, R, rec_len;
    rb_method methods[RB_N_METHODS];
    double *records;        /* [n_cells][rec_len] */
    int *have;              /* record present */
    int *computed_here;     /* computed by this rank in this attempt */
    int64_t chunk_rows;
    double reuse_mb;
    const rb_grid_options *opt;
    FILE *log;              /* rank 0: <run>/log.txt */
} rb_grid;

static uint32_t rb_name_id(const char *s) { /* FNV-1a: stable dataset id for the corruption streams */
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void rb_grid_log(rb_grid *g, const char *fmt, ...) RB_PRINTF(2, 3);
static void rb_grid_log(rb_grid *g, const char *fmt, ...) {
    if (g->rank != 0) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (!rb_log_quiet) fprintf(stderr, "robusta: %s\n", line);
    if (g->log) {
        fprintf(g->log, "%s\n", line);
        fflush(g->log);
    }
}

/* ---- inputs ---- */

static int rb_grid_inputs(rb_grid *g) {
    int n = g->n_specs;
    g->data = rb_calloc((size_t)n, sizeof *g->data, "datasets");
    g->data_win = rb_calloc((size_t)n, sizeof *g->data_win, "windows");
    g->models = rb_calloc((size_t)n, sizeof *g->models, "models");
    g->model_of = rb_calloc((size_t)n, sizeof *g->model_of, "model map");
    g->ctx = rb_calloc((size_t)n, sizeof *g->ctx, "corruption contexts");
    g->scorer = rb_calloc((size_t)n, sizeof *g->scorer, "scorers");
    g->model_loaded = rb_calloc((size_t)n, sizeof *g->model_loaded, "model flags");
    if (!g->data || !g->data_win || !g->models || !g->model_of || !g->ctx || !g->scorer || !g->model_loaded) return RB_ERR;
    for (int d = 0; d < n; d++) {
        g->data_win[d] = MPI_WIN_NULL;
        g->model_of[d] = d;
        if (strcmp(g->specs[d].train_on, "self") != 0)
            for (int e = 0; e < n; e++)
                if (strcmp(g->specs[e].name, g->specs[d].train_on) == 0) g->model_of[d] = e;
    }
    for (int d = 0; d < n; d++) {
        if (!g->selected[d] || g->model_loaded[g->model_of[d]]) continue;
        int e = g->model_of[d];
        rb_collective_check(rb_model_read(g->specs[e].model_path, &g->models[e]), &g->comm);
        g->model_loaded[e] = 1;
    }
    int first = -1;
    for (int d = 0; d < n; d++) {
        if (!g->selected[d]) continue;
        if (first < 0) first = d;
        RB_TRY(rb_dataset_read_test_shared(g->specs[d].path, &g->data[d], g->comm, &g->data_win[d]));
        const rb_model *m = &g->models[g->model_of[d]];
        int rc = rb_corrupt_ctx_init(&g->ctx[d], g->specs[d].seed, rb_name_id(g->specs[d].name), &m->stats[0], &m->stats[1]);
        rb_collective_check(rc, &g->comm);
    }
    const rb_model *m0 = &g->models[g->model_of[first]];
    g->R = m0->n_replicas;
    g->M = 0;
    for (int me = 0; me < RB_N_METHODS; me++)
        if (rb_method_available(m0, (rb_method)me)) g->methods[g->M++] = (rb_method)me;
    g->rec_len = RB_REC_HEAD + 3 * g->M * g->R;
    return RB_OK;
}

/* ---- one cell ---- */

static const char *rb_source_name(int code) {
    static const char *names[] = {"clean", "surrogate", "preextracted", "none"};
    return code >= 0 && code < 4 ? names[code] : "?";
}

static int rb_grid_cell(rb_grid *g, int idx, double *rec, float **scores_out) {
    const rb_cell *c = &g->cells[idx];
    int d = c->dataset;
    const rb_model *m = &g->models[g->model_of[d]];
    if (!g->scorer[d])
        RB_TRY_CTX(rb_scorer_init(&g->scorer[d], m, &g->data[d].test, &g->ctx[d], g->chunk_rows, g->reuse_mb),
                   "dataset %s", g->specs[d].name);
    const char *source_mode;
    RB_TRY(rb_config_string(g->cfg, "grid.source", &source_mode));
    rb_modality_condition cond[2];
    memset(cond, 0, sizeof cond);
    float *pre[2] = {NULL, NULL};
    int src[2] = {0, 0};
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
    rb_cell_result res;
    if (rc == RB_OK) rc = rb_scorer_cell(g->scorer[d], cond, &res);
    free(pre[0]);
    free(pre[1]);
    if (rc != RB_OK) return rb_context("cell %s %s severity %d", g->specs[d].name, c->label, c->severity);
    rec[RB_REC_CELL] = idx;
    rec[RB_REC_SECONDS] = res.seconds;
    rec[RB_REC_W0] = res.weight_mean[0];
    rec[RB_REC_W1] = res.weight_mean[1];
    rec[RB_REC_D0] = res.detect_auc[0];
    rec[RB_REC_D1] = res.detect_auc[1];
    rec[RB_REC_SRC0] = src[0];
    rec[RB_REC_SRC1] = src[1];
    for (int k = 0; k < g->M; k++)
        for (int r = 0; r < g->R; r++) {
            const rb_metrics *mt = &res.metrics[k * g->R + r];
            double *o = rec + RB_REC_HEAD + 3 * (k * g->R + r);
            o[0] = mt->ap;
            o[1] = mt->ap_step;
            o[2] = mt->roc_auc;
        }
    *scores_out = res.scores; /* [M][R][S] */
    res.scores = NULL;
    rb_cell_result_free(&res);
    return RB_OK;
}

/* ---- per-snippet scores of a cell on disk (for --save-scores), written before the journal ---- */

static void rb_scores_path(const rb_grid *g, int idx, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/scores/cell-%06d.f32", g->opt->run_dir, idx);
}

static int rb_save_cell_scores(const rb_grid *g, int idx, const float *scores, size_t n) {
    char path[4200];
    rb_scores_path(g, idx, path, sizeof path);
    return rb_write_bytes_atomic(path, scores, sizeof(float) * n);
}

/* ---- progress (rank 0) ---- */

typedef struct {
    int done, todo, total;
    double t0;
} rb_progress;

static void rb_progress_line(rb_grid *g, rb_progress *p, int idx, double seconds, int by_rank) {
    p->done++;
    double el = rb_now() - p->t0, rate = el > 0 ? p->done / el : 0, eta = rate > 0 ? (p->todo - p->done) / rate : 0;
    const rb_cell *c = &g->cells[idx];
    if (g->opt->progress_tty) {
        fprintf(stderr, "\rrobusta: %d/%d cells  %.2f cells/s  ETA %.0f s   ", p->done, p->todo, rate, eta);
        if (p->done == p->todo) fputc('\n', stderr);
        fflush(stderr);
    }
    int quiet = rb_log_quiet;
    if (g->opt->progress_tty) rb_log_quiet = 1; /* still goes to log.txt */
    rb_grid_log(g, "cell %d/%d done: %s %s severity %d (rank %d, %.2f s); %d/%d, %.2f cells/s, ETA %.0f s", idx + 1,
                p->total, g->specs[c->dataset].name, c->label, c->severity, by_rank, seconds, p->done, p->todo, rate, eta);
    rb_log_quiet = quiet;
}

static void rb_progress_poll(rb_grid *g, rb_progress *p, int block) {
    for (;;) {
        int flag = 0;
        MPI_Status st;
        if (block) {
            MPI_Probe(MPI_ANY_SOURCE, RB_TAG_PROGRESS, g->comm, &st);
            flag = 1;
        } else {
            MPI_Iprobe(MPI_ANY_SOURCE, RB_TAG_PROGRESS, g->comm, &flag, &st);
        }
        if (!flag) return;
        double msg[2];
        MPI_Recv(msg, 2, MPI_DOUBLE, st.MPI_SOURCE, RB_TAG_PROGRESS, g->comm, MPI_STATUS_IGNORE);
        rb_progress_line(g, p, (int)msg[0], msg[1], st.MPI_SOURCE);
        if (block) return;
    }
}

/* ---- scheduling ---- */

static int rb_grid_compute(rb_grid *g, int attempt) {
    /* cells still to do, in (dataset, cost desc, index) order: expensive ones first within a
     * dataset so the tail is short, datasets in turn so a rank builds few scorers */
    int *todo = rb_malloc(sizeof *todo * (size_t)(g->n_cells ? g->n_cells : 1), "todo list");
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
    int64_t *counter = NULL;
    MPI_Win win;
    MPI_Win_allocate(g->rank == 0 ? (MPI_Aint)sizeof(int64_t) : 0, sizeof(int64_t), MPI_INFO_NULL, g->comm, &counter, &win);
    if (g->rank == 0) *counter = 0;
    MPI_Win_fence(0, win);
    rb_journal jr;
    jr.fd = -1;
    int rc = rb_journal_open(&jr, g->opt->run_dir, attempt, g->rank);
    rb_collective_check(rc, &g->comm);
    rb_progress prog = {0, n_todo, g->n_cells, rb_now()};
    double *rec = rb_malloc(sizeof(double) * (size_t)g->rec_len, "cell record");
    if (!rec) rb_die();
    for (;;) {
        int64_t one = 1, next = 0;
        MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win);
        MPI_Fetch_and_op(&one, &next, MPI_INT64_T, 0, 0, MPI_SUM, win);
        MPI_Win_unlock(0, win);
        if (next >= n_todo) break;
        int idx = todo[next];
        float *scores = NULL;
        /* a cell error is seen by one rank only: it ends the whole job with its message */
        if (rb_grid_cell(g, idx, rec, &scores) != RB_OK) rb_die();
        const rb_cell *c = &g->cells[idx];
        size_t n_scores = (size_t)g->M * (size_t)g->R * (size_t)g->data[c->dataset].test.n_snippets;
        if (g->opt->save_scores && rb_save_cell_scores(g, idx, scores, n_scores) != RB_OK) rb_die();
        free(scores);
        if (rb_journal_append(&jr, rec, g->rec_len) != RB_OK) rb_die();
        memcpy(g->records + (size_t)idx * g->rec_len, rec, sizeof(double) * (size_t)g->rec_len);
        g->have[idx] = 1;
        g->computed_here[idx] = 1;
        if (g->rank == 0) {
            rb_progress_line(g, &prog, idx, rec[RB_REC_SECONDS], 0);
            rb_progress_poll(g, &prog, 0);
        } else {
            double msg[2] = {idx, rec[RB_REC_SECONDS]};
            MPI_Send(msg, 2, MPI_DOUBLE, 0, RB_TAG_PROGRESS, g->comm);
        }
    }
    if (g->rank == 0)
        while (prog.done < n_todo) rb_progress_poll(g, &prog, 1);
    free(rec);
    rb_journal_close(&jr);
    MPI_Win_free(&win);
    free(todo);
    return RB_OK;
}

/* Every rank ends with every record: the ones computed now (allgathered) plus the restored ones. */
static int rb_grid_share(rb_grid *g) {
    int mine = 0;
    for (int i = 0; i < g->n_cells; i++) mine += g->computed_here[i];
    int *counts = rb_malloc(sizeof(int) * (size_t)g->size, "counts"), *displs = rb_malloc(sizeof(int) * (size_t)g->size, "displs");
    if (!counts || !displs) return RB_ERR;
    int my_doubles = mine * g->rec_len;
    MPI_Allgather(&my_doubles, 1, MPI_INT, counts, 1, MPI_INT, g->comm);
    int total = 0;
    for (int r = 0; r < g->size; r++) {
        displs[r] = total;
        total += counts[r];
    }
    double *send = rb_malloc(sizeof(double) * (size_t)(my_doubles ? my_doubles : 1), "send records");
    double *all = rb_malloc(sizeof(double) * (size_t)(total ? total : 1), "all records");
    if (!send || !all) return RB_ERR;
    int k = 0;
    for (int i = 0; i < g->n_cells; i++)
        if (g->computed_here[i]) memcpy(send + (size_t)(k++) * g->rec_len, g->records + (size_t)i * g->rec_len, sizeof(double) * (size_t)g->rec_len);
    MPI_Allgatherv(send, my_doubles, MPI_DOUBLE, all, counts, displs, MPI_DOUBLE, g->comm);
    int *owner = rb_malloc(sizeof(int) * (size_t)g->n_cells, "owners");
    if (!owner) return RB_ERR;
    for (int i = 0; i < g->n_cells; i++) owner[i] = -1;
    for (int r = 0; r < g->size; r++)
        for (int j = 0; j < counts[r] / g->rec_len; j++) {
            const double *rec = all + displs[r] + (size_t)j * g->rec_len;
            int idx = (int)rec[RB_REC_CELL];
            memcpy(g->records + (size_t)idx * g->rec_len, rec, sizeof(double) * (size_t)g->rec_len);
            g->have[idx] = 1;
            owner[idx] = r;
        }
    for (int i = 0; i < g->n_cells; i++) {
        if (!g->have[i]) return rb_fail("internal: cell %d has no result after the run", i);
        g->computed_here[i] = owner[i] >= 0 ? owner[i] : i % g->size; /* now: the rank that writes its rows */
    }
    free(owner);
    free(send);
    free(all);
    free(counts);
    free(displs);
    return RB_OK;
}

/* ---- results ---- */

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
        for (int k = 0; k < g->M; k++)
            for (int rep = 0; rep < g->R; rep++) {
                const double *m = rec + RB_REC_HEAD + 3 * (k * g->R + rep);
                int64_t at = rb_results_at(r, i, k, rep);
                r->ap[at] = m[0];
                r->ap_step[at] = m[1];
                r->roc_auc[at] = m[2];
            }
    }
    return RB_OK;
}

/* --save-scores: datasets created collectively, each written by the rank that owns the cell. */
static int rb_grid_write_scores(hid_t file, void *ctxp) {
    rb_grid *g = ctxp;
    for (int d = 0; d < g->n_specs; d++) {
        if (!g->selected[d]) continue;
        char path[512];
        hid_t grp;
        const rb_split *t = &g->data[d].test;
        snprintf(path, sizeof path, "truth/%s", g->specs[d].name);
        RB_TRY(rb_h5_group(file, path, &grp));
        hsize_t dims[1] = {(hsize_t)t->n_snippets};
        int rc = rb_h5_write(grp, "snippet_pos", RB_H5_I32, 1, dims, t->snippet_pos);
        if (rc == RB_OK) rc = rb_h5_write(grp, "snippet_frames", RB_H5_I32, 1, dims, t->snippet_frames);
        H5Gclose(grp);
        RB_TRY(rc);
    }
    int rc_all = RB_OK;
    for (int i = 0; i < g->n_cells; i++) {
        const rb_cell *c = &g->cells[i];
        const rb_split *t = &g->data[c->dataset].test;
        size_t S = (size_t)t->n_snippets, per = (size_t)g->R * S;
        float *buf = NULL;
        if (g->computed_here[i] == g->rank) {
            char fpath[4200];
            rb_scores_path(g, i, fpath, sizeof fpath);
            FILE *f = fopen(fpath, "rb");
            buf = rb_malloc(sizeof(float) * per * (size_t)g->M, "cell scores");
            if (!f || !buf || fread(buf, sizeof(float), per * (size_t)g->M, f) != per * (size_t)g->M)
                rc_all = rb_fail("cannot read the saved scores %s (was the run started without --save-scores?)", fpath);
            if (f) fclose(f);
        }
        for (int k = 0; k < g->M; k++) {
            char path[512];
            snprintf(path, sizeof path, "scores/%s/%s/%d", g->specs[c->dataset].name, c->label, c->severity);
            hid_t grp;
            RB_TRY(rb_h5_group(file, path, &grp));
            hsize_t dims[2] = {(hsize_t)g->R, (hsize_t)S};
            hid_t space = H5Screate_simple(2, dims, NULL);
            hid_t ds = H5Dcreate2(grp, rb_method_name(g->methods[k]), H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            if (ds < 0) rc_all = rb_fail("cannot create %s/%s", path, rb_method_name(g->methods[k]));
            else if (buf && rc_all == RB_OK && H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf + (size_t)k * per) < 0)
                rc_all = rb_fail("writing %s failed", path);
            if (ds >= 0) H5Dclose(ds);
            H5Sclose(space);
            H5Gclose(grp);
        }
        free(buf);
    }
    return rc_all;
}

/* ---- memory: peak resident set per rank, and the node's proportional share (PSS counts the
 * node-shared window once, however many ranks map it) ---- */

static double rb_pss_mib(void) {
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (!f) return NAN;
    char line[256];
    double kb = NAN;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "Pss:", 4) == 0) kb = atof(line + 4);
    fclose(f);
    return kb / 1024.0;
}

static void rb_grid_memory(rb_grid *g) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double rss = (double)ru.ru_maxrss / 1024.0, pss = rb_pss_mib(), rss_max = 0, node_pss = 0, node_max = 0;
    MPI_Comm node;
    MPI_Comm_split_type(g->comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    MPI_Allreduce(&pss, &node_pss, 1, MPI_DOUBLE, MPI_SUM, node);
    MPI_Comm_free(&node);
    MPI_Reduce(&rss, &rss_max, 1, MPI_DOUBLE, MPI_MAX, 0, g->comm);
    MPI_Reduce(&node_pss, &node_max, 1, MPI_DOUBLE, MPI_MAX, 0, g->comm);
    rb_grid_log(g, "memory: peak RSS per rank %.1f MiB (largest rank), node total %.1f MiB (PSS, largest node, after the grid)",
                rss_max, node_max);
}

/* ---- run directory: manifest and resume ---- */

/* rank 0: input checksums, manifest, resume checks; returns the attempt number */
static int rb_grid_prepare_dir(rb_grid *g, char ***inputs, char ***shas, int *n_inputs, int *attempt) {
    const char *dir = g->opt->run_dir;
    char path[4200];
    int n = 0;
    *inputs = rb_calloc((size_t)(2 * g->n_specs), sizeof **inputs, "inputs");
    *shas = rb_calloc((size_t)(2 * g->n_specs), sizeof **shas, "input checksums");
    if (!*inputs || !*shas) return RB_ERR;
    for (int d = 0; d < g->n_specs; d++)
        for (int which = 0; which < 2; which++) {
            if (which == 0 && !g->selected[d]) continue;
            if (which == 1 && !g->model_loaded[d]) continue;
            const char *p = which == 0 ? g->specs[d].path : g->specs[d].model_path;
            char sha[65];
            RB_TRY(rb_sha256_file(p, sha));
            (*inputs)[n] = rb_strdup(p, "input");
            (*shas)[n] = rb_strdup(sha, "checksum");
            n++;
        }
    *n_inputs = n;
    size_t cap = strlen(rb_config_text(g->cfg)) + (size_t)n * 4200 + 64;
    char *manifest = rb_malloc(cap, "manifest");
    if (!manifest) return RB_ERR;
    snprintf(manifest, cap, "%s\n# datasets: %s\n# inputs\n", rb_config_text(g->cfg),
             g->opt->datasets ? g->opt->datasets : "all");
    for (int i = 0; i < n; i++)
        snprintf(manifest + strlen(manifest), cap - strlen(manifest), "%s  %s\n", (*shas)[i], (*inputs)[i]);
    snprintf(path, sizeof path, "%s/manifest.txt", dir);
    char *old = NULL;
    if (rb_read_file(path, &old) != RB_OK) rb_error_clear(); /* no manifest yet: a new run */
    RB_TRY(rb_journal_attempts(dir, attempt));
    struct stat st;
    char rpath[4200];
    snprintf(rpath, sizeof rpath, "%s/results.h5", dir);
    int has_results = stat(rpath, &st) == 0;
    int rc = RB_OK;
    if (!g->opt->resume && (old || *attempt > 0 || has_results))
        rc = rb_fail("run directory %s already holds a run; use --resume to continue it, or another run id", dir);
    else if (g->opt->resume && old && strcmp(old, manifest) != 0)
        rc = rb_fail("cannot resume %s: the config or the input files changed since it started (compare %s with "
                     "`robusta config`); start a new run id instead", dir, path);
    if (rc == RB_OK && !old) rc = rb_write_file_atomic(path, manifest);
    free(old);
    free(manifest);
    return rc;
}

int rb_grid_run(const rb_config *cfg, const rb_dataset_spec *specs, int n_specs, const rb_grid_options *opt,
                MPI_Comm comm, rb_results *results) {
    rb_grid gs, *g = &gs;
    memset(g, 0, sizeof *g);
    memset(results, 0, sizeof *results);
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
    g->chunk_rows = chunk;
    double t0 = rb_now();
    int rc = g->rank == 0 ? rb_mkdir_p(opt->run_dir) : RB_OK;
    if (rc == RB_OK && g->rank == 0 && opt->save_scores) {
        char sdir[4200];
        snprintf(sdir, sizeof sdir, "%s/scores", opt->run_dir);
        rc = rb_mkdir_p(sdir);
    }
    rb_collective_check(rc, &comm);
    g->selected = rb_calloc((size_t)n_specs, sizeof *g->selected, "dataset selection");
    if (!g->selected) rb_die();
    int n_selected = 0;
    for (int d = 0; d < n_specs; d++) {
        g->selected[d] = !opt->datasets;
        if (opt->datasets) {
            const char *p = opt->datasets;
            size_t len = strlen(specs[d].name);
            while (p && *p) {
                const char *comma = strchr(p, ',');
                size_t n = comma ? (size_t)(comma - p) : strlen(p);
                if (n == len && strncmp(p, specs[d].name, len) == 0) g->selected[d] = 1;
                p = comma ? comma + 1 : NULL;
            }
        }
        n_selected += g->selected[d];
    }
    if (opt->datasets) { /* every listed name must be a dataset */
        const char *p = opt->datasets;
        while (p && *p) {
            const char *comma = strchr(p, ',');
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            int found = 0;
            for (int d = 0; d < n_specs; d++) found |= strlen(specs[d].name) == n && strncmp(p, specs[d].name, n) == 0;
            if (!found) {
                rb_fail("--datasets: \"%.*s\" is not a dataset of the config", (int)n, p);
                rb_die();
            }
            p = comma ? comma + 1 : NULL;
        }
    }
    if (n_selected == 0) {
        rb_fail("--datasets selects no dataset");
        rb_die();
    }
    if (rb_grid_inputs(g) != RB_OK) rb_die();
    char **inputs = NULL, **shas = NULL;
    int n_inputs = 0, attempt = 0;
    if (g->rank == 0) {
        char lpath[4200];
        snprintf(lpath, sizeof lpath, "%s/log.txt", opt->run_dir);
        g->log = fopen(lpath, "a");
        rc = rb_grid_prepare_dir(g, &inputs, &shas, &n_inputs, &attempt);
    }
    rb_collective_check(rc, &comm);
    MPI_Bcast(&attempt, 1, MPI_INT, 0, comm);
    MPI_Bcast(&n_inputs, 1, MPI_INT, 0, comm);
    if (g->rank != 0) {
        inputs = rb_calloc((size_t)(n_inputs ? n_inputs : 1), sizeof *inputs, "inputs");
        shas = rb_calloc((size_t)(n_inputs ? n_inputs : 1), sizeof *shas, "checksums");
        for (int i = 0; i < n_inputs; i++) {
            inputs[i] = rb_calloc(4096, 1, "input");
            shas[i] = rb_calloc(65, 1, "checksum");
        }
    }
    for (int i = 0; i < n_inputs; i++) {
        char buf[4096] = "";
        if (g->rank == 0) snprintf(buf, sizeof buf, "%s", inputs[i]);
        MPI_Bcast(buf, sizeof buf, MPI_CHAR, 0, comm);
        if (g->rank != 0) memcpy(inputs[i], buf, sizeof buf);
        char sbuf[65] = "";
        if (g->rank == 0) memcpy(sbuf, shas[i], 65);
        MPI_Bcast(sbuf, 65, MPI_CHAR, 0, comm);
        if (g->rank != 0) memcpy(shas[i], sbuf, 65);
    }
    int64_t *snippets = rb_malloc(sizeof(int64_t) * (size_t)n_specs, "snippet counts");
    for (int d = 0; d < n_specs; d++) snippets[d] = g->selected[d] ? g->data[d].test.n_snippets : 0;
    if (rb_grid_plan(cfg, n_specs, snippets, &g->cells, &g->n_cells) != RB_OK) rb_die();
    free(snippets);
    int kept = 0; /* a shard keeps its datasets' cells, in canonical order */
    for (int i = 0; i < g->n_cells; i++)
        if (g->selected[g->cells[i].dataset]) g->cells[kept++] = g->cells[i];
    g->n_cells = kept;
    g->records = rb_calloc((size_t)g->n_cells * (size_t)g->rec_len, sizeof(double), "records");
    g->have = rb_calloc((size_t)g->n_cells, sizeof(int), "have");
    g->computed_here = rb_calloc((size_t)g->n_cells, sizeof(int), "computed");
    if (!g->records || !g->have || !g->computed_here) rb_die();
    if (opt->resume) {
        double *recs = NULL;
        int count = 0;
        rc = rb_journal_load(opt->run_dir, g->rec_len, &recs, &count);
        rb_collective_check(rc, &comm);
        for (int j = 0; j < count; j++) {
            int idx = (int)recs[(size_t)j * g->rec_len + RB_REC_CELL];
            if (idx < 0 || idx >= g->n_cells) continue;
            memcpy(g->records + (size_t)idx * g->rec_len, recs + (size_t)j * g->rec_len, sizeof(double) * (size_t)g->rec_len);
            g->have[idx] = 1;
        }
        free(recs);
        int restored = 0;
        for (int i = 0; i < g->n_cells; i++) restored += g->have[i];
        rb_grid_log(g, "resume: %d of %d cells already committed in %s", restored, g->n_cells, opt->run_dir);
    }
    rb_grid_log(g, "grid: %d datasets, %d cells, %d methods x %d replicas, %d ranks (attempt %d)", n_specs, g->n_cells,
                g->M, g->R, g->size, attempt);
    double t_grid = rb_now();
    RB_TRY(rb_grid_compute(g, attempt));
    rb_grid_memory(g);
    if (rb_grid_share(g) != RB_OK) rb_die();
    double t_write = rb_now();
    if (rb_grid_results(g, results) != RB_OK) rb_die();
    const char *run_id;
    RB_TRY(rb_config_string(cfg, "run.id", &run_id));
    results->config_text = rb_strdup(rb_config_text(cfg), "config text");
    results->run_id = rb_strdup(opt->run_dir, "run id");
    char rpath[4200];
    snprintf(rpath, sizeof rpath, "%s/results.h5", opt->run_dir);
    rb_results_write(rpath, results, g->computed_here, comm, inputs, shas, n_inputs,
                     opt->save_scores ? rb_grid_write_scores : NULL, g);
    if (g->rank == 0) {
        if (rb_results_tables(results, opt->run_dir) != RB_OK) rb_die();
        rb_grid_log(g, "grid: %d cells in %.1f s (%.2f cells/s); results.h5 and tables in %.1f s; total %.1f s",
                    g->n_cells, t_write - t_grid, (t_write - t_grid) > 0 ? g->n_cells / (t_write - t_grid) : 0,
                    rb_now() - t_write, rb_now() - t0);
        if (g->log) fclose(g->log);
    }
    /* scratch scores are now inside results.h5 */
    if (opt->save_scores)
        for (int i = 0; i < g->n_cells; i++)
            if (g->computed_here[i] == g->rank) {
                char p[4200];
                rb_scores_path(g, i, p, sizeof p);
                remove(p);
            }
    for (int i = 0; i < n_inputs; i++) {
        free(inputs[i]);
        free(shas[i]);
    }
    free(inputs);
    free(shas);
    for (int d = 0; d < n_specs; d++) {
        rb_scorer_free(g->scorer[d]);
        if (g->selected[d]) {
            rb_corrupt_ctx_free(&g->ctx[d]);
            rb_dataset_free_shared(&g->data[d], &g->data_win[d]);
        }
        if (g->model_loaded[d]) rb_model_free(&g->models[d]);
    }
    free(g->selected);
    free(g->model_loaded);
    free(g->scorer);
    free(g->ctx);
    free(g->data);
    free(g->data_win);
    free(g->models);
    free(g->model_of);
    free(g->cells);
    free(g->records);
    free(g->have);
    free(g->computed_here);
    return RB_OK;
}

/* progress.c - the grid run's log on rank 0 (stderr and <run>/log.txt) and its per-cell progress:
 * ranks other than 0 send each finished cell to rank 0, which prints one line per cell with one
 * counter (cells done of this attempt's, share of the predicted work) and the ETA from the cells'
 * predicted costs (rb_eta, docs/scaling.md); on a terminal one updating line instead, with
 * --progress=json one JSON object per cell on stdout. log.txt always gets every line. Each rank
 * sends an end marker when it takes no more cells. */
#include "rb_core.h"
#include "grid_internal.h"

#include <stdarg.h>
#include <string.h>
#include <math.h>
#include <stdio.h>

enum { RB_TAG_PROGRESS = 41 };

void rb_grid_log(const rb_grid *g, const char *fmt, ...) {
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

void rb_progress_start(const rb_grid *g, rb_progress *p, const int *todo, int n_todo) {
    p->done = 0;
    p->ranks_finished = 0;
    p->todo = n_todo;
    p->total = g->n_cells;
    p->t0 = rb_now();
    double cost = 0;
    for (int i = 0; i < n_todo; i++) cost += g->cells[todo[i]].cost;
    rb_eta_init(&p->eta, cost, n_todo, g->size);
    memset(p->started, 0, sizeof p->started);
    memset(p->in_todo, 0, sizeof p->in_todo);
    for (int i = 0; i < n_todo; i++)
        if (g->cells[todo[i]].dataset < 64) p->in_todo[g->cells[todo[i]].dataset] = 1;
    p->setup_measured = 0;
    if (g->opt->progress_json && g->rank == 0) {
        printf("{\"event\": \"stage\", \"stage\": \"grid\", \"total\": %d, \"todo\": %d, \"ranks\": %d, "
               "\"predicted_cost\": %.6g}\n",
               g->n_cells, n_todo, g->size, cost);
        fflush(stdout);
    }
}

/* "1234 s", "12.5 min", "3.2 h"; "?" before the first cell */
static void rb_fmt_eta(char *buf, size_t cap, double s) {
    if (!(s >= 0)) snprintf(buf, cap, "?");
    else if (s < 120) snprintf(buf, cap, "%.0f s", s);
    else if (s < 7200) snprintf(buf, cap, "%.1f min", s / 60);
    else snprintf(buf, cap, "%.1f h", s / 3600);
}

static void rb_progress_line(const rb_grid *g, rb_progress *p, int idx, double seconds, int by_rank) {
    p->done++;
    const rb_cell *c = &g->cells[idx];
    rb_eta_add(&p->eta, c->cost, seconds);
    /* the per-dataset setup: measured as the wall time before the first cell that is not in its
     * seconds, charged once per dataset without a finished cell (near zero since the clean pass,
     * docs/scaling.md "I", is shared over the ranks before the progress starts: clean_pass.c) */
    if (c->dataset < 64) {
        if (!p->setup_measured) {
            p->setup_measured = 1;
            p->eta.setup_seconds = fmax(0, (rb_now() - p->t0) - seconds);
        }
        p->started[c->dataset] = 1;
        int left = 0;
        for (int d = 0; d < 64; d++) left += p->in_todo[d] && !p->started[d];
        rb_eta_setup(&p->eta, p->eta.setup_seconds, left);
    }
    double el = rb_now() - p->t0, eta = rb_eta_remaining(&p->eta), frac = rb_eta_fraction(&p->eta);
    char eta_s[32];
    rb_fmt_eta(eta_s, sizeof eta_s, eta);
    if (g->opt->progress_json) {
        printf("{\"event\": \"progress\", \"stage\": \"grid\", \"done\": %d, \"todo\": %d, \"fraction\": %.4f, "
               "\"elapsed_s\": %.2f, \"eta_s\": ",
               p->done, p->todo, frac, el);
        if (eta >= 0) printf("%.1f", eta);
        else fputs("null", stdout);
        printf(", \"cell\": %d, \"dataset\": \"%s\", \"condition\": \"%s\", \"severity\": %d, \"rank\": %d, "
               "\"seconds\": %.3f, \"cost\": %.6g}\n",
               idx, g->specs[c->dataset].name, c->label, c->severity, by_rank, seconds, c->cost);
        fflush(stdout);
    }
    if (g->opt->progress_tty) {
        fprintf(stderr, "\rrobusta: grid %d/%d cells (%.0f%% of the predicted work), ETA %s   ", p->done, p->todo,
                100 * frac, eta_s);
        if (p->done == p->todo) fputc('\n', stderr);
        fflush(stderr);
    }
    int quiet = rb_log_quiet;
    if (g->opt->progress_tty || g->opt->progress_json) rb_log_quiet = 1; /* still goes to log.txt */
    rb_grid_log(g, "grid %d/%d (%.0f%%, ETA %s): %s %s severity %d (rank %d, %.2f s)", p->done, p->todo, 100 * frac,
                eta_s, g->specs[c->dataset].name, c->label, c->severity, by_rank, seconds);
    rb_log_quiet = quiet;
}

/* Rank 0: print the lines other ranks sent; block: wait for one. */
static void rb_progress_poll(const rb_grid *g, rb_progress *p, int block) {
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
        if (msg[0] < 0) p->ranks_finished++; /* the sender's end marker: it sends nothing more */
        else rb_progress_line(g, p, (int)msg[0], msg[1], st.MPI_SOURCE);
        if (block) return;
    }
}

void rb_progress_cell_done(const rb_grid *g, rb_progress *p, int idx, double seconds) {
    if (g->rank == 0) {
        rb_progress_line(g, p, idx, seconds, 0);
        rb_progress_poll(g, p, 0);
    } else {
        double msg[2] = {idx, seconds};
        MPI_Send(msg, 2, MPI_DOUBLE, 0, RB_TAG_PROGRESS, g->comm);
    }
}

void rb_progress_finish(const rb_grid *g, rb_progress *p) {
    if (g->rank != 0) {
        double marker[2] = {-1, 0};
        MPI_Send(marker, 2, MPI_DOUBLE, 0, RB_TAG_PROGRESS, g->comm);
        return;
    }
    while (p->ranks_finished < g->size - 1) rb_progress_poll(g, p, 1);
}

/* progress.c - the grid run's log on rank 0 (stderr and <run>/log.txt) and its per-cell progress:
 * ranks other than 0 send each finished cell to rank 0, which prints one line per cell with the
 * rate and ETA (or, on a terminal, one updating line; log.txt still gets every line), and an end
 * marker when they take no more cells. */
#include "rb_core.h"
#include "grid_internal.h"

#include <stdarg.h>
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

void rb_progress_start(rb_progress *p, int todo, int total) {
    p->done = 0;
    p->ranks_finished = 0;
    p->todo = todo;
    p->total = total;
    p->t0 = rb_now();
}

static void rb_progress_line(const rb_grid *g, rb_progress *p, int idx, double seconds, int by_rank) {
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

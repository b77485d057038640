/* errors.c - the error message of the failing call chain (rb_fail, rb_context), logging, the MPI
 * error discipline (rb_mpi_agree, rb_error_report, the MPI error handler; described in rb_core.h and
 * docs/failure-model.md), and the wall clock the log lines time with (rb_now). Checked allocation is
 * in memory.c, files in files.c. */
#define _POSIX_C_SOURCE 200809L
#include "rb_core.h"

#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RB_ERROR_CAP 4096
static char rb_error_buf[RB_ERROR_CAP];
int rb_log_quiet = 0;
/* The last rb_mpi_agree over every rank of MPI_COMM_WORLD failed: every rank holds the message of
 * rank rb_error_origin (in MPI_COMM_WORLD), and rank 0 prints it. */
static int rb_error_agreed = 0, rb_error_origin = 0;
/* The current message came from a failed agreement (cleared by rb_fail: a new error). */
static int rb_error_from_agree = 0;

int rb_fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rb_error_buf, sizeof rb_error_buf, fmt, ap);
    va_end(ap);
    rb_error_from_agree = rb_error_agreed = 0;
    return RB_ERR;
}

int rb_context(const char *fmt, ...) {
    char joined[RB_ERROR_CAP];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(joined, sizeof joined, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    size_t used = (size_t)n < sizeof joined ? (size_t)n : sizeof joined - 1;
    if (rb_error_buf[0] && used + 2 < sizeof joined) {
        memcpy(joined + used, ": ", 2);
        used += 2;
        size_t rest = strlen(rb_error_buf);
        if (rest > sizeof joined - 1 - used) rest = sizeof joined - 1 - used;
        memcpy(joined + used, rb_error_buf, rest);
        used += rest;
    }
    joined[used] = '\0';
    memcpy(rb_error_buf, joined, used + 1);
    return RB_ERR;
}

const char *rb_error_message(void) { return rb_error_buf[0] ? rb_error_buf : "unknown error"; }
void rb_error_clear(void) {
    rb_error_buf[0] = '\0';
    rb_error_from_agree = rb_error_agreed = 0;
}

/* The whole line in one write: stderr is unbuffered, so three calls (prefix, message, newline) were
 * three writes, and under mpirun the lines of two ranks could merge into one. Messages longer than the
 * buffer are cut (with "...") rather than split. */
void rb_log(const char *fmt, ...) {
    if (rb_log_quiet) return;
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0) msg[0] = '\0';
    else if (n >= (int)sizeof msg) memcpy(msg + sizeof msg - 4, "...", 4);
    fprintf(stderr, "robusta: %s\n", msg);
}

int rb_mpi_agree(int rc, const void *comm_ptr) {
    MPI_Comm comm = *(const MPI_Comm *)comm_ptr;
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    /* a fresh failure (recorded by rb_fail since the last agreement) outranks one that only passes
     * an agreed error on, so the message and rank reported are those of the first rank that saw it */
    int fresh = rc != RB_OK && !rb_error_from_agree;
    int mine = rc == RB_OK ? 2 * size : fresh ? rank : size + rank, first = 2 * size;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
    /* success leaves the state of an earlier agreed error alone: the collective cleanup after a
     * failure agrees on steps that succeed (closing a file), and the error that then reaches main
     * must still name the rank that saw it first (a new error is recorded by rb_fail, which clears) */
    if (first == 2 * size) return RB_OK;
    int root = first < size ? first : first - size;
    /* every rank takes the first failing rank's message (an empty one reads "unknown error") */
    if (rank == root && !rb_error_buf[0]) snprintf(rb_error_buf, sizeof rb_error_buf, "unknown error");
    MPI_Bcast(rb_error_buf, RB_ERROR_CAP, MPI_CHAR, root, comm);
    rb_error_buf[RB_ERROR_CAP - 1] = '\0';
    int cmp = MPI_UNEQUAL;
    MPI_Comm_compare(comm, MPI_COMM_WORLD, &cmp);
    int world = cmp == MPI_IDENT || cmp == MPI_CONGRUENT;
    if (world && (first < size || !rb_error_agreed)) { /* a new error: remember where it came from */
        MPI_Group g, wg;
        MPI_Comm_group(comm, &g);
        MPI_Comm_group(MPI_COMM_WORLD, &wg);
        MPI_Group_translate_ranks(g, 1, &root, wg, &rb_error_origin);
        MPI_Group_free(&g);
        MPI_Group_free(&wg);
    }
    rb_error_agreed = rb_error_agreed || world;
    if (first < size) rb_error_agreed = world;
    rb_error_from_agree = 1;
    return RB_ERR;
}

int rb_error_report(void) {
    int initialized = 0, finalized = 0, size = 1, rank = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (initialized && !finalized) {
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    }
    if (size == 1) {
        fprintf(stderr, "robusta: error: %s\n", rb_error_message());
    } else if (rb_error_agreed) {
        if (rank == 0) fprintf(stderr, "robusta: error (rank %d of %d): %s\n", rb_error_origin, size, rb_error_message());
    } else {
        /* seen by this rank alone: another rank may wait in a collective, so end the job */
        fprintf(stderr, "robusta: error (rank %d of %d): %s\n", rank, size, rb_error_message());
        fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    fflush(stderr);
    return 1;
}

static void rb_mpi_error_line(int code) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0, rank = 0, size = 1;
    MPI_Error_string(code, text, &len);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    fprintf(stderr, "robusta: error (rank %d of %d): MPI: %s\n", rank, size, text);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
}

static void rb_mpi_comm_error(MPI_Comm *comm, int *code, ...) {
    (void)comm;
    rb_mpi_error_line(*code);
}

static void rb_mpi_win_error(MPI_Win *win, int *code, ...) {
    (void)win;
    rb_mpi_error_line(*code);
}

void rb_mpi_set_error_handler(void) {
    MPI_Errhandler h;
    MPI_Comm_create_errhandler(rb_mpi_comm_error, &h);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, h);
    MPI_Errhandler_free(&h);
}

void rb_mpi_set_win_error_handler(void *win_ptr) {
    MPI_Errhandler h;
    MPI_Win_create_errhandler(rb_mpi_win_error, &h);
    MPI_Win_set_errhandler(*(MPI_Win *)win_ptr, h);
    MPI_Errhandler_free(&h);
}

double rb_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

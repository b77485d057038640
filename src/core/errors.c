/* errors.c - the error message of the failing call chain (rb_fail, rb_context), logging, and the
 * job-wide abort (rb_die, rb_collective_check), and the wall clock the log lines time with (rb_now)
 * (rb_core.h). Checked allocation is in memory.c, files in files.c. */
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

int rb_fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rb_error_buf, sizeof rb_error_buf, fmt, ap);
    va_end(ap);
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
void rb_error_clear(void) { rb_error_buf[0] = '\0'; }

void rb_log(const char *fmt, ...) {
    if (rb_log_quiet) return;
    va_list ap;
    va_start(ap, fmt);
    fputs("robusta: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void rb_die(void) {
    int initialized = 0, finalized = 0, size = 1, rank = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (initialized && !finalized) {
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    }
    if (size > 1)
        fprintf(stderr, "robusta: error (rank %d of %d): %s\n", rank, size, rb_error_message());
    else
        fprintf(stderr, "robusta: error: %s\n", rb_error_message());
    fflush(stderr);
    if (size > 1) MPI_Abort(MPI_COMM_WORLD, 1);
    if (initialized && !finalized) MPI_Finalize();
    exit(1);
}

void rb_collective_check(int rc, const void *comm_ptr) {
    MPI_Comm comm = *(const MPI_Comm *)comm_ptr;
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    int mine = rc == RB_OK ? size : rank, first = size;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
    if (first == size) return;
    if (rank == first) rb_die();
    for (;;) MPI_Barrier(comm); /* the failing rank's MPI_Abort ends us */
}

double rb_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

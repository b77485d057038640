/* rb_common.h - error reporting, checked allocation and logging shared by every robusta module.
 *
 * Convention (PETSc-style): every fallible function returns int, RB_OK (0) on success and RB_ERR on
 * failure. The failing function records one message with rb_fail(); each caller on the way up may
 * prepend context with rb_context() ("reading data/x.h5: /train/visual: expected rank 3, got 2").
 * The command layer prints the final message once and exits (or aborts the MPI job). */
#ifndef RB_COMMON_H
#define RB_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define RB_OK 0
#define RB_ERR (-1)

#define RB_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Record an error message (replacing any previous one). Always returns RB_ERR. */
int rb_fail(const char *fmt, ...) RB_PRINTF(1, 2);
/* Prepend "context: " to the current error message. Always returns RB_ERR. */
int rb_context(const char *fmt, ...) RB_PRINTF(1, 2);
const char *rb_error_message(void);
void rb_error_clear(void);

/* Propagate a failure unchanged. */
#define RB_TRY(expr)                                                                               \
    do {                                                                                           \
        if ((expr) != RB_OK) return RB_ERR;                                                        \
    } while (0)
/* Propagate a failure with added context. */
#define RB_TRY_CTX(expr, ...)                                                                      \
    do {                                                                                           \
        if ((expr) != RB_OK) return rb_context(__VA_ARGS__);                                       \
    } while (0)

/* Allocation that records "out of memory allocating <what> (<n> bytes)" and returns NULL on failure.
 * A request of 0 bytes returns a valid unique pointer. Free with free(). */
void *rb_malloc(size_t nbytes, const char *what);
void *rb_calloc(size_t count, size_t size, const char *what);
char *rb_strdup(const char *s, const char *what);
/* Overflow-checked size product a*b*c; records an error and returns 0 with *ok = 0 on overflow. */
size_t rb_size_mul(size_t a, size_t b, int *ok);

/* Read a whole file into a NUL-terminated buffer (free()). A missing or unreadable file is an error
 * naming it. */
int rb_read_file(const char *path, char **text);

/* Informational message to stderr, prefixed "robusta: ". Silent when rb_log_quiet is set. */
extern int rb_log_quiet;
void rb_log(const char *fmt, ...) RB_PRINTF(1, 2);

/* Print "robusta: error: <message>" to stderr and terminate: MPI_Abort on a multi-rank job (so an
 * error seen by one rank never hangs the others), exit(1) otherwise. */
void rb_die(void) __attribute__((noreturn));

/* After a step every rank of comm ran (a collective read, say): if any rank failed, the lowest
 * failing rank prints its message and aborts the job, the others wait to be ended, so one error
 * gives one line however many ranks saw it. Returns only when every rank succeeded. comm is an
 * MPI_Comm passed as a pointer to keep MPI out of this header. */
void rb_collective_check(int rc, const void *comm);

/* Wall clock in seconds (monotonic). */
double rb_now(void);

#endif

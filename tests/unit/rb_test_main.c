/* rb_test_main.c - runner of the unit tests registered with RB_TEST (tests/unit/rb_test.h).
 * Usage: robusta-unit [substring]   runs the tests whose name contains substring (all by default).
 * Prints one line per test and ends with "N passed, N failed"; exit status 1 on any failure. */
#define _POSIX_C_SOURCE 200809L
#include "rb_test.h"
#include "rb_core.h"

#include <mpi.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RB_MAX_TESTS 1024
static struct { const char *name; rb_test_fn fn; const char *file; int needs_mpi; } rb_tests[RB_MAX_TESTS];
static int rb_n_tests = 0;
static int rb_current_failures = 0;
static char rb_tmpdir[512];

void rb_test_register(const char *name, rb_test_fn fn, const char *file, int needs_mpi) {
    if (rb_n_tests == RB_MAX_TESTS) {
        fprintf(stderr, "too many tests (raise RB_MAX_TESTS)\n");
        exit(2);
    }
    rb_tests[rb_n_tests].name = name;
    rb_tests[rb_n_tests].fn = fn;
    rb_tests[rb_n_tests].file = file;
    rb_tests[rb_n_tests].needs_mpi = needs_mpi;
    rb_n_tests++;
}

void rb_test_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stdout, "    %s:%d: ", file, line);
    vfprintf(stdout, fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    rb_current_failures++;
}

const char *rb_test_tmpdir(void) {
    if (!rb_tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(rb_tmpdir, sizeof rb_tmpdir, "%s/robusta-unit-XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(rb_tmpdir)) {
            perror("mkdtemp");
            exit(2);
        }
    }
    return rb_tmpdir;
}

static int rb_by_name(const void *a, const void *b) {
    const char *const *na = a, *const *nb = b;
    return strcmp(*na, *nb);
}

int main(int argc, char **argv) {
    /* RB_UNIT_NO_MPI=1: run without MPI_Init, so LeakSanitizer sees only robusta's own allocations
     * (Open MPI's plugins leave unsymbolisable allocations behind that no suppression can match). */
    const char *no_mpi = getenv("RB_UNIT_NO_MPI");
    int use_mpi = !(no_mpi && no_mpi[0] == '1');
    if (use_mpi) MPI_Init(&argc, &argv);
    const char *filter = argc > 1 ? argv[1] : NULL;
    qsort(rb_tests, (size_t)rb_n_tests, sizeof rb_tests[0], rb_by_name);
    int passed = 0, failed = 0;
    rb_log_quiet = 1;
    for (int i = 0; i < rb_n_tests; i++) {
        if (filter && !strstr(rb_tests[i].name, filter)) continue;
        if (rb_tests[i].needs_mpi && !use_mpi) {
            printf("skip %s (needs MPI; run in the MPI passes)\n", rb_tests[i].name);
            continue;
        }
        rb_current_failures = 0;
        rb_error_clear();
        double t0 = rb_now();
        rb_tests[i].fn();
        double dt = rb_now() - t0;
        if (rb_current_failures) {
            failed++;
            printf("FAIL %s (%s, %.2fs)\n", rb_tests[i].name, rb_tests[i].file, dt);
        } else {
            passed++;
            printf("ok   %s (%.2fs)\n", rb_tests[i].name, dt);
        }
        fflush(stdout);
    }
    if (rb_tmpdir[0]) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", rb_tmpdir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", rb_tmpdir);
    }
    printf("%d passed, %d failed\n", passed, failed);
    if (use_mpi) MPI_Finalize();
    return failed ? 1 : 0;
}

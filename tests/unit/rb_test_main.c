/* rb_test_main.c - runner of the unit tests registered with RB_TEST (tests/unit/rb_test.h).
 * Usage: robusta-unit [--list] [NAME]
 *   NAME   the test of exactly that name if there is one, else every test whose name contains NAME
 *          (all tests without NAME);
 *   --list print the names of the tests that would run, one per line, and run nothing.
 * Prints one line per test ("ok   NAME (time)" or "FAIL NAME (file, time)" after the failed
 * expectations) and ends with "N passed, N failed"; exit status 1 on any failure.
 * RB_UNIT_NO_MPI=1 runs without MPI_Init and skips the tests that need MPI (RB_TEST_MPI). */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700 /* nftw */
#include "rb_test.h"
#include "rb_core.h"

#include <ftw.h>
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

/* nftw callback: remove one entry (visited depth first, so a directory is empty when reached). */
static int rb_remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st;
    (void)type;
    (void)ftw;
    if (remove(path) != 0) perror(path);
    return 0;
}

/* Whether test i runs under this filter: an exact name selects that test alone, otherwise every
 * name containing the filter (no filter: every test). */
static int rb_selected(int i, const char *filter, int exact) {
    if (!filter) return 1;
    return exact ? strcmp(rb_tests[i].name, filter) == 0 : strstr(rb_tests[i].name, filter) != NULL;
}

int main(int argc, char **argv) {
    /* RB_UNIT_NO_MPI=1: run without MPI_Init, so LeakSanitizer sees only robusta's own allocations
     * (Open MPI's plugins leave unsymbolisable allocations behind that no suppression can match). */
    const char *no_mpi = getenv("RB_UNIT_NO_MPI");
    int use_mpi = !(no_mpi && no_mpi[0] == '1');
    int list = argc > 1 && strcmp(argv[1], "--list") == 0;
    if (argc > 2 + list) {
        fprintf(stderr, "usage: %s [--list] [NAME]\n", argv[0]);
        return 2;
    }
    const char *filter = argc > 1 + list ? argv[1 + list] : NULL;
    int exact = 0;
    for (int i = 0; filter && i < rb_n_tests; i++) exact |= strcmp(rb_tests[i].name, filter) == 0;
    qsort(rb_tests, (size_t)rb_n_tests, sizeof rb_tests[0], rb_by_name);
    if (list) {
        for (int i = 0; i < rb_n_tests; i++)
            if (rb_selected(i, filter, exact) && (use_mpi || !rb_tests[i].needs_mpi)) printf("%s\n", rb_tests[i].name);
        return 0;
    }
    if (use_mpi) MPI_Init(&argc, &argv);
    int passed = 0, failed = 0;
    rb_log_quiet = 1;
    for (int i = 0; i < rb_n_tests; i++) {
        if (!rb_selected(i, filter, exact)) continue;
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
    if (rb_tmpdir[0] && nftw(rb_tmpdir, rb_remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "could not remove %s\n", rb_tmpdir);
    printf("%d passed, %d failed\n", passed, failed);
    if (use_mpi) MPI_Finalize();
    return failed ? 1 : 0;
}

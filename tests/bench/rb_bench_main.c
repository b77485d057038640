/* rb_bench_main.c - runner of the benchmarks registered with RB_BENCH (tests/bench/rb_bench.h).
 * Usage: robusta-bench [substring]. Ends with "benchmarks: N run, verification PASSED|FAILED". */
#include "rb_bench.h"
#include "rb_core.h"

#include <cblas.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RB_MAX_BENCH 256
static struct { const char *name; rb_bench_fn fn; } rb_benches[RB_MAX_BENCH];
static int rb_n_benches = 0, rb_bench_failures = 0;

void rb_bench_register(const char *name, rb_bench_fn fn) {
    if (rb_n_benches == RB_MAX_BENCH) { fprintf(stderr, "too many benchmarks\n"); exit(2); }
    rb_benches[rb_n_benches].name = name;
    rb_benches[rb_n_benches].fn = fn;
    rb_n_benches++;
}

void rb_bench_report(const char *name, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("BENCH %s ", name);
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
    va_end(ap);
}

void rb_bench_check(const char *name, int passed, const char *what) {
    printf("CHECK %s %s: %s\n", name, passed ? "PASSED" : "FAILED", what);
    if (!passed) rb_bench_failures++;
}

double rb_bench_cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int rb_bench_by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double rb_bench_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, rb_bench_by_value);
    return v[n / 2];
}

long long rb_bench_chunk_rows(void) {
    for (int i = 0; i < rb_config_schema_len; i++)
        if (strcmp(rb_config_schema[i].pattern, "grid.chunk_rows") == 0) return atoll(rb_config_schema[i].fallback);
    return 0; /* no such key: a scorer refuses 0 rows, and the benchmark reports it */
}

double rb_bench_sgemm_gflops(int m, int n, int k, int reps) {
    float *a = malloc(sizeof(float) * (size_t)m * (size_t)k);
    float *b = malloc(sizeof(float) * (size_t)k * (size_t)n);
    float *c = malloc(sizeof(float) * (size_t)m * (size_t)n);
    if (!a || !b || !c) { free(a); free(b); free(c); return 0.0; }
    for (size_t i = 0; i < (size_t)m * (size_t)k; i++) a[i] = (float)(i % 17) * 0.01f;
    for (size_t i = 0; i < (size_t)k * (size_t)n; i++) b[i] = (float)(i % 13) * 0.01f;
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = rb_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
        double dt = rb_now() - t0;
        if (dt < best) best = dt;
    }
    free(a); free(b); free(c);
    return 2.0 * m * n * (double)k / best * 1e-9;
}

static int rb_by_name(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    /* figures are per core: one BLAS thread for the measured code and for the sgemm reference alike
     * (the grid runs one thread per rank too: run.blas_threads) */
    openblas_set_num_threads(1);
    const char *filter = argc > 1 ? argv[1] : NULL;
    qsort(rb_benches, (size_t)rb_n_benches, sizeof rb_benches[0], rb_by_name);
    int run = 0;
    for (int i = 0; i < rb_n_benches; i++) {
        if (filter && !strstr(rb_benches[i].name, filter)) continue;
        rb_benches[i].fn();
        run++;
    }
    printf("benchmarks: %d run, verification %s\n", run, rb_bench_failures ? "FAILED" : "PASSED");
    MPI_Finalize();
    return rb_bench_failures ? 1 : 0;
}

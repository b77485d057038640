/* rb_bench.h - self-registering benchmarks for bin/robusta-bench (make bench).
 * A benchmark measures, prints its figures as "BENCH <name> <key>=<value> ..." lines that scripts
 * can parse, and verifies its own result (prints PASSED/FAILED for the verification, like HPL).
 *
 *   RB_BENCH(metrics_scaling) { ...; rb_bench_report("metrics_scaling", "n=%d seconds=%.4f", n, t); }
 */
#ifndef RB_BENCH_H
#define RB_BENCH_H

typedef void (*rb_bench_fn)(void);
void rb_bench_register(const char *name, rb_bench_fn fn);
void rb_bench_report(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record a verification outcome: the run's exit status is non-zero if any check failed. */
void rb_bench_check(const char *name, int passed, const char *what);
/* CPU seconds of the calling thread. With one BLAS thread all the work runs there, and other
 * processes on a shared machine show far less in it than in wall time. */
double rb_bench_cpu_seconds(void);
/* The median of v[0 .. n) (sorts v). */
double rb_bench_median(double *v, int n);
/* The default of grid.chunk_rows (the schema's): the rows a scorer scores per block in the grid. */
long long rb_bench_chunk_rows(void);
/* Peak-GFLOP/s reference: single-precision sgemm of an m x k by k x n product, best of reps. */
double rb_bench_sgemm_gflops(int m, int n, int k, int reps);

#define RB_BENCH(name)                                                                             \
    static void rb_bench_##name(void);                                                             \
    __attribute__((constructor)) static void rb_bench_reg_##name(void) {                           \
        rb_bench_register(#name, rb_bench_##name);                                                 \
    }                                                                                              \
    static void rb_bench_##name(void)

#endif

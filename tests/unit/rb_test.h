/* rb_test.h - the tiny unit-test framework: self-registering tests and assertions that report file,
 * line and the values compared. One binary (bin/robusta-unit) runs every test in tests/unit/ and
 * ends with "N passed, N failed".
 *
 *   RB_TEST(metrics_ties) { RB_EXPECT_NEAR(ap, 0.625, 1e-12); }
 */
#ifndef RB_TEST_H
#define RB_TEST_H

#include <math.h>
#include <stdio.h>

typedef void (*rb_test_fn)(void);
void rb_test_register(const char *name, rb_test_fn fn, const char *file, int needs_mpi);
/* Records a failure of the running test; the test continues (so one run shows every bad value). */
void rb_test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Path of a scratch directory private to this run of the unit binary (created on first use). */
const char *rb_test_tmpdir(void);

#define RB_TEST_REGISTER(name, needs_mpi)                                                          \
    static void rb_test_##name(void);                                                              \
    __attribute__((constructor)) static void rb_test_reg_##name(void) {                            \
        rb_test_register(#name, rb_test_##name, __FILE__, needs_mpi);                              \
    }                                                                                              \
    static void rb_test_##name(void)
#define RB_TEST(name) RB_TEST_REGISTER(name, 0)
/* A test that calls MPI (collective HDF5 writes, communicators): skipped by the leak-check pass,
 * which runs without MPI_Init (tests/run.sh). */
#define RB_TEST_MPI(name) RB_TEST_REGISTER(name, 1)

#define RB_EXPECT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) rb_test_fail(__FILE__, __LINE__, "expected %s", #cond);                       \
    } while (0)
#define RB_EXPECT_MSG(cond, ...)                                                                   \
    do {                                                                                           \
        if (!(cond)) rb_test_fail(__FILE__, __LINE__, __VA_ARGS__);                                \
    } while (0)
#define RB_EXPECT_NEAR(a, b, tol)                                                                  \
    do {                                                                                           \
        double rb_a_ = (double)(a), rb_b_ = (double)(b);                                           \
        if (!(fabs(rb_a_ - rb_b_) <= (tol)))                                                       \
            rb_test_fail(__FILE__, __LINE__, "%s = %.17g, expected %s = %.17g (tol %g)", #a, rb_a_, \
                         #b, rb_b_, (double)(tol));                                                \
    } while (0)
#define RB_EXPECT_INT(a, b)                                                                        \
    do {                                                                                           \
        long long rb_a_ = (long long)(a), rb_b_ = (long long)(b);                                  \
        if (rb_a_ != rb_b_)                                                                        \
            rb_test_fail(__FILE__, __LINE__, "%s = %lld, expected %lld", #a, rb_a_, rb_b_);        \
    } while (0)
/* A call returning RB_OK / RB_ERR. */
#define RB_EXPECT_OK(call)                                                                         \
    do {                                                                                           \
        if ((call) != 0) rb_test_fail(__FILE__, __LINE__, "%s failed: %s", #call, rb_error_message()); \
    } while (0)
#define RB_EXPECT_ERR(call, substring)                                                             \
    do {                                                                                           \
        rb_error_clear();                                                                          \
        if ((call) == 0) rb_test_fail(__FILE__, __LINE__, "%s succeeded, expected an error", #call); \
        else if (!strstr(rb_error_message(), (substring)))                                         \
            rb_test_fail(__FILE__, __LINE__, "%s: error \"%s\" lacks \"%s\"", #call,               \
                         rb_error_message(), (substring));                                         \
    } while (0)

#endif

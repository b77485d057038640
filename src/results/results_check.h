/* results_check.h - what the results-file reader (results_file.c), the consistency check
 * (results_check.c) and the digests (results_digest.c) share privately. */
#ifndef RB_RESULTS_CHECK_H
#define RB_RESULTS_CHECK_H

#include "rb_results.h"

/* Record one problem (listed while there is room; always counted). */
void rb_check_add(rb_results_check *chk, const char *fmt, ...) RB_PRINTF(2, 3);

/* Read a results file; /replicas rows are placed into r by key, and key problems (duplicate,
 * unknown, missing rows; duplicate /conditions keys) go to chk instead of failing. RB_ERR when the
 * file cannot be read as a results file. */
int rb_results_load(const char *path, rb_results *r, rb_results_check *chk);

/* Fill r's metric arrays from /replicas of file by key; sets chk->keys_ok. */
int rb_results_fill_replicas(hid_t file, rb_results *r, const char *path, rb_results_check *chk);

/* The key and metric columns every results file has digests for, in a fixed order; the writer adds
 * the newer columns after them (results_digest.c; docs/formats.md "/digests"). */
#define RB_DIGEST_BASE_COLUMNS 31
extern const char *const rb_digest_columns[RB_DIGEST_BASE_COLUMNS];

/* The digests being gathered for /digests: "group/column" names and their SHA-256 (hex). */
typedef struct {
    int n, cap;
    char (*name)[64];
    char (*hex)[65];
} rb_digest_set;
/* Add the digest of one column from the values the writer writes (rows in file order; for a
 * dataset of rank > 1, its elements in row-major order). */
int rb_digest_add_f64(rb_digest_set *d, const char *column, const double *v, int64_t n);
int rb_digest_add_i32(rb_digest_set *d, const char *column, const int32_t *v, int64_t n);
int rb_digest_add_strings(rb_digest_set *d, const char *column, char *const *v, int64_t n);

/* The extra float64 columns of /conditions (weighting diagnostics, oracle gaps; results_file.c):
 * the name of column q (0 <= q < RB_N_EXTRA_COND_COLS) and its value in condition c. */
#define RB_N_EXTRA_COND_COLS (2 * RB_DIAG_COUNT + 3)
void rb_results_extra_cond_col(int q, char *name, size_t cap);
double rb_results_extra_cond_value(const rb_result_cond *c, int q);

/* Write /digests (columns "column" and "sha256") for r into an open results file; collective like
 * the rest of rb_results_write (every rank passes the same r). */
int rb_results_write_digests(hid_t file, const rb_results *r);
/* SHA-256 (hex) of one column of file ("cells/ap"), from its stored values (docs/formats.md). */
int rb_digest_file_column(hid_t file, const char *column, char hex[65], const char *what);

#endif

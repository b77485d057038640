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

/* The columns /digests covers: "group/column" names in a fixed order. */
#define RB_DIGEST_COLUMNS 31
extern const char *const rb_digest_columns[RB_DIGEST_COLUMNS];

/* Write /digests (columns "column" and "sha256") for r into an open results file; collective like
 * the rest of rb_results_write (every rank passes the same r). */
int rb_results_write_digests(hid_t file, const rb_results *r);
/* SHA-256 (hex) of one column of file ("cells/ap"), from its stored values (docs/formats.md). */
int rb_digest_file_column(hid_t file, const char *column, char hex[65], const char *what);

#endif

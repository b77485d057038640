/* rb_journal.h - the per-run journal of finished grid cells: each rank appends one checksummed
 * record per cell as it finishes (write + fsync), so a killed job loses at most the cells in flight.
 * `bench --resume` loads every record of every journal file of the run directory; a torn or corrupt
 * record (and what follows it in that file) is ignored, never trusted. */
#ifndef RB_JOURNAL_H
#define RB_JOURNAL_H

#include <stdint.h>

typedef struct {
    int fd;
    char path[4200];
} rb_journal;

/* Open (create) <run_dir>/journal/attempt-<attempt>-rank-<rank>.bin for appending. */
int rb_journal_open(rb_journal *j, const char *run_dir, int attempt, int rank);
/* Append one record of n doubles and make it durable. */
int rb_journal_append(rb_journal *j, const double *payload, int n);
void rb_journal_close(rb_journal *j);

/* Number of attempts already in the journal directory (the next attempt's number). */
int rb_journal_attempts(const char *run_dir, int *attempts);
/* Load every valid record of length n from every journal file of the run, in file-name then record
 * order, into a malloc'd array [count][n]. */
int rb_journal_load(const char *run_dir, int n, double **records, int *count);

#endif

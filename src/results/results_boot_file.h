/* results_boot_file.h - private to src/results/: the bootstrap part of results.h5
 * (results_boot_file.c), called by the writer and reader in results_file.c. */
#ifndef RB_RESULTS_BOOT_FILE_H
#define RB_RESULTS_BOOT_FILE_H

#include "rb_results.h"
#include "results_check.h"

/* /cells ap_lo ... roc_auc_hi (nothing when r->n_boot = 0). Collective. */
int rb_results_write_cell_intervals(hid_t cells, const rb_results *r);
/* Root attributes n_boot, confidence, baseline; /bootstrap/values, /comparisons (when n_boot > 0)
 * and /summaries. Collective. */
int rb_results_write_boot(hid_t file, const rb_results *r);
/* The digests of what rb_results_write_boot and rb_results_write_cell_intervals write (the columns
 * they write, built by the same code): the interval columns of /cells, /bootstrap/values and
 * /comparisons when n_boot > 0, /summaries always. */
int rb_results_boot_digests(const rb_results *r, rb_digest_set *d);
/* The attributes and values, and the intervals recomputed from them; a file without n_boot (written
 * before intervals existed) reads as n_boot = 0. */
int rb_results_read_boot(hid_t file, rb_results *r, const char *path);

#endif

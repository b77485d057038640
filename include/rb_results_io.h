/* rb_results_io.h - writing results.h5 collectively (the reader is declared in rb_results.h). */
#ifndef RB_RESULTS_IO_H
#define RB_RESULTS_IO_H

#include <hdf5.h>
#include <mpi.h>

#include "rb_results.h"

/* Optional extra content (per-snippet scores) written into the open file by every rank. */
typedef int (*rb_scores_fn)(hid_t file, void *ctx);

/* Collective over comm. r must be complete and identical on every rank; owner[c] is the rank that
 * writes condition c's rows. Inputs are recorded in /provenance/inputs. Written to <path>.tmp and
 * renamed by rank 0 when complete. */
int rb_results_write(const char *path, const rb_results *r, const int *owner, MPI_Comm comm, char *const *inputs,
                     char *const *input_sha, int n_inputs, rb_scores_fn scores, void *scores_ctx);

#endif

/* rb_provenance.h - what every output file records about how it was made (design.md section 6):
 * effective config text, input file checksums, robusta version and git commit, MPI / HDF5 / OpenBLAS
 * versions, rank count, host, UTC time and command line. Collected once per process; under MPI the
 * values of rank 0 are broadcast so every rank writes identical attributes. */
#ifndef RB_PROVENANCE_H
#define RB_PROVENANCE_H

#include <hdf5.h>
#include <mpi.h>

/* Remember the command line (call once from main). */
void rb_provenance_set_command(int argc, char **argv);
/* Collect the process facts (collective over comm when comm != MPI_COMM_NULL). */
int rb_provenance_init(MPI_Comm comm);
/* Write group /provenance into file: attributes plus datasets "config" (text) and "inputs"
 * ("<sha256>  <path>" per input). Under MPI-IO every rank calls it with the same arguments. */
int rb_provenance_write(hid_t file, const char *config_text, char *const *input_paths,
                        char *const *input_sha256, int n_inputs);
/* The version line printed by `robusta --version`. */
const char *rb_version_string(void);

#endif

/* rb_io.h - the I/O stage (src/io/): checked HDF5 helpers (serial and MPI-IO), the node communicator
 * of the node-shared windows, the strict .npy reader, the per-run journal of finished cells, and the
 * provenance every output file records. */
#ifndef RB_IO_H
#define RB_IO_H

#include <hdf5.h>
#include <mpi.h>
#include <stdint.h>
#include <stddef.h>

#include "rb_core.h"

/* ---- checked HDF5 helpers: open/create (serial or MPI-IO), typed array and attribute I/O that
 * validates rank, shape and element type, fixed-length string columns, and atomic publication
 * (write to a fresh <path>.tmp.XXXXXX, rename when complete). Every failure names the file and object. */

typedef enum { RB_H5_F32, RB_H5_F64, RB_H5_I32, RB_H5_I64, RB_H5_U8 } rb_h5_type;

/* Create a new file exclusively (an existing file or a symbolic link at path is an error).
 * comm = MPI_COMM_NULL for serial I/O; otherwise every rank of comm calls this (MPI-IO driver). */
int rb_h5_create(const char *path, MPI_Comm comm, hid_t *file);
/* Create the temporary HDF5 file of an atomic write of path: rank 0 (or the serial caller) makes a
 * fresh "<path>.tmp.XXXXXX" with rb_create_temp (exclusive, never through a link), broadcasts its
 * name into tmp (cap >= strlen(path) + 12), then every rank of comm opens it with the MPI-IO driver
 * (comm = MPI_COMM_NULL: serial). Collective: every rank returns the same success or failure. On
 * failure no temporary is left. Publish with rb_h5_publish(tmp, path), or remove(tmp). */
int rb_h5_create_tmp(const char *path, MPI_Comm comm, hid_t *file, char *tmp, size_t cap);
/* Open an existing file read-only, with a clear error for a missing, unreadable or corrupt file. */
int rb_h5_open_read(const char *path, MPI_Comm comm, hid_t *file);
/* Open an existing file read-write (serial). */
int rb_h5_open_rw(const char *path, hid_t *file);
/* Close a file being written (path: its temporary; collective for an MPI-IO file), flushing it
 * first so a full disk is reported as such. The caller removes the temporary on a failure. */
int rb_h5_close(hid_t file, const char *path);
/* Whether a flush or close failed in this process. HDF5 (1.10) then holds a half-closed file that
 * crashes its own shutdown (H5close, or the hook it sets on MPI_Finalize), so main ends such a
 * process with _exit after reporting the error, without shutting HDF5 or MPI down. */
int rb_h5_unusable(void);

/* Create group path (intermediate groups too). The returned id must be closed with H5Gclose. */
int rb_h5_group(hid_t loc, const char *path, hid_t *group);
int rb_h5_exists(hid_t loc, const char *path);

/* Write a whole array as a new dataset. In a file opened with MPI-IO every rank must call this with
 * the same data; rank 0 writes it. Chunked (row blocks) when rank >= 2 and large. */
int rb_h5_write(hid_t loc, const char *name, rb_h5_type type, int rank, const hsize_t *dims, const void *data);
/* Read a whole dataset into a new buffer (free()), checking the element type and rank.
 * dims receives the shape. what names the file for messages. */
int rb_h5_read(hid_t loc, const char *name, rb_h5_type type, int rank, hsize_t *dims, void **data,
               const char *what);
/* Read rows [row0, row0+nrows) of a dataset whose shape is known, into buf. */
int rb_h5_read_rows(hid_t loc, const char *name, rb_h5_type type, int rank, const hsize_t *dims,
                    hsize_t row0, hsize_t nrows, void *buf, const char *what);

/* Fixed-length, null-padded string column. */
int rb_h5_write_strings(hid_t loc, const char *name, char *const *strings, int64_t n);
int rb_h5_read_strings(hid_t loc, const char *name, int64_t expected_n, char ***strings, const char *what);

/* Scalar attributes. */
int rb_h5_attr_string(hid_t loc, const char *name, const char *value);
int rb_h5_attr_int64(hid_t loc, const char *name, int64_t value);
int rb_h5_attr_double(hid_t loc, const char *name, double value);
int rb_h5_get_attr_string(hid_t loc, const char *name, char **value, const char *what);
int rb_h5_get_attr_int64(hid_t loc, const char *name, int64_t *value, const char *what);

/* In a file opened with MPI-IO every helper above that creates or writes (group, dataset, string
 * column, attribute) returns a status agreed by every rank of the file's communicator (the MPI
 * error discipline of rb_core.h), so callers can chain them with || and every rank takes the same
 * branch. rb_h5_agree(loc, rc) is the same agreement for the caller's own local steps (an
 * allocation before a collective call); for a serial file it returns rc unchanged. */
int rb_h5_agree(hid_t loc, int rc);

/* RB_FAULT (rb_core.h): whether the write of dataset name under loc ("" when loc is the dataset) is
 * the one to fail; its label is the file path followed by the object path. Call it after the
 * (collective) write, and only when rb_fault_active: `if (rb_fault_active && rb_h5_fault_write(ds,
 * "")) status = -1;`. */
int rb_h5_fault_write(hid_t loc, const char *name);

/* Rename a finished temporary (rb_h5_create_tmp) over path; a symbolic link at path is replaced. */
int rb_h5_publish(const char *tmp, const char *path);

/* ---- the node communicator (node_comm.c): the ranks of comm that share this rank's node memory
 * (MPI_COMM_TYPE_SHARED; free with MPI_Comm_free). Collective over comm. Under the test setting
 * ROBUSTA_TEST_NODE_RANKS=k, "nodes" of k consecutive ranks instead. */
void rb_node_comm(MPI_Comm comm, MPI_Comm *node);

/* ---- a small, strict reader of NumPy .npy files holding little-endian float32 / float64 matrices
 * (the per-video feature files of the public XD-Violence release).
 *
 * Accepted: format versions 1.0, 2.0 and 3.0; a header dict with exactly the keys 'descr',
 * 'fortran_order' and 'shape' (any order, any whitespace, optional trailing comma); descr '<f4' or
 * '<f8'; fortran_order False; a 1-D or 2-D shape. A 1-D array of n values is returned as n rows of one
 * column. float64 data is converted to float32 (values must be finite and fit in float32); every
 * value returned is finite. The file size must equal the header plus the declared data exactly.
 * Everything else (Fortran order, big-endian, other dtypes, bad magic, truncated header or data,
 * trailing bytes, shape overflow, zero columns, 0-d or 3-D arrays) is an error naming the file. */

typedef enum { RB_NPY_F4 = 4, RB_NPY_F8 = 8 } rb_npy_dtype;

typedef struct {
    int major, minor;     /* format version (1, 2 or 3; minor 0) */
    size_t data_offset;   /* byte offset of the array data (magic + length field + header dict) */
    rb_npy_dtype dtype;   /* element type; its value is the element size in bytes */
    int ndim;             /* 1 or 2 */
    int64_t rows, cols;   /* shape (n,) gives rows = n, cols = 1 */
    size_t data_bytes;    /* rows * cols * element size */
} rb_npy_header;

/* Parse the header at the start of buf (len bytes available; data bytes need not be present).
 * Pure: no I/O, no allocation, never reads outside buf. Errors say what is wrong, not which file. */
int rb_npy_parse_header(const unsigned char *buf, size_t len, rb_npy_header *h);

/* Decode a whole .npy file held in memory (header + data, nothing after it) into a new float32
 * array (*data, free() it; rows x cols row-major). */
int rb_npy_decode_f32(const unsigned char *buf, size_t len, float **data, int64_t *rows, int64_t *cols);

/* Read the header of a file and check that the file size matches it exactly. */
int rb_npy_read_header(const char *path, rb_npy_header *h);

/* Read the first n_rows rows of the file at path (whose header must equal *expect, typically from
 * rb_npy_read_header) into dst: row r goes to dst + r * row_stride (row_stride >= cols floats).
 * n_rows may be smaller than the rows in the file (the rest is skipped). */
int rb_npy_load_rows_f32(const char *path, const rb_npy_header *expect, int64_t n_rows, float *dst,
                         size_t row_stride);

/* Read a whole file into a new float32 array (*data, free() it; rows x cols row-major). */
int rb_npy_read_f32(const char *path, float **data, int64_t *rows, int64_t *cols);

/* ---- the per-run journal of finished grid cells: each rank appends one checksummed
 * record per cell as it finishes (write + fsync), so a killed job loses at most the cells in flight.
 * `bench --resume` loads every record of every journal file of the run directory; a torn or corrupt
 * record (and what follows it in that file) is ignored, never trusted. Every record carries its tag:
 * the cell's key and the identity of the run that computed it (robusta version, git commit, config
 * digest, inputs digest), so a resume can refuse a record that another binary, config or input set
 * made, or that names a cell the run does not have (docs/run-directory.md). */

typedef struct {
    int fd;
    char path[4200];
} rb_journal;

/* What a record says about itself. key: "<dataset>/<condition label>/<severity>" (severity 0 for
 * the clean and missing cells); the digests are 64 lower-case hex digits. */
typedef struct {
    char key[512];
    char version[64];
    char commit[64];
    char config_digest[65];
    char inputs_digest[65];
} rb_journal_tag;

/* The tag as the text stored in a record: "key=...\nversion=...\ncommit=...\nconfig=...\ninputs=...\n".
 * Fails (naming the field) when a field is empty, holds a newline or '=' where it may not, or does
 * not fit cap. */
int rb_journal_tag_format(const rb_journal_tag *tag, char *buf, size_t cap);
/* Parse len bytes of tag text (need not be NUL-terminated): exactly the five fields, in that order,
 * each once; digests 64 hex digits; the key "<dataset>/<label>/<severity>" with a non-empty
 * dataset and label and a severity of 0..99. Anything else is an error naming what is wrong. */
int rb_journal_tag_parse(const char *text, size_t len, rb_journal_tag *tag);
/* Split a cell key into its dataset, condition label and severity (the key rules of
 * rb_journal_tag_parse). */
int rb_journal_key_split(const char *key, char *dataset, size_t dataset_cap, char *label, size_t label_cap,
                         int *severity);

/* Open (create) <run_dir>/journal/attempt-<attempt>-rank-<rank>.bin for appending. */
int rb_journal_open(rb_journal *j, const char *run_dir, int attempt, int rank);
/* Append one record (its tag and n doubles) and make it durable. */
int rb_journal_append(rb_journal *j, const rb_journal_tag *tag, const double *payload, int n);
void rb_journal_close(rb_journal *j);

/* Number of attempts already in the journal directory (the next attempt's number). */
int rb_journal_attempts(const char *run_dir, int *attempts);
/* Load every valid record from every journal file of the run, in file-name then record order, into
 * malloc'd arrays: records [count][n], tags [count]. A torn or damaged record ends what is trusted of
 * its file. A record that is whole (its checksum holds) but is not one this run can read is an
 * error naming the file: another record length than n, a tag that does not parse, or a record of
 * the format of robusta before run identities ("RBJ1"). */
int rb_journal_load(const char *run_dir, int n, double **records, rb_journal_tag **tags, int *count);
/* Number of whole records in the run's journal, whatever their length (a record of the format before
 * run identities is an error, as in rb_journal_load). */
int rb_journal_count(const char *run_dir, int *count);
/* Whether <run_dir>/journal/ holds any journal file (empty or not). */
int rb_journal_exists(const char *run_dir, int *exists);
/* Remove every journal file of the run (a run directory reset before its first committed cell). */
int rb_journal_remove(const char *run_dir);

/* ---- what every output file records about how it was made (docs/formats.md):
 * effective config text, input file checksums, robusta version and git commit, MPI / HDF5 / OpenBLAS
 * versions, rank count, host, UTC time and command line. Collected once per process; under MPI the
 * values of rank 0 are broadcast so every rank writes identical attributes. */

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
/* The commit this binary was built from ("unknown" outside a git checkout). */
const char *rb_build_commit(void);
/* The robusta version (VERSION) and the git commit this binary was built from ("-dirty" when the
 * tree had changes, "unknown" outside git): the binary's part of a run's identity. */
const char *rb_robusta_version(void);
const char *rb_robusta_commit(void);

#endif

/* rb_h5.h - checked HDF5 helpers: open/create (serial or MPI-IO), typed array and attribute I/O that
 * validates rank, shape and element type, fixed-length string columns, and atomic publication
 * (write to <path>.tmp, rename when complete). Every failure names the file and object. */
#ifndef RB_H5_H
#define RB_H5_H

#include <hdf5.h>
#include <mpi.h>
#include <stdint.h>

typedef enum { RB_H5_F32, RB_H5_F64, RB_H5_I32, RB_H5_I64, RB_H5_U8 } rb_h5_type;

/* Create a new file (truncating). comm = MPI_COMM_NULL for serial I/O; otherwise every rank of comm
 * calls this and the MPI-IO driver is used. */
int rb_h5_create(const char *path, MPI_Comm comm, hid_t *file);
/* Open an existing file read-only, with a clear error for a missing, unreadable or corrupt file. */
int rb_h5_open_read(const char *path, MPI_Comm comm, hid_t *file);
/* Open an existing file read-write (serial). */
int rb_h5_open_rw(const char *path, hid_t *file);
int rb_h5_close(hid_t file, const char *path);

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

/* "<path>.tmp" for atomic writes; rb_h5_publish renames it to path. */
void rb_h5_tmp_path(const char *path, char *buf, size_t cap);
int rb_h5_publish(const char *tmp, const char *path);

#endif

/* rb_npy.h - a small, strict reader of NumPy .npy files holding little-endian float32 / float64 matrices
 * (the per-video feature files of the public XD-Violence release).
 *
 * Accepted: format versions 1.0, 2.0 and 3.0; a header dict with exactly the keys 'descr',
 * 'fortran_order' and 'shape' (any order, any whitespace, optional trailing comma); descr '<f4' or
 * '<f8'; fortran_order False; a 1-D or 2-D shape. A 1-D array of n values is returned as n rows of one
 * column. float64 data is converted to float32 (values must be finite and fit in float32); every
 * value returned is finite. The file size must equal the header plus the declared data exactly.
 * Everything else (Fortran order, big-endian, other dtypes, bad magic, truncated header or data,
 * trailing bytes, shape overflow, zero columns, 0-d or 3-D arrays) is an error naming the file. */
#ifndef RB_NPY_H
#define RB_NPY_H

#include <stddef.h>
#include <stdint.h>

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

#endif

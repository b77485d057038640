/* fuzz_npy.c - libFuzzer harness for the .npy reader (rb_io.h): the pure header parser and the whole
 * in-memory decode of a buffer. Besides the sanitizers it checks the parser's promises: an accepted
 * header is 1-D or 2-D, little-endian f4/f8, with its data offset inside the buffer and a data size
 * equal to rows x cols x element size; a decoded array holds only finite values.
 * Built and run by tests/fuzz/run.sh. */
#include "rb_core.h"
#include "rb_io.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rb_npy_header h;
    if (rb_npy_parse_header(data, size, &h) == RB_OK) {
        if (h.ndim < 1 || h.ndim > 2 || (h.dtype != RB_NPY_F4 && h.dtype != RB_NPY_F8) || h.data_offset > size ||
            h.rows < 0 || h.cols < 0 || (h.ndim == 1 && h.cols != 1) ||
            h.data_bytes != (size_t)h.rows * (size_t)h.cols * (size_t)h.dtype)
            __builtin_trap();
    }
    float *x = NULL;
    int64_t rows = -1, cols = -1;
    if (rb_npy_decode_f32(data, size, &x, &rows, &cols) == RB_OK) {
        if (!x || rows < 0 || cols < 0) __builtin_trap();
        for (size_t i = 0; i < (size_t)rows * (size_t)cols; i++)
            if (!isfinite(x[i])) __builtin_trap();
        free(x);
    } else if (x) {
        __builtin_trap(); /* a failed decode must not hand out memory */
    }
    rb_error_clear();
    return 0;
}

/* test_npy.c - the .npy reader: header grammar (versions, key order, whitespace, trailing commas),
 * every rejection named in rb_io.h, float64 conversion, exact-size checks, strided row loads, and
 * that every truncation of a valid file fails cleanly. */
#include "rb_core.h"
#include "rb_io.h"
#include "rb_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Build a .npy image: magic, version, length field, dict padded like NumPy (spaces, '\n', total a
 * multiple of 64), then nbytes of data. Returns the total size; out must be large enough. */
static size_t npy_image(unsigned char *out, int major, const char *dict, const void *data, size_t nbytes) {
    size_t prefix = major == 1 ? 10 : 12, dl = strlen(dict);
    size_t total = prefix + dl + 1;
    size_t padded = (total + 63) / 64 * 64, hlen = padded - prefix;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (unsigned char)major;
    out[7] = 0;
    if (major == 1) {
        out[8] = (unsigned char)(hlen & 0xff);
        out[9] = (unsigned char)(hlen >> 8);
    } else {
        for (int i = 0; i < 4; i++) out[8 + i] = (unsigned char)(hlen >> (8 * i));
    }
    memcpy(out + prefix, dict, dl);
    memset(out + prefix + dl, ' ', hlen - dl - 1);
    out[padded - 1] = '\n';
    if (nbytes) memcpy(out + padded, data, nbytes);
    return padded + nbytes;
}

static int parse_dict(int major, const char *dict, rb_npy_header *h) {
    unsigned char buf[1024];
    size_t n = npy_image(buf, major, dict, NULL, 0);
    rb_error_clear();
    return rb_npy_parse_header(buf, n, h);
}

static void write_file(const char *path, const unsigned char *buf, size_t n) {
    FILE *f = fopen(path, "wb");
    RB_EXPECT(f != NULL);
    if (!f) return;
    RB_EXPECT(fwrite(buf, 1, n, f) == n);
    fclose(f);
}

RB_TEST(npy_header_versions_and_fields) {
    rb_npy_header h;
    RB_EXPECT_OK(parse_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (7, 1024), }", &h));
    RB_EXPECT_INT(h.major, 1);
    RB_EXPECT_INT(h.dtype, RB_NPY_F4);
    RB_EXPECT_INT(h.ndim, 2);
    RB_EXPECT_INT(h.rows, 7);
    RB_EXPECT_INT(h.cols, 1024);
    RB_EXPECT_INT(h.data_offset, 128); /* 10 + 64 bytes of dict -> padded to 128 */
    RB_EXPECT_INT(h.data_bytes, 7 * 1024 * 4);
    RB_EXPECT_OK(parse_dict(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 128)}", &h));
    RB_EXPECT_INT(h.major, 2);
    RB_EXPECT_INT(h.dtype, RB_NPY_F8);
    RB_EXPECT_INT(h.data_offset, 128); /* 12 + 62 + 1 bytes -> padded to 128 */
    RB_EXPECT_INT(h.data_bytes, 3 * 128 * 8);
    RB_EXPECT_OK(parse_dict(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", &h));
    RB_EXPECT_INT(h.major, 3);
    RB_EXPECT_INT(h.ndim, 1);
    RB_EXPECT_INT(h.rows, 5);
    RB_EXPECT_INT(h.cols, 1);
}

RB_TEST(npy_header_key_order_whitespace_commas) {
    rb_npy_header h;
    RB_EXPECT_OK(parse_dict(1, "{'shape':(2,3),'descr':'<f4','fortran_order':False}", &h));
    RB_EXPECT_INT(h.rows, 2);
    RB_EXPECT_INT(h.cols, 3);
    RB_EXPECT_OK(parse_dict(1, "  {\n \"fortran_order\" :\tFalse ,\r\n \"shape\" : ( 4 , 9 , ) ,"
                               " \"descr\" : \"<f8\" , }  ", &h));
    RB_EXPECT_INT(h.rows, 4);
    RB_EXPECT_INT(h.cols, 9);
    RB_EXPECT_INT(h.dtype, RB_NPY_F8);
    RB_EXPECT_OK(parse_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 4L), }", &h)); /* Python 2 */
    RB_EXPECT_INT(h.rows, 3);
    RB_EXPECT_INT(h.cols, 4);
    RB_EXPECT_OK(parse_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 16), }", &h));
    RB_EXPECT_INT(h.rows, 0);
    RB_EXPECT_INT(h.data_bytes, 0);
}

RB_TEST(npy_header_rejections) {
    rb_npy_header h;
    RB_EXPECT_ERR(parse_dict(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", &h), "Fortran");
    RB_EXPECT_ERR(parse_dict(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", &h), "big-endian");
    RB_EXPECT_ERR(parse_dict(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", &h), "unsupported dtype '<i4'");
    RB_EXPECT_ERR(parse_dict(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), }", &h), "unsupported dtype");
    RB_EXPECT_ERR(parse_dict(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", &h), "structured");
    RB_EXPECT_ERR(parse_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", &h), "0-d");
    RB_EXPECT_ERR(parse_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }", &h), "3-D");
    RB_EXPECT_ERR(parse_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (5), }", &h), "not a tuple");
    RB_EXPECT_ERR(parse_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-5,), }", &h), "negative");
    RB_EXPECT_ERR(parse_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 2), }", &h),
                  "overflows");
    RB_EXPECT_ERR(parse_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", &h),
                  "overflows the addressable size");
    RB_EXPECT_ERR(parse_dict(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 0), }", &h),
                  "has no columns"); /* found by fuzz_npy: a zero-size array with 2^62 rows */
    RB_EXPECT_ERR(parse_dict(1, "{'descr': '<f4', 'shape': (2, 3), }", &h), "'fortran_order' is missing");
    RB_EXPECT_ERR(parse_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", &h), "unexpected key 'x'");
    RB_EXPECT_ERR(parse_dict(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", &h), "twice");
    RB_EXPECT_ERR(parse_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} x", &h), "padding");
    RB_EXPECT_ERR(parse_dict(1, "{'descr': '<f4', 'fortran_order': false, 'shape': (2, 3)}", &h), "True or False");
    RB_EXPECT_ERR(parse_dict(1, "{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3)}", &h), "expected ','");
    RB_EXPECT_ERR(parse_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", &h), "closing '}'");
    RB_EXPECT_ERR(parse_dict(1, "{'descr': '\\x3cf4', 'fortran_order': False, 'shape': (2, 3)}", &h), "escape");
    RB_EXPECT_ERR(parse_dict(1, "{,}", &h), "quoted string");
}

RB_TEST(npy_prefix_rejections) {
    unsigned char buf[256];
    rb_npy_header h;
    size_t n = npy_image(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", NULL, 0);
    RB_EXPECT_ERR(rb_npy_parse_header(buf, 0, &h), "empty");
    RB_EXPECT_ERR(rb_npy_parse_header(buf, 5, &h), "truncated header");
    RB_EXPECT_ERR(rb_npy_parse_header(buf, 9, &h), "truncated header");
    RB_EXPECT_ERR(rb_npy_parse_header(buf, n - 1, &h), "truncated header");
    buf[1] = 'n';
    RB_EXPECT_ERR(rb_npy_parse_header(buf, n, &h), "bad magic");
    RB_EXPECT_ERR(rb_npy_parse_header(buf, 3, &h), "bad magic");
    buf[1] = 'N';
    buf[6] = 4;
    RB_EXPECT_ERR(rb_npy_parse_header(buf, n, &h), "version 4.0");
    buf[6] = 1;
    buf[7] = 1;
    RB_EXPECT_ERR(rb_npy_parse_header(buf, n, &h), "version 1.1");
    buf[7] = 0;
    RB_EXPECT_OK(rb_npy_parse_header(buf, n, &h));
    /* a v2 length field claiming 3 GB */
    unsigned char big[16] = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0, 0, 0, 0xc0, '{', '}', ' ', '\n'};
    RB_EXPECT_ERR(rb_npy_parse_header(big, sizeof big, &h), "implausibly large");
}

RB_TEST(npy_decode_values_f4_f8) {
    unsigned char buf[512];
    float f[6] = {0.5f, -1.25f, 3.0f, 1e-3f, -7.0f, 1024.0f};
    size_t n = npy_image(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f, sizeof f);
    float *out;
    int64_t rows, cols;
    RB_EXPECT_OK(rb_npy_decode_f32(buf, n, &out, &rows, &cols));
    RB_EXPECT_INT(rows, 2);
    RB_EXPECT_INT(cols, 3);
    for (int i = 0; i < 6; i++) RB_EXPECT_NEAR(out[i], f[i], 0);
    free(out);
    double d[3] = {0.1, -2.5, 65504.0};
    n = npy_image(buf, 3, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", d, sizeof d);
    RB_EXPECT_OK(rb_npy_decode_f32(buf, n, &out, &rows, &cols));
    RB_EXPECT_INT(rows, 3);
    RB_EXPECT_INT(cols, 1);
    RB_EXPECT_NEAR(out[0], (float)0.1, 0);
    RB_EXPECT_NEAR(out[1], -2.5, 0);
    RB_EXPECT_NEAR(out[2], 65504.0, 0);
    free(out);
    d[1] = 1e300;
    n = npy_image(buf, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", d, sizeof d);
    RB_EXPECT_ERR(rb_npy_decode_f32(buf, n, &out, &rows, &cols), "does not fit in float32");
    d[1] = INFINITY;
    npy_image(buf, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", d, sizeof d);
    RB_EXPECT_ERR(rb_npy_decode_f32(buf, n, &out, &rows, &cols), "row 1, column 0 is not finite");
    f[4] = NAN;
    n = npy_image(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f, sizeof f);
    RB_EXPECT_ERR(rb_npy_decode_f32(buf, n, &out, &rows, &cols), "row 1, column 1 is not finite");
    RB_EXPECT(out == NULL);
}

RB_TEST(npy_decode_exact_size) {
    unsigned char buf[512];
    float f[6] = {1, 2, 3, 4, 5, 6};
    size_t n = npy_image(buf, 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f, sizeof f);
    float *out;
    int64_t rows, cols;
    RB_EXPECT_ERR(rb_npy_decode_f32(buf, n - 1, &out, &rows, &cols), "truncated data");
    buf[n] = 0;
    RB_EXPECT_ERR(rb_npy_decode_f32(buf, n + 1, &out, &rows, &cols), "1 bytes of trailing garbage");
    /* every strict prefix of a valid file is rejected, none crashes (the sanitizer build checks reads) */
    int all_fail = 1;
    for (size_t k = 0; k < n; k++) {
        unsigned char *copy = malloc(k ? k : 1);
        memcpy(copy, buf, k);
        all_fail &= rb_npy_decode_f32(copy, k, &out, &rows, &cols) != RB_OK;
        free(copy);
    }
    RB_EXPECT(all_fail);
}

RB_TEST(npy_file_read_and_strided_load) {
    char path[600];
    snprintf(path, sizeof path, "%s/npy_read.npy", rb_test_tmpdir());
    unsigned char buf[512];
    float f[12];
    for (int i = 0; i < 12; i++) f[i] = (float)(10 * (i / 4) + i % 4); /* row r, col c -> 10r + c */
    size_t n = npy_image(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", f, sizeof f);
    write_file(path, buf, n);
    float *out;
    int64_t rows, cols;
    RB_EXPECT_OK(rb_npy_read_f32(path, &out, &rows, &cols));
    RB_EXPECT_INT(rows, 3);
    RB_EXPECT_INT(cols, 4);
    RB_EXPECT_NEAR(out[2 * 4 + 3], 23, 0);
    free(out);
    rb_npy_header h;
    RB_EXPECT_OK(rb_npy_read_header(path, &h));
    float dst[2 * 6];
    for (int i = 0; i < 12; i++) dst[i] = -1;
    RB_EXPECT_OK(rb_npy_load_rows_f32(path, &h, 2, dst, 6)); /* first 2 rows, stride 6 */
    RB_EXPECT_NEAR(dst[0], 0, 0);
    RB_EXPECT_NEAR(dst[3], 3, 0);
    RB_EXPECT_NEAR(dst[4], -1, 0); /* gap untouched */
    RB_EXPECT_NEAR(dst[6], 10, 0);
    RB_EXPECT_NEAR(dst[9], 13, 0);
    RB_EXPECT_NEAR(dst[10], -1, 0);
    RB_EXPECT_ERR(rb_npy_load_rows_f32(path, &h, 4, dst, 6), "asked for 4 rows");
    /* errors name the file */
    write_file(path, buf, n - 2);
    RB_EXPECT_ERR(rb_npy_read_f32(path, &out, &rows, &cols), "npy_read.npy: truncated data");
    RB_EXPECT_ERR(rb_npy_load_rows_f32(path, &h, 2, dst, 6), "npy_read.npy: truncated data");
    buf[n] = 7;
    write_file(path, buf, n + 1);
    RB_EXPECT_ERR(rb_npy_read_f32(path, &out, &rows, &cols), "npy_read.npy: 1 bytes of trailing garbage");
    n = npy_image(buf, 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 4), }", f, sizeof f);
    write_file(path, buf, n);
    RB_EXPECT_ERR(rb_npy_read_f32(path, &out, &rows, &cols), "npy_read.npy: Fortran");
    snprintf(path, sizeof path, "%s/does_not_exist.npy", rb_test_tmpdir());
    RB_EXPECT_ERR(rb_npy_read_f32(path, &out, &rows, &cols), "does_not_exist.npy: cannot open");
    RB_EXPECT_ERR(rb_npy_read_f32(rb_test_tmpdir(), &out, &rows, &cols), "not a regular file");
}

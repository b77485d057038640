/* npy.c - strict reader of little-endian float32/float64 NumPy .npy matrices (rb_io.h).
 *
 * The header dict is parsed with a small recursive-descent parser over the Python literal subset that
 * NumPy writes: {'descr': '<f4', 'fortran_order': False, 'shape': (T, 1024), }. All byte decoding is
 * explicit little-endian, so the reader is correct on any host. */
#include "rb_io.h"
#include "rb_core.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RB_NPY_MAX_HEADER (1u << 20) /* a feature file's header dict is ~120 bytes */
#define RB_NPY_MAX_DIMS 64

static const unsigned char rb_npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

static uint32_t rb_le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rb_le64(const unsigned char *p) {
    return (uint64_t)rb_le32(p) | (uint64_t)rb_le32(p + 4) << 32;
}

/* ---- header dict parser ---------------------------------------------------------------------- */

typedef struct {
    const unsigned char *p, *end;
} rb_npy_cursor;

static void rb_npy_ws(rb_npy_cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

/* Printable rendering of a (possibly binary) byte string for messages. */
static const char *rb_npy_show(const unsigned char *s, size_t n, char *out, size_t cap) {
    size_t k = 0;
    for (size_t i = 0; i < n && k + 4 < cap; i++) out[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
    if (n > 0 && k + 4 >= cap) {
        out[k++] = '.';
        out[k++] = '.';
        out[k++] = '.';
    }
    out[k] = '\0';
    return out;
}

static int rb_npy_unexpected(const rb_npy_cursor *c, const char *expected) {
    char shown[48];
    if (c->p >= c->end) return rb_fail("header dict: expected %s, got end of header", expected);
    size_t n = (size_t)(c->end - c->p) < 16 ? (size_t)(c->end - c->p) : 16;
    return rb_fail("header dict: expected %s, got \"%s\"", expected, rb_npy_show(c->p, n, shown, sizeof shown));
}

/* A Python string literal in single or double quotes, without escapes. */
static int rb_npy_string(rb_npy_cursor *c, const unsigned char **s, size_t *n) {
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return rb_npy_unexpected(c, "a quoted string");
    unsigned char q = *c->p++;
    const unsigned char *start = c->p;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\') return rb_fail("header dict: escape sequences in strings are not supported");
        if (*c->p == '\n') return rb_fail("header dict: unterminated string");
        c->p++;
    }
    if (c->p >= c->end) return rb_fail("header dict: unterminated string");
    *s = start;
    *n = (size_t)(c->p - start);
    c->p++;
    return RB_OK;
}

static int rb_npy_word(rb_npy_cursor *c, const char *w) {
    size_t n = strlen(w);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0) return 0;
    const unsigned char *after = c->p + n;
    if (after < c->end && ((*after >= 'a' && *after <= 'z') || (*after >= 'A' && *after <= 'Z') ||
                           (*after >= '0' && *after <= '9') || *after == '_'))
        return 0;
    c->p = after;
    return 1;
}

static int rb_npy_descr(rb_npy_cursor *c, rb_npy_header *h) {
    if (c->p < c->end && *c->p == '[')
        return rb_fail("structured dtypes are not supported (descr is a list), expected '<f4' or '<f8'");
    const unsigned char *s;
    size_t n;
    RB_TRY(rb_npy_string(c, &s, &n));
    char shown[48];
    if (n == 3 && memcmp(s, "<f4", 3) == 0) h->dtype = RB_NPY_F4;
    else if (n == 3 && memcmp(s, "<f8", 3) == 0) h->dtype = RB_NPY_F8;
    else if (n >= 1 && s[0] == '>')
        return rb_fail("big-endian dtype '%s' is not supported, expected '<f4' or '<f8'",
                       rb_npy_show(s, n, shown, sizeof shown));
    else
        return rb_fail("unsupported dtype '%s', expected '<f4' (float32) or '<f8' (float64)",
                       rb_npy_show(s, n, shown, sizeof shown));
    return RB_OK;
}

static int rb_npy_bool(rb_npy_cursor *c, int *out) {
    if (rb_npy_word(c, "True")) *out = 1;
    else if (rb_npy_word(c, "False")) *out = 0;
    else return rb_npy_unexpected(c, "True or False for 'fortran_order'");
    return RB_OK;
}

/* A non-negative integer (digits, optional Python 2 'L' suffix) into *v, at most INT64_MAX. */
static int rb_npy_dim(rb_npy_cursor *c, int64_t *v) {
    if (c->p < c->end && *c->p == '-') return rb_fail("header dict: negative dimension in 'shape'");
    if (c->p >= c->end || *c->p < '0' || *c->p > '9') return rb_npy_unexpected(c, "a dimension in 'shape'");
    uint64_t x = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        unsigned d = (unsigned)(*c->p - '0');
        if (x > ((uint64_t)INT64_MAX - d) / 10) return rb_fail("header dict: dimension in 'shape' overflows");
        x = x * 10 + d;
        c->p++;
    }
    if (c->p < c->end && (*c->p == 'L' || *c->p == 'l')) c->p++;
    *v = (int64_t)x;
    return RB_OK;
}

static int rb_npy_shape(rb_npy_cursor *c, int64_t *dims, int *ndim) {
    if (c->p >= c->end || *c->p != '(') return rb_npy_unexpected(c, "a tuple '(...)' for 'shape'");
    c->p++;
    int n = 0, commas = 0;
    rb_npy_ws(c);
    while (c->p < c->end && *c->p != ')') {
        if (n == RB_NPY_MAX_DIMS) return rb_fail("header dict: 'shape' has more than %d dimensions", RB_NPY_MAX_DIMS);
        RB_TRY(rb_npy_dim(c, &dims[n]));
        n++;
        rb_npy_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            commas++;
            rb_npy_ws(c);
        } else if (c->p < c->end && *c->p != ')') {
            return rb_npy_unexpected(c, "',' or ')' in 'shape'");
        }
    }
    if (c->p >= c->end) return rb_fail("header dict: unterminated 'shape' tuple");
    c->p++;
    if (n == 1 && commas == 0) return rb_fail("header dict: 'shape' (%lld) is not a tuple", (long long)dims[0]);
    *ndim = n;
    return RB_OK;
}

enum { RB_KEY_DESCR = 1, RB_KEY_FORTRAN = 2, RB_KEY_SHAPE = 4 };

static int rb_npy_dict(rb_npy_cursor *c, rb_npy_header *h) {
    int seen = 0, fortran = 0, ndim = 0;
    int64_t dims[RB_NPY_MAX_DIMS];
    rb_npy_ws(c);
    if (c->p >= c->end || *c->p != '{') return rb_npy_unexpected(c, "'{' opening the header dict");
    c->p++;
    rb_npy_ws(c);
    while (c->p < c->end && *c->p != '}') {
        const unsigned char *k;
        size_t kn;
        char shown[48];
        RB_TRY(rb_npy_string(c, &k, &kn));
        int key = (kn == 5 && memcmp(k, "descr", 5) == 0)           ? RB_KEY_DESCR
                  : (kn == 13 && memcmp(k, "fortran_order", 13) == 0) ? RB_KEY_FORTRAN
                  : (kn == 5 && memcmp(k, "shape", 5) == 0)           ? RB_KEY_SHAPE
                                                                      : 0;
        if (!key) return rb_fail("header dict: unexpected key '%s'", rb_npy_show(k, kn, shown, sizeof shown));
        if (seen & key) return rb_fail("header dict: key '%s' appears twice", rb_npy_show(k, kn, shown, sizeof shown));
        seen |= key;
        rb_npy_ws(c);
        if (c->p >= c->end || *c->p != ':') return rb_npy_unexpected(c, "':' after a key");
        c->p++;
        rb_npy_ws(c);
        if (key == RB_KEY_DESCR) RB_TRY(rb_npy_descr(c, h));
        else if (key == RB_KEY_FORTRAN) RB_TRY(rb_npy_bool(c, &fortran));
        else RB_TRY(rb_npy_shape(c, dims, &ndim));
        rb_npy_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            rb_npy_ws(c);
        } else if (c->p < c->end && *c->p != '}') {
            return rb_npy_unexpected(c, "',' or '}' after a value");
        }
    }
    if (c->p >= c->end) return rb_fail("header dict: missing closing '}'");
    c->p++;
    rb_npy_ws(c);
    if (c->p != c->end) return rb_npy_unexpected(c, "only padding after the header dict");
    if (!(seen & RB_KEY_DESCR)) return rb_fail("header dict: key 'descr' is missing");
    if (!(seen & RB_KEY_FORTRAN)) return rb_fail("header dict: key 'fortran_order' is missing");
    if (!(seen & RB_KEY_SHAPE)) return rb_fail("header dict: key 'shape' is missing");
    if (fortran)
        return rb_fail("Fortran-ordered arrays are not supported (fortran_order: True); "
                       "re-save with numpy.ascontiguousarray");
    if (ndim == 0) return rb_fail("0-d arrays (shape ()) are not supported, expected a 1-D or 2-D shape");
    if (ndim > 2) return rb_fail("%d-D arrays are not supported, expected a 1-D or 2-D shape", ndim);
    h->ndim = ndim;
    h->rows = dims[0];
    h->cols = ndim == 2 ? dims[1] : 1;
    if (h->cols == 0) /* would also let a huge row count pass every size check */
        return rb_fail("shape (%lld, 0) has no columns", (long long)h->rows);
    size_t elem = (size_t)h->dtype;
    if (h->cols != 0 && (uint64_t)h->rows > SIZE_MAX / elem / (uint64_t)h->cols)
        return rb_fail("shape (%lld, %lld) overflows the addressable size", (long long)h->rows,
                       (long long)h->cols);
    h->data_bytes = (size_t)h->rows * (size_t)h->cols * elem;
    if (h->data_bytes > SIZE_MAX - h->data_offset)
        return rb_fail("shape (%lld, %lld) overflows the addressable size", (long long)h->rows,
                       (long long)h->cols);
    return RB_OK;
}

/* Bytes before the dict, from the version: magic(6) + version(2) + length (2 for v1, 4 for v2/v3). */
static int rb_npy_prefix(const unsigned char *buf, size_t len, int *major, int *minor, size_t *prefix) {
    if (len == 0) return rb_fail("empty file, not a .npy file");
    if (memcmp(buf, rb_npy_magic, len < 6 ? len : 6) != 0) return rb_fail("not a .npy file (bad magic)");
    if (len < 8) return rb_fail("truncated header: %zu bytes, a .npy file starts with at least 10", len);
    *major = buf[6];
    *minor = buf[7];
    if (*minor != 0 || *major < 1 || *major > 3)
        return rb_fail("unsupported .npy format version %d.%d, expected 1.0, 2.0 or 3.0", *major, *minor);
    *prefix = *major == 1 ? 10 : 12;
    if (len < *prefix) return rb_fail("truncated header: %zu bytes, version %d.0 needs %zu before the dict", len, *major, *prefix);
    return RB_OK;
}

int rb_npy_parse_header(const unsigned char *buf, size_t len, rb_npy_header *h) {
    memset(h, 0, sizeof *h);
    size_t prefix;
    RB_TRY(rb_npy_prefix(buf, len, &h->major, &h->minor, &prefix));
    size_t hlen = h->major == 1 ? (size_t)buf[8] | (size_t)buf[9] << 8 : (size_t)rb_le32(buf + 8);
    if (hlen > RB_NPY_MAX_HEADER) return rb_fail("header dict of %zu bytes is implausibly large", hlen);
    if (len - prefix < hlen)
        return rb_fail("truncated header: the dict needs %zu bytes, only %zu present", hlen, len - prefix);
    h->data_offset = prefix + hlen;
    rb_npy_cursor c = {buf + prefix, buf + prefix + hlen};
    return rb_npy_dict(&c, h);
}

/* ---- data conversion ------------------------------------------------------------------------- */

/* Convert n_rows rows starting at file row row0 from raw bytes to float32 rows in dst. */
static int rb_npy_convert(const unsigned char *src, const rb_npy_header *h, int64_t row0, int64_t n_rows,
                          float *dst, size_t row_stride) {
    size_t cols = (size_t)h->cols;
    for (int64_t r = 0; r < n_rows; r++) {
        float *out = dst + (size_t)r * row_stride;
        const unsigned char *in = src + (size_t)r * cols * (size_t)h->dtype;
        for (size_t j = 0; j < cols; j++) {
            if (h->dtype == RB_NPY_F4) {
                uint32_t u = rb_le32(in + 4 * j);
                float f;
                memcpy(&f, &u, sizeof f);
                if (!isfinite(f))
                    return rb_fail("value at row %lld, column %zu is not finite (%g)", (long long)(row0 + r), j, (double)f);
                out[j] = f;
            } else {
                uint64_t u = rb_le64(in + 8 * j);
                double d;
                memcpy(&d, &u, sizeof d);
                if (!isfinite(d))
                    return rb_fail("value at row %lld, column %zu is not finite (%g)", (long long)(row0 + r), j, d);
                if (fabs(d) > (double)FLT_MAX)
                    return rb_fail("float64 value %g at row %lld, column %zu does not fit in float32", d,
                                   (long long)(row0 + r), j);
                out[j] = (float)d;
            }
        }
    }
    return RB_OK;
}

int rb_npy_decode_f32(const unsigned char *buf, size_t len, float **data, int64_t *rows, int64_t *cols) {
    *data = NULL;
    rb_npy_header h;
    RB_TRY(rb_npy_parse_header(buf, len, &h));
    size_t have = len - h.data_offset;
    if (have < h.data_bytes)
        return rb_fail("truncated data: shape (%lld, %lld) needs %zu bytes, only %zu present", (long long)h.rows,
                       (long long)h.cols, h.data_bytes, have);
    if (have > h.data_bytes)
        return rb_fail("%zu bytes of trailing garbage after the declared data", have - h.data_bytes);
    float *out = rb_malloc(h.data_bytes / (size_t)h.dtype * sizeof(float), "npy data");
    if (!out) return RB_ERR;
    if (rb_npy_convert(buf + h.data_offset, &h, 0, h.rows, out, (size_t)h.cols) != RB_OK) {
        free(out);
        return RB_ERR;
    }
    *data = out;
    *rows = h.rows;
    *cols = h.cols;
    return RB_OK;
}

/* ---- files ----------------------------------------------------------------------------------- */

/* Open path, read and parse its header (leaving f at the data), check the file size. */
static int rb_npy_open(const char *path, FILE **fp, rb_npy_header *h) {
    *fp = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return rb_fail("cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return rb_fail("not a regular file");
    }
    unsigned char pre[12];
    size_t got = fread(pre, 1, sizeof pre, f);
    int major, minor;
    size_t prefix;
    if (rb_npy_prefix(pre, got, &major, &minor, &prefix) != RB_OK) {
        fclose(f);
        return RB_ERR;
    }
    size_t hlen = major == 1 ? (size_t)pre[8] | (size_t)pre[9] << 8 : (size_t)rb_le32(pre + 8);
    size_t want = hlen > RB_NPY_MAX_HEADER ? prefix : prefix + hlen; /* parser reports the size */
    unsigned char *buf = rb_malloc(want, "npy header");
    if (!buf) {
        fclose(f);
        return RB_ERR;
    }
    memcpy(buf, pre, got < want ? got : want);
    size_t have = got < want ? got : want;
    if (have < want) have += fread(buf + have, 1, want - have, f);
    int rc = rb_npy_parse_header(buf, have, h);
    free(buf);
    if (rc != RB_OK || fseek(f, (long)h->data_offset, SEEK_SET) != 0) {
        if (rc == RB_OK) rb_fail("cannot seek to the data: %s", strerror(errno));
        fclose(f);
        return RB_ERR;
    }
    size_t size = (size_t)st.st_size, need = h->data_offset + h->data_bytes;
    if (size < need) {
        fclose(f);
        return rb_fail("truncated data: shape (%lld, %lld) needs %zu bytes after the header, only %zu present",
                       (long long)h->rows, (long long)h->cols, h->data_bytes, size - h->data_offset);
    }
    if (size > need) {
        fclose(f);
        return rb_fail("%zu bytes of trailing garbage after the declared data", size - need);
    }
    *fp = f;
    return RB_OK;
}

int rb_npy_read_header(const char *path, rb_npy_header *h) {
    FILE *f;
    RB_TRY_CTX(rb_npy_open(path, &f, h), "%s", path);
    fclose(f);
    return RB_OK;
}

static int rb_npy_load_open(FILE *f, const rb_npy_header *h, int64_t n_rows, float *dst, size_t row_stride) {
    size_t row_bytes = (size_t)h->cols * (size_t)h->dtype;
    if (n_rows == 0 || row_bytes == 0) return RB_OK;
    size_t chunk = row_bytes >= (1u << 16) ? 1 : (1u << 16) / row_bytes;
    if (chunk > (size_t)n_rows) chunk = (size_t)n_rows;
    unsigned char *buf = rb_malloc(chunk * row_bytes, "npy read buffer");
    if (!buf) return RB_ERR;
    int rc = RB_OK;
    for (int64_t r = 0; r < n_rows && rc == RB_OK; r += (int64_t)chunk) {
        size_t n = (size_t)(n_rows - r) < chunk ? (size_t)(n_rows - r) : chunk;
        if (fread(buf, row_bytes, n, f) != n) rc = rb_fail("truncated data: read failed at row %lld", (long long)r);
        else rc = rb_npy_convert(buf, h, r, (int64_t)n, dst + (size_t)r * row_stride, row_stride);
    }
    free(buf);
    return rc;
}

int rb_npy_load_rows_f32(const char *path, const rb_npy_header *expect, int64_t n_rows, float *dst,
                         size_t row_stride) {
    FILE *f;
    rb_npy_header h;
    RB_TRY_CTX(rb_npy_open(path, &f, &h), "%s", path);
    int rc = RB_OK;
    if (h.dtype != expect->dtype || h.rows != expect->rows || h.cols != expect->cols ||
        h.data_offset != expect->data_offset)
        rc = rb_fail("file changed while being read (shape now (%lld, %lld))", (long long)h.rows, (long long)h.cols);
    else if (n_rows < 0 || n_rows > h.rows)
        rc = rb_fail("asked for %lld rows, the file has %lld", (long long)n_rows, (long long)h.rows);
    else if (row_stride < (size_t)h.cols)
        rc = rb_fail("row stride %zu is smaller than the %lld columns", row_stride, (long long)h.cols);
    else
        rc = rb_npy_load_open(f, &h, n_rows, dst, row_stride);
    fclose(f);
    if (rc != RB_OK) return rb_context("%s", path);
    return RB_OK;
}

int rb_npy_read_f32(const char *path, float **data, int64_t *rows, int64_t *cols) {
    *data = NULL;
    rb_npy_header h;
    RB_TRY(rb_npy_read_header(path, &h));
    float *out = rb_malloc(h.data_bytes / (size_t)h.dtype * sizeof(float), "npy data");
    if (!out) return rb_context("%s", path);
    if (rb_npy_load_rows_f32(path, &h, h.rows, out, (size_t)h.cols) != RB_OK) {
        free(out);
        return RB_ERR;
    }
    *data = out;
    *rows = h.rows;
    *cols = h.cols;
    return RB_OK;
}

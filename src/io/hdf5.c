/* hdf5.c - checked HDF5 helpers (rb_io.h). The HDF5 error stack printing is switched off: every
 * failure is turned into one robusta error message naming the file and object. In a file opened
 * with MPI-IO the helpers keep the MPI error discipline of rb_core.h: the ranks agree on success
 * (rb_mpi_agree over the file's communicator) before each collective HDF5 call, so a failure on one
 * rank (an allocation, a write to a full disk) never leaves another rank inside a collective. */
#include "rb_io.h"
#include "rb_core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void rb_h5_quiet(void) {
    static int done = 0;
    if (!done) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        done = 1;
    }
}

static MPI_Comm rb_h5_comm(hid_t loc);
static int rb_h5_agree_comm(int rc, MPI_Comm comm);
static void rb_h5_comm_free(MPI_Comm *comm);

static hid_t rb_h5_mem_type(rb_h5_type t) {
    switch (t) {
    case RB_H5_F32: return H5T_NATIVE_FLOAT;
    case RB_H5_F64: return H5T_NATIVE_DOUBLE;
    case RB_H5_I32: return H5T_NATIVE_INT32;
    case RB_H5_I64: return H5T_NATIVE_INT64;
    case RB_H5_U8: return H5T_NATIVE_UINT8;
    }
    return H5T_NATIVE_FLOAT;
}

static hid_t rb_h5_file_type(rb_h5_type t) {
    switch (t) {
    case RB_H5_F32: return H5T_IEEE_F32LE;
    case RB_H5_F64: return H5T_IEEE_F64LE;
    case RB_H5_I32: return H5T_STD_I32LE;
    case RB_H5_I64: return H5T_STD_I64LE;
    case RB_H5_U8: return H5T_STD_U8LE;
    }
    return H5T_IEEE_F32LE;
}

static const char *rb_h5_type_name(rb_h5_type t) {
    switch (t) {
    case RB_H5_F32: return "float32";
    case RB_H5_F64: return "float64";
    case RB_H5_I32: return "int32";
    case RB_H5_I64: return "int64";
    case RB_H5_U8: return "uint8";
    }
    return "?";
}

static size_t rb_h5_type_size(rb_h5_type t) {
    switch (t) {
    case RB_H5_F32: case RB_H5_I32: return 4;
    case RB_H5_F64: case RB_H5_I64: return 8;
    case RB_H5_U8: return 1;
    }
    return 4;
}

static hid_t rb_h5_fapl(MPI_Comm comm) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (comm != MPI_COMM_NULL) H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
    return fapl;
}

int rb_h5_create(const char *path, MPI_Comm comm, hid_t *file) {
    rb_h5_quiet();
    hid_t fapl = rb_h5_fapl(comm);
    /* H5F_ACC_EXCL: O_CREAT|O_EXCL, so an existing file or a symbolic link at path is an error */
    *file = H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (*file < 0) return rb_fail("%s: cannot create the HDF5 file (it exists, or directory missing or not writable?)", path);
    return RB_OK;
}

int rb_h5_create_tmp(const char *path, MPI_Comm comm, hid_t *file, char *tmp, size_t cap) {
    rb_h5_quiet();
    *file = -1;
    int rank = 0;
    if (comm != MPI_COMM_NULL) MPI_Comm_rank(comm, &rank);
    /* rank 0 (or the serial caller) creates the empty temporary under a fresh name, exclusively */
    int ok = 1, fd = -1;
    if (rank == 0) {
        ok = rb_create_temp(path, tmp, cap, &fd) == RB_OK;
        if (ok) close(fd);
    }
    if (comm != MPI_COMM_NULL) {
        /* every rank learns the name, or that there is none; then all or none call H5Fcreate */
        int len = ok && rank == 0 ? (int)strlen(tmp) + 1 : 0;
        MPI_Bcast(&len, 1, MPI_INT, 0, comm);
        ok = len > 0 && (size_t)len <= cap;
        if (ok) MPI_Bcast(tmp, len, MPI_CHAR, 0, comm);
        if (!ok && rank != 0) return rb_fail("%s: rank 0 could not create the temporary file", path);
    }
    if (!ok) return RB_ERR;
    /* the file exists (ours, a regular file under a name nobody could predict): truncate-open it */
    hid_t fapl = rb_h5_fapl(comm);
    *file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    int created = *file >= 0;
    if (comm != MPI_COMM_NULL) {
        int all = created;
        MPI_Allreduce(&created, &all, 1, MPI_INT, MPI_MIN, comm);
        /* created on some ranks only: its collective close could never complete, so the handle is
         * left open; every rank returns the error below (the same on each) */
        if (!all) created = 0;
    }
    if (!created) {
        *file = -1;
        if (rank == 0) unlink(tmp);
        return rb_fail("%s: cannot create the HDF5 file (directory not writable or file system full?)", tmp);
    }
    return RB_OK;
}

int rb_h5_open_read(const char *path, MPI_Comm comm, hid_t *file) {
    rb_h5_quiet();
    struct stat st;
    if (stat(path, &st) != 0) return rb_fail("%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode)) return rb_fail("%s: not a regular file", path);
    if (H5Fis_hdf5(path) <= 0)
        return rb_fail("%s: not an HDF5 file (or truncated/corrupt)", path);
    hid_t fapl = rb_h5_fapl(comm);
    *file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (*file < 0) return rb_fail("%s: cannot open as HDF5 (truncated or corrupt?)", path);
    return RB_OK;
}

int rb_h5_open_rw(const char *path, hid_t *file) {
    rb_h5_quiet();
    if (access(path, R_OK | W_OK) != 0) return rb_fail("%s: %s", path, strerror(errno));
    *file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (*file < 0) return rb_fail("%s: cannot open as HDF5 for writing", path);
    return RB_OK;
}

static int rb_h5_broken = 0;

int rb_h5_unusable(void) { return rb_h5_broken; }

int rb_h5_close(hid_t file, const char *path) {
    MPI_Comm comm = rb_h5_comm(file);
    /* flush first (collective), so a full disk is reported as such; after a failed flush the close
     * fails too and leaves HDF5 with a half-closed file (rb_h5_unusable) */
    int rc = H5Fflush(file, H5F_SCOPE_GLOBAL) < 0 ? rb_fail("%s: writing the HDF5 file failed (disk full?)", path) : RB_OK;
    rc = rb_h5_agree_comm(rc, comm);
    if (H5Fclose(file) < 0 && rc == RB_OK) rc = rb_fail("%s: closing the HDF5 file failed (disk full?)", path);
    if (rc != RB_OK) rb_h5_broken = 1;
    rb_h5_comm_free(&comm);
    return rc;
}

int rb_h5_exists(hid_t loc, const char *path) {
    rb_h5_quiet();
    /* check each component so a missing intermediate group is "absent", not an error */
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + (buf[0] == '/'); ; p++) {
        if (*p == '/' || *p == '\0') {
            char save = *p;
            *p = '\0';
            if (H5Lexists(loc, buf, H5P_DEFAULT) <= 0) return 0;
            if (save == '\0') return 1;
            *p = save;
        }
    }
}

int rb_h5_group(hid_t loc, const char *path, hid_t *group) {
    rb_h5_quiet();
    if (rb_h5_exists(loc, path)) {
        *group = H5Gopen2(loc, path, H5P_DEFAULT);
    } else {
        hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
        H5Pset_create_intermediate_group(lcpl, 1);
        *group = H5Gcreate2(loc, path, lcpl, H5P_DEFAULT, H5P_DEFAULT);
        H5Pclose(lcpl);
    }
    int rc = *group < 0 ? rb_fail("cannot create or open HDF5 group %s", path) : RB_OK;
    if (rb_h5_agree(loc, rc) != RB_OK) { /* every rank or none goes on with the group */
        if (*group >= 0) H5Gclose(*group);
        *group = -1;
        return RB_ERR;
    }
    return RB_OK;
}

/* The communicator of a file opened with MPI-IO (a duplicate: free it with MPI_Comm_free), or
 * MPI_COMM_NULL for a serial file. Collective for an MPI-IO file (every rank calls it in turn). */
static MPI_Comm rb_h5_comm(hid_t loc) {
    MPI_Comm comm = MPI_COMM_NULL;
    hid_t file = H5Iget_file_id(loc);
    hid_t fapl = H5Fget_access_plist(file);
    if (H5Pget_driver(fapl) == H5FD_MPIO) {
        MPI_Info info = MPI_INFO_NULL;
        H5Pget_fapl_mpio(fapl, &comm, &info);
        if (info != MPI_INFO_NULL) MPI_Info_free(&info);
    }
    H5Pclose(fapl);
    H5Fclose(file);
    return comm;
}

/* The agreement of the ranks of comm on rc (rb_mpi_agree); rc itself for a serial file. */
static int rb_h5_agree_comm(int rc, MPI_Comm comm) { return comm == MPI_COMM_NULL ? rc : rb_mpi_agree(rc, &comm); }

static void rb_h5_comm_free(MPI_Comm *comm) {
    if (*comm != MPI_COMM_NULL) MPI_Comm_free(comm);
}

int rb_h5_agree(hid_t loc, int rc) {
    MPI_Comm comm = rb_h5_comm(loc);
    rc = rb_h5_agree_comm(rc, comm);
    rb_h5_comm_free(&comm);
    return rc;
}

int rb_h5_fault_write(hid_t loc, const char *name) {
    char label[2048] = "", obj[1024] = "";
    if (H5Fget_name(loc, label, sizeof label) < 0) label[0] = '\0';
    if (H5Iget_name(loc, obj, sizeof obj) < 0 || strcmp(obj, "/") == 0) obj[0] = '\0';
    size_t used = strlen(label);
    snprintf(label + used, sizeof label - used, "%s%s%s", obj, name[0] ? "/" : "", name);
    return rb_fault_write(label);
}

int rb_h5_write(hid_t loc, const char *name, rb_h5_type type, int rank, const hsize_t *dims, const void *data) {
    rb_h5_quiet();
    int my_rank = 0;
    MPI_Comm comm = rb_h5_comm(loc);
    int parallel = comm != MPI_COMM_NULL;
    if (parallel) MPI_Comm_rank(comm, &my_rank);
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hsize_t total = 1;
    for (int i = 0; i < rank; i++) total *= dims[i];
    if (rank >= 2 && total > 65536 && dims[0] > 0) {
        /* row-block chunks of about 4 MiB: efficient whole-array and per-video reads */
        hsize_t chunk[8];
        hsize_t row = rb_h5_type_size(type);
        for (int i = 1; i < rank; i++) row *= dims[i];
        chunk[0] = (4u << 20) / (row ? row : 1);
        if (chunk[0] < 1) chunk[0] = 1;
        if (chunk[0] > dims[0]) chunk[0] = dims[0];
        for (int i = 1; i < rank; i++) chunk[i] = dims[i];
        H5Pset_chunk(dcpl, rank, chunk);
    }
    hid_t ds = H5Dcreate2(loc, name, rb_h5_file_type(type), space, H5P_DEFAULT, dcpl, H5P_DEFAULT); /* collective */
    H5Pclose(dcpl);
    int rc = ds < 0 ? rb_fail("cannot create dataset %s", name) : RB_OK;
    if (rb_h5_agree_comm(rc, comm) != RB_OK) { /* every rank leaves before the write */
        if (ds >= 0) H5Dclose(ds);
        H5Sclose(space);
        rb_h5_comm_free(&comm);
        return RB_ERR;
    }
    herr_t st = 0;
    if (total > 0) {
        if (parallel && my_rank != 0) H5Sselect_none(space);
        hid_t mem = parallel && my_rank != 0 ? H5Scopy(space) : H5S_ALL;
        if (parallel && my_rank != 0) H5Sselect_none(mem);
        st = H5Dwrite(ds, rb_h5_mem_type(type), mem, parallel ? space : H5S_ALL, H5P_DEFAULT, data);
        if (mem != H5S_ALL) H5Sclose(mem);
    }
    if (rb_fault_active && rb_h5_fault_write(ds, "")) st = -1;
    H5Sclose(space);
    if (H5Dclose(ds) < 0) st = -1; /* collective: every rank closes */
    rc = st < 0 ? rb_fail("writing dataset %s failed (disk full?)", name) : RB_OK;
    rc = rb_h5_agree_comm(rc, comm);
    rb_h5_comm_free(&comm);
    return rc;
}

/* Open a dataset and check its element type and rank; fills dims. */
static int rb_h5_open_checked(hid_t loc, const char *name, rb_h5_type type, int rank, hsize_t *dims,
                              hid_t *ds_out, const char *what) {
    rb_h5_quiet();
    if (!rb_h5_exists(loc, name)) return rb_fail("%s: dataset %s is missing", what, name);
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0) return rb_fail("%s: cannot open dataset %s", what, name);
    hid_t ftype = H5Dget_type(ds);
    H5T_class_t cls = H5Tget_class(ftype);
    size_t size = H5Tget_size(ftype);
    H5T_sign_t sign = cls == H5T_INTEGER ? H5Tget_sign(ftype) : H5T_SGN_ERROR;
    H5Tclose(ftype);
    int want_float = type == RB_H5_F32 || type == RB_H5_F64;
    int ok = want_float ? cls == H5T_FLOAT : cls == H5T_INTEGER;
    ok = ok && size == rb_h5_type_size(type);
    if (ok && !want_float) ok = (type == RB_H5_U8) ? sign == H5T_SGN_NONE || size == 1 : sign == H5T_SGN_2;
    if (!ok) {
        H5Dclose(ds);
        return rb_fail("%s: dataset %s has the wrong element type (expected %s)", what, name, rb_h5_type_name(type));
    }
    hid_t space = H5Dget_space(ds);
    int r = H5Sget_simple_extent_ndims(space);
    if (r != rank) {
        H5Sclose(space);
        H5Dclose(ds);
        return rb_fail("%s: dataset %s has rank %d, expected %d", what, name, r, rank);
    }
    H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    *ds_out = ds;
    return RB_OK;
}

int rb_h5_read(hid_t loc, const char *name, rb_h5_type type, int rank, hsize_t *dims, void **data,
               const char *what) {
    hid_t ds;
    *data = NULL;
    RB_TRY(rb_h5_open_checked(loc, name, type, rank, dims, &ds, what));
    size_t total = 1;
    int ok = 1;
    for (int i = 0; i < rank; i++) total = rb_size_mul(total, (size_t)dims[i], &ok);
    total = rb_size_mul(total, rb_h5_type_size(type), &ok);
    if (!ok) {
        H5Dclose(ds);
        return rb_context("%s: dataset %s", what, name);
    }
    void *buf = rb_malloc(total, name);
    if (!buf) {
        H5Dclose(ds);
        return rb_context("%s", what);
    }
    herr_t st = total ? H5Dread(ds, rb_h5_mem_type(type), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0;
    H5Dclose(ds);
    if (st < 0) {
        free(buf);
        return rb_fail("%s: reading dataset %s failed (file truncated or corrupt?)", what, name);
    }
    *data = buf;
    return RB_OK;
}

int rb_h5_read_rows(hid_t loc, const char *name, rb_h5_type type, int rank, const hsize_t *dims,
                    hsize_t row0, hsize_t nrows, void *buf, const char *what) {
    hid_t ds;
    hsize_t actual[8];
    RB_TRY(rb_h5_open_checked(loc, name, type, rank, actual, &ds, what));
    for (int i = 0; i < rank; i++)
        if (actual[i] != dims[i]) {
            H5Dclose(ds);
            return rb_fail("%s: dataset %s changed shape", what, name);
        }
    if (row0 + nrows > dims[0]) {
        H5Dclose(ds);
        return rb_fail("%s: rows %llu..%llu of %s out of range", what, (unsigned long long)row0,
                       (unsigned long long)(row0 + nrows), name);
    }
    hsize_t start[8] = {0}, count[8];
    start[0] = row0;
    count[0] = nrows;
    for (int i = 1; i < rank; i++) count[i] = dims[i];
    hid_t fspace = H5Dget_space(ds);
    H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL);
    hid_t mspace = H5Screate_simple(rank, count, NULL);
    herr_t st = nrows ? H5Dread(ds, rb_h5_mem_type(type), mspace, fspace, H5P_DEFAULT, buf) : 0;
    H5Sclose(mspace);
    H5Sclose(fspace);
    H5Dclose(ds);
    if (st < 0) return rb_fail("%s: reading rows of %s failed (file truncated or corrupt?)", what, name);
    return RB_OK;
}

int rb_h5_write_strings(hid_t loc, const char *name, char *const *strings, int64_t n) {
    rb_h5_quiet();
    MPI_Comm comm = rb_h5_comm(loc);
    int my_rank = 0, parallel = comm != MPI_COMM_NULL;
    if (parallel) MPI_Comm_rank(comm, &my_rank);
    size_t width = 1;
    for (int64_t i = 0; i < n; i++) {
        size_t l = strlen(strings[i]);
        if (l > width) width = l;
    }
    char *buf = rb_calloc((size_t)(n ? n : 1), width, "string column");
    if (rb_h5_agree_comm(buf ? RB_OK : RB_ERR, comm) != RB_OK) { /* no rank creates the dataset */
        free(buf);
        rb_h5_comm_free(&comm);
        return rb_context("writing string column %s", name);
    }
    for (int64_t i = 0; i < n; i++) memcpy(buf + (size_t)i * width, strings[i], strlen(strings[i]));
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, width);
    H5Tset_strpad(st, H5T_STR_NULLPAD);
    hsize_t dims[1] = {(hsize_t)n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t ds = H5Dcreate2(loc, name, st, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT); /* collective */
    int rc = rb_h5_agree_comm(ds < 0 ? rb_fail("cannot create string column %s", name) : RB_OK, comm);
    herr_t w = -1;
    if (rc == RB_OK) {
        if (parallel && my_rank != 0) {
            H5Sselect_none(space);
            w = H5Dwrite(ds, st, space, space, H5P_DEFAULT, buf);
        } else {
            w = n ? H5Dwrite(ds, st, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0;
        }
        if (rb_fault_active && rb_h5_fault_write(ds, "")) w = -1;
    }
    if (ds >= 0 && H5Dclose(ds) < 0) w = -1; /* collective: every rank that created it closes */
    H5Sclose(space);
    H5Tclose(st);
    free(buf);
    if (rc == RB_OK) rc = rb_h5_agree_comm(w < 0 ? rb_fail("writing string column %s failed (disk full?)", name) : RB_OK, comm);
    rb_h5_comm_free(&comm);
    return rc;
}

int rb_h5_read_strings(hid_t loc, const char *name, int64_t expected_n, char ***strings, const char *what) {
    *strings = NULL;
    if (!rb_h5_exists(loc, name)) return rb_fail("%s: dataset %s is missing", what, name);
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0) return rb_fail("%s: cannot open %s", what, name);
    hid_t ft = H5Dget_type(ds);
    int is_str = H5Tget_class(ft) == H5T_STRING && !H5Tis_variable_str(ft);
    size_t width = H5Tget_size(ft);
    H5Tclose(ft);
    hid_t space = H5Dget_space(ds);
    hsize_t dims[1] = {0};
    int r = H5Sget_simple_extent_ndims(space);
    if (r == 1) H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    if (!is_str || r != 1 || (int64_t)dims[0] != expected_n) {
        H5Dclose(ds);
        return rb_fail("%s: %s should be %lld fixed-length strings", what, name, (long long)expected_n);
    }
    char *buf = rb_calloc((size_t)(expected_n ? expected_n : 1), width + 1, "string column");
    char **out = rb_calloc((size_t)(expected_n ? expected_n : 1), sizeof *out, "strings");
    if (!buf || !out) {
        free(buf);
        free(out);
        H5Dclose(ds);
        return rb_context("%s", what);
    }
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, width);
    H5Tset_strpad(mt, H5T_STR_NULLPAD);
    herr_t st = expected_n ? H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0;
    H5Tclose(mt);
    H5Dclose(ds);
    int rc = RB_OK;
    if (st < 0) rc = rb_fail("%s: reading %s failed (file truncated or corrupt?)", what, name);
    for (int64_t i = 0; rc == RB_OK && i < expected_n; i++) {
        size_t len = strnlen(buf + (size_t)i * width, width);
        out[i] = rb_malloc(len + 1, "string");
        if (!out[i]) {
            rc = RB_ERR;
            break;
        }
        memcpy(out[i], buf + (size_t)i * width, len);
        out[i][len] = '\0';
    }
    free(buf);
    if (rc != RB_OK) {
        for (int64_t i = 0; i < expected_n; i++) free(out[i]);
        free(out);
        return RB_ERR;
    }
    *strings = out;
    return RB_OK;
}

int rb_h5_attr_string(hid_t loc, const char *name, const char *value) {
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, strlen(value) ? strlen(value) : 1);
    H5Tset_strpad(st, H5T_STR_NULLPAD);
    hid_t space = H5Screate(H5S_SCALAR);
    if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
    hid_t a = H5Acreate2(loc, name, st, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t w = a >= 0 ? H5Awrite(a, st, strlen(value) ? value : "") : -1;
    if (a >= 0) H5Aclose(a);
    H5Sclose(space);
    H5Tclose(st);
    return rb_h5_agree(loc, w < 0 ? rb_fail("writing attribute %s failed", name) : RB_OK);
}

static int rb_h5_attr_num(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *v) {
    hid_t space = H5Screate(H5S_SCALAR);
    if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
    hid_t a = H5Acreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t w = a >= 0 ? H5Awrite(a, mtype, v) : -1;
    if (a >= 0) H5Aclose(a);
    H5Sclose(space);
    return rb_h5_agree(loc, w < 0 ? rb_fail("writing attribute %s failed", name) : RB_OK);
}

int rb_h5_attr_int64(hid_t loc, const char *name, int64_t value) {
    return rb_h5_attr_num(loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

int rb_h5_attr_double(hid_t loc, const char *name, double value) {
    return rb_h5_attr_num(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

int rb_h5_get_attr_string(hid_t loc, const char *name, char **value, const char *what) {
    *value = NULL;
    if (H5Aexists(loc, name) <= 0) return rb_fail("%s: attribute %s is missing", what, name);
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t ft = H5Aget_type(a);
    if (H5Tget_class(ft) != H5T_STRING || H5Tis_variable_str(ft)) {
        H5Tclose(ft);
        H5Aclose(a);
        return rb_fail("%s: attribute %s is not a fixed-length string", what, name);
    }
    size_t width = H5Tget_size(ft);
    char *buf = rb_calloc(width + 1, 1, name);
    herr_t st = buf ? H5Aread(a, ft, buf) : -1;
    H5Tclose(ft);
    H5Aclose(a);
    if (st < 0) {
        free(buf);
        return rb_fail("%s: reading attribute %s failed", what, name);
    }
    *value = buf;
    return RB_OK;
}

int rb_h5_get_attr_int64(hid_t loc, const char *name, int64_t *value, const char *what) {
    if (H5Aexists(loc, name) <= 0) return rb_fail("%s: attribute %s is missing", what, name);
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t ft = H5Aget_type(a);
    int ok = H5Tget_class(ft) == H5T_INTEGER;
    H5Tclose(ft);
    herr_t st = ok ? H5Aread(a, H5T_NATIVE_INT64, value) : -1;
    H5Aclose(a);
    if (st < 0) return rb_fail("%s: attribute %s should be an integer", what, name);
    return RB_OK;
}

int rb_h5_publish(const char *tmp, const char *path) {
    if (rename(tmp, path) != 0) return rb_fail("renaming %s to %s: %s", tmp, path, strerror(errno));
    return RB_OK;
}

/* h5poke.c - a test tool (bin/robusta-h5poke) that edits one value of an HDF5 file in place, as an
 * adversarial user would with h5py, so the end-to-end tests can show that audit --check, audit and
 * report detect edited results files (tests/e2e/safe_files.sh). Not installed; not used by robusta.
 *   robusta-h5poke FILE set-f64 DATASET ROW VALUE     e.g. /cells/ap 3 0.999 (ROW "all": every row; for a
 *                                                     dataset of rank > 1, ROW counts elements in row-major order)
 *   robusta-h5poke FILE swap-str DATASET ROW1 ROW2    exchange two rows of a fixed-length string column
 *   robusta-h5poke FILE set-str DATASET ROW TEXT      overwrite one row of a fixed-length string column
 *                                                     (TEXT no longer than the column's width) */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void) {
    fprintf(stderr, "usage: robusta-h5poke FILE set-f64 DATASET ROW|all VALUE | FILE swap-str DATASET ROW1 ROW2 | "
                    "FILE set-str DATASET ROW TEXT\n");
    return 2;
}

static int set_f64(hid_t ds, const char *row, double value) {
    hid_t space = H5Dget_space(ds);
    hsize_t n = (hsize_t)H5Sget_simple_extent_npoints(space); /* any rank: ROW is the row-major element index */
    double *v = malloc(sizeof(double) * (n ? n : 1));
    int rc = !v || H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0;
    if (!rc) {
        if (strcmp(row, "all") == 0)
            for (hsize_t i = 0; i < n; i++) v[i] = value;
        else if ((hsize_t)atoll(row) < n) v[atoll(row)] = value;
        else rc = 1;
    }
    if (!rc) rc = H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0;
    free(v);
    H5Sclose(space);
    return rc;
}

static int swap_str(hid_t ds, long long r1, long long r2) {
    hid_t ft = H5Dget_type(ds);
    size_t w = H5Tget_size(ft);
    hid_t space = H5Dget_space(ds);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(space, &n, NULL);
    char *buf = calloc(n ? n : 1, w);
    int rc = !buf || r1 < 0 || r2 < 0 || (hsize_t)r1 >= n || (hsize_t)r2 >= n ||
             H5Dread(ds, ft, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0;
    if (!rc) {
        char *tmp = malloc(w);
        memcpy(tmp, buf + r1 * w, w);
        memcpy(buf + r1 * w, buf + r2 * w, w);
        memcpy(buf + r2 * w, tmp, w);
        free(tmp);
        rc = H5Dwrite(ds, ft, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0;
    }
    free(buf);
    H5Sclose(space);
    H5Tclose(ft);
    return rc;
}

static int set_str(hid_t ds, long long row, const char *text) {
    hid_t ft = H5Dget_type(ds);
    size_t w = H5Tget_size(ft);
    hid_t space = H5Dget_space(ds);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(space, &n, NULL);
    char *buf = calloc(n ? n : 1, w);
    int rc = !buf || row < 0 || (hsize_t)row >= n || strlen(text) > w ||
             H5Dread(ds, ft, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0;
    if (!rc) {
        memset(buf + row * w, 0, w);
        memcpy(buf + row * w, text, strlen(text));
        rc = H5Dwrite(ds, ft, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0;
    }
    free(buf);
    H5Sclose(space);
    H5Tclose(ft);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 6) return usage();
    hid_t f = H5Fopen(argv[1], H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return fprintf(stderr, "robusta-h5poke: cannot open %s\n", argv[1]), 1;
    hid_t ds = H5Dopen2(f, argv[3], H5P_DEFAULT);
    int rc = 1;
    if (ds >= 0 && strcmp(argv[2], "set-f64") == 0) rc = set_f64(ds, argv[4], strtod(argv[5], NULL));
    else if (ds >= 0 && strcmp(argv[2], "swap-str") == 0) rc = swap_str(ds, atoll(argv[4]), atoll(argv[5]));
    else if (ds >= 0 && strcmp(argv[2], "set-str") == 0) rc = set_str(ds, atoll(argv[4]), argv[5]);
    else if (ds >= 0) rc = usage();
    if (ds >= 0) H5Dclose(ds);
    if (H5Fclose(f) < 0) rc = 1;
    if (rc) fprintf(stderr, "robusta-h5poke: %s %s %s failed\n", argv[1], argv[2], argv[3]);
    return rc;
}

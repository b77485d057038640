/* audit_provenance.c - the provenance half of the audit (docs/audit.md): reading /provenance of a
 * robusta output file, and comparing two of them into report lines: the effective config as a line
 * diff, the input checksums matched by path or content, and the versions, ranks and host. */
#include "rb_results.h"
#include "rb_core.h"
#include "rb_io.h"
#include "audit_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- provenance ---- */

void rb_audit_provenance_free(rb_audit_provenance *p) {
    if (!p) return;
    char **s[] = {&p->robusta_version, &p->git_commit, &p->mpi_library, &p->hdf5_version, &p->openblas_config,
                  &p->host, &p->time_utc, &p->command, &p->config};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) free(*s[i]);
    for (int i = 0; i < p->n_inputs; i++) free(p->inputs[i]);
    free(p->inputs);
    memset(p, 0, sizeof *p);
}

static int rb_opt_attr(hid_t g, const char *name, char **v, const char *path) {
    *v = NULL;
    if (H5Aexists(g, name) <= 0) return RB_OK;
    return rb_h5_get_attr_string(g, name, v, path);
}

/* A one-element fixed-length string dataset read whole (no length limit). */
static int rb_read_text(hid_t g, const char *name, char **text, const char *path) {
    *text = NULL;
    hid_t ds = H5Dopen2(g, name, H5P_DEFAULT);
    if (ds < 0) return rb_fail("%s: /provenance/%s is missing", path, name);
    hid_t ft = H5Dget_type(ds), sp = H5Dget_space(ds);
    hsize_t dims[1] = {0};
    int ok = H5Tget_class(ft) == H5T_STRING && !H5Tis_variable_str(ft) && H5Sget_simple_extent_ndims(sp) == 1;
    if (ok) H5Sget_simple_extent_dims(sp, dims, NULL);
    ok = ok && dims[0] == 1;
    size_t width = ok ? H5Tget_size(ft) : 0;
    H5Sclose(sp);
    H5Tclose(ft);
    char *buf = ok ? rb_calloc(width + 1, 1, "provenance text") : NULL;
    herr_t st = -1;
    if (buf) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, width);
        H5Tset_strpad(mt, H5T_STR_NULLPAD);
        st = H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        H5Tclose(mt);
    }
    H5Dclose(ds);
    if (!ok) return rb_fail("%s: /provenance/%s should be one fixed-length string", path, name);
    if (st < 0) {
        free(buf);
        return rb_fail("%s: reading /provenance/%s failed", path, name);
    }
    *text = buf;
    return RB_OK;
}

int rb_audit_read_provenance(const char *path, rb_audit_provenance *p) {
    memset(p, 0, sizeof *p);
    p->ranks = -1;
    hid_t file;
    RB_TRY(rb_h5_open_read(path, MPI_COMM_NULL, &file));
    if (!rb_h5_exists(file, "provenance")) {
        H5Fclose(file);
        return rb_fail("%s: /provenance is missing (not a robusta output file?)", path);
    }
    hid_t g = H5Gopen2(file, "provenance", H5P_DEFAULT);
    int rc = RB_OK;
    char **s[] = {&p->robusta_version, &p->git_commit, &p->mpi_library, &p->hdf5_version, &p->openblas_config,
                  &p->host, &p->time_utc, &p->command};
    const char *names[] = {"robusta_version", "git_commit", "mpi_library", "hdf5_version", "openblas_config",
                           "host", "time_utc", "command"};
    for (size_t i = 0; rc == RB_OK && i < sizeof s / sizeof s[0]; i++) rc = rb_opt_attr(g, names[i], s[i], path);
    if (rc == RB_OK && H5Aexists(g, "ranks") > 0) rc = rb_h5_get_attr_int64(g, "ranks", &p->ranks, path);
    if (rc == RB_OK) rc = rb_read_text(g, "config", &p->config, path);
    if (rc == RB_OK && rb_h5_exists(g, "inputs")) {
        hid_t ds = H5Dopen2(g, "inputs", H5P_DEFAULT);
        hsize_t dims[1] = {0};
        if (ds >= 0) {
            hid_t sp = H5Dget_space(ds);
            if (H5Sget_simple_extent_ndims(sp) == 1) H5Sget_simple_extent_dims(sp, dims, NULL);
            H5Sclose(sp);
            H5Dclose(ds);
        }
        rc = rb_h5_read_strings(g, "inputs", (int64_t)dims[0], &p->inputs, path);
        if (rc == RB_OK) p->n_inputs = (int)dims[0];
    }
    H5Gclose(g);
    H5Fclose(file);
    if (rc != RB_OK) {
        rb_audit_provenance_free(p);
        return rb_context("reading the provenance of %s", path);
    }
    return RB_OK;
}

/* ---- report lines ---- */

static int rb_prov_line(rb_audit_report *rep, const char *fmt, ...) RB_PRINTF(2, 3);
static int rb_prov_line(rb_audit_report *rep, const char *fmt, ...) {
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **grown = realloc(rep->prov_lines, sizeof *grown * (size_t)(rep->n_prov_lines + 1));
    if (!grown) return rb_fail("out of memory building the audit report");
    rep->prov_lines = grown;
    if (!(grown[rep->n_prov_lines] = rb_strdup(buf, "audit line"))) return RB_ERR;
    rep->n_prov_lines++;
    return RB_OK;
}

/* ---- provenance comparison ---- */

static const char *rb_or_absent(const char *s) { return s ? s : "(absent)"; }
static int rb_str_differs(const char *a, const char *b) { return strcmp(rb_or_absent(a), rb_or_absent(b)) != 0; }

/* Split text into lines (pointers into a copy). */
static int rb_split_lines(const char *text, char **copy, char ***lines, int *n) {
    *copy = rb_strdup(text ? text : "", "config text");
    if (!*copy) return RB_ERR;
    int cap = 1;
    for (const char *p = *copy; *p; p++) cap += *p == '\n';
    *lines = rb_calloc((size_t)cap + 1, sizeof **lines, "config lines");
    if (!*lines) return RB_ERR;
    *n = 0;
    char *p = *copy;
    while (*p) {
        (*lines)[(*n)++] = p;
        char *nl = strchr(p, '\n');
        if (!nl) break;
        *nl = '\0';
        p = nl + 1;
    }
    return RB_OK;
}

/* Line diff of two configs (longest common subsequence; "- n: line" for A, "+ n: line" for B). */
static int rb_diff_config(rb_audit_report *rep, const char *ca, const char *cb) {
    char *xa = NULL, *xb = NULL, **la = NULL, **lb = NULL;
    int na = 0, nb = 0, rc = RB_OK, n_diff = 0;
    int *lcs = NULL;
    if (rb_split_lines(ca, &xa, &la, &na) != RB_OK || rb_split_lines(cb, &xb, &lb, &nb) != RB_OK) rc = RB_ERR;
    if (rc == RB_OK && (int64_t)(na + 1) * (nb + 1) > 16000000) {
        rc = rb_prov_line(rep, "config: differs (too long for a line diff: %d and %d lines)", na, nb);
        goto done;
    }
    if (rc == RB_OK) lcs = rb_calloc((size_t)(na + 1) * (size_t)(nb + 1), sizeof *lcs, "config diff");
    if (!lcs) rc = RB_ERR;
    if (rc != RB_OK) goto done;
#define RB_L(i, j) lcs[(size_t)(i) * (size_t)(nb + 1) + (size_t)(j)]
    for (int i = na - 1; i >= 0; i--)
        for (int j = nb - 1; j >= 0; j--)
            RB_L(i, j) = strcmp(la[i], lb[j]) == 0 ? RB_L(i + 1, j + 1) + 1
                                                   : (RB_L(i + 1, j) >= RB_L(i, j + 1) ? RB_L(i + 1, j) : RB_L(i, j + 1));
    n_diff = na + nb - 2 * RB_L(0, 0);
    rc = rb_prov_line(rep, "config: differs (%d line%s)", n_diff, n_diff == 1 ? "" : "s");
    for (int i = 0, j = 0; rc == RB_OK && (i < na || j < nb);) {
        if (i < na && j < nb && strcmp(la[i], lb[j]) == 0) {
            i++;
            j++;
        } else if (j >= nb || (i < na && RB_L(i + 1, j) >= RB_L(i, j + 1))) {
            rc = rb_prov_line(rep, "  - %4d: %s", i + 1, la[i]);
            i++;
        } else {
            rc = rb_prov_line(rep, "  + %4d: %s", j + 1, lb[j]);
            j++;
        }
    }
#undef RB_L
done:
    free(lcs);
    free(la);
    free(lb);
    free(xa);
    free(xb);
    return rc;
}

static const char *rb_input_path(const char *line) {
    const char *p = strstr(line, "  ");
    return p ? p + 2 : line;
}

static int rb_input_sha_eq(const char *a, const char *b) {
    size_t la = strcspn(a, " "), lb = strcspn(b, " ");
    return la == lb && strncmp(a, b, la) == 0;
}

/* Inputs matched by path (changed checksum = difference); unmatched ones by checksum (moved file,
 * informational); the rest are only in A or only in B. */
static int rb_diff_inputs(rb_audit_report *rep, const rb_audit_provenance *pa, const rb_audit_provenance *pb) {
    int na = pa->n_inputs, nb = pb->n_inputs;
    char *used_a = rb_calloc((size_t)na + 1, 1, "inputs"), *used_b = rb_calloc((size_t)nb + 1, 1, "inputs");
    if (!used_a || !used_b) {
        free(used_a);
        free(used_b);
        return RB_ERR;
    }
    int rc = RB_OK, differ = 0, first = 1;
    for (int pass = 0; pass < 2 && rc == RB_OK; pass++)
        for (int i = 0; i < na && rc == RB_OK; i++) {
            if (used_a[i]) continue;
            for (int j = 0; j < nb && rc == RB_OK; j++) {
                if (used_b[j]) continue;
                int same_path = strcmp(rb_input_path(pa->inputs[i]), rb_input_path(pb->inputs[j])) == 0;
                int same_sha = rb_input_sha_eq(pa->inputs[i], pb->inputs[j]);
                if (pass == 0 ? !same_path : !same_sha) continue;
                used_a[i] = used_b[j] = 1;
                if (pass == 0 && !same_sha) {
                    if (first) rc = rb_prov_line(rep, "inputs: differ");
                    first = 0;
                    differ = 1;
                    if (rc == RB_OK) rc = rb_prov_line(rep, "  changed: %s", rb_input_path(pa->inputs[i]));
                    if (rc == RB_OK) rc = rb_prov_line(rep, "    - %s", pa->inputs[i]);
                    if (rc == RB_OK) rc = rb_prov_line(rep, "    + %s", pb->inputs[j]);
                } else if (pass == 1 && !same_path) {
                    rc = rb_prov_line(rep, "inputs: same content, different path (informational): %s -> %s",
                                      rb_input_path(pa->inputs[i]), rb_input_path(pb->inputs[j]));
                }
                break;
            }
        }
    for (int i = 0; i < na && rc == RB_OK; i++)
        if (!used_a[i]) {
            if (first) rc = rb_prov_line(rep, "inputs: differ");
            first = 0;
            differ = 1;
            if (rc == RB_OK) rc = rb_prov_line(rep, "  only in A: %s", pa->inputs[i]);
        }
    for (int j = 0; j < nb && rc == RB_OK; j++)
        if (!used_b[j]) {
            if (first) rc = rb_prov_line(rep, "inputs: differ");
            first = 0;
            differ = 1;
            if (rc == RB_OK) rc = rb_prov_line(rep, "  only in B: %s", pb->inputs[j]);
        }
    if (rc == RB_OK && !differ) rc = rb_prov_line(rep, "inputs: identical checksums (%d file%s)", na, na == 1 ? "" : "s");
    rep->inputs_differ = differ;
    free(used_a);
    free(used_b);
    return rc;
}

int rb_audit_compare_provenance(rb_audit_report *rep, const rb_audit_provenance *pa, const rb_audit_provenance *pb) {
    if (rb_str_differs(pa->config, pb->config)) {
        rep->config_differs = 1;
        RB_TRY(rb_diff_config(rep, pa->config, pb->config));
    } else {
        RB_TRY(rb_prov_line(rep, "config: identical"));
    }
    RB_TRY(rb_diff_inputs(rep, pa, pb));
    const char *va[] = {pa->robusta_version, pa->git_commit, pa->mpi_library, pa->hdf5_version, pa->openblas_config};
    const char *vb[] = {pb->robusta_version, pb->git_commit, pb->mpi_library, pb->hdf5_version, pb->openblas_config};
    const char *vn[] = {"robusta_version", "git_commit", "mpi_library", "hdf5_version", "openblas_config"};
    int first = 1;
    for (int i = 0; i < 5; i++)
        if (rb_str_differs(va[i], vb[i])) {
            if (first) RB_TRY(rb_prov_line(rep, "versions: differ"));
            first = 0;
            rep->versions_differ = 1;
            RB_TRY(rb_prov_line(rep, "  %s: %s  vs  %s", vn[i], rb_or_absent(va[i]), rb_or_absent(vb[i])));
        }
    if (first) RB_TRY(rb_prov_line(rep, "versions: identical (robusta %s, commit %s)", rb_or_absent(pa->robusta_version),
                                   rb_or_absent(pa->git_commit)));
    if (pa->ranks != pb->ranks) RB_TRY(rb_prov_line(rep, "ranks: %lld vs %lld (informational)", (long long)pa->ranks,
                                                    (long long)pb->ranks));
    if (rb_str_differs(pa->host, pb->host))
        RB_TRY(rb_prov_line(rep, "host: %s vs %s (informational)", rb_or_absent(pa->host), rb_or_absent(pb->host)));
    return RB_OK;
}

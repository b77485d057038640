/* audit.c - comparison of two benchmark results (rb_audit.h, docs/audit.md): metric cells matched by
 * key, per-metric tolerances (default bitwise), missing and extra cells, and the provenance
 * (effective config as a line diff, input checksums, versions). Also reads /provenance. */
#include "rb_results.h"
#include "rb_core.h"
#include "rb_io.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const rb_metric_names[RB_AUDIT_N_METRICS] = {
    "ap", "ap_step", "roc_auc", "detect_auc_visual", "detect_auc_audio", "weight_visual", "weight_audio"};

const char *rb_audit_metric_name(rb_audit_metric m) {
    return (int)m >= 0 && m < RB_AUDIT_N_METRICS ? rb_metric_names[m] : "?";
}

/* ---- options ---- */

void rb_audit_defaults(rb_audit_options *o, int reference) {
    memset(o, 0, sizeof *o);
    o->reference = reference;
    o->n_worst = 10;
    for (int m = 0; m < RB_AUDIT_N_METRICS; m++) o->tolerance[m] = reference ? RB_AUDIT_REFERENCE_TOL : 0.0;
}

static int rb_parse_tol(const char *s, double *v) {
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end != '\0' || errno || !isfinite(x) || x < 0)
        return rb_fail("tolerance: expected a finite number >= 0, got '%s'", s);
    *v = x;
    return RB_OK;
}

int rb_audit_set_tolerance(rb_audit_options *o, const char *value) {
    double v;
    RB_TRY(rb_parse_tol(value, &v));
    for (int m = 0; m < RB_AUDIT_N_METRICS; m++) o->tolerance[m] = v;
    return RB_OK;
}

int rb_audit_parse_tolerances(rb_audit_options *o, const char *spec) {
    char buf[1024];
    if (strlen(spec) >= sizeof buf) return rb_fail("metric tolerances: specification too long");
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) return rb_fail("metric tolerances: expected name=value, got '%s'", tok);
        *eq = '\0';
        double v;
        RB_TRY_CTX(rb_parse_tol(eq + 1, &v), "metric tolerance %s", tok);
        int hit = 0;
        for (int m = 0; m < RB_AUDIT_N_METRICS; m++) {
            size_t n = strlen(tok);
            int both = (strcmp(tok, "detect_auc") == 0 || strcmp(tok, "weight") == 0) &&
                       strncmp(rb_metric_names[m], tok, n) == 0 && rb_metric_names[m][n] == '_';
            if (both || strcmp(tok, rb_metric_names[m]) == 0) {
                o->tolerance[m] = v;
                hit = 1;
            }
        }
        if (!hit)
            return rb_fail("metric tolerances: unknown metric '%s' (expected ap, ap_step, roc_auc, detect_auc, "
                           "detect_auc_visual, detect_auc_audio, weight, weight_visual, weight_audio)", tok);
    }
    return RB_OK;
}

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

/* ---- report building ---- */

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

static int rb_push_diff(rb_audit_diff **arr, int64_t *n, int64_t *cap, const rb_audit_diff *d) {
    if (*n == *cap) {
        int64_t nc = *cap ? 2 * *cap : 64;
        rb_audit_diff *g = realloc(*arr, sizeof *g * (size_t)nc);
        if (!g) return rb_fail("out of memory building the audit report");
        *arr = g;
        *cap = nc;
    }
    (*arr)[(*n)++] = *d;
    return RB_OK;
}

void rb_audit_report_free(rb_audit_report *rep) {
    if (!rep) return;
    free(rep->diffs);
    free(rep->absent);
    for (int i = 0; i < rep->n_prov_lines; i++) free(rep->prov_lines[i]);
    free(rep->prov_lines);
    memset(rep, 0, sizeof *rep);
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

static int rb_compare_provenance(rb_audit_report *rep, const rb_audit_provenance *pa, const rb_audit_provenance *pb) {
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

/* ---- metric comparison ---- */

/* Whether a and b agree within tol (0: identical bits, NaN equals NaN); *diff = |a - b|. */
static int rb_agree(double a, double b, double tol, double *diff) {
    if (isnan(a) || isnan(b)) {
        *diff = isnan(a) && isnan(b) ? 0.0 : INFINITY;
        return isnan(a) && isnan(b);
    }
    *diff = a == b ? 0.0 : fabs(a - b);
    if (tol == 0.0) return memcmp(&a, &b, sizeof a) == 0;
    return *diff <= tol;
}

typedef struct {
    char key[200];
    int idx;
} rb_cond_key;

static void rb_make_key(const rb_result_cond *c, char *buf, size_t cap) {
    snprintf(buf, cap, "%s\x1f%s\x1f%s\x1f%d", c->dataset, c->modality, c->corruption, (int)c->severity);
}

static int rb_key_cmp(const void *x, const void *y) {
    const rb_cond_key *a = x, *b = y;
    int c = strcmp(a->key, b->key);
    return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

static void rb_cell_name(const rb_result_cond *c, const char *method, int replica, char *buf, size_t cap) {
    char m[64] = "", r[32] = "";
    if (method) snprintf(m, sizeof m, "/%s", method);
    if (replica >= 0) snprintf(r, sizeof r, "/r%d", replica);
    if (strcmp(c->corruption, "clean") == 0) snprintf(buf, cap, "%s/clean%s%s", c->dataset, m, r);
    else snprintf(buf, cap, "%s/%s.%s/s%d%s%s", c->dataset, c->modality, c->corruption, (int)c->severity, m, r);
}

static int rb_diff_order(const void *x, const void *y) {
    const rb_audit_diff *a = x, *b = y;
    if (a->diff != b->diff) return a->diff < b->diff ? 1 : -1;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Index of each condition of a in b (-1 when absent); fails on duplicate conditions. */
static int rb_match_conds(const rb_results *a, const rb_results *b, int *map, char *b_used) {
    rb_cond_key *kb = rb_malloc(sizeof *kb * (size_t)(b->n_conds ? b->n_conds : 1), "audit keys");
    if (!kb) return RB_ERR;
    for (int i = 0; i < b->n_conds; i++) {
        rb_make_key(&b->conds[i], kb[i].key, sizeof kb[i].key);
        kb[i].idx = i;
    }
    qsort(kb, (size_t)b->n_conds, sizeof *kb, rb_key_cmp);
    for (int i = 1; i < b->n_conds; i++)
        if (strcmp(kb[i].key, kb[i - 1].key) == 0) {
            char name[256];
            rb_cell_name(&b->conds[kb[i].idx], NULL, -1, name, sizeof name);
            free(kb);
            return rb_fail("condition %s appears twice in B", name);
        }
    int rc = RB_OK;
    for (int i = 0; i < a->n_conds && rc == RB_OK; i++) {
        rb_cond_key k;
        rb_make_key(&a->conds[i], k.key, sizeof k.key);
        k.idx = -1;
        int lo = 0, hi = b->n_conds;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (strcmp(kb[mid].key, k.key) < 0) lo = mid + 1;
            else hi = mid;
        }
        map[i] = lo < b->n_conds && strcmp(kb[lo].key, k.key) == 0 ? kb[lo].idx : -1;
        if (map[i] >= 0) {
            if (b_used[map[i]]) {
                char name[256];
                rb_cell_name(&a->conds[i], NULL, -1, name, sizeof name);
                rc = rb_fail("condition %s appears twice in A", name);
            }
            b_used[map[i]] = 1;
        }
    }
    free(kb);
    return rc;
}

static int rb_compare_metrics(const rb_results *a, const rb_results *b, const rb_audit_options *o, rb_audit_report *rep) {
    int *map = rb_malloc(sizeof *map * (size_t)(a->n_conds ? a->n_conds : 1), "audit map");
    char *b_used = rb_calloc((size_t)b->n_conds + 1, 1, "audit map");
    int64_t cap_d = 0, cap_a = 0;
    int rc = map && b_used ? rb_match_conds(a, b, map, b_used) : RB_ERR;
    int mmap[RB_RESULTS_MAX_METHODS], b_method_used[RB_RESULTS_MAX_METHODS] = {0};
    for (int m = 0; m < a->n_methods; m++) {
        mmap[m] = rb_results_method(b, a->methods[m]);
        if (mmap[m] >= 0) b_method_used[mmap[m]] = 1;
    }
    const double *ma[3] = {a->ap, a->ap_step, a->roc_auc}, *mb[3] = {b->ap, b->ap_step, b->roc_auc};
    int64_t seq = 0;
    for (int c = 0; c < a->n_conds && rc == RB_OK; c++) {
        int cb = map[c];
        for (int m = 0; m < a->n_methods && rc == RB_OK; m++, seq++) {
            rep->cell_rows++;
            rb_audit_diff d = {.metric = -1, .a = 0, .b = NAN, .diff = INFINITY, .seq = seq};
            if (cb < 0 || mmap[m] < 0) {
                rb_cell_name(&a->conds[c], a->methods[m], -1, d.key, sizeof d.key);
                rep->missing++;
                rc = rb_push_diff(&rep->absent, &rep->n_absent, &cap_a, &d);
                continue;
            }
            int row_bad = a->n_replicas != b->n_replicas;
            int nr = a->n_replicas < b->n_replicas ? a->n_replicas : b->n_replicas;
            for (int k = 0; k < nr && rc == RB_OK; k++)
                for (int q = 0; q < 3 && rc == RB_OK; q++) {
                    double va = ma[q][rb_results_at(a, c, m, k)], vb = mb[q][rb_results_at(b, cb, mmap[m], k)], diff;
                    rep->compared[q]++;
                    int ok = rb_agree(va, vb, o->tolerance[q], &diff);
                    if (diff > rep->max_abs[q] || isnan(diff)) rep->max_abs[q] = diff;
                    if (ok) continue;
                    rep->beyond[q]++;
                    row_bad = 1;
                    rb_audit_diff e = {.metric = q, .a = va, .b = vb, .diff = diff,
                                       .seq = seq * 1024 + k * 4 + q};
                    rb_cell_name(&a->conds[c], a->methods[m], k, e.key, sizeof e.key);
                    rc = rb_push_diff(&rep->diffs, &rep->n_diffs, &cap_d, &e);
                }
            rep->cells_beyond += row_bad;
        }
        if (cb < 0 || rc != RB_OK) continue;
        rep->conds_compared++;
        const double va[4] = {a->conds[c].detect_auc[0], a->conds[c].detect_auc[1], a->conds[c].weight[0], a->conds[c].weight[1]};
        const double vb[4] = {b->conds[cb].detect_auc[0], b->conds[cb].detect_auc[1], b->conds[cb].weight[0], b->conds[cb].weight[1]};
        int cond_bad = 0;
        for (int q = 0; q < 4 && rc == RB_OK; q++) {
            double diff;
            int metric = RB_AUDIT_DETECT_VISUAL + q;
            rep->compared[metric]++;
            int ok = rb_agree(va[q], vb[q], o->tolerance[metric], &diff);
            if (diff > rep->max_abs[metric] || isnan(diff)) rep->max_abs[metric] = diff;
            if (ok) continue;
            rep->beyond[metric]++;
            cond_bad = 1;
            rb_audit_diff e = {.metric = metric, .a = va[q], .b = vb[q], .diff = diff, .seq = seq * 1024 + 1000 + q};
            rb_cell_name(&a->conds[c], NULL, -1, e.key, sizeof e.key);
            rc = rb_push_diff(&rep->diffs, &rep->n_diffs, &cap_d, &e);
        }
        rep->conds_beyond += cond_bad;
    }
    /* rows of B that A lacks */
    for (int c = 0; c < b->n_conds && rc == RB_OK; c++)
        for (int m = 0; m < b->n_methods && rc == RB_OK; m++) {
            if (b_used[c] && b_method_used[m]) continue;
            rb_audit_diff d = {.metric = -1, .a = NAN, .b = 0, .diff = INFINITY, .seq = seq++};
            rb_cell_name(&b->conds[c], b->methods[m], -1, d.key, sizeof d.key);
            rep->extra++;
            rc = rb_push_diff(&rep->absent, &rep->n_absent, &cap_a, &d);
        }
    if (rc == RB_OK && rep->n_diffs > 1) qsort(rep->diffs, (size_t)rep->n_diffs, sizeof *rep->diffs, rb_diff_order);
    free(map);
    free(b_used);
    return rc;
}

int rb_audit_compare(const rb_results *a, const rb_audit_provenance *pa, const rb_results *b,
                     const rb_audit_provenance *pb, const rb_audit_options *o, rb_audit_report *rep) {
    memset(rep, 0, sizeof *rep);
    int rc = rb_compare_metrics(a, b, o, rep);
    if (rc == RB_OK && pa && pb) rc = rb_compare_provenance(rep, pa, pb);
    if (rc != RB_OK) {
        rb_audit_report_free(rep);
        return rb_context("comparing results");
    }
    rep->n_fail = rep->cells_beyond + rep->conds_beyond + rep->missing + rep->extra;
    rep->provenance_fails = o->strict && (rep->config_differs || rep->inputs_differ || rep->versions_differ);
    rep->match = rep->n_fail == 0 && !rep->provenance_fails;
    return RB_OK;
}

/* ---- printing ---- */

static void rb_print_value(FILE *out, double v) {
    if (isnan(v)) fprintf(out, "%24s", "nan");
    else fprintf(out, "%24.17g", v);
}

void rb_audit_print(const rb_audit_report *rep, const rb_audit_options *o, const char *name_a, const char *name_b,
                    FILE *out) {
    fprintf(out, "audit: A = %s%s\n       B = %s\n", name_a, o->reference ? " (reference)" : "", name_b);
    if (rep->n_prov_lines) {
        fprintf(out, "\nprovenance%s:\n", o->strict ? " (--strict: differences fail the audit)"
                                                    : " (reported; differences fail the audit only with --strict)");
        for (int i = 0; i < rep->n_prov_lines; i++) fprintf(out, "  %s\n", rep->prov_lines[i]);
    }
    fprintf(out, "\n%-18s %10s %8s %14s %12s\n", "metric", "compared", "beyond", "max |A - B|", "tolerance");
    for (int m = 0; m < RB_AUDIT_N_METRICS; m++) {
        char tol[32];
        if (o->tolerance[m] == 0) snprintf(tol, sizeof tol, "bitwise");
        else snprintf(tol, sizeof tol, "%.3g", o->tolerance[m]);
        fprintf(out, "%-18s %10lld %8lld %14.3g %12s\n", rb_metric_names[m], (long long)rep->compared[m],
                (long long)rep->beyond[m], rep->max_abs[m], tol);
    }
    fprintf(out, "\ncells: %lld (condition, method) rows, %lld beyond tolerance, %lld missing from B, %lld only in B; "
                 "conditions: %lld compared, %lld beyond tolerance\n",
            (long long)rep->cell_rows, (long long)rep->cells_beyond, (long long)rep->missing, (long long)rep->extra,
            (long long)rep->conds_compared, (long long)rep->conds_beyond);
    int64_t nw = rep->n_diffs < o->n_worst ? rep->n_diffs : o->n_worst;
    if (nw > 0) {
        fprintf(out, "\nworst differences (%lld of %lld):\n", (long long)nw, (long long)rep->n_diffs);
        fprintf(out, "  %-48s %-18s %24s %24s %10s\n", "cell", "metric", "A", "B", "|A - B|");
        for (int64_t i = 0; i < nw; i++) {
            const rb_audit_diff *d = &rep->diffs[i];
            fprintf(out, "  %-48s %-18s ", d->key, rb_metric_names[d->metric]);
            rb_print_value(out, d->a);
            fputc(' ', out);
            rb_print_value(out, d->b);
            fprintf(out, " %10.3g\n", d->diff);
        }
    }
    int64_t na = rep->n_absent < o->n_worst ? rep->n_absent : o->n_worst;
    if (na > 0) {
        fprintf(out, "\nmissing or extra cells (%lld of %lld):\n", (long long)na, (long long)rep->n_absent);
        for (int64_t i = 0; i < na; i++)
            fprintf(out, "  %s %s\n", isnan(rep->absent[i].b) ? "only in A:" : "only in B:", rep->absent[i].key);
    }
    if (rep->match) fprintf(out, "audit: MATCH\n");
    else if (rep->n_fail == 0) fprintf(out, "audit: DIFFER (0 cells beyond tolerance; provenance differs under --strict)\n");
    else fprintf(out, "audit: DIFFER (%lld cells beyond tolerance)\n", (long long)rep->n_fail);
}

int rb_audit_files(const char *path_a, const char *path_b, const rb_audit_options *o, rb_audit_report *rep) {
    rb_results a, b;
    rb_audit_provenance pa, pb;
    memset(&b, 0, sizeof b);
    memset(&pa, 0, sizeof pa);
    memset(&pb, 0, sizeof pb);
    memset(rep, 0, sizeof *rep);
    RB_TRY_CTX(rb_results_read(path_a, &a), "audit: reading %s", path_a);
    int rc = rb_results_read(path_b, &b);
    if (rc != RB_OK) rb_context("audit: reading %s", path_b);
    if (rc == RB_OK) rc = rb_audit_read_provenance(path_a, &pa);
    if (rc == RB_OK) rc = rb_audit_read_provenance(path_b, &pb);
    if (rc == RB_OK) rc = rb_audit_compare(&a, &pa, &b, &pb, o, rep);
    rb_results_free(&a);
    rb_results_free(&b);
    rb_audit_provenance_free(&pa);
    rb_audit_provenance_free(&pb);
    return rc;
}

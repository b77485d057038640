/* audit.c - comparison of two benchmark results (rb_results.h, docs/audit.md): the tolerance options,
 * metric cells and condition columns (the newer ones where both files have them) matched by key,
 * per-metric tolerances (default bitwise), missing and extra cells, and
 * the printed report. The provenance half (config line diff, input checksums, versions) is
 * audit_provenance.c. */
#include "rb_results.h"
#include "rb_core.h"
#include "rb_io.h"
#include "audit_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const rb_metric_names[RB_AUDIT_N_METRICS] = {
    "ap", "ap_step", "roc_auc", "detect_auc_visual", "detect_auc_audio", "weight_visual", "weight_audio",
    "positive_fraction", "diagnostic", "oracle_gap"};

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
                           "detect_auc_visual, detect_auc_audio, weight, weight_visual, weight_audio, positive_fraction, "
                           "diagnostic, oracle_gap)", tok);
    }
    return RB_OK;
}

/* ---- report building ---- */

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

/* The newer /conditions columns: q = -1 positive_fraction, then the diagnostics (visual, audio),
 * then the three oracle gaps (the order of results_file.c). */
#define RB_N_AUDIT_EXTRA (2 * RB_DIAG_COUNT + 3)

static double rb_audit_cond_extra(const rb_result_cond *c, int q) {
    if (q < 0) return c->positive_fraction;
    if (q < 2 * RB_DIAG_COUNT) return c->diag[q / RB_DIAG_COUNT][q % RB_DIAG_COUNT];
    return c->oracle_gap[q - 2 * RB_DIAG_COUNT];
}

static void rb_audit_cond_extra_name(int q, char *buf, size_t cap) {
    static const char *const gaps[3] = {"oracle_gap_ap", "oracle_gap_ap_step", "oracle_gap_roc_auc"};
    if (q < 0) snprintf(buf, cap, "positive_fraction");
    else if (q < 2 * RB_DIAG_COUNT)
        snprintf(buf, cap, "%s_%s", rb_weight_diag_name(q % RB_DIAG_COUNT), q < RB_DIAG_COUNT ? "visual" : "audio");
    else snprintf(buf, cap, "%s", gaps[q - 2 * RB_DIAG_COUNT]);
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
        /* the newer /conditions columns, where both files have them (docs/audit.md) */
        unsigned both = a->cond_columns & b->cond_columns;
        for (int q = -1; q < RB_N_AUDIT_EXTRA && rc == RB_OK; q++) {
            int metric = q < 0 ? RB_AUDIT_POSITIVE_FRACTION : q < 2 * RB_DIAG_COUNT ? RB_AUDIT_DIAGNOSTIC : RB_AUDIT_ORACLE_GAP;
            unsigned need = metric == RB_AUDIT_POSITIVE_FRACTION ? RB_COND_HAS_POSITIVE_FRACTION
                            : metric == RB_AUDIT_DIAGNOSTIC      ? RB_COND_HAS_DIAG
                                                                 : RB_COND_HAS_ORACLE_GAP;
            if (!(both & need)) continue;
            double xa = rb_audit_cond_extra(&a->conds[c], q), xb = rb_audit_cond_extra(&b->conds[cb], q), diff;
            rep->compared[metric]++;
            int ok = rb_agree(xa, xb, o->tolerance[metric], &diff);
            if (diff > rep->max_abs[metric] || isnan(diff)) rep->max_abs[metric] = diff;
            if (ok) continue;
            rep->beyond[metric]++;
            cond_bad = 1;
            rb_audit_diff e = {.metric = metric, .a = xa, .b = xb, .diff = diff, .seq = seq * 1024 + 900 + q + 1};
            char cell[180], column[64]; /* both fit the 256 bytes of a key */
            rb_cell_name(&a->conds[c], NULL, -1, cell, sizeof cell);
            rb_audit_cond_extra_name(q, column, sizeof column);
            snprintf(e.key, sizeof e.key, "%s [%s]", cell, column);
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
    if (rc == RB_OK && pa && pb) rc = rb_audit_compare_provenance(rep, pa, pb);
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
    for (int f = 0; rep->checked && f < 2; f++) {
        const rb_results_check *c = &rep->check[f];
        if (!c->n_problems) continue;
        fprintf(out, "\n%s is inconsistent in itself (%lld problem%s)%s:\n", f ? name_b : name_a, (long long)c->n_problems,
                c->n_problems == 1 ? "" : "s", c->keys_ok ? "" : "; its keys are broken, so no value was compared");
        for (int i = 0; i < c->n_listed; i++) fprintf(out, "  %s\n", c->lines[i]);
        if (c->n_problems > c->n_listed) fprintf(out, "  ... and %lld more\n", (long long)(c->n_problems - c->n_listed));
    }
    if (rep->match) fprintf(out, "audit: MATCH\n");
    else if (rep->n_fail == 0) fprintf(out, "audit: DIFFER (0 cells beyond tolerance; provenance differs under --strict)\n");
    else {
        int64_t problems = rep->checked ? rep->check[0].n_problems + rep->check[1].n_problems : 0;
        if (problems)
            fprintf(out, "audit: DIFFER (%lld cells beyond tolerance; %lld consistency problems)\n",
                    (long long)(rep->n_fail - problems), (long long)problems);
        else fprintf(out, "audit: DIFFER (%lld cells beyond tolerance)\n", (long long)rep->n_fail);
    }
}

int rb_audit_files(const char *path_a, const char *path_b, const rb_audit_options *o, rb_audit_report *rep) {
    rb_results a, b;
    rb_audit_provenance pa, pb;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&pa, 0, sizeof pa);
    memset(&pb, 0, sizeof pb);
    memset(rep, 0, sizeof *rep);
    /* each file alone first (keys, /cells against /replicas, digests): what a reader reads must agree */
    rb_results_check check[2];
    RB_TRY_CTX(rb_results_check_file(path_a, &check[0]), "audit: checking %s", path_a);
    RB_TRY_CTX(rb_results_check_file(path_b, &check[1]), "audit: checking %s", path_b);
    int rc = RB_OK;
    if (check[0].keys_ok && check[1].keys_ok) {
        /* keys unique and complete: the two files can be compared value by value */
        rc = rb_results_read(path_a, &a);
        if (rc != RB_OK) rb_context("audit: reading %s", path_a);
        if (rc == RB_OK && rb_results_read(path_b, &b) != RB_OK) rc = rb_context("audit: reading %s", path_b);
        if (rc == RB_OK) rc = rb_audit_read_provenance(path_a, &pa);
        if (rc == RB_OK) rc = rb_audit_read_provenance(path_b, &pb);
        if (rc == RB_OK) rc = rb_audit_compare(&a, &pa, &b, &pb, o, rep);
    }
    if (rc == RB_OK) {
        rep->check[0] = check[0];
        rep->check[1] = check[1];
        rep->checked = 1;
        rep->n_fail += check[0].n_problems + check[1].n_problems;
        rep->match = rep->n_fail == 0 && !rep->provenance_fails && check[0].keys_ok && check[1].keys_ok;
    }
    rb_results_free(&a);
    rb_results_free(&b);
    rb_audit_provenance_free(&pa);
    rb_audit_provenance_free(&pb);
    return rc;
}

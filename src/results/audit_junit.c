/* audit_junit.c - `robusta audit --junit FILE` (docs/audit.md "JUnit XML"): the audit report as
 * JUnit XML for CI systems (Jenkins, GitLab CI, ReFrame-style pipelines). Test suites: "cells" (one
 * test case per (condition, method) row of A: failed when a metric of any replica is beyond
 * tolerance or the row is missing from B), "conditions" (one per condition: detection AUCs and
 * weights), "extra" (one failed case per row only in B) and "provenance" (config, inputs, versions:
 * failed only under --strict, as in the text report). */
#include "rb_results.h"
#include "rb_core.h"
#include "report_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Same naming as the text report (audit.c). */
static void rb_junit_name(const rb_result_cond *c, const char *method, char *buf, size_t cap) {
    char m[64] = "";
    if (method) snprintf(m, sizeof m, "/%s", method);
    if (strcmp(c->corruption, "clean") == 0) snprintf(buf, cap, "%s/clean%s", c->dataset, m);
    else snprintf(buf, cap, "%s/%s.%s/s%d%s", c->dataset, c->modality, c->corruption, (int)c->severity, m);
}

typedef struct {
    char key[280]; /* the test case a diff belongs to */
    const rb_audit_diff *d;
} rb_junit_ref;

static int rb_ref_cmp(const void *x, const void *y) {
    const rb_junit_ref *a = x, *b = y;
    int c = strcmp(a->key, b->key);
    if (c) return c;
    return (a->d->seq > b->d->seq) - (a->d->seq < b->d->seq);
}

/* The test case of a diff: a metric diff's key without "/r<replica>"; a condition diff's key plus
 * "/conditions"; a missing row's key as is. */
static void rb_ref_key(const rb_audit_diff *d, char *buf, size_t cap) {
    if (d->metric >= 0 && d->metric <= RB_AUDIT_ROC_AUC) {
        const char *slash = strrchr(d->key, '/');
        size_t n = slash && slash[1] == 'r' ? (size_t)(slash - d->key) : strlen(d->key);
        snprintf(buf, cap, "%.*s", (int)n, d->key);
    } else if (d->metric >= RB_AUDIT_DETECT_VISUAL) {
        snprintf(buf, cap, "%s/conditions", d->key);
    } else {
        snprintf(buf, cap, "%s", d->key);
    }
}

static void rb_x(FILE *f, const char *s) { rb_xml_text(f, s); }

/* First index of key in the sorted refs, or n. */
static int64_t rb_ref_find(const rb_junit_ref *refs, int64_t n, const char *key) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = (lo + hi) / 2;
        if (strcmp(refs[mid].key, key) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && strcmp(refs[lo].key, key) == 0 ? lo : n;
}

static void rb_val(char *buf, size_t cap, double v) {
    if (isnan(v)) snprintf(buf, cap, "nan");
    else snprintf(buf, cap, "%.17g", v);
}

/* One test case; failures are the refs with this key, or (none) other_failure when not NULL.
 * Returns 1 when it failed. */
static int rb_junit_case(FILE *f, const char *classname, const char *name, const char *key, const rb_junit_ref *refs,
                         int64_t n_refs, const rb_audit_options *o, const char *other_failure) {
    int64_t i = rb_ref_find(refs, n_refs, key);
    fputs("    <testcase classname=\"", f);
    rb_x(f, classname);
    fputs("\" name=\"", f);
    rb_x(f, name);
    if (i == n_refs && other_failure) {
        fputs("\">\n      <failure type=\"replicas\" message=\"", f);
        rb_x(f, other_failure);
        fputs("\"/>\n    </testcase>\n", f);
        return 1;
    }
    if (i == n_refs) {
        fputs("\"/>\n", f);
        return 0;
    }
    int64_t n = 0;
    while (i + n < n_refs && strcmp(refs[i + n].key, key) == 0) n++;
    const rb_audit_diff *first = refs[i].d;
    char msg[512];
    if (first->metric < 0) snprintf(msg, sizeof msg, "%s", isnan(first->b) ? "missing from B" : "only in B");
    else snprintf(msg, sizeof msg, "%lld value%s beyond tolerance", (long long)n, n == 1 ? "" : "s");
    fputs("\">\n      <failure type=\"", f);
    fputs(first->metric < 0 ? "missing" : "beyond_tolerance", f);
    fputs("\" message=\"", f);
    rb_x(f, msg);
    fputs("\">", f);
    for (int64_t j = i; j < i + n; j++) {
        const rb_audit_diff *d = refs[j].d;
        if (d->metric < 0) continue;
        char a[40], b[40], line[600];
        rb_val(a, sizeof a, d->a);
        rb_val(b, sizeof b, d->b);
        snprintf(line, sizeof line, "%s %s: A %s, B %s, |A - B| %.3g, tolerance %.3g\n", d->key,
                 rb_audit_metric_name((rb_audit_metric)d->metric), a, b, d->diff, o->tolerance[d->metric]);
        rb_x(f, line);
    }
    fputs("</failure>\n    </testcase>\n", f);
    return 1;
}

static void rb_suite(FILE *out, const char *name, int64_t tests, int64_t failures, const char *body, size_t len) {
    fprintf(out, "  <testsuite name=\"%s\" tests=\"%lld\" failures=\"%lld\" errors=\"0\" skipped=\"0\">\n", name,
            (long long)tests, (long long)failures);
    fwrite(body, 1, len, out);
    fputs("  </testsuite>\n", out);
}

int rb_audit_junit(const rb_results *a, const rb_results *b, const rb_audit_report *rep, const rb_audit_options *o,
                   const char *name_a, const char *name_b, FILE *out) {
    char replicas[128];
    const char *replica_failure = NULL;
    if (b && b->n_replicas != a->n_replicas) {
        snprintf(replicas, sizeof replicas, "replica count differs: A has %d, B has %d", a->n_replicas, b->n_replicas);
        replica_failure = replicas;
    }
    int64_t n_refs = rep->n_diffs + rep->n_absent;
    rb_junit_ref *refs = rb_calloc((size_t)(n_refs ? n_refs : 1), sizeof *refs, "junit references");
    if (!refs) return RB_ERR;
    for (int64_t i = 0; i < rep->n_diffs; i++) {
        refs[i].d = &rep->diffs[i];
        rb_ref_key(&rep->diffs[i], refs[i].key, sizeof refs[i].key);
    }
    for (int64_t i = 0; i < rep->n_absent; i++) {
        refs[rep->n_diffs + i].d = &rep->absent[i];
        rb_ref_key(&rep->absent[i], refs[rep->n_diffs + i].key, sizeof refs[0].key);
    }
    qsort(refs, (size_t)n_refs, sizeof *refs, rb_ref_cmp);
    char *body[4] = {0};
    size_t len[4] = {0};
    FILE *s[4];
    int64_t tests[4] = {0}, fails[4] = {0};
    int rc = RB_OK;
    for (int i = 0; i < 4; i++)
        if (!(s[i] = open_memstream(&body[i], &len[i]))) {
            rc = rb_fail("junit: cannot open a memory stream: %s", strerror(errno));
            for (int j = 0; j < i; j++) fclose(s[j]);
            for (int j = 0; j < i; j++) free(body[j]);
            free(refs);
            return rc;
        }
    char key[280], name[340];
    for (int c = 0; c < a->n_conds; c++) {
        for (int m = 0; m < a->n_methods; m++) {
            rb_junit_name(&a->conds[c], a->methods[m], key, sizeof key);
            tests[0]++;
            fails[0] += rb_junit_case(s[0], a->conds[c].dataset, key, key, refs, n_refs, o, replica_failure);
        }
        rb_junit_name(&a->conds[c], NULL, key, sizeof key);
        snprintf(name, sizeof name, "%s detection AUCs and weights", key);
        char ckey[320];
        snprintf(ckey, sizeof ckey, "%s/conditions", key);
        tests[1]++;
        fails[1] += rb_junit_case(s[1], a->conds[c].dataset, name, ckey, refs, n_refs, o, NULL);
    }
    for (int64_t i = 0; i < rep->n_absent; i++) {
        if (!isnan(rep->absent[i].a)) continue; /* rows only in B */
        tests[2]++;
        fails[2] += rb_junit_case(s[2], "extra", rep->absent[i].key, rep->absent[i].key, refs, n_refs, o, NULL);
    }
    const char *checks[3] = {"config", "inputs", "versions"};
    const int differs[3] = {rep->config_differs, rep->inputs_differ, rep->versions_differ};
    for (int i = 0; i < 3 && rep->n_prov_lines > 0; i++) {
        tests[3]++;
        fprintf(s[3], "    <testcase classname=\"provenance\" name=\"%s\"", checks[i]);
        if (!differs[i]) {
            fputs("/>\n", s[3]);
            continue;
        }
        fprintf(s[3], ">\n      <%s message=\"%s differ%s\">", o->strict ? "failure type=\"provenance\"" : "system-out",
                checks[i], o->strict ? "" : " (informational without --strict)");
        for (int l = 0; l < rep->n_prov_lines; l++) {
            rb_x(s[3], rep->prov_lines[l]);
            fputc('\n', s[3]);
        }
        fprintf(s[3], "</%s>\n    </testcase>\n", o->strict ? "failure" : "system-out");
        fails[3] += o->strict;
    }
    for (int i = 0; i < 4; i++)
        if (fclose(s[i]) != 0) rc = rb_fail("junit: out of memory");
    if (rc == RB_OK) {
        int64_t t = tests[0] + tests[1] + tests[2] + tests[3], fl = fails[0] + fails[1] + fails[2] + fails[3];
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"robusta audit: ", out);
        rb_x(out, name_a);
        fputs(" vs ", out);
        rb_x(out, name_b);
        fprintf(out, "\" tests=\"%lld\" failures=\"%lld\" errors=\"0\">\n", (long long)t, (long long)fl);
        static const char *const suites[4] = {"cells", "conditions", "extra", "provenance"};
        for (int i = 0; i < 4; i++) rb_suite(out, suites[i], tests[i], fails[i], body[i], len[i]);
        fputs("</testsuites>\n", out);
    }
    for (int i = 0; i < 4; i++) free(body[i]);
    free(refs);
    return rc;
}

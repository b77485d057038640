/* manifest.c - manifest.txt, the identity of a run directory (docs/run-directory.md): the robusta
 * version and git commit of the binary, the SHA-256 of the effective config, the --datasets shard,
 * whether scores are saved, the input files with their SHA-256 (and a digest of that list), every
 * cell key of the grid, the files robusta owns in the directory, and the effective config text.
 * (`robusta report` draws its figures into plots/.) Written once by the first attempt; every --resume compares its own identity field by field and
 * names the first field that differs. */
#include "rb_core.h"
#include "grid_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RB_MANIFEST_FORMAT 2
#define RB_CONFIG_MARK "# effective config (config_digest is the SHA-256 of the text below)\n"

/* What robusta writes in a run directory; nothing else there is touched. A name ending in '/' is a
 * folder robusta owns with all it holds; "<name>.<anything>" is a temporary of <name>. */
const char *const rb_run_owned[] = {"manifest.txt",    "run.lock",        "log.txt",     "journal/",     "scores/",
                                    "results.h5",      "summary.md",      "cells.csv",   "summaries.csv", "comparisons.csv",
                                    "results.json",    "report.html",     "overview.svg", "compare.html", "plots/", NULL};

int rb_run_owns(const char *entry, int is_dir) {
    for (int i = 0; rb_run_owned[i]; i++) {
        const char *o = rb_run_owned[i];
        size_t n = strlen(o);
        if (o[n - 1] == '/') {
            if (is_dir && strlen(entry) == n - 1 && strncmp(entry, o, n - 1) == 0) return 1;
            continue;
        }
        if (!is_dir && strncmp(entry, o, n) == 0 && (entry[n] == '\0' || entry[n] == '.')) return 1;
    }
    return 0;
}

void rb_sha256_text(const char *text, char hex[65]) {
    rb_sha256 h;
    rb_sha256_init(&h);
    rb_sha256_update(&h, text, strlen(text));
    rb_sha256_hex(&h, hex);
}

void rb_inputs_digest(char *const *shas, char *const *paths, int n, char hex[65]) {
    rb_sha256 h;
    rb_sha256_init(&h);
    for (int i = 0; i < n; i++) {
        rb_sha256_update(&h, shas[i], strlen(shas[i]));
        rb_sha256_update(&h, "  ", 2);
        rb_sha256_update(&h, paths[i], strlen(paths[i]));
        rb_sha256_update(&h, "\n", 1);
    }
    rb_sha256_hex(&h, hex);
}

void rb_manifest_free(rb_manifest *m) {
    for (int i = 0; i < m->n_inputs; i++) free(m->inputs[i]);
    for (int i = 0; i < m->n_cells; i++) free(m->cells[i]);
    free(m->inputs);
    free(m->cells);
    memset(m, 0, sizeof *m);
}

/* A growing text buffer: each append either fits or sets *rc. */
typedef struct {
    char *s;
    size_t len, cap;
    int rc;
} rb_buf;

static void rb_buf_add(rb_buf *b, const char *fmt, ...) RB_PRINTF(2, 3);
static void rb_buf_add(rb_buf *b, const char *fmt, ...) {
    if (b->rc != RB_OK) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->rc = rb_fail("formatting the manifest");
            return;
        }
        if (b->s && b->len + (size_t)w < b->cap) {
            b->len += (size_t)w;
            return;
        }
        size_t cap = (b->cap ? 2 * b->cap : 4096) + (size_t)w;
        char *g = realloc(b->s, cap);
        if (!g) {
            b->rc = rb_fail("out of memory formatting the manifest");
            return;
        }
        b->s = g;
        b->cap = cap;
    }
}

char *rb_manifest_format(const rb_manifest *m, const char *config_text) {
    rb_buf b = {NULL, 0, 0, RB_OK};
    rb_buf_add(&b, "# robusta run manifest (docs/run-directory.md); --resume compares every field\n");
    rb_buf_add(&b, "format: %d\n", RB_MANIFEST_FORMAT);
    rb_buf_add(&b, "robusta_version: %s\ngit_commit: %s\nconfig_digest: %s\n", m->version, m->commit,
               m->config_digest);
    rb_buf_add(&b, "datasets: %s\nsave_scores: %s\n", m->datasets, m->save_scores ? "yes" : "no");
    rb_buf_add(&b, "inputs_digest: %s\n", m->inputs_digest);
    for (int i = 0; i < m->n_inputs; i++) rb_buf_add(&b, "input: %s\n", m->inputs[i]);
    rb_buf_add(&b, "cells: %d\n", m->n_cells);
    for (int i = 0; i < m->n_cells; i++) rb_buf_add(&b, "cell: %s\n", m->cells[i]);
    rb_buf_add(&b, "owns:");
    for (int i = 0; rb_run_owned[i]; i++) rb_buf_add(&b, " %s", rb_run_owned[i]);
    rb_buf_add(&b, "\n%s%s", RB_CONFIG_MARK, config_text);
    if (b.rc != RB_OK) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

static int rb_list_add(char ***list, int *n, const char *value) {
    char **g = realloc(*list, sizeof *g * (size_t)(*n + 1));
    if (!g) return rb_fail("out of memory reading the manifest");
    *list = g;
    if (!(g[*n] = rb_strdup(value, "manifest line"))) return RB_ERR;
    (*n)++;
    return RB_OK;
}

static int rb_copy_field(const char *path, const char *name, const char *value, char *dst, size_t cap) {
    if (strlen(value) >= cap) return rb_fail("%s: field %s is too long", path, name);
    snprintf(dst, cap, "%s", value);
    return RB_OK;
}

int rb_manifest_parse(const char *path, const char *text, rb_manifest *m) {
    memset(m, 0, sizeof *m);
    const char *mark = strstr(text, RB_CONFIG_MARK);
    if (!strstr(text, "\nformat: ") || !mark)
        return rb_fail("%s was written by a robusta without run identities (no format, version or cell "
                       "keys); it cannot be resumed safely: start a new run",
                       path);
    int format = 0, declared_cells = -1, rc = RB_OK;
    const char *line = text;
    while (rc == RB_OK && line < mark) {
        const char *end = strchr(line, '\n');
        size_t len = (size_t)(end - line);
        char buf[4400];
        if (len >= sizeof buf) {
            rc = rb_fail("%s: a line is too long", path);
            break;
        }
        memcpy(buf, line, len);
        buf[len] = '\0';
        line = end + 1;
        if (buf[0] == '#' || !buf[0]) continue;
        char *colon = strstr(buf, ": ");
        if (!colon) {
            rc = rb_fail("%s: line \"%.80s\" is not \"field: value\"", path, buf);
            break;
        }
        *colon = '\0';
        const char *k = buf, *v = colon + 2;
        if (!strcmp(k, "format")) format = atoi(v);
        else if (!strcmp(k, "robusta_version")) rc = rb_copy_field(path, k, v, m->version, sizeof m->version);
        else if (!strcmp(k, "git_commit")) rc = rb_copy_field(path, k, v, m->commit, sizeof m->commit);
        else if (!strcmp(k, "config_digest")) rc = rb_copy_field(path, k, v, m->config_digest, sizeof m->config_digest);
        else if (!strcmp(k, "inputs_digest")) rc = rb_copy_field(path, k, v, m->inputs_digest, sizeof m->inputs_digest);
        else if (!strcmp(k, "datasets")) rc = rb_copy_field(path, k, v, m->datasets, sizeof m->datasets);
        else if (!strcmp(k, "save_scores")) m->save_scores = !strcmp(v, "yes");
        else if (!strcmp(k, "input")) rc = rb_list_add(&m->inputs, &m->n_inputs, v);
        else if (!strcmp(k, "cells")) declared_cells = atoi(v);
        else if (!strcmp(k, "cell")) rc = rb_list_add(&m->cells, &m->n_cells, v);
        else if (strcmp(k, "owns") != 0) rc = rb_fail("%s: unknown field \"%s\"", path, k);
    }
    if (rc == RB_OK && format != RB_MANIFEST_FORMAT)
        rc = rb_fail("%s: manifest format %d, this robusta reads format %d; start a new run", path, format,
                     RB_MANIFEST_FORMAT);
    if (rc == RB_OK && (!m->version[0] || !m->commit[0] || !m->config_digest[0] || !m->inputs_digest[0]))
        rc = rb_fail("%s: a field of the run identity is missing (robusta_version, git_commit, config_digest, "
                     "inputs_digest)",
                     path);
    if (rc == RB_OK && declared_cells != m->n_cells)
        rc = rb_fail("%s: declares %d cells but lists %d", path, declared_cells, m->n_cells);
    if (rc == RB_OK) {
        char digest[65];
        rb_sha256_text(mark + strlen(RB_CONFIG_MARK), digest);
        if (strcmp(digest, m->config_digest) != 0)
            rc = rb_fail("%s is damaged: its config text does not match its config_digest; start a new run", path);
    }
    if (rc != RB_OK) rb_manifest_free(m);
    return rc;
}

int rb_manifest_compare(const char *path, const rb_manifest *run, const rb_manifest *now, int with_inputs) {
    if (strcmp(run->version, now->version) != 0)
        return rb_fail("%s: robusta version differs from the run's (run: %s, this binary: %s); resume with the "
                       "binary that started the run, or start a new run",
                       path, run->version, now->version);
    if (strcmp(run->commit, now->commit) != 0)
        return rb_fail("%s: git commit of the binary differs from the run's (run: %s, this binary: %s); resume "
                       "with the binary that started the run, or start a new run",
                       path, run->commit, now->commit);
    if (strcmp(run->config_digest, now->config_digest) != 0)
        return rb_fail("%s: config digest differs from the run's (run: %.12s.., now: %.12s..); start a new run or "
                       "resume with the original config (the run's config is at the end of %s)",
                       path, run->config_digest, now->config_digest, path);
    if (strcmp(run->datasets, now->datasets) != 0)
        return rb_fail("%s: --datasets differs from the run's (run: %s, now: %s); resume with the same shard",
                       path, run->datasets, now->datasets);
    if (run->save_scores != now->save_scores)
        return rb_fail(run->save_scores ? "%s: the run was started with --save-scores; resume it with --save-scores"
                                        : "%s: the run was started without --save-scores; resume it without "
                                          "--save-scores, or start a new run to save scores",
                       path);
    int n = run->n_cells < now->n_cells ? run->n_cells : now->n_cells;
    for (int i = 0; i < n; i++)
        if (strcmp(run->cells[i], now->cells[i]) != 0)
            return rb_fail("%s: cell keys differ from the run's (cell %d: run %s, now %s); start a new run", path, i,
                           run->cells[i], now->cells[i]);
    if (run->n_cells != now->n_cells)
        return rb_fail("%s: the grid has %d cells, the run had %d; start a new run", path, now->n_cells,
                       run->n_cells);
    if (!with_inputs) return RB_OK;
    n = run->n_inputs < now->n_inputs ? run->n_inputs : now->n_inputs;
    for (int i = 0; i < n; i++)
        if (strcmp(run->inputs[i], now->inputs[i]) != 0)
            return rb_fail("%s: input differs from the run's (run: %.12s.. %s, now: %.12s.. %s); restore the "
                           "original input or start a new run",
                           path, run->inputs[i], run->inputs[i] + 66 * (strlen(run->inputs[i]) > 66),
                           now->inputs[i], now->inputs[i] + 66 * (strlen(now->inputs[i]) > 66));
    if (run->n_inputs != now->n_inputs || strcmp(run->inputs_digest, now->inputs_digest) != 0)
        return rb_fail("%s: inputs digest differs from the run's (run: %d inputs, now: %d); start a new run", path,
                       run->n_inputs, now->n_inputs);
    return RB_OK;
}

/* fault.c - fault injection for the tests (rb_core.h, docs/failure-model.md "Fault injection"):
 * RB_FAULT=KIND:N[@RANK][:MATCH][,...] makes the Nth write or tracked allocation on a chosen rank
 * fail, so the error paths of every step (and the agreement between ranks before each collective)
 * can be exercised without a full disk. Read once at start-up by main; when RB_FAULT is unset the
 * hooks in hdf5.c, journal.c, files.c and memory.c cost one test of rb_fault_active. */
#include "rb_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <fnmatch.h>
#include <string.h>

enum { RB_FAULT_MAX = 8, RB_FAULT_MATCH_CAP = 256 };
enum { RB_FAULT_WRITE, RB_FAULT_ALLOC };

typedef struct {
    int kind;
    long nth;   /* the operation that fails, counted from 1 */
    int rank;   /* -1: every rank */
    char match[RB_FAULT_MATCH_CAP]; /* "" counts every operation of the kind */
    long seen;  /* operations counted so far on this rank */
} rb_fault_spec;

int rb_fault_active = 0;
static rb_fault_spec rb_faults[RB_FAULT_MAX];
static int rb_n_faults = 0, rb_fault_rank = 0;

/* One SPEC: KIND:N[@RANK][:MATCH], len characters of text. */
static int rb_fault_parse_one(const char *text, size_t len, rb_fault_spec *f) {
    char spec[512];
    if (len >= sizeof spec) return rb_fail("RB_FAULT: '%.*s' is too long", (int)len, text);
    memcpy(spec, text, len);
    spec[len] = '\0';
    memset(f, 0, sizeof *f);
    f->rank = -1;
    char *colon = strchr(spec, ':');
    if (!colon) return rb_fail("RB_FAULT: '%s' should be KIND:N[@RANK][:MATCH] (KIND write or alloc)", spec);
    *colon = '\0';
    if (strcmp(spec, "write") == 0) f->kind = RB_FAULT_WRITE;
    else if (strcmp(spec, "alloc") == 0) f->kind = RB_FAULT_ALLOC;
    else return rb_fail("RB_FAULT: unknown kind '%s' (expected write or alloc)", spec);
    char *end;
    f->nth = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || f->nth < 1) return rb_fail("RB_FAULT: '%s' needs a count N >= 1 after '%s:'", text, spec);
    if (*end == '@') {
        char *r = end + 1;
        long rank = strtol(r, &end, 10);
        if (end == r || rank < 0 || rank > 1000000) return rb_fail("RB_FAULT: bad rank after '@' in '%.*s'", (int)len, text);
        f->rank = (int)rank;
    }
    if (*end == ':') {
        if (strlen(end + 1) >= sizeof f->match) return rb_fail("RB_FAULT: MATCH too long in '%.*s'", (int)len, text);
        snprintf(f->match, sizeof f->match, "%s", end + 1);
    } else if (*end) {
        return rb_fail("RB_FAULT: unexpected '%s' in '%.*s' (expected KIND:N[@RANK][:MATCH])", end, (int)len, text);
    }
    return RB_OK;
}

int rb_fault_init(int rank) {
    rb_fault_active = 0;
    rb_n_faults = 0;
    rb_fault_rank = rank;
    const char *env = getenv("RB_FAULT");
    if (!env || !env[0]) return RB_OK;
    for (const char *p = env; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (rb_n_faults == RB_FAULT_MAX) return rb_fail("RB_FAULT: more than %d faults", RB_FAULT_MAX);
        RB_TRY(rb_fault_parse_one(p, len, &rb_faults[rb_n_faults]));
        rb_n_faults++;
        p += len + (comma ? 1 : 0);
    }
    rb_fault_active = rb_n_faults > 0;
    return RB_OK;
}

/* Whether label contains match; a '*' in match stands for any run of characters (fnmatch), so
 * the match results.h5.tmp.* followed by /cells selects the writes under /cells of results.h5's
 * fresh temporary. */
static int rb_fault_label_matches(const char *label, const char *match) {
    if (!label) return 0;
    if (!strchr(match, '*')) return strstr(label, match) != NULL;
    char pattern[2 * RB_FAULT_MATCH_CAP + 4];
    snprintf(pattern, sizeof pattern, "*%s*", match);
    return fnmatch(pattern, label, 0) == 0;
}

static int rb_fault_hit(int kind, const char *label) {
    int hit = 0;
    for (int i = 0; i < rb_n_faults; i++) {
        rb_fault_spec *f = &rb_faults[i];
        if (f->kind != kind || (f->rank >= 0 && f->rank != rb_fault_rank)) continue;
        if (f->match[0] && !rb_fault_label_matches(label, f->match)) continue;
        if (++f->seen != f->nth) continue;
        fprintf(stderr, "robusta: fault injected: %s #%ld%s%s on rank %d (%s)\n", kind == RB_FAULT_WRITE ? "write" : "alloc",
                f->nth, f->match[0] ? " matching " : "", f->match, rb_fault_rank, label ? label : "?");
        hit = 1;
    }
    return hit;
}

int rb_fault_write(const char *label) { return rb_fault_hit(RB_FAULT_WRITE, label); }
int rb_fault_alloc(const char *label) { return rb_fault_hit(RB_FAULT_ALLOC, label); }

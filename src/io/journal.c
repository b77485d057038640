/* journal.c - append-only, checksummed journal of finished grid cells, each record tagged with its
 * cell key and the identity of the run that computed it (rb_io.h, docs/run-directory.md).
 * Record ("RBJ2"): u32 magic, u32 tag length t, u32 n, u32 zero, t bytes of tag text, n doubles,
 * u64 FNV-1a of the tag text and the n doubles' bytes. The format before run identities ("RBJ1":
 * u32 magic, u32 n, n doubles, u64 FNV-1a) is recognised only to refuse it. */
#include "rb_io.h"
#include "rb_core.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RB_JOURNAL_MAGIC_V1 0x314a4252u /* "RBJ1" little-endian: no tag, refused */
#define RB_JOURNAL_MAGIC 0x324a4252u    /* "RBJ2" */
#define RB_JOURNAL_TAG_MAX 4096u        /* longest tag text a record may carry */
#define RB_JOURNAL_N_MAX (1u << 24)     /* most doubles a record may carry */

static uint64_t rb_fnv1a(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}
#define RB_FNV_START 1469598103934665603ull

/* ---------- tags ---------- */

int rb_journal_key_split(const char *key, char *dataset, size_t dataset_cap, char *label, size_t label_cap,
                         int *severity) {
    const char *s1 = strchr(key, '/');
    const char *s2 = s1 ? strrchr(key, '/') : NULL;
    if (!s1 || s2 == s1 || strchr(s1 + 1, '/') != s2)
        return rb_fail("cell key \"%s\": expected <dataset>/<condition>/<severity>", key);
    size_t nd = (size_t)(s1 - key), nl = (size_t)(s2 - s1 - 1);
    if (nd == 0 || nl == 0) return rb_fail("cell key \"%s\": empty dataset or condition", key);
    if (nd >= dataset_cap || nl >= label_cap) return rb_fail("cell key \"%s\": too long", key);
    const char *sev = s2 + 1;
    int v = 0, digits = 0;
    for (const char *p = sev; *p; p++, digits++) {
        if (*p < '0' || *p > '9' || digits >= 2)
            return rb_fail("cell key \"%s\": severity \"%s\" is not a number 0..99", key, sev);
        v = 10 * v + (*p - '0');
    }
    if (!digits) return rb_fail("cell key \"%s\": no severity", key);
    for (const char *p = key; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == '=') return rb_fail("cell key \"%s\": control character or '='", key);
    memcpy(dataset, key, nd);
    dataset[nd] = '\0';
    memcpy(label, s1 + 1, nl);
    label[nl] = '\0';
    *severity = v;
    return RB_OK;
}

static int rb_is_digest(const char *s) {
    if (strlen(s) != 64) return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return 0;
    return 1;
}

static const char *const rb_tag_fields[5] = {"key", "version", "commit", "config", "inputs"};

static char *rb_tag_field(rb_journal_tag *t, int i, size_t *cap) {
    switch (i) {
    case 0: *cap = sizeof t->key; return t->key;
    case 1: *cap = sizeof t->version; return t->version;
    case 2: *cap = sizeof t->commit; return t->commit;
    case 3: *cap = sizeof t->config_digest; return t->config_digest;
    default: *cap = sizeof t->inputs_digest; return t->inputs_digest;
    }
}

/* The rules every field of a tag follows, whether formatted or parsed. */
static int rb_tag_check(const rb_journal_tag *t) {
    char d[128], l[256];
    int sev;
    RB_TRY(rb_journal_key_split(t->key, d, sizeof d, l, sizeof l, &sev));
    for (int i = 1; i < 3; i++) {
        size_t cap;
        const char *v = rb_tag_field((rb_journal_tag *)t, i, &cap);
        if (!v[0]) return rb_fail("journal tag: empty %s", rb_tag_fields[i]);
        for (const char *p = v; *p; p++)
            if ((unsigned char)*p < 0x20) return rb_fail("journal tag: control character in %s", rb_tag_fields[i]);
    }
    if (!rb_is_digest(t->config_digest)) return rb_fail("journal tag: config digest is not 64 hex digits");
    if (!rb_is_digest(t->inputs_digest)) return rb_fail("journal tag: inputs digest is not 64 hex digits");
    return RB_OK;
}

int rb_journal_tag_format(const rb_journal_tag *tag, char *buf, size_t cap) {
    RB_TRY(rb_tag_check(tag));
    int w = snprintf(buf, cap, "key=%s\nversion=%s\ncommit=%s\nconfig=%s\ninputs=%s\n", tag->key, tag->version,
                     tag->commit, tag->config_digest, tag->inputs_digest);
    if (w < 0 || (size_t)w >= cap) return rb_fail("journal tag of cell %s is too long", tag->key);
    return RB_OK;
}

int rb_journal_tag_parse(const char *text, size_t len, rb_journal_tag *tag) {
    memset(tag, 0, sizeof *tag);
    size_t pos = 0;
    for (int i = 0; i < 5; i++) {
        const char *name = rb_tag_fields[i];
        size_t nlen = strlen(name);
        if (pos + nlen + 1 > len || memcmp(text + pos, name, nlen) != 0 || text[pos + nlen] != '=')
            return rb_fail("journal tag: expected field \"%s=\" at byte %zu", name, pos);
        pos += nlen + 1;
        const char *nl = memchr(text + pos, '\n', len - pos);
        if (!nl) return rb_fail("journal tag: field \"%s\" is not ended by a newline", name);
        size_t vlen = (size_t)(nl - (text + pos)), cap;
        char *dst = rb_tag_field(tag, i, &cap);
        if (vlen >= cap) return rb_fail("journal tag: field \"%s\" is too long (%zu bytes)", name, vlen);
        if (memchr(text + pos, '\0', vlen)) return rb_fail("journal tag: field \"%s\" holds a NUL byte", name);
        memcpy(dst, text + pos, vlen);
        dst[vlen] = '\0';
        pos += vlen + 1;
    }
    if (pos != len) return rb_fail("journal tag: %zu unexpected bytes after the inputs field", len - pos);
    return rb_tag_check(tag);
}

/* ---------- writing ---------- */

int rb_journal_open(rb_journal *j, const char *run_dir, int attempt, int rank) {
    char dir[4000];
    snprintf(dir, sizeof dir, "%s/journal", run_dir);
    RB_TRY(rb_mkdir_p(run_dir));
    RB_TRY(rb_mkdir_real(dir)); /* never a planted link to elsewhere */
    snprintf(j->path, sizeof j->path, "%s/attempt-%04d-rank-%06d.bin", dir, attempt, rank);
    j->fd = open(j->path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0666); /* never through a link */
    if (j->fd < 0) return rb_fail("cannot open journal %s: %s", j->path, strerror(errno));
    return RB_OK;
}

int rb_journal_append(rb_journal *j, const rb_journal_tag *tag, const double *payload, int n) {
    char text[RB_JOURNAL_TAG_MAX];
    RB_TRY(rb_journal_tag_format(tag, text, sizeof text));
    if (n < 0 || (unsigned)n > RB_JOURNAL_N_MAX) return rb_fail("journal record of %d values", n);
    size_t t = strlen(text), pay = sizeof(double) * (size_t)n;
    size_t bytes = 16 + t + pay + 8;
    unsigned char *buf = rb_malloc(bytes, "journal record");
    if (!buf) return RB_ERR;
    uint32_t head[4] = {RB_JOURNAL_MAGIC, (uint32_t)t, (uint32_t)n, 0};
    memcpy(buf, head, 16);
    memcpy(buf + 16, text, t);
    memcpy(buf + 16 + t, payload, pay);
    uint64_t h = rb_fnv1a(rb_fnv1a(RB_FNV_START, text, t), payload, pay);
    memcpy(buf + 16 + t + pay, &h, 8);
    size_t done = 0;
    while (done < bytes) {
        ssize_t w = rb_fault_active && done == 0 && rb_fault_write(j->path) ? (errno = ENOSPC, -1)
                                                                              : write(j->fd, buf + done, bytes - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            free(buf);
            return rb_fail("writing journal %s: %s", j->path, strerror(errno));
        }
        done += (size_t)w;
    }
    free(buf);
    if (fsync(j->fd) != 0) return rb_fail("syncing journal %s: %s", j->path, strerror(errno));
    return RB_OK;
}

void rb_journal_close(rb_journal *j) {
    if (j->fd >= 0) close(j->fd);
    j->fd = -1;
}

/* ---------- reading ---------- */

static int rb_journal_next(FILE *in, const char *path, int n, char *text, double *payload, rb_journal_tag *tag);

static int rb_is_journal_file(const char *name) {
    return strncmp(name, "attempt-", 8) == 0 && strlen(name) > 4 && strcmp(name + strlen(name) - 4, ".bin") == 0;
}

static int rb_by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void rb_free_names(char **names, int n) {
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* Sorted journal file names of the run (malloc'd). */
static int rb_journal_files(const char *run_dir, char ***names, int *n) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/journal", run_dir);
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? RB_OK : rb_fail("cannot list %s: %s", dir, strerror(errno));
    struct dirent *e;
    int cap = 0;
    while ((e = readdir(d))) {
        if (!rb_is_journal_file(e->d_name)) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            char **g = realloc(*names, sizeof *g * (size_t)cap);
            if (!g) {
                closedir(d);
                rb_free_names(*names, *n);
                *names = NULL;
                *n = 0;
                return rb_fail("out of memory listing the journal");
            }
            *names = g;
        }
        char *copy = rb_strdup(e->d_name, "journal name");
        if (!copy) {
            closedir(d);
            rb_free_names(*names, *n);
            *names = NULL;
            *n = 0;
            return RB_ERR;
        }
        (*names)[(*n)++] = copy;
    }
    closedir(d);
    if (*n) qsort(*names, (size_t)*n, sizeof **names, rb_by_name);
    return RB_OK;
}

int rb_journal_attempts(const char *run_dir, int *attempts) {
    char **names;
    int n;
    RB_TRY(rb_journal_files(run_dir, &names, &n));
    *attempts = 0;
    for (int i = 0; i < n; i++) {
        int a = atoi(names[i] + 8);
        if (a + 1 > *attempts) *attempts = a + 1;
    }
    rb_free_names(names, n);
    return RB_OK;
}

/* Open <run_dir>/journal/<name> for reading (never through a symbolic link); path receives its name. */
static int rb_journal_open_read(const char *run_dir, const char *name, char *path, size_t cap, FILE **in) {
    snprintf(path, cap, "%s/journal/%s", run_dir, name);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    *in = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (*in) return RB_OK;
    int err = errno;
    if (fd >= 0) close(fd);
    return rb_fail("cannot read journal %s: %s", path, strerror(err));
}

int rb_journal_count(const char *run_dir, int *count) {
    char **names;
    int nf, rc = RB_OK;
    *count = 0;
    RB_TRY(rb_journal_files(run_dir, &names, &nf));
    char *text = rb_malloc(RB_JOURNAL_TAG_MAX, "journal tag");
    if (!text) rc = RB_ERR;
    for (int f = 0; rc == RB_OK && f < nf; f++) {
        char path[4400];
        FILE *in = NULL;
        if ((rc = rb_journal_open_read(run_dir, names[f], path, sizeof path, &in)) != RB_OK) break;
        rb_journal_tag tag;
        int got;
        while ((got = rb_journal_next(in, path, -1, text, NULL, &tag)) == 1) (*count)++;
        if (got == RB_ERR) rc = RB_ERR;
        fclose(in);
    }
    free(text);
    rb_free_names(names, nf);
    return rc;
}

int rb_journal_exists(const char *run_dir, int *exists) {
    char **names;
    int n;
    RB_TRY(rb_journal_files(run_dir, &names, &n));
    *exists = n > 0;
    rb_free_names(names, n);
    return RB_OK;
}

int rb_journal_remove(const char *run_dir) {
    char **names;
    int n, rc = RB_OK;
    RB_TRY(rb_journal_files(run_dir, &names, &n));
    for (int i = 0; i < n && rc == RB_OK; i++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/journal/%s", run_dir, names[i]);
        if (unlink(path) != 0 && errno != ENOENT) rc = rb_fail("cannot remove %s: %s", path, strerror(errno));
    }
    rb_free_names(names, n);
    return rc;
}

/* One record of file `in` (path for messages): 1 and *tag / payload filled, 0 at the end of what can
 * be trusted (end of file, a torn or damaged record), RB_ERR for a whole record this run cannot read. */
static int rb_journal_next(FILE *in, const char *path, int n, char *text, double *payload, rb_journal_tag *tag) {
    uint32_t head[4];
    if (fread(head, 4, 2, in) != 2) return 0;
    if (head[0] == RB_JOURNAL_MAGIC_V1) {
        uint32_t n1 = head[1];
        if (n1 > RB_JOURNAL_N_MAX) return 0;
        double *old = rb_malloc(sizeof(double) * (n1 ? n1 : 1), "journal record");
        if (!old) return RB_ERR;
        uint64_t h;
        int whole = fread(old, sizeof(double), n1, in) == n1 && fread(&h, 8, 1, in) == 1 &&
                    h == rb_fnv1a(RB_FNV_START, old, sizeof(double) * n1);
        free(old);
        if (!whole) return 0;
        return rb_fail("%s: a journal record without cell key or run identity (written by robusta before "
                       "run identities); this run cannot be resumed: start a new run",
                       path);
    }
    if (head[0] != RB_JOURNAL_MAGIC || fread(head + 2, 4, 2, in) != 2) return 0;
    uint32_t t = head[1], m = head[2];
    if (t == 0 || t > RB_JOURNAL_TAG_MAX || m > RB_JOURNAL_N_MAX || head[3] != 0) return 0;
    if (fread(text, 1, t, in) != t) return 0;
    size_t pay = sizeof(double) * (size_t)m;
    double *vals = payload;
    double *other = NULL;
    if (n < 0 || m != (uint32_t)n) {
        other = rb_malloc(pay ? pay : 1, "journal record");
        if (!other) return RB_ERR;
        vals = other;
    }
    uint64_t h;
    int whole = fread(vals, 1, pay, in) == pay && fread(&h, 8, 1, in) == 1 &&
                h == rb_fnv1a(rb_fnv1a(RB_FNV_START, text, t), vals, pay);
    free(other);
    if (!whole) return 0;
    if (n >= 0 && m != (uint32_t)n)
        return rb_fail("%s: a journal record holds %u values, this run's records hold %d (another method or "
                       "replica set); start a new run",
                       path, m, n);
    if (rb_journal_tag_parse(text, t, tag) != RB_OK) return rb_context("%s", path);
    return 1;
}

int rb_journal_load(const char *run_dir, int n, double **records, rb_journal_tag **tags, int *count) {
    char **names;
    int nf;
    *records = NULL;
    *tags = NULL;
    *count = 0;
    RB_TRY(rb_journal_files(run_dir, &names, &nf));
    int cap = 0, rc = RB_OK;
    size_t rec_bytes = sizeof(double) * (size_t)n;
    double *payload = rb_malloc(rec_bytes ? rec_bytes : 1, "journal record");
    char *text = rb_malloc(RB_JOURNAL_TAG_MAX, "journal tag");
    if (!payload || !text) rc = RB_ERR;
    for (int f = 0; rc == RB_OK && f < nf; f++) {
        char path[4400];
        FILE *in = NULL;
        if ((rc = rb_journal_open_read(run_dir, names[f], path, sizeof path, &in)) != RB_OK) break;
        for (;;) {
            rb_journal_tag tag;
            int got = rb_journal_next(in, path, n, text, payload, &tag);
            if (got == RB_ERR) rc = RB_ERR;
            if (got != 1) break;
            if (*count == cap) {
                cap = cap ? 2 * cap : 64;
                double *g = realloc(*records, rec_bytes * (size_t)cap);
                if (g) *records = g;
                rb_journal_tag *gt = realloc(*tags, sizeof *gt * (size_t)cap);
                if (gt) *tags = gt;
                if (!g || !gt) {
                    rc = rb_fail("out of memory loading the journal");
                    break;
                }
            }
            memcpy(*records + (size_t)*count * (size_t)n, payload, rec_bytes);
            (*tags)[*count] = tag;
            (*count)++;
        }
        fclose(in);
    }
    free(payload);
    free(text);
    rb_free_names(names, nf);
    if (rc != RB_OK) {
        free(*records);
        free(*tags);
        *records = NULL;
        *tags = NULL;
        *count = 0;
    }
    return rc;
}

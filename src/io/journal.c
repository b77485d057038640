/* journal.c - append-only, checksummed journal of finished grid cells (rb_io.h).
 * Record: u32 magic "RBJ1", u32 n, n doubles, u64 FNV-1a of the n doubles' bytes. */
#include "rb_io.h"
#include "rb_core.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RB_JOURNAL_MAGIC 0x314a4252u /* "RBJ1" little-endian */

static uint64_t rb_fnv1a(const void *data, size_t n) {
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

int rb_journal_open(rb_journal *j, const char *run_dir, int attempt, int rank) {
    char dir[4000];
    snprintf(dir, sizeof dir, "%s/journal", run_dir);
    RB_TRY(rb_mkdir_p(dir));
    snprintf(j->path, sizeof j->path, "%s/attempt-%04d-rank-%06d.bin", dir, attempt, rank);
    j->fd = open(j->path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0666); /* never through a link */
    if (j->fd < 0) return rb_fail("cannot open journal %s: %s", j->path, strerror(errno));
    return RB_OK;
}

int rb_journal_append(rb_journal *j, const double *payload, int n) {
    size_t bytes = 8 + sizeof(double) * (size_t)n + 8;
    unsigned char *buf = rb_malloc(bytes, "journal record");
    if (!buf) return RB_ERR;
    uint32_t head[2] = {RB_JOURNAL_MAGIC, (uint32_t)n};
    memcpy(buf, head, 8);
    memcpy(buf + 8, payload, sizeof(double) * (size_t)n);
    uint64_t h = rb_fnv1a(payload, sizeof(double) * (size_t)n);
    memcpy(buf + 8 + sizeof(double) * (size_t)n, &h, 8);
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

static int rb_is_journal_file(const char *name) {
    return strncmp(name, "attempt-", 8) == 0 && strlen(name) > 4 && strcmp(name + strlen(name) - 4, ".bin") == 0;
}

static int rb_by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

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
                return rb_fail("out of memory listing the journal");
            }
            *names = g;
        }
        (*names)[(*n)++] = rb_strdup(e->d_name, "journal name");
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
        free(names[i]);
    }
    free(names);
    return RB_OK;
}

int rb_journal_load(const char *run_dir, int n, double **records, int *count) {
    char **names;
    int nf;
    *records = NULL;
    *count = 0;
    RB_TRY(rb_journal_files(run_dir, &names, &nf));
    int cap = 0, rc = RB_OK;
    size_t rec_bytes = sizeof(double) * (size_t)n;
    double *payload = rb_malloc(rec_bytes, "journal record");
    if (!payload) rc = RB_ERR;
    for (int f = 0; rc == RB_OK && f < nf; f++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/journal/%s", run_dir, names[f]);
        FILE *in = fopen(path, "rb");
        if (!in) {
            rc = rb_fail("cannot read journal %s: %s", path, strerror(errno));
            break;
        }
        for (;;) {
            uint32_t head[2];
            uint64_t h;
            if (fread(head, 4, 2, in) != 2) break;
            if (head[0] != RB_JOURNAL_MAGIC || head[1] != (uint32_t)n) break;
            if (fread(payload, 1, rec_bytes, in) != rec_bytes || fread(&h, 8, 1, in) != 1) break;
            if (h != rb_fnv1a(payload, rec_bytes)) break;
            if (*count == cap) {
                cap = cap ? 2 * cap : 64;
                double *g = realloc(*records, rec_bytes * (size_t)cap);
                if (!g) {
                    rc = rb_fail("out of memory loading the journal");
                    break;
                }
                *records = g;
            }
            memcpy(*records + (size_t)*count * (size_t)n, payload, rec_bytes);
            (*count)++;
        }
        fclose(in);
    }
    free(payload);
    for (int f = 0; f < nf; f++) free(names[f]);
    free(names);
    if (rc != RB_OK) {
        free(*records);
        *records = NULL;
        *count = 0;
    }
    return rc;
}

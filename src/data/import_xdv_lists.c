/* import_xdv_lists.c - the text inputs of import-xdv (docs/import-xdv.md): the visual and audio list
 * files into a table of videos (a hash index over the visual list's order), and the annotation file
 * into per-video frame intervals, with the per-snippet frame truth they give. Every malformed line is
 * an error naming file:line. */
#include "rb_data.h"
#include "rb_core.h"
#include "import_xdv_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers --------------------------------------------------------------------------- */

const char *rb_xdv_entry_basename(const char *entry) {
    const char *b = entry;
    for (const char *p = entry; *p; p++)
        if (*p == '/' || *p == '\\') b = p + 1;
    if (!*b) return rb_fail("entry \"%s\" names a directory, not a file", entry), NULL;
    if (strcmp(b, ".") == 0 || strcmp(b, "..") == 0) return rb_fail("entry \"%s\" is not a file name", entry), NULL;
    for (const char *p = b; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return rb_fail("entry \"%s\" contains a control character", entry), NULL;
    return b;
}

static int rb_ends_with(const char *s, size_t n, const char *suffix) {
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* Whole text file into a NUL-terminated buffer (NUL bytes inside are rejected). */
static int rb_slurp(const char *path, char **text) {
    *text = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return rb_fail("%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = rb_malloc(cap, "list file");
    while (buf) {
        if (n + 1 >= cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                rb_fail("out of memory reading %s", path);
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf) return RB_ERR;
    if (bad) {
        free(buf);
        return rb_fail("%s: read error", path);
    }
    buf[n] = '\0';
    if (strlen(buf) != n) {
        free(buf);
        return rb_fail("%s: contains NUL bytes, not a text file", path);
    }
    *text = buf;
    return RB_OK;
}

/* Next line of *cursor with surrounding whitespace removed (modifies the buffer). NULL at the end. */
static char *rb_next_line(char **cursor) {
    char *s = *cursor;
    if (!*s) return NULL;
    char *nl = strchr(s, '\n');
    if (nl) {
        *nl = '\0';
        *cursor = nl + 1;
    } else {
        *cursor = s + strlen(s);
    }
    while (*s == ' ' || *s == '\t' || *s == '\r') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = '\0';
    return s;
}

/* ---- video table ----------------------------------------------------------------------------- */

static uint64_t rb_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

int64_t rb_xdv_table_find(const rb_xdv_table *t, const char *name) {
    if (!t->nslot) return -1;
    for (size_t i = rb_hash(name) & (t->nslot - 1);; i = (i + 1) & (t->nslot - 1)) {
        if (!t->slot[i]) return -1;
        if (strcmp(t->v[t->slot[i] - 1].name, name) == 0) return t->slot[i] - 1;
    }
}

static int rb_table_rehash(rb_xdv_table *t, size_t nslot) {
    int64_t *slot = rb_calloc(nslot, sizeof *slot, "video index");
    if (!slot) return RB_ERR;
    for (int64_t k = 0; k < t->n; k++) {
        size_t i = rb_hash(t->v[k].name) & (nslot - 1);
        while (slot[i]) i = (i + 1) & (nslot - 1);
        slot[i] = k + 1;
    }
    free(t->slot);
    t->slot = slot;
    t->nslot = nslot;
    return RB_OK;
}

/* Index of the video called name (name[0..n)), added if new. */
int rb_xdv_table_get(rb_xdv_table *t, const char *name, size_t n, int64_t *index) {
    char *key = rb_malloc(n + 1, "video name");
    if (!key) return RB_ERR;
    memcpy(key, name, n);
    key[n] = '\0';
    int64_t k = rb_xdv_table_find(t, key);
    if (k >= 0) {
        free(key);
        *index = k;
        return RB_OK;
    }
    if (t->n == t->cap) {
        int64_t cap = t->cap ? 2 * t->cap : 64;
        rb_xdv_video *v = realloc(t->v, (size_t)cap * sizeof *v);
        if (!v) {
            free(key);
            return rb_fail("out of memory growing the video table");
        }
        t->v = v;
        t->cap = cap;
    }
    memset(&t->v[t->n], 0, sizeof t->v[t->n]);
    t->v[t->n].name = key;
    t->n++;
    if ((size_t)t->n * 2 > t->nslot) {
        if (rb_table_rehash(t, t->nslot ? 2 * t->nslot : 128) != RB_OK) return RB_ERR;
    } else {
        size_t i = rb_hash(key) & (t->nslot - 1);
        while (t->slot[i]) i = (i + 1) & (t->nslot - 1);
        t->slot[i] = t->n;
    }
    *index = t->n - 1;
    return RB_OK;
}

void rb_xdv_table_free(rb_xdv_table *t) {
    for (int64_t k = 0; k < t->n; k++) {
        free(t->v[k].name);
        for (int c = 0; c < RB_XDV_MAX_CROPS; c++) free(t->v[k].crop_file[c]);
        free(t->v[k].audio_file);
    }
    free(t->v);
    free(t->slot);
    memset(t, 0, sizeof *t);
}

/* ---- list files ------------------------------------------------------------------------------ */

static int rb_parse_visual_entry(const char *base, size_t *name_len, int *crop) {
    size_t n = strlen(base);
    if (!rb_ends_with(base, n, ".npy"))
        return rb_fail("expected a file <video>__<crop>.npy, got \"%s\"", base);
    size_t stem = n - 4, d = stem;
    while (d > 0 && base[d - 1] >= '0' && base[d - 1] <= '9') d--;
    if (d == stem || d < 3 || base[d - 1] != '_' || base[d - 2] != '_' || stem - d > 3)
        return rb_fail("expected a file <video>__<crop>.npy, got \"%s\"", base);
    int c = atoi(base + d);
    if (c >= RB_XDV_MAX_CROPS)
        return rb_fail("crop index %d in \"%s\" is out of range (the release has crops 0..4)", c, base);
    *crop = c;
    *name_len = d - 2;
    return RB_OK;
}

int rb_xdv_read_visual_list(const char *path, int n_crops, rb_xdv_table *t) {
    char *text, *cur;
    RB_TRY(rb_slurp(path, &text));
    cur = text;
    int line = 0, rc = RB_OK;
    for (char *s; rc == RB_OK && (s = rb_next_line(&cur));) {
        line++;
        if (!*s) continue;
        const char *base = rb_xdv_entry_basename(s);
        size_t name_len = 0;
        int crop = 0;
        int64_t k;
        if (!base || rb_parse_visual_entry(base, &name_len, &crop) != RB_OK) {
            rc = rb_context("%s:%d", path, line);
            break;
        }
        if (crop >= n_crops) continue; /* --crops 1 keeps only the centre crop */
        if (rb_xdv_table_get(t, base, name_len, &k) != RB_OK) {
            rc = RB_ERR;
            break;
        }
        if (t->v[k].crop_file[crop]) {
            rc = rb_fail("%s:%d: %s is listed twice", path, line, base);
            break;
        }
        if (!(t->v[k].crop_file[crop] = rb_strdup(base, "file name"))) rc = RB_ERR;
    }
    free(text);
    RB_TRY(rc);
    if (t->n == 0) return rb_fail("%s: lists no video", path);
    for (int64_t k = 0; k < t->n; k++)
        for (int c = 0; c < n_crops; c++)
            if (!t->v[k].crop_file[c])
                return rb_fail("%s: video %s lacks crop %d (no line ending in %s__%d.npy)", path, t->v[k].name, c,
                               t->v[k].name, c);
    return RB_OK;
}

int rb_xdv_read_audio_list(const char *path, const char *visual_list, rb_xdv_table *t) {
    char *text, *cur;
    RB_TRY(rb_slurp(path, &text));
    cur = text;
    int line = 0, rc = RB_OK;
    static const char suffix[] = "__vggish.npy";
    for (char *s; rc == RB_OK && (s = rb_next_line(&cur));) {
        line++;
        if (!*s) continue;
        const char *base = rb_xdv_entry_basename(s);
        if (!base) {
            rc = rb_context("%s:%d", path, line);
            break;
        }
        size_t n = strlen(base);
        if (!rb_ends_with(base, n, suffix) || n == sizeof suffix - 1) {
            rc = rb_fail("%s:%d: expected a file <video>__vggish.npy, got \"%s\"", path, line, base);
            break;
        }
        char name[RB_XDV_PATH_MAX];
        size_t name_len = n - (sizeof suffix - 1);
        if (name_len >= sizeof name) {
            rc = rb_fail("%s:%d: file name of %zu bytes is too long", path, line, n);
            break;
        }
        memcpy(name, base, name_len);
        name[name_len] = '\0';
        int64_t k = rb_xdv_table_find(t, name);
        if (k < 0) {
            rc = rb_fail("%s:%d: video %s has audio but no visual line in %s", path, line, name, visual_list);
            break;
        }
        if (t->v[k].audio_file) {
            rc = rb_fail("%s:%d: %s is listed twice (first on line %d)", path, line, base, t->v[k].audio_line);
            break;
        }
        t->v[k].audio_line = line;
        if (!(t->v[k].audio_file = rb_strdup(base, "file name"))) rc = RB_ERR;
    }
    free(text);
    RB_TRY(rc);
    for (int64_t k = 0; k < t->n; k++)
        if (!t->v[k].audio_file)
            return rb_fail("%s: video %s (in %s) has no line %s__vggish.npy", path, t->v[k].name, visual_list,
                           t->v[k].name);
    return RB_OK;
}

/* ---- annotations ----------------------------------------------------------------------------- */

void rb_xdv_annotations_free(rb_annotations *A) {
    for (int64_t i = 0; i < A->n; i++) {
        free(A->a[i].name);
        free(A->a[i].iv);
    }
    free(A->a);
    memset(A, 0, sizeof *A);
}

static int rb_by_annotation_name(const void *x, const void *y) {
    return strcmp(((const rb_annotation *)x)->name, ((const rb_annotation *)y)->name);
}

static int rb_parse_frame(const char *tok, int64_t *out) {
    if (!*tok) return RB_ERR;
    int64_t v = 0;
    for (const char *p = tok; *p; p++) {
        if (*p < '0' || *p > '9') return RB_ERR;
        if (v > (INT64_MAX - 9) / 10) return RB_ERR;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return RB_OK;
}

static int rb_annotation_line(char *s, int line, const char *path, rb_annotation *a) {
    memset(a, 0, sizeof *a);
    a->line = line;
    char *save = NULL, *tok = strtok_r(s, " \t", &save);
    size_t n = strlen(tok);
    if (rb_ends_with(tok, n, ".mp4")) tok[n - 4] = '\0'; /* some lines of the release carry it */
    if (!*tok) return rb_fail("%s:%d: empty video name", path, line);
    if (!(a->name = rb_strdup(tok, "annotation name"))) return RB_ERR;
    int64_t cap = 0, vals = 0, first = 0;
    for (char *t; (t = strtok_r(NULL, " \t", &save));) {
        int64_t v;
        if (rb_parse_frame(t, &v) != RB_OK)
            return rb_fail("%s:%d: \"%s\" is not a frame number (non-negative integer)", path, line, t);
        if (vals % 2 == 0) {
            first = v;
        } else {
            if (v < first)
                return rb_fail("%s:%d: interval %lld..%lld ends before it starts", path, line, (long long)first,
                               (long long)v);
            if (a->n == cap) {
                cap = cap ? 2 * cap : 4;
                rb_interval *iv = realloc(a->iv, (size_t)cap * sizeof *iv);
                if (!iv) return rb_fail("out of memory reading %s", path);
                a->iv = iv;
            }
            a->iv[a->n].start = first;
            a->iv[a->n].end = v;
            a->n++;
        }
        vals++;
    }
    if (vals % 2)
        return rb_fail("%s:%d: %lld frame numbers after the video name, expected start/end pairs", path, line,
                       (long long)vals);
    return RB_OK;
}

int rb_xdv_read_annotations(const char *path, rb_annotations *A) {
    memset(A, 0, sizeof *A);
    char *text, *cur;
    RB_TRY(rb_slurp(path, &text));
    cur = text;
    int line = 0, rc = RB_OK;
    int64_t cap = 0;
    for (char *s; rc == RB_OK && (s = rb_next_line(&cur));) {
        line++;
        if (!*s) continue;
        if (A->n == cap) {
            cap = cap ? 2 * cap : 256;
            rb_annotation *a = realloc(A->a, (size_t)cap * sizeof *a);
            if (!a) {
                rc = rb_fail("out of memory reading %s", path);
                break;
            }
            A->a = a;
        }
        rc = rb_annotation_line(s, line, path, &A->a[A->n]);
        A->n++; /* counted even on failure so that the partial entry is freed */
    }
    free(text);
    if (rc != RB_OK) {
        rb_xdv_annotations_free(A);
        return RB_ERR;
    }
    qsort(A->a, (size_t)A->n, sizeof *A->a, rb_by_annotation_name);
    for (int64_t i = 1; i < A->n; i++)
        if (strcmp(A->a[i - 1].name, A->a[i].name) == 0) {
            int l1 = A->a[i - 1].line < A->a[i].line ? A->a[i - 1].line : A->a[i].line;
            int l2 = A->a[i - 1].line < A->a[i].line ? A->a[i].line : A->a[i - 1].line;
            rb_fail("%s: video %s is annotated twice (lines %d and %d)", path, A->a[i].name, l1, l2);
            rb_xdv_annotations_free(A);
            return RB_ERR;
        }
    return RB_OK;
}

rb_annotation *rb_xdv_annotation_find(rb_annotations *A, const char *name) {
    rb_annotation key = {0};
    key.name = (char *)name;
    return A->n ? bsearch(&key, A->a, (size_t)A->n, sizeof *A->a, rb_by_annotation_name) : NULL;
}

static int rb_by_start(const void *x, const void *y) {
    const rb_interval *a = x, *b = y;
    return a->start < b->start ? -1 : a->start > b->start ? 1 : (a->end > b->end) - (a->end < b->end);
}

/* Per-snippet positive-frame counts of one video of len snippets (pos[0..len)); overlapping
 * intervals count each frame once. */
void rb_xdv_truth_from_intervals(rb_annotation *a, int64_t len, int32_t *pos, int64_t *kept, int64_t *dropped) {
    const int64_t fps = RB_XDV_FRAMES_PER_SNIPPET, limit = len * fps;
    *kept = *dropped = 0;
    qsort(a->iv, (size_t)a->n, sizeof *a->iv, rb_by_start);
    int64_t covered = 0; /* frames below this are already counted */
    for (int64_t i = 0; i < a->n; i++) {
        int64_t s = a->iv[i].start > covered ? a->iv[i].start : covered, e = a->iv[i].end;
        if (e <= s) continue;
        covered = e;
        if (e > limit) *dropped += e - (s > limit ? s : limit);
        if (e > limit) e = limit;
        for (int64_t f = s; f < e;) {
            int64_t snip = f / fps, stop = (snip + 1) * fps < e ? (snip + 1) * fps : e;
            pos[snip] += (int32_t)(stop - f);
            *kept += stop - f;
            f = stop;
        }
    }
}


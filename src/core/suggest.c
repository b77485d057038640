/* suggest.c - "did you mean ...?" for a mistyped config key or command-line option (rb_core.h):
 * the Levenshtein distance of two strings and the nearest of a set of names, accepted only when
 * close enough to be a typo (at most 1 edit for names up to 4 characters, 2 up to 12, 3 beyond). */
#include "rb_core.h"
#include "config_internal.h"

#include <stdlib.h>
#include <string.h>

int rb_edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 255 || lb > 255) return la > lb ? (int)la : (int)lb; /* not worth it: "far" */
    int row[256];
    for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static int rb_typo_limit(size_t len) { return len <= 4 ? 1 : len <= 12 ? 2 : 3; }

const char *rb_nearest_name(const char *word, const char *const *names, int n) {
    const char *best = NULL;
    int best_d = 1 << 30;
    for (int i = 0; i < n; i++) {
        int d = rb_edit_distance(word, names[i]);
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    return best && best_d > 0 && best_d <= rb_typo_limit(strlen(word)) ? best : NULL;
}

/* Keys of the schema that can be written (not groups or lists), as patterns. */
void rb_config_suggest(const char *path, char *buf, size_t cap) {
    buf[0] = '\0';
    char pattern[RB_PATH_MAX];
    rb_config_pattern_of(path, pattern, sizeof pattern);
    int n = rb_config_schema_len;
    const char **names = malloc(sizeof *names * (size_t)(n ? n : 1));
    if (!names) return;
    for (int i = 0; i < n; i++) names[i] = rb_config_schema[i].pattern;
    const char *best = rb_nearest_name(pattern, names, n);
    free(names);
    if (!best) return;
    /* put the user's indices back into the suggestion ("data.datasets.[0].n_tran" -> ".[0].n_train") */
    const char *idx = path;
    size_t j = 0;
    for (const char *p = best; *p && j + 1 < cap; p++) {
        if (p[0] == '[' && p[1] == ']') {
            const char *open = strchr(idx, '['), *close = open ? strchr(open, ']') : NULL;
            if (open && close) {
                for (const char *q = open; q <= close && j + 1 < cap; q++) buf[j++] = *q;
                idx = close + 1;
                p++;
                continue;
            }
        }
        buf[j++] = *p;
    }
    buf[j] = '\0';
}

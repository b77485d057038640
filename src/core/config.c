/* config.c - loading, overriding and validating experiment configs (rb_config.h) against the key
 * table of config_schema.c. One pass validates the whole tree after overrides: unknown keys, wrong
 * types, out-of-range values and missing required keys are errors naming file:line (or --set) and
 * the key; optional keys that are absent get their default written into the tree, so the effective
 * config stored in output files is complete and explicit. */
#include "rb_core.h"

#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rb_config {
    config_t cfg;
    char *origin;
    char *text;
    char **files;  /* names of every file read (settings point at them for error locations) */
    int n_files;
};

#define RB_PATH_MAX 512

/* ---------- paths ---------- */

/* Concrete path of a setting ("data.datasets.[1].name") or its schema pattern (indices -> "[]"). */
static void rb_setting_path(const config_setting_t *s, char *buf, size_t cap, int as_pattern) {
    const config_setting_t *chain[64];
    int n = 0;
    for (const config_setting_t *p = s; p && p->parent && n < 64; p = p->parent) chain[n++] = p;
    size_t used = 0;
    buf[0] = '\0';
    for (int i = n - 1; i >= 0; i--) {
        const config_setting_t *p = chain[i];
        char seg[160];
        if (p->name)
            snprintf(seg, sizeof seg, "%s", p->name);
        else if (as_pattern)
            snprintf(seg, sizeof seg, "[]");
        else
            snprintf(seg, sizeof seg, "[%d]", config_setting_index(p));
        int w = snprintf(buf + used, cap - used, "%s%s", used ? "." : "", seg);
        if (w < 0 || (size_t)w >= cap - used) break;
        used += (size_t)w;
    }
}

static void rb_pattern_of(const char *path, char *pat, size_t cap) {
    size_t j = 0;
    for (size_t i = 0; path[i] && j + 3 < cap; i++) {
        if (path[i] == '[') {
            pat[j++] = '[';
            while (path[i] && path[i] != ']') i++;
            pat[j++] = ']';
            if (!path[i]) break;
        } else {
            pat[j++] = path[i];
        }
    }
    pat[j] = '\0';
}

static const rb_key_spec *rb_schema_find(const char *pattern) {
    for (int i = 0; i < rb_config_schema_len; i++)
        if (strcmp(rb_config_schema[i].pattern, pattern) == 0) return &rb_config_schema[i];
    return NULL;
}

static void rb_location(const config_setting_t *s, const char *origin, char *buf, size_t cap) {
    const char *file = config_setting_source_file(s);
    unsigned line = config_setting_source_line(s);
    if (file && line)
        snprintf(buf, cap, "%s:%u", file, line);
    else
        snprintf(buf, cap, "%s (--set)", origin);
}

/* Validate one path segment: a name [A-Za-z][A-Za-z0-9_-]* or an index [digits]. */
static int rb_segment_ok(const char *seg, size_t len) {
    if (len == 0) return 0;
    if (seg[0] == '[') {
        if (len < 3 || seg[len - 1] != ']') return 0;
        for (size_t i = 1; i + 1 < len; i++)
            if (!isdigit((unsigned char)seg[i])) return 0;
        return len - 2 <= 6;
    }
    if (!isalpha((unsigned char)seg[0]) && seg[0] != '*') return 0;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)seg[i]) && seg[i] != '_' && seg[i] != '-' && seg[i] != '*')
            return 0;
    return 1;
}

static int rb_path_ok(const char *path) {
    size_t n = strlen(path);
    if (n == 0 || n >= RB_PATH_MAX) return 0;
    const char *seg = path;
    for (size_t i = 0; i <= n; i++) {
        if (path[i] == '.' || path[i] == '\0') {
            if (!rb_segment_ok(seg, (size_t)(path + i - seg))) return 0;
            seg = path + i + 1;
        }
    }
    return 1;
}

int rb_config_parse_override(const char *text, char **path, char **value) {
    *path = *value = NULL;
    if (!text) return rb_fail("--set: missing argument, expected path=value");
    const char *eq = strchr(text, '=');
    if (!eq) return rb_fail("--set %.200s: expected path=value", text);
    size_t plen = (size_t)(eq - text);
    if (plen == 0 || plen >= RB_PATH_MAX) return rb_fail("--set %.200s: empty or overlong key path", text);
    char *p = rb_malloc(plen + 1, "--set path");
    if (!p) return RB_ERR;
    memcpy(p, text, plen);
    p[plen] = '\0';
    if (!rb_path_ok(p)) {
        rb_fail("--set %.200s: bad key path '%.200s' (expected name(.name|.[index])*)", text, p);
        free(p);
        return RB_ERR;
    }
    if (eq[1] == '\0') {
        rb_fail("--set %.200s: empty value", text);
        free(p);
        return RB_ERR;
    }
    char *v = rb_strdup(eq + 1, "--set value");
    if (!v) {
        free(p);
        return RB_ERR;
    }
    *path = p;
    *value = v;
    return RB_OK;
}

/* ---------- typed values from text (overrides and defaults) ---------- */

static int rb_parse_int(const char *t, long long *out) {
    errno = 0;
    char *end;
    long long v = strtoll(t, &end, 0);
    if (errno || end == t || *end) return 0;
    *out = v;
    return 1;
}

static int rb_parse_float(const char *t, double *out) {
    errno = 0;
    char *end;
    double v = strtod(t, &end);
    if (errno || end == t || *end || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

/* Copy an item, trimming spaces and one pair of surrounding double quotes. */
static void rb_trim_item(const char *s, size_t len, char *out, size_t cap) {
    while (len && isspace((unsigned char)*s)) s++, len--;
    while (len && isspace((unsigned char)s[len - 1])) len--;
    if (len >= 2 && s[0] == '"' && s[len - 1] == '"') s++, len -= 2;
    if (len >= cap) len = cap - 1;
    memcpy(out, s, len);
    out[len] = '\0';
}

static int rb_set_scalar(config_setting_t *s, rb_key_type type, const char *t, const char *what) {
    long long iv;
    double fv;
    switch (type) {
    case RB_KEY_INT:
        if (!rb_parse_int(t, &iv) || iv < INT_MIN || iv > INT_MAX)
            return rb_fail("%s: '%s' is not an integer", what, t);
        config_setting_set_int(s, (int)iv);
        return RB_OK;
    case RB_KEY_FLOAT:
        if (!rb_parse_float(t, &fv)) return rb_fail("%s: '%s' is not a number", what, t);
        config_setting_set_float(s, fv);
        return RB_OK;
    case RB_KEY_BOOL:
        if (strcmp(t, "true") == 0) config_setting_set_bool(s, 1);
        else if (strcmp(t, "false") == 0) config_setting_set_bool(s, 0);
        else return rb_fail("%s: '%s' is not a boolean (true or false)", what, t);
        return RB_OK;
    case RB_KEY_STRING:
        config_setting_set_string(s, t);
        return RB_OK;
    default:
        return rb_fail("%s: internal: not a scalar type", what);
    }
}

static int rb_scalar_type_of(rb_key_type t) {
    switch (t) {
    case RB_KEY_INT: case RB_KEY_INT_ARRAY: return CONFIG_TYPE_INT;
    case RB_KEY_FLOAT: return CONFIG_TYPE_FLOAT;
    case RB_KEY_BOOL: return CONFIG_TYPE_BOOL;
    case RB_KEY_STRING: case RB_KEY_STRING_ARRAY: return CONFIG_TYPE_STRING;
    case RB_KEY_GROUP: return CONFIG_TYPE_GROUP;
    case RB_KEY_LIST: return CONFIG_TYPE_LIST;
    }
    return CONFIG_TYPE_NONE;
}

/* Replace (or create) member `name` of `parent` with a value of `type` parsed from text. */
static int rb_set_from_text(config_setting_t *parent, const char *name, rb_key_type type,
                            const char *text, const char *what) {
    if (config_setting_get_member(parent, name)) config_setting_remove(parent, name);
    int is_array = type == RB_KEY_INT_ARRAY || type == RB_KEY_STRING_ARRAY;
    config_setting_t *s = config_setting_add(parent, name, is_array ? CONFIG_TYPE_ARRAY : rb_scalar_type_of(type));
    if (!s) return rb_fail("%s: cannot create the setting", what);
    if (type == RB_KEY_GROUP || type == RB_KEY_LIST) {
        if (strcmp(text, type == RB_KEY_GROUP ? "{}" : "()") != 0)
            return rb_fail("%s: a %s can only be set to %s; set its members instead", what,
                           type == RB_KEY_GROUP ? "group" : "list", type == RB_KEY_GROUP ? "{}" : "()");
        return RB_OK;
    }
    if (type == RB_KEY_INT_ARRAY || type == RB_KEY_STRING_ARRAY) {
        size_t n = strlen(text);
        if (n < 2 || text[0] != '[' || text[n - 1] != ']')
            return rb_fail("%s: '%s' is not an array (expected [a, b, ...])", what, text);
        const char *p = text + 1, *end = text + n - 1;
        char item[256];
        rb_trim_item(p, (size_t)(end - p), item, sizeof item);
        if (item[0] == '\0') return RB_OK; /* [] */
        while (p <= end) {
            const char *comma = memchr(p, ',', (size_t)(end - p));
            const char *stop = comma ? comma : end;
            rb_trim_item(p, (size_t)(stop - p), item, sizeof item);
            if (item[0] == '\0') return rb_fail("%s: empty element in '%s'", what, text);
            config_setting_t *e = config_setting_add(s, NULL, rb_scalar_type_of(type));
            if (!e) return rb_fail("%s: cannot add an array element", what);
            RB_TRY(rb_set_scalar(e, type == RB_KEY_INT_ARRAY ? RB_KEY_INT : RB_KEY_STRING, item, what));
            p = stop + 1;
        }
        return RB_OK;
    }
    char item[1024];
    rb_trim_item(text, strlen(text), item, sizeof item);
    return rb_set_scalar(s, type, item, what);
}

/* ---------- overrides ---------- */

static int rb_apply_override(rb_config *c, const char *arg) {
    char *path = NULL, *value = NULL;
    RB_TRY(rb_config_parse_override(arg, &path, &value));
    char pattern[RB_PATH_MAX];
    rb_pattern_of(path, pattern, sizeof pattern);
    const rb_key_spec *spec = rb_schema_find(pattern);
    int rc = RB_OK;
    if (!spec) {
        rc = rb_fail("--set %s: unknown key '%s' (see docs/config.md)", arg, path);
        goto done;
    }
    /* walk to the parent, creating groups the schema knows */
    config_setting_t *node = config_root_setting(&c->cfg);
    char walked[RB_PATH_MAX] = "";
    const char *seg = path;
    for (;;) {
        const char *dot = strchr(seg, '.');
        if (!dot) break;
        char name[RB_PATH_MAX];
        size_t len = (size_t)(dot - seg);
        memcpy(name, seg, len);
        name[len] = '\0';
        memcpy(walked, path, (size_t)(dot - path));
        walked[dot - path] = '\0';
        config_setting_t *next;
        if (name[0] == '[') {
            int idx = atoi(name + 1);
            if (config_setting_type(node) != CONFIG_TYPE_LIST) {
                rc = rb_fail("--set %s: '%s' is not a list", arg, walked);
                goto done;
            }
            next = config_setting_get_elem(node, (unsigned)idx);
            if (!next) {
                rc = rb_fail("--set %s: '%s' is out of range (the list has %d elements)", arg, walked,
                             config_setting_length(node));
                goto done;
            }
        } else {
            next = config_setting_get_member(node, name);
            if (!next) {
                char wpat[RB_PATH_MAX];
                rb_pattern_of(walked, wpat, sizeof wpat);
                const rb_key_spec *gs = rb_schema_find(wpat);
                int t = gs ? rb_scalar_type_of(gs->type) : CONFIG_TYPE_GROUP;
                next = config_setting_add(node, name, t);
                if (!next) {
                    rc = rb_fail("--set %s: cannot create '%s'", arg, walked);
                    goto done;
                }
            }
        }
        node = next;
        seg = dot + 1;
    }
    if (seg[0] == '[') {
        rc = rb_fail("--set %s: cannot replace a whole list element; set its members", arg);
        goto done;
    }
    if (config_setting_type(node) != CONFIG_TYPE_GROUP) {
        rc = rb_fail("--set %s: the parent of '%s' is not a group", arg, seg);
        goto done;
    }
    char what[RB_PATH_MAX + 16];
    snprintf(what, sizeof what, "--set %s", path);
    rc = rb_set_from_text(node, seg, spec->type, value, what);
done:
    free(path);
    free(value);
    return rc;
}

/* ---------- validation ---------- */

static int rb_check_number(const rb_key_spec *spec, double v, const char *loc, const char *path) {
    if (spec->min <= spec->max && (v < spec->min || v > spec->max))
        return rb_fail("%s: %s = %g is out of range [%g, %g] (%s)", loc, path, v, spec->min, spec->max,
                       spec->help);
    return RB_OK;
}

static int rb_check_choice(const rb_key_spec *spec, const char *v, const char *loc, const char *path) {
    if (!spec->choices) return RB_OK;
    size_t n = strlen(v);
    for (const char *p = spec->choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0) return RB_OK;
        if (!bar) break;
        p = bar + 1;
    }
    return rb_fail("%s: %s = \"%s\" is not one of %s", loc, path, v, spec->choices);
}

static const char *rb_type_name(rb_key_type t) {
    switch (t) {
    case RB_KEY_GROUP: return "a group { ... }";
    case RB_KEY_LIST: return "a list ( { ... }, ... )";
    case RB_KEY_INT: return "an integer";
    case RB_KEY_FLOAT: return "a number";
    case RB_KEY_BOOL: return "a boolean";
    case RB_KEY_STRING: return "a string";
    case RB_KEY_STRING_ARRAY: return "an array of strings [\"a\", ...]";
    case RB_KEY_INT_ARRAY: return "an array of integers [1, ...]";
    }
    return "?";
}

static int rb_validate_setting(config_setting_t *s, const char *origin);

static int rb_validate_children(config_setting_t *s, const char *origin) {
    int n = config_setting_length(s);
    for (int i = 0; i < n; i++) RB_TRY(rb_validate_setting(config_setting_get_elem(s, (unsigned)i), origin));
    return RB_OK;
}

static int rb_validate_setting(config_setting_t *s, const char *origin) {
    char path[RB_PATH_MAX], pattern[RB_PATH_MAX], loc[RB_PATH_MAX + 32];
    rb_setting_path(s, path, sizeof path, 0);
    rb_setting_path(s, pattern, sizeof pattern, 1);
    rb_location(s, origin, loc, sizeof loc);
    const rb_key_spec *spec = rb_schema_find(pattern);
    int type = config_setting_type(s);
    if (!spec) {
        if (!s->name && s->parent && config_setting_type(s->parent) == CONFIG_TYPE_LIST)
            return rb_fail("%s: element %s of a list that takes no elements", loc, path);
        return rb_fail("%s: unknown key '%s' (see docs/config.md for the keys robusta reads)", loc, path);
    }
    int ok;
    switch (spec->type) {
    case RB_KEY_GROUP: ok = type == CONFIG_TYPE_GROUP; break;
    case RB_KEY_LIST: ok = type == CONFIG_TYPE_LIST; break;
    case RB_KEY_INT: ok = type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64; break;
    case RB_KEY_FLOAT: ok = type == CONFIG_TYPE_FLOAT || type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64; break;
    case RB_KEY_BOOL: ok = type == CONFIG_TYPE_BOOL; break;
    case RB_KEY_STRING: ok = type == CONFIG_TYPE_STRING; break;
    case RB_KEY_STRING_ARRAY:
    case RB_KEY_INT_ARRAY: ok = type == CONFIG_TYPE_ARRAY || type == CONFIG_TYPE_LIST; break;
    default: ok = 0;
    }
    if (!ok) return rb_fail("%s: %s should be %s", loc, path, rb_type_name(spec->type));
    switch (spec->type) {
    case RB_KEY_GROUP:
        return rb_validate_children(s, origin);
    case RB_KEY_LIST: {
        int n = config_setting_length(s);
        for (int i = 0; i < n; i++) {
            config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
            if (config_setting_type(e) != CONFIG_TYPE_GROUP)
                return rb_fail("%s: element %d of %s should be a group { ... }", loc, i, path);
            RB_TRY(rb_validate_children(e, origin));
        }
        return RB_OK;
    }
    case RB_KEY_INT:
        if (type == CONFIG_TYPE_INT64) {
            long long v = config_setting_get_int64(s);
            if (v < INT_MIN || v > INT_MAX) return rb_fail("%s: %s = %lld does not fit an int", loc, path, v);
            return rb_check_number(spec, (double)v, loc, path);
        }
        return rb_check_number(spec, config_setting_get_int(s), loc, path);
    case RB_KEY_FLOAT: {
        double v = type == CONFIG_TYPE_FLOAT ? config_setting_get_float(s)
                   : type == CONFIG_TYPE_INT ? config_setting_get_int(s)
                                             : (double)config_setting_get_int64(s);
        if (!isfinite(v)) return rb_fail("%s: %s is not finite", loc, path);
        return rb_check_number(spec, v, loc, path);
    }
    case RB_KEY_BOOL:
        return RB_OK;
    case RB_KEY_STRING:
        return rb_check_choice(spec, config_setting_get_string(s), loc, path);
    case RB_KEY_STRING_ARRAY:
    case RB_KEY_INT_ARRAY: {
        int n = config_setting_length(s);
        for (int i = 0; i < n; i++) {
            config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
            char epath[RB_PATH_MAX + 16];
            snprintf(epath, sizeof epath, "%s[%d]", path, i);
            if (spec->type == RB_KEY_STRING_ARRAY) {
                if (config_setting_type(e) != CONFIG_TYPE_STRING)
                    return rb_fail("%s: %s should be a string", loc, epath);
                RB_TRY(rb_check_choice(spec, config_setting_get_string(e), loc, epath));
            } else {
                if (config_setting_type(e) != CONFIG_TYPE_INT)
                    return rb_fail("%s: %s should be an integer", loc, epath);
                RB_TRY(rb_check_number(spec, config_setting_get_int(e), loc, epath));
            }
        }
        return RB_OK;
    }
    }
    return RB_OK;
}

/* For every schema key: fill absent optional keys with their default, report absent required keys.
 * Keys under a list are checked in every element of the list. */
static int rb_fill_defaults_under(config_setting_t *node, const char *pattern_rest, const rb_key_spec *spec,
                                  const char *origin) {
    const char *dot = strchr(pattern_rest, '.');
    if (!dot) {
        if (config_setting_get_member(node, pattern_rest)) return RB_OK;
        char path[RB_PATH_MAX];
        rb_setting_path(node, path, sizeof path, 0);
        if (spec->fallback && !spec->fallback[0]) return RB_OK; /* optional, default decided by its reader */
        if (!spec->fallback)
            return rb_fail("%s: missing required key '%s%s%s' (%s)", origin, path, path[0] ? "." : "",
                           pattern_rest, spec->help);
        char what[RB_PATH_MAX + 32];
        snprintf(what, sizeof what, "default of %s", spec->pattern);
        return rb_set_from_text(node, pattern_rest, spec->type, spec->fallback, what);
    }
    char head[RB_PATH_MAX];
    size_t len = (size_t)(dot - pattern_rest);
    memcpy(head, pattern_rest, len);
    head[len] = '\0';
    if (strcmp(head, "[]") == 0) {
        int n = config_setting_length(node);
        for (int i = 0; i < n; i++)
            RB_TRY(rb_fill_defaults_under(config_setting_get_elem(node, (unsigned)i), dot + 1, spec, origin));
        return RB_OK;
    }
    config_setting_t *child = config_setting_get_member(node, head);
    if (!child) return RB_OK; /* the parent's own entry reports or creates it (schema order) */
    return rb_fill_defaults_under(child, dot + 1, spec, origin);
}

static int rb_config_finish(rb_config *c) {
    config_setting_t *root = config_root_setting(&c->cfg);
    RB_TRY(rb_validate_children(root, c->origin));
    for (int i = 0; i < rb_config_schema_len; i++)
        RB_TRY(rb_fill_defaults_under(root, rb_config_schema[i].pattern, &rb_config_schema[i], c->origin));
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) return rb_fail("cannot render the effective config");
    config_write(&c->cfg, mem);
    fclose(mem);
    c->text = buf;
    return RB_OK;
}

static rb_config *rb_config_new(const char *origin) {
    rb_config *c = rb_calloc(1, sizeof *c, "config");
    if (!c) return NULL;
    config_init(&c->cfg);
    config_set_options(&c->cfg, 0);
    c->origin = rb_strdup(origin, "config origin");
    if (!c->origin) {
        rb_config_free(c);
        return NULL;
    }
    return c;
}

/* ---------- layered files: @include with override semantics ----------
 * libconfig's own @include is textual, so a key set in a base file could never be changed by the
 * file that includes it ("duplicate setting"). robusta reads @include lines itself: each included
 * file is loaded first (recursively, paths relative to the including file), then the including
 * file's own settings are merged over it: groups merge member by member, anything else replaces. */

static const char *rb_intern_file(rb_config *c, const char *path) {
    for (int i = 0; i < c->n_files; i++)
        if (strcmp(c->files[i], path) == 0) return c->files[i];
    char **grown = realloc(c->files, sizeof *grown * (size_t)(c->n_files + 1));
    if (!grown) return NULL;
    c->files = grown;
    c->files[c->n_files] = rb_strdup(path, "config file name");
    return c->files[c->n_files] ? c->files[c->n_files++] : NULL;
}

static void rb_tag_file(config_setting_t *s, const char *file) {
    if (!s->file) s->file = file;
    if (config_setting_is_aggregate(s))
        for (int i = 0; i < config_setting_length(s); i++) rb_tag_file(config_setting_get_elem(s, (unsigned)i), file);
}

static int rb_copy_setting(config_setting_t *dst_parent, const config_setting_t *src) {
    config_setting_t *d = config_setting_add(dst_parent, src->name, config_setting_type(src));
    if (!d) return rb_fail("cannot copy config setting %s", src->name ? src->name : "(element)");
    d->line = src->line;
    d->file = src->file;
    d->format = src->format;
    switch (config_setting_type(src)) {
    case CONFIG_TYPE_INT: config_setting_set_int(d, config_setting_get_int(src)); break;
    case CONFIG_TYPE_INT64: config_setting_set_int64(d, config_setting_get_int64(src)); break;
    case CONFIG_TYPE_FLOAT: config_setting_set_float(d, config_setting_get_float(src)); break;
    case CONFIG_TYPE_BOOL: config_setting_set_bool(d, config_setting_get_bool(src)); break;
    case CONFIG_TYPE_STRING: config_setting_set_string(d, config_setting_get_string(src)); break;
    default:
        for (int i = 0; i < config_setting_length(src); i++)
            RB_TRY(rb_copy_setting(d, config_setting_get_elem(src, (unsigned)i)));
    }
    return RB_OK;
}

static int rb_merge_group(config_setting_t *dst, const config_setting_t *src) {
    for (int i = 0; i < config_setting_length(src); i++) {
        const config_setting_t *s = config_setting_get_elem(src, (unsigned)i);
        config_setting_t *d = config_setting_get_member(dst, s->name);
        if (d && config_setting_type(d) == CONFIG_TYPE_GROUP && config_setting_type(s) == CONFIG_TYPE_GROUP) {
            RB_TRY(rb_merge_group(d, s));
            continue;
        }
        if (d) config_setting_remove(dst, s->name);
        RB_TRY(rb_copy_setting(dst, s));
    }
    return RB_OK;
}

static int rb_load_layer(rb_config *c, const char *path, int depth) {
    if (depth > 16) return rb_fail("%s: @include nested too deeply (a cycle?)", path);
    char *text = NULL;
    if (rb_read_file(path, &text) != RB_OK) return rb_context("config file");
    const char *file = rb_intern_file(c, path);
    if (!file) {
        free(text);
        return rb_fail("out of memory reading %s", path);
    }
    /* @include lines: load each, then blank the line (keeping line numbers for libconfig errors) */
    int line_no = 1;
    for (char *line = text; *line; line_no++) {
        char *end = strchr(line, '\n');
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (strncmp(p, "@include", 8) == 0) {
            char *q1 = strchr(p, '"'), *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
            if (!q1 || !q2 || (end && q2 > end)) {
                free(text);
                return rb_fail("%s:%d: @include needs a quoted file name", path, line_no);
            }
            char inc[4096];
            const char *slash = strrchr(path, '/');
            int nlen = (int)(q2 - q1 - 1);
            if (q1[1] == '/' || !slash)
                snprintf(inc, sizeof inc, "%.*s", nlen, q1 + 1);
            else
                snprintf(inc, sizeof inc, "%.*s/%.*s", (int)(slash - path), path, nlen, q1 + 1);
            if (rb_load_layer(c, inc, depth + 1) != RB_OK) {
                free(text);
                return rb_context("%s:%d: in @include \"%s\"", path, line_no, inc);
            }
            for (char *z = line; z < (end ? end : line + strlen(line)); z++) *z = ' ';
        }
        if (!end) break;
        line = end + 1;
    }
    config_t layer;
    config_init(&layer);
    config_set_options(&layer, 0);
    int rc = RB_OK;
    if (config_read_string(&layer, text) != CONFIG_TRUE) {
        rc = rb_fail("%s:%d: %s", path, config_error_line(&layer), config_error_text(&layer));
    } else {
        rb_tag_file(config_root_setting(&layer), file);
        rc = rb_merge_group(config_root_setting(&c->cfg), config_root_setting(&layer));
    }
    config_destroy(&layer);
    free(text);
    return rc;
}

int rb_config_load(rb_config **out, const char *path, char *const *overrides, int n_overrides) {
    *out = NULL;
    if (access(path, R_OK) != 0) return rb_fail("config file %s: %s", path, strerror(errno));
    rb_config *c = rb_config_new(path);
    if (!c) return RB_ERR;
    if (rb_load_layer(c, path, 0) != RB_OK) goto fail;
    for (int i = 0; i < n_overrides; i++)
        if (rb_apply_override(c, overrides[i]) != RB_OK) goto fail;
    if (rb_config_finish(c) != RB_OK) goto fail;
    *out = c;
    return RB_OK;
fail:
    rb_config_free(c);
    return RB_ERR;
}

int rb_config_load_string(rb_config **out, const char *text, const char *origin) {
    *out = NULL;
    rb_config *c = rb_config_new(origin);
    if (!c) return RB_ERR;
    if (config_read_string(&c->cfg, text) != CONFIG_TRUE) {
        rb_fail("%s:%d: %s", origin, config_error_line(&c->cfg), config_error_text(&c->cfg));
        goto fail;
    }
    if (rb_config_finish(c) != RB_OK) goto fail;
    *out = c;
    return RB_OK;
fail:
    rb_config_free(c);
    return RB_ERR;
}

void rb_config_free(rb_config *c) {
    if (!c) return;
    config_destroy(&c->cfg);
    free(c->origin);
    free(c->text);
    for (int i = 0; i < c->n_files; i++) free(c->files[i]);
    free(c->files);
    free(c);
}

const char *rb_config_text(const rb_config *c) { return c->text ? c->text : ""; }
const char *rb_config_origin(const rb_config *c) { return c->origin; }

/* ---------- getters ---------- */

static config_setting_t *rb_lookup(const rb_config *c, const char *path) {
    if (!rb_path_ok(path)) return NULL;
    config_setting_t *node = config_root_setting(&c->cfg);
    const char *seg = path;
    while (node) {
        const char *dot = strchr(seg, '.');
        size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
        char name[RB_PATH_MAX];
        memcpy(name, seg, len);
        name[len] = '\0';
        if (name[0] == '[')
            node = config_setting_type(node) == CONFIG_TYPE_LIST || config_setting_type(node) == CONFIG_TYPE_ARRAY
                       ? config_setting_get_elem(node, (unsigned)atoi(name + 1))
                       : NULL;
        else
            node = config_setting_type(node) == CONFIG_TYPE_GROUP ? config_setting_get_member(node, name) : NULL;
        if (!dot) break;
        seg = dot + 1;
    }
    return node;
}

static int rb_get(const rb_config *c, const char *path, config_setting_t **s) {
    *s = rb_lookup(c, path);
    if (!*s) return rb_fail("%s: key '%s' is missing", c->origin, path);
    return RB_OK;
}

int rb_config_has(const rb_config *c, const char *path) { return rb_lookup(c, path) != NULL; }

int rb_config_int(const rb_config *c, const char *path, int *out) {
    config_setting_t *s;
    RB_TRY(rb_get(c, path, &s));
    int t = config_setting_type(s);
    if (t == CONFIG_TYPE_INT) *out = config_setting_get_int(s);
    else if (t == CONFIG_TYPE_INT64) *out = (int)config_setting_get_int64(s);
    else return rb_fail("%s: key '%s' is not an integer", c->origin, path);
    return RB_OK;
}

int rb_config_int64(const rb_config *c, const char *path, int64_t *out) {
    config_setting_t *s;
    RB_TRY(rb_get(c, path, &s));
    int t = config_setting_type(s);
    if (t == CONFIG_TYPE_INT) *out = config_setting_get_int(s);
    else if (t == CONFIG_TYPE_INT64) *out = config_setting_get_int64(s);
    else return rb_fail("%s: key '%s' is not an integer", c->origin, path);
    return RB_OK;
}

int rb_config_double(const rb_config *c, const char *path, double *out) {
    config_setting_t *s;
    RB_TRY(rb_get(c, path, &s));
    int t = config_setting_type(s);
    if (t == CONFIG_TYPE_FLOAT) *out = config_setting_get_float(s);
    else if (t == CONFIG_TYPE_INT) *out = config_setting_get_int(s);
    else if (t == CONFIG_TYPE_INT64) *out = (double)config_setting_get_int64(s);
    else return rb_fail("%s: key '%s' is not a number", c->origin, path);
    return RB_OK;
}

int rb_config_bool(const rb_config *c, const char *path, int *out) {
    config_setting_t *s;
    RB_TRY(rb_get(c, path, &s));
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) return rb_fail("%s: key '%s' is not a boolean", c->origin, path);
    *out = config_setting_get_bool(s);
    return RB_OK;
}

int rb_config_string(const rb_config *c, const char *path, const char **out) {
    config_setting_t *s;
    RB_TRY(rb_get(c, path, &s));
    if (config_setting_type(s) != CONFIG_TYPE_STRING) return rb_fail("%s: key '%s' is not a string", c->origin, path);
    *out = config_setting_get_string(s);
    return RB_OK;
}

int rb_config_length(const rb_config *c, const char *path, int *out) {
    config_setting_t *s;
    RB_TRY(rb_get(c, path, &s));
    int t = config_setting_type(s);
    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST && t != CONFIG_TYPE_GROUP)
        return rb_fail("%s: key '%s' is not an array or list", c->origin, path);
    *out = config_setting_length(s);
    return RB_OK;
}

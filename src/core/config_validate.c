/* config_validate.c - the schema check of an experiment config (the key table of config_schema.c).
 * One pass validates the whole tree after includes and overrides: unknown keys, wrong types,
 * out-of-range values, string values with a control character and missing required keys are errors
 * naming file:line (or --set) and the key;
 * optional keys that are absent get their default written into the tree. */
#include "rb_core.h"
#include "config_internal.h"

#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---------- paths and locations ---------- */

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

/* "file:line" of a setting, or "origin (--set)" for one an override created. */
static void rb_location(const config_setting_t *s, const char *origin, char *buf, size_t cap) {
    const char *file = config_setting_source_file(s);
    unsigned line = config_setting_source_line(s);
    if (file && line)
        snprintf(buf, cap, "%s:%u", file, line);
    else
        snprintf(buf, cap, "%s (--set)", origin);
}

/* ---------- validation ---------- */

static int rb_check_number(const rb_key_spec *spec, double v, const char *loc, const char *path) {
    if (spec->min <= spec->max && (v < spec->min || v > spec->max))
        return rb_fail("%s: %s = %g is out of range [%g, %g] (%s)", loc, path, v, spec->min, spec->max,
                       spec->help);
    return RB_OK;
}

/* Every string value of the schema is a path, a name or a choice: none may hold a control character
 * (a newline in data.dir would add a line to manifest.txt). */
static int rb_check_choice(const rb_key_spec *spec, const char *v, const char *loc, const char *path) {
    char what[RB_PATH_MAX * 2 + 8];
    snprintf(what, sizeof what, "%s: %s", loc, path);
    RB_TRY(rb_check_no_control(what, v));
    if (!spec->choices) return RB_OK;
    if (strcmp(spec->choices, RB_CHOICE_NAME_OR_EMPTY) == 0 && !v[0]) return RB_OK;
    if (strcmp(spec->choices, RB_CHOICE_NAME) == 0 || strcmp(spec->choices, RB_CHOICE_NAME_OR_EMPTY) == 0)
        return rb_check_name(what, v);
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
    const rb_key_spec *spec = rb_config_schema_find(pattern);
    int type = config_setting_type(s);
    if (!spec) {
        if (!s->name && s->parent && config_setting_type(s->parent) == CONFIG_TYPE_LIST)
            return rb_fail("%s: element %s of a list that takes no elements", loc, path);
        char near[RB_PATH_MAX];
        rb_config_suggest(path, near, sizeof near);
        if (near[0]) return rb_fail("%s: unknown key '%s'; did you mean %s? (see docs/config.md)", loc, path, near);
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
        return rb_config_set_from_text(node, pattern_rest, spec->type, spec->fallback, what);
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

int rb_config_validate(rb_config *c) {
    config_setting_t *root = config_root_setting(&c->cfg);
    RB_TRY(rb_validate_children(root, c->origin));
    for (int i = 0; i < rb_config_schema_len; i++)
        RB_TRY(rb_fill_defaults_under(root, rb_config_schema[i].pattern, &rb_config_schema[i], c->origin));
    return rb_config_check_rules(c);
}

/* config_override.c - the --set path=value overrides of an experiment config: splitting and checking
 * the argument, walking to (and creating) the parent setting the schema knows, and writing a typed
 * value parsed from text (also used for the schema defaults by config_validate.c). */
#include "rb_core.h"
#include "config_internal.h"

#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (!rb_config_path_ok(p)) {
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
int rb_config_set_from_text(config_setting_t *parent, const char *name, rb_key_type type,
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

int rb_config_apply_override(rb_config *c, const char *arg) {
    char *path = NULL, *value = NULL;
    RB_TRY(rb_config_parse_override(arg, &path, &value));
    char pattern[RB_PATH_MAX];
    rb_config_pattern_of(path, pattern, sizeof pattern);
    const rb_key_spec *spec = rb_config_schema_find(pattern);
    int rc = RB_OK;
    if (!spec) {
        char near[RB_PATH_MAX];
        rb_config_suggest(path, near, sizeof near);
        if (near[0]) rc = rb_fail("--set %s: unknown key '%s'; did you mean %s? (see docs/config.md)", arg, path, near);
        else rc = rb_fail("--set %s: unknown key '%s' (see docs/config.md)", arg, path);
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
                rb_config_pattern_of(walked, wpat, sizeof wpat);
                const rb_key_spec *gs = rb_config_schema_find(wpat);
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
    rc = rb_config_set_from_text(node, seg, spec->type, value, what);
done:
    free(path);
    free(value);
    return rc;
}

/* config.c - experiment configs (rb_core.h): loading a file (its @include layers, then the --set
 * overrides, then the schema check that also writes defaults, so the effective config stored in output
 * files is complete and explicit), loading config text held in memory, key paths, and the typed
 * getters. The steps live in config_include.c, config_override.c and config_validate.c
 * (config_internal.h); the key table is config_schema.c. */
#include "rb_core.h"
#include "config_internal.h"

#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------- paths ---------- */

void rb_config_pattern_of(const char *path, char *pat, size_t cap) {
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

const rb_key_spec *rb_config_schema_find(const char *pattern) {
    for (int i = 0; i < rb_config_schema_len; i++)
        if (strcmp(rb_config_schema[i].pattern, pattern) == 0) return &rb_config_schema[i];
    return NULL;
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

int rb_config_path_ok(const char *path) {
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

/* ---------- loading ---------- */

/* Validate and fill defaults, then render the effective config as text. */
static int rb_config_finish(rb_config *c) {
    RB_TRY(rb_config_validate(c));
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

int rb_config_load(rb_config **out, const char *path, char *const *overrides, int n_overrides) {
    *out = NULL;
    if (access(path, R_OK) != 0) return rb_fail("config file %s: %s", path, strerror(errno));
    rb_config *c = rb_config_new(path);
    if (!c) return RB_ERR;
    if (rb_config_load_layer(c, path, 0) != RB_OK) goto fail;
    for (int i = 0; i < n_overrides; i++)
        if (rb_config_apply_override(c, overrides[i]) != RB_OK) goto fail;
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
    if (!rb_config_path_ok(path)) return NULL;
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

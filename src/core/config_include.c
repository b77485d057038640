/* config_include.c - reading one config file with its @include layers into the tree of an rb_config.
 * libconfig's own @include is textual, so a key set in a base file could never be changed by the
 * file that includes it ("duplicate setting"). robusta reads @include lines itself: each included
 * file is loaded first (recursively, paths relative to the including file), then the including
 * file's own settings are merged over it: groups merge member by member, anything else replaces. */
#include "rb_core.h"
#include "config_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The largest config file (the -c file and each @include) robusta reads: configs are a few KiB, so
 * a larger file, or one that never ends (/dev/zero), is a mistake reported at once (docs/config.md). */
#define RB_CONFIG_FILE_MAX (1024 * 1024)

/* Read a config file of at most RB_CONFIG_FILE_MAX bytes of text (no NUL byte) into *text. Only a
 * regular file: a FIFO would block forever waiting for a writer, a device need never end. */
static int rb_read_config_file(const char *path, char **text) {
    *text = NULL;
    int fd;
    RB_TRY(rb_open_regular(path, &fd));
    char *buf = rb_malloc(RB_CONFIG_FILE_MAX + 1, "config file");
    if (!buf) {
        close(fd);
        return RB_ERR;
    }
    size_t len = 0;
    int rc = RB_OK;
    for (;;) {
        size_t room = RB_CONFIG_FILE_MAX + 1 - len;
        if (room == 0) {
            rc = rb_fail("%s: larger than %d bytes (1 MiB), the limit for a config file or an @include file",
                         path, RB_CONFIG_FILE_MAX);
            break;
        }
        ssize_t n = read(fd, buf + len, room > 65536 ? 65536 : room);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = rb_fail("%s: read error: %s", path, strerror(errno));
            break;
        }
        if (n == 0) break;
        if (memchr(buf + len, '\0', (size_t)n)) {
            rc = rb_fail("%s: holds a NUL byte at offset %zu: not a text config file", path,
                         len + (size_t)((char *)memchr(buf + len, '\0', (size_t)n) - (buf + len)));
            break;
        }
        len += (size_t)n;
    }
    close(fd);
    if (rc != RB_OK) {
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    *text = buf;
    return RB_OK;
}

/* The one copy of a file name kept in c (settings point at it for error locations). */
static const char *rb_intern_file(rb_config *c, const char *path) {
    for (int i = 0; i < c->n_files; i++)
        if (strcmp(c->files[i], path) == 0) return c->files[i];
    char **grown = realloc(c->files, sizeof *grown * (size_t)(c->n_files + 1));
    if (!grown) return NULL;
    c->files = grown;
    c->files[c->n_files] = rb_strdup(path, "config file name");
    return c->files[c->n_files] ? c->files[c->n_files++] : NULL;
}

/* Make file the source of s and of every setting under it, where none is set yet. */
static void rb_tag_file(config_setting_t *s, const char *file) {
    if (!s->file) s->file = file;
    if (config_setting_is_aggregate(s))
        for (int i = 0; i < config_setting_length(s); i++) rb_tag_file(config_setting_get_elem(s, (unsigned)i), file);
}

/* Deep copy of src as a new member (or element) of dst_parent, keeping its source location. */
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

/* Merge group src over group dst: groups merge member by member, anything else replaces. */
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

int rb_config_load_layer(rb_config *c, const char *path, int depth) {
    if (depth > 16) return rb_fail("%s: @include nested too deeply (a cycle?)", path);
    char *text = NULL;
    if (rb_read_config_file(path, &text) != RB_OK) return rb_context("config file");
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
            if (rb_config_load_layer(c, inc, depth + 1) != RB_OK) {
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

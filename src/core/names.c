/* names.c - the checks for names and relative paths that come from a config or a results file
 * (rb_core.h): a run id, a dataset name or any other single path component must be a plain name,
 * and a path meant to stay under a root must be relative and never climb out of it. The allowed
 * set is documented in docs/config.md ("Names and paths"). Messages show the offending value with
 * control characters escaped, so the error stays one line. */
#include "rb_core.h"

#include <stdio.h>
#include <string.h>

/* value quoted for a message: printable ASCII as is, anything else as \n, \t or \xHH; cut at 80 */
static void rb_quote_value(const char *value, char *buf, size_t cap) {
    size_t used = 0;
    for (const unsigned char *p = (const unsigned char *)value; *p && used + 8 < cap; p++) {
        if (p - (const unsigned char *)value >= 80) {
            used += (size_t)snprintf(buf + used, cap - used, "...");
            break;
        }
        if (*p == '\n') used += (size_t)snprintf(buf + used, cap - used, "\\n");
        else if (*p == '\t') used += (size_t)snprintf(buf + used, cap - used, "\\t");
        else if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\') used += (size_t)snprintf(buf + used, cap - used, "\\x%02x", *p);
        else buf[used++] = (char)*p;
    }
    buf[used] = '\0';
}

static int rb_name_char(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.' || c == '+';
}

int rb_check_name(const char *what, const char *name) {
    char shown[400];
    rb_quote_value(name, shown, sizeof shown);
    size_t len = strlen(name);
    const char *why = NULL;
    char too_long[64];
    snprintf(too_long, sizeof too_long, "it is longer than %d characters", RB_NAME_MAX);
    if (len == 0) why = "it is empty";
    else if (len > RB_NAME_MAX) why = too_long;
    else if (name[0] == '.' || name[0] == '-' || name[0] == '+') why = "it starts with '.', '-' or '+'";
    else
        for (const char *p = name; *p && !why; p++)
            if (!rb_name_char((unsigned char)*p)) why = *p == '/' ? "it contains '/'" : "it contains a character outside A-Z a-z 0-9 _ - . +";
    if (!why) return RB_OK;
    return rb_fail("%s \"%s\" is not a valid name: %s (a name is 1-%d characters from A-Z a-z 0-9 _ - . +, "
                   "starting with a letter, digit or _; docs/config.md)", what, shown, why, RB_NAME_MAX);
}

int rb_check_relative_path(const char *what, const char *path) {
    char shown[400];
    rb_quote_value(path, shown, sizeof shown);
    const char *why = NULL;
    if (!path[0]) why = "it is empty";
    else if (path[0] == '/') why = "it is absolute";
    for (const unsigned char *p = (const unsigned char *)path; *p && !why; p++)
        if (*p < 0x20 || *p == 0x7f) why = "it contains a control character";
    /* a ".." component: at the start or after '/', followed by '/' or the end */
    for (const char *p = path; *p && !why; p++) {
        int at_start = p == path || p[-1] == '/';
        if (at_start && p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0')) why = "it has a '..' component";
    }
    if (!why) return RB_OK;
    return rb_fail("%s \"%s\" must be a relative path that stays under its directory: %s", what, shown, why);
}

int rb_check_key_value(const char *what, const char *value) {
    char shown[400];
    rb_quote_value(value, shown, sizeof shown);
    const char *why = NULL;
    if (!value[0]) why = "it is empty";
    else if (strlen(value) > 159) why = "it is longer than 159 characters";
    for (const unsigned char *p = (const unsigned char *)value; *p && !why; p++)
        if (!rb_name_char(*p) && *p != ':')
            why = *p < 0x20 || *p == 0x7f ? "it contains a control character" : "it contains a character outside A-Z a-z 0-9 _ - . + :";
    if (!why) return RB_OK;
    return rb_fail("%s \"%s\" is not a valid key: %s", what, shown, why);
}

int rb_check_no_control(const char *what, const char *value) {
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p < 0x20 || *p == 0x7f) {
            char shown[400];
            rb_quote_value(value, shown, sizeof shown);
            return rb_fail("%s \"%s\" contains a control character (byte 0x%02x); paths and names in a config "
                           "may not", what, shown, *p);
        }
    return RB_OK;
}

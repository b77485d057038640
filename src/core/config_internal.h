/* config_internal.h - what the files of the experiment configuration share privately: the rb_config
 * object, key paths, and the entry points of each step of loading. config.c loads (read the layers,
 * apply the overrides, validate, render) and answers lookups; config_include.c reads a file with its
 * @include layers; config_override.c parses --set and writes typed values from text;
 * config_validate.c checks the tree against the schema and fills defaults; config_rules.c checks the
 * rules that span several values. */
#ifndef RB_CONFIG_INTERNAL_H
#define RB_CONFIG_INTERNAL_H

#include "rb_core.h"

#include <libconfig.h>
#include <stddef.h>

struct rb_config {
    config_t cfg;
    char *origin;
    char *text;
    char **files;  /* names of every file read (settings point at them for error locations) */
    int n_files;
};

#define RB_PATH_MAX 512

/* ---- key paths (config.c) ---- */

/* Whether path is name(.name|.[index])* (names [A-Za-z*][A-Za-z0-9_*-]*, indices up to 6 digits). */
int rb_config_path_ok(const char *path);
/* The schema pattern of a concrete path: every "[index]" becomes "[]". */
void rb_config_pattern_of(const char *path, char *pat, size_t cap);
/* The schema entry of a pattern, NULL if the schema has no such key. */
const rb_key_spec *rb_config_schema_find(const char *pattern);

/* ---- one layered file (config_include.c) ---- */

/* Read path and its @include files (depth counts the nesting) and merge them over c's tree. */
int rb_config_load_layer(rb_config *c, const char *path, int depth);

/* ---- values from text (config_override.c) ---- */

/* Replace (or create) member name of parent with a value of type parsed from text; what names the
 * source in errors ("--set path", "default of pattern"). */
int rb_config_set_from_text(config_setting_t *parent, const char *name, rb_key_type type, const char *text,
                            const char *what);
/* Apply one --set path=value to c's tree (the key must be in the schema). */
int rb_config_apply_override(rb_config *c, const char *arg);

/* ---- schema check (config_validate.c) ---- */

/* Validate the whole tree against the schema, then write the default of every absent optional key
 * and report absent required ones. */
int rb_config_validate(rb_config *c);

/* ---- rules across values (config_rules.c), run by rb_config_validate after the schema check ---- */

/* Duplicates, pairs of known corruptions, odd weights.smooth, open-ended ranges, and each synthetic
 * dataset's video counts (docs/config.md, "Validation"). */
int rb_config_check_rules(rb_config *c);

#endif

/* rb_config.h - experiment configuration: libconfig files with @include, a schema that rejects
 * unknown keys, wrong types and out-of-range values (naming file, line and key), and command-line
 * overrides `--set path=value`. The effective config (after includes and overrides) is available as
 * text for provenance. Paths use dots and list indices: "train.epochs", "data.datasets.[1].n_test". */
#ifndef RB_CONFIG_H
#define RB_CONFIG_H

#include <stdint.h>

typedef struct rb_config rb_config;

/* Load path, apply overrides ("path=value" strings), validate against the schema. */
int rb_config_load(rb_config **out, const char *path, char *const *overrides, int n_overrides);
/* Parse config text held in memory (e.g. a config stored in an output file); origin names it. */
int rb_config_load_string(rb_config **out, const char *text, const char *origin);
void rb_config_free(rb_config *c);

/* Split "path=value" into its two halves (malloc'd). Validates the path syntax
 * (name(.name|.[index])*) and that the value is non-empty. Fuzzed: never crashes on any input. */
int rb_config_parse_override(const char *text, char **path, char **value);

/* Typed getters; a missing key or a wrong type is an error naming the key. */
int rb_config_int(const rb_config *c, const char *path, int *out);
int rb_config_int64(const rb_config *c, const char *path, int64_t *out);
int rb_config_double(const rb_config *c, const char *path, double *out);
int rb_config_bool(const rb_config *c, const char *path, int *out);
/* The returned string lives as long as the config. */
int rb_config_string(const rb_config *c, const char *path, const char **out);
/* Number of elements of an array or list (0 if the key is an empty array). */
int rb_config_length(const rb_config *c, const char *path, int *out);
int rb_config_has(const rb_config *c, const char *path);

/* Effective configuration as libconfig text. */
const char *rb_config_text(const rb_config *c);
/* The file the config was loaded from ("<string>" for in-memory text). */
const char *rb_config_origin(const rb_config *c);

#endif

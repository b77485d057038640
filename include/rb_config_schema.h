/* rb_config_schema.h - the table of every configuration key robusta accepts: its type, whether it is
 * required, its default, and its allowed range or choices. config.c validates loaded files and
 * --set overrides against it; docs/config.md documents the same keys. */
#ifndef RB_CONFIG_SCHEMA_H
#define RB_CONFIG_SCHEMA_H

typedef enum {
    RB_KEY_GROUP,        /* a { } group */
    RB_KEY_LIST,         /* a ( ) list of groups; children use "[]" in their pattern */
    RB_KEY_INT,
    RB_KEY_FLOAT,        /* an integer literal is accepted and converted */
    RB_KEY_BOOL,
    RB_KEY_STRING,
    RB_KEY_STRING_ARRAY, /* [ "a", "b" ] */
    RB_KEY_INT_ARRAY     /* [ 1, 2 ] */
} rb_key_type;

typedef struct {
    const char *pattern;  /* "train.epochs", "data.datasets.[].name" */
    rb_key_type type;
    const char *fallback; /* default value as config text; NULL when the key is required; "" when it
                           * is optional and its reader supplies the default (generator knobs) */
    double min, max;      /* inclusive range for numbers (and array elements); ignored when min > max */
    const char *choices;  /* "a|b|c" for strings (and string array elements), or NULL */
    const char *help;     /* one line for docs and error messages */
} rb_key_spec;

extern const rb_key_spec rb_config_schema[];
extern const int rb_config_schema_len;

#endif

/* rb_core.h - the core stage (src/core/): errors and checked allocation, files (read, mkdir -p,
 * atomic replace), the counter-based random numbers, SHA-256, the configuration with its schema, and
 * the command-line option tables. Every other stage builds on it; it depends on no other stage. */
#ifndef RB_CORE_H
#define RB_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- error reporting (errors.c), shared by every robusta module.
 *
 * Convention (PETSc-style): every fallible function returns int, RB_OK (0) on success and RB_ERR on
 * failure. The failing function records one message with rb_fail(); each caller on the way up may
 * prepend context with rb_context() ("reading data/x.h5: /train/visual: expected rank 3, got 2").
 * The command layer prints the final message once and exits (or aborts the MPI job). */

#define RB_OK 0
#define RB_ERR (-1)

#define RB_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Record an error message (replacing any previous one). Always returns RB_ERR. */
int rb_fail(const char *fmt, ...) RB_PRINTF(1, 2);
/* Prepend "context: " to the current error message. Always returns RB_ERR. */
int rb_context(const char *fmt, ...) RB_PRINTF(1, 2);
const char *rb_error_message(void);
void rb_error_clear(void);

/* Propagate a failure unchanged. */
#define RB_TRY(expr)                                                                               \
    do {                                                                                           \
        if ((expr) != RB_OK) return RB_ERR;                                                        \
    } while (0)
/* Propagate a failure with added context. */
#define RB_TRY_CTX(expr, ...)                                                                      \
    do {                                                                                           \
        if ((expr) != RB_OK) return rb_context(__VA_ARGS__);                                       \
    } while (0)

/* ---- checked allocation (memory.c): records "out of memory allocating <what> (<n> bytes)" and
 * returns NULL on failure. A request of 0 bytes returns a valid unique pointer. Free with free(). */
void *rb_malloc(size_t nbytes, const char *what);
void *rb_calloc(size_t count, size_t size, const char *what);
char *rb_strdup(const char *s, const char *what);
/* Overflow-checked size product a*b; records an error and returns 0 with *ok = 0 on overflow. */
size_t rb_size_mul(size_t a, size_t b, int *ok);

/* ---- files (files.c). Errors name the path and the system's reason. */

/* Read a whole file into a NUL-terminated buffer (free()). A missing or unreadable file is an error
 * naming it. */
int rb_read_file(const char *path, char **text);
/* Create dir and any missing parents (mkdir -p; mode 0777 less the umask). Directories that exist
 * are fine; a file or anything else in the way is an error naming it. */
int rb_mkdir_p(const char *dir);
/* Replace path with text (or n bytes of data) atomically: written to "<path>.tmp" (created
 * exclusively, never through a symbolic link; a stale one is removed first), synced, then renamed
 * over path, so readers and crashes see the old content or the new, never a part. A symbolic link
 * at path is replaced, not followed. No temporary is left behind on failure. One writer per path. */
int rb_write_file_atomic(const char *path, const char *text);
int rb_write_bytes_atomic(const char *path, const void *data, size_t n);

/* ---- logging, abort and the clock (errors.c) */

/* Informational message to stderr, prefixed "robusta: ". Silent when rb_log_quiet is set. */
extern int rb_log_quiet;
void rb_log(const char *fmt, ...) RB_PRINTF(1, 2);

/* Print "robusta: error: <message>" to stderr and terminate: MPI_Abort on a multi-rank job (so an
 * error seen by one rank never hangs the others), exit(1) otherwise. */
void rb_die(void) __attribute__((noreturn));

/* After a step every rank of comm ran (a collective read, say): if any rank failed, the lowest
 * failing rank prints its message and aborts the job, the others wait to be ended, so one error
 * gives one line however many ranks saw it. Returns only when every rank succeeded. comm is an
 * MPI_Comm passed as a pointer to keep MPI out of this header. */
void rb_collective_check(int rc, const void *comm);

/* Wall clock in seconds (monotonic). */
double rb_now(void);

/* ---- the only source of randomness in robusta: Random123 Philox4x32-10, counter-based.
 *
 * A stream is keyed by (run seed, purpose) and countered by three caller-chosen 32-bit ids (for
 * example dataset, video, snippet) plus an internal draw counter. No state is carried between
 * streams, so a draw depends only on (seed, purpose, ids, draw index): the same numbers come out on
 * any rank, in any order (docs/architecture.md). */

/* Purposes: one per independent use. Never reuse a purpose for two uses; append new ones at the end
 * (changing a value changes every number that depends on it). */
enum rb_purpose {
    RB_PURPOSE_SYNTH_GLOBAL = 1,   /* synthetic generator: dataset-wide prototypes and loadings */
    RB_PURPOSE_SYNTH_VIDEO = 2,    /* synthetic generator: per-video draws */
    RB_PURPOSE_SYNTH_SNIPPET = 3,  /* synthetic generator: per-snippet noise */
    RB_PURPOSE_TRAIN_INIT = 10,    /* weight initialisation */
    RB_PURPOSE_TRAIN_SHUFFLE = 11, /* minibatch order */
    RB_PURPOSE_TRAIN_DROPOUT = 12, /* dropout masks */
    RB_PURPOSE_TRAIN_MODALITY = 13,/* visual-or-audio choice per bag (shared detector) */
    RB_PURPOSE_TRAIN_RESAMPLE = 14,/* snippet resampling of long videos */
    RB_PURPOSE_GMM_SUBSAMPLE = 20, /* GMM training subsample */
    RB_PURPOSE_GMM_INIT = 21,      /* k-means++ seeding */
    RB_PURPOSE_GMM_HOLDOUT = 22,   /* held-out split for weight calibration */
    RB_PURPOSE_CORRUPT = 30,       /* feature-space corruption surrogates */
    RB_PURPOSE_BOOTSTRAP = 40,     /* paired bootstrap resamples of the test videos */
    RB_PURPOSE_TEST = 99           /* unit tests */
};

typedef struct {
    uint32_t key[2];   /* seed, purpose */
    uint32_t ctr[4];   /* id0, id1, id2, block index */
    uint32_t buf[4];   /* current output block */
    int avail;         /* unread words left in buf */
    int has_spare;     /* Box-Muller keeps its second normal */
    double spare;
} rb_rng;

void rb_rng_init(rb_rng *r, uint32_t seed, uint32_t purpose, uint32_t id0, uint32_t id1, uint32_t id2);
uint32_t rb_rng_u32(rb_rng *r);
/* Uniform double in the open interval (0, 1), 53 random bits. */
double rb_rng_uniform(rb_rng *r);
/* Standard normal (Box-Muller on two uniforms). */
double rb_rng_normal(rb_rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint32_t rb_rng_below(rb_rng *r, uint32_t n);
/* Fisher-Yates permutation of 0..n-1 into perm. */
void rb_rng_permutation(rb_rng *r, int32_t *perm, int32_t n);

/* ---- SHA-256 (FIPS 180-4) of memory and files, for input checksums in provenance. */

typedef struct {
    uint32_t state[8];
    uint64_t length;
    unsigned char block[64];
    size_t used;
} rb_sha256;

void rb_sha256_init(rb_sha256 *h);
void rb_sha256_update(rb_sha256 *h, const void *data, size_t n);
void rb_sha256_hex(rb_sha256 *h, char hex[65]); /* finalises */
int rb_sha256_file(const char *path, char hex[65]);

/* ---- experiment configuration: libconfig files with @include, a schema that rejects
 * unknown keys, wrong types and out-of-range values (naming file, line and key), and command-line
 * overrides `--set path=value`. The effective config (after includes and overrides) is available as
 * text for provenance. Paths use dots and list indices: "train.epochs", "data.datasets.[1].n_test". */

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

/* ---- the table of every configuration key robusta accepts: its type, whether it is
 * required, its default, and its allowed range or choices. config_validate.c checks loaded files and
 * --set overrides against it; docs/config.md documents the same keys. */

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

/* ---- command-line parsing shared by the subcommands. A subcommand keeps its options in a struct of
 * its own and describes them with a table of rb_opt entries, each bound to the field it fills (an
 * example; src/cmd/cmd_*.c hold the real ones):
 *
 *     struct example_options { const char *out; rb_cli_list skip; int no_plots; int worst; } o = {.worst = 10};
 *     const rb_opt opts[] = {
 *         RB_CLI_VALUE("out", 'o', "DIR", &o.out, "output directory"),
 *         RB_CLI_LIST("skip", 0, "NAME", &o.skip, "leave NAME out (repeatable)"),
 *         RB_CLI_FLAG("no-plots", 0, &o.no_plots, "tables only"),
 *         RB_CLI_INT("worst", 0, "N", &o.worst, 0, 1000, "list the N worst cells (default 10)"),
 *     };
 *
 * The parser writes a field only when its option is given, so a field's initial value is its default
 * (a list field starts empty). Accepted: --long, --long=VALUE, --long VALUE, -s VALUE (one letter, no
 * bundling); "--" ends the options; "-" and every word not starting with '-' are positional; --help
 * and -h ask for the usage. */

typedef enum {
    RB_OPT_FLAG,  /* int: how many times the flag was given (0 when absent) */
    RB_OPT_VALUE, /* const char *: the value (an argv string); giving it twice is an error */
    RB_OPT_LIST,  /* rb_cli_list: every value, in command-line order (repeatable) */
    RB_OPT_INT,   /* int: a decimal integer in [min, max]; giving it twice is an error */
} rb_opt_kind;

/* The values of a repeatable option, or the positional arguments: argv strings in order. items is
 * malloc'd by the parser and freed by rb_cli_free; NULL while n == 0. */
typedef struct {
    char **items;
    int n;
} rb_cli_list;

typedef struct {
    const char *name;    /* long name without dashes: "config" */
    char short_name;     /* 'c', or 0 */
    rb_opt_kind kind;
    const char *metavar; /* "CFG" (usage and "needs a value" errors); "" for a flag */
    const char *help;    /* one line of the usage */
    union {              /* the field the option fills; the member is chosen by kind */
        int *flag;
        const char **value;
        rb_cli_list *list;
        int *integer;
    } to;
    long min, max; /* RB_OPT_INT: inclusive range (within int) */
} rb_opt;

/* Table entries. field is a pointer of the kind's type (a wrong type does not compile). */
#define RB_CLI_FLAG(name, short_name, field, help) {(name), (short_name), RB_OPT_FLAG, "", (help), {.flag = (field)}, 0, 0}
#define RB_CLI_VALUE(name, short_name, metavar, field, help)                                       \
    {(name), (short_name), RB_OPT_VALUE, (metavar), (help), {.value = (field)}, 0, 0}
#define RB_CLI_LIST(name, short_name, metavar, field, help)                                        \
    {(name), (short_name), RB_OPT_LIST, (metavar), (help), {.list = (field)}, 0, 0}
#define RB_CLI_INT(name, short_name, metavar, field, min, max, help)                               \
    {(name), (short_name), RB_OPT_INT, (metavar), (help), {.integer = (field)}, (min), (max)}

/* The -c CFG / --set KEY=VALUE pair of the config-driven subcommands, and its two table entries
 * (config_help describes -c CFG). */
typedef struct {
    const char *path; /* -c CFG, or NULL */
    rb_cli_list sets; /* --set KEY=VALUE, in order */
} rb_cli_config;
#define RB_CLI_CONFIG(field, config_help)                                                          \
    RB_CLI_VALUE("config", 'c', "CFG", &(field)->path, (config_help)),                             \
        RB_CLI_LIST("set", 0, "KEY=VALUE", &(field)->sets, "override a config key (repeatable)")

/* The number of entries of an rb_opt array (not a pointer). */
#define RB_CLI_COUNT(opts) ((int)(sizeof(opts) / sizeof((opts)[0])))

/* Parse argv[1..] (argv[0] is the subcommand, used in messages) into the fields of opts; positional
 * arguments go to *positional in order; --help / -h sets *help. Errors, each naming the command and
 * the option: "unknown option", "needs a value", "takes no value", "given twice", and for RB_OPT_INT
 * "expected an integer in MIN..MAX". On an error everything the parser allocated is freed again. */
int rb_cli_parse(int argc, char **argv, const rb_opt *opts, int n_opts, rb_cli_list *positional, int *help);
/* The --help text: "usage: robusta COMMAND SYNOPSIS", the summary, then one line per option. */
void rb_cli_usage(FILE *out, const char *command, const char *synopsis, const char *summary, const rb_opt *opts,
                  int n_opts);
/* Free the list fields of opts and the positional arguments (and empty them). */
void rb_cli_free(const rb_opt *opts, int n_opts, rb_cli_list *positional);

/* The common start of every subcommand: parse argv (errors end the job) and, for --help, print the
 * usage on rank 0, free what the parser collected and return 1 (the caller returns 0). Returns 0
 * when the command runs (the caller frees with rb_cli_free when done). */
int rb_cli_command(int argc, char **argv, const rb_opt *opts, int n_opts, const char *synopsis, const char *summary,
                   rb_cli_list *positional);

/* The common start of a config-driven subcommand whose table holds RB_CLI_CONFIG(config, ...): like
 * rb_cli_command, then require -c CFG and no positional arguments. */
int rb_cli_config_command(int argc, char **argv, const rb_opt *opts, int n_opts, const char *synopsis,
                          const char *summary, const rb_cli_config *config, rb_cli_list *positional);

#endif

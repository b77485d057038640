/* rb_core.h - the core stage (src/core/): errors and checked allocation, files (read, mkdir -p,
 * atomic replace), the counter-based random numbers, SHA-256, a radix sort, the configuration with its schema, and
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
/* Open path for reading only if it is a regular file (a FIFO, device, directory or socket is an
 * error naming it, returned at once: never blocks on a FIFO). */
int rb_open_regular(const char *path, int *fd);
/* Create dir and any missing parents (mkdir -p; mode 0777 less the umask). Directories that exist
 * are fine; a file or anything else in the way is an error naming it. */
int rb_mkdir_p(const char *dir);
/* mkdir of one directory whose parent exists; an existing real directory is fine, a symbolic link
 * (or anything else) at that name is an error: for the folders robusta owns inside a run or report
 * directory (journal/, scores/, plots/), which must never lead elsewhere. */
int rb_mkdir_real(const char *dir);
/* Create a new temporary file next to path, "<path>.tmp.XXXXXX" (mkstemp: a fresh random name,
 * O_CREAT|O_EXCL, so never an existing file and never through a symbolic link; mode 0666 less the
 * umask). tmp (cap >= strlen(path) + 12) receives the name ("" on failure), *fd the open descriptor.
 * The caller renames it over path when complete, or unlinks it. An interrupted writer can leave one
 * behind: nothing reads it, it is safe to delete. */
int rb_create_temp(const char *path, char *tmp, size_t cap, int *fd);
/* Replace path with text (or n bytes of data) atomically: written to a fresh temporary
 * (rb_create_temp), synced, then renamed over path, so readers and crashes see the old content or
 * the new, never a part. A symbolic link at path is replaced, not followed; one planted at any
 * temporary name is never touched. No temporary is left behind on failure; two writers of the same
 * path never write into each other's temporary (the last rename wins). */
int rb_write_file_atomic(const char *path, const char *text);
int rb_write_bytes_atomic(const char *path, const void *data, size_t n);

/* ---- names and confined paths (names.c; docs/config.md "Names and paths"). */

#define RB_NAME_MAX 63 /* a dataset name must fit rb_result_cond.dataset[64] with its NUL */
/* A value used as one file or directory name (run.id, a dataset name ...): 1-63 characters from
 * A-Z a-z 0-9 _ - . +, not starting with '.', '-' or '+' (so never "." or ".." and no '/', space,
 * quote or control character). Otherwise an error naming what and the value (escaped). */
int rb_check_name(const char *what, const char *name);
/* A path to be joined under a root: non-empty, not absolute, no ".." component, no control
 * characters. Otherwise an error naming what and the value. */
int rb_check_relative_path(const char *what, const char *path);
/* A key value read back from a results file (a corruption, modality, condition label or source):
 * 1-159 characters from A-Z a-z 0-9 _ - . + : (so no space, quote, '/' or control character).
 * Otherwise an error naming what and the value (escaped). */
int rb_check_key_value(const char *what, const char *value);
/* A config string (a path or a name) without control characters (bytes below 0x20 and 0x7f), so it
 * can never add a line to a manifest, a script or a message. Otherwise an error naming what. */
int rb_check_no_control(const char *what, const char *value);

/* ---- element kernels built for the widest vector unit. RB_VECTOR_KERNEL before a function compiles
 * it at -O3; on x86-64 Linux with GCC it also gets an AVX-512 and an AVX2 clone beside the baseline
 * (SSE2) one, and the loader picks the widest the CPU has (target_clones). For loops of IEEE +, -, *,
 * /, sqrt and integer or bit operations with no reduction across the loop: such a loop gives the same
 * bits in every clone and unvectorised, since nothing is contracted into fused multiply-adds
 * (fp-contract=off, also the -std=c11 default) and nothing is reordered. A file whose kernels call
 * sqrt is built with -fno-math-errno (Makefile), or sqrt keeps the loop scalar. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define RB_VECTOR_KERNEL                                                                                \
    __attribute__((optimize("O3", "no-trapping-math", "fp-contract=off"), target_clones("avx512f", "avx2", "default")))
#elif defined(__GNUC__) && !defined(__clang__)
#define RB_VECTOR_KERNEL __attribute__((optimize("O3", "no-trapping-math", "fp-contract=off")))
#else
#define RB_VECTOR_KERNEL
#endif

/* ---- logging, the MPI error discipline and the clock (errors.c)
 *
 * THE MPI ERROR DISCIPLINE (docs/failure-model.md). Every fault -- a full disk, a quota, an
 * unwritable file, a failed allocation, a bad input -- is an ordinary error: the function that sees
 * it records one message (rb_fail) and returns RB_ERR up the call chain. Library code does not exit
 * or abort (there is no job-wide abort function any more). Under MPI that is only safe
 * with one more rule:
 *
 *   No rank may enter a collective step that another rank skipped. So every collective step
 *   (an MPI collective, a one-sided window's creation or release, and every collective call of
 *   parallel HDF5: H5Fcreate/H5Fopen, H5Gcreate, H5Dcreate, H5Acreate, a collective H5Dwrite,
 *   H5Dclose, H5Fclose) is preceded by an agreement on success across the ranks that take part:
 *
 *       rc = local_work();                       // may fail on some ranks only
 *       if (rb_mpi_agree(rc, &comm) != RB_OK)    // MPI_Allreduce: did every rank succeed?
 *           goto cleanup;                        // every rank leaves together
 *       collective_step();
 *
 *   rb_mpi_agree returns RB_ERR on every rank when any rank failed, and gives every rank the
 *   message of the lowest failing rank (broadcast from it), so the job reports one error, once.
 *   Cleanup after an agreed failure is itself collective and identical on every rank (close every
 *   HDF5 id, free windows), and the temporary file of a failed write is removed, never published.
 *
 * The command returns RB_ERR to main (src/cmd/main.c), the only place that prints the error and
 * picks the exit status: rank 0 prints "robusta: error: <message>" when the error was agreed over
 * every rank; an error seen by one rank alone (a one-rank job, or a step that is not collective)
 * is printed by that rank, which then aborts the job (MPI_Abort) in case another rank waits in a
 * collective. main then shuts HDF5 down (H5close, so no file id outlives MPI) and every rank ends
 * with MPI_Finalize and exit status 1.
 *
 * MPI calls themselves are checked by the error handler rb_mpi_set_error_handler installs once, on
 * MPI_COMM_WORLD (communicators made from it inherit it) and on every window robusta creates: an
 * MPI error (a dead peer, a broken network) prints one line "robusta: error: MPI: ..." and aborts
 * the job (MPI_Abort), because after a failed collective the ranks can no longer agree on anything.
 * MPI return codes are therefore not checked one by one. */

/* Informational message to stderr, prefixed "robusta: ". Silent when rb_log_quiet is set. */
extern int rb_log_quiet;
void rb_log(const char *fmt, ...) RB_PRINTF(1, 2);

/* Agreement on success over the ranks of comm (an MPI_Comm passed as a pointer, to keep MPI out of
 * this header). Collective: every rank of comm calls it with its local status. Returns RB_OK when
 * every rank passed RB_OK; otherwise RB_ERR on every rank, each now holding the message of the
 * lowest failing rank (a rank whose error was itself agreed before only passes it on, so the rank
 * named stays the one that saw it; a success leaves that record as it was, for the cleanup after a
 * failure). Cost: one MPI_Allreduce of an int (plus a broadcast of the message on failure). */
int rb_mpi_agree(int rc, const void *comm);

/* main's end of a failed command: print the error once (see above; aborts the job when the error was
 * not agreed by every rank of a multi-rank job). Returns the exit status (1). */
int rb_error_report(void);

/* Install the MPI error handler described above on MPI_COMM_WORLD (main calls it once, after
 * MPI_Init), and on a window (an MPI_Win passed as a pointer: the grid's cell counter; the
 * node-shared feature windows keep MPI's default, errors are fatal there too). */
void rb_mpi_set_error_handler(void);
void rb_mpi_set_win_error_handler(void *win);


/* ---- fault injection for the tests (fault.c; docs/failure-model.md "Fault injection").
 *
 * RB_FAULT=SPEC[,SPEC...], read once by main at start-up (rb_fault_init), makes chosen operations
 * fail on chosen ranks:  SPEC = KIND:N[@RANK][:MATCH]
 *   KIND   write  (HDF5 dataset writes, journal records, atomically written files) or
 *          alloc  (rb_malloc / rb_calloc / rb_strdup)
 *   N      the Nth such operation on the rank (counted from 1, among those MATCH selects) fails
 *   RANK   the MPI rank (MPI_COMM_WORLD) it fails on; every rank when absent
 *   MATCH  count only the operations whose label contains MATCH: for a write the file path (HDF5:
 *          the file path followed by the dataset path, "run/results.h5.tmp/cells/ap"), for an
 *          allocation its description ("cells columns")
 * A failing HDF5 write still takes part in its collective call and then reports failure, like a
 * real ENOSPC; a failing file write writes nothing and fails with ENOSPC; a failing allocation
 * returns NULL. Each injected fault logs "robusta: fault injected: ...". Without RB_FAULT nothing is
 * counted: the hooks test one global flag. */
extern int rb_fault_active;
/* Parse RB_FAULT (no-op when unset). rank: this process's rank in MPI_COMM_WORLD. */
int rb_fault_init(int rank);
/* Whether this write / allocation (label as above) is the one to fail. Call only when
 * rb_fault_active. */
int rb_fault_write(const char *label);
int rb_fault_alloc(const char *label);

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
/* out[0..n) = the next n words of the stream: exactly what n calls of rb_rng_u32 return (words left in
 * the current block first), whole Philox blocks written straight to out. */
void rb_rng_fill_u32(rb_rng *r, uint32_t *out, int64_t n);
/* Uniform double in the open interval (0, 1), 53 random bits. */
double rb_rng_uniform(rb_rng *r);
/* Standard normal (Box-Muller on two uniforms). */
double rb_rng_normal(rb_rng *r);
/* z[0..n) = standard normal deviates first .. first+n-1 of the stream (seed, purpose, id0, id1, id2),
 * single precision, vectorised (rng_normals.c): deviates 4b .. 4b+3 are Box-Muller on the word pairs
 * (w0, w1) and (w2, w3) of Philox block b, so deviate j depends on (stream, j) only, never on how a
 * range is split into calls. first + n <= 2^34. The words are those rb_rng_u32 reads from a fresh
 * rb_rng of the same stream. */
void rb_rng_normals_f32(uint32_t seed, uint32_t purpose, uint32_t id0, uint32_t id1, uint32_t id2, uint64_t first,
                        float *z, int64_t n);
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

/* ---- sorting records by a double field (sort.c): an LSD radix sort on the key's bits, stable, so
 * equal keys keep their input order and the result is the same on every machine. Ascending or
 * descending by numeric value; -0.0 sorts next to +0.0 (before it ascending, after it descending), so
 * a walk that groups equal keys with == still sees them together. Keys must not be NaN (callers check
 * finiteness first). Linear in n (8 passes at most, a pass skipped when every key shares its byte):
 * with it the frame metrics of 10^5 snippets take 3.7 ms instead of 13.9 (make bench
 * metrics_scaling). RB_ERR (message set) only when the 32 n + size n bytes of scratch cannot be
 * allocated; `what` names the records in that message. */
int rb_sort_by_double(void *records, int64_t n, size_t size, size_t key_offset, int descending, const char *what);

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
    const char *choices;  /* "a|b|c" for strings (and string array elements), RB_CHOICE_NAME(_OR_EMPTY)
                           * for a value checked by rb_check_name, or NULL */
    const char *help;     /* one line for docs and error messages */
} rb_key_spec;

#define RB_CHOICE_NAME "a name (below)"                   /* checked by rb_check_name */
#define RB_CHOICE_NAME_OR_EMPTY "a name (below) or empty" /* a name, or "" */
extern const rb_key_spec rb_config_schema[];

/* ---- remaining-time estimate of a stage from a cost model (eta.c) */
typedef struct {
    double total_cost, done_cost, done_seconds; /* predicted cost of all items / of the finished ones;
                                                 * measured seconds of the finished ones (one worker each) */
    int n_items, n_done, workers;
    double setup_seconds; /* wall time a group of items costs before its first item (0: none) */
    int groups_left;      /* groups not started yet */
} rb_eta;
void rb_eta_init(rb_eta *e, double total_cost, int n_items, int workers);
/* Set the fixed setup time per group of items and how many groups have not started. */
void rb_eta_setup(rb_eta *e, double setup_seconds, int groups_left);
/* One item finished: its predicted cost and the seconds it took on its worker. */
void rb_eta_add(rb_eta *e, double cost, double seconds);
/* Fraction of the predicted cost done (items when there is no cost). */
double rb_eta_fraction(const rb_eta *e);
/* Seconds left: remaining cost x measured seconds per unit cost / workers (no more workers than
 * items left), plus setup_seconds per group not started; NaN before the first item finished, 0 when
 * all are done. */
double rb_eta_remaining(const rb_eta *e);
/* Seconds left of a static schedule (each item's worker fixed in advance): worker w has been busy
 * busy[w] seconds with its finished items and has left_cost[w] predicted cost still to do, so it ends
 * at busy[w] + left_cost[w] x (seconds per unit cost measured so far); returns the latest end minus
 * elapsed (never below 0), NaN before the first item finished. Credits work in progress on other
 * workers, which rb_eta_remaining cannot see. */
double rb_eta_schedule_remaining(const rb_eta *e, const double *busy, const double *left_cost, int workers,
                                 double elapsed);

/* ---- one progress counter per stage (synth, train) with the cost-model ETA (stage_progress.c) */
extern int rb_progress_json; /* --progress=json: the counters as JSON lines on stdout, not text on stderr */
typedef struct {
    const char *stage; /* "synth", "train" */
    const char *unit;  /* "datasets", "jobs" */
    char group[64];    /* what the counter covers ("" or a dataset name) */
    rb_eta eta;
    double t0;
    int active;       /* rank 0 prints; other ranks keep silent */
    int sched_workers; /* > 0: a static schedule (rb_stage_progress_schedule) gives the ETA */
    double *busy, *left_cost; /* [sched_workers] */
} rb_stage_progress;
/* Start a counter over n_items of total predicted cost (relative units) done by workers in parallel;
 * prints the JSON "stage" event when rb_progress_json. */
void rb_stage_progress_start(rb_stage_progress *p, const char *stage, const char *unit, const char *group,
                             double total_cost, int n_items, int workers, int active);
/* Optional: the items' workers are fixed (worker[i] in [0, workers), or -1: all workers together);
 * the ETA is then rb_eta_schedule_remaining's. Returns RB_ERR when out of memory. */
int rb_stage_progress_schedule(rb_stage_progress *p, int workers, const int *worker, const double *cost, int n);
void rb_stage_progress_free(rb_stage_progress *p);
/* One item finished (its predicted cost, its seconds, a label, its worker as in the schedule, -1: all):
 * one line "train xdv-like 3/10 jobs (31% of the predicted work, ETA 42 s): concat#0 (rank 1, 4.1 s)". */
void rb_stage_progress_item(rb_stage_progress *p, double cost, double seconds, const char *item, int worker);
/* The same at a given elapsed time since the start (replays of recorded traces); returns the ETA. */
double rb_stage_progress_item_at(rb_stage_progress *p, double cost, double seconds, const char *item, int worker,
                                 double elapsed);
/* The counter part of that line, for done of todo items, fraction of the predicted work, eta_s
 * seconds left (NaN: unknown yet); returns snprintf's count. */
int rb_stage_progress_format(char *buf, size_t cap, const char *stage, const char *group, int done, int todo,
                             const char *unit, double fraction, double eta_s);

/* ---- "did you mean?" (suggest.c) */
/* Levenshtein distance (insertions, deletions, substitutions). */
int rb_edit_distance(const char *a, const char *b);
/* The name nearest to word when it is close enough to be a typo (1 edit for words up to 4
 * characters, 2 up to 12, 3 beyond), else NULL. */
const char *rb_nearest_name(const char *word, const char *const *names, int n);
/* The schema key nearest to a config path, with the path's list indices ("" when none is near). */
void rb_config_suggest(const char *path, char *buf, size_t cap);
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

/* The common start of every subcommand: parse argv and, for --help, print the usage on rank 0, free
 * what the parser collected and return 1 (the caller returns 0). Returns 0 when the command runs (the
 * caller frees with rb_cli_free when done). A command-line error returns RB_ERR with nothing left
 * allocated, agreed over MPI_COMM_WORLD (every rank parses the same argv), for the caller to return
 * to main:  int start = rb_cli_command(...); if (start != 0) return start == RB_ERR ? RB_ERR : 0; */
int rb_cli_command(int argc, char **argv, const rb_opt *opts, int n_opts, const char *synopsis, const char *summary,
                   rb_cli_list *positional);

/* The common start of a config-driven subcommand whose table holds RB_CLI_CONFIG(config, ...): like
 * rb_cli_command (same returns), then require -c CFG and no positional arguments. */
int rb_cli_config_command(int argc, char **argv, const rb_opt *opts, int n_opts, const char *synopsis,
                          const char *summary, const rb_cli_config *config, rb_cli_list *positional);

#endif

/* cli.c - option parsing and usage text for the subcommands (the cli section of rb_core.h): a table
 * of rb_opt entries, each bound to the struct field it fills, is matched against argv. */
#include "rb_core.h"

#include <errno.h>
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

static const rb_opt *rb_find_long(const rb_opt *opts, int n, const char *name, size_t len) {
    for (int i = 0; i < n; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0) return &opts[i];
    return NULL;
}

static const rb_opt *rb_find_short(const rb_opt *opts, int n, char c) {
    for (int i = 0; i < n; i++)
        if (opts[i].short_name && opts[i].short_name == c) return &opts[i];
    return NULL;
}

static int rb_list_append(rb_cli_list *list, char *item) {
    char **grown = realloc(list->items, sizeof *grown * (size_t)(list->n + 1));
    if (!grown) return rb_fail("out of memory parsing options");
    list->items = grown;
    list->items[list->n++] = item;
    return RB_OK;
}

static int rb_parse_int(const rb_opt *o, const char *value, const char *command) {
    char *end;
    errno = 0;
    long n = strtol(value, &end, 10);
    if (end == value || *end || errno || n < o->min || n > o->max || n < INT_MIN || n > INT_MAX)
        return rb_fail("%s: option --%s: expected an integer in %ld..%ld, got '%s'", command, o->name, o->min, o->max,
                       value);
    *o->to.integer = (int)n;
    return RB_OK;
}

/* Store one occurrence of option o (value is NULL for a flag); times counts earlier occurrences. */
static int rb_take(const rb_opt *o, char *value, int times, const char *command) {
    if (times > 0 && (o->kind == RB_OPT_VALUE || o->kind == RB_OPT_INT))
        return rb_fail("%s: option --%s given twice", command, o->name);
    switch (o->kind) {
    case RB_OPT_FLAG: (*o->to.flag)++; return RB_OK;
    case RB_OPT_VALUE: *o->to.value = value; return RB_OK;
    case RB_OPT_LIST: return rb_list_append(o->to.list, value);
    case RB_OPT_INT: return rb_parse_int(o, value, command);
    }
    return rb_fail("%s: option --%s has an unknown kind", command, o->name);
}

/* The option an argument names (--name, --name=value or -s), with the value after '=' if any. */
static int rb_match(const rb_opt *opts, int n_opts, char *arg, const char *command, const rb_opt **o,
                    char **value) {
    *value = NULL;
    if (arg[1] == '-') {
        const char *name = arg + 2, *eq = strchr(name, '=');
        *o = rb_find_long(opts, n_opts, name, eq ? (size_t)(eq - name) : strlen(name));
        if (eq) *value = (char *)eq + 1;
    } else {
        *o = arg[2] == '\0' ? rb_find_short(opts, n_opts, arg[1]) : NULL;
    }
    if (!*o && arg[1] == '-') {
        const char *names[64];
        int n = 0;
        for (int i = 0; i < n_opts && n < 64; i++) names[n++] = opts[i].name;
        if (n < 64) names[n++] = "help";
        char word[128];
        const char *eq = strchr(arg + 2, '=');
        snprintf(word, sizeof word, "%.*s", (int)(eq ? eq - (arg + 2) : (ptrdiff_t)strlen(arg + 2)), arg + 2);
        const char *near = rb_nearest_name(word, names, n);
        if (near) return rb_fail("%s: unknown option %s; did you mean --%s? (see robusta %s --help)", command, arg, near, command);
    }
    if (!*o) return rb_fail("%s: unknown option %s (see robusta %s --help)", command, arg, command);
    return RB_OK;
}

static int rb_parse_args(int argc, char **argv, const rb_opt *opts, int n_opts, int *times, rb_cli_list *positional,
                         int *help) {
    const char *command = argv[0];
    int only_positional = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_positional || a[0] != '-' || a[1] == '\0') {
            RB_TRY(rb_list_append(positional, a));
        } else if (strcmp(a, "--") == 0) {
            only_positional = 1;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *help = 1;
        } else {
            const rb_opt *o;
            char *value;
            RB_TRY(rb_match(opts, n_opts, a, command, &o, &value));
            if (o->kind == RB_OPT_FLAG) {
                if (value) return rb_fail("%s: option --%s takes no value", command, o->name);
            } else if (!value) {
                if (i + 1 >= argc) return rb_fail("%s: option --%s needs a value (%s)", command, o->name, o->metavar);
                value = argv[++i];
            }
            RB_TRY(rb_take(o, value, times[o - opts]++, command));
        }
    }
    return RB_OK;
}

int rb_cli_parse(int argc, char **argv, const rb_opt *opts, int n_opts, rb_cli_list *positional, int *help) {
    *positional = (rb_cli_list){NULL, 0};
    *help = 0;
    int *times = rb_calloc((size_t)n_opts, sizeof *times, "option counts");
    if (!times) return RB_ERR;
    int rc = rb_parse_args(argc, argv, opts, n_opts, times, positional, help);
    free(times);
    if (rc != RB_OK) rb_cli_free(opts, n_opts, positional);
    return rc;
}

void rb_cli_usage(FILE *out, const char *command, const char *synopsis, const char *summary, const rb_opt *opts,
                  int n_opts) {
    fprintf(out, "usage: robusta %s %s\n\n%s\n\noptions:\n", command, synopsis, summary);
    for (int i = 0; i < n_opts; i++) {
        const rb_opt *o = &opts[i];
        const char *space = o->kind == RB_OPT_FLAG ? "" : " ", *metavar = o->kind == RB_OPT_FLAG ? "" : o->metavar;
        char left[96];
        if (o->short_name) snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, space, metavar);
        else snprintf(left, sizeof left, "    --%s%s%s", o->name, space, metavar);
        fprintf(out, "  %-28s %s\n", left, o->help);
    }
    fprintf(out, "  %-28s %s\n", "-h, --help", "this text");
}

void rb_cli_free(const rb_opt *opts, int n_opts, rb_cli_list *positional) {
    for (int i = 0; i < n_opts; i++)
        if (opts[i].kind == RB_OPT_LIST) {
            free(opts[i].to.list->items);
            *opts[i].to.list = (rb_cli_list){NULL, 0};
        }
    free(positional->items);
    *positional = (rb_cli_list){NULL, 0};
}

/* A command-line error: every rank parsed the same argv and sees it, so the ranks agree on it (main
 * then prints it once, on rank 0). Returns RB_ERR. */
static int rb_cli_error(void) {
    int mpi = 0, finalized = 0;
    MPI_Initialized(&mpi);
    MPI_Finalized(&finalized);
    if (mpi && !finalized) return rb_mpi_agree(RB_ERR, &(MPI_Comm){MPI_COMM_WORLD});
    return RB_ERR;
}

int rb_cli_command(int argc, char **argv, const rb_opt *opts, int n_opts, const char *synopsis, const char *summary,
                   rb_cli_list *positional) {
    int help, rank = 0, mpi = 0;
    MPI_Initialized(&mpi);
    if (mpi) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rb_cli_parse(argc, argv, opts, n_opts, positional, &help) != RB_OK) return rb_cli_error();
    if (!help) return 0;
    if (rank == 0) rb_cli_usage(stdout, argv[0], synopsis, summary, opts, n_opts);
    rb_cli_free(opts, n_opts, positional);
    return 1;
}

int rb_cli_config_command(int argc, char **argv, const rb_opt *opts, int n_opts, const char *synopsis,
                          const char *summary, const rb_cli_config *config, rb_cli_list *positional) {
    int start = rb_cli_command(argc, argv, opts, n_opts, synopsis, summary, positional);
    if (start != 0) return start;
    if (!config->path) rb_fail("%s: -c CFG is required", argv[0]);
    else if (positional->n) rb_fail("%s: unexpected argument '%s'", argv[0], positional->items[0]);
    else return 0;
    rb_cli_free(opts, n_opts, positional);
    return rb_cli_error();
}

/* cli.c - option parsing and usage text for the subcommands (rb_cli.h). */
#include "rb_core.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static rb_opt *rb_find_long(rb_opt *opts, int n, const char *name, size_t len) {
    for (int i = 0; i < n; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0) return &opts[i];
    return NULL;
}

static rb_opt *rb_find_short(rb_opt *opts, int n, char c) {
    for (int i = 0; i < n; i++)
        if (opts[i].short_name && opts[i].short_name == c) return &opts[i];
    return NULL;
}

static int rb_take(rb_opt *o, char *value, const char *command) {
    o->given++;
    if (o->kind == RB_OPT_VALUE) {
        if (o->value) return rb_fail("%s: option --%s given twice", command, o->name);
        o->value = value;
    } else if (o->kind == RB_OPT_LIST) {
        char **grown = realloc(o->values, sizeof *grown * (size_t)(o->n_values + 1));
        if (!grown) return rb_fail("out of memory parsing options");
        o->values = grown;
        o->values[o->n_values++] = value;
    }
    return RB_OK;
}

int rb_cli_parse(int argc, char **argv, rb_opt *opts, int n_opts, char ***positional, int *n_positional,
                 int *help) {
    const char *command = argv[0];
    *positional = rb_calloc((size_t)argc + 1, sizeof **positional, "arguments");
    *n_positional = 0;
    *help = 0;
    if (!*positional) return RB_ERR;
    int only_positional = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_positional || a[0] != '-' || a[1] == '\0') {
            (*positional)[(*n_positional)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *help = 1;
            continue;
        }
        rb_opt *o;
        char *value = NULL;
        if (a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            o = rb_find_long(opts, n_opts, name, len);
            if (!o) return rb_fail("%s: unknown option %s (see robusta %s --help)", command, a, command);
            if (eq) value = (char *)eq + 1;
        } else {
            if (a[2] != '\0') return rb_fail("%s: unknown option %s (see robusta %s --help)", command, a, command);
            o = rb_find_short(opts, n_opts, a[1]);
            if (!o) return rb_fail("%s: unknown option %s (see robusta %s --help)", command, a, command);
        }
        if (o->kind == RB_OPT_FLAG) {
            if (value) return rb_fail("%s: option --%s takes no value", command, o->name);
        } else if (!value) {
            if (i + 1 >= argc) return rb_fail("%s: option --%s needs a value (%s)", command, o->name, o->metavar);
            value = argv[++i];
        }
        RB_TRY(rb_take(o, value, command));
    }
    return RB_OK;
}

void rb_cli_usage(const char *command, const char *synopsis, const char *summary, const rb_opt *opts, int n_opts) {
    printf("usage: robusta %s %s\n\n%s\n\noptions:\n", command, synopsis, summary);
    for (int i = 0; i < n_opts; i++) {
        char left[96];
        if (opts[i].short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", opts[i].short_name, opts[i].name,
                     opts[i].kind == RB_OPT_FLAG ? "" : " ", opts[i].kind == RB_OPT_FLAG ? "" : opts[i].metavar);
        else
            snprintf(left, sizeof left, "    --%s%s%s", opts[i].name, opts[i].kind == RB_OPT_FLAG ? "" : " ",
                     opts[i].kind == RB_OPT_FLAG ? "" : opts[i].metavar);
        printf("  %-28s %s\n", left, opts[i].help);
    }
    printf("  %-28s %s\n", "-h, --help", "this text");
}

void rb_cli_free(rb_opt *opts, int n_opts, char **positional) {
    for (int i = 0; i < n_opts; i++) free(opts[i].values);
    free(positional);
}

int rb_cli_command(int argc, char **argv, rb_opt *opts, int n_opts, const char *synopsis, const char *summary,
                   char ***positional, int *n_positional) {
    int help, rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rb_cli_parse(argc, argv, opts, n_opts, positional, n_positional, &help) != RB_OK) rb_die();
    if (help && rank == 0) rb_cli_usage(argv[0], synopsis, summary, opts, n_opts);
    return help ? 1 : 0;
}

int rb_cli_config_command(int argc, char **argv, rb_opt *opts, int n_opts, const char *synopsis, const char *summary,
                          char ***positional, int *n_positional) {
    if (rb_cli_command(argc, argv, opts, n_opts, synopsis, summary, positional, n_positional)) return 1;
    if (!opts[0].value) {
        rb_fail("%s: -c CFG is required", argv[0]);
        rb_die();
    }
    if (*n_positional) {
        rb_fail("%s: unexpected argument '%s'", argv[0], (*positional)[0]);
        rb_die();
    }
    return 0;
}

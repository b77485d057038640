/* rb_cli.h - command-line parsing shared by the subcommands: a small option table
 * (--long, -s, with or without a value, repeatable) and the common -c CFG / --set k=v pair. */
#ifndef RB_CLI_H
#define RB_CLI_H

typedef enum { RB_OPT_FLAG, RB_OPT_VALUE, RB_OPT_LIST } rb_opt_kind;

typedef struct {
    const char *name;    /* long name without dashes: "config" */
    char short_name;     /* 'c', or 0 */
    rb_opt_kind kind;
    const char *metavar; /* "CFG" */
    const char *help;
    /* results */
    int given;           /* flag count / whether a value was given */
    const char *value;   /* RB_OPT_VALUE */
    char **values;       /* RB_OPT_LIST (malloc'd array of argv pointers) */
    int n_values;
} rb_opt;

/* Parse argv[1..] (argv[0] is the subcommand). Positional arguments are collected into
 * *positional (malloc'd array of argv pointers). An unknown option or a missing value is an error
 * naming it. --help / -h sets *help. */
int rb_cli_parse(int argc, char **argv, rb_opt *opts, int n_opts, char ***positional, int *n_positional,
                 int *help);
void rb_cli_usage(const char *command, const char *synopsis, const char *summary, const rb_opt *opts, int n_opts);
void rb_cli_free(rb_opt *opts, int n_opts, char **positional);

/* The common start of every subcommand: parse argv (errors end the job) and, for --help, print the
 * usage on rank 0 and return 1 (the caller frees and returns 0). Returns 0 when the command runs. */
int rb_cli_command(int argc, char **argv, rb_opt *opts, int n_opts, const char *synopsis, const char *summary,
                   char ***positional, int *n_positional);

/* The common start of a config-driven subcommand whose opts[0] is -c CFG: parse argv (errors end the
 * job), print the usage on rank 0 for --help (returns 1: the caller frees and returns 0), require
 * -c CFG and no positional arguments. Returns 0 when the command should run. */
int rb_cli_config_command(int argc, char **argv, rb_opt *opts, int n_opts, const char *synopsis, const char *summary,
                          char ***positional, int *n_positional);

#endif

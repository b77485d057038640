/* test_cli.c - the command-line parser (src/core/cli.c): each option kind filling its bound field,
 * the accepted spellings (--x v, --x=v, -s v, --), positional arguments, --help, the usage text, and
 * the error of each bad command line (unknown option, missing value, value of a flag, an option given
 * twice, an integer out of range). */
#include "rb_core.h"
#include "rb_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options of a made-up subcommand "demo", one of each kind. */
struct demo_options {
    const char *config;
    rb_cli_list sets;
    int force;
    int verbose;
    int worst;
    const char *name;
};

/* The table of demo bound to o. */
#define DEMO_TABLE(o)                                                                              \
    {                                                                                              \
        RB_CLI_VALUE("config", 'c', "CFG", &(o).config, "experiment config"),                     \
        RB_CLI_LIST("set", 0, "KEY=VALUE", &(o).sets, "override a config key (repeatable)"),      \
        RB_CLI_FLAG("force", 'f', &(o).force, "rebuild"),                                         \
        RB_CLI_FLAG("verbose", 'v', &(o).verbose, "more output (repeatable)"),                    \
        RB_CLI_INT("worst", 'w', "N", &(o).worst, 0, 10, "list the N worst"),                     \
        RB_CLI_VALUE("name", 0, "NAME", &(o).name, "a name (default demo)"),                      \
    }

/* One parse of a demo command line: the fields, the positional arguments and the --help mark. */
typedef struct {
    struct demo_options o;
    rb_cli_list pos;
    int help;
} demo_run;

/* Parse the NULL-terminated words after "demo" into r->o (set to the defaults first). */
static int demo_parse(demo_run *r, const char *const *words) {
    static char argbuf[16][64];
    char *argv[17];
    int argc = 0;
    argv[argc++] = "demo";
    for (int i = 0; words[i]; i++) {
        snprintf(argbuf[i], sizeof argbuf[i], "%s", words[i]);
        argv[argc++] = argbuf[i];
    }
    argv[argc] = NULL;
    r->o = (struct demo_options){.worst = -1, .name = "demo"};
    const rb_opt opts[] = DEMO_TABLE(r->o);
    return rb_cli_parse(argc, argv, opts, RB_CLI_COUNT(opts), &r->pos, &r->help);
}

static void demo_free(demo_run *r) {
    const rb_opt opts[] = DEMO_TABLE(r->o);
    rb_cli_free(opts, RB_CLI_COUNT(opts), &r->pos);
}

/* a is the string b (and not NULL). */
static int str_is(const char *a, const char *b) { return a && strcmp(a, b) == 0; }

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})

RB_TEST(cli_nothing_given_keeps_defaults) {
    demo_run r;
    RB_EXPECT_OK(demo_parse(&r, (const char *const[]){NULL}));
    RB_EXPECT(r.o.config == NULL);
    RB_EXPECT_INT(r.o.sets.n, 0);
    RB_EXPECT(r.o.sets.items == NULL);
    RB_EXPECT_INT(r.o.force, 0);
    RB_EXPECT_INT(r.o.worst, -1);
    RB_EXPECT(str_is(r.o.name, "demo"));
    RB_EXPECT_INT(r.pos.n, 0);
    RB_EXPECT_INT(r.help, 0);
    demo_free(&r);
}

RB_TEST(cli_flags_count) {
    demo_run r;
    RB_EXPECT_OK(demo_parse(&r, WORDS("--force", "-v", "--verbose", "-v")));
    RB_EXPECT_INT(r.o.force, 1);
    RB_EXPECT_INT(r.o.verbose, 3);
    demo_free(&r);
}

RB_TEST(cli_value_spellings) {
    demo_run r;
    RB_EXPECT_OK(demo_parse(&r, WORDS("--config", "a.cfg", "--name=x=y")));
    RB_EXPECT(str_is(r.o.config, "a.cfg"));
    RB_EXPECT(str_is(r.o.name, "x=y")); /* only the first '=' splits */
    demo_free(&r);
    RB_EXPECT_OK(demo_parse(&r, WORDS("--config=b.cfg")));
    RB_EXPECT(str_is(r.o.config, "b.cfg"));
    demo_free(&r);
    RB_EXPECT_OK(demo_parse(&r, WORDS("-c", "c.cfg", "--name=")));
    RB_EXPECT(str_is(r.o.config, "c.cfg"));
    RB_EXPECT(str_is(r.o.name, "")); /* an empty value is a value */
    demo_free(&r);
    /* a value that looks like an option is still the value */
    RB_EXPECT_OK(demo_parse(&r, WORDS("--name", "--force")));
    RB_EXPECT(str_is(r.o.name, "--force"));
    RB_EXPECT_INT(r.o.force, 0);
    demo_free(&r);
}

RB_TEST(cli_list_collects_in_order) {
    demo_run r;
    RB_EXPECT_OK(demo_parse(&r, WORDS("--set", "a=1", "-f", "--set=b=2", "--set", "a=3")));
    RB_EXPECT_INT(r.o.sets.n, 3);
    if (r.o.sets.n == 3) {
        RB_EXPECT(str_is(r.o.sets.items[0], "a=1"));
        RB_EXPECT(str_is(r.o.sets.items[1], "b=2"));
        RB_EXPECT(str_is(r.o.sets.items[2], "a=3"));
    }
    RB_EXPECT_INT(r.o.force, 1);
    demo_free(&r);
    RB_EXPECT(r.o.sets.items == NULL);
    RB_EXPECT_INT(r.o.sets.n, 0);
}

RB_TEST(cli_integer_in_range) {
    demo_run r;
    RB_EXPECT_OK(demo_parse(&r, WORDS("--worst", "7")));
    RB_EXPECT_INT(r.o.worst, 7);
    demo_free(&r);
    RB_EXPECT_OK(demo_parse(&r, WORDS("-w", "0")));
    RB_EXPECT_INT(r.o.worst, 0);
    demo_free(&r);
    RB_EXPECT_OK(demo_parse(&r, WORDS("--worst=10")));
    RB_EXPECT_INT(r.o.worst, 10);
    demo_free(&r);
}

RB_TEST(cli_integer_errors_name_option_and_range) {
    demo_run r;
    RB_EXPECT_ERR(demo_parse(&r, WORDS("--worst", "11")),
                  "demo: option --worst: expected an integer in 0..10, got '11'");
    RB_EXPECT_ERR(demo_parse(&r, WORDS("--worst=-1")), "expected an integer in 0..10, got '-1'");
    RB_EXPECT_ERR(demo_parse(&r, WORDS("--worst", "3x")), "got '3x'");
    RB_EXPECT_ERR(demo_parse(&r, WORDS("--worst", "x")), "got 'x'");
    RB_EXPECT_ERR(demo_parse(&r, WORDS("--worst=")), "got ''");
    RB_EXPECT_ERR(demo_parse(&r, WORDS("--worst", "99999999999999999999")), "0..10");
    RB_EXPECT_INT(r.o.worst, -1); /* a rejected value leaves the field alone */
    RB_EXPECT_ERR(demo_parse(&r, WORDS("-w", "1", "--worst", "2")), "demo: option --worst given twice");
}

RB_TEST(cli_positional_and_double_dash) {
    demo_run r;
    RB_EXPECT_OK(demo_parse(&r, WORDS("a.h5", "-f", "-", "b.h5", "--", "--help", "-c", "--")));
    RB_EXPECT_INT(r.o.force, 1);
    RB_EXPECT(r.o.config == NULL);
    RB_EXPECT_INT(r.help, 0);
    static const char *const want[] = {"a.h5", "-", "b.h5", "--help", "-c", "--"};
    RB_EXPECT_INT(r.pos.n, 6);
    for (int i = 0; i < r.pos.n && i < 6; i++)
        RB_EXPECT_MSG(strcmp(r.pos.items[i], want[i]) == 0, "positional %d = '%s', expected '%s'", i, r.pos.items[i],
                      want[i]);
    demo_free(&r);
    RB_EXPECT(r.pos.items == NULL);
    RB_EXPECT_INT(r.pos.n, 0);
}

RB_TEST(cli_help_is_noted_and_parsing_goes_on) {
    demo_run r;
    RB_EXPECT_OK(demo_parse(&r, WORDS("--help", "-f")));
    RB_EXPECT_INT(r.help, 1);
    RB_EXPECT_INT(r.o.force, 1);
    demo_free(&r);
    RB_EXPECT_OK(demo_parse(&r, WORDS("x", "-h")));
    RB_EXPECT_INT(r.help, 1);
    RB_EXPECT_INT(r.pos.n, 1);
    demo_free(&r);
}

RB_TEST(cli_errors_name_the_option) {
    demo_run r;
    RB_EXPECT_ERR(demo_parse(&r, WORDS("--bogus")),
                  "demo: unknown option --bogus (see robusta demo --help)");
    RB_EXPECT_ERR(demo_parse(&r, WORDS("--bogus=1")), "unknown option --bogus=1");
    RB_EXPECT_ERR(demo_parse(&r, WORDS("--conf", "a")), "unknown option --conf ("); /* no prefixes */
    /* a near miss (one edit) is named */
    RB_EXPECT_ERR(demo_parse(&r, WORDS("--confg", "a")), "unknown option --confg; did you mean --config? (see robusta demo --help)");
    RB_EXPECT_ERR(demo_parse(&r, WORDS("-x")), "demo: unknown option -x (");
    RB_EXPECT_ERR(demo_parse(&r, WORDS("-fv")), "unknown option -fv"); /* no bundling */
    RB_EXPECT_ERR(demo_parse(&r, WORDS("-ca.cfg")), "unknown option -ca.cfg");
    RB_EXPECT_ERR(demo_parse(&r, WORDS("--config")), "demo: option --config needs a value (CFG)");
    RB_EXPECT_ERR(demo_parse(&r, WORDS("-f", "-c")), "demo: option --config needs a value (CFG)");
    RB_EXPECT_ERR(demo_parse(&r, WORDS("--set")), "demo: option --set needs a value (KEY=VALUE)");
    RB_EXPECT_ERR(demo_parse(&r, WORDS("--force=1")), "demo: option --force takes no value");
    RB_EXPECT_ERR(demo_parse(&r, WORDS("-c", "a", "--config=b")), "demo: option --config given twice");
    /* the default of a value option does not count as given */
    RB_EXPECT_OK(demo_parse(&r, WORDS("--name", "n")));
    demo_free(&r);
    RB_EXPECT_ERR(demo_parse(&r, WORDS("--name", "n", "--name", "m")), "option --name given twice");
}

RB_TEST(cli_error_frees_what_was_collected) {
    demo_run r;
    RB_EXPECT_ERR(demo_parse(&r, WORDS("p1", "--set", "a=1", "p2", "--bogus")), "unknown option --bogus");
    RB_EXPECT(r.o.sets.items == NULL);
    RB_EXPECT_INT(r.o.sets.n, 0);
    RB_EXPECT(r.pos.items == NULL);
    RB_EXPECT_INT(r.pos.n, 0);
    demo_free(&r); /* a second free is harmless */
}

RB_TEST(cli_usage_lists_every_option) {
    struct demo_options o = {0};
    const rb_opt opts[] = DEMO_TABLE(o);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    RB_EXPECT(f != NULL);
    if (!f) return;
    rb_cli_usage(f, "demo", "-c CFG [--force]", "Do a demo.", opts, RB_CLI_COUNT(opts));
    fclose(f);
    static const char want[] = "usage: robusta demo -c CFG [--force]\n"
                               "\n"
                               "Do a demo.\n"
                               "\n"
                               "options:\n"
                               "  -c, --config CFG             experiment config\n"
                               "      --set KEY=VALUE          override a config key (repeatable)\n"
                               "  -f, --force                  rebuild\n"
                               "  -v, --verbose                more output (repeatable)\n"
                               "  -w, --worst N                list the N worst\n"
                               "      --name NAME              a name (default demo)\n"
                               "  -h, --help                   this text\n";
    RB_EXPECT_MSG(strcmp(text, want) == 0, "usage text:\n%s\nexpected:\n%s", text, want);
    free(text);
}

RB_TEST(cli_command_fills_the_fields) {
    struct demo_options o = {.worst = -1};
    const rb_opt opts[] = DEMO_TABLE(o);
    char *argv[] = {"demo", "-c", "a.cfg", "--set", "k=v", "r.h5", NULL};
    rb_cli_list pos;
    int n_opts = RB_CLI_COUNT(opts);
    RB_EXPECT_INT(rb_cli_command(6, argv, opts, n_opts, "SYN", "Summary.", &pos), 0);
    RB_EXPECT(str_is(o.config, "a.cfg"));
    RB_EXPECT_INT(o.sets.n, 1);
    RB_EXPECT_INT(pos.n, 1);
    RB_EXPECT(pos.n == 1 && str_is(pos.items[0], "r.h5"));
    rb_cli_free(opts, n_opts, &pos);
}

RB_TEST(cli_config_pair_fills_path_and_sets) {
    struct {
        rb_cli_config config;
        int force;
    } o = {0};
    const rb_opt opts[] = {
        RB_CLI_CONFIG(&o.config, "experiment config"),
        RB_CLI_FLAG("force", 0, &o.force, "rebuild"),
    };
    char *argv[] = {"train", "--set", "a=1", "-c", "x.cfg", "--set=b=2", "--force", NULL};
    rb_cli_list pos;
    RB_EXPECT_INT(rb_cli_config_command(7, argv, opts, RB_CLI_COUNT(opts), "SYN", "Summary.", &o.config, &pos), 0);
    RB_EXPECT(str_is(o.config.path, "x.cfg"));
    RB_EXPECT_INT(o.config.sets.n, 2);
    RB_EXPECT(o.config.sets.n == 2 && str_is(o.config.sets.items[0], "a=1") && str_is(o.config.sets.items[1], "b=2"));
    RB_EXPECT_INT(o.force, 1);
    RB_EXPECT(str_is(opts[0].name, "config") && opts[0].short_name == 'c' && str_is(opts[1].name, "set"));
    rb_cli_free(opts, RB_CLI_COUNT(opts), &pos);
}

RB_TEST(cli_errors_return_to_the_caller) {
    /* a command-line error is returned (RB_ERR, message kept, nothing left allocated), never an exit */
    rb_cli_config config = {0};
    const rb_opt opts[] = {RB_CLI_CONFIG(&config, "experiment config")};
    rb_cli_list pos;
    char *missing[] = {"train", "--set", "a=1", NULL};
    RB_EXPECT_INT(rb_cli_config_command(3, missing, opts, RB_CLI_COUNT(opts), "SYN", "Summary.", &config, &pos), RB_ERR);
    RB_EXPECT(strcmp(rb_error_message(), "train: -c CFG is required") == 0);
    RB_EXPECT(config.sets.n == 0 && config.sets.items == NULL && pos.items == NULL);
    char *extra[] = {"train", "-c", "x.cfg", "stray", NULL};
    config = (rb_cli_config){0};
    RB_EXPECT_INT(rb_cli_config_command(4, extra, opts, RB_CLI_COUNT(opts), "SYN", "Summary.", &config, &pos), RB_ERR);
    RB_EXPECT(strcmp(rb_error_message(), "train: unexpected argument 'stray'") == 0);
    RB_EXPECT(pos.items == NULL);
    char *unknown[] = {"train", "--bogus", NULL};
    config = (rb_cli_config){0};
    RB_EXPECT_INT(rb_cli_command(2, unknown, opts, RB_CLI_COUNT(opts), "SYN", "Summary.", &pos), RB_ERR);
    RB_EXPECT(strstr(rb_error_message(), "--bogus") != NULL);
    rb_error_clear();
}

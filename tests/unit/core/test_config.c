/* test_config.c - config loading: includes, defaults, overrides, and one clear error per bad input. */
#include "rb_core.h"
#include "rb_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *rb_write_cfg(const char *name, const char *text) {
    static char path[8][600];
    static int next = 0;
    char *p = path[next++ % 8];
    snprintf(p, 600, "%s/%s", rb_test_tmpdir(), name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    return p;
}

static const char *MINIMAL = "run: { seed = 5; };\n"
                             "data: { datasets = ( { name = \"a\"; n_test = 10; } ); };\n";

RB_TEST(config_defaults_are_filled_and_round_trip) {
    rb_config *c = NULL;
    RB_EXPECT_OK(rb_config_load(&c, rb_write_cfg("min.cfg", MINIMAL), NULL, 0));
    if (!c) return;
    int epochs = 0, seed = 0, n_test = 0;
    double lr = 0;
    const char *gen = NULL;
    RB_EXPECT_OK(rb_config_int(c, "train.epochs", &epochs));
    RB_EXPECT_INT(epochs, 50);
    RB_EXPECT_OK(rb_config_int(c, "run.seed", &seed));
    RB_EXPECT_INT(seed, 5);
    RB_EXPECT_OK(rb_config_double(c, "train.lr", &lr));
    RB_EXPECT_NEAR(lr, 1e-4, 0);
    RB_EXPECT_OK(rb_config_int(c, "data.datasets.[0].n_test", &n_test));
    RB_EXPECT_INT(n_test, 10);
    RB_EXPECT_OK(rb_config_string(c, "data.datasets.[0].generator", &gen));
    RB_EXPECT(gen && strcmp(gen, "xdv") == 0);
    int nsev = 0;
    RB_EXPECT_OK(rb_config_length(c, "grid.severities", &nsev));
    RB_EXPECT_INT(nsev, 5);
    /* the effective text holds every default and loads back to the same text */
    RB_EXPECT(strstr(rb_config_text(c), "epochs = 50") != NULL);
    rb_config *again = NULL;
    RB_EXPECT_OK(rb_config_load_string(&again, rb_config_text(c), "effective"));
    if (again) RB_EXPECT(strcmp(rb_config_text(again), rb_config_text(c)) == 0);
    rb_config_free(again);
    rb_config_free(c);
}

RB_TEST(config_include_and_overrides) {
    rb_write_cfg("base.cfg", "train: { epochs = 7; lr = 0.5; };\n");
    const char *top = rb_write_cfg("top.cfg", "@include \"base.cfg\"\nrun: { seed = 1; };\n"
                                              "data: { datasets = ( { name = \"a\"; }, { name = \"b\"; } ); };\n");
    char *sets[] = {"train.epochs=9", "train.lr=2", "data.datasets.[1].n_test=33", "output.save_scores=true",
                    "grid.severities=[1, 3]", "run.out_root=\"night 1\"", "train.detectors=[concat,shared]"};
    rb_config *c = NULL;
    RB_EXPECT_OK(rb_config_load(&c, top, sets, 7));
    if (!c) return;
    int v = 0, b = 0, n = 0;
    double lr = 0;
    const char *id = NULL;
    RB_EXPECT_OK(rb_config_int(c, "train.epochs", &v));
    RB_EXPECT_INT(v, 9);
    RB_EXPECT_OK(rb_config_double(c, "train.lr", &lr));
    RB_EXPECT_NEAR(lr, 2.0, 0);
    RB_EXPECT_OK(rb_config_int(c, "data.datasets.[1].n_test", &v));
    RB_EXPECT_INT(v, 33);
    RB_EXPECT_OK(rb_config_bool(c, "output.save_scores", &b));
    RB_EXPECT_INT(b, 1);
    RB_EXPECT_OK(rb_config_length(c, "grid.severities", &n));
    RB_EXPECT_INT(n, 2);
    RB_EXPECT_OK(rb_config_int(c, "grid.severities.[1]", &v));
    RB_EXPECT_INT(v, 3);
    RB_EXPECT_OK(rb_config_string(c, "run.out_root", &id));
    RB_EXPECT(id && strcmp(id, "night 1") == 0);
    RB_EXPECT_OK(rb_config_length(c, "train.detectors", &n));
    RB_EXPECT_INT(n, 2);
    rb_config_free(c);
}

RB_TEST(config_include_then_override_merges_groups) {
    rb_write_cfg("layer_base.cfg", "train: { epochs = 7; lr = 0.5; };\nmodel: { hidden1 = 64; };\n");
    const char *top = rb_write_cfg("layer_top.cfg", "@include \"layer_base.cfg\"\n"
                                                    "train: { epochs = 3; };\nrun: { seed = 2; };\n"
                                                    "data: { datasets = ( { name = \"a\"; } ); };\n");
    rb_config *c = NULL;
    RB_EXPECT_OK(rb_config_load(&c, top, NULL, 0));
    if (!c) return;
    int v = 0;
    double lr = 0;
    RB_EXPECT_OK(rb_config_int(c, "train.epochs", &v));
    RB_EXPECT_INT(v, 3); /* the including file wins */
    RB_EXPECT_OK(rb_config_double(c, "train.lr", &lr));
    RB_EXPECT_NEAR(lr, 0.5, 0); /* the rest of the base group stays */
    RB_EXPECT_OK(rb_config_int(c, "model.hidden1", &v));
    RB_EXPECT_INT(v, 64);
    rb_config_free(c);
    /* an error inside the included file names that file and line */
    rb_write_cfg("layer_bad.cfg", "train: {\n  epochs = -4;\n};\n");
    const char *top2 = rb_write_cfg("layer_top2.cfg", "@include \"layer_bad.cfg\"\nrun: { seed = 2; };\n"
                                                      "data: { datasets = ( { name = \"a\"; } ); };\n");
    RB_EXPECT_ERR(rb_config_load(&c, top2, NULL, 0), "layer_bad.cfg:2: train.epochs = -4 is out of range");
    const char *top3 = rb_write_cfg("layer_top3.cfg", "@include \"nope.cfg\"\n");
    RB_EXPECT_ERR(rb_config_load(&c, top3, NULL, 0), "nope.cfg: No such file");
}

RB_TEST(config_errors_name_file_line_and_key) {
    rb_config *c = NULL;
    const char *p;
    p = rb_write_cfg("syntax.cfg", "run: { seed = 5 \n data = ;\n");
    RB_EXPECT_ERR(rb_config_load(&c, p, NULL, 0), "syntax.cfg:2");
    p = rb_write_cfg("unknown.cfg", "run: { seed = 5; };\ntrain: { epoch = 3; };\n"
                                    "data: { datasets = ( { name = \"a\"; } ); };\n");
    RB_EXPECT_ERR(rb_config_load(&c, p, NULL, 0), "unknown.cfg:2: unknown key 'train.epoch'");
    p = rb_write_cfg("type.cfg", "run: { seed = \"five\"; };\ndata: { datasets = ( { name = \"a\"; } ); };\n");
    RB_EXPECT_ERR(rb_config_load(&c, p, NULL, 0), "type.cfg:1: run.seed should be an integer");
    p = rb_write_cfg("range.cfg", "run: { seed = 1; };\nmodel: { dropout = 1.5; };\n"
                                  "data: { datasets = ( { name = \"a\"; } ); };\n");
    RB_EXPECT_ERR(rb_config_load(&c, p, NULL, 0), "range.cfg:2: model.dropout = 1.5 is out of range");
    p = rb_write_cfg("choice.cfg", "run: { seed = 1; };\ngrid: { visual = [\"fog\", \"smog\"]; };\n"
                                   "data: { datasets = ( { name = \"a\"; } ); };\n");
    RB_EXPECT_ERR(rb_config_load(&c, p, NULL, 0), "grid.visual[1] = \"smog\" is not one of");
    p = rb_write_cfg("missing.cfg", "data: { datasets = ( { name = \"a\"; } ); };\n");
    RB_EXPECT_ERR(rb_config_load(&c, p, NULL, 0), "missing required key 'run.seed'");
    p = rb_write_cfg("listkey.cfg", "run: { seed = 1; };\ndata: { datasets = ( { name = \"a\"; crop = 5; } ); };\n");
    RB_EXPECT_ERR(rb_config_load(&c, p, NULL, 0), "listkey.cfg:2: unknown key 'data.datasets.[0].crop'");
    RB_EXPECT_ERR(rb_config_load(&c, "/nonexistent/robusta.cfg", NULL, 0), "/nonexistent/robusta.cfg");
    p = rb_write_cfg("ok.cfg", MINIMAL);
    char *bad1[] = {"train.epochz=3"};
    RB_EXPECT_ERR(rb_config_load(&c, p, bad1, 1), "unknown key 'train.epochz'");
    char *bad2[] = {"train.epochs=three"};
    RB_EXPECT_ERR(rb_config_load(&c, p, bad2, 1), "'three' is not an integer");
    char *bad3[] = {"train.epochs=0"};
    RB_EXPECT_ERR(rb_config_load(&c, p, bad3, 1), "train.epochs = 0 is out of range");
    char *bad4[] = {"data.datasets.[4].n_test=1"};
    RB_EXPECT_ERR(rb_config_load(&c, p, bad4, 1), "out of range (the list has 1 elements)");
    char *bad5[] = {"noequals"};
    RB_EXPECT_ERR(rb_config_load(&c, p, bad5, 1), "expected path=value");
    RB_EXPECT(c == NULL);
}

RB_TEST(config_parse_override_syntax) {
    char *path = NULL, *value = NULL;
    RB_EXPECT_OK(rb_config_parse_override("a.b.[12].c=x=y", &path, &value));
    RB_EXPECT(path && strcmp(path, "a.b.[12].c") == 0);
    RB_EXPECT(value && strcmp(value, "x=y") == 0);
    free(path);
    free(value);
    RB_EXPECT_ERR(rb_config_parse_override("a..b=1", &path, &value), "bad key path");
    RB_EXPECT_ERR(rb_config_parse_override("=1", &path, &value), "empty or overlong");
    RB_EXPECT_ERR(rb_config_parse_override("a.[x]=1", &path, &value), "bad key path");
    RB_EXPECT_ERR(rb_config_parse_override("a=", &path, &value), "empty value");
    RB_EXPECT(path == NULL && value == NULL);
}

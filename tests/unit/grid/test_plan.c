/* test_plan.c - the grid plan (src/grid/plan.c): the cells of a config in the canonical order of
 * docs/formats.md (per dataset: clean, the visual corruptions by registry id at each severity
 * ascending, visual missing, the audio ones, audio missing, then the pairs), the cell count, the
 * results strings (corruption, modality, label) of the cells, the cost estimates, and the errors of a
 * bad grid section. */
#include "rb_grid.h"
#include "rb_core.h"
#include "rb_corrupt.h"
#include "rb_test.h"

#include <stdlib.h>
#include <string.h>

/* Two datasets; the visual list and the severities deliberately out of canonical order. */
static const char *PLAN_CFG = "run: { seed = 3; };\n"
                              "data: { datasets = ( { name = \"a\"; }, { name = \"b\"; } ); };\n"
                              "grid: { visual = [\"fog\", \"gaussian_noise\"]; audio = [\"reverb\"];\n"
                              "        severities = [3, 1]; pairs = [\"fog+reverb\"]; };\n";

static rb_config *rb_plan_config(const char *text) {
    rb_config *c = NULL;
    RB_EXPECT_OK(rb_config_load_string(&c, text, "plan.cfg"));
    return c;
}

/* Registry id of a corruption by modality and name (0 if unknown: the test then fails on it). */
static int32_t rb_id(rb_modality m, const char *name) {
    const rb_corruption *c = NULL;
    return rb_corrupt_lookup(m, name, &c) == RB_OK ? c->id : 0;
}

typedef struct {
    const char *corruption, *modality, *label;
    int severity, missing_visual, missing_audio;
    int32_t id_visual, id_audio;
} rb_expected_cell;

static void rb_expect_cell(const rb_cell *c, int index, int dataset, const rb_expected_cell *e) {
    RB_EXPECT_MSG(c->dataset == dataset, "cell %d: dataset %d, expected %d", index, c->dataset, dataset);
    RB_EXPECT_MSG(strcmp(c->corruption, e->corruption) == 0, "cell %d: corruption %s, expected %s", index,
                  c->corruption, e->corruption);
    RB_EXPECT_MSG(strcmp(c->modality, e->modality) == 0, "cell %d: modality %s, expected %s", index, c->modality,
                  e->modality);
    RB_EXPECT_MSG(strcmp(c->label, e->label) == 0, "cell %d: label %s, expected %s", index, c->label, e->label);
    RB_EXPECT_MSG(c->severity == e->severity, "cell %d (%s): severity %d, expected %d", index, c->label, c->severity,
                  e->severity);
    RB_EXPECT_MSG(c->corr_id[0] == e->id_visual && c->corr_id[1] == e->id_audio,
                  "cell %d (%s): ids %d/%d, expected %d/%d", index, c->label, (int)c->corr_id[0], (int)c->corr_id[1],
                  (int)e->id_visual, (int)e->id_audio);
    RB_EXPECT_MSG(c->missing[0] == e->missing_visual && c->missing[1] == e->missing_audio,
                  "cell %d (%s): missing %d/%d, expected %d/%d", index, c->label, c->missing[0], c->missing[1],
                  e->missing_visual, e->missing_audio);
}

RB_TEST(grid_plan_canonical_order) {
    rb_config *cfg = rb_plan_config(PLAN_CFG);
    if (!cfg) return;
    const int32_t noise = rb_id(RB_MOD_VISUAL, "gaussian_noise"), fog = rb_id(RB_MOD_VISUAL, "fog");
    const int32_t reverb = rb_id(RB_MOD_AUDIO, "reverb");
    RB_EXPECT(noise > 0 && fog > noise && reverb > 0); /* registry order: gaussian_noise before fog */
    const rb_expected_cell want[] = {
        {"clean", "none", "clean", 0, 0, 0, 0, 0},
        {"gaussian_noise", "visual", "visual.gaussian_noise", 1, 0, 0, noise, 0},
        {"gaussian_noise", "visual", "visual.gaussian_noise", 3, 0, 0, noise, 0},
        {"fog", "visual", "visual.fog", 1, 0, 0, fog, 0},
        {"fog", "visual", "visual.fog", 3, 0, 0, fog, 0},
        {"missing", "visual", "visual.missing", 0, 1, 0, 0, 0},
        {"reverb", "audio", "audio.reverb", 1, 0, 0, 0, reverb},
        {"reverb", "audio", "audio.reverb", 3, 0, 0, 0, reverb},
        {"missing", "audio", "audio.missing", 0, 0, 1, 0, 0},
        {"fog+reverb", "both", "pair.fog+reverb", 1, 0, 0, fog, reverb},
        {"fog+reverb", "both", "pair.fog+reverb", 3, 0, 0, fog, reverb},
    };
    const int per_dataset = (int)(sizeof want / sizeof want[0]);
    rb_cell *cells = NULL;
    int n = 0;
    RB_EXPECT_OK(rb_grid_plan(cfg, 2, NULL, &cells, &n));
    /* 1 clean + (2 visual + 1 audio + 1 pair) x 2 severities + 2 missing, per dataset */
    RB_EXPECT_INT(per_dataset, 1 + (2 + 1 + 1) * 2 + 2);
    RB_EXPECT_INT(n, 2 * per_dataset);
    for (int i = 0; cells && i < n && i < 2 * per_dataset; i++)
        rb_expect_cell(&cells[i], i, i / per_dataset, &want[i % per_dataset]);
    free(cells);
    rb_config_free(cfg);
}

RB_TEST(grid_plan_cell_count_formula) {
    /* the defaults: every visual (8) and audio (8) corruption x 5 severities, 2 missing, no pairs */
    rb_config *cfg = rb_plan_config("run: { seed = 1; };\ndata: { datasets = ( { name = \"a\"; } ); };\n");
    rb_cell *cells = NULL;
    int n = 0;
    if (cfg) RB_EXPECT_OK(rb_grid_plan(cfg, 3, NULL, &cells, &n));
    RB_EXPECT_INT(n, 3 * (1 + (8 + 8) * 5 + 2));
    /* dataset 0 walks the registry: each default corruption of a modality (ascending id) at severities 1..5,
     * then that modality's missing cell */
    int at = 1;
    for (int m = 0; cells && n == 3 * 83 && m < 2; m++) {
        for (int r = 0; r < rb_corrupt_count(); r++) {
            const rb_corruption *c = rb_corrupt_at(r);
            if (c->modality != (m == 0 ? RB_MOD_VISUAL : RB_MOD_AUDIO) || c->is_missing) continue;
            /* the spreading surrogates are in the registry but not in the default grid */
            if (c->family == RB_CORRUPT_FAMILY_IMPULSE || c->family == RB_CORRUPT_FAMILY_OVERLAY) continue;
            for (int s = 1; s <= 5; s++, at++)
                RB_EXPECT_MSG(cells[at].corr_id[m] == c->id && cells[at].corr_id[1 - m] == 0 && cells[at].severity == s,
                              "cell %d: id %d/%d severity %d, expected %s %s at %d", at, (int)cells[at].corr_id[0],
                              (int)cells[at].corr_id[1], cells[at].severity, rb_modality_name(c->modality), c->name, s);
        }
        RB_EXPECT_MSG(cells[at].missing[m] == 1, "cell %d (%s): expected the missing cell", at, cells[at].label);
        at++;
    }
    RB_EXPECT_INT(at, 83);
    RB_EXPECT(cells && n == 3 * 83 && cells[83].dataset == 1 && strcmp(cells[83].label, "clean") == 0);
    free(cells);
    rb_config_free(cfg);
    /* without missing cells and with one severity: 1 + corruptions */
    cfg = rb_plan_config("run: { seed = 1; };\ndata: { datasets = ( { name = \"a\"; } ); };\n"
                         "grid: { visual = [\"jpeg\"]; audio = [\"codec\", \"clipping\"]; severities = [5];\n"
                         "        missing = false; pairs = [\"jpeg+codec\", \"fog+clipping\"]; };\n");
    cells = NULL;
    n = 0;
    if (cfg) RB_EXPECT_OK(rb_grid_plan(cfg, 1, NULL, &cells, &n));
    RB_EXPECT_INT(n, 1 + 1 + 2 + 2);
    if (cells && n == 6) {
        RB_EXPECT(strcmp(cells[2].corruption, "clipping") == 0 && strcmp(cells[3].corruption, "codec") == 0);
        /* pairs keep their config order */
        RB_EXPECT(strcmp(cells[4].label, "pair.jpeg+codec") == 0 && strcmp(cells[5].label, "pair.fog+clipping") == 0);
        RB_EXPECT_INT(cells[5].severity, 5);
    }
    free(cells);
    rb_config_free(cfg);
}

RB_TEST(grid_plan_costs_follow_modality_and_snippets) {
    rb_config *cfg = rb_plan_config(PLAN_CFG);
    if (!cfg) return;
    const int64_t snippets[2] = {10, 30};
    rb_cell *cells = NULL;
    int n = 0;
    RB_EXPECT_OK(rb_grid_plan(cfg, 2, snippets, &cells, &n));
    for (int i = 0; cells && i < n; i++)
        RB_EXPECT_MSG(cells[i].cost > 0, "cell %d (%s): cost %g", i, cells[i].label, cells[i].cost);
    if (cells && n == 22) {
        /* clean < audio < visual < pair (a visual recomputation is the expensive one) */
        RB_EXPECT(cells[0].cost < cells[6].cost && cells[6].cost < cells[1].cost && cells[1].cost < cells[9].cost);
        /* a missing modality costs as much as a corrupted one; severity does not matter */
        RB_EXPECT_NEAR(cells[5].cost, cells[1].cost, 0);
        RB_EXPECT_NEAR(cells[8].cost, cells[6].cost, 0);
        RB_EXPECT_NEAR(cells[3].cost, cells[4].cost, 0);
        /* proportional to the dataset's test snippets */
        for (int i = 0; i < 11; i++) RB_EXPECT_NEAR(cells[11 + i].cost, 3 * cells[i].cost, 1e-12 * cells[11 + i].cost);
    }
    free(cells);
    rb_config_free(cfg);
}

RB_TEST(grid_plan_rejects_bad_grids) {
    /* a bad grid section is refused when the config loads (src/core/config_rules.c), before any
     * command plans a cell; rb_grid_plan keeps its own checks for configs built otherwise */
    static const struct {
        const char *grid, *error;
    } bad[] = {
        {"visual = [\"fog\", \"fog\"];", "grid.visual lists \"fog\" twice"},
        {"severities = [2, 4, 2];", "grid.severities lists 2 twice"},
        {"pairs = [\"fogreverb\"];", "expected \"<visual corruption>+<audio corruption>\""},
        {"pairs = [\"+reverb\"];", "expected \"<visual corruption>+<audio corruption>\""},
        {"pairs = [\"reverb+fog\"];", "grid.pairs[0] = \"reverb+fog\": \"reverb\" is not a visual corruption"},
        {"pairs = [\"fog+nosuch\"];", "\"nosuch\" is not an audio corruption"},
        {"pairs = [\"fog+reverb\", \"fog+reverb\"];", "grid.pairs lists \"fog+reverb\" twice"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "run: { seed = 1; };\ndata: { datasets = ( { name = \"a\"; } ); };\n"
                 "grid: { %s };\n", bad[i].grid);
        rb_config *cfg = NULL;
        RB_EXPECT_ERR(rb_config_load_string(&cfg, text, "plan.cfg"), bad[i].error);
        RB_EXPECT(cfg == NULL);
    }
}

/* config_rules.c - the rules of an experiment config that span more than one value, checked with
 * the schema (rb_config_validate) so that every command - config, synth, train, bench - refuses the
 * same configs before any work starts (docs/config.md, "Validation"): no value listed twice
 * (severities, corruptions, detectors, pairs), each pair "<visual>+<audio>" of known corruptions,
 * weights.smooth odd, the open ends of the weight calibration, a positive step-schedule factor and
 * no more GMM components than the GMM subsample has rows.
 * Each error names file:line (or --set) and the key. The rules of a dataset's video counts need the
 * generator's defaults and live with them (src/cmd/setup.c, src/data/synth_params.c). */
#include "rb_core.h"
#include "config_internal.h"

#include <libconfig.h>
#include <stdio.h>
#include <string.h>

/* "file:line" of a setting ("origin:line" for a config parsed from text), or "origin (--set)" for
 * one an override created. */
static void rb_rule_location(const config_setting_t *s, const char *origin, char *buf, size_t cap) {
    const char *file = s ? config_setting_source_file(s) : NULL;
    unsigned line = s ? config_setting_source_line(s) : 0;
    if (line)
        snprintf(buf, cap, "%s:%u", file ? file : origin, line);
    else
        snprintf(buf, cap, "%s (--set)", origin);
}

/* Whether name is one of the '|'-separated choices of the schema key pattern. */
static int rb_is_choice(const char *pattern, const char *name, size_t n) {
    const rb_key_spec *spec = rb_config_schema_find(pattern);
    if (!spec || !spec->choices) return 0;
    for (const char *p = spec->choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0) return 1;
        if (!bar) break;
        p = bar + 1;
    }
    return 0;
}

/* No element of the array at path appears twice. */
static int rb_rule_unique(rb_config *c, const char *path) {
    config_setting_t *a = config_lookup(&c->cfg, path);
    if (!a) return RB_OK;
    int n = config_setting_length(a);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++) {
            config_setting_t *x = config_setting_get_elem(a, (unsigned)i), *y = config_setting_get_elem(a, (unsigned)j);
            int same = config_setting_type(x) == CONFIG_TYPE_STRING && config_setting_type(y) == CONFIG_TYPE_STRING
                           ? strcmp(config_setting_get_string(x), config_setting_get_string(y)) == 0
                           : config_setting_get_int(x) == config_setting_get_int(y);
            if (!same) continue;
            char loc[RB_PATH_MAX + 32], value[160];
            rb_rule_location(a, c->origin, loc, sizeof loc);
            if (config_setting_type(x) == CONFIG_TYPE_STRING)
                snprintf(value, sizeof value, "\"%s\"", config_setting_get_string(x));
            else
                snprintf(value, sizeof value, "%d", config_setting_get_int(x));
            return rb_fail("%s: %s lists %s twice (elements %d and %d)", loc, path, value, j, i);
        }
    return RB_OK;
}

static int rb_rule_pairs(rb_config *c) {
    config_setting_t *a = config_lookup(&c->cfg, "grid.pairs");
    if (!a) return RB_OK;
    for (int i = 0; i < config_setting_length(a); i++) {
        config_setting_t *e = config_setting_get_elem(a, (unsigned)i);
        const char *pair = config_setting_get_string(e);
        const char *plus = pair ? strchr(pair, '+') : NULL;
        char loc[RB_PATH_MAX + 32];
        rb_rule_location(a, c->origin, loc, sizeof loc);
        if (!plus || plus == pair || !plus[1] || strchr(plus + 1, '+'))
            return rb_fail("%s: grid.pairs[%d] = \"%s\": expected \"<visual corruption>+<audio corruption>\"", loc, i,
                           pair ? pair : "");
        if (!rb_is_choice("grid.visual", pair, (size_t)(plus - pair)))
            return rb_fail("%s: grid.pairs[%d] = \"%s\": \"%.*s\" is not a visual corruption (one of the names "
                           "grid.visual takes)",
                           loc, i, pair, (int)(plus - pair), pair);
        if (!rb_is_choice("grid.audio", plus + 1, strlen(plus + 1)))
            return rb_fail("%s: grid.pairs[%d] = \"%s\": \"%s\" is not an audio corruption (one of the names "
                           "grid.audio takes)",
                           loc, i, pair, plus + 1);
    }
    return rb_rule_unique(c, "grid.pairs");
}

/* A number the schema range holds inclusively but whose reader needs an open end. */
static int rb_rule_open(rb_config *c, const char *path, double lo, double hi, const char *why) {
    config_setting_t *s = config_lookup(&c->cfg, path);
    if (!s) return RB_OK;
    double v = config_setting_type(s) == CONFIG_TYPE_FLOAT ? config_setting_get_float(s)
                                                           : (double)config_setting_get_int64(s);
    if (v > lo && v < hi) return RB_OK;
    char loc[RB_PATH_MAX + 32];
    rb_rule_location(s, c->origin, loc, sizeof loc);
    return rb_fail("%s: %s = %g must be %s", loc, path, v, why);
}

int rb_config_check_rules(rb_config *c) {
    RB_TRY(rb_rule_unique(c, "grid.severities"));
    RB_TRY(rb_rule_unique(c, "grid.visual"));
    RB_TRY(rb_rule_unique(c, "grid.audio"));
    RB_TRY(rb_rule_unique(c, "train.detectors"));
    RB_TRY(rb_rule_pairs(c));
    config_setting_t *smooth = config_lookup(&c->cfg, "weights.smooth");
    if (smooth && config_setting_get_int(smooth) % 2 == 0) {
        char loc[RB_PATH_MAX + 32];
        rb_rule_location(smooth, c->origin, loc, sizeof loc);
        return rb_fail("%s: weights.smooth = %d must be odd (a centred moving-average window)", loc,
                       config_setting_get_int(smooth));
    }
    RB_TRY(rb_rule_open(c, "weights.percentile", 50.0, 100.0 + 1e-9, "in (50, 100]"));
    RB_TRY(rb_rule_open(c, "weights.low_percentile", -1e-9, 50.0, "in [0, 50)"));
    RB_TRY(rb_rule_open(c, "weights.median_weight", 0.5, 1.0, "in (0.5, 1)"));
    RB_TRY(rb_rule_open(c, "train.step_gamma", 0.0, 1.0 + 1e-9, "in (0, 1]"));
    /* the GMM fit needs at least one row per component (gmm_fit.c), and it fits at most subsample rows */
    config_setting_t *k = config_lookup(&c->cfg, "gmm.components"), *sub = config_lookup(&c->cfg, "gmm.subsample");
    if (k && sub && config_setting_get_int(k) > config_setting_get_int(sub)) {
        char loc[RB_PATH_MAX + 32];
        rb_rule_location(k, c->origin, loc, sizeof loc);
        return rb_fail("%s: gmm.components = %d exceeds gmm.subsample = %d: the GMM fit needs at least one training "
                       "snippet per component", loc, config_setting_get_int(k), config_setting_get_int(sub));
    }
    return RB_OK;
}

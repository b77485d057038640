/* params.c - config keys -> module parameter structs, and canonical section text (rb_model.h). */
#include "rb_model.h"
#include "rb_core.h"

#include <stdio.h>
#include <string.h>

int rb_params_train(const rb_config *c, rb_train_params *p) {
    rb_train_params_default(p);
    const char *sched;
    double dropout;
    int seed;
    RB_TRY(rb_config_int(c, "model.hidden1", &p->hidden1));
    RB_TRY(rb_config_int(c, "model.hidden2", &p->hidden2));
    RB_TRY(rb_config_double(c, "model.dropout", &dropout));
    const char *arch;
    RB_TRY(rb_config_string(c, "model.arch", &arch));
    RB_TRY_CTX(rb_detector_arch_parse(arch, &p->arch), "%s", rb_config_origin(c));
    p->dropout = (float)dropout;
    RB_TRY(rb_config_int(c, "train.epochs", &p->epochs));
    RB_TRY(rb_config_int(c, "train.batch", &p->batch));
    RB_TRY(rb_config_int(c, "train.max_snippets", &p->max_snippets));
    RB_TRY(rb_config_double(c, "train.lr", &p->lr));
    RB_TRY(rb_config_double(c, "train.weight_decay", &p->weight_decay));
    RB_TRY(rb_config_string(c, "train.schedule", &sched));
    RB_TRY(rb_lr_schedule_parse(sched, &p->schedule));
    RB_TRY(rb_config_int(c, "train.step_every", &p->step_every));
    RB_TRY(rb_config_double(c, "train.step_gamma", &p->step_gamma));
    RB_TRY(rb_config_int(c, "train.grad_groups", &p->grad_groups));
    RB_TRY(rb_config_int(c, "run.seed", &seed));
    p->seed = (uint32_t)seed;
    RB_TRY_CTX(rb_train_params_check(p), "%s", rb_config_origin(c));
    return RB_OK;
}

int rb_params_detectors(const rb_config *c, rb_detector_kind *kinds, int *n_kinds) {
    int n;
    RB_TRY(rb_config_length(c, "train.detectors", &n));
    if (n < 1 || n > RB_DET_N_KINDS) return rb_fail("%s: train.detectors needs 1 to %d names", rb_config_origin(c), RB_DET_N_KINDS);
    for (int i = 0; i < n; i++) {
        char key[64];
        const char *name;
        snprintf(key, sizeof key, "train.detectors.[%d]", i);
        RB_TRY(rb_config_string(c, key, &name));
        RB_TRY(rb_detector_kind_parse(name, &kinds[i]));
        for (int j = 0; j < i; j++)
            if (kinds[j] == kinds[i]) return rb_fail("%s: train.detectors lists %s twice", rb_config_origin(c), name);
    }
    *n_kinds = n;
    return RB_OK;
}

int rb_params_gmm(const rb_config *c, rb_gmm_params *p, double *holdout_fraction) {
    rb_gmm_params_default(p);
    const char *cov;
    int seed, subsample;
    RB_TRY(rb_config_int(c, "gmm.components", &p->k));
    RB_TRY(rb_config_string(c, "gmm.covariance", &cov));
    p->covariance = strcmp(cov, "full") == 0 ? RB_GMM_FULL : RB_GMM_DIAG;
    RB_TRY(rb_config_int(c, "gmm.max_iter", &p->max_iter));
    RB_TRY(rb_config_double(c, "gmm.tol", &p->tol));
    RB_TRY(rb_config_double(c, "gmm.var_floor", &p->var_floor_rel));
    RB_TRY(rb_config_int(c, "gmm.subsample", &subsample));
    p->max_points = subsample;
    RB_TRY(rb_config_double(c, "gmm.holdout_fraction", holdout_fraction));
    RB_TRY(rb_config_int(c, "run.seed", &seed));
    p->seed = (uint32_t)seed;
    return RB_OK;
}

int rb_params_weights(const rb_config *c, rb_weight_params *p) {
    rb_weight_params_default(p);
    const char *mode, *stat;
    RB_TRY(rb_config_string(c, "weights.mode", &mode));
    p->two_sided = strcmp(mode, "two-sided") == 0;
    RB_TRY(rb_config_string(c, "weights.statistic", &stat));
    RB_TRY(rb_config_int(c, "weights.smooth", &p->window));
    if (p->window % 2 == 0) return rb_fail("%s: weights.smooth = %d must be odd", rb_config_origin(c), p->window);
    p->statistic = strcmp(stat, "video") == 0 ? RB_WSTAT_VIDEO : p->window > 1 ? RB_WSTAT_SMOOTH : RB_WSTAT_SNIPPET;
    RB_TRY(rb_config_double(c, "weights.percentile", &p->percentile_hi));
    RB_TRY(rb_config_double(c, "weights.low_percentile", &p->percentile_lo));
    RB_TRY(rb_config_double(c, "weights.median_weight", &p->median_weight));
    return RB_OK;
}

static int rb_append(char *buf, size_t cap, size_t *used, const char *text) {
    size_t n = strlen(text);
    if (*used + n + 1 > cap) return rb_fail("canonical config text too long");
    memcpy(buf + *used, text, n + 1);
    *used += n;
    return RB_OK;
}

int rb_params_canonical(const rb_config *c, const char *const *prefixes, int n_prefixes, char *buf, size_t cap) {
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < rb_config_schema_len; i++) {
        const rb_key_spec *k = &rb_config_schema[i];
        if (k->type == RB_KEY_GROUP || k->type == RB_KEY_LIST || strstr(k->pattern, "[]")) continue;
        int match = 0;
        for (int j = 0; j < n_prefixes; j++) match |= strncmp(k->pattern, prefixes[j], strlen(prefixes[j])) == 0;
        if (!match || !rb_config_has(c, k->pattern)) continue;
        char line[1024];
        int iv;
        double dv;
        const char *sv;
        switch (k->type) {
        case RB_KEY_INT: RB_TRY(rb_config_int(c, k->pattern, &iv)); snprintf(line, sizeof line, "%s=%d\n", k->pattern, iv); break;
        case RB_KEY_FLOAT: RB_TRY(rb_config_double(c, k->pattern, &dv)); snprintf(line, sizeof line, "%s=%.17g\n", k->pattern, dv); break;
        case RB_KEY_BOOL: RB_TRY(rb_config_bool(c, k->pattern, &iv)); snprintf(line, sizeof line, "%s=%d\n", k->pattern, iv); break;
        case RB_KEY_STRING: RB_TRY(rb_config_string(c, k->pattern, &sv)); snprintf(line, sizeof line, "%s=%s\n", k->pattern, sv); break;
        default: {
            int n;
            RB_TRY(rb_config_length(c, k->pattern, &n));
            snprintf(line, sizeof line, "%s=[", k->pattern);
            for (int e = 0; e < n; e++) {
                char key[512], item[256];
                snprintf(key, sizeof key, "%s.[%d]", k->pattern, e);
                if (k->type == RB_KEY_INT_ARRAY) {
                    RB_TRY(rb_config_int(c, key, &iv));
                    snprintf(item, sizeof item, "%s%d", e ? "," : "", iv);
                } else {
                    RB_TRY(rb_config_string(c, key, &sv));
                    snprintf(item, sizeof item, "%s%s", e ? "," : "", sv);
                }
                strncat(line, item, sizeof line - strlen(line) - 1);
            }
            strncat(line, "]\n", sizeof line - strlen(line) - 1);
        }
        }
        RB_TRY(rb_append(buf, cap, &used, line));
    }
    return RB_OK;
}

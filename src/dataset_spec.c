/* dataset_spec.c - datasets of a config: paths, generator parameters, build-or-verify (rb_dataset_spec.h). */
#include "rb_dataset_spec.h"
#include "rb_common.h"
#include "rb_h5.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Optional generator knobs: (config key, offset of the double or int32 field). */
typedef struct {
    const char *key;
    size_t offset;
    int is_int;
} rb_knob;

#define D(f) {#f, offsetof(rb_synth_params, f), 0}
#define I(f) {#f, offsetof(rb_synth_params, f), 1}
static const rb_knob rb_knobs[] = {
    D(len_mean), D(len_sigma), I(len_min), I(len_max), D(anomaly_fraction), I(max_segments),
    D(multi_class_rate), D(visual_strength), D(audio_strength), D(noise), D(hard_negative_rate),
    D(hard_negative_strength), D(scene_scale), D(scene_shift), D(temporal_rho), D(crop_jitter),
};
#undef D
#undef I
static const int rb_n_knobs = (int)(sizeof rb_knobs / sizeof rb_knobs[0]);

static int rb_mkdirs(const char *dir) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return rb_fail("cannot create directory %s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return rb_fail("cannot create directory %s: %s", buf, strerror(errno));
    return RB_OK;
}

static int rb_read_spec(const rb_config *c, int i, const char *data_dir, rb_dataset_spec *s) {
    char key[256];
    const char *str;
    int v;
    memset(s, 0, sizeof *s);
    s->index = i;
#define K(suffix) (snprintf(key, sizeof key, "data.datasets.[%d].%s", i, suffix), key)
    RB_TRY(rb_config_string(c, K("name"), &str));
    if (!str[0] || strlen(str) >= sizeof s->name || strchr(str, '/'))
        return rb_fail("%s: data.datasets.[%d].name \"%s\" must be non-empty, short, without '/'",
                       rb_config_origin(c), i, str);
    snprintf(s->name, sizeof s->name, "%s", str);
    RB_TRY(rb_config_string(c, K("file"), &str));
    if (str[0]) snprintf(s->path, sizeof s->path, "%s", str);
    else snprintf(s->path, sizeof s->path, "%s/%s.h5", data_dir, s->name);
    RB_TRY(rb_config_string(c, K("model"), &str));
    if (str[0]) snprintf(s->model_path, sizeof s->model_path, "%s", str);
    else snprintf(s->model_path, sizeof s->model_path, "%s/%s.model.h5", data_dir, s->name);
    RB_TRY(rb_config_string(c, K("train_on"), &str));
    snprintf(s->train_on, sizeof s->train_on, "%s", str);
    RB_TRY(rb_config_string(c, K("generator"), &str));
    s->synthetic = strcmp(str, "none") != 0;
    if (!s->synthetic) return RB_OK;
    RB_TRY(rb_synth_defaults(&s->synth, str));
    int64_t n;
    RB_TRY(rb_config_int64(c, K("n_train"), &n));
    s->synth.n_train = n;
    RB_TRY(rb_config_int64(c, K("n_train_violent"), &n));
    s->synth.n_train_anomalous = n;
    RB_TRY(rb_config_int64(c, K("n_test"), &n));
    s->synth.n_test = n;
    RB_TRY(rb_config_int64(c, K("n_test_violent"), &n));
    s->synth.n_test_anomalous = n;
    RB_TRY(rb_config_int(c, K("crops"), &v));
    s->synth.n_crops = v;
    RB_TRY(rb_config_int(c, K("d_visual"), &v));
    s->synth.d_visual = v;
    RB_TRY(rb_config_int(c, K("d_audio"), &v));
    s->synth.d_audio = v;
    for (int k = 0; k < rb_n_knobs; k++) {
        char sub[128];
        snprintf(sub, sizeof sub, "synth.%s", rb_knobs[k].key);
        if (!rb_config_has(c, K(sub))) continue;
        char *field = (char *)&s->synth + rb_knobs[k].offset;
        if (rb_knobs[k].is_int) {
            RB_TRY(rb_config_int(c, key, &v));
            *(int32_t *)field = v;
        } else {
            RB_TRY(rb_config_double(c, key, (double *)field));
        }
    }
#undef K
    if (rb_synth_check(&s->synth) != RB_OK)
        return rb_context("%s: data.datasets.[%d] (%s)", rb_config_origin(c), i, s->name);
    return RB_OK;
}

int rb_dataset_specs(const rb_config *c, rb_dataset_spec **specs, int *n) {
    *specs = NULL;
    *n = 0;
    int count, seed;
    const char *data_dir;
    RB_TRY(rb_config_length(c, "data.datasets", &count));
    if (count < 1) return rb_fail("%s: data.datasets is empty", rb_config_origin(c));
    RB_TRY(rb_config_string(c, "data.dir", &data_dir));
    RB_TRY(rb_config_int(c, "run.seed", &seed));
    rb_dataset_spec *s = rb_calloc((size_t)count, sizeof *s, "dataset specs");
    if (!s) return RB_ERR;
    for (int i = 0; i < count; i++) {
        if (rb_read_spec(c, i, data_dir, &s[i]) != RB_OK) goto fail;
        s[i].seed = (uint32_t)seed;
        for (int j = 0; j < i; j++)
            if (strcmp(s[i].name, s[j].name) == 0) {
                rb_fail("%s: dataset name \"%s\" appears twice in data.datasets", rb_config_origin(c), s[i].name);
                goto fail;
            }
    }
    for (int i = 0; i < count; i++) {
        if (strcmp(s[i].train_on, "self") == 0) continue;
        int found = 0;
        for (int j = 0; j < count; j++) found |= strcmp(s[i].train_on, s[j].name) == 0 && strcmp(s[j].train_on, "self") == 0;
        if (!found) {
            rb_fail("%s: data.datasets.[%d].train_on = \"%s\" is not a dataset trained on itself", rb_config_origin(c),
                    i, s[i].train_on);
            goto fail;
        }
    }
    *specs = s;
    *n = count;
    return RB_OK;
fail:
    free(s);
    return RB_ERR;
}

int rb_dataset_recipe(const rb_dataset_spec *s, char *buf, size_t cap) {
    const rb_synth_params *p = &s->synth;
    size_t used = 0;
#define ADD(...)                                                                                   \
    do {                                                                                           \
        int w_ = snprintf(buf + used, cap - used, __VA_ARGS__);                                    \
        if (w_ < 0 || (size_t)w_ >= cap - used) return rb_fail("dataset recipe too long");         \
        used += (size_t)w_;                                                                        \
    } while (0)
    ADD("generator=%s seed=%u n_train=%lld n_train_violent=%lld n_test=%lld n_test_violent=%lld crops=%d "
        "d_visual=%d d_audio=%d",
        rb_synth_generator_name(p->generator), s->seed, (long long)p->n_train, (long long)p->n_train_anomalous,
        (long long)p->n_test, (long long)p->n_test_anomalous, p->n_crops, p->d_visual, p->d_audio);
    for (int k = 0; k < rb_n_knobs; k++) {
        const char *field = (const char *)p + rb_knobs[k].offset;
        if (rb_knobs[k].is_int) ADD(" %s=%d", rb_knobs[k].key, *(const int32_t *)field);
        else ADD(" %s=%.17g", rb_knobs[k].key, *(const double *)field);
    }
#undef ADD
    return RB_OK;
}

/* Read only the recipe attribute of an existing dataset file. */
static int rb_read_recipe(const char *path, char **recipe) {
    hid_t f;
    RB_TRY(rb_h5_open_read(path, MPI_COMM_NULL, &f));
    int rc = rb_h5_get_attr_string(f, "recipe", recipe, path);
    H5Fclose(f);
    return rc;
}

int rb_dataset_ensure(const rb_dataset_spec *s, const char *config_text, int force, int *built) {
    *built = 0;
    struct stat st;
    int exists = stat(s->path, &st) == 0;
    if (!s->synthetic) {
        if (!exists) return rb_fail("dataset %s: file %s does not exist (generator = \"none\": import it first, "
                                    "see docs/import-xdv.md)", s->name, s->path);
        return RB_OK;
    }
    char recipe[8192];
    RB_TRY(rb_dataset_recipe(s, recipe, sizeof recipe));
    if (exists && !force) {
        char *old = NULL;
        RB_TRY_CTX(rb_read_recipe(s->path, &old), "dataset %s", s->name);
        int same = strcmp(old, recipe) == 0;
        free(old);
        if (!same)
            return rb_fail("dataset %s: %s was built from a different recipe than this config asks for; "
                           "move it away or pass --force to rebuild it", s->name, s->path);
        return RB_OK;
    }
    const char *slash = strrchr(s->path, '/');
    if (slash) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - s->path), s->path);
        RB_TRY(rb_mkdirs(dir));
    }
    rb_dataset d;
    double t0 = rb_now();
    RB_TRY_CTX(rb_synth_generate(&s->synth, s->seed, &d), "generating dataset %s", s->name);
    free(d.name);
    d.name = rb_strdup(s->name, "dataset name");
    d.config_text = rb_strdup(config_text, "config text");
    d.recipe = rb_strdup(recipe, "recipe");
    int rc = d.name && d.config_text && d.recipe ? rb_dataset_write(s->path, &d) : RB_ERR;
    if (rc == RB_OK)
        rb_log("dataset %s: %lld train + %lld test videos, %lld + %lld snippets -> %s (%.1f s)", s->name,
               (long long)d.train.n_videos, (long long)d.test.n_videos, (long long)d.train.n_snippets,
               (long long)d.test.n_snippets, s->path, rb_now() - t0);
    rb_dataset_free(&d);
    if (rc != RB_OK) return rb_context("dataset %s", s->name);
    *built = 1;
    return RB_OK;
}

/* dataset_spec.c - datasets of a config: paths, generator parameters, build-or-verify (rb_data.h). */
#include "rb_data.h"
#include "rb_core.h"
#include "dataset_writer.h"
#include "rb_io.h"

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

static int rb_read_spec(const rb_config *c, int i, const char *data_dir, rb_dataset_spec *s) {
    char key[256];
    const char *str;
    int v;
    memset(s, 0, sizeof *s);
    s->index = i;
#define K(suffix) (snprintf(key, sizeof key, "data.datasets.[%d].%s", i, suffix), key)
    RB_TRY(rb_config_string(c, K("name"), &str));
    char what[256];
    snprintf(what, sizeof what, "%s: data.datasets.[%d].name", rb_config_origin(c), i);
    RB_TRY(rb_check_name(what, str)); /* also checked by the schema; specs may come from elsewhere */
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

int rb_synth_write_stream(const rb_synth_params *p, uint32_t seed, const char *name, const char *recipe,
                          const char *config_text, const char *path, int64_t *n_snippets) {
    rb_synth g;
    RB_TRY(rb_synth_open(&g, p, seed));
    rb_dataset meta;
    memset(&meta, 0, sizeof meta);
    char source[32];
    snprintf(source, sizeof source, "synth:%s", rb_synth_generator_name(p->generator));
    meta.name = (char *)name;
    meta.source = source;
    meta.recipe = (char *)recipe;
    meta.config_text = (char *)config_text;
    meta.frames_per_snippet = RB_SYNTH_FRAMES;
    int rc = RB_OK;
    int64_t longest = 1;
    for (int k = 0; rc == RB_OK && k < 2; k++) {
        rb_split *sp = k == 0 ? &meta.train : &meta.test;
        int64_t nv = rb_synth_split_videos(&g, k);
        int64_t *off = rb_calloc((size_t)nv + 1, sizeof *off, "offsets");
        rc = off ? rb_synth_split_offsets(&g, k, off) : RB_ERR;
        if (rc == RB_OK) rc = rb_split_alloc(sp, nv, off[nv], p->n_crops, p->d_visual, p->d_audio, 0);
        /* only the metadata is kept in memory: the feature arrays of rb_split_alloc are released */
        if (rc == RB_OK) {
            free(sp->visual);
            free(sp->audio);
            sp->visual = sp->audio = NULL;
            memcpy(sp->offsets, off, sizeof *off * ((size_t)nv + 1));
        }
        for (int64_t v = 0; rc == RB_OK && v < nv; v++) {
            char buf[256];
            rb_synth_video_info info;
            rc = rb_synth_video_name(&g, k, v, buf, sizeof buf);
            if (rc == RB_OK) rc = rb_synth_describe(&g, k, v, &info);
            if (rc == RB_OK) {
                sp->names[v] = rb_strdup(buf, "video name");
                sp->labels[v] = info.label;
                if (!sp->names[v]) rc = RB_ERR;
                if (off[v + 1] - off[v] > longest) longest = off[v + 1] - off[v];
            }
        }
        free(off);
    }
    rb_dataset_writer *w = NULL;
    if (rc == RB_OK) rc = rb_dataset_writer_open(&w, path, &meta);
    size_t vrow = (size_t)p->n_crops * (size_t)p->d_visual;
    float *vis = rc == RB_OK ? rb_malloc(sizeof(float) * (size_t)longest * vrow, "video buffer") : NULL;
    float *aud = rc == RB_OK ? rb_malloc(sizeof(float) * (size_t)longest * (size_t)p->d_audio, "video buffer") : NULL;
    int32_t *pos = rc == RB_OK ? rb_malloc(sizeof(int32_t) * (size_t)longest, "truth") : NULL;
    int32_t *frames = rc == RB_OK ? rb_malloc(sizeof(int32_t) * (size_t)longest, "truth") : NULL;
    if (rc == RB_OK && (!vis || !aud || !pos || !frames)) rc = RB_ERR;
    for (int k = 0; rc == RB_OK && k < 2; k++) {
        const rb_split *sp = k == 0 ? &meta.train : &meta.test;
        for (int64_t v = 0; rc == RB_OK && v < sp->n_videos; v++) {
            int64_t t = rb_split_video_len(sp, v);
            rc = rb_synth_video(&g, k, v, vis, aud, k == 1 ? pos : NULL, k == 1 ? frames : NULL);
            if (rc == RB_OK) rc = rb_dataset_writer_rows(w, k, sp->offsets[v], t, vis, aud, pos, frames);
        }
    }
    if (rc == RB_OK) {
        rc = rb_dataset_writer_finish(w);
        w = NULL;
    }
    if (w) rb_dataset_writer_abort(w);
    if (n_snippets) *n_snippets = meta.train.n_snippets + meta.test.n_snippets;
    free(vis);
    free(aud);
    free(pos);
    free(frames);
    rb_split_free(&meta.train);
    rb_split_free(&meta.test);
    rb_synth_close(&g);
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
        RB_TRY(rb_mkdir_p(dir));
    }
    double t0 = rb_now();
    int64_t n_snippets = 0;
    /* streamed video by video: memory bounded by the longest video, whatever the dataset size */
    if (rb_synth_write_stream(&s->synth, s->seed, s->name, recipe, config_text, s->path, &n_snippets) != RB_OK)
        return rb_context("dataset %s", s->name);
    rb_log("dataset %s: %lld train + %lld test videos, %lld snippets -> %s (%.1f s)", s->name,
           (long long)s->synth.n_train, (long long)s->synth.n_test, (long long)n_snippets, s->path, rb_now() - t0);
    *built = 1;
    return RB_OK;
}

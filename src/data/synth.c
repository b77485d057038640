/* synth.c - synthetic dataset generator: video names, split layout and the whole-dataset driver, over
 * the parameters of synth_params.c and the generative model of synth_model.c; the calibration probe is
 * tests/common/synth_probe.c. docs/synthetic.md describes them. */
#include "rb_data.h"
#include "rb_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* UCF-Crime-style folder names used for the ucf setting's video names. */
static const char *const rb_synth_ucf_names[RB_SYNTH_N_CLASSES] = {
    "Fighting", "Shooting", "Riot", "Abuse", "RoadAccidents", "Explosion"};

/* ---- names ---- */

/* splitmix64 finaliser: a bijection of 64-bit words, so distinct keys give distinct names. */
static uint64_t rb_synth_mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* "B1-0-0", "B2-G-0" or "A". */
static void rb_synth_label_code(const rb_synth_video_info *info, char *out, size_t cap) {
    if (!info->label) {
        snprintf(out, cap, "A");
        return;
    }
    const char *c0 = rb_synth_class_code(info->classes[0]);
    const char *c1 = info->n_classes > 1 ? rb_synth_class_code(info->classes[1]) : "0";
    snprintf(out, cap, "%s-%s-0", c0, c1);
}

int rb_synth_video_name(const rb_synth *g, int split, int64_t v, char *buf, size_t cap) {
    rb_synth_video_info info;
    RB_TRY(rb_synth_describe(g, split, v, &info));
    int64_t n_anom = split == RB_SYNTH_TRAIN ? g->p.n_train_anomalous : g->p.n_test_anomalous;
    int64_t idx = info.label ? v : v - n_anom;
    char code[32];
    rb_synth_label_code(&info, code, sizeof code);
    int n;
    if (g->p.generator == RB_SYNTH_UCF) {
        const char *folder = info.label ? rb_synth_ucf_names[info.classes[0]] : "Normal_Videos_";
        n = snprintf(buf, cap, "%s%s%04lld_x264_label_%s", folder, split == RB_SYNTH_TRAIN ? "train" : "test",
                     (long long)idx, code);
    } else {
        /* YouTube-style id: 11 base64url characters of a bijective scramble of the video key. */
        static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        uint64_t key = ((uint64_t)(uint32_t)g->p.generator << 48) | ((uint64_t)(uint32_t)split << 44) |
                       ((uint64_t)info.label << 40) | (uint64_t)idx;
        uint64_t h = rb_synth_mix64(key);
        char id[12];
        for (int i = 0; i < 11; i++) id[i] = b64[(h >> (6 * i)) & 63];
        id[11] = 0;
        n = snprintf(buf, cap, "v=%s__#1_label_%s", id, code);
    }
    if (n < 0 || (size_t)n >= cap)
        return rb_fail("synthetic video name: buffer of %zu bytes too small (need %d)", cap, n + 1);
    return RB_OK;
}

/* ---- layout and driver ---- */

int rb_synth_split_offsets(const rb_synth *g, int split, int64_t *offsets) {
    int64_t n = rb_synth_split_videos(g, split);
    offsets[0] = 0;
    for (int64_t v = 0; v < n; v++) {
        rb_synth_video_info info;
        RB_TRY(rb_synth_describe(g, split, v, &info));
        offsets[v + 1] = offsets[v] + info.n_snippets;
    }
    return RB_OK;
}

double rb_synth_bytes(const rb_synth *g, int64_t *n_snippets) {
    int64_t total = 0;
    for (int split = 0; split < 2; split++) {
        int64_t n = rb_synth_split_videos(g, split);
        for (int64_t v = 0; v < n; v++) {
            rb_synth_video_info info;
            if (rb_synth_describe(g, split, v, &info) == RB_OK) total += info.n_snippets;
        }
    }
    if (n_snippets) *n_snippets = total;
    return (double)total * 4.0 * ((double)g->p.n_crops * g->p.d_visual + g->p.d_audio);
}

static int rb_synth_fill_split(const rb_synth *g, int split, rb_split *s) {
    int64_t n = rb_synth_split_videos(g, split);
    int64_t *off = rb_malloc(((size_t)n + 1) * sizeof *off, "synthetic offsets");
    if (!off) return RB_ERR;
    if (rb_synth_split_offsets(g, split, off) != RB_OK) {
        free(off);
        return RB_ERR;
    }
    int with_truth = split == RB_SYNTH_TEST;
    if (rb_split_alloc(s, n, off[n], g->p.n_crops, g->p.d_visual, g->p.d_audio, with_truth) != RB_OK) {
        free(off);
        return RB_ERR;
    }
    memcpy(s->offsets, off, ((size_t)n + 1) * sizeof *off);
    free(off);
    char name[160];
    for (int64_t v = 0; v < n; v++) {
        int64_t o = s->offsets[v];
        RB_TRY(rb_synth_video_name(g, split, v, name, sizeof name));
        if (!(s->names[v] = rb_strdup(name, "synthetic video name"))) return RB_ERR;
        s->labels[v] = (uint8_t)(v < (split == RB_SYNTH_TRAIN ? g->p.n_train_anomalous : g->p.n_test_anomalous));
        RB_TRY_CTX(rb_synth_video(g, split, v, rb_split_visual_at(s, o, 0), rb_split_audio_at(s, o),
                                  with_truth ? s->snippet_pos + o : NULL,
                                  with_truth ? s->snippet_frames + o : NULL),
                   "video %s", name);
    }
    return RB_OK;
}

int rb_synth_generate(const rb_synth_params *p, uint32_t seed, rb_dataset *out) {
    memset(out, 0, sizeof *out);
    rb_synth g;
    RB_TRY_CTX(rb_synth_open(&g, p, seed), "synthetic dataset");
    const char *gen = rb_synth_generator_name(p->generator);
    char name[32], source[32];
    snprintf(name, sizeof name, "%s-like", gen);
    snprintf(source, sizeof source, "synth:%s", gen);
    out->frames_per_snippet = RB_SYNTH_FRAMES;
    int rc = RB_ERR;
    if (!(out->name = rb_strdup(name, "dataset name")) || !(out->source = rb_strdup(source, "dataset source")))
        goto done;
    if (rb_synth_fill_split(&g, RB_SYNTH_TRAIN, &out->train) != RB_OK) {
        rb_context("synthetic %s dataset: train split", gen);
        goto done;
    }
    if (rb_synth_fill_split(&g, RB_SYNTH_TEST, &out->test) != RB_OK) {
        rb_context("synthetic %s dataset: test split", gen);
        goto done;
    }
    rc = RB_OK;
done:
    rb_synth_close(&g);
    if (rc != RB_OK) rb_dataset_free(out);
    return rc;
}

/* test_synth.c - the synthetic dataset generator: parameters, shapes and labels, truth invariants,
 * determinism and per-video keying, crops, temporal correlation, the ucf-like shift, and the
 * calibration proxy (difficulty ordering of visual / audio / both). */
#include "rb_core.h"
#include "rb_data.h"
#include "synth_probe.h"
#include "rb_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A small xdv-like setting used by most tests. */
static rb_synth_params small_params(const char *gen) {
    rb_synth_params p;
    if (rb_synth_defaults(&p, gen) != RB_OK) abort();
    p.n_train = 12;
    p.n_train_anomalous = 5;
    p.n_test = 10;
    p.n_test_anomalous = 6;
    p.d_visual = 64;
    p.d_audio = 16;
    p.len_mean = 30;
    p.len_min = 4;
    p.len_max = 80;
    return p;
}

static int same_split(const rb_split *a, const rb_split *b) {
    if (a->n_videos != b->n_videos || a->n_snippets != b->n_snippets || a->n_crops != b->n_crops ||
        a->d_visual != b->d_visual || a->d_audio != b->d_audio)
        return 0;
    size_t ns = (size_t)a->n_snippets;
    if (memcmp(a->offsets, b->offsets, sizeof(int64_t) * ((size_t)a->n_videos + 1))) return 0;
    if (memcmp(a->labels, b->labels, (size_t)a->n_videos)) return 0;
    for (int64_t v = 0; v < a->n_videos; v++)
        if (strcmp(a->names[v], b->names[v])) return 0;
    if (memcmp(a->visual, b->visual, sizeof(float) * ns * a->n_crops * a->d_visual)) return 0;
    if (memcmp(a->audio, b->audio, sizeof(float) * ns * a->d_audio)) return 0;
    if ((a->snippet_pos == NULL) != (b->snippet_pos == NULL)) return 0;
    if (a->snippet_pos && (memcmp(a->snippet_pos, b->snippet_pos, sizeof(int32_t) * ns) ||
                           memcmp(a->snippet_frames, b->snippet_frames, sizeof(int32_t) * ns)))
        return 0;
    return 1;
}

/* Rows of video v of split a equal rows of video w of split b (features and truth). */
static int same_video(const rb_split *a, int64_t v, const rb_split *b, int64_t w) {
    int64_t T = rb_split_video_len(a, v);
    if (T != rb_split_video_len(b, w) || a->n_crops != b->n_crops || a->d_visual != b->d_visual) return 0;
    size_t rv = (size_t)a->n_crops * a->d_visual;
    if (memcmp(rb_split_visual_at(a, a->offsets[v], 0), rb_split_visual_at(b, b->offsets[w], 0),
               sizeof(float) * rv * (size_t)T))
        return 0;
    if (memcmp(rb_split_audio_at(a, a->offsets[v]), rb_split_audio_at(b, b->offsets[w]),
               sizeof(float) * (size_t)a->d_audio * (size_t)T))
        return 0;
    if (a->snippet_pos && b->snippet_pos &&
        memcmp(a->snippet_pos + a->offsets[v], b->snippet_pos + b->offsets[w], sizeof(int32_t) * (size_t)T))
        return 0;
    return strcmp(a->names[v], b->names[w]) == 0;
}

RB_TEST(synth_defaults_are_valid_and_checked) {
    rb_synth_params p;
    RB_EXPECT_OK(rb_synth_defaults(&p, "xdv"));
    RB_EXPECT_OK(rb_synth_check(&p));
    RB_EXPECT_INT(p.generator, RB_SYNTH_XDV);
    RB_EXPECT_INT(p.d_visual, 1024);
    RB_EXPECT_INT(p.d_audio, 128);
    RB_EXPECT_INT(p.n_crops, 1);
    RB_EXPECT_OK(rb_synth_defaults(&p, "ucf"));
    RB_EXPECT_OK(rb_synth_check(&p));
    RB_EXPECT_INT(p.generator, RB_SYNTH_UCF);
    RB_EXPECT_ERR(rb_synth_defaults(&p, "ucf-crime"), "expected \"xdv\" or \"ucf\"");
    p = small_params("xdv");
    p.n_train_anomalous = p.n_train + 1;
    RB_EXPECT_ERR(rb_synth_check(&p), "n_train_anomalous");
    p = small_params("xdv");
    p.temporal_rho = 1.0;
    RB_EXPECT_ERR(rb_synth_check(&p), "temporal_rho");
    p = small_params("xdv");
    p.len_max = p.len_min - 1;
    RB_EXPECT_ERR(rb_synth_check(&p), "len_max");
    p = small_params("xdv");
    p.max_segments = 4;
    RB_EXPECT_ERR(rb_synth_check(&p), "max_segments");
    p = small_params("xdv");
    for (int c = 0; c < RB_SYNTH_N_CLASSES; c++) p.class_mix[c] = 0;
    RB_EXPECT_ERR(rb_synth_check(&p), "class_mix");
    rb_dataset d;
    p.n_crops = 0;
    RB_EXPECT_ERR(rb_synth_generate(&p, 1, &d), "n_crops");
}

RB_TEST(synth_shapes_counts_and_labels) {
    rb_synth_params p = small_params("xdv");
    p.n_crops = 2;
    rb_dataset d;
    RB_EXPECT_OK(rb_synth_generate(&p, 5, &d));
    RB_EXPECT(d.name && strcmp(d.name, "xdv-like") == 0);
    RB_EXPECT(d.source && strcmp(d.source, "synth:xdv") == 0);
    RB_EXPECT_INT(d.frames_per_snippet, 16);
    RB_EXPECT_INT(d.train.n_videos, 12);
    RB_EXPECT_INT(d.test.n_videos, 10);
    const rb_split *sp[2] = {&d.train, &d.test};
    const int64_t n_anom[2] = {5, 6};
    for (int s = 0; s < 2; s++) {
        RB_EXPECT_INT(sp[s]->n_crops, 2);
        RB_EXPECT_INT(sp[s]->d_visual, 64);
        RB_EXPECT_INT(sp[s]->d_audio, 16);
        int64_t violent = 0;
        for (int64_t v = 0; v < sp[s]->n_videos; v++) {
            violent += sp[s]->labels[v];
            RB_EXPECT_INT(sp[s]->labels[v], v < n_anom[s]);
            int64_t T = rb_split_video_len(sp[s], v);
            RB_EXPECT_MSG(T >= p.len_min && T <= p.len_max, "video %lld has %lld snippets", (long long)v, (long long)T);
            int normal_name = strstr(sp[s]->names[v], "_label_A") != NULL;
            RB_EXPECT_MSG(normal_name == !sp[s]->labels[v], "name %s vs label %d", sp[s]->names[v], sp[s]->labels[v]);
        }
        RB_EXPECT_INT(violent, n_anom[s]);
    }
    RB_EXPECT(d.train.snippet_pos == NULL && d.train.snippet_frames == NULL);
    RB_EXPECT(d.test.snippet_pos != NULL && d.test.snippet_frames != NULL);
    RB_EXPECT_OK(rb_split_validate(&d.train, 16, 0, "synthetic train"));
    RB_EXPECT_OK(rb_split_validate(&d.test, 16, 1, "synthetic test"));
    rb_dataset_free(&d);
}

RB_TEST(synth_names_are_xd_style_and_unique_across_splits) {
    rb_synth_params p = small_params("xdv");
    p.n_train = 300;
    p.n_train_anomalous = 150;
    p.multi_class_rate = 0.5;
    rb_synth g;
    RB_EXPECT_OK(rb_synth_open(&g, &p, 9));
    char name[160], other[160];
    int two_class = 0;
    for (int64_t v = 0; v < p.n_train; v++) {
        rb_synth_video_info info;
        RB_EXPECT_OK(rb_synth_describe(&g, RB_SYNTH_TRAIN, v, &info));
        RB_EXPECT_OK(rb_synth_video_name(&g, RB_SYNTH_TRAIN, v, name, sizeof name));
        RB_EXPECT_MSG(strncmp(name, "v=", 2) == 0 && strstr(name, "__#1_label_"), "name %s", name);
        char code[32];
        if (!info.label) snprintf(code, sizeof code, "_label_A");
        else if (info.n_classes == 1) snprintf(code, sizeof code, "_label_%s-0-0", rb_synth_class_code(info.classes[0]));
        else snprintf(code, sizeof code, "_label_%s-%s-0", rb_synth_class_code(info.classes[0]),
                      rb_synth_class_code(info.classes[1]));
        RB_EXPECT_MSG(strstr(name, code) != NULL, "name %s lacks %s", name, code);
        two_class += info.n_classes == 2;
    }
    RB_EXPECT(two_class > 10);
    /* The same index in the other split gets another name. */
    RB_EXPECT_OK(rb_synth_video_name(&g, RB_SYNTH_TRAIN, 3, name, sizeof name));
    RB_EXPECT_OK(rb_synth_video_name(&g, RB_SYNTH_TEST, 3, other, sizeof other));
    RB_EXPECT(strcmp(name, other) != 0);
    RB_EXPECT_ERR(rb_synth_video_name(&g, RB_SYNTH_TRAIN, 3, name, 8), "too small");
    RB_EXPECT_ERR(rb_synth_video_name(&g, RB_SYNTH_TRAIN, p.n_train, name, sizeof name), "out of range");
    rb_synth_close(&g);
}

RB_TEST(synth_features_are_plausible) {
    rb_synth_params p = small_params("xdv");
    rb_dataset d;
    RB_EXPECT_OK(rb_synth_generate(&p, 2, &d));
    const rb_split *s = &d.train;
    size_t nv = (size_t)s->n_snippets * s->n_crops * s->d_visual, na = (size_t)s->n_snippets * s->d_audio;
    size_t negative = 0, small = 0;
    double vsum = 0, asum = 0, asq = 0;
    for (size_t i = 0; i < nv; i++) {
        negative += s->visual[i] < 0;
        small += s->visual[i] < 0.1f;
        vsum += s->visual[i];
    }
    for (size_t i = 0; i < na; i++) {
        asum += s->audio[i];
        asq += s->audio[i] * s->audio[i];
    }
    RB_EXPECT_INT(negative, 0);
    /* sparse-ish: a good share of small activations, but far from all */
    RB_EXPECT_MSG(small > nv / 10 && small < nv / 2, "%zu of %zu visual values below 0.1", small, nv);
    RB_EXPECT_MSG(vsum / nv > 0.2 && vsum / nv < 2.0, "visual mean %g", vsum / nv);
    double amean = asum / na, asd = sqrt(asq / na - amean * amean);
    RB_EXPECT_MSG(fabs(amean) < 0.25 && asd > 0.3 && asd < 3.0, "audio mean %g sd %g", amean, asd);
    rb_dataset_free(&d);
}

RB_TEST(synth_frame_truth_invariants) {
    rb_synth_params p = small_params("xdv");
    p.n_test = 40;
    p.n_test_anomalous = 25;
    rb_dataset d;
    RB_EXPECT_OK(rb_synth_generate(&p, 3, &d));
    rb_synth g;
    RB_EXPECT_OK(rb_synth_open(&g, &p, 3));
    const rb_split *s = &d.test;
    int partial = 0, bad = 0;
    for (int64_t v = 0; v < s->n_videos; v++) {
        int64_t pos = 0;
        for (int64_t i = s->offsets[v]; i < s->offsets[v + 1]; i++) {
            bad += s->snippet_frames[i] != 16 || s->snippet_pos[i] < 0 || s->snippet_pos[i] > 16;
            partial += s->snippet_pos[i] > 0 && s->snippet_pos[i] < 16;
            pos += s->snippet_pos[i];
        }
        rb_synth_video_info info;
        RB_EXPECT_OK(rb_synth_describe(&g, RB_SYNTH_TEST, v, &info));
        int64_t seg = 0;
        for (int k = 0; k < info.n_segments; k++) {
            RB_EXPECT(info.seg_start[k] >= (k ? info.seg_end[k - 1] : 0) && info.seg_end[k] > info.seg_start[k]);
            seg += info.seg_end[k] - info.seg_start[k];
        }
        RB_EXPECT(info.n_segments == 0 || info.seg_end[info.n_segments - 1] <= 16 * info.n_snippets);
        RB_EXPECT_INT(pos, seg); /* truth = frames inside the segments */
        if (s->labels[v]) RB_EXPECT_MSG(pos > 0 && info.n_segments >= 1 && info.n_segments <= 3,
                                        "violent video %lld: %lld positive frames", (long long)v, (long long)pos);
        else RB_EXPECT_MSG(pos == 0 && info.n_segments == 0, "normal video %lld: %lld positives", (long long)v,
                           (long long)pos);
    }
    RB_EXPECT_INT(bad, 0);
    RB_EXPECT_MSG(partial > 0, "segments are never snippet-partial");
    rb_synth_close(&g);
    rb_dataset_free(&d);
}

RB_TEST(synth_video_statistics_follow_the_parameters) {
    /* Descriptions only (no features): class mix, hard-negative rate in both classes, anomalous
     * fraction and segment counts over many videos. */
    rb_synth_params p;
    RB_EXPECT_OK(rb_synth_defaults(&p, "xdv"));
    p.n_train = 6000;
    p.n_train_anomalous = 3000;
    rb_synth g;
    RB_EXPECT_OK(rb_synth_open(&g, &p, 4));
    int cls[RB_SYNTH_N_CLASSES] = {0}, nseg[4] = {0}, hn[2] = {0};
    double frac = 0, len = 0;
    for (int64_t v = 0; v < p.n_train; v++) {
        rb_synth_video_info info;
        RB_EXPECT_OK(rb_synth_describe(&g, RB_SYNTH_TRAIN, v, &info));
        hn[info.label] += info.hn_type >= 0;
        len += info.n_snippets;
        if (!info.label) continue;
        cls[info.classes[0]]++;
        nseg[info.n_segments]++;
        int64_t a = 0;
        for (int k = 0; k < info.n_segments; k++) a += info.seg_end[k] - info.seg_start[k];
        frac += (double)a / (16.0 * info.n_snippets);
    }
    for (int c = 0; c < RB_SYNTH_N_CLASSES; c++)
        RB_EXPECT_NEAR(cls[c] / 3000.0, p.class_mix[c], 0.03); /* sd <= 0.009 */
    RB_EXPECT_NEAR(hn[0] / 3000.0, p.hard_negative_rate, 0.04);
    RB_EXPECT_NEAR(hn[1] / 3000.0, p.hard_negative_rate, 0.04);
    RB_EXPECT_NEAR(frac / 3000.0, p.anomaly_fraction, 0.03);
    RB_EXPECT(nseg[1] > 500 && nseg[2] > 500 && nseg[3] > 500);
    RB_EXPECT_NEAR(len / p.n_train, p.len_mean, 0.08 * p.len_mean); /* clipping trims the mean a little */
    rb_synth_close(&g);
}

RB_TEST(synth_is_deterministic_and_seeded) {
    rb_synth_params p = small_params("xdv");
    rb_dataset a, b, c;
    RB_EXPECT_OK(rb_synth_generate(&p, 11, &a));
    RB_EXPECT_OK(rb_synth_generate(&p, 11, &b));
    RB_EXPECT_OK(rb_synth_generate(&p, 12, &c));
    RB_EXPECT(same_split(&a.train, &b.train));
    RB_EXPECT(same_split(&a.test, &b.test));
    RB_EXPECT(!same_split(&a.test, &c.test));
    rb_dataset_free(&a);
    rb_dataset_free(&b);
    rb_dataset_free(&c);
}

RB_TEST(synth_videos_keyed_per_video) {
    /* Growing both label groups keeps every existing video byte-identical (normal videos move by the
     * number of added violent ones), and streaming one video at a time in reverse order gives the
     * same rows as the whole-dataset driver. */
    rb_synth_params p = small_params("xdv");
    rb_synth_params q = p;
    q.n_test = 16;
    q.n_test_anomalous = 8;
    rb_dataset a, b;
    RB_EXPECT_OK(rb_synth_generate(&p, 21, &a));
    RB_EXPECT_OK(rb_synth_generate(&q, 21, &b));
    for (int64_t v = 0; v < p.n_test_anomalous; v++)
        RB_EXPECT_MSG(same_video(&a.test, v, &b.test, v), "violent video %lld differs", (long long)v);
    for (int64_t v = p.n_test_anomalous; v < p.n_test; v++)
        RB_EXPECT_MSG(same_video(&a.test, v, &b.test, v - p.n_test_anomalous + q.n_test_anomalous),
                      "normal video %lld differs", (long long)v);
    rb_synth g;
    RB_EXPECT_OK(rb_synth_open(&g, &p, 21));
    int64_t *off = malloc(sizeof(int64_t) * (size_t)(p.n_test + 1));
    RB_EXPECT_OK(rb_synth_split_offsets(&g, RB_SYNTH_TEST, off));
    RB_EXPECT(memcmp(off, a.test.offsets, sizeof(int64_t) * (size_t)(p.n_test + 1)) == 0);
    int64_t total = 0;
    double bytes = rb_synth_bytes(&g, &total);
    RB_EXPECT_INT(total, a.train.n_snippets + a.test.n_snippets);
    RB_EXPECT_NEAR(bytes, 4.0 * total * (p.n_crops * p.d_visual + p.d_audio), 0.5);
    for (int64_t v = p.n_test - 1; v >= 0; v--) {
        int64_t T = off[v + 1] - off[v];
        float *vis = malloc(sizeof(float) * (size_t)T * p.n_crops * p.d_visual);
        float *aud = malloc(sizeof(float) * (size_t)T * p.d_audio);
        int32_t *pos = malloc(sizeof(int32_t) * (size_t)T), *fr = malloc(sizeof(int32_t) * (size_t)T);
        RB_EXPECT_OK(rb_synth_video(&g, RB_SYNTH_TEST, v, vis, aud, pos, fr));
        RB_EXPECT(memcmp(vis, rb_split_visual_at(&a.test, off[v], 0), sizeof(float) * (size_t)T * p.n_crops * p.d_visual) == 0);
        RB_EXPECT(memcmp(aud, rb_split_audio_at(&a.test, off[v]), sizeof(float) * (size_t)T * p.d_audio) == 0);
        RB_EXPECT(memcmp(pos, a.test.snippet_pos + off[v], sizeof(int32_t) * (size_t)T) == 0);
        free(vis); free(aud); free(pos); free(fr);
    }
    free(off);
    rb_synth_close(&g);
    rb_dataset_free(&a);
    rb_dataset_free(&b);
}

RB_TEST(synth_crops_are_perturbations_of_the_centre) {
    rb_synth_params p1 = small_params("xdv"), p5 = p1;
    p5.n_crops = 5;
    rb_dataset a, b;
    RB_EXPECT_OK(rb_synth_generate(&p1, 8, &a));
    RB_EXPECT_OK(rb_synth_generate(&p5, 8, &b));
    const rb_split *s1 = &a.test, *s5 = &b.test;
    RB_EXPECT_INT(s1->n_snippets, s5->n_snippets);
    int centre_same = 1;
    double sxy = 0, sxx = 0, syy = 0, sx = 0, sy = 0, diff = 0;
    size_t n = 0;
    for (int64_t i = 0; i < s1->n_snippets; i++) {
        const float *c0 = rb_split_visual_at(s5, i, 0), *c3 = rb_split_visual_at(s5, i, 3);
        centre_same &= memcmp(c0, rb_split_visual_at(s1, i, 0), sizeof(float) * s1->d_visual) == 0;
        for (int k = 0; k < s1->d_visual; k++, n++) {
            sx += c0[k], sy += c3[k], sxx += c0[k] * c0[k], syy += c3[k] * c3[k], sxy += c0[k] * c3[k];
            diff += c0[k] != c3[k];
        }
    }
    /* crop 0 does not depend on the number of crops; other crops are close but not equal */
    RB_EXPECT(centre_same);
    double corr = (sxy - sx * sy / n) / sqrt((sxx - sx * sx / n) * (syy - sy * sy / n));
    RB_EXPECT_MSG(corr > 0.8 && corr < 0.999, "crop 0 / crop 3 correlation %g", corr);
    RB_EXPECT(diff > 0.99 * n);
    RB_EXPECT(memcmp(s1->audio, s5->audio, sizeof(float) * (size_t)s1->n_snippets * s1->d_audio) == 0);
    rb_dataset_free(&a);
    rb_dataset_free(&b);
}

/* Lag-1 autocorrelation within videos of a fixed random projection of the visual features
 * (per-video means removed). */
static double lag1_visual(const rb_split *s) {
    rb_rng r;
    rb_rng_init(&r, 1, RB_PURPOSE_TEST, 0, 0, 0);
    double *u = malloc(sizeof(double) * (size_t)s->d_visual);
    for (int k = 0; k < s->d_visual; k++) u[k] = rb_rng_normal(&r);
    double num = 0, den = 0;
    for (int64_t v = 0; v < s->n_videos; v++) {
        int64_t T = rb_split_video_len(s, v);
        double *x = malloc(sizeof(double) * (size_t)T), m = 0;
        for (int64_t t = 0; t < T; t++) {
            const float *f = rb_split_visual_at(s, s->offsets[v] + t, 0);
            double a = 0;
            for (int k = 0; k < s->d_visual; k++) a += u[k] * f[k];
            x[t] = a;
            m += a / T;
        }
        for (int64_t t = 0; t < T; t++) {
            den += (x[t] - m) * (x[t] - m);
            if (t) num += (x[t] - m) * (x[t - 1] - m);
        }
        free(x);
    }
    free(u);
    return num / den;
}

RB_TEST(synth_temporal_correlation) {
    rb_synth_params p = small_params("xdv");
    p.n_train = 20;
    p.n_train_anomalous = 0; /* no anomaly steps: the correlation comes from the AR(1) latents */
    p.hard_negative_rate = 0;
    rb_dataset d;
    RB_EXPECT_OK(rb_synth_generate(&p, 6, &d));
    double r_ar = lag1_visual(&d.train);
    rb_dataset_free(&d);
    p.temporal_rho = 0.0;
    RB_EXPECT_OK(rb_synth_generate(&p, 6, &d));
    double r_white = lag1_visual(&d.train);
    rb_dataset_free(&d);
    /* rho = 0.9 on the latents; the projection also carries white per-feature noise (64 features)
     * and the per-video mean removal biases short videos down, so clearly positive, not 0.9 */
    RB_EXPECT_MSG(r_ar > 0.4, "lag-1 correlation %g with rho 0.9", r_ar);
    RB_EXPECT_MSG(fabs(r_white) < 0.15, "lag-1 correlation %g with rho 0", r_white);
}

RB_TEST(synth_ucf_shares_globals_but_shifts_the_data) {
    rb_synth_params px, pu;
    RB_EXPECT_OK(rb_synth_defaults(&px, "xdv"));
    RB_EXPECT_OK(rb_synth_defaults(&pu, "ucf"));
    rb_synth gx, gu;
    RB_EXPECT_OK(rb_synth_open(&gx, &px, 77));
    RB_EXPECT_OK(rb_synth_open(&gu, &pu, 77));
    size_t nv = (size_t)RB_SYNTH_KV * px.d_visual, na = (size_t)RB_SYNTH_KA * px.d_audio;
    RB_EXPECT(memcmp(gx.wv, gu.wv, sizeof(float) * nv) == 0);
    RB_EXPECT(memcmp(gx.wa, gu.wa, sizeof(float) * na) == 0);
    RB_EXPECT(memcmp(gx.anom_v, gu.anom_v, sizeof gx.anom_v) == 0);
    RB_EXPECT(memcmp(gx.anom_a, gu.anom_a, sizeof gx.anom_a) == 0);
    RB_EXPECT(memcmp(gx.proto, gu.proto, sizeof gx.proto) == 0);
    /* the anomaly directions are unit vectors with a common violence component */
    double nrm = 0, dot = 0;
    for (int k = 0; k < RB_SYNTH_KV; k++) {
        nrm += gx.anom_v[0][k] * gx.anom_v[0][k];
        dot += gx.anom_v[0][k] * gx.anom_v[1][k];
    }
    RB_EXPECT_NEAR(nrm, 1.0, 1e-12);
    RB_EXPECT_MSG(dot > 0.2, "class directions share too little (%g)", dot);
    rb_synth_close(&gx);
    rb_synth_close(&gu);

    /* Data: same widths, other lengths, anomalous fraction and feature means. */
    rb_synth_params a = small_params("xdv"), b = small_params("ucf");
    a.n_train = b.n_train = 0;
    a.n_train_anomalous = b.n_train_anomalous = 0;
    a.n_test = b.n_test = 200;
    a.n_test_anomalous = b.n_test_anomalous = 100;
    b.len_mean = 60;
    rb_dataset dx, du;
    RB_EXPECT_OK(rb_synth_generate(&a, 77, &dx));
    RB_EXPECT_OK(rb_synth_generate(&b, 77, &du));
    RB_EXPECT(du.name && strcmp(du.name, "ucf-like") == 0);
    RB_EXPECT_INT(du.test.d_visual, dx.test.d_visual);
    RB_EXPECT_INT(du.test.d_audio, dx.test.d_audio);
    RB_EXPECT(du.test.n_snippets > dx.test.n_snippets * 3 / 2);
    double fx = 0, fu = 0;
    for (int64_t i = 0; i < dx.test.n_snippets; i++) fx += dx.test.snippet_pos[i];
    for (int64_t i = 0; i < du.test.n_snippets; i++) fu += du.test.snippet_pos[i];
    fx /= 16.0 * dx.test.n_snippets;
    fu /= 16.0 * du.test.n_snippets;
    RB_EXPECT_MSG(fu < 0.75 * fx, "anomalous frame fraction ucf %g vs xdv %g", fu, fx);
    /* distance of mean visual features: ucf vs xdv, against xdv vs other xdv videos of the same seed
     * (the same globals, only the video draws differ) */
    rb_synth_params a2 = a;
    a2.n_test = 400;
    a2.n_test_anomalous = 200; /* videos 100..199 of each group are new videos of the same setting */
    rb_dataset dxb;
    RB_EXPECT_OK(rb_synth_generate(&a2, 77, &dxb));
    int D = a.d_visual;
    double *mx = calloc((size_t)D, sizeof(double)), *mu = calloc((size_t)D, sizeof(double)),
           *mb = calloc((size_t)D, sizeof(double));
    int64_t nb = 0;
    for (int64_t i = 0; i < dx.test.n_snippets; i++)
        for (int k = 0; k < D; k++) mx[k] += rb_split_visual_at(&dx.test, i, 0)[k] / dx.test.n_snippets;
    for (int64_t i = 0; i < du.test.n_snippets; i++)
        for (int k = 0; k < D; k++) mu[k] += rb_split_visual_at(&du.test, i, 0)[k] / du.test.n_snippets;
    for (int64_t v = 0; v < dxb.test.n_videos; v++) {
        int fresh = (v >= 100 && v < 200) || v >= 300;
        if (!fresh) continue;
        for (int64_t i = dxb.test.offsets[v]; i < dxb.test.offsets[v + 1]; i++, nb++)
            for (int k = 0; k < D; k++) mb[k] += rb_split_visual_at(&dxb.test, i, 0)[k];
    }
    double shift = 0, same = 0;
    for (int k = 0; k < D; k++) {
        mb[k] /= nb;
        shift += (mx[k] - mu[k]) * (mx[k] - mu[k]);
        same += (mx[k] - mb[k]) * (mx[k] - mb[k]);
    }
    RB_EXPECT_MSG(shift > 2.0 * same, "mean shift ucf %g vs resampled xdv %g", sqrt(shift), sqrt(same));
    free(mx); free(mu); free(mb);
    rb_dataset_free(&dx);
    rb_dataset_free(&du);
    rb_dataset_free(&dxb);
}

RB_TEST(synth_trapezoid_ap_hand_computed) {
    /* snippets (score, positive frames of 16): (0.9,16) (0.8,0) (0.3,8) (0.1,0); 24 positives.
     * Curve from (0,1): (2/3,1) (2/3,1/2) (1,1/2): area 2/3 + 1/3 * 1/2 = 5/6. */
    float s[4] = {0.9f, 0.8f, 0.3f, 0.1f};
    int32_t pos[4] = {16, 0, 8, 0}, fr[4] = {16, 16, 16, 16};
    RB_EXPECT_NEAR(rb_synth_trapezoid_ap(s, pos, fr, 4), 5.0 / 6.0, 1e-12);
    float c[4] = {1, 1, 1, 1}; /* constant score: (1 + 24/64) / 2 */
    RB_EXPECT_NEAR(rb_synth_trapezoid_ap(c, pos, fr, 4), 0.6875, 1e-12);
    float o[4] = {16, 0, 8, 0}; /* (2/3,1) then the tie group (1, 24/32): 2/3 + 1/3 * 7/8 = 23/24 */
    RB_EXPECT_NEAR(rb_synth_trapezoid_ap(o, pos, fr, 4), 23.0 / 24.0, 1e-12);
}

RB_TEST(synth_proxy_difficulty_ordering) {
    /* A reduced xdv setting (full widths, fewer videos): linear top-k MIL probes must find the
     * anomalies, do better on both modalities together than on either, and stay far from perfect.
     * (visual > audio holds at the default scale, see bench_synth; with 160 train videos the
     * 1024-wide visual probe is too close to audio to assert an order.) */
    rb_synth_params p;
    RB_EXPECT_OK(rb_synth_defaults(&p, "xdv"));
    p.n_train = 160;
    p.n_train_anomalous = 77;
    p.n_test = 100;
    p.n_test_anomalous = 62;
    rb_dataset d;
    RB_EXPECT_OK(rb_synth_generate(&p, 1, &d));
    rb_synth_probe_result r;
    RB_EXPECT_OK(rb_synth_probe(&d, 3, 1.0, 2, &r));
    printf("    proxy (seed 1, 160/100 videos): positive frames %.4f, constant AP %.4f, visual %.4f, "
           "audio %.4f, both %.4f\n",
           r.positive_fraction, r.ap_constant, r.ap_visual, r.ap_audio, r.ap_concat);
    RB_EXPECT(r.ap_concat > r.ap_visual + 0.02);
    RB_EXPECT(r.ap_concat > r.ap_audio + 0.02);
    RB_EXPECT(r.ap_concat < 0.93);
    RB_EXPECT(r.ap_visual > r.positive_fraction + 0.2); /* far above a random ranking */
    rb_dataset_free(&d);
}

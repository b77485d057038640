/* rb_fixture.c - in-memory dataset and model for tests and benchmarks (rb_fixture.h). */
#include "rb_fixture.h"
#include "rb_core.h"
#include "rb_data.h"

#include <stdlib.h>
#include <string.h>

int rb_fixture_dataset(const rb_fixture_spec *f, rb_dataset *d) {
    rb_synth_params p;
    RB_TRY(rb_synth_defaults(&p, "xdv"));
    p.n_train = f->n_train;
    p.n_train_anomalous = f->n_train / 2;
    p.n_test = f->n_test;
    p.n_test_anomalous = (f->n_test + 1) / 2;
    p.n_crops = f->n_crops;
    p.d_visual = f->d_visual;
    p.d_audio = f->d_audio;
    if (p.len_max > 120) p.len_max = 120;
    if (p.len_min > p.len_max) p.len_min = p.len_max;
    return rb_synth_generate(&p, f->seed, d);
}

int rb_fixture_scoring(const rb_fixture_spec *f, rb_dataset *d, rb_model *m, rb_corrupt_ctx *ctx) {
    return rb_fixture_scoring_arch(f, RB_ARCH_MLP, d, m, ctx);
}

int rb_fixture_scoring_arch(const rb_fixture_spec *f, rb_detector_arch arch, rb_dataset *d, rb_model *m,
                            rb_corrupt_ctx *ctx) {
    memset(d, 0, sizeof *d);
    memset(m, 0, sizeof *m);
    memset(ctx, 0, sizeof *ctx);
    RB_TRY(rb_fixture_dataset(f, d));
    RB_TRY(rb_fixture_model_arch(f, arch, d, m));
    return rb_corrupt_ctx_init(ctx, 7, 99, &m->stats[0], &m->stats[1]);
}

int rb_fixture_model(const rb_fixture_spec *f, const rb_dataset *d, rb_model *m) {
    return rb_fixture_model_arch(f, RB_ARCH_MLP, d, m);
}

int rb_fixture_model_arch(const rb_fixture_spec *f, rb_detector_arch arch, const rb_dataset *d, rb_model *m) {
    memset(m, 0, sizeof *m);
    const rb_split *tr = &d->train;
    m->d_visual = tr->d_visual;
    m->d_audio = tr->d_audio;
    m->n_crops = tr->n_crops;
    m->n_replicas = f->replicas;
    m->n_kinds = RB_DET_N_KINDS;
    for (int k = 0; k < RB_DET_N_KINDS; k++) m->kinds[k] = (rb_detector_kind)k;
    m->dataset = rb_strdup("fixture", "name");
    m->recipe = rb_strdup("fixture", "recipe");
    m->det = rb_calloc((size_t)(RB_DET_N_KINDS * f->replicas), sizeof *m->det, "detectors");
    if (!m->dataset || !m->recipe || !m->det) return RB_ERR;
    for (int k = 0; k < RB_DET_N_KINDS; k++)
        for (int r = 0; r < f->replicas; r++)
            RB_TRY(rb_detector_init_arch(rb_model_detector(m, k, r), arch, (rb_detector_kind)k, tr->d_visual,
                                         tr->d_audio, f->hidden1, f->hidden2, 0.0f, f->seed, (uint32_t)r));
    rb_weight_params wp;
    rb_weight_params_default(&wp);
    for (int mod = 0; mod < 2; mod++) {
        rb_gmm_params gp;
        rb_gmm_params_default(&gp);
        gp.k = f->gmm_k;
        gp.max_iter = 5;
        gp.seed = f->seed;
        gp.stream_id = (uint32_t)mod;
        int width = mod == 0 ? tr->n_crops : 1, dim = mod == 0 ? tr->d_visual : tr->d_audio;
        const float *x = mod == 0 ? tr->visual : tr->audio;
        int64_t rows = tr->n_snippets * width;
        RB_TRY(rb_gmm_fit(&m->gmm[mod], x, rows, dim, dim, &gp));
        double *nll = rb_malloc(sizeof(double) * (size_t)rows, "nll");
        if (!nll) return RB_ERR;
        int rc = rb_gmm_nll(&m->gmm[mod], x, rows, dim, nll);
        if (rc == RB_OK) rc = rb_weight_calibrate_nll(&m->calib[mod], nll, tr->n_snippets, width, tr->offsets, tr->n_videos, &wp);
        free(nll);
        RB_TRY(rc);
        RB_TRY(rb_clean_stats_compute(tr, mod == 0 ? RB_MOD_VISUAL : RB_MOD_AUDIO, &m->stats[mod]));
    }
    return RB_OK;
}

int rb_fixture_inputs_open(const rb_fixture_spec *f, rb_fixture_inputs *in) {
    return rb_fixture_scoring(f, &in->d, &in->m, &in->ctx);
}

void rb_fixture_inputs_close(rb_fixture_inputs *in) {
    rb_corrupt_ctx_free(&in->ctx);
    rb_model_free(&in->m);
    rb_dataset_free(&in->d);
}

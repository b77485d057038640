/* config_schema.c - every configuration key robusta reads, with type, default, range and help.
 * Order matters: a group or list comes before its members (defaults are filled in this order).
 * docs/config.md is the user-facing copy of this table; keep them in step. */
#include "rb_core.h"

#include <stddef.h>

#define REQ NULL
#define OPT ""
#define ANY 1.0, 0.0 /* no range */

const rb_key_spec rb_config_schema[] = {
    {"run", RB_KEY_GROUP, "{}", ANY, NULL, "run identity and resources"},
    {"run.seed", RB_KEY_INT, REQ, 0, 2147483647.0, NULL, "run seed: keys every random stream"},
    {"run.id", RB_KEY_STRING, "\"\"", ANY, NULL, "run directory name under run.out_root (\"\" = UTC timestamp)"},
    {"run.out_root", RB_KEY_STRING, "\"results\"", ANY, NULL, "parent directory of run directories"},
    {"run.blas_threads", RB_KEY_INT, "1", 1, 256, NULL, "OpenBLAS threads per MPI rank"},

    {"data", RB_KEY_GROUP, REQ, ANY, NULL, "datasets"},
    {"data.dir", RB_KEY_STRING, "\"results/data\"", ANY, NULL, "where built dataset and model files live"},
    {"data.frames_per_snippet", RB_KEY_INT, "16", 1, 1024, NULL, "frames per feature snippet"},
    {"data.datasets", RB_KEY_LIST, REQ, ANY, NULL, "list of datasets, each a group"},
    {"data.datasets.[].name", RB_KEY_STRING, REQ, ANY, NULL, "dataset name (unique)"},
    {"data.datasets.[].file", RB_KEY_STRING, "\"\"", ANY, NULL, "dataset file (\"\" = <data.dir>/<name>.h5)"},
    {"data.datasets.[].generator", RB_KEY_STRING, "\"xdv\"", ANY, "xdv|ucf|none",
     "synthetic generator that builds the file, or none for an imported file"},
    {"data.datasets.[].model", RB_KEY_STRING, "\"\"", ANY, NULL, "model file (\"\" = <data.dir>/<name>.model.h5)"},
    {"data.datasets.[].train_on", RB_KEY_STRING, "\"self\"", ANY, NULL,
     "dataset whose models score this one (self, or another name for a zero-shot row)"},
    {"data.datasets.[].n_train", RB_KEY_INT, "0", 0, 1e7, NULL, "synthetic: train videos"},
    {"data.datasets.[].n_train_violent", RB_KEY_INT, "0", 0, 1e7, NULL, "synthetic: violent train videos"},
    {"data.datasets.[].n_test", RB_KEY_INT, "0", 0, 1e7, NULL, "synthetic: test videos"},
    {"data.datasets.[].n_test_violent", RB_KEY_INT, "0", 0, 1e7, NULL, "synthetic: violent test videos"},
    {"data.datasets.[].crops", RB_KEY_INT, "1", 1, 8, NULL, "synthetic: visual crops (1 to 8; XD-Violence has 5)"},
    {"data.datasets.[].d_visual", RB_KEY_INT, "1024", 8, 8192, NULL, "synthetic: visual feature width"},
    {"data.datasets.[].d_audio", RB_KEY_INT, "128", 8, 4096, NULL, "synthetic: audio feature width"},
    {"data.datasets.[].synth", RB_KEY_GROUP, "{}", ANY, NULL, "synthetic generator knobs (absent = generator default)"},
    {"data.datasets.[].synth.len_mean", RB_KEY_FLOAT, OPT, 1, 1e5, NULL, "mean video length (snippets)"},
    {"data.datasets.[].synth.len_sigma", RB_KEY_FLOAT, OPT, 0, 3, NULL, "log-sd of video length"},
    {"data.datasets.[].synth.len_min", RB_KEY_INT, OPT, 2, 1e6, NULL, "shortest video (snippets)"},
    {"data.datasets.[].synth.len_max", RB_KEY_INT, OPT, 2, 1e6, NULL, "longest video (snippets)"},
    {"data.datasets.[].synth.anomaly_fraction", RB_KEY_FLOAT, OPT, 0.01, 0.9, NULL, "mean anomalous fraction of a violent video"},
    {"data.datasets.[].synth.max_segments", RB_KEY_INT, OPT, 1, 3, NULL, "anomalous segments per violent video, at most"},
    {"data.datasets.[].synth.multi_class_rate", RB_KEY_FLOAT, OPT, 0, 1, NULL, "probability of a second event class"},
    {"data.datasets.[].synth.visual_strength", RB_KEY_FLOAT, OPT, 0, 100, NULL, "anomaly shift, visual latent"},
    {"data.datasets.[].synth.audio_strength", RB_KEY_FLOAT, OPT, 0, 100, NULL, "anomaly shift, audio latent"},
    {"data.datasets.[].synth.noise", RB_KEY_FLOAT, OPT, 0, 100, NULL, "per-feature noise (relative)"},
    {"data.datasets.[].synth.hard_negative_rate", RB_KEY_FLOAT, OPT, 0, 1, NULL, "probability of a hard-negative event"},
    {"data.datasets.[].synth.hard_negative_strength", RB_KEY_FLOAT, OPT, 0, 100, NULL, "hard-negative shift"},
    {"data.datasets.[].synth.scene_scale", RB_KEY_FLOAT, OPT, 0, 100, NULL, "per-video scene latent sd"},
    {"data.datasets.[].synth.scene_shift", RB_KEY_FLOAT, OPT, 0, 100, NULL, "global setting shift of scenes"},
    {"data.datasets.[].synth.temporal_rho", RB_KEY_FLOAT, OPT, 0, 0.999, NULL, "AR(1) coefficient of latents"},
    {"data.datasets.[].synth.crop_jitter", RB_KEY_FLOAT, OPT, 0, 100, NULL, "latent sd of non-centre crops"},

    {"model", RB_KEY_GROUP, "{}", ANY, NULL, "detector shape"},
    {"model.hidden1", RB_KEY_INT, "512", 1, 65536, NULL, "first hidden width"},
    {"model.hidden2", RB_KEY_INT, "128", 1, 65536, NULL, "second hidden width"},
    {"model.dropout", RB_KEY_FLOAT, "0.6", 0.0, 0.95, NULL, "dropout probability after each hidden layer"},

    {"train", RB_KEY_GROUP, "{}", ANY, NULL, "detector training"},
    {"train.epochs", RB_KEY_INT, "50", 1, 100000, NULL, "epochs"},
    {"train.batch", RB_KEY_INT, "128", 1, 65536, NULL, "bags per minibatch"},
    {"train.lr", RB_KEY_FLOAT, "1e-4", 1e-9, 10.0, NULL, "Adam learning rate"},
    {"train.weight_decay", RB_KEY_FLOAT, "0.0", 0.0, 1.0, NULL, "weight decay"},
    {"train.schedule", RB_KEY_STRING, "\"constant\"", ANY, "constant|step|cosine", "learning-rate schedule"},
    {"train.step_every", RB_KEY_INT, "10", 1, 100000, NULL, "step schedule: epochs between decays"},
    {"train.step_gamma", RB_KEY_FLOAT, "0.1", 0.0, 1.0, NULL, "step schedule: decay factor"},
    {"train.max_snippets", RB_KEY_INT, "200", 2, 65535, NULL, "bags resampled to at most this many snippets"},
    {"train.grad_groups", RB_KEY_INT, "8", 1, 4096, NULL,
     "fixed gradient groups per minibatch: data parallelism without changing a number (docs/scaling.md)"},
    {"train.seeds", RB_KEY_INT, "1", 1, 1000, NULL, "independent training replicas"},
    {"train.detectors", RB_KEY_STRING_ARRAY, "[\"concat\", \"visual\", \"audio\", \"shared\", \"shared-pad\"]",
     ANY, "concat|visual|audio|shared|shared-pad", "detectors to train"},

    {"gmm", RB_KEY_GROUP, "{}", ANY, NULL, "per-modality Gaussian mixtures"},
    {"gmm.components", RB_KEY_INT, "8", 1, 1024, NULL, "mixture components"},
    {"gmm.covariance", RB_KEY_STRING, "\"diag\"", ANY, "diag|full", "covariance type"},
    {"gmm.max_iter", RB_KEY_INT, "100", 1, 100000, NULL, "EM iterations at most"},
    {"gmm.tol", RB_KEY_FLOAT, "1e-4", 0.0, 1.0, NULL, "stop when the mean log-likelihood gains less"},
    {"gmm.var_floor", RB_KEY_FLOAT, "1e-3", 1e-12, 1.0, NULL, "variance floor (relative to data variance)"},
    {"gmm.subsample", RB_KEY_INT, "20000", 10, 100000000, NULL, "training snippets used to fit, at most"},
    {"gmm.holdout_fraction", RB_KEY_FLOAT, "0.2", 0.01, 0.9, NULL, "training videos held out for calibration"},

    {"weights", RB_KEY_GROUP, "{}", ANY, NULL, "RobustA dynamic weighting"},
    {"weights.mode", RB_KEY_STRING, "\"one-sided\"", ANY, "one-sided|two-sided", "NLL-to-weight map"},
    {"weights.statistic", RB_KEY_STRING, "\"snippet\"", ANY, "snippet|video", "per-snippet or per-video NLL"},
    {"weights.smooth", RB_KEY_INT, "1", 1, 1001, NULL, "moving-average window over snippets (odd)"},
    {"weights.percentile", RB_KEY_FLOAT, "95.0", 50.0, 100.0, NULL, "threshold: clean held-out NLL percentile"},
    {"weights.low_percentile", RB_KEY_FLOAT, "5.0", 0.0, 50.0, NULL, "two-sided: low NLL percentile"},
    {"weights.median_weight", RB_KEY_FLOAT, "0.95", 0.5, 0.9999, NULL,
     "weight of the clean held-out median NLL (sets the sigmoid temperature)"},

    {"grid", RB_KEY_GROUP, "{}", ANY, NULL, "corruption grid"},
    {"grid.visual", RB_KEY_STRING_ARRAY,
     "[\"gaussian_noise\", \"motion_blur\", \"defocus_blur\", \"fog\", \"low_light\", \"jpeg\", \"pixelate\", \"frame_drop\"]",
     ANY, "gaussian_noise|motion_blur|defocus_blur|fog|low_light|jpeg|pixelate|frame_drop", "visual corruptions"},
    {"grid.audio", RB_KEY_STRING_ARRAY,
     "[\"gaussian_noise\", \"background_noise\", \"clipping\", \"low_pass\", \"reverb\", \"packet_loss\", \"attenuation\", \"codec\"]",
     ANY, "gaussian_noise|background_noise|clipping|low_pass|reverb|packet_loss|attenuation|codec", "audio corruptions"},
    {"grid.severities", RB_KEY_INT_ARRAY, "[1, 2, 3, 4, 5]", 1, 5, NULL, "severities"},
    {"grid.missing", RB_KEY_BOOL, "true", ANY, NULL, "add a missing-modality cell per modality"},
    {"grid.pairs", RB_KEY_STRING_ARRAY, "[]", ANY, NULL, "co-occurring pairs \"visual_name+audio_name\""},
    {"grid.source", RB_KEY_STRING, "\"auto\"", ANY, "auto|surrogate|preextracted",
     "corrupted features: pre-extracted when present (auto), or force one source"},

    {"grid.reuse_mb", RB_KEY_FLOAT, "2048", 0, 1e9, NULL,
     "memory per rank for the cached clean halves of the concat first layer (0 = recompute)"},
    {"grid.chunk_rows", RB_KEY_INT, "8192", 1, 1e9, NULL, "snippets scored per block (at least the longest video)"},

    {"output", RB_KEY_GROUP, "{}", ANY, NULL, "outputs"},
    {"output.save_scores", RB_KEY_BOOL, "false", ANY, NULL, "store per-snippet scores and truth"},
};

const int rb_config_schema_len = (int)(sizeof rb_config_schema / sizeof rb_config_schema[0]);

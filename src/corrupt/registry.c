/* registry.c - the table of corruptions: stable ids, names, modality, family, operator (an index
 * into the table of operations, operator_table.c), prototype kind and the parameter of each
 * severity (rb_corrupt.h; docs/corruptions.md explains every row). Changing a number here changes
 * every surrogate result: keep docs/corruptions.md in step. */
#include "rb_corrupt.h"

#include "rb_core.h"

#include <stdio.h>
#include <string.h>

#define V RB_MOD_VISUAL
#define A RB_MOD_AUDIO
#define NOPARAM {0, 0, 0, 0, 0}
#define PROTO(kind) RB_CORRUPT_PROTO_##kind

/* Canonical order = ascending id. */
static const rb_corruption rb_corruptions[RB_CORRUPT_COUNT] = {
    {1, V, "gaussian_noise", RB_CORRUPT_FAMILY_NOISE, RB_CORRUPT_OP_NOISE, PROTO(NONE), 0, 5,
     "sensor / transmission noise on the pixels",
     {"noise std in units of the clean std", NULL},
     {{0.3, 0.6, 1.0, 1.6, 2.5}, NOPARAM}},
    {2, V, "motion_blur", RB_CORRUPT_FAMILY_TEMPORAL_SMOOTHING, RB_CORRUPT_OP_MOVING_AVERAGE, PROTO(NONE), 0, 5,
     "camera or object motion smearing content over time",
     {"moving-average width (snippets)", NULL},
     {{3, 5, 9, 17, 33}, NOPARAM}},
    {3, V, "defocus_blur", RB_CORRUPT_FAMILY_DETAIL_ATTENUATION, RB_CORRUPT_OP_DETAIL, PROTO(NONE), 0, 5,
     "out-of-focus lens: fine spatial detail lost",
     {"fraction of dims attenuated", "kept fraction of the deviation from the mean"},
     {{0.3, 0.45, 0.6, 0.75, 0.9}, {0.7, 0.55, 0.4, 0.25, 0.1}}},
    {4, V, "fog", RB_CORRUPT_FAMILY_PROTOTYPE_MIX, RB_CORRUPT_OP_MIX_PROTOTYPE, PROTO(FOG), 0, 5,
     "haze: low contrast, every scene drifts toward the same washed-out look",
     {"mixing weight toward the fog prototype", NULL},
     {{0.2, 0.35, 0.5, 0.65, 0.8}, NOPARAM}},
    {5, V, "low_light", RB_CORRUPT_FAMILY_PROTOTYPE_MIX, RB_CORRUPT_OP_MIX_PROTOTYPE, PROTO(DARK), 0, 5,
     "dark scene / underexposure: activations fade toward a dark frame",
     {"mixing weight toward the dark prototype", NULL},
     {{0.25, 0.45, 0.6, 0.75, 0.9}, NOPARAM}},
    {6, V, "jpeg", RB_CORRUPT_FAMILY_QUANTISATION, RB_CORRUPT_OP_QUANTISE, PROTO(NONE), 0, 5,
     "lossy compression: coarse quantisation, coarser for high frequencies",
     {"quantisation step in units of the clean std", "step multiplier on the high-frequency half"},
     {{0.25, 0.5, 0.9, 1.4, 2.2}, {2, 2, 2, 2, 2}}},
    {7, V, "pixelate", RB_CORRUPT_FAMILY_QUANTISATION, RB_CORRUPT_OP_BLOCK_AVERAGE, PROTO(NONE), 0, 5,
     "low resolution: neighbouring detail merged into blocks",
     {"block size (adjacent dims averaged)", "kept fraction of the within-block detail"},
     {{2, 4, 8, 16, 32}, {0.6, 0.45, 0.3, 0.15, 0.0}}},
    {8, V, "frame_drop", RB_CORRUPT_FAMILY_DROPOUT, RB_CORRUPT_OP_DROP_FREEZE, PROTO(NONE), 0, 5,
     "dropped frames: the player freezes on the last frame received",
     {"probability a snippet is dropped", NULL},
     {{0.1, 0.2, 0.35, 0.5, 0.7}, NOPARAM}},
    {9, V, "missing", RB_CORRUPT_FAMILY_MISSING, RB_CORRUPT_OP_ZERO, PROTO(NONE), 1, 0,
     "no video stream at all (camera off)",
     {NULL, NULL},
     {NOPARAM, NOPARAM}},
    {10, V, "impulse_noise", RB_CORRUPT_FAMILY_IMPULSE, RB_CORRUPT_OP_IMPULSE, PROTO(NONE), 0, 5,
     "transmission bursts: a few snippets are badly garbled",
     {"probability a snippet is hit", "noise std of a hit, in units of the clean std"},
     {{0.05, 0.1, 0.2, 0.3, 0.45}, {3.0, 3.5, 4.0, 4.5, 5.0}}},
    {11, V, "double_exposure", RB_CORRUPT_FAMILY_OVERLAY, RB_CORRUPT_OP_OVERLAY, PROTO(NONE), 0, 5,
     "ghosting / double exposure: another scene superimposed on this one",
     {"gain of the other video's deviation from the clean mean", NULL},
     {{0.3, 0.5, 0.7, 0.9, 1.2}, NOPARAM}},
    {17, A, "gaussian_noise", RB_CORRUPT_FAMILY_NOISE, RB_CORRUPT_OP_NOISE, PROTO(NONE), 0, 5,
     "white noise on the microphone signal",
     {"noise std in units of the clean std", NULL},
     {{0.3, 0.6, 1.0, 1.6, 2.5}, NOPARAM}},
    {18, A, "background_noise", RB_CORRUPT_FAMILY_VIDEO_MIX, RB_CORRUPT_OP_MIX_VIDEO, PROTO(NONE), 0, 5,
     "unrelated sound from the surroundings (another recording mixed in)",
     {"weight of the other video's audio", NULL},
     {{0.1, 0.2, 0.35, 0.5, 0.7}, NOPARAM}},
    {19, A, "clipping", RB_CORRUPT_FAMILY_SATURATION, RB_CORRUPT_OP_CLIP, PROTO(NONE), 0, 5,
     "overdriven microphone / ADC: peaks saturate",
     {"clip level k: x capped at mean + k*std", NULL},
     {{1.5, 1.0, 0.5, 0.0, -0.5}, NOPARAM}},
    {20, A, "low_pass", RB_CORRUPT_FAMILY_DETAIL_ATTENUATION, RB_CORRUPT_OP_DETAIL, PROTO(NONE), 0, 5,
     "muffled sound (cheap microphone, obstruction): high frequencies lost",
     {"fraction of dims attenuated", "kept fraction of the deviation from the mean"},
     {{0.3, 0.45, 0.6, 0.75, 0.9}, {0.6, 0.45, 0.3, 0.15, 0.0}}},
    {21, A, "reverb", RB_CORRUPT_FAMILY_TEMPORAL_SMOOTHING, RB_CORRUPT_OP_EXP_SMOOTHING, PROTO(NONE), 0, 5,
     "reverberant room: each sound has a decaying tail",
     {"tail decay per snippet", NULL},
     {{0.3, 0.5, 0.65, 0.8, 0.9}, NOPARAM}},
    {22, A, "packet_loss", RB_CORRUPT_FAMILY_DROPOUT, RB_CORRUPT_OP_DROP_ZERO, PROTO(NONE), 0, 5,
     "lost audio packets: gaps of silence",
     {"probability a snippet is lost", NULL},
     {{0.1, 0.2, 0.3, 0.45, 0.6}, NOPARAM}},
    {23, A, "attenuation", RB_CORRUPT_FAMILY_PROTOTYPE_MIX, RB_CORRUPT_OP_MIX_PROTOTYPE, PROTO(SILENCE), 0, 5,
     "quiet recording / distant source: signal fades toward silence",
     {"mixing weight toward the silence prototype (0)", NULL},
     {{0.2, 0.35, 0.5, 0.65, 0.8}, NOPARAM}},
    {24, A, "codec", RB_CORRUPT_FAMILY_QUANTISATION, RB_CORRUPT_OP_QUANTISE, PROTO(NONE), 0, 5,
     "low-bitrate audio codec: coarse quantisation",
     {"quantisation step in units of the clean std", "step multiplier on the upper half"},
     {{0.3, 0.6, 1.0, 1.5, 2.5}, {1, 1, 1, 1, 1}}},
    {25, A, "missing", RB_CORRUPT_FAMILY_MISSING, RB_CORRUPT_OP_ZERO, PROTO(NONE), 1, 0,
     "no audio track at all (muted / no microphone)",
     {NULL, NULL},
     {NOPARAM, NOPARAM}},
    {26, A, "clicks", RB_CORRUPT_FAMILY_IMPULSE, RB_CORRUPT_OP_IMPULSE, PROTO(NONE), 0, 5,
     "clicks and pops: a few snippets carry loud broadband bursts",
     {"probability a snippet is hit", "noise std of a hit, in units of the clean std"},
     {{0.05, 0.1, 0.2, 0.3, 0.45}, {3.0, 3.5, 4.0, 4.5, 5.0}}},
    {27, A, "crosstalk", RB_CORRUPT_FAMILY_OVERLAY, RB_CORRUPT_OP_OVERLAY, PROTO(NONE), 0, 5,
     "crosstalk: another recording at full level on top of this one",
     {"gain of the other video's deviation from the clean mean", NULL},
     {{0.3, 0.5, 0.7, 0.9, 1.2}, NOPARAM}},
};

int rb_corrupt_count(void) { return RB_CORRUPT_COUNT; }

const rb_corruption *rb_corrupt_at(int index) {
    if (index < 0 || index >= RB_CORRUPT_COUNT) return NULL;
    return &rb_corruptions[index];
}

int rb_corrupt_index(const rb_corruption *c) {
    if (c < rb_corruptions || c >= rb_corruptions + RB_CORRUPT_COUNT) return -1;
    return (int)(c - rb_corruptions);
}

int rb_corrupt_lookup(rb_modality m, const char *name, const rb_corruption **out) {
    *out = NULL;
    if (m != RB_MOD_VISUAL && m != RB_MOD_AUDIO)
        return rb_fail("corruption lookup: expected modality visual or audio, got %d", (int)m);
    char known[512];
    size_t used = 0;
    known[0] = '\0';
    for (int i = 0; i < RB_CORRUPT_COUNT; i++) {
        const rb_corruption *c = &rb_corruptions[i];
        if (c->modality != m) continue;
        if (name && strcmp(c->name, name) == 0) {
            *out = c;
            return RB_OK;
        }
        int n = snprintf(known + used, sizeof known - used, "%s%s", used ? ", " : "", c->name);
        if (n > 0 && (size_t)n < sizeof known - used) used += (size_t)n;
    }
    return rb_fail("unknown %s corruption \"%s\": expected one of %s", rb_modality_name(m),
                   name ? name : "(null)", known);
}

int rb_corrupt_by_id(int32_t id, const rb_corruption **out) {
    *out = NULL;
    for (int i = 0; i < RB_CORRUPT_COUNT; i++)
        if (rb_corruptions[i].id == id) {
            *out = &rb_corruptions[i];
            return RB_OK;
        }
    return rb_fail("unknown corruption id %d: expected 1..11 (visual) or 17..27 (audio)", (int)id);
}

const char *rb_corrupt_family_name(rb_corrupt_family f) {
    switch (f) {
    case RB_CORRUPT_FAMILY_MISSING: return "missing";
    case RB_CORRUPT_FAMILY_NOISE: return "additive_noise";
    case RB_CORRUPT_FAMILY_PROTOTYPE_MIX: return "prototype_mix";
    case RB_CORRUPT_FAMILY_TEMPORAL_SMOOTHING: return "temporal_smoothing";
    case RB_CORRUPT_FAMILY_DETAIL_ATTENUATION: return "detail_attenuation";
    case RB_CORRUPT_FAMILY_QUANTISATION: return "quantisation";
    case RB_CORRUPT_FAMILY_DROPOUT: return "snippet_dropout";
    case RB_CORRUPT_FAMILY_SATURATION: return "saturation";
    case RB_CORRUPT_FAMILY_VIDEO_MIX: return "video_mix";
    case RB_CORRUPT_FAMILY_IMPULSE: return "impulse";
    case RB_CORRUPT_FAMILY_OVERLAY: return "overlay";
    }
    return "?";
}

const char *rb_corrupt_source_name(rb_corrupt_source s) {
    return s == RB_CORRUPT_SOURCE_SURROGATE ? "surrogate"
           : s == RB_CORRUPT_SOURCE_PREEXTRACTED ? "preextracted" : "?";
}

int rb_corrupt_check_severity(const rb_corruption *c, int severity) {
    if (!c) return rb_fail("corruption: expected an entry of the registry, got NULL");
    if (c->is_missing) {
        if (severity != 0)
            return rb_fail("severity of %s %s: expected 0 (missing has no severities), got %d",
                           rb_modality_name(c->modality), c->name, severity);
        return RB_OK;
    }
    if (severity < 1 || severity > c->n_severities)
        return rb_fail("severity of %s %s: expected 1..%d, got %d", rb_modality_name(c->modality),
                       c->name, c->n_severities, severity);
    return RB_OK;
}

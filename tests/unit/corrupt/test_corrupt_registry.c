/* test_corrupt_registry.c - the corruption registry (rb_corrupt.h) and its table of operations
 * (src/corrupt/operator.h): contents, lookup, stable ids and canonical order, an operation for every
 * entry and operator, prototype kinds as data of the entries, and the RNG counter ids. */
#include "rb_core.h"
#include "rb_corrupt.h"
#include "rb_test.h"

#include "corrupt/operator.h"

#include <string.h>

/* ---------------------------------------------------------------- registry */

RB_TEST(corrupt_registry_contents) {
    static const char *visual[] = {"gaussian_noise", "motion_blur", "defocus_blur", "fog",
                                   "low_light", "jpeg", "pixelate", "frame_drop", "missing", "impulse_noise",
                                   "double_exposure"};
    static const char *audio[] = {"gaussian_noise", "background_noise", "clipping", "low_pass",
                                  "reverb", "packet_loss", "attenuation", "codec", "missing", "clicks",
                                  "crosstalk"};
    RB_EXPECT_INT(rb_corrupt_count(), 22);
    RB_EXPECT(rb_corrupt_at(-1) == NULL && rb_corrupt_at(22) == NULL);
    int n_ops[2] = {0, 0}, n_missing[2] = {0, 0};
    for (int i = 0; i < rb_corrupt_count(); i++) {
        const rb_corruption *c = rb_corrupt_at(i);
        RB_EXPECT_INT(rb_corrupt_index(c), i);
        if (i > 0) RB_EXPECT_MSG(c->id > rb_corrupt_at(i - 1)->id, "ids not ascending at %d", i);
        RB_EXPECT_INT((c->id & 16) != 0, c->modality == RB_MOD_AUDIO);
        for (int j = 0; j < i; j++) {
            const rb_corruption *o = rb_corrupt_at(j);
            RB_EXPECT_MSG(o->id != c->id, "duplicate id %d", c->id);
            RB_EXPECT_MSG(o->modality != c->modality || strcmp(o->name, c->name) != 0, "duplicate name %s", c->name);
        }
        const rb_corruption *found = NULL;
        RB_EXPECT_OK(rb_corrupt_lookup(c->modality, c->name, &found));
        RB_EXPECT(found == c);
        RB_EXPECT_OK(rb_corrupt_by_id(c->id, &found));
        RB_EXPECT(found == c);
        RB_EXPECT(c->effect && c->effect[0]);
        if (c->is_missing) {
            n_missing[c->modality]++;
            RB_EXPECT_INT(c->n_severities, 0);
            RB_EXPECT_INT(c->family, RB_CORRUPT_FAMILY_MISSING);
            RB_EXPECT(strcmp(c->name, "missing") == 0);
        } else {
            n_ops[c->modality]++;
            RB_EXPECT_INT(c->n_severities, RB_CORRUPT_SEVERITIES);
            RB_EXPECT(c->family != RB_CORRUPT_FAMILY_MISSING && c->param_name[0] != NULL);
            /* The main parameter changes strictly monotonically with severity. */
            double dir = c->param[0][1] - c->param[0][0];
            RB_EXPECT_MSG(dir != 0.0, "%s: severities 1 and 2 have the same parameter", c->name);
            for (int s = 1; s < RB_CORRUPT_SEVERITIES; s++)
                RB_EXPECT_MSG((c->param[0][s] - c->param[0][s - 1]) * dir > 0.0, "%s: parameter not monotone", c->name);
        }
    }
    RB_EXPECT_INT(n_ops[0], 10);
    RB_EXPECT_INT(n_ops[1], 10);
    RB_EXPECT_INT(n_missing[0], 1);
    RB_EXPECT_INT(n_missing[1], 1);
    for (int i = 0; i < 11; i++) {
        const rb_corruption *c = NULL;
        RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, visual[i], &c));
        RB_EXPECT(c && c->id == 1 + i && c->modality == RB_MOD_VISUAL);
        RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_AUDIO, audio[i], &c));
        RB_EXPECT(c && c->id == 17 + i && c->modality == RB_MOD_AUDIO);
    }
    const rb_corruption *c = NULL;
    RB_EXPECT_ERR(rb_corrupt_lookup(RB_MOD_VISUAL, "reverb", &c), "expected one of gaussian_noise");
    RB_EXPECT(c == NULL);
    RB_EXPECT_ERR(rb_corrupt_lookup(RB_MOD_AUDIO, "", &c), "unknown audio corruption");
    RB_EXPECT_ERR(rb_corrupt_by_id(12, &c), "unknown corruption id 12");
    rb_modality m;
    RB_EXPECT_OK(rb_modality_parse("audio", &m));
    RB_EXPECT_INT(m, RB_MOD_AUDIO);
    RB_EXPECT_ERR(rb_modality_parse("Audio", &m), "expected \"visual\" or \"audio\"");
    RB_EXPECT(strcmp(rb_corrupt_source_name(RB_CORRUPT_SOURCE_SURROGATE), "surrogate") == 0);
    RB_EXPECT(strcmp(rb_corrupt_source_name(RB_CORRUPT_SOURCE_PREEXTRACTED), "preextracted") == 0);
    RB_EXPECT(strcmp(rb_corrupt_family_name(RB_CORRUPT_FAMILY_DROPOUT), "snippet_dropout") == 0);
}

RB_TEST(corrupt_rng_counters_separate_modalities_videos_crops) {
    rb_corrupt_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.seed = 1;
    ctx.dataset_id = 5;
    const rb_corruption *vn, *an;
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, "gaussian_noise", &vn));
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_AUDIO, "gaussian_noise", &an));
    uint32_t a[3], b[3];
    rb_corrupt_stream_ids(&ctx, vn, 12, 0, a);
    rb_corrupt_stream_ids(&ctx, an, 12, 0, b);
    RB_EXPECT_INT(a[0], 5);
    RB_EXPECT_INT(a[1], 1u << 8);
    RB_EXPECT_INT(b[1], 17u << 8);
    RB_EXPECT_INT(a[2], (12u << 4) | 0u);
    RB_EXPECT(a[1] != b[1]);
    rb_corrupt_stream_ids(&ctx, vn, 12, 3, b);
    RB_EXPECT_INT(b[2], (12u << 4) | 3u);
    rb_corrupt_stream_ids(&ctx, vn, 13, 15, b);
    RB_EXPECT_INT(b[2], (13u << 4) | 15u);
    /* Every (entry, video, slot) triple gets its own counter. */
    enum { NV = 5, NS = 16 };
    static uint32_t all[RB_CORRUPT_COUNT * NV * NS][3];
    int n = 0, collisions = 0;
    for (int i = 0; i < rb_corrupt_count(); i++)
        for (int v = 0; v < NV; v++)
            for (int s = 0; s < NS; s++) rb_corrupt_stream_ids(&ctx, rb_corrupt_at(i), v, s, all[n++]);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            collisions += all[i][0] == all[j][0] && all[i][1] == all[j][1] && all[i][2] == all[j][2];
    RB_EXPECT_INT(collisions, 0);
}

/* ---------------------------------------------------------------- table of operations */

/* Ids and canonical order are part of every RNG counter and of the results' layout: they never move. */
RB_TEST(corrupt_registry_ids_and_order_unchanged) {
    static const struct {
        int32_t id;
        rb_modality modality;
        const char *name;
        rb_corrupt_op op;
    } expected[RB_CORRUPT_COUNT] = {
        {1, RB_MOD_VISUAL, "gaussian_noise", RB_CORRUPT_OP_NOISE},
        {2, RB_MOD_VISUAL, "motion_blur", RB_CORRUPT_OP_MOVING_AVERAGE},
        {3, RB_MOD_VISUAL, "defocus_blur", RB_CORRUPT_OP_DETAIL},
        {4, RB_MOD_VISUAL, "fog", RB_CORRUPT_OP_MIX_PROTOTYPE},
        {5, RB_MOD_VISUAL, "low_light", RB_CORRUPT_OP_MIX_PROTOTYPE},
        {6, RB_MOD_VISUAL, "jpeg", RB_CORRUPT_OP_QUANTISE},
        {7, RB_MOD_VISUAL, "pixelate", RB_CORRUPT_OP_BLOCK_AVERAGE},
        {8, RB_MOD_VISUAL, "frame_drop", RB_CORRUPT_OP_DROP_FREEZE},
        {9, RB_MOD_VISUAL, "missing", RB_CORRUPT_OP_ZERO},
        {10, RB_MOD_VISUAL, "impulse_noise", RB_CORRUPT_OP_IMPULSE},
        {11, RB_MOD_VISUAL, "double_exposure", RB_CORRUPT_OP_OVERLAY},
        {17, RB_MOD_AUDIO, "gaussian_noise", RB_CORRUPT_OP_NOISE},
        {18, RB_MOD_AUDIO, "background_noise", RB_CORRUPT_OP_MIX_VIDEO},
        {19, RB_MOD_AUDIO, "clipping", RB_CORRUPT_OP_CLIP},
        {20, RB_MOD_AUDIO, "low_pass", RB_CORRUPT_OP_DETAIL},
        {21, RB_MOD_AUDIO, "reverb", RB_CORRUPT_OP_EXP_SMOOTHING},
        {22, RB_MOD_AUDIO, "packet_loss", RB_CORRUPT_OP_DROP_ZERO},
        {23, RB_MOD_AUDIO, "attenuation", RB_CORRUPT_OP_MIX_PROTOTYPE},
        {24, RB_MOD_AUDIO, "codec", RB_CORRUPT_OP_QUANTISE},
        {25, RB_MOD_AUDIO, "missing", RB_CORRUPT_OP_ZERO},
        {26, RB_MOD_AUDIO, "clicks", RB_CORRUPT_OP_IMPULSE},
        {27, RB_MOD_AUDIO, "crosstalk", RB_CORRUPT_OP_OVERLAY},
    };
    RB_EXPECT_INT(rb_corrupt_count(), RB_CORRUPT_COUNT);
    for (int i = 0; i < RB_CORRUPT_COUNT; i++) {
        const rb_corruption *c = rb_corrupt_at(i);
        RB_EXPECT_INT(c->id, expected[i].id);
        RB_EXPECT_INT(c->modality, expected[i].modality);
        RB_EXPECT_MSG(strcmp(c->name, expected[i].name) == 0, "entry %d: name %s, expected %s", i, c->name,
                      expected[i].name);
        RB_EXPECT_INT(c->op, expected[i].op);
    }
}

RB_TEST(corrupt_every_entry_and_operator_has_an_operation) {
    for (int op = 0; op < RB_CORRUPT_OP_COUNT; op++) {
        const rb_corrupt_ops *ops = rb_corrupt_ops_for((rb_corrupt_op)op);
        RB_EXPECT_MSG(ops && ops->apply && ops->name && ops->name[0], "operator %d has no operation", op);
        for (int other = 0; ops && other < op; other++)
            RB_EXPECT_MSG(rb_corrupt_ops_for((rb_corrupt_op)other) != ops, "operators %d and %d share one ops", other,
                          op);
    }
    RB_EXPECT(rb_corrupt_ops_for(RB_CORRUPT_OP_COUNT) == NULL);
    RB_EXPECT(rb_corrupt_ops_for((rb_corrupt_op)-1) == NULL);
    RB_EXPECT(rb_corrupt_ops_of(NULL) == NULL);
    for (int i = 0; i < rb_corrupt_count(); i++) {
        const rb_corruption *c = rb_corrupt_at(i);
        const rb_corrupt_ops *ops = rb_corrupt_ops_of(c);
        RB_EXPECT_MSG(ops != NULL && ops->apply != NULL, "%s %s: no operation", rb_modality_name(c->modality), c->name);
        if (!ops) continue;
        RB_EXPECT(ops == rb_corrupt_ops_for(c->op));
        /* missing entries need no statistics and no randomness; every operator needs statistics */
        RB_EXPECT_INT(ops->uses_clean_stats, !c->is_missing);
        if (c->is_missing) RB_EXPECT_INT(ops->stream, RB_OP_STREAM_NONE);
        /* the prototype kind is data of exactly the MIX_PROTOTYPE entries */
        RB_EXPECT_INT(c->prototype != RB_CORRUPT_PROTO_NONE, c->op == RB_CORRUPT_OP_MIX_PROTOTYPE);
        RB_EXPECT((int)c->prototype >= 0 && c->prototype < RB_CORRUPT_PROTO_COUNT);
    }
    const rb_corruption *c;
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, "fog", &c));
    RB_EXPECT_INT(c->prototype, RB_CORRUPT_PROTO_FOG);
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_VISUAL, "low_light", &c));
    RB_EXPECT_INT(c->prototype, RB_CORRUPT_PROTO_DARK);
    RB_EXPECT_OK(rb_corrupt_lookup(RB_MOD_AUDIO, "attenuation", &c));
    RB_EXPECT_INT(c->prototype, RB_CORRUPT_PROTO_SILENCE);
    /* random streams: per crop for noise, per video for dropout and video mixing, none elsewhere */
    RB_EXPECT_INT(rb_corrupt_ops_for(RB_CORRUPT_OP_NOISE)->stream, RB_OP_STREAM_CROP);
    RB_EXPECT_INT(rb_corrupt_ops_for(RB_CORRUPT_OP_DROP_FREEZE)->stream, RB_OP_STREAM_VIDEO);
    RB_EXPECT_INT(rb_corrupt_ops_for(RB_CORRUPT_OP_DROP_ZERO)->stream, RB_OP_STREAM_VIDEO);
    RB_EXPECT_INT(rb_corrupt_ops_for(RB_CORRUPT_OP_MIX_VIDEO)->stream, RB_OP_STREAM_VIDEO);
    RB_EXPECT_INT(rb_corrupt_ops_for(RB_CORRUPT_OP_MIX_VIDEO)->min_videos, 2);
    RB_EXPECT_INT(rb_corrupt_ops_for(RB_CORRUPT_OP_CLIP)->stream, RB_OP_STREAM_NONE);
    /* derived data: a prototype for MIX_PROTOTYPE, a dimension order for DETAIL and QUANTISE */
    RB_EXPECT(rb_corrupt_ops_for(RB_CORRUPT_OP_MIX_PROTOTYPE)->prepare != NULL);
    RB_EXPECT(rb_corrupt_ops_for(RB_CORRUPT_OP_DETAIL)->prepare == rb_corrupt_prepare_dim_order);
    RB_EXPECT(rb_corrupt_ops_for(RB_CORRUPT_OP_QUANTISE)->prepare == rb_corrupt_prepare_dim_order);
    RB_EXPECT(rb_corrupt_ops_for(RB_CORRUPT_OP_BLOCK_AVERAGE)->prepare == NULL);
}

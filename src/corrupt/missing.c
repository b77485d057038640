/* missing.c - the operator of the two `missing` entries (RB_CORRUPT_OP_ZERO): the modality is
 * absent, its features are zeros. Needs no clean statistics and no randomness. */
#include "rb_corrupt.h"

#include "operator.h"

#include <string.h>

static int rb_apply_zero(const rb_op_video *v, rb_rng *r) {
    (void)r;
    memset(v->out, 0, sizeof(float) * (size_t)v->T * (size_t)v->D);
    return RB_OK;
}

const rb_corrupt_ops rb_ops_zero = {
    .name = "zero", .stream = RB_OP_STREAM_NONE, .uses_clean_stats = 0, .apply = rb_apply_zero};

/* operator_table.c - the table of operations: the registry's operator enum (rb_corrupt_op, the `op`
 * of every registry entry) mapped to the operations that implement it (operator.h). A new operator
 * is one enum value in rb_corrupt.h, one rb_corrupt_ops in its family file and one row here. */
#include "rb_corrupt.h"

#include "operator.h"

static const rb_corrupt_ops *const rb_op_table[RB_CORRUPT_OP_COUNT] = {
    [RB_CORRUPT_OP_ZERO] = &rb_ops_zero,
    [RB_CORRUPT_OP_NOISE] = &rb_ops_noise,
    [RB_CORRUPT_OP_MIX_PROTOTYPE] = &rb_ops_mix_prototype,
    [RB_CORRUPT_OP_MOVING_AVERAGE] = &rb_ops_moving_average,
    [RB_CORRUPT_OP_EXP_SMOOTHING] = &rb_ops_exp_smoothing,
    [RB_CORRUPT_OP_DETAIL] = &rb_ops_detail,
    [RB_CORRUPT_OP_QUANTISE] = &rb_ops_quantise,
    [RB_CORRUPT_OP_BLOCK_AVERAGE] = &rb_ops_block_average,
    [RB_CORRUPT_OP_DROP_FREEZE] = &rb_ops_drop_freeze,
    [RB_CORRUPT_OP_DROP_ZERO] = &rb_ops_drop_zero,
    [RB_CORRUPT_OP_CLIP] = &rb_ops_clip,
    [RB_CORRUPT_OP_MIX_VIDEO] = &rb_ops_mix_video,
    [RB_CORRUPT_OP_IMPULSE] = &rb_ops_impulse,
    [RB_CORRUPT_OP_OVERLAY] = &rb_ops_overlay,
};

const rb_corrupt_ops *rb_corrupt_ops_for(rb_corrupt_op op) {
    if ((int)op < 0 || (int)op >= RB_CORRUPT_OP_COUNT) return NULL;
    return rb_op_table[op];
}

const rb_corrupt_ops *rb_corrupt_ops_of(const rb_corruption *c) {
    return c ? rb_corrupt_ops_for(c->op) : NULL;
}

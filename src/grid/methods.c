/* methods.c - the methods of a grid run (grid_internal.h): the grid.methods list of the config, in
 * canonical order, keeping those the model's trained detectors can compute (docs/config.md). */
#include "rb_core.h"
#include "rb_model.h"
#include "rb_score.h"
#include "grid_internal.h"

#include <stdio.h>

int rb_grid_methods(const rb_config *cfg, const rb_model *model, rb_method *methods, int *n) {
    int len = 0, want[RB_N_METHODS] = {0};
    RB_TRY(rb_config_length(cfg, "grid.methods", &len));
    for (int i = 0; i < len; i++) {
        char key[64];
        const char *name;
        rb_method m;
        snprintf(key, sizeof key, "grid.methods.[%d]", i);
        RB_TRY(rb_config_string(cfg, key, &name));
        RB_TRY_CTX(rb_method_from_name(name, &m), "grid.methods");
        want[m] = 1;
    }
    *n = 0;
    for (int m = 0; m < RB_N_METHODS; m++)
        if (want[m] && rb_method_available(model, (rb_method)m)) methods[(*n)++] = (rb_method)m;
    if (*n == 0) return rb_fail("grid.methods: none of the listed methods can be computed with the trained detectors (train.detectors)");
    return RB_OK;
}

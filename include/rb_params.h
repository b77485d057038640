/* rb_params.h - the one place where config keys become the parameter structs of the modules
 * (training, GMM, weighting), and the canonical text of config sections used in recipes. */
#ifndef RB_PARAMS_H
#define RB_PARAMS_H

#include <stddef.h>

#include "rb_config.h"
#include "rb_detector.h"
#include "rb_gmm.h"
#include "rb_train.h"
#include "rb_weights.h"

int rb_params_train(const rb_config *c, rb_train_params *p);
int rb_params_detectors(const rb_config *c, rb_detector_kind *kinds, int *n_kinds);
int rb_params_gmm(const rb_config *c, rb_gmm_params *p, double *holdout_fraction);
int rb_params_weights(const rb_config *c, rb_weight_params *p);
/* "key=value\n" for every scalar/array key of the schema under the given prefixes ("train."), in
 * schema order: a canonical text that changes exactly when one of those settings changes. */
int rb_params_canonical(const rb_config *c, const char *const *prefixes, int n_prefixes, char *buf, size_t cap);

#endif

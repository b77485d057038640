/* rb_fixture.h - small in-memory inputs shared by the unit tests and the benchmarks: a synthetic
 * dataset and an untrained-but-complete model (every detector kind, GMMs, calibrations, clean
 * statistics), so the cell scorer can be exercised without files or training. */
#ifndef RB_FIXTURE_H
#define RB_FIXTURE_H

#include "rb_corrupt.h"
#include "rb_data.h"
#include "rb_model.h"

typedef struct {
    int n_train, n_test, n_crops, d_visual, d_audio, hidden1, hidden2, replicas, gmm_k;
    uint32_t seed;
} rb_fixture_spec;

/* Synthetic xdv dataset of the given shape (train + test). */
int rb_fixture_dataset(const rb_fixture_spec *f, rb_dataset *d);
/* Model for d: detectors initialised from the seed (not trained), GMMs fitted on the train split
 * (a few EM iterations), calibrations from the train split, clean statistics. */
int rb_fixture_model(const rb_fixture_spec *f, const rb_dataset *d, rb_model *m);
/* The same with every detector of architecture arch (rb_fixture_model: mlp). */
int rb_fixture_model_arch(const rb_fixture_spec *f, rb_detector_arch arch, const rb_dataset *d, rb_model *m);
/* The inputs of the cell scorer: d, m and a corruption context (run seed 7, dataset id 99) from the
 * model's clean statistics. All three are zeroed first, so their frees are safe after a failure. */
int rb_fixture_scoring(const rb_fixture_spec *f, rb_dataset *d, rb_model *m, rb_corrupt_ctx *ctx);
/* The same with every detector of architecture arch. */
int rb_fixture_scoring_arch(const rb_fixture_spec *f, rb_detector_arch arch, rb_dataset *d, rb_model *m,
                            rb_corrupt_ctx *ctx);

/* The three inputs of rb_fixture_scoring in one struct, and their release (safe after a failed open). */
typedef struct {
    rb_dataset d;
    rb_model m;
    rb_corrupt_ctx ctx;
} rb_fixture_inputs;
int rb_fixture_inputs_open(const rb_fixture_spec *f, rb_fixture_inputs *in);
void rb_fixture_inputs_close(rb_fixture_inputs *in);

#endif

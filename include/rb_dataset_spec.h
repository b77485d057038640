/* rb_dataset_spec.h - the datasets a config describes (data.datasets), where their files live, and
 * building or verifying them: a synthetic dataset whose file is missing is generated; a file that
 * exists is checked against the recipe it records and never silently rebuilt. */
#ifndef RB_DATASET_SPEC_H
#define RB_DATASET_SPEC_H

#include "rb_config.h"
#include "rb_synth.h"

typedef struct {
    char name[128];
    char path[4096];
    char model_path[4096];/* where the models trained on this dataset live (train_on = self) */
    char train_on[128];   /* "self" or another dataset's name */
    int synthetic;        /* generator != none */
    rb_synth_params synth;/* valid when synthetic */
    uint32_t seed;        /* run.seed */
    int index;            /* position in data.datasets */
} rb_dataset_spec;

/* Read every data.datasets entry; checks names are unique and train_on refers to a dataset. */
int rb_dataset_specs(const rb_config *c, rb_dataset_spec **specs, int *n);
/* Canonical recipe text of a synthetic spec (every generator parameter and the seed). */
int rb_dataset_recipe(const rb_dataset_spec *s, char *buf, size_t cap);
/* Generate a synthetic dataset straight into its file, one video at a time (memory bounded by the
 * longest video): the same bytes as rb_synth_generate + rb_dataset_write. */
int rb_synth_write_stream(const rb_synth_params *p, uint32_t seed, const char *name, const char *recipe,
                          const char *config_text, const char *path, int64_t *n_snippets);
/* Build the file if missing (synthetic), else verify its recorded recipe. force rebuilds a
 * synthetic file. *built reports whether it was (re)generated. */
int rb_dataset_ensure(const rb_dataset_spec *s, const char *config_text, int force, int *built);

#endif

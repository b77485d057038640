/* rb_pipeline.h - bringing a config's inputs up to date before a stage runs: synthetic datasets are
 * built when missing, models are trained when missing; inputs that exist are checked against the
 * recipe they record (dataset generator parameters; model: checksum of the train split it learns
 * from + training, GMM and weighting settings + seed) and never silently rebuilt. Collective over
 * comm. */
#ifndef RB_PIPELINE_H
#define RB_PIPELINE_H

#include <mpi.h>

#include "rb_config.h"
#include "rb_dataset_spec.h"

/* Datasets only (rank 0 builds; every rank returns after the files exist). */
int rb_pipeline_datasets(const rb_config *cfg, const rb_dataset_spec *specs, int n, int force, MPI_Comm comm);
/* Datasets, then the models of every dataset with train_on = self. */
int rb_pipeline_models(const rb_config *cfg, const rb_dataset_spec *specs, int n, int force, MPI_Comm comm);
/* The model recipe of a dataset file (its train-split digest and the training-relevant settings). */
int rb_pipeline_model_recipe(const rb_config *cfg, const char *dataset_path, char *buf, size_t cap);

#endif

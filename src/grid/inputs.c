/* inputs.c - build-or-verify of datasets and models before a stage (rb_grid.h). Datasets are spread
 * over the ranks, models are built or checked from rank 0; every rank then agrees on its status
 * (rb_mpi_agree, the MPI error discipline of rb_core.h) before the next collective step, so an error
 * returns on every rank and none waits forever. */
#include "rb_grid.h"
#include "rb_core.h"
#include "rb_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Each rank builds or checks its share of the datasets (rb_datasets_share), then every rank agrees on
 * the outcome. */
int rb_pipeline_datasets(const rb_config *cfg, const rb_dataset_spec *specs, int n, int force, MPI_Comm comm) {
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    uint8_t *mine = rb_malloc((size_t)(n > 0 ? n : 1), "datasets of this rank");
    int rc = mine ? RB_OK : RB_ERR;
    if (rc == RB_OK) {
        memset(mine, 1, (size_t)(n > 0 ? n : 1));
        rb_datasets_share(specs, n, rank, size, mine);
        rc = rb_datasets_ensure(specs, n, mine, 0, rb_config_text(cfg), force);
    }
    free(mine);
    return rb_mpi_agree(rc, &comm); /* every rank waits here for the others */
}

static int rb_recipe_from_digest(const rb_config *cfg, const char *sha, char *buf, size_t cap) {
    int w = snprintf(buf, cap, "train_split_sha256=%s\n", sha);
    if (w < 0 || (size_t)w >= cap) return rb_fail("model recipe too long");
    static const char *const sections[] = {"run.seed", "model.", "train.", "gmm.", "weights."};
    return rb_params_canonical(cfg, sections, 5, buf + w, cap - (size_t)w);
}

int rb_pipeline_model_recipe(const rb_config *cfg, const char *dataset_path, char *buf, size_t cap) {
    char sha[65];
    RB_TRY(rb_dataset_train_digest(dataset_path, sha));
    return rb_recipe_from_digest(cfg, sha, buf, cap);
}

/* The recipe with the train digest cached in the dataset file when its stamp still matches
 * (train_digest_cache.c); *cached says whether the cache was used. */
static int rb_model_recipe_lazy(const rb_config *cfg, const char *dataset_path, char *buf, size_t cap, int *cached) {
    char sha[65];
    RB_TRY(rb_dataset_train_digest_cached(dataset_path, sha, cached));
    return rb_recipe_from_digest(cfg, sha, buf, cap);
}

static void rb_bcast_string(char *buf, int cap, MPI_Comm comm) { MPI_Bcast(buf, cap, MPI_CHAR, 0, comm); }

/* Rank 0: whether the model of dataset s is up to date (status 0) or must be built (status 1, the
 * recipe it will record left in recipe). The train-split digest cached in the dataset file is used
 * when it is valid; a model is refused only after the full digest confirms the difference, and a
 * model to build always records the full digest. */
static int rb_model_status(const rb_config *cfg, const rb_dataset_spec *s, int force, char *recipe, size_t cap,
                           int *status) {
    int cached = 0;
    if (rb_model_recipe_lazy(cfg, s->path, recipe, cap, &cached) != RB_OK) return rb_context("model of dataset %s", s->name);
    struct stat st;
    if (stat(s->model_path, &st) != 0 || force) {
        *status = 1;
        if (cached && rb_pipeline_model_recipe(cfg, s->path, recipe, cap) != RB_OK)
            return rb_context("model of dataset %s", s->name);
        return RB_OK;
    }
    char *old = NULL;
    RB_TRY(rb_model_read_recipe(s->model_path, &old));
    int same = strcmp(old, recipe) == 0;
    if (!same && cached) { /* before refusing, the digest read in full */
        if (rb_pipeline_model_recipe(cfg, s->path, recipe, cap) != RB_OK) {
            free(old);
            return rb_context("model of dataset %s", s->name);
        }
        cached = 0;
        same = strcmp(old, recipe) == 0;
    }
    free(old);
    if (!same)
        return rb_fail("model %s was trained from a different dataset file or settings than this config asks "
                       "for; move it away or pass --force to retrain", s->model_path);
    rb_log("model %s: %s is up to date%s", s->name, s->model_path, cached ? " (train-split digest cached in the dataset file)" : "");
    return RB_OK;
}

int rb_pipeline_models(const rb_config *cfg, const rb_dataset_spec *specs, int n, int force, MPI_Comm comm) {
    RB_TRY(rb_pipeline_datasets(cfg, specs, n, force, comm));
    int rank;
    MPI_Comm_rank(comm, &rank);
    for (int i = 0; i < n; i++) {
        const rb_dataset_spec *s = &specs[i];
        if (strcmp(s->train_on, "self") != 0) continue;
        enum { UP_TO_DATE = 0, BUILD = 1 };
        static char recipe[65536];
        int status = UP_TO_DATE, rc = RB_OK;
        if (rank == 0) {
            rc = rb_model_status(cfg, s, force, recipe, sizeof recipe, &status);
        }
        RB_TRY(rb_mpi_agree(rc, &comm));
        MPI_Bcast(&status, 1, MPI_INT, 0, comm);
        if (status == UP_TO_DATE) continue;
        rb_bcast_string(recipe, (int)sizeof recipe, comm);
        rb_dataset data;
        MPI_Win win;
        RB_TRY(rb_mpi_agree(rb_dataset_read_shared(s->path, "train", &data, comm, &win), &comm));
        double t0 = rb_now();
        rb_model model;
        int built_rc = rb_model_build(cfg, &data, s->name, recipe, comm, &model);
        rc = rb_mpi_agree(built_rc, &comm);
        if (rc != RB_OK && built_rc == RB_OK && rank == 0) rb_model_free(&model); /* another rank failed */
        if (rc == RB_OK && rank == 0) {
            char sha[65];
            char *path = (char *)s->path, *shap = sha;
            rc = rb_sha256_file(s->path, sha);
            if (rc == RB_OK) rc = rb_model_write(s->model_path, &model, rb_config_text(cfg), &path, &shap, 1);
            if (rc == RB_OK)
                rb_log("model %s: %d detectors x %d replicas and 2 GMMs -> %s (%.1f s)", s->name, model.n_kinds,
                       model.n_replicas, s->model_path, rb_now() - t0);
            rb_model_free(&model);
        }
        rb_dataset_free_shared(&data, &win); /* collective: every rank, whatever happened */
        RB_TRY(rb_mpi_agree(rc, &comm));
    }
    return RB_OK;
}

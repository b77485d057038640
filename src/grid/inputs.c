/* inputs.c - build-or-verify of datasets and models before a stage (rb_pipeline.h). Errors that
 * one rank sees end the whole job through rb_die, so no rank waits in a collective forever. */
#include "rb_grid.h"
#include "rb_core.h"
#include "rb_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int rb_pipeline_datasets(const rb_config *cfg, const rb_dataset_spec *specs, int n, int force, MPI_Comm comm) {
    int rank;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0)
        for (int i = 0; i < n; i++) {
            int built;
            if (rb_dataset_ensure(&specs[i], rb_config_text(cfg), force, &built) != RB_OK) rb_die();
            if (!built) rb_log("dataset %s: %s is up to date", specs[i].name, specs[i].path);
        }
    MPI_Barrier(comm);
    return RB_OK;
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

int rb_pipeline_models(const rb_config *cfg, const rb_dataset_spec *specs, int n, int force, MPI_Comm comm) {
    RB_TRY(rb_pipeline_datasets(cfg, specs, n, force, comm));
    int rank;
    MPI_Comm_rank(comm, &rank);
    for (int i = 0; i < n; i++) {
        const rb_dataset_spec *s = &specs[i];
        if (strcmp(s->train_on, "self") != 0) continue;
        enum { UP_TO_DATE = 0, BUILD = 1 };
        static char recipe[65536];
        int status = UP_TO_DATE;
        if (rank == 0) {
            int cached = 0;
            if (rb_model_recipe_lazy(cfg, s->path, recipe, sizeof recipe, &cached) != RB_OK) {
                rb_context("model of dataset %s", s->name);
                rb_die();
            }
            struct stat st;
            if (stat(s->model_path, &st) == 0 && !force) {
                char *old = NULL;
                if (rb_model_read_recipe(s->model_path, &old) != RB_OK) rb_die();
                int same = strcmp(old, recipe) == 0;
                if (!same && cached) { /* before refusing, the digest read in full */
                    if (rb_pipeline_model_recipe(cfg, s->path, recipe, sizeof recipe) != RB_OK) {
                        rb_context("model of dataset %s", s->name);
                        rb_die();
                    }
                    cached = 0;
                    same = strcmp(old, recipe) == 0;
                }
                free(old);
                if (!same) {
                    rb_fail("model %s was trained from a different dataset file or settings than this config asks "
                            "for; move it away or pass --force to retrain", s->model_path);
                    rb_die();
                }
                rb_log("model %s: %s is up to date%s", s->name, s->model_path,
                       cached ? " (train-split digest cached in the dataset file)" : "");
            } else {
                status = BUILD;
                /* a model records the digest of what it was trained on: always the full one */
                if (cached && rb_pipeline_model_recipe(cfg, s->path, recipe, sizeof recipe) != RB_OK) {
                    rb_context("model of dataset %s", s->name);
                    rb_die();
                }
            }
        }
        MPI_Bcast(&status, 1, MPI_INT, 0, comm);
        if (status == UP_TO_DATE) continue;
        rb_bcast_string(recipe, (int)sizeof recipe, comm);
        rb_dataset data;
        MPI_Win win;
        RB_TRY(rb_dataset_read_shared(s->path, "train", &data, comm, &win));
        double t0 = rb_now();
        rb_model model;
        if (rb_model_build(cfg, &data, s->name, recipe, comm, &model) != RB_OK) rb_die();
        if (rank == 0) {
            char sha[65];
            char *path = (char *)s->path, *shap = sha;
            if (rb_sha256_file(s->path, sha) != RB_OK ||
                rb_model_write(s->model_path, &model, rb_config_text(cfg), &path, &shap, 1) != RB_OK)
                rb_die();
            rb_log("model %s: %d detectors x %d replicas and 2 GMMs -> %s (%.1f s)", s->name, model.n_kinds,
                   model.n_replicas, s->model_path, rb_now() - t0);
            rb_model_free(&model);
        }
        rb_dataset_free_shared(&data, &win);
        MPI_Barrier(comm);
    }
    return RB_OK;
}

/* cmd_merge.c - `robusta merge -o OUT.h5 SHARD.h5...`: combine results files of one config that
 * were run as shards (`bench --datasets`, e.g. a Slurm job array) into one results.h5 whose metrics
 * are those of a single-job run: datasets in config order, canonical rows, per-snippet scores and
 * truth copied when the shards have them. Refuses shards of different configs or overlapping
 * datasets, and a merge that misses a dataset of the config (unless --partial). */
#include "rb_results.h"
#include "rb_core.h"
#include "rb_cmd.h"
#include "rb_io.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* What `robusta merge` reads from its command line. */
struct merge_options {
    const char *out; /* -o OUT.h5 */
    int partial;     /* --partial */
    int force;       /* --force */
};

/* The shards being merged and which shard holds each dataset of their config. */
typedef struct {
    char **paths; /* shard files, command-line order */
    int n;
    rb_results *results;       /* [n] */
    rb_audit_provenance *prov; /* [n] */
    char (*datasets)[64];      /* the config's datasets, config order */
    int n_datasets;
    int *shard_of; /* dataset -> shard, -1 when in none (--partial) */
    int total;     /* cells over every shard */
} rb_merge_job;

/* The provenance inputs of the merged file: "<sha256>  <path>" lines split into checksum and path. */
typedef struct {
    char **paths, **shas;
    int n;
} rb_merge_inputs;

/* Copy /scores/<dataset> and /truth/<dataset> from the shard that computed the dataset. */
static int rb_merge_scores(hid_t out, void *ctxp) {
    const rb_merge_job *m = ctxp;
    for (int d = 0; d < m->n_datasets; d++) {
        if (m->shard_of[d] < 0) continue; /* --partial: not in any shard */
        hid_t in;
        RB_TRY(rb_h5_open_read(m->paths[m->shard_of[d]], MPI_COMM_NULL, &in));
        int rc = RB_OK;
        for (int k = 0; rc == RB_OK && k < 2; k++) {
            char path[256];
            snprintf(path, sizeof path, "%s/%s", k == 0 ? "scores" : "truth", m->datasets[d]);
            if (!rb_h5_exists(in, path)) continue;
            hid_t parent;
            rc = rb_h5_group(out, k == 0 ? "scores" : "truth", &parent);
            if (rc == RB_OK) {
                hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
                if (H5Ocopy(in, path, parent, m->datasets[d], H5P_DEFAULT, lcpl) < 0)
                    rc = rb_fail("copying %s from %s failed", path, m->paths[m->shard_of[d]]);
                H5Pclose(lcpl);
                H5Gclose(parent);
            }
        }
        H5Fclose(in);
        RB_TRY(rc);
    }
    return RB_OK;
}

/* Dataset names of a config text, in config order. */
static int rb_config_datasets(const char *text, const char *origin, char (**names)[64], int *n) {
    rb_config *c;
    RB_TRY(rb_config_load_string(&c, text, origin));
    int count = 0, rc = rb_config_length(c, "data.datasets", &count);
    *names = rc == RB_OK ? rb_calloc((size_t)(count ? count : 1), sizeof **names, "dataset names") : NULL;
    if (rc == RB_OK && !*names) rc = RB_ERR;
    for (int i = 0; rc == RB_OK && i < count; i++) {
        char key[64];
        const char *name;
        snprintf(key, sizeof key, "data.datasets.[%d].name", i);
        rc = rb_config_string(c, key, &name);
        if (rc == RB_OK) snprintf((*names)[i], 64, "%s", name);
    }
    *n = count;
    rb_config_free(c);
    return rc;
}

/* Read every shard and require one config and the same methods and replica count throughout. */
static int rb_merge_read_shards(rb_merge_job *m) {
    m->results = rb_calloc((size_t)m->n, sizeof *m->results, "shards");
    m->prov = rb_calloc((size_t)m->n, sizeof *m->prov, "shard provenance");
    if (!m->results || !m->prov) return RB_ERR;
    const rb_results *sh = m->results;
    for (int i = 0; i < m->n; i++) {
        RB_TRY(rb_results_read(m->paths[i], &m->results[i]));
        RB_TRY(rb_audit_read_provenance(m->paths[i], &m->prov[i]));
        if (!m->prov[i].config || strcmp(m->prov[i].config, m->prov[0].config) != 0)
            return rb_fail("merge: %s was run with a different config than %s (shards must share one config)",
                           m->paths[i], m->paths[0]);
        if (sh[i].n_methods != sh[0].n_methods || sh[i].n_replicas != sh[0].n_replicas)
            return rb_fail("merge: %s has other methods or replicas than %s", m->paths[i], m->paths[0]);
        for (int k = 0; k < sh[0].n_methods; k++)
            if (strcmp(sh[i].methods[k], sh[0].methods[k]) != 0)
                return rb_fail("merge: %s has other methods than %s", m->paths[i], m->paths[0]);
    }
    return RB_OK;
}

/* Find the one shard that holds each dataset of the config and count the cells; a dataset in two
 * shards, cells of a dataset outside the config, and (without --partial) a dataset in no shard are
 * errors. */
static int rb_merge_assign_datasets(rb_merge_job *m, int partial) {
    RB_TRY(rb_config_datasets(m->prov[0].config, m->paths[0], &m->datasets, &m->n_datasets));
    m->shard_of = rb_malloc(sizeof(int) * (size_t)(m->n_datasets ? m->n_datasets : 1), "dataset shards");
    if (!m->shard_of) return RB_ERR;
    const rb_results *sh = m->results;
    int present = 0;
    m->total = 0;
    for (int d = 0; d < m->n_datasets; d++) {
        m->shard_of[d] = -1;
        for (int i = 0; i < m->n; i++)
            for (int c = 0; c < sh[i].n_conds; c++) {
                if (strcmp(sh[i].conds[c].dataset, m->datasets[d]) != 0) continue;
                if (m->shard_of[d] >= 0 && m->shard_of[d] != i)
                    return rb_fail("merge: dataset %s appears in both %s and %s", m->datasets[d],
                                   m->paths[m->shard_of[d]], m->paths[i]);
                m->shard_of[d] = i;
                m->total++;
            }
        if (m->shard_of[d] < 0 && !partial)
            return rb_fail("merge: dataset %s of the config is in none of the shards (use --partial to allow)",
                           m->datasets[d]);
    }
    for (int i = 0; i < m->n; i++) present += sh[i].n_conds;
    if (present != m->total) return rb_fail("merge: the shards hold cells of datasets that are not in their config");
    return RB_OK;
}

/* The merged metrics: every dataset's cells from its shard, datasets in config order. */
static int rb_merge_results(const rb_merge_job *m, rb_results *out) {
    const rb_results *sh = m->results;
    RB_TRY(rb_results_alloc(out, m->total, sh[0].n_methods, sh[0].n_replicas));
    memcpy(out->methods, sh[0].methods, sizeof out->methods);
    out->config_text = rb_strdup(m->prov[0].config, "config");
    out->run_id = rb_strdup(sh[0].run_id ? sh[0].run_id : "", "run id");
    if (!out->config_text || !out->run_id) return RB_ERR;
    RB_TRY(rb_results_alloc_boot(out, sh[0].n_boot, sh[0].confidence, sh[0].baseline));
    size_t per_boot = (size_t)out->n_methods * 3 * (size_t)out->n_boot; /* shards share one config, so one B */
    int row = 0;
    size_t per = (size_t)out->n_methods * (size_t)out->n_replicas;
    for (int d = 0; d < m->n_datasets; d++) {
        int i = m->shard_of[d];
        if (i < 0) continue;
        for (int c = 0; c < sh[i].n_conds; c++) {
            if (strcmp(sh[i].conds[c].dataset, m->datasets[d]) != 0) continue;
            out->conds[row] = sh[i].conds[c];
            memcpy(out->ap + row * per, sh[i].ap + (size_t)c * per, sizeof(double) * per);
            memcpy(out->ap_step + row * per, sh[i].ap_step + (size_t)c * per, sizeof(double) * per);
            memcpy(out->roc_auc + row * per, sh[i].roc_auc + (size_t)c * per, sizeof(double) * per);
            if (per_boot) memcpy(out->boot + row * per_boot, sh[i].boot + (size_t)c * per_boot, sizeof(double) * per_boot);
            row++;
        }
    }
    return rb_results_boot_intervals(out);
}

/* The inputs of the merged file: the union over shards, in shard order, without repeats (at most 16
 * per shard). */
static int rb_merge_collect_inputs(const rb_merge_job *m, rb_merge_inputs *in) {
    int cap = m->n * 16;
    in->paths = rb_calloc((size_t)(cap + 1), sizeof *in->paths, "inputs");
    in->shas = rb_calloc((size_t)(cap + 1), sizeof *in->shas, "checksums");
    in->n = 0;
    if (!in->paths || !in->shas) return RB_ERR;
    for (int i = 0; i < m->n; i++)
        for (int k = 0; k < m->prov[i].n_inputs && in->n < cap; k++) {
            const char *line = m->prov[i].inputs[k];
            if (strlen(line) < 67) continue;
            int seen = 0;
            for (int j = 0; j < in->n; j++)
                seen |= strncmp(in->shas[j], line, 64) == 0 && strcmp(in->paths[j], line + 66) == 0;
            if (seen) continue;
            in->shas[in->n] = rb_malloc(65, "checksum");
            if (!in->shas[in->n]) return RB_ERR;
            memcpy(in->shas[in->n], line, 64);
            in->shas[in->n][64] = '\0';
            in->paths[in->n] = rb_strdup(line + 66, "input");
            if (!in->paths[in->n++]) return RB_ERR;
        }
    return RB_OK;
}

/* Build the merged results and write them (with the shards' scores) to out_path. */
static int rb_merge_write(rb_merge_job *m, const char *out_path) {
    rb_results out = {0};
    rb_merge_inputs in = {NULL, NULL, 0};
    int *owner = rb_calloc((size_t)(m->total ? m->total : 1), sizeof(int), "owners");
    int rc = owner ? RB_OK : RB_ERR;
    if (rc == RB_OK) rc = rb_merge_results(m, &out);
    if (rc == RB_OK) rc = rb_merge_collect_inputs(m, &in);
    if (rc == RB_OK)
        rc = rb_results_write(out_path, &out, owner, MPI_COMM_WORLD, in.paths, in.shas, in.n, rb_merge_scores, m);
    for (int j = 0; j < in.n; j++) {
        free(in.paths[j]);
        free(in.shas[j]);
    }
    free(in.paths);
    free(in.shas);
    free(owner);
    rb_results_free(&out);
    return rc;
}

static void rb_merge_job_free(rb_merge_job *m) {
    for (int i = 0; i < m->n; i++) {
        if (m->results) rb_results_free(&m->results[i]);
        if (m->prov) rb_audit_provenance_free(&m->prov[i]);
    }
    free(m->results);
    free(m->prov);
    free(m->datasets);
    free(m->shard_of);
}

int rb_cmd_merge(int argc, char **argv) {
    struct merge_options o = {0};
    const rb_opt opts[] = {
        RB_CLI_VALUE("out", 'o', "OUT.h5", &o.out, "merged results file (written via a fresh OUT.h5.tmp.XXXXXX)"),
        RB_CLI_FLAG("partial", 0, &o.partial, "allow datasets of the config to be absent from every shard"),
        RB_CLI_FLAG("force", 0, &o.force, "overwrite OUT.h5 if it exists"),
    };
    const int n_opts = RB_CLI_COUNT(opts);
    rb_cli_list pos;
    int size;
    static const char synopsis[] = "-o OUT.h5 SHARD.h5 [SHARD.h5]...";
    static const char summary[] =
        "Combine results files of one config computed as shards (`robusta bench --datasets NAME`,\n"
        "e.g. a Slurm job array) into one results.h5 with the rows of a single-job run.";
    int start = rb_cli_command(argc, argv, opts, n_opts, synopsis, summary, &pos);
    if (start != 0) return start == RB_ERR ? RB_ERR : 0; /* an error, or --help */
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int rc = RB_OK;
    if (size > 1) rc = rb_fail("merge: run it on one rank (it is serial)");
    else if (!o.out || pos.n < 1) rc = rb_fail("merge: expected -o OUT.h5 and at least one shard");
    if (rc != RB_OK) { /* seen alike by every rank (same argv): they agree, rank 0 prints */
        rb_cli_free(opts, n_opts, &pos);
        return rb_mpi_agree(rc, &(MPI_Comm){MPI_COMM_WORLD});
    }
    /* from here on one rank: an error returns to main, which prints it */
    struct stat st; /* anything at that name, a dangling symbolic link too (it is replaced, never followed) */
    int out_exists = lstat(o.out, &st) == 0;
    if (out_exists && !o.force) rc = rb_fail("merge: %s exists (use --force to overwrite)", o.out);
    rb_merge_job m = {.paths = pos.items, .n = pos.n};
    if (rc == RB_OK) rc = rb_merge_read_shards(&m);
    if (rc == RB_OK) rc = rb_merge_assign_datasets(&m, o.partial);
    if (rc == RB_OK) rc = rb_merge_write(&m, o.out);
    if (rc != RB_OK) {
        rb_merge_job_free(&m);
        rb_cli_free(opts, n_opts, &pos);
        return RB_ERR;
    }
    printf("merge: %d shards, %d datasets, %d cells -> %s\n", m.n, m.n_datasets, m.total, o.out);
    rb_merge_job_free(&m);
    rb_cli_free(opts, n_opts, &pos);
    return 0;
}

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

typedef struct {
    char **paths;
    int n;
    char (*datasets)[64];
    int n_datasets;
    int *shard_of; /* dataset -> shard */
} rb_merge_copy;

/* Copy /scores/<dataset> and /truth/<dataset> from the shard that computed the dataset. */
static int rb_merge_scores(hid_t out, void *ctxp) {
    rb_merge_copy *m = ctxp;
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

/* What `robusta merge` reads from its command line. */
struct merge_options {
    const char *out; /* -o OUT.h5 */
    int partial;     /* --partial */
    int force;       /* --force */
};

int rb_cmd_merge(int argc, char **argv) {
    struct merge_options o = {0};
    const rb_opt opts[] = {
        RB_CLI_VALUE("out", 'o', "OUT.h5", &o.out, "merged results file (written via OUT.h5.tmp)"),
        RB_CLI_FLAG("partial", 0, &o.partial, "allow datasets of the config to be absent from every shard"),
        RB_CLI_FLAG("force", 0, &o.force, "overwrite OUT.h5 if it exists"),
    };
    const int n_opts = RB_CLI_COUNT(opts);
    rb_cli_list positional;
    int size;
    static const char synopsis[] = "-o OUT.h5 SHARD.h5 [SHARD.h5]...";
    static const char summary[] =
        "Combine results files of one config computed as shards (`robusta bench --datasets NAME`,\n"
        "e.g. a Slurm job array) into one results.h5 with the rows of a single-job run.";
    if (rb_cli_command(argc, argv, opts, n_opts, synopsis, summary, &positional)) return 0; /* --help */
    char **pos = positional.items;
    int n_pos = positional.n;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size > 1) {
        rb_fail("merge: run it on one rank (it is serial)");
        rb_die();
    }
    if (!o.out || n_pos < 1) {
        rb_fail("merge: expected -o OUT.h5 and at least one shard");
        rb_die();
    }
    FILE *exists = fopen(o.out, "r");
    if (exists && !o.force) {
        fclose(exists);
        rb_fail("merge: %s exists (use --force to overwrite)", o.out);
        rb_die();
    }
    if (exists) fclose(exists);
    rb_results *sh = rb_calloc((size_t)n_pos, sizeof *sh, "shards");
    rb_audit_provenance *pr = rb_calloc((size_t)n_pos, sizeof *pr, "shard provenance");
    if (!sh || !pr) rb_die();
    for (int i = 0; i < n_pos; i++) {
        if (rb_results_read(pos[i], &sh[i]) != RB_OK || rb_audit_read_provenance(pos[i], &pr[i]) != RB_OK) rb_die();
        if (!pr[i].config || strcmp(pr[i].config, pr[0].config) != 0) {
            rb_fail("merge: %s was run with a different config than %s (shards must share one config)", pos[i], pos[0]);
            rb_die();
        }
        if (sh[i].n_methods != sh[0].n_methods || sh[i].n_replicas != sh[0].n_replicas) {
            rb_fail("merge: %s has other methods or replicas than %s", pos[i], pos[0]);
            rb_die();
        }
        for (int k = 0; k < sh[0].n_methods; k++)
            if (strcmp(sh[i].methods[k], sh[0].methods[k]) != 0) {
                rb_fail("merge: %s has other methods than %s", pos[i], pos[0]);
                rb_die();
            }
    }
    char(*names)[64] = NULL;
    int n_names = 0;
    if (rb_config_datasets(pr[0].config, pos[0], &names, &n_names) != RB_OK) rb_die();
    int *shard_of = rb_malloc(sizeof(int) * (size_t)(n_names ? n_names : 1), "dataset shards");
    if (!shard_of) rb_die();
    int total = 0, present = 0;
    for (int d = 0; d < n_names; d++) {
        shard_of[d] = -1;
        for (int i = 0; i < n_pos; i++)
            for (int c = 0; c < sh[i].n_conds; c++) {
                if (strcmp(sh[i].conds[c].dataset, names[d]) != 0) continue;
                if (shard_of[d] >= 0 && shard_of[d] != i) {
                    rb_fail("merge: dataset %s appears in both %s and %s", names[d], pos[shard_of[d]], pos[i]);
                    rb_die();
                }
                shard_of[d] = i;
                total++;
            }
        if (shard_of[d] < 0 && !o.partial) {
            rb_fail("merge: dataset %s of the config is in none of the shards (use --partial to allow)", names[d]);
            rb_die();
        }
    }
    for (int i = 0; i < n_pos; i++) present += sh[i].n_conds;
    if (present != total) {
        rb_fail("merge: the shards hold cells of datasets that are not in their config");
        rb_die();
    }
    rb_results out;
    if (rb_results_alloc(&out, total, sh[0].n_methods, sh[0].n_replicas) != RB_OK) rb_die();
    memcpy(out.methods, sh[0].methods, sizeof out.methods);
    out.config_text = rb_strdup(pr[0].config, "config");
    out.run_id = rb_strdup(sh[0].run_id ? sh[0].run_id : "", "run id");
    int row = 0;
    size_t per = (size_t)out.n_methods * (size_t)out.n_replicas;
    char **inputs = rb_calloc((size_t)(n_pos * 16 + 1), sizeof *inputs, "inputs"), **shas = rb_calloc((size_t)(n_pos * 16 + 1), sizeof *shas, "checksums");
    int n_inputs = 0;
    for (int d = 0; d < n_names; d++) {
        int i = shard_of[d];
        if (i < 0) continue;
        for (int c = 0; c < sh[i].n_conds; c++) {
            if (strcmp(sh[i].conds[c].dataset, names[d]) != 0) continue;
            out.conds[row] = sh[i].conds[c];
            memcpy(out.ap + row * per, sh[i].ap + (size_t)c * per, sizeof(double) * per);
            memcpy(out.ap_step + row * per, sh[i].ap_step + (size_t)c * per, sizeof(double) * per);
            memcpy(out.roc_auc + row * per, sh[i].roc_auc + (size_t)c * per, sizeof(double) * per);
            row++;
        }
    }
    /* inputs: the union over shards, in shard order, without repeats */
    for (int i = 0; i < n_pos; i++)
        for (int k = 0; k < pr[i].n_inputs && n_inputs < n_pos * 16; k++) {
            const char *line = pr[i].inputs[k];
            int seen = 0;
            for (int j = 0; j < n_inputs; j++) seen |= strncmp(shas[j], line, 64) == 0 && strcmp(inputs[j], line + 66) == 0;
            if (seen || strlen(line) < 67) continue;
            shas[n_inputs] = rb_malloc(65, "checksum");
            if (!shas[n_inputs]) rb_die();
            memcpy(shas[n_inputs], line, 64);
            shas[n_inputs][64] = '\0';
            inputs[n_inputs++] = rb_strdup(line + 66, "input");
        }
    int *owner = rb_calloc((size_t)(total ? total : 1), sizeof(int), "owners");
    rb_merge_copy mc = {pos, n_pos, names, n_names, shard_of};
    if (!owner || rb_results_write(o.out, &out, owner, MPI_COMM_WORLD, inputs, shas, n_inputs, rb_merge_scores, &mc) != RB_OK)
        rb_die();
    printf("merge: %d shards, %d datasets, %d cells -> %s\n", n_pos, n_names, total, o.out);
    for (int j = 0; j < n_inputs; j++) {
        free(inputs[j]);
        free(shas[j]);
    }
    free(inputs);
    free(shas);
    free(owner);
    rb_results_free(&out);
    for (int i = 0; i < n_pos; i++) {
        rb_results_free(&sh[i]);
        rb_audit_provenance_free(&pr[i]);
    }
    free(sh);
    free(pr);
    free(names);
    free(shard_of);
    rb_cli_free(opts, n_opts, &positional);
    return 0;
}

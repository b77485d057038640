/* plan.c - enumeration of the benchmark cells in canonical order, with cost estimates
 * (rb_grid.h), and the shard a job runs: the datasets --datasets selects and their cells
 * (grid_internal.h). */
#include "rb_grid.h"
#include "rb_core.h"
#include "rb_corrupt.h"
#include "grid_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Config list of corruption names for a modality, as registry ids sorted ascending (canonical). */
static int rb_modality_ids(const rb_config *cfg, const char *key, rb_modality m, int32_t *ids, int *n) {
    int len;
    RB_TRY(rb_config_length(cfg, key, &len));
    *n = 0;
    for (int i = 0; i < len; i++) {
        char k[128];
        const char *name;
        const rb_corruption *c;
        snprintf(k, sizeof k, "%s.[%d]", key, i);
        RB_TRY(rb_config_string(cfg, k, &name));
        RB_TRY_CTX(rb_corrupt_lookup(m, name, &c), "%s: %s", rb_config_origin(cfg), key);
        for (int j = 0; j < *n; j++)
            if (ids[j] == c->id) return rb_fail("%s: %s lists %s twice", rb_config_origin(cfg), key, name);
        ids[(*n)++] = c->id;
    }
    for (int i = 1; i < *n; i++)
        for (int j = i; j > 0 && ids[j] < ids[j - 1]; j--) {
            int32_t t = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = t;
        }
    return RB_OK;
}

static double rb_cell_cost(const rb_cell *c, double snippets) {
    /* relative units: a visual recomputation (corruption + 3 detectors + concat + GMM) ~ 4,
     * an audio one ~ 1 (narrow inputs, only the projection is wide) */
    double cost = 0.05;
    if (c->corr_id[0] || c->missing[0]) cost += 4.0;
    if (c->corr_id[1] || c->missing[1]) cost += 1.0;
    return cost * snippets;
}

int rb_grid_plan(const rb_config *cfg, int n_specs, const int64_t *snippets, rb_cell **cells, int *n_cells) {
    int32_t vis[RB_CORRUPT_COUNT], aud[RB_CORRUPT_COUNT];
    int nv, na, nsev, npairs, missing;
    RB_TRY(rb_modality_ids(cfg, "grid.visual", RB_MOD_VISUAL, vis, &nv));
    RB_TRY(rb_modality_ids(cfg, "grid.audio", RB_MOD_AUDIO, aud, &na));
    RB_TRY(rb_config_length(cfg, "grid.severities", &nsev));
    RB_TRY(rb_config_length(cfg, "grid.pairs", &npairs));
    RB_TRY(rb_config_bool(cfg, "grid.missing", &missing));
    int sev[5];
    if (nsev > 5) return rb_fail("%s: grid.severities has more than 5 entries", rb_config_origin(cfg));
    for (int i = 0; i < nsev; i++) {
        char k[64];
        snprintf(k, sizeof k, "grid.severities.[%d]", i);
        RB_TRY(rb_config_int(cfg, k, &sev[i]));
        for (int j = 0; j < i; j++)
            if (sev[j] == sev[i]) return rb_fail("%s: grid.severities lists %d twice", rb_config_origin(cfg), sev[i]);
    }
    for (int i = 1; i < nsev; i++)
        for (int j = i; j > 0 && sev[j] < sev[j - 1]; j--) {
            int t = sev[j];
            sev[j] = sev[j - 1];
            sev[j - 1] = t;
        }
    int per_dataset = 1 + (nv + na + npairs) * nsev + (missing ? 2 : 0);
    rb_cell *out = rb_calloc((size_t)per_dataset * (size_t)n_specs, sizeof *out, "grid cells");
    if (!out) return RB_ERR;
    int n = 0;
    for (int d = 0; d < n_specs; d++) {
        rb_cell *c = &out[n++];
        c->dataset = d;
        snprintf(c->corruption, sizeof c->corruption, "clean");
        snprintf(c->modality, sizeof c->modality, "none");
        snprintf(c->label, sizeof c->label, "clean");
        for (int m = 0; m < 2; m++) {
            int count = m == 0 ? nv : na;
            for (int i = 0; i < count; i++)
                for (int s = 0; s < nsev; s++) {
                    const rb_corruption *cor;
                    if (rb_corrupt_by_id(m == 0 ? vis[i] : aud[i], &cor) != RB_OK) goto fail;
                    c = &out[n++];
                    c->dataset = d;
                    c->corr_id[m] = cor->id;
                    c->severity = sev[s];
                    snprintf(c->corruption, sizeof c->corruption, "%s", cor->name);
                    snprintf(c->modality, sizeof c->modality, "%s", m == 0 ? "visual" : "audio");
                    snprintf(c->label, sizeof c->label, "%s.%s", c->modality, cor->name);
                }
            if (missing) {
                c = &out[n++];
                c->dataset = d;
                c->missing[m] = 1;
                snprintf(c->corruption, sizeof c->corruption, "missing");
                snprintf(c->modality, sizeof c->modality, "%s", m == 0 ? "visual" : "audio");
                snprintf(c->label, sizeof c->label, "%s.missing", c->modality);
            }
        }
        for (int p = 0; p < npairs; p++) {
            char k[64], vname[64];
            const char *pair, *plus;
            const rb_corruption *cv, *ca;
            snprintf(k, sizeof k, "grid.pairs.[%d]", p);
            if (rb_config_string(cfg, k, &pair) != RB_OK) goto fail;
            plus = strchr(pair, '+');
            if (!plus || plus == pair || (size_t)(plus - pair) >= sizeof vname) {
                rb_fail("%s: grid.pairs[%d] = \"%s\": expected \"<visual corruption>+<audio corruption>\"",
                        rb_config_origin(cfg), p, pair);
                goto fail;
            }
            snprintf(vname, sizeof vname, "%.*s", (int)(plus - pair), pair);
            if (rb_corrupt_lookup(RB_MOD_VISUAL, vname, &cv) != RB_OK ||
                rb_corrupt_lookup(RB_MOD_AUDIO, plus + 1, &ca) != RB_OK || cv->is_missing || ca->is_missing) {
                rb_context("%s: grid.pairs[%d] = \"%s\"", rb_config_origin(cfg), p, pair);
                goto fail;
            }
            for (int s = 0; s < nsev; s++) {
                c = &out[n++];
                c->dataset = d;
                c->corr_id[0] = cv->id;
                c->corr_id[1] = ca->id;
                c->severity = sev[s];
                snprintf(c->corruption, sizeof c->corruption, "%s+%s", cv->name, ca->name);
                snprintf(c->modality, sizeof c->modality, "both");
                snprintf(c->label, sizeof c->label, "pair.%s+%s", cv->name, ca->name);
            }
        }
    }
    for (int i = 0; i < n; i++) out[i].cost = rb_cell_cost(&out[i], snippets ? (double)snippets[out[i].dataset] : 1.0);
    *cells = out;
    *n_cells = n;
    return RB_OK;
fail:
    free(out);
    return RB_ERR;
}

int rb_grid_select_datasets(const rb_dataset_spec *specs, int n_specs, const char *list, int *selected) {
    for (int d = 0; d < n_specs; d++) selected[d] = !list;
    /* every listed name must be a dataset; a trailing comma ends the list */
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        int found = 0;
        for (int d = 0; d < n_specs; d++)
            if (strlen(specs[d].name) == n && strncmp(p, specs[d].name, n) == 0) found = selected[d] = 1;
        if (!found) return rb_fail("--datasets: \"%.*s\" is not a dataset of the config", (int)n, p);
        p = comma ? comma + 1 : NULL;
    }
    int n_selected = 0;
    for (int d = 0; d < n_specs; d++) n_selected += selected[d];
    if (n_selected == 0) return rb_fail("--datasets selects no dataset");
    return RB_OK;
}

int rb_grid_plan_selected(const rb_config *cfg, int n_specs, const int64_t *snippets, const int *selected,
                          rb_cell **cells, int *n_cells) {
    RB_TRY(rb_grid_plan(cfg, n_specs, snippets, cells, n_cells));
    int kept = 0; /* a shard keeps its datasets' cells, in canonical order */
    for (int i = 0; i < *n_cells; i++)
        if (selected[(*cells)[i].dataset]) (*cells)[kept++] = (*cells)[i];
    *n_cells = kept;
    return RB_OK;
}

/* weights_table.c - what the RobustA weighting did, from the /conditions diagnostics: the oracle gap
 * of every condition (shared-oracle - shared-dyn) and the short "What the weights did" section of
 * summary.md (rb_results.h; docs/results.md explains the columns and the table). */
#include "rb_results.h"
#include "rb_core.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void rb_results_fill_oracle_gap(rb_results *r) {
    int oracle = rb_results_method(r, "shared-oracle"), dyn = rb_results_method(r, "shared-dyn");
    const double *metric[3] = {r->ap, r->ap_step, r->roc_auc};
    for (int c = 0; c < r->n_conds; c++)
        for (int q = 0; q < 3; q++) {
            double mo = NAN, md = NAN, sd;
            if (oracle >= 0 && dyn >= 0) {
                rb_results_mean_sd(r, metric[q], c, oracle, &mo, &sd);
                rb_results_mean_sd(r, metric[q], c, dyn, &md, &sd);
            }
            r->conds[c].oracle_gap[q] = mo - md;
        }
}

void rb_results_weights_table(FILE *f, const rb_results *r, const rb_report_dataset *d) {
    static const char *const mod_names[2] = {"visual", "audio"};
    char a[32], b[32], c[32];
    fprintf(f, "### What the weights did\n\n"
               "Clean cell (columns explained in docs/results.md): a lower weight on anomalous snippets moves\n"
               "shared-dyn away from the modality that sees the anomaly.\n\n"
               "| modality | NLL anomaly ROC-AUC | weight anomalous / normal | weights < 0.5 | weight q05 / q50 / q95 |\n"
               "|---|---|---|---|---|\n");
    for (int m = 0; m < 2; m++) {
        if (d->clean < 0) break;
        const double *g = r->conds[d->clean].diag[m];
        char q[3][32];
        fprintf(f, "| %s | %s | %s / %s | %s |", mod_names[m], rb_results_fmt4(a, sizeof a, g[RB_DIAG_NLL_ANOMALY_AUC]),
                rb_results_fmt4(b, sizeof b, g[RB_DIAG_WEIGHT_ANOMALOUS]), rb_results_fmt4(c, sizeof c, g[RB_DIAG_WEIGHT_NORMAL]),
                rb_results_fmt4(q[0], sizeof q[0], g[RB_DIAG_WEIGHT_LOW_FRAC]));
        fprintf(f, " %s / %s / %s |\n", rb_results_fmt4(q[0], sizeof q[0], g[RB_DIAG_WEIGHT_Q05]),
                rb_results_fmt4(q[1], sizeof q[1], g[RB_DIAG_WEIGHT_Q50]), rb_results_fmt4(q[2], sizeof q[2], g[RB_DIAG_WEIGHT_Q95]));
    }
    fprintf(f, "\nCorrupted cells of one modality: detected (detection ROC-AUC > 0.5) or read backwards (< 0.5),\n"
               "and the oracle gap in `ap` (shared-oracle - shared-dyn; nan without shared-oracle).\n\n"
               "| corrupted modality | cells | detected (> 0.5) | backwards (< 0.5) | mean weight | mean oracle gap | largest oracle gap |\n"
               "|---|---|---|---|---|---|---|\n");
    for (int m = 0; m < 2; m++) {
        int n = 0, up = 0, down = 0, worst = -1;
        double wsum = 0, gsum = 0;
        for (int j = 0; j < d->n_corrupted; j++) {
            const rb_result_cond *k = &r->conds[d->corrupted[j]];
            if (strcmp(k->modality, mod_names[m]) != 0 || strcmp(k->corruption, "missing") == 0) continue;
            n++;
            up += k->detect_auc[m] > 0.5;
            down += k->detect_auc[m] < 0.5;
            wsum += k->weight[m];
            gsum += k->oracle_gap[0];
            if (!isnan(k->oracle_gap[0]) && (worst < 0 || k->oracle_gap[0] > r->conds[worst].oracle_gap[0]))
                worst = d->corrupted[j];
        }
        if (n == 0) continue;
        fprintf(f, "| %s | %d | %d | %d | %s | %s |", mod_names[m], n, up, down, rb_results_fmt4(a, sizeof a, wsum / n),
                rb_results_fmt4(b, sizeof b, gsum / n));
        if (worst >= 0)
            fprintf(f, " %s (%s s%d) |\n", rb_results_fmt4(c, sizeof c, r->conds[worst].oracle_gap[0]), r->conds[worst].corruption,
                    (int)r->conds[worst].severity);
        else
            fprintf(f, " nan |\n");
    }
    fprintf(f, "\n");
}

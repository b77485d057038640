/* corruption_table.c - the "measured effect" table of docs/corruptions.md, generated from a
 * results file: per corruption and severity, the AP drop from clean of the baseline and of RobustA,
 * the step-AP drop of the baseline, and what the dynamic weighting saw (detection ROC-AUC of the
 * GMM NLL and the direction the NLL moved, mean weight of the corrupted modality). */
#include "rb_results.h"
#include "rb_core.h"

#include <math.h>
#include <string.h>

static double rb_mean_metric(const rb_results *r, const double *metric, int cond, int method) {
    if (method < 0) return NAN;
    double mean, sd;
    rb_results_mean_sd(r, metric, cond, method, &mean, &sd);
    return mean;
}

static void rb_cell(FILE *out, double v) {
    if (isnan(v)) fprintf(out, " - |");
    else fprintf(out, " %.4f |", v);
}

int rb_report_corruption_table(const rb_results *r, const char *dataset, FILE *out) {
    int clean = -1;
    for (int c = 0; c < r->n_conds; c++)
        if (strcmp(r->conds[c].dataset, dataset) == 0 && strcmp(r->conds[c].corruption, "clean") == 0) clean = c;
    if (clean < 0) return rb_fail("corruption table: dataset %s has no clean cell", dataset);
    int concat = rb_results_method(r, "concat"), dyn = rb_results_method(r, "shared-dyn");
    double ap0 = rb_mean_metric(r, r->ap, clean, concat), dyn0 = rb_mean_metric(r, r->ap, clean, dyn);
    double st0 = rb_mean_metric(r, r->ap_step, clean, concat);
    fprintf(out, "Dataset `%s`, %d replica%s; clean AP: concat %.4f, shared-dyn %.4f. Drops are clean minus "
                 "corrupted (positive = worse). Detection: ROC-AUC of the GMM NLL separating clean from corrupted "
                 "snippets of the corrupted modality (0.5 = invisible to the weighting; below 0.5 = the corruption "
                 "looks *more* typical than clean data); NLL: the direction it moved (up: detection ROC-AUC > 0.5, "
                 "down: < 0.5). Weight: mean dynamic weight of that modality (clean: "
                 "visual %.3f, audio %.3f).\n\n",
            dataset, r->n_replicas, r->n_replicas == 1 ? "" : "s", ap0, dyn0, r->conds[clean].weight[0], r->conds[clean].weight[1]);
    fprintf(out, "| modality | corruption | severity | AP drop concat | AP drop shared-dyn | step-AP drop concat | "
                 "detection ROC-AUC | NLL | weight |\n|---|---|---|---|---|---|---|---|---|\n");
    for (int c = 0; c < r->n_conds; c++) {
        const rb_result_cond *k = &r->conds[c];
        if (strcmp(k->dataset, dataset) != 0 || c == clean) continue;
        int mod = strcmp(k->modality, "visual") == 0 ? 0 : strcmp(k->modality, "audio") == 0 ? 1 : -1;
        fprintf(out, "| %s | %s | %d |", k->modality, k->corruption, k->severity);
        rb_cell(out, ap0 - rb_mean_metric(r, r->ap, c, concat));
        rb_cell(out, dyn0 - rb_mean_metric(r, r->ap, c, dyn));
        rb_cell(out, st0 - rb_mean_metric(r, r->ap_step, c, concat));
        double auc = mod >= 0 ? k->detect_auc[mod] : NAN;
        rb_cell(out, auc);
        fprintf(out, " %s |", isnan(auc) ? "-" : auc > 0.5 ? "up" : auc < 0.5 ? "down" : "flat");
        rb_cell(out, mod >= 0 ? k->weight[mod] : NAN);
        fputc('\n', out);
    }
    return RB_OK;
}

/* test_weights_table.c - the oracle gap of every condition (shared-oracle - shared-dyn, means over
 * replicas) by hand, NaN when a method is absent, and the "What the weights did" section's counts. */
#include "rb_results.h"
#include "rb_core.h"
#include "rb_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void rb_cond(rb_result_cond *c, const char *corruption, const char *modality, int sev, double auc_v, double w_v) {
    snprintf(c->dataset, sizeof c->dataset, "d");
    snprintf(c->corruption, sizeof c->corruption, "%s", corruption);
    snprintf(c->modality, sizeof c->modality, "%s", modality);
    snprintf(c->label, sizeof c->label, "%s%s%s", strcmp(modality, "none") ? modality : "", strcmp(modality, "none") ? "." : "", corruption);
    snprintf(c->source, sizeof c->source, "surrogate");
    c->severity = sev;
    c->detect_auc[0] = auc_v;
    c->detect_auc[1] = NAN;
    c->weight[0] = w_v;
    c->weight[1] = 0.9;
}

RB_TEST(weights_table_oracle_gap_by_hand) {
    rb_results r;
    RB_EXPECT_OK(rb_results_alloc(&r, 3, 2, 2));
    snprintf(r.methods[0], sizeof r.methods[0], "shared-dyn");
    snprintf(r.methods[1], sizeof r.methods[1], "shared-oracle");
    rb_cond(&r.conds[0], "clean", "none", 0, NAN, 0.9);
    rb_cond(&r.conds[1], "fog", "visual", 1, 0.2, 0.95);
    rb_cond(&r.conds[2], "fog", "visual", 2, 0.7, 0.4);
    for (int c = 0; c < 3; c++)
        for (int rep = 0; rep < 2; rep++) {
            r.ap[rb_results_at(&r, c, 0, rep)] = 0.5 + 0.1 * c + 0.01 * rep;       /* dyn: mean 0.505 + 0.1c */
            r.ap[rb_results_at(&r, c, 1, rep)] = 0.6 - 0.1 * c + 0.03 * rep;       /* oracle: mean 0.615 - 0.1c */
            r.ap_step[rb_results_at(&r, c, 0, rep)] = r.ap_step[rb_results_at(&r, c, 1, rep)] = 0.3;
            r.roc_auc[rb_results_at(&r, c, 0, rep)] = 0.8;
            r.roc_auc[rb_results_at(&r, c, 1, rep)] = 0.7;
        }
    rb_results_fill_oracle_gap(&r);
    for (int c = 0; c < 3; c++) {
        RB_EXPECT_NEAR(r.conds[c].oracle_gap[0], 0.11 - 0.2 * c, 1e-12);
        RB_EXPECT_NEAR(r.conds[c].oracle_gap[1], 0.0, 1e-15);
        RB_EXPECT_NEAR(r.conds[c].oracle_gap[2], -0.1, 1e-12);
    }
    /* the table: 2 visual cells, one detected (0.7) and one backwards (0.2), mean weight 0.675,
     * mean gap ((0.11 - 0.2) + (0.11 - 0.4)) / 2 = -0.19, largest -0.09 at fog s1 */
    rb_report_dataset *ds = NULL;
    int n_ds = 0;
    RB_EXPECT_OK(rb_report_layout(&r, &ds, &n_ds));
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f && n_ds == 1) rb_results_weights_table(f, &r, &ds[0]);
    if (f) fclose(f);
    RB_EXPECT_MSG(buf && strstr(buf, "| visual | 2 | 1 | 1 | 0.6750 | -0.1900 | -0.0900 (fog s1) |"), "table:\n%s", buf ? buf : "");
    free(buf);
    rb_report_layout_free(ds, n_ds);
    /* without shared-oracle there is no gap */
    snprintf(r.methods[1], sizeof r.methods[1], "shared-mean");
    rb_results_fill_oracle_gap(&r);
    RB_EXPECT(isnan(r.conds[1].oracle_gap[0]));
    rb_results_free(&r);
}

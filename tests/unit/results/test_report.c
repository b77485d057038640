/* test_report.c - report.html's numbers and encoders, results.json and the JUnit audit report on
 * hand-built rb_results: chance levels, error bars (interval or mean +- sd), ranking, the base64
 * data: URI and colour scale ends, the JSON values, and JUnit test cases that fail exactly where the
 * audit finds a difference. */
#include "rb_core.h"
#include "rb_results.h"
#include "rb_test.h"
#include "results/report_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void rb_cond(rb_result_cond *c, const char *ds, const char *corr, const char *mod, int sev, double q) {
    snprintf(c->dataset, sizeof c->dataset, "%s", ds);
    snprintf(c->corruption, sizeof c->corruption, "%s", corr);
    snprintf(c->modality, sizeof c->modality, "%s", mod);
    c->severity = sev;
    snprintf(c->source, sizeof c->source, "surrogate");
    c->detect_auc[0] = c->detect_auc[1] = NAN;
    c->weight[0] = c->weight[1] = 0.5;
    c->positive_fraction = q;
}

/* 4 conditions (clean, fog s1, fog s3, visual missing) x 2 methods x 2 replicas, q = 0.25. */
static void rb_build(rb_results *r) {
    RB_EXPECT_OK(rb_results_alloc(r, 4, 2, 2));
    snprintf(r->methods[0], sizeof r->methods[0], "concat");
    snprintf(r->methods[1], sizeof r->methods[1], "shared-dyn");
    rb_cond(&r->conds[0], "xd", "clean", "none", 0, 0.25);
    rb_cond(&r->conds[1], "xd", "fog", "visual", 1, 0.25);
    rb_cond(&r->conds[2], "xd", "fog", "visual", 3, 0.25);
    rb_cond(&r->conds[3], "xd", "missing", "visual", 0, 0.25);
    /* [cond][method][replica]; shared-dyn is better on every corrupted cell for ap_step */
    const double st[16] = {0.5, 0.75, 0.75, 0.75, 0.25, 0.5, 0.5, 0.75, 0.25, 0.25, 0.5, 0.5, 0.25, 0.25, 0.5, 0.25};
    for (int i = 0; i < 16; i++) {
        r->ap_step[i] = st[i];
        r->ap[i] = 0.5 + st[i] / 2;
        r->roc_auc[i] = 0.5;
    }
    r->run_id = strdup("run-a");
    r->config_text = strdup("a = 1;\n");
}

RB_TEST(report_chance_levels) {
    RB_EXPECT(rb_report_chance(0, 0.25) == 0.625);
    RB_EXPECT(rb_report_chance(1, 0.25) == 0.25);
    RB_EXPECT(rb_report_chance(2, 0.25) == 0.5);
    RB_EXPECT(rb_report_chance(2, NAN) == 0.5);
    RB_EXPECT(isnan(rb_report_chance(0, NAN)) && isnan(rb_report_chance(1, NAN)) && isnan(rb_report_chance(1, 1.5)));
    rb_results r;
    rb_build(&r);
    RB_EXPECT(rb_report_dataset_q(&r, "xd") == 0.25);
    RB_EXPECT(isnan(rb_report_dataset_q(&r, "other")));
    int k = -1;
    RB_EXPECT_OK(rb_report_metric_parse("roc_auc", &k));
    RB_EXPECT_INT(k, 2);
    RB_EXPECT_ERR(rb_report_metric_parse("auc", &k), "expected ap, ap_step or roc_auc");
    rb_results_free(&r);
}

RB_TEST(report_error_bars_and_ranking) {
    rb_results r;
    rb_build(&r);
    double mean, lo, hi;
    /* no intervals, 2 replicas: mean +- sample sd; clean concat ap_step {0.5, 0.75}: sd = 0.25 / sqrt 2 */
    RB_EXPECT_INT(rb_report_cell_bar(&r, 1, 0, 0, &mean, &lo, &hi), 0);
    RB_EXPECT(mean == 0.625);
    RB_EXPECT_NEAR(lo, 0.625 - 0.25 / sqrt(2.0), 1e-15);
    RB_EXPECT_NEAR(hi, 0.625 + 0.25 / sqrt(2.0), 1e-15);
    /* intervals present: they are the bar */
    r.ap_step_lo = calloc(8, sizeof(double));
    r.ap_step_hi = calloc(8, sizeof(double));
    r.ap_step_lo[0 * 2 + 0] = 0.5;
    r.ap_step_hi[0 * 2 + 0] = 0.8;
    RB_EXPECT_INT(rb_report_cell_bar(&r, 1, 0, 0, &mean, &lo, &hi), 1);
    RB_EXPECT(lo == 0.5 && hi == 0.8 && mean == 0.625);
    /* only one half of a pair: no interval */
    RB_EXPECT_INT(rb_report_cell_bar(&r, 0, 0, 0, &mean, &lo, &hi), 0);
    /* ranking by the corrupted mean: concat (0.375+0.625+0.25)/3 per replica... by hand:
     * concat cells {0.25,0.5}, {0.25,0.25}, {0.25,0.25} -> 0.291666; shared-dyn {0.5,0.75}, {0.5,0.5},
     * {0.5,0.25} -> 0.5: shared-dyn first */
    rb_report_dataset *ds;
    int n_ds, order[2];
    RB_EXPECT_OK(rb_report_layout(&r, &ds, &n_ds));
    rb_report_ranking(&r, &ds[0], 1, order);
    RB_EXPECT(order[0] == 1 && order[1] == 0);
    rb_report_ranking(&r, &ds[0], 2, order); /* ties (all 0.5): column order */
    RB_EXPECT(order[0] == 0 && order[1] == 1);
    rb_report_layout_free(ds, n_ds);
    rb_results_free(&r);
}

RB_TEST(report_base64_and_colours) {
    const char *in[3] = {"abc", "ab", "a"}, *out[3] = {"YWJj\"", "YWI=\"", "YQ==\""};
    for (int i = 0; i < 3; i++) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        rb_html_img_svg(f, in[i], strlen(in[i]), "x<y", NULL);
        fclose(f);
        RB_EXPECT_MSG(strstr(text, out[i]) != NULL, "base64 of %s: %s", in[i], text);
        RB_EXPECT(strstr(text, "alt=\"x&lt;y\"") != NULL);
        free(text);
    }
    char c[8];
    rb_heat_colour(0, c);
    RB_EXPECT(strcmp(c, "#440154") == 0);
    rb_heat_colour(1, c);
    RB_EXPECT(strcmp(c, "#FDE725") == 0);
    rb_heat_colour(2, c); /* clipped */
    RB_EXPECT(strcmp(c, "#FDE725") == 0);
    rb_heat_colour(NAN, c);
    RB_EXPECT(strcmp(c, "#DDDDDD") == 0);
    RB_EXPECT(strcmp(rb_palette(0), "#0072B2") == 0);
}

/* WCAG relative luminance of "#RRGGBB" */
static double rb_test_luminance(const char *hex) {
    double l = 0;
    const double w[3] = {0.2126, 0.7152, 0.0722};
    for (int k = 0; k < 3; k++) {
        unsigned v = 0;
        sscanf(hex + 1 + 2 * k, "%2x", &v);
        double c = v / 255.0;
        l += w[k] * (c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4));
    }
    return l;
}

/* The nine methods of configs/default.cfg (and every count up to RB_RESULTS_MAX_METHODS) get pairwise
 * distinct (colour, dash, marker) styles, and no colour is too light to see on white (the old
 * palette gave the 9th method the 1st one's style and the 8th yellow #F0E442, contrast 1.07). */
RB_TEST(report_series_styles_distinct) {
    for (int i = 0; i < RB_RESULTS_MAX_METHODS; i++) {
        RB_EXPECT(strlen(rb_palette(i)) == 7 && rb_palette(i)[0] == '#');
        double contrast = 1.05 / (rb_test_luminance(rb_palette(i)) + 0.05);
        if (contrast < 2.0) fprintf(stderr, "series %d: colour %s has contrast %.2f on white\n", i, rb_palette(i), contrast);
        RB_EXPECT(contrast >= 2.0);
        RB_EXPECT(rb_marker_shape(i) >= 0 && rb_marker_shape(i) < RB_MARKER_N);
        for (int j = 0; j < i; j++) {
            int same = strcmp(rb_palette(i), rb_palette(j)) == 0 && strcmp(rb_dash(i), rb_dash(j)) == 0 &&
                       rb_marker_shape(i) == rb_marker_shape(j);
            if (same) fprintf(stderr, "series %d and %d share colour, dash and marker\n", j, i);
            RB_EXPECT(!same);
            /* two series of one colour differ in dash and marker both */
            if (strcmp(rb_palette(i), rb_palette(j)) == 0)
                RB_EXPECT(strcmp(rb_dash(i), rb_dash(j)) != 0 && rb_marker_shape(i) != rb_marker_shape(j));
        }
    }
    /* the colours themselves: 8 distinct ones before they repeat */
    for (int i = 0; i < RB_PALETTE_N; i++)
        for (int j = 0; j < i; j++) RB_EXPECT(strcmp(rb_palette(i), rb_palette(j)) != 0);
    for (int i = 0; i < RB_DASH_N; i++)
        for (int j = 0; j < i; j++) RB_EXPECT(strcmp(rb_dash(i), rb_dash(j)) != 0);
}

static char *rb_slurp_file(const char *path) {
    char *text = NULL;
    return rb_read_file(path, &text) == RB_OK ? text : NULL;
}

RB_TEST(report_html_and_json_files) {
    rb_results r;
    rb_build(&r);
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/report_html", rb_test_tmpdir());
    mkdir(dir, 0755);
    RB_EXPECT_OK(rb_report_html(&r, NULL, "x/results.h5", dir, 1));
    RB_EXPECT_OK(rb_results_json(&r, NULL, dir));
    snprintf(path, sizeof path, "%s/report.html", dir);
    char *html = rb_slurp_file(path);
    RB_EXPECT(html != NULL);
    int figs = 0;
    for (const char *p = html; p && (p = strstr(p, "data:image/svg+xml;base64,")); p++) figs++;
    /* ranking, overview, visual family, missing modality */
    RB_EXPECT_INT(figs, 4);
    RB_EXPECT(html && strstr(html, "q: <code>xd</code> 0.2500") != NULL);
    RB_EXPECT(html && !strstr(html, "http")); /* nothing to fetch (the SVG namespace is inside the base64) */
    free(html);
    snprintf(path, sizeof path, "%s/overview.svg", dir);
    char *svg = rb_slurp_file(path);
    RB_EXPECT(svg && strncmp(svg, "<?xml", 5) == 0 && strstr(svg, "</svg>"));
    free(svg);
    snprintf(path, sizeof path, "%s/results.json", dir);
    char *json = rb_slurp_file(path);
    RB_EXPECT(json && strstr(json, "\"schema\": \"robusta-results-json\""));
    RB_EXPECT(json && strstr(json, "\"positive_fraction\": 0.25"));
    RB_EXPECT(json && strstr(json, "\"chance\": {\"ap\": 0.625, \"ap_step\": 0.25, \"roc_auc\": 0.5}"));
    RB_EXPECT(json && strstr(json, "\"ap_step\": [\"shared-dyn\", \"concat\"]"));
    /* clean concat ap_step: mean 0.625 */
    RB_EXPECT(json && strstr(json, "\"ap_step\": {\"clean\": {\"mean\": 0.625, "));
    RB_EXPECT(json && strstr(json, "\"config_digest\": \"78a5f362a48ff6a0\""));
    free(json);
    rb_results_free(&r);
}

static char *rb_junit_text(const rb_results *a, const rb_results *b, int strict) {
    rb_audit_options o;
    rb_audit_defaults(&o, 0);
    o.strict = strict;
    rb_audit_report rep;
    rb_audit_provenance pa = {0}, pb = {0};
    pa.config = "a = 1;\n";
    pb.config = b->config_text;
    if (rb_audit_compare(a, &pa, b, &pb, &o, &rep) != RB_OK) return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    int rc = rb_audit_junit(a, b, &rep, &o, "A.h5", "B.h5", f);
    fclose(f);
    rb_audit_report_free(&rep);
    if (rc != RB_OK) {
        free(text);
        return NULL;
    }
    return text;
}

static int rb_count(const char *s, const char *needle) {
    int n = 0;
    for (const char *p = s; p && (p = strstr(p, needle)); p++) n++;
    return n;
}

RB_TEST(report_junit_failures_where_the_audit_differs) {
    rb_results a, b;
    rb_build(&a);
    rb_build(&b);
    char *same = rb_junit_text(&a, &b, 0);
    RB_EXPECT(same != NULL);
    /* 4 conditions x 2 methods cell cases + 4 condition cases + 3 provenance checks */
    RB_EXPECT(same && strstr(same, "tests=\"15\" failures=\"0\""));
    RB_EXPECT(same && rb_count(same, "<testcase ") == 15 && rb_count(same, "<failure") == 0);
    free(same);
    /* one replica of (fog s3, shared-dyn) differs, and a weight of the missing-modality condition */
    b.ap_step[rb_results_at(&b, 2, 1, 1)] += 0.125;
    b.conds[3].weight[1] = 0.25;
    char *diff = rb_junit_text(&a, &b, 0);
    RB_EXPECT(diff && strstr(diff, "tests=\"15\" failures=\"2\""));
    RB_EXPECT(diff && strstr(diff, "name=\"xd/visual.fog/s3/shared-dyn\">"));
    RB_EXPECT(diff && strstr(diff, "xd/visual.fog/s3/shared-dyn/r1 ap_step: A 0.5, B 0.625, |A - B| 0.125"));
    RB_EXPECT(diff && strstr(diff, "name=\"xd/visual.missing/s0 detection AUCs and weights\">"));
    RB_EXPECT(diff && strstr(diff, "<testsuite name=\"cells\" tests=\"8\" failures=\"1\""));
    free(diff);
    /* a config difference fails the provenance case only under --strict */
    free(b.config_text);
    b.config_text = strdup("a = 2;\n");
    char *lax = rb_junit_text(&a, &b, 0), *strict = rb_junit_text(&a, &b, 1);
    RB_EXPECT(lax && strstr(lax, "<testsuite name=\"provenance\" tests=\"3\" failures=\"0\""));
    RB_EXPECT(strict && strstr(strict, "<testsuite name=\"provenance\" tests=\"3\" failures=\"1\""));
    free(lax);
    free(strict);
    rb_results_free(&a);
    rb_results_free(&b);
}

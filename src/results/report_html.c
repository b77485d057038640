/* report_html.c - `robusta report`'s report.html (docs/results.md "report.html"): one self-contained
 * page (no network, no external JS or CSS; every figure is an SVG drawn here and embedded as a data:
 * URI) with the ranking of the methods, the overview heatmap, metric-versus-severity small multiples
 * per corruption family with error bars and the chance level, the missing-modality panel, the
 * weighting diagnostics and the provenance; plus overview.svg, the overview heatmap of every
 * dataset as one multi-panel figure for a paper. A few lines of inline script only check, once the
 * page has loaded, that every figure decoded (the browser test reads the result). */
#include "report_internal.h"
#include "rb_core.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RB_FONT 13.0

/* ---- page pieces ---- */

static const char rb_page_css[] =
    "body{font-family:'DejaVu Sans',Arial,Helvetica,sans-serif;font-size:15px;line-height:1.4;color:#1a1a1a;"
    "max-width:1150px;margin:0 auto;padding:0 16px 40px 16px}\n"
    "h1{font-size:26px}h2{font-size:21px;border-bottom:1px solid #bbb;margin-top:36px}h3{font-size:17px}\n"
    "table{border-collapse:collapse;margin:8px 0 16px 0;font-size:14px}\n"
    "th,td{border:1px solid #c8c8c8;padding:3px 8px;text-align:right}th{background:#f0f0f0}\n"
    "td.l,th.l{text-align:left}td.flag{background:#ffd9b3;font-weight:bold}td.low{background:#fde0ef}\n"
    "img.fig{display:block;max-width:100%;height:auto;margin:8px 0}\n"
    "p.cap{font-size:13px;color:#444;margin-top:0}pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}\n"
    "div.note{border-left:4px solid #E69F00;padding:4px 10px;background:#fff8e8}\n"
    "@media print{body{max-width:none;font-size:11pt}h2{page-break-before:auto}img.fig{page-break-inside:avoid}}\n";

/* Records script errors, failed loads, unhandled rejections and every console.error / console.warn
 * call (hooked here, in the first script of the page, before anything else runs: headless Chromium
 * logs console.error at level INFO, so its log alone cannot tell an error from a message), then
 * checks every figure decoded; writes the verdict into #render-check (read by
 * tests/e2e/report_browser.sh through --dump-dom). */
static const char rb_page_script[] =
    "(function(){var errs=[];\n"
    "window.addEventListener('error',function(e){errs.push(String(e.message||(e.target&&e.target.alt)||'load error'));},true);\n"
    "window.addEventListener('unhandledrejection',function(e){errs.push('unhandled rejection: '+String(e.reason));});\n"
    "if(window.console){['error','warn'].forEach(function(k){var f=console[k];\n"
    "console[k]=function(){errs.push('console.'+k+': '+Array.prototype.join.call(arguments,' '));"
    "if(f){return f.apply(console,arguments);}};});}\n"
    "window.addEventListener('load',function(){var im=document.getElementsByTagName('img'),ok=0,bad=[];\n"
    "for(var i=0;i<im.length;i++){if(im[i].complete&&im[i].naturalWidth>0){ok++;}else{bad.push(im[i].alt);}}\n"
    "var s=document.getElementById('render-check');if(!s){return;}\n"
    "s.setAttribute('data-figures',String(im.length));s.setAttribute('data-rendered',String(ok));\n"
    "s.setAttribute('data-errors',String(errs.length));\n"
    "s.textContent='Render check: '+ok+' of '+im.length+' figures rendered'+(bad.length?' (not rendered: '+bad.join(', ')+')':'')+\n"
    "(errs.length?'; errors: '+errs.join('; '):'; no script errors')+'.';});})();\n";

static void rb_page_head(FILE *f, const char *title) {
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
    rb_xml_text(f, title);
    fprintf(f, "</title>\n<style>\n%s</style>\n<script>\n%s</script>\n</head>\n<body>\n", rb_page_css, rb_page_script);
}

void rb_report_page_head(FILE *f, const char *title) { rb_page_head(f, title); }

void rb_report_page_tail(FILE *f) {
    fputs("<p id=\"render-check\" class=\"cap\" data-figures=\"\" data-rendered=\"\" data-errors=\"\">Render check: "
          "not run (scripts disabled).</p>\n</body>\n</html>\n",
          f);
}

/* "mean +- sd" (one replica: the mean alone). */
/* "value [lo, hi]" with 4 decimals */
static void rb_ci(char *buf, size_t cap, double value, double lo, double hi) {
    char a[32], b[32], e[32];
    rb_results_fmt4(a, sizeof a, value);
    rb_results_fmt4(b, sizeof b, lo);
    rb_results_fmt4(e, sizeof e, hi);
    snprintf(buf, cap, "%s [%s, %s]", a, b, e);
}

static void rb_ms(char *buf, size_t cap, double mean, double sd, int n_replicas) {
    char a[32], b[32];
    rb_results_fmt4(a, sizeof a, mean);
    if (n_replicas < 2) snprintf(buf, cap, "%s", a);
    else {
        rb_results_fmt4(b, sizeof b, sd);
        snprintf(buf, cap, "%s &#177; %s", a, b);
    }
}

/* Finish an SVG held in a memory stream and embed it. */
static int rb_embed(FILE *page, FILE *svg, char **text, size_t *len, const char *alt, const char *id) {
    rb_svg_end(svg);
    int bad = ferror(svg);
    if (fclose(svg) != 0 || bad) {
        free(*text);
        return rb_fail("out of memory drawing a figure of report.html");
    }
    rb_html_img_svg(page, *text, *len, alt, id);
    free(*text);
    *text = NULL;
    return RB_OK;
}

static FILE *rb_svg_stream(char **text, size_t *len) {
    *text = NULL;
    *len = 0;
    FILE *f = open_memstream(text, len);
    if (!f) rb_fail("cannot open a memory stream for a figure: %s", strerror(errno));
    return f;
}

/* The row's display name: "fog", "missing visual", "fog+reverb". */
static void rb_row_title(const rb_report_row *row, char *buf, size_t cap) {
    if (row->group == RB_GROUP_MISSING) snprintf(buf, cap, "%s", row->modality);
    else snprintf(buf, cap, "%s", row->corruption);
}

/* Legend of the methods (colour, marker, dash) in one row from (x, y); returns the height used. */
static void rb_method_legend(FILE *f, const rb_results *r, double x, double y, int with_chance) {
    for (int m = 0; m < r->n_methods; m++) {
        rb_svg_line(f, x, y, x + 26, y, rb_palette(m), 2.2, rb_dash(m));
        rb_svg_marker(f, m, x + 13, y, 3.5, rb_palette(m));
        rb_svg_text(f, x + 31, y + 4.5, "start", RB_FONT, 0, 0, NULL, r->methods[m]);
        x += 40 + 8.0 * (double)strlen(r->methods[m]);
    }
    if (with_chance) {
        rb_svg_line(f, x, y, x + 26, y, "#777777", 1.5, "3,3");
        rb_svg_text(f, x + 31, y + 4.5, "start", RB_FONT, 0, 0, NULL, "chance");
    }
}

/* ---- ranking ---- */

static int rb_section_ranking(FILE *f, const rb_results *r, const rb_report_dataset *d, int k, int di) {
    int order[RB_RESULTS_MAX_METHODS];
    rb_report_ranking(r, d, k, order);
    const double *lo_arr, *hi_arr;
    rb_report_interval_arrays(r, k, &lo_arr, &hi_arr);
    double q = rb_report_dataset_q(r, d->dataset), chance = rb_report_chance(k, q);
    fprintf(f, "<h3>Ranking on <code>");
    rb_xml_text(f, d->dataset);
    fprintf(f, "</code> by the mean %s over the %d corrupted cells</h3>\n", rb_report_metric_name(k), d->n_corrupted);
    /* the corrupted mean and relative robustness with the bootstrap intervals of their summaries
     * (summaries.csv, family "all"), when the file has intervals; else mean +- sd over replicas */
    int iv = lo_arr != NULL;
    fprintf(f, "<table><tr><th>rank</th><th class=\"l\">method</th><th>clean%s</th><th>corrupted (mean)%s</th>"
               "<th>drop</th><th>relative%s</th></tr>\n",
            iv ? " [95% interval]" : "", iv ? " [95% interval]" : "", iv ? " [95% interval]" : "");
    double lo = INFINITY, hi = -INFINITY;
    rb_headline hs[RB_RESULTS_MAX_METHODS];
    double bars[RB_RESULTS_MAX_METHODS][3], cbars[RB_RESULTS_MAX_METHODS][2];
    for (int i = 0; i < r->n_methods; i++) {
        int m = order[i];
        RB_TRY(rb_report_headline(r, d, rb_report_metric(r, k), m, &hs[m]));
        char c[128], cor[128], dr[96], rel[128];
        double mean = NAN, blo = NAN, bhi = NAN;
        int interval = d->clean >= 0 ? rb_report_cell_bar(r, k, d->clean, m, &mean, &blo, &bhi) : 0;
        bars[m][0] = mean;
        bars[m][1] = blo;
        bars[m][2] = bhi;
        if (interval) rb_ci(c, sizeof c, mean, blo, bhi);
        else rb_ms(c, sizeof c, hs[m].clean[0], hs[m].clean[1], r->n_replicas);
        double cs[3] = {NAN, NAN, NAN}, rs[3] = {NAN, NAN, NAN};
        if (iv) {
            RB_TRY(rb_results_summary_all(r, d, RB_SUM_MEAN_CORRUPTED, k, m, cs));
            RB_TRY(rb_results_summary_all(r, d, RB_SUM_RELATIVE, k, m, rs));
        }
        double csd = r->n_replicas > 1 ? hs[m].corrupted[1] : 0;
        cbars[m][0] = hs[m].corrupted[0] - csd;
        cbars[m][1] = hs[m].corrupted[0] + csd;
        if (iv && isfinite(cs[1])) {
            rb_ci(cor, sizeof cor, hs[m].corrupted[0], cs[1], cs[2]);
            cbars[m][0] = cs[1];
            cbars[m][1] = cs[2];
        } else {
            rb_ms(cor, sizeof cor, hs[m].corrupted[0], hs[m].corrupted[1], r->n_replicas);
        }
        rb_ms(dr, sizeof dr, hs[m].drop[0], hs[m].drop[1], r->n_replicas);
        /* with an interval: the summary's own point value (corrupted / clean of the replica means) */
        if (iv && isfinite(rs[1])) rb_ci(rel, sizeof rel, rs[0], rs[1], rs[2]);
        else rb_ms(rel, sizeof rel, hs[m].relative[0], hs[m].relative[1], r->n_replicas);
        fprintf(f, "<tr><td>%d</td><td class=\"l\">", i + 1);
        rb_xml_text(f, r->methods[m]);
        fprintf(f, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", c, cor, dr, rel);
        double v[4] = {blo, bhi, cbars[m][0], cbars[m][1]};
        for (int j = 0; j < 4; j++)
            if (isfinite(v[j])) {
                lo = fmin(lo, v[j]);
                hi = fmax(hi, v[j]);
            }
    }
    fprintf(f, "</table>\n");
    if (isfinite(chance)) {
        lo = fmin(lo, chance);
        hi = fmax(hi, chance);
    }
    rb_nice_range(&lo, &hi);
    /* dot plot: one row per method, clean (open) and corrupted mean (filled) */
    char *text;
    size_t len;
    FILE *s = rb_svg_stream(&text, &len);
    if (!s) return RB_ERR;
    double row_h = 30, W = 760, H = 70 + row_h * r->n_methods;
    char title[256];
    snprintf(title, sizeof title, "%s: ranking by %s", d->dataset, rb_report_metric_name(k));
    rb_svg_begin(s, W, H, title);
    rb_axes a = {lo, hi, 0, 1, 170, 30, W - 200, row_h * r->n_methods};
    /* x grid */
    double tick = rb_tick_step(hi - lo);
    for (double v = ceil(lo / tick - 1e-9) * tick; v <= hi + 1e-9 * tick; v += tick) {
        double x = rb_ax_x(&a, v);
        char lab[32];
        snprintf(lab, sizeof lab, tick < 0.1 ? "%.2f" : "%.1f", fabs(v) < 1e-12 ? 0.0 : v);
        rb_svg_line(s, x, a.py, x, a.py + a.ph, "#E3E3E3", 1, NULL);
        rb_svg_text(s, x, a.py + a.ph + 16, "middle", RB_FONT, 0, 0, "#333333", lab);
    }
    if (isfinite(chance)) {
        double x = rb_ax_x(&a, chance);
        rb_svg_line(s, x, a.py - 6, x, a.py + a.ph, "#777777", 1.5, "3,3");
        rb_svg_text(s, x, a.py - 9, "middle", RB_FONT - 1, 0, 0, "#555555", "chance");
    }
    for (int i = 0; i < r->n_methods; i++) {
        int m = order[i];
        double y = a.py + row_h * (i + 0.5);
        rb_svg_text(s, a.px - 8, y + 4.5, "end", RB_FONT, 0, 0, NULL, r->methods[m]);
        /* clean: open marker with its bar */
        if (isfinite(bars[m][1]) && isfinite(bars[m][2]) && bars[m][2] > bars[m][1])
            rb_svg_line(s, rb_ax_x(&a, bars[m][1]), y - 5, rb_ax_x(&a, bars[m][2]), y - 5, "#777777", 1.5, NULL);
        if (isfinite(bars[m][0]))
            fprintf(s, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"4.5\" fill=\"#FFFFFF\" stroke=\"#555555\" stroke-width=\"1.6\"/>\n",
                    rb_ax_x(&a, bars[m][0]), y - 5);
        double cm = hs[m].corrupted[0];
        if (isfinite(cm)) {
            if (isfinite(cbars[m][0]) && isfinite(cbars[m][1]) && cbars[m][1] > cbars[m][0])
                rb_svg_line(s, rb_ax_x(&a, cbars[m][0]), y + 5, rb_ax_x(&a, cbars[m][1]), y + 5, rb_palette(m), 1.8, NULL);
            rb_svg_marker(s, m, rb_ax_x(&a, cm), y + 5, 4.5, rb_palette(m));
        }
    }
    fprintf(s, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" stroke=\"#333333\"/>\n", a.px,
            a.py, a.pw, a.ph);
    char xl[128];
    snprintf(xl, sizeof xl, "%s (open: clean; filled: mean over corrupted cells)", rb_report_metric_name(k));
    rb_svg_text(s, a.px + a.pw / 2, H - 8, "middle", RB_FONT, 0, 0, "#333333", xl);
    char id[64];
    snprintf(id, sizeof id, "fig-ranking-%d", di);
    RB_TRY(rb_embed(f, s, &text, &len, title, id));
    const char *bar = lo_arr ? "95% bootstrap interval" : (r->n_replicas > 1 ? "&#177; sd over replicas" : "none, one replica");
    fprintf(f, "<p class=\"cap\">Open circle: the clean cell (bar: %s); filled marker: the mean over every corrupted "
               "cell (bar: %s). %sDashed: chance level of %s%s.</p>\n",
            bar, bar,
            lo_arr ? "Relative: corrupted mean / clean of the replica means, with its interval (summaries.csv "
                     "<code>relative</code>, family <code>all</code>). "
                   : "",
            rb_report_metric_name(k),
            isfinite(chance) ? "" : " (unknown: this file does not record the positive-frame fraction)");
    return RB_OK;
}

/* ---- overview heatmap ---- */

/* cell / clean of one method, averaged over replicas (per-replica ratios). */
static double rb_relative(const rb_results *r, int k, int cond, int clean, int m) {
    if (clean < 0) return NAN;
    const double *v = rb_report_metric(r, k);
    double s = 0;
    for (int rep = 0; rep < r->n_replicas; rep++)
        s += v[rb_results_at(r, cond, m, rep)] / v[rb_results_at(r, clean, m, rep)];
    return s / r->n_replicas;
}

static int rb_row_sev_index(const rb_report_row *row, int sev) {
    for (int j = 0; j < row->n_sev; j++)
        if (row->severity[j] == sev) return j;
    return -1;
}

/* The colour scale range of the overview: [floor to 0.1 of the lowest relative value, max(1, ceil
 * of the highest)], shared by every panel. */
static void rb_heat_range(const rb_results *r, const rb_report_dataset *ds, int n_ds, int k, double *lo, double *hi) {
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int i = 0; i < n_ds; i++)
        for (int j = 0; j < ds[i].n_corrupted; j++)
            for (int m = 0; m < r->n_methods; m++) {
                double v = rb_relative(r, k, ds[i].corrupted[j], ds[i].clean, m);
                if (isfinite(v)) {
                    *lo = fmin(*lo, v);
                    *hi = fmax(*hi, v);
                }
            }
    if (!isfinite(*lo)) {
        *lo = 0;
        *hi = 1;
        return;
    }
    *lo = floor(*lo * 10) / 10;
    *hi = fmax(1.0, ceil(*hi * 10) / 10);
    if (*hi - *lo < 0.1) *lo = *hi - 0.1;
}

#define RB_HM_LABEL 175.0
#define RB_HM_CW_MIN 22.0
#define RB_HM_RH 19.0
#define RB_HM_GAP 10.0

/* Column width: at least RB_HM_CW_MIN, and wide enough for the longest method name over its group. */
static double rb_hm_cw(const rb_results *r, const rb_report_dataset *d) {
    int ns = d->n_severities > 0 ? d->n_severities : 1;
    size_t longest = 0;
    for (int m = 0; m < r->n_methods; m++) longest = strlen(r->methods[m]) > longest ? strlen(r->methods[m]) : longest;
    double need = (8.0 * (double)longest + 4) / ns;
    return need > RB_HM_CW_MIN ? need : RB_HM_CW_MIN;
}

static double rb_hm_width(const rb_results *r, const rb_report_dataset *d) {
    int ns = d->n_severities > 0 ? d->n_severities : 1;
    return RB_HM_LABEL + r->n_methods * (ns * rb_hm_cw(r, d) + RB_HM_GAP) + 20;
}

static double rb_hm_height(const rb_report_dataset *d) { return 62 + RB_HM_RH * d->n_rows + 10; }

/* One dataset's heatmap panel with its top-left corner at (x0, y0). */
static void rb_hm_panel(FILE *s, const rb_results *r, const rb_report_dataset *d, int k, double lo, double hi, double x0,
                        double y0, const char *panel_label) {
    int ns = d->n_severities > 0 ? d->n_severities : 1;
    const double RB_HM_CW = rb_hm_cw(r, d);
    char t[160];
    snprintf(t, sizeof t, "%s%s", panel_label, d->dataset);
    rb_svg_text(s, x0, y0 + 16, "start", RB_FONT + 2, 1, 0, NULL, t);
    double top = y0 + 62;
    for (int m = 0; m < r->n_methods; m++) {
        double gx = x0 + RB_HM_LABEL + m * (ns * RB_HM_CW + RB_HM_GAP);
        rb_svg_text(s, gx + ns * RB_HM_CW / 2, y0 + 36, "middle", RB_FONT - 1, 1, 0, NULL, r->methods[m]);
        for (int j = 0; j < d->n_severities; j++) {
            char lab[16];
            snprintf(lab, sizeof lab, "%d", d->severities[j]);
            rb_svg_text(s, gx + (j + 0.5) * RB_HM_CW, y0 + 55, "middle", RB_FONT - 2, 0, 0, "#444444", lab);
        }
    }
    rb_svg_text(s, x0 + RB_HM_LABEL - 8, y0 + 55, "end", RB_FONT - 2, 0, 0, "#444444", "severity");
    rb_report_group last = RB_N_GROUPS;
    for (int i = 0; i < d->n_rows; i++) {
        const rb_report_row *row = &d->rows[i];
        double y = top + i * RB_HM_RH;
        if (row->group != last && i > 0) rb_svg_line(s, x0 + 4, y, x0 + rb_hm_width(r, d) - 20, y, "#444444", 1, NULL);
        last = row->group;
        char name[160], title[96];
        rb_row_title(row, title, sizeof title);
        snprintf(name, sizeof name, "%s: %s", rb_report_group_name(row->group), title);
        rb_svg_text(s, x0 + RB_HM_LABEL - 8, y + RB_HM_RH * 0.7, "end", RB_FONT - 1, 0, 0, NULL, name);
        for (int m = 0; m < r->n_methods; m++) {
            double gx = x0 + RB_HM_LABEL + m * (ns * RB_HM_CW + RB_HM_GAP);
            char col[8];
            if (row->group == RB_GROUP_MISSING || d->n_severities == 0) {
                double v = rb_relative(r, k, row->cond[0], d->clean, m);
                rb_heat_colour((v - lo) / (hi - lo), col);
                rb_svg_rect(s, gx, y, ns * RB_HM_CW - 1, RB_HM_RH - 1, col, NULL);
                char lab[16];
                snprintf(lab, sizeof lab, "%.2f", v);
                if (isfinite(v))
                    rb_svg_text(s, gx + ns * RB_HM_CW / 2, y + RB_HM_RH * 0.7, "middle", RB_FONT - 2, 0, 0,
                                rb_heat_text((v - lo) / (hi - lo)), lab);
                continue;
            }
            for (int j = 0; j < d->n_severities; j++) {
                int at = rb_row_sev_index(row, d->severities[j]);
                if (at < 0) continue;
                double v = rb_relative(r, k, row->cond[at], d->clean, m);
                rb_heat_colour((v - lo) / (hi - lo), col);
                rb_svg_rect(s, gx + j * RB_HM_CW, y, RB_HM_CW - 1, RB_HM_RH - 1, col, NULL);
            }
        }
    }
}

/* Horizontal colour bar at (x, y), width w. */
static void rb_hm_colourbar(FILE *s, double lo, double hi, double x, double y, double w, int k) {
    int n = 40;
    for (int i = 0; i < n; i++) {
        char col[8];
        rb_heat_colour((i + 0.5) / n, col);
        rb_svg_rect(s, x + w * i / n, y, w / n + 0.3, 12, col, NULL);
    }
    for (int t = 0; t <= 4; t++) {
        char lab[16];
        snprintf(lab, sizeof lab, "%.2f", lo + (hi - lo) * t / 4);
        rb_svg_text(s, x + w * t / 4, y + 26, "middle", RB_FONT - 1, 0, 0, "#333333", lab);
    }
    char cap[128];
    snprintf(cap, sizeof cap, "relative %s = corrupted cell / clean (same method); grey: no number",
             rb_report_metric_name(k));
    rb_svg_text(s, x + w + 12, y + 11, "start", RB_FONT - 1, 0, 0, "#333333", cap);
}

/* The overview: one panel per dataset (all of them when n_ds > 1: the paper figure), colour bar. */
static int rb_overview_svg(FILE *s, const rb_results *r, const rb_report_dataset *ds, int n_ds, int k) {
    double lo, hi, W = 760, H = 50;
    rb_heat_range(r, ds, n_ds, k, &lo, &hi);
    for (int i = 0; i < n_ds; i++) {
        W = fmax(W, rb_hm_width(r, &ds[i]));
        H += rb_hm_height(&ds[i]);
    }
    char title[160];
    snprintf(title, sizeof title, "Overview: relative %s per method, corruption and severity", rb_report_metric_name(k));
    rb_svg_begin(s, W, H, title);
    double y = 4;
    for (int i = 0; i < n_ds; i++) {
        char label[16] = "";
        if (n_ds > 1) snprintf(label, sizeof label, "(%c) ", 'a' + (i % 26));
        rb_hm_panel(s, r, &ds[i], k, lo, hi, 6, y, label);
        y += rb_hm_height(&ds[i]);
    }
    rb_hm_colourbar(s, lo, hi, RB_HM_LABEL, y + 6, 240, k);
    return RB_OK;
}

static int rb_section_overview(FILE *f, const rb_results *r, const rb_report_dataset *ds, int n_ds, int k) {
    fprintf(f, "<h2 id=\"overview\">Overview</h2>\n");
    char *text;
    size_t len;
    FILE *s = rb_svg_stream(&text, &len);
    if (!s) return RB_ERR;
    RB_TRY(rb_overview_svg(s, r, ds, n_ds, k));
    char alt[128];
    snprintf(alt, sizeof alt, "overview heatmap of relative %s", rb_report_metric_name(k));
    RB_TRY(rb_embed(f, s, &text, &len, alt, "fig-overview"));
    fprintf(f, "<p class=\"cap\">Each cell: the method's %s on the corrupted cell divided by its %s on the clean test "
               "set (1 = unaffected; mean of the per-replica ratios). Rows: corruptions by family (visual, audio, "
               "missing modality, pairs); columns: methods, and inside each the severities. A missing modality has one "
               "cell per method. The same figure for a paper: <code>overview.svg</code> beside this page.</p>\n",
            rb_report_metric_name(k), rb_report_metric_name(k));
    return RB_OK;
}

/* ---- small multiples: metric versus severity, one panel per corruption of a family ---- */

#define RB_SM_W 250.0
#define RB_SM_H 190.0
#define RB_SM_COLS 4

static int rb_family_figure(FILE *f, const rb_results *r, const rb_report_dataset *d, int k, rb_report_group g,
                            double lo, double hi, double chance, int *fig_id) {
    int n = 0;
    for (int i = 0; i < d->n_rows; i++) n += d->rows[i].group == g && d->rows[i].n_sev > 0;
    if (n == 0) return RB_OK;
    int cols = n < RB_SM_COLS ? n : RB_SM_COLS, rows = (n + cols - 1) / cols;
    double legend = 10 + 110;
    for (int m = 0; m < r->n_methods; m++) legend += 40 + 8.0 * (double)strlen(r->methods[m]);
    double W = fmax(cols * RB_SM_W + 20, legend), H = 40 + rows * RB_SM_H;
    char *text;
    size_t len;
    FILE *s = rb_svg_stream(&text, &len);
    if (!s) return RB_ERR;
    char title[256];
    snprintf(title, sizeof title, "%s: %s versus severity, %s corruptions", d->dataset, rb_report_metric_name(k),
             rb_report_group_name(g));
    rb_svg_begin(s, W, H, title);
    rb_method_legend(s, r, 10, 16, isfinite(chance));
    int p = 0;
    for (int i = 0; i < d->n_rows; i++) {
        const rb_report_row *row = &d->rows[i];
        if (row->group != g || row->n_sev == 0) continue;
        double ox = (p % cols) * RB_SM_W, oy = 36 + (p / cols) * RB_SM_H;
        p++;
        int xt[RB_REPORT_MAX_SEV + 1], nxt = 0;
        if (d->clean >= 0) xt[nxt++] = 0;
        for (int j = 0; j < row->n_sev; j++) xt[nxt++] = row->severity[j];
        rb_axes a = {xt[0] - 0.4, xt[nxt - 1] + 0.4, lo, hi, ox + 52, oy + 22, RB_SM_W - 66, RB_SM_H - 70};
        char name[96];
        rb_row_title(row, name, sizeof name);
        rb_svg_text(s, a.px + a.pw / 2, oy + 14, "middle", RB_FONT, 1, 0, NULL, name);
        rb_svg_axes(s, &a, xt, nxt, "severity (0 = clean)", rb_report_metric_name(k), RB_FONT - 1);
        if (isfinite(chance))
            rb_svg_line(s, a.px, rb_ax_y(&a, chance), a.px + a.pw, rb_ax_y(&a, chance), "#777777", 1.5, "3,3");
        for (int m = 0; m < r->n_methods; m++) {
            double xs[RB_REPORT_MAX_SEV + 1], ys[RB_REPORT_MAX_SEV + 1], los[RB_REPORT_MAX_SEV + 1],
                his[RB_REPORT_MAX_SEV + 1];
            int np = 0;
            double jitter = (m - (r->n_methods - 1) / 2.0) * 0.045;
            if (d->clean >= 0) {
                rb_report_cell_bar(r, k, d->clean, m, &ys[np], &los[np], &his[np]);
                xs[np++] = 0;
            }
            for (int j = 0; j < row->n_sev; j++) {
                rb_report_cell_bar(r, k, row->cond[j], m, &ys[np], &los[np], &his[np]);
                xs[np++] = row->severity[j];
            }
            double px[RB_REPORT_MAX_SEV + 1], py[RB_REPORT_MAX_SEV + 1];
            for (int j = 0; j < np; j++) {
                px[j] = rb_ax_x(&a, xs[j] + jitter);
                py[j] = rb_ax_y(&a, ys[j]);
            }
            rb_svg_polyline(s, px, py, np, rb_palette(m), 2, rb_dash(m));
            for (int j = 0; j < np; j++) {
                if (!isfinite(ys[j])) continue;
                if (his[j] > los[j]) {
                    rb_svg_line(s, px[j], rb_ax_y(&a, los[j]), px[j], rb_ax_y(&a, his[j]), rb_palette(m), 1.3, NULL);
                    rb_svg_line(s, px[j] - 2.5, rb_ax_y(&a, los[j]), px[j] + 2.5, rb_ax_y(&a, los[j]), rb_palette(m), 1.3, NULL);
                    rb_svg_line(s, px[j] - 2.5, rb_ax_y(&a, his[j]), px[j] + 2.5, rb_ax_y(&a, his[j]), rb_palette(m), 1.3, NULL);
                }
                rb_svg_marker(s, m, px[j], py[j], 3, rb_palette(m));
            }
        }
    }
    char id[64];
    snprintf(id, sizeof id, "fig-severity-%d", (*fig_id)++);
    return rb_embed(f, s, &text, &len, title, id);
}

/* Shared y range of a dataset's small multiples: every plotted value and bar, and chance. */
static void rb_dataset_range(const rb_results *r, const rb_report_dataset *d, int k, double chance, double *lo, double *hi) {
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int m = 0; m < r->n_methods; m++)
        for (int c = 0; c < r->n_conds; c++) {
            if (strcmp(r->conds[c].dataset, d->dataset) != 0) continue;
            double mean, blo, bhi;
            rb_report_cell_bar(r, k, c, m, &mean, &blo, &bhi);
            const double v[3] = {mean, blo, bhi};
            for (int j = 0; j < 3; j++)
                if (isfinite(v[j])) {
                    *lo = fmin(*lo, v[j]);
                    *hi = fmax(*hi, v[j]);
                }
        }
    if (isfinite(chance)) {
        *lo = fmin(*lo, chance);
        *hi = fmax(*hi, chance);
    }
    rb_nice_range(lo, hi);
}

/* ---- missing modality ---- */

static int rb_section_missing(FILE *f, const rb_results *r, const rb_report_dataset *d, int k, double chance, int di) {
    int miss[2] = {-1, -1};
    for (int i = 0; i < d->n_rows; i++)
        if (d->rows[i].group == RB_GROUP_MISSING && d->rows[i].n_sev > 0) {
            if (strcmp(d->rows[i].modality, "visual") == 0) miss[0] = d->rows[i].cond[0];
            if (strcmp(d->rows[i].modality, "audio") == 0) miss[1] = d->rows[i].cond[0];
        }
    if (miss[0] < 0 && miss[1] < 0) {
        fprintf(f, "<p>No missing-modality cells in this run.</p>\n");
        return RB_OK;
    }
    const int conds[3] = {d->clean, miss[0], miss[1]};
    static const char *const names[3] = {"clean", "visual missing", "audio missing"};
    static const char *const colours[3] = {"#999999", "#0072B2", "#D55E00"};
    double lo = 0, hi = -INFINITY;
    for (int m = 0; m < r->n_methods; m++)
        for (int c = 0; c < 3; c++) {
            if (conds[c] < 0) continue;
            double mean, blo, bhi;
            rb_report_cell_bar(r, k, conds[c], m, &mean, &blo, &bhi);
            if (isfinite(bhi)) hi = fmax(hi, bhi);
            if (isfinite(mean)) hi = fmax(hi, mean);
        }
    if (isfinite(chance)) hi = fmax(hi, chance);
    rb_nice_range(&lo, &hi);
    double group_w = 3 * 22 + 26, W = fmax(120 + r->n_methods * group_w, 560), H = 300;
    char *text;
    size_t len;
    FILE *s = rb_svg_stream(&text, &len);
    if (!s) return RB_ERR;
    char title[256];
    snprintf(title, sizeof title, "%s: %s with a missing modality", d->dataset, rb_report_metric_name(k));
    rb_svg_begin(s, W, H, title);
    double lx = 70;
    for (int c = 0; c < 3; c++) {
        rb_svg_rect(s, lx, 10, 14, 14, colours[c], NULL);
        rb_svg_text(s, lx + 19, 22, "start", RB_FONT, 0, 0, NULL, names[c]);
        lx += 30 + 7.6 * (double)strlen(names[c]);
    }
    if (isfinite(chance)) {
        rb_svg_line(s, lx, 17, lx + 26, 17, "#777777", 1.5, "3,3");
        rb_svg_text(s, lx + 31, 22, "start", RB_FONT, 0, 0, NULL, "chance");
    }
    rb_axes a = {0, 1, lo, hi, 70, 40, W - 90, H - 100};
    rb_svg_axes(s, &a, NULL, 0, NULL, rb_report_metric_name(k), RB_FONT - 1);
    for (int m = 0; m < r->n_methods; m++) {
        double gx = a.px + 12 + m * group_w;
        for (int c = 0; c < 3; c++) {
            if (conds[c] < 0) continue;
            double mean, blo, bhi;
            rb_report_cell_bar(r, k, conds[c], m, &mean, &blo, &bhi);
            if (!isfinite(mean)) continue;
            double x = gx + c * 22, y = rb_ax_y(&a, mean), y0 = rb_ax_y(&a, lo);
            rb_svg_rect(s, x, y, 20, y0 - y, colours[c], NULL);
            if (bhi > blo) rb_svg_line(s, x + 10, rb_ax_y(&a, blo), x + 10, rb_ax_y(&a, bhi), "#000000", 1.3, NULL);
        }
        rb_svg_text(s, gx + 33, a.py + a.ph + 18, "middle", RB_FONT - 1, 0, 0, NULL, r->methods[m]);
    }
    if (isfinite(chance))
        rb_svg_line(s, a.px, rb_ax_y(&a, chance), a.px + a.pw, rb_ax_y(&a, chance), "#777777", 1.5, "3,3");
    char id[64];
    snprintf(id, sizeof id, "fig-missing-%d", di);
    RB_TRY(rb_embed(f, s, &text, &len, title, id));
    fprintf(f, "<p class=\"cap\">Bars: %s on the clean test set and with one modality removed (mean over replicas; "
               "black line: the error bar). A unimodal method fed only its missing modality collapses to a constant "
               "score, which lands exactly on the chance level in <code>ap_step</code> and <code>roc_auc</code>.</p>\n",
            rb_report_metric_name(k));
    return RB_OK;
}

/* ---- weighting diagnostics ---- */

static void rb_cell_num(FILE *f, double v, int flag_low) {
    char b[32];
    rb_results_fmt4(b, sizeof b, v);
    fprintf(f, "<td%s>%s</td>", flag_low && isfinite(v) && v < 0.5 ? " class=\"low\"" : "", isnan(v) ? "-" : b);
}

static void rb_section_weights(FILE *f, const rb_results *r, const rb_report_dataset *d) {
    fprintf(f, "<table><tr><th class=\"l\">corruption</th><th>severity</th><th>weight visual</th><th>weight audio</th>"
               "<th>detection AUC visual</th><th>detection AUC audio</th></tr>\n");
    if (d->clean >= 0) {
        const rb_result_cond *c = &r->conds[d->clean];
        fprintf(f, "<tr><td class=\"l\">clean</td><td>-</td>");
        rb_cell_num(f, c->weight[0], 0);
        rb_cell_num(f, c->weight[1], 0);
        fprintf(f, "<td>-</td><td>-</td></tr>\n");
    }
    for (int i = 0; i < d->n_rows; i++) {
        const rb_report_row *row = &d->rows[i];
        for (int j = 0; j < row->n_sev; j++) {
            const rb_result_cond *c = &r->conds[row->cond[j]];
            char name[160], title[96];
            rb_row_title(row, title, sizeof title);
            snprintf(name, sizeof name, "%s: %s", rb_report_group_name(row->group), title);
            fprintf(f, "<tr><td class=\"l\">");
            rb_xml_text(f, name);
            fprintf(f, "</td><td>%d</td>", (int)c->severity);
            rb_cell_num(f, c->weight[0], 0);
            rb_cell_num(f, c->weight[1], 0);
            rb_cell_num(f, c->detect_auc[0], 1);
            rb_cell_num(f, c->detect_auc[1], 1);
            fprintf(f, "</tr>\n");
        }
    }
    fprintf(f, "</table>\n<p class=\"cap\">Weights: the mean RobustA fusion weight of each modality over the cell's test "
               "snippets (0 for a missing modality). Detection AUC: ROC-AUC of the corrupted modality's GMM negative "
               "log-likelihood separating its clean from its corrupted snippets (0.5: invisible to the GMM; shaded: "
               "below 0.5, the corruption makes the features look more typical than clean ones). "
               "docs/gmm-weights.md.</p>\n");
}

/* ---- provenance ---- */

static void rb_prov_row(FILE *f, const char *key, const char *value) {
    fprintf(f, "<tr><th class=\"l\">%s</th><td class=\"l\">", key);
    rb_xml_text(f, value && value[0] ? value : "(not recorded)");
    fprintf(f, "</td></tr>\n");
}

void rb_report_section_provenance(FILE *f, const rb_results *r, const rb_audit_provenance *p, const char *path) {
    char digest[17], ranks[32] = "";
    rb_report_config_digest(r, digest);
    if (p && p->ranks >= 0) snprintf(ranks, sizeof ranks, "%lld", (long long)p->ranks);
    fprintf(f, "<table>\n");
    rb_prov_row(f, "results file", path);
    rb_prov_row(f, "run id", r->run_id);
    rb_prov_row(f, "robusta", p ? p->robusta_version : NULL);
    rb_prov_row(f, "commit", p && p->git_commit ? p->git_commit : r->git_commit);
    rb_prov_row(f, "time (UTC)", p ? p->time_utc : NULL);
    rb_prov_row(f, "host", p ? p->host : NULL);
    rb_prov_row(f, "MPI ranks", ranks);
    rb_prov_row(f, "command", p ? p->command : NULL);
    rb_prov_row(f, "MPI library", p ? p->mpi_library : NULL);
    rb_prov_row(f, "HDF5", p ? p->hdf5_version : NULL);
    rb_prov_row(f, "OpenBLAS", p ? p->openblas_config : NULL);
    rb_prov_row(f, "config digest (SHA-256, 16 hex)", digest);
    fprintf(f, "</table>\n<h3>Inputs (SHA-256, path)</h3>\n<pre>");
    if (!p || p->n_inputs == 0) fputs("(none recorded)", f);
    for (int i = 0; p && i < p->n_inputs; i++) {
        rb_xml_text(f, p->inputs[i]);
        fputc('\n', f);
    }
    fprintf(f, "</pre>\n<h3>Effective config</h3>\n<pre>");
    rb_xml_text(f, r->config_text && r->config_text[0] ? r->config_text : "(not recorded)");
    fprintf(f, "</pre>\n");
}

/* ---- the page ---- */

static int rb_write_page(FILE *f, const rb_results *r, const rb_audit_provenance *p, const char *path,
                         const rb_report_dataset *ds, int n_ds, int k) {
    char title[512];
    snprintf(title, sizeof title, "robusta report: %s", r->run_id && r->run_id[0] ? r->run_id : path);
    rb_page_head(f, title);
    fprintf(f, "<h1>");
    rb_xml_text(f, title);
    fprintf(f, "</h1>\n<p>Metric shown: <b>%s</b> (<code>robusta report --metric ap|ap_step|roc_auc</code>). "
               "%d dataset%s, %d methods, %d replica%s. Full-precision numbers: <code>cells.csv</code>; "
               "machine-readable summary: <code>results.json</code>; how to read this page: docs/results.md.</p>\n",
            rb_report_metric_title(k), n_ds, n_ds == 1 ? "" : "s", r->n_methods, r->n_replicas,
            r->n_replicas == 1 ? "" : "s");
    fprintf(f, "<div class=\"note\"><p><b>Chance levels.</b> A detector that gives every frame the same score gets "
               "<code>ap</code> = (1 + q) / 2, <code>ap_step</code> = q and <code>roc_auc</code> = 0.5, where q is the "
               "fraction of positive frames of the test set. So <code>ap</code> (XD-Violence's trapezoid AP) does not "
               "start from chance: rank by <code>ap_step</code> or <code>roc_auc</code>, quote <code>ap</code> only "
               "to compare with XD-Violence papers.");
    for (int i = 0; i < n_ds; i++) {
        double q = rb_report_dataset_q(r, ds[i].dataset);
        fprintf(f, "%s<code>", i == 0 ? " q: " : ", ");
        rb_xml_text(f, ds[i].dataset);
        if (isfinite(q)) fprintf(f, "</code> %.4f", q);
        else fprintf(f, "</code> not recorded");
    }
    fprintf(f, ".</p></div>\n<h2 id=\"ranking\">Ranking</h2>\n");
    for (int i = 0; i < n_ds; i++) RB_TRY(rb_section_ranking(f, r, &ds[i], k, i));
    RB_TRY(rb_section_overview(f, r, ds, n_ds, k));
    int fig_id = 0;
    fprintf(f, "<h2 id=\"severity\">%s versus severity</h2>\n<p class=\"cap\">One panel per corruption, grouped by "
               "family; severity 0 is the clean test set. Error bars: %s. Dashed grey: chance level.</p>\n",
            rb_report_metric_name(k),
            r->ap_lo ? "95% bootstrap intervals" : (r->n_replicas > 1 ? "&#177; sd over replicas" : "none (one replica)"));
    for (int i = 0; i < n_ds; i++) {
        double chance = rb_report_chance(k, rb_report_dataset_q(r, ds[i].dataset)), lo, hi;
        rb_dataset_range(r, &ds[i], k, chance, &lo, &hi);
        for (int g = 0; g < RB_N_GROUPS; g++) {
            if (g == RB_GROUP_MISSING) continue;
            int any = 0;
            for (int j = 0; j < ds[i].n_rows; j++) any |= (int)ds[i].rows[j].group == g;
            if (!any) continue;
            fprintf(f, "<h3><code>");
            rb_xml_text(f, ds[i].dataset);
            fprintf(f, "</code>: %s corruptions</h3>\n", rb_report_group_name((rb_report_group)g));
            RB_TRY(rb_family_figure(f, r, &ds[i], k, (rb_report_group)g, lo, hi, chance, &fig_id));
        }
    }
    fprintf(f, "<h2 id=\"missing\">Missing modality</h2>\n");
    for (int i = 0; i < n_ds; i++) {
        fprintf(f, "<h3><code>");
        rb_xml_text(f, ds[i].dataset);
        fprintf(f, "</code></h3>\n");
        RB_TRY(rb_section_missing(f, r, &ds[i], k, rb_report_chance(k, rb_report_dataset_q(r, ds[i].dataset)), i));
    }
    fprintf(f, "<h2 id=\"weights\">Weighting diagnostics</h2>\n");
    for (int i = 0; i < n_ds; i++) {
        fprintf(f, "<h3><code>");
        rb_xml_text(f, ds[i].dataset);
        fprintf(f, "</code></h3>\n");
        rb_section_weights(f, r, &ds[i]);
    }
    fprintf(f, "<h2 id=\"provenance\">Provenance</h2>\n");
    rb_report_section_provenance(f, r, p, path);
    rb_report_page_tail(f);
    return RB_OK;
}

/* Render into memory with fn, then replace dir/name atomically. */
static int rb_render_file(const char *dir, const char *name, int (*fn)(FILE *, void *), void *ctx) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return rb_fail("%s: cannot render: %s", path, strerror(errno));
    int rc = fn(f, ctx);
    int err = ferror(f);
    if (fclose(f) != 0) err = 1;
    if (rc != RB_OK) rc = rb_context("writing %s", path);
    else if (err) rc = rb_fail("%s: out of memory rendering it", path);
    else rc = rb_write_bytes_atomic(path, text, len);
    free(text);
    return rc;
}

int rb_report_render_file(const char *dir, const char *name, int (*fn)(FILE *, void *), void *ctx) {
    return rb_render_file(dir, name, fn, ctx);
}

struct rb_page_ctx {
    const rb_results *r;
    const rb_audit_provenance *p;
    const char *path;
    const rb_report_dataset *ds;
    int n_ds, k;
};

static int rb_page_fn(FILE *f, void *ctx) {
    const struct rb_page_ctx *c = ctx;
    return rb_write_page(f, c->r, c->p, c->path, c->ds, c->n_ds, c->k);
}

static int rb_overview_fn(FILE *f, void *ctx) {
    const struct rb_page_ctx *c = ctx;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    RB_TRY(rb_overview_svg(f, c->r, c->ds, c->n_ds, c->k));
    rb_svg_end(f);
    return RB_OK;
}

int rb_report_html(const rb_results *r, const rb_audit_provenance *p, const char *results_path, const char *dir, int metric) {
    if (metric < 0 || metric > 2) return rb_fail("report: metric index %d out of range", metric);
    rb_report_dataset *ds;
    int n_ds;
    RB_TRY(rb_report_layout(r, &ds, &n_ds));
    struct rb_page_ctx c = {r, p, results_path, ds, n_ds, metric};
    int rc = rb_render_file(dir, "report.html", rb_page_fn, &c);
    if (rc == RB_OK) rc = rb_render_file(dir, "overview.svg", rb_overview_fn, &c);
    rb_report_layout_free(ds, n_ds);
    return rc;
}

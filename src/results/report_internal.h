/* report_internal.h - what the files of report.html share privately (src/results/): the SVG figure
 * primitives of report_svg.c (palette, colour scale, axes, escaping, base64 embedding) and the
 * metric helpers (chance levels, error bars) used by report_html.c, report_compare.c and
 * report_json.c. */
#ifndef RB_REPORT_INTERNAL_H
#define RB_REPORT_INTERNAL_H

#include "rb_results.h"

#include <stdio.h>

/* ---- report_svg.c: figure primitives (every number printed with %.2f: deterministic output) */

/* Series i's style is (rb_palette(i), rb_dash(i), rb_marker_shape(i)): the three cycles have
 * pairwise coprime lengths, so every series up to 280 gets its own style. */
#define RB_PALETTE_N 8
#define RB_DASH_N 7
#define RB_MARKER_N 5
/* Colour of series i: Okabe-Ito without the yellow that is hard to see on white, then a dark wine. */
const char *rb_palette(int i);
/* Marker shape of series i: 0 circle, 1 square, 2 triangle, 3 diamond, 4 triangle pointing down. */
int rb_marker_shape(int i);
/* That marker drawn at (x, y) in colour. */
void rb_svg_marker(FILE *f, int i, double x, double y, double size, const char *colour);
/* Dash pattern of series i ("" = solid), so lines stay apart in grey print. */
const char *rb_dash(int i);
/* Sequential colour-blind-safe scale (viridis): t in [0, 1] clipped; NaN: light grey. buf >= 8. */
void rb_heat_colour(double t, char *buf);
/* Text colour readable on rb_heat_colour(t). */
const char *rb_heat_text(double t);

void rb_svg_begin(FILE *f, double width, double height, const char *title);
void rb_svg_end(FILE *f);
/* XML/HTML text with &, <, >, " escaped. */
void rb_xml_text(FILE *f, const char *s);
/* text at (x, y); anchor start|middle|end; weight 0 normal, 1 bold; rotate: degrees (0 none). */
void rb_svg_text(FILE *f, double x, double y, const char *anchor, double size, int bold, double rotate,
                 const char *fill, const char *text);
void rb_svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *stroke, double width,
                 const char *dash);
void rb_svg_rect(FILE *f, double x, double y, double w, double h, const char *fill, const char *stroke);
/* Polyline through the finite points (a NaN breaks the line). */
void rb_svg_polyline(FILE *f, const double *x, const double *y, int n, const char *stroke, double width,
                     const char *dash);

/* A plot area: data (x0..x1, y0..y1) mapped onto pixels (px, py, pw, ph). */
typedef struct {
    double x0, x1, y0, y1;
    double px, py, pw, ph;
} rb_axes;
double rb_ax_x(const rb_axes *a, double x);
double rb_ax_y(const rb_axes *a, double y);
/* Frame, y grid and ticks ("nice" steps), y label; x ticks at the integers xticks[0..n-1]
 * labelled with xlabels (NULL: the numbers). */
void rb_svg_axes(FILE *f, const rb_axes *a, const int *xticks, int n_xticks, const char *xlabel, const char *ylabel,
                 double font);
/* A round tick step giving about 5 ticks over range. */
double rb_tick_step(double range);
/* Widen [lo, hi] to a padded range with round ends. */
void rb_nice_range(double *lo, double *hi);

/* <img> with the SVG text base64-encoded in a data: URI (self-contained, no external file). */
void rb_html_img_svg(FILE *f, const char *svg, size_t len, const char *alt, const char *id);

/* ---- metric helpers (report_html.c) */

/* Metric k: 0 ap, 1 ap_step, 2 roc_auc. */
const char *rb_report_metric_name(int k);
const char *rb_report_metric_title(int k);
const double *rb_report_metric(const rb_results *r, int k);
/* 95% interval arrays of metric k ([n_conds][n_methods]); NULL when the file has none. */
void rb_report_interval_arrays(const rb_results *r, int k, const double **lo, const double **hi);
/* Chance level of metric k for a test set with positive-frame fraction q: ap (1+q)/2, ap_step q,
 * roc_auc 0.5 (NaN when q is unknown and the metric needs it). */
double rb_report_chance(int k, double q);
/* q of a dataset (the first finite positive_fraction among its conditions; NaN if none). */
double rb_report_dataset_q(const rb_results *r, const char *dataset);
/* One cell's value and error bar: mean over replicas, and [lo, hi] = the 95% interval when present,
 * else mean +- sd with several replicas, else lo = hi = mean. Returns 1 when the bar is an interval. */
int rb_report_cell_bar(const rb_results *r, int k, int cond, int method, double *mean, double *lo, double *hi);
/* Order of the methods by the mean over the corrupted cells of metric k on dataset d (best first;
 * ties by column order). */
void rb_report_ranking(const rb_results *r, const rb_report_dataset *d, int k, int *order);

/* SHA-256 of the config text, first 16 hex digits (the config_digest of cells.csv and results.json);
 * "" when there is no config text. buf >= 17. */
void rb_report_config_digest(const rb_results *r, char *buf);

/* ---- report_html.c: page pieces shared with report_compare.c */
/* <!DOCTYPE html> ... <body>: the inline style and the render-check script. */
void rb_report_page_head(FILE *f, const char *title);
/* The render-check paragraph and </body></html>. */
void rb_report_page_tail(FILE *f);
/* Provenance table, inputs and effective config. p may be NULL. */
void rb_report_section_provenance(FILE *f, const rb_results *r, const rb_audit_provenance *p, const char *path);
/* Render dir/name in memory with fn(f, ctx), then replace the file atomically. */
int rb_report_render_file(const char *dir, const char *name, int (*fn)(FILE *, void *), void *ctx);

/* ---- report_json.c */
/* dir/results.json (docs/formats.md "results.json") for r, via a temporary name. */
int rb_report_json_write(const rb_results *r, const rb_audit_provenance *p, const char *dir);

#endif

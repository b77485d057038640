/* report_svg.c - the figure primitives of report.html (report_internal.h): an SVG document written
 * to a stream, text and shapes, axes with round ticks, a colour-blind-safe palette (Okabe-Ito
 * without its yellow) with marker shapes and dash patterns per series, a viridis colour scale for heatmaps, and base64 embedding of a finished
 * SVG into the page as a data: URI. Every coordinate is printed with two decimals, so a figure is a
 * pure function of its numbers. */
#include "report_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The seven Okabe-Ito colours other than yellow (#F0E442, hard to see on white), then Paul Tol's
 * wine as an eighth dark colour. 8 colours, 7 dash patterns and 5 marker shapes: the periods are
 * pairwise coprime, so series i and j get the same (colour, dash, marker) only when i and j differ by
 * a multiple of 280; two series of the same colour (i and i + 8) differ in both dash and marker. */
static const char *const rb_series_colours[RB_PALETTE_N] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                                            "#E69F00", "#56B4E9", "#000000", "#882255"};

static int rb_cycle(int i, int n) { return ((i % n) + n) % n; }

const char *rb_palette(int i) { return rb_series_colours[rb_cycle(i, RB_PALETTE_N)]; }

const char *rb_dash(int i) {
    static const char *const dashes[RB_DASH_N] = {"", "6,3", "2,2", "8,3,2,3", "1,3", "10,4", "4,2,1,2"};
    return dashes[rb_cycle(i, RB_DASH_N)];
}

int rb_marker_shape(int i) { return rb_cycle(i, RB_MARKER_N); }

void rb_svg_marker(FILE *f, int i, double x, double y, double s, const char *colour) {
    switch (rb_marker_shape(i)) {
    case 0: fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\" fill=\"%s\"/>\n", x, y, s, colour); break;
    case 1:
        fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>\n", x - s, y - s, 2 * s,
                2 * s, colour);
        break;
    case 2:
        fprintf(f, "<polygon points=\"%.2f,%.2f %.2f,%.2f %.2f,%.2f\" fill=\"%s\"/>\n", x, y - 1.3 * s, x - 1.2 * s,
                y + s, x + 1.2 * s, y + s, colour);
        break;
    case 3:
        fprintf(f, "<polygon points=\"%.2f,%.2f %.2f,%.2f %.2f,%.2f %.2f,%.2f\" fill=\"%s\"/>\n", x, y - 1.4 * s,
                x + 1.4 * s, y, x, y + 1.4 * s, x - 1.4 * s, y, colour);
        break;
    default: /* triangle pointing down */
        fprintf(f, "<polygon points=\"%.2f,%.2f %.2f,%.2f %.2f,%.2f\" fill=\"%s\"/>\n", x, y + 1.3 * s, x - 1.2 * s,
                y - s, x + 1.2 * s, y - s, colour);
        break;
    }
}

/* viridis at 10 evenly spaced stops */
static const unsigned char rb_viridis[10][3] = {{68, 1, 84},    {72, 40, 120},  {62, 74, 137},  {49, 104, 142},
                                                {38, 130, 142}, {31, 158, 137}, {53, 183, 121}, {109, 205, 89},
                                                {180, 222, 44}, {253, 231, 37}};

void rb_heat_colour(double t, char *buf) {
    if (isnan(t)) {
        snprintf(buf, 8, "#DDDDDD");
        return;
    }
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double pos = t * 9;
    int i = (int)floor(pos);
    if (i >= 9) i = 8;
    double u = pos - i;
    int c[3];
    for (int k = 0; k < 3; k++) c[k] = (int)lround(rb_viridis[i][k] * (1 - u) + rb_viridis[i + 1][k] * u);
    snprintf(buf, 8, "#%02X%02X%02X", c[0], c[1], c[2]);
}

const char *rb_heat_text(double t) { return isnan(t) || t > 0.55 ? "#000000" : "#FFFFFF"; }

void rb_xml_text(FILE *f, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

void rb_svg_begin(FILE *f, double w, double h, const char *title) {
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Arial, Helvetica, sans-serif\">\n<title>",
            w, h, w, h);
    rb_xml_text(f, title);
    fprintf(f, "</title>\n<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#FFFFFF\"/>\n", w, h);
}

void rb_svg_end(FILE *f) { fputs("</svg>\n", f); }

void rb_svg_text(FILE *f, double x, double y, const char *anchor, double size, int bold, double rotate,
                 const char *fill, const char *text) {
    fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\" font-size=\"%.1f\"%s fill=\"%s\"", x, y, anchor, size,
            bold ? " font-weight=\"bold\"" : "", fill ? fill : "#000000");
    if (rotate != 0) fprintf(f, " transform=\"rotate(%.1f %.2f %.2f)\"", rotate, x, y);
    fputc('>', f);
    rb_xml_text(f, text);
    fputs("</text>\n", f);
}

void rb_svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *stroke, double width,
                 const char *dash) {
    fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"%.2f\"", x1, y1,
            x2, y2, stroke, width);
    if (dash && dash[0]) fprintf(f, " stroke-dasharray=\"%s\"", dash);
    fputs("/>\n", f);
}

void rb_svg_rect(FILE *f, double x, double y, double w, double h, const char *fill, const char *stroke) {
    fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"", x, y, w, h, fill);
    if (stroke) fprintf(f, " stroke=\"%s\" stroke-width=\"1\"", stroke);
    fputs("/>\n", f);
}

void rb_svg_polyline(FILE *f, const double *x, const double *y, int n, const char *stroke, double width,
                     const char *dash) {
    int open = 0;
    for (int i = 0; i <= n; i++) {
        int finite = i < n && isfinite(x[i]) && isfinite(y[i]);
        if (finite && !open) {
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%.2f\"%s%s%s points=\"", stroke, width,
                    dash && dash[0] ? " stroke-dasharray=\"" : "", dash && dash[0] ? dash : "",
                    dash && dash[0] ? "\"" : "");
            open = 1;
        }
        if (finite) fprintf(f, "%.2f,%.2f ", x[i], y[i]);
        else if (open) {
            fputs("\"/>\n", f);
            open = 0;
        }
    }
}

double rb_ax_x(const rb_axes *a, double x) { return a->px + (x - a->x0) / (a->x1 - a->x0) * a->pw; }
double rb_ax_y(const rb_axes *a, double y) { return a->py + a->ph - (y - a->y0) / (a->y1 - a->y0) * a->ph; }

static double rb_nice_step(double range, int target) {
    double raw = range / target, mag = pow(10, floor(log10(raw))), r = raw / mag;
    return (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
}

double rb_tick_step(double range) { return rb_nice_step(range, 5); }

void rb_nice_range(double *lo, double *hi) {
    if (!isfinite(*lo) || !isfinite(*hi)) {
        *lo = 0;
        *hi = 1;
        return;
    }
    if (*hi - *lo < 1e-3) {
        *lo -= 0.05;
        *hi += 0.05;
    }
    double step = rb_nice_step(*hi - *lo, 5);
    *lo = floor(*lo / step) * step;
    *hi = ceil(*hi / step) * step;
}

void rb_svg_axes(FILE *f, const rb_axes *a, const int *xticks, int n_xticks, const char *xlabel, const char *ylabel,
                 double font) {
    double step = rb_nice_step(a->y1 - a->y0, 4);
    char lab[32];
    for (double v = ceil(a->y0 / step - 1e-9) * step; v <= a->y1 + 1e-9 * step; v += step) {
        double y = rb_ax_y(a, v);
        rb_svg_line(f, a->px, y, a->px + a->pw, y, "#E3E3E3", 1, NULL);
        snprintf(lab, sizeof lab, step < 0.1 ? "%.2f" : "%.1f", fabs(v) < 1e-12 ? 0.0 : v);
        rb_svg_text(f, a->px - 4, y + font * 0.35, "end", font, 0, 0, "#333333", lab);
    }
    for (int i = 0; i < n_xticks; i++) {
        double x = rb_ax_x(a, xticks[i]);
        rb_svg_line(f, x, a->py + a->ph, x, a->py + a->ph + 4, "#333333", 1, NULL);
        snprintf(lab, sizeof lab, "%d", xticks[i]);
        rb_svg_text(f, x, a->py + a->ph + 4 + font, "middle", font, 0, 0, "#333333", lab);
    }
    fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" stroke=\"#333333\" "
               "stroke-width=\"1\"/>\n",
            a->px, a->py, a->pw, a->ph);
    if (xlabel && xlabel[0])
        rb_svg_text(f, a->px + a->pw / 2, a->py + a->ph + 6 + 2 * font, "middle", font, 0, 0, "#333333", xlabel);
    if (ylabel && ylabel[0])
        rb_svg_text(f, a->px - 3.2 * font, a->py + a->ph / 2, "middle", font, 0, -90, "#333333", ylabel);
}

void rb_html_img_svg(FILE *f, const char *svg, size_t len, const char *alt, const char *id) {
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    fputs("<img class=\"fig\"", f);
    if (id) fprintf(f, " id=\"%s\"", id);
    fputs(" alt=\"", f);
    rb_xml_text(f, alt);
    fputs("\" src=\"data:image/svg+xml;base64,", f);
    const unsigned char *s = (const unsigned char *)svg;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < len ? (unsigned)s[i + 1] << 8 : 0) | (i + 2 < len ? s[i + 2] : 0);
        fputc(b64[v >> 18 & 63], f);
        fputc(b64[v >> 12 & 63], f);
        fputc(i + 1 < len ? b64[v >> 6 & 63] : '=', f);
        fputc(i + 2 < len ? b64[v & 63] : '=', f);
    }
    fputs("\">\n", f);
}

/* plots.c - the figures of `robusta report` (rb_results.h): one gnuplot script,
 * <dir>/plots/plots.gp, with the numbers inline as data blocks (so it can be edited and rerun by
 * hand), run once by fork + exec with its exit status checked. Per dataset and corruption: AP versus
 * severity (one line per method, the method's clean AP dashed) and the mean dynamic weights versus
 * severity (visual, audio; clean weights dashed), as PNG and SVG in <dir>/plots/<dataset>/.
 * gnuplot runs shell commands from a line starting with '!' (and its system command), so every name put into
 * the script goes through rb_gnuplot_string, which refuses any control character: a name can never
 * end a line of the script. */
#include "rb_core.h"
#include "rb_results.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int rb_report_have_gnuplot(const char *gnuplot) {
    if (!gnuplot) gnuplot = "gnuplot";
    if (strchr(gnuplot, '/')) return access(gnuplot, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path) return 0;
    char buf[4096];
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        snprintf(buf, sizeof buf, "%.*s/%s", (int)(n ? n : 1), n ? p : ".", gnuplot);
        if (access(buf, X_OK) == 0) return 1;
        p += n;
        if (*p == ':') p++;
    }
    return 0;
}

/* Run gnuplot with args in directory cwd, stdout and stderr to log. Returns the exit status, or -1. */
static int rb_run(const char *gnuplot, char *const args[], const char *cwd, const char *log) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        /* the log is created afresh, never through a symbolic link planted at its name */
        unlink(log);
        int fd = open(log, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        if (cwd && chdir(cwd) != 0) _exit(126);
        execvp(gnuplot, args);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return -1;
}

/* gnuplot opens its outputs itself (following links): remove whatever stands at plots/stem.png and
 * .svg first, so a symbolic link planted there is replaced by a new file, never written through. */
static void rb_clear_outputs(const char *plots, const char *stem) {
    static const char *const ext[2] = {"png", "svg"};
    for (int i = 0; i < 2; i++) {
        char path[4800];
        snprintf(path, sizeof path, "%s/%s.%s", plots, stem, ext[i]);
        unlink(path);
    }
}

/* A file-name-safe copy of a name. */
static void rb_safe_name(const char *s, char *buf, size_t cap) {
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                 c == '+' || c == '_';
        buf[i] = ok ? c : '_';
    }
    buf[i] = '\0';
}

/* A name may go into the script only without control characters (none can end a script line). */
static int rb_gp_check(const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return rb_fail("plots: refusing to put a name with a control character (byte 0x%02x) into the gnuplot "
                           "script", *p);
    return RB_OK;
}

int rb_gnuplot_string(FILE *f, const char *s) {
    RB_TRY(rb_gp_check(s));
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
    return RB_OK;
}

static void rb_gp_num(FILE *f, double v) {
    if (isnan(v)) fputs(" nan", f);
    else fprintf(f, " %.17g", v);
}

/* Emit the same plot to PNG and SVG: settings and plot command in body. */
static int rb_gp_outputs(FILE *f, const char *png_term, const char *stem, const char *body) {
    fprintf(f, "set terminal %s noenhanced size 900,560\nset output ", png_term);
    char path[1200];
    snprintf(path, sizeof path, "%s.png", stem);
    RB_TRY(rb_gnuplot_string(f, path));
    fprintf(f, "\n%sset terminal svg noenhanced size 900,560\nset output ", body);
    snprintf(path, sizeof path, "%s.svg", stem);
    RB_TRY(rb_gnuplot_string(f, path));
    fprintf(f, "\n%sunset output\n\n", body);
    return RB_OK;
}

static void rb_gp_xrange(FILE *f, const rb_report_row *row) {
    fprintf(f, "set xrange [%g:%g]\nset xtics 1\nset xlabel \"severity\"\n", row->severity[0] - 0.25,
            row->severity[row->n_sev - 1] + 0.25);
}

/* Plot body into a memory buffer (so the PNG and SVG passes share it). */
static int rb_ap_plot(FILE *f, const rb_results *r, const rb_report_dataset *d, const rb_report_row *row, int id,
                      const char *png_term, const char *stem) {
    fprintf(f, "$ap%d << EOD\n# severity", id);
    for (int m = 0; m < r->n_methods; m++) {
        RB_TRY(rb_gp_check(r->methods[m]));
        fprintf(f, " %s", r->methods[m]);
    }
    fputc('\n', f);
    for (int j = 0; j < row->n_sev; j++) {
        fprintf(f, "%d", row->severity[j]);
        for (int m = 0; m < r->n_methods; m++) {
            double mean, sd;
            rb_results_mean_sd(r, r->ap, row->cond[j], m, &mean, &sd);
            rb_gp_num(f, mean);
        }
        fputc('\n', f);
    }
    fprintf(f, "EOD\n");
    char *body = NULL;
    size_t len = 0;
    FILE *b = open_memstream(&body, &len);
    if (!b) return rb_fail("out of memory writing the plot script");
    fprintf(b, "set title ");
    char title[512];
    snprintf(title, sizeof title, "%s: %s %s - XD-Violence AP (trapezoid; dashed: clean AP)", d->dataset, row->modality,
             row->corruption);
    int rc = rb_gnuplot_string(b, title);
    fprintf(b, "\nset ylabel \"AP (ap)\"\nset yrange [*:*]\n");
    rb_gp_xrange(b, row);
    fprintf(b, "plot");
    for (int m = 0; m < r->n_methods; m++) {
        fprintf(b, "%s $ap%d using 1:%d with linespoints lw 2 lc %d title ", m ? "," : "", id, m + 2, m + 1);
        if (rc == RB_OK) rc = rb_gnuplot_string(b, r->methods[m]);
        double clean = NAN, sd;
        if (d->clean >= 0) rb_results_mean_sd(r, r->ap, d->clean, m, &clean, &sd);
        if (!isnan(clean)) fprintf(b, ", %.17g with lines dt 2 lc %d notitle", clean, m + 1);
    }
    fprintf(b, "\n");
    fclose(b);
    if (rc == RB_OK) rc = rb_gp_outputs(f, png_term, stem, body);
    free(body);
    return rc;
}

static int rb_weight_plot(FILE *f, const rb_results *r, const rb_report_dataset *d, const rb_report_row *row, int id,
                          const char *png_term, const char *stem) {
    fprintf(f, "$w%d << EOD\n# severity weight_visual weight_audio\n", id);
    for (int j = 0; j < row->n_sev; j++) {
        fprintf(f, "%d", row->severity[j]);
        rb_gp_num(f, r->conds[row->cond[j]].weight[0]);
        rb_gp_num(f, r->conds[row->cond[j]].weight[1]);
        fputc('\n', f);
    }
    fprintf(f, "EOD\n");
    char *body = NULL;
    size_t len = 0;
    FILE *b = open_memstream(&body, &len);
    if (!b) return rb_fail("out of memory writing the plot script");
    char title[512];
    snprintf(title, sizeof title, "%s: %s %s - mean dynamic weight (dashed: clean)", d->dataset, row->modality,
             row->corruption);
    fprintf(b, "set title ");
    int rc = rb_gnuplot_string(b, title);
    fprintf(b, "\nset ylabel \"weight\"\nset yrange [0:1.05]\n");
    rb_gp_xrange(b, row);
    fprintf(b, "plot $w%d using 1:2 with linespoints lw 2 lc 1 title \"visual\", $w%d using 1:3 with linespoints lw 2 lc 2 "
               "title \"audio\"", id, id);
    if (d->clean >= 0)
        for (int k = 0; k < 2; k++)
            if (!isnan(r->conds[d->clean].weight[k]))
                fprintf(b, ", %.17g with lines dt 2 lc %d notitle", r->conds[d->clean].weight[k], k + 1);
    fprintf(b, "\n");
    fclose(b);
    if (rc == RB_OK) rc = rb_gp_outputs(f, png_term, stem, body);
    free(body);
    return rc;
}

/* The first line of the log that mentions an error (or its first line). */
static void rb_log_excerpt(const char *log, char *buf, size_t cap) {
    buf[0] = '\0';
    FILE *f = fopen(log, "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!buf[0] && line[0]) snprintf(buf, cap, "%s", line);
        if (strstr(line, "rror") || strstr(line, "line ")) {
            snprintf(buf, cap, "%s", line);
            break;
        }
    }
    fclose(f);
}

int rb_report_plots(const rb_results *r, const char *dir, const char *gnuplot) {
    if (!gnuplot) gnuplot = "gnuplot";
    char plots[4096], script[4200], log[4200];
    snprintf(plots, sizeof plots, "%s/plots", dir);
    RB_TRY(rb_mkdir_p(dir));
    RB_TRY(rb_mkdir_real(plots)); /* never a planted link to elsewhere */
    snprintf(script, sizeof script, "%s/plots.gp", plots);
    snprintf(log, sizeof log, "%s/gnuplot.log", plots);
    /* pngcairo when this gnuplot has it (Debian gnuplot-nox does), else the libgd png terminal */
    char *probe[] = {(char *)gnuplot, "-e", "set terminal pngcairo", NULL};
    const char *png_term = rb_run(gnuplot, probe, NULL, log) == 0 ? "pngcairo" : "png";

    rb_report_dataset *ds;
    int n_ds;
    RB_TRY(rb_report_layout(r, &ds, &n_ds));
    /* the script is built in memory, then written atomically (rb_write_bytes_atomic) */
    char *script_text = NULL;
    size_t script_len = 0;
    FILE *f = open_memstream(&script_text, &script_len);
    int rc = f ? RB_OK : rb_fail("%s: out of memory building it", script);
    if (f) fprintf(f, "# plots.gp - written by robusta report; rerun with: cd %s && gnuplot plots.gp\n"
                      "set datafile missing \"nan\"\nset key outside right top\nset grid\n\n", "<dir>/plots");
    int id = 0;
    for (int i = 0; rc == RB_OK && i < n_ds; i++) {
        char sub[4200], dsname[96];
        rb_safe_name(ds[i].dataset, dsname, sizeof dsname);
        snprintf(sub, sizeof sub, "%s/%s", plots, dsname);
        rc = rb_mkdir_real(sub);
        for (int k = 0; rc == RB_OK && k < ds[i].n_rows; k++) {
            const rb_report_row *row = &ds[i].rows[k];
            if (row->group == RB_GROUP_MISSING || row->n_sev < 1) continue;
            char name[96], stem[400];
            rb_safe_name(row->corruption, name, sizeof name);
            snprintf(stem, sizeof stem, "%s/%s.%s.ap", dsname, row->modality, name);
            rb_clear_outputs(plots, stem);
            rc = rb_ap_plot(f, r, &ds[i], row, id, png_term, stem);
            snprintf(stem, sizeof stem, "%s/%s.%s.weight", dsname, row->modality, name);
            rb_clear_outputs(plots, stem);
            if (rc == RB_OK) rc = rb_weight_plot(f, r, &ds[i], row, id, png_term, stem);
            id++;
        }
    }
    rb_report_layout_free(ds, n_ds);
    if (f) {
        if (ferror(f) && rc == RB_OK) rc = rb_fail("%s: out of memory building it", script);
        if (fclose(f) != 0 && rc == RB_OK) rc = rb_fail("%s: out of memory building it", script);
        if (rc == RB_OK) rc = rb_write_bytes_atomic(script, script_text, script_len);
        free(script_text);
    }
    if (rc != RB_OK) return rb_context("writing the plots");
    char *args[] = {(char *)gnuplot, "plots.gp", NULL};
    int st = rb_run(gnuplot, args, plots, log);
    if (st != 0) {
        char excerpt[512];
        rb_log_excerpt(log, excerpt, sizeof excerpt);
        if (st == 127) return rb_fail("plots: cannot run %s (not installed?)", gnuplot);
        return rb_fail("plots: %s %s failed (exit status %d): %s (full output: %s)", gnuplot, script, st,
                       excerpt[0] ? excerpt : "no output", log);
    }
    remove(log);
    return RB_OK;
}

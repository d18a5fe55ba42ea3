/* The only code that talks to gnuplot. */
#include "plot.h"
#include "../common/quantile.h"
#include "../common/buf.h"
#include "../common/err.h"
#include "../common/proc.h"
#include "../common/xmalloc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

/* One colour per engine, the same in every chart and every report: the
 * engines hotpath ships have their own (a language a hue family, a light
 * and a dark shade for the plain and the parallel variant); any other name
 * is hashed onto the rest of the palette. */
static const char *const palette[PLOT_COLORS] = {
    "#A0CBE8", "#4E79A7", "#FFBE7D", "#F28E2B", "#D4A6C8", "#9D7660", "#B07AA1",
    "#8CD17D", "#59A14F", "#499894",
    "#E15759", "#F1CE63", "#FF9D9A", "#79706E", "#B6992D", "#D37295", "#86BCB6", "#BAB0AC"};
static const char *const known_engines[] = {
    "c-scalar", "c-threads", "python-loop", "python-numpy", "python-polars", "python-duckdb",
    "rust-polars", "rust-scalar", "rust-rayon", "rust-native"};
#define NKNOWN (int)(sizeof known_engines / sizeof known_engines[0])

int plot_engine_color(const char *engine)
{
    for (int i = 0; i < NKNOWN; i++)
        if (!strcmp(engine, known_engines[i]))
            return i + 1;
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)engine; *p; p++)
        h = (h ^ *p) * 16777619u;
    return NKNOWN + 1 + (int)(h % (uint32_t)(PLOT_COLORS - NKNOWN));
}

const char *plot_color_hex(int color)
{
    return palette[(color - 1 + PLOT_COLORS) % PLOT_COLORS];
}

/* Log-scale tics in plain units: 1 ms, 10 ms, 1 s (unit 's') or 0.1x, 1x,
 * 10x (unit 'x'), with 2 and 5 between decades when the range is short. */
static void log_tics(struct buf *b, double lo, double hi, char unit)
{
    if (!(lo > 0) || !(hi > lo))
        return;
    int d0 = (int)floor(log10(lo)), d1 = (int)ceil(log10(hi));
    int fine = d1 - d0 <= 2;
    buf_puts(b, "set ytics (");
    int first = 1;
    for (int d = d0; d <= d1; d++)
        for (int m = 1; m <= 5; m += m == 1 ? 1 : 3) {
            if (!fine && m != 1)
                continue;
            double v = m * pow(10, d);
            if (v < lo * 0.999 || v > hi * 1.001)
                continue;
            char label[32];
            if (unit == 'x')
                snprintf(label, sizeof label, "%gx", v);
            else if (v < 1e-3)
                snprintf(label, sizeof label, "%g µs", v * 1e6);
            else if (v < 1)
                snprintf(label, sizeof label, "%g ms", v * 1e3);
            else
                snprintf(label, sizeof label, "%g s", v);
            buf_printf(b, "%s'%s' %.17g", first ? "" : ", ", label, v);
            first = 0;
        }
    buf_puts(b, ")\n");
}

char *plot_text(const char *s)
{
    char *t = xstrdup(s ? s : "");
    for (char *p = t; *p; p++)
        if (*p == '\t' || *p == '\n' || *p == '\r')
            *p = ' ';
    return t;
}

static void put_text(struct buf *b, const char *s)
{
    char *t = plot_text(s);
    buf_puts(b, t);
    free(t);
}

static int write_file(const char *dir, const char *name, const char *ext, const struct buf *b,
                      struct err *e)
{
    char *path = xasprintf("%s/%s.%s", dir, name, ext);
    FILE *f = fopen(path, "w");
    int rc = 0;
    if (!f || fwrite(b->data ? b->data : "", 1, b->len, f) != b->len || fclose(f) != 0)
        rc = err_set(e, 1, "%s: cannot write: %s", path, strerror(errno));
    free(path);
    return rc;
}

/* The script's head: styles shared by every chart. */
static void preamble(struct buf *s, const struct plot_chart *c)
{
    buf_printf(s, "# hotpath chart: rerun with `gnuplot %s.gp` in this folder.\n"
                  "set datafile separator '\\t'\n"
                  "set encoding utf8\n"
                  "set border 3 lc rgb '#444444'\n"
                  "set tics nomirror\n"
                  "set grid ytics lc rgb '#dddddd' lt 1\n"
                  "set key off\n", c->name);
    for (int i = 0; i < PLOT_COLORS; i++)
        buf_printf(s, "set linetype %d lc rgb '%s' lw 2 pt 7\n", i + 1, palette[i]);
    /* Titles and axis labels are ours (task names, fixed words). */
    buf_printf(s, "set title '%s' font ',13'\n", c->title);
    if (c->xlabel)
        buf_printf(s, "set xlabel '%s'\n", c->xlabel);
    buf_printf(s, "set ylabel '%s'\n", c->ylabel);
    if (c->logy)
        buf_printf(s, "set logscale y\n");
}

/* The whole chart (settings and plot) once per format, each from a reset. */
static void outputs(struct buf *s, const struct plot_chart *c, const char *body)
{
    if (c->formats & PLOT_SVG)
        buf_printf(s, "reset\nset terminal svg noenhanced size 960,540 font 'Arial,12' "
                      "background '#ffffff'\nset output '%s.svg'\n%s\nunset output\n",
                   c->name, body);
    if (c->formats & PLOT_PNG)
        buf_printf(s, "reset\nset terminal pngcairo noenhanced size 1280,720 font 'Arial,12'\n"
                      "set output '%s.png'\n%s\nunset output\n", c->name, body);
}

/* Category names under the x axis. gnuplot's xtic() cuts a data string at
 * a double quote, so names are drawn as labels in a panel of their own,
 * which shows them exactly as they are. */
static void name_panel(struct buf *b, const char *name, int index, int col, double xmin,
                       double xmax)
{
    buf_printf(b, "unset title\nunset xlabel\nunset ylabel\nunset logscale\nunset border\n"
                  "unset tics\nunset grid\nunset arrow\nset xrange [%g:%g]\n"
                  "set yrange [0:1]\nset tmargin at screen 0.24\nset bmargin at screen 0\n"
                  "plot '%s.dat' index %d using 1:(0.96):%d with labels rotate by 30 right "
                  "font ',11'\nunset multiplot\n", xmin, xmax,
               name, index, col);
}

static const char multiplot_head[] =
    "set multiplot\nset lmargin at screen 0.09\nset rmargin at screen 0.97\n"
    "set tmargin at screen 0.92\nset bmargin at screen 0.26\nset format x ''\n";

/* gnuplot reads the script on stdin, in the chart's folder; no shell. */
static int run_gnuplot(const struct plot_chart *c, const struct buf *script, struct err *e)
{
    if (write_file(c->dir, c->name, "gp", script, e) < 0)
        return -1;
    char *argv[] = {"gnuplot", NULL};
    struct proc_opts o = {.argv = argv, .dir = c->dir, .timeout_s = 60, .grace_s = 1,
                          .out_cap = 4096, .err_cap = 8192, .in = script->data};
    struct proc_result r;
    if (proc_run(&o, &r, e) < 0)
        return -1;
    int rc = 0;
    if (r.exec_errno)
        rc = err_set(e, 1, "cannot run gnuplot: %s (install gnuplot-nox)",
                     strerror(r.exec_errno));
    else if (!r.exited || r.exit_code != 0)
        rc = err_set(e, 1, "gnuplot failed on %s/%s.gp: %.300s", c->dir, c->name, r.err.data);
    proc_result_free(&r);
    return rc;
}

/* Writes the data file and the script (the chart once per format), runs
 * gnuplot on it, and frees both buffers. */
static int render(const struct plot_chart *c, struct buf *data, struct buf *body, struct err *e)
{
    struct buf script;
    buf_init(&script, REPORT_TEXT_MAX);
    outputs(&script, c, body->data);
    int rc = write_file(c->dir, c->name, "dat", data, e);
    if (rc == 0)
        rc = run_gnuplot(c, &script, e);
    buf_free(&script);
    buf_free(body);
    buf_free(data);
    return rc;
}

int plot_bars(const struct plot_chart *c, const struct plot_bar *bars, size_t n, struct err *e)
{
    struct buf d;
    buf_init(&d, REPORT_TEXT_MAX);
    double ymax = 0, ymin = INFINITY, x = 0;
    double *center = xcalloc(n + 1, sizeof *center);
    const char **cname = xcalloc(n + 1, sizeof *cname);
    size_t nc = 0;
    double first = 1;
    buf_puts(&d, "# x\ty\tlo\thi\tcolor\ttext\n");
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || strcmp(bars[i].cluster, bars[i - 1].cluster) != 0) {
            if (i > 0) {
                center[nc - 1] = (first + x) / 2;
                x += 1;     /* a gap between clusters */
            }
            first = x + 1;
            cname[nc++] = bars[i].cluster;
        }
        x += 1;
        const struct plot_bar *b = &bars[i];
        double top = b->hi > b->y ? b->hi : b->y;
        ymax = top > ymax ? top : ymax;
        ymin = b->y > 0 && b->y < ymin ? b->y : ymin;
        ymin = b->lo > 0 && b->lo < ymin ? b->lo : ymin;
        buf_printf(&d, "%g\t%.9g\t%.9g\t%.9g\t%d\t", x, b->y, b->lo >= 0 ? b->lo : b->y,
                   b->hi >= 0 ? b->hi : b->y, b->color);
        put_text(&d, b->text ? b->text : "");
        buf_puts(&d, "\n");
    }
    if (nc)
        center[nc - 1] = (first + x) / 2;
    if (!isfinite(ymin))
        ymin = 1e-3;
    if (ymax <= 0)
        ymax = 1;
    double label_y = c->logy ? ymax * 2.5 : ymax * 1.12;
    double top = c->logy ? ymax * 6 : ymax * 1.25, bottom = c->logy ? ymin / 2 : 0;
    if (c->ref_line > 0 && c->logy) {
        bottom = c->ref_line / 2 < bottom ? c->ref_line / 2 : bottom;
        top = c->ref_line * 2 > top ? c->ref_line * 2 : top;
    }
    /* Index 1: one label per cluster, above its bars. */
    buf_puts(&d, "\n\n# x\ty\tcluster\n");
    for (size_t k = 0; k < nc; k++) {
        buf_printf(&d, "%g\t%.9g\t", center[k], label_y);
        put_text(&d, cname[k]);
        buf_puts(&d, "\n");
    }
    /* Index 2: each bar's name. A name is always the last field of its
     * line: gnuplot reads a double quote in a field as the start of a
     * quoted string running to the end of the line. */
    buf_puts(&d, "\n\n# x\tname\n");
    {
        double xx = 0;
        for (size_t i = 0; i < n; i++) {
            if (i > 0 && strcmp(bars[i].cluster, bars[i - 1].cluster) != 0)
                xx += 1;
            xx += 1;
            buf_printf(&d, "%g\t", xx);
            put_text(&d, bars[i].label);
            buf_puts(&d, "\n");
        }
    }
    free(center);
    free(cname);
    struct buf body;
    buf_init(&body, REPORT_TEXT_MAX);
    preamble(&body, c);
    buf_puts(&body, multiplot_head);
    buf_printf(&body, "set xrange [0:%g]\nset yrange [%.9g:%.9g]\n", x + 1, bottom, top);
    if (c->logy)
        log_tics(&body, bottom, top, c->yunit ? c->yunit : 's');
    buf_puts(&body, "set xtics scale 0\nset style fill solid 0.85 border -1\n"
                    "set boxwidth 0.8\n");
    char above[64], ref[128] = "";
    if (c->logy)
        snprintf(above, sizeof above, "$2 * 1.35");
    else
        snprintf(above, sizeof above, "$2 + %.9g", (top - bottom) * 0.03);
    if (c->ref_line > 0)
        snprintf(ref, sizeof ref, ", \\\n     %g with lines dt 2 lc rgb '#aa0000' lw 1.5",
                 c->ref_line);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "plot '%s.dat' index 0 using 1:2:5 with boxes lc variable, \\\n"
             "     '' index 0 using 1:3:(0):($4 - $3) with vectors heads size 0.08,90 "
             "lc rgb '#222222' lw 1, \\\n"
             "     '' index 0 using 1:(%s):6 with labels font ',10', \\\n"
             "     '' index 1 using 1:2:3 with labels font ',12'%s",
             c->name, above, ref);
    buf_puts(&body, cmd);
    buf_puts(&body, "\n");
    name_panel(&body, c->name, 2, 2, 0, x + 1);
    return render(c, &d, &body, e);
}


/* The y range of every series, padded, with plain-unit tics. */
static void series_yrange(struct buf *b, const struct plot_chart *c,
                          const struct plot_series *ser, size_t n)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < ser[i].n; k++)
            if (ser[i].y[k] > 0) {
                lo = ser[i].y[k] < lo ? ser[i].y[k] : lo;
                hi = ser[i].y[k] > hi ? ser[i].y[k] : hi;
            }
    if (!c->logy || !isfinite(lo))
        return;
    if (hi <= lo * 1.01)
        lo /= 1.5, hi *= 1.5;
    lo /= 1.25;
    hi *= 1.25;
    buf_printf(b, "set yrange [%.17g:%.17g]\n", lo, hi);
    log_tics(b, lo, hi, c->yunit ? c->yunit : 's');
}

int plot_boxes(const struct plot_chart *c, const struct plot_series *ser, size_t n,
               struct err *e)
{
    struct buf d;
    buf_init(&d, REPORT_TEXT_MAX);
    /* Index 0: the boxes, computed here so any number of runs draws one. */
    buf_puts(&d, "# x\tp25\tmin\tmax\tp75\tmedian\tcolor\n");
    for (size_t i = 0; i < n; i++) {
        if (ser[i].n == 0)
            continue;
        double *v = xmalloc(ser[i].n * sizeof *v);
        memcpy(v, ser[i].y, ser[i].n * sizeof *v);
        qsort(v, ser[i].n, sizeof *v, quantile_cmp);
        buf_printf(&d, "%zu\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\t%d\n", i + 1,
                   quantile_sorted(v, ser[i].n, 0.25), v[0], v[ser[i].n - 1],
                   quantile_sorted(v, ser[i].n, 0.75), quantile_sorted(v, ser[i].n, 0.5), ser[i].color);
        free(v);
    }
    /* Index 1: every run, jittered sideways so equal times stay visible. */
    buf_puts(&d, "\n\n# x (jittered)\tseconds\tcolor\n");
    uint64_t seed = 1;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < ser[i].n; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            double jitter = ((double)(seed >> 11) / 9007199254740992.0 - 0.5) * 0.3;
            buf_printf(&d, "%.4f\t%.9g\t%d\n", (double)(i + 1) + jitter, ser[i].y[k],
                       ser[i].color);
        }
    }
    /* Index 2: names, each the last field of its line (see plot_bars). */
    buf_puts(&d, "\n\n# x\tname\n");
    for (size_t i = 0; i < n; i++) {
        buf_printf(&d, "%zu\t", i + 1);
        put_text(&d, ser[i].label);
        buf_puts(&d, "\n");
    }
    struct buf body;
    buf_init(&body, REPORT_TEXT_MAX);
    preamble(&body, c);
    series_yrange(&body, c, ser, n);
    buf_puts(&body, multiplot_head);
    buf_printf(&body, "set xrange [0.4:%zu.6]\nset xtics scale 0\n"
                      "set style fill solid 0.25 border -1\nset boxwidth 0.6\n", n);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "plot '%s.dat' index 0 using 1:2:3:4:5:7 with candlesticks lc variable "
             "whiskerbars 0.5, \\\n"
             "     '' index 0 using 1:6:6:6:6 with candlesticks lt -1 lw 2, \\\n"
             "     '' index 1 using 1:2:3 with points lc variable pt 7 ps 0.6", c->name);
    buf_puts(&body, cmd);
    buf_puts(&body, "\n");
    name_panel(&body, c->name, 2, 2, 0.4, (double)n + 0.6);
    return render(c, &d, &body, e);
}

int plot_lines(const struct plot_chart *c, const struct plot_series *ser, size_t n,
               struct err *e)
{
    struct buf d;
    buf_init(&d, REPORT_TEXT_MAX);
    buf_puts(&d, "# one block per series: x\ty\n");
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_puts(&d, "\n\n");
        for (size_t k = 0; k < ser[i].n; k++)
            buf_printf(&d, "%.17g\t%.9g\n", ser[i].x[k], ser[i].y[k]);
    }
    buf_puts(&d, "\n\n# labels at each series' last point: x\ty\tlabel\n");
    for (size_t i = 0; i < n; i++) {
        if (ser[i].n == 0)
            continue;
        buf_printf(&d, "%.17g\t%.9g\t", ser[i].x[ser[i].n - 1], ser[i].y[ser[i].n - 1]);
        put_text(&d, ser[i].label);
        buf_puts(&d, "\n");
    }
    struct buf body;
    buf_init(&body, REPORT_TEXT_MAX);
    preamble(&body, c);
    series_yrange(&body, c, ser, n);
    if (c->xtime) {
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < ser[i].n; k++) {
                lo = ser[i].x[k] < lo ? ser[i].x[k] : lo;
                hi = ser[i].x[k] > hi ? ser[i].x[k] : hi;
            }
        double pad = hi > lo ? (hi - lo) * 0.05 : 3600;
        buf_printf(&body, "set xdata time\nset timefmt '%%s'\nset format x \"%%Y-%%m-%%d\\n%%H:%%M\"\n"
                       "set xrange ['%.0f':'%.0f']\nset xtics rotate by 30 right\n"
                       "set bmargin 6\n", lo - pad, hi + (hi - lo) * 0.35 + pad * 2);
    }
    else
        buf_puts(&body, "set logscale x 2\nset offsets graph 0.05, graph 0.35, graph 0.05, "
                     "graph 0.05\nset xtics ()\n");
    if (!c->xtime) {
        /* tics at every thread count used */
        double seen[64];
        int ns = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < ser[i].n; k++) {
                int dup = 0;
                for (int j = 0; j < ns; j++)
                    dup |= seen[j] == ser[i].x[k];
                if (!dup && ns < 64)
                    seen[ns++] = ser[i].x[k];
            }
        for (int j = 0; j < ns; j++)
            buf_printf(&body, "set xtics add ('%g' %g)\n", seen[j], seen[j]);
    }
    struct buf cmd;
    buf_init(&cmd, REPORT_TEXT_MAX);
    buf_printf(&cmd, "plot '%s.dat' index %zu using 1:2:3 with labels left offset 1,0 "
                     "font ',10' notitle", c->name, n);
    for (size_t i = 0; i < n; i++)
        buf_printf(&cmd, ", \\\n     '' index %zu using 1:2 with linespoints lt %d", i,
                   ser[i].color);
    buf_puts(&body, cmd.data);
    buf_free(&cmd);
    return render(c, &d, &body, e);
}

int plot_stacked(const struct plot_chart *c, const char *const *parts, int nparts,
                 const struct plot_stack *rows, size_t n, struct err *e)
{
    if (nparts > PLOT_PARTS)
        nparts = PLOT_PARTS;
    struct buf d;
    buf_init(&d, REPORT_TEXT_MAX);
    /* Index 0: x, then each part's top (the sum of it and those below). */
    buf_puts(&d, "# x\tcumulative percent of each part\n");
    for (size_t i = 0; i < n; i++) {
        buf_printf(&d, "%zu", i + 1);
        double sum = 0;
        for (int k = 0; k < nparts; k++) {
            double v = rows[i].share[k];
            sum += isfinite(v) && v > 0 ? v : 0;
            buf_printf(&d, "\t%.6g", 100 * sum);
        }
        buf_puts(&d, "\n");
    }
    /* Index 1: each bar's name, last on its line (see plot_bars). */
    buf_puts(&d, "\n\n# x\tname\n");
    for (size_t i = 0; i < n; i++) {
        buf_printf(&d, "%zu\t", i + 1);
        put_text(&d, rows[i].label);
        buf_puts(&d, "\n");
    }
    struct buf body;
    buf_init(&body, REPORT_TEXT_MAX);
    preamble(&body, c);
    buf_puts(&body, multiplot_head);
    buf_printf(&body, "set xrange [0:%zu]\nset yrange [0:100]\nset xtics scale 0\n"
                      "set style fill solid 0.9 border -1\nset boxwidth 0.7\n"
                      "set rmargin at screen 0.78\n"
                      "set key outside right top vertical font ',10'\n", n + 1);
    /* the tallest (all parts) first, each next one drawn over it */
    buf_puts(&body, "plot ");
    for (int k = nparts - 1; k >= 0; k--)
        buf_printf(&body, "%s'%s.dat' index 0 using 1:%d with boxes lt %d title '%s'",
                   k == nparts - 1 ? "" : ", \\\n     ", c->name, k + 2, k % 8 + 1, parts[k]);
    buf_puts(&body, "\nunset key\n");
    name_panel(&body, c->name, 1, 2, 0, (double)n + 1);
    return render(c, &d, &body, e);
}

/* hotpath report: the store's view of one sweep as charts and documents. */
#include "report.h"
#include "plot.h"
#include "../common/buf.h"
#include "../common/err.h"
#include "../common/xmalloc.h"
#include "../controller/stats.h"
#include "../store/store.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const task_names[] = {"numeric", "groupby", "join", "sessionize",
                                         "stream-score"};

struct ctx {
    struct store *st;
    int64_t sweep;
    const char *uuid;
    const struct report_opts *o;
    json_t *medians, *speedups, *runs, *history, *scaling, *hosts, *datasets, *problems, *sweep_row;
    json_t *warnings;       /* v_warnings: the conditions that change how a cell reads */
    json_t *spread;         /* versions that differ between the hosts */
    json_t *engines;        /* names, in colour order */
    json_t *baselines;      /* {task: baseline engine} */
    int nhosts;
    struct buf html, md;
    int charts;
    struct plot_batch *batch;   /* every chart, drawn together before the pages are written */
    struct figure {
        char *name;
        size_t at;              /* where in html its SVG goes */
    } *figures;
    size_t nfigures;
};

static const char *js(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static double num_of(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}


/* The warnings of a cell, as " [!kind,kind]" for its label; "" if none. */
static char *cell_flag(struct ctx *c, json_t *row)
{
    struct buf b;
    buf_init(&b, REPORT_TEXT_MAX);
    size_t i;
    json_t *w;
    json_array_foreach(c->warnings, i, w)
        if (!strcmp(js(w, "host"), js(row, "host")) && !strcmp(js(w, "task"), js(row, "task")) &&
            !strcmp(js(w, "engine"), js(row, "engine")) &&
            json_equal(json_object_get(w, "threads"), json_object_get(row, "threads")))
            buf_printf(&b, "%s%s", b.len ? "," : " [!", js(w, "kind"));
    if (b.len)
        buf_puts(&b, "]");
    else
        buf_add(&b, "", 0);
    return buf_detach(&b);
}

static int same_cell(json_t *a, json_t *b);
static void free_cells(char **cells, size_t n);
static void table(struct ctx *c, const char *const *head, int ncol, char **cells, size_t nrows);
static void para(struct ctx *c, const char *text);

static void html_esc(struct buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '&': buf_puts(b, "&amp;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        case '\'': buf_puts(b, "&#39;"); break;
        default: buf_add(b, s, 1);
        }
    }
}

static void md_esc(struct buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '|' || *s == '\\' || *s == '`' || *s == '*' || *s == '_' || *s == '<' ||
            *s == '[' || *s == ']')
            buf_printf(b, "\\%c", *s);
        else if (*s == '\n' || *s == '\r' || *s == '\t')
            buf_puts(b, " ");
        else
            buf_add(b, s, 1);
    }
}

/* A table in both documents at once. cells: row-major, ncol per row. */
static void table(struct ctx *c, const char *const *head, int ncol, char **cells, size_t nrows)
{
    buf_puts(&c->html, "<table><thead><tr>");
    buf_puts(&c->md, "\n|");
    for (int k = 0; k < ncol; k++) {
        buf_puts(&c->html, "<th>");
        html_esc(&c->html, head[k]);
        buf_puts(&c->html, "</th>");
        buf_puts(&c->md, " ");
        md_esc(&c->md, head[k]);
        buf_puts(&c->md, " |");
    }
    buf_puts(&c->html, "</tr></thead><tbody>\n");
    buf_puts(&c->md, "\n|");
    for (int k = 0; k < ncol; k++)
        buf_puts(&c->md, " --- |");
    buf_puts(&c->md, "\n");
    for (size_t r = 0; r < nrows; r++) {
        buf_puts(&c->html, "<tr>");
        buf_puts(&c->md, "|");
        for (int k = 0; k < ncol; k++) {
            const char *v = cells[r * (size_t)ncol + (size_t)k];
            buf_puts(&c->html, "<td>");
            html_esc(&c->html, v);
            buf_puts(&c->html, "</td>");
            buf_puts(&c->md, " ");
            md_esc(&c->md, v);
            buf_puts(&c->md, " |");
        }
        buf_puts(&c->html, "</tr>\n");
        buf_puts(&c->md, "\n");
    }
    buf_puts(&c->html, "</tbody></table>\n");
    buf_puts(&c->md, "\n");
}

static void free_cells(char **cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
}

static void heading(struct ctx *c, int level, const char *text)
{
    buf_printf(&c->html, "<h%d>", level);
    html_esc(&c->html, text);
    buf_printf(&c->html, "</h%d>\n", level);
    buf_printf(&c->md, "\n%.*s ", level, "######");
    md_esc(&c->md, text);
    buf_puts(&c->md, "\n");
}

static void para(struct ctx *c, const char *text)
{
    buf_puts(&c->html, "<p>");
    html_esc(&c->html, text);
    buf_puts(&c->html, "</p>\n");
    buf_puts(&c->md, "\n");
    md_esc(&c->md, text);
    buf_puts(&c->md, "\n");
}

/* Embeds a chart: the SVG inline in HTML (put in by place_figures once
 * the charts are drawn), the PNG linked in Markdown. */
static void embed(struct ctx *c, const char *name, const char *alt)
{
    c->charts++;
    if (c->o->formats & PLOT_SVG) {
        buf_puts(&c->html, "<figure>");
        c->figures = xrealloc(c->figures, (c->nfigures + 1) * sizeof *c->figures);
        c->figures[c->nfigures++] = (struct figure){xstrdup(name), c->html.len};
        buf_puts(&c->html, "<figcaption>");
        html_esc(&c->html, alt);
        buf_puts(&c->html, "</figcaption></figure>\n");
    }
    buf_puts(&c->md, "\n![");
    md_esc(&c->md, alt);
    buf_printf(&c->md, "](%s.%s)\n", name, c->o->formats & PLOT_PNG ? "png" : "svg");
}

/* The HTML with every drawn chart's SVG in its place. */
static void place_figures(struct ctx *c, struct buf *out)
{
    size_t from = 0;
    for (size_t i = 0; i < c->nfigures; i++) {
        buf_add(out, c->html.data + from, c->figures[i].at - from);
        from = c->figures[i].at;
        char *path = xasprintf("%s/%s.svg", c->o->out, c->figures[i].name);
        FILE *f = fopen(path, "r");
        free(path);
        if (!f)
            continue;
        struct buf svg;
        buf_init(&svg, 64 << 20);
        char chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
            buf_add(&svg, chunk, n);
        fclose(f);
        const char *start = svg.data ? strstr(svg.data, "<svg") : NULL;
        if (start)
            buf_puts(out, start);
        buf_free(&svg);
    }
    buf_add(out, c->html.data ? c->html.data + from : "", c->html.len - from);
}

/* A ratio as the charts and tables print it: 0.012x, 0.35x, 2.65x, 12.3x. */
static char *fmt_x(double v)
{
    return xasprintf(v >= 10 ? "%.1fx" : v >= 0.1 ? "%.2fx" : "%.2gx", v);
}

/* What every chart of one task shares: its hosts (panels of most charts),
 * thread counts (groups), engines (slots, in colour order) and legend. */
struct frame {
    char **hosts, **engines, **groups, **keylabels;
    long long *threads;
    int nh, ne, nt;
    const char *base;           /* the task's baseline engine, or NULL */
    struct plot_key *key;
};

static int index_of(char **names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], s))
            return i;
    return -1;
}

static int cmp_engine(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int d = plot_engine_color(x) - plot_engine_color(y);
    return d ? d : strcmp(x, y);
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static void frame_of(struct ctx *c, const char *task, struct frame *f)
{
    memset(f, 0, sizeof *f);
    size_t n = json_array_size(c->medians) + 1, i;
    f->hosts = xcalloc(n, sizeof *f->hosts);
    f->engines = xcalloc(n, sizeof *f->engines);
    f->threads = xcalloc(n, sizeof *f->threads);
    f->base = json_string_value(json_object_get(c->baselines, task));
    json_t *r;
    json_array_foreach(c->medians, i, r) {
        if (strcmp(js(r, "task"), task) != 0)
            continue;
        if (index_of(f->hosts, f->nh, js(r, "host")) < 0)
            f->hosts[f->nh++] = xstrdup(js(r, "host"));
        if (index_of(f->engines, f->ne, js(r, "engine")) < 0)
            f->engines[f->ne++] = xstrdup(js(r, "engine"));
        long long t = (long long)json_integer_value(json_object_get(r, "threads"));
        int seen = 0;
        for (int k = 0; k < f->nt; k++)
            seen |= f->threads[k] == t;
        if (!seen)
            f->threads[f->nt++] = t;
    }
    qsort(f->engines, (size_t)f->ne, sizeof *f->engines, cmp_engine);
    qsort(f->threads, (size_t)f->nt, sizeof *f->threads, cmp_ll);
    if (f->base && index_of(f->engines, f->ne, f->base) < 0)
        f->base = NULL;
    f->groups = xcalloc((size_t)f->nt + 1, sizeof *f->groups);
    for (int k = 0; k < f->nt; k++)
        f->groups[k] = xasprintf("%lld thread%s", f->threads[k], f->threads[k] == 1 ? "" : "s");
    f->key = xcalloc((size_t)f->ne + 1, sizeof *f->key);
    f->keylabels = xcalloc((size_t)f->ne + 1, sizeof *f->keylabels);
    for (int k = 0; k < f->ne; k++) {
        int base = f->base && !strcmp(f->base, f->engines[k]);
        f->keylabels[k] = base ? xasprintf("%s (baseline)", f->engines[k])
                               : xstrdup(f->engines[k]);
        f->key[k] = (struct plot_key){f->keylabels[k], plot_engine_color(f->engines[k]), base};
    }
}

static void frame_free(struct frame *f)
{
    free_cells(f->hosts, (size_t)f->nh);
    free_cells(f->engines, (size_t)f->ne);
    free_cells(f->groups, (size_t)f->nt);
    free_cells(f->keylabels, (size_t)f->ne);
    free(f->threads);
    free(f->key);
}

static int thread_index(const struct frame *f, json_t *row)
{
    long long t = (long long)json_integer_value(json_object_get(row, "threads"));
    for (int k = 0; k < f->nt; k++)
        if (f->threads[k] == t)
            return k;
    return -1;
}

/* The plot_frame of a chart whose panels are the hosts. */
static struct plot_frame host_panels(const struct frame *f, const char *note)
{
    return (struct plot_frame){(const char *const *)f->hosts, (size_t)f->nh, f->key,
                               (size_t)f->ne, note};
}

/* Whether a caveat of v_warnings changes how the cell reads. */
static int cell_flagged(struct ctx *c, json_t *row)
{
    size_t i;
    json_t *w;
    json_array_foreach(c->warnings, i, w)
        if (same_cell(w, row))
            return 1;
    return 0;
}

/* Medians (bars, p25..p75) or every run (boxes): a panel per host, a group
 * per thread count, a bar per engine. */
static int chart_grouped(struct ctx *c, const char *task, const struct frame *f, int boxes,
                         struct err *e)
{
    size_t i, n = 0;
    json_t *r;
    json_t *rows = boxes ? c->runs : c->medians;
    size_t nr = json_array_size(rows);
    struct plot_item *it = xcalloc(nr + 1, sizeof *it);
    double *vals = xcalloc(nr + 1, sizeof *vals);
    size_t nv = 0;
    json_t *prev = NULL;
    json_array_foreach(rows, i, r) {
        if (strcmp(js(r, "task"), task) != 0)
            continue;
        int h = index_of(f->hosts, f->nh, js(r, "host")), s = index_of(f->engines, f->ne,
                                                                        js(r, "engine"));
        int g = thread_index(f, r);
        if (h < 0 || s < 0 || g < 0)
            continue;
        if (!boxes || !prev || !same_cell(prev, r)) {
            it[n++] = (struct plot_item){.panel = h, .group = g, .slot = s,
                                         .color = plot_engine_color(js(r, "engine")),
                                         .baseline = f->base && !strcmp(f->base,
                                                                        js(r, "engine")),
                                         .flagged = cell_flagged(c, r),
                                         .y = num_of(r, "median_s"), .lo = num_of(r, "p25_s"),
                                         .hi = num_of(r, "p75_s"), .v = &vals[nv]};
            prev = r;
        }
        if (boxes) {
            vals[nv++] = num_of(r, "total_s");
            it[n - 1].nv++;
        }
    }
    int rc = 0;
    if (n > 0) {
        char name[64], title[160];
        snprintf(name, sizeof name, "%s-%s", boxes ? "distribution" : "median", task);
        if (boxes)
            snprintf(title, sizeof title, "%s: every timed run (box: p25 to p75, line: median, "
                     "whiskers: min to max; warmups left out)", task);
        else
            snprintf(title, sizeof title, "%s: median in-process time (whiskers: p25 to p75)",
                     task);
        struct plot_chart ch = {.dir = c->o->out, .batch = c->batch, .name = name, .title = title,
                                .ylabel = "time (log scale)", .logy = 1,
                                .formats = c->o->formats, .yunit = 's'};
        struct plot_frame pf = host_panels(f, f->base ? "hatched: the task's baseline engine"
                                                      : NULL);
        rc = plot_grouped(&ch, &pf, (const char *const *)f->groups, f->nt, f->ne, it, n,
                          boxes, e);
        if (rc == 0)
            embed(c, name, title);
    }
    free(vals);
    free(it);
    return rc;
}

/* The speedup of every cell over the baseline on its host and thread
 * count: a heatmap per thread count, hosts across, engines down. */
static int chart_heatmap(struct ctx *c, const char *task, const struct frame *f,
                         struct err *e)
{
    if (!f->base)
        return 0;
    size_t i, n = 0;
    json_t *r;
    struct plot_cell *cells = xcalloc(json_array_size(c->speedups) + 1, sizeof *cells);
    char **texts = xcalloc(json_array_size(c->speedups) + 1, sizeof *texts);
    json_array_foreach(c->speedups, i, r) {
        if (strcmp(js(r, "task"), task) != 0)
            continue;
        int h = index_of(f->hosts, f->nh, js(r, "host")), s = index_of(f->engines, f->ne,
                                                                        js(r, "engine"));
        int g = thread_index(f, r);
        if (h < 0 || s < 0 || g < 0)
            continue;
        texts[n] = fmt_x(num_of(r, "speedup"));
        cells[n] = (struct plot_cell){g, s, h, num_of(r, "speedup"), texts[n]};
        n++;
    }
    int rc = 0;
    if (n > 0) {
        char name[64], title[160];
        snprintf(name, sizeof name, "speedup-%s", task);
        snprintf(title, sizeof title, "%s: speedup over the baseline engine on the same host "
                 "and thread count (higher is faster)", task);
        char *note = xasprintf("the baseline's median / the engine's median; baseline: %s; "
                               "blue: faster than it, red: slower", f->base);
        struct plot_frame pf = {(const char *const *)f->groups, (size_t)f->nt, NULL, 0, note};
        struct plot_chart ch = {.dir = c->o->out, .batch = c->batch, .name = name, .title = title,
                                .formats = c->o->formats};
        rc = plot_heatmap(&ch, &pf, (const char *const *)f->keylabels, f->ne,
                          (const char *const *)f->hosts, f->nh, cells, n, e);
        if (rc == 0)
            embed(c, name, title);
        free(note);
    }
    free_cells(texts, n);
    free(cells);
    return rc;
}

/* An engine's lowest median of a task on one host, over its thread counts. */
static json_t *best_cell(struct ctx *c, const char *task, const char *host, const char *engine)
{
    size_t i;
    json_t *r, *best = NULL;
    json_array_foreach(c->medians, i, r)
        if (!strcmp(js(r, "task"), task) && !strcmp(js(r, "host"), host) &&
            !strcmp(js(r, "engine"), engine) &&
            (!best || num_of(r, "median_s") < num_of(best, "median_s")))
            best = r;
    return best;
}


/* Per engine, the range across hosts of its speedup over the baseline,
 * each at its fastest thread count on the host: a chart and a table. */
static int speedup_ranges(struct ctx *c, const char *task, const struct frame *f,
                          struct err *e)
{
    if (!f->base || f->nh < 1)
        return 0;
    struct plot_range *rg = xcalloc((size_t)f->ne + 1, sizeof *rg);
    char **texts = xcalloc((size_t)f->ne + 1, sizeof *texts);
    char **cells = xcalloc(6 * (size_t)f->ne + 1, sizeof *cells);
    int n = 0;
    for (int k = 0; k < f->ne; k++) {
        if (!strcmp(f->engines[k], f->base))
            continue;
        double lo = INFINITY, hi = -INFINITY;
        const char *hlo = NULL, *hhi = NULL;
        int hosts = 0;
        for (int h = 0; h < f->nh; h++) {
            json_t *a = best_cell(c, task, f->hosts[h], f->engines[k]);
            json_t *b = best_cell(c, task, f->hosts[h], f->base);
            if (!a || !b)
                continue;
            double s = num_of(b, "median_s") / num_of(a, "median_s");
            if (!(s > 0) || !isfinite(s))
                continue;
            if (hosts < PLOT_RANGE_VALUES)
                rg[n].v[rg[n].nv++] = s;
            hosts++;
            if (s < lo)
                lo = s, hlo = f->hosts[h];
            if (s > hi)
                hi = s, hhi = f->hosts[h];
        }
        if (!hosts)
            continue;
        char *a = fmt_x(lo), *b = fmt_x(hi);
        texts[n] = hosts > 1 ? xasprintf("%s–%s", a, b) : xstrdup(a);
        rg[n].label = f->engines[k];
        rg[n].color = plot_engine_color(f->engines[k]);
        rg[n].lo = lo;
        rg[n].hi = hi;
        rg[n].text = texts[n];
        char **row = &cells[6 * n];
        row[0] = xstrdup(f->engines[k]);
        row[1] = xasprintf("%d", hosts);
        row[2] = xasprintf("%s (%s)", a, hlo);
        row[3] = xasprintf("%s (%s)", b, hhi);
        row[4] = xasprintf("%s %s over %s", f->engines[k], texts[n], f->base);
        row[5] = xstrdup("");
        free(a);
        free(b);
        n++;
    }
    int rc = 0;
    if (n > 0) {
        char name[64], title[160];
        snprintf(name, sizeof name, "range-%s", task);
        snprintf(title, sizeof title, "%s: speedup over the baseline engine across the hosts "
                 "(each engine at its fastest thread count on each host)", task);
        char *note = xasprintf("bar: from the lowest to the highest speedup over %s "
                               "(baseline, dashed line at 1x) on any host; dots: each host",
                               f->base);
        struct plot_frame pf = {NULL, 0, NULL, 0, note};
        struct plot_chart ch = {.dir = c->o->out, .batch = c->batch, .name = name, .title = title,
                                .xlabel = "speedup (log scale)", .formats = c->o->formats};
        rc = plot_ranges(&ch, &pf, rg, (size_t)n, e);
        free(note);
        if (rc == 0) {
            embed(c, name, title);
            char *p = xasprintf("Speedup over %s across the hosts: on each host, the "
                                "baseline's lowest median (over its thread counts) divided "
                                "by the engine's lowest.", f->base);
            para(c, p);
            free(p);
            static const char *const head[] = {"engine", "hosts", "lowest (host)",
                                               "highest (host)", "range"};
            /* a 5-column table from the 6-wide rows */
            char **t5 = xcalloc(5 * (size_t)n + 1, sizeof *t5);
            for (int k = 0; k < n; k++)
                for (int j = 0; j < 5; j++)
                    t5[5 * k + j] = cells[6 * k + j];
            table(c, head, 5, t5, (size_t)n);
            free(t5);
        }
    }
    free_cells(cells, 6 * (size_t)n);
    free_cells(texts, (size_t)n);
    free(rg);
    return rc;
}

/* Median against thread count: a panel per host, a line per engine. */
static int chart_scaling(struct ctx *c, const char *task, const struct frame *f,
                         struct err *e)
{
    if (f->nt < 2)
        return 0;
    size_t i, nr = json_array_size(c->scaling), ns = 0, nv = 0;
    json_t *r, *prev = NULL;
    struct plot_line *l = xcalloc(nr + 1, sizeof *l);
    double *xs = xcalloc(nr + 1, sizeof *xs), *ys = xcalloc(nr + 1, sizeof *ys);
    /* rows by task, host, engine, threads */
    json_array_foreach(c->scaling, i, r) {
        if (strcmp(js(r, "task"), task) != 0)
            continue;
        int h = index_of(f->hosts, f->nh, js(r, "host"));
        if (h < 0)
            continue;
        if (!prev || strcmp(js(prev, "host"), js(r, "host")) ||
            strcmp(js(prev, "engine"), js(r, "engine"))) {
            l[ns++] = (struct plot_line){.panel = h, .color = plot_engine_color(js(r, "engine")),
                                         .baseline = f->base && !strcmp(f->base,
                                                                        js(r, "engine")),
                                         .x = &xs[nv], .y = &ys[nv]};
            prev = r;
        }
        xs[nv] = (double)json_integer_value(json_object_get(r, "threads"));
        ys[nv++] = num_of(r, "median_s");
        l[ns - 1].n++;
    }
    int rc = 0;
    if (ns > 0) {
        char name[64], title[128];
        snprintf(name, sizeof name, "scaling-%s", task);
        snprintf(title, sizeof title, "%s: median against thread count", task);
        struct plot_chart ch = {.dir = c->o->out, .batch = c->batch, .name = name, .title = title,
                                .xlabel = "threads (log scale)",
                                .ylabel = "median time (log scale)", .logy = 1,
                                .formats = c->o->formats};
        struct plot_frame pf = host_panels(f, f->base ? "dashed: the task's baseline engine"
                                                      : NULL);
        rc = plot_panel_lines(&ch, &pf, l, ns, e);
        if (rc == 0)
            embed(c, name, title);
    }
    free(xs);
    free(ys);
    free(l);
    return rc;
}

/* Every sweep's median and p25..p75 of the history's engines, a panel per
 * host, each engine at its fastest thread count on that host in this
 * sweep; a change between consecutive sweeps that compare would call
 * SLOWER or faster is marked. */
static int chart_history(struct ctx *c, const char *task, const struct frame *f,
                         struct err *e)
{
    size_t i, nr = json_array_size(c->history), ns = 0, nv = 0;
    json_t *r, *prev = NULL, *best_of = NULL, *best = NULL;
    struct plot_line *l = xcalloc(nr + 1, sizeof *l);
    double *xs = xcalloc(nr + 1, sizeof *xs), *ys = xcalloc(nr + 1, sizeof *ys);
    double *lo = xcalloc(nr + 1, sizeof *lo), *hi = xcalloc(nr + 1, sizeof *hi);
    int *mark = xcalloc(nr + 1, sizeof *mark);
    json_t **row = xcalloc(nr + 1, sizeof *row);
    /* the key: the history's engines, in colour order */
    struct plot_key *key = xcalloc((size_t)f->ne + 1, sizeof *key);
    char **names = xcalloc(nr + 1, sizeof *names), **labels = NULL;
    int nk = 0, rc = 0;
    json_array_foreach(c->history, i, r) {
        if (strcmp(js(r, "task"), task) != 0)
            continue;
        int h = index_of(f->hosts, f->nh, js(r, "host"));
        /* rows come by host and engine: one lookup per pair, not per sweep */
        if (!best_of || strcmp(js(best_of, "host"), js(r, "host")) ||
            strcmp(js(best_of, "engine"), js(r, "engine"))) {
            best_of = r;
            best = best_cell(c, task, js(r, "host"), js(r, "engine"));
        }
        if (h < 0 || !best || !json_equal(json_object_get(best, "threads"),
                                          json_object_get(r, "threads")))
            continue;
        if (!prev || strcmp(js(prev, "host"), js(r, "host")) ||
            strcmp(js(prev, "engine"), js(r, "engine"))) {
            l[ns++] = (struct plot_line){.panel = h, .color = plot_engine_color(js(r, "engine")),
                                         .baseline = f->base && !strcmp(f->base,
                                                                        js(r, "engine")),
                                         .x = &xs[nv], .y = &ys[nv], .lo = &lo[nv],
                                         .hi = &hi[nv], .mark = &mark[nv]};
            if (index_of(names, nk, js(r, "engine")) < 0)
                names[nk++] = xstrdup(js(r, "engine"));
            prev = r;
        } else {
            /* against the sweep before: the cheap medians first, then the test */
            double ratio = num_of(r, "median_s") / num_of(row[nv - 1], "median_s");
            if (ratio > 1 + STATS_THRESHOLD || ratio < 1 / (1 + STATS_THRESHOLD)) {
                double *va = NULL, *vb = NULL;
                size_t na = 0, nb = 0;
                long long t = (long long)json_integer_value(json_object_get(r, "threads"));
                if (store_cell_times(c->st, json_integer_value(json_object_get(row[nv - 1],
                                                                               "sweep_id")),
                                     js(r, "host"), task, js(r, "engine"), t, &va, &na, e) < 0 ||
                    store_cell_times(c->st, json_integer_value(json_object_get(r, "sweep_id")),
                                     js(r, "host"), task, js(r, "engine"), t, &vb, &nb, e) < 0) {
                    free(va);
                    rc = -1;
                    goto out;
                }
                if (na && nb)
                    mark[nv] = stats_change(va, na, vb, nb, STATS_THRESHOLD, NULL, NULL);
                free(va);
                free(vb);
            }
        }
        row[nv] = r;
        xs[nv] = num_of(r, "t");
        ys[nv] = num_of(r, "median_s");
        lo[nv] = num_of(r, "p25_s");
        hi[nv] = num_of(r, "p75_s");
        nv++;
        l[ns - 1].n++;
    }
    qsort(names, (size_t)nk, sizeof *names, cmp_engine);
    labels = xcalloc((size_t)nk + 1, sizeof *labels);
    for (int k = 0; k < nk; k++) {
        int base = f->base && !strcmp(f->base, names[k]);
        labels[k] = base ? xasprintf("%s (baseline)", names[k]) : xstrdup(names[k]);
        key[k] = (struct plot_key){labels[k], plot_engine_color(names[k]), base};
    }
    if (ns > 0) {
        char name[64], title[160];
        snprintf(name, sizeof name, "history-%s", task);
        snprintf(title, sizeof title, "%s: median and p25 to p75 of every sweep in the store, "
                 "each engine at its fastest thread count in this sweep", task);
        struct plot_chart ch = {.dir = c->o->out, .batch = c->batch, .name = name, .title = title,
                                .xlabel = "sweep started (UTC)",
                                .ylabel = "median time (log scale)", .logy = 1,
                                .formats = c->o->formats, .xtime = 1};
        struct plot_frame pf = {(const char *const *)f->hosts, (size_t)f->nh, key, (size_t)nk,
                                "marked: a change from the sweep before that compare calls "
                                "SLOWER or faster (Mann-Whitney p < 0.05 and beyond 5 %)"};
        rc = plot_panel_lines(&ch, &pf, l, ns, e);
        if (rc == 0)
            embed(c, name, title);
    }
out:
    if (labels)
        free_cells(labels, (size_t)nk);
    free_cells(names, (size_t)nk);
    free(key);
    free(row);
    free(mark);
    free(lo);
    free(hi);
    free(xs);
    free(ys);
    free(l);
    return rc;
}
static char *fmt_num(double v, const char *fmt)
{
    return isnan(v) ? xstrdup("") : xasprintf(fmt, v);
}

static void task_table(struct ctx *c, const char *task)
{
    static const char *const head[] = {"host", "threads", "engine", "runs", "median s",
                                       "p25 s", "p75 s", "cv", "speedup"};
    size_t i, n = 0;
    json_t *r;
    char **cells = xcalloc(9 * json_array_size(c->medians) + 1, sizeof *cells);
    json_array_foreach(c->medians, i, r) {
        if (strcmp(js(r, "task"), task) != 0)
            continue;
        char **row = &cells[9 * n++];
        row[0] = xstrdup(js(r, "host"));
        row[1] = xasprintf("%lld", (long long)json_integer_value(json_object_get(r, "threads")));
        char *flag = cell_flag(c, r);
        row[2] = xasprintf("%s%s", js(r, "engine"), flag);
        free(flag);
        row[3] = xasprintf("%lld", (long long)json_integer_value(json_object_get(r, "n")));
        row[4] = fmt_num(num_of(r, "median_s"), "%.4g");
        row[5] = fmt_num(num_of(r, "p25_s"), "%.4g");
        row[6] = fmt_num(num_of(r, "p75_s"), "%.4g");
        row[7] = fmt_num(num_of(r, "cv"), "%.3f");
        row[8] = xstrdup("");
        size_t k;
        json_t *sp;
        json_array_foreach(c->speedups, k, sp)
            if (!strcmp(js(sp, "task"), task) && !strcmp(js(sp, "host"), js(r, "host")) &&
                !strcmp(js(sp, "engine"), js(r, "engine")) &&
                json_equal(json_object_get(sp, "threads"), json_object_get(r, "threads"))) {
                free(row[8]);
                row[8] = xasprintf("%.2fx over %s", num_of(sp, "speedup"), js(sp, "baseline"));
            }
    }
    if (n)
        table(c, head, 9, cells, n);
    else
        para(c, "No valid timings for this task in this sweep.");
    free_cells(cells, 9 * n);
}

static void host_conditions(struct ctx *c);

static void hosts_section(struct ctx *c)
{
    heading(c, 2, "Hosts");
    static const char *const head[] = {"host", "cpu", "cores", "memory", "os", "virtualization",
                                       "governor", "compiler", "python", "load (1 min)"};
    size_t i, n = json_array_size(c->hosts);
    json_t *h;
    char **cells = xcalloc(10 * n + 1, sizeof *cells);
    json_array_foreach(c->hosts, i, h) {
        char **row = &cells[10 * i];
        json_t *probe = json_loads(js(h, "probe"), 0, NULL);
        json_t *py = json_object_get(probe, "python");
        row[0] = xstrdup(js(h, "host"));
        row[1] = xstrdup(js(h, "cpu_model"));
        row[2] = xasprintf("%lld physical / %lld logical",
                           (long long)json_integer_value(json_object_get(h, "physical_cores")),
                           (long long)json_integer_value(json_object_get(h, "logical_cores")));
        row[3] = fmt_num(num_of(h, "memory_bytes") / 1073741824.0, "%.1f GiB");
        row[4] = xasprintf("%s %s %s", js(h, "os"), js(h, "kernel"), js(h, "arch"));
        row[5] = xstrdup(js(h, "virtualization"));
        row[6] = xstrdup(js(h, "governor"));
        row[7] = xstrdup(js(h, "compiler"));
        row[8] = xasprintf("%s (numpy %s, polars %s)", js(py, "python"),
                           json_string_value(json_object_get(py, "numpy")) ?: "-",
                           json_string_value(json_object_get(py, "polars")) ?: "-");
        row[9] = fmt_num(num_of(h, "load_avg_1m"), "%.2f");
        json_decref(probe);
    }
    table(c, head, 10, cells, n);
    free_cells(cells, 10 * n);

    heading(c, 2, "Data");
    static const char *const dhead[] = {"host", "profile", "seed", "generated", "files (sha256)"};
    n = json_array_size(c->datasets);
    cells = xcalloc(5 * n + 1, sizeof *cells);
    int same = 1;
    json_array_foreach(c->datasets, i, h) {
        char **row = &cells[5 * i];
        row[0] = xstrdup(js(h, "host"));
        row[1] = xstrdup(js(h, "profile"));
        row[2] = xasprintf("%lld", (long long)json_integer_value(json_object_get(h, "seed")));
        row[3] = json_integer_value(json_object_get(h, "reused")) ? xstrdup("reused, verified")
               : fmt_num(num_of(h, "gen_s"), "in %.1f s");
        row[4] = xstrdup(js(h, "files_sha"));
        if (i > 0 && strcmp(js(h, "files_sha"),
                            js(json_array_get(c->datasets, 0), "files_sha")) != 0)
            same = 0;
    }
    table(c, dhead, 5, cells, n);
    free_cells(cells, 5 * n);
    if (n > 1)
        para(c, same ? "Every host generated byte-identical data (same checksums)."
                     : "WARNING: the hosts' data differ; their timings are not comparable.");
    host_conditions(c);
}

/* Each host's conditions during the sweep (agent/conditions.c). */
static void host_conditions(struct ctx *c)
{
    static const char *const head[] = {"host", "governor", "boost", "SMT", "on battery",
                                       "throttle events (since boot)", "swap used", "ASLR"};
    size_t i, n = json_array_size(c->hosts);
    json_t *h;
    char **cells = xcalloc(8 * n + 1, sizeof *cells);
    json_array_foreach(c->hosts, i, h) {
        char **row = &cells[8 * i];
        json_t *b = json_object_get(h, "boost"), *bat = json_object_get(h, "on_battery");
        row[0] = xstrdup(js(h, "host"));
        row[1] = xstrdup(*js(h, "governor") ? js(h, "governor") : "not exposed");
        row[2] = xstrdup(json_is_integer(b) ? (json_integer_value(b) ? "on" : "off")
                                            : "not exposed");
        row[3] = xstrdup(*js(h, "smt") ? js(h, "smt") : "not exposed");
        row[4] = xstrdup(json_is_integer(bat) ? (json_integer_value(bat) ? "YES" : "no")
                                              : "not exposed");
        row[5] = json_is_integer(json_object_get(h, "throttle_count"))
            ? xasprintf("%lld", (long long)json_integer_value(json_object_get(h,
                                                                "throttle_count")))
            : xstrdup("not exposed");
        row[6] = fmt_num(num_of(h, "swap_used_kb") / 1024.0, "%.0f MiB");
        row[7] = xstrdup(js(h, "aslr"));
    }
    heading(c, 3, "Conditions");
    table(c, head, 8, cells, n);
    free_cells(cells, 8 * n);
}

/* Cells whose median reads differently because of how they ran: charted,
 * marked [!kind], and explained here. Data that failed its check. */
static void conditions_caveats(struct ctx *c)
{
    size_t i, n = json_array_size(c->warnings);
    json_t *w;
    json_array_foreach(c->datasets, i, w)
        if (*js(w, "regenerated")) {
            char *t = xasprintf("The data on %s failed its check against the manifest before "
                                "the first run (%s) and was generated again.", js(w, "host"),
                                js(w, "regenerated"));
            para(c, t);
            free(t);
        }
    if (n == 0) {
        para(c, "No cell ran under conditions that change how its median reads.");
        return;
    }
    para(c, "These cells are charted, and marked [!KIND] in the tables: their medians read "
            "differently because of how they ran.");
    static const char *const head[] = {"host", "task", "engine", "threads", "kind", "why"};
    char **cells = xcalloc(6 * n + 1, sizeof *cells);
    json_array_foreach(c->warnings, i, w) {
        char **row = &cells[6 * i];
        row[0] = xstrdup(js(w, "host"));
        row[1] = xstrdup(js(w, "task"));
        row[2] = xstrdup(js(w, "engine"));
        row[3] = xasprintf("%lld", (long long)json_integer_value(json_object_get(w, "threads")));
        row[4] = xstrdup(js(w, "kind"));
        row[5] = xstrdup(js(w, "reason"));
    }
    table(c, head, 6, cells, n);
    free_cells(cells, 6 * n);
}

/* The words of a JSON array of strings, space-separated. */
static char *words_of(const char *json_text)
{
    json_t *a = json_loads(json_text ? json_text : "", JSON_DECODE_ANY, NULL);
    struct buf b;
    buf_init(&b, 1 << 16);
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
        buf_printf(&b, "%s%s", i ? " " : "", json_string_value(v) ?: "?");
    json_decref(a);
    char *s = buf_detach(&b);
    if (s && *s)
        return s;
    free(s);
    return xstrdup("-");
}

/* The software each host ran the engines with; a warning when the hosts
 * ran different versions of a baseline engine's library. */
static void software_section(struct ctx *c)
{
    heading(c, 2, "Software");
    static const char *const head[] = {"host", "python", "numpy", "numpy SIMD (dispatched)",
                                       "polars", "duckdb", "rustc", "C compiler"};
    static const char *const cols[] = {"python_version", "numpy_version", NULL,
                                       "polars_version", "duckdb_version", "rustc_version",
                                       "compiler"};
    size_t i, n = json_array_size(c->hosts);
    json_t *h;
    char **cells = xcalloc(8 * n + 1, sizeof *cells);
    json_array_foreach(c->hosts, i, h) {
        char **row = &cells[8 * i];
        row[0] = xstrdup(js(h, "host"));
        for (int k = 1; k < 8; k++)
            row[k] = cols[k - 1] ? xstrdup(*js(h, cols[k - 1]) ? js(h, cols[k - 1]) : "-")
                                 : words_of(js(h, "numpy_simd"));
    }
    table(c, head, 8, cells, n);
    free_cells(cells, 8 * n);
    /* Which engine each library's version decides. */
    static const char *const lib_engine[][2] = {
        {"python", "python-loop"}, {"numpy", "python-numpy"}, {"polars", "python-polars"},
        {"duckdb", "python-duckdb"}};
    struct err e = {0};
    json_t *baselines = store_baselines(c->st, &e);
    json_t *r;
    json_array_foreach(c->spread, i, r) {
        const char *name = js(r, "name"), *engine = NULL;
        for (size_t k = 0; k < sizeof lib_engine / sizeof lib_engine[0]; k++)
            if (!strcmp(name, lib_engine[k][0]))
                engine = lib_engine[k][1];
        int baseline = 0, ran = 0;
        const char *task;
        json_t *v;
        json_object_foreach(baselines, task, v)
            baseline |= engine && !strcmp(json_string_value(v) ?: "", engine);
        size_t k;
        json_array_foreach(c->engines, k, v)
            ran |= engine && !strcmp(json_string_value(v) ?: "", engine);
        char *text = baseline && ran
            ? xasprintf("WARNING: the hosts ran different versions of %s, the library of the "
                        "baseline engine %s (%s): its speedups compare different software on "
                        "each host.", name, engine, js(r, "hosts"))
            : xasprintf("Note: the hosts ran different versions of %s (%s).", name,
                        js(r, "hosts"));
        para(c, text);
        free(text);
    }
    json_decref(baselines);
    if (n > 1 && json_array_size(c->spread) == 0)
        para(c, "Every host ran the same versions of the engines' libraries and toolchains.");
}

static void caveats(struct ctx *c)
{
    heading(c, 2, "Caveats");
    conditions_caveats(c);
    size_t n = json_array_size(c->problems);
    if (n == 0) {
        para(c, "Every run of this sweep produced a valid timing.");
        return;
    }
    para(c, "These runs produced no valid timing; they are listed here and never charted.");
    static const char *const head[] = {"host", "task", "engine", "threads", "status", "runs",
                                       "error"};
    char **cells = xcalloc(7 * n + 1, sizeof *cells);
    size_t i;
    json_t *p;
    json_array_foreach(c->problems, i, p) {
        char **row = &cells[7 * i];
        row[0] = xstrdup(js(p, "host"));
        row[1] = xstrdup(js(p, "task"));
        row[2] = xstrdup(js(p, "engine"));
        row[3] = xasprintf("%lld", (long long)json_integer_value(json_object_get(p, "threads")));
        row[4] = xstrdup(js(p, "status"));
        row[5] = xasprintf("%lld", (long long)json_integer_value(json_object_get(p, "runs")));
        row[6] = xstrdup(js(p, "error"));
    }
    table(c, head, 7, cells, n);
    free_cells(cells, 7 * n);
}

/* Sorting rows by columns (text or numbers), for the charts' orders. */
static const char *const *sort_keys;

static int cmp_rows(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    for (const char *const *k = sort_keys; *k; k++) {
        json_t *u = json_object_get(x, *k), *v = json_object_get(y, *k);
        int d;
        if (json_is_string(u) && json_is_string(v))
            d = strcmp(json_string_value(u), json_string_value(v));
        else {
            double p = json_number_value(u), q = json_number_value(v);
            d = p < q ? -1 : p > q;
        }
        if (d)
            return d;
    }
    return 0;
}

static json_t *sorted(json_t *rows, const char *const *keys)
{
    size_t n = json_array_size(rows);
    json_t **v = xcalloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(rows, i);
    sort_keys = keys;
    qsort(v, n, sizeof *v, cmp_rows);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append(out, v[i]);
    free(v);
    return out;
}

/* Each cell against its task's baseline on the same host and thread count. */
static json_t *speedups_of(json_t *cells, json_t *baselines)
{
    json_t *out = json_array();
    size_t i, j;
    json_t *r, *b;
    json_array_foreach(cells, i, r) {
        const char *base = json_string_value(json_object_get(baselines, js(r, "task")));
        if (!base)
            continue;
        json_array_foreach(cells, j, b) {
            if (!strcmp(js(b, "engine"), base) && !strcmp(js(b, "task"), js(r, "task")) &&
                !strcmp(js(b, "host"), js(r, "host")) &&
                json_equal(json_object_get(b, "threads"), json_object_get(r, "threads"))) {
                json_t *o = json_deep_copy(r);
                json_object_set_new(o, "speedup", json_real(num_of(b, "median_s") /
                                                            num_of(r, "median_s")));
                json_object_set_new(o, "baseline", json_string(base));
                json_array_append_new(out, o);
                break;
            }
        }
    }
    return out;
}

/* The engines a task's history draws: those --history names (or all), else
 * the task's baseline and the HISTORY_FASTEST engines with the lowest
 * median of this sweep (on any host, at any thread count). */
static json_t *history_engines(struct ctx *c, const char *task, json_t *baselines)
{
    json_t *out = json_array();
    size_t i, k;
    json_t *r, *v;
    if (c->o->history) {
        int all = !strcmp(c->o->history, "all");
        char *list = xstrdup(c->o->history), *save = NULL;
        if (all) {
            json_array_foreach(c->medians, i, r) {
                int seen = 0;
                json_array_foreach(out, k, v)
                    seen |= !strcmp(json_string_value(v), js(r, "engine"));
                if (!seen && !strcmp(js(r, "task"), task))
                    json_array_append_new(out, json_string(js(r, "engine")));
            }
        } else {
            for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
                json_array_append_new(out, json_string(tok));
        }
        free(list);
        return out;
    }
    const char *base = json_string_value(json_object_get(baselines, task));
    json_array_foreach(c->medians, i, r)
        if (base && !strcmp(js(r, "task"), task) && !strcmp(js(r, "engine"), base)) {
            json_array_append_new(out, json_string(base));
            break;
        }
    /* c->medians is ordered by task, host, threads, engine: pick by median */
    for (int pick = 0; pick < HISTORY_FASTEST; pick++) {
        json_t *best = NULL;
        json_array_foreach(c->medians, i, r) {
            if (strcmp(js(r, "task"), task) != 0)
                continue;
            int taken = 0;
            json_array_foreach(out, k, v)
                taken |= !strcmp(json_string_value(v), js(r, "engine"));
            if (!taken && (!best || num_of(r, "median_s") < num_of(best, "median_s")))
                best = r;
        }
        if (best)
            json_array_append_new(out, json_string(js(best, "engine")));
    }
    return out;
}

static int load(struct ctx *c, struct err *e)
{
    struct store *st = c->st;
    int64_t s = c->sweep;
    static const char *const by_host_engine[] = {"task", "host", "engine", "threads", NULL};
    static const char *const by_engine_host[] = {"task", "engine", "host", "threads",
                                                 "total_s", NULL};
    json_t *info = store_sweep_info(st, s, e);
    if (!info)
        return -1;
    c->sweep_row = json_array();
    json_array_append_new(c->sweep_row, info);
    json_t *runs, *baselines;
    if (!(c->medians = store_sweep_cells(st, s, e)) ||
        !(baselines = store_baselines(st, e)))
        return -1;
    c->speedups = speedups_of(c->medians, baselines);
    c->scaling = sorted(c->medians, by_host_engine);
    if (!(runs = store_sweep_valid_runs(st, s, e)))
        return -1;
    c->runs = sorted(runs, by_engine_host);
    json_decref(runs);
    json_t *hist = json_array();
    size_t i;
    json_t *r;
    for (size_t t = 0; t < sizeof task_names / sizeof task_names[0]; t++) {
        json_t *list = history_engines(c, task_names[t], baselines);
        size_t k;
        json_t *name;
        json_array_foreach(list, k, name) {
            json_t *h = store_task_history(st, s, task_names[t], json_string_value(name), e);
            if (!h) {
                json_decref(list);
                json_decref(hist);
                json_decref(baselines);
                return -1;
            }
            json_array_foreach(h, i, r)
                json_object_set_new(r, "task", json_string(task_names[t]));
            json_array_extend(hist, h);
            json_decref(h);
        }
        json_decref(list);
    }
    json_decref(baselines);
    c->history = hist;
    if (!(c->hosts = store_sweep_hardware(st, s, e)) ||
        !(c->datasets = store_sweep_datasets(st, s, e)) ||
        !(c->problems = store_sweep_problems(st, s, e)) ||
        !(c->warnings = store_sweep_warnings(st, s, e)) ||
        !(c->spread = store_sweep_version_spread(st, s, e)))
        return -1;
    json_t *names = json_array();
    json_array_foreach(c->medians, i, r) {
        size_t k;
        json_t *v;
        int seen = 0;
        json_array_foreach(names, k, v)
            seen |= !strcmp(json_string_value(v), js(r, "engine"));
        if (!seen)
            json_array_append_new(names, json_string(js(r, "engine")));
    }
    c->engines = names;
    json_t *hosts = store_sweep_hosts(st, s, e);
    if (!hosts)
        return -1;
    c->nhosts = (int)json_array_size(hosts);
    json_decref(hosts);
    return 0;
}

static void bullet(struct ctx *c, const char *text)
{
    buf_puts(&c->html, "<li>");
    html_esc(&c->html, text);
    buf_puts(&c->html, "</li>\n");
    buf_puts(&c->md, "- ");
    md_esc(&c->md, text);
    buf_puts(&c->md, "\n");
}

static int same_cell(json_t *a, json_t *b)
{
    return !strcmp(js(a, "host"), js(b, "host")) && !strcmp(js(a, "task"), js(b, "task")) &&
           !strcmp(js(a, "engine"), js(b, "engine")) &&
           json_equal(json_object_get(a, "threads"), json_object_get(b, "threads"));
}

/* Everything that changes how one cell reads, as "; "-separated phrases
 * appended to out: the warnings stored for it (v_warnings: run conditions,
 * noise, few runs) and its runs without a valid timing. One place to
 * extend when the store learns a new kind of caveat. */
static void cell_caveats(struct ctx *c, json_t *cell, struct buf *out)
{
    size_t i;
    json_t *r;
#define SEP (out->len ? "; " : "")
    json_array_foreach(c->warnings, i, r)
        if (same_cell(r, cell))
            buf_printf(out, "%s%s", SEP, *js(r, "reason") ? js(r, "reason") : js(r, "kind"));
    json_array_foreach(c->problems, i, r)
        if (same_cell(r, cell))
            buf_printf(out, "%s%lld run%s %s", SEP,
                       (long long)json_integer_value(json_object_get(r, "runs")),
                       json_integer_value(json_object_get(r, "runs")) == 1 ? "" : "s",
                       js(r, "status"));
#undef SEP
}

static char *threads_text(json_t *cell)
{
    long long t = (long long)json_integer_value(json_object_get(cell, "threads"));
    return xasprintf("%lld thread%s", t, t == 1 ? "" : "s");
}

static char *time_text(double s)
{
    return s < 1e-3 ? xasprintf("%.3g µs", s * 1e6) : s < 1 ? xasprintf("%.3g ms", s * 1e3)
                                                             : xasprintf("%.3g s", s);
}

/* Per task and host: the fastest engine, by how much it beats the baseline
 * and the runner-up, and whether that lead is beyond the noise (the test
 * compare uses), with the caveats of both cells. */
static void summary(struct ctx *c, json_t *baselines)
{
    heading(c, 2, "Summary");
    buf_puts(&c->html, "<ul>\n");
    for (size_t t = 0; t < sizeof task_names / sizeof task_names[0]; t++) {
        const char *task = task_names[t];
        const char *base = json_string_value(json_object_get(baselines, task));
        size_t i, j;
        json_t *r, *h;
        json_t *hosts = json_array();
        json_array_foreach(c->medians, i, r) {
            if (strcmp(js(r, "task"), task) != 0)
                continue;
            int seen = 0;
            json_array_foreach(hosts, j, h)
                seen |= !strcmp(json_string_value(h), js(r, "host"));
            if (!seen)
                json_array_append_new(hosts, json_string(js(r, "host")));
        }
        json_array_foreach(hosts, j, h) {
            const char *host = json_string_value(h);
            json_t *best = NULL, *second = NULL, *bcell = NULL;
            json_array_foreach(c->medians, i, r) {
                if (strcmp(js(r, "task"), task) || strcmp(js(r, "host"), host))
                    continue;
                if (base && !strcmp(js(r, "engine"), base) &&
                    (!bcell || num_of(r, "median_s") < num_of(bcell, "median_s")))
                    bcell = r;
                if (!best || num_of(r, "median_s") < num_of(best, "median_s")) {
                    if (best && strcmp(js(best, "engine"), js(r, "engine")))
                        second = best;
                    best = r;
                } else if (strcmp(js(r, "engine"), js(best, "engine")) &&
                           (!second || num_of(r, "median_s") < num_of(second, "median_s"))) {
                    second = r;
                }
            }
            if (second && !strcmp(js(second, "engine"), js(best, "engine")))
                second = NULL;
            struct buf b;
            buf_init(&b, 1 << 16);
            char *bt = threads_text(best), *tm = time_text(num_of(best, "median_s"));
            buf_printf(&b, "%s on %s: %s (%s) is fastest, median %s", task, host,
                       js(best, "engine"), bt, tm);
            free(bt);
            free(tm);
            if (bcell && bcell != best)
                buf_printf(&b, ", %.2fx the baseline %s at its best", num_of(bcell, "median_s") /
                           num_of(best, "median_s"), base);
            else if (bcell)
                buf_printf(&b, " (the baseline itself)");
            if (second) {
                char *st = threads_text(second);
                buf_printf(&b, ", %.2fx ahead of %s (%s)", num_of(second, "median_s") /
                           num_of(best, "median_s"), js(second, "engine"), st);
                free(st);
                double *va, *vb;
                size_t na, nb;
                struct err e = {0};
                if (store_cell_times(c->st, c->sweep, host, task, js(best, "engine"),
                                     json_integer_value(json_object_get(best, "threads")),
                                     &va, &na, &e) == 0 &&
                    store_cell_times(c->st, c->sweep, host, task, js(second, "engine"),
                                     json_integer_value(json_object_get(second, "threads")),
                                     &vb, &nb, &e) == 0) {
                    /* The smallest two-sided p an exact test can give is
                     * 2 / C(na + nb, na): with fewer runs than that needs, no
                     * lead could pass, so say so rather than call it noise. */
                    double ways = 1;
                    for (size_t k = 1; k <= na; k++)
                        ways = ways * (double)(nb + k) / (double)k;
                    double p = stats_mann_whitney(va, na, vb, nb);
                    if (2 / ways >= 0.05)
                        buf_printf(&b, ", too few runs (%zu and %zu) for a Mann-Whitney test "
                                   "to tell it from the noise", na, nb);
                    else if (p >= 0.05)
                        buf_printf(&b, ", but that lead is within the noise (Mann-Whitney "
                                   "p = %.2g)", p);
                    free(vb);
                }
                free(va);
            }
            buf_puts(&b, ".");
            struct buf cav;
            buf_init(&cav, 1 << 16);
            cell_caveats(c, best, &cav);
            if (cav.len)
                buf_printf(&b, " Caveats for %s: %s.", js(best, "engine"), cav.data);
            if (second) {
                buf_reset(&cav);
                cell_caveats(c, second, &cav);
                if (cav.len)
                    buf_printf(&b, " Caveats for %s: %s.", js(second, "engine"), cav.data);
            }
            buf_free(&cav);
            bullet(c, b.data);
            buf_free(&b);
        }
        json_decref(hosts);
    }
    if (json_array_size(c->medians) == 0)
        bullet(c, "No cell of this sweep has a valid timing.");
    buf_puts(&c->html, "</ul>\n");
}

static int write_doc(const char *dir, const char *name, const struct buf *b, struct err *e)
{
    char *path = xasprintf("%s/%s", dir, name);
    char *tmp = xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int rc = 0;
    if (!f || fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0 ||
        rename(tmp, path) != 0)
        rc = err_set(e, 1, "%s: cannot write: %s", path, strerror(errno));
    free(tmp);
    free(path);
    return rc;
}

/* A command line short enough to stand under a bar: each path by its last
 * part, at most 48 characters. */
static char *short_command(const char *cmd)
{
    struct buf b;
    buf_init(&b, 4096);
    for (const char *p = cmd; *p;) {
        size_t n = strcspn(p, " ");
        const char *w = p, *slash = NULL;
        for (const char *q = p; q < p + n; q++)
            if (*q == '/')
                slash = q;
        if (slash && slash + 1 < p + n)
            w = slash + 1;
        buf_printf(&b, "%s%.*s", b.len ? " " : "", (int)(p + n - w), w);
        p += n;
        while (*p == ' ')
            p++;
    }
    if (b.len > 48) {
        b.data[45] = '\0';
        b.len = 45;
        buf_puts(&b, "...");
    }
    buf_add(&b, "", 0);
    return buf_detach(&b);
}

/* What `hotpath explain` found, per command (the newest of each): a table
 * and one stacked bar per command. */
static int explanations(struct ctx *c, struct err *e)
{
    json_t *rows = store_explain_latest(c->st, 20, e);
    if (!rows)
        return -1;
    size_t n = json_array_size(rows), i;
    if (n == 0) {
        json_decref(rows);
        return 0;
    }
    heading(c, 2, "Where the time goes (hotpath explain)");
    para(c, "The newest explanation of each command: the hot path's samples by where "
            "their innermost frame was (start-up and shutdown left out), and the verdict.");
    static const char *const head[] = {"command", "host", "at", "wall s", "cores busy",
                                       "interpreter", "native", "top library", "verdict"};
    char **cells = xcalloc(n * 9 + 1, sizeof *cells);
    struct plot_stack *bars = xcalloc(n + 1, sizeof *bars);
    char **labels = xcalloc(n + 1, sizeof *labels);
    json_t *r;
    json_array_foreach(rows, i, r) {
        char **row = cells + i * 9;
        row[0] = xstrdup(js(r, "command"));
        row[1] = xstrdup(js(r, "host"));
        row[2] = xstrdup(js(r, "at"));
        row[3] = xasprintf("%.3g", num_of(r, "wall_s"));
        row[4] = xasprintf("%.2f", num_of(r, "cores_busy"));
        row[5] = xasprintf("%.0f %%", 100 * num_of(r, "interpreter_share"));
        row[6] = xasprintf("%.0f %%", 100 * (num_of(r, "native_share") +
                                             num_of(r, "libc_share")));
        row[7] = xstrdup(js(r, "top_library"));
        row[8] = xstrdup(js(r, "verdict"));
        /* oldest on top */
        struct plot_stack *b = &bars[n - 1 - i];
        b->label = labels[n - 1 - i] = short_command(js(r, "command"));
        b->share[0] = num_of(r, "python_share");
        b->share[1] = num_of(r, "runtime_share");
        b->share[2] = num_of(r, "native_share");
        b->share[3] = num_of(r, "libc_share");
        b->share[4] = num_of(r, "kernel_share");
        b->share[5] = num_of(r, "blocked_share");
    }
    table(c, head, 9, cells, n);
    free_cells(cells, n * 9);
    static const char *const parts[] = {"Python lines", "CPython runtime", "native libraries",
                                        "libc/libm", "kernel", "blocked"};
    struct plot_chart ch = {.dir = c->o->out, .batch = c->batch, .name = "explain",
                            .title = "where the hot path of each command runs",
                            .xlabel = "percent of hot-path samples",
                            .formats = c->o->formats};
    int rc = plot_stacked(&ch, parts, 6, bars, n, e);
    if (rc == 0)
        embed(c, "explain", "where the hot path of each command runs (hotpath explain)");
    free_cells(labels, n);
    free(bars);
    json_decref(rows);
    return rc;
}

static const char css[] =
    "body{font-family:Arial,Helvetica,sans-serif;max-width:1100px;margin:2em auto;"
    "padding:0 1em;color:#222}h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;"
    "padding-bottom:.2em;margin-top:2em}table{border-collapse:collapse;margin:1em 0;"
    "font-size:.9em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}"
    "th{background:#f3f3f3}figure{margin:1em 0}figure svg{max-width:100%;height:auto}"
    "figcaption{font-size:.85em;color:#555}.meta{color:#555}";

int report_write(struct store *st, int64_t sweep, const char *uuid,
                 const struct report_opts *o, int *charts, struct err *e)
{
    struct ctx c = {.st = st, .sweep = sweep, .uuid = uuid, .o = o, .batch = plot_batch_new()};
    struct buf page = {0};
    buf_init(&c.html, REPORT_TEXT_MAX);
    buf_init(&c.md, REPORT_TEXT_MAX);
    int rc = -1;
    if (mkdir(o->out, 0755) < 0 && errno != EEXIST) {
        err_set(e, 1, "%s: cannot create: %s", o->out, strerror(errno));
        goto out;
    }
    if (load(&c, e) < 0)
        goto out;
    json_t *sw = json_array_get(c.sweep_row, 0);
    char *title = xasprintf("hotpath report: sweep %.8s", uuid);
    buf_puts(&c.html, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                      "<title>");
    html_esc(&c.html, title);
    buf_printf(&c.html, "</title><style>%s</style></head><body>\n", css);
    buf_puts(&c.md, "# ");
    md_esc(&c.md, title);
    buf_puts(&c.md, "\n");
    buf_puts(&c.html, "<h1>");
    html_esc(&c.html, title);
    buf_puts(&c.html, "</h1>\n");
    char *meta = xasprintf("Sweep %s, profile %s (seed %lld), started %s, finished %s, status "
                           "%s, %d host%s, hotpath %s. Times are each engine's own in-process "
                           "total_s; medians over the valid timed runs.", uuid, js(sw, "profile"),
                           (long long)json_integer_value(json_object_get(sw, "seed")),
                           js(sw, "started_at"), *js(sw, "finished_at") ? js(sw, "finished_at")
                           : "(not finished)", js(sw, "status"), c.nhosts,
                           c.nhosts == 1 ? "" : "s", js(sw, "hotpath_version"));
    para(&c, meta);
    free(meta);
    free(title);
    if (json_array_size(c.problems))
        para(&c, "Some runs produced no valid timing: see Caveats at the end.");
    if (json_array_size(c.warnings))
        para(&c, "Cells marked [!KIND] in the tables ran under conditions that change how they read: see "
                 "Caveats at the end.");
    if (!(c.baselines = store_baselines(st, e)))
        goto out;
    summary(&c, c.baselines);
    for (size_t t = 0; t < sizeof task_names / sizeof task_names[0]; t++) {
        const char *task = task_names[t];
        int any = 0;
        size_t i;
        json_t *r;
        json_array_foreach(c.medians, i, r)
            any |= !strcmp(js(r, "task"), task);
        json_array_foreach(c.problems, i, r)
            any |= !strcmp(js(r, "task"), task);
        if (!any)
            continue;
        heading(&c, 2, task);
        struct frame f;
        frame_of(&c, task, &f);
        int bad = chart_grouped(&c, task, &f, 0, e) < 0 || chart_heatmap(&c, task, &f, e) < 0 ||
                  speedup_ranges(&c, task, &f, e) < 0 || chart_grouped(&c, task, &f, 1, e) < 0 ||
                  chart_scaling(&c, task, &f, e) < 0 || chart_history(&c, task, &f, e) < 0;
        frame_free(&f);
        if (bad)
            goto out;
        /* every cell's numbers after the figures that draw them */
        char *h = xasprintf("%s: every cell", task);
        heading(&c, 3, h);
        free(h);
        task_table(&c, task);
    }
    if (explanations(&c, e) < 0)
        goto out;
    hosts_section(&c);
    software_section(&c);
    caveats(&c);
    buf_puts(&c.html, "</body></html>\n");
    if (plot_batch_run(c.batch, e) < 0)
        goto out;
    buf_init(&page, REPORT_TEXT_MAX);
    place_figures(&c, &page);
    if (write_doc(o->out, "report.html", &page, e) < 0 ||
        write_doc(o->out, "report.md", &c.md, e) < 0)
        goto out;
    *charts = c.charts;
    rc = 0;
out:
    json_decref(c.medians);
    json_decref(c.speedups);
    json_decref(c.runs);
    json_decref(c.history);
    json_decref(c.scaling);
    json_decref(c.hosts);
    json_decref(c.datasets);
    json_decref(c.problems);
    json_decref(c.spread);
    json_decref(c.sweep_row);
    json_decref(c.engines);
    json_decref(c.warnings);
    json_decref(c.baselines);
    buf_free(&c.html);
    buf_free(&c.md);
    buf_free(&page);
    for (size_t i = 0; i < c.nfigures; i++)
        free(c.figures[i].name);
    free(c.figures);
    plot_batch_free(c.batch);
    return rc;
}

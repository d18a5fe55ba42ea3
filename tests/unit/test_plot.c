#include "harness.h"
#include "../../common/buf.h"
#include "../../common/err.h"
#include "../../common/xmalloc.h"
#include "../../reports/plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int have_gnuplot(void)
{
    return system("gnuplot --version > /dev/null 2>&1") == 0;
}

/* The file's bytes, or NULL when it cannot be read. Caller frees. */
static char *slurp(const char *dir, const char *name, size_t *len)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    free(path);
    if (!f)
        return NULL;
    struct buf b;
    buf_init(&b, 64 << 20);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(&b, chunk, n);
    fclose(f);
    buf_add(&b, "", 0);
    *len = b.len;
    return b.data;
}

static int same_file(const char *dir_a, const char *dir_b, const char *name)
{
    size_t la = 0, lb = 0;
    char *a = slurp(dir_a, name, &la), *b = slurp(dir_b, name, &lb);
    int same = a && b && la == lb && la > 0 && memcmp(a, b, la) == 0;
    free(a);
    free(b);
    return same;
}

/* Bars, boxes and lines, in two host panels, queued on batch (or drawn at
 * once when it is NULL); title_b is the boxes' title. */
static int draw_three(const char *dir, struct plot_batch *batch, const char *title_b,
                      struct err *e)
{
    static const char *const panels[] = {"box-1", "box-2"}, *const groups[] = {"1", "2"};
    static const double xs[] = {1, 2}, ys[] = {0.004, 0.0021}, zs[] = {0.012, 0.011},
                        v1[] = {0.0039, 0.004, 0.0043}, v2[] = {0.011, 0.012, 0.0125};
    int cs = plot_engine_color("c-scalar"), np = plot_engine_color("python-numpy");
    struct plot_key key[] = {{"c-scalar", cs, 0}, {"python-numpy", np, 1}};
    struct plot_frame f = {panels, 2, key, 2, "hatched: the baseline"};
    struct plot_item it[] = {
        {0, 0, 0, cs, 0, 0.004, 0.0038, 0.0043, v1, 3, 0},
        {0, 0, 1, np, 1, 0.012, 0.011, 0.0125, v2, 3, 0},
        {0, 1, 0, cs, 0, 0.0021, -1, -1, v1, 3, 0},
        {1, 0, 0, cs, 0, 0.005, 0.0049, 0.0052, v1, 3, 0},
        {1, 1, 1, np, 1, 0.011, -1, -1, v2, 3, 0}};
    struct plot_line l[] = {{0, cs, 0, xs, ys, NULL, NULL, NULL, 2},
                            {1, np, 1, xs, zs, NULL, NULL, NULL, 2}};
    struct plot_chart a = {.dir = dir, .name = "bars", .title = "bars", .ylabel = "time",
                           .logy = 1, .formats = PLOT_SVG | PLOT_PNG, .yunit = 's',
                           .batch = batch};
    struct plot_chart b = a, c = a;
    b.name = "boxes";
    b.title = title_b;
    c.name = "lines";
    c.title = "lines";
    c.xlabel = "threads";
    int rc = plot_grouped(&a, &f, groups, 2, 2, it, 5, 0, e);
    if (rc == 0)
        rc = plot_grouped(&b, &f, groups, 2, 2, it, 5, 1, e);
    if (rc == 0)
        rc = plot_panel_lines(&c, &f, l, 2, e);
    return rc;
}

TEST(test_plot_batch_same_charts)
{
    if (!have_gnuplot()) {
        SKIP("gnuplot is not installed here");
        return;
    }
    char one[] = "/tmp/hp-plot-one-XXXXXX", all[] = "/tmp/hp-plot-all-XXXXXX";
    CHECK(mkdtemp(one) && mkdtemp(all), "two temporary folders are made");
    struct err e = {0};
    CHECK(draw_three(one, NULL, "boxes", &e) == 0, "three charts are drawn one by one");
    struct plot_batch *b = plot_batch_new();
    CHECK(draw_three(all, b, "boxes", &e) == 0, "three charts are queued");
    CHECK(plot_batch_run(b, &e) == 0, "the batch draws them");
    plot_batch_free(b);
    static const char *const files[] = {"bars.svg", "bars.png", "boxes.svg", "boxes.png",
                                        "lines.svg", "lines.png", "bars.gp", "lines.gp"};
    int same = 1;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (!same_file(one, all, files[i])) {
            fprintf(stderr, "    %s differs between %s and %s\n", files[i], one, all);
            same = 0;
        }
    CHECK(same, "charts drawn together are byte for byte those drawn each by its own gnuplot");
    char *cmd = xasprintf("rm -rf '%s' '%s'", one, all);
    CHECK(system(cmd) == 0, "the folders are removed");
    free(cmd);
}

TEST(test_plot_batch_error_names_chart)
{
    if (!have_gnuplot()) {
        SKIP("gnuplot is not installed here");
        return;
    }
    char dir[] = "/tmp/hp-plot-err-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "a temporary folder is made");
    struct err e = {0};
    struct plot_batch *b = plot_batch_new();
    /* A quote in a title ends gnuplot's string: a syntax error in that chart. */
    CHECK(draw_three(dir, b, "it's broken", &e) == 0, "three charts are queued");
    CHECK(plot_batch_run(b, &e) < 0, "a chart gnuplot cannot draw fails the batch");
    char *want = xasprintf("gnuplot failed on %s/boxes.gp: ", dir);
    CHECK(strstr(e.msg, want) == e.msg, "the error names the chart that failed");
    CHECK(strstr(e.msg, "boxes.gp\" line") != NULL, "and says where in its script");
    free(want);
    size_t len;
    char *svg = slurp(dir, "lines.svg", &len);
    CHECK(svg && strstr(svg, "</svg>"), "the chart queued after it is drawn all the same");
    free(svg);
    char *png = slurp(dir, "bars.png", &len);
    CHECK(png && len > 8 && !memcmp(png, "\x89PNG", 4), "and the one before it");
    free(png);
    e = (struct err){0};
    CHECK(plot_batch_run(b, &e) == 0, "a batch that ran is empty");
    plot_batch_free(b);
    /* Drawn at once (no batch), the same error. */
    e = (struct err){0};
    static const char *const parts[] = {"a", "b"};
    struct plot_stack row = {"run", {0.5, 0.5}};
    struct plot_chart c = {.dir = dir, .name = "alone", .title = "no 'end", .ylabel = "y",
                           .formats = PLOT_SVG};
    CHECK(plot_stacked(&c, parts, 2, &row, 1, &e) < 0, "a chart drawn at once fails as well");
    want = xasprintf("gnuplot failed on %s/alone.gp: ", dir);
    CHECK(strstr(e.msg, want) == e.msg, "and its error names it");
    free(want);
    char *cmd = xasprintf("rm -rf '%s'", dir);
    CHECK(system(cmd) == 0, "the folder is removed");
    free(cmd);
}

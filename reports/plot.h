#ifndef HP_PLOT_H
#define HP_PLOT_H
/* Charts as gnuplot scripts plus the data files they read. Names (hosts,
 * engines) only ever travel through data files, read as text, never
 * through script text, so no name can run a command. */
#include <stddef.h>

struct err;

/* The cap of every text a report builds (scripts, data files, pages). */
#define REPORT_TEXT_MAX ((size_t)256 << 20)

#define PLOT_SVG 1
#define PLOT_PNG 2

struct plot_chart {
    const char *dir, *name;     /* writes DIR/NAME.gp, NAME.dat, NAME.svg, NAME.png */
    const char *title, *xlabel, *ylabel;
    int logy, formats;
    double ref_line;            /* a dashed horizontal line at this y, or 0 */
    int xtime;                  /* x is unix time */
    char yunit;                 /* log tics labelled in 's' (ms, s; default) or 'x' */
    int width, height;          /* pixels, both formats; 0: 1280 x 720 */
    struct plot_batch *batch;   /* queued there (plot_batch_run draws it), or NULL: drawn now */
};

/* Charts drawn together: the plot_* call of a chart that names a batch
 * writes its script and data and hands it to one of the batch's gnuplot
 * processes (one per core, started as charts come, each drawing one chart
 * after another while the caller goes on); plot_batch_run waits for them.
 * An error names the first chart (in the order given) that could not be
 * drawn; the others are drawn all the same. */
struct plot_batch;
struct plot_batch *plot_batch_new(void);
int plot_batch_run(struct plot_batch *b, struct err *e);    /* and empties it */
void plot_batch_free(struct plot_batch *b);

#define PLOT_COLORS 18
/* The engine's colour (a linetype, 1..PLOT_COLORS), the same everywhere. */
int plot_engine_color(const char *engine);
/* Its hex value, "#RRGGBB", for the reports' legends. */
const char *plot_color_hex(int color);

/* Small multiples: panels sharing their axes, in a grid of up to two
 * columns, under one legend. Panel titles and legend labels are names:
 * they travel as data. Every text is placed by the writer in a layout
 * that keeps texts apart. */
struct plot_key {
    const char *label;
    int color;
    int baseline;           /* drawn hatched (bars, boxes) or dashed (lines) */
};

struct plot_frame {
    const char *const *panels;
    size_t npanels;
    const struct plot_key *key;
    size_t nkey;
    const char *note;       /* one line under the legend, or NULL */
};

/* One bar (median, p25..p75 whisker) or one box (every value) of a
 * grouped chart: groups (thread counts) along x, one slot per engine. */
struct plot_item {
    int panel, group, slot, color, baseline;
    double y, lo, hi;                   /* bars; lo/hi < 0: no whisker */
    const double *v;                    /* boxes: every value */
    size_t nv;
    int flagged;                        /* marked above it: a caveat changes how it reads */
};
int plot_grouped(const struct plot_chart *c, const struct plot_frame *f,
                 const char *const *groups, int ngroups, int nslots,
                 const struct plot_item *it, size_t n, int boxes, struct err *e);

/* One line per series and panel; x is unix time when c->xtime, else a
 * count on a log2 axis with a tic at every x drawn. lo/hi: a band
 * (p25..p75) or NULL; mark: per point +1 (a change up beyond the noise),
 * -1 (down), 0, or NULL. */
struct plot_line {
    int panel, color, baseline;
    const double *x, *y, *lo, *hi;
    const int *mark;
    size_t n;
};
int plot_panel_lines(const struct plot_chart *c, const struct plot_frame *f,
                     const struct plot_line *l, size_t n, struct err *e);

/* A heatmap per panel: rows x columns, each cell coloured by log(v) around
 * 1 and its text printed in it. */
struct plot_cell {
    int panel, row, col;
    double v;
    const char *text;
};
int plot_heatmap(const struct plot_chart *c, const struct plot_frame *f,
                 const char *const *rows, int nrows, const char *const *cols, int ncols,
                 const struct plot_cell *cell, size_t n, struct err *e);

/* One horizontal range (lo..hi on a log x axis) per row, its text right of
 * it, and a dot at each of its values (one per host). */
#define PLOT_RANGE_VALUES 64
struct plot_range {
    const char *label;
    int color;
    double lo, hi;
    const char *text;
    double v[PLOT_RANGE_VALUES];
    int nv;
};
int plot_ranges(const struct plot_chart *c, const struct plot_frame *f,
                const struct plot_range *r, size_t n, struct err *e);

/* One bar per row, its parts stacked (shares 0..1, up to PLOT_PARTS), in
 * percent. Part names are the caller's fixed words (script text, shown in
 * the key); row labels travel as data, like every other name. */
#define PLOT_PARTS 8
struct plot_stack {
    const char *label;
    double share[PLOT_PARTS];
};
int plot_stacked(const struct plot_chart *c, const char *const *parts, int nparts,
                 const struct plot_stack *rows, size_t n, struct err *e);

/* A name made safe for a data file: tabs and line breaks become spaces;
 * everything else is kept as it is. Caller frees. */
char *plot_text(const char *s);

#endif

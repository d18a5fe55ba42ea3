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

struct plot_bar {
    const char *cluster;    /* bars of one cluster stand together, labelled once */
    const char *label;      /* under the bar */
    int color;              /* 1..PLOT_COLORS: plot_engine_color() */
    double y, lo, hi;       /* lo/hi < 0: no error bar */
    const char *text;       /* printed above the bar, or NULL */
};

struct plot_series {
    const char *label;
    int color;
    const double *x, *y;
    size_t n;
};

struct plot_chart {
    const char *dir, *name;     /* writes DIR/NAME.gp, NAME.dat, NAME.svg, NAME.png */
    const char *title, *xlabel, *ylabel;
    int logy, formats;
    double ref_line;            /* a dashed horizontal line at this y, or 0 */
    int xtime;                  /* x is unix time */
    char yunit;                 /* log tics labelled in 's' (ms, s; default) or 'x' */
};

#define PLOT_COLORS 18
/* The engine's colour (a linetype, 1..PLOT_COLORS), the same everywhere. */
int plot_engine_color(const char *engine);
/* Its hex value, "#RRGGBB", for the reports' legends. */
const char *plot_color_hex(int color);

int plot_bars(const struct plot_chart *c, const struct plot_bar *bars, size_t n,
              struct err *e);
/* One box plot with every point per series (x ignored; y the values). */
int plot_boxes(const struct plot_chart *c, const struct plot_series *s, size_t n,
               struct err *e);
/* One line per series, labelled at its last point. */
int plot_lines(const struct plot_chart *c, const struct plot_series *s, size_t n,
               struct err *e);

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

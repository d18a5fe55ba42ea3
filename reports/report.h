#ifndef HP_REPORT_H
#define HP_REPORT_H
#include <stdint.h>

struct err;
struct store;

struct report_opts {
    const char *out;        /* folder, created if missing */
    int formats;            /* PLOT_SVG | PLOT_PNG */
    const char *history;    /* engines in the history charts, comma-separated, or "all";
                               NULL: each task's baseline and its HISTORY_FASTEST fastest */
};

#define HISTORY_FASTEST 2

/* Writes charts (scripts, data, SVG/PNG), report.html and report.md for
 * one sweep. Fills *charts with how many charts were drawn. */
int report_write(struct store *st, int64_t sweep, const char *uuid,
                 const struct report_opts *o, int *charts, struct err *e);

#endif

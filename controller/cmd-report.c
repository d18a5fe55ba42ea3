/* hotpath report: charts, report.html and report.md for one sweep. */
#include "hotpath.h"
#include "../common/err.h"
#include "../reports/plot.h"
#include "../reports/report.h"
#include "../store/store.h"

#include <stdio.h>
#include <string.h>

int cmd_report(int argc, char **argv)
{
    const char *which = "latest";
    struct report_opts o = {.out = "report", .formats = PLOT_SVG | PLOT_PNG};
    int have_sweep = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            o.out = argv[++i];
        } else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            const char *f = argv[++i];
            o.formats = (strstr(f, "svg") ? PLOT_SVG : 0) | (strstr(f, "png") ? PLOT_PNG : 0);
            if (!o.formats || strspn(f, "svgpn,") != strlen(f))
                die_code(2, "report: --format takes svg, png or svg,png");
        } else if (!strcmp(argv[i], "--history") && i + 1 < argc) {
            o.history = argv[++i];
            if (!*o.history)
                die_code(2, "report: --history takes engine names (comma-separated) or all");
        } else if (argv[i][0] != '-' && !have_sweep) {
            which = argv[i];
            have_sweep = 1;
        } else {
            die_code(2, "report: unknown argument '%s' (see hotpath report --help)", argv[i]);
        }
    }
    struct store *st;
    hp_open_readonly(&st);
    struct err e = {0};
    int64_t id;
    char uuid[64];
    if (store_sweep_find(st, which, &id, uuid, NULL, &e) < 0)
        die("%s", e.msg);
    int charts = 0;
    info("writing the report of sweep %.8s into %s/", uuid, o.out);
    if (report_write(st, id, uuid, &o, &charts, &e) < 0)
        die("%s", e.msg);
    store_close(st);
    info("%d charts", charts);
    printf("%s/report.html\n", o.out);
    return 0;
}

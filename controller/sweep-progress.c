#include "sweep-progress.h"
#include "cfg.h"
#include "../common/clock.h"
#include "../common/err.h"

#include <stdio.h>
#include <string.h>

void progress_eta(double s, char *out, size_t n)
{
    if (s < 0 || s > 864000)
        snprintf(out, n, "?");
    else if (s >= 3600)
        snprintf(out, n, "%dh%02dm", (int)s / 3600, (int)s % 3600 / 60);
    else
        snprintf(out, n, "%dm%02ds", (int)s / 60, (int)s % 60);
}

static void host_line(const struct host_state *h, char *out, size_t n)
{
    char eta[32] = "";
    if (h->seen > 0 && h->todo > h->seen) {
        double per = (clock_now() - h->started) / (double)h->seen;
        progress_eta(per * (double)(h->todo - h->seen), eta, sizeof eta);
    }
    snprintf(out, n, "%-12s %-8s %5ld/%-5ld", h->cfg->name, h->status, h->seen, h->todo);
    if (h->bad) {
        size_t l = strlen(out);
        snprintf(out + l, n - l, " (%ld not ok)", h->bad);
    }
    size_t l = strlen(out);
    if (h->current[0])
        snprintf(out + l, n - l, "  %s", h->current);
    l = strlen(out);
    if (eta[0])
        snprintf(out + l, n - l, "  ETA %s", eta);
}

void progress_draw(struct progress *p, int final)
{
    if (log_level < 1)
        return;
    char line[512];
    if (p->tty) {
        if (p->drawn)
            fprintf(stderr, "\033[%dA", p->nhosts);
        for (int i = 0; i < p->nhosts; i++) {
            host_line(&p->hosts[i], line, sizeof line);
            fprintf(stderr, "\r\033[K%s\n", line);
        }
        p->drawn = 1;
        return;
    }
    for (int i = 0; i < p->nhosts; i++) {
        struct host_state *h = &p->hosts[i];
        int pct = h->todo ? (int)(100 * h->seen / h->todo) : 0;
        if (final || pct >= h->next_report) {
            host_line(h, line, sizeof line);
            fprintf(stderr, "hotpath: %s\n", line);
            while (h->next_report <= pct)
                h->next_report += 10;
        }
    }
}

void progress_clear(struct progress *p)
{
    if (!p->tty || !p->drawn)
        return;
    fprintf(stderr, "\033[%dA\r\033[K", p->nhosts);
    p->drawn = 0;
    for (int i = 0; i < p->nhosts; i++)
        fprintf(stderr, "\n");
    fprintf(stderr, "\033[%dA", p->nhosts);
}

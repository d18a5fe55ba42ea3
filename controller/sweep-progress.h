#ifndef HP_SWEEP_PROGRESS_H
#define HP_SWEEP_PROGRESS_H
/* What a sweep shows of its hosts on stderr: a live line per host on a
 * terminal, plain lines every 10 % otherwise. */
#include <stddef.h>
#include <stdint.h>

struct host_cfg;

struct host_state {
    const struct host_cfg *cfg;
    int64_t id, snapshot;
    long planned, todo, seen, ok, bad;
    long cores;             /* logical cores, as the host's probe said; -1 before */
    long refused;           /* run records not of this sweep's plan */
    char current[128];
    char status[16];
    char *error;
    double started;
    int next_report;        /* percent, for plain progress lines */
};

struct progress {
    struct host_state *hosts;
    int nhosts;
    int tty, drawn;
};

void progress_draw(struct progress *p, int final);
/* Clears the live lines, so a message printed next reads cleanly. */
void progress_clear(struct progress *p);
/* "12m05s", "1h02m", "?" for an estimate out of reach. */
void progress_eta(double s, char *out, size_t n);

#endif

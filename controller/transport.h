#ifndef HP_TRANSPORT_H
#define HP_TRANSPORT_H
/* How the controller reaches a host's agent. A connection runs one agent
 * command, feeds it stdin text, and yields its stdout line by line. */
#include "cfg.h"
#include "../common/buf.h"

struct err;
struct conn;

struct transport {
    const char *name;
    /* Starts `hotpath-agent ARGS...` on the host with in as its stdin. */
    int (*start)(const struct host_cfg *h, char *const *args, const char *in,
                 struct conn **c, struct err *e);
    /* 1 with a line (no '\n') in line, 0 at the end of output, -1 on error
     * (a line over the limit is an error too). */
    int (*read_line)(struct conn *c, struct buf *line, struct err *e);
    /* Waits for the agent; its exit status, and the tail of its stderr. */
    int (*finish)(struct conn *c, int *status, char *err_tail, size_t n);
};

extern const struct transport transport_local;
/* The transport a host's configuration names; NULL with e filled when this
 * build cannot reach it. */
const struct transport *transport_for(const struct host_cfg *h, struct err *e);

#endif

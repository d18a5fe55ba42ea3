#ifndef HP_SWEEP_HOST_H
#define HP_SWEEP_HOST_H
/* One host's part of a sweep, the same for every transport: reach it, make
 * sure of its bundle, replay its journal (resume), learn what is already
 * stored, start (or take over) its agent, follow its records to the done
 * record across dropped connections, queue everything for the writer. */
#include <jansson.h>

struct cfg;
struct host_cfg;
struct queue;

struct worker {
    struct queue *q;
    int index;
    const struct host_cfg *h;
    const struct cfg *cfg;
    const char *uuid;
    int resume;
    json_t *plan;           /* this host's plan, without its done list */
    int replaying;
};

/* The worker thread's body: ends with an EV_END event, whatever happened. */
void *sweep_host_main(void *worker);

#endif

#ifndef HP_SWEEP_H
#define HP_SWEEP_H
#include <jansson.h>
#include <stdint.h>

struct cfg;
struct err;
struct store;

/* Runs a sweep's plan on every host of cfg, in parallel across hosts, and
 * stores what comes back. With resume, each host's journal is replayed
 * first and only runs missing from the store are planned. Returns the
 * sweep's final status ("complete", "partial" or "failed"), or NULL with e
 * filled on a store error. */
const char *sweep_execute(struct store *st, int64_t sweep_id, const char *uuid, json_t *plan,
                          const struct cfg *cfg, int resume, struct err *e);

/* The plan for a sweep: its settings, the engines' definitions from the
 * registry and the reference engine, and an order seed. */
json_t *sweep_plan(const char *uuid, json_t *sweep_cfg, json_t *registry);
/* workloads/engines.json beside the program. */
json_t *sweep_registry(struct err *e);
void sweep_uuid(char out[37]);
/* A host's plan: a copy of plan with its name and python. */
json_t *sweep_host_plan(json_t *plan, const char *host, const char *python);
/* The plan's text with done (taken) as its list of runs already stored. */
char *sweep_plan_text(json_t *host_plan, json_t *done);

#endif

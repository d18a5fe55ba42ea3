#ifndef HP_REMOTE_H
#define HP_REMOTE_H
/* One SSH host's part of a sweep: bundle, plan, a detached agent, and a
 * followed journal that survives dropped connections. */
#include <jansson.h>
#include "proto.h"

struct cfg;
struct host_cfg;
struct err;

/* Called for every record, in order; replay marks journal records that a
 * resume re-reads. */
typedef void (*remote_emit_fn)(void *ctx, enum proto_type t, json_t *msg, int replay);

/* 0 when the host's run finished (its done record was seen); -1 with e
 * filled when the host failed or was lost. */
int remote_sweep_host(const struct host_cfg *h, const struct cfg *c, const char *uuid,
                      const char *plan_text, int resume, remote_emit_fn emit, void *ctx,
                      struct err *e);
/* `hotpath-agent ARGS` on the host (bundle pushed first): its stdout. */
int remote_agent(const struct host_cfg *h, const struct cfg *c, char *const *args,
                 char **out, struct err *e);
/* Quoting of one remote command line: exec_prefix words, then argv. */
char *remote_command(const struct host_cfg *h, char *const *argv);

#endif

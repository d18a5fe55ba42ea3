#ifndef HP_RECORD_H
#define HP_RECORD_H
/* Wire records (proto.h) as store rows (store.h): the one place that knows
 * both, so the store never reads a wire message. */
#include <jansson.h>
#include <stdint.h>

struct err;
struct store;
struct proto_run;

int record_run(struct store *st, int64_t sweep, int64_t host, int64_t snapshot,
               const struct proto_run *r, int *added, struct err *e);
/* A probe message; returns the snapshot's id or -1. */
int64_t record_snapshot(struct store *st, int64_t sweep, int64_t host, json_t *msg,
                        struct err *e);
/* A data message (the manifest and how it was made). */
int record_dataset(struct store *st, int64_t sweep, int64_t host, json_t *msg, struct err *e);

#endif

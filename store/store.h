#ifndef HP_STORE_H
#define HP_STORE_H
/* The SQLite store: the only module that includes sqlite3.h. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

struct err;
struct store;

enum store_format { STORE_TABLE, STORE_CSV, STORE_JSON };

/* Opens (creating and migrating when writable) the store at path. */
int store_open(const char *path, int readonly, struct store **s, struct err *e);
void store_close(struct store *s);
int store_begin(struct store *s, struct err *e);
int store_commit(struct store *s, struct err *e);

int64_t store_sweep_create(struct store *s, const char *uuid, const char *config_path,
                           json_t *plan, struct err *e);
int store_sweep_finish(struct store *s, int64_t sweep, const char *status, struct err *e);
/* "latest", a whole uuid or a unique prefix; fills id, uuid and plan. */
int store_sweep_find(struct store *s, const char *which, int64_t *id, char uuid[64],
                     json_t **plan, struct err *e);
int64_t store_host(struct store *s, const char *name, const char *transport,
                   const char *address, struct err *e);
int store_sweep_host(struct store *s, int64_t sweep, int64_t host, const char *status,
                     long planned, const char *error, struct err *e);
int64_t store_snapshot(struct store *s, int64_t sweep, int64_t host, json_t *msg,
                       struct err *e);
int store_dataset(struct store *s, int64_t sweep, int64_t host, json_t *msg, struct err *e);
struct proto_run;
/* Inserts one run record; an identical key already stored is left alone
 * (returns 0, *added = 0). */
int store_run(struct store *s, int64_t sweep, int64_t host, int64_t snapshot,
              const struct proto_run *r, int *added, struct err *e);
/* [[task, engine, threads, repeat], ...] already stored for a sweep and host. */
json_t *store_done_runs(struct store *s, int64_t sweep, int64_t host);

/* Runs one read-only statement and prints its rows. Writes, ATTACH and
 * PRAGMA changes are refused by an authorizer. */
int store_query(struct store *s, const char *sql, enum store_format fmt, FILE *out,
                struct err *e);
int store_integrity(struct store *s, struct err *e);
/* Rows of a SELECT as an array of objects (column name -> value). Parameters
 * are bound from fmt: s string, i int64, f double. NULL with e on error. */
json_t *store_select(struct store *s, struct err *e, const char *sql, const char *fmt, ...);

#endif

#ifndef HP_STORE_H
#define HP_STORE_H
/* The SQLite store: the only module that includes sqlite3.h, and the only
 * one that writes SQL. Rows other modules read come back as JSON arrays of
 * objects (column name -> value), or through a row callback. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct err;
struct store;

/* Opens the store at path. Writable: created if missing, migrated to this
 * hotpath's schema, dirty cell statistics stored. Read-only: migrated and
 * refreshed first when the file can be written (quietly skipped when it
 * cannot, or when another process holds the write lock), then opened with
 * an authorizer that refuses writes; a store in a read-only directory is
 * still readable. */
int store_open(const char *path, int readonly, struct store **s, struct err *e);
void store_close(struct store *s);
int store_begin(struct store *s, struct err *e);
int store_commit(struct store *s, struct err *e);
/* The schema version this hotpath writes (the number of migrations). */
int store_schema_version(void);

/* ---- writing a sweep ---- */

int64_t store_sweep_create(struct store *s, const char *uuid, const char *config_path,
                           json_t *plan, struct err *e);
/* Also stores the statistics of every cell whose runs changed. */
int store_sweep_finish(struct store *s, int64_t sweep, const char *status, struct err *e);
/* "latest", a whole uuid or a unique prefix; fills id, uuid and plan. */
int store_sweep_find(struct store *s, const char *which, int64_t *id, char uuid[64],
                     json_t **plan, struct err *e);
int64_t store_host(struct store *s, const char *name, const char *transport,
                   const char *address, struct err *e);
/* A host leaving the running state (done, failed, lost) has its cells'
 * statistics stored. */
int store_sweep_host(struct store *s, int64_t sweep, int64_t host, const char *status,
                     long planned, const char *error, struct err *e);

/* A host's probe as the store keeps it: the whole probe as JSON plus the
 * columns people filter on (NULL / NAN / -1 when unknown). */
struct store_snapshot {
    double taken_at;
    json_t *probe;
    const char *os, *kernel, *arch, *cpu_model, *virtualization, *governor, *compiler,
               *python_version;
    long long physical_cores, logical_cores, memory_bytes;
    double load_avg_1m;
};
int64_t store_snapshot(struct store *s, int64_t sweep, int64_t host,
                       const struct store_snapshot *snap, struct err *e);

struct store_dataset {
    const char *profile;
    long long seed;
    json_t *manifest;
    const char *files_sha;  /* the files' checksums joined */
    int reused;
    double gen_s;           /* NAN when unknown */
    const char *regenerated;    /* what failed the check of data that was there, or NULL */
};
int store_dataset(struct store *s, int64_t sweep, int64_t host, const struct store_dataset *d,
                  struct err *e);

/* One run row. Optional fields are present when their STORE_RUN_* bit is
 * set in has. */
enum {
    STORE_RUN_WALL = 1 << 0, STORE_RUN_TOTAL = 1 << 1, STORE_RUN_LOAD = 1 << 2,
    STORE_RUN_COMPUTE = 1 << 3, STORE_RUN_USER = 1 << 4, STORE_RUN_SYS = 1 << 5,
    STORE_RUN_RSS = 1 << 6, STORE_RUN_EXIT = 1 << 7, STORE_RUN_SIGNAL = 1 << 8,
    STORE_RUN_THREADS_USED = 1 << 9, STORE_RUN_AT = 1 << 10,
    STORE_RUN_MINFLT = 1 << 11, STORE_RUN_MAJFLT = 1 << 12, STORE_RUN_NVCSW = 1 << 13,
    STORE_RUN_NIVCSW = 1 << 14, STORE_RUN_OTHER_CPU = 1 << 15, STORE_RUN_THROTTLED = 1 << 16,
};
struct store_run {
    const char *task, *engine, *status, *error;     /* error may be NULL */
    long long threads, repeat, seq, max_rss_kb, exit_code, signal, threads_used;
    int warmup;
    double wall_s, total_s, load_s, compute_s, user_s, sys_s, at;
    /* the run's conditions: page faults, context switches, other processes'
     * CPU seconds meanwhile, thermal throttle events meanwhile */
    long long minflt, majflt, nvcsw, nivcsw, throttled;
    double other_cpu_s;
    unsigned has;
};
/* Inserts one run; an identical key already stored is left alone
 * (returns 0, *added = 0). */
int store_run(struct store *s, int64_t sweep, int64_t host, int64_t snapshot,
              const struct store_run *r, int *added, struct err *e);
/* [[task, engine, threads, repeat], ...] already stored for a sweep and host. */
json_t *store_done_runs(struct store *s, int64_t sweep, int64_t host);
/* Stores the statistics of every cell whose runs changed (see cell_dirty in
 * the schema); n cells refreshed in *n when n is not NULL. */
int store_refresh_cells(struct store *s, long *n, struct err *e);

/* ---- reading ---- */

/* The newest sweeps (at most limit): sweep (8 characters), started,
 * status, profile, hosts, stored, planned, ok, bad, skipped. */
json_t *store_sweeps_summary(struct store *s, int limit, struct err *e);
/* One sweep's row (uuid, config_path, plan as JSON text, profile, seed,
 * bundle_sha, hotpath_version, started_at, finished_at, status, and t: the
 * start as unix seconds). */
json_t *store_sweep_info(struct store *s, int64_t sweep, struct err *e);
/* One row per host of a sweep, by name: host, host_id, transport, status,
 * planned, stored, ok, error. */
json_t *store_sweep_hosts(struct store *s, int64_t sweep, struct err *e);
/* Every run of a sweep as published: host, task, engine, threads, repeat,
 * warmup, status, wall_s, ... at. */
json_t *store_sweep_runs(struct store *s, int64_t sweep, struct err *e);
/* Every probe of a sweep's hosts: host, taken_at, probe (JSON text). */
json_t *store_sweep_snapshots(struct store *s, int64_t sweep, struct err *e);
/* Each host's latest snapshot in a sweep, every column, by host name. */
json_t *store_sweep_hardware(struct store *s, int64_t sweep, struct err *e);
/* What differs in version between a sweep's hosts (v_version_spread):
 * name, versions, hosts ("h1 2.1.0, h2 1.9.0"); by name. */
json_t *store_sweep_version_spread(struct store *s, int64_t sweep, struct err *e);
/* The sweep's data sets: host, profile, seed, manifest (JSON text),
 * files_sha, reused, gen_s, regenerated. */
json_t *store_sweep_datasets(struct store *s, int64_t sweep, struct err *e);
/* Cells of a sweep with valid runs: host, task, engine, threads, n,
 * median_s, p25_s, p75_s, min_s, max_s, cv; by task, host, threads, engine. */
json_t *store_sweep_cells(struct store *s, int64_t sweep, struct err *e);
/* Valid timed runs of a sweep: host, task, engine, threads, total_s; by
 * host, task, engine, threads, total_s. */
json_t *store_sweep_valid_runs(struct store *s, int64_t sweep, struct err *e);
/* Runs without a valid timing, grouped: host, task, engine, threads,
 * status, runs, error; by task, host, engine, threads. */
json_t *store_sweep_problems(struct store *s, int64_t sweep, struct err *e);
/* Cells of a sweep whose medians read differently because of how they ran
 * (v_warnings): host, task, engine, threads, kind, reason; by task, host,
 * engine, threads, kind. */
json_t *store_sweep_warnings(struct store *s, int64_t sweep, struct err *e);
/* {task: baseline engine}. */
json_t *store_baselines(struct store *s, struct err *e);
/* The history of one task on the hosts of a sweep, for one engine (NULL:
 * every engine), over every sweep up to and including this one: host,
 * engine, threads, sweep_id, t (start, unix seconds, exact), n, median_s,
 * p25_s, p75_s; by host, engine, threads, t. */
json_t *store_task_history(struct store *s, int64_t sweep, const char *task,
                           const char *engine, struct err *e);
/* The valid timed run times of one cell, ascending; *v is the caller's. */
int store_cell_times(struct store *s, int64_t sweep, const char *host, const char *task,
                     const char *engine, long long threads, double **v, size_t *n,
                     struct err *e);

/* ---- hotpath query ---- */

enum store_type { STORE_NULL, STORE_INTEGER, STORE_REAL, STORE_TEXT };
struct store_value {
    enum store_type type;
    long long i;
    double d;
    const char *s;      /* text; valid during the callback only */
};
/* Called once with vals NULL (the column names), then once per row as the
 * row comes; a non-zero return stops the query with that status. */
typedef int (*store_row_fn)(void *arg, int ncol, const char *const *names,
                            const struct store_value *vals);
struct store_limits {
    double timeout_s;       /* <= 0: none */
    long long max_bytes;    /* SQLite's heap; <= 0: none */
};
/* Runs one read-only statement and hands its rows to fn. Writes, ATTACH and
 * PRAGMA changes are refused by an authorizer. */
int store_query(struct store *s, const char *sql, const struct store_limits *lim,
                store_row_fn fn, void *arg, struct err *e);
int store_integrity(struct store *s, struct err *e);

/* One `hotpath explain` result (the JSON explain_summary() gives, with
 * command and host) as a row of explanations. */
int store_explain_add(struct store *s, json_t *summary, struct err *e);
/* The newest explanation of each (host, command), newest first, at most
 * limit: [{host, command, at, mode, shares...}]. */
json_t *store_explain_latest(struct store *s, int limit, struct err *e);

#endif

#include "store.h"
#include "../common/quantile.h"
#include "../common/buf.h"
#include "../common/clock.h"
#include "../common/err.h"
#include "../common/xmalloc.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Embedded at build time from store/migrations/ and store/views.sql. */
extern const char *const store_migrations[];
extern const char store_views_sql[];

struct store {
    sqlite3 *db;
    int readonly;
    char refused[160];      /* why the authorizer said no */
    sqlite3_stmt *ins_run;
    double deadline;        /* store_query's, on the monotonic clock; 0: none */
    int timed_out;
};

int store_schema_version(void)
{
    int n = 0;
    while (store_migrations[n])
        n++;
    return n;
}

static int db_err(struct store *s, struct err *e, const char *what)
{
    return err_set(e, 1, "store: %s: %s", what, sqlite3_errmsg(s->db));
}

static int exec(struct store *s, const char *sql, struct err *e)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        err_set(e, 1, "store: %s", msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int read_only_guard(void *arg, int action, const char *a, const char *b,
                           const char *db, const char *trigger)
{
    struct store *s = arg;
    (void)db;
    (void)trigger;
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
        return SQLITE_OK;
    case SQLITE_PRAGMA:
        if (b == NULL && a && (!strcmp(a, "table_info") || !strcmp(a, "table_list") ||
                               !strcmp(a, "user_version") || !strcmp(a, "index_list") ||
                               !strcmp(a, "integrity_check") || !strcmp(a, "quick_check")))
            return SQLITE_OK;
        snprintf(s->refused, sizeof s->refused, "PRAGMA %s%s%s", a ? a : "",
                 b ? " = " : "", b ? b : "");
        return SQLITE_DENY;
    case SQLITE_ATTACH:
        snprintf(s->refused, sizeof s->refused, "ATTACH");
        return SQLITE_DENY;
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
        snprintf(s->refused, sizeof s->refused, "%s on %s",
                 action == SQLITE_INSERT ? "INSERT" : action == SQLITE_UPDATE ? "UPDATE"
                                                                             : "DELETE",
                 a ? a : "?");
        return SQLITE_DENY;
    default:
        snprintf(s->refused, sizeof s->refused, "a statement that changes the store");
        return SQLITE_DENY;
    }
}

static int user_version(struct store *s, int *v, struct err *e)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return db_err(s, e, "user_version");
    *v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return 0;
}

/* FNV-1a: which views.sql a store carries. */
static void views_sum(char out[17])
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)store_views_sql; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static int views_current(struct store *s)
{
    char want[17];
    views_sum(want);
    sqlite3_stmt *st;
    int same = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM store_meta WHERE key = 'views'", -1, &st,
                           NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        same = !strcmp((const char *)sqlite3_column_text(st, 0), want);
    sqlite3_finalize(st);
    return same;
}

/* Drops every view and creates those of views.sql. */
static int views_install(struct store *s, struct err *e)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT name FROM sqlite_master WHERE type = 'view'", -1,
                           &st, NULL) != SQLITE_OK)
        return db_err(s, e, "list views");
    struct buf drop;
    buf_init(&drop, 1 << 20);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        buf_puts(&drop, "DROP VIEW IF EXISTS \"");
        for (; *name; name++) {
            if (*name == '"')
                buf_add(&drop, name, 1);
            buf_add(&drop, name, 1);
        }
        buf_puts(&drop, "\";\n");
    }
    sqlite3_finalize(st);
    char sum[17], set[96];
    views_sum(sum);
    snprintf(set, sizeof set, "INSERT OR REPLACE INTO store_meta VALUES ('views', '%s')", sum);
    int rc = (drop.len && exec(s, drop.data, e) < 0) || exec(s, store_views_sql, e) < 0 ||
             exec(s, set, e) < 0 ? -1 : 0;
    buf_free(&drop);
    return rc;
}

/* Takes the write lock first, then reads the version: two processes that
 * open a new store at once never both create it. Applies the migrations
 * the store lacks in order, installs the views when they changed, and
 * stores dirty cells' statistics. */
static int migrate(struct store *s, struct err *e)
{
    int version = 0;
    if (exec(s, "BEGIN IMMEDIATE", e) < 0)
        return -1;
    int latest = store_schema_version();
    if (user_version(s, &version, e) < 0)
        goto fail;
    if (version > latest) {
        err_set(e, 1, "store: schema version %d is newer than this hotpath (%d)", version,
                latest);
        goto fail;
    }
    for (int v = version; v < latest; v++)
        if (exec(s, store_migrations[v], e) < 0) {
            char why[400];
            snprintf(why, sizeof why, "%.380s", e->msg);
            err_set(e, 1, "store: migration %d: %s", v + 1, why);
            goto fail;
        }
    if (version != latest || !views_current(s)) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", latest);
        if (views_install(s, e) < 0 || exec(s, pragma, e) < 0)
            goto fail;
    }
    if (store_refresh_cells(s, NULL, e) < 0)
        goto fail;
    return exec(s, "COMMIT", e);
fail:
    exec(s, "ROLLBACK", NULL);
    return -1;
}

static int open_db(const char *path, int flags, sqlite3 **db)
{
    int rc = sqlite3_open_v2(path, db, flags | SQLITE_OPEN_FULLMUTEX, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_close(*db);
        *db = NULL;
    }
    return rc;
}

/* A read-only open needs no maintenance when the store is at this
 * hotpath's version with this hotpath's views, and no cell waits to be
 * stored. */
static int needs_upkeep(sqlite3 *db)
{
    sqlite3_stmt *st;
    int need = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        need = sqlite3_column_int(st, 0) != store_schema_version();
    sqlite3_finalize(st);
    struct store tmp = {.db = db};
    if (need || !views_current(&tmp))
        return 1;
    if (sqlite3_prepare_v2(db, "SELECT EXISTS (SELECT 1 FROM cell_dirty)", -1, &st, NULL)
        != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        need = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return need;
}

/* Upkeep for a read-only open: migrate and store dirty cells through a
 * short writable connection. Best effort: a store that cannot be written
 * here, or is busy, is read as it is (the views compute dirty cells). */
static void upkeep(const char *path)
{
    if (access(path, W_OK) != 0)
        return;
    struct store w = {0};
    if (open_db(path, SQLITE_OPEN_READWRITE, &w.db) != SQLITE_OK)
        return;
    sqlite3_busy_timeout(w.db, 300);
    struct err e = {0};
    if (exec(&w, "PRAGMA synchronous = FULL", &e) == 0)
        migrate(&w, &e);
    sqlite3_close(w.db);
}

/* Switching a new store to WAL needs an exclusive lock, and SQLite
 * answers "locked" at once, without its busy handler, when another
 * process is creating the same store: wait for it a while. */
static int wal_mode(struct store *s, struct err *e)
{
    for (int i = 0;; i++) {
        int rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return 0;
        if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
            return db_err(s, e, "journal_mode");
        if (i == 400)
            return db_err(s, e, "journal_mode (waited 10 s for another process)");
        struct timespec ts = {0, 25 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

int store_open(const char *path, int readonly, struct store **out, struct err *e)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return err_set(e, 1, "store: %s is a directory, not a store file (give --db a file "
                       "path, e.g. %s/hotpath.db)", path, path);
    if (readonly && stat(path, &sb) != 0)
        return err_set(e, 1, "store: %s: %s", path, strerror(errno));
    struct store *s = xcalloc(1, sizeof *s);
    s->readonly = readonly;
    int rc;
    if (readonly) {
        rc = open_db(path, SQLITE_OPEN_READONLY, &s->db);
        if (rc == SQLITE_OK && needs_upkeep(s->db)) {
            sqlite3_close(s->db);
            s->db = NULL;
            upkeep(path);
            rc = open_db(path, SQLITE_OPEN_READONLY, &s->db);
        }
        /* Reading a WAL store needs its -shm file; in a directory this
         * user cannot write, none can be made: read the file as it is. */
        if (rc == SQLITE_OK && sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_master", NULL,
                                            NULL, NULL) != SQLITE_OK) {
            sqlite3_close(s->db);
            s->db = NULL;
            rc = SQLITE_CANTOPEN;
        }
        if (rc != SQLITE_OK) {
            struct buf uri;
            buf_init(&uri, 16384);
            buf_puts(&uri, "file:");
            for (const char *p = path; *p; p++)
                if (*p == '%' || *p == '?' || *p == '#')
                    buf_printf(&uri, "%%%02X", (unsigned char)*p);
                else
                    buf_add(&uri, p, 1);
            buf_puts(&uri, "?immutable=1");
            rc = open_db(uri.data, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, &s->db);
            buf_free(&uri);
        }
    } else {
        rc = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &s->db);
    }
    if (rc != SQLITE_OK) {
        err_set(e, 1, "store: %s: %s", path, sqlite3_errstr(rc));
        free(s);
        return -1;
    }
    sqlite3_busy_timeout(s->db, 10000);
    if (!readonly) {
        if (wal_mode(s, e) < 0 ||
            exec(s, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", e) < 0 ||
            migrate(s, e) < 0) {
            char why[400];
            snprintf(why, sizeof why, "%.380s", e->msg);
            err_set(e, 1, "%s (store %s)", why, path);
            store_close(s);
            return -1;
        }
    } else {
        exec(s, "PRAGMA temp_store = MEMORY", NULL);
        sqlite3_set_authorizer(s->db, read_only_guard, s);
    }
    *out = s;
    return 0;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->ins_run);
    sqlite3_close(s->db);
    free(s);
}

int store_begin(struct store *s, struct err *e)
{
    return exec(s, "BEGIN IMMEDIATE", e);
}

int store_commit(struct store *s, struct err *e)
{
    return exec(s, "COMMIT", e);
}

static void utc_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Binds ?1.. from a compact format: s string, i int64, f double, j JSON
 * (dumped), n NULL. */
static int bind_all(sqlite3_stmt *st, const char *fmt, va_list ap)
{
    for (int i = 1; *fmt; fmt++, i++) {
        int rc = SQLITE_OK;
        switch (*fmt) {
        case 's': {
            const char *v = va_arg(ap, const char *);
            rc = v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
            break;
        }
        case 'i':
            rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
            break;
        case 'f':
            rc = sqlite3_bind_double(st, i, va_arg(ap, double));
            break;
        case 'j': {
            json_t *v = va_arg(ap, json_t *);
            if (!v || json_is_null(v)) {
                rc = sqlite3_bind_null(st, i);
            } else if (json_is_integer(v)) {
                rc = sqlite3_bind_int64(st, i, json_integer_value(v));
            } else if (json_is_real(v)) {
                rc = sqlite3_bind_double(st, i, json_real_value(v));
            } else if (json_is_string(v)) {
                rc = sqlite3_bind_text(st, i, json_string_value(v), -1, SQLITE_TRANSIENT);
            } else if (json_is_boolean(v)) {
                rc = sqlite3_bind_int(st, i, json_is_true(v));
            } else {
                char *d = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
                rc = sqlite3_bind_text(st, i, d, -1, free);
            }
            break;
        }
        default:
            rc = sqlite3_bind_null(st, i);
        }
        if (rc != SQLITE_OK)
            return -1;
    }
    return 0;
}

/* Prepares, binds and steps sql once; the first column of a row, if any,
 * lands in *row_id. */
static int run_sql(struct store *s, struct err *e, int64_t *row_id, const char *sql,
                   const char *fmt, ...)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_err(s, e, "prepare");
    va_list ap;
    va_start(ap, fmt);
    int bad = bind_all(st, fmt, ap);
    va_end(ap);
    int rc = bad ? SQLITE_ERROR : sqlite3_step(st);
    if (rc == SQLITE_ROW && row_id)
        *row_id = sqlite3_column_int64(st, 0);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_err(s, e, "write");
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : 0;
}

int64_t store_sweep_create(struct store *s, const char *uuid, const char *config_path,
                           json_t *plan, struct err *e)
{
    char now[32];
    utc_now(now);
    int64_t id = -1;
    if (run_sql(s, e, &id,
                "INSERT INTO sweeps (uuid, config_path, plan, profile, seed, bundle_sha, "
                "hotpath_version, started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                "RETURNING id", "ssjjjsss", uuid, config_path, plan,
                json_object_get(plan, "profile"), json_object_get(plan, "seed"),
                json_string_value(json_object_get(plan, "bundle")),
                json_string_value(json_object_get(plan, "hotpath_version")), now) < 0)
        return -1;
    return id;
}

int store_sweep_finish(struct store *s, int64_t sweep, const char *status, struct err *e)
{
    char now[32];
    utc_now(now);
    if (run_sql(s, e, NULL, "UPDATE sweeps SET status = ?1, finished_at = ?2 WHERE id = ?3",
                "ssi", status, now, sweep) < 0)
        return -1;
    return store_refresh_cells(s, NULL, e);
}

int store_sweep_find(struct store *s, const char *which, int64_t *id, char uuid[64],
                     json_t **plan, struct err *e)
{
    sqlite3_stmt *st;
    const char *sql = !strcmp(which, "latest")
        ? "SELECT id, uuid, plan FROM sweeps ORDER BY id DESC LIMIT 2"
        : "SELECT id, uuid, plan FROM sweeps WHERE uuid LIKE ?1 || '%' ORDER BY id DESC LIMIT 2";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_err(s, e, "find sweep");
    if (strcmp(which, "latest") != 0)
        sqlite3_bind_text(st, 1, which, -1, SQLITE_TRANSIENT);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW && n < 2) {
        if (n++ == 0) {
            *id = sqlite3_column_int64(st, 0);
            snprintf(uuid, 64, "%s", (const char *)sqlite3_column_text(st, 1));
            if (plan)
                *plan = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
        }
        if (!strcmp(which, "latest"))
            n = 1;
    }
    sqlite3_finalize(st);
    if (n == 0)
        return err_set(e, 1, "no sweep matches '%s' in the store", which);
    if (n > 1) {
        if (plan)
            json_decref(*plan);
        return err_set(e, 1, "'%s' matches more than one sweep; give more of the uuid", which);
    }
    return 0;
}

int64_t store_host(struct store *s, const char *name, const char *transport,
                   const char *address, struct err *e)
{
    int64_t id = -1;
    if (run_sql(s, e, &id,
                "INSERT INTO hosts (name, transport, address) VALUES (?1, ?2, ?3) "
                "ON CONFLICT (name) DO UPDATE SET transport = excluded.transport, "
                "address = excluded.address RETURNING id", "sss", name, transport,
                address) < 0)
        return -1;
    return id;
}

int store_sweep_host(struct store *s, int64_t sweep, int64_t host, const char *status,
                     long planned, const char *error, struct err *e)
{
    if (run_sql(s, e, NULL,
                "INSERT INTO sweep_hosts (sweep_id, host_id, status, planned, error) "
                "VALUES (?1, ?2, ?3, nullif(?4, -1), ?5) ON CONFLICT DO UPDATE SET "
                "status = excluded.status, planned = coalesce(excluded.planned, planned), "
                "error = excluded.error", "iisis", sweep, host, status, (int64_t)planned,
                error) < 0)
        return -1;
    /* A host that stops running has its cells complete. */
    if (strcmp(status, "pending") != 0 && strcmp(status, "running") != 0)
        return store_refresh_cells(s, NULL, e);
    return 0;
}


/* The probe's "conditions" (agent/conditions.c) as columns people filter on. */
static int snapshot_conditions(struct store *s, int64_t id, json_t *c, struct err *e)
{
    if (!c)
        return 0;
    return run_sql(s, e, NULL,
        "UPDATE host_snapshots SET boost = ?1, smt = ?2, on_battery = ?3, throttle_count = ?4, "
        "swap_used_kb = ?5, aslr = ?6, governor = coalesce(?7, governor) WHERE id = ?8",
        "jjjjjjji", json_object_get(c, "boost"), json_object_get(c, "smt"),
        json_object_get(c, "on_battery"), json_object_get(c, "throttle_count"),
        json_object_get(c, "swap_used_kb"), json_object_get(c, "aslr"),
        json_object_get(c, "governor"), id) < 0 ? -1 : 0;
}

int64_t store_snapshot(struct store *s, int64_t sweep, int64_t host,
                       const struct store_snapshot *p, struct err *e)
{
    int64_t id = -1;
    int rc = run_sql(s, e, &id,
        "INSERT INTO host_snapshots (sweep_id, host_id, taken_at, probe, os, kernel, arch, "
        "cpu_model, physical_cores, logical_cores, memory_bytes, virtualization, governor, "
        "compiler, python_version, load_avg_1m) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
        "nullif(?9, -1), nullif(?10, -1), nullif(?11, -1), ?12, ?13, ?14, ?15, ?16) "
        "ON CONFLICT DO UPDATE SET probe = excluded.probe RETURNING id",
        "iifjssssiiissssf", sweep, host, p->taken_at, p->probe, p->os, p->kernel, p->arch,
        p->cpu_model, (int64_t)p->physical_cores, (int64_t)p->logical_cores,
        (int64_t)p->memory_bytes, p->virtualization, p->governor, p->compiler,
        p->python_version, p->load_avg_1m);
    if (rc >= 0 && snapshot_conditions(s, id, json_object_get(p->probe, "conditions"), e) < 0)
        return -1;
    return rc < 0 ? -1 : id;
}

int store_dataset(struct store *s, int64_t sweep, int64_t host, const struct store_dataset *d,
                  struct err *e)
{
    if (run_sql(s, e, NULL,
        "INSERT INTO datasets (sweep_id, host_id, profile, seed, manifest, files_sha, reused, "
        "gen_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO UPDATE SET "
        "manifest = excluded.manifest, files_sha = excluded.files_sha",
        "iisijsif", sweep, host, d->profile, (int64_t)d->seed, d->manifest,
        d->files_sha ? d->files_sha : "", (int64_t)d->reused, d->gen_s) < 0)
        return -1;
    /* Data that failed its checksums before the first run, generated again. */
    if (d->regenerated && run_sql(s, e, NULL, "UPDATE datasets SET regenerated = ?1 WHERE "
                                  "sweep_id = ?2 AND host_id = ?3", "sii", d->regenerated,
                                  sweep, host) < 0)
        return -1;
    return 0;
}
static void bind_real(sqlite3_stmt *st, int col, int present, double v)
{
    if (present)
        sqlite3_bind_double(st, col, v);
    else
        sqlite3_bind_null(st, col);
}

static void bind_int(sqlite3_stmt *st, int col, int present, long long v)
{
    if (present)
        sqlite3_bind_int64(st, col, v);
    else
        sqlite3_bind_null(st, col);
}


int store_run(struct store *s, int64_t sweep, int64_t host, int64_t snapshot,
              const struct store_run *r, int *added, struct err *e)
{
    if (!s->ins_run &&
        sqlite3_prepare_v3(s->db,
            "INSERT OR IGNORE INTO runs (sweep_id, host_id, snapshot_id, task, engine, "
            "threads, repeat, warmup, status, wall_s, total_s, load_s, compute_s, user_s, "
            "sys_s, max_rss_kb, exit_code, signal, threads_used, error, seq, at, minflt, "
            "majflt, nvcsw, nivcsw, other_cpu_s, throttled) VALUES "
            "(?1, ?2, nullif(?3, -1), ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
            "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)", -1,
            SQLITE_PREPARE_PERSISTENT,
            &s->ins_run, NULL) != SQLITE_OK)
        return db_err(s, e, "prepare run insert");
    sqlite3_stmt *st = s->ins_run;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, sweep);
    sqlite3_bind_int64(st, 2, host);
    sqlite3_bind_int64(st, 3, snapshot);
    sqlite3_bind_text(st, 4, r->task, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->engine, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, r->threads);
    sqlite3_bind_int64(st, 7, r->repeat);
    sqlite3_bind_int(st, 8, r->warmup);
    sqlite3_bind_text(st, 9, r->status, -1, SQLITE_STATIC);
    bind_real(st, 10, r->has & STORE_RUN_WALL, r->wall_s);
    bind_real(st, 11, r->has & STORE_RUN_TOTAL, r->total_s);
    bind_real(st, 12, r->has & STORE_RUN_LOAD, r->load_s);
    bind_real(st, 13, r->has & STORE_RUN_COMPUTE, r->compute_s);
    bind_real(st, 14, r->has & STORE_RUN_USER, r->user_s);
    bind_real(st, 15, r->has & STORE_RUN_SYS, r->sys_s);
    bind_int(st, 16, r->has & STORE_RUN_RSS, r->max_rss_kb);
    bind_int(st, 17, r->has & STORE_RUN_EXIT, r->exit_code);
    bind_int(st, 18, r->has & STORE_RUN_SIGNAL, r->signal);
    bind_int(st, 19, r->has & STORE_RUN_THREADS_USED, r->threads_used);
    if (r->error)
        sqlite3_bind_text(st, 20, r->error, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 20);
    sqlite3_bind_int64(st, 21, r->seq);
    bind_real(st, 22, r->has & STORE_RUN_AT, r->at);
    bind_int(st, 23, r->has & STORE_RUN_MINFLT, r->minflt);
    bind_int(st, 24, r->has & STORE_RUN_MAJFLT, r->majflt);
    bind_int(st, 25, r->has & STORE_RUN_NVCSW, r->nvcsw);
    bind_int(st, 26, r->has & STORE_RUN_NIVCSW, r->nivcsw);
    bind_real(st, 27, r->has & STORE_RUN_OTHER_CPU, r->other_cpu_s);
    bind_int(st, 28, r->has & STORE_RUN_THROTTLED, r->throttled);
    int rc = sqlite3_step(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return db_err(s, e, "insert run");
    *added = sqlite3_changes(s->db) > 0;
    return 0;
}
json_t *store_done_runs(struct store *s, int64_t sweep, int64_t host)
{
    json_t *a = json_array();
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT task, engine, threads, repeat FROM runs "
                           "WHERE sweep_id = ?1 AND host_id = ?2", -1, &st, NULL) != SQLITE_OK)
        return a;
    sqlite3_bind_int64(st, 1, sweep);
    sqlite3_bind_int64(st, 2, host);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(a, json_pack("[s, s, I, I]", sqlite3_column_text(st, 0),
                              sqlite3_column_text(st, 1),
                              (json_int_t)sqlite3_column_int64(st, 2),
                              (json_int_t)sqlite3_column_int64(st, 3)));
    sqlite3_finalize(st);
    return a;
}

int store_integrity(struct store *s, struct err *e)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
        return db_err(s, e, "integrity_check");
    int ok = sqlite3_step(st) == SQLITE_ROW &&
             !strcmp((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    return ok ? 0 : err_set(e, 1, "store: integrity check failed");
}

static json_t *column_json(sqlite3_stmt *st, int c)
{
    switch (sqlite3_column_type(st, c)) {
    case SQLITE_INTEGER: return json_integer(sqlite3_column_int64(st, c));
    case SQLITE_FLOAT: return json_real(sqlite3_column_double(st, c));
    case SQLITE_NULL: return json_null();
    default: {
        json_t *v = json_string((const char *)sqlite3_column_text(st, c));
        return v ? v : json_string("(not UTF-8)");
    }
    }
}

/* ---- cell statistics ---- */


struct cell_key {
    int64_t sweep, host, threads;
    char *task, *engine;
};

/* The conditions of a cell's runs, for v_warnings: sums (and the page
 * faults' averages) over the runs that have a value, as SQL's sum() and
 * avg(); a column no run has stays NULL. */
enum { COND_SYS, COND_USER, COND_OTHER, COND_WALL, COND_THROTTLED, COND_MINFLT, COND_MAJFLT,
       COND_SNAPSHOT, NCOND };
struct cell_conds {
    double sum[NCOND];
    long long isum[NCOND];      /* the integer columns, summed (the snapshot: its max) */
    long count[NCOND];
};

/* A cell's valid timed runs: total_s sorted into *v, and their conditions
 * into *c when it is not NULL (the statement's columns after total_s). */
static int cell_values(struct store *s, sqlite3_stmt *st, const struct cell_key *k, double **v,
                       size_t *n, struct cell_conds *c, struct err *e)
{
    size_t cap = 32;
    *v = xmalloc(cap * sizeof **v);
    *n = 0;
    if (c)
        memset(c, 0, sizeof *c);
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, k->sweep);
    sqlite3_bind_int64(st, 2, k->host);
    sqlite3_bind_text(st, 3, k->task, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, k->engine, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, k->threads);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap)
            *v = xrealloc(*v, (cap *= 2) * sizeof **v);
        (*v)[(*n)++] = sqlite3_column_double(st, 0);
        for (int i = 0; c && i < NCOND; i++) {
            if (sqlite3_column_type(st, 1 + i) == SQLITE_NULL)
                continue;
            if (i == COND_SNAPSHOT) {
                long long id = sqlite3_column_int64(st, 1 + i);
                c->isum[i] = c->count[i] && c->isum[i] > id ? c->isum[i] : id;
            } else if (i == COND_THROTTLED) {
                c->isum[i] += sqlite3_column_int64(st, 1 + i);
            } else {
                c->sum[i] += sqlite3_column_double(st, 1 + i);
            }
            c->count[i]++;
        }
    }
    if (rc != SQLITE_DONE)
        return db_err(s, e, "read a cell's runs");
    qsort(*v, *n, sizeof **v, quantile_cmp);
    return 0;
}

#define CELL_RUNS_WHERE                                                                        \
    " FROM runs WHERE sweep_id = ?1 AND host_id = ?2 AND task = ?3 AND engine = ?4 AND "      \
    "threads = ?5 AND status = 'ok' AND warmup = 0 AND total_s IS NOT NULL"
static const char cell_runs_sql[] = "SELECT total_s" CELL_RUNS_WHERE;
/* In the order of enum COND_*. */
static const char cell_conds_sql[] =
    "SELECT total_s, sys_s, user_s, other_cpu_s, wall_s, throttled, minflt, majflt, snapshot_id"
    CELL_RUNS_WHERE;

/* Binds a cell's conditions to ?14.. of the cell_stats insert. */
static void bind_conds(sqlite3_stmt *st, const struct cell_conds *c)
{
    static const int col[NCOND] = {
        [COND_SYS] = 14, [COND_USER] = 15, [COND_MINFLT] = 16, [COND_MAJFLT] = 17,
        [COND_OTHER] = 18, [COND_WALL] = 19, [COND_THROTTLED] = 20, [COND_SNAPSHOT] = 21};
    for (int i = 0; i < NCOND; i++) {
        if (!c->count[i])
            sqlite3_bind_null(st, col[i]);
        else if (i == COND_THROTTLED || i == COND_SNAPSHOT)
            sqlite3_bind_int64(st, col[i], c->isum[i]);
        else if (i == COND_MINFLT || i == COND_MAJFLT)
            sqlite3_bind_double(st, col[i], c->sum[i] / (double)c->count[i]);
        else
            sqlite3_bind_double(st, col[i], c->sum[i]);
    }
}

static const char cell_put_sql[] =
    "INSERT OR REPLACE INTO cell_stats (sweep_id, host_id, task, engine, threads, n, median_s, "
    "p25_s, p75_s, min_s, max_s, mean_s, cv, sum_sys_s, sum_user_s, avg_minflt, avg_majflt, "
    "sum_other_cpu_s, sum_wall_s, sum_throttled, snapshot_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
    "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)";

int store_refresh_cells(struct store *s, long *count, struct err *e)
{
    sqlite3_stmt *list = NULL, *get = NULL, *put = NULL, *del = NULL;
    struct cell_key *keys = NULL;
    size_t nk = 0, cap = 0;
    int rc = -1;
    if (count)
        *count = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT sweep_id, host_id, task, engine, threads FROM "
                           "cell_dirty", -1, &list, NULL) != SQLITE_OK) {
        db_err(s, e, "list dirty cells");
        goto out;
    }
    while (sqlite3_step(list) == SQLITE_ROW) {
        if (nk == cap)
            keys = xrealloc(keys, (cap = cap ? cap * 2 : 64) * sizeof *keys);
        keys[nk++] = (struct cell_key){sqlite3_column_int64(list, 0),
                                       sqlite3_column_int64(list, 1),
                                       sqlite3_column_int64(list, 4),
                                       xstrdup((const char *)sqlite3_column_text(list, 2)),
                                       xstrdup((const char *)sqlite3_column_text(list, 3))};
    }
    if (nk == 0) {
        rc = 0;
        goto out;
    }
    if (sqlite3_prepare_v2(s->db, cell_conds_sql, -1, &get, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, cell_put_sql, -1, &put, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "DELETE FROM cell_stats WHERE sweep_id = ?1 AND host_id = ?2 "
                           "AND task = ?3 AND engine = ?4 AND threads = ?5", -1, &del, NULL)
            != SQLITE_OK) {
        db_err(s, e, "prepare cell statistics");
        goto out;
    }
    for (size_t i = 0; i < nk; i++) {
        double *v;
        size_t n;
        struct cell_conds cond;
        if (cell_values(s, get, &keys[i], &v, &n, &cond, e) < 0) {
            free(v);
            goto out;
        }
        sqlite3_stmt *st = n ? put : del;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, keys[i].sweep);
        sqlite3_bind_int64(st, 2, keys[i].host);
        sqlite3_bind_text(st, 3, keys[i].task, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, keys[i].engine, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, keys[i].threads);
        if (n) {
            double sum = 0, ss = 0;
            for (size_t k = 0; k < n; k++)
                sum += v[k];
            double mean = sum / (double)n;
            for (size_t k = 0; k < n; k++)
                ss += (v[k] - mean) * (v[k] - mean);
            sqlite3_bind_int64(st, 6, (sqlite3_int64)n);
            sqlite3_bind_double(st, 7, quantile_sorted(v, n, 0.5));
            sqlite3_bind_double(st, 8, quantile_sorted(v, n, 0.25));
            sqlite3_bind_double(st, 9, quantile_sorted(v, n, 0.75));
            sqlite3_bind_double(st, 10, v[0]);
            sqlite3_bind_double(st, 11, v[n - 1]);
            sqlite3_bind_double(st, 12, mean);
            if (mean > 0)
                sqlite3_bind_double(st, 13, sqrt(ss / (double)n) / mean);
            else
                sqlite3_bind_null(st, 13);
            bind_conds(st, &cond);
        }
        free(v);
        if (sqlite3_step(st) != SQLITE_DONE) {
            db_err(s, e, "store cell statistics");
            goto out;
        }
    }
    if (exec(s, "DELETE FROM cell_dirty", e) < 0)
        goto out;
    if (count)
        *count = (long)nk;
    rc = 0;
out:
    for (size_t i = 0; i < nk; i++) {
        free(keys[i].task);
        free(keys[i].engine);
    }
    free(keys);
    sqlite3_finalize(list);
    sqlite3_finalize(get);
    sqlite3_finalize(put);
    sqlite3_finalize(del);
    return rc;
}

int store_cell_times(struct store *s, int64_t sweep, const char *host, const char *task,
                     const char *engine, long long threads, double **v, size_t *n,
                     struct err *e)
{
    sqlite3_stmt *st;
    int64_t hid = -1;
    *v = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT id FROM hosts WHERE name = ?1", -1, &st, NULL)
        != SQLITE_OK)
        return db_err(s, e, "find host");
    sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        hid = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (hid < 0)
        return 0;
    if (sqlite3_prepare_v2(s->db, cell_runs_sql, -1, &st, NULL) != SQLITE_OK)
        return db_err(s, e, "read a cell's runs");
    struct cell_key k = {sweep, hid, threads, (char *)task, (char *)engine};
    int rc = cell_values(s, st, &k, v, n, NULL, e);
    sqlite3_finalize(st);
    return rc;
}

/* ---- reading ---- */

/* Rows of a SELECT as an array of objects (column name -> value).
 * Parameters are bound from fmt as in bind_all. NULL with e on error. */
static json_t *select_rows(struct store *s, struct err *e, const char *sql, const char *fmt,
                           ...)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_err(s, e, "select");
        return NULL;
    }
    va_list ap;
    va_start(ap, fmt);
    int bad = bind_all(st, fmt, ap);
    va_end(ap);
    json_t *rows = json_array();
    int rc = SQLITE_ERROR;
    while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = json_object();
        for (int c = 0; c < sqlite3_column_count(st); c++)
            json_object_set_new(o, sqlite3_column_name(st, c), column_json(st, c));
        json_array_append_new(rows, o);
    }
    if (bad || rc != SQLITE_DONE) {
        db_err(s, e, "select");
        json_decref(rows);
        rows = NULL;
    }
    sqlite3_finalize(st);
    return rows;
}

json_t *store_sweeps_summary(struct store *s, int limit, struct err *e)
{
    return select_rows(s, e,
        "SELECT substr(s.uuid, 1, 8) AS sweep, s.started_at AS started, s.status, s.profile, "
        "(SELECT count(*) FROM sweep_hosts sh WHERE sh.sweep_id = s.id) AS hosts, "
        "(SELECT count(*) FROM runs r WHERE r.sweep_id = s.id) AS stored, "
        "(SELECT sum(planned) FROM sweep_hosts sh WHERE sh.sweep_id = s.id) AS planned, "
        "(SELECT count(*) FROM runs r WHERE r.sweep_id = s.id AND r.status = 'ok') AS ok, "
        "(SELECT count(*) FROM runs r WHERE r.sweep_id = s.id AND r.status IN "
        "('invalid', 'failed', 'timeout')) AS bad, "
        "(SELECT count(*) FROM runs r WHERE r.sweep_id = s.id AND r.status = 'skipped') "
        "AS skipped FROM sweeps s ORDER BY s.id DESC LIMIT ?1", "i", (int64_t)limit);
}

json_t *store_sweep_info(struct store *s, int64_t sweep, struct err *e)
{
    json_t *rows = select_rows(s, e,
        "SELECT uuid, config_path, plan, profile, seed, bundle_sha, hotpath_version, "
        "started_at, finished_at, status, CAST(strftime('%s', started_at) AS INTEGER) AS t "
        "FROM sweeps WHERE id = ?1", "i", sweep);
    json_t *row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    if (rows && !row)
        err_set(e, 1, "store: no sweep %lld", (long long)sweep);
    return row;
}

json_t *store_sweep_hosts(struct store *s, int64_t sweep, struct err *e)
{
    return select_rows(s, e,
        "SELECT h.name AS host, h.id AS host_id, h.transport, sh.status, sh.planned, "
        "(SELECT count(*) FROM runs r WHERE r.sweep_id = sh.sweep_id AND "
        "r.host_id = sh.host_id) AS stored, "
        "(SELECT count(*) FROM runs r WHERE r.sweep_id = sh.sweep_id AND "
        "r.host_id = sh.host_id AND r.status = 'ok') AS ok, sh.error "
        "FROM sweep_hosts sh JOIN hosts h ON h.id = sh.host_id "
        "WHERE sh.sweep_id = ?1 ORDER BY h.name", "i", sweep);
}

json_t *store_sweep_runs(struct store *s, int64_t sweep, struct err *e)
{
    return select_rows(s, e,
        "SELECT h.name AS host, r.task, r.engine, r.threads, r.repeat, r.warmup, r.status, "
        "r.wall_s, r.total_s, r.load_s, r.compute_s, r.user_s, r.sys_s, r.max_rss_kb, "
        "r.exit_code, r.signal, r.threads_used, r.error, r.at FROM runs r JOIN hosts h ON "
        "h.id = r.host_id WHERE r.sweep_id = ?1 ORDER BY r.id", "i", sweep);
}

json_t *store_sweep_snapshots(struct store *s, int64_t sweep, struct err *e)
{
    return select_rows(s, e,
        "SELECT h.name AS host, s.taken_at, s.probe FROM host_snapshots s JOIN hosts h ON "
        "h.id = s.host_id WHERE s.sweep_id = ?1 ORDER BY s.id", "i", sweep);
}

json_t *store_sweep_hardware(struct store *s, int64_t sweep, struct err *e)
{
    return select_rows(s, e,
        "SELECT h.name AS host, s.* FROM host_snapshots s JOIN hosts h ON h.id = s.host_id "
        "WHERE s.sweep_id = ?1 AND s.id = (SELECT max(id) FROM host_snapshots x WHERE "
        "x.sweep_id = s.sweep_id AND x.host_id = s.host_id) ORDER BY h.name", "i", sweep);
}

json_t *store_sweep_version_spread(struct store *s, int64_t sweep, struct err *e)
{
    return select_rows(s, e,
        "SELECT name, versions, hosts FROM v_version_spread WHERE sweep_id = ?1 ORDER BY name",
        "i", sweep);
}

json_t *store_sweep_datasets(struct store *s, int64_t sweep, struct err *e)
{
    return select_rows(s, e,
        "SELECT h.name AS host, d.profile, d.seed, d.manifest, d.files_sha, d.reused, d.gen_s, "
        "d.regenerated FROM datasets d JOIN hosts h ON h.id = d.host_id WHERE d.sweep_id = ?1 "
        "ORDER BY h.name", "i", sweep);
}

json_t *store_sweep_warnings(struct store *s, int64_t sweep, struct err *e)
{
    return select_rows(s, e,
        "SELECT host, task, engine, threads, kind, reason FROM v_warnings WHERE sweep_id = ?1 "
        "ORDER BY task, host, engine, threads, kind", "i", sweep);
}

json_t *store_sweep_cells(struct store *s, int64_t sweep, struct err *e)
{
    return select_rows(s, e,
        "SELECT h.name AS host, c.task, c.engine, c.threads, c.n, c.median_s, c.p25_s, "
        "c.p75_s, c.min_s, c.max_s, c.cv FROM v_cells c JOIN hosts h ON h.id = c.host_id "
        "WHERE c.sweep_id = ?1 ORDER BY c.task, h.name, c.threads, c.engine", "i", sweep);
}

json_t *store_sweep_valid_runs(struct store *s, int64_t sweep, struct err *e)
{
    return select_rows(s, e,
        "SELECT h.name AS host, r.task, r.engine, r.threads, r.total_s FROM runs r "
        "JOIN hosts h ON h.id = r.host_id WHERE r.sweep_id = ?1 AND r.status = 'ok' "
        "AND r.warmup = 0 AND r.total_s IS NOT NULL "
        "ORDER BY h.name, r.task, r.engine, r.threads, r.total_s", "i", sweep);
}

json_t *store_sweep_problems(struct store *s, int64_t sweep, struct err *e)
{
    return select_rows(s, e,
        "SELECT h.name AS host, r.task, r.engine, r.threads, r.status, count(*) AS runs, "
        "max(r.error) AS error FROM runs r JOIN hosts h ON h.id = r.host_id "
        "WHERE r.sweep_id = ?1 AND r.status <> 'ok' "
        "GROUP BY h.name, r.task, r.engine, r.threads, r.status "
        "ORDER BY r.task, h.name, r.engine, r.threads", "i", sweep);
}

json_t *store_baselines(struct store *s, struct err *e)
{
    json_t *rows = select_rows(s, e, "SELECT task, engine FROM baselines", "");
    if (!rows)
        return NULL;
    json_t *o = json_object();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
        json_object_set(o, json_string_value(json_object_get(r, "task")),
                        json_object_get(r, "engine"));
    json_decref(rows);
    return o;
}

json_t *store_task_history(struct store *s, int64_t sweep, const char *task,
                           const char *engine, struct err *e)
{
    /* Two texts, not "(?3 IS NULL OR engine = ?3)": with the engine named,
     * SQLite reads its cells by the cell_stats_history index. */
#define HISTORY_SQL(ENGINE)                                                                    \
        "SELECT h.name AS host, c.engine, c.threads, c.sweep_id, "                             \
        "CAST(strftime('%s', s.started_at) AS INTEGER) AS t, c.n, c.median_s, c.p25_s, "       \
        "c.p75_s FROM sweep_hosts sh JOIN v_cells c ON c.host_id = sh.host_id "                \
        "JOIN sweeps s ON s.id = c.sweep_id JOIN hosts h ON h.id = c.host_id "                 \
        "WHERE sh.sweep_id = ?1 AND c.task = ?2 AND c.sweep_id <= ?1" ENGINE                   \
        " ORDER BY h.name, c.engine, c.threads, t, c.sweep_id"
    if (engine)
        return select_rows(s, e, HISTORY_SQL(" AND c.engine = ?3"), "iss", sweep, task, engine);
    return select_rows(s, e, HISTORY_SQL(""), "is", sweep, task);
#undef HISTORY_SQL
}

/* ---- hotpath query ---- */

static int query_progress(void *arg)
{
    struct store *s = arg;
    if (s->deadline > 0 && clock_now() > s->deadline) {
        s->timed_out = 1;
        return 1;
    }
    return 0;
}

int store_query(struct store *s, const char *sql, const struct store_limits *lim,
                store_row_fn fn, void *arg, struct err *e)
{
    sqlite3_stmt *st;
    const char *tail;
    s->refused[0] = '\0';
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, &tail) != SQLITE_OK) {
        if (s->refused[0])
            return err_set(e, 1, "query refused: the store is read-only here (%s is not "
                           "allowed); use sqlite3 directly to change it", s->refused);
        return err_set(e, 1, "query: %s", sqlite3_errmsg(s->db));
    }
    if (!st)
        return err_set(e, 2, "query: empty statement");
    while (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';')
        tail++;
    if (*tail) {
        sqlite3_finalize(st);
        return err_set(e, 2, "query: one statement at a time");
    }
    if (!sqlite3_stmt_readonly(st)) {
        sqlite3_finalize(st);
        return err_set(e, 1, "query refused: the statement would change the store");
    }
    double timeout = lim ? lim->timeout_s : 0;
    long long max_bytes = lim ? lim->max_bytes : 0;
    s->timed_out = 0;
    s->deadline = timeout > 0 ? clock_now() + timeout : 0;
    if (timeout > 0)
        sqlite3_progress_handler(s->db, 10000, query_progress, s);
    sqlite3_int64 old_limit = sqlite3_hard_heap_limit64(-1);
    if (max_bytes > 0)
        sqlite3_hard_heap_limit64(max_bytes);
    int ncol = sqlite3_column_count(st);
    const char **names = xcalloc((size_t)ncol + 1, sizeof *names);
    struct store_value *vals = xcalloc((size_t)ncol + 1, sizeof *vals);
    for (int c = 0; c < ncol; c++)
        names[c] = sqlite3_column_name(st, c);
    int rc = SQLITE_DONE, stop = fn(arg, ncol, names, NULL);
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < ncol; c++) {
            struct store_value *v = &vals[c];
            switch (sqlite3_column_type(st, c)) {
            case SQLITE_NULL:
                *v = (struct store_value){.type = STORE_NULL};
                break;
            case SQLITE_INTEGER:
                *v = (struct store_value){.type = STORE_INTEGER,
                                          .i = sqlite3_column_int64(st, c)};
                break;
            case SQLITE_FLOAT:
                *v = (struct store_value){.type = STORE_REAL, .d = sqlite3_column_double(st, c)};
                break;
            default:
                *v = (struct store_value){.type = STORE_TEXT,
                                          .s = (const char *)sqlite3_column_text(st, c)};
                if (!v->s)
                    v->s = "";
            }
        }
        stop = fn(arg, ncol, names, vals);
    }
    int ret = 0;
    if (stop) {
        ret = err_set(e, stop, "query: stopped: the output could not be written");
    } else if (rc != SQLITE_DONE) {
        if (s->timed_out)
            ret = err_set(e, 1, "query: stopped after %g s (--timeout S sets the limit; 0 for "
                          "none)", timeout);
        else if (rc == SQLITE_NOMEM || rc == SQLITE_FULL)
            ret = err_set(e, 1, "query: stopped: it needs more than %lld MiB of memory "
                          "(--max-memory MIB sets the limit; 0 for none)", max_bytes >> 20);
        else
            ret = err_set(e, 1, "query: %s", sqlite3_errmsg(s->db));
    }
    sqlite3_finalize(st);
    sqlite3_progress_handler(s->db, 0, NULL, NULL);
    sqlite3_hard_heap_limit64(old_limit);
    s->deadline = 0;
    free(names);
    free(vals);
    return ret;
}

/* ---- explanations (hotpath explain) ---- */

int store_explain_add(struct store *s, json_t *x, struct err *e)
{
    char at[32];
    utc_now(at);
    json_t *sh = json_object_get(x, "shares"), *libs = json_object_get(x, "libraries");
    json_t *lead = json_object_get(json_array_get(libs, 0), "name");
    json_t *top = json_pack("{s:O?, s:O?, s:O?}", "lines", json_object_get(x, "lines"),
                            "libraries", libs, "libc", json_object_get(x, "libc_top"));
    int rc = run_sql(s, e, NULL,
        "INSERT INTO explanations (at, host, command, sampler, samples, hot_samples, wall_s, "
        "user_s, sys_s, cores_busy, startup_share, interpreter_share, python_share, "
        "runtime_share, native_share, libc_share, kernel_share, blocked_share, "
        "waiting_share, top_library, mode, verdict, rewrite, exit_code, top_frames, summary) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
        "?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)",
        "sjjjjjjjjjjjjjjjjjjjjjjjjj", at, json_object_get(x, "host"),
        json_object_get(x, "command"), json_object_get(x, "sampler"),
        json_object_get(x, "samples"), json_object_get(x, "hot_samples"),
        json_object_get(x, "wall_s"), json_object_get(x, "user_s"), json_object_get(x, "sys_s"),
        json_object_get(x, "cores_busy"), json_object_get(x, "startup_share"),
        json_object_get(sh, "interpreter"), json_object_get(sh, "python"),
        json_object_get(sh, "runtime"), json_object_get(sh, "native"),
        json_object_get(sh, "libc"), json_object_get(sh, "kernel"),
        json_object_get(sh, "blocked"), json_object_get(x, "waiting_share"), lead,
        json_object_get(x, "mode"), json_object_get(x, "verdict"),
        json_object_get(x, "rewrite"), json_object_get(x, "exit_code"), top, x);
    json_decref(top);
    return rc < 0 ? -1 : 0;
}

json_t *store_explain_latest(struct store *s, int limit, struct err *e)
{
    return select_rows(s, e,
        "SELECT id, at, host, command, sampler, samples, hot_samples, wall_s, cores_busy, "
        "startup_share, interpreter_share, python_share, runtime_share, native_share, "
        "libc_share, kernel_share, blocked_share, waiting_share, top_library, mode, verdict, "
        "rewrite, top_frames FROM (SELECT x.*, row_number() OVER (PARTITION BY host, command "
        "ORDER BY id DESC) AS k FROM explanations x) WHERE k = 1 ORDER BY id DESC LIMIT ?1",
        "i", (int64_t)limit);
}

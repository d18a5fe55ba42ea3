#include "store.h"
#include "../controller/proto.h"
#include "../common/buf.h"
#include "../common/err.h"
#include "../common/xmalloc.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SCHEMA_VERSION 1

extern const char store_schema_sql[];   /* schema.sql, embedded at build time */

struct store {
    sqlite3 *db;
    int readonly;
    char refused[160];      /* why the authorizer said no */
    sqlite3_stmt *ins_run;
};

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

static int migrate(struct store *s, struct err *e)
{
    sqlite3_stmt *st;
    int version = 0;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return db_err(s, e, "user_version");
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version > SCHEMA_VERSION)
        return err_set(e, 1, "store: schema version %d is newer than this hotpath (%d)",
                       version, SCHEMA_VERSION);
    if (version == SCHEMA_VERSION)
        return 0;
    /* Version 0 -> 1: the whole schema. Later versions add steps here. */
    if (exec(s, "BEGIN IMMEDIATE", e) < 0)
        return -1;
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", SCHEMA_VERSION);
    if (exec(s, store_schema_sql, e) < 0 || exec(s, pragma, e) < 0) {
        exec(s, "ROLLBACK", NULL);
        return -1;
    }
    return exec(s, "COMMIT", e);
}

int store_open(const char *path, int readonly, struct store **out, struct err *e)
{
    struct store *s = xcalloc(1, sizeof *s);
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        err_set(e, 1, "store: %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
        store_close(s);
        return -1;
    }
    s->readonly = readonly;
    sqlite3_busy_timeout(s->db, 10000);
    if (!readonly) {
        if (exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                    "PRAGMA foreign_keys = ON", e) < 0 || migrate(s, e) < 0) {
            store_close(s);
            return -1;
        }
    } else {
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
    return run_sql(s, e, NULL, "UPDATE sweeps SET status = ?1, finished_at = ?2 WHERE id = ?3",
                   "ssi", status, now, sweep) < 0 ? -1 : 0;
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
    return run_sql(s, e, NULL,
                   "INSERT INTO sweep_hosts (sweep_id, host_id, status, planned, error) "
                   "VALUES (?1, ?2, ?3, nullif(?4, -1), ?5) ON CONFLICT DO UPDATE SET "
                   "status = excluded.status, planned = coalesce(excluded.planned, planned), "
                   "error = excluded.error", "iisis", sweep, host, status, (int64_t)planned,
                   error) < 0 ? -1 : 0;
}

int64_t store_snapshot(struct store *s, int64_t sweep, int64_t host, json_t *msg,
                       struct err *e)
{
    json_t *p = json_object_get(msg, "probe"), *at = json_object_get(msg, "at");
    json_t *py = json_object_get(json_object_get(p, "python"), "python");
    json_t *load = json_array_get(json_object_get(p, "load_avg"), 0);
    int64_t id = -1;
    int rc = run_sql(s, e, &id,
        "INSERT INTO host_snapshots (sweep_id, host_id, taken_at, probe, os, kernel, arch, "
        "cpu_model, physical_cores, logical_cores, memory_bytes, virtualization, governor, "
        "compiler, python_version, load_avg_1m) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
        "?10, ?11, ?12, ?13, ?14, ?15, ?16) ON CONFLICT DO UPDATE SET probe = excluded.probe "
        "RETURNING id", "iijjjjjjjjjjjjjj", sweep, host, at, p, json_object_get(p, "os"),
        json_object_get(p, "kernel"), json_object_get(p, "arch"),
        json_object_get(p, "cpu_model"), json_object_get(p, "physical_cores"),
        json_object_get(p, "logical_cores"), json_object_get(p, "memory_bytes"),
        json_object_get(p, "virtualization"), json_object_get(p, "governor"),
        json_object_get(p, "compiler"), py, load);
    return rc < 0 ? -1 : id;
}

int store_dataset(struct store *s, int64_t sweep, int64_t host, json_t *msg, struct err *e)
{
    json_t *m = json_object_get(msg, "manifest");
    struct buf sums;
    buf_init(&sums, 0);
    const char *name;
    json_t *f;
    json_object_foreach(json_object_get(m, "files"), name, f)
        buf_printf(&sums, "%s%s:%s", sums.len ? " " : "", name,
                   json_string_value(json_object_get(f, "sha256")) ?: "?");
    int rc = run_sql(s, e, NULL,
        "INSERT INTO datasets (sweep_id, host_id, profile, seed, manifest, files_sha, reused, "
        "gen_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO UPDATE SET "
        "manifest = excluded.manifest, files_sha = excluded.files_sha",
        "iijjjsjj", sweep, host, json_object_get(m, "profile"), json_object_get(m, "seed"), m,
        sums.data ? sums.data : "", json_object_get(msg, "reused"),
        json_object_get(msg, "gen_s"));
    buf_free(&sums);
    return rc < 0 ? -1 : 0;
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
              const struct proto_run *r, int *added, struct err *e)
{
    if (!s->ins_run &&
        sqlite3_prepare_v3(s->db,
            "INSERT OR IGNORE INTO runs (sweep_id, host_id, snapshot_id, task, engine, "
            "threads, repeat, warmup, status, wall_s, total_s, load_s, compute_s, user_s, "
            "sys_s, max_rss_kb, exit_code, signal, threads_used, error, seq, at) VALUES "
            "(?1, ?2, nullif(?3, -1), ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
            "?16, ?17, ?18, ?19, ?20, ?21, ?22)", -1, SQLITE_PREPARE_PERSISTENT,
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
    bind_real(st, 10, r->has & RUN_WALL, r->wall_s);
    bind_real(st, 11, r->has & RUN_TOTAL, r->total_s);
    bind_real(st, 12, r->has & RUN_LOAD, r->load_s);
    bind_real(st, 13, r->has & RUN_COMPUTE, r->compute_s);
    bind_real(st, 14, r->has & RUN_USER, r->user_s);
    bind_real(st, 15, r->has & RUN_SYS, r->sys_s);
    bind_int(st, 16, r->has & RUN_RSS, r->max_rss_kb);
    bind_int(st, 17, r->has & RUN_EXIT, r->exit_code);
    bind_int(st, 18, r->has & RUN_SIGNAL, r->signal);
    bind_int(st, 19, r->has & RUN_THREADS_USED, r->threads_used);
    if (r->error)
        sqlite3_bind_text(st, 20, r->error, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 20);
    sqlite3_bind_int64(st, 21, r->seq);
    bind_real(st, 22, r->has & RUN_AT, r->at);
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

json_t *store_select(struct store *s, struct err *e, const char *sql, const char *fmt, ...)
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
    int rc;
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

/* ---- query output ---- */

static void csv_cell(FILE *out, const char *v)
{
    if (!strpbrk(v, ",\"\n\r")) {
        fputs(v, out);
        return;
    }
    fputc('"', out);
    for (; *v; v++) {
        if (*v == '"')
            fputc('"', out);
        fputc(*v, out);
    }
    fputc('"', out);
}

/* Cell text: full precision for CSV; six significant digits (never an
 * exponent for large values) in the aligned table. Numbers are marked with
 * a leading '\1' so the table can right-align them. */
static char *cell_text(sqlite3_stmt *st, int c, int table)
{
    switch (sqlite3_column_type(st, c)) {
    case SQLITE_NULL:
        return xstrdup("");
    case SQLITE_FLOAT: {
        double v = sqlite3_column_double(st, c);
        if (!table)
            return xasprintf("%.17g", v);
        return v >= 1e5 || v <= -1e5 ? xasprintf("\1%.1f", v) : xasprintf("\1%.6g", v);
    }
    case SQLITE_INTEGER:
        return xasprintf("%s%lld", table ? "\1" : "", (long long)sqlite3_column_int64(st, c));
    default:
        return xstrdup((const char *)sqlite3_column_text(st, c));
    }
}

int store_query(struct store *s, const char *sql, enum store_format fmt, FILE *out,
                struct err *e)
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
    int ncol = sqlite3_column_count(st);
    size_t nrows = 0, cap = 0;
    char **cells = NULL;
    json_t *rows = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (fmt == STORE_JSON) {
            json_t *o = json_object();
            for (int c = 0; c < ncol; c++)
                json_object_set_new(o, sqlite3_column_name(st, c), column_json(st, c));
            json_array_append_new(rows, o);
            continue;
        }
        if ((nrows + 1) * (size_t)ncol > cap) {
            cap = (cap + (size_t)ncol) * 2;
            cells = xrealloc(cells, cap * sizeof *cells);
        }
        for (int c = 0; c < ncol; c++)
            cells[nrows * (size_t)ncol + (size_t)c] = cell_text(st, c, fmt == STORE_TABLE);
        nrows++;
    }
    if (rc != SQLITE_DONE) {
        err_set(e, 1, "query: %s", sqlite3_errmsg(s->db));
    } else if (fmt == STORE_JSON) {
        json_dumpf(rows, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
        fputc('\n', out);
    } else if (fmt == STORE_CSV) {
        for (int c = 0; c < ncol; c++) {
            if (c)
                fputc(',', out);
            csv_cell(out, sqlite3_column_name(st, c));
        }
        fputc('\n', out);
        for (size_t r = 0; r < nrows; r++) {
            for (int c = 0; c < ncol; c++) {
                if (c)
                    fputc(',', out);
                csv_cell(out, cells[r * (size_t)ncol + (size_t)c]);
            }
            fputc('\n', out);
        }
    } else {
        size_t *w = xcalloc((size_t)ncol, sizeof *w);
        for (int c = 0; c < ncol; c++)
            w[c] = strlen(sqlite3_column_name(st, c));
        for (size_t r = 0; r < nrows; r++)
            for (int c = 0; c < ncol; c++) {
                const char *v = cells[r * (size_t)ncol + (size_t)c];
                size_t l = strlen(v) - (*v == '\1');
                w[c] = l > w[c] ? l : w[c];
            }
        for (int c = 0; c < ncol; c++)
            fprintf(out, "%-*s%s", (int)w[c], sqlite3_column_name(st, c),
                    c + 1 < ncol ? "  " : "\n");
        for (int c = 0; c < ncol; c++) {
            for (size_t k = 0; k < w[c]; k++)
                fputc('-', out);
            fputs(c + 1 < ncol ? "  " : "\n", out);
        }
        for (size_t r = 0; r < nrows; r++)
            for (int c = 0; c < ncol; c++) {
                const char *v = cells[r * (size_t)ncol + (size_t)c];
                int numeric = *v == '\1';
                fprintf(out, numeric ? "%*s%s" : "%-*s%s", (int)w[c], v + numeric,
                        c + 1 < ncol ? "  " : "\n");
            }
        free(w);
    }
    for (size_t i = 0; i < nrows * (size_t)ncol; i++)
        free(cells[i]);
    free(cells);
    json_decref(rows);
    sqlite3_finalize(st);
    return e && e->msg[0] && rc != SQLITE_DONE ? -1 : 0;
}

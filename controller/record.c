/* Wire records to store rows. */
#include "record.h"
#include "proto.h"
#include "../common/buf.h"
#include "../store/store.h"

#include <math.h>

int record_run(struct store *st, int64_t sweep, int64_t host, int64_t snapshot,
               const struct proto_run *r, int *added, struct err *e)
{
    static const struct { unsigned wire, row; } bits[] = {
        {RUN_WALL, STORE_RUN_WALL}, {RUN_TOTAL, STORE_RUN_TOTAL}, {RUN_LOAD, STORE_RUN_LOAD},
        {RUN_COMPUTE, STORE_RUN_COMPUTE}, {RUN_USER, STORE_RUN_USER},
        {RUN_SYS, STORE_RUN_SYS}, {RUN_RSS, STORE_RUN_RSS}, {RUN_EXIT, STORE_RUN_EXIT},
        {RUN_SIGNAL, STORE_RUN_SIGNAL}, {RUN_THREADS_USED, STORE_RUN_THREADS_USED},
        {RUN_AT, STORE_RUN_AT}, {RUN_MINFLT, STORE_RUN_MINFLT}, {RUN_MAJFLT, STORE_RUN_MAJFLT},
        {RUN_NVCSW, STORE_RUN_NVCSW}, {RUN_NIVCSW, STORE_RUN_NIVCSW},
        {RUN_OTHER_CPU, STORE_RUN_OTHER_CPU}, {RUN_THROTTLED, STORE_RUN_THROTTLED},
    };
    struct store_run row = {
        .task = r->task, .engine = r->engine, .status = r->status, .error = r->error,
        .threads = r->threads, .repeat = r->repeat, .seq = r->seq,
        .max_rss_kb = r->max_rss_kb, .exit_code = r->exit_code, .signal = r->signal,
        .threads_used = r->threads_used, .warmup = r->warmup, .wall_s = r->wall_s,
        .total_s = r->total_s, .load_s = r->load_s, .compute_s = r->compute_s,
        .user_s = r->user_s, .sys_s = r->sys_s, .at = r->at,
        .minflt = r->minflt, .majflt = r->majflt, .nvcsw = r->nvcsw, .nivcsw = r->nivcsw,
        .throttled = r->throttled, .other_cpu_s = r->other_cpu_s,
    };
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (r->has & bits[i].wire)
            row.has |= bits[i].row;
    return store_run(st, sweep, host, snapshot, &row, added, e);
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static long long int_or(json_t *o, const char *k, long long dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

static double num_or_nan(json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

int64_t record_snapshot(struct store *st, int64_t sweep, int64_t host, json_t *msg,
                        struct err *e)
{
    json_t *p = json_object_get(msg, "probe");
    struct store_snapshot s = {
        .taken_at = num_or_nan(json_object_get(msg, "at")), .probe = p,
        .os = str(p, "os"), .kernel = str(p, "kernel"), .arch = str(p, "arch"),
        .cpu_model = str(p, "cpu_model"), .virtualization = str(p, "virtualization"),
        .governor = str(p, "governor"), .compiler = str(p, "compiler"),
        .python_version = str(json_object_get(p, "python"), "python"),
        .physical_cores = int_or(p, "physical_cores", -1),
        .logical_cores = int_or(p, "logical_cores", -1),
        .memory_bytes = int_or(p, "memory_bytes", -1),
        .load_avg_1m = num_or_nan(json_array_get(json_object_get(p, "load_avg"), 0)),
    };
    return store_snapshot(st, sweep, host, &s, e);
}

int record_dataset(struct store *st, int64_t sweep, int64_t host, json_t *msg, struct err *e)
{
    json_t *m = json_object_get(msg, "manifest");
    struct buf sums;
    buf_init(&sums, 1 << 20);
    const char *name;
    json_t *f;
    json_object_foreach(json_object_get(m, "files"), name, f)
        buf_printf(&sums, "%s%s:%s", sums.len ? " " : "", name,
                   str(f, "sha256") ? str(f, "sha256") : "?");
    struct store_dataset d = {
        .profile = str(m, "profile"), .seed = int_or(m, "seed", 0), .manifest = m,
        .files_sha = sums.data ? sums.data : "",
        .reused = json_is_true(json_object_get(msg, "reused")),
        .gen_s = num_or_nan(json_object_get(msg, "gen_s")),
        .regenerated = str(msg, "regenerated"),
    };
    int rc = store_dataset(st, sweep, host, &d, e);
    buf_free(&sums);
    return rc;
}

#include "tasks.h"
#include "../../common/clock.h"
#include "../../common/err.h"
#include "../../common/xmalloc.h"
#include "csv.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char usage_fmt[] =
    "usage: %s --task TASK --data DIR [--threads N]\n"
    "\n"
    "A hotpath engine (WORKLOADS.md section 5). Tasks:%s\n"
    "Prints one JSON object with the result and in-process timings.\n"
    "Exit status: 0 ok, 1 bad data, 2 bad usage or unknown task,\n"
    "3 cannot run on this host.\n";

double engine_now(void)
{
    return clock_now();
}

static json_t *timing(double v)
{
    return v < 0 ? json_null() : json_real(v);
}

int engine_main(int argc, char **argv, const char *engine, const struct engine_task *tasks,
                int ntasks)
{
    log_init(engine);
    const char *task = NULL, *dir = NULL, *threads_arg = NULL;
    char list[256] = "";
    for (int i = 0; i < ntasks; i++) {
        strncat(list, " ", sizeof list - strlen(list) - 1);
        strncat(list, tasks[i].task, sizeof list - strlen(list) - 1);
    }
    for (int i = 1; i < argc; i++) {
        const char **slot = NULL;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf(usage_fmt, engine, list);
            return 0;
        } else if (!strcmp(argv[i], "--task")) {
            slot = &task;
        } else if (!strcmp(argv[i], "--data")) {
            slot = &dir;
        } else if (!strcmp(argv[i], "--threads")) {
            slot = &threads_arg;
        } else {
            die_code(2, "unknown argument '%s' (see --help)", argv[i]);
        }
        if (*slot)
            die_code(2, "%s given twice", argv[i]);
        if (i + 1 >= argc)
            die_code(2, "%s needs a value", argv[i]);
        *slot = argv[++i];
    }
    if (!task || !dir)
        die_code(2, "--task and --data are required (see --help)");
    long threads = 1;
    if (threads_arg) {
        char *end;
        errno = 0;
        threads = strtol(threads_arg, &end, 10);
        if (errno || *end || end == threads_arg || threads < 1 || threads > 4096)
            die_code(2, "--threads: want an integer from 1 to 4096, got '%s'", threads_arg);
    }
    const struct engine_task *t = NULL;
    for (int i = 0; i < ntasks; i++)
        if (!strcmp(tasks[i].task, task))
            t = &tasks[i];
    if (!t)
        die_code(2, "task '%s' is not implemented by %s (tasks:%s)", task, engine, list);
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        die_code(1, "%s: no such data directory", dir);

    struct task_out out = {.load_s = -1, .compute_s = -1};
    struct err e = {0};
    double t0 = engine_now();
    out.t_start = t0;
    int rc = t->fn(dir, (int)threads, &out, &e);
    double total = (out.t_done > 0 ? out.t_done : engine_now()) - t0;
    if (rc < 0)
        die_code(e.code ? e.code : 1, "%s", e.msg);
    if (out.load_s >= 0 && out.compute_s < 0)
        out.compute_s = total - out.load_s;

    json_t *o = json_pack("{s:s, s:s, s:i}", "task", task, "engine", engine,
                          "threads", (int)threads);
    if (out.threads_used && out.threads_used != threads)
        json_object_set_new(o, "threads_used", json_integer(out.threads_used));
    if (out.isa)
        json_object_set_new(o, "isa", json_string(out.isa));
    json_object_set_new(o, "result", out.result);
    json_object_set_new(o, "timings", json_pack("{s:o, s:o, s:f}", "load_s",
                        timing(out.load_s), "compute_s", timing(out.compute_s),
                        "total_s", total));
    if (json_dumpf(o, stdout, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) < 0 ||
        fputc('\n', stdout) == EOF || fflush(stdout) != 0)
        die("cannot write the result: %s", strerror(errno));
    json_decref(o);
    return 0;
}

void task_done(struct task_out *out, json_t *result)
{
    out->result = result;
    out->t_done = engine_now();
}

int engine_main_all(int argc, char **argv, const char *engine, task_fn numeric, task_fn groupby,
                    task_fn join, task_fn sessionize, task_fn stream_score)
{
    static const char *const names[N_TASKS] = {TASK_NAMES};
    const struct engine_task tasks[N_TASKS] = {
        [TASK_NUMERIC] = {names[TASK_NUMERIC], numeric},
        [TASK_GROUPBY] = {names[TASK_GROUPBY], groupby},
        [TASK_JOIN] = {names[TASK_JOIN], join},
        [TASK_SESSIONIZE] = {names[TASK_SESSIONIZE], sessionize},
        [TASK_STREAM_SCORE] = {names[TASK_STREAM_SCORE], stream_score},
    };
    return engine_main(argc, argv, engine, tasks, sizeof tasks / sizeof tasks[0]);
}

void par_run(int n, void *(*fn)(void *), void *args, size_t size)
{
    if (n == 1) {
        fn(args);
        return;
    }
    pthread_t *tid = xmalloc((size_t)n * sizeof *tid);
    for (int i = 0; i < n; i++)
        if (pthread_create(&tid[i], NULL, fn, (char *)args + (size_t)i * size) != 0)
            die("cannot start a thread: %s", strerror(errno));
    for (int i = 0; i < n; i++)
        pthread_join(tid[i], NULL);
    free(tid);
}

/* ---- numeric ---- */

#define R_EARTH 6371.0088
#define DEG (3.14159265358979323846 / 180.0)

double num_distance(double lat, double lon)
{
    const double lat0 = 40.7128 * DEG, lon0 = -74.0060 * DEG;
    double p = lat * DEG, l = lon * DEG;
    double s1 = sin((p - lat0) / 2), s2 = sin((l - lon0) / 2);
    double a = s1 * s1 + cos(lat0) * cos(p) * s2 * s2;
    double r = sqrt(a);
    return 2 * R_EARTH * asin(r < 1 ? r : 1);
}

int num_check_finite(const double *lat, const double *lon, uint64_t n, struct err *e)
{
    for (uint64_t i = 0; i < n; i++)
        if (!isfinite(lat[i]) || !isfinite(lon[i]))
            return err_set(e, 1, "points.f64: point %llu is not finite",
                           (unsigned long long)i);
    return 0;
}

void num_merge(struct num_part *into, const struct num_part *p)
{
    if (p->n == 0)
        return;
    if (into->n == 0) {
        *into = *p;
        return;
    }
    double n1 = (double)into->n, n2 = (double)p->n, n = n1 + n2;
    double delta = p->mean - into->mean;
    into->mean += delta * n2 / n;
    into->m2 += p->m2 + delta * delta * n1 * n2 / n;
    into->n += p->n;
    into->low += p->low;
    into->high += p->high;
    if (p->min < into->min)
        into->min = p->min;
    if (p->max > into->max)
        into->max = p->max;
}

json_t *num_result(const struct num_part *p)
{
    return json_pack("{s:I, s:I, s:I, s:f, s:f, s:f, s:f}", "n", (json_int_t)p->n,
                     "clipped_low", (json_int_t)p->low, "clipped_high", (json_int_t)p->high,
                     "mean", p->mean, "std", sqrt(p->m2 / (double)p->n), "min", p->min,
                     "max", p->max);
}

/* ---- groupby ---- */

static int group_before(const struct group *a, const struct group *b)
{
    return a->revenue > b->revenue || (a->revenue == b->revenue && a->id < b->id);
}

json_t *groupby_result(uint64_t rows, const struct group *g, uint64_t ngroups)
{
    const struct group *top[10];
    int ntop = 0;
    double total = 0;
    for (uint64_t i = 0; i < ngroups; i++) {
        total += g[i].revenue;
        int k = ntop < 10 ? ntop++ : 10;
        if (k == 10 && !group_before(&g[i], top[9]))
            continue;
        if (k == 10)
            k = 9;
        while (k > 0 && group_before(&g[i], top[k - 1])) {
            top[k] = top[k - 1];
            k--;
        }
        top[k] = &g[i];
    }
    json_t *arr = json_array();
    for (int i = 0; i < ntop; i++)
        json_array_append_new(arr, json_pack("[I, I, I, f, f]", (json_int_t)top[i]->id,
                              (json_int_t)top[i]->count, (json_int_t)top[i]->qty,
                              top[i]->revenue, (double)top[i]->max_cents / 100.0));
    return json_pack("{s:I, s:I, s:f, s:o}", "rows", (json_int_t)rows, "groups",
                     (json_int_t)ngroups, "total_revenue", total, "top", arr);
}

/* ---- join ---- */

static int by_name(const void *a, const void *b)
{
    return strcmp(**(const char *const *const *)a, **(const char *const *const *)b);
}

/* Indices of names[] in byte order of the names. */
static void sorted_order(const char *const *names, int n, int *order)
{
    const char *const *p[8];
    for (int i = 0; i < n; i++)
        p[i] = &names[i];
    qsort(p, (size_t)n, sizeof p[0], by_name);
    for (int i = 0; i < n; i++)
        order[i] = (int)(p[i] - names);
}

json_t *join_result(uint64_t rows, struct join_cell cells[N_SEGMENTS][N_REGIONS])
{
    int so[N_SEGMENTS], ro[N_REGIONS];
    sorted_order(csv_segments, N_SEGMENTS, so);
    sorted_order(csv_regions, N_REGIONS, ro);
    json_t *arr = json_array();
    for (int i = 0; i < N_SEGMENTS; i++) {
        for (int j = 0; j < N_REGIONS; j++) {
            const struct join_cell *c = &cells[so[i]][ro[j]];
            if (c->orders == 0)
                continue;
            json_array_append_new(arr, json_pack("[s, s, I, I, f]", csv_segments[so[i]],
                                  csv_regions[ro[j]], (json_int_t)c->orders,
                                  (json_int_t)c->qty, c->revenue));
        }
    }
    return json_pack("{s:I, s:o}", "rows", (json_int_t)rows, "segments", arr);
}

/* ---- sessionize ---- */

void sess_close(struct sess_stats *s, uint64_t events, uint64_t start, uint64_t end,
                uint64_t purchases, uint64_t carts)
{
    s->sessions++;
    s->duration += end - start;
    s->bounce += events == 1;
    s->converting += purchases > 0;
    s->abandoned += carts > 0 && purchases == 0;
    if (events > s->max_events)
        s->max_events = events;
    int b = 63 - __builtin_clzll(events);      /* [1] [2,3] [4,7] ... [64,inf) */
    s->hist[b < NBUCKETS - 1 ? b : NBUCKETS - 1]++;
}

void sess_merge(struct sess_stats *into, const struct sess_stats *p)
{
    into->events += p->events;
    into->users += p->users;
    into->sessions += p->sessions;
    into->duration += p->duration;
    into->bounce += p->bounce;
    into->converting += p->converting;
    into->abandoned += p->abandoned;
    into->revenue_cents += p->revenue_cents;
    if (p->max_events > into->max_events)
        into->max_events = p->max_events;
    for (int i = 0; i < NBUCKETS; i++)
        into->hist[i] += p->hist[i];
}

json_t *sess_result(const struct sess_stats *s)
{
    json_t *h = json_array();
    for (int i = 0; i < NBUCKETS; i++)
        json_array_append_new(h, json_integer((json_int_t)s->hist[i]));
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
                     "events", (json_int_t)s->events, "users", (json_int_t)s->users,
                     "sessions", (json_int_t)s->sessions,
                     "total_duration_s", (json_int_t)s->duration,
                     "bounce_sessions", (json_int_t)s->bounce,
                     "converting_sessions", (json_int_t)s->converting,
                     "abandoned_cart_sessions", (json_int_t)s->abandoned,
                     "revenue_cents", (json_int_t)s->revenue_cents,
                     "max_session_events", (json_int_t)s->max_events, "length_histogram", h);
}

/* ---- stream-score ---- */

double score_weight(int type, uint64_t cents)
{
    switch (type) {
    case ST_VIEW: return 0.1;
    case ST_LOGIN: return 1.0;
    case ST_PURCHASE: return 0.5 + (double)cents / 20000.0;
    case ST_REFUND: return 4.0 + (double)cents / 10000.0;
    case ST_PASSWORD_RESET: return 6.0;
    default: return 15.0 + (double)cents / 5000.0;
    }
}

void score_top_add(struct score_user *top, int *ntop, uint64_t id, uint64_t alerts)
{
    int k = *ntop < 5 ? (*ntop)++ : 5;
#define BEFORE(a, i, t) ((a) > (t).alerts || ((a) == (t).alerts && (i) < (t).id))
    if (k == 5) {
        if (!BEFORE(alerts, id, top[4]))
            return;
        k = 4;
    }
    while (k > 0 && BEFORE(alerts, id, top[k - 1])) {
        top[k] = top[k - 1];
        k--;
    }
#undef BEFORE
    top[k].id = id;
    top[k].alerts = alerts;
}

json_t *score_result(uint64_t events, uint64_t users, uint64_t alerts, uint64_t alerted,
                     double peak, double final_sum, const struct score_user *top, int ntop)
{
    json_t *arr = json_array();
    for (int i = 0; i < ntop; i++)
        json_array_append_new(arr, json_pack("[I, I]", (json_int_t)top[i].id,
                                             (json_int_t)top[i].alerts));
    return json_pack("{s:I, s:I, s:I, s:I, s:f, s:f, s:o}", "events", (json_int_t)events,
                     "users", (json_int_t)users, "alerts", (json_int_t)alerts,
                     "alerted_users", (json_int_t)alerted, "peak_score", peak,
                     "final_score_sum", final_sum, "top_users", arr);
}

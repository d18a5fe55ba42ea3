/* The sweep loop: one worker thread per host reads its agent's records and
 * queues them; this thread alone owns the store, writes them in batched
 * transactions and draws progress. */
#include "sweep.h"
#include "cfg.h"
#include "hotpath.h"
#include "proto.h"
#include "record.h"
#include "remote.h"
#include "transport.h"
#include "../common/err.h"
#include "../common/xmalloc.h"
#include "../store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PARALLEL_HOSTS 16
#define BATCH_EVENTS 2000
#define BATCH_SECONDS 0.25

enum ev_kind { EV_MSG, EV_FAIL, EV_END };

struct event {
    struct event *next;
    int host;
    enum ev_kind kind;
    enum proto_type type;
    json_t *msg;            /* NULL for a run: see run */
    struct proto_run *run;  /* a run record, converted by the worker */
    char *error;
    int replay;             /* a journal record re-read by a resume */
};

struct queue {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct event *head, *tail;
    int running;            /* workers not yet ended */
    int slots;              /* hosts allowed to run at once */
};

struct host_state {
    const struct host_cfg *cfg;
    int64_t id, snapshot;
    long planned, todo, seen, ok, bad;
    char current[128];
    char status[16];
    char *error;
    double started;
    int next_report;        /* percent, for plain progress lines */
};

struct worker {
    struct queue *q;
    int index;
    const struct host_cfg *h;
    const struct cfg *cfg;
    const char *uuid;
    int resume;
    char *plan_text;
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void sweep_uuid(char out[37])
{
    unsigned char b[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, b, sizeof b) != (ssize_t)sizeof b)
        die("cannot read /dev/urandom: %s", strerror(errno));
    close(fd);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

json_t *sweep_registry(struct err *e)
{
    char *path = xasprintf("%s/workloads/engines.json", hp_root());
    json_error_t je;
    json_t *r = json_load_file(path, 0, &je);
    if (!r)
        err_set(e, 1, "%s:%d: %s", path, je.line, je.text);
    free(path);
    return r;
}

json_t *sweep_plan(const char *uuid, json_t *sw, json_t *registry)
{
    json_t *plan = json_deep_copy(sw);
    json_object_del(plan, "extra_engines");
    json_object_set_new(plan, "sweep", json_string(uuid));
    json_object_set_new(plan, "hotpath_version", json_string(HOTPATH_VERSION));
    unsigned char seed[8] = {0};
    for (int i = 0; i < 8 && uuid[i * 2]; i++)
        sscanf(uuid + i * 2, "%2hhx", &seed[i]);
    json_int_t order = 0;
    for (int i = 0; i < 7; i++)
        order = order << 8 | seed[i];
    json_object_set_new(plan, "order_seed", json_integer(order));
    json_t *defs = json_array(), *want = json_object_get(sw, "engines");
    size_t i, k;
    json_t *e, *w;
    json_array_foreach(want, k, w)
        json_array_foreach(json_object_get(registry, "engines"), i, e)
            if (json_equal(json_object_get(e, "name"), w))
                json_array_append(defs, e);
    json_object_set_new(plan, "engines", defs);
    const char *ref = json_string_value(json_object_get(registry, "reference"));
    json_array_foreach(json_object_get(registry, "engines"), i, e)
        if (ref && !strcmp(json_string_value(json_object_get(e, "name")) ?: "", ref))
            json_object_set(plan, "reference", e);
    return plan;
}

/* ---- queue ---- */

static void push_ev(struct queue *q, int host, enum ev_kind kind, enum proto_type type,
                    json_t *msg, char *error, int replay)
{
    struct event *ev = xcalloc(1, sizeof *ev);
    ev->replay = replay;
    ev->host = host;
    ev->kind = kind;
    ev->type = type;
    ev->error = error;
    /* Run records become plain C here, in the worker, so the writer (the
     * one thread that owns the store) neither walks nor frees JSON. */
    if (kind == EV_MSG && type == PROTO_RUN) {
        ev->run = proto_run_of(msg);
        json_decref(msg);
    } else {
        ev->msg = msg;
    }
    pthread_mutex_lock(&q->lock);
    int was_empty = q->head == NULL;
    if (q->tail)
        q->tail->next = ev;
    else
        q->head = ev;
    q->tail = ev;
    if (kind == EV_END)
        q->running--;
    /* The writer takes the whole list at once: wake it only when it may
     * be waiting. */
    if (was_empty || kind == EV_END)
        pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->lock);
}

static void push(struct queue *q, int host, enum ev_kind kind, enum proto_type type,
                 json_t *msg, char *error)
{
    push_ev(q, host, kind, type, msg, error, 0);
}

/* ---- workers ---- */

static void remote_emit(void *ctx, enum proto_type t, json_t *msg, int replay)
{
    struct worker *w = ctx;
    push_ev(w->q, w->index, EV_MSG, t, msg, NULL, replay);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct queue *q = w->q;
    pthread_mutex_lock(&q->lock);
    while (q->slots == 0)
        pthread_cond_wait(&q->cond, &q->lock);
    q->slots--;
    pthread_mutex_unlock(&q->lock);

    struct err e = {0};
    if (!strcmp(w->h->transport, "ssh")) {
        if (remote_sweep_host(w->h, w->cfg, w->uuid, w->plan_text, w->resume, remote_emit, w,
                              &e) < 0)
            push(q, w->index, EV_FAIL, 0, NULL, xstrdup(e.msg));
        goto out;
    }
    const struct transport *t = transport_for(w->h, &e);
    struct conn *c = NULL;
    char *args[] = {"run", NULL};
    if (!t || t->start(w->h, args, w->plan_text, &c, &e) < 0) {
        push(q, w->index, EV_FAIL, 0, NULL, xstrdup(e.msg));
        goto out;
    }
    struct buf line;
    buf_init(&line, 0);
    long lineno = 0;
    int failed = 0, saw_done = 0, rc;
    while ((rc = t->read_line(c, &line, &e)) == 1) {
        lineno++;
        enum proto_type type;
        json_t *msg;
        char why[256];
        if (proto_parse(line.data, line.len, &type, &msg, why, sizeof why) < 0) {
            push(q, w->index, EV_FAIL, 0, NULL,
                 xasprintf("protocol error on agent output line %ld: %s", lineno, why));
            failed = 1;
            break;
        }
        saw_done |= type == PROTO_DONE;
        push(q, w->index, EV_MSG, type, msg, NULL);
    }
    if (rc < 0 && !failed) {
        push(q, w->index, EV_FAIL, 0, NULL,
             xasprintf("protocol error on agent output line %ld: %s", lineno + 1, e.msg));
        failed = 1;
    }
    buf_free(&line);
    int status;
    char tail[512];
    t->finish(c, &status, tail, sizeof tail);
    if (!failed && (!saw_done || status != 0))
        push(q, w->index, EV_FAIL, 0, NULL,
             xasprintf("agent exited with status %d%s%s", status, tail[0] ? ": " : "", tail));
out:
    pthread_mutex_lock(&q->lock);
    q->slots++;
    pthread_mutex_unlock(&q->lock);
    push(q, w->index, EV_END, 0, NULL, NULL);
    return NULL;
}

/* ---- the writer ---- */

struct writer {
    struct store *st;
    int64_t sweep;
    struct host_state *hosts;
    int nhosts;
    int tty, drawn, in_tx;
    double tx_started;
    long tx_events;
};

static void fmt_eta(double s, char *out, size_t n)
{
    if (s < 0 || s > 864000)
        snprintf(out, n, "?");
    else if (s >= 3600)
        snprintf(out, n, "%dh%02dm", (int)s / 3600, (int)s % 3600 / 60);
    else
        snprintf(out, n, "%dm%02ds", (int)s / 60, (int)s % 60);
}

static void host_line(const struct host_state *h, char *out, size_t n)
{
    char eta[32] = "";
    if (h->seen > 0 && h->todo > h->seen) {
        double per = (now() - h->started) / (double)h->seen;
        fmt_eta(per * (double)(h->todo - h->seen), eta, sizeof eta);
    }
    snprintf(out, n, "%-12s %-8s %5ld/%-5ld", h->cfg->name, h->status, h->seen, h->todo);
    if (h->bad) {
        size_t l = strlen(out);
        snprintf(out + l, n - l, " (%ld not ok)", h->bad);
    }
    size_t l = strlen(out);
    if (h->current[0])
        snprintf(out + l, n - l, "  %s", h->current);
    l = strlen(out);
    if (eta[0])
        snprintf(out + l, n - l, "  ETA %s", eta);
}

static void draw(struct writer *w, int final)
{
    if (log_level < 1)
        return;
    char line[512];
    if (w->tty) {
        if (w->drawn)
            fprintf(stderr, "\033[%dA", w->nhosts);
        for (int i = 0; i < w->nhosts; i++) {
            host_line(&w->hosts[i], line, sizeof line);
            fprintf(stderr, "\r\033[K%s\n", line);
        }
        w->drawn = 1;
        return;
    }
    for (int i = 0; i < w->nhosts; i++) {
        struct host_state *h = &w->hosts[i];
        int pct = h->todo ? (int)(100 * h->seen / h->todo) : 0;
        if (final || pct >= h->next_report) {
            host_line(h, line, sizeof line);
            fprintf(stderr, "hotpath: %s\n", line);
            while (h->next_report <= pct)
                h->next_report += 10;
        }
    }
}

static int tx_begin(struct writer *w, struct err *e)
{
    if (w->in_tx)
        return 0;
    if (store_begin(w->st, e) < 0)
        return -1;
    w->in_tx = 1;
    w->tx_started = now();
    w->tx_events = 0;
    return 0;
}

static int tx_commit(struct writer *w, struct err *e)
{
    if (!w->in_tx)
        return 0;
    w->in_tx = 0;
    return store_commit(w->st, e);
}

static void host_fail(struct writer *w, struct host_state *h, const char *why, struct err *e)
{
    snprintf(h->status, sizeof h->status, "failed");
    free(h->error);
    h->error = xstrdup(why);
    h->current[0] = '\0';
    store_sweep_host(w->st, w->sweep, h->id, "failed", -1, why, e);
    if (w->tty && w->drawn) {
        fprintf(stderr, "\033[%dA\r\033[K", w->nhosts);
        w->drawn = 0;
        for (int i = 0; i < w->nhosts; i++)
            fprintf(stderr, "\n");
        fprintf(stderr, "\033[%dA", w->nhosts);
    }
    error("host %s: %s", h->cfg->name, why);
}

/* Stores one record. Replayed journal records go through here too. */
static int handle(struct writer *w, struct host_state *h, enum proto_type type, json_t *m,
                  const struct proto_run *run, int replay, struct err *e)
{
    switch (type) {
    case PROTO_HELLO:
        if (!replay) {
            snprintf(h->status, sizeof h->status, "running");
            return store_sweep_host(w->st, w->sweep, h->id, "running", -1, NULL, e);
        }
        return 0;
    case PROTO_PROBE:
        h->snapshot = record_snapshot(w->st, w->sweep, h->id, m, e);
        return h->snapshot < 0 ? -1 : 0;
    case PROTO_DATA:
        if (!replay) {
            h->planned = (long)json_integer_value(json_object_get(m, "planned"));
            h->todo = (long)json_integer_value(json_object_get(m, "todo"));
            h->started = now();
            if (store_sweep_host(w->st, w->sweep, h->id, "running", h->planned, NULL, e) < 0)
                return -1;
        }
        return record_dataset(w->st, w->sweep, h->id, m, e);
    case PROTO_RUN: {
        int added;
        if (record_run(w->st, w->sweep, h->id, h->snapshot, run, &added, e) < 0)
            return -1;
        if (replay)
            return 0;
        h->seen++;
        if (strcmp(run->status, "ok") != 0)
            h->bad++;
        snprintf(h->current, sizeof h->current, "%s %s t%lld", run->task, run->engine,
                 run->threads);
        if (strcmp(run->status, "ok") && strcmp(run->status, "skipped"))
            debug("%s: %s %s: %s", h->cfg->name, h->current, run->status,
                  run->error ? run->error : "");
        return 0;
    }
    case PROTO_SKIP:
    case PROTO_ERROR:
        if (!replay)
            warning("host %s: %s", h->cfg->name,
                    json_string_value(json_object_get(m, type == PROTO_ERROR ? "message"
                                                                              : "error")));
        return 0;
    case PROTO_DONE:
        if (replay)
            return 0;
        if (!json_is_true(json_object_get(m, "ok"))) {
            host_fail(w, h, h->error ? h->error : "the agent gave up", e);
            return 0;
        }
        snprintf(h->status, sizeof h->status, "done");
        h->current[0] = '\0';
        return store_sweep_host(w->st, w->sweep, h->id, "done", -1, NULL, e);
    }
    return 0;
}

/* Replays a host's journal into the store (resume): runs the agent's tail. */
static int replay_journal(struct writer *w, struct host_state *h, const char *uuid,
                          struct err *e)
{
    const struct transport *t = transport_for(h->cfg, e);
    if (!t)
        return -1;
    struct conn *c;
    char *args[] = {"tail", "--sweep", (char *)uuid, "--from", "0", NULL};
    if (t->start(h->cfg, args, NULL, &c, e) < 0)
        return -1;
    struct buf line;
    buf_init(&line, 0);
    long n = 0;
    int rc = 0;
    if (tx_begin(w, e) < 0)
        rc = -1;
    while (rc == 0 && t->read_line(c, &line, e) == 1) {
        enum proto_type type;
        json_t *m;
        char why[256];
        n++;
        if (proto_parse(line.data, line.len, &type, &m, why, sizeof why) < 0) {
            warning("host %s: journal line %ld skipped: %s", h->cfg->name, n, why);
            continue;
        }
        struct proto_run *run = type == PROTO_RUN ? proto_run_of(m) : NULL;
        rc = handle(w, h, type, m, run, 1, e);
        proto_run_free(run);
        json_decref(m);
    }
    buf_free(&line);
    int status;
    char tail[256];
    t->finish(c, &status, tail, sizeof tail);
    if (rc == 0)
        rc = tx_commit(w, e);
    debug("host %s: replayed %ld journal records", h->cfg->name, n);
    return rc;
}

const char *sweep_execute(struct store *st, int64_t sweep_id, const char *uuid, json_t *plan,
                          const struct cfg *cfg, int resume, struct err *e)
{
    int n = cfg->nhosts;
    struct writer w = {.st = st, .sweep = sweep_id, .nhosts = n, .tty = isatty(2)};
    w.hosts = xcalloc((size_t)n, sizeof *w.hosts);
    struct queue q = {.running = n, .slots = MAX_PARALLEL_HOSTS};
    pthread_mutex_init(&q.lock, NULL);
    pthread_cond_init(&q.cond, NULL);
    struct worker *workers = xcalloc((size_t)n, sizeof *workers);
    pthread_t *tids = xcalloc((size_t)n, sizeof *tids);
    const char *result = NULL;

    for (int i = 0; i < n; i++) {
        struct host_state *h = &w.hosts[i];
        h->cfg = &cfg->hosts[i];
        h->snapshot = -1;
        snprintf(h->status, sizeof h->status, "pending");
        h->id = store_host(st, h->cfg->name, h->cfg->transport, h->cfg->address, e);
        if (h->id < 0 || store_sweep_host(st, sweep_id, h->id, "pending", -1, NULL, e) < 0)
            goto out;
        if (resume && !strcmp(h->cfg->transport, "local") && replay_journal(&w, h, uuid, e) < 0) {
            if (e->code != 0 && strstr(e->msg, "store:"))
                goto out;
            warning("host %s: journal not replayed: %s", h->cfg->name, e->msg);
            e->msg[0] = '\0';
            e->code = 0;
        }
        json_t *hp = json_deep_copy(plan);
        json_object_set_new(hp, "host", json_string(h->cfg->name));
        if (h->cfg->python)
            json_object_set_new(hp, "python", json_string(h->cfg->python));
        json_object_set_new(hp, "done", store_done_runs(st, sweep_id, h->id));
        workers[i] = (struct worker){.q = &q, .index = i, .h = h->cfg, .cfg = cfg, .uuid = uuid,
                                     .resume = resume,
                                     .plan_text = json_dumps(hp, JSON_COMPACT)};
        json_decref(hp);
    }
    for (int i = 0; i < n; i++)
        pthread_create(&tids[i], NULL, worker_main, &workers[i]);

    double last_draw = 0;
    for (;;) {
        pthread_mutex_lock(&q.lock);
        while (!q.head && q.running > 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 250 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            if (pthread_cond_timedwait(&q.cond, &q.lock, &ts) == ETIMEDOUT)
                break;
        }
        struct event *batch = q.head;
        q.head = q.tail = NULL;
        int running = q.running;
        pthread_mutex_unlock(&q.lock);

        struct event *ev = batch;
        while (ev) {
            struct host_state *h = &w.hosts[ev->host];
            int rc = 0;
            if (ev->kind == EV_MSG) {
                if (tx_begin(&w, e) < 0)
                    rc = -1;
                else
                    rc = handle(&w, h, ev->type, ev->msg, ev->run, ev->replay, e);
                w.tx_events++;
            } else if (ev->kind == EV_FAIL) {
                if (tx_begin(&w, e) == 0)
                    host_fail(&w, h, ev->error, e);
            }
            struct event *next = ev->next;
            json_decref(ev->msg);
            proto_run_free(ev->run);
            free(ev->error);
            free(ev);
            ev = next;
            if (rc < 0)
                goto out;      /* a store error: stop, what is committed stays */
            if (w.tx_events >= BATCH_EVENTS && tx_commit(&w, e) < 0)
                goto out;
        }
        /* Commit in batches: by count or age, never per record, since a
         * commit is an fsync. */
        int idle = !batch;
        if (w.in_tx && ((idle && running == 0) || w.tx_events >= BATCH_EVENTS ||
                        now() - w.tx_started > BATCH_SECONDS))
            if (tx_commit(&w, e) < 0)
                goto out;
        if (now() - last_draw > (w.tty ? 0.2 : 1.0) || (idle && running == 0)) {
            draw(&w, 0);
            last_draw = now();
        }
        if (idle && running == 0)
            break;
    }
    for (int i = 0; i < n; i++)
        pthread_join(tids[i], NULL);
    if (tx_commit(&w, e) < 0)
        goto out;
    int failed = 0;
    for (int i = 0; i < n; i++)
        failed += strcmp(w.hosts[i].status, "done") != 0;
    result = failed == 0 ? "complete" : failed == n ? "failed" : "partial";
    if (store_sweep_finish(st, sweep_id, result, e) < 0)
        result = NULL;
out:
    if (!result)
        for (int i = 0; i < n; i++)
            if (tids[i])
                pthread_cancel(tids[i]);
    for (int i = 0; i < n; i++) {
        free(workers[i].plan_text);
        free(w.hosts[i].error);
    }
    free(workers);
    free(tids);
    free(w.hosts);
    return result;
}

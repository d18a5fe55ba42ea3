/* controller/sweep-writer.c against a real store in a temporary directory:
 * records are stored in transactions batched by count and age, a second
 * connection sees them only once committed, nothing is stored twice or
 * lost, a done-list request sees the open transaction, a host's failure
 * keeps its agent's reason, and a store error stops the writer with what
 * was committed kept. */
#include "harness.h"
#include "../../common/clock.h"
#include "../../common/err.h"
#include "../../common/xmalloc.h"
#include "../../controller/admit.h"
#include "../../controller/cfg.h"
#include "../../controller/sweep-queue.h"
#include "../../controller/sweep-writer.h"
#include "../../store/store.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UUID "5eed0000-0000-4000-8000-000000000001"

struct fixture {
    char dir[32], path[64];
    struct store *st, *reader;
    struct queue q;
    struct host_cfg cfg[2];
    struct host_state hosts[2];
    struct writer w;
};

static int setup(struct fixture *f, struct err *e)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/hp-writer-XXXXXX");
    if (!mkdtemp(f->dir))
        return err_set(e, 1, "mkdtemp failed");
    snprintf(f->path, sizeof f->path, "%s/s.db", f->dir);
    if (store_open(f->path, 0, &f->st, e) < 0)
        return -1;
    json_t *plan = json_pack("{s:s, s:i, s:s}", "profile", "tiny", "seed", 1,
                             "hotpath_version", "test");
    int64_t sweep = store_sweep_create(f->st, UUID, "c.json", plan, e);
    json_decref(plan);
    if (sweep < 0)
        return -1;
    queue_init(&f->q, 2, 2);
    f->w = (struct writer){.st = f->st, .sweep = sweep, .q = &f->q,
                           .progress = {.hosts = f->hosts, .nhosts = 2}};
    static const char *const names[] = {"a", "b"};
    for (int i = 0; i < 2; i++) {
        f->cfg[i] = (struct host_cfg){.name = names[i], .transport = "local"};
        struct host_state *h = &f->hosts[i];
        h->cfg = &f->cfg[i];
        h->snapshot = -1;
        h->cores = -1;
        snprintf(h->status, sizeof h->status, "pending");
        h->id = store_host(f->st, names[i], "local", NULL, e);
        if (h->id < 0 || store_sweep_host(f->st, sweep, h->id, "pending", -1, NULL, e) < 0)
            return -1;
    }
    /* A second connection, opened before any transaction: what it sees is
     * what is committed. */
    return store_open(f->path, 1, &f->reader, e);
}

static void teardown(struct fixture *f)
{
    store_close(f->reader);
    store_close(f->st);
    queue_destroy(&f->q);
    for (int i = 0; i < 2; i++)
        free(f->hosts[i].error);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    CHECK(system(cmd) == 0, "the writer test's temporary directory is removed");
}

static json_t *run_msg(const char *engine, long long threads, long long repeat,
                       const char *status)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:s, s:f, s:f}", "type", "run",
                     "sweep", UUID, "task", "join", "engine", engine, "threads",
                     (json_int_t)threads, "repeat", (json_int_t)repeat, "warmup", repeat < 0,
                     "status", status, "total_s", 0.5, "wall_s", 0.6);
}

static void push_run(struct fixture *f, int host, long long repeat, int replay)
{
    queue_push(&f->q, host, EV_MSG, PROTO_RUN, run_msg("c", 1, repeat, "ok"), NULL, replay);
}

/* Hands everything queued to the writer, as the sweep's loop does; stops
 * at the first error. */
static int feed(struct fixture *f, struct err *e)
{
    int running, rc = 0;
    struct event *batch = queue_take(&f->q, 0.01, &running);
    for (struct event *ev = batch, *next; ev; ev = next) {
        next = ev->next;
        if (rc == 0 && writer_event(&f->w, ev, e) < 0)
            rc = -1;
        event_free(ev);
    }
    return rc;
}

static size_t stored(struct store *s, const struct fixture *f, int host)
{
    json_t *d = store_done_runs(s, f->w.sweep, f->hosts[host].id);
    size_t n = json_array_size(d);
    json_decref(d);
    return n;
}

/* Whether the transaction is young enough that no commit by age was due:
 * the checks that a commit has not happened yet hold only then. */
static int young(const struct writer *w)
{
    return clock_now() - w->tx_started < 0.2;
}

TEST(test_sweep_writer_batches)
{
    struct fixture f;
    struct err e = {0};
    int ok = setup(&f, &e) == 0;
    CHECK(ok, "a store with a sweep and two hosts is set up in a temporary directory");
    if (!ok) {
        fprintf(stderr, "    %s\n", e.msg);
        return;
    }
    queue_push(&f.q, 0, EV_MSG, PROTO_HELLO,
               json_pack("{s:s, s:s, s:s}", "type", "hello", "version", "1", "sweep", UUID),
               NULL, 0);
    for (int r = 0; r < 10; r++)
        push_run(&f, 0, r, 0);
    CHECK(feed(&f, &e) == 0, "a hello and ten runs are stored without an error");
    CHECK(!strcmp(f.hosts[0].status, "running") && f.hosts[0].seen == 10,
          "the hello marks the host running and each live run is counted as seen");
    if (young(&f.w)) {
        CHECK(f.w.in_tx && f.w.tx_events == 11,
              "eleven records stay in one open transaction: no commit per record");
        CHECK(stored(f.reader, &f, 0) == 0,
              "another connection sees none of the runs before the commit");
    }

    /* A done-list request is answered from inside the open transaction. */
    struct sync_reply reply = {NULL, 0};
    struct event req = {.host = 0, .kind = EV_SYNC, .sync = &reply};
    CHECK(writer_event(&f.w, &req, &e) == 0 && reply.ready &&
          json_array_size(reply.done) == 10,
          "a done-list request sees the runs of the open transaction");
    json_decref(reply.done);

    if (young(&f.w)) {
        CHECK(writer_commit(&f.w, 0, &e) == 0 && f.w.in_tx,
              "a small young transaction is not committed unless forced");
    }
    CHECK(writer_commit(&f.w, 1, &e) == 0 && !f.w.in_tx, "a forced commit closes the transaction");
    CHECK(stored(f.reader, &f, 0) == 10, "after the commit another connection sees all ten runs");
    CHECK(writer_commit(&f.w, 1, &e) == 0 && !f.w.in_tx,
          "a commit with no transaction open is a no-op, not an error");

    /* By age: an open transaction older than the batch age commits at the
     * next chance. */
    push_run(&f, 0, 10, 0);
    CHECK(feed(&f, &e) == 0, "one more run is stored");
    clock_sleep(0.3);
    CHECK(writer_commit(&f.w, 0, &e) == 0 && !f.w.in_tx,
          "a transaction older than the batch age is committed without force");
    CHECK(stored(f.reader, &f, 0) == 11,
          "the run committed by age is visible to another connection");

    /* By count: 5000 records, fed one at a time; no transaction holds more
     * than 2000, and the commits are the few the count and the age allow. */
    for (int r = 0; r < 5000; r++)
        push_run(&f, 1, r, 0);
    int running, fed_ok = 1, commits = 0;
    long most = 0;
    double t0 = clock_now();
    struct event *batch = queue_take(&f.q, 0.01, &running);
    for (struct event *ev = batch, *next; ev; ev = next) {
        next = ev->next;
        fed_ok &= writer_event(&f.w, ev, &e) == 0;
        if (f.w.in_tx && f.w.tx_events > most)
            most = f.w.tx_events;
        commits += !f.w.in_tx;      /* each record opens one if none is open */
        event_free(ev);
    }
    double took = clock_now() - t0;
    CHECK(fed_ok, "5000 runs of the second host are stored without an error");
    CHECK(most < 2000 && commits >= 2,
          "a transaction is committed once it holds 2000 records, whatever its age");
    CHECK(commits <= 2 + (int)(took / 0.25) + 1,
          "commits come only by count or age, not per record");
    CHECK(writer_commit(&f.w, 1, &e) == 0, "the last batch commits");
    CHECK(stored(f.reader, &f, 1) == 5000 && stored(f.reader, &f, 0) == 11,
          "every run of both hosts is stored, across every batch boundary");
    teardown(&f);
}

TEST(test_sweep_writer_no_duplicates)
{
    /* Two hosts interleaved, a journal replayed over what the live stream
     * already sent, and a live record sent twice: each run is stored once,
     * and none is lost. */
    struct fixture f;
    struct err e = {0};
    int ok = setup(&f, &e) == 0;
    CHECK(ok, "the store for the duplicate test is set up");
    if (!ok)
        return;
    for (int r = 0; r < 6; r++) {
        push_run(&f, 0, r, 0);
        push_run(&f, 1, r, 0);
    }
    push_run(&f, 1, 5, 0);                  /* sent again after a reconnect */
    for (int r = 0; r < 8; r++)
        push_run(&f, 0, r, 1);              /* the journal: 0..5 again, and 6, 7 */
    queue_push(&f.q, 0, EV_MSG, PROTO_RUN, run_msg("c", 1, 8, "failed"), NULL, 0);
    CHECK(feed(&f, &e) == 0 && writer_commit(&f.w, 1, &e) == 0,
          "interleaved, repeated and replayed runs are stored without an error");
    json_t *d0 = store_done_runs(f.reader, f.w.sweep, f.hosts[0].id);
    int distinct = 1;
    for (size_t i = 0; i < json_array_size(d0); i++)
        for (size_t j = i + 1; j < json_array_size(d0); j++)
            distinct &= !json_equal(json_array_get(d0, i), json_array_get(d0, j));
    CHECK(json_array_size(d0) == 9 && distinct,
          "the first host has its nine runs once each: live, replayed-only and failed ones");
    json_decref(d0);
    CHECK(stored(f.reader, &f, 1) == 6, "a run sent twice by the second host is stored once");
    CHECK(f.hosts[0].seen == 7 && f.hosts[0].bad == 1,
          "replayed journal records are not counted as seen again; the failed run is bad");
    teardown(&f);
}

static int quiet_stderr(void)
{
    fflush(stderr);
    int saved = dup(2), null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    close(null);
    return saved;
}

static void loud_stderr(int saved)
{
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
}

TEST(test_sweep_writer_hosts_and_errors)
{
    struct fixture f;
    struct err e = {0};
    int ok = setup(&f, &e) == 0;
    CHECK(ok, "the store for the failure test is set up");
    if (!ok)
        return;

    /* The agent's error then a failed done: the host failed for the agent's
     * reason, and the exit status that follows does not replace it. */
    queue_push(&f.q, 0, EV_MSG, PROTO_ERROR,
               json_pack("{s:s, s:s}", "type", "error", "message", "disk full"), NULL, 0);
    queue_push(&f.q, 0, EV_MSG, PROTO_DONE, json_pack("{s:s, s:b}", "type", "done", "ok", 0),
               NULL, 0);
    queue_push(&f.q, 0, EV_FAIL, PROTO_HELLO, NULL, xstrdup("agent exited with status 1"), 0);
    queue_push(&f.q, 1, EV_LOST, PROTO_HELLO, NULL, xstrdup("no connection for 6 s"), 0);
    /* The failures are logged as a sweep logs them: not for the test's output. */
    int level = log_level, saved = quiet_stderr();
    log_level = 0;
    int fed = feed(&f, &e) == 0 && writer_commit(&f.w, 1, &e) == 0;
    loud_stderr(saved);
    log_level = level;
    CHECK(fed, "an error record, a failed done, a failure and a loss are stored");
    CHECK(!strcmp(f.hosts[0].status, "failed") && !strcmp(f.hosts[0].error, "disk full"),
          "a host whose agent gave up failed for the agent's own reason");
    CHECK(!strcmp(f.hosts[1].status, "lost") &&
          !strcmp(f.hosts[1].error, "no connection for 6 s"),
          "a lost host is lost with the reason its worker gave");
    json_t *hs = store_sweep_hosts(f.reader, f.w.sweep, &e);
    int a_ok = 0, b_ok = 0;
    for (size_t i = 0; i < json_array_size(hs); i++) {
        json_t *r = json_array_get(hs, i);
        const char *name = json_string_value(json_object_get(r, "host"));
        const char *st = json_string_value(json_object_get(r, "status"));
        const char *why = json_string_value(json_object_get(r, "error"));
        if (name && st && why && !strcmp(name, "a"))
            a_ok = !strcmp(st, "failed") && !strcmp(why, "disk full");
        if (name && st && why && !strcmp(name, "b"))
            b_ok = !strcmp(st, "lost") && !strcmp(why, "no connection for 6 s");
    }
    json_decref(hs);
    CHECK(a_ok && b_ok, "the store keeps each host's final status and reason");

    /* A run outside the plan is refused and not stored. */
    json_t *plan = json_pack("{s:s, s:[s], s:[i], s:i, s:i, s:[{s:s, s:[s]}]}", "sweep", UUID,
                             "tasks", "join", "threads", 1, "repeats", 2, "warmups", 0,
                             "engines", "name", "c", "tasks", "join");
    struct admit_plan admit;
    admit_init(&admit, plan);
    json_decref(plan);
    f.w.admit = &admit;
    push_run(&f, 1, 0, 0);
    queue_push(&f.q, 1, EV_MSG, PROTO_RUN, run_msg("c", 4, 1, "ok"), NULL, 0);
    log_level = 0;      /* the refusal's warning */
    fed = feed(&f, &e) == 0 && writer_commit(&f.w, 1, &e) == 0;
    log_level = level;
    CHECK(fed, "a refused run is not a store error");
    CHECK(f.hosts[1].refused == 1 && stored(f.reader, &f, 1) == 1,
          "a run of a thread count the plan does not hold is refused and not stored");
    f.w.admit = NULL;
    admit_free(&admit);

    /* A store error in the middle of a batch: the writer returns it; the
     * runs committed before stay, the open transaction's are not kept. */
    int64_t real = f.hosts[0].id;
    push_run(&f, 0, 0, 0);
    push_run(&f, 0, 1, 0);
    CHECK(feed(&f, &e) == 0 && writer_commit(&f.w, 1, &e) == 0,
          "two runs are committed before the error");
    push_run(&f, 0, 2, 0);
    CHECK(feed(&f, &e) == 0, "a third run is stored in a new transaction");
    f.hosts[0].id = 999999;                 /* a host the store does not have */
    push_run(&f, 0, 3, 0);
    push_run(&f, 0, 4, 0);
    e = (struct err){0};
    CHECK(feed(&f, &e) < 0 && e.msg[0], "a store error is returned by the writer, with a message");
    f.hosts[0].id = real;
    store_close(f.st);                      /* the sweep stops: no commit */
    f.st = NULL;
    CHECK(stored(f.reader, &f, 0) == 2,
          "after a store error the committed runs stay and the open transaction's are gone");
    teardown(&f);
}

/* controller/sweep-queue.c: what a sweep's host workers hand its writer.
 * Events come out in the order each worker queued them, all of them, once;
 * a done-list request is answered or let go; the host slots bound how many
 * run at once; a stop reaches every waiting worker. */
#include "harness.h"
#include "../../common/clock.h"
#include "../../controller/sweep-queue.h"

#include <pthread.h>
#include <string.h>

/* A record whose "seq" says where its worker queued it. */
static json_t *numbered(long seq)
{
    return json_pack("{s:s, s:I}", "type", "hello", "seq", (json_int_t)seq);
}

static long seq_of(const struct event *ev)
{
    return (long)json_integer_value(json_object_get(ev->msg, "seq"));
}

static void free_all(struct event *ev)
{
    while (ev) {
        struct event *next = ev->next;
        event_free(ev);
        ev = next;
    }
}

TEST(test_sweep_queue_order)
{
    struct queue q;
    queue_init(&q, 1, 4);
    for (long i = 0; i < 5; i++)
        queue_push(&q, 0, EV_MSG, PROTO_HELLO, numbered(i), NULL, 0);
    queue_push(&q, 0, EV_FAIL, PROTO_HELLO, NULL, strdup("exit status 3"), 0);
    int running = -1;
    struct event *batch = queue_take(&q, 0.01, &running);
    long n = 0, in_order = 1;
    struct event *ev = batch;
    for (; ev && ev->kind == EV_MSG; ev = ev->next)
        in_order &= seq_of(ev) == n++;
    CHECK(n == 5 && in_order, "queue_take hands over every queued record, in the order queued");
    CHECK(ev && ev->kind == EV_FAIL && !strcmp(ev->error, "exit status 3") && !ev->next,
          "a failure queued after the records comes after them, with its reason");
    CHECK(running == 1, "queue_take says one worker still runs before it has ended");
    free_all(batch);
    CHECK(queue_take(&q, 0.01, &running) == NULL,
          "a take after everything was taken finds nothing: no event is handed over twice");

    /* A run record is converted for the writer; other records keep their JSON. */
    queue_push(&q, 0, EV_MSG, PROTO_RUN,
               json_pack("{s:s, s:s, s:s, s:i, s:i, s:b, s:s, s:f}", "type", "run", "task",
                         "join", "engine", "c", "threads", 2, "repeat", 1, "warmup", 0,
                         "status", "ok", "total_s", 0.5), NULL, 1);
    batch = queue_take(&q, 0.01, &running);
    CHECK(batch && batch->run && !batch->msg && !strcmp(batch->run->engine, "c") &&
          batch->run->threads == 2 && batch->replay,
          "a run record is queued as the writer's C struct, its JSON gone, replay flag kept");
    free_all(batch);

    /* The last worker's end: the count falls to 0 and a take no longer waits. */
    queue_push(&q, 0, EV_END, PROTO_HELLO, NULL, NULL, 0);
    batch = queue_take(&q, 10.0, &running);
    CHECK(batch && batch->kind == EV_END && running == 0,
          "a worker's end is handed over and leaves no worker running");
    free_all(batch);
    double t0 = clock_now();
    CHECK(queue_take(&q, 30.0, &running) == NULL && running == 0 && clock_now() - t0 < 20.0,
          "with no worker running an empty take returns at once, not after its wait");
    /* What is left queued at the end is freed with the queue (ASan sees a leak). */
    queue_push(&q, 0, EV_MSG, PROTO_HELLO, numbered(9), NULL, 0);
    queue_destroy(&q);
}

enum { WORKERS = 4, PER_WORKER = 3000 };

struct producer {
    struct queue *q;
    int host;
};

static void *produce(void *arg)
{
    struct producer *p = arg;
    for (long i = 0; i < PER_WORKER; i++)
        queue_push(p->q, p->host, EV_MSG, PROTO_HELLO, numbered(i), NULL, 0);
    queue_push(p->q, p->host, EV_END, PROTO_HELLO, NULL, NULL, 0);
    return NULL;
}

TEST(test_sweep_queue_concurrent)
{
    /* Four workers queue at once while the writer takes: nothing is lost,
     * nothing doubled, each worker's records stay in its order, and the
     * writer learns when the last one ended. */
    struct queue q;
    queue_init(&q, WORKERS, WORKERS);
    struct producer p[WORKERS];
    pthread_t t[WORKERS];
    int started = 0;
    for (int i = 0; i < WORKERS; i++) {
        p[i] = (struct producer){&q, i};
        started += pthread_create(&t[i], NULL, produce, &p[i]) == 0;
    }
    CHECK(started == WORKERS, "the four producer threads start");
    long next[WORKERS] = {0}, ends[WORKERS] = {0}, out_of_order = 0, batches = 0;
    int running = WORKERS;
    double give_up = clock_now() + 60.0;    /* a queue that never says "all ended" */
    while (clock_now() < give_up) {
        struct event *batch = queue_take(&q, 0.05, &running);
        if (!batch && running == 0)
            break;
        batches += batch != NULL;
        for (struct event *ev = batch; ev; ev = ev->next) {
            if (ev->kind == EV_END)
                ends[ev->host]++;
            else if (seq_of(ev) != next[ev->host]++ || ends[ev->host])
                out_of_order++;
        }
        free_all(batch);
    }
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    int all = 1, one_end = 1;
    for (int i = 0; i < WORKERS; i++) {
        all &= next[i] == PER_WORKER;
        one_end &= ends[i] == 1;
    }
    CHECK(out_of_order == 0,
          "each worker's records reach the writer in the order it queued them, before its end");
    CHECK(all, "every record of every worker reaches the writer exactly once");
    CHECK(one_end, "each worker's end reaches the writer once");
    CHECK(batches >= 1 && running == 0, "the writer's loop ends once every worker has ended");
    queue_destroy(&q);
}

struct syncer {
    struct queue *q;
    int host;
    json_t *got;
    int returned;
};

static void *sync_thread(void *arg)
{
    struct syncer *s = arg;
    s->got = queue_sync(s->q, s->host);
    __atomic_store_n(&s->returned, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static struct event *take_sync(struct queue *q, struct event **before)
{
    /* Waits until the worker's request is queued; what came before it is
     * kept in *before. */
    int running;
    for (int i = 0; i < 2000; i++) {
        struct event *batch = queue_take(q, 0.01, &running);
        for (struct event *ev = batch, *next; ev; ev = next) {
            next = ev->next;
            ev->next = NULL;
            if (ev->kind == EV_SYNC) {
                free_all(next);
                return ev;
            }
            *before = ev;   /* one record is queued ahead in these tests */
        }
    }
    return NULL;
}

TEST(test_sweep_queue_sync)
{
    /* A worker asks for its host's done runs: the request comes after what it
     * queued before, and the writer's answer reaches it. */
    struct queue q;
    queue_init(&q, 1, 1);
    struct syncer s = {&q, 0, NULL, 0};
    queue_push(&q, 0, EV_MSG, PROTO_HELLO, numbered(1), NULL, 0);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, sync_thread, &s) == 0, "the syncing worker starts");
    struct event *before = NULL, *req = take_sync(&q, &before);
    CHECK(req && req->host == 0 && req->sync && before && seq_of(before) == 1,
          "a done-list request is queued after the records its worker queued first");
    clock_sleep(0.02);
    CHECK(!__atomic_load_n(&s.returned, __ATOMIC_SEQ_CST),
          "the worker waits for the writer's answer instead of returning without one");
    if (req)
        queue_answer(&q, req, json_pack("[[s, s, i, i]]", "join", "c", 1, 0));
    pthread_join(t, NULL);
    CHECK(json_array_size(s.got) == 1, "the writer's answer is what queue_sync returns");
    json_decref(s.got);
    if (req)
        event_free(req);
    if (before)
        event_free(before);

    /* A stop releases a worker waiting for an answer; the late answer is
     * dropped (and freed: ASan would see it otherwise). */
    s = (struct syncer){&q, 0, NULL, 0};
    CHECK(pthread_create(&t, NULL, sync_thread, &s) == 0, "the second syncing worker starts");
    before = NULL;
    req = take_sync(&q, &before);
    CHECK(req != NULL, "the second request reaches the writer");
    queue_stop(&q);
    pthread_join(t, NULL);
    CHECK(s.returned && s.got == NULL, "a stop releases a worker waiting for its done runs");
    CHECK(req && req->sync == NULL, "a request whose worker was released is no longer answered");
    if (req) {
        queue_answer(&q, req, json_pack("[]"));
        event_free(req);
    }
    /* After a stop no worker waits at all. */
    CHECK(queue_sync(&q, 0) == NULL, "after a stop a done-list request returns NULL at once");
    queue_destroy(&q);
}

struct slotter {
    struct queue *q;
    int rc, took;
};

static void *slot_thread(void *arg)
{
    struct slotter *s = arg;
    s->rc = queue_slot_take(s->q);
    __atomic_store_n(&s->took, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

TEST(test_sweep_queue_slots)
{
    struct queue q;
    queue_init(&q, 3, 1);
    CHECK(queue_slot_take(&q) == 0, "the first host takes the only slot");
    struct slotter s = {&q, 99, 0};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, slot_thread, &s) == 0, "the second host's thread starts");
    clock_sleep(0.02);
    CHECK(!__atomic_load_n(&s.took, __ATOMIC_SEQ_CST),
          "a second host waits while the only slot is taken");
    queue_slot_give(&q);
    pthread_join(t, NULL);
    CHECK(s.took && s.rc == 0, "a slot given back goes to the host waiting for one");

    /* A stop: a waiting host is told so, and nobody takes a slot after it. */
    s = (struct slotter){&q, 99, 0};
    CHECK(pthread_create(&t, NULL, slot_thread, &s) == 0, "the third host's thread starts");
    CHECK(!queue_stopped(&q), "a queue is not stopped before queue_stop");
    queue_stop(&q);
    pthread_join(t, NULL);
    CHECK(s.rc == -1, "a stop releases a host waiting for a slot, with -1");
    CHECK(queue_stopped(&q), "every worker can see the stop");
    queue_slot_give(&q);
    CHECK(queue_slot_take(&q) == -1, "after a stop no slot is taken, even a free one");

    /* Workers that never started count as ended for the writer. */
    int running = -1;
    queue_worker_gone(&q);
    queue_worker_gone(&q);
    queue_worker_gone(&q);
    double t0 = clock_now();
    CHECK(queue_take(&q, 30.0, &running) == NULL && running == 0 && clock_now() - t0 < 20.0,
          "workers that never started leave none running, so the writer does not wait");
    queue_destroy(&q);
}

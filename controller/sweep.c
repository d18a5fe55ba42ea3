/* The sweep loop: one worker thread per host (sweep-host.c) reads its
 * agent's records and queues them (sweep-queue.c); this thread alone owns
 * the store, writes them in batched transactions (sweep-writer.c) and
 * draws progress (sweep-progress.c). */
#include "sweep.h"
#include "admit.h"
#include "cfg.h"
#include "sweep-host.h"
#include "sweep-queue.h"
#include "sweep-writer.h"
#include "../common/clock.h"
#include "../common/err.h"
#include "../common/xmalloc.h"
#include "../store/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PARALLEL_HOSTS 16

/* Stores everything the workers queue until all of them have ended. -1 on
 * a store error: the workers are told to stop, and what they still queue
 * is dropped, so they all end. */
static int write_all(struct writer *w, struct queue *q, struct err *e)
{
    double last_draw = 0;
    int failed = 0;
    for (;;) {
        int running;
        struct event *batch = queue_take(q, 0.25, &running);
        for (struct event *ev = batch, *next; ev; ev = next) {
            next = ev->next;
            if (!failed && writer_event(w, ev, e) < 0) {
                failed = 1;     /* a store error: stop, what is committed stays */
                queue_stop(q);
            }
            if (ev->kind == EV_SYNC)
                queue_answer(q, ev, NULL);  /* a worker waiting is told to stop */
            event_free(ev);
        }
        int idle = !batch;
        if (!failed) {
            /* Commit in batches: by count or age, never per record, since a
             * commit is an fsync. */
            if (writer_commit(w, idle && running == 0, e) < 0) {
                failed = 1;
                queue_stop(q);
            } else if (clock_now() - last_draw > (w->progress.tty ? 0.2 : 1.0) ||
                       (idle && running == 0)) {
                progress_draw(&w->progress, 0);
                last_draw = clock_now();
            }
        }
        if (idle && running == 0)
            return failed ? -1 : 0;
    }
}

const char *sweep_execute(struct store *st, int64_t sweep_id, const char *uuid, json_t *plan,
                          const struct cfg *cfg, int resume, struct err *e)
{
    int n = cfg->nhosts;
    struct queue q;
    queue_init(&q, n, MAX_PARALLEL_HOSTS);
    struct admit_plan admit;
    admit_init(&admit, plan);
    struct writer w = {.st = st, .sweep = sweep_id, .q = &q, .admit = &admit,
                       .progress = {.nhosts = n, .tty = isatty(2)}};
    struct host_state *hosts = xcalloc((size_t)n, sizeof *hosts);
    w.progress.hosts = hosts;
    struct worker *workers = xcalloc((size_t)n, sizeof *workers);
    pthread_t *tids = xcalloc((size_t)n, sizeof *tids);
    const char *result = NULL;
    int started = 0;

    for (int i = 0; i < n; i++) {
        struct host_state *h = &hosts[i];
        h->cfg = &cfg->hosts[i];
        h->snapshot = -1;
        h->cores = -1;
        snprintf(h->status, sizeof h->status, "pending");
        h->id = store_host(st, h->cfg->name, h->cfg->transport, h->cfg->address, e);
        if (h->id < 0 || store_sweep_host(st, sweep_id, h->id, "pending", -1, NULL, e) < 0)
            goto out;
        workers[i] = (struct worker){.q = &q, .index = i, .h = h->cfg, .cfg = cfg, .uuid = uuid,
                                     .resume = resume,
                                     .plan = sweep_host_plan(plan, h->cfg->name,
                                                             h->cfg->python)};
    }
    struct err spawn_err = {0};
    for (; started < n; started++) {
        int rc = pthread_create(&tids[started], NULL, sweep_host_main, &workers[started]);
        if (rc != 0) {
            err_set(&spawn_err, 1, "cannot start a thread for host %s: %s",
                    cfg->hosts[started].name, strerror(rc));
            break;
        }
    }
    if (started < n) {
        for (int i = started; i < n; i++)
            queue_worker_gone(&q);
        queue_stop(&q);
    }
    int wrote = write_all(&w, &q, e);
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    if (wrote < 0)
        goto out;
    if (started < n) {
        *e = spawn_err;
        goto out;
    }
    if (writer_commit(&w, 1, e) < 0)
        goto out;
    int failed = 0;
    for (int i = 0; i < n; i++)
        failed += strcmp(hosts[i].status, "done") != 0;
    result = failed == 0 ? "complete" : failed == n ? "failed" : "partial";
    if (store_sweep_finish(st, sweep_id, result, e) < 0)
        result = NULL;
out:
    for (int i = 0; i < n; i++) {
        json_decref(workers[i].plan);
        free(hosts[i].error);
    }
    queue_destroy(&q);
    admit_free(&admit);
    free(workers);
    free(tids);
    free(hosts);
    return result;
}

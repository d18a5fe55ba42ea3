#include "sweep-queue.h"
#include "../common/clock.h"
#include "../common/xmalloc.h"

#include <stdlib.h>

void queue_init(struct queue *q, int workers, int slots)
{
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->cond, NULL);
    pthread_cond_init(&q->reply, NULL);
    q->head = q->tail = NULL;
    q->running = workers;
    q->slots = slots;
    q->stop = 0;
}

void queue_destroy(struct queue *q)
{
    struct event *ev = q->head;
    while (ev) {
        struct event *next = ev->next;
        event_free(ev);
        ev = next;
    }
    q->head = q->tail = NULL;
    pthread_cond_destroy(&q->reply);
    pthread_cond_destroy(&q->cond);
    pthread_mutex_destroy(&q->lock);
}

static void append(struct queue *q, struct event *ev)
{
    pthread_mutex_lock(&q->lock);
    int was_empty = q->head == NULL;
    if (q->tail)
        q->tail->next = ev;
    else
        q->head = ev;
    q->tail = ev;
    if (ev->kind == EV_END)
        q->running--;
    /* The writer takes the whole list at once: wake it only when it may
     * be waiting. */
    if (was_empty || ev->kind == EV_END || ev->kind == EV_SYNC)
        pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->lock);
}

void queue_push(struct queue *q, int host, enum ev_kind kind, enum proto_type type, json_t *msg,
                char *error, int replay)
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
    append(q, ev);
}

struct event *queue_take(struct queue *q, double wait_s, int *running)
{
    pthread_mutex_lock(&q->lock);
    if (!q->head && q->running > 0) {
        struct timespec ts = clock_deadline(wait_s);
        pthread_cond_timedwait(&q->cond, &q->lock, &ts);
    }
    struct event *batch = q->head;
    q->head = q->tail = NULL;
    *running = q->running;
    pthread_mutex_unlock(&q->lock);
    return batch;
}

void event_free(struct event *ev)
{
    json_decref(ev->msg);
    proto_run_free(ev->run);
    free(ev->error);
    free(ev);       /* ev->sync is the waiting worker's */
}

json_t *queue_sync(struct queue *q, int host)
{
    struct sync_reply r = {NULL, 0};
    struct event *ev = xcalloc(1, sizeof *ev);
    ev->host = host;
    ev->kind = EV_SYNC;
    ev->sync = &r;
    append(q, ev);
    pthread_mutex_lock(&q->lock);
    while (!r.ready && !q->stop)
        pthread_cond_wait(&q->reply, &q->lock);
    json_t *done = r.ready ? r.done : NULL;
    if (!r.ready)
        ev->sync = NULL;    /* still queued: nobody answers it now */
    pthread_mutex_unlock(&q->lock);
    return done;
}

void queue_answer(struct queue *q, struct event *ev, json_t *done)
{
    pthread_mutex_lock(&q->lock);
    if (ev->sync && !q->stop) {
        ev->sync->done = done;
        ev->sync->ready = 1;
        done = NULL;
    }
    ev->sync = NULL;
    pthread_cond_broadcast(&q->reply);
    pthread_mutex_unlock(&q->lock);
    json_decref(done);
}

int queue_slot_take(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    while (q->slots == 0 && !q->stop)
        pthread_cond_wait(&q->reply, &q->lock);
    int ok = !q->stop;
    if (ok)
        q->slots--;
    pthread_mutex_unlock(&q->lock);
    return ok ? 0 : -1;
}

void queue_slot_give(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->slots++;
    pthread_cond_broadcast(&q->reply);
    pthread_mutex_unlock(&q->lock);
}

void queue_worker_gone(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->running--;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->lock);
}

void queue_stop(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->stop = 1;
    pthread_cond_broadcast(&q->reply);
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->lock);
}

int queue_stopped(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    int s = q->stop;
    pthread_mutex_unlock(&q->lock);
    return s;
}

#ifndef HP_SWEEP_QUEUE_H
#define HP_SWEEP_QUEUE_H
/* Between a sweep's host workers and its writer: events in order, taken by
 * the writer a whole list at a time; a bounded number of hosts at once;
 * a stop that every worker sees. */
#include <jansson.h>
#include <pthread.h>
#include "proto.h"

enum ev_kind {
    EV_MSG,         /* a record */
    EV_FAIL,        /* the host failed: error says why */
    EV_LOST,        /* the host was lost: error says why */
    EV_SYNC,        /* a worker waits for the host's done runs (queue_sync) */
    EV_END,         /* the worker ended */
};

struct sync_reply {
    json_t *done;
    int ready;
};

struct event {
    struct event *next;
    int host;
    enum ev_kind kind;
    enum proto_type type;
    json_t *msg;                /* NULL for a run: see run */
    struct proto_run *run;      /* a run record, converted by the worker */
    char *error;
    int replay;                 /* a journal record re-read by a resume */
    struct sync_reply *sync;    /* EV_SYNC: where the writer answers */
};

struct queue {
    pthread_mutex_t lock;
    pthread_cond_t cond;        /* the writer waits on it */
    pthread_cond_t reply;       /* workers wait on it: slots, sync answers */
    struct event *head, *tail;
    int running;                /* workers not yet ended */
    int slots;                  /* hosts allowed to run at once */
    int stop;
};

void queue_init(struct queue *q, int workers, int slots);
void queue_destroy(struct queue *q);
/* Takes msg and error. */
void queue_push(struct queue *q, int host, enum ev_kind kind, enum proto_type type, json_t *msg,
                char *error, int replay);
/* Everything queued, waiting up to wait_s for something; *running is the
 * count of workers not yet ended. */
struct event *queue_take(struct queue *q, double wait_s, int *running);
void event_free(struct event *ev);

/* The host's done runs as the writer has stored them, everything queued
 * before included; NULL when the sweep stops. */
json_t *queue_sync(struct queue *q, int host);
void queue_answer(struct queue *q, struct event *ev, json_t *done);

/* A place among the hosts that run at once: -1 when the sweep stops. */
int queue_slot_take(struct queue *q);
void queue_slot_give(struct queue *q);
/* A worker that never started (its thread could not be created). */
void queue_worker_gone(struct queue *q);

void queue_stop(struct queue *q);
int queue_stopped(struct queue *q);

#endif

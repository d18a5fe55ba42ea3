#ifndef HP_SWEEP_WRITER_H
#define HP_SWEEP_WRITER_H
/* A sweep's writer: the one thread that owns the store. It stores what the
 * workers queue, in transactions batched by count and age (a commit is an
 * fsync), and keeps each host's state for the progress display. */
#include <stdint.h>
#include "sweep-progress.h"

struct err;
struct event;
struct queue;
struct store;

struct admit_plan;

struct writer {
    struct store *st;
    const struct admit_plan *admit;     /* what a run record must match to be stored */
    int64_t sweep;
    struct queue *q;
    struct progress progress;
    int in_tx;
    double tx_started;
    long tx_events;
};

/* Stores one event (records, failures, done-list requests). -1 with e
 * filled on a store error: the sweep stops there, what is committed stays. */
int writer_event(struct writer *w, struct event *ev, struct err *e);
/* Commits when the open transaction is old or large enough, or with force. */
int writer_commit(struct writer *w, int force, struct err *e);

#endif

#include "sweep-writer.h"
#include "admit.h"
#include "cfg.h"
#include "proto.h"
#include "record.h"
#include "sweep-queue.h"
#include "../common/clock.h"
#include "../common/err.h"
#include "../common/xmalloc.h"
#include "../store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_EVENTS 2000
#define BATCH_SECONDS 0.25

static int tx_begin(struct writer *w, struct err *e)
{
    if (w->in_tx)
        return 0;
    if (store_begin(w->st, e) < 0)
        return -1;
    w->in_tx = 1;
    w->tx_started = clock_now();
    w->tx_events = 0;
    return 0;
}

int writer_commit(struct writer *w, int force, struct err *e)
{
    if (!w->in_tx)
        return 0;
    if (!force && w->tx_events < BATCH_EVENTS && clock_now() - w->tx_started <= BATCH_SECONDS)
        return 0;
    w->in_tx = 0;
    return store_commit(w->st, e);
}

/* status is "failed" or "lost". */
static int host_fail(struct writer *w, struct host_state *h, const char *status, const char *why,
                     struct err *e)
{
    snprintf(h->status, sizeof h->status, "%s", status);
    if (h->error != why) {
        free(h->error);
        h->error = xstrdup(why);
    }
    h->current[0] = '\0';
    int rc = store_sweep_host(w->st, w->sweep, h->id, status, -1, why, e);
    progress_clear(&w->progress);
    error("host %s: %s", h->cfg->name, why);
    return rc;
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
    case PROTO_PROBE: {
        json_t *lc = json_object_get(json_object_get(m, "probe"), "logical_cores");
        h->cores = json_is_integer(lc) ? (long)json_integer_value(lc) : -1;
        h->snapshot = record_snapshot(w->st, w->sweep, h->id, m, e);
    }
        return h->snapshot < 0 ? -1 : 0;
    case PROTO_DATA:
        if (!replay) {
            h->planned = (long)json_integer_value(json_object_get(m, "planned"));
            h->todo = (long)json_integer_value(json_object_get(m, "todo"));
            h->started = clock_now();
            if (store_sweep_host(w->st, w->sweep, h->id, "running", h->planned, NULL, e) < 0)
                return -1;
        }
        return record_dataset(w->st, w->sweep, h->id, m, e);
    case PROTO_RUN: {
        int added;
        char why[256];
        if (w->admit && admit_run(w->admit, run, h->cores, why, sizeof why) < 0) {
            h->refused++;
            warning("host %s: %s record refused: %s", h->cfg->name,
                    replay ? "journal" : "run", why);
            return 0;
        }
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
        /* The agent's own words are the host's error, should it fail. */
        if (!replay && type == PROTO_ERROR && !h->error)
            h->error = xstrdup(json_string_value(json_object_get(m, "message")));
        if (!replay)
            warning("host %s: %s", h->cfg->name,
                    json_string_value(json_object_get(m, type == PROTO_ERROR ? "message"
                                                                              : "error")));
        return 0;
    case PROTO_DONE:
        if (replay)
            return 0;
        if (!json_is_true(json_object_get(m, "ok")))
            return host_fail(w, h, "failed", h->error ? h->error : "the agent gave up", e);
        snprintf(h->status, sizeof h->status, "done");
        h->current[0] = '\0';
        return store_sweep_host(w->st, w->sweep, h->id, "done", -1, NULL, e);
    }
    return 0;
}

int writer_event(struct writer *w, struct event *ev, struct err *e)
{
    struct host_state *h = &w->progress.hosts[ev->host];
    switch (ev->kind) {
    case EV_MSG:
        if (tx_begin(w, e) < 0)
            return -1;
        w->tx_events++;
        if (handle(w, h, ev->type, ev->msg, ev->run, ev->replay, e) < 0)
            return -1;
        return writer_commit(w, 0, e);
    case EV_FAIL:
    case EV_LOST:
        /* A host already failed by its agent's done record keeps the
         * agent's reason, not the exit status that followed it. */
        if (ev->kind == EV_FAIL && !strcmp(h->status, "failed"))
            return 0;
        if (tx_begin(w, e) < 0)
            return -1;
        return host_fail(w, h, ev->kind == EV_LOST ? "lost" : "failed", ev->error, e);
    case EV_SYNC:
        /* Within the open transaction the store reads what it holds. */
        queue_answer(w->q, ev, store_done_runs(w->st, w->sweep, h->id));
        return 0;
    case EV_END:
        return 0;
    }
    return 0;
}

#include "sweep-host.h"
#include "cfg.h"
#include "pyenv.h"
#include "sweep.h"
#include "sweep-queue.h"
#include "transport.h"
#include "../common/clock.h"
#include "../common/err.h"
#include "../common/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How often an agent that was already running a resumed sweep may stop
 * early (its controller died) before this host is given up. */
#define MAX_TAKEOVERS 3

static int on_record(void *ctx, enum proto_type t, json_t *m)
{
    struct worker *w = ctx;
    if (queue_stopped(w->q)) {
        json_decref(m);
        return -1;
    }
    queue_push(w->q, w->index, EV_MSG, t, m, NULL, w->replaying);
    return 0;
}

/* What the host journaled while nobody was listening (resume). */
static void replay(struct worker *w, struct host_link *l)
{
    char *args[] = {"tail", "--sweep", (char *)w->uuid, "--from", "0", NULL};
    struct err e = {0};
    if (transport_exec(l, args, NULL, &e) < 0) {
        warning("host %s: journal not replayed: %s", w->h->name, e.msg);
        return;
    }
    w->replaying = 1;
    enum transport_end end = transport_records(l, 1, NULL, on_record, w, &e);
    w->replaying = 0;
    int status;
    char tail[256];
    if (end != TRANSPORT_SILENT)
        transport_finish(l, &status, tail, sizeof tail);
    if (end < 0 && end != TRANSPORT_STOPPED)
        warning("host %s: journal not replayed: %s", w->h->name, e.msg);
    debug("host %s: replayed %ld journal lines", w->h->name, l->lineno);
}

/* A broken stream followed again, with backoff, until nothing has been
 * heard from the host for lost_after_s. 0 following again, -1 lost. */
static int reconnect(struct worker *w, struct host_link *l, long next, int *lost, struct err *e)
{
    const struct host_cfg *h = w->h;
    warning("%s: %s; reconnecting", h->name, e->msg);
    double last_ok = clock_now(), wait = 0.5;
    char why[sizeof e->msg] = "";
    for (;;) {
        if (clock_now() - last_ok > h->lost_after_s) {
            *lost = 1;
            return err_set(e, 1, "%s: lost: no connection for %.0f s (%s)", h->name,
                           h->lost_after_s, why[0] ? why : "unreachable");
        }
        if (queue_stopped(w->q))
            return err_set(e, 1, "%s: the sweep stopped", h->name);
        clock_sleep(wait);
        wait = wait * 2 > 8 ? 8 : wait * 2;
        e->msg[0] = '\0';
        if (transport_follow(l, w->uuid, next, e) == 0) {
            info("%s: reconnected, following from record %ld", h->name, next);
            return 0;
        }
        snprintf(why, sizeof why, "%s", e->msg);
    }
}

/* 0 when the host's run finished (its done record came); 1 when the agent
 * it followed (one already running the sweep) stopped early; -1 with e
 * filled when the host failed, *lost when it was lost. */
static int follow(struct worker *w, struct host_link *l, long next, int started, int *lost,
                  struct err *e)
{
    int status;
    char tail[512];
    for (;;) {
        enum transport_end end = transport_records(l, 0, &next, on_record, w, e);
        switch (end) {
        case TRANSPORT_DONE:
            transport_finish(l, &status, tail, sizeof tail);
            if (status > 0)
                return err_set(e, 1, "agent exited with status %d%s%s", status,
                               tail[0] ? ": " : "", tail);
            return 0;
        case TRANSPORT_ENDED:
            transport_finish(l, &status, tail, sizeof tail);
            if (!started)
                return 1;
            return err_set(e, 1, "the agent stopped before finishing (status %d)%s%s", status,
                           tail[0] ? ": " : "", tail);
        case TRANSPORT_STOPPED:
            transport_finish(l, &status, tail, sizeof tail);
            return 0;
        case TRANSPORT_BAD:
            transport_finish(l, &status, tail, sizeof tail);
            return -1;      /* protocol error: fail, keep what came before */
        case TRANSPORT_SILENT:
            *lost = 1;      /* silent for lost_after_s */
            return -1;
        case TRANSPORT_BROKEN:
            if (!transport_can_follow(l)) {
                transport_finish(l, &status, tail, sizeof tail);
                return -1;
            }
            if (reconnect(w, l, next, lost, e) < 0)
                return -1;
            break;
        }
    }
}

static int run_host(struct worker *w, struct host_link *l, int *lost, struct err *e)
{
    if (transport_open(l, w->h, w->cfg, e) < 0 || transport_ensure_bundle(l, e) < 0)
        return -1;
    /* Before the first run: the Python environment the plan's engines need. */
    struct pyenv_io io;
    pyenv_link_io(l, &io);
    pyenv_plan(w->h, &io, w->plan);
    if (w->resume)
        replay(w, l);
    for (int attempt = 0;; attempt++) {
        /* Asked after the replay, so nothing journaled is run again. */
        json_t *done = queue_sync(w->q, w->index);
        if (!done)
            return 0;       /* the sweep stopped */
        char *plan = sweep_plan_text(w->plan, done);
        long next = 0;
        int started = 1;
        int rc = transport_start_agent(l, w->uuid, plan, &next, &started, e);
        free(plan);
        if (rc < 0)
            return -1;
        if (!started)
            info("%s: sweep %.8s is already running there: following it", w->h->name, w->uuid);
        rc = follow(w, l, next, started, lost, e);
        if (rc <= 0)
            return rc;
        if (attempt + 1 >= MAX_TAKEOVERS)
            return err_set(e, 1, "the agent that was running the sweep stopped %d times",
                           MAX_TAKEOVERS);
        info("%s: the agent that was running the sweep stopped; starting one", w->h->name);
    }
}

void *sweep_host_main(void *arg)
{
    struct worker *w = arg;
    struct queue *q = w->q;
    if (queue_slot_take(q) == 0) {
        struct err e = {0};
        struct host_link l;
        memset(&l, 0, sizeof l);
        int lost = 0;
        if (run_host(w, &l, &lost, &e) < 0 && !queue_stopped(q))
            queue_push(q, w->index, lost ? EV_LOST : EV_FAIL, 0, NULL, xstrdup(e.msg), 0);
        transport_close(&l);
        queue_slot_give(q);
    }
    queue_push(q, w->index, EV_END, 0, NULL, NULL, 0);
    return NULL;
}

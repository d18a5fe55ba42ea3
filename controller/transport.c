/* The transports' table, and what every transport shares above it: the
 * line splitter, the record loop, one agent command run to its end. */
#include "transport.h"
#include "../common/err.h"
#include "../common/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct transport *const transports[] = {
    &transport_local,
    &transport_ssh,
};
#define NTRANSPORTS (sizeof transports / sizeof transports[0])

const struct transport *transport_by_name(const char *name)
{
    for (size_t i = 0; name && i < NTRANSPORTS; i++)
        if (!strcmp(transports[i]->name, name))
            return transports[i];
    return NULL;
}

const char *transport_names(void)
{
    static char names[256];
    if (!names[0]) {
        size_t k = 0;
        for (size_t i = 0; i < NTRANSPORTS && k < sizeof names; i++)
            k += (size_t)snprintf(names + k, sizeof names - k, "%s\"%s\"",
                                  i == 0 ? "" : i + 1 == NTRANSPORTS ? " or " : ", ",
                                  transports[i]->name);
    }
    return names;
}

static void stream_reset(struct host_link *l)
{
    l->rlen = l->rpos = 0;
    l->eof = 0;
    l->lineno = 0;
}

int transport_open(struct host_link *l, const struct host_cfg *h, const struct cfg *c,
                   struct err *e)
{
    memset(l, 0, sizeof *l);
    l->h = h;
    l->t = transport_by_name(h->transport);
    if (!l->t)
        return err_set(e, 1, "%s: no transport named '%s'", h->name, h->transport);
    return l->t->connect(h, c, &l->c, e);
}

int transport_ensure_bundle(struct host_link *l, struct err *e)
{
    return l->t->ensure_bundle ? l->t->ensure_bundle(l->c, e) : 0;
}

int transport_exec(struct host_link *l, char *const *args, const char *in, struct err *e)
{
    stream_reset(l);
    return l->t->exec(l->c, args, in, e);
}

int transport_start_agent(struct host_link *l, const char *uuid, const char *plan, long *from,
                          int *started, struct err *e)
{
    stream_reset(l);
    return l->t->start_agent(l->c, uuid, plan, from, started, e);
}

int transport_can_follow(const struct host_link *l)
{
    return l->t->follow != NULL;
}

int transport_follow(struct host_link *l, const char *uuid, long from, struct err *e)
{
    stream_reset(l);
    if (!l->t->follow)
        return err_set(e, 1, "%s: transport %s cannot follow a sweep", l->h->name, l->t->name);
    return l->t->follow(l->c, uuid, from, e);
}

int transport_finish(struct host_link *l, int *status, char *err_tail, size_t n)
{
    return l->t->finish(l->c, status, err_tail, n);
}

void transport_close(struct host_link *l)
{
    if (l->t && l->c)
        l->t->close(l->c);
    l->c = NULL;
}

int transport_line(struct host_link *l, struct buf *line, struct err *e)
{
    buf_reset(line);
    for (;;) {
        if (l->rpos < l->rlen) {
            char *start = l->rbuf + l->rpos;
            char *nl = memchr(start, '\n', l->rlen - l->rpos);
            size_t n = nl ? (size_t)(nl - start) : l->rlen - l->rpos;
            if (line->len + n > PROTO_MAX_LINE || buf_add(line, start, n) < 0)
                return err_set(e, 1, "line over %d bytes", PROTO_MAX_LINE);
            l->rpos += n + (nl ? 1 : 0);
            if (nl) {
                l->lineno++;
                return 1;
            }
        }
        if (l->eof) {
            if (line->len)
                l->lineno++;
            return line->len ? 1 : 0;
        }
        long n = l->t->read(l->c, l->rbuf, sizeof l->rbuf, e);
        if (n < 0)
            return (int)n;
        if (n == 0)
            l->eof = 1;
        l->rlen = (size_t)n;
        l->rpos = 0;
    }
}

enum transport_end transport_records(struct host_link *l, int replay, long *next_seq,
                                     transport_record_fn fn, void *ctx, struct err *e)
{
    struct buf line;
    buf_init(&line, PROTO_MAX_LINE + 1);
    enum transport_end end = TRANSPORT_ENDED;
    int r;
    while ((r = transport_line(l, &line, e)) == 1) {
        enum proto_type t;
        json_t *m;
        char why[256];
        if (proto_parse(line.data, line.len, &t, &m, why, sizeof why) < 0) {
            if (replay) {
                warning("host %s: journal line %ld skipped: %s", l->h->name, l->lineno, why);
                continue;
            }
            err_set(e, 1, "protocol error on agent output line %ld: %s", l->lineno, why);
            end = TRANSPORT_BAD;
            break;
        }
        json_t *seq = json_object_get(m, "seq");
        if (json_is_integer(seq) && next_seq)
            *next_seq = (long)json_integer_value(seq) + 1;
        if (fn(ctx, t, m) != 0) {
            end = TRANSPORT_STOPPED;
            break;
        }
        if (t == PROTO_DONE && !replay) {
            end = TRANSPORT_DONE;
            break;
        }
    }
    if (r < 0 && end == TRANSPORT_ENDED) {
        if (r == TRANSPORT_LOST) {
            end = TRANSPORT_SILENT;
        } else if (!strncmp(e->msg, "line over", 9)) {
            char msg[sizeof e->msg];
            snprintf(msg, sizeof msg, "%s", e->msg);
            err_set(e, 1, "protocol error on agent output line %ld: %s", l->lineno + 1, msg);
            end = TRANSPORT_BAD;
        } else {
            end = TRANSPORT_BROKEN;
        }
    }
    buf_free(&line);
    return end;
}

int transport_run(struct host_link *l, char *const *args, size_t out_cap, char **out,
                  struct err *e)
{
    *out = NULL;
    if (transport_exec(l, args, NULL, e) < 0)
        return -1;
    struct buf b;
    buf_init(&b, out_cap);
    long n;
    int over = 0, rc = -1;
    while ((n = l->t->read(l->c, l->rbuf, sizeof l->rbuf, e)) > 0)
        if (!over && buf_add(&b, l->rbuf, (size_t)n) < 0)
            over = 1;
    int status;
    char tail[512];
    transport_finish(l, &status, tail, sizeof tail);
    if (n < 0) {
        /* e already says what broke */
    } else if (over) {
        err_set(e, 1, "%s: the agent's output is over %zu bytes", l->h->name, out_cap);
    } else if (status != 0) {
        err_set(e, 1, "%s: agent exited with status %d%s%s", l->h->name, status,
                tail[0] ? ": " : "", tail);
    } else {
        *out = buf_detach(&b);
        if (!*out)
            *out = xstrdup("");
        rc = 0;
    }
    buf_free(&b);
    return rc;
}

int transport_agent_output(const struct host_cfg *h, const struct cfg *c, char *const *args,
                           size_t out_cap, char **out, struct err *e)
{
    struct host_link l;
    int rc = -1;
    *out = NULL;
    if (transport_open(&l, h, c, e) == 0 && transport_ensure_bundle(&l, e) == 0)
        rc = transport_run(&l, args, out_cap, out, e);
    transport_close(&l);
    return rc;
}

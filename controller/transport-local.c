/* Transport "local": the agent is a child process of the controller. */
#include "transport.h"
#include "hotpath.h"
#include "proto.h"
#include "../common/err.h"
#include "../common/proc.h"
#include "../common/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct conn {
    pid_t pid;
    int out;            /* agent stdout */
    FILE *err;          /* agent stderr, spooled to an unlinked file */
    char rbuf[65536];
    size_t rlen, rpos;
    int eof;
};

static int local_start(const struct host_cfg *h, char *const *args, const char *in,
                       struct conn **out, struct err *e)
{
    /* HOTPATH_AGENT replaces the agent program (tests use it to play a
     * misbehaving agent). */
    const char *agent = getenv("HOTPATH_AGENT");
    char *path = agent && *agent ? xstrdup(agent) : xasprintf("%s/bin/hotpath-agent", hp_root());
    char *home = h->workdir ? xasprintf("HOTPATH_HOME=%s", h->workdir) : NULL;
    char *env[] = {home, NULL};
    int nargs = 0;
    while (args[nargs])
        nargs++;
    char **argv = xcalloc((size_t)nargs + 2, sizeof *argv);
    argv[0] = path;
    for (int i = 0; i < nargs; i++)
        argv[i + 1] = args[i];
    int rc = -1;
    struct proc_child pc;
    struct err why = {0};
    FILE *errf = tmpfile();
    if (!errf || fcntl(fileno(errf), F_SETFD, FD_CLOEXEC) < 0) {
        err_set(e, 1, "%s: cannot create a file for the agent's errors: %s", h->name,
                strerror(errno));
        goto out;
    }
    struct proc_spawn_opts o = {.argv = argv, .env = env, .in = PROC_PIPE, .out = PROC_PIPE,
                                .err = fileno(errf)};
    if (proc_spawn(&o, &pc, NULL, &why) < 0) {
        err_set(e, 1, "%s: %s", h->name, why.msg);
        goto out;
    }
    /* The agent stopped reading: finish() tells why. */
    if (in)
        proc_write_all(pc.in, in, strlen(in));
    close(pc.in);
    struct conn *c = xcalloc(1, sizeof *c);
    c->pid = pc.pid;
    c->out = pc.out;
    c->err = errf;
    errf = NULL;
    *out = c;
    rc = 0;
out:
    if (errf)
        fclose(errf);
    free(argv);
    free(path);
    free(home);
    return rc;
}

static int local_read_line(struct conn *c, struct buf *line, struct err *e)
{
    buf_reset(line);
    for (;;) {
        if (c->rpos < c->rlen) {
            char *start = c->rbuf + c->rpos;
            char *nl = memchr(start, '\n', c->rlen - c->rpos);
            size_t n = nl ? (size_t)(nl - start) : c->rlen - c->rpos;
            if (line->len + n > PROTO_MAX_LINE)
                return err_set(e, 1, "line over %d bytes", PROTO_MAX_LINE);
            buf_add(line, start, n);
            c->rpos += n + (nl ? 1 : 0);
            if (nl)
                return 1;
        }
        if (c->eof)
            return line->len ? 1 : 0;
        ssize_t n = read(c->out, c->rbuf, sizeof c->rbuf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return err_set(e, 1, "read: %s", strerror(errno));
        if (n == 0)
            c->eof = 1;
        c->rlen = (size_t)n;
        c->rpos = 0;
    }
}

static int local_finish(struct conn *c, int *status, char *tail, size_t n)
{
    close(c->out);
    int st = 0;
    proc_wait(c->pid, &st);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    tail[0] = '\0';
    long size = ftell(c->err);
    if (size > 0) {
        long from = size > (long)n - 1 ? size - (long)n + 1 : 0;
        fseek(c->err, from, SEEK_SET);
        size_t got = fread(tail, 1, n - 1, c->err);
        tail[got] = '\0';
        while (got && tail[got - 1] == '\n')
            tail[--got] = '\0';
    }
    fclose(c->err);
    free(c);
    return 0;
}

const struct transport transport_local = {"local", local_start, local_read_line, local_finish};

const struct transport *transport_for(const struct host_cfg *h, struct err *e)
{
    if (!strcmp(h->transport, "local"))
        return &transport_local;
    err_set(e, 1, "%s: transport '%s' has no local agent process", h->name, h->transport);
    return NULL;
}

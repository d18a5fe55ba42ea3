/* Transport "local": the agent is a child process of the controller, its
 * plan on stdin, its records on stdout, its stderr spooled to a file. */
#include "transport.h"
#include "hotpath.h"
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

struct local_conn {
    const struct host_cfg *h;
    pid_t pid;          /* the stream's agent, or -1 */
    int out;            /* its stdout */
    FILE *err;          /* its stderr, spooled to an unlinked file */
    char peek[4096];    /* what start_agent read of the stream to look at it */
    size_t peek_len, peek_pos;
};

static int local_connect(const struct host_cfg *h, const struct cfg *cf, struct tconn **out,
                         struct err *e)
{
    (void)cf;
    (void)e;
    struct local_conn *c = xcalloc(1, sizeof *c);
    c->h = h;
    c->pid = -1;
    c->out = -1;
    *out = (struct tconn *)c;
    return 0;
}

static int local_exec(struct tconn *tc, char *const *args, const char *in, struct err *e)
{
    struct local_conn *c = (struct local_conn *)tc;
    const struct host_cfg *h = c->h;
    if (c->pid > 0)
        return err_set(e, 1, "%s: a command is still running", h->name);
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
    struct proc_spawn_opts o = {.argv = argv, .env = env, .in = in ? PROC_PIPE : PROC_NULL,
                                .out = PROC_PIPE, .err = fileno(errf)};
    if (proc_spawn(&o, &pc, NULL, &why) < 0) {
        err_set(e, 1, "%s: %s", h->name, why.msg);
        goto out;
    }
    /* An agent that stopped reading: finish() tells why. */
    if (in) {
        proc_write_all(pc.in, in, strlen(in));
        close(pc.in);
    }
    c->pid = pc.pid;
    c->out = pc.out;
    c->err = errf;
    c->peek_len = c->peek_pos = 0;
    errf = NULL;
    rc = 0;
out:
    if (errf)
        fclose(errf);
    free(argv);
    free(path);
    free(home);
    return rc;
}

static long raw_read(struct local_conn *c, char *buf, size_t n, struct err *e)
{
    for (;;) {
        ssize_t r = read(c->out, buf, n);
        if (r >= 0)
            return (long)r;
        if (errno != EINTR)
            return err_set(e, 1, "%s: reading the agent: %s", c->h->name, strerror(errno));
    }
}

static long local_read(struct tconn *tc, char *buf, size_t n, struct err *e)
{
    struct local_conn *c = (struct local_conn *)tc;
    if (c->peek_pos < c->peek_len) {
        size_t k = c->peek_len - c->peek_pos < n ? c->peek_len - c->peek_pos : n;
        memcpy(buf, c->peek + c->peek_pos, k);
        c->peek_pos += k;
        return (long)k;
    }
    return raw_read(c, buf, n, e);
}

static int local_finish(struct tconn *tc, int *status, char *tail, size_t n)
{
    struct local_conn *c = (struct local_conn *)tc;
    *status = -1;
    tail[0] = '\0';
    if (c->pid < 0)
        return 0;
    close(c->out);
    c->out = -1;
    int st = 0;
    proc_wait(c->pid, &st);
    c->pid = -1;
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
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
    c->err = NULL;
    return 0;
}

static int local_follow(struct tconn *tc, const char *uuid, long from, struct err *e)
{
    int st;
    char tail[8];
    local_finish(tc, &st, tail, sizeof tail);
    char fbuf[32];
    snprintf(fbuf, sizeof fbuf, "%ld", from);
    char *args[] = {"tail", "--sweep", (char *)uuid, "--from", fbuf, "--follow", NULL};
    return local_exec(tc, args, NULL, e);
}

/* The agent answers {"started": false, "from": N} instead of running when
 * another agent runs that sweep here: then its records are followed. */
static int local_start_agent(struct tconn *tc, const char *uuid, const char *plan, long *from,
                             int *started, struct err *e)
{
    struct local_conn *c = (struct local_conn *)tc;
    char *args[] = {"run", NULL};
    if (local_exec(tc, args, plan, e) < 0)
        return -1;
    *from = 0;
    *started = 1;
    while (c->peek_len < sizeof c->peek && !memchr(c->peek, '\n', c->peek_len)) {
        long n = raw_read(c, c->peek + c->peek_len, sizeof c->peek - c->peek_len, e);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        c->peek_len += (size_t)n;
    }
    char *nl = memchr(c->peek, '\n', c->peek_len);
    json_t *answer = nl ? json_loadb(c->peek, (size_t)(nl - c->peek), 0, NULL) : NULL;
    json_t *s = json_object_get(answer, "started");
    if (json_is_false(s) && json_is_integer(json_object_get(answer, "from"))) {
        *started = 0;
        *from = (long)json_integer_value(json_object_get(answer, "from"));
        json_decref(answer);
        return local_follow(tc, uuid, *from, e);
    }
    json_decref(answer);
    return 0;
}

static void local_close(struct tconn *tc)
{
    struct local_conn *c = (struct local_conn *)tc;
    int st;
    char tail[8];
    local_finish(tc, &st, tail, sizeof tail);
    free(c);
}

const struct transport transport_local = {
    .name = "local",
    .needs_address = 0,
    .on_controller = 1,
    .connect = local_connect,
    .ensure_bundle = NULL,
    .exec = local_exec,
    .start_agent = local_start_agent,
    .read = local_read,
    .follow = local_follow,
    .finish = local_finish,
    .close = local_close,
};

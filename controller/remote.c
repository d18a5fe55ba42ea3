#include "remote.h"
#include "bundle.h"
#include "cfg.h"
#include "hotpath.h"
#include "ssh.h"
#include "../common/err.h"
#include "../common/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec t = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&t, NULL);
}

char *remote_command(const struct host_cfg *h, char *const *argv)
{
    struct buf b;
    buf_init(&b, 0);
    if (h->exec_prefix) {
        char *p = xstrdup(h->exec_prefix), *save = NULL;
        for (char *w = strtok_r(p, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
            ssh_quote(&b, w);
            buf_puts(&b, " ");
        }
        free(p);
    }
    for (int i = 0; argv[i]; i++) {
        if (i)
            buf_puts(&b, " ");
        ssh_quote(&b, argv[i]);
    }
    return buf_detach(&b);
}

/* Where hotpath lives on the host: its workdir, else ~/.cache/hotpath
 * (relative paths are relative to the login directory). */
static char *home_of(const struct host_cfg *h)
{
    return xstrdup(h->workdir ? h->workdir : ".cache/hotpath");
}

static char *bundle_dir(const struct host_cfg *h, const struct bundle *b)
{
    char *home = home_of(h);
    char *d = xasprintf("%s/bundles/%s", home, b->sha);
    free(home);
    return d;
}

/* Runs one remote command to its end; returns its exit status, or -1. */
static int run(struct ssh *s, const struct host_cfg *h, char *const *argv, struct buf *out,
               struct buf *err, double timeout_s, struct err *e)
{
    char *cmd = remote_command(h, argv);
    int status = -1;
    int rc = ssh_run(s, cmd, out, err, &status, timeout_s, e);
    free(cmd);
    return rc < 0 ? -1 : status;
}

/* The agent program of the bundle, with HOTPATH_HOME set when the host
 * has a workdir. Fills argv from index 0, returns the next index. */
static int agent_argv(const struct host_cfg *h, const char *bdir, char **argv, char **owned)
{
    int n = 0;
    if (h->workdir) {
        argv[n++] = "env";
        argv[n++] = owned[0] = xasprintf("HOTPATH_HOME=%s", h->workdir);
    }
    argv[n++] = owned[1] = xasprintf("%s/bin/hotpath-agent", bdir);
    return n;
}

static int push_bundle(struct ssh *s, const struct host_cfg *h, const struct bundle *b,
                       const char *bdir, struct err *e)
{
    char *tmp = xasprintf("%s.tmp-%d", bdir, (int)getpid());
    int rc = -1;
    double t0 = now();
    for (size_t i = 0; i < b->nfiles; i++) {
        char *remote = xasprintf("%s/%s", tmp, b->files[i]);
        char *dir = xstrdup(remote);
        *strrchr(dir, '/') = '\0';
        char *local = xasprintf("%s/%s", hp_root(), b->files[i]);
        int exec = !strncmp(b->files[i], "bin/", 4);
        int bad = ssh_mkdirs(s, dir, e) < 0 || ssh_put(s, local, remote, exec ? 0755 : 0644, e) < 0;
        free(remote);
        free(dir);
        free(local);
        if (bad)
            goto out;
    }
    char *mpath = xasprintf("%s/MANIFEST", tmp);
    int bad = ssh_put_text(s, b->manifest, mpath, e) < 0;
    free(mpath);
    if (bad)
        goto out;
    /* A bundle that fails verification is moved aside, never patched. */
    char *aside = xasprintf("%s.bad-%ld", bdir, (long)time(NULL));
    ssh_rename(s, bdir, aside, NULL);
    free(aside);
    if (ssh_rename(s, tmp, bdir, e) < 0)
        goto out;
    info("%s: pushed bundle %.12s (%zu files, %llu KiB) in %.1f s", h->name, b->sha, b->nfiles,
         b->bytes / 1024, now() - t0);
    rc = 0;
out:
    free(tmp);
    return rc;
}

/* The bundle on the host, verified, pushed if absent or broken, and built
 * there when the host is not the kind this controller built for. */
static int ensure_bundle(struct ssh *s, const struct host_cfg *h, char **bdir_out,
                         struct err *e)
{
    const struct bundle *b = bundle_get(e);
    if (!b)
        return -1;
    char *bdir = bundle_dir(h, b);
    char *owned[2] = {NULL, NULL};
    char *argv[8];
    int n = agent_argv(h, bdir, argv, owned);
    argv[n] = "bundle-verify";
    argv[n + 1] = NULL;
    struct buf out, err;
    buf_init(&out, 1 << 16);
    buf_init(&err, 1 << 16);
    int rc = -1;
    struct utsname u;
    uname(&u);
    char *uname_argv[] = {"uname", "-s", "-m", NULL};
    if (run(s, h, uname_argv, &out, &err, 30, e) != 0) {
        if (!e->msg[0])
            err_set(e, 1, "%s: `uname -s -m` failed: %s", h->name, err.data ? err.data : "");
        goto out;
    }
    char *here = xasprintf("%s %s\n", u.sysname, u.machine);
    int same_kind = out.data && !strcmp(out.data, here);
    free(here);
    buf_reset(&out);
    buf_reset(&err);
    if (run(s, h, argv, &out, &err, 120, e) != 0) {
        e->msg[0] = '\0';
        if (push_bundle(s, h, b, bdir, e) < 0)
            goto out;
        if (!same_kind) {
            /* No prebuilt binaries for this host: build the payload there. */
            char *cd = xasprintf("cd %s && make -B payload && (command -v cargo >/dev/null && "
                                 "make rust || true)", bdir);
            char *sh_argv[] = {"sh", "-c", cd, NULL};
            buf_reset(&err);
            int st = run(s, h, sh_argv, NULL, &err, 1800, e);
            free(cd);
            if (st != 0) {
                err_set(e, 1, "%s: cannot build the payload there (install a C compiler, make "
                        "and the Jansson headers: libjansson-dev, jansson-devel, or "
                        "`brew install jansson`): %.200s", h->name, err.data ? err.data : "");
                goto out;
            }
        }
        buf_reset(&out);
        if (run(s, h, argv, &out, &err, 120, e) != 0) {
            if (!e->msg[0])
                err_set(e, 1, "%s: the pushed bundle does not verify: %.200s", h->name,
                        err.data ? err.data : "");
            goto out;
        }
    }
    *bdir_out = bdir;
    bdir = NULL;
    rc = 0;
out:
    free(bdir);
    free(owned[0]);
    free(owned[1]);
    buf_free(&out);
    buf_free(&err);
    return rc;
}

int remote_agent(const struct host_cfg *h, const struct cfg *c, char *const *args, char **out_s,
                 struct err *e)
{
    struct ssh *s;
    if (ssh_open(h, c, h->connect_timeout_s, &s, e) < 0)
        return -1;
    char *bdir = NULL;
    int rc = -1;
    if (ensure_bundle(s, h, &bdir, e) < 0)
        goto out;
    char *owned[2] = {NULL, NULL};
    char *argv[32];
    int n = agent_argv(h, bdir, argv, owned);
    for (int i = 0; args[i] && n < 30; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    struct buf out, err;
    buf_init(&out, 8 << 20);
    buf_init(&err, 1 << 16);
    int st = run(s, h, argv, &out, &err, 300, e);
    if (st == 0) {
        *out_s = buf_detach(&out);
        rc = 0;
    } else if (!e->msg[0] || st > 0) {
        err_set(e, 1, "%s: agent exited with status %d: %.300s", h->name, st,
                err.data ? err.data : "");
    }
    free(owned[0]);
    free(owned[1]);
    buf_free(&out);
    buf_free(&err);
out:
    free(bdir);
    ssh_close(s);
    return rc;
}

/* Reads records from a running command until done; 1 done, 0 the stream
 * ended early, -1 transport error, -2 lost. */
static int follow(struct ssh *s, const struct host_cfg *h, long *next_seq, int replay,
                  remote_emit_fn emit, void *ctx, struct err *e)
{
    struct buf line;
    buf_init(&line, 0);
    long lineno = 0;
    int r, done = 0;
    while ((r = ssh_line(s, &line, h->lost_after_s, e)) == 1) {
        lineno++;
        enum proto_type t;
        json_t *m;
        char why[256];
        if (proto_parse(line.data, line.len, &t, &m, why, sizeof why) < 0) {
            err_set(e, 1, "protocol error on agent output line %ld: %s", lineno, why);
            r = -3;
            break;
        }
        json_t *seq = json_object_get(m, "seq");
        if (json_is_integer(seq))
            *next_seq = (long)json_integer_value(seq) + 1;
        done |= t == PROTO_DONE;
        emit(ctx, t, m, replay);
        if (done && !replay)
            break;
    }
    buf_free(&line);
    if (r < 0)
        return r;
    return done ? 1 : 0;
}

int remote_sweep_host(const struct host_cfg *h, const struct cfg *c, const char *uuid,
                      const char *plan_text, int resume, remote_emit_fn emit, void *ctx,
                      struct err *e)
{
    struct ssh *s = NULL;
    char *bdir = NULL, *owned[2] = {NULL, NULL}, *plan_path = NULL, *home = home_of(h);
    char *argv[32];
    int rc = -1;
    if (ssh_open(h, c, h->connect_timeout_s, &s, e) < 0 || ensure_bundle(s, h, &bdir, e) < 0)
        goto out;
    int n0 = agent_argv(h, bdir, argv, owned);
    if (resume) {
        /* What the host journaled while nobody was listening. */
        argv[n0] = "tail";
        argv[n0 + 1] = "--sweep";
        argv[n0 + 2] = (char *)uuid;
        argv[n0 + 3] = NULL;
        char *cmd = remote_command(h, argv);
        long ignored = 0;
        int st;
        char tail[256];
        if (ssh_stream(s, cmd, e) == 0) {
            follow(s, h, &ignored, 1, emit, ctx, e);
            ssh_stream_end(s, &st, tail, sizeof tail);
        }
        free(cmd);
        e->msg[0] = '\0';
    }
    char *pdir = xasprintf("%s/plans", home);
    plan_path = xasprintf("%s/%s.json", pdir, uuid);
    int bad = ssh_mkdirs(s, pdir, e) < 0 || ssh_put_text(s, plan_text, plan_path, e) < 0;
    free(pdir);
    if (bad)
        goto out;
    argv[n0] = "run";
    argv[n0 + 1] = "--plan";
    argv[n0 + 2] = plan_path;
    argv[n0 + 3] = "--detach";
    argv[n0 + 4] = NULL;
    struct buf out, err;
    buf_init(&out, 1 << 16);
    buf_init(&err, 1 << 16);
    int st = run(s, h, argv, &out, &err, 120, e);
    json_t *started = st == 0 && out.data ? json_loads(out.data, JSON_DISABLE_EOF_CHECK, NULL)
                                          : NULL;
    /* A transport failure (st < 0) already says what happened, e.g. lost. */
    if (!started && st >= 0)
        err_set(e, 1, "%s: cannot start the agent (status %d): %.300s", h->name, st,
                err.data && *err.data ? err.data : out.data ? out.data : "");
    buf_free(&out);
    buf_free(&err);
    if (!started)
        goto out;
    long next = (long)json_integer_value(json_object_get(started, "from"));
    json_decref(started);

    /* Follow the journal; a dropped connection is retried with backoff
     * until nothing has been heard from the host for lost_after_s. */
    double last_ok = now(), wait = 0.5;
    char from[32];
    for (;;) {
        if (!s) {
            if (now() - last_ok > h->lost_after_s) {
                err_set(e, 1, "%s: lost: no connection for %.0f s (%s)", h->name,
                        h->lost_after_s, e->msg[0] ? e->msg : "unreachable");
                goto out;
            }
            sleep_s(wait);
            wait = wait * 2 > 8 ? 8 : wait * 2;
            e->msg[0] = '\0';
            if (ssh_open(h, c, h->connect_timeout_s, &s, e) < 0) {
                s = NULL;
                continue;
            }
            info("%s: reconnected, following from record %ld", h->name, next);
        }
        snprintf(from, sizeof from, "%ld", next);
        argv[n0] = "tail";
        argv[n0 + 1] = "--sweep";
        argv[n0 + 2] = (char *)uuid;
        argv[n0 + 3] = "--from";
        argv[n0 + 4] = from;
        argv[n0 + 5] = "--follow";
        argv[n0 + 6] = NULL;
        char *cmd = remote_command(h, argv);
        int r = ssh_stream(s, cmd, e);
        free(cmd);
        if (r == 0) {
            r = follow(s, h, &next, 0, emit, ctx, e);
            char tail[512];
            int status;
            if (r >= 0) {
                ssh_stream_end(s, &status, tail, sizeof tail);
                if (r == 1) {
                    rc = 0;
                    goto out;
                }
                err_set(e, 1, "%s: the agent stopped before finishing (status %d)%s%s",
                        h->name, status, tail[0] ? ": " : "", tail);
                goto out;
            }
            if (r == -3)
                goto out;       /* protocol error: fail, keep what came before */
        }
        /* Silent for lost_after_s: lost. Other transport trouble: drop the
         * connection and try again. */
        if (r == -2)
            goto out;
        warning("%s: %s; reconnecting", h->name, e->msg);
        ssh_close(s);
        s = NULL;
        last_ok = now();
        wait = 0.5;
    }
out:
    ssh_close(s);
    free(bdir);
    free(owned[0]);
    free(owned[1]);
    free(plan_path);
    free(home);
    return rc;
}

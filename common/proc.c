#include "proc.h"
#include "err.h"
#include "xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

double proc_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void child(const struct proc_opts *o, int in_fd, int out_fd, int err_fd, int report)
{
    setpgid(0, 0);
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    if (o->env)
        for (char *const *p = o->env; *p; p++)
            putenv(*p);
    signal(SIGPIPE, SIG_DFL);
    if (o->dir && chdir(o->dir) < 0) {
        int e = errno;
        (void)!write(report, &e, sizeof e);
        _exit(127);
    }
    execvp(o->argv[0], o->argv);
    int e = errno;
    (void)!write(report, &e, sizeof e);
    _exit(127);
}

static void take(int *fd, struct buf *b, size_t cap, int *truncated)
{
    char chunk[65536];
    ssize_t n = read(*fd, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        close(*fd);
        *fd = -1;
        return;
    }
    size_t keep = b->len < cap ? cap - b->len : 0;
    if ((size_t)n > keep)
        *truncated = 1;
    buf_add(b, chunk, (size_t)n < keep ? (size_t)n : keep);
}

int proc_run(const struct proc_opts *o, struct proc_result *r, struct err *e)
{
    memset(r, 0, sizeof *r);
    buf_init(&r->out, 0);
    buf_init(&r->err, 0);
    int out[2], errp[2], rep[2], in[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) < 0)
        return err_set(e, 1, "pipe: %s", strerror(errno));
    if (pipe2(errp, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0 ||
        (o->in && pipe2(in, O_CLOEXEC) < 0))
        return err_set(e, 1, "pipe: %s", strerror(errno));
    int null_fd = o->in ? -1 : open("/dev/null", O_RDONLY | O_CLOEXEC);
    double t0 = proc_now();
    pid_t pid = fork();
    if (pid < 0)
        return err_set(e, 1, "fork: %s", strerror(errno));
    if (pid == 0)
        child(o, o->in ? in[0] : null_fd, out[1], errp[1], rep[1]);
    setpgid(pid, pid);      /* also here, so a kill right away reaches the group */
    close(out[1]);
    close(errp[1]);
    close(rep[1]);
    if (null_fd >= 0)
        close(null_fd);
    if (o->in) {
        close(in[0]);
        /* Plans are small: a blocking write never deadlocks below the pipe
         * size, and larger ones are read by the child before it prints. */
        size_t len = strlen(o->in), off = 0;
        signal(SIGPIPE, SIG_IGN);
        while (off < len) {
            ssize_t n = write(in[1], o->in + off, len - off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            off += (size_t)n;
        }
        close(in[1]);
    }
    int fds[2] = {out[0], errp[0]};
    double deadline = o->timeout_s > 0 ? t0 + o->timeout_s : 0, kill_at = 0;
    while (fds[0] >= 0 || fds[1] >= 0) {
        struct pollfd p[2];
        int np = 0;
        for (int i = 0; i < 2; i++)
            if (fds[i] >= 0)
                p[np++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        int wait_ms = -1;
        double now = proc_now();
        if (deadline && !r->timed_out) {
            if (now >= deadline) {
                r->timed_out = 1;
                kill(-pid, SIGTERM);
                kill_at = now + (o->grace_s > 0 ? o->grace_s : 2.0);
            } else {
                wait_ms = (int)((deadline - now) * 1000) + 1;
            }
        }
        if (kill_at) {
            if (now >= kill_at) {
                kill(-pid, SIGKILL);
                kill_at = 0;
                wait_ms = -1;
            } else {
                wait_ms = (int)((kill_at - now) * 1000) + 1;
            }
        }
        int n = poll(p, (nfds_t)np, wait_ms);
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < np && n > 0; i++) {
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            int k = p[i].fd == fds[0] ? 0 : 1;
            if (k == 0)
                take(&fds[0], &r->out, o->out_cap, &r->out_truncated);
            else
                take(&fds[1], &r->err, o->err_cap, &r->err_truncated);
        }
    }
    /* Output closed: reap, still honouring the timeout for a child that
     * closed its pipes but keeps running. */
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    if (r->timed_out)
        kill(-pid, SIGKILL);
    for (;;) {
        pid_t w = wait4(pid, &status, r->timed_out || !deadline ? 0 : WNOHANG, &ru);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            break;
        if (w == 0) {
            if (proc_now() >= deadline) {
                r->timed_out = 1;
                kill(-pid, SIGKILL);
            } else {
                usleep(1000);
            }
        }
    }
    r->wall_s = proc_now() - t0;
    if (r->timed_out)
        kill(-pid, SIGKILL);    /* stragglers left in the group */
    int ee = 0;
    if (read(rep[0], &ee, sizeof ee) == (ssize_t)sizeof ee)
        r->exec_errno = ee;
    close(rep[0]);
    r->exited = WIFEXITED(status);
    r->exit_code = r->exited ? WEXITSTATUS(status) : -1;
    r->signaled = WIFSIGNALED(status);
    r->sig = r->signaled ? WTERMSIG(status) : 0;
    r->user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
    r->sys_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
#ifdef __APPLE__
    r->max_rss_kb = ru.ru_maxrss / 1024;
#else
    r->max_rss_kb = ru.ru_maxrss;
#endif
    r->minflt = ru.ru_minflt;
    r->majflt = ru.ru_majflt;
    r->nvcsw = ru.ru_nvcsw;
    r->nivcsw = ru.ru_nivcsw;
    if (!r->out.data)
        buf_add(&r->out, "", 0);
    if (!r->err.data)
        buf_add(&r->err, "", 0);
    return 0;
}

void proc_result_free(struct proc_result *r)
{
    buf_free(&r->out);
    buf_free(&r->err);
}

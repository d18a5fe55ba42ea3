#include "proc.h"
#include "clock.h"
#include "err.h"
#include "xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Pipes are made with pipe() and then marked close-on-exec (pipe2 is not
 * portable). Between the two, a fork in another thread would inherit them
 * without the flag, and the other child would hold our pipe open: every
 * spawn takes this lock from its first pipe to its fork. */
static pthread_mutex_t spawn_lock = PTHREAD_MUTEX_INITIALIZER;

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int cloexec_pipe(int p[2])
{
    if (pipe(p) < 0) {
        p[0] = p[1] = -1;
        return -1;
    }
    if (fcntl(p[0], F_SETFD, FD_CLOEXEC) < 0 || fcntl(p[1], F_SETFD, FD_CLOEXEC) < 0) {
        int saved = errno;
        close_fd(&p[0]);
        close_fd(&p[1]);
        errno = saved;
        return -1;
    }
    return 0;
}

/* The program execve() will run: argv0 itself when it names a path, else
 * the first executable of that name in PATH (as execvp looks it up). */
static char *resolve(const char *argv0)
{
    if (strchr(argv0, '/'))
        return xstrdup(argv0);
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path;;) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char *cand = n ? xasprintf("%.*s/%s", (int)n, p, argv0) : xasprintf("./%s", argv0);
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
            return cand;
        free(cand);
        if (!end)
            return NULL;
        p = end + 1;
    }
}

/* environ with the entries of add replacing those of the same name. */
static char **build_env(char *const *add)
{
    size_t n = 0, k = 0;
    while (environ[n])
        n++;
    while (add && add[k])
        k++;
    char **env = xcalloc(n + k + 1, sizeof *env);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strcspn(environ[i], "=");
        int replaced = 0;
        for (size_t j = 0; j < k && !replaced; j++)
            replaced = !strncmp(add[j], environ[i], len) && add[j][len] == '=';
        if (!replaced)
            env[m++] = environ[i];
    }
    for (size_t j = 0; j < k; j++)
        env[m++] = add[j];
    env[m] = NULL;
    return env;
}

/* After fork(): async-signal-safe calls only, then exec or report. */
static void child_exec(const struct proc_spawn_opts *o, const char *path, char **envp,
                       const int src[3], int report)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGPIPE, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (o->new_group)
        setpgid(0, 0);
#ifdef __linux__
    if (o->traceable)
        prctl(PR_SET_PTRACER, (unsigned long)getppid(), 0, 0, 0);
#endif
    /* Moved above 2 first, so no source is overwritten by another's dup2. */
    int tmp[3];
    for (int i = 0; i < 3; i++)
        if ((tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3)) < 0)
            goto fail;
    for (int i = 0; i < 3; i++)
        if (dup2(tmp[i], i) < 0)
            goto fail;
    if (o->dir && chdir(o->dir) < 0)
        goto fail;
    execve(path, o->argv, envp);
fail:;
    int e = errno;
    (void)!write(report, &e, sizeof e);
    _exit(127);
}

int proc_spawn(const struct proc_spawn_opts *o, struct proc_child *c, int *exec_errno,
               struct err *e)
{
    const char *prog = o->argv[0];
    int pipes[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}}, rep[2] = {-1, -1}, null_fd = -1;
    int spec[3] = {o->in, o->out, o->err}, src[3];
    int rc = -1, locked = 0;
    char **envp = NULL;
    c->pid = -1;
    c->in = c->out = c->err = -1;
    if (exec_errno)
        *exec_errno = 0;
    char *path = resolve(prog);
    if (!path) {
        if (exec_errno)
            *exec_errno = ENOENT;
        return err_set(e, 1, "cannot run %s: %s", prog, strerror(ENOENT));
    }
    envp = build_env(o->env);
    pthread_mutex_lock(&spawn_lock);
    locked = 1;
    for (int i = 0; i < 3; i++) {
        if (spec[i] == PROC_PIPE) {
            if (cloexec_pipe(pipes[i]) < 0) {
                err_set(e, 1, "pipe: %s", strerror(errno));
                goto out;
            }
            src[i] = i == 0 ? pipes[i][0] : pipes[i][1];
        } else if (spec[i] == PROC_NULL) {
            if (null_fd < 0 && (null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
                err_set(e, 1, "/dev/null: %s", strerror(errno));
                goto out;
            }
            src[i] = null_fd;
        } else {
            src[i] = spec[i];
        }
    }
    if (cloexec_pipe(rep) < 0) {
        err_set(e, 1, "pipe: %s", strerror(errno));
        goto out;
    }
    pid_t pid = fork();
    if (pid < 0) {
        err_set(e, 1, "fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0)
        child_exec(o, path, envp, src, rep[1]);
    pthread_mutex_unlock(&spawn_lock);
    locked = 0;
    if (o->new_group)
        setpgid(pid, pid);      /* also here, so a kill right away reaches the group */
    close_fd(&rep[1]);
    int ee = 0;
    ssize_t n;
    while ((n = read(rep[0], &ee, sizeof ee)) < 0 && errno == EINTR)
        ;
    if (n == (ssize_t)sizeof ee) {
        int st;
        proc_wait(pid, &st);
        if (exec_errno)
            *exec_errno = ee;
        err_set(e, 1, "cannot run %s: %s", prog, strerror(ee));
        goto out;
    }
    c->pid = pid;
    c->in = pipes[0][1];
    c->out = pipes[1][0];
    c->err = pipes[2][0];
    pipes[0][1] = pipes[1][0] = pipes[2][0] = -1;
    rc = 0;
out:
    if (locked)
        pthread_mutex_unlock(&spawn_lock);
    for (int i = 0; i < 3; i++) {
        close_fd(&pipes[i][0]);
        close_fd(&pipes[i][1]);
    }
    close_fd(&rep[0]);
    close_fd(&rep[1]);
    close_fd(&null_fd);
    free(envp);
    free(path);
    return rc;
}

int proc_wait(pid_t pid, int *status)
{
    pid_t w;
    while ((w = waitpid(pid, status, 0)) < 0 && errno == EINTR)
        ;
    return w == pid ? 0 : -1;
}

int proc_write_all(int fd, const void *p, size_t n)
{
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE) == 1;
    const char *s = p;
    int rc = 0, saved = 0;
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            saved = w < 0 ? errno : EIO;
            rc = -1;
            break;
        }
        s += w;
        n -= (size_t)w;
    }
    /* The EPIPE left a SIGPIPE pending on this thread: take it before the
     * mask comes back, so it is never delivered. */
    if (rc < 0 && saved == EPIPE && !was_pending) {
#ifdef __linux__
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
#else
        sigpending(&pending);
        if (sigismember(&pending, SIGPIPE) == 1) {
            int sig;
            sigwait(&pipe_set, &sig);
        }
#endif
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return rc;
}

static void take(int *fd, struct buf *b, size_t cap, int *truncated)
{
    char chunk[65536];
    ssize_t n = read(*fd, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        close_fd(fd);
        return;
    }
    size_t keep = b->len < cap ? cap - b->len : 0;
    if ((size_t)n > keep)
        *truncated = 1;
    buf_add(b, chunk, (size_t)n < keep ? (size_t)n : keep);
}

/* How often the output loop looks whether the child itself has exited
 * while something else of its group still holds its pipes. */
#define REAP_CHECK_MS 100
/* How long the pipes may stay open once the child and its group are gone
 * (a descendant that left the group). */
#define DRAIN_AFTER_EXIT_S 1.0

int proc_run(const struct proc_opts *o, struct proc_result *r, struct err *e)
{
    memset(r, 0, sizeof *r);
    buf_init(&r->out, o->out_cap ? o->out_cap : 1);
    buf_init(&r->err, o->err_cap ? o->err_cap : 1);
    struct proc_spawn_opts so = {.argv = o->argv, .env = o->env, .dir = o->dir,
                                 .in = o->in ? PROC_PIPE : PROC_NULL, .out = PROC_PIPE,
                                 .err = PROC_PIPE, .new_group = 1};
    struct proc_child c;
    double t0 = clock_now();
    int ee = 0;
    if (proc_spawn(&so, &c, &ee, e) < 0) {
        if (!ee)
            return -1;
        /* As a shell reports a command it cannot run. */
        r->exec_errno = ee;
        r->exited = 1;
        r->exit_code = 127;
        r->wall_s = clock_now() - t0;
        buf_add(&r->out, "", 0);
        buf_add(&r->err, "", 0);
        return 0;
    }
    pid_t pid = c.pid;
    if (o->in) {
        /* Plans are small: a blocking write never deadlocks below the pipe
         * size, and larger ones are read by the child before it prints. A
         * child that stops reading early is seen by its exit status. */
        proc_write_all(c.in, o->in, strlen(o->in));
        close_fd(&c.in);
    }
    int fds[2] = {c.out, c.err};
    double deadline = o->timeout_s > 0 ? t0 + o->timeout_s : 0, kill_at = 0, reaped_at = 0;
    int status = 0, reaped = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (fds[0] >= 0 || fds[1] >= 0) {
        struct pollfd p[2];
        int np = 0;
        for (int i = 0; i < 2; i++)
            if (fds[i] >= 0)
                p[np++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        int wait_ms = REAP_CHECK_MS;
        double now = clock_now();
        if (reaped && now - reaped_at > DRAIN_AFTER_EXIT_S) {
            close_fd(&fds[0]);
            close_fd(&fds[1]);
            break;
        }
        if (deadline && !r->timed_out && !reaped) {
            if (now >= deadline) {
                r->timed_out = 1;
                kill(-pid, SIGTERM);
                kill_at = now + (o->grace_s > 0 ? o->grace_s : 2.0);
            } else if ((deadline - now) * 1000 < wait_ms) {
                wait_ms = (int)((deadline - now) * 1000) + 1;
            }
        }
        if (kill_at) {
            if (now >= kill_at) {
                kill(-pid, SIGKILL);
                kill_at = 0;
            } else if ((kill_at - now) * 1000 < wait_ms) {
                wait_ms = (int)((kill_at - now) * 1000) + 1;
            }
        }
        int n = poll(p, (nfds_t)np, wait_ms);
        if (n < 0 && errno != EINTR)
            break;
        if (n == 0 && !reaped) {
            /* Quiet: has the child itself gone, its pipes held by a
             * descendant? Then the run is over and the group goes. */
            pid_t w = wait4(pid, &status, WNOHANG, &ru);
            if (w == pid) {
                reaped = 1;
                reaped_at = clock_now();
                r->wall_s = reaped_at - t0;
                kill(-pid, SIGKILL);
            }
        }
        for (int i = 0; i < np && n > 0; i++) {
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (p[i].fd == fds[0])
                take(&fds[0], &r->out, o->out_cap, &r->out_truncated);
            else
                take(&fds[1], &r->err, o->err_cap, &r->err_truncated);
        }
    }
    close_fd(&fds[0]);
    close_fd(&fds[1]);
    /* Output closed: reap, still honouring the timeout for a child that
     * closed its pipes but keeps running. */
    if (r->timed_out)
        kill(-pid, SIGKILL);
    while (!reaped) {
        pid_t w = wait4(pid, &status, r->timed_out || !deadline ? 0 : WNOHANG, &ru);
        if (w == pid) {
            reaped = 1;
            r->wall_s = clock_now() - t0;
            break;
        }
        if (w < 0 && errno != EINTR)
            break;
        if (w == 0) {
            if (clock_now() >= deadline) {
                r->timed_out = 1;
                kill(-pid, SIGKILL);
            } else {
                clock_sleep(0.001);
            }
        }
    }
    if (!reaped)
        r->wall_s = clock_now() - t0;
    /* Whatever the exit, nothing the child started outlives the run. */
    kill(-pid, SIGKILL);
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

char *proc_err_line(const struct proc_result *r)
{
    const char *s = r->err.data ? r->err.data : "";
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        n--;
    size_t start = n;
    while (start && s[start - 1] != '\n')
        start--;
    return xasprintf("%.*s", (int)(n - start), s + start);
}

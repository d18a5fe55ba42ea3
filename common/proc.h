#ifndef HP_PROC_H
#define HP_PROC_H
#include "buf.h"

#include <stddef.h>
#include <sys/types.h>

struct err;

/* The one way a hotpath program starts another (as git's start_command):
 * argv, the program's path and the environment are built before fork(),
 * the child makes only async-signal-safe calls, and an exec failure comes
 * back to the parent through a close-on-exec pipe. Every descriptor is
 * closed on every error path. */

/* How a child's standard stream is connected: a descriptor >= 0 of the
 * parent's (dup'ed; the parent keeps its own), or one of these. */
enum { PROC_NULL = -1, PROC_PIPE = -2 };

struct proc_spawn_opts {
    char *const *argv;          /* argv[0] is looked up in PATH unless it has a '/' */
    char *const *env;           /* "NAME=VALUE" entries added to (or replacing in) the
                                 * environment, NULL-terminated, or NULL */
    const char *dir;            /* working directory, or NULL */
    int in, out, err;           /* PROC_NULL, PROC_PIPE or a descriptor */
    int new_group;              /* the child leads a process group of its own */
    int traceable;              /* Linux: the parent's other children may ptrace it
                                 * (a sampler, under kernel.yama.ptrace_scope 1) */
};

struct proc_child {
    pid_t pid;
    int in, out, err;           /* the parent's ends of PROC_PIPE streams, else -1 */
};

/* 0 with the child started; -1 with e filled when it could not be
 * (exec_errno, when not NULL, is then the exec's errno, or 0 when the
 * failure came before). */
int proc_spawn(const struct proc_spawn_opts *o, struct proc_child *c, int *exec_errno,
               struct err *e);
/* Waits for the child; its wait status. */
int proc_wait(pid_t pid, int *status);

/* write() of all of p, without SIGPIPE: a reader that went away is an
 * EPIPE error (-1) for this call only, not a signal for the process. */
int proc_write_all(int fd, const void *p, size_t n);

/* One child process run to its end: its own process group, stdout and
 * stderr captured (each up to a cap; the rest is drained so the child never
 * stalls), a timeout that sends SIGTERM to the group and SIGKILL after a
 * grace. When the child has exited, whatever else of its group still runs
 * is killed. */
struct proc_opts {
    char *const *argv;
    char *const *env;           /* extra "NAME=VALUE" entries, NULL-terminated, or NULL */
    const char *dir;            /* working directory, or NULL */
    double timeout_s;           /* 0: none */
    double grace_s;             /* between SIGTERM and SIGKILL */
    size_t out_cap, err_cap;    /* bytes kept of stdout and stderr */
    const char *in;             /* text for stdin, or NULL for /dev/null */
};

struct proc_result {
    int exited, exit_code;      /* exited normally with exit_code */
    int signaled, sig;
    int timed_out;
    int exec_errno;             /* the command could not be started */
    double wall_s, user_s, sys_s;
    long max_rss_kb;            /* KiB on every OS (macOS reports bytes) */
    long minflt, majflt;        /* page faults: minor (no I/O), major */
    long nvcsw, nivcsw;         /* context switches: voluntary, involuntary */
    struct buf out, err;
    int out_truncated, err_truncated;
};

/* -1 only when the child could not be created at all. */
int proc_run(const struct proc_opts *o, struct proc_result *r, struct err *e);
void proc_result_free(struct proc_result *r);
/* The last non-empty line of the command's stderr, where programs say why
 * they failed ("" when it said nothing); caller frees. */
char *proc_err_line(const struct proc_result *r);

#endif

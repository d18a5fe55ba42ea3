#ifndef HP_PROC_H
#define HP_PROC_H
#include "buf.h"

struct err;

/* One child process: its own process group, stdout and stderr captured
 * (each up to a cap; the rest is drained so the child never stalls), a
 * timeout that sends SIGTERM to the group and SIGKILL after a grace. */
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
double proc_now(void);

#endif

#include "harness.h"
#include "../../common/clock.h"
#include "../../common/err.h"
#include "../../common/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int open_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 1024; fd++)
        n += fcntl(fd, F_GETFD) >= 0;
    return n;
}

/* A process is gone once kill() cannot find it, or (Linux, a parent that
 * has not reaped it yet) once it is a zombie. */
static int gone(pid_t pid)
{
    if (kill(pid, 0) < 0 && errno == ESRCH)
        return 1;
#ifdef __linux__
    char path[64], state = 0;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    int ok = fscanf(f, "%*d (%*[^)]) %c", &state) == 1;
    fclose(f);
    return ok && (state == 'Z' || state == 'X');
#else
    return 0;
#endif
}

static int gone_soon(pid_t pid)
{
    for (int i = 0; i < 200; i++) {
        if (gone(pid))
            return 1;
        clock_sleep(0.01);
    }
    return 0;
}

TEST(test_proc_spawn)
{
    int before = open_fds();
    struct proc_child c;
    struct err e = {0};
    int ee = -1;
    char *missing[] = {"/nonexistent/hotpath-no-such-program", NULL};
    struct proc_spawn_opts o = {.argv = missing, .in = PROC_PIPE, .out = PROC_PIPE,
                                .err = PROC_PIPE};
    CHECK(proc_spawn(&o, &c, &ee, &e) < 0 && ee == ENOENT && strstr(e.msg, "cannot run"),
          "a program that does not exist is reported as ENOENT with \"cannot run\" in the "
          "message");
    char *nopath[] = {"hotpath-no-such-program-in-path", NULL};
    o.argv = nopath;
    CHECK(proc_spawn(&o, &c, &ee, &e) < 0 && ee == ENOENT,
          "a program name not found in PATH is reported as ENOENT");
    /* A working directory that does not exist is reported as exec errors are. */
    char *sh[] = {"sh", "-c", "exit 0", NULL};
    o.argv = sh;
    o.dir = "/nonexistent/dir";
    CHECK(proc_spawn(&o, &c, &ee, &e) < 0 && ee == ENOENT,
          "a working directory that does not exist is reported as exec errors are (ENOENT)");
    CHECK(open_fds() == before, "a failed spawn leaves no descriptor behind");

    /* The environment is built before the fork: added and replaced names. */
    setenv("HP_TEST_REPLACED", "old", 1);
    char *env[] = {"HP_TEST_ADDED=a b", "HP_TEST_REPLACED=new", NULL};
    char *show[] = {"sh", "-c", "printf '%s|%s' \"$HP_TEST_ADDED\" \"$HP_TEST_REPLACED\"", NULL};
    struct proc_opts po = {.argv = show, .env = env, .timeout_s = 30, .out_cap = 4096,
                           .err_cap = 4096};
    struct proc_result r;
    CHECK(proc_run(&po, &r, &e) == 0 && r.exited && r.exit_code == 0 &&
          !strcmp(r.out.data, "a b|new"),
          "the child's environment has the added name and the replaced value, built before "
          "the fork");
    proc_result_free(&r);
    unsetenv("HP_TEST_REPLACED");

    /* proc_run reports a command that cannot start as before: 127. */
    po = (struct proc_opts){.argv = missing, .timeout_s = 30, .out_cap = 64, .err_cap = 64};
    CHECK(proc_run(&po, &r, &e) == 0 && r.exec_errno == ENOENT && r.exit_code == 127,
          "proc_run reports a command that cannot start as exit code 127 with its errno");
    proc_result_free(&r);

    /* stdin text reaches the child. */
    char *cat[] = {"cat", NULL};
    po = (struct proc_opts){.argv = cat, .timeout_s = 30, .out_cap = 64, .err_cap = 64,
                            .in = "plan text"};
    CHECK(proc_run(&po, &r, &e) == 0 && !strcmp(r.out.data, "plan text"),
          "text given as stdin reaches the child");
    proc_result_free(&r);
    CHECK(open_fds() == before, "a finished run leaves no descriptor behind");
}

TEST(test_proc_write_epipe)
{
    /* A reader that went away is an error of this write, not a SIGPIPE
     * that kills the process: the disposition stays the default. */
    struct sigaction old;
    sigaction(SIGPIPE, NULL, &old);
    CHECK(old.sa_handler == SIG_DFL,
          "nothing has made the process ignore SIGPIPE: its disposition is the default");
    int p[2];
    CHECK(pipe(p) == 0, "a pipe for the broken-reader test is made");
    close(p[0]);
    errno = 0;
    CHECK(proc_write_all(p[1], "x", 1) < 0 && errno == EPIPE,
          "writing to a pipe whose reader is gone is an EPIPE error of that write");
    close(p[1]);
    sigset_t pending;
    sigpending(&pending);
    CHECK(sigismember(&pending, SIGPIPE) == 0,
          "the SIGPIPE of the failed write is consumed, not left pending");
    sigset_t mask;
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    CHECK(sigismember(&mask, SIGPIPE) == 0, "the signal mask is restored after the write");
}

static pid_t run_with_grandchild(const char *script, struct proc_result *r)
{
    char *argv[] = {"sh", "-c", (char *)script, NULL};
    struct proc_opts o = {.argv = argv, .timeout_s = 20, .grace_s = 1, .out_cap = 4096,
                          .err_cap = 4096};
    struct err e = {0};
    if (proc_run(&o, r, &e) < 0)
        return -1;
    return (pid_t)atoi(r->out.data);
}

TEST(test_proc_group_killed)
{
    /* An engine that leaves a process behind: it dies with the run. */
    struct proc_result r;
    pid_t g = run_with_grandchild("sleep 30 >/dev/null 2>&1 </dev/null & echo $!", &r);
    CHECK(g > 0 && r.exited && r.exit_code == 0 && !r.timed_out,
          "an engine that leaves a background process behind still ends normally, without a "
          "timeout");
    CHECK(g > 0 && gone_soon(g), "the process an engine left behind is killed with the run");
    proc_result_free(&r);
    /* One that keeps the engine's stdout open: the run still ends when the
     * engine exits, not at the timeout, and the straggler is killed. */
    g = run_with_grandchild("sleep 30 & echo $!", &r);
    CHECK(g > 0 && r.exited && r.exit_code == 0 && !r.timed_out,
          "an engine whose straggler keeps stdout open ends when the engine exits, not at the "
          "timeout");
    CHECK(g > 0 && gone_soon(g), "the straggler that kept stdout open is killed");
    proc_result_free(&r);
    /* A timed-out run takes its whole group with it too. */
    char *argv[] = {"sh", "-c", "sleep 30 & echo $!; sleep 30", NULL};
    struct proc_opts o = {.argv = argv, .timeout_s = 0.5, .grace_s = 0.2, .out_cap = 64,
                          .err_cap = 64};
    struct err e = {0};
    CHECK(proc_run(&o, &r, &e) == 0 && r.timed_out,
          "a run past its timeout is reported as timed out");
    g = (pid_t)atoi(r.out.data);
    CHECK(g > 0 && gone_soon(g), "a timed-out run takes its whole process group with it");
    proc_result_free(&r);
}

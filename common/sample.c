/* A program run under a sampler, what was seen returned raw (sample.h). */
#include "sample.h"
#include "buf.h"
#include "clock.h"
#include "err.h"
#include "proc.h"
#include "xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the raw lines may take in all: a long program sampled at a high
 * rate stays well under it (py-spy folds equal stacks into one line). */
#define LINES_CAP (128u << 20)

int sample_executable(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

char *sample_which(const char *name)
{
    if (strchr(name, '/'))
        return sample_executable(name) ? xstrdup(name) : NULL;
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        char *p = xasprintf("%.*s/%s", (int)n, path, name);
        if (sample_executable(p))
            return p;
        free(p);
        path += n + (path[n] == ':');
    }
    return NULL;
}

char *sample_find_pyspy(const char *dir, const char *prog)
{
    char *p;
    if (dir) {
        p = xasprintf("%s/py-spy", dir);
        if (sample_executable(p))
            return p;
        free(p);
    }
    char *exe = sample_which(prog);
    if (exe) {
        char *slash = strrchr(exe, '/');
        p = xasprintf("%.*s/py-spy", (int)(slash - exe), exe);
        free(exe);
        if (sample_executable(p))
            return p;
        free(p);
    }
    return sample_which("py-spy");
}

static int python_name(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    return !strncmp(b, "python", 6) || !strncmp(b, "pypy", 4);
}

int sample_looks_python(const char *path)
{
    char real[PATH_MAX];
    if (python_name(path) || (realpath(path, real) && python_name(real)))
        return 1;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[256] = "";
    int py = fgets(line, sizeof line, f) && !strncmp(line, "#!", 2) && strstr(line, "python");
    fclose(f);
    return py;
}

static int ptrace_scope(void)
{
    FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "r");
    int v = -1;
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

static char *slurp(const char *path, size_t cap)
{
    struct buf b;
    buf_init(&b, cap + 1);
    FILE *f = fopen(path, "r");
    if (f) {
        char chunk[4096];
        size_t n;
        while (b.len < cap && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
            buf_add(&b, chunk, n > cap - b.len ? cap - b.len : n);
        fclose(f);
    }
    buf_add(&b, "", 0);
    return buf_detach(&b);
}

static int spawn_sampler(char **argv, const char *log, int *pid, struct err *e)
{
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return err_set(e, 1, "%s: %s", log, strerror(errno));
    struct proc_spawn_opts s = {.argv = argv, .in = PROC_NULL, .out = fd, .err = fd};
    struct proc_child ch;
    int rc = proc_spawn(&s, &ch, NULL, e);
    close(fd);
    *pid = ch.pid;
    return rc;
}

/* Waits for the program, with its CPU times. */
static int wait_program(int pid, int *status, double *user_s, double *sys_s)
{
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    pid_t w;
    while ((w = wait4(pid, status, 0, &ru)) < 0 && errno == EINTR)
        ;
    *user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
    *sys_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    return w == pid ? 0 : -1;
}

/* Each non-empty line of text (n bytes) into lines, up to the cap. */
static void add_lines(json_t *lines, const char *text, size_t n, size_t *used, long *dropped)
{
    const char *p = text, *end = text + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (len) {
            if (*used + len > LINES_CAP)
                (*dropped)++;
            else if (json_array_append_new(lines, json_stringn(p, len)) == 0)
                *used += len;
        }
        p += len + 1;
    }
}

static void file_lines(const char *path, json_t *lines, size_t *used, long *dropped)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0)
        add_lines(lines, line, (size_t)n, used, dropped);
    free(line);
    fclose(f);
}

static void perf_lines(const char *perf, const char *data, json_t *out, json_t *lines,
                       size_t *used, long *dropped)
{
    char *argv[] = {(char *)perf, "script", "-i", (char *)data, "-F", "ip,sym,dso", NULL};
    struct proc_opts o = {.argv = argv, .timeout_s = 120, .out_cap = 256u << 20,
                          .err_cap = 4096};
    struct proc_result r;
    struct err e = {0};
    if (proc_run(&o, &r, &e) < 0 || !r.exited || r.exit_code != 0) {
        char s[400];
        snprintf(s, sizeof s, "perf script failed: %.200s", r.err.data ? r.err.data : e.msg);
        json_object_set_new(out, "sampler_error", json_string(s));
    } else if (r.out.data) {
        add_lines(lines, r.out.data, r.out.len, used, dropped);
    }
    proc_result_free(&r);
}

static const char *const knobs[] = {"POLARS_MAX_THREADS", "RAYON_NUM_THREADS",
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"};
#define NKNOBS (sizeof knobs / sizeof knobs[0])

int sample_run(const struct sample_opts *o, json_t **out, int *exec_errno, struct err *e)
{
    *out = NULL;
    *exec_errno = 0;
    char *envv[NKNOBS + 2] = {NULL};
    size_t ne = 0;
    if (o->threads)
        for (size_t k = 0; k < NKNOBS; k++)
            envv[ne++] = xasprintf("%s=%d", knobs[k], o->threads);
    if (o->path_first) {
        const char *path = getenv("PATH");
        envv[ne++] = xasprintf("PATH=%s%s%s", o->path_first, path ? ":" : "", path ? path : "");
    }
    char *prog = sample_which(o->argv[0]);
    char *perf = NULL, *dir = NULL, *raw = NULL, *log = NULL, *data = NULL;
    char **run = NULL;
    int rc = -1;
    if (!prog) {
        *exec_errno = ENOENT;
        err_set(e, 2, "%s: no such program", o->argv[0]);
        goto out;
    }
    int python = o->subprocesses || sample_looks_python(prog);
    const char *pyspy = python ? o->pyspy : NULL;
    perf = python && pyspy ? NULL : sample_which("perf");
    const char *tmp = getenv("TMPDIR");
    dir = xasprintf("%s/hotpath-explain.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        err_set(e, 1, "%s: %s", dir, strerror(errno));
        free(dir);
        dir = NULL;
        goto out;
    }
    raw = xasprintf("%s/samples.raw", dir);
    log = xasprintf("%s/sampler.log", dir);
    data = xasprintf("%s/perf.data", dir);
    char rate[16];
    snprintf(rate, sizeof rate, "%d", o->rate);

    json_t *res = json_object();
    const char *sampler = NULL;
    /* perf starts the program itself, so not one instruction is missed; its
     * CPU times then include perf's own, which is small */
    size_t n = 0;
    while (o->argv[n])
        n++;
    run = xcalloc(n + 16, sizeof *run);
    size_t k = 0;
    if (perf) {
        const char *pre[] = {perf, "record", "-q", "-B", "-N", "-e", "task-clock", "-F", rate,
                             "-o", data, "--"};
        for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
            run[k++] = (char *)pre[i];
        sampler = "perf";
    }
    for (size_t i = 0; i < n; i++)
        run[k++] = o->argv[i];
    /* the program's stdout goes to stderr, so stdout carries only the explanation */
    struct proc_spawn_opts sp = {.argv = run, .env = ne ? envv : NULL, .in = 0, .out = 2,
                                 .err = 2, .traceable = 1};
    struct proc_child child;
    double t0 = clock_now();
    if (proc_spawn(&sp, &child, exec_errno, e) < 0) {
        json_decref(res);
        goto out;
    }
    char pidstr[16];
    snprintf(pidstr, sizeof pidstr, "%d", child.pid);
    int spid = -1;
    if (pyspy) {
        char *args[] = {(char *)pyspy, "record", "--native", "--idle", "--full-filenames",
                        "-f", "raw", "-r", rate, "-o", raw, "--pid", pidstr,
                        o->subprocesses ? "--subprocesses" : NULL, NULL};
        struct err se = {0};
        if (spawn_sampler(args, log, &spid, &se) < 0)
            json_object_set_new(res, "sampler_error", json_string(se.msg));
        else
            sampler = "py-spy";
    }
    int status = 0;
    double user_s = 0, sys_s = 0;
    if (wait_program(child.pid, &status, &user_s, &sys_s) < 0) {
        err_set(e, 1, "wait4: %s", strerror(errno));
        json_decref(res);
        goto out;
    }
    double wall_s = clock_now() - t0;
    if (spid > 0) {
        /* a sampler ends with the program it follows; give it 10 s to write */
        int st;
        for (int i = 0; i < 1000 && waitpid(spid, &st, WNOHANG) == 0; i++)
            usleep(10000);
        if (waitpid(spid, &st, WNOHANG) == 0) {
            kill(spid, SIGINT);
            while (waitpid(spid, &st, 0) < 0 && errno == EINTR)
                ;
        }
    }

    json_t *lines = json_array();
    size_t used = 0;
    long dropped = 0;
    if (sampler && !strcmp(sampler, "py-spy"))
        file_lines(raw, lines, &used, &dropped);
    else if (sampler)
        perf_lines(perf, data, res, lines, &used, &dropped);
    char *l = slurp(log, 8192);
    json_object_set_new(res, "sampler_log", json_string(l));
    free(l);
    json_object_set_new(res, "wall_s", json_real(wall_s));
    json_object_set_new(res, "user_s", json_real(user_s));
    json_object_set_new(res, "sys_s", json_real(sys_s));
    json_object_set_new(res, "exit_code", WIFEXITED(status) ? json_integer(WEXITSTATUS(status))
                                                            : json_null());
    json_object_set_new(res, "signal", WIFSIGNALED(status) ? json_integer(WTERMSIG(status))
                                                           : json_null());
    json_object_set_new(res, "python", json_boolean(python));
    json_object_set_new(res, "sampler", sampler ? json_string(sampler) : json_null());
    json_object_set_new(res, "pyspy", pyspy ? json_string(pyspy) : json_null());
    json_object_set_new(res, "perf", perf ? json_string(perf) : json_null());
    json_object_set_new(res, "lines", lines);
    json_object_set_new(res, "lines_dropped", json_integer(dropped));
    json_object_set_new(res, "ptrace_scope", json_integer(ptrace_scope()));
    double load = 0;
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (fscanf(lf, "%lf", &load) != 1)
            load = 0;
        fclose(lf);
    } else if (getloadavg(&load, 1) != 1) {
        load = 0;
    }
    json_object_set_new(res, "load_avg", json_real(load));
    json_object_set_new(res, "cores", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
    char cwd[PATH_MAX];
    json_object_set_new(res, "dir", json_string(getcwd(cwd, sizeof cwd) ? cwd : "/"));
    struct utsname u;
    json_object_set_new(res, "os", json_string(uname(&u) == 0 ? u.sysname : "unknown"));
    *out = res;
    rc = 0;
out:
    if (dir) {
        unlink(raw);
        unlink(log);
        unlink(data);
        rmdir(dir);
    }
    for (size_t i = 0; i < ne; i++)
        free(envv[i]);
    free(run);
    free(raw);
    free(log);
    free(data);
    free(dir);
    free(perf);
    free(prog);
    return rc;
}

/* hotpath explain: run a program under a sampler and say where its time
 * went (explain.c classifies; this file runs things and prints). */
#include "hotpath.h"
#include "explain.h"
#include "../common/buf.h"
#include "../common/clock.h"
#include "../common/err.h"
#include "../common/proc.h"
#include "../common/xmalloc.h"
#include "../store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PYSPY_PIN "0.4.3"
#define MIN_SAMPLES 200

struct explain_opts {
    const char *host;
    int threads, subprocesses, rate, top, store;
    char **argv;
};

static int executable(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

/* A program on PATH (or a path), resolved; NULL when not found. */
static char *which(const char *name)
{
    if (strchr(name, '/'))
        return executable(name) ? xstrdup(name) : NULL;
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        char *p = xasprintf("%.*s/%s", (int)n, path, name);
        if (executable(p))
            return p;
        free(p);
        path += n + (path[n] == ':');
    }
    return NULL;
}

/* py-spy: $HOTPATH_PYSPY, the pinned .venv's, the one beside the program's
 * interpreter (a user's own venv), then PATH. */
static char *find_pyspy(const char *prog)
{
    const char *env = getenv("HOTPATH_PYSPY");
    if (env && *env)
        return executable(env) ? xstrdup(env) : NULL;
    char *p = xasprintf("%s/.venv/bin/py-spy", hp_root());
    if (executable(p))
        return p;
    free(p);
    char *exe = which(prog);
    if (exe) {
        char *slash = strrchr(exe, '/');
        p = xasprintf("%.*s/py-spy", (int)(slash - exe), exe);
        free(exe);
        if (executable(p))
            return p;
        free(p);
    }
    return which("py-spy");
}

static int python_name(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    return !strncmp(b, "python", 6) || !strncmp(b, "pypy", 4);
}

/* Whether a program is a Python interpreter, or a script that one runs. */
static int looks_python(const char *path)
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
    buf_init(&b, cap);
    FILE *f = fopen(path, "r");
    if (f) {
        (void)buf_read(&b, f);
        fclose(f);
    }
    buf_add(&b, "", 0);
    return buf_detach(&b);
}

static char *command_line(char **argv)
{
    struct buf b;
    buf_init(&b, 4096);
    for (int i = 0; argv[i]; i++) {
        int quote = argv[i][0] == '\0' || strpbrk(argv[i], " \t'\"$\\") != NULL;
        if (buf_printf(&b, "%s%s%s%s", i ? " " : "", quote ? "'" : "", argv[i],
                       quote ? "'" : "") < 0)
            break;
    }
    buf_add(&b, "", 0);
    return buf_detach(&b);
}

static void note(json_t *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(json_t *notes, const char *fmt, ...)
{
    char s[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s, sizeof s, fmt, ap);
    va_end(ap);
    json_array_append_new(notes, json_string(s));
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

/* Why py-spy could not sample, in words a user can act on. */
static void pyspy_failed(const char *log, json_t *notes)
{
    if (strstr(log, "ermission denied") || strstr(log, "not permitted") ||
        strstr(log, "root")) {
        int scope = ptrace_scope();
#ifdef __APPLE__
        note(notes, "sampling not permitted: on macOS py-spy needs root (sudo hotpath "
                    "explain ...)");
#else
        if (scope > 0)
            note(notes, "sampling not permitted: kernel.yama.ptrace_scope is %d; run as "
                        "root, or `sudo sysctl kernel.yama.ptrace_scope=%d`", scope,
                 scope > 1 ? 1 : 0);
        else
            note(notes, "sampling not permitted (ptrace refused: a container without "
                        "CAP_SYS_PTRACE?); run as root or allow ptrace");
#endif
    } else if (strstr(log, "python version") || strstr(log, "python interpreter")) {
        note(notes, "py-spy found no Python interpreter in the program; if it starts "
                    "Python programs, give --subprocesses");
    } else {
        const char *l = strstr(log, "Error");
        if (!l)
            for (l = log; *l == '\n' || !strncmp(l, "py-spy>", 7); l += strcspn(l, "\n"))
                l += *l == '\n';
        if (*l)
            note(notes, "py-spy failed: %.*s", (int)strcspn(l, "\n"), l);
        else
            note(notes, "py-spy saw no Python running (too short a program?)");
    }
}

static int read_lines(const char *path, struct explain *x, int perf, const char *prog)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        if (line[0] == '\n')
            continue;
        if (perf)
            explain_add_perf(x, line, prog);
        else
            explain_add_pyspy(x, line);
    }
    free(line);
    fclose(f);
    return 0;
}

static void perf_samples(const char *dir, struct explain *x, const char *prog, json_t *notes)
{
    char *data = xasprintf("%s/perf.data", dir), *out = xasprintf("%s/perf.txt", dir);
    char *argv[] = {"perf", "script", "-i", data, "-F", "ip,sym,dso", NULL};
    struct proc_opts o = {.argv = argv, .timeout_s = 120, .out_cap = 256u << 20,
                          .err_cap = 4096};
    struct proc_result r;
    struct err e = {0};
    if (proc_run(&o, &r, &e) < 0 || !r.exited || r.exit_code != 0) {
        note(notes, "perf script failed: %.200s", r.err.data ? r.err.data : e.msg);
    } else {
        FILE *f = fopen(out, "w");
        if (f) {
            fwrite(r.out.data, 1, r.out.len, f);
            fclose(f);
            read_lines(out, x, 1, prog);
        }
    }
    proc_result_free(&r);
    free(data);
    free(out);
}

/* A path as a reader wants it: below the working directory, or below
 * site-packages. */
static const char *short_name(const char *s)
{
    static char cwd[PATH_MAX];
    if (!cwd[0] && !getcwd(cwd, sizeof cwd - 1))
        strcpy(cwd, "/");
    size_t n = strlen(cwd);
    if (n > 1 && !strncmp(s, cwd, n) && s[n] == '/')
        return s + n + 1;
    const char *sp = strstr(s, "-packages/");
    if (sp && !strchr(s, ' '))
        return sp + 10;
    if (sp && sp < strchr(s, ' '))
        return sp + 10;
    return s;
}

static void print_pct_list(const char *title, json_t *a, int top)
{
    if (json_array_size(a) == 0)
        return;
    printf("  %s\n", title);
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        if ((int)i >= top)
            break;
        printf("    %5.1f %%  %s\n", 100 * json_real_value(json_object_get(v, "share")),
               short_name(json_string_value(json_object_get(v, "name"))));
    }
}

static double num(json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

static void print_text(json_t *s)
{
    json_t *sh = json_object_get(s, "shares");
    printf("explain: %s\n", json_string_value(json_object_get(s, "command")));
    printf("  wall %.2f s, CPU %.2f s (user %.2f s, kernel %.2f s), cores busy %.2f\n",
           num(s, "wall_s"), num(s, "user_s") + num(s, "sys_s"), num(s, "user_s"),
           num(s, "sys_s"), num(s, "cores_busy"));
    printf("  kernel %.1f %% and waiting %.1f %% of the wall time (waiting: off CPU, for "
           "I/O, sleep, locks or a busy machine)\n", 100 * num(s, "kernel_time_share"),
           100 * num(s, "waiting_share"));
    json_t *sampler = json_object_get(s, "sampler");
    if (json_is_string(sampler)) {
        printf("  %lld samples (%s, %d Hz); startup and shutdown (imports, "
               "finalising) %.1f %% of them, left out below\n", (long long)json_integer_value(json_object_get(s, "samples")),
               json_string_value(sampler),
               (int)json_integer_value(json_object_get(s, "rate")),
               100 * num(s, "startup_share"));
        printf("\n  hot path:\n");
        printf("    interpreter      %5.1f %%  (Python lines %.1f %%, CPython runtime "
               "%.1f %%)\n", 100 * num(sh, "interpreter"), 100 * num(sh, "python"),
               100 * num(sh, "runtime"));
        size_t i;
        json_t *l;
        json_array_foreach(json_object_get(s, "libraries"), i, l) {
            double w = num(l, "waiting_share");
            printf("    %-16s %5.1f %%", json_string_value(json_object_get(l, "name")),
                   100 * num(l, "share"));
            if (w > 0.0005)
                printf("  (%.1f %% waiting on its own threads)", 100 * w);
            printf("\n");
        }
        printf("    libc/libm        %5.1f %%\n", 100 * num(sh, "libc"));
        if (num(sh, "kernel") > 0)
            printf("    kernel           %5.1f %%\n", 100 * num(sh, "kernel"));
        printf("    blocked          %5.1f %%  (sleeping, locks or I/O outside a library)\n",
               100 * num(sh, "blocked"));
        printf("\n");
        print_pct_list(!strcmp(json_string_value(sampler), "perf") ?
                       "top interpreter functions:" : "top Python lines:",
                       json_object_get(s, "lines"), 8);
        json_array_foreach(json_object_get(s, "libraries"), i, l) {
            if (i >= 4)
                break;
            char t[200];
            snprintf(t, sizeof t, "top functions in %s:",
                     json_string_value(json_object_get(l, "name")));
            print_pct_list(t, json_object_get(l, "top"), 5);
            print_pct_list("  called from:", json_object_get(l, "called_from"), 3);
        }
        print_pct_list("top libc/libm functions:", json_object_get(s, "libc_top"), 3);
        print_pct_list("top kernel functions:", json_object_get(s, "kernel_top"), 3);
    }
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(s, "notes"), i, n)
        printf("  note: %s\n", json_string_value(n));
    printf("\nverdict: %s\n", json_string_value(json_object_get(s, "verdict")));
    printf("rewrite: %s\n", json_string_value(json_object_get(s, "rewrite")));
    const char *mode = json_string_value(json_object_get(s, "mode"));
    json_t *lead = json_array_get(json_object_get(s, "libraries"), 0);
    if ((!strcmp(mode, "query") || !strcmp(mode, "numeric")) && lead &&
        json_array_size(json_object_get(lead, "called_from"))) {
        printf("  the calls a rewrite would replace:\n");
        json_t *v;
        json_array_foreach(json_object_get(lead, "called_from"), i, v) {
            if (i >= 3)
                break;
            printf("    %s (%.1f %%)\n", short_name(json_string_value(json_object_get(v, "name"))),
                   100 * num(v, "share"));
        }
    }
    if (!strcmp(mode, "interpreter")) {
        printf("  a rewrite would target:\n");
        json_t *v;
        json_array_foreach(json_object_get(s, "lines"), i, v) {
            if (i >= 5)
                break;
            printf("    %s (%.1f %%)\n", short_name(json_string_value(json_object_get(v, "name"))),
                   100 * num(v, "share"));
        }
    }
}

static int parse_args(int argc, char **argv, struct explain_opts *o)
{
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            i++;
            break;
        } else if (!strcmp(a, "--host") && i + 1 < argc) {
            o->host = argv[++i];
        } else if ((!strcmp(a, "--threads") || !strcmp(a, "--rate") || !strcmp(a, "--top"))
                   && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > (strcmp(a, "--rate") ? 4096 : 10000))
                die_code(2, "explain: %s takes a positive number, not '%s'", a, argv[i]);
            *(strcmp(a, "--threads") ? (strcmp(a, "--rate") ? &o->top : &o->rate)
                                     : &o->threads) = (int)v;
        } else if (!strcmp(a, "--subprocesses")) {
            o->subprocesses = 1;
        } else if (!strcmp(a, "--json")) {
            cli.json = 1;
        } else if (!strcmp(a, "--no-store")) {
            o->store = 0;
        } else if (a[0] == '-') {
            die_code(2, "explain: unknown option '%s' (see hotpath explain --help)", a);
        } else {
            break;
        }
    }
    if (i >= argc)
        die_code(2, "explain: no command given: hotpath explain [options] -- CMD [ARGS...]");
    o->argv = argv + i;
    return 0;
}

int cmd_explain(int argc, char **argv)
{
    struct explain_opts o = {.rate = 100, .top = 10, .store = 1};
    parse_args(argc, argv, &o);
    if (o.host && strcmp(o.host, "local"))
        die_code(2, "explain: --host is not supported yet: run `hotpath explain` on %s "
                    "itself (the command runs on this machine only)", o.host);

    json_t *notes = json_array();
    char tmpl[] = "/tmp/hotpath-explain.XXXXXX";
    const char *tmpdir = getenv("TMPDIR");
    char *dir = tmpdir && *tmpdir ? xasprintf("%s/hotpath-explain.XXXXXX", tmpdir)
                                  : xstrdup(tmpl);
    if (!mkdtemp(dir))
        die("explain: %s: %s", dir, strerror(errno));

    char *envv[8] = {NULL};
    char *env_store[5];
    if (o.threads) {
        static const char *const knobs[] = {"POLARS_MAX_THREADS", "RAYON_NUM_THREADS",
            "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"};
        for (int k = 0; k < 5; k++)
            envv[k] = env_store[k] = xasprintf("%s=%d", knobs[k], o.threads);
    }
    char *prog_path = which(o.argv[0]);
    if (!prog_path)
        die_code(2, "explain: %s: no such program", o.argv[0]);
    int python = o.subprocesses || looks_python(prog_path);
    char *pyspy = python ? find_pyspy(o.argv[0]) : NULL;
    char *perf = python && pyspy ? NULL : which("perf");
    if (python && !pyspy)
        note(notes, "py-spy not found, so no Python lines: it comes with the pinned "
                    "environment (make deps); elsewhere `pip install py-spy==%s`, or set "
                    "HOTPATH_PYSPY", PYSPY_PIN);
    const char *sampler = NULL;
    char *raw = xasprintf("%s/samples.raw", dir), *log = xasprintf("%s/sampler.log", dir);
    char *data = xasprintf("%s/perf.data", dir);
    char rate[16];
    snprintf(rate, sizeof rate, "%d", o.rate);
    struct err e = {0};
    int pid, spid = -1;
    /* perf starts the program itself, so not one instruction is missed; its
     * CPU times then include perf's own, which is small */
    size_t n = 0;
    while (o.argv[n])
        n++;
    char **run = xcalloc(n + 16, sizeof *run);
    size_t k = 0;
    if (perf) {
        const char *pre[] = {perf, "record", "-q", "-B", "-N", "-e", "task-clock", "-F", rate,
                             "-o", data, "--"};
        for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
            run[k++] = (char *)pre[i];
        sampler = "perf";
    }
    for (size_t i = 0; i < n; i++)
        run[k++] = o.argv[i];
    /* the program's stdout goes to stderr, so stdout carries only the explanation */
    struct proc_spawn_opts sp = {.argv = run, .env = o.threads ? envv : NULL, .in = 0,
                                 .out = 2, .err = 2, .traceable = 1};
    struct proc_child child;
    int exec_errno = 0;
    double t0 = clock_now();
    if (proc_spawn(&sp, &child, &exec_errno, &e) < 0)
        die_code(exec_errno == ENOENT ? 2 : 1, "explain: %s", e.msg);
    pid = child.pid;
    char pidstr[16];
    snprintf(pidstr, sizeof pidstr, "%d", pid);
    if (pyspy) {
        char *args[] = {pyspy, "record", "--native", "--idle", "--full-filenames", "-f", "raw",
                        "-r", rate, "-o", raw, "--pid", pidstr,
                        o.subprocesses ? "--subprocesses" : NULL, NULL};
        if (spawn_sampler(args, log, &spid, &e) < 0)
            note(notes, "py-spy did not start: %s", e.msg);
        else
            sampler = "py-spy";
    }
    int status = 0;
    struct explain_times t = {0};
    if (wait_program(pid, &status, &t.user_s, &t.sys_s) < 0)
        die("explain: wait4: %s", strerror(errno));
    t.wall_s = clock_now() - t0;
    if (spid > 0) {
        /* a sampler ends with the program it follows; give it 10 s to write */
        int st;
        for (int k = 0; k < 1000 && waitpid(spid, &st, WNOHANG) == 0; k++)
            usleep(10000);
        if (waitpid(spid, &st, WNOHANG) == 0) {
            kill(spid, SIGINT);
            while (waitpid(spid, &st, 0) < 0 && errno == EINTR)
                ;
        }
    }

    struct explain x;
    explain_init(&x);
    const char *base = strrchr(o.argv[0], '/');
    base = base ? base + 1 : o.argv[0];
    if (sampler && !strcmp(sampler, "py-spy")) {
        if (read_lines(raw, &x, 0, NULL) < 0 || x.samples == 0) {
            char *l = slurp(log, 8192);
            /* a program gone before py-spy looked is too short, not broken */
            if (t.wall_s > 1.0 || strstr(l, "ermission") || strstr(l, "not permitted"))
                pyspy_failed(l, notes);
            free(l);
        }
    } else if (sampler) {
        perf_samples(dir, &x, base, notes);
        note(notes, "CPU times include perf's own, which started the program");
        if (x.samples == 0) {
            char *l = slurp(log, 8192);
            note(notes, "perf saw no samples%s%.200s", *l ? ": " : "", l);
            free(l);
        }
        if (!python)
            note(notes, "not a Python program (if it starts one, give --subprocesses): perf "
                        "sees native code only, so no Python lines");
    } else if (!python) {
        note(notes, "no sampler: perf is not installed (Debian: apt-get install linux-perf), "
                    "so only CPU, kernel and waiting times are known");
    }
    x.sampler = sampler;
    if (sampler && x.samples - x.part[EXPLAIN_STARTUP] < MIN_SAMPLES)
        note(notes, "only %ld samples of the hot path (under %d): the shares are rough; give "
                    "the program a larger input, or raise --rate",
             x.samples - x.part[EXPLAIN_STARTUP], MIN_SAMPLES);
    if (x.bad)
        note(notes, "%ld sample lines did not parse", x.bad);
    double load = 0;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (fscanf(lf, "%lf", &load) != 1)
            load = 0;
        fclose(lf);
    }
    if (cores > 0 && load > (double)cores)
        note(notes, "this machine was busy (load average %.1f on %ld cores): part of the "
                    "waiting is waiting for a core", load, cores);

    json_t *s = explain_summary(&x, &t, o.top);
    char *cmdline = command_line(o.argv);
    json_object_set_new(s, "command", json_string(cmdline));
    json_object_set_new(s, "host", json_string("local"));
    json_object_set_new(s, "rate", json_integer(o.rate));
    json_object_set_new(s, "threads", o.threads ? json_integer(o.threads) : json_null());
    json_object_set_new(s, "exit_code", WIFEXITED(status) ? json_integer(WEXITSTATUS(status))
                                                          : json_null());
    if (WIFSIGNALED(status))
        note(notes, "the program was killed by signal %d", WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0)
        note(notes, "the program exited with status %d", WEXITSTATUS(status));
    json_object_set_new(s, "notes", notes);

    if (o.store) {
        struct store *st;
        if (store_open(cli.db, 0, &st, &e) < 0) {
            warning("explain: not stored: %s", e.msg);
        } else {
            if (store_explain_add(st, s, &e) < 0)
                warning("explain: not stored: %s", e.msg);
            store_close(st);
        }
    }
    if (cli.json) {
        json_dumpf(s, stdout, JSON_INDENT(2));
        printf("\n");
    } else {
        print_text(s);
    }
    int rc = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;

    unlink(raw);
    unlink(log);
    char *p = xasprintf("%s/perf.data", dir);
    unlink(p);
    free(p);
    p = xasprintf("%s/perf.txt", dir);
    unlink(p);
    free(p);
    rmdir(dir);
    json_decref(s);
    explain_free(&x);
    free(cmdline);
    free(raw);
    free(log);
    free(dir);
    free(pyspy);
    free(perf);
    free(prog_path);
    free(run);
    free(data);
    if (o.threads)
        for (int k = 0; k < 5; k++)
            free(env_store[k]);
    return rc;
}

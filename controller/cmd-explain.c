/* hotpath explain: run a program under a sampler, on this machine or on a
 * configured host (through its agent: `hotpath-agent explain`), and say
 * where its time went. common/sample.c runs things on whichever machine;
 * explain.c classifies what came back; this file words and prints it. */
#include "cfg.h"
#include "hotpath.h"
#include "explain.h"
#include "pyenv.h"
#include "transport.h"
#include "../common/err.h"
#include "../common/sample.h"
#include "../common/xmalloc.h"
#include "../store/store.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PYSPY_PIN "0.4.3"
#define MIN_SAMPLES 200
/* What a host's agent may send back: raw samples of a long program. */
#define HOST_OUT_CAP (192u << 20)

struct explain_opts {
    const char *host;
    int threads, subprocesses, rate, top, store;
    char **argv;
};

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

static double num(json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* Why py-spy could not sample, in words a user can act on; where is "" for
 * this machine, else " on HOST". */
static void pyspy_failed(json_t *res, const char *where, json_t *notes)
{
    const char *log = str(res, "sampler_log");
    if (strstr(log, "ermission denied") || strstr(log, "ermission Denied") ||
        strstr(log, "not permitted") || strstr(log, "root")) {
        int scope = (int)json_integer_value(json_object_get(res, "ptrace_scope"));
        if (!strcmp(str(res, "os"), "Darwin"))
            note(notes, "sampling not permitted%s: on macOS py-spy needs root (sudo hotpath "
                        "explain ...%s)", where, *where ? ", or a host user that may sudo" : "");
        else if (scope > 0)
            note(notes, "sampling not permitted%s (ptrace refused): kernel.yama.ptrace_scope "
                        "is %d; run as root, or `sudo sysctl kernel.yama.ptrace_scope=%d`",
                 where, scope, scope > 1 ? 1 : 0);
        else
            note(notes, "sampling not permitted%s (ptrace refused: a container without "
                        "CAP_SYS_PTRACE?); run as root, or allow ptrace (docker run "
                        "--cap-add=SYS_PTRACE)", where);
    } else if (strstr(log, "python version") || strstr(log, "python interpreter")) {
        note(notes, "py-spy found no Python interpreter in the program; if it starts "
                    "Python programs, give --subprocesses");
    } else {
        const char *l = strstr(log, "Error");
        if (!l)
            for (l = log; *l == '\n' || !strncmp(l, "py-spy>", 7); l += strcspn(l, "\n"))
                l += *l == '\n';
        if (*l)
            note(notes, "py-spy failed%s: %.*s", where, (int)strcspn(l, "\n"), l);
        else
            note(notes, "py-spy saw no Python running (too short a program?)");
    }
}

/* The program run here: py-spy is $HOTPATH_PYSPY, the pinned .venv's, the
 * one beside the program's interpreter (a user's own venv), then PATH's. */
static json_t *sample_here(const struct explain_opts *o)
{
    const char *env = getenv("HOTPATH_PYSPY");
    char *venv = xasprintf("%s/.venv/bin", hp_root());
    char *pyspy = env && *env ? (sample_executable(env) ? xstrdup(env) : NULL)
                              : sample_find_pyspy(venv, o->argv[0]);
    struct sample_opts so = {.argv = o->argv, .pyspy = pyspy, .rate = o->rate,
                             .threads = o->threads, .subprocesses = o->subprocesses};
    json_t *res;
    int exec_errno;
    struct err e = {0};
    if (sample_run(&so, &res, &exec_errno, &e) < 0)
        die_code(e.code == 2 || exec_errno == ENOENT ? 2 : 1, "explain: %s", e.msg);
    free(pyspy);
    free(venv);
    return res;
}

/* The program run on a configured host by its agent, which sends back what
 * sample_run saw there. The host's pinned Python environment (python_env,
 * built there once, as a sweep builds it) is the program's python and
 * brings py-spy; one that cannot be had is said, and the host's python
 * runs it. */
static json_t *sample_on_host(const struct explain_opts *o, const struct host_cfg *h,
                              const struct cfg *c)
{
    struct host_link l;
    struct err e = {0};
    if (transport_open(&l, h, c, &e) < 0 || transport_ensure_bundle(&l, &e) < 0)
        die("explain: %s", e.msg);
    struct pyenv_io io;
    pyenv_link_io(&l, &io);
    char *env_python = NULL;
    int built = 0;
    char env_error[sizeof e.msg] = "";
    if (pyenv_provision(h, &io, &env_python, &built, &e) < 0)
        snprintf(env_error, sizeof env_error, "%s", e.msg);
    const char *python = env_python ? env_python : h->python;

    char rate[16], threads[16];
    snprintf(rate, sizeof rate, "%d", o->rate);
    snprintf(threads, sizeof threads, "%d", o->threads);
    size_t n = 0;
    while (o->argv[n])
        n++;
    char **args = xcalloc(n + 16, sizeof *args);
    size_t k = 0;
    args[k++] = "explain";
    args[k++] = "--rate";
    args[k++] = rate;
    if (o->threads) {
        args[k++] = "--threads";
        args[k++] = threads;
    }
    if (o->subprocesses)
        args[k++] = "--subprocesses";
    if (python) {
        args[k++] = "--python";
        args[k++] = (char *)python;
    }
    args[k++] = "--";
    for (size_t i = 0; i < n; i++)
        args[k++] = o->argv[i];
    char *out = NULL;
    if (transport_run(&l, args, HOST_OUT_CAP, &out, &e) < 0)
        die("explain: %s", e.msg);
    transport_close(&l);
    json_error_t je;
    json_t *res = json_loads(out, 0, &je);
    if (!json_is_object(res))
        die("explain: %s: the agent's answer is not a JSON object (line %d: %s)", h->name,
            je.line, je.text);
    json_object_set_new(res, "python_env", json_string(h->python_env));
    json_object_set_new(res, "pinned", json_boolean(env_python != NULL));
    if (env_error[0])
        json_object_set_new(res, "pyenv_error", json_string(env_error));
    free(out);
    free(args);
    free(env_python);
    return res;
}

/* The host named name in the configuration, or exit 2 naming those there are. */
static const struct host_cfg *find_host(const struct cfg *c, const char *name)
{
    for (int i = 0; i < c->nhosts; i++)
        if (!strcmp(c->hosts[i].name, name))
            return &c->hosts[i];
    struct buf b;
    buf_init(&b, 4096);
    for (int i = 0; i < c->nhosts; i++)
        buf_printf(&b, "%s%s", i ? ", " : "", c->hosts[i].name);
    buf_add(&b, "", 0);
    die_code(2, "explain: no host '%s' in %s (its hosts: %s)", name,
             c->path ? c->path : "the default configuration", b.data ? b.data : "none");
    return NULL;
}

/* What was seen, classified, with the notes a reader needs. */
static json_t *explain_result(json_t *res, const struct explain_opts *o, const char *host,
                              int remote)
{
    json_t *notes = json_array();
    char where[200] = "";
    if (remote)
        snprintf(where, sizeof where, " on %s", host);
    int python = json_is_true(json_object_get(res, "python"));
    const char *sampler = json_string_value(json_object_get(res, "sampler"));
    if (python && json_is_string(json_object_get(res, "pyenv_error")))
        note(notes, "the program ran with %s's own python, not the pinned environment: %s",
             host, str(res, "pyenv_error"));
    if (python && json_is_null(json_object_get(res, "pyspy"))) {
        if (remote)
            note(notes, "py-spy not found on %s, so no Python lines: it comes with the pinned "
                        "environment (requirements.txt), which hotpath builds there once "
                        "unless the host's \"python_env\" is \"system\" (it is \"%s\"); "
                        "else on %s `pip install py-spy==%s` for the python it ran with (%s)",
                 host, str(res, "python_env"), host, PYSPY_PIN,
                 *str(res, "interpreter") ? str(res, "interpreter") : "none found");
        else
            note(notes, "py-spy not found, so no Python lines: it comes with the pinned "
                        "environment (make deps); elsewhere `pip install py-spy==%s`, or set "
                        "HOTPATH_PYSPY", PYSPY_PIN);
    }
    if (json_is_string(json_object_get(res, "sampler_error")))
        note(notes, "%s", str(res, "sampler_error"));
    struct explain_times t = {num(res, "wall_s"), num(res, "user_s"),
                              num(res, "sys_s")};
    struct explain x;
    explain_init(&x);
    const char *base = strrchr(o->argv[0], '/');
    base = base ? base + 1 : o->argv[0];
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(res, "lines"), i, l) {
        if (sampler && !strcmp(sampler, "perf"))
            explain_add_perf(&x, json_string_value(l), base);
        else
            explain_add_pyspy(&x, json_string_value(l));
    }
    if (sampler && !strcmp(sampler, "py-spy")) {
        /* a program gone before py-spy looked is too short, not broken */
        const char *log = str(res, "sampler_log");
        if (x.samples == 0 && (t.wall_s > 1.0 || strstr(log, "ermission") ||
                               strstr(log, "not permitted")))
            pyspy_failed(res, where, notes);
    } else if (sampler) {
        note(notes, "CPU times include perf's own, which started the program");
        if (x.samples == 0)
            note(notes, "perf saw no samples%s%.200s", *str(res, "sampler_log") ? ": " : "",
                 str(res, "sampler_log"));
        if (!python)
            note(notes, "not a Python program (if it starts one, give --subprocesses): perf "
                        "sees native code only, so no Python lines");
    } else if (!python) {
        note(notes, "no sampler%s: perf is not installed (Debian: apt-get install linux-perf), "
                    "so only CPU, kernel and waiting times are known", where);
    }
    x.sampler = sampler;
    if (sampler && x.samples - x.part[EXPLAIN_STARTUP] < MIN_SAMPLES)
        note(notes, "only %ld samples of the hot path (under %d): the shares are rough; give "
                    "the program a larger input, or raise --rate",
             x.samples - x.part[EXPLAIN_STARTUP], MIN_SAMPLES);
    if (x.bad)
        note(notes, "%ld sample lines did not parse", x.bad);
    if (json_integer_value(json_object_get(res, "lines_dropped")) > 0)
        note(notes, "%lld sample lines over the cap were left out",
             (long long)json_integer_value(json_object_get(res, "lines_dropped")));
    double load = num(res, "load_avg");
    long cores = (long)json_integer_value(json_object_get(res, "cores"));
    if (cores > 0 && load > (double)cores)
        note(notes, "%s was busy (load average %.1f on %ld cores): part of the waiting is "
                    "waiting for a core", remote ? host : "this machine", load, cores);

    json_t *s = explain_summary(&x, &t, o->top);
    explain_free(&x);
    char *cmdline = command_line(o->argv);
    json_object_set_new(s, "command", json_string(cmdline));
    free(cmdline);
    json_object_set_new(s, "host", json_string(host));
    json_object_set(s, "dir", json_object_get(res, "dir"));
    if (remote)
        json_object_set(s, "interpreter", json_object_get(res, "interpreter"));
    json_object_set_new(s, "rate", json_integer(o->rate));
    json_object_set_new(s, "threads", o->threads ? json_integer(o->threads) : json_null());
    json_t *code = json_object_get(res, "exit_code"), *sig = json_object_get(res, "signal");
    json_object_set(s, "exit_code", code ? code : json_null());
    if (json_is_integer(sig))
        note(notes, "the program was killed by signal %lld", (long long)json_integer_value(sig));
    else if (json_integer_value(code) != 0)
        note(notes, "the program exited with status %lld", (long long)json_integer_value(code));
    json_object_set_new(s, "notes", notes);
    return s;
}

static const char *short_name(const char *s, const char *dir)
{
    size_t n = strlen(dir);
    if (n > 1 && !strncmp(s, dir, n) && s[n] == '/')
        return s + n + 1;
    const char *sp = strstr(s, "-packages/");
    if (sp && !strchr(s, ' '))
        return sp + 10;
    if (sp && sp < strchr(s, ' '))
        return sp + 10;
    return s;
}

static void print_pct_list(const char *title, json_t *a, int top, const char *dir)
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
               short_name(json_string_value(json_object_get(v, "name")), dir));
    }
}

static void print_text(json_t *s)
{
    const char *dir = str(s, "dir");
    json_t *sh = json_object_get(s, "shares");
    printf("explain: %s\n", json_string_value(json_object_get(s, "command")));
    if (json_is_string(json_object_get(s, "interpreter")))
        printf("  on %s, in %s, python %s\n", str(s, "host"), dir, str(s, "interpreter"));
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
                       json_object_get(s, "lines"), 8, dir);
        json_array_foreach(json_object_get(s, "libraries"), i, l) {
            if (i >= 4)
                break;
            char t[200];
            snprintf(t, sizeof t, "top functions in %s:",
                     json_string_value(json_object_get(l, "name")));
            print_pct_list(t, json_object_get(l, "top"), 5, dir);
            print_pct_list("  called from:", json_object_get(l, "called_from"), 3, dir);
        }
        print_pct_list("top libc/libm functions:", json_object_get(s, "libc_top"), 3, dir);
        print_pct_list("top kernel functions:", json_object_get(s, "kernel_top"), 3, dir);
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
            printf("    %s (%.1f %%)\n", short_name(json_string_value(json_object_get(v, "name")), dir),
                   100 * num(v, "share"));
        }
    }
    if (!strcmp(mode, "interpreter")) {
        printf("  a rewrite would target:\n");
        json_t *v;
        json_array_foreach(json_object_get(s, "lines"), i, v) {
            if (i >= 5)
                break;
            printf("    %s (%.1f %%)\n", short_name(json_string_value(json_object_get(v, "name")), dir),
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
    json_t *res;
    const char *host = "local";
    struct cfg c;
    int have_cfg = 0;
    struct err e = {0};
    if (o.host) {
        if (hp_load_config(&c, &e) < 0)
            die_code(2, "explain: %s", e.msg);
        have_cfg = 1;
        const struct host_cfg *h = find_host(&c, o.host);
        host = h->name;
        res = sample_on_host(&o, h, &c);
    } else {
        res = sample_here(&o);
    }
    json_t *s = explain_result(res, &o, host, o.host != NULL);
    json_t *code = json_object_get(res, "exit_code");
    int rc = json_is_integer(code) && json_integer_value(code) == 0 ? 0 : 1;
    json_decref(res);

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
    json_decref(s);
    if (have_cfg)
        cfg_free(&c);
    return rc;
}

/* The controller's part of a host's Python environment: which wheels the
 * host needs (from what its interpreter says), fetched once by pip into
 * the cache here, pushed, and the agent asked to build from them. */
#include "pyenv.h"
#include "cfg.h"
#include "hotpath.h"
#include "transport.h"
#include "../common/buf.h"
#include "../common/clock.h"
#include "../common/err.h"
#include "../common/fs.h"
#include "../common/proc.h"
#include "../common/sha256.h"
#include "../common/xmalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Two hosts of one platform fetch once: the second waits for the first. */
static pthread_mutex_t fetch_lock = PTHREAD_MUTEX_INITIALIZER;

struct words {
    char **w;
    size_t n, cap;
};

static void add(struct words *w, char *s)
{
    if (w->n + 2 > w->cap)
        w->w = xrealloc(w->w, (w->cap = w->cap * 2 + 16) * sizeof *w->w);
    w->w[w->n++] = s;
    w->w[w->n] = NULL;
}

void pyenv_free_words(char **w)
{
    for (size_t i = 0; w && w[i]; i++)
        free(w[i]);
    free(w);
}

char **pyenv_pip_target(json_t *interp, struct err *e)
{
    const char *os = json_string_value(json_object_get(interp, "os")) ?: "";
    const char *mach = json_string_value(json_object_get(interp, "machine")) ?: "";
    const char *libc = json_string_value(json_object_get(interp, "libc")) ?: "";
    const char *libc_v = json_string_value(json_object_get(interp, "libc_version")) ?: "";
    const char *mac_v = json_string_value(json_object_get(interp, "mac_version")) ?: "";
    const char *ver = json_string_value(json_object_get(interp, "version")) ?: "";
    const char *impl = json_string_value(json_object_get(interp, "implementation")) ?: "";
    const char *abi = json_string_value(json_object_get(interp, "abi")) ?: "";
    int major, minor;
    if (sscanf(ver, "%d.%d", &major, &minor) != 2 || !*impl || !*abi || !*mach) {
        err_set(e, 1, "the interpreter's version, implementation or machine is unknown");
        return NULL;
    }
    struct words w = {0};
    /* pip expands neither manylinux_2_N nor musllinux tags to older
     * ones: every tag the host accepts is named. */
    const char *arch = !strcmp(mach, "amd64") ? "x86_64" : !strcmp(mach, "arm64") &&
                       !strcmp(os, "Linux") ? "aarch64" : mach;
    if (!strcmp(os, "Linux") && !strcmp(libc, "glibc")) {
        int gmaj, gmin;
        if (sscanf(libc_v, "%d.%d", &gmaj, &gmin) != 2 || gmaj != 2) {
            err_set(e, 1, "glibc version '%s' is not understood", libc_v);
            return NULL;
        }
        for (int v = gmin; v >= 17; v--) {
            add(&w, xstrdup("--platform"));
            add(&w, xasprintf("manylinux_2_%d_%s", v, arch));
        }
        if (gmin >= 17) {
            add(&w, xstrdup("--platform"));
            add(&w, xasprintf("manylinux2014_%s", arch));   /* pip adds 2010 and 1 */
        }
    } else if (!strcmp(os, "Linux")) {
        /* Not glibc: musl, the only other libc with wheels. */
        for (int v = 2; v >= 1; v--) {
            add(&w, xstrdup("--platform"));
            add(&w, xasprintf("musllinux_1_%d_%s", v, arch));
        }
    } else if (!strcmp(os, "Darwin")) {
        int mmaj = 0, mmin = 0;
        if (sscanf(mac_v, "%d.%d", &mmaj, &mmin) < 1 || mmaj < 10) {
            err_set(e, 1, "macOS version '%s' is not understood", mac_v);
            return NULL;
        }
        add(&w, xstrdup("--platform"));
        /* pip expands a macOS tag to every older version and universal2. */
        add(&w, xasprintf("macosx_%d_%d_%s", mmaj, mmaj >= 11 ? 0 : mmin, arch));
    } else if (!strcmp(os, "Windows")) {
        add(&w, xstrdup("--platform"));
        add(&w, xstrdup(!strcmp(arch, "x86_64") || !strcmp(arch, "AMD64") ? "win_amd64"
                        : !strcmp(arch, "ARM64") ? "win_arm64" : "win32"));
    } else {
        free(w.w);
        err_set(e, 1, "no wheels are published for %s %s", os, mach);
        return NULL;
    }
    add(&w, xstrdup("--python-version"));
    add(&w, xasprintf("%d.%d", major, minor));
    add(&w, xstrdup("--implementation"));
    add(&w, xstrdup(impl));
    add(&w, xstrdup("--abi"));
    add(&w, xstrdup(abi));
    return w.w;
}

static char *cache_root(void)
{
    const char *x = getenv("XDG_CACHE_HOME");
    if (x && *x)
        return xasprintf("%s/hotpath/wheels", x);
    const char *home = getenv("HOME");
    return xasprintf("%s/.cache/hotpath/wheels", home && *home ? home : "/tmp");
}

/* The pip this controller runs: its own .venv's, else python3's. */
static char *pip_python(void)
{
    char *venv = xasprintf("%s/.venv/bin/python", hp_root());
    if (access(venv, X_OK) == 0)
        return venv;
    free(venv);
    return xstrdup("python3");
}

char *pyenv_wheels(json_t *interp, const char *requirements, struct err *e)
{
    char **target = pyenv_pip_target(interp, e);
    if (!target)
        return NULL;
    char hex[65];
    unsigned long long bytes;
    if (sha256_file(requirements, hex, &bytes) < 0) {
        pyenv_free_words(target);
        err_set(e, 1, "%s: %s", requirements, strerror(errno));
        return NULL;
    }
    /* The key: the requirements and every word of the target. */
    struct sha256 s;
    unsigned char d[32];
    char key[65];
    sha256_init(&s);
    sha256_update(&s, hex, 64);
    for (char **w = target; *w; w++)
        sha256_update(&s, *w, strlen(*w) + 1);
    sha256_final(&s, d);
    sha256_hex(d, key);
    char *root = cache_root();
    const char *abi = json_string_value(json_object_get(interp, "abi"));
    char *dir = xasprintf("%s/%s-%s-%.16s", root, abi, target[1], key);
    char *done = xasprintf("%s/COMPLETE", dir);
    char *tmp = NULL, *py = NULL;
    struct proc_result r = {0};
    int ok = 0;
    pthread_mutex_lock(&fetch_lock);
    if (access(done, F_OK) == 0) {
        ok = 1;
        goto out;
    }
    tmp = xasprintf("%s.tmp-%d", dir, (int)getpid());
    if (fs_mkdirs(tmp) < 0) {
        err_set(e, 1, "wheel cache: cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    py = pip_python();
    struct words argv = {0};
    static const char *const head[] = {"-m", "pip", "download", "--only-binary=:all:",
                                       "--disable-pip-version-check", "-q", "-d", NULL};
    add(&argv, xstrdup(py));
    for (const char *const *h = head; *h; h++)
        add(&argv, xstrdup(*h));
    add(&argv, xstrdup(tmp));
    add(&argv, xstrdup("-r"));
    add(&argv, xstrdup(requirements));
    for (char **w = target; *w; w++)
        add(&argv, xstrdup(*w));
    info("fetching the wheels of %s for %s %s (%s)", requirements, abi, target[1], dir);
    struct proc_opts o = {.argv = argv.w, .timeout_s = 1800, .grace_s = 2, .out_cap = 1 << 16,
                          .err_cap = 1 << 20};
    int rc = proc_run(&o, &r, e);
    pyenv_free_words(argv.w);
    if (rc < 0)
        goto out;
    if (r.exec_errno || r.timed_out || !r.exited || r.exit_code != 0) {
        char *why = r.exec_errno ? xstrdup(strerror(r.exec_errno))
                    : r.timed_out ? xasprintf("no end after %.0f s", o.timeout_s)
                                  : proc_err_line(&r);
        err_set(e, 1, "pip download (%s -m pip) of %s for %s %s failed: %.300s", py,
                requirements, abi, target[1], *why ? why : "no reason given");
        free(why);
        goto out;
    }
    char *mark = xasprintf("%s/COMPLETE", tmp);
    FILE *f = fopen(mark, "w");
    if (f)
        fclose(f);
    free(mark);
    if (!f || rename(tmp, dir) < 0) {
        int en = errno;
        /* Another controller may have completed it meanwhile: as good. */
        if (!f || access(done, F_OK) != 0) {
            err_set(e, 1, "wheel cache: cannot complete %s: %s", dir, strerror(en));
            goto out;
        }
    }
    ok = 1;
out:
    pthread_mutex_unlock(&fetch_lock);
    proc_result_free(&r);
    if (tmp && access(tmp, F_OK) == 0)
        fs_rm_tree(tmp);        /* a failed fetch, or one completed by another */
    free(tmp);
    free(py);
    free(done);
    free(root);
    pyenv_free_words(target);
    if (!ok) {
        free(dir);
        return NULL;
    }
    return dir;
}

/* `hotpath-agent pyenv --requirements R --python P EXTRA...`: its JSON. */
static json_t *agent_pyenv(const struct host_cfg *h, const struct pyenv_io *io,
                           char *const *extra, struct err *e)
{
    char *args[16] = {"pyenv", "--python", (char *)(h->python ? h->python : "python3")};
    int n = 3;
    if (io->requirements) {
        args[n++] = "--requirements";
        args[n++] = (char *)io->requirements;
    }
    for (int i = 0; extra[i] && n < 14; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    char *out = NULL;
    if (io->agent(io->ctx, args, &out, e) < 0) {
        free(out);
        return NULL;
    }
    json_t *o = json_loads(out ? out : "", JSON_DISABLE_EOF_CHECK, NULL);
    free(out);
    if (!json_is_object(o)) {
        json_decref(o);
        err_set(e, 1, "%s: `hotpath-agent pyenv` did not answer JSON", h->name);
        return NULL;
    }
    return o;
}

static const char *state_of(json_t *o)
{
    return json_string_value(json_object_get(o, "state")) ?: "?";
}

static int python_of(const struct host_cfg *h, json_t *o, char **python, struct err *e)
{
    const char *py = json_string_value(json_object_get(o, "python"));
    if (!py || !*py)
        return err_set(e, 1, "%s: `hotpath-agent pyenv` named no python", h->name);
    *python = xstrdup(py);
    return 0;
}

int pyenv_provision(const struct host_cfg *h, const struct pyenv_io *io, char **python,
                    int *built, struct err *e)
{
    *python = NULL;
    *built = 0;
    if (!strcmp(h->python_env, "system"))
        return 0;
    char *check[] = {"--check", NULL};
    json_t *st = agent_pyenv(h, io, check, e);
    if (!st)
        return -1;
    int rc = -1;
    char *wheels = NULL, *remote = NULL;
    json_t *res = NULL;
    if (!strcmp(state_of(st), "ready")) {
        rc = python_of(h, st, python, e);
        goto out;
    }
    if (strcmp(state_of(st), "missing") != 0) {
        err_set(e, 1, "%s: no Python environment: %s", h->name,
                json_string_value(json_object_get(st, "why")) ?: state_of(st));
        goto out;
    }
    json_t *interp = json_object_get(st, "interpreter");
    double t0 = clock_now();
    if (!strcmp(h->python_env, "index")) {
        char *idx[] = {"--index", NULL};
        res = agent_pyenv(h, io, idx, e);
    } else {
        char *local = xasprintf("%s/requirements.txt", hp_root());
        wheels = pyenv_wheels(interp, local, e);
        free(local);
        if (!wheels) {
            char why[sizeof e->msg];
            snprintf(why, sizeof why, "%s", e->msg);
            err_set(e, 1, "%s: %s", h->name, why);
            goto out;
        }
        const char *base = strrchr(wheels, '/') + 1;
        if (io->push_dir && io->push_dir(io->ctx, wheels, base, &remote, e) < 0)
            goto out;       /* remote stays NULL when the host reads the cache itself */
        char *from[] = {"--wheels", remote ? remote : wheels, remote ? "--drop-wheels" : NULL,
                        NULL};
        res = agent_pyenv(h, io, from, e);
    }
    if (!res)
        goto out;
    if (strcmp(state_of(res), "built") && strcmp(state_of(res), "ready")) {
        err_set(e, 1, "%s: cannot build the Python environment: %s", h->name,
                json_string_value(json_object_get(res, "why")) ?: state_of(res));
        goto out;
    }
    if (python_of(h, res, python, e) < 0)
        goto out;
    *built = !strcmp(state_of(res), "built");
    if (*built)
        info("%s: built the Python environment %s (%s) in %.1f s", h->name,
             json_string_value(json_object_get(res, "env")),
             json_string_value(json_object_get(res, "source")), clock_now() - t0);
    rc = 0;
out:
    json_decref(st);
    json_decref(res);
    free(wheels);
    free(remote);
    return rc;
}

char *pyenv_describe(const struct host_cfg *h, const struct pyenv_io *io, const char **state)
{
    if (!strcmp(h->python_env, "system")) {
        *state = "system";
        return xasprintf("%s as it is", h->python ? h->python : "the bundle's default python");
    }
    struct err e = {0};
    char *check[] = {"--check", NULL};
    json_t *st = agent_pyenv(h, io, check, &e);
    if (!st) {
        *state = "unknown";
        return xstrdup(e.msg);
    }
    char *s;
    const char *got = state_of(st);
    json_t *in = json_object_get(st, "interpreter");
    if (!strcmp(got, "ready")) {
        *state = "ready";
        struct buf b;
        buf_init(&b, 1 << 16);
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(st, "packages"), k, v)
            buf_printf(&b, "%s %s, ", k, json_string_value(v) ?: "?");
        buf_printf(&b, "in %s", json_string_value(json_object_get(st, "env")) ?: "?");
        s = buf_detach(&b);
    } else if (!strcmp(got, "missing")) {
        *state = "to build";
        s = xasprintf("from %s (Python %s) by the next sweep, %s",
                      json_string_value(json_object_get(in, "executable")) ?: "?",
                      json_string_value(json_object_get(in, "version")) ?: "?",
                      !strcmp(h->python_env, "push") ? "with wheels fetched here and pushed"
                                                      : "with the host's own index");
    } else {
        *state = "cannot build";
        s = xstrdup(json_string_value(json_object_get(st, "why")) ?: got);
    }
    json_decref(st);
    return s;
}

/* 1 for an engine that runs with {python} and needs the pinned libraries. */
static int needs_env(json_t *eng)
{
    const char *a0 = json_string_value(json_array_get(json_object_get(eng, "argv"), 0));
    return json_is_true(json_object_get(eng, "library")) && a0 && !strcmp(a0, "{python}");
}

int pyenv_needed(json_t *plan)
{
    size_t i;
    json_t *eng;
    json_array_foreach(json_object_get(plan, "engines"), i, eng)
        if (needs_env(eng))
            return 1;
    return 0;
}

int pyenv_plan(const struct host_cfg *h, const struct pyenv_io *io, json_t *plan)
{
    if (!pyenv_needed(plan) || !strcmp(h->python_env, "system"))
        return 0;
    char *python = NULL;
    int built;
    struct err e = {0};
    if (pyenv_provision(h, io, &python, &built, &e) == 0) {
        json_object_set_new(plan, "python", json_string(python));
        free(python);
        return 0;
    }
    /* The other engines still run; these say why they do not. */
    warning("%s; its NumPy, Polars and DuckDB runs are skipped", e.msg);
    char *why = xasprintf("no Python environment of the pinned requirements.txt "
                          "(python_env %s): %s", h->python_env, e.msg);
    size_t i;
    json_t *eng;
    json_array_foreach(json_object_get(plan, "engines"), i, eng)
        if (needs_env(eng))
            json_object_set_new(eng, "skip", json_string(why));
    free(why);
    return -1;
}

static int link_agent(void *ctx, char *const *args, char **out, struct err *e)
{
    return transport_run(ctx, args, 8 << 20, out, e);
}

static int link_put_dir(void *ctx, const char *dir, const char *name, char **remote,
                        struct err *e)
{
    struct host_link *l = ctx;
    *remote = NULL;
    return l->t->put_dir ? l->t->put_dir(l->c, dir, name, remote, e) : 0;
}

void pyenv_link_io(struct host_link *l, struct pyenv_io *io)
{
    *io = (struct pyenv_io){.ctx = l, .agent = link_agent, .push_dir = link_put_dir};
}

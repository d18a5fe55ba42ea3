/* Classifying samples by their innermost frame, and the verdict. */
#include "explain.h"
#include "../common/xmalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A counter keeps at most this many names; the rest add up in "(other)". */
#define COUNTER_MAX 4096
#define NAME_MAX_LEN 1024

static void count_add(struct explain_counter *c, const char *name, size_t len, long n)
{
    if (len > NAME_MAX_LEN)
        len = NAME_MAX_LEN;
    for (size_t i = 0; i < c->len; i++)
        if (strlen(c->v[i].name) == len && !memcmp(c->v[i].name, name, len)) {
            c->v[i].n += n;
            return;
        }
    if (c->len >= COUNTER_MAX) {
        name = "(other)";
        len = strlen(name);
        for (size_t i = 0; i < c->len; i++)
            if (!strcmp(c->v[i].name, name)) {
                c->v[i].n += n;
                return;
            }
    }
    if (c->len == c->alloc) {
        c->alloc = c->alloc ? c->alloc * 2 : 16;
        c->v = xrealloc(c->v, c->alloc * sizeof *c->v);
    }
    char *s = xmalloc(len + 1);
    memcpy(s, name, len);
    s[len] = '\0';
    c->v[c->len++] = (struct explain_count){s, n};
}

static void counter_free(struct explain_counter *c)
{
    for (size_t i = 0; i < c->len; i++)
        free(c->v[i].name);
    free(c->v);
    memset(c, 0, sizeof *c);
}

void explain_init(struct explain *x)
{
    memset(x, 0, sizeof *x);
}

void explain_free(struct explain *x)
{
    for (size_t i = 0; i < x->nlibs; i++) {
        free(x->libs[i].name);
        counter_free(&x->libs[i].funcs);
        counter_free(&x->libs[i].callers);
    }
    free(x->libs);
    counter_free(&x->lines);
    counter_free(&x->libc);
    memset(x, 0, sizeof *x);
}

static struct explain_lib *lib_get(struct explain *x, const char *name)
{
    for (size_t i = 0; i < x->nlibs; i++)
        if (!strcmp(x->libs[i].name, name))
            return &x->libs[i];
    x->libs = xrealloc(x->libs, (x->nlibs + 1) * sizeof *x->libs);
    struct explain_lib *l = &x->libs[x->nlibs++];
    memset(l, 0, sizeof *l);
    l->name = xstrdup(name);
    return l;
}

static int starts(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

/* CPython's own extension modules (lib-dynload): the runtime, not a library
 * a user chose. */
static const char *const stdlib_ext[] = {
    "_csv", "_json", "_pickle", "_struct", "math", "cmath", "_datetime", "_decimal",
    "_heapq", "_bisect", "_random", "array", "select", "_socket", "zlib", "_bz2", "_lzma",
    "_hashlib", "_sha1", "_sha2", "_sha256", "_sha512", "_sha3", "_md5", "_blake2",
    "unicodedata", "_ctypes", "_multiprocessing", "_posixsubprocess", "_statistics",
    "_elementtree", "pyexpat", "_sqlite3", "_ssl", "binascii", "fcntl", "mmap", "_queue",
    "_opcode", "_contextvars", "_asyncio", "_zoneinfo", "_uuid", "_lsprof", "grp",
    "termios", "resource", "_multibytecodec", "_codecs_cn", "_codecs_jp", "_codecs_kr",
    "_codecs_tw", "_codecs_hk", "_codecs_iso2022", "_typing", "_posixshmem", "_curses",
    "readline", "_crypt", "audioop", "xxlimited", "_testcapi",
};

/* Packages whose files carry another name than the library people know. */
static const struct { const char *prefix, *lib; } known_libs[] = {
    {"_polars_runtime", "polars"}, {"polars", "polars"}, {"_duckdb", "duckdb"},
    {"duckdb", "duckdb"}, {"pyarrow", "pyarrow"}, {"numpy", "numpy"}, {"pandas", "pandas"},
    {"scipy", "scipy"}, {"sklearn", "scikit-learn"}, {"scikit_learn", "scikit-learn"},
    {"torch", "torch"}, {"numexpr", "numexpr"}, {"numba", "numba"}, {"llvmlite", "numba"},
    {"datafusion", "datafusion"}, {"pyspark", "pyspark"},
};

const char *explain_library(const char *path, char *out, size_t n, enum explain_part *part)
{
    *part = EXPLAIN_NATIVE;
    if (starts(path, "[vdso]")) {
        *part = EXPLAIN_LIBC;
        snprintf(out, n, "libc");
        return out;
    }
    if (path[0] == '[') {
        *part = EXPLAIN_KERNEL;
        snprintf(out, n, "kernel");
        return out;
    }
    if (!path[0] || !strcmp(path, "?") || !strcmp(path, "[unknown]")) {
        snprintf(out, n, "(unknown)");
        return out;
    }
    if (strstr(path, "lib-dynload/")) {
        *part = EXPLAIN_RUNTIME;
        snprintf(out, n, "python");
        return out;
    }
    /* a package's path below site-packages, else the file's name */
    const char *rel = strstr(path, "site-packages/");
    if (!rel)
        rel = strstr(path, "dist-packages/");
    if (rel) {
        rel = strchr(rel, '/') + 1;
    } else if (path[0] == '/') {
        rel = strrchr(path, '/') + 1;
    } else {
        rel = path;     /* py-spy's short form: the path below site-packages */
    }
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    if (starts(base, "libpython") || starts(base, "pypy") ||
        (starts(base, "python") && !strstr(base, ".so"))) {
        *part = EXPLAIN_RUNTIME;
        snprintf(out, n, "python");
        return out;
    }
    static const char *const libc[] = {"libc.", "libc-", "libpthread", "ld-linux", "ld64.so",
        "libdl.", "librt.", "libresolv", "libsystem_", "libdyld"};
    static const char *const libm[] = {"libm.", "libm-", "libmvec"};
    for (size_t i = 0; i < sizeof libm / sizeof libm[0]; i++)
        if (starts(base, libm[i])) {
            *part = EXPLAIN_LIBC;
            snprintf(out, n, "libm");
            return out;
        }
    for (size_t i = 0; i < sizeof libc / sizeof libc[0]; i++)
        if (starts(base, libc[i])) {
            *part = EXPLAIN_LIBC;
            snprintf(out, n, "libc");
            return out;
        }
    size_t top = strcspn(rel, "/");         /* the package folder, or the file */
    size_t stem = strcspn(rel, "./");
    for (size_t i = 0; i < sizeof known_libs / sizeof known_libs[0]; i++)
        if (starts(rel, known_libs[i].prefix)) {
            snprintf(out, n, "%s", known_libs[i].lib);
            return out;
        }
    if (top == strlen(rel) && strstr(rel, ".cpython-"))
        for (size_t i = 0; i < sizeof stdlib_ext / sizeof stdlib_ext[0]; i++)
            if (strlen(stdlib_ext[i]) == stem && !strncmp(rel, stdlib_ext[i], stem)) {
                *part = EXPLAIN_RUNTIME;
                snprintf(out, n, "python");
                return out;
            }
    /* libfoo.so.6 -> foo; _name.cpython-311-...so -> name; pkg/... -> pkg */
    const char *s = rel;
    size_t len = stem;
    if (top == strlen(rel) && starts(s, "lib") && len > 3 && strstr(s, ".so")) {
        s += 3;
        len -= 3;
    }
    while (len > 1 && *s == '_') {
        s++;
        len--;
    }
    if (len == 0) {
        s = base;
        len = strlen(base);
    }
    if (len >= n)
        len = n - 1;
    memcpy(out, s, len);
    out[len] = '\0';
    return out;
}

/* A frame: NAME (LOC). LOC is "file:line" for Python and for native code
 * with debug information, or a shared object's name. */
struct frame {
    const char *name, *loc;
    size_t name_len, loc_len;
};

enum frame_kind { FRAME_PYTHON, FRAME_SOURCE, FRAME_LIB };

static int split_frame(const char *s, size_t len, struct frame *f)
{
    if (len < 4 || s[len - 1] != ')')
        return -1;
    /* the last " (" whose parenthesis closes at the end */
    size_t depth = 0, i = len - 1;
    for (;; i--) {
        if (s[i] == ')')
            depth++;
        else if (s[i] == '(' && --depth == 0)
            break;
        if (i == 0)
            return -1;
    }
    if (i < 1 || s[i - 1] != ' ')
        return -1;
    f->name = s;
    f->name_len = i - 1;
    f->loc = s + i + 1;
    f->loc_len = len - i - 2;
    return 0;
}

static int ends_with(const char *s, size_t len, const char *suffix)
{
    size_t k = strlen(suffix);
    return len >= k && !memcmp(s + len - k, suffix, k);
}

static enum frame_kind frame_kind(const struct frame *f, size_t *file_len)
{
    const char *l = f->loc;
    size_t n = f->loc_len, i = n;
    while (i > 0 && isdigit((unsigned char)l[i - 1]))
        i--;
    if (i == n || i == 0 || l[i - 1] != ':')
        return FRAME_LIB;
    *file_len = i - 1;
    if (l[0] == '<' || ends_with(l, i - 1, ".py") || ends_with(l, i - 1, ".pyw"))
        return FRAME_PYTHON;
    return FRAME_SOURCE;
}

static int blocking(const struct frame *f)
{
    static const char *const words[] = {"futex", "cond_wait", "cond_timedwait", "sem_wait",
        "sem_timedwait", "sem_clockwait", "nanosleep", "epoll_wait", "epoll_pwait", "poll",
        "select", "accept", "recv", "waitpid", "wait4", "waitid", "syscall", "lll_lock_wait",
        "pthread_join", "pause", "sigtimedwait", "sigsuspend", "clock_wait", "sched_yield"};
    char name[128];
    size_t n = f->name_len < sizeof name - 1 ? f->name_len : sizeof name - 1;
    memcpy(name, f->name, n);
    name[n] = '\0';
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strstr(name, words[i]))
            return 1;
    return 0;
}

static void lib_of(const struct frame *f, char *out, size_t n, enum explain_part *part)
{
    char path[512];
    size_t k = f->loc_len < sizeof path - 1 ? f->loc_len : sizeof path - 1;
    memcpy(path, f->loc, k);
    path[k] = '\0';
    explain_library(path, out, n, part);
}

/* "file:line in func" of a Python frame. */
static void line_key(const struct frame *f, char *out, size_t n)
{
    const char *file = f->loc;
    size_t flen = f->loc_len;
    snprintf(out, n, "%.*s in %.*s", (int)flen, file, (int)f->name_len, f->name);
}

static int is_hex_name(const struct frame *f)
{
    return f->name_len > 2 && f->name[0] == '0' && f->name[1] == 'x';
}

static void func_key(const struct frame *f, char *out, size_t n, const char *lib)
{
    if (is_hex_name(f))
        snprintf(out, n, "(no symbol in %s)", lib);
    else
        snprintf(out, n, "%.*s", (int)f->name_len, f->name);
}

int explain_add_pyspy(struct explain *x, const char *line)
{
    x->sampler = "py-spy";
    size_t len = strcspn(line, "\r\n");
    while (len > 0 && line[len - 1] == ' ')
        len--;
    size_t sp = len;
    while (sp > 0 && line[sp - 1] != ' ')
        sp--;
    if (sp == 0 || sp == len) {
        x->bad++;
        return -1;
    }
    char *end;
    long count = strtol(line + sp, &end, 10);
    if (end != line + len || count <= 0) {
        x->bad++;
        return -1;
    }
    len = sp - 1;
    /* frames, outermost first */
    enum { MAXF = 512 };
    struct frame fr[MAXF];
    size_t nf = 0, start = 0;
    int startup = 0;
    for (size_t i = 0; i <= len; i++) {
        /* --subprocesses: a process "frame", whose command line may hold ';' */
        if (i == start && len - i > 10 && !memcmp(line + i, "process ", 8)) {
            const char *q = memchr(line + i, '"', len - i);
            const char *close = q ? strstr(q + 1, "\";") : NULL;
            if (close && close < line + len) {
                i = (size_t)(close - line) + 1;
                start = i + 1;
                continue;
            }
        }
        if (i < len && line[i] != ';')
            continue;
        if (i > start) {
            struct frame f;
            if (split_frame(line + start, i - start, &f) < 0) {
                x->bad++;
                return -1;
            }
            if (f.loc_len > 26 && !memcmp(f.loc, "<frozen importlib._bootstrap", 28))
                startup = 1;
            if (nf == MAXF)
                memmove(fr, fr + 1, (MAXF - 1) * sizeof *fr);   /* keep the innermost */
            else
                nf++;
            fr[nf - 1] = f;
        }
        start = i + 1;
    }
    if (nf == 0) {
        x->bad++;
        return -1;
    }
    x->samples += count;
    if (startup) {
        x->part[EXPLAIN_STARTUP] += count;
        return 0;
    }
    /* the nearest Python frame, from the innermost out */
    const struct frame *py = NULL;
    size_t flen;
    for (size_t i = nf; i-- > 0;)
        if (frame_kind(&fr[i], &flen) == FRAME_PYTHON) {
            py = &fr[i];
            break;
        }
    char key[NAME_MAX_LEN + 64], lib[128];
    /* a frame py-spy could not place (no file, no library) says nothing: its
     * caller is where the sample is */
    while (nf > 1 && fr[nf - 1].loc_len == 1 && fr[nf - 1].loc[0] == '?')
        nf--;
    const struct frame *in = &fr[nf - 1];
    enum frame_kind k = frame_kind(in, &flen);
    enum explain_part part = EXPLAIN_RUNTIME;
    if (k == FRAME_PYTHON)
        part = EXPLAIN_PYTHON;
    else if (k == FRAME_LIB)
        lib_of(in, lib, sizeof lib, &part);
    if (!py && (part == EXPLAIN_RUNTIME || part == EXPLAIN_LIBC)) {
        /* no Python frame at all: the interpreter starting or shutting down */
        x->part[EXPLAIN_STARTUP] += count;
        return 0;
    }
    if (part == EXPLAIN_LIBC && blocking(in)) {
        /* a thread waiting: on the library that made it wait, if any */
        part = EXPLAIN_BLOCKED;
        for (size_t i = nf - 1; i-- > 0;) {
            enum explain_part p2 = EXPLAIN_RUNTIME;
            enum frame_kind k2 = frame_kind(&fr[i], &flen);
            if (k2 == FRAME_LIB)
                lib_of(&fr[i], lib, sizeof lib, &p2);
            if (p2 == EXPLAIN_LIBC)
                continue;
            if (p2 == EXPLAIN_NATIVE) {
                struct explain_lib *l = lib_get(x, lib);
                l->n += count;
                l->waiting += count;
                func_key(&fr[i], key, sizeof key, lib);
                count_add(&l->funcs, key, strlen(key), count);
                if (py) {
                    line_key(py, key, sizeof key);
                    count_add(&l->callers, key, strlen(key), count);
                }
                x->part[EXPLAIN_NATIVE] += count;
                return 0;
            }
            break;
        }
        x->part[EXPLAIN_BLOCKED] += count;
        return 0;
    }
    x->part[part] += count;
    switch (part) {
    case EXPLAIN_PYTHON:
    case EXPLAIN_RUNTIME:
        if (py) {
            line_key(py, key, sizeof key);
            count_add(&x->lines, key, strlen(key), count);
        }
        break;
    case EXPLAIN_NATIVE: {
        struct explain_lib *l = lib_get(x, lib);
        l->n += count;
        func_key(in, key, sizeof key, lib);
        count_add(&l->funcs, key, strlen(key), count);
        if (py) {
            line_key(py, key, sizeof key);
            count_add(&l->callers, key, strlen(key), count);
        }
        break;
    }
    case EXPLAIN_LIBC:
        func_key(in, key, sizeof key, lib);
        count_add(&x->libc, key, strlen(key), count);
        break;
    default:
        break;
    }
    return 0;
}

int explain_add_perf(struct explain *x, const char *line, const char *prog)
{
    x->sampler = "perf";
    size_t len = strcspn(line, "\r\n");
    while (len > 0 && line[len - 1] == ' ')
        len--;
    const char *s = line;
    while (*s == ' ' || *s == '\t')
        s++;
    /* ADDR SYMBOL (DSO) */
    const char *sym = s + strspn(s, "0123456789abcdefABCDEF");
    if (sym == s || (*sym != ' ' && *sym != '\t')) {
        x->bad++;
        return -1;
    }
    while (*sym == ' ' || *sym == '\t')
        sym++;
    struct frame f;
    if (split_frame(sym, (size_t)(line + len - sym), &f) < 0) {
        x->bad++;
        return -1;
    }
    char path[512], lib[128], key[NAME_MAX_LEN + 64];
    snprintf(path, sizeof path, "%.*s", (int)f.loc_len, f.loc);
    enum explain_part part;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (prog && !strcmp(base, prog)) {
        part = EXPLAIN_NATIVE;
        snprintf(lib, sizeof lib, "%s", prog);
    } else {
        explain_library(path, lib, sizeof lib, &part);
    }
    x->samples++;
    x->part[part]++;
    int nosym = f.name_len == 0 || (f.name_len == 9 && !memcmp(f.name, "[unknown]", 9));
    if (nosym)
        snprintf(key, sizeof key, "(no symbol in %s)", lib);
    else
        func_key(&f, key, sizeof key, lib);
    if (part == EXPLAIN_NATIVE || part == EXPLAIN_KERNEL) {
        struct explain_lib *l = lib_get(x, lib);
        l->n++;
        count_add(&l->funcs, key, strlen(key), 1);
    } else if (part == EXPLAIN_LIBC) {
        count_add(&x->libc, key, strlen(key), 1);
    } else if (part == EXPLAIN_RUNTIME) {
        count_add(&x->lines, key, strlen(key), 1);
    }
    return 0;
}

static int by_count(const void *a, const void *b)
{
    const struct explain_count *x = a, *y = b;
    return (y->n > x->n) - (y->n < x->n);
}

/* The top entries of a counter as [{"name", "share"}], share of total. */
static json_t *top_of(const struct explain_counter *c, long total, int top)
{
    json_t *a = json_array();
    struct explain_count *v = xmalloc((c->len + 1) * sizeof *v);
    if (c->len) {
        memcpy(v, c->v, c->len * sizeof *v);
        qsort(v, c->len, sizeof *v, by_count);
    }
    for (size_t i = 0; i < c->len && (int)i < top; i++)
        json_array_append_new(a, json_pack("{s:s, s:f}", "name", v[i].name, "share",
                                           total > 0 ? (double)v[i].n / (double)total : 0.0));
    free(v);
    return a;
}

static int by_lib(const void *a, const void *b)
{
    const struct explain_lib *x = a, *y = b;
    return (y->n > x->n) - (y->n < x->n);
}

static int query_lib(const char *name)
{
    static const char *const q[] = {"polars", "duckdb", "pyarrow", "pandas", "datafusion",
                                    "pyspark", "sqlite3"};
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++)
        if (!strcmp(name, q[i]))
            return 1;
    return 0;
}

const char *explain_mode_name(enum explain_mode m)
{
    switch (m) {
    case EXPLAIN_MODE_QUERY: return "native-backed query";
    case EXPLAIN_MODE_NUMERIC: return "vectorised or parallel numerical work";
    case EXPLAIN_MODE_INTERP: return "interpreter-bound custom logic";
    case EXPLAIN_MODE_PROGRAM: return "native program";
    default: return "unknown";
    }
}

static const char *mode_key(enum explain_mode m)
{
    switch (m) {
    case EXPLAIN_MODE_QUERY: return "query";
    case EXPLAIN_MODE_NUMERIC: return "numeric";
    case EXPLAIN_MODE_INTERP: return "interpreter";
    case EXPLAIN_MODE_PROGRAM: return "native";
    default: return "unknown";
    }
}

/* Below this many hot-path samples a verdict is a guess. */
#define MIN_VERDICT_SAMPLES 20

json_t *explain_summary(const struct explain *x, const struct explain_times *t, int top)
{
    long hot = x->samples - x->part[EXPLAIN_STARTUP];
    double h = hot > 0 ? (double)hot : 1.0;
    double cpu = t->user_s + t->sys_s;
    json_t *o = json_object();
    json_object_set_new(o, "sampler", x->sampler ? json_string(x->sampler) : json_null());
    json_object_set_new(o, "samples", json_integer(x->samples));
    json_object_set_new(o, "hot_samples", json_integer(hot));
    json_object_set_new(o, "startup_share", json_real(x->samples > 0 ?
        (double)x->part[EXPLAIN_STARTUP] / (double)x->samples : 0.0));
    json_object_set_new(o, "wall_s", json_real(t->wall_s));
    json_object_set_new(o, "user_s", json_real(t->user_s));
    json_object_set_new(o, "sys_s", json_real(t->sys_s));
    double wall = t->wall_s > 0 ? t->wall_s : 1e-9;
    json_object_set_new(o, "cores_busy", json_real(cpu / wall));
    json_object_set_new(o, "kernel_time_share", json_real(t->sys_s / wall));
    json_object_set_new(o, "waiting_share", json_real(cpu < wall ? (wall - cpu) / wall : 0));

    double interp = (double)(x->part[EXPLAIN_PYTHON] + x->part[EXPLAIN_RUNTIME]) / h;
    double native = (double)x->part[EXPLAIN_NATIVE] / h;
    double libc = (double)x->part[EXPLAIN_LIBC] / h;
    json_t *sh = json_object();
    json_object_set_new(sh, "interpreter", json_real(interp));
    json_object_set_new(sh, "python", json_real((double)x->part[EXPLAIN_PYTHON] / h));
    json_object_set_new(sh, "runtime", json_real((double)x->part[EXPLAIN_RUNTIME] / h));
    json_object_set_new(sh, "native", json_real(native));
    json_object_set_new(sh, "libc", json_real(libc));
    json_object_set_new(sh, "kernel", json_real((double)x->part[EXPLAIN_KERNEL] / h));
    json_object_set_new(sh, "blocked", json_real((double)x->part[EXPLAIN_BLOCKED] / h));
    json_object_set_new(o, "shares", sh);

    struct explain_lib *libs = xmalloc((x->nlibs + 1) * sizeof *libs);
    if (x->nlibs) {
        memcpy(libs, x->libs, x->nlibs * sizeof *libs);
        qsort(libs, x->nlibs, sizeof *libs, by_lib);
    }
    json_t *la = json_array();
    const struct explain_lib *lead_lib = NULL;
    for (size_t i = 0; i < x->nlibs; i++) {
        if (!strcmp(libs[i].name, "kernel")) {
            /* kernel code is not a library: its functions apart */
            json_object_set_new(o, "kernel_top", top_of(&libs[i].funcs, hot, top));
            continue;
        }
        if (!lead_lib)
            lead_lib = &libs[i];
        json_array_append_new(la, json_pack("{s:s, s:f, s:f, s:o, s:o}", "name", libs[i].name,
            "share", (double)libs[i].n / h, "waiting_share", (double)libs[i].waiting / h,
            "top", top_of(&libs[i].funcs, hot, top),
            "called_from", top_of(&libs[i].callers, hot, top)));
    }
    json_object_set_new(o, "libraries", la);
    json_object_set_new(o, "lines", top_of(&x->lines, hot, top));
    json_object_set_new(o, "libc_top", top_of(&x->libc, hot, top));

    /* the verdict */
    enum explain_mode m = EXPLAIN_MODE_NONE;
    const char *lead = lead_lib ? lead_lib->name : NULL;
    double lead_share = lead_lib ? (double)lead_lib->n / h : 0;
    char verdict[512], rewrite[512];
    if (!x->sampler || hot < MIN_VERDICT_SAMPLES) {
        snprintf(verdict, sizeof verdict, "too few samples (%ld) to tell where the time "
                 "goes", hot);
        snprintf(rewrite, sizeof rewrite, "unknown: run it on a larger input");
    } else if (!strcmp(x->sampler, "perf") && x->part[EXPLAIN_RUNTIME] * 2 < hot) {
        m = EXPLAIN_MODE_PROGRAM;
        snprintf(verdict, sizeof verdict, "a native program: %.0f %% in %s, %.0f %% in "
                 "libc/libm, %.0f %% in the kernel", 100 * lead_share, lead ? lead : "-",
                 100 * libc, 100.0 * (double)x->part[EXPLAIN_KERNEL] / h);
        snprintf(rewrite, sizeof rewrite, "no interpreter to remove: a rewrite would replace "
                 "native code with native code; look at its top functions");
    } else if (interp >= native + libc) {
        m = EXPLAIN_MODE_INTERP;
        snprintf(verdict, sizeof verdict, "interpreter-bound custom logic: %.0f %% of the "
                 "hot path runs Python lines and the CPython runtime", 100 * interp);
        snprintf(rewrite, sizeof rewrite, "replaces the bottleneck: a native rewrite does "
                 "the work of the lines below itself, and can pay several times over");
    } else {
        int q = lead && query_lib(lead);
        double cores = cpu / wall;
        m = q ? EXPLAIN_MODE_QUERY : EXPLAIN_MODE_NUMERIC;
        double in_lib = native + libc;
        snprintf(verdict, sizeof verdict, "%s: %.0f %% of the hot path runs in native code "
                 "(%s %.0f %%)%s", q ? "native-backed query" :
                 cores >= 1.5 ? "parallel numerical work" : "vectorised numerical work",
                 100 * in_lib, lead ? lead : "libc", 100 * (lead ? lead_share : libc),
                 cores >= 1.5 ? ", on several cores" : "");
        snprintf(rewrite, sizeof rewrite, "replaces the wrapper: the work already runs in "
                 "%s; a rewrite calling the same engine saves at most the other %.0f %% "
                 "(%.2fx at best)", lead ? lead : "native code", 100 * (1 - in_lib),
                 in_lib > 0 ? 1 / in_lib : 1.0);
    }
    json_object_set_new(o, "mode", json_string(mode_key(m)));
    json_object_set_new(o, "mode_name", json_string(explain_mode_name(m)));
    json_object_set_new(o, "verdict", json_string(verdict));
    json_object_set_new(o, "rewrite", json_string(rewrite));
    free(libs);
    return o;
}

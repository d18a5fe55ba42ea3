/* hotpath-agent run: a plan on stdin becomes runs. Every record goes to the
 * host's journal (synced) before it goes to stdout, so nothing measured is
 * lost when the controller goes away; `tail` replays the journal. */
#include "agent.h"
#include "plan.h"
#include "validate.h"
#include "../common/buf.h"
#include "../common/clock.h"
#include "../common/err.h"
#include "../common/fs.h"
#include "../common/proc.h"
#include "../common/sha256.h"
#include "../common/strset.h"
#include "../common/xmalloc.h"
#include "../workloads/gen/gen.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sys/file.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_PLAN (4 << 20)
#define ENGINE_OUT_CAP (1 << 20)
#define ENGINE_ERR_CAP 4096

struct engine {
    const char *name;
    const char *needs;      /* what the host lacks when the program is missing */
    json_t *argv;           /* templates with {bin}, {root}, {python} */
    json_t *tasks;
    char *skip_reason[8];   /* by task index: set once the engine said it cannot run */
};

struct job {
    const char *task;
    int task_idx;
    struct engine *eng;
    int threads;
    int repeat;
};

struct runner {
    const char *sweep, *python;
    char *data_dir;
    int jfd;                /* the journal, -1 before it is open */
    off_t jsize;            /* its length: everything up to here is whole records */
    const char *jpath;
    int stopping;           /* the journal failed: the last records are being written */
    long seq;
    int stdout_ok;
    double timeout_s;
    json_t *expected[8];
    char *expected_err[8];
    json_t *reference;      /* the engine whose results are the expected ones */
    char ref_key[65];       /* what the cached expected results were made from */
    json_t *tasks;
    int detached;           /* the journal is the only output */
};

/* Bytes kept allocated past the journal's end, so the records saying the
 * disk is full still fit on a full disk. */
#define JOURNAL_RESERVE (64 << 10)

static int journal_reserve(struct runner *r)
{
#ifdef FALLOC_FL_KEEP_SIZE
    if (fallocate(r->jfd, FALLOC_FL_KEEP_SIZE, r->jsize, JOURNAL_RESERVE) == 0 ||
        errno == EOPNOTSUPP || errno == ENOSYS)
        return 0;
    return -1;
#else
    (void)r;
    return 0;
#endif
}

/* One whole record, synced; on any failure the journal is cut back to
 * where the record began, so no partial line is left to be glued to the
 * next one. */
static int journal_write(struct runner *r, const char *line, size_t n)
{
    for (size_t off = 0; off < n;) {
        ssize_t w = write(r->jfd, line + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            goto fail;
        off += (size_t)w;
    }
    if (fsync(r->jfd) < 0)
        goto fail;
    r->jsize += (off_t)n;
    return 0;
fail:;
    int err = errno ? errno : EIO;
    if (ftruncate(r->jfd, r->jsize) < 0) {
        /* nothing more can be done; tail never passes a line without '\n' */
    }
    errno = err;
    return -1;
}

static void emit(struct runner *r, json_t *msg);

/* The journal cannot take more: say so (in the reserve when the disk is
 * full), end the run as failed, and stop. */
static void journal_stop(struct runner *r, int err, int written)
{
    if (r->stopping)
        return;
    r->stopping = 1;
    char msg[1024];
    snprintf(msg, sizeof msg, "journal %s: %s%s; the run stops here (every record before this "
             "one is kept)", r->jpath, strerror(err),
             err == ENOSPC || err == EDQUOT ? " (the disk is full)" : "");
    fprintf(stderr, "hotpath-agent: %s\n", msg);
    if (!written)
        r->seq--;       /* the record that failed is not in the journal */
    emit(r, json_pack("{s:s, s:s}", "type", "error", "message", msg));
    emit(r, json_pack("{s:s, s:b}", "type", "done", "ok", 0));
    exit(1);
}

/* Journal first (synced), then stdout; a controller that went away stops
 * the agent only after the record is safe. Every record names its sweep,
 * so a line copied from another sweep's journal is told apart. */
static void emit(struct runner *r, json_t *msg)
{
    if (!json_object_get(msg, "sweep"))
        json_object_set_new(msg, "sweep", json_string(r->sweep));
    json_object_set_new(msg, "seq", json_integer(r->seq++));
    char *line = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
    size_t n = strlen(line);
    line = xrealloc(line, n + 2);
    memcpy(line + n, "\n", 2);
    int jerr = 0, written = 0;
    if (r->jfd >= 0) {
        if (journal_write(r, line, n + 1) < 0) {
            jerr = errno;
            if (r->stopping)
                r->seq--;
        } else {
            written = 1;
            if (!r->stopping && journal_reserve(r) < 0)
                jerr = errno;
        }
    }
    if ((written || r->jfd < 0 || r->stopping) && !r->detached && r->stdout_ok &&
        (fputs(line, stdout) == EOF || fflush(stdout) != 0))
        r->stdout_ok = 0;
    free(line);
    json_decref(msg);
    if (jerr)
        journal_stop(r, jerr, written);
    if (!r->detached && !r->stdout_ok) {
        fprintf(stderr, "hotpath-agent: controller went away; the journal has every record\n");
        exit(1);
    }
}

static void emit_error(struct runner *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void emit_error(struct runner *r, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    emit(r, json_pack("{s:s, s:s}", "type", "error", "message", msg));
}

static char *expand(const char *tmpl, const char *python)
{
    struct buf b;
    buf_init(&b, 1 << 16);      /* one word of an engine's command line */
    const char *bin = xasprintf("%s/bin", agent_root());
    for (const char *p = tmpl; *p;) {
        if (!strncmp(p, "{bin}", 5)) {
            buf_puts(&b, bin);
            p += 5;
        } else if (!strncmp(p, "{root}", 6)) {
            buf_puts(&b, agent_root());
            p += 6;
        } else if (!strncmp(p, "{python}", 8)) {
            buf_puts(&b, python);
            p += 8;
        } else {
            buf_add(&b, p++, 1);
        }
    }
    free((char *)bin);
    return buf_detach(&b);
}

/* Runs one engine once; the child gets the thread budget through --threads
 * and every library knob we know of. */
static void spawn_engine(struct runner *r, json_t *argv_tmpl, const char *task, int threads,
                         struct proc_result *res)
{
    size_t n = json_array_size(argv_tmpl);
    char **argv = xcalloc(n + 7, sizeof *argv);
    for (size_t i = 0; i < n; i++)
        argv[i] = expand(json_string_value(json_array_get(argv_tmpl, i)), r->python);
    char tbuf[16];
    snprintf(tbuf, sizeof tbuf, "%d", threads);
    argv[n] = xstrdup("--task");
    argv[n + 1] = xstrdup(task);
    argv[n + 2] = xstrdup("--data");
    argv[n + 3] = xstrdup(r->data_dir);
    argv[n + 4] = xstrdup("--threads");
    argv[n + 5] = xstrdup(tbuf);
    static const char *const knobs[] = {"POLARS_MAX_THREADS", "RAYON_NUM_THREADS",
                                        "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                        "MKL_NUM_THREADS", "HOTPATH_THREADS"};
    enum { NKNOBS = sizeof knobs / sizeof knobs[0] };
    char *env[NKNOBS + 1];
    for (size_t i = 0; i < NKNOBS; i++)
        env[i] = xasprintf("%s=%d", knobs[i], threads);
    env[NKNOBS] = NULL;
    struct proc_opts o = {.argv = argv, .env = env, .timeout_s = r->timeout_s, .grace_s = 2,
                          .out_cap = ENGINE_OUT_CAP, .err_cap = ENGINE_ERR_CAP};
    struct err e = {0};
    if (proc_run(&o, res, &e) < 0) {
        memset(res, 0, sizeof *res);
        res->exec_errno = errno ? errno : EAGAIN;
        buf_init(&res->out, ENGINE_OUT_CAP);
        buf_init(&res->err, ENGINE_ERR_CAP);
    }
    for (size_t i = 0; i < n + 6; i++)
        free(argv[i]);
    free(argv);
    for (size_t i = 0; i < NKNOBS; i++)
        free(env[i]);
}

/* What expected results depend on: the reference engine's definition and
 * program, and the data set (its manifest). A cached file made by anything
 * else, or changed since, does not verify and is made again. */
static const char *reference_key(struct runner *r)
{
    if (r->ref_key[0])
        return r->ref_key;
    struct sha256 h;
    sha256_init(&h);
    char *def = json_dumps(r->reference, JSON_COMPACT | JSON_SORT_KEYS);
    sha256_update(&h, def ? def : "", def ? strlen(def) + 1 : 0);
    free(def);
    char prog[65] = "", data[65] = "";
    const char *a0 = json_string_value(json_array_get(json_object_get(r->reference, "argv"), 0));
    char *argv0 = expand(a0 ? a0 : "", r->python);
    if (strchr(argv0, '/'))
        sha256_file(argv0, prog, NULL);
    free(argv0);
    char *manifest = xasprintf("%s/manifest.json", r->data_dir);
    sha256_file(manifest, data, NULL);
    free(manifest);
    sha256_update(&h, prog, sizeof prog);
    sha256_update(&h, data, sizeof data);
    unsigned char d[32];
    sha256_final(&h, d);
    sha256_hex(d, r->ref_key);
    return r->ref_key;
}

static void result_sum(json_t *result, char out[65])
{
    char *text = json_dumps(result, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    struct sha256 h;
    unsigned char d[32];
    sha256_init(&h);
    sha256_update(&h, text ? text : "", text ? strlen(text) : 0);
    sha256_final(&h, d);
    sha256_hex(d, out);
    free(text);
}

/* The cached result for task, when it carries this reference's key and its
 * checksum still holds. */
static json_t *cached_expected(struct runner *r, const char *path)
{
    json_t *doc = json_load_file(path, 0, NULL), *res = json_object_get(doc, "result");
    const char *key = json_string_value(json_object_get(doc, "key"));
    const char *sum = json_string_value(json_object_get(doc, "sha256"));
    char have[65];
    json_t *out = NULL;
    if (json_is_object(res) && key && sum && !strcmp(key, reference_key(r))) {
        result_sum(res, have);
        if (!strcmp(have, sum))
            out = json_incref(res);
    }
    if (doc && !out)
        fprintf(stderr, "hotpath-agent: %s does not verify; made again\n", path);
    json_decref(doc);
    return out;
}

/* Expected results come from the reference engine, once per data set. */
static json_t *expected_for(struct runner *r, const char *task, int idx, const char **why)
{
    if (r->expected[idx] || r->expected_err[idx]) {
        *why = r->expected_err[idx];
        return r->expected[idx];
    }
    char *path = xasprintf("%s/expected-%s.json", r->data_dir, task);
    json_t *cached = cached_expected(r, path);
    if (cached) {
        r->expected[idx] = cached;
        free(path);
        return cached;
    }
    struct proc_result res;
    spawn_engine(r, json_object_get(r->reference, "argv"), task, 1, &res);
    struct engine_output out;
    char why_buf[512];
    const char *ref = json_string_value(json_object_get(r->reference, "name"));
    if (res.timed_out || !res.exited || res.exit_code != 0) {
        char *line = proc_err_line(&res);
        r->expected_err[idx] = xasprintf("reference engine %s failed on %s: %s", ref, task,
                                         line);
        free(line);
    } else if (validate_output(res.out.data, task, 1, &out, why_buf, sizeof why_buf) < 0) {
        r->expected_err[idx] = xasprintf("reference engine %s: %s", ref, why_buf);
        validate_free(&out);
    } else {
        r->expected[idx] = json_incref(json_object_get(out.doc, "result"));
        validate_free(&out);
        char sum[65];
        result_sum(r->expected[idx], sum);
        json_t *doc = json_pack("{s:s, s:s, s:s, s:O}", "reference", ref ? ref : "?", "key",
                                reference_key(r), "sha256", sum, "result", r->expected[idx]);
        char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
        if (json_dump_file(doc, tmp, JSON_COMPACT | JSON_REAL_PRECISION(17)) == 0)
            rename(tmp, path);
        else
            unlink(tmp);
        json_decref(doc);
        free(tmp);
    }
    proc_result_free(&res);
    free(path);
    *why = r->expected_err[idx];
    return r->expected[idx];
}

/* An engine's own timings lie inside the agent's clock around its
 * process; one beyond it (plus a little for clock granularity) is not a
 * measurement. */
static int timing_ok(double t, double wall_s)
{
    return t < 0 || (isfinite(t) && t <= wall_s * 1.01 + 0.02);
}

/* Why a program of {bin} is missing, as the host's own build of the bundle
 * wrote it (build/why-PROGRAM, first line), or NULL. */
static char *why_not_built(const char *argv0)
{
    const char *base = argv0 ? strrchr(argv0, '/') : NULL;
    if (!base)
        return NULL;
    char *path = xasprintf("%s/build/why-%s", agent_root(), base + 1);
    char *why = agent_file_line(path);
    free(path);
    return why;
}

static json_t *num_or_null(double v)
{
    return v < 0 ? json_null() : json_real(v);
}

/* What else the host did while the engine ran: its page faults and context
 * switches, the CPU time of every other process (the host's busy time less
 * the engine's), thermal throttle events. */
static void run_conditions(json_t *rec, const struct proc_result *res, double busy0,
                           double busy1, long long throttle0, long long throttle1)
{
    json_object_set_new(rec, "minflt", json_integer(res->minflt));
    json_object_set_new(rec, "majflt", json_integer(res->majflt));
    json_object_set_new(rec, "nvcsw", json_integer(res->nvcsw));
    json_object_set_new(rec, "nivcsw", json_integer(res->nivcsw));
    if (busy0 >= 0 && busy1 >= busy0) {
        double other = busy1 - busy0 - res->user_s - res->sys_s;
        json_object_set_new(rec, "other_cpu_s", json_real(other > 0 ? other : 0));
    }
    if (throttle0 >= 0 && throttle1 >= throttle0)
        json_object_set_new(rec, "throttled", json_integer(throttle1 - throttle0));
}

static void run_one(struct runner *r, const struct job *j)
{
    json_t *rec = json_pack("{s:s, s:s, s:s, s:i, s:i, s:b}", "type", "run", "task", j->task,
                            "engine", j->eng->name, "threads", j->threads, "repeat", j->repeat,
                            "warmup", j->repeat < 0);
    const char *skip = j->eng->skip_reason[j->task_idx];
    if (skip) {
        json_object_set_new(rec, "status", json_string("skipped"));
        json_object_set_new(rec, "error", json_string(skip));
        json_object_set_new(rec, "at", json_real(clock_wall()));
        emit(r, rec);
        return;
    }
    struct proc_result res;
    double busy0 = agent_host_busy_s();
    long long throttle0 = agent_throttle_count();
    spawn_engine(r, j->eng->argv, j->task, j->threads, &res);
    double busy1 = agent_host_busy_s();
    long long throttle1 = agent_throttle_count();
    const char *status = "ok";
    char *error = NULL;
    struct engine_output out = {0};
    char why[512];
    if (res.exec_errno) {
        status = "skipped";
        char *built = why_not_built(json_string_value(json_array_get(j->eng->argv, 0)));
        error = xasprintf("cannot start %s: %s%s%s",
                          json_string_value(json_array_get(j->eng->argv, 0)),
                          strerror(res.exec_errno), built ? "; " : j->eng->needs ? "; needs " : "",
                          built ? built : j->eng->needs ? j->eng->needs : "");
        free(built);
        j->eng->skip_reason[j->task_idx] = xstrdup(error);
    } else if (res.timed_out) {
        status = "timeout";
        error = xasprintf("no answer within %g s", r->timeout_s);
    } else if (res.exited && res.exit_code == 3) {
        status = "skipped";
        error = proc_err_line(&res);
        j->eng->skip_reason[j->task_idx] = xstrdup(error);
    } else if (!res.exited) {
        status = "failed";
        error = xasprintf("killed by signal %d", res.sig);
    } else if (res.exit_code != 0) {
        status = "failed";
        char *line = proc_err_line(&res);
        error = xasprintf("exit %d: %s", res.exit_code, line);
        free(line);
    } else if (res.out_truncated) {
        status = "failed";
        error = xasprintf("output over %d bytes", ENGINE_OUT_CAP);
    } else if (validate_output(res.out.data, j->task, j->threads, &out, why, sizeof why) < 0) {
        status = "failed";
        error = xstrdup(why);
    } else {
        const char *exp_err = NULL;
        json_t *expected = expected_for(r, j->task, j->task_idx, &exp_err);
        if (!expected) {
            status = "invalid";
            error = xasprintf("cannot validate: %s", exp_err);
        } else if (validate_result(j->task, &out, expected, why, sizeof why) < 0) {
            status = "invalid";
            error = xasprintf("wrong result: %s", why);
        }
        if (!timing_ok(out.total_s, res.wall_s) || !timing_ok(out.load_s, res.wall_s) ||
            !timing_ok(out.compute_s, res.wall_s)) {
            status = "invalid";
            free(error);
            int t = !timing_ok(out.total_s, res.wall_s), l = !timing_ok(out.load_s, res.wall_s);
            error = xasprintf("%s %.6g s is beyond the run's wall time of %.6g s",
                              t ? "total_s" : l ? "load_s" : "compute_s",
                              t ? out.total_s : l ? out.load_s : out.compute_s, res.wall_s);
            out.total_s = out.load_s = out.compute_s = -1;
        }
        json_object_set_new(rec, "total_s", num_or_null(out.total_s));
        json_object_set_new(rec, "load_s", num_or_null(out.load_s));
        json_object_set_new(rec, "compute_s", num_or_null(out.compute_s));
        json_object_set_new(rec, "threads_used", json_integer(out.threads_used));
    }
    json_object_set_new(rec, "status", json_string(status));
    json_object_set_new(rec, "wall_s", json_real(res.wall_s));
    json_object_set_new(rec, "user_s", json_real(res.user_s));
    json_object_set_new(rec, "sys_s", json_real(res.sys_s));
    json_object_set_new(rec, "max_rss_kb", json_integer(res.max_rss_kb));
    run_conditions(rec, &res, busy0, busy1, throttle0, throttle1);
    json_object_set_new(rec, "exit_code", res.exited ? json_integer(res.exit_code)
                                                     : json_null());
    if (res.signaled)
        json_object_set_new(rec, "signal", json_integer(res.sig));
    if (error)
        json_object_set_new(rec, "error", json_string(error));
    json_object_set_new(rec, "at", json_real(clock_wall()));
    validate_free(&out);
    free(error);
    proc_result_free(&res);
    emit(r, rec);
}

static json_t *read_plan(FILE *in)
{
    struct buf b;
    buf_init(&b, MAX_PLAN);
    if (buf_read(&b, in) < 0)
        die("run: the plan is over %d bytes", MAX_PLAN);
    json_error_t je;
    json_t *plan = json_loads(b.data ? b.data : "", 0, &je);
    buf_free(&b);
    if (!plan)
        die("run: the plan is not JSON: %s (line %d)", je.text, je.line);
    return plan;
}

static int profile_of(json_t *plan, struct gen_profile *p)
{
    const char *name = json_string_value(json_object_get(plan, "profile"));
    if (!name || gen_profile_lookup(name, p) < 0)
        return -1;
    json_t *seed = json_object_get(plan, "seed");
    if (json_is_integer(seed))
        p->seed = (uint64_t)json_integer_value(seed);
    json_t *sizes = json_object_get(plan, "sizes");
    const char *keys[4] = {"facts", "events", "stream", "points"};
    uint64_t *fields[4] = {&p->facts, &p->events, &p->stream, &p->points};
    for (int k = 0; k < 4; k++) {
        json_t *v = json_object_get(sizes, keys[k]);
        if (json_is_integer(v) && json_integer_value(v) > 1000000000)
            return -1;      /* the controller bounds sizes; a plan above is not ours */
        if (json_is_integer(v) && json_integer_value(v) > 0) {
            *fields[k] = (uint64_t)json_integer_value(v);
            snprintf(p->name, sizeof p->name, "custom");
        }
    }
    return 0;
}

/* A run's identity, as a key of the done set. */
/* Reads a journal: the seq of its last hello (where the latest run began),
 * its number of lines, and (with done) every run it holds of this sweep.
 * The agent knows what it ran from its own journal, so a resume needs no
 * list of done runs from the controller, however large the sweep. */
static long journal_scan(const char *jpath, const char *sweep, long *lines, struct strset *done)
{
    FILE *f = fopen(jpath, "r");
    long seq = 0, n = 0;
    *lines = 0;
    if (!f)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] != '\n')
            break;      /* a cut line: not a record */
        if (strstr(line, "\"type\":\"hello\""))
            seq = n;
        n++;
        if (!done || !strstr(line, "\"type\":\"run\""))
            continue;
        json_t *m = json_loadb(line, (size_t)len, 0, NULL);
        const char *t = json_string_value(json_object_get(m, "task"));
        const char *en = json_string_value(json_object_get(m, "engine"));
        const char *sw = json_string_value(json_object_get(m, "sweep"));
        if (t && en && sw && !strcmp(sw, sweep)) {
            char *k = plan_job_key(t, en, json_integer_value(json_object_get(m, "threads")),
                                   json_integer_value(json_object_get(m, "repeat")));
            strset_add(done, k);
            free(k);
        }
        json_decref(m);
    }
    free(line);
    fclose(f);
    *lines = n;
    return seq;
}

/* Opens the journal for appending. A last line without its newline (a
 * crash in the middle of a write) is cut off first, so the next record
 * starts a line of its own. */
static int journal_open(struct runner *r, const char *jpath)
{
    r->jpath = jpath;
    r->jfd = open(jpath, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (r->jfd < 0)
        return -1;
    off_t end = lseek(r->jfd, 0, SEEK_END), keep = end;
    char buf[4096];
    while (keep > 0) {
        off_t at = keep > (off_t)sizeof buf ? keep - (off_t)sizeof buf : 0;
        ssize_t got = pread(r->jfd, buf, (size_t)(keep - at), at);
        if (got <= 0)
            return -1;
        ssize_t i = got;
        while (i > 0 && buf[i - 1] != '\n')
            i--;
        if (i > 0) {
            keep = at + i;
            break;
        }
        keep = at;
    }
    if (keep != end && ftruncate(r->jfd, keep) < 0)
        return -1;
    r->jsize = keep;
    return journal_reserve(r);
}

/* Detached: answer the controller with where to follow from, then leave
 * the session so a dropped connection cannot stop the runs. */
static void detach(long from, const char *log_path)
{
    printf("{\"started\": true, \"from\": %ld}\n", from);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("run: fork: %s", strerror(errno));
    if (pid > 0)
        _exit(0);
    setsid();
    /* Every inherited descriptor goes: an SSH channel stays open for as
     * long as anything holds its stdout or stderr. */
    int null = open("/dev/null", O_RDWR);
    int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(log >= 0 ? log : null, 2);
        if (null > 2)
            close(null);
        if (log > 2)
            close(log);
    }
}

int agent_run(int argc, char **argv)
{
    const char *plan_file = NULL;
    int want_detach = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--plan") && i + 1 < argc)
            plan_file = argv[++i];
        else if (!strcmp(argv[i], "--detach"))
            want_detach = 1;
        else
            die_code(2, "run: unexpected argument '%s' (run [--plan FILE] [--detach])", argv[i]);
    }
    signal(SIGPIPE, SIG_IGN);
    FILE *in = plan_file ? fopen(plan_file, "r") : stdin;
    if (!in)
        die("run: %s: %s", plan_file, strerror(errno));
    json_t *plan = read_plan(in);
    if (plan_file)
        fclose(in);
    struct runner r = {.stdout_ok = 1, .jfd = -1};
    r.sweep = json_string_value(json_object_get(plan, "sweep"));
    if (!r.sweep || strspn(r.sweep, "0123456789abcdef-") != strlen(r.sweep) || !*r.sweep)
        die("run: the plan lacks a valid \"sweep\" id");
    const char *py = json_string_value(json_object_get(plan, "python"));
    r.python = py && *py ? py : agent_default_python();
    r.timeout_s = json_number_value(json_object_get(plan, "timeout_s"));
    r.reference = json_object_get(plan, "reference");
    struct gen_profile prof;
    if (profile_of(plan, &prof) < 0)
        die("run: the plan names no known profile, or sizes over 1000000000");

    char *jdir = xasprintf("%s/journal", agent_home());
    char *jpath = xasprintf("%s/%s.jsonl", jdir, r.sweep);
    if (fs_mkdirs(jdir) < 0)
        die("run: %s: %s", jdir, strerror(errno));
    /* One run per sweep and host at a time: the lock lives as long as we do. */
    char *lpath = xasprintf("%s/%s.lock", jdir, r.sweep);
    int lock = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock < 0)
        die("run: %s: %s", lpath, strerror(errno));
    free(lpath);
    long lines;
    if (flock(lock, LOCK_EX | LOCK_NB) < 0) {
        /* Another agent runs this sweep here: say where its latest run
         * began in the journal, so the controller follows that one. */
        printf("{\"started\": false, \"from\": %ld}\n",
               journal_scan(jpath, r.sweep, &lines, NULL));
        return 0;
    }
    /* Before detaching, so a journal that cannot be written is said to the
     * controller that started us. */
    if (journal_open(&r, jpath) < 0)
        die("run: journal %s: %s%s", jpath, strerror(errno),
            errno == ENOSPC ? " (the disk is full)" : "");
    /* Sequence numbers go on from what the journal already holds; the runs
     * it holds are done, and so are those the plan lists. */
    struct strset done;
    strset_init(&done);
    journal_scan(jpath, r.sweep, &lines, &done);
    r.seq = lines;
    plan_done_add(plan, &done);
    if (want_detach) {
        char *log = xasprintf("%s/%s.log", jdir, r.sweep);
        detach(r.seq, log);
        free(log);
        r.detached = 1;
    }

    emit(&r, json_pack("{s:s, s:s, s:s, s:s}", "type", "hello", "version", HOTPATH_VERSION,
                       "sweep", r.sweep, "journal", jpath));
    json_t *probe = agent_probe_json(r.python);
    emit(&r, json_pack("{s:s, s:f, s:o}", "type", "probe", "at", clock_wall(), "probe", probe));

    json_t *engines_j = json_object_get(plan, "engines");
    size_t ne = json_array_size(engines_j);
    if (json_array_size(json_object_get(plan, "tasks")) > 8)
        die("run: at most 8 tasks");
    struct engine *engines = xcalloc(ne ? ne : 1, sizeof *engines);
    for (size_t i = 0; i < ne; i++) {
        json_t *e = json_array_get(engines_j, i);
        engines[i].name = json_string_value(json_object_get(e, "name"));
        engines[i].argv = json_object_get(e, "argv");
        engines[i].tasks = json_object_get(e, "tasks");
        engines[i].needs = json_string_value(json_object_get(e, "needs"));
        /* The controller already knows it cannot run here (no Python
         * environment of the pinned libraries, say): each run says why. */
        const char *skip = json_string_value(json_object_get(e, "skip"));
        for (int t = 0; skip && t < 8; t++)
            engines[i].skip_reason[t] = xstrdup(skip);
    }
    struct plan_job *jobs;
    size_t njobs = plan_expand(plan, sysconf(_SC_NPROCESSORS_ONLN), &jobs);
    long planned = (long)njobs, todo = 0;
    unsigned char *skip = xcalloc(njobs + 1, 1);
    for (size_t k = 0; k < njobs; k++) {
        const char *en = engines[jobs[k].engine_idx].name;
        char *key = plan_job_key(jobs[k].task, en ? en : "", jobs[k].threads, jobs[k].repeat);
        skip[k] = (unsigned char)strset_has(&done, key);
        free(key);
        todo += !skip[k];
    }
    strset_free(&done);

    int reused;
    double gen_s;
    json_t *manifest;
    struct err e = {0};
    char *changed = NULL;
    r.data_dir = agent_data(&prof, &manifest, &gen_s, &reused, &changed, &e);
    if (!r.data_dir) {
        emit_error(&r, "data: %s", e.msg);
        emit(&r, json_pack("{s:s, s:b}", "type", "done", "ok", 0));
        return 1;
    }
    json_t *data = json_pack("{s:s, s:s, s:b, s:f, s:o, s:I, s:I}", "type", "data", "dir",
                             r.data_dir, "reused", reused, "gen_s", gen_s, "manifest", manifest,
                             "planned", (json_int_t)planned, "todo", (json_int_t)todo);
    /* Checked before the first run: data that failed its checksums was
     * generated again, and the report says so. */
    if (changed)
        json_object_set_new(data, "regenerated", json_string(changed));
    free(changed);
    emit(&r, data);

    for (size_t k = 0; k < njobs; k++) {
        if (skip[k])
            continue;
        struct job j = {jobs[k].task, jobs[k].task_idx, &engines[jobs[k].engine_idx],
                        jobs[k].threads, jobs[k].repeat};
        run_one(&r, &j);
    }
    emit(&r, json_pack("{s:s, s:b}", "type", "done", "ok", 1));
    close(r.jfd);
    free(skip);
    free(jpath);
    free(jdir);
    free(jobs);
    free(engines);
    json_decref(plan);
    return 0;
}

/* 1 while some agent holds the sweep's run lock. */
static int run_active(const char *sweep)
{
    char *lpath = xasprintf("%s/journal/%s.lock", agent_home(), sweep);
    int fd = open(lpath, O_RDONLY | O_CLOEXEC);
    free(lpath);
    if (fd < 0)
        return 0;
    int busy = flock(fd, LOCK_SH | LOCK_NB) < 0;
    close(fd);
    return busy;
}

int agent_tail(int argc, char **argv)
{
    const char *sweep = NULL;
    long from = 0;
    int follow = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--follow")) {
            follow = 1;
            continue;
        }
        if (i + 1 >= argc)
            die_code(2, "tail: %s needs a value", argv[i]);
        if (!strcmp(argv[i], "--sweep"))
            sweep = argv[++i];
        else if (!strcmp(argv[i], "--from"))
            from = atol(argv[++i]);
        else
            die_code(2, "tail: unknown argument '%s'", argv[i]);
    }
    if (!sweep || strspn(sweep, "0123456789abcdef-") != strlen(sweep))
        die_code(2, "tail: --sweep UUID is required");
    char *path = xasprintf("%s/journal/%s.jsonl", agent_home(), sweep);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT && !follow)
            return 0;      /* nothing was journaled for this sweep here */
        die("tail: %s: %s", path, strerror(errno));
    }
    signal(SIGPIPE, SIG_IGN);
    struct buf part;
    buf_init(&part, 1 << 24);   /* a journal line (records are far smaller) */
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long seq = 0;
    int rc = 0;
    for (;;) {
        /* Asked before reading: whatever a finished run wrote before it let
         * go of its lock is then read by this same pass. */
        int active = follow && run_active(sweep);
        while ((n = getline(&line, &cap, f)) > 0) {
            buf_add(&part, line, (size_t)n);
            /* A line still being written (or cut by a crash) waits. */
            if (part.data[part.len - 1] != '\n')
                continue;
            if (seq++ >= from) {
                if (fputs(part.data, stdout) == EOF || fflush(stdout) != 0) {
                    rc = 1;
                    goto out;
                }
                /* Following, a run's done record ends the stream. */
                if (follow && strstr(part.data, "\"type\":\"done\""))
                    goto out;
            }
            buf_reset(&part);
        }
        if (!follow)
            break;
        if (!active) {
            fprintf(stderr, "hotpath-agent: tail: no agent is running sweep %s here\n", sweep);
            rc = 4;
            goto out;
        }
        clearerr(f);
        usleep(20000);
    }
out:
    buf_free(&part);
    free(line);
    fclose(f);
    free(path);
    return rc;
}

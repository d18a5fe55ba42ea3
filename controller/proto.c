#include "proto.h"

#include <stddef.h>

#include "../common/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {"hello", "probe", "data", "run", "skip", "error", "done"};

const char *proto_type_name(enum proto_type t)
{
    return names[t];
}

/* Required fields per type: name and JSON type letter (s string, i integer,
 * n number, b boolean, o object). */
static const char *const required[][8] = {
    [PROTO_HELLO] = {"version:s", "sweep:s"},
    [PROTO_PROBE] = {"probe:o", "at:n"},
    [PROTO_DATA] = {"manifest:o", "planned:i", "todo:i"},
    [PROTO_RUN] = {"task:s", "engine:s", "threads:i", "repeat:i", "warmup:b", "status:s",
                   "seq:i"},
    [PROTO_SKIP] = {"task:s", "engine:s", "error:s"},
    [PROTO_ERROR] = {"message:s"},
    [PROTO_DONE] = {"ok:b"},
};

static int has_type(json_t *v, char t)
{
    switch (t) {
    case 's': return json_is_string(v);
    case 'i': return json_is_integer(v);
    case 'n': return json_is_number(v);
    case 'b': return json_is_boolean(v);
    case 'o': return json_is_object(v);
    }
    return 0;
}

int proto_parse(const char *line, size_t len, enum proto_type *type, json_t **msg, char *why,
                size_t n)
{
    *msg = NULL;
    if (len > PROTO_MAX_LINE) {
        snprintf(why, n, "line of %zu bytes is over the %d byte limit", len, PROTO_MAX_LINE);
        return -1;
    }
    json_error_t je;
    json_t *m = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!m || !json_is_object(m)) {
        snprintf(why, n, "not a JSON object%s%s", m ? "" : ": ", m ? "" : je.text);
        json_decref(m);
        return -1;
    }
    const char *t = json_string_value(json_object_get(m, "type"));
    int k = -1;
    for (int i = 0; t && i < (int)(sizeof names / sizeof names[0]); i++)
        if (!strcmp(t, names[i]))
            k = i;
    if (k < 0) {
        snprintf(why, n, "unknown record type '%s'", t ? t : "(none)");
        json_decref(m);
        return -1;
    }
    for (int i = 0; i < 8 && required[k][i]; i++) {
        const char *spec = required[k][i];
        size_t klen = strcspn(spec, ":");
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)klen, spec);
        if (!has_type(json_object_get(m, key), spec[klen + 1])) {
            snprintf(why, n, "%s record lacks a valid \"%s\"", t, key);
            json_decref(m);
            return -1;
        }
    }
    if (k == PROTO_RUN) {
        const char *st = json_string_value(json_object_get(m, "status"));
        if (strcmp(st, "ok") && strcmp(st, "invalid") && strcmp(st, "failed") &&
            strcmp(st, "timeout") && strcmp(st, "skipped")) {
            snprintf(why, n, "run record has unknown status '%s'", st);
            json_decref(m);
            return -1;
        }
        if (!strcmp(st, "ok") && !json_is_number(json_object_get(m, "total_s"))) {
            snprintf(why, n, "run record with status ok lacks total_s");
            json_decref(m);
            return -1;
        }
    }
    *type = (enum proto_type)k;
    *msg = m;
    return 0;
}

static char *str_or_null(json_t *m, const char *k)
{
    const char *v = json_string_value(json_object_get(m, k));
    return v ? xstrdup(v) : NULL;
}

struct proto_run *proto_run_of(json_t *m)
{
    struct proto_run *r = xcalloc(1, sizeof *r);
    r->task = str_or_null(m, "task");
    r->engine = str_or_null(m, "engine");
    r->status = str_or_null(m, "status");
    r->error = str_or_null(m, "error");
    r->sweep = str_or_null(m, "sweep");
    r->threads = json_integer_value(json_object_get(m, "threads"));
    r->repeat = json_integer_value(json_object_get(m, "repeat"));
    r->seq = json_integer_value(json_object_get(m, "seq"));
    r->warmup = json_is_true(json_object_get(m, "warmup"));
    static const struct { const char *key; unsigned bit; size_t off; } reals[] = {
        {"wall_s", RUN_WALL, offsetof(struct proto_run, wall_s)},
        {"total_s", RUN_TOTAL, offsetof(struct proto_run, total_s)},
        {"load_s", RUN_LOAD, offsetof(struct proto_run, load_s)},
        {"compute_s", RUN_COMPUTE, offsetof(struct proto_run, compute_s)},
        {"user_s", RUN_USER, offsetof(struct proto_run, user_s)},
        {"sys_s", RUN_SYS, offsetof(struct proto_run, sys_s)},
        {"at", RUN_AT, offsetof(struct proto_run, at)},
        {"other_cpu_s", RUN_OTHER_CPU, offsetof(struct proto_run, other_cpu_s)},
    }, ints[] = {
        {"max_rss_kb", RUN_RSS, offsetof(struct proto_run, max_rss_kb)},
        {"exit_code", RUN_EXIT, offsetof(struct proto_run, exit_code)},
        {"signal", RUN_SIGNAL, offsetof(struct proto_run, signal)},
        {"threads_used", RUN_THREADS_USED, offsetof(struct proto_run, threads_used)},
        {"minflt", RUN_MINFLT, offsetof(struct proto_run, minflt)},
        {"majflt", RUN_MAJFLT, offsetof(struct proto_run, majflt)},
        {"nvcsw", RUN_NVCSW, offsetof(struct proto_run, nvcsw)},
        {"nivcsw", RUN_NIVCSW, offsetof(struct proto_run, nivcsw)},
        {"throttled", RUN_THROTTLED, offsetof(struct proto_run, throttled)},
    };
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
        json_t *v = json_object_get(m, reals[i].key);
        if (json_is_number(v)) {
            *(double *)(void *)((char *)r + reals[i].off) = json_number_value(v);
            r->has |= reals[i].bit;
        }
    }
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        json_t *v = json_object_get(m, ints[i].key);
        if (json_is_integer(v)) {
            *(long long *)(void *)((char *)r + ints[i].off) = json_integer_value(v);
            r->has |= ints[i].bit;
        }
    }
    return r;
}

void proto_run_free(struct proto_run *r)
{
    if (!r)
        return;
    free(r->task);
    free(r->engine);
    free(r->status);
    free(r->error);
    free(r->sweep);
    free(r);
}

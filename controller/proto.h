#ifndef HP_PROTO_H
#define HP_PROTO_H
/* The wire protocol, agent -> controller: one JSON object per line. */
#include <jansson.h>
#include <stddef.h>

#define PROTO_MAX_LINE (1 << 20)

enum proto_type { PROTO_HELLO, PROTO_PROBE, PROTO_DATA, PROTO_RUN, PROTO_SKIP, PROTO_ERROR,
                  PROTO_DONE };

/* Parses one line (without its '\n'). 0 with *msg owned by the caller, or
 * -1 with why saying what is wrong (not JSON, unknown type, a missing or
 * mistyped field, a line over PROTO_MAX_LINE). */
int proto_parse(const char *line, size_t len, enum proto_type *type, json_t **msg, char *why,
                size_t n);
const char *proto_type_name(enum proto_type t);

/* A run record as plain C, so the store's writer binds it without walking
 * (or freeing) a JSON tree: the worker that parsed the line converts it. */
enum {
    RUN_WALL = 1 << 0, RUN_TOTAL = 1 << 1, RUN_LOAD = 1 << 2, RUN_COMPUTE = 1 << 3,
    RUN_USER = 1 << 4, RUN_SYS = 1 << 5, RUN_RSS = 1 << 6, RUN_EXIT = 1 << 7,
    RUN_SIGNAL = 1 << 8, RUN_THREADS_USED = 1 << 9, RUN_AT = 1 << 10,
    RUN_MINFLT = 1 << 11, RUN_MAJFLT = 1 << 12, RUN_NVCSW = 1 << 13, RUN_NIVCSW = 1 << 14,
    RUN_OTHER_CPU = 1 << 15, RUN_THROTTLED = 1 << 16,
};

struct proto_run {
    char *task, *engine, *status, *error;   /* error may be NULL */
    char *sweep;                            /* the sweep it names, or NULL */
    long long threads, repeat, seq, max_rss_kb, exit_code, signal, threads_used;
    int warmup;
    double wall_s, total_s, load_s, compute_s, user_s, sys_s, at;
    /* the conditions of the run: faults, context switches, other processes' CPU */
    long long minflt, majflt, nvcsw, nivcsw, throttled;
    double other_cpu_s;
    unsigned has;       /* RUN_* bits of the optional fields present */
};

/* From a record proto_parse accepted as PROTO_RUN. */
struct proto_run *proto_run_of(json_t *msg);
void proto_run_free(struct proto_run *r);

#endif

#ifndef HP_TRANSPORT_H
#define HP_TRANSPORT_H
/* How the controller reaches a host's agent.
 *
 * A transport is one table of functions (struct transport) in one file:
 * transport-local.c (the agent is a child process), transport-ssh.c (the
 * agent runs on a host reached by libssh2, detached, its journal followed).
 * transport.c lists them by the name a host's "transport" key gives; a new
 * kind of host (a batch scheduler such as Slurm: agents started with srun)
 * is one new file and one row of that table. Nothing outside the transport
 * files asks which transport it talks to.
 *
 * Above the table, written once for every transport (transport.c): the
 * line splitter (lines up to PROTO_MAX_LINE), the record loop (split,
 * proto_parse, hand on), and running one agent command to its end. The
 * sweep (sweep-host.c) drives every host the same way:
 *
 *     connect -> ensure_bundle
 *       [the plan runs NumPy, Polars or DuckDB: the host's Python environment
 *        provisioned (pyenv.c: exec "pyenv --check", put_dir of the wheels,
 *        exec "pyenv --wheels DIR")]
 *       [resume: exec "tail --sweep U --from 0", records replayed]
 *     -> start_agent(plan) -> records ... done
 *       (a dropped stream: follow(from the next seq), retried with backoff
 *        until the host's lost_after_s; silence that long: the host is lost)
 *     -> finish -> close
 *
 * `hosts` does connect -> ensure_bundle -> exec("probe") -> read -> finish.
 *
 * A connection has at most one stream at a time (the stdout of the command
 * last started); read() yields its bytes, finish() ends it. Every function
 * returns 0 (or a count) on success and -1 with e filled on failure; e's
 * message names the host. */
#include "cfg.h"
#include "proto.h"
#include "../common/buf.h"

#include <jansson.h>
#include <stddef.h>

struct err;
struct tconn;           /* one transport's connection to one host */

/* read() when nothing, not even a keepalive reply, came from the host for
 * its lost_after_s. */
#define TRANSPORT_LOST (-2)

struct transport {
    const char *name;
    /* The host's "address" key is required. */
    int needs_address;
    /* The agent runs on the controller's machine (its paths, its ~). */
    int on_controller;
    /* Reaches the host (ssh: TCP, a jump host, host key, authentication). */
    int (*connect)(const struct host_cfg *h, const struct cfg *c, struct tconn **out,
                   struct err *e);
    /* Makes sure the agent the host runs is this controller's bundle (ssh:
     * verified; pushed when absent or broken; built there for a kind of
     * host the controller has no binaries for). NULL: nothing to do. */
    int (*ensure_bundle)(struct tconn *c, struct err *e);
    /* Puts the files of the local folder dir in a new folder on the host,
     * under its workdir and named after name, for the agent to read; the
     * folder's path there (caller frees). NULL: the agent reads dir itself
     * (on_controller). */
    int (*put_dir)(struct tconn *c, const char *dir, const char *name, char **remote,
                   struct err *e);
    /* Starts `hotpath-agent ARGS...` with in (NULL: nothing) on its stdin;
     * its stdout becomes the stream. */
    int (*exec)(struct tconn *c, char *const *args, const char *in, struct err *e);
    /* Starts the sweep's agent run on plan (JSON text). The stream is then
     * the run's records from seq *from on. *started is 0 when an agent of
     * that sweep was already running there: the stream follows that one. */
    int (*start_agent)(struct tconn *c, const char *uuid, const char *plan, long *from,
                       int *started, struct err *e);
    /* The stream's next bytes: > 0 their count, 0 at its end, -1 on error,
     * TRANSPORT_LOST. */
    long (*read)(struct tconn *c, char *buf, size_t n, struct err *e);
    /* After a broken stream: reaches the host again and follows the
     * sweep's journal from seq from (until its done record). -1 while the
     * host cannot be reached: the caller retries. NULL when a stream of
     * this transport cannot drop (a broken one fails the host). */
    int (*follow)(struct tconn *c, const char *uuid, long from, struct err *e);
    /* Ends the stream: the command's exit status, the tail of its stderr. */
    int (*finish)(struct tconn *c, int *status, char *err_tail, size_t n);
    void (*close)(struct tconn *c);
};

extern const struct transport transport_local, transport_ssh;

/* The transport named name, or NULL. */
const struct transport *transport_by_name(const char *name);
/* The names, as a message lists them: "\"local\" or \"ssh\"". */
const char *transport_names(void);

/* One host reached through its transport, with the line splitter's state. */
struct host_link {
    const struct transport *t;
    const struct host_cfg *h;
    struct tconn *c;            /* NULL while not connected */
    char rbuf[65536];
    size_t rlen, rpos;
    int eof;
    long lineno;                /* lines read from the current stream */
};

/* connect; the link is ready for ensure_bundle, exec, start_agent. */
int transport_open(struct host_link *l, const struct host_cfg *h, const struct cfg *c,
                   struct err *e);
int transport_ensure_bundle(struct host_link *l, struct err *e);
int transport_exec(struct host_link *l, char *const *args, const char *in, struct err *e);
int transport_start_agent(struct host_link *l, const char *uuid, const char *plan, long *from,
                          int *started, struct err *e);
/* 0 with the stream following again; -1 (e filled) when it cannot, or the
 * transport cannot follow (can_follow says which). */
int transport_follow(struct host_link *l, const char *uuid, long from, struct err *e);
int transport_can_follow(const struct host_link *l);
int transport_finish(struct host_link *l, int *status, char *err_tail, size_t n);
void transport_close(struct host_link *l);

/* The line splitter: 1 with a line (no '\n') in line, 0 at the end of the
 * stream, -1 on error (a line over PROTO_MAX_LINE too), TRANSPORT_LOST. */
int transport_line(struct host_link *l, struct buf *line, struct err *e);

/* Called by the record loop with each record, which it then owns; not 0:
 * the loop stops there (TRANSPORT_STOPPED). */
typedef int (*transport_record_fn)(void *ctx, enum proto_type t, json_t *msg);

enum transport_end {
    TRANSPORT_DONE = 1,         /* the done record came (the loop stops there) */
    TRANSPORT_ENDED = 0,        /* the stream ended first */
    TRANSPORT_BROKEN = -1,      /* a transport error: e says which */
    TRANSPORT_SILENT = -2,      /* TRANSPORT_LOST: nothing heard */
    TRANSPORT_BAD = -3,         /* a protocol error: e names the line */
    TRANSPORT_STOPPED = -4,     /* the record function said stop */
};

/* The record loop: reads the stream's records, hands each to fn, and keeps
 * *next_seq past the last seq seen. With replay (a journal re-read) a bad
 * line is skipped with a warning and the loop goes on to the stream's end;
 * otherwise it is a protocol error and the loop stops at the done record. */
enum transport_end transport_records(struct host_link *l, int replay, long *next_seq,
                                     transport_record_fn fn, void *ctx, struct err *e);

/* `hotpath-agent ARGS` on an open link (bundle made sure of) run to its end:
 * its stdout in *out (up to out_cap); 0 when it exited 0, else -1 with e
 * saying why (the status and the tail of its stderr). */
int transport_run(struct host_link *l, char *const *args, size_t out_cap, char **out,
                  struct err *e);

/* transport_run on a link of its own to the host, the bundle made sure of
 * first. */
int transport_agent_output(const struct host_cfg *h, const struct cfg *c, char *const *args,
                           size_t out_cap, char **out, struct err *e);

#endif

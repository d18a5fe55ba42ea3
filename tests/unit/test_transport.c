#include "harness.h"
#include "../../common/err.h"
#include "../../common/xmalloc.h"
#include "../../controller/cfg.h"
#include "../../controller/ssh.h"
#include "../../controller/sweep.h"
#include "../../controller/transport.h"

#include <stdlib.h>
#include <string.h>

/* A transport of the test's own: a stream read from memory in small
 * pieces, as a third kind of host would plug in. */
struct mem_conn {
    const char *data;
    size_t len, pos, piece;
};

static long mem_read(struct tconn *tc, char *buf, size_t n, struct err *e)
{
    (void)e;
    struct mem_conn *c = (struct mem_conn *)tc;
    size_t k = c->len - c->pos;
    if (k > c->piece)
        k = c->piece;
    if (k > n)
        k = n;
    memcpy(buf, c->data + c->pos, k);
    c->pos += k;
    return (long)k;
}

static const struct transport mem_transport = {.name = "mem", .read = mem_read};

static void link_on(struct host_link *l, struct mem_conn *c, const struct host_cfg *h,
                    const char *data, size_t piece)
{
    memset(l, 0, sizeof *l);
    *c = (struct mem_conn){data, strlen(data), 0, piece};
    l->t = &mem_transport;
    l->h = h;
    l->c = (struct tconn *)c;
}

struct seen {
    int n, types[16];
    int stop_after;
};

static int collect(void *ctx, enum proto_type t, json_t *m)
{
    struct seen *s = ctx;
    if (s->n < 16)
        s->types[s->n] = (int)t;
    s->n++;
    json_decref(m);
    return s->stop_after && s->n >= s->stop_after;
}

#define HELLO "{\"type\":\"hello\",\"version\":\"1\",\"sweep\":\"s\",\"seq\":4}\n"
#define DONE "{\"type\":\"done\",\"ok\":true,\"seq\":5}\n"

TEST(test_transport_lines)
{
    struct host_cfg h = {.name = "m"};
    struct host_link l;
    struct mem_conn c;
    struct buf line;
    struct err e = {0};
    buf_init(&line, PROTO_MAX_LINE + 1);
    /* Lines cut anywhere by the reads come out whole; the last one needs no '\n'. */
    link_on(&l, &c, &h, "ab\ncdef\n\nlast", 3);
    CHECK(transport_line(&l, &line, &e) == 1 && !strcmp(line.data, "ab"),
          "a line cut across reads comes out whole, without its '\n'");
    CHECK(transport_line(&l, &line, &e) == 1 && !strcmp(line.data, "cdef"),
          "the next line comes out whole though the reads cut it twice");
    CHECK(transport_line(&l, &line, &e) == 1 && line.len == 0,
          "an empty line is a line of length 0, not the end of the stream");
    CHECK(transport_line(&l, &line, &e) == 1 && !strcmp(line.data, "last"),
          "the last line needs no '\n'");
    CHECK(transport_line(&l, &line, &e) == 0 && l.lineno == 4,
          "the end of the stream is 0, after counting four lines");
    /* A line over PROTO_MAX_LINE is an error, not a cut. */
    char *big = xcalloc(PROTO_MAX_LINE + 3, 1);
    memset(big, 'x', PROTO_MAX_LINE + 1);
    link_on(&l, &c, &h, big, 65536);
    CHECK(transport_line(&l, &line, &e) < 0 && strstr(e.msg, "line over"),
          "a line over PROTO_MAX_LINE is refused as an error, not cut");
    free(big);
    buf_free(&line);
}

TEST(test_transport_records)
{
    struct host_cfg h = {.name = "m"};
    struct host_link l;
    struct mem_conn c;
    struct err e = {0};
    struct seen s = {0};
    long next = 0;
    /* Records up to done; the next seq is past the last one seen; what
     * follows done is not read. */
    link_on(&l, &c, &h, HELLO DONE HELLO, 7);
    CHECK(transport_records(&l, 0, &next, collect, &s, &e) == TRANSPORT_DONE && s.n == 2 &&
          s.types[0] == PROTO_HELLO && s.types[1] == PROTO_DONE && next == 6,
          "records are read up to done, the next seq is past done's, and what follows done is "
          "not read");
    /* The stream ends without done. */
    s = (struct seen){0};
    link_on(&l, &c, &h, HELLO, 5);
    CHECK(transport_records(&l, 0, &next, collect, &s, &e) == TRANSPORT_ENDED && s.n == 1,
          "a stream that ends without done is TRANSPORT_ENDED after the records it held");
    /* A bad line is a protocol error naming its line; nothing after it is taken. */
    s = (struct seen){0};
    link_on(&l, &c, &h, HELLO "not json\n" DONE, 4);
    CHECK(transport_records(&l, 0, &next, collect, &s, &e) == TRANSPORT_BAD && s.n == 1 &&
          strstr(e.msg, "protocol error on agent output line 2"),
          "a bad line is a protocol error naming its line, and nothing after it is taken");
    /* A journal replay skips it and reads on to the end, past done. */
    s = (struct seen){0};
    link_on(&l, &c, &h, HELLO "not json\n" DONE HELLO, 4);
    int level = log_level;
    log_level = 0;      /* the skipped line's warning is not for the test's output */
    CHECK(transport_records(&l, 1, NULL, collect, &s, &e) == TRANSPORT_ENDED && s.n == 3,
          "a journal replay skips a bad line and reads on to the end, past done");
    log_level = level;
    /* The record function can stop the loop. */
    s = (struct seen){.stop_after = 1};
    link_on(&l, &c, &h, HELLO DONE, 64);
    CHECK(transport_records(&l, 0, &next, collect, &s, &e) == TRANSPORT_STOPPED && s.n == 1,
          "the record function can stop the loop after the record it took");
}

TEST(test_transport_table)
{
    CHECK(transport_by_name("local") == &transport_local,
          "transport_by_name finds the local transport");
    CHECK(transport_by_name("ssh") == &transport_ssh, "transport_by_name finds the ssh transport");
    CHECK(transport_by_name("carrier-pigeon") == NULL && transport_by_name(NULL) == NULL,
          "an unknown or missing transport name finds no transport");
    CHECK(!strcmp(transport_names(), "\"local\" or \"ssh\""),
          "transport_names lists the table's names for an error message");
    CHECK(transport_ssh.needs_address && !transport_local.needs_address,
          "ssh needs an address and local does not");
    /* Every transport can do what a sweep asks of it. */
    const struct transport *all[] = {&transport_local, &transport_ssh};
    for (int i = 0; i < 2; i++)
        CHECK(all[i]->connect && all[i]->exec && all[i]->start_agent && all[i]->read &&
              all[i]->finish && all[i]->close,
              "every transport in the table has every operation a sweep calls");
}

TEST(test_remote_command)
{
    /* exec_prefix words first, then the agent (through env when the host
     * has a workdir), every word quoted for the remote shell. */
    struct host_cfg h = {.name = "h", .exec_prefix = "wsl.exe  -d Ubuntu --",
                         .workdir = "/w d/it's"};
    char *argv[8], *owned[2];
    int n = ssh_agent_argv(&h, "/w d/it's/bundles/abc", argv, owned);
    argv[n++] = "tail";
    argv[n++] = "--sweep";
    argv[n++] = "u-1";
    argv[n] = NULL;
    char *cmd = ssh_command(&h, argv);
    CHECK(!strcmp(cmd, "wsl.exe -d Ubuntu -- env 'HOTPATH_HOME=/w d/it'\\''s' "
                       "'/w d/it'\\''s/bundles/abc/bin/hotpath-agent' tail --sweep u-1"),
          "exec_prefix words come first, then env with HOTPATH_HOME for a workdir, every word "
          "quoted");
    free(cmd);
    free(owned[0]);
    free(owned[1]);
    struct host_cfg plain = {.name = "p"};
    n = ssh_agent_argv(&plain, ".cache/hotpath/bundles/abc", argv, owned);
    argv[n++] = "probe";
    argv[n] = NULL;
    cmd = ssh_command(&plain, argv);
    CHECK(n == 2 && owned[0] == NULL &&
          !strcmp(cmd, ".cache/hotpath/bundles/abc/bin/hotpath-agent probe"),
          "a host without workdir or prefix runs the agent by its bundle path alone, nothing "
          "to free");
    free(cmd);
    free(owned[1]);
}

TEST(test_sweep_plan)
{
    json_t *registry = json_pack("{s:s, s:[{s:s, s:[s]}, {s:s, s:[s]}, {s:s, s:[s]}]}",
                                 "reference", "c-scalar", "engines", "name", "c-scalar",
                                 "tasks", "join", "name", "c-threads", "tasks", "join",
                                 "name", "python-loop", "tasks", "join");
    json_t *sw = json_pack("{s:s, s:[s, s], s:[]}", "profile", "tiny", "engines",
                           "python-loop", "c-threads", "extra_engines");
    const char *uuid = "0123456789abcdef-0000";
    json_t *plan = sweep_plan(uuid, sw, registry);
    /* The engines asked for, in the order asked; the reference beside them. */
    json_t *eng = json_object_get(plan, "engines");
    CHECK(json_array_size(eng) == 2 &&
          !strcmp(json_string_value(json_object_get(json_array_get(eng, 0), "name")),
                  "python-loop"), "the plan holds the engines asked for, in the order asked");
    CHECK(!strcmp(json_string_value(json_object_get(json_object_get(plan, "reference"),
                                                    "name")), "c-scalar"),
          "the registry's reference engine is named beside the engines asked for");
    CHECK(!json_object_get(plan, "extra_engines") &&
          !strcmp(json_string_value(json_object_get(plan, "sweep")), uuid),
          "the plan drops extra_engines and names its sweep uuid");
    /* The order seed is the uuid's first seven bytes: the same sweep, the same order. */
    CHECK(json_integer_value(json_object_get(plan, "order_seed")) == 0x0123456789abcdLL,
          "the order seed is the uuid's first seven bytes");
    json_t *again = sweep_plan(uuid, sw, registry);
    CHECK(json_equal(plan, again), "the same sweep gives the same plan");
    json_decref(again);
    /* A host's plan: its name and python, and the done list it is given. */
    json_t *hp = sweep_host_plan(plan, "h1", "/usr/bin/python3");
    char *text = sweep_plan_text(hp, json_pack("[[s, s, i, i]]", "join", "c-threads", 1, 0));
    json_t *back = json_loads(text, 0, NULL);
    CHECK(back && !strcmp(json_string_value(json_object_get(back, "host")), "h1") &&
          !strcmp(json_string_value(json_object_get(back, "python")), "/usr/bin/python3") &&
          json_array_size(json_object_get(back, "done")) == 1,
          "a host's plan carries its name, its python and the done list it is given");
    CHECK(!json_object_get(plan, "host"),
          "making a host's plan leaves the sweep's plan as it was");
    free(text);
    json_decref(back);
    json_decref(hp);
    /* A sweep with 160,000 runs stored still gets a plan the agent takes
     * (at most 4 MiB): past a bound the agent reads its own journal. */
    json_t *many = json_array();
    for (int i = 0; i < 160000; i++)
        json_array_append_new(many, json_pack("[s, s, i, i]", "stream-score", "python-loop",
                                              1 + i % 4, i / 4));
    hp = sweep_host_plan(plan, "h1", NULL);
    text = sweep_plan_text(hp, many);
    CHECK(text && strlen(text) < 4u * 1024 * 1024,
          "a plan for a sweep with 160,000 stored runs stays under the agent's 4 MiB");
    free(text);
    json_decref(hp);
    char u[37];
    sweep_uuid(u);
    CHECK(strlen(u) == 36 && u[8] == '-' && u[14] == '4' && strspn(u, "0123456789abcdef-") == 36,
          "sweep_uuid makes a version-4 uuid in lower-case hex with dashes in place");
    json_decref(plan);
    json_decref(sw);
    json_decref(registry);
}

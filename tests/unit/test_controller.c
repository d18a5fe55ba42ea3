#include "harness.h"
#include "../../common/err.h"
#include "../../common/xmalloc.h"
#include "../../controller/admit.h"
#include "../../controller/cfg.h"
#include "../../controller/hotpath.h"
#include "../../controller/proto.h"
#include "../../controller/sshcfg.h"
#include "../../controller/bundle.h"
#include "../../controller/record.h"
#include "../../controller/rows.h"
#include "../../store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse(const char *line, enum proto_type *t, char *why)
{
    json_t *m;
    int rc = proto_parse(line, strlen(line), t, &m, why, 256);
    json_decref(m);
    return rc;
}

TEST(test_proto)
{
    enum proto_type t;
    char why[256];
    CHECK(parse("{\"type\": \"hello\", \"version\": \"1\", \"sweep\": \"x\"}", &t, why) == 0 &&
          t == PROTO_HELLO, "a hello with version and sweep is a valid hello record");
    CHECK(parse("{\"type\": \"run\", \"task\": \"join\", \"engine\": \"c\", \"threads\": 1, "
                "\"repeat\": 0, \"warmup\": false, \"status\": \"ok\", \"total_s\": 1.5, "
                "\"seq\": 4}", &t, why) == 0 && t == PROTO_RUN,
          "a complete ok run record is valid");
    CHECK(parse("{\"type\": \"run\", \"task\": \"join\", \"engine\": \"c\", \"threads\": 1, "
                "\"repeat\": 0, \"warmup\": false, \"status\": \"ok\", \"seq\": 4}", &t,
                why) < 0 && strstr(why, "total_s"),
          "an ok run without total_s is refused, naming total_s");
    CHECK(parse("{\"type\": \"run\", \"task\": \"join\", \"engine\": \"c\", \"threads\": 1, "
                "\"repeat\": 0, \"warmup\": false, \"status\": \"great\", \"seq\": 4}", &t,
                why) < 0 && strstr(why, "great"),
          "a run with an unknown status is refused, naming the status");
    CHECK(parse("{\"type\": \"run\", \"task\": 3}", &t, why) < 0 && strstr(why, "task"),
          "a run whose task is not a string is refused, naming task");
    CHECK(parse("{\"type\": \"gossip\"}", &t, why) < 0 && strstr(why, "gossip"),
          "an unknown record type is refused, naming the type");
    CHECK(parse("[1, 2]", &t, why) < 0 && strstr(why, "not a JSON object"),
          "a line that is a JSON array, not an object, is refused");
    CHECK(parse("{\"type\": \"done\", \"ok\": true", &t, why) < 0,
          "a truncated JSON line is refused");
    CHECK(parse("{\"type\": \"done\", \"ok\": true, \"ok\": false}", &t, why) < 0,
          "a record with a key given twice is refused");
    CHECK(parse("{\"type\": \"done\", \"ok\": true}", &t, why) == 0 && t == PROTO_DONE,
          "a done record with ok is valid");
    char *big = malloc(PROTO_MAX_LINE + 2);
    memset(big, ' ', PROTO_MAX_LINE + 1);
    big[PROTO_MAX_LINE + 1] = '\0';
    json_t *m;
    CHECK(proto_parse(big, PROTO_MAX_LINE + 1, &t, &m, why, sizeof why) < 0 &&
          strstr(why, "limit"),
          "a line over PROTO_MAX_LINE is refused before it is parsed, naming the limit");
    free(big);
}

static int cfg_text(const char *text, struct err *e)
{
    char path[] = "/tmp/hp-cfg-XXXXXX";
    int fd = mkstemp(path);
    if (write(fd, text, strlen(text)) < 0)
        return -2;
    close(fd);
    struct cfg c;
    int rc = cfg_load(path, &c, e);
    cfg_free(&c);
    unlink(path);
    return rc;
}

TEST(test_cfg)
{
    struct err e = {0};
    CHECK(cfg_text("{}", &e) == 0, "an empty configuration is valid");
    CHECK(cfg_text("{\"sweep\": {\"repeats\": 5}, \"hosts\": [{\"name\": \"a\"}]}", &e) == 0,
          "a configuration with a sweep and one host is valid");
    CHECK(cfg_text("{\"sweeps\": {}}", &e) < 0 && strstr(e.msg, "unknown key 'sweeps'") &&
          strstr(e.msg, "/tmp/hp-cfg-"),
          "an unknown top-level key is refused, naming the key and the file");
    CHECK(cfg_text("{\"hosts\": [{\"name\": \"a\", \"adress\": \"x\"}]}", &e) < 0 &&
          strstr(e.msg, "'hosts[0].adress'"),
          "a misspelt host key is refused with its path in the configuration");
    CHECK(cfg_text("{\"sweep\": {\"repeats\": \"5\"}}", &e) < 0 &&
          strstr(e.msg, "'sweep.repeats' must be an integer"),
          "a repeats given as a string is refused as not an integer");
    CHECK(cfg_text("{\"hosts\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}", &e) < 0 &&
          strstr(e.msg, "used twice"), "a host name used twice is refused");
    CHECK(cfg_text("{\"hosts\": [{\"name\": \"a\", \"transport\": \"ssh\"}]}", &e) < 0 &&
          strstr(e.msg, "address"), "an ssh host without an address is refused");
    CHECK(cfg_text("{\"hosts\": []}", &e) < 0, "an empty host list is refused");
    CHECK(cfg_text("[1]", &e) < 0, "a configuration that is not a JSON object is refused");

    json_t *a = hp_split_list("1,all,4", 1, &e);
    CHECK(a && json_array_size(a) == 3 && json_integer_value(json_array_get(a, 2)) == 4,
          "a thread list of numbers and all is split into its three items");
    json_decref(a);
    CHECK(hp_split_list("1,0", 1, &e) == NULL, "a thread count of 0 is refused");
    CHECK(hp_split_list(",", 0, &e) == NULL, "a list with only empty items is refused");
}

/* cfg_load then cfg_check_sweep against a registry holding c-scalar. */
static int sweep_text(const char *text, struct cfg *out, struct err *e)
{
    char path[] = "/tmp/hp-cfg-XXXXXX";
    int fd = mkstemp(path);
    if (write(fd, text, strlen(text)) < 0)
        return -2;
    close(fd);
    struct cfg c;
    json_t *reg = json_pack("{s:s, s:[{s:s, s:[s], s:[s]}]}", "reference", "c-scalar",
                            "engines", "name", "c-scalar", "argv", "{bin}/c-scalar", "tasks",
                            "join");
    int rc = cfg_load(path, &c, e);
    if (rc == 0)
        rc = cfg_check_sweep(&c, reg, e);
    json_decref(reg);
    unlink(path);
    if (out && rc == 0)
        *out = c;
    else
        cfg_free(&c);
    return rc;
}

TEST(test_cfg_limits)
{
    struct err e = {0};
    CHECK(sweep_text("{\"hosts\": [{\"name\": \"a\", \"transport\": \"ssh\", \"address\": \"x\", "
                     "\"port\": 0}]}", NULL, &e) < 0 && strstr(e.msg, "port' must be 1..65535"),
          "an ssh port of 0 is refused as outside 1..65535");
    CHECK(sweep_text("{\"hosts\": [{\"name\": \"a\", \"transport\": \"ssh\", \"address\": \"x\", "
                     "\"port\": 65536}]}", NULL, &e) < 0 && strstr(e.msg, "65535"),
          "an ssh port of 65536 is refused as outside 1..65535");
    CHECK(sweep_text("{\"hosts\": [{\"name\": \"a\", \"transport\": \"ssh\", \"address\": \"x\", "
                     "\"port\": 65535}]}", NULL, &e) == 0, "an ssh port of 65535 is accepted");
    CHECK(sweep_text("{\"sweep\": {\"sizes\": {\"facts\": 9223372036854775807}}}", NULL, &e) < 0
          && strstr(e.msg, "sizes.facts' must be an integer from 1 to"),
          "a facts size beyond the generator's bound is refused with the allowed range");
    CHECK(sweep_text("{\"sweep\": {\"sizes\": {\"points\": 1000000000}}}", NULL, &e) == 0,
          "a points size of one billion is accepted");
    CHECK(sweep_text("{\"sweep\": {\"extra_engines\": [{\"name\": \"c-scalar\", \"argv\": "
                     "[\"/bin/true\"], \"tasks\": [\"join\"]}]}}", NULL, &e) < 0 &&
          strstr(e.msg, "'c-scalar' is already an engine's name"),
          "an extra engine may not take the name of a registry engine");
    CHECK(sweep_text("{\"sweep\": {\"extra_engines\": [{\"name\": \"m\", \"argv\": [\"x\"], "
                     "\"tasks\": [\"join\"]}, {\"name\": \"m\", \"argv\": [\"y\"], \"tasks\": "
                     "[\"join\"]}]}}", NULL, &e) < 0 && strstr(e.msg, "extra_engines[1].name"),
          "two extra engines with one name are refused, naming the second");
    CHECK(sweep_text("{\"sweep\": {\"extra_engines\": [{\"name\": \"m\", \"argv\": [\"x\"], "
                     "\"tasks\": [\"join\"], \"taks\": 1}]}}", NULL, &e) < 0 &&
          strstr(e.msg, "unknown key 'sweep.extra_engines[0].taks'"),
          "a misspelt key of an extra engine is refused with its full path");
    CHECK(sweep_text("{\"sweep\": {\"extra_engines\": [{\"name\": \"m\", \"argv\": [\"x\"], "
                     "\"tasks\": [\"jion\"]}]}}", NULL, &e) < 0 && strstr(e.msg, "'jion'"),
          "an extra engine with an unknown task is refused, naming the task");
    CHECK(sweep_text("{\"sweep\": {\"extra_engines\": [{\"name\": \"m\", \"argv\": [\"x\"], "
                     "\"tasks\": [\"join\"], \"needs\": \"x\"}]}}", NULL, &e) == 0,
          "an extra engine with a needs note is accepted");
    CHECK(sweep_text("{\"hosts\": [{\"name\": \"a\", \"workdir\": \"/\"}]}", NULL, &e) < 0 &&
          strstr(e.msg, "root directory"), "a workdir at the root directory is refused");
    CHECK(sweep_text("{\"hosts\": [{\"name\": \"a\", \"workdir\": \"//./\"}]}", NULL, &e) < 0,
          "a workdir that normalises to the root directory is refused");
    CHECK(sweep_text("{\"hosts\": [{\"name\": \"a\", \"workdir\": \"/.x\"}]}", NULL, &e) == 0,
          "a workdir of a dotted name under the root is accepted");
    struct cfg c;
    char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    setenv("HOME", "/home/someone", 1);
    CHECK(sweep_text("{\"hosts\": [{\"name\": \"a\", \"workdir\": \"~/hp work\"}, {\"name\": "
                     "\"b\", \"transport\": \"ssh\", \"address\": \"x\", \"workdir\": "
                     "\"~/w\"}]}", &c, &e) == 0 &&
          !strcmp(c.hosts[0].workdir, "/home/someone/hp work") &&
          !strcmp(c.hosts[1].workdir, "w"),
          "~ in a local workdir is this machine's HOME, and in an ssh workdir the remote home");
    cfg_free(&c);
    if (home)
        setenv("HOME", home, 1);
    free(home);
    /* Many hosts: one pass over the names, a duplicate found at the end. */
    enum { MANY = 100000 };
    json_t *hosts = json_array();
    for (int i = 0; i < MANY; i++) {
        char n[32];
        snprintf(n, sizeof n, "host-%d", i == MANY - 1 ? 17 : i);
        json_array_append_new(hosts, json_pack("{s:s, s:s}", "name", n, "jump", "host-3"));
    }
    json_object_set_new(json_array_get(hosts, 3), "jump", json_string("host-4"));
    json_t *root = json_pack("{s:o}", "hosts", hosts);
    CHECK(cfg_from_json(root, "many", &c, &e) < 0 && strstr(e.msg, "'host-17' is used twice"),
          "a name used twice among 100,000 hosts is found and named");
    cfg_free(&c);
}

static const struct host_cfg *host_named(const struct cfg *c, const char *name)
{
    for (int i = 0; i < c->nhosts_all; i++)
        if (!strcmp(c->all_hosts[i].name, name))
            return &c->all_hosts[i];
    return NULL;
}

static const char *resolved(const struct host_cfg *h, const char *key, const char *field)
{
    return json_string_value(json_object_get(json_object_get(h->ssh_resolved, key), field));
}

TEST(test_sshcfg)
{
    json_t *g = sshcfg_parse("hostname 198.18.0.11\nuser alice\nidentityfile ~/.ssh/a\n"
                             "identityfile ~/.ssh/b\nProxyJump x\n");
    CHECK(!strcmp(json_string_value(json_object_get(g, "hostname")), "198.18.0.11"),
          "sshcfg_parse reads a hostname value");
    CHECK(json_array_size(json_object_get(g, "identityfile")) == 2,
          "sshcfg_parse keeps every identityfile given");
    CHECK(!strcmp(json_string_value(json_object_get(g, "proxyjump")), "x"),
          "sshcfg_parse keys are lower case whatever the case in the file");
    json_decref(g);

    char dir[] = "/tmp/hp-sshcfg-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "a temporary directory for the ssh config is made");
    char conf[128], key[128], text[1024];
    snprintf(conf, sizeof conf, "%s/config", dir);
    snprintf(key, sizeof key, "%s/key", dir);
    FILE *f = fopen(key, "w");
    fclose(f);
    snprintf(text, sizeof text,
             "Host lab-a\n  HostName 198.18.0.11\n  User alice\n  Port 2222\n"
             "  IdentityFile %s\n"
             "Host lab-b\n  HostName 198.18.0.12\n  ProxyJump bob@lab-a:2200,lab-c\n"
             "Host lab-c\n  HostName 198.18.0.13\n", key);
    f = fopen(conf, "w");
    fputs(text, f);
    fclose(f);
    const char *old = getenv("HOTPATH_SSH_CONFIG");
    char *saved = old ? strdup(old) : NULL;
    setenv("HOTPATH_SSH_CONFIG", conf, 1);
    struct cfg c;
    struct err e = {0};
    json_t *root = json_loads(
        "{\"hosts\": [{\"name\": \"a\", \"transport\": \"ssh\", \"address\": \"lab-a\"},"
        " {\"name\": \"b\", \"transport\": \"ssh\", \"address\": \"lab-a\", \"user\": \"me\","
        "  \"port\": 22},"
        " {\"name\": \"c\", \"transport\": \"ssh\", \"address\": \"lab-b\"},"
        " {\"name\": \"d\", \"transport\": \"ssh\", \"address\": \"198.18.0.99\"}]}", 0, NULL);
    int rc = cfg_from_json(root, "test", &c, &e);
    CHECK(rc == 0, "hosts whose addresses are ssh config aliases load");
    if (rc == 0 && access("/usr/bin/ssh", X_OK) == 0) {
        const struct host_cfg *a = host_named(&c, "a"), *b = host_named(&c, "b");
        const struct host_cfg *hc = host_named(&c, "c"), *d = host_named(&c, "d");
        CHECK(!strcmp(a->address, "198.18.0.11") && !strcmp(a->user, "alice") &&
              a->port == 2222 && a->identity && !strcmp(a->identity, key),
              "an alias takes its HostName, User, Port and IdentityFile from the ssh config");
        CHECK(!strcmp(resolved(a, "hostname", "from"), "ssh") &&
              !strcmp(resolved(a, "user", "value"), "alice"),
              "a resolved value records that it came from ssh, and its value");
        /* hotpath's own keys win, and the ssh value is kept to show */
        CHECK(!strcmp(b->user, "me") && b->port == 22 && !strcmp(b->address, "198.18.0.11"),
              "hotpath's own user and port win over the ssh config's, the address still resolved");
        CHECK(!strcmp(resolved(b, "user", "from"), "hotpath") &&
              !strcmp(resolved(b, "user", "ssh"), "alice") &&
              !strcmp(resolved(b, "port", "ssh"), "2222"),
              "an overridden value records hotpath as its source and keeps the ssh value to show");
        /* ProxyJump a,b: the target through b, b through a */
        const struct host_cfg *j2 = host_named(&c, "jump:lab-c");
        const struct host_cfg *j1 = host_named(&c, "jump:bob@lab-a:2200");
        CHECK(!strcmp(hc->address, "198.18.0.12") && hc->jump && !strcmp(hc->jump, "jump:lab-c"),
              "a ProxyJump chain makes the target go through its last jump");
        CHECK(j2 && !strcmp(j2->address, "198.18.0.13") && j2->jump &&
              !strcmp(j2->jump, "jump:bob@lab-a:2200"),
              "the last jump of the chain goes through the first one");
        CHECK(j1 && !strcmp(j1->address, "198.18.0.11") && !strcmp(j1->user, "bob") &&
              j1->port == 2200 && !j1->jump,
              "the first jump takes its user and port from the ProxyJump entry and needs no jump");
        CHECK(c.nhosts == 4 && c.nhosts_all == 6,
              "the two jump hosts are added to all hosts, not to the hosts a sweep runs on");
        CHECK(d->ssh_resolved == NULL && !strcmp(d->address, "198.18.0.99"),
              "a host addressed by IP that no Host entry names is left unresolved");
    }
    cfg_free(&c);
    if (saved) {
        setenv("HOTPATH_SSH_CONFIG", saved, 1);
        free(saved);
    } else {
        unsetenv("HOTPATH_SSH_CONFIG");
    }
    unlink(conf);
    unlink(key);
    rmdir(dir);
}

TEST(test_bundle_targets)
{
    char *t = bundle_target_of("Linux aarch64\n");
    CHECK(t && !strcmp(t, "Linux aarch64"),
          "a uname line names its bundle target without the newline");
    free(t);
    CHECK(bundle_target_of("Linux") == NULL,
          "a uname line without a machine is refused as a target");
    CHECK(bundle_target_of("Linux x86_64; rm -rf /") == NULL,
          "a uname line with anything beyond its two words is refused as a target");
    struct err e = {0};
    const struct bundle *here = bundle_for(NULL, &e);
    const struct bundle *other = bundle_for("Darwin arm64", &e);
    CHECK(here && other && here != other && strcmp(here->sha, other->sha) != 0,
          "a bundle for another target is a different bundle with a different digest");
    CHECK(bundle_for("Darwin arm64", &e) == other,
          "the bundle for a target is made once and reused");
    if (!here || !other)
        return;
    CHECK(!here->host_build && other->host_build,
          "the bundle for this machine is built here, another target's on the host");
    CHECK(strstr(other->manifest, "# hotpath bundle for Darwin arm64\n# build: host\n") ==
          other->manifest, "another target's manifest names its target and a host build first");
    CHECK(strstr(here->manifest, "# build: controller\n") != NULL,
          "this machine's manifest says it was built by the controller");
    char *script = xasprintf("%s/scripts/host-build.sh", hp_root());
    int in_tree = access(script, R_OK) == 0;
    free(script);
    if (!in_tree) {
        SKIP("this test binary is not in the project's bin/ (a sanitizer build)");
        return;
    }
    /* Nothing built here goes to another target. */
    int bins = 0, sources = 0;
    for (size_t i = 0; i < other->nfiles; i++) {
        bins += !strncmp(other->files[i].path, "bin/", 4);
        sources += !strcmp(other->files[i].path, "scripts/host-build.sh");
    }
    CHECK(bins == 0 && sources == 1,
          "no binary built here goes to another target, which gets the host build script");
    CHECK(strstr(here->manifest, "  bin/hotpath-agent\n") != NULL,
          "this machine's manifest lists the agent binary");
}

static int admit_text(const struct admit_plan *p, const char *rec, long cores, char *why)
{
    json_t *m = json_loads(rec, 0, NULL);
    struct proto_run *r = proto_run_of(m);
    int rc = admit_run(p, r, cores, why, 256);
    proto_run_free(r);
    json_decref(m);
    return rc;
}

TEST(test_admit)
{
    json_t *plan = json_loads("{\"sweep\": \"aaaa-1\", \"tasks\": [\"join\", \"groupby\"], "
                              "\"threads\": [1, \"all\"], \"repeats\": 3, \"warmups\": 1, "
                              "\"engines\": [{\"name\": \"c\", \"tasks\": [\"join\"]}, "
                              "{\"name\": \"p\", \"tasks\": [\"join\", \"groupby\"]}]}", 0, NULL);
    struct admit_plan p;
    admit_init(&p, plan);
    json_decref(plan);
    char why[256];
    CHECK(admit_text(&p, "{\"type\": \"run\", \"sweep\": \"aaaa-1\", \"engine\": \"c\", "
                     "\"task\": \"join\", \"threads\": 1, \"repeat\": 0, \"warmup\": false, "
                     "\"status\": \"ok\", \"seq\": 1, \"total_s\": 0.5, \"wall_s\": 0.6}", 8,
                     why) == 0,
          "a timed run of a planned engine, task and thread count is admitted");
    CHECK(admit_text(&p, "{\"type\": \"run\", \"sweep\": \"aaaa-1\", \"engine\": \"c\", "
                     "\"task\": \"join\", \"threads\": 8, \"repeat\": -1, \"warmup\": true, "
                     "\"status\": \"failed\", \"seq\": 1}", 8, why) == 0,
          "a failed warmup run with threads \"all\" (8 cores here) is admitted");
    CHECK(admit_text(&p, "{\"type\": \"run\", \"sweep\": \"bbbb-2\", \"engine\": \"c\", "
                     "\"task\": \"join\", \"threads\": 1, \"repeat\": 0, \"warmup\": false, "
                     "\"status\": \"failed\", \"seq\": 1}", 8, why) < 0 &&
          strstr(why, "sweep bbbb-2"), "a run of another sweep is refused, naming that sweep");
    CHECK(admit_text(&p, "{\"type\": \"run\", \"engine\": \"c\", \"task\": \"join\", "
                     "\"threads\": 1, \"repeat\": 0, \"warmup\": false, \"status\": \"failed\", "
                     "\"seq\": 1}", 8, why) < 0 && strstr(why, "(none)"),
          "a run that names no sweep is refused as sweep (none)");
    CHECK(admit_text(&p, "{\"type\": \"run\", \"sweep\": \"aaaa-1\", \"engine\": \"x\", "
                     "\"task\": \"join\", \"threads\": 1, \"repeat\": 0, \"warmup\": false, "
                     "\"status\": \"failed\", \"seq\": 1}", 8, why) < 0 && strstr(why, "'x'"),
          "a run of an engine outside the plan is refused, naming it");
    CHECK(admit_text(&p, "{\"type\": \"run\", \"sweep\": \"aaaa-1\", \"engine\": \"c\", "
                     "\"task\": \"groupby\", \"threads\": 1, \"repeat\": 0, \"warmup\": false, "
                     "\"status\": \"failed\", \"seq\": 1}", 8, why) < 0 && strstr(why, "groupby"),
          "a run of a task its engine does not do is refused, naming the task");
    CHECK(admit_text(&p, "{\"type\": \"run\", \"sweep\": \"aaaa-1\", \"engine\": \"p\", "
                     "\"task\": \"groupby\", \"threads\": -5, \"repeat\": 0, \"warmup\": false, "
                     "\"status\": \"failed\", \"seq\": 1}", 8, why) < 0 && strstr(why, "-5"),
          "a negative thread count is refused, naming it");
    CHECK(admit_text(&p, "{\"type\": \"run\", \"sweep\": \"aaaa-1\", \"engine\": \"p\", "
                     "\"task\": \"groupby\", \"threads\": 4, \"repeat\": 0, \"warmup\": false, "
                     "\"status\": \"failed\", \"seq\": 1}", 8, why) < 0,
          "a thread count the plan does not hold is refused");
    CHECK(admit_text(&p, "{\"type\": \"run\", \"sweep\": \"aaaa-1\", \"engine\": \"p\", "
                     "\"task\": \"groupby\", \"threads\": 1, \"repeat\": 3, \"warmup\": false, "
                     "\"status\": \"failed\", \"seq\": 1}", 8, why) < 0 && strstr(why, "repeat 3"),
          "a repeat past the plan's repeats is refused, naming it");
    CHECK(admit_text(&p, "{\"type\": \"run\", \"sweep\": \"aaaa-1\", \"engine\": \"p\", "
                     "\"task\": \"groupby\", \"threads\": 1, \"repeat\": -2, \"warmup\": true, "
                     "\"status\": \"failed\", \"seq\": 1}", 8, why) < 0,
          "a warmup past the plan's warmups is refused");
    CHECK(admit_text(&p, "{\"type\": \"run\", \"sweep\": \"aaaa-1\", \"engine\": \"p\", "
                     "\"task\": \"groupby\", \"threads\": 1, \"repeat\": 1, \"warmup\": true, "
                     "\"status\": \"failed\", \"seq\": 1}", 8, why) < 0,
          "a warmup with a non-negative repeat is refused");
    CHECK(admit_text(&p, "{\"type\": \"run\", \"sweep\": \"aaaa-1\", \"engine\": \"c\", "
                     "\"task\": \"join\", \"threads\": 1, \"repeat\": 0, \"warmup\": false, "
                     "\"status\": \"ok\", \"seq\": 1, \"total_s\": 1e308, \"wall_s\": 0.1}", 8,
                     why) < 0 && strstr(why, "wall time"),
          "a run whose total time exceeds its wall time is refused, naming the wall time");
    admit_free(&p);
}

TEST(test_store)
{
    char dir[] = "/tmp/hp-store-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "a temporary directory for the store is made");
    char path[128];
    snprintf(path, sizeof path, "%s/s.db", dir);
    struct store *st;
    struct err e = {0};
    CHECK(store_open(path, 0, &st, &e) == 0, "a new store file is created and opened for writing");
    json_t *plan = json_pack("{s:s, s:i, s:s}", "profile", "tiny", "seed", 1,
                             "hotpath_version", "test");
    int64_t sw = store_sweep_create(st, "abcdef00-1111", "c.json", plan, &e);
    CHECK(sw > 0, "a sweep is created with a positive id");
    int64_t h = store_host(st, "box", "local", NULL, &e);
    CHECK(h > 0 && store_host(st, "box", "local", NULL, &e) == h,
          "a host is added once, and adding it again gives the same id");
    CHECK(store_begin(st, &e) == 0, "a transaction begins");
    /* Five timed runs 1..5 and a warmup: median 3, p25 2, p75 4. */
    for (int r = -1; r < 5; r++) {
        json_t *m = json_pack("{s:s, s:s, s:i, s:i, s:b, s:s, s:f, s:f}", "task", "join",
                              "engine", "c-x", "threads", 1, "repeat", r, "warmup", r < 0,
                              "status", "ok", "total_s", r < 0 ? 100.0 : (double)(r + 1),
                              "wall_s", 9.0);
        int added;
        struct proto_run *run = proto_run_of(m);
        CHECK(record_run(st, sw, h, -1, run, &added, &e) == 0 && added,
              "a run not stored yet is added");
        CHECK(record_run(st, sw, h, -1, run, &added, &e) == 0 && !added,
              "the same run again is not stored twice");
        proto_run_free(run);
        json_decref(m);
    }
    json_t *bad = json_pack("{s:s, s:s, s:i, s:i, s:b, s:s}", "task", "join", "engine",
                            "c-x", "threads", 1, "repeat", 9, "warmup", 0, "status", "invalid");
    int added;
    struct proto_run *badrun = proto_run_of(bad);
    CHECK(record_run(st, sw, h, -1, badrun, &added, &e) == 0 && added,
          "a run with status invalid and no timings is still stored");
    CHECK(badrun->has == 0 && badrun->error == NULL,
          "an invalid run has no timings and no error text");
    proto_run_free(badrun);
    json_decref(bad);
    CHECK(store_commit(st, &e) == 0, "the transaction commits");
    json_t *done = store_done_runs(st, sw, h);
    CHECK(json_array_size(done) == 7,
          "the done list holds the warmup, the five timed runs and the invalid run");
    json_decref(done);
    store_close(st);

    CHECK(store_open(path, 1, &st, &e) == 0, "the store reopens read-only");
    char out[512];
    FILE *f = fmemopen(out, sizeof out, "w");
    struct rows_out *ro = rows_begin(f, ROWS_CSV);
    CHECK(store_query(st, "select n, median_s, p25_s, p75_s, min_s, max_s from v_medians",
                      NULL, rows_add, ro, &e) == 0,
          "a select on v_medians is run and its rows are formatted");
    rows_end(ro);
    fclose(f);
    CHECK(strstr(out, "5,3,2,4,1,5") != NULL,
          "v_medians gives n 5, median 3, p25 2, p75 4, min 1 and max 5 for timed runs 1..5");
    f = fmemopen(out, sizeof out, "w");
    ro = rows_begin(f, ROWS_CSV);
    CHECK(store_query(st, "delete from runs", NULL, rows_add, ro, &e) < 0 &&
          strstr(e.msg, "DELETE"), "store_query refuses a delete, naming it");
    CHECK(store_query(st, "pragma user_version = 7", NULL, rows_add, ro, &e) < 0,
          "store_query refuses a pragma that writes");
    CHECK(store_query(st, "select 1; select 2", NULL, rows_add, ro, &e) < 0,
          "store_query refuses more than one statement");
    rows_end(ro);
    fclose(f);
    int64_t id;
    char uuid[64];
    CHECK(store_sweep_find(st, "abc", &id, uuid, NULL, &e) == 0 && id == sw,
          "a sweep is found by a prefix of its uuid");
    CHECK(store_sweep_find(st, "latest", &id, uuid, NULL, &e) == 0 && id == sw,
          "latest finds the newest sweep");
    CHECK(store_sweep_find(st, "zzz", &id, uuid, NULL, &e) < 0,
          "a prefix no sweep has is not found");
    CHECK(store_integrity(st, &e) == 0, "the store passes its integrity check");
    store_close(st);
    json_decref(plan);
    snprintf(out, sizeof out, "rm -rf %s", dir);
    CHECK(system(out) == 0, "the temporary directory is removed");
}

#include "../../controller/ssh.h"

/* The quoted word, read back by a real shell, is the word itself. */
static int roundtrip(const char *arg)
{
    struct buf cmd;
    buf_init(&cmd, 4096);
    buf_puts(&cmd, "printf '%s' ");
    ssh_quote(&cmd, arg);
    FILE *p = popen(cmd.data, "r");
    char out[512] = "";
    size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[n] = '\0';
    int ok = p && pclose(p) == 0 && strcmp(out, arg) == 0;
    buf_free(&cmd);
    return ok;
}

TEST(test_ssh_quote)
{
    struct buf b;
    buf_init(&b, 4096);
    ssh_quote(&b, "plain-word_1.2/x");
    CHECK(!strcmp(b.data, "plain-word_1.2/x"), "a word with nothing to quote is left as it is");
    buf_reset(&b);
    ssh_quote(&b, "");
    CHECK(!strcmp(b.data, "''"), "the empty word is quoted so it survives as a word");
    buf_free(&b);
    CHECK(roundtrip("two words"), "a word with a space reaches the shell as one word");
    CHECK(roundtrip("it's"), "a single quote survives the shell");
    CHECK(roundtrip("\"double\""), "double quotes survive the shell");
    CHECK(roundtrip("$(touch /tmp/hp-quote-pwned) `id` $HOME ${x}"),
          "command substitution, backticks and variables are not expanded by the shell");
    CHECK(roundtrip("line one\nline two"), "a newline inside a word survives the shell");
    CHECK(roundtrip("back\\slash; rm -rf x & y | z > w < v"),
          "backslash and shell operators survive the shell as text");
    CHECK(roundtrip("'''"), "a word of single quotes alone survives the shell");
    CHECK(roundtrip("*?[a]~#!%"),
          "glob, tilde, comment and history characters survive the shell as text");
    CHECK(access("/tmp/hp-quote-pwned", F_OK) != 0, "no quoted word made the shell run a command");
}

/* A command wrapped for cmd.exe: nothing cmd.exe or wsl.exe reads
 * specially, and sh on the far side runs exactly the command. */
static int wrapped_runs(const char *posix_cmd, const char *want)
{
    struct buf w;
    buf_init(&w, 1 << 16);
    ssh_wrap_cmd(&w, posix_cmd);
    int ok = strncmp(w.data, "sh -c \"echo ", 12) == 0 &&
             strspn(w.data + 12, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                 "0123456789+/=") == strlen(w.data) - 12 - 18 &&
             !strcmp(w.data + strlen(w.data) - 18, " | base64 -d | sh\"");
    FILE *p = ok ? popen(w.data, "r") : NULL;
    char out[512] = "";
    size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[n] = '\0';
    ok = p && pclose(p) == 0 && strcmp(out, want) == 0;
    buf_free(&w);
    return ok;
}

TEST(test_ssh_cmd)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    CHECK(ssh_cmd_word(&b, "wsl.exe") == 0 && !strcmp(b.data, "wsl.exe"),
          "a plain cmd.exe word is written bare");
    buf_reset(&b);
    CHECK(ssh_cmd_word(&b, "C:\\Program Files\\WSL\\wsl.exe") == 0 &&
          !strcmp(b.data, "\"C:\\Program Files\\WSL\\wsl.exe\""),
          "a cmd.exe word with a space is written in double quotes");
    buf_reset(&b);
    CHECK(ssh_cmd_word(&b, "a&b") == 0 && !strcmp(b.data, "\"a&b\""),
          "cmd.exe's own & is quoted");
    CHECK(ssh_cmd_word(&b, "%PATH%") < 0, "a word cmd.exe would expand (%VAR%) is refused");
    CHECK(ssh_cmd_word(&b, "say\"hi") < 0, "a word with a double quote is refused");
    CHECK(ssh_cmd_word(&b, "") < 0, "an empty word is refused");
    buf_free(&b);
    CHECK(wrapped_runs("printf %s a", "a"), "a command without base64 padding runs as it is");
    CHECK(wrapped_runs("printf %s ab", "ab"), "a command with one '=' of padding runs as it is");
    CHECK(wrapped_runs("printf '%s|' 'x & y' \"%PATH%\" '<>^'", "x & y|%PATH%|<>^|"),
          "&, %VAR%, <, > and ^ reach sh untouched");
    CHECK(wrapped_runs("printf '%s' 'it'\\''s'", "it's"), "POSIX quoting reaches sh untouched");

    struct host_cfg h = {.name = "w", .exec_prefix = "wsl.exe -d Fedora --",
                         .exec_shell = "cmd", .workdir = "/mnt/c/Users/me/hp",
                         .sftp_workdir = "C:/Users/me/hp"};
    char *argv[] = {"/mnt/c/Users/me/hp/bin/hotpath-agent", "probe", NULL};
    char *c = ssh_command(&h, argv);
    CHECK(!strncmp(c, "wsl.exe -d Fedora -- sh -c \"echo ", 33) &&
          strspn(c + 33, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
          strlen(c) - 33 - 18,
          "exec_shell cmd: the prefix as cmd.exe words, then the command as base64 only");
    free(c);
    c = ssh_sftp_path(&h, "/mnt/c/Users/me/hp/bundles/x");
    CHECK(!strcmp(c, "C:/Users/me/hp/bundles/x"),
          "a path under workdir is named by sftp_workdir for SFTP");
    free(c);
    c = ssh_sftp_path(&h, "/mnt/c/Users/me/hpx/y");
    CHECK(!strcmp(c, "/mnt/c/Users/me/hpx/y"),
          "a path that only starts with the workdir's letters is left as it is");
    free(c);
    h.sftp_workdir = NULL;
    c = ssh_sftp_path(&h, "/mnt/c/Users/me/hp/bundles/x");
    CHECK(!strcmp(c, "/mnt/c/Users/me/hp/bundles/x"),
          "without sftp_workdir paths are as they are");
    free(c);
}

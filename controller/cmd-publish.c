/* hotpath publish: post a sweep (runs, hosts, data manifest) as JSON. */
#include "hotpath.h"
#include "http.h"
#include "../common/err.h"
#include "../common/xmalloc.h"
#include "../store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hp_open_readonly(struct store **st);

/* Columns stored as JSON text come back parsed. */
static void parse_json_column(json_t *rows, const char *col)
{
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        json_t *v = json_loads(json_string_value(json_object_get(r, col)) ?: "null",
                               JSON_DECODE_ANY, NULL);
        json_object_set_new(r, col, v ? v : json_null());
    }
}

static json_t *sweep_document(struct store *st, int64_t id, struct err *e)
{
    json_t *sweep = store_select(st, e, "SELECT uuid, config_path, plan, profile, seed, "
                                 "hotpath_version, started_at, finished_at, status FROM sweeps "
                                 "WHERE id = ?1", "i", id);
    json_t *hosts = store_select(st, e, "SELECT h.name AS host, h.transport, sh.status, "
                                 "sh.planned, sh.error FROM sweep_hosts sh JOIN hosts h ON "
                                 "h.id = sh.host_id WHERE sh.sweep_id = ?1", "i", id);
    json_t *snaps = store_select(st, e, "SELECT h.name AS host, s.taken_at, s.probe FROM "
                                 "host_snapshots s JOIN hosts h ON h.id = s.host_id WHERE "
                                 "s.sweep_id = ?1", "i", id);
    json_t *data = store_select(st, e, "SELECT h.name AS host, d.profile, d.seed, d.manifest "
                                "FROM datasets d JOIN hosts h ON h.id = d.host_id WHERE "
                                "d.sweep_id = ?1", "i", id);
    json_t *runs = store_select(st, e, "SELECT h.name AS host, r.task, r.engine, r.threads, "
                                "r.repeat, r.warmup, r.status, r.wall_s, r.total_s, r.load_s, "
                                "r.compute_s, r.user_s, r.sys_s, r.max_rss_kb, r.exit_code, "
                                "r.signal, r.threads_used, r.error, r.at FROM runs r JOIN "
                                "hosts h ON h.id = r.host_id WHERE r.sweep_id = ?1 ORDER BY "
                                "r.id", "i", id);
    if (!sweep || !hosts || !snaps || !data || !runs) {
        json_decref(sweep);
        json_decref(hosts);
        json_decref(snaps);
        json_decref(data);
        json_decref(runs);
        return NULL;
    }
    parse_json_column(sweep, "plan");
    parse_json_column(snaps, "probe");
    parse_json_column(data, "manifest");
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "format", "hotpath-sweep/1",
                     "hotpath_version", HOTPATH_VERSION, "sweep",
                     json_incref(json_array_get(sweep, 0)), "hosts", hosts, "snapshots", snaps,
                     "datasets", data, "runs", runs);
}

int cmd_publish(int argc, char **argv)
{
    const char *which = "latest", *token_env = NULL;
    struct http_opts o = {.attempts = 4, .backoff_s = 0.5, .timeout_s = 60};
    int have_sweep = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--url") && i + 1 < argc)
            o.url = argv[++i];
        else if (!strcmp(a, "--cacert") && i + 1 < argc)
            o.cacert = argv[++i];
        else if (!strcmp(a, "--token-env") && i + 1 < argc)
            token_env = argv[++i];
        else if (!strcmp(a, "--retries") && i + 1 < argc)
            o.attempts = atoi(argv[++i]) + 1;
        else if (!strcmp(a, "--insecure-http"))
            o.allow_http = 1;
        else if (a[0] != '-' && !have_sweep)
            which = a, have_sweep = 1;
        else
            die_code(2, "publish: unknown argument '%s' (see hotpath publish --help)", a);
    }
    if (!o.url)
        die_code(2, "publish: --url is required");
    if (o.attempts < 1 || o.attempts > 20)
        die_code(2, "publish: --retries takes 0 to 19");
    if (token_env) {
        o.token = getenv(token_env);
        if (!o.token || !*o.token)
            die_code(2, "publish: the environment variable %s (--token-env) is not set",
                     token_env);
    }
    struct err e = {0};
    char scheme[16];
    if (http_scheme(o.url, scheme, sizeof scheme) < 0)
        die_code(2, "publish: '%s' is not a URL", o.url);
    if (strcmp(scheme, "https") != 0 && !(o.allow_http && !strcmp(scheme, "http") &&
                                          http_is_loopback(o.url)))
        die_code(2, "publish: refusing %s:// — only https:// (plain http only with "
                 "--insecure-http and a loopback address)", scheme);
    struct store *st;
    hp_open_readonly(&st);
    int64_t id;
    char uuid[64];
    if (store_sweep_find(st, which, &id, uuid, NULL, &e) < 0)
        die("%s", e.msg);
    json_t *doc = sweep_document(st, id, &e);
    store_close(st);
    if (!doc)
        die("%s", e.msg);
    char *body = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(doc);
    long status = 0;
    int rc = http_post_json(&o, body, strlen(body), &status, &e);
    free(body);
    if (rc < 0)
        die_code(e.code ? e.code : 1, "%s", e.msg);
    info("published sweep %s (HTTP %ld)", uuid, status);
    if (cli.json)
        printf("{\"sweep\": \"%s\", \"status\": %ld}\n", uuid, status);
    return 0;
}

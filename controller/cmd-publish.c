/* hotpath publish: post a sweep (runs, hosts, data manifest) as JSON. */
#include "hotpath.h"
#include "http.h"
#include "../common/err.h"
#include "../common/xmalloc.h"
#include "../store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    json_t *sweep = store_sweep_info(st, id, e);
    json_t *hosts = sweep ? store_sweep_hosts(st, id, e) : NULL;
    json_t *snaps = hosts ? store_sweep_snapshots(st, id, e) : NULL;
    json_t *data = snaps ? store_sweep_datasets(st, id, e) : NULL;
    json_t *runs = data ? store_sweep_runs(st, id, e) : NULL;
    if (!runs) {
        json_decref(sweep);
        json_decref(hosts);
        json_decref(snaps);
        json_decref(data);
        return NULL;
    }
    /* The document's shape is its own: only these fields, as before. */
    json_t *sw = json_object();
    static const char *const sweep_keys[] = {"uuid", "config_path", "plan", "profile", "seed",
                                             "hotpath_version", "started_at", "finished_at",
                                             "status"};
    for (size_t k = 0; k < sizeof sweep_keys / sizeof sweep_keys[0]; k++)
        json_object_set(sw, sweep_keys[k], json_object_get(sweep, sweep_keys[k]));
    json_decref(sweep);
    json_t *hs = json_array();
    size_t i;
    json_t *h;
    json_array_foreach(hosts, i, h)
        json_array_append_new(hs, json_pack("{s:O, s:O, s:O, s:O, s:O}", "host",
                                            json_object_get(h, "host"), "transport",
                                            json_object_get(h, "transport"), "status",
                                            json_object_get(h, "status"), "planned",
                                            json_object_get(h, "planned"), "error",
                                            json_object_get(h, "error")));
    json_decref(hosts);
    json_array_foreach(data, i, h) {
        json_object_del(h, "files_sha");
        json_object_del(h, "reused");
        json_object_del(h, "gen_s");
    }
    json_t *one = json_array();
    json_array_append_new(one, sw);
    parse_json_column(one, "plan");
    parse_json_column(snaps, "probe");
    parse_json_column(data, "manifest");
    json_t *doc = json_pack("{s:s, s:s, s:O, s:o, s:o, s:o, s:o}", "format", "hotpath-sweep/1",
                            "hotpath_version", HOTPATH_VERSION, "sweep", sw, "hosts", hs,
                            "snapshots", snaps, "datasets", data, "runs", runs);
    json_decref(one);
    return doc;
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

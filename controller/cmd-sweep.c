/* hotpath sweep: plan, run on every host, store. */
#include "cfg.h"
#include "hotpath.h"
#include "sweep.h"
#include "../common/err.h"
#include "../common/xmalloc.h"
#include "../store/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The configuration: -c, else configs/local.json beside the program, else
 * the built-in default. */
int hp_load_config(struct cfg *c, struct err *e)
{
    if (cli.config)
        return cfg_load(cli.config, c, e);
    char *path = xasprintf("%s/configs/local.json", hp_root());
    int rc = cfg_load(access(path, R_OK) == 0 ? path : NULL, c, e);
    free(path);
    return rc;
}

static const struct {
    const char *flag, *key;
    int kind;   /* 0 string, 1 integer, 2 number, 3 list, 4 thread list */
} overrides[] = {
    {"--profile", "profile", 0}, {"--seed", "seed", 1}, {"--repeats", "repeats", 1},
    {"--warmups", "warmups", 1}, {"--timeout", "timeout_s", 2}, {"--tasks", "tasks", 3},
    {"--engines", "engines", 3}, {"--threads", "threads", 4},
};

static json_t *override_value(int kind, const char *flag, const char *v, struct err *e)
{
    char *end;
    switch (kind) {
    case 0:
        return json_string(v);
    case 1: {
        long long x = strtoll(v, &end, 10);
        if (*end || end == v) {
            err_set(e, 2, "%s: '%s' is not an integer", flag, v);
            return NULL;
        }
        return json_integer(x);
    }
    case 2: {
        double x = strtod(v, &end);
        if (*end || end == v || !isfinite(x) || x <= 0) {
            err_set(e, 2, "%s: '%s' is not a number of seconds above 0", flag, v);
            return NULL;
        }
        return json_real(x);
    }
    default:
        return hp_split_list(v, kind == 4, e);
    }
}

int cmd_sweep(int argc, char **argv)
{
    struct cfg c;
    struct err e = {0};
    if (hp_load_config(&c, &e) < 0)
        die("%s", e.msg);
    json_t *host_names = NULL;
    for (int i = 1; i < argc; i++) {
        size_t k;
        if (i + 1 >= argc)
            die_code(2, "sweep: %s needs a value (see hotpath sweep --help)", argv[i]);
        if (!strcmp(argv[i], "--hosts")) {
            if (!(host_names = hp_split_list(argv[++i], 0, &e)))
                die_code(2, "--hosts: %s", e.msg);
            continue;
        }
        for (k = 0; k < sizeof overrides / sizeof overrides[0]; k++)
            if (!strcmp(argv[i], overrides[k].flag))
                break;
        if (k == sizeof overrides / sizeof overrides[0])
            die_code(2, "sweep: unknown argument '%s' (see hotpath sweep --help)", argv[i]);
        json_t *v = override_value(overrides[k].kind, argv[i], argv[i + 1], &e);
        if (!v || cfg_override(&c, overrides[k].key, v, &e) < 0)
            die_code(2, "%s", e.msg);
        i++;
    }
    if (host_names && cfg_select_hosts(&c, host_names, &e) < 0)
        die_code(2, "%s", e.msg);
    json_decref(host_names);
    json_t *registry = sweep_registry(&e);
    if (!registry || cfg_check_sweep(&c, registry, &e) < 0)
        die("%s", e.msg);

    struct store *st;
    if (store_open(cli.db, 0, &st, &e) < 0)
        die("%s", e.msg);
    char uuid[37];
    sweep_uuid(uuid);
    json_t *plan = sweep_plan(uuid, c.sweep, registry);
    /* The hosts are part of what the sweep was, so resume needs no config. */
    json_object_set(plan, "hosts", json_object_get(c.root, "hosts"));
    json_t *chosen = json_array();
    for (int i = 0; i < c.nhosts; i++)
        json_array_append_new(chosen, json_string(c.hosts[i].name));
    json_object_set_new(plan, "host_names", chosen);
    int64_t id = store_sweep_create(st, uuid, c.path, plan, &e);
    if (id < 0)
        die("%s", e.msg);
    info("sweep %s: profile %s, %d host%s, store %s", uuid,
         json_string_value(json_object_get(plan, "profile")), c.nhosts, c.nhosts == 1 ? "" : "s",
         cli.db);
    json_object_del(plan, "hosts");
    json_object_del(plan, "host_names");
    const char *status = sweep_execute(st, id, uuid, plan, &c, 0, &e);
    if (!status)
        die("%s", e.msg);
    int rc = !strcmp(status, "complete") ? 0 : 3;
    info("sweep %s %s; see `hotpath query \"select * from v_speedups\"`", uuid, status);
    if (cli.json)
        printf("{\"sweep\": \"%s\", \"status\": \"%s\"}\n", uuid, status);
    json_decref(plan);
    json_decref(registry);
    store_close(st);
    cfg_free(&c);
    return rc;
}

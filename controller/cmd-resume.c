/* hotpath resume: finish a sweep whose controller died or whose host was
 * down. Journals are replayed first, then only the missing runs are run. */
#include "cfg.h"
#include "hotpath.h"
#include "sweep.h"
#include "../common/err.h"
#include "../store/store.h"

#include <stdio.h>
#include <string.h>

int cmd_resume(int argc, char **argv)
{
    if (argc > 2)
        die_code(2, "resume: takes at most one sweep id (see hotpath resume --help)");
    const char *which = argc == 2 ? argv[1] : "latest";
    struct err e = {0};
    struct store *st;
    if (store_open(cli.db, 0, &st, &e) < 0)
        die("%s", e.msg);
    int64_t id;
    char uuid[64];
    json_t *plan;
    if (store_sweep_find(st, which, &id, uuid, &plan, &e) < 0)
        die("%s", e.msg);
    if (!plan)
        die("sweep %s: its stored plan is unreadable", uuid);
    json_t *root = json_pack("{s:O}", "hosts", json_object_get(plan, "hosts"));
    struct cfg c;
    json_t *names = json_incref(json_object_get(plan, "host_names"));
    if (cfg_from_json(root, "the stored sweep", &c, &e) < 0 ||
        (names && cfg_select_hosts(&c, names, &e) < 0))
        die("sweep %s: %s", uuid, e.msg);
    json_decref(names);
    json_object_del(plan, "hosts");
    json_object_del(plan, "host_names");
    info("resuming sweep %s on %d host%s", uuid, c.nhosts, c.nhosts == 1 ? "" : "s");
    const char *status = sweep_execute(st, id, uuid, plan, &c, 1, &e);
    if (!status)
        die("%s", e.msg);
    info("sweep %s %s", uuid, status);
    if (cli.json)
        printf("{\"sweep\": \"%s\", \"status\": \"%s\"}\n", uuid, status);
    json_decref(plan);
    cfg_free(&c);
    store_close(st);
    return !strcmp(status, "complete") ? 0 : 3;
}

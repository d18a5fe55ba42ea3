/* hotpath status: the sweeps in the store, or one sweep's hosts. */
#include "hotpath.h"
#include "../common/err.h"
#include "../common/xmalloc.h"
#include "../store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hp_open_readonly(struct store **st);

static const char sweeps_sql[] =
    "SELECT substr(s.uuid, 1, 8) AS sweep, s.started_at AS started, s.status, s.profile, "
    "(SELECT count(*) FROM sweep_hosts sh WHERE sh.sweep_id = s.id) AS hosts, "
    "(SELECT count(*) FROM runs r WHERE r.sweep_id = s.id) AS stored, "
    "(SELECT sum(planned) FROM sweep_hosts sh WHERE sh.sweep_id = s.id) AS planned, "
    "(SELECT count(*) FROM runs r WHERE r.sweep_id = s.id AND r.status = 'ok') AS ok, "
    "(SELECT count(*) FROM runs r WHERE r.sweep_id = s.id AND r.status IN "
    "('invalid', 'failed', 'timeout')) AS bad, "
    "(SELECT count(*) FROM runs r WHERE r.sweep_id = s.id AND r.status = 'skipped') AS skipped "
    "FROM sweeps s ORDER BY s.id DESC LIMIT 50";

int cmd_status(int argc, char **argv)
{
    if (argc > 2)
        die_code(2, "status: takes at most one sweep id");
    struct store *st;
    hp_open_readonly(&st);
    struct err e = {0};
    enum store_format fmt = cli.json ? STORE_JSON : STORE_TABLE;
    int rc;
    if (argc == 1) {
        rc = store_query(st, sweeps_sql, fmt, stdout, &e);
    } else {
        int64_t id;
        char uuid[64];
        if (store_sweep_find(st, argv[1], &id, uuid, NULL, &e) < 0)
            die("%s", e.msg);
        char *sql = xasprintf(
            "SELECT h.name AS host, sh.status, sh.planned, "
            "(SELECT count(*) FROM runs r WHERE r.sweep_id = sh.sweep_id AND "
            "r.host_id = sh.host_id) AS stored, "
            "(SELECT count(*) FROM runs r WHERE r.sweep_id = sh.sweep_id AND "
            "r.host_id = sh.host_id AND r.status = 'ok') AS ok, "
            "coalesce(sh.error, '') AS error "
            "FROM sweep_hosts sh JOIN hosts h ON h.id = sh.host_id "
            "WHERE sh.sweep_id = %lld ORDER BY h.name", (long long)id);
        if (!cli.json)
            printf("sweep %s\n", uuid);
        rc = store_query(st, sql, fmt, stdout, &e);
        free(sql);
    }
    store_close(st);
    if (rc < 0)
        die("%s", e.msg);
    return 0;
}

/* hotpath status: the sweeps in the store, or one sweep's hosts. */
#include "hotpath.h"
#include "rows.h"
#include "../common/err.h"
#include "../store/store.h"

#include <stdio.h>

int cmd_status(int argc, char **argv)
{
    static const char *const sweep_cols[] = {"sweep", "started", "status", "profile", "hosts",
                                             "stored", "planned", "ok", "bad", "skipped",
                                             NULL};
    static const char *const host_cols[] = {"host", "status", "planned", "stored", "ok",
                                            "error", NULL};
    if (argc > 2)
        die_code(2, "status: takes at most one sweep id");
    struct store *st;
    hp_open_readonly(&st);
    struct err e = {0};
    enum rows_format fmt = cli.json ? ROWS_JSON : ROWS_TABLE;
    json_t *rows, *warnings = NULL;     /* the cells v_warnings flags, for a sweep */
    const char *const *cols = sweep_cols;
    if (argc == 1) {
        rows = store_sweeps_summary(st, 50, &e);
    } else {
        int64_t id;
        char uuid[64];
        if (store_sweep_find(st, argv[1], &id, uuid, NULL, &e) < 0)
            die("%s", e.msg);
        if (!cli.json)
            printf("sweep %s\n", uuid);
        rows = store_sweep_hosts(st, id, &e);
        cols = host_cols;
        if (rows && !cli.json)
            warnings = store_sweep_warnings(st, id, &e);
    }
    store_close(st);
    if (!rows)
        die("%s", e.msg);
    int rc = rows_print_json(stdout, fmt, rows, cols);
    json_decref(rows);
    if (rc == 0 && json_array_size(warnings)) {
        static const char *const warn_cols[] = {"task", "engine", "threads", "host", "kind",
                                                "reason", NULL};
        printf("\nwarnings (these cells are still charted, marked [!KIND] in the report):\n");
        rc = rows_print_json(stdout, ROWS_TABLE, warnings, warn_cols);
    }
    json_decref(warnings);
    if (rc < 0)
        die("status: cannot write the output");
    return 0;
}

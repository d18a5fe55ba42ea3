/* hotpath query: read-only SQL on the store. */
#include "hotpath.h"
#include "../common/err.h"
#include "../store/store.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int hp_open_readonly(struct store **st)
{
    struct err e = {0};
    if (access(cli.db, R_OK) != 0)
        die("%s: no store here (run `hotpath sweep` first, or give --db PATH)", cli.db);
    if (store_open(cli.db, 1, st, &e) < 0)
        die("%s", e.msg);
    return 0;
}

int cmd_query(int argc, char **argv)
{
    enum store_format fmt = cli.json ? STORE_JSON : STORE_TABLE;
    const char *sql = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--csv"))
            fmt = STORE_CSV;
        else if (!strcmp(argv[i], "--json"))
            fmt = STORE_JSON;
        else if (!sql)
            sql = argv[i];
        else
            die_code(2, "query: give the SQL as one argument (quote it)");
    }
    if (!sql)
        die_code(2, "query: no SQL given (see hotpath query --help)");
    struct store *st;
    hp_open_readonly(&st);
    struct err e = {0};
    int rc = store_query(st, sql, fmt, stdout, &e);
    store_close(st);
    if (rc < 0)
        die_code(e.code ? e.code : 1, "%s", e.msg);
    return 0;
}

/* hotpath query: read-only SQL on the store, rows printed as they come. */
#include "hotpath.h"
#include "rows.h"
#include "../common/err.h"
#include "../store/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QUERY_TIMEOUT_S 600          /* generous: a slow query is not a hung one */
#define QUERY_MAX_MEMORY_MIB 1024

int hp_open_readonly(struct store **st)
{
    struct err e = {0};
    if (access(cli.db, F_OK) != 0)
        die("%s: no store here (run `hotpath sweep` first, or give --db PATH)", cli.db);
    if (store_open(cli.db, 1, st, &e) < 0)
        die("%s", e.msg);
    return 0;
}

static double number_arg(const char *flag, const char *v)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !isfinite(x) || x < 0)
        die_code(2, "query: %s takes a number >= 0, not '%s'", flag, v);
    return x;
}

int cmd_query(int argc, char **argv)
{
    enum rows_format fmt = cli.json ? ROWS_JSON : ROWS_TABLE;
    const char *sql = NULL;
    struct store_limits lim = {.timeout_s = QUERY_TIMEOUT_S,
                               .max_bytes = (long long)QUERY_MAX_MEMORY_MIB << 20};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--csv"))
            fmt = ROWS_CSV;
        else if (!strcmp(argv[i], "--json"))
            fmt = ROWS_JSON;
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
            lim.timeout_s = number_arg("--timeout", argv[++i]);
        else if (!strcmp(argv[i], "--max-memory") && i + 1 < argc)
            lim.max_bytes = (long long)(number_arg("--max-memory", argv[++i]) * 1048576.0);
        else if (!strcmp(argv[i], "--timeout") || !strcmp(argv[i], "--max-memory"))
            die_code(2, "query: %s needs a value", argv[i]);
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
    struct rows_out *ro = rows_begin(stdout, fmt);
    int rc = store_query(st, sql, &lim, rows_add, ro, &e);
    int out_rc = rows_end(ro);
    store_close(st);
    if (rc < 0)
        die_code(e.code ? e.code : 1, "%s", e.msg);
    if (out_rc < 0)
        die("query: cannot write the output");
    return 0;
}

/* Helpers the commands share. */
#include "hotpath.h"
#include "../common/exe.h"
#include "../common/err.h"
#include "../common/xmalloc.h"

#include <stdlib.h>
#include <string.h>

json_t *hp_split_list(const char *s, int threads, struct err *e)
{
    json_t *a = json_array();
    char *copy = xstrdup(s), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (threads && strcmp(tok, "all") != 0) {
            char *end;
            long v = strtol(tok, &end, 10);
            if (*end || v < 1 || v > 4096) {
                err_set(e, 2, "--threads: '%s' is not 1..4096 or 'all'", tok);
                json_decref(a);
                a = NULL;
                break;
            }
            json_array_append_new(a, json_integer(v));
        } else {
            json_array_append_new(a, json_string(tok));
        }
    }
    if (a && json_array_size(a) == 0) {
        err_set(e, 2, "empty list '%s'", s);
        json_decref(a);
        a = NULL;
    }
    free(copy);
    return a;
}

static char *root;

const char *hp_root(void)
{
    if (!root)
        root = exe_root();
    return root;
}

int hp_json_has_string(json_t *list, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
        if (json_is_string(v) && !strcmp(json_string_value(v), s))
            return 1;
    return 0;
}

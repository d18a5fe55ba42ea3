/* A sweep's plan: its settings, the engines' definitions from the
 * registry, an order seed; per host, its name, python and done list. */
#include "sweep.h"
#include "hotpath.h"
#include "../common/err.h"
#include "../common/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sweep_uuid(char out[37])
{
    unsigned char b[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, b, sizeof b) != (ssize_t)sizeof b)
        die("cannot read /dev/urandom: %s", strerror(errno));
    close(fd);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

json_t *sweep_registry(struct err *e)
{
    char *path = xasprintf("%s/workloads/engines.json", hp_root());
    json_error_t je;
    json_t *r = json_load_file(path, 0, &je);
    if (!r)
        err_set(e, 1, "%s:%d: %s", path, je.line, je.text);
    free(path);
    return r;
}

json_t *sweep_plan(const char *uuid, json_t *sw, json_t *registry)
{
    json_t *plan = json_deep_copy(sw);
    json_object_del(plan, "extra_engines");
    json_object_set_new(plan, "sweep", json_string(uuid));
    json_object_set_new(plan, "hotpath_version", json_string(HOTPATH_VERSION));
    unsigned char seed[8] = {0};
    for (int i = 0; i < 8 && uuid[i * 2]; i++)
        sscanf(uuid + i * 2, "%2hhx", &seed[i]);
    json_int_t order = 0;
    for (int i = 0; i < 7; i++)
        order = order << 8 | seed[i];
    json_object_set_new(plan, "order_seed", json_integer(order));
    json_t *defs = json_array(), *want = json_object_get(sw, "engines");
    size_t i, k;
    json_t *e, *w;
    json_array_foreach(want, k, w)
        json_array_foreach(json_object_get(registry, "engines"), i, e)
            if (json_equal(json_object_get(e, "name"), w))
                json_array_append(defs, e);
    json_object_set_new(plan, "engines", defs);
    const char *ref = json_string_value(json_object_get(registry, "reference"));
    json_array_foreach(json_object_get(registry, "engines"), i, e)
        if (ref && !strcmp(json_string_value(json_object_get(e, "name")) ?: "", ref))
            json_object_set(plan, "reference", e);
    return plan;
}

json_t *sweep_host_plan(json_t *plan, const char *host, const char *python)
{
    json_t *hp = json_deep_copy(plan);
    json_object_set_new(hp, "host", json_string(host));
    if (python)
        json_object_set_new(hp, "python", json_string(python));
    return hp;
}

/* Above this many done runs the list stays out of the plan (which an agent
 * takes up to 4 MiB): the agent knows its runs from its own journal. */
#define MAX_DONE_IN_PLAN 20000

char *sweep_plan_text(json_t *host_plan, json_t *done)
{
    if (json_array_size(done) > MAX_DONE_IN_PLAN) {
        json_decref(done);
        done = json_array();
    }
    json_object_set_new(host_plan, "done", done);
    return json_dumps(host_plan, JSON_COMPACT);
}

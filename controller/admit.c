#include "admit.h"
#include "hotpath.h"
#include "proto.h"
#include "../common/xmalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void admit_init(struct admit_plan *p, json_t *plan)
{
    memset(p, 0, sizeof *p);
    const char *sweep = json_string_value(json_object_get(plan, "sweep"));
    p->sweep = xstrdup(sweep ? sweep : "");
    p->engines = json_incref(json_object_get(plan, "engines"));
    p->tasks = json_incref(json_object_get(plan, "tasks"));
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(plan, "threads"), i, t) {
        if (json_is_string(t) && !strcmp(json_string_value(t), "all"))
            p->all = 1;
        else if (json_is_integer(t) && p->nthreads < 64)
            p->threads[p->nthreads++] = json_integer_value(t);
    }
    p->repeats = json_integer_value(json_object_get(plan, "repeats"));
    p->warmups = json_integer_value(json_object_get(plan, "warmups"));
}

void admit_free(struct admit_plan *p)
{
    free(p->sweep);
    json_decref(p->engines);
    json_decref(p->tasks);
    memset(p, 0, sizeof *p);
}

static json_t *engine_named(json_t *engines, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(engines, i, e) {
        const char *n = json_string_value(json_object_get(e, "name"));
        if (n && !strcmp(n, name))
            return e;
    }
    return NULL;
}

int admit_run(const struct admit_plan *p, const struct proto_run *r, long cores, char *why,
              size_t n)
{
    if (!r->sweep || strcmp(r->sweep, p->sweep) != 0) {
        snprintf(why, n, "a record of sweep %s, not of this one", r->sweep ? r->sweep
                                                                            : "(none)");
        return -1;
    }
    json_t *eng = engine_named(p->engines, r->engine);
    if (!eng) {
        snprintf(why, n, "engine '%s' is not in the plan", r->engine);
        return -1;
    }
    if (!hp_json_has_string(p->tasks, r->task) || !hp_json_has_string(json_object_get(eng, "tasks"), r->task)) {
        snprintf(why, n, "task '%s' of engine '%s' is not in the plan", r->task, r->engine);
        return -1;
    }
    int planned = p->all && cores > 0 && r->threads == cores;
    for (int i = 0; i < p->nthreads && !planned; i++)
        planned = p->threads[i] == r->threads;
    if (!planned) {
        snprintf(why, n, "%lld threads are not in the plan", r->threads);
        return -1;
    }
    if (r->repeat < -p->warmups || r->repeat >= p->repeats || r->warmup != (r->repeat < 0)) {
        snprintf(why, n, "repeat %lld%s is not in the plan (%lld warmups, %lld repeats)",
                 r->repeat, r->warmup ? " (warmup)" : "", p->warmups, p->repeats);
        return -1;
    }
    if (!strcmp(r->status, "ok")) {
        double wall = (r->has & RUN_WALL) ? r->wall_s : INFINITY;
        if (!(r->has & RUN_TOTAL) || !isfinite(r->total_s) || r->total_s < 0 ||
            r->total_s > wall * 1.01 + 0.02) {
            snprintf(why, n, "a valid run whose total_s %g is not within its wall time %g",
                     r->total_s, wall);
            return -1;
        }
    }
    return 0;
}

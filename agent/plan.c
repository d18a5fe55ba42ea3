#include "plan.h"
#include "../common/strset.h"
#include "../common/xmalloc.h"
#include "../workloads/gen/gen.h"

#include <stdlib.h>
#include <string.h>

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

static int plan_threads(json_t *plan, long cores, int *out, int max)
{
    int n = 0;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(plan, "threads"), i, t) {
        int v = json_is_string(t) && !strcmp(json_string_value(t), "all") ? (int)cores
              : (int)json_integer_value(t);
        if (v < 1 || n == max)
            continue;
        int dup = 0;
        for (int k = 0; k < n; k++)
            dup |= out[k] == v;
        if (!dup)
            out[n++] = v;
    }
    qsort(out, (size_t)n, sizeof *out, cmp_int);
    return n;
}

static int implements(json_t *engine, const char *task)
{
    size_t k;
    json_t *t;
    json_array_foreach(json_object_get(engine, "tasks"), k, t)
        if (json_is_string(t) && !strcmp(json_string_value(t), task))
            return 1;
    return 0;
}

size_t plan_expand(json_t *plan, long cores, struct plan_job **jobs)
{
    int threads[64];
    int nthreads = plan_threads(plan, cores, threads, 64);
    json_t *tasks = json_object_get(plan, "tasks"), *engines = json_object_get(plan, "engines");
    int repeats = (int)json_integer_value(json_object_get(plan, "repeats"));
    int warmups = (int)json_integer_value(json_object_get(plan, "warmups"));
    size_t per_round = 0, nt = json_array_size(tasks), ne = json_array_size(engines);
    struct plan_job *round = xcalloc(nt * ne * (size_t)nthreads + 1, sizeof *round);
    for (size_t t = 0; t < nt; t++) {
        const char *task = json_string_value(json_array_get(tasks, t));
        for (size_t e = 0; task && e < ne; e++)
            for (int h = 0; implements(json_array_get(engines, e), task) && h < nthreads; h++)
                round[per_round++] = (struct plan_job){task, (int)t, (int)e, threads[h], 0};
    }
    size_t rounds = (size_t)(warmups + repeats), n = 0;
    *jobs = xcalloc(per_round * rounds + 1, sizeof **jobs);
    uint64_t order_seed = (uint64_t)json_integer_value(json_object_get(plan, "order_seed"));
    for (int r = -warmups; r < repeats; r++) {
        uint64_t s = order_seed ^ (uint64_t)(r + 1000);
        for (size_t k = per_round; k > 1; k--) {
            size_t x = (size_t)(gen_splitmix_next(&s) % k);
            struct plan_job tmp = round[k - 1];
            round[k - 1] = round[x];
            round[x] = tmp;
        }
        for (size_t k = 0; k < per_round; k++) {
            (*jobs)[n] = round[k];
            (*jobs)[n++].repeat = r;
        }
    }
    free(round);
    return n;
}

char *plan_job_key(const char *task, const char *engine, long long threads, long long repeat)
{
    return xasprintf("%s\x1f%s\x1f%lld\x1f%lld", task, engine, threads, repeat);
}

void plan_done_add(json_t *plan, struct strset *done)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(plan, "done"), i, d) {
        const char *t = json_string_value(json_array_get(d, 0));
        const char *en = json_string_value(json_array_get(d, 1));
        if (!t || !en)
            continue;
        char *k = plan_job_key(t, en, json_integer_value(json_array_get(d, 2)),
                               json_integer_value(json_array_get(d, 3)));
        strset_add(done, k);
        free(k);
    }
}

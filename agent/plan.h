#ifndef HP_PLAN_H
#define HP_PLAN_H
/* A plan (JSON from the controller) expanded into the order runs happen. */
#include <jansson.h>
#include <stddef.h>

struct plan_job {
    const char *task;       /* borrowed from the plan */
    int task_idx;           /* position in plan.tasks */
    int engine_idx;         /* position in plan.engines */
    int threads;
    int repeat;             /* warmups are -1, -2, ... */
};

/* Warmup rounds, then repeat rounds; each round holds every (task, engine,
 * threads) whose engine implements the task, in its own shuffle seeded by
 * plan.order_seed, so slow drift of a machine hits every engine alike.
 * "all" in plan.threads means `cores`. Returns the number of jobs. */
size_t plan_expand(json_t *plan, long cores, struct plan_job **jobs);
struct strset;
/* A run's key in a set of done runs. */
char *plan_job_key(const char *task, const char *engine, long long threads, long long repeat);
/* Adds the runs plan.done lists ([task, engine, threads, repeat], ...) to done. */
void plan_done_add(json_t *plan, struct strset *done);

#endif

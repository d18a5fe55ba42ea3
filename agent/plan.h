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
/* 1 when plan.done lists (task, engine, threads, repeat). */
int plan_is_done(json_t *plan, const struct plan_job *j);

#endif

#ifndef HP_ADMIT_H
#define HP_ADMIT_H
/* Whether a run record belongs to a sweep: its sweep id, and a (task,
 * engine, threads, repeat) the plan holds. Checked for every record, live
 * or replayed from a journal, before it is stored. */
#include <jansson.h>
#include <stddef.h>

struct proto_run;

struct admit_plan {
    char *sweep;
    json_t *engines;        /* [{name, tasks}] as planned */
    json_t *tasks;
    long long threads[64];  /* explicit thread counts */
    int nthreads, all;      /* all: "all" is planned (the host's logical cores) */
    long long repeats, warmups;
};

/* From a sweep's plan (its "sweep", "engines", "tasks", "threads",
 * "repeats", "warmups"); the plan stays the caller's. */
void admit_init(struct admit_plan *p, json_t *plan);
void admit_free(struct admit_plan *p);
/* 0 when r may be stored; -1 with why. cores: the host's logical cores as
 * its probe said (what "all" means there), or -1 when not known. */
int admit_run(const struct admit_plan *p, const struct proto_run *r, long cores, char *why,
              size_t n);

#endif

#ifndef HP_TASKS_H
#define HP_TASKS_H
/* What every C engine shares: the task table, the partial aggregates of each
 * task, and the functions that turn them into the result objects of
 * WORKLOADS.md section 4. */
#include "../format.h"
#include <jansson.h>
#include <stdint.h>

struct err;

#define T0 DATA_T0
#define JOIN_TS_MIN (T0 + 2592000ULL)
#define SESSION_GAP 1800
#define NBUCKETS 7

struct task_out {
    json_t *result;
    double load_s, compute_s;   /* < 0 when the engine cannot tell them apart */
    int threads_used;           /* 0: all that were asked for */
    double t_start;             /* engine_now() just before the input is opened */
    const char *isa;            /* the instruction set the code was built for, if told */
    double t_done;              /* engine_now() once the result was built, or 0 */
};

typedef int (*task_fn)(const char *dir, int threads, struct task_out *out, struct err *e);

struct engine_task {
    const char *task;
    task_fn fn;
};

/* Parses the engine protocol's arguments, runs the task, prints the JSON. */
int engine_main(int argc, char **argv, const char *engine, const struct engine_task *tasks,
                int ntasks);
/* The same for an engine of all five tasks. */
int engine_main_all(int argc, char **argv, const char *engine, task_fn numeric, task_fn groupby,
                    task_fn join, task_fn sessionize, task_fn stream_score);
double engine_now(void);
/* Hands over the result: total_s ends here, before the task frees its
 * inputs (WORKLOADS.md: "to just after the result object is built"). */
void task_done(struct task_out *out, json_t *result);

/* numeric: a partial over some of the points, merged with Chan et al. */
struct num_part {
    uint64_t n, low, high;
    double min, max, mean, m2;
};
void num_merge(struct num_part *into, const struct num_part *p);
json_t *num_result(const struct num_part *p);
/* The haversine distance of WORKLOADS.md, computed as written. */
double num_distance(double lat, double lon);
/* Fails naming the first point that is not finite. */
int num_check_finite(const double *lat, const double *lon, uint64_t n, struct err *e);

/* groupby */
struct group {
    uint64_t id, count, qty, max_cents;
    double revenue;
};
json_t *groupby_result(uint64_t rows, const struct group *g, uint64_t ngroups);
static inline double revenue(uint64_t qty, uint64_t cents, unsigned disc)
{
    return (double)qty * ((double)cents / 100.0) * (1.0 - (double)disc / 100.0);
}
/* The same with (1 - discount) from a table the compiler fills with the
 * very same values (disc is two digits): one division a row, not two. */
#define HP_DF(n) (1.0 - (double)(n) / 100.0)
#define HP_DF10(n) HP_DF(n), HP_DF(n + 1), HP_DF(n + 2), HP_DF(n + 3), HP_DF(n + 4), \
                   HP_DF(n + 5), HP_DF(n + 6), HP_DF(n + 7), HP_DF(n + 8), HP_DF(n + 9)
static inline double revenue_fast(uint64_t qty, uint64_t cents, unsigned disc)
{
    static const double factor[100] = {
        HP_DF10(0), HP_DF10(10), HP_DF10(20), HP_DF10(30), HP_DF10(40),
        HP_DF10(50), HP_DF10(60), HP_DF10(70), HP_DF10(80), HP_DF10(90),
    };
    return (double)qty * ((double)cents / 100.0) * factor[disc];
}
#undef HP_DF10
#undef HP_DF

/* join */
struct join_cell {
    uint64_t orders, qty;
    double revenue;
};
json_t *join_result(uint64_t rows, struct join_cell cells[N_SEGMENTS][N_REGIONS]);

/* sessionize */
struct sess_stats {
    uint64_t events, users, sessions, duration, bounce, converting, abandoned;
    uint64_t revenue_cents, max_events;
    uint64_t hist[NBUCKETS];
};
/* Adds one closed session. */
void sess_close(struct sess_stats *s, uint64_t events, uint64_t start, uint64_t end,
                uint64_t purchases, uint64_t carts);
void sess_merge(struct sess_stats *into, const struct sess_stats *p);
json_t *sess_result(const struct sess_stats *s);

/* stream-score: weights and thresholds of the task */
double score_weight(int type, uint64_t cents);
/* The same without a branch (c-threads): types without an amount divide it
 * by infinity, and x + 0.0 is x, so every weight is bit for bit the one
 * score_weight() gives. */
static inline double score_weight_flat(int type, uint64_t cents)
{
    static const double base[6] = {0.1, 1.0, 0.5, 4.0, 6.0, 15.0};
    static const double per[6] = {__builtin_inf(), __builtin_inf(), 20000.0, 10000.0,
                                  __builtin_inf(), 5000.0};
    return base[type] + (double)cents / per[type];
}
#define SCORE_HALF 1800.0
#define SCORE_ALERT 20.0
#define SCORE_REARM 5.0
struct score_user {
    uint64_t id, alerts;
};
/* Keeps the 5 users with most alerts (ties: smaller id first) in top[]. */
void score_top_add(struct score_user *top, int *ntop, uint64_t id, uint64_t alerts);
json_t *score_result(uint64_t events, uint64_t users, uint64_t alerts, uint64_t alerted,
                     double peak, double final_sum, const struct score_user *top, int ntop);

/* Runs fn(arg + i * size) on n threads and waits for all of them. */
void par_run(int n, void *(*fn)(void *), void *args, size_t size);

#endif

#include "check.h"
#include "../workloads/format.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const tasks[N_TASKS] = {TASK_NAMES};

int check_known_task(const char *task)
{
    for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++)
        if (!strcmp(task, tasks[i]))
            return 1;
    return 0;
}

static int close_enough(double a, double b, double tol)
{
    double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) <= tol * m;
}

static int fail(char *why, size_t n, const char *path, const char *what)
{
    snprintf(why, n, "%s: %s", path, what);
    return -1;
}

/* Deep comparison; numbers that the expected side holds as integers must
 * be equal integers, reals must agree within tol. */
static int same(json_t *x, json_t *y, double tol, const char *path, char *why, size_t n)
{
    char sub[256], msg[160];
    if (json_is_integer(x)) {
        if (!json_is_integer(y) || json_integer_value(x) != json_integer_value(y)) {
            if (json_is_number(y))
                snprintf(msg, sizeof msg, "expected %lld, got %.17g",
                         (long long)json_integer_value(x), json_number_value(y));
            else
                snprintf(msg, sizeof msg, "expected the integer %lld",
                         (long long)json_integer_value(x));
            return fail(why, n, path, msg);
        }
        return 0;
    }
    if (json_is_real(x)) {
        if (!json_is_number(y) || !close_enough(json_real_value(x), json_number_value(y), tol)) {
            snprintf(msg, sizeof msg, "expected %.17g, got %.17g", json_real_value(x),
                     json_is_number(y) ? json_number_value(y) : NAN);
            return fail(why, n, path, msg);
        }
        return 0;
    }
    if (json_is_string(x)) {
        if (!json_is_string(y) || strcmp(json_string_value(x), json_string_value(y)) != 0)
            return fail(why, n, path, "strings differ");
        return 0;
    }
    if (json_is_array(x)) {
        if (!json_is_array(y) || json_array_size(x) != json_array_size(y)) {
            snprintf(msg, sizeof msg, "expected an array of %zu", json_array_size(x));
            return fail(why, n, path, msg);
        }
        for (size_t i = 0; i < json_array_size(x); i++) {
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            if (same(json_array_get(x, i), json_array_get(y, i), tol, sub, why, n) < 0)
                return -1;
        }
        return 0;
    }
    return fail(why, n, path, "unexpected JSON type in the expected result");
}

/* A ranked list (top, top_users): position by position the ranking value
 * must agree; an entry may differ from the expected one only where the two
 * are tied, and an entry that names an expected key must match it whole. */
static int same_ranked(json_t *x, json_t *y, size_t rank_col, double tol, const char *path,
                       char *why, size_t n)
{
    char sub[256];
    if (!json_is_array(y) || json_array_size(x) != json_array_size(y))
        return fail(why, n, path, "wrong number of entries");
    for (size_t i = 0; i < json_array_size(y); i++) {
        json_t *ye = json_array_get(y, i), *xe = json_array_get(x, i);
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        if (!json_is_array(ye) || json_array_size(ye) != json_array_size(xe))
            return fail(why, n, sub, "malformed entry");
        if (same(json_array_get(xe, rank_col), json_array_get(ye, rank_col), tol, sub, why,
                 n) < 0)
            return -1;
        json_t *key = json_array_get(ye, 0), *match = NULL;
        for (size_t j = 0; j < json_array_size(x); j++)
            if (json_equal(json_array_get(json_array_get(x, j), 0), key))
                match = json_array_get(x, j);
        if (match && same(match, ye, tol, sub, why, n) < 0)
            return -1;
    }
    return 0;
}

int check_result(const char *task, json_t *expected, json_t *actual, char *why, size_t n)
{
    if (!json_is_object(actual))
        return fail(why, n, "result", "not an object");
    if (json_object_size(actual) != json_object_size(expected))
        return fail(why, n, "result", "has other keys than the task's");
    const char *key;
    json_t *x;
    json_object_foreach(expected, key, x) {
        json_t *y = json_object_get(actual, key);
        if (!y)
            return fail(why, n, key, "missing");
        double tol = !strcmp(task, "numeric") && !strcmp(key, "std") ? 1e-6 : 1e-9;
        int rc;
        if (!strcmp(task, "groupby") && !strcmp(key, "top"))
            rc = same_ranked(x, y, 3, tol, key, why, n);
        else if (!strcmp(task, "stream-score") && !strcmp(key, "top_users"))
            rc = same_ranked(x, y, 1, tol, key, why, n);
        else
            rc = same(x, y, tol, key, why, n);
        if (rc < 0)
            return -1;
    }
    return 0;
}

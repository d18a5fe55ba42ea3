#include "validate.h"
#include "../common/check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static double timing(json_t *t, const char *key, int *bad)
{
    json_t *v = json_object_get(t, key);
    if (json_is_null(v))
        return -1;
    if (!json_is_number(v) || json_number_value(v) < 0 || !isfinite(json_number_value(v))) {
        *bad = 1;
        return -1;
    }
    return json_number_value(v);
}

int validate_output(const char *text, const char *task, int threads,
                    struct engine_output *out, char *why, size_t n)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    out->doc = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!out->doc) {
        snprintf(why, n, "output is not one JSON object: %s (line %d)", je.text, je.line);
        return -1;
    }
    json_t *d = out->doc, *t = json_object_get(d, "timings");
    const char *dt = json_string_value(json_object_get(d, "task"));
    if (!json_is_object(d) || !dt || strcmp(dt, task) != 0) {
        snprintf(why, n, "output does not name task '%s'", task);
        return -1;
    }
    if (json_integer_value(json_object_get(d, "threads")) != threads) {
        snprintf(why, n, "output does not echo threads %d", threads);
        return -1;
    }
    if (!json_is_object(json_object_get(d, "result")) || !json_is_object(t)) {
        snprintf(why, n, "output lacks the result or timings object");
        return -1;
    }
    int bad = 0;
    out->total_s = timing(t, "total_s", &bad);
    out->load_s = timing(t, "load_s", &bad);
    out->compute_s = timing(t, "compute_s", &bad);
    if (bad || out->total_s < 0) {
        snprintf(why, n, "timings are not non-negative numbers (total_s is required)");
        return -1;
    }
    json_t *used = json_object_get(d, "threads_used");
    out->threads_used = json_is_integer(used) ? (int)json_integer_value(used) : threads;
    return 0;
}

int validate_result(const char *task, const struct engine_output *out, json_t *expected,
                    char *why, size_t n)
{
    return check_result(task, expected, json_object_get(out->doc, "result"), why, n);
}

void validate_free(struct engine_output *out)
{
    json_decref(out->doc);
    out->doc = NULL;
}

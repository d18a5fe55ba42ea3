#ifndef HP_CHECK_H
#define HP_CHECK_H
#include <jansson.h>
#include <stddef.h>

/* Compares an engine's result object with the expected one under the
 * tolerances of WORKLOADS.md section 4. 0 when they match; -1 with the
 * first difference described in why (e.g. "top[3][3]: 1.5 != 1.25"). */
int check_result(const char *task, json_t *expected, json_t *actual, char *why, size_t n);

/* 1 when task is one of the five tasks of the spec. */
int check_known_task(const char *task);

#endif

#ifndef HP_VALIDATE_H
#define HP_VALIDATE_H
#include <jansson.h>
#include <stddef.h>

/* What an engine printed, checked against the protocol (WORKLOADS.md
 * section 5) and against the expected result of its task. */
struct engine_output {
    json_t *doc;            /* the whole object, owned */
    double total_s, load_s, compute_s;  /* < 0 when null */
    int threads_used;
};

/* Parses text as the engine's single JSON object for task/threads.
 * -1 with why filled when it is not a well-formed protocol answer. */
int validate_output(const char *text, const char *task, int threads,
                    struct engine_output *out, char *why, size_t n);
/* Compares out's result with expected; -1 with why when it differs. */
int validate_result(const char *task, const struct engine_output *out, json_t *expected,
                    char *why, size_t n);
void validate_free(struct engine_output *out);

#endif

/* hotpath-agent check: is this engine output valid and correct? */
#include "agent.h"
#include "validate.h"
#include "../common/buf.h"
#include "../common/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OUTPUT (1 << 20)

int agent_check(int argc, char **argv)
{
    const char *task = NULL, *expected_path = NULL;
    int threads = 1;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            die_code(2, "check: %s needs a value", argv[i]);
        if (!strcmp(argv[i], "--task"))
            task = argv[++i];
        else if (!strcmp(argv[i], "--expected"))
            expected_path = argv[++i];
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[++i]);
        else
            die_code(2, "check: unknown argument '%s'", argv[i]);
    }
    if (!task || !expected_path)
        die_code(2, "check: --task and --expected are required");
    json_error_t je;
    json_t *expected = json_load_file(expected_path, 0, &je);
    if (!expected)
        die("%s:%d: %s", expected_path, je.line, je.text);
    struct buf b;
    buf_init(&b, MAX_OUTPUT);
    if (buf_read(&b, stdin) < 0)
        die("check: engine output is over %d bytes", MAX_OUTPUT);
    struct engine_output out;
    char why[512];
    int rc = 0;
    if (validate_output(b.data ? b.data : "", task, threads, &out, why, sizeof why) < 0 ||
        validate_result(task, &out, expected, why, sizeof why) < 0) {
        printf("{\"valid\": false}\n");
        error("%s: %s", task, why);
        rc = 1;
    } else {
        printf("{\"valid\": true}\n");
    }
    validate_free(&out);
    json_decref(expected);
    buf_free(&b);
    return rc;
}

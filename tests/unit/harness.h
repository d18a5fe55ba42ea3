#ifndef HP_HARNESS_H
#define HP_HARNESS_H
/* One harness for every unit test file: CHECK counts, main prints
 * "N passed, N failed" (and ", N skipped" when a test was skipped). */
#include <stdio.h>

extern int harness_passed, harness_failed, harness_skipped;

#define CHECK(cond) do { \
        if (cond) { harness_passed++; } \
        else { harness_failed++; \
               fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
    } while (0)

/* A test that cannot run here says why, and is counted as skipped. */
#define SKIP(why) do { harness_skipped++; printf("skip - unit %s: %s\n", __func__, why); } \
    while (0)

#define TEST(name) void name(void)

#endif

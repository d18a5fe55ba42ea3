#ifndef HP_HARNESS_H
#define HP_HARNESS_H
/* One harness for every unit test file: CHECK counts, main prints
 * "N passed, N failed" (and ", N skipped" when a test was skipped). */
#include <stdio.h>

extern int harness_passed, harness_failed, harness_skipped;

/* CHECK(cond, "what must hold"): every check is a sentence, so a failure
 * reads as a broken promise ("FAIL file:line: sentence"), not as an
 * expression. The sentence must be a string literal; the one-argument form
 * does not compile. */
#define CHECK(...) \
    HARNESS_PICK(__VA_ARGS__, HARNESS_CHECKN, HARNESS_CHECK2, HARNESS_CHECK1, )(__VA_ARGS__)
#define HARNESS_PICK(a, b, c, which, ...) which
#define HARNESS_CHECK1(cond) \
    _Static_assert(0, "CHECK takes a sentence: CHECK(cond, \"what must hold\")")
#define HARNESS_CHECKN(...) \
    _Static_assert(0, "CHECK takes a condition and one sentence")
#define HARNESS_CHECK2(cond, what) do { \
        _Static_assert(sizeof("" what) > 1, "a CHECK sentence is not empty"); \
        if (cond) { harness_passed++; } \
        else { harness_failed++; \
               fprintf(stderr, "FAIL %s:%d: %s\n    (%s)\n", __FILE__, __LINE__, "" what, \
                       #cond); } \
    } while (0)

/* A test that cannot run here says why, and is counted as skipped. */
#define SKIP(why) do { harness_skipped++; printf("skip - unit %s: %s\n", __func__, why); } \
    while (0)

#define TEST(name) void name(void)

#endif

#include "harness.h"

int harness_passed, harness_failed, harness_skipped;

/* HP_TESTS_DEF: another list (the payload's tests alone, for a cross build). */
#ifndef HP_TESTS_DEF
#define HP_TESTS_DEF "tests.def"
#endif

#define X(name) void name(void);
#include HP_TESTS_DEF
#undef X

int main(void)
{
#define X(name) name();
#include HP_TESTS_DEF
#undef X
    if (harness_skipped)
        printf("unit: %d passed, %d failed, %d skipped\n", harness_passed, harness_failed,
               harness_skipped);
    else
        printf("unit: %d passed, %d failed\n", harness_passed, harness_failed);
    return harness_failed != 0;
}

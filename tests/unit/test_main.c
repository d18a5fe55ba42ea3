#include "harness.h"

int harness_passed, harness_failed;

#define X(name) void name(void);
#include "tests.def"
#undef X

int main(void)
{
#define X(name) name();
#include "tests.def"
#undef X
    printf("unit: %d passed, %d failed\n", harness_passed, harness_failed);
    return harness_failed != 0;
}

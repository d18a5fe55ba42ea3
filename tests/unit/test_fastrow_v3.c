/* test_fastrow.c again, with the parsers built for x86-64-v3 (AVX2, BMI,
 * POPCNT), as c-threads runs them on such CPUs. Only GCC builds one
 * function set for another level with a pragma; elsewhere this is a counted
 * skip (clang's build of c-threads is checked by tests/cli/t0700). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("arch=x86-64-v3")
#include "../../common/cpu.h"
#define FASTROW_TEST test_fastrow_v3
#define FASTROW_TEST_EXP test_vexp_v3
#define FASTROW_CPU_OK cpu_has_v3()
#include "test_fastrow.c"
#else
#include "harness.h"
#if defined(__x86_64__)
#define V3_WHY "built by a compiler other than GCC (no target pragma for a level)"
#else
#define V3_WHY "not an x86-64 build"
#endif
TEST(test_fastrow_v3)
{
    SKIP(V3_WHY);
}
TEST(test_vexp_v3)
{
    SKIP(V3_WHY);
}
#endif

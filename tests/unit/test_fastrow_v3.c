/* test_fastrow.c again, with the parsers built for x86-64-v3 (AVX2, BMI,
 * POPCNT), as c-threads runs them on such CPUs. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("arch=x86-64-v3")
#define FASTROW_TEST test_fastrow_v3
#define FASTROW_TEST_EXP test_vexp_v3
#define FASTROW_CPU_OK (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2") && \
                        __builtin_cpu_supports("popcnt"))
#include "test_fastrow.c"
#else
#include "harness.h"
TEST(test_fastrow_v3)
{
}
TEST(test_vexp_v3)
{
}
#endif

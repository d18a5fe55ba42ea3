/* c-threads' entry: threads.c built for x86-64-v3 where the CPU has what
 * that level needs here (AVX2, FMA, BMI1/2, POPCNT), else built for the
 * baseline; HOTPATH_BASELINE=1 in the environment asks for the baseline
 * build (the tests run both). Elsewhere there is one build, and this file
 * just calls it. */
#include <stdlib.h>

int threads_main_base(int argc, char **argv);
int threads_main_v3(int argc, char **argv);

int main(int argc, char **argv)
{
#if defined(__x86_64__) && defined(__GNUC__) && defined(HP_HAVE_V3)
    __builtin_cpu_init();
    const char *base = getenv("HOTPATH_BASELINE");
    if ((!base || !*base || *base == '0') && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
        __builtin_cpu_supports("popcnt"))
        return threads_main_v3(argc, argv);
#endif
    return threads_main_base(argc, argv);
}

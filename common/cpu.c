/* What the CPU can run, read with CPUID itself rather than through
 * __builtin_cpu_supports, which needs a compiler runtime that not every
 * toolchain links (zig's for macOS has none). */
#include "cpu.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>

/* AVX2 and FMA, and an OS that saves the YMM registers (XCR0 bits 1-2). */
static int has_avx2_fma(unsigned *ebx7)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!fma || !osxsave || !avx)
        return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6 || !__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return 0;
    *ebx7 = b;
    return (b >> 5) & 1;
}

int cpu_has_avx2_fma(void)
{
    unsigned b7;
    return has_avx2_fma(&b7);
}

int cpu_has_v3(void)
{
    unsigned a, b, c, d, b7;
    if (!has_avx2_fma(&b7) || !__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    int popcnt = (c >> 23) & 1, bmi1 = (b7 >> 3) & 1, bmi2 = (b7 >> 8) & 1;
    return popcnt && bmi1 && bmi2;
}
#else
int cpu_has_avx2_fma(void)
{
    return 0;
}

int cpu_has_v3(void)
{
    return 0;
}
#endif

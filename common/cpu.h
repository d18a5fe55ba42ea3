#ifndef HP_CPU_H
#define HP_CPU_H
/* Whether this CPU runs c-threads' x86-64-v3 build: AVX2, FMA, BMI1/2 and
 * POPCNT, what that build uses of the level. Always 0 off x86-64. */
int cpu_has_v3(void);
/* Whether it has AVX2 and FMA (numeric's kernels). Always 0 off x86-64. */
int cpu_has_avx2_fma(void);
#endif

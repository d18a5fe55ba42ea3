/* test_fastrow.c again, with the parsers' portable code (what a CPU with
 * neither SSE2, AVX2 nor NEON runs): the SIMD macros are
 * withdrawn before the parsers are read. */
#undef __SSE2__
#undef __SSSE3__
#undef __SSE4_1__
#undef __AVX2__
#undef __FMA__
#undef __POPCNT__
#undef __ARM_NEON
#define FASTROW_TEST test_fastrow_portable
#define FASTROW_TEST_EXP test_vexp_portable
#define FASTROW_CPU_OK 1
#include "test_fastrow.c"

#ifndef HP_NUMERIC_KERNEL_H
#define HP_NUMERIC_KERNEL_H
#include <stdint.h>
#include "tasks.h"

/* Folds the distances of n points into *out, vectorised. Returns -1, or
 * the index of the first point that is not finite (then *out is partial). */
int64_t num_kernel(const double *lat, const double *lon, uint64_t n, struct num_part *out);

/* The same with a choice of implementation, for tests: NUM_AUTO is what
 * num_kernel() uses; NUM_AVX2 returns -2 where the CPU lacks AVX2 or FMA. */
enum num_impl { NUM_AUTO, NUM_PORTABLE, NUM_AVX2 };
int64_t num_kernel_impl(const double *lat, const double *lon, uint64_t n, struct num_part *out,
                        enum num_impl impl);

#endif

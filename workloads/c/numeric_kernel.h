#ifndef HP_NUMERIC_KERNEL_H
#define HP_NUMERIC_KERNEL_H
#include <stdint.h>
#include "tasks.h"

/* Distances and statistics for n finite points, vectorised. Built with
 * -ffast-math: callers must have rejected non-finite input already. */
void num_kernel(const double *lat, const double *lon, uint64_t n, struct num_part *out);

#endif

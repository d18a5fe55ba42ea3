#ifndef HP_QUANTILE_H
#define HP_QUANTILE_H
#include <stddef.h>

/* qsort comparator for doubles in ascending order. */
int quantile_cmp(const void *a, const void *b);
/* The q-quantile of n sorted values, by linear interpolation between order
 * statistics (NumPy's default, and what the store's views compute). */
double quantile_sorted(const double *v, size_t n, double q);

#endif

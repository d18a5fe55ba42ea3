#ifndef HP_STATS_H
#define HP_STATS_H
#include <stddef.h>

/* Two-sided Mann-Whitney U test of x against y: the exact distribution of
 * U when there are no ties and n1 * n2 <= 10000, otherwise the normal
 * approximation with tie and continuity corrections. Returns the p-value. */
double stats_mann_whitney(const double *x, size_t n1, const double *y, size_t n2);
/* Median with linear interpolation (as v_medians); sorts v. */
double stats_median(double *v, size_t n);

#endif

#ifndef HP_STATS_H
#define HP_STATS_H
#include <stddef.h>

/* Two-sided Mann-Whitney U test of x against y: the exact distribution of
 * U when there are no ties and n1 * n2 <= 10000, otherwise the normal
 * approximation with tie and continuity corrections. Returns the p-value. */
double stats_mann_whitney(const double *x, size_t n1, const double *y, size_t n2);
/* compare's reading of B against A: +1 when B is slower beyond the noise
 * (Mann-Whitney p < STATS_ALPHA and median B / median A > 1 + threshold),
 * -1 when faster (p < STATS_ALPHA and the ratio < 1 / (1 + threshold)), 0
 * otherwise. Fills *p and *ratio when not NULL; a and b are sorted. */
#define STATS_ALPHA 0.05
#define STATS_THRESHOLD 0.05
int stats_change(double *a, size_t na, double *b, size_t nb, double threshold, double *p,
                 double *ratio);
/* Median with linear interpolation (as v_medians); sorts v. */
double stats_median(double *v, size_t n);

#endif

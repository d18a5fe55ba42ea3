#include "stats.h"
#include "../common/quantile.h"
#include "../common/xmalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


double stats_median(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, quantile_cmp);
    return quantile_sorted(v, n, 0.5);
}

int stats_change(double *a, size_t na, double *b, size_t nb, double threshold, double *p,
                 double *ratio)
{
    double pv = stats_mann_whitney(a, na, b, nb);
    double r = stats_median(b, nb) / stats_median(a, na);
    if (p)
        *p = pv;
    if (ratio)
        *ratio = r;
    if (pv < STATS_ALPHA && r > 1 + threshold)
        return 1;
    if (pv < STATS_ALPHA && r < 1 / (1 + threshold))
        return -1;
    return 0;
}

struct item {
    double v;
    int group;
};

static int cmp_item(const void *a, const void *b)
{
    return quantile_cmp(&((const struct item *)a)->v, &((const struct item *)b)->v);
}

/* P(U <= u) under the null, by counting arrangements: f(i, j, u) = number
 * of orderings of i x's and j y's with U = u. */
static double exact_cdf(size_t n1, size_t n2, size_t u)
{
    size_t umax = n1 * n2;
    /* dp[j][u] for the current i, rolling over i */
    double *prev = xcalloc((n2 + 1) * (umax + 1), sizeof *prev);
    double *cur = xcalloc((n2 + 1) * (umax + 1), sizeof *cur);
#define AT(a, j, k) (a)[(j) * (umax + 1) + (k)]
    for (size_t j = 0; j <= n2; j++)
        AT(prev, j, 0) = 1;     /* i = 0: one arrangement, U = 0 */
    for (size_t i = 1; i <= n1; i++) {
        memset(cur, 0, (n2 + 1) * (umax + 1) * sizeof *cur);
        AT(cur, 0, 0) = 1;
        for (size_t j = 1; j <= n2; j++)
            for (size_t k = 0; k <= i * j; k++) {
                /* the largest element is an x (it beats all j y's) or a y */
                double a = k >= j ? AT(prev, j, k - j) : 0;
                double b = AT(cur, j - 1, k);
                AT(cur, j, k) = a + b;
            }
        double *t = prev;
        prev = cur;
        cur = t;
    }
    double total = 0, below = 0;
    for (size_t k = 0; k <= umax; k++) {
        total += AT(prev, n2, k);
        if (k <= u)
            below += AT(prev, n2, k);
    }
#undef AT
    free(prev);
    free(cur);
    return below / total;
}

double stats_mann_whitney(const double *x, size_t n1, const double *y, size_t n2)
{
    if (n1 == 0 || n2 == 0)
        return 1.0;
    size_t n = n1 + n2;
    struct item *a = xmalloc(n * sizeof *a);
    for (size_t i = 0; i < n1; i++)
        a[i] = (struct item){x[i], 0};
    for (size_t i = 0; i < n2; i++)
        a[n1 + i] = (struct item){y[i], 1};
    qsort(a, n, sizeof *a, cmp_item);
    /* Midranks, and the tie term sum(t^3 - t). */
    double r1 = 0, ties = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && a[j + 1].v == a[i].v)
            j++;
        double rank = (double)(i + j + 2) / 2.0, t = (double)(j - i + 1);
        for (size_t k = i; k <= j; k++)
            if (a[k].group == 0)
                r1 += rank;
        ties += t * t * t - t;
        i = j + 1;
    }
    free(a);
    double u1 = r1 - (double)n1 * (double)(n1 + 1) / 2.0;
    double u2 = (double)n1 * (double)n2 - u1;
    double umin = u1 < u2 ? u1 : u2;
    if (ties == 0 && n1 * n2 <= 10000) {
        double p = 2.0 * exact_cdf(n1, n2, (size_t)umin);
        return p > 1.0 ? 1.0 : p;
    }
    double mu = (double)n1 * (double)n2 / 2.0;
    double sigma = sqrt((double)n1 * (double)n2 / 12.0 *
                        ((double)(n + 1) - ties / ((double)n * (double)(n - 1))));
    if (sigma == 0)
        return 1.0;
    double z = (fabs(u1 - mu) - 0.5) / sigma;
    if (z < 0)
        z = 0;
    return erfc(z / sqrt(2.0));
}

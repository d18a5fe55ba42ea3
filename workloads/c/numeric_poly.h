#ifndef HP_NUMERIC_POLY_H
#define HP_NUMERIC_POLY_H
/* Constants and polynomial coefficients shared by the numeric kernels
 * (numeric_kernel.c, portable; numeric_avx2.c, x86-64 with AVX2 and FMA).
 * The coefficients and their measured error come from
 * scripts/fit-kernels.py. */
#include "numeric_kernel.h"

#include <math.h>

#define BLOCK 1024
#define R_EARTH 6371.0088
#define DEG (3.14159265358979323846 / 180.0)
#define LO 100.0
#define HI 15000.0
/* Clipped values are summed less SHIFT, inside [LO, HI]: the block's sum of
 * squares then gives its m2 without cancellation, in a single pass. */
#define SHIFT 10000.0

#define PI_HI 3.141592653589793116         /* double nearest pi */
#define PI_LO 1.2246467991473532072e-16     /* pi - PI_HI */
#define PIO2_HI 1.5707963267948965580       /* double nearest pi/2 */
#define PIO2_LO 6.123233995736766036e-17    /* pi/2 - PIO2_HI */

/* sin(x) = x * S(x*x) for |x| <= pi/2; worst relative error 4.0e-16. */
static const double sin_c[8] __attribute__((unused)) = {
    0.9999999999999999,     -0.16666666666666072,     0.008333333333282756,
    -0.00019841269824861897, 2.7557316609073673e-06, -2.505188194671259e-08,
    1.6048168318165643e-10, -7.374387503862757e-13,
};

/* asin(sqrt(z)) / sqrt(z) for 0 <= z <= 1/2; worst relative error 1.0e-15. */
static const double asin_c[17] __attribute__((unused)) = {
    1.0000000000000004,  0.1666666666661266,   0.07500000010326971, 0.044642849352792925,
    0.03038225261078325, 0.02236479278135831,  0.017468338476864537, 0.01271115458012856,
    0.021272381973439548, -0.045216406151762055, 0.23748842691861086, -0.6963313293396542,
    1.582877152468858,   -2.5068911979542188,  2.7170663464162557,  -1.7870148645071302,
    0.5621827313559765,
};

/* Polynomials by Estrin's scheme: short dependency chains, so the loops
 * are bound by throughput rather than by latency. */
static inline double sin_fold(double x)
{
    const double *c = sin_c;
    double z = x * x, z2 = z * z, z4 = z2 * z2;
    double r0 = (c[0] + c[1] * z) + (c[2] + c[3] * z) * z2;
    double r1 = (c[4] + c[5] * z) + (c[6] + c[7] * z) * z2;
    return x * (r0 + r1 * z4);
}

static inline double asin_ratio(double z)
{
    const double *c = asin_c;
    double z2 = z * z, z4 = z2 * z2, z8 = z4 * z4, z16 = z8 * z8;
    double r0 = (c[0] + c[1] * z) + (c[2] + c[3] * z) * z2;
    double r1 = (c[4] + c[5] * z) + (c[6] + c[7] * z) * z2;
    double r2 = (c[8] + c[9] * z) + (c[10] + c[11] * z) * z2;
    double r3 = (c[12] + c[13] * z) + (c[14] + c[15] * z) * z2;
    return ((r0 + r1 * z4) + (r2 + r3 * z4) * z8) + c[16] * z16;
}

/* The haversine's a for a point already known to be in range. */
static inline double haversine_a(double lat, double lon)
{
    const double lat0 = 40.7128 * DEG, lon0 = -74.0060 * DEG;
    const double c0 = cos(lat0);               /* folded at compile time */
    double p = lat * DEG, l = lon * DEG;
    double x1 = (p - lat0) * 0.5;               /* in [-1.14, 0.43] */
    double x2 = (l - lon0) * 0.5;               /* in [-0.93, 2.22] */
    x2 = x2 > PIO2_HI ? (PI_HI - x2) + PI_LO : x2;
    double ap = p < 0 ? -p : p;
    double s1 = sin_fold(x1), s2 = sin_fold(x2);
    double cp = sin_fold((PIO2_HI - ap) + PIO2_LO);
    double a = s1 * s1 + c0 * cp * s2 * s2;
    return a < 1.0 ? a : 1.0;
}

/* 2 R asin(sqrt(a)), a in [0, 1]. */
static inline double arc(double a)
{
    int far = a > 0.5;
    /* Arithmetic, not a select: GCC would otherwise take both square roots.
     * Exact, since 1 - 2a and a + (1 - 2a) = 1 - a are for a in (1/2, 1]. */
    double z = a + (double)far * (1.0 - 2.0 * a);
    double t = sqrt(z) * asin_ratio(z);
    return 2.0 * R_EARTH * (far ? (PIO2_HI - t) + PIO2_LO : t);
}

/* The fast path's d for one point in range. */
static inline double num_fast_distance(double lat, double lon)
{
    return arc(haversine_a(lat, lon));
}

/* One block's partial from its lane sums; see SHIFT. */
static inline void num_block_part(int n, uint64_t low, uint64_t high, double mn, double mx,
                                  double s1, double s2, struct num_part *b)
{
    double mean = s1 / n;
    double m2 = s2 - s1 * mean;
    *b = (struct num_part){.n = (uint64_t)n, .low = low, .high = high, .min = mn, .max = mx,
                           .mean = mean + SHIFT, .m2 = m2 > 0.0 ? m2 : 0.0};
}

/* The AVX2 block: 0 when every point was in range, else -1 (*b undefined). */
int num_block_avx2(const double *lat, const double *lon, int n, struct num_part *b);

#endif

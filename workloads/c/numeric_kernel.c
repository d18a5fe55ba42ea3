/* The numeric task's inner loop, vectorised with our own polynomial
 * kernels instead of libm calls.
 *
 * Every point of the generated data has |lat| <= 90 and |lon| <= 180, so
 * each sine and cosine the haversine needs has an argument that folds
 * exactly into [-pi/2, pi/2], where one odd polynomial gives sin(x) to
 * ~1 ulp; asin(sqrt(a)) is a polynomial in a (or in 1-a past a = 1/2, via
 * asin(sqrt(a)) = pi/2 - asin(sqrt(1-a))), so the whole point costs one
 * square root and four short polynomials, and no branch. Coefficients and
 * their measured error come from scripts/fit-kernels.py.
 *
 * A block holding any point outside those ranges (or a non-finite one) is
 * computed again with libm, exactly as num_distance() does, so the answer
 * never depends on the data being well-formed. This file is built without
 * -ffast-math: the range test must see NaN and infinity. */
#include "numeric_poly.h"
#include "../../common/cpu.h"

#include <math.h>

typedef int (*block_fn)(const double *lat, const double *lon, int n, struct num_part *b);

/* The block's statistics from its distances d[0 .. n). */
static void block_stats(const double *d, int n, struct num_part *b)
{
    double mn = INFINITY, mx = -INFINITY, s1 = 0.0, s2 = 0.0;
    uint64_t low = 0, high = 0;
#if defined(__clang__)
    /* clang vectorises no min/max reduction of doubles while NaN may occur
     * (and says so under -Werror), so the extremes take a loop of their own. */
    for (int i = 0; i < n; i++) {
        mn = d[i] < mn ? d[i] : mn;
        mx = d[i] > mx ? d[i] : mx;
    }
#pragma omp simd reduction(+:s1, s2, low, high)
#else
#pragma omp simd reduction(min:mn) reduction(max:mx) reduction(+:s1, s2, low, high)
#endif
    for (int i = 0; i < n; i++) {
        double v = d[i];
#if !defined(__clang__)
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
#endif
        low += v < LO;
        high += v > HI;
        v = (v < LO ? LO : v > HI ? HI : v) - SHIFT;
        s1 += v;
        s2 += v * v;
    }
    num_block_part(n, low, high, mn, mx, s1, s2, b);
}

/* Folds the points into *b and returns 0, or returns -1 when a point is out
 * of range. Separate loops over the block rather than one: each
 * iteration's chain of dependent operations stays short enough for the
 * core to overlap many iterations. */
static int block_fast(const double *lat, const double *lon, int n, struct num_part *b)
{
    double d[BLOCK];
    int out = 0;
#pragma omp simd reduction(|:out)
    for (int i = 0; i < n; i++) {
        out |= !((lat[i] >= -90.0) & (lat[i] <= 90.0) & (lon[i] >= -180.0) & (lon[i] <= 180.0));
        d[i] = haversine_a(lat[i], lon[i]);
    }
    if (out)
        return -1;
#pragma omp simd
    for (int i = 0; i < n; i++)
        d[i] = arc(d[i]);
    block_stats(d, n, b);
    return 0;
}

/* The same fold, through libm; returns the index of the first non-finite
 * point, or -1. */
static int block_libm(const double *lat, const double *lon, int n, struct num_part *b)
{
    double d[BLOCK];
    for (int i = 0; i < n; i++) {
        if (!isfinite(lat[i]) || !isfinite(lon[i]))
            return i;
        d[i] = num_distance(lat[i], lon[i]);
    }
    block_stats(d, n, b);
    return -1;
}

/* AVX2 with FMA where the CPU has both (numeric_avx2.c), else the portable
 * loop above. */
static block_fn pick(enum num_impl impl)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (impl != NUM_PORTABLE && cpu_has_avx2_fma())
        return num_block_avx2;
#endif
    return impl == NUM_AVX2 ? NULL : block_fast;
}

int64_t num_kernel_impl(const double *lat, const double *lon, uint64_t n, struct num_part *out,
                        enum num_impl impl)
{
    block_fn block = pick(impl);
    if (!block)
        return -2;
    for (uint64_t off = 0; off < n; off += BLOCK) {
        int m = n - off < BLOCK ? (int)(n - off) : BLOCK;
        struct num_part b;
        if (block(lat + off, lon + off, m, &b) < 0) {
            int bad = block_libm(lat + off, lon + off, m, &b);
            if (bad >= 0)
                return (int64_t)(off + (uint64_t)bad);
        }
        num_merge(out, &b);
    }
    return -1;
}

int64_t num_kernel(const double *lat, const double *lon, uint64_t n, struct num_part *out)
{
    return num_kernel_impl(lat, lon, n, out, NUM_AUTO);
}

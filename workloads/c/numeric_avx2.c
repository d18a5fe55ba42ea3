/* The numeric kernel for x86-64 with AVX2 and FMA, four points a step.
 * Same algorithm, constants and rounding steps as the portable loop in
 * numeric_kernel.c; written with intrinsics so that the accumulators and
 * constants stay in registers (GCC's OpenMP reductions go through memory
 * on every iteration). Built with -mavx2 -mfma; called only when the CPU
 * has both. Elsewhere this file is empty and the caller never asks. */
#include "numeric_poly.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

typedef __m256d v4;

#define K(x) _mm256_set1_pd(x)
#define FMA(a, b, c) _mm256_fmadd_pd(a, b, c)

static inline v4 sin_fold4(v4 x)
{
    const double *c = sin_c;
    v4 z = _mm256_mul_pd(x, x), z2 = _mm256_mul_pd(z, z), z4 = _mm256_mul_pd(z2, z2);
    v4 r0 = FMA(FMA(K(c[3]), z, K(c[2])), z2, FMA(K(c[1]), z, K(c[0])));
    v4 r1 = FMA(FMA(K(c[7]), z, K(c[6])), z2, FMA(K(c[5]), z, K(c[4])));
    return _mm256_mul_pd(x, FMA(r1, z4, r0));
}

static inline v4 asin_ratio4(v4 z)
{
    const double *c = asin_c;
    v4 z2 = _mm256_mul_pd(z, z), z4 = _mm256_mul_pd(z2, z2), z8 = _mm256_mul_pd(z4, z4);
    v4 z16 = _mm256_mul_pd(z8, z8);
    v4 r0 = FMA(FMA(K(c[3]), z, K(c[2])), z2, FMA(K(c[1]), z, K(c[0])));
    v4 r1 = FMA(FMA(K(c[7]), z, K(c[6])), z2, FMA(K(c[5]), z, K(c[4])));
    v4 r2 = FMA(FMA(K(c[11]), z, K(c[10])), z2, FMA(K(c[9]), z, K(c[8])));
    v4 r3 = FMA(FMA(K(c[15]), z, K(c[14])), z2, FMA(K(c[13]), z, K(c[12])));
    v4 u0 = FMA(r1, z4, r0), u1 = FMA(r3, z4, r2);
    return FMA(K(c[16]), z16, FMA(u1, z8, u0));
}

/* The haversine's a for four points in range, as haversine_a(). */
static inline v4 haversine_a4(v4 la, v4 lo)
{
    const double lat0 = 40.7128 * DEG, lon0 = -74.0060 * DEG;
    v4 p = _mm256_mul_pd(la, K(DEG)), l = _mm256_mul_pd(lo, K(DEG));
    v4 x1 = _mm256_mul_pd(_mm256_sub_pd(p, K(lat0)), K(0.5));
    v4 x2 = _mm256_mul_pd(_mm256_sub_pd(l, K(lon0)), K(0.5));
    v4 x2f = _mm256_add_pd(_mm256_sub_pd(K(PI_HI), x2), K(PI_LO));
    x2 = _mm256_blendv_pd(x2, x2f, _mm256_cmp_pd(x2, K(PIO2_HI), _CMP_GT_OQ));
    v4 ap = _mm256_andnot_pd(K(-0.0), p);
    v4 cpa = _mm256_add_pd(_mm256_sub_pd(K(PIO2_HI), ap), K(PIO2_LO));
    v4 sa = sin_fold4(x1), sb = sin_fold4(x2), cp = sin_fold4(cpa);
    v4 t = _mm256_mul_pd(_mm256_mul_pd(_mm256_mul_pd(K(cos(lat0)), cp), sb), sb);
    return _mm256_min_pd(FMA(sa, sa, t), K(1.0));
}

/* 2 R asin(sqrt(a)) for four a in [0, 1], as arc(). */
static inline v4 arc4(v4 a)
{
    v4 far = _mm256_cmp_pd(a, K(0.5), _CMP_GT_OQ);
    v4 z = _mm256_blendv_pd(a, _mm256_sub_pd(K(1.0), a), far);
    v4 r = _mm256_mul_pd(_mm256_sqrt_pd(z), asin_ratio4(z));
    r = _mm256_blendv_pd(r, _mm256_add_pd(_mm256_sub_pd(K(PIO2_HI), r), K(PIO2_LO)), far);
    return _mm256_mul_pd(r, K(2.0 * R_EARTH));
}

/* Two passes over the block, through a[] in L1: each iteration's chain of
 * dependent operations is then short enough for the core to keep several
 * iterations in flight (one pass is bound by latency, not throughput). */
int num_block_avx2(const double *lat, const double *lon, int n, struct num_part *b)
{
    double a[BLOCK];
    v4 ok = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
    int m = n & ~3;
    for (int i = 0; i < m; i += 4) {
        v4 la = _mm256_loadu_pd(lat + i), lo = _mm256_loadu_pd(lon + i);
        /* Ordered compares: false for NaN, so NaN is out of range too. */
        ok = _mm256_and_pd(ok, _mm256_and_pd(_mm256_cmp_pd(la, K(-90.0), _CMP_GE_OQ),
                                             _mm256_cmp_pd(la, K(90.0), _CMP_LE_OQ)));
        ok = _mm256_and_pd(ok, _mm256_and_pd(_mm256_cmp_pd(lo, K(-180.0), _CMP_GE_OQ),
                                             _mm256_cmp_pd(lo, K(180.0), _CMP_LE_OQ)));
        _mm256_storeu_pd(a + i, haversine_a4(la, lo));
    }
    if (_mm256_movemask_pd(ok) != 0xf)
        return -1;
    v4 mn = K(INFINITY), mx = K(-INFINITY), s1 = K(0.0), s2 = K(0.0);
    __m256i low = _mm256_setzero_si256(), high = _mm256_setzero_si256();
    for (int i = 0; i < m; i += 4) {
        v4 d = arc4(_mm256_loadu_pd(a + i));
        mn = _mm256_min_pd(mn, d);
        mx = _mm256_max_pd(mx, d);
        low = _mm256_sub_epi64(low, _mm256_castpd_si256(_mm256_cmp_pd(d, K(LO), _CMP_LT_OQ)));
        high = _mm256_sub_epi64(high, _mm256_castpd_si256(_mm256_cmp_pd(d, K(HI), _CMP_GT_OQ)));
        v4 c = _mm256_sub_pd(_mm256_min_pd(_mm256_max_pd(d, K(LO)), K(HI)), K(SHIFT));
        s1 = _mm256_add_pd(s1, c);
        s2 = FMA(c, c, s2);
    }
    double mnl[4], mxl[4], s1l[4], s2l[4];
    uint64_t lowl[4], highl[4];
    _mm256_storeu_pd(mnl, mn);
    _mm256_storeu_pd(mxl, mx);
    _mm256_storeu_pd(s1l, s1);
    _mm256_storeu_pd(s2l, s2);
    _mm256_storeu_si256((__m256i *)lowl, low);
    _mm256_storeu_si256((__m256i *)highl, high);
    double mnv = INFINITY, mxv = -INFINITY, s1v = 0.0, s2v = 0.0;
    uint64_t lowv = 0, highv = 0;
    for (int k = 0; k < 4; k++) {
        mnv = mnl[k] < mnv ? mnl[k] : mnv;
        mxv = mxl[k] > mxv ? mxl[k] : mxv;
        s1v += s1l[k];
        s2v += s2l[k];
        lowv += lowl[k];
        highv += highl[k];
    }
    /* The last few points, one at a time through the same steps. */
    for (int i = m; i < n; i++) {
        if (!(lat[i] >= -90.0 && lat[i] <= 90.0 && lon[i] >= -180.0 && lon[i] <= 180.0))
            return -1;
        double d = num_fast_distance(lat[i], lon[i]);
        mnv = d < mnv ? d : mnv;
        mxv = d > mxv ? d : mxv;
        lowv += d < LO;
        highv += d > HI;
        double c = (d < LO ? LO : d > HI ? HI : d) - SHIFT;
        s1v += c;
        s2v += c * c;
    }
    num_block_part(n, lowv, highv, mnv, mxv, s1v, s2v, b);
    return 0;
}
#endif

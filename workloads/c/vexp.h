#ifndef HP_VEXP_H
#define HP_VEXP_H
/* exp(x) for a block of x <= 0, four at a time with AVX2 and FMA when the
 * code is built for them (c-threads' x86-64-v3 build), else libm's exp.
 *
 * exp(x) = 2^k exp(r), k = round(x / ln 2), r = x - k ln 2 in two parts
 * (Cody-Waite), |r| <= ln(2)/2, and exp(r) by its Taylor series to r^13
 * (the next term is under 2e-17 there), evaluated by Estrin's scheme.
 * Within 2 ulp of libm; exp(0) is exactly 1. Below -708 the result is
 * taken as 0, where libm gives a subnormal: stream-score multiplies a
 * score of at most a few thousand by it and adds a weight of at least 0.1,
 * so the sum rounds to the weight either way. */
#include <math.h>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

static inline __m256d vexp4(__m256d x)
{
    const __m256d log2e = _mm256_set1_pd(1.4426950408889634074);
    const __m256d ln2_hi = _mm256_set1_pd(6.93147180369123816490e-01);
    const __m256d ln2_lo = _mm256_set1_pd(1.90821492927058770002e-10);
    __m256d lo = _mm256_cmp_pd(x, _mm256_set1_pd(-708.0), _CMP_LT_OQ);
    x = _mm256_max_pd(x, _mm256_set1_pd(-708.0));
    __m256d k = _mm256_round_pd(_mm256_mul_pd(x, log2e),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_fnmadd_pd(k, ln2_hi, x);
    r = _mm256_fnmadd_pd(k, ln2_lo, r);
#define C(v) _mm256_set1_pd(v)
    __m256d r2 = _mm256_mul_pd(r, r), r4 = _mm256_mul_pd(r2, r2), r8 = _mm256_mul_pd(r4, r4);
    __m256d p01 = _mm256_fmadd_pd(r, C(1.0), C(1.0));
    __m256d p23 = _mm256_fmadd_pd(r, C(1.0 / 6), C(1.0 / 2));
    __m256d p45 = _mm256_fmadd_pd(r, C(1.0 / 120), C(1.0 / 24));
    __m256d p67 = _mm256_fmadd_pd(r, C(1.0 / 5040), C(1.0 / 720));
    __m256d p89 = _mm256_fmadd_pd(r, C(1.0 / 362880), C(1.0 / 40320));
    __m256d pab = _mm256_fmadd_pd(r, C(1.0 / 39916800), C(1.0 / 3628800));
    __m256d pcd = _mm256_fmadd_pd(r, C(1.0 / 6227020800.0), C(1.0 / 479001600));
#undef C
    __m256d q0 = _mm256_fmadd_pd(p23, r2, p01), q1 = _mm256_fmadd_pd(p67, r2, p45);
    __m256d q2 = _mm256_fmadd_pd(pab, r2, p89);
    __m256d p = _mm256_fmadd_pd(_mm256_fmadd_pd(pcd, r4, q2), r8, _mm256_fmadd_pd(q1, r4, q0));
    /* 2^k from its bits: k + 1023 in the exponent field (k >= -1022 here) */
    __m256i e = _mm256_slli_epi64(
        _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(k)), _mm256_set1_epi64x(1023)),
        52);
    p = _mm256_mul_pd(p, _mm256_castsi256_pd(e));
    return _mm256_andnot_pd(lo, p);
}

/* f[i] = exp(f[i]) for every f[i] <= 0. */
static inline void vexp_block(double *f, int n)
{
    int i = 0;
    for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(f + i, vexp4(_mm256_loadu_pd(f + i)));
    if (i < n) {
        double t[4] = {0.0, 0.0, 0.0, 0.0};
        for (int k = i; k < n; k++)
            t[k - i] = f[k];
        _mm256_storeu_pd(t, vexp4(_mm256_loadu_pd(t)));
        for (int k = i; k < n; k++)
            f[k] = t[k - i];
    }
}
#define VEXP_VECTOR 1
#else
static inline void vexp_block(double *f, int n)
{
    for (int i = 0; i < n; i++)
        f[i] = f[i] == 0.0 ? 1.0 : exp(f[i]);
}
#define VEXP_VECTOR 0
#endif

#endif

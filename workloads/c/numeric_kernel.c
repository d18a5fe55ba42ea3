#include "numeric_kernel.h"

#include <math.h>

#define BLOCK 1024
#define R_EARTH 6371.0088
#define DEG (3.14159265358979323846 / 180.0)
#define LO 100.0
#define HI 15000.0

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define MULTIVERSION
#endif

MULTIVERSION
static void distances(const double *lat, const double *lon, int n, double *d)
{
    const double lat0 = 40.7128 * DEG, lon0 = -74.0060 * DEG;
    const double c0 = cos(lat0);
#pragma omp simd
    for (int i = 0; i < n; i++) {
        double p = lat[i] * DEG, l = lon[i] * DEG;
        double s1 = sin((p - lat0) * 0.5), s2 = sin((l - lon0) * 0.5);
        double a = s1 * s1 + c0 * cos(p) * s2 * s2;
        double r = sqrt(a);
        d[i] = 2.0 * R_EARTH * asin(r < 1.0 ? r : 1.0);
    }
}

void num_kernel(const double *lat, const double *lon, uint64_t n, struct num_part *out)
{
    double d[BLOCK];
    for (uint64_t off = 0; off < n; off += BLOCK) {
        int m = n - off < BLOCK ? (int)(n - off) : BLOCK;
        distances(lat + off, lon + off, m, d);
        struct num_part b = {.n = (uint64_t)m, .min = d[0], .max = d[0]};
        double sum = 0;
        for (int i = 0; i < m; i++) {
            b.min = d[i] < b.min ? d[i] : b.min;
            b.max = d[i] > b.max ? d[i] : b.max;
            b.low += d[i] < LO;
            b.high += d[i] > HI;
            d[i] = d[i] < LO ? LO : d[i] > HI ? HI : d[i];
            sum += d[i];
        }
        b.mean = sum / m;
        for (int i = 0; i < m; i++)
            b.m2 += (d[i] - b.mean) * (d[i] - b.mean);
        num_merge(out, &b);
    }
}

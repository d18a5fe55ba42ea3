/* The numeric kernels (portable and AVX2) against libm's haversine. */
#include "harness.h"
#include "../../workloads/c/numeric_poly.h"
#include "../../workloads/gen/gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int close_rel(double a, double b, double tol)
{
    return a == b || fabs(a - b) <= tol * fabs(b);
}

/* The statistics of WORKLOADS.md, two passes, libm. */
static struct num_part reference(const double *lat, const double *lon, uint64_t n)
{
    struct num_part r = {.n = n, .min = INFINITY, .max = -INFINITY};
    double sum = 0.0;
    for (uint64_t i = 0; i < n; i++) {
        double d = num_distance(lat[i], lon[i]);
        r.min = d < r.min ? d : r.min;
        r.max = d > r.max ? d : r.max;
        r.low += d < LO;
        r.high += d > HI;
        sum += d < LO ? LO : d > HI ? HI : d;
    }
    r.mean = sum / (double)n;
    for (uint64_t i = 0; i < n; i++) {
        double d = num_distance(lat[i], lon[i]);
        d = d < LO ? LO : d > HI ? HI : d;
        r.m2 += (d - r.mean) * (d - r.mean);
    }
    return r;
}

static int same_stats(const struct num_part *got, const struct num_part *want)
{
    return got->n == want->n && got->low == want->low && got->high == want->high &&
           close_rel(got->mean, want->mean, 1e-12) && close_rel(got->min, want->min, 1e-12) &&
           close_rel(got->max, want->max, 1e-12) &&
           close_rel(sqrt(got->m2 / (double)got->n), sqrt(want->m2 / (double)want->n), 1e-9);
}

/* Random points as the generator draws them, then the edges: the poles,
 * the date line, the reference point itself and its antipode. */
static uint64_t points(double **lat, double **lon, uint64_t n)
{
    static const double edge[][2] = {
        {90.0, 0.0}, {-90.0, 0.0}, {0.0, 180.0}, {0.0, -180.0}, {90.0, 180.0}, {-90.0, -180.0},
        {40.7128, -74.0060}, {-40.7128, 105.994}, {40.7128, -74.0059}, {40.7129, -74.0060},
        {0.0, 0.0}, {89.999999, -74.006}, {-89.999999, 105.994}, {-49.2872, -74.006},
    };
    uint64_t ne = sizeof edge / sizeof edge[0];
    *lat = malloc((n + ne) * sizeof **lat);
    *lon = malloc((n + ne) * sizeof **lon);
    uint64_t s = 5;
    for (uint64_t i = 0; i < n; i++) {
        (*lat)[i] = (double)(gen_splitmix_next(&s) >> 11) * 0x1p-53 * 180.0 - 90.0;
        (*lon)[i] = (double)(gen_splitmix_next(&s) >> 11) * 0x1p-53 * 360.0 - 180.0;
    }
    for (uint64_t k = 0; k < ne; k++) {
        (*lat)[n + k] = edge[k][0];
        (*lon)[n + k] = edge[k][1];
    }
    return n + ne;
}

TEST(test_numeric_point)
{
    double *lat, *lon;
    uint64_t n = points(&lat, &lon, 1000000);
    double worst = 0.0;
    for (uint64_t i = 0; i < n; i++) {
        double want = num_distance(lat[i], lon[i]), got = num_fast_distance(lat[i], lon[i]);
        double e = want == 0.0 ? fabs(got) : fabs(got - want) / want;
        worst = e > worst ? e : worst;
    }
    /* Worst near the antipode, where asin is ill-conditioned for libm too. */
    CHECK(worst < 1e-12,
          "the fast distance is within 1e-12 relative error of libm's haversine everywhere, "
          "poles and antipode included");
    CHECK(num_fast_distance(40.7128, -74.0060) == 0.0,
          "the distance from the reference point to itself is exactly 0");
    free(lat);
    free(lon);
}

TEST(test_numeric_kernels)
{
    double *lat, *lon;
    uint64_t n = points(&lat, &lon, 300001);
    struct num_part want = reference(lat, lon, n);
    for (int impl = NUM_PORTABLE; impl <= NUM_AVX2; impl++) {
        struct num_part got = {0};
        int64_t rc = num_kernel_impl(lat, lon, n, &got, (enum num_impl)impl);
        if (rc == -2 && impl == NUM_AVX2) {
            SKIP("the AVX2+FMA kernel: this CPU has no AVX2 and FMA");
            continue;
        }
        CHECK(rc == -1, "a kernel over finite points reports no bad row (-1)");
        CHECK(same_stats(&got, &want),
              "a kernel's count, low, high, mean, min, max and spread match the two-pass libm "
              "reference");
        /* Sizes that leave a tail in the last block. */
        for (uint64_t m = 1; m < 1030; m += 341) {
            struct num_part part = {0}, ref = reference(lat, lon, m);
            CHECK(num_kernel_impl(lat, lon, m, &part, (enum num_impl)impl) == -1,
                  "a kernel over a size that leaves a tail in the last block reports no bad row");
            CHECK(same_stats(&part, &ref),
                  "a kernel's statistics stay right when the last block is partial");
        }
        /* Out of range but finite: that block goes through libm. */
        double la = lat[5000], lo = lon[7001], lo2 = lon[3001];
        lat[5000] = 135.0;
        lon[7001] = -700.0;
        struct num_part odd = {0}, odd_want = reference(lat, lon, n);
        CHECK(num_kernel_impl(lat, lon, n, &odd, (enum num_impl)impl) == -1,
              "out-of-range but finite coordinates are not reported as bad rows");
        CHECK(same_stats(&odd, &odd_want),
              "a block with out-of-range coordinates goes through libm and gives the "
              "reference statistics");
        /* Non-finite: the first one is named, whichever column it is in. */
        lat[5000] = NAN;
        lon[3001] = INFINITY;
        struct num_part bad = {0};
        CHECK(num_kernel_impl(lat, lon, n, &bad, (enum num_impl)impl) == 3001,
              "the first non-finite row is named even when it is a longitude and a later "
              "latitude is NaN too");
        lon[3001] = lon[3002];
        CHECK(num_kernel_impl(lat, lon, n, &bad, (enum num_impl)impl) == 5000,
              "a NaN latitude is named once the infinite longitude before it is gone");
        lat[5000] = la;
        lon[7001] = lo;
        lon[3001] = lo2;
    }
    free(lat);
    free(lon);
}

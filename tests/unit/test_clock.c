#include "harness.h"
#include "../../common/clock.h"

#include <time.h>

TEST(test_clock)
{
    double t0 = clock_now();
    clock_sleep(0.01);
    double t1 = clock_now();
    CHECK(t1 - t0 >= 0.01, "clock_sleep(0.01) lasts at least 0.01 s on the monotonic clock");
    CHECK(clock_wall() > 1.6e9, "clock_wall counts seconds since the epoch (later than 2020)");
    struct timespec d = clock_deadline(1.5), now;
    clock_gettime(CLOCK_REALTIME, &now);
    double ahead = (double)(d.tv_sec - now.tv_sec) + (double)(d.tv_nsec - now.tv_nsec) / 1e9;
    CHECK(ahead > 1.0 && ahead <= 1.5 && d.tv_nsec < 1000000000L,
          "clock_deadline(1.5) is a normalised CLOCK_REALTIME instant between 1 and 1.5 s ahead");
}

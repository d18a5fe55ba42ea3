#ifndef HP_CLOCK_H
#define HP_CLOCK_H
/* Time as every part of hotpath reads it: seconds as a double. */
#include <time.h>

/* Monotonic seconds, for durations and deadlines. */
double clock_now(void);
/* Seconds since the epoch, for timestamps that are stored. */
double clock_wall(void);
/* Sleeps s seconds (interrupted sleeps resume). */
void clock_sleep(double s);
/* The CLOCK_REALTIME instant s seconds from now, as pthread_cond_timedwait
 * takes it. */
struct timespec clock_deadline(double s);

#endif

/*
 * clock.c - the two clocks the runtime reads, and sleeping.
 *
 * The monotonic clock (CLOCK_MONOTONIC) measures intervals: timeouts,
 * heartbeats, benchmarks, poll deadlines.  It never jumps, and its epoch
 * means nothing.  The wall clock (CLOCK_REALTIME) gives dates: execution
 * start times, event timestamps, $now().  Each function is named for its
 * clock, so a deadline cannot be computed on one and compared on the
 * other by accident.
 */
#include <errno.h>
#include <time.h>

#include "aslrt_private.h"

static long long to_ms(const struct timespec *ts)
{
    return (long long)ts->tv_sec * 1000 + ts->tv_nsec / 1000000;
}

static long long to_ns(const struct timespec *ts)
{
    return (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

long long aslrtp_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return to_ms(&ts);
}

long long aslrtp_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return to_ns(&ts);
}

long long aslrtp_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return to_ms(&ts);
}

long long aslrtp_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return to_ns(&ts);
}

double aslrtp_sleep_ms(double ms)
{
    if (!(ms > 0))
        return 0;
    long long ns = (long long)(ms * 1e6), end = aslrtp_mono_ns() + ns;
    struct timespec ts = {(time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL)};
    if (nanosleep(&ts, NULL) == 0 || errno != EINTR)
        return 0;
    long long left = end - aslrtp_mono_ns();
    return left > 0 ? (double)left / 1e6 : 0;
}

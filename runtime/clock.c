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

/* The time on clock id, in milliseconds. */
static long long read_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The time on clock id, in nanoseconds. */
static long long read_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

long long aslrtp_mono_ms(void)
{
    return read_ms(CLOCK_MONOTONIC);
}

long long aslrtp_mono_ns(void)
{
    return read_ns(CLOCK_MONOTONIC);
}

long long aslrtp_wall_ms(void)
{
    return read_ms(CLOCK_REALTIME);
}

long long aslrtp_wall_ns(void)
{
    return read_ns(CLOCK_REALTIME);
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

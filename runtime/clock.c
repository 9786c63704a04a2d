/*
 * clock.c - the two clocks the runtime reads, and sleeping.
 *
 * The monotonic clock (CLOCK_MONOTONIC) measures intervals: timeouts,
 * heartbeats, benchmarks, poll deadlines.  It never jumps, and its epoch
 * means nothing.  The wall clock (CLOCK_REALTIME) gives dates: execution
 * start times, event timestamps, $now().  Each function is named for its
 * clock, so a deadline cannot be computed on one and compared on the
 * other by accident.  Dates become day counts and back here too, for
 * Choice's timestamps and JSONata's date functions.
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

/* Howard Hinnant's days_from_civil and civil_from_days: eras of 400
 * years, with years starting in March so that the leap day comes last. */
int64_t aslrtp_days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void aslrtp_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

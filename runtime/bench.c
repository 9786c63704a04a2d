/*
 * bench.c - `--bench N`: one workflow run N times in one process on the
 * same input, each run a fresh execution (its own name, context, mock
 * counters, callback endpoint), then a report of throughput, latency and
 * memory.  aslrt_main (cli.c) parses the option, so workflow binaries and
 * `aslc run` share this loop.
 *
 * What is timed: each aslrt_execute call alone (CLOCK_MONOTONIC).  Reading
 * the input, loading bindings and mocks and, for `aslc run`, compiling
 * happen once before the first execution; printing happens once after the
 * last.  Persistent task workers and HTTP connections live in the bindings,
 * so they are started by the first execution and reused by the others, as
 * in a long-lived host program.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "aslrt_private.h"

/* Seconds on the monotonic clock. */
static double mono_s(void)
{
    return (double)aslrtp_mono_ns() / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The pct-th percentile of sorted v[0..n-1] by the nearest-rank method:
 * the smallest value that at least pct % of the values do not exceed. */
static double percentile(const double *v, long n, int pct)
{
    long k = (long)(((long long)pct * n + 99) / 100);
    if (k < 1)
        k = 1;
    return v[(k > n ? n : k) - 1];
}

/* A duration with three significant digits in a unit that suits it. */
static void fmt_time(char *buf, size_t size, double s)
{
    static const struct {
        double scale;
        const char *unit;
    } units[] = {{1e-6, "ns"}, {1e-3, "us"}, {1.0, "ms"}, {1e3, "s"}};
    double v = s * 1e9;
    size_t u = 0;
    while (u + 1 < sizeof units / sizeof units[0] && v >= 1000.0) {
        v /= 1000.0;
        u++;
    }
    snprintf(buf, size, "%.*f %s", v < 10 ? 2 : v < 100 ? 1 : 0, v, units[u].unit);
}

/* What is kept of an execution: its result, or its error. */
typedef struct kept {
    int status;          /* ASLRT_* */
    json_t *output;      /* on success */
    aslrt_error err;     /* otherwise */
} kept;

static void kept_set(kept *k, int status, json_t *output, aslrt_error *err)
{
    json_decref(k->output);
    aslrt_error_clear(&k->err);
    k->status = status;
    k->output = output;
    k->err = *err;
    err->error = err->cause = NULL;
}

int aslrtp_bench_run(const aslrt_program *p, const aslrt_config *cfg, json_t *input, long n,
                     FILE *report, json_t **output, aslrt_error *err)
{
    *output = NULL;
    double *lat = n > 0 ? malloc((size_t)n * sizeof *lat) : NULL;
    if (!lat) {
        aslrt_error_set(err, "aslc.Bench",
                        n > 0 ? "--bench: not enough memory to keep the latency of each execution"
                              : "--bench needs at least 1 execution");
        return -1;
    }
    kept last = {ASLRT_SUCCEEDED, NULL, {NULL, NULL}};
    long done = 0, succeeded = 0, failed = 0, timed_out = 0, aborted = 0, first_failure = 0;
    char *first_error = NULL;
    unsigned long long transitions = 0;
    double start = mono_s();
    while (done < n) {
        json_t *out = NULL;
        aslrt_error e = {NULL, NULL};
        unsigned long tr = 0;
        double t0 = mono_s();
        int st = aslrtp_execute_counted(p, cfg, input, &out, &e, &tr);
        lat[done++] = mono_s() - t0;
        transitions += tr;
        if (st == ASLRT_SUCCEEDED) {
            succeeded++;
            /* A failure, once seen, is what gets printed. */
            if (last.status == ASLRT_SUCCEEDED)
                kept_set(&last, st, out, &e);
            else
                json_decref(out);
        } else {
            failed += st == ASLRT_FAILED;
            timed_out += st == ASLRT_TIMED_OUT;
            aborted += st == ASLRT_ABORTED;
            if (!first_error) {
                first_failure = done;
                first_error = aslrtp_strdupf("%s%s%.200s", e.error ? e.error : "(no error name)",
                                             e.cause ? ": " : "", e.cause ? e.cause : "");
            }
            json_decref(out);
            kept_set(&last, st, NULL, &e);
        }
        /* SIGINT or SIGTERM: the rest is not run. */
        if (aslrtp_flag(cfg->abort_flag))
            break;
    }
    double total = mono_s() - start;

    /* The report. */
    struct rusage ru;
    long maxrss_kb = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
    double sum = 0;
    for (long i = 0; i < done; i++)
        sum += lat[i];
    char first[32], mean[32], tmin[32], p50[32], p90[32], p99[32], tmax[32], ttotal[32];
    fmt_time(first, sizeof first, lat[0]);
    fmt_time(mean, sizeof mean, sum / (double)done);
    fmt_time(ttotal, sizeof ttotal, total);
    qsort(lat, (size_t)done, sizeof *lat, cmp_double);
    fmt_time(tmin, sizeof tmin, lat[0]);
    fmt_time(p50, sizeof p50, percentile(lat, done, 50));
    fmt_time(p90, sizeof p90, percentile(lat, done, 90));
    fmt_time(p99, sizeof p99, percentile(lat, done, 99));
    fmt_time(tmax, sizeof tmax, lat[done - 1]);
    long not_ok = done - succeeded;
    fprintf(report, "bench: %s: %ld execution%s: %ld succeeded, %ld failed",
            aslrt_program_machine(p)->name, done, done == 1 ? "" : "s", succeeded, not_ok);
    if (timed_out || aborted)
        fprintf(report, " (%ld failed, %ld timed out, %ld aborted)", failed, timed_out, aborted);
    if (done < n)
        fprintf(report, "; stopped by a signal after %ld of %ld", done, n);
    fputc('\n', report);
    fprintf(report, "bench: time: %s in all; %.1f executions/s\n", ttotal,
            total > 0 ? (double)done / total : 0.0);
    fprintf(report, "bench: transitions: %llu in all, %.1f per execution; %.0f transitions/s\n",
            transitions, (double)transitions / (double)done,
            total > 0 ? (double)transitions / total : 0.0);
    fprintf(report,
            "bench: latency: min %s, p50 %s, p90 %s, p99 %s, max %s; mean %s; first %s\n",
            tmin, p50, p90, p99, tmax, mean, first);
    if (maxrss_kb >= 0)
        fprintf(report, "bench: peak RSS: %.1f MB (%ld KB, this process)\n",
                (double)maxrss_kb / 1024.0, maxrss_kb);
    if (first_error)
        fprintf(report, "bench: first failure: execution %ld: %s\n", first_failure, first_error);
    fflush(report);

    free(first_error);
    free(lat);
    *output = last.output;
    *err = last.err;
    return last.status;
}

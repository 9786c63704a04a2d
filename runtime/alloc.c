/*
 * alloc.c - allocation that never returns NULL, with one out-of-memory path.
 *
 * The runtime and the compiler allocate through these instead of checking
 * every malloc: a request that cannot be met goes to aslrtp_oom, which
 * writes "PROGRAM: out of memory (N bytes)" to stderr and aborts.  That is
 * the only place the process gives up for lack of memory, so turning an
 * out-of-memory during an execution into a clean failure later means
 * changing this one function.  aslrtp_oom formats into a stack buffer and
 * writes with write(2): it must not allocate itself.
 *
 * A request for 0 bytes gets 1, so that a NULL result always means failure;
 * counts times sizes are checked for overflow (an overflow is reported as
 * a request for SIZE_MAX bytes).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aslrt_private.h"

/* The one out-of-memory path: a message naming the size, then abort(). */
_Noreturn void aslrtp_oom(size_t size)
{
    char msg[160];
    int n;
    if (size)
        n = snprintf(msg, sizeof msg, "%s: out of memory (%zu bytes)\n",
                     program_invocation_short_name, size);
    else
        n = snprintf(msg, sizeof msg, "%s: out of memory\n", program_invocation_short_name);
    if (n > 0) {
        size_t len = (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
        ssize_t w = write(STDERR_FILENO, msg, len);
        (void)w;
    }
    abort();
}

void *aslrtp_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        aslrtp_oom(n);
    return p;
}

void *aslrtp_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        aslrtp_oom(SIZE_MAX);
    void *p = calloc(count && size ? count : 1, count && size ? size : 1);
    if (!p)
        aslrtp_oom(count * size);
    return p;
}

void *aslrtp_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        aslrtp_oom(n);
    return q;
}

void *aslrtp_reallocarray(void *p, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        aslrtp_oom(SIZE_MAX);
    return aslrtp_realloc(p, count * size);
}

char *aslrtp_strdup(const char *s)
{
    return aslrtp_memdup(s, strlen(s));
}

char *aslrtp_memdup(const char *s, size_t n)
{
    if (n == SIZE_MAX)
        aslrtp_oom(SIZE_MAX);
    char *d = aslrtp_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/*
 * util.c - small helpers shared by the runtime's files: strings, a
 * growable buffer, and writing output without losing it silently.  Out of memory is fatal here (alloc.c's one path), as
 * in the compiler: a workflow that cannot allocate cannot report anything
 * useful either.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aslrt_private.h"

char *aslrtp_buf_reserve(aslrtp_buf *b, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = aslrtp_realloc(b->data, cap);
        b->cap = cap;
    }
    return b->data + b->len;
}

void aslrtp_buf_add(aslrtp_buf *b, const char *s, size_t n)
{
    memcpy(aslrtp_buf_reserve(b, n), s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void aslrtp_buf_adds(aslrtp_buf *b, const char *s)
{
    aslrtp_buf_add(b, s, strlen(s));
}

void aslrtp_buf_addf(aslrtp_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        aslrtp_buf_add(b, small, (size_t)n);
        return;
    }
    char *big = aslrtp_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    aslrtp_buf_add(b, big, (size_t)n);
    free(big);
}

bool aslrtp_str_in(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

static const char *const status_names[] = {
    [ASLRT_SUCCEEDED] = "SUCCEEDED", [ASLRT_FAILED] = "FAILED",
    [ASLRT_TIMED_OUT] = "TIMED_OUT", [ASLRT_ABORTED] = "ABORTED",
};

const char *aslrtp_status_name(int status)
{
    return status >= 0 && status < (int)(sizeof status_names / sizeof *status_names) &&
                   status_names[status]
               ? status_names[status]
               : "FAILED";
}

int aslrtp_status_of(const char *name)
{
    for (int i = 0; i < (int)(sizeof status_names / sizeof *status_names); i++)
        if (status_names[i] && name && strcmp(status_names[i], name) == 0)
            return i;
    return ASLRT_FAILED;
}

void aslrtp_hex(const unsigned char *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

int aslrtp_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *aslrtp_buf_finish(aslrtp_buf *b)
{
    char *s = b->data ? b->data : aslrtp_malloc(1);
    if (!b->data)
        s[0] = '\0';
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

char *aslrtp_strdupf(const char *fmt, ...)
{
    aslrtp_buf b = {0};
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof small) {
        aslrtp_buf_add(&b, small, (size_t)n);
        return aslrtp_buf_finish(&b);
    }
    char *big = aslrtp_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return big;
}

void aslrt_error_clear(aslrt_error *e)
{
    free(e->error);
    free(e->cause);
    e->error = e->cause = NULL;
}

void aslrt_error_set(aslrt_error *e, const char *error, const char *cause)
{
    char *ne = error ? aslrtp_strdup(error) : NULL;
    char *nc = cause ? aslrtp_strdup(cause) : NULL;
    aslrt_error_clear(e);
    e->error = ne;
    e->cause = nc;
}

void aslrt_decref(json_t *v)
{
    json_decref(v);
}

/* ---- Writing output ------------------------------------------------------ */

/* Writes s[0..n) to f; the first failure's errno goes to *err. */
bool aslrtp_write(FILE *f, const char *s, size_t n, int *err)
{
    errno = 0;
    if (n == 0 || fwrite(s, 1, n, f) == n)
        return true;
    if (!*err)
        *err = errno ? errno : -1;
    return false;
}

/* As coreutils' close_stream: a stream that had an error, or whose flush
 * or close fails, lost some of what was written to it.  stdout and stderr
 * are flushed, not closed (the process may still use them), and their
 * error is cleared once reported. */
int aslrtp_stream_finish(FILE *f, int err)
{
    bool failed_before = ferror(f) != 0;
    errno = 0;
    bool std = f == stdout || f == stderr;
    int rc = std ? fflush(f) : fclose(f);
    int e = rc != 0 ? (errno ? errno : -1) : 0;
    if (std)
        clearerr(f);
    if (err)
        return err;
    if (e)
        return e;
    return failed_before ? -1 : 0;
}

void aslrtp_write_error(const char *prog, const char *what, int err)
{
    if (err > 0)
        fprintf(stderr, "%s: error writing %s: %s\n", prog, what, strerror(err));
    else
        fprintf(stderr, "%s: error writing %s\n", prog, what);
}

bool aslrtp_stdout_done(const char *prog)
{
    int err = aslrtp_stream_finish(stdout, 0);
    if (err)
        aslrtp_write_error(prog, "standard output", err);
    return err == 0;
}

void aslrtp_std_fds_hold(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        /* The lower ones are open by now: open() gives fd itself. */
        if (fcntl(fd, F_GETFD) == -1 && errno == EBADF)
            open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
    }
}

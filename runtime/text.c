/*
 * text.c - the text of Causes: bytes a handler printed, made into valid,
 * bounded UTF-8 that an error can quote.
 *
 * Model.  A Cause ends up inside JSON (the error output, the history), and
 * jansson refuses a string that is not UTF-8, while a handler may print any
 * bytes.  Everything a Cause quotes from outside (a program's stdout and
 * stderr, a response body, a path, a library's message) goes through
 * aslrtp_text_add, which replaces bad bytes with U+FFFD; excerpts are cut at
 * a character boundary; stderr is quoted by its last ASLRTP_STDERR_TAIL
 * bytes, kept the same way however the pipe cut them.  errno values and
 * signals are named here too, in the words Lambda uses.  This file sits at
 * the bottom of the handler layers (task.c, task_worker.c, task_http.c,
 * proc.c) and calls only util.c and utf8.c.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"

/* Appends s[0..n) as valid UTF-8: a Cause ends up inside JSON, and jansson
 * refuses a string that is not UTF-8.  Each bad byte and each NUL becomes
 * one U+FFFD (utf8.c says what is bad). */
void aslrtp_text_add(aslrtp_buf *b, const char *s, size_t n)
{
    aslrtp_utf8_add_clean(b, s, n, ASLRTP_UTF8_PER_BYTE | ASLRTP_UTF8_NO_NUL);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Trims s[0..*n) of surrounding whitespace; returns the new start. */
const char *aslrtp_text_trim(const char *s, size_t *n)
{
    size_t len = *n;
    while (len && is_space(*s)) {
        s++;
        len--;
    }
    while (len && is_space(s[len - 1]))
        len--;
    *n = len;
    return s;
}

/* Appends at most max bytes of s[0..n), cut at a character boundary, with
 * "..." when something was left out. */
void aslrtp_text_excerpt(aslrtp_buf *b, const char *s, size_t n, size_t max)
{
    if (n <= max) {
        aslrtp_text_add(b, s, n);
        return;
    }
    aslrtp_text_add(b, s, aslrtp_utf8_floor(s, max));
    aslrtp_buf_adds(b, "...");
}

/* Sets err to (name, the text of b), made valid UTF-8 on the way: paths,
 * jansson's messages and a program's output may hold any bytes.  Resets b. */
void aslrtp_fail_with(aslrt_error *err, const char *name, aslrtp_buf *b)
{
    aslrtp_buf clean = { 0 };
    aslrtp_text_add(&clean, b->data ? b->data : "", b->len);
    char *cause = aslrtp_buf_finish(&clean);
    aslrt_error_set(err, name, cause);
    free(cause);
    free(aslrtp_buf_finish(b));
}

void aslrtp_tail_keep(aslrtp_buf *tail, int *cut, const char *s, size_t n)
{
    if (n >= ASLRTP_STDERR_TAIL) {
        *cut |= tail->len > 0 || n > ASLRTP_STDERR_TAIL;
        tail->len = 0;
        aslrtp_buf_add(tail, s + n - ASLRTP_STDERR_TAIL, ASLRTP_STDERR_TAIL);
        return;
    }
    aslrtp_buf_add(tail, s, n);
    if (tail->len > 2 * ASLRTP_STDERR_TAIL) {
        memmove(tail->data, tail->data + tail->len - ASLRTP_STDERR_TAIL, ASLRTP_STDERR_TAIL);
        tail->len = ASLRTP_STDERR_TAIL;
        tail->data[tail->len] = '\0';
        *cut = 1;
    }
}

void aslrtp_tail_add(aslrtp_buf *b, const aslrtp_buf *tail, int cut)
{
    size_t n = tail->len;
    const char *s = tail->data ? tail->data : "";
    if (n > ASLRTP_STDERR_TAIL) {
        s += n - ASLRTP_STDERR_TAIL;
        n = ASLRTP_STDERR_TAIL;
        cut = 1;
    }
    s = aslrtp_text_trim(s, &n);
    if (!n)
        return;
    aslrtp_buf_adds(b, "\nstderr: ");
    if (cut) {
        /* the tail may begin inside a character */
        while (n && ((unsigned char)*s & 0xC0) == 0x80) {
            s++;
            n--;
        }
        aslrtp_buf_adds(b, "...");
    }
    aslrtp_text_add(b, s, n);
}

/* strerror is not thread-safe; strerror_r (GNU flavour here) is. */
const char *aslrtp_errstr(int e, char *buf, size_t size)
{
    return strerror_r(e, buf, size);
}

/* Go's names for signals: Lambda reports a runtime that died as
 * "Runtime exited with error: signal: segmentation fault", which is Go's
 * os/exec wording (the Lambda service is written in Go). */
const char *aslrtp_signal_name(int sig, char *buf, size_t size)
{
    switch (sig) {
    case SIGHUP: return "hangup";
    case SIGINT: return "interrupt";
    case SIGQUIT: return "quit";
    case SIGILL: return "illegal instruction";
    case SIGTRAP: return "trace/breakpoint trap";
    case SIGABRT: return "aborted";
    case SIGBUS: return "bus error";
    case SIGFPE: return "floating point exception";
    case SIGKILL: return "killed";
    case SIGUSR1: return "user defined signal 1";
    case SIGSEGV: return "segmentation fault";
    case SIGUSR2: return "user defined signal 2";
    case SIGPIPE: return "broken pipe";
    case SIGALRM: return "alarm clock";
    case SIGTERM: return "terminated";
    case SIGXCPU: return "CPU time limit exceeded";
    case SIGXFSZ: return "file size limit exceeded";
    default:
        snprintf(buf, size, "signal %d", sig);
        return buf;
    }
}

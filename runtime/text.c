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
 * bytes, kept the same way however the pipe cut them.  What a handler
 * (a program, a Python function, a persistent worker) printed becomes a
 * result or a Cause here too, in the words Lambda uses: the payload quota,
 * output that is not JSON, a process that crashed, with the handler named
 * the same way whichever layer ran it.  errno values and signals are named
 * here as well.  This file sits at
 * the bottom of the handler layers (task.c, task_worker.c, task_http.c,
 * proc.c) and calls only util.c, utf8.c and json.c.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

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

/* ==== What a handler printed ========================================== */

void aslrtp_data_limit_error(aslrt_error *err, const char *resource)
{
    char *cause = aslrtp_strdupf("The state/task '%s' returned a result with a size exceeding "
                                 "the maximum number of bytes service limit.", resource);
    aslrt_error_set(err, ASLRTP_ERR_DATA_LIMIT_EXCEEDED, cause);
    free(cause);
}

void aslrtp_handler_name(aslrtp_buf *b, char *const *argv, int adapter)
{
    if (adapter)
        aslrtp_buf_addf(b, "%s handler '%s' in '%s'",
                        adapter == ASLRTP_ADAPTER_NODE ? "Node.js" : "Python", argv[3], argv[2]);
    else
        aslrtp_buf_addf(b, "program '%s'", argv[0]);
}

int aslrtp_handler_result(char *const *argv, int adapter, const char *resource,
                          const char *text, size_t len, size_t total, json_t **out,
                          aslrt_error *err)
{
    if (total > ASLRTP_DATA_LIMIT) {
        aslrtp_data_limit_error(err, resource);
        return 0;
    }
    size_t n = len;
    const char *t = aslrtp_text_trim(text ? text : "", &n);
    if (n == 0) {
        *out = json_null(); /* a handler that returns nothing */
        return 1;
    }
    json_error_t je;
    json_t *v = aslrtp_json_loads(t, n, &je);
    if (v) {
        *out = v;
        return 1;
    }
    aslrtp_buf b = { 0 };
    aslrtp_handler_name(&b, argv, adapter);
    aslrtp_buf_addf(&b, " for resource '%s' printed output that is not JSON "
                    "(%s, at line %d column %d): ", resource, je.text, je.line, je.column);
    aslrtp_text_excerpt(&b, t, n, ASLRTP_STDOUT_EXCERPT);
    aslrtp_fail_with(err, "Lambda.Unknown", &b);
    return 0;
}

/* How the process ended, in Go's os/exec words as Lambda reports them:
 * "exit status 3", "signal: segmentation fault". */
static void add_termination(aslrtp_buf *b, int status, bool core)
{
    char sbuf[32];
    (void)core;
    if (WIFSIGNALED(status)) {
        aslrtp_buf_addf(b, "signal: %s", aslrtp_signal_name(WTERMSIG(status), sbuf, sizeof sbuf));
#ifdef WCOREDUMP
        if (core && WCOREDUMP(status))
            aslrtp_buf_adds(b, " (core dumped)");
#endif
    } else {
        aslrtp_buf_addf(b, "exit status %d", WEXITSTATUS(status));
    }
}

/* An adapter handler's process ended during an invocation without giving
 * its answer (sys.exit, os._exit, process.exit, a signal): what Lambda's
 * Python and Node.js runtimes do is end their process, and Lambda answers the invocation itself with
 * Runtime.ExitError (doc/behaviour.md §35).  Its payload is Go's compact
 * JSON, {"errorMessage": "RequestId: ID Error: Runtime exited ...",
 * "errorType": "Runtime.ExitError"}, and Step Functions takes errorType as
 * the Error and that text as the Cause. */
static void runtime_exited(int status, aslrt_error *err)
{
    char rid[ASLRTP_UUID_SIZE];
    aslrtp_uuid_v4(rid);
    aslrtp_buf m = { 0 };
    aslrtp_buf_addf(&m, "RequestId: %s Error: Runtime exited ", rid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        aslrtp_buf_adds(&m, "without providing a reason");
    } else {
        aslrtp_buf_adds(&m, "with error: ");
        add_termination(&m, status, false);
    }
    json_t *v = json_object();
    json_object_set_new(v, "errorMessage", json_string(m.data));
    json_object_set_new(v, "errorType", json_string("Runtime.ExitError"));
    free(m.data);
    aslrtp_buf b = { 0 };
    aslrtp_buf_add_json(&b, v);
    json_decref(v);
    aslrtp_fail_with(err, "Runtime.ExitError", &b);
}

void aslrtp_handler_crashed(char *const *argv, int adapter, const char *resource, int status,
                            const aslrtp_buf *tail, int cut, const char *out, size_t len,
                            aslrt_error *err)
{
    if (adapter) {
        runtime_exited(status, err);
        return;
    }
    aslrtp_buf b = { 0 };
    aslrtp_buf_adds(&b, "Runtime exited with error: ");
    add_termination(&b, status, true);
    aslrtp_buf_adds(&b, " (");
    aslrtp_handler_name(&b, argv, adapter);
    aslrtp_buf_addf(&b, " for resource '%s')", resource);
    aslrtp_tail_add(&b, tail, cut);
    size_t n = len;
    const char *t = aslrtp_text_trim(out ? out : "", &n);
    if (n) {
        aslrtp_buf_adds(&b, "\nstdout: ");
        aslrtp_text_excerpt(&b, t, n, ASLRTP_STDOUT_EXCERPT);
    }
    aslrtp_fail_with(err, "Lambda.Unknown", &b);
}

void aslrtp_handler_unstartable(char *const *argv, int adapter, const char *resource, int rc,
                                aslrt_error *err)
{
    char ebuf[128];
    aslrtp_buf b = { 0 };
    aslrtp_buf_adds(&b, "cannot run ");
    aslrtp_handler_name(&b, argv, adapter);
    aslrtp_buf_addf(&b, " for resource '%s': %s", resource, aslrtp_errstr(rc, ebuf, sizeof ebuf));
    if (adapter)
        aslrtp_buf_addf(&b, " (interpreter '%s')", argv[0]);
    aslrtp_fail_with(err, ASLRTP_HANDLER_FAILED, &b);
}

char *aslrtp_log_tail(const aslrtp_buf *log)
{
    size_t n = log->len, keep = n > 4096 ? 4096 : n;
    return aslrtp_memdup(log->data ? log->data + (n - keep) : "", keep);
}

/* ==== errno values and signals ========================================= */

/* strerror is not thread-safe; strerror_r (GNU flavour here) is. */
const char *aslrtp_errstr(int e, char *buf, size_t size)
{
    return strerror_r(e, buf, size);
}

/* Where the userinfo of url ends (its '@'), or NULL; *start is where it
 * begins, after "scheme://" (or at the start, for text without a scheme).
 * The userinfo is taken to end at the last '@' of the text, not of the
 * authority as RFC 3986 has it: a password typed with a '/', '?' or '#' in
 * it would otherwise show, and hiding an '@' of a path is the lesser harm.
 * Found by hand rather than by libcurl, so that text libcurl refuses as a
 * URL is hidden the same way. */
static const char *userinfo_end(const char *url, const char **start)
{
    const char *s = strstr(url, "://");
    s = s && s + 1 == url + strcspn(url, "/?#") ? s + 3 : url;
    *start = s;
    return strrchr(s, '@');
}

int aslrtp_url_has_userinfo(const char *url)
{
    const char *start;
    return url && userinfo_end(url, &start) != NULL;
}

char *aslrtp_url_redact(const char *url)
{
    const char *start, *at;
    if (!url || !(at = userinfo_end(url, &start)))
        return aslrtp_strdup(url ? url : "");
    return aslrtp_strdupf("%.*s***%s", (int)(start - url), url, at);
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

/*
 * task_worker.c - persistent task workers: a handler process started once
 * and fed one invocation per line, so that 100,000 calls do not start
 * 100,000 processes.
 *
 * Model.  A binding with "worker": true (task.c's loader) owns one
 * aslrtp_worker.  For every resource it serves the worker keeps a pool of
 * processes; a process serves one call at a time, and a call takes an idle
 * process or, when every one is busy, starts another, so a pool grows to
 * the number of callers that were ever concurrent (Map iterations, Parallel
 * branches) and no further.  The pools sit behind a mutex inside the
 * worker; a call holds it only to take or give back a process, never while
 * it talks to one.  Pools are per resource because on Lambda each function
 * has its own sandboxes: the Python and Node.js adapters set the function's
 * name in their environment once, at start.
 *
 * The line protocol (JSON Lines; a line ends with '\n'):
 *
 *   request, runtime -> worker's stdin, compact JSON on one line:
 *     {"id":7,"context":{"resource":"arn:...:function:F","timeout":30.000},"event":EVENT}
 *     id        a positive integer, new for every call; always first, so a
 *               line-oriented script can cut it out with a pattern
 *     context   what the adapters give Lambda's context object:
 *               "resource" the invoked ARN, "timeout" the seconds the call
 *               may take (the Task's TimeoutSeconds; absent when none)
 *     event     the Task's input
 *   Strings never hold a raw newline (JSON escapes it), so one line is one
 *   request.
 *
 *   response, worker's stdout -> runtime, one line per request:
 *     {"id":7,"result":VALUE}
 *         the handler returned VALUE: as a per-call program printing VALUE
 *         and exiting 0.  The bytes of VALUE, as written, are the response
 *         (its size counts against the 256 KiB quota, and a VALUE that is
 *         not JSON, such as NaN, fails as a program's non-JSON output does)
 *     {"id":7,"error":{"errorType":"E","errorMessage":"M",...}}
 *         the handler failed: as a per-call program printing that object
 *         and exiting non-zero.  Error is errorType (Lambda.Unknown when it
 *         has none) and Cause the object's text exactly as written
 *     {"id":7,"output_base64":"..."}
 *         the raw bytes of a response that is not one JSON value (a Python
 *         handler returning bytes), base64: read as a per-call program's
 *         stdout would be
 *   Any of them may add "last":true: the worker exits after this response
 *   (the Node.js adapter after an uncaught exception), so the next call
 *   starts a new process rather than race its exit.
 *   The members may come in any order; others are ignored.  A line that is
 *   none of these, or answers another id, fails the call with
 *   Lambda.Unknown, and the worker, whose stream can no longer be trusted,
 *   is killed and replaced.
 *
 *   stderr passes through to the runtime's stderr.  What arrives during a
 *   call is that call's log: the tail quoted in the Cause of a crash and
 *   the LogResult of lambda:invoke.
 *
 * Failures are those of a per-call program (task.c), with the same Error
 * and the same Cause: a worker that exits or is killed during a call fails
 * it with Lambda.Unknown ("Runtime exited with error: exit status 3 (...)"
 * and its stderr; an adapter handler's with Lambda's Runtime.ExitError,
 * doc/behaviour.md §35), a call past its TimeoutSeconds with States.Timeout, a
 * call cancelled because a sibling branch or iteration failed with
 * aslc.Cancelled; in all three the worker's whole process group is killed,
 * and the next call starts a new one.  A worker found dead between calls
 * is replaced silently.
 *
 * Shutdown (aslrtp_worker_destroy, when the bindings table is destroyed):
 * every worker's stdin is closed, which asks it to exit; after a grace
 * period of GRACE_MS whatever is left of each process group is killed, and
 * every worker is reaped.  Workers run in their own process groups, with
 * close-on-exec descriptors on our side, as per-call programs do: both are
 * started, talked to (the one poll loop) and stopped by proc.c; Causes are
 * worded through text.c.  Nothing here calls task.c, which calls this.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "aslrt_private.h"

/* How much of one response line is kept: a result at the quota, base64
 * and the envelope fit; beyond it bytes are only counted. */
#define LINE_KEEP (2 * ASLRTP_DATA_LIMIT)
/* How long workers get to exit once their stdin is closed. */
#define GRACE_MS 1000


/* One worker process. */
typedef struct proc {
    aslrtp_proc io;             /* the process and our ends of its pipes (proc.c) */
    aslrtp_buf rest;            /* stdout that came after the last response */
    struct proc *next;          /* next idle process of the pool */
} proc;

/* The processes that serve one resource. */
typedef struct pool {
    char *resource;
    proc *idle;                 /* processes waiting for a call */
    struct pool *next;
} pool;

struct aslrtp_worker {
    char **argv;                /* program and arguments; an adapter kind's:
                                   interpreter, adapter, file, handler name */
    char *cwd;                  /* NULL: the caller's working directory */
    int adapter;                /* ASLRTP_ADAPTER_* */
    pthread_mutex_t lock;       /* guards pools and last_id */
    pool *pools;
    unsigned long long last_id;
};

/* One call's exchange with its process. */
typedef struct call {
    struct proc *p;             /* the process it talks to */
    aslrtp_buf line;            /* the response line: its first LINE_KEEP bytes */
    size_t line_total;          /* every byte of it */
    int have_line;              /* the line ended ('\n' seen) */
    aslrtp_buf err;             /* stderr during the call: its tail */
    int err_cut;                /* stderr began before what err holds */
    size_t sent;                /* bytes of the request written */
    int exited;                 /* the process ended (not reaped yet) */
    int timed_out;
    int cancelled;
} call;

/* How a handler is named in causes (text.c: the same wording as task.c). */
static void add_handler_name(aslrtp_buf *b, const aslrtp_worker *w)
{
    aslrtp_handler_name(b, w->argv, w->adapter);
}

/* ==== Processes ========================================================= */

char **aslrtp_adapter_argv(char *const *argv, int worker, const char *resource,
                           const char *timeout)
{
    /* The adapter gives the context object the invoked ARN and the time
     * left, and says on fd 3 when its Init phase is over (doc §37). */
    size_t n = 0;
    while (argv[n])
        n++;
    char **v = aslrtp_calloc(n + 10, sizeof *v);
    size_t k = 0;
    v[k++] = argv[0];
    v[k++] = argv[1];
    if (worker)
        v[k++] = (char *)"--worker";
    v[k++] = (char *)"--ready-fd";
    v[k++] = (char *)"3";
    v[k++] = (char *)"--resource";
    v[k++] = (char *)resource;
    if (timeout) {
        v[k++] = (char *)"--timeout";
        v[k++] = (char *)timeout;
    }
    for (size_t i = 4; i < n; i++)
        v[k++] = argv[i];
    v[k++] = (char *)"--";
    v[k++] = argv[2];
    v[k++] = argv[3];
    v[k] = NULL;
    return v;
}

/* Kills what is left of p's process group, reaps p and frees it.  Returns
 * its wait status. */
static int proc_end(proc *p)
{
    aslrtp_proc_kill(&p->io);
    int status = aslrtp_proc_reap(&p->io);
    free(p->rest.data);
    free(p);
    return status;
}

/* Starts a process for resource.  Returns 0 with *pp, or an errno value. */
static int proc_start(const aslrtp_worker *w, const char *resource, proc **pp)
{
    char **aargv = w->adapter ? aslrtp_adapter_argv(w->argv, 1, resource, NULL) : NULL;
    aslrtp_proc io;
    int rc = aslrtp_proc_start(aargv ? aargv : w->argv, w->cwd,
                               w->adapter != ASLRTP_ADAPTER_NONE, &io);
    free(aargv);
    if (rc != 0)
        return rc;
    proc *p = aslrtp_calloc(1, sizeof *p);
    p->io = io;
    *pp = p;
    return 0;
}

/* ==== One exchange ====================================================== */

/* Takes stdout bytes: into the response line until it ends, after it into
 * p->rest (output the next call will see first). */
static void feed_stdout(call *c, proc *p, const char *s, size_t n)
{
    if (c->have_line) {
        aslrtp_buf_add(&p->rest, s, n);
        return;
    }
    const char *nl = memchr(s, '\n', n);
    size_t take = nl ? (size_t)(nl - s) : n;
    c->line_total += take;
    if (c->line.len < LINE_KEEP) {
        size_t room = LINE_KEEP - c->line.len;
        aslrtp_buf_add(&c->line, s, take < room ? take : room);
    }
    if (nl) {
        c->have_line = 1;
        if (take + 1 < n)
            aslrtp_buf_add(&p->rest, nl + 1, n - take - 1);
    }
}

/* The poll loop's output: stdout to the response line, stderr passed
 * through with its tail kept in c (NULL, between calls: passed through
 * only). */
static void take_output(void *ud, int is_stdout, const char *s, size_t n)
{
    call *c = ud;
    if (!c)
        aslrtp_proc_log(NULL, NULL, s, n);  /* shutting down: stderr only */
    else if (is_stdout)
        feed_stdout(c, c->p, s, n);
    else
        aslrtp_proc_log(&c->err, &c->err_cut, s, n);
}

/* The poll loop stops once the response line has come. */
static int have_line(void *ud)
{
    const call *c = ud;
    return c->have_line;
}

/* Writes the request and reads until the response line has come, the
 * process has exited, the call's time (timeout_s; a new process's
 * initialisation outside it, proc.c's aslrtp_talk_limit) has passed or
 * cancel is set; a process whose stdout ended without a response gets
 * GRACE_MS to exit. */
static void converse(proc *p, const char *req, size_t req_len, double timeout_s,
                     const aslrtp_cancel *cancel, call *c)
{
    c->p = p;
    /* Output left over from the last call comes first. */
    if (p->rest.len) {
        aslrtp_buf old = p->rest;
        p->rest = (aslrtp_buf){ 0 };
        feed_stdout(c, p, old.data, old.len);
        free(old.data);
    }
    aslrtp_talk t = { .in = req, .in_len = req_len, .eof_grace_ms = GRACE_MS,
                      .cancel = cancel, .output = take_output, .done = have_line, .ud = c };
    aslrtp_talk_limit(&t, timeout_s, p->io.ready >= 0);
    aslrtp_proc_talk(&p->io, &t);
    c->sent = t.sent;
    c->exited = t.exited;
    c->timed_out = t.timed_out;
    c->cancelled = t.cancelled;

    /* What it wrote before the response (its log for this call), or
     * everything it wrote before it died. */
    aslrtp_proc_drain(&p->io, &t, 0);
    if (c->exited)
        aslrtp_proc_drain(&p->io, &t, 1);  /* a response it wrote just before exiting */
}

/* ==== Reading a response line =========================================== */

typedef struct span {
    const char *s;
    size_t n;
    int seen;
} span;

static int is_ws(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Skips one JSON value's text from s[*i] without checking it (the members
 * that matter are parsed afterwards): a string, a bracketed value, or a
 * bare token such as a number, true or NaN.  Returns 1, 0 when the text
 * ends inside the value, -1 when there is no value. */
static int skip_value(const char *s, size_t n, size_t *i)
{
    size_t k = *i;
    if (k >= n)
        return 0;
    if (s[k] == '"' || s[k] == '{' || s[k] == '[') {
        int depth = 0;
        do {
            if (k >= n)
                return 0;
            if (s[k] == '"') {
                for (k++; k < n && s[k] != '"'; k++)
                    if (s[k] == '\\')
                        k++;
                if (k >= n)
                    return 0;
            } else if (s[k] == '{' || s[k] == '[') {
                depth++;
            } else if (s[k] == '}' || s[k] == ']') {
                depth--;
            }
            k++;
        } while (depth > 0);
    } else {
        while (k < n && s[k] != ',' && s[k] != '}' && s[k] != ']' && !is_ws(s[k]))
            k++;
        if (k == *i)
            return -1;
    }
    *i = k;
    return 1;
}

static size_t skip_ws(const char *s, size_t n, size_t i)
{
    while (i < n && is_ws(s[i]))
        i++;
    return i;
}

/* The members of a response line that matter, as raw text.  Returns NULL
 * when the line is a JSON object of members, else why not.  *cut_in names
 * the member whose value the kept text ends in (a line over LINE_KEEP). */
static const char *scan_response(const char *s, size_t n, span *id, span *result,
                                 span *error, span *output, span *last, const char **cut_in)
{
    static const char *const names[] = { "id", "result", "error", "output_base64", "last" };
    span *slots[] = { id, result, error, output, last };
    *cut_in = NULL;
    size_t i = skip_ws(s, n, 0);
    if (i >= n || s[i] != '{')
        return "not a JSON object";
    i = skip_ws(s, n, i + 1);
    if (i < n && s[i] == '}')
        return skip_ws(s, n, i + 1) == n ? NULL : "text after the object";
    for (;;) {
        if (i >= n || s[i] != '"')
            return "not a JSON object";
        size_t k0 = i + 1, k = k0;
        while (k < n && s[k] != '"')
            k += s[k] == '\\' ? 2 : 1;
        if (k >= n)
            return "not a JSON object";
        span *slot = NULL;
        for (size_t m = 0; m < sizeof names / sizeof names[0]; m++)
            if (strlen(names[m]) == k - k0 && memcmp(s + k0, names[m], k - k0) == 0)
                slot = slots[m];
        i = skip_ws(s, n, k + 1);
        if (i >= n || s[i] != ':')
            return "not a JSON object";
        i = skip_ws(s, n, i + 1);
        size_t v0 = i;
        int sv = skip_value(s, n, &i);
        if (sv <= 0) {
            if (sv == 0)
                *cut_in = slot == result ? "result" : slot == output ? "output_base64"
                                                                     : "another member";
            return "not a JSON object";
        }
        if (slot) {
            if (slot->seen)
                return "a member given twice";
            *slot = (span){ s + v0, i - v0, 1 };
        }
        i = skip_ws(s, n, i);
        if (i < n && s[i] == ',') {
            i = skip_ws(s, n, i + 1);
            continue;
        }
        if (i < n && s[i] == '}')
            return skip_ws(s, n, i + 1) == n ? NULL : "text after the object";
        return "not a JSON object";
    }
}

/* ==== From an exchange to a result or an error ========================== */

/* The handler returned text (total bytes, of which text holds all but
 * what a runaway line lost): a result, as task.c reads a program's stdout. */
static int map_success(const aslrtp_worker *w, const char *resource, const char *text,
                       size_t len, size_t total, json_t **out, aslrt_error *err)
{
    return aslrtp_handler_result(w->argv, w->adapter, resource, text, len, total, out, err);
}

/* The worker broke the protocol: Lambda.Unknown, saying how. */
static void protocol_error(const aslrtp_worker *w, const char *resource,
                           unsigned long long id, const char *why, const call *c,
                           aslrt_error *err)
{
    aslrtp_buf b = { 0 };
    aslrtp_buf_adds(&b, "the persistent worker (");
    add_handler_name(&b, w);
    aslrtp_buf_addf(&b, " for resource '%s') answered request %llu with a line that is "
                    "not its response (%s; expected {\"id\": %llu, \"result\": ...} or "
                    "{\"id\": %llu, \"error\": {...}}): ", resource, id, why, id, id);
    size_t n = c->line.len;
    const char *t = aslrtp_text_trim(c->line.data ? c->line.data : "", &n);
    aslrtp_text_excerpt(&b, t, n, ASLRTP_STDOUT_EXCERPT);
    aslrtp_fail_with(err, "Lambda.Unknown", &b);
}

/* The process died during the call: the Cause of a program that crashed. */
static void crashed(const aslrtp_worker *w, const char *resource, int status,
                    const call *c, aslrt_error *err)
{
    aslrtp_handler_crashed(w->argv, w->adapter, resource, status, &c->err, c->err_cut,
                           c->line.data, c->line.len, err);
}

/* Reads the response line.  Returns 1 for a result, 0 for an error, and
 * sets *broken when the worker must be replaced. */
static int map_response(const aslrtp_worker *w, const char *resource, unsigned long long id,
                        int compact, const call *c, size_t *raw_len, json_t **out,
                        aslrt_error *err, int *broken)
{
    const char *line = c->line.data ? c->line.data : "";
    size_t len = c->line.len;
    int cut = c->line_total > len;
    span sid = { 0 }, sres = { 0 }, serr = { 0 }, sout = { 0 }, slast = { 0 };
    const char *cut_in = NULL;
    const char *why = scan_response(line, len, &sid, &sres, &serr, &sout, &slast, &cut_in);
    if (why && cut && cut_in && strcmp(cut_in, "another member") != 0) {
        /* A result too large to keep: over the quota in any case. */
        *raw_len = c->line_total;
        return map_success(w, resource, NULL, 0, c->line_total, out, err);
    }
    if (why) {
        *broken = 1;
        protocol_error(w, resource, id, cut ? "a line too long" : why, c, err);
        return 0;
    }

    char *end = NULL;
    char idbuf[32];
    unsigned long long got = 0;
    int id_ok = sid.seen && sid.n > 0 && sid.n < sizeof idbuf;
    if (id_ok) {
        memcpy(idbuf, sid.s, sid.n);
        idbuf[sid.n] = '\0';
        errno = 0;
        got = strtoull(idbuf, &end, 10);
        id_ok = idbuf[0] >= '0' && idbuf[0] <= '9' && *end == '\0' && errno == 0;
    }
    if (!id_ok || got != id) {
        *broken = 1;
        char wbuf[96];
        if (!sid.seen)
            snprintf(wbuf, sizeof wbuf, "no \"id\"");
        else if (!id_ok)
            snprintf(wbuf, sizeof wbuf, "its \"id\" is not an integer");
        else
            snprintf(wbuf, sizeof wbuf, "\"id\" %llu", got);
        protocol_error(w, resource, id, wbuf, c, err);
        return 0;
    }
    /* "last": true, the worker ends after this response (as a Lambda
     * runtime's process does after an uncaught exception): not reused. */
    if (slast.seen && slast.n == 4 && memcmp(slast.s, "true", 4) == 0)
        *broken = 1;
    if (sres.seen + serr.seen + sout.seen != 1) {
        *broken = 1;
        protocol_error(w, resource, id, sres.seen + serr.seen + sout.seen
                       ? "more than one of \"result\", \"error\" and \"output_base64\""
                       : "no \"result\", \"error\" or \"output_base64\"", c, err);
        return 0;
    }

    if (sres.seen) {
        *raw_len = sres.n;
        return map_success(w, resource, sres.s, sres.n, sres.n, out, err);
    }
    if (sout.seen) {
        json_t *s = aslrtp_json_loads(sout.s, sout.n, NULL);
        size_t len = 0;
        char *bytes = json_is_string(s) ? aslrtp_base64_decode(json_string_value(s),
                                                               json_string_length(s), 0, &len)
                                        : NULL;
        json_decref(s);
        if (!bytes) {
            *broken = 1;
            protocol_error(w, resource, id, "\"output_base64\" is not a base64 string", c,
                           err);
            return 0;
        }
        *raw_len = len;
        int ok = map_success(w, resource, bytes, len, len, out, err);
        free(bytes);
        return ok;
    }

    /* A function error: Error is its errorType, Cause its text as the
     * worker wrote it (or compact, where Step Functions re-serializes). */
    *raw_len = serr.n;
    json_t *v = aslrtp_json_loads(serr.s, serr.n, NULL);
    if (!json_is_object(v) ||
        (!json_object_get(v, "errorType") && !json_object_get(v, "errorMessage"))) {
        json_decref(v);
        *broken = 1;
        protocol_error(w, resource, id, "\"error\" is not a Lambda error object "
                       "{\"errorType\", \"errorMessage\"}", c, err);
        return 0;
    }
    json_t *type = json_object_get(v, "errorType");
    const char *name = json_is_string(type) && json_string_length(type) > 0
        ? json_string_value(type) : "Lambda.Unknown";
    static const char invoke[] = "arn:aws:states:::lambda:invoke";
    aslrtp_buf b = { 0 };
    if (compact || strncmp(resource, invoke, sizeof invoke - 1) == 0)
        aslrtp_buf_add_json(&b, v);
    else
        aslrtp_buf_add(&b, serr.s, serr.n);
    aslrtp_fail_with(err, name, &b);
    json_decref(v);
    return 0;
}

/* ==== The pools ========================================================= */

aslrtp_worker *aslrtp_worker_create(const char *const *argv, const char *cwd, int adapter)
{
    size_t n = 0;
    while (argv[n])
        n++;
    if (n == 0 || (adapter && n < 4))
        return NULL;
    aslrtp_worker *w = aslrtp_calloc(1, sizeof *w);
    char **v = aslrtp_calloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = aslrtp_strdup(argv[i]);
    w->argv = v;
    w->cwd = cwd ? aslrtp_strdup(cwd) : NULL;
    w->adapter = adapter;
    pthread_mutex_init(&w->lock, NULL);
    return w;
}

/* Takes an idle process of resource's pool (NULL: none) and a new id. */
static proc *take(aslrtp_worker *w, const char *resource, unsigned long long *id)
{
    pthread_mutex_lock(&w->lock);
    *id = ++w->last_id;
    pool *pl = w->pools;
    while (pl && strcmp(pl->resource, resource) != 0)
        pl = pl->next;
    proc *p = NULL;
    if (pl && pl->idle) {
        p = pl->idle;
        pl->idle = p->next;
        p->next = NULL;
    }
    pthread_mutex_unlock(&w->lock);
    return p;
}

/* Gives p back to resource's pool, idle. */
static void give_back(aslrtp_worker *w, const char *resource, proc *p)
{
    pthread_mutex_lock(&w->lock);
    pool *pl = w->pools;
    while (pl && strcmp(pl->resource, resource) != 0)
        pl = pl->next;
    if (!pl) {
        pl = aslrtp_calloc(1, sizeof *pl);
        pl->resource = aslrtp_strdup(resource);
        pl->next = w->pools;
        w->pools = pl;
    }
    p->next = pl->idle;
    pl->idle = p;
    pthread_mutex_unlock(&w->lock);
}

int aslrtp_worker_invoke(aslrtp_worker *w, const char *resource, json_t *input,
                         double timeout_s, const aslrtp_cancel *cancel, int compact,
                         size_t *raw_len, char **log_tail, json_t **out, aslrt_error *err)
{
    *out = NULL;
    unsigned long long id;
    proc *p = take(w, resource, &id);
    if (p && aslrtp_proc_exited(&p->io)) {
        proc_end(p);            /* died while idle: replace it */
        p = NULL;
    }
    if (!p) {
        int rc = proc_start(w, resource, &p);
        if (rc != 0) {
            aslrtp_handler_unstartable(w->argv, w->adapter, resource, rc, err);
            return 0;
        }
    }

    /* {"id":N,"context":{"resource":R,"timeout":T},"event":E}\n */
    aslrtp_buf req = { 0 };
    aslrtp_buf_addf(&req, "{\"id\":%llu,\"context\":{\"resource\":", id);
    json_t *r = json_string_nocheck(resource);
    aslrtp_buf_add_json(&req, r);
    json_decref(r);
    if (timeout_s > 0)
        aslrtp_buf_addf(&req, ",\"timeout\":%.3f", timeout_s);
    aslrtp_buf_adds(&req, "},\"event\":");
    aslrtp_buf_add_json(&req, input);
    aslrtp_buf_adds(&req, "}\n");

    call c;
    memset(&c, 0, sizeof c);
    converse(p, req.data, req.len, timeout_s, cancel, &c);
    free(req.data);

    int ok = 0, broken = 0;
    size_t len = 0;
    if (c.cancelled) {
        /* A worker that got no byte of the request is as good as idle. */
        broken = c.sent > 0;
        aslrt_error_set(err, "aslc.Cancelled", "the task was stopped: its execution, branch or "
                                               "iteration was cancelled");
    } else if (c.timed_out) {
        broken = 1;
        aslrt_error_set(err, ASLRTP_ERR_TIMEOUT, NULL);   /* AWS gives no Cause */
    } else if (c.have_line) {
        ok = map_response(w, resource, id, compact, &c, &len, out, err, &broken);
    } else {
        broken = 1;
        int status = proc_end(p);
        p = NULL;
        crashed(w, resource, status, &c, err);
    }
    if (raw_len)
        *raw_len = len;
    if (log_tail) /* what it logged during the call */
        *log_tail = aslrtp_log_tail(&c.err);
    free(c.line.data);
    free(c.err.data);

    if (p) {
        if (broken || c.exited)
            proc_end(p);
        else
            give_back(w, resource, p);
    }
    return ok;
}

/* Closes every worker's stdin, gives them GRACE_MS to exit (their stderr
 * still passing through), then kills what is left of each process group
 * and reaps them.  No call may be running. */
void aslrtp_worker_destroy(aslrtp_worker *w)
{
    if (!w)
        return;
    proc *all = NULL;
    for (pool *pl = w->pools; pl;) {
        while (pl->idle) {
            proc *p = pl->idle;
            pl->idle = p->next;
            aslrtp_fd_close(&p->io.in);   /* EOF: the request to exit */
            p->next = all;
            all = p;
        }
        pool *next = pl->next;
        free(pl->resource);
        free(pl);
        pl = next;
    }
    /* Their stderr still passes through meanwhile. */
    long long deadline = aslrtp_proc_deadline(GRACE_MS / 1000.0);
    for (proc *p = all; p; p = p->next) {
        aslrtp_talk t = { .skip_stdout = 1, .deadline = deadline, .eof_grace_ms = -1,
                          .output = take_output, .ud = NULL };
        if (!aslrtp_proc_exited(&p->io))
            aslrtp_proc_talk(&p->io, &t);
        aslrtp_proc_drain(&p->io, &t, 0);
    }
    while (all) {
        proc *p = all;
        all = p->next;
        proc_end(p);
    }
    for (char **a = w->argv; *a; a++)
        free(*a);
    free(w->argv);
    free(w->cwd);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

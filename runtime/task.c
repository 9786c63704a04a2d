/*
 * task.c - task handlers: the table that binds Task resources to local code,
 * and the one way every handler is called.
 *
 * Model.  A binding table is an ordered list of (pattern, handler); the
 * first pattern that matches a resource wins.  A pattern is an exact ARN or
 * a glob where '*' matches any run of characters (':' and '/' included) and
 * '?' one character; nothing else is special, so an ARN never needs quoting.
 * A handler is one of:
 *
 *  - a C function, called directly in the calling thread;
 *  - a local program, run once per call like an AWS Lambda invocation: the
 *    event goes to its stdin as JSON, the result comes back on stdout.
 *    Exit 0 is success; a non-zero exit with a Lambda error object on
 *    stdout ({"errorType", "errorMessage", ...}) is a function error; any
 *    other failure is an unhandled one (Lambda.Unknown);
 *  - a Python file's or a Node.js module's handler(event, context), which
 *    is a program handler too: an adapter (aslc-python-handler,
 *    aslc-node-handler) loads the code and speaks the program protocol
 *    above, as Lambda's runtime for the language would; a binding may
 *    also read as a SAM function's properties ("runtime", "codeUri",
 *    "handler": "path/module.function"), resolved here to the same;
 *  - either of the last two as a persistent worker ("worker": true): one
 *    process serves many calls, a JSON line each way (task_worker.c);
 *  - a function behind an HTTP endpoint of the AWS Lambda Invoke API
 *    ({"http": URL}), AWS itself or a local one, called and signed with
 *    libcurl (task_http.c).
 *
 * The table is immutable once built (a worker binding's process pools
 * have their own lock), and a call keeps all of its state on its own
 * stack, so Map iterations and Parallel branches may call handlers from
 * several threads at once.
 *
 * Layering.  This file is the top of the handler layers: it dispatches to
 * task_worker.c and task_http.c, which like it run processes through
 * proc.c (spawning, the poll loop, killing process groups) and word
 * Causes through text.c; nothing below calls back up.  Here remain the
 * table, the bindings-file loader, and what a per-call program's run
 * (proc.c's aslrtp_proc_run) means as a result or an error.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aslrt_private.h"
#include "paths.h"

#ifndef ASLC_PKGDATADIR
#define ASLC_PKGDATADIR "/usr/local/share/aslc"
#endif

#define BINDINGS_ERROR "aslc.BindingsError"

enum { KIND_C = 1, KIND_PROGRAM, KIND_ADAPTER, KIND_HTTP, KIND_WORKER };

typedef struct binding {
    char *pattern;              /* a resource glob, or a state's name (state) */
    int state;                  /* keyed by state name ("States" section) */
    int kind;
    int adapter;                /* KIND_ADAPTER, KIND_WORKER: ASLRTP_ADAPTER_* */
    aslrt_handler_fn fn;        /* KIND_C */
    void *ud;
    /* KIND_PROGRAM: the NULL-terminated argv.  KIND_ADAPTER: interpreter,
     * adapter, code file, handler name, the adapter's own options ("--env"
     * "NAME=VALUE"); the call adds the rest (aslrtp_adapter_argv). */
    char **argv;
    char *cwd;                  /* NULL: the caller's working directory */
    aslrtp_http *http;          /* KIND_HTTP (task_http.c) */
    aslrtp_worker *worker;      /* KIND_WORKER (task_worker.c); argv and cwd as loaded */
    double fn_timeout_s;        /* a SAM-style binding's "timeout" (seconds); 0: none */
} binding;

/* A "StateMachines" entry: a state machine's ARN or name, and the
 * absolute path of its definition (nested executions, nested.c). */
typedef struct machine_entry {
    char *key;
    char *path;
} machine_entry;

struct aslrt_bindings {
    binding *v;
    size_t n, cap;
    json_t *endpoints;          /* "Endpoints": {aws-sdk name or "*": URL}, or NULL */
    machine_entry *machines;    /* the "StateMachines" sections loaded */
    size_t nmachines;
    int has_machines;           /* a "StateMachines" section was given */
};

/* ==== The table ========================================================= */

aslrt_bindings *aslrt_bindings_create(void)
{
    aslrt_bindings *b = aslrtp_calloc(1, sizeof *b);
    return b;
}

static void free_argv(char **argv)
{
    if (!argv)
        return;
    for (char **a = argv; *a; a++)
        free(*a);
    free(argv);
}

static void binding_free(binding *h)
{
    free(h->pattern);
    free_argv(h->argv);
    free(h->cwd);
    aslrtp_http_free(h->http);
    aslrtp_worker_destroy(h->worker);
}

void aslrt_bindings_destroy(aslrt_bindings *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        binding_free(&b->v[i]);
    free(b->v);
    json_decref(b->endpoints);
    for (size_t i = 0; i < b->nmachines; i++) {
        free(b->machines[i].key);
        free(b->machines[i].path);
    }
    free(b->machines);
    free(b);
}

/* Appends h (taking its strings) to the array v[0..*n) of *cap. */
static void push_binding(binding **v, size_t *n, size_t *cap, const binding *h)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 8;
        *v = aslrtp_reallocarray(*v, *cap, sizeof **v);
    }
    (*v)[(*n)++] = *h;
}

/* Appends h (taking its strings) to b. */
static void push(aslrt_bindings *b, const binding *h)
{
    push_binding(&b->v, &b->n, &b->cap, h);
}
static char **copy_argv(const char *const *argv)
{
    size_t n = 0;
    while (argv[n])
        n++;
    char **v = aslrtp_calloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = aslrtp_strdup(argv[i]);
    return v;
}

int aslrt_bindings_add_c(aslrt_bindings *b, const char *pattern,
                         aslrt_handler_fn fn, void *ud)
{
    if (!b || !pattern || !fn)
        return 0;
    binding h = { .pattern = aslrtp_strdup(pattern), .kind = KIND_C,
                  .fn = fn, .ud = ud };
    push(b, &h);
    return 1;
}

int aslrt_bindings_add_program(aslrt_bindings *b, const char *pattern,
                               const char *const *argv, const char *cwd)
{
    if (!b || !pattern || !argv || !argv[0] || !argv[0][0])
        return 0;
    binding h = { .pattern = aslrtp_strdup(pattern), .kind = KIND_PROGRAM,
                  .argv = copy_argv(argv),
                  .cwd = cwd ? aslrtp_strdup(cwd) : NULL };
    push(b, &h);
    return 1;
}

int aslrt_bindings_add_state_program(aslrt_bindings *b, const char *state,
                                     const char *const *argv, const char *cwd)
{
    if (!b || !state || !argv || !argv[0] || !argv[0][0])
        return 0;
    binding h = { .pattern = aslrtp_strdup(state), .state = 1, .kind = KIND_PROGRAM,
                  .argv = copy_argv(argv),
                  .cwd = cwd ? aslrtp_strdup(cwd) : NULL };
    push(b, &h);
    return 1;
}

int aslrtp_bindings_add_http(aslrt_bindings *b, const char *pattern, const char *url,
                             char **why)
{
    json_t *obj = json_pack("{s:s}", "http", url);
    const char *member = NULL;
    aslrtp_http *http = aslrtp_http_load(obj, &member, why);
    json_decref(obj);
    if (!http)
        return 0;
    binding h = { .pattern = aslrtp_strdup(pattern), .kind = KIND_HTTP, .http = http };
    push(b, &h);
    return 1;
}

/* Glob match with '*' and '?' only.  Greedy with one backtrack point: on a
 * mismatch the last '*' absorbs one more character, which is enough for
 * patterns without character classes and keeps the match linear in
 * practice. */
static int glob_match(const char *p, const char *s)
{
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p == '?') {
            /* one character; the string's NUL ends a cut sequence */
            size_t n;
            aslrtp_utf8_decode(s, 4, 0, &n);
            s += n;
            p++;
        } else if (*p == *s) {
            p++;
            s++;
        } else if (star) {
            p = star + 1;
            s = ++resume;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

/* The binding of a Task: the one keyed by its state's name (state may be
 * NULL), else the one keyed by exactly its resource, else the first
 * pattern that matches the resource, in the table's order. */
static const binding *lookup_for(const aslrt_bindings *b, const char *state,
                                 const char *resource)
{
    if (!b)
        return NULL;
    for (size_t i = 0; state && i < b->n; i++)
        if (b->v[i].state && strcmp(b->v[i].pattern, state) == 0)
            return &b->v[i];
    for (size_t i = 0; i < b->n; i++)
        if (!b->v[i].state && strcmp(b->v[i].pattern, resource) == 0)
            return &b->v[i];
    for (size_t i = 0; i < b->n; i++)
        if (!b->v[i].state && glob_match(b->v[i].pattern, resource))
            return &b->v[i];
    return NULL;
}

static const binding *lookup(const aslrt_bindings *b, const char *resource)
{
    return lookup_for(b, NULL, resource);
}

bool aslrtp_task_bound(const aslrt_bindings *b, const char *state, const char *resource)
{
    return lookup_for(b, state, resource) != NULL;
}

const char *aslrtp_bindings_endpoint(const aslrt_bindings *b, const char *service)
{
    if (!b || !b->endpoints)
        return NULL;
    const char *url = json_string_value(json_object_get(b->endpoints, service));
    return url ? url : json_string_value(json_object_get(b->endpoints, "*"));
}

bool aslrtp_bindings_has_machines(const aslrt_bindings *b)
{
    return b && b->has_machines;
}

const char *aslrtp_bindings_machine(const aslrt_bindings *b, const char *key)
{
    for (size_t i = 0; b && i < b->nmachines; i++)
        if (strcmp(b->machines[i].key, key) == 0)
            return b->machines[i].path;
    return NULL;
}

/* ==== Running a program ================================================= */

/* What one run of a program gave. */
typedef struct outcome {
    int status;                 /* waitpid status */
    int timed_out;
    int cancelled;              /* stopped because *cancel became non-zero */
    aslrtp_buf out;             /* stdout: the first ASLRTP_DATA_LIMIT + 1 bytes */
    size_t out_total;           /* every byte written to stdout */
    aslrtp_buf err;             /* stderr: its tail (aslrtp_tail_keep) */
    int err_cut;                /* stderr began before what err holds */
} outcome;

/* Keeps the first ASLRTP_DATA_LIMIT + 1 bytes of stdout: enough to know that a
 * result is over the quota, without holding a runaway program's output.
 * stderr passes through to ours, its tail kept for the Cause of a crash. */
static void keep_output(void *ud, int is_stdout, const char *s, size_t n)
{
    outcome *o = ud;
    if (!is_stdout) {
        aslrtp_proc_log(&o->err, &o->err_cut, s, n);
        return;
    }
    o->out_total += n;
    if (o->out.len <= ASLRTP_DATA_LIMIT) {
        size_t room = ASLRTP_DATA_LIMIT + 1 - o->out.len;
        aslrtp_buf_add(&o->out, s, n < room ? n : room);
    }
}

/* Runs argv with in on its stdin (with ready set, with a ready pipe: its
 * initialisation is outside timeout_s).  Returns 0, or an errno value when
 * the program could not be started. */
static int run_program(char *const *argv, const char *cwd, int ready, const char *in,
                       size_t in_len, double timeout_s, const aslrtp_cancel *cancel,
                       outcome *o)
{
    aslrtp_talk t = { .in = in, .in_len = in_len, .eof_grace_ms = -1, .cancel = cancel,
                      .output = keep_output, .ud = o };
    aslrtp_talk_limit(&t, timeout_s, ready);
    int rc = aslrtp_proc_run(argv, cwd, ready, &t, &o->status);
    o->timed_out = t.timed_out;
    o->cancelled = t.cancelled;
    return rc;
}

/* ==== From a run to a result or an error =============================== */

/* Is v a Lambda error object, as the runtimes print one? */
static int lambda_error_object(json_t *v)
{
    return json_is_object(v) && (json_object_get(v, "errorType") ||
                                 json_object_get(v, "errorMessage"));
}

/* The optimized integration re-serializes the function's error through
 * Step Functions' own (Jackson) writer; a plain function ARN passes the
 * Lambda runtime's text through unchanged.  Both are recorded on AWS:
 * `{"errorMessage": "...", ...}` for arn:aws:lambda:...:function:F and
 * `{"errorMessage":"...",...}` for arn:aws:states:::lambda:invoke. */
static int reserializes_errors(const char *resource)
{
    static const char prefix[] = "arn:aws:states:::lambda:invoke";
    return strncmp(resource, prefix, sizeof prefix - 1) == 0;
}

static int map_outcome(const binding *h, const char *resource, int compact, outcome *o,
                       json_t **out, aslrt_error *err)
{
    if (o->timed_out) {
        /* AWS gives States.Timeout without a Cause. */
        aslrt_error_set(err, ASLRTP_ERR_TIMEOUT, NULL);
        return 0;
    }

    size_t n = o->out.len;
    const char *text = aslrtp_text_trim(o->out.data ? o->out.data : "", &n);
    int complete = o->out_total == o->out.len;

    /* The adapters print an answer for every invocation (a bytes response
     * too, see aslc-python-handler): exit 0 without one is the handler's
     * sys.exit(0), os._exit(0) or process.exit(0) (doc/behaviour.md §35). */
    if (WIFEXITED(o->status) && WEXITSTATUS(o->status) == 0 &&
        !(h->adapter && o->out_total == 0))
        return aslrtp_handler_result(h->argv, h->adapter, resource, o->out.data,
                                     o->out.len, o->out_total, out, err);

    /* A function error: Error is its errorType, Cause its text. */
    json_t *v = n && complete ? aslrtp_json_loads(text, n, NULL) : NULL;
    if (lambda_error_object(v)) {
        json_t *type = json_object_get(v, "errorType");
        const char *name = json_is_string(type) && json_string_length(type) > 0
            ? json_string_value(type) : "Lambda.Unknown";
        aslrtp_buf b = { 0 };
        if (compact || reserializes_errors(resource))
            aslrtp_buf_add_json(&b, v);
        else
            aslrtp_buf_add(&b, text, n);
        aslrtp_fail_with(err, name, &b);
        json_decref(v);
        return 0;
    }
    json_decref(v);

    /* Unhandled: the program died or failed without saying why.  Lambda
     * reports its runtime's death as "Runtime exited with error: ...", and
     * Step Functions reports unhandled Lambda failures as Lambda.Unknown. */
    aslrtp_handler_crashed(h->argv, h->adapter, resource, o->status, &o->err,
                           o->err_cut, o->out.data, o->out.len, err);
    return 0;
}

static int invoke_program(const binding *h, const char *resource, json_t *input,
                          double timeout_s, const aslrtp_cancel *cancel, int compact,
                          size_t *raw_len, char **log_tail, json_t **out, aslrt_error *err)
{
    char **aargv = NULL;
    char tbuf[32];
    if (h->adapter) {
        if (timeout_s > 0)
            snprintf(tbuf, sizeof tbuf, "%.3f", timeout_s);
        aargv = aslrtp_adapter_argv(h->argv, 0, resource, timeout_s > 0 ? tbuf : NULL);
    }

    char *in = aslrt_json_dumps(input);
    outcome o;
    memset(&o, 0, sizeof o);
    int rc = run_program(aargv ? aargv : h->argv, h->cwd, h->adapter != ASLRTP_ADAPTER_NONE, in,
                         strlen(in), timeout_s, cancel, &o);
    free(aargv);
    free(in);
    int ok;
    if (rc == 0 && o.cancelled) {
        aslrt_error_set(err, "aslc.Cancelled", "the task was stopped: its execution, branch or "
                                               "iteration was cancelled");
        ok = 0;
    } else if (rc != 0) {
        aslrtp_handler_unstartable(h->argv, h->adapter, resource, rc, err);
        ok = 0;
    } else {
        ok = map_outcome(h, resource, compact, &o, out, err);
        if (raw_len)
            *raw_len = o.out_total;
        if (log_tail) {
            /* The end of what the handler logged (its stderr). */
            *log_tail = aslrtp_log_tail(&o.err);
        }
    }
    free(o.out.data);
    free(o.err.data);
    return ok;
}

static int invoke_c(const binding *h, const char *resource, json_t *input,
                    json_t **out, aslrt_error *err)
{
    json_t *res = NULL;
    aslrt_error e = { 0 };
    if (!h->fn(h->ud, input, &res, &e)) {
        json_decref(res);
        if (!e.error && !e.cause) {
            char *cause = aslrtp_strdupf("the C handler bound to resource '%s' "
                                         "failed without giving an error", resource);
            aslrt_error_set(&e, ASLRTP_HANDLER_FAILED, cause);
            free(cause);
        }
        aslrt_error_clear(err);
        *err = e;
        return 0;
    }
    aslrt_error_clear(&e);
    *out = res ? res : json_null();
    return 1;
}

int aslrtp_task_invoke(const aslrt_bindings *b, const char *resource,
                       json_t *input, double timeout_s, const aslrtp_cancel *cancel,
                       json_t **out, aslrt_error *err)
{
    return aslrtp_task_invoke_lambda(b, resource, input, timeout_s, cancel, 0, NULL, NULL, NULL,
                                     out, err);
}

/* Calls the handler h (bound to resource) as aslrtp_task_invoke_lambda
 * describes. */
static int call_limited(const binding *h, const char *resource, json_t *input, double timeout_s,
                        const aslrtp_cancel *cancel, int compact, size_t *raw_len,
                        char **log_tail, char **version, json_t **out, aslrt_error *err)
{
    if (h->kind == KIND_C) {
        int ok = invoke_c(h, resource, input, out, err);
        if (ok && raw_len) {
            char *t = aslrt_json_dumps(*out);
            *raw_len = strlen(t);
            free(t);
        }
        return ok;
    }
    if (h->kind == KIND_WORKER)
        return aslrtp_worker_invoke(h->worker, resource, input, timeout_s, cancel, compact,
                                    raw_len, log_tail, out, err);
    if (h->kind == KIND_HTTP)
        return aslrtp_http_invoke(h->http, resource, input, timeout_s, cancel, compact, raw_len,
                                  log_tail, version, out, err);
    return invoke_program(h, resource, input, timeout_s, cancel, compact, raw_len, log_tail, out,
                          err);
}

/* Calls h as aslrtp_task_invoke_lambda describes.  A function's own
 * timeout (SAM's "timeout"), when shorter than the Task's, ends the call
 * as Lambda ends it: the Error Sandbox.Timedout, the Task's own limit
 * being States.Timeout (doc/behaviour.md §40). */
static int call(const binding *h, const char *resource, json_t *input, double timeout_s,
                const aslrtp_cancel *cancel, int compact, size_t *raw_len, char **log_tail,
                char **version, json_t **out, aslrt_error *err)
{
    int fn_limits = h->fn_timeout_s > 0 && (timeout_s <= 0 || h->fn_timeout_s < timeout_s);
    int ok = call_limited(h, resource, input, fn_limits ? h->fn_timeout_s : timeout_s, cancel,
                          compact, raw_len, log_tail, version, out, err);
    if (!ok && fn_limits && err->error && strcmp(err->error, ASLRTP_ERR_TIMEOUT) == 0) {
        char id[ASLRTP_UUID_SIZE];
        aslrtp_uuid_v4(id);
        char *msg = aslrtp_strdupf("RequestId: %s Error: Task timed out after %.2f seconds", id,
                                   h->fn_timeout_s);
        json_t *payload = json_pack("{s:s, s:s}", "errorMessage", msg, "errorType",
                                    "Sandbox.Timedout");
        aslrtp_buf b = { 0 };
        aslrtp_buf_add_json(&b, payload);
        aslrt_error_clear(err);
        aslrtp_fail_with(err, "Sandbox.Timedout", &b);
        json_decref(payload);
        free(msg);
    }
    return ok;
}

int aslrtp_task_invoke_lambda(const aslrt_bindings *b, const char *resource, json_t *input,
                              double timeout_s, const aslrtp_cancel *cancel, int compact,
                              size_t *raw_len, char **log_tail, char **version, json_t **out,
                              aslrt_error *err)
{
    *out = NULL;
    const binding *h = lookup(b, resource);
    if (!h) {
        char *cause = aslrtp_strdupf("no handler is bound to resource '%s' "
                                     "(see --bindings)", resource);
        aslrt_error_set(err, "aslc.UnboundResource", cause);
        free(cause);
        return 0;
    }
    return call(h, resource, input, timeout_s, cancel, compact, raw_len, log_tail, version, out,
                err);
}

int aslrtp_task_invoke_state(const aslrt_bindings *b, const char *state, const char *resource,
                             json_t *input, double timeout_s, const aslrtp_cancel *cancel,
                             int compact, size_t *raw_len, char **log_tail, char **version,
                             json_t **out, aslrt_error *err)
{
    *out = NULL;
    const binding *h = lookup_for(b, state, resource);
    if (!h) {
        /* Every way to answer the Task, so that the user can pick one. */
        char *cause = aslrtp_strdupf(
            "no mock or binding answers Task state '%s' (Resource '%s'): give it a mocked "
            "response in a mock config (--mock-config with --test-case), bind a handler "
            "in --bindings to the state's name (\"States\": {\"%s\": ...}), to the "
            "resource, or to a pattern that matches it, or, for an AWS service, give its "
            "endpoint (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, \"Endpoints\" in "
            "--bindings, or --aws for AWS itself)",
            state, resource, state);
        aslrt_error_set(err, "aslc.UnboundResource", cause);
        free(cause);
        return 0;
    }
    return call(h, resource, input, timeout_s, cancel, compact, raw_len, log_tail, version, out,
                err);
}

/* ==== The bindings file ================================================= */

/* A load in progress: where messages point and what has been built. */
typedef struct loader {
    const char *path;           /* the file, as the caller named it */
    char *dir;                  /* its directory, absolute */
    aslrt_error *err;
    const char *section;        /* "States" while loading that section, else NULL */
    binding *v;
    size_t n, cap;
    machine_entry *machines;    /* the "StateMachines" section */
    size_t nmachines;
    int has_machines;
} loader;

/* Appends "/" and key escaped as a JSON pointer token (RFC 6901). */
static void add_pointer_token(aslrtp_buf *b, const char *key)
{
    aslrtp_buf_adds(b, "/");
    for (const char *k = key; *k; k++) {
        if (*k == '~')
            aslrtp_buf_adds(b, "~0");
        else if (*k == '/')
            aslrtp_buf_adds(b, "~1");
        else
            aslrtp_buf_add(b, k, 1);
    }
}

/* Fails the load: "FILE: POINTER: message".  member may be NULL (the
 * binding itself) and index >= 0 names an array element under member. */
static int load_fail(loader *ld, const char *key, const char *member, int index,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int load_fail(loader *ld, const char *key, const char *member, int index,
                     const char *fmt, ...)
{
    aslrtp_buf b = { 0 };
    aslrtp_buf_addf(&b, "%s: ", ld->path);
    if (key) {
        if (ld->section)
            add_pointer_token(&b, ld->section);
        add_pointer_token(&b, key);
        if (member)
            add_pointer_token(&b, member);
        if (index >= 0)
            aslrtp_buf_addf(&b, "/%d", index);
        aslrtp_buf_adds(&b, ": ");
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        char *text = aslrtp_malloc((size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(text, (size_t)n + 1, fmt, ap);
        va_end(ap);
        aslrtp_buf_add(&b, text, (size_t)n);
        free(text);
    }
    aslrtp_fail_with(ld->err, BINDINGS_ERROR, &b);
    return 0;
}

/* p made absolute against dir (no symlinks resolved: a virtualenv's python
 * must keep its own path). */
static char *resolve(const char *dir, const char *p)
{
    if (p[0] == '/')
        return aslrtp_strdup(p);
    while (p[0] == '.' && p[1] == '/')
        p += 2;                 /* "./x" reads better in messages as dir/x */
    return aslrtp_strdupf("%s/%s", dir, p);
}

/* The directory of path, absolute. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    if (!slash)
        dir = aslrtp_strdup(".");
    else if (slash == path)
        dir = aslrtp_strdup("/");
    else {
        dir = aslrtp_strdup(path);
        dir[slash - path] = '\0';
    }
    char *abs = realpath(dir, NULL);
    free(dir);
    return abs;
}

/* An executable given with a '/' must exist now; a bare name is looked up
 * in PATH at call time, as execvp does. */
static int check_executable(loader *ld, const char *key, const char *member,
                            int index, const char *file)
{
    char ebuf[128];
    struct stat st;
    if (stat(file, &st) != 0)
        return load_fail(ld, key, member, index, "cannot use '%s': %s", file,
                         aslrtp_errstr(errno, ebuf, sizeof ebuf));
    if (!S_ISREG(st.st_mode))
        return load_fail(ld, key, member, index, "'%s' is not a regular file", file);
    if (access(file, X_OK) != 0)
        return load_fail(ld, key, member, index, "cannot execute '%s': %s", file,
                         aslrtp_errstr(errno, ebuf, sizeof ebuf));
    return 1;
}

/* A non-empty string member, or NULL (with the error set when present but
 * wrong). */
static const char *string_member(loader *ld, const char *key, json_t *obj,
                                 const char *member, int *bad)
{
    json_t *m = json_object_get(obj, member);
    if (!m)
        return NULL;
    if (!json_is_string(m) || json_string_length(m) == 0 ||
        strlen(json_string_value(m)) != json_string_length(m)) {
        *bad = 1;
        load_fail(ld, key, member, -1, "expected a non-empty string");
        return NULL;
    }
    return json_string_value(m);
}

/* Rejects members that the kind does not have: a typo must not be silently
 * ignored. */
static int check_members(loader *ld, const char *key, json_t *obj,
                         const char *const *allowed, const char *kind)
{
    const char *m;
    json_t *val;
    json_object_foreach(obj, m, val) {
        if (!aslrtp_str_in(m, allowed)) {
            aslrtp_buf list = { 0 };
            for (const char *const *a = allowed; *a; a++)
                aslrtp_buf_addf(&list, "%s\"%s\"", a == allowed ? "" : ", ", *a);
            char *l = aslrtp_buf_finish(&list);
            load_fail(ld, key, m, -1, "unknown member \"%s\" of a %s binding "
                      "(expected %s)", m, kind, l);
            free(l);
            return 0;
        }
    }
    (void)val;
    return 1;
}

static void loader_push(loader *ld, const binding *h)
{
    push_binding(&ld->v, &ld->n, &ld->cap, h);
}

/* What differs between the adapter kinds: the member naming the code, how
 * messages name the language, the interpreter and adapter and the
 * environment variables that choose others, the handler by default. */
typedef struct adapter_kind {
    int adapter;                /* ASLRTP_ADAPTER_* */
    const char *member;         /* "python": the code file */
    const char *language;
    const char *interpreter, *interpreter_env;
    const char *script, *script_env;
    const char *handler;
} adapter_kind;

static const adapter_kind adapter_kinds[] = {
    { ASLRTP_ADAPTER_PYTHON, "python", "Python", "python3", "ASLC_PYTHON",
      "aslc-python-handler", "ASLC_PYTHON_HANDLER", "lambda_handler" },
    { ASLRTP_ADAPTER_NODE, "node", "Node.js", "node", "ASLC_NODE",
      "aslc-node-handler", "ASLC_NODE_HANDLER", "handler" },
};

/* The adapter script of kind k: the path in its environment variable when
 * set; else the installed one (pkgdatadir) when it is there; else the one
 * in the source tree aslc was built from, so that an uninstalled build
 * runs handlers without any setting.  NULL with *tried set when none is. */
static char *find_adapter(const adapter_kind *k, const char **tried, int *e)
{
    const char *env = getenv(k->script_env);
    if (env && *env) {
        char *p = realpath(env, NULL);
        *tried = env;
        *e = errno;
        return p;
    }
    static const char *const dirs[] = { ASLC_PKGDATADIR,
#ifdef ASLC_SRCDIR
                                        ASLC_SRCDIR "/runtime",
#endif
    };
    *e = ENOENT;
    *tried = ASLC_PKGDATADIR;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char *path = aslrtp_strdupf("%s/%s", dirs[i], k->script);
        char *p = realpath(path, NULL);
        free(path);
        if (p)
            return p;
    }
    return NULL;
}

/* The interpreter of an adapter binding: its "interpreter" member (interp,
 * may be NULL) against the bindings file's directory, else the kind's
 * environment variable, else its default.  NULL with the error set. */
static char *adapter_interpreter(loader *ld, const char *key, const adapter_kind *k,
                                 const char *interp)
{
    char *interpreter;
    if (interp) {
        interpreter = strchr(interp, '/') ? resolve(ld->dir, interp) : aslrtp_strdup(interp);
        if (strchr(interpreter, '/') &&
            !check_executable(ld, key, "interpreter", -1, interpreter)) {
            free(interpreter);
            return NULL;
        }
        return interpreter;
    }
    /* ASLC_PYTHON, ASLC_NODE: the user's choice of interpreter; relative
     * to the working directory, as any command-line path. */
    const char *env = getenv(k->interpreter_env);
    interpreter = aslrtp_strdup(env && *env ? env : k->interpreter);
    if (interpreter[0] != '/' && strchr(interpreter, '/')) {
        char *cwd = getcwd(NULL, 0);
        if (cwd) {
            char *abs = resolve(cwd, interpreter);
            free(interpreter);
            interpreter = abs;
            free(cwd);
        }
    }
    return interpreter;
}

/* Pushes an adapter binding: argv is interpreter, adapter, code file,
 * handler name, then opts (the adapter's options, taken); the handler
 * runs in cwd (taken), the code's directory when NULL.  code is taken. */
static int push_adapter(loader *ld, const char *key, const char *member,
                        const adapter_kind *k, const char *interp, char *code,
                        const char *handler, char *cwd, char **opts, size_t nopts)
{
    char ebuf[128];
    char *interpreter = adapter_interpreter(ld, key, k, interp);
    const char *tried;
    int e;
    char *adapter = interpreter ? find_adapter(k, &tried, &e) : NULL;
    if (interpreter && !adapter)
        load_fail(ld, key, member, -1, "the %s adapter %s is missing in '%s': %s "
                  "(set %s to its path)", k->language, k->script, tried,
                  aslrtp_errstr(e, ebuf, sizeof ebuf), k->script_env);
    if (!adapter) {
        free(interpreter);
        free(code);
        free(cwd);
        for (size_t i = 0; i < nopts; i++)
            free(opts[i]);
        return 0;
    }

    /* Lambda runs a handler in the directory of its code (/var/task), so
     * files shipped beside it open by relative name. */
    if (!cwd) {
        cwd = aslrtp_strdup(code);
        *strrchr(cwd, '/') = '\0';
        if (!*cwd) {
            free(cwd);
            cwd = aslrtp_strdup("/");
        }
    }

    binding h = { .pattern = aslrtp_strdup(key), .kind = KIND_ADAPTER,
                  .adapter = k->adapter, .cwd = cwd };
    h.argv = aslrtp_calloc(5 + nopts, sizeof *h.argv);
    h.argv[0] = interpreter;
    h.argv[1] = adapter;
    h.argv[2] = code;
    h.argv[3] = aslrtp_strdup(handler ? handler : k->handler);
    for (size_t i = 0; i < nopts; i++)
        h.argv[4 + i] = opts[i];
    loader_push(ld, &h);
    return 1;
}

/* A binding of an adapter kind ("python", "node"): the code file, its
 * "handler" and "interpreter". */
static int load_adapter(loader *ld, const char *key, json_t *obj, const adapter_kind *k)
{
    const char *const allowed[] = { k->member, "handler", "interpreter", NULL };
    if (!check_members(ld, key, obj, allowed, k->member))
        return 0;
    int bad = 0;
    const char *file = string_member(ld, key, obj, k->member, &bad);
    if (!file)
        return bad ? 0 : load_fail(ld, key, k->member, -1, "expected a non-empty string");
    const char *handler = string_member(ld, key, obj, "handler", &bad);
    if (bad)
        return 0;
    const char *interp = string_member(ld, key, obj, "interpreter", &bad);
    if (bad)
        return 0;

    char ebuf[128];
    char *code = resolve(ld->dir, file);
    struct stat st;
    int found = stat(code, &st) == 0;
    if (!found || !S_ISREG(st.st_mode)) {
        load_fail(ld, key, k->member, -1, "cannot use %s file '%s': %s", k->language, code,
                  found ? "not a regular file" : aslrtp_errstr(errno, ebuf, sizeof ebuf));
        free(code);
        return 0;
    }
    return push_adapter(ld, key, k->member, k, interp, code, handler, NULL, NULL, 0);
}

/* The file a SAM handler string names under root: Python's
 * "path/module.function" (dots in the module are directories too) is
 * root/path/module.py; Node.js's "path/module.function" (the function may
 * be dotted) is root/path/module.js, .mjs or .cjs, the first there, as the
 * Lambda runtimes look them up.  NULL when the string has no module and
 * function; *function points into handler; *tried the last file looked
 * for (malloc'd) when none is there. */
static char *sam_code_file(const adapter_kind *k, const char *root, const char *handler,
                           const char **function, char **tried)
{
    const char *slash = strrchr(handler, '/');
    const char *base = slash ? slash + 1 : handler;
    const char *dot = k->adapter == ASLRTP_ADAPTER_PYTHON ? strrchr(base, '.')
                                                          : strchr(base, '.');
    if (!dot || dot == base || !dot[1])
        return NULL;
    *function = dot + 1;
    char *module = aslrtp_memdup(handler, (size_t)(dot - handler));
    if (k->adapter == ASLRTP_ADAPTER_PYTHON) {
        for (char *c = module + (base - handler); *c; c++)
            if (*c == '.')
                *c = '/';
    }
    static const char *const py_ext[] = { ".py", NULL };
    static const char *const node_ext[] = { ".js", ".mjs", ".cjs", NULL };
    const char *const *ext = k->adapter == ASLRTP_ADAPTER_PYTHON ? py_ext : node_ext;
    char *file = NULL;
    for (; *ext && !file; ext++) {
        char *path = aslrtp_strdupf("%s/%s%s", root, module, *ext);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            file = path;
        } else {
            free(*tried);
            *tried = path;
        }
    }
    free(module);
    return file;
}

/* A binding written as a SAM function's properties: "runtime" picks the
 * kind (pythonX.Y, nodejsN.x), "handler" is Lambda's handler string under
 * "codeUri" (default: the bindings file's directory), which is the
 * handler's working directory and LAMBDA_TASK_ROOT; "environment",
 * "memorySize" and "functionName" become the function's environment;
 * "timeout" is the function's own time limit. */
static int load_sam(loader *ld, const char *key, json_t *obj)
{
    static const char *const allowed[] = { "runtime", "codeUri", "handler", "environment",
                                            "memorySize", "timeout", "functionName",
                                            "interpreter", NULL };
    if (!check_members(ld, key, obj, allowed, "runtime"))
        return 0;
    int bad = 0;
    const char *runtime = string_member(ld, key, obj, "runtime", &bad);
    if (!runtime)
        return bad ? 0 : load_fail(ld, key, "runtime", -1, "expected a non-empty string");
    const adapter_kind *k = NULL;
    if (strncmp(runtime, "python", 6) == 0)
        k = &adapter_kinds[0];
    else if (strncmp(runtime, "nodejs", 6) == 0)
        k = &adapter_kinds[1];
    if (!k)
        return load_fail(ld, key, "runtime", -1, "unsupported runtime '%s' (expected "
                         "pythonX.Y or nodejsN.x)", runtime);
    const char *uri = string_member(ld, key, obj, "codeUri", &bad);
    const char *handler = bad ? NULL : string_member(ld, key, obj, "handler", &bad);
    const char *interp = bad ? NULL : string_member(ld, key, obj, "interpreter", &bad);
    const char *fname = bad ? NULL : string_member(ld, key, obj, "functionName", &bad);
    if (bad)
        return 0;
    if (!handler)
        return load_fail(ld, key, "handler", -1, "the handler is missing (such as \"%s\")",
                         k->adapter == ASLRTP_ADAPTER_PYTHON ? "app.lambda_handler"
                                                             : "index.handler");
    json_t *mem = json_object_get(obj, "memorySize");
    if (mem && (!json_is_integer(mem) || json_integer_value(mem) < 128 ||
                json_integer_value(mem) > 10240))
        return load_fail(ld, key, "memorySize", -1, "expected an integer from 128 to 10240 "
                         "(megabytes)");
    /* Lambda's range: 1 second to 15 minutes. */
    json_t *timeout = json_object_get(obj, "timeout");
    if (timeout && (!json_is_integer(timeout) || json_integer_value(timeout) < 1 ||
                    json_integer_value(timeout) > 900))
        return load_fail(ld, key, "timeout", -1, "expected an integer from 1 to 900 (seconds)");
    json_t *env = json_object_get(obj, "environment");
    if (env && !json_is_object(env))
        return load_fail(ld, key, "environment", -1, "expected an object of string "
                         "variables, such as {\"TABLE_NAME\": \"orders\"}");
    const char *name;
    json_t *val;
    json_object_foreach(env, name, val) {
        if (!*name || strchr(name, '='))
            return load_fail(ld, key, "environment", -1, "'%s' is not a variable name", name);
        if (!json_is_string(val) || strlen(json_string_value(val)) != json_string_length(val))
            return load_fail(ld, key, "environment", -1, "the value of %s is not a string "
                             "(Lambda's variables are strings)", name);
    }

    char ebuf[128];
    char *root = resolve(ld->dir, uri ? uri : ".");
    struct stat st;
    int found = stat(root, &st) == 0;
    if (!found || !S_ISDIR(st.st_mode)) {
        load_fail(ld, key, "codeUri", -1, "cannot use directory '%s': %s", root,
                  found ? "not a directory" : aslrtp_errstr(errno, ebuf, sizeof ebuf));
        free(root);
        return 0;
    }
    /* As the handler's working directory reads it: "." and symlinks gone. */
    char *real = realpath(root, NULL);
    if (real) {
        free(root);
        root = real;
    }
    const char *function = NULL;
    char *tried = NULL;
    char *code = sam_code_file(k, root, handler, &function, &tried);
    if (!code) {
        if (!function)
            load_fail(ld, key, "handler", -1, "'%s' is not a handler string "
                      "(expected \"module.function\", such as \"%s\")", handler,
                      k->adapter == ASLRTP_ADAPTER_PYTHON ? "app.lambda_handler"
                                                          : "src/handlers/order.handler");
        else
            load_fail(ld, key, "handler", -1, "the %s handler '%s' names no file: '%s' "
                      "does not exist", k->language, handler, tried);
        free(tried);
        free(root);
        return 0;
    }
    free(tried);

    /* "--env" "NAME=VALUE" for the adapter, which sets them before its own
     * defaults (runtime/aslc-python-handler, runtime/aslc-node-handler). */
    size_t nopts = 0, cap = 2 * (json_object_size(env) + 3);
    char **opts = aslrtp_calloc(cap, sizeof *opts);
#define ENV_OPT(...) (opts[nopts++] = aslrtp_strdup("--env"), \
                      opts[nopts++] = aslrtp_strdupf(__VA_ARGS__))
    ENV_OPT("LAMBDA_TASK_ROOT=%s", root);
    if (mem)
        ENV_OPT("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%lld", (long long)json_integer_value(mem));
    if (fname)
        ENV_OPT("AWS_LAMBDA_FUNCTION_NAME=%s", fname);
    json_object_foreach(env, name, val)
        ENV_OPT("%s=%s", name, json_string_value(val));
#undef ENV_OPT
    int ok = push_adapter(ld, key, "runtime", k, interp, code, function, root, opts, nopts);
    free(opts);
    if (ok && timeout)
        ld->v[ld->n - 1].fn_timeout_s = (double)json_integer_value(timeout);
    return ok;
}

static int load_program(loader *ld, const char *key, json_t *obj)
{
    static const char *const allowed[] = { "program", "cwd", NULL };
    if (!check_members(ld, key, obj, allowed, "program"))
        return 0;
    json_t *prog = json_object_get(obj, "program");
    size_t argc = json_is_array(prog) ? json_array_size(prog) : 1;
    if (!json_is_array(prog) && !json_is_string(prog))
        return load_fail(ld, key, "program", -1,
                         "expected an array of strings (program and arguments) "
                         "or a string");
    if (argc == 0)
        return load_fail(ld, key, "program", -1, "the program is missing "
                         "(an empty array)");

    char **argv = aslrtp_calloc(argc + 1, sizeof *argv);
    for (size_t i = 0; i < argc; i++) {
        json_t *a = json_is_array(prog) ? json_array_get(prog, i) : prog;
        int index = json_is_array(prog) ? (int)i : -1;
        if (!json_is_string(a) ||
            strlen(json_string_value(a)) != json_string_length(a) ||
            (i == 0 && json_string_length(a) == 0)) {
            free_argv(argv);
            return load_fail(ld, key, "program", index, i == 0
                             ? "expected a non-empty string (the program)"
                             : "expected a string");
        }
        const char *s = json_string_value(a);
        argv[i] = i == 0 && strchr(s, '/') ? resolve(ld->dir, s) : aslrtp_strdup(s);
    }
    if (strchr(argv[0], '/') &&
        !check_executable(ld, key, "program", json_is_array(prog) ? 0 : -1, argv[0])) {
        free_argv(argv);
        return 0;
    }

    char *cwd = NULL;
    int bad = 0;
    const char *c = string_member(ld, key, obj, "cwd", &bad);
    if (bad) {
        free_argv(argv);
        return 0;
    }
    if (c) {
        char ebuf[128];
        struct stat st;
        cwd = resolve(ld->dir, c);
        int found = stat(cwd, &st) == 0;
        if (!found || !S_ISDIR(st.st_mode)) {
            load_fail(ld, key, "cwd", -1, "cannot use directory '%s': %s", cwd,
                      found ? "not a directory" : aslrtp_errstr(errno, ebuf, sizeof ebuf));
            free(cwd);
            free_argv(argv);
            return 0;
        }
    }

    binding h = { .pattern = aslrtp_strdup(key), .kind = KIND_PROGRAM,
                  .argv = argv, .cwd = cwd };
    loader_push(ld, &h);
    return 1;
}

/* "worker": true on a python, node, SAM-style (sam) or program binding
 * (k NULL): the same handler as a persistent worker process
 * (task_worker.c). */
static int load_worker(loader *ld, const char *key, json_t *obj, const adapter_kind *k,
                       int sam)
{
    json_t *w = json_object_get(obj, "worker");
    if (!json_is_boolean(w))
        return load_fail(ld, key, "worker", -1, "expected true or false");
    json_t *rest = json_copy(obj);      /* the kind's own members */
    json_object_del(rest, "worker");
    int ok = sam ? load_sam(ld, key, rest)
           : k ? load_adapter(ld, key, rest, k) : load_program(ld, key, rest);
    json_decref(rest);
    if (!ok)
        return 0;
    binding *h = &ld->v[ld->n - 1];
    if (json_is_true(w)) {
        h->worker = aslrtp_worker_create((const char *const *)h->argv, h->cwd, h->adapter);
        h->kind = KIND_WORKER;
    }
    return 1;
}

/* An "http" binding: task_http.c checks its members. */
static int load_http(loader *ld, const char *key, json_t *obj)
{
    const char *member = NULL;
    char *why = NULL;
    aslrtp_http *http = aslrtp_http_load(obj, &member, &why);
    if (!http) {
        load_fail(ld, key, member, -1, "%s", why ? why : "bad http binding");
        free(why);
        return 0;
    }
    binding h = { .pattern = aslrtp_strdup(key), .kind = KIND_HTTP, .http = http };
    loader_push(ld, &h);
    return 1;
}

static int load_entry(loader *ld, const char *key, json_t *val)
{
    if (!json_is_object(val))
        return load_fail(ld, key, NULL, -1, "expected an object such as "
                         "{\"program\": [\"./prog\"]} or {\"python\": \"handler.py\"}");
    if (strlen(key) == 0)
        return load_fail(ld, key, NULL, -1, "the resource pattern is empty");
    /* One member names the kind and its code. */
    const adapter_kind *k = NULL;
    int kinds = 0;
    for (size_t i = 0; i < sizeof adapter_kinds / sizeof adapter_kinds[0]; i++)
        if (json_object_get(val, adapter_kinds[i].member)) {
            k = &adapter_kinds[i];
            kinds++;
        }
    int prog = json_object_get(val, "program") != NULL;
    int sam = json_object_get(val, "runtime") != NULL;
    if (kinds + prog + sam > 1)
        return load_fail(ld, key, NULL, -1, "a binding has one of \"python\", \"node\", "
                         "\"runtime\" and \"program\", not several");
    if ((k || prog || sam) && json_object_get(val, "worker"))
        return load_worker(ld, key, val, k, sam);
    if (sam)
        return load_sam(ld, key, val);
    if (k)
        return load_adapter(ld, key, val, k);
    if (prog)
        return load_program(ld, key, val);
    if (json_object_get(val, "http"))
        return load_http(ld, key, val);
    /* The first member is where the kind should be: name it, it is most
     * likely a misspelt kind. */
    void *it = json_object_iter(val);
    if (!it)
        return load_fail(ld, key, NULL, -1, "no handler kind "
                         "(expected \"python\", \"node\", \"runtime\", \"program\" or \"http\")");
    return load_fail(ld, key, NULL, -1, "unknown handler kind \"%s\" "
                     "(expected \"python\", \"node\", \"runtime\", \"program\" or \"http\")",
                     json_object_iter_key(it));
}

/* The "States" section: handlers keyed by a Task state's name (exact, no
 * glob: a name may hold '*' or '?'), tried before any resource key. */
static int load_states(loader *ld, json_t *val)
{
    if (!json_is_object(val))
        return load_fail(ld, "States", NULL, -1, "expected an object mapping state names to "
                         "handlers, such as {\"Put item\": {\"program\": [\"./put\"]}}");
    const char *name;
    json_t *h;
    ld->section = "States";
    json_object_foreach(val, name, h) {
        size_t first = ld->n;
        if (!load_entry(ld, name, h)) {
            ld->section = NULL;
            return 0;
        }
        for (size_t i = first; i < ld->n; i++)
            ld->v[i].state = 1;
    }
    ld->section = NULL;
    return 1;
}

/* The "Endpoints" section: where the AWS services a Task calls answer,
 * keyed by the service's aws-sdk name ("dynamodb", "sqs") or "*" for any
 * (aws/config.c). */
static int load_endpoints(loader *ld, json_t *val, json_t **endpoints)
{
    if (!json_is_object(val))
        return load_fail(ld, "Endpoints", NULL, -1, "expected an object mapping AWS service "
                         "names to endpoint URLs, such as {\"dynamodb\": "
                         "\"http://127.0.0.1:8000\"}");
    const char *name;
    json_t *url;
    json_object_foreach(val, name, url) {
        const char *u = json_string_value(url);
        if (!u || strlen(u) != json_string_length(url) ||
            (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) ||
            strcspn(u, " \t\r\n") != strlen(u))
            return load_fail(ld, "Endpoints", name, -1, "expected an http:// or https:// URL");
        /* The URL is printed in errors: it may hold no password. */
        if (aslrtp_url_has_userinfo(u))
            return load_fail(ld, "Endpoints", name, -1, "credentials do not belong in the URL "
                             "(requests are signed with AWS_ACCESS_KEY_ID and "
                             "AWS_SECRET_ACCESS_KEY)");
    }
    json_decref(*endpoints);
    *endpoints = json_incref(val);
    return 1;
}

/* The "StateMachines" section: local definitions of the state machines
 * that nested executions start, keyed by ARN or by name (nested.c). */
static int load_machines(loader *ld, json_t *val)
{
    if (!json_is_object(val))
        return load_fail(ld, "StateMachines", NULL, -1, "expected an object mapping state "
                         "machine ARNs or names to definition files, such as "
                         "{\"Child\": \"child.asl.json\"}");
    const char *key;
    json_t *file;
    ld->has_machines = 1;
    ld->section = "StateMachines";
    json_object_foreach(val, key, file) {
        if (!*key || !json_is_string(file) || json_string_length(file) == 0) {
            load_fail(ld, key, NULL, -1, *key ? "expected the path of a definition file"
                                              : "the state machine's ARN or name is empty");
            ld->section = NULL;
            return 0;
        }
        char *p = resolve(ld->dir, json_string_value(file));
        struct stat st;
        int found = stat(p, &st) == 0;
        if (!found || !S_ISREG(st.st_mode)) {
            char ebuf[128];
            load_fail(ld, key, NULL, -1, "cannot use definition file '%s': %s", p,
                      found ? "not a regular file" : aslrtp_errstr(errno, ebuf, sizeof ebuf));
            free(p);
            ld->section = NULL;
            return 0;
        }
        ld->machines = aslrtp_reallocarray(ld->machines, ld->nmachines + 1,
                                           sizeof *ld->machines);
        ld->machines[ld->nmachines++] = (machine_entry){aslrtp_strdup(key), p};
    }
    ld->section = NULL;
    return 1;
}

int aslrt_bindings_load_file(aslrt_bindings *b, const char *path, aslrt_error *err)
{
    aslrt_error local = { 0 };
    loader ld = { .path = path, .err = err ? err : &local };
    if (!b || !path) {
        aslrt_error_set(ld.err, BINDINGS_ERROR, "no bindings table or file given");
        return 0;
    }

    json_error_t je;
    /* Duplicate keys would make the priority order ambiguous. */
    json_t *doc = json_load_file(path, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        char *msg = je.line > 0
            ? aslrtp_strdupf("%s:%d:%d: %s", path, je.line, je.column, je.text)
            : aslrtp_strdupf("%s: %s", path, je.text);
        aslrt_error_set(ld.err, BINDINGS_ERROR, msg);
        free(msg);
        aslrt_error_clear(&local);
        return 0;
    }

    int ok = 1;
    json_t *endpoints = NULL;
    if (!json_is_object(doc)) {
        ok = load_fail(&ld, NULL, NULL, -1, "a bindings file is a JSON object "
                       "mapping resource patterns to handlers");
    } else {
        char ebuf[128];
        ld.dir = dir_of(path);
        if (!ld.dir)
            ok = load_fail(&ld, NULL, NULL, -1, "cannot resolve its directory: %s",
                           aslrtp_errstr(errno, ebuf, sizeof ebuf));
        const char *key;
        json_t *val;
        json_object_foreach(doc, key, val) {
            if (!ok || !(strcmp(key, "States") == 0          ? load_states(&ld, val)
                         : strcmp(key, "StateMachines") == 0 ? load_machines(&ld, val)
                         : strcmp(key, "Endpoints") == 0     ? load_endpoints(&ld, val, &endpoints)
                                                             : load_entry(&ld, key, val))) {
                ok = 0;
                break;
            }
        }
    }

    /* All or nothing: a half-loaded file would bind some tasks silently. */
    for (size_t i = 0; i < ld.n; i++) {
        if (ok)
            push(b, &ld.v[i]);
        else
            binding_free(&ld.v[i]);
    }
    if (ok && endpoints) {
        json_decref(b->endpoints);
        b->endpoints = json_deep_copy(endpoints);
    }
    json_decref(endpoints);
    free(ld.v);
    for (size_t i = 0; i < ld.nmachines; i++) {
        if (ok) {
            b->machines = aslrtp_reallocarray(b->machines, b->nmachines + 1,
                                              sizeof *b->machines);
            b->machines[b->nmachines++] = ld.machines[i];
        } else {
            free(ld.machines[i].key);
            free(ld.machines[i].path);
        }
    }
    free(ld.machines);
    b->has_machines |= ok && ld.has_machines;
    free(ld.dir);
    json_decref(doc);
    aslrt_error_clear(&local);
    return ok;
}

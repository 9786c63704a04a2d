/*
 * check_worker.c - unit tests of runtime/task_worker.c ("worker": true
 * bindings) and of the Python adapter's --worker mode.
 *
 * Model: every binding comes from a bindings file written into a scratch
 * directory, and every call goes through aslrtp_task_invoke or
 * aslrtp_task_invoke_lambda, as the runtime makes them.  The central check
 * runs the same handler per call and as a worker and compares the results,
 * Errors and Causes (request ids, new for every invocation in both modes,
 * masked).  Worker processes report their pid, so reuse, replacement and
 * cleanup are seen from outside.  Program workers are sh scripts that cut
 * the id out of the request line; the Python cases are skipped without
 * python3.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "aslrt_private.h"
#include "testutil.h"

static const char *python;          /* the interpreter, NULL when absent */
static const char *node;            /* node, NULL when absent */

#define ARN "arn:aws:lambda:us-east-1:111111111111:function:"

/* ==== Helpers ============================================================ */

static json_t *parse(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    ck_assert_msg(v != NULL, "bad test JSON: %s", text);
    return v;
}

/* A bindings table loaded from the file text written as scratch/name. */
static aslrt_bindings *load(const char *name, const char *text)
{
    char *path = write_file(name, text, 0644);
    aslrt_bindings *b = aslrt_bindings_create();
    aslrt_error err = { 0 };
    ck_assert_msg(aslrt_bindings_load_file(b, path, &err), "%s: %s", name,
                  err.cause ? err.cause : "(no cause)");
    aslrt_error_clear(&err);
    free(path);
    return b;
}

/* The result of one call: ok, the output (new) or the error. */
typedef struct result {
    int ok;
    json_t *out;
    aslrt_error err;
} result;

static result call_full(const aslrt_bindings *b, const char *resource, const char *input,
                        double timeout_s, int compact, const volatile int *cancel)
{
    result r = { 0 };
    json_t *in = parse(input);
    aslrtp_cancel stop = { cancel, NULL };
    r.ok = aslrtp_task_invoke_lambda(b, resource, in, timeout_s, &stop, compact, NULL, NULL,
                                     NULL, &r.out, &r.err);
    json_decref(in);
    if (r.ok)
        ck_assert_ptr_nonnull(r.out);
    else
        ck_assert_ptr_null(r.out);
    return r;
}

static result call(const aslrt_bindings *b, const char *resource, const char *input,
                   double timeout_s)
{
    return call_full(b, resource, input, timeout_s, 0, NULL);
}

static void result_clear(result *r)
{
    json_decref(r->out);
    r->out = NULL;
    aslrt_error_clear(&r->err);
}

/* The integer the call returned (its "pid" member, or the value). */
static long call_int(const aslrt_bindings *b, const char *resource, const char *input)
{
    result r = call(b, resource, input, 10);
    ck_assert_msg(r.ok, "%s failed: %s: %s", resource, r.err.error, r.err.cause);
    json_t *v = json_is_object(r.out) ? json_object_get(r.out, "pid") : r.out;
    ck_assert_msg(json_is_integer(v), "no integer in the result of %s", resource);
    long n = (long)json_integer_value(v);
    result_clear(&r);
    return n;
}

/* s with every UUID (a request id) replaced by "<uuid>"; malloc'd. */
static char *mask_uuids(const char *s)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    aslrtp_buf b = { 0 };
    size_t n = s ? strlen(s) : 0;
    for (size_t i = 0; i < n;) {
        int match = i + 36 <= n;
        for (size_t k = 0; match && k < 36; k++)
            match = shape[k] == '-' ? s[i + k] == '-' : isxdigit((unsigned char)s[i + k]);
        if (match) {
            aslrtp_buf_adds(&b, "<uuid>");
            i += 36;
        } else {
            aslrtp_buf_add(&b, s + i, 1);
            i++;
        }
    }
    return aslrtp_buf_finish(&b);
}

/* The two results are the same: equal outputs, or equal Error and Cause up
 * to request ids. */
static void assert_same(const char *what, const result *a, const result *b)
{
    ck_assert_msg(a->ok == b->ok, "%s: per call %s, worker %s (%s: %s)", what,
                  a->ok ? "succeeded" : "failed", b->ok ? "succeeded" : "failed",
                  a->ok ? b->err.error : a->err.error, a->ok ? b->err.cause : a->err.cause);
    if (a->ok) {
        char *x = aslrt_json_dumps(a->out), *y = aslrt_json_dumps(b->out);
        ck_assert_msg(json_equal(a->out, b->out), "%s: per call %s, worker %s", what, x, y);
        free(x);
        free(y);
        return;
    }
    ck_assert_msg((a->err.error == NULL) == (b->err.error == NULL) &&
                  (!a->err.error || strcmp(a->err.error, b->err.error) == 0),
                  "%s: Error %s per call, %s as a worker", what, a->err.error, b->err.error);
    char *x = mask_uuids(a->err.cause), *y = mask_uuids(b->err.cause);
    ck_assert_msg((a->err.cause == NULL) == (b->err.cause == NULL) && strcmp(x, y) == 0,
                  "%s: Cause\n  per call: %s\n  worker:   %s", what, x, y);
    free(x);
    free(y);
}

/* A program worker written as an sh loop: BODY runs for each request with
 * $line, $id (cut out of the line) and $n (calls so far, from 1), and
 * prints the response. */
static char *sh_worker(const char *name, const char *body)
{
    char *text = aslrtp_strdupf(
        "#!/bin/sh\n"
        "n=0\n"
        "while IFS= read -r line; do\n"
        "  n=$((n + 1))\n"
        "  id=${line#'{\"id\":'}; id=${id%%%%,*}\n"
        "%s"
        "done\n", body);
    char *path = write_file(name, text, 0755);
    free(text);
    return path;
}

/* A Python handler file scratch/py/NAME/handler.py and two tables binding
 * ARN NAME to it: per call (*percall) and as a worker (*worker). */
static void python_pair(const char *name, const char *code, aslrt_bindings **percall,
                        aslrt_bindings **worker)
{
    char *file = aslrtp_strdupf("py/%s/handler.py", name);
    free(write_file(file, code, 0644));
    for (int w = 0; w < 2; w++) {
        char *conf = aslrtp_strdupf("{\"" ARN "%s\": {\"python\": \"%s\", "
                                    "\"handler\": \"handler\"%s}}",
                                    name, file, w ? ", \"worker\": true" : "");
        char *conf_name = aslrtp_strdupf("%s-%s.json", name, w ? "worker" : "percall");
        *(w ? worker : percall) = load(conf_name, conf);
        free(conf_name);
        free(conf);
    }
    free(file);
}

/* ==== The same results as per-call handlers ============================= */

/* The worker wk answers arn's input as the per-call table pc answered it
 * (a): twice (a warm process the second time, or a new one after a crash),
 * and through lambda:invoke's compact re-serialization in both modes. */
static void worker_agrees(aslrt_bindings *pc, aslrt_bindings *wk, const char *arn,
                          const char *input, const char *name, const result *a)
{
    for (int round = 0; round < 2; round++) {
        result b = call(wk, arn, input, 10);
        char *what = aslrtp_strdupf("%s (worker call %d)", name, round + 1);
        assert_same(what, a, &b);
        free(what);
        result_clear(&b);
    }
    result ac = call_full(pc, arn, input, 10, 1, NULL);
    result bc = call_full(wk, arn, input, 10, 1, NULL);
    assert_same(name, &ac, &bc);
    result_clear(&ac);
    result_clear(&bc);
}



/* Python handlers, each called with the same input in both modes (twice
 * as a worker: the second call runs in a warm process, or in a new one
 * after a crash). */
START_TEST(test_python_same_as_per_call)
{
    static const struct {
        const char *name, *code, *input;
    } cases[] = {
        { "identity", "def handler(event, context):\n    return event\n",
          "{\"a\": [1, 2.5, \"\\u00e9\\u4e2d\\n\", {\"b\": null}], \"t\": true, \"big\": 1e300}" },
        { "none", "def handler(event, context):\n    return None\n", "{}" },
        { "string", "def handler(event, context):\n    return 'line\\u2028sep' + str(event)\n",
          "[1]" },
        { "exception", "def handler(event, context):\n"
          "    raise Exception(\"Some exception was raised.\")\n", "{}" },
        { "custom", "class CustomException(Exception):\n"
          "    def __init__(self):\n        self.message = 'm'\n\n"
          "def handler(event, context):\n    raise CustomException()\n", "{}" },
        { "unicode_error", "def handler(event, context):\n"
          "    raise ValueError('d\\u00e9j\\u00e0 \\u4e2d \"quoted\"\\nline')\n", "{}" },
        { "bytes_json", "def handler(event, context):\n    return b'\"HelloWorld!\"'\n", "{}" },
        { "bytes_pretty", "def handler(event, context):\n    return b'{\\n  \"a\": 1\\n}\\n'\n",
          "{}" },
        { "bytes_not_json", "def handler(event, context):\n    return b'hello \\xff world'\n",
          "{}" },
        { "bytes_large", "def handler(event, context):\n"
          "    return ('a' * (257 * 1024)).encode('utf-8')\n", "{}" },
        { "result_large", "def handler(event, context):\n    return {'s': 'x' * 262200}\n",
          "{}" },
        { "result_at_quota", "def handler(event, context):\n    return 'x' * 262142\n", "{}" },
        { "nan", "def handler(event, context):\n    return {'x': float('nan')}\n", "{}" },
        { "marshal_error", "def handler(event, context):\n    return {1, 2}\n", "{}" },
        { "no_handler", "def other(event, context):\n    return 1\n", "{}" },
        { "import_error", "import aslc_no_such_module\n", "{}" },
        { "syntax_error", "def handler(event, context):\n    return (\n", "{}" },
        { "init_error", "raise ValueError('bad config')\n", "{}" },
        { "exit_status", "import sys\ndef handler(event, context):\n"
          "    print('about to exit', file=sys.stderr)\n    sys.exit(3)\n", "{}" },
        { "exit_zero", "import sys\ndef handler(event, context):\n    sys.exit(0)\n", "{}" },
        { "exit_text", "import sys\ndef handler(event, context):\n    sys.exit('bye')\n",
          "{}" },
        { "os_exit_zero", "import os\ndef handler(event, context):\n    os._exit(0)\n",
          "{}" },
        { "bytes_empty", "def handler(event, context):\n    return b''\n", "{}" },
        { "segfault", "import os, signal\ndef handler(event, context):\n"
          "    os.kill(os.getpid(), signal.SIGSEGV)\n", "{}" },
        { "context", "def handler(event, context):\n"
          "    return [context.function_name, context.function_version,\n"
          "            context.invoked_function_arn, context.memory_limit_in_mb,\n"
          "            context.log_group_name, len(context.aws_request_id),\n"
          "            0 < context.get_remaining_time_in_millis() <= 10000,\n"
          "            __import__('os').path.exists('handler.py'),\n"
          "            __import__('sys').stdin.read()]\n", "{}" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        aslrt_bindings *pc, *wk;
        python_pair(cases[i].name, cases[i].code, &pc, &wk);
        char *arn = aslrtp_strdupf(ARN "%s", cases[i].name);
        result a = call(pc, arn, cases[i].input, 10);
        worker_agrees(pc, wk, arn, cases[i].input, cases[i].name, &a);
        result_clear(&a);
        free(arn);
        aslrt_bindings_destroy(pc);
        aslrt_bindings_destroy(wk);
    }
}
END_TEST

/* Loads conf (as conf_name) and calls arn twice: the first call fails with
 * error, its Cause holding cause_part, the second succeeds.  Returns the
 * second call's result. */
static result init_fails_once(const char *conf_name, const char *conf, const char *arn,
                              int mode, const char *error, const char *cause_part)
{
    aslrt_bindings *b = load(conf_name, conf);
    result r = call(b, arn, "{}", 10);
    ck_assert_msg(!r.ok && strcmp(r.err.error, error) == 0, "mode %d: %s", mode, r.err.error);
    assert_contains(r.err.cause, cause_part);
    result_clear(&r);
    r = call(b, arn, "{}", 10);
    ck_assert_msg(r.ok, "mode %d: %s: %s", mode, r.err.error, r.err.cause);
    aslrt_bindings_destroy(b);
    return r;
}

/* An initialisation that fails once: the next invocation tries again and
 * succeeds, in both modes. */
START_TEST(test_python_init_retried)
{
    char *marker = path_in("py-flaky-marker");
    for (int w = 0; w < 2; w++) {
        unlink(marker);
        char *code = aslrtp_strdupf("import os\n"
                                    "if not os.path.exists('%s'):\n"
                                    "    open('%s', 'w').close()\n"
                                    "    raise RuntimeError('first import fails')\n"
                                    "def handler(event, context):\n    return 'ok'\n",
                                    marker, marker);
        char *file = aslrtp_strdupf("py/flaky%d/handler.py", w);
        free(write_file(file, code, 0644));
        char *conf = aslrtp_strdupf("{\"" ARN "flaky\": {\"python\": \"%s\", "
                                    "\"handler\": \"handler\", \"worker\": %s}}",
                                    file, w ? "true" : "false");
        result r = init_fails_once(w ? "flaky-w.json" : "flaky-p.json", conf, ARN "flaky", w,
                                   "RuntimeError", "\"requestId\": \"\"");
        result_clear(&r);
        free(conf);
        free(file);
        free(code);
    }
    free(marker);
}
END_TEST

/* A call whose Init (6 s) is longer than its limit (5 s) succeeds: the
 * Init is outside the limit.  What the context reports is checked only
 * where it does not depend on how fast the call ran: "left" (ms) is never
 * more than the limit (how long a call takes is bench/'s to measure). */
static void assert_init_outside_limit(const result *r, int mode, json_int_t limit_ms)
{
    ck_assert_msg(r->ok, "mode %d: %s: %s", mode, r->err.error, r->err.cause);
    json_t *left = json_object_get(r->out, "left");
    ck_assert_msg(json_is_integer(left) && json_integer_value(left) <= limit_ms,
                  "mode %d: %lld ms left", mode, (long long)json_integer_value(left));
}

/* Lambda's Init phase (starting the interpreter, importing the module)
 * is outside the call's time limit, in both modes (doc/behaviour.md §37):
 * an import that takes longer than the limit does not time the call out,
 * and the context's deadline counts from the invocation.  An Init that
 * never ends still does, ASLRTP_INIT_LIMIT_MS later. */
START_TEST(test_python_init_outside_timeout)
{
    aslrt_bindings *pc, *wk;
    python_pair("pyinit", "import time\ntime.sleep(6)\n"
                "def handler(event, context):\n"
                "    return {'left': context.get_remaining_time_in_millis()}\n",
                &pc, &wk);
    for (int w = 0; w < 2; w++) {
        result r = call(w ? wk : pc, ARN "pyinit", "{}", 5);
        assert_init_outside_limit(&r, w, 5000);
        result_clear(&r);
    }
    aslrt_bindings_destroy(wk);
    aslrt_bindings_destroy(pc);

    python_pair("pyinithang", "import time\ntime.sleep(600)\n"
                "def handler(event, context):\n    return 1\n", &pc, &wk);
    result a = call(pc, ARN "pyinithang", "{}", 0.5);
    result r = call(wk, ARN "pyinithang", "{}", 0.5);
    ck_assert(!a.ok);
    ck_assert_str_eq(a.err.error, "States.Timeout");
    assert_same("pyinithang", &a, &r);
    result_clear(&a);
    result_clear(&r);
    aslrt_bindings_destroy(wk);
    aslrt_bindings_destroy(pc);
}
END_TEST

/* A program worker answering with an error object, a bad value or a
 * result gives what a per-call program printing the same gives. */
START_TEST(test_program_same_as_per_call)
{
    static const struct {
        const char *name, *printed, *status;
    } cases[] = {
        { "res", "{\"ok\": [1, 2]}", "0" },
        { "err", "{\"errorType\": \"Oops\", \"errorMessage\": \"bad \\u00e9\", \"x\": [1]}",
          "1" },
        { "untyped", "{\"errorMessage\": \"no type\"}", "1" },
        { "nan", "NaN", "0" },
        { "word", "hello", "0" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *member = strcmp(cases[i].status, "0") == 0 ? "result" : "error";
        char *pc_name = aslrtp_strdupf("prog/%s-percall.sh", cases[i].name);
        char *wk_name = aslrtp_strdupf("prog/%s-worker.sh", cases[i].name);
        char *pc_text = aslrtp_strdupf("#!/bin/sh\ncat >/dev/null\n"
                                       "printf '%%s\\n' '%s'\nexit %s\n",
                                       cases[i].printed, cases[i].status);
        char *pc = write_file(pc_name, pc_text, 0755);
        char *body = aslrtp_strdupf("  printf '{\"id\":%%s,\"%s\":%%s}\\n' \"$id\" '%s'\n",
                                    member, cases[i].printed);
        char *wk = sh_worker(wk_name, body);
        /* Both named the same for the Cause: the worker runs through a link. */
        char *link = aslrtp_strdupf("%s/prog/%s-run", scratch, cases[i].name);
        unlink(link);
        ck_assert_int_eq(symlink(pc, link), 0);
        char *conf = aslrtp_strdupf("{\"" ARN "p\": {\"program\": \"%s\"}}", link);
        aslrt_bindings *bp = load("prog-pc.json", conf);
        free(conf);
        result a = call(bp, ARN "p", "{\"in\": 1}", 10);
        aslrt_bindings_destroy(bp);
        unlink(link);
        ck_assert_int_eq(symlink(wk, link), 0);
        conf = aslrtp_strdupf("{\"" ARN "p\": {\"program\": \"%s\", \"worker\": true}}", link);
        aslrt_bindings *bw = load("prog-wk.json", conf);
        free(conf);
        result b = call(bw, ARN "p", "{\"in\": 1}", 10);
        aslrt_bindings_destroy(bw);

        assert_same(cases[i].name, &a, &b);
        result_clear(&a);
        result_clear(&b);
        unlink(link);
        free(link);
        free(body);
        free(wk);
        free(pc);
        free(pc_text);
        free(wk_name);
        free(pc_name);
    }
}
END_TEST

/* ==== Processes ========================================================= */

/* Many calls, one process: Python and sh workers. */
START_TEST(test_reuse)
{
    char *sh = sh_worker("reuse.sh", "  printf '{\"id\":%s,\"result\":{\"pid\":%d}}\\n' \"$id\" $$\n");
    char *conf = aslrtp_strdupf("{\"" ARN "sh\": {\"program\": [\"%s\"], \"worker\": true}}", sh);
    aslrt_bindings *b = load("reuse.json", conf);
    long first = call_int(b, ARN "sh", "{}");
    for (int i = 0; i < 300; i++)
        ck_assert_int_eq(call_int(b, ARN "sh", "{\"i\": 1}"), first);
    ck_assert(process_alive((pid_t)first));
    aslrt_bindings_destroy(b);
    ck_assert(process_dead((pid_t)first));
    free(conf);
    free(sh);

    if (!python)
        return;
    aslrt_bindings *pc, *wk;
    python_pair("pid", "import os\n"
                "def handler(event, context):\n    return {'pid': os.getpid()}\n", &pc, &wk);
    first = call_int(wk, ARN "pid", "{}");
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(call_int(wk, ARN "pid", "{}"), first);
    /* per call: a new process every time */
    long p1 = call_int(pc, ARN "pid", "{}"), p2 = call_int(pc, ARN "pid", "{}");
    ck_assert_int_ne(p1, p2);
    aslrt_bindings_destroy(wk);
    aslrt_bindings_destroy(pc);
    ck_assert(process_dead((pid_t)first));
}
END_TEST

/* Pools are per resource: the Python adapter names the function after it. */
START_TEST(test_pool_per_resource)
{
    if (!python)
        return;
    free(write_file("py/names/handler.py", "import os\n"
                    "def handler(event, context):\n"
                    "    return [context.function_name, os.getpid()]\n", 0644));
    aslrt_bindings *b = load("names.json", "{\"" ARN "*\": {\"python\": "
                             "\"py/names/handler.py\", \"handler\": \"handler\", "
                             "\"worker\": true}}");
    long pids[2] = { 0, 0 };
    const char *names[2] = { "One", "Two" };
    for (int round = 0; round < 3; round++) {
        for (int k = 0; k < 2; k++) {
            char *arn = aslrtp_strdupf(ARN "%s", names[k]);
            result r = call(b, arn, "{}", 10);
            ck_assert_msg(r.ok, "%s: %s", r.err.error, r.err.cause);
            ck_assert_str_eq(json_string_value(json_array_get(r.out, 0)), names[k]);
            long pid = (long)json_integer_value(json_array_get(r.out, 1));
            if (round == 0)
                pids[k] = pid;
            ck_assert_int_eq(pid, pids[k]);
            result_clear(&r);
            free(arn);
        }
    }
    ck_assert_int_ne(pids[0], pids[1]);
    aslrt_bindings_destroy(b);
}
END_TEST

typedef struct caller {
    const aslrt_bindings *b;
    const char *resource;
    int index;
    int calls;
    long pids[8];
    int failures;
} caller;

static void *caller_main(void *arg)
{
    caller *c = arg;
    for (int k = 0; k < c->calls; k++) {
        char input[64];
        snprintf(input, sizeof input, "{\"v\": %d}", c->index * 100 + k);
        json_t *in = json_loads(input, 0, NULL), *out = NULL;
        aslrt_error err = { 0 };
        int ok = aslrtp_task_invoke(c->b, c->resource, in, 60, NULL, &out, &err);
        json_t *v = json_object_get(out, "v");
        if (!ok || !json_is_integer(v) || json_integer_value(v) != c->index * 100 + k)
            c->failures++;
        c->pids[k] = (long)json_integer_value(json_object_get(out, "pid"));
        json_decref(out);
        json_decref(in);
        aslrt_error_clear(&err);
    }
    return NULL;
}

static int count_distinct(const long *v, int n)
{
    int d = 0;
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++)
            seen |= v[j] == v[i];
        d += !seen;
    }
    return d;
}

/* Concurrent callers: each call in its own process at a time; the pool
 * grows to the number of callers and no further.  No clock decides it:
 * every caller's first call waits in its handler until all CONC_THREADS first
 * calls are inside a handler at once (a rendezvous in the directory
 * rdv), which only CONC_THREADS processes serving side by side can reach.  A
 * pool that did not grow would leave the rendezvous waiting and the calls
 * would fail at their timeout. */
enum { CONC_THREADS = 6, CONC_CALLS = 5 };

static void concurrent(const char *resource, const aslrt_bindings *b)
{
    caller cs[CONC_THREADS];
    pthread_t t[CONC_THREADS];
    for (int i = 0; i < CONC_THREADS; i++) {
        cs[i] = (caller){ .b = b, .resource = resource, .index = i, .calls = CONC_CALLS };
        ck_assert_int_eq(pthread_create(&t[i], NULL, caller_main, &cs[i]), 0);
    }
    long all[CONC_THREADS * CONC_CALLS];
    for (int i = 0; i < CONC_THREADS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(cs[i].failures, 0);
        memcpy(all + i * CONC_CALLS, cs[i].pids, sizeof cs[i].pids[0] * CONC_CALLS);
    }
    int d = count_distinct(all, CONC_THREADS * CONC_CALLS);
    ck_assert_msg(d == CONC_THREADS, "%d processes for %d callers", d, CONC_THREADS);
    /* all of them still serve, until the table is destroyed */
    for (int i = 0; i < CONC_THREADS * CONC_CALLS; i++)
        ck_assert(process_alive((pid_t)all[i]));
}

/* A fresh, empty rendezvous directory scratch/name. */
static char *rendezvous_dir(const char *name)
{
    char *dir = path_in(name);
    char *cmd = aslrtp_strdupf("rm -rf '%s' && mkdir -p '%s'", dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    return dir;
}

START_TEST(test_concurrent)
{
    /* v % 100 == 0: a caller's first call */
    char *rdv = rendezvous_dir("conc-rdv");
    char *body = aslrtp_strdupf(
        "  v=${line##*'\"v\":'}; v=${v%%%%\\}*}\n"
        "  if [ $((v %% 100)) -eq 0 ]; then\n"
        "    : > '%s'/$((v))\n"
        "    while [ $(ls '%s' | wc -l) -lt %d ]; do sleep 0.02; done\n"
        "  fi\n"
        "  printf '{\"id\":%%s,\"result\":{\"pid\":%%d,\"v\":%%s}}\\n' \"$id\" $$ \"$v\"\n",
        rdv, rdv, CONC_THREADS);
    char *sh = sh_worker("conc.sh", body);
    char *conf = aslrtp_strdupf("{\"" ARN "conc\": {\"program\": \"%s\", \"worker\": true}}",
                                sh);
    aslrt_bindings *b = load("conc.json", conf);
    concurrent(ARN "conc", b);
    aslrt_bindings_destroy(b);
    free(conf);
    free(sh);
    free(body);
    free(rdv);

    if (!python)
        return;
    rdv = rendezvous_dir("pyconc-rdv");
    char *code = aslrtp_strdupf(
        "import os, time\n"
        "def handler(event, context):\n"
        "    if event['v'] %% 100 == 0:\n"
        "        open(os.path.join('%s', str(event['v'])), 'w').close()\n"
        "        while len(os.listdir('%s')) < %d:\n"
        "            time.sleep(0.02)\n"
        "    return {'pid': os.getpid(), 'v': event['v']}\n", rdv, rdv, CONC_THREADS);
    aslrt_bindings *pc, *wk;
    python_pair("pyconc", code, &pc, &wk);
    concurrent(ARN "pyconc", wk);
    aslrt_bindings_destroy(wk);
    aslrt_bindings_destroy(pc);
    free(code);
    free(rdv);
}
END_TEST

/* A worker that dies on its third call: that call fails as a crashed
 * program does, the next runs in a new process. */
START_TEST(test_crash_mid_run)
{
    char *sh = sh_worker("crash.sh",
        "  if [ $n -eq 3 ]; then echo \"dying on call $n\" >&2; exit 3; fi\n"
        "  printf '{\"id\":%s,\"result\":{\"pid\":%d}}\\n' \"$id\" $$\n");
    char *conf = aslrtp_strdupf("{\"" ARN "crash\": {\"program\": \"%s\", \"worker\": true}}",
                                sh);
    aslrt_bindings *b = load("crash.json", conf);
    long p1 = call_int(b, ARN "crash", "{}");
    ck_assert_int_eq(call_int(b, ARN "crash", "{}"), p1);
    result r = call(b, ARN "crash", "{}", 10);
    ck_assert(!r.ok);
    ck_assert_str_eq(r.err.error, "Lambda.Unknown");
    char *want = aslrtp_strdupf("Runtime exited with error: exit status 3 (program '%s' for "
                                "resource '" ARN "crash')\nstderr: dying on call 3", sh);
    ck_assert_str_eq(r.err.cause, want);
    free(want);
    result_clear(&r);
    ck_assert(process_dead((pid_t)p1));
    long p2 = call_int(b, ARN "crash", "{}");
    ck_assert_int_ne(p2, p1);
    ck_assert_int_eq(call_int(b, ARN "crash", "{}"), p2);
    aslrt_bindings_destroy(b);
    free(conf);
    free(sh);

    if (!python)
        return;
    /* the Python adapter: os._exit on the third call, a signal on the
     * sixth: the Error and Cause a per-call run gives, Lambda's */
    aslrt_bindings *pc, *wk;
    python_pair("pycrash", "import os, signal, sys\n"
                "calls = 0\n"
                "def handler(event, context):\n"
                "    global calls\n"
                "    calls += 1\n"
                "    if event.get('die') and calls == 3:\n"
                "        print('dying', file=sys.stderr, flush=True)\n"
                "        os._exit(5)\n"
                "    if event.get('kill') and calls == 3:\n"
                "        os.kill(os.getpid(), signal.SIGKILL)\n"
                "    return {'pid': os.getpid()}\n", &pc, &wk);
    p1 = call_int(wk, ARN "pycrash", "{\"die\": 1}");
    ck_assert_int_eq(call_int(wk, ARN "pycrash", "{\"die\": 1}"), p1);
    r = call(wk, ARN "pycrash", "{\"die\": 1}", 10);
    ck_assert(!r.ok);
    /* Lambda's own answer for a runtime that exited (doc/behaviour.md §35) */
    ck_assert_str_eq(r.err.error, "Runtime.ExitError");
    assert_contains(r.err.cause, " Error: Runtime exited with error: exit status 5\","
                                 "\"errorType\":\"Runtime.ExitError\"}");
    result_clear(&r);
    p2 = call_int(wk, ARN "pycrash", "{\"kill\": 1}");
    ck_assert_int_ne(p2, p1);
    call_int(wk, ARN "pycrash", "{\"kill\": 1}");
    r = call(wk, ARN "pycrash", "{\"kill\": 1}", 10);
    ck_assert(!r.ok);
    ck_assert_str_eq(r.err.error, "Runtime.ExitError");
    assert_contains(r.err.cause, " Error: Runtime exited with error: signal: killed\",");
    result_clear(&r);
    ck_assert_int_ne(call_int(wk, ARN "pycrash", "{}"), p2);
    aslrt_bindings_destroy(wk);
    aslrt_bindings_destroy(pc);
}
END_TEST

/* A call past its TimeoutSeconds: States.Timeout without a Cause, the
 * worker and its process group killed, the next call in a new process. */
START_TEST(test_timeout)
{
    char *pidfile = path_in("timeout-child.pid");
    char *body = aslrtp_strdupf(
        "  case \"$line\" in *'\"sleep\"'*)\n"
        "    sleep 600 & echo $! > '%s'\n"
        "    sleep 600;;\n"
        "  esac\n"
        "  printf '{\"id\":%%s,\"result\":{\"pid\":%%d}}\\n' \"$id\" $$\n", pidfile);
    char *sh = sh_worker("timeout.sh", body);
    char *conf = aslrtp_strdupf("{\"" ARN "slow\": {\"program\": \"%s\", \"worker\": true}}",
                                sh);
    aslrt_bindings *b = load("timeout.json", conf);
    long p1 = call_int(b, ARN "slow", "{}");
    /* that it did not wait for the handler's sleep, longer than the test
     * case's timeout, shows by its return */
    result r = call(b, ARN "slow", "{\"sleep\": 1}", 0.5);
    ck_assert(!r.ok);
    ck_assert_str_eq(r.err.error, "States.Timeout");
    ck_assert_ptr_null(r.err.cause);
    result_clear(&r);
    ck_assert(process_dead((pid_t)p1));
    FILE *f = fopen(pidfile, "r");
    ck_assert_ptr_nonnull(f);
    int child = 0;
    ck_assert_int_eq(fscanf(f, "%d", &child), 1);
    fclose(f);
    ck_assert_msg(process_dead((pid_t)child), "the worker's background child %d lives", child);
    long p2 = call_int(b, ARN "slow", "{}");
    ck_assert_int_ne(p2, p1);
    aslrt_bindings_destroy(b);
    free(conf);
    free(sh);
    free(body);
    free(pidfile);

    if (!python)
        return;
    aslrt_bindings *pc, *wk;
    python_pair("pyslow", "import os, time\n"
                "def handler(event, context):\n"
                "    if event.get('sleep'):\n        time.sleep(600)\n"
                "    return {'pid': os.getpid(),\n"
                "            'left': context.get_remaining_time_in_millis()}\n", &pc, &wk);
    p1 = call_int(wk, ARN "pyslow", "{}");
    r = call(wk, ARN "pyslow", "{\"sleep\": 1}", 0.5);
    result a = call(pc, ARN "pyslow", "{\"sleep\": 1}", 0.5);
    assert_same("pyslow", &a, &r);
    result_clear(&a);
    result_clear(&r);
    ck_assert(process_dead((pid_t)p1));
    /* the context's deadline is the call's TimeoutSeconds: what is left is
     * never more (how much is left depends on how fast the call ran, which
     * is bench/'s to measure) */
    r = call(wk, ARN "pyslow", "{}", 7);
    ck_assert(r.ok);
    json_t *left = json_object_get(r.out, "left");
    ck_assert_msg(json_is_integer(left) && json_integer_value(left) <= 7000, "%lld ms left",
                  (long long)json_integer_value(left));
    ck_assert_int_ne(json_integer_value(json_object_get(r.out, "pid")), p1);
    result_clear(&r);
    aslrt_bindings_destroy(wk);
    aslrt_bindings_destroy(pc);
}
END_TEST

static void *set_after(void *flag)
{
    struct timespec ts = { 0, 300000000 };
    nanosleep(&ts, NULL);
    __atomic_store_n((int *)flag, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* A cancelled call (a sibling failed) stops its worker. */
START_TEST(test_cancel)
{
    char *sh = sh_worker("cancel.sh",
        "  case \"$line\" in *'\"sleep\"'*) sleep 600;; esac\n"
        "  printf '{\"id\":%s,\"result\":{\"pid\":%d}}\\n' \"$id\" $$\n");
    char *conf = aslrtp_strdupf("{\"" ARN "c\": {\"program\": \"%s\", \"worker\": true}}", sh);
    aslrt_bindings *b = load("cancel.json", conf);
    long p1 = call_int(b, ARN "c", "{}");
    int flag = 0;
    pthread_t t;
    pthread_create(&t, NULL, set_after, &flag);
    result r = call_full(b, ARN "c", "{\"sleep\": 1}", 0, 0, &flag);
    pthread_join(t, NULL);
    ck_assert(!r.ok);
    ck_assert_str_eq(r.err.error, "aslc.Cancelled");
    result_clear(&r);
    ck_assert(process_dead((pid_t)p1));
    ck_assert_int_ne(call_int(b, ARN "c", "{}"), p1);
    aslrt_bindings_destroy(b);
    free(conf);
    free(sh);
}
END_TEST

/* Destroying the table ends every worker and its process group: at once
 * for those that exit at EOF, after the grace period for one that does
 * not. */
START_TEST(test_destroy_leaves_nothing)
{
    /* the three callers meet inside their handlers (see concurrent) */
    char *rdv = rendezvous_dir("destroy-rdv");
    char *body = aslrtp_strdupf(
        "  if [ $n -eq 1 ]; then sleep 300 & echo $! > \"%s/destroy-child.$$\"; fi\n"
        "  : > '%s'/$$\n"
        "  while [ $(ls '%s' | wc -l) -lt 3 ]; do sleep 0.02; done\n"
        "  printf '{\"id\":%%s,\"result\":{\"pid\":%%d}}\\n' \"$id\" $$\n", scratch, rdv, rdv);
    char *sh = sh_worker("destroy.sh", body);
    /* this one ignores EOF and TERM: only SIGKILL ends it */
    char *stubborn = write_file("stubborn.sh",
        "#!/bin/sh\ntrap '' TERM HUP\n"
        "IFS= read -r line; id=${line#'{\"id\":'}; id=${id%%,*}\n"
        "printf '{\"id\":%s,\"result\":{\"pid\":%d}}\\n' \"$id\" $$\n"
        "while :; do sleep 1; done\n", 0755);
    char *conf = aslrtp_strdupf("{\"" ARN "d\": {\"program\": \"%s\", \"worker\": true},\n"
                                " \"" ARN "s\": {\"program\": \"%s\", \"worker\": true}}",
                                sh, stubborn);
    aslrt_bindings *b = load("destroy.json", conf);
    enum { THREADS = 3 };
    caller cs[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        cs[i] = (caller){ .b = b, .resource = ARN "d", .index = i, .calls = 1 };
        pthread_create(&t[i], NULL, caller_main, &cs[i]);
    }
    long pids[THREADS + 1];
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        pids[i] = cs[i].pids[0];
    }
    pids[THREADS] = call_int(b, ARN "s", "{}");
    int n = count_distinct(pids, THREADS);
    ck_assert_msg(n == THREADS, "%d processes for %d concurrent callers", n, THREADS);
    for (int i = 0; i <= THREADS; i++)
        ck_assert(process_alive((pid_t)pids[i]));

    aslrt_bindings_destroy(b);
    for (int i = 0; i <= THREADS; i++)
        ck_assert_msg(process_dead((pid_t)pids[i]), "worker %ld lives", pids[i]);
    for (int i = 0; i < THREADS; i++) {
        char *name = aslrtp_strdupf("%s/destroy-child.%ld", scratch, pids[i]);
        FILE *f = fopen(name, "r");
        if (f) {
            int child = 0;
            ck_assert_int_eq(fscanf(f, "%d", &child), 1);
            fclose(f);
            ck_assert_msg(process_dead((pid_t)child), "background child %d lives", child);
        }
        free(name);
    }
    free(conf);
    free(stubborn);
    free(sh);
    free(body);
    free(rdv);
}
END_TEST

/* ==== The protocol ======================================================= */

/* Lines that are not the response fail the call and replace the worker. */
START_TEST(test_protocol_errors)
{
    static const struct {
        const char *printed, *why;
    } cases[] = {
        { "'not json at all'", "not a JSON object" },
        { "'{\"id\":%d,\"result\":1}' $((id + 1))", "\"id\" " },
        { "'{\"result\":1}'", "no \"id\"" },
        { "'{\"id\":%s}' \"$id\"", "no \"result\", \"error\" or \"output_base64\"" },
        { "'{\"id\":%s,\"result\":1,\"error\":{}}' \"$id\"", "more than one of" },
        { "'{\"id\":%s,\"error\":\"text\"}' \"$id\"", "not a Lambda error object" },
        { "'{\"id\":%s,\"output_base64\":\"@@\"}' \"$id\"", "not a base64 string" },
        { "'{\"id\":%s,\"result\":1} trailing' \"$id\"", "text after the object" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = aslrtp_strdupf(
            "  if [ $n -eq 2 ]; then printf %s; echo; continue; fi\n"
            "  printf '{\"id\":%%s,\"result\":{\"pid\":%%d}}\\n' \"$id\" $$\n",
            cases[i].printed);
        char *name = aslrtp_strdupf("proto%zu.sh", i);
        char *sh = sh_worker(name, body);
        char *conf = aslrtp_strdupf("{\"" ARN "x\": {\"program\": \"%s\", \"worker\": true}}",
                                    sh);
        aslrt_bindings *b = load("proto.json", conf);
        long p1 = call_int(b, ARN "x", "{}");
        result r = call(b, ARN "x", "{}", 10);
        ck_assert_msg(!r.ok, "case %zu succeeded", i);
        ck_assert_str_eq(r.err.error, "Lambda.Unknown");
        assert_contains(r.err.cause, "the persistent worker (program '");
        assert_contains(r.err.cause, "answered request 2 with a line that is not its response");
        assert_contains(r.err.cause, cases[i].why);
        result_clear(&r);
        ck_assert(process_dead((pid_t)p1));
        ck_assert_int_ne(call_int(b, ARN "x", "{}"), p1);
        aslrt_bindings_destroy(b);
        free(conf);
        free(sh);
        free(name);
        free(body);
    }
}
END_TEST

/* What a worker gets: the id first, the context, the event; what it may
 * answer: members in any order, others ignored, base64 output. */
START_TEST(test_protocol_lines)
{
    char *log = path_in("requests.log");
    char *body = aslrtp_strdupf(
        "  printf '%%s\\n' \"$line\" >> '%s'\n"
        "  case $n in\n"
        "  1) printf '{\"note\":[1,{\"x\":\"}\"}], \"result\" : {\"a\":\"b\"} , \"id\":%%s}\\n' \"$id\";;\n"
        "  2) printf '{\"id\":%%s,\"output_base64\":\"eyJiIjogMn0K\"}\\n' \"$id\";;\n"
        "  *) printf '{\"id\":%%s,\"result\":null}\\n' \"$id\";;\n"
        "  esac\n", log);
    char *sh = sh_worker("lines.sh", body);
    char *conf = aslrtp_strdupf("{\"" ARN "l*\": {\"program\": \"%s\", \"worker\": true}}", sh);
    aslrt_bindings *b = load("lines.json", conf);
    result r = call(b, ARN "lines", "{\"k\": \"v\\nw\"}", 2.5);
    ck_assert_msg(r.ok, "%s: %s", r.err.error, r.err.cause);
    char *got = aslrt_json_dumps(r.out);
    ck_assert_str_eq(got, "{\"a\":\"b\"}");
    free(got);
    result_clear(&r);
    r = call(b, ARN "lines", "[]", 0);
    ck_assert_msg(r.ok, "%s: %s", r.err.error, r.err.cause);
    got = aslrt_json_dumps(r.out);
    ck_assert_str_eq(got, "{\"b\":2}");
    free(got);
    result_clear(&r);
    r = call(b, ARN "lines", "1", 0);
    ck_assert(r.ok && json_is_null(r.out));
    result_clear(&r);
    aslrt_bindings_destroy(b);

    FILE *f = fopen(log, "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "{\"id\":1,\"context\":{\"resource\":\"" ARN "lines\","
                           "\"timeout\":2.500},\"event\":{\"k\":\"v\\nw\"}}\n");
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "{\"id\":2,\"context\":{\"resource\":\"" ARN "lines\"},"
                           "\"event\":[]}\n");
    fclose(f);
    free(conf);
    free(sh);
    free(body);
    free(log);
}
END_TEST

/* The call's stderr is its log (lambda:invoke's LogResult) and passes
 * through. */
START_TEST(test_log_tail)
{
    char *sh = sh_worker("log.sh",
        "  echo \"log of call $n\" >&2\n"
        "  printf '{\"id\":%s,\"result\":%d}\\n' \"$id\" $n\n");
    char *conf = aslrtp_strdupf("{\"" ARN "log\": {\"program\": \"%s\", \"worker\": true}}", sh);
    aslrt_bindings *b = load("log.json", conf);
    for (int k = 1; k <= 3; k++) {
        json_t *in = json_object(), *out = NULL;
        aslrt_error err = { 0 };
        char *tail = NULL;
        size_t len = 0;
        ck_assert(aslrtp_task_invoke_lambda(b, ARN "log", in, 5, NULL, 1, &len, &tail, NULL,
                                            &out, &err));
        char *want = aslrtp_strdupf("log of call %d\n", k);
        ck_assert_str_eq(tail, want);
        ck_assert_int_eq(json_integer_value(out), k);
        ck_assert_uint_eq(len, 1);
        free(want);
        free(tail);
        json_decref(out);
        json_decref(in);
    }
    aslrt_bindings_destroy(b);
    free(conf);
    free(sh);
}
END_TEST

/* The bindings file: "worker" is a boolean of python and program
 * bindings; false is the per-call handler. */
START_TEST(test_bindings_file)
{
    char *sh = sh_worker("file.sh", "  printf '{\"id\":%s,\"result\":%d}\\n' \"$id\" $$\n");
    char *text = aslrtp_strdupf("{\"x\": {\"program\": \"%s\", \"worker\": \"yes\"}}", sh);
    char *path = write_file("bad-worker.json", text, 0644);
    aslrt_bindings *b = aslrt_bindings_create();
    aslrt_error err = { 0 };
    ck_assert(!aslrt_bindings_load_file(b, path, &err));
    ck_assert_str_eq(err.error, "aslc.BindingsError");
    char *want = aslrtp_strdupf("%s: /x/worker: expected true or false", path);
    ck_assert_str_eq(err.cause, want);
    free(want);
    aslrt_error_clear(&err);
    free(path);
    free(text);

    /* a typo beside "worker" is still reported */
    text = aslrtp_strdupf("{\"x\": {\"program\": \"%s\", \"worker\": true, \"cdw\": \".\"}}", sh);
    path = write_file("bad-member.json", text, 0644);
    ck_assert(!aslrt_bindings_load_file(b, path, &err));
    assert_contains(err.cause, "/x/cdw: unknown member \"cdw\" of a program binding");
    aslrt_error_clear(&err);
    free(path);
    free(text);
    aslrt_bindings_destroy(b);

    /* false: one process per call */
    char *pc = write_file("percall-pid.sh", "#!/bin/sh\ncat >/dev/null\necho $$\n", 0755);
    text = aslrtp_strdupf("{\"" ARN "f\": {\"program\": \"%s\", \"worker\": false}}", pc);
    b = load("false.json", text);
    ck_assert_int_ne(call_int(b, ARN "f", "{}"), call_int(b, ARN "f", "{}"));
    aslrt_bindings_destroy(b);
    free(text);

    /* a program that cannot start: as per call */
    b = load("missing.json", "{\"" ARN "m\": {\"program\": \"aslc-no-such-program\", "
                             "\"worker\": true}}");
    result r = call(b, ARN "m", "{}", 5);
    ck_assert(!r.ok);
    ck_assert_str_eq(r.err.error, "aslc.HandlerFailed");
    ck_assert_str_eq(r.err.cause, "cannot run program 'aslc-no-such-program' for resource '"
                                  ARN "m': No such file or directory");
    result_clear(&r);
    aslrt_bindings_destroy(b);
    free(pc);
    free(sh);
}
END_TEST

/* ==== Node.js handlers =================================================== */

/* A Node.js module scratch/node/NAME/FILE and two tables binding ARN NAME
 * to its function HANDLER: per call (*percall) and as a worker (*worker). */
static void node_pair(const char *name, const char *file, const char *handler,
                      const char *code, aslrt_bindings **percall, aslrt_bindings **worker)
{
    char *rel = aslrtp_strdupf("node/%s/%s", name, file);
    free(write_file(rel, code, 0644));
    for (int w = 0; w < 2; w++) {
        char *conf = aslrtp_strdupf("{\"" ARN "%s\": {\"node\": \"%s\", "
                                    "\"handler\": \"%s\"%s}}",
                                    name, rel, handler, w ? ", \"worker\": true" : "");
        char *conf_name = aslrtp_strdupf("%s-node-%s.json", name, w ? "worker" : "percall");
        *(w ? worker : percall) = load(conf_name, conf);
        free(conf_name);
        free(conf);
    }
    free(rel);
}

/* Node.js handlers as Lambda's Node.js runtime runs them (doc/behaviour.md
 * §39): the result or the Error and Cause per call, and the same from a
 * worker, twice (a warm process, or a new one after a crash), and through
 * lambda:invoke's compact re-serialization. */
START_TEST(test_node_handlers)
{
    static const struct {
        const char *name, *file, *handler, *code, *input;
        const char *result;     /* the output, or NULL for an error */
        const char *error;      /* its Error */
        const char *cause;      /* its Cause, exactly; NULL: not checked */
    } cases[] = {
        { "cjs_async", "index.js", "handler",
          "exports.handler = async (event) => ({ sum: event.a + event.b });\n",
          "{\"a\": 1, \"b\": 2}", "{\"sum\": 3}", NULL, NULL },
        { "cjs_callback", "index.js", "handler",
          "exports.handler = (event, context, callback) => {\n"
          "  setTimeout(() => callback(null, { got: event }), 5);\n};\n",
          "[1, \"\\u00e9\"]", "{\"got\": [1, \"\\u00e9\"]}", NULL, NULL },
        /* a callback's answer waits for the event loop to be empty */
        { "callback_waits", "index.js", "handler",
          "let n = 0;\nexports.handler = (event, context, callback) => {\n"
          "  const r = { n: 0 };\n  callback(null, r);\n"
          "  setTimeout(() => { r.n = 1; }, 20);\n};\n",
          "{}", "{\"n\": 1}", NULL, NULL },
        { "callback_no_wait", "index.js", "handler",
          "exports.handler = (event, context, callback) => {\n"
          "  context.callbackWaitsForEmptyEventLoop = false;\n"
          "  const r = { n: 0 };\n  callback(null, r);\n"
          "  setTimeout(() => { r.n = 1; }, 20);\n};\n",
          "{}", "{\"n\": 0}", NULL, NULL },
        /* a plain function's return value is not the answer: null, once
         * nothing is left to run */
        { "sync_return", "index.js", "handler",
          "exports.handler = (event) => 42;\n", "{}", "null", NULL, NULL },
        { "esm_mjs", "index.mjs", "handler",
          "export const handler = async (event, context) => ({ esm: true, event });\n",
          "7", "{\"esm\": true, \"event\": 7}", NULL, NULL },
        { "esm_nested", "app.mjs", "lib.run",
          "export const lib = { run: async () => 'nested' };\n",
          "{}", "\"nested\"", NULL, NULL },
        { "thrown", "index.js", "handler",
          "exports.handler = async () => {\n"
          "  throw new Error('Some exception was raised.');\n};\n", "{}", NULL, "Error",
          "{\"errorType\":\"Error\",\"errorMessage\":\"Some exception was raised.\","
          "\"trace\":[\"Error: Some exception was raised.\","
          "\"    at exports.handler (/var/task/index.js:2:9)\"]}" },
        { "thrown_sync", "index.js", "handler",
          "exports.handler = function handler() {\n"
          "  throw new RangeError('d\\u00e9j\\u00e0 \"quoted\"');\n};\n", "{}", NULL,
          "RangeError",
          "{\"errorType\":\"RangeError\",\"errorMessage\":\"d\xc3\xa9j\xc3\xa0 \\\"quoted\\\"\","
          "\"trace\":[\"RangeError: d\xc3\xa9j\xc3\xa0 \\\"quoted\\\"\","
          "\"    at handler (/var/task/index.js:2:9)\"]}" },
        { "custom_error", "index.js", "handler",
          "class OrderError extends Error {\n"
          "  constructor(m) { super(m); this.name = 'OrderError'; }\n}\n"
          "exports.handler = async () => { throw new OrderError('no stock'); };\n",
          "{}", NULL, "OrderError", NULL },
        { "callback_error", "index.js", "handler",
          "exports.handler = (e, c, cb) => cb(new TypeError('bad input'));\n",
          "{}", NULL, "TypeError", NULL },
        { "callback_string", "index.js", "handler",
          "exports.handler = (e, c, cb) => cb('plain failure');\n", "{}", NULL, "string",
          "{\"errorType\":\"string\",\"errorMessage\":\"plain failure\",\"trace\":[]}" },
        { "not_found", "index.js", "handler", "exports.other = async () => 1;\n", "{}", NULL,
          "Runtime.HandlerNotFound",
          "{\"errorType\":\"Runtime.HandlerNotFound\","
          "\"errorMessage\":\"index.handler is undefined or not exported\","
          "\"trace\":[\"Runtime.HandlerNotFound: index.handler is undefined or not exported\"]}" },
        { "import_error", "index.js", "handler",
          "require('aslc-no-such-module');\nexports.handler = async () => 1;\n", "{}", NULL,
          "Runtime.ImportModuleError", NULL },
        { "syntax_error", "index.js", "handler", "exports.handler = async () => {\n", "{}",
          NULL, "Runtime.UserCodeSyntaxError", NULL },
        { "init_error", "index.js", "handler",
          "throw new SyntaxError('a config error');\n", "{}", NULL,
          "Runtime.UserCodeSyntaxError", NULL },
        { "init_throw", "index.js", "handler", "throw new Error('bad config');\n", "{}", NULL,
          "Error", NULL },
        { "exit", "index.js", "handler",
          "exports.handler = async () => { process.exit(3); };\n", "{}", NULL,
          "Runtime.ExitError", NULL },
        { "uncaught", "index.js", "handler",
          "exports.handler = (e, c, cb) => {\n"
          "  setTimeout(() => { throw new EvalError('later'); }, 1);\n};\n", "{}", NULL,
          "EvalError", NULL },
        { "rejection", "index.js", "handler",
          "exports.handler = (e, c, cb) => { Promise.reject(new Error('lost')); };\n",
          "{}", NULL, "Runtime.UnhandledPromiseRejection", NULL },
        /* console and process.stdout go to the log, not into the result */
        { "console", "index.js", "handler",
          "exports.handler = async (event) => {\n"
          "  console.log('noise', { a: 1 });\n  console.error('more\\nlines');\n"
          "  process.stdout.write('{\"not\": \"the result\"}\\n');\n  return { ok: true };\n};\n",
          "{}", "{\"ok\": true}", NULL, NULL },
        /* stdin is no way into the protocol's stream: empty in both modes */
        { "stdin", "index.js", "handler",
          "exports.handler = async () => new Promise((resolve) => {\n"
          "  let d = '';\n  process.stdin.on('data', (c) => { d += c; });\n"
          "  process.stdin.on('end', () => resolve(d));\n});\n", "{\"x\": 1}", "\"\"",
          NULL, NULL },
        { "context", "index.js", "handler",
          "exports.handler = async (event, context) => [context.functionName,\n"
          "  context.functionVersion, context.invokedFunctionArn, context.memoryLimitInMB,\n"
          "  context.logGroupName, context.awsRequestId.length,\n"
          "  context.getRemainingTimeInMillis() > 0 &&\n"
          "    context.getRemainingTimeInMillis() <= 10000,\n"
          "  context.callbackWaitsForEmptyEventLoop, typeof context.logStreamName,\n"
          "  require('fs').existsSync('index.js'),\n"
          "  process.env.LAMBDA_TASK_ROOT === process.cwd()];\n", "{}",
          "[\"context\", \"$LATEST\", \"" ARN "context\", \"128\", \"/aws/lambda/context\", 36,"
          " true, true, \"string\", true, true]", NULL, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        aslrt_bindings *pc, *wk;
        node_pair(cases[i].name, cases[i].file, cases[i].handler, cases[i].code, &pc, &wk);
        char *arn = aslrtp_strdupf(ARN "%s", cases[i].name);
        result a = call(pc, arn, cases[i].input, 10);
        if (cases[i].result) {
            ck_assert_msg(a.ok, "%s: %s: %s", cases[i].name, a.err.error, a.err.cause);
            json_t *want = parse(cases[i].result);
            char *got = aslrt_json_dumps(a.out);
            ck_assert_msg(json_equal(a.out, want), "%s: %s", cases[i].name, got);
            free(got);
            json_decref(want);
        } else {
            ck_assert_msg(!a.ok, "%s succeeded", cases[i].name);
            ck_assert_msg(strcmp(a.err.error, cases[i].error) == 0, "%s: Error %s: %s",
                          cases[i].name, a.err.error, a.err.cause);
            if (cases[i].cause)
                ck_assert_str_eq(a.err.cause, cases[i].cause);
        }
        worker_agrees(pc, wk, arn, cases[i].input, cases[i].name, &a);
        result_clear(&a);
        free(arn);
        aslrt_bindings_destroy(pc);
        aslrt_bindings_destroy(wk);
    }
}
END_TEST

/* An initialisation that fails once: the next invocation tries again and
 * succeeds, in both modes. */
START_TEST(test_node_init_retried)
{
    char *marker = path_in("node-flaky-marker");
    for (int w = 0; w < 2; w++) {
        unlink(marker);
        char *code = aslrtp_strdupf("const fs = require('fs');\n"
                                    "if (!fs.existsSync('%s')) {\n"
                                    "  fs.writeFileSync('%s', '');\n"
                                    "  throw new RangeError('first load fails');\n}\n"
                                    "exports.handler = async () => 'ok';\n", marker, marker);
        char *file = aslrtp_strdupf("node/flaky%d/index.js", w);
        free(write_file(file, code, 0644));
        char *conf = aslrtp_strdupf("{\"" ARN "nflaky\": {\"node\": \"%s\", \"worker\": %s}}",
                                    file, w ? "true" : "false");
        result r = init_fails_once(w ? "nflaky-w.json" : "nflaky-p.json", conf, ARN "nflaky", w,
                                   "RangeError", "\"errorMessage\":\"first load fails\"");
        ck_assert_str_eq(json_string_value(r.out), "ok");
        result_clear(&r);
        free(conf);
        free(file);
        free(code);
    }
    free(marker);
}
END_TEST

/* A .js file is an ES module under a package.json whose "type" is
 * "module", as Node.js (and Lambda) read it. */
START_TEST(test_node_esm_package_type)
{
    free(write_file("node/esm_pkg/package.json", "{\"type\": \"module\"}\n", 0644));
    aslrt_bindings *pc, *wk;
    node_pair("esm_pkg", "index.js", "handler",
              "import { basename } from 'node:path';\n"
              "export const handler = async () => basename(import.meta.url);\n", &pc, &wk);
    for (int w = 0; w < 2; w++) {
        result r = call(w ? wk : pc, ARN "esm_pkg", "{}", 10);
        ck_assert_msg(r.ok, "mode %d: %s: %s", w, r.err.error, r.err.cause);
        ck_assert_str_eq(json_string_value(r.out), "index.js");
        result_clear(&r);
    }
    aslrt_bindings_destroy(pc);
    aslrt_bindings_destroy(wk);
}
END_TEST

/* The Init phase (starting node, loading the module) is outside the
 * call's time limit in both modes (doc/behaviour.md §37), and a worker
 * keeps its module loaded: state survives from one call to the next. */
START_TEST(test_node_init_and_warm)
{
    aslrt_bindings *pc, *wk;
    node_pair("nodeinit", "index.js", "handler",
              "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 6000);\n"
              "let calls = 0;\n"
              "exports.handler = async (event, context) => {\n"
              "  return { left: context.getRemainingTimeInMillis(), calls: ++calls };\n"
              "};\n", &pc, &wk);
    for (int w = 0; w < 2; w++) {
        for (int k = 1; k <= 2; k++) {
            result r = call(w ? wk : pc, ARN "nodeinit", "{}", 5);
            assert_init_outside_limit(&r, w, 5000);
            ck_assert_int_eq(json_integer_value(json_object_get(r.out, "calls")), w ? k : 1);
            result_clear(&r);
        }
    }
    aslrt_bindings_destroy(wk);
    aslrt_bindings_destroy(pc);
}
END_TEST

/* ==== Driver ============================================================= */

static Suite *worker_suite(void)
{
    Suite *s = suite_create("worker");

    TCase *tc = tcase_create("processes");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_reuse);
    tcase_add_test(tc, test_concurrent);
    tcase_add_test(tc, test_crash_mid_run);
    tcase_add_test(tc, test_timeout);
    tcase_add_test(tc, test_cancel);
    tcase_add_test(tc, test_destroy_leaves_nothing);
    suite_add_tcase(s, tc);

    tc = tcase_create("protocol");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_program_same_as_per_call);
    tcase_add_test(tc, test_protocol_errors);
    tcase_add_test(tc, test_protocol_lines);
    tcase_add_test(tc, test_log_tail);
    tcase_add_test(tc, test_bindings_file);
    suite_add_tcase(s, tc);

    if (python) {
        tc = tcase_create("python");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_python_same_as_per_call);
        tcase_add_test(tc, test_python_init_retried);
        tcase_add_test(tc, test_python_init_outside_timeout);
        tcase_add_test(tc, test_pool_per_resource);
        suite_add_tcase(s, tc);
    } else {
        fputs("check_worker: python3 not found, skipping the Python adapter tests\n", stderr);
    }
    if (node) {
        tc = tcase_create("node");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_node_handlers);
        tcase_add_test(tc, test_node_esm_package_type);
        tcase_add_test(tc, test_node_init_retried);
        tcase_add_test(tc, test_node_init_and_warm);
        suite_add_tcase(s, tc);
    } else {
        fputs("check_worker: node not found, skipping the Node.js adapter tests\n", stderr);
    }
    return s;
}

int main(void)
{
    /* handlers that crash on purpose leave no core files */
    struct rlimit no_core = { 0, 0 };
    setrlimit(RLIMIT_CORE, &no_core);
    python = python_setup();
    node = node_setup();

    if (scratch_create("check_worker") != 0)
        return 1;

    int failed = run_suite(worker_suite(), CK_ENV);

    scratch_remove();
    return failed ? 1 : 0;
}

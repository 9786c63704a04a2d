/*
 * check_hooks.c - the hooks of aslrt_config that a server drives executions
 * with: the live history sink (history_event), the reason of a stop
 * (abort_reason) and activity tasks (the activity hook and
 * aslrt_activity_started).  Definitions are compiled in memory (TinyCC)
 * and run with aslrt_execute; the events the sink receives are compared
 * with the history document, and the activity histories with the
 * sequences recorded on AWS (doc/behaviour.md §31).
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aslrt.h"
#include "ast.h"
#include "backend.h"
#include "ir.h"
#include "unit.h"
#include "testutil.h"

#ifdef HAVE_LIBTCC

/* ==== Running a definition ============================================== */

typedef struct run {
    json_t *doc;              /* the history document, when asked for */
    json_t *sunk;             /* the events the sink received (copies) */
    size_t max_live;          /* the most events held at any delivery */
    int status;
    json_t *output;
    aslrt_error err;
} run;

/* What a run is configured with, beyond the definition and input. */
typedef struct opts {
    bool doc;                 /* ask for the history document */
    bool sink;                /* set the live sink */
    int threads;
    int wait_mode;
    const aslrt_error *abort_reason;
    volatile int *abort_flag;
    const char *abort_on;     /* set *abort_flag when the sink sees this event type */
    int (*activity)(void *, const char *, const char *, const char *, aslrt_error *);
    void *activity_ud;
    aslrt_handler_fn bound;   /* a binding for every resource (NULL: none) */
} opts;

static run *current;
static const opts *current_opts;

static void keep_doc(void *ud, const json_t *doc)
{
    run *r = ud;
    json_decref(r->doc);
    r->doc = json_deep_copy(doc);
}

static void sink(void *ud, const json_t *event)
{
    run *r = ud;
    size_t live = aslrtp_hist_live();
    if (live > r->max_live)
        r->max_live = live;
    json_array_append_new(r->sunk, json_deep_copy(event));
    const char *type = json_string_value(json_object_get(event, "type"));
    if (current_opts->abort_on && type && strcmp(type, current_opts->abort_on) == 0)
        *current_opts->abort_flag = 1;
}

/* A handler that fails with "Boom" until it has been called `*ud` times,
 * then echoes its input. */
static int flaky(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    int *left = ud;
    if (__atomic_fetch_sub(left, 1, __ATOMIC_RELAXED) > 0) {
        aslrt_error_set(err, "Boom", "it broke");
        return 0;
    }
    *output = json_incref(input);
    return 1;
}

static int echo(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    (void)ud;
    (void)err;
    *output = json_incref(input);
    return 1;
}

static int bound_calls;

static int bound_handler(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    (void)ud;
    (void)err;
    __atomic_fetch_add(&bound_calls, 1, __ATOMIC_RELAXED);
    *output = json_pack("{s:s,s:O}", "by", "binding", "in", input);
    return 1;
}

static void execute(run *r, const char *def, const char *input, const opts *o)
{
    memset(r, 0, sizeof *r);
    r->sunk = json_array();
    current = r;
    current_opts = o;
    aslrt_error e = {NULL, NULL};
    jit_def d;
    jit_def_compile(&d, def, &e);
    aslrt_bindings *b = aslrt_bindings_create();
    int left = 2;
    aslrt_bindings_add_c(b, "arn:aws:lambda:us-east-1:123456789012:function:flaky", flaky, &left);
    if (o->bound)
        aslrt_bindings_add_c(b, "*", o->bound, NULL);
    aslrt_bindings_add_c(b, "arn:aws:lambda:*", echo, NULL);
    aslrt_config c;
    aslrt_config_init(&c);
    c.bindings = b;
    c.wait_mode = o->wait_mode;
    c.threads = o->threads;
    c.execution_name = "h";
    c.abort_flag = o->abort_flag;
    c.abort_reason = o->abort_reason;
    c.activity = o->activity;
    c.activity_ud = o->activity_ud;
    if (o->doc) {
        c.history = keep_doc;
        c.history_ud = r;
    }
    if (o->sink) {
        c.history_event = sink;
        c.history_event_ud = r;
    }
    json_error_t je;
    json_t *in = json_loads(input, JSON_DECODE_ANY, &je);
    ck_assert_ptr_nonnull(in);
    r->status = aslrt_execute(d.p, &c, in, &r->output, &r->err);
    json_decref(in);
    aslrt_bindings_destroy(b);
    jit_def_free(&d);
}

static void run_clear(run *r)
{
    json_decref(r->doc);
    json_decref(r->sunk);
    json_decref(r->output);
    aslrt_error_clear(&r->err);
}

/* The events' types, space-separated. */
static void check_types(json_t *events, const char *want)
{
    char got[8192] = "";
    json_t *e;
    size_t i;
    json_array_foreach(events, i, e)
    {
        if (i)
            strcat(got, " ");
        strncat(got, json_string_value(json_object_get(e, "type")), sizeof got - strlen(got) - 40);
    }
    ck_assert_str_eq(got, want);
}

/* Event i's ids: id i + 1, previousEventId prev. */
static void check_ids(json_t *events, size_t i, long prev)
{
    json_t *e = json_array_get(events, i);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(json_integer_value(json_object_get(e, "id")), (json_int_t)i + 1);
    ck_assert_int_eq(json_integer_value(json_object_get(e, "previousEventId")), prev);
}

static json_t *details(json_t *events, size_t i, const char *member)
{
    json_t *d = json_object_get(json_array_get(events, i), member);
    ck_assert_msg(json_is_object(d), "event %zu has no %s", i + 1, member);
    return d;
}

static const char *detail(json_t *events, size_t i, const char *member, const char *key)
{
    return json_string_value(json_object_get(details(events, i, member), key));
}

/* An event without its timestamp. */
static json_t *untimed(json_t *e)
{
    json_t *c = json_deep_copy(e);
    json_object_del(c, "timestamp");
    return c;
}

/* ==== The live sink ===================================================== */

/* Retries at the top, a Map whose iterations run on two threads, a
 * Parallel in each iteration and one of its branches failing into a
 * catcher: the fan-outs' events are spliced, renumbered, into the
 * top-level list. */
static const char *const FANOUT_DEF =
    "{\"StartAt\":\"T\",\"States\":{"
    "\"T\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:flaky\","
    "\"Retry\":[{\"ErrorEquals\":[\"Boom\"],\"MaxAttempts\":3,\"IntervalSeconds\":1}],"
    "\"Next\":\"M\"},"
    "\"M\":{\"Type\":\"Map\",\"ItemsPath\":\"$.items\",\"ItemProcessor\":{\"StartAt\":\"P\","
    "\"States\":{\"P\":{\"Type\":\"Parallel\",\"Branches\":["
    "{\"StartAt\":\"B1\",\"States\":{\"B1\":{\"Type\":\"Task\","
    "\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:echo\",\"End\":true}}},"
    "{\"StartAt\":\"B2\",\"States\":{\"B2\":{\"Type\":\"Pass\",\"Result\":2,\"End\":true}}}],"
    "\"Next\":\"F\"},"
    "\"F\":{\"Type\":\"Fail\",\"Error\":\"Nope\"}}},"
    "\"Catch\":[{\"ErrorEquals\":[\"Nope\"],\"Next\":\"Done\"}],\"End\":true},"
    "\"Done\":{\"Type\":\"Pass\",\"End\":true}}}";

/* The sink receives exactly the document's events, in the same order and
 * with the same ids and details; only the timestamp differs: integer
 * milliseconds, the instant the document's text names. */
START_TEST(sink_sees_the_document)
{
    run r;
    opts o = {.doc = true, .sink = true, .threads = 2, .wait_mode = ASLRT_WAIT_SKIP};
    execute(&r, FANOUT_DEF, "{\"items\":[1,2,3,4,5]}", &o);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    json_t *doc = json_object_get(r.doc, "events");
    ck_assert_uint_ge(json_array_size(doc), 30);
    ck_assert_int_eq(json_array_size(r.sunk), json_array_size(doc));
    for (size_t i = 0; i < json_array_size(doc); i++) {
        json_t *a = json_array_get(doc, i), *b = json_array_get(r.sunk, i);
        ck_assert_int_eq(json_integer_value(json_object_get(b, "id")), (json_int_t)i + 1);
        json_t *ua = untimed(a), *ub = untimed(b);
        ck_assert_msg(json_equal(ua, ub), "event %zu differs", i + 1);
        json_decref(ua);
        json_decref(ub);
        json_t *ms = json_object_get(b, "timestamp");
        ck_assert(json_is_integer(ms));
        char ts[40];
        aslrtp_timestamp_format((long long)json_integer_value(ms), ts, sizeof ts);
        ck_assert_str_eq(ts, json_string_value(json_object_get(a, "timestamp")));
    }
    /* The retries, the iterations and the branches are all there. */
    size_t failed = 0, iterations = 0, branches = 0;
    json_t *e;
    size_t i;
    json_array_foreach(r.sunk, i, e)
    {
        const char *t = json_string_value(json_object_get(e, "type"));
        failed += strcmp(t, "LambdaFunctionFailed") == 0;
        iterations += strcmp(t, "MapIterationStarted") == 0;
        branches += strcmp(t, "ParallelStateStarted") == 0;
    }
    ck_assert_uint_eq(failed, 2);
    ck_assert_uint_ge(iterations, 1);
    ck_assert_uint_ge(branches, 1);
    run_clear(&r);
}
END_TEST

/* Without the document the sink receives the same events (one worker, so
 * that the first failure is the same item's). */
START_TEST(sink_alone_sees_the_same)
{
    run with, alone;
    opts o = {.doc = true, .sink = true, .threads = 1, .wait_mode = ASLRT_WAIT_SKIP};
    execute(&with, FANOUT_DEF, "{\"items\":[1,2,3]}", &o);
    o.doc = false;
    execute(&alone, FANOUT_DEF, "{\"items\":[1,2,3]}", &o);
    ck_assert_ptr_null(alone.doc);
    ck_assert_int_eq(with.status, ASLRT_SUCCEEDED);
    ck_assert_int_eq(alone.status, ASLRT_SUCCEEDED);
    ck_assert_int_eq(json_array_size(alone.sunk), json_array_size(with.sunk));
    for (size_t i = 0; i < json_array_size(with.sunk); i++) {
        json_t *ua = untimed(json_array_get(with.sunk, i)),
               *ub = untimed(json_array_get(alone.sunk, i));
        ck_assert_msg(json_equal(ua, ub), "event %zu differs", i + 1);
        json_decref(ua);
        json_decref(ub);
    }
    run_clear(&with);
    run_clear(&alone);
}
END_TEST

/* A loop with a three-item Map in it, 20 events a round up to $.n = 2000:
 * from 800, 1,200 rounds and 24,004 events (within a Standard history's
 * quota of 25,000, doc/behaviour.md §33).  With
 * only the sink, the execution holds at most a Map's events at a time;
 * with the document too, it holds them all (which shows that the count
 * measures what it should). */
static const char *const LOOP_DEF =
    "{\"StartAt\":\"Count\",\"States\":{"
    "\"Count\":{\"Type\":\"Pass\",\"Parameters\":{\"n.$\":\"States.MathAdd($.n, 1)\","
    "\"items\":[1,2,3]},\"Next\":\"M\"},"
    "\"M\":{\"Type\":\"Map\",\"ItemsPath\":\"$.items\",\"ResultPath\":null,"
    "\"ItemProcessor\":{\"StartAt\":\"I\",\"States\":{\"I\":{\"Type\":\"Pass\",\"End\":true}}},"
    "\"Next\":\"Again\"},"
    "\"Again\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.n\",\"NumericLessThan\":2000,"
    "\"Next\":\"Count\"}],\"Default\":\"End\"},"
    "\"End\":{\"Type\":\"Succeed\"}}}";

START_TEST(sink_alone_keeps_memory_bounded)
{
    run r;
    opts o = {.sink = true, .threads = 2, .wait_mode = ASLRT_WAIT_SKIP};
    size_t before = aslrtp_hist_live();
    execute(&r, LOOP_DEF, "{\"n\":800}", &o);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    /* Per round: Count 2, the Map 4 + 3 x 4, Again 2; then End 2 and the
     * execution's 2. */
    ck_assert_uint_eq(json_array_size(r.sunk), 1200 * 20 + 4);
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_array_get(r.sunk, json_array_size(r.sunk) - 1), "id")),
                     1200 * 20 + 4);
    ck_assert_uint_le(r.max_live - before, 16);
    ck_assert_uint_eq(aslrtp_hist_live(), before);
    run_clear(&r);

    /* With the document, every event stays until the end. */
    o.doc = true;
    execute(&r, LOOP_DEF, "{\"n\":1990}", &o);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    ck_assert_uint_eq(json_array_size(r.sunk), 10 * 20 + 4);
    ck_assert_uint_ge(r.max_live - before, 10 * 20 + 3);
    ck_assert_uint_eq(aslrtp_hist_live(), before);
    run_clear(&r);
}
END_TEST

/* ==== abort_reason ====================================================== */

static const char *const WAIT_DEF =
    "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":100000,\"End\":true}}}";

/* Stopped during a (real) Wait, as the sink sees it entered: the reason's
 * error and cause are ExecutionAborted's details and aslrt_execute's err. */
START_TEST(abort_reason_in_event_and_err)
{
    run r;
    volatile int flag = 0;
    aslrt_error why = {"Stopped.ByUser", "no longer needed"};
    opts o = {.doc = true, .sink = true, .wait_mode = ASLRT_WAIT_REAL, .abort_flag = &flag,
              .abort_reason = &why, .abort_on = "WaitStateEntered"};
    execute(&r, WAIT_DEF, "{}", &o);
    ck_assert_int_eq(r.status, ASLRT_ABORTED);
    ck_assert_str_eq(r.err.error, "Stopped.ByUser");
    ck_assert_str_eq(r.err.cause, "no longer needed");
    json_t *ev = json_object_get(r.doc, "events");
    check_types(ev, "ExecutionStarted WaitStateEntered ExecutionAborted");
    json_t *d = details(ev, 2, "executionAbortedEventDetails");
    ck_assert_str_eq(json_string_value(json_object_get(d, "error")), "Stopped.ByUser");
    ck_assert_str_eq(json_string_value(json_object_get(d, "cause")), "no longer needed");
    ck_assert_uint_eq(json_object_size(d), 2);
    ck_assert(json_equal(json_object_get(json_array_get(r.sunk, 2), "executionAbortedEventDetails"),
                         d));
    run_clear(&r);
}
END_TEST

/* A reason with only an error, one with neither, and no reason at all. */
START_TEST(abort_reason_parts)
{
    run r;
    volatile int flag = 1;
    aslrt_error only_error = {"E", NULL}, neither = {NULL, NULL};
    opts o = {.doc = true, .abort_flag = &flag, .abort_reason = &only_error};
    execute(&r, WAIT_DEF, "{}", &o);
    ck_assert_int_eq(r.status, ASLRT_ABORTED);
    ck_assert_str_eq(r.err.error, "E");
    ck_assert_ptr_null(r.err.cause);
    json_t *ev = json_object_get(r.doc, "events");
    check_types(ev, "ExecutionStarted ExecutionAborted");
    json_t *d = details(ev, 1, "executionAbortedEventDetails");
    ck_assert_uint_eq(json_object_size(d), 1);
    ck_assert_str_eq(json_string_value(json_object_get(d, "error")), "E");
    run_clear(&r);

    o.abort_reason = &neither;
    execute(&r, WAIT_DEF, "{}", &o);
    ck_assert_int_eq(r.status, ASLRT_ABORTED);
    ck_assert_ptr_null(r.err.error);
    ck_assert_ptr_null(r.err.cause);
    ck_assert_uint_eq(
        json_object_size(details(json_object_get(r.doc, "events"), 1, "executionAbortedEventDetails")),
        0);
    run_clear(&r);

    o.abort_reason = NULL;
    execute(&r, WAIT_DEF, "{}", &o);
    ck_assert_int_eq(r.status, ASLRT_ABORTED);
    ck_assert_ptr_null(r.err.error);
    ck_assert_str_eq(r.err.cause, "The execution was aborted");
    ck_assert_uint_eq(
        json_object_size(details(json_object_get(r.doc, "events"), 1, "executionAbortedEventDetails")),
        0);
    run_clear(&r);
}
END_TEST

/* ==== Activities ======================================================== */

#define ACTIVITY_ARN "arn:aws:states:us-east-1:111111111111:activity:activity-00000001"

/* What the worker of a test does with the task, and what the hook saw. */
typedef struct worker {
    const char *mode;         /* "succeed", "fail", "started", "none", "missing" */
    bool in_thread;           /* answer from a thread of its own (else in the hook) */
    int calls;
    char *arn, *input, *token;
    pthread_t thread;
    bool joined;
    int answers_ok;           /* calls of the API that succeeded */
    bool same_token;          /* a later call had the token of the one before */
    aslrt_error late;         /* aslrt_activity_started after the end */
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    aslrt_error e = {NULL, NULL};
    w->answers_ok += aslrt_activity_started(w->token, "BASE_ID_ACTIVITY_CONSUMER", &e);
    aslrt_error_clear(&e);
    if (strcmp(w->mode, "retry") == 0) {
        /* The first attempt fails, the retry succeeds. */
        if (w->calls == 1)
            w->answers_ok += aslrt_send_task_failure(w->token, "Again", NULL, &e);
        else
            w->answers_ok += aslrt_send_task_success(w->token, "{\"attempt\":2}", &e);
    } else if (strcmp(w->mode, "succeed") == 0) {
        w->answers_ok += aslrt_send_task_heartbeat(w->token, &e);
        aslrt_error_clear(&e);
        w->answers_ok += aslrt_send_task_success(w->token, w->input, &e);
    } else if (strcmp(w->mode, "fail") == 0) {
        w->answers_ok += aslrt_send_task_failure(w->token, "Programmatic Error",
                                                 "{\"Value1\":\"HelloWorld\"}", &e);
    }
    aslrt_error_clear(&e);
    return NULL;
}

static int activity_hook(void *ud, const char *arn, const char *input, const char *token,
                         aslrt_error *err)
{
    worker *w = ud;
    w->calls++;
    if (w->token && strcmp(w->token, token) == 0)
        w->same_token = true;
    free(w->arn);
    free(w->input);
    free(w->token);
    w->arn = strdup(arn);
    w->input = strdup(input);
    w->token = strdup(token);
    if (strcmp(w->mode, "missing") == 0) {
        char *c = aslrtp_strdupf("The activity %s does not exist.", arn);
        aslrt_error_set(err, "States.Runtime", c);
        free(c);
        return 0;
    }
    if (strcmp(w->mode, "none") == 0)
        return 1;
    if (w->in_thread)
        ck_assert_int_eq(pthread_create(&w->thread, NULL, worker_main, w), 0);
    else
        worker_main(w);
    return 1;
}

static void worker_finish(worker *w)
{
    if (w->in_thread && w->token && strcmp(w->mode, "missing") && strcmp(w->mode, "none"))
        pthread_join(w->thread, NULL);
    if (w->token)
        aslrt_activity_started(w->token, "late", &w->late);
}

static void worker_clear(worker *w)
{
    free(w->arn);
    free(w->input);
    free(w->token);
    aslrt_error_clear(&w->late);
}

static char *activity_def(const char *fields)
{
    return aslrtp_strdupf("{\"StartAt\":\"ActivityTask\",\"States\":{\"ActivityTask\":{"
                          "\"Type\":\"Task\",\"Resource\":\"" ACTIVITY_ARN "\",%s\"End\":true}}}",
                          fields);
}

/* Recorded on AWS (activities/test_activity_task_with_heartbeat): the
 * worker picks the task, beats and succeeds. */
START_TEST(activity_succeeds)
{
    run r;
    worker w = {.mode = "succeed", .in_thread = true};
    opts o = {.doc = true, .sink = true, .activity = activity_hook, .activity_ud = &w};
    char *def = activity_def("\"TimeoutSeconds\":3600,\"HeartbeatSeconds\":3000,");
    execute(&r, def, "{\"Value1\":\"HelloWorld\"}", &o);
    worker_finish(&w);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    ck_assert_int_eq(w.calls, 1);
    ck_assert_int_eq(w.answers_ok, 3);
    ck_assert_str_eq(w.arn, ACTIVITY_ARN);
    ck_assert_str_eq(w.input, "{\"Value1\":\"HelloWorld\"}");
    json_t *want = json_pack("{s:s}", "Value1", "HelloWorld");
    ck_assert(json_equal(r.output, want));
    json_decref(want);
    json_t *ev = json_object_get(r.doc, "events");
    check_types(ev, "ExecutionStarted TaskStateEntered ActivityScheduled ActivityStarted "
                    "ActivitySucceeded TaskStateExited ExecutionSucceeded");
    check_ids(ev, 0, 0);
    check_ids(ev, 1, 0);
    for (size_t i = 2; i < 7; i++)
        check_ids(ev, i, (long)i);
    json_t *d = details(ev, 2, "activityScheduledEventDetails");
    ck_assert_str_eq(json_string_value(json_object_get(d, "resource")), ACTIVITY_ARN);
    ck_assert_str_eq(json_string_value(json_object_get(d, "input")), "{\"Value1\":\"HelloWorld\"}");
    ck_assert(json_is_false(json_object_get(json_object_get(d, "inputDetails"), "truncated")));
    ck_assert_int_eq(json_integer_value(json_object_get(d, "timeoutInSeconds")), 3600);
    ck_assert_int_eq(json_integer_value(json_object_get(d, "heartbeatInSeconds")), 3000);
    ck_assert_uint_eq(json_object_size(d), 5);
    d = details(ev, 3, "activityStartedEventDetails");
    ck_assert_str_eq(json_string_value(json_object_get(d, "workerName")),
                     "BASE_ID_ACTIVITY_CONSUMER");
    ck_assert_str_eq(detail(ev, 4, "activitySucceededEventDetails", "output"),
                     "{\"Value1\":\"HelloWorld\"}");
    /* The sink saw the same. */
    ck_assert_uint_eq(json_array_size(r.sunk), 7);
    /* The task is closed once the execution has ended. */
    ck_assert_str_eq(w.late.error, "TaskTimedOut");
    worker_clear(&w);
    free(def);
    run_clear(&r);
}
END_TEST

/* Recorded on AWS (activities/test_activity_task_failure): the worker's
 * error and cause fail the execution, without TaskStateExited; the
 * token is $$.Task.Token. */
START_TEST(activity_fails)
{
    run r;
    worker w = {.mode = "fail", .in_thread = true};
    opts o = {.doc = true, .activity = activity_hook, .activity_ud = &w};
    char *def = activity_def("\"Parameters\":{\"Value1.$\":\"$.Value1\",\"tok.$\":\"$$.Task.Token\"},");
    execute(&r, def, "{\"Value1\":\"HelloWorld\"}", &o);
    worker_finish(&w);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.error, "Programmatic Error");
    ck_assert_str_eq(r.err.cause, "{\"Value1\":\"HelloWorld\"}");
    assert_contains(w.input, w.token);
    json_t *ev = json_object_get(r.doc, "events");
    check_types(ev, "ExecutionStarted TaskStateEntered ActivityScheduled ActivityStarted "
                    "ActivityFailed ExecutionFailed");
    for (size_t i = 2; i < 6; i++)
        check_ids(ev, i, (long)i);
    ck_assert_str_eq(detail(ev, 4, "activityFailedEventDetails", "error"), "Programmatic Error");
    ck_assert_str_eq(detail(ev, 4, "activityFailedEventDetails", "cause"),
                     "{\"Value1\":\"HelloWorld\"}");
    ck_assert_ptr_null(json_object_get(details(ev, 2, "activityScheduledEventDetails"),
                                       "timeoutInSeconds"));
    worker_clear(&w);
    free(def);
    run_clear(&r);
}
END_TEST

/* Recorded on AWS (activities/test_activity_task_start_timeout): picked,
 * never answered, TimeoutSeconds 5.  Under --wait=skip the timer runs out
 * at once, after the pick-up that came first. */
START_TEST(activity_times_out)
{
    run r;
    worker w = {.mode = "started"};
    opts o = {.doc = true, .wait_mode = ASLRT_WAIT_SKIP, .activity = activity_hook,
              .activity_ud = &w};
    char *def = activity_def("\"TimeoutSeconds\":5,");
    execute(&r, def, "{\"Value1\":\"HelloWorld\"}", &o);
    worker_finish(&w);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.error, "States.Timeout");
    ck_assert_ptr_null(r.err.cause);
    json_t *ev = json_object_get(r.doc, "events");
    check_types(ev, "ExecutionStarted TaskStateEntered ActivityScheduled ActivityStarted "
                    "ActivityTimedOut ExecutionFailed");
    json_t *d = details(ev, 4, "activityTimedOutEventDetails");
    ck_assert_uint_eq(json_object_size(d), 1);
    ck_assert_str_eq(json_string_value(json_object_get(d, "error")), "States.Timeout");
    ck_assert_int_eq(
        json_integer_value(json_object_get(details(ev, 2, "activityScheduledEventDetails"),
                                           "timeoutInSeconds")),
        5);
    worker_clear(&w);
    free(def);
    run_clear(&r);
}
END_TEST

/* Nobody picks the task and HeartbeatSeconds passes: States.Timeout, which
 * a States.HeartbeatTimeout catcher takes (doc/behaviour.md §24.6). */
START_TEST(activity_misses_its_heartbeat)
{
    run r;
    worker w = {.mode = "none"};
    opts o = {.doc = true, .wait_mode = ASLRT_WAIT_SKIP, .activity = activity_hook,
              .activity_ud = &w};
    const char *def =
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"" ACTIVITY_ARN "\","
        "\"TimeoutSeconds\":60,\"HeartbeatSeconds\":10,"
        "\"Catch\":[{\"ErrorEquals\":[\"States.HeartbeatTimeout\"],\"Next\":\"Caught\"}],"
        "\"End\":true},\"Caught\":{\"Type\":\"Pass\",\"End\":true}}}";
    execute(&r, def, "{}", &o);
    worker_finish(&w);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    json_t *want = json_pack("{s:s}", "Error", "States.Timeout");
    ck_assert(json_equal(r.output, want));
    json_decref(want);
    json_t *ev = json_object_get(r.doc, "events");
    check_types(ev, "ExecutionStarted TaskStateEntered ActivityScheduled ActivityTimedOut "
                    "TaskStateExited PassStateEntered PassStateExited ExecutionSucceeded");
    worker_clear(&w);
    run_clear(&r);
}
END_TEST

/* Recorded on AWS (activities/test_activity_task_on_deleted): an activity
 * that does not exist fails the state with States.Runtime before anything
 * is scheduled, and no catcher takes it. */
START_TEST(activity_that_does_not_exist)
{
    run r;
    worker w = {.mode = "missing"};
    opts o = {.doc = true, .activity = activity_hook, .activity_ud = &w};
    const char *def =
        "{\"StartAt\":\"ActivityTask\",\"States\":{\"ActivityTask\":{\"Type\":\"Task\","
        "\"Resource\":\"" ACTIVITY_ARN "\","
        "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"Caught\"}],"
        "\"End\":true},\"Caught\":{\"Type\":\"Pass\",\"End\":true}}}";
    execute(&r, def, "{\"Value1\":\"HelloWorld\"}", &o);
    worker_finish(&w);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.error, "States.Runtime");
    ck_assert_str_eq(r.err.cause, "An error occurred while executing the state 'ActivityTask' "
                                  "(entered at the event id #2). The activity " ACTIVITY_ARN
                                  " does not exist.");
    check_types(json_object_get(r.doc, "events"),
                "ExecutionStarted TaskStateEntered ExecutionFailed");
    worker_clear(&w);
    run_clear(&r);
}
END_TEST

/* A binding for the activity answers before the hook; without the hook an
 * activity is answered as before (here: unbound). */
START_TEST(activity_binding_first_and_no_hook)
{
    run r;
    worker w = {.mode = "succeed", .in_thread = true};
    opts o = {.doc = true, .activity = activity_hook, .activity_ud = &w, .bound = bound_handler};
    char *def = activity_def("");
    bound_calls = 0;
    execute(&r, def, "{\"v\":1}", &o);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    ck_assert_int_eq(w.calls, 0);
    ck_assert_int_eq(bound_calls, 1);
    check_types(json_object_get(r.doc, "events"),
                "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSucceeded "
                "TaskStateExited ExecutionSucceeded");
    run_clear(&r);

    opts none = {.doc = true};
    execute(&r, def, "{\"v\":1}", &none);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.error, "aslc.UnboundResource");
    run_clear(&r);
    free(def);
}
END_TEST

/* A retry schedules the activity again, with a new token. */
START_TEST(activity_retried)
{
    run r;
    worker w = {.mode = "retry"};
    opts o = {.doc = true, .activity = activity_hook, .activity_ud = &w};
    char *def = activity_def("\"Retry\":[{\"ErrorEquals\":[\"Again\"],\"IntervalSeconds\":1}],");
    o.wait_mode = ASLRT_WAIT_SKIP;
    execute(&r, def, "{}", &o);
    worker_finish(&w);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    ck_assert_int_eq(w.calls, 2);
    ck_assert(!w.same_token);
    ck_assert_int_eq(w.answers_ok, 4);
    json_t *want = json_pack("{s:i}", "attempt", 2);
    ck_assert(json_equal(r.output, want));
    json_decref(want);
    json_t *ev = json_object_get(r.doc, "events");
    check_types(ev, "ExecutionStarted TaskStateEntered ActivityScheduled ActivityStarted "
                    "ActivityFailed ActivityScheduled ActivityStarted ActivitySucceeded "
                    "TaskStateExited ExecutionSucceeded");
    ck_assert_str_eq(detail(ev, 4, "activityFailedEventDetails", "error"), "Again");
    ck_assert_ptr_null(json_object_get(details(ev, 4, "activityFailedEventDetails"), "cause"));
    worker_clear(&w);
    free(def);
    run_clear(&r);
}
END_TEST

/* StopExecution while the activity waits for its worker: TaskStateAborted,
 * then ExecutionAborted with the reason. */
START_TEST(activity_stopped)
{
    run r;
    worker w = {.mode = "none"};
    volatile int flag = 0;
    aslrt_error why = {"Stopped", "by the test"};
    opts o = {.doc = true, .sink = true, .activity = activity_hook, .activity_ud = &w,
              .abort_flag = &flag, .abort_reason = &why, .abort_on = "ActivityScheduled"};
    char *def = activity_def("");
    execute(&r, def, "{}", &o);
    worker_finish(&w);
    ck_assert_int_eq(r.status, ASLRT_ABORTED);
    ck_assert_str_eq(r.err.error, "Stopped");
    ck_assert_str_eq(r.err.cause, "by the test");
    json_t *ev = json_object_get(r.doc, "events");
    check_types(ev, "ExecutionStarted TaskStateEntered ActivityScheduled TaskStateAborted "
                    "ExecutionAborted");
    ck_assert_str_eq(detail(ev, 4, "executionAbortedEventDetails", "cause"), "by the test");
    ck_assert_str_eq(w.late.error, "TaskTimedOut");
    worker_clear(&w);
    free(def);
    run_clear(&r);
}
END_TEST

/* aslrt_activity_started on a callback task's token, which expects no
 * worker: TaskDoesNotExist. */
static int callback_handler(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    (void)ud;
    (void)output;
    const char *token = json_string_value(json_object_get(input, "token"));
    aslrt_error e = {NULL, NULL};
    ck_assert_int_eq(aslrt_activity_started(token, "w", &e), 0);
    ck_assert_str_eq(e.error, "TaskDoesNotExist");
    aslrt_error_clear(&e);
    return aslrt_send_task_success(token, "{\"ok\":true}", err);
}

START_TEST(activity_started_needs_an_activity)
{
    run r;
    opts o = {.doc = true, .bound = callback_handler};
    execute(&r,
            "{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Task\","
            "\"Resource\":\"arn:aws:states:::sqs:sendMessage.waitForTaskToken\","
            "\"Parameters\":{\"token.$\":\"$$.Task.Token\"},\"End\":true}}}",
            "{}", &o);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    run_clear(&r);
}
END_TEST

#endif /* HAVE_LIBTCC */

int main(void)
{
    Suite *s = suite_create("hooks");
    TCase *tc = tcase_create("hooks");
    tcase_set_timeout(tc, 120);
#ifdef HAVE_LIBTCC
    tcase_add_test(tc, sink_sees_the_document);
    tcase_add_test(tc, sink_alone_sees_the_same);
    tcase_add_test(tc, sink_alone_keeps_memory_bounded);
    tcase_add_test(tc, abort_reason_in_event_and_err);
    tcase_add_test(tc, abort_reason_parts);
    tcase_add_test(tc, activity_succeeds);
    tcase_add_test(tc, activity_fails);
    tcase_add_test(tc, activity_times_out);
    tcase_add_test(tc, activity_misses_its_heartbeat);
    tcase_add_test(tc, activity_that_does_not_exist);
    tcase_add_test(tc, activity_retried);
    tcase_add_test(tc, activity_stopped);
    tcase_add_test(tc, activity_binding_first_and_no_hook);
    tcase_add_test(tc, activity_started_needs_an_activity);
#endif
    suite_add_tcase(s, tc);
    int failed = run_suite(s, CK_NORMAL);
#ifndef HAVE_LIBTCC
    return 77; /* automake: skipped */
#endif
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * invoke.c - the Task state's op: who answers an invocation, the events it
 * writes, and the shape of the answer.
 *
 * Model.  aslrt_op_invoke reads the state's timeouts, writes TaskScheduled
 * and TaskStarted, then hands the effective input to exactly one answerer,
 * chosen before the call (enum answerer):
 *
 *  - the mock file (--mocks), when it has the state: its Return or Throw,
 *    counted per invocation, retries included (mock.c);
 *  - for arn:aws:states:::lambda:invoke, the function FunctionName names,
 *    called through the bindings, its result wrapped in the Lambda Invoke
 *    response envelope (ExecutedVersion, Payload, SdkHttpMetadata, ...);
 *  - for any other resource (any integration, pattern or activity), the
 *    handler bound to it, whose result is the task's result as it is
 *    (task.c dispatches to the handler kinds);
 *  - with no binding, a local implementation of the resource: Step
 *    Functions' own API (nested executions of local state machines,
 *    sendTask*) in nested.c;
 *  - with no handler bound, for a resource that calls an AWS service (an
 *    aws-sdk integration or an optimized one that aws/sdk.c knows), the
 *    service's endpoint when one is configured (aws/config.c).
 *
 * Precedence (README, "Bindings"): the mock, then a binding keyed by the
 * state's name, by exactly the resource, by the first glob that matches
 * it, then the local implementation, then an AWS endpoint.  With none,
 * the task fails with aslc.UnboundResource naming the ways to answer it.
 *
 * An activity task (an activity ARN) that no mock or binding answers,
 * when the configuration has an activity hook, is handed to the hook and
 * waits for its worker as a callback task does, with Activity* events
 * instead of Task* ones (doc/behaviour.md §31.3).
 *
 * A callback task (.waitForTaskToken) that is not mocked opens its token
 * with callback.c before the call; the call's answer is then only
 * TaskSubmitted, and the result is what SendTaskSuccess or
 * SendTaskFailure delivers before TimeoutSeconds or HeartbeatSeconds run
 * out.  The execution's own deadline bounds every wait.  The events and
 * errors are recorded through exec.c (exec_private.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/aws.h"
#include "exec_private.h"

#define LAMBDA_INVOKE "arn:aws:states:::lambda:invoke"

/* ---- Who answers -------------------------------------------------------- */

/* Who answers a Task state's invocation, decided before it is made. */
typedef enum answerer {
    BY_MOCK,                    /* the mock file's entry for this invocation */
    BY_LAMBDA,                  /* lambda:invoke: the bound function, in Lambda's envelope */
    BY_BINDING,                 /* any other resource: its handler's result as it is */
    BY_LOCAL,                   /* unbound, answered here: Step Functions (nested.c) */
    BY_AWS,                     /* an AWS service's endpoint (aws/sdk.c) */
    BY_ACTIVITY                 /* an activity: the configuration's hook and a worker */
} answerer;

/* The Lambda optimized integration, with or without .waitForTaskToken. */
static bool is_lambda_invoke(const char *resource)
{
    return strcmp(resource, LAMBDA_INVOKE) == 0 ||
           strcmp(resource, LAMBDA_INVOKE ASLRTP_WAIT_FOR_TOKEN) == 0;
}

static answerer answerer_of(const aslrt_exec *ex, int state)
{
    const aslrt_state *s = ex->state;
    if (aslrtp_mock_covers(ex->cfg->mocks, state))
        return BY_MOCK;
    if (is_lambda_invoke(s->resource))
        return BY_LAMBDA;
    if (aslrtp_task_bound(ex->cfg->bindings, s->name, s->resource))
        return BY_BINDING;
    if (ex->cfg->activity && aslrtp_ex_is_activity(s))
        return BY_ACTIVITY;
    if (aslrtp_nested_answers(ex, s->resource))
        return BY_LOCAL;
    if (aslrtp_aws_answers(ex->cfg, s->resource))
        return BY_AWS;
    return BY_BINDING;
}

/* What stops a handler that is running: the execution's abort (SIGINT,
 * SIGTERM), or a failed sibling branch or iteration of any fan-out it is
 * in. */
static const aslrtp_cancel *task_cancel(const aslrt_exec *ex)
{
    return &ex->cancel;
}

/* ---- The Lambda optimized integration (arn:aws:states:::lambda:invoke) ---- */

/* FunctionName, as Lambda accepts it (a name, a name:qualifier, a partial
 * ARN account:function:name[:qualifier], or a full ARN), made a full
 * function ARN for the bindings to match. */
static char *function_arn(const aslrt_exec *ex, const char *name, const char *qualifier)
{
    char *arn;
    if (strncmp(name, "arn:", 4) == 0)
        arn = aslrtp_strdup(name);
    else if (strstr(name, ":function:"))
        arn = aslrtp_strdupf("arn:aws:lambda:%s:%s", aslrtp_ex_region(ex), name);
    else
        arn = aslrtp_strdupf("arn:aws:lambda:%s:%s:function:%s", aslrtp_ex_region(ex),
                             aslrtp_ex_account(ex), name);
    if (qualifier && *qualifier) {
        char *q = aslrtp_strdupf("%s:%s", arn, qualifier);
        free(arn);
        arn = q;
    }
    return arn;
}

/* An HTTP date, as Lambda's response headers carry it. */
static void http_date(long long ms, char *buf, size_t size)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    snprintf(buf, size, "%s, %02d %s %d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Calls the function FunctionName names with Payload, and shapes the result
 * as the integration returns Lambda's Invoke response (doc/behaviour.md
 * §21.1, recorded): ExecutedVersion, Payload, SdkHttpMetadata,
 * SdkResponseMetadata, StatusCode. */
static int invoke_lambda(aslrt_exec *ex, json_t *params, double timeout, json_t **out,
                         aslrt_error *err)
{
    const char *name = json_string_value(json_object_get(params, "FunctionName"));
    if (!json_is_object(params) || !name) {
        char *p = aslrt_json_dumps(params);
        char *c = aslrtp_strdupf("The Parameters '%s' could not be used to start the Task: "
                                 "[The field \"FunctionName\" is required]",
                                 p);
        aslrt_error_set(err, ASLRTP_ERR_RUNTIME, c);
        free(c);
        free(p);
        return 0;
    }
    const char *qualifier = json_string_value(json_object_get(params, "Qualifier"));
    /* Recorded on AWS: a string Payload is sent as it is, so the function
     * reads the JSON it holds; no Payload is an empty event. */
    json_t *payload = json_object_get(params, "Payload");
    json_t *event;
    if (!payload || json_is_null(payload)) {
        event = json_object();
    } else if (json_is_string(payload)) {
        json_error_t je;
        event = aslrtp_json_loads(json_string_value(payload), json_string_length(payload), &je);
        if (!event) {
            char *c = aslrtp_strdupf("Could not parse request body into json: %s (Service: "
                                     "AWSLambda; Status Code: 400; Error Code: "
                                     "InvalidRequestContentException; Proxy: null)",
                                     je.text);
            aslrt_error_set(err, "Lambda.InvalidRequestContentException", c);
            free(c);
            return 0;
        }
    } else {
        event = json_incref(payload);
    }
    char *arn = function_arn(ex, name, qualifier);
    size_t len = 0;
    json_t *res = NULL;
    const char *log_type = json_string_value(json_object_get(params, "LogType"));
    bool tail = log_type && strcmp(log_type, "Tail") == 0;
    char *log = NULL;
    char *ran = NULL;   /* the version that ran, when the handler says (HTTP) */
    int ok = aslrtp_task_invoke_state(ex->cfg->bindings, ex->state->name, arn, event, timeout,
                                      task_cancel(ex), 1, &len, tail ? &log : NULL, &ran, &res,
                                      err);
    json_decref(event);
    if (!ok && err->error) {
        /* Recorded on AWS: the integration names its service in the quota's
         * cause, and times out with an empty Cause. */
        if (strcmp(err->error, ASLRTP_ERR_DATA_LIMIT_EXCEEDED) == 0)
            aslrt_error_set(err, err->error,
                            "The state/task 'lambda' returned a result with a size exceeding "
                            "the maximum number of bytes service limit.");
        else if (strcmp(err->error, ASLRTP_ERR_TIMEOUT) == 0 && !err->cause)
            aslrt_error_set(err, err->error, "");
    }
    if (!ok && err->error && strcmp(err->error, "aslc.UnboundResource") == 0) {
        /* No handler: to Step Functions, no such function. */
        char *id = aslrtp_ex_uuid();
        char *c = aslrtp_strdupf("Function not found: %s%s (Service: AWSLambda; Status Code: 404; "
                                 "Error Code: ResourceNotFoundException; Request ID: %s; Proxy: "
                                 "null)",
                                 arn, strchr(arn + 4, ':') && qualifier ? "" : ":$LATEST", id);
        aslrt_error_set(err, "Lambda.ResourceNotFoundException", c);
        free(c);
        free(id);
    }
    if (!ok) {
        free(ran);
        free(log);
        free(arn);
        return 0;
    }
    const char *version = ran ? ran
                          : qualifier && qualifier[0] >= '0' && qualifier[0] <= '9' ? qualifier
                                                                                    : "$LATEST";
    char *rid = aslrtp_ex_uuid();
    char date[64], clen[32];
    http_date(aslrtp_ex_clock_ms(ex), date, sizeof date);
    snprintf(clen, sizeof clen, "%zu", len);
    char *trace = aslrtp_strdupf("Root=1-%08llx-%.24s;Sampled=0",
                                 (unsigned long long)(aslrtp_ex_clock_ms(ex) / 1000), rid);
    *out = json_pack(
        "{s:s,s:o,s:{s:{s:[s],s:[s],s:[s],s:[s],s:[s],s:[s],s:[s],s:[s]},"
        "s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s},s:i},s:{s:s},s:i}",
        "ExecutedVersion", version, "Payload", res,
        "SdkHttpMetadata",
        "AllHttpHeaders", "X-Amz-Executed-Version", version, "x-amzn-Remapped-Content-Length", "0",
        "Connection", "keep-alive", "x-amzn-RequestId", rid, "Content-Length", clen,
        "Date", date, "X-Amzn-Trace-Id", trace, "Content-Type", "application/json",
        "HttpHeaders", "Connection", "keep-alive", "Content-Length", clen, "Content-Type",
        "application/json", "Date", date, "X-Amz-Executed-Version", version,
        "x-amzn-Remapped-Content-Length", "0", "x-amzn-RequestId", rid, "X-Amzn-Trace-Id", trace,
        "HttpStatusCode", 200,
        "SdkResponseMetadata", "RequestId", rid,
        "StatusCode", 200);
    if (tail && *out) {
        /* LogType Tail: the log's end, base64-encoded, in LogResult and its
         * header (Lambda's Invoke API). */
        char *b64 = aslrtp_base64_encode(log ? log : "", log ? strlen(log) : 0, 0, NULL);
        json_t *meta = json_object_get(*out, "SdkHttpMetadata");
        json_object_set_new(*out, "LogResult", json_string(b64));
        json_object_set_new(json_object_get(meta, "AllHttpHeaders"), "X-Amz-Log-Result",
                            json_pack("[s]", b64));
        json_object_set_new(json_object_get(meta, "HttpHeaders"), "X-Amz-Log-Result",
                            json_string(b64));
        free(b64);
    }
    free(log);
    free(ran);
    free(trace);
    free(rid);
    free(arn);
    return *out != NULL;
}

/* ---- Task events -------------------------------------------------------- */

/* A Task's events (doc/behaviour.md §20.3): TaskScheduled ... TaskTimedOut
 * for integrations, LambdaFunction* for a plain Lambda function ARN.  type
 * is a TASK_* event; error, cause and output go where the type has them. */
static bool legacy_lambda(const aslrt_state *s)
{
    return strncmp(s->resource, "arn:aws:lambda:", 15) == 0;
}

static long task_event(aslrt_exec *ex, int type, const char *error, const char *cause,
                       const json_t *output)
{
    bool legacy = legacy_lambda(ex->state);
    if (legacy)
        type = type == ASLRTP_EV_TASK_STARTED     ? ASLRTP_EV_LAMBDA_STARTED
               : type == ASLRTP_EV_TASK_SUCCEEDED ? ASLRTP_EV_LAMBDA_SUCCEEDED
               : type == ASLRTP_EV_TASK_FAILED    ? ASLRTP_EV_LAMBDA_FAILED
               : type == ASLRTP_EV_TASK_TIMED_OUT ? ASLRTP_EV_LAMBDA_TIMED_OUT
                                                  : type;
    json_t *d = NULL;
    if (ex->hist && type != ASLRTP_EV_LAMBDA_STARTED && type != ASLRTP_EV_TASK_STATE_ABORTED) {
        d = json_object();
        if (!legacy) {
            char *rtype, *res;
            aslrtp_hist_resource(ex->state->resource, &rtype, &res);
            json_object_set_new(d, "resourceType", json_string(rtype));
            json_object_set_new(d, "resource", json_string(res));
            free(rtype);
            free(res);
        }
        bool timed = type == ASLRTP_EV_TASK_TIMED_OUT || type == ASLRTP_EV_LAMBDA_TIMED_OUT;
        /* Recorded on AWS: a timeout's empty Cause is left out. */
        aslrtp_ex_put_error(d, error, timed && cause && !*cause ? NULL : cause);
        if (type == ASLRTP_EV_TASK_SUCCEEDED || type == ASLRTP_EV_TASK_SUBMITTED ||
            type == ASLRTP_EV_LAMBDA_SUCCEEDED)
            aslrtp_ex_put_payload(d, "output", output);
    }
    return aslrtp_ex_chain(ex, type, d);
}

/* TaskScheduled (or LambdaFunctionScheduled) and TaskStarted: the
 * effective input, and the timeouts the state asked for. */
static void task_started(aslrt_exec *ex, json_t *params, double timeout, double heartbeat)
{
    const aslrt_state *s = ex->state;
    bool legacy = legacy_lambda(s);
    json_t *d = NULL;
    if (ex->hist) {
        d = json_object();
        if (legacy) {
            json_object_set_new(d, "resource", json_string(s->resource));
            aslrtp_ex_put_payload(d, "input", params);
        } else {
            char *rtype, *res;
            aslrtp_hist_resource(s->resource, &rtype, &res);
            json_object_set_new(d, "resourceType", json_string(rtype));
            json_object_set_new(d, "resource", json_string(res));
            json_object_set_new(d, "region", json_string(aslrtp_ex_region(ex)));
            json_object_set_new(d, "parameters", aslrtp_hist_payload(params));
            free(rtype);
            free(res);
        }
        if (timeout > 0)
            json_object_set_new(d, "timeoutInSeconds", json_integer((json_int_t)timeout));
        if (heartbeat > 0 && !legacy)
            json_object_set_new(d, "heartbeatInSeconds", json_integer((json_int_t)heartbeat));
    }
    aslrtp_ex_chain(ex, legacy ? ASLRTP_EV_LAMBDA_SCHEDULED : ASLRTP_EV_TASK_SCHEDULED, d);
    task_event(ex, ASLRTP_EV_TASK_STARTED, NULL, NULL, NULL);
}

/* ---- Callback tasks (.waitForTaskToken) -------------------------------- */

/* How the wait of a callback task ended. */
typedef enum callback_end {
    CALLBACK_SUCCEEDED,         /* SendTaskSuccess: *out holds the result */
    CALLBACK_FAILED,            /* SendTaskFailure: err holds its Error and Cause */
    CALLBACK_STATE_ENDED        /* a timeout or an abort, recorded in ex */
} callback_end;

/* ActivityStarted: a worker took the activity task (callback.c calls it
 * in the waiting thread). */
static void activity_started(void *ud, const char *worker_name)
{
    aslrt_exec *ex = ud;
    json_t *d = NULL;
    if (ex->hist) {
        d = json_object();
        if (worker_name)
            json_object_set_new(d, "workerName", json_string(worker_name));
    }
    aslrtp_ex_chain(ex, ASLRTP_EV_ACTIVITY_STARTED, d);
}

/* Waits for the outcome of the callback task t, whose invocation started
 * at started_ms (execution clock) and has returned: TimeoutSeconds counts
 * from the start, HeartbeatSeconds from now on (doc/behaviour.md §21.1).
 * An activity's wait also records its worker's pick-up, and its timeout
 * as ActivityTimedOut (§31.3). */
static callback_end await_callback(aslrt_exec *ex, aslrtp_cb_task *t, double timeout, bool capped,
                                   double heartbeat, long long started_ms, bool activity,
                                   json_t **out, aslrt_error *err)
{
    /* No room in the history for what started the wait (doc/behaviour.md
     * §33): the execution ends without waiting. */
    if (aslrtp_ex_history_full(ex)) {
        aslrtp_cb_close(t);
        aslrtp_ex_aborted(ex);
        return CALLBACK_STATE_ENDED;
    }
    aslrtp_cb_limits l = {.timeout_ms = -1, .heartbeat_ms = -1, .scale = 1,
                          .cancel = task_cancel(ex)};
    if (activity) {
        l.started = activity_started;
        l.started_ud = ex;
    }
    if (timeout > 0)
        l.timeout_ms = timeout * 1000 - (double)(aslrtp_ex_clock_ms(ex) - started_ms);
    if (heartbeat > 0)
        l.heartbeat_ms = heartbeat * 1000;
    /* The timers run on the execution's clock, as Wait states do. */
    if (ex->cfg->wait_mode == ASLRT_WAIT_SKIP)
        l.scale = 0;
    else if (ex->cfg->wait_mode == ASLRT_WAIT_SCALE)
        l.scale = ex->cfg->wait_scale;
    double gained = 0;
    int r = aslrtp_cb_wait(t, &l, out, err, &gained);
    ex->skew_ms += (long long)gained;
    if (r == ASLRTP_CB_SUCCEEDED)
        return CALLBACK_SUCCEEDED;
    if (r == ASLRTP_CB_FAILED)
        return CALLBACK_FAILED;
    if (r == ASLRTP_CB_ABORTED)
        task_event(ex, ASLRTP_EV_TASK_STATE_ABORTED, NULL, NULL, NULL);
    else if (activity)
        aslrtp_ex_chain(ex, ASLRTP_EV_ACTIVITY_TIMED_OUT,
                        ex->hist ? json_pack("{s:s}", "error", ASLRTP_ERR_TIMEOUT) : NULL);
    else
        task_event(ex, ASLRTP_EV_TASK_TIMED_OUT, ASLRTP_ERR_TIMEOUT, NULL, NULL);
    if (r == ASLRTP_CB_ABORTED)
        aslrtp_ex_aborted(ex);
    else if (r == ASLRTP_CB_TIMED_OUT && capped)
        aslrtp_ex_timed_out(ex);
    else {
        /* Recorded on AWS: States.Timeout without a Cause, for a missed
         * heartbeat too (which a States.HeartbeatTimeout retrier or
         * catcher also matches, doc/behaviour.md §17.1). */
        ex->heartbeat_expired = r == ASLRTP_CB_HEARTBEAT_TIMED_OUT;
        aslrtp_ex_fail_plain(ex, ASLRTP_ERR_TIMEOUT, NULL);
    }
    return CALLBACK_STATE_ENDED;
}

/* A result over the payload quota fails the state as AWS words it, naming
 * what returned it. */
static void data_limit_exceeded(aslrt_exec *ex, const char *what)
{
    char *c = aslrtp_strdupf("The state/task '%s' returned a result with a size exceeding the "
                             "maximum number of bytes service limit.",
                             what);
    aslrtp_ex_fail_plain(ex, ASLRTP_ERR_DATA_LIMIT_EXCEEDED, c);
    free(c);
}

/* ---- Activities (doc/behaviour.md §31.3) -------------------------------- */

/* ActivitySucceeded or ActivityFailed. */
static void activity_ended(aslrt_exec *ex, int type, const char *error, const char *cause,
                           const json_t *output)
{
    json_t *d = NULL;
    if (ex->hist) {
        d = json_object();
        aslrtp_ex_put_error(d, error, cause);
        if (type == ASLRTP_EV_ACTIVITY_SUCCEEDED)
            aslrtp_ex_put_payload(d, "output", output);
    }
    aslrtp_ex_chain(ex, type, d);
}

/* An activity task: its token opened, the hook queues it for a worker
 * (a failure there fails the state before anything is scheduled, as a
 * missing activity does on AWS), ActivityScheduled with the timeouts the
 * state asked for, then the wait for the worker's pick-up and outcome. */
static int invoke_activity(aslrt_exec *ex, aslrt_frame *f, double timeout, bool capped,
                           double heartbeat, double asked_timeout, double asked_heartbeat)
{
    const aslrt_state *s = ex->state;
    aslrt_error err = {NULL, NULL};
    const char *token = aslrtp_ex_task_token(ex, &err);
    aslrtp_cb_task *cb = token ? aslrtp_cb_open(ex->callbacks, token, &err) : NULL;
    if (!cb) {
        aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_RUNTIME, err.cause ? err.cause : "");
        aslrt_error_clear(&err);
        return 0;
    }
    aslrtp_cb_expect_worker(cb);
    long long started = aslrtp_ex_clock_ms(ex);
    char *input = aslrt_json_dumps(ASLRTP_EFF(f));
    int queued = ex->cfg->activity(ex->cfg->activity_ud, s->resource, input, token, &err);
    free(input);
    if (!queued) {
        aslrtp_cb_close(cb);
        aslrtp_ex_fail_in_state(ex, err.error ? err.error : ASLRTP_ERR_RUNTIME,
                                err.cause ? err.cause : "");
        aslrt_error_clear(&err);
        return 0;
    }
    aslrt_error_clear(&err);
    json_t *d = NULL;
    if (ex->hist) {
        d = json_pack("{s:s}", "resource", s->resource);
        aslrtp_ex_put_payload(d, "input", ASLRTP_EFF(f));
        if (asked_timeout > 0)
            json_object_set_new(d, "timeoutInSeconds", json_integer((json_int_t)asked_timeout));
        if (asked_heartbeat > 0)
            json_object_set_new(d, "heartbeatInSeconds",
                                json_integer((json_int_t)asked_heartbeat));
    }
    aslrtp_ex_chain(ex, ASLRTP_EV_ACTIVITY_SCHEDULED, d);
    json_t *out = NULL;
    callback_end end = await_callback(ex, cb, timeout, capped, heartbeat, started, true, &out, &err);
    if (end == CALLBACK_STATE_ENDED)
        return 0;
    if (end == CALLBACK_FAILED) {
        /* The worker's error and cause, as SendTaskFailure gave them. */
        activity_ended(ex, ASLRTP_EV_ACTIVITY_FAILED, err.error, err.cause, NULL);
        aslrt_error_set(&ex->error, err.error, err.cause);
        aslrt_error_clear(&err);
        ex->status = ASLRT_FAILED;
        return 0;
    }
    if (aslrtp_ex_over_quota(ex, out)) {
        json_decref(out);
        data_limit_exceeded(ex, s->resource);
        activity_ended(ex, ASLRTP_EV_ACTIVITY_FAILED, ex->error.error, ex->error.cause, NULL);
        return 0;
    }
    activity_ended(ex, ASLRTP_EV_ACTIVITY_SUCCEEDED, NULL, NULL, out);
    aslrtp_slot_set(&f->eff, NULL);
    aslrtp_slot_set(&f->res, out);
    return 1;
}

/* ---- The op ------------------------------------------------------------- */

int aslrt_op_invoke(aslrt_exec *ex, aslrt_frame *f)
{
    const aslrt_state *s = ex->state;
    double timeout = s->timeout_seconds;
    double heartbeat = s->heartbeat_seconds;
    ex->heartbeat_expired = 0;
    if (s->jsonata) {
        /* TimeoutSeconds and HeartbeatSeconds written as expressions. */
        int knobs[2] = {s->timeout_path, s->heartbeat_path};
        for (int k = 0; k < 2; k++) {
            if (knobs[k] == ASLRT_NONE)
                continue;
            json_t *v = aslrtp_ex_jn_typed(ex, knobs[k], f->raw, JSON_INTEGER, "integer");
            if (!v)
                return 0;
            bool ok;
            long long t = aslrtp_int_value(v, &ok);
            if (!ok || t <= 0) {
                char *d = aslrtp_jfield_type_error(aslrtp_ex_item(ex, knobs[k])->jn,
                                                   "positive integer", v);
                json_decref(v);
                aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_QUERY_EVALUATION_ERROR, d);
                free(d);
                return 0;
            }
            json_decref(v);
            if (k == 0)
                timeout = (double)t;
            else
                heartbeat = (double)t;
        }
    } else if (s->timeout_path != ASLRT_NONE) {
        json_t *v = aslrtp_ex_select(ex, s->timeout_path, f->raw);
        if (!v)
            return 0;
        bool ok;
        long long t = aslrtp_path_int(v, &ok);
        json_decref(v);
        if (!ok || t <= 0) {
            return aslrtp_ex_fail_in_state(
                ex, ASLRTP_ERR_RUNTIME,
                "The TimeoutSecondsPath parameter does not reference a positive integer");
        }
        timeout = (double)t;
    }
    /* doc/behaviour.md §21.1: a request-response call has no heartbeats (they
     * start once a callback task is waiting), so HeartbeatSeconds only has
     * to be valid here; its path must still resolve, as on AWS. */
    if (!s->jsonata && s->heartbeat_path != ASLRT_NONE) {
        /* Recorded on AWS: the ...Path fields read the state input, not
         * Parameters' output. */
        json_t *v = aslrtp_ex_select(ex, s->heartbeat_path, f->raw);
        if (!v)
            return 0;
        bool ok;
        long long t = aslrtp_path_int(v, &ok);
        json_decref(v);
        /* A callback task counts with it: a positive integer. */
        if ((aslrtp_ex_is_callback(s) || (ex->cfg->activity && aslrtp_ex_is_activity(s))) &&
            (!ok || t <= 0))
            return aslrtp_ex_fail_in_state(
                ex, ASLRTP_ERR_RUNTIME,
                "The HeartbeatSecondsPath parameter does not reference a positive integer");
        heartbeat = (double)t;
    }
    /* The history shows the timeouts the state asked for. */
    double asked_timeout = timeout, asked_heartbeat = heartbeat;
    /* The execution's own deadline bounds the task too, and in Express the
     * 5 minutes an execution may run (a Standard one's year is checked
     * between states). */
    bool capped = false;
    long long end = ex->deadline_ms;
    if (ex->express && (!end || ex->limit_ms < end))
        end = ex->limit_ms;
    if (end) {
        double left = (double)(end - aslrtp_ex_clock_ms(ex)) / 1000;
        if (left <= 0)
            return aslrtp_ex_timed_out(ex);
        if (timeout <= 0 || left < timeout) {
            timeout = left;
            capped = true;
        }
    }
    answerer by = answerer_of(ex, f->state);
    if (by == BY_ACTIVITY)
        return invoke_activity(ex, f, timeout, capped, heartbeat, asked_timeout, asked_heartbeat);
    task_started(ex, ASLRTP_EFF(f), asked_timeout, asked_heartbeat);
    /* No room in the history for its scheduling: it is not invoked
     * (doc/behaviour.md §33). */
    if (aslrtp_ex_history_full(ex))
        return aslrtp_ex_aborted(ex);
    json_t *out = NULL, *submitted = NULL;
    aslrt_error err = {NULL, NULL};
    /* A callback task (not mocked: a mock answers at once, as in Step
     * Functions Local) accepts its token's calls from the invocation on. */
    aslrtp_cb_task *cb = NULL;
    long long started = 0;
    if (by != BY_MOCK && aslrtp_ex_is_callback(s)) {
        const char *token = aslrtp_ex_task_token(ex, &err);
        cb = token ? aslrtp_cb_open(ex->callbacks, token, &err) : NULL;
        if (!cb) {
            aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_RUNTIME, err.cause ? err.cause : "");
            aslrt_error_clear(&err);
            return 0;
        }
        started = aslrtp_ex_clock_ms(ex);
    }
    int ok = 0;
    switch (by) {
    case BY_MOCK:
        /* Every invocation counts, retries included. */
        ok = aslrtp_mock_invoke(ex->cfg->mocks, f->state, s->name,
                                __atomic_fetch_add(&ex->mock_calls[f->state], 1, __ATOMIC_RELAXED),
                                &out, &err);
        break;
    case BY_LAMBDA:
        ok = invoke_lambda(ex, ASLRTP_EFF(f), timeout, &out, &err);
        break;
    case BY_BINDING:
        ok = aslrtp_task_invoke_state(ex->cfg->bindings, s->name, s->resource, ASLRTP_EFF(f),
                                      timeout, task_cancel(ex), 0, NULL, NULL, NULL, &out, &err);
        break;
    case BY_AWS:
        ok = aslrtp_aws_invoke(ex->cfg, aslrtp_ex_region(ex), s->resource, ASLRTP_EFF(f), timeout,
                               task_cancel(ex), &out, &err);
        break;
    case BY_LOCAL:
        ok = aslrtp_nested_invoke(ex, ASLRTP_EFF(f), timeout, &submitted, &out, &err);
        break;
    case BY_ACTIVITY: /* invoke_activity answered above */
        break;
    }
    if (submitted) {
        /* A .sync job: the start's response, then its end. */
        task_event(ex, ASLRTP_EV_TASK_SUBMITTED, NULL, NULL, submitted);
        json_decref(submitted);
    }
    if (!ok && aslrtp_flag(ex->cfg->abort_flag)) {
        /* Stopped by the execution's abort, not failed. */
        if (cb)
            aslrtp_cb_close(cb);
        aslrt_error_clear(&err);
        return aslrtp_ex_aborted(ex);
    }
    if (cb && !ok) {
        aslrtp_cb_close(cb);
    } else if (cb) {
        /* The invocation's response is not the result (TaskSubmitted). */
        task_event(ex, ASLRTP_EV_TASK_SUBMITTED, NULL, NULL, out);
        json_decref(out);
        out = NULL;
        callback_end end =
            await_callback(ex, cb, timeout, capped, heartbeat, started, false, &out, &err);
        if (end == CALLBACK_STATE_ENDED)
            return 0;
        ok = end == CALLBACK_SUCCEEDED;
    }
    bool timeout_error = !ok && err.error && strcmp(err.error, ASLRTP_ERR_TIMEOUT) == 0;
    if (!ok)
        task_event(ex, timeout_error ? ASLRTP_EV_TASK_TIMED_OUT : ASLRTP_EV_TASK_FAILED, err.error,
                   err.cause, NULL);
    if (timeout_error && capped) {
        aslrt_error_clear(&err);
        return aslrtp_ex_timed_out(ex);
    }
    if (!ok) {
        aslrt_error_set(&ex->error, err.error, err.cause);
        aslrt_error_clear(&err);
        ex->status = ASLRT_FAILED;
        return 0;
    }
    if (aslrtp_ex_over_quota(ex, out)) {
        json_decref(out);
        /* Recorded on AWS: the optimized integration names its service. */
        data_limit_exceeded(ex, is_lambda_invoke(s->resource) ? "lambda" : s->resource);
        task_event(ex, ASLRTP_EV_TASK_FAILED, ex->error.error, ex->error.cause, NULL);
        return 0;
    }
    task_event(ex, ASLRTP_EV_TASK_SUCCEEDED, NULL, NULL, out);
    aslrtp_slot_set(&f->eff, NULL);
    aslrtp_slot_set(&f->res, out);
    return 1;
}

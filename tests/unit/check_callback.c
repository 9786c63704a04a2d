/*
 * check_callback.c - callback tasks (.waitForTaskToken, callback.c and its
 * use in exec.c): the token in $$.Task.Token, SendTaskSuccess /
 * SendTaskFailure / SendTaskHeartbeat through aslrt_send_task_*, timeouts
 * and heartbeats on the real and the virtual clock, the API's errors for
 * tokens used twice, unknown or malformed, Map iterations waiting together,
 * mocks, aborts.  Definitions go through the whole pipeline (parse,
 * validate, lower, emit C, TinyCC) and run in process with C handlers that
 * complete their task themselves or leave it to a thread of the test.
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "aslrt_private.h"
#include "ast.h"
#include "backend.h"
#include "config.h"
#include "ir.h"
#include "unit.h"
#include "testutil.h"

#ifdef HAVE_LIBTCC

#define START_MS 1700000000000LL

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* ---- What the handlers saw and did -------------------------------------- */

/* Tokens the handler was given, in call order, and the answers of the
 * calls it made (an AWS error code, or "ok"). */
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static char *tokens[16];
static long token_index[16];     /* the event's "i", or -1 */
static int ntokens;
static char *answers[16];
static int nanswers;
/* Threads the handlers started, joined by finish(). */
static pthread_t threads[16];
static int nthreads;

static void note_answer(int ok, const aslrt_error *e)
{
    pthread_mutex_lock(&seen_mu);
    if (nanswers < 16)
        answers[nanswers++] = aslrtp_strdup(ok ? "ok" : e->error ? e->error : "?");
    pthread_mutex_unlock(&seen_mu);
}

static void reset_seen(void)
{
    for (int i = 0; i < ntokens; i++)
        free(tokens[i]);
    for (int i = 0; i < nanswers; i++)
        free(answers[i]);
    ntokens = nanswers = 0;
}

static void join_threads(void)
{
    for (int i = 0; i < nthreads; i++)
        pthread_join(threads[i], NULL);
    nthreads = 0;
}

/* A later completion: after delay_ms, `beats` heartbeats every beat_ms,
 * then success with output (when not NULL) or failure. */
typedef struct later {
    char *token;
    long delay_ms, beat_ms;
    int beats;
    char *output;
    char *error, *cause;
    int fail;
} later;

static void *later_main(void *arg)
{
    later *l = arg;
    sleep_ms(l->delay_ms);
    aslrt_error e = {NULL, NULL};
    for (int i = 0; i < l->beats; i++) {
        note_answer(aslrt_send_task_heartbeat(l->token, &e), &e);
        aslrt_error_clear(&e);
        sleep_ms(l->beat_ms);
    }
    int ok = l->fail ? aslrt_send_task_failure(l->token, l->error, l->cause, &e)
                     : aslrt_send_task_success(l->token, l->output, &e);
    note_answer(ok, &e);
    aslrt_error_clear(&e);
    free(l->token);
    free(l->output);
    free(l->error);
    free(l->cause);
    free(l);
    return NULL;
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static char *dup_or_null(const char *s)
{
    return s ? aslrtp_strdup(s) : NULL;
}

/* The handler of every test: its event says what to do with the token.
 *   {"token", "do": "success"|"fail"|"twice"|"none"|"later"|"error",
 *    "output": JSON text, "error", "cause", "delay", "beats", "beat"} */
static int handler(void *ud, json_t *event, json_t **output, aslrt_error *err)
{
    (void)ud;
    const char *token = str(event, "token");
    const char *what = str(event, "do");
    if (!what)
        what = "none";
    pthread_mutex_lock(&seen_mu);
    int call = ntokens;
    if (ntokens < 16) {
        json_t *i = json_object_get(event, "i");
        token_index[ntokens] = i ? (long)json_integer_value(i) : -1;
        tokens[ntokens++] = dup_or_null(token);
    }
    pthread_mutex_unlock(&seen_mu);
    aslrt_error e = {NULL, NULL};
    if (strcmp(what, "error") == 0) {
        aslrt_error_set(err, "Boom", "the handler failed");
        return 0;
    }
    /* "second": completes only the second call's task. */
    if (strcmp(what, "success") == 0 || strcmp(what, "twice") == 0 ||
        (strcmp(what, "second") == 0 && call == 1)) {
        note_answer(aslrt_send_task_success(token, str(event, "output"), &e), &e);
        aslrt_error_clear(&e);
    }
    if (strcmp(what, "twice") == 0) {
        note_answer(aslrt_send_task_success(token, "{\"again\":true}", &e), &e);
        aslrt_error_clear(&e);
    }
    if (strcmp(what, "fail") == 0) {
        note_answer(aslrt_send_task_failure(token, str(event, "error"), str(event, "cause"), &e),
                    &e);
        aslrt_error_clear(&e);
    }
    if (strcmp(what, "later") == 0) {
        later *l = calloc(1, sizeof *l);
        l->token = dup_or_null(token);
        l->delay_ms = (long)json_integer_value(json_object_get(event, "delay"));
        l->beats = (int)json_integer_value(json_object_get(event, "beats"));
        l->beat_ms = (long)json_integer_value(json_object_get(event, "beat"));
        l->output = dup_or_null(str(event, "output"));
        l->fail = json_is_string(json_object_get(event, "error")) ||
                  json_is_true(json_object_get(event, "fail"));
        l->error = dup_or_null(str(event, "error"));
        l->cause = dup_or_null(str(event, "cause"));
        pthread_mutex_lock(&seen_mu);
        ck_assert_int_eq(pthread_create(&threads[nthreads++], NULL, later_main, l), 0);
        pthread_mutex_unlock(&seen_mu);
    }
    /* What the function returns is only the TaskSubmitted event's. */
    *output = json_pack("{s:s}", "submitted", "yes");
    return 1;
}

/* ---- Running definitions ------------------------------------------------ */

typedef struct result {
    int status;
    json_t *output;
    aslrt_error err;
    double real_s;            /* the real time aslrt_execute took */
} result;

/* Settings for the next run(). */
static int run_wait = ASLRT_WAIT_REAL;
static double run_scale = 1.0;
static int run_threads;
static const char *mock_text, *mock_case;
static volatile int run_abort;

static result run(const char *def, const char *input)
{
    result r = {0, NULL, {NULL, NULL}, 0};
    jit_def d;
    jit_def_compile(&d, def, &r.err);
    aslrt_bindings *b = aslrt_bindings_create();
    aslrt_bindings_add_c(b, "*", handler, NULL);
    aslrt_config cfg;
    aslrt_config_init(&cfg);
    cfg.bindings = b;
    cfg.threads = run_threads;
    cfg.wait_mode = run_wait;
    cfg.wait_scale = run_scale;
    cfg.start_time_ms = START_MS;
    cfg.abort_flag = &run_abort;
    aslrt_mocks *mocks = NULL;
    if (mock_text) {
        mocks = mocks_from_text(mock_text, mock_case, asl_jit_machine(d.j), &r.err);
        cfg.mocks = mocks;
    }
    json_error_t je;
    json_t *in = json_loads(input, JSON_DECODE_ANY, &je);
    ck_assert_ptr_nonnull(in);
    double t0 = wall_s();
    r.status = aslrt_execute(d.p, &cfg, in, &r.output, &r.err);
    r.real_s = wall_s() - t0;
    json_decref(in);
    aslrt_mocks_destroy(mocks);
    aslrt_bindings_destroy(b);
    jit_def_free(&d);
    return r;
}

static void finish(result *r)
{
    join_threads();
    json_decref(r->output);
    aslrt_error_clear(&r->err);
    reset_seen();
    run_wait = ASLRT_WAIT_REAL;
    run_scale = 1.0;
    run_threads = 0;
    run_abort = 0;
}

static void assert_output(const result *r, const char *json)
{
    ck_assert_msg(r->status == ASLRT_SUCCEEDED, "failed: %s: %s", r->err.error ? r->err.error : "",
                  r->err.cause ? r->err.cause : "");
    json_error_t je;
    json_t *want = json_loads(json, JSON_DECODE_ANY, &je);
    ck_assert_ptr_nonnull(want);
    char *got = aslrt_json_dumps(r->output);
    ck_assert_msg(json_equal(want, r->output), "output %s, expected %s", got, json);
    free(got);
    json_decref(want);
}

/* A callback task (lambda:invoke.waitForTaskToken) whose Payload is the
 * input plus the token, with the extra fields given (JSON members), then
 * a Pass state "After" that reports the time it was entered. */
static char *callback_def(const char *extra)
{
    return aslrtp_strdupf(
        "{\"StartAt\":\"Wait\",\"States\":{"
        "\"Wait\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke.waitForTaskToken\","
        "\"Parameters\":{\"FunctionName\":\"cb\",\"Payload\":{\"token.$\":\"$$.Task.Token\","
        "\"do.$\":\"$.do\",\"output.$\":\"$.output\",\"error.$\":\"$.error\",\"cause.$\":\"$.cause\","
        "\"delay.$\":\"$.delay\",\"beats.$\":\"$.beats\",\"beat.$\":\"$.beat\"}},%s%s"
        "\"Next\":\"After\"},"
        "\"After\":{\"Type\":\"Pass\",\"Parameters\":{\"result.$\":\"$\",\"t.$\":\"$$.State.EnteredTime\"},"
        "\"End\":true}}}",
        extra, *extra ? "," : "");
}

/* An input for callback_def: what the handler does, with defaults. */
static char *input_for(const char *what, const char *more)
{
    return aslrtp_strdupf("{\"do\":\"%s\",\"output\":\"{}\",\"error\":null,\"cause\":null,"
                          "\"delay\":0,\"beats\":0,\"beat\":0%s%s}",
                          what, *more ? "," : "", more);
}

/* Seconds of execution time from the start to the "After" state. */
static double after_s(const result *r)
{
    const char *t = str(r->output, "t");
    ck_assert_ptr_nonnull(t);
    int64_t sec;
    int32_t ns;
    ck_assert(aslrtp_timestamp_parse(t, &sec, &ns));
    return (double)sec + ns / 1e9 - START_MS / 1000.0;
}

static json_t *result_of(const result *r)
{
    return json_object_get(r->output, "result");
}

/* ---- Success, failure ----------------------------------------------------- */

START_TEST(success_output_is_the_result)
{
    char *def = callback_def("\"ResultSelector\":{\"got.$\":\"$.v\",\"token.$\":\"$$.Task.Token\"}");
    char *in = input_for("success", "\"output\":\"{\\\"v\\\":[1,2.5,\\\"x\\\"]}\"");
    result r = run(def, in);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    json_t *res = result_of(&r);
    char *got = aslrt_json_dumps(json_object_get(res, "got"));
    ck_assert_str_eq(got, "[1,2.5,\"x\"]");
    free(got);
    /* The token is the same through the state visit, and the function
     * was given it. */
    ck_assert_int_eq(ntokens, 1);
    ck_assert_str_eq(str(res, "token"), tokens[0]);
    ck_assert_int_eq(nanswers, 1);
    ck_assert_str_eq(answers[0], "ok");
    finish(&r);
    free(def);
    free(in);
}
END_TEST

START_TEST(failure_caught_with_error_and_cause)
{
    char *def = callback_def("\"Catch\":[{\"ErrorEquals\":[\"Rejected\"],\"ResultPath\":\"$.err\","
                             "\"Next\":\"After\"}]");
    char *in = input_for("fail", "\"error\":\"Rejected\",\"cause\":\"not today\"");
    result r = run(def, in);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    json_t *e = json_object_get(result_of(&r), "err");
    ck_assert_str_eq(str(e, "Error"), "Rejected");
    ck_assert_str_eq(str(e, "Cause"), "not today");
    finish(&r);
    free(def);
    free(in);
}
END_TEST

START_TEST(failure_without_error_or_cause)
{
    /* Recorded on AWS: States.ALL catches it; the error output holds two
     * nulls.  Uncaught, the execution fails with neither. */
    char *def = callback_def("\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"ResultPath\":\"$.err\","
                             "\"Next\":\"After\"}]");
    char *in = input_for("fail", "");
    result r = run(def, in);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    char *got = aslrt_json_dumps(json_object_get(result_of(&r), "err"));
    ck_assert_str_eq(got, "{\"Error\":null,\"Cause\":null}");
    free(got);
    finish(&r);
    free(def);

    def = callback_def("");
    r = run(def, in);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_ptr_null(r.err.error);
    ck_assert_ptr_null(r.err.cause);
    finish(&r);
    free(def);
    free(in);
}
END_TEST

START_TEST(success_from_another_thread_later)
{
    char *def = callback_def("");
    char *in = input_for("later", "\"delay\":300,\"output\":\"\\\"late\\\"\"");
    result r = run(def, in);
    assert_output(&(result){r.status, json_object_get(r.output, "result"), r.err, 0}, "\"late\"");
    finish(&r);
    free(def);
    free(in);
}
END_TEST

START_TEST(invocation_failure_does_not_wait)
{
    /* TimeoutSeconds is longer than the test case's time limit: that the
     * run returns at all shows it did not wait for a callback. */
    char *def = callback_def("\"TimeoutSeconds\":3600");
    char *in = input_for("error", "");
    result r = run(def, in);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.error, "Boom");
    /* Its task is closed: the token is refused (the execution ended). */
    aslrt_error e = {NULL, NULL};
    ck_assert_int_eq(ntokens, 1);
    ck_assert(!aslrt_send_task_success(tokens[0], "{}", &e));
    ck_assert_str_eq(e.error, "TaskTimedOut");
    aslrt_error_clear(&e);
    finish(&r);
    free(def);
    free(in);
}
END_TEST

/* ---- The API's errors ------------------------------------------------------ */

START_TEST(token_used_twice)
{
    char *def = callback_def("");
    char *in = input_for("twice", "\"output\":\"1\"");
    result r = run(def, in);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    ck_assert_int_eq(json_integer_value(result_of(&r)), 1);
    ck_assert_int_eq(nanswers, 2);
    ck_assert_str_eq(answers[0], "ok");
    ck_assert_str_eq(answers[1], "TaskTimedOut");
    /* After the execution, the same. */
    aslrt_error e = {NULL, NULL};
    ck_assert(!aslrt_send_task_heartbeat(tokens[0], &e));
    ck_assert_str_eq(e.error, "TaskTimedOut");
    ck_assert_str_eq(e.cause, "Task Timed Out: 'Provided task does not exist anymore'");
    aslrt_error_clear(&e);
    finish(&r);
    free(def);
    free(in);
}
END_TEST

/* token with its secret replaced by zeros: well formed, never issued.
 * NULL when token is not what callback.c makes. */
static char *forge(const char *token)
{
    size_t n = strlen(token), padded = (n + 3) / 4 * 4;
    char *in = calloc(padded + 1, 1), *plain = calloc(padded, 1);
    for (size_t i = 0; i < n; i++)
        in[i] = token[i] == '-' ? '+' : token[i] == '_' ? '/' : token[i];
    memset(in + n, '=', padded - n);
    int len = EVP_DecodeBlock((unsigned char *)plain, (unsigned char *)in, (int)padded);
    if (len < 40 || strncmp(plain, "aslc:1:", 7) != 0) {
        free(in);
        free(plain);
        return NULL;
    }
    memset(plain + 7, '0', 32);
    len = (int)strlen(plain);
    char *out = calloc(4 * ((size_t)len + 2) / 3 + 4, 1);
    int m = EVP_EncodeBlock((unsigned char *)out, (unsigned char *)plain, len);
    while (m > 0 && out[m - 1] == '=')
        out[--m] = '\0';
    for (char *p = out; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    free(in);
    free(plain);
    return out;
}


/* The first token the handler was given, waiting up to 5 s for it. */
static char *first_token(void)
{
    char *token = NULL;
    for (int i = 0; i < 500 && !token; i++) {
        pthread_mutex_lock(&seen_mu);
        if (ntokens > 0 && tokens[0])
            token = aslrtp_strdup(tokens[0]);
        pthread_mutex_unlock(&seen_mu);
        if (!token)
            sleep_ms(10);
    }
    return token;
}

/* While the task waits: output that is not JSON, a forged token of the same
 * execution, a heartbeat, and then success. */
static void *probe_main(void *arg)
{
    (void)arg;
    char *token = first_token();
    if (!token)
        return NULL;
    aslrt_error e = {NULL, NULL};
    note_answer(aslrt_send_task_success(token, "not JSON", &e), &e);
    aslrt_error_clear(&e);
    char *forged = forge(token);
    note_answer(forged && aslrt_send_task_success(forged, "{}", &e), &e);
    aslrt_error_clear(&e);
    note_answer(aslrt_send_task_heartbeat(token, &e), &e);
    aslrt_error_clear(&e);
    note_answer(aslrt_send_task_success(token, "{\"fine\":true}", &e), &e);
    aslrt_error_clear(&e);
    free(forged);
    free(token);
    return NULL;
}

START_TEST(bad_and_unknown_tokens)
{
    aslrt_error e = {NULL, NULL};
    ck_assert(!aslrt_send_task_success("not a token!", "{}", &e));
    ck_assert_str_eq(e.error, "InvalidToken");
    ck_assert_str_eq(e.cause, "Invalid Token: 'Invalid token'");
    ck_assert(!aslrt_send_task_failure("QUJD", NULL, NULL, &e));
    ck_assert_str_eq(e.error, "InvalidToken");
    ck_assert(!aslrt_send_task_heartbeat("", &e));
    ck_assert_str_eq(e.error, "ValidationException");
    aslrt_error_clear(&e);

    char *def = callback_def("\"TimeoutSeconds\":20");
    char *in = input_for("none", "");
    ck_assert_int_eq(pthread_create(&threads[nthreads++], NULL, probe_main, NULL), 0);
    result r = run(def, in);
    join_threads();
    assert_output(&(result){r.status, result_of(&r), r.err, 0}, "{\"fine\":true}");
    ck_assert_int_eq(nanswers, 4);
    ck_assert_str_eq(answers[0], "InvalidOutput");
    ck_assert_str_eq(answers[1], "TaskDoesNotExist");
    ck_assert_str_eq(answers[2], "ok");
    ck_assert_str_eq(answers[3], "ok");
    finish(&r);
    free(def);
    free(in);
}
END_TEST

/* ---- Timeouts and heartbeats ---------------------------------------------- */

START_TEST(heartbeats_keep_the_task_alive)
{
    /* Five heartbeats 600 ms apart outlive HeartbeatSeconds 2. */
    char *def = callback_def("\"TimeoutSeconds\":20,\"HeartbeatSeconds\":2");
    char *in = input_for("later", "\"beats\":5,\"beat\":600,\"output\":\"\\\"alive\\\"\"");
    result r = run(def, in);
    join_threads(); /* its last answer may come after the execution ended */
    assert_output(&(result){r.status, result_of(&r), r.err, 0}, "\"alive\"");
    ck_assert_int_eq(nanswers, 6);
    for (int i = 0; i < 6; i++)
        ck_assert_str_eq(answers[i], "ok");
    finish(&r);
    free(def);
    free(in);
}
END_TEST

START_TEST(no_callback_times_out)
{
    char *def = callback_def("\"TimeoutSeconds\":1");
    char *in = input_for("none", "");
    result r = run(def, in);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.error, "States.Timeout");
    ck_assert_ptr_null(r.err.cause);
    /* The token is closed now (and the execution gone). */
    aslrt_error e = {NULL, NULL};
    ck_assert(!aslrt_send_task_success(tokens[0], "{}", &e));
    ck_assert_str_eq(e.error, "TaskTimedOut");
    aslrt_error_clear(&e);
    finish(&r);
    free(def);
    free(in);
}
END_TEST

START_TEST(missed_heartbeat)
{
    /* Recorded on AWS: States.Timeout.  A States.HeartbeatTimeout catcher
     * takes it (the documented name), States.TaskFailed does not. */
    char *in = input_for("none", "");
    /* TimeoutSeconds is longer than the test case's time limit, so only
     * the heartbeat can have ended the wait. */
    char *def = callback_def("\"TimeoutSeconds\":3600,\"HeartbeatSeconds\":1,\"Catch\":["
                             "{\"ErrorEquals\":[\"States.TaskFailed\"],\"ResultPath\":\"$.tf\","
                             "\"Next\":\"After\"},"
                             "{\"ErrorEquals\":[\"States.HeartbeatTimeout\"],\"ResultPath\":\"$.hb\","
                             "\"Next\":\"After\"}]");
    result r = run(def, in);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    ck_assert_ptr_null(json_object_get(result_of(&r), "tf"));
    ck_assert_str_eq(str(json_object_get(result_of(&r), "hb"), "Error"), "States.Timeout");
    finish(&r);
    free(def);

    def = callback_def("\"HeartbeatSeconds\":1");
    r = run(def, in);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.error, "States.Timeout");
    finish(&r);
    free(def);

    /* A plain timeout is no heartbeat timeout. */
    def = callback_def("\"TimeoutSeconds\":1,\"Catch\":[{\"ErrorEquals\":"
                       "[\"States.HeartbeatTimeout\"],\"Next\":\"After\"}]");
    r = run(def, in);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.error, "States.Timeout");
    finish(&r);
    free(def);
    free(in);
}
END_TEST

START_TEST(skipped_clock_times_out_at_once)
{
    /* An hour on the clock, longer than the test case's time limit: only
     * a skipped wait returns. */
    char *in = input_for("none", "");
    char *def = callback_def("\"TimeoutSeconds\":3600,\"Catch\":[{\"ErrorEquals\":"
                             "[\"States.Timeout\"],\"ResultPath\":\"$.err\",\"Next\":\"After\"}]");
    run_wait = ASLRT_WAIT_SKIP;
    result r = run(def, in);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    assert_skipped_span(after_s(&r), 3600, r.real_s);
    finish(&r);
    free(def);

    def = callback_def("\"TimeoutSeconds\":100,\"HeartbeatSeconds\":40,\"Catch\":[{\"ErrorEquals\":"
                       "[\"States.HeartbeatTimeout\"],\"ResultPath\":\"$.err\",\"Next\":\"After\"}]");
    run_wait = ASLRT_WAIT_SKIP;
    r = run(def, in);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    assert_skipped_span(after_s(&r), 40, r.real_s);
    finish(&r);
    free(def);
    free(in);

    /* A callback sent during the invocation has arrived: no timeout. */
    def = callback_def("\"TimeoutSeconds\":100,\"HeartbeatSeconds\":40");
    in = input_for("success", "\"output\":\"[true]\"");
    run_wait = ASLRT_WAIT_SKIP;
    r = run(def, in);
    assert_output(&(result){r.status, result_of(&r), r.err, 0}, "[true]");
    finish(&r);
    free(def);
    free(in);
}
END_TEST

START_TEST(scaled_clock)
{
    /* TimeoutSeconds 1000 at scale 0.001: one real second, 1000 on the
     * clock; unscaled, the wait would outlast the test case's time limit.
     * Neither clock can end it early. */
    char *in = input_for("none", "");
    char *def = callback_def("\"TimeoutSeconds\":1000,\"Catch\":[{\"ErrorEquals\":"
                             "[\"States.Timeout\"],\"ResultPath\":\"$.err\",\"Next\":\"After\"}]");
    run_wait = ASLRT_WAIT_SCALE;
    run_scale = 0.001;
    result r = run(def, in);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    ck_assert(after_s(&r) >= 1000);
    finish(&r);
    free(def);
    free(in);
}
END_TEST

START_TEST(execution_timeout_caps_the_wait)
{
    /* No TimeoutSeconds on the task: the execution's bounds it, and ends
     * it as timed out (not a task error a catcher could take). */
    const char *def =
        "{\"TimeoutSeconds\":3600,\"StartAt\":\"Wait\",\"States\":{\"Wait\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:states:::lambda:invoke.waitForTaskToken\","
        "\"Parameters\":{\"FunctionName\":\"cb\",\"Payload\":{\"token.$\":\"$$.Task.Token\"}},"
        "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"Done\"}],\"End\":true},"
        "\"Done\":{\"Type\":\"Succeed\"}}}";
    run_wait = ASLRT_WAIT_SKIP;
    result r = run(def, "{}");
    ck_assert_int_eq(r.status, ASLRT_TIMED_OUT);
    ck_assert_str_eq(r.err.error, "States.Timeout");
    finish(&r);
}
END_TEST

static void *abort_soon(void *arg)
{
    (void)arg;
    sleep_ms(300);
    __atomic_store_n(&run_abort, 1, __ATOMIC_RELEASE);
    return NULL;
}

START_TEST(abort_while_waiting)
{
    char *def = callback_def("");
    char *in = input_for("none", "");
    ck_assert_int_eq(pthread_create(&threads[nthreads++], NULL, abort_soon, NULL), 0);
    result r = run(def, in);
    /* with no TimeoutSeconds, only the abort can end the wait */
    ck_assert_int_eq(r.status, ASLRT_ABORTED);
    finish(&r);
    free(def);
    free(in);
}
END_TEST

START_TEST(retry_gets_a_new_token)
{
    /* The first attempt times out (at once: skipped clock), the retry's
     * task is completed by its invocation; each attempt had its token. */
    char *def = callback_def("\"TimeoutSeconds\":5,\"Retry\":[{\"ErrorEquals\":[\"States.Timeout\"],"
                             "\"MaxAttempts\":1}]");
    char *in = input_for("second", "\"output\":\"\\\"retried\\\"\"");
    run_wait = ASLRT_WAIT_SKIP;
    result r = run(def, in);
    assert_output(&(result){r.status, result_of(&r), r.err, 0}, "\"retried\"");
    ck_assert_int_eq(ntokens, 2);
    ck_assert_str_ne(tokens[0], tokens[1]);
    assert_skipped_span(after_s(&r), 6, r.real_s);
    finish(&r);
    free(def);
    free(in);
}
END_TEST

START_TEST(heartbeat_path_must_be_a_positive_integer)
{
    char *def = callback_def("\"HeartbeatSecondsPath\":\"$.hb\"");
    char *in = input_for("success", "\"hb\":\"soon\"");
    result r = run(def, in);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.error, "States.Runtime");
    ck_assert_msg(strstr(r.err.cause, "HeartbeatSecondsPath"), "cause: %s", r.err.cause);
    ck_assert_int_eq(ntokens, 0);
    finish(&r);
    free(in);
    in = input_for("success", "\"hb\":3");
    r = run(def, in);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    finish(&r);
    free(def);
    free(in);
}
END_TEST

/* ---- Map, mocks, the context -------------------------------------------------- */

static void *complete_in_reverse(void *arg)
{
    int n = *(int *)arg;
    /* Every iteration's task waits before any completes. */
    for (int k = 0; k < 1000; k++) {
        pthread_mutex_lock(&seen_mu);
        int have = ntokens;
        pthread_mutex_unlock(&seen_mu);
        if (have >= n)
            break;
        sleep_ms(10);
    }
    for (long i = n - 1; i >= 0; i--) {
        char *token = NULL;
        pthread_mutex_lock(&seen_mu);
        for (int k = 0; k < ntokens; k++)
            if (token_index[k] == i)
                token = aslrtp_strdup(tokens[k]);
        pthread_mutex_unlock(&seen_mu);
        char out[64];
        snprintf(out, sizeof out, "{\"i\":%ld,\"order\":%ld}", i, n - 1 - i);
        aslrt_error e = {NULL, NULL};
        note_answer(token && aslrt_send_task_success(token, out, &e), &e);
        aslrt_error_clear(&e);
        free(token);
        sleep_ms(50);
    }
    return NULL;
}

START_TEST(map_iterations_completed_in_reverse)
{
    const char *def =
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemsPath\":\"$.items\","
        "\"ItemProcessor\":{\"ProcessorConfig\":{\"Mode\":\"INLINE\"},\"StartAt\":\"W\","
        "\"States\":{\"W\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:states:::lambda:invoke.waitForTaskToken\",\"TimeoutSeconds\":30,"
        "\"Parameters\":{\"FunctionName\":\"cb\",\"Payload\":{\"token.$\":\"$$.Task.Token\","
        "\"do\":\"none\",\"i.$\":\"$\"}},\"End\":true}}},\"End\":true}}}";
    static int n = 4;
    run_threads = 4;
    ck_assert_int_eq(pthread_create(&threads[nthreads++], NULL, complete_in_reverse, &n), 0);
    result r = run(def, "{\"items\":[0,1,2,3]}");
    join_threads();
    assert_output(&r, "[{\"i\":0,\"order\":3},{\"i\":1,\"order\":2},{\"i\":2,\"order\":1},"
                      "{\"i\":3,\"order\":0}]");
    ck_assert_int_eq(ntokens, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_str_eq(answers[i], "ok");
    finish(&r);
}
END_TEST

START_TEST(mocked_callback_answers_at_once)
{
    /* Step Functions Local returns a mocked callback task's response at
     * once; the function is not called. */
    mock_text = "{\"StateMachines\":{\"t\":{\"TestCases\":{\"Happy\":{\"Wait\":\"R\"}}}},"
                "\"MockedResponses\":{\"R\":{\"0\":{\"Return\":{\"mocked\":true}}}}}";
    mock_case = "Happy";
    /* TimeoutSeconds outlasts the test case's time limit: only a mock
     * answering at once returns */
    char *def = callback_def("\"TimeoutSeconds\":3600");
    char *in = input_for("none", "");
    result r = run(def, in);
    mock_text = NULL;
    assert_output(&(result){r.status, result_of(&r), r.err, 0}, "{\"mocked\":true}");
    ck_assert_int_eq(ntokens, 0);
    finish(&r);
    free(def);
    free(in);
}
END_TEST

START_TEST(token_only_in_callback_tasks)
{
    const char *def =
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Parameters\":{\"c.$\":\"$$\"},"
        "\"Next\":\"T\"},\"T\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\","
        "\"Parameters\":{\"FunctionName\":\"cb\",\"Payload\":{}},"
        "\"ResultSelector\":{\"c.$\":\"$$\"},\"ResultPath\":\"$.t\",\"End\":true}}}";
    result r = run(def, "{}");
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    ck_assert_ptr_null(json_object_get(json_object_get(r.output, "c"), "Task"));
    ck_assert_ptr_null(json_object_get(json_object_get(json_object_get(r.output, "t"), "c"), "Task"));
    ck_assert_ptr_nonnull(json_object_get(json_object_get(r.output, "c"), "State"));
    finish(&r);
}
END_TEST

/* ---- Validation ------------------------------------------------------------ */

START_TEST(validation_allows_lambda_callbacks)
{
    char *def = callback_def("");
    for (int express = 0; express < 2; express++) {
        asl_unit *u = asl_unit_create("t.asl.json", def, strlen(def));
        asl_machine *m = asl_parse_machine(u);
        ck_assert_ptr_nonnull(m);
        m->express = express;
        asl_validate_machine(u, m);
        if (!express) {
            ck_assert_int_eq(u->diags.nerrors, 0);
            ck_assert(asl_validate_supported(u, m, ASL_DIAG_ERROR));
        } else {
            ck_assert_int_eq(u->diags.nerrors, 1);
            ck_assert_str_eq(u->diags.v[0].message, "Express state machine does not support "
                                                    "'.waitForTaskToken' service integration");
        }
        asl_unit_destroy(u);
    }
    free(def);
}
END_TEST

#endif /* HAVE_LIBTCC */

int main(void)
{
    Suite *s = suite_create("callback");
    TCase *tc = tcase_create("callbacks");
    tcase_set_timeout(tc, 30);
#ifdef HAVE_LIBTCC
    tcase_add_test(tc, success_output_is_the_result);
    tcase_add_test(tc, failure_caught_with_error_and_cause);
    tcase_add_test(tc, failure_without_error_or_cause);
    tcase_add_test(tc, success_from_another_thread_later);
    tcase_add_test(tc, invocation_failure_does_not_wait);
    tcase_add_test(tc, token_used_twice);
    tcase_add_test(tc, bad_and_unknown_tokens);
    tcase_add_test(tc, heartbeats_keep_the_task_alive);
    tcase_add_test(tc, no_callback_times_out);
    tcase_add_test(tc, missed_heartbeat);
    tcase_add_test(tc, skipped_clock_times_out_at_once);
    tcase_add_test(tc, scaled_clock);
    tcase_add_test(tc, execution_timeout_caps_the_wait);
    tcase_add_test(tc, abort_while_waiting);
    tcase_add_test(tc, retry_gets_a_new_token);
    tcase_add_test(tc, heartbeat_path_must_be_a_positive_integer);
    tcase_add_test(tc, map_iterations_completed_in_reverse);
    tcase_add_test(tc, mocked_callback_answers_at_once);
    tcase_add_test(tc, token_only_in_callback_tasks);
    tcase_add_test(tc, validation_allows_lambda_callbacks);
#endif
    suite_add_tcase(s, tc);
    int failed = run_suite(s, CK_ENV);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

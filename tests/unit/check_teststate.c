/*
 * check_teststate.c - the TestState action (server/teststate.c) called
 * directly: requests AWS refuses, and what a test of one state answers
 * beyond the recorded corpus (tests/run-test-state.sh runs that): a Task
 * answered by its binding, Retry backoffs and indexes, States.Runtime,
 * Catch with ResultPath, Wait, Choice without a match, variables, tests
 * run on several threads at once, and the limit of a test
 * (doc/behaviour.md §32).
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aslrt.h"
#include "server.h"
#include "testutil.h"

#ifdef HAVE_LIBTCC

#define ROLE "arn:aws:iam::111111111111:role/test"

/* Runs the request (stolen) against bindings b (may be NULL): the response,
 * or NULL with *f set. */
static json_t *test_state(json_t *req, const aslrt_bindings *b, srv_fault *f)
{
    json_t *res = srv_test_state_at(req, b, "us-east-1", "111111111111", f);
    json_decref(req);
    return res;
}

/* The request with the state (a JSON text) and input text. */
static json_t *request(const char *state, const char *input, const char *level)
{
    return json_pack("{s:s,s:s,s:s}", "definition", state, "input", input, "inspectionLevel",
                     level);
}

/* The refusal of req: its type, and its message contains want. */
static void refused(json_t *req, const char *type, const char *want)
{
    srv_fault f = {0};
    json_t *res = test_state(req, NULL, &f);
    ck_assert_ptr_null(res);
    ck_assert_str_eq(f.type, type);
    ck_assert_msg(strstr(f.message, want), "message \"%s\" lacks \"%s\"", f.message, want);
    ck_assert_int_eq(f.status, 400);
    srv_fault_clear(&f);
}

/* r[key] as a string ("" when absent). */
static const char *member(const json_t *r, const char *key)
{
    const char *s = json_string_value(json_object_get(r, key));
    return s ? s : "";
}

/* The JSON text r[key] parsed, equal to the JSON text want. */
static void payload_is(const json_t *r, const char *key, const char *want)
{
    json_t *got = json_loads(member(r, key), JSON_DECODE_ANY, NULL);
    json_t *exp = json_loads(want, JSON_DECODE_ANY, NULL);
    ck_assert_ptr_nonnull(exp);
    ck_assert_msg(got && json_equal(got, exp), "%s: got %s, want %s", key, member(r, key), want);
    json_decref(got);
    json_decref(exp);
}

START_TEST(test_bad_requests)
{
    refused(json_pack("{s:s}", "input", "{}"), "ValidationException", "'definition'");
    refused(request("{\"Type\":\"Pass\",\"End\":true}", "{}", "LOUD"), "ValidationException",
            "[INFO, DEBUG, TRACE]");
    refused(request("{\"Type\":\"Pass\",\"End\":true}", "{nope", "INFO"),
            "InvalidExecutionInput", "Invalid State Machine Execution Input");
    /* The single state is called StateName in the locations AWS gives. */
    refused(request("{\"Type\":\"Parallel\",\"Branches\":[],\"End\":true}", "{}", "INFO"),
            "InvalidDefinition", "/States/StateName/Branches");
    refused(request("{\"Type\":\"Pass\",", "{}", "INFO"), "InvalidDefinition",
            "Invalid State Machine Definition");
    json_t *req = request("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"End\":true}}}",
                          "{}", "INFO");
    json_object_set_new(req, "stateName", json_string("B"));
    refused(req, "ValidationException", "'B'");
    req = request("{\"Type\":\"Pass\",\"End\":true}", "{}", "INFO");
    json_object_set_new(req, "mock", json_pack("{s:s}", "result", "{}"));
    refused(req, "ValidationException", "Task, Map or Parallel");
    req = request("{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\",\"End\":true}",
                  "{}", "INFO");
    json_object_set_new(req, "mock", json_pack("{s:s,s:{s:s}}", "result", "{}", "errorOutput",
                                               "error", "E"));
    refused(req, "ValidationException", "exactly one");
    req = request("{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\",\"End\":true}",
                  "{}", "INFO");
    json_object_set_new(req, "mock", json_pack("{s:s}", "result", "{not json"));
    refused(req, "ValidationException", "not valid JSON");
    refused(request("{\"Type\":\"Map\",\"ItemProcessor\":{\"StartAt\":\"P\",\"States\":{\"P\":"
                    "{\"Type\":\"Pass\",\"End\":true}}},\"End\":true}",
                    "[]", "INFO"),
            "ValidationException", "a Map state with a mock");
    refused(request("{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::sqs:sendMessage."
                    "waitForTaskToken\",\"End\":true}",
                    "{}", "INFO"),
            "ValidationException", ".waitForTaskToken");
    /* A Task that would call its service needs a role. */
    refused(request("{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\",\"End\":true}",
                    "{}", "INFO"),
            "ValidationException", "roleArn");
}
END_TEST

/* A C handler: {"seen": input}. */
static int echo(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    (void)ud;
    (void)err;
    *output = json_pack("{s:O}", "seen", input);
    return 1;
}

START_TEST(test_task_binding)
{
    aslrt_bindings *b = aslrt_bindings_create();
    aslrt_bindings_add_c(b, "arn:aws:lambda:*", echo, NULL);
    json_t *req = request("{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:"
                          "111111111111:function:f\",\"Parameters\":{\"x.$\":\"$.a\"},"
                          "\"ResultSelector\":{\"y.$\":\"$.seen.x\"},\"ResultPath\":\"$.r\","
                          "\"Next\":\"After\"}",
                          "{\"a\":7}", "DEBUG");
    json_object_set_new(req, "roleArn", json_string(ROLE));
    srv_fault f = {0};
    json_t *r = test_state(req, b, &f);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(member(r, "status"), "SUCCEEDED");
    ck_assert_str_eq(member(r, "nextState"), "After");
    payload_is(r, "output", "{\"a\":7,\"r\":{\"y\":7}}");
    json_t *d = json_object_get(r, "inspectionData");
    payload_is(d, "input", "{\"a\":7}");
    payload_is(d, "afterInputPath", "{\"a\":7}");
    payload_is(d, "afterParameters", "{\"x\":7}");
    payload_is(d, "result", "{\"seen\":{\"x\":7}}");
    payload_is(d, "afterResultSelector", "{\"y\":7}");
    payload_is(d, "afterResultPath", "{\"a\":7,\"r\":{\"y\":7}}");
    json_decref(r);
    aslrt_bindings_destroy(b);
}
END_TEST

/* The Task state with Retry (and Catch) text retry, mocked with error. */
static json_t *mocked_failure(const char *retry, const char *error, int count)
{
    char *def = aslrtp_strdupf("{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\","
                               "\"Parameters\":{\"FunctionName\":\"f\"},%s,\"End\":true}",
                               retry);
    json_t *req = request(def, "{\"v\":1}", "DEBUG");
    free(def);
    json_object_set_new(req, "mock", json_pack("{s:{s:s,s:s}}", "errorOutput", "error", error,
                                               "cause", "why"));
    json_object_set_new(req, "stateConfiguration", json_pack("{s:i}", "retrierRetryCount", count));
    srv_fault f = {0};
    json_t *r = test_state(req, NULL, &f);
    ck_assert_msg(r != NULL, "refused: %s", f.message ? f.message : "");
    return r;
}

static long long detail(const json_t *r, const char *key)
{
    json_t *v = json_object_get(json_object_get(json_object_get(r, "inspectionData"),
                                                "errorDetails"), key);
    return v ? json_integer_value(v) : -1;
}

START_TEST(test_retry)
{
    /* The second retrier matches; 3 * 2^3 = 24 s, capped at 10. */
    json_t *r = mocked_failure("\"Retry\":[{\"ErrorEquals\":[\"Other\"]},{\"ErrorEquals\":"
                               "[\"States.ALL\"],\"IntervalSeconds\":3,\"BackoffRate\":2,"
                               "\"MaxAttempts\":5,\"MaxDelaySeconds\":10}]",
                               "Boom", 3);
    ck_assert_str_eq(member(r, "status"), "RETRIABLE");
    ck_assert_str_eq(member(r, "error"), "Boom");
    ck_assert_str_eq(member(r, "cause"), "why");
    ck_assert_int_eq(detail(r, "retryIndex"), 1);
    ck_assert_int_eq(detail(r, "retryBackoffIntervalSeconds"), 10);
    ck_assert_ptr_null(json_object_get(r, "output"));
    json_decref(r);
    /* Attempts used up: the error stands, naming the retrier. */
    r = mocked_failure("\"Retry\":[{\"ErrorEquals\":[\"Boom\"],\"MaxAttempts\":2}]", "Boom", 2);
    ck_assert_str_eq(member(r, "status"), "FAILED");
    ck_assert_int_eq(detail(r, "retryIndex"), 0);
    ck_assert_int_eq(detail(r, "retryBackoffIntervalSeconds"), -1);
    json_decref(r);
    /* States.Runtime is never retried nor caught. */
    r = mocked_failure("\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"]}],\"Catch\":[{\"ErrorEquals\":"
                       "[\"States.ALL\"],\"Next\":\"H\"}]",
                       "States.Runtime", 0);
    ck_assert_str_eq(member(r, "status"), "FAILED");
    ck_assert_ptr_null(json_object_get(json_object_get(r, "inspectionData"), "errorDetails"));
    json_decref(r);
    /* Exhausted retrier, then the catcher: its ResultPath, its Next. */
    r = mocked_failure("\"Retry\":[{\"ErrorEquals\":[\"Boom\"],\"MaxAttempts\":1}],\"Catch\":"
                       "[{\"ErrorEquals\":[\"Other\"],\"Next\":\"X\"},{\"ErrorEquals\":"
                       "[\"States.TaskFailed\"],\"ResultPath\":\"$.err\",\"Next\":\"H\"}]",
                       "Boom", 1);
    ck_assert_str_eq(member(r, "status"), "CAUGHT_ERROR");
    ck_assert_str_eq(member(r, "nextState"), "H");
    ck_assert_int_eq(detail(r, "catchIndex"), 1);
    payload_is(r, "output", "{\"v\":1,\"err\":{\"Error\":\"Boom\",\"Cause\":\"why\"}}");
    json_decref(r);
}
END_TEST

START_TEST(test_wait_choice_fail)
{
    srv_fault f = {0};
    /* A Wait does not wait in a test. */
    json_t *r = test_state(request("{\"Type\":\"Wait\",\"Seconds\":100000,\"Next\":\"N\"}",
                                   "{\"a\":1}", "INFO"),
                           NULL, &f);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(member(r, "status"), "SUCCEEDED");
    ck_assert_str_eq(member(r, "nextState"), "N");
    payload_is(r, "output", "{\"a\":1}");
    ck_assert_ptr_null(json_object_get(r, "inspectionData"));
    json_decref(r);
    r = test_state(request("{\"Type\":\"Wait\",\"SecondsPath\":\"$.s\",\"InputPath\":\"$.in\","
                           "\"End\":true}",
                           "{\"s\":5,\"in\":{\"s\":100000}}", "DEBUG"),
                   NULL, &f);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(member(r, "status"), "SUCCEEDED");
    ck_assert_ptr_null(json_object_get(r, "nextState"));
    payload_is(r, "output", "{\"s\":100000}");
    payload_is(json_object_get(r, "inspectionData"), "afterInputPath", "{\"s\":100000}");
    json_decref(r);
    r = test_state(request("{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.a\","
                           "\"NumericEquals\":2,\"Next\":\"Two\"}]}",
                           "{\"a\":1}", "TRACE"),
                   NULL, &f);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(member(r, "status"), "FAILED");
    ck_assert_str_eq(member(r, "error"), "States.NoChoiceMatched");
    ck_assert_ptr_null(json_object_get(r, "nextState"));
    json_decref(r);
    /* A Fail state's ErrorPath and CausePath. */
    r = test_state(request("{\"Type\":\"Fail\",\"ErrorPath\":\"$.e\",\"CausePath\":\"$.c\"}",
                           "{\"e\":\"E\",\"c\":\"C\"}", "INFO"),
                   NULL, &f);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(member(r, "status"), "FAILED");
    ck_assert_str_eq(member(r, "error"), "E");
    ck_assert_str_eq(member(r, "cause"), "C");
    json_decref(r);
}
END_TEST

START_TEST(test_variables)
{
    /* The request's variables are read; Assign's (over the result, in
     * JSONPath) show after the state. */
    json_t *req = request("{\"Type\":\"Pass\",\"Parameters\":{\"old.$\":\"$old\"},"
                          "\"Assign\":{\"new.$\":\"States.Format('{}{}', $.old, $.old)\"},"
                          "\"End\":true}",
                          "{\"a\":5}", "DEBUG");
    json_object_set_new(req, "variables", json_string("{\"old\": \"o\"}"));
    srv_fault f = {0};
    json_t *r = test_state(req, NULL, &f);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(member(r, "status"), "SUCCEEDED");
    payload_is(r, "output", "{\"old\":\"o\"}");
    payload_is(json_object_get(r, "inspectionData"), "variables",
               "{\"old\":\"o\",\"new\":\"oo\"}");
    json_decref(r);
    req = request("{\"Type\":\"Pass\",\"End\":true}", "{}", "INFO");
    json_object_set_new(req, "variables", json_string("[1]"));
    refused(req, "ValidationException", "variables");
}
END_TEST

START_TEST(test_limit)
{
    /* A handler that would run for an hour: the test stops at its limit
     * (shortened here from AWS's five minutes) and the process is ended. */
    aslrt_bindings *b = aslrt_bindings_create();
    const char *argv[] = {"sleep", "3600", NULL};
    aslrt_bindings_add_program(b, "arn:aws:lambda:*", argv, NULL);
    long long saved = srv_test_state_limit_ms;
    srv_test_state_limit_ms = 300;
    json_t *req = request("{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:"
                          "111111111111:function:slow\",\"Next\":\"N\"}",
                          "{}", "INFO");
    json_object_set_new(req, "roleArn", json_string(ROLE));
    srv_fault f = {0};
    json_t *r = test_state(req, b, &f);
    srv_test_state_limit_ms = saved;
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(member(r, "status"), "FAILED");
    ck_assert_str_eq(member(r, "error"), "States.Timeout");
    ck_assert_ptr_null(json_object_get(r, "output"));
    ck_assert_ptr_null(json_object_get(r, "nextState"));
    json_decref(r);
    aslrt_bindings_destroy(b);
}
END_TEST

/* One test of a mocked JSONata Task per thread. */
static void *one_test(void *arg)
{
    long i = (long)arg;
    char input[32];
    snprintf(input, sizeof input, "{\"n\":%ld}", i);
    json_t *req = request("{\"Type\":\"Task\",\"QueryLanguage\":\"JSONata\",\"Resource\":"
                          "\"arn:aws:states:::lambda:invoke\",\"Arguments\":{\"FunctionName\":"
                          "\"f\",\"Payload\":\"{% $states.input.n %}\"},\"Output\":"
                          "\"{% $states.result.k + $states.input.n %}\",\"End\":true}",
                          input, "DEBUG");
    json_object_set_new(req, "mock", json_pack("{s:s}", "result", "{\"k\": 100}"));
    srv_fault f = {0};
    json_t *r = test_state(req, NULL, &f);
    long ok = 0;
    if (r) {
        json_t *out = json_loads(member(r, "output"), JSON_DECODE_ANY, NULL);
        json_t *args = json_loads(member(json_object_get(r, "inspectionData"), "afterArguments"),
                                  0, NULL);
        ok = json_integer_value(out) == 100 + i &&
             json_integer_value(json_object_get(args, "Payload")) == i;
        json_decref(out);
        json_decref(args);
    }
    json_decref(r);
    srv_fault_clear(&f);
    return (void *)ok;
}

START_TEST(test_threads)
{
    pthread_t t[6];
    for (long i = 0; i < 6; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, one_test, (void *)i), 0);
    for (int i = 0; i < 6; i++) {
        void *ok = NULL;
        pthread_join(t[i], &ok);
        ck_assert_msg(ok, "test %d answered wrong", i);
    }
}
END_TEST

#endif /* HAVE_LIBTCC */

int main(void)
{
    Suite *s = suite_create("teststate");
    TCase *tc = tcase_create("teststate");
    tcase_set_timeout(tc, 60);
#ifdef HAVE_LIBTCC
    tcase_add_test(tc, test_bad_requests);
    tcase_add_test(tc, test_task_binding);
    tcase_add_test(tc, test_retry);
    tcase_add_test(tc, test_wait_choice_fail);
    tcase_add_test(tc, test_variables);
    tcase_add_test(tc, test_threads);
    tcase_add_test(tc, test_limit);
#endif
    suite_add_tcase(s, tc);
    int failed = run_suite(s, CK_NORMAL);
#ifndef HAVE_LIBTCC
    return 77; /* automake: skipped */
#endif
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

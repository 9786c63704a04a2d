/*
 * check_history.c - the execution history (runtime/history.c and the
 * events exec.c records): definitions compiled in memory (TinyCC), run
 * with a history callback, and their events compared with the sequences
 * recorded on AWS (doc/behaviour.md §20.4).
 */
#include "config.h"

#include <check.h>
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

typedef struct run {
    asl_unit *unit;
    asl_jit *jit;
    json_t *history;          /* the document the callback received */
    int calls;                /* callbacks */
    int status;
    json_t *output;
    aslrt_error err;
} run;

static void keep(void *ud, const json_t *doc)
{
    run *r = ud;
    r->calls++;
    json_decref(r->history);
    r->history = json_deep_copy(doc);
}

/* A Task handler that fails with "Boom" until it has been called `*ud`
 * times; then echoes its input. */
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

/* Executions run as Express ones (check_history_limit's). */
static int express;

/* Compiles and runs text on input; with history, records it. */
static void execute(run *r, const char *text, const char *input, int threads, bool history,
                    int failures)
{
    memset(r, 0, sizeof *r);
    r->unit = asl_unit_create("h.asl.json", text, strlen(text));
    asl_machine *m = asl_parse_machine(r->unit);
    ck_assert_ptr_nonnull(m);
    ck_assert(asl_validate_machine(r->unit, m));
    asl_cfg *cfg = asl_lower_machine(r->unit, m, "h");
    asl_emit_options eo = {.prefix = "h", .include_header = false};
    char *csrc = asl_emit_c_string(cfg, &eo);
    char *why = NULL;
    r->jit = asl_jit_compile(csrc, "h", &why);
    free(csrc);
    ck_assert_msg(r->jit != NULL, "%s", why ? why : "");
    aslrt_error e = {NULL, NULL};
    aslrt_program *p = aslrt_program_create(asl_jit_machine(r->jit), &e);
    ck_assert_ptr_nonnull(p);
    aslrt_bindings *b = aslrt_bindings_create();
    int left = failures;
    aslrt_bindings_add_c(b, "*", flaky, &left);
    aslrt_config c;
    aslrt_config_init(&c);
    c.bindings = b;
    c.wait_mode = ASLRT_WAIT_SKIP;
    c.threads = threads;
    c.execution_name = "h";
    c.express = express;
    if (history) {
        c.history = keep;
        c.history_ud = r;
    }
    json_error_t je;
    json_t *in = json_loads(input, JSON_DECODE_ANY, &je);
    ck_assert_ptr_nonnull(in);
    r->status = aslrt_execute(p, &c, in, &r->output, &r->err);
    json_decref(in);
    aslrt_bindings_destroy(b);
    aslrt_program_destroy(p);
}

static void run_clear(run *r)
{
    json_decref(r->history);
    json_decref(r->output);
    aslrt_error_clear(&r->err);
    asl_jit_destroy(r->jit);
    asl_unit_destroy(r->unit);
}

static json_t *events(const run *r)
{
    json_t *ev = json_object_get(r->history, "events");
    ck_assert(json_is_array(ev));
    return ev;
}

/* The events' types, space-separated, compared with want. */
static void check_types(const run *r, const char *want)
{
    char got[4096] = "";
    json_t *e;
    size_t i;
    json_array_foreach(events(r), i, e)
    {
        if (i)
            strcat(got, " ");
        strncat(got, json_string_value(json_object_get(e, "type")), sizeof got - strlen(got) - 40);
    }
    ck_assert_str_eq(got, want);
}

/* Event i's id is i + 1, and its previousEventId is prev. */
static void check_event(const run *r, size_t i, long prev)
{
    json_t *e = json_array_get(events(r), i);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(json_integer_value(json_object_get(e, "id")), (json_int_t)i + 1);
    ck_assert_int_eq(json_integer_value(json_object_get(e, "previousEventId")), prev);
}

static const char *detail(const run *r, size_t i, const char *member, const char *key)
{
    json_t *e = json_array_get(events(r), i);
    return json_string_value(json_object_get(json_object_get(e, member), key));
}

START_TEST(test_retry_then_catch)
{
    run r;
    execute(&r,
            "{\"StartAt\":\"T\",\"States\":{"
            "\"T\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::aws-sdk:dynamodb:putItem\","
            "\"Retry\":[{\"ErrorEquals\":[\"Boom\"],\"MaxAttempts\":1}],"
            "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"P\"}],\"End\":true},"
            "\"P\":{\"Type\":\"Pass\",\"End\":true}}}",
            "{\"a\":1}", 1, true, 5);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    ck_assert_int_eq(r.calls, 1);
    check_types(&r, "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskFailed "
                    "TaskScheduled TaskStarted TaskFailed TaskStateExited PassStateEntered "
                    "PassStateExited ExecutionSucceeded");
    check_event(&r, 0, 0);
    check_event(&r, 1, 0); /* the first state follows no event (recorded) */
    for (size_t i = 2; i < 12; i++)
        check_event(&r, i, (long)i);
    ck_assert_str_eq(detail(&r, 2, "taskScheduledEventDetails", "resourceType"), "aws-sdk:dynamodb");
    ck_assert_str_eq(detail(&r, 2, "taskScheduledEventDetails", "resource"), "putItem");
    ck_assert_str_eq(detail(&r, 2, "taskScheduledEventDetails", "parameters"), "{\"a\":1}");
    ck_assert_str_eq(detail(&r, 4, "taskFailedEventDetails", "error"), "Boom");
    ck_assert_str_eq(detail(&r, 4, "taskFailedEventDetails", "cause"), "it broke");
    ck_assert_str_eq(detail(&r, 8, "stateExitedEventDetails", "output"),
                     "{\"Error\":\"Boom\",\"Cause\":\"it broke\"}");
    run_clear(&r);
}
END_TEST

START_TEST(test_legacy_lambda)
{
    run r;
    execute(&r,
            "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
            "\"Resource\":\"arn:aws:lambda:us-east-1:111111111111:function:f\",\"End\":true}}}",
            "{}", 1, true, 0);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    check_types(&r, "ExecutionStarted TaskStateEntered LambdaFunctionScheduled "
                    "LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited "
                    "ExecutionSucceeded");
    ck_assert_str_eq(detail(&r, 2, "lambdaFunctionScheduledEventDetails", "resource"),
                     "arn:aws:lambda:us-east-1:111111111111:function:f");
    ck_assert_str_eq(detail(&r, 4, "lambdaFunctionSucceededEventDetails", "output"), "{}");
    run_clear(&r);
}
END_TEST

/* Recorded on AWS (assign/BASE_SCOPE_MAP): ids and previousEventIds of
 * a Map with MaxConcurrency 1. */
START_TEST(test_map_two_items)
{
    run r;
    execute(&r,
            "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"MaxConcurrency\":1,"
            "\"ItemProcessor\":{\"StartAt\":\"I\",\"States\":{\"I\":{\"Type\":\"Pass\","
            "\"End\":true}}},\"End\":true}}}",
            "[1,2]", 0, true, 0);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    check_types(&r, "ExecutionStarted MapStateEntered MapStateStarted MapIterationStarted "
                    "PassStateEntered PassStateExited MapIterationSucceeded MapIterationStarted "
                    "PassStateEntered PassStateExited MapIterationSucceeded MapStateSucceeded "
                    "MapStateExited ExecutionSucceeded");
    static const long prev[] = {0, 0, 2, 3, 4, 5, 6, 6, 8, 9, 10, 11, 11, 13};
    for (size_t i = 0; i < sizeof prev / sizeof *prev; i++)
        check_event(&r, i, prev[i]);
    json_t *started = json_array_get(events(&r), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_object_get(started, "mapStateStartedEventDetails"), "length")),
                     2);
    json_t *it = json_object_get(json_array_get(events(&r), 7), "mapIterationStartedEventDetails");
    ck_assert_int_eq(json_integer_value(json_object_get(it, "index")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(it, "name")), "M");
    ck_assert_str_eq(detail(&r, 12, "stateExitedEventDetails", "output"), "[1,2]");
    run_clear(&r);
}
END_TEST

/* With threads, the iterations' events still come in item order, and the
 * cause of a failed iteration quotes the id its state has in the history. */
START_TEST(test_map_concurrent_cause)
{
    for (int round = 0; round < 20; round++) {
        run r;
        execute(&r,
                "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\","
                "\"ItemProcessor\":{\"StartAt\":\"A\",\"States\":{"
                "\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"},"
                "\"B\":{\"Type\":\"Pass\",\"InputPath\":\"$.x\",\"End\":true}}},\"End\":true}}}",
                "[{\"x\":1},{\"x\":2},{\"y\":3},{\"x\":4}]", 4, true, 0);
        ck_assert_int_eq(r.status, ASLRT_FAILED);
        const char *mark = strstr(r.err.cause, "(entered at the event id #");
        ck_assert_ptr_nonnull(mark);
        long id = strtol(mark + strlen("(entered at the event id #"), NULL, 10);
        json_t *e = json_array_get(events(&r), (size_t)id - 1);
        ck_assert_str_eq(json_string_value(json_object_get(e, "type")), "PassStateEntered");
        ck_assert_str_eq(detail(&r, (size_t)id - 1, "stateEnteredEventDetails", "input"),
                         "{\"y\":3}");
        /* ids are 1, 2, 3, ... in the order of the document */
        json_t *ev;
        size_t i;
        json_array_foreach(events(&r), i, ev)
            ck_assert_int_eq(json_integer_value(json_object_get(ev, "id")), (json_int_t)i + 1);
        run_clear(&r);
    }
}
END_TEST

START_TEST(test_parallel)
{
    run r;
    execute(&r,
            "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\",\"Branches\":["
            "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"End\":true}}},"
            "{\"StartAt\":\"B\",\"States\":{\"B\":{\"Type\":\"Pass\",\"End\":true}}}],"
            "\"End\":true}}}",
            "{}", 0, true, 0);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    check_types(&r, "ExecutionStarted ParallelStateEntered ParallelStateStarted "
                    "PassStateEntered PassStateExited PassStateEntered PassStateExited "
                    "ParallelStateSucceeded ParallelStateExited ExecutionSucceeded");
    /* each branch is a chain from ParallelStateStarted (doc/behaviour.md §24.10) */
    static const long prev[] = {0, 0, 2, 3, 4, 3, 6, 7, 7, 9};
    for (size_t i = 0; i < sizeof prev / sizeof *prev; i++)
        check_event(&r, i, prev[i]);
    ck_assert_str_eq(detail(&r, 3, "stateEnteredEventDetails", "name"), "A");
    ck_assert_str_eq(detail(&r, 5, "stateEnteredEventDetails", "name"), "B");
    run_clear(&r);
}
END_TEST

START_TEST(test_choice_wait_fail)
{
    run r;
    execute(&r,
            "{\"StartAt\":\"C\",\"States\":{"
            "\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.n\",\"NumericEquals\":1,"
            "\"Next\":\"W\"}],\"Default\":\"F\"},"
            "\"W\":{\"Type\":\"Wait\",\"Seconds\":5,\"Next\":\"F\"},"
            "\"F\":{\"Type\":\"Fail\",\"Error\":\"E\",\"Cause\":\"c\"}}}",
            "{\"n\":1}", 1, true, 0);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    check_types(&r, "ExecutionStarted ChoiceStateEntered ChoiceStateExited WaitStateEntered "
                    "WaitStateExited FailStateEntered ExecutionFailed");
    ck_assert_str_eq(detail(&r, 6, "executionFailedEventDetails", "error"), "E");
    ck_assert_str_eq(detail(&r, 6, "executionFailedEventDetails", "cause"), "c");
    /* the execution's clock: the Wait's 5 s show in the timestamps */
    const char *t3 = json_string_value(json_object_get(json_array_get(events(&r), 3), "timestamp"));
    const char *t4 = json_string_value(json_object_get(json_array_get(events(&r), 4), "timestamp"));
    ck_assert_ptr_nonnull(t3);
    ck_assert_ptr_nonnull(t4);
    ck_assert_str_lt(t3, t4);
    run_clear(&r);
}
END_TEST

/* Recorded on AWS (assign BASE_UNDEFINED_ASSIGN). */
START_TEST(test_jsonata_evaluation_failed)
{
    run r;
    execute(&r,
            "{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"S\",\"States\":{\"S\":{\"Type\":"
            "\"Pass\",\"Assign\":{\"result\":\"{% $doesNotExist %}\"},\"End\":true}}}",
            "{}", 1, true, 0);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    check_types(&r, "ExecutionStarted PassStateEntered EvaluationFailed ExecutionFailed");
    check_event(&r, 2, 0);
    check_event(&r, 3, 3);
    ck_assert_str_eq(detail(&r, 2, "evaluationFailedEventDetails", "error"),
                     "States.QueryEvaluationError");
    ck_assert_str_eq(detail(&r, 2, "evaluationFailedEventDetails", "location"), "Assign/result");
    ck_assert_str_eq(detail(&r, 2, "evaluationFailedEventDetails", "state"), "S");
    ck_assert_str_eq(detail(&r, 2, "evaluationFailedEventDetails", "cause"), r.err.cause);
    run_clear(&r);
}
END_TEST

START_TEST(test_assigned_variables)
{
    run r;
    execute(&r,
            "{\"StartAt\":\"S\",\"States\":{\"S\":{\"Type\":\"Pass\",\"Assign\":{\"x\":42,"
            "\"s\":\"t\"},\"End\":true}}}",
            "{}", 1, true, 0);
    json_t *d = json_object_get(json_array_get(events(&r), 2), "stateExitedEventDetails");
    json_t *vars = json_object_get(d, "assignedVariables");
    ck_assert_str_eq(json_string_value(json_object_get(vars, "x")), "42");
    ck_assert_str_eq(json_string_value(json_object_get(vars, "s")), "\"t\"");
    ck_assert(json_is_false(json_object_get(json_object_get(d, "assignedVariablesDetails"),
                                            "truncated")));
    run_clear(&r);
}
END_TEST

/* Without a history nothing is recorded, and the ids causes quote are the
 * same. */
START_TEST(test_no_history_same_ids)
{
    const char *def = "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"},"
                      "\"B\":{\"Type\":\"Pass\",\"InputPath\":\"$.nope\",\"End\":true}}}";
    run with, without;
    execute(&with, def, "{}", 1, true, 0);
    execute(&without, def, "{}", 1, false, 0);
    ck_assert_int_eq(without.calls, 0);
    ck_assert_ptr_null(without.history);
    ck_assert_str_eq(with.err.cause, without.err.cause);
    ck_assert_ptr_nonnull(strstr(with.err.cause, "(entered at the event id #4)"));
    ck_assert_str_eq(detail(&with, 3, "stateEnteredEventDetails", "name"), "B");
    run_clear(&with);
    run_clear(&without);
}
END_TEST

/* ---- The quota: 25,000 events (doc/behaviour.md §33) ----------------- */

/* A loop that counts $.n up to $.max, then succeeds: 1 + 4 n + 3 events. */
static const char counting_loop[] =
    "{\"StartAt\":\"Inc\",\"States\":{"
    "\"Inc\":{\"Type\":\"Pass\",\"Parameters\":{\"n.$\":\"States.MathAdd($.n, 1)\","
    "\"max.$\":\"$.max\"},\"Next\":\"Loop\"},"
    "\"Loop\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.n\","
    "\"NumericLessThanPath\":\"$.max\",\"Next\":\"Inc\"}],\"Default\":\"Done\"},"
    "\"Done\":{\"Type\":\"Succeed\"}}}";

/* Every id from 1 in order, each previousEventId before its event. */
static void check_ids(const run *r, size_t n)
{
    ck_assert_uint_eq(json_array_size(events(r)), n);
    json_t *e;
    size_t i;
    json_array_foreach(events(r), i, e) {
        json_int_t id = json_integer_value(json_object_get(e, "id"));
        ck_assert_int_eq(id, (json_int_t)i + 1);
        ck_assert_int_lt(json_integer_value(json_object_get(e, "previousEventId")), id);
    }
}

/* The execution failed as a full history fails it, its last event
 * ExecutionFailed with that error and cause. */
static void check_full(const run *r)
{
    ck_assert_int_eq(r->status, ASLRT_FAILED);
    ck_assert_str_eq(r->err.error, "States.Runtime");
    ck_assert_str_eq(r->err.cause,
                     "The execution reached the maximum number of history events (25000).");
    if (!r->history)
        return;
    check_ids(r, 25000);
    json_t *last = json_array_get(events(r), 24999);
    ck_assert_str_eq(json_string_value(json_object_get(last, "type")), "ExecutionFailed");
    ck_assert_int_eq(json_integer_value(json_object_get(last, "previousEventId")), 24999);
    ck_assert_str_eq(detail(r, 24999, "executionFailedEventDetails", "error"), "States.Runtime");
    ck_assert_str_eq(detail(r, 24999, "executionFailedEventDetails", "cause"), r->err.cause);
}

/* 24,999 events, then ExecutionSucceeded as the 25,000th: it succeeds. */
START_TEST(test_limit_last_event_succeeds)
{
    run r;
    execute(&r, counting_loop, "{\"n\":0,\"max\":6249}", 1, true, 0);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    check_ids(&r, 25000);
    json_t *last = json_array_get(events(&r), 24999);
    ck_assert_str_eq(json_string_value(json_object_get(last, "type")), "ExecutionSucceeded");
    ck_assert_str_eq(detail(&r, 24999, "executionSucceededEventDetails", "output"),
                     "{\"n\":6249,\"max\":6249}");
    run_clear(&r);
}
END_TEST

/* One more round: the 25,000th event would be a ChoiceStateEntered, so it
 * is ExecutionFailed; with or without a history recorded. */
START_TEST(test_limit_loop_fails)
{
    run r;
    execute(&r, counting_loop, "{\"n\":0,\"max\":6250}", 1, true, 0);
    check_full(&r);
    json_t *e = json_array_get(events(&r), 24997);
    ck_assert_str_eq(json_string_value(json_object_get(e, "type")), "PassStateEntered");
    e = json_array_get(events(&r), 24998);
    ck_assert_str_eq(json_string_value(json_object_get(e, "type")), "PassStateExited");
    ck_assert_str_eq(detail(&r, 24998, "stateExitedEventDetails", "output"),
                     "{\"n\":6250,\"max\":6250}");
    run_clear(&r);
    execute(&r, counting_loop, "{\"n\":0,\"max\":1000000}", 1, false, 0);
    check_full(&r);
    run_clear(&r);
}
END_TEST

/* A loop without end in iterations and branches running on threads, under
 * a Catch: the events of all of them count, the execution stops at 25,000
 * and no Catch sees the error (it is the execution's). */
START_TEST(test_limit_fanout_not_caught)
{
    const char *def =
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"MaxConcurrency\":4,"
        "\"ItemProcessor\":{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\","
        "\"Branches\":[{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
        "\"Next\":\"C\"},\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.stop\","
        "\"IsPresent\":true,\"Next\":\"E\"}],\"Default\":\"A\"},"
        "\"E\":{\"Type\":\"Succeed\"}}},"
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:F\",\"End\":true}}}],"
        "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"Inner\"}],\"End\":true},"
        "\"Inner\":{\"Type\":\"Pass\",\"End\":true}}},"
        "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"Caught\"}],\"End\":true},"
        "\"Caught\":{\"Type\":\"Pass\",\"End\":true}}}";
    for (int history = 1; history >= 0; history--) {
        run r;
        execute(&r, def, "[{},{},{},{},{},{},{},{}]", 4, history, 0);
        check_full(&r);
        run_clear(&r);
    }
}
END_TEST

/* Express executions have no history and no such quota. */
START_TEST(test_limit_not_express)
{
    express = 1;
    run r;
    execute(&r, counting_loop, "{\"n\":0,\"max\":7000}", 1, true, 0);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    ck_assert_uint_eq(json_array_size(events(&r)), 1 + 4 * 7000 + 3);
    run_clear(&r);
    express = 0;
}
END_TEST

#endif /* HAVE_LIBTCC */

int main(void)
{
    Suite *s = suite_create("history");
    TCase *tc = tcase_create("history");
    tcase_set_timeout(tc, 60);
#ifdef HAVE_LIBTCC
    tcase_add_test(tc, test_retry_then_catch);
    tcase_add_test(tc, test_legacy_lambda);
    tcase_add_test(tc, test_map_two_items);
    tcase_add_test(tc, test_map_concurrent_cause);
    tcase_add_test(tc, test_parallel);
    tcase_add_test(tc, test_choice_wait_fail);
    tcase_add_test(tc, test_jsonata_evaluation_failed);
    tcase_add_test(tc, test_assigned_variables);
    tcase_add_test(tc, test_no_history_same_ids);
    tcase_add_test(tc, test_limit_last_event_succeeds);
    tcase_add_test(tc, test_limit_loop_fails);
    tcase_add_test(tc, test_limit_fanout_not_caught);
    tcase_add_test(tc, test_limit_not_express);
#endif
    suite_add_tcase(s, tc);
    int failed = run_suite(s, CK_NORMAL);
#ifndef HAVE_LIBTCC
    return 77; /* automake: skipped */
#endif
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

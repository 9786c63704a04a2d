/*
 * check_errors.c - failures as AWS has them: Retry timing on the virtual
 * clock (intervals, backoff, MaxDelaySeconds, jitter bounds), Catch, and the
 * States.* errors the runtime raises.  Definitions go through the whole
 * pipeline (parse, validate, lower, emit C, TinyCC) and run in process with
 * C handlers.
 */
#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include "aslrt_private.h"
#include "ast.h"
#include "backend.h"
#include "config.h"
#include "ir.h"
#include "unit.h"
#include "testutil.h"

#ifdef HAVE_LIBTCC

#define START_MS 1700000000000LL

typedef struct result {
    int status;
    json_t *output;
    aslrt_error err;
    double real_s;            /* the real time aslrt_execute took */
} result;

/* A handler that fails with the error named in ud->error for its first
 * ud->failures calls, then returns its input. */
typedef struct flaky {
    int failures;
    const char *error;
    int calls;
} flaky;

static int flaky_fn(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    flaky *fl = ud;
    if (fl->calls++ < fl->failures) {
        aslrt_error_set(err, fl->error, "flaky failed");
        return 0;
    }
    *output = json_incref(input);
    return 1;
}

/* Mocks for the next run(): a mock file's text and the test case. */
static const char *mock_text, *mock_case;
/* For the next run(): the pool size (0: default) and bindings of the test's
 * own (instead of binding everything to the flaky handler). */
static int run_threads;
static aslrt_bindings *run_bindings;
/* ... and its payload quota (0: AWS's). */
static long run_payload_limit;

/* Compiles def and runs it on input with every resource bound to fl (and
 * the mocks above, when set). */
static result run(const char *def, const char *input, flaky *fl)
{
    result r = {0, NULL, {NULL, NULL}, 0};
    jit_def d;
    jit_def_compile(&d, def, &r.err);
    aslrt_bindings *b = aslrt_bindings_create();
    if (fl)
        aslrt_bindings_add_c(b, "*", flaky_fn, fl);
    aslrt_config cfg;
    aslrt_config_init(&cfg);
    cfg.bindings = run_bindings ? run_bindings : b;
    cfg.threads = run_threads;
    cfg.payload_limit = run_payload_limit;
    cfg.wait_mode = ASLRT_WAIT_SKIP;
    cfg.start_time_ms = START_MS;
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

static void done(result *r)
{
    json_decref(r->output);
    aslrt_error_clear(&r->err);
}

/* Seconds of virtual time between the execution start and the "t"
 * timestamp of the output (a $$.State.EnteredTime). */
static double elapsed(const result *r)
{
    const char *t = json_string_value(json_object_get(r->output, "t"));
    ck_assert_ptr_nonnull(t);
    int64_t sec;
    int32_t ns;
    ck_assert(aslrtp_timestamp_parse(t, &sec, &ns));
    return (double)sec + ns / 1e9 - START_MS / 1000.0;
}

/* A Task with the given Retry (JSON text), then a Pass that reports the
 * time it was entered. */
static char *retry_def(const char *retry)
{
    return aslrtp_strdupf(
        "{\"StartAt\":\"T\",\"States\":{"
        "\"T\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:1:function:f\","
        "\"Retry\":%s,\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"ResultPath\":\"$.error\","
        "\"Next\":\"Report\"}],\"Next\":\"Report\"},"
        "\"Report\":{\"Type\":\"Pass\",\"Parameters\":{\"t.$\":\"$$.State.EnteredTime\","
        "\"error.$\":\"$.error\"},\"End\":true}}}",
        retry);
}

START_TEST(retry_backoff_intervals)
{
    /* Delays 2, 4, 8: the fourth call succeeds after 14 s of virtual time. */
    char *def = retry_def("[{\"ErrorEquals\":[\"Boom\"],\"IntervalSeconds\":2,\"MaxAttempts\":3,"
                          "\"BackoffRate\":2}]");
    flaky fl = {3, "Boom", 0};
    result r = run(def, "{\"error\":null}", &fl);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    ck_assert_int_eq(fl.calls, 4);
    assert_skipped_span(elapsed(&r), 14.0, r.real_s);
    done(&r);
    free(def);
}
END_TEST

START_TEST(retry_exhausted_then_caught)
{
    /* Defaults: IntervalSeconds 1, BackoffRate 2, MaxAttempts 3 → 1+2+4. */
    char *def = retry_def("[{\"ErrorEquals\":[\"States.TaskFailed\"]}]");
    flaky fl = {100, "Boom", 0};
    result r = run(def, "{}", &fl);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    ck_assert_int_eq(fl.calls, 4);
    assert_skipped_span(elapsed(&r), 7.0, r.real_s);
    json_t *e = json_object_get(r.output, "error");
    ck_assert_str_eq(json_string_value(json_object_get(e, "Error")), "Boom");
    ck_assert_str_eq(json_string_value(json_object_get(e, "Cause")), "flaky failed");
    done(&r);
    free(def);
}
END_TEST

START_TEST(retry_max_delay_caps)
{
    /* 3, 9, 10 (27 capped), 10 (81 capped) = 32 s. */
    char *def = retry_def("[{\"ErrorEquals\":[\"Boom\"],\"IntervalSeconds\":3,\"MaxAttempts\":4,"
                          "\"BackoffRate\":3,\"MaxDelaySeconds\":10}]");
    flaky fl = {4, "Boom", 0};
    result r = run(def, "{\"error\":null}", &fl);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    ck_assert_int_eq(fl.calls, 5);
    assert_skipped_span(elapsed(&r), 32.0, r.real_s);
    done(&r);
    free(def);
}
END_TEST

START_TEST(retry_full_jitter_bounds)
{
    /* FULL jitter: each delay uniform in [0, d]; d = 10, 20, 40. */
    char *def = retry_def("[{\"ErrorEquals\":[\"Boom\"],\"IntervalSeconds\":10,\"MaxAttempts\":3,"
                          "\"JitterStrategy\":\"FULL\"}]");
    double lo = 1e9, hi = 0;
    for (int i = 0; i < 20; i++) {
        flaky fl = {3, "Boom", 0};
        result r = run(def, "{\"error\":null}", &fl);
        ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
        double e = elapsed(&r);
        ck_assert(e >= 0 && e <= 70.0 + r.real_s + 0.002);
        lo = fmin(lo, e);
        hi = fmax(hi, e);
        done(&r);
    }
    ck_assert_msg(hi - lo > 1.0, "jittered delays do not vary (%g..%g)", lo, hi);
    free(def);
}
END_TEST

START_TEST(retry_max_attempts_zero_and_first_match)
{
    /* The first matching retrier decides, even with MaxAttempts 0: no
     * fall-through to the second. */
    char *def = retry_def("[{\"ErrorEquals\":[\"Boom\"],\"MaxAttempts\":0},"
                          "{\"ErrorEquals\":[\"States.ALL\"],\"MaxAttempts\":5}]");
    flaky fl = {1, "Boom", 0};
    result r = run(def, "{}", &fl);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    ck_assert_int_eq(fl.calls, 1);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(r.output, "error"), "Error")), "Boom");
    done(&r);
    free(def);
}
END_TEST

START_TEST(task_failed_does_not_match_timeout)
{
    const char *def =
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":\"r\","
        "\"Catch\":[{\"ErrorEquals\":[\"States.TaskFailed\"],\"Next\":\"C\"}],\"End\":true},"
        "\"C\":{\"Type\":\"Succeed\"}}}";
    flaky fl = {1, "States.Timeout", 0};
    result r = run(def, "{}", &fl);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.error, "States.Timeout");
    done(&r);
    fl = (flaky){1, "Custom", 0};
    r = run(def, "{}", &fl);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    done(&r);
}
END_TEST

START_TEST(runtime_error_not_caught)
{
    /* States.Runtime is neither retried nor caught, even by name. */
    const char *def =
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":\"r\","
        "\"InputPath\":\"$.missing\","
        "\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"]}],"
        "\"Catch\":[{\"ErrorEquals\":[\"States.Runtime\"],\"Next\":\"C\"}],\"End\":true},"
        "\"C\":{\"Type\":\"Succeed\"}}}";
    flaky fl = {0, "x", 0};
    result r = run(def, "{}", &fl);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.error, "States.Runtime");
    ck_assert_str_eq(r.err.cause, "An error occurred while executing the state 'T' (entered at "
                                  "the event id #2). Invalid path '$.missing' : No results for "
                                  "path: $['missing']");
    ck_assert_int_eq(fl.calls, 0);
    done(&r);
}
END_TEST

START_TEST(catch_result_path_null_keeps_input)
{
    const char *def =
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":\"r\","
        "\"Catch\":[{\"ErrorEquals\":[\"Nope\"],\"Next\":\"A\"},"
        "{\"ErrorEquals\":[\"Boom\"],\"ResultPath\":null,\"Next\":\"B\"}],\"End\":true},"
        "\"A\":{\"Type\":\"Fail\",\"Error\":\"WrongCatcher\"},"
        "\"B\":{\"Type\":\"Pass\",\"End\":true}}}";
    flaky fl = {1, "Boom", 0};
    result r = run(def, "{\"k\":1}", &fl);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    char *t = aslrt_json_dumps(r.output);
    ck_assert_str_eq(t, "{\"k\":1}");
    free(t);
    done(&r);
}
END_TEST

START_TEST(data_limit_exceeded_caught_by_all)
{
    /* Recorded on AWS (doc/behaviour.md §24): a lone States.ALL catcher takes
     * States.DataLimitExceeded. */
    const char *def =
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":\"r\","
        "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"C\"}],\"End\":true},"
        "\"C\":{\"Type\":\"Pass\",\"End\":true}}}";
    size_t n = 300 * 1024;
    char *big = malloc(n + 16);
    memset(big, 'a', n);
    memcpy(big, "{\"s\":\"", 6);
    memcpy(big + n - 2, "\"}", 3);
    flaky fl = {0, "x", 0};
    result r = run(def, big, &fl);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    ck_assert_str_eq(json_string_value(json_object_get(r.output, "Error")),
                     "States.DataLimitExceeded");
    done(&r);
    free(big);
}
END_TEST

START_TEST(data_limit_of_bounded_template)
{
    /* A Pass whose Parameters can only make a small output is not measured
     * at its exit when the quota is larger than any such output; under a
     * quota it could exceed, it is, in a loop (its output refilled) too. */
    const char *def =
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
        "\"Parameters\":{\"i.$\":\"States.MathAdd($.i, 1)\"},\"Next\":\"C\"},"
        "\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.i\","
        "\"NumericLessThan\":12,\"Next\":\"P\"}],\"Default\":\"D\"},"
        "\"D\":{\"Type\":\"Succeed\"}}}";
    static const struct {
        long limit;
        int status;
        const char *out;
    } cases[] = {
        {0, ASLRT_SUCCEEDED, "{\"i\":12}"},
        {8, ASLRT_SUCCEEDED, "{\"i\":12}"},
        {7, ASLRT_FAILED, NULL},   /* {"i":10} is 8 bytes */
        {6, ASLRT_FAILED, NULL},   /* {"i":1} is 7 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_payload_limit = cases[i].limit;
        result r = run(def, "{\"i\":0}", NULL);
        run_payload_limit = 0;
        ck_assert_int_eq(r.status, cases[i].status);
        if (cases[i].out) {
            char *t = aslrt_json_dumps(r.output);
            ck_assert_str_eq(t, cases[i].out);
            free(t);
        } else {
            ck_assert_str_eq(r.err.error, "States.DataLimitExceeded");
            ck_assert_str_eq(r.err.cause, "The state/task 'P' returned a result with a size "
                                          "exceeding the maximum number of bytes service limit.");
        }
        done(&r);
    }
}
END_TEST

/* A numeric rule against an integer literal is decided without
 * aslrtp_compare (exec.c): it must agree with it for every kind of
 * Variable value, and the same rule against the real 3.0 takes the
 * general path. */
START_TEST(choice_integer_literal)
{
    static const struct {
        const char *op;
        int lt, eq, gt;     /* the result when value <, == or > 3 */
    } ops[] = {
        {"NumericEquals", 0, 1, 0},      {"NumericLessThan", 1, 0, 0},
        {"NumericGreaterThan", 0, 0, 1}, {"NumericLessThanEquals", 1, 1, 0},
        {"NumericGreaterThanEquals", 0, 1, 1},
    };
    static const struct {
        const char *input;
        int order;          /* -1, 0, 1 against 3; 2: not a number (false) */
    } vals[] = {
        {"{\"v\":2}", -1}, {"{\"v\":3}", 0}, {"{\"v\":4}", 1},
        {"{\"v\":-9223372036854775808}", -1}, {"{\"v\":9223372036854775807}", 1},
        {"{\"v\":2.999}", -1}, {"{\"v\":3.0}", 0}, {"{\"v\":3.5}", 1},
        {"{\"v\":\"3\"}", 2}, {"{\"v\":true}", 2}, {"{\"v\":null}", 2},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        for (int real = 0; real < 2; real++) {
            char def[512];
            snprintf(def, sizeof def,
                     "{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\",\"Choices\":"
                     "[{\"Variable\":\"$.v\",\"%s\":%s,\"Next\":\"Y\"}],\"Default\":\"N\"},"
                     "\"Y\":{\"Type\":\"Pass\",\"Result\":\"yes\",\"End\":true},"
                     "\"N\":{\"Type\":\"Pass\",\"Result\":\"no\",\"End\":true}}}",
                     ops[i].op, real ? "3.0" : "3");
            for (size_t j = 0; j < sizeof vals / sizeof vals[0]; j++) {
                int o = vals[j].order;
                int want = o == -1 ? ops[i].lt : o == 0 ? ops[i].eq : o == 1 ? ops[i].gt : 0;
                result r = run(def, vals[j].input, NULL);
                ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
                ck_assert_msg(strcmp(json_string_value(r.output), want ? "yes" : "no") == 0,
                              "%s %s %s: %s", vals[j].input, ops[i].op, real ? "3.0" : "3",
                              json_string_value(r.output));
                done(&r);
            }
        }
}
END_TEST

START_TEST(no_choice_matched)
{
    const char *def = "{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\",\"Choices\":"
                      "[{\"Variable\":\"$.n\",\"NumericEquals\":1,\"Next\":\"S\"}]},"
                      "\"S\":{\"Type\":\"Succeed\"}}}";
    result r = run(def, "{\"n\":2}", NULL);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.error, "States.NoChoiceMatched");
    done(&r);
}
END_TEST

START_TEST(execution_timeout)
{
    const char *def = "{\"TimeoutSeconds\":5,\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":"
                      "\"Wait\",\"Seconds\":60,\"End\":true}}}";
    result r = run(def, "{}", NULL);
    ck_assert_int_eq(r.status, ASLRT_TIMED_OUT);
    ck_assert_str_eq(r.err.error, "States.Timeout");
    done(&r);
}
END_TEST

START_TEST(intrinsic_failure)
{
    const char *def = "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Parameters\":"
                      "{\"x.$\":\"States.ArrayGetItem($.a, $.i)\"},\"End\":true}}}";
    result r = run(def, "{\"a\":[1],\"i\":\"x\"}", NULL);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.error, "States.Runtime");
    ck_assert_ptr_nonnull(strstr(r.err.cause, "States.ArrayGetItem"));
    done(&r);
}
END_TEST

START_TEST(result_path_failure)
{
    const char *def = "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Result\":1,"
                      "\"ResultPath\":\"$.a.b\",\"End\":true}}}";
    result r = run(def, "{\"a\":\"text\"}", NULL);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.error, "States.Runtime");
    ck_assert_ptr_nonnull(strstr(r.err.cause, "Unable to apply ReferencePath $.a.b"));
    done(&r);
}
END_TEST

/* ---- Mocks (Step Functions Local's mock configuration file) -------------- */

static const char *const mock_def =
    "{\"StartAt\":\"Lambda\",\"States\":{"
    "\"Lambda\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:1:function:f\","
    "\"Retry\":[{\"ErrorEquals\":[\"Lambda.TimeoutException\",\"Lambda.NotReady\"],"
    "\"IntervalSeconds\":1,\"MaxAttempts\":3}],\"ResultPath\":\"$.lambda\",\"Next\":\"Queue\"},"
    "\"Queue\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:1:function:queue\",\"ResultPath\":\"$.queue\","
    "\"End\":true}}}";

static const char *const mock_file =
    "{\"StateMachines\":{\"t\":{\"TestCases\":{"
    "\"Happy\":{\"Lambda\":\"Ok\",\"Queue\":\"Sent\"},"
    "\"Retry\":{\"Lambda\":\"Flaky\",\"Queue\":\"Sent\"},"
    "\"Hybrid\":{\"Lambda\":\"Ok\"},"
    "\"TooFew\":{\"Lambda\":\"Fail2\"},"
    "\"BadState\":{\"Nope\":\"Ok\"},"
    "\"BadResponse\":{\"Lambda\":\"Nope\"}}}},"
    "\"MockedResponses\":{"
    "\"Ok\":{\"0\":{\"Return\":{\"StatusCode\":200}}},"
    "\"Sent\":{\"0\":{\"Return\":{\"MessageId\":\"m-1\"}}},"
    "\"Flaky\":{\"0\":{\"Throw\":{\"Error\":\"Lambda.NotReady\",\"Cause\":\"not ready\"}},"
    "\"1-2\":{\"Throw\":{\"Error\":\"Lambda.TimeoutException\",\"Cause\":\"timed out\"}},"
    "\"3\":{\"Return\":{\"StatusCode\":200,\"attempt\":4}}},"
    "\"Fail2\":{\"0-1\":{\"Throw\":{\"Error\":\"Lambda.NotReady\",\"Cause\":\"x\"}}}}}";

START_TEST(mock_happy_path)
{
    mock_text = mock_file;
    mock_case = "Happy";
    result r = run(mock_def, "{}", NULL);
    mock_text = NULL;
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    char *t = aslrt_json_dumps(r.output);
    ck_assert_str_eq(t, "{\"lambda\":{\"StatusCode\":200},\"queue\":{\"MessageId\":\"m-1\"}}");
    free(t);
    done(&r);
}
END_TEST

START_TEST(mock_ranges_follow_retries)
{
    /* Invocations 0, 1-2 throw (the retrier retries them), 3 returns. */
    mock_text = mock_file;
    mock_case = "Retry";
    result r = run(mock_def, "{}", NULL);
    mock_text = NULL;
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r.output, "lambda"),
                                                        "attempt")),
                     4);
    done(&r);
}
END_TEST

START_TEST(mock_and_binding_mixed)
{
    /* Hybrid mocks only Lambda: Queue calls its binding. */
    mock_text = mock_file;
    mock_case = "Hybrid";
    flaky fl = {0, "x", 0};
    result r = run(mock_def, "{\"k\":1}", &fl);
    mock_text = NULL;
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    ck_assert_int_eq(fl.calls, 1);
    done(&r);
}
END_TEST

START_TEST(mock_missing_invocation)
{
    /* Two throws are mocked, the retrier asks for a third invocation. */
    mock_text = mock_file;
    mock_case = "TooFew";
    result r = run(mock_def, "{}", NULL);
    mock_text = NULL;
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.error, "States.Runtime");
    ck_assert_str_eq(r.err.cause, "The mocked response 'Fail2' has no entry for invocation 2 of "
                                  "state 'Lambda' (invocations count from 0)");
    done(&r);
}
END_TEST

START_TEST(mock_unknown_names)
{
    static const aslrt_state st[] = {{.name = "Lambda", .type = ASLRT_STATE_TASK, .resource = "r"}};
    aslrt_machine m = {.abi_version = ASLRT_ABI_VERSION, .name = "t", .source = "t.json",
                       .states = st, .nstates = 1};
    char path[] = "/tmp/aslc-mock-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_eq(write(fd, mock_file, strlen(mock_file)), (ssize_t)strlen(mock_file));
    close(fd);
    static const char *const cases[][2] = {
        {"Nope", "has no test case \"Nope\""},
        {"BadState", "mocks state \"Nope\", which the state machine does not have"},
        {"BadResponse", "names the mocked response \"Nope\", which \"MockedResponses\" does not define"},
    };
    for (size_t i = 0; i < 3; i++) {
        aslrt_error err = {0, 0};
        ck_assert_ptr_null(aslrt_mocks_load(path, "t", cases[i][0], &m, &err));
        ck_assert_msg(strstr(err.cause, cases[i][1]) != NULL, "%s", err.cause);
        aslrt_error_clear(&err);
    }
    aslrt_error err = {0, 0};
    ck_assert_ptr_null(aslrt_mocks_load(path, "other", "Happy", &m, &err));
    ck_assert_ptr_nonnull(strstr(err.cause, "no state machine \"other\""));
    aslrt_error_clear(&err);
    unlink(path);
}
END_TEST

/* ---- Parallel and Map ---------------------------------------------------- */

static char *map_def(int max_concurrency)
{
    return aslrtp_strdupf(
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemsPath\":\"$.items\","
        "\"MaxConcurrency\":%d,"
        "\"ItemSelector\":{\"v.$\":\"$$.Map.Item.Value\",\"i.$\":\"$$.Map.Item.Index\","
        "\"tag.$\":\"$.tag\"},"
        "\"ItemProcessor\":{\"StartAt\":\"P\",\"States\":{"
        "\"P\":{\"Type\":\"Pass\",\"Parameters\":{\"v.$\":\"$.v.id\",\"i.$\":\"$.i\","
        "\"t.$\":\"$.tag\"},\"Next\":\"C\"},"
        "\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.v\","
        "\"NumericGreaterThanEquals\":150,\"Next\":\"Hi\"}],\"Default\":\"Lo\"},"
        "\"Hi\":{\"Type\":\"Pass\",\"Parameters\":{\"hi.$\":\"$.i\"},\"End\":true},"
        "\"Lo\":{\"Type\":\"Pass\",\"Parameters\":{\"lo.$\":\"$.i\",\"t.$\":\"$.t\"},"
        "\"End\":true}}},\"End\":true}}}",
        max_concurrency);
}

START_TEST(map_same_output_at_any_concurrency)
{
    aslrtp_buf in = {0};
    aslrtp_buf_adds(&in, "{\"tag\":\"x\",\"items\":[");
    for (int i = 0; i < 300; i++)
        aslrtp_buf_addf(&in, "%s{\"id\":%d}", i ? "," : "", i);
    aslrtp_buf_adds(&in, "]}");
    char *input = aslrtp_buf_finish(&in);
    char *texts[3];
    int limits[3] = {1, 0, 7};
    for (int k = 0; k < 3; k++) {
        char *def = map_def(limits[k]);
        run_threads = 4;
        result r = run(def, input, NULL);
        run_threads = 0;
        ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
        ck_assert_uint_eq(json_array_size(r.output), 300);
        texts[k] = aslrt_json_dumps(r.output);
        done(&r);
        free(def);
    }
    ck_assert_str_eq(texts[0], texts[1]);
    ck_assert_str_eq(texts[0], texts[2]);
    ck_assert_ptr_nonnull(strstr(texts[0], "{\"lo\":0,\"t\":\"x\"},{\"lo\":1,"));
    ck_assert_ptr_nonnull(strstr(texts[0], "{\"hi\":299}]"));
    for (int k = 0; k < 3; k++)
        free(texts[k]);
    free(input);
}
END_TEST

/* The same Map in JSONata mode: Items and ItemSelector are expressions, and
 * every iteration reads the Map's input (converted once and shared by the
 * threads: ThreadSanitizer runs this test in CI) and an outer variable. */
START_TEST(jsonata_map_same_output_at_any_concurrency)
{
    aslrtp_buf in = {0};
    aslrtp_buf_adds(&in, "{\"tag\":\"x\",\"items\":[");
    for (int i = 0; i < 300; i++)
        aslrtp_buf_addf(&in, "%s{\"id\":%d}", i ? "," : "", i);
    aslrtp_buf_adds(&in, "]}");
    char *input = aslrtp_buf_finish(&in);
    char *texts[3];
    int limits[3] = {1, 0, 7};
    for (int k = 0; k < 3; k++) {
        char *def = aslrtp_strdupf(
            "{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"A\",\"States\":{"
            "\"A\":{\"Type\":\"Pass\",\"Assign\":{\"limit\":150},\"Next\":\"M\"},"
            "\"M\":{\"Type\":\"Map\",\"Items\":\"{%% $states.input.items %%}\","
            "\"MaxConcurrency\":%d,"
            "\"ItemSelector\":{\"v\":\"{%% $states.context.Map.Item.Value.id %%}\","
            "\"i\":\"{%% $states.context.Map.Item.Index %%}\",\"tag\":\"{%% $states.input.tag %%}\","
            "\"n\":\"{%% $count($states.context.Execution.Input.items) %%}\"},"
            "\"ItemProcessor\":{\"StartAt\":\"C\",\"States\":{"
            "\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Condition\":\"{%% $states.input.v >= $limit %%}\","
            "\"Next\":\"Hi\"}],\"Default\":\"Lo\"},"
            "\"Hi\":{\"Type\":\"Pass\",\"Output\":{\"hi\":\"{%% $states.input.i %%}\"},\"End\":true},"
            "\"Lo\":{\"Type\":\"Pass\",\"Output\":{\"lo\":\"{%% $states.input.i %%}\","
            "\"t\":\"{%% $states.input.tag & $string($states.input.n) %%}\"},\"End\":true}}},"
            "\"End\":true}}}",
            limits[k]);
        run_threads = 4;
        result r = run(def, input, NULL);
        run_threads = 0;
        ck_assert_msg(r.status == ASLRT_SUCCEEDED, "%s: %s", r.err.error ? r.err.error : "",
                      r.err.cause ? r.err.cause : "");
        ck_assert_uint_eq(json_array_size(r.output), 300);
        texts[k] = aslrt_json_dumps(r.output);
        done(&r);
        free(def);
    }
    ck_assert_str_eq(texts[0], texts[1]);
    ck_assert_str_eq(texts[0], texts[2]);
    ck_assert_ptr_nonnull(strstr(texts[0], "{\"lo\":0,\"t\":\"x300\"},{\"lo\":1,"));
    ck_assert_ptr_nonnull(strstr(texts[0], "{\"hi\":299}]"));
    for (int k = 0; k < 3; k++)
        free(texts[k]);
    free(input);
}
END_TEST

START_TEST(map_failure_is_the_state_error)
{
    const char *def =
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\","
        "\"Catch\":[{\"ErrorEquals\":[\"TooBig\"],\"ResultPath\":\"$.err\",\"Next\":\"Done\"}],"
        "\"ItemProcessor\":{\"StartAt\":\"C\",\"States\":{"
        "\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$\",\"NumericGreaterThan\":2,"
        "\"Next\":\"F\"}],\"Default\":\"S\"},"
        "\"F\":{\"Type\":\"Fail\",\"Error\":\"TooBig\",\"Cause\":\"over two\"},"
        "\"S\":{\"Type\":\"Succeed\"}}},\"Next\":\"Done\"},"
        "\"Done\":{\"Type\":\"Pass\",\"End\":true}}}";
    result r = run(def, "[1,2,3,1]", NULL);
    /* The Map's input is an array: the catcher's ResultPath cannot add a
     * member to it. */
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.error, "States.Runtime");
    done(&r);
    const char *def2 =
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemsPath\":\"$.xs\","
        "\"Catch\":[{\"ErrorEquals\":[\"TooBig\"],\"ResultPath\":\"$.err\",\"Next\":\"Done\"}],"
        "\"ItemProcessor\":{\"StartAt\":\"C\",\"States\":{"
        "\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$\",\"NumericGreaterThan\":2,"
        "\"Next\":\"F\"}],\"Default\":\"S\"},"
        "\"F\":{\"Type\":\"Fail\",\"Error\":\"TooBig\",\"Cause\":\"over two\"},"
        "\"S\":{\"Type\":\"Succeed\"}}},\"Next\":\"Done\"},"
        "\"Done\":{\"Type\":\"Pass\",\"End\":true}}}";
    r = run(def2, "{\"xs\":[1,2,3,1]}", NULL);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    char *t = aslrt_json_dumps(r.output);
    ck_assert_str_eq(t, "{\"xs\":[1,2,3,1],\"err\":{\"Error\":\"TooBig\",\"Cause\":\"over two\"}}");
    free(t);
    done(&r);
}
END_TEST

START_TEST(map_items_not_an_array)
{
    const char *def = "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"End\":true,"
                      "\"ItemProcessor\":{\"StartAt\":\"S\",\"States\":{\"S\":{\"Type\":\"Succeed\"}}}}}}";
    result r = run(def, "{\"foo\":\"bar\"}", NULL);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.error, "States.Runtime");
    ck_assert_str_eq(r.err.cause, "An error occurred while executing the state 'M' (entered at the "
                                  "event id #2). Map state input must be an array but was: "
                                  "{\"foo\":\"bar\"}");
    done(&r);
}
END_TEST

START_TEST(parallel_retry_reruns_every_branch)
{
    const char *def =
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\","
        "\"Retry\":[{\"ErrorEquals\":[\"Boom\"],\"MaxAttempts\":2}],\"End\":true,"
        "\"Branches\":[{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:lambda:us-east-1:1:function:a\",\"End\":true}}},"
        "{\"StartAt\":\"B\",\"States\":{\"B\":{\"Type\":\"Pass\",\"Result\":\"b\",\"End\":true}}}]}}}";
    flaky fl = {2, "Boom", 0};
    result r = run(def, "{\"k\":1}", &fl);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    ck_assert_int_eq(fl.calls, 3);
    char *t = aslrt_json_dumps(r.output);
    ck_assert_str_eq(t, "[{\"k\":1},\"b\"]");
    free(t);
    done(&r);
}
END_TEST

static int fail_soon(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    (void)ud;
    (void)input;
    (void)output;
    struct timespec ts = {0, 300 * 1000000L}; /* let the sibling start its process */
    nanosleep(&ts, NULL);
    aslrt_error_set(err, "BranchBroke", "the first branch failed");
    return 0;
}

START_TEST(parallel_failure_stops_sibling_processes)
{
    char dir[] = "/tmp/aslc-par-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *pidfile = aslrtp_strdupf("%s/pid", dir);
    /* An hour: a sibling left running would outlast the test's time limit. */
    char *script = aslrtp_strdupf("echo $$ > %s; exec sleep 3600", pidfile);
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    run_bindings = aslrt_bindings_create();
    aslrt_bindings_add_c(run_bindings, "arn:aws:lambda:*:function:fails", fail_soon, NULL);
    aslrt_bindings_add_program(run_bindings, "arn:aws:lambda:*:function:sleeps", argv, NULL);
    const char *def =
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\",\"End\":true,"
        "\"Branches\":[{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:lambda:us-east-1:1:function:fails\",\"End\":true}}},"
        "{\"StartAt\":\"B\",\"States\":{\"B\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:lambda:us-east-1:1:function:sleeps\",\"End\":true}}}]}}}";
    result r = run(def, "{}", NULL);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.error, "BranchBroke");
    FILE *pf = fopen(pidfile, "r");
    ck_assert_ptr_nonnull(pf);
    int pid = 0;
    ck_assert_int_eq(fscanf(pf, "%d", &pid), 1);
    fclose(pf);
    /* The sibling's handler process is gone (killed and reaped). */
    ck_assert_int_eq(kill(pid, 0), -1);
    done(&r);
    aslrt_bindings_destroy(run_bindings);
    run_bindings = NULL;
    unlink(pidfile);
    rmdir(dir);
    free(pidfile);
    free(script);
}
END_TEST

static char *tolerance_def(const char *tolerance)
{
    return aslrtp_strdupf(
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",%s"
        "\"ItemProcessor\":{\"ProcessorConfig\":{\"Mode\":\"DISTRIBUTED\","
        "\"ExecutionType\":\"STANDARD\"},\"StartAt\":\"C\",\"States\":{"
        "\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$\",\"NumericEquals\":2,"
        "\"Next\":\"F\"}],\"Default\":\"S\"},"
        "\"F\":{\"Type\":\"Fail\",\"Error\":\"Two\",\"Cause\":\"no twos\"},"
        "\"S\":{\"Type\":\"Succeed\"}}},\"End\":true}}}",
        tolerance);
}

START_TEST(distributed_tolerated_failures)
{
    static const struct {
        const char *tolerance, *input;
        int status;
    } cases[] = {
        {"", "[1,3]", ASLRT_SUCCEEDED},
        {"", "[1,2,3]", ASLRT_FAILED},                           /* default: none tolerated */
        {"\"ToleratedFailureCount\":1,", "[1,2,3]", ASLRT_SUCCEEDED},
        {"\"ToleratedFailureCount\":1,", "[2,2,3]", ASLRT_FAILED},
        {"\"ToleratedFailurePercentage\":50,", "[2,1,2,3]", ASLRT_SUCCEEDED}, /* 50% */
        {"\"ToleratedFailurePercentage\":50,", "[2,2,2,3]", ASLRT_FAILED},    /* 75% */
        {"\"ToleratedFailureCount\":5,\"ToleratedFailurePercentage\":10,", "[2,1,1]",
         ASLRT_FAILED}, /* either threshold */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *def = tolerance_def(cases[i].tolerance);
        result r = run(def, cases[i].input, NULL);
        ck_assert_msg(r.status == cases[i].status, "case %zu: status %d", i, r.status);
        if (r.status == ASLRT_FAILED) {
            ck_assert_str_eq(r.err.error, "States.ExceedToleratedFailureThreshold");
            ck_assert_str_eq(r.err.cause, "The specified tolerated failure threshold was exceeded");
        }
        done(&r);
        free(def);
    }
    /* A tolerated failure leaves its error output in its slot. */
    char *def = tolerance_def("\"ToleratedFailureCount\":1,");
    result r = run(def, "[1,2,3]", NULL);
    char *t = aslrt_json_dumps(r.output);
    ck_assert_str_eq(t, "[1,{\"Error\":\"Two\",\"Cause\":\"no twos\"},3]");
    free(t);
    done(&r);
    free(def);
}
END_TEST

START_TEST(distributed_tolerance_paths)
{
    char *def = tolerance_def("\"ToleratedFailureCountPath\":\"$.n\",\"ItemsPath\":\"$.xs\",");
    result r = run(def, "{\"n\":\"NoNumber\",\"xs\":[1]}", NULL);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.cause, "An error occurred while executing the state 'M' (entered at the "
                                  "event id #2). The ToleratedFailureCountPath field refers to "
                                  "value \"NoNumber\" which is not a valid integer: $.n");
    done(&r);
    r = run(def, "{\"n\":-1,\"xs\":[1]}", NULL);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_ptr_nonnull(strstr(r.err.cause, "ToleratedFailureCount cannot be negative."));
    done(&r);
    free(def);
    def = tolerance_def("\"ToleratedFailurePercentagePath\":\"$.p\",\"ItemsPath\":\"$.xs\",");
    r = run(def, "{\"p\":100.1,\"xs\":[1]}", NULL);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_ptr_nonnull(strstr(r.err.cause, "ToleratedFailurePercentage must be between 0 and 100."));
    done(&r);
    r = run(def, "{\"p\":1.1,\"xs\":[1]}", NULL);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    done(&r);
    free(def);
}
END_TEST

/* Runs def on input: the status, and the end of the cause when it fails. */
static void expect_run(const char *def, const char *input, int status, const char *cause_end)
{
    flaky fl = {0, "", 0};
    result r = run(def, input, &fl);
    ck_assert_msg(r.status == status, "%s on %s: status %d (%s)", def, input, r.status,
                  r.err.cause ? r.err.cause : "");
    if (cause_end) {
        size_t n = strlen(r.err.cause), m = strlen(cause_end);
        ck_assert_msg(n >= m && strcmp(r.err.cause + n - m, cause_end) == 0, "cause: %s",
                      r.err.cause);
    }
    done(&r);
}

START_TEST(numeric_string_paths)
{
    /* Every numeric JSONPath ...Path field takes a string holding a number,
     * as AWS does ("1" for 1), and refuses one that holds none. */
    char *def = tolerance_def("\"ToleratedFailurePercentagePath\":\"$.p\",\"ItemsPath\":\"$.xs\",");
    expect_run(def, "{\"p\":\"50\",\"xs\":[2,1,2,3]}", ASLRT_SUCCEEDED, NULL);
    expect_run(def, "{\"p\":\"1.5\",\"xs\":[1]}", ASLRT_SUCCEEDED, NULL);
    expect_run(def, "{\"p\":\"100.1\",\"xs\":[1]}", ASLRT_FAILED,
               "ToleratedFailurePercentage must be between 0 and 100.");
    expect_run(def, "{\"p\":\"NoNumber\",\"xs\":[1]}", ASLRT_FAILED,
               "The ToleratedFailurePercentagePath field refers to value \"NoNumber\" which is "
               "not a valid float: $.p");
    free(def);
    def = tolerance_def("\"ToleratedFailureCountPath\":\"$.n\",\"ItemsPath\":\"$.xs\",");
    expect_run(def, "{\"n\":\"1\",\"xs\":[1,2,3]}", ASLRT_SUCCEEDED, NULL);
    expect_run(def, "{\"n\":\"-1\",\"xs\":[1]}", ASLRT_FAILED,
               "ToleratedFailureCount cannot be negative.");
    expect_run(def, "{\"n\":\"1.5\",\"xs\":[1]}", ASLRT_FAILED,
               "The ToleratedFailureCountPath field refers to value \"1.5\" which is not a "
               "valid integer: $.n");
    free(def);
    def = tolerance_def("\"MaxConcurrencyPath\":\"$.c\",\"ItemsPath\":\"$.xs\","
                        "\"ItemBatcher\":{\"MaxItemsPerBatchPath\":\"$.b\"},");
    expect_run(def, "{\"c\":\"1\",\"b\":\"2\",\"xs\":[1,3]}", ASLRT_SUCCEEDED, NULL);
    expect_run(def, "{\"c\":\"x\",\"b\":\"2\",\"xs\":[1]}", ASLRT_FAILED,
               "The MaxConcurrencyPath field refers to value \"x\" which is not a valid "
               "integer: $.c");
    expect_run(def, "{\"c\":\"1\",\"b\":\"two\",\"xs\":[1]}", ASLRT_FAILED,
               "The MaxItemsPerBatchPath field refers to value \"two\" which is not a valid "
               "integer: $.b");
    free(def);
    const char *wait = "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
                       "\"SecondsPath\":\"$.s\",\"End\":true}}}";
    expect_run(wait, "{\"s\":\"2\"}", ASLRT_SUCCEEDED, NULL);
    expect_run(wait, "{\"s\":\"-1\"}", ASLRT_FAILED,
               "The SecondsPath parameter references a negative value: $.s == -1");
    expect_run(wait, "{\"s\":\"soon\"}", ASLRT_FAILED,
               "The SecondsPath parameter cannot be parsed as a long value: $.s == soon");
    const char *task = "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
                       "\"Resource\":\"r\",\"TimeoutSecondsPath\":\"$.t\",\"End\":true}}}";
    expect_run(task, "{\"t\":\"5\"}", ASLRT_SUCCEEDED, NULL);
    expect_run(task, "{\"t\":\"5.5\"}", ASLRT_FAILED,
               "The TimeoutSecondsPath parameter does not reference a positive integer");
}
END_TEST

/* ---- The Lambda optimized integration ------------------------------------ */

static int echo_fn(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    (void)err;
    *output = json_pack("{s:s,s:O}", "fn", (const char *)ud, "event", input);
    return 1;
}

START_TEST(lambda_invoke_function_names)
{
    run_bindings = aslrt_bindings_create();
    aslrt_bindings_add_c(run_bindings, "arn:aws:lambda:us-east-1:123456789012:function:plain",
                         echo_fn, "plain");
    aslrt_bindings_add_c(run_bindings, "arn:aws:lambda:us-east-1:222222222222:function:other:prod",
                         echo_fn, "other:prod");
    const char *def =
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:states:::lambda:invoke\","
        "\"Parameters\":{\"FunctionName.$\":\"$.fn\",\"Payload.$\":\"$.p\"},"
        "\"ResultSelector\":{\"code.$\":\"$.StatusCode\",\"v.$\":\"$.ExecutedVersion\","
        "\"payload.$\":\"$.Payload\"},\"End\":true}}}";
    static const char *const inputs[][2] = {
        /* a name, with the execution's account and region */
        {"{\"fn\":\"plain\",\"p\":{\"a\":1}}",
         "{\"code\":200,\"v\":\"$LATEST\",\"payload\":{\"fn\":\"plain\",\"event\":{\"a\":1}}}"},
        /* a full ARN; a string Payload is sent as the JSON it holds */
        {"{\"fn\":\"arn:aws:lambda:us-east-1:123456789012:function:plain\",\"p\":\"[1,2]\"}",
         "{\"code\":200,\"v\":\"$LATEST\",\"payload\":{\"fn\":\"plain\",\"event\":[1,2]}}"},
        /* a partial ARN with an alias */
        {"{\"fn\":\"222222222222:function:other:prod\",\"p\":null}",
         "{\"code\":200,\"v\":\"$LATEST\",\"payload\":{\"fn\":\"other:prod\",\"event\":{}}}"},
    };
    for (size_t i = 0; i < 3; i++) {
        result r = run(def, inputs[i][0], NULL);
        ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
        char *t = aslrt_json_dumps(r.output);
        ck_assert_str_eq(t, inputs[i][1]);
        free(t);
        done(&r);
    }
    /* No such function: Lambda's error, as AWS reports it. */
    result r = run(def, "{\"fn\":\"missing\",\"p\":{}}", NULL);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.error, "Lambda.ResourceNotFoundException");
    ck_assert(strncmp(r.err.cause, "Function not found: arn:aws:lambda:us-east-1:123456789012:"
                                   "function:missing:$LATEST (Service: AWSLambda; Status Code: 404",
                      110) == 0);
    done(&r);
    aslrt_bindings_destroy(run_bindings);
    run_bindings = NULL;
}
END_TEST

/* ---- Variables (JSONPath Assign) ------------------------------------------ */

START_TEST(variables_assign_and_read)
{
    /* Assign's values are computed with the variables as the state found
     * them and are seen from the next state on; a Choice rule's Assign and
     * a catcher's replace the state's; branches read outer variables. */
    const char *def =
        "{\"StartAt\":\"A\",\"States\":{"
        "\"A\":{\"Type\":\"Pass\",\"Result\":{\"n\":1},\"Assign\":{\"x.$\":\"$.n\",\"k\":\"c\"},"
        "\"Next\":\"B\"},"
        "\"B\":{\"Type\":\"Pass\",\"Parameters\":{\"x.$\":\"$x\"},"
        "\"Assign\":{\"x.$\":\"States.MathAdd($x, 10)\",\"old.$\":\"$x\"},\"Next\":\"C\"},"
        "\"C\":{\"Type\":\"Choice\",\"Assign\":{\"path\":\"default\"},"
        "\"Choices\":[{\"Variable\":\"$x\",\"NumericEquals\":11,\"Assign\":{\"path\":\"rule\"},"
        "\"Next\":\"T\"}],\"Default\":\"T\"},"
        "\"T\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:1:function:f\","
        "\"Assign\":{\"never\":true},"
        "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Assign\":{\"err.$\":\"$.Error\"},"
        "\"Next\":\"P\"}],\"Next\":\"P\"},"
        "\"P\":{\"Type\":\"Parallel\",\"Branches\":[{\"StartAt\":\"R\",\"States\":{"
        "\"R\":{\"Type\":\"Pass\",\"Parameters\":{\"x.$\":\"$x\",\"old.$\":\"$old\","
        "\"path.$\":\"$path\",\"err.$\":\"$err\",\"k.$\":\"$k\"},\"End\":true}}}],\"End\":true}}}";
    flaky fl = {1, "Boom", 0};
    result r = run(def, "{}", &fl);
    ck_assert_int_eq(r.status, ASLRT_SUCCEEDED);
    char *t = aslrt_json_dumps(r.output);
    ck_assert_str_eq(t, "[{\"x\":11,\"old\":1,\"path\":\"rule\",\"err\":\"Boom\",\"k\":\"c\"}]");
    free(t);
    done(&r);
}
END_TEST

START_TEST(variables_undefined_reference)
{
    const char *def = "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
                      "\"Parameters\":{\"v.$\":\"$nope\"},\"End\":true}}}";
    result r = run(def, "{}", NULL);
    ck_assert_int_eq(r.status, ASLRT_FAILED);
    ck_assert_str_eq(r.err.error, "States.Runtime");
    ck_assert_ptr_nonnull(strstr(r.err.cause, "The JSONPath '$nope' specified for the field 'v.$'"));
    done(&r);
}
END_TEST

#endif /* HAVE_LIBTCC */

int main(void)
{
    Suite *s = suite_create("errors");
    TCase *tc = tcase_create("retry_catch");
    tcase_set_timeout(tc, 30);
#ifdef HAVE_LIBTCC
    tcase_add_test(tc, retry_backoff_intervals);
    tcase_add_test(tc, retry_exhausted_then_caught);
    tcase_add_test(tc, retry_max_delay_caps);
    tcase_add_test(tc, retry_full_jitter_bounds);
    tcase_add_test(tc, retry_max_attempts_zero_and_first_match);
    tcase_add_test(tc, task_failed_does_not_match_timeout);
    tcase_add_test(tc, runtime_error_not_caught);
    tcase_add_test(tc, catch_result_path_null_keeps_input);
    tcase_add_test(tc, data_limit_exceeded_caught_by_all);
    tcase_add_test(tc, data_limit_of_bounded_template);
    tcase_add_test(tc, no_choice_matched);
    tcase_add_test(tc, choice_integer_literal);
    tcase_add_test(tc, execution_timeout);
    tcase_add_test(tc, intrinsic_failure);
    tcase_add_test(tc, result_path_failure);
    tcase_add_test(tc, mock_happy_path);
    tcase_add_test(tc, mock_ranges_follow_retries);
    tcase_add_test(tc, mock_and_binding_mixed);
    tcase_add_test(tc, mock_missing_invocation);
    tcase_add_test(tc, mock_unknown_names);
    tcase_add_test(tc, map_same_output_at_any_concurrency);
    tcase_add_test(tc, jsonata_map_same_output_at_any_concurrency);
    tcase_add_test(tc, map_failure_is_the_state_error);
    tcase_add_test(tc, map_items_not_an_array);
    tcase_add_test(tc, parallel_retry_reruns_every_branch);
    tcase_add_test(tc, parallel_failure_stops_sibling_processes);
    tcase_add_test(tc, distributed_tolerated_failures);
    tcase_add_test(tc, distributed_tolerance_paths);
    tcase_add_test(tc, lambda_invoke_function_names);
    tcase_add_test(tc, variables_assign_and_read);
    tcase_add_test(tc, variables_undefined_reference);
    tcase_add_test(tc, numeric_string_paths);
#endif
    suite_add_tcase(s, tc);
    int failed = run_suite(s, CK_ENV);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

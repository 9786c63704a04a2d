/*
 * check_task.c - unit tests of runtime/task.c and the Python adapter.
 *
 * Model: every handler kind is driven through aslrtp_task_invoke, as the
 * runtime calls it.  Program handlers are small shell scripts written into
 * a scratch directory; Python handlers are files run through
 * runtime/aslc-python-handler (found through ASLC_PYTHON_HANDLER, which the
 * test harness sets), and are skipped when there is no python3.  Expected
 * Lambda errors are those recorded on AWS in the conformance corpus.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "aslrt_private.h"
#include "testutil.h"

static const char *python;          /* the interpreter, NULL when absent */
static const char *node;            /* node, NULL when absent */

/* ==== Helpers ============================================================ */

static json_t *parse(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    ck_assert_msg(v != NULL, "bad test JSON: %s", text);
    return v;
}

/* Invokes resource with the JSON text input. */
static int call(const aslrt_bindings *b, const char *resource, const char *input,
                double timeout_s, json_t **out, aslrt_error *err)
{
    json_t *in = parse(input);
    int ok = aslrtp_task_invoke(b, resource, in, timeout_s, NULL, out, err);
    json_decref(in);
    if (ok)
        ck_assert_ptr_nonnull(*out);
    else
        ck_assert_ptr_null(*out);
    return ok;
}

/* Expects success with the JSON text expected as the result. */
static void expect_result(const aslrt_bindings *b, const char *resource,
                          const char *input, const char *expected)
{
    json_t *out = NULL;
    aslrt_error err = { 0 };
    int ok = call(b, resource, input, 0, &out, &err);
    ck_assert_msg(ok, "%s failed: %s: %s", resource, err.error ? err.error : "(null)",
                  err.cause ? err.cause : "(null)");
    json_t *want = parse(expected);
    char *got = aslrt_json_dumps(out);
    ck_assert_msg(json_equal(out, want), "%s gave %s, expected %s", resource, got, expected);
    free(got);
    json_decref(want);
    json_decref(out);
}

/* Expects failure with Error error; returns the Cause (malloc'd, may be
 * NULL). */
static char *expect_error(const aslrt_bindings *b, const char *resource,
                          const char *input, double timeout_s, const char *error)
{
    json_t *out = NULL;
    aslrt_error err = { 0 };
    int ok = call(b, resource, input, timeout_s, &out, &err);
    ck_assert_msg(!ok, "%s succeeded", resource);
    ck_assert_ptr_nonnull(err.error);
    ck_assert_msg(strcmp(err.error, error) == 0, "%s: Error %s (%s), expected %s",
                  resource, err.error, err.cause ? err.cause : "(null)", error);
    char *cause = err.cause;
    free(err.error);
    return cause;
}

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static pid_t read_pid(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "no pid file %s", path);
    int pid = 0;
    ck_assert_int_eq(fscanf(f, "%d", &pid), 1);
    fclose(f);
    return (pid_t)pid;
}

static aslrt_bindings *program_binding(const char *pattern, const char *path)
{
    aslrt_bindings *b = aslrt_bindings_create();
    const char *argv[] = { path, NULL };
    ck_assert(aslrt_bindings_add_program(b, pattern, argv, NULL));
    return b;
}

/* ==== Matching and C handlers =========================================== */

static int tag_handler(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    (void)input;
    (void)err;
    *output = json_string((const char *)ud);
    return 1;
}

START_TEST(test_glob_priority)
{
    aslrt_bindings *b = aslrt_bindings_create();
    ck_assert(aslrt_bindings_add_c(b, "arn:aws:lambda:*:*:function:ValidateLambda",
                                   tag_handler, "validate"));
    ck_assert(aslrt_bindings_add_c(b, "arn:aws:lambda:*:*:function:Process*",
                                   tag_handler, "process"));
    ck_assert(aslrt_bindings_add_c(b, "arn:aws:lambda:*:*:function:ProcessOrder",
                                   tag_handler, "never: an earlier pattern wins"));
    ck_assert(aslrt_bindings_add_c(b, "arn:aws:states:::sqs:sendMessage",
                                   tag_handler, "sqs"));
    ck_assert(aslrt_bindings_add_c(b, "*", tag_handler, "fallback"));

    expect_result(b, "arn:aws:lambda:us-east-1:111111111111:function:ValidateLambda",
                  "{}", "\"validate\"");
    expect_result(b, "arn:aws:lambda:eu-west-1:222222222222:function:ProcessOrder",
                  "{}", "\"process\"");
    expect_result(b, "arn:aws:lambda:us-east-1:111111111111:function:Process",
                  "{}", "\"process\"");
    expect_result(b, "arn:aws:states:::sqs:sendMessage", "{}", "\"sqs\"");
    /* exact patterns are exact: no prefix match */
    expect_result(b, "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "{}",
                  "\"fallback\"");
    expect_result(b, "arn:aws:lambda:us-east-1:111111111111:function:ValidateLambda:prod",
                  "{}", "\"fallback\"");
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_glob_syntax)
{
    aslrt_bindings *b = aslrt_bindings_create();
    ck_assert(aslrt_bindings_add_c(b, "arn:aws:states:::*", tag_handler, "star-colon"));
    ck_assert(aslrt_bindings_add_c(b, "a/*/z", tag_handler, "star-slash"));
    ck_assert(aslrt_bindings_add_c(b, "fn-?", tag_handler, "question"));
    ck_assert(aslrt_bindings_add_c(b, "x[ab]", tag_handler, "brackets are literal"));
    ck_assert(aslrt_bindings_add_c(b, "*a*b*c", tag_handler, "backtracking"));
    ck_assert(aslrt_bindings_add_c(b, "", tag_handler, "empty"));

    expect_result(b, "arn:aws:states:::lambda:invoke", "{}", "\"star-colon\"");
    expect_result(b, "arn:aws:states:::", "{}", "\"star-colon\"");
    expect_result(b, "a/b:c/d/z", "{}", "\"star-slash\"");
    expect_result(b, "fn-1", "{}", "\"question\"");
    expect_result(b, "fn-\xc3\xa9", "{}", "\"question\"");     /* one character */
    expect_result(b, "x[ab]", "{}", "\"brackets are literal\"");
    expect_result(b, "xxaxxbxaxbxxc", "{}", "\"backtracking\"");
    expect_result(b, "", "{}", "\"empty\"");

    char *cause = expect_error(b, "fn-12", "{}", 0, "aslc.UnboundResource");
    ck_assert_str_eq(cause, "no handler is bound to resource 'fn-12' (see --bindings)");
    free(cause);
    cause = expect_error(b, "xa", "{}", 0, "aslc.UnboundResource");
    free(cause);
    cause = expect_error(b, "a/z", "{}", 0, "aslc.UnboundResource");
    free(cause);
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_unbound)
{
    char *cause = expect_error(NULL, "arn:aws:lambda:us-east-1:1:function:F", "{}", 0,
                               "aslc.UnboundResource");
    assert_contains(cause, "'arn:aws:lambda:us-east-1:1:function:F'");
    free(cause);

    aslrt_bindings *b = aslrt_bindings_create();
    cause = expect_error(b, "r", "{}", 0, "aslc.UnboundResource");
    free(cause);
    ck_assert(!aslrt_bindings_add_c(b, "p", NULL, NULL));
    ck_assert(!aslrt_bindings_add_c(b, NULL, tag_handler, NULL));
    const char *empty[] = { NULL };
    ck_assert(!aslrt_bindings_add_program(b, "p", empty, NULL));
    ck_assert(!aslrt_bindings_add_program(b, "p", NULL, NULL));
    aslrt_bindings_destroy(b);
    aslrt_bindings_destroy(NULL);
}
END_TEST

static int echo_handler(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    (void)ud;
    (void)err;
    *output = json_pack("{s:O}", "got", input);
    return 1;
}

static int failing_handler(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    (void)input;
    (void)output;
    if (ud)
        aslrt_error_set(err, "Order.Invalid", "the order has no items");
    return 0;
}

static int null_handler(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    (void)ud;
    (void)input;
    (void)output;
    (void)err;
    return 1;               /* success without a value: null */
}

START_TEST(test_c_handlers)
{
    aslrt_bindings *b = aslrt_bindings_create();
    ck_assert(aslrt_bindings_add_c(b, "echo", echo_handler, NULL));
    ck_assert(aslrt_bindings_add_c(b, "fail", failing_handler, "named"));
    ck_assert(aslrt_bindings_add_c(b, "fail-silently", failing_handler, NULL));
    ck_assert(aslrt_bindings_add_c(b, "null", null_handler, NULL));

    expect_result(b, "echo", "[1, {\"a\": null}]", "{\"got\": [1, {\"a\": null}]}");
    expect_result(b, "null", "{}", "null");

    /* the handler's error replaces whatever err held */
    json_t *out = NULL;
    aslrt_error err = { 0 };
    aslrt_error_set(&err, "stale", "stale");
    ck_assert(!call(b, "fail", "{}", 0, &out, &err));
    ck_assert_str_eq(err.error, "Order.Invalid");
    ck_assert_str_eq(err.cause, "the order has no items");
    aslrt_error_clear(&err);

    char *cause = expect_error(b, "fail-silently", "{}", 0, "aslc.HandlerFailed");
    assert_contains(cause, "'fail-silently'");
    free(cause);
    aslrt_bindings_destroy(b);
}
END_TEST

/* ==== Program handlers ================================================== */

START_TEST(test_program_echo)
{
    char *cat = script("echo.sh", "exec cat\n");
    aslrt_bindings *b = program_binding("arn:aws:lambda:*:*:function:Echo", cat);
    const char *res = "arn:aws:lambda:us-east-1:111111111111:function:Echo";
    expect_result(b, res, "{\"a\": [1, 2.5, \"x\\u00e9\", true, null], \"b\": {}}",
                  "{\"a\": [1, 2.5, \"x\\u00e9\", true, null], \"b\": {}}");
    expect_result(b, res, "\"just a string\"", "\"just a string\"");
    expect_result(b, res, "null", "null");

    /* Bigger than a pipe buffer both ways: writing the input while reading
     * the output must not deadlock. */
    aslrtp_buf big = { 0 };
    aslrtp_buf_adds(&big, "[");
    for (int i = 0; i < 20000; i++)
        aslrtp_buf_addf(&big, "%s%d", i ? "," : "", i * 7);
    aslrtp_buf_adds(&big, "]");
    char *text = aslrtp_buf_finish(&big);
    expect_result(b, res, text, text);
    free(text);

    aslrt_bindings_destroy(b);
    free(cat);
}
END_TEST

START_TEST(test_program_arguments_and_cwd)
{
    char *prog = script("args.sh", "cat >/dev/null\n"
                        "printf '{\"args\": [\"%s\", \"%s\"], \"cwd\": \"%s\"}' \"$1\" \"$2\" \"$(pwd -P)\"\n");
    aslrt_bindings *b = aslrt_bindings_create();
    const char *argv[] = { prog, "one", "two words", NULL };
    char *sub = path_in("workdir");
    mkdir(sub, 0755);
    ck_assert(aslrt_bindings_add_program(b, "args", argv, sub));
    char *real = realpath(sub, NULL);
    char *want = aslrtp_strdupf("{\"args\": [\"one\", \"two words\"], \"cwd\": \"%s\"}", real);
    expect_result(b, "args", "{}", want);

    /* a bare name is looked up in PATH */
    const char *sh[] = { "sh", "-c", "cat >/dev/null; echo '[\"from PATH\"]'", NULL };
    ck_assert(aslrt_bindings_add_program(b, "path", sh, NULL));
    expect_result(b, "path", "{}", "[\"from PATH\"]");

    free(want);
    free(real);
    free(sub);
    free(prog);
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_program_empty_output)
{
    char *prog = script("silent.sh", "cat >/dev/null\necho '  '\n");
    aslrt_bindings *b = program_binding("silent", prog);
    expect_result(b, "silent", "{}", "null");
    aslrt_bindings_destroy(b);
    free(prog);
}
END_TEST

START_TEST(test_program_lambda_error)
{
    /* Python's json.dumps spacing, as the Lambda runtime prints it: a
     * function ARN passes the text through unchanged. */
    const char *payload = "{\"errorMessage\": \"Order 7 has no items\", "
                          "\"errorType\": \"ValidationError\", \"requestId\": \"r-1\", "
                          "\"stackTrace\": []}";
    char *body = aslrtp_strdupf("cat >/dev/null\necho '%s'\nexit 1\n", payload);
    char *prog = script("lambda_error.sh", body);
    aslrt_bindings *b = program_binding("*", prog);

    char *cause = expect_error(b, "arn:aws:lambda:us-east-1:111111111111:function:V",
                               "{}", 0, "ValidationError");
    ck_assert_str_eq(cause, payload);
    free(cause);

    /* the optimized integration re-serializes it compactly */
    cause = expect_error(b, "arn:aws:states:::lambda:invoke", "{}", 0, "ValidationError");
    ck_assert_str_eq(cause, "{\"errorMessage\":\"Order 7 has no items\","
                     "\"errorType\":\"ValidationError\",\"requestId\":\"r-1\","
                     "\"stackTrace\":[]}");
    free(cause);

    /* an exit status 0 with the same object is a successful result */
    char *body0 = aslrtp_strdupf("cat >/dev/null\necho '%s'\n", payload);
    char *prog0 = script("lambda_error_ok.sh", body0);
    aslrt_bindings *b0 = program_binding("*", prog0);
    expect_result(b0, "x", "{}", payload);

    aslrt_bindings_destroy(b0);
    aslrt_bindings_destroy(b);
    free(prog0);
    free(body0);
    free(prog);
    free(body);
}
END_TEST

START_TEST(test_program_error_without_type)
{
    char *prog = script("no_type.sh", "cat >/dev/null\necho '{\"errorMessage\": \"oops\"}'\nexit 2\n");
    aslrt_bindings *b = program_binding("*", prog);
    char *cause = expect_error(b, "r", "{}", 0, "Lambda.Unknown");
    ck_assert_str_eq(cause, "{\"errorMessage\": \"oops\"}");
    free(cause);
    aslrt_bindings_destroy(b);
    free(prog);

    prog = script("empty_type.sh", "cat >/dev/null\necho '{\"errorType\": \"\", \"errorMessage\": \"\"}'\nexit 1\n");
    b = program_binding("*", prog);
    cause = expect_error(b, "r", "{}", 0, "Lambda.Unknown");
    free(cause);
    aslrt_bindings_destroy(b);
    free(prog);
}
END_TEST

START_TEST(test_program_crash)
{
    char *prog = script("crash.sh", "cat >/dev/null\necho 'about to crash' >&2\nkill -SEGV $$\n");
    aslrt_bindings *b = program_binding("*", prog);
    char *cause = expect_error(b, "arn:aws:lambda:us-east-1:1:function:Crash", "{}", 0,
                               "Lambda.Unknown");
    assert_contains(cause, "Runtime exited with error: signal: segmentation fault");
    assert_contains(cause, prog);
    assert_contains(cause, "arn:aws:lambda:us-east-1:1:function:Crash");
    assert_contains(cause, "stderr: about to crash");
    free(cause);
    aslrt_bindings_destroy(b);
    free(prog);
}
END_TEST

START_TEST(test_program_exit_status)
{
    char *prog = script("exit3.sh", "cat >/dev/null\necho 'first line' >&2\n"
                        "echo 'Traceback: it broke' >&2\necho 'not an error object'\nexit 3\n");
    aslrt_bindings *b = program_binding("*", prog);
    char *cause = expect_error(b, "r", "{}", 0, "Lambda.Unknown");
    assert_contains(cause, "Runtime exited with error: exit status 3");
    assert_contains(cause, "stderr: first line\nTraceback: it broke");
    assert_contains(cause, "stdout: not an error object");
    free(cause);
    aslrt_bindings_destroy(b);
    free(prog);

    /* a long stderr is quoted by its end, where the reason usually is */
    prog = script("noisy.sh", "cat >/dev/null\ni=0\nwhile [ $i -lt 500 ]; do echo \"log line $i\" >&2; i=$((i+1)); done\n"
                  "echo 'the real reason' >&2\nexit 1\n");
    b = program_binding("*", prog);
    cause = expect_error(b, "r", "{}", 0, "Lambda.Unknown");
    assert_contains(cause, "the real reason");
    ck_assert(strstr(cause, "log line 0\n") == NULL);
    /* the last 2,048 bytes, whatever reads the pipe cut them into */
    const char *quote = strstr(cause, "\nstderr: ...");
    ck_assert_ptr_nonnull(quote);
    ck_assert_uint_le(strlen(quote + strlen("\nstderr: ...")), 2048);
    ck_assert_uint_lt(strlen(cause), 4096);
    free(cause);
    aslrt_bindings_destroy(b);
    free(prog);
}
END_TEST

START_TEST(test_program_garbage)
{
    char *prog = script("garbage.sh", "cat >/dev/null\necho 'hello world'\n");
    aslrt_bindings *b = program_binding("*", prog);
    char *cause = expect_error(b, "res", "{}", 0, "Lambda.Unknown");
    assert_contains(cause, "printed output that is not JSON");
    assert_contains(cause, "hello world");
    assert_contains(cause, "'res'");
    free(cause);
    aslrt_bindings_destroy(b);
    free(prog);

    /* invalid UTF-8 must not make an invalid Cause */
    prog = script("binary.sh", "cat >/dev/null\nprintf '\\377\\376 bytes'\n");
    b = program_binding("*", prog);
    cause = expect_error(b, "res", "{}", 0, "Lambda.Unknown");
    json_t *s = json_string(cause);
    ck_assert_msg(s != NULL, "Cause is not UTF-8: %s", cause);
    json_decref(s);
    free(cause);
    aslrt_bindings_destroy(b);
    free(prog);
}
END_TEST

START_TEST(test_program_timeout)
{
    char *pidfile = path_in("timeout.pid");
    char *prog = script("timeout.sh", "sleep 600 &\necho $! > \"$1\"\nwait\n");
    aslrt_bindings *b = aslrt_bindings_create();
    const char *argv[] = { prog, pidfile, NULL };
    ck_assert(aslrt_bindings_add_program(b, "slow", argv, NULL));

    /* that it did not wait for the sleep, longer than the test case's
     * timeout, shows by its return */
    char *cause = expect_error(b, "slow", "{}", 1.0, "States.Timeout");
    ck_assert_ptr_null(cause);
    /* the program's own child died with it */
    ck_assert_msg(process_dead(read_pid(pidfile)), "the background sleep survived");

    aslrt_bindings_destroy(b);
    free(prog);
    free(pidfile);
}
END_TEST

START_TEST(test_program_background_child)
{
    /* The background sleep inherits stdout: waiting for EOF alone would
     * take 600 s, longer than the test case's timeout.  The call ends when
     * the program exits, and the straggler is killed. */
    char *pidfile = path_in("background.pid");
    char *prog = script("background.sh", "cat >/dev/null\nsleep 600 &\necho $! > \"$1\"\n"
                        "echo '{\"done\": true}'\n");
    aslrt_bindings *b = aslrt_bindings_create();
    const char *argv[] = { prog, pidfile, NULL };
    ck_assert(aslrt_bindings_add_program(b, "bg", argv, NULL));

    expect_result(b, "bg", "{}", "{\"done\": true}");
    ck_assert_msg(process_dead(read_pid(pidfile)), "the background sleep survived");

    aslrt_bindings_destroy(b);
    free(prog);
    free(pidfile);
}
END_TEST

START_TEST(test_program_ignores_input)
{
    /* The program never reads its 2 MB input: our write fails with EPIPE,
     * which must neither kill us with SIGPIPE nor leave one pending. */
    char *prog = script("deaf.sh", "exec 0<&-\necho '{\"ok\": 1}'\n");
    aslrt_bindings *b = program_binding("*", prog);
    json_t *big = json_array();
    for (int i = 0; i < 100000; i++)
        json_array_append_new(big, json_string("0123456789abcdef"));
    for (int round = 0; round < 3; round++) {
        json_t *out = NULL;
        aslrt_error err = { 0 };
        ck_assert(aslrtp_task_invoke(b, "deaf", big, 0, NULL, &out, &err));
        json_t *want = parse("{\"ok\": 1}");
        ck_assert(json_equal(out, want));
        json_decref(want);
        json_decref(out);
    }
    sigset_t pending;
    sigpending(&pending);
    ck_assert(!sigismember(&pending, SIGPIPE));
    json_decref(big);
    aslrt_bindings_destroy(b);
    free(prog);
}
END_TEST

START_TEST(test_program_not_found)
{
    aslrt_bindings *b = aslrt_bindings_create();
    const char *missing[] = { "/nonexistent/aslc-test-program", NULL };
    const char *nopath[] = { "aslc-no-such-program-in-path", NULL };
    ck_assert(aslrt_bindings_add_program(b, "missing", missing, NULL));
    ck_assert(aslrt_bindings_add_program(b, "nopath", nopath, NULL));
    char *cause = expect_error(b, "missing", "{}", 0, "aslc.HandlerFailed");
    assert_contains(cause, "cannot run program '/nonexistent/aslc-test-program'");
    assert_contains(cause, "No such file or directory");
    free(cause);
    cause = expect_error(b, "nopath", "{}", 0, "aslc.HandlerFailed");
    assert_contains(cause, "aslc-no-such-program-in-path");
    free(cause);
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_program_data_limit)
{
    /* 262144 bytes is the quota: a string of 262142 letters and its quotes
     * fit; one byte more does not. */
    char *fits = script("fits.sh", "cat >/dev/null\nprintf '\"'\n"
                        "head -c 262142 /dev/zero | tr '\\000' a\nprintf '\"'\n");
    char *over = script("over.sh", "cat >/dev/null\n"
                        "head -c 263168 /dev/zero | tr '\\000' a\n");
    aslrt_bindings *b = aslrt_bindings_create();
    const char *a1[] = { fits, NULL }, *a2[] = { over, NULL };
    ck_assert(aslrt_bindings_add_program(b, "fits", a1, NULL));
    ck_assert(aslrt_bindings_add_program(b, "arn:aws:lambda:*", a2, NULL));

    json_t *out = NULL;
    aslrt_error err = { 0 };
    ck_assert(call(b, "fits", "{}", 0, &out, &err));
    ck_assert_uint_eq(json_string_length(out), 262142);
    json_decref(out);

    const char *res = "arn:aws:lambda:us-east-1:111111111111:function:lambda_func_00000001";
    char *cause = expect_error(b, res, "{}", 0, "States.DataLimitExceeded");
    char *want = aslrtp_strdupf("The state/task '%s' returned a result with a size "
                                "exceeding the maximum number of bytes service limit.", res);
    ck_assert_str_eq(cause, want);
    free(want);
    free(cause);
    aslrt_bindings_destroy(b);
    free(fits);
    free(over);
}
END_TEST

typedef struct worker {
    const aslrt_bindings *b;
    int id;
    int failures;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 15; i++) {
        json_t *in = json_pack("{s:i,s:i}", "worker", w->id, "round", i);
        json_t *out = NULL;
        aslrt_error err = { 0 };
        if (!aslrtp_task_invoke(w->b, "echo", in, 10, NULL, &out, &err) || !json_equal(in, out))
            w->failures++;
        aslrt_error_clear(&err);
        json_decref(out);
        json_decref(in);
    }
    return NULL;
}

START_TEST(test_program_concurrent)
{
    char *cat = script("echo_slow.sh", "exec cat\n");
    aslrt_bindings *b = program_binding("echo", cat);
    int fds_before = count_fds();
    pthread_t t[8];
    worker w[8];
    for (int i = 0; i < 8; i++) {
        w[i] = (worker){ b, i, 0 };
        ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(w[i].failures, 0);
    }
    ck_assert_int_eq(count_fds(), fds_before);      /* no descriptor leaked */
    aslrt_bindings_destroy(b);
    free(cat);
}
END_TEST

/* ==== Bindings files ==================================================== */

/* Loads text as scratch/name; returns 1 or 0 and the message in *msg. */
static int load_text(aslrt_bindings *b, const char *name, const char *text, char **msg,
                     char **path_out)
{
    char *path = write_file(name, text, 0644);
    aslrt_error err = { 0 };
    int ok = aslrt_bindings_load_file(b, path, &err);
    if (!ok) {
        ck_assert_str_eq(err.error, "aslc.BindingsError");
        ck_assert_ptr_nonnull(err.cause);
    } else {
        ck_assert_ptr_null(err.error);
    }
    *msg = err.cause;
    free(err.error);
    if (path_out)
        *path_out = path;
    else
        free(path);
    return ok;
}

START_TEST(test_file_load)
{
    free(script("conf/bin/process.sh", "cat >/dev/null\necho '\"processed\"'\n"));
    free(script("conf/bin/validate.sh", "cat >/dev/null\nprintf '[\"validated\", \"%s\"]' \"$1\"\n"));
    free(script("conf/bin/where.sh", "cat >/dev/null\nprintf '\"%s\"' \"$(pwd -P)\"\n"));
    char *data_dir = path_in("conf/data");
    mkdir(data_dir, 0755);
    free(data_dir);
    free(write_file("conf/handlers/validate.py", "def lambda_handler(event, context):\n"
               "    return event\n", 0644));

    aslrt_bindings *b = aslrt_bindings_create();
    char *msg = NULL;
    int ok = load_text(b, "conf/tasks.json",
        "{\n"
        "  \"arn:aws:lambda:*:*:function:Validate\": {\"program\": [\"bin/validate.sh\", \"--strict\"]},\n"
        "  \"arn:aws:lambda:*:*:function:Process*\": {\"program\": \"./bin/process.sh\"},\n"
        "  \"arn:aws:lambda:*:*:function:ProcessNever\": {\"program\": [\"sh\"]},\n"
        "  \"where\": {\"program\": [\"bin/where.sh\"], \"cwd\": \"data\"},\n"
        "  \"py\": {\"python\": \"handlers/validate.py\"}\n"
        "}\n", &msg, NULL);
    ck_assert_msg(ok, "load failed: %s", msg);
    expect_result(b, "arn:aws:lambda:us-east-1:1:function:Validate", "{}",
                  "[\"validated\", \"--strict\"]");
    expect_result(b, "arn:aws:lambda:us-east-1:1:function:ProcessNever", "{}", "\"processed\"");

    char *data = path_in("conf/data");
    char *real = realpath(data, NULL);
    char *want = aslrtp_strdupf("\"%s\"", real);
    expect_result(b, "where", "{}", want);
    free(want);
    free(real);
    free(data);

    /* a second file adds bindings after the first one's */
    ok = load_text(b, "conf/more.json",
                   "{\"arn:aws:lambda:*:*:function:Validate\": {\"program\": [\"sh\"]},"
                   " \"other\": {\"program\": [\"bin/process.sh\"]}}", &msg, NULL);
    ck_assert_msg(ok, "load failed: %s", msg);
    expect_result(b, "arn:aws:lambda:us-east-1:1:function:Validate", "{}",
                  "[\"validated\", \"--strict\"]");
    expect_result(b, "other", "{}", "\"processed\"");
    aslrt_bindings_destroy(b);
}
END_TEST

typedef struct bad_file {
    const char *text;
    const char *message;        /* after "<path>: " */
} bad_file;

START_TEST(test_file_errors)
{
    free(script("bad/prog.sh", "cat\n"));
    free(write_file("bad/handler.py", "def lambda_handler(e, c):\n    return e\n", 0644));
    static const bad_file cases[] = {
        { "[1, 2]", "a bindings file is a JSON object mapping resource patterns to handlers" },
        { "{\"arn:aws:lambda:*:*:function:X\": {\"pyton\": \"handler.py\"}}",
          "/arn:aws:lambda:*:*:function:X: unknown handler kind \"pyton\" "
          "(expected \"python\", \"node\", \"runtime\", \"program\" or \"http\")" },
        { "{\"x\": {}}", "/x: no handler kind (expected \"python\", \"node\", \"runtime\", "
          "\"program\" or \"http\")" },
        { "{\"x\": \"prog.sh\"}", "/x: expected an object such as "
          "{\"program\": [\"./prog\"]} or {\"python\": \"handler.py\"}" },
        { "{\"a/b~c\": {\"program\": 5}}", "/a~1b~0c/program: expected an array of "
          "strings (program and arguments) or a string" },
        { "{\"x\": {\"program\": []}}", "/x/program: the program is missing (an empty array)" },
        { "{\"x\": {\"program\": [\"prog.sh\", 3]}}", "/x/program/1: expected a string" },
        { "{\"x\": {\"program\": [\"\"]}}", "/x/program/0: expected a non-empty string (the program)" },
        { "{\"x\": {\"program\": [\"prog.sh\"], \"cwd\": 1}}", "/x/cwd: expected a non-empty string" },
        { "{\"x\": {\"program\": [\"prog.sh\"], \"env\": {}}}",
          "/x/env: unknown member \"env\" of a program binding (expected \"program\", \"cwd\")" },
        { "{\"x\": {\"python\": \"handler.py\", \"program\": \"prog.sh\"}}",
          "/x: a binding has one of \"python\", \"node\", \"runtime\" and \"program\", "
          "not several" },
        { "{\"x\": {\"node\": \"index.js\", \"python\": \"handler.py\"}}",
          "/x: a binding has one of \"python\", \"node\", \"runtime\" and \"program\", "
          "not several" },
        { "{\"x\": {\"node\": 1}}", "/x/node: expected a non-empty string" },
        { "{\"x\": {\"node\": \"index.js\", \"timeout\": 3}}",
          "/x/timeout: unknown member \"timeout\" of a node binding "
          "(expected \"node\", \"handler\", \"interpreter\")" },
        { "{\"x\": {\"python\": 1}}", "/x/python: expected a non-empty string" },
        { "{\"x\": {\"python\": \"handler.py\", \"handler\": [\"h\"]}}",
          "/x/handler: expected a non-empty string" },
        { "{\"x\": {\"python\": \"handler.py\", \"timeout\": 3}}",
          "/x/timeout: unknown member \"timeout\" of a python binding "
          "(expected \"python\", \"handler\", \"interpreter\")" },
        { "{\"\": {\"program\": \"prog.sh\"}}", "/: the resource pattern is empty" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        aslrt_bindings *b = aslrt_bindings_create();
        char *msg = NULL, *path = NULL;
        ck_assert_msg(!load_text(b, "bad/tasks.json", cases[i].text, &msg, &path),
                      "accepted %s", cases[i].text);
        char *want = aslrtp_strdupf("%s: %s", path, cases[i].message);
        ck_assert_msg(strcmp(msg, want) == 0, "for %s:\n got  %s\n want %s",
                      cases[i].text, msg, want);
        free(want);
        free(msg);
        free(path);
        aslrt_bindings_destroy(b);
    }
}
END_TEST

START_TEST(test_file_missing_things)
{
    free(script("miss/prog.sh", "cat\n"));
    free(write_file("miss/noexec.sh", "#!/bin/sh\n", 0644));
    char *dir_py = path_in("miss/dir.py");
    mkdir(dir_py, 0755);
    free(dir_py);
    char *dir = path_in("miss");
    char *real = realpath(dir, NULL);
    struct {
        const char *text;
        const char *message;    /* after "<path>: ", with %s for the directory */
    } cases[] = {
        { "{\"x\": {\"python\": \"nosuch.py\"}}",
          "/x/python: cannot use Python file '%s/nosuch.py': No such file or directory" },
        { "{\"x\": {\"python\": \"dir.py\"}}",
          "/x/python: cannot use Python file '%s/dir.py': not a regular file" },
        { "{\"x\": {\"program\": [\"bin/nosuch.sh\"]}}",
          "/x/program/0: cannot use '%s/bin/nosuch.sh': No such file or directory" },
        { "{\"x\": {\"program\": \"./noexec.sh\"}}",
          "/x/program: cannot execute '%s/noexec.sh': Permission denied" },
        { "{\"x\": {\"program\": \"prog.sh\", \"cwd\": \"nowhere\"}}",
          "/x/cwd: cannot use directory '%s/nowhere': No such file or directory" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        aslrt_bindings *b = aslrt_bindings_create();
        char *msg = NULL, *path = NULL;
        ck_assert_msg(!load_text(b, "miss/tasks.json", cases[i].text, &msg, &path),
                      "accepted %s", cases[i].text);
        char *tail = aslrtp_strdupf(cases[i].message, real);
        char *want = aslrtp_strdupf("%s: %s", path, tail);
        ck_assert_msg(strcmp(msg, want) == 0, "for %s:\n got  %s\n want %s",
                      cases[i].text, msg, want);
        free(want);
        free(tail);
        free(msg);
        free(path);
        aslrt_bindings_destroy(b);
    }
    free(real);
    free(dir);

    /* not a file at all, and not JSON */
    aslrt_bindings *b = aslrt_bindings_create();
    aslrt_error err = { 0 };
    char *nofile = path_in("miss/nosuch.json");
    ck_assert(!aslrt_bindings_load_file(b, nofile, &err));
    ck_assert_str_eq(err.error, "aslc.BindingsError");
    assert_contains(err.cause, nofile);
    assert_contains(err.cause, "No such file or directory");
    aslrt_error_clear(&err);
    free(nofile);

    char *msg = NULL, *path = NULL;
    ck_assert(!load_text(b, "miss/syntax.json", "{\n  \"x\": {\"program\": \"prog.sh\"},\n  oops\n}",
                         &msg, &path));
    char *want = aslrtp_strdupf("%s:3:", path);
    ck_assert_msg(strncmp(msg, want, strlen(want)) == 0, "%s", msg);
    free(want);
    free(msg);
    free(path);

    ck_assert(!load_text(b, "miss/dup.json", "{\"x\": {\"program\": \"prog.sh\"}, "
                         "\"x\": {\"program\": \"prog.sh\"}}", &msg, NULL));
    assert_contains(msg, "duplicate");
    free(msg);
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_file_all_or_nothing)
{
    free(script("atomic/prog.sh", "cat >/dev/null\necho 1\n"));
    aslrt_bindings *b = aslrt_bindings_create();
    char *msg = NULL;
    ck_assert(!load_text(b, "atomic/tasks.json",
                         "{\"good\": {\"program\": \"prog.sh\"}, \"bad\": {\"program\": 1}}",
                         &msg, NULL));
    free(msg);
    char *cause = expect_error(b, "good", "{}", 0, "aslc.UnboundResource");
    free(cause);
    aslrt_bindings_destroy(b);
}
END_TEST

/* A Task's handler: the binding keyed by its state's name ("States"), then
 * its exact resource wherever it is listed, then the first pattern. */
static char *state_result(const aslrt_bindings *b, const char *state, const char *resource,
                          aslrt_error *err)
{
    json_t *in = json_object(), *out = NULL;
    int ok = aslrtp_task_invoke_state(b, state, resource, in, 5, NULL, 0, NULL, NULL, NULL, &out,
                                      err);
    json_decref(in);
    char *text = ok ? aslrt_json_dumps(out) : NULL;
    json_decref(out);
    return text;
}

START_TEST(test_file_states)
{
    free(script("states/say.sh", "cat >/dev/null\nprintf '\"%s\"' \"$1\"\n"));
    aslrt_bindings *b = aslrt_bindings_create();
    char *msg = NULL;
    ck_assert_msg(load_text(b, "states/tasks.json",
                            "{\"arn:aws:states:::*\": {\"program\": [\"./say.sh\", \"glob\"]},"
                            " \"States\": {\"Put *\": {\"program\": [\"./say.sh\", \"state\"]}},"
                            " \"arn:aws:states:::sns:publish\": {\"program\": [\"./say.sh\", "
                            "\"exact\"]}}",
                            &msg, NULL),
                  "%s", msg);
    aslrt_error err = { 0 };
    char *r = state_result(b, "Put *", "arn:aws:states:::dynamodb:putItem", &err);
    ck_assert_str_eq(r, "\"state\"");
    free(r);
    /* A state name is exact: no glob. */
    r = state_result(b, "Put item", "arn:aws:states:::dynamodb:putItem", &err);
    ck_assert_str_eq(r, "\"glob\"");
    free(r);
    r = state_result(b, "Notify", "arn:aws:states:::sns:publish", &err);
    ck_assert_str_eq(r, "\"exact\"");
    free(r);
    /* aslrtp_task_invoke knows no state: the "States" keys never match a resource. */
    char *cause = expect_error(b, "Put *", "{}", 0, "aslc.UnboundResource");
    free(cause);
    ck_assert_ptr_null(state_result(b, "Approve", "arn:aws:states:us-east-1:1:activity:A", &err));
    ck_assert_str_eq(err.error, "aslc.UnboundResource");
    ck_assert_str_eq(err.cause,
                     "no mock or binding answers Task state 'Approve' (Resource "
                     "'arn:aws:states:us-east-1:1:activity:A'): give it a mocked response in a "
                     "mock config (--mock-config with --test-case), bind a handler in "
                     "--bindings to the state's name (\"States\": {\"Approve\": ...}), to the "
                     "resource, or to a pattern that matches it, or, for an AWS service, give "
                     "its endpoint (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, \"Endpoints\" "
                     "in --bindings, or --aws for AWS itself)");
    aslrt_error_clear(&err);
    aslrt_bindings_destroy(b);

    /* Errors point into the section. */
    b = aslrt_bindings_create();
    ck_assert(!load_text(b, "states/bad.json", "{\"States\": {\"A\": {\"program\": 1}}}", &msg,
                         NULL));
    assert_contains(msg, "bad.json: /States/A/program: expected an array");
    free(msg);
    ck_assert(!load_text(b, "states/bad2.json", "{\"States\": []}", &msg, NULL));
    assert_contains(msg, "bad2.json: /States: expected an object mapping state names");
    free(msg);
    aslrt_bindings_destroy(b);
}
END_TEST

/* aslrt_bindings_add_state_program: a program bound to a state's name, as
 * --override-task binds it; the first binding of a name wins, so one added
 * before a file is loaded wins over the file's "States" entry
 * (doc/behaviour.md §41). */
START_TEST(test_state_program)
{
    char *say = script("states/say2.sh", "cat >/dev/null\nprintf '\"%s\"' \"$1\"\n");
    aslrt_bindings *b = aslrt_bindings_create();
    const char *argv[] = {say, "override", NULL};
    ck_assert_int_eq(aslrt_bindings_add_state_program(b, "Put item", argv, NULL), 1);
    ck_assert_int_eq(aslrt_bindings_add_state_program(b, NULL, argv, NULL), 0);
    const char *none[] = {NULL};
    ck_assert_int_eq(aslrt_bindings_add_state_program(b, "Put item", none, NULL), 0);
    char *msg = NULL;
    ck_assert_msg(load_text(b, "states/file.json",
                            "{\"States\": {\"Put item\": {\"program\": [\"./say2.sh\", \"file\"]},"
                            " \"Other\": {\"program\": [\"./say2.sh\", \"file\"]}},"
                            " \"arn:aws:states:::*\": {\"program\": [\"./say2.sh\", \"glob\"]}}",
                            &msg, NULL),
                  "%s", msg);
    aslrt_error err = { 0 };
    char *r = state_result(b, "Put item", "arn:aws:states:::dynamodb:putItem", &err);
    ck_assert_str_eq(r, "\"override\"");
    free(r);
    r = state_result(b, "Other", "arn:aws:states:::dynamodb:putItem", &err);
    ck_assert_str_eq(r, "\"file\"");
    free(r);
    /* A state's name is no resource pattern. */
    free(expect_error(b, "Put item", "{}", 0, "aslc.UnboundResource"));
    r = state_result(b, "Third", "arn:aws:states:::sns:publish", &err);
    ck_assert_str_eq(r, "\"glob\"");
    free(r);
    aslrt_bindings_destroy(b);
    free(say);
}
END_TEST

/* ==== Python handlers =================================================== */

/* Binds arn:aws:lambda:*:*:function:<name>* (qualifiers too) to
 * scratch/py/<name>/handler.py's function `handler`. */
static aslrt_bindings *python_binding(const char *name, const char *code)
{
    char *file = aslrtp_strdupf("py/%s/handler.py", name);
    char *pyfile = write_file(file, code, 0644);
    char *conf = aslrtp_strdupf("{\"arn:aws:lambda:*:*:function:%s*\": "
                                "{\"python\": \"%s/handler.py\", \"handler\": \"handler\"}}",
                                name, name);
    char *conf_name = aslrtp_strdupf("py/%s.json", name);
    aslrt_bindings *b = aslrt_bindings_create();
    char *msg = NULL;
    ck_assert_msg(load_text(b, conf_name, conf, &msg, NULL), "load failed: %s", msg);
    free(conf_name);
    free(conf);
    free(pyfile);
    free(file);
    return b;
}

static char *lambda_arn(const char *name)
{
    return aslrtp_strdupf("arn:aws:lambda:us-east-1:111111111111:function:%s", name);
}

START_TEST(test_py_identity)
{
    aslrt_bindings *b = python_binding("id_function",
                                       "def handler(event, context):\n    return event\n");
    char *arn = lambda_arn("id_function");
    expect_result(b, arn, "{\"a\": [1, 2.5, \"\\u00e9\\u4e2d\", {\"b\": null}], \"t\": true}",
                  "{\"a\": [1, 2.5, \"\\u00e9\\u4e2d\", {\"b\": null}], \"t\": true}");
    expect_result(b, arn, "\"str\"", "\"str\"");
    free(arn);
    aslrt_bindings_destroy(b);

    b = python_binding("decorated", "def handler(event, context):\n"
                       "    return \"input-event-\" + str(event)\n");
    arn = lambda_arn("decorated");
    expect_result(b, arn, "{\"FunctionName\": \"f\", \"Payload\": null}",
                  "\"input-event-{'FunctionName': 'f', 'Payload': None}\"");
    free(arn);
    aslrt_bindings_destroy(b);
}
END_TEST

/* The Cause recorded on AWS, less the request id: checks the text, the
 * spacing of json.dumps included, and that the id is a UUID. */
static void expect_python_cause(const char *cause, const char *before_id, const char *after_id)
{
    size_t nb = strlen(before_id);
    ck_assert_msg(strncmp(cause, before_id, nb) == 0, "cause %s", cause);
    const char *id = cause + nb;
    ck_assert_msg(strlen(id) > 36 && id[8] == '-' && id[13] == '-' && id[36] == '"',
                  "no request id in %s", cause);
    ck_assert_str_eq(id + 36, after_id);
}

START_TEST(test_py_raise_exception)
{
    aslrt_bindings *b = python_binding("raise_exception", "def handler(event, context):\n"
                                       "    raise Exception(\"Some exception was raised.\")\n");
    char *arn = lambda_arn("raise_exception");
    char *cause = expect_error(b, arn, "{\"FunctionName\": \"x\", \"Payload\": null}", 0,
                               "Exception");
    expect_python_cause(cause,
        "{\"errorMessage\": \"Some exception was raised.\", \"errorType\": \"Exception\", "
        "\"requestId\": \"",
        "\", \"stackTrace\": [\"  File \\\"/var/task/handler.py\\\", line 2, in handler\\n"
        "    raise Exception(\\\"Some exception was raised.\\\")\\n\"]}");
    free(cause);

    /* through the optimized integration Step Functions re-serializes it
     * compactly (recorded on AWS too) */
    char *msg = NULL;
    ck_assert_msg(load_text(b, "py/invoke.json", "{\"arn:aws:states:::lambda:invoke\": "
                            "{\"python\": \"raise_exception/handler.py\", "
                            "\"handler\": \"handler\"}}", &msg, NULL), "%s", msg);
    cause = expect_error(b, "arn:aws:states:::lambda:invoke", "{}", 0, "Exception");
    expect_python_cause(cause,
        "{\"errorMessage\":\"Some exception was raised.\",\"errorType\":\"Exception\","
        "\"requestId\":\"",
        "\",\"stackTrace\":[\"  File \\\"/var/task/handler.py\\\", line 2, in handler\\n"
        "    raise Exception(\\\"Some exception was raised.\\\")\\n\"]}");
    free(cause);
    free(arn);
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_py_custom_exception)
{
    aslrt_bindings *b = python_binding("raise_custom_exception",
        "class CustomException(Exception):\n"
        "    message: str\n"
        "\n"
        "    def __init__(self):\n"
        "        self.message = \"CustomException message\"\n"
        "\n"
        "\n"
        "def handler(event, context):\n"
        "    raise CustomException()\n");
    char *arn = lambda_arn("raise_custom_exception");
    char *cause = expect_error(b, arn, "{}", 0, "CustomException");
    expect_python_cause(cause,
        "{\"errorMessage\": \"\", \"errorType\": \"CustomException\", \"requestId\": \"",
        "\", \"stackTrace\": [\"  File \\\"/var/task/handler.py\\\", line 9, in handler\\n"
        "    raise CustomException()\\n\"]}");
    free(cause);
    free(arn);
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_py_nested_frames)
{
    /* frames of every function of the handler's code, and of a module
     * beside it, all under /var/task */
    free(write_file("py/nested/helper.py", "def check(x):\n    return 1 / x\n", 0644));
    aslrt_bindings *b = python_binding("nested", "import helper\n"
                                       "def handler(event, context):\n"
                                       "    return helper.check(event['n'])\n");
    char *arn = lambda_arn("nested");
    char *cause = expect_error(b, arn, "{\"n\": 0}", 0, "ZeroDivisionError");
    json_t *c = parse(cause);
    json_t *st = json_object_get(c, "stackTrace");
    ck_assert_uint_eq(json_array_size(st), 2);
    /* (Python 3.11 and later underline part of a line, as on Lambda) */
    assert_contains(json_string_value(json_array_get(st, 0)),
                    "  File \"/var/task/handler.py\", line 3, in handler\n"
                    "    return helper.check(event['n'])\n");
    assert_contains(json_string_value(json_array_get(st, 1)),
                    "  File \"/var/task/helper.py\", line 2, in check\n    return 1 / x\n");
    ck_assert_str_eq(json_string_value(json_object_get(c, "errorMessage")), "division by zero");
    json_decref(c);
    free(cause);
    free(arn);
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_py_bytes)
{
    aslrt_bindings *b = python_binding("return_bytes_str", "def handler(event, context):\n"
                                       "    return b'\"HelloWorld!\"'\n");
    char *arn = lambda_arn("return_bytes_str");
    expect_result(b, arn, "{}", "\"HelloWorld!\"");
    free(arn);
    aslrt_bindings_destroy(b);

    b = python_binding("large_output", "def handler(event, context):\n"
                       "    return ('a' * (257 * 1024)).encode('utf-8')\n");
    arn = lambda_arn("large_output");
    char *cause = expect_error(b, arn, "{}", 0, "States.DataLimitExceeded");
    assert_contains(cause, arn);
    free(cause);
    free(arn);
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_py_context)
{
    aslrt_bindings *b = python_binding("ctx",
        "def handler(event, context):\n"
        "    return {\n"
        "        'function_name': context.function_name,\n"
        "        'function_version': context.function_version,\n"
        "        'invoked_function_arn': context.invoked_function_arn,\n"
        "        'memory_limit_in_mb': context.memory_limit_in_mb,\n"
        "        'request_id_len': len(context.aws_request_id),\n"
        "        'log_group_name': context.log_group_name,\n"
        "        'stream_has_version': '[$LATEST]' in context.log_stream_name,\n"
        "        'remaining_ok': 0 < context.get_remaining_time_in_millis() <= 5000,\n"
        "        'cwd_has_handler': __import__('os').path.exists('handler.py'),\n"
        "    }\n");
    const char *arn = "arn:aws:lambda:eu-west-1:111111111111:function:ctx:prod";
    json_t *out = NULL;
    aslrt_error err = { 0 };
    json_t *in = parse("{}");
    int ok = aslrtp_task_invoke(b, arn, in, 5, NULL, &out, &err);
    ck_assert_msg(ok, "%s: %s", err.error, err.cause);
    json_t *want = json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:b,s:b,s:b}",
                             "function_name", "ctx", "function_version", "$LATEST",
                             "invoked_function_arn", arn, "memory_limit_in_mb", "128",
                             "request_id_len", 36, "log_group_name", "/aws/lambda/ctx",
                             "stream_has_version", 1, "remaining_ok", 1,
                             "cwd_has_handler", 1);
    char *got = aslrt_json_dumps(out);
    ck_assert_msg(json_equal(out, want), "context %s", got);
    free(got);
    json_decref(want);
    json_decref(out);
    json_decref(in);
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_py_output_is_protected)
{
    aslrt_bindings *b = python_binding("chatty",
        "import os, sys, logging\n"
        "print('loading')\n"
        "def handler(event, context):\n"
        "    print('hello from print')\n"
        "    sys.stdout.write('{\"not\": \"the result\"}\\n')\n"
        "    os.system('echo from a child process')\n"
        "    os.write(1, b'raw fd 1\\n')\n"
        "    logging.basicConfig(level=logging.INFO)\n"
        "    logging.getLogger().warning('a warning')\n"
        "    return {'result': True}\n");
    char *arn = lambda_arn("chatty");
    expect_result(b, arn, "{}", "{\"result\": true}");
    free(arn);
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_py_runtime_errors)
{
    struct {
        const char *name, *code, *error, *message;
    } cases[] = {
        { "no_handler", "def other(event, context):\n    return 1\n",
          "Runtime.HandlerNotFound", "Handler 'handler' missing on module 'handler'" },
        { "import_error", "import aslc_no_such_module\n",
          "Runtime.ImportModuleError",
          "Unable to import module 'handler': No module named 'aslc_no_such_module'" },
        { "syntax_error", "def handler(event, context):\n    return (\n",
          "Runtime.UserCodeSyntaxError", "Syntax error in module 'handler': " },
        { "init_error", "raise ValueError('bad config')\n", "ValueError", "bad config" },
        { "marshal_error", "def handler(event, context):\n    return {1, 2}\n",
          "Runtime.MarshalError",
          "Unable to marshal response: Object of type set is not JSON serializable" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        aslrt_bindings *b = python_binding(cases[i].name, cases[i].code);
        char *arn = lambda_arn(cases[i].name);
        char *cause = expect_error(b, arn, "{}", 0, cases[i].error);
        json_t *c = json_loads(cause, 0, NULL);
        ck_assert_msg(c != NULL, "cause is not JSON: %s", cause);
        const char *msg = json_string_value(json_object_get(c, "errorMessage"));
        ck_assert_msg(msg && strncmp(msg, cases[i].message, strlen(cases[i].message)) == 0,
                      "%s: errorMessage %s", cases[i].name, msg);
        ck_assert_str_eq(json_string_value(json_object_get(c, "errorType")), cases[i].error);
        ck_assert(json_is_array(json_object_get(c, "stackTrace")));
        json_decref(c);
        free(cause);
        free(arn);
        aslrt_bindings_destroy(b);
    }
}
END_TEST

/* A handler that ends its process answers nothing; Lambda then answers
 * the invocation itself with Runtime.ExitError, whose payload Step
 * Functions gives as the Cause (doc/behaviour.md §35).  Exit status 0 is
 * no success. */
START_TEST(test_py_exit)
{
    static const struct {
        const char *name, *code, *message;
    } cases[] = {
        { "exit_zero", "import sys\ndef handler(event, context):\n    sys.exit(0)\n",
          "Runtime exited without providing a reason" },
        { "exit_none", "import sys\ndef handler(event, context):\n    sys.exit()\n",
          "Runtime exited without providing a reason" },
        { "exit_one", "import sys\ndef handler(event, context):\n    sys.exit(1)\n",
          "Runtime exited with error: exit status 1" },
        { "exit_text", "import sys\ndef handler(event, context):\n    sys.exit('bye')\n",
          "Runtime exited with error: exit status 1" },
        { "raise_exit", "def handler(event, context):\n    raise SystemExit(7)\n",
          "Runtime exited with error: exit status 7" },
        { "os_exit_zero", "import os\ndef handler(event, context):\n    os._exit(0)\n",
          "Runtime exited without providing a reason" },
        { "os_exit_three", "import os\ndef handler(event, context):\n    os._exit(3)\n",
          "Runtime exited with error: exit status 3" },
        { "killed", "import os, signal\ndef handler(event, context):\n"
          "    os.kill(os.getpid(), signal.SIGKILL)\n",
          "Runtime exited with error: signal: killed" },
        { "exit_at_import", "import sys\nsys.exit(0)\n"
          "def handler(event, context):\n    return 1\n",
          "Runtime exited without providing a reason" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        aslrt_bindings *b = python_binding(cases[i].name, cases[i].code);
        char *arn = lambda_arn(cases[i].name);
        for (int compact = 0; compact < 2; compact++) {
            json_t *out = NULL;
            aslrt_error err = { 0 };
            ck_assert_msg(!aslrtp_task_invoke_lambda(b, arn, json_null(), 0, NULL, compact,
                                                    NULL, NULL, NULL, &out, &err),
                          "%s succeeded", cases[i].name);
            ck_assert_msg(strcmp(err.error, "Runtime.ExitError") == 0, "%s: Error %s (%s)",
                          cases[i].name, err.error, err.cause);
            /* {"errorMessage":"RequestId: <uuid> Error: <message>",
             *  "errorType":"Runtime.ExitError"}: Go's compact JSON */
            const char *c = err.cause;
            const char *head = "{\"errorMessage\":\"RequestId: ";
            ck_assert_msg(strncmp(c, head, strlen(head)) == 0, "%s: %s", cases[i].name, c);
            const char *id = c + strlen(head);
            ck_assert_msg(strlen(id) > 36 && id[8] == '-' && id[13] == '-' && id[36] == ' ',
                          "no request id in %s", c);
            char *tail = aslrtp_strdupf(" Error: %s\",\"errorType\":\"Runtime.ExitError\"}",
                                        cases[i].message);
            ck_assert_str_eq(id + 36, tail);
            free(tail);
            aslrt_error_clear(&err);
        }
        free(arn);
        aslrt_bindings_destroy(b);
    }
    /* An empty bytes response is still an answer (null), not an exit. */
    aslrt_bindings *b = python_binding("empty_bytes",
                                       "def handler(event, context):\n    return b''\n");
    char *arn = lambda_arn("empty_bytes");
    expect_result(b, arn, "{}", "null");
    free(arn);
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_py_timeout)
{
    /* the sleep is longer than the test case's timeout */
    aslrt_bindings *b = python_binding("wait_600_seconds", "import time\n"
                                       "def handler(event, context):\n"
                                       "    time.sleep(600)\n    return event\n");
    char *arn = lambda_arn("wait_600_seconds");
    char *cause = expect_error(b, arn, "{}", 1.0, "States.Timeout");
    ck_assert_ptr_null(cause);
    free(arn);
    aslrt_bindings_destroy(b);
}
END_TEST

/* ==== Finding the adapters ============================================== */

/* Without ASLC_PYTHON_HANDLER and ASLC_NODE_HANDLER, a build finds the
 * adapters installed in pkgdatadir, or else those of the source tree it
 * was built from: an uninstalled aslc runs Python and Node.js handlers
 * with no setting.  A variable that names a missing file is an error
 * naming it. */
START_TEST(test_adapter_lookup)
{
    unsetenv("ASLC_PYTHON_HANDLER");
    unsetenv("ASLC_NODE_HANDLER");
    free(write_file("find/handler.py", "def handler(event, context):\n"
                    "    return ['py', event]\n", 0644));
    free(write_file("find/index.js", "exports.handler = async (e) => ['node', e];\n", 0644));
    aslrt_bindings *b = aslrt_bindings_create();
    char *msg = NULL;
    ck_assert_msg(load_text(b, "find/b.json",
                            "{\"arn:aws:lambda:*:*:function:py\": "
                            "{\"python\": \"handler.py\", \"handler\": \"handler\"},"
                            " \"arn:aws:lambda:*:*:function:node\": {\"node\": \"index.js\"}}",
                            &msg, NULL), "%s", msg);
    if (python)
        expect_result(b, "arn:aws:lambda:us-east-1:1:function:py", "1", "[\"py\", 1]");
    if (node)
        expect_result(b, "arn:aws:lambda:us-east-1:1:function:node", "2", "[\"node\", 2]");
    aslrt_bindings_destroy(b);

    setenv("ASLC_NODE_HANDLER", "/nonexistent/aslc-node-handler", 1);
    b = aslrt_bindings_create();
    char *path = NULL;
    ck_assert(!load_text(b, "find/bad.json", "{\"x\": {\"node\": \"index.js\"}}", &msg, &path));
    char *want = aslrtp_strdupf("%s: /x/node: the Node.js adapter aslc-node-handler is missing "
                                "in '/nonexistent/aslc-node-handler': No such file or directory "
                                "(set ASLC_NODE_HANDLER to its path)", path);
    ck_assert_str_eq(msg, want);
    free(want);
    free(msg);
    free(path);
    aslrt_bindings_destroy(b);
}
END_TEST

/* ==== SAM-style bindings ================================================= */

/* A binding written as a SAM function's properties: "runtime" picks the
 * adapter, the handler string names the file under "codeUri" (the
 * bindings file's directory by default), and the function gets Lambda's
 * environment, with the binding's variables, memory size and name. */
START_TEST(test_sam_bindings)
{
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    unsetenv("AWS_LAMBDA_FUNCTION_NAME");
    unsetenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
    unsetenv("LAMBDA_TASK_ROOT");
    static const char py[] =
        "import os\n"
        "def lambda_handler(event, context):\n"
        "    if event == 'fail':\n"
        "        raise KeyError('k')\n"
        "    if event == 'sleep':\n"
        "        import time\n"
        "        time.sleep(600)\n"
        "    e = os.environ\n"
        "    return [e['AWS_REGION'], e['AWS_DEFAULT_REGION'], e['AWS_LAMBDA_FUNCTION_NAME'],\n"
        "            e['AWS_LAMBDA_FUNCTION_VERSION'], e['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'],\n"
        "            e.get('TABLE'), os.path.basename(e['LAMBDA_TASK_ROOT']),\n"
        "            e['LAMBDA_TASK_ROOT'] == os.getcwd(), context.memory_limit_in_mb]\n";
    static const char js[] =
        "exports.handler = async (event, context) => {\n"
        "  const e = process.env;\n"
        "  return [e.AWS_REGION, e.AWS_DEFAULT_REGION, e.AWS_LAMBDA_FUNCTION_NAME,\n"
        "    e.AWS_LAMBDA_FUNCTION_VERSION, e.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, e.TABLE || null,\n"
        "    require('path').basename(e.LAMBDA_TASK_ROOT), e.LAMBDA_TASK_ROOT === process.cwd(),\n"
        "    context.memoryLimitInMB];\n};\n";
    free(write_file("sam/src/app.py", py, 0644));
    free(write_file("sam/src/handlers/order.js", js, 0644));
    free(write_file("sam/esm/index.mjs", "export const main = async () => 'esm';\n", 0644));
    aslrt_bindings *b = aslrt_bindings_create();
    char *msg = NULL;
    ck_assert_msg(load_text(b, "sam/template.json",
        "{\"arn:aws:lambda:*:*:function:py*\": {\"runtime\": \"python3.11\", "
        "\"codeUri\": \"src\", \"handler\": \"app.lambda_handler\", "
        "\"environment\": {\"TABLE\": \"orders\"}, \"memorySize\": 256},"
        " \"arn:aws:lambda:*:*:function:dotted*\": {\"runtime\": \"python3.12\", "
        "\"handler\": \"src.app.lambda_handler\", \"worker\": true},"
        " \"arn:aws:lambda:*:*:function:limited*\": {\"runtime\": \"python3.11\", "
        "\"codeUri\": \"src\", \"handler\": \"app.lambda_handler\", \"timeout\": 1},"
        " \"arn:aws:lambda:*:*:function:pooled*\": {\"runtime\": \"python3.11\", "
        "\"codeUri\": \"src\", \"handler\": \"app.lambda_handler\", \"timeout\": 1, "
        "\"worker\": true},"
        " \"arn:aws:lambda:*:*:function:node*\": {\"runtime\": \"nodejs20.x\", "
        "\"codeUri\": \".\", \"handler\": \"src/handlers/order.handler\", "
        "\"functionName\": \"OrderFn\"},"
        " \"arn:aws:lambda:*:*:function:esm*\": {\"runtime\": \"nodejs22.x\", "
        "\"codeUri\": \"esm\", \"handler\": \"index.main\", \"worker\": true}}",
        &msg, NULL), "%s", msg);
    if (python) {
        expect_result(b, "arn:aws:lambda:eu-west-3:111111111111:function:py", "{}",
                      "[\"eu-west-3\", \"eu-west-3\", \"py\", \"$LATEST\", \"256\", \"orders\","
                      " \"src\", true, \"256\"]");
        expect_result(b, "arn:aws:lambda:us-east-2:111111111111:function:dotted", "{}",
                      "[\"us-east-2\", \"us-east-2\", \"dotted\", \"$LATEST\", \"128\", null,"
                      " \"sam\", true, \"128\"]");
        /* the code under codeUri shows as /var/task */
        char *cause = expect_error(b, "arn:aws:lambda:us-east-2:111111111111:function:dotted",
                                   "\"fail\"", 0, "KeyError");
        assert_contains(cause, "File \\\"/var/task/src/app.py\\\", line 4, in lambda_handler");
        free(cause);
        /* The function's own timeout, shorter than the Task's or alone,
         * ends the call as Lambda does; a longer one leaves the Task's
         * limit to give States.Timeout.  A worker serves again after. */
        static const char *const fns[] = { "limited", "pooled" };
        for (size_t i = 0; i < 2; i++) {
            char *arn = aslrtp_strdupf("arn:aws:lambda:us-east-1:111111111111:function:%s",
                                       fns[i]);
            for (int pass = 0; pass < 2; pass++) {
                cause = expect_error(b, arn, "\"sleep\"", pass ? 30.0 : 0, "Sandbox.Timedout");
                ck_assert_ptr_nonnull(cause);
                assert_contains(cause, "{\"errorMessage\":\"RequestId: ");
                assert_contains(cause, " Error: Task timed out after 1.00 seconds\","
                                "\"errorType\":\"Sandbox.Timedout\"}");
                free(cause);
            }
            char *want = aslrtp_strdupf("[\"us-east-1\", \"us-east-1\", \"%s\", \"$LATEST\","
                                        " \"128\", null, \"src\", true, \"128\"]", fns[i]);
            expect_result(b, arn, "{}", want);
            free(want);
            free(arn);
        }
        cause = expect_error(b, "arn:aws:lambda:us-east-1:111111111111:function:py", "\"sleep\"",
                             1.0, "States.Timeout");
        ck_assert_ptr_null(cause);
    }
    if (node) {
        expect_result(b, "arn:aws:lambda:ap-south-1:111111111111:function:node", "{}",
                      "[\"ap-south-1\", \"ap-south-1\", \"OrderFn\", \"$LATEST\", \"128\", null,"
                      " \"sam\", true, \"128\"]");
        expect_result(b, "arn:aws:lambda:us-east-1:111111111111:function:esm", "{}", "\"esm\"");
    }
    aslrt_bindings_destroy(b);

    /* what is wrong, named with the binding */
    static const struct {
        const char *text, *message;
    } bad[] = {
        { "{\"x\": {\"runtime\": \"java17\", \"handler\": \"a.b\"}}",
          "/x/runtime: unsupported runtime 'java17' (expected pythonX.Y or nodejsN.x)" },
        { "{\"x\": {\"runtime\": \"python3.11\"}}",
          "/x/handler: the handler is missing (such as \"app.lambda_handler\")" },
        { "{\"x\": {\"runtime\": \"python3.11\", \"handler\": \"lambda_handler\"}}",
          "/x/handler: 'lambda_handler' is not a handler string (expected "
          "\"module.function\", such as \"app.lambda_handler\")" },
        { "{\"x\": {\"runtime\": \"nodejs20.x\", \"handler\": \"src/handlers/nope.handler\"}}",
          "/x/handler: the Node.js handler 'src/handlers/nope.handler' names no file: '" },
        { "{\"x\": {\"runtime\": \"python3.11\", \"handler\": \"app.h\", \"codeUri\": \"no\"}}",
          "/x/codeUri: cannot use directory '" },
        { "{\"x\": {\"runtime\": \"python3.11\", \"handler\": \"a.b\", \"Timeout\": 3}}",
          "/x/Timeout: unknown member \"Timeout\" of a runtime binding (expected "
          "\"runtime\", \"codeUri\", \"handler\", \"environment\", \"memorySize\", "
          "\"timeout\", \"functionName\", \"interpreter\")" },
        { "{\"x\": {\"runtime\": \"python3.11\", \"handler\": \"src/app.lambda_handler\", "
          "\"timeout\": 901}}",
          "/x/timeout: expected an integer from 1 to 900 (seconds)" },
        { "{\"x\": {\"runtime\": \"python3.11\", \"handler\": \"src/app.lambda_handler\", "
          "\"environment\": {\"A\": 1}}}",
          "/x/environment: the value of A is not a string (Lambda's variables are strings)" },
        { "{\"x\": {\"runtime\": \"python3.11\", \"handler\": \"src/app.lambda_handler\", "
          "\"memorySize\": 64}}",
          "/x/memorySize: expected an integer from 128 to 10240 (megabytes)" },
        { "{\"x\": {\"runtime\": \"python3.11\", \"python\": \"src/app.py\"}}",
          "/x: a binding has one of \"python\", \"node\", \"runtime\" and \"program\", "
          "not several" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        b = aslrt_bindings_create();
        char *path = NULL;
        ck_assert_msg(!load_text(b, "sam/bad.json", bad[i].text, &msg, &path),
                      "accepted %s", bad[i].text);
        char *want = aslrtp_strdupf("%s: %s", path, bad[i].message);
        ck_assert_msg(strncmp(msg, want, strlen(want)) == 0, "for %s:\n got  %s\n want %s",
                      bad[i].text, msg, want);
        free(want);
        free(msg);
        free(path);
        aslrt_bindings_destroy(b);
    }
}
END_TEST

/* An interpreter that cannot start: the Cause names the handler (its
 * file and function, not the adapter's options) and the interpreter. */
START_TEST(test_adapter_unstartable)
{
    free(write_file("nointerp/handler.py", "def handler(e, c):\n    return 1\n", 0644));
    aslrt_bindings *b = aslrt_bindings_create();
    char *msg = NULL;
    ck_assert_msg(load_text(b, "nointerp/b.json", "{\"x\": {\"python\": \"handler.py\", "
                            "\"handler\": \"handler\", \"interpreter\": "
                            "\"aslc-no-such-python\"}}", &msg, NULL), "%s", msg);
    char *cause = expect_error(b, "x", "{}", 0, ASLRTP_HANDLER_FAILED);
    assert_contains(cause, "cannot run Python handler 'handler' in '");
    assert_contains(cause, "nointerp/handler.py' for resource 'x': ");
    assert_contains(cause, "(interpreter 'aslc-no-such-python')");
    free(cause);
    aslrt_bindings_destroy(b);
}
END_TEST

/* ==== Driver ============================================================= */

static Suite *task_suite(void)
{
    Suite *s = suite_create("task");

    TCase *tc = tcase_create("match");
    tcase_add_test(tc, test_glob_priority);
    tcase_add_test(tc, test_glob_syntax);
    tcase_add_test(tc, test_unbound);
    tcase_add_test(tc, test_c_handlers);
    suite_add_tcase(s, tc);

    tc = tcase_create("program");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_program_echo);
    tcase_add_test(tc, test_program_arguments_and_cwd);
    tcase_add_test(tc, test_program_empty_output);
    tcase_add_test(tc, test_program_lambda_error);
    tcase_add_test(tc, test_program_error_without_type);
    tcase_add_test(tc, test_program_crash);
    tcase_add_test(tc, test_program_exit_status);
    tcase_add_test(tc, test_program_garbage);
    tcase_add_test(tc, test_program_timeout);
    tcase_add_test(tc, test_program_background_child);
    tcase_add_test(tc, test_program_ignores_input);
    tcase_add_test(tc, test_program_not_found);
    tcase_add_test(tc, test_program_data_limit);
    tcase_add_test(tc, test_program_concurrent);
    suite_add_tcase(s, tc);

    tc = tcase_create("file");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_file_load);
    tcase_add_test(tc, test_file_errors);
    tcase_add_test(tc, test_file_missing_things);
    tcase_add_test(tc, test_file_all_or_nothing);
    tcase_add_test(tc, test_file_states);
    tcase_add_test(tc, test_state_program);
    tcase_add_test(tc, test_adapter_lookup);
    tcase_add_test(tc, test_sam_bindings);
    tcase_add_test(tc, test_adapter_unstartable);
    suite_add_tcase(s, tc);

    if (python) {
        tc = tcase_create("python");
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_py_identity);
        tcase_add_test(tc, test_py_raise_exception);
        tcase_add_test(tc, test_py_custom_exception);
        tcase_add_test(tc, test_py_nested_frames);
        tcase_add_test(tc, test_py_bytes);
        tcase_add_test(tc, test_py_context);
        tcase_add_test(tc, test_py_output_is_protected);
        tcase_add_test(tc, test_py_runtime_errors);
        tcase_add_test(tc, test_py_exit);
        tcase_add_test(tc, test_py_timeout);
        suite_add_tcase(s, tc);
    } else {
        fputs("check_task: python3 not found, skipping the Python adapter tests\n", stderr);
    }
    return s;
}

int main(void)
{
    /* The harness names the adapter and may name the interpreter. */
    python = python_setup();
    node = node_setup();

    if (scratch_create("check_task") != 0)
        return 1;

    int failed = run_suite(task_suite(), CK_ENV);

    scratch_remove();
    return failed ? 1 : 0;
}

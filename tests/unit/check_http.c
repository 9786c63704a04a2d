/*
 * check_http.c - unit tests of runtime/task_http.c, the "http" handler kind
 * (AWS Lambda Invoke API).
 *
 * Model: tests/http/lambda_server.py, a small Invoke API server with a few
 * test functions, runs twice for the whole run: one instance open, one
 * that demands SigV4 signatures made with known test credentials and
 * recomputes them as AWS does.  Both are started before the tests fork and
 * stop when this program's end of their stdin closes.  Bindings files are
 * written into a scratch directory and loaded as a workflow program loads
 * them; calls go through aslrtp_task_invoke and aslrtp_task_invoke_lambda,
 * as the executor makes them.  Without python3 only the bindings-file tests
 * run.  In a build without libcurl the test checks that an "http" binding
 * is refused with a message saying so.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aslrt_private.h"
#include "testutil.h"

#define KEY_ID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TOKEN "FQoGZXIvYXdzEXAMPLETOKEN//test"


/* ==== Helpers ============================================================ */

/* Loads text expecting failure; returns the message (malloc'd) with the
 * file's path replaced by "FILE". */
static char *load_error(const char *text)
{
    char *path = aslrtp_strdupf("%s/bad-%d.json", scratch, (int)getpid());
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
    aslrt_bindings *b = aslrt_bindings_create();
    aslrt_error err = { 0 };
    int ok = aslrt_bindings_load_file(b, path, &err);
    ck_assert_msg(!ok, "loading %s succeeded", text);
    ck_assert_str_eq(err.error, "aslc.BindingsError");
    ck_assert_ptr_nonnull(err.cause);
    size_t n = strlen(path);
    ck_assert_msg(strncmp(err.cause, path, n) == 0, "message without the file: %s", err.cause);
    char *msg = aslrtp_strdupf("FILE%s", err.cause + n);
    aslrt_error_clear(&err);
    aslrt_bindings_destroy(b);
    free(path);
    return msg;
}

#ifdef HAVE_LIBCURL

/* A running lambda_server.py. */
typedef struct server {
    pid_t pid;
    int in_fd;                  /* its stdin: closing it stops it */
    int port;
} server;

static server open_srv = { -1, -1, 0 };     /* no signatures */
static server signed_srv = { -1, -1, 0 };   /* SigV4 with KEY_ID/SECRET/TOKEN */

static json_t *parse(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    ck_assert_msg(v != NULL, "bad test JSON: %s", text);
    return v;
}

/* Writes a bindings file with text and loads it; fails the test when the
 * load fails. */
static aslrt_bindings *load(const char *text)
{
    char *path = aslrtp_strdupf("%s/bindings-%d.json", scratch, (int)getpid());
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
    aslrt_bindings *b = aslrt_bindings_create();
    aslrt_error err = { 0 };
    int ok = aslrt_bindings_load_file(b, path, &err);
    ck_assert_msg(ok, "loading %s failed: %s: %s", text, err.error ? err.error : "(null)",
                  err.cause ? err.cause : "(null)");
    aslrt_error_clear(&err);
    free(path);
    return b;
}

/* A bindings file binding every Lambda ARN to srv with extra members. */
static aslrt_bindings *bind_all(const server *srv, const char *extra)
{
    char *text = aslrtp_strdupf("{\"arn:aws:lambda:*\": {\"http\": \"http://127.0.0.1:%d\"%s%s}}",
                                srv->port, extra ? ", " : "", extra ? extra : "");
    aslrt_bindings *b = load(text);
    free(text);
    return b;
}

/* The function's ARN (in a static buffer: the main thread only). */
static const char *arn_of(const char *function)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "arn:aws:lambda:us-east-1:123456789012:function:%s", function);
    return buf;
}

/* Calls resource with the JSON text input through the optimized
 * integration's entry point. */
static int call_lambda(const aslrt_bindings *b, const char *resource, const char *input,
                       double timeout_s, int compact, size_t *raw_len, char **log_tail,
                       char **version, json_t **out, aslrt_error *err)
{
    json_t *in = parse(input);
    int ok = aslrtp_task_invoke_lambda(b, resource, in, timeout_s, NULL, compact, raw_len,
                                       log_tail, version, out, err);
    json_decref(in);
    if (ok)
        ck_assert_ptr_nonnull(*out);
    else
        ck_assert_ptr_null(*out);
    return ok;
}

/* Expects success with the JSON text expected (NULL: anything); returns
 * the result. */
static json_t *expect_result(const aslrt_bindings *b, const char *resource, const char *input,
                             const char *expected)
{
    json_t *out = NULL;
    aslrt_error err = { 0 };
    json_t *in = parse(input);
    int ok = aslrtp_task_invoke(b, resource, in, 0, NULL, &out, &err);
    json_decref(in);
    ck_assert_msg(ok, "%s failed: %s: %s", resource, err.error ? err.error : "(null)",
                  err.cause ? err.cause : "(null)");
    if (expected) {
        json_t *want = parse(expected);
        char *got = aslrt_json_dumps(out);
        ck_assert_msg(json_equal(out, want), "%s gave %s, expected %s", resource, got, expected);
        free(got);
        json_decref(want);
    }
    return out;
}

/* Expects failure with Error error; returns the Cause (malloc'd, may be
 * NULL). */
static char *expect_error(const aslrt_bindings *b, const char *resource, const char *input,
                          double timeout_s, int compact, const char *error)
{
    json_t *out = NULL;
    aslrt_error err = { 0 };
    int ok = call_lambda(b, resource, input, timeout_s, compact, NULL, NULL, NULL, &out, &err);
    ck_assert_msg(!ok, "%s succeeded", resource);
    ck_assert_ptr_nonnull(err.error);
    ck_assert_msg(strcmp(err.error, error) == 0, "%s: Error %s (%s), expected %s", resource,
                  err.error, err.cause ? err.cause : "(null)", error);
    char *cause = err.cause;
    free(err.error);
    return cause;
}

/* Checks that cause has AWS's service error form for status and code, and
 * that it starts with message. */
static void expect_service_cause(const char *cause, const char *message, int status,
                                 const char *code)
{
    ck_assert_ptr_nonnull(cause);
    ck_assert_msg(strncmp(cause, message, strlen(message)) == 0, "cause %s", cause);
    char *tail = aslrtp_strdupf(" (Service: AWSLambda; Status Code: %d; Error Code: %s; "
                                "Request ID: ", status, code);
    ck_assert_msg(strstr(cause, tail) != NULL, "cause %s lacks %s", cause, tail);
    size_t n = strlen(cause);
    ck_assert_msg(n > 14 && strcmp(cause + n - 14, "; Proxy: null)") == 0, "cause %s", cause);
    free(tail);
}

/* ==== Bindings files ===================================================== */

START_TEST(test_file_errors)
{
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    static const struct {
        const char *text, *message;
    } cases[] = {
        { "{\"f\": {\"http\": \"http://127.0.0.1:9001\", \"functon\": \"x\"}}",
          "FILE: /f/functon: unknown member \"functon\" of an http binding (expected "
          "\"http\", \"function\", \"region\", \"sign\")" },
        { "{\"f\": {\"http\": 9001}}", "FILE: /f/http: expected a non-empty string" },
        { "{\"f\": {\"http\": \"\"}}", "FILE: /f/http: expected a non-empty string" },
        { "{\"f\": {\"http\": \"ftp://127.0.0.1/\"}}",
          "FILE: /f/http: 'ftp://127.0.0.1/': the scheme must be http or https" },
        { "{\"f\": {\"http\": \"not a url\"}}",
          "FILE: /f/http: 'not a url' is not a URL (expected such as \"http://127.0.0.1:9001\" "
          "or \"https://lambda.us-east-1.amazonaws.com\")" },
        { "{\"f\": {\"http\": \"http://127.0.0.1:9001/?x=1\"}}",
          "FILE: /f/http: 'http://127.0.0.1:9001/?x=1': the endpoint URL has no query or "
          "fragment (the Invoke API's path is added to it)" },
        /* The user name and password are never shown, whatever the error. */
        { "{\"f\": {\"http\": \"http://me:pw@127.0.0.1:9001\"}}",
          "FILE: /f/http: 'http://***@127.0.0.1:9001': credentials do not belong in the URL "
          "(requests are signed with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)" },
        { "{\"f\": {\"http\": \"ftp://me:pw@h/\"}}",
          "FILE: /f/http: 'ftp://***@h/': the scheme must be http or https" },
        { "{\"f\": {\"http\": \"http://me:p/w@h?x\"}}",
          "FILE: /f/http: 'http://***@h?x' is not a URL (expected such as "
          "\"http://127.0.0.1:9001\" or \"https://lambda.us-east-1.amazonaws.com\")" },
        { "{\"f\": {\"http\": \"me:p w@h\"}}",
          "FILE: /f/http: '***@h' is not a URL (expected such as \"http://127.0.0.1:9001\" "
          "or \"https://lambda.us-east-1.amazonaws.com\")" },
        { "{\"f\": {\"http\": \"http://h\", \"sign\": \"yes\"}}",
          "FILE: /f/sign: expected true or false" },
        { "{\"f\": {\"http\": \"http://h\", \"sign\": true}}",
          "FILE: /f/sign: requests are to be signed but AWS_ACCESS_KEY_ID or "
          "AWS_SECRET_ACCESS_KEY is not set" },
        { "{\"f\": {\"http\": \"http://h\", \"region\": \"US East\"}}",
          "FILE: /f/region: 'US East' is not a region name (such as \"us-east-1\")" },
        { "{\"f\": {\"http\": \"http://h\", \"function\": \"a/b\"}}",
          "FILE: /f/function: 'a/b' is not a Lambda function name (expected a name, "
          "name:qualifier or a function ARN; names hold letters, digits, '-' and '_')" },
        { "{\"f\": {\"http\": \"http://h\", \"function\": \"arn:aws:s3:::bucket\"}}",
          "FILE: /f/function: 'arn:aws:s3:::bucket' is not a Lambda function name (expected a "
          "name, name:qualifier or a function ARN; names hold letters, digits, '-' and '_')" },
        /* Two kinds: the other kind reports "http" as a stray member (the
         * message goes on with that kind's members). */
        { "{\"f\": {\"http\": \"http://h\", \"program\": [\"x\"]}}",
          "FILE: /f/http: unknown member \"http\" of a program binding (expected " },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *msg = load_error(cases[i].text);
        size_t n = strlen(cases[i].message);
        int prefix = cases[i].message[n - 1] == ' ';
        ck_assert_msg(prefix ? strncmp(msg, cases[i].message, n) == 0
                             : strcmp(msg, cases[i].message) == 0,
                      "%s gave\n  %s\nexpected\n  %s%s", cases[i].text, msg, cases[i].message,
                      prefix ? "..." : "");
        free(msg);
    }
}
END_TEST

START_TEST(test_file_forms)
{
    /* Every FunctionName form, and a path prefix on the endpoint. */
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    aslrt_bindings *b = load(
        "{\"a\": {\"http\": \"http://127.0.0.1:9001\", \"function\": \"name\"},"
        " \"b\": {\"http\": \"http://127.0.0.1:9001/\", \"function\": \"name:prod\"},"
        " \"c\": {\"http\": \"https://lambda.us-east-1.amazonaws.com\","
        "         \"function\": \"123456789012:function:name:7\", \"region\": \"us-east-1\"},"
        " \"d\": {\"http\": \"http://[::1]:9001/prefix\","
        "         \"function\": \"arn:aws:lambda:eu-west-1:123456789012:function:my-fn_2\","
        "         \"sign\": false}}");
    aslrt_bindings_destroy(b);
}
END_TEST

/* ==== Calls ============================================================== */

START_TEST(test_echo)
{
    aslrt_bindings *b = bind_all(&open_srv, "\"sign\": false");
    json_t *out = expect_result(b, arn_of("echo"), "{\"a\": [1, 2.5, \"\\u00e9\"], \"b\": null}",
                                "{\"a\": [1, 2.5, \"\\u00e9\"], \"b\": null}");
    json_decref(out);
    out = expect_result(b, arn_of("echo"), "\"just a string\"", "\"just a string\"");
    json_decref(out);
    /* An empty body: the function returned nothing. */
    out = expect_result(b, arn_of("empty"), "{}", "null");
    json_decref(out);
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_request_shape)
{
    /* The function's name and qualifier come from the resource; the request
     * is a RequestResponse invocation with a JSON body. */
    aslrt_bindings *b = bind_all(&open_srv, "\"sign\": false");
    json_t *out = expect_result(b, "arn:aws:lambda:us-east-1:123456789012:function:describe:prod",
                                "{\"k\": 1}", NULL);
    json_t *want = parse("{\"event\": {\"k\": 1}, \"qualifier\": \"prod\", \"invocationType\": "
                         "\"RequestResponse\", \"logType\": null, \"contentType\": "
                         "\"application/json\", \"signed\": false, \"token\": null}");
    json_object_del(out, "peerPort");
    char *got = aslrt_json_dumps(out);
    ck_assert_msg(json_equal(out, want), "request seen as %s", got);
    free(got);
    json_decref(want);
    json_decref(out);

    /* "$LATEST" travels encoded in the query. */
    out = expect_result(b, "arn:aws:lambda:us-east-1:123456789012:function:describe:$LATEST",
                        "{}", NULL);
    ck_assert_str_eq(json_string_value(json_object_get(out, "qualifier")), "$LATEST");
    json_decref(out);
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_function_member)
{
    /* "function" names the function whatever the resource; its qualifier
     * wins over the resource's. */
    char *text = aslrtp_strdupf(
        "{\"arn:aws:lambda:*:function:Orders*\": {\"http\": \"http://127.0.0.1:%d\","
        " \"function\": \"describe:prod\", \"sign\": false},"
        " \"arn:aws:states:::my:task\": {\"http\": \"http://127.0.0.1:%d\","
        " \"function\": \"arn:aws:lambda:us-east-1:123456789012:function:echo\","
        " \"sign\": false},"
        " \"arn:aws:states:::other\": {\"http\": \"http://127.0.0.1:%d\", \"sign\": false}}",
        open_srv.port, open_srv.port, open_srv.port);
    aslrt_bindings *b = load(text);
    free(text);
    json_t *out = expect_result(b, "arn:aws:lambda:us-east-1:1:function:OrdersCreate:v2",
                                "{\"n\": 2}", NULL);
    ck_assert_str_eq(json_string_value(json_object_get(out, "qualifier")), "prod");
    json_decref(out);
    out = expect_result(b, "arn:aws:states:::my:task", "[1, 2]", "[1, 2]");
    json_decref(out);
    /* Neither a "function" nor a function ARN: nothing to call. */
    char *cause = expect_error(b, "arn:aws:states:::other", "{}", 0, 0, "aslc.HandlerFailed");
    ck_assert_str_eq(cause, "the http binding of resource 'arn:aws:states:::other' has no "
                            "\"function\" and the resource is not a Lambda function ARN "
                            "(arn:aws:lambda:REGION:ACCOUNT:function:NAME)");
    free(cause);
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_log_tail_and_version)
{
    aslrt_bindings *b = bind_all(&open_srv, "\"sign\": false");
    json_t *out = NULL;
    aslrt_error err = { 0 };
    size_t len = 0;
    char *log = NULL, *version = NULL;
    /* Asked for the log: X-Amz-Log-Type Tail, X-Amz-Log-Result decoded. */
    ck_assert(call_lambda(b, arn_of("logs"), "{}", 0, 1, &len, &log, &version, &out, &err));
    ck_assert_str_eq(log, "START RequestId: 1 Version: $LATEST\nhello from the function\n"
                          "END RequestId: 1\n");
    ck_assert_ptr_null(version);
    ck_assert_uint_eq(len, strlen("{\"logged\": true}"));
    free(log);
    json_decref(out);
    /* Not asked: no header, so no log. */
    out = expect_result(b, arn_of("describe"), "{}", NULL);
    ck_assert(json_is_null(json_object_get(out, "logType")));
    json_decref(out);
    /* X-Amz-Executed-Version: an alias's version. */
    log = NULL;
    ck_assert(call_lambda(b, "arn:aws:lambda:us-east-1:123456789012:function:versioned:prod",
                          "{}", 0, 1, NULL, &log, &version, &out, &err));
    ck_assert_str_eq(version, "7");
    ck_assert_str_eq(log, "");
    free(log);
    free(version);
    json_decref(out);
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_function_errors)
{
    aslrt_bindings *b = bind_all(&open_srv, "\"sign\": false");
    /* Handled: Error is errorType, Cause the payload as sent. */
    char *cause = expect_error(b, arn_of("handled"), "{}", 0, 0, "InvalidOrder");
    ck_assert_str_eq(cause, "{\"errorMessage\": \"the order is invalid\", \"errorType\": "
                            "\"InvalidOrder\", \"stackTrace\": [\"at handler (index.js:3:11)\"]}");
    free(cause);
    /* Unhandled, as a plain function ARN passes it through ... */
    cause = expect_error(b, arn_of("unhandled"), "{}", 0, 0, "ZeroDivisionError");
    ck_assert_str_eq(cause, "{\"errorMessage\": \"division by zero\", \"errorType\": "
                            "\"ZeroDivisionError\", \"requestId\": "
                            "\"0c2f9f3e-5d7a-4f0e-9b1e-1f4a4b1c2d3e\", \"stackTrace\": [\"  File "
                            "\\\"/var/task/app.py\\\", line 2, in handler\\n\"]}");
    free(cause);
    /* ... and as lambda:invoke re-serializes it. */
    cause = expect_error(b, arn_of("unhandled"), "{}", 0, 1, "ZeroDivisionError");
    ck_assert_str_eq(cause, "{\"errorMessage\":\"division by zero\",\"errorType\":"
                            "\"ZeroDivisionError\",\"requestId\":"
                            "\"0c2f9f3e-5d7a-4f0e-9b1e-1f4a4b1c2d3e\",\"stackTrace\":[\"  File "
                            "\\\"/var/task/app.py\\\", line 2, in handler\\n\"]}");
    free(cause);
    /* Not a Lambda error object: Lambda.Unknown with the text. */
    cause = expect_error(b, arn_of("unhandled-raw"), "{}", 0, 0, "Lambda.Unknown");
    ck_assert_str_eq(cause, "Process exited before completing request");
    free(cause);
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_service_errors)
{
    aslrt_bindings *b = bind_all(&open_srv, "\"sign\": false");
    char *cause = expect_error(b, arn_of("nope"), "{}", 0, 1, "Lambda.ResourceNotFoundException");
    expect_service_cause(cause, "Function not found: arn:aws:lambda:us-east-1:123456789012:"
                                "function:nope (Service", 404, "ResourceNotFoundException");
    ck_assert_msg(strstr(cause, "Request ID: null") == NULL, "no request id: %s", cause);
    free(cause);
    cause = expect_error(b, arn_of("throttled"), "{}", 0, 0, "Lambda.TooManyRequestsException");
    expect_service_cause(cause, "Rate Exceeded. (", 429, "TooManyRequestsException");
    free(cause);
    cause = expect_error(b, arn_of("broken"), "{}", 0, 0, "Lambda.ServiceException");
    expect_service_cause(cause, "An internal error occurred. (", 500, "ServiceException");
    free(cause);
    /* No code anywhere: the one Lambda gives that status. */
    cause = expect_error(b, arn_of("bad-gateway"), "{}", 0, 0, "Lambda.ServiceException");
    expect_service_cause(cause, "<html><body>502 Bad Gateway</body></html> (", 502,
                         "ServiceException");
    free(cause);
    /* The code in the body's __type. */
    cause = expect_error(b, arn_of("typed"), "{}", 0, 0, "Lambda.InvalidParameterValueException");
    expect_service_cause(cause, "The payload is not what it should be. (", 400,
                         "InvalidParameterValueException");
    free(cause);
    /* A code Lambda does not declare: the SDK's base class. */
    cause = expect_error(b, arn_of("odd"), "{}", 0, 0, "Lambda.AWSLambdaException");
    expect_service_cause(cause, "A new kind of failure. (", 400, "SomethingNewException");
    free(cause);
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_timeout)
{
    aslrt_bindings *b = bind_all(&open_srv, "\"sign\": false");
    /* the server sleeps longer than the test case's timeout: that the call
     * returns at all shows it did not wait */
    char *cause = expect_error(b, arn_of("sleep"), "{\"seconds\": 600}", 0.5, 0,
                               "States.Timeout");
    ck_assert_ptr_null(cause);
    /* The next call on the same binding works (the pool's handle is sound). */
    json_t *out = expect_result(b, arn_of("echo"), "{\"after\": 1}", "{\"after\": 1}");
    json_decref(out);
    aslrt_bindings_destroy(b);
}
END_TEST

typedef struct canceller {
    volatile int flag;
    int delay_ms;
} canceller;

static void *cancel_later(void *ud)
{
    canceller *c = ud;
    struct timespec ts = { c->delay_ms / 1000, (long)(c->delay_ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
    __atomic_store_n(&c->flag, 1, __ATOMIC_RELEASE);
    return NULL;
}

START_TEST(test_cancel)
{
    aslrt_bindings *b = bind_all(&open_srv, "\"sign\": false");
    canceller c = { 0, 300 };
    pthread_t t;
    pthread_create(&t, NULL, cancel_later, &c);
    json_t *in = parse("{\"seconds\": 600}");
    json_t *out = NULL;
    aslrt_error err = { 0 };
    aslrtp_cancel stop = { &c.flag, NULL };
    int ok = aslrtp_task_invoke(b, arn_of("sleep"), in, 0, &stop, &out, &err);
    pthread_join(t, NULL);
    ck_assert(!ok);
    ck_assert_str_eq(err.error, "aslc.Cancelled");
    aslrt_error_clear(&err);
    json_decref(in);
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_garbage)
{
    aslrt_bindings *b = bind_all(&open_srv, "\"sign\": false");
    /* HTTP, but the payload is not JSON. */
    char *cause = expect_error(b, arn_of("garbage"), "{}", 0, 0, "Lambda.Unknown");
    char *want = aslrtp_strdupf("the function behind http://127.0.0.1:%d/2015-03-31/functions/"
                                "garbage/invocations for resource '%s' returned a payload that "
                                "is not JSON (", open_srv.port, arn_of("garbage"));
    ck_assert_msg(strncmp(cause, want, strlen(want)) == 0, "cause %s", cause);
    ck_assert_msg(strstr(cause, "): this is not JSON {") != NULL, "cause %s", cause);
    free(want);
    free(cause);
    /* Not HTTP at all: the SDK's client error. */
    cause = expect_error(b, arn_of("not-http"), "{}", 10, 0, "Lambda.SdkClientException");
    ck_assert_msg(strncmp(cause, "Unable to execute HTTP request: ", 32) == 0, "cause %s", cause);
    free(cause);
    /* Over the payload quota. */
    cause = expect_error(b, arn_of("big"), "{}", 0, 0, "States.DataLimitExceeded");
    want = aslrtp_strdupf("The state/task '%s' returned a result with a size exceeding the "
                          "maximum number of bytes service limit.", arn_of("big"));
    ck_assert_str_eq(cause, want);
    free(want);
    free(cause);
    aslrt_bindings_destroy(b);
}
END_TEST

/* A port nobody listens on (bound, then closed). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t n = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &n);
    close(fd);
    return ntohs(a.sin_port);
}

START_TEST(test_connection_refused)
{
    server none = { -1, -1, free_port() };
    aslrt_bindings *b = bind_all(&none, "\"sign\": false");
    char *cause = expect_error(b, arn_of("echo"), "{}", 5, 0, "Lambda.SdkClientException");
    char *url = aslrtp_strdupf("(POST http://127.0.0.1:%d/2015-03-31/functions/echo/"
                               "invocations)", none.port);
    ck_assert_msg(strncmp(cause, "Unable to execute HTTP request: ", 32) == 0, "cause %s", cause);
    ck_assert_msg(strstr(cause, url) != NULL, "cause %s", cause);
    free(url);
    free(cause);
    aslrt_bindings_destroy(b);
}
END_TEST

typedef struct worker {
    const aslrt_bindings *b;
    int id;
    int good;
} worker;

static void *call_many(void *ud)
{
    worker *w = ud;
    for (int i = 0; i < 10; i++) {
        char *text = aslrtp_strdupf("{\"worker\": %d, \"call\": %d}", w->id, i);
        json_t *in = json_loads(text, 0, NULL);
        json_t *out = NULL;
        aslrt_error err = { 0 };
        if (aslrtp_task_invoke(w->b, "arn:aws:lambda:us-east-1:123456789012:function:echo", in,
                               10, NULL, &out, &err) &&
            json_equal(in, out))
            w->good++;
        aslrt_error_clear(&err);
        json_decref(out);
        json_decref(in);
        free(text);
    }
    return NULL;
}

START_TEST(test_concurrent)
{
    aslrt_bindings *b = bind_all(&open_srv, "\"sign\": false");
    enum { N = 8 };
    worker w[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        w[i] = (worker){ b, i, 0 };
        pthread_create(&t[i], NULL, call_many, &w[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(w[i].good, 10);
    }
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_keep_alive)
{
    /* Calls one after another reuse the connection (the binding's pool). */
    aslrt_bindings *b = bind_all(&open_srv, "\"sign\": false");
    json_t *first = expect_result(b, arn_of("describe"), "{}", NULL);
    json_t *second = expect_result(b, arn_of("describe"), "{}", NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(first, "peerPort")),
                     json_integer_value(json_object_get(second, "peerPort")));
    json_decref(first);
    json_decref(second);
    aslrt_bindings_destroy(b);
}
END_TEST

/* ==== Signatures ========================================================= */

static void set_credentials(const char *key_id, const char *secret, const char *token)
{
    setenv("AWS_ACCESS_KEY_ID", key_id, 1);
    setenv("AWS_SECRET_ACCESS_KEY", secret, 1);
    if (token)
        setenv("AWS_SESSION_TOKEN", token, 1);
    else
        unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
}

START_TEST(test_signed)
{
    set_credentials(KEY_ID, SECRET, TOKEN);
    /* "sign" defaults to true with credentials in the environment. */
    aslrt_bindings *b = bind_all(&signed_srv, "\"region\": \"us-east-1\"");
    json_t *out = expect_result(b, arn_of("echo"), "{\"signed\": \"yes\"}",
                                "{\"signed\": \"yes\"}");
    json_decref(out);
    out = expect_result(b, "arn:aws:lambda:us-east-1:123456789012:function:describe:prod",
                        "{\"with\": \"a query\"}", NULL);
    ck_assert(json_is_true(json_object_get(out, "signed")));
    ck_assert_str_eq(json_string_value(json_object_get(out, "token")), TOKEN);
    json_decref(out);
    out = expect_result(b, "arn:aws:lambda:us-east-1:123456789012:function:versioned:$LATEST",
                        "{}", "{\"version\": \"$LATEST\"}");
    json_decref(out);
    /* The region from the environment, then from the function's ARN. */
    aslrt_bindings_destroy(b);
    b = bind_all(&signed_srv, NULL);
    setenv("AWS_REGION", "us-east-1", 1);
    out = expect_result(b, arn_of("echo"), "1", "1");
    json_decref(out);
    unsetenv("AWS_REGION");
    out = expect_result(b, arn_of("echo"), "2", "2");
    json_decref(out);
    /* A region the server does not serve. */
    char *cause = expect_error(b, "arn:aws:lambda:eu-west-3:123456789012:function:echo", "{}", 0,
                               0, "Lambda.AWSLambdaException");
    expect_service_cause(cause, "Credential should be scoped to a valid region", 403,
                         "InvalidSignatureException");
    free(cause);
    aslrt_bindings_destroy(b);
}
END_TEST

START_TEST(test_signature_rejected)
{
    /* A wrong secret: the server's signature differs. */
    set_credentials(KEY_ID, "not-the-secret", TOKEN);
    aslrt_bindings *b = bind_all(&signed_srv, "\"region\": \"us-east-1\"");
    char *cause = expect_error(b, arn_of("echo"), "{}", 0, 1, "Lambda.AWSLambdaException");
    expect_service_cause(cause, "The request signature we calculated does not match the "
                                "signature you provided.", 403, "InvalidSignatureException");
    free(cause);
    aslrt_bindings_destroy(b);
    /* An unknown key. */
    set_credentials("AKIDUNKNOWN", SECRET, TOKEN);
    b = bind_all(&signed_srv, "\"region\": \"us-east-1\"");
    cause = expect_error(b, arn_of("echo"), "{}", 0, 1, "Lambda.AWSLambdaException");
    expect_service_cause(cause, "The security token included in the request is invalid. (", 403,
                         "UnrecognizedClientException");
    free(cause);
    aslrt_bindings_destroy(b);
    /* No session token where one is needed. */
    set_credentials(KEY_ID, SECRET, NULL);
    b = bind_all(&signed_srv, "\"region\": \"us-east-1\"");
    cause = expect_error(b, arn_of("echo"), "{}", 0, 1, "Lambda.AWSLambdaException");
    expect_service_cause(cause, "The security token included in the request is invalid. (", 403,
                         "UnrecognizedClientException");
    free(cause);
    aslrt_bindings_destroy(b);
    /* Not signed at all ("sign": false beats the environment). */
    set_credentials(KEY_ID, SECRET, TOKEN);
    b = bind_all(&signed_srv, "\"sign\": false");
    cause = expect_error(b, arn_of("echo"), "{}", 0, 1, "Lambda.AWSLambdaException");
    expect_service_cause(cause, "Missing Authentication Token (", 403,
                         "MissingAuthenticationTokenException");
    free(cause);
    aslrt_bindings_destroy(b);
    /* Credentials gone by the time of the call. */
    b = bind_all(&signed_srv, "\"region\": \"us-east-1\"");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    cause = expect_error(b, arn_of("echo"), "{}", 0, 1, "aslc.HandlerFailed");
    ck_assert_msg(strstr(cause, "AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is not set") != NULL,
                  "cause %s", cause);
    free(cause);
    aslrt_bindings_destroy(b);
}
END_TEST

/* ==== The servers ======================================================== */

/* Starts lambda_server.py with extra arguments (NULL-terminated); returns
 * 0 when python3 or the script cannot run. */
static int start_server(server *s, const char *script, const char *const *extra)
{
    const char *py = getenv("PYTHON3");
    if (!py || !*py)
        py = "python3";
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
        return 0;
    pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        const char *argv[16] = { py, script, "--port", "0", "--exit-on-eof" };
        int k = 5;
        for (; extra && *extra && k < 15; extra++)
            argv[k++] = *extra;
        argv[k] = NULL;
        execvp(py, (char *const *)argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    char line[32];
    size_t n = 0;
    struct pollfd p = { .fd = out[0], .events = POLLIN };
    while (n < sizeof line - 1 && !memchr(line, '\n', n) && poll(&p, 1, 20000) > 0) {
        ssize_t r = read(out[0], line + n, sizeof line - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    line[n] = '\0';
    close(out[0]);
    s->pid = pid;
    s->in_fd = in[1];
    s->port = atoi(line);
    if (s->port <= 0) {
        close(s->in_fd);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        s->pid = -1;
        return 0;
    }
    return 1;
}

static void stop_server(server *s)
{
    if (s->pid < 0)
        return;
    close(s->in_fd);
    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
    s->pid = -1;
}

#else /* !HAVE_LIBCURL */

/* ==== Bindings files ===================================================== */

START_TEST(test_file_refused)
{
    char *msg = load_error("{\"f\": {\"http\": \"http://127.0.0.1:9001\"}}");
    ck_assert_str_eq(msg, "FILE: /f/http: this build of aslc has no HTTP support (it was "
                          "configured without libcurl), so it cannot call "
                          "'http://127.0.0.1:9001'; rebuild with libcurl (libcurl4-openssl-dev) "
                          "to bind tasks to HTTP endpoints");
    free(msg);
}
END_TEST

#endif /* HAVE_LIBCURL */

static Suite *http_suite(int have_server)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("file");
#ifdef HAVE_LIBCURL
    tcase_add_test(tc, test_file_errors);
    tcase_add_test(tc, test_file_forms);
#else
    tcase_add_test(tc, test_file_refused);
#endif
    suite_add_tcase(s, tc);
#ifdef HAVE_LIBCURL
    if (have_server) {
        tc = tcase_create("calls");
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, test_echo);
        tcase_add_test(tc, test_request_shape);
        tcase_add_test(tc, test_function_member);
        tcase_add_test(tc, test_log_tail_and_version);
        tcase_add_test(tc, test_function_errors);
        tcase_add_test(tc, test_service_errors);
        tcase_add_test(tc, test_timeout);
        tcase_add_test(tc, test_cancel);
        tcase_add_test(tc, test_garbage);
        tcase_add_test(tc, test_connection_refused);
        tcase_add_test(tc, test_concurrent);
        tcase_add_test(tc, test_keep_alive);
        suite_add_tcase(s, tc);
        tc = tcase_create("signatures");
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, test_signed);
        tcase_add_test(tc, test_signature_rejected);
        suite_add_tcase(s, tc);
    }
#else
    (void)have_server;
#endif
    return s;
}

int main(void)
{
    if (scratch_create("check_http") != 0)
        return 1;
    /* The test decides about signing itself, and talks to 127.0.0.1
     * directly whatever proxy the environment names. */
    static const char *const proxies[] = { "http_proxy", "HTTP_PROXY", "https_proxy",
                                           "HTTPS_PROXY", "all_proxy", "ALL_PROXY", NULL };
    for (const char *const *p = proxies; *p; p++)
        unsetenv(*p);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");

    int have_server = 0;
#ifdef HAVE_LIBCURL
    const char *srcdir = getenv("top_srcdir");
    char *script = aslrtp_strdupf("%s/tests/http/lambda_server.py",
                                  srcdir && *srcdir ? srcdir : ASLC_TEST_SRCDIR);
    static const char *const sign_args[] = { "--credentials", KEY_ID ":" SECRET ":" TOKEN,
                                             "--region", "us-east-1", NULL };
    have_server = start_server(&open_srv, script, NULL) &&
                  start_server(&signed_srv, script, sign_args);
    if (!have_server)
        fprintf(stderr, "check_http: cannot run %s with python3, skipping the calls\n", script);
    free(script);
#endif

    int failed = run_suite(http_suite(have_server), CK_ENV);

#ifdef HAVE_LIBCURL
    stop_server(&open_srv);
    stop_server(&signed_srv);
#endif
    scratch_remove();
    return failed ? 1 : 0;
}

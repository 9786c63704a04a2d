/*
 * task_http.c - the "http" handler kind: Task resources bound to Lambda
 * functions served over the AWS Lambda Invoke API, by AWS itself or by a
 * local endpoint that speaks the same protocol.
 *
 * Model.  One call is one Invoke request, as Step Functions makes it:
 *
 *     POST {base}/2015-03-31/functions/{name}/invocations[?Qualifier=q]
 *     X-Amz-Invocation-Type: RequestResponse
 *     X-Amz-Log-Type: Tail                  (when the state asks for logs)
 *
 * with the task's input as the body.  What comes back is sorted like this:
 *
 *  - 2xx without X-Amz-Function-Error: the body is the function's result
 *    (X-Amz-Executed-Version and X-Amz-Log-Result feed lambda:invoke's
 *    response envelope in invoke.c);
 *  - 2xx with X-Amz-Function-Error (Handled or Unhandled): a function error,
 *    shaped exactly as task.c shapes a program handler's: Error is the
 *    payload's errorType, Cause the payload;
 *  - any other status: an error of the Lambda service itself.  The AWS SDK
 *    turns its error code (x-amzn-ErrorType, or the body's __type) into an
 *    exception class of that name when Lambda declares it, else into its
 *    base class AWSLambdaException, and Step Functions reports the class as
 *    "Lambda.<class>" with the SDK's message as the Cause
 *    "<message> (Service: AWSLambda; Status Code: 404; Error Code: ...;
 *    Request ID: ...; Proxy: null)" (doc/behaviour.md §17.1);
 *  - no HTTP answer at all (connection refused, unknown host, TLS failure,
 *    bytes that are not HTTP): the SDK's SdkClientException, so
 *    Lambda.SdkClientException with the Cause "Unable to execute HTTP
 *    request: ...", which AWS's recommended Lambda retrier retries.
 *
 * The function is called by name: the path carries the name of the ARN (the
 * resource's, or the binding's "function") and the qualifier goes in the
 * Qualifier parameter.  That keeps ':' out of the path, whose signature
 * libcurl before 8.x computes from the encoded path as it is, while AWS
 * encodes each segment once more for the signature.
 *
 * Requests are signed with AWS Signature Version 4 by libcurl
 * (CURLOPT_AWS_SIGV4) with the credentials of the environment, read at each
 * call as the AWS SDKs' environment provider does.
 *
 * Threads.  A binding keeps a small pool of idle libcurl handles (curl.c)
 * behind its own mutex; a call takes one, or makes one, and gives it back.
 * Everything else of a call is on its stack.  The transfer runs as curl.c
 * runs every transfer: stopped within 50 ms by the call's cancel flag.
 *
 * Without libcurl (configure --without-libcurl) an "http" binding is
 * refused when the bindings file loads.
 *
 * Layering: task.c calls this; it runs transfers through curl.c, words
 * Causes through text.c and calls nothing above it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"
#include "curl.h"

#ifdef HAVE_LIBCURL

#include <ctype.h>
#include <limits.h>
#include <signal.h>
#include <strings.h>
#include <time.h>

/* How much of a body that is not JSON a Cause quotes. */
#define EXCERPT 512

#define HANDLER_FAILED "aslc.HandlerFailed"
#define CLIENT_ERROR "Lambda.SdkClientException"

struct aslrtp_http {
    char *base;                 /* scheme://host[:port][/prefix], no '/' at the end */
    char *name;                 /* "function": the name, or NULL (the resource's) */
    char *qualifier;            /* its qualifier, or NULL */
    char *region;               /* "region", or NULL (the environment's) */
    int sign;                   /* sign requests with SigV4 */
    aslrtp_curl_pool pool;      /* idle handles */
};

/* ==== Text =============================================================== */

/* Sets err to (name, the text of b) and resets b. */
static void fail_buf(aslrt_error *err, const char *name, aslrtp_buf *b)
{
    char *cause = aslrtp_buf_finish(b);
    aslrt_error_set(err, name, cause);
    free(cause);
}

/* ==== Function names ===================================================== */

/* Lambda's function names: letters, digits, '-' and '_' (at most 64). */
static int valid_name(const char *s, size_t n)
{
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
            return 0;
    return 1;
}

/* Qualifiers: a version number, an alias or $LATEST. */
static int valid_qualifier(const char *s, size_t n)
{
    if (n == 0 || n > 128)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '$')
            return 0;
    return 1;
}

/* A function as the Invoke API's FunctionName takes it: "name",
 * "name:qualifier", "account:function:name[:qualifier]" or
 * "arn:partition:lambda:region:account:function:name[:qualifier]"; only the
 * last form when arn_only.  Sets *name and *qualifier (malloc'd; NULL when
 * there is none) and *region (the ARN's, malloc'd, or NULL).  Returns 0
 * when s has none of these forms. */
static int split_function(const char *s, int arn_only, char **name, char **qualifier,
                          char **region)
{
    *name = *qualifier = NULL;
    if (region)
        *region = NULL;
    /* Fields between ':'. */
    const char *f[9];
    size_t len[9];
    size_t nf = 0;
    for (const char *p = s;; nf++) {
        if (nf == 9)
            return 0;
        const char *colon = strchr(p, ':');
        f[nf] = p;
        len[nf] = colon ? (size_t)(colon - p) : strlen(p);
        if (!colon) {
            nf++;
            break;
        }
        p = colon + 1;
    }
    size_t at;                  /* the field of the name */
    const char *reg = NULL;
    size_t reg_len = 0;
    if (nf >= 7 && len[0] == 3 && strncmp(f[0], "arn", 3) == 0) {
        if (nf > 8 || len[2] != 6 || strncmp(f[2], "lambda", 6) != 0 || len[5] != 8 ||
            strncmp(f[5], "function", 8) != 0 || len[1] == 0)
            return 0;
        at = 6;
        reg = f[3];
        reg_len = len[3];
    } else if (arn_only) {
        return 0;
    } else if (nf >= 3 && len[1] == 8 && strncmp(f[1], "function", 8) == 0) {
        if (nf > 4)
            return 0;
        at = 2;
    } else if (nf <= 2) {
        at = 0;
    } else {
        return 0;
    }
    if (!valid_name(f[at], len[at]))
        return 0;
    if (at + 1 < nf && !valid_qualifier(f[at + 1], len[at + 1]))
        return 0;
    *name = aslrtp_memdup(f[at], len[at]);
    if (at + 1 < nf)
        *qualifier = aslrtp_memdup(f[at + 1], len[at + 1]);
    if (region && reg_len)
        *region = aslrtp_memdup(reg, reg_len);
    return 1;
}

/* AWS region names: lower-case letters, digits and '-'. */
static int valid_region(const char *s)
{
    if (!*s)
        return 0;
    for (const char *p = s; *p; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-')
            return 0;
    return 1;
}

static int env_set(const char *name)
{
    const char *v = getenv(name);
    return v && *v;
}

/* ==== The binding ======================================================== */

/* A message for the loader: *member names the member at fault. */
static aslrtp_http *refuse(const char **member, const char *m, char **why, char *text)
{
    *member = m;
    *why = text;
    return NULL;
}

/* The base URL, checked with libcurl's own parser: http or https, a host,
 * no credentials, query or fragment.  Returns it without a '/' at the end,
 * or NULL with *why. */
static char *check_base(const char *url, char **why)
{
    CURLU *u = curl_url();
    if (!u)
        aslrtp_oom(0);
    char *scheme = NULL, *host = NULL, *user = NULL, *query = NULL, *frag = NULL;
    char *base = NULL;
    /* What is printed of url: never its user name or password. */
    char *shown = aslrtp_url_redact(url);
    CURLUcode rc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (rc != CURLUE_OK) {
        *why = aslrtp_strdupf("'%s' is not a URL (expected such as \"http://127.0.0.1:9001\" "
                              "or \"https://lambda.us-east-1.amazonaws.com\")", shown);
        goto done;
    }
    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    curl_url_get(u, CURLUPART_HOST, &host, 0);
    curl_url_get(u, CURLUPART_USER, &user, 0);
    curl_url_get(u, CURLUPART_QUERY, &query, 0);
    curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0);
    if (!scheme || (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
        *why = aslrtp_strdupf("'%s': the scheme must be http or https", shown);
    } else if (!host || !*host) {
        *why = aslrtp_strdupf("'%s' names no host", shown);
    } else if (user) {
        *why = aslrtp_strdupf("'%s': credentials do not belong in the URL (requests are "
                              "signed with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)", shown);
    } else if (query || frag) {
        *why = aslrtp_strdupf("'%s': the endpoint URL has no query or fragment (the "
                              "Invoke API's path is added to it)", shown);
    } else {
        char *full = NULL;
        curl_url_get(u, CURLUPART_URL, &full, 0);
        base = aslrtp_strdup(full ? full : url);
        curl_free(full);
        size_t n = strlen(base);
        while (n > 0 && base[n - 1] == '/')
            base[--n] = '\0';
    }
done:
    free(shown);
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(query);
    curl_free(frag);
    curl_url_cleanup(u);
    return base;
}

aslrtp_http *aslrtp_http_load(json_t *obj, const char **member, char **why)
{
    static const char *const allowed[] = { "http", "function", "region", "sign", NULL };
    *member = NULL;
    *why = NULL;
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
        if (!aslrtp_str_in(key, allowed))
            return refuse(member, key, why,
                          aslrtp_strdupf("unknown member \"%s\" of an http binding (expected "
                                         "\"http\", \"function\", \"region\", \"sign\")", key));
    }
    /* Strings without NULs: each becomes part of a URL or a header. */
    const char *strs[] = { "http", "function", "region" };
    const char *vals[3];
    for (int i = 0; i < 3; i++) {
        json_t *m = json_object_get(obj, strs[i]);
        vals[i] = NULL;
        if (!m)
            continue;
        if (!json_is_string(m) || json_string_length(m) == 0 ||
            strlen(json_string_value(m)) != json_string_length(m))
            return refuse(member, strs[i], why, aslrtp_strdup("expected a non-empty string"));
        vals[i] = json_string_value(m);
    }
    json_t *sign = json_object_get(obj, "sign");
    if (sign && !json_is_boolean(sign))
        return refuse(member, "sign", why, aslrtp_strdup("expected true or false"));
    if (!aslrtp_curl_ready())
        return refuse(member, "http", why, aslrtp_strdup(aslrtp_curl_why()));

    char *name = NULL, *qualifier = NULL;
    if (vals[1] && !split_function(vals[1], 0, &name, &qualifier, NULL))
        return refuse(member, "function", why,
                      aslrtp_strdupf("'%s' is not a Lambda function name (expected a name, "
                                     "name:qualifier or a function ARN; names hold letters, "
                                     "digits, '-' and '_')", vals[1]));
    if (vals[2] && !valid_region(vals[2])) {
        free(name);
        free(qualifier);
        return refuse(member, "region", why,
                      aslrtp_strdupf("'%s' is not a region name (such as \"us-east-1\")",
                                     vals[2]));
    }
    int signing = sign ? json_is_true(sign)
                       : env_set("AWS_ACCESS_KEY_ID") && env_set("AWS_SECRET_ACCESS_KEY");
    if (signing && (!env_set("AWS_ACCESS_KEY_ID") || !env_set("AWS_SECRET_ACCESS_KEY"))) {
        free(name);
        free(qualifier);
        return refuse(member, "sign", why,
                      aslrtp_strdup("requests are to be signed but AWS_ACCESS_KEY_ID or "
                                    "AWS_SECRET_ACCESS_KEY is not set"));
    }
    char *base = NULL;
    if (!vals[0] || !(base = check_base(vals[0], why))) {
        free(name);
        free(qualifier);
        if (!vals[0])
            *why = aslrtp_strdup("expected a non-empty string (the endpoint's URL)");
        *member = "http";
        return NULL;
    }

    aslrtp_http *h = aslrtp_calloc(1, sizeof *h);
    h->base = base;
    h->name = name;
    h->qualifier = qualifier;
    h->region = vals[2] ? aslrtp_strdup(vals[2]) : NULL;
    h->sign = signing;
    aslrtp_curl_pool_init(&h->pool);
    return h;
}

void aslrtp_http_free(aslrtp_http *h)
{
    if (!h)
        return;
    aslrtp_curl_pool_destroy(&h->pool);
    free(h->base);
    free(h->name);
    free(h->qualifier);
    free(h->region);
    free(h);
}

/* ==== One request ======================================================== */

/* What the response gave. */
typedef struct response {
    aslrtp_curl_body body;      /* at most ASLRTP_DATA_LIMIT bytes (over: it was longer) */
    char *function_error;       /* X-Amz-Function-Error */
    char *version;              /* X-Amz-Executed-Version */
    char *log_result;           /* X-Amz-Log-Result (base64) */
    char *error_type;           /* x-amzn-ErrorType */
    char *request_id;           /* x-amzn-RequestId */
} response;

static void response_free(response *r)
{
    free(r->body.buf.data);
    free(r->function_error);
    free(r->version);
    free(r->log_result);
    free(r->error_type);
    free(r->request_id);
}

/* Keeps the headers that matter.  A new status line (after a 100 Continue
 * or a redirect) starts over. */
static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    response *r = ud;
    size_t len = size * n;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        char **all[] = { &r->function_error, &r->version, &r->log_result, &r->error_type,
                         &r->request_id };
        for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
            free(*all[i]);
            *all[i] = NULL;
        }
        return len;
    }
    const char *colon = memchr(data, ':', len);
    if (!colon)
        return len;
    static const struct {
        const char *name;
        size_t off;
    } wanted[] = {
        { "X-Amz-Function-Error", offsetof(response, function_error) },
        { "X-Amz-Executed-Version", offsetof(response, version) },
        { "X-Amz-Log-Result", offsetof(response, log_result) },
        { "x-amzn-ErrorType", offsetof(response, error_type) },
        { "x-amzn-RequestId", offsetof(response, request_id) },
    };
    size_t name_len = (size_t)(colon - data);
    for (size_t i = 0; i < sizeof wanted / sizeof *wanted; i++) {
        if (strlen(wanted[i].name) != name_len ||
            strncasecmp(data, wanted[i].name, name_len) != 0)
            continue;
        size_t vlen = len - name_len - 1;
        const char *v = aslrtp_text_trim(colon + 1, &vlen);
        char **slot = (char **)((char *)r + wanted[i].off);
        free(*slot);
        aslrtp_buf b = { 0 };
        aslrtp_text_add(&b, v, vlen);
        *slot = aslrtp_buf_finish(&b);
    }
    return len;
}

/* "%XX"-encodes everything but RFC 3986's unreserved characters, as
 * SigV4's canonical query wants. */
static void add_encoded(aslrtp_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~')
            aslrtp_buf_add(b, (const char *)p, 1);
        else
            aslrtp_buf_addf(b, "%%%02X", *p);
    }
}

/* ==== From a response to a result or an error ========================== */

/* Lambda's error codes that the AWS SDK knows as exception classes of the
 * same name (the Invoke API reference); any other code becomes the SDK's
 * base class, AWSLambdaException. */
static const char *const lambda_exceptions[] = {
    "EC2AccessDeniedException", "EC2ThrottledException", "EC2UnexpectedException",
    "EFSIOException", "EFSMountConnectivityException", "EFSMountFailureException",
    "EFSMountTimeoutException", "ENILimitReachedException",
    "InvalidParameterValueException", "InvalidRequestContentException",
    "InvalidRuntimeException", "InvalidSecurityGroupIDException", "InvalidSubnetIDException",
    "InvalidZipFileException", "KMSAccessDeniedException", "KMSDisabledException",
    "KMSInvalidStateException", "KMSNotFoundException", "RecursiveInvocationException",
    "RequestTooLargeException", "ResourceConflictException", "ResourceNotFoundException",
    "ResourceNotReadyException", "ServiceException", "SnapStartException",
    "SnapStartNotReadyException", "SnapStartTimeoutException",
    "SubnetIPAddressLimitReachedException", "TooManyRequestsException",
    "UnsupportedMediaTypeException", NULL
};

/* The code of an error response: x-amzn-ErrorType ("Code:namespace"), else
 * the body's __type ("namespace#Code"), code or Code, else the body's Type
 * when it is a code rather than Lambda's fault class (User, Service).
 * malloc'd, or NULL. */
static char *error_code(const response *r, json_t *body)
{
    const char *s = r->error_type;
    if (!s || !*s) {
        static const char *const keys[] = { "__type", "code", "Code", "Type", NULL };
        for (const char *const *k = keys; *k && (!s || !*s); k++) {
            s = json_string_value(json_object_get(body, *k));
            if (s && strcmp(*k, "Type") == 0 &&
                (strcmp(s, "User") == 0 || strcmp(s, "Service") == 0))
                s = NULL;
        }
    }
    if (!s || !*s)
        return NULL;
    const char *hash = strrchr(s, '#');
    if (hash)
        s = hash + 1;
    size_t n = strcspn(s, ":");
    return n ? aslrtp_memdup(s, n) : NULL;
}

/* An error response of the Lambda service. */
static void service_error(const response *r, long status, aslrt_error *err)
{
    size_t n = r->body.buf.len;
    const char *text = aslrtp_text_trim(r->body.buf.data ? r->body.buf.data : "", &n);
    json_t *body = n && !r->body.over ? aslrtp_json_loads(text, n, NULL) : NULL;
    char *code = error_code(r, body);
    if (!code) {
        /* No code given (an endpoint that only sets the status): the one
         * Lambda uses for that status. */
        const char *guess = status == 404   ? "ResourceNotFoundException"
                            : status == 429 ? "TooManyRequestsException"
                            : status == 413 ? "RequestTooLargeException"
                            : status == 415 ? "UnsupportedMediaTypeException"
                            : status >= 500 ? "ServiceException"
                                            : NULL;
        code = guess ? aslrtp_strdup(guess) : NULL;
    }
    int known = 0;
    for (const char *const *e = lambda_exceptions; code && *e && !known; e++)
        known = strcmp(code, *e) == 0;

    aslrtp_buf b = { 0 };
    const char *msg = NULL;
    static const char *const keys[] = { "message", "Message", "errorMessage", NULL };
    for (const char *const *k = keys; *k && !msg; k++)
        msg = json_string_value(json_object_get(body, *k));
    if (msg)
        aslrtp_text_add(&b, msg, strlen(msg));
    else if (n && !body)
        aslrtp_text_excerpt(&b, text, n, EXCERPT);
    else
        aslrtp_buf_addf(&b, "HTTP status %ld", status);
    aslrtp_buf_addf(&b, " (Service: AWSLambda; Status Code: %ld; Error Code: %s; Request ID: "
                    "%s; Proxy: null)", status, code ? code : "null",
                    r->request_id && *r->request_id ? r->request_id : "null");
    char *name = aslrtp_strdupf("Lambda.%s", known ? code : "AWSLambdaException");
    fail_buf(err, name, &b);
    free(name);
    free(code);
    json_decref(body);
}

/* The optimized integration re-serializes a function error through Step
 * Functions' own writer; a plain function ARN passes the text through (as
 * task.c's map_outcome does for program handlers). */
static int reserializes_errors(const char *resource)
{
    static const char prefix[] = "arn:aws:states:::lambda:invoke";
    return strncmp(resource, prefix, sizeof prefix - 1) == 0;
}

/* A function error (X-Amz-Function-Error): Error is the payload's
 * errorType, Cause the payload, as for a program handler. */
static void function_error(const aslrtp_http *h, const response *r, const char *resource,
                           int compact, aslrt_error *err)
{
    size_t n = r->body.buf.len;
    const char *text = aslrtp_text_trim(r->body.buf.data ? r->body.buf.data : "", &n);
    json_t *v = n && !r->body.over ? aslrtp_json_loads(text, n, NULL) : NULL;
    aslrtp_buf b = { 0 };
    if (json_is_object(v) &&
        (json_object_get(v, "errorType") || json_object_get(v, "errorMessage"))) {
        json_t *type = json_object_get(v, "errorType");
        const char *name = json_is_string(type) && json_string_length(type) > 0
                               ? json_string_value(type)
                               : "Lambda.Unknown";
        if (compact || reserializes_errors(resource))
            aslrtp_buf_add_json(&b, v);
        else
            aslrtp_text_add(&b, text, n);
        fail_buf(err, name, &b);
    } else if (n) {
        aslrtp_text_excerpt(&b, text, n, EXCERPT);
        fail_buf(err, "Lambda.Unknown", &b);
    } else {
        aslrtp_buf_addf(&b, "the function behind %s for resource '%s' failed "
                        "(X-Amz-Function-Error: %s) without an error payload",
                        h->base, resource, r->function_error);
        fail_buf(err, "Lambda.Unknown", &b);
    }
    json_decref(v);
}

/* X-Amz-Log-Result, decoded (malloc'd; "" when absent or not base64 in
 * the strict form: full padding, '=' only at the end). */
static char *decode_log(const char *b64)
{
    size_t n = b64 ? strlen(b64) : 0, len;
    char *out = n && n <= (size_t)1 << 20 ? aslrtp_base64_decode(b64, n, 0, &len) : NULL;
    if (!out)
        return aslrtp_strdup("");
    aslrtp_buf b = { 0 };
    aslrtp_text_add(&b, out, len);
    free(out);
    return aslrtp_buf_finish(&b);
}

/* The function to call for resource: the binding's, else the resource's
 * own ARN.  Sets *region to the ARN's region when it has one. */
static int target(const aslrtp_http *h, const char *resource, char **name, char **qualifier,
                  char **region, aslrt_error *err)
{
    char *rname = NULL, *rqual = NULL;
    int is_arn = split_function(resource, 1, &rname, &rqual, region);
    if (h->name) {
        /* The binding names the function; its own qualifier wins. */
        *name = aslrtp_strdup(h->name);
        *qualifier = h->qualifier ? aslrtp_strdup(h->qualifier) : rqual;
        if (h->qualifier)
            free(rqual);
        free(rname);
        return 1;
    }
    if (!is_arn) {
        char *cause = aslrtp_strdupf("the http binding of resource '%s' has no \"function\" "
                                     "and the resource is not a Lambda function ARN "
                                     "(arn:aws:lambda:REGION:ACCOUNT:function:NAME)", resource);
        aslrt_error_set(err, HANDLER_FAILED, cause);
        free(cause);
        return 0;
    }
    *name = rname;
    *qualifier = rqual;
    return 1;
}

/* The region to sign for: the binding's, AWS_REGION, AWS_DEFAULT_REGION,
 * else the function ARN's.  NULL when none is known or valid. */
static const char *sign_region(const aslrtp_http *h, const char *arn_region)
{
    const char *r = h->region;
    if (!r && env_set("AWS_REGION"))
        r = getenv("AWS_REGION");
    if (!r && env_set("AWS_DEFAULT_REGION"))
        r = getenv("AWS_DEFAULT_REGION");
    if (!r)
        r = arn_region;
    return r && valid_region(r) ? r : NULL;
}

/* A header value must not hold a line break. */
static int header_safe(const char *s)
{
    return strpbrk(s, "\r\n") == NULL;
}

int aslrtp_http_invoke(aslrtp_http *h, const char *resource, json_t *input, double timeout_s,
                       const aslrtp_cancel *cancel, int compact, size_t *raw_len,
                       char **log_tail, char **version, json_t **out, aslrt_error *err)
{
    *out = NULL;
    char *name = NULL, *qualifier = NULL, *arn_region = NULL;
    if (!target(h, resource, &name, &qualifier, &arn_region, err))
        return 0;

    int ok = 0;
    char *url = NULL, *body = NULL, *sigv4 = NULL, *token_hdr = NULL;
    struct curl_slist *headers = NULL;
    response r = { 0 };
    aslrtp_curl_conn *c = NULL;
    char errbuf[CURL_ERROR_SIZE];
    errbuf[0] = '\0';

    const char *key_id = NULL, *secret = NULL, *token = NULL, *region = NULL;
    if (h->sign) {
        key_id = getenv("AWS_ACCESS_KEY_ID");
        secret = getenv("AWS_SECRET_ACCESS_KEY");
        token = getenv("AWS_SESSION_TOKEN");
        region = sign_region(h, arn_region);
        const char *problem = NULL;
        if (!key_id || !*key_id || !secret || !*secret)
            problem = "AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is not set";
        else if (!header_safe(key_id) || !header_safe(secret) || (token && !header_safe(token)))
            problem = "the AWS credentials in the environment hold a line break";
        else if (!region)
            problem = "no region is known (set \"region\" in the binding, or AWS_REGION)";
        if (problem) {
            char *cause = aslrtp_strdupf("cannot sign the request to %s for resource '%s': %s",
                                         h->base, resource, problem);
            aslrt_error_set(err, HANDLER_FAILED, cause);
            free(cause);
            goto done;
        }
    }

    aslrtp_buf u = { 0 };
    aslrtp_buf_addf(&u, "%s/2015-03-31/functions/", h->base);
    add_encoded(&u, name);
    aslrtp_buf_adds(&u, "/invocations");
    if (qualifier) {
        aslrtp_buf_adds(&u, "?Qualifier=");
        add_encoded(&u, qualifier);
    }
    url = aslrtp_buf_finish(&u);
    body = aslrt_json_dumps(input);

    if (!aslrtp_curl_ready() || !(c = aslrtp_curl_take(&h->pool))) {
        const char *why = aslrtp_curl_why();
        char *cause = aslrtp_strdupf("Unable to execute HTTP request: %s (POST %s)",
                                     why ? why : "libcurl could not make a handle", url);
        aslrt_error_set(err, why ? "aslc.MissingLibrary" : CLIENT_ERROR, cause);
        free(cause);
        goto done;
    }
    CURL *e = c->easy;
    curl_easy_reset(e);
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "X-Amz-Invocation-Type: RequestResponse");
    if (log_tail)
        headers = curl_slist_append(headers, "X-Amz-Log-Type: Tail");
    if (h->sign && token && *token) {
        token_hdr = aslrtp_strdupf("X-Amz-Security-Token: %s", token);
        headers = curl_slist_append(headers, token_hdr);
    }
    if (!headers)
        aslrtp_oom(0);
    curl_easy_setopt(e, CURLOPT_URL, url);
    aslrtp_curl_http_only(e);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "aslc/" PACKAGE_VERSION);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    r.body.limit = ASLRTP_DATA_LIMIT;
    aslrtp_curl_collect(e, &r.body);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &r);
    if (timeout_s > 0) {
        double ms = timeout_s * 1000.0 + 0.5;
        long limit = ms > (double)LONG_MAX ? LONG_MAX : ms < 1 ? 1 : (long)ms; /* 0: none */
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, limit);
    }
    if (h->sign) {
        sigv4 = aslrtp_strdupf("aws:amz:%s:lambda", region);
        curl_easy_setopt(e, CURLOPT_AWS_SIGV4, sigv4);
        curl_easy_setopt(e, CURLOPT_USERNAME, key_id);
        curl_easy_setopt(e, CURLOPT_PASSWORD, secret);
    }

    CURLMcode merr;
    int cancelled = 0;
    CURLcode res = aslrtp_curl_perform(c, cancel, &cancelled, &merr);

    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    int fn_error = r.function_error && *r.function_error;

    if (cancelled) {
        aslrt_error_set(err, "aslc.Cancelled", "the task was stopped: its execution, branch or "
                                               "iteration was cancelled");
    } else if (res == CURLE_OPERATION_TIMEDOUT && timeout_s > 0) {
        /* AWS gives States.Timeout without a Cause. */
        aslrt_error_set(err, ASLRTP_ERR_TIMEOUT, NULL);
    } else if (r.body.over && status / 100 == 2 && !fn_error) {
        aslrtp_data_limit_error(err, resource);
    } else if ((res != CURLE_OK && !r.body.over) || merr != CURLM_OK) {
        aslrtp_buf b = { 0 };
        aslrtp_buf_adds(&b, "Unable to execute HTTP request: ");
        if (merr != CURLM_OK)
            aslrtp_buf_adds(&b, curl_multi_strerror(merr));
        else if (errbuf[0])
            aslrtp_text_add(&b, errbuf, strlen(errbuf));
        else
            aslrtp_buf_adds(&b, curl_easy_strerror(res));
        aslrtp_buf_addf(&b, " (POST %s)", url);
        fail_buf(err, CLIENT_ERROR, &b);
    } else if (status / 100 != 2) {
        service_error(&r, status, err);
    } else if (fn_error) {
        function_error(h, &r, resource, compact, err);
    } else {
        size_t n = r.body.buf.len;
        const char *text = aslrtp_text_trim(r.body.buf.data ? r.body.buf.data : "", &n);
        json_error_t je;
        json_t *v = n ? aslrtp_json_loads(text, n, &je) : json_null();
        if (v) {
            *out = v;
            ok = 1;
            if (raw_len)
                *raw_len = r.body.buf.len;
            if (log_tail)
                *log_tail = decode_log(r.log_result);
            if (version && r.version && *r.version)
                *version = aslrtp_strdup(r.version);
        } else {
            aslrtp_buf b = { 0 };
            aslrtp_buf_addf(&b, "the function behind %s for resource '%s' returned a payload "
                            "that is not JSON (%s, at line %d column %d): ",
                            url, resource, je.text, je.line, je.column);
            aslrtp_text_excerpt(&b, text, n, EXCERPT);
            fail_buf(err, "Lambda.Unknown", &b);
        }
    }
    aslrtp_curl_give(&h->pool, c);

done:
    curl_slist_free_all(headers);
    response_free(&r);
    free(token_hdr);
    free(sigv4);
    free(body);
    free(url);
    free(name);
    free(qualifier);
    free(arn_region);
    return ok;
}

#else /* !HAVE_LIBCURL */

/* Never made in this build: the loader refuses every "http" binding. */
struct aslrtp_http {
    int unused;
};

aslrtp_http *aslrtp_http_load(json_t *obj, const char **member, char **why)
{
    const char *url = json_string_value(json_object_get(obj, "http"));
    char *shown = url ? aslrtp_url_redact(url) : NULL;   /* never a password */
    *member = "http";
    *why = aslrtp_strdupf("this build of aslc has no HTTP support (it was configured "
                          "without libcurl), so it cannot call '%s'; rebuild with libcurl "
                          "(libcurl4-openssl-dev) to bind tasks to HTTP endpoints",
                          shown ? shown : "an HTTP endpoint");
    free(shown);
    return NULL;
}

void aslrtp_http_free(aslrtp_http *h)
{
    free(h);
}

int aslrtp_http_invoke(aslrtp_http *h, const char *resource, json_t *input, double timeout_s,
                       const aslrtp_cancel *cancel, int compact, size_t *raw_len,
                       char **log_tail, char **version, json_t **out, aslrt_error *err)
{
    (void)h;
    (void)input;
    (void)timeout_s;
    (void)cancel;
    (void)compact;
    (void)raw_len;
    (void)log_tail;
    (void)version;
    *out = NULL;
    char *cause = aslrtp_strdupf("this build of aslc has no HTTP support, so resource '%s' "
                                 "cannot be called", resource);
    aslrt_error_set(err, "aslc.HandlerFailed", cause);
    free(cause);
    return 0;
}

#endif /* HAVE_LIBCURL */

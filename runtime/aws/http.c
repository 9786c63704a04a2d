/*
 * http.c - one request to an AWS service endpoint: libcurl sends it,
 * signed with Signature Version 4 (CURLOPT_AWS_SIGV4, with the service's
 * signing name and the call's region), bounded by the Task's timeout and
 * stopped by its cancel flag (curl.c), and the answer comes back whole:
 * status, headers and body.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../curl.h"
#include "aws.h"

void aslrtp_aws_response_free(aslrtp_aws_response *r)
{
    free(r->body);
    json_decref(r->headers);
    json_decref(r->header_lists);
    memset(r, 0, sizeof *r);
}

#ifdef HAVE_LIBCURL

/* Idle handles for every service call of the process. */
static aslrtp_curl_pool pool;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void pool_init(void)
{
    aslrtp_curl_pool_init(&pool);
}

typedef struct answer {
    aslrtp_curl_body body;      /* limit: the target's, else twice the payload quota */
    json_t *headers, *lists;
} answer;

/* Every header, by the name as sent; a new status line starts over. */
static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    answer *a = ud;
    size_t len = size * n;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        json_object_clear(a->headers);
        json_object_clear(a->lists);
        return len;
    }
    const char *colon = memchr(data, ':', len);
    if (!colon || colon == data)
        return len;
    aslrtp_buf name = { 0 }, value = { 0 };
    aslrtp_text_add(&name, data, (size_t)(colon - data));
    size_t vlen = len - (size_t)(colon - data) - 1;
    const char *v = aslrtp_text_trim(colon + 1, &vlen);
    aslrtp_text_add(&value, v, vlen);
    char *nm = aslrtp_buf_finish(&name), *val = aslrtp_buf_finish(&value);
    json_object_set_new(a->headers, nm, json_string(val));
    json_t *list = json_object_get(a->lists, nm);
    if (!list) {
        list = json_array();
        json_object_set_new(a->lists, nm, list);
    }
    json_array_append_new(list, json_string(val));
    free(nm);
    free(val);
    return len;
}

/* list with the header line h appended. */
static struct curl_slist *add_header(struct curl_slist *list, const char *h)
{
    struct curl_slist *l = curl_slist_append(list, h);
    if (!l)
        aslrtp_oom(0);
    return l;
}

int aslrtp_aws_http(const aslrtp_aws_service *s, const aslrtp_aws_target *t,
                    const aslrtp_aws_request *req, aslrtp_aws_response *resp, aslrt_error *err)
{
    memset(resp, 0, sizeof *resp);
    pthread_once(&pool_once, pool_init);
    char *url = aslrtp_strdupf("%s%s", t->endpoint, req->path);
    aslrtp_curl_conn *c = aslrtp_curl_ready() ? aslrtp_curl_take(&pool) : NULL;
    if (!c) {
        char *shown = aslrtp_url_redact(url);   /* never a password */
        const char *why = aslrtp_curl_why();
        char *cause = aslrtp_strdupf("Unable to execute HTTP request: %s (%s %s)",
                                     why ? why : "libcurl could not make a handle",
                                     req->method, shown);
        free(shown);
        aslrt_error_set(err, why ? "aslc.MissingLibrary" : "aslc.AwsUnreachable", cause);
        free(cause);
        free(url);
        return 0;
    }
    CURL *e = c->easy;
    struct curl_slist *headers = NULL;
    for (const char *const *h = req->headers; h && *h; h++)
        headers = add_header(headers, *h);
    char *token = t->session_token && *t->session_token
                      ? aslrtp_strdupf("X-Amz-Security-Token: %s", t->session_token)
                      : NULL;
    if (token)
        headers = add_header(headers, token);
    /* No "Expect:" line to turn off libcurl's 100-continue: libcurl would
     * sign the header it never sends, and AWS would refuse the signature. */
    char *sigv4 = aslrtp_strdupf("aws:amz:%s:%s", t->region,
                                 aslrtp_aws_str_at(s->signing_name));
    char errbuf[CURL_ERROR_SIZE];
    errbuf[0] = '\0';
    /* By default twice the payload quota: the caller words what is over it. */
    answer a = { .body.limit = t->body_limit ? t->body_limit : 2 * (size_t)ASLRTP_DATA_LIMIT,
                 .headers = json_object(), .lists = json_object() };

    curl_easy_setopt(e, CURLOPT_URL, url);
    aslrtp_curl_http_only(e);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
    if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        if (strcmp(req->method, "HEAD") == 0)
            curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "aslc/" PACKAGE_VERSION);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    aslrtp_curl_collect(e, &a.body);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &a);
    curl_easy_setopt(e, CURLOPT_AWS_SIGV4, sigv4);
    curl_easy_setopt(e, CURLOPT_USERNAME, t->access_key);
    curl_easy_setopt(e, CURLOPT_PASSWORD, t->secret_key);
    if (req->timeout > 0) {
        double ms = req->timeout * 1000.0 + 0.5;
        long limit = ms > (double)LONG_MAX ? LONG_MAX : ms < 1 ? 1 : (long)ms;
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, limit);
    }
    CURLMcode merr;
    int cancelled = 0;
    CURLcode res = aslrtp_curl_perform(c, req->cancel, &cancelled, &merr);
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    aslrtp_curl_give(&pool, c);

    int ok = 0;
    if (cancelled) {
        aslrt_error_set(err, "aslc.Cancelled", "the task was stopped: its execution, branch or "
                                               "iteration was cancelled");
    } else if (res == CURLE_OPERATION_TIMEDOUT && req->timeout > 0) {
        aslrt_error_set(err, ASLRTP_ERR_TIMEOUT, NULL);
    } else if (a.body.over) {
        aslrt_error_set(err, ASLRTP_ERR_DATA_LIMIT_EXCEEDED,
                        "The state/task returned a result with a size exceeding the maximum "
                        "number of bytes service limit.");
    } else if (res != CURLE_OK || merr != CURLM_OK) {
        char *cause = aslrtp_strdupf("Unable to execute HTTP request: %s (%s %s)",
                                     merr != CURLM_OK ? curl_multi_strerror(merr)
                                     : errbuf[0]      ? errbuf
                                                      : curl_easy_strerror(res),
                                     req->method, url);
        aslrt_error_set(err, "aslc.AwsUnreachable", cause);
        free(cause);
    } else {
        resp->status = status;
        resp->body_len = a.body.buf.len;
        resp->body = aslrtp_buf_finish(&a.body.buf);
        if (!resp->body)
            resp->body = aslrtp_strdup("");
        resp->headers = a.headers;
        resp->header_lists = a.lists;
        a.headers = a.lists = NULL;
        ok = 1;
    }
    free(a.body.buf.data);
    json_decref(a.headers);
    json_decref(a.lists);
    curl_slist_free_all(headers);
    free(token);
    free(sigv4);
    free(url);
    return ok;
}

#else /* !HAVE_LIBCURL */

int aslrtp_aws_http(const aslrtp_aws_service *s, const aslrtp_aws_target *t,
                    const aslrtp_aws_request *req, aslrtp_aws_response *resp, aslrt_error *err)
{
    (void)req;
    memset(resp, 0, sizeof *resp);
    char *cause = aslrtp_strdupf("this build of aslc has no HTTP support (it was configured "
                                 "without libcurl), so it cannot call %s at %s; rebuild with "
                                 "libcurl (libcurl4-openssl-dev)",
                                 aslrtp_aws_str_at(s->service_id), t->endpoint);
    aslrt_error_set(err, "aslc.AwsUnreachable", cause);
    free(cause);
    return 0;
}

#endif /* HAVE_LIBCURL */

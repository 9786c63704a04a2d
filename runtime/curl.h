/*
 * curl.h - the libcurl transfer machinery the HTTP task handler
 * (task_http.c) and the AWS services layer (aws/http.c) share: libcurl's
 * one-time initialization, a pool of idle handles, and a transfer that a
 * cancel flag stops.  Only files that use libcurl include it.
 */
#ifndef ASLRT_CURL_H
#define ASLRT_CURL_H

#include "config.h"

#ifdef HAVE_LIBCURL

#include <pthread.h>

#include "aslrt_private.h"
#include "dynlib.h"   /* libcurl's names, called through its table */


/* A libcurl easy handle with the multi handle that runs it (and keeps
 * its connections alive between calls). */
typedef struct aslrtp_curl_conn {
    CURL *easy;
    CURLM *multi;
} aslrtp_curl_conn;

/* Idle handles kept for reuse, behind a mutex. */
#define ASLRTP_CURL_POOL_MAX 8
typedef struct aslrtp_curl_pool {
    pthread_mutex_t lock;
    aslrtp_curl_conn *idle[ASLRTP_CURL_POOL_MAX];
    size_t n_idle;
} aslrtp_curl_pool;

/* Opens libcurl (dynlib.c) and runs curl_global_init, once per process;
 * whether both succeeded.  Every path into libcurl goes through it. */
int aslrtp_curl_ready(void);
/* Why aslrtp_curl_ready() failed (static text), or NULL. */
const char *aslrtp_curl_why(void);

void aslrtp_curl_pool_init(aslrtp_curl_pool *p);
/* Frees the idle handles. */
void aslrtp_curl_pool_destroy(aslrtp_curl_pool *p);
/* An idle handle (reset), or a new one; NULL if libcurl cannot make one. */
aslrtp_curl_conn *aslrtp_curl_take(aslrtp_curl_pool *p);
/* Gives c back (reset: no pointers into the finished call remain). */
void aslrtp_curl_give(aslrtp_curl_pool *p, aslrtp_curl_conn *c);

/* Runs the transfer configured on c->easy through c->multi in slices, so
 * that a non-zero *cancel stops it within 50 ms (*cancelled is then set;
 * cancel may be NULL).  SIGPIPE raised by the transfer is swallowed in
 * this thread.  Returns libcurl's result; *merr is set when the multi
 * interface itself failed.  It installs its own progress callback. */
CURLcode aslrtp_curl_perform(aslrtp_curl_conn *c, const aslrtp_cancel *cancel, int *cancelled,
                             CURLMcode *merr);

/* A response body collected up to limit bytes; past it the transfer
 * stops (CURLE_WRITE_ERROR) with over set. */
typedef struct aslrtp_curl_body {
    aslrtp_buf buf;
    size_t limit;
    int over;
} aslrtp_curl_body;
/* Makes e write its response body into b. */
void aslrtp_curl_collect(CURL *e, aslrtp_curl_body *b);

/* Restricts c->easy to http and https. */
void aslrtp_curl_http_only(CURL *e);

#endif /* HAVE_LIBCURL */
#endif /* ASLRT_CURL_H */

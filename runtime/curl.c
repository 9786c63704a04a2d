/*
 * curl.c - libcurl's transfers as the runtime runs them (see curl.h):
 * initialized once, handles pooled, every transfer driven through the
 * multi interface in slices of at most 50 ms so that a cancelled call (a
 * failed sibling branch, an aborted execution) stops as fast as a program
 * handler does; the progress callback checks the same flag inside
 * libcurl's own loop.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "curl.h"

#ifdef HAVE_LIBCURL

#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "aslrt_private.h"

/* The longest a call waits inside libcurl before it looks at its cancel
 * flag again. */
#define SLICE_MS 50

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static const char *global_why = "not initialized"; /* written once, under global_once */

static void global_init(void)
{
    if (!aslrtp_curl_load(&global_why))
        return;
    global_why = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK
                     ? NULL : "libcurl could not be initialized (curl_global_init)";
}

int aslrtp_curl_ready(void)
{
    pthread_once(&global_once, global_init);
    return global_why == NULL;
}

const char *aslrtp_curl_why(void)
{
    pthread_once(&global_once, global_init);
    return global_why;
}

void aslrtp_curl_pool_init(aslrtp_curl_pool *p)
{
    p->n_idle = 0;
    pthread_mutex_init(&p->lock, NULL);
}

static void conn_free(aslrtp_curl_conn *c)
{
    if (!c)
        return;
    if (c->multi)
        curl_multi_cleanup(c->multi);
    if (c->easy)
        curl_easy_cleanup(c->easy);
    free(c);
}

void aslrtp_curl_pool_destroy(aslrtp_curl_pool *p)
{
    for (size_t i = 0; i < p->n_idle; i++)
        conn_free(p->idle[i]);
    p->n_idle = 0;
    pthread_mutex_destroy(&p->lock);
}

aslrtp_curl_conn *aslrtp_curl_take(aslrtp_curl_pool *p)
{
    aslrtp_curl_conn *c = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->n_idle)
        c = p->idle[--p->n_idle];
    pthread_mutex_unlock(&p->lock);
    if (c)
        return c;
    c = aslrtp_calloc(1, sizeof *c);
    c->easy = curl_easy_init();
    c->multi = curl_multi_init();
    if (!c->easy || !c->multi) {
        conn_free(c);
        return NULL;
    }
    return c;
}

void aslrtp_curl_give(aslrtp_curl_pool *p, aslrtp_curl_conn *c)
{
    /* No pointers into the finished call remain (error buffer, headers,
     * body and callbacks' data die with it); the multi handle keeps the
     * connection alive.  A transfer cut short has had its connection
     * closed by libcurl, so every handle can go back. */
    curl_easy_reset(c->easy);
    pthread_mutex_lock(&p->lock);
    if (p->n_idle < ASLRTP_CURL_POOL_MAX) {
        p->idle[p->n_idle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    conn_free(c);
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    aslrtp_curl_body *b = ud;
    size_t len = size * n;
    if (b->buf.len + len > b->limit) {
        b->over = 1;
        return 0;               /* stops the transfer: CURLE_WRITE_ERROR */
    }
    aslrtp_buf_add(&b->buf, data, len);
    return len;
}

void aslrtp_curl_collect(CURL *e, aslrtp_curl_body *b)
{
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, b);
}

void aslrtp_curl_http_only(CURL *e)
{
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

typedef struct watch {
    const aslrtp_cancel *cancel;
    int cancelled;
} watch;

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    watch *w = ud;
    if (aslrtp_cancelled(w->cancel)) {
        w->cancelled = 1;
        return 1;               /* CURLE_ABORTED_BY_CALLBACK */
    }
    return 0;
}

static CURLcode run_slices(aslrtp_curl_conn *c, watch *w, CURLMcode *merr)
{
    *merr = CURLM_OK;
    CURLMcode mc = curl_multi_add_handle(c->multi, c->easy);
    if (mc != CURLM_OK) {
        *merr = mc;
        return CURLE_FAILED_INIT;
    }
    CURLcode res = CURLE_FAILED_INIT;
    for (;;) {
        int running = 0;
        mc = curl_multi_perform(c->multi, &running);
        if (mc != CURLM_OK) {
            *merr = mc;
            break;
        }
        int done = 0, left;
        CURLMsg *m;
        while ((m = curl_multi_info_read(c->multi, &left)))
            if (m->msg == CURLMSG_DONE && m->easy_handle == c->easy) {
                res = m->data.result;
                done = 1;
            }
        if (done)
            break;
        if (aslrtp_cancelled(w->cancel)) {
            w->cancelled = 1;
            res = CURLE_ABORTED_BY_CALLBACK;
            break;
        }
        if (!running) {         /* finished without saying how: libcurl's bug */
            *merr = CURLM_INTERNAL_ERROR;
            break;
        }
        mc = curl_multi_poll(c->multi, NULL, 0, w->cancel ? SLICE_MS : 1000, NULL);
        if (mc != CURLM_OK) {
            *merr = mc;
            break;
        }
    }
    curl_multi_remove_handle(c->multi, c->easy);
    return res;
}

CURLcode aslrtp_curl_perform(aslrtp_curl_conn *c, const aslrtp_cancel *cancel, int *cancelled,
                             CURLMcode *merr)
{
    watch w = { cancel, 0 };
    curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c->easy, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c->easy, CURLOPT_XFERINFODATA, &w);
    /* A peer that closes the connection while we write would raise SIGPIPE
     * on some TLS paths: block it in this thread only, and swallow the one
     * the transfer raised (unless one was already pending for someone
     * else), as proc.c does around a program's pipes. */
    sigset_t pipe_set, old_mask, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
    int was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
    CURLcode res = run_slices(c, &w, merr);
    if (!was_pending && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
        struct timespec zero = { 0, 0 };
        sigtimedwait(&pipe_set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    curl_easy_setopt(c->easy, CURLOPT_XFERINFODATA, NULL);
    *cancelled = w.cancelled;
    return res;
}

#endif /* HAVE_LIBCURL */

/*
 * callback.c - the callback pattern (.waitForTaskToken): task tokens, the
 * endpoint a running execution listens on, and the client that the
 * send-task-success / send-task-failure / send-task-heartbeat commands use.
 *
 * AWS hands a callback task a token ($$.Task.Token) and waits until
 * somebody calls SendTaskSuccess, SendTaskFailure or SendTaskHeartbeat with
 * it.  Here the execution is the service: the first callback task that
 * waits makes it listen on a Unix-domain socket in a private directory
 * ($XDG_RUNTIME_DIR/aslc or /tmp/aslc-UID, mode 0700), and a token says how
 * to reach it: base64url("aslc:1:" SECRET ":" SOCKET-PATH), with a random
 * 128-bit secret per task.  So a token needs no other configuration: any
 * process of the same user that holds it can complete the task, from the
 * handler itself or long after it returned.
 *
 * One server per execution (created on first use and shared by its branches
 * and iterations through a slot in the execution) keeps a table of tasks by
 * secret.  A thread accepts connections and answers one request on each:
 * a JSON object in the shape of the SendTask* API (plus "Action"), and
 * {} or {"__type": code, "message": text} back.  It serves every
 * connection at once from one poll loop (non-blocking I/O), so that a
 * client that connects and says nothing, or says it slowly, holds up no
 * other: each gets IO_TIMEOUT_S without progress, and at most MAX_CLIENTS
 * are kept (a new one closes the one idle longest).  Waiting tasks sleep on a
 * condition variable that every outcome and heartbeat wakes.  Closed tasks
 * stay in the table, so that a token used again gets TaskTimedOut as on AWS
 * ("the task associated with the token has already been closed").
 *
 * Activity tasks (doc/behaviour.md §31.3) wait the same way; the worker's
 * pick-up (aslrt_activity_started, the request "ActivityStarted") reaches
 * the waiting task as one more kind of message, which the wait hands to
 * its caller to record ActivityStarted, and then goes on waiting.
 *
 * Time: the waiting task keeps TimeoutSeconds and HeartbeatSeconds on the
 * execution's clock.  They pass `scale` real milliseconds per execution
 * millisecond (1 real, F with --wait=scale:F, 0 with --wait=skip): a timer
 * that would have expired is reported at once under skip, after checking
 * for an outcome that has already arrived.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "aslrt_private.h"

#define SECRET_LEN 16
#define TOKEN_TAG "aslc:1:"
#define NBUCKETS 256
/* Quotas of the SendTask* APIs (AWS API Reference). */
#define MAX_OUTPUT 262144
#define MAX_ERROR 256
#define MAX_CAUSE 32768
#define MAX_TOKEN 2048
#define MAX_WORKER_NAME 80
/* A request is at most the output plus a little. */
#define MAX_REQUEST (6 * MAX_OUTPUT + 8 * MAX_CAUSE + 65536)
/* How long one side waits for the other to send its part. */
#define IO_TIMEOUT_S 10
/* Connections the listener keeps at once (past it the one idle longest is
 * closed). */
#define MAX_CLIENTS 64

enum { TASK_WAITING = 1, TASK_DONE, TASK_CLOSED };

/* An activity task's worker: none expected (a callback task), expected,
 * arrived (not yet handed to the wait), started (handed over). */
enum { WORKER_NONE = 0, WORKER_EXPECTED, WORKER_ARRIVED, WORKER_STARTED };

/* One callback task: open from aslrtp_cb_open until its wait ends. */
struct aslrtp_cb_task {
    aslrtp_cb_server *srv;
    unsigned char secret[SECRET_LEN];
    int state;                /* TASK_* */
    int outcome;              /* once DONE: ASLRTP_CB_SUCCEEDED or ASLRTP_CB_FAILED */
    json_t *output;           /* SendTaskSuccess's output */
    char *error, *cause;      /* SendTaskFailure's (either may be NULL) */
    long long heartbeat_ms;   /* monotonic time of the last heartbeat, 0: none */
    int worker;               /* WORKER_*: an activity's pick-up */
    char *worker_name;        /* once WORKER_ARRIVED: the name (may be NULL) */
    struct aslrtp_cb_task *next; /* in its bucket */
};

struct aslrtp_cb_server {
    pthread_mutex_t mu;       /* guards everything below but path */
    pthread_cond_t cv;        /* broadcast on every outcome and heartbeat */
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* the socket's */
    int listen_fd;            /* -1 until the first task waits */
    int wake[2];              /* a byte in wake[1] stops the thread */
    pthread_t thread;
    aslrtp_cb_task *buckets[NBUCKETS]; /* every task so far, by secret */
};

static void set_error(aslrt_error *err, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(aslrt_error *err, const char *code, const char *fmt, ...)
{
    if (!err)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    aslrt_error_set(err, code, msg);
}

/* ==== Tokens ============================================================ */

static int unhex(const char *s, unsigned char *b, size_t n)
{
    for (size_t i = 0; i < 2 * n; i++) {
        int c = s[i], v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return 0;
        if (i % 2 == 0)
            b[i / 2] = (unsigned char)(v << 4);
        else
            b[i / 2] |= (unsigned char)v;
    }
    return 1;
}

/* Tokens are base64url without padding (RFC 4648 §5). */
#define TOKEN_BASE64 (ASLRTP_B64_URL | ASLRTP_B64_NOPAD)

/* Splits a token into its secret and socket path.  False when it is not
 * one of ours (AWS's InvalidToken). */
static bool token_parse(const char *token, unsigned char *secret, char *path, size_t size)
{
    size_t n = 0;
    if (!token || !*token || strlen(token) > MAX_TOKEN)
        return false;
    char *t = aslrtp_base64_decode(token, strlen(token), TOKEN_BASE64, &n);
    if (!t)
        return false;
    size_t tag = strlen(TOKEN_TAG);
    bool ok = n == strlen(t) && n > tag + 2 * SECRET_LEN + 1 && memcmp(t, TOKEN_TAG, tag) == 0 &&
              unhex(t + tag, secret, SECRET_LEN) && t[tag + 2 * SECRET_LEN] == ':';
    const char *p = ok ? t + tag + 2 * SECRET_LEN + 1 : "";
    /* Only a socket of ours: a token cannot send the client elsewhere. */
    const char *base = strrchr(p, '/');
    ok = ok && p[0] == '/' && strlen(p) < size && base && strncmp(base, "/cb-", 4) == 0 &&
         strlen(base) > 9 && strcmp(base + strlen(base) - 5, ".sock") == 0;
    if (ok)
        strcpy(path, p);
    free(t);
    return ok;
}

/* ==== The server ======================================================== */

static unsigned bucket(const unsigned char *secret)
{
    return secret[0] % NBUCKETS;
}

static aslrtp_cb_task *find(aslrtp_cb_server *srv, const unsigned char *secret)
{
    for (aslrtp_cb_task *t = srv->buckets[bucket(secret)]; t; t = t->next)
        if (memcmp(t->secret, secret, SECRET_LEN) == 0)
            return t;
    return NULL;
}

/* The directory for the sockets: $XDG_RUNTIME_DIR/aslc, else
 * /tmp/aslc-UID.  The caller checks that it is ours (make_dir). */
static void socket_dir(char *buf, size_t size)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (xdg && xdg[0] == '/' && strlen(xdg) + 48 < size)
        snprintf(buf, size, "%s/aslc", xdg);
    else
        snprintf(buf, size, "/tmp/aslc-%u", (unsigned)getuid());
}

static aslrtp_cb_server *server_create(aslrt_error *err)
{
    aslrtp_cb_server *srv = aslrtp_calloc(1, sizeof *srv);
    unsigned char r[8];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        set_error(err, ASLRTP_ERR_RUNTIME, "cannot make a task token: no random numbers (%s)",
                  strerror(errno));
        free(srv);
        return NULL;
    }
    char dir[sizeof srv->path], id[2 * sizeof r + 1];
    aslrtp_hex(r, sizeof r, id);
    socket_dir(dir, sizeof dir);
    /* "/cb-" + 16 + ".sock" must fit the socket address. */
    if (strlen(dir) + 26 > sizeof srv->path)
        snprintf(dir, sizeof dir, "/tmp/aslc-%u", (unsigned)getuid());
    snprintf(srv->path, sizeof srv->path, "%s/cb-%s.sock", dir, id);
    pthread_mutex_init(&srv->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&srv->cv, &ca);
    pthread_condattr_destroy(&ca);
    srv->listen_fd = -1;
    srv->wake[0] = srv->wake[1] = -1;
    return srv;
}

/* Creates dir (mode 0700) unless it exists, and accepts it only when it is
 * a directory of ours that nobody else can enter: a socket in it can then
 * only be reached by us. */
static bool make_dir(const char *dir, aslrt_error *err)
{
    if (mkdir(dir, 0700) == 0) {
        chmod(dir, 0700); /* whatever the umask took away */
    } else if (errno != EEXIST) {
        set_error(err, ASLRTP_ERR_RUNTIME, "cannot create the callback directory '%s': %s", dir,
                  strerror(errno));
        return false;
    }
    struct stat st;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 077) != 0) {
        set_error(err, ASLRTP_ERR_RUNTIME,
                  "the callback directory '%s' is not a private directory of this user "
                  "(it must be a directory with mode 0700)",
                  dir);
        return false;
    }
    return true;
}

/* ---- The listener ------------------------------------------------------- */

/* One connection: the request as it arrives, then the reply as it leaves. */
typedef struct client {
    int fd;
    aslrtp_buf in;            /* the request so far */
    char *reply;              /* once the request has ended: the answer */
    size_t reply_len, sent;
    long long last_ms;        /* monotonic time of its last progress */
} client;

static char *answer(aslrtp_cb_server *srv, const char *text, size_t len, size_t *reply_len);


static void client_drop(client *c)
{
    close(c->fd);
    free(aslrtp_buf_finish(&c->in));
    free(c->reply);
}

/* Moves a connection on as far as it goes without waiting: reads what the
 * peer sent, answers once it has shut its side (or sent too much), writes
 * what the socket takes.  False once it is done with, or broken. */
static bool client_step(aslrtp_cb_server *srv, client *c, long long now)
{
    while (!c->reply) {
        char chunk[16384];
        ssize_t n = read(c->fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        if (n < 0)
            return false;
        c->last_ms = now;
        if (n > 0)
            aslrtp_buf_add(&c->in, chunk, (size_t)n);
        if (n == 0 || c->in.len > MAX_REQUEST) {
            bool too_large = c->in.len > MAX_REQUEST;
            c->reply = answer(srv, too_large ? NULL : c->in.data ? c->in.data : "", c->in.len,
                              &c->reply_len);
            free(aslrtp_buf_finish(&c->in));
            c->in = (aslrtp_buf){0};
        }
    }
    while (c->sent < c->reply_len) {
        ssize_t w = send(c->fd, c->reply + c->sent, c->reply_len - c->sent, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        if (w <= 0)
            return false;
        c->sent += (size_t)w;
        c->last_ms = now;
    }
    return false;             /* answered */
}

/* Takes the connections waiting to be accepted.  Past MAX_CLIENTS the one
 * idle for longest is closed: idle clients cannot lock the others out.
 * False when accepting failed for want of descriptors or memory (the
 * caller waits a little before it tries again). */
static bool accept_all(aslrtp_cb_server *srv, client *cl, int *n, long long now)
{
    for (;;) {
        int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        /* Only this user (or root) may talk to the execution; the
         * directory's mode already says so, this says it again. */
        struct ucred cred;
        socklen_t len = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
            (cred.uid != geteuid() && cred.uid != 0)) {
            close(fd);
            continue;
        }
        if (*n == MAX_CLIENTS) {
            int oldest = 0;
            for (int i = 1; i < *n; i++)
                if (cl[i].last_ms < cl[oldest].last_ms)
                    oldest = i;
            client_drop(&cl[oldest]);
            cl[oldest] = cl[--*n];
        }
        cl[(*n)++] = (client){.fd = fd, .last_ms = now};
    }
}

/* The listener thread: one poll loop over the socket, the wake pipe and
 * every connection (non-blocking), so that a client that is idle or slow
 * delays nobody; one that makes no progress for IO_TIMEOUT_S is closed. */
static void *server_main(void *arg)
{
    aslrtp_cb_server *srv = arg;
    client cl[MAX_CLIENTS];
    struct pollfd fds[MAX_CLIENTS + 2];
    int n = 0;
    long long accept_at = 0;  /* after a failed accept: when to try again */
    for (;;) {
        long long now = aslrtp_mono_ms();
        int wait_ms = -1;
        /* A negative fd is left out of poll(). */
        fds[0] = (struct pollfd){.fd = now < accept_at ? -1 : srv->listen_fd, .events = POLLIN};
        if (now < accept_at)
            wait_ms = (int)(accept_at - now);
        fds[1] = (struct pollfd){.fd = srv->wake[0], .events = POLLIN};
        for (int i = 0; i < n; i++) {
            fds[2 + i] = (struct pollfd){.fd = cl[i].fd, .events = cl[i].reply ? POLLOUT : POLLIN};
            long long left = cl[i].last_ms + IO_TIMEOUT_S * 1000 - now;
            if (left < 0)
                left = 0;
            if (wait_ms < 0 || left < wait_ms)
                wait_ms = (int)left;
        }
        if (poll(fds, (nfds_t)(n + 2), wait_ms) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[1].revents)
            break;
        now = aslrtp_mono_ms();
        /* Backwards, so that the last one can fill a slot that empties. */
        for (int i = n - 1; i >= 0; i--) {
            bool keep = fds[2 + i].revents ? client_step(srv, &cl[i], now)
                                           : now - cl[i].last_ms < IO_TIMEOUT_S * 1000;
            if (!keep) {
                client_drop(&cl[i]);
                cl[i] = cl[--n];
            }
        }
        if (fds[0].revents && !accept_all(srv, cl, &n, now))
            accept_at = now + 100;
    }
    for (int i = 0; i < n; i++)
        client_drop(&cl[i]);
    return NULL;
}

/* Starts listening (with srv->mu held). */
static bool start_listening(aslrtp_cb_server *srv, aslrt_error *err)
{
    char dir[sizeof srv->path];
    strcpy(dir, srv->path);
    *strrchr(dir, '/') = '\0';
    if (!make_dir(dir, err))
        return false;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, srv->path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 64) != 0 ||
        pipe2(srv->wake, O_CLOEXEC) != 0) {
        set_error(err, ASLRTP_ERR_RUNTIME, "cannot listen for task callbacks on '%s': %s",
                  srv->path, strerror(errno));
        if (fd >= 0)
            close(fd);
        unlink(srv->path);
        return false;
    }
    srv->listen_fd = fd;
    /* The thread takes no signals: they stay with the threads that expect
     * them (SIGINT aborting the execution, SIGPIPE blocked by handlers). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = aslrtp_thread_create(&srv->thread, false, server_main, srv);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        set_error(err, ASLRTP_ERR_RUNTIME, "cannot start the callback listener: %s", strerror(rc));
        close(fd);
        close(srv->wake[0]);
        close(srv->wake[1]);
        srv->listen_fd = srv->wake[0] = srv->wake[1] = -1;
        unlink(srv->path);
        return false;
    }
    return true;
}

static void task_free_outcome(aslrtp_cb_task *t)
{
    json_decref(t->output);
    free(t->error);
    free(t->cause);
    free(t->worker_name);
    t->output = NULL;
    t->error = t->cause = t->worker_name = NULL;
}

void aslrtp_cb_server_destroy(aslrtp_cb_server *srv)
{
    if (!srv)
        return;
    if (srv->listen_fd >= 0) {
        char b = 1;
        while (write(srv->wake[1], &b, 1) < 0 && errno == EINTR)
            ;
        pthread_join(srv->thread, NULL);
        close(srv->listen_fd);
        close(srv->wake[0]);
        close(srv->wake[1]);
        unlink(srv->path);
    }
    for (int i = 0; i < NBUCKETS; i++) {
        aslrtp_cb_task *t = srv->buckets[i];
        while (t) {
            aslrtp_cb_task *next = t->next;
            task_free_outcome(t);
            free(t);
            t = next;
        }
    }
    pthread_cond_destroy(&srv->cv);
    pthread_mutex_destroy(&srv->mu);
    free(srv);
}

char *aslrtp_cb_token_create(aslrtp_cb_server **slot, aslrt_error *err)
{
    aslrtp_cb_server *srv = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (!srv) {
        /* Branches and iterations may get here at once: one server wins. */
        aslrtp_cb_server *mine = server_create(err);
        if (!mine)
            return NULL;
        aslrtp_cb_server *expected = NULL;
        if (__atomic_compare_exchange_n(slot, &expected, mine, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            srv = mine;
        } else {
            aslrtp_cb_server_destroy(mine);
            srv = expected;
        }
    }
    unsigned char secret[SECRET_LEN];
    if (getrandom(secret, sizeof secret, 0) != (ssize_t)sizeof secret) {
        set_error(err, ASLRTP_ERR_RUNTIME, "cannot make a task token: no random numbers (%s)",
                  strerror(errno));
        return NULL;
    }
    char h[2 * SECRET_LEN + 1];
    aslrtp_hex(secret, SECRET_LEN, h);
    char *plain = aslrtp_strdupf("%s%s:%s", TOKEN_TAG, h, srv->path);
    char *token = aslrtp_base64_encode(plain, strlen(plain), TOKEN_BASE64, NULL);
    free(plain);
    return token;
}

aslrtp_cb_task *aslrtp_cb_open(aslrtp_cb_server **slot, const char *token, aslrt_error *err)
{
    aslrtp_cb_server *srv = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    unsigned char secret[SECRET_LEN];
    char path[sizeof srv->path];
    if (!srv || !token_parse(token, secret, path, sizeof path) || strcmp(path, srv->path) != 0) {
        set_error(err, ASLRTP_ERR_RUNTIME, "the task token was not made by this execution");
        return NULL;
    }
    pthread_mutex_lock(&srv->mu);
    if (find(srv, secret)) {
        pthread_mutex_unlock(&srv->mu);
        set_error(err, ASLRTP_ERR_RUNTIME, "the task token is already in use");
        return NULL;
    }
    if (srv->listen_fd < 0 && !start_listening(srv, err)) {
        pthread_mutex_unlock(&srv->mu);
        return NULL;
    }
    aslrtp_cb_task *t = aslrtp_calloc(1, sizeof *t);
    t->srv = srv;
    memcpy(t->secret, secret, SECRET_LEN);
    t->state = TASK_WAITING;
    unsigned b = bucket(secret);
    t->next = srv->buckets[b];
    srv->buckets[b] = t;
    pthread_mutex_unlock(&srv->mu);
    return t;
}

void aslrtp_cb_close(aslrtp_cb_task *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->srv->mu);
    t->state = TASK_CLOSED;
    task_free_outcome(t);
    pthread_mutex_unlock(&t->srv->mu);
}

void aslrtp_cb_expect_worker(aslrtp_cb_task *t)
{
    pthread_mutex_lock(&t->srv->mu);
    t->worker = WORKER_EXPECTED;
    pthread_mutex_unlock(&t->srv->mu);
}

/* An absolute CLOCK_MONOTONIC time ms from the epoch of aslrtp_mono_ms(). */
static struct timespec at_ms(long long ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
    return ts;
}

int aslrtp_cb_wait(aslrtp_cb_task *t, const aslrtp_cb_limits *l, json_t **out,
                   aslrt_error *err, double *gained_ms)
{
    aslrtp_cb_server *srv = t->srv;
    double scale = l->scale > 0 ? l->scale : 0;
    int result = 0;
    double timer_ms = 0; /* execution time of the timer that expired */
    pthread_mutex_lock(&srv->mu);
    long long start = aslrtp_mono_ms();
    for (;;) {
        if (t->worker == WORKER_ARRIVED) {
            /* A worker took the activity: the caller records it first,
             * before any outcome that came with it. */
            char *name = t->worker_name;
            t->worker_name = NULL;
            t->worker = WORKER_STARTED;
            pthread_mutex_unlock(&srv->mu);
            if (l->started)
                l->started(l->started_ud, name);
            free(name);
            pthread_mutex_lock(&srv->mu);
            continue;
        }
        if (t->state == TASK_DONE) {
            result = t->outcome;
            break;
        }
        if (aslrtp_cancelled(l->cancel)) {
            result = ASLRTP_CB_ABORTED;
            break;
        }
        /* The earlier of the two timers, in execution time from the start
         * (under skip both expire at once, but in this order). */
        double tv = l->timeout_ms >= 0 ? l->timeout_ms : INFINITY, hv = INFINITY;
        if (l->heartbeat_ms >= 0) {
            /* doc/behaviour.md §21.1: heartbeats count from the invocation's
             * end, and each one starts the interval again. */
            long long last = t->heartbeat_ms > start ? t->heartbeat_ms : start;
            hv = (scale > 0 ? (double)(last - start) / scale : 0) + l->heartbeat_ms;
        }
        int which = hv < tv ? ASLRTP_CB_HEARTBEAT_TIMED_OUT : ASLRTP_CB_TIMED_OUT;
        timer_ms = hv < tv ? hv : tv;
        double until = isinf(timer_ms) ? INFINITY : (double)start + timer_ms * scale;
        long long now = aslrtp_mono_ms();
        if ((double)now >= until) {
            result = which;
            break;
        }
        /* Wake at least every 100 ms to see an abort. */
        long long wake = now + 100;
        if (until < (double)wake)
            wake = (long long)ceil(until);
        struct timespec ts = at_ms(wake);
        pthread_cond_timedwait(&srv->cv, &srv->mu, &ts);
    }
    double real = (double)(aslrtp_mono_ms() - start);
    double virt = scale > 0 ? real / scale : real;
    if (scale == 0 && (result == ASLRTP_CB_TIMED_OUT || result == ASLRTP_CB_HEARTBEAT_TIMED_OUT))
        virt = timer_ms;
    *gained_ms = virt - real;
    if (result == ASLRTP_CB_SUCCEEDED) {
        *out = t->output;
        t->output = NULL;
    } else if (result == ASLRTP_CB_FAILED) {
        aslrt_error_set(err, t->error, t->cause);
    }
    t->state = TASK_CLOSED;
    task_free_outcome(t);
    pthread_mutex_unlock(&srv->mu);
    return result;
}

/* ---- Requests ----------------------------------------------------------- */

/* Reads what the peer sends until it shuts its side (or max bytes). */
static char *read_all_fd(int fd, size_t max, size_t *len)
{
    aslrtp_buf b = {0};
    char chunk[16384];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        aslrtp_buf_add(&b, chunk, (size_t)n);
        if (b.len > max) {
            free(aslrtp_buf_finish(&b));
            return NULL;
        }
    }
    *len = b.len;
    return aslrtp_buf_finish(&b);
}

static void write_all_fd(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static json_t *api_error(const char *code, const char *message)
{
    return json_pack("{s:s,s:s}", "__type", code, "message", message);
}

/* AWS's ValidationException for a member over its length quota. */
static json_t *too_long(const char *member, size_t max)
{
    char *m = aslrtp_strdupf("1 validation error detected: Value at '%s' failed to satisfy "
                             "constraint: Member must have length less than or equal to %zu",
                             member, max);
    json_t *e = api_error("ValidationException", m);
    free(m);
    return e;
}

/* AWS's message for a task that was closed (recorded in public reports). */
static const char *const TIMED_OUT_MESSAGE =
    "Task Timed Out: 'Provided task does not exist anymore'";

/* Handles one parsed request; returns the reply (new). */
static json_t *handle(aslrtp_cb_server *srv, json_t *req)
{
    const char *action = json_string_value(json_object_get(req, "Action"));
    const char *token = json_string_value(json_object_get(req, "taskToken"));
    json_t *jout = json_object_get(req, "output");
    json_t *jerr = json_object_get(req, "error");
    json_t *jcause = json_object_get(req, "cause");
    json_t *jworker = json_object_get(req, "workerName");
    int op = !action                                    ? 0
             : strcmp(action, "SendTaskSuccess") == 0   ? 1
             : strcmp(action, "SendTaskFailure") == 0   ? 2
             : strcmp(action, "SendTaskHeartbeat") == 0 ? 3
             : strcmp(action, "ActivityStarted") == 0   ? 4
                                                        : 0;
    if (!op)
        return api_error("UnknownOperationException", "unknown operation");
    if (!token || !*token)
        return api_error("ValidationException",
                         "1 validation error detected: Value at 'taskToken' failed to satisfy "
                         "constraint: Member must have length greater than or equal to 1");
    if (strlen(token) > MAX_TOKEN)
        return too_long("taskToken", MAX_TOKEN);
    if (op == 1 && !json_is_string(jout))
        return api_error("ValidationException",
                         "1 validation error detected: Value null at 'output' failed to satisfy "
                         "constraint: Member must not be null");
    if (op == 1 && json_string_length(jout) > MAX_OUTPUT)
        return too_long("output", MAX_OUTPUT);
    if (op == 2 && json_is_string(jerr) && json_string_length(jerr) > MAX_ERROR)
        return too_long("error", MAX_ERROR);
    if (op == 2 && json_is_string(jcause) && json_string_length(jcause) > MAX_CAUSE)
        return too_long("cause", MAX_CAUSE);
    /* GetActivityTask's workerName: at most 80 characters (AWS API). */
    if (op == 4 && json_is_string(jworker) && json_string_length(jworker) > MAX_WORKER_NAME)
        return too_long("workerName", MAX_WORKER_NAME);
    unsigned char secret[SECRET_LEN];
    char path[sizeof srv->path];
    if (!token_parse(token, secret, path, sizeof path) || strcmp(path, srv->path) != 0)
        return api_error("InvalidToken", "Invalid Token: 'Invalid token'");
    json_t *output = NULL;
    if (op == 1) {
        json_error_t je;
        output = aslrtp_json_loads(json_string_value(jout), json_string_length(jout), &je);
        if (!output) {
            /* AWS's wording is not on record: the parser's reason. */
            char *m = aslrtp_strdupf("Invalid Output: '%s'", je.text);
            json_t *e = api_error("InvalidOutput", m);
            free(m);
            return e;
        }
    }
    json_t *reply = NULL;
    pthread_mutex_lock(&srv->mu);
    aslrtp_cb_task *t = find(srv, secret);
    if (!t) {
        /* A token of this execution for a task that never started (the
         * message is ours: AWS's is not on record). */
        reply = api_error("TaskDoesNotExist",
                          "Task Does Not Exist: 'Provided task does not exist'");
    } else if (t->state != TASK_WAITING) {
        reply = api_error("TaskTimedOut", TIMED_OUT_MESSAGE);
    } else if (op == 3) {
        t->heartbeat_ms = aslrtp_mono_ms();
    } else if (op == 4 && t->worker != WORKER_EXPECTED) {
        reply = api_error("TaskDoesNotExist", "Task Does Not Exist: 'Provided task is not an "
                                              "activity task waiting for a worker'");
    } else if (op == 4) {
        /* doc/behaviour.md §31.3: the pick-up starts the heartbeat
         * interval again, as a heartbeat does. */
        t->worker = WORKER_ARRIVED;
        t->worker_name = json_is_string(jworker) ? aslrtp_strdup(json_string_value(jworker)) : NULL;
        t->heartbeat_ms = aslrtp_mono_ms();
    } else {
        t->state = TASK_DONE;
        t->outcome = op == 1 ? ASLRTP_CB_SUCCEEDED : ASLRTP_CB_FAILED;
        t->output = output;
        output = NULL;
        t->error = json_is_string(jerr) ? aslrtp_strdup(json_string_value(jerr)) : NULL;
        t->cause = json_is_string(jcause) ? aslrtp_strdup(json_string_value(jcause)) : NULL;
    }
    if (!reply)
        pthread_cond_broadcast(&srv->cv);
    pthread_mutex_unlock(&srv->mu);
    json_decref(output);
    return reply ? reply : json_object();
}

/* The reply to one request (text, or NULL when it was too large): a new
 * string of *reply_len bytes. */
static char *answer(aslrtp_cb_server *srv, const char *text, size_t len, size_t *reply_len)
{
    json_t *reply;
    json_error_t je;
    json_t *req = text ? json_loadb(text, len, 0, &je) : NULL;
    if (!text)
        reply = api_error("ValidationException", "the request is too large");
    else if (!json_is_object(req))
        reply = api_error("SerializationException", "the request is not a JSON object");
    else
        reply = handle(srv, req);
    json_decref(req);
    char *r = json_dumps(reply, JSON_COMPACT);
    json_decref(reply);
    if (!r)
        aslrtp_oom(0);
    *reply_len = strlen(r);
    return r;
}

/* ==== The client ======================================================== */

/* Sends one request to the execution the token names. */
static int request(const char *action, const char *token, json_t *req /* steals */,
                   aslrt_error *err)
{
    unsigned char secret[SECRET_LEN];
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    if (!token || !*token) {
        json_decref(req);
        set_error(err, "ValidationException",
                  "1 validation error detected: Value at 'taskToken' failed to satisfy "
                  "constraint: Member must have length greater than or equal to 1");
        return 0;
    }
    if (!token_parse(token, secret, path, sizeof path)) {
        json_decref(req);
        set_error(err, "InvalidToken", "Invalid Token: 'Invalid token'");
        return 0;
    }
    json_object_set_new(req, "Action", json_string(action));
    json_object_set_new(req, "taskToken", json_string(token));
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!text)
        aslrtp_oom(0);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, path);
    int rc = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&sa, sizeof sa);
    if (rc != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        free(text);
        /* The execution has ended (its socket is gone): to AWS, a task
         * that no longer exists. */
        if (e == ENOENT || e == ECONNREFUSED)
            set_error(err, "TaskTimedOut", "%s", TIMED_OUT_MESSAGE);
        else
            set_error(err, "aslc.CallbackUnreachable", "cannot reach the execution at '%s': %s",
                      path, strerror(e));
        return 0;
    }
    struct timeval tv = {IO_TIMEOUT_S, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    write_all_fd(fd, text, strlen(text));
    shutdown(fd, SHUT_WR);
    free(text);
    size_t len = 0;
    char *answer = read_all_fd(fd, 1 << 20, &len);
    close(fd);
    json_error_t je;
    json_t *reply = answer ? json_loadb(answer, len, 0, &je) : NULL;
    free(answer);
    if (!json_is_object(reply)) {
        json_decref(reply);
        set_error(err, "aslc.CallbackUnreachable",
                  "the execution at '%s' gave no answer (it may have ended)", path);
        return 0;
    }
    const char *code = json_string_value(json_object_get(reply, "__type"));
    if (code) {
        const char *msg = json_string_value(json_object_get(reply, "message"));
        aslrt_error_set(err, code, msg ? msg : "");
        json_decref(reply);
        return 0;
    }
    json_decref(reply);
    return 1;
}

int aslrt_send_task_success(const char *task_token, const char *output, aslrt_error *err)
{
    json_t *req = json_object();
    if (output)
        json_object_set_new(req, "output", json_string(output));
    if (output && !json_object_get(req, "output")) {
        json_decref(req);
        set_error(err, "InvalidOutput", "Invalid Output: 'the output is not UTF-8 text'");
        return 0;
    }
    return request("SendTaskSuccess", task_token, req, err);
}

int aslrt_send_task_failure(const char *task_token, const char *error, const char *cause,
                            aslrt_error *err)
{
    json_t *req = json_object();
    if (error)
        json_object_set_new(req, "error", json_string(error));
    if (cause)
        json_object_set_new(req, "cause", json_string(cause));
    if ((error && !json_object_get(req, "error")) || (cause && !json_object_get(req, "cause"))) {
        json_decref(req);
        set_error(err, "ValidationException", "the error and the cause must be UTF-8 text");
        return 0;
    }
    return request("SendTaskFailure", task_token, req, err);
}

int aslrt_send_task_heartbeat(const char *task_token, aslrt_error *err)
{
    return request("SendTaskHeartbeat", task_token, json_object(), err);
}

int aslrt_activity_started(const char *task_token, const char *worker_name, aslrt_error *err)
{
    json_t *req = json_object();
    if (worker_name)
        json_object_set_new(req, "workerName", json_string(worker_name));
    if (worker_name && !json_object_get(req, "workerName")) {
        json_decref(req);
        set_error(err, "ValidationException", "the worker name must be UTF-8 text");
        return 0;
    }
    return request("ActivityStarted", task_token, req, err);
}

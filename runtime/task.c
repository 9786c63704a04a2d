/*
 * task.c - task handlers: the table that binds Task resources to local code,
 * and the one way every handler is called.
 *
 * Model.  A binding table is an ordered list of (pattern, handler); the
 * first pattern that matches a resource wins.  A pattern is an exact ARN or
 * a glob where '*' matches any run of characters (':' and '/' included) and
 * '?' one character; nothing else is special, so an ARN never needs quoting.
 * A handler is one of:
 *
 *  - a C function, called directly in the calling thread;
 *  - a local program, run once per call like an AWS Lambda invocation: the
 *    event goes to its stdin as JSON, the result comes back on stdout.
 *    Exit 0 is success; a non-zero exit with a Lambda error object on
 *    stdout ({"errorType", "errorMessage", ...}) is a function error; any
 *    other failure is an unhandled one (Lambda.Unknown);
 *  - a Python file's handler(event, context), which is a program handler
 *    too: the adapter aslc-python-handler imports the file and speaks the
 *    program protocol above, as the Lambda Python runtime would;
 *  - either of the last two as a persistent worker ("worker": true): one
 *    process serves many calls, a JSON line each way (task_worker.c);
 *  - a function behind an HTTP endpoint of the AWS Lambda Invoke API
 *    ({"http": URL}), AWS itself or a local one, called and signed with
 *    libcurl (task_http.c).
 *
 * The table is immutable once built (a worker binding's process pools
 * have their own lock), and a call keeps all of its state on its own
 * stack, so Map iterations and Parallel branches may call handlers from
 * several threads at once.  Every descriptor is opened close-on-exec so
 * that concurrent spawns never leak one call's pipes into another's child
 * (which would hold them open and hang the other call).
 *
 * A program runs in its own process group.  When it exits, or its
 * TimeoutSeconds runs out, the whole group is killed: a Lambda sandbox is
 * frozen once the handler returns, and nothing a task started may outlive
 * it here either (a background child holding stdout open would otherwise
 * keep the call waiting for EOF).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* pipe2, posix_spawn_file_actions_addchdir_np */
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aslrt_private.h"

extern char **environ;

#ifndef ASLC_PKGDATADIR
#define ASLC_PKGDATADIR "/usr/local/share/aslc"
#endif

/* Step Functions' payload quota: a task result above it fails the state
 * with States.DataLimitExceeded (ASL-REFERENCE §17.1, §23). */
#define DATA_LIMIT 262144
/* How much of a program's stdout a Cause quotes (stderr: ASLRTP_STDERR_TAIL). */
#define STDOUT_EXCERPT 512

#define BINDINGS_ERROR "aslc.BindingsError"
#define HANDLER_FAILED "aslc.HandlerFailed"

enum { KIND_C = 1, KIND_PROGRAM, KIND_PYTHON, KIND_HTTP, KIND_WORKER };

typedef struct binding {
    char *pattern;
    int kind;
    aslrt_handler_fn fn;        /* KIND_C */
    void *ud;
    /* KIND_PROGRAM: the NULL-terminated argv.  KIND_PYTHON: interpreter,
     * adapter, Python file, handler name (the call adds its options). */
    char **argv;
    char *cwd;                  /* NULL: the caller's working directory */
    aslrtp_http *http;          /* KIND_HTTP (task_http.c) */
    aslrtp_worker *worker;      /* KIND_WORKER (task_worker.c); argv and cwd as loaded */
} binding;

struct aslrt_bindings {
    binding *v;
    size_t n, cap;
};

/* ==== The table ========================================================= */

aslrt_bindings *aslrt_bindings_create(void)
{
    aslrt_bindings *b = calloc(1, sizeof *b);
    if (!b) {
        fputs("aslrt: out of memory\n", stderr);
        abort();
    }
    return b;
}

static void free_argv(char **argv)
{
    if (!argv)
        return;
    for (char **a = argv; *a; a++)
        free(*a);
    free(argv);
}

static void binding_free(binding *h)
{
    free(h->pattern);
    free_argv(h->argv);
    free(h->cwd);
    aslrtp_http_free(h->http);
    aslrtp_worker_destroy(h->worker);
}

void aslrt_bindings_destroy(aslrt_bindings *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        binding_free(&b->v[i]);
    free(b->v);
    free(b);
}

/* Appends h (taking its strings) to b. */
static void push(aslrt_bindings *b, const binding *h)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 8;
        binding *v = realloc(b->v, cap * sizeof *v);
        if (!v) {
            fputs("aslrt: out of memory\n", stderr);
            abort();
        }
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = *h;
}

static char **copy_argv(const char *const *argv)
{
    size_t n = 0;
    while (argv[n])
        n++;
    char **v = calloc(n + 1, sizeof *v);
    if (!v) {
        fputs("aslrt: out of memory\n", stderr);
        abort();
    }
    for (size_t i = 0; i < n; i++)
        v[i] = aslrtp_strdup(argv[i]);
    return v;
}

int aslrt_bindings_add_c(aslrt_bindings *b, const char *pattern,
                         aslrt_handler_fn fn, void *ud)
{
    if (!b || !pattern || !fn)
        return 0;
    binding h = { .pattern = aslrtp_strdup(pattern), .kind = KIND_C,
                  .fn = fn, .ud = ud };
    push(b, &h);
    return 1;
}

int aslrt_bindings_add_program(aslrt_bindings *b, const char *pattern,
                               const char *const *argv, const char *cwd)
{
    if (!b || !pattern || !argv || !argv[0] || !argv[0][0])
        return 0;
    binding h = { .pattern = aslrtp_strdup(pattern), .kind = KIND_PROGRAM,
                  .argv = copy_argv(argv),
                  .cwd = cwd ? aslrtp_strdup(cwd) : NULL };
    push(b, &h);
    return 1;
}

/* Byte length of the UTF-8 character that starts with c (1 for a stray
 * byte), so that '?' matches one character of a non-ASCII name. */
static size_t utf8_len(unsigned char c)
{
    if (c >= 0xF0 && c <= 0xF4)
        return 4;
    if (c >= 0xE0)
        return c <= 0xEF ? 3 : 1;
    if (c >= 0xC2)
        return 2;
    return 1;
}

/* Glob match with '*' and '?' only.  Greedy with one backtrack point: on a
 * mismatch the last '*' absorbs one more character, which is enough for
 * patterns without character classes and keeps the match linear in
 * practice. */
static int glob_match(const char *p, const char *s)
{
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p == '?') {
            size_t n = utf8_len((unsigned char)*s);
            while (n > 1 && s[1] && ((unsigned char)s[1] & 0xC0) == 0x80) {
                s++;
                n--;
            }
            s++;
            p++;
        } else if (*p == *s) {
            p++;
            s++;
        } else if (star) {
            p = star + 1;
            s = ++resume;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

static const binding *lookup(const aslrt_bindings *b, const char *resource)
{
    if (!b)
        return NULL;
    for (size_t i = 0; i < b->n; i++)
        if (glob_match(b->v[i].pattern, resource))
            return &b->v[i];
    return NULL;
}

/* ==== Text for causes ==================================================== */

/* Appends s[0..n) as valid UTF-8: a Cause ends up inside JSON, and jansson
 * refuses a string that is not UTF-8.  Bad bytes and NULs become U+FFFD. */
void aslrtp_text_add(aslrtp_buf *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : utf8_len(c);
        int ok = c != 0 && (c < 0x80 || len > 1) && i + len <= n;
        for (size_t j = 1; ok && j < len; j++)
            ok = ((unsigned char)s[i + j] & 0xC0) == 0x80;
        if (ok && len >= 3) {
            unsigned char d = (unsigned char)s[i + 1];
            /* overlong forms, surrogates, beyond U+10FFFF */
            if ((c == 0xE0 && d < 0xA0) || (c == 0xED && d >= 0xA0) ||
                (c == 0xF0 && d < 0x90) || (c == 0xF4 && d >= 0x90))
                ok = 0;
        }
        if (!ok) {
            aslrtp_buf_adds(b, "\xEF\xBF\xBD");
            i++;
            continue;
        }
        aslrtp_buf_add(b, s + i, len);
        i += len;
    }
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Trims s[0..*n) of surrounding whitespace; returns the new start. */
const char *aslrtp_text_trim(const char *s, size_t *n)
{
    size_t len = *n;
    while (len && is_space(*s)) {
        s++;
        len--;
    }
    while (len && is_space(s[len - 1]))
        len--;
    *n = len;
    return s;
}

/* Appends at most max bytes of s[0..n), cut at a character boundary, with
 * "..." when something was left out. */
void aslrtp_text_excerpt(aslrtp_buf *b, const char *s, size_t n, size_t max)
{
    if (n <= max) {
        aslrtp_text_add(b, s, n);
        return;
    }
    size_t k = max;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    aslrtp_text_add(b, s, k);
    aslrtp_buf_adds(b, "...");
}

/* Sets err to (name, the text of b), made valid UTF-8 on the way: paths,
 * jansson's messages and a program's output may hold any bytes.  Resets b. */
void aslrtp_fail_with(aslrt_error *err, const char *name, aslrtp_buf *b)
{
    aslrtp_buf clean = { 0 };
    aslrtp_text_add(&clean, b->data ? b->data : "", b->len);
    char *cause = aslrtp_buf_finish(&clean);
    aslrt_error_set(err, name, cause);
    free(cause);
    free(aslrtp_buf_finish(b));
}

void aslrtp_tail_keep(aslrtp_buf *tail, int *cut, const char *s, size_t n)
{
    if (n >= ASLRTP_STDERR_TAIL) {
        *cut |= tail->len > 0 || n > ASLRTP_STDERR_TAIL;
        tail->len = 0;
        aslrtp_buf_add(tail, s + n - ASLRTP_STDERR_TAIL, ASLRTP_STDERR_TAIL);
        return;
    }
    aslrtp_buf_add(tail, s, n);
    if (tail->len > 2 * ASLRTP_STDERR_TAIL) {
        memmove(tail->data, tail->data + tail->len - ASLRTP_STDERR_TAIL, ASLRTP_STDERR_TAIL);
        tail->len = ASLRTP_STDERR_TAIL;
        tail->data[tail->len] = '\0';
        *cut = 1;
    }
}

void aslrtp_tail_add(aslrtp_buf *b, const aslrtp_buf *tail, int cut)
{
    size_t n = tail->len;
    const char *s = tail->data ? tail->data : "";
    if (n > ASLRTP_STDERR_TAIL) {
        s += n - ASLRTP_STDERR_TAIL;
        n = ASLRTP_STDERR_TAIL;
        cut = 1;
    }
    s = aslrtp_text_trim(s, &n);
    if (!n)
        return;
    aslrtp_buf_adds(b, "\nstderr: ");
    if (cut) {
        /* the tail may begin inside a character */
        while (n && ((unsigned char)*s & 0xC0) == 0x80) {
            s++;
            n--;
        }
        aslrtp_buf_adds(b, "...");
    }
    aslrtp_text_add(b, s, n);
}

/* strerror is not thread-safe; strerror_r (GNU flavour here) is. */
const char *aslrtp_errstr(int e, char *buf, size_t size)
{
    return strerror_r(e, buf, size);
}

/* Go's names for signals: Lambda reports a runtime that died as
 * "Runtime exited with error: signal: segmentation fault", which is Go's
 * os/exec wording (the Lambda service is written in Go). */
const char *aslrtp_signal_name(int sig, char *buf, size_t size)
{
    switch (sig) {
    case SIGHUP: return "hangup";
    case SIGINT: return "interrupt";
    case SIGQUIT: return "quit";
    case SIGILL: return "illegal instruction";
    case SIGTRAP: return "trace/breakpoint trap";
    case SIGABRT: return "aborted";
    case SIGBUS: return "bus error";
    case SIGFPE: return "floating point exception";
    case SIGKILL: return "killed";
    case SIGUSR1: return "user defined signal 1";
    case SIGSEGV: return "segmentation fault";
    case SIGUSR2: return "user defined signal 2";
    case SIGPIPE: return "broken pipe";
    case SIGALRM: return "alarm clock";
    case SIGTERM: return "terminated";
    case SIGXCPU: return "CPU time limit exceeded";
    case SIGXFSZ: return "file size limit exceeded";
    default:
        snprintf(buf, size, "signal %d", sig);
        return buf;
    }
}

/* How a handler is named in causes: the program, or the Python file and
 * its function. */
static void add_handler_name(aslrtp_buf *b, const binding *h)
{
    if (h->kind == KIND_PYTHON)
        aslrtp_buf_addf(b, "Python handler '%s' in '%s'", h->argv[3], h->argv[2]);
    else
        aslrtp_buf_addf(b, "program '%s'", h->argv[0]);
}

/* ==== Running a program ================================================= */

/* What one run of a program gave. */
typedef struct outcome {
    int status;                 /* waitpid status */
    int timed_out;
    int cancelled;              /* stopped because *cancel became non-zero */
    aslrtp_buf out;             /* stdout: the first DATA_LIMIT + 1 bytes */
    size_t out_total;           /* every byte written to stdout */
    aslrtp_buf err;             /* stderr: its tail (aslrtp_tail_keep) */
    int err_cut;                /* stderr began before what err holds */
} outcome;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Moves fd above 2, so that the child's dup2 onto 0, 1 and 2 cannot
 * overwrite another pipe end when our own standard streams are closed. */
int aslrtp_fd_move_high(int fd)
{
    if (fd > 2)
        return fd;
    int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int e = errno;
    close(fd);
    errno = e;
    return nfd;
}

int aslrtp_pipe(int p[2])
{
    if (pipe2(p, O_CLOEXEC) != 0) {
        p[0] = p[1] = -1;
        return -1;
    }
    p[0] = aslrtp_fd_move_high(p[0]);
    p[1] = aslrtp_fd_move_high(p[1]);
    if (p[0] < 0 || p[1] < 0) {
        int e = errno;
        if (p[0] >= 0)
            close(p[0]);
        if (p[1] >= 0)
            close(p[1]);
        p[0] = p[1] = -1;
        errno = e;
        return -1;
    }
    return 0;
}

void aslrtp_fd_close(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

void aslrtp_fd_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Keeps the first DATA_LIMIT + 1 bytes of stdout: enough to know that a
 * result is over the quota, without holding a runaway program's output. */
static void keep_stdout(outcome *o, const char *s, size_t n)
{
    o->out_total += n;
    if (o->out.len <= DATA_LIMIT) {
        size_t room = DATA_LIMIT + 1 - o->out.len;
        aslrtp_buf_add(&o->out, s, n < room ? n : room);
    }
}

/* Passes stderr through to ours (it is the handler's log, as CloudWatch
 * would show it) and keeps its tail for the Cause of a crash. */
static void keep_stderr(outcome *o, const char *s, size_t n)
{
    for (size_t off = 0; off < n;) {
        ssize_t w = write(STDERR_FILENO, s + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    aslrtp_tail_keep(&o->err, &o->err_cut, s, n);
}

/* Reads what fd has.  Returns 0 at EOF or on an error (the caller closes
 * fd), 1 otherwise.  With drain set, reads until the pipe is empty. */
static int pump(int fd, outcome *o, int is_stdout, int drain)
{
    char chunk[65536];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r > 0) {
            if (is_stdout)
                keep_stdout(o, chunk, (size_t)r);
            else
                keep_stderr(o, chunk, (size_t)r);
            if (!drain)
                return 1;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 1;
        return 0;
    }
}

/* Without a pidfd: has the child exited?  WNOWAIT leaves it a zombie, which
 * keeps its pid, and so its process group id, from being reused before we
 * have killed the group. */
static int child_exited(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
        return errno == ECHILD;
    return si.si_pid == pid;
}

/* Feeds in[0..in_len) to the child, collects stdout and stderr, and waits
 * for it, all under one deadline.  Consumes the three descriptors. */
static void exchange(pid_t pid, int in_fd, int out_fd, int err_fd,
                     const char *in, size_t in_len, double timeout_s,
                     const volatile int *cancel, outcome *o)
{
    long long deadline = -1;
    if (timeout_s > 0)
        deadline = now_ms() + (long long)(timeout_s * 1000.0 + 0.5);

    /* A pidfd becomes readable when the child exits, so poll() wakes for
     * that too.  Kernels before 5.3 lack it: then poll in short slices. */
    int pidfd = -1;
#ifdef SYS_pidfd_open
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif

    aslrtp_fd_nonblock(in_fd);
    aslrtp_fd_nonblock(out_fd);
    aslrtp_fd_nonblock(err_fd);

    /* A child that exits without reading all of its input makes our write
     * fail with EPIPE and raise SIGPIPE, which would kill the whole
     * workflow.  Block it in this thread only, and swallow the one our
     * writes raise (unless one was already pending for someone else). */
    sigset_t pipe_set, old_mask, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
    int was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
    int broke_pipe = 0;

    size_t in_off = 0;
    if (in_len == 0)
        aslrtp_fd_close(&in_fd);

    int exited = 0;
    for (;;) {
        struct pollfd fds[4];
        int nfds = 0, i_in = -1, i_out = -1, i_err = -1, i_pid = -1;
        if (in_fd >= 0) {
            i_in = nfds;
            fds[nfds++] = (struct pollfd){ .fd = in_fd, .events = POLLOUT };
        }
        if (out_fd >= 0) {
            i_out = nfds;
            fds[nfds++] = (struct pollfd){ .fd = out_fd, .events = POLLIN };
        }
        if (err_fd >= 0) {
            i_err = nfds;
            fds[nfds++] = (struct pollfd){ .fd = err_fd, .events = POLLIN };
        }
        if (pidfd >= 0) {
            i_pid = nfds;
            fds[nfds++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
        }

        int wait_ms = -1;
        if (pidfd < 0)
            wait_ms = (out_fd < 0 && err_fd < 0) ? 2 : 50;
        /* A sibling branch failed, or the execution is aborted: stop the
         * handler (and its group, below) within 50 ms. */
        if (cancel) {
            if (aslrtp_flag(cancel)) {
                o->cancelled = 1;
                break;
            }
            if (wait_ms < 0 || wait_ms > 50)
                wait_ms = 50;
        }
        if (deadline >= 0) {
            long long left = deadline - now_ms();
            if (left <= 0) {
                o->timed_out = 1;
                break;
            }
            if (wait_ms < 0 || left < wait_ms)
                wait_ms = (int)(left < INT_MAX ? left : INT_MAX);
        }

        int k = poll(fds, (nfds_t)nfds, wait_ms);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            break;              /* cannot wait: kill it below */
        }

        if (i_in >= 0 && fds[i_in].revents) {
            size_t n = in_len - in_off;
            ssize_t w = write(in_fd, in + in_off, n < 65536 ? n : 65536);
            if (w > 0) {
                in_off += (size_t)w;
            } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                       errno != EINTR) {
                /* The child closed its stdin: it wants no more input. */
                broke_pipe |= errno == EPIPE;
                in_off = in_len;
            }
            if (in_off == in_len)
                aslrtp_fd_close(&in_fd);
        }
        if (i_out >= 0 && fds[i_out].revents && !pump(out_fd, o, 1, 0))
            aslrtp_fd_close(&out_fd);
        if (i_err >= 0 && fds[i_err].revents && !pump(err_fd, o, 0, 0))
            aslrtp_fd_close(&err_fd);

        if (pidfd >= 0 ? (i_pid >= 0 && fds[i_pid].revents != 0)
                       : child_exited(pid)) {
            exited = 1;
            break;
        }
    }

    /* Kill what is left of the group first: the child is at most a zombie
     * now (its pid, so the group id, is still ours), and once the
     * stragglers are dead nothing else writes to the pipes, so draining
     * them ends. */
    kill(-pid, SIGKILL);
    if (!exited)
        kill(pid, SIGKILL);     /* in case it left its process group */
    else {
        if (out_fd >= 0)
            pump(out_fd, o, 1, 1);
        if (err_fd >= 0)
            pump(err_fd, o, 0, 1);
    }
    while (waitpid(pid, &o->status, 0) < 0 && errno == EINTR)
        ;

    aslrtp_fd_close(&in_fd);
    aslrtp_fd_close(&out_fd);
    aslrtp_fd_close(&err_fd);
    aslrtp_fd_close(&pidfd);

    if (broke_pipe && !was_pending) {
        struct timespec zero = { 0, 0 };
        sigtimedwait(&pipe_set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
}

/* Starts argv (in cwd, when given) in its own process group with pipes on
 * its stdin, stdout and stderr: fds receives our ends of them, in that
 * order.  Returns 0, or an errno value when it could not be started. */
int aslrtp_spawn(char *const *argv, const char *cwd, pid_t *pid, int fds[3])
{
    int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
    if (aslrtp_pipe(pin) || aslrtp_pipe(pout) || aslrtp_pipe(perr)) {
        int e = errno ? errno : EMFILE;
        aslrtp_fd_close(&pin[0]);
        aslrtp_fd_close(&pin[1]);
        aslrtp_fd_close(&pout[0]);
        aslrtp_fd_close(&pout[1]);
        aslrtp_fd_close(&perr[0]);
        aslrtp_fd_close(&perr[1]);
        return e;
    }

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pin[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, pout[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, perr[1], STDERR_FILENO);
    if (cwd)
        posix_spawn_file_actions_addchdir_np(&fa, cwd);

    /* Own process group (so a timeout kills the program's children too),
     * no blocked signals, and SIGPIPE/SIGCHLD at their defaults whatever
     * the embedding program did with them. */
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    sigset_t none, dfl;
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    sigaddset(&dfl, SIGCHLD);
    sigaddset(&dfl, SIGXFSZ);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dfl);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                  POSIX_SPAWN_SETSIGDEF);

    *pid = -1;
    int rc = posix_spawnp(pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    aslrtp_fd_close(&pin[0]);
    aslrtp_fd_close(&pout[1]);
    aslrtp_fd_close(&perr[1]);
    if (rc != 0) {
        aslrtp_fd_close(&pin[1]);
        aslrtp_fd_close(&pout[0]);
        aslrtp_fd_close(&perr[0]);
        return rc;
    }
    fds[0] = pin[1];
    fds[1] = pout[0];
    fds[2] = perr[0];
    return 0;
}

/* Runs argv with in on its stdin.  Returns 0, or an errno value when the
 * program could not be started. */
static int run_program(char *const *argv, const char *cwd, const char *in,
                       size_t in_len, double timeout_s, const volatile int *cancel,
                       outcome *o)
{
    pid_t pid;
    int fds[3];
    int rc = aslrtp_spawn(argv, cwd, &pid, fds);
    if (rc != 0)
        return rc;
    exchange(pid, fds[0], fds[1], fds[2], in, in_len, timeout_s, cancel, o);
    return 0;
}

/* ==== From a run to a result or an error =============================== */

/* Is v a Lambda error object, as the runtimes print one? */
static int lambda_error_object(json_t *v)
{
    return json_is_object(v) && (json_object_get(v, "errorType") ||
                                 json_object_get(v, "errorMessage"));
}

/* The optimized integration re-serializes the function's error through
 * Step Functions' own (Jackson) writer; a plain function ARN passes the
 * Lambda runtime's text through unchanged.  Both are recorded on AWS:
 * `{"errorMessage": "...", ...}` for arn:aws:lambda:...:function:F and
 * `{"errorMessage":"...",...}` for arn:aws:states:::lambda:invoke. */
static int reserializes_errors(const char *resource)
{
    static const char prefix[] = "arn:aws:states:::lambda:invoke";
    return strncmp(resource, prefix, sizeof prefix - 1) == 0;
}

static int map_outcome(const binding *h, const char *resource, int compact, outcome *o,
                       json_t **out, aslrt_error *err)
{
    char sbuf[32];

    if (o->timed_out) {
        /* AWS gives States.Timeout without a Cause. */
        aslrt_error_set(err, "States.Timeout", NULL);
        return 0;
    }

    size_t n = o->out.len;
    const char *text = aslrtp_text_trim(o->out.data ? o->out.data : "", &n);
    int complete = o->out_total == o->out.len;

    if (WIFEXITED(o->status) && WEXITSTATUS(o->status) == 0) {
        if (o->out_total > DATA_LIMIT) {
            char *cause = aslrtp_strdupf(
                "The state/task '%s' returned a result with a size exceeding "
                "the maximum number of bytes service limit.", resource);
            aslrt_error_set(err, "States.DataLimitExceeded", cause);
            free(cause);
            return 0;
        }
        if (n == 0) {
            *out = json_null();     /* a handler that returns nothing */
            return 1;
        }
        json_error_t je;
        json_t *v = aslrtp_json_loads(text, n, &je);
        if (v) {
            *out = v;
            return 1;
        }
        aslrtp_buf b = { 0 };
        add_handler_name(&b, h);
        aslrtp_buf_addf(&b, " for resource '%s' printed output that is not JSON "
                        "(%s, at line %d column %d): ",
                        resource, je.text, je.line, je.column);
        aslrtp_text_excerpt(&b, text, n, STDOUT_EXCERPT);
        aslrtp_fail_with(err, "Lambda.Unknown", &b);
        return 0;
    }

    /* A function error: Error is its errorType, Cause its text. */
    json_t *v = n && complete ? aslrtp_json_loads(text, n, NULL) : NULL;
    if (lambda_error_object(v)) {
        json_t *type = json_object_get(v, "errorType");
        const char *name = json_is_string(type) && json_string_length(type) > 0
            ? json_string_value(type) : "Lambda.Unknown";
        aslrtp_buf b = { 0 };
        if (compact || reserializes_errors(resource))
            aslrtp_buf_add_json(&b, v);
        else
            aslrtp_buf_add(&b, text, n);
        aslrtp_fail_with(err, name, &b);
        json_decref(v);
        return 0;
    }
    json_decref(v);

    /* Unhandled: the program died or failed without saying why.  Lambda
     * reports its runtime's death as "Runtime exited with error: ...", and
     * Step Functions reports unhandled Lambda failures as Lambda.Unknown. */
    aslrtp_buf b = { 0 };
    aslrtp_buf_adds(&b, "Runtime exited with error: ");
    if (WIFSIGNALED(o->status)) {
        aslrtp_buf_addf(&b, "signal: %s",
                        aslrtp_signal_name(WTERMSIG(o->status), sbuf, sizeof sbuf));
#ifdef WCOREDUMP
        if (WCOREDUMP(o->status))
            aslrtp_buf_adds(&b, " (core dumped)");
#endif
    } else {
        aslrtp_buf_addf(&b, "exit status %d", WEXITSTATUS(o->status));
    }
    aslrtp_buf_adds(&b, " (");
    add_handler_name(&b, h);
    aslrtp_buf_addf(&b, " for resource '%s')", resource);
    aslrtp_tail_add(&b, &o->err, o->err_cut);
    if (n) {
        aslrtp_buf_adds(&b, "\nstdout: ");
        aslrtp_text_excerpt(&b, text, n, STDOUT_EXCERPT);
    }
    aslrtp_fail_with(err, "Lambda.Unknown", &b);
    return 0;
}

static int invoke_program(const binding *h, const char *resource, json_t *input,
                          double timeout_s, const volatile int *cancel, int compact,
                          size_t *raw_len, char **log_tail, json_t **out, aslrt_error *err)
{
    char **argv = h->argv;
    char *pyargv[10];
    char tbuf[32];
    if (h->kind == KIND_PYTHON) {
        /* interpreter adapter [options] -- file handler: the adapter gives
         * the context object the invoked ARN and the time left. */
        int k = 0;
        pyargv[k++] = h->argv[0];
        pyargv[k++] = h->argv[1];
        pyargv[k++] = (char *)"--resource";
        pyargv[k++] = (char *)resource;
        if (timeout_s > 0) {
            snprintf(tbuf, sizeof tbuf, "%.3f", timeout_s);
            pyargv[k++] = (char *)"--timeout";
            pyargv[k++] = tbuf;
        }
        pyargv[k++] = (char *)"--";
        pyargv[k++] = h->argv[2];
        pyargv[k++] = h->argv[3];
        pyargv[k] = NULL;
        argv = pyargv;
    }

    char *in = aslrt_json_dumps(input);
    outcome o;
    memset(&o, 0, sizeof o);
    int rc = run_program(argv, h->cwd, in, strlen(in), timeout_s, cancel, &o);
    free(in);
    int ok;
    if (rc == 0 && o.cancelled) {
        aslrt_error_set(err, "aslc.Cancelled", "the task was stopped: its execution, branch or "
                                               "iteration was cancelled");
        ok = 0;
    } else if (rc != 0) {
        char ebuf[128];
        aslrtp_buf b = { 0 };
        aslrtp_buf_adds(&b, "cannot run ");
        add_handler_name(&b, h);
        aslrtp_buf_addf(&b, " for resource '%s': %s", resource,
                        aslrtp_errstr(rc, ebuf, sizeof ebuf));
        if (h->kind == KIND_PYTHON)
            aslrtp_buf_addf(&b, " (interpreter '%s')", argv[0]);
        aslrtp_fail_with(err, HANDLER_FAILED, &b);
        ok = 0;
    } else {
        ok = map_outcome(h, resource, compact, &o, out, err);
        if (raw_len)
            *raw_len = o.out_total;
        if (log_tail) {
            /* The end of what the handler logged (its stderr), at most 4 KB
             * as Lambda's LogResult holds. */
            size_t n = o.err.len, keep = n > 4096 ? 4096 : n;
            aslrtp_buf b = {0};
            aslrtp_buf_add(&b, o.err.data ? o.err.data + (n - keep) : "", keep);
            *log_tail = aslrtp_buf_finish(&b);
        }
    }
    free(o.out.data);
    free(o.err.data);
    return ok;
}

static int invoke_c(const binding *h, const char *resource, json_t *input,
                    json_t **out, aslrt_error *err)
{
    json_t *res = NULL;
    aslrt_error e = { 0 };
    if (!h->fn(h->ud, input, &res, &e)) {
        json_decref(res);
        if (!e.error && !e.cause) {
            char *cause = aslrtp_strdupf("the C handler bound to resource '%s' "
                                         "failed without giving an error", resource);
            aslrt_error_set(&e, HANDLER_FAILED, cause);
            free(cause);
        }
        aslrt_error_clear(err);
        *err = e;
        return 0;
    }
    aslrt_error_clear(&e);
    *out = res ? res : json_null();
    return 1;
}

int aslrtp_task_invoke(const aslrt_bindings *b, const char *resource,
                       json_t *input, double timeout_s, const volatile int *cancel,
                       json_t **out, aslrt_error *err)
{
    return aslrtp_task_invoke_lambda(b, resource, input, timeout_s, cancel, 0, NULL, NULL, NULL,
                                     out, err);
}

int aslrtp_task_invoke_lambda(const aslrt_bindings *b, const char *resource, json_t *input,
                              double timeout_s, const volatile int *cancel, int compact,
                              size_t *raw_len, char **log_tail, char **version, json_t **out,
                              aslrt_error *err)
{
    *out = NULL;
    const binding *h = lookup(b, resource);
    if (!h) {
        char *cause = aslrtp_strdupf("no handler is bound to resource '%s' "
                                     "(see --bindings)", resource);
        aslrt_error_set(err, "aslc.UnboundResource", cause);
        free(cause);
        return 0;
    }
    if (h->kind == KIND_C) {
        int ok = invoke_c(h, resource, input, out, err);
        if (ok && raw_len) {
            char *t = aslrt_json_dumps(*out);
            *raw_len = strlen(t);
            free(t);
        }
        return ok;
    }
    if (h->kind == KIND_WORKER)
        return aslrtp_worker_invoke(h->worker, resource, input, timeout_s, cancel, compact,
                                    raw_len, log_tail, out, err);
    if (h->kind == KIND_HTTP)
        return aslrtp_http_invoke(h->http, resource, input, timeout_s, cancel, compact, raw_len,
                                  log_tail, version, out, err);
    return invoke_program(h, resource, input, timeout_s, cancel, compact, raw_len, log_tail, out,
                          err);
}

/* ==== The bindings file ================================================= */

/* A load in progress: where messages point and what has been built. */
typedef struct loader {
    const char *path;           /* the file, as the caller named it */
    char *dir;                  /* its directory, absolute */
    aslrt_error *err;
    binding *v;
    size_t n, cap;
} loader;

/* Appends "/" and key escaped as a JSON pointer token (RFC 6901). */
static void add_pointer_token(aslrtp_buf *b, const char *key)
{
    aslrtp_buf_adds(b, "/");
    for (const char *k = key; *k; k++) {
        if (*k == '~')
            aslrtp_buf_adds(b, "~0");
        else if (*k == '/')
            aslrtp_buf_adds(b, "~1");
        else
            aslrtp_buf_add(b, k, 1);
    }
}

/* Fails the load: "FILE: POINTER: message".  member may be NULL (the
 * binding itself) and index >= 0 names an array element under member. */
static int load_fail(loader *ld, const char *key, const char *member, int index,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int load_fail(loader *ld, const char *key, const char *member, int index,
                     const char *fmt, ...)
{
    aslrtp_buf b = { 0 };
    aslrtp_buf_addf(&b, "%s: ", ld->path);
    if (key) {
        add_pointer_token(&b, key);
        if (member)
            add_pointer_token(&b, member);
        if (index >= 0)
            aslrtp_buf_addf(&b, "/%d", index);
        aslrtp_buf_adds(&b, ": ");
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        char *text = malloc((size_t)n + 1);
        if (!text) {
            fputs("aslrt: out of memory\n", stderr);
            abort();
        }
        va_start(ap, fmt);
        vsnprintf(text, (size_t)n + 1, fmt, ap);
        va_end(ap);
        aslrtp_buf_add(&b, text, (size_t)n);
        free(text);
    }
    aslrtp_fail_with(ld->err, BINDINGS_ERROR, &b);
    return 0;
}

/* p made absolute against dir (no symlinks resolved: a virtualenv's python
 * must keep its own path). */
static char *resolve(const char *dir, const char *p)
{
    if (p[0] == '/')
        return aslrtp_strdup(p);
    while (p[0] == '.' && p[1] == '/')
        p += 2;                 /* "./x" reads better in messages as dir/x */
    return aslrtp_strdupf("%s/%s", dir, p);
}

/* The directory of path, absolute. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    if (!slash)
        dir = aslrtp_strdup(".");
    else if (slash == path)
        dir = aslrtp_strdup("/");
    else {
        dir = aslrtp_strdup(path);
        dir[slash - path] = '\0';
    }
    char *abs = realpath(dir, NULL);
    free(dir);
    return abs;
}

/* An executable given with a '/' must exist now; a bare name is looked up
 * in PATH at call time, as execvp does. */
static int check_executable(loader *ld, const char *key, const char *member,
                            int index, const char *file)
{
    char ebuf[128];
    struct stat st;
    if (stat(file, &st) != 0)
        return load_fail(ld, key, member, index, "cannot use '%s': %s", file,
                         aslrtp_errstr(errno, ebuf, sizeof ebuf));
    if (!S_ISREG(st.st_mode))
        return load_fail(ld, key, member, index, "'%s' is not a regular file", file);
    if (access(file, X_OK) != 0)
        return load_fail(ld, key, member, index, "cannot execute '%s': %s", file,
                         aslrtp_errstr(errno, ebuf, sizeof ebuf));
    return 1;
}

/* A non-empty string member, or NULL (with the error set when present but
 * wrong). */
static const char *string_member(loader *ld, const char *key, json_t *obj,
                                 const char *member, int *bad)
{
    json_t *m = json_object_get(obj, member);
    if (!m)
        return NULL;
    if (!json_is_string(m) || json_string_length(m) == 0 ||
        strlen(json_string_value(m)) != json_string_length(m)) {
        *bad = 1;
        load_fail(ld, key, member, -1, "expected a non-empty string");
        return NULL;
    }
    return json_string_value(m);
}

/* Rejects members that the kind does not have: a typo must not be silently
 * ignored. */
static int check_members(loader *ld, const char *key, json_t *obj,
                         const char *const *allowed, const char *kind)
{
    const char *m;
    json_t *val;
    json_object_foreach(obj, m, val) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            ok |= strcmp(m, *a) == 0;
        if (!ok) {
            aslrtp_buf list = { 0 };
            for (const char *const *a = allowed; *a; a++)
                aslrtp_buf_addf(&list, "%s\"%s\"", a == allowed ? "" : ", ", *a);
            char *l = aslrtp_buf_finish(&list);
            load_fail(ld, key, m, -1, "unknown member \"%s\" of a %s binding "
                      "(expected %s)", m, kind, l);
            free(l);
            return 0;
        }
    }
    (void)val;
    return 1;
}

static void loader_push(loader *ld, const binding *h)
{
    if (ld->n == ld->cap) {
        size_t cap = ld->cap ? 2 * ld->cap : 8;
        binding *v = realloc(ld->v, cap * sizeof *v);
        if (!v) {
            fputs("aslrt: out of memory\n", stderr);
            abort();
        }
        ld->v = v;
        ld->cap = cap;
    }
    ld->v[ld->n++] = *h;
}

static int load_python(loader *ld, const char *key, json_t *obj)
{
    static const char *const allowed[] = { "python", "handler", "interpreter", NULL };
    if (!check_members(ld, key, obj, allowed, "python"))
        return 0;
    int bad = 0;
    const char *file = string_member(ld, key, obj, "python", &bad);
    if (!file)
        return bad ? 0 : load_fail(ld, key, "python", -1, "expected a non-empty string");
    const char *handler = string_member(ld, key, obj, "handler", &bad);
    if (bad)
        return 0;
    const char *interp = string_member(ld, key, obj, "interpreter", &bad);
    if (bad)
        return 0;

    char ebuf[128];
    char *pyfile = resolve(ld->dir, file);
    struct stat st;
    int found = stat(pyfile, &st) == 0;
    if (!found || !S_ISREG(st.st_mode)) {
        load_fail(ld, key, "python", -1, "cannot use Python file '%s': %s", pyfile,
                  found ? "not a regular file" : aslrtp_errstr(errno, ebuf, sizeof ebuf));
        free(pyfile);
        return 0;
    }

    char *interpreter;
    if (interp) {
        interpreter = strchr(interp, '/') ? resolve(ld->dir, interp) : aslrtp_strdup(interp);
        if (strchr(interpreter, '/') &&
            !check_executable(ld, key, "interpreter", -1, interpreter)) {
            free(pyfile);
            free(interpreter);
            return 0;
        }
    } else {
        /* ASLC_PYTHON is the user's choice of interpreter; relative to the
         * working directory, as any command-line path. */
        const char *env = getenv("ASLC_PYTHON");
        interpreter = aslrtp_strdup(env && *env ? env : "python3");
        if (interpreter[0] != '/' && strchr(interpreter, '/')) {
            char *cwd = getcwd(NULL, 0);
            if (cwd) {
                char *abs = resolve(cwd, interpreter);
                free(interpreter);
                interpreter = abs;
                free(cwd);
            }
        }
    }

    const char *env = getenv("ASLC_PYTHON_HANDLER");
    const char *adapter_path = env && *env ? env : ASLC_PKGDATADIR "/aslc-python-handler";
    char *adapter = realpath(adapter_path, NULL);
    if (!adapter) {
        load_fail(ld, key, "python", -1, "the Python adapter '%s' is missing: %s "
                  "(set ASLC_PYTHON_HANDLER to its path)", adapter_path,
                  aslrtp_errstr(errno, ebuf, sizeof ebuf));
        free(pyfile);
        free(interpreter);
        return 0;
    }

    /* Lambda runs a handler in the directory of its code (/var/task), so
     * files shipped beside it open by relative name. */
    char *cwd = aslrtp_strdup(pyfile);
    *strrchr(cwd, '/') = '\0';
    if (!*cwd) {
        free(cwd);
        cwd = aslrtp_strdup("/");
    }

    binding h = { .pattern = aslrtp_strdup(key), .kind = KIND_PYTHON, .cwd = cwd };
    h.argv = calloc(5, sizeof *h.argv);
    if (!h.argv) {
        fputs("aslrt: out of memory\n", stderr);
        abort();
    }
    h.argv[0] = interpreter;
    h.argv[1] = adapter;
    h.argv[2] = pyfile;
    h.argv[3] = aslrtp_strdup(handler ? handler : "lambda_handler");
    loader_push(ld, &h);
    return 1;
}

static int load_program(loader *ld, const char *key, json_t *obj)
{
    static const char *const allowed[] = { "program", "cwd", NULL };
    if (!check_members(ld, key, obj, allowed, "program"))
        return 0;
    json_t *prog = json_object_get(obj, "program");
    size_t argc = json_is_array(prog) ? json_array_size(prog) : 1;
    if (!json_is_array(prog) && !json_is_string(prog))
        return load_fail(ld, key, "program", -1,
                         "expected an array of strings (program and arguments) "
                         "or a string");
    if (argc == 0)
        return load_fail(ld, key, "program", -1, "the program is missing "
                         "(an empty array)");

    char **argv = calloc(argc + 1, sizeof *argv);
    if (!argv) {
        fputs("aslrt: out of memory\n", stderr);
        abort();
    }
    for (size_t i = 0; i < argc; i++) {
        json_t *a = json_is_array(prog) ? json_array_get(prog, i) : prog;
        int index = json_is_array(prog) ? (int)i : -1;
        if (!json_is_string(a) ||
            strlen(json_string_value(a)) != json_string_length(a) ||
            (i == 0 && json_string_length(a) == 0)) {
            free_argv(argv);
            return load_fail(ld, key, "program", index, i == 0
                             ? "expected a non-empty string (the program)"
                             : "expected a string");
        }
        const char *s = json_string_value(a);
        argv[i] = i == 0 && strchr(s, '/') ? resolve(ld->dir, s) : aslrtp_strdup(s);
    }
    if (strchr(argv[0], '/') &&
        !check_executable(ld, key, "program", json_is_array(prog) ? 0 : -1, argv[0])) {
        free_argv(argv);
        return 0;
    }

    char *cwd = NULL;
    int bad = 0;
    const char *c = string_member(ld, key, obj, "cwd", &bad);
    if (bad) {
        free_argv(argv);
        return 0;
    }
    if (c) {
        char ebuf[128];
        struct stat st;
        cwd = resolve(ld->dir, c);
        int found = stat(cwd, &st) == 0;
        if (!found || !S_ISDIR(st.st_mode)) {
            load_fail(ld, key, "cwd", -1, "cannot use directory '%s': %s", cwd,
                      found ? "not a directory" : aslrtp_errstr(errno, ebuf, sizeof ebuf));
            free(cwd);
            free_argv(argv);
            return 0;
        }
    }

    binding h = { .pattern = aslrtp_strdup(key), .kind = KIND_PROGRAM,
                  .argv = argv, .cwd = cwd };
    loader_push(ld, &h);
    return 1;
}

/* "worker": true on a python or program binding: the same handler as a
 * persistent worker process (task_worker.c). */
static int load_worker(loader *ld, const char *key, json_t *obj, int py)
{
    json_t *w = json_object_get(obj, "worker");
    if (!json_is_boolean(w))
        return load_fail(ld, key, "worker", -1, "expected true or false");
    json_t *rest = json_copy(obj);      /* the kind's own members */
    json_object_del(rest, "worker");
    int ok = py ? load_python(ld, key, rest) : load_program(ld, key, rest);
    json_decref(rest);
    if (!ok)
        return 0;
    binding *h = &ld->v[ld->n - 1];
    if (json_is_true(w)) {
        h->worker = aslrtp_worker_create((const char *const *)h->argv, h->cwd, py);
        h->kind = KIND_WORKER;
    }
    return 1;
}

/* An "http" binding: task_http.c checks its members. */
static int load_http(loader *ld, const char *key, json_t *obj)
{
    const char *member = NULL;
    char *why = NULL;
    aslrtp_http *http = aslrtp_http_load(obj, &member, &why);
    if (!http) {
        load_fail(ld, key, member, -1, "%s", why ? why : "bad http binding");
        free(why);
        return 0;
    }
    binding h = { .pattern = aslrtp_strdup(key), .kind = KIND_HTTP, .http = http };
    loader_push(ld, &h);
    return 1;
}

static int load_entry(loader *ld, const char *key, json_t *val)
{
    if (!json_is_object(val))
        return load_fail(ld, key, NULL, -1, "expected an object such as "
                         "{\"program\": [\"./prog\"]} or {\"python\": \"handler.py\"}");
    if (strlen(key) == 0)
        return load_fail(ld, key, NULL, -1, "the resource pattern is empty");
    int py = json_object_get(val, "python") != NULL;
    int prog = json_object_get(val, "program") != NULL;
    if (py && prog)
        return load_fail(ld, key, NULL, -1, "a binding has \"python\" or "
                         "\"program\", not both");
    if ((py || prog) && json_object_get(val, "worker"))
        return load_worker(ld, key, val, py);
    if (py)
        return load_python(ld, key, val);
    if (prog)
        return load_program(ld, key, val);
    if (json_object_get(val, "http"))
        return load_http(ld, key, val);
    /* The first member is where the kind should be: name it, it is most
     * likely a misspelt kind. */
    void *it = json_object_iter(val);
    if (!it)
        return load_fail(ld, key, NULL, -1, "no handler kind "
                         "(expected \"python\", \"program\" or \"http\")");
    return load_fail(ld, key, NULL, -1, "unknown handler kind \"%s\" "
                     "(expected \"python\", \"program\" or \"http\")",
                     json_object_iter_key(it));
}

int aslrt_bindings_load_file(aslrt_bindings *b, const char *path, aslrt_error *err)
{
    aslrt_error local = { 0 };
    loader ld = { .path = path, .err = err ? err : &local };
    if (!b || !path) {
        aslrt_error_set(ld.err, BINDINGS_ERROR, "no bindings table or file given");
        return 0;
    }

    json_error_t je;
    /* Duplicate keys would make the priority order ambiguous. */
    json_t *doc = json_load_file(path, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        char *msg = je.line > 0
            ? aslrtp_strdupf("%s:%d:%d: %s", path, je.line, je.column, je.text)
            : aslrtp_strdupf("%s: %s", path, je.text);
        aslrt_error_set(ld.err, BINDINGS_ERROR, msg);
        free(msg);
        aslrt_error_clear(&local);
        return 0;
    }

    int ok = 1;
    if (!json_is_object(doc)) {
        ok = load_fail(&ld, NULL, NULL, -1, "a bindings file is a JSON object "
                       "mapping resource patterns to handlers");
    } else {
        char ebuf[128];
        ld.dir = dir_of(path);
        if (!ld.dir)
            ok = load_fail(&ld, NULL, NULL, -1, "cannot resolve its directory: %s",
                           aslrtp_errstr(errno, ebuf, sizeof ebuf));
        const char *key;
        json_t *val;
        json_object_foreach(doc, key, val) {
            if (!ok || !load_entry(&ld, key, val)) {
                ok = 0;
                break;
            }
        }
    }

    /* All or nothing: a half-loaded file would bind some tasks silently. */
    for (size_t i = 0; i < ld.n; i++) {
        if (ok)
            push(b, &ld.v[i]);
        else
            binding_free(&ld.v[i]);
    }
    free(ld.v);
    free(ld.dir);
    json_decref(doc);
    aslrt_error_clear(&local);
    return ok;
}

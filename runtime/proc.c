/*
 * proc.c - handler processes: starting them, talking to them through
 * their pipes under a deadline, stopping them and reaping them.
 *
 * Model.  A handler process (aslrtp_proc) runs in its own process group,
 * with pipes on its stdin, stdout and stderr whose ends on our side are
 * close-on-exec (so that concurrent spawns never leak one call's pipes into
 * another's child, which would hold them open and hang the other call),
 * moved above the standard three and non-blocking.  A pidfd, where the
 * kernel has pidfd_open (5.3), makes the process's exit one more event of
 * poll(); without it the loop looks for the exit every 50 ms.  Every
 * handler is forked by one long-lived thread (the spawner) and gets
 * PR_SET_PDEATHSIG, so that it dies with the workflow process even when
 * that is killed with SIGKILL.
 *
 * Every exchange with a process goes through one poll loop,
 * aslrtp_proc_talk: it writes the request to stdin, hands what arrives on
 * stdout and stderr to the caller as it comes, and stops when the caller
 * has what it waits for (a worker's response line), the process exits, the
 * deadline passes, or the cancel flag (a failed sibling branch, an abort)
 * is set; SIGPIPE from a process that stops reading is blocked in the
 * calling thread and swallowed.  A per-call program (aslrtp_proc_run)
 * then has what is left of its group killed (a Lambda sandbox is frozen
 * once the handler returns: nothing a task started may outlive it, and a
 * background child holding stdout open would otherwise keep the call
 * waiting for EOF), its last output drained and the process reaped; a
 * persistent worker (task_worker.c) stays for the next call.
 *
 * Readiness.  A process may be started with one more pipe, its fd 3 (the
 * ready pipe): it writes a byte there, or closes it, once its
 * initialisation is over (the Python adapter, when it has imported the
 * handler's module).  The poll loop watches it, and a talk given ready_ms
 * moves its deadline to that moment plus ready_ms: the call's time limit
 * then counts from the end of Lambda's Init phase, as doc/behaviour.md §37
 * explains.
 *
 * This is a library of its own: it knows nothing of Tasks, JSON or Causes,
 * and calls only text.c (a handler's stderr tail).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* pipe2, vfork */
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aslrt_private.h"

/* Reads after a process's end: enough for a pipe's buffer, bounded so that
 * a process of the group that writes without end cannot hold the caller. */
#define DRAIN_READS 64

long long aslrtp_proc_deadline(double timeout_s)
{
    if (timeout_s <= 0)
        return -1;
    return aslrtp_mono_ms() + (long long)(timeout_s * 1000.0 + 0.5);
}

void aslrtp_talk_limit(aslrtp_talk *t, double timeout_s, int init)
{
    t->deadline = aslrtp_proc_deadline(timeout_s);
    t->ready_ms = 0;
    if (init && t->deadline >= 0) {
        t->deadline += ASLRTP_INIT_LIMIT_MS;
        t->ready_ms = (long long)(timeout_s * 1000.0 + 0.5);
    }
}

/* ==== Descriptors ======================================================= */

/* Moves fd above 2, so that the child's dup2 onto 0, 1 and 2 cannot
 * overwrite another pipe end when our own standard streams are closed. */
static int fd_move_high(int fd)
{
    if (fd > 2)
        return fd;
    int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int e = errno;
    close(fd);
    errno = e;
    return nfd;
}

/* A close-on-exec pipe with both ends above 2; -1 (and errno) on failure. */
static int make_pipe(int p[2])
{
    if (pipe2(p, O_CLOEXEC) != 0) {
        p[0] = p[1] = -1;
        return -1;
    }
    p[0] = fd_move_high(p[0]);
    p[1] = fd_move_high(p[1]);
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

static void fd_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* ==== Starting, stopping, reaping ======================================= */

/* ---- The spawner thread ------------------------------------------------ */

/* Handlers must not outlive the workflow, even when it is killed with
 * SIGKILL and can clean nothing up: each is started with a parent-death
 * signal (PR_SET_PDEATHSIG, SIGKILL).  The kernel sends it when the
 * *thread* that forked the handler ends, not the process; Map iterations
 * run on threads that end with their fan-out, and a worker process started
 * by one serves the iterations of later fan-outs.  So every handler is
 * forked by one thread that lives as long as the process: the spawner,
 * started on first use, which takes requests from a queue.  Only the
 * direct child gets the signal (the setting is not inherited): what a
 * handler starts itself dies with the process group when the workflow
 * stops it, but not when the workflow is killed with SIGKILL. */

typedef struct spawn_req {
    char *const *argv;
    const char *cwd;
    int fds[4];                 /* become the child's stdin, stdout, stderr
                                   and (fds[3] >= 0) its fd 3, the ready pipe */
    pid_t parent;               /* our pid, taken before the fork */
    pid_t pid;                  /* out: the child */
    int err;                    /* out: an errno value, 0 once it runs argv */
    int done;
    struct spawn_req *next;
} spawn_req;

static pthread_mutex_t spawn_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t spawn_ready = PTHREAD_COND_INITIALIZER; /* a request is queued */
static pthread_cond_t spawn_done = PTHREAD_COND_INITIALIZER;  /* a request is answered */
static spawn_req *spawn_queue;
static pid_t spawner_of;        /* the process whose spawner runs; 0: none yet */

/* In the child of vfork(): it shares our memory, so it only makes system
 * calls and writes r->err before it ends. */
static void __attribute__((noreturn)) child(spawn_req *r)
{
    /* The classic race: if we died between the fork and prctl, the signal
     * will never come; the parent pid says so. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != r->parent)
        _exit(127);
    /* Own process group, so that a stop or timeout kills the program's
     * children too. */
    if (setpgid(0, 0) != 0 || dup2(r->fds[0], STDIN_FILENO) < 0 ||
        dup2(r->fds[1], STDOUT_FILENO) < 0 || dup2(r->fds[2], STDERR_FILENO) < 0 ||
        (r->fds[3] >= 0 && (r->fds[3] == 3 ? fcntl(3, F_SETFD, 0) : dup2(r->fds[3], 3)) < 0) ||
        (r->cwd && chdir(r->cwd) != 0)) {
        r->err = errno ? errno : EINVAL;
        _exit(127);
    }
    /* Every signal at its default but those ignored by whoever started us
     * (as a shell leaves them), except SIGPIPE, SIGCHLD and SIGXFSZ, which
     * the program gets at their defaults whatever we do with them; then
     * none blocked (the spawner blocks all).  Handlers go first: ours would
     * run in this copy of our memory. */
    struct sigaction dfl, old;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP || sigaction(s, NULL, &old) != 0)
            continue;
        if (old.sa_handler != SIG_DFL &&
            (old.sa_handler != SIG_IGN || s == SIGPIPE || s == SIGCHLD || s == SIGXFSZ))
            sigaction(s, &dfl, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execvp(r->argv[0], r->argv);
    r->err = errno ? errno : ENOEXEC;
    _exit(127);
}

/* Forks and runs r (in the spawner).  vfork: the copy of our memory costs
 * nothing, and we resume once the child runs argv or has failed to. */
static int fork_one(spawn_req *r)
{
    r->err = 0;
    pid_t pid = vfork();
    if (pid == 0)
        child(r);
    if (pid < 0)
        return errno;
    if (r->err) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        return r->err;
    }
    r->pid = pid;
    return 0;
}

static void *spawner_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&spawn_mu);
    for (;;) {
        while (!spawn_queue)
            pthread_cond_wait(&spawn_ready, &spawn_mu);
        spawn_req *r = spawn_queue;
        spawn_queue = r->next;
        pthread_mutex_unlock(&spawn_mu);
        int err = fork_one(r);
        pthread_mutex_lock(&spawn_mu);
        r->err = err;
        r->done = 1;
        pthread_cond_broadcast(&spawn_done);
    }
    return NULL;
}

/* Has the spawner fork and start r; returns 0 or an errno value. */
static int spawn_request(spawn_req *r)
{
    pthread_mutex_lock(&spawn_mu);
    pid_t me = getpid();
    if (spawner_of != me) {
        /* The first start in this process (a fork of ours has no spawner
         * thread, and no requests of its own). */
        spawn_queue = NULL;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&at, 512 * 1024);
        /* It takes no signals: they stay with the threads that expect
         * them, and the child starts with all of them blocked. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        pthread_t th;
        int rc = pthread_create(&th, &at, spawner_main, NULL);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&at);
        if (rc != 0) {
            pthread_mutex_unlock(&spawn_mu);
            return rc;
        }
        spawner_of = me;
    }
    r->parent = me;
    r->done = 0;
    r->next = spawn_queue;
    spawn_queue = r;
    pthread_cond_signal(&spawn_ready);
    while (!r->done)
        pthread_cond_wait(&spawn_done, &spawn_mu);
    pthread_mutex_unlock(&spawn_mu);
    return r->err;
}

/* ---- Starting one, stopping it, reaping it ------------------------------ */

/* Starts argv (in cwd, when given) in its own process group with pipes on
 * its stdin, stdout, stderr and, with ready set, its fd 3: fds receives
 * our ends of them, in that order (fds[3] = -1 without ready).  Returns 0,
 * or an errno value when it could not be started. */
static int spawn(char *const *argv, const char *cwd, int ready, pid_t *pid, int fds[4])
{
    /* Ours: pipes[i][dir[i]]; the child's: the other end. */
    int pipes[4][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 }, { -1, -1 } };
    static const int ours[4] = { 1, 0, 0, 0 };
    int n = ready ? 4 : 3, rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        if (make_pipe(pipes[i]) != 0)
            rc = errno ? errno : EMFILE;
    spawn_req r = { .argv = argv, .cwd = cwd, .fds = { -1, -1, -1, -1 }, .pid = -1 };
    if (rc == 0) {
        for (int i = 0; i < n; i++)
            r.fds[i] = pipes[i][!ours[i]];
        rc = spawn_request(&r);
    }
    *pid = r.pid;
    for (int i = 0; i < 4; i++) {
        aslrtp_fd_close(&pipes[i][!ours[i]]);
        if (rc != 0)
            aslrtp_fd_close(&pipes[i][ours[i]]);
        fds[i] = pipes[i][ours[i]];
    }
    return rc;
}

int aslrtp_proc_start(char *const *argv, const char *cwd, int ready, aslrtp_proc *p)
{
    pid_t pid;
    int fds[4];
    int rc = spawn(argv, cwd, ready, &pid, fds);
    if (rc != 0)
        return rc;
    p->pid = pid;
    p->in = fds[0];
    p->out = fds[1];
    p->err = fds[2];
    p->ready = fds[3];
    /* A pidfd becomes readable when the child exits, so poll() wakes for
     * that too.  Kernels before 5.3 lack it: then poll in short slices. */
    p->pidfd = -1;
#ifdef SYS_pidfd_open
    p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (p->pidfd >= 0)
        fcntl(p->pidfd, F_SETFD, FD_CLOEXEC);
#endif
    fd_nonblock(p->in);
    fd_nonblock(p->out);
    fd_nonblock(p->err);
    if (p->ready >= 0)
        fd_nonblock(p->ready);
    return 0;
}

/* Has the process exited?  WNOWAIT leaves it a zombie, which keeps its
 * pid, and so its process group id, ours until the group is killed. */
int aslrtp_proc_exited(const aslrtp_proc *p)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
        return errno == ECHILD;
    return si.si_pid == p->pid;
}

void aslrtp_proc_kill(aslrtp_proc *p)
{
    kill(-p->pid, SIGKILL);
    kill(p->pid, SIGKILL);      /* in case it left its process group */
}

int aslrtp_proc_reap(aslrtp_proc *p)
{
    int status = 0;
    while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
        ;
    aslrtp_fd_close(&p->in);
    aslrtp_fd_close(&p->out);
    aslrtp_fd_close(&p->err);
    aslrtp_fd_close(&p->ready);
    aslrtp_fd_close(&p->pidfd);
    return status;
}

/* ==== The poll loop ===================================================== */

void aslrtp_proc_log(aslrtp_buf *tail, int *cut, const char *s, size_t n)
{
    for (size_t off = 0; off < n;) {
        ssize_t w = write(STDERR_FILENO, s + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    if (tail)
        aslrtp_tail_keep(tail, cut, s, n);
}

/* Reads what fd has into t's output: one read, or with drain set until the
 * pipe is empty (at most DRAIN_READS reads).  Returns 0 at EOF or on an
 * error (the caller closes fd), 1 otherwise. */
static int pump(int fd, aslrtp_talk *t, int is_stdout, int drain)
{
    char chunk[65536];
    for (int reads = 1;; reads++) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r > 0) {
            t->output(t->ud, is_stdout, chunk, (size_t)r);
            if (!drain || reads == DRAIN_READS)
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

void aslrtp_proc_drain(aslrtp_proc *p, aslrtp_talk *t, int is_stdout)
{
    int fd = is_stdout ? p->out : p->err;
    if (fd >= 0)
        pump(fd, t, is_stdout, 1);
}

void aslrtp_proc_talk(aslrtp_proc *p, aslrtp_talk *t)
{
    /* A process that exits (or closes its stdin) without reading all of
     * its input makes our write fail with EPIPE and raise SIGPIPE, which
     * would kill the whole workflow.  Block it in this thread only, and
     * swallow the one our writes raise (unless one was already pending for
     * someone else). */
    sigset_t pipe_set, old_mask, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
    int was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
    int broke_pipe = 0;

    int in_done = t->in_len == 0; /* nothing (more) to write */
    if (in_done && t->close_in)
        aslrtp_fd_close(&p->in);
    long long eof_at = -1;      /* when its stdout ended */
    for (;;) {
        if (t->done && t->done(t->ud))
            break;
        struct pollfd fds[5];
        int nfds = 0, i_in = -1, i_out = -1, i_err = -1, i_pid = -1, i_ready = -1;
        int read_out = p->out >= 0 && !t->skip_stdout;
        if (!in_done && p->in >= 0) {
            i_in = nfds;
            fds[nfds++] = (struct pollfd){ .fd = p->in, .events = POLLOUT };
        }
        if (read_out) {
            i_out = nfds;
            fds[nfds++] = (struct pollfd){ .fd = p->out, .events = POLLIN };
        }
        if (p->err >= 0) {
            i_err = nfds;
            fds[nfds++] = (struct pollfd){ .fd = p->err, .events = POLLIN };
        }
        if (p->ready >= 0) {
            i_ready = nfds;
            fds[nfds++] = (struct pollfd){ .fd = p->ready, .events = POLLIN };
        }
        if (p->pidfd >= 0) {
            i_pid = nfds;
            fds[nfds++] = (struct pollfd){ .fd = p->pidfd, .events = POLLIN };
        }

        /* Without a pidfd, look for its exit every 50 ms (2 once there is
         * no output left to wait for). */
        int wait_ms = -1;
        if (p->pidfd < 0)
            wait_ms = (!read_out && p->err < 0) ? 2 : 50;
        /* A sibling branch failed, or the execution is aborted: stop within
         * 50 ms. */
        if (t->cancel) {
            if (aslrtp_cancelled(t->cancel)) {
                t->cancelled = 1;
                break;
            }
            if (wait_ms < 0 || wait_ms > 50)
                wait_ms = 50;
        }
        if (t->deadline >= 0) {
            long long left = t->deadline - aslrtp_mono_ms();
            if (left <= 0) {
                t->timed_out = 1;
                break;
            }
            if (wait_ms < 0 || left < wait_ms)
                wait_ms = (int)(left < INT_MAX ? left : INT_MAX);
        }
        if (eof_at >= 0 && t->eof_grace_ms >= 0) {
            /* It can no longer answer: give it the grace to exit by itself
             * (its exit status says more than our SIGKILL would). */
            long long left = eof_at + t->eof_grace_ms - aslrtp_mono_ms();
            if (left <= 0)
                break;
            if (wait_ms < 0 || left < wait_ms)
                wait_ms = (int)left;
        }

        int k = poll(fds, (nfds_t)nfds, wait_ms);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            break;              /* cannot wait: the caller kills it */
        }

        if (i_in >= 0 && fds[i_in].revents) {
            size_t n = t->in_len - t->sent;
            ssize_t w = write(p->in, t->in + t->sent, n < 65536 ? n : 65536);
            if (w > 0) {
                t->sent += (size_t)w;
            } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                /* It closed its stdin: it wants no more input, and its
                 * exit decides the outcome. */
                broke_pipe |= errno == EPIPE;
                in_done = 1;
            }
            if (t->sent == t->in_len)
                in_done = 1;
            if (in_done && t->close_in)
                aslrtp_fd_close(&p->in);
        }
        if (i_out >= 0 && fds[i_out].revents && !pump(p->out, t, 1, 0)) {
            aslrtp_fd_close(&p->out);
            eof_at = aslrtp_mono_ms();
        }
        if (i_err >= 0 && fds[i_err].revents && !pump(p->err, t, 0, 0))
            aslrtp_fd_close(&p->err);
        if (i_ready >= 0 && fds[i_ready].revents) {
            /* Its initialisation is over (a byte, or the pipe closed):
             * the time limit starts now. */
            aslrtp_fd_close(&p->ready);
            if (t->ready_ms > 0)
                t->deadline = aslrtp_mono_ms() + t->ready_ms;
        }

        if (p->pidfd >= 0 ? i_pid >= 0 && fds[i_pid].revents != 0 : aslrtp_proc_exited(p)) {
            t->exited = 1;
            break;
        }
    }

    if (broke_pipe && !was_pending) {
        struct timespec zero = { 0, 0 };
        sigtimedwait(&pipe_set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
}

int aslrtp_proc_run(char *const *argv, const char *cwd, int ready, aslrtp_talk *t,
                    int *status)
{
    aslrtp_proc p;
    int rc = aslrtp_proc_start(argv, cwd, ready, &p);
    if (rc != 0)
        return rc;
    t->close_in = 1;
    aslrtp_proc_talk(&p, t);
    /* Kill what is left of the group first: the child is at most a zombie
     * now (its pid, so the group id, is still ours), and once the
     * stragglers are dead nothing else writes to the pipes, so draining
     * them ends. */
    aslrtp_proc_kill(&p);
    if (t->exited) {
        aslrtp_proc_drain(&p, t, 1);
        aslrtp_proc_drain(&p, t, 0);
    }
    *status = aslrtp_proc_reap(&p);
    return 0;
}

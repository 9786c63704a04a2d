/*
 * pool.c - the threads of Parallel branches and Map iterations.  (The only
 * other threads of the runtime are callback.c's listener, one per execution
 * that waits for task tokens, and proc.c's spawner, which forks every
 * handler process.)
 *
 * A fan-out is short-lived and its items are few enough (branches) or
 * cheap enough (iterations) that starting `workers` threads per fan-out
 * and letting them take items in order from a shared counter is simpler
 * than a long-lived pool, and it keeps no global state.  Each worker runs
 * its items one after another, so at most `workers` run at once: that is
 * how MaxConcurrency is kept.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "aslrt_private.h"

typedef struct fanout {
    size_t n;
    size_t next;                 /* the next item to start (atomic) */
    aslrtp_work_fn fn;
    void *ud;
    const volatile int *stop;
} fanout;

typedef struct worker {
    fanout *f;
    int id;
    pthread_t thread;
} worker;

static void work(fanout *f, int id)
{
    for (;;) {
        if (aslrtp_flag(f->stop))
            return;
        size_t i = __atomic_fetch_add(&f->next, 1, __ATOMIC_RELAXED);
        if (i >= f->n)
            return;
        f->fn(f->ud, i, id);
    }
}

static void *thread_main(void *arg)
{
    worker *w = arg;
    work(w->f, w->id);
    return NULL;
}

int aslrtp_pool_default_size(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

void aslrtp_pool_run(size_t n, int workers, aslrtp_work_fn fn, void *ud,
                     const volatile int *stop)
{
    fanout f = {n, 0, fn, ud, stop};
    if (workers < 1)
        workers = 1;
    if ((size_t)workers > n)
        workers = n ? (int)n : 1;
    if (workers == 1) {
        work(&f, 0);
        return;
    }
    worker *ws = aslrtp_calloc((size_t)workers, sizeof *ws);
    int started = 0;
    for (int i = 1; i < workers; i++) {
        ws[i].f = &f;
        ws[i].id = i;
        if (aslrtp_thread_create(&ws[i].thread, false, thread_main, &ws[i]) != 0)
            break;                /* fewer threads: the items still all run */
        started = i;
    }
    work(&f, 0);                  /* the calling thread is worker 0 */
    for (int i = 1; i <= started; i++)
        pthread_join(ws[i].thread, NULL);
    free(ws);
}

/*
 * alloc.c - allocation that never returns NULL, with one out-of-memory path,
 * and the bounds on what each thread of the process reserves.
 *
 * The runtime and the compiler allocate through these instead of checking
 * every malloc; jansson allocates through them too (json_set_alloc_funcs,
 * set when the library is loaded).  A request that cannot be met goes to
 * aslrtp_oom, the only place the process gives up for lack of memory.  By
 * default it writes "PROGRAM: out of memory (N bytes)" to stderr and
 * aborts; a workflow program (aslrt_main) asks it instead to end the
 * execution as failed: {"Error":"States.Runtime","Cause":...} on stdout and
 * exit status 1 (doc/behaviour.md §36).  Nothing unwinds: the thread that
 * ran out formats the failure into a stack buffer, writes it with write(2)
 * and calls _exit, so aslrtp_oom never allocates and holds no lock.
 *
 * The reservations (doc/behaviour.md §36): glibc gives each thread that
 * allocates an arena of its own, up to 8 per core, each reserving 64 MiB of
 * address space, and each thread stack reserves RLIMIT_STACK (8 MiB).
 * Under an address-space limit (ulimit -v) a few threads then exhaust it at
 * a small resident size, and an arena that cannot be made turns every
 * malloc of that thread into an mmap of its own.  So the process keeps
 * ARENAS arenas (set when the library is loaded), and the runtime's threads
 * are made by aslrtp_thread_create with THREAD_STACK bytes of stack.
 *
 * Allocation-failure testing (tests/run-alloc-fail.sh): when the
 * environment variable ASLRT_TEST_ALLOC_FAIL is N > 0 at load time, the
 * N-th allocation through these functions (jansson's included) fails, as
 * jansson's and SQLite's test suites make theirs fail.  When unset, the
 * cost is one predictable branch on a static variable per allocation.
 *
 * A request for 0 bytes gets 1, so that a NULL result always means failure;
 * counts times sizes are checked for overflow (an overflow is reported as
 * a request for SIZE_MAX bytes).
 */
#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "aslrt_private.h"

/* glibc's arenas: the main one (brk) and one that every other thread
 * shares, so the threads reserve 64 MiB of address space, not 64 MiB each. */
#define ARENAS 2
/* The stack of each thread the runtime makes: room for the deepest
 * recursion the runtime allows, so that a thread stops where the main
 * thread (8 MiB) does.  The JSONata evaluator is the deepest: it stops at
 * 10,000 nested evaluations (about 1.8 MiB of stack) or at its STACK_LIMIT
 * of 5 MiB with 256 KiB to spare, which it reaches first under
 * AddressSanitizer (measured: the same depth as on the main thread from
 * 6 MiB up, less below).  The JSONata parser (2,000 nested brackets) and
 * jansson (JSON nested 2,048 deep) need less. */
#define THREAD_STACK ((size_t)6 * 1024 * 1024)

/* What aslrtp_oom does (aslrtp_oom_exit): 0, abort; else _exit with it. */
static int oom_status;
static bool oom_failure;     /* write the failed execution to stdout first */
static int oom_taken;        /* the first thread out of memory reports */

/* ASLRT_TEST_ALLOC_FAIL: the allocation that fails (0: none), and the
 * count so far. */
static unsigned long fail_at;
static unsigned long calls;

static void *json_malloc(size_t n);

/* At load time: the arena bound, jansson's allocator, the test hook. */
__attribute__((constructor)) static void alloc_init(void)
{
    mallopt(M_ARENA_MAX, ARENAS);
    json_set_alloc_funcs(json_malloc, free);
    const char *v = getenv("ASLRT_TEST_ALLOC_FAIL");
    if (v && *v) {
        char *end;
        unsigned long n = strtoul(v, &end, 10);
        if (*end == '\0')
            fail_at = n;
    }
}

/* aslrtp_heap_huge's advice, carried to what the main heap grows into:
 * the end of the part advised (0: none), and the break when it was last
 * looked at.  An allocation at or past that break means the heap grew. */
static uintptr_t advised_to, seen_brk;

static __attribute__((noinline)) void advise_growth(void)
{
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t now = (uintptr_t)sbrk(0);
    uintptr_t from = __atomic_load_n(&advised_to, __ATOMIC_RELAXED);
    uintptr_t to = now & ~(huge - 1);
    __atomic_store_n(&seen_brk, now, __ATOMIC_RELAXED);
#ifdef MADV_HUGEPAGE
    if (to > from && __atomic_compare_exchange_n(&advised_to, &from, to, false, __ATOMIC_RELAXED,
                                                 __ATOMIC_RELAXED))
        (void)madvise((void *)from, to - from, MADV_HUGEPAGE);
#endif
}

/* After each allocation: whether p shows that the heap grew (a block of
 * the main heap past the break last seen; blocks of other arenas and of
 * mmap lie far from it). */
static inline void note_block(const void *p)
{
    uintptr_t b = __atomic_load_n(&seen_brk, __ATOMIC_RELAXED);
    if (b && (uintptr_t)p - b < ((uintptr_t)1 << 30))
        advise_growth();
}

/* The main heap of a process that may allocate megabytes (aslc compiling,
 * a workflow program): its first `small` bytes in 4 KiB pages, and from
 * there, up to `step` bytes further, transparent huge pages where the
 * kernel offers them (THP "madvise" or "always"); the heap grows `step`
 * at a time.  A page fault costs what the kernel makes it cost, and on a
 * virtual machine that hands memory back to its host a fresh 4 KiB page
 * costs about 10 us: 5 MiB of compiler heap is 1,300 faults where 2 MiB
 * pages take three, and a program that never passes `small` pays nothing.
 * Best called first thing in main, before the heap exists; when it does,
 * the heap goes on from the new place (glibc copes with a break moved
 * between its sbrk calls) and what it held stays where it is.  Nothing
 * changes where huge pages are off (madvise fails, ignored).
 * doc/architecture.md, "page faults". */
void aslrtp_heap_huge(size_t small, size_t step)
{
#if defined(__GLIBC__) && defined(M_TOP_PAD) && defined(MADV_HUGEPAGE)
    static int done;
    if (__atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL))
        return;             /* aslc run: aslc's call, then the program's */
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t brk0 = (uintptr_t)sbrk(0);
    if (brk0 == (uintptr_t)-1 || step > (size_t)1 << 30)
        return;
    /* One allocation larger than the free top of the heap (none when it
     * does not exist yet) makes glibc take `step` more from the break;
     * freed, it is the new top.  It and the top's header lie below the
     * first huge page: a page touched before the advice would keep its
     * 2 MiB in small pages. */
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)
    size_t top = mallinfo2().keepcost;
#else
    size_t top = (size_t)(unsigned)mallinfo().keepcost;
#endif
    if (top >= step / 2)
        return;                       /* room enough already: as it is */
    size_t first_size = top + 64;
    if (small < first_size + 4096)
        small = first_size + 4096;
    small = (small + 4095) & ~(size_t)4095;
    uintptr_t lo = (brk0 + small + huge - 1) & ~(huge - 1);
    if (lo - small > brk0 && sbrk((intptr_t)(lo - small - brk0)) == (void *)-1)
        return;
    mallopt(M_TOP_PAD, (int)step);
    mallopt(M_TRIM_THRESHOLD, (int)step * 2);
    mallopt(M_MMAP_THRESHOLD, (int)(step / 2));
    void *volatile first = malloc(first_size); /* volatile: gcc keeps it */
    free(first);
    uintptr_t hi = (uintptr_t)sbrk(0) & ~(huge - 1);
    if (hi > lo && madvise((void *)lo, hi - lo, MADV_HUGEPAGE) == 0) {
        __atomic_store_n(&advised_to, hi, __ATOMIC_RELAXED);
        __atomic_store_n(&seen_brk, (uintptr_t)sbrk(0), __ATOMIC_RELAXED);
    }
#else
    (void)small;
    (void)step;
#endif
}

/* True when the test hook makes this allocation fail. */
static bool injected(void)
{
    return __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED) == fail_at;
}

#define FAILS() (__builtin_expect(fail_at != 0, 0) && injected())

void aslrtp_oom_exit(int status, bool failure)
{
    __atomic_store_n(&oom_failure, failure, __ATOMIC_RELAXED);
    __atomic_store_n(&oom_status, status, __ATOMIC_RELEASE);
}

static void say(int fd, const char *s, int n, size_t cap)
{
    if (n <= 0)
        return;
    size_t len = (size_t)n < cap ? (size_t)n : cap - 1;
    while (len > 0) {
        ssize_t w = write(fd, s, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        len -= (size_t)w;
    }
}

/* The one out-of-memory path: the failure (if a workflow program asked for
 * it) and a message naming the size, then _exit or abort(). */
_Noreturn void aslrtp_oom(size_t size)
{
    /* Another thread may be out of memory too: the first one reports, the
     * others wait for its _exit. */
    if (__atomic_exchange_n(&oom_taken, 1, __ATOMIC_ACQ_REL))
        for (;;)
            pause();
    int status = __atomic_load_n(&oom_status, __ATOMIC_ACQUIRE);
    char msg[256];
    int n;
    if (status && __atomic_load_n(&oom_failure, __ATOMIC_RELAXED)) {
        if (size)
            n = snprintf(msg, sizeof msg,
                         "{\"Error\":\"States.Runtime\",\"Cause\":\"The execution ran out of "
                         "memory: an allocation of %zu bytes failed.\"}\n",
                         size);
        else
            n = snprintf(msg, sizeof msg,
                         "{\"Error\":\"States.Runtime\",\"Cause\":\"The execution ran out of "
                         "memory.\"}\n");
        say(STDOUT_FILENO, msg, n, sizeof msg);
    }
    if (size)
        n = snprintf(msg, sizeof msg, "%s: out of memory (%zu bytes)\n",
                     program_invocation_short_name, size);
    else
        n = snprintf(msg, sizeof msg, "%s: out of memory\n", program_invocation_short_name);
    say(STDERR_FILENO, msg, n, sizeof msg);
    if (status)
        _exit(status);
    abort();
}

/* jansson's allocator: its requests are never 0 bytes. */
static void *json_malloc(size_t n)
{
    return aslrtp_malloc(n);
}

void *aslrtp_malloc(size_t n)
{
    void *p = FAILS() ? NULL : malloc(n ? n : 1);
    if (!p)
        aslrtp_oom(n);
    note_block(p);
    return p;
}

void *aslrtp_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        aslrtp_oom(SIZE_MAX);
    void *p = FAILS() ? NULL : calloc(count && size ? count : 1, count && size ? size : 1);
    if (!p)
        aslrtp_oom(count * size);
    note_block(p);
    return p;
}

void *aslrtp_realloc(void *p, size_t n)
{
    void *q = FAILS() ? NULL : realloc(p, n ? n : 1);
    if (!q)
        aslrtp_oom(n);
    note_block(q);
    return q;
}

void *aslrtp_reallocarray(void *p, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        aslrtp_oom(SIZE_MAX);
    return aslrtp_realloc(p, count * size);
}

char *aslrtp_strdup(const char *s)
{
    return aslrtp_memdup(s, strlen(s));
}

char *aslrtp_memdup(const char *s, size_t n)
{
    if (n == SIZE_MAX)
        aslrtp_oom(SIZE_MAX);
    char *d = aslrtp_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

int aslrtp_thread_create(pthread_t *thread, bool detached, void *(*fn)(void *), void *arg)
{
    pthread_attr_t at;
    int rc = pthread_attr_init(&at);
    if (rc != 0)
        return rc;
    rc = pthread_attr_setstacksize(&at, THREAD_STACK);
    if (rc == 0 && detached)
        rc = pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (rc == 0)
        rc = pthread_create(thread, &at, fn, arg);
    pthread_attr_destroy(&at);
    return rc;
}

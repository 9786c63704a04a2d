/*
 * measure.c - run one command; report its wall time and peak RSS.
 *
 *   measure RESULT_FILE COMMAND [ARG...]
 *
 * bench/run.py compiles this (cc -O2) into a temp dir and starts every measured
 * process through it.  Why not os.wait4 straight from Python: Linux records in
 * ru_maxrss the resident size of the process image that exec() replaces, so a
 * child forked (or vforked) from the Python interpreter never reports less than
 * Python's own RSS (about 14 MB here, against about 1 MB for /bin/true).  Forked
 * from this small program, the floor is this program's size.
 *
 * The command inherits stdin, stdout and stderr.  After wait4() this writes one
 * line "STATUS WALL_NS MAXRSS_KB" to RESULT_FILE (STATUS: the exit code, or 128 +
 * the signal number) and exits with STATUS.  Wall time is CLOCK_MONOTONIC from
 * the child's call of execvp() to the return of wait4(): the process from exec
 * to exit, which is what a start-up figure is about.  The fork()
 * before it is this program's cost, not the command's: on a virtual machine
 * it copies this program's page tables and takes about a millisecond, which
 * the first version of this file counted in every figure.  The child reads
 * the clock and stores it in a page shared with the parent just before it
 * calls execvp().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: measure RESULT_FILE COMMAND [ARG...]\n");
        return 125;
    }
    struct timespec *t0 = mmap(NULL, sizeof *t0, PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, 0), t1;
    if (t0 == MAP_FAILED) {
        perror("measure: mmap");
        return 125;
    }
    clock_gettime(CLOCK_MONOTONIC, t0);     /* if the child never gets to exec */
    pid_t pid = fork();
    if (pid < 0) {
        perror("measure: fork");
        return 125;
    }
    if (pid == 0) {
        clock_gettime(CLOCK_MONOTONIC, t0);
        execvp(argv[2], argv + 2);
        fprintf(stderr, "measure: cannot run %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int st;
    struct rusage ru;
    while (wait4(pid, &st, 0, &ru) < 0)
        if (errno != EINTR) {
            perror("measure: wait4");
            return 125;
        }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    long long ns = (long long)(t1.tv_sec - t0->tv_sec) * 1000000000LL + (t1.tv_nsec - t0->tv_nsec);
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror("measure: result file");
        return 125;
    }
    fprintf(f, "%d %lld %ld\n", status, ns, ru.ru_maxrss);
    fclose(f);
    return status;
}

/*
 * testutil.h - what the unit tests (tests/unit/check_*.c) share: running a
 * Check suite, a scratch directory with files and scripts written into it,
 * watching processes, finding python3, and the compile-and-run
 * harness that takes a definition through the whole pipeline (parse,
 * validate, lower, emit C, TinyCC) into a program ready for aslrt_execute.
 *
 * Header-only (static inline), so that each test is still one source file;
 * a test includes it after its system headers.  The scratch directory is
 * one per test program: scratch_create() in main(), scratch_remove() at
 * the end.
 */
#ifndef ASLC_TESTUTIL_H
#define ASLC_TESTUTIL_H

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "aslrt_private.h"
#include "config.h"

/* ==== Running a suite ==================================================== */

/* Runs every test of s (freed here) and returns how many failed. */
static inline int run_suite(Suite *s, enum print_output mode)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, mode);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed;
}

/* ==== The scratch directory ============================================== */

/* The test program's scratch directory, made by scratch_create. */
static char scratch[PATH_MAX] __attribute__((unused));

/* Makes $TMPDIR/PROG.XXXXXX (or under /tmp) the scratch directory; returns
 * 0, or -1 after saying why. */
static inline int scratch_create(const char *prog)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", prog);
    if (!mkdtemp(scratch)) {
        fprintf(stderr, "%s: mkdtemp: %s\n", prog, strerror(errno));
        return -1;
    }
    return 0;
}

/* Removes one entry, for nftw. */
static inline int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Removes the scratch directory and everything in it. */
static inline void scratch_remove(void)
{
    nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* scratch/name, malloc'd. */
static inline char *path_in(const char *name)
{
    return aslrtp_strdupf("%s/%s", scratch, name);
}

/* Writes scratch/name (making its directories) with the given mode (0755
 * for a script) and returns its path, malloc'd. */
static inline char *write_file(const char *name, const char *text, mode_t mode)
{
    char *path = path_in(name);
    for (char *slash = path + strlen(scratch) + 1; (slash = strchr(slash, '/')); slash++) {
        *slash = '\0';
        mkdir(path, 0755);
        *slash = '/';
    }
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
    return path;
}

/* Writes scratch/name as an executable sh script running body; returns its
 * path, malloc'd. */
static inline char *script(const char *name, const char *body)
{
    char *text = aslrtp_strdupf("#!/bin/sh\n%s", body);
    char *path = write_file(name, text, 0755);
    free(text);
    return path;
}

/* ==== Processes ========================================================= */

/* True once pid is gone or a zombie (an orphan's zombie lingers where
 * nothing reaps it, as under a minimal container init). */
static inline int process_dead(pid_t pid)
{
    /* 20 s: a guard against a hang, not a measure */
    for (int i = 0; i < 2000; i++) {
        if (kill(pid, 0) != 0 && errno == ESRCH)
            return 1;
        char path[64], stat[256] = "";
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        FILE *f = fopen(path, "r");
        if (f) {
            size_t n = fread(stat, 1, sizeof stat - 1, f);
            stat[n] = '\0';
            fclose(f);
            char *rp = strrchr(stat, ')');
            if (rp && rp[1] == ' ' && rp[2] == 'Z')
                return 1;
        }
        struct timespec ts = { 0, 10000000 };
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* True while pid exists (a zombie too). */
static inline int process_alive(pid_t pid)
{
    return kill(pid, 0) == 0;
}



/* ==== Assertions and the environment ===================================== */

/* Fails unless s contains part. */
static inline void assert_contains(const char *s, const char *part)
{
    ck_assert_ptr_nonnull(s);
    ck_assert_msg(strstr(s, part) != NULL, "\"%s\" does not contain \"%s\"", s, part);
}

/* span_s, a span of an execution's clock that waits were skipped in
 * (ASLRT_WAIT_SKIP), holds skipped_s of skipped waits.  That clock is the
 * wall clock plus every wait skipped, so the span is the waits plus real
 * time, and the real time is at most real_s, what the whole run took
 * (measured by the caller around aslrt_execute): the assertion holds
 * however busy the machine, give or take the clock's millisecond. */
static inline void assert_skipped_span(double span_s, double skipped_s, double real_s)
{
    ck_assert_msg(span_s >= skipped_s - 0.002 && span_s <= skipped_s + real_s + 0.002,
                  "a span of %.3f s: %.3f s skipped and at most %.3f s of real time expected",
                  span_s, skipped_s, real_s);
}

/* Seconds of the wall clock, for the real time of a run. */
static inline double wall_s(void)
{
    return aslrtp_wall_ns() / 1e9;
}

/* The interpreter an adapter will use ($env_var, else name on PATH), or
 * NULL when it cannot be found. */
static inline const char *find_interpreter(const char *env_var, const char *name)
{
    const char *py = getenv(env_var);
    if (!py || !*py)
        py = name;
    if (strchr(py, '/'))
        return access(py, X_OK) == 0 ? py : NULL;
    const char *path = getenv("PATH");
    if (!path)
        return NULL;
    char *copy = aslrtp_strdup(path);
    const char *found = NULL;
    for (char *dir = strtok(copy, ":"); dir && !found; dir = strtok(NULL, ":")) {
        char *cand = aslrtp_strdupf("%s/%s", *dir ? dir : ".", py);
        if (access(cand, X_OK) == 0)
            found = py;
        free(cand);
    }
    free(copy);
    return found;
}

/* The interpreter the Python adapter will use ($ASLC_PYTHON, else python3
 * on PATH), or NULL when it cannot be found. */
static inline const char *find_python(void)
{
    return find_interpreter("ASLC_PYTHON", "python3");
}

/* Points the runtime at the Python adapter and interpreter the harness
 * names (ASLC_PYTHON_HANDLER, PYTHON3), with defaults for a run by hand
 * from the build tree; returns find_python(). */
static inline const char *python_setup(void)
{
    if (!getenv("ASLC_PYTHON_HANDLER"))
        setenv("ASLC_PYTHON_HANDLER", "runtime/aslc-python-handler", 1);
    const char *py3 = getenv("PYTHON3");
    if (py3 && *py3 && !getenv("ASLC_PYTHON"))
        setenv("ASLC_PYTHON", py3, 1);
    return find_python();
}

/* The same for the Node.js adapter (ASLC_NODE_HANDLER, ASLC_NODE, else
 * node on PATH). */
static inline const char *node_setup(void)
{
    if (!getenv("ASLC_NODE_HANDLER"))
        setenv("ASLC_NODE_HANDLER", "runtime/aslc-node-handler", 1);
    return find_interpreter("ASLC_NODE", "node");
}

/* ==== Definitions compiled in process (TinyCC) =========================== */

#if defined(HAVE_LIBTCC) && defined(ASL_UNIT_H) && defined(ASL_BACKEND_H)

/* A definition taken through the pipeline into a runnable program. */
typedef struct jit_def {
    asl_unit *u;
    char *src;              /* the emitted C */
    asl_jit *j;
    aslrt_program *p;
} jit_def;

/* Parses, validates (supported features included), lowers, emits and
 * compiles def (named t.asl.json, prefix "t"); fails the test on any
 * diagnostic.  err receives aslrt_program_create's error. */
static inline void jit_def_compile(jit_def *d, const char *def, aslrt_error *err)
{
    d->u = asl_unit_create("t.asl.json", def, strlen(def));
    asl_machine *m = asl_parse_machine(d->u);
    ck_assert_ptr_nonnull(m);
    asl_validate_machine(d->u, m);
    ck_assert_msg(d->u->diags.nerrors == 0, "definition rejected: %s",
                  d->u->diags.n ? d->u->diags.v[0].message : "");
    ck_assert_msg(asl_validate_supported(d->u, m, ASL_DIAG_ERROR), "not supported: %s",
                  d->u->diags.n ? d->u->diags.v[0].message : "");
    asl_cfg *c = asl_lower_machine(d->u, m, "t");
    asl_emit_options eo = {.prefix = "t"};
    d->src = asl_emit_c_string(c, &eo);
    char *jerr = NULL;
    d->j = asl_jit_compile(d->src, "t", &jerr);
    ck_assert_msg(d->j != NULL, "tcc: %s", jerr ? jerr : "");
    d->p = aslrt_program_create(asl_jit_machine(d->j), err);
    ck_assert_ptr_nonnull(d->p);
}

/* Frees the program, the compiled code, the C text and the unit. */
static inline void jit_def_free(jit_def *d)
{
    aslrt_program_destroy(d->p);
    asl_jit_destroy(d->j);
    free(d->src);
    asl_unit_destroy(d->u);
}

/* Loads the mocks of test case test_case for machine "t" from text (a mock
 * file's content, written to a temporary file); fails the test when they
 * do not load, with err's Cause. */
static inline aslrt_mocks *mocks_from_text(const char *text, const char *test_case,
                                           const aslrt_machine *m, aslrt_error *err)
{
    char mock_path[] = "/tmp/aslc-mock-XXXXXX";
    int fd = mkstemp(mock_path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    aslrt_mocks *mocks = aslrt_mocks_load(mock_path, "t", test_case, m, err);
    unlink(mock_path);
    ck_assert_msg(mocks != NULL, "mocks: %s", err->cause);
    return mocks;
}

#endif /* HAVE_LIBTCC */

#endif /* ASLC_TESTUTIL_H */

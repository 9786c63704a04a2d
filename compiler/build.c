/*
 * build.c - from generated C (or an LLVM object file) to an executable, with
 * a system C compiler: `aslc build`.
 *
 * asl_build_executable writes the C that emit_c.c made to workflow.c in a
 * fresh temporary directory and hands it to cc (or the compiler --cc names:
 * gcc, clang, tcc) at -O2 unless told otherwise; asl_build_link, which the
 * LLVM backend also calls for its object file, links against libaslrt's
 * static archive.  jansson and PCRE2 come from their static archives
 * when configure found them (gcc and clang; tcc links the shared ones);
 * libcurl, libxml2 and libcrypto are opened by the runtime when first
 * used.  Where the header and the archive are: $ASLC_INCLUDE_DIR
 * and $ASLC_LIB_DIR (the test suite points them at the build tree), else
 * the directories aslc was installed with.
 *
 * Builds are reproducible: the file's name never changes and debugging
 * information names no temporary or working directory, so one definition
 * builds to the same bytes wherever aslc runs (tests/run-cli.sh).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aslrt_private.h"
#include "backend.h"
#include "config.h"
#include "paths.h"

#ifndef ASLC_INCLUDEDIR
#define ASLC_INCLUDEDIR "/usr/local/include"
#endif
#ifndef ASLC_LIBDIR
#define ASLC_LIBDIR "/usr/local/lib"
#endif

static const char *dir_from_env(const char *var, const char *fallback)
{
    const char *v = getenv(var);
    return v && *v ? v : fallback;
}

/* Runs argv in the directory dir (NULL: this one) and waits for it. */
static int run(const char *dir, char *const argv[], char **err)
{
    pid_t pid = fork();
    if (pid < 0) {
        *err = aslrtp_strdup(strerror(errno));
        return -1;
    }
    if (pid == 0) {
        if (dir && chdir(dir) != 0) {
            fprintf(stderr, "aslc: cannot enter '%s': %s\n", dir, strerror(errno));
            _exit(127);
        }
        execvp(argv[0], argv);
        fprintf(stderr, "aslc: cannot run '%s': %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) {
            *err = aslrtp_strdup(strerror(errno));
            return -1;
        }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* path as seen from another directory: absolute if it is not (into buf). */
static const char *absolute(const char *path, char *buf, size_t size)
{
    char cwd[4096];
    if (path[0] == '/' || !getcwd(cwd, sizeof cwd))
        return path;
    snprintf(buf, size, "%s/%s", cwd, path);
    return buf;
}

/* asl_build_link, with the compiler run in dir (NULL: here). */
static bool pie, self_contained;

void asl_build_set_pie(bool on)
{
    pie = on;
}

void asl_build_set_static(bool on)
{
    self_contained = on;
}

/* Text that names what opens libcrypto (States.Hash, States.Base64Encode
 * and Base64Decode, JSONata's $hash, $base64encode, $base64decode): any
 * case, anywhere in s. */
static bool names_library_user(const char *s)
{
    static const char *const words[] = {"hash", "base64"};
    for (const char *p = s; *p; p++)
        for (size_t i = 0; i < sizeof words / sizeof *words; i++)
            if (strncasecmp(p, words[i], strlen(words[i])) == 0)
                return true;
    return false;
}

bool asl_build_needs_libraries(const json_t *def)
{
    if (json_is_string(def))
        return names_library_user(json_string_value(def));
    size_t i;
    const json_t *x;
    if (json_is_array(def)) {
        json_array_foreach(def, i, x)
            if (asl_build_needs_libraries(x))
                return true;
        return false;
    }
    const char *k;
    json_object_foreach((json_t *)def, k, x) {
        if (!strcmp(k, "ItemReader") || !strcmp(k, "ResultWriter") ||
            (!strcmp(k, "Type") && json_is_string(x) && !strcmp(json_string_value(x), "Task")) ||
            asl_build_needs_libraries(x))
            return true;
    }
    return false;
}

static bool link_in(const char *dir, const char *cc, const char *const *args,
                    const char *output, char **err)
{
    char libbuf[4200], outbuf[8400];
    const char *lib = absolute(dir_from_env("ASLC_LIB_DIR", ASLC_LIBDIR), libbuf, sizeof libbuf);
    if (dir)
        output = absolute(output, outbuf, sizeof outbuf);
    char archive[4300];
    snprintf(archive, sizeof archive, "%s/libaslrt.a", lib);
    if (access(archive, R_OK) != 0) {
        *err = aslrtp_malloc(strlen(archive) + 128);
        sprintf(*err, "cannot find the runtime library '%s' (set ASLC_LIB_DIR)", archive);
        return false;
    }
    bool tcc = strstr(cc, "tcc") != NULL;
    size_t nargs = 0;
    while (args[nargs])
        nargs++;
    /* The compiler, its arguments, then at most 48 of ours. */
    const char **argv = aslrtp_calloc(nargs + 64, sizeof *argv);
    int n = 0;
    argv[n++] = cc;
    for (size_t i = 0; i < nargs; i++)
        argv[n++] = args[i];
    int ours = n;
    argv[n++] = "-o";
    argv[n++] = output;
#ifdef ASLC_SANITIZERS
    /* A sanitizer build's libaslrt.a needs the sanitizer runtimes too. */
    if (!tcc)
        argv[n++] = "-fsanitize=address,undefined";
#endif
    /* jansson and PCRE2 from their static archives when
     * configure found them (gcc and clang; tcc links the shared ones). */
    char statics[sizeof ASLC_STATIC_LIBS];
    memcpy(statics, ASLC_STATIC_LIBS, sizeof statics);
    /* The C library too, when nothing will be opened (asl_build_set_static);
     * dlopen then goes to the runtime's refusal (runtime/dynlib.c). */
    bool all_static = false;
#if defined(ASLC_LINK_STATIC) && !defined(ASLC_SANITIZERS)
    all_static = !tcc && !pie && self_contained && statics[0];
#endif
    /* At a fixed address unless asked (asl_build_set_pie); tcc makes no
     * position-independent executables anyway, nor does -static. */
    if (!tcc && !pie)
        argv[n++] = "-fno-pie";
    if (!tcc && !pie && !all_static)
        argv[n++] = "-no-pie";
    if (all_static) {
        argv[n++] = "-static";
        argv[n++] = "-Wl,--wrap=dlopen";
    }
    argv[n++] = archive;
    if (!tcc && statics[0]) {
        for (char *tok = strtok(statics, " "); tok && n < ours + 40; tok = strtok(NULL, " "))
            argv[n++] = tok;
        argv[n++] = "-ldl";
    } else {
        argv[n++] = "-ljansson";
        argv[n++] = "-lpcre2-8";
    }
    /* What dlopen needs, where the C library lacks it: libcurl, libxml2
     * and libcrypto are not linked, the runtime opens them on use
     * (runtime/dynlib.c). */
    char dynamics[sizeof ASLC_DYNAMIC_LIBS];
    memcpy(dynamics, ASLC_DYNAMIC_LIBS, sizeof dynamics);
    for (char *tok = strtok(dynamics, " "); tok && n < ours + 52; tok = strtok(NULL, " "))
        argv[n++] = tok;
    argv[n++] = "-lpthread";
    argv[n++] = "-lm";
    argv[n] = NULL;
    int rc = run(dir, (char *const *)argv, err);
    free(argv);
    if (rc > 0) {
        *err = aslrtp_malloc(256 + strlen(cc));
        sprintf(*err, "'%s' failed with status %d", cc, rc);
    }
    return rc == 0;
}

bool asl_build_link(const char *cc, const char *const *args, const char *output, char **err)
{
    return link_in(NULL, cc, args, output, err);
}

/* Writes the generated C to workflow.c in a fresh temporary directory,
 * compiles and links it there, and removes both.  The compiler runs in
 * that directory and is given the name "workflow.c", the same on every
 * build, because it records the name in the executable (the symbol
 * table's FILE entry, and AddressSanitizer's descriptors of globals): a
 * temporary path would make two builds of one definition differ. */
bool asl_build_executable(const char *csrc, const char *output, const char *cc,
                          const char *optflag, bool debug, char **err)
{
    return asl_build_units(&csrc, 1, NULL, output, cc, optflag, debug, err);
}

/* The name of translation unit i: workflow.c, then unit1.c, unit2.c ... */
static void unit_name(size_t i, char *buf, size_t size)
{
    if (i == 0)
        snprintf(buf, size, "workflow.c");
    else
        snprintf(buf, size, "unit%zu.c", i);
}

bool asl_build_units(const char *const *csrcs, size_t n, const char *obj, const char *output,
                     const char *cc, const char *optflag, bool debug, char **err)
{
    char dir[] = "/tmp/aslc-XXXXXX";
    if (!mkdtemp(dir)) {
        *err = aslrtp_strdup(strerror(errno));
        return false;
    }
    char tmpl[sizeof dir + 32];
    bool written = true;
    size_t made = 0;
    for (; made < n && written; made++) {
        char name[32];
        unit_name(made, name, sizeof name);
        snprintf(tmpl, sizeof tmpl, "%s/%s", dir, name);
        FILE *f = fopen(tmpl, "w");
        written = f && fputs(csrcs[made], f) != EOF;
        if (f && fclose(f) != 0)
            written = false;
    }
    if (!written) {
        *err = aslrtp_strdup("cannot write the temporary C file");
        for (size_t i = 0; i < made; i++) {
            char name[32];
            unit_name(i, name, sizeof name);
            snprintf(tmpl, sizeof tmpl, "%s/%s", dir, name);
            unlink(tmpl);
        }
        rmdir(dir);
        return false;
    }
    char incbuf[4200];
    const char *inc = absolute(dir_from_env("ASLC_INCLUDE_DIR", ASLC_INCLUDEDIR), incbuf,
                               sizeof incbuf);
    char incflag[4300];
    snprintf(incflag, sizeof incflag, "-I%s", inc);
    /* The generated code is glue between runtime calls: its optimisation
     * level changes little at run time (bench/README.md), much at build
     * time for large machines; -O2 unless told otherwise. */
    const char **args = aslrtp_calloc(n + 10, sizeof *args);
    char (*names)[32] = aslrtp_calloc(n, sizeof *names);
    int k = 0;
    args[k++] = "-std=c11";
    args[k++] = optflag ? optflag : "-O2";
    /* Debugging information names the directory the compiler ran in, the
     * temporary one; gcc and clang write it as "." instead, so that -g
     * builds do not differ by directory either. */
    char mapdir[sizeof dir + 32];
    if (debug) {
        args[k++] = "-g";
        if (!strstr(cc, "tcc")) {
            snprintf(mapdir, sizeof mapdir, "-fdebug-prefix-map=%s=.", dir);
            args[k++] = mapdir;
        }
    }
    args[k++] = incflag;
    for (size_t i = 0; i < n; i++) {
        unit_name(i, names[i], sizeof names[i]);
        args[k++] = names[i];
    }
    char objbuf[4200];
    if (obj)
        args[k++] = absolute(obj, objbuf, sizeof objbuf);
    args[k] = NULL;
    bool ok = link_in(dir, cc, args, output, err);
    for (size_t i = 0; i < n; i++) {
        snprintf(tmpl, sizeof tmpl, "%s/%s", dir, names[i]);
        unlink(tmpl);
    }
    rmdir(dir);
    free(names);
    free(args);
    return ok;
}

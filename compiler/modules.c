/*
 * modules.c - the parts of aslc that live in modules it loads when a
 * command needs them, so that the other commands do not map their
 * libraries: the server, aslc_serve.so (libmicrohttpd, GnuTLS, SQLite).
 * The LLVM backend is the other (llvm_load.c).
 *
 * A module is found by an environment variable when set (an aslc run from
 * its build tree sets them to the tree's .libs, compiler/main.c), else in
 * $(pkglibdir), where make install puts it.  It takes the compiler's and
 * the runtime's functions from aslc (linked with -export-dynamic).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "aslrt_private.h"
#include "config.h"
#include "modules.h"
#include "paths.h"

void *asl_module_open(const char *var, const char *file, const char *what, const char *symbol,
                      char **why)
{
    char path[4096];
    const char *p = getenv(var);
    if (!p || !*p) {
        snprintf(path, sizeof path, "%s/%s", ASLC_PKGLIBDIR, file);
        p = path;
    }
    void *h = dlopen(p, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        *why = aslrtp_strdupf("cannot load %s: %s", what, e ? e : p);
        return NULL;
    }
    void *sym = dlsym(h, symbol);
    if (!sym) {
        *why = aslrtp_strdupf("cannot load %s: %s has no %s", what, p, symbol);
        dlclose(h);
    }
    return sym;               /* never closed: what it made may still run */
}

int asl_serve_module_main(int argc, char **argv)
{
    char *why = NULL;
    int (*serve_main)(int, char **) = (int (*)(int, char **))asl_module_open(
        "ASLC_SERVE_MODULE", "aslc_serve.so", "the server (aslc serve)", "asl_serve_main", &why);
    if (!serve_main) {
        fprintf(stderr, "aslc: error: %s\n", why);
        free(why);
        return 2;
    }
    return serve_main(argc, argv);
}

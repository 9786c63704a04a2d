/*
 * llvm_load.c - the LLVM backend as aslc uses it: a module loaded the first
 * time a command needs it.
 *
 * LLVM is one large library that maps some twenty more (its own libxml2,
 * ICU, libz3, libffi, libedit...), and the dynamic loader's work on them
 * was most of the time aslc took to start, whatever the command.  So aslc
 * does not link it: the backend is built into aslc_llvm.so (Makefile.am),
 * which exports one table, asl_llvm_module (backend.h), and takes the
 * compiler's and the runtime's functions from aslc, linked with
 * -export-dynamic for it.  These functions stand for the backend's own in
 * aslc and call through that table; the tests link the backend itself.
 *
 * Where the module is: ASLC_LLVM_MODULE when set (an aslc run from its
 * build tree sets it to the tree's .libs/aslc_llvm.so, compiler/main.c),
 * else $(pkglibdir)/aslc_llvm.so, where make install puts it (modules.c).
 */
#include <pthread.h>
#include <stdlib.h>

#include "aslrt_private.h"
#include "backend.h"
#include "config.h"
#include "modules.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const asl_llvm_api *api;
static char *why;             /* why it could not be loaded */

static void load(void)
{
    const asl_llvm_api *a = asl_module_open("ASLC_LLVM_MODULE", "aslc_llvm.so",
                                            "the LLVM backend", "asl_llvm_module", &why);
    if (a && a->version != ASL_LLVM_MODULE_VERSION)
        why = aslrtp_strdup("cannot load the LLVM backend: its module is of another aslc");
    else
        api = a;
}

bool asl_llvm_available(char **err)
{
    pthread_once(&once, load);
    if (!api && err)
        *err = aslrtp_strdup(why);
    return api != NULL;
}

const char *asl_llvm_version(void)
{
    /* configure's version, so that aslc --version does not load LLVM */
    return "LLVM " ASLC_LLVM_VERSION;
}

bool asl_llvm_emit_ir(FILE *out, const asl_cfg *c, const asl_emit_options *o, int opt,
                      char **err)
{
    return asl_llvm_available(err) && api->emit_ir(out, c, o, opt, err);
}

bool asl_llvm_build_executable(const asl_cfg *c, const asl_emit_options *o,
                               const char *output, const char *cc, int opt, bool debug,
                               char **err)
{
    return asl_llvm_available(err) && api->build_executable(c, o, output, cc, opt, debug, err);
}

asl_llvm_jit *asl_llvm_jit_compile(const asl_cfg *c, const char *prefix, int opt, char **err)
{
    return asl_llvm_available(err) ? api->jit_compile(c, prefix, opt, err) : NULL;
}

/* Only ever given what jit_compile made, so the module is loaded. */
const aslrt_machine *asl_llvm_jit_machine(const asl_llvm_jit *j)
{
    return api->jit_machine(j);
}

void asl_llvm_jit_destroy(asl_llvm_jit *j)
{
    if (j)
        api->jit_destroy(j);
}

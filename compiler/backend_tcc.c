/*
 * backend_tcc.c - compiles generated C in memory with libtcc and hands back
 * the machine descriptor.  The only file that includes libtcc.h.
 *
 * Generated code includes nothing but aslrt.h, whose text is embedded in
 * aslc (aslrt_h.inc, made from runtime/aslrt.h at build time) and prepended
 * to the source, so `aslc run` needs no installed header.  The runtime's
 * functions are handed to libtcc by an explicit table (aslrt_syms.inc, made
 * from the same header): aslc links libaslrt statically, and this table
 * also keeps every runtime object in the link.
 *
 * TinyCC keeps global state while it compiles, so one compilation runs at
 * a time in the process (the server compiles on several threads).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <libtcc.h>

#include "aslrt_private.h"
#include "backend.h"
#include "config.h"

static const char aslrt_header[] =
#include "aslrt_h.inc"
    ;

/* Held while a TCCState is made, used or deleted. */
static pthread_mutex_t tcc_lock = PTHREAD_MUTEX_INITIALIZER;

struct asl_jit {
    TCCState *s;
    const aslrt_machine *machine;
    aslrt_machine *built;     /* asl_jit_compile_cfg: the descriptor machine.c made */
    void *code;               /* the pages TinyCC relocated the code into */
    size_t code_size;
};

typedef struct errbuf {
    char *text;
} errbuf;

static void on_error(void *ud, const char *msg)
{
    errbuf *e = ud;
    if (!e->text) {
        e->text = aslrtp_strdup(msg);
    }
}

static asl_jit *jit_compile(const char *csrc, const char *symbol, char **err);

/* Compiles csrc under the lock and finds <prefix><suffix> in it. */
static asl_jit *jit_compile_locked(const char *csrc, const char *prefix, const char *suffix,
                                   char **err)
{
    char *sym = aslrtp_strdupf("%s%s", prefix, suffix);
    pthread_mutex_lock(&tcc_lock);
    asl_jit *j = jit_compile(csrc, sym, err);
    pthread_mutex_unlock(&tcc_lock);
    free(sym);
    return j;
}

asl_jit *asl_jit_compile(const char *csrc, const char *prefix, char **err)
{
    return jit_compile_locked(csrc, prefix, "_machine", err);
}

/* The graph functions through TinyCC, the tables from machine.c. */
asl_jit *asl_jit_compile_cfg(const asl_cfg *c, const char *prefix, char **err)
{
    asl_emit_options eo = {.prefix = prefix, .code_only = true};
    char *csrc = asl_emit_c_string(c, &eo);
    if (!csrc)
        asl_internal_error(__FILE__, __LINE__, "cannot generate C");
    asl_jit *j = jit_compile_locked(csrc, prefix, "_graphs", err);
    free(csrc);
    if (j) {
        j->built = asl_machine_build(c, (const aslrt_graph_fn *)j->machine);
        j->machine = j->built;
    }
    return j;
}

/* Compiles csrc and finds symbol in it: j->machine is that symbol's
 * address until the caller says what it is. */
static asl_jit *jit_compile(const char *csrc, const char *symbol, char **err)
{
    errbuf e = {NULL};
    TCCState *s = tcc_new();
    if (!s) {
        *err = aslrtp_strdup("cannot create a TinyCC state");
        return NULL;
    }
    tcc_set_error_func(s, &e, on_error);
#ifdef ASLC_TCC_LIBDIR
    tcc_set_lib_path(s, ASLC_TCC_LIBDIR);
#endif
    /* The output type must come first: it sets up the library paths. */
    tcc_set_output_type(s, TCC_OUTPUT_MEMORY);
    tcc_set_options(s, "-std=c11");

    size_t hl = strlen(aslrt_header), cl = strlen(csrc);
    char *src = aslrtp_malloc(hl + cl + 64);
    memcpy(src, aslrt_header, hl);
    memcpy(src + hl, "#line 1 \"generated.c\"\n", 22);
    memcpy(src + hl + 22, csrc, cl + 1);

#define SYM(name) tcc_add_symbol(s, #name, (const void *)(name));
#include "aslrt_syms.inc"
#undef SYM

    /* The code in pages of its own, not in the heap: TinyCC makes its
     * part of them executable, which would split the heap's mapping and
     * keep a 2 MiB stretch of it off huge pages (runtime/alloc.c). */
    asl_jit *j = NULL;
    void *code = MAP_FAILED;
    int size = -1;
    if (tcc_compile_string(s, src) != -1 && (size = tcc_relocate(s, NULL)) > 0)
        code = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                    -1, 0);
    if (code == MAP_FAILED || tcc_relocate(s, code) < 0) {
        *err = e.text      ? e.text
               : size > 0 ? aslrtp_strdupf("cannot map %d bytes for the compiled code: %s", size,
                                           strerror(errno))
                          : aslrtp_strdup("TinyCC failed");
        e.text = NULL;
        if (code != MAP_FAILED)
            munmap(code, (size_t)size);
        tcc_delete(s);
    } else {
        const void *m = tcc_get_symbol(s, symbol);
        if (!m) {
            *err = aslrtp_strdupf("the generated code has no symbol %s", symbol);
            munmap(code, (size_t)size);
            tcc_delete(s);
        } else {
            j = aslrtp_calloc(1, sizeof *j);
            j->s = s;
            j->code = code;
            j->code_size = (size_t)size;
            j->machine = m;
        }
    }
    free(e.text);
    free(src);
    return j;
}

const aslrt_machine *asl_jit_machine(const asl_jit *j)
{
    return j->machine;
}

void asl_jit_destroy(asl_jit *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&tcc_lock);
    tcc_delete(j->s);
    pthread_mutex_unlock(&tcc_lock);
    munmap(j->code, j->code_size);
    asl_machine_free(j->built);
    free(j);
}

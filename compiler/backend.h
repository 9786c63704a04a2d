/*
 * backend.h - the interface every backend implements, and the one header a
 * backend includes besides ir.h.
 *
 * Backends take a finished asl_cfg and produce code; they report only I/O
 * failures and internal errors (C that TinyCC rejects is an aslc bug).
 */
#ifndef ASL_BACKEND_H
#define ASL_BACKEND_H

#include <stdbool.h>
#include <stdio.h>

#include "aslrt.h"
#include "ir.h"

typedef struct asl_emit_options {
    const char *prefix;      /* C identifier: exported symbol is <prefix>_machine */
    bool with_main;          /* also define main() calling aslrt_main */
    bool include_header;     /* #include "aslrt.h" (false when the caller prepends it) */
    bool code_only;          /* only the graph functions and <prefix>_graphs (machine.c
                                builds the rest in memory) */
    /* build: more C translation units linked in (the state machines the
     * workflow starts, and main(): children.c) */
    const char *const *units;
    size_t nunits;
} asl_emit_options;

/* emit_c.c: writes C11 source for c.  Returns false on a write error. */
bool asl_emit_c(FILE *out, const asl_cfg *c, const asl_emit_options *o);
/* emit_c.c: the same into a malloc'd string. */
char *asl_emit_c_string(const asl_cfg *c, const asl_emit_options *o);

/* ctext.c, the writers both emitters share (below them both): s (len
 * bytes, NULs included) as a C string literal, every byte outside printable
 * ASCII escaped in octal; NULL as 0. */
void asl_put_literal_n(FILE *out, const char *s, size_t len);
/* ctext.c: s in a C comment, sanitised and cut at 60 characters. */
void asl_put_comment_text(FILE *out, const char *s);
/* ctext.c: turns any file name into a C identifier
 * ("order-processing.asl.json" -> "order_processing"), in a malloc'd
 * string. */
char *asl_emit_c_identifier(const char *filename);
/* ctext.c: whether prefix may name the machine (<prefix>_machine): an
 * identifier that starts with a letter, outside the runtime's names. */
bool asl_emit_c_prefix_ok(const char *prefix);

/* emit_jsonata.c: writes the JSONata AST under root as static const
 * initializers: every node and list gets a name <prefix>_<n>, and the root
 * node itself is `static const aslrt_jn_node <prefix>`. */
struct aslrt_jn_node;
void asl_emit_jsonata(FILE *out, const struct aslrt_jn_node *root, const char *prefix);

/* machine.c: c's descriptor in memory, with graphs as its graph functions;
 * it copies what it points to, so it outlives c.  Freed with
 * asl_machine_free. */
aslrt_machine *asl_machine_build(const asl_cfg *c, const aslrt_graph_fn *graphs);
void asl_machine_free(aslrt_machine *m);

/* backend_tcc.c: compiles generated C in memory with libtcc. */
typedef struct asl_jit asl_jit;
/* Returns NULL with *err (malloc'd) when compilation fails. */
asl_jit *asl_jit_compile(const char *csrc, const char *prefix, char **err);
/* The same for c, with only its code through TinyCC: the tables are built
 * in memory (machine.c).  The jit needs nothing of c once made. */
asl_jit *asl_jit_compile_cfg(const asl_cfg *c, const char *prefix, char **err);
const aslrt_machine *asl_jit_machine(const asl_jit *j);
void asl_jit_destroy(asl_jit *j);

/* build.c: whether the executables built from now on are position
 * independent (aslc build --pie).  By default (gcc and clang) they are
 * linked at a fixed address: the static libcrypto and the runtime's tables
 * hold some 19,000 pointers that a position-independent program relocates
 * at every start, touching a hundred pages, about half its start-up
 * (doc/architecture.md, "Start-up"). */
void asl_build_set_pie(bool on);
/* build.c: whether the definition may have its program open a shared
 * library at run time (runtime/dynlib.c: a Task, an ItemReader or a
 * ResultWriter, or a string naming a digest or base64), erring
 * towards yes.  A program that cannot is linked statically unless --pie
 * (asl_build_set_static); it starts without a dynamic loader, about a
 * millisecond sooner here (doc/architecture.md, "Start-up"). */
bool asl_build_needs_libraries(const json_t *def);
void asl_build_set_static(bool on);

/* build.c: runs cc with args (its options and inputs, NULL-terminated),
 * then -o output, libaslrt.a and the libraries a workflow program links
 * (static archives where configure found them).  Shared by the C and LLVM
 * backends. */
bool asl_build_link(const char *cc, const char *const *args, const char *output, char **err);

/* build.c: compiles generated C into an executable with a C compiler
 * ("cc", "gcc", "clang", "tcc", or a path), linked against libaslrt.
 * optflag is "-O0".."-O3" (NULL: -O2); debug adds -g.  Returns false with
 * *err (malloc'd) on failure. */
bool asl_build_executable(const char *csrc, const char *output, const char *cc,
                          const char *optflag, bool debug, char **err);
/* build.c: the same for several translation units csrcs[0..n) (a workflow
 * and the state machines it starts, children.c), linked with the object
 * file obj (may be NULL: an LLVM-built workflow). */
bool asl_build_units(const char *const *csrcs, size_t n, const char *obj, const char *output,
                     const char *cc, const char *optflag, bool debug, char **err);

/* backend_llvm.c (configure --with-llvm): the same cfg as an LLVM module,
 * built with the LLVM-C API.  opt is 0..3 (LLVM's default<On> pipelines);
 * every function returns false / NULL with *err (malloc'd) on failure.
 * Defined only when aslc is built with LLVM (HAVE_LLVM in config.h). */
/* "LLVM 19.1.7": the version aslc was built with. */
const char *asl_llvm_version(void);
/* Writes the module as LLVM assembly (.ll) text to out. */
bool asl_llvm_emit_ir(FILE *out, const asl_cfg *c, const asl_emit_options *o, int opt,
                      char **err);
/* Writes an object file through LLVM's target machine and links it with cc
 * against libaslrt.a, as asl_build_executable does; debug adds -g to the
 * link only (the module carries no debug information). */
bool asl_llvm_build_executable(const asl_cfg *c, const asl_emit_options *o,
                               const char *output, const char *cc, int opt, bool debug,
                               char **err);
/* Compiles in memory with ORC LLJIT; the runtime's symbols are those of aslc. */
typedef struct asl_llvm_jit asl_llvm_jit;
asl_llvm_jit *asl_llvm_jit_compile(const asl_cfg *c, const char *prefix, int opt, char **err);
const aslrt_machine *asl_llvm_jit_machine(const asl_llvm_jit *j);
void asl_llvm_jit_destroy(asl_llvm_jit *j);
/* The functions above as the LLVM module aslc loads exports them: one
 * table, asl_llvm_module, checked by its version (compiler/llvm_load.c). */
#define ASL_LLVM_MODULE_VERSION 1
typedef struct asl_llvm_api {
    int version;              /* ASL_LLVM_MODULE_VERSION */
    const char *llvm;         /* asl_llvm_version() */
    bool (*emit_ir)(FILE *out, const asl_cfg *c, const asl_emit_options *o, int opt, char **err);
    bool (*build_executable)(const asl_cfg *c, const asl_emit_options *o, const char *output,
                             const char *cc, int opt, bool debug, char **err);
    asl_llvm_jit *(*jit_compile)(const asl_cfg *c, const char *prefix, int opt, char **err);
    const aslrt_machine *(*jit_machine)(const asl_llvm_jit *j);
    void (*jit_destroy)(asl_llvm_jit *j);
} asl_llvm_api;
extern const asl_llvm_api asl_llvm_module;
/* llvm_load.c, in aslc only: loads the module once; false with *err
 * (malloc'd) when it cannot be loaded. */
bool asl_llvm_available(char **err);
/* The layout LLVM gives the backend's type for the aslrt.h struct `name`
 * ("aslrt_state", ...) under the host's data layout: its size and the
 * offset of each field (at most max).  Returns the number of fields, or -1
 * for an unknown name.  The tests compare it with the C compiler's. */
int asl_llvm_struct_layout(const char *name, size_t *size, size_t *offsets, size_t max);

#endif /* ASL_BACKEND_H */

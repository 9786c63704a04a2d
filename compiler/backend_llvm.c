/*
 * backend_llvm.c - the LLVM backend: asl_cfg to an LLVM module, through the
 * LLVM-C API.  The only file that includes LLVM's headers (configure
 * --with-llvm).
 *
 * The module holds what emit_c.c writes as C: the constant tables (items
 * and their JSONata ASTs, comparisons, states, retriers, catchers, branch
 * lists) as constant globals whose types have the layout of the aslrt.h
 * structs, the region functions of emit_c.c (a block per state, blocks
 * for the failure checks, the Choice conditions and the recovery; a
 * transition out of the region returns the next state's index), per graph
 * a table of them and a function that calls them in a loop, the machine
 * descriptor `<prefix>_machine` and, when asked, `main`.  The
 * struct types are derived from the C declarations below (field kinds,
 * sizeof and offsetof of every member) and checked against LLVM's data
 * layout each time a module is built, so a changed aslrt.h cannot give a
 * silently wrong table.
 *
 * Three outputs: LLVM assembly (aslc emit), an object file linked with cc
 * against libaslrt.a (aslc build), and code in memory through ORC LLJIT
 * (aslc run), where the runtime's functions are handed over as absolute
 * symbols from the same table backend_tcc.c uses (aslrt_syms.inc).
 *
 * The code is written for opaque pointers (`ptr` only, the *2 builder
 * calls); LLVM 14 is switched to them once, by its command-line option.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Support.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <llvm/Config/llvm-config.h>

#include "aslrt_private.h"
#include "backend.h"
#include "config.h"
#include "paths.h"

#if LLVM_VERSION_MAJOR < 15
typedef LLVMJITCSymbolMapPair LLVMOrcCSymbolMapPair;
#endif

#ifndef ASLC_LIBDIR
#define ASLC_LIBDIR "/usr/local/lib"
#endif

/* ==== The aslrt.h structs, field by field ================================ */

/* Kind of a member: a pointer, an integer (of the member's size) or a
 * double.  Every member of each struct, in declaration order. */
enum { FK_PTR, FK_INT, FK_REAL };

#define ITEM_FIELDS(X)                                                             \
    X(aslrt_item, kind, INT) X(aslrt_item, text, PTR) X(aslrt_item, field, PTR)    \
    X(aslrt_item, exprs, PTR) X(aslrt_item, nexprs, INT) X(aslrt_item, value, PTR)

#define CMP_FIELDS(X)                                                              \
    X(aslrt_cmp, variable, INT) X(aslrt_cmp, op, INT) X(aslrt_cmp, operand, INT)   \
    X(aslrt_cmp, is_path, INT)

#define RULE_FIELDS(X)                                                             \
    X(aslrt_rule, kind, INT) X(aslrt_rule, arg, INT) X(aslrt_rule, nkids, INT)     \
    X(aslrt_rule, size, INT)

#define STATE_FIELDS(X)                                                            \
    X(aslrt_state, name, PTR) X(aslrt_state, type, INT) X(aslrt_state, jsonata, INT) \
    X(aslrt_state, resource, PTR) X(aslrt_state, timeout_seconds, INT)             \
    X(aslrt_state, timeout_path, INT) X(aslrt_state, heartbeat_seconds, INT)       \
    X(aslrt_state, heartbeat_path, INT) X(aslrt_state, seconds, INT)               \
    X(aslrt_state, timestamp, PTR) X(aslrt_state, seconds_path, INT)               \
    X(aslrt_state, timestamp_path, INT) X(aslrt_state, error, PTR)                 \
    X(aslrt_state, cause, PTR) X(aslrt_state, error_path, INT)                     \
    X(aslrt_state, cause_path, INT) X(aslrt_state, retrier, INT)                   \
    X(aslrt_state, nretriers, INT) X(aslrt_state, catcher, INT)                    \
    X(aslrt_state, ncatchers, INT) X(aslrt_state, branches, PTR)                   \
    X(aslrt_state, nbranches, INT) X(aslrt_state, processor, INT)                  \
    X(aslrt_state, items_path, INT) X(aslrt_state, item_selector, INT)             \
    X(aslrt_state, max_concurrency, INT) X(aslrt_state, max_concurrency_path, INT) \
    X(aslrt_state, distributed, INT) X(aslrt_state, tolerated_count, INT)          \
    X(aslrt_state, tolerated_percentage, REAL)                                     \
    X(aslrt_state, tolerated_count_path, INT)                                      \
    X(aslrt_state, tolerated_percentage_path, INT)                                 \
    X(aslrt_state, reader_resource, PTR) X(aslrt_state, reader_params, INT)        \
    X(aslrt_state, reader_config, INT) X(aslrt_state, reader_max_items, INT)       \
    X(aslrt_state, reader_max_items_path, INT) X(aslrt_state, batched, INT)        \
    X(aslrt_state, batch_max_items, INT) X(aslrt_state, batch_max_items_path, INT) \
    X(aslrt_state, batch_max_bytes, INT) X(aslrt_state, batch_max_bytes_path, INT) \
    X(aslrt_state, batch_input, INT) X(aslrt_state, writes, INT)                   \
    X(aslrt_state, writer_resource, PTR) X(aslrt_state, writer_params, INT)        \
    X(aslrt_state, writer_config, INT) X(aslrt_state, label, PTR)                  \
    X(aslrt_state, flow_input_path, INT) X(aslrt_state, flow_parameters, INT)      \
    X(aslrt_state, flow_result, INT) X(aslrt_state, flow_result_path, INT)         \
    X(aslrt_state, flow_output_path, INT)

#define RETRIER_FIELDS(X)                                                          \
    X(aslrt_retrier, errors, PTR) X(aslrt_retrier, nerrors, INT)                   \
    X(aslrt_retrier, interval, REAL) X(aslrt_retrier, max_attempts, INT)           \
    X(aslrt_retrier, backoff, REAL) X(aslrt_retrier, max_delay, INT)               \
    X(aslrt_retrier, jitter_full, INT)

#define CATCHER_FIELDS(X)                                                          \
    X(aslrt_catcher, errors, PTR) X(aslrt_catcher, nerrors, INT)                   \
    X(aslrt_catcher, result_path, INT) X(aslrt_catcher, assign, INT)               \
    X(aslrt_catcher, output, INT)

#define JN_FIELDS(X)                                                               \
    X(aslrt_jn_node, type, INT) X(aslrt_jn_node, op, INT) X(aslrt_jn_node, flags, INT) \
    X(aslrt_jn_node, position, INT) X(aslrt_jn_node, number, REAL)                 \
    X(aslrt_jn_node, str, PTR) X(aslrt_jn_node, len, INT) X(aslrt_jn_node, hash, INT) \
    X(aslrt_jn_node, str2, PTR) X(aslrt_jn_node, focus, PTR)                       \
    X(aslrt_jn_node, index, PTR) X(aslrt_jn_node, ancestor, PTR)                   \
    X(aslrt_jn_node, lhs, PTR) X(aslrt_jn_node, rhs, PTR) X(aslrt_jn_node, third, PTR) \
    X(aslrt_jn_node, items, PTR) X(aslrt_jn_node, nitems, INT)                     \
    X(aslrt_jn_node, nstages, INT) X(aslrt_jn_node, stages, PTR)                   \
    X(aslrt_jn_node, predicate, PTR) X(aslrt_jn_node, npredicate, INT)             \
    X(aslrt_jn_node, group, PTR)

#define MACHINE_FIELDS(X)                                                          \
    X(aslrt_machine, abi_version, INT) X(aslrt_machine, name, PTR)                 \
    X(aslrt_machine, source, PTR) X(aslrt_machine, items, PTR)                     \
    X(aslrt_machine, nitems, INT) X(aslrt_machine, states, PTR)                    \
    X(aslrt_machine, nstates, INT) X(aslrt_machine, cmps, PTR)                     \
    X(aslrt_machine, ncmps, INT) X(aslrt_machine, graphs, PTR)                     \
    X(aslrt_machine, ngraphs, INT) X(aslrt_machine, retriers, PTR)                 \
    X(aslrt_machine, nretriers, INT) X(aslrt_machine, catchers, PTR)               \
    X(aslrt_machine, ncatchers, INT) X(aslrt_machine, timeout_seconds, INT)        \
    X(aslrt_machine, flags, INT) X(aslrt_machine, rules, PTR)                      \
    X(aslrt_machine, nrules, INT)

#define FRAME_FIELDS(X)                                                            \
    X(aslrt_frame, raw, PTR) X(aslrt_frame, eff, PTR) X(aslrt_frame, res, PTR)     \
    X(aslrt_frame, input, PTR) X(aslrt_frame, state, INT)

typedef struct field_desc {
    int kind;
    size_t size, offset;
} field_desc;

typedef struct struct_desc {
    const char *name;
    const field_desc *fields;
    size_t nfields, size;
} struct_desc;

#define FIELD_DESC(T, f, K) {FK_##K, sizeof(((T *)0)->f), offsetof(T, f)},
#define FIELD_INDEX(T, f, K) T##__##f,
/* The index of member f of T in its LLVM struct type. */
#define FI(T, f) T##__##f

static const field_desc item_fields[] = {ITEM_FIELDS(FIELD_DESC)};
static const field_desc cmp_fields[] = {CMP_FIELDS(FIELD_DESC)};
static const field_desc rule_fields[] = {RULE_FIELDS(FIELD_DESC)};
static const field_desc state_fields[] = {STATE_FIELDS(FIELD_DESC)};
static const field_desc retrier_fields[] = {RETRIER_FIELDS(FIELD_DESC)};
static const field_desc catcher_fields[] = {CATCHER_FIELDS(FIELD_DESC)};
static const field_desc jn_fields[] = {JN_FIELDS(FIELD_DESC)};
static const field_desc machine_fields[] = {MACHINE_FIELDS(FIELD_DESC)};
static const field_desc frame_fields[] = {FRAME_FIELDS(FIELD_DESC)};

enum { ITEM_FIELDS(FIELD_INDEX) NITEM_FIELDS };
enum { STATE_FIELDS(FIELD_INDEX) NSTATE_FIELDS };
enum { RETRIER_FIELDS(FIELD_INDEX) NRETRIER_FIELDS };
enum { CATCHER_FIELDS(FIELD_INDEX) NCATCHER_FIELDS };
enum { JN_FIELDS(FIELD_INDEX) NJN_FIELDS };
enum { MACHINE_FIELDS(FIELD_INDEX) NMACHINE_FIELDS };

enum { SD_ITEM, SD_CMP, SD_RULE, SD_STATE, SD_RETRIER, SD_CATCHER, SD_JN, SD_MACHINE, SD_FRAME,
       SD_COUNT };

static const struct_desc structs[SD_COUNT] = {
    {"aslrt_item", item_fields, NITEM_FIELDS, sizeof(aslrt_item)},
    {"aslrt_cmp", cmp_fields, sizeof cmp_fields / sizeof cmp_fields[0], sizeof(aslrt_cmp)},
    {"aslrt_rule", rule_fields, sizeof rule_fields / sizeof rule_fields[0], sizeof(aslrt_rule)},
    {"aslrt_state", state_fields, NSTATE_FIELDS, sizeof(aslrt_state)},
    {"aslrt_retrier", retrier_fields, NRETRIER_FIELDS, sizeof(aslrt_retrier)},
    {"aslrt_catcher", catcher_fields, NCATCHER_FIELDS, sizeof(aslrt_catcher)},
    {"aslrt_jn_node", jn_fields, NJN_FIELDS, sizeof(aslrt_jn_node)},
    {"aslrt_machine", machine_fields, NMACHINE_FIELDS, sizeof(aslrt_machine)},
    {"aslrt_frame", frame_fields, sizeof frame_fields / sizeof frame_fields[0],
     sizeof(aslrt_frame)},
};

/* ==== LLVM set-up ======================================================== */

static pthread_once_t llvm_once = PTHREAD_ONCE_INIT;

static void llvm_init(void)
{
    LLVMInitializeNativeTarget();
    LLVMInitializeNativeAsmPrinter();
    LLVMInitializeNativeAsmParser();
#if LLVM_VERSION_MAJOR < 15
    /* LLVM 14 makes typed pointers unless told otherwise. */
    const char *argv[] = {"aslc", "-opaque-pointers"};
    LLVMParseCommandLineOptions(2, argv, NULL);
#endif
}

static char *dup_or_die(const char *s)
{
    return aslrtp_strdup(s ? s : "");
}

static char *fmt_error(const char *what, const char *detail)
{
    size_t n = strlen(what) + (detail ? strlen(detail) : 0) + 8;
    char *s = aslrtp_malloc(n);
    snprintf(s, n, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
    return s;
}

/* An LLVMErrorRef as a malloc'd message (consumes e). */
static char *take_error(const char *what, LLVMErrorRef e)
{
    char *msg = LLVMGetErrorMessage(e);
    char *s = fmt_error(what, msg);
    LLVMDisposeErrorMessage(msg);
    return s;
}

static const LLVMCodeGenOptLevel codegen_levels[] = {
    LLVMCodeGenLevelNone, LLVMCodeGenLevelLess, LLVMCodeGenLevelDefault,
    LLVMCodeGenLevelAggressive};

/* A target machine for this host: for the JIT with the host's CPU, for
 * object files the generic CPU of the triple (binaries run on any machine
 * of the architecture, as cc's do). */
static LLVMTargetMachineRef make_target_machine(int opt, bool host, char **err)
{
    char *triple = LLVMGetDefaultTargetTriple();
    LLVMTargetRef t;
    char *msg = NULL;
    if (LLVMGetTargetFromTriple(triple, &t, &msg)) {
        *err = fmt_error("no LLVM target for this machine", msg);
        LLVMDisposeMessage(msg);
        LLVMDisposeMessage(triple);
        return NULL;
    }
    char *cpu = host ? LLVMGetHostCPUName() : NULL;
    char *features = host ? LLVMGetHostCPUFeatures() : NULL;
    LLVMTargetMachineRef tm = LLVMCreateTargetMachine(
        t, triple, cpu ? cpu : "generic", features ? features : "",
        codegen_levels[opt < 0 ? 0 : opt > 3 ? 3 : opt], LLVMRelocPIC, LLVMCodeModelDefault);
    if (cpu)
        LLVMDisposeMessage(cpu);
    if (features)
        LLVMDisposeMessage(features);
    LLVMDisposeMessage(triple);
    if (!tm)
        *err = dup_or_die("cannot create an LLVM target machine");
    return tm;
}

/* LLVM's pass pipeline default<On> (the new pass manager). */
static bool run_passes(LLVMModuleRef m, LLVMTargetMachineRef tm, int opt, char **err)
{
    char pipeline[32];
    snprintf(pipeline, sizeof pipeline, "default<O%d>", opt < 0 ? 0 : opt > 3 ? 3 : opt);
    LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
    LLVMErrorRef e = LLVMRunPasses(m, pipeline, tm, po);
    LLVMDisposePassBuilderOptions(po);
    if (e) {
        *err = take_error("LLVM's optimiser failed", e);
        return false;
    }
    return true;
}

/* ==== Building the module ================================================ */

typedef struct gen {
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    LLVMTypeRef ptr, i32, f64, voidt;
    LLVMTypeRef st[SD_COUNT];
    const asl_cfg *c;
    /* JSONata nodes written so far (open addressing on the pointer) */
    const aslrt_jn_node **jn_keys;
    LLVMValueRef *jn_vals;
    size_t jn_cap, jn_n;
    /* the function being built; for a region's, each node's region and
     * block (those of the region being built) */
    LLVMValueRef fn, ex, frame;
    LLVMBasicBlockRef fail;
    const int *region_of;
    LLVMBasicBlockRef *nodes;
    int region;
} gen;

static void make_types(gen *g)
{
    g->ptr = LLVMPointerType(LLVMInt8TypeInContext(g->ctx), 0); /* opaque: `ptr` */
    g->i32 = LLVMInt32TypeInContext(g->ctx);
    g->f64 = LLVMDoubleTypeInContext(g->ctx);
    g->voidt = LLVMVoidTypeInContext(g->ctx);
    for (int s = 0; s < SD_COUNT; s++) {
        const struct_desc *d = &structs[s];
        LLVMTypeRef el[64];
        ASL_ASSERT(d->nfields <= 64);
        for (size_t i = 0; i < d->nfields; i++) {
            const field_desc *f = &d->fields[i];
            if (f->kind == FK_PTR)
                el[i] = g->ptr;
            else if (f->kind == FK_REAL) {
                ASL_ASSERT(f->size == sizeof(double));
                el[i] = g->f64;
            } else
                el[i] = LLVMIntTypeInContext(g->ctx, (unsigned)(8 * f->size));
        }
        char name[64];
        snprintf(name, sizeof name, "struct.%s", d->name);
        g->st[s] = LLVMStructCreateNamed(g->ctx, name);
        LLVMStructSetBody(g->st[s], el, (unsigned)d->nfields, 0);
    }
}

/* The types against the C compiler's layout, under the data layout td. */
static bool check_layouts(const gen *g, LLVMTargetDataRef td, char **err)
{
    for (int s = 0; s < SD_COUNT; s++) {
        const struct_desc *d = &structs[s];
        bool ok = LLVMABISizeOfType(td, g->st[s]) == d->size;
        for (size_t i = 0; ok && i < d->nfields; i++)
            ok = LLVMOffsetOfElement(td, g->st[s], (unsigned)i) == d->fields[i].offset;
        if (!ok) {
            *err = fmt_error("LLVM lays out this struct differently from the C compiler",
                             d->name);
            return false;
        }
    }
    return true;
}

static LLVMValueRef ci32(gen *g, long long v)
{
    return LLVMConstInt(g->i32, (unsigned long long)v, 1);
}

/* An integer constant of the type of member i of struct type st. */
static LLVMValueRef cfield(LLVMTypeRef st, unsigned i, long long v)
{
    return LLVMConstInt(LLVMStructGetTypeAtIndex(st, i), (unsigned long long)v, 1);
}

static void zero_fields(LLVMValueRef *vals, LLVMTypeRef st)
{
    unsigned n = LLVMCountStructElementTypes(st);
    for (unsigned i = 0; i < n; i++)
        vals[i] = LLVMConstNull(LLVMStructGetTypeAtIndex(st, i));
}

static LLVMValueRef add_const_global(gen *g, LLVMValueRef init, const char *name,
                                     LLVMLinkage linkage)
{
    LLVMValueRef gv = LLVMAddGlobal(g->mod, LLVMTypeOf(init), name);
    LLVMSetInitializer(gv, init);
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, linkage);
    return gv;
}

/* s (len bytes and a NUL) as a private constant; NULL as a null pointer. */
static LLVMValueRef cstr_n(gen *g, const char *s, size_t len)
{
    if (!s)
        return LLVMConstNull(g->ptr);
    LLVMValueRef init = LLVMConstStringInContext(g->ctx, s, (unsigned)len, 0);
    LLVMValueRef gv = add_const_global(g, init, ".str", LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
    LLVMSetAlignment(gv, 1);
    return gv;
}

static LLVMValueRef cstr(gen *g, const char *s)
{
    return cstr_n(g, s, s ? strlen(s) : 0);
}

/* An internal constant array of n elements of type t. */
static LLVMValueRef const_array(gen *g, LLVMTypeRef t, LLVMValueRef *vals, size_t n,
                                const char *name)
{
    return add_const_global(g, LLVMConstArray(t, vals, (unsigned)n), name,
                            LLVMInternalLinkage);
}

static LLVMValueRef jn_node(gen *g, const aslrt_jn_node *k);

/* A child list: a constant array of node pointers, or null when empty. */
static LLVMValueRef jn_list(gen *g, const aslrt_jn_node *const *v, int n)
{
    if (!v || n <= 0)
        return NULL;
    LLVMValueRef *el = aslrtp_reallocarray(NULL, (size_t)n, sizeof *el);
    for (int i = 0; i < n; i++)
        el[i] = v[i] ? jn_node(g, v[i]) : LLVMConstNull(g->ptr);
    LLVMValueRef gv = const_array(g, g->ptr, el, (size_t)n, "jn.list");
    free(el);
    return gv;
}

static size_t jn_slot(const gen *g, const aslrt_jn_node *k)
{
    size_t h = ((uintptr_t)k >> 4) * 0x9E3779B97F4A7C15ull;
    size_t i = h & (g->jn_cap - 1);
    while (g->jn_keys[i] && g->jn_keys[i] != k)
        i = (i + 1) & (g->jn_cap - 1);
    return i;
}

/* A node as a constant global, written once however often it is reached
 * (the parser may share subtrees); the global exists before its children,
 * so even a cycle would be written correctly. */
static LLVMValueRef jn_node(gen *g, const aslrt_jn_node *k)
{
    if (2 * (g->jn_n + 1) > g->jn_cap) {
        size_t ocap = g->jn_cap;
        const aslrt_jn_node **okeys = g->jn_keys;
        LLVMValueRef *ovals = g->jn_vals;
        g->jn_cap = ocap ? 2 * ocap : 256;
        g->jn_keys = aslrtp_calloc(g->jn_cap, sizeof *g->jn_keys);
        g->jn_vals = aslrtp_calloc(g->jn_cap, sizeof *g->jn_vals);
        for (size_t i = 0; i < ocap; i++)
            if (okeys[i]) {
                size_t j = jn_slot(g, okeys[i]);
                g->jn_keys[j] = okeys[i];
                g->jn_vals[j] = ovals[i];
            }
        free(okeys);
        free(ovals);
    }
    size_t slot = jn_slot(g, k);
    if (g->jn_keys[slot])
        return g->jn_vals[slot];
    LLVMTypeRef st = g->st[SD_JN];
    LLVMValueRef gv = LLVMAddGlobal(g->mod, st, "jn");
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMInternalLinkage);
    g->jn_keys[slot] = k;
    g->jn_vals[slot] = gv;
    g->jn_n++;

    LLVMValueRef v[NJN_FIELDS];
    zero_fields(v, st);
    v[FI(aslrt_jn_node, type)] = cfield(st, FI(aslrt_jn_node, type), k->type);
    v[FI(aslrt_jn_node, op)] = cfield(st, FI(aslrt_jn_node, op), k->op);
    v[FI(aslrt_jn_node, flags)] = cfield(st, FI(aslrt_jn_node, flags), k->flags);
    v[FI(aslrt_jn_node, position)] = cfield(st, FI(aslrt_jn_node, position), k->position);
    v[FI(aslrt_jn_node, number)] = LLVMConstReal(g->f64, k->number); /* keeps -0.0 */
    if (k->str) {
        v[FI(aslrt_jn_node, str)] = cstr_n(g, k->str, k->len);
        v[FI(aslrt_jn_node, len)] = cfield(st, FI(aslrt_jn_node, len), (long long)k->len);
    }
    v[FI(aslrt_jn_node, hash)] = cfield(st, FI(aslrt_jn_node, hash), (long long)k->hash);
    v[FI(aslrt_jn_node, str2)] = cstr(g, k->str2);
    v[FI(aslrt_jn_node, focus)] = cstr(g, k->focus);
    v[FI(aslrt_jn_node, index)] = cstr(g, k->index);
    v[FI(aslrt_jn_node, ancestor)] = cstr(g, k->ancestor);
    if (k->lhs)
        v[FI(aslrt_jn_node, lhs)] = jn_node(g, k->lhs);
    if (k->rhs)
        v[FI(aslrt_jn_node, rhs)] = jn_node(g, k->rhs);
    if (k->third)
        v[FI(aslrt_jn_node, third)] = jn_node(g, k->third);
    if (k->group)
        v[FI(aslrt_jn_node, group)] = jn_node(g, k->group);
    LLVMValueRef l;
    if ((l = jn_list(g, k->items, k->nitems))) {
        v[FI(aslrt_jn_node, items)] = l;
        v[FI(aslrt_jn_node, nitems)] = cfield(st, FI(aslrt_jn_node, nitems), k->nitems);
    }
    if ((l = jn_list(g, k->stages, k->nstages))) {
        v[FI(aslrt_jn_node, stages)] = l;
        v[FI(aslrt_jn_node, nstages)] = cfield(st, FI(aslrt_jn_node, nstages), k->nstages);
    }
    if ((l = jn_list(g, k->predicate, k->npredicate))) {
        v[FI(aslrt_jn_node, predicate)] = l;
        v[FI(aslrt_jn_node, npredicate)] =
            cfield(st, FI(aslrt_jn_node, npredicate), k->npredicate);
    }
    LLVMSetInitializer(gv, LLVMConstNamedStruct(st, v, NJN_FIELDS));
    return gv;
}

static LLVMValueRef emit_items(gen *g)
{
    const asl_cfg *c = g->c;
    LLVMTypeRef st = g->st[SD_ITEM];
    size_t n = c->nitems ? c->nitems : 1; /* C has no empty arrays: one zero item */
    LLVMValueRef *el = aslrtp_reallocarray(NULL, n, sizeof *el);
    for (size_t i = 0; i < n; i++) {
        LLVMValueRef v[NITEM_FIELDS];
        zero_fields(v, st);
        if (i < c->nitems) {
            const ir_item *it = &c->items[i];
            v[FI(aslrt_item, kind)] = cfield(st, FI(aslrt_item, kind), it->kind);
            v[FI(aslrt_item, text)] = cstr(g, it->text);
            if (it->kind == ASLRT_ITEM_JSONATA) {
                v[FI(aslrt_item, field)] = cstr(g, it->field);
                if (it->nexprs) {
                    LLVMValueRef *roots = aslrtp_reallocarray(NULL, it->nexprs, sizeof *roots);
                    for (size_t k = 0; k < it->nexprs; k++)
                        roots[k] = jn_node(g, it->exprs[k]);
                    char name[32];
                    snprintf(name, sizeof name, "jn%zu", i);
                    v[FI(aslrt_item, exprs)] = const_array(g, g->ptr, roots, it->nexprs, name);
                    v[FI(aslrt_item, nexprs)] =
                        cfield(st, FI(aslrt_item, nexprs), (long long)it->nexprs);
                    free(roots);
                }
            }
        }
        el[i] = LLVMConstNamedStruct(st, v, NITEM_FIELDS);
    }
    LLVMValueRef gv = const_array(g, st, el, n, "items");
    free(el);
    return gv;
}

/* An array of n structs of type sd whose members are all ints, four of
 * them (aslrt_cmp, aslrt_rule), from rows of four ints (an empty array is
 * one zero row, as emit_c.c writes it). */
static LLVMValueRef int_rows(gen *g, int sd, const int (*rows)[4], size_t n, const char *name)
{
    LLVMTypeRef st = g->st[sd];
    size_t len = n ? n : 1;
    LLVMValueRef *el = aslrtp_reallocarray(NULL, len, sizeof *el);
    for (size_t i = 0; i < len; i++) {
        LLVMValueRef v[4];
        zero_fields(v, st);
        for (unsigned k = 0; i < n && k < 4; k++)
            v[k] = cfield(st, k, rows[i][k]);
        el[i] = LLVMConstNamedStruct(st, v, 4);
    }
    LLVMValueRef gv = const_array(g, st, el, len, name);
    free(el);
    return gv;
}

_Static_assert(sizeof(aslrt_cmp) == 4 * sizeof(int) && sizeof(aslrt_rule) == 4 * sizeof(int),
               "aslrt_cmp and aslrt_rule are four ints");

static LLVMValueRef emit_cmps(gen *g)
{
    return int_rows(g, SD_CMP, (const int (*)[4])g->c->cmps, g->c->ncmps, "cmps");
}

static LLVMValueRef emit_rules(gen *g)
{
    return int_rows(g, SD_RULE, (const int (*)[4])g->c->rules, g->c->nrules, "rules");
}

/* The state descriptors, with exactly the values emit_c.c writes (some
 * fields only for the state types that have them). */
static LLVMValueRef emit_states(gen *g)
{
    const asl_cfg *c = g->c;
    LLVMTypeRef st = g->st[SD_STATE];
    LLVMValueRef *el = aslrtp_reallocarray(NULL, c->nstates ? c->nstates : 1, sizeof *el);
    for (size_t i = 0; i < c->nstates; i++) {
        const aslrt_state *s = &c->states[i];
        LLVMValueRef v[NSTATE_FIELDS];
        zero_fields(v, st);
#define STR(f) v[FI(aslrt_state, f)] = cstr(g, s->f)
#define INT(f) v[FI(aslrt_state, f)] = cfield(st, FI(aslrt_state, f), (long long)s->f)
        STR(name);
        INT(type);
        INT(jsonata);
        STR(resource);
        INT(timeout_seconds);
        INT(timeout_path);
        INT(heartbeat_seconds);
        INT(heartbeat_path);
        if (s->type == ASLRT_STATE_WAIT) /* -1: no Seconds field */
            INT(seconds);
        STR(timestamp);
        INT(seconds_path);
        INT(timestamp_path);
        STR(error);
        STR(cause);
        INT(error_path);
        INT(cause_path);
        if (s->nretriers) {
            INT(retrier);
            INT(nretriers);
        }
        if (s->ncatchers) {
            INT(catcher);
            INT(ncatchers);
        }
        if (c->branch_lists[i]) {
            LLVMValueRef *b = aslrtp_reallocarray(NULL, (size_t)s->nbranches + 1, sizeof *b);
            for (int j = 0; j < s->nbranches; j++)
                b[j] = ci32(g, c->branch_lists[i][j]);
            char name[64];
            snprintf(name, sizeof name, "branches%zu", i);
            v[FI(aslrt_state, branches)] = const_array(g, g->i32, b, (size_t)s->nbranches, name);
            free(b);
            INT(nbranches);
        }
        if (s->type == ASLRT_STATE_MAP) {
            INT(processor);
            INT(tolerated_count); /* -1: not given */
            v[FI(aslrt_state, tolerated_percentage)] = LLVMConstReal(g->f64, s->tolerated_percentage);
        }
        INT(items_path);
        INT(item_selector);
        INT(max_concurrency);
        INT(max_concurrency_path);
        INT(distributed);
        INT(tolerated_count_path);
        INT(tolerated_percentage_path);
        STR(reader_resource);
        INT(reader_params);
        INT(reader_config);
        INT(reader_max_items);
        INT(reader_max_items_path);
        INT(batched);
        INT(batch_max_items);
        INT(batch_max_items_path);
        INT(batch_max_bytes);
        INT(batch_max_bytes_path);
        INT(batch_input);
        INT(writes);
        STR(writer_resource);
        INT(writer_params);
        INT(writer_config);
        STR(label);
        INT(flow_input_path);
        INT(flow_parameters);
        INT(flow_result);
        INT(flow_result_path);
        INT(flow_output_path);
#undef STR
#undef INT
        el[i] = LLVMConstNamedStruct(st, v, NSTATE_FIELDS);
    }
    LLVMValueRef gv = const_array(g, st, el, c->nstates, "states");
    free(el);
    return gv;
}

static LLVMValueRef emit_errors(gen *g, const char *what, size_t i, const char **errors,
                                size_t n)
{
    LLVMValueRef *el = aslrtp_reallocarray(NULL, n ? n : 1, sizeof *el);
    for (size_t j = 0; j < n; j++)
        el[j] = cstr(g, errors[j]);
    char name[64];
    snprintf(name, sizeof name, "%s%zu_errors", what, i);
    LLVMValueRef gv = const_array(g, g->ptr, el, n, name);
    free(el);
    return gv;
}

static LLVMValueRef emit_retriers(gen *g)
{
    const asl_cfg *c = g->c;
    LLVMTypeRef st = g->st[SD_RETRIER];
    size_t n = c->nretriers ? c->nretriers : 1;
    LLVMValueRef *el = aslrtp_reallocarray(NULL, n, sizeof *el);
    for (size_t i = 0; i < n; i++) {
        LLVMValueRef v[NRETRIER_FIELDS];
        zero_fields(v, st);
        if (i < c->nretriers) {
            const ir_retrier *r = &c->retriers[i];
            v[FI(aslrt_retrier, errors)] = emit_errors(g, "retry", i, r->errors, r->nerrors);
            v[FI(aslrt_retrier, nerrors)] =
                cfield(st, FI(aslrt_retrier, nerrors), (int)r->nerrors);
            v[FI(aslrt_retrier, interval)] = LLVMConstReal(g->f64, r->interval);
            v[FI(aslrt_retrier, max_attempts)] =
                cfield(st, FI(aslrt_retrier, max_attempts), (int)r->max_attempts);
            v[FI(aslrt_retrier, backoff)] = LLVMConstReal(g->f64, r->backoff);
            v[FI(aslrt_retrier, max_delay)] =
                cfield(st, FI(aslrt_retrier, max_delay), (int)r->max_delay);
            v[FI(aslrt_retrier, jitter_full)] =
                cfield(st, FI(aslrt_retrier, jitter_full), r->jitter_full);
        }
        el[i] = LLVMConstNamedStruct(st, v, NRETRIER_FIELDS);
    }
    LLVMValueRef gv = const_array(g, st, el, n, "retriers");
    free(el);
    return gv;
}

static LLVMValueRef emit_catchers(gen *g)
{
    const asl_cfg *c = g->c;
    LLVMTypeRef st = g->st[SD_CATCHER];
    size_t n = c->ncatchers ? c->ncatchers : 1;
    LLVMValueRef *el = aslrtp_reallocarray(NULL, n, sizeof *el);
    for (size_t i = 0; i < n; i++) {
        LLVMValueRef v[NCATCHER_FIELDS];
        zero_fields(v, st);
        if (i < c->ncatchers) {
            const ir_catcher *k = &c->catchers[i];
            v[FI(aslrt_catcher, errors)] = emit_errors(g, "catch", i, k->errors, k->nerrors);
            v[FI(aslrt_catcher, nerrors)] =
                cfield(st, FI(aslrt_catcher, nerrors), (int)k->nerrors);
            v[FI(aslrt_catcher, result_path)] =
                cfield(st, FI(aslrt_catcher, result_path), k->result_path);
            v[FI(aslrt_catcher, assign)] = cfield(st, FI(aslrt_catcher, assign), k->assign);
            v[FI(aslrt_catcher, output)] = cfield(st, FI(aslrt_catcher, output), k->output);
        }
        el[i] = LLVMConstNamedStruct(st, v, NCATCHER_FIELDS);
    }
    LLVMValueRef gv = const_array(g, st, el, n, "catchers");
    free(el);
    return gv;
}

/* ---- graph functions ---------------------------------------------------- */

/* A call to runtime function `name` taking (ex, frame) and nargs more i32. */
static LLVMValueRef call_op(gen *g, const char *name, const int *args, int nargs)
{
    LLVMTypeRef params[8] = {g->ptr, g->ptr, g->i32, g->i32, g->i32, g->i32, g->i32, g->i32};
    ASL_ASSERT(nargs <= 6);
    LLVMTypeRef ft = LLVMFunctionType(g->i32, params, 2 + (unsigned)nargs, 0);
    LLVMValueRef fn = LLVMGetNamedFunction(g->mod, name);
    if (!fn)
        fn = LLVMAddFunction(g->mod, name, ft);
    LLVMValueRef a[8] = {g->ex, g->frame};
    for (int i = 0; i < nargs; i++)
        a[2 + i] = ci32(g, args[i]);
    return LLVMBuildCall2(g->b, ft, fn, a, 2 + (unsigned)nargs, "");
}

/* A call to a runtime function of any other signature. */
static LLVMValueRef call_fn(gen *g, const char *name, LLVMTypeRef ret, LLVMTypeRef *params,
                            LLVMValueRef *args, unsigned n)
{
    LLVMTypeRef ft = LLVMFunctionType(ret, params, n, 0);
    LLVMValueRef fn = LLVMGetNamedFunction(g->mod, name);
    if (!fn)
        fn = LLVMAddFunction(g->mod, name, ft);
    return LLVMBuildCall2(g->b, ft, fn, args, n, "");
}

/* A block placed after the one being filled, so that a state's blocks
 * stay together in the text. */
static LLVMBasicBlockRef new_block(gen *g, const char *name)
{
    LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(g->ctx, g->fn, name);
    LLVMBasicBlockRef cur = LLVMGetInsertBlock(g->b);
    if (cur && LLVMGetBasicBlockParent(cur) == g->fn)
        LLVMMoveBasicBlockAfter(bb, cur);
    return bb;
}

/* Branches on an op's result: nonzero to ok, zero to onfail; the builder
 * continues in ok. */
static void check_result(gen *g, LLVMValueRef r, LLVMBasicBlockRef ok, LLVMBasicBlockRef onfail)
{
    LLVMValueRef good = LLVMBuildICmp(g->b, LLVMIntNE, r, ci32(g, 0), "ok");
    LLVMBuildCondBr(g->b, good, ok, onfail);
    LLVMPositionBuilderAtEnd(g->b, ok);
}

/* One op: a runtime call that goes to onfail when it reports an error and
 * on to `cont` (a new block when NULL). */
static void emit_op(gen *g, const ir_op *o, LLVMBasicBlockRef onfail, LLVMBasicBlockRef cont)
{
    ir_op_call call = ir_op_runtime_call(o->kind);
    int args[2] = {o->arg, o->kind == IR_ASSIGN_RES};
    LLVMValueRef r = call_op(g, call.fn, args, call.nargs);
    check_result(g, r, cont ? cont : new_block(g, ""), onfail);
}

/* A call returning 1 true, 0 false, -1 error (to the fail block). */
static void branch_on_test(gen *g, LLVMValueRef r, LLVMBasicBlockRef t, LLVMBasicBlockRef f)
{
    LLVMValueRef err = LLVMBuildICmp(g->b, LLVMIntSLT, r, ci32(g, 0), "err");
    LLVMBasicBlockRef ok = new_block(g, "");
    LLVMBuildCondBr(g->b, err, g->fail, ok);
    LLVMPositionBuilderAtEnd(g->b, ok);
    LLVMValueRef yes = LLVMBuildICmp(g->b, LLVMIntNE, r, ci32(g, 0), "yes");
    LLVMBuildCondBr(g->b, yes, t, f);
}

/* Goes to t when k holds, to f when not; And and Or short-circuit, as AWS
 * evaluates them (emit_c.c's nested ifs as branches). */
static void emit_cond(gen *g, const ir_cond *k, LLVMBasicBlockRef t, LLVMBasicBlockRef f)
{
    switch (k->kind) {
    case ASL_RULE_TEST:
        branch_on_test(g, call_op(g, "aslrt_op_test", &k->cmp, 1), t, f);
        return;
    case ASL_RULE_CONDITION:
        if (k->item == ASLRT_NONE) {
            LLVMBuildBr(g->b, k->literal ? t : f);
            return;
        }
        branch_on_test(g, call_op(g, "aslrt_op_jn_condition", &k->item, 1), t, f);
        return;
    case ASL_RULE_NOT:
        emit_cond(g, k->kids[0], f, t);
        return;
    case ASL_RULE_AND:
    case ASL_RULE_OR:
        for (size_t i = 0; i + 1 < k->nkids; i++) {
            LLVMBasicBlockRef next = new_block(g, k->kind == ASL_RULE_AND ? "and" : "or");
            if (k->kind == ASL_RULE_AND)
                emit_cond(g, k->kids[i], next, f);
            else
                emit_cond(g, k->kids[i], t, next);
            LLVMPositionBuilderAtEnd(g->b, next);
        }
        emit_cond(g, k->kids[k->nkids - 1], t, f);
        return;
    }
    ASL_UNREACHABLE();
}

/* What a region function returns besides the next node's index (emit_c.c's
 * END and FAILED). */
enum { NEXT_END = -1, NEXT_FAILED = -2 };

/* On to node t: a branch inside the region, else back to the loop. */
static void go_to(gen *g, int t)
{
    if (t >= 0 && g->region_of[t] == g->region)
        LLVMBuildBr(g->b, g->nodes[t]);
    else
        LLVMBuildRet(g->b, ci32(g, t));
}

/* A Choice: its rules in order, each to the block of what it does once
 * chosen (one block for the arms that do the same, ir_choice_same). */
static void emit_choose(gen *g, const ir_node *n, size_t i)
{
    ASL_ASSERT(!n->recovers);
    char name[64];
    size_t last = n->next >= 0 ? n->narms : n->narms - 1; /* Default is arm narms */
    LLVMBasicBlockRef *arms = aslrtp_calloc(n->narms + 1, sizeof *arms);
    for (size_t j = last + 1; j-- > 0;) { /* each new block goes first */
        if (ir_choice_same(n, j) != j)
            continue;
        if (j < n->narms)
            snprintf(name, sizeof name, "s%zu.%zu", i, j);
        else
            snprintf(name, sizeof name, "s%zu.default", i);
        arms[j] = new_block(g, name);
    }
    if (n->rules >= 0) {
        /* rules as data: aslrt_op_choose picks the arm (emit_c.c's switch) */
        LLVMBasicBlockRef none = NULL;
        if (n->next < 0) {
            snprintf(name, sizeof name, "s%zu.nochoice", i);
            none = new_block(g, name);
        }
        LLVMValueRef r = call_op(g, "aslrt_op_choose", &n->rules, 1);
        LLVMValueRef sw = LLVMBuildSwitch(g->b, r, none ? none : arms[ir_choice_same(n, n->narms)],
                                          (unsigned)n->narms + 1);
        LLVMAddCase(sw, ci32(g, -1), g->fail);
        for (size_t j = 0; j < n->narms; j++)
            LLVMAddCase(sw, ci32(g, (int)j), arms[ir_choice_same(n, j)]);
        if (none) {
            LLVMPositionBuilderAtEnd(g->b, none);
            call_op(g, "aslrt_op_no_choice", NULL, 0);
            LLVMBuildBr(g->b, g->fail);
        }
    } else {
        for (size_t j = 0; j < n->narms; j++) {
            snprintf(name, sizeof name, "s%zu.rule%zu", i, j + 1);
            LLVMBasicBlockRef next = new_block(g, name);
            emit_cond(g, n->arms[j].cond, arms[ir_choice_same(n, j)], next);
            LLVMPositionBuilderAtEnd(g->b, next);
        }
        if (n->next >= 0)
            LLVMBuildBr(g->b, arms[ir_choice_same(n, n->narms)]);
        else {
            call_op(g, "aslrt_op_no_choice", NULL, 0);
            LLVMBuildBr(g->b, g->fail);
        }
    }
    for (size_t j = 0; j <= last; j++) {
        if (!arms[j])
            continue;
        LLVMPositionBuilderAtEnd(g->b, arms[j]);
        ir_chosen c = ir_choice_chosen(n, j);
        ir_op o = {n->jsonata ? IR_JN_ASSIGN : IR_ASSIGN_EFF, c.assign};
        if (c.assign != ASLRT_NONE)
            emit_op(g, &o, g->fail, NULL);
        o = (ir_op){IR_JN_OUTPUT, c.output};
        if (c.output != ASLRT_NONE)
            emit_op(g, &o, g->fail, NULL);
        for (size_t k = 0; k < n->nafter; k++)
            emit_op(g, &n->after_choice[k], g->fail, NULL);
        go_to(g, c.target);
    }
    free(arms);
}

/* Node i in its block of the region's function: the state's ops, its
 * Choice rules and its own Retry and Catch. */
static void emit_node(gen *g, const ir_graph *gr, size_t i)
{
    const ir_node *n = &gr->nodes[i];
    char name[64];
    LLVMPositionBuilderAtEnd(g->b, g->nodes[i]);
    /* A state with Retry or Catch: its ops after the entry go to the
     * recovery block, which retries from the try block, catches, or lets
     * the error stand. */
    LLVMBasicBlockRef onfail = g->fail, retry = NULL;
    if (n->recovers) {
        snprintf(name, sizeof name, "s%zu.try", i);
        retry = new_block(g, name);
        snprintf(name, sizeof name, "s%zu.error", i);
        onfail = new_block(g, name);
        LLVMMoveBasicBlockAfter(onfail, retry);
    }
    ir_branch br;
    if (ir_node_branch(n, &br)) {
        const int args[] = {br.state, br.cmp};
        LLVMBasicBlockRef t = new_block(g, ""), f = new_block(g, "");
        branch_on_test(g, call_op(g, "aslrt_op_branch", args, 2), t, f);
        LLVMPositionBuilderAtEnd(g->b, t);
        go_to(g, n->arms[0].target);
        LLVMPositionBuilderAtEnd(g->b, f);
        go_to(g, n->next);
        return;
    }
    ir_flow fl;
    if (ir_node_flow(n, &fl)) {
        const int args[] = {fl.state};
        check_result(g, call_op(g, "aslrt_op_flow", args, 1), new_block(g, ""), g->fail);
    } else {
        for (size_t j = 0; j < n->nops; j++)
            emit_op(g, &n->ops[j], j == 0 ? g->fail : onfail,
                    j == 0 && n->recovers ? retry : NULL);
    }
    switch (n->term) {
    case IR_GOTO:
        go_to(g, n->next);
        break;
    case IR_RETURN:
        go_to(g, NEXT_END);
        break;
    case IR_FAIL:
        call_op(g, "aslrt_op_fail", NULL, 0);
        LLVMBuildBr(g->b, g->fail);
        break;
    case IR_CHOOSE:
        emit_choose(g, n, i);
        break;
    }
    if (n->recovers) {
        LLVMPositionBuilderAtEnd(g->b, onfail);
        LLVMValueRef r = call_op(g, "aslrt_op_recover", NULL, 0);
        LLVMValueRef sw = LLVMBuildSwitch(g->b, r, g->fail, (unsigned)n->ncatch + 1);
        LLVMAddCase(sw, ci32(g, ASLRT_RETRY), retry);
        for (size_t k = 0; k < n->ncatch; k++) {
            snprintf(name, sizeof name, "s%zu.catch%zu", i, k);
            LLVMBasicBlockRef cb = new_block(g, name);
            LLVMAddCase(sw, ci32(g, (long long)k), cb);
            LLVMPositionBuilderAtEnd(g->b, cb);
            int arg = (int)k;
            LLVMValueRef ok = call_op(g, "aslrt_op_catch", &arg, 1);
            check_result(g, ok, new_block(g, ""), g->fail);
            go_to(g, n->catch_targets[k]);
            LLVMPositionBuilderAtEnd(g->b, onfail);
        }
    }
}

/* Region r of gr, nodes [lo, hi), as `i32 gG_rR(ptr ex, ptr f, i32 s)`
 * (asl_ir_regions): it starts at node s, one of its entries (marked in
 * entry), and returns the next node outside the region, NEXT_END or
 * NEXT_FAILED, as emit_c.c's do. */
static LLVMValueRef emit_region(gen *g, const ir_graph *gr, int r, size_t lo, size_t hi,
                                const bool *entry, LLVMTypeRef ft)
{
    char name[64];
    snprintf(name, sizeof name, "g%d_r%d", gr->id, r);
    g->fn = LLVMAddFunction(g->mod, name, ft);
    LLVMSetLinkage(g->fn, LLVMInternalLinkage);
    g->ex = LLVMGetParam(g->fn, 0);
    g->frame = LLVMGetParam(g->fn, 1);
    LLVMValueRef s = LLVMGetParam(g->fn, 2);
    LLVMSetValueName2(g->ex, "ex", 2);
    LLVMSetValueName2(g->frame, "f", 1);
    LLVMSetValueName2(s, "s", 1);
    g->region = r;
    LLVMBasicBlockRef start = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "entry");
    for (size_t i = lo; i < hi; i++) {
        snprintf(name, sizeof name, "s%zu", i);
        g->nodes[i] = LLVMAppendBasicBlockInContext(g->ctx, g->fn, name);
    }
    g->fail = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "fail");
    /* Entered at its first entry, or through a switch on s. */
    size_t first = hi, nentries = 0;
    for (size_t i = lo; i < hi; i++)
        if (entry[i] && nentries++ == 0)
            first = i;
    LLVMPositionBuilderAtEnd(g->b, start);
    if (nentries > 1) {
        LLVMValueRef sw = LLVMBuildSwitch(g->b, s, g->nodes[first], (unsigned)nentries - 1);
        for (size_t i = first + 1; i < hi; i++)
            if (entry[i])
                LLVMAddCase(sw, ci32(g, (long long)i), g->nodes[i]);
    } else
        LLVMBuildBr(g->b, g->nodes[first < hi ? first : lo]);
    for (size_t i = lo; i < hi; i++)
        emit_node(g, gr, i);
    /* The fail block is the function's last. */
    LLVMMoveBasicBlockAfter(g->fail, LLVMGetLastBasicBlock(g->fn));
    LLVMPositionBuilderAtEnd(g->b, g->fail);
    LLVMBuildRet(g->b, ci32(g, NEXT_FAILED));
    return g->fn;
}

/* A graph: its region functions, their constant table gG_steps (one
 * entry per node: the region that holds it), and the graph function,
 * which owns the frame and calls the regions in turn from the table until
 * one returns NEXT_END or NEXT_FAILED. */
static LLVMValueRef emit_graph(gen *g, const ir_graph *gr)
{
    LLVMTypeRef params[3] = {g->ptr, g->ptr, g->i32};
    LLVMTypeRef step_t = LLVMFunctionType(g->i32, params, 3, 0);
    int *region_of = aslrtp_calloc(gr->nnodes, sizeof *region_of);
    int nregions = asl_ir_regions(gr, region_of);
    /* The entries of the regions: the start, and every target of a
     * transition from another region. */
    bool *entry = aslrtp_calloc(gr->nnodes, sizeof *entry);
    entry[gr->start] = true;
    for (size_t i = 0; i < gr->nnodes; i++) {
        const ir_node *n = &gr->nodes[i];
        if (n->term == IR_GOTO || (n->term == IR_CHOOSE && n->next >= 0))
            entry[n->next] |= region_of[n->next] != region_of[i];
        for (size_t j = 0; n->term == IR_CHOOSE && j < n->narms; j++)
            entry[n->arms[j].target] |= region_of[n->arms[j].target] != region_of[i];
        for (size_t k = 0; k < n->ncatch; k++)
            entry[n->catch_targets[k]] |= region_of[n->catch_targets[k]] != region_of[i];
    }
    g->region_of = region_of;
    g->nodes = aslrtp_calloc(gr->nnodes, sizeof *g->nodes);
    LLVMValueRef *fns = aslrtp_calloc((size_t)nregions, sizeof *fns);
    for (size_t lo = 0, hi; lo < gr->nnodes; lo = hi) {
        for (hi = lo; hi < gr->nnodes && region_of[hi] == region_of[lo]; hi++)
            ;
        fns[region_of[lo]] = emit_region(g, gr, region_of[lo], lo, hi, entry, step_t);
    }
    LLVMValueRef *steps = aslrtp_reallocarray(NULL, gr->nnodes, sizeof *steps);
    for (size_t i = 0; i < gr->nnodes; i++)
        steps[i] = fns[region_of[i]];
    char name[64];
    snprintf(name, sizeof name, "g%d_steps", gr->id);
    LLVMValueRef table = const_array(g, g->ptr, steps, gr->nnodes, name);
    free(steps);
    free(fns);
    free(g->nodes);
    free(entry);
    free(region_of);
    g->nodes = NULL;
    g->region_of = NULL;

    snprintf(name, sizeof name, "graph%d", gr->id);
    g->fn = LLVMAddFunction(g->mod, name, LLVMFunctionType(g->ptr, params, 2, 0));
    LLVMSetLinkage(g->fn, LLVMInternalLinkage);
    LLVMValueRef ex = LLVMGetParam(g->fn, 0);
    LLVMValueRef input = LLVMGetParam(g->fn, 1);
    LLVMSetValueName2(ex, "ex", 2);
    LLVMSetValueName2(input, "input", 5);
    LLVMBasicBlockRef entry_bb = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "entry");
    LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "loop");
    LLVMBasicBlockRef out = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "out");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "done");
    LLVMBasicBlockRef fail = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "fail");

    LLVMPositionBuilderAtEnd(g->b, entry_bb);
    LLVMValueRef frame = LLVMBuildAlloca(g->b, g->st[SD_FRAME], "f");
    LLVMValueRef a[2] = {frame, input};
    call_fn(g, "aslrt_frame_init", g->voidt, params, a, 2);
    LLVMBuildBr(g->b, loop);

    /* loop: s = steps[s](ex, &f, s) while s >= 0 */
    LLVMPositionBuilderAtEnd(g->b, loop);
    LLVMValueRef s = LLVMBuildPhi(g->b, g->i32, "s");
    LLVMValueRef idx = LLVMBuildSExt(g->b, s, LLVMInt64TypeInContext(g->ctx), "");
    LLVMValueRef slot = LLVMBuildInBoundsGEP2(g->b, g->ptr, table, &idx, 1, "");
    LLVMValueRef fn = LLVMBuildLoad2(g->b, g->ptr, slot, "step");
    LLVMValueRef ca[3] = {ex, frame, s};
    LLVMValueRef next = LLVMBuildCall2(g->b, step_t, fn, ca, 3, "next");
    LLVMValueRef more = LLVMBuildICmp(g->b, LLVMIntSGE, next, ci32(g, 0), "more");
    LLVMBuildCondBr(g->b, more, loop, out);
    LLVMValueRef in_vals[2] = {ci32(g, gr->start), next};
    LLVMBasicBlockRef in_blocks[2] = {entry_bb, loop};
    LLVMAddIncoming(s, in_vals, in_blocks, 2);

    LLVMPositionBuilderAtEnd(g->b, out);
    LLVMValueRef end = LLVMBuildICmp(g->b, LLVMIntEQ, next, ci32(g, NEXT_END), "end");
    LLVMBuildCondBr(g->b, end, done, fail);
    LLVMPositionBuilderAtEnd(g->b, done);
    LLVMBuildRet(g->b, call_fn(g, "aslrt_frame_finish", g->ptr, params, &frame, 1));
    LLVMPositionBuilderAtEnd(g->b, fail);
    call_fn(g, "aslrt_frame_clear", g->voidt, params, &frame, 1);
    LLVMBuildRet(g->b, LLVMConstNull(g->ptr));
    return g->fn;
}

/* The whole module, in ctx, for the data layout dl and target triple. */
static LLVMModuleRef build_module(LLVMContextRef ctx, const char *dl, const char *triple,
                                  const asl_cfg *c, const asl_emit_options *o, char **err)
{
    gen g = {.ctx = ctx, .c = c};
    g.mod = LLVMModuleCreateWithNameInContext(c->source ? c->source : "machine", ctx);
    LLVMSetDataLayout(g.mod, dl);
    LLVMSetTarget(g.mod, triple);
    LLVMSetSourceFileName(g.mod, c->source ? c->source : "", c->source ? strlen(c->source) : 0);
    make_types(&g);
    LLVMTargetDataRef td = LLVMCreateTargetData(dl);
    bool ok = check_layouts(&g, td, err);
    LLVMDisposeTargetData(td);
    if (!ok) {
        LLVMDisposeModule(g.mod);
        return NULL;
    }
    g.b = LLVMCreateBuilderInContext(ctx);

    LLVMValueRef items = emit_items(&g);
    LLVMValueRef cmps = emit_cmps(&g);
    LLVMValueRef rules = emit_rules(&g);
    LLVMValueRef states = emit_states(&g);
    LLVMValueRef retriers = emit_retriers(&g);
    LLVMValueRef catchers = emit_catchers(&g);
    LLVMValueRef *fns = aslrtp_reallocarray(NULL, c->ngraphs ? c->ngraphs : 1, sizeof *fns);
    for (size_t i = 0; i < c->ngraphs; i++)
        fns[i] = emit_graph(&g, &c->graphs[i]);
    LLVMValueRef graphs = const_array(&g, g.ptr, fns, c->ngraphs, "graphs");
    free(fns);

    LLVMTypeRef st = g.st[SD_MACHINE];
    LLVMValueRef v[NMACHINE_FIELDS];
    zero_fields(v, st);
#define M(f) FI(aslrt_machine, f)
    v[M(abi_version)] = cfield(st, M(abi_version), ASLRT_ABI_VERSION);
    v[M(name)] = cstr(&g, c->name);
    v[M(source)] = cstr(&g, c->source);
    v[M(items)] = items;
    v[M(nitems)] = cfield(st, M(nitems), (int)c->nitems);
    v[M(states)] = states;
    v[M(nstates)] = cfield(st, M(nstates), (int)c->nstates);
    v[M(cmps)] = cmps;
    v[M(ncmps)] = cfield(st, M(ncmps), (int)c->ncmps);
    v[M(graphs)] = graphs;
    v[M(ngraphs)] = cfield(st, M(ngraphs), (int)c->ngraphs);
    v[M(retriers)] = retriers;
    v[M(nretriers)] = cfield(st, M(nretriers), (int)c->nretriers);
    v[M(catchers)] = catchers;
    v[M(ncatchers)] = cfield(st, M(ncatchers), (int)c->ncatchers);
    v[M(timeout_seconds)] = cfield(st, M(timeout_seconds), (int)c->timeout_seconds);
    v[M(flags)] = cfield(st, M(flags), c->flags & ASLRT_MACHINE_USES_CONTEXT);
    v[M(rules)] = rules;
    v[M(nrules)] = cfield(st, M(nrules), (int)c->nrules);
#undef M
    char *sym = aslrtp_malloc(strlen(o->prefix) + 16);
    sprintf(sym, "%s_machine", o->prefix);
    LLVMValueRef machine =
        add_const_global(&g, LLVMConstNamedStruct(st, v, NMACHINE_FIELDS), sym,
                         LLVMExternalLinkage);
    free(sym);

    if (o->with_main) {
        LLVMTypeRef mp[2] = {g.i32, g.ptr};
        g.fn = LLVMAddFunction(g.mod, "main", LLVMFunctionType(g.i32, mp, 2, 0));
        LLVMPositionBuilderAtEnd(g.b, new_block(&g, "entry"));
        LLVMTypeRef ap[3] = {g.ptr, g.i32, g.ptr};
        LLVMValueRef args[3] = {machine, LLVMGetParam(g.fn, 0), LLVMGetParam(g.fn, 1)};
        LLVMBuildRet(g.b, call_fn(&g, "aslrt_main", g.i32, ap, args, 3));
    }
    LLVMDisposeBuilder(g.b);
    free(g.jn_keys);
    free(g.jn_vals);

    char *msg = NULL;
    if (LLVMVerifyModule(g.mod, LLVMReturnStatusAction, &msg)) {
        *err = fmt_error("internal error: LLVM rejected the module", msg);
        LLVMDisposeMessage(msg);
        LLVMDisposeModule(g.mod);
        return NULL;
    }
    LLVMDisposeMessage(msg);
    return g.mod;
}

/* A module for object code or text, in a fresh context, with the passes
 * of level opt (none when opt < 0). */
static LLVMModuleRef module_for_target(LLVMContextRef ctx, LLVMTargetMachineRef tm,
                                       const asl_cfg *c, const asl_emit_options *o, int opt,
                                       char **err)
{
    LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
    char *dl = LLVMCopyStringRepOfTargetData(td);
    char *triple = LLVMGetTargetMachineTriple(tm);
    LLVMModuleRef m = build_module(ctx, dl, triple, c, o, err);
    LLVMDisposeMessage(dl);
    LLVMDisposeMessage(triple);
    LLVMDisposeTargetData(td);
    if (m && opt >= 0 && !run_passes(m, tm, opt, err)) {
        LLVMDisposeModule(m);
        return NULL;
    }
    return m;
}

/* ==== The three outputs ================================================== */

const char *asl_llvm_version(void)
{
    return "LLVM " LLVM_VERSION_STRING;
}

bool asl_llvm_emit_ir(FILE *out, const asl_cfg *c, const asl_emit_options *o, int opt,
                      char **err)
{
    pthread_once(&llvm_once, llvm_init);
    LLVMTargetMachineRef tm = make_target_machine(opt, false, err);
    if (!tm)
        return false;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef m = module_for_target(ctx, tm, c, o, opt, err);
    bool ok = m != NULL;
    if (m) {
        char *text = LLVMPrintModuleToString(m);
        if (fputs(text, out) == EOF) {
            *err = dup_or_die("cannot write the module");
            ok = false;
        }
        LLVMDisposeMessage(text);
        LLVMDisposeModule(m);
    }
    LLVMContextDispose(ctx);
    LLVMDisposeTargetMachine(tm);
    return ok;
}

/* Links obj into output with cc, as build.c links a C workflow. */
static bool link_object(const asl_emit_options *o, const char *obj, const char *output,
                        const char *cc, bool debug, char **err)
{
    /* With the C of the state machines it starts (children.c). */
    if (o->nunits)
        return asl_build_units(o->units, o->nunits, obj, output, cc, NULL, debug, err);
    const char *args[3];
    int n = 0;
    if (debug)
        args[n++] = "-g";
    args[n++] = obj;
    args[n] = NULL;
    return asl_build_link(cc, args, output, err);
}

bool asl_llvm_build_executable(const asl_cfg *c, const asl_emit_options *o,
                               const char *output, const char *cc, int opt, bool debug,
                               char **err)
{
    pthread_once(&llvm_once, llvm_init);
    LLVMTargetMachineRef tm = make_target_machine(opt, false, err);
    if (!tm)
        return false;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef m = module_for_target(ctx, tm, c, o, opt, err);
    bool ok = false;
    if (m) {
        char obj[] = "/tmp/aslc-XXXXXX.o";
        int fd = mkstemps(obj, 2);
        if (fd < 0)
            *err = dup_or_die(strerror(errno));
        else {
            close(fd);
            char *msg = NULL;
            if (LLVMTargetMachineEmitToFile(tm, m, obj, LLVMObjectFile, &msg)) {
                *err = fmt_error("LLVM cannot write the object file", msg);
                LLVMDisposeMessage(msg);
            } else
                ok = link_object(o, obj, output, cc, debug, err);
            unlink(obj);
        }
        LLVMDisposeModule(m);
    }
    LLVMContextDispose(ctx);
    LLVMDisposeTargetMachine(tm);
    return ok;
}

struct asl_llvm_jit {
    LLVMOrcLLJITRef jit;
    const aslrt_machine *machine;
};

/* Makes every aslrt_* function of aslc visible to the JIT'd code. */
static LLVMErrorRef define_runtime(LLVMOrcLLJITRef jit)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } syms[] = {
#define SYM(name) {#name, (void (*)(void))(name)},
#include "aslrt_syms.inc"
#undef SYM
    };
    size_t n = sizeof syms / sizeof syms[0];
    LLVMOrcCSymbolMapPair *pairs = aslrtp_calloc(n, sizeof *pairs);
    for (size_t i = 0; i < n; i++) {
        pairs[i].Name = LLVMOrcLLJITMangleAndIntern(jit, syms[i].name);
        pairs[i].Sym.Address = (LLVMOrcExecutorAddress)(uintptr_t)syms[i].fn;
        pairs[i].Sym.Flags.GenericFlags =
            LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable;
    }
    LLVMOrcMaterializationUnitRef mu = LLVMOrcAbsoluteSymbols(pairs, n);
    free(pairs);
    return LLVMOrcJITDylibDefine(LLVMOrcLLJITGetMainJITDylib(jit), mu);
}

asl_llvm_jit *asl_llvm_jit_compile(const asl_cfg *c, const char *prefix, int opt, char **err)
{
    pthread_once(&llvm_once, llvm_init);
    LLVMTargetMachineRef tm = make_target_machine(opt, true, err);
    if (!tm)
        return NULL;
    LLVMOrcLLJITBuilderRef jb = LLVMOrcCreateLLJITBuilder();
    LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(
        jb, LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm)); /* takes tm */
    LLVMOrcLLJITRef jit;
    LLVMErrorRef e = LLVMOrcCreateLLJIT(&jit, jb); /* takes jb */
    if (e) {
        *err = take_error("cannot create the LLVM JIT", e);
        return NULL;
    }
    if ((e = define_runtime(jit))) {
        *err = take_error("cannot define the runtime's symbols", e);
        LLVMOrcDisposeLLJIT(jit);
        return NULL;
    }
    /* libc, should code generation call memcpy or the like */
    LLVMOrcDefinitionGeneratorRef gen;
    e = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&gen, LLVMOrcLLJITGetGlobalPrefix(jit),
                                                             NULL, NULL);
    if (e) {
        *err = take_error("cannot search the process's symbols", e);
        LLVMOrcDisposeLLJIT(jit);
        return NULL;
    }
    LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(jit), gen);

    asl_emit_options o = {.prefix = prefix};
    LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
    LLVMModuleRef m = build_module(LLVMOrcThreadSafeContextGetContext(tsc),
                                   LLVMOrcLLJITGetDataLayoutStr(jit),
                                   LLVMOrcLLJITGetTripleString(jit), c, &o, err);
    if (m && opt > 0) {
        LLVMTargetMachineRef ptm = make_target_machine(opt, true, err);
        bool ok = ptm && run_passes(m, ptm, opt, err);
        if (ptm)
            LLVMDisposeTargetMachine(ptm);
        if (!ok) {
            LLVMDisposeModule(m);
            m = NULL;
        }
    }
    if (!m) {
        LLVMOrcDisposeThreadSafeContext(tsc);
        LLVMOrcDisposeLLJIT(jit);
        return NULL;
    }
    LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(m, tsc);
    LLVMOrcDisposeThreadSafeContext(tsc);
    if ((e = LLVMOrcLLJITAddLLVMIRModule(jit, LLVMOrcLLJITGetMainJITDylib(jit), tsm))) {
        *err = take_error("the LLVM JIT refused the module", e);
        LLVMOrcDisposeLLJIT(jit);
        return NULL;
    }
    char *sym = aslrtp_malloc(strlen(prefix) + 16);
    sprintf(sym, "%s_machine", prefix);
    LLVMOrcExecutorAddress addr = 0;
    e = LLVMOrcLLJITLookup(jit, &addr, sym);
    free(sym);
    if (e) {
        *err = take_error("the LLVM JIT cannot compile the module", e);
        LLVMOrcDisposeLLJIT(jit);
        return NULL;
    }
    asl_llvm_jit *j = aslrtp_calloc(1, sizeof *j);
    j->jit = jit;
    j->machine = (const aslrt_machine *)(uintptr_t)addr;
    return j;
}

const aslrt_machine *asl_llvm_jit_machine(const asl_llvm_jit *j)
{
    return j->machine;
}

void asl_llvm_jit_destroy(asl_llvm_jit *j)
{
    if (!j)
        return;
    LLVMErrorRef e = LLVMOrcDisposeLLJIT(j->jit);
    if (e)
        LLVMConsumeError(e);
    free(j);
}

int asl_llvm_struct_layout(const char *name, size_t *size, size_t *offsets, size_t max)
{
    int s = 0;
    while (s < SD_COUNT && strcmp(structs[s].name, name) != 0)
        s++;
    if (s == SD_COUNT)
        return -1;
    pthread_once(&llvm_once, llvm_init);
    char *err = NULL;
    LLVMTargetMachineRef tm = make_target_machine(0, true, &err);
    if (!tm) {
        free(err);
        return -1;
    }
    gen g = {.ctx = LLVMContextCreate()};
    make_types(&g);
    LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
    *size = (size_t)LLVMABISizeOfType(td, g.st[s]);
    unsigned n = LLVMCountStructElementTypes(g.st[s]);
    for (unsigned i = 0; i < n && i < max; i++)
        offsets[i] = (size_t)LLVMOffsetOfElement(td, g.st[s], i);
    LLVMDisposeTargetData(td);
    LLVMContextDispose(g.ctx);
    LLVMDisposeTargetMachine(tm);
    return (int)n;
}

/* What aslc calls through when it loads this backend as a module
 * (compiler/llvm_load.c): the module exports this table and nothing else. */
const asl_llvm_api asl_llvm_module = {
    .version = ASL_LLVM_MODULE_VERSION,
    .llvm = "LLVM " LLVM_VERSION_STRING,
    .emit_ir = asl_llvm_emit_ir,
    .build_executable = asl_llvm_build_executable,
    .jit_compile = asl_llvm_jit_compile,
    .jit_machine = asl_llvm_jit_machine,
    .jit_destroy = asl_llvm_jit_destroy,
};

/*
 * private.h - what value.c, parse.c and eval.c share and nobody else sees:
 * the layout of a context (the arena, the error handler, the evaluator's
 * state and caches) and a few internal helpers.  The library modules
 * (regex.c, fn_*.c, asl.c) use jsonata.h only.
 */
#ifndef ASLRT_JSONATA_PRIVATE_H
#define ASLRT_JSONATA_PRIVATE_H

#include <setjmp.h>

#include "jsonata.h"

/* One block of the arena. */
typedef struct jn_chunk {
    struct jn_chunk *next;
    size_t size;                /* usable bytes after the header */
} jn_chunk;

/* A variable frame: jsonata-js createFrame().  Bindings are few, so a
 * small array scanned by hash beats a hash table. */
typedef struct jn_binding {
    const char *name;
    size_t len;
    uint32_t hash;
    jn_value *value;            /* NULL: bound to undefined */
} jn_binding;

typedef struct jn_frame {
    struct jn_frame *parent;
    jn_binding *b;
    int n, cap;
    jn_binding inl[4];          /* the first bindings, without allocation */
} jn_frame;

/* Where an error raised inside an evaluation gets its position and token
 * from as it travels outwards (jsonata-js's catch blocks in
 * evaluateFunction, applyInner and the boolean operators), kept as a
 * stack of records so that the common path costs no setjmp. */
typedef struct jn_catch {
    struct jn_catch *up;
    int kind;                   /* JN_CATCH_* */
    int position;
    const char *token;
} jn_catch;

enum {
    JN_CATCH_CALL = 1,          /* fills position and token when unset */
    JN_CATCH_OVERRIDE           /* sets position and token (and/or) */
};

/* A small open-addressing map from a pointer key to a pointer, in the
 * arena (caches of builtins and parsed signatures). */
typedef struct jn_ptrmap {
    const void **keys;
    void **vals;
    size_t n, cap;
} jn_ptrmap;

#define JN_SLOTS 4

/* Values nested deeper than this are refused by the recursive walks
 * (conversion to text or JSON, descendants) instead of overflowing the
 * C stack; JSON documents never come close. */
#define JN_MAX_NESTING 10000

struct jn_ctx {
    /* arena */
    jn_chunk *chunks;           /* the current chunk first */
    char *cur, *end;
    size_t total;               /* bytes in chunks (for growth) */

    jn_options opt;

    /* errors */
    jmp_buf *jmp;               /* innermost handler, NULL outside */
    jn_error *err;              /* filled by jn_fail before the jump */
    jn_error errbuf;
    jn_catch *catches;
    int call_position;          /* the function call being evaluated */
    const char *call_token;

    /* evaluator */
    jn_frame *top;              /* jn_bind's frame (child of nothing) */
    int depth, max_depth;
    const char *stack_base;     /* address of a local of jn_eval */
    size_t stack_limit;         /* bytes evaluation may use below it */
    const char *stack_low;      /* the lowest address of the thread's stack */
    unsigned long stack_thread; /* the thread stack_low belongs to */
    bool stack_known;
    long long deadline_ms;      /* monotonic ms, 0: none */
    unsigned tick;
    long long now_ms;
    uint64_t rng[4];
    bool rng_seeded;

    /* caches (arena: cleared by reset) */
    jn_ptrmap builtins;         /* table entry -> its function value */
    jn_value *builtin_names;    /* name -> function value, or a miss marker */
    jn_ptrmap sigs;             /* signature text -> parsed signature */
    jn_value *chain;            /* function composition helper, lazily */

    /* the evaluator's apply, set by jn_ctx_create (eval.c): jn_apply calls
     * it, so that the natives depend on value.c only */
    jn_value *(*apply)(jn_ctx *cx, jn_value *fn, jn_value *const *args, int nargs);

    /* storage of library modules, kept across resets */
    void *slot[JN_SLOTS];
    void (*slot_free[JN_SLOTS])(void *);
};

/* ---- value.c ---- */

/* The hash of a name, as stored in nodes and frames. */
uint32_t jn_hash(const char *s, size_t len);

/* Pointer maps. */
void *jn_ptrmap_get(const jn_ptrmap *m, const void *key);
void jn_ptrmap_put(jn_ctx *cx, jn_ptrmap *m, const void *key, void *val);

/* JSON.stringify(v) as jsonata-js's error messages insert {{value}}
 * (plain JavaScript number text, no toPrecision): into buf, truncated. */
void jn_render_value(const jn_value *v, char *buf, size_t size);

/* Fills an error (message from the template) and jumps to the handler.
 * value2 fills {{value2}}, type {{type}}. */
_Noreturn void jn_raise(jn_ctx *cx, const char *code, int position, const char *token,
                        const jn_value *value, const jn_value *value2, int index,
                        const char *type);

/* A copy of an array's items in a new array (flags cleared). */
jn_value *jn_array_copy(jn_ctx *cx, const jn_value *a);

/* jn_object_set without copying the key (key must outlive the value). */
void jn_object_set_ref(jn_ctx *cx, jn_value *obj, const char *key, size_t len, jn_value *v);

/* Frames. */
jn_frame *jn_frame_create(jn_ctx *cx, jn_frame *parent);
void jn_frame_bind(jn_ctx *cx, jn_frame *f, const char *name, size_t len, uint32_t hash,
                   jn_value *v);
/* Sets *found; returns the value (NULL for undefined). */
jn_value *jn_frame_lookup(const jn_frame *f, const char *name, size_t len, uint32_t hash,
                          bool *found);

/* ---- parse.c: signatures ---- */

/* The symbols a signature matches arguments by (getSymbol of
 * signature.js), as bits. */
enum {
    JN_SYM_A = 1, JN_SYM_S = 2, JN_SYM_N = 4, JN_SYM_B = 8, JN_SYM_L = 16,
    JN_SYM_F = 32, JN_SYM_O = 64, JN_SYM_M = 128
};

enum { JN_Q_OPT = 1, JN_Q_PLUS = 2, JN_Q_LAZY = 4 };

typedef struct jn_sig_param {
    unsigned char cls;          /* JN_SYM_* accepted */
    unsigned char ctx_cls;      /* '-': what the context value must be */
    unsigned char quant;        /* JN_Q_* */
    bool context;               /* '-' */
    char type;                  /* 's', 'n', ..., 'a', 'f', '(' */
    const char *subtype;        /* a<...>, f<...>: the text inside, or NULL */
} jn_sig_param;

typedef struct jn_sig {
    int n;
    jn_sig_param *p;
} jn_sig;

/* Checks a signature's text: NULL when valid, else the error code (S0401,
 * S0402) with *offset and the {{value}} text in bad. */
const char *jn_sig_check(const char *text, int *offset, char *bad, size_t badsize);
/* Parses a (valid) signature into the arena. */
jn_sig *jn_sig_parse(jn_ctx *cx, const char *text);
/* Matches the symbol string syms[0..n) against the signature: true with
 * caps[i] = (start, length) of each parameter's match.  With anchored
 * false, matches a prefix against the first nparams parameters and sets
 * *matched to its length (for T0410's argument index). */
bool jn_sig_match(const jn_sig *sig, int nparams, const unsigned char *syms, int n,
                  bool anchored, int (*caps)[2], int *matched);

/* A context with its arena and state but no evaluator (cx->apply unset):
 * jn_ctx_create's first half. */
jn_ctx *jn_ctx_new(const jn_options *opt);

/* The arena state after jn_ctx_create/reset: the top frame. */
void jn_ctx_init_state(jn_ctx *cx);

#endif

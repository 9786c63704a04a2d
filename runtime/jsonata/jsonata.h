/*
 * jsonata.h - JSONata 2.0.6 inside libaslrt: values, parser, evaluator and
 * function library.  Internal to the runtime and the compiler; never
 * installed, never seen by generated code (which sees only the AST node
 * type, aslrt_jn_node, in aslrt.h).
 *
 * Files (runtime/jsonata/README.md tells the rules they share):
 *   value.c      arena, values, conversion to and from jansson, JavaScript
 *                number text, $string's JSON, deep equality, errors
 *   parse.c      tokenizer and Pratt parser (parser.js), AST processing
 *                (ast_optimize), errors S0xxx with positions; signatures
 *   eval.c       the evaluator (jsonata.js), function application,
 *                partial application, signatures, errors T/D/U codes
 *   regex.c      regular expressions (PCRE2: jn_regex_*) and the functions
 *                taking a pattern: $contains, $split, $match, $replace
 *   fn_string.c  the other string functions, encodings
 *   fn_number.c  numeric functions, $formatNumber, $formatBase, $random
 *   fn_time.c    $now, $millis, $fromMillis, $toMillis and the picture
 *                strings of datetime.js, $formatInteger, $parseInteger
 *   fn_coll.c    array, object, aggregation, boolean, higher-order
 *   asl.c        JSONata inside ASL: the fields' {% %} templates, the
 *                Step Functions functions
 *   compiler/emit_jsonata.c  the AST as static C initializers (aslc emit)
 *
 * Semantics follow the reference implementation (jsonata-js 2.0.6) exactly:
 * its test suite (tests/run-jsonata-suite.sh runs it) is the specification.
 *
 * Memory: every jn_value of an evaluation lives in the evaluation's arena
 * (jn_ctx) and is never freed on its own; jn_ctx_reset frees them all at
 * once.  Values are immutable once built and may be shared freely.
 *
 * Errors: jn_fail* longjmp to the innermost jn_eval/jn_try of the context.
 * Nothing between needs cleaning up (the arena owns everything), so natives
 * simply call jn_fail when their arguments are wrong.
 */
#ifndef ASLRT_JSONATA_H
#define ASLRT_JSONATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "aslrt.h"

typedef struct jn_ctx jn_ctx;
typedef struct jn_value jn_value;   /* NULL is JSONata's undefined */
typedef struct jn_function jn_function;
typedef struct aslrt_jn_node jn_node; /* defined in aslrt.h */

/* ==== values ============================================================ */

enum jn_type {
    JN_NULL = 1,
    JN_BOOLEAN,
    JN_NUMBER,
    JN_STRING,
    JN_ARRAY,
    JN_OBJECT,
    JN_FUNCTION     /* lambdas, natives, partial applications, regexes */
};

/* Flags of arrays, as jsonata-js marks its arrays. */
enum {
    JN_SEQUENCE = 1 << 0,        /* a result sequence (createSequence) */
    JN_KEEP_SINGLETON = 1 << 1,  /* keepSingleton: [..] in a path step */
    JN_OUTER_WRAPPER = 1 << 2,   /* outerWrapper */
    JN_TUPLE_STREAM = 1 << 3,    /* tupleStream */
    JN_CONS = 1 << 4             /* cons: built by an array constructor */
};

typedef struct jn_member {
    const char *key;             /* UTF-8, NUL-terminated */
    size_t key_len;
    jn_value *value;
} jn_member;

struct jn_value {
    uint8_t type;                /* enum jn_type */
    uint8_t flags;               /* arrays: JN_SEQUENCE, ... */
    union {
        bool boolean;
        double number;
        struct {
            const char *s;       /* UTF-8, NUL-terminated (may hold NULs) */
            size_t len;          /* bytes */
        } string;
        struct {
            jn_value **items;    /* never NULL entries */
            size_t n, cap;
        } array;
        struct {
            jn_member *members;  /* in insertion order */
            size_t n, cap;
            uint32_t *index;     /* hash index once n grows, or NULL */
            size_t index_cap;
        } object;
        jn_function *function;
    } u;
};

/* Shared constants (never written). */
extern jn_value jn_null_value, jn_true_value, jn_false_value;
#define JN_NULLV (&jn_null_value)
#define JN_TRUE (&jn_true_value)
#define JN_FALSE (&jn_false_value)
static inline jn_value *jn_bool(bool b) { return b ? JN_TRUE : JN_FALSE; }

jn_value *jn_number(jn_ctx *cx, double d);
/* Copies s into the arena. */
jn_value *jn_string(jn_ctx *cx, const char *s, size_t len);
jn_value *jn_cstring(jn_ctx *cx, const char *s);
/* Takes s as it is: s must live as long as the value (arena or static). */
jn_value *jn_string_ref(jn_ctx *cx, const char *s, size_t len);
jn_value *jn_array(jn_ctx *cx, size_t cap_hint);
jn_value *jn_sequence(jn_ctx *cx);          /* array with JN_SEQUENCE */
void jn_array_push(jn_ctx *cx, jn_value *arr, jn_value *v); /* v != NULL */
jn_value *jn_object(jn_ctx *cx);
/* Sets key (copied) to v, replacing an existing member in place. */
void jn_object_set(jn_ctx *cx, jn_value *obj, const char *key, size_t len, jn_value *v);
/* The member's value, or NULL (undefined). */
jn_value *jn_object_get(const jn_value *obj, const char *key, size_t len);
/* Removes a member; false when there was none.  (Only for values the
 * caller has just built, as the transform operator's copy.) */
bool jn_object_delete(jn_ctx *cx, jn_value *obj, const char *key, size_t len);
/* Numbers and strings are allocated short (only their part of the union):
 * never copy a jn_value by value, copy the pointer. */

static inline bool jn_is_array(const jn_value *v) { return v && v->type == JN_ARRAY; }
static inline bool jn_is_sequence(const jn_value *v)
{
    return v && v->type == JN_ARRAY && (v->flags & JN_SEQUENCE);
}
static inline bool jn_is_object(const jn_value *v) { return v && v->type == JN_OBJECT; }
static inline bool jn_is_string(const jn_value *v) { return v && v->type == JN_STRING; }
static inline bool jn_is_number(const jn_value *v) { return v && v->type == JN_NUMBER; }
static inline bool jn_is_function(const jn_value *v) { return v && v->type == JN_FUNCTION; }
/* jsonata-js isArrayOfStrings / isArrayOfNumbers (empty arrays qualify). */
bool jn_is_array_of_strings(const jn_value *v);
bool jn_is_array_of_numbers(const jn_value *v);

/* The type name $type gives: "null", "number", "string", "boolean",
 * "array", "object", "function"; NULL for undefined. */
const char *jn_type_name(const jn_value *v);

/* Deep equality as jsonata-js isDeepEqual (the = operator, $distinct). */
bool jn_deep_equal(const jn_value *a, const jn_value *b);

/* JavaScript truthiness as $boolean defines it (arrays per element,
 * functions false, ...). */
bool jn_boolean_of(const jn_value *v);
/* JavaScript truthiness (an `if` on the value): every array, object and
 * function is true. */
bool jn_js_truthy(const jn_value *v);

/* ==== text ============================================================== */

/* Writes d as JavaScript's Number.prototype.toString does (shortest
 * round-trip digits; exponent form below 1e-6 and from 1e21).  d must be
 * finite.  Returns the length; buf needs 32 bytes. */
int jn_format_number(double d, char *buf);

/* $string(v, prettify): JSON.stringify with numbers through toPrecision(15)
 * and functions as "" (jsonata-js's $string).  Strings come back as they
 * are; undefined gives NULL.  Throws D3001 for non-finite numbers. */
jn_value *jn_stringify(jn_ctx *cx, jn_value *v, bool pretty);

/* UTF-8 helpers: JSONata counts characters as code points ($length,
 * $substring, $pad, ...). */
size_t jn_utf8_count(const char *s, size_t len);
/* Byte offset of code point number cp (clamped to len). */
size_t jn_utf8_offset(const char *s, size_t len, size_t cp);

/* ==== conversion ======================================================== */

/* A jansson value as a JSONata value (numbers become doubles; strings are
 * referenced, not copied: j must outlive the evaluation). */
jn_value *jn_from_json(jn_ctx *cx, json_t *j);
/* The same with strings and keys copied into the arena: j may be freed
 * before the evaluation ends. */
jn_value *jn_from_json_copy(jn_ctx *cx, json_t *j);

/* The JSON of a result, as JSON.stringify would see it: sequences become
 * arrays, functions inside arrays become null and inside objects are left
 * out, integral doubles within 2^53 become json integers.  Returns NULL
 * for undefined or a top-level function (*unsupported set to true for the
 * latter, and for a value nested more than 10,000 levels deep). */
json_t *jn_to_json(const jn_value *v, bool *unsupported);

/* ==== the context of an evaluation ===================================== */

typedef jn_value *(*jn_native_fn)(jn_ctx *cx, jn_value *const *args, int nargs,
                                  void *data);

/* A built-in function: name without '$', the JSONata signature as in
 * jsonata-js (e.g. "<s-nn?:s>"), and the implementation.  The evaluator
 * validates and coerces arguments against the signature before the call
 * (context argument for '-', T0410/T0411/T0412 errors), so natives get
 * checked arguments: args[i] may be NULL (undefined) where the signature
 * allows it, and nargs counts the arguments supplied after validation. */
typedef struct jn_builtin {
    const char *name;
    const char *signature;
    jn_native_fn fn;
} jn_builtin;

/* The function tables, each ended by { NULL }. */
extern const jn_builtin jn_builtins_string[];   /* fn_string.c */
extern const jn_builtin jn_builtins_regex[];    /* regex.c */
extern const jn_builtin jn_builtins_number[];   /* fn_number.c */
extern const jn_builtin jn_builtins_time[];     /* fn_time.c */
extern const jn_builtin jn_builtins_coll[];     /* fn_coll.c */

typedef struct jn_options {
    /* Extra functions (ASL's $partition, $hash, ...), looked up before the
     * built-ins, with `data` handed to them. */
    const jn_builtin *extra;
    void *extra_data;
    int max_depth;          /* evaluation depth cap (U1001); 0: default */
    long time_limit_ms;     /* U1001 timeout (test suite); 0: none */
    long long now_ms;       /* $now()/$millis(); < 0: read the clock once */
} jn_options;

jn_ctx *jn_ctx_create(const jn_options *opt);
/* Frees every value of the context and its bindings. */
void jn_ctx_reset(jn_ctx *cx);
void jn_ctx_destroy(jn_ctx *cx);

/* Arena allocation: zeroed, aligned for any type, freed by reset. */
void *jn_alloc(jn_ctx *cx, size_t size);
char *jn_strndup(jn_ctx *cx, const char *s, size_t len);
/* printf into the arena. */
char *jn_printf(jn_ctx *cx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The options' extra data; the time $now()/$millis() report (fixed for
 * the whole evaluation); a per-context random generator in [0,1). */
void *jn_user_data(jn_ctx *cx);
long long jn_now_ms(jn_ctx *cx);
double jn_random(jn_ctx *cx);

/* Binds $name in the context's top frame (bindings, $states, variables). */
void jn_bind(jn_ctx *cx, const char *name, jn_value *v);

/* Storage a library module keeps per context across resets (the regex
 * cache): slot JN_SLOT_*; destroy (may be NULL) is called on the stored
 * pointer by jn_ctx_destroy, or when the slot is set again. */
enum { JN_SLOT_REGEX = 0, JN_SLOT_STRING, JN_SLOT_NUMBER, JN_SLOT_TIME };
void *jn_ctx_get_slot(jn_ctx *cx, int slot);
void jn_ctx_set_slot(jn_ctx *cx, int slot, void *p, void (*destroy)(void *));

/* ==== errors ============================================================ */

typedef struct jn_error {
    char code[16];          /* "T1006", "S0202", "D3001", ..., "States.Runtime" */
    int position;           /* character offset (1-based end as jsonata-js) or -1 */
    char token[64];         /* the offending token, when there is one */
    char message[512];      /* the message as jsonata-js words it */
} jn_error;

/* Raises an error and does not return.  The position defaults to that of
 * the function call being evaluated; token and value fill the message's
 * {{token}} and {{value}} (value may be NULL); index fills {{index}}. */
_Noreturn void jn_fail(jn_ctx *cx, const char *code, const char *token,
                       jn_value *value, int index);
_Noreturn void jn_fail_at(jn_ctx *cx, const char *code, int position,
                          const char *token, jn_value *value, int index);
/* An error with a ready message (the regex engine's, say). */
_Noreturn void jn_fail_msg(jn_ctx *cx, const char *code, const char *message);

/* The message template of a code, as jsonata-js's errorCodes table. */
const char *jn_error_template(const char *code);

/* Runs body(cx, data) catching any error it raises: true with *result, or
 * false with *err filled (err may be NULL).  Everything body allocated
 * stays in the arena. */
bool jn_try(jn_ctx *cx, jn_value *(*body)(jn_ctx *cx, void *data), void *data,
            jn_value **result, jn_error *err);

/* ==== functions ========================================================= */

enum jn_fn_kind {
    JN_FN_LAMBDA = 1,       /* function($x){...}: node, env, input */
    JN_FN_NATIVE,           /* built-ins and native closures: native, data */
    JN_FN_PARTIAL,          /* f(?, 2): target, args (NULL entries = '?') */
    JN_FN_REGEX             /* /re/flags: data is regex.c's */
};

struct jn_function {
    int kind;                 /* enum jn_fn_kind */
    int arity;                /* declared parameters (jn_function_arity) */
    const char *name;         /* natives: the name without '$' */
    const char *signature;    /* natives and lambdas: the signature text, or NULL */
    const void *sig;          /* the parsed signature (evaluator-private) */
    jn_native_fn native;      /* JN_FN_NATIVE */
    void *data;               /* JN_FN_NATIVE: closure data; JN_FN_REGEX: the regex */
    const jn_node *node;      /* JN_FN_LAMBDA: the lambda node */
    void *env;                /* JN_FN_LAMBDA: the closure's frame (evaluator-private) */
    jn_value *input;          /* JN_FN_LAMBDA: the input at definition */
    jn_value *target;         /* JN_FN_PARTIAL: the function partially applied */
    jn_value **args;          /* JN_FN_PARTIAL: bound arguments, NULL for '?' */
    int nargs;
};

/* Calls fn (any function value) with args, as jsonata-js apply(); throws
 * T1006 when fn is not a function. */
jn_value *jn_apply(jn_ctx *cx, jn_value *fn, jn_value *const *args, int nargs);

/* The number of parameters fn declares (jsonata-js getFunctionArity),
 * which higher-order functions use to decide how many arguments to pass. */
int jn_function_arity(const jn_value *fn);

/* A native function value (the evaluator's $-functions, composition). */
jn_value *jn_native(jn_ctx *cx, const char *name, const char *signature,
                    jn_native_fn fn, void *data);

/* Regular expressions (JSONata regex literals, used by $match, $contains,
 * $split, $replace).  Matches from byte offset `from` of s; returns false
 * when there is no match.  Offsets are in bytes. */
typedef struct jn_match {
    size_t start, end;      /* the whole match */
    int ngroups;            /* capture groups, not counting the match */
    size_t gstart[32], gend[32]; /* SIZE_MAX when a group did not match */
} jn_match;
bool jn_is_regex(const jn_value *v);
bool jn_regex_exec(jn_ctx *cx, const jn_value *re, const char *s, size_t len,
                   size_t from, jn_match *m);
/* The value of a regex literal /pattern/flags (flags: "i", "m" or both),
 * compiled with PCRE2 in JavaScript-compatible mode; throws on a pattern
 * PCRE2 rejects.  Compiled code is cached per context by pattern. */
jn_value *jn_regex_new(jn_ctx *cx, const char *pattern, size_t len, const char *flags);
/* Calling a regex as a function, as jsonata-js's regex closure: the first
 * match in str as {"match","start","end","groups","next"} (next: a native
 * function giving the following match), or undefined. */
jn_value *jn_regex_call(jn_ctx *cx, jn_value *re, jn_value *str);

/* ==== parsing and evaluation =========================================== */

/* Parses expr (len bytes) into an AST allocated in cx's arena.  Returns
 * NULL and fills err (code S0xxx, position) on a syntax error. */
/* asl.c: the functions Step Functions adds ($partition, $range,
 * $hash, $random with a seed, $uuid, $parse), ended by { NULL }. */
extern const jn_builtin aslrtp_jsonata_functions[];

const jn_node *jn_parse(jn_ctx *cx, const char *expr, size_t len, jn_error *err);

/* Evaluates root against input (NULL = undefined).  Returns true and sets
 * *result (NULL = undefined) or false with err filled. */
bool jn_eval(jn_ctx *cx, const jn_node *root, jn_value *input,
             jn_value **result, jn_error *err);

/* ==== fn_coll.c: helpers the evaluator shares ================== */

/* jsonata-js fn.append (the array constructor uses it): undefined gives
 * the other argument, otherwise a plain array of both, arrays spread. */
jn_value *jn_coll_append(jn_ctx *cx, jn_value *a, jn_value *b);

/* jsonata-js fn.lookup (path steps use it): an object's member, or over an
 * array a sequence of the items' members, arrays among them flattened. */
jn_value *jn_coll_lookup(jn_ctx *cx, jn_value *input, const char *key, size_t len);

/* jsonata-js fn.sort with a comparator (order-by clauses use it): the
 * stable merge sort of $sort, taking b before a when greater(a, b).  An
 * array of at most one item, or a non-array, comes back as it is;
 * otherwise a new plain array.  greater may jn_fail. */
typedef bool (*jn_coll_greater)(jn_ctx *cx, jn_value *a, jn_value *b, void *data);
jn_value *jn_coll_sort(jn_ctx *cx, jn_value *arr, jn_coll_greater greater, void *data);

/* ==== regex.c: regex checking ========================================= */

/* Compiles /pattern/flags as jn_regex_new does, without a context, so the
 * parser and aslc can reject a bad pattern before evaluation.  Returns true
 * when PCRE2 accepts it; otherwise false, with PCRE2's message in msg
 * (NUL-terminated, truncated to msgsize) and the byte offset in pattern
 * where it stopped. */
bool jn_regex_check(const char *pattern, size_t len, const char *flags,
                    char *msg, size_t msgsize, size_t *offset);

#endif

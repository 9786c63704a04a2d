/*
 * intrinsics.c - the States.* intrinsic functions of JSONPath states:
 * a parser for `States.Name(arg, ...)`, one table of every function, and
 * their evaluation with AWS's results and errors.
 *
 * A call compiles to a tree: each argument is a literal (a JSON value), a
 * path (compiled by jsonpath.c, resolved at run time through the caller's
 * resolve callback) or a nested call.  Everything static is checked when
 * compiling: syntax, the function name, arity, literal argument types,
 * nesting depth (at most 10), a literal States.Format template against its
 * argument count.  Evaluation computes the arguments, then the function.
 *
 * AWS runs these in Java and its choices show through; the ones that decide
 * results here, and where they were observed:
 *  - A failing call is `States.Runtime` with the cause "Invalid arguments in
 *    States.<Name>" (AWS runs checked by third parties: "Invalid arguments
 *    in States.MathAdd", "... States.ArrayPartition", "... ArrayRange"),
 *    not the spec's States.IntrinsicFailure.
 *  - MathAdd rounds with Java's Math.round (1.5 -> 2, -1.5 -> -1, -2.5 ->
 *    -2: corpus), and works in Java ints.  ArrayRange, ArrayPartition,
 *    ArrayGetItem and MathRandom truncate (Number.intValue: AWS gives
 *    ArrayRange(1.6, 1.4, 1) = [1], ArrayPartition(x, 2.6) chunks of 2).
 *  - Values are Java objects (Map/List/String/...) when they are rendered
 *    as text, so States.Format renders an object as Map.toString,
 *    `{Arg1=1, Arg2=[]}` (corpus); only a States.StringToJson result is a
 *    Jackson node, which renders as JSON.
 *  - ArrayUnique goes through a java.util.HashSet and JsonMerge through a
 *    HashMap: results come in hash-bucket order, not input order (AWS gives
 *    ArrayUnique([true,false,...]) = [false,true]; corpus JsonMerge output
 *    order).  java_hash() reproduces Java's hashCode for that.
 *  - StringSplit is java.util.StringTokenizer: every character of the
 *    second argument is a delimiter and empty tokens vanish (corpus).
 *  - Base64Decode is lenient like Apache commons-codec: characters outside
 *    the alphabet are skipped, decoding stops at '=' (AWS decodes
 *    "!!!invalid!!!" and "ab==cd" instead of failing).
 *  - MathRandom with a seed is java.util.Random(seed).nextInt(end - start)
 *    + start.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "aslrt_private.h"
#include "dynlib.h"

/* ==== Compiled form ===================================================== */

enum { ARG_LIT = 1, ARG_PATH, ARG_CALL };

typedef struct arg {
    int kind;              /* ARG_* */
    size_t off;            /* byte offset in the source, for messages */
    json_t *lit;           /* ARG_LIT */
    char *raw;             /* string literal as written, escapes kept */
    size_t rawlen;
    aslrtp_path *path;     /* ARG_PATH */
    aslrtp_intrinsic *call;/* ARG_CALL */
} arg;

typedef json_t *(*intrinsic_fn)(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err);
/* A function whose result is always an integer, computed without a JSON
 * value: 1 with *out, or 0 with err set. */
typedef int (*intrinsic_int_fn)(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err,
                                json_int_t *out);

/* One function.  types holds, per argument, what a literal there may be
 * (the last letter repeats for variadic functions):
 *   a any   s string   n number   A array   O object (no literal can be)
 *   j anything but true (JsonMerge's deep flag)   h a hash algorithm name
 * bound is the longest its result can be as JSON text, 0 when that depends
 * on its arguments; ifn, when not NULL, is its integer form. */
typedef struct fninfo {
    const char *name;
    int min_args, max_args;    /* max_args -1: no limit */
    const char *types;
    intrinsic_fn fn;
    size_t bound;
    intrinsic_int_fn ifn;
} fninfo;

struct aslrtp_intrinsic {
    const fninfo *fn;
    arg *args;
    size_t nargs;
    /* A counter, States.MathAdd of a path and an integer literal in a
     * Java int's range (either order): the path and the literal, for
     * aslrtp_intrinsic_eval_int_quick.  NULL otherwise. */
    const aslrtp_path *step_path;
    json_int_t step;
};

/* The deepest nesting of calls AWS allows (doc/behaviour.md §16): the outer
 * call counts as level 1. */
#define MAX_DEPTH 10

static json_t *fn_format(const aslrtp_intrinsic *, json_t **, aslrt_error *);
static json_t *fn_string_to_json(const aslrtp_intrinsic *, json_t **, aslrt_error *);
static json_t *fn_json_to_string(const aslrtp_intrinsic *, json_t **, aslrt_error *);
static json_t *fn_array(const aslrtp_intrinsic *, json_t **, aslrt_error *);
static json_t *fn_array_partition(const aslrtp_intrinsic *, json_t **, aslrt_error *);
static json_t *fn_array_contains(const aslrtp_intrinsic *, json_t **, aslrt_error *);
static json_t *fn_array_range(const aslrtp_intrinsic *, json_t **, aslrt_error *);
static json_t *fn_array_get_item(const aslrtp_intrinsic *, json_t **, aslrt_error *);
static json_t *fn_array_length(const aslrtp_intrinsic *, json_t **, aslrt_error *);
static json_t *fn_array_unique(const aslrtp_intrinsic *, json_t **, aslrt_error *);
static json_t *fn_base64_encode(const aslrtp_intrinsic *, json_t **, aslrt_error *);
static json_t *fn_base64_decode(const aslrtp_intrinsic *, json_t **, aslrt_error *);
static json_t *fn_hash(const aslrtp_intrinsic *, json_t **, aslrt_error *);
static json_t *fn_json_merge(const aslrtp_intrinsic *, json_t **, aslrt_error *);
static json_t *fn_math_random(const aslrtp_intrinsic *, json_t **, aslrt_error *);
static json_t *fn_math_add(const aslrtp_intrinsic *, json_t **, aslrt_error *);
static int int_array_length(const aslrtp_intrinsic *, json_t **, aslrt_error *, json_int_t *);
static int int_math_add(const aslrtp_intrinsic *, json_t **, aslrt_error *, json_int_t *);
static json_t *fn_string_split(const aslrtp_intrinsic *, json_t **, aslrt_error *);
static json_t *fn_uuid(const aslrtp_intrinsic *, json_t **, aslrt_error *);

/* The longest JSON text of a Java int ("-2147483648"), a long, a UUID
 * (quoted), a hash (SHA-512's 128 hex digits, quoted), a boolean. */
enum { INT_TEXT = 11, LONG_TEXT = 20, UUID_TEXT = 38, HASH_TEXT = 130, BOOL_TEXT = 5 };

/* Every intrinsic function AWS has. */
static const fninfo functions[] = {
    {"States.Format", 1, -1, "sa", fn_format, 0, NULL},
    {"States.StringToJson", 1, 1, "s", fn_string_to_json, 0, NULL},
    {"States.JsonToString", 1, 1, "a", fn_json_to_string, 0, NULL},
    {"States.Array", 0, -1, "a", fn_array, 0, NULL},
    {"States.ArrayPartition", 2, 2, "An", fn_array_partition, 0, NULL},
    {"States.ArrayContains", 2, 2, "Aa", fn_array_contains, BOOL_TEXT, NULL},
    {"States.ArrayRange", 3, 3, "nnn", fn_array_range, 0, NULL},
    {"States.ArrayGetItem", 2, 2, "An", fn_array_get_item, 0, NULL},
    {"States.ArrayLength", 1, 1, "A", fn_array_length, LONG_TEXT, int_array_length},
    {"States.ArrayUnique", 1, 1, "A", fn_array_unique, 0, NULL},
    {"States.Base64Encode", 1, 1, "s", fn_base64_encode, 0, NULL},
    {"States.Base64Decode", 1, 1, "s", fn_base64_decode, 0, NULL},
    {"States.Hash", 2, 2, "ah", fn_hash, HASH_TEXT, NULL},
    {"States.JsonMerge", 3, 3, "OOj", fn_json_merge, 0, NULL},
    {"States.MathRandom", 2, 3, "nnn", fn_math_random, INT_TEXT, NULL},
    {"States.MathAdd", 2, 2, "nn", fn_math_add, INT_TEXT, int_math_add},
    {"States.StringSplit", 2, 2, "ss", fn_string_split, 0, NULL},
    {"States.UUID", 0, 0, "", fn_uuid, UUID_TEXT, NULL},
};

void aslrtp_intrinsic_free(aslrtp_intrinsic *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nargs; i++) {
        json_decref(f->args[i].lit);
        free(f->args[i].raw);
        aslrtp_path_free(f->args[i].path);
        aslrtp_intrinsic_free(f->args[i].call);
    }
    free(f->args);
    free(f);
}

/* ==== Parser ============================================================ */

typedef struct iparser {
    const char *s;
    size_t len;
    size_t i;
    char *err;
    size_t erroff;
} iparser;

static int ifail(iparser *p, size_t off, char *msg /* steals */)
{
    if (!p->err) {
        p->err = msg;
        p->erroff = off;
    } else {
        free(msg);
    }
    return 0;
}

static void iskip(iparser *p)
{
    while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
                             p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

/* Length of "States.Name" at s, when followed by '(' (0 otherwise). */
static size_t call_name_len(const char *s, size_t n)
{
    if (n < 7 || memcmp(s, "States.", 7))
        return 0;
    size_t k = 7;
    while (k < n && isalnum((unsigned char)s[k]))
        k++;
    return k > 7 && k < n && s[k] == '(' ? k : 0;
}

int aslrtp_intrinsic_like(const char *text)
{
    return call_name_len(text, strlen(text)) != 0;
}

/* True when c may follow a literal: the end of the argument. */
static int ends_arg(const iparser *p, size_t i)
{
    if (i >= p->len)
        return 1;
    char c = p->s[i];
    return c == ',' || c == ')' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* 'text' with the escapes AWS allows: \' \{ \} \\.  Any other backslash
 * sequence is refused: AWS rejected `\"` inside a literal at creation
 * (corpus, invalid/ ESCAPE_SEQUENCES_ILLEGAL_INTRINSIC_FUNCTION). */
static int parse_string(iparser *p, arg *a)
{
    size_t start = p->i++;
    aslrtp_buf val = {0};
    for (;;) {
        if (p->i >= p->len) {
            free(val.data);
            return ifail(p, start, aslrtp_strdup("Unterminated string literal"));
        }
        char c = p->s[p->i];
        if (c == '\'')
            break;
        if (c == '\\') {
            char e = p->i + 1 < p->len ? p->s[p->i + 1] : '\0';
            if (e != '\'' && e != '{' && e != '}' && e != '\\') {
                free(val.data);
                if (!e)
                    return ifail(p, p->i, aslrtp_strdup("Unterminated escape sequence"));
                return ifail(p, p->i,
                             aslrtp_strdupf("Invalid escape sequence '\\%c' in a string "
                                            "literal: only \\', \\{, \\} and \\\\ are allowed",
                                            e));
            }
            aslrtp_buf_add(&val, &e, 1);
            p->i += 2;
            continue;
        }
        aslrtp_buf_add(&val, &c, 1);
        p->i++;
    }
    a->kind = ARG_LIT;
    a->rawlen = p->i - start - 1;
    a->raw = aslrtp_memdup(p->s + start + 1, a->rawlen);
    a->lit = json_stringn(val.data ? val.data : "", val.len);
    free(val.data);
    p->i++;                         /* the closing quote */
    if (!a->lit)
        return ifail(p, start, aslrtp_strdup("String literal is not valid UTF-8"));
    return 1;
}

/* -?digits[.digits][(e|E)[+-]digits]: an integer when it has neither
 * fraction nor exponent and fits int64, otherwise a double. */
static int parse_number(iparser *p, arg *a)
{
    size_t start = p->i;
    int real = 0;
    if (p->s[p->i] == '-')
        p->i++;
    size_t digits = p->i;
    while (p->i < p->len && isdigit((unsigned char)p->s[p->i]))
        p->i++;
    if (p->i == digits)
        return ifail(p, start, aslrtp_strdup("Invalid number literal"));
    if (p->i < p->len && p->s[p->i] == '.') {
        real = 1;
        p->i++;
        size_t f = p->i;
        while (p->i < p->len && isdigit((unsigned char)p->s[p->i]))
            p->i++;
        if (p->i == f)
            return ifail(p, start, aslrtp_strdup("Invalid number literal"));
    }
    if (p->i < p->len && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        real = 1;
        p->i++;
        if (p->i < p->len && (p->s[p->i] == '+' || p->s[p->i] == '-'))
            p->i++;
        size_t e = p->i;
        while (p->i < p->len && isdigit((unsigned char)p->s[p->i]))
            p->i++;
        if (p->i == e)
            return ifail(p, start, aslrtp_strdup("Invalid number literal"));
    }
    if (!ends_arg(p, p->i))
        return ifail(p, start, aslrtp_strdup("Invalid number literal"));
    char *text = aslrtp_memdup(p->s + start, p->i - start);
    a->kind = ARG_LIT;
    if (!real) {
        errno = 0;
        long long v = strtoll(text, NULL, 10);
        if (errno == 0)
            a->lit = json_integer(v);
    }
    if (!a->lit)
        a->lit = json_real(strtod(text, NULL));
    free(text);
    if (!a->lit)        /* jansson refuses inf: 1e400 */
        return ifail(p, start, aslrtp_strdup("Number literal out of range"));
    return 1;
}

/* A path argument runs to the ',' or ')' that closes it, outside brackets,
 * parentheses and quotes (filters hold all three); jsonpath.c checks it. */
static int parse_path_arg(iparser *p, arg *a)
{
    size_t start = p->i;
    int depth = 0;
    char quote = 0;
    while (p->i < p->len) {
        char c = p->s[p->i];
        if (quote) {
            if (c == '\\')
                p->i++;
            else if (c == quote)
                quote = 0;
        } else if (c == '\'' || c == '"') {
            if (depth)
                quote = c;
        } else if (c == '[' || c == '(') {
            depth++;
        } else if (c == ']' || c == ')') {
            if (!depth)
                break;
            depth--;
        } else if (!depth && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
            break;
        }
        p->i++;
    }
    if (p->i > p->len)
        p->i = p->len;
    char *text = aslrtp_memdup(p->s + start, p->i - start);
    char *why = NULL;
    size_t off = 0;
    a->kind = ARG_PATH;
    a->path = aslrtp_path_compile(text, 0, &why, &off);
    if (!a->path) {
        ifail(p, start + off, aslrtp_strdupf("Invalid path '%s': %s", text,
                                             why ? why : "syntax error"));
        free(why);
        free(text);
        return 0;
    }
    free(text);
    return 1;
}

static aslrtp_intrinsic *parse_call(iparser *p, int depth);

static int parse_arg(iparser *p, arg *a, int depth)
{
    a->off = p->i;
    if (p->i >= p->len)
        return ifail(p, p->i, aslrtp_strdup("Unexpected end of the intrinsic function call"));
    char c = p->s[p->i];
    if (c == '\'')
        return parse_string(p, a);
    if (c == '$')
        return parse_path_arg(p, a);
    if (c == '-' || isdigit((unsigned char)c))
        return parse_number(p, a);
    if (call_name_len(p->s + p->i, p->len - p->i)) {
        a->kind = ARG_CALL;
        a->call = parse_call(p, depth + 1);
        return a->call != NULL;
    }
    static const char *const words[] = {"null", "true", "false"};
    for (int k = 0; k < 3; k++) {
        size_t n = strlen(words[k]);
        if (p->len - p->i >= n && !memcmp(p->s + p->i, words[k], n) &&
            ends_arg(p, p->i + n)) {
            p->i += n;
            a->kind = ARG_LIT;
            a->lit = k == 0 ? json_null() : k == 1 ? json_true() : json_false();
            return 1;
        }
    }
    if (!strncmp(p->s + p->i, "States.", 7))
        return ifail(p, p->i, aslrtp_strdup("Expected '(' after the intrinsic function name"));
    return ifail(p, p->i,
                 aslrtp_strdupf("Unexpected character '%c': an argument must be a 'string', "
                                "a number, null, true, false, a path or an intrinsic "
                                "function call", c));
}

static const char *kind_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    case JSON_ARRAY: return "an array";
    default: return "an object";
    }
}

/* Scans a States.Format template: `{}` is a slot, `\x` the character x,
 * any other brace an error.  With out, writes the text and renders slot k
 * with render(k).  Returns the number of slots, or -1 with *msg. */
static long format_scan(const char *t, size_t n, aslrtp_buf *out,
                        void (*render)(aslrtp_buf *, size_t, void *), void *ud,
                        const char **msg)
{
    long slots = 0;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (c == '\\') {
            if (i + 1 >= n) {
                *msg = "the template ends with an unterminated escape";
                return -1;
            }
            if (out)
                aslrtp_buf_add(out, &t[i + 1], 1);
            i++;
        } else if (c == '{') {
            if (i + 1 >= n || t[i + 1] != '}') {
                *msg = "the template has a '{' that does not open a '{}'";
                return -1;
            }
            if (out)
                render(out, (size_t)slots, ud);
            slots++;
            i++;
        } else if (c == '}') {
            *msg = "the template has a '}' that does not close a '{}'";
            return -1;
        } else if (out) {
            aslrtp_buf_add(out, &c, 1);
        }
    }
    return slots;
}

/* Compile-time checks of one call: arity, literal types, Format template. */
static int check_call(iparser *p, const aslrtp_intrinsic *f, size_t at)
{
    const fninfo *fn = f->fn;
    int n = (int)f->nargs;
    if (n < fn->min_args || (fn->max_args >= 0 && n > fn->max_args)) {
        char *m;
        if (fn->max_args < 0)
            m = aslrtp_strdupf("%s takes at least %d argument%s, not %d", fn->name,
                               fn->min_args, fn->min_args == 1 ? "" : "s", n);
        else if (fn->min_args == fn->max_args)
            m = aslrtp_strdupf("%s takes %d argument%s, not %d", fn->name, fn->min_args,
                               fn->min_args == 1 ? "" : "s", n);
        else
            m = aslrtp_strdupf("%s takes %d to %d arguments, not %d", fn->name,
                               fn->min_args, fn->max_args, n);
        return ifail(p, at, m);
    }
    size_t ntypes = strlen(fn->types);
    for (size_t i = 0; i < f->nargs; i++) {
        const arg *a = &f->args[i];
        if (a->kind != ARG_LIT)
            continue;
        char t = fn->types[i < ntypes ? i : ntypes - 1];
        const char *want = NULL;
        if ((t == 's' || t == 'h') && !json_is_string(a->lit))
            want = "a string";
        else if (t == 'n' && !json_is_number(a->lit))
            want = "a number";
        else if (t == 'A')
            want = "an array (a path or an intrinsic function call)";
        else if (t == 'O')
            want = "an object (a path or an intrinsic function call)";
        if (want)
            return ifail(p, a->off,
                         aslrtp_strdupf("Argument %zu of %s must be %s, not %s", i + 1,
                                        fn->name, want, kind_name(a->lit)));
        if (t == 'j' && json_is_true(a->lit))
            return ifail(p, a->off,
                         aslrtp_strdupf("%s does not support deep merging: its third "
                                        "argument must be false", fn->name));
        if (t == 'h' && aslrtp_crypto_md_index(json_string_value(a->lit)) < 0)
            return ifail(p, a->off,
                         aslrtp_strdupf("Unsupported hash algorithm '%s': use MD5, SHA-1, "
                                        "SHA-256, SHA-384 or SHA-512",
                                        json_string_value(a->lit)));
    }
    if (fn->fn == fn_format && f->args[0].kind == ARG_LIT) {
        const char *msg = NULL;
        long slots = format_scan(f->args[0].raw, f->args[0].rawlen, NULL, NULL, NULL, &msg);
        if (slots < 0)
            return ifail(p, f->args[0].off, aslrtp_strdupf("States.Format: %s", msg));
        if ((size_t)slots != f->nargs - 1)
            return ifail(p, f->args[0].off,
                         aslrtp_strdupf("States.Format: the template has %ld '{}' but %zu "
                                        "argument%s follow%s it",
                                        slots, f->nargs - 1, f->nargs == 2 ? "" : "s",
                                        f->nargs == 2 ? "s" : ""));
    }
    return 1;
}

static aslrtp_intrinsic *parse_call(iparser *p, int depth)
{
    size_t at = p->i;
    size_t nlen = call_name_len(p->s + p->i, p->len - p->i);
    if (!nlen) {
        ifail(p, at, aslrtp_strdup("Expected an intrinsic function call States.Name(...)"));
        return NULL;
    }
    if (depth > MAX_DEPTH) {
        ifail(p, at, aslrtp_strdupf("Intrinsic functions cannot be nested more than %d "
                                    "levels deep", MAX_DEPTH));
        return NULL;
    }
    const fninfo *fn = NULL;
    for (size_t k = 0; k < sizeof functions / sizeof functions[0]; k++) {
        if (strlen(functions[k].name) == nlen && !memcmp(functions[k].name, p->s + at, nlen)) {
            fn = &functions[k];
            break;
        }
    }
    if (!fn) {
        ifail(p, at, aslrtp_strdupf("Unknown intrinsic function '%.*s'", (int)nlen,
                                    p->s + at));
        return NULL;
    }
    aslrtp_intrinsic *f = aslrtp_calloc(1, sizeof *f);
    f->fn = fn;
    p->i += nlen + 1;               /* name and '(' */
    iskip(p);
    if (p->i < p->len && p->s[p->i] == ')') {
        p->i++;
    } else {
        for (;;) {
            iskip(p);
            f->args = aslrtp_reallocarray(f->args, f->nargs + 1, sizeof *f->args);
            arg *a = &f->args[f->nargs++];
            memset(a, 0, sizeof *a);
            if (!parse_arg(p, a, depth))
                goto fail;
            iskip(p);
            if (p->i < p->len && p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->i < p->len && p->s[p->i] == ')') {
                p->i++;
                break;
            }
            ifail(p, p->i, aslrtp_strdup(p->i < p->len
                                             ? "Expected ',' or ')' after an argument"
                                             : "Missing ')' at the end of the intrinsic "
                                               "function call"));
            goto fail;
        }
    }
    if (!check_call(p, f, at))
        goto fail;
    return f;
fail:
    aslrtp_intrinsic_free(f);
    return NULL;
}

aslrtp_intrinsic *aslrtp_intrinsic_compile(const char *text, char **err, size_t *erroff)
{
    iparser p = {text, strlen(text), 0, NULL, 0};
    aslrtp_intrinsic *f = parse_call(&p, 1);
    if (f) {
        iskip(&p);
        if (p.i < p.len) {
            ifail(&p, p.i, aslrtp_strdup("Unexpected text after the intrinsic function call"));
            aslrtp_intrinsic_free(f);
            f = NULL;
        }
    }
    if (!f) {
        if (err)
            *err = p.err;
        else
            free(p.err);
        if (erroff)
            *erroff = p.erroff;
        return NULL;
    }
    if (f->fn->ifn == int_math_add) {
        for (int i = 0; i < 2; i++) {
            const arg *a = &f->args[i], *b = &f->args[1 - i];
            if (a->kind == ARG_PATH && b->kind == ARG_LIT && json_is_integer(b->lit) &&
                json_integer_value(b->lit) >= INT_MIN && json_integer_value(b->lit) <= INT_MAX) {
                f->step_path = a->path;
                f->step = json_integer_value(b->lit);
            }
        }
    }
    return f;
}

/* ==== Evaluation ========================================================= */

/* The arguments of a call, borrowed where they can be: literals from the
 * call, path values from the document (reference counts are atomic, and a
 * counting loop pays for each one). */
typedef struct args {
    json_t *small[8];
    unsigned char small_owned[8];
    json_t **v;
    unsigned char *owned;
    size_t done;
} args;

static json_t *eval_call(const aslrtp_intrinsic *f, aslrtp_resolve_fn resolve, void *ud,
                         aslrt_error *err);

/* Evaluates f's arguments into a: true, or false with err set (a holds
 * those it got; release it either way). */
static bool gather(args *a, const aslrtp_intrinsic *f, aslrtp_resolve_fn resolve, void *ud,
                   aslrt_error *err)
{
    a->v = f->nargs <= 8 ? a->small : aslrtp_reallocarray(NULL, f->nargs, sizeof *a->v);
    a->owned = f->nargs <= 8 ? a->small_owned : aslrtp_malloc(f->nargs);
    for (a->done = 0; a->done < f->nargs; a->done++) {
        const arg *g = &f->args[a->done];
        json_t *x;
        int own = 0;
        if (g->kind == ARG_LIT) {
            x = g->lit;
        } else if (g->kind == ARG_CALL) {
            x = eval_call(g->call, resolve, ud, err);
            own = 1;
        } else {
            /* the resolver knows the field and the input AWS's message
             * names; its reason is passed on as the cause */
            char *why = NULL;
            x = resolve(ud, g->path, &why, &own);
            if (!x) {
                char *cause = why ? why
                                  : aslrtp_strdupf("The JSONPath '%s' could not be found",
                                                   aslrtp_path_text(g->path));
                aslrt_error_set(err, ASLRTP_ERR_RUNTIME, cause);
                free(cause);
            }
        }
        if (!x)
            return false;
        a->v[a->done] = x;
        a->owned[a->done] = (unsigned char)own;
    }
    return true;
}

static void release(args *a)
{
    for (size_t i = 0; i < a->done; i++)
        if (a->owned[i])
            json_decref(a->v[i]);
    if (a->v != a->small)
        free(a->v);
    if (a->owned != a->small_owned)
        free(a->owned);
}

static json_t *eval_call(const aslrtp_intrinsic *f, aslrtp_resolve_fn resolve, void *ud,
                         aslrt_error *err)
{
    args a;
    json_t *r = gather(&a, f, resolve, ud, err) ? f->fn->fn(f, a.v, err) : NULL;
    release(&a);
    return r;
}

json_t *aslrtp_intrinsic_eval(const aslrtp_intrinsic *f, aslrtp_resolve_fn resolve,
                              void *ud, aslrt_error *err)
{
    return eval_call(f, resolve, ud, err);
}

bool aslrtp_intrinsic_is_int(const aslrtp_intrinsic *f)
{
    return f->fn->ifn != NULL;
}

int aslrtp_intrinsic_eval_int(const aslrtp_intrinsic *f, aslrtp_resolve_fn resolve, void *ud,
                              aslrt_error *err, json_int_t *out)
{
    args a;
    int ok = gather(&a, f, resolve, ud, err) && f->fn->ifn(f, a.v, err, out);
    release(&a);
    return ok;
}

int aslrtp_intrinsic_eval_int_quick(const aslrtp_intrinsic *f, json_t *input, json_int_t *out)
{
    if (f->step_path)
        return aslrtp_step_quick(f->step_path, f->step, input, out);
    json_t *v[4];
    if (f->nargs > 4)
        return 0;
    for (size_t i = 0; i < f->nargs; i++) {
        const arg *g = &f->args[i];
        if (g->kind == ARG_LIT)
            v[i] = g->lit;
        else if (g->kind != ARG_PATH || !(v[i] = aslrtp_path_quick(g->path, input)))
            return 0;
    }
    aslrt_error err = {NULL, NULL};
    if (f->fn->ifn(f, v, &err, out))
        return 1;
    aslrt_error_clear(&err);
    return 0;
}

const aslrtp_path *aslrtp_intrinsic_step(const aslrtp_intrinsic *f, json_int_t *step)
{
    *step = f->step;
    return f->step_path;
}

size_t aslrtp_intrinsic_bound(const aslrtp_intrinsic *f)
{
    return f->fn->bound ? f->fn->bound : SIZE_MAX;
}

/* ==== Helpers ============================================================ */

static json_t *invalid(const aslrtp_intrinsic *f, aslrt_error *err)
{
    char *cause = aslrtp_strdupf("Invalid arguments in %s", f->fn->name);
    aslrt_error_set(err, ASLRTP_ERR_RUNTIME, cause);
    free(cause);
    return NULL;
}

static int invalid_int(const aslrtp_intrinsic *f, aslrt_error *err)
{
    invalid(f, err);
    return 0;
}

/* Java's Number.intValue() on a JSON number, refusing what does not fit a
 * Java int (AWS's checks fail on those too). */
static int int_arg(const json_t *v, int *out)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < INT_MIN || i > INT_MAX)
            return 0;
        *out = (int)i;
        return 1;
    }
    if (!json_is_real(v))
        return 0;
    double d = trunc(json_real_value(v));
    if (!(d >= INT_MIN && d <= INT_MAX))
        return 0;
    *out = (int)d;
    return 1;
}

/* Java's Math.round(double): the nearest integer, ties towards positive
 * infinity (1.5 -> 2, -1.5 -> -1, -2.5 -> -2: recorded on AWS). */
static double java_round(double d)
{
    double f = floor(d);
    return d - f >= 0.5 ? f + 1 : f;
}

/* Java's toString() of a value read through a path: a Map prints as
 * {k=v, k2=v2}, a List as [a, b], strings bare (corpus:
 * "{Arg1=1, Arg2=[]}"). */
static void render_java(aslrtp_buf *b, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        aslrtp_buf_add(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_ARRAY: {
        size_t i;
        json_t *e;
        aslrtp_buf_adds(b, "[");
        json_array_foreach(v, i, e) {
            if (i)
                aslrtp_buf_adds(b, ", ");
            render_java(b, e);
        }
        aslrtp_buf_adds(b, "]");
        break;
    }
    case JSON_OBJECT: {
        const char *k;
        json_t *e;
        int first = 1;
        aslrtp_buf_adds(b, "{");
        json_object_foreach((json_t *)v, k, e) {
            if (!first)
                aslrtp_buf_adds(b, ", ");
            first = 0;
            aslrtp_buf_adds(b, k);
            aslrtp_buf_adds(b, "=");
            render_java(b, e);
        }
        aslrtp_buf_adds(b, "}");
        break;
    }
    default:                /* numbers, booleans, null print as in JSON */
        aslrtp_buf_add_json(b, v);
        break;
    }
}

/* An argument as text: Java's toString, except for the result of a nested
 * States.StringToJson, which is a Jackson node and prints as JSON.  On AWS
 * Format('{}', States.StringToJson('"x"')) does not give x, while nested
 * JsonToString and Format results print bare (third-party AWS runs:
 * Format('arn:{}:{}', $.svc, States.JsonToString($.obj)) is
 * arn:lambda:{"k":1}). */
static void render_arg(aslrtp_buf *b, const json_t *v, const arg *a)
{
    if (a->kind == ARG_CALL && a->call->fn->fn == fn_string_to_json)
        aslrtp_buf_add_json(b, v);
    else
        render_java(b, v);
}

/* ---- Java hash codes and HashMap order ---- */

static uint32_t java_string_hash(const char *s, size_t n)
{
    uint32_t h = 0;
    size_t i = 0;
    while (i < n) {
        unsigned cp = aslrtp_utf8_next(s, n, 0, &i);
        if (cp >= 0x10000) {
            cp -= 0x10000;
            h = 31 * h + (0xD800 + (cp >> 10));
            h = 31 * h + (0xDC00 + (cp & 0x3FF));
        } else {
            h = 31 * h + cp;
        }
    }
    return h;
}

/* hashCode() of the Java object Jackson maps a JSON value to: null 0,
 * Boolean, Integer or Long, Double, String, ArrayList, LinkedHashMap. */
static uint32_t java_hash(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_TRUE:
        return 1231;
    case JSON_FALSE:
        return 1237;
    case JSON_INTEGER: {
        json_int_t i = json_integer_value(v);
        uint64_t u = (uint64_t)i;
        return i >= INT_MIN && i <= INT_MAX ? (uint32_t)u : (uint32_t)(u ^ (u >> 32));
    }
    case JSON_REAL: {
        double d = json_real_value(v);
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        return (uint32_t)(bits ^ (bits >> 32));
    }
    case JSON_STRING:
        return java_string_hash(json_string_value(v), json_string_length(v));
    case JSON_ARRAY: {
        uint32_t h = 1;
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) h = 31 * h + java_hash(e);
        return h;
    }
    case JSON_OBJECT: {
        uint32_t h = 0;
        const char *k;
        json_t *e;
        json_object_foreach((json_t *)v, k, e) h += java_string_hash(k, strlen(k)) ^ java_hash(e);
        return h;
    }
    default:
        return 0;
    }
}

/* Java's equals() on the same objects: Integer 1 and Double 1.0 differ,
 * doubles compare by bits, maps ignore order. */
static int java_equal(const json_t *a, const json_t *b)
{
    if (json_typeof(a) != json_typeof(b))
        return 0;
    switch (json_typeof(a)) {
    case JSON_INTEGER:
        return json_integer_value(a) == json_integer_value(b);
    case JSON_REAL: {
        double x = json_real_value(a), y = json_real_value(b);
        return memcmp(&x, &y, sizeof x) == 0;
    }
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               !memcmp(json_string_value(a), json_string_value(b), json_string_length(a));
    case JSON_ARRAY: {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!java_equal(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        const char *k;
        json_t *e;
        json_object_foreach((json_t *)a, k, e) {
            json_t *o = json_object_get(b, k);
            if (!o || !java_equal(e, o))
                return 0;
        }
        return 1;
    }
    default:
        return 1;
    }
}

/* HashMap.tableSizeFor: the smallest power of two >= c. */
static size_t table_size_for(size_t c)
{
    size_t n = 1;
    while (n < c)
        n <<= 1;
    return n;
}

/* An entry in hash-bucket order: bucket first, insertion order within. */
typedef struct bucketed {
    size_t bucket;
    size_t seq;
    const char *key;       /* JsonMerge */
    json_t *value;
} bucketed;

static int by_bucket(const void *x, const void *y)
{
    const bucketed *a = x, *b = y;
    if (a->bucket != b->bucket)
        return a->bucket < b->bucket ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* HashMap's index for hash h in a table of cap slots (hash() spreads the
 * high bits down). */
static size_t bucket_of(uint32_t h, size_t cap)
{
    return (h ^ (h >> 16)) & (cap - 1);
}

/* ==== The functions ====================================================== */

struct format_ud {
    json_t **v;
    const aslrtp_intrinsic *f;
};

static void format_slot(aslrtp_buf *b, size_t k, void *ud)
{
    struct format_ud *u = ud;
    render_arg(b, u->v[k + 1], &u->f->args[k + 1]);
}

/* States.Format(template, args...): `{}` slots filled in order. */
static json_t *fn_format(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err)
{
    if (!json_is_string(v[0]))
        return invalid(f, err);
    const char *t = f->args[0].kind == ARG_LIT ? f->args[0].raw : json_string_value(v[0]);
    size_t n = f->args[0].kind == ARG_LIT ? f->args[0].rawlen : json_string_length(v[0]);
    const char *msg;
    long slots = format_scan(t, n, NULL, NULL, NULL, &msg);
    if (slots < 0 || (size_t)slots != f->nargs - 1)
        return invalid(f, err);
    aslrtp_buf b = {0};
    struct format_ud u = {v, f};
    format_scan(t, n, &b, format_slot, &u, &msg);
    json_t *r = json_stringn(b.data ? b.data : "", b.len);
    free(b.data);
    return r ? r : invalid(f, err);
}

/* States.StringToJson(s): "" and blank strings give null (corpus: Jackson
 * reads no document there); "-0" gives 0. */
static json_t *fn_string_to_json(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err)
{
    if (!json_is_string(v[0]))
        return invalid(f, err);
    const char *s = json_string_value(v[0]);
    size_t n = json_string_length(v[0]);
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    if (i == n)
        return json_null();
    json_error_t e;
    json_t *r = aslrtp_json_loads(s, n, &e);
    return r ? r : invalid(f, err);
}

/* States.JsonToString(v): compact JSON as AWS prints it. */
static json_t *fn_json_to_string(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err)
{
    (void)f;
    (void)err;
    char *s = aslrt_json_dumps(v[0]);
    json_t *r = json_string(s);
    free(s);
    return r;
}

/* States.Array(v...) */
static json_t *fn_array(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err)
{
    (void)err;
    json_t *a = json_array();
    for (size_t i = 0; i < f->nargs; i++)
        json_array_append(a, v[i]);
    return a;
}

/* States.ArrayPartition(array, size): chunks of size, the last shorter. */
static json_t *fn_array_partition(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err)
{
    int size;
    if (!json_is_array(v[0]) || !int_arg(v[1], &size) || size <= 0)
        return invalid(f, err);
    json_t *r = json_array();
    json_t *chunk = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(v[0], i, e) {
        if (!chunk)
            chunk = json_array();
        json_array_append(chunk, e);
        if (json_array_size(chunk) == (size_t)size) {
            json_array_append_new(r, chunk);
            chunk = NULL;
        }
    }
    if (chunk)
        json_array_append_new(r, chunk);
    return r;
}

/* States.ArrayContains(array, value): Java equality (1 is not 1.0). */
static json_t *fn_array_contains(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err)
{
    if (!json_is_array(v[0]))
        return invalid(f, err);
    size_t i;
    json_t *e;
    json_array_foreach(v[0], i, e) {
        if (java_equal(e, v[1]))
            return json_true();
    }
    return json_false();
}

/* States.ArrayRange(first, last, step): inclusive, at most 1000 items. */
static json_t *fn_array_range(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err)
{
    int first, last, step;
    if (!int_arg(v[0], &first) || !int_arg(v[1], &last) || !int_arg(v[2], &step) ||
        step == 0)
        return invalid(f, err);
    long long count = 0;
    if (step > 0 ? first <= last : first >= last)
        count = ((long long)last - first) / step + 1;
    if (count > 1000)
        return invalid(f, err);
    json_t *r = json_array();
    for (long long k = 0; k < count; k++)
        json_array_append_new(r, json_integer(first + k * step));
    return r;
}

/* States.ArrayGetItem(array, index).  AWS answers null for any index of an
 * empty array, and fails for a negative one or one past a non-empty array
 * (third-party runs against AWS). */
static json_t *fn_array_get_item(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err)
{
    int k;
    if (!json_is_array(v[0]) || !int_arg(v[1], &k) || k < 0)
        return invalid(f, err);
    size_t n = json_array_size(v[0]);
    if (n == 0)
        return json_null();
    if ((size_t)k >= n)
        return invalid(f, err);
    return json_incref(json_array_get(v[0], (size_t)k));
}

static int int_array_length(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err,
                            json_int_t *out)
{
    if (!json_is_array(v[0]))
        return invalid_int(f, err);
    *out = (json_int_t)json_array_size(v[0]);
    return 1;
}

static json_t *fn_array_length(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err)
{
    json_int_t n;
    return int_array_length(f, v, err, &n) ? json_integer(n) : NULL;
}

/* States.ArrayUnique(array): new ArrayList<>(new HashSet<>(list)), so the
 * survivors come in HashSet order. */
static json_t *fn_array_unique(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err)
{
    if (!json_is_array(v[0]))
        return invalid(f, err);
    size_t n = json_array_size(v[0]);
    if (n == 0)
        return json_array();
    bucketed *u = aslrtp_reallocarray(NULL, n, sizeof *u);
    uint32_t *h = aslrtp_reallocarray(NULL, n, sizeof *h);
    /* HashSet(Collection): new HashMap<>(max((int)(size/.75f) + 1, 16)) */
    size_t want = (size_t)((float)n / 0.75f) + 1;
    size_t cap = table_size_for(want > 16 ? want : 16);
    size_t nu = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v[0], i);
        uint32_t he = java_hash(e);
        int dup = 0;
        for (size_t j = 0; j < nu && !dup; j++)
            dup = h[j] == he && java_equal(u[j].value, e);
        if (dup)
            continue;
        h[nu] = he;
        u[nu] = (bucketed){bucket_of(he, cap), nu, NULL, e};
        nu++;
    }
    qsort(u, nu, sizeof *u, by_bucket);
    json_t *r = json_array();
    for (size_t i = 0; i < nu; i++)
        json_array_append(r, u[i].value);
    free(u);
    free(h);
    return r;
}

/* AWS caps Base64 and Hash input at 10,000 characters. */
#define MAX_INPUT_CHARS 10000

/* The text of v and its length *n, or NULL when v is not a string or is
 * longer than MAX_INPUT_CHARS. */
static const char *capped_text(const json_t *v, size_t *n)
{
    if (!json_is_string(v))
        return NULL;
    const char *s = json_string_value(v);
    *n = json_string_length(v);
    return aslrtp_utf16_length(s, *n) > MAX_INPUT_CHARS ? NULL : s;
}

static json_t *fn_base64_encode(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err)
{
    size_t n, len;
    const char *s = capped_text(v[0], &n);
    if (!s)
        return invalid(f, err);
    char *text = aslrtp_base64_encode(s, n, 0, &len);
    json_t *r = json_stringn(text, len);
    free(text);
    return r;
}

/* Lenient like commons-codec (aslrtp_base64_decode_lenient); the bytes
 * become text as Java's new String(bytes, UTF_8) makes it: each malformed
 * sequence becomes one U+FFFD (the maximal-subpart rule). */
static json_t *fn_base64_decode(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err)
{
    size_t n, len;
    const char *s = capped_text(v[0], &n);
    if (!s)
        return invalid(f, err);
    char *bytes = aslrtp_base64_decode_lenient(s, n, &len);
    aslrtp_buf b = {0};
    aslrtp_utf8_add_clean(&b, bytes, len, 0);
    free(bytes);
    json_t *r = json_stringn(b.data ? b.data : "", b.len);
    free(b.data);
    return r;
}

/* States.Hash(data, algorithm): lowercase hex digest of the UTF-8 text.
 * AWS hashes non-string data by its text (third-party runs: 123 works). */
static json_t *fn_hash(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err)
{
    if (!json_is_string(v[1]))
        return invalid(f, err);
    /* States.Hash's algorithms are the names AWS accepts (exact spelling). */
    const char *alg = json_string_value(v[1]);
    if (aslrtp_crypto_md_index(alg) < 0)
        return invalid(f, err);
    aslrtp_buf text = {0};
    if (json_is_string(v[0]))
        aslrtp_buf_add(&text, json_string_value(v[0]), json_string_length(v[0]));
    else
        render_arg(&text, v[0], &f->args[0]);
    if (aslrtp_utf16_length(text.data ? text.data : "", text.len) > MAX_INPUT_CHARS) {
        free(text.data);
        return invalid(f, err);
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    const EVP_MD *algorithm = aslrtp_crypto_md(alg); /* opens libcrypto */
    int ok = EVP_Digest(text.data ? text.data : "", text.len, md, &mdlen, algorithm, NULL);
    free(text.data);
    if (!ok)
        return invalid(f, err);
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return json_string(hex);
}

/* Jackson's JsonNode.asBoolean(): what AWS makes of JsonMerge's third
 * argument (AWS merges shallowly for the string "false"). */
static int as_boolean(const json_t *v)
{
    if (json_is_boolean(v))
        return json_is_true(v);
    if (json_is_integer(v))
        return json_integer_value(v) != 0;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        while (n && isspace((unsigned char)*s)) {
            s++;
            n--;
        }
        while (n && isspace((unsigned char)s[n - 1]))
            n--;
        return n == 4 && !memcmp(s, "true", 4);
    }
    return 0;
}

/* States.JsonMerge(a, b, false): b's keys over a's, not recursive.  AWS
 * builds it as new HashMap<>(a) then putAll(b), so the keys come out in
 * that HashMap's order (corpus: JsonMerge({"constant_in_literal"},
 * {"constant_input_field"}) lists constant_input_field first). */
static json_t *fn_json_merge(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err)
{
    if (!json_is_object(v[0]) || !json_is_object(v[1]) || as_boolean(v[2]))
        return invalid(f, err);
    size_t n1 = json_object_size(v[0]), n2 = json_object_size(v[1]);
    /* the table size the HashMap ends with (JDK 8-17 sizing rules) */
    size_t cap = 0, size = n1;
    if (n1) {
        float ft = (float)n1 / 0.75f + 1.0f;
        cap = table_size_for((size_t)ft);
    }
    if (n2) {
        if (!cap)
            cap = table_size_for((size_t)((float)n2 / 0.75f + 1.0f));
        else if (n2 > (size_t)((float)cap * 0.75f))
            cap <<= 1;
        const char *k;
        json_t *e;
        json_object_foreach(v[1], k, e) {
            if (json_object_get(v[0], k))
                continue;
            if (++size > (size_t)((float)cap * 0.75f))
                cap <<= 1;
        }
    }
    bucketed *u = aslrtp_reallocarray(NULL, n1 + n2 + 1, sizeof *u);
    size_t nu = 0;
    const char *k;
    json_t *e;
    json_object_foreach(v[0], k, e) {
        json_t *over = json_object_get(v[1], k);
        u[nu] = (bucketed){bucket_of(java_string_hash(k, strlen(k)), cap), nu, k,
                           over ? over : e};
        nu++;
    }
    json_object_foreach(v[1], k, e) {
        if (json_object_get(v[0], k))
            continue;
        u[nu] = (bucketed){bucket_of(java_string_hash(k, strlen(k)), cap), nu, k, e};
        nu++;
    }
    qsort(u, nu, sizeof *u, by_bucket);
    json_t *r = json_object();
    for (size_t i = 0; i < nu; i++)
        json_object_set(r, u[i].key, u[i].value);
    free(u);
    return r;
}

/* ---- randomness ---- */

/* java.util.Random: a 48-bit linear congruential generator. */
typedef struct jrandom {
    uint64_t seed;
} jrandom;

#define JR_MULT 0x5DEECE66DULL
#define JR_MASK ((1ULL << 48) - 1)

static void jrandom_init(jrandom *r, long long seed)
{
    r->seed = ((uint64_t)seed ^ JR_MULT) & JR_MASK;
}

static int32_t jrandom_next31(jrandom *r)
{
    r->seed = (r->seed * JR_MULT + 0xBULL) & JR_MASK;
    return (int32_t)(r->seed >> 17);
}

/* Random.nextInt(bound), bound > 0. */
static int32_t jrandom_next_int(jrandom *r, int32_t bound)
{
    int32_t x = jrandom_next31(r);
    int32_t m = bound - 1;
    if ((bound & m) == 0)
        return (int32_t)(((int64_t)bound * x) >> 31);
    /* Java loops while u - x + m overflows int */
    for (int32_t u = x; (int64_t)u - (x = u % bound) + m > INT32_MAX; u = jrandom_next31(r))
        ;
    return x;
}

/* States.MathRandom(start, end[, seed]): an int in [start, end). */
static json_t *fn_math_random(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err)
{
    int start, end;
    if (!int_arg(v[0], &start) || !int_arg(v[1], &end) || end <= start)
        return invalid(f, err);
    long long span = (long long)end - start;
    if (span > INT32_MAX)           /* end - start overflows a Java int */
        return invalid(f, err);
    int32_t r;
    if (f->nargs == 3) {
        if (!json_is_number(v[2]))
            return invalid(f, err);
        long long seed;
        if (json_is_integer(v[2])) {
            seed = json_integer_value(v[2]);
        } else {                    /* Java's (long) cast saturates */
            double d = trunc(json_real_value(v[2]));
            seed = d >= 9.2233720368547758e18 ? LLONG_MAX
                 : d <= -9.2233720368547758e18 ? LLONG_MIN : (long long)d;
        }
        jrandom jr;
        jrandom_init(&jr, seed);
        r = jrandom_next_int(&jr, (int32_t)span);
    } else {
        /* uniform without modulo bias: reject the top partial range */
        uint32_t bound = (uint32_t)span, x, limit = UINT32_MAX - UINT32_MAX % bound;
        do
            aslrtp_random_bytes(&x, sizeof x);
        while (x >= limit);
        r = (int32_t)(x % bound);
    }
    return json_integer((json_int_t)start + r);
}

/* States.MathAdd(a, b): Java ints, each argument rounded by Math.round. */
static int int_math_add(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err,
                        json_int_t *out)
{
    long long x[2];
    for (int i = 0; i < 2; i++) {
        if (json_is_integer(v[i])) {
            x[i] = json_integer_value(v[i]);
        } else if (json_is_real(v[i])) {
            double d = java_round(json_real_value(v[i]));
            if (!(d >= INT_MIN && d <= INT_MAX))
                return invalid_int(f, err);
            x[i] = (long long)d;
        } else {
            return invalid_int(f, err);
        }
        if (x[i] < INT_MIN || x[i] > INT_MAX)
            return invalid_int(f, err);
    }
    long long sum = x[0] + x[1];
    if (sum < INT_MIN || sum > INT_MAX)
        return invalid_int(f, err);
    *out = sum;
    return 1;
}

static json_t *fn_math_add(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err)
{
    json_int_t n;
    return int_math_add(f, v, err, &n) ? json_integer(n) : NULL;
}

/* States.StringSplit(s, delimiters): java.util.StringTokenizer, so every
 * character of delimiters splits and empty tokens are dropped (corpus:
 * ",,,," -> [], ", , ," -> [" ", " "]). */
static json_t *fn_string_split(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err)
{
    if (!json_is_string(v[0]) || !json_is_string(v[1]))
        return invalid(f, err);
    const char *s = json_string_value(v[0]), *d = json_string_value(v[1]);
    size_t n = json_string_length(v[0]), dn = json_string_length(v[1]);
    json_t *r = json_array();
    size_t tok = 0, i = 0;
    while (i < n) {
        size_t at = i;
        unsigned cp = aslrtp_utf8_next(s, n, 0, &i);
        int delim = 0;
        for (size_t j = 0; j < dn && !delim;)
            delim = aslrtp_utf8_next(d, dn, 0, &j) == cp;
        if (delim) {
            if (at > tok)
                json_array_append_new(r, json_stringn(s + tok, at - tok));
            tok = i;
        }
    }
    if (n > tok)
        json_array_append_new(r, json_stringn(s + tok, n - tok));
    return r;
}

/* States.UUID(): a version 4 UUID, lowercase, as Java's UUID.toString. */
static json_t *fn_uuid(const aslrtp_intrinsic *f, json_t **v, aslrt_error *err)
{
    (void)f;
    (void)v;
    (void)err;
    char s[ASLRTP_UUID_SIZE];
    aslrtp_uuid_v4(s);
    return json_string(s);
}

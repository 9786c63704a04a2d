/*
 * check_jsonata_coll.c - unit tests of runtime/jsonata/fn_coll.c: the
 * JSONata array, object, aggregation, boolean and higher-order functions.
 *
 * Model: the natives are called straight from the table jn_builtins_coll
 * with values built from JSON text, as the evaluator calls them after
 * checking the signature; function arguments are native function values
 * (jn_native) with the arity a lambda would declare.  Results are compared
 * as compact JSON, and the sequence flag is checked where jsonata-js sets
 * it (createSequence) or not, since it decides singleton unwrapping.
 * Errors (D3050, D3070, D3137, D3138, D3139, D3141) go through jn_parse
 * and jn_eval, which catch them.  Expected values are jsonata-js 2.0.6's.
 */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonata/jsonata.h"
#include "testutil.h"

/* ==== helpers ========================================================== */

static jn_ctx *cx;
static json_t *docs;     /* the parsed inputs: values reference their strings */

static void setup(void)
{
    jn_options opt = { 0 };
    opt.now_ms = -1;
    cx = jn_ctx_create(&opt);
    ck_assert_ptr_nonnull(cx);
    docs = json_array();
}

static void teardown(void)
{
    jn_ctx_destroy(cx);
    json_decref(docs);
}

/* The value of JSON text (which must be valid). */
static jn_value *J(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &err);
    ck_assert_msg(j != NULL, "bad test JSON %s: %s", text, err.text);
    json_array_append_new(docs, j);
    return jn_from_json(cx, j);
}

/* Calls the native $name. */
static jn_value *call(const char *name, int nargs, ...)
{
    jn_value *args[8];
    va_list ap;
    va_start(ap, nargs);
    for (int i = 0; i < nargs; i++)
        args[i] = va_arg(ap, jn_value *);
    va_end(ap);
    for (const jn_builtin *b = jn_builtins_coll; b->name; b++)
        if (strcmp(b->name, name) == 0)
            return b->fn(cx, args, nargs, NULL);
    ck_abort_msg("no function $%s", name);
    return NULL;
}

/* Compact JSON of v, numbers as %.15g, "undefined" for NULL. */
static void dump(const jn_value *v, char *buf, size_t cap, size_t *len)
{
#define OUT(...) (*len += (size_t)snprintf(buf + *len, *len < cap ? cap - *len : 0, __VA_ARGS__))
    if (!v) {
        OUT("undefined");
        return;
    }
    switch (v->type) {
    case JN_NULL: OUT("null"); break;
    case JN_BOOLEAN: OUT(v->u.boolean ? "true" : "false"); break;
    case JN_NUMBER: OUT("%.15g", v->u.number); break;
    case JN_STRING: OUT("\"%.*s\"", (int)v->u.string.len, v->u.string.s); break;
    case JN_FUNCTION: OUT("<function>"); break;
    case JN_ARRAY:
        OUT("[");
        for (size_t i = 0; i < v->u.array.n; i++) {
            if (i)
                OUT(",");
            dump(v->u.array.items[i], buf, cap, len);
        }
        OUT("]");
        break;
    case JN_OBJECT:
        OUT("{");
        for (size_t i = 0; i < v->u.object.n; i++) {
            if (i)
                OUT(",");
            OUT("\"%.*s\":", (int)v->u.object.members[i].key_len, v->u.object.members[i].key);
            dump(v->u.object.members[i].value, buf, cap, len);
        }
        OUT("}");
        break;
    }
#undef OUT
}

static const char *S(const jn_value *v)
{
    static char buf[4096];
    size_t len = 0;
    dump(v, buf, sizeof buf, &len);
    ck_assert_msg(len < sizeof buf, "dump too long");
    return buf;
}

#define ck_is(v, text) ck_assert_str_eq(S(v), text)
#define ck_seq(v) ck_assert_msg(jn_is_sequence(v), "%s is not a sequence", S(v))
#define ck_plain(v) ck_assert_msg(jn_is_array(v) && !jn_is_sequence(v), "%s is not a plain array", S(v))

/* Native function values standing for lambdas. */
static jn_value *f_square(jn_ctx *c, jn_value *const *a, int n, void *d)
{
    (void)d;
    ck_assert_int_eq(n, 1);
    return jn_number(c, a[0]->u.number * a[0]->u.number);
}

/* (value, index, array) -> [value, index, count] */
static jn_value *f_triple(jn_ctx *c, jn_value *const *a, int n, void *d)
{
    (void)d;
    ck_assert_int_eq(n, 3);
    jn_value *r = jn_array(c, 3);
    jn_array_push(c, r, a[0]);
    jn_array_push(c, r, a[1]);
    jn_array_push(c, r, jn_number(c, (double)a[2]->u.array.n));
    return r;
}

/* odd numbers; undefined for even ones */
static jn_value *f_odd_or_undef(jn_ctx *c, jn_value *const *a, int n, void *d)
{
    (void)c, (void)d, (void)n;
    return fmod(a[0]->u.number, 2) != 0 ? a[0] : NULL;
}

static jn_value *f_gt2(jn_ctx *c, jn_value *const *a, int n, void *d)
{
    (void)c, (void)d, (void)n;
    return jn_bool(a[0]->u.number > 2);
}

/* (value, key) -> key & "=" & value (strings) */
static jn_value *f_kv(jn_ctx *c, jn_value *const *a, int n, void *d)
{
    (void)d;
    ck_assert_int_eq(n, 2);
    char *s = jn_printf(c, "%s=%.15g", a[1]->u.string.s, a[0]->u.number);
    return jn_cstring(c, s);
}

static jn_value *f_add(jn_ctx *c, jn_value *const *a, int n, void *d)
{
    (void)d;
    ck_assert_int_eq(n, 2);
    return jn_number(c, a[0]->u.number + a[1]->u.number);
}

/* (acc, value, index, array): acc + value * index + count */
static jn_value *f_fold4(jn_ctx *c, jn_value *const *a, int n, void *d)
{
    (void)d;
    ck_assert_int_eq(n, 4);
    return jn_number(c, a[0]->u.number + a[1]->u.number * a[2]->u.number +
                            (double)a[3]->u.array.n);
}

/* comparator on member "k" (descending), ties keep their order */
static jn_value *f_by_k_desc(jn_ctx *c, jn_value *const *a, int n, void *d)
{
    (void)c, (void)d;
    ck_assert_int_eq(n, 2);
    return jn_bool(jn_object_get(a[0], "k", 1)->u.number <
                   jn_object_get(a[1], "k", 1)->u.number);
}

static jn_value *fnv(const char *name, jn_native_fn fn, int arity)
{
    jn_value *f = jn_native(cx, name, NULL, fn, NULL);
    f->u.function->arity = arity;
    return f;
}

/* Calls the native $name under jn_try; returns the error code ("" when
 * it succeeds) and copies the message into msg. */
typedef struct pending {
    const char *name;
    int nargs;
    jn_value *args[4];
} pending;

static jn_value *run_pending(jn_ctx *c, void *data)
{
    pending *p = data;
    for (const jn_builtin *b = jn_builtins_coll; b->name; b++)
        if (strcmp(b->name, p->name) == 0)
            return b->fn(c, p->args, p->nargs, NULL);
    return NULL;
}

static const char *fails(char *msg, size_t msgcap, const char *name, int nargs, ...)
{
    static jn_error err;
    pending p = { name, nargs, { NULL } };
    va_list ap;
    va_start(ap, nargs);
    for (int i = 0; i < nargs; i++)
        p.args[i] = va_arg(ap, jn_value *);
    va_end(ap);
    memset(&err, 0, sizeof err);
    jn_value *result;
    if (jn_try(cx, run_pending, &p, &result, &err))
        return "";
    if (msg)
        snprintf(msg, msgcap, "%s", err.message);
    return err.code;
}

static const char *eval_str(const char *expr, const char *input)
{
    jn_error err;
    const jn_node *ast = jn_parse(cx, expr, strlen(expr), &err);
    ck_assert_msg(ast != NULL, "parse error %s in %s", err.code, expr);
    jn_value *result;
    ck_assert_msg(jn_eval(cx, ast, input ? J(input) : NULL, &result, &err),
                  "%s failed: %s %s", expr, err.code, err.message);
    return S(result);
}

/* ==== aggregation ====================================================== */

START_TEST(test_aggregates)
{
    ck_is(call("count", 1, J("[1,2,3]")), "3");
    ck_is(call("count", 1, J("[]")), "0");
    ck_is(call("count", 1, NULL), "0");
    ck_is(call("sum", 1, J("[1,2,3.5]")), "6.5");
    ck_is(call("sum", 1, J("[]")), "0");
    ck_is(call("sum", 1, NULL), "undefined");
    ck_is(call("sum", 1, J("[0.1,0.2]")), "0.3");    /* %.15g */
    ck_assert(call("sum", 1, J("[0.1,0.2]"))->u.number == 0.1 + 0.2);
    ck_is(call("max", 1, J("[1,5,-3]")), "5");
    ck_is(call("max", 1, J("[-1,-5]")), "-1");
    ck_is(call("max", 1, J("[]")), "undefined");
    ck_is(call("max", 1, NULL), "undefined");
    ck_is(call("min", 1, J("[1,5,-3]")), "-3");
    ck_is(call("min", 1, J("[]")), "undefined");
    ck_is(call("average", 1, J("[1,2,3,4]")), "2.5");
    ck_is(call("average", 1, J("[]")), "undefined");
    ck_is(call("average", 1, NULL), "undefined");
    /* Math.max/min order +0 above -0 */
    ck_assert(!signbit(call("max", 1, J("[-0.0,0]"))->u.number));
    ck_assert(signbit(call("min", 1, J("[0,-0.0]"))->u.number));
}
END_TEST

/* ==== boolean ========================================================== */

START_TEST(test_boolean)
{
    ck_is(call("boolean", 1, NULL), "undefined");
    ck_is(call("boolean", 1, J("0")), "false");
    ck_is(call("boolean", 1, J("\"\"")), "false");
    ck_is(call("boolean", 1, J("\"0\"")), "true");
    ck_is(call("boolean", 1, J("[]")), "false");
    ck_is(call("boolean", 1, J("[0,false]")), "false");
    ck_is(call("boolean", 1, J("[0,1]")), "true");
    ck_is(call("boolean", 1, J("{}")), "false");
    ck_is(call("boolean", 1, J("{\"a\":0}")), "true");
    ck_is(call("boolean", 1, J("null")), "false");
    ck_is(call("boolean", 1, fnv("sq", f_square, 1)), "false");
    ck_is(call("not", 1, NULL), "undefined");
    ck_is(call("not", 1, J("[]")), "true");
    ck_is(call("not", 1, J("\"x\"")), "false");
    ck_is(call("exists", 1, NULL), "false");
    ck_is(call("exists", 1, J("null")), "true");
    ck_is(call("exists", 1, J("false")), "true");
    ck_is(call("type", 1, NULL), "undefined");
    ck_is(call("type", 1, J("null")), "\"null\"");
    ck_is(call("type", 1, J("1")), "\"number\"");
    ck_is(call("type", 1, J("\"1\"")), "\"string\"");
    ck_is(call("type", 1, J("true")), "\"boolean\"");
    ck_is(call("type", 1, J("[]")), "\"array\"");
    ck_is(call("type", 1, J("{}")), "\"object\"");
    ck_is(call("type", 1, fnv("sq", f_square, 1)), "\"function\"");
}
END_TEST

/* ==== arrays =========================================================== */

START_TEST(test_append)
{
    jn_value *r = call("append", 2, J("[1,2]"), J("[3,4]"));
    ck_is(r, "[1,2,3,4]");
    ck_plain(r);
    ck_is(call("append", 2, J("1"), J("[3,4]")), "[1,3,4]");
    ck_is(call("append", 2, J("1"), J("2")), "[1,2]");
    ck_is(call("append", 2, J("1"), NULL), "1");
    ck_is(call("append", 2, NULL, J("[2,3]")), "[2,3]");
    ck_is(call("append", 2, NULL, NULL), "undefined");
    /* arguments are left alone */
    jn_value *a = J("[1]");
    call("append", 2, a, J("[2]"));
    ck_is(a, "[1]");
    /* undefined returns the other argument itself, flags and all */
    jn_value *s = jn_sequence(cx);
    jn_array_push(cx, s, J("7"));
    ck_assert_ptr_eq(call("append", 2, NULL, s), s);
}
END_TEST

START_TEST(test_reverse_shuffle)
{
    jn_value *a = J("[1,2,3]");
    jn_value *r = call("reverse", 1, a);
    ck_is(r, "[3,2,1]");
    ck_plain(r);
    ck_is(a, "[1,2,3]");
    ck_is(call("reverse", 1, NULL), "undefined");
    jn_value *one = J("[1]");
    ck_assert_ptr_eq(call("reverse", 1, one), one);

    jn_value *ten = J("[1,2,3,4,5,6,7,8,9,10]");
    jn_value *sh = call("shuffle", 1, ten);
    ck_plain(sh);
    ck_assert_int_eq((int)sh->u.array.n, 10);
    int seen[11] = { 0 };
    for (size_t i = 0; i < 10; i++)
        seen[(int)sh->u.array.items[i]->u.number]++;
    for (int i = 1; i <= 10; i++)
        ck_assert_int_eq(seen[i], 1);
    ck_is(ten, "[1,2,3,4,5,6,7,8,9,10]");
    ck_is(call("shuffle", 1, NULL), "undefined");
    ck_assert_ptr_eq(call("shuffle", 1, one), one);
}
END_TEST

START_TEST(test_sort)
{
    jn_value *a = J("[1,3,22,11]");
    jn_value *r = call("sort", 1, a);
    ck_is(r, "[1,3,11,22]");
    ck_plain(r);
    ck_is(a, "[1,3,22,11]");
    ck_is(call("sort", 1, J("[\"b\",\"B\",\"a\",\"ab\",\"\"]")), "[\"\",\"B\",\"a\",\"ab\",\"b\"]");
    ck_is(call("sort", 1, NULL), "undefined");
    jn_value *one = J("[{\"a\":1}]");
    ck_assert_ptr_eq(call("sort", 1, one), one);
    ck_is(call("sort", 1, J("[]")), "[]");
    /* JavaScript compares UTF-16 units: U+1F600 (D83D DE00) < U+FF01 */
    ck_is(call("sort", 1, J("[\"\\uFF01\",\"\\uD83D\\uDE00\",\"\\u00E9\"]")),
          "[\"\xC3\xA9\",\"\xF0\x9F\x98\x80\",\"\xEF\xBC\x81\"]");
    /* stable with a comparator */
    jn_value *objs = J("[{\"k\":1,\"i\":0},{\"k\":2,\"i\":1},{\"k\":1,\"i\":2},"
                       "{\"k\":3,\"i\":3},{\"k\":2,\"i\":4}]");
    ck_is(call("sort", 2, objs, fnv("cmp", f_by_k_desc, 2)),
          "[{\"k\":3,\"i\":3},{\"k\":2,\"i\":1},{\"k\":2,\"i\":4},"
          "{\"k\":1,\"i\":0},{\"k\":1,\"i\":2}]");
}
END_TEST

START_TEST(test_distinct)
{
    jn_value *r = call("distinct", 1, J("[1,2,1,\"1\",[1],[1],{\"a\":1,\"b\":[2]},"
                                        "{\"b\":[2],\"a\":1},null,null,true,1.0]"));
    ck_is(r, "[1,2,\"1\",[1],{\"a\":1,\"b\":[2]},null,true]");
    ck_plain(r);
    jn_value *s = jn_sequence(cx);
    jn_array_push(cx, s, J("\"x\""));
    jn_array_push(cx, s, J("\"x\""));
    r = call("distinct", 1, s);
    ck_is(r, "[\"x\"]");
    ck_seq(r);
    ck_is(call("distinct", 1, NULL), "undefined");
    ck_is(call("distinct", 1, J("null")), "null");
    ck_is(call("distinct", 1, J("\"hello\"")), "\"hello\"");
    /* many items, few distinct */
    jn_value *big = jn_array(cx, 0);
    for (int i = 0; i < 5000; i++)
        jn_array_push(cx, big, jn_number(cx, i % 7));
    ck_is(call("distinct", 1, big), "[0,1,2,3,4,5,6]");
}
END_TEST

START_TEST(test_zip)
{
    jn_value *r = call("zip", 2, J("[1,2,3]"), J("[4,5,6]"));
    ck_is(r, "[[1,4],[2,5],[3,6]]");
    ck_plain(r);
    ck_plain(r->u.array.items[0]);
    ck_is(call("zip", 3, J("[1,2,3]"), J("[4,5]"), J("[7,8,9]")), "[[1,4,7],[2,5,8]]");
    ck_is(call("zip", 1, J("[1,2]")), "[[1],[2]]");
    ck_is(call("zip", 3, J("[1]"), J("[2]"), NULL), "[]");
}
END_TEST

/* ==== objects ========================================================== */

START_TEST(test_keys_lookup)
{
    jn_value *r = call("keys", 1, J("{\"b\":1,\"a\":{\"c\":2}}"));
    ck_is(r, "[\"b\",\"a\"]");
    ck_seq(r);
    ck_is(call("keys", 1, J("[{\"a\":1,\"b\":2},{\"b\":3,\"c\":4},[{\"d\":5}],7]")),
          "[\"a\",\"b\",\"c\",\"d\"]");
    ck_is(call("keys", 1, J("{}")), "[]");
    ck_is(call("keys", 1, J("\"foo\"")), "[]");
    ck_is(call("keys", 1, NULL), "[]");
    ck_is(call("keys", 1, fnv("sq", f_square, 1)), "[]");

    ck_is(call("lookup", 2, J("{\"a\":1}"), J("\"a\"")), "1");
    ck_is(call("lookup", 2, J("{\"a\":1}"), J("\"b\"")), "undefined");
    r = call("lookup", 2, J("[{\"a\":1},{\"a\":[2,3]},{\"b\":4},[{\"a\":5}]]"), J("\"a\""));
    ck_is(r, "[1,2,3,5]");
    ck_seq(r);
    ck_is(call("lookup", 2, J("5"), J("\"a\"")), "undefined");
    ck_is(call("lookup", 2, J("{\"undefined\":1}"), NULL), "1");
}
END_TEST

START_TEST(test_spread_merge)
{
    jn_value *r = call("spread", 1, J("{\"a\":1,\"b\":2}"));
    ck_is(r, "[{\"a\":1},{\"b\":2}]");
    ck_seq(r);
    r = call("spread", 1, J("[{\"a\":1},{\"b\":2,\"c\":3},5]"));
    ck_is(r, "[{\"a\":1},{\"b\":2},{\"c\":3},5]");
    ck_plain(r);
    ck_is(call("spread", 1, J("\"Hello\"")), "\"Hello\"");
    ck_is(call("spread", 1, NULL), "undefined");
    ck_is(call("spread", 1, J("[]")), "[]");
    ck_seq(call("spread", 1, J("[]")));

    ck_is(call("merge", 1, J("[{\"a\":1},{\"b\":2,\"a\":3}]")), "{\"a\":3,\"b\":2}");
    ck_is(call("merge", 1, J("[]")), "{}");
    ck_is(call("merge", 1, NULL), "undefined");
}
END_TEST

START_TEST(test_each_sift)
{
    jn_value *o = J("{\"a\":1,\"b\":2,\"c\":3}");
    jn_value *r = call("each", 2, o, fnv("kv", f_kv, 2));
    ck_is(r, "[\"a=1\",\"b=2\",\"c=3\"]");
    ck_seq(r);
    ck_is(call("each", 2, o, fnv("odd", f_odd_or_undef, 1)), "[1,3]");
    ck_is(call("each", 2, NULL, fnv("odd", f_odd_or_undef, 1)), "[]");

    ck_is(call("sift", 2, o, fnv("gt2", f_gt2, 1)), "{\"c\":3}");
    ck_is(call("sift", 2, o, fnv("odd", f_odd_or_undef, 1)), "{\"a\":1,\"c\":3}");
    ck_is(call("sift", 2, J("{\"a\":0}"), fnv("odd", f_odd_or_undef, 1)), "undefined");
    ck_is(call("sift", 2, NULL, fnv("odd", f_odd_or_undef, 1)), "undefined");
}
END_TEST

/* ==== higher-order ===================================================== */

START_TEST(test_map_filter)
{
    jn_value *r = call("map", 2, J("[1,2,3]"), fnv("sq", f_square, 1));
    ck_is(r, "[1,4,9]");
    ck_seq(r);
    ck_is(call("map", 2, J("[5,6]"), fnv("t", f_triple, 3)), "[[5,0,2],[6,1,2]]");
    ck_is(call("map", 2, J("[1,2,3,4]"), fnv("odd", f_odd_or_undef, 1)), "[1,3]");
    ck_is(call("map", 2, NULL, fnv("sq", f_square, 1)), "undefined");

    r = call("filter", 2, J("[1,2,3,4]"), fnv("gt2", f_gt2, 1));
    ck_is(r, "[3,4]");
    ck_seq(r);
    ck_is(call("filter", 2, J("[1,2]"), fnv("gt2", f_gt2, 1)), "[]");
    ck_is(call("filter", 2, NULL, fnv("gt2", f_gt2, 1)), "undefined");

    ck_is(call("single", 2, J("[1,2,3]"), fnv("gt2", f_gt2, 1)), "3");
    ck_is(call("single", 1, J("[7]")), "7");
    ck_is(call("single", 2, NULL, fnv("gt2", f_gt2, 1)), "undefined");
}
END_TEST

START_TEST(test_reduce)
{
    ck_is(call("reduce", 2, J("[1,2,3,4,5]"), fnv("add", f_add, 2)), "15");
    ck_is(call("reduce", 3, J("[1,2,3,4,5]"), fnv("add", f_add, 2), J("2")), "17");
    ck_is(call("reduce", 2, J("[1]"), fnv("add", f_add, 2)), "1");
    ck_is(call("reduce", 2, J("[]"), fnv("add", f_add, 2)), "undefined");
    ck_is(call("reduce", 3, J("[]"), fnv("add", f_add, 2), J("9")), "9");
    ck_is(call("reduce", 2, NULL, fnv("add", f_add, 2)), "undefined");
    /* 10 + 1*0+3 + 2*1+3 + 3*2+3 */
    ck_is(call("reduce", 3, J("[1,2,3]"), fnv("f4", f_fold4, 4), J("10")), "27");
}
END_TEST

START_TEST(test_clone)
{
    jn_value *a = J("{\"a\":[1,{\"b\":null}],\"c\":\"x\",\"d\":0.1}");
    jn_value *r = call("clone", 1, a);
    ck_is(r, "{\"a\":[1,{\"b\":null}],\"c\":\"x\",\"d\":0.1}");
    ck_assert_ptr_ne(r, a);
    ck_assert(jn_deep_equal(r, a));
    ck_is(call("clone", 1, NULL), "undefined");
    /* numbers go through 15 significant digits, as $string does */
    ck_assert(call("clone", 1, J("[0.30000000000000004]"))->u.array.items[0]->u.number == 0.3);
}
END_TEST

/* ==== errors =========================================================== */

START_TEST(test_errors)
{
    char msg[512];
    ck_assert_str_eq(fails(NULL, 0, "sort", 1, J("[1,\"a\"]")), "D3070");
    ck_assert_str_eq(fails(NULL, 0, "sort", 1, J("[{\"a\":1},{\"a\":2}]")), "D3070");
    ck_assert_str_eq(fails(NULL, 0, "sort", 1, J("[1,null]")), "D3070");
    ck_assert_str_eq(fails(NULL, 0, "reduce", 2, J("[1,2]"), fnv("sq", f_square, 1)), "D3050");
    ck_assert_str_eq(fails(NULL, 0, "reduce", 2, J("[1,2]"), NULL), "D3050");
    ck_assert_str_eq(fails(NULL, 0, "single", 1, J("[1,2]")), "D3138");
    ck_assert_str_eq(fails(NULL, 0, "single", 1, J("[]")), "D3139");
    ck_assert_str_eq(fails(NULL, 0, "single", 2, J("[1,2,3,4]"), fnv("gt2", f_gt2, 1)), "D3138");
    ck_assert_str_eq(fails(NULL, 0, "single", 2, J("[1,2]"), fnv("gt2", f_gt2, 1)), "D3139");
    ck_assert_str_eq(fails(msg, sizeof msg, "error", 1, J("\"Too Expensive\"")), "D3137");
    ck_assert_str_eq(msg, "Too Expensive");
    ck_assert_str_eq(fails(msg, sizeof msg, "error", 0), "D3137");
    ck_assert_str_eq(msg, "$error() function evaluated");
    ck_assert_str_eq(fails(msg, sizeof msg, "error", 1, J("\"\"")), "D3137");
    ck_assert_str_eq(msg, "$error() function evaluated");
    ck_assert_str_eq(fails(msg, sizeof msg, "assert", 1, J("false")), "D3141");
    ck_assert_str_eq(msg, "$assert() statement failed");
    ck_assert_str_eq(fails(msg, sizeof msg, "assert", 2, JN_FALSE, J("\"no\"")), "D3141");
    ck_assert_str_eq(msg, "no");
    ck_assert_str_eq(fails(msg, sizeof msg, "assert", 1, NULL), "D3141");
    ck_assert_str_eq(fails(NULL, 0, "assert", 1, JN_TRUE), "");
    ck_assert_str_eq(fails(NULL, 0, "type", 1, jn_number(cx, INFINITY)), "D1001");
    /* what the signature would have caught still fails cleanly */
    ck_assert_str_eq(fails(NULL, 0, "sum", 1, J("[1,\"a\"]")), "T0412");
    ck_assert_str_eq(fails(NULL, 0, "merge", 1, J("[{},5]")), "T0412");
    ck_assert_str_eq(fails(NULL, 0, "error", 1, J("5")), "T0410");
    ck_assert_str_eq(fails(NULL, 0, "clone", 1, J("\"x\"")), "T0410");
    ck_assert_str_eq(fails(NULL, 0, "map", 2, J("[1]"), J("5")), "T1006");
}
END_TEST

/* ==== through the evaluator ============================================ */

START_TEST(test_through_evaluator)
{
    /* singleton sequences unwrap, plain arrays do not */
    ck_assert_str_eq(eval_str("$map([3], function($v){$v*2})", NULL), "6");
    ck_assert_str_eq(eval_str("$reverse([3])", NULL), "[3]");
    ck_assert_str_eq(eval_str("$keys({\"foo\":{}})", NULL), "\"foo\"");
    ck_assert_str_eq(eval_str("$map([1,2,3], function($v, $i, $a){$v + $i + $count($a)})", NULL),
                     "[4,6,8]");
    ck_assert_str_eq(eval_str("$sort(a, function($x, $y){$x > $y})", "{\"a\":[3,1,2]}"), "[1,2,3]");
    ck_assert_str_eq(eval_str("$reduce([1,2,3], function($a, $v, $i, $arr){$a + $v * $i + $count($arr)}, 10)",
                              NULL), "27");
    ck_assert_str_eq(eval_str("$sift({'a': 1, 'b': 0}, $boolean)", NULL), "{\"a\":1}");
    ck_assert_str_eq(eval_str("$each({'a': 'hello', 'b': 'world'}, $uppercase)", NULL),
                     "[\"HELLO\",\"WORLD\"]");
}
END_TEST

/* ==== the runner ======================================================= */

static Suite *coll_suite(void)
{
    Suite *s = suite_create("jsonata_coll");
    TCase *tc = tcase_create("natives");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_aggregates);
    tcase_add_test(tc, test_boolean);
    tcase_add_test(tc, test_append);
    tcase_add_test(tc, test_reverse_shuffle);
    tcase_add_test(tc, test_sort);
    tcase_add_test(tc, test_distinct);
    tcase_add_test(tc, test_zip);
    tcase_add_test(tc, test_keys_lookup);
    tcase_add_test(tc, test_spread_merge);
    tcase_add_test(tc, test_each_sift);
    tcase_add_test(tc, test_map_filter);
    tcase_add_test(tc, test_reduce);
    tcase_add_test(tc, test_clone);
    suite_add_tcase(s, tc);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("evaluator");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_through_evaluator);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = run_suite(coll_suite(), CK_ENV);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

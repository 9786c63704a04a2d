/*
 * check_jsonata.c - unit tests for the JSONata core: the values module
 * (runtime/jsonata/value.c), the parser (runtime/jsonata/parse.c: error
 * codes, positions and tokens as jsonata-js's parser.js reports them) and
 * the evaluator (runtime/jsonata/eval.c) on representative expressions.
 *
 * Expected results are jsonata-js 2.0.6's (checked against it with node);
 * the whole 1,625-case suite runs separately (tests/run-jsonata-suite.sh).
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"
#include "jsonata/jsonata.h"
#include "testutil.h"

static jn_ctx *cx;
static json_t *keep;     /* inputs: jn_from_json references their strings */

static void setup(void)
{
    cx = jn_ctx_create(NULL);
    keep = json_array();
}

static void teardown(void)
{
    jn_ctx_destroy(cx);
    json_decref(keep);
}

static jn_value *val(const char *json)
{
    json_error_t e;
    json_t *j = json_loads(json, JSON_DECODE_ANY, &e);
    ck_assert_msg(j != NULL, "bad test JSON %s", json);
    json_array_append_new(keep, j);
    return jn_from_json(cx, j);
}

/* The compact JSON of v ("undefined" for NULL), malloc'd. */
static char *dump(const jn_value *v)
{
    bool unsupported;
    json_t *j = jn_to_json(v, &unsupported);
    if (!j)
        return strdup(unsupported ? "function" : "undefined");
    aslrtp_buf b = {0};
    aslrtp_buf_add_json(&b, j);   /* numbers in their shortest form */
    json_decref(j);
    return aslrtp_buf_finish(&b);
}

/* Evaluates expr on input (JSON text or NULL): the result's JSON, or
 * "ERR <code>" / "ERR <code> <token>" when it fails. */
static char *run(const char *expr, const char *input)
{
    jn_error err;
    const jn_node *ast = jn_parse(cx, expr, strlen(expr), &err);
    jn_value *r;
    if (!ast || !jn_eval(cx, ast, input ? val(input) : NULL, &r, &err)) {
        char buf[160];
        if (err.token[0])
            snprintf(buf, sizeof buf, "ERR %s %s", err.code, err.token);
        else
            snprintf(buf, sizeof buf, "ERR %s", err.code);
        return strdup(buf);
    }
    return dump(r);
}

#define CHECK_RUN(expr, input, want)                                           \
    do {                                                                       \
        char *got_ = run(expr, input);                                         \
        ck_assert_msg(strcmp(got_, want) == 0, "%s: got %s, want %s", expr,    \
                      got_, want);                                             \
        free(got_);                                                            \
    } while (0)

/* ==== values ============================================================ */

START_TEST(number_text)
{
    static const struct {
        double d;
        const char *text;
    } rows[] = {
        {0, "0"}, {-0.0, "0"}, {1, "1"}, {-1.5, "-1.5"}, {0.1, "0.1"},
        {0.1 + 0.2, "0.30000000000000004"}, {1e21, "1e+21"}, {1e20, "100000000000000000000"},
        {123456789012345680000.0, "123456789012345680000"}, {1e-7, "1e-7"},
        {0.000001, "0.000001"}, {1.5e-7, "1.5e-7"}, {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"}, {100, "100"},
        {9.33262154439441e+155, "9.33262154439441e+155"}, {2.5e-5, "0.000025"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        jn_format_number(rows[i].d, buf);
        ck_assert_str_eq(buf, rows[i].text);
    }
}
END_TEST

START_TEST(stringify)
{
    jn_value *v = val("{\"a\":[1,0.1,\"x\\\"y\"],\"b\":{},\"c\":null,\"d\":true}");
    jn_value *s = jn_stringify(cx, v, false);
    ck_assert_str_eq(s->u.string.s, "{\"a\":[1,0.1,\"x\\\"y\"],\"b\":{},\"c\":null,\"d\":true}");
    s = jn_stringify(cx, val("{\"a\":[1,{\"b\":2}],\"e\":[]}"), true);
    ck_assert_str_eq(s->u.string.s,
                     "{\n  \"a\": [\n    1,\n    {\n      \"b\": 2\n    }\n  ],\n  \"e\": []\n}");
    /* numbers go through toPrecision(15) */
    ck_assert_str_eq(jn_stringify(cx, jn_number(cx, 0.1 + 0.2), false)->u.string.s, "0.3");
    ck_assert_str_eq(jn_stringify(cx, val("[1e21, 3.14159265358979]"), false)->u.string.s,
                     "[1e+21,3.14159265358979]");
    /* control characters as JSON.stringify writes them */
    ck_assert_str_eq(jn_stringify(cx, val("[\"\\u0001\\n\"]"), false)->u.string.s,
                     "[\"\\u0001\\n\"]");
    ck_assert_ptr_null(jn_stringify(cx, NULL, false));
}
END_TEST

START_TEST(objects)
{
    jn_value *o = jn_object(cx);
    char key[16];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "k%d", i);
        jn_object_set(cx, o, key, strlen(key), jn_number(cx, i));
    }
    ck_assert_uint_eq(o->u.object.n, 100);
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "k%d", i);
        jn_value *v = jn_object_get(o, key, strlen(key));
        ck_assert_ptr_nonnull(v);
        ck_assert_double_eq(v->u.number, i);
        ck_assert_str_eq(o->u.object.members[i].key, key);   /* insertion order */
    }
    jn_object_set(cx, o, "k5", 2, JN_TRUE);          /* replaced in place */
    ck_assert_uint_eq(o->u.object.n, 100);
    ck_assert_str_eq(o->u.object.members[5].key, "k5");
    ck_assert(jn_object_delete(cx, o, "k0", 2));
    ck_assert_ptr_null(jn_object_get(o, "k0", 2));
    ck_assert_ptr_eq(jn_object_get(o, "k5", 2), JN_TRUE);
    /* integer-like keys first, ascending, as JavaScript enumerates them */
    jn_value *p = val("{\"b\":1,\"10\":2,\"a\":3,\"2\":4,\"01\":5}");
    char *s = dump(p);
    ck_assert_str_eq(s, "{\"2\":4,\"10\":2,\"b\":1,\"a\":3,\"01\":5}");
    free(s);
}
END_TEST

START_TEST(equality_and_truth)
{
    ck_assert(jn_deep_equal(val("{\"a\":[1,{\"b\":null}],\"c\":\"x\"}"),
                            val("{\"c\":\"x\",\"a\":[1,{\"b\":null}]}")));
    ck_assert(!jn_deep_equal(val("[1,2]"), val("[2,1]")));
    ck_assert(!jn_deep_equal(val("{\"a\":1}"), val("{\"a\":1,\"b\":2}")));
    ck_assert(!jn_deep_equal(val("1"), val("\"1\"")));
    ck_assert(jn_boolean_of(val("[0, 1]")));
    ck_assert(!jn_boolean_of(val("[0, false, \"\"]")));
    ck_assert(!jn_boolean_of(val("[]")));
    ck_assert(!jn_boolean_of(val("{}")));
    ck_assert(jn_boolean_of(val("{\"a\":0}")));
    ck_assert(!jn_boolean_of(NULL));
    ck_assert_str_eq(jn_type_name(val("[]")), "array");
    ck_assert_ptr_null(jn_type_name(NULL));
}
END_TEST

START_TEST(utf8)
{
    const char *s = "a\xc3\xa9\xf0\x9f\x98\x80z";   /* a é 😀 z */
    ck_assert_uint_eq(jn_utf8_count(s, strlen(s)), 4);
    ck_assert_uint_eq(jn_utf8_offset(s, strlen(s), 2), 3);
    ck_assert_uint_eq(jn_utf8_offset(s, strlen(s), 3), 7);
    ck_assert_uint_eq(jn_utf8_offset(s, strlen(s), 99), strlen(s));
}
END_TEST

START_TEST(conversion)
{
    jn_value *v = val("{\"a\":[1,2.5,\"s\",null,true],\"b\":{\"c\":-3}}");
    char *s = dump(v);
    ck_assert_str_eq(s, "{\"a\":[1,2.5,\"s\",null,true],\"b\":{\"c\":-3}}");
    free(s);
    /* sequences are arrays; functions are left out of objects, null in arrays */
    s = run("{'f': $sum, 'a': [1, $sum], 'n': 2}", NULL);
    ck_assert_str_eq(s, "{\"a\":[1,null],\"n\":2}");
    free(s);
    bool unsupported;
    jn_error err;
    const jn_node *ast = jn_parse(cx, "$sum", 4, &err);
    jn_value *r;
    ck_assert(jn_eval(cx, ast, NULL, &r, &err));
    ck_assert_ptr_null(jn_to_json(r, &unsupported));
    ck_assert(unsupported);
}
END_TEST

START_TEST(arena_and_bindings)
{
    for (int round = 0; round < 3; round++) {
        jn_bind(cx, "x", jn_number(cx, 41));
        CHECK_RUN("$x + 1", NULL, "42");
        char *big = jn_alloc(cx, 10 * 1024 * 1024);   /* a block of its own */
        big[10 * 1024 * 1024 - 1] = 1;
        ck_assert_str_eq(jn_printf(cx, "%d-%s", 7, "x"), "7-x");
        jn_ctx_reset(cx);
        CHECK_RUN("$x", NULL, "undefined");          /* bindings go with the reset */
        jn_ctx_reset(cx);
    }
    double r = jn_random(cx);
    ck_assert(r >= 0 && r < 1);
}
END_TEST

/* ==== the parser ======================================================== */

static void check_syntax(const char *expr, const char *code, int position, const char *token)
{
    jn_error err;
    const jn_node *ast = jn_parse(cx, expr, strlen(expr), &err);
    ck_assert_msg(ast == NULL, "%s parsed", expr);
    ck_assert_msg(strcmp(err.code, code) == 0, "%s: %s, want %s", expr, err.code, code);
    ck_assert_msg(err.position == position, "%s: position %d, want %d", expr, err.position,
                  position);
    if (token)
        ck_assert_str_eq(err.token, token);
    ck_assert(err.message[0] != '\0');
}

START_TEST(syntax_errors)
{
    check_syntax("\"abc", "S0101", 4, NULL);
    check_syntax("1e999", "S0102", 0, "1e999");
    check_syntax("\"a\\qb\"", "S0103", 3, "q");
    check_syntax("\"\\u12\"", "S0104", 2, NULL);
    check_syntax("`abc", "S0105", 4, NULL);
    check_syntax("1 /* open", "S0106", 2, NULL);
    check_syntax("(1 2)", "S0202", 4, "2");
    check_syntax("[1,2", "S0203", 4, "(end)");
    check_syntax("a ! b", "S0204", 3, "!");
    check_syntax("function(a){1}", "S0208", 10, "a");
    check_syntax(")", "S0211", 1, ")");
    check_syntax("1 := 2", "S0212", 1, NULL);
    check_syntax("a.5", "S0213", 3, NULL);
    check_syntax("Account.Order@o.Product", "S0214", 15, "@");
    check_syntax("Account.Order[1]@$o", "S0215", 17, NULL);
    check_syntax("a^(b)@$o", "S0216", 6, NULL);
    check_syntax("%", "S0217", 1, "parent");
    check_syntax("//", "S0301", 1, NULL);
    check_syntax("/abc", "S0302", 4, NULL);
    check_syntax("function($x)<n<n>>{1}", "S0401", 15, NULL);
    check_syntax("function($x)<(sa<n>)>{1}", "S0402", 14, NULL);
    check_syntax("$x{'a':1}[0]", "S0209", 10, NULL);
    check_syntax("a{'x':1}{'y':2}", "S0210", 9, NULL);
    /* the message as jsonata-js words it */
    jn_error err;
    ck_assert_ptr_null(jn_parse(cx, "(1 2)", 5, &err));
    ck_assert_str_eq(err.message, "Expected \")\", got 2");
    ck_assert_ptr_null(jn_parse(cx, "\"a\\qb\"", 6, &err));
    ck_assert_str_eq(err.message, "Unsupported escape sequence: \\\"q\"");
}
END_TEST

START_TEST(parse_shapes)
{
    jn_error err;
    const jn_node *n = jn_parse(cx, "a.b[0].c", 8, &err);
    ck_assert_ptr_nonnull(n);
    ck_assert_int_eq(n->type, ASLRT_JN_PATH);
    ck_assert_int_eq(n->nitems, 3);
    ck_assert_int_eq(n->items[1]->nstages, 1);
    ck_assert_int_eq(n->items[1]->stages[0]->type, ASLRT_JN_FILTER);
    /* a tail call becomes a thunk */
    n = jn_parse(cx, "function($n){$f($n)}", 20, &err);
    ck_assert_int_eq(n->type, ASLRT_JN_LAMBDA);
    ck_assert(n->lhs->flags & ASLRT_JN_THUNK);
    /* unary minus on a number literal is folded */
    n = jn_parse(cx, "-5", 2, &err);
    ck_assert_int_eq(n->type, ASLRT_JN_NUMBER);
    ck_assert_double_eq(n->number, -5);
    /* surrogate pairs in escapes become one UTF-8 character */
    n = jn_parse(cx, "\"\\ud83d\\ude00\"", 14, &err);
    ck_assert_int_eq(n->type, ASLRT_JN_STRING);
    ck_assert_str_eq(n->str, "\xf0\x9f\x98\x80");
    /* comments and whitespace */
    n = jn_parse(cx, " /* c */ 1 /* d */ ", 19, &err);
    ck_assert_int_eq(n->type, ASLRT_JN_NUMBER);
}
END_TEST

/* ==== the evaluator ===================================================== */

static const char *doc =
    "{\"Account\":{\"Name\":\"Firefly\",\"Order\":["
    "{\"OrderID\":\"o1\",\"Product\":[{\"Name\":\"Hat\",\"Price\":34.45,\"Quantity\":2},"
    "{\"Name\":\"Trilby\",\"Price\":21.67,\"Quantity\":1}]},"
    "{\"OrderID\":\"o2\",\"Product\":[{\"Name\":\"Hat\",\"Price\":34.45,\"Quantity\":4},"
    "{\"Name\":\"Cloak\",\"Price\":107.99,\"Quantity\":1}]}]}}";

START_TEST(paths)
{
    CHECK_RUN("Account.Name", doc, "\"Firefly\"");
    CHECK_RUN("Account.Order.OrderID", doc, "[\"o1\",\"o2\"]");
    CHECK_RUN("Account.Order[0].Product.Name", doc, "[\"Hat\",\"Trilby\"]");
    CHECK_RUN("Account.Order.Product[0].Name", doc, "[\"Hat\",\"Hat\"]");
    CHECK_RUN("(Account.Order.Product)[0].Name", doc, "\"Hat\"");
    CHECK_RUN("Account.Order[-1].OrderID", doc, "\"o2\"");
    CHECK_RUN("Account.Order.Product[Price > 30].Name", doc, "[\"Hat\",\"Hat\",\"Cloak\"]");
    CHECK_RUN("Account.Order[OrderID='o2'].Product.Quantity", doc, "[4,1]");
    CHECK_RUN("Account.Order[0].OrderID[]", doc, "[\"o1\"]");
    CHECK_RUN("Account.*.OrderID", doc, "[\"o1\",\"o2\"]");
    CHECK_RUN("**.Quantity", doc, "[2,1,4,1]");
    CHECK_RUN("Account.Missing.Thing", doc, "undefined");
    CHECK_RUN("$", "[1,2]", "[1,2]");
    CHECK_RUN("$[0]", "[[1,2],3]", "[1,2]");
    CHECK_RUN("[1,[2,3],[[4]]]", NULL, "[1,[2,3],[[4]]]");
    CHECK_RUN("[1..3, 5]", NULL, "[1,2,3,5]");
    CHECK_RUN("\"a\".\"b\"", "{\"a\":{\"b\":7}}", "7");
}
END_TEST

START_TEST(operators)
{
    CHECK_RUN("1 + 2 * 3 - 4 / 2", NULL, "5");
    CHECK_RUN("7 % 3", NULL, "1");
    CHECK_RUN("-(2 + 3)", NULL, "-5");
    CHECK_RUN("'a' & 1 & true & null & [1,2]", NULL, "\"a1truenull[1,2]\"");
    CHECK_RUN("1 = 1.0 and 'a' != 'b'", NULL, "true");
    CHECK_RUN("[1,{'a':2}] = [1,{'a':2}]", NULL, "true");
    CHECK_RUN("'abc' < 'abd'", NULL, "true");
    CHECK_RUN("false or 0", NULL, "false");
    CHECK_RUN("3 in [1,2,3]", NULL, "true");
    CHECK_RUN("nothing = 1", NULL, "false");
    CHECK_RUN("nothing < 1", NULL, "undefined");
    CHECK_RUN("1 ? 'y' : 'n'", NULL, "\"y\"");
    CHECK_RUN("[] ? 'y' : 'n'", NULL, "\"n\"");
    /* ?: and ?? are jsonata-js 2.1's: 2.0.6, which AWS runs, rejects them
     * (doc/behaviour.md §5) */
    CHECK_RUN("b ?: 5", "{\"a\":1,\"b\":0}", "ERR S0211 :");
    CHECK_RUN("c ?? 7", "{\"c\":null}", "ERR S0211 ?");
    CHECK_RUN("'a' + 1", NULL, "ERR T2001 +");
    CHECK_RUN("1 - 'a'", NULL, "ERR T2002 -");
    CHECK_RUN("1 < 'a'", NULL, "ERR T2009 <");
    CHECK_RUN("{} > 1", NULL, "ERR T2010 >");
    CHECK_RUN("-'a'", NULL, "ERR D1002 -");
    CHECK_RUN("[1.5..3]", NULL, "ERR T2003 ..");
    CHECK_RUN("[1..1e8]", NULL, "ERR D2014 ..");
    CHECK_RUN("1/0 & ''", NULL, "ERR D3001 &");
}
END_TEST

START_TEST(constructors_and_grouping)
{
    CHECK_RUN("{'a': 1, 'b': [1,2], 'c': nothing}", NULL, "{\"a\":1,\"b\":[1,2]}");
    CHECK_RUN("Account.Order.Product{Name: $sum(Quantity)}", doc,
              "{\"Hat\":6,\"Trilby\":1,\"Cloak\":1}");
    CHECK_RUN("Account.Order.Product.{Name: Price}", doc,
              "[{\"Hat\":34.45},{\"Trilby\":21.67},{\"Hat\":34.45},{\"Cloak\":107.99}]");
    CHECK_RUN("{1: 2}", NULL, "ERR T1003");
    CHECK_RUN("{'a': 1, 'a': 2}", NULL, "ERR D1009");
}
END_TEST

START_TEST(variables_and_functions)
{
    CHECK_RUN("($x := 2; $y := $x * 3; $x + $y)", NULL, "8");
    CHECK_RUN("($x := 1; ($x := 2); $x)", NULL, "1");
    CHECK_RUN("($f := function($a, $b){$a * $b}; $f(3, 4))", NULL, "12");
    CHECK_RUN("($add := function($a){function($b){$a + $b}}; $add(2)(5))", NULL, "7");
    CHECK_RUN("($f := function($a, $b){$a - $b}; $g := $f(?, 1); $g(10))", NULL, "9");
    CHECK_RUN("$substring(?, 1, 2)('hello')", NULL, "\"el\"");
    CHECK_RUN("'hello' ~> $uppercase()", NULL, "\"HELLO\"");
    CHECK_RUN("($t := $trim ~> $uppercase; $t('  ab '))", NULL, "\"AB\"");
    CHECK_RUN("[1,2,3] ~> $map(function($v, $i){$v * $i})", NULL, "[0,2,6]");
    CHECK_RUN("$sum(Account.Order.Product.(Price * Quantity))", doc, "336.36");
    CHECK_RUN("function($x)<n:n>{$x}('a')", NULL, "ERR T0410");
    CHECK_RUN("$length()", "\"abc\"", "3");
    CHECK_RUN("$length()", "5", "ERR T0411 length");
    CHECK_RUN("$sum(['a'])", NULL, "ERR T0412 sum");
    CHECK_RUN("$nofunction(1)", NULL, "ERR T1006 nofunction");
    CHECK_RUN("sum(1)", NULL, "ERR T1005 sum");
    CHECK_RUN("nothing(?)", NULL, "ERR T1008 nothing");
    CHECK_RUN("1 ~> 2", NULL, "ERR T2006");
    CHECK_RUN("$eval('1')", NULL, "ERR T1006 eval");
    /* the innermost function names the error, as jsonata-js */
    CHECK_RUN("( $A := function(){$min(2, 3)}; $A() )", NULL, "ERR T0410 min");
    CHECK_RUN("( $B := function(){''}; $A := function(){2 + $B()}; $A() )", NULL,
              "ERR T2002 +");
}
END_TEST

START_TEST(sorting_joins_parent)
{
    CHECK_RUN("Account.Order.Product^(>Price, Name).Name", doc,
              "[\"Cloak\",\"Hat\",\"Hat\",\"Trilby\"]");
    CHECK_RUN("[3,1,2]^($)", NULL, "[1,2,3]");
    CHECK_RUN("[1,'a']^($)", NULL, "ERR T2007");
    CHECK_RUN("Account.Order#$i.Product.{'i': $i, 'n': Name}", doc,
              "[{\"i\":0,\"n\":\"Hat\"},{\"i\":0,\"n\":\"Trilby\"},{\"i\":1,\"n\":\"Hat\"},"
              "{\"i\":1,\"n\":\"Cloak\"}]");
    CHECK_RUN("Account.Order@$o.$o.Product[0].Name", doc, "\"Hat\"");
    CHECK_RUN("Account.Order.Product.{'o': %.OrderID, 'n': Name}[n='Cloak']", doc,
              "{\"o\":\"o2\",\"n\":\"Cloak\"}");
}
END_TEST

START_TEST(transforms_and_regex)
{
    CHECK_RUN("$ ~> |a|{'y': 2}, ['x']|", "{\"a\":{\"x\":1},\"b\":3}",
              "{\"a\":{\"y\":2},\"b\":3}");
    CHECK_RUN("$ ~> |a|5|", "{\"a\":{}}", "ERR T2011");
    CHECK_RUN("$ ~> |a|{}, 5|", "{\"a\":{}}", "ERR T2012");
    CHECK_RUN("$match('ab12cd3', /[0-9]+/).match", NULL, "[\"12\",\"3\"]");
    CHECK_RUN("/b+/i('aBBc').start", NULL, "1");
}
END_TEST

START_TEST(limits)
{
    jn_options opt = {.max_depth = 50, .now_ms = -1};
    jn_ctx *small = jn_ctx_create(&opt);
    jn_error err;
    const char *rec = "($f := function($n){$n = 0 ? 0 : 1 + $f($n - 1)}; $f(1000))";
    const jn_node *ast = jn_parse(small, rec, strlen(rec), &err);
    jn_value *r;
    ck_assert(!jn_eval(small, ast, NULL, &r, &err));
    ck_assert_str_eq(err.code, "U1001");
    /* tail calls run in constant depth */
    const char *tail = "($f := function($n, $a){$n = 0 ? $a : $f($n - 1, $a + 1)}; $f(5000, 0))";
    ast = jn_parse(small, tail, strlen(tail), &err);
    ck_assert(jn_eval(small, ast, NULL, &r, &err));
    ck_assert_double_eq(r->u.number, 5000);
    jn_ctx_destroy(small);

    jn_options timed = {.time_limit_ms = 100, .now_ms = -1};
    jn_ctx *t = jn_ctx_create(&timed);
    const char *inf = "($inf := function(){$inf()}; $inf())";
    ast = jn_parse(t, inf, strlen(inf), &err);
    ck_assert(!jn_eval(t, ast, NULL, &r, &err));
    ck_assert_str_eq(err.code, "U1001");
    ck_assert_str_eq(err.message, "Expression evaluation timeout: Check for infinite loop");
    jn_ctx_destroy(t);
}
END_TEST

static jn_value *twice(jn_ctx *c, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    if (nargs < 1 || !args[0])
        return NULL;
    return jn_number(c, 2 * args[0]->u.number * *(double *)jn_user_data(c));
}

static jn_value *failing(jn_ctx *c, void *data)
{
    (void)data;
    jn_fail(c, "D3030", NULL, jn_cstring(c, "x"), 0);
}

START_TEST(extras_apply_try)
{
    static const jn_builtin extra[] = {{"twice", "<n-:n>", twice}, {NULL, NULL, NULL}};
    double factor = 1.5;
    jn_options opt = {.extra = extra, .extra_data = &factor, .now_ms = 1000};
    jn_ctx *c = jn_ctx_create(&opt);
    jn_error err;
    const jn_node *ast = jn_parse(c, "[1,2].$twice()", 14, &err);
    jn_value *r;
    ck_assert(jn_eval(c, ast, NULL, &r, &err));
    char *s = dump(r);
    ck_assert_str_eq(s, "[3,6]");
    free(s);
    ck_assert_int_eq(jn_now_ms(c), 1000);
    /* jn_apply calls any function value */
    ast = jn_parse(c, "function($a, $b){$a & $b}", 25, &err);
    ck_assert(jn_eval(c, ast, NULL, &r, &err));
    ck_assert_int_eq(jn_function_arity(r), 2);
    /* a built-in's arity is jsonata-js's (the JavaScript parameters) */
    ast = jn_parse(c, "$string", 7, &err);
    ck_assert(jn_eval(c, ast, NULL, &r, &err));
    ck_assert_int_eq(jn_function_arity(r), 1);
    jn_ctx_destroy(c);
}
END_TEST

static jn_value *apply_body(jn_ctx *c, void *data)
{
    jn_value **v = data;
    return jn_apply(c, v[0], &v[1], 2);
}

START_TEST(apply_and_try)
{
    jn_error err;
    const jn_node *ast = jn_parse(cx, "function($a, $b){$a & $b}", 25, &err);
    jn_value *f;
    ck_assert(jn_eval(cx, ast, NULL, &f, &err));
    jn_value *v[3] = {f, jn_cstring(cx, "x"), jn_cstring(cx, "y")};
    jn_value *out;
    ck_assert(jn_try(cx, apply_body, v, &out, &err));
    ck_assert_str_eq(out->u.string.s, "xy");
    ck_assert(!jn_try(cx, failing, NULL, &out, &err));
    ck_assert_str_eq(err.code, "D3030");
    ck_assert_str_eq(err.message, "Unable to cast value to a number: \"x\"");
    /* applying a non-function */
    v[0] = jn_number(cx, 1);
    ck_assert(!jn_try(cx, apply_body, v, &out, &err));
    ck_assert_str_eq(err.code, "T1006");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("jsonata");
    TCase *tc = tcase_create("values");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, number_text);
    tcase_add_test(tc, stringify);
    tcase_add_test(tc, objects);
    tcase_add_test(tc, equality_and_truth);
    tcase_add_test(tc, utf8);
    tcase_add_test(tc, conversion);
    tcase_add_test(tc, arena_and_bindings);
    suite_add_tcase(s, tc);
    tc = tcase_create("parser");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, syntax_errors);
    tcase_add_test(tc, parse_shapes);
    suite_add_tcase(s, tc);
    tc = tcase_create("evaluator");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, paths);
    tcase_add_test(tc, operators);
    tcase_add_test(tc, constructors_and_grouping);
    tcase_add_test(tc, variables_and_functions);
    tcase_add_test(tc, sorting_joins_parent);
    tcase_add_test(tc, transforms_and_regex);
    tcase_add_test(tc, limits);
    tcase_add_test(tc, extras_apply_try);
    tcase_add_test(tc, apply_and_try);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = run_suite(suite(), CK_NORMAL);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

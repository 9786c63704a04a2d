/*
 * check_jsonpath.c - unit tests for runtime/jsonpath.c: compiling paths and
 * reference paths, evaluating them with Jayway's semantics and messages,
 * and ResultPath's set-at-path with copy-on-write.
 *
 * Values marked "corpus" were recorded on AWS (tests/conformance/localstack); the
 * other expectations follow Jayway JsonPath with its Jackson node provider,
 * which is what AWS runs.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"
#include "testutil.h"

/* ==== helpers ========================================================== */

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *v = aslrtp_json_loads(text, strlen(text), &e);
    ck_assert_msg(v != NULL, "bad test JSON %s: %s", text, e.text);
    return v;
}

static aslrtp_path *compile_ok(const char *text, int reference)
{
    char *err = NULL;
    size_t off = 0;
    aslrtp_path *p = aslrtp_path_compile(text, reference, &err, &off);
    ck_assert_msg(p != NULL, "%s does not compile: %s (at %zu)", text, err, off);
    return p;
}

/* Evaluates path over doc and compares the compact serialization. */
static void check_get(const char *path, const char *doc, const char *expected)
{
    aslrtp_path *p = compile_ok(path, 0);
    json_t *d = J(doc);
    char *why = NULL;
    json_t *v = aslrtp_path_get(p, d, &why);
    ck_assert_msg(v != NULL, "%s on %s failed: %s", path, doc, why);
    char *s = aslrt_json_dumps(v);
    ck_assert_msg(strcmp(s, expected) == 0, "%s on %s: got %s, want %s", path, doc, s,
                  expected);
    free(s);
    json_decref(v);
    json_decref(d);
    aslrtp_path_free(p);
}

static void check_get_fails(const char *path, const char *doc, const char *why_expected)
{
    aslrtp_path *p = compile_ok(path, 0);
    json_t *d = J(doc);
    char *why = NULL;
    json_t *v = aslrtp_path_get(p, d, &why);
    ck_assert_msg(v == NULL, "%s on %s should fail", path, doc);
    ck_assert_str_eq(why, why_expected);
    free(why);
    json_decref(d);
    aslrtp_path_free(p);
}

static void check_compile_fails(const char *path, int reference, size_t off_expected,
                                const char *msg_expected)
{
    char *err = NULL;
    size_t off = 12345;
    aslrtp_path *p = aslrtp_path_compile(path, reference, &err, &off);
    ck_assert_msg(p == NULL, "%s should not compile", path);
    ck_assert_str_eq(err, msg_expected);
    ck_assert_msg(off == off_expected, "%s: error at %zu, want %zu", path, off, off_expected);
    free(err);
}

/* Applies ResultPath path to doc with value and compares the result. */
static void check_set(const char *path, const char *doc, const char *value,
                      const char *expected)
{
    aslrtp_path *p = compile_ok(path, 1);
    char *why = NULL;
    json_t *r = aslrtp_path_set(p, J(doc), J(value), &why);
    ck_assert_msg(r != NULL, "set %s failed: %s", path, why);
    char *s = aslrt_json_dumps(r);
    ck_assert_str_eq(s, expected);
    free(s);
    json_decref(r);
    aslrtp_path_free(p);
}

static void check_set_fails(const char *path, const char *doc, const char *why_expected)
{
    aslrtp_path *p = compile_ok(path, 1);
    char *why = NULL;
    json_t *r = aslrtp_path_set(p, J(doc), json_integer(1), &why);
    ck_assert_msg(r == NULL, "set %s on %s should fail", path, doc);
    ck_assert_str_eq(why, why_expected);
    free(why);
    aslrtp_path_free(p);
}

/* ==== compiling ========================================================= */

START_TEST(test_roots)
{
    aslrtp_path *p = compile_ok("$", 0);
    ck_assert_int_eq(aslrtp_path_root(p), ASLRTP_ROOT_INPUT);
    ck_assert(aslrtp_path_definite(p));
    ck_assert_str_eq(aslrtp_path_text(p), "$");
    aslrtp_path_free(p);

    p = compile_ok("$$.Execution.Input", 1);
    ck_assert_int_eq(aslrtp_path_root(p), ASLRTP_ROOT_CONTEXT);
    aslrtp_path_free(p);

    p = compile_ok("$$", 0);          /* corpus: InputPath "$$" */
    ck_assert_int_eq(aslrtp_path_root(p), ASLRTP_ROOT_CONTEXT);
    aslrtp_path_free(p);

    /* `$name` is a workflow variable (corpus: InputPath "$answer") */
    p = compile_ok("$answer", 1);
    ck_assert_int_eq(aslrtp_path_root(p), ASLRTP_ROOT_VAR);
    ck_assert_str_eq(aslrtp_path_var(p), "answer");
    aslrtp_path_free(p);

    p = compile_ok("$myVar.a[0]", 0);
    ck_assert_int_eq(aslrtp_path_root(p), ASLRTP_ROOT_VAR);
    ck_assert_str_eq(aslrtp_path_var(p), "myVar");
    ck_assert_str_eq(aslrtp_path_text(p), "$myVar.a[0]");
    ck_assert(aslrtp_path_definite(p));
    aslrtp_path_free(p);

    p = compile_ok("$_x1", 0);
    ck_assert_str_eq(aslrtp_path_var(p), "_x1");
    aslrtp_path_free(p);
}
END_TEST

START_TEST(test_definite)
{
    static const struct { const char *path; int definite; } cases[] = {
        {"$.a.b", 1}, {"$['a'][0]", 1}, {"$.a[-1]", 1}, {"$['a','b']", 1},
        {"$.a[*]", 0}, {"$.*", 0}, {"$..a", 0}, {"$.a[0,1]", 0}, {"$.a[1:2]", 0},
        {"$.a[?(@.x)]", 0}, {"$['a','b'].c", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        aslrtp_path *p = compile_ok(cases[i].path, 0);
        ck_assert_msg(aslrtp_path_definite(p) == cases[i].definite, "%s", cases[i].path);
        aslrtp_path_free(p);
    }
}
END_TEST

START_TEST(test_reference_paths)
{
    /* the spec's examples of legal reference paths */
    static const char *const ok[] = {
        "$", "$.store\\.book", "$.foo\\@bar.baz\\[\\[.\\?pretty", "$['store'][0]['book']",
        "$.&Ж中.\xF0\x90\x8D\x86", "$.abc.['def ghi']", "$[0]", "$$.Map.Item.Value",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        aslrtp_path_free(compile_ok(ok[i], 1));

    check_compile_fails("$.a[*]", 1, 3,
                        "A reference path selects a single node: '[*]' is not allowed");
    check_compile_fails("$.*", 1, 1,
                        "A reference path selects a single node: '*' is not allowed");
    check_compile_fails("$..a", 1, 1,
                        "A reference path selects a single node: '..' is not allowed");
    check_compile_fails("$.a[-1]", 1, 3,
                        "A reference path selects a single node: negative indexes are not "
                        "allowed");
    check_compile_fails("$.a[0,1]", 1, 3,
                        "A reference path selects a single node: a list of indexes is not "
                        "allowed");
    check_compile_fails("$.a[1:2]", 1, 3,
                        "A reference path selects a single node: array slices are not "
                        "allowed");
    check_compile_fails("$['a','b']", 1, 1,
                        "A reference path selects a single node: a list of properties is "
                        "not allowed");
    check_compile_fails("$.a[?(@.x)]", 1, 3,
                        "A reference path selects a single node: filters are not allowed");
}
END_TEST

START_TEST(test_syntax_errors)
{
    check_compile_fails("", 0, 0, "Path must start with '$'");
    check_compile_fails("a.b", 0, 0, "Path must start with '$'");
    check_compile_fails("$.", 0, 2, "Path must not end with a '.' or '..'");
    check_compile_fails("$.a.", 0, 4, "Path must not end with a '.' or '..'");
    check_compile_fails("$..", 0, 1, "Path must not end with a '.' or '..'");
    check_compile_fails("$.a b", 0, 3,
                        "Use bracket notation ['my prop'] if your property contains blank "
                        "characters");
    check_compile_fails("$[", 0, 1, "Path must not end with a '['");
    check_compile_fails("$['a'", 0, 5,
                        "Property must be separated by comma or Property must be terminated "
                        "close square bracket");
    check_compile_fails("$['a", 0, 2, "Unterminated quoted name");
    check_compile_fails("$[abc]", 0, 2,
                        "Could not parse token starting at position of '['. Expected ?, ', "
                        "0-9, * ");
    check_compile_fails("$[:]", 0, 1,
                        "Failed to parse SliceOperation: a slice needs a start or an end");
    check_compile_fails("$[0 1]", 0, 4, "Unexpected character '1' in an array index");
    check_compile_fails("$[0,]", 0, 4, "Could not parse token: an integer was expected");
    check_compile_fails("$[99999999999]", 0, 2, "Array index out of range");
    check_compile_fails("$1", 0, 1, "Unexpected character '1': expected '.' or '['");
    check_compile_fails("$.a[?(@.x =~ /a/)]", 0, 10,
                        "Regular expression filters (=~) are not supported");
    check_compile_fails("$.a[?(@.x == )]", 0, 13, "Unexpected character ')' in filter");
    check_compile_fails("$.a[?(@.x > 1]", 0, 13, "Expected ')' to close the filter");
}
END_TEST

/* ==== definite paths ==================================================== */

START_TEST(test_get_members)
{
    check_get("$", "{\"a\":1}", "{\"a\":1}");
    check_get("$.a.b", "{\"a\":{\"b\":[1,2]}}", "[1,2]");
    check_get("$['a']['b']", "{\"a\":{\"b\":\"x\"}}", "\"x\"");
    check_get("$[\"a\"]", "{\"a\":true}", "true");
    check_get("$['a b']", "{\"a b\":1}", "1");
    check_get("$.abc.['def ghi']", "{\"abc\":{\"def ghi\":2}}", "2");   /* AWS docs */
    check_get("$.store\\.book", "{\"store.book\":3,\"store\":{\"book\":4}}", "3");
    check_get("$.&Ж中", "{\"&Ж中\":7}", "7");
    check_get("$.a", "{\"a\":null}", "null");
    check_get("$.length()", "{\"length()\":8}", "8");
}
END_TEST

/* In a bracket name Jayway keeps every backslash and the character after it
 * as written; the backslash only stops that character from closing the name.
 * C text "\\" is one backslash in the path. */
START_TEST(test_get_bracket_backslashes)
{
    /* the reported case: the JSON text $['Test\\\"\"Name\"'] */
    check_get("$['Test\\\"\"Name\"']", "{\"Test\\\\\\\"\\\"Name\\\"\":1}", "1");
    check_get_fails("$['Test\\\"\"Name\"']", "{\"Test\\\"\\\"Name\\\"\":1}",
                    "No results for path: $['Test\\\"\"Name\"']");
    /* a backslash before the quote that delimits the name: single and double */
    check_get("$['it\\'s']", "{\"it\\\\'s\":2}", "2");
    check_get("$[\"say \\\"hi\\\"\"]", "{\"say \\\\\\\"hi\\\\\\\"\":3}", "3");
    check_get_fails("$['it\\'s']", "{\"it's\":2}", "No results for path: $['it\\'s']");
    /* before other characters: no Java escape is read, \u00e9 is six characters */
    check_get("$['a\\b']", "{\"a\\\\b\":4,\"ab\":0}", "4");
    check_get("$['\\u00e9']", "{\"\\\\u00e9\":5,\"\xC3\xA9\":0}", "5");
    check_get("$['\\n\\t']", "{\"\\\\n\\\\t\":6,\"\\n\\t\":0}", "6");
    check_get("$[\"x\\\\y\"]", "{\"x\\\\\\\\y\":7,\"x\\\\y\":0}", "7");
    /* the other quote needs no backslash; a list keeps each name as written */
    check_get("$[\"it's\"]", "{\"it's\":8}", "8");
    check_get("$['a\\'b','c\\d']", "{\"a\\\\'b\":1,\"c\\\\d\":2,\"a'b\":0}",
              "{\"a\\\\'b\":1,\"c\\\\d\":2}");
    /* a trailing backslash escapes the closing quote: the name is unterminated */
    check_compile_fails("$['a\\']", 0, 2, "Unterminated quoted name");
    /* filter literals do read Java's escapes (Jayway's ValueNode unescapes) */
    check_get("$[?(@.k == 'it\\'s')].n", "[{\"k\":\"it's\",\"n\":1},{\"k\":\"it\\\\'s\",\"n\":2}]",
              "[1]");
    check_get("$[?(@.k == '\\u00e9')].n", "[{\"k\":\"\xC3\xA9\",\"n\":1}]", "[1]");
}
END_TEST

START_TEST(test_get_indexes)
{
    check_get("$[0]", "[[1,2]]", "[1,2]");                  /* corpus ItemsPath "$[0]" */
    check_get("$.a[1]", "{\"a\":[10,20,30]}", "20");
    check_get("$.a[-1]", "{\"a\":[10,20,30]}", "30");
    /* Jackson's ArrayNode.get: out of range reads as null */
    check_get("$.a[5]", "{\"a\":[10,20]}", "null");
    check_get("$.a[-5]", "{\"a\":[10,20]}", "null");
    check_get("$.a[0].b", "{\"a\":[{\"b\":1}]}", "1");
    check_get("$[ 1 ]", "[1,2]", "2");
}
END_TEST

START_TEST(test_get_member_list)
{
    /* Jayway merges a trailing list of members into one object */
    check_get("$['a','b']", "{\"a\":1,\"b\":2,\"c\":3}", "{\"a\":1,\"b\":2}");
    check_get("$['b', 'a']", "{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}");
    check_get("$['a','x']", "{\"a\":1}", "{\"a\":1}");
    check_get("$.o['x','y']", "{\"o\":{}}", "{}");
}
END_TEST

START_TEST(test_get_errors)
{
    /* corpus: Invalid path '$.NoSuchInputPath' : No results for path: ... */
    check_get_fails("$.NoSuchInputPath", "{}", "No results for path: $['NoSuchInputPath']");
    /* corpus: Invalid path '$.no.such.result.path' : Missing property in path $['no'] */
    check_get_fails("$.no.such.result.path", "{}", "Missing property in path $['no']");
    check_get_fails("$.a.b.c", "{\"a\":{}}", "Missing property in path $['a']['b']");
    check_get_fails("$.a.b", "{\"a\":{}}", "No results for path: $['a']['b']");
    check_get_fails("$.a[0].b", "{\"a\":[{}]}", "No results for path: $['a'][0]['b']");

#define NOT_OBJECT(path, found)                                                        \
    "Expected to find an object with property " path " but found '" found "'. This is " \
    "not a json object according to the JsonProvider: "                                \
    "'com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider'."
    check_get_fails("$.a.b", "{\"a\":\"x\"}", NOT_OBJECT("['b'] in path $['a']",
                                                          "java.lang.String"));
    check_get_fails("$.a.b", "{\"a\":null}", NOT_OBJECT("['b'] in path $['a']", "null"));
    check_get_fails("$.a.b", "{\"a\":5}", NOT_OBJECT("['b'] in path $['a']",
                                                      "java.lang.Integer"));
    check_get_fails("$.a.b", "{\"a\":5000000000}", NOT_OBJECT("['b'] in path $['a']",
                                                               "java.lang.Long"));
    check_get_fails("$.a.b", "{\"a\":1.5}", NOT_OBJECT("['b'] in path $['a']",
                                                        "java.lang.Double"));
    check_get_fails("$.a.b", "{\"a\":false}", NOT_OBJECT("['b'] in path $['a']",
                                                          "java.lang.Boolean"));
    check_get_fails("$.a", "[1]", NOT_OBJECT("['a'] in path $",
                                             "com.fasterxml.jackson.databind.node.ArrayNode"));
    check_get_fails("$.a[5].b", "{\"a\":[1]}", NOT_OBJECT("['b'] in path $['a'][5]", "null"));
    check_get_fails("$['x','y']", "3", NOT_OBJECT("['x', 'y'] in path $",
                                                  "java.lang.Integer"));
#undef NOT_OBJECT

    check_get_fails("$.a[0]", "{\"a\":{\"x\":1}}",
                    "Filter: [0] can only be applied to arrays. Current context is: {\"x\":1}");
    check_get_fails("$.a[0]['b']", "{\"a\":\"str\"}",
                    "Filter: [0]['b'] can only be applied to arrays. Current context is: str");
    check_get_fails("$.a[0]", "{\"a\":null}", "The path $['a'] is null");
}
END_TEST

/* ==== indefinite paths ================================================== */

START_TEST(test_no_match_is_empty)
{
    /* corpus (test_json_path_array_wildcard_or_slice_with_no_input): every
     * one of these gives [] on {} */
    static const char *const paths[] = {
        "$[*]", "$.items[*]", "$.items[*].itemValue", "$.items[1:]", "$.items[:1]",
        "$.items[1:].itemValue", "$.items[:1].itemValue", "$.item.items[1:5]",
        "$.item.items[1:5].itemValue", "$.item.items[:1]",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        check_get(paths[i], "{}", "[]");
}
END_TEST

START_TEST(test_wildcards)
{
    check_get("$.*", "{\"a\":1,\"b\":[2]}", "[1,[2]]");
    check_get("$[*]", "[3,4]", "[3,4]");
    check_get("$.a[*].b", "{\"a\":[{\"b\":1},{\"c\":2},{\"b\":3}]}", "[1,3]");
    check_get("$.a.*.b", "{\"a\":{\"x\":{\"b\":1},\"y\":7,\"z\":{\"b\":2}}}", "[1,2]");
    check_get("$['a','b'].c", "{\"a\":{\"c\":1},\"b\":{\"d\":2}}", "[1]");
    check_get("$.*", "5", "[]");
}
END_TEST

START_TEST(test_unions_and_slices)
{
    const char *arr = "{\"a\":[0,1,2,3,4]}";
    check_get("$.a[0,2]", arr, "[0,2]");
    check_get("$.a[4,0,-1]", arr, "[4,0,4]");
    check_get("$.a[0,9]", arr, "[0,null]");
    check_get("$.a[1:3]", arr, "[1,2]");
    check_get("$.a[:2]", arr, "[0,1]");
    check_get("$.a[3:]", arr, "[3,4]");
    check_get("$.a[-2:]", arr, "[3,4]");
    check_get("$.a[:-2]", arr, "[0,1,2]");
    check_get("$.a[2:100]", arr, "[2,3,4]");
    check_get("$.a[-9:]", arr, "[0,1,2,3,4]");
    check_get("$.a[3:1]", arr, "[]");
    /* Jayway ignores a slice's step */
    check_get("$.a[0:4:2]", arr, "[0,1,2,3]");
    /* Jayway's [from:to] does not count a negative from from the end: the
     * indexes -2..3 are read one by one */
    check_get("$.a[-2:2]", arr, "[3,4,0,1]");
    check_get("$.a[1:3]", "{\"a\":\"str\"}", "[]");
}
END_TEST

START_TEST(test_deep_scan)
{
    const char *doc = "{\"price\":0,\"a\":{\"price\":1,\"b\":{\"price\":2}},"
                      "\"c\":[{\"price\":3},{\"x\":{\"price\":4}}]}";
    check_get("$..price", doc, "[0,1,2,3,4]");
    check_get("$.a..price", doc, "[1,2]");
    check_get("$..*", "{\"a\":{\"b\":1},\"c\":2}", "[{\"b\":1},2,1]");
    check_get("$..[0]", "{\"a\":[1,[2,3]],\"b\":{\"c\":[4]}}", "[1,2,4]");
    check_get("$..['x','y']", "{\"x\":1,\"o\":{\"y\":2}}", "[{\"x\":1},{\"y\":2}]");
    check_get("$..[?(@.k == 1)]", "{\"k\":1,\"o\":{\"k\":2},\"l\":[{\"k\":1}]}",
              "[{\"k\":1,\"o\":{\"k\":2},\"l\":[{\"k\":1}]},{\"k\":1}]");
    check_get("$..book[?(@.price < 10)].title",
              "{\"store\":{\"book\":[{\"title\":\"A\",\"price\":8.95},"
              "{\"title\":\"B\",\"price\":12.99}]}}",
              "[\"A\"]");
}
END_TEST

START_TEST(test_filters)
{
    /* corpus (test_state_pass_regex_json_path_base) */
    check_get("$.users[?(@.status == 0)]",
              "{\"users\":[{\"year\":1997,\"status\":0},{\"year\":1998,\"status\":1}]}",
              "[{\"year\":1997,\"status\":0}]");

    const char *items = "[{\"a\":1,\"b\":\"x\"},{\"a\":2,\"b\":\"y\"},{\"a\":3},{\"c\":null}]";
    check_get("$[?(@.a > 1)].a", items, "[2,3]");
    check_get("$[?(@.a >= 2 && @.b == 'y')].a", items, "[2]");
    check_get("$[?(@.a < 2 || @.a == 3)].a", items, "[1,3]");
    check_get("$[?(@.a <= 1)].a", items, "[1]");
    check_get("$[?(@.b != 'x')].a", items, "[2,3]");   /* missing b counts as != */
    check_get("$[?(@.b)].a", items, "[1,2]");
    check_get("$[?(!@.b)].a", items, "[3]");
    check_get("$[?(@.c)]", items, "[{\"c\":null}]");    /* exists, even when null */
    check_get("$[?(!(@.a == 1 || @.a == 2))].a", items, "[3]");
    check_get("$[?(@.b in ['y','z'])].a", items, "[2]");
    check_get("$[?(@.a nin [1,2])].a", items, "[3]");
    check_get("$[?(@.b < \"y\")].b", items, "[\"x\"]");
    check_get("$[?(@.a == 1.0)].a", items, "[1]");      /* numbers by value */
    check_get("$[?(@.a == true)]", items, "[]");
    /* Jayway compares a number with a string by parsing the string, and a
     * string with a number by the number's text */
    check_get("$[?(@ == '1')]", "[1,\"1\",2]", "[1,\"1\"]");
    check_get("$[?(@ == 1)]", "[1,\"1\",\"1.0\"]", "[1,\"1\"]");
    check_get("$.items[?(@.price > $.limit)].id",
              "{\"limit\":5,\"items\":[{\"id\":1,\"price\":3},{\"id\":2,\"price\":9}]}",
              "[2]");
    check_get("$.o[?(@.x == 1)]", "{\"o\":{\"x\":1}}", "[{\"x\":1}]");  /* tests the object */
    check_get("$[?(@.a[0] == 'q')].n", "[{\"a\":[\"q\"],\"n\":1},{\"a\":[],\"n\":2}]", "[1]");
    check_get("$[?(@.v == null)].n", "[{\"v\":null,\"n\":1},{\"n\":2}]", "[1]");
}
END_TEST

/* aslrtp_member reads jansson 2.14's objects directly once the probe has
 * seen them laid out as it expects (aslrt_private.h): the probe says so
 * with jansson 2.14, and every lookup answers what jansson's own does,
 * through the layout and through jansson's calls, in objects of 0 to 7
 * members (past ASLRTP_SCAN_MAX: hashed), with members deleted and set
 * again, names with U+0000 and empty ones, and names that are missing. */
START_TEST(test_member_layout)
{
    if (strcmp(jansson_version_str(), "2.14") == 0)
        ck_assert_int_eq(aslrtp_jansson_probe(), 1);
    static const struct {
        const char *s;
        size_t n;
    } names[] = {{"i", 1}, {"", 0}, {"ab", 2}, {"a\0b", 3}, {"abc", 3}, {"x", 1},
                 {"long name", 9}, {"j", 1}, {"missing", 7}, {"a", 1}};
    for (size_t size = 0; size <= 7; size++) {
        for (int del = 0; del < 2; del++) {
            json_t *o = json_object();
            for (size_t i = 0; i < size; i++)
                json_object_setn_new_nocheck(o, names[i].s, names[i].n, json_integer((json_int_t)i));
            if (del && size > 1) {
                json_object_deln(o, names[0].s, names[0].n);
                json_object_setn_new_nocheck(o, names[0].s, names[0].n, json_integer(42));
                json_object_deln(o, names[size - 1].s, names[size - 1].n);
            }
            bool direct = aslrtp_jansson_layout();
            for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
                json_t *want = json_object_getn(o, names[k].s, names[k].n);
                ck_assert_ptr_eq(aslrtp_member(o, names[k].s, names[k].n), want);
                ck_assert_ptr_eq(aslrtp_member_in(o, names[k].s, names[k].n, false), want);
            }
            size_t n = 0;
            for (void *it = aslrtp_obj_iter(o, direct); it;
                 it = aslrtp_obj_iter_next(o, it, direct)) {
                ck_assert_ptr_eq(aslrtp_iter_value(it, direct),
                                 json_object_getn(o, aslrtp_iter_key(it, direct),
                                                  aslrtp_iter_key_len(it, direct)));
                n++;
            }
            ck_assert_uint_eq(n, json_object_size(o));
            json_decref(o);
        }
    }
}
END_TEST

START_TEST(test_get_shares_nodes)
{
    /* a definite path hands back the node itself, not a copy */
    aslrtp_path *p = compile_ok("$.a.b", 0);
    json_t *d = J("{\"a\":{\"b\":{\"c\":1}}}");
    json_t *v = aslrtp_path_get(p, d, NULL);
    ck_assert_ptr_eq(v, json_object_get(json_object_get(d, "a"), "b"));
    ck_assert_int_eq((int)v->refcount, 2);
    json_decref(v);
    json_decref(d);
    aslrtp_path_free(p);
}
END_TEST

START_TEST(test_quick_is_lookup)
{
    /* aslrtp_path_quick finds what aslrtp_path_lookup finds, borrowed, or
     * nothing, and never something else: other roots, other kinds of
     * path, a member missing or under a non-object are the general way's. */
    static const char *const paths[] = {"$", "$.a", "$.a.b", "$.a.b.c", "$.x", "$.a.x",
                                        "$.s.t", "$.n", "$['a']['b']", "$.a['b','c']",
                                        "$.l[0]", "$..b", "$$.a", "$.\u00e9", "$.k.v"};
    static const char *const docs[] = {"{\"a\":{\"b\":{\"c\":1},\"c\":2},\"s\":\"x\","
                                       "\"n\":null,\"l\":[7],\"\u00e9\":3}",
                                       "{\"k\":{\"v\":[],\"w\":1,\"x\":2,\"y\":3,\"z\":4,"
                                       "\"v2\":5}}",
                                       "[1]", "3"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        for (size_t j = 0; j < sizeof docs / sizeof docs[0]; j++) {
            char *err = NULL;
            size_t off = 0;
            aslrtp_path *p = aslrtp_path_compile(paths[i], 0, &err, &off);
            if (!p)
                p = compile_ok(paths[i], 1);
            json_t *d = J(docs[j]);
            json_t *q = aslrtp_path_quick(p, d);
            char *why = NULL;
            int owned = 0;
            json_t *v = aslrtp_path_lookup(p, d, &why, &owned);
            if (q) {
                ck_assert_msg(v == q && !owned, "%s in %s", paths[i], docs[j]);
                ck_assert_int_eq(aslrtp_path_root(p), ASLRTP_ROOT_INPUT);
            }
            if (owned)
                json_decref(v);
            free(why);
            json_decref(d);
            aslrtp_path_free(p);
        }
    }
    /* and it does find the plain members */
    aslrtp_path *p = compile_ok("$.a.b", 0);
    json_t *d = J(docs[0]);
    ck_assert_ptr_eq(aslrtp_path_quick(p, d), json_object_get(json_object_get(d, "a"), "b"));
    json_decref(d);
    aslrtp_path_free(p);
}
END_TEST

/* ==== ResultPath ========================================================= */

START_TEST(test_set_basic)
{
    check_set("$", "{\"a\":1}", "[1]", "[1]");
    check_set("$.x", "{\"a\":1}", "2", "{\"a\":1,\"x\":2}");
    check_set("$.a", "{\"a\":1,\"b\":2}", "9", "{\"a\":9,\"b\":2}");   /* keeps key order */
    check_set("$.a.b.c", "{}", "true", "{\"a\":{\"b\":{\"c\":true}}}");
    check_set("$.enigma.mystery", "{\"enigma\":{\"x\":1}}", "\"m\"",
              "{\"enigma\":{\"x\":1,\"mystery\":\"m\"}}");
    check_set("$['a b'].c", "{}", "1", "{\"a b\":{\"c\":1}}");
    check_set("$.a[1]", "{\"a\":[1,2,3]}", "{}", "{\"a\":[1,{},3]}");
    /* floci#3479, as Step Functions Local does it */
    check_set("$[1].payload", "[{\"a\":1},{\"id\":7},{\"c\":3},4]", "{\"subject_status\":1}",
              "[{\"a\":1},{\"id\":7,\"payload\":{\"subject_status\":1}},{\"c\":3},4]");
}
END_TEST

START_TEST(test_set_errors)
{
    check_set_fails("$.a", "\"str\"", "Unable to apply ReferencePath $.a to input \"str\"");
    check_set_fails("$.a.b", "{\"a\":\"x\"}",
                    "Unable to apply ReferencePath $.a.b to input {\"a\":\"x\"}");
    check_set_fails("$.a.b", "{\"a\":null}",
                    "Unable to apply ReferencePath $.a.b to input {\"a\":null}");
    check_set_fails("$.a", "[1]", "Unable to apply ReferencePath $.a to input [1]");
    check_set_fails("$[5]", "[1]", "Unable to apply ReferencePath $[5] to input [1]");
    check_set_fails("$.a[0]", "{}", "Unable to apply ReferencePath $.a[0] to input {}");
    check_set_fails("$.a[0]", "{\"a\":{}}",
                    "Unable to apply ReferencePath $.a[0] to input {\"a\":{}}");

    aslrtp_path *p = compile_ok("$$.a", 1);
    char *why = NULL;
    ck_assert_ptr_null(aslrtp_path_set(p, json_object(), json_null(), &why));
    ck_assert_str_eq(why, "ResultPath must be a reference path starting with '$.': $$.a");
    free(why);
    aslrtp_path_free(p);

    p = compile_ok("$.a[*]", 0);
    ck_assert_ptr_null(aslrtp_path_set(p, J("{\"a\":[1]}"), json_null(), &why));
    ck_assert_str_eq(why, "Unable to apply ReferencePath $.a[*] to input {\"a\":[1]}");
    free(why);
    aslrtp_path_free(p);
}
END_TEST

START_TEST(test_set_in_place)
{
    /* an unshared document is changed where it is */
    aslrtp_path *p = compile_ok("$.a.b", 1);
    json_t *d = J("{\"a\":{\"b\":1,\"c\":2}}");
    json_t *a = json_object_get(d, "a");
    json_t *r = aslrtp_path_set(p, d, json_integer(5), NULL);
    ck_assert_ptr_eq(r, d);
    ck_assert_ptr_eq(json_object_get(r, "a"), a);
    ck_assert_int_eq((int)json_integer_value(json_object_get(a, "b")), 5);
    json_decref(r);
    aslrtp_path_free(p);
}
END_TEST

START_TEST(test_set_copy_on_write)
{
    aslrtp_path *p = compile_ok("$.a.b", 1);

    /* a shared document (a constant, the execution input) stays intact */
    json_t *d = J("{\"a\":{\"b\":1,\"c\":2},\"z\":[1]}");
    json_t *r = aslrtp_path_set(p, json_incref(d), json_integer(5), NULL);
    ck_assert_ptr_ne(r, d);
    char *s = aslrt_json_dumps(d);
    ck_assert_str_eq(s, "{\"a\":{\"b\":1,\"c\":2},\"z\":[1]}");
    free(s);
    s = aslrt_json_dumps(r);
    ck_assert_str_eq(s, "{\"a\":{\"b\":5,\"c\":2},\"z\":[1]}");
    free(s);
    /* untouched subtrees are shared, not copied */
    ck_assert_ptr_eq(json_object_get(r, "z"), json_object_get(d, "z"));
    json_decref(r);

    /* an unshared document whose inner node is shared elsewhere: the outer
     * node is changed in place, the inner one is copied */
    json_t *inner = json_object_get(d, "a");
    json_t *holder = json_incref(inner);
    r = aslrtp_path_set(p, d, json_integer(7), NULL);
    ck_assert_ptr_eq(r, d);
    ck_assert_ptr_ne(json_object_get(r, "a"), holder);
    s = aslrt_json_dumps(holder);
    ck_assert_str_eq(s, "{\"b\":1,\"c\":2}");
    free(s);
    s = aslrt_json_dumps(r);
    ck_assert_str_eq(s, "{\"a\":{\"b\":7,\"c\":2},\"z\":[1]}");
    free(s);
    json_decref(holder);
    json_decref(r);

    /* the same through an array */
    aslrtp_path *q = compile_ok("$[0].k", 1);
    json_t *arr = J("[{\"k\":1}]");
    r = aslrtp_path_set(q, json_incref(arr), json_integer(2), NULL);
    s = aslrt_json_dumps(arr);
    ck_assert_str_eq(s, "[{\"k\":1}]");
    free(s);
    s = aslrt_json_dumps(r);
    ck_assert_str_eq(s, "[{\"k\":2}]");
    free(s);
    json_decref(r);
    json_decref(arr);
    aslrtp_path_free(q);
    aslrtp_path_free(p);
}
END_TEST

/* ==== the suite ========================================================== */

static Suite *jsonpath_suite(void)
{
    Suite *s = suite_create("jsonpath");
    TCase *tc = tcase_create("compile");
    tcase_add_test(tc, test_roots);
    tcase_add_test(tc, test_definite);
    tcase_add_test(tc, test_reference_paths);
    tcase_add_test(tc, test_syntax_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("definite");
    tcase_add_test(tc, test_get_members);
    tcase_add_test(tc, test_get_bracket_backslashes);
    tcase_add_test(tc, test_get_indexes);
    tcase_add_test(tc, test_get_member_list);
    tcase_add_test(tc, test_get_errors);
    tcase_add_test(tc, test_get_shares_nodes);
    suite_add_tcase(s, tc);

    tc = tcase_create("indefinite");
    tcase_add_test(tc, test_no_match_is_empty);
    tcase_add_test(tc, test_wildcards);
    tcase_add_test(tc, test_unions_and_slices);
    tcase_add_test(tc, test_deep_scan);
    tcase_add_test(tc, test_filters);
    suite_add_tcase(s, tc);

    tc = tcase_create("result_path");
    tcase_add_test(tc, test_set_basic);
    tcase_add_test(tc, test_set_errors);
    tcase_add_test(tc, test_quick_is_lookup);
    tcase_add_test(tc, test_member_layout);
    tcase_add_test(tc, test_set_in_place);
    tcase_add_test(tc, test_set_copy_on_write);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = run_suite(jsonpath_suite(), CK_ENV);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

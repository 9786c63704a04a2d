/*
 * check_jsonata_fn.c - unit tests for runtime/jsonata/fn_string.c and
 * runtime/jsonata/fn_number.c: the natives called directly with built
 * arguments (the evaluator's signature checks are not involved), the
 * regular expression API, and the errors with their messages.
 *
 * The expectations are those of jsonata-js 2.0.6: most rows are cases of
 * its test suite (tests/jsonata/suite, the group named in the
 * comment), the others are JavaScript's own results for the edge they
 * name (String.prototype.split, toFixed, encodeURI, Buffer, ...).
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonata/jsonata.h"
#include "testutil.h"

/* ==== helpers ========================================================== */

static jn_ctx *cx;
static json_t *keep;    /* the parsed arguments: jn_from_json references them */

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

static const jn_builtin *builtin(const char *name)
{
    const jn_builtin *tables[] = { jn_builtins_string, jn_builtins_regex, jn_builtins_number };
    for (int t = 0; t < 3; t++)
        for (const jn_builtin *b = tables[t]; b->name; b++)
            if (strcmp(b->name, name) == 0)
                return b;
    ck_abort_msg("no builtin $%s", name);
    return NULL;
}

/* An argument from JSON; {"/": pattern, "f": flags} is a regex literal. */
static jn_value *arg_value(json_t *j)
{
    if (json_is_object(j) && json_object_get(j, "/")) {
        const char *pat = json_string_value(json_object_get(j, "/"));
        const char *flags = json_string_value(json_object_get(j, "f"));
        return jn_regex_new(cx, pat, strlen(pat), flags ? flags : "");
    }
    return jn_from_json(cx, j);
}

typedef struct call {
    jn_native_fn fn;
    jn_value *args[4];
    int nargs;
} call;

static jn_value *run_call(jn_ctx *c, void *data)
{
    call *k = data;
    return k->fn(c, k->args, k->nargs, NULL);
}

/* Calls $name with the given argument values (NULL: undefined). */
static bool invoke_values(const char *name, jn_value *const *args, int nargs, jn_value **result,
                          jn_error *err)
{
    call k = { builtin(name)->fn, { NULL }, nargs };
    for (int i = 0; i < nargs; i++)
        k.args[i] = args[i];
    return jn_try(cx, run_call, &k, result, err);
}

/* Calls $name with the arguments of a JSON array (items written as the
 * string "<undefined>" stand for undefined). */
static bool invoke(const char *name, const char *args_json, jn_value **result, jn_error *err)
{
    json_error_t je;
    json_t *args = json_loads(args_json, JSON_DECODE_ANY, &je);
    ck_assert_msg(args && json_is_array(args), "bad arguments %s: %s", args_json, je.text);
    json_array_append_new(keep, args);
    jn_value *vals[4] = { NULL };
    int n = (int)json_array_size(args);
    for (int i = 0; i < n; i++) {
        json_t *a = json_array_get(args, (size_t)i);
        if (!(json_is_string(a) && strcmp(json_string_value(a), "<undefined>") == 0))
            vals[i] = arg_value(a);
    }
    return invoke_values(name, vals, n, result, err);
}

static char *result_text(jn_value *v)
{
    if (!v)
        return strdup("undefined");
    bool unsupported = false;
    json_t *j = jn_to_json(v, &unsupported);
    char *t = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : strdup("<function>");
    json_decref(j);
    return t;
}

/* A row: the function, its arguments, and the result as compact JSON,
 * "undefined", or "!CODE" for an error. */
typedef struct row {
    const char *fn, *args, *expect;
} row;

static void check_rows(const row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const row *r = &rows[i];
        jn_value *res = NULL;
        jn_error err;
        bool ok = invoke(r->fn, r->args, &res, &err);
        if (r->expect[0] == '!') {
            ck_assert_msg(!ok, "$%s%s: expected error %s, got %s", r->fn, r->args,
                          r->expect + 1, result_text(res));
            ck_assert_msg(strcmp(err.code, r->expect + 1) == 0, "$%s%s: error %s (%s), not %s",
                          r->fn, r->args, err.code, err.message, r->expect + 1);
            continue;
        }
        ck_assert_msg(ok, "$%s%s: error %s: %s", r->fn, r->args, err.code, err.message);
        char *got = result_text(res);
        bool same;
        if (strcmp(r->expect, "undefined") == 0 || !res) {
            same = strcmp(got, r->expect) == 0;
        } else {
            json_error_t je;
            json_t *want = json_loads(r->expect, JSON_DECODE_ANY, &je);
            ck_assert_msg(want != NULL, "bad expectation %s", r->expect);
            bool unsupported;
            json_t *have = jn_to_json(res, &unsupported);
            same = json_equal(want, have);
            json_decref(want);
            json_decref(have);
        }
        ck_assert_msg(same, "$%s%s = %s, expected %s", r->fn, r->args, got, r->expect);
        free(got);
    }
}

#define CHECK_ROWS(rows) check_rows(rows, sizeof rows / sizeof rows[0])

/* The error a call raises, for message checks. */
static jn_error error_of(const char *name, const char *args)
{
    jn_value *res;
    jn_error err;
    ck_assert_msg(!invoke(name, args, &res, &err), "$%s%s did not fail", name, args);
    return err;
}

/* ==== strings ========================================================== */

START_TEST(test_length_substring)
{
    static const row rows[] = {
        /* function-length */
        { "length", "[\"\"]", "0" },
        { "length", "[\"hello\"]", "5" },
        { "length", "[\"<undefined>\"]", "undefined" },
        { "length", "[\"\\u03BB-calculus\"]", "10" },
        { "length", "[\"\\uD834\\uDD1E\"]", "1" },
        { "length", "[\"\xF0\x9D\x84\x9E\xF0\x9F\x92\xA9\"]", "2" },
        { "length", "[\"\xE8\xB6\x85\xE6\x98\x8E\xE9\xAB\x94\xE7\xB9\x81\"]", "4" },
        { "length", "[\"\\t\"]", "1" },
        /* function-substring */
        { "substring", "[\"hello world\", 0, 5]", "\"hello\"" },
        { "substring", "[\"hello world\", -5, 5]", "\"world\"" },
        { "substring", "[\"hello world\", 6]", "\"world\"" },
        { "substring", "[\"<undefined>\", 6]", "undefined" },
        { "substring", "[\"\xF0\x9D\x84\x9E\xF0\x9F\x92\xA9\", 0, 2]", "\"\xF0\x9D\x84\x9E\xF0\x9F\x92\xA9\"" },
        { "substring", "[\"\xF0\x9D\x84\x9E\xF0\x9F\x92\xA9\", 0, 1]", "\"\xF0\x9D\x84\x9E\"" },
        { "substring", "[\"\xF0\x9D\x84\x9E\xF0\x9F\x92\xA9\", 1, 1]", "\"\xF0\x9F\x92\xA9\"" },
        { "substring", "[\"hello world\", -5]", "\"world\"" },
        { "substring", "[\"hello world\", -5, 4]", "\"worl\"" },
        { "substring", "[\"hello world\", -5, 0]", "\"\"" },
        { "substring", "[\"hello world\", -5, -1]", "\"\"" },
        { "substring", "[\"hello world\", 0, -6]", "\"\"" },
        { "substring", "[\"hello world\", -100, 3]", "\"hel\"" },
        { "substring", "[\"\xF0\x9F\x98\x82\xF0\x9F\x98\x81\xF0\x9F\x98\x80\", -2, 1]", "\"\xF0\x9F\x98\x81\"" },
        { "substring", "[\"\xF0\x9F\x98\x82\xF0\x9F\x98\x81\xF0\x9F\x98\x80\", -5, 1]", "\"\xF0\x9F\x98\x82\"" },
        /* slice truncates fractional positions */
        { "substring", "[\"hello\", 1.7, 2.9]", "\"ell\"" },
        /* function-substringBefore / After */
        { "substringBefore", "[\"Hello World\", \" \"]", "\"Hello\"" },
        { "substringBefore", "[\"Hello World\", \"l\"]", "\"He\"" },
        { "substringBefore", "[\"Hello World\", \"f\"]", "\"Hello World\"" },
        { "substringBefore", "[\"Hello World\", \"\"]", "\"\"" },
        { "substringBefore", "[\"<undefined>\", \" \"]", "undefined" },
        { "substringAfter", "[\"Hello World\", \" \"]", "\"World\"" },
        { "substringAfter", "[\"Hello World\", \"l\"]", "\"lo World\"" },
        { "substringAfter", "[\"Hello World\", \"f\"]", "\"Hello World\"" },
        { "substringAfter", "[\"Hello World\", \"\"]", "\"Hello World\"" },
    };
    CHECK_ROWS(rows);
}
END_TEST

START_TEST(test_case_trim_pad)
{
    static const row rows[] = {
        { "uppercase", "[\"Hello World\"]", "\"HELLO WORLD\"" },
        { "lowercase", "[\"Hello World\"]", "\"hello world\"" },
        { "uppercase", "[\"<undefined>\"]", "undefined" },
        /* JavaScript's toUpperCase / toLowerCase beyond ASCII */
        { "uppercase", "[\"stra\\u00dfe \\u00e9t\\u00e9 \\u03bb\"]", "\"STRASSE \\u00c9T\\u00c9 \\u039b\"" },
        { "lowercase", "[\"\\u039f\\u0394\\u039f\\u03a3 \\u03a3\"]", "\"\\u03bf\\u03b4\\u03bf\\u03c2 \\u03c3\"" },
        { "lowercase", "[\"\\u0130\"]", "\"i\\u0307\"" },
        { "uppercase", "[\"\\ud801\\udc28\"]", "\"\\ud801\\udc00\"" },
        /* function-trim */
        { "trim", "[\"Hello World\"]", "\"Hello World\"" },
        { "trim", "[\"   Hello  \\n  \\t World  \\t \"]", "\"Hello World\"" },
        { "trim", "[\"  \"]", "\"\"" },
        { "trim", "[\"<undefined>\"]", "undefined" },
        /* function-pad */
        { "pad", "[\"foo\", 5]", "\"foo  \"" },
        { "pad", "[\"foo\", -5]", "\"  foo\"" },
        { "pad", "[\"foo\", -5, \"#\"]", "\"##foo\"" },
        { "pad", "[\"foo\", 5, \"\"]", "\"foo  \"" },
        { "pad", "[\"foo\", 1]", "\"foo\"" },
        { "pad", "[\"foo\", 8, \"-+\"]", "\"foo-+-+-\"" },
        { "pad", "[\"<undefined>\", 1]", "undefined" },
        { "pad", "[\"a\xF0\x9D\x84\x9E\xF0\x9F\x92\xA9\", 7]", "\"a\xF0\x9D\x84\x9E\xF0\x9F\x92\xA9    \"" },
        { "pad", "[\"\xF0\x9D\x84\x9E\xF0\x9F\x92\xA9\", -7]", "\"     \xF0\x9D\x84\x9E\xF0\x9F\x92\xA9\"" },
        { "pad", "[\"a\xF0\x9D\x84\x9E\xF0\x9F\x92\xA9\", 6, \"\xF0\x9F\x92\xA9\"]",
          "\"a\xF0\x9D\x84\x9E\xF0\x9F\x92\xA9\xF0\x9F\x92\xA9\xF0\x9F\x92\xA9\xF0\x9F\x92\xA9\"" },
    };
    CHECK_ROWS(rows);
}
END_TEST

START_TEST(test_contains_split_join)
{
    static const row rows[] = {
        /* function-contains, regex */
        { "contains", "[\"Hello World\", \"lo\"]", "true" },
        { "contains", "[\"Hello World\", \"world\"]", "false" },
        { "contains", "[\"<undefined>\", \"World\"]", "undefined" },
        { "contains", "[\"ababbxabbcc\", {\"/\": \"ab+\"}]", "true" },
        { "contains", "[\"ababbxabbcc\", {\"/\": \"ax+\"}]", "false" },
        { "contains", "[\"Bowler Hat\", {\"/\": \"hat\", \"f\": \"i\"}]", "true" },
        /* function-split */
        { "split", "[\"Hello World\", \" \"]", "[\"Hello\",\"World\"]" },
        { "split", "[\"Hello\", \" \"]", "[\"Hello\"]" },
        { "split", "[\"Hello  World\", \" \"]", "[\"Hello\",\"\",\"World\"]" },
        { "split", "[\"Hello\", \"\"]", "[\"H\",\"e\",\"l\",\"l\",\"o\"]" },
        { "split", "[\"a, b, c, d\", \", \", 2]", "[\"a\",\"b\"]" },
        { "split", "[\"a, b, c, d\", \", \", 2.5]", "[\"a\",\"b\"]" },
        { "split", "[\"a, b, c, d\", \", \", 10]", "[\"a\",\"b\",\"c\",\"d\"]" },
        { "split", "[\"a, b, c, d\", \", \", 0]", "[]" },
        { "split", "[\"<undefined>\", \" \"]", "undefined" },
        { "split", "[\"a, b, c, d\", \", \", -3]", "!D3020" },
        { "split", "[\"12\xF0\x9F\x92\xA9" "345\xF0\x9F\x92\xA9" "6\", \"\xF0\x9F\x92\xA9\"]", "[\"12\",\"345\",\"6\"]" },
        { "split", "[\"\", \",\"]", "[\"\"]" },
        { "split", "[\"\", \"\"]", "[]" },
        { "split", "[\"a,b,\", \",\"]", "[\"a\",\"b\",\"\"]" },
        { "split", "[\"ababbxabbcc\", {\"/\": \"b+\"}]", "[\"a\",\"a\",\"xa\",\"cc\"]" },
        { "split", "[\"ababbxabbcc\", {\"/\": \"b+\"}, 2]", "[\"a\",\"a\"]" },
        { "split", "[\"ababbxabbcc\", {\"/\": \"d+\"}]", "[\"ababbxabbcc\"]" },
        /* count < limit compares with the fractional limit */
        { "split", "[\"a,b,c,d\", {\"/\": \",\"}, 2.5]", "[\"a\",\"b\",\"c\"]" },
        /* function-join */
        { "join", "[\"hello\"]", "\"hello\"" },
        { "join", "[[\"hello\", \"world\"]]", "\"helloworld\"" },
        { "join", "[[\"hello\", \"world\"], \", \"]", "\"hello, world\"" },
        { "join", "[[], \", \"]", "\"\"" },
        { "join", "[\"<undefined>\", \", \"]", "undefined" },
    };
    CHECK_ROWS(rows);
}
END_TEST

START_TEST(test_match_replace)
{
    static const row rows[] = {
        { "match", "[\"ababbxabbcc\", {\"/\": \"b+\"}]",
          "[{\"match\":\"b\",\"index\":1,\"groups\":[]},{\"match\":\"bb\",\"index\":3,\"groups\":[]},"
          "{\"match\":\"bb\",\"index\":7,\"groups\":[]}]" },
        { "match", "[\"ababbxabbcc\", {\"/\": \"b+\"}, 1]", "[{\"match\":\"b\",\"index\":1,\"groups\":[]}]" },
        { "match", "[\"ababbxabbcc\", {\"/\": \"b+\"}, 0]", "[]" },
        { "match", "[\"ababbxabbcc\", {\"/\": \"b+\"}, -1]", "!D3040" },
        { "match", "[\"<undefined>\", {\"/\": \"b+\"}]", "undefined" },
        /* indexes count UTF-16 units, as RegExp does */
        { "match", "[\"\xF0\x9F\x98\x80x\xC3\xA9x\", {\"/\": \"(x)\"}]",
          "[{\"match\":\"x\",\"index\":2,\"groups\":[\"x\"]},{\"match\":\"x\",\"index\":4,\"groups\":[\"x\"]}]" },
        { "match", "[\"Felicia Saunders is\", {\"/\": \"^(\\\\w*\\\\s\\\\w*)\"}]",
          "[{\"match\":\"Felicia Saunders\",\"index\":0,\"groups\":[\"Felicia Saunders\"]}]" },
        /* function-replace */
        { "replace", "[\"Hello World\", \"World\", \"Everyone\"]", "\"Hello Everyone\"" },
        { "replace", "[\"the cat sat on the mat\", \"at\", \"it\"]", "\"the cit sit on the mit\"" },
        { "replace", "[\"the cat sat on the mat\", \"at\", \"it\", 0]", "\"the cat sat on the mat\"" },
        { "replace", "[\"the cat sat on the mat\", \"at\", \"it\", 2]", "\"the cit sit on the mat\"" },
        { "replace", "[\"<undefined>\", \"at\", \"it\", 2]", "undefined" },
        { "replace", "[\"hello\", \"l\", \"1\", -2]", "!D3011" },
        { "replace", "[\"hello\", \"\", \"bye\"]", "!D3010" },
        /* a string pattern inserts the replacement literally */
        { "replace", "[\"a.b\", \".\", \"$0$$\"]", "\"a$0$$b\"" },
        /* regex */
        { "replace", "[\"ababbxabbcc\", {\"/\": \"b+\"}, \"yy\"]", "\"ayyayyxayycc\"" },
        { "replace", "[\"ababbxabbcc\", {\"/\": \"b+\"}, \"yy\", 2]", "\"ayyayyxabbcc\"" },
        { "replace", "[\"ababbxabbcc\", {\"/\": \"b+\"}, \"yy\", 0]", "\"ababbxabbcc\"" },
        { "replace", "[\"ababbxabbcc\", {\"/\": \"d+\"}, \"yy\"]", "\"ababbxabbcc\"" },
        { "replace", "[\"John Smith\", {\"/\": \"(\\\\w+)\\\\s(\\\\w+)\"}, \"$2, $1\"]", "\"Smith, John\"" },
        { "replace", "[\"265USD\", {\"/\": \"([0-9]+)USD\"}, \"$$$1\"]", "\"$265\"" },
        { "replace", "[\"265USD\", {\"/\": \"([0-9]+)USD\"}, \"$w\"]", "\"$w\"" },
        { "replace", "[\"265USD\", {\"/\": \"([0-9]+)USD\"}, \"$0 -> $$$1\"]", "\"265USD -> $265\"" },
        { "replace", "[\"265USD\", {\"/\": \"([0-9]+)USD\"}, \"$0$1$2\"]", "\"265USD265\"" },
        { "replace", "[\"abcd\", {\"/\": \"(ab)|(a)\"}, \"[1=$1][2=$2]\"]", "\"[1=ab][2=]cd\"" },
        { "replace", "[\"abracadabra\", {\"/\": \"bra\"}, \"*\"]", "\"a*cada*\"" },
        { "replace", "[\"abracadabra\", {\"/\": \"a.*a\"}, \"*\"]", "\"*\"" },
        { "replace", "[\"abracadabra\", {\"/\": \"a.*?a\"}, \"*\"]", "\"*c*bra\"" },
        { "replace", "[\"abracadabra\", {\"/\": \"a\"}, \"\"]", "\"brcdbr\"" },
        { "replace", "[\"abracadabra\", {\"/\": \"a(.)\"}, \"a$1$1\"]", "\"abbraccaddabbra\"" },
        { "replace", "[\"abracadabra\", {\"/\": \".*?\"}, \"$1\"]", "!D1004" },
        { "replace", "[\"AAAA\", {\"/\": \"A+\"}, \"b\"]", "\"b\"" },
        { "replace", "[\"AAAA\", {\"/\": \"A+?\"}, \"b\"]", "\"bbbb\"" },
        { "replace", "[\"darted\", {\"/\": \"^(.*?)d(.*)$\"}, \"$1c$2\"]", "\"carted\"" },
        { "replace", "[\"abcdefghijklmno\", {\"/\": \"(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)(m)\"}, "
                     "\"$8$5$12$12$18$123\"]", "\"hella8l3no\"" },
        { "replace", "[\"abcdefghijklmno\", {\"/\": \"xyz\"}, \"$8$5$12$12$18$123\"]", "\"abcdefghijklmno\"" },
        { "replace", "[\"abcdefghijklmno\", {\"/\": \"ijk\"}, \"$8$5$12$12$18$123\"]", "\"abcdefgh22823lmno\"" },
        { "replace", "[\"abcdefghijklmno\", {\"/\": \"(ijk)\"}, \"$8$5$12$12$18$123\"]",
          "\"abcdefghijk2ijk2ijk8ijk23lmno\"" },
        { "replace", "[\"abcdefghijklmno\", {\"/\": \"ijk\"}, \"$x\"]", "\"abcdefgh$xlmno\"" },
        { "replace", "[\"abcdefghijklmno\", {\"/\": \"(ijk)\"}, \"$x$\"]", "\"abcdefgh$x$lmno\"" },
        /* JavaScript regex syntax through PCRE2 */
        { "replace", "[\"a\\u00e9b\", {\"/\": \"\\\\u00e9\"}, \"E\"]", "\"aEb\"" },
        { "replace", "[\"ab\\nab\", {\"/\": \"b$\"}, \"X\"]", "\"ab\\naX\"" },
        { "replace", "[\"ab\\nab\\n\", {\"/\": \"b$\"}, \"X\"]", "\"ab\\nab\\n\"" },
        { "replace", "[\"ab\\nab\", {\"/\": \"b$\", \"f\": \"m\"}, \"X\"]", "\"aX\\naX\"" },
        { "replace", "[\"a\\r\\nb\", {\"/\": \"a.\"}, \"X\"]", "\"a\\r\\nb\"" },
        { "replace", "[\"xay\", {\"/\": \"[^]\"}, \"-\"]", "\"---\"" },
        { "replace", "[\"aa\", {\"/\": \"(b)?\\\\1a\"}, \"-\"]", "\"--\"" },
        /* rewritten for PCRE2: \s with Unicode's spaces, '.' not across
         * U+2028, \v the vertical tab, \A and \Q plain letters */
        { "split", "[\"a\\u00a0b\\u3000c d\", {\"/\": \"\\\\s\"}]", "[\"a\",\"b\",\"c\",\"d\"]" },
        { "replace", "[\"a\\u00a0b c\", {\"/\": \"[\\\\s]\"}, \"_\"]", "\"a_b_c\"" },
        { "replace", "[\"a\\u00a0b c\", {\"/\": \"\\\\S+\"}, \"_\"]", "\"_\\u00a0_ _\"" },
        { "contains", "[\"x\\u2028y\", {\"/\": \"x.y\"}]", "false" },
        { "contains", "[\"x.y\", {\"/\": \"x[.]y\"}]", "true" },
        { "contains", "[\"x\\u000by\", {\"/\": \"x\\\\vy\"}]", "true" },
        { "contains", "[\"x\\ny\", {\"/\": \"x\\\\vy\"}]", "false" },
        { "replace", "[\"AQe\", {\"/\": \"\\\\A\\\\Q\\\\e\"}, \"-\"]", "\"-\"" },
    };
    CHECK_ROWS(rows);
}
END_TEST

START_TEST(test_encoding)
{
    static const row rows[] = {
        /* encoding */
        { "base64encode", "[\"hello:world\"]", "\"aGVsbG86d29ybGQ=\"" },
        { "base64encode", "[\"<undefined>\"]", "undefined" },
        { "base64decode", "[\"aGVsbG86d29ybGQ=\"]", "\"hello:world\"" },
        { "base64decode", "[\"<undefined>\"]", "undefined" },
        /* Buffer's 'binary': the low byte of each UTF-16 unit, Latin-1 back */
        { "base64encode", "[\"\\u00e9\\u20ac\"]", "\"6aw=\"" },
        { "base64decode", "[\"6aw=\"]", "\"\\u00e9\\u00ac\"" },
        /* Node skips what is not base64 and stops at '=' */
        { "base64decode", "[\"aGV sbG8\\n\"]", "\"hello\"" },
        { "base64decode", "[\"aGk=aGk=\"]", "\"hi\"" },
        { "base64decode", "[\"aGk\"]", "\"hi\"" },
        /* function-encodeUrl*, function-decodeUrl* */
        { "encodeUrlComponent", "[\"?x=test\"]", "\"%3Fx%3Dtest\"" },
        { "encodeUrl", "[\"https://mozilla.org/?x=\\u0448\\u0435\\u043b\\u043b\\u044b\"]",
          "\"https://mozilla.org/?x=%D1%88%D0%B5%D0%BB%D0%BB%D1%8B\"" },
        { "encodeUrlComponent", "[\"-_.!~*'() #\"]", "\"-_.!~*'()%20%23\"" },
        { "encodeUrl", "[\"<undefined>\"]", "undefined" },
        { "decodeUrlComponent", "[\"%3Fx%3Dtest\"]", "\"?x=test\"" },
        { "decodeUrl", "[\"https://mozilla.org/?x=%D1%88%D0%B5%D0%BB%D0%BB%D1%8B\"]",
          "\"https://mozilla.org/?x=\\u0448\\u0435\\u043b\\u043b\\u044b\"" },
        /* decodeURI keeps escapes of reserved characters */
        { "decodeUrl", "[\"%3Fx%3D%20\"]", "\"%3Fx%3D \"" },
        { "decodeUrlComponent", "[\"%E0%A4%A\"]", "!D3140" },
        { "decodeUrl", "[\"%E0%A4%A\"]", "!D3140" },
        { "decodeUrl", "[\"%C0%80\"]", "!D3140" },
        { "decodeUrl", "[\"%ED%A0%80\"]", "!D3140" },
        { "decodeUrlComponent", "[\"%\"]", "!D3140" },
    };
    CHECK_ROWS(rows);
    /* a lone surrogate, as the escape "\uD800" leaves it (WTF-8) */
    jn_value *lone = jn_cstring(cx, "\xED\xA0\x80");
    jn_value *res;
    jn_error e;
    ck_assert(!invoke_values("encodeUrl", &lone, 1, &res, &e));
    ck_assert_str_eq(e.code, "D3140");
    ck_assert(!invoke_values("encodeUrlComponent", &lone, 1, &res, &e));
    ck_assert_str_eq(e.code, "D3140");
    e = error_of("decodeUrl", "[\"%E0%A4%A\"]");
    ck_assert_str_eq(e.message, "Malformed URL passed to $decodeUrl(): \"%E0%A4%A\"");
}
END_TEST

/* ==== regular expressions ============================================== */

static jn_value *regex_call_body(jn_ctx *c, void *data)
{
    jn_value **a = data;
    jn_value *m = jn_regex_call(c, a[0], a[1]);
    jn_value *next = m ? jn_object_get(m, "next", 4) : NULL;
    ck_assert(jn_is_function(next));
    jn_value *m2 = next->u.function->native(c, NULL, 0, next->u.function->data);
    jn_value *pair = jn_array(c, 2);
    jn_array_push(c, pair, m);
    jn_array_push(c, pair, m2 ? m2 : JN_NULLV);
    return pair;
}

START_TEST(test_regex_api)
{
    jn_value *re = jn_regex_new(cx, "(a)(x)?", 7, "i");
    ck_assert(jn_is_regex(re));
    ck_assert(!jn_is_regex(jn_cstring(cx, "a")));
    /* the closure of jsonata-js: match, UTF-16 start/end, groups, next */
    jn_value *a[2] = { re, jn_cstring(cx, "\xF0\x9F\x98\x80" "bAcA") };
    jn_value *res;
    jn_error err;
    ck_assert(jn_try(cx, regex_call_body, a, &res, &err));
    char *t = result_text(res);
    ck_assert_str_eq(t, "[{\"match\":\"A\",\"start\":3,\"end\":4,\"groups\":[\"A\",\"\"]},"
                        "{\"match\":\"A\",\"start\":5,\"end\":6,\"groups\":[\"A\",\"\"]}]");
    free(t);
    ck_assert_ptr_null(jn_regex_call(cx, re, jn_cstring(cx, "zzz")));

    /* jn_regex_exec: byte offsets, unset groups SIZE_MAX */
    jn_match m;
    const char *s = "xxAxa";
    ck_assert(jn_regex_exec(cx, re, s, 5, 0, &m));
    ck_assert_uint_eq(m.start, 2);
    ck_assert_uint_eq(m.end, 4);
    ck_assert_int_eq(m.ngroups, 2);
    ck_assert_uint_eq(m.gstart[0], 2);
    ck_assert_uint_eq(m.gend[1], 4);
    ck_assert(jn_regex_exec(cx, re, s, 5, 3, &m));
    ck_assert_uint_eq(m.start, 4);
    ck_assert_uint_eq(m.gstart[1], SIZE_MAX);
    ck_assert(!jn_regex_exec(cx, re, s, 5, 5, &m));

    /* compiled once per context, across resets */
    void *data = re->u.function->data;
    jn_ctx_reset(cx);
    jn_value *again = jn_regex_new(cx, "(a)(x)?", 7, "i");
    ck_assert_ptr_eq(again->u.function->data, data);
    jn_value *other = jn_regex_new(cx, "(a)(x)?", 7, "");
    ck_assert_ptr_ne(other->u.function->data, data);

    /* pattern checks for the parser and aslc */
    char msg[128];
    size_t off = 0;
    ck_assert(jn_regex_check("a(b)c", 5, "", msg, sizeof msg, &off));
    ck_assert(!jn_regex_check("a(b", 3, "", msg, sizeof msg, &off));
    ck_assert_uint_eq(off, 3);
    ck_assert(strstr(msg, "missing closing parenthesis") != NULL);
    /* offsets are in the pattern as written, before any rewriting */
    const char *lb = ".\\s(?<=a+)x";
    ck_assert(!jn_regex_check(lb, strlen(lb), "", msg, sizeof msg, &off));
    ck_assert_uint_le(off, strlen(lb));
    ck_assert_uint_ge(off, 2);
    ck_assert(strstr(msg, "lookbehind") != NULL);
}
END_TEST

static jn_value *bad_regex_body(jn_ctx *c, void *data)
{
    (void)data;
    return jn_regex_new(c, "a(b", 3, "");
}

START_TEST(test_regex_errors)
{
    jn_value *res;
    jn_error err;
    ck_assert(!jn_try(cx, bad_regex_body, NULL, &res, &err));
    ck_assert_str_eq(err.code, "S0303");
    ck_assert(strstr(err.message, "/a(b/") != NULL);
    /* a subject with a lone surrogate still matches around it */
    jn_value *a[3] = { jn_cstring(cx, "a\xED\xA0\x80" "b\xED\xA0\x80"), jn_regex_new(cx, "b.", 2, ""),
                       jn_cstring(cx, "c") };
    ck_assert(invoke_values("replace", a, 3, &res, &err));
    ck_assert(jn_is_string(res));
    ck_assert_str_eq(res->u.string.s, "a\xED\xA0\x80" "c");
    static const row rows[] = {
        /* the first match may be empty; a later empty one is D1004 */
        { "match", "[\"aaa\", {\"/\": \"a*\"}]", "[{\"match\":\"aaa\",\"index\":0,\"groups\":[]}]" },
        { "match", "[\"aab\", {\"/\": \"a*\"}]", "!D1004" },
        { "match", "[\"b\", {\"/\": \"a*\"}]", "!D1004" },
        { "contains", "[\"b\", {\"/\": \"a*\"}]", "true" },
        { "split", "[\"abc\", {\"/\": \"x*\"}]", "!D1004" },
    };
    CHECK_ROWS(rows);
    /* catastrophic backtracking stops at PCRE2's match limit */
    jn_value *b[2] = { jn_cstring(cx, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"),
                       jn_regex_new(cx, "^(a|a)*$", 8, "") };
    ck_assert(!invoke_values("contains", b, 2, &res, &err));
    ck_assert_str_eq(err.code, "U1001");
}
END_TEST

/* A matcher function written in C: the occurrences of "a" in the
 * subject, as jsonata-js's matcher protocol has them (UTF-16 indexes, a
 * `next` function for the following one). */
typedef struct amatch {
    const char *s;
    size_t len, from;
    double units;           /* UTF-16 index of s[from] */
} amatch;

static jn_value *a_matcher(jn_ctx *c, jn_value *const *args, int nargs, void *data);

static jn_value *a_find(jn_ctx *c, amatch st)
{
    for (size_t i = st.from; i < st.len; i++) {
        unsigned char ch = (unsigned char)st.s[i];
        if (ch == 'a') {
            jn_value *o = jn_object(c);
            jn_object_set(c, o, "match", 5, jn_cstring(c, "a"));
            jn_object_set(c, o, "start", 5, jn_number(c, st.units));
            jn_object_set(c, o, "end", 3, jn_number(c, st.units + 1));
            jn_object_set(c, o, "groups", 6, jn_array(c, 0));
            amatch *next = jn_alloc(c, sizeof *next);
            *next = (amatch){ st.s, st.len, i + 1, st.units + 1 };
            jn_object_set(c, o, "next", 4, jn_native(c, "next", NULL, a_matcher, next));
            return o;
        }
        if ((ch & 0xC0) != 0x80)    /* a character starts: count its units */
            st.units += ch >= 0xF0 ? 2 : 1;
    }
    return NULL;
}

static jn_value *a_matcher(jn_ctx *c, jn_value *const *args, int nargs, void *data)
{
    if (data)
        return a_find(c, *(amatch *)data);
    ck_assert(nargs >= 1 && jn_is_string(args[0]));
    amatch st = { args[0]->u.string.s, args[0]->u.string.len, 0, 0 };
    return a_find(c, st);
}

static jn_value *not_a_matcher(jn_ctx *c, jn_value *const *args, int nargs, void *data)
{
    (void)args, (void)nargs, (void)data;
    return jn_cstring(c, "SOME TEXT");
}

START_TEST(test_matcher_functions)
{
    jn_value *fn = jn_native(cx, "matcher", NULL, a_matcher, NULL);
    jn_value *s = jn_cstring(cx, "\xF0\x9F\x98\x80" "bab\xC3\xA9" "a");
    jn_value *res;
    jn_error err;
    jn_value *args[3] = { s, fn, NULL };
    ck_assert(invoke_values("match", args, 2, &res, &err));
    char *t = result_text(res);
    ck_assert_str_eq(t, "[{\"match\":\"a\",\"index\":3,\"groups\":[]},"
                        "{\"match\":\"a\",\"index\":6,\"groups\":[]}]");
    free(t);
    ck_assert(invoke_values("split", args, 2, &res, &err));
    t = result_text(res);
    ck_assert_str_eq(t, "[\"\xF0\x9F\x98\x80" "b\",\"b\xC3\xA9\",\"\"]");
    free(t);
    args[2] = jn_cstring(cx, "[$0]");
    ck_assert(invoke_values("replace", args, 3, &res, &err));
    ck_assert_str_eq(res->u.string.s, "\xF0\x9F\x98\x80" "b[a]b\xC3\xA9[a]");
    ck_assert(invoke_values("contains", args, 2, &res, &err));
    ck_assert(res == JN_TRUE);
    /* a function that answers with something else is T1010 */
    args[1] = jn_native(cx, "uppercase", NULL, not_a_matcher, NULL);
    ck_assert(!invoke_values("split", args, 2, &res, &err));
    ck_assert_str_eq(err.code, "T1010");
}
END_TEST

/* ==== numbers ========================================================== */

START_TEST(test_number)
{
    static const row rows[] = {
        /* function-number */
        { "number", "[0]", "0" },
        { "number", "[-0.05]", "-0.05" },
        { "number", "[\"0\"]", "0" },
        { "number", "[\"-0.05\"]", "-0.05" },
        { "number", "[\"1e2\"]", "100" },
        { "number", "[\"1.0e-2\"]", "0.01" },
        { "number", "[\"10e500\"]", "!D3030" },
        { "number", "[\"Hello world\"]", "!D3030" },
        { "number", "[\"1/2\"]", "!D3030" },
        { "number", "[\"1234 hello\"]", "!D3030" },
        { "number", "[\"\"]", "!D3030" },
        { "number", "[true]", "1" },
        { "number", "[false]", "0" },
        { "number", "[\"<undefined>\"]", "undefined" },
        { "number", "[\"[1]\"]", "!D3030" },
        { "number", "[\"00\"]", "0" },
        { "number", "[\"0123\"]", "123" },
        { "number", "[\"-007\"]", "-7" },
        { "number", "[\"000.00123000\"]", "0.00123" },
        { "number", "[\"0x12\"]", "18" },
        { "number", "[\"0B101\"]", "5" },
        { "number", "[\"0O12\"]", "10" },
        { "number", "[\"0x1g\"]", "!D3030" },
        { "number", "[\" 1\"]", "!D3030" },
        { "number", "[\".5\"]", "!D3030" },
        /* abs, floor, ceil, sqrt, power */
        { "abs", "[-3.5]", "3.5" },
        { "abs", "[\"<undefined>\"]", "undefined" },
        { "floor", "[-3.5]", "-4" },
        { "floor", "[3.5]", "3" },
        { "ceil", "[-3.5]", "-3" },
        { "ceil", "[3.2]", "4" },
        { "sqrt", "[4]", "2" },
        { "sqrt", "[2]", "1.4142135623730951" },
        { "sqrt", "[-2]", "!D3060" },
        { "power", "[4, 2]", "16" },
        { "power", "[4, 0.5]", "2" },
        { "power", "[10, -2]", "0.01" },
        { "power", "[-2, 3]", "-8" },
        { "power", "[\"<undefined>\", 3]", "undefined" },
        { "power", "[-2, 0.3333333333333333]", "!D3061" },
        { "power", "[100, 1000]", "!D3061" },
        /* function-round */
        { "round", "[4]", "4" },
        { "round", "[2.3]", "2" },
        { "round", "[2.7]", "3" },
        { "round", "[2.5]", "2" },
        { "round", "[3.5]", "4" },
        { "round", "[-0.5]", "0" },
        { "round", "[-0.3]", "0" },
        { "round", "[0.5]", "0" },
        { "round", "[-7.5]", "-8" },
        { "round", "[-8.5]", "-8" },
        { "round", "[4.49, 1]", "4.5" },
        { "round", "[4.525, 2]", "4.52" },
        { "round", "[4.515, 2]", "4.52" },
        { "round", "[12345, -2]", "12300" },
        { "round", "[12450, -2]", "12400" },
        { "round", "[12350, -2]", "12400" },
        { "round", "[6.022e-23, 24]", "6e-23" },
        { "round", "[\"<undefined>\"]", "undefined" },
        /* function-formatBase */
        { "formatBase", "[100]", "\"100\"" },
        { "formatBase", "[\"<undefined>\"]", "undefined" },
        { "formatBase", "[100, 2]", "\"1100100\"" },
        { "formatBase", "[-100, 2]", "\"-1100100\"" },
        { "formatBase", "[100, 36]", "\"2s\"" },
        { "formatBase", "[99.5, 2.5]", "\"1100100\"" },
        { "formatBase", "[100, 1]", "!D3100" },
        { "formatBase", "[100, 37]", "!D3100" },
        { "formatBase", "[1e21, 10]", "\"1e+21\"" },
        { "formatBase", "[255, 16]", "\"ff\"" },
    };
    CHECK_ROWS(rows);
    jn_error e = error_of("power", "[100, 1000]");
    ck_assert_str_eq(e.message, "The power function has resulted in a value that cannot be "
                                "represented as a JSON number: base=100, exponent=1000");
}
END_TEST

START_TEST(test_format_number)
{
    static const row rows[] = {
        /* function-formatNumber */
        { "formatNumber", "[12345.6, \"#,###.00\"]", "\"12,345.60\"" },
        { "formatNumber", "[12345678.9, \"9,999.99\"]", "\"12,345,678.90\"" },
        { "formatNumber", "[123412345678.9, \"9,9,99.99\"]", "\"123412345,6,78.90\"" },
        { "formatNumber", "[1234.56789, \"9,999.999,999\"]", "\"1,234.567,890\"" },
        { "formatNumber", "[123.9, \"9999\"]", "\"0124\"" },
        { "formatNumber", "[0.14, \"01%\"]", "\"14%\"" },
        { "formatNumber", "[0.4857, \"###.###\\u2030\"]", "\"485.7\\u2030\"" },
        { "formatNumber", "[0.14, \"###pm\", {\"per-mille\": \"pm\"}]", "\"140pm\"" },
        { "formatNumber", "[-6, \"000\"]", "\"-006\"" },
        { "formatNumber", "[1234.5678, \"00.000e0\"]", "\"12.346e2\"" },
        { "formatNumber", "[1234.5678, \"00.000e000\"]", "\"12.346e002\"" },
        { "formatNumber", "[1234.5678, \"\\u2460\\u2460.\\u2460\\u2460\\u2460e\\u2460\", {\"zero-digit\": \"\\u245f\"}]",
          "\"\\u2460\\u2461.\\u2462\\u2463\\u2465e\\u2461\"" },
        { "formatNumber", "[0.234, \"0.0e0\"]", "\"2.3e-1\"" },
        { "formatNumber", "[0.234, \"#.00e0\"]", "\"0.23e0\"" },
        { "formatNumber", "[0.123, \"#.e9\"]", "\"0.1e0\"" },
        { "formatNumber", "[0.234, \".00e0\"]", "\".23e0\"" },
        { "formatNumber", "[-87504.4812, \"000,000.000###;###,###.000###\"]", "\"87,504.4812\"" },
        { "formatNumber", "[185.2812, \"PREFIX##00.000###SUFFIX\"]", "\"PREFIX185.2812SUFFIX\"" },
        { "formatNumber", "[1E20, \"#,######\"]", "\"100,000000,000000,000000\"" },
        { "formatNumber", "[20, \"#;#;#\"]", "!D3080" },
        { "formatNumber", "[20, \"#.0.0\"]", "!D3081" },
        { "formatNumber", "[20, \"#0%%\"]", "!D3082" },
        { "formatNumber", "[20, \"#0\\u2030\\u2030\"]", "!D3083" },
        { "formatNumber", "[20, \"#0%\\u2030\"]", "!D3084" },
        { "formatNumber", "[20, \".e0\"]", "!D3085" },
        { "formatNumber", "[20, \"0+.e0\"]", "!D3086" },
        { "formatNumber", "[20, \"0,.e0\"]", "!D3087" },
        { "formatNumber", "[20, \"0,\"]", "!D3088" },
        { "formatNumber", "[20, \"0,,0\"]", "!D3089" },
        { "formatNumber", "[20, \"0#.e0\"]", "!D3090" },
        { "formatNumber", "[20, \"#0.#0e0\"]", "!D3091" },
        { "formatNumber", "[20, \"#0.0e0%\"]", "!D3092" },
        { "formatNumber", "[20, \"#0.0e0,0\"]", "!D3093" },
        { "formatNumber", "[2, \"000.000\"]", "\"002.000\"" },
        { "formatNumber", "[2, \"AAA.AAA\", {\"zero-digit\": \"A\"}]", "\"AAC.AAA\"" },
        { "formatNumber", "[0.1, \"AeAAA\", {\"zero-digit\": \"A\"}]", "\"Be-AAB\"" },
        { "formatNumber", "[\"<undefined>\", \"#0.00\"]", "undefined" },
        /* toFixed rounds halves away from zero */
        { "formatNumber", "[0.5, \"0\"]", "\"0\"" },
        { "formatNumber", "[2.5, \"0\"]", "\"2\"" },
        { "formatNumber", "[1.005, \"0.00\"]", "\"1.00\"" },
        { "formatNumber", "[0, \"0.0e0\"]", "\"0.0e0\"" },
    };
    CHECK_ROWS(rows);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("jsonata_fn");
    TCase *tc = tcase_create("strings");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_length_substring);
    tcase_add_test(tc, test_case_trim_pad);
    tcase_add_test(tc, test_contains_split_join);
    tcase_add_test(tc, test_match_replace);
    tcase_add_test(tc, test_encoding);
    suite_add_tcase(s, tc);
    tc = tcase_create("regex");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_regex_api);
    tcase_add_test(tc, test_regex_errors);
    tcase_add_test(tc, test_matcher_functions);
    suite_add_tcase(s, tc);
    tc = tcase_create("numbers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_number);
    tcase_add_test(tc, test_format_number);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = run_suite(suite(), CK_NORMAL);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * check_json.c - unit tests for runtime/json.c: reading JSON documents,
 * printing doubles as Java's Double.toString does, and the compact
 * Jackson-style serialization AWS uses for every output and Cause.
 *
 * Expected number strings were checked against Java (Double.toString);
 * where JDK 17 and earlier print a longer, non-shortest form (1e23 as
 * "9.999999999999999E22"), the expectation is the shortest form of JDK 19+.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"
#include "testutil.h"

/* ==== helpers ========================================================== */

static char *fmt(double d)
{
    static char buf[64];
    int n = aslrtp_format_double(d, buf, sizeof buf);
    ck_assert_int_eq(n, (int)strlen(buf));
    return buf;
}

#define ck_assert_double_fmt(d, expected) ck_assert_str_eq(fmt(d), expected)

/* Parses text (which must be valid) and returns its serialization. */
static char *roundtrip(const char *text)
{
    json_error_t err;
    json_t *v = aslrtp_json_loads(text, strlen(text), &err);
    ck_assert_msg(v != NULL, "parse of %s failed: %s", text, err.text);
    char *s = aslrt_json_dumps(v);
    json_decref(v);
    return s;
}

#define ck_assert_roundtrip(text, expected)                                    \
    do {                                                                       \
        char *s_ = roundtrip(text);                                            \
        ck_assert_str_eq(s_, expected);                                        \
        free(s_);                                                              \
    } while (0)

static void assert_dumps(json_t *v, const char *expected)
{
    char *s = aslrt_json_dumps(v);
    ck_assert_str_eq(s, expected);
    free(s);
    json_decref(v);
}

/* ==== aslrtp_format_double ============================================= */

START_TEST(test_double_plain_range)
{
    /* Java prints 10^-3 <= |d| < 10^7 in plain notation, always with a
     * fraction digit. */
    ck_assert_double_fmt(1.0, "1.0");
    ck_assert_double_fmt(0.1, "0.1");
    ck_assert_double_fmt(0.5, "0.5");
    ck_assert_double_fmt(-1.5, "-1.5");
    ck_assert_double_fmt(3.3, "3.3");
    ck_assert_double_fmt(2.22, "2.22");
    ck_assert_double_fmt(4.35, "4.35");
    ck_assert_double_fmt(100.0, "100.0");
    ck_assert_double_fmt(12345.678, "12345.678");
    ck_assert_double_fmt(1234567.125, "1234567.125");
    ck_assert_double_fmt(9999999.0, "9999999.0");
    ck_assert_double_fmt(0.001, "0.001");
    ck_assert_double_fmt(-0.001, "-0.001");
    ck_assert_double_fmt(0.0123, "0.0123");
    ck_assert_double_fmt(2.0 / 3.0, "0.6666666666666666");
}
END_TEST

START_TEST(test_double_shortest)
{
    /* shortest digits that read back, not %.17g */
    ck_assert_double_fmt(0.1 + 0.2, "0.30000000000000004");
    ck_assert_double_fmt(0.3, "0.3");
    ck_assert_double_fmt(1.1 * 1.1, "1.2100000000000002");
    ck_assert_double_fmt(1.7976931348623157e308, "1.7976931348623157E308");
    ck_assert_double_fmt(2.2250738585072014e-308, "2.2250738585072014E-308");
    /* JDK <= 18 prints 9.999999999999999E22 here; JDK 19+ and Jackson's
     * fast writer print the shortest form. */
    ck_assert_double_fmt(1e23, "1.0E23");
    ck_assert_double_fmt(123456789012345678.0, "1.2345678901234568E17");
}
END_TEST

START_TEST(test_double_scientific)
{
    ck_assert_double_fmt(1e7, "1.0E7");
    ck_assert_double_fmt(123456789.0, "1.23456789E8");
    ck_assert_double_fmt(1e21, "1.0E21");
    ck_assert_double_fmt(-1e21, "-1.0E21");
    ck_assert_double_fmt(1e22, "1.0E22");
    ck_assert_double_fmt(1e15, "1.0E15");
    ck_assert_double_fmt(1e16, "1.0E16");
    ck_assert_double_fmt(1e100, "1.0E100");
    ck_assert_double_fmt(0.0001, "1.0E-4");
    ck_assert_double_fmt(1e-5, "1.0E-5");
    ck_assert_double_fmt(-2.5e-5, "-2.5E-5");
    ck_assert_double_fmt(1e-300, "1.0E-300");
}
END_TEST

START_TEST(test_double_integers_near_2_63)
{
    /* jansson reals that hold integers: digits are exact up to 2^53, then
     * the shortest form that reads back. */
    ck_assert_double_fmt(9007199254740992.0, "9.007199254740992E15");
    ck_assert_double_fmt(9007199254740993.0, "9.007199254740992E15");
    ck_assert_double_fmt(18014398509481984.0, "1.8014398509481984E16");
    ck_assert_double_fmt(9223372036854775807.0, "9.223372036854776E18");
    ck_assert_double_fmt(-9223372036854775808.0, "-9.223372036854776E18");
    ck_assert_double_fmt(18446744073709551616.0, "1.8446744073709552E19");
}
END_TEST

START_TEST(test_double_zero_subnormal_special)
{
    ck_assert_double_fmt(0.0, "0.0");
    ck_assert_double_fmt(-0.0, "-0.0");
    /* One digit reads back ("5E-324") but Java then picks the closest of
     * the one- and two-digit decimals. */
    ck_assert_double_fmt(5e-324, "4.9E-324");
    ck_assert_double_fmt(-5e-324, "-4.9E-324");
    ck_assert_double_fmt(1e-323, "9.9E-324");
    ck_assert_double_fmt(1e-310, "1.0E-310");
    ck_assert_double_fmt(2.225073858507201e-308, "2.225073858507201E-308");
    /* never in JSON, but must not crash */
    ck_assert_double_fmt(NAN, "NaN");
    ck_assert_double_fmt(INFINITY, "Infinity");
    ck_assert_double_fmt(-INFINITY, "-Infinity");
}
END_TEST

START_TEST(test_double_small_buffer)
{
    char buf[4];
    /* snprintf-like: the full length is returned, the text truncated */
    ck_assert_int_eq(aslrtp_format_double(0.30000000000000004, buf, sizeof buf), 19);
    ck_assert_str_eq(buf, "0.3");
    ck_assert_int_eq(aslrtp_format_double(1.5, NULL, 0), 3);
}
END_TEST

START_TEST(test_double_reads_back)
{
    /* every printed form reads back as the same double */
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        memcpy(&d, &x, sizeof d);
        if (!isfinite(d))
            continue;
        char buf[64];
        aslrtp_format_double(d, buf, sizeof buf);
        ck_assert_msg(strtod(buf, NULL) == d, "%s does not read back", buf);
    }
}
END_TEST

/* ==== aslrtp_buf_add_json / aslrt_json_dumps =========================== */

START_TEST(test_dump_scalars)
{
    assert_dumps(json_null(), "null");
    assert_dumps(json_true(), "true");
    assert_dumps(json_false(), "false");
    assert_dumps(json_integer(0), "0");
    assert_dumps(json_integer(-42), "-42");
    assert_dumps(json_integer(INT64_MAX), "9223372036854775807");
    assert_dumps(json_integer(INT64_MIN), "-9223372036854775808");
    assert_dumps(json_real(1.0), "1.0");
    assert_dumps(json_real(0.1), "0.1");
    assert_dumps(json_real(-0.0), "-0.0");
    assert_dumps(json_real(1e21), "1.0E21");
    assert_dumps(json_string(""), "\"\"");
    assert_dumps(json_string("HelloWorld"), "\"HelloWorld\"");
    char *s = aslrt_json_dumps(NULL);
    ck_assert_str_eq(s, "null");
    free(s);
}
END_TEST

START_TEST(test_dump_compact_and_ordered)
{
    /* no spaces; keys in insertion order, not sorted */
    json_t *o = json_object();
    json_object_set_new(o, "zeta", json_integer(1));
    json_object_set_new(o, "alpha", json_array());
    json_object_set_new(o, "mid", json_object());
    json_t *a = json_array();
    json_array_append_new(a, json_null());
    json_array_append_new(a, json_integer(0));
    json_array_append_new(a, json_real(0.1));
    json_array_append_new(a, json_true());
    json_array_append_new(a, json_string("x"));
    json_object_set_new(o, "lst", a);
    assert_dumps(o, "{\"zeta\":1,\"alpha\":[],\"mid\":{},\"lst\":[null,0,0.1,true,\"x\"]}");
}
END_TEST

START_TEST(test_dump_escapes)
{
    /* Jackson escapes only '"', '\' and control characters, short forms
     * for \b \t \n \f \r, "\u00XX" with upper-case hex for the rest. */
    assert_dumps(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    assert_dumps(json_string("\b\t\n\f\r"), "\"\\b\\t\\n\\f\\r\"");
    assert_dumps(json_string("\x01\x0b\x1f"), "\"\\u0001\\u000B\\u001F\"");
    /* '/' and DEL are not escaped */
    assert_dumps(json_string("a/b\x7f"), "\"a/b\x7f\"");
    /* non-ASCII stays UTF-8, U+2028/U+2029 and astral characters too */
    assert_dumps(json_string("caf\xc3\xa9 \xe2\x80\xa8\xe2\x80\xa9 \xf0\x9f\x98\x80"),
                 "\"caf\xc3\xa9 \xe2\x80\xa8\xe2\x80\xa9 \xf0\x9f\x98\x80\"");
    /* U+0000 inside a string (JSON_ALLOW_NUL) */
    assert_dumps(json_stringn("a\0b", 3), "\"a\\u0000b\"");
    /* keys are escaped the same way */
    json_t *o = json_object();
    json_object_set_new(o, "k\"\n", json_integer(1));
    json_object_setn_new(o, "n\0ul", 4, json_integer(2));
    assert_dumps(o, "{\"k\\\"\\n\":1,\"n\\u0000ul\":2}");
}
END_TEST

START_TEST(test_dump_appends)
{
    aslrtp_buf b = {0};
    aslrtp_buf_adds(&b, "input '");
    json_t *v = json_pack("{s:s, s:f}", "foo", "bar", "n", 2.5);
    aslrtp_buf_add_json(&b, v);
    aslrtp_buf_adds(&b, "'");
    json_decref(v);
    ck_assert_uint_eq(b.len, strlen(b.data));
    char *s = aslrtp_buf_finish(&b);
    ck_assert_str_eq(s, "input '{\"foo\":\"bar\",\"n\":2.5}'");
    free(s);
}
END_TEST

START_TEST(test_dump_deep_and_large)
{
    /* a deep nest and a long string (buffer growth) */
    json_t *v = json_integer(7);
    for (int i = 0; i < 500; i++) {
        json_t *a = json_array();
        json_array_append_new(a, v);
        v = a;
    }
    char *s = aslrt_json_dumps(v);
    ck_assert_uint_eq(strlen(s), 1001);
    ck_assert_int_eq(s[500], '7');
    free(s);
    json_decref(v);

    size_t n = 100000;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        big[i] = (i % 100 == 99) ? '\n' : 'a';
    big[n] = '\0';
    json_t *str = json_string(big);
    s = aslrt_json_dumps(str);
    ck_assert_uint_eq(strlen(s), n + 2 + n / 100);
    free(s);
    json_decref(str);
    free(big);
}
END_TEST

/* ==== aslrtp_json_loads ================================================ */

START_TEST(test_load_any_document)
{
    ck_assert_roundtrip("{\"a\": 1, \"b\": [true, false, null]}",
                        "{\"a\":1,\"b\":[true,false,null]}");
    /* bare scalars are valid execution inputs */
    ck_assert_roundtrip("\"x\"", "\"x\"");
    ck_assert_roundtrip("42", "42");
    ck_assert_roundtrip(" null ", "null");
    ck_assert_roundtrip("true", "true");
    /* reals stay reals: AWS prints an input 0.0 back as "0.0" */
    ck_assert_roundtrip("0.0", "0.0");
    ck_assert_roundtrip("[1.0, 1, 1e2, 1E-7, -0.0, -0]", "[1.0,1,100.0,1.0E-7,-0.0,0]");
    /* escapes are decoded and re-encoded Jackson's way */
    ck_assert_roundtrip("\"\\u00e9\\/\\u2028\\u0000\\u001f\"",
                        "\"\xc3\xa9/\xe2\x80\xa8\\u0000\\u001F\"");
    /* duplicate keys: the last one wins, in the first one's place */
    ck_assert_roundtrip("{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":3,\"b\":2}");
}
END_TEST

START_TEST(test_load_big_integers)
{
    /* beyond int64: a real, while the other integers stay integers */
    ck_assert_roundtrip("[1, 12345678901234567890, 9223372036854775807]",
                        "[1,1.2345678901234567E19,9223372036854775807]");
    ck_assert_roundtrip("9223372036854775808", "9.223372036854776E18");
    ck_assert_roundtrip("-9223372036854775808", "-9223372036854775808");
    ck_assert_roundtrip("-9223372036854775809", "-9.223372036854776E18");
    ck_assert_roundtrip("{\"s\":\"123456789012345678901234\",\"n\":123456789012345678901234}",
                        "{\"s\":\"123456789012345678901234\",\"n\":1.2345678901234569E23}");

    json_error_t err;
    json_t *v = aslrtp_json_loads("100000000000000000000", 21, &err);
    ck_assert_ptr_nonnull(v);
    ck_assert(json_is_real(v));
    ck_assert(json_real_value(v) == 1e20);
    json_decref(v);
}
END_TEST

START_TEST(test_load_errors)
{
    json_error_t err;
    const char *bad = "{\"a\": }";
    ck_assert_ptr_null(aslrtp_json_loads(bad, strlen(bad), &err));
    ck_assert_int_eq(err.line, 1);
    ck_assert_int_eq(err.position, 7);
    ck_assert_ptr_null(aslrtp_json_loads("", 0, &err));
    ck_assert_ptr_null(aslrtp_json_loads("1 2", 3, &err));
    ck_assert_ptr_null(aslrtp_json_loads("\"\xff\"", 3, &err));
    /* a real that overflows stays an error */
    ck_assert_ptr_null(aslrtp_json_loads("1e400", 5, &err));
    ck_assert_int_eq(json_error_code(&err), json_error_numeric_overflow);
    /* an error after a big integer is reported where it is in the text */
    const char *late = "[123456789012345678901234, ]";
    ck_assert_ptr_null(aslrtp_json_loads(late, strlen(late), &err));
    ck_assert_int_eq(err.position, 28);
    ck_assert_int_eq(err.column, 28);
    /* err may be NULL */
    ck_assert_ptr_null(aslrtp_json_loads("[", 1, NULL));
    ck_assert_ptr_null(aslrtp_json_loads(late, strlen(late), NULL));
}
END_TEST

START_TEST(test_load_length_bounded)
{
    /* only len bytes are read; text need not be NUL-terminated there */
    json_error_t err;
    json_t *v = aslrtp_json_loads("[1,2]garbage", 5, &err);
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(json_array_size(v), 2);
    json_decref(v);
}
END_TEST

/* ==== aslrtp_json_exceeds ============================================= */

/* v's serialization is len bytes: the quota check says so at every limit
 * around len, below the lower bound of its first walk (strings counted
 * without escapes), between the bounds (the exact walk) and above both. */
static void assert_size_exact(json_t *v)
{
    char *s = aslrt_json_dumps(v);
    size_t len = strlen(s);
    for (size_t k = 0; k <= len * 6 + 50; k++)
        ck_assert_msg(aslrtp_json_exceeds(v, k) == (len > k), "%s: limit %zu, size %zu", s,
                      k, len);
    free(s);
}

START_TEST(test_size_scalars)
{
    /* integers of every width, at each power of ten and of two */
    json_t *a = json_array();
    unsigned long long p = 1;
    for (int k = 0; k < 19; k++, p *= 10)
        for (long long d = -1; d <= 1; d++) {
            json_array_append_new(a, json_integer((json_int_t)(p + (unsigned long long)d)));
            json_array_append_new(a, json_integer(-(json_int_t)(p + (unsigned long long)d)));
        }
    for (int k = 0; k < 63; k++)
        json_array_append_new(a, json_integer((json_int_t)(1ULL << k)));
    json_array_append_new(a, json_integer(INT64_MAX));
    json_array_append_new(a, json_integer(INT64_MIN));
    size_t n = json_array_size(a);
    for (size_t i = 0; i < n; i++)
        assert_size_exact(json_array_get(a, i));
    assert_size_exact(a);
    json_decref(a);

    static const double reals[] = {0.0, -0.0, 0.1, 1.0, -2.5, 1e-5, 1e7, 123456789.125,
                                   1.7976931348623157e308, 4.9e-324, -1.2345678901234567e-300};
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
        json_t *r = json_real(reals[i]);
        assert_size_exact(r);
        json_decref(r);
    }
    assert_size_exact(json_true());
    assert_size_exact(json_false());
    assert_size_exact(json_null());
}
END_TEST

START_TEST(test_size_strings_and_nesting)
{
    static const char *texts[] = {
        "\"\"", "\"plain\"", "\"q\\\"b\\\\s/\"", "\"\\n\\t\\r\\b\\f\"",
        "\"\\u0000\\u0001\\u001f\\u007f\"", "\"\\u00e9t\\u00e9 \\u20ac \\ud83d\\ude00 \\u2028\"",
        "{}", "[]", "[[],{},[[]]]", "{\"a\":1}", "{\"a\":1,\"b\":[true,false,null],\"c\":{}}",
        "{\"k\\\"\\n\":{\"\\u00e9\\u0001\":[1.5,\"x\\ty\",{\"d\":{\"e\":[-7]}}]}}",
        "{\"last\":{\"step\":3,\"prev\":2,\"payload\":{\"id\":\"bench\",\"values\":[1,2,3,4,5],"
        "\"nested\":{\"x\":1,\"y\":\"two\"}}}}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        json_error_t err;
        json_t *v = aslrtp_json_loads(texts[i], strlen(texts[i]), &err);
        ck_assert_msg(v != NULL, "%s: %s", texts[i], err.text);
        assert_size_exact(v);
        json_decref(v);
    }
    /* a key holding U+0000 is measured as written: escaped, whole */
    json_t *o = json_object();
    json_object_setn_new(o, "a\0b", 3, json_integer(1));
    assert_size_exact(o);
    json_decref(o);
}
END_TEST

/* A document of exactly 256 KiB (the payload quota) is within it and one
 * byte more is over, whichever walk decides. */
static void assert_at_quota(const char *unit, size_t unit_size, size_t pad_to)
{
    const size_t quota = 256 * 1024;
    /* {"s":"...","t":"..."}: "s" holds copies of unit, "t" pads with 'a' */
    size_t frame = strlen("{\"s\":\"\",\"t\":\"\"}");
    size_t copies = (pad_to - frame) / unit_size;
    aslrtp_buf b = {0};
    for (size_t i = 0; i < copies; i++)
        aslrtp_buf_add(&b, unit, strlen(unit));
    char *s = aslrtp_buf_finish(&b);
    size_t pad = quota - frame - copies * unit_size;
    char *t = malloc(pad + 2);
    memset(t, 'a', pad + 1);
    t[pad + 1] = '\0';
    json_t *v = json_pack("{s:s,s:s#}", "s", s, "t", t, (int)pad);
    char *d = aslrt_json_dumps(v);
    ck_assert_uint_eq(strlen(d), quota);
    free(d);
    ck_assert(!aslrtp_json_exceeds(v, quota));
    json_object_set_new(v, "t", json_stringn(t, pad + 1));
    ck_assert(aslrtp_json_exceeds(v, quota));
    json_decref(v);
    free(s);
    free(t);
}

START_TEST(test_size_at_quota)
{
    const size_t quota = 256 * 1024;
    /* plain text: the bounds agree */
    assert_at_quota("x", 1, quota);
    /* escapes everywhere: the limit is between the bounds, the exact walk
     * decides */
    assert_at_quota("\n\"\x01", 2 + 2 + 6, quota);
    /* UTF-8 text counts its bytes (Jackson writes it unescaped) */
    assert_at_quota("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, quota);
    /* escapes in a small part of a document near the quota */
    assert_at_quota("\t", 2, quota / 8);

    /* many small members: the lower bound alone is over */
    json_t *o = json_object();
    char key[32];
    for (int i = 0; json_object_size(o) < 30000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        json_object_set_new(o, key, json_integer(i));
    }
    char *d = aslrt_json_dumps(o);
    size_t len = strlen(d);
    free(d);
    ck_assert(len > quota);
    ck_assert(aslrtp_json_exceeds(o, quota));
    ck_assert(!aslrtp_json_exceeds(o, len));
    ck_assert(aslrtp_json_exceeds(o, len - 1));
    json_decref(o);
}
END_TEST

static Suite *json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("format_double");
    tcase_add_test(tc, test_double_plain_range);
    tcase_add_test(tc, test_double_shortest);
    tcase_add_test(tc, test_double_scientific);
    tcase_add_test(tc, test_double_integers_near_2_63);
    tcase_add_test(tc, test_double_zero_subnormal_special);
    tcase_add_test(tc, test_double_small_buffer);
    tcase_add_test(tc, test_double_reads_back);
    suite_add_tcase(s, tc);

    tc = tcase_create("dump");
    tcase_add_test(tc, test_dump_scalars);
    tcase_add_test(tc, test_dump_compact_and_ordered);
    tcase_add_test(tc, test_dump_escapes);
    tcase_add_test(tc, test_dump_appends);
    tcase_add_test(tc, test_dump_deep_and_large);
    suite_add_tcase(s, tc);

    tc = tcase_create("sizes");
    tcase_add_test(tc, test_size_scalars);
    tcase_add_test(tc, test_size_strings_and_nesting);
    tcase_add_test(tc, test_size_at_quota);
    suite_add_tcase(s, tc);

    tc = tcase_create("loads");
    tcase_add_test(tc, test_load_any_document);
    tcase_add_test(tc, test_load_big_integers);
    tcase_add_test(tc, test_load_errors);
    tcase_add_test(tc, test_load_length_bounded);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = run_suite(json_suite(), CK_ENV);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * check_diag.c - unit tests for compiler/srcmap.c and compiler/diag.c.
 *
 * srcmap is tested through line:col of what asl_srcmap_find returns, on one
 * document that holds the awkward cases together: non-ASCII state names, a
 * key spelt with \u escapes, a key that needs RFC 6901 escaping, a duplicate
 * key, an array, and a string with every kind of escape.  The printer is
 * tested on exact text, caret lines included, as STYLE.md asks.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "srcmap.h"
#include "testutil.h"

/* Line numbers are in the comments; line 13 is indented by a tab. */
static const char DOC[] =
    "{\n"                                                          /*  1 */
    "  \"StartAt\": \"Café\",\n"                                   /*  2 */
    "  \"States\": {\n"                                            /*  3 */
    "    \"Café\": {\n"                                            /*  4 */
    "      \"Type\": \"Pass\",\n"                                  /*  5 */
    "      \"Next\": \"Shipp\"\n"                                  /*  6 */
    "    },\n"                                                     /*  7 */
    "    \"a/b~c\": {\"Type\": \"Choice\", \"Choices\": [\n"       /*  8 */
    "      {\"Variable\": \"$.x\", \"Next\": \"Done\"},\n"         /*  9 */
    "      {\"Variable\": \"$.y\\u00e9\\ud83d\\ude00\\tz\", \"Next\": \"Nope\"}\n" /* 10 */
    "    ]},\n"                                                    /* 11 */
    "    \"Done\": {\"Type\": \"Succeed\"},\n"                     /* 12 */
    "\t\"Done\": {\"Type\": \"Fail\"},\n"                          /* 13 */
    "    \"\\u00c9t\\u00e9\": {\"Type\": \"Succeed\"}\n"           /* 14 */
    "  }\n"                                                        /* 15 */
    "}\n";                                                         /* 16 */

/* Where pointer lands in text, as "line:col", or "none". */
static char *where_in(const char *text, const char *pointer, asl_anchor anchor,
                      size_t str_offset)
{
    static char buf[64];
    size_t off;
    int line, col;

    if (!asl_srcmap_find(text, strlen(text), pointer, anchor, str_offset, &off))
        return strcpy(buf, "none");
    asl_srcmap_linecol(text, strlen(text), off, &line, &col);
    snprintf(buf, sizeof buf, "%d:%d", line, col);
    return buf;
}

static char *where(const char *pointer, asl_anchor anchor, size_t str_offset)
{
    return where_in(DOC, pointer, anchor, str_offset);
}

/* Runs asl_diag_print into a string; the caller frees it. */
static char *print_to_string(const asl_diags *d, const char *filename,
                             const char *text, size_t max_errors)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);

    ck_assert_ptr_nonnull(f);
    asl_diag_print(f, d, filename, text, text ? strlen(text) : 0, max_errors);
    fclose(f);
    return buf;
}

/* ==== srcmap: values and keys ============================================ */

START_TEST(test_find_root)
{
    ck_assert_str_eq(where("", ASL_AT_VALUE, 0), "1:1");
    ck_assert_str_eq(where("", ASL_AT_KEY, 0), "1:1");   /* the root has no key */
    ck_assert_str_eq(where_in("  \n  [1]", "", ASL_AT_VALUE, 0), "2:3");
    ck_assert_str_eq(where_in("\xEF\xBB\xBF{}", "", ASL_AT_VALUE, 0), "1:2");
}
END_TEST

START_TEST(test_find_member)
{
    ck_assert_str_eq(where("/StartAt", ASL_AT_VALUE, 0), "2:14");
    ck_assert_str_eq(where("/StartAt", ASL_AT_KEY, 0), "2:3");
    ck_assert_str_eq(where("/States", ASL_AT_VALUE, 0), "3:13");
    /* A non-ASCII state name; columns count code points, not bytes. */
    ck_assert_str_eq(where("/States/Café", ASL_AT_VALUE, 0), "4:13");
    ck_assert_str_eq(where("/States/Café/Next", ASL_AT_VALUE, 0), "6:15");
    ck_assert_str_eq(where("/States/Café/Next", ASL_AT_KEY, 0), "6:7");
}
END_TEST

START_TEST(test_find_escaped_tokens)
{
    /* RFC 6901: the key "a/b~c" is spelt a~1b~0c in a pointer. */
    ck_assert_str_eq(where("/States/a~1b~0c", ASL_AT_KEY, 0), "8:5");
    ck_assert_str_eq(where("/States/a~1b~0c", ASL_AT_VALUE, 0), "8:14");
    /* The unescaped spelling names other (missing) members. */
    ck_assert_str_eq(where("/States/a/b~c", ASL_AT_VALUE, 0), "3:13");
    /* A key written with \u escapes matches its decoded UTF-8. */
    ck_assert_str_eq(where("/States/Été", ASL_AT_VALUE, 0), "14:22");
    ck_assert_str_eq(where("/States/Été", ASL_AT_KEY, 0), "14:5");
    ck_assert_str_eq(where_in("{\"m~n\": 1, \"\": 2}", "/m~0n", ASL_AT_VALUE, 0), "1:9");
    /* "/" names the member whose key is empty. */
    ck_assert_str_eq(where_in("{\"m~n\": 1, \"\": 2}", "/", ASL_AT_VALUE, 0), "1:16");
}
END_TEST

START_TEST(test_find_array)
{
    ck_assert_str_eq(where("/States/a~1b~0c/Choices", ASL_AT_VALUE, 0), "8:44");
    ck_assert_str_eq(where("/States/a~1b~0c/Choices/0", ASL_AT_VALUE, 0), "9:7");
    ck_assert_str_eq(where("/States/a~1b~0c/Choices/0/Next", ASL_AT_VALUE, 0), "9:35");
    ck_assert_str_eq(where("/States/a~1b~0c/Choices/1/Next", ASL_AT_VALUE, 0), "10:56");
    /* An array element has no key: AT_KEY falls back to the value. */
    ck_assert_str_eq(where("/States/a~1b~0c/Choices/1", ASL_AT_KEY, 0), "10:7");
    ck_assert_str_eq(where_in("[[1, [2, 3]], 4]", "/0/1/1", ASL_AT_VALUE, 0), "1:10");
    ck_assert_str_eq(where_in("[[1, [2, 3]], 4]", "/1", ASL_AT_VALUE, 0), "1:15");
}
END_TEST

START_TEST(test_find_duplicate_key)
{
    /* jansson keeps the last of duplicate keys, and so do we. */
    ck_assert_str_eq(where("/States/Done", ASL_AT_KEY, 0), "13:2");
    ck_assert_str_eq(where("/States/Done", ASL_AT_VALUE, 0), "13:10");
    ck_assert_str_eq(where("/States/Done/Type", ASL_AT_VALUE, 0), "13:19");
    ck_assert_str_eq(where_in("{\"a\": 1, \"b\": 2, \"a\": {\"a\": 3}}", "/a/a",
                              ASL_AT_VALUE, 0), "1:29");
}
END_TEST

START_TEST(test_find_missing)
{
    /* The nearest existing ancestor stands in for what is missing. */
    ck_assert_str_eq(where("/States/Café/Retry/0", ASL_AT_VALUE, 0), "4:13");
    ck_assert_str_eq(where("/States/Café/Retry", ASL_AT_KEY, 0), "4:5");
    ck_assert_str_eq(where("/States/a~1b~0c/Choices/2", ASL_AT_VALUE, 0), "8:44");
    ck_assert_str_eq(where("/States/a~1b~0c/Choices/-", ASL_AT_VALUE, 0), "8:44");
    ck_assert_str_eq(where("/States/a~1b~0c/Choices/01", ASL_AT_VALUE, 0), "8:44");
    ck_assert_str_eq(where("/States/a~1b~0c/Choices/x", ASL_AT_VALUE, 0), "8:44");
    ck_assert_str_eq(where("/StartAt/x", ASL_AT_VALUE, 0), "2:14");
    ck_assert_str_eq(where("/", ASL_AT_VALUE, 0), "1:1");
    ck_assert_str_eq(where("/Nope", ASL_AT_KEY, 0), "1:1");
    /* ASL_AT_STRING on a missing member points at the ancestor itself. */
    ck_assert_str_eq(where("/StartAt/x", ASL_AT_STRING, 3), "2:14");
}
END_TEST

/* ==== srcmap: inside strings ============================================= */

START_TEST(test_find_in_string)
{
    /* "Café": C a f are bytes 0-2, é is bytes 3-4, then the closing quote. */
    ck_assert_str_eq(where("/StartAt", ASL_AT_STRING, 0), "2:15");
    ck_assert_str_eq(where("/StartAt", ASL_AT_STRING, 3), "2:18");
    ck_assert_str_eq(where("/StartAt", ASL_AT_STRING, 4), "2:18");
    ck_assert_str_eq(where("/StartAt", ASL_AT_STRING, 5), "2:19");
}
END_TEST

START_TEST(test_find_in_string_escapes)
{
    /* "$.y\u00e9\ud83d\ude00\tz" decodes to $ . y é(2) 😀(4) TAB z:
     * byte 3 is é, 5..8 the emoji (one surrogate pair), 9 the tab, 10 z. */
    const char *p = "/States/a~1b~0c/Choices/1/Variable";
    ck_assert_str_eq(where(p, ASL_AT_VALUE, 0), "10:20");
    ck_assert_str_eq(where(p, ASL_AT_STRING, 2), "10:23");
    ck_assert_str_eq(where(p, ASL_AT_STRING, 3), "10:24");
    ck_assert_str_eq(where(p, ASL_AT_STRING, 4), "10:24");
    ck_assert_str_eq(where(p, ASL_AT_STRING, 5), "10:30");
    ck_assert_str_eq(where(p, ASL_AT_STRING, 8), "10:30");
    ck_assert_str_eq(where(p, ASL_AT_STRING, 9), "10:42");
    ck_assert_str_eq(where(p, ASL_AT_STRING, 10), "10:44");
    ck_assert_str_eq(where(p, ASL_AT_STRING, 11), "10:45");
    ck_assert_str_eq(where(p, ASL_AT_STRING, 1000), "10:45");
    /* Other escapes, including \/ and \", are one byte each. */
    ck_assert_str_eq(where_in("{\"a\": \"\\/\\\"x\"}", "/a", ASL_AT_STRING, 2), "1:12");
    /* On a value that is not a string, the value itself. */
    ck_assert_str_eq(where("/States/Café", ASL_AT_STRING, 3), "4:13");
}
END_TEST

START_TEST(test_find_malformed)
{
    size_t off = 99;

    ck_assert(!asl_srcmap_find("", 0, "", ASL_AT_VALUE, 0, &off));
    ck_assert(!asl_srcmap_find(" \n ", 3, "", ASL_AT_VALUE, 0, &off));
    ck_assert(!asl_srcmap_find(NULL, 0, "", ASL_AT_VALUE, 0, &off));
    ck_assert_uint_eq(off, 99);
    ck_assert_str_eq(where_in("{\"a\" 1}", "/a", ASL_AT_VALUE, 0), "none");
    ck_assert_str_eq(where_in("{\"a\": [1, 2", "/a/5", ASL_AT_VALUE, 0), "none");
    ck_assert_str_eq(where_in("{\"a\": tru", "/b", ASL_AT_VALUE, 0), "none");
    ck_assert_str_eq(where_in("{\"a\": \"x\\q\"}", "/a", ASL_AT_VALUE, 0), "none");
    /* The root is found before anything malformed is reached. */
    ck_assert_str_eq(where_in("{\"a\" 1}", "", ASL_AT_VALUE, 0), "1:1");
    /* The text need not be NUL-terminated: len bounds every read. */
    ck_assert(asl_srcmap_find("{\"a\": 1}XXXX", 8, "/a", ASL_AT_VALUE, 0, &off));
    ck_assert_uint_eq(off, 6);
    ck_assert(!asl_srcmap_find("{\"a\": \"xyz\"}", 9, "/a", ASL_AT_STRING, 9, &off));
}
END_TEST

START_TEST(test_linecol)
{
    const char *t = "ab\n\xC3\xA9x\n";
    int line, col;

    asl_srcmap_linecol(t, strlen(t), 0, &line, &col);
    ck_assert_int_eq(line, 1);
    ck_assert_int_eq(col, 1);
    asl_srcmap_linecol(t, strlen(t), 2, &line, &col);   /* the newline */
    ck_assert_int_eq(line, 1);
    ck_assert_int_eq(col, 3);
    asl_srcmap_linecol(t, strlen(t), 5, &line, &col);   /* x, after é */
    ck_assert_int_eq(line, 2);
    ck_assert_int_eq(col, 2);
    asl_srcmap_linecol(t, strlen(t), 1000, &line, &col); /* clamped to the end */
    ck_assert_int_eq(line, 3);
    ck_assert_int_eq(col, 1);
}
END_TEST

/* ==== diag: records and pointers ========================================= */

START_TEST(test_records)
{
    asl_diags d;
    char ptr[] = "/States/X";
    char code[] = "SCHEMA_VALIDATION_FAILED";

    asl_diag_init(&d);
    asl_diag *g = asl_diag_add(&d, ASL_DIAG_ERROR, ptr, ASL_AT_KEY, 0, code,
                               "\"%s\" is %d", "Next", 42);
    ck_assert_ptr_nonnull(g);
    /* The record holds copies: the caller's buffers may change. */
    strcpy(ptr, "/Other/X");
    strcpy(code, "CHANGED_CODE_____XXXXXXX");
    asl_diag_add(&d, ASL_DIAG_WARNING, NULL, ASL_AT_VALUE, 0, NULL, "w");
    asl_diag_add(&d, ASL_DIAG_NOTE, "", ASL_AT_STRING, 7, NULL, "n");
    for (int i = 0; i < 20; i++)   /* grows past the first allocation */
        asl_diag_add(&d, ASL_DIAG_ERROR, "/a", ASL_AT_VALUE, 0, NULL, "e%d", i);

    ck_assert_uint_eq(d.n, 23);
    ck_assert_uint_eq(d.nerrors, 21);
    ck_assert_int_eq(d.v[0].severity, ASL_DIAG_ERROR);
    ck_assert_str_eq(d.v[0].pointer, "/States/X");
    ck_assert_int_eq(d.v[0].anchor, ASL_AT_KEY);
    ck_assert_str_eq(d.v[0].code, "SCHEMA_VALIDATION_FAILED");
    ck_assert_str_eq(d.v[0].message, "\"Next\" is 42");
    ck_assert_str_eq(d.v[1].pointer, "");
    ck_assert_ptr_null(d.v[1].code);
    ck_assert_int_eq(d.v[2].anchor, ASL_AT_STRING);
    ck_assert_uint_eq(d.v[2].str_offset, 7);
    ck_assert_str_eq(d.v[22].message, "e19");
    asl_diag_free(&d);
    ck_assert_uint_eq(d.n, 0);
    ck_assert_uint_eq(d.nerrors, 0);
    asl_diag_free(&d);   /* freeing twice is harmless */
}
END_TEST

START_TEST(test_pointer_build)
{
    char *a = asl_pointer_join("", "States");
    char *b = asl_pointer_join(a, "a/b~c");
    char *c = asl_pointer_index(b, 12);
    char *e = asl_pointer_join("/x", "");
    char *f = asl_pointer_join(NULL, "Café");

    ck_assert_str_eq(a, "/States");
    ck_assert_str_eq(b, "/States/a~1b~0c");
    ck_assert_str_eq(c, "/States/a~1b~0c/12");
    ck_assert_str_eq(e, "/x/");
    ck_assert_str_eq(f, "/Café");
    /* What join builds, srcmap finds. */
    ck_assert_str_eq(where(b, ASL_AT_KEY, 0), "8:5");
    free(a);
    free(b);
    free(c);
    free(e);
    free(f);
}
END_TEST

/* ==== diag: sorting ====================================================== */

START_TEST(test_sort)
{
    /* "/a/y" cannot be located: the object under "a" is malformed. */
    const char *text = "{\"a\": {\"x\": 1 \"y\"}, \"b\": 2}";
    asl_diags d;

    asl_diag_init(&d);
    asl_diag_add(&d, ASL_DIAG_ERROR, "/b", ASL_AT_VALUE, 0, NULL, "m0");
    asl_diag_add(&d, ASL_DIAG_ERROR, "/a/y", ASL_AT_VALUE, 0, NULL, "m1");
    asl_diag_add(&d, ASL_DIAG_ERROR, "", ASL_AT_VALUE, 0, NULL, "m2");
    asl_diag_add(&d, ASL_DIAG_NOTE, "/a", ASL_AT_VALUE, 0, NULL, "m3");
    asl_diag_add(&d, ASL_DIAG_WARNING, "/b", ASL_AT_KEY, 0, NULL, "m4");
    asl_diag_add(&d, ASL_DIAG_ERROR, "/b", ASL_AT_VALUE, 0, NULL, "m5");
    asl_diag_add(&d, ASL_DIAG_ERROR, "/zzz", ASL_AT_VALUE, 0, NULL, "m6");
    asl_diag_sort(&d, text, strlen(text));

    const char *want[] = {"m2", "m6", "m3", "m4", "m0", "m5", "m1"};
    for (size_t i = 0; i < 7; i++)
        ck_assert_str_eq(d.v[i].message, want[i]);
    ck_assert_uint_eq(d.nerrors, 5);

    /* Without text nothing is located, and nothing moves. */
    asl_diag_sort(&d, NULL, 0);
    for (size_t i = 0; i < 7; i++)
        ck_assert_str_eq(d.v[i].message, want[i]);
    asl_diag_free(&d);

    asl_diag_init(&d);
    asl_diag_sort(&d, text, strlen(text));   /* empty: nothing to do */
    asl_diag_free(&d);
}
END_TEST

/* ==== diag: printing ===================================================== */

START_TEST(test_print_document)
{
    asl_diags d;

    asl_diag_init(&d);
    asl_diag_add(&d, ASL_DIAG_ERROR, "/States/Café/Next", ASL_AT_VALUE, 0, NULL,
                 "\"Next\" names state \"%s\", which does not exist", "Shipp");
    asl_diag_add(&d, ASL_DIAG_WARNING, "/States/Done", ASL_AT_KEY, 0, NULL,
                 "duplicate key \"Done\"");
    asl_diag_add(&d, ASL_DIAG_NOTE, "/States", ASL_AT_VALUE, 0, NULL,
                 "states are defined here");
    asl_diag_add(&d, ASL_DIAG_ERROR, "", ASL_AT_VALUE, 0, NULL,
                 "the state machine has no terminal state");
    asl_diag_add(&d, ASL_DIAG_ERROR, "/States/a~1b~0c/Choices/1/Variable",
                 ASL_AT_STRING, 9, NULL, "unexpected character in a path");
    asl_diag_add(&d, ASL_DIAG_ERROR, "/States/Café/Retry", ASL_AT_KEY, 0, NULL,
                 "state \"Café\" retries nothing");
    asl_diag_sort(&d, DOC, strlen(DOC));

    char *s = print_to_string(&d, "order.asl.json", DOC, 0);
    ck_assert_str_eq(s,
        "order.asl.json:1:1: error: the state machine has no terminal state\n"
        "    1 | {\n"
        "      | ^\n"
        "order.asl.json:3:13: note: states are defined here [/States]\n"
        "    3 |   \"States\": {\n"
        "      |             ^\n"
        "order.asl.json:4:5: error: state \"Café\" retries nothing [/States/Café/Retry]\n"
        "    4 |     \"Café\": {\n"
        "      |     ^\n"
        "order.asl.json:6:15: error: \"Next\" names state \"Shipp\", which does not exist"
        " [/States/Café/Next]\n"
        "    6 |       \"Next\": \"Shipp\"\n"
        "      |               ^\n"
        "order.asl.json:10:42: error: unexpected character in a path"
        " [/States/a~1b~0c/Choices/1/Variable]\n"
        "   10 |       {\"Variable\": \"$.y\\u00e9\\ud83d\\ude00\\tz\", \"Next\": \"Nope\"}\n"
        "      |                                          ^\n"
        "order.asl.json:13:2: warning: duplicate key \"Done\" [/States/Done]\n"
        "   13 | \t\"Done\": {\"Type\": \"Fail\"},\n"
        "      | \t^\n");
    free(s);
    asl_diag_free(&d);
}
END_TEST

START_TEST(test_print_caret_after_non_ascii)
{
    /* The caret pads one space per code point: é is two bytes, one column. */
    const char *text = "{\"Été\": {\"Type\": \"Wait\", \"Seconds\": -1}}";
    asl_diags d;

    asl_diag_init(&d);
    asl_diag_add(&d, ASL_DIAG_ERROR, "/Été/Seconds", ASL_AT_VALUE, 0, NULL,
                 "\"Seconds\" must not be negative");
    char *s = print_to_string(&d, "w.json", text, 0);
    ck_assert_str_eq(s,
        "w.json:1:37: error: \"Seconds\" must not be negative [/Été/Seconds]\n"
        "    1 | {\"Été\": {\"Type\": \"Wait\", \"Seconds\": -1}}\n"
        "      |                                     ^\n");
    free(s);
    asl_diag_free(&d);
}
END_TEST

START_TEST(test_print_crlf_and_long_file)
{
    /* A CR before the newline is not printed (it would move the cursor). */
    asl_diags d;
    const char *crlf = "{\r\n  \"a\": 1\r\n}\r\n";

    asl_diag_init(&d);
    asl_diag_add(&d, ASL_DIAG_ERROR, "/a", ASL_AT_VALUE, 0, NULL, "bad");
    char *s = print_to_string(&d, "c.json", crlf, 0);
    ck_assert_str_eq(s,
        "c.json:2:8: error: bad [/a]\n"
        "    2 |   \"a\": 1\n"
        "      |        ^\n");
    free(s);

    /* Line numbers wider than five digits widen both gutters alike. */
    size_t n = 123456;
    char *big = malloc(n + 16);
    memset(big, '\n', n);
    strcpy(big + n, "[1, 2]");
    asl_diag_free(&d);
    asl_diag_init(&d);
    asl_diag_add(&d, ASL_DIAG_ERROR, "/1", ASL_AT_VALUE, 0, NULL, "two");
    s = print_to_string(&d, "big.json", big, 0);
    ck_assert_str_eq(s,
        "big.json:123457:5: error: two [/1]\n"
        "123457 | [1, 2]\n"
        "       |     ^\n");
    free(s);
    free(big);
    asl_diag_free(&d);
}
END_TEST

START_TEST(test_print_without_text)
{
    asl_diags d;

    asl_diag_init(&d);
    asl_diag_add(&d, ASL_DIAG_ERROR, "/States/X", ASL_AT_VALUE, 0, NULL, "no text");
    asl_diag_add(&d, ASL_DIAG_ERROR, "", ASL_AT_VALUE, 0, NULL, "at the root");
    asl_diag_add(&d, ASL_DIAG_WARNING, "/", ASL_AT_VALUE, 0, NULL, "empty key");
    char *s = print_to_string(&d, "x.json", NULL, 0);
    ck_assert_str_eq(s,
        "x.json: error: no text [/States/X]\n"
        "x.json: error: at the root\n"
        "x.json: warning: empty key [/]\n");
    free(s);

    /* Text that cannot be scanned prints the same way. */
    s = print_to_string(&d, "x.json", "   ", 0);
    ck_assert_str_eq(s,
        "x.json: error: no text [/States/X]\n"
        "x.json: error: at the root\n"
        "x.json: warning: empty key [/]\n");
    free(s);
    asl_diag_free(&d);
}
END_TEST

START_TEST(test_print_max_errors)
{
    const char *text = "{\"a\": 1, \"b\": 2, \"c\": 3}";
    asl_diags d;

    asl_diag_init(&d);
    asl_diag_add(&d, ASL_DIAG_ERROR, "/a", ASL_AT_VALUE, 0, NULL, "first");
    asl_diag_add(&d, ASL_DIAG_ERROR, "/b", ASL_AT_VALUE, 0, NULL, "second");
    asl_diag_add(&d, ASL_DIAG_NOTE, "/a", ASL_AT_KEY, 0, NULL, "note of second");
    asl_diag_add(&d, ASL_DIAG_WARNING, "/c", ASL_AT_VALUE, 0, NULL, "a warning");
    asl_diag_add(&d, ASL_DIAG_ERROR, "/c", ASL_AT_VALUE, 0, NULL, "third");

    char *s = print_to_string(&d, "m.json", text, 1);
    ck_assert_str_eq(s,
        "m.json:1:7: error: first [/a]\n"
        "    1 | {\"a\": 1, \"b\": 2, \"c\": 3}\n"
        "      |       ^\n"
        "m.json:1:23: warning: a warning [/c]\n"
        "    1 | {\"a\": 1, \"b\": 2, \"c\": 3}\n"
        "      |                       ^\n"
        "aslc: 2 more errors not shown\n");
    free(s);

    s = print_to_string(&d, "m.json", NULL, 2);
    ck_assert_str_eq(s,
        "m.json: error: first [/a]\n"
        "m.json: error: second [/b]\n"
        "m.json: note: note of second [/a]\n"
        "m.json: warning: a warning [/c]\n"
        "aslc: 1 more error not shown\n");
    free(s);

    /* At the limit exactly, no line about omissions. */
    s = print_to_string(&d, "m.json", NULL, 3);
    ck_assert_ptr_null(strstr(s, "not shown"));
    free(s);
    asl_diag_free(&d);
}
END_TEST

START_TEST(test_print_long_line)
{
    /* A minified definition is one long line: the excerpt is a window of
     * it around the caret, "..." marking each cut. */
    size_t n = 300;
    char *text = malloc(2 * n + 64), *p = text;
    p += sprintf(p, "{\"pad\": \"");
    memset(p, 'x', n);
    p += n;
    p += sprintf(p, "\", \"a\": -1, \"tail\": \"");
    memset(p, 'y', n);
    p += n;
    strcpy(p, "\"}");
    asl_diags d;

    asl_diag_init(&d);
    asl_diag_add(&d, ASL_DIAG_ERROR, "/a", ASL_AT_VALUE, 0, NULL, "negative");
    char *s = print_to_string(&d, "l.json", text, 0);
    char want[1024], *w = want;
    w += sprintf(w, "l.json:1:%zu: error: negative [/a]\n    1 | ...", n + 18);
    /* 80 bytes before the caret, 80 from it. */
    const char *at = strstr(text, "-1");
    w += sprintf(w, "%.160s...\n      |    ", at - 80);
    memset(w, ' ', 80);
    strcpy(w + 80, "^\n");
    ck_assert_str_eq(s, want);
    free(s);

    /* A line of EXCERPT bytes or fewer is shown whole, wherever the caret. */
    strcpy(text, "{\"p\": \"");
    memset(text + 7, 'x', 130);
    strcpy(text + 137, "\", \"a\": -1}");
    s = print_to_string(&d, "l.json", text, 0);
    ck_assert_ptr_nonnull(strstr(s, "    1 | {\"p\""));
    ck_assert_ptr_nonnull(strstr(s, "-1}\n"));
    ck_assert_ptr_null(strstr(s, "..."));
    free(s);
    asl_diag_free(&d);
    free(text);
}
END_TEST

/* ==== placing many diagnostics =========================================== */

/* A Parallel of n branches that all name their state "S" (one duplicate
 * name per branch), pretty-printed; malloc'd. */
static char *many_branches(size_t n)
{
    const char *branch = "      {\n        \"StartAt\": \"S\",\n        \"States\": "
                         "{\"S\": {\"Type\": \"Pass\", \"End\": true}}\n      }";
    size_t cap = 256 + n * (strlen(branch) + 2);
    char *t = malloc(cap), *p = t;
    p += sprintf(p, "{\n  \"StartAt\": \"P\",\n  \"States\": {\"P\": {\n    \"Type\": "
                    "\"Parallel\", \"End\": true,\n    \"Branches\": [\n");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s%s\n", branch, i + 1 < n ? "," : "");
    strcpy(p, "    ]\n  }}\n}\n");
    return t;
}

START_TEST(test_placement_is_one_scan)
{
    /* Sorting and printing n diagnostics reads the text a bounded number
     * of times, not once per diagnostic (which took 37 s for 8,000). */
    size_t n = 4000;
    char *text = many_branches(n);
    size_t len = strlen(text);
    asl_diags d;

    asl_diag_init(&d);
    for (size_t i = n; i-- > 0;) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/States/P/Branches/%zu/States/S", i);
        asl_diag_add(&d, ASL_DIAG_ERROR, ptr, ASL_AT_KEY, 0, NULL, "Duplicate State name: S");
        snprintf(ptr, sizeof ptr, "/States/P/Branches/%zu/StartAt", i);
        asl_diag_add(&d, ASL_DIAG_WARNING, ptr, ASL_AT_STRING, 0, NULL, "start");
    }
    size_t before = asl_srcmap_scanned();
    asl_diag_sort(&d, text, len);
    char *s = print_to_string(&d, "p.json", text, 0);
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    asl_diag_print_json(f, &d, "p.json", text, len);
    fclose(f);
    size_t scanned = asl_srcmap_scanned() - before;
    ck_assert_msg(scanned <= 10 * len, "placing %zu diagnostics read %zu bytes of a %zu-byte text",
                  2 * n, scanned, len);

    /* And they are in the right places, in document order. */
    ck_assert_str_eq(d.v[0].pointer, "/States/P/Branches/0/StartAt");
    ck_assert_str_eq(d.v[2 * n - 1].pointer, "/States/P/Branches/3999/States/S");
    ck_assert_ptr_nonnull(strstr(s, "p.json:7:21: warning: start [/States/P/Branches/0/StartAt]\n"
                                    "    7 |         \"StartAt\": \"S\",\n"
                                    "      |                     ^\n"));
    char want[128];
    snprintf(want, sizeof want, "p.json:%zu:20: error: Duplicate State name: S "
             "[/States/P/Branches/3999/States/S]", 8 + 4 * (n - 1));
    ck_assert_ptr_nonnull(strstr(s, want));
    snprintf(want, sizeof want, "\"line\":%zu,\"column\":20,\"pointer\":"
             "\"/States/P/Branches/3999/States/S\"", 8 + 4 * (n - 1));
    ck_assert_ptr_nonnull(strstr(buf, want));
    free(buf);
    free(s);
    asl_diag_free(&d);
    free(text);
}
END_TEST

static Suite *diag_suite(void)
{
    Suite *s = suite_create("diag");
    TCase *tc;

    tc = tcase_create("srcmap");
    tcase_add_test(tc, test_find_root);
    tcase_add_test(tc, test_find_member);
    tcase_add_test(tc, test_find_escaped_tokens);
    tcase_add_test(tc, test_find_array);
    tcase_add_test(tc, test_find_duplicate_key);
    tcase_add_test(tc, test_find_missing);
    tcase_add_test(tc, test_find_in_string);
    tcase_add_test(tc, test_find_in_string_escapes);
    tcase_add_test(tc, test_find_malformed);
    tcase_add_test(tc, test_linecol);
    suite_add_tcase(s, tc);

    tc = tcase_create("records");
    tcase_add_test(tc, test_records);
    tcase_add_test(tc, test_pointer_build);
    tcase_add_test(tc, test_sort);
    suite_add_tcase(s, tc);

    tc = tcase_create("print");
    tcase_add_test(tc, test_print_document);
    tcase_add_test(tc, test_print_caret_after_non_ascii);
    tcase_add_test(tc, test_print_crlf_and_long_file);
    tcase_add_test(tc, test_print_without_text);
    tcase_add_test(tc, test_print_max_errors);
    tcase_add_test(tc, test_print_long_line);
    tcase_add_test(tc, test_placement_is_one_scan);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = run_suite(diag_suite(), CK_ENV);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

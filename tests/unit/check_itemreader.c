/*
 * check_itemreader.c - unit tests for runtime/itemreader.c: ItemReader
 * (getObject as JSON, JSONL and CSV; listObjectsV2 with and without
 * LOAD_AND_FLATTEN), ItemBatcher and ResultWriter, against a temporary S3
 * root directory; symbolic links planted in it, which lead nowhere (with
 * openat2 and with the O_NOFOLLOW walk), and result files that are written
 * whole or not at all.
 *
 * Objects and expected items marked "corpus" are the ones AWS recorded in
 * tests/conformance/localstack/cases (test_base_scenarios.py,
 * test_assign_reference_variables.py): the aws_setup put_object bodies and
 * the Map outputs AWS returned.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* mkdtemp, nftw, utimensat */
#endif
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aslrt_private.h"
#include "testutil.h"

#define GET "arn:aws:states:::s3:getObject"
#define LIST "arn:aws:states:::s3:listObjectsV2"

/* ==== A temporary S3 root ============================================== */

static char root[64];

static void mkdirs(const char *path)
{
    char *p = aslrtp_strdup(path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0777);
            *s = '/';
        }
    mkdir(p, 0777);
    free(p);
}

/* Writes an object (len bytes of body; -1: strlen). */
static void put_n(const char *bucket, const char *key, const char *body, long len)
{
    char *path = aslrtp_strdupf("%s/%s/%s", root, bucket, key);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    mkdirs(path);
    *slash = '/';
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    size_t n = len < 0 ? strlen(body) : (size_t)len;
    ck_assert_uint_eq(fwrite(body, 1, n, f), n);
    fclose(f);
    free(path);
}

static void put(const char *bucket, const char *key, const char *body)
{
    put_n(bucket, key, body, -1);
}

static void set_mtime(const char *bucket, const char *key, time_t t)
{
    char *path = aslrtp_strdupf("%s/%s/%s", root, bucket, key);
    struct timespec ts[2] = {{t, 0}, {t, 0}};
    ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
    free(path);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Creates ROOT/rel (a bucket). */
static void mkdir_in(const char *rel)
{
    char *p = aslrtp_strdupf("%s/%s", root, rel);
    mkdirs(p);
    free(p);
}

/* A directory outside the root, where nothing may be read or written
 * through the root. */
static char outside[64];

static void setup(void)
{
    strcpy(root, "/tmp/check_itemreader.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    strcpy(outside, "/tmp/check_itemreader_out.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(outside));
    mkdir_in("bucket");
}

static void teardown(void)
{
    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    nftw(outside, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    aslrtp_s3_portable(false);
}

static json_t *js(const char *text)
{
    json_error_t e;
    json_t *v = aslrtp_json_loads(text, strlen(text), &e);
    ck_assert_msg(v != NULL, "bad test JSON %s: %s", text, e.text);
    return v;
}

static void assert_json(json_t *v, const char *expected)
{
    ck_assert_ptr_nonnull(v);
    char *s = aslrt_json_dumps(v);
    ck_assert_str_eq(s, expected);
    free(s);
}

/* Reads with ItemReader and compares the items' serialization. */
static void read_ok(const char *resource, const char *params, const char *config,
                    long max, const char *expected)
{
    aslrt_error err = {0};
    json_t *p = js(params), *c = config ? js(config) : NULL;
    json_t *items = aslrtp_items_read(root, resource, p, c, max, &err);
    ck_assert_msg(items != NULL, "read failed: %s: %s", err.error, err.cause);
    assert_json(items, expected);
    json_decref(items);
    json_decref(p);
    json_decref(c);
}

static void read_err(const char *resource, const char *params, const char *config,
                     long max, const char *error, const char *cause)
{
    aslrt_error err = {0};
    json_t *p = js(params), *c = config ? js(config) : NULL;
    json_t *items = aslrtp_items_read(root, resource, p, c, max, &err);
    ck_assert_ptr_null(items);
    ck_assert_str_eq(err.error, error);
    if (cause)
        ck_assert_str_eq(err.cause, cause);
    aslrt_error_clear(&err);
    json_decref(p);
    json_decref(c);
}

/* Reads bucket/key as CSV with the given ReaderConfig. */
#define CSV_OK(body, config, max, expected)                                    \
    do {                                                                       \
        put("bucket", "f.csv", body);                                          \
        read_ok(GET, "{\"Bucket\":\"bucket\",\"Key\":\"f.csv\"}", config, max,  \
                expected);                                                     \
    } while (0)

#define FIRST_ROW "{\"InputType\":\"CSV\",\"CSVHeaderLocation\":\"FIRST_ROW\"}"

/* ==== aslrtp_s3_path ==================================================== */

START_TEST(test_s3_path)
{
    char *p = aslrtp_s3_path("/r", "b", "dir/k.json");
    ck_assert_str_eq(p, "/r/b/dir/k.json");
    free(p);
    p = aslrtp_s3_path("/r", "b", "a..b/...");  /* only ".." components escape */
    ck_assert_str_eq(p, "/r/b/a..b/...");
    free(p);
    ck_assert_ptr_null(aslrtp_s3_path("/r", "b", "../x"));
    ck_assert_ptr_null(aslrtp_s3_path("/r", "b", "a/../../x"));
    ck_assert_ptr_null(aslrtp_s3_path("/r", "b", "a/.."));
    ck_assert_ptr_null(aslrtp_s3_path("/r", "..", "x"));
    ck_assert_ptr_null(aslrtp_s3_path("/r", ".", "x"));
    ck_assert_ptr_null(aslrtp_s3_path("/r", "a/b", "x"));
    ck_assert_ptr_null(aslrtp_s3_path("/r", "", "x"));
}
END_TEST

START_TEST(test_escape_refused)
{
    put("bucket", "f.json", "[1]");
    read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"../bucket/f.json\"}",
             "{\"InputType\":\"JSON\"}", 0, "States.ItemReaderFailed", NULL);
    read_err(GET, "{\"Bucket\":\"../tmp\",\"Key\":\"f.json\"}", "{\"InputType\":\"JSON\"}",
             0, "States.ItemReaderFailed", NULL);
    read_err(LIST, "{\"Bucket\":\"bucket\",\"Prefix\":\"../\"}", NULL, 0,
             "States.ItemReaderFailed", NULL);
}
END_TEST

/* ==== JSON ============================================================== */

/* corpus: test_map_item_reader_base_json_max_items(_jsonata) and
 * test_reference_in_map_state_max_items_path. */
static const char *statements =
    "[{\"verdict\": \"true\", \"statement_date\": \"6/11/2008\", \"statement_source\": \"speech\"}, "
    "{\"verdict\": \"false\", \"statement_date\": \"6/7/2022\", \"statement_source\": \"television\"}, "
    "{\"verdict\": \"mostly-true\", \"statement_date\": \"5/18/2016\", \"statement_source\": \"news\"}]";

START_TEST(test_json_all_and_max_items)
{
    put("bucket", "file.json", statements);
    const char *p = "{\"Bucket\":\"bucket\",\"Key\":\"file.json\"}";
    read_ok(GET, p, "{\"InputType\":\"JSON\"}", 0,
            "[{\"verdict\":\"true\",\"statement_date\":\"6/11/2008\",\"statement_source\":\"speech\"},"
            "{\"verdict\":\"false\",\"statement_date\":\"6/7/2022\",\"statement_source\":\"television\"},"
            "{\"verdict\":\"mostly-true\",\"statement_date\":\"5/18/2016\",\"statement_source\":\"news\"}]");
    read_ok(GET, p, "{\"InputType\":\"JSON\"}", 2,
            "[{\"verdict\":\"true\",\"statement_date\":\"6/11/2008\",\"statement_source\":\"speech\"},"
            "{\"verdict\":\"false\",\"statement_date\":\"6/7/2022\",\"statement_source\":\"television\"}]");
    read_ok(GET, p, "{\"InputType\":\"JSON\"}", 100000000,
            "[{\"verdict\":\"true\",\"statement_date\":\"6/11/2008\",\"statement_source\":\"speech\"},"
            "{\"verdict\":\"false\",\"statement_date\":\"6/7/2022\",\"statement_source\":\"television\"},"
            "{\"verdict\":\"mostly-true\",\"statement_date\":\"5/18/2016\",\"statement_source\":\"news\"}]");
}
END_TEST

START_TEST(test_json_nested_and_scalars)
{
    /* corpus: test_map_item_reader_base_json_with_items_path */
    put("bucket", "file.json", "[[\"from-bucket-item-0\"]]");
    read_ok(GET, "{\"Bucket\":\"bucket\",\"Key\":\"file.json\"}", "{\"InputType\":\"JSON\"}", 0,
            "[[\"from-bucket-item-0\"]]");
    put("bucket", "s.json", " [1, 2.5, null, true, \"x\", 12345678901234567890] \n");
    read_ok(GET, "{\"Bucket\":\"bucket\",\"Key\":\"s.json\"}", "{\"InputType\":\"JSON\"}", 0,
            "[1,2.5,null,true,\"x\",1.2345678901234567E19]");
    put("bucket", "e.json", "[]");
    read_ok(GET, "{\"Bucket\":\"bucket\",\"Key\":\"e.json\"}", "{\"InputType\":\"JSON\"}", 0,
            "[]");
}
END_TEST

START_TEST(test_json_not_iterable)
{
    /* corpus: test_map_item_reader_json_no_json_list_object */
    put("bucket", "file.json", "{\"Hello\": \"world\"}");
    read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"file.json\"}", "{\"InputType\":\"JSON\"}", 0,
             "States.ItemReaderFailed", "Attempting to map over non-iterable node.");
    put("bucket", "n.json", "42");
    read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"n.json\"}", "{\"InputType\":\"JSON\"}", 0,
             "States.ItemReaderFailed", "Attempting to map over non-iterable node.");
}
END_TEST

START_TEST(test_json_invalid_and_empty)
{
    put("bucket", "bad.json", "[1, 2");
    read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"bad.json\"}", "{\"InputType\":\"JSON\"}", 0,
             "States.ItemReaderFailed", NULL);
    put("bucket", "empty.json", "");
    read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"empty.json\"}", "{\"InputType\":\"JSON\"}", 0,
             "States.ItemReaderFailed", NULL);
}
END_TEST

START_TEST(test_json_items_pointer)
{
    put("bucket", "inv.json",
        "{\"inventory\":{\"products\":{\"featured\":[{\"id\":1},{\"id\":2},{\"id\":3}],"
        "\"a/b\":[\"slash\"],\"m~n\":[\"tilde\"],\"obj\":{\"k\":1}}},\"list\":[[0],[1,2]]}");
    const char *p = "{\"Bucket\":\"bucket\",\"Key\":\"inv.json\"}";
    read_ok(GET, p,
            "{\"InputType\":\"JSON\",\"ItemsPointer\":\"/inventory/products/featured\"}", 0,
            "[{\"id\":1},{\"id\":2},{\"id\":3}]");
    read_ok(GET, p,
            "{\"InputType\":\"JSON\",\"ItemsPointer\":\"/inventory/products/featured\"}", 2,
            "[{\"id\":1},{\"id\":2}]");
    read_ok(GET, p, "{\"InputType\":\"JSON\",\"ItemsPointer\":\"/inventory/products/a~1b\"}",
            0, "[\"slash\"]");
    read_ok(GET, p, "{\"InputType\":\"JSON\",\"ItemsPointer\":\"/inventory/products/m~0n\"}",
            0, "[\"tilde\"]");
    read_ok(GET, p, "{\"InputType\":\"JSON\",\"ItemsPointer\":\"/list/1\"}", 0, "[1,2]");
    read_err(GET, p, "{\"InputType\":\"JSON\",\"ItemsPointer\":\"/inventory/nothing\"}", 0,
             "States.ItemReaderFailed",
             "The ItemsPointer '/inventory/nothing' does not match a node in the object "
             "s3://bucket/inv.json.");
    read_err(GET, p, "{\"InputType\":\"JSON\",\"ItemsPointer\":\"/list/01\"}", 0,
             "States.ItemReaderFailed", NULL);
    read_err(GET, p, "{\"InputType\":\"JSON\",\"ItemsPointer\":\"/inventory/products/obj\"}",
             0, "States.ItemReaderFailed", "Attempting to map over non-iterable node.");
}
END_TEST

/* ==== JSONL ============================================================= */

START_TEST(test_jsonl)
{
    put("bucket", "f.jsonl",
        "{\"a\":1}\n\n[1,2]\r\n  \"str\"  \n42\n   \nnull\n{\"last\":true}");
    const char *p = "{\"Bucket\":\"bucket\",\"Key\":\"f.jsonl\"}";
    read_ok(GET, p, "{\"InputType\":\"JSONL\"}", 0,
            "[{\"a\":1},[1,2],\"str\",42,null,{\"last\":true}]");
    read_ok(GET, p, "{\"InputType\":\"JSONL\"}", 3, "[{\"a\":1},[1,2],\"str\"]");
    put("bucket", "bad.jsonl", "{\"a\":1}\n{oops}\n");
    read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"bad.jsonl\"}", "{\"InputType\":\"JSONL\"}",
             0, "States.ItemReaderFailed", NULL);
    /* MaxItems stops before a bad line is read. */
    read_ok(GET, "{\"Bucket\":\"bucket\",\"Key\":\"bad.jsonl\"}", "{\"InputType\":\"JSONL\"}",
            1, "[{\"a\":1}]");
    put("bucket", "empty.jsonl", "");
    read_ok(GET, "{\"Bucket\":\"bucket\",\"Key\":\"empty.jsonl\"}", "{\"InputType\":\"JSONL\"}",
            0, "[]");
}
END_TEST

/* ==== CSV =============================================================== */

START_TEST(test_csv_first_row_corpus)
{
    /* corpus: test_map_item_reader_base_csv_headers_first_line */
    CSV_OK("Col1,Col2,Col3\nValue1,Value2,Value3\nValue4,Value5,Value6\n,,,\ntrue,1,'HelloWorld'\nNull,None,\n   \n",
           FIRST_ROW, 0,
           "[{\"Col1\":\"Value1\",\"Col2\":\"Value2\",\"Col3\":\"Value3\"},"
           "{\"Col1\":\"Value4\",\"Col2\":\"Value5\",\"Col3\":\"Value6\"},"
           "{\"Col1\":\"\",\"Col2\":\"\",\"Col3\":\"\"},"
           "{\"Col1\":\"true\",\"Col2\":\"1\",\"Col3\":\"'HelloWorld'\"},"
           "{\"Col1\":\"Null\",\"Col2\":\"None\",\"Col3\":\"\"},"
           "{\"Col1\":\"   \",\"Col2\":\"\",\"Col3\":\"\"}]");
}
END_TEST

START_TEST(test_csv_typed_headers_corpus)
{
    /* corpus: test_map_item_reader_csv_headers_first_row_typed_headers;
     * every value, headers too, stays a string; keys in header order. */
    CSV_OK("0,True,{}\nValue4,Value5,Value6\n,,,\ntrue,1,'HelloWorld'\nNull,None,\n   \n",
           FIRST_ROW, 0,
           "[{\"0\":\"Value4\",\"True\":\"Value5\",\"{}\":\"Value6\"},"
           "{\"0\":\"\",\"True\":\"\",\"{}\":\"\"},"
           "{\"0\":\"true\",\"True\":\"1\",\"{}\":\"'HelloWorld'\"},"
           "{\"0\":\"Null\",\"True\":\"None\",\"{}\":\"\"},"
           "{\"0\":\"   \",\"True\":\"\",\"{}\":\"\"}]");
}
END_TEST

START_TEST(test_csv_given_headers_corpus)
{
    /* corpus: test_map_item_reader_csv_headers_decl_extra_fields */
    CSV_OK("Value1,Value2,Value3\nValue4,Value5,Value6\n,,,\ntrue,1,'HelloWorld'\nNull,None,\n   \n",
           "{\"InputType\":\"CSV\",\"CSVHeaderLocation\":\"GIVEN\",\"CSVHeaders\":[\"H1\"]}", 0,
           "[{\"H1\":\"Value1\"},{\"H1\":\"Value4\"},{\"H1\":\"\"},{\"H1\":\"true\"},"
           "{\"H1\":\"Null\"},{\"H1\":\"   \"}]");
    /* GIVEN with more headers than fields: padded. */
    CSV_OK("a\nb,c\n",
           "{\"InputType\":\"CSV\",\"CSVHeaderLocation\":\"GIVEN\",\"CSVHeaders\":[\"X\",\"Y\"]}",
           0, "[{\"X\":\"a\",\"Y\":\"\"},{\"X\":\"b\",\"Y\":\"c\"}]");
}
END_TEST

START_TEST(test_csv_duplicate_headers)
{
    /* corpus: test_map_item_reader_csv_headers_decl_duplicate_headers */
    put("bucket", "f.csv", "Value1,Value2,Value3\nValue4,Value5,Value6\n");
    read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"f.csv\"}",
             "{\"InputType\":\"CSV\",\"CSVHeaderLocation\":\"GIVEN\",\"CSVHeaders\":[\"H1\",\"H1\",\"H3\"]}",
             0, "States.ItemReaderFailed", "CSV headers cannot contain duplicates.");
    put("bucket", "g.csv", "A,B,A\n1,2,3\n");
    read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"g.csv\"}", FIRST_ROW, 0,
             "States.ItemReaderFailed", "CSV headers cannot contain duplicates.");
}
END_TEST

START_TEST(test_csv_max_items_corpus)
{
    /* corpus: test_map_item_reader_csv_max_items[...] and _paths[2] */
    const char *body = "Col1,Col2\nValue1,Value2\nValue3,Value4\nValue5,Value6\nValue7,Value8\n";
    CSV_OK(body, FIRST_ROW, 2,
           "[{\"Col1\":\"Value1\",\"Col2\":\"Value2\"},{\"Col1\":\"Value3\",\"Col2\":\"Value4\"}]");
    CSV_OK(body, FIRST_ROW, 0,
           "[{\"Col1\":\"Value1\",\"Col2\":\"Value2\"},{\"Col1\":\"Value3\",\"Col2\":\"Value4\"},"
           "{\"Col1\":\"Value5\",\"Col2\":\"Value6\"},{\"Col1\":\"Value7\",\"Col2\":\"Value8\"}]");
    CSV_OK(body, FIRST_ROW, 100000001,
           "[{\"Col1\":\"Value1\",\"Col2\":\"Value2\"},{\"Col1\":\"Value3\",\"Col2\":\"Value4\"},"
           "{\"Col1\":\"Value5\",\"Col2\":\"Value6\"},{\"Col1\":\"Value7\",\"Col2\":\"Value8\"}]");
}
END_TEST

START_TEST(test_csv_quotes)
{
    /* Quoted fields hold delimiters, newlines (also \r\n) and "" escapes. */
    CSV_OK("name,text\n"
           "\"Smith, J\",\"he said \"\"hi\"\"\"\n"
           "\"multi\nline\",\"cr\r\nlf\"\n"
           "\"\",\"\"\"\"\n"
           "mid\"quote,x\"y\n",
           FIRST_ROW, 0,
           "[{\"name\":\"Smith, J\",\"text\":\"he said \\\"hi\\\"\"},"
           "{\"name\":\"multi\\nline\",\"text\":\"cr\\r\\nlf\"},"
           "{\"name\":\"\",\"text\":\"\\\"\"},"
           "{\"name\":\"mid\\\"quote\",\"text\":\"x\\\"y\"}]");
    /* Quoted headers; CRLF records; no final newline. */
    CSV_OK("\"a,1\",b\r\n1,2\r\n3,4", FIRST_ROW, 0,
           "[{\"a,1\":\"1\",\"b\":\"2\"},{\"a,1\":\"3\",\"b\":\"4\"}]");
}
END_TEST

START_TEST(test_csv_backslash)
{
    /* AWS docs: a backslash escapes a backslash, a quote or the delimiter;
     * before anything else it is dropped. */
    CSV_OK("path,size\nC:\\\\Program Files\\\\MyApp.exe,6534512\na\\,b,\\\"q\\x\n", FIRST_ROW, 0,
           "[{\"path\":\"C:\\\\Program Files\\\\MyApp.exe\",\"size\":\"6534512\"},"
           "{\"path\":\"a,b\",\"size\":\"\\\"qx\"}]");
}
END_TEST

START_TEST(test_csv_padding_and_extra)
{
    CSV_OK("a,b,c\n1\n1,2\n1,2,3,4,5\n", FIRST_ROW, 0,
           "[{\"a\":\"1\",\"b\":\"\",\"c\":\"\"},{\"a\":\"1\",\"b\":\"2\",\"c\":\"\"},"
           "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}]");
    /* Empty lines are no records. */
    CSV_OK("a,b\n\n1,2\n\n\n3,4\n\n", FIRST_ROW, 0,
           "[{\"a\":\"1\",\"b\":\"2\"},{\"a\":\"3\",\"b\":\"4\"}]");
}
END_TEST

START_TEST(test_csv_delimiters)
{
    CSV_OK("a|b\n1|2,3\n", "{\"InputType\":\"CSV\",\"CSVDelimiter\":\"PIPE\"}", 0,
           "[{\"a\":\"1\",\"b\":\"2,3\"}]");
    CSV_OK("a;b\n1;\"2;3\"\n", "{\"InputType\":\"CSV\",\"CSVDelimiter\":\"SEMICOLON\"}", 0,
           "[{\"a\":\"1\",\"b\":\"2;3\"}]");
    CSV_OK("a b\n1 \"2 3\"\n", "{\"InputType\":\"CSV\",\"CSVDelimiter\":\"SPACE\"}", 0,
           "[{\"a\":\"1\",\"b\":\"2 3\"}]");
    CSV_OK("a\tb\n1\t2 3\n", "{\"InputType\":\"CSV\",\"CSVDelimiter\":\"TAB\"}", 0,
           "[{\"a\":\"1\",\"b\":\"2 3\"}]");
    CSV_OK("a,b\n1,2\n", "{\"InputType\":\"CSV\",\"CSVDelimiter\":\"COMMA\"}", 0,
           "[{\"a\":\"1\",\"b\":\"2\"}]");
    put("bucket", "f.csv", "a,b\n");
    read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"f.csv\"}",
             "{\"InputType\":\"CSV\",\"CSVDelimiter\":\"COLON\"}", 0,
             "States.ItemReaderFailed", NULL);
}
END_TEST

START_TEST(test_csv_empty_and_header_only)
{
    CSV_OK("", FIRST_ROW, 0, "[]");
    CSV_OK("a,b\n", FIRST_ROW, 0, "[]");
    CSV_OK("", "{\"InputType\":\"CSV\",\"CSVHeaderLocation\":\"GIVEN\",\"CSVHeaders\":[\"x\"]}",
           0, "[]");
}
END_TEST

START_TEST(test_invalid_utf8)
{
    /* Each ill-formed sequence becomes U+FFFD, as Java's decoder does. */
    put_n("bucket", "f.csv", "h\n\xff" "a\xc3\n\xe2\x82\n\xc3\xa9\n", -1);
    read_ok(GET, "{\"Bucket\":\"bucket\",\"Key\":\"f.csv\"}", FIRST_ROW, 0,
            "[{\"h\":\"\xef\xbf\xbd" "a\xef\xbf\xbd\"},{\"h\":\"\xef\xbf\xbd\"},{\"h\":\"\xc3\xa9\"}]");
    put_n("bucket", "f.jsonl", "\"a\xff\"\n", -1);
    read_ok(GET, "{\"Bucket\":\"bucket\",\"Key\":\"f.jsonl\"}", "{\"InputType\":\"JSONL\"}", 0,
            "[\"a\xef\xbf\xbd\"]");
    put_n("bucket", "f.json", "[\"\xed\xa0\x80\"]", -1);  /* a UTF-8 surrogate */
    read_ok(GET, "{\"Bucket\":\"bucket\",\"Key\":\"f.json\"}", "{\"InputType\":\"JSON\"}", 0,
            "[\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"]");
}
END_TEST

START_TEST(test_large_streamed)
{
    /* 300k rows (several MB); MaxItems stops after three. */
    char *path = aslrtp_strdupf("%s/bucket/big.csv", root);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs("id,pad\n", f);
    for (int i = 0; i < 300000; i++)
        fprintf(f, "%d,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", i);
    fclose(f);
    free(path);
    read_ok(GET, "{\"Bucket\":\"bucket\",\"Key\":\"big.csv\"}", FIRST_ROW, 3,
            "[{\"id\":\"0\",\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"},"
            "{\"id\":\"1\",\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"},"
            "{\"id\":\"2\",\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}]");
    aslrt_error err = {0};
    json_t *p = js("{\"Bucket\":\"bucket\",\"Key\":\"big.csv\"}"), *c = js(FIRST_ROW);
    json_t *all = aslrtp_items_read(root, GET, p, c, 0, &err);
    ck_assert_ptr_nonnull(all);
    ck_assert_uint_eq(json_array_size(all), 300000);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(all, 299999), "id")),
                     "299999");
    json_decref(all);
    json_decref(p);
    json_decref(c);
}
END_TEST

/* The items of a JSON text as the whole-document reader reads them: the
 * text cleaned of invalid UTF-8, then parsed at once. */
static char *whole_items(const char *text, size_t n)
{
    aslrtp_buf clean = {0};
    aslrtp_utf8_add_clean(&clean, text, n, 0);
    json_error_t e;
    json_t *v = aslrtp_json_loads(clean.data, clean.len, &e);
    ck_assert_msg(v != NULL, "bad test text: %s", e.text);
    char *s = aslrt_json_dumps(v);
    json_decref(v);
    free(clean.data);
    return s;
}

/* Element values whose text a 64 KiB read may cut anywhere: numbers of
 * every length (the digits after a cut must not be lost), big integers,
 * multi-byte and invalid UTF-8, escapes, nesting, literals. */
static const char *const stream_values[] = {
    "1", "-0", "123456789", "-3.25e10", "12345678901234567890123", "0.000001",
    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", "\"bad \xff byte\"",
    "\"cut \xe2\x82 seq\"", "\"esc \\\" \\\\ \\u00e9 \\ud83d\\ude00\"",
    "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}", "[]", "{}", "true", "false", "null",
    "[[[[1]]],\"x\"]",
};

START_TEST(test_json_streamed_boundaries)
{
    /* About 200 KB of elements, shifted by 0 to 7 bytes of leading white
     * space so that the reads' ends fall at every kind of place: the items
     * are those of the document read whole. */
    const char *p = "{\"Bucket\":\"bucket\",\"Key\":\"s.json\"}";
    size_t nv = sizeof stream_values / sizeof stream_values[0];
    for (int shift = 0; shift < 8; shift++) {
        aslrtp_buf b = {0};
        for (int i = 0; i < shift; i++)
            aslrtp_buf_add(&b, " ", 1);
        aslrtp_buf_add(&b, "[", 1);
        for (size_t i = 0; i < 12000; i++) {
            if (i)
                aslrtp_buf_add(&b, i % 3 ? "," : " ,\n\t", i % 3 ? 1 : 4);
            aslrtp_buf_adds(&b, stream_values[(i * 7 + (size_t)shift) % nv]);
        }
        aslrtp_buf_add(&b, "]\n", 2);
        put_n("bucket", "s.json", b.data, (long)b.len);
        char *want = whole_items(b.data, b.len);
        read_ok(GET, p, "{\"InputType\":\"JSON\"}", 0, want);
        free(want);
        free(b.data);
    }
}
END_TEST

/* The cause the whole-document reader gives for text. */
static char *whole_cause(const char *text, const char *where)
{
    json_error_t e;
    json_t *v = aslrtp_json_loads(text, strlen(text), &e);
    ck_assert_ptr_null(v);
    return aslrtp_strdupf("The object %s is not valid JSON: %s (line %d, column %d)", where,
                          e.text, e.line, e.column);
}

START_TEST(test_json_streamed_errors)
{
    /* Broken after many good elements (beyond the first read), after the
     * array, inside it: the cause is the whole document's, position and
     * all; an object that is not an array is still not iterable. */
    const char *tails[] = {",{\"id\": x}]", "] x", ",]", ",1", "]]", ",tru]", ",\"open"};
    const char *p = "{\"Bucket\":\"bucket\",\"Key\":\"e.json\"}";
    for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
        aslrtp_buf b = {0};
        aslrtp_buf_add(&b, "[", 1);
        for (int i = 0; i < 20000; i++)
            aslrtp_buf_addf(&b, "%s{\"id\":%d}", i ? ",\n" : "", i);
        aslrtp_buf_adds(&b, tails[t]);
        char *text = aslrtp_buf_finish(&b);
        put("bucket", "e.json", text);
        char *cause = whole_cause(text, "s3://bucket/e.json");
        read_err(GET, p, "{\"InputType\":\"JSON\"}", 0, "States.ItemReaderFailed", cause);
        /* MaxItems stops before the error: it is not read. */
        aslrt_error err = {0};
        json_t *pj = js(p), *c = js("{\"InputType\":\"JSON\"}");
        json_t *items = aslrtp_items_read(root, GET, pj, c, 10, &err);
        ck_assert_uint_eq(json_array_size(items), 10);
        json_decref(items);
        json_decref(pj);
        json_decref(c);
        free(cause);
        free(text);
    }
    put("bucket", "e.json", "  {\"a\": [1]}");
    read_err(GET, p, "{\"InputType\":\"JSON\"}", 0, "States.ItemReaderFailed",
             "Attempting to map over non-iterable node.");
}
END_TEST

START_TEST(test_items_one_at_a_time)
{
    /* The reader gives the items one by one, then 0 for good; MaxItems
     * counts across the objects of a LOAD_AND_FLATTEN listing. */
    put("bucket", "l/a.jsonl", "{\"n\":1}\n\n{\"n\":2}\n");
    put("bucket", "l/b.jsonl", "{\"n\":3}\n{\"n\":4}\n");
    aslrtp_s3_place at = {.root = root};
    aslrt_error err = {0};
    json_t *p = js("{\"Bucket\":\"bucket\",\"Prefix\":\"l/\"}");
    json_t *c = js("{\"InputType\":\"JSONL\",\"Transformation\":\"LOAD_AND_FLATTEN\"}");
    aslrtp_items *it = aslrtp_items_open(&at, LIST, p, c, 3, &err);
    ck_assert_ptr_nonnull(it);
    json_t *v;
    for (int k = 1; k <= 3; k++) {
        ck_assert_int_eq(aslrtp_items_next(it, &v, &err), 1);
        ck_assert_int_eq(json_integer_value(json_object_get(v, "n")), k);
        json_decref(v);
    }
    ck_assert_int_eq(aslrtp_items_next(it, &v, &err), 0);
    ck_assert_int_eq(aslrtp_items_next(it, &v, &err), 0);
    aslrtp_items_close(it);
    json_decref(p);
    json_decref(c);
}
END_TEST

START_TEST(test_missing_object_and_config)
{
    read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"nope.json\"}", "{\"InputType\":\"JSON\"}", 0,
             "States.ItemReaderFailed",
             "The specified key does not exist. (Service: S3, Status Code: 404)");
    read_err(GET, "{\"Bucket\":\"nobucket\",\"Key\":\"x\"}", "{\"InputType\":\"JSON\"}", 0,
             "States.ItemReaderFailed",
             "The specified bucket does not exist (Service: S3, Status Code: 404)");
    put("bucket", "m", "x");
    read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"m\"}", "{\"InputType\":\"MANIFEST\"}", 0,
             "States.ItemReaderFailed", "ItemReader InputType MANIFEST is not supported by aslc.");
    read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"m\"}", "{\"InputType\":\"PARQUET\"}", 0,
             "States.ItemReaderFailed", "ItemReader InputType PARQUET is not supported by aslc.");
    read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"m\"}", NULL, 0, "States.ItemReaderFailed",
             NULL);
    read_err(GET, "{\"Bucket\":\"bucket\"}", "{\"InputType\":\"JSON\"}", 0,
             "States.ItemReaderFailed", NULL);
    read_err("arn:aws:states:::s3:headObject", "{\"Bucket\":\"bucket\",\"Key\":\"m\"}", NULL, 0,
             "States.ItemReaderFailed", NULL);
}
END_TEST

/* ==== listObjectsV2 ===================================================== */

/* corpus: test_map_item_reader_base_list_objects_v2 puts these three (its
 * result was not recorded); the item shape is the AWS docs' example. */
static void put_listing(void)
{
    for (int i = 0; i < 3; i++) {
        char key[32], body[32];
        snprintf(key, sizeof key, "file_%d.txt", i);
        snprintf(body, sizeof body, "%dHelloWorld!", i);
        put("bucket", key, body);
        set_mtime("bucket", key, 1668699881 + i);
    }
    put("bucket", "dir/sub/a.json", "[1,2]");
    put("bucket", "dir/b.json", "[3]");
    put("bucket", "dir2/c.json", "[]");
    put("bucket", "empty", "");
    set_mtime("bucket", "dir/sub/a.json", 1700000000);
    set_mtime("bucket", "dir/b.json", 1700000001);
    set_mtime("bucket", "dir2/c.json", 1700000002);
    set_mtime("bucket", "empty", 1700000003);
}

START_TEST(test_list_objects)
{
    put_listing();
    read_ok(LIST, "{\"Bucket\":\"bucket\",\"Prefix\":\"file_\"}", NULL, 0,
            "[{\"Etag\":\"\\\"26c6f5d46cc21753686a70d9344a5b4a\\\"\",\"Key\":\"file_0.txt\","
            "\"LastModified\":1668699881,\"Size\":12,\"StorageClass\":\"STANDARD\"},"
            "{\"Etag\":\"\\\"d424f035c9b92b4c1ef56f3d7871c713\\\"\",\"Key\":\"file_1.txt\","
            "\"LastModified\":1668699882,\"Size\":12,\"StorageClass\":\"STANDARD\"},"
            "{\"Etag\":\"\\\"5f65b1d6d6607017705c4b0bed8b26fe\\\"\",\"Key\":\"file_2.txt\","
            "\"LastModified\":1668699883,\"Size\":12,\"StorageClass\":\"STANDARD\"}]");
    /* A prefix is a string prefix, not a directory: "dir" matches dir2/. */
    read_ok(LIST, "{\"Bucket\":\"bucket\",\"Prefix\":\"dir\"}", NULL, 0,
            "[{\"Etag\":\"\\\"f2577a6fc29b900fe7d4c6321346be48\\\"\",\"Key\":\"dir/b.json\","
            "\"LastModified\":1700000001,\"Size\":3,\"StorageClass\":\"STANDARD\"},"
            "{\"Etag\":\"\\\"f79408e5ca998cd53faf44af31e6eb45\\\"\",\"Key\":\"dir/sub/a.json\","
            "\"LastModified\":1700000000,\"Size\":5,\"StorageClass\":\"STANDARD\"},"
            "{\"Etag\":\"\\\"d751713988987e9331980363e24189ce\\\"\",\"Key\":\"dir2/c.json\","
            "\"LastModified\":1700000002,\"Size\":2,\"StorageClass\":\"STANDARD\"}]");
    read_ok(LIST, "{\"Bucket\":\"bucket\",\"Prefix\":\"em\"}", NULL, 0,
            "[{\"Etag\":\"\\\"d41d8cd98f00b204e9800998ecf8427e\\\"\",\"Key\":\"empty\","
            "\"LastModified\":1700000003,\"Size\":0,\"StorageClass\":\"STANDARD\"}]");
    read_ok(LIST, "{\"Bucket\":\"bucket\",\"Prefix\":\"nothing/\"}", NULL, 0, "[]");
}
END_TEST

START_TEST(test_list_objects_order_and_max)
{
    put_listing();
    aslrt_error err = {0};
    json_t *p = js("{\"Bucket\":\"bucket\"}");
    json_t *items = aslrtp_items_read(root, LIST, p, NULL, 0, &err);
    ck_assert_ptr_nonnull(items);
    const char *keys[] = {"dir/b.json", "dir/sub/a.json", "dir2/c.json", "empty",
                          "file_0.txt", "file_1.txt", "file_2.txt"};
    ck_assert_uint_eq(json_array_size(items), 7);
    for (size_t i = 0; i < 7; i++)
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, i), "Key")),
                         keys[i]);
    json_decref(items);
    items = aslrtp_items_read(root, LIST, p, NULL, 2, &err);
    ck_assert_uint_eq(json_array_size(items), 2);
    json_decref(items);
    json_decref(p);
    read_err(LIST, "{\"Bucket\":\"nobucket\"}", NULL, 0, "States.ItemReaderFailed",
             "The specified bucket does not exist (Service: S3, Status Code: 404)");
}
END_TEST

START_TEST(test_list_load_and_flatten)
{
    put_listing();
    read_ok(LIST, "{\"Bucket\":\"bucket\",\"Prefix\":\"dir\"}",
            "{\"InputType\":\"JSON\",\"Transformation\":\"LOAD_AND_FLATTEN\"}", 0, "[3,1,2]");
    read_ok(LIST, "{\"Bucket\":\"bucket\",\"Prefix\":\"dir\"}",
            "{\"InputType\":\"JSON\",\"Transformation\":\"LOAD_AND_FLATTEN\"}", 2, "[3,1]");
    put("bucket", "csv/1.csv", "a,b\n1,2\n");
    put("bucket", "csv/2.csv", "b,a\n3,4\n5,6\n");
    read_ok(LIST, "{\"Bucket\":\"bucket\",\"Prefix\":\"csv/\"}",
            "{\"InputType\":\"CSV\",\"CSVHeaderLocation\":\"FIRST_ROW\","
            "\"Transformation\":\"LOAD_AND_FLATTEN\"}", 0,
            "[{\"a\":\"1\",\"b\":\"2\"},{\"b\":\"3\",\"a\":\"4\"},{\"b\":\"5\",\"a\":\"6\"}]");
    put("bucket", "jl/x.jsonl", "1\n2\n");
    put("bucket", "jl/y.jsonl", "3\n");
    read_ok(LIST, "{\"Bucket\":\"bucket\",\"Prefix\":\"jl/\"}",
            "{\"InputType\":\"JSONL\",\"Transformation\":\"LOAD_AND_FLATTEN\"}", 0, "[1,2,3]");
    /* Without LOAD_AND_FLATTEN the listing is the items. */
    aslrt_error err = {0};
    json_t *p = js("{\"Bucket\":\"bucket\",\"Prefix\":\"jl/\"}");
    json_t *items = aslrtp_items_read(root, LIST, p, NULL, 0, &err);
    ck_assert_uint_eq(json_array_size(items), 2);
    json_decref(items);
    json_decref(p);
    read_err(LIST, "{\"Bucket\":\"bucket\",\"Prefix\":\"jl/\"}",
             "{\"Transformation\":\"LOAD_AND_FLATTEN\"}", 0, "States.ItemReaderFailed", NULL);
}
END_TEST

/* ==== ItemBatcher ======================================================= */

static void batch_ok(const char *items, long per, long bytes, const char *input,
                     const char *expected)
{
    aslrt_error err = {0};
    json_t *it = js(items), *bi = input ? js(input) : NULL;
    json_t *b = aslrtp_items_batch(it, per, bytes, bi, &err);
    ck_assert_msg(b != NULL, "batch failed: %s", err.cause);
    assert_json(b, expected);
    /* Every batch fits the byte limit as the child sees it. */
    size_t i;
    json_t *x;
    json_array_foreach(b, i, x)
        if (bytes > 0)
            ck_assert(!aslrtp_json_exceeds(x, (size_t)bytes));
    json_decref(b);
    json_decref(it);
    json_decref(bi);
}

START_TEST(test_batch_by_count_corpus)
{
    /* corpus: test_reference_in_map_state_max_items_path[..MAX_PER_BATCH_PATH]:
     * four items, two per batch. */
    batch_ok("[{\"verdict\":\"true\"},{\"verdict\":\"false\"},{\"verdict\":\"mostly-true\"},"
             "{\"verdict\":\"false\"}]", 2, 0, NULL,
             "[{\"Items\":[{\"verdict\":\"true\"},{\"verdict\":\"false\"}]},"
             "{\"Items\":[{\"verdict\":\"mostly-true\"},{\"verdict\":\"false\"}]}]");
    /* corpus: test_map_item_batching_base_json_max_per_batch_jsonata (two
     * items, 2 per batch, 150000 bytes, a BatchInput). */
    batch_ok("[1,2]", 2, 150000, "{\"BatchTimestamp\":\"date\"}",
             "[{\"BatchInput\":{\"BatchTimestamp\":\"date\"},\"Items\":[1,2]}]");
    batch_ok("[1,2,3,4,5]", 2, 0, NULL,
             "[{\"Items\":[1,2]},{\"Items\":[3,4]},{\"Items\":[5]}]");
    batch_ok("[1,2,3]", 0, 0, NULL, "[{\"Items\":[1,2,3]}]");
    batch_ok("[]", 2, 0, NULL, "[]");
}
END_TEST

START_TEST(test_batch_by_bytes)
{
    /* {"Items":[]} is 12 bytes; each "xxxx" adds 6, and a comma 1. */
    batch_ok("[\"aaaa\",\"bbbb\",\"cccc\"]", 0, 25, NULL,
             "[{\"Items\":[\"aaaa\",\"bbbb\"]},{\"Items\":[\"cccc\"]}]");
    batch_ok("[\"aaaa\",\"bbbb\",\"cccc\"]", 0, 24, NULL,
             "[{\"Items\":[\"aaaa\"]},{\"Items\":[\"bbbb\"]},{\"Items\":[\"cccc\"]}]");
    batch_ok("[\"aaaa\",\"bbbb\",\"cccc\"]", 0, 32, NULL,
             "[{\"Items\":[\"aaaa\",\"bbbb\",\"cccc\"]}]");
    /* Bytes win over count. */
    batch_ok("[\"aaaa\",\"bbbb\",\"cccc\"]", 3, 25, NULL,
             "[{\"Items\":[\"aaaa\",\"bbbb\"]},{\"Items\":[\"cccc\"]}]");
    batch_ok("[\"aaaa\",\"bbbb\",\"cccc\"]", 1, 100, NULL,
             "[{\"Items\":[\"aaaa\"]},{\"Items\":[\"bbbb\"]},{\"Items\":[\"cccc\"]}]");
    /* The BatchInput counts: {"BatchInput":{"k":1},"Items":[]} is 33 bytes. */
    batch_ok("[\"aaaa\",\"bbbb\",\"cccc\"]", 0, 46, "{\"k\":1}",
             "[{\"BatchInput\":{\"k\":1},\"Items\":[\"aaaa\",\"bbbb\"]},"
             "{\"BatchInput\":{\"k\":1},\"Items\":[\"cccc\"]}]");
    batch_ok("[\"aaaa\",\"bbbb\",\"cccc\"]", 0, 45, "{\"k\":1}",
             "[{\"BatchInput\":{\"k\":1},\"Items\":[\"aaaa\"]},"
             "{\"BatchInput\":{\"k\":1},\"Items\":[\"bbbb\"]},"
             "{\"BatchInput\":{\"k\":1},\"Items\":[\"cccc\"]}]");
}
END_TEST

START_TEST(test_batch_item_too_large)
{
    aslrt_error err = {0};
    json_t *it = js("[\"a\",\"this one is far too long\"]");
    ck_assert_ptr_null(aslrtp_items_batch(it, 0, 20, NULL, &err));
    ck_assert_str_eq(err.error, "States.ItemReaderFailed");
    aslrt_error_clear(&err);
    json_decref(it);
}
END_TEST

/* ==== ResultWriter ====================================================== */

#define RUN_ARN "arn:aws:states:us-east-1:111111111111:mapRun:sm/TestMap:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
#define RUN_ID "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

static json_t *load_file(const char *rel)
{
    char *path = aslrtp_strdupf("%s/%s", root, rel);
    json_error_t e;
    json_t *v = json_load_file(path, JSON_DECODE_ANY, &e);
    ck_assert_msg(v != NULL, "%s: %s", path, e.text);
    free(path);
    return v;
}

static char *slurp(const char *rel)
{
    char *path = aslrtp_strdupf("%s/%s", root, rel);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "missing %s", path);
    aslrtp_buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        aslrtp_buf_add(&b, chunk, n);
    fclose(f);
    free(path);
    return aslrtp_buf_finish(&b);
}

static bool exists(const char *rel)
{
    char *path = aslrtp_strdupf("%s/%s", root, rel);
    bool r = access(path, F_OK) == 0;
    free(path);
    return r;
}

START_TEST(test_writer_export)
{
    /* corpus: test_map_state_result_writer (input ["Hello","World"],
     * Bucket result-bucket, Prefix mapJobs): the output shape. */
    mkdir_in("result-bucket");
    aslrt_error err = {0};
    json_t *params = js("{\"Bucket\":\"result-bucket\",\"Prefix\":\"mapJobs\"}");
    json_t *results = js("[\"Hello\",{\"Error\":\"E\",\"Cause\":\"boom\"},[1]]");
    json_t *inputs = js("[\"Hello\",\"World\",{\"x\":1}]");
    unsigned char failed[] = {0, 1, 0};
    json_t *out = aslrtp_results_write(root, params, NULL, RUN_ARN, results, failed, inputs,
                                       &err);
    ck_assert_msg(out != NULL, "%s", err.cause);
    assert_json(out, "{\"MapRunArn\":\"" RUN_ARN "\",\"ResultWriterDetails\":"
                     "{\"Bucket\":\"result-bucket\",\"Key\":\"mapJobs/" RUN_ID "/manifest.json\"}}");
    json_decref(out);

    json_t *m = load_file("result-bucket/mapJobs/" RUN_ID "/manifest.json");
    char *succ = slurp("result-bucket/mapJobs/" RUN_ID "/SUCCEEDED_0.json");
    char *fail = slurp("result-bucket/mapJobs/" RUN_ID "/FAILED_0.json");
    char *expect = aslrtp_strdupf(
        "{\"DestinationBucket\":\"result-bucket\",\"MapRunArn\":\"" RUN_ARN "\","
        "\"ResultFiles\":{\"FAILED\":[{\"Key\":\"mapJobs/" RUN_ID "/FAILED_0.json\",\"Size\":%zu}],"
        "\"PENDING\":[],"
        "\"SUCCEEDED\":[{\"Key\":\"mapJobs/" RUN_ID "/SUCCEEDED_0.json\",\"Size\":%zu}]}}",
        strlen(fail), strlen(succ));
    assert_json(m, expect);
    free(expect);
    json_decref(m);
    ck_assert(!exists("result-bucket/mapJobs/" RUN_ID "/PENDING_0.json"));

    json_t *s = load_file("result-bucket/mapJobs/" RUN_ID "/SUCCEEDED_0.json");
    ck_assert_uint_eq(json_array_size(s), 2);
    json_t *e0 = json_array_get(s, 0), *e1 = json_array_get(s, 1);
    const char *keys[] = {"ExecutionArn", "Input", "InputDetails", "Name", "Output",
                          "OutputDetails", "RedriveCount", "RedriveStatus",
                          "RedriveStatusReason", "StartDate", "StateMachineArn", "Status",
                          "StopDate"};
    void *it = json_object_iter(e0);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++, it = json_object_iter_next(e0, it))
        ck_assert_str_eq(json_object_iter_key(it), keys[i]);
    ck_assert_ptr_null(it);
    ck_assert_str_eq(json_string_value(json_object_get(e0, "Input")), "\"Hello\"");
    ck_assert_str_eq(json_string_value(json_object_get(e0, "Output")), "\"Hello\"");
    ck_assert_str_eq(json_string_value(json_object_get(e1, "Input")), "{\"x\":1}");
    ck_assert_str_eq(json_string_value(json_object_get(e1, "Output")), "[1]");
    assert_json(json_object_get(e0, "InputDetails"), "{\"Included\":true}");
    assert_json(json_object_get(e0, "OutputDetails"), "{\"Included\":true}");
    ck_assert_int_eq(json_integer_value(json_object_get(e0, "RedriveCount")), 0);
    ck_assert_str_eq(json_string_value(json_object_get(e0, "RedriveStatus")), "NOT_REDRIVABLE");
    ck_assert_str_eq(json_string_value(json_object_get(e0, "Status")), "SUCCEEDED");
    ck_assert_str_eq(json_string_value(json_object_get(e0, "StateMachineArn")),
                     "arn:aws:states:us-east-1:111111111111:stateMachine:sm/TestMap:" RUN_ID);
    const char *arn = json_string_value(json_object_get(e0, "ExecutionArn"));
    const char *name = json_string_value(json_object_get(e0, "Name"));
    ck_assert_uint_eq(strlen(name), 36);
    char *want = aslrtp_strdupf("arn:aws:states:us-east-1:111111111111:execution:sm/TestMap:"
                                RUN_ID ":%s", name);
    ck_assert_str_eq(arn, want);
    free(want);
    ck_assert_str_ne(name, json_string_value(json_object_get(e1, "Name")));
    const char *date = json_string_value(json_object_get(e0, "StartDate"));
    ck_assert_uint_eq(strlen(date), 24);
    ck_assert_int_eq(date[10], 'T');
    ck_assert_int_eq(date[23], 'Z');
    json_decref(s);

    json_t *f = load_file("result-bucket/mapJobs/" RUN_ID "/FAILED_0.json");
    ck_assert_uint_eq(json_array_size(f), 1);
    json_t *fe = json_array_get(f, 0);
    ck_assert_str_eq(json_string_value(json_object_get(fe, "Error")), "E");
    ck_assert_str_eq(json_string_value(json_object_get(fe, "Cause")), "boom");
    ck_assert_str_eq(json_string_value(json_object_get(fe, "Input")), "\"World\"");
    ck_assert_str_eq(json_string_value(json_object_get(fe, "Status")), "FAILED");
    ck_assert_ptr_null(json_object_get(fe, "Output"));
    json_decref(f);

    free(succ);
    free(fail);
    json_decref(params);
    json_decref(results);
    json_decref(inputs);
}
END_TEST

START_TEST(test_writer_streamed)
{
    /* Child by child: nothing at the result keys until finish (a temporary
     * file in their directory); close without finish leaves no file; the
     * text is the whole array's, FLATTEN of an empty array gives "[]". */
    mkdir_in("out");
    aslrtp_s3_place at = {.root = root};
    aslrt_error err = {0};
    json_t *params = js("{\"Bucket\":\"out\",\"Prefix\":\"s\"}");
    json_t *cfg = js("{\"OutputType\":\"JSON\",\"Transformation\":\"COMPACT\"}");
    const char *dir = "out/s/" RUN_ID;
    aslrtp_results *w = aslrtp_results_open(&at, params, cfg, RUN_ARN, &err);
    ck_assert_ptr_nonnull(w);
    json_t *in = js("{\"x\":1}"), *r = js("{\"y\":[1,\"\xc3\xa9\"]}");
    for (size_t i = 0; i < 3000; i++)
        ck_assert(aslrtp_results_add(w, i, in, r, false, &err));
    ck_assert(!exists("out/s/" RUN_ID "/SUCCEEDED_0.json"));
    char *d = aslrtp_strdupf("%s/%s", root, dir);
    DIR *dh = opendir(d);
    ck_assert_ptr_nonnull(dh);
    int temps = 0;
    struct dirent *e;
    while ((e = readdir(dh)))
        temps += strncmp(e->d_name, ".aslc-tmp-", 10) == 0;
    closedir(dh);
    ck_assert_int_eq(temps, 1);
    aslrtp_results_close(w);
    dh = opendir(d);
    int files = 0;
    while ((e = readdir(dh)))
        files += e->d_name[0] != '.' || strncmp(e->d_name, ".aslc-tmp-", 10) == 0;
    closedir(dh);
    ck_assert_int_eq(files, 0);
    free(d);

    w = aslrtp_results_open(&at, params, cfg, RUN_ARN, &err);
    json_t *all = json_array();
    for (size_t i = 0; i < 3000; i++) {
        ck_assert(aslrtp_results_add(w, i, in, r, false, &err));
        json_array_append(all, r);
    }
    json_t *out = aslrtp_results_finish(w, &err);
    ck_assert_msg(out != NULL, "%s", err.cause);
    aslrtp_results_close(w);
    char *text = slurp("out/s/" RUN_ID "/SUCCEEDED_0.json");
    char *want = aslrt_json_dumps(all);
    ck_assert_str_eq(text, want);
    json_t *m = load_file("out/s/" RUN_ID "/manifest.json");
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_array_get(json_object_get(json_object_get(m, "ResultFiles"),
                                                        "SUCCEEDED"), 0), "Size")),
                     (json_int_t)strlen(text));
    ck_assert(!exists("out/s/" RUN_ID "/FAILED_0.json"));
    json_decref(m);
    free(text);
    free(want);
    json_decref(out);
    json_decref(all);
    json_decref(cfg);

    cfg = js("{\"OutputType\":\"JSON\",\"Transformation\":\"FLATTEN\"}");
    json_t *empty = js("[]");
    w = aslrtp_results_open(&at, params, cfg, RUN_ARN, &err);
    ck_assert(aslrtp_results_add(w, 0, in, empty, false, &err));
    out = aslrtp_results_finish(w, &err);
    ck_assert_ptr_nonnull(out);
    aslrtp_results_close(w);
    text = slurp("out/s/" RUN_ID "/SUCCEEDED_0.json");
    ck_assert_str_eq(text, "[]");
    free(text);
    json_decref(out);
    json_decref(empty);
    json_decref(cfg);
    json_decref(in);
    json_decref(r);
    json_decref(params);
}
END_TEST

START_TEST(test_writer_config_export)
{
    aslrt_error err = {0};
    json_t *params = js("{\"Bucket\":\"bucket\",\"Prefix\":\"\"}");
    json_t *results = js("[[1,2],{\"a\":1},[]]");
    json_t *inputs = js("[1,2,3]");
    json_t *cfg = js("{\"OutputType\":\"JSONL\",\"Transformation\":\"FLATTEN\"}");
    json_t *out = aslrtp_results_write(root, params, cfg, RUN_ARN, results, NULL, inputs, &err);
    assert_json(out, "{\"MapRunArn\":\"" RUN_ARN "\",\"ResultWriterDetails\":"
                     "{\"Bucket\":\"bucket\",\"Key\":\"" RUN_ID "/manifest.json\"}}");
    json_decref(out);
    char *text = slurp("bucket/" RUN_ID "/SUCCEEDED_0.json");
    ck_assert_str_eq(text, "1\n2\n{\"a\":1}\n");
    free(text);
    ck_assert(!exists("bucket/" RUN_ID "/FAILED_0.json"));
    json_t *m = load_file("bucket/" RUN_ID "/manifest.json");
    assert_json(json_object_get(m, "ResultFiles"),
                "{\"FAILED\":[],\"PENDING\":[],\"SUCCEEDED\":[{\"Key\":\"" RUN_ID
                "/SUCCEEDED_0.json\",\"Size\":12}]}");
    json_decref(m);
    json_decref(cfg);

    /* COMPACT into JSON under a nested prefix ending in '/'. */
    json_decref(params);
    params = js("{\"Bucket\":\"bucket\",\"Prefix\":\"a/b/\"}");
    cfg = js("{\"OutputType\":\"JSON\",\"Transformation\":\"COMPACT\"}");
    out = aslrtp_results_write(root, params, cfg, RUN_ARN, results, NULL, inputs, &err);
    ck_assert_ptr_nonnull(out);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(out, "ResultWriterDetails"),
                                                       "Key")),
                     "a/b/" RUN_ID "/manifest.json");
    json_decref(out);
    text = slurp("bucket/a/b/" RUN_ID "/SUCCEEDED_0.json");
    ck_assert_str_eq(text, "[[1,2],{\"a\":1},[]]");
    free(text);

    json_decref(params);
    json_decref(cfg);
    json_decref(results);
    json_decref(inputs);
}
END_TEST

START_TEST(test_writer_config_only)
{
    aslrt_error err = {0};
    json_t *results = js("[[1,2],{\"Error\":\"E\",\"Cause\":\"c\"},3,[[4]]]");
    json_t *inputs = js("[0,1,2,3]");
    unsigned char failed[] = {0, 1, 0, 0};
    json_t *cfg = js("{\"OutputType\":\"JSON\",\"Transformation\":\"FLATTEN\"}");
    json_t *out = aslrtp_results_write(root, NULL, cfg, RUN_ARN, results, failed, inputs, &err);
    ck_assert_ptr_nonnull(out);
    /* 1, 2, the failed child in NONE's shape, 3, [4] */
    ck_assert_uint_eq(json_array_size(out), 5);
    assert_json(json_array_get(out, 0), "1");
    assert_json(json_array_get(out, 1), "2");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(out, 2), "Status")),
                     "FAILED");
    assert_json(json_array_get(out, 3), "3");
    assert_json(json_array_get(out, 4), "[4]");
    json_decref(out);
    json_decref(cfg);

    cfg = js("{\"OutputType\":\"JSON\",\"Transformation\":\"COMPACT\"}");
    out = aslrtp_results_write(root, NULL, cfg, RUN_ARN, results, NULL, inputs, &err);
    assert_json(out, "[[1,2],{\"Error\":\"E\",\"Cause\":\"c\"},3,[[4]]]");
    json_decref(out);
    json_decref(cfg);

    cfg = js("{\"OutputType\":\"JSON\",\"Transformation\":\"NONE\"}");
    out = aslrtp_results_write(root, NULL, cfg, RUN_ARN, results, NULL, inputs, &err);
    ck_assert_uint_eq(json_array_size(out), 4);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(out, 3), "Output")),
                     "[[4]]");
    json_decref(out);
    json_decref(cfg);
    json_decref(results);
    json_decref(inputs);
}
END_TEST

START_TEST(test_writer_errors)
{
    aslrt_error err = {0};
    json_t *results = js("[1]"), *inputs = js("[1]");
    json_t *params = js("{\"Bucket\":\"nobucket\",\"Prefix\":\"p\"}");
    ck_assert_ptr_null(aslrtp_results_write(root, params, NULL, RUN_ARN, results, NULL, inputs,
                                            &err));
    ck_assert_str_eq(err.error, "States.ResultWriterFailed");
    json_decref(params);
    params = js("{\"Bucket\":\"bucket\",\"Prefix\":\"../../etc\"}");
    ck_assert_ptr_null(aslrtp_results_write(root, params, NULL, RUN_ARN, results, NULL, inputs,
                                            &err));
    ck_assert_str_eq(err.error, "States.ResultWriterFailed");
    json_decref(params);
    /* A file where a directory must go. */
    put("bucket", "blocked", "x");
    params = js("{\"Bucket\":\"bucket\",\"Prefix\":\"blocked\"}");
    ck_assert_ptr_null(aslrtp_results_write(root, params, NULL, RUN_ARN, results, NULL, inputs,
                                            &err));
    ck_assert_str_eq(err.error, "States.ResultWriterFailed");
    json_decref(params);
    aslrt_error_clear(&err);
    json_decref(results);
    json_decref(inputs);
}
END_TEST

/* ==== Symbolic links and atomic writes ================================== */

/* Makes ROOT/rel a symbolic link to target. */
static void link_in(const char *target, const char *rel)
{
    char *p = aslrtp_strdupf("%s/%s", root, rel);
    ck_assert_int_eq(symlink(target, p), 0);
    free(p);
}

/* Writes OUTSIDE/name. */
static void put_outside(const char *name, const char *body)
{
    char *p = aslrtp_strdupf("%s/%s", outside, name);
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(body, f);
    fclose(f);
    free(p);
}

/* The names in ROOT/rel (or OUTSIDE when rel is NULL), sorted, joined by ','. */
static char *names_in(const char *rel)
{
    char *p = rel ? aslrtp_strdupf("%s/%s", root, rel) : aslrtp_strdup(outside);
    struct dirent **list = NULL;
    int n = scandir(p, &list, NULL, alphasort);
    ck_assert_msg(n >= 0, "cannot list %s", p);
    aslrtp_buf b = {0};
    aslrtp_buf_adds(&b, "");
    for (int i = 0; i < n; i++) {
        if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, "..")) {
            if (b.len)
                aslrtp_buf_adds(&b, ",");
            aslrtp_buf_adds(&b, list[i]->d_name);
        }
        free(list[i]);
    }
    free(list);
    free(p);
    return aslrtp_buf_finish(&b);
}

#define NO_KEY "The specified key does not exist. (Service: S3, Status Code: 404)"
#define NO_BUCKET "The specified bucket does not exist (Service: S3, Status Code: 404)"
#define JSON_IN "{\"InputType\":\"JSON\"}"

/* A link inside the root to a file or directory outside it reads as a
 * missing key, a linked bucket as a missing bucket; a link that stays
 * inside is no object either (S3 has none).  Both ways of opening. */
START_TEST(test_symlink_read_escape)
{
    put_outside("secret.json", "[\"secret\"]");
    put("bucket", "f.json", "[1]");
    link_in(outside, "bucket/evil");
    char *target = aslrtp_strdupf("%s/secret.json", outside);
    link_in(target, "bucket/link.json");
    free(target);
    link_in(outside, "lbucket");
    link_in("f.json", "bucket/alias.json");
    mkdir_in("bucket/d");
    link_in("..", "bucket/d/up");
    for (int portable = 0; portable < 2; portable++) {
        aslrtp_s3_portable(portable);
        read_ok(GET, "{\"Bucket\":\"bucket\",\"Key\":\"f.json\"}", JSON_IN, 0, "[1]");
        read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"evil/secret.json\"}", JSON_IN, 0,
                 "States.ItemReaderFailed", NO_KEY);
        read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"link.json\"}", JSON_IN, 0,
                 "States.ItemReaderFailed", NO_KEY);
        read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"alias.json\"}", JSON_IN, 0,
                 "States.ItemReaderFailed", NO_KEY);
        read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"d/up/f.json\"}", JSON_IN, 0,
                 "States.ItemReaderFailed", NO_KEY);
        read_err(GET, "{\"Bucket\":\"lbucket\",\"Key\":\"secret.json\"}", JSON_IN, 0,
                 "States.ItemReaderFailed", NO_BUCKET);
        /* Not regular files: a directory, and a FIFO (which must not block);
         * "f.json/" is another key than "f.json". */
        read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"d\"}", JSON_IN, 0,
                 "States.ItemReaderFailed", NO_KEY);
        read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"f.json/\"}", JSON_IN, 0,
                 "States.ItemReaderFailed", NO_KEY);
        read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"f.json/.\"}", JSON_IN, 0,
                 "States.ItemReaderFailed", NO_KEY);
        read_ok(GET, "{\"Bucket\":\"bucket\",\"Key\":\".//./f.json\"}", JSON_IN, 0,
                "[1]");
        char *fifo = aslrtp_strdupf("%s/bucket/fifo", root);
        if (portable == 0)
            ck_assert_int_eq(mkfifo(fifo, 0600), 0);
        free(fifo);
        read_err(GET, "{\"Bucket\":\"bucket\",\"Key\":\"fifo\"}", JSON_IN, 0,
                 "States.ItemReaderFailed", NO_KEY);
    }
}
END_TEST

/* A listing shows neither links nor what is behind them, and does not
 * descend into a linked directory. */
START_TEST(test_symlink_listing)
{
    put_outside("secret.json", "[\"secret\"]");
    put("bucket", "real.json", "[1,2]");
    set_mtime("bucket", "real.json", 1700000000);
    link_in(outside, "bucket/evil");
    char *target = aslrtp_strdupf("%s/secret.json", outside);
    link_in(target, "bucket/link.json");
    free(target);
    link_in(outside, "lbucket");
    for (int portable = 0; portable < 2; portable++) {
        aslrtp_s3_portable(portable);
        read_ok(LIST, "{\"Bucket\":\"bucket\"}", NULL, 0,
                "[{\"Etag\":\"\\\"f79408e5ca998cd53faf44af31e6eb45\\\"\",\"Key\":\"real.json\","
                "\"LastModified\":1700000000,\"Size\":5,\"StorageClass\":\"STANDARD\"}]");
        read_ok(LIST, "{\"Bucket\":\"bucket\",\"Prefix\":\"evil/\"}", NULL, 0, "[]");
        read_ok(LIST, "{\"Bucket\":\"bucket\"}",
                "{\"InputType\":\"JSON\",\"Transformation\":\"LOAD_AND_FLATTEN\"}", 0, "[1,2]");
        read_err(LIST, "{\"Bucket\":\"lbucket\"}", NULL, 0, "States.ItemReaderFailed",
                 NO_BUCKET);
    }
}
END_TEST

static json_t *write_results(const char *params, json_t *results, aslrt_error *err)
{
    json_t *p = js(params), *inputs = js("[1]");
    json_t *out = aslrtp_results_write(root, p, NULL, RUN_ARN, results, NULL, inputs, err);
    json_decref(p);
    json_decref(inputs);
    return out;
}

/* ResultWriter writes nothing through a link: not through a linked
 * directory of the prefix, not into a linked bucket; a link at a result
 * file's own name is replaced, its target untouched. */
START_TEST(test_symlink_write_escape)
{
    json_t *results = js("[\"x\"]");
    link_in(outside, "bucket/out");
    link_in(outside, "lbucket");
    for (int portable = 0; portable < 2; portable++) {
        aslrtp_s3_portable(portable);
        aslrt_error err = {0};
        ck_assert_ptr_null(write_results("{\"Bucket\":\"bucket\",\"Prefix\":\"out\"}",
                                         results, &err));
        ck_assert_str_eq(err.error, "States.ResultWriterFailed");
        ck_assert_msg(strstr(err.cause, "symbolic link") != NULL, "%s", err.cause);
        aslrt_error_clear(&err);
        ck_assert_ptr_null(write_results("{\"Bucket\":\"bucket\",\"Prefix\":\"out/deeper\"}",
                                         results, &err));
        ck_assert_str_eq(err.error, "States.ResultWriterFailed");
        aslrt_error_clear(&err);
        ck_assert_ptr_null(write_results("{\"Bucket\":\"lbucket\",\"Prefix\":\"p\"}",
                                         results, &err));
        ck_assert_str_eq(err.error, "States.ResultWriterFailed");
        ck_assert_str_eq(err.cause, NO_BUCKET);
        aslrt_error_clear(&err);
        char *names = names_in(NULL);
        ck_assert_str_eq(names, "");
        free(names);
    }

    /* The manifest's name is a link to a file outside. */
    put_outside("target", "untouched");
    mkdir_in("bucket/p/" RUN_ID);
    char *target = aslrtp_strdupf("%s/target", outside);
    link_in(target, "bucket/p/" RUN_ID "/manifest.json");
    free(target);
    aslrt_error err = {0};
    json_t *out = write_results("{\"Bucket\":\"bucket\",\"Prefix\":\"p\"}", results, &err);
    ck_assert_msg(out != NULL, "%s", err.cause);
    json_decref(out);
    char *text = slurp("bucket/p/" RUN_ID "/manifest.json");
    ck_assert_ptr_nonnull(strstr(text, "\"DestinationBucket\":\"bucket\""));
    free(text);
    char *p = aslrtp_strdupf("%s/bucket/p/" RUN_ID "/manifest.json", root);
    struct stat st;
    ck_assert_int_eq(lstat(p, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    free(p);
    p = aslrtp_strdupf("%s/target", outside);
    FILE *f = fopen(p, "rb");
    char buf[32] = {0};
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fread(buf, 1, sizeof buf - 1, f), 9);
    fclose(f);
    ck_assert_str_eq(buf, "untouched");
    free(p);
    json_decref(results);
}
END_TEST

/* A result file is whole or absent: a write cut short (here by a file
 * size limit, as a full disk would) leaves the previous file as it was
 * and no temporary file behind. */
START_TEST(test_atomic_write)
{
    mkdir_in("bucket/p/" RUN_ID);
    put("bucket", "p/" RUN_ID "/SUCCEEDED_0.json", "old");
    aslrtp_buf big = {0};
    aslrtp_buf_adds(&big, "[\"");
    for (int i = 0; i < 20000; i++)
        aslrtp_buf_adds(&big, "x");
    aslrtp_buf_adds(&big, "\"]");
    json_t *results = js(big.data);
    free(big.data);

    struct rlimit old, small;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 4096;
    void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
    aslrt_error err = {0};
    json_t *out = write_results("{\"Bucket\":\"bucket\",\"Prefix\":\"p\"}", results, &err);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, was);

    ck_assert_ptr_null(out);
    ck_assert_str_eq(err.error, "States.ResultWriterFailed");
    aslrt_error_clear(&err);
    char *text = slurp("bucket/p/" RUN_ID "/SUCCEEDED_0.json");
    ck_assert_str_eq(text, "old");
    free(text);
    char *names = names_in("bucket/p/" RUN_ID);
    ck_assert_str_eq(names, "SUCCEEDED_0.json");
    free(names);

    /* Without the limit the same write replaces the file whole. */
    out = write_results("{\"Bucket\":\"bucket\",\"Prefix\":\"p\"}", results, &err);
    ck_assert_msg(out != NULL, "%s", err.cause);
    json_decref(out);
    json_t *s = load_file("bucket/p/" RUN_ID "/SUCCEEDED_0.json");
    ck_assert_uint_eq(json_array_size(s), 1);
    json_decref(s);
    names = names_in("bucket/p/" RUN_ID);
    ck_assert_str_eq(names, "SUCCEEDED_0.json,manifest.json");
    free(names);
    json_decref(results);
}
END_TEST

/* ==== main ============================================================== */

static Suite *itemreader_suite(void)
{
    Suite *s = suite_create("itemreader");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_s3_path);
    tcase_add_test(tc, test_escape_refused);
    tcase_add_test(tc, test_json_all_and_max_items);
    tcase_add_test(tc, test_json_nested_and_scalars);
    tcase_add_test(tc, test_json_not_iterable);
    tcase_add_test(tc, test_json_invalid_and_empty);
    tcase_add_test(tc, test_json_items_pointer);
    tcase_add_test(tc, test_jsonl);
    tcase_add_test(tc, test_csv_first_row_corpus);
    tcase_add_test(tc, test_csv_typed_headers_corpus);
    tcase_add_test(tc, test_csv_given_headers_corpus);
    tcase_add_test(tc, test_csv_duplicate_headers);
    tcase_add_test(tc, test_csv_max_items_corpus);
    tcase_add_test(tc, test_csv_quotes);
    tcase_add_test(tc, test_csv_backslash);
    tcase_add_test(tc, test_csv_padding_and_extra);
    tcase_add_test(tc, test_csv_delimiters);
    tcase_add_test(tc, test_csv_empty_and_header_only);
    tcase_add_test(tc, test_invalid_utf8);
    tcase_add_test(tc, test_large_streamed);
    tcase_add_test(tc, test_json_streamed_boundaries);
    tcase_add_test(tc, test_json_streamed_errors);
    tcase_add_test(tc, test_items_one_at_a_time);
    tcase_add_test(tc, test_missing_object_and_config);
    tcase_add_test(tc, test_list_objects);
    tcase_add_test(tc, test_list_objects_order_and_max);
    tcase_add_test(tc, test_list_load_and_flatten);
    tcase_add_test(tc, test_batch_by_count_corpus);
    tcase_add_test(tc, test_batch_by_bytes);
    tcase_add_test(tc, test_batch_item_too_large);
    tcase_add_test(tc, test_writer_export);
    tcase_add_test(tc, test_writer_streamed);
    tcase_add_test(tc, test_writer_config_export);
    tcase_add_test(tc, test_writer_config_only);
    tcase_add_test(tc, test_writer_errors);
    tcase_add_test(tc, test_symlink_read_escape);
    tcase_add_test(tc, test_symlink_listing);
    tcase_add_test(tc, test_symlink_write_escape);
    tcase_add_test(tc, test_atomic_write);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = run_suite(itemreader_suite(), CK_ENV);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * check_jsonata_time.c - unit tests for runtime/jsonata/fn_time.c: $now,
 * $millis, $fromMillis, $toMillis, $formatInteger and $parseInteger.
 *
 * The natives are called directly with built arguments (no signature
 * checks), in a context whose clock is fixed at 1700000000000
 * (2023-11-14T22:13:20Z).  Every expected value in the tables is what
 * jsonata-js 2.0.6 itself returns for the same call (run under Node with
 * TZ=UTC and the same fixed clock), including its JavaScript quirks;
 * where jsonata-js dies of a TypeError or RangeError instead of a JSONata
 * error, the row expects the error this port raises (see the head of
 * jsonata/fn_time.c).  The last tests go through jn_parse/jn_eval for
 * what only the evaluator shows: one instant per evaluation, the context
 * argument of the signatures, messages.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonata/jsonata.h"
#include "testutil.h"

#define NOW_MS 1700000000000LL

/* ==== helpers ========================================================== */

static jn_ctx *cx;
static json_t *keep;    /* parsed arguments: jn_from_json references them */

static void setup(void)
{
    jn_options opt = {.now_ms = NOW_MS};
    cx = jn_ctx_create(&opt);
    keep = json_array();
}

static void teardown(void)
{
    jn_ctx_destroy(cx);
    json_decref(keep);
}

static jn_native_fn builtin(const char *name)
{
    for (const jn_builtin *b = jn_builtins_time; b->name; b++)
        if (strcmp(b->name, name) == 0)
            return b->fn;
    ck_abort_msg("no builtin $%s", name);
    return NULL;
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

/* Calls $name with the arguments of a JSON array ("<undefined>" stands
 * for undefined). */
static bool invoke(const char *name, const char *args_json, jn_value **result, jn_error *err)
{
    json_error_t je;
    json_t *args = json_loads(args_json, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &je);
    ck_assert_msg(args && json_is_array(args), "bad arguments %s: %s", args_json, je.text);
    json_array_append_new(keep, args);
    call k = {builtin(name), {NULL}, (int)json_array_size(args)};
    for (int i = 0; i < k.nargs; i++) {
        json_t *a = json_array_get(args, (size_t)i);
        if (!(json_is_string(a) && strcmp(json_string_value(a), "<undefined>") == 0))
            k.args[i] = jn_from_json(cx, a);
    }
    return jn_try(cx, run_call, &k, result, err);
}

/* A result as compact JSON, "undefined" or "NaN". */
static char *result_text(jn_value *v)
{
    if (!v)
        return strdup("undefined");
    if (jn_is_number(v) && isnan(v->u.number))
        return strdup("NaN");
    bool unsupported = false;
    json_t *j = jn_to_json(v, &unsupported);
    char *t = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(j);
    return t;
}

/* A row: the function, its arguments, and the result as compact JSON,
 * "undefined", "NaN", or "!CODE" for an error. */
typedef struct row {
    const char *fn, *args, *expect;
} row;

static bool same_json(const char *a, const char *b)
{
    json_t *ja = json_loads(a, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
    json_t *jb = json_loads(b, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
    bool eq = ja && jb && json_equal(ja, jb);
    json_decref(ja);
    json_decref(jb);
    return eq;
}

static void check_rows(const row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const row *r = &rows[i];
        jn_value *res = NULL;
        jn_error err;
        bool ok = invoke(r->fn, r->args, &res, &err);
        if (r->expect[0] == '!') {
            ck_assert_msg(!ok, "$%s%s: expected error %s, got %s", r->fn, r->args, r->expect + 1,
                          result_text(res));
            ck_assert_msg(strcmp(err.code, r->expect + 1) == 0, "$%s%s: expected %s, got %s: %s",
                          r->fn, r->args, r->expect + 1, err.code, err.message);
            continue;
        }
        ck_assert_msg(ok, "$%s%s: unexpected error %s: %s", r->fn, r->args, err.code,
                      err.message);
        char *got = result_text(res);
        bool eq = strcmp(got, r->expect) == 0 || same_json(got, r->expect);
        ck_assert_msg(eq, "$%s%s: expected %s, got %s", r->fn, r->args, r->expect, got);
        free(got);
    }
}

/* Evaluates an expression (no input): its result text, or "!CODE". */
static char *eval_text(jn_ctx *c, const char *expr, jn_error *err)
{
    const jn_node *root = jn_parse(c, expr, strlen(expr), err);
    ck_assert_msg(root != NULL, "%s: syntax error %s", expr, err->code);
    jn_value *res;
    if (!jn_eval(c, root, NULL, &res, err)) {
        char *t = malloc(strlen(err->code) + 2);
        t[0] = '!';
        strcpy(t + 1, err->code);
        return t;
    }
    return result_text(res);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ==== tables =========================================================== */

/* function-formatInteger and function-parseInteger cases, and the edges of
 * datetime.js: grouping separators placed from the right even when they
 * fall off the number (",5"), digit families, spreadsheet letters,
 * JavaScript's parseInt (hexadecimal, trailing junk). */
static const row integer_rows[] = {
    {"formatInteger", "[123, \"000\"]", "\"123\""},
    {"formatInteger", "[-3, \"0000\"]", "\"-0003\""},
    {"formatInteger", "[12.6, \"###0\"]", "\"12\""},
    {"formatInteger", "[123, \"000;o\"]", "\"123rd\""},
    {"formatInteger", "[112, \"0;o\"]", "\"112th\""},
    {"formatInteger", "[1234567890, \"#,##0\"]", "\"1,234,567,890\""},
    {"formatInteger", "[1234567890, \"#:###,##0\"]", "\"1234:567,890\""},
    {"formatInteger", "[1234567890, \"##,##,##0\"]", "\"12345,67,890\""},
    {"formatInteger", "[5, \"#:###,##0\"]", "\",5\""},
    {"formatInteger", "[12340, \"###\xd9\xa1""\"]", "\"\xd9\xa1""\xd9\xa2""\xd9\xa3""\xd9\xa4""\xd9\xa0""\""},
    {"formatInteger", "[0, \"\xd9\xa1""\xd9\xa2""\"]", "\"\xd9\xa0""\xd9\xa0""\""},
    {"formatInteger", "[12340, \"###\xef\xbc\x90""\"]", "\"\xef\xbc\x91""\xef\xbc\x92""\xef\xbc\x93""\xef\xbc\x94""\xef\xbc\x90""\""},
    {"formatInteger", "[0, \"I\"]", "\"\""},
    {"formatInteger", "[1984, \"I\"]", "\"MCMLXXXIV\""},
    {"formatInteger", "[99, \"i\"]", "\"xcix\""},
    {"formatInteger", "[27, \"a\"]", "\"aa\""},
    {"formatInteger", "[123456, \"A\"]", "\"FZPH\""},
    {"formatInteger", "[555, \"Ww\"]", "\"Five Hundred and Fifty-Five\""},
    {"formatInteger", "[99, \"W;o\"]", "\"NINETY-NINTH\""},
    {"formatInteger", "[1000000000001, \"w;o\"]", "\"one trillion and first\""},
    {"formatInteger", "[1e+46, \"w\"]", "\"ten billion trillion trillion trillion\""},
    {"formatInteger", "[1234567890123456, \"w\"]", "\"one thousand, two hundred and thirty-four trillion, five hundred and sixty-seven billion, eight hundred and ninety million, one hundred and twenty-three thousand, four hundred and fifty-six\""},
    {"formatInteger", "[1e+21, \"0\"]", "\"1e+21\""},
    {"formatInteger", "[-0.5, \"0\"]", "\"-1\""},
    {"formatInteger", "[1e+300, \"a\"]", "\"aaochtvvtrodmmkokckqgmsogyoqayeukkokmicawoyioymiysmekcyieqqaqskmiowkcckiqoyqqkcososmggqkcmsosqysyaagkomecieosoigwueaqusyqgykkeomuwwikawaocqeeooyyycsamiwiaguwssuiqeimiuggukkcuwkycwiwcqeemqmaumwamccmewamysgiqkigqsog\""},
    {"formatInteger", "[7, \"\"]", "!D3130"},
    {"formatInteger", "[123456, \"\xce\xb1""\"]", "!D3130"},
    {"formatInteger", "[12340, \"##0\xef\xbc\x90""\"]", "!D3131"},
    {"formatInteger", "[1234, \"0 000\"]", "\"1 234\""},
    {"formatInteger", "[\"<undefined>\", \"0\"]", "undefined"},
    {"parseInteger", "[\"123\", \"000\"]", "123"},
    {"parseInteger", "[\"123rd\", \"000;o\"]", "123"},
    {"parseInteger", "[\"\xd9\xa1""\xd9\xa2""\xd9\xa3""\xd9\xa4""\xd9\xa0""\", \"###\xd9\xa1""\"]", "12340"},
    {"parseInteger", "[\"1,234,567,890\", \"#,##0\"]", "1234567890"},
    {"parseInteger", "[\"1234:567,890\", \"#:###,##0\"]", "1234567890"},
    {"parseInteger", "[\"\", \"I\"]", "0"},
    {"parseInteger", "[\"MCMLXXXIV\", \"I\"]", "1984"},
    {"parseInteger", "[\"xcix\", \"i\"]", "99"},
    {"parseInteger", "[\"FIVE HUNDRED AND FIFTY-FIVE\", \"W\"]", "555"},
    {"parseInteger", "[\"three thousand, seven hundred and thirty-first\", \"w;o\"]", "3731"},
    {"parseInteger", "[\"ten billion trillion trillion trillion\", \"w\"]", "1e+46"},
    {"parseInteger", "[\"FZPH\", \"A\"]", "123456"},
    {"parseInteger", "[\"aa\", \"a\"]", "27"},
    {"parseInteger", "[\"50\", \"#\"]", "!D3130"},
    {"parseInteger", "[\"0x1f\", \"0\"]", "31"},
    {"parseInteger", "[\" 12abc\", \"0\"]", "12"},
    {"parseInteger", "[\"<undefined>\", \"0\"]", "undefined"},
    {"parseInteger", "[\"123\", \"##\xd9\xa0""\"]", "!D3131"},
};

/* function-fromMillis cases, and the quirks of formatDateTime: widths, the
 * year's digits, timezone offsets read by parseInt (a negative offset
 * splits into floor(h) and a negative minute), an invalid Date formatted
 * as NaN, ISO weeks around the new year. */
static const row from_rows[] = {
    {"fromMillis", "[1521801216617]", "\"2018-03-23T10:33:36.617Z\""},
    {"fromMillis", "[1]", "\"1970-01-01T00:00:00.001Z\""},
    {"fromMillis", "[-1]", "\"1969-12-31T23:59:59.999Z\""},
    {"fromMillis", "[1.7]", "\"1970-01-01T00:00:00.001Z\""},
    {"fromMillis", "[-1.7]", "\"1969-12-31T23:59:59.999Z\""},
    {"fromMillis", "[1521801216617, \"[FNn], the [Dwo] of [MNn] [Y] [E]\"]", "\"Friday, the twenty-third of March 2018 ISO\""},
    {"fromMillis", "[1521801216617, \"[FNn,3-3], [D1o] [MNn,3-3] [Y] [C]\"]", "\"Fri, 23rd Mar 2018 ISO\""},
    {"fromMillis", "[1521801216617, \"[[Year]]: [[[Y0001]]]\"]", "\"[Year]: [2018]\""},
    {"fromMillis", "[1521801216617, \"[D#1,2]/[M1,2]/[Y##01,2-2]\"]", "\"23/03/18\""},
    {"fromMillis", "[1521801216617, \"[D01,2-4] [M,*-3]\"]", "\"0023 003\""},
    {"fromMillis", "[1521801216617, \"[Y9,999,*] [YI] [Yw]\"]", "\"2,018 MMXVIII two thousand and eighteen\""},
    {"fromMillis", "[1521801216617, \"[F], [D]/[M]/[Y] [h]:[m]:[s] [PN]\"]", "\"friday, 23/3/2018 10:33:36 AM\""},
    {"fromMillis", "[1521801216617, \"[Y]-[ M01]-[D 01]T[H01 ]\"]", "\"2018-03-23T10\""},
    {"fromMillis", "[1204405500000, \"[Y]-[M01]-[D01]T[H01]:[m]:[s].[f001][Z0101t]\", \"+0530\"]", "\"2008-03-02T02:35:00.000+0530\""},
    {"fromMillis", "[1531310400000, \"[H01]:[m][Z]\", \"-0500\"]", "\"07:00-05:00\""},
    {"fromMillis", "[1531310400000, \"[H01]:[m][Z0]\", \"+0530\"]", "\"17:30+5:30\""},
    {"fromMillis", "[1531310400000, \"[H01]:[m][z]\", \"-0530\"]", "\"05:30GMT-06:30\""},
    {"fromMillis", "[1531310400000, \"[H01]:[m] [Z01:01t]\", \"abc\"]", "\"NaN:NaN 0N:aN\""},
    {"fromMillis", "[1531310400000, \"[H01]:[m] [Z]\", \"0x10\"]", "\"12:16 +00:16\""},
    {"fromMillis", "[1451563200000, \"[W] [X] [w] [xNn] [d]\"]", "\"53 2015 5 December 365\""},
    {"fromMillis", "[1359720000000, \"Week: [w] of [xNn]\"]", "\"Week: 5 of January\""},
    {"fromMillis", "[-62198755200000, \"[Y0001]-[M01]-[D01] [FNn] [W]\"]", "\"-0001-01-01 Friday 53\""},
    {"fromMillis", "[1e+20]", "\"0NaN-NaN-NaNTNaN:NaN:NaN.NaNZ\""},
    {"fromMillis", "[8640000000000000.0]", "\"5760-09-13T00:00:00.000Z\""},
    {"fromMillis", "[1e+20, \"[D] [MNn]\"]", "\"NaN undefined\""},
    {"fromMillis", "[0, \"[q1]\"]", "\"undefined\""},
    {"fromMillis", "[0, \"[Y\"]", "!D3135"},
    {"fromMillis", "[0, \"[q]\"]", "!D3132"},
    {"fromMillis", "[0, \"[YN]\"]", "!D3133"},
    {"fromMillis", "[0, \"[Z010101]\"]", "!D3134"},
    {"fromMillis", "[0, \"[fN]\"]", "!D3133"},
    {"fromMillis", "[0, \"[]\"]", "!D3132"},
    {"fromMillis", "[\"<undefined>\"]", "undefined"},
};

/* function-tomillis cases; ISO 8601 strings as V8's Date.parse reads the
 * ones iso8601regex lets through (rolled-over days, hour 24, fractions
 * cut to milliseconds, a "-05:00" that is not a time zone); pictures
 * (two-digit years are Date.UTC's 19xx, missing fields from now). */
static const row to_rows[] = {
    {"toMillis", "[\"1970-01-01T00:00:00.001Z\"]", "1"},
    {"toMillis", "[\"2018-02-01T09:42:13.123+0000\"]", "1517478133123"},
    {"toMillis", "[\"2018\"]", "1514764800000"},
    {"toMillis", "[\"2018-02-30\"]", "1519948800000"},
    {"toMillis", "[\"2018-01-02T24:00:00\"]", "1514937600000"},
    {"toMillis", "[\"2018-01-02T10:00:00.1234567891Z\"]", "1514887200123"},
    {"toMillis", "[\"2018-01-02T10:00:00.0729171086Z\"]", "1514887200729"},
    {"toMillis", "[\"2018-01-01-05:00\"]", "NaN"},
    {"toMillis", "[\"2018Z\"]", "1514764800000"},
    {"toMillis", "[\"2018-05T10:10:10\"]", "1525169410000"},
    {"toMillis", "[\"2018-12-31T23:59:59-2359\"]", "1546387139000"},
    {"toMillis", "[\"0050-01-01\"]", "-60589296000000"},
    {"toMillis", "[\"foo\"]", "!D3110"},
    {"toMillis", "[\"2018-02-03 11:15:33\"]", "!D3110"},
    {"toMillis", "[\"<undefined>\"]", "undefined"},
    {"toMillis", "[\"201802\", \"[Y,*-4][M01]\"]", "1517443200000"},
    {"toMillis", "[\"27th 3 1976\", \"[D1o] [M#1] [Y0001]\"]", "196732800000"},
    {"toMillis", "[\"w C mmxviii\", \"[Da] [MA] [Yi]\"]", "1521763200000"},
    {"toMillis", "[\"one thousand, nine hundred and eighty-four\", \"[Yw]\"]", "441763200000"},
    {"toMillis", "[\"Twentieth of August, two thousand and seventeen\", \"[DW] of [MNn], [Yw]\"]", "1503187200000"},
    {"toMillis", "[\"4/4/2018 12:06 am\", \"[D1]/[M1]/[Y0001] [h]:[m] [P]\"]", "1522800360000"},
    {"toMillis", "[\"2018-094\", \"[Y0001]-[d001]\"]", "1522800000000"},
    {"toMillis", "[\"2020-09-09 08:00:00 +02:00\", \"[Y0001]-[M01]-[D01] [H01]:[m01]:[s01] [Z]\"]", "1599631200000"},
    {"toMillis", "[\"2020-09-09 12:00:00 GMT-5\", \"[Y0001]-[M01]-[D01] [H01]:[m01]:[s01] [z01]\"]", "1599670800000"},
    {"toMillis", "[\"2018-1-1 -05:30\", \"[Y]-[M]-[D] [Z]\"]", "1514781000000"},
    {"toMillis", "[\"18-03-27\", \"[Y]-[M]-[D]\"]", "-1633651200000"},
    {"toMillis", "[\"19700101\", \"[Y][M01][D01]\"]", "0"},
    {"toMillis", "[\"Mon 5 May 2018\", \"[FNn,3-3] [D] [MNn,3-3] [Y]\"]", "1525478400000"},
    {"toMillis", "[\"MONDAY 5 May 2018\", \"[FNn] [D] [MNn] [Y]\"]", "1525478400000"},
    {"toMillis", "[\"13:45\", \"[H]:[m]\"]", "1699969500000"},
    {"toMillis", "[\"10 pm\", \"[h] [P]\"]", "1699999200000"},
    {"toMillis", "[\"Hello\", \"Hello\"]", "undefined"},
    {"toMillis", "[\"irrelevent string\", \"[Y]-[M]-[D]\"]", "undefined"},
    {"toMillis", "[\"2018-05-22\", \"[Y]-[M]-[q]\"]", "!D3132"},
    {"toMillis", "[\"2018-05-22\", \"[YN]-[M]-[D]\"]", "!D3133"},
    {"toMillis", "[\"2018-22\", \"[Y]-[D]\"]", "!D3136"},
    {"toMillis", "[\"2018-32-5\", \"[X]-[W]-[F1]\"]", "!D3136"},
    {"toMillis", "[\"2018\", \"[Y#]\"]", "!D3130"},
    {"toMillis", "[\"2018\", \"[Y\"]", "!D3135"},
    {"toMillis", "[\"<undefined>\", \"[Y]\"]", "undefined"},
};

/* $now and $millis at the context's fixed instant. */
static const row now_rows[] = {
    {"now", "[]", "\"2023-11-14T22:13:20.000Z\""},
    {"now", "[\"[Y0001]-[M01]-[D01] [H01]:[m01] [Z]\", \"+0530\"]", "\"2023-11-15 03:43 +05:30\""},
    {"millis", "[]", "1700000000000"},
};

/* ==== tests ============================================================ */

START_TEST(test_integer_pictures)
{
    check_rows(integer_rows, N(integer_rows));
}
END_TEST

START_TEST(test_from_millis)
{
    check_rows(from_rows, N(from_rows));
}
END_TEST

START_TEST(test_to_millis)
{
    check_rows(to_rows, N(to_rows));
}
END_TEST

START_TEST(test_now_millis)
{
    check_rows(now_rows, N(now_rows));
}
END_TEST

/* Every picture of the round trip formats a date and reads it back. */
START_TEST(test_round_trip)
{
    static const char *const pictures[] = {
        "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]",
        "[FNn], [D1o] [MNn] [Y0001] [h]:[m01]:[s01] [P]",
        "[Dwo] [MNn] [Yw] [H]:[m]",
        "[D1] [MI] [YI]",
        "[Y0001]-[d001]",       /* (with a time: D3136, as datetime.js) */
        "[Y0001]-[M01]-[D01] [H01]:[m01]:[s01] [Z0001]",
    };
    static const double millis[] = {0, 1521801216617, 951782400000, 1709164800000,
                                    -2208988800000};
    for (size_t p = 0; p < N(pictures); p++) {
        for (size_t m = 0; m < N(millis); m++) {
            /* (at offset 0, [Z01:01t] writes "Z", which it cannot read) */
            char args[256];
            snprintf(args, sizeof args, "[%.0f, \"%s\", \"+0100\"]", millis[m], pictures[p]);
            jn_value *text, *back;
            jn_error err;
            ck_assert_msg(invoke("fromMillis", args, &text, &err), "%s: %s", args, err.message);
            char args2[512];
            snprintf(args2, sizeof args2, "[\"%s\", \"%s\"]", text->u.string.s, pictures[p]);
            ck_assert_msg(invoke("toMillis", args2, &back, &err), "%s: %s", args2, err.message);
            /* the pictures keep whole seconds, minutes or days; those
             * without a time zone read the local time (+01:00) as UTC */
            double expect = millis[m] + (strchr(pictures[p], 'Z') ? 0 : 3600000);
            if (p == 1 || p == 5)
                expect = floor(expect / 1000) * 1000;
            if (p == 2)
                expect = floor(expect / 60000) * 60000;
            if (p == 3 || p == 4)
                expect = floor(expect / 86400000) * 86400000;
            ck_assert_msg(back && back->u.number == expect, "%s -> %s -> %.0f, expected %.0f",
                          args, text->u.string.s, back ? back->u.number : NAN, expect);
        }
    }
}
END_TEST

/* Inputs that make datetime.js's expressions backtrack for ages: adjacent
 * word loops stay linear; a hopeless split of digits gives up with U1001
 * instead of hanging; a huge width is refused. */
START_TEST(test_pathological)
{
    size_t n = 30000;
    char *dashes = malloc(n + 3);
    memset(dashes, '-', n);
    strcpy(dashes + n, "x");
    json_t *a = json_pack("[s, s]", dashes, "[Yw][Mw][Dw]");
    char *args = json_dumps(a, JSON_COMPACT);
    jn_value *res;
    jn_error err;
    ck_assert_msg(invoke("toMillis", args, &res, &err), "%s", err.message);
    ck_assert_ptr_null(res);
    free(args);
    json_decref(a);

    memset(dashes, '1', n);
    a = json_pack("[s, s]", dashes, "[Y][M][D][H][m][s]");
    args = json_dumps(a, JSON_COMPACT);
    ck_assert(!invoke("toMillis", args, &res, &err));
    ck_assert_str_eq(err.code, "U1001");
    free(args);
    json_decref(a);
    free(dashes);

    ck_assert(!invoke("fromMillis", "[0, \"[Y,99999999]\"]", &res, &err));
    ck_assert_str_eq(err.code, "D1001");
    ck_assert(!invoke("formatInteger", "[1e300, \"I\"]", &res, &err));
    ck_assert_str_eq(err.code, "D1001");
    ck_assert(!invoke("fromMillis", "[1e20, \"[Dw]\"]", &res, &err));
    ck_assert_str_eq(err.code, "D1001");
    ck_assert_str_eq(err.message, "Number out of range: NaN");
}
END_TEST

/* Through the evaluator: the signatures (context argument, types), one
 * instant for the whole evaluation, the messages. */
START_TEST(test_evaluated)
{
    static const struct {
        const char *expr, *expect;
    } cases[] = {
        {"$millis()", "1700000000000"},
        {"$now()", "\"2023-11-14T22:13:20.000Z\""},
        {"$toMillis('13:45', '[H]:[m]') ~> $fromMillis() ~> $substringBefore('T') = "
         "$substringBefore($now(), 'T')", "true"},
        {"['1970-01-01T00:00:00.001Z', '2018'].$toMillis()", "[1,1514764800000]"},
        {"(1521801216617).$fromMillis('[Y]')", "\"2018\""},
        {"$toMillis('2018-10-21T13:05:00Z').[$fromMillis(), $fromMillis($, (), '-0500')]",
         "[\"2018-10-21T13:05:00.000Z\",\"2018-10-21T08:05:00.000-05:00\"]"},
        {"$formatInteger(5)", "!T0410"},
        {"$fromMillis('x')", "undefined"},  /* 'x' is the picture; the context is undefined */
        {"$parseInteger('12', '0', 1)", "!T0410"},
        {"$formatInteger(5, $nothing)", "!T0410"},
        {"$toMillis(foo)", "undefined"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        jn_error err;
        char *got = eval_text(cx, cases[i].expr, &err);
        bool eq = strcmp(got, cases[i].expect) == 0 ||
                  (cases[i].expect[0] != '!' && same_json(got, cases[i].expect));
        ck_assert_msg(eq, "%s: expected %s, got %s", cases[i].expr, cases[i].expect, got);
        free(got);
    }

    jn_error err;
    free(eval_text(cx, "$toMillis('foo')", &err));
    ck_assert_str_eq(err.code, "D3110");
    ck_assert_str_eq(err.message, "The argument of the toMillis function must be an ISO 8601 "
                                  "formatted timestamp. Given \"foo\"");
    free(eval_text(cx, "$fromMillis(0, '[q]')", &err));
    ck_assert_str_eq(err.message, "Unknown component specifier \"q\" in date/time picture string");
    free(eval_text(cx, "$formatInteger(1, 'x')", &err));
    ck_assert_str_eq(err.message, "Formatting or parsing an integer as a sequence starting with "
                                  "\"x\" is not supported by this implementation");
}
END_TEST

/* With the clock read once per evaluation, every $now() and $millis() of
 * it agree. */
START_TEST(test_one_instant)
{
    jn_options opt = {.now_ms = -1};
    jn_ctx *c = jn_ctx_create(&opt);
    jn_error err;
    char *got = eval_text(c, "[1..2000].($millis()) ~> $distinct() ~> $count() = 1 and "
                             "$now() = $fromMillis($millis()) and "
                             "$now('[Y0001]') = $fromMillis($millis(), '[Y0001]')", &err);
    ck_assert_str_eq(got, "true");
    free(got);
    jn_ctx_destroy(c);
}
END_TEST

static Suite *time_suite(void)
{
    Suite *s = suite_create("jsonata_time");
    TCase *tc = tcase_create("natives");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_integer_pictures);
    tcase_add_test(tc, test_from_millis);
    tcase_add_test(tc, test_to_millis);
    tcase_add_test(tc, test_now_millis);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_pathological);
    suite_add_tcase(s, tc);
    tc = tcase_create("evaluated");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_evaluated);
    tcase_add_test(tc, test_one_instant);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = run_suite(time_suite(), CK_NORMAL);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

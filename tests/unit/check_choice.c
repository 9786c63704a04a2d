/*
 * check_choice.c - unit tests for runtime/choice.c: every Choice comparison
 * operator over matching and mismatching types, StringMatches patterns,
 * UTF-16 string order, numbers of mixed JSON types, and RFC 3339 / Java
 * ISO_OFFSET_DATE_TIME timestamps (parsing both ways, formatting).
 *
 * The first table is AWS's own answers: one row per recorded execution of
 * LocalStack's choice_operators tests (conformance corpus, "choice:*"),
 * the ...Path variants folded into the literal form they evaluate to.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"
#include "testutil.h"

typedef struct row {
    int op;
    const char *value;      /* JSON text of the Variable's value */
    const char *operand;    /* JSON text of the literal / ...Path value */
    int expected;
} row;

static json_t *parse(const char *text)
{
    json_error_t err;
    json_t *v = aslrtp_json_loads(text, strlen(text), &err);
    ck_assert_msg(v != NULL, "bad test JSON %s: %s", text, err.text);
    return v;
}

static void check_row(const row *r)
{
    json_t *v = parse(r->value), *o = parse(r->operand);
    ck_assert_msg(aslrtp_compare(r->op, v, o) == r->expected,
                  "op %d, value %s, operand %s: expected %d", r->op, r->value,
                  r->operand, r->expected);
    json_decref(v);
    json_decref(o);
}

/* ==== Recorded on AWS ================================================== */

static const row aws_rows[] = {
    {ASLRT_CMP_BOOLEAN_EQ, "null", "true", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "null", "false", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "\"\"", "true", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "\"\"", "false", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "\" \"", "true", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "\" \"", "false", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "\"HelloWorld\"", "true", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "\"2012-10-09T19:00:55\"", "true", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "\"2012-10-09T19:00:55\"", "false", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "\"2012-10-09T19:00:55Z\"", "true", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "0", "true", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "\"2012-10-09T19:00:55+01:00\"", "true", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "\"2012-10-09T19:00:55+01:00\"", "false", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "\"2023-02-24\"", "false", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "[]", "true", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "[]", "false", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "[\"\"]", "false", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "{}", "true", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "{}", "false", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "0", "false", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "{\"A\":0}", "true", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "{\"A\":0}", "false", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "false", "true", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "false", "false", 1},
    {ASLRT_CMP_BOOLEAN_EQ, "0.0", "true", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "0.0", "false", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "1", "true", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "1", "false", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "1.1", "true", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "1.1", "false", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "\"HelloWorld\"", "false", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "true", "true", 1},
    {ASLRT_CMP_IS_BOOLEAN, "null", "true", 0},
    {ASLRT_CMP_IS_BOOLEAN, "\"\"", "true", 0},
    {ASLRT_CMP_IS_BOOLEAN, "\"\"", "false", 1},
    {ASLRT_CMP_IS_BOOLEAN, "\" \"", "true", 0},
    {ASLRT_CMP_IS_BOOLEAN, "\" \"", "false", 1},
    {ASLRT_CMP_IS_BOOLEAN, "\"HelloWorld\"", "true", 0},
    {ASLRT_CMP_IS_BOOLEAN, "\"2012-10-09T19:00:55\"", "true", 0},
    {ASLRT_CMP_IS_BOOLEAN, "\"2012-10-09T19:00:55\"", "false", 1},
    {ASLRT_CMP_IS_BOOLEAN, "\"2012-10-09T19:00:55Z\"", "true", 0},
    {ASLRT_CMP_IS_BOOLEAN, "0", "true", 0},
    {ASLRT_CMP_IS_BOOLEAN, "\"2012-10-09T19:00:55+01:00\"", "true", 0},
    {ASLRT_CMP_IS_BOOLEAN, "\"2012-10-09T19:00:55+01:00\"", "false", 1},
    {ASLRT_CMP_IS_BOOLEAN, "\"2023-02-24\"", "true", 0},
    {ASLRT_CMP_IS_BOOLEAN, "[]", "false", 1},
    {ASLRT_CMP_IS_BOOLEAN, "[\"\"]", "false", 1},
    {ASLRT_CMP_IS_BOOLEAN, "{}", "true", 0},
    {ASLRT_CMP_IS_BOOLEAN, "{}", "false", 1},
    {ASLRT_CMP_IS_BOOLEAN, "0", "false", 1},
    {ASLRT_CMP_IS_BOOLEAN, "{\"A\":0}", "false", 1},
    {ASLRT_CMP_IS_BOOLEAN, "true", "true", 1},
    {ASLRT_CMP_IS_BOOLEAN, "false", "false", 0},
    {ASLRT_CMP_IS_BOOLEAN, "0.0", "true", 0},
    {ASLRT_CMP_IS_BOOLEAN, "1", "false", 1},
    {ASLRT_CMP_IS_BOOLEAN, "1.1", "false", 1},
    {ASLRT_CMP_IS_NULL, "null", "true", 1},
    {ASLRT_CMP_IS_NULL, "null", "false", 0},
    {ASLRT_CMP_IS_NULL, "\"\"", "true", 0},
    {ASLRT_CMP_IS_NULL, "\"\"", "false", 1},
    {ASLRT_CMP_IS_NULL, "\" \"", "true", 0},
    {ASLRT_CMP_IS_NULL, "\"HelloWorld\"", "true", 0},
    {ASLRT_CMP_IS_NULL, "\"HelloWorld\"", "false", 1},
    {ASLRT_CMP_IS_NULL, "\"2012-10-09T19:00:55\"", "true", 0},
    {ASLRT_CMP_IS_NULL, "\"2012-10-09T19:00:55\"", "false", 1},
    {ASLRT_CMP_IS_NULL, "\"2012-10-09T19:00:55Z\"", "true", 0},
    {ASLRT_CMP_IS_NULL, "\"2012-10-09T19:00:55Z\"", "false", 1},
    {ASLRT_CMP_IS_NULL, "0", "true", 0},
    {ASLRT_CMP_IS_NULL, "\"2012-10-09T19:00:55+01:00\"", "true", 0},
    {ASLRT_CMP_IS_NULL, "\"2012-10-09T19:00:55+01:00\"", "false", 1},
    {ASLRT_CMP_IS_NULL, "\"2023-02-24\"", "false", 1},
    {ASLRT_CMP_IS_NULL, "[]", "true", 0},
    {ASLRT_CMP_IS_NULL, "[]", "false", 1},
    {ASLRT_CMP_IS_NULL, "[\"\"]", "true", 0},
    {ASLRT_CMP_IS_NULL, "[\"\"]", "false", 1},
    {ASLRT_CMP_IS_NULL, "{}", "true", 0},
    {ASLRT_CMP_IS_NULL, "{}", "false", 1},
    {ASLRT_CMP_IS_NULL, "0", "false", 1},
    {ASLRT_CMP_IS_NULL, "{\"A\":0}", "true", 0},
    {ASLRT_CMP_IS_NULL, "{\"A\":0}", "false", 1},
    {ASLRT_CMP_IS_NULL, "true", "true", 0},
    {ASLRT_CMP_IS_NULL, "false", "true", 0},
    {ASLRT_CMP_IS_NULL, "false", "false", 1},
    {ASLRT_CMP_IS_NULL, "0.0", "true", 0},
    {ASLRT_CMP_IS_NULL, "0.0", "false", 1},
    {ASLRT_CMP_IS_NULL, "1", "true", 0},
    {ASLRT_CMP_IS_NULL, "1", "false", 1},
    {ASLRT_CMP_IS_NULL, "1.1", "true", 0},
    {ASLRT_CMP_IS_NULL, "1.1", "false", 1},
    {ASLRT_CMP_IS_NUMERIC, "null", "true", 0},
    {ASLRT_CMP_IS_NUMERIC, "null", "false", 1},
    {ASLRT_CMP_IS_NUMERIC, "\"\"", "true", 0},
    {ASLRT_CMP_IS_NUMERIC, "\"\"", "false", 1},
    {ASLRT_CMP_IS_NUMERIC, "\" \"", "true", 0},
    {ASLRT_CMP_IS_NUMERIC, "\"HelloWorld\"", "false", 1},
    {ASLRT_CMP_IS_NUMERIC, "\"2012-10-09T19:00:55\"", "true", 0},
    {ASLRT_CMP_IS_NUMERIC, "\"2012-10-09T19:00:55\"", "false", 1},
    {ASLRT_CMP_IS_NUMERIC, "\"2012-10-09T19:00:55Z\"", "true", 0},
    {ASLRT_CMP_IS_NUMERIC, "\"2012-10-09T19:00:55Z\"", "false", 1},
    {ASLRT_CMP_IS_NUMERIC, "0", "true", 1},
    {ASLRT_CMP_IS_NUMERIC, "\"2012-10-09T19:00:55+01:00\"", "true", 0},
    {ASLRT_CMP_IS_NUMERIC, "\"2023-02-24\"", "true", 0},
    {ASLRT_CMP_IS_NUMERIC, "\"2023-02-24\"", "false", 1},
    {ASLRT_CMP_IS_NUMERIC, "[]", "true", 0},
    {ASLRT_CMP_IS_NUMERIC, "[]", "false", 1},
    {ASLRT_CMP_IS_NUMERIC, "[\"\"]", "true", 0},
    {ASLRT_CMP_IS_NUMERIC, "{}", "true", 0},
    {ASLRT_CMP_IS_NUMERIC, "{}", "false", 1},
    {ASLRT_CMP_IS_NUMERIC, "0", "false", 0},
    {ASLRT_CMP_IS_NUMERIC, "{\"A\":0}", "true", 0},
    {ASLRT_CMP_IS_NUMERIC, "{\"A\":0}", "false", 1},
    {ASLRT_CMP_IS_NUMERIC, "true", "true", 0},
    {ASLRT_CMP_IS_NUMERIC, "false", "true", 0},
    {ASLRT_CMP_IS_NUMERIC, "false", "false", 1},
    {ASLRT_CMP_IS_NUMERIC, "0.0", "true", 1},
    {ASLRT_CMP_IS_NUMERIC, "0.0", "false", 0},
    {ASLRT_CMP_IS_NUMERIC, "1.1", "true", 1},
    {ASLRT_CMP_IS_NUMERIC, "1.1", "false", 0},
    {ASLRT_CMP_IS_PRESENT, "null", "true", 1},
    {ASLRT_CMP_IS_PRESENT, "null", "false", 0},
    {ASLRT_CMP_IS_PRESENT, "\"\"", "true", 1},
    {ASLRT_CMP_IS_PRESENT, "\" \"", "true", 1},
    {ASLRT_CMP_IS_PRESENT, "\" \"", "false", 0},
    {ASLRT_CMP_IS_PRESENT, "\"HelloWorld\"", "true", 1},
    {ASLRT_CMP_IS_PRESENT, "\"2012-10-09T19:00:55\"", "true", 1},
    {ASLRT_CMP_IS_PRESENT, "\"2012-10-09T19:00:55\"", "false", 0},
    {ASLRT_CMP_IS_PRESENT, "\"2012-10-09T19:00:55Z\"", "true", 1},
    {ASLRT_CMP_IS_PRESENT, "\"2012-10-09T19:00:55+01:00\"", "true", 1},
    {ASLRT_CMP_IS_PRESENT, "\"2012-10-09T19:00:55+01:00\"", "false", 0},
    {ASLRT_CMP_IS_PRESENT, "\"2023-02-24\"", "true", 1},
    {ASLRT_CMP_IS_PRESENT, "\"2023-02-24\"", "false", 0},
    {ASLRT_CMP_IS_PRESENT, "[]", "true", 1},
    {ASLRT_CMP_IS_PRESENT, "[]", "false", 0},
    {ASLRT_CMP_IS_PRESENT, "[\"\"]", "true", 1},
    {ASLRT_CMP_IS_PRESENT, "[\"\"]", "false", 0},
    {ASLRT_CMP_IS_PRESENT, "{}", "true", 1},
    {ASLRT_CMP_IS_PRESENT, "{}", "false", 0},
    {ASLRT_CMP_IS_PRESENT, "0", "false", 0},
    {ASLRT_CMP_IS_PRESENT, "{\"A\":0}", "true", 1},
    {ASLRT_CMP_IS_PRESENT, "{\"A\":0}", "false", 0},
    {ASLRT_CMP_IS_PRESENT, "true", "true", 1},
    {ASLRT_CMP_IS_PRESENT, "false", "true", 1},
    {ASLRT_CMP_IS_PRESENT, "false", "false", 0},
    {ASLRT_CMP_IS_PRESENT, "0.0", "false", 0},
    {ASLRT_CMP_IS_PRESENT, "1", "true", 1},
    {ASLRT_CMP_IS_PRESENT, "1.1", "true", 1},
    {ASLRT_CMP_IS_PRESENT, "1.1", "false", 0},
    {ASLRT_CMP_IS_STRING, "null", "true", 0},
    {ASLRT_CMP_IS_STRING, "null", "false", 1},
    {ASLRT_CMP_IS_STRING, "\"\"", "true", 1},
    {ASLRT_CMP_IS_STRING, "\"\"", "false", 0},
    {ASLRT_CMP_IS_STRING, "\" \"", "true", 1},
    {ASLRT_CMP_IS_STRING, "\"HelloWorld\"", "true", 1},
    {ASLRT_CMP_IS_STRING, "\"HelloWorld\"", "false", 0},
    {ASLRT_CMP_IS_STRING, "\"2012-10-09T19:00:55\"", "true", 1},
    {ASLRT_CMP_IS_STRING, "\"2012-10-09T19:00:55\"", "false", 0},
    {ASLRT_CMP_IS_STRING, "\"2012-10-09T19:00:55Z\"", "true", 1},
    {ASLRT_CMP_IS_STRING, "0", "true", 0},
    {ASLRT_CMP_IS_STRING, "\"2012-10-09T19:00:55+01:00\"", "true", 1},
    {ASLRT_CMP_IS_STRING, "\"2012-10-09T19:00:55+01:00\"", "false", 0},
    {ASLRT_CMP_IS_STRING, "\"2023-02-24\"", "true", 1},
    {ASLRT_CMP_IS_STRING, "\"2023-02-24\"", "false", 0},
    {ASLRT_CMP_IS_STRING, "[]", "true", 0},
    {ASLRT_CMP_IS_STRING, "[]", "false", 1},
    {ASLRT_CMP_IS_STRING, "[\"\"]", "true", 0},
    {ASLRT_CMP_IS_STRING, "[\"\"]", "false", 1},
    {ASLRT_CMP_IS_STRING, "{}", "true", 0},
    {ASLRT_CMP_IS_STRING, "{}", "false", 1},
    {ASLRT_CMP_IS_STRING, "0", "false", 1},
    {ASLRT_CMP_IS_STRING, "{\"A\":0}", "false", 1},
    {ASLRT_CMP_IS_STRING, "true", "true", 0},
    {ASLRT_CMP_IS_STRING, "false", "true", 0},
    {ASLRT_CMP_IS_STRING, "false", "false", 1},
    {ASLRT_CMP_IS_STRING, "0.0", "true", 0},
    {ASLRT_CMP_IS_STRING, "0.0", "false", 1},
    {ASLRT_CMP_IS_STRING, "1", "true", 0},
    {ASLRT_CMP_IS_STRING, "1", "false", 1},
    {ASLRT_CMP_IS_STRING, "1.1", "true", 0},
    {ASLRT_CMP_IS_STRING, "1.1", "false", 1},
    {ASLRT_CMP_NUMERIC_EQ, "null", "0.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "0.0", "1", 0},
    {ASLRT_CMP_NUMERIC_EQ, "0.0", "1.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "1", "0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "1", "0.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "1", "1", 1},
    {ASLRT_CMP_NUMERIC_EQ, "1", "1.0", 1},
    {ASLRT_CMP_NUMERIC_EQ, "1.1", "0.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "1.1", "1", 0},
    {ASLRT_CMP_NUMERIC_EQ, "1.1", "1.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "null", "1", 0},
    {ASLRT_CMP_NUMERIC_EQ, "\"\"", "0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "\"\"", "0.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "\"\"", "1", 0},
    {ASLRT_CMP_NUMERIC_EQ, "\"\"", "1.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "\" \"", "0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "\" \"", "0.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "\" \"", "1", 0},
    {ASLRT_CMP_NUMERIC_EQ, "\" \"", "1.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "[]", "0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "[]", "0.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "null", "1.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "[]", "1.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "[\"\"]", "0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "[\"\"]", "0.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "[\"\"]", "1", 0},
    {ASLRT_CMP_NUMERIC_EQ, "[\"\"]", "1.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "{}", "0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "{}", "0.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "{}", "1", 0},
    {ASLRT_CMP_NUMERIC_EQ, "{}", "1.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "0", "0", 1},
    {ASLRT_CMP_NUMERIC_EQ, "{\"A\":0}", "0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "{\"A\":0}", "0.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "{\"A\":0}", "1", 0},
    {ASLRT_CMP_NUMERIC_EQ, "{\"A\":0}", "1.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "false", "0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "false", "0.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "false", "1", 0},
    {ASLRT_CMP_NUMERIC_EQ, "true", "0.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "0", "0.0", 1},
    {ASLRT_CMP_NUMERIC_EQ, "true", "1", 0},
    {ASLRT_CMP_NUMERIC_EQ, "true", "1.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "0.0", "0", 1},
    {ASLRT_CMP_NUMERIC_EQ, "0", "1", 0},
    {ASLRT_CMP_NUMERIC_EQ, "0", "1.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "0.0", "0.0", 1},
    {ASLRT_CMP_NUMERIC_EQ, "null", "0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "1.1", "0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "[]", "1", 0},
    {ASLRT_CMP_NUMERIC_EQ, "false", "1.0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "true", "0", 0},
    {ASLRT_CMP_NUMERIC_EQ, "2.22", "2.22", 1},
    {ASLRT_CMP_NUMERIC_GT, "0", "0", 0},
    {ASLRT_CMP_NUMERIC_GT, "0", "1", 0},
    {ASLRT_CMP_NUMERIC_GT, "1", "1", 0},
    {ASLRT_CMP_NUMERIC_GT, "1", "0", 1},
    {ASLRT_CMP_NUMERIC_GE, "0", "0", 1},
    {ASLRT_CMP_NUMERIC_GE, "0", "1", 0},
    {ASLRT_CMP_NUMERIC_GE, "1", "1", 1},
    {ASLRT_CMP_NUMERIC_GE, "1", "0", 1},
    {ASLRT_CMP_NUMERIC_GE, "0.0", "0", 1},
    {ASLRT_CMP_NUMERIC_LT, "0", "0", 0},
    {ASLRT_CMP_NUMERIC_LT, "0.0", "0", 0},
    {ASLRT_CMP_NUMERIC_LT, "0", "1", 1},
    {ASLRT_CMP_NUMERIC_LT, "1", "1", 0},
    {ASLRT_CMP_NUMERIC_LE, "0", "0", 1},
    {ASLRT_CMP_NUMERIC_LE, "0.0", "0", 1},
    {ASLRT_CMP_NUMERIC_LE, "1", "1", 1},
    {ASLRT_CMP_NUMERIC_LE, "0", "1", 1},
    {ASLRT_CMP_NUMERIC_LE, "1", "0", 0},
    {ASLRT_CMP_STRING_EQ, "null", "\"HelloWorld\"", 0},
    {ASLRT_CMP_STRING_EQ, "0", "\"HelloWorld\"", 0},
    {ASLRT_CMP_STRING_EQ, "{\"A\":0}", "\"HelloWorld\"", 0},
    {ASLRT_CMP_STRING_EQ, "false", "\"HelloWorld\"", 0},
    {ASLRT_CMP_STRING_EQ, "true", "\"HelloWorld\"", 0},
    {ASLRT_CMP_STRING_EQ, "\" \"", "\"     \"", 0},
    {ASLRT_CMP_STRING_EQ, "\"\\t\\n\"", "\"\\t\\r\\n\"", 0},
    {ASLRT_CMP_STRING_EQ, "1", "\"HelloWorld\"", 0},
    {ASLRT_CMP_STRING_EQ, "1.1", "\"HelloWorld\"", 0},
    {ASLRT_CMP_STRING_EQ, "\"\"", "\"HelloWorld\"", 0},
    {ASLRT_CMP_STRING_EQ, "\" \"", "\"HelloWorld\"", 0},
    {ASLRT_CMP_STRING_EQ, "[]", "\"HelloWorld\"", 0},
    {ASLRT_CMP_STRING_EQ, "[\"\"]", "\"HelloWorld\"", 0},
    {ASLRT_CMP_STRING_EQ, "{}", "\"HelloWorld\"", 0},
    {ASLRT_CMP_STRING_EQ, "\"Hello\"", "\"Hello\"", 1},
    {ASLRT_CMP_STRING_GT, "\"\"", "\"\"", 0},
    {ASLRT_CMP_STRING_GT, "\"A\"", "\"A \"", 0},
    {ASLRT_CMP_STRING_GT, "\"A\"", "\"A\\t\\n\\r\"", 0},
    {ASLRT_CMP_STRING_GE, "\"\"", "\"\"", 1},
    {ASLRT_CMP_STRING_GE, "\"A\"", "\"AB\"", 0},
    {ASLRT_CMP_STRING_GE, "\"AB\"", "\"A\"", 1},
    {ASLRT_CMP_STRING_GT, "\"AB\"", "\"ABC\"", 0},
    {ASLRT_CMP_STRING_LT, "\"\"", "\"\"", 0},
    {ASLRT_CMP_STRING_LT, "\"A\"", "\"AB\"", 1},
    {ASLRT_CMP_STRING_LT, "\"AB\"", "\"A\"", 0},
    {ASLRT_CMP_STRING_LE, "\"\"", "\"\"", 1},
    {ASLRT_CMP_STRING_LE, "\"A\"", "\"AB\"", 1},
    {ASLRT_CMP_STRING_LE, "\"AB\"", "\"A\"", 0},
    {ASLRT_CMP_TIMESTAMP_EQ, "null", "\"2012-10-09T19:00:55Z\"", 0},
    {ASLRT_CMP_TIMESTAMP_EQ, "{\"A\":0}", "\"2012-10-09T19:00:55Z\"", 0},
    {ASLRT_CMP_TIMESTAMP_EQ, "false", "\"2012-10-09T19:00:55Z\"", 0},
    {ASLRT_CMP_TIMESTAMP_EQ, "true", "\"2012-10-09T19:00:55Z\"", 0},
    {ASLRT_CMP_TIMESTAMP_EQ, "\"2012-10-09T19:00:55Z\"", "\"2012-10-09T19:00:55Z\"", 1},
    {ASLRT_CMP_TIMESTAMP_EQ, "\"2012-10-09T19:00:55Z\"", "\"2012-10-09T19:00:56Z\"", 0},
    {ASLRT_CMP_TIMESTAMP_EQ, "\"2012-10-09T19:00:56Z\"", "\"2012-10-09T19:00:55Z\"", 0},
    {ASLRT_CMP_TIMESTAMP_EQ, "0.0", "\"2012-10-09T19:00:55Z\"", 0},
    {ASLRT_CMP_TIMESTAMP_EQ, "1", "\"2012-10-09T19:00:55Z\"", 0},
    {ASLRT_CMP_TIMESTAMP_EQ, "\"\"", "\"2012-10-09T19:00:55Z\"", 0},
    {ASLRT_CMP_TIMESTAMP_EQ, "\"2023-02-24 12:15:56.832957\"", "\"2012-10-09T19:00:55Z\"", 0},
    {ASLRT_CMP_TIMESTAMP_EQ, "[]", "\"2012-10-09T19:00:55Z\"", 0},
    {ASLRT_CMP_TIMESTAMP_EQ, "[\"\"]", "\"2012-10-09T19:00:55Z\"", 0},
    {ASLRT_CMP_TIMESTAMP_GT, "\"2012-10-09T19:00:55Z\"", "\"2012-10-09T19:00:55Z\"", 0},
    {ASLRT_CMP_TIMESTAMP_GT, "\"2012-10-09T19:00:55Z\"", "\"2012-10-09T19:00:56Z\"", 0},
    {ASLRT_CMP_TIMESTAMP_GT, "\"2012-10-09T19:00:56Z\"", "\"2012-10-09T19:00:55Z\"", 1},
    {ASLRT_CMP_TIMESTAMP_GE, "\"2012-10-09T19:00:55Z\"", "\"2012-10-09T19:00:55Z\"", 1},
    {ASLRT_CMP_TIMESTAMP_GE, "\"2012-10-09T19:00:55Z\"", "\"2012-10-09T19:00:56Z\"", 0},
    {ASLRT_CMP_TIMESTAMP_GE, "\"2012-10-09T19:00:56Z\"", "\"2012-10-09T19:00:55Z\"", 1},
    {ASLRT_CMP_TIMESTAMP_LT, "\"2012-10-09T19:00:55Z\"", "\"2012-10-09T19:00:55Z\"", 0},
    {ASLRT_CMP_TIMESTAMP_LT, "\"2012-10-09T19:00:55Z\"", "\"2012-10-09T19:00:56Z\"", 1},
    {ASLRT_CMP_TIMESTAMP_LT, "\"2012-10-09T19:00:56Z\"", "\"2012-10-09T19:00:55Z\"", 0},
    {ASLRT_CMP_TIMESTAMP_LE, "\"2012-10-09T19:00:55Z\"", "\"2012-10-09T19:00:55Z\"", 1},
    {ASLRT_CMP_TIMESTAMP_LE, "\"2012-10-09T19:00:55Z\"", "\"2012-10-09T19:00:56Z\"", 1},
    {ASLRT_CMP_TIMESTAMP_LE, "\"2012-10-09T19:00:56Z\"", "\"2012-10-09T19:00:55Z\"", 0},
};

START_TEST(test_aws_recorded)
{
    check_row(&aws_rows[_i]);
}
END_TEST

/* ==== Each family, beyond the recordings =============================== */

static const row more_rows[] = {
    /* strings: exact, case- and space-sensitive */
    {ASLRT_CMP_STRING_EQ, "\"abc\"", "\"abc\"", 1},
    {ASLRT_CMP_STRING_EQ, "\"abc\"", "\"ABC\"", 0},
    {ASLRT_CMP_STRING_EQ, "\"\"", "\"\"", 1},
    {ASLRT_CMP_STRING_EQ, "\"a\\u0000b\"", "\"a\\u0000b\"", 1},
    {ASLRT_CMP_STRING_EQ, "\"a\\u0000b\"", "\"a\\u0000c\"", 0},
    {ASLRT_CMP_STRING_EQ, "\"a\\u0000\"", "\"a\"", 0},
    {ASLRT_CMP_STRING_GT, "\"a\\u0000\"", "\"a\"", 1},
    {ASLRT_CMP_STRING_EQ, "1", "\"1\"", 0},
    {ASLRT_CMP_STRING_EQ, "\"1\"", "1", 0},
    {ASLRT_CMP_STRING_LT, "\"B\"", "\"a\"", 1},     /* no case folding */
    {ASLRT_CMP_STRING_LT, "\"a\"", "\"b\"", 1},
    {ASLRT_CMP_STRING_LE, "\"b\"", "\"b\"", 1},
    {ASLRT_CMP_STRING_GE, "\"b\"", "\"a\"", 1},
    {ASLRT_CMP_STRING_GE, "\"a\"", "\"b\"", 0},
    {ASLRT_CMP_STRING_LT, "null", "\"b\"", 0},
    {ASLRT_CMP_STRING_GT, "\"b\"", "null", 0},
    {ASLRT_CMP_STRING_LE, "[]", "\"b\"", 0},
    {ASLRT_CMP_STRING_GE, "\"b\"", "{}", 0},
    /* Java compares UTF-16 code units: U+00E9 < U+0800 < U+D7FF, and a
     * supplementary character (a surrogate pair, D83D DE00) sorts after
     * U+D7FF but before U+E000..U+FFFF, unlike UTF-8 byte order. */
    {ASLRT_CMP_STRING_LT, "\"\\u00e9\"", "\"\\u0800\"", 1},
    {ASLRT_CMP_STRING_LT, "\"\\ud7ff\"", "\"\\ud83d\\ude00\"", 1},
    {ASLRT_CMP_STRING_LT, "\"\\ud83d\\ude00\"", "\"\\ue000\"", 1},
    {ASLRT_CMP_STRING_GT, "\"\\uffff\"", "\"\\ud83d\\ude00\"", 1},
    {ASLRT_CMP_STRING_GT, "\"\\uffff\"", "\"\\udbff\\udfff\"", 1},
    {ASLRT_CMP_STRING_LT, "\"x\\ud800\\udc00\"", "\"x\\ud83d\\ude00\"", 1},
    {ASLRT_CMP_STRING_LT, "\"ab\\ud83d\\ude00\"", "\"ab\\uff01\"", 1},
    {ASLRT_CMP_STRING_GT, "\"caf\\u00e9\"", "\"cafe\"", 1},
    {ASLRT_CMP_STRING_LT, "\"cafe\"", "\"caf\\u00e9\"", 1},
    {ASLRT_CMP_STRING_LT, "\"\\u007f\"", "\"\\u0080\"", 1},

    /* StringMatches: only '*' is special; "\*" and "\\" are literals */
    {ASLRT_CMP_STRING_MATCHES, "\"foo23.log\"", "\"foo*.log\"", 1},
    {ASLRT_CMP_STRING_MATCHES, "\"zebra.log\"", "\"*.log\"", 1},
    {ASLRT_CMP_STRING_MATCHES, "\"foobar.zebra\"", "\"foo*.*\"", 1},
    {ASLRT_CMP_STRING_MATCHES, "\"foo.log.txt\"", "\"*.log\"", 0},
    {ASLRT_CMP_STRING_MATCHES, "\"log\"", "\"*.log\"", 0},
    {ASLRT_CMP_STRING_MATCHES, "\"\"", "\"*\"", 1},
    {ASLRT_CMP_STRING_MATCHES, "\"\"", "\"\"", 1},
    {ASLRT_CMP_STRING_MATCHES, "\"a\"", "\"\"", 0},
    {ASLRT_CMP_STRING_MATCHES, "\"\"", "\"a\"", 0},
    {ASLRT_CMP_STRING_MATCHES, "\"abc\"", "\"abc\"", 1},
    {ASLRT_CMP_STRING_MATCHES, "\"abc\"", "\"ABC\"", 0},
    {ASLRT_CMP_STRING_MATCHES, "\"abc\"", "\"a**c\"", 1},
    {ASLRT_CMP_STRING_MATCHES, "\"xaybzb\"", "\"*a*b\"", 1},
    {ASLRT_CMP_STRING_MATCHES, "\"xaybzbc\"", "\"*a*b\"", 0},
    {ASLRT_CMP_STRING_MATCHES, "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaab\"", "\"*a*a*a*a*a*b\"", 1},
    {ASLRT_CMP_STRING_MATCHES, "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", "\"*a*a*a*a*a*b\"", 0},
    {ASLRT_CMP_STRING_MATCHES, "\"a?c\"", "\"a?c\"", 1},         /* '?' is not special */
    {ASLRT_CMP_STRING_MATCHES, "\"abc\"", "\"a?c\"", 0},
    {ASLRT_CMP_STRING_MATCHES, "\"a.c\"", "\"a.c\"", 1},         /* nor '.' */
    {ASLRT_CMP_STRING_MATCHES, "\"abc\"", "\"a.c\"", 0},
    {ASLRT_CMP_STRING_MATCHES, "\"a*b\"", "\"a\\\\*b\"", 1},     /* \* */
    {ASLRT_CMP_STRING_MATCHES, "\"axb\"", "\"a\\\\*b\"", 0},
    {ASLRT_CMP_STRING_MATCHES, "\"a*b-x\"", "\"a\\\\**\"", 1},
    {ASLRT_CMP_STRING_MATCHES, "\"ab\"", "\"a\\\\**\"", 0},
    {ASLRT_CMP_STRING_MATCHES, "\"a\\\\b\"", "\"a\\\\\\\\b\"", 1}, /* \\ */
    {ASLRT_CMP_STRING_MATCHES, "\"a\\\\\\\\b\"", "\"a\\\\\\\\b\"", 0},
    {ASLRT_CMP_STRING_MATCHES, "\"a\\\\xyz\"", "\"a\\\\\\\\*\"", 1},
    {ASLRT_CMP_STRING_MATCHES, "\"ab\"", "\"a\\\\b\"", 1},       /* \b: a literal b */
    {ASLRT_CMP_STRING_MATCHES, "\"a\"", "\"a\\\\\"", 0},         /* dangling \ */
    {ASLRT_CMP_STRING_MATCHES, "\"a\\\\\"", "\"a\\\\\"", 0},
    {ASLRT_CMP_STRING_MATCHES, "\"caf\\u00e9 \\ud83d\\ude00\"", "\"caf* \\ud83d\\ude00*\"", 1},
    {ASLRT_CMP_STRING_MATCHES, "\"\\u00e9t\\u00e9\"", "\"*\\u00e9\"", 1},
    {ASLRT_CMP_STRING_MATCHES, "\"a\\u0000b\"", "\"a*b\"", 1},
    {ASLRT_CMP_STRING_MATCHES, "1", "\"*\"", 0},
    {ASLRT_CMP_STRING_MATCHES, "null", "\"*\"", 0},
    {ASLRT_CMP_STRING_MATCHES, "[\"a\"]", "\"*\"", 0},

    /* numbers by value, whatever the JSON form */
    {ASLRT_CMP_NUMERIC_EQ, "-0.0", "0", 1},
    {ASLRT_CMP_NUMERIC_EQ, "100", "1e2", 1},
    {ASLRT_CMP_NUMERIC_EQ, "0.1", "0.1", 1},
    {ASLRT_CMP_NUMERIC_EQ, "0.30000000000000004", "0.3", 0},
    {ASLRT_CMP_NUMERIC_LT, "1", "1.5", 1},
    {ASLRT_CMP_NUMERIC_GT, "2", "1.5", 1},
    {ASLRT_CMP_NUMERIC_GT, "-1", "-1.5", 1},
    {ASLRT_CMP_NUMERIC_LT, "-2", "-1.5", 1},
    {ASLRT_CMP_NUMERIC_LE, "1.5", "1.5", 1},
    {ASLRT_CMP_NUMERIC_GE, "1.5", "2", 0},
    {ASLRT_CMP_NUMERIC_LT, "-1e300", "-9223372036854775808", 1},
    {ASLRT_CMP_NUMERIC_GT, "1e300", "9223372036854775807", 1},
    /* integers are not rounded to doubles: 2^53 + 1 > 2^53 */
    {ASLRT_CMP_NUMERIC_EQ, "9007199254740993", "9007199254740992.0", 0},
    {ASLRT_CMP_NUMERIC_GT, "9007199254740993", "9007199254740992.0", 1},
    {ASLRT_CMP_NUMERIC_LT, "9007199254740992.0", "9007199254740993", 1},
    {ASLRT_CMP_NUMERIC_EQ, "9007199254740992", "9007199254740992.0", 1},
    {ASLRT_CMP_NUMERIC_LT, "9223372036854775807", "9223372036854775808.0", 1},
    {ASLRT_CMP_NUMERIC_EQ, "-9223372036854775808", "-9223372036854775808.0", 1},
    {ASLRT_CMP_NUMERIC_EQ, "9223372036854775807", "9223372036854775807", 1},
    {ASLRT_CMP_NUMERIC_GT, "9223372036854775807", "-9223372036854775808", 1},
    /* beyond int64 the input is read as a real */
    {ASLRT_CMP_NUMERIC_GT, "100000000000000000000", "9223372036854775807", 1},
    {ASLRT_CMP_NUMERIC_EQ, "100000000000000000000", "1e20", 1},
    {ASLRT_CMP_NUMERIC_EQ, "\"1\"", "1", 0},
    {ASLRT_CMP_NUMERIC_LT, "1", "\"2\"", 0},
    {ASLRT_CMP_NUMERIC_GE, "true", "0", 0},
    {ASLRT_CMP_NUMERIC_LE, "null", "0", 0},

    /* booleans */
    {ASLRT_CMP_BOOLEAN_EQ, "true", "true", 1},
    {ASLRT_CMP_BOOLEAN_EQ, "true", "false", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "false", "true", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "\"true\"", "true", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "true", "\"true\"", 0},
    {ASLRT_CMP_BOOLEAN_EQ, "true", "1", 0},

    /* timestamps compare the instants they name */
    {ASLRT_CMP_TIMESTAMP_EQ, "\"2012-10-09T19:00:55+01:00\"", "\"2012-10-09T18:00:55Z\"", 1},
    {ASLRT_CMP_TIMESTAMP_EQ, "\"2012-10-09T13:30:55-05:30\"", "\"2012-10-09T19:00:55Z\"", 1},
    {ASLRT_CMP_TIMESTAMP_EQ, "\"2012-10-09T19:00:55.000Z\"", "\"2012-10-09T19:00:55Z\"", 1},
    {ASLRT_CMP_TIMESTAMP_EQ, "\"2012-10-09T19:00:55.5Z\"", "\"2012-10-09T19:00:55.500000Z\"", 1},
    {ASLRT_CMP_TIMESTAMP_GT, "\"2012-10-09T19:00:55.000000001Z\"", "\"2012-10-09T19:00:55Z\"", 1},
    {ASLRT_CMP_TIMESTAMP_LT, "\"2012-10-09T19:00:54.999999999Z\"", "\"2012-10-09T19:00:55Z\"", 1},
    {ASLRT_CMP_TIMESTAMP_LT, "\"2012-10-09T19:00:55+01:00\"", "\"2012-10-09T19:00:55Z\"", 1},
    {ASLRT_CMP_TIMESTAMP_GT, "\"2012-10-10T00:00:00+14:00\"", "\"2012-10-09T09:59:59Z\"", 1},
    {ASLRT_CMP_TIMESTAMP_LE, "\"1969-12-31T23:59:59Z\"", "\"1970-01-01T00:00:00Z\"", 1},
    {ASLRT_CMP_TIMESTAMP_GE, "\"2024-02-29T00:00:00Z\"", "\"2024-02-28T23:59:59.999Z\"", 1},
    /* either side not a timestamp: false, never an error */
    {ASLRT_CMP_TIMESTAMP_EQ, "\"2012-10-09T19:00:55\"", "\"2012-10-09T19:00:55Z\"", 0},
    {ASLRT_CMP_TIMESTAMP_LT, "\"2012-10-09T19:00:55Z\"", "\"not a date\"", 0},
    {ASLRT_CMP_TIMESTAMP_GE, "\"2012-10-09T19:00:55Z\"", "\"2012-10-09t19:00:55z\"", 0},
    {ASLRT_CMP_TIMESTAMP_LE, "\"2016-12-05T25:29:29Z\"", "\"2099-01-01T00:00:00Z\"", 0},
    {ASLRT_CMP_TIMESTAMP_EQ, "\"2012-10-09T19:00:55Z\\u0000\"", "\"2012-10-09T19:00:55Z\"", 0},
    {ASLRT_CMP_TIMESTAMP_GT, "1349809255", "\"2012-10-09T19:00:55Z\"", 0},

    /* type tests with their boolean operand */
    {ASLRT_CMP_IS_TIMESTAMP, "\"2012-10-09T19:00:55Z\"", "true", 1},
    {ASLRT_CMP_IS_TIMESTAMP, "\"2012-10-09T19:00:55Z\"", "false", 0},
    {ASLRT_CMP_IS_TIMESTAMP, "\"2012-10-09T19:00:55+01:00\"", "true", 1},
    {ASLRT_CMP_IS_TIMESTAMP, "\"2016-03-05T21:29:29.243167252Z\"", "true", 1},
    {ASLRT_CMP_IS_TIMESTAMP, "\"2012-10-09T19:00:55\"", "true", 0},
    {ASLRT_CMP_IS_TIMESTAMP, "\"2012-10-09T19:00:55\"", "false", 1},
    {ASLRT_CMP_IS_TIMESTAMP, "\"2023-02-24\"", "true", 0},
    {ASLRT_CMP_IS_TIMESTAMP, "\"2023-02-30T00:00:00Z\"", "true", 0},
    {ASLRT_CMP_IS_TIMESTAMP, "\"\"", "false", 1},
    {ASLRT_CMP_IS_TIMESTAMP, "1349809255", "true", 0},
    {ASLRT_CMP_IS_TIMESTAMP, "1349809255", "false", 1},
    {ASLRT_CMP_IS_TIMESTAMP, "null", "false", 1},
    {ASLRT_CMP_IS_TIMESTAMP, "[\"2012-10-09T19:00:55Z\"]", "true", 0},
    {ASLRT_CMP_IS_NUMERIC, "100000000000000000000", "true", 1},
    {ASLRT_CMP_IS_NUMERIC, "-1", "true", 1},
    {ASLRT_CMP_IS_NUMERIC, "\"1\"", "true", 0},
    {ASLRT_CMP_IS_NUMERIC, "\"1\"", "false", 1},
    {ASLRT_CMP_IS_BOOLEAN, "true", "true", 1},
    {ASLRT_CMP_IS_BOOLEAN, "\"true\"", "true", 0},
    {ASLRT_CMP_IS_STRING, "\"\"", "true", 1},
    {ASLRT_CMP_IS_NULL, "null", "false", 0},
    {ASLRT_CMP_IS_NULL, "\"null\"", "true", 0},
    {ASLRT_CMP_IS_PRESENT, "null", "true", 1},
    {ASLRT_CMP_IS_PRESENT, "null", "false", 0},
    /* an operand that is not a boolean never holds */
    {ASLRT_CMP_IS_NULL, "null", "1", 0},
    {ASLRT_CMP_IS_STRING, "\"x\"", "\"true\"", 0},
};

START_TEST(test_more_rows)
{
    check_row(&more_rows[_i]);
}
END_TEST

START_TEST(test_missing_value)
{
    /* The Variable path matched nothing: only IsPresent answers (false
     * presence); every other operator is 0, the caller reports the error. */
    json_t *t = json_true(), *f = json_false();
    ck_assert_int_eq(aslrtp_compare(ASLRT_CMP_IS_PRESENT, NULL, t), 0);
    ck_assert_int_eq(aslrtp_compare(ASLRT_CMP_IS_PRESENT, NULL, f), 1);
    for (int op = ASLRT_CMP_STRING_EQ; op <= ASLRT_CMP_IS_TIMESTAMP; op++) {
        if (op == ASLRT_CMP_IS_PRESENT)
            continue;
        ck_assert_int_eq(aslrtp_compare(op, NULL, t), 0);
        ck_assert_int_eq(aslrtp_compare(op, NULL, f), 0);
    }
    json_t *s = json_string("x");
    ck_assert_int_eq(aslrtp_compare(ASLRT_CMP_STRING_EQ, NULL, s), 0);
    ck_assert_int_eq(aslrtp_compare(ASLRT_CMP_STRING_EQ, s, NULL), 0);
    ck_assert_int_eq(aslrtp_compare(0, s, s), 0);          /* unknown op */
    ck_assert_int_eq(aslrtp_compare(999, s, s), 0);
    json_decref(s);
}
END_TEST

START_TEST(test_every_operator_type_mismatch)
{
    /* every typed operator is false (not an error) on every other type */
    static const char *const values[] = {
        "null", "true", "false", "0", "0.0", "1.1", "\"\"", "\"x\"", "[]", "[1]", "{}",
        "{\"a\":1}", "\"2012-10-09T19:00:55Z\"",
    };
    static const struct {
        int first, last;
        const char *operand;
    } families[] = {
        {ASLRT_CMP_STRING_EQ, ASLRT_CMP_STRING_MATCHES, "\"*\""},
        {ASLRT_CMP_NUMERIC_EQ, ASLRT_CMP_NUMERIC_GE, "0"},
        {ASLRT_CMP_BOOLEAN_EQ, ASLRT_CMP_BOOLEAN_EQ, "true"},
        {ASLRT_CMP_TIMESTAMP_EQ, ASLRT_CMP_TIMESTAMP_GE, "\"2012-10-09T19:00:55Z\""},
    };
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
        json_t *o = parse(families[f].operand);
        for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
            json_t *v = parse(values[i]);
            int same = json_typeof(v) == json_typeof(o) ||
                       (json_is_number(v) && json_is_number(o)) ||
                       (json_is_boolean(v) && json_is_boolean(o));
            if (!same)
                for (int op = families[f].first; op <= families[f].last; op++)
                    ck_assert_msg(aslrtp_compare(op, v, o) == 0 &&
                                      aslrtp_compare(op, o, v) == 0,
                                  "op %d on %s / %s", op, values[i], families[f].operand);
            json_decref(v);
        }
        json_decref(o);
    }
}
END_TEST

/* ==== aslrtp_timestamp_parse ============================================ */

static const struct {
    const char *text;
    long long sec;
    int nsec;
} valid_ts[] = {
    {"1970-01-01T00:00:00Z", 0, 0},
    {"2016-08-18T17:33:00Z", 1471541580, 0},
    {"2012-10-09T19:00:55+01:00", 1349805655, 0},
    {"2012-10-09T19:00:55-05:30", 1349829055, 0},
    {"2012-10-09T19:00:55-00:00", 1349809255, 0},
    {"2012-10-09T19:00:55+01", 1349805655, 0},          /* Java: minutes optional */
    {"2012-10-09T19:00:55+01:00:30", 1349805625, 0},
    {"2012-10-09T19:00:55+18:00", 1349744455, 0},
    {"2016-03-05T21:29:29.243167252Z", 1457213369, 243167252},   /* recorded */
    {"2024-01-01T00:00:00.000000Z", 1704067200, 0},              /* recorded */
    {"2024-01-01T00:00:00.00Z", 1704067200, 0},                  /* recorded */
    {"2016-08-18T17:33:00.5Z", 1471541580, 500000000},
    {"2016-08-18T17:33:00.123Z", 1471541580, 123000000},
    {"2016-08-18T17:33:00.000000001Z", 1471541580, 1},
    {"2016-08-18T17:33:00.Z", 1471541580, 0},            /* as Java */
    {"2016-08-18T17:33Z", 1471541580, 0},                /* seconds optional */
    {"2024-02-29T23:59:59Z", 1709251199, 0},
    {"2000-02-29T00:00:00Z", 951782400, 0},
    {"0000-01-01T00:00:00Z", -62167219200LL, 0},
    {"0001-01-01T00:00:00Z", -62135596800LL, 0},
    {"9999-12-31T23:59:59.999999999Z", 253402300799LL, 999999999},
    {"1969-12-31T23:59:59Z", -1, 0},
};

START_TEST(test_timestamp_valid)
{
    int64_t sec = 42;
    int32_t nsec = 42;
    const char *t = valid_ts[_i].text;
    ck_assert_msg(aslrtp_timestamp_parse(t, &sec, &nsec), "%s rejected", t);
    ck_assert_msg(sec == valid_ts[_i].sec, "%s: %lld", t, (long long)sec);
    ck_assert_int_eq(nsec, valid_ts[_i].nsec);
}
END_TEST

static const char *const invalid_ts[] = {
    /* recorded on AWS as not "ISO-8601 extended offset date-time" */
    "2012-10-09T19:00:55",
    "2024-01-01T00:00:00",
    "2016-12-05 21:29:29Z",
    "2016-12-05T25:29:29Z",
    "2016-13-05T21:29:29Z",
    "05-12-2016T21:29:29Z",
    "2023-02-24",
    "2023-02-24 12:15:56.832957",
    /* impossible dates and times */
    "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2023-02-30T00:00:00Z",
    "2023-04-31T00:00:00Z", "2016-00-05T21:29:29Z", "2016-12-00T21:29:29Z",
    "2016-12-32T00:00:00Z", "2016-08-18T24:00:00Z", "2016-08-18T23:60:00Z",
    "2016-08-18T23:59:60Z",
    /* upper-case T and Z only (ASL spec) */
    "2016-08-18t17:33:00Z", "2016-08-18T17:33:00z",
    /* offsets: +-18:00 at most, two-digit fields, colons */
    "2012-10-09T19:00:55+18:01", "2012-10-09T19:00:55+19:00", "2012-10-09T19:00:55+0100",
    "2012-10-09T19:00:55+1:00", "2012-10-09T19:00:55+01:60", "2012-10-09T19:00:55+01:",
    "2012-10-09T19:00:55+", "2012-10-09T19:00:55 +01:00",
    /* fraction: at most nanoseconds; seconds needed before it */
    "2016-08-18T17:33:00.1234567891Z", "2016-08-18T17:33.5Z",
    /* field widths */
    "2016-8-18T17:33:00Z", "2016-08-18T7:33:00Z", "2016-08-18T17:3:00Z",
    "2016-08-18T17:33:0Z", "16-08-18T17:33:00Z", "+2016-08-18T17:33:00Z",
    /* anything around it */
    "", "Z", "2016-08-18T17:33:00ZZ", "2016-08-18T17:33:00Z ", " 2016-08-18T17:33:00Z",
    "2016-08-18T17:33:00+01:00Z", "2016-08-18T17:33",
};

START_TEST(test_timestamp_invalid)
{
    int64_t sec;
    int32_t nsec;
    ck_assert_msg(!aslrtp_timestamp_parse(invalid_ts[_i], &sec, &nsec), "%s accepted",
                  invalid_ts[_i]);
}
END_TEST

START_TEST(test_timestamp_parse_null_outputs)
{
    ck_assert(aslrtp_timestamp_parse("2016-08-18T17:33:00Z", NULL, NULL));
    ck_assert(!aslrtp_timestamp_parse("2016-08-18T17:33:00", NULL, NULL));
}
END_TEST

/* ==== aslrtp_timestamp_format =========================================== */

static void assert_format(long long ms, const char *expected)
{
    char buf[40];
    aslrtp_timestamp_format(ms, buf, sizeof buf);
    ck_assert_str_eq(buf, expected);
}

START_TEST(test_timestamp_format)
{
    /* Java's Instant.toString, as AWS prints $$.Execution.StartTime:
     * milliseconds when there are some, no fraction when they are 0 */
    assert_format(0, "1970-01-01T00:00:00Z");
    assert_format(1714564800123LL, "2024-05-01T12:00:00.123Z");
    assert_format(1714564800100LL, "2024-05-01T12:00:00.100Z");
    assert_format(1714564800001LL, "2024-05-01T12:00:00.001Z");
    assert_format(1714564800000LL, "2024-05-01T12:00:00Z");
    assert_format(1553631253192LL, "2019-03-26T20:14:13.192Z");   /* AWS docs' example */
    assert_format(1709251199999LL, "2024-02-29T23:59:59.999Z");
    assert_format(-1, "1969-12-31T23:59:59.999Z");
    assert_format(-62135596801000LL, "0000-12-31T23:59:59Z");
    assert_format(253402300800000LL, "+10000-01-01T00:00:00Z");

    /* what is printed reads back as the same instant */
    for (long long ms = -86400123LL; ms < 4102444800000LL; ms += 7777777777LL) {
        char buf[40];
        int64_t sec;
        int32_t nsec;
        aslrtp_timestamp_format(ms, buf, sizeof buf);
        ck_assert_msg(aslrtp_timestamp_parse(buf, &sec, &nsec), "%s", buf);
        ck_assert(sec * 1000 + nsec / 1000000 == ms);
    }

    char small[11];
    aslrtp_timestamp_format(1714564800123LL, small, sizeof small);
    ck_assert_str_eq(small, "2024-05-01");
}
END_TEST

static Suite *choice_suite(void)
{
    Suite *s = suite_create("choice");
    TCase *tc = tcase_create("aws_recorded");
    tcase_add_loop_test(tc, test_aws_recorded, 0, (int)(sizeof aws_rows / sizeof aws_rows[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("compare");
    tcase_add_loop_test(tc, test_more_rows, 0, (int)(sizeof more_rows / sizeof more_rows[0]));
    tcase_add_test(tc, test_missing_value);
    tcase_add_test(tc, test_every_operator_type_mismatch);
    suite_add_tcase(s, tc);

    tc = tcase_create("timestamp");
    tcase_add_loop_test(tc, test_timestamp_valid, 0,
                        (int)(sizeof valid_ts / sizeof valid_ts[0]));
    tcase_add_loop_test(tc, test_timestamp_invalid, 0,
                        (int)(sizeof invalid_ts / sizeof invalid_ts[0]));
    tcase_add_test(tc, test_timestamp_parse_null_outputs);
    tcase_add_test(tc, test_timestamp_format);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = run_suite(choice_suite(), CK_ENV);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * check_intrinsics.c - unit tests for runtime/intrinsics.c: parsing
 * States.* calls (with their compile-time errors and offsets), and every
 * function's results and run-time errors.
 *
 * The first table is every deterministic intrinsic case of the AWS-recorded
 * corpus (tests/conformance/localstack, the intrinsic_functions tests: a
 * Pass state whose Parameters hold one "FunctionResult.$"), copied
 * expression, input and recorded result.  The other expectations come from AWS behaviour
 * measured by third parties (cited where used) or from the Java library
 * AWS's behaviour shows (java.util.Random, HashMap order, ...).
 */
#include <check.h>
#include <ctype.h>
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

/* What the paths of a call see: the state input ($), the context object
 * ($$) and the workflow variables ($name). */
typedef struct world {
    json_t *input;
    json_t *context;
    json_t *vars;
} world;

static json_t *resolve(void *ud, const aslrtp_path *p, char **why, int *owned)
{
    world *w = ud;
    *owned = 1;
    json_t *doc = w->input;
    if (aslrtp_path_root(p) == ASLRTP_ROOT_CONTEXT) {
        doc = w->context;
    } else if (aslrtp_path_root(p) == ASLRTP_ROOT_VAR) {
        doc = w->vars ? json_object_get(w->vars, aslrtp_path_var(p)) : NULL;
        if (!doc) {
            *why = aslrtp_strdupf("Variable '%s' is not defined", aslrtp_path_var(p));
            return NULL;
        }
    }
    return aslrtp_path_get(p, doc, why);
}

static aslrtp_intrinsic *compile_ok(const char *expr)
{
    char *err = NULL;
    size_t off = 0;
    aslrtp_intrinsic *f = aslrtp_intrinsic_compile(expr, &err, &off);
    ck_assert_msg(f != NULL, "%s does not compile: %s (at %zu)", expr, err, off);
    return f;
}

/* Evaluates expr; input is the state input and, as on AWS for the first
 * state, $$.Execution.Input.  Returns a new reference. */
static json_t *eval_in(const char *expr, json_t *input, json_t *vars, aslrt_error *err)
{
    aslrtp_intrinsic *f = compile_ok(expr);
    json_t *ctx = json_pack("{s:{s:O,s:s},s:{s:s,s:s}}", "Execution", "Input", input, "Name",
                            "exec-1", "StateMachine", "Id",
                            "arn:aws:states:us-east-1:111111111111:stateMachine:part1-part2-last",
                            "Name", "part1-part2-last");
    world w = {input, ctx, vars};
    json_t *r = aslrtp_intrinsic_eval(f, resolve, &w, err);
    json_decref(ctx);
    aslrtp_intrinsic_free(f);
    return r;
}

static json_t *eval(const char *expr, const char *input)
{
    json_t *in = J(input);
    aslrt_error err = {0};
    json_t *r = eval_in(expr, in, NULL, &err);
    ck_assert_msg(r != NULL, "%s on %s failed: %s: %s", expr, input, err.error, err.cause);
    json_decref(in);
    return r;
}

/* Evaluates and compares the exact serialization (key order included). */
static void check_eval(const char *expr, const char *input, const char *expected)
{
    json_t *r = eval(expr, input);
    char *s = aslrt_json_dumps(r);
    ck_assert_msg(strcmp(s, expected) == 0, "%s on %s: got %s, want %s", expr, input, s,
                  expected);
    free(s);
    json_decref(r);
}

static void check_eval_fails(const char *expr, const char *input, const char *error,
                             const char *cause)
{
    json_t *in = J(input);
    aslrt_error err = {0};
    json_t *r = eval_in(expr, in, NULL, &err);
    ck_assert_msg(r == NULL, "%s on %s should fail", expr, input);
    ck_assert_str_eq(err.error, error);
    ck_assert_str_eq(err.cause, cause);
    aslrt_error_clear(&err);
    json_decref(in);
}

/* The cause AWS gives every failed call (see intrinsics.c). */
#define INVALID(name) "Invalid arguments in States." name

static void check_invalid(const char *expr, const char *input, const char *cause)
{
    check_eval_fails(expr, input, "States.Runtime", cause);
}

static void check_compile_fails(const char *expr, size_t off_expected, const char *msg)
{
    char *err = NULL;
    size_t off = 12345;
    aslrtp_intrinsic *f = aslrtp_intrinsic_compile(expr, &err, &off);
    ck_assert_msg(f == NULL, "%s should not compile", expr);
    ck_assert_str_eq(err, msg);
    ck_assert_msg(off == off_expected, "%s: error at %zu, want %zu", expr, off, off_expected);
    free(err);
}

/* ==== the corpus ========================================================= */

static const struct {
    const char *expr, *input, *expected;
} corpus[] = {
    /* test_array_2#exec_hist_resp_0 */
    {"States.Array($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":\"\",\"snd\":\"\"}}",
     "[\"\",\"\"]"},
    /* test_array_2#exec_hist_resp_1 */
    {"States.Array($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":\" \",\"snd\":\" \"}}",
     "[\" \",\" \"]"},
    /* test_array_2#exec_hist_resp_2 */
    {"States.Array($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":\"HelloWorld\",\"snd\":\"HelloWorld\"}}",
     "[\"HelloWorld\",\"HelloWorld\"]"},
    /* test_array_2#exec_hist_resp_6 */
    {"States.Array($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":\"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\",\"snd\":\""
     "{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\"}}",
     "[\"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\",\"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}"
     "\"]"},
    /* test_array_2#exec_hist_resp_7 */
    {"States.Array($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":{\"Arg1\":1,\"Arg2\":[]},\"snd\":{\"Arg1\":1,\"Arg"
     "2\":[]}}}",
     "[{\"Arg1\":1,\"Arg2\":[]},{\"Arg1\":1,\"Arg2\":[]}]"},
    /* test_array_contains#exec_hist_resp_1 */
    {"States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[],\"snd\":[]}}",
     "false"},
    /* test_array_contains#exec_hist_resp_2 */
    {"States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[],\"snd\":1}}",
     "false"},
    /* test_array_contains#exec_hist_resp_3 */
    {"States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[[1,2,3],2],\"snd\":null}}",
     "false"},
    /* test_array_contains#exec_hist_resp_5 */
    {"States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[{\"1\":2,\"2\":[]}],\"snd\":[]}}",
     "false"},
    /* test_array_contains#exec_hist_resp_7 */
    {"States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[true,false],\"snd\":true}}",
     "true"},
    /* test_array_contains#exec_hist_resp_8 */
    {"States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[true,false],\"snd\":false}}",
     "true"},
    /* test_array_get_item */
    {"States.ArrayGetItem($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[1,2,3,4,5,6,7,8,9],\"snd\":5}}",
     "6"},
    /* test_array_length */
    {"States.ArrayLength($.FunctionInput)",
     "{\"FunctionInput\":[1,2,3,4,5,6,7,8,9]}",
     "9"},
    /* test_array_partition#exec_hist_resp_1 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[],\"snd\":2}}",
     "[]"},
    /* test_array_partition#exec_hist_resp_10 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[0,1],\"snd\":1}}",
     "[[0],[1]]"},
    /* test_array_partition#exec_hist_resp_11 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[0,1],\"snd\":2}}",
     "[[0,1]]"},
    /* test_array_partition#exec_hist_resp_12 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[0,1],\"snd\":3}}",
     "[[0,1]]"},
    /* test_array_partition#exec_hist_resp_14 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[0,1],\"snd\":5}}",
     "[[0,1]]"},
    /* test_array_partition#exec_hist_resp_15 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[0,1,2],\"snd\":1}}",
     "[[0],[1],[2]]"},
    /* test_array_partition#exec_hist_resp_16 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[0,1,2],\"snd\":2}}",
     "[[0,1],[2]]"},
    /* test_array_partition#exec_hist_resp_17 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[0,1,2],\"snd\":3}}",
     "[[0,1,2]]"},
    /* test_array_partition#exec_hist_resp_18 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[0,1,2],\"snd\":4}}",
     "[[0,1,2]]"},
    /* test_array_partition#exec_hist_resp_19 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[0,1,2],\"snd\":5}}",
     "[[0,1,2]]"},
    /* test_array_partition#exec_hist_resp_2 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[],\"snd\":3}}",
     "[]"},
    /* test_array_partition#exec_hist_resp_20 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[0,1,2,3],\"snd\":1}}",
     "[[0],[1],[2],[3]]"},
    /* test_array_partition#exec_hist_resp_21 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[0,1,2,3],\"snd\":2}}",
     "[[0,1],[2,3]]"},
    /* test_array_partition#exec_hist_resp_22 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[0,1,2,3],\"snd\":3}}",
     "[[0,1,2],[3]]"},
    /* test_array_partition#exec_hist_resp_23 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[0,1,2,3],\"snd\":4}}",
     "[[0,1,2,3]]"},
    /* test_array_partition#exec_hist_resp_24 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[0,1,2,3],\"snd\":5}}",
     "[[0,1,2,3]]"},
    /* test_array_partition#exec_hist_resp_3 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[],\"snd\":4}}",
     "[]"},
    /* test_array_partition#exec_hist_resp_4 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[],\"snd\":5}}",
     "[]"},
    /* test_array_partition#exec_hist_resp_5 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[0],\"snd\":1}}",
     "[[0]]"},
    /* test_array_partition#exec_hist_resp_6 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[0],\"snd\":2}}",
     "[[0]]"},
    /* test_array_partition#exec_hist_resp_7 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[0],\"snd\":3}}",
     "[[0]]"},
    /* test_array_partition#exec_hist_resp_8 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[0],\"snd\":4}}",
     "[[0]]"},
    /* test_array_partition#exec_hist_resp_9 */
    {"States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":[0],\"snd\":5}}",
     "[[0]]"},
    /* test_array_range#exec_hist_resp_0 */
    {"States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.tr"
     "d)",
     "{\"FunctionInput\":{\"fst\":0,\"snd\":9,\"trd\":3}}",
     "[0,3,6,9]"},
    /* test_array_range#exec_hist_resp_1 */
    {"States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.tr"
     "d)",
     "{\"FunctionInput\":{\"fst\":0,\"snd\":10,\"trd\":3}}",
     "[0,3,6,9]"},
    /* test_array_range#exec_hist_resp_2 */
    {"States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.tr"
     "d)",
     "{\"FunctionInput\":{\"fst\":1,\"snd\":9,\"trd\":9}}",
     "[1]"},
    /* test_array_unique */
    {"States.ArrayLength($.FunctionInput)",
     "{\"FunctionInput\":[null,null,true,true,false,false,1,1,1.1,0,0,\"HelloWorld\""
     ",\"HelloWorld\",[],[],[null],[null],{\"a\":1,\"b\":2},{\"a\":1,\"b\":2},{\"a\""
     ":1,\"b\":1}]}",
     "20"},
    /* test_base_64_decode#exec_hist_resp_0 */
    {"States.Base64Decode($.FunctionInput)",
     "{\"FunctionInput\":\"\"}",
     "\"\""},
    /* test_base_64_encode#exec_hist_resp_0 */
    {"States.Base64Encode($.FunctionInput)",
     "{\"FunctionInput\":\"\"}",
     "\"\""},
    /* test_escape_sequence */
    {"States.StringSplit('Hello\nWorld', '\n')",
     "{\"FunctionInput\":null}",
     "[\"Hello\",\"World\"]"},
    /* test_format_1#exec_hist_resp_0 */
    {"States.Format('Formatting argument {}.', $.FunctionInput)",
     "{\"FunctionInput\":\"\"}",
     "\"Formatting argument .\""},
    /* test_format_1#exec_hist_resp_1 */
    {"States.Format('Formatting argument {}.', $.FunctionInput)",
     "{\"FunctionInput\":\" \"}",
     "\"Formatting argument  .\""},
    /* test_format_1#exec_hist_resp_2 */
    {"States.Format('Formatting argument {}.', $.FunctionInput)",
     "{\"FunctionInput\":\"HelloWorld\"}",
     "\"Formatting argument HelloWorld.\""},
    /* test_format_1#exec_hist_resp_3 */
    {"States.Format('Formatting argument {}.', $.FunctionInput)",
     "{\"FunctionInput\":null}",
     "\"Formatting argument null.\""},
    /* test_format_1#exec_hist_resp_4 */
    {"States.Format('Formatting argument {}.', $.FunctionInput)",
     "{\"FunctionInput\":1}",
     "\"Formatting argument 1.\""},
    /* test_format_1#exec_hist_resp_5 */
    {"States.Format('Formatting argument {}.', $.FunctionInput)",
     "{\"FunctionInput\":1.1}",
     "\"Formatting argument 1.1.\""},
    /* test_format_1#exec_hist_resp_6 */
    {"States.Format('Formatting argument {}.', $.FunctionInput)",
     "{\"FunctionInput\":\"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\"}",
     "\"Formatting argument {\\\"Arg1\\\": 1, \\\"Arg2\\\": []}.\""},
    /* test_format_2#exec_hist_resp_0 */
    {"States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, "
     "$.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":\"\",\"snd\":\"\"}}",
     "\"Formatting arguments fst= and snd=.\""},
    /* test_format_2#exec_hist_resp_1 */
    {"States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, "
     "$.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":\" \",\"snd\":\" \"}}",
     "\"Formatting arguments fst=  and snd= .\""},
    /* test_format_2#exec_hist_resp_2 */
    {"States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, "
     "$.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":\"HelloWorld\",\"snd\":\"HelloWorld\"}}",
     "\"Formatting arguments fst=HelloWorld and snd=HelloWorld.\""},
    /* test_format_2#exec_hist_resp_3 */
    {"States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, "
     "$.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":null,\"snd\":null}}",
     "\"Formatting arguments fst=null and snd=null.\""},
    /* test_format_2#exec_hist_resp_4 */
    {"States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, "
     "$.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":1,\"snd\":1}}",
     "\"Formatting arguments fst=1 and snd=1.\""},
    /* test_format_2#exec_hist_resp_5 */
    {"States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, "
     "$.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":1.1,\"snd\":1.1}}",
     "\"Formatting arguments fst=1.1 and snd=1.1.\""},
    /* test_format_2#exec_hist_resp_6 */
    {"States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, "
     "$.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":\"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\",\"snd\":\""
     "{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\"}}",
     "\"Formatting arguments fst={\\\"Arg1\\\": 1, \\\"Arg2\\\": []} and snd={\\\"Ar"
     "g1\\\": 1, \\\"Arg2\\\": []}.\""},
    /* test_format_2#exec_hist_resp_7 */
    {"States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, "
     "$.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":{\"Arg1\":1,\"Arg2\":[]},\"snd\":{\"Arg1\":1,\"Arg"
     "2\":[]}}}",
     "\"Formatting arguments fst={Arg1=1, Arg2=[]} and snd={Arg1=1, Arg2=[]}.\""},
    /* test_hash#exec_hist_resp_0 */
    {"States.Hash($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":\"input data\",\"snd\":\"MD5\"}}",
     "\"812f45842bc6d66ee14572ce20db8e86\""},
    /* test_hash#exec_hist_resp_1 */
    {"States.Hash($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":\"input data\",\"snd\":\"SHA-1\"}}",
     "\"aaff4a450a104cd177d28d18d74485e8cae074b7\""},
    /* test_hash#exec_hist_resp_2 */
    {"States.Hash($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":\"input data\",\"snd\":\"SHA-256\"}}",
     "\"b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3\""},
    /* test_hash#exec_hist_resp_3 */
    {"States.Hash($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":\"input data\",\"snd\":\"SHA-384\"}}",
     "\"d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835e"
     "bb27e1fb9e9374a15562\""},
    /* test_hash#exec_hist_resp_4 */
    {"States.Hash($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":\"input data\",\"snd\":\"SHA-512\"}}",
     "\"6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf295"
     "4f0f1d593fc50283731a533d30d425402d4f91316d871303aac4\""},
    /* test_json_to_string#exec_hist_resp_0 */
    {"States.JsonToString($.FunctionInput)",
     "{\"FunctionInput\":null}",
     "\"null\""},
    /* test_json_to_string#exec_hist_resp_1 */
    {"States.JsonToString($.FunctionInput)",
     "{\"FunctionInput\":0}",
     "\"0\""},
    /* test_json_to_string#exec_hist_resp_2 */
    {"States.JsonToString($.FunctionInput)",
     "{\"FunctionInput\":1}",
     "\"1\""},
    /* test_json_to_string#exec_hist_resp_3 */
    {"States.JsonToString($.FunctionInput)",
     "{\"FunctionInput\":1.1}",
     "\"1.1\""},
    /* test_json_to_string#exec_hist_resp_4 */
    {"States.JsonToString($.FunctionInput)",
     "{\"FunctionInput\":true}",
     "\"true\""},
    /* test_json_to_string#exec_hist_resp_5 */
    {"States.JsonToString($.FunctionInput)",
     "{\"FunctionInput\":\"HelloWorld\"}",
     "\"\\\"HelloWorld\\\"\""},
    /* test_json_to_string#exec_hist_resp_6 */
    {"States.JsonToString($.FunctionInput)",
     "{\"FunctionInput\":[1,2,\"HelloWorld\"]}",
     "\"[1,2,\\\"HelloWorld\\\"]\""},
    /* test_json_to_string#exec_hist_resp_7 */
    {"States.JsonToString($.FunctionInput)",
     "{\"FunctionInput\":{\"Arg1\":1,\"Arg2\":[]}}",
     "\"{\\\"Arg1\\\":1,\\\"Arg2\\\":[]}\""},
    /* test_string_to_json#exec_hist_resp_0 */
    {"States.StringToJson($.FunctionInput)",
     "{\"FunctionInput\":\"\"}",
     "null"},
    /* test_string_to_json#exec_hist_resp_1 */
    {"States.StringToJson($.FunctionInput)",
     "{\"FunctionInput\":\" \"}",
     "null"},
    /* test_string_to_json#exec_hist_resp_2 */
    {"States.StringToJson($.FunctionInput)",
     "{\"FunctionInput\":\"null\"}",
     "null"},
    /* test_string_to_json#exec_hist_resp_3 */
    {"States.StringToJson($.FunctionInput)",
     "{\"FunctionInput\":\"-0\"}",
     "0"},
    /* test_string_to_json#exec_hist_resp_4 */
    {"States.StringToJson($.FunctionInput)",
     "{\"FunctionInput\":\"1\"}",
     "1"},
    /* test_string_to_json#exec_hist_resp_5 */
    {"States.StringToJson($.FunctionInput)",
     "{\"FunctionInput\":\"1.1\"}",
     "1.1"},
    /* test_string_to_json#exec_hist_resp_6 */
    {"States.StringToJson($.FunctionInput)",
     "{\"FunctionInput\":\"true\"}",
     "true"},
    /* test_string_to_json#exec_hist_resp_7 */
    {"States.StringToJson($.FunctionInput)",
     "{\"FunctionInput\":\"\\\"HelloWorld\\\"\"}",
     "\"HelloWorld\""},
    /* test_string_to_json#exec_hist_resp_8 */
    {"States.StringToJson($.FunctionInput)",
     "{\"FunctionInput\":\"[1, 2, \\\"HelloWorld\\\"]\"}",
     "[1,2,\"HelloWorld\"]"},
    /* test_string_to_json#exec_hist_resp_9 */
    {"States.StringToJson($.FunctionInput)",
     "{\"FunctionInput\":\"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\"}",
     "{\"Arg1\":1,\"Arg2\":[]}"},
    /* test_math_add#exec_hist_resp_1 */
    {"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":1.49,\"snd\":1.5}}",
     "3"},
    /* test_math_add#exec_hist_resp_10 */
    {"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":-1.5,\"snd\":0}}",
     "-1"},
    /* test_math_add#exec_hist_resp_11 */
    {"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":-1.51,\"snd\":0}}",
     "-2"},
    /* test_math_add#exec_hist_resp_12 */
    {"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":0.5,\"snd\":0}}",
     "1"},
    /* test_math_add#exec_hist_resp_13 */
    {"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":1.5,\"snd\":0}}",
     "2"},
    /* test_math_add#exec_hist_resp_14 */
    {"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":2.5,\"snd\":0}}",
     "3"},
    /* test_math_add#exec_hist_resp_15 */
    {"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":3.5,\"snd\":0}}",
     "4"},
    /* test_math_add#exec_hist_resp_16 */
    {"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":-0.5,\"snd\":0.5}}",
     "1"},
    /* test_math_add#exec_hist_resp_17 */
    {"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":-0.5,\"snd\":0}}",
     "0"},
    /* test_math_add#exec_hist_resp_19 */
    {"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":-2.5,\"snd\":0}}",
     "-2"},
    /* test_math_add#exec_hist_resp_2 */
    {"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":1.5,\"snd\":1.51}}",
     "4"},
    /* test_math_add#exec_hist_resp_20 */
    {"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":-3.5,\"snd\":0}}",
     "-3"},
    /* test_math_add#exec_hist_resp_3 */
    {"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":-1.49,\"snd\":-1.5}}",
     "-2"},
    /* test_math_add#exec_hist_resp_4 */
    {"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":-1.5,\"snd\":-1.51}}",
     "-3"},
    /* test_math_add#exec_hist_resp_9 */
    {"States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":-1.49,\"snd\":0}}",
     "-1"},
    /* test_string_split_context_object */
    {"States.StringSplit($$.Execution.Input.FunctionInput, ',')",
     "{\"FunctionInput\":\"Value1,Value2,Value3\\nValue4,Value5,Value6\\n,,,\\ntrue,"
     "1,'HelloWorld'\\nNull,None,\\n   \\n\"}",
     "[\"Value1\",\"Value2\",\"Value3\\nValue4\",\"Value5\",\"Value6\\n\",\"\\ntrue"
     "\",\"1\",\"'HelloWorld'\\nNull\",\"None\",\"\\n   \\n\"]"},
    /* test_string_split#exec_hist_resp_0 */
    {"States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":\" \",\"snd\":\",\"}}",
     "[\" \"]"},
    /* test_string_split#exec_hist_resp_2 */
    {"States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":\", , ,\",\"snd\":\",\"}}",
     "[\" \",\" \"]"},
    /* test_string_split#exec_hist_resp_3 */
    {"States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":\",,,,\",\"snd\":\",\"}}",
     "[]"},
    /* test_string_split#exec_hist_resp_4 */
    {"States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":\"1,2,3,4,5\",\"snd\":\",\"}}",
     "[\"1\",\"2\",\"3\",\"4\",\"5\"]"},
    /* test_string_split#exec_hist_resp_5 */
    {"States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":\"This.is+a,test=string\",\"snd\":\".+,=\"}}",
     "[\"This\",\"is\",\"a\",\"test\",\"string\"]"},
    /* test_string_split#exec_hist_resp_6 */
    {"States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)",
     "{\"FunctionInput\":{\"fst\":\"split on T and \\nnew line\",\"snd\":\"T\\n\"}}",
     "[\"split on \",\" and \",\"new line\"]"},
};

START_TEST(test_corpus)
{
    json_t *r = eval(corpus[_i].expr, corpus[_i].input);
    json_t *want = J(corpus[_i].expected);
    char *got = aslrt_json_dumps(r);
    ck_assert_msg(json_equal(r, want), "%s on %s: got %s, want %s", corpus[_i].expr,
                  corpus[_i].input, got, corpus[_i].expected);
    free(got);
    json_decref(want);
    json_decref(r);
}
END_TEST

/* ==== parsing ============================================================ */

START_TEST(test_like)
{
    ck_assert(aslrtp_intrinsic_like("States.UUID()"));
    ck_assert(aslrtp_intrinsic_like("States.Nope(1)"));
    ck_assert(!aslrtp_intrinsic_like("States.UUID"));
    ck_assert(!aslrtp_intrinsic_like("States.(1)"));
    ck_assert(!aslrtp_intrinsic_like("$.a"));
    ck_assert(!aslrtp_intrinsic_like(" States.UUID()"));
    ck_assert(!aslrtp_intrinsic_like("states.UUID()"));
}
END_TEST

START_TEST(test_literals)
{
    check_eval("States.Array()", "{}", "[]");
    check_eval("States.Array('a', 1, -2.5, 1e3, null, true, false)", "{}",
               "[\"a\",1,-2.5,1000.0,null,true,false]");
    check_eval("States.Array( 'x' ,2 )", "{}", "[\"x\",2]");
    check_eval("States.Array(9223372036854775807, 12345678901234567890)", "{}",
               "[9223372036854775807,1.2345678901234567E19]");
    /* the escapes AWS allows in a literal: \' \{ \} \\ */
    check_eval("States.Array('it\\'s', '\\{\\}', 'a\\\\b', '{\"k\": [1]}')", "{}",
               "[\"it's\",\"{}\",\"a\\\\b\",\"{\\\"k\\\": [1]}\"]");
    /* corpus (test_escape_sequence): a raw newline inside a literal */
    check_eval("States.StringSplit('Hello\nWorld', '\n')", "{}", "[\"Hello\",\"World\"]");
    check_eval("States.Array('\xC3\xA9')", "{}", "[\"\xC3\xA9\"]");
}
END_TEST

START_TEST(test_paths_and_nesting)
{
    check_eval("States.Array($.a['b c'][1], $$.Execution.Name, $.l[?(@.k > 1)].k, $)",
               "{\"a\":{\"b c\":[0,5]},\"l\":[{\"k\":1},{\"k\":2}]}",
               "[5,\"exec-1\",[2],{\"a\":{\"b c\":[0,5]},\"l\":[{\"k\":1},{\"k\":2}]}]");
    check_eval("States.Array($.a[0,1])", "{\"a\":[1,2,3]}", "[[1,2]]");

    /* corpus (test_nested_calls_1/2) with the state machine "part1-part2-last" */
    check_eval("States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), 0)", "{}",
               "\"part1\"");
    check_eval("States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), "
               "States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, "
               "'-')), -1))",
               "{}", "\"last\"");

    /* corpus (BASE_REFERENCE_IN_INTRINSIC_FUNCTION): variables as arguments */
    json_t *in = json_object();
    json_t *vars = J("{\"name\":\"John\",\"place\":\"LocalStack\",\"json1\":{\"a\":1,\"b\":2},"
                     "\"json2\":{\"c\":3,\"d\":4},\"value1\":5,\"value2\":3}");
    aslrt_error err = {0};
    json_t *r = eval_in("States.Format('Hello {}, welcome to {}!', $name, $place)", in, vars,
                        &err);
    ck_assert_str_eq(json_string_value(r), "Hello John, welcome to LocalStack!");
    json_decref(r);
    r = eval_in("States.MathAdd($value1, $value2)", in, vars, &err);
    ck_assert_int_eq((int)json_integer_value(r), 8);
    json_decref(r);
    r = eval_in("States.JsonMerge($json1, $json2, false)", in, vars, &err);
    char *s = aslrt_json_dumps(r);
    ck_assert_str_eq(s, "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}");
    free(s);
    json_decref(r);
    json_decref(vars);
    json_decref(in);

    /* ten levels deep is the limit */
    char deep[512] = "";
    for (int i = 0; i < 10; i++)
        strcat(deep, "States.Array(");
    for (int i = 0; i < 10; i++)
        strcat(deep, ")");
    check_eval(deep, "{}", "[[[[[[[[[[]]]]]]]]]]");
}
END_TEST

START_TEST(test_path_argument_missing)
{
    /* the resolver's reason is the cause (the caller knows the field) */
    check_eval_fails("States.Array($.missing)", "{}", "States.Runtime",
                     "No results for path: $['missing']");
    check_eval_fails("States.Format('{}', $.a.b)", "{}", "States.Runtime",
                     "Missing property in path $['a']");
    check_eval_fails("States.MathAdd(States.ArrayLength($.x), 1)", "{}", "States.Runtime",
                     "No results for path: $['x']");
}
END_TEST

START_TEST(test_compile_errors)
{
    check_compile_fails("States.Foo()", 0, "Unknown intrinsic function 'States.Foo'");
    check_compile_fails("States.Array(States.format('x'))", 13,
                        "Unknown intrinsic function 'States.format'");
    check_compile_fails("States.UUID", 0,
                        "Expected an intrinsic function call States.Name(...)");
    check_compile_fails("States.MathAdd(1)", 0, "States.MathAdd takes 2 arguments, not 1");
    check_compile_fails("States.UUID(1)", 0, "States.UUID takes 0 arguments, not 1");
    check_compile_fails("States.StringToJson()", 0,
                        "States.StringToJson takes 1 argument, not 0");
    check_compile_fails("States.MathRandom(1)", 0,
                        "States.MathRandom takes 2 to 3 arguments, not 1");
    check_compile_fails("States.Format()", 0, "States.Format takes at least 1 argument, not 0");
    check_compile_fails("States.Array(States.MathAdd(1, 2, 3))", 13,
                        "States.MathAdd takes 2 arguments, not 3");

    check_compile_fails("States.MathAdd('a', 1)", 15,
                        "Argument 1 of States.MathAdd must be a number, not a string");
    check_compile_fails("States.MathAdd(1, null)", 18,
                        "Argument 2 of States.MathAdd must be a number, not null");
    check_compile_fails("States.ArrayLength('abc')", 19,
                        "Argument 1 of States.ArrayLength must be an array (a path or an "
                        "intrinsic function call), not a string");
    check_compile_fails("States.JsonMerge($.a, 1, false)", 22,
                        "Argument 2 of States.JsonMerge must be an object (a path or an "
                        "intrinsic function call), not a number");
    check_compile_fails("States.Base64Encode(123)", 20,
                        "Argument 1 of States.Base64Encode must be a string, not a number");
    check_compile_fails("States.JsonMerge($.a, $.b, true)", 27,
                        "States.JsonMerge does not support deep merging: its third argument "
                        "must be false");
    check_compile_fails("States.Hash('x', 'SHA256')", 17,
                        "Unsupported hash algorithm 'SHA256': use MD5, SHA-1, SHA-256, "
                        "SHA-384 or SHA-512");
    check_compile_fails("States.Hash('x', 1)", 17,
                        "Argument 2 of States.Hash must be a string, not a number");

    check_compile_fails("States.Format('{} {}', $.a)", 14,
                        "States.Format: the template has 2 '{}' but 1 argument follows it");
    check_compile_fails("States.Format('{}')", 14,
                        "States.Format: the template has 1 '{}' but 0 arguments follow it");
    check_compile_fails("States.Format('Hello {', $.a)", 14,
                        "States.Format: the template has a '{' that does not open a '{}'");
    check_compile_fails("States.Format('Hello {{}}', $.a)", 14,
                        "States.Format: the template has a '{' that does not open a '{}'");
    check_compile_fails("States.Format('}')", 14,
                        "States.Format: the template has a '}' that does not close a '{}'");

    /* corpus, invalid/: AWS refuses \" inside a literal */
    check_compile_fails("States.Format('He said, \\\"Hello, {}!\\\"', 'Test \\\"Name\\\" Here')",
                        24,
                        "Invalid escape sequence '\\\"' in a string literal: only \\', \\{, "
                        "\\} and \\\\ are allowed");
    check_compile_fails("States.StringToJson('{\"text\":\"An \\\"escaped double quote\\\" "
                        "here\"}')",
                        33,
                        "Invalid escape sequence '\\\"' in a string literal: only \\', \\{, "
                        "\\} and \\\\ are allowed");
    check_compile_fails("States.Array('a\\nb')", 15,
                        "Invalid escape sequence '\\n' in a string literal: only \\', \\{, \\} "
                        "and \\\\ are allowed");
    check_compile_fails("States.Array('abc", 13, "Unterminated string literal");
    check_compile_fails("States.Array('abc\\", 17, "Unterminated escape sequence");

    check_compile_fails("States.Array(1,)", 15,
                        "Unexpected character ')': an argument must be a 'string', a number, "
                        "null, true, false, a path or an intrinsic function call");
    check_compile_fails("States.Array(tru)", 13,
                        "Unexpected character 't': an argument must be a 'string', a number, "
                        "null, true, false, a path or an intrinsic function call");
    check_compile_fails("States.Array(1 2)", 15, "Expected ',' or ')' after an argument");
    check_compile_fails("States.Array(1", 14,
                        "Missing ')' at the end of the intrinsic function call");
    check_compile_fails("States.Array(1.)", 13, "Invalid number literal");
    check_compile_fails("States.Array(1x)", 13, "Invalid number literal");
    check_compile_fails("States.Array(1e999)", 13, "Number literal out of range");
    check_compile_fails("States.UUID() x", 14,
                        "Unexpected text after the intrinsic function call");
    check_compile_fails("States.Array($..)", 14,
                        "Invalid path '$..': Path must not end with a '.' or '..'");
    check_compile_fails("States.Array(States.UUID)", 13,
                        "Expected '(' after the intrinsic function name");

    char deep[512] = "";
    for (int i = 0; i < 11; i++)
        strcat(deep, "States.Array(");
    for (int i = 0; i < 11; i++)
        strcat(deep, ")");
    check_compile_fails(deep, 130, "Intrinsic functions cannot be nested more than 10 levels "
                                   "deep");
}
END_TEST

/* ==== the functions ====================================================== */

START_TEST(test_format)
{
    check_eval("States.Format('Hello {}', $.name)", "{\"name\":\"Ada\"}", "\"Hello Ada\"");
    check_eval("States.Format('{} {} {} {}', 'x', 2, true, null)", "{}", "\"x 2 true null\"");
    check_eval("States.Format('no placeholders')", "{}", "\"no placeholders\"");
    check_eval("States.Format('  {}  ', $.a)", "{\"a\":\"x\"}", "\"  x  \"");
    check_eval("States.Format('\\{\\} {} \\\\ \\'', 'a')", "{}", "\"{} a \\\\ '\"");
    check_eval("States.Format($.t, $.n)", "{\"t\":\"Hello {}\",\"n\":\"Ada\"}",
               "\"Hello Ada\"");
    /* Java's toString of what paths read: Map and List style, nested too */
    check_eval("States.Format('{}|{}', $.o, $.l)",
               "{\"o\":{\"k\":\"v\",\"n\":{\"m\":[1,null]}},\"l\":[1,\"x\",{\"k\":null},[]]}",
               "\"{k=v, n={m=[1, null]}}|[1, x, {k=null}, []]\"");
    check_eval("States.Format('{} {} {}', $.a, $.b, $.c)", "{\"a\":1e20,\"b\":0.5,\"c\":-0.0}",
               "\"1.0E20 0.5 -0.0\"");
    /* a StringToJson result is a Jackson node: it prints as JSON (AWS
     * renders Format('{}', StringToJson('"x"')) differently from x) */
    check_eval("States.Format('{}', States.StringToJson('\"x\"'))", "{}", "\"\\\"x\\\"\"");
    check_eval("States.Format('{}', States.StringToJson('{\"a\": [1, 2]}'))", "{}",
               "\"{\\\"a\\\":[1,2]}\"");
    check_eval("States.Format('{}', States.Array(1, 'a'))", "{}", "\"[1, a]\"");
    check_eval("States.Format('<{}>', States.Format('{}', 'x'))", "{}", "\"<x>\"");
    check_eval("States.Format('arn:{}:{}', $.svc, States.JsonToString($.obj))",
               "{\"svc\":\"lambda\",\"obj\":{\"k\":1}}", "\"arn:lambda:{\\\"k\\\":1}\"");
    /* corpus (test_context_json_path), with our context object */
    check_eval("States.Format('Formatting arguments fst={} and snd={}.', $$.Execution.Name, "
               "$$.StateMachine)",
               "{}",
               "\"Formatting arguments fst=exec-1 and snd={Id=arn:aws:states:us-east-1:"
               "111111111111:stateMachine:part1-part2-last, Name=part1-part2-last}.\"");

    check_invalid("States.Format($.t, 'a')", "{\"t\":123}", INVALID("Format"));
    check_invalid("States.Format($.t, 'a')", "{\"t\":\"{} {}\"}", INVALID("Format"));
    check_invalid("States.Format($.t)", "{\"t\":\"a { b\"}", INVALID("Format"));
}
END_TEST

START_TEST(test_string_to_json)
{
    check_eval("States.StringToJson($.s)", "{\"s\":\" {\\\"a\\\":1} \"}", "{\"a\":1}");
    check_eval("States.StringToJson($.s)", "{\"s\":\"\\t\\r\\n\"}", "null");
    check_eval("States.StringToJson($.s)", "{\"s\":\"{\\\"a\\\":\\\"it's\\\"}\"}",
               "{\"a\":\"it's\"}");
    check_eval("States.StringToJson(States.JsonToString($.o))",
               "{\"o\":{\"a\":1,\"n\":{\"ok\":true}}}", "{\"a\":1,\"n\":{\"ok\":true}}");
    check_eval("States.StringToJson('[1.0, 1e2]')", "{}", "[1.0,100.0]");
    check_invalid("States.StringToJson($.s)", "{\"s\":\"{bad json}\"}", INVALID("StringToJson"));
    check_invalid("States.StringToJson($.s)", "{\"s\":\"{\\\"a\\\":1\"}", INVALID("StringToJson"));
    check_invalid("States.StringToJson($.s)", "{\"s\":\"undefined\"}", INVALID("StringToJson"));
    check_invalid("States.StringToJson($.s)", "{\"s\":123}", INVALID("StringToJson"));
    check_invalid("States.StringToJson($.s)", "{\"s\":{\"a\":1}}", INVALID("StringToJson"));
    check_invalid("States.StringToJson($.s)", "{\"s\":[1,2]}", INVALID("StringToJson"));
}
END_TEST

START_TEST(test_json_to_string)
{
    check_eval("States.JsonToString($.v)", "{\"v\":{\"b\":[1,2.5,\"x\"],\"a\":null}}",
               "\"{\\\"b\\\":[1,2.5,\\\"x\\\"],\\\"a\\\":null}\"");
    check_eval("States.JsonToString($.v)", "{\"v\":1.0}", "\"1.0\"");
    check_eval("States.JsonToString('a\"b')", "{}", "\"\\\"a\\\\\\\"b\\\"\"");
    check_eval("States.Format('probe={}', States.JsonToString($.probe))",
               "{\"probe\":[null,\"\",\" \",0,1,true,false,[0,1,false]]}",
               "\"probe=[null,\\\"\\\",\\\" \\\",0,1,true,false,[0,1,false]]\"");
}
END_TEST

START_TEST(test_array_functions)
{
    /* ArrayPartition truncates the size (AWS: 2.6 gives chunks of 2) */
    check_eval("States.ArrayPartition($.a, 4)", "{\"a\":[1,2,3,4,5,6,7,8,9]}",
               "[[1,2,3,4],[5,6,7,8],[9]]");
    check_eval("States.ArrayPartition($.a, 2.6)", "{\"a\":[1,2,3,4,5]}", "[[1,2],[3,4],[5]]");
    check_eval("States.ArrayPartition($.a, 2147483647)", "{\"a\":[1,2,3]}", "[[1,2,3]]");
    check_eval("States.ArrayPartition(States.Array(1,2,3,4,5), 2)", "{}", "[[1,2],[3,4],[5]]");
    check_invalid("States.ArrayPartition($.a, 0)", "{\"a\":[1]}", INVALID("ArrayPartition"));
    check_invalid("States.ArrayPartition($.a, 0.6)", "{\"a\":[1]}", INVALID("ArrayPartition"));
    check_invalid("States.ArrayPartition($.a, -0.4)", "{\"a\":[1]}", INVALID("ArrayPartition"));
    check_invalid("States.ArrayPartition($.a, -1)", "{\"a\":[1]}", INVALID("ArrayPartition"));
    check_invalid("States.ArrayPartition($.a, $.n)", "{\"a\":[1],\"n\":\"2\"}",
                  INVALID("ArrayPartition"));
    check_invalid("States.ArrayPartition($.s, 2)", "{\"s\":\"abc\"}", INVALID("ArrayPartition"));

    /* ArrayContains: Java equality, objects compared as maps */
    check_eval("States.ArrayContains($.a, $.v)", "{\"a\":[{\"x\":1,\"y\":[2]}],\"v\":{\"y\":[2],"
               "\"x\":1}}", "true");
    check_eval("States.ArrayContains($.a, $.v)", "{\"a\":[[1,2]],\"v\":[2,1]}", "false");
    check_eval("States.ArrayContains($.a, 1)", "{\"a\":[1.0]}", "false");
    check_eval("States.ArrayContains($.a, null)", "{\"a\":[1,null]}", "true");
    check_invalid("States.ArrayContains($.a, 1)", "{\"a\":{}}", INVALID("ArrayContains"));

    /* ArrayRange truncates its arguments (AWS: (1.6, 1.4, 1) is [1]) */
    check_eval("States.ArrayRange(1, 9, 2)", "{}", "[1,3,5,7,9]");
    check_eval("States.ArrayRange(-2, 2, 2)", "{}", "[-2,0,2]");
    check_eval("States.ArrayRange(5, 1, -2)", "{}", "[5,3,1]");
    check_eval("States.ArrayRange(3, 3, -1)", "{}", "[3]");
    check_eval("States.ArrayRange(5, 1, 1)", "{}", "[]");
    check_eval("States.ArrayRange(1, 5, -1)", "{}", "[]");
    check_eval("States.ArrayRange(1.4, 5.6, 2.2)", "{}", "[1,3,5]");
    check_eval("States.ArrayRange(1.6, 1.4, 1)", "{}", "[1]");
    check_eval("States.ArrayRange(5.4, -0.6, -2.4)", "{}", "[5,3,1]");
    json_t *r = eval("States.ArrayRange(1, 1000, 1)", "{}");
    ck_assert_int_eq((int)json_array_size(r), 1000);
    ck_assert_int_eq((int)json_integer_value(json_array_get(r, 999)), 1000);
    json_decref(r);
    r = eval("States.ArrayRange(1000, 1, -1)", "{}");
    ck_assert_int_eq((int)json_array_size(r), 1000);
    json_decref(r);
    check_invalid("States.ArrayRange(1, 1001, 1)", "{}", INVALID("ArrayRange"));
    check_invalid("States.ArrayRange(1001, 1, -1)", "{}", INVALID("ArrayRange"));
    check_invalid("States.ArrayRange(1, 10, 0)", "{}", INVALID("ArrayRange"));
    check_invalid("States.ArrayRange(1, 10, 0.49)", "{}", INVALID("ArrayRange"));
    check_invalid("States.ArrayRange($.a, 5, 1)", "{\"a\":\"a\"}", INVALID("ArrayRange"));
    check_invalid("States.ArrayRange(0, $.b, 1)", "{\"b\":3000000000}", INVALID("ArrayRange"));

    /* ArrayGetItem (third-party AWS runs): truncates; null on an empty array */
    check_eval("States.ArrayGetItem($.a, 1.2)", "{\"a\":[10,20,30]}", "20");
    check_eval("States.ArrayGetItem($.a, 0)", "{\"a\":[null]}", "null");
    check_eval("States.ArrayGetItem($.a, 1)", "{\"a\":[{\"a\":1},{\"b\":2}]}", "{\"b\":2}");
    check_eval("States.ArrayGetItem(States.Array('x', 'y', 'z'), 1)", "{}", "\"y\"");
    check_eval("States.ArrayGetItem($.a, 999)", "{\"a\":[]}", "null");
    check_invalid("States.ArrayGetItem($.a, 3)", "{\"a\":[10,20,30]}", INVALID("ArrayGetItem"));
    check_invalid("States.ArrayGetItem($.a, -1)", "{\"a\":[10,20,30]}", INVALID("ArrayGetItem"));
    check_invalid("States.ArrayGetItem($.a, $.i)", "{\"a\":[1],\"i\":\"0\"}",
                  INVALID("ArrayGetItem"));
    check_invalid("States.ArrayGetItem($.a, 0)", "{\"a\":\"not-array\"}", INVALID("ArrayGetItem"));

    check_eval("States.ArrayLength($.a)", "{\"a\":[]}", "0");
    check_invalid("States.ArrayLength($.a)", "{\"a\":\"abc\"}", INVALID("ArrayLength"));
}
END_TEST

START_TEST(test_array_unique)
{
    /* HashSet order, as AWS returns it (third-party runs:
     * [true,false,true,false] -> [false,true]; [[1,2],[1,2],[2,1]] ->
     * [[2,1],[1,2]]) */
    check_eval("States.ArrayUnique($.a)", "{\"a\":[true,false,true,false]}", "[false,true]");
    check_eval("States.ArrayUnique($.a)", "{\"a\":[[1,2],[1,2],[2,1]]}", "[[2,1],[1,2]]");
    check_eval("States.ArrayUnique($.a)", "{\"a\":[1,2,3,3,3,4]}", "[1,2,3,4]");
    check_eval("States.ArrayUnique($.a)", "{\"a\":[\"a\",\"b\",\"a\",\"c\",\"b\"]}",
               "[\"a\",\"b\",\"c\"]");
    check_eval("States.ArrayUnique($.a)", "{\"a\":[null,null,1,null]}", "[null,1]");
    check_eval("States.ArrayUnique($.a)", "{\"a\":[1,\"1\",1,\"01\"]}", "[1,\"1\",\"01\"]");
    check_eval("States.ArrayUnique($.a)", "{\"a\":[{\"a\":1,\"b\":2},{\"b\":2,\"a\":1}]}",
               "[{\"a\":1,\"b\":2}]");
    check_eval("States.ArrayUnique($.a)", "{\"a\":[{\"nested\":{\"x\":1}},{\"nested\":{\"x\":1}}]}",
               "[{\"nested\":{\"x\":1}}]");
    /* Integer 1 and Double 1.0 differ; 1.0 hashes to bucket 0 */
    check_eval("States.ArrayUnique($.a)", "{\"a\":[1,1.0]}", "[1.0,1]");
    check_eval("States.ArrayUnique(States.Array(1,1,2,2,3))", "{}", "[1,2,3]");
    check_eval("States.ArrayUnique($.a)", "{\"a\":[]}", "[]");
    check_invalid("States.ArrayUnique($.o)", "{\"o\":{\"a\":1}}", INVALID("ArrayUnique"));
}
END_TEST

START_TEST(test_base64)
{
    check_eval("States.Base64Encode('hello')", "{}", "\"aGVsbG8=\"");
    check_eval("States.Base64Encode('')", "{}", "\"\"");
    check_eval("States.Base64Encode($.s)", "{\"s\":\"Data to encode\"}",
               "\"RGF0YSB0byBlbmNvZGU=\"");
    check_eval("States.Base64Encode($.s)", "{\"s\":\"\xE2\x9C\x93\"}", "\"4pyT\"");
    check_eval("States.Base64Encode('\xF0\x9F\x9A\x80')", "{}", "\"8J+agA==\"");
    check_eval("States.Base64Encode($.s)", "{\"s\":\"abc\\u0000def\"}", "\"YWJjAGRlZg==\"");
    check_eval("States.Base64Encode($.s)", "{\"s\":\"line1\\nline2\"}", "\"bGluZTEKbGluZTI=\"");
    check_eval("States.Base64Encode(States.Format('{}-{}', $.a, $.b))",
               "{\"a\":\"x\",\"b\":\"y\"}", "\"eC15\"");

    check_eval("States.Base64Decode('aGVsbG8=')", "{}", "\"hello\"");
    check_eval("States.Base64Decode('44GT44KT44Gr44Gh44Gv')", "{}",
               "\"\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF\"");
    check_eval("States.Base64Decode($.s)", "{\"s\":\"YWJjAGRlZg==\"}", "\"abc\\u0000def\"");
    check_eval("States.Base64Decode(States.Base64Encode($.s))", "{\"s\":\"hello\"}", "\"hello\"");
    /* lenient like AWS: foreign characters skipped, '=' ends the data,
     * broken UTF-8 becomes U+FFFD */
    check_eval("States.Base64Decode(' YWJjZA== ')", "{}", "\"abcd\"");
    check_eval("States.Base64Decode('ab==cd')", "{}", "\"i\"");
    check_eval("States.Base64Decode('abc')", "{}", "\"i\xEF\xBF\xBD\"");
    check_eval("States.Base64Decode('!!!invalid!!!')", "{}", "\"\xEF\xBF\xBD{\xDA\x96'\"");
    check_eval("States.Base64Decode('_-8=')", "{}", "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");

    /* at most 10,000 characters */
    char *big = malloc(10030);
    strcpy(big, "{\"s\":\"");
    memset(big + 6, 'a', 10000);
    strcpy(big + 10006, "\"}");
    json_t *r = eval("States.Base64Encode($.s)", big);
    ck_assert_int_eq((int)json_string_length(r), 13336);
    json_decref(r);
    memset(big + 6, 'A', 10000);
    r = eval("States.Base64Decode($.s)", big);
    ck_assert_int_eq((int)json_string_length(r), 7500);
    json_decref(r);
    strcpy(big + 10006, "a\"}");
    check_invalid("States.Base64Encode($.s)", big, INVALID("Base64Encode"));
    check_invalid("States.Base64Decode($.s)", big, INVALID("Base64Decode"));
    free(big);
    /* 9,999 characters of which one counts twice in UTF-16: still 10,000 */
    big = malloc(10040);
    strcpy(big, "{\"s\":\"");
    memset(big + 6, 'a', 9998);
    strcpy(big + 10004, "\xF0\x9F\x9A\x80\"}");
    r = eval("States.Base64Encode($.s)", big);
    json_decref(r);
    strcpy(big + 10004, "\xF0\x9F\x9A\x80" "a\"}");
    check_invalid("States.Base64Encode($.s)", big, INVALID("Base64Encode"));
    free(big);

    check_invalid("States.Base64Encode($.o)", "{\"o\":{}}", INVALID("Base64Encode"));
    check_invalid("States.Base64Encode($.a)", "{\"a\":[\"x\"]}", INVALID("Base64Encode"));
    check_invalid("States.Base64Decode($.n)", "{\"n\":123}", INVALID("Base64Decode"));
}
END_TEST

START_TEST(test_hash)
{
    check_eval("States.Hash('hello', 'MD5')", "{}", "\"5d41402abc4b2a76b9719d911017c592\"");
    check_eval("States.Hash('hello', 'SHA-1')", "{}",
               "\"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d\"");
    check_eval("States.Hash('hello', 'SHA-256')", "{}",
               "\"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\"");
    check_eval("States.Hash('hello', 'SHA-384')", "{}",
               "\"59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90"
               "397bdf5f6a13de828684f\"");
    check_eval("States.Hash('hello', 'SHA-512')", "{}",
               "\"9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5"
               "c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043\"");
    check_eval("States.Hash('', 'SHA-256')", "{}",
               "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"");
    check_eval("States.Hash($.s, 'SHA-256')", "{\"s\":\"\xE2\x9C\x93\"}",
               "\"1dabba21cdad44541f6b15796f8d22978fc7ea10c46aeceeeeb66c23b3ac7604\"");
    check_eval("States.Hash($.s, 'MD5')", "{\"s\":\"abc\\u0000def\"}",
               "\"a5e4d5963ae44c1f4bfb37b1a3d55a3c\"");
    check_eval("States.Hash(States.Format('{}:{}', $.a, $.b), 'SHA-256')",
               "{\"a\":\"x\",\"b\":\"y\"}",
               "\"1274e286686b54fe765ec40735665b4bf789cee2a5b22124c5e0491a88e15271\"");
    /* AWS hashes a number by its text */
    check_eval("States.Hash(123, 'MD5')", "{}", "\"202cb962ac59075b964b07152d234b70\"");
    check_invalid("States.Hash('data', $.alg)", "{\"alg\":\"sha-256\"}", INVALID("Hash"));
    check_invalid("States.Hash('data', $.alg)", "{\"alg\":\"\"}", INVALID("Hash"));
    check_invalid("States.Hash('data', $.alg)", "{\"alg\":123}", INVALID("Hash"));

    char *big = malloc(10030);
    strcpy(big, "{\"s\":\"");
    memset(big + 6, 'a', 10000);
    strcpy(big + 10006, "\"}");
    json_decref(eval("States.Hash($.s, 'SHA-256')", big));
    strcpy(big + 10006, "a\"}");
    check_invalid("States.Hash($.s, 'SHA-256')", big, INVALID("Hash"));
    free(big);
}
END_TEST

START_TEST(test_json_merge)
{
    check_eval("States.JsonMerge($.a, $.b, false)", "{\"a\":{\"x\":1,\"y\":2},\"b\":{\"y\":3,"
               "\"z\":4}}", "{\"x\":1,\"y\":3,\"z\":4}");
    check_eval("States.JsonMerge($.a, $.b, false)",
               "{\"a\":{\"nested\":{\"a1\":1,\"a2\":2}},\"b\":{\"nested\":{\"a3\":3}}}",
               "{\"nested\":{\"a3\":3}}");
    check_eval("States.JsonMerge($.a, $.b, false)", "{\"a\":{},\"b\":{}}", "{}");
    /* HashMap order: corpus test_json_merge_escaped_argument lists
     * constant_input_field first */
    check_eval("States.JsonMerge(States.StringToJson('{\"constant_in_literal\": \"false\"}'), "
               "$$.Execution.Input.input_field, false)",
               "{\"input_field\":{\"constant_input_field\":\"constant_value\"}}",
               "{\"constant_input_field\":\"constant_value\",\"constant_in_literal\":\"false\"}");
    check_eval("States.JsonMerge($.a, $.b, false)", "{\"a\":{\"b\":1,\"a\":2},\"b\":{}}",
               "{\"a\":2,\"b\":1}");
    /* AWS merges shallowly when the flag is not a boolean */
    check_eval("States.JsonMerge($.a, $.b, $.deep)",
               "{\"a\":{},\"b\":{\"k\":1},\"deep\":\"false\"}", "{\"k\":1}");
    check_invalid("States.JsonMerge($.a, $.b, $.deep)", "{\"a\":{},\"b\":{},\"deep\":true}",
                  INVALID("JsonMerge"));
    check_invalid("States.JsonMerge($.a, $.b, false)", "{\"a\":null,\"b\":{}}",
                  INVALID("JsonMerge"));
    check_invalid("States.JsonMerge($.a, $.b, false)", "{\"a\":{},\"b\":[]}",
                  INVALID("JsonMerge"));
}
END_TEST

START_TEST(test_math)
{
    check_eval("States.MathAdd(5, 3)", "{}", "8");
    check_eval("States.MathAdd($.v, -1)", "{\"v\":111}", "110");
    check_eval("States.MathAdd($.a, $.b)", "{\"a\":1.6,\"b\":2.7}", "5");
    check_eval("States.MathAdd($.a, $.b)", "{\"a\":0.49999999999999994,\"b\":0}", "0");
    check_eval("States.MathAdd(2147483646, 1)", "{}", "2147483647");
    check_eval("States.MathAdd(-2147483647, -1)", "{}", "-2147483648");
    check_eval("States.MathAdd(States.MathAdd($.x, 1), 2)", "{\"x\":5}", "8");
    check_invalid("States.MathAdd(2147483647, 1)", "{}", INVALID("MathAdd"));
    check_invalid("States.MathAdd(-2147483648, -1)", "{}", INVALID("MathAdd"));
    check_invalid("States.MathAdd(3000000000, 1)", "{}", INVALID("MathAdd"));
    check_invalid("States.MathAdd($.s, 1)", "{\"s\":\"1\"}", INVALID("MathAdd"));
    check_invalid("States.MathAdd($.b, 1)", "{\"b\":true}", INVALID("MathAdd"));
    check_invalid("States.MathAdd(-1, $.p)", "{\"p\":[1]}", INVALID("MathAdd"));

    /* seeded: java.util.Random(seed).nextInt(end - start) + start */
    check_eval("States.MathRandom($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd)",
               "{\"FunctionInput\":{\"fst\":0,\"snd\":999,\"trd\":3}}", "239");
    check_eval("States.MathRandom(1, 100, 42)", "{}", "63");
    check_eval("States.MathRandom(1, 10, -10)", "{}", "1");
    check_eval("States.MathRandom(1, 10, 0)", "{}", "7");
    check_eval("States.MathRandom(0, 1024, 7)", "{}", "748");
    check_eval("States.MathRandom(2147483640, 2147483647, 1)", "{}", "2147483644");
    check_eval("States.MathRandom(-5, 5, 123456789012)", "{}", "-3");
    check_eval("States.MathRandom(1, 10, 42.9)", "{}", "9");
    for (int i = 0; i < 200; i++) {
        json_t *r = eval("States.MathRandom(1.6, 5.4)", "{}");
        ck_assert(json_integer_value(r) >= 1 && json_integer_value(r) < 5);
        json_decref(r);
        r = eval("States.MathRandom(-99999, -9999)", "{}");
        ck_assert(json_integer_value(r) >= -99999 && json_integer_value(r) < -9999);
        json_decref(r);
    }
    check_invalid("States.MathRandom(1, 1)", "{}", INVALID("MathRandom"));
    check_invalid("States.MathRandom(10, 5)", "{}", INVALID("MathRandom"));
    check_invalid("States.MathRandom(1.4, 1.6)", "{}", INVALID("MathRandom"));
    check_invalid("States.MathRandom(-2147483648, 2147483647)", "{}", INVALID("MathRandom"));
    check_invalid("States.MathRandom(1, 10, $.seed)", "{\"seed\":null}", INVALID("MathRandom"));
    check_invalid("States.MathRandom($.a, 10)", "{\"a\":\"1\"}", INVALID("MathRandom"));
}
END_TEST

START_TEST(test_string_split)
{
    check_eval("States.StringSplit($.s, $.d)", "{\"s\":\"1a2b3ab4\",\"d\":\"ab\"}",
               "[\"1\",\"2\",\"3\",\"4\"]");
    check_eval("States.StringSplit($.s, ',')", "{\"s\":\",a,,b,\"}", "[\"a\",\"b\"]");
    check_eval("States.StringSplit($.s, ',')", "{\"s\":\"\"}", "[]");
    check_eval("States.StringSplit($.s, '')", "{\"s\":\"abc\"}", "[\"abc\"]");
    check_eval("States.StringSplit($.s, '\xC3\xA9\xF0\x9F\x9A\x80')",
               "{\"s\":\"x\xC3\xA9y\xF0\x9F\x9A\x80z\"}", "[\"x\",\"y\",\"z\"]");
    check_eval("States.StringSplit(States.Format('{}-{}', $.a, $.b), '-')",
               "{\"a\":\"x\",\"b\":\"y\"}", "[\"x\",\"y\"]");
    check_invalid("States.StringSplit($.s, ',')", "{\"s\":123}", INVALID("StringSplit"));
    check_invalid("States.StringSplit($.s, $.d)", "{\"s\":\"a,b\",\"d\":null}",
                  INVALID("StringSplit"));
    check_invalid("States.StringSplit($.s, $.d)", "{\"s\":\"a,b\",\"d\":[\",\"]}",
                  INVALID("StringSplit"));
}
END_TEST

START_TEST(test_uuid)
{
    json_t *a = eval("States.UUID()", "{}");
    json_t *b = eval("States.UUID()", "{}");
    const char *s = json_string_value(a);
    ck_assert_int_eq((int)strlen(s), 36);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            ck_assert_int_eq(s[i], '-');
        else
            ck_assert_msg(isxdigit((unsigned char)s[i]) && !isupper((unsigned char)s[i]),
                          "%s", s);
    }
    ck_assert_int_eq(s[14], '4');                       /* version 4 */
    ck_assert(strchr("89ab", s[19]) != NULL);           /* RFC 4122 variant */
    ck_assert_str_ne(s, json_string_value(b));
    json_decref(a);
    json_decref(b);
}
END_TEST

/* ==== the suite ========================================================== */

/* aslrtp_intrinsic_eval_int_quick gives what aslrtp_intrinsic_eval_int
 * gives when it gives anything, and declines every call that fails (the
 * general way then reports) or that it cannot answer alone. */
START_TEST(test_int_quick_agrees)
{
    static const char *const calls[] = {"States.MathAdd($.a, $.b)", "States.MathAdd($.a, 1)",
                                        "States.MathAdd(-5, $.b)", "States.MathAdd($.x.y, 2)",
                                        "States.MathAdd($$.a, 1)", "States.MathAdd($.a, $.a)",
                                        "States.ArrayLength($.l)", "States.ArrayLength($.a)",
                                        "States.MathAdd(States.ArrayLength($.l), $.b)",
                                        "States.MathAdd($.b, 2147483647)",
                                        "States.MathAdd(-2147483648, $.a)"};
    static const char *const inputs[] = {
        "{\"a\":1,\"b\":2,\"l\":[1,2,3],\"x\":{\"y\":40}}",
        "{\"a\":2147483647,\"b\":1,\"l\":[]}",
        "{\"a\":-2147483648,\"b\":-1}",
        "{\"a\":2147483648,\"b\":0}",
        "{\"a\":1.5,\"b\":2.0,\"x\":{\"y\":2.5}}",
        "{\"a\":\"1\",\"b\":null,\"x\":[]}",
        "{\"b\":3,\"x\":{}}",
        "[1,2]",
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        aslrtp_intrinsic *f = compile_ok(calls[i]);
        ck_assert(aslrtp_intrinsic_is_int(f));
        for (size_t j = 0; j < sizeof inputs / sizeof inputs[0]; j++) {
            json_t *in = json_loads(inputs[j], 0, NULL);
            json_t *ctx = json_pack("{s:i}", "a", 7);
            world w = {in, ctx, NULL};
            aslrt_error err = {NULL, NULL};
            json_int_t slow = 0, quick = 0;
            int ok = aslrtp_intrinsic_eval_int(f, resolve, &w, &err, &slow);
            if (aslrtp_intrinsic_eval_int_quick(f, in, &quick)) {
                ck_assert_msg(ok, "%s on %s: quick answers what fails", calls[i], inputs[j]);
                ck_assert_msg(quick == slow, "%s on %s: %lld, not %lld", calls[i], inputs[j],
                              (long long)quick, (long long)slow);
            }
            aslrt_error_clear(&err);
            json_decref(ctx);
            json_decref(in);
        }
        aslrtp_intrinsic_free(f);
    }
    /* it does answer the counter */
    aslrtp_intrinsic *f = compile_ok("States.MathAdd($.i, 1)");
    json_t *in = json_pack("{s:i}", "i", 41);
    json_int_t n = 0;
    ck_assert(aslrtp_intrinsic_eval_int_quick(f, in, &n));
    ck_assert_int_eq(n, 42);
    json_decref(in);
    aslrtp_intrinsic_free(f);
}
END_TEST

static Suite *intrinsics_suite(void)
{
    Suite *s = suite_create("intrinsics");
    TCase *tc = tcase_create("corpus");
    tcase_add_loop_test(tc, test_corpus, 0, (int)(sizeof corpus / sizeof corpus[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("parse");
    tcase_add_test(tc, test_like);
    tcase_add_test(tc, test_literals);
    tcase_add_test(tc, test_paths_and_nesting);
    tcase_add_test(tc, test_path_argument_missing);
    tcase_add_test(tc, test_compile_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("functions");
    tcase_add_test(tc, test_format);
    tcase_add_test(tc, test_string_to_json);
    tcase_add_test(tc, test_json_to_string);
    tcase_add_test(tc, test_array_functions);
    tcase_add_test(tc, test_array_unique);
    tcase_add_test(tc, test_base64);
    tcase_add_test(tc, test_hash);
    tcase_add_test(tc, test_json_merge);
    tcase_add_test(tc, test_math);
    tcase_add_test(tc, test_string_split);
    tcase_add_test(tc, test_uuid);
    tcase_add_test(tc, test_int_quick_agrees);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = run_suite(intrinsics_suite(), CK_ENV);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

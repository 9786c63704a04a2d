/*
 * fuzz_jsonata.c - libFuzzer target for aslc's JSONata engine: the input
 * bytes are an expression; when it parses, it is evaluated against a fixed
 * small document with a depth cap and a time limit, and the result is
 * converted to JSON.  Anything but a value or a coded error (a crash, a
 * sanitizer report, an error without a code) is a finding.
 *
 * Built with libFuzzer by tests/fuzz/run-fuzz.sh jsonata; `make check`
 * links it with tests/fuzz/replay.c (a plain main() that runs each file
 * once, also for gdb and valgrind) and replays tests/fuzz/corpus/jsonata/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonata/jsonata.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every JSON type, nesting, unicode, numbers at the edges. */
static const char document[] =
    "{\"Account\":{\"Account Name\":\"Firefly\",\"Order\":["
    "{\"OrderID\":\"order103\",\"Product\":["
    "{\"Product Name\":\"Bowler Hat\",\"ProductID\":858383,\"Price\":34.45,"
    "\"Quantity\":2,\"Tags\":[\"hat\",\"formal\"]},"
    "{\"Product Name\":\"Cloak\",\"ProductID\":345664,\"Price\":107.99,\"Quantity\":1}]},"
    "{\"OrderID\":\"order104\",\"Product\":[]}]},"
    "\"n\":[1,2.5,-3,0,1e300,-1e-300,9007199254740993,0.1],"
    "\"s\":\"h\\u00e9llo w\\u00f6rld \\ud83d\\ude00 \\\"q\\\" \\\\\","
    "\"empty\":\"\",\"t\":true,\"f\":false,\"z\":null,\"o\":{},\"a\":[],"
    "\"deep\":[[1,[2,[3,[4]]]],{\"a\":{\"a\":{\"a\":1}}}],"
    "\"date\":\"2024-02-29T23:59:59.999Z\"}";

static json_t *doc;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    json_error_t jerr;
    doc = json_loads(document, 0, &jerr);
    if (!doc) {
        fprintf(stderr, "fuzz_jsonata: bad document: %s\n", jerr.text);
        abort();
    }
    return 0;
}

/* An error must say what it is: a code such as "S0202" or "T1006", or
 * "States.Runtime" from the functions Step Functions adds. */
static void check_error(const jn_error *err, const char *stage, const uint8_t *data,
                        size_t size)
{
    if (memchr(err->code, '\0', sizeof err->code) &&
        ((err->code[0] >= 'A' && err->code[0] <= 'Z' && strlen(err->code) == 5) ||
         strcmp(err->code, "States.Runtime") == 0))
        return;
    fprintf(stderr, "fuzz_jsonata: %s failed without a proper error code "
            "(code \"%.16s\", message \"%.100s\") for %.*s\n",
            stage, err->code, err->message, (int)(size > 200 ? 200 : size), (const char *)data);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jn_options opt = {
        .max_depth = 200,
        .time_limit_ms = 250,
        .now_ms = 1700000000000LL, /* no clock: runs are reproducible */
    };
    jn_ctx *cx = jn_ctx_create(&opt);
    if (!cx)
        abort();
    jn_error err;
    memset(&err, 0, sizeof err);
    const jn_node *ast = jn_parse(cx, (const char *)data, size, &err);
    if (!ast) {
        check_error(&err, "jn_parse", data, size);
        jn_ctx_destroy(cx);
        return 0;
    }
    jn_value *input = jn_from_json(cx, doc);
    jn_bind(cx, "doc", input);
    jn_bind(cx, "num", jn_number(cx, 42));
    jn_value *result = NULL;
    memset(&err, 0, sizeof err);
    if (jn_eval(cx, ast, input, &result, &err)) {
        bool unsupported = false;
        json_t *j = jn_to_json(result, &unsupported);
        json_decref(j);
    } else {
        check_error(&err, "jn_eval", data, size);
    }
    /* The context must be reusable after a reset. */
    jn_ctx_reset(cx);
    input = jn_from_json(cx, doc);
    memset(&err, 0, sizeof err);
    ast = jn_parse(cx, "Account.Order.Product.Price", 27, &err);
    if (!ast || !jn_eval(cx, ast, input, &result, &err) || !jn_is_array(result)) {
        fprintf(stderr, "fuzz_jsonata: the context does not work after a reset (%s: %s)\n",
                err.code, err.message);
        abort();
    }
    jn_ctx_destroy(cx);
    return 0;
}

/* Frees the fixed document (the replay driver calls it before exiting, so
 * that LeakSanitizer sees nothing left). */
void fuzz_target_cleanup(void);
void fuzz_target_cleanup(void)
{
    json_decref(doc);
}

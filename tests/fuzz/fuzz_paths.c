/*
 * fuzz_paths.c - libFuzzer target for the runtime's JSONPath and intrinsic
 * parsers: the input bytes (up to the first NUL) are one field value as a
 * definition writes it.  Text that looks like a call ("States.Name(...")
 * is compiled as an intrinsic function and evaluated; anything else is
 * compiled twice, as a JSONPath and as a reference path, and each path that
 * compiles is evaluated against a fixed document (both lookups), and the
 * reference path is also used as a ResultPath.  Anything but a result or a
 * reported error (a crash, a sanitizer report, a leak, a failure without a
 * message or with an offset past the text) is a finding.
 *
 * Built with libFuzzer by tests/fuzz/run-fuzz.sh paths; `make check` links
 * it with tests/fuzz/replay.c and replays tests/fuzz/corpus/paths/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aslrt.h"
#include "aslrt_private.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The state input ($): every JSON type, nesting, unicode, numbers at the
 * edges, keys that need brackets. */
static const char input_text[] =
    "{\"store\":{\"book\":["
    "{\"category\":\"reference\",\"author\":\"Nigel Rees\",\"price\":8.95},"
    "{\"category\":\"fiction\",\"author\":\"Evelyn Waugh\",\"price\":12.99,\"isbn\":\"0-553\"},"
    "{\"category\":\"fiction\",\"price\":22.99,\"tags\":[\"a\",\"b\"]}],"
    "\"bicycle\":{\"color\":\"red\",\"price\":19.95}},"
    "\"n\":[1,2.5,-3,0,1e300,-1e-300,9007199254740993,0.1],"
    "\"s\":\"h\\u00e9llo w\\u00f6rld \\ud83d\\ude00 \\\"q\\\" \\\\\","
    "\"csv\":\"a,b,,c\",\"b64\":\"aGVsbG8=\",\"empty\":\"\","
    "\"t\":true,\"f\":false,\"z\":null,\"o\":{},\"a\":[],"
    "\"odd key\":{\"with.dot\":1,\"['x']\":2,\"\":3},"
    "\"deep\":[[1,[2,[3,[4]]]],{\"a\":{\"a\":{\"a\":1}}}],"
    "\"big\":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19]}";

/* The context object ($$) and the workflow variables ($name). */
static const char context_text[] =
    "{\"Execution\":{\"Id\":\"arn:aws:states:us-east-1:111111111111:execution:m:e\","
    "\"Input\":{\"k\":\"v\"},\"Name\":\"e\",\"StartTime\":\"2024-01-01T00:00:00.000Z\"},"
    "\"State\":{\"Name\":\"S\",\"EnteredTime\":\"2024-01-01T00:00:00.000Z\",\"RetryCount\":0},"
    "\"StateMachine\":{\"Id\":\"arn:aws:states:us-east-1:111111111111:stateMachine:m\","
    "\"Name\":\"m\"},\"Map\":{\"Item\":{\"Index\":3,\"Value\":{\"x\":[1,2]}}}}";
static const char vars_text[] =
    "{\"x\":1,\"name\":\"Ada\",\"list\":[1,\"two\",{\"three\":3}],\"obj\":{\"a\":{\"b\":null}}}";

static json_t *input, *context, *vars;

static json_t *load(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);
    if (!v) {
        fprintf(stderr, "fuzz_paths: bad document: %s\n", jerr.text);
        abort();
    }
    return v;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    input = load(input_text);
    context = load(context_text);
    vars = load(vars_text);
    return 0;
}

/* Frees the fixed documents (the replay driver calls it before exiting, so
 * that LeakSanitizer sees nothing left). */
void fuzz_target_cleanup(void);
void fuzz_target_cleanup(void)
{
    json_decref(input);
    json_decref(context);
    json_decref(vars);
}

/* The document a path's root stands for, or NULL (an unknown variable). */
static json_t *root_of(const aslrtp_path *p)
{
    switch (aslrtp_path_root(p)) {
    case ASLRTP_ROOT_CONTEXT:
        return context;
    case ASLRTP_ROOT_VAR:
        return json_object_get(vars, aslrtp_path_var(p));
    default:
        return input;
    }
}

/* How an intrinsic call's path arguments are resolved, as the executor
 * does: a new value, or NULL with a reason. */
static json_t *resolve(void *ud, const aslrtp_path *p, char **why, int *owned)
{
    (void)ud;
    *owned = 1;
    json_t *doc = root_of(p);
    if (!doc) {
        *why = aslrtp_strdupf("Variable '%s' is not defined", aslrtp_path_var(p));
        return NULL;
    }
    return aslrtp_path_get(p, doc, why);
}

static void fail(const char *what, const char *text)
{
    fprintf(stderr, "fuzz_paths: %s for %.200s\n", what, text);
    abort();
}

/* A compile error must say what and where. */
static void check_compile_error(const char *stage, char *err, size_t erroff, const char *text)
{
    if (!err)
        fail(stage, text);
    if (erroff > strlen(text))
        fail("an error offset past the end of the text", text);
    free(err);
}

static void run_intrinsic(const char *text)
{
    char *err = NULL;
    size_t erroff = 0;
    aslrtp_intrinsic *f = aslrtp_intrinsic_compile(text, &err, &erroff);
    if (!f) {
        check_compile_error("an intrinsic refused without a message", err, erroff, text);
        return;
    }
    aslrt_error e = {0};
    json_t *r = aslrtp_intrinsic_eval(f, resolve, NULL, &e);
    if (r) {
        free(aslrt_json_dumps(r));
        json_decref(r);
    } else if (!e.error || !e.cause) {
        fail("an intrinsic failed without an Error and a Cause", text);
    }
    aslrt_error_clear(&e);
    aslrtp_intrinsic_free(f);
}

static void run_path(const char *text, int reference)
{
    char *err = NULL;
    size_t erroff = 0;
    aslrtp_path *p = aslrtp_path_compile(text, reference, &err, &erroff);
    if (!p) {
        check_compile_error("a path refused without a message", err, erroff, text);
        return;
    }
    if (!aslrtp_path_text(p))
        fail("a compiled path without its text", text);
    (void)aslrtp_path_definite(p);
    json_t *doc = root_of(p);
    if (doc) {
        char *why = NULL;
        json_t *r = aslrtp_path_get(p, doc, &why);
        if (r) {
            free(aslrt_json_dumps(r));
            json_decref(r);
        } else if (!why) {
            fail("a path matched nothing without a reason", text);
        }
        free(why);
        why = NULL;
        int owned = 0;
        r = aslrtp_path_lookup(p, doc, &why, &owned);
        if (r && owned)
            json_decref(r);
        free(why);
    }
    if (reference) {
        /* As a ResultPath: the input is shared (set must copy, not change
         * it), the value is new. */
        char *why = NULL;
        json_t *out = aslrtp_path_set(p, json_incref(input), json_pack("{s:i}", "r", 1), &why);
        if (out) {
            free(aslrt_json_dumps(out));
            json_decref(out);
        } else if (!why) {
            fail("a ResultPath refused without a reason", text);
        }
        free(why);
    }
    aslrtp_path_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    if (aslrtp_intrinsic_like(text)) {
        run_intrinsic(text);
    } else {
        run_path(text, 0);
        run_path(text, 1);
    }
    free(text);
    return 0;
}

/*
 * check_exec.c - unit tests of the runtime's executor (exec.c), payload
 * templates (payload.c) and the embedding API of aslrt.h, driven through
 * machine descriptors written here the way aslc generates them.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aslrt_private.h"
#include "testutil.h"

/* ---- A hand-written machine: Task "Greet" then a Pass with ResultPath. ---- */

static const aslrt_item items[] = {
    {.kind = 0, .text = ""}, /* items[0] stands for "none" */
    {.kind = ASLRT_ITEM_TEMPLATE, .text = "{\"who.$\":\"$.name\",\"n.$\":\"States.MathAdd($.n, 1)\"}"},
    {.kind = ASLRT_ITEM_JSON, .text = "{\"done\":true}"},
    {.kind = ASLRT_ITEM_REFPATH, .text = "$.after"},
};

static const aslrt_state states[] = {
    {.name = "Greet", .type = ASLRT_STATE_TASK, .resource = "arn:aws:lambda:us-east-1:1:function:greet"},
    {.name = "Mark", .type = ASLRT_STATE_PASS},
};

static json_t *graph0(aslrt_exec *ex, json_t *input)
{
    aslrt_frame f;
    aslrt_frame_init(&f, input);
    if (!aslrt_op_enter(ex, &f, 0) || !aslrt_op_input_path(ex, &f, ASLRT_NONE) ||
        !aslrt_op_parameters(ex, &f, 1) || !aslrt_op_invoke(ex, &f) ||
        !aslrt_op_result_path(ex, &f, ASLRT_NONE) || !aslrt_op_output_path(ex, &f, ASLRT_NONE) ||
        !aslrt_op_exit(ex, &f))
        goto fail;
    if (!aslrt_op_enter(ex, &f, 1) || !aslrt_op_input_path(ex, &f, ASLRT_NONE) ||
        !aslrt_op_result_json(ex, &f, 2) || !aslrt_op_result_path(ex, &f, 3) ||
        !aslrt_op_output_path(ex, &f, ASLRT_NONE) || !aslrt_op_exit(ex, &f))
        goto fail;
    return aslrt_frame_finish(&f);
fail:
    aslrt_frame_clear(&f);
    return 0;
}

static const aslrt_graph_fn graphs[] = {graph0};

static const aslrt_machine machine = {
    .abi_version = ASLRT_ABI_VERSION, .name = "test", .source = "test.asl.json",
    .items = items, .nitems = 4, .states = states, .nstates = 2, .graphs = graphs, .ngraphs = 1,
};

/* A C handler: greets, or fails with a Lambda-style error for "bad". */
static int greet(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    int *calls = ud;
    (*calls)++;
    const char *who = json_string_value(json_object_get(input, "who"));
    if (who && strcmp(who, "bad") == 0) {
        aslrt_error_set(err, "GreetError", "cannot greet bad");
        return 0;
    }
    *output = json_pack("{s:s+,s:O}", "greeting", "hello ", who ? who : "?", "n",
                        json_object_get(input, "n"));
    return 1;
}

START_TEST(executes_with_c_handler)
{
    aslrt_error err = {0, 0};
    aslrt_program *p = aslrt_program_create(&machine, &err);
    ck_assert_ptr_nonnull(p);
    aslrt_bindings *b = aslrt_bindings_create();
    int calls = 0;
    aslrt_bindings_add_c(b, "arn:aws:lambda:*:function:greet", greet, &calls);
    aslrt_config cfg;
    aslrt_config_init(&cfg);
    cfg.bindings = b;
    json_t *in = json_pack("{s:s,s:i}", "name", "ann", "n", 41);
    json_t *out = NULL;
    ck_assert_int_eq(aslrt_execute(p, &cfg, in, &out, &err), ASLRT_SUCCEEDED);
    char *text = aslrt_json_dumps(out);
    ck_assert_str_eq(text, "{\"greeting\":\"hello ann\",\"n\":42,\"after\":{\"done\":true}}");
    free(text);
    ck_assert_int_eq(calls, 1);
    /* The input is borrowed and left unchanged. */
    text = aslrt_json_dumps(in);
    ck_assert_str_eq(text, "{\"name\":\"ann\",\"n\":41}");
    free(text);
    json_decref(out);
    json_decref(in);
    aslrt_bindings_destroy(b);
    aslrt_program_destroy(p);
}
END_TEST

START_TEST(task_error_and_unbound_resource)
{
    aslrt_error err = {0, 0};
    aslrt_program *p = aslrt_program_create(&machine, &err);
    aslrt_bindings *b = aslrt_bindings_create();
    int calls = 0;
    aslrt_bindings_add_c(b, "arn:aws:lambda:*:function:greet", greet, &calls);
    aslrt_config cfg;
    aslrt_config_init(&cfg);
    cfg.bindings = b;
    json_t *in = json_pack("{s:s,s:i}", "name", "bad", "n", 1);
    json_t *out = NULL;
    ck_assert_int_eq(aslrt_execute(p, &cfg, in, &out, &err), ASLRT_FAILED);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(err.error, "GreetError");
    ck_assert_str_eq(err.cause, "cannot greet bad");
    aslrt_error_clear(&err);

    cfg.bindings = NULL;
    ck_assert_int_eq(aslrt_execute(p, &cfg, in, &out, &err), ASLRT_FAILED);
    ck_assert_ptr_nonnull(strstr(err.cause, "arn:aws:lambda:us-east-1:1:function:greet"));
    aslrt_error_clear(&err);
    json_decref(in);
    aslrt_bindings_destroy(b);
    aslrt_program_destroy(p);
}
END_TEST

START_TEST(template_path_missing)
{
    aslrt_error err = {0, 0};
    aslrt_program *p = aslrt_program_create(&machine, &err);
    json_t *in = json_pack("{s:i}", "n", 1);
    json_t *out = NULL;
    ck_assert_int_eq(aslrt_execute(p, NULL, in, &out, &err), ASLRT_FAILED);
    ck_assert_str_eq(err.error, "States.Runtime");
    ck_assert_str_eq(err.cause,
                     "An error occurred while executing the state 'Greet' (entered at the event "
                     "id #2). The JSONPath '$.name' specified for the field 'who.$' could not be "
                     "found in the input '{\"n\":1}'");
    aslrt_error_clear(&err);
    json_decref(in);
    aslrt_program_destroy(p);
}
END_TEST

START_TEST(abi_mismatch_refused)
{
    aslrt_machine old = machine;
    old.abi_version = ASLRT_ABI_VERSION + 1;
    aslrt_error err = {0, 0};
    ck_assert_ptr_null(aslrt_program_create(&old, &err));
    ck_assert_str_eq(err.error, "aslc.AbiMismatch");
    ck_assert_ptr_nonnull(strstr(err.cause, "regenerate it"));
    aslrt_error_clear(&err);
}
END_TEST

START_TEST(bad_item_refused)
{
    static const aslrt_item bad[] = {{.kind = 0, .text = ""},
                                     {.kind = ASLRT_ITEM_PATH, .text = "$.a[?("}};
    aslrt_machine m = machine;
    m.items = bad;
    m.nitems = 2;
    aslrt_error err = {0, 0};
    ck_assert_ptr_null(aslrt_program_create(&m, &err));
    ck_assert_str_eq(err.error, "aslc.BadMachine");
    aslrt_error_clear(&err);
}
END_TEST

/* ---- Wait and the execution timeout on the virtual clock ---------------- */

static const aslrt_state wait_states[] = {
    {.name = "Long", .type = ASLRT_STATE_WAIT, .seconds = 3600},
};

static json_t *wait_graph(aslrt_exec *ex, json_t *input)
{
    aslrt_frame f;
    aslrt_frame_init(&f, input);
    if (!aslrt_op_enter(ex, &f, 0) || !aslrt_op_input_path(ex, &f, ASLRT_NONE) ||
        !aslrt_op_wait(ex, &f) || !aslrt_op_result_input(ex, &f) ||
        !aslrt_op_result_path(ex, &f, ASLRT_NONE) || !aslrt_op_exit(ex, &f)) {
        aslrt_frame_clear(&f);
        return 0;
    }
    return aslrt_frame_finish(&f);
}

static const aslrt_graph_fn wait_graphs[] = {wait_graph};

START_TEST(wait_skip_and_timeout)
{
    aslrt_machine m = {.abi_version = ASLRT_ABI_VERSION, .name = "w", .source = "w.json",
                       .states = wait_states, .nstates = 1, .graphs = wait_graphs, .ngraphs = 1};
    aslrt_error err = {0, 0};
    aslrt_program *p = aslrt_program_create(&m, &err);
    aslrt_config cfg;
    aslrt_config_init(&cfg);
    cfg.wait_mode = ASLRT_WAIT_SKIP;
    json_t *in = json_object();
    json_t *out = NULL;
    /* An hour-long Wait, skipped: waited for, it would outlast the test's
     * time limit. */
    ck_assert_int_eq(aslrt_execute(p, &cfg, in, &out, &err), ASLRT_SUCCEEDED);
    json_decref(out);
    aslrt_program_destroy(p);
    /* With TimeoutSeconds 60 the skipped hour still times the execution out. */
    m.timeout_seconds = 60;
    p = aslrt_program_create(&m, &err);
    ck_assert_int_eq(aslrt_execute(p, &cfg, in, &out, &err), ASLRT_TIMED_OUT);
    ck_assert_str_eq(err.error, "States.Timeout");
    aslrt_error_clear(&err);
    json_decref(in);
    aslrt_program_destroy(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("exec");
    TCase *tc = tcase_create("execute");
    tcase_add_test(tc, executes_with_c_handler);
    tcase_add_test(tc, task_error_and_unbound_resource);
    tcase_add_test(tc, template_path_missing);
    tcase_add_test(tc, abi_mismatch_refused);
    tcase_add_test(tc, bad_item_refused);
    tcase_add_test(tc, wait_skip_and_timeout);
    suite_add_tcase(s, tc);
    int failed = run_suite(s, CK_ENV);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

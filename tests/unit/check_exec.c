/*
 * check_exec.c - unit tests of the runtime's executor (exec.c), payload
 * templates (payload.c) and the embedding API of aslrt.h, driven through
 * machine descriptors written here the way aslc generates them, and (for
 * the reuse of template outputs) through definitions compiled in process.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aslrt_private.h"
#include "ast.h"
#include "backend.h"
#include "config.h"
#include "ir.h"
#include "unit.h"
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

/* ---- Template outputs filled again in place (payload.c) ---------------- */

/* "$" is the input; the others are not used by these templates. */
static json_t *no_resolve(void *ud, const aslrtp_path *p, char **why, int *owned)
{
    (void)ud;
    (void)owned;
    *why = aslrtp_strdupf("unexpected path %s", aslrtp_path_text(p));
    return NULL;
}

static json_t *kept_eval(const aslrtp_tmpl *t, json_t *kept[2], json_t *input)
{
    aslrt_error err = {NULL, NULL};
    json_t *v = aslrtp_tmpl_eval_kept(t, kept, no_resolve, NULL, input, &err);
    ck_assert_msg(v != NULL, "%s", err.cause ? err.cause : "");
    return v;
}

static void assert_json(const json_t *v, const char *want)
{
    char *text = aslrt_json_dumps(v);
    ck_assert_str_eq(text, want);
    free(text);
}

START_TEST(template_reuse_only_when_sole_holder)
{
    char *why = NULL;
    json_t *src = json_loads("{\"c\":1,\"i.$\":\"States.MathAdd($.i, 1)\",\"in\":{\"j.$\":\"$.i\"}}",
                             0, NULL);
    aslrtp_tmpl *t = aslrtp_tmpl_compile(src, &why);
    json_decref(src);
    ck_assert_ptr_nonnull(t);
    json_t *kept[2] = {NULL, NULL};
    json_t *in = json_pack("{s:i}", "i", 0);
    /* The first evaluation keeps nothing. */
    json_t *v0 = kept_eval(t, kept, in);
    ck_assert_ptr_null(kept[0]);
    json_decref(v0);
    /* Two outputs held by the caller are never changed. */
    json_t *v1 = kept_eval(t, kept, in);
    json_t *v2 = kept_eval(t, kept, v1);
    ck_assert_ptr_ne(v1, v2);
    json_t *v3 = kept_eval(t, kept, v2);
    ck_assert(v3 != v1 && v3 != v2);
    assert_json(v1, "{\"c\":1,\"i\":1,\"in\":{\"j\":0}}");
    assert_json(v2, "{\"c\":1,\"i\":2,\"in\":{\"j\":1}}");
    assert_json(v3, "{\"c\":1,\"i\":3,\"in\":{\"j\":2}}");
    /* v2 is let go (v3 still holds nothing of it): the next output is v2
     * filled again, its inner object too. */
    json_t *inner = json_object_get(v2, "in");
    json_decref(v1);
    json_decref(v2);
    json_t *v4 = kept_eval(t, kept, v3);
    ck_assert_ptr_eq(v4, v2);
    ck_assert_ptr_eq(json_object_get(v4, "in"), inner);
    assert_json(v4, "{\"c\":1,\"i\":4,\"in\":{\"j\":3}}");
    /* An inner object someone else holds stays as it is; the outer one is
     * refilled around a new inner one. */
    json_t *held = json_incref(json_object_get(v3, "in"));
    json_decref(v3);
    json_t *v5 = kept_eval(t, kept, v4);
    ck_assert_ptr_ne(json_object_get(v5, "in"), held);
    assert_json(held, "{\"j\":2}");
    assert_json(v5, "{\"c\":1,\"i\":5,\"in\":{\"j\":4}}");
    json_decref(held);
    /* A failed evaluation leaves a kept output reusable and correct later. */
    json_decref(v4);
    aslrt_error err = {NULL, NULL};
    json_t *bad = json_pack("{s:s}", "i", "x");
    ck_assert_ptr_null(aslrtp_tmpl_eval_kept(t, kept, no_resolve, NULL, bad, &err));
    aslrt_error_clear(&err);
    json_decref(bad);
    json_t *v6 = kept_eval(t, kept, v5);
    assert_json(v6, "{\"c\":1,\"i\":6,\"in\":{\"j\":5}}");
    json_decref(v5);
    json_decref(v6);
    json_decref(kept[0]);
    json_decref(kept[1]);
    json_decref(in);
    aslrtp_tmpl_free(t);
}
END_TEST

START_TEST(template_reuse_integer_in_place)
{
    /* An intrinsic's integer that only the kept output holds takes the new
     * value in place; one held elsewhere too keeps its value. */
    char *why = NULL;
    json_t *src = json_loads("{\"i.$\":\"States.MathAdd($.i, 1)\"}", 0, NULL);
    aslrtp_tmpl *t = aslrtp_tmpl_compile(src, &why);
    json_decref(src);
    ck_assert_ptr_nonnull(t);
    json_t *kept[2] = {NULL, NULL};
    json_t *in = json_pack("{s:i}", "i", 0);
    json_decref(kept_eval(t, kept, in));
    json_t *v1 = kept_eval(t, kept, in);
    json_t *n1 = json_object_get(v1, "i");
    json_t *v2 = kept_eval(t, kept, v1);
    json_decref(v1);
    json_t *v3 = kept_eval(t, kept, v2);
    ck_assert_ptr_eq(v3, v1);
    /* the kept slot's reference and the caller's (counted without an
     * atomic operation, payload.c) */
    ck_assert_int_eq((int)v3->refcount, 2);
    ck_assert_ptr_eq(json_object_get(v3, "i"), n1);
    assert_json(v3, "{\"i\":3}");
    json_t *held = json_incref(json_object_get(v3, "i"));
    json_decref(v2);
    json_t *v4 = kept_eval(t, kept, v3);
    json_decref(v3);
    json_t *v5 = kept_eval(t, kept, v4);
    ck_assert_ptr_eq(v5, v3);
    ck_assert_ptr_ne(json_object_get(v5, "i"), held);
    assert_json(held, "3");
    assert_json(v5, "{\"i\":5}");
    /* A failure in place (the sum leaves Java's int) leaves the value. */
    json_t *big = json_pack("{s:i}", "i", 2147483647);
    aslrt_error err = {NULL, NULL};
    json_decref(v4);
    json_t *v6 = kept_eval(t, kept, v5);
    json_decref(v6);
    ck_assert_ptr_null(aslrtp_tmpl_eval_kept(t, kept, no_resolve, NULL, big, &err));
    ck_assert_str_eq(err.cause, "Invalid arguments in States.MathAdd");
    aslrt_error_clear(&err);
    assert_json(v5, "{\"i\":5}");
    json_decref(big);
    json_decref(held);
    json_decref(v5);
    json_decref(kept[0]);
    json_decref(kept[1]);
    json_decref(in);
    aslrtp_tmpl_free(t);
}
END_TEST

START_TEST(template_bound_covers_output)
{
    /* Each template's bound is at least the length of what it makes, with
     * the longest values its intrinsics can give; a path makes it none. */
    static const struct {
        const char *tmpl, *input;
        bool bounded;
    } cases[] = {
        {"{\"i.$\":\"States.MathAdd($.i, -1)\"}", "{\"i\":-2147483647}", true},
        {"{\"n.$\":\"States.ArrayLength($.a)\",\"k\":[1.5e300,\"\\u0001\\u00e9\\ud83d\\ude00\"]}",
         "{\"a\":[1,2,3]}", true},
        {"{\"\\u0002\\\"\\u00e9.$\":\"States.UUID()\",\"h.$\":\"States.Hash($.s, 'SHA-512')\"}",
         "{\"s\":\"x\"}", true},
        {"{\"r.$\":\"States.MathRandom(-2147483648, -2147483647)\",\"c.$\":\"States.ArrayContains($.a, 1)\",\"z\":{}}",
         "{\"a\":[]}", true},
        {"[{\"a.$\":\"States.MathAdd(1, 2)\"}, null, false, true, \"\"]", "{}", true},
        {"{\"a.$\":\"$.s\"}", "{\"s\":\"x\"}", false},
        {"{\"a.$\":\"States.Format('{}', 1)\"}", "{}", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *why = NULL;
        json_t *src = json_loads(cases[i].tmpl, 0, NULL);
        ck_assert_msg(src != NULL, "case %zu", i);
        aslrtp_tmpl *t = aslrtp_tmpl_compile(src, &why);
        json_decref(src);
        ck_assert_msg(t != NULL, "case %zu: %s", i, why ? why : "");
        json_t *in = json_loads(cases[i].input, 0, NULL);
        aslrt_error err = {NULL, NULL};
        json_t *v = aslrtp_tmpl_eval(t, no_resolve, NULL, in, &err);
        ck_assert_msg(v != NULL, "case %zu: %s", i, err.cause ? err.cause : "");
        size_t b = aslrtp_tmpl_bound(t);
        ck_assert_msg((b != SIZE_MAX) == cases[i].bounded, "case %zu: bound %zu", i, b);
        ck_assert_msg(!aslrtp_json_exceeds(v, b), "case %zu: bound %zu", i, b);
        json_decref(v);
        json_decref(in);
        aslrtp_tmpl_free(t);
    }
}
END_TEST

START_TEST(template_reuse_not_with_merged_keys)
{
    /* "a" and "a.$" make one member: such an output is always built. */
    char *why = NULL;
    json_t *src = json_loads("{\"a\":1,\"a.$\":\"$.x\",\"b.$\":\"$.x\"}", 0, NULL);
    aslrtp_tmpl *t = aslrtp_tmpl_compile(src, &why);
    json_decref(src);
    ck_assert_ptr_nonnull(t);
    json_t *kept[2] = {NULL, NULL};
    json_t *prev = NULL;
    for (int i = 0; i < 4; i++) {
        json_t *in = json_pack("{s:i}", "x", i);
        json_t *v = kept_eval(t, kept, in);
        ck_assert_ptr_ne(v, prev);
        char want[64];
        snprintf(want, sizeof want, "{\"a\":%d,\"b\":%d}", i, i);
        assert_json(v, want);
        json_decref(prev);
        prev = v;
        json_decref(in);
    }
    json_decref(prev);
    json_decref(kept[0]);
    json_decref(kept[1]);
    aslrtp_tmpl_free(t);
}
END_TEST

#ifdef HAVE_LIBTCC

static void keep_history(void *ud, const json_t *doc)
{
    *(json_t **)ud = json_deep_copy(doc);
}

/* Runs def on input (JSON text); *hist (unless hist is NULL) receives the
 * history. */
static json_t *run_def(const char *def, const char *input, json_t **hist)
{
    aslrt_error err = {0, 0};
    jit_def d;
    jit_def_compile(&d, def, &err);
    aslrt_config cfg;
    aslrt_config_init(&cfg);
    cfg.threads = 1;
    if (hist) {
        cfg.history = keep_history;
        cfg.history_ud = hist;
    }
    json_t *in = json_loads(input, JSON_DECODE_ANY, NULL);
    json_t *out = NULL;
    int status = aslrt_execute(d.p, &cfg, in, &out, &err);
    ck_assert_msg(status == ASLRT_SUCCEEDED, "%s: %s", err.error ? err.error : "",
                  err.cause ? err.cause : "");
    json_decref(in);
    jit_def_free(&d);
    return out;
}

/* A loop whose Parameters output is kept by the next output, by a
 * variable (Assign) and in the history: none of them changes later. */
START_TEST(template_reuse_keeps_held_values)
{
    static const char def[] =
        "{\"StartAt\":\"Step\",\"States\":{"
        "\"Step\":{\"Type\":\"Pass\",\"Parameters\":{\"i.$\":\"States.MathAdd($.i, 1)\","
        "\"box\":{\"j.$\":\"$.i\"},\"prev.$\":\"$.box\"},\"Next\":\"Test\"},"
        "\"Test\":{\"Type\":\"Choice\",\"Choices\":["
        "{\"Variable\":\"$.i\",\"NumericEquals\":2,\"Next\":\"SaveBox\"},"
        "{\"Variable\":\"$.i\",\"NumericEquals\":3,\"Next\":\"SaveAll\"},"
        "{\"Variable\":\"$.i\",\"NumericLessThan\":6,\"Next\":\"Step\"}],\"Default\":\"Done\"},"
        "\"SaveBox\":{\"Type\":\"Pass\",\"Assign\":{\"box.$\":\"$.box\"},\"Next\":\"Step\"},"
        "\"SaveAll\":{\"Type\":\"Pass\",\"Assign\":{\"saved.$\":\"$\"},\"Next\":\"Step\"},"
        "\"Done\":{\"Type\":\"Pass\",\"Parameters\":{\"last.$\":\"$\",\"saved.$\":\"$saved\","
        "\"box.$\":\"$box\"},\"End\":true}}}";
    json_t *hist = NULL;
    json_t *out = run_def(def, "{\"i\":0,\"box\":null}", &hist);
    /* box was the inner object of the output of Step's second visit, which
     * the fourth visit filled again; saved is the whole third output. */
    assert_json(out, "{\"last\":{\"i\":6,\"box\":{\"j\":5},\"prev\":{\"j\":4}},"
                     "\"saved\":{\"i\":3,\"box\":{\"j\":2},\"prev\":{\"j\":1}},"
                     "\"box\":{\"j\":1}}");
    json_decref(out);
    /* Each visit of Step exited with its own output. */
    int seen = 0;
    size_t k;
    json_t *e;
    json_array_foreach(json_object_get(hist, "events"), k, e) {
        json_t *d = json_object_get(e, "stateExitedEventDetails");
        if (!d || strcmp(json_string_value(json_object_get(d, "name")), "Step") != 0)
            continue;
        seen++;
        char want[96], prev[32] = "null";
        if (seen > 1)
            snprintf(prev, sizeof prev, "{\"j\":%d}", seen - 2);
        snprintf(want, sizeof want, "{\"i\":%d,\"box\":{\"j\":%d},\"prev\":%s}", seen,
                 seen - 1, prev);
        ck_assert_str_eq(json_string_value(json_object_get(d, "output")), want);
    }
    ck_assert_int_eq(seen, 6);
    json_decref(hist);
}
END_TEST

/* A Map's results are its iterations' template outputs: each stays its own. */
START_TEST(template_reuse_map_results)
{
    static const char def[] =
        "{\"StartAt\":\"Fan\",\"States\":{\"Fan\":{\"Type\":\"Map\",\"MaxConcurrency\":1,"
        "\"ItemsPath\":\"$.items\",\"ItemSelector\":{\"x.$\":\"$$.Map.Item.Value\","
        "\"at\":{\"k.$\":\"$$.Map.Item.Index\"}},"
        "\"ItemProcessor\":{\"ProcessorConfig\":{\"Mode\":\"INLINE\"},\"StartAt\":\"Wrap\","
        "\"States\":{\"Wrap\":{\"Type\":\"Pass\",\"Parameters\":{\"v.$\":\"$.x\","
        "\"n\":{\"w.$\":\"$.at.k\"}},\"End\":true}}},\"End\":true}}}";
    json_t *out = run_def(def, "{\"items\":[10,11,12,13,14]}", NULL);
    assert_json(out, "[{\"v\":10,\"n\":{\"w\":0}},{\"v\":11,\"n\":{\"w\":1}},"
                     "{\"v\":12,\"n\":{\"w\":2}},{\"v\":13,\"n\":{\"w\":3}},"
                     "{\"v\":14,\"n\":{\"w\":4}}]");
    json_decref(out);
}
END_TEST

#endif /* HAVE_LIBTCC */

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
    tc = tcase_create("reuse");
    tcase_add_test(tc, template_reuse_only_when_sole_holder);
    tcase_add_test(tc, template_reuse_integer_in_place);
    tcase_add_test(tc, template_bound_covers_output);
    tcase_add_test(tc, template_reuse_not_with_merged_keys);
#ifdef HAVE_LIBTCC
    tcase_add_test(tc, template_reuse_keeps_held_values);
    tcase_add_test(tc, template_reuse_map_results);
#endif
    suite_add_tcase(s, tc);
    int failed = run_suite(s, CK_ENV);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * check_compiler.c - unit tests of the compiler's stages: parse.c and
 * validate.c (diagnostic records, asserted field by field), lower.c (the
 * control-flow graph) and ctext.c (safe literals, identifiers).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt.h"
#include "ast.h"
#include "backend.h"
#include "ir.h"
#include "unit.h"
#include "testutil.h"
#ifdef HAVE_LIBTCC
#include <dirent.h>

#include "machines.h"
#endif

/* Compiles text through parse and validate; returns the unit (caller
 * destroys).  *m receives the machine. */
static asl_unit *compile(const char *text, asl_machine **m)
{
    asl_unit *u = asl_unit_create("t.asl.json", text, strlen(text));
    *m = asl_parse_machine(u);
    if (*m)
        asl_validate_machine(u, *m);
    return u;
}

/* Finds the first error with this pointer; NULL when none. */
static const asl_diag *error_at(const asl_unit *u, const char *pointer)
{
    for (size_t i = 0; i < u->diags.n; i++)
        if (u->diags.v[i].severity == ASL_DIAG_ERROR && strcmp(u->diags.v[i].pointer, pointer) == 0)
            return &u->diags.v[i];
    return NULL;
}

#define PASS_END "{\"Type\":\"Pass\",\"End\":true}"

START_TEST(valid_minimal)
{
    asl_machine *m;
    asl_unit *u = compile("{\"StartAt\":\"A\",\"States\":{\"A\":" PASS_END "}}", &m);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(u->diags.n, 0);
    ck_assert_uint_eq(m->nstates, 1);
    ck_assert_str_eq(m->states[0]->name, "A");
    ck_assert_str_eq(m->states[0]->ptr, "/States/A");
    ck_assert_int_eq(m->states[0]->type, ASLRT_STATE_PASS);
    asl_unit_destroy(u);
}
END_TEST

START_TEST(invalid_json)
{
    asl_unit *u = asl_unit_create("t.json", "{\"a\": ", 6);
    ck_assert_ptr_null(u->root);
    ck_assert_uint_eq(u->diags.nerrors, 1);
    ck_assert_str_eq(u->diags.v[0].code, "INVALID_JSON_DESCRIPTION");
    ck_assert_ptr_null(asl_parse_machine(u));
    asl_unit_destroy(u);
}
END_TEST

START_TEST(not_an_object)
{
    asl_machine *m;
    asl_unit *u = compile("[1]", &m);
    ck_assert_ptr_null(m);
    ck_assert_str_eq(u->diags.v[0].message, "Definition must be a valid JSON object");
    asl_unit_destroy(u);
}
END_TEST

START_TEST(missing_required)
{
    asl_machine *m;
    asl_unit *u = compile("{}", &m);
    const asl_diag *d = error_at(u, "");
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->message, "These fields are required: [States, StartAt]");
    ck_assert_str_eq(d->code, "SCHEMA_VALIDATION_FAILED");
    asl_unit_destroy(u);
}
END_TEST

START_TEST(bad_next_and_unreachable)
{
    asl_machine *m;
    asl_unit *u = compile("{\"StartAt\":\"A\",\"States\":{"
                          "\"A\":{\"Type\":\"Pass\",\"Next\":\"Nope\"},"
                          "\"B\":" PASS_END "}}",
                          &m);
    const asl_diag *d = error_at(u, "/States/A/Next");
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->message, "Missing 'Next' target: Nope");
    ck_assert_str_eq(d->code, "MISSING_TRANSITION_TARGET");
    d = error_at(u, "/States/B");
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->message, "State \"B\" is not reachable.");
    asl_unit_destroy(u);
}
END_TEST

START_TEST(no_terminal_state)
{
    asl_machine *m;
    asl_unit *u = compile("{\"StartAt\":\"A\",\"States\":{"
                          "\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"},"
                          "\"B\":{\"Type\":\"Pass\",\"Next\":\"A\"}}}",
                          &m);
    ck_assert_uint_eq(u->diags.nerrors, 1);
    ck_assert_str_eq(u->diags.v[0].message, "Workflow has no terminal state");
    ck_assert_str_eq(u->diags.v[0].code, "MISSING_END_STATE");
    asl_unit_destroy(u);
}
END_TEST

START_TEST(unknown_field_and_type)
{
    asl_machine *m;
    asl_unit *u = compile("{\"StartAt\":\"A\",\"States\":{"
                          "\"A\":{\"Type\":\"Pass\",\"Resource\":\"x\",\"End\":true},"
                          "\"B\":{\"Type\":\"Nope\"}}}",
                          &m);
    const asl_diag *d = error_at(u, "/States/A/Resource");
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->message, "Field 'Resource' is not supported");
    ck_assert_int_eq(d->anchor, ASL_AT_KEY);
    d = error_at(u, "/States/B/Type");
    ck_assert_ptr_nonnull(d);
    ck_assert(strstr(d->message, "[Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]"));
    asl_unit_destroy(u);
}
END_TEST

START_TEST(jsonata_field_in_jsonpath)
{
    asl_machine *m;
    asl_unit *u = compile("{\"StartAt\":\"A\",\"States\":{"
                          "\"A\":{\"Type\":\"Pass\",\"Output\":{},\"End\":true}}}",
                          &m);
    const asl_diag *d = error_at(u, "/States/A/Output");
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->message, "The QueryLanguage is set to 'JSONPath', but field 'Output' is "
                                 "only supported for the 'JSONata' QueryLanguage");
    asl_unit_destroy(u);
}
END_TEST

START_TEST(result_path_not_reference)
{
    asl_machine *m;
    asl_unit *u = compile("{\"StartAt\":\"A\",\"States\":{"
                          "\"A\":{\"Type\":\"Pass\",\"ResultPath\":\"x\",\"End\":true}}}",
                          &m);
    const asl_diag *d = error_at(u, "/States/A/ResultPath");
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->message,
                     "Value is not a Reference Path: Reference path didn't start with '$'");
    asl_unit_destroy(u);
}
END_TEST

START_TEST(template_dynamic_value)
{
    asl_machine *m;
    asl_unit *u = compile("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
                          "\"Parameters\":{\"a\":{\"b.$\":\"nope\"}},\"End\":true}}}",
                          &m);
    const asl_diag *d = error_at(u, "/States/A/Parameters/a/b.$");
    ck_assert_ptr_nonnull(d);
    ck_assert(strncmp(d->message,
                      "The value for the field 'b.$' must be a valid JSONPath or a valid "
                      "intrinsic function call",
                      90) == 0);
    asl_unit_destroy(u);
}
END_TEST

START_TEST(wait_exactly_one)
{
    asl_machine *m;
    asl_unit *u = compile("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Wait\","
                          "\"Seconds\":1,\"SecondsPath\":\"$.x\",\"End\":true}}}",
                          &m);
    ck_assert_ptr_nonnull(error_at(u, "/States/A"));
    asl_unit_destroy(u);
    u = compile("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Wait\","
                "\"Timestamp\":\"2016-13-05T21:29:29Z\",\"End\":true}}}",
                &m);
    const asl_diag *d = error_at(u, "/States/A/Timestamp");
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->message, "String does not match RFC3339 timestamp");
    asl_unit_destroy(u);
}
END_TEST

START_TEST(choice_rules)
{
    asl_machine *m;
    asl_unit *u = compile("{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\","
                          "\"Choices\":[{\"Variable\":\"$.a\",\"NumericEquals\":\"x\",\"Next\":\"E\"},"
                          "{\"Not\":{\"Variable\":\"$.b\",\"IsNull\":true},\"Next\":\"E\"},"
                          "{\"Variable\":\"$.c\",\"StringEquals\":\"x\"}],"
                          "\"Default\":\"E\"},\"E\":" PASS_END "}}",
                          &m);
    ck_assert_ptr_nonnull(error_at(u, "/States/C/Choices/0/NumericEquals"));
    ck_assert_ptr_nonnull(error_at(u, "/States/C/Choices/2"));
    ck_assert_ptr_null(error_at(u, "/States/C/Choices/1"));
    asl_unit_destroy(u);
}
END_TEST

START_TEST(retry_states_all_last)
{
    asl_machine *m;
    asl_unit *u = compile("{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":\"r\","
                          "\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"]},{\"ErrorEquals\":[\"X\"]}],"
                          "\"End\":true}}}",
                          &m);
    const asl_diag *d = error_at(u, "/States/T/Retry/0");
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->message, "'States.ALL' must appear only in the last retrier");
    asl_unit_destroy(u);
}
END_TEST

START_TEST(duplicate_names_across_branches)
{
    asl_machine *m;
    asl_unit *u = compile("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\",\"End\":true,"
                          "\"Branches\":[{\"StartAt\":\"X\",\"States\":{\"X\":" PASS_END "}},"
                          "{\"StartAt\":\"X\",\"States\":{\"X\":" PASS_END "}}]}}}",
                          &m);
    ck_assert_uint_eq(u->diags.nerrors, 1);
    ck_assert_str_eq(u->diags.v[0].code, "DUPLICATE_STATE_NAME");
    ck_assert_uint_eq(m->ngraphs, 3);
    asl_unit_destroy(u);
}
END_TEST

START_TEST(supported_refuses_later_features)
{
    asl_machine *m;
    asl_unit *u = compile("{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"End\":true,"
                          "\"ItemProcessor\":{\"ProcessorConfig\":{\"Mode\":\"DISTRIBUTED\","
                          "\"ExecutionType\":\"STANDARD\"},"
                          "\"StartAt\":\"X\",\"States\":{\"X\":" PASS_END "}},"
                          "\"ItemReader\":{\"Resource\":\"arn:aws:states:::s3:getObject\","
                          "\"ReaderConfig\":{\"InputType\":\"PARQUET\"}}}}}",
                          &m);
    ck_assert_uint_eq(u->diags.nerrors, 0);
    ck_assert(!asl_validate_supported(u, m, ASL_DIAG_ERROR));
    ck_assert_str_eq(u->diags.v[0].message, "ItemReader InputType PARQUET is not supported yet");
    asl_unit_destroy(u);
}
END_TEST

START_TEST(lower_choice_graph)
{
    asl_machine *m;
    asl_unit *u = compile("{\"StartAt\":\"P\",\"States\":{"
                          "\"P\":{\"Type\":\"Pass\",\"InputPath\":\"$.x\",\"Next\":\"C\"},"
                          "\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"And\":["
                          "{\"Variable\":\"$.a\",\"NumericLessThan\":3},"
                          "{\"Variable\":\"$.b\",\"StringEqualsPath\":\"$.c\"}],\"Next\":\"P\"}],"
                          "\"Default\":\"S\"},"
                          "\"S\":{\"Type\":\"Succeed\"}}}",
                          &m);
    ck_assert_uint_eq(u->diags.n, 0);
    asl_cfg *c = asl_lower_machine(u, m, "t");
    ck_assert_uint_eq(c->ngraphs, 1);
    const ir_graph *g = &c->graphs[0];
    ck_assert_int_eq(g->start, 0);
    ck_assert_int_eq(g->nodes[0].term, IR_GOTO);
    ck_assert_int_eq(g->nodes[0].next, 1);
    ck_assert_int_eq(g->nodes[0].ops[1].kind, IR_INPUT_PATH);
    ck_assert_int_eq(c->items[g->nodes[0].ops[1].arg].kind, ASLRT_ITEM_PATH);
    ck_assert_str_eq(c->items[g->nodes[0].ops[1].arg].text, "$.x");
    ck_assert_int_eq(g->nodes[1].term, IR_CHOOSE);
    ck_assert_uint_eq(g->nodes[1].narms, 1);
    ck_assert_int_eq(g->nodes[1].arms[0].cond->kind, ASL_RULE_AND);
    ck_assert_int_eq(g->nodes[1].arms[0].target, 0);
    ck_assert_int_eq(g->nodes[1].next, 2);
    ck_assert_uint_eq(c->ncmps, 2);
    ck_assert_int_eq(c->cmps[1].is_path, 1);
    ck_assert_int_eq(g->nodes[2].term, IR_RETURN);
    asl_unit_destroy(u);
}
END_TEST

START_TEST(emit_escapes_everything)
{
    /* A state name with a quote, a comment terminator, a newline, a
     * trigraph and non-ASCII text must come out as escaped literals. */
    const char *def = "{\"StartAt\":\"a\\\"*/\\n?\?=\\u00e9\",\"States\":{\"a\\\"*/\\n?\?=\\u00e9\":"
                      "{\"Type\":\"Pass\",\"Result\":\"*/ x\",\"End\":true}}}";
    asl_machine *m;
    asl_unit *u = compile(def, &m);
    ck_assert_uint_eq(u->diags.n, 0);
    asl_cfg *c = asl_lower_machine(u, m, "t");
    asl_emit_options o = {.prefix = "t", .include_header = true};
    char *src = asl_emit_c_string(c, &o);
    ck_assert_ptr_nonnull(strstr(src, "\"a\\\"*/\\012\\?\\?=\\303\\251\""));
    /* The only comment terminators are the emitter's own. */
    const char *p = src;
    while ((p = strstr(p, "*/")) != NULL) {
        const char *open = p;
        while (open > src && !(open[0] == '/' && open[1] == '*'))
            open--;
        ck_assert_msg(open[0] == '/' && open[1] == '*', "stray */");
        p += 2;
    }
    free(src);
    asl_unit_destroy(u);
}
END_TEST

START_TEST(identifiers)
{
    char *id = asl_emit_c_identifier("dir/order-processing.asl.json");
    ck_assert_str_eq(id, "order_processing");
    free(id);
    /* Names C reserves or the runtime uses are moved out of the way. */
    id = asl_emit_c_identifier("9lives.json");
    ck_assert_str_eq(id, "m_9lives");
    free(id);
    id = asl_emit_c_identifier("_Private.json");
    ck_assert_str_eq(id, "m__Private");
    free(id);
    id = asl_emit_c_identifier("aslrt.json");
    ck_assert_str_eq(id, "m_aslrt");
    free(id);
    id = asl_emit_c_identifier(".json");
    ck_assert_str_eq(id, "m__json");
    free(id);

    ck_assert(asl_emit_c_prefix_ok("wf"));
    ck_assert(asl_emit_c_prefix_ok("Order_2"));
    ck_assert(!asl_emit_c_prefix_ok(""));
    ck_assert(!asl_emit_c_prefix_ok("x; int y"));
    ck_assert(!asl_emit_c_prefix_ok("_x"));
    ck_assert(!asl_emit_c_prefix_ok("9x"));
    ck_assert(!asl_emit_c_prefix_ok("caf\xc3\xa9"));
    ck_assert(!asl_emit_c_prefix_ok("aslrt"));
    ck_assert(!asl_emit_c_prefix_ok("aslc_child_0"));
}
END_TEST

/* n Parallels in one graph, each assigning its own variable, each with a
 * branch; the last branch assigns v0 (as "v0.$"), which the graph around
 * it assigns.  malloc'd. */
static char *parallels_with_variables(size_t n)
{
    char *t = malloc(n * 200 + 64), *p = t;
    p += sprintf(p, "{\"StartAt\":\"P0\",\"States\":{");
    for (size_t i = 0; i < n; i++) {
        p += sprintf(p, "%s\"P%zu\":{\"Type\":\"Parallel\",\"Assign\":{\"v%zu\":1},", i ? "," : "",
                     i, i);
        if (i + 1 < n)
            p += sprintf(p, "\"Next\":\"P%zu\",", i + 1);
        else
            p += sprintf(p, "\"End\":true,");
        p += sprintf(p, "\"Branches\":[{\"StartAt\":\"B%zu\",\"States\":{\"B%zu\":{\"Type\":"
                        "\"Pass\",%s\"End\":true}}}]}",
                     i, i, i + 1 < n ? "" : "\"Assign\":{\"v0.$\":\"$.x\"},");
    }
    strcpy(p, "}}");
    return t;
}

START_TEST(variables_of_many_parallels)
{
    /* Each Parallel's branch sees the names of the whole graph around it,
     * looked up through the enclosing scopes: a name assigned 2,000
     * Parallels out is still found.  (How long checking takes is bench/'s
     * to measure, not this test's.) */
    size_t n = 2000;
    char *text = parallels_with_variables(n);
    asl_machine *m;
    asl_unit *u = compile(text, &m);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(u->diags.nerrors, 1);
    char ptr[96];
    snprintf(ptr, sizeof ptr, "/States/P%zu/Branches/0/States/B%zu/Assign/v0.$", n - 1, n - 1);
    const asl_diag *g = error_at(u, ptr);
    ck_assert_ptr_nonnull(g);
    ck_assert_str_eq(g->code, "SCHEMA_VALIDATION_FAILED");
    ck_assert_ptr_nonnull(strstr(g->message, "'v0' is assigned in an enclosing scope"));
    asl_unit_destroy(u);
    free(text);
}
END_TEST

/* n Parallels, each the only state of the branch of the one before, each
 * assigning v<i>; the innermost branch assigns v0 again. */
static char *nested_parallels_with_variables(size_t n)
{
    char *t = malloc(n * 160 + 256), *p = t;
    p += sprintf(p, "{\"StartAt\":\"P0\",\"States\":{");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "\"P%zu\":{\"Type\":\"Parallel\",\"Assign\":{\"v%zu\":1},\"End\":true,"
                        "\"Branches\":[{\"StartAt\":\"P%zu\",\"States\":{",
                     i, i, i + 1);
    p += sprintf(p, "\"P%zu\":{\"Type\":\"Pass\",\"Assign\":{\"v0\":2},\"End\":true}", n);
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "}}]}");
    strcpy(p, "}}");
    return t;
}

/* The variable check's steps (asl_validate_steps) for the machine text;
 * it must find the one error, the innermost reassignment. */
static size_t variable_steps(char *text)
{
    asl_machine *m;
    size_t before = asl_validate_steps();
    asl_unit *u = compile(text, &m);
    size_t steps = asl_validate_steps() - before;
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(u->diags.nerrors, 1);
    const asl_diag *g = NULL;
    for (size_t i = 0; i < u->diags.n && !g; i++)
        if (u->diags.v[i].severity == ASL_DIAG_ERROR)
            g = &u->diags.v[i];
    ck_assert_ptr_nonnull(strstr(g->message, "'v0' is assigned in an enclosing scope"));
    asl_unit_destroy(u);
    free(text);
    return steps;
}

START_TEST(variables_check_is_linear)
{
    /* Twice the Parallels, side by side or nested (a definition nests at
     * most 32 graphs deep), cost the check twice the steps, give or take
     * the constant, not four times: a look-up through every enclosing
     * scope would make the nested case quadratic. */
    size_t a = variable_steps(parallels_with_variables(500));
    size_t b = variable_steps(parallels_with_variables(1000));
    ck_assert_msg(b <= a * 21 / 10, "side by side: %zu steps for 500, %zu for 1000", a, b);
    a = variable_steps(nested_parallels_with_variables(15));
    b = variable_steps(nested_parallels_with_variables(30));
    ck_assert_msg(b <= a * 21 / 10, "nested: %zu steps for 15, %zu for 30", a, b);
}
END_TEST

START_TEST(variables_assigned_by_path_around)
{
    /* "x.$" assigns x as much as "x" does: a branch may not assign it. */
    asl_machine *m;
    asl_unit *u = compile(
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\",\"End\":true,"
        "\"Assign\":{\"x.$\":\"$.a\"},\"Branches\":[{\"StartAt\":\"B\",\"States\":{\"B\":"
        "{\"Type\":\"Pass\",\"Assign\":{\"x\":1},\"End\":true}}}]}}}", &m);
    ck_assert_ptr_nonnull(error_at(u, "/States/P/Branches/0/States/B/Assign/x"));
    asl_unit_destroy(u);
}
END_TEST

#ifdef HAVE_LIBTCC
/* machine.c against the C backend: the descriptor `aslc run` builds in
 * memory has the tables that the generated C initializes, field by field
 * (item values the JSON of their texts), and they hold once the unit that
 * they were made from is gone.  Returns whether text lowered. */
static bool memory_matches_c(const char *text, const char *what)
{
    asl_unit *u = asl_unit_create("t.asl.json", text, strlen(text));
    asl_machine *m = u->diags.nerrors ? NULL : asl_parse_machine(u);
    if (m)
        asl_validate_machine(u, m);
    if (m && u->diags.nerrors == 0)
        asl_validate_supported(u, m, ASL_DIAG_ERROR);
    if (!m || u->diags.nerrors) {
        asl_unit_destroy(u);
        return false;
    }
    asl_cfg *cfg = asl_lower_machine(u, m, "t");
    char *err = NULL;
    asl_emit_options eo = {.prefix = "t"};
    char *csrc = asl_emit_c_string(cfg, &eo);
    asl_jit *c = asl_jit_compile(csrc, "t", &err);
    ck_assert_msg(c != NULL, "%s: the C: %s", what, err ? err : "");
    asl_jit *mem = asl_jit_compile_cfg(cfg, "t", &err);
    ck_assert_msg(mem != NULL, "%s: in memory: %s", what, err ? err : "");
    asl_unit_destroy(u);
    same_machine(asl_jit_machine(c), asl_jit_machine(mem));
    asl_jit_destroy(mem);
    asl_jit_destroy(c);
    free(csrc);
    return true;
}

/* What links a workflow program statically (backend.h): a definition that
 * can have it open no library; anything that could makes it dynamic. */
START_TEST(needs_libraries)
{
    static const struct {
        const char *def;
        bool needs;
    } cases[] = {
        {"{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}", false},
        {"{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":\"r\","
         "\"End\":true}}}", true},
        /* a Task anywhere: in a Parallel's branch, in a Map's processor */
        {"{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\",\"Branches\":[{"
         "\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":\"r\","
         "\"End\":true}}}],\"End\":true}}}", true},
        {"{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemProcessor\":{"
         "\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}},"
         "\"End\":true}}}", false},
        {"{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemReader\":{},"
         "\"ItemProcessor\":{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
         "\"End\":true}}},\"End\":true}}}", true},
        {"{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ResultWriter\":{},"
         "\"End\":true}}}", true},
        /* digests and base64, in any case, in a template or an expression */
        {"{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Parameters\":{"
         "\"h.$\":\"States.Hash($.a, 'MD5')\"},\"End\":true}}}", true},
        {"{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Parameters\":{"
         "\"b.$\":\"States.Base64Decode($.a)\"},\"End\":true}}}", true},
        {"{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"P\",\"States\":{\"P\":{"
         "\"Type\":\"Pass\",\"Output\":[\"{% $base64encode('x') %}\"],\"End\":true}}}", true},
        {"{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Parameters\":{"
         "\"s.$\":\"States.Format('{}', $.a)\"},\"End\":true}}}", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *d = json_loads(cases[i].def, 0, NULL);
        ck_assert_ptr_nonnull(d);
        ck_assert_msg(asl_build_needs_libraries(d) == cases[i].needs, "case %zu", i);
        json_decref(d);
    }
}
END_TEST

/* The golden-test definitions, the benchmark's workloads and every
 * definition of the recorded executions that compiles. */
START_TEST(memory_tables_match_c)
{
    static const char *const files[] = {
        "tests/golden/choice-table.asl.json", "tests/golden/choice-wait-fail.asl.json",
        "tests/golden/hostile-names.asl.json", "tests/golden/pass-chain.asl.json",
        "tests/golden/retry-catch.asl.json", "tests/golden/parallel-map.asl.json",
        "bench/workloads/a_pass_chain_1000.asl.json", "bench/workloads/b_choice_loop_100k.asl.json",
        "bench/workloads/c_map_inline_10k.asl.json", "bench/workloads/d_parallel_8x10.asl.json",
        "bench/workloads/e_task_retry_loop_10k.asl.json", "examples/aws-services/orders.asl.json"};
    char path[4096];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", ASLC_TEST_SRCDIR, files[i]);
        char *text = slurp(path);
        ck_assert_msg(memory_matches_c(text, files[i]), "%s does not compile", files[i]);
        free(text);
    }
    const char *dir = ASLC_TEST_SRCDIR "/tests/conformance/localstack/cases";
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot read %s", dir);
    size_t compared = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        json_t *rec = json_load_file(path, 0, NULL);
        ck_assert_msg(rec != NULL, "cannot parse %s", path);
        char *text = json_dumps(json_object_get(rec, "definition"), JSON_ENCODE_ANY);
        if (text && memory_matches_c(text, e->d_name))
            compared++;
        free(text);
        json_decref(rec);
    }
    closedir(d);
    ck_assert_uint_gt(compared, 800);
}
END_TEST
#endif

int main(void)
{
    Suite *s = suite_create("compiler");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, valid_minimal);
    tcase_add_test(tc, invalid_json);
    tcase_add_test(tc, not_an_object);
    tcase_add_test(tc, missing_required);
    tcase_add_test(tc, unknown_field_and_type);
    tcase_add_test(tc, jsonata_field_in_jsonpath);
    tcase_add_test(tc, result_path_not_reference);
    tcase_add_test(tc, template_dynamic_value);
    tcase_add_test(tc, wait_exactly_one);
    tcase_add_test(tc, choice_rules);
    tcase_add_test(tc, retry_states_all_last);
    suite_add_tcase(s, tc);
    tc = tcase_create("validate");
    tcase_add_test(tc, bad_next_and_unreachable);
    tcase_add_test(tc, no_terminal_state);
    tcase_add_test(tc, duplicate_names_across_branches);
    tcase_add_test(tc, supported_refuses_later_features);
    tcase_add_test(tc, variables_of_many_parallels);
    tcase_add_test(tc, variables_assigned_by_path_around);
    tcase_add_test(tc, variables_check_is_linear);
    suite_add_tcase(s, tc);
    tc = tcase_create("lower_emit");
    tcase_add_test(tc, lower_choice_graph);
    tcase_add_test(tc, emit_escapes_everything);
    tcase_add_test(tc, identifiers);
    tcase_add_test(tc, needs_libraries);
    suite_add_tcase(s, tc);
#ifdef HAVE_LIBTCC
    tc = tcase_create("in_memory");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, memory_tables_match_c);
    suite_add_tcase(s, tc);
#endif
    int failed = run_suite(s, CK_ENV);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

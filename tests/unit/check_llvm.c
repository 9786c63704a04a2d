/*
 * check_llvm.c - the LLVM backend (backend_llvm.c; built only with
 * configure --with-llvm): the layout of its struct types against the C
 * compiler's, the module as text, and workflows run in memory (ORC) and as
 * built executables, compared with the TinyCC backend.
 */
#include <check.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aslrt.h"
#include "ast.h"
#include "backend.h"
#include "config.h"
#include "ir.h"
#include "unit.h"
#include "testutil.h"

/* ---- layouts: every member's offset, as this C compiler lays it out ---- */

#define OFF(T, f) offsetof(T, f)

static void check_layout(const char *name, size_t size, const size_t *want, size_t n)
{
    size_t got_size = 0, got[64];
    int k = asl_llvm_struct_layout(name, &got_size, got, 64);
    ck_assert_msg(k == (int)n, "%s: LLVM type has %d members, C has %zu", name, k, n);
    ck_assert_msg(got_size == size, "%s: LLVM size %zu, C size %zu", name, got_size, size);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i], "%s: member %zu at %zu in LLVM, %zu in C", name, i,
                      got[i], want[i]);
}

START_TEST(layouts)
{
    const size_t item[] = {OFF(aslrt_item, kind),  OFF(aslrt_item, text),
                           OFF(aslrt_item, field), OFF(aslrt_item, exprs),
                           OFF(aslrt_item, nexprs), OFF(aslrt_item, value)};
    check_layout("aslrt_item", sizeof(aslrt_item), item, 6);
    const size_t cmp[] = {OFF(aslrt_cmp, variable), OFF(aslrt_cmp, op), OFF(aslrt_cmp, operand),
                          OFF(aslrt_cmp, is_path)};
    check_layout("aslrt_cmp", sizeof(aslrt_cmp), cmp, 4);
    const size_t rule[] = {OFF(aslrt_rule, kind), OFF(aslrt_rule, arg), OFF(aslrt_rule, nkids),
                           OFF(aslrt_rule, size)};
    check_layout("aslrt_rule", sizeof(aslrt_rule), rule, 4);
    const size_t state[] = {
        OFF(aslrt_state, name), OFF(aslrt_state, type), OFF(aslrt_state, jsonata),
        OFF(aslrt_state, resource), OFF(aslrt_state, timeout_seconds),
        OFF(aslrt_state, timeout_path), OFF(aslrt_state, heartbeat_seconds),
        OFF(aslrt_state, heartbeat_path), OFF(aslrt_state, seconds),
        OFF(aslrt_state, timestamp), OFF(aslrt_state, seconds_path),
        OFF(aslrt_state, timestamp_path), OFF(aslrt_state, error), OFF(aslrt_state, cause),
        OFF(aslrt_state, error_path), OFF(aslrt_state, cause_path), OFF(aslrt_state, retrier),
        OFF(aslrt_state, nretriers), OFF(aslrt_state, catcher), OFF(aslrt_state, ncatchers),
        OFF(aslrt_state, branches), OFF(aslrt_state, nbranches), OFF(aslrt_state, processor),
        OFF(aslrt_state, items_path), OFF(aslrt_state, item_selector),
        OFF(aslrt_state, max_concurrency), OFF(aslrt_state, max_concurrency_path),
        OFF(aslrt_state, distributed), OFF(aslrt_state, tolerated_count),
        OFF(aslrt_state, tolerated_percentage), OFF(aslrt_state, tolerated_count_path),
        OFF(aslrt_state, tolerated_percentage_path), OFF(aslrt_state, reader_resource),
        OFF(aslrt_state, reader_params), OFF(aslrt_state, reader_config),
        OFF(aslrt_state, reader_max_items), OFF(aslrt_state, reader_max_items_path),
        OFF(aslrt_state, batched), OFF(aslrt_state, batch_max_items),
        OFF(aslrt_state, batch_max_items_path), OFF(aslrt_state, batch_max_bytes),
        OFF(aslrt_state, batch_max_bytes_path), OFF(aslrt_state, batch_input),
        OFF(aslrt_state, writes), OFF(aslrt_state, writer_resource),
        OFF(aslrt_state, writer_params), OFF(aslrt_state, writer_config),
        OFF(aslrt_state, label), OFF(aslrt_state, flow_input_path),
        OFF(aslrt_state, flow_parameters), OFF(aslrt_state, flow_result),
        OFF(aslrt_state, flow_result_path), OFF(aslrt_state, flow_output_path)};
    check_layout("aslrt_state", sizeof(aslrt_state), state, sizeof state / sizeof state[0]);
    const size_t retrier[] = {OFF(aslrt_retrier, errors), OFF(aslrt_retrier, nerrors),
                              OFF(aslrt_retrier, interval), OFF(aslrt_retrier, max_attempts),
                              OFF(aslrt_retrier, backoff), OFF(aslrt_retrier, max_delay),
                              OFF(aslrt_retrier, jitter_full)};
    check_layout("aslrt_retrier", sizeof(aslrt_retrier), retrier, 7);
    const size_t catcher[] = {OFF(aslrt_catcher, errors), OFF(aslrt_catcher, nerrors),
                              OFF(aslrt_catcher, result_path), OFF(aslrt_catcher, assign),
                              OFF(aslrt_catcher, output)};
    check_layout("aslrt_catcher", sizeof(aslrt_catcher), catcher, 5);
    const size_t jn[] = {
        OFF(aslrt_jn_node, type), OFF(aslrt_jn_node, op), OFF(aslrt_jn_node, flags),
        OFF(aslrt_jn_node, position), OFF(aslrt_jn_node, number), OFF(aslrt_jn_node, str),
        OFF(aslrt_jn_node, len), OFF(aslrt_jn_node, hash), OFF(aslrt_jn_node, str2),
        OFF(aslrt_jn_node, focus), OFF(aslrt_jn_node, index), OFF(aslrt_jn_node, ancestor),
        OFF(aslrt_jn_node, lhs), OFF(aslrt_jn_node, rhs), OFF(aslrt_jn_node, third),
        OFF(aslrt_jn_node, items), OFF(aslrt_jn_node, nitems), OFF(aslrt_jn_node, nstages),
        OFF(aslrt_jn_node, stages), OFF(aslrt_jn_node, predicate),
        OFF(aslrt_jn_node, npredicate), OFF(aslrt_jn_node, group)};
    check_layout("aslrt_jn_node", sizeof(aslrt_jn_node), jn, sizeof jn / sizeof jn[0]);
    const size_t machine[] = {
        OFF(aslrt_machine, abi_version), OFF(aslrt_machine, name), OFF(aslrt_machine, source),
        OFF(aslrt_machine, items), OFF(aslrt_machine, nitems), OFF(aslrt_machine, states),
        OFF(aslrt_machine, nstates), OFF(aslrt_machine, cmps), OFF(aslrt_machine, ncmps),
        OFF(aslrt_machine, graphs), OFF(aslrt_machine, ngraphs), OFF(aslrt_machine, retriers),
        OFF(aslrt_machine, nretriers), OFF(aslrt_machine, catchers),
        OFF(aslrt_machine, ncatchers), OFF(aslrt_machine, timeout_seconds),
        OFF(aslrt_machine, flags), OFF(aslrt_machine, rules), OFF(aslrt_machine, nrules)};
    check_layout("aslrt_machine", sizeof(aslrt_machine), machine, 19);
    const size_t frame[] = {OFF(aslrt_frame, raw), OFF(aslrt_frame, eff), OFF(aslrt_frame, res),
                            OFF(aslrt_frame, input), OFF(aslrt_frame, state)};
    check_layout("aslrt_frame", sizeof(aslrt_frame), frame, 5);
    size_t sz, off[4];
    ck_assert_int_eq(asl_llvm_struct_layout("no_such_struct", &sz, off, 4), -1);
}
END_TEST

/* ---- machines ------------------------------------------------------------ */

/* Pass, a Choice loop (And, Not), a Task with Retry and Catch, a Map whose
 * item processor is a JSONata state, Succeed. */
static const char *const machine_text =
    "{\"StartAt\":\"Init\",\"States\":{"
    "\"Init\":{\"Type\":\"Pass\",\"Parameters\":{\"n.$\":\"$.n\",\"items.$\":\"$.items\","
    "\"name\":\"x\\u00e9\"},\"Next\":\"Loop\"},"
    "\"Loop\":{\"Type\":\"Choice\",\"Choices\":[{\"And\":[{\"Variable\":\"$.n\","
    "\"NumericGreaterThan\":0},{\"Not\":{\"Variable\":\"$.n\",\"NumericEquals\":99}}],"
    "\"Next\":\"Dec\"}],\"Default\":\"Call\"},"
    "\"Dec\":{\"Type\":\"Pass\",\"Parameters\":{\"n.$\":\"States.MathAdd($.n, -1)\","
    "\"items.$\":\"$.items\",\"name.$\":\"$.name\"},\"Next\":\"Loop\"},"
    "\"Call\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:1:function:flaky\","
    "\"ResultPath\":\"$.call\",\"Retry\":[{\"ErrorEquals\":[\"Flaky.Error\"],"
    "\"MaxAttempts\":1}],\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],"
    "\"ResultPath\":\"$.caught\",\"Next\":\"Each\"}],\"Next\":\"Each\"},"
    "\"Each\":{\"Type\":\"Map\",\"ItemsPath\":\"$.items\",\"ResultPath\":\"$.doubled\","
    "\"ItemProcessor\":{\"StartAt\":\"Double\",\"States\":{\"Double\":{\"Type\":\"Pass\","
    "\"QueryLanguage\":\"JSONata\",\"Output\":\"{% $states.input * 2 %}\",\"End\":true}}},"
    "\"Next\":\"Done\"},"
    "\"Done\":{\"Type\":\"Succeed\"}}}";

typedef struct compiled {
    asl_unit *u;
    asl_cfg *cfg;
} compiled;

static compiled lower(const char *text)
{
    compiled c = {asl_unit_create("t.asl.json", text, strlen(text)), NULL};
    asl_machine *m = asl_parse_machine(c.u);
    ck_assert_ptr_nonnull(m);
    asl_validate_machine(c.u, m);
    if (c.u->diags.nerrors == 0)
        asl_validate_supported(c.u, m, ASL_DIAG_ERROR);
    for (size_t i = 0; i < c.u->diags.n; i++)
        fprintf(stderr, "diag: %s %s\n", c.u->diags.v[i].pointer, c.u->diags.v[i].message);
    ck_assert_uint_eq(c.u->diags.nerrors, 0);
    c.cfg = asl_lower_machine(c.u, m, "t");
    return c;
}

/* The handler: fails (Flaky.Error) on the calls that *ud says, counting. */
typedef struct flaky {
    int calls;
    int fail_until; /* calls up to this one fail */
} flaky;

static int flaky_fn(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    (void)input;
    flaky *f = ud;
    f->calls++;
    if (f->calls <= f->fail_until) {
        aslrt_error_set(err, "Flaky.Error", "not yet");
        return 0;
    }
    *output = json_pack("{s:b, s:i}", "ok", 1, "attempt", f->calls);
    return 1;
}

/* Runs machine m on input; returns "SUCCEEDED <output>" or
 * "FAILED <error> <cause>" (malloc'd). */
static char *execute(const aslrt_machine *m, const char *input, int fail_until)
{
    aslrt_error err = {NULL, NULL};
    aslrt_program *p = aslrt_program_create(m, &err);
    ck_assert_msg(p != NULL, "program: %s", err.cause ? err.cause : "");
    flaky f = {0, fail_until};
    aslrt_bindings *b = aslrt_bindings_create();
    ck_assert(aslrt_bindings_add_c(b, "arn:aws:lambda:*:function:flaky", flaky_fn, &f));
    aslrt_config cfg;
    aslrt_config_init(&cfg);
    cfg.bindings = b;
    cfg.wait_mode = ASLRT_WAIT_SKIP;
    cfg.execution_name = "e";
    json_t *in = json_loads(input, JSON_DECODE_ANY, NULL);
    ck_assert_ptr_nonnull(in);
    json_t *out = NULL;
    int st = aslrt_execute(p, &cfg, in, &out, &err);
    char *res;
    if (st == ASLRT_SUCCEEDED) {
        char *o = aslrt_json_dumps(out);
        res = malloc(strlen(o) + 16);
        sprintf(res, "SUCCEEDED %s", o);
        free(o);
        json_decref(out);
    } else {
        res = malloc(64 + (err.error ? strlen(err.error) : 0) + (err.cause ? strlen(err.cause) : 0));
        sprintf(res, "FAILED %s %s", err.error ? err.error : "-", err.cause ? err.cause : "-");
    }
    aslrt_error_clear(&err);
    json_decref(in);
    aslrt_bindings_destroy(b);
    aslrt_program_destroy(p);
    return res;
}

static const struct {
    const char *input;
    int fail_until;
    const char *want;
} runs[] = {
    {"{\"n\":3,\"items\":[1,2,3]}", 1,
     "SUCCEEDED {\"n\":0,\"items\":[1,2,3],\"name\":\"x\xc3\xa9\","
     "\"call\":{\"ok\":true,\"attempt\":2},\"doubled\":[2,4,6]}"},
    {"{\"n\":99,\"items\":[]}", 5,
     "SUCCEEDED {\"n\":99,\"items\":[],\"name\":\"x\xc3\xa9\","
     "\"caught\":{\"Error\":\"Flaky.Error\",\"Cause\":\"not yet\"},\"doubled\":[]}"},
    /* "n" is no number: the Choice rule is false; the items are no array. */
    {"{\"n\":\"a\",\"items\":7}", 0, "FAILED States."},
};

START_TEST(jit_runs)
{
    compiled c = lower(machine_text);
    for (int opt = 0; opt <= 2; opt += 2) {
        char *err = NULL;
        asl_llvm_jit *j = asl_llvm_jit_compile(c.cfg, "t", opt, &err);
        ck_assert_msg(j != NULL, "LLVM JIT: %s", err ? err : "");
        const aslrt_machine *m = asl_llvm_jit_machine(j);
        ck_assert_int_eq(m->abi_version, ASLRT_ABI_VERSION);
        ck_assert_int_eq(m->nstates, (int)c.cfg->nstates);
        ck_assert_str_eq(m->states[0].name, "Init");
        for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
            char *got = execute(m, runs[i].input, runs[i].fail_until);
            ck_assert_msg(strncmp(got, runs[i].want, strlen(runs[i].want)) == 0,
                          "O%d run %zu: got %s", opt, i, got);
#ifdef HAVE_LIBTCC
            /* The same as the C backend compiled by TinyCC. */
            asl_emit_options eo = {.prefix = "t"};
            char *csrc = asl_emit_c_string(c.cfg, &eo);
            asl_jit *t = asl_jit_compile(csrc, "t", &err);
            ck_assert_msg(t != NULL, "TinyCC: %s", err ? err : "");
            char *want = execute(asl_jit_machine(t), runs[i].input, runs[i].fail_until);
            ck_assert_str_eq(got, want);
            free(want);
            asl_jit_destroy(t);
            free(csrc);
#endif
            free(got);
        }
        asl_llvm_jit_destroy(j);
    }
    asl_unit_destroy(c.u);
}
END_TEST

/* Choice states with more rules than IR_CHOICE_INLINE_MAX tests have them
 * as data (aslrt_op_choose): And, Or and Not short-circuit in order, an
 * error stops the state, arms that go to the same place share their code,
 * no match without Default is States.NoChoiceMatched; JSONata Conditions
 * (literal ones too) with per-rule Output.  Through LLVM and TinyCC. */
#define RULES(last, dflt)                                                                      \
    "{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\",\"Choices\":["                   \
    "{\"And\":[{\"Variable\":\"$.a\",\"NumericEquals\":1},{\"Variable\":\"$.m\","              \
    "\"IsPresent\":true}],\"Next\":\"A\"},"                                                      \
    "{\"Or\":[{\"Variable\":\"$.b\",\"StringEquals\":\"x\"},{\"Variable\":\"$.nope\","          \
    "\"NumericEquals\":1}],\"Next\":\"B\"},"                                                     \
    "{\"Not\":{\"Variable\":\"$.c\",\"BooleanEquals\":true},\"Next\":\"K\"},"                   \
    "{\"Variable\":\"$.d\",\"NumericGreaterThan\":5,\"Next\":\"" last "\"}]" dflt "},"                 \
    "\"A\":{\"Type\":\"Pass\",\"Result\":\"A\",\"End\":true},"                                \
    "\"B\":{\"Type\":\"Pass\",\"Result\":\"B\",\"End\":true},"                                \
    "\"K\":{\"Type\":\"Pass\",\"Result\":\"K\",\"End\":true},"                                \
    "\"D\":{\"Type\":\"Pass\",\"Result\":\"D\",\"End\":true}}}"

static const struct {
    const char *def, *input, *want;
} choice_runs[] = {
    {RULES("A", ",\"Default\":\"D\""), "{\"a\":1,\"m\":0}", "SUCCEEDED \"A\""},
    {RULES("A", ",\"Default\":\"D\""), "{\"a\":1,\"b\":\"x\"}", "SUCCEEDED \"B\""},
    {RULES("A", ",\"Default\":\"D\""), "{\"a\":0,\"b\":\"y\"}",
     "FAILED States.Runtime An error occurred while executing the state 'C' (entered at the "
     "event id #2). Invalid path '$.nope' : No results for path: $['nope']"},
    {RULES("A", ",\"Default\":\"D\""), "{\"a\":0,\"b\":\"y\",\"nope\":2,\"c\":false}",
     "SUCCEEDED \"K\""},
    {RULES("A", ",\"Default\":\"D\""), "{\"a\":0,\"b\":\"y\",\"nope\":1}", "SUCCEEDED \"B\""},
    {RULES("A", ",\"Default\":\"D\""), "{\"a\":0,\"b\":\"y\",\"nope\":2,\"c\":true,\"d\":9}",
     "SUCCEEDED \"A\""},
    {RULES("A", ",\"Default\":\"D\""), "{\"a\":0,\"b\":\"y\",\"nope\":2,\"c\":true,\"d\":1}",
     "SUCCEEDED \"D\""},
    {RULES("D", ""), "{\"a\":0,\"b\":\"y\",\"nope\":2,\"c\":true,\"d\":1}",
     "FAILED States.NoChoiceMatched No Choice Rules matched and no Default was specified for "
     "state 'C'"},
    {"{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\","
     "\"Choices\":[{\"Condition\":false,\"Next\":\"E\"},"
     "{\"Condition\":\"{% $states.input.n > 3 %}\",\"Output\":\"big\",\"Next\":\"E\"},"
     "{\"Condition\":\"{% $states.input.n = 1 %}\",\"Next\":\"E\"},"
     "{\"Condition\":\"{% $states.input.n = 2 %}\",\"Output\":\"two\",\"Next\":\"E\"},"
     "{\"Condition\":true,\"Output\":\"{% $states.input.n * 10 %}\",\"Next\":\"E\"}],"
     "\"Output\":\"state\"},\"E\":{\"Type\":\"Succeed\"}}}",
     "{\"n\":2}", "SUCCEEDED \"two\""},
};

START_TEST(choice_tables)
{
    static const char *const jn_wants[] = {"SUCCEEDED \"big\"", "SUCCEEDED \"state\"",
                                           "SUCCEEDED \"two\"", "SUCCEEDED 30"};
    for (size_t i = 0; i < sizeof choice_runs / sizeof choice_runs[0]; i++) {
        compiled c = lower(choice_runs[i].def);
        ck_assert_msg(c.cfg->nrules > 0, "run %zu: the rules are not data", i);
        char *err = NULL;
        asl_llvm_jit *j = asl_llvm_jit_compile(c.cfg, "t", 2, &err);
        ck_assert_msg(j != NULL, "LLVM JIT: %s", err ? err : "");
        /* the JSONata machine: every Condition in turn */
        const char *jn_inputs[] = {"{\"n\":4}", "{\"n\":1}", "{\"n\":2}", "{\"n\":3}"};
        bool jn = strstr(choice_runs[i].def, "JSONata") != NULL;
        for (size_t k = 0; k < (jn ? 4 : 1); k++) {
            const char *input = jn ? jn_inputs[k] : choice_runs[i].input;
            const char *want = jn ? jn_wants[k] : choice_runs[i].want;
            char *got = execute(asl_llvm_jit_machine(j), input, 0);
            ck_assert_msg(strcmp(got, want) == 0, "run %zu.%zu (LLVM): got %s", i, k, got);
#ifdef HAVE_LIBTCC
            asl_emit_options eo = {.prefix = "t"};
            char *csrc = asl_emit_c_string(c.cfg, &eo);
            ck_assert_ptr_nonnull(strstr(csrc, "aslrt_op_choose"));
            asl_jit *t = asl_jit_compile(csrc, "t", &err);
            ck_assert_msg(t != NULL, "TinyCC: %s", err ? err : "");
            char *tgot = execute(asl_jit_machine(t), input, 0);
            ck_assert_msg(strcmp(tgot, want) == 0, "run %zu.%zu (TinyCC): got %s", i, k, tgot);
            free(tgot);
            asl_jit_destroy(t);
            free(csrc);
#endif
            free(got);
        }
        asl_llvm_jit_destroy(j);
        asl_unit_destroy(c.u);
    }
}
END_TEST

START_TEST(ir_text)
{
    compiled c = lower(machine_text);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    char *err = NULL;
    asl_emit_options eo = {.prefix = "wf", .with_main = true};
    ck_assert_msg(asl_llvm_emit_ir(f, c.cfg, &eo, -1, &err), "%s", err ? err : "");
    fclose(f);
    /* One function per graph, its states in region functions (node 3 of
     * graph 0 retries) with the table the graph's loop calls them from, the
     * descriptor, main, the recovery switch, and the state table typed as
     * aslrt.h's struct. */
    ck_assert_ptr_nonnull(strstr(buf, "define internal ptr @graph0(ptr %ex, ptr %input)"));
    ck_assert_ptr_nonnull(strstr(buf, "define internal ptr @graph1("));
    ck_assert_ptr_nonnull(strstr(buf, "@wf_machine = constant %struct.aslrt_machine"));
    ck_assert_ptr_nonnull(strstr(buf, "define i32 @main(i32 %0, ptr %1)"));
    ck_assert_ptr_nonnull(strstr(buf, "call i32 @aslrt_op_recover("));
    ck_assert_ptr_nonnull(strstr(buf, "define internal i32 @g0_r0(ptr %ex, ptr %f, i32 %s)"));
    ck_assert_ptr_nonnull(strstr(buf, "@g0_steps = internal constant ["));
    ck_assert_ptr_nonnull(strstr(buf, "call i32 %step(ptr %ex, ptr %f, i32 %s)"));
    ck_assert_ptr_nonnull(strstr(buf, "i32 -1, label %s3.try"));
    ck_assert_ptr_nonnull(strstr(buf, "@states = internal constant [7 x %struct.aslrt_state]"));
    ck_assert_ptr_nonnull(strstr(buf, "c\"Flaky.Error\\00\""));
    free(buf);
    asl_unit_destroy(c.u);
}
END_TEST

START_TEST(built_executable)
{
    compiled c = lower(machine_text);
    char exe[] = "/tmp/check_llvm-XXXXXX";
    int fd = mkstemp(exe);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char *err = NULL;
    asl_emit_options eo = {.prefix = "wf", .with_main = true};
    ck_assert_msg(asl_llvm_build_executable(c.cfg, &eo, exe, "cc", 2, false, &err), "%s",
                  err ? err : "");
    /* No binding for the task: it fails, the catcher takes it. */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s --input '{\"n\":2,\"items\":[5]}' --wait=skip", exe);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char out[1024] = "";
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    unlink(exe);
    ck_assert_int_eq(WEXITSTATUS(st), 0);
    ck_assert_msg(strstr(out, "\"n\":0") && strstr(out, "\"doubled\":[10]") &&
                      strstr(out, "\"caught\":{\"Error\":"),
                  "output: %s", out);
    asl_unit_destroy(c.u);
}
END_TEST

#ifdef HAVE_LIBTCC
/* ---- the tables against the C backend's, field by field ---------------- */

#include "machines.h"

static void compare_tables(const char *text, const char *what)
{
    compiled c = lower(text);
    char *err = NULL;
    asl_llvm_jit *j = asl_llvm_jit_compile(c.cfg, "t", 0, &err);
    ck_assert_msg(j != NULL, "%s: LLVM: %s", what, err ? err : "");
    asl_emit_options eo = {.prefix = "t"};
    char *csrc = asl_emit_c_string(c.cfg, &eo);
    asl_jit *t = asl_jit_compile(csrc, "t", &err);
    ck_assert_msg(t != NULL, "%s: TinyCC: %s", what, err ? err : "");
    same_machine(asl_llvm_jit_machine(j), asl_jit_machine(t));
    asl_jit_destroy(t);
    asl_llvm_jit_destroy(j);
    free(csrc);
    asl_unit_destroy(c.u);
}

/* The test machine, the golden-test definitions (hostile names, Retry and
 * Catch, Wait and Fail, Parallel and Map) and the benchmark's Map and
 * Parallel workloads. */
START_TEST(tables_match_c)
{
    compare_tables(machine_text, "check_llvm machine");
    static const char *const files[] = {
        "tests/golden/choice-wait-fail.asl.json", "tests/golden/hostile-names.asl.json",
        "tests/golden/pass-chain.asl.json", "tests/golden/retry-catch.asl.json",
        "tests/golden/parallel-map.asl.json",
        "bench/workloads/c_map_inline_10k.asl.json", "bench/workloads/d_parallel_8x10.asl.json",
        "bench/workloads/e_task_retry_loop_10k.asl.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", ASLC_TEST_SRCDIR, files[i]);
        char *text = slurp(path);
        compare_tables(text, files[i]);
        free(text);
    }
}
END_TEST
#endif

START_TEST(version_named)
{
    ck_assert_ptr_nonnull(strstr(asl_llvm_version(), "LLVM "));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("llvm");
    TCase *tc = tcase_create("llvm");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, layouts);
    tcase_add_test(tc, choice_tables);
    tcase_add_test(tc, ir_text);
    tcase_add_test(tc, jit_runs);
    tcase_add_test(tc, built_executable);
    tcase_add_test(tc, version_named);
#ifdef HAVE_LIBTCC
    tcase_add_test(tc, tables_match_c);
#endif
    suite_add_tcase(s, tc);
    int failed = run_suite(s, CK_ENV);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * teststate.c - the TestState action: one state of a definition run once,
 * turned into AWS's answer (status, output or error, the next state and,
 * at DEBUG and TRACE, the data after each step of the state).
 *
 * The definition (a single state, or a whole machine and the stateName of
 * one of its states, nested ones included) goes through the compiler as a
 * machine would: a single state becomes the machine {"StartAt":
 * "StateName", ...} with a Succeed state standing for each state it names
 * as Next, so that it validates.  The machine is lowered, emitted as C and
 * compiled by TinyCC; the program is made from a copy of its descriptor in
 * which the machine's graph function is replaced by run_state below.  The
 * runtime's aslrt_execute then creates the execution as for any run and
 * calls run_state, which walks the IR node of the chosen state and calls
 * the runtime's op for each step, as the generated code would, noting the
 * values in between.  Where the request mocks the state's service (a
 * Task's call, a Map's iterations, a Parallel's branches) the result or
 * error is put in the place of the op; Retry and Catch are decided once,
 * without waiting: a retrier with attempts left is RETRIABLE, a catcher
 * that takes the error is CAUGHT_ERROR.  doc/behaviour.md §32 says what
 * this relies on.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aslrt_private.h"
#include "ast.h"
#include "backend.h"
#include "config.h"
#include "ir.h"
#include "server.h"
#include "unit.h"

/* The name AWS gives the state of a single-state definition (its error
 * locations say /States/StateName/...) and $$.State.Name of every state
 * TestState runs (recorded). */
#define STATE_NAME "StateName"

enum { LEVEL_INFO, LEVEL_DEBUG, LEVEL_TRACE };

/* One TestState request and what running it found. */
typedef struct ts_run {
    /* the request */
    int level;
    json_t *mock_result;       /* mock.result, parsed, or NULL */
    const char *mock_error;    /* mock.errorOutput: set when it is given */
    const char *mock_cause;
    bool has_error_mock;
    json_t *variables;         /* parsed, or NULL */
    json_t *context;           /* parsed, or NULL: the default context */
    long long retry_count;     /* stateConfiguration.retrierRetryCount */
    long long map_failures;    /* stateConfiguration.mapIterationFailureCount, -1 */
    const char *role_arn;      /* may be NULL */
    /* the machine */
    const asl_cfg *cfg;
    const ir_graph *graph;
    const ir_node *node;
    /* the answer */
    json_t *inspection;        /* inspectionData */
    const char *status;        /* SUCCEEDED, FAILED, CAUGHT_ERROR, RETRIABLE */
    json_t *output;            /* the state output, on success or catch */
    char *error, *cause;
    const char *next;          /* nextState, or NULL */
} ts_run;

/* The run in progress on this thread: run_state has only (ex, input). */
static _Thread_local ts_run *current;

/* Documented: a test runs for at most five minutes. */
long long srv_test_state_limit_ms = 5 * 60 * 1000;

/* What stops a test at its limit: the execution's abort flag, set by a
 * thread of its own unless the test ends first. */
typedef struct watchdog {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    volatile int expired;
    struct timespec until;
} watchdog;

static void *watch(void *arg)
{
    watchdog *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->done)
        if (pthread_cond_timedwait(&w->cv, &w->mu, &w->until) == ETIMEDOUT) {
            w->expired = !w->done;
            break;
        }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- Request members ------------------------------------------------------ */

/* AWS's wording of a member that breaks a constraint of the API. */
static json_t *invalid_member(srv_fault *f, const char *value, const char *member,
                              const char *constraint)
{
    srv_fault_set(f, 400, "ValidationException",
                  "1 validation error detected: Value %s%s%s at '%s' failed to satisfy "
                  "constraint: %s",
                  value ? "'" : "", value ? value : "null", value ? "'" : "", member, constraint);
    return NULL;
}

/* Member name of req as a string, or NULL when absent; *bad when it is
 * there but not a string. */
static const char *string_member(json_t *req, const char *name, bool *bad)
{
    json_t *v = json_object_get(req, name);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        *bad = true;
        return NULL;
    }
    return json_string_value(v);
}

/* v (may be NULL: absent) is a count the API takes: an integer, 0 or more;
 * false with f set. */
static bool count_member(json_t *v, const char *member, srv_fault *f)
{
    if (!v || json_is_null(v))
        return true;
    if (!json_is_integer(v)) {
        srv_fault_set(f, 400, "SerializationException",
                      "NUMBER_VALUE can not be converted to an Integer");
        return false;
    }
    if (json_integer_value(v) < 0) {
        char text[32];
        snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
        invalid_member(f, text, member, "Member must have value greater than or equal to 0");
        return false;
    }
    return true;
}

/* ---- The definition through the compiler ---------------------------------- */

/* Every Next the state s (a JSON object) names: its own, its Choice rules'
 * and Default, its catchers'. */
static void targets_of(json_t *s, json_t *names)
{
    json_t *v = json_object_get(s, "Next");
    if (json_is_string(v))
        json_array_append(names, v);
    if (json_is_string(v = json_object_get(s, "Default")))
        json_array_append(names, v);
    const char *lists[] = {"Choices", "Catch"};
    for (size_t i = 0; i < 2; i++) {
        json_t *a = json_object_get(s, lists[i]), *e;
        size_t k;
        if (json_is_array(a))
            json_array_foreach(a, k, e) if (json_is_string(v = json_object_get(e, "Next")))
                json_array_append(names, v);
    }
}

/* The machine a single-state definition stands for (new). */
static json_t *wrap_state(json_t *state)
{
    json_t *states = json_object();
    json_object_set(states, STATE_NAME, state);
    json_t *names = json_array(), *n;
    targets_of(state, names);
    size_t i;
    json_array_foreach(names, i, n) {
        if (!json_object_get(states, json_string_value(n)))
            json_object_set_new(states, json_string_value(n), json_pack("{s:s}", "Type", "Succeed"));
    }
    json_decref(names);
    json_t *m = json_pack("{s:s,s:o}", "StartAt", STATE_NAME, "States", states);
    return m;
}

/* AWS's InvalidDefinition for the machine text, as CreateStateMachine
 * words it (engine.c); the machine is checked as a Standard one. */
static void invalid_definition(srv_fault *f, const char *text)
{
    json_t *d = srv_validate(text, false);
    char *msg = srv_invalid_message(d);
    srv_fault_set(f, 400, "InvalidDefinition", "%s", msg);
    free(msg);
    json_decref(d);
}

/* The IR node of the state called name, in any graph; NULL when none. */
static const ir_node *find_node(const asl_cfg *c, const char *name, const ir_graph **g)
{
    for (size_t i = 0; i < c->ngraphs; i++)
        for (size_t j = 0; j < c->graphs[i].nnodes; j++)
            if (strcmp(c->graphs[i].nodes[j].state->name, name) == 0) {
                *g = &c->graphs[i];
                return &c->graphs[i].nodes[j];
            }
    return NULL;
}

/* ---- Inspection data ------------------------------------------------------- */

/* inspectionData[key] = v as the API gives payloads: JSON text. */
static void note(ts_run *r, const char *key, const json_t *v)
{
    if (!v)
        return;
    char *text = aslrt_json_dumps(v);
    json_object_set_new(r->inspection, key, json_string(text));
    free(text);
}

/* The state's type, and whether it takes Result (a Pass with Result). */
static int state_type(const ts_run *r)
{
    return r->cfg->states[r->node->id].type;
}

static bool has_result_json(const ts_run *r)
{
    for (size_t i = 0; i < r->node->nops; i++)
        if (r->node->ops[i].kind == IR_RESULT_JSON)
            return true;
    return false;
}

/* Which steps a state shows (recorded on AWS, doc/behaviour.md §32.3). */
static bool shows_input_path(const ts_run *r)
{
    int t = state_type(r);
    return !r->node->jsonata && t != ASLRT_STATE_PARALLEL && !has_result_json(r);
}

static bool shows_parameters(const ts_run *r)
{
    int t = state_type(r);
    return !r->node->jsonata && (t == ASLRT_STATE_TASK || t == ASLRT_STATE_PASS) &&
           !has_result_json(r);
}

static bool shows_result_steps(const ts_run *r)
{
    int t = state_type(r);
    return !r->node->jsonata && (t == ASLRT_STATE_TASK || t == ASLRT_STATE_PASS ||
                                 t == ASLRT_STATE_PARALLEL || t == ASLRT_STATE_MAP);
}

/* ---- Running the state ------------------------------------------------------ */

/* The Map's items, limits and mocked iterations.  False with the error in
 * ex. */
static bool map_step(ts_run *r, aslrt_exec *ex, aslrt_frame *f, size_t *nitems)
{
    const aslrt_state *s = &r->cfg->states[r->node->id];
    json_t *eff = f->eff ? f->eff : f->raw;
    *nitems = 0;
    if (!s->jsonata && !s->reader_resource) {
        json_t *items = s->items_path == ASLRT_NONE ? json_incref(eff)
                                                    : aslrtp_step_select(ex, s->items_path, eff);
        if (!items)
            return false;
        if (!json_is_array(items)) {
            /* Recorded: the path as it reads the context object's root. */
            const char *p = s->items_path == ASLRT_NONE ? "$" : r->cfg->items[s->items_path].text;
            if (strncmp(p, "$$", 2) == 0)
                p++;
            char *c = aslrtp_strdupf("Reference path \"%s\" must point to array.", p);
            aslrtp_step_fail(ex, "States.Runtime", c);
            free(c);
            json_decref(items);
            return false;
        }
        *nitems = json_array_size(items);
        if (s->items_path != ASLRT_NONE)
            note(r, "afterItemsPath", items);
        json_decref(items);
    }
    long long maxc, count;
    double pct;
    if (!aslrtp_map_limits(ex, f, &maxc, &count, &pct))
        return false;
    json_object_set_new(r->inspection, "maxConcurrency", json_integer(maxc));
    if (count >= 0)
        json_object_set_new(r->inspection, "toleratedFailureCount", json_integer(count));
    if (pct >= 0)
        json_object_set_new(r->inspection, "toleratedFailurePercentage", json_real(pct));
    /* With a mocked result, mapIterationFailureCount iterations failed:
     * over a tolerance that is set, the Map fails (recorded). */
    if (r->mock_result && r->map_failures > 0) {
        size_t n = *nitems ? *nitems : json_array_size(r->mock_result);
        bool over = (count >= 0 && r->map_failures > count) ||
                    (pct >= 0 && n > 0 && 100.0 * (double)r->map_failures / (double)n > pct);
        if (over) {
            aslrtp_step_fail(ex, "States.ExceedToleratedFailureThreshold",
                             "The specified tolerated failure threshold was exceeded");
            return false;
        }
    }
    return true;
}

/* The op that calls the service (Task), the branches (Parallel) or the
 * iterations (Map): mocked, or run.  False with the error in ex. */
static bool service_step(ts_run *r, aslrt_exec *ex, aslrt_frame *f, ir_op_kind k)
{
    size_t nitems = 0;
    if (k == IR_MAP && !map_step(r, ex, f, &nitems))
        return false;
    if (r->has_error_mock) {
        aslrtp_step_fail(ex, r->mock_error, r->mock_cause);
        return false;
    }
    if (r->mock_result) {
        json_t *v = json_deep_copy(r->mock_result);
        json_decref(f->res);
        f->res = v;
        return true;
    }
    switch (k) {
    case IR_INVOKE:
        return aslrt_op_invoke(ex, f);
    case IR_PARALLEL:
        return aslrt_op_parallel(ex, f);
    default:
        return aslrt_op_map(ex, f);
    }
}

/* One op of the node, with what the state shows about it. */
static bool op(ts_run *r, aslrt_exec *ex, aslrt_frame *f, const ir_op *o, bool *noted_input)
{
    bool inspect = r->level != LEVEL_INFO;
    if (inspect && !*noted_input && o->kind != IR_ENTER && o->kind != IR_INPUT_PATH) {
        *noted_input = true;
        if (shows_input_path(r))
            note(r, "afterInputPath", f->eff ? f->eff : f->raw);
    }
    bool ok = true;
    switch (o->kind) {
    case IR_ENTER:
        ok = aslrt_op_enter(ex, f, o->arg);
        if (!ok)
            return false;
        /* The request's context, or AWS's for a test (run_state made it);
         * the attempts the request says the retriers have made. */
        aslrtp_step_set_context(ex, r->context);
        aslrtp_step_set_retries(ex, (int)r->retry_count);
        if (inspect)
            note(r, "input", f->raw);
        return true;
    case IR_INPUT_PATH:
        return aslrt_op_input_path(ex, f, o->arg);
    case IR_PARAMETERS:
        return aslrt_op_parameters(ex, f, o->arg);
    case IR_RESULT_JSON:
    case IR_RESULT_INPUT:
        if (inspect && shows_parameters(r))
            note(r, "afterParameters", f->eff ? f->eff : f->raw);
        ok = o->kind == IR_RESULT_JSON ? aslrt_op_result_json(ex, f, o->arg)
                                       : aslrt_op_result_input(ex, f);
        if (ok && inspect && o->kind == IR_RESULT_JSON)
            note(r, "result", f->res);
        if (ok && inspect && shows_result_steps(r))
            note(r, "afterResultSelector", f->res);
        return ok;
    case IR_INVOKE:
    case IR_PARALLEL:
    case IR_MAP:
        if (inspect && o->kind == IR_INVOKE && shows_parameters(r))
            note(r, "afterParameters", f->eff ? f->eff : f->raw);
        if (inspect && o->kind == IR_INVOKE && r->node->jsonata && f->eff)
            note(r, "afterArguments", f->eff);
        ok = service_step(r, ex, f, o->kind);
        if (ok && inspect && o->kind == IR_INVOKE)
            note(r, "result", f->res);
        if (ok && inspect && shows_result_steps(r))
            note(r, "afterResultSelector", f->res);
        return ok;
    case IR_RESULT_SELECTOR:
        ok = aslrt_op_result_selector(ex, f, o->arg);
        if (ok && inspect && shows_result_steps(r))
            note(r, "afterResultSelector", f->res);
        return ok;
    case IR_RESULT_PATH:
        ok = aslrt_op_result_path(ex, f, o->arg);
        if (ok && inspect && shows_result_steps(r))
            note(r, "afterResultPath", f->raw);
        return ok;
    case IR_OUTPUT_PATH:
        return aslrt_op_output_path(ex, f, o->arg);
    case IR_WAIT:
        return aslrt_op_wait(ex, f);
    case IR_ASSIGN_EFF:
    case IR_ASSIGN_RES:
        return aslrt_op_assign(ex, f, o->arg, o->kind == IR_ASSIGN_RES);
    case IR_EXIT:
        return aslrt_op_exit(ex, f);
    case IR_JN_ARGUMENTS:
        return aslrt_op_jn_arguments(ex, f, o->arg);
    case IR_JN_ASSIGN:
        return aslrt_op_jn_assign(ex, f, o->arg);
    case IR_JN_OUTPUT:
        return aslrt_op_jn_output(ex, f, o->arg);
    }
    return false;
}

/* A Choice condition: 1, 0, or -1 with the error in ex (as the generated
 * code evaluates it: And and Or short-circuit). */
static int condition(aslrt_exec *ex, aslrt_frame *f, const ir_cond *k)
{
    int v;
    switch (k->kind) {
    case ASL_RULE_TEST:
        return aslrt_op_test(ex, f, k->cmp);
    case ASL_RULE_CONDITION:
        return k->item == ASLRT_NONE ? k->literal : aslrt_op_jn_condition(ex, f, k->item);
    case ASL_RULE_NOT:
        v = condition(ex, f, k->kids[0]);
        return v < 0 ? v : !v;
    case ASL_RULE_AND:
    case ASL_RULE_OR:
        for (size_t i = 0; i < k->nkids; i++) {
            v = condition(ex, f, k->kids[i]);
            if (v < 0 || (k->kind == ASL_RULE_AND ? !v : v))
                return v;
        }
        return k->kind == ASL_RULE_AND;
    }
    return -1;
}

/* The Choice's rules; the taken one's Assign, Output and the ops after.
 * False with the error in ex. */
static bool choose(ts_run *r, aslrt_exec *ex, aslrt_frame *f)
{
    const ir_node *n = r->node;
    size_t arm = n->narms;
    for (size_t j = 0; j < n->narms && arm == n->narms; j++) {
        int v = condition(ex, f, n->arms[j].cond);
        if (v < 0)
            return false;
        if (v)
            arm = j;
    }
    int target = arm < n->narms ? n->arms[arm].target : n->next;
    if (target < 0) {
        aslrt_op_no_choice(ex, f);
        return false;
    }
    int assign = arm < n->narms ? n->arms[arm].assign : n->default_assign;
    if (n->jsonata) {
        int output = arm < n->narms && n->arms[arm].output != ASLRT_NONE ? n->arms[arm].output
                                                                         : n->default_output;
        if (assign != ASLRT_NONE && !aslrt_op_jn_assign(ex, f, assign))
            return false;
        if (output != ASLRT_NONE && !aslrt_op_jn_output(ex, f, output))
            return false;
    } else if (assign != ASLRT_NONE && !aslrt_op_assign(ex, f, assign, 0)) {
        return false;
    }
    bool noted = true;
    for (size_t k = 0; k < n->nafter; k++)
        if (!op(r, ex, f, &n->after_choice[k], &noted))
            return false;
    r->next = r->graph->nodes[target].state->name;
    return true;
}

/* After a failed op of a state with Retry or Catch: RETRIABLE, CAUGHT_ERROR
 * or FAILED, decided once (doc/behaviour.md §32.2). */
static void recover(ts_run *r, aslrt_exec *ex, aslrt_frame *f)
{
    const aslrt_error *e = aslrtp_step_error(ex);
    r->error = e->error ? aslrtp_strdup(e->error) : NULL;
    r->cause = e->cause ? aslrtp_strdup(e->cause) : NULL;
    const aslrt_state *s = &r->cfg->states[r->node->id];
    int retrier = aslrtp_recover_match(ex);
    json_t *details = json_object();
    int k = aslrt_op_recover(ex, f);
    if (k == ASLRT_RETRY) {
        const ir_retrier *rt = &r->cfg->retriers[s->retrier + retrier];
        double delay = rt->interval * pow(rt->backoff, (double)r->retry_count);
        if (rt->max_delay > 0 && delay > (double)rt->max_delay)
            delay = (double)rt->max_delay;
        if (isnan(delay)) /* 0 seconds times an endless backoff */
            delay = 0;
        else if (delay > 9e18)
            delay = 9e18;
        json_object_set_new(details, "retryBackoffIntervalSeconds",
                            json_integer((json_int_t)delay));
        json_object_set_new(details, "retryIndex", json_integer(retrier));
        r->status = "RETRIABLE";
    } else if (k >= 0) {
        json_object_set_new(details, "catchIndex", json_integer(k));
        if (aslrt_op_catch(ex, f, k)) {
            r->status = "CAUGHT_ERROR";
            r->output = json_incref(f->raw);
            r->next = r->graph->nodes[r->node->catch_targets[k]].state->name;
        } else {
            /* The catcher's own fields failed: that error stands. */
            free(r->error);
            free(r->cause);
            r->error = e->error ? aslrtp_strdup(e->error) : NULL;
            r->cause = e->cause ? aslrtp_strdup(e->cause) : NULL;
            r->status = "FAILED";
        }
    } else {
        /* A retrier that matched and has no attempts left; States.Runtime
         * is never retried, whatever matches it. */
        if (retrier >= 0 && (!r->error || strcmp(r->error, "States.Runtime") != 0))
            json_object_set_new(details, "retryIndex", json_integer(retrier));
        r->status = "FAILED";
    }
    if (r->level != LEVEL_INFO && json_object_size(details))
        json_object_set(r->inspection, "errorDetails", details);
    json_decref(details);
}

/* The graph function TestState puts in the place of the machine's: runs
 * the chosen state once (aslrt_graph_fn). */
static json_t *run_state(aslrt_exec *ex, json_t *input)
{
    ts_run *r = current;
    const ir_node *n = r->node;
    aslrt_frame f;
    aslrt_frame_init(&f, input);
    aslrtp_step_unlimited(ex);
    if (r->variables)
        aslrtp_step_set_vars(ex, r->variables);
    bool noted_input = false;
    bool ok = true;
    for (size_t i = 0; ok && i < n->nops; i++) {
        ok = op(r, ex, &f, &n->ops[i], &noted_input);
        if (!ok && i > 0 && n->recovers) {
            recover(r, ex, &f);
            goto done;
        }
    }
    if (ok && r->level != LEVEL_INFO && !noted_input && shows_input_path(r))
        note(r, "afterInputPath", f.eff ? f.eff : f.raw);
    if (ok) {
        switch (n->term) {
        case IR_GOTO:
            r->next = r->graph->nodes[n->next].state->name;
            break;
        case IR_RETURN:
            break;
        case IR_FAIL:
            aslrt_op_fail(ex, &f);
            ok = false;
            break;
        case IR_CHOOSE:
            ok = choose(r, ex, &f);
            break;
        }
    }
    if (ok) {
        r->status = "SUCCEEDED";
        r->output = json_incref(f.raw);
    } else {
        const aslrt_error *e = aslrtp_step_error(ex);
        r->status = "FAILED";
        r->error = e->error ? aslrtp_strdup(e->error) : NULL;
        r->cause = e->cause ? aslrtp_strdup(e->cause) : NULL;
    }
done:
    if (r->level != LEVEL_INFO) {
        json_t *vars = aslrtp_step_vars(ex);
        if (vars && json_object_size(vars))
            note(r, "variables", vars);
    }
    aslrt_frame_clear(&f);
    /* The execution ends here, whatever the state did: the answer is in r. */
    return json_null();
}

/* ---- The request ------------------------------------------------------------- */

/* Reads the members of req into r and the texts of the definition and the
 * input; NULL with f set when one is not as the API wants it. */
static bool read_request(json_t *req, ts_run *r, const char **definition, const char **input,
                         const char **state_name, srv_fault *f)
{
    bool bad = false;
    if (!json_is_object(req)) {
        srv_fault_set(f, 400, "SerializationException", "Start of structure or map found where not expected");
        return false;
    }
    *definition = string_member(req, "definition", &bad);
    if (!*definition && !bad) {
        invalid_member(f, NULL, "definition", "Member must not be null");
        return false;
    }
    *input = string_member(req, "input", &bad);
    *state_name = string_member(req, "stateName", &bad);
    r->role_arn = string_member(req, "roleArn", &bad);
    const char *level = string_member(req, "inspectionLevel", &bad);
    const char *vars = string_member(req, "variables", &bad);
    const char *ctx = string_member(req, "context", &bad);
    if (bad) {
        srv_fault_set(f, 400, "SerializationException", "STRING_VALUE can not be converted to a String");
        return false;
    }
    r->level = LEVEL_INFO;
    if (level && strcmp(level, "DEBUG") == 0)
        r->level = LEVEL_DEBUG;
    else if (level && strcmp(level, "TRACE") == 0)
        r->level = LEVEL_TRACE;
    else if (level && strcmp(level, "INFO") != 0) {
        invalid_member(f, level, "inspectionLevel",
                       "Member must satisfy enum value set: [INFO, DEBUG, TRACE]");
        return false;
    }
    json_error_t je;
    if (vars) {
        r->variables = json_loads(vars, JSON_DECODE_ANY, &je);
        if (!json_is_object(r->variables)) {
            srv_fault_set(f, 400, "ValidationException",
                          "Invalid variables: the value must be a JSON object");
            return false;
        }
    }
    if (ctx) {
        r->context = json_loads(ctx, JSON_DECODE_ANY, &je);
        if (!json_is_object(r->context)) {
            srv_fault_set(f, 400, "ValidationException",
                          "Invalid context: the value must be a JSON object");
            return false;
        }
    }
    json_t *mock = json_object_get(req, "mock");
    if (mock && !json_is_null(mock)) {
        json_t *res = json_object_get(mock, "result");
        json_t *eo = json_object_get(mock, "errorOutput");
        const char *mode = json_string_value(json_object_get(mock, "fieldValidationMode"));
        if (mode && strcmp(mode, "STRICT") != 0 && strcmp(mode, "PRESENT") != 0 &&
            strcmp(mode, "NONE") != 0) {
            invalid_member(f, mode, "mock.fieldValidationMode",
                           "Member must satisfy enum value set: [STRICT, PRESENT, NONE]");
            return false;
        }
        if ((res != NULL) == (eo != NULL)) {
            srv_fault_set(f, 400, "ValidationException",
                          "A mock must have exactly one of result and errorOutput");
            return false;
        }
        if (res) {
            r->mock_result = json_is_string(res)
                                 ? json_loads(json_string_value(res), JSON_DECODE_ANY, &je)
                                 : NULL;
            if (!r->mock_result) {
                srv_fault_set(f, 400, "ValidationException",
                              "The mock result is not valid JSON");
                return false;
            }
        } else if (!json_is_object(eo)) {
            srv_fault_set(f, 400, "SerializationException",
                          "Unexpected value for mock.errorOutput: an object is expected");
            return false;
        } else {
            r->has_error_mock = true;
            r->mock_error = json_string_value(json_object_get(eo, "error"));
            r->mock_cause = json_string_value(json_object_get(eo, "cause"));
        }
    }
    r->retry_count = 0;
    r->map_failures = -1;
    json_t *sc = json_object_get(req, "stateConfiguration");
    if (sc && !json_is_null(sc)) {
        json_t *v = json_object_get(sc, "retrierRetryCount");
        if (!count_member(v, "stateConfiguration.retrierRetryCount", f))
            return false;
        r->retry_count = v ? json_integer_value(v) : 0;
        if (r->retry_count > INT_MAX) /* more than any MaxAttempts */
            r->retry_count = INT_MAX;
        v = json_object_get(sc, "mapIterationFailureCount");
        if (!count_member(v, "stateConfiguration.mapIterationFailureCount", f))
            return false;
        r->map_failures = v ? json_integer_value(v) : -1;
    }
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Whether a state of type (and Task resource) can be tested with the
 * request's mock (may be NULL) and role (doc/behaviour.md §32.1); false
 * with f set. */
static bool allowed(const ts_run *r, int type, const char *resource, json_t *mock, srv_fault *f)
{
    bool mocked = mock && !json_is_null(mock);
    bool task = type == ASLRT_STATE_TASK, fanout = type == ASLRT_STATE_MAP ||
                                                     type == ASLRT_STATE_PARALLEL;
    if (mocked && !task && !fanout) {
        srv_fault_set(f, 400, "ValidationException",
                      "A mock can only be given for a Task, Map or Parallel state");
        return false;
    }
    if (mocked)
        return true;
    const char *what = NULL;
    if (fanout) {
        what = type == ASLRT_STATE_MAP ? "a Map state" : "a Parallel state";
    } else if (task && resource) {
        if (strstr(resource, ":activity:"))
            what = "an activity";
        else if (ends_with(resource, ".sync") || ends_with(resource, ".sync:2"))
            what = "the .sync integration pattern";
        else if (ends_with(resource, ".waitForTaskToken"))
            what = "the .waitForTaskToken integration pattern";
    }
    if (what) {
        srv_fault_set(f, 400, "ValidationException", "TestState can only test %s with a mock",
                      what);
        return false;
    }
    if (task && !r->role_arn) {
        srv_fault_set(f, 400, "ValidationException",
                      "A roleArn is required to test a Task state without a mock");
        return false;
    }
    return true;
}

/* AWS's context object of a test (recorded): an Express execution of a
 * state machine made for it, the state named StateName, the role of the
 * request (null without one). */
static json_t *default_context(const ts_run *r, const char *region, const char *account,
                               const char *sm, const char *exec, json_t *input, long long now,
                               int type)
{
    char ts[40];
    aslrtp_timestamp_format(now, ts, sizeof ts);
    char *exec_arn =
        aslrtp_strdupf("arn:aws:states:%s:%s:express:%s:%s", region, account, sm, exec);
    char *sm_arn = aslrtp_strdupf("arn:aws:states:%s:%s:stateMachine:%s", region, account, sm);
    json_t *c = json_pack("{s:{s:s,s:O,s:s,s:o,s:s},s:{s:s,s:s},s:{s:s,s:s}}", "Execution",
                          "Id", exec_arn, "Input", input, "Name", exec, "RoleArn",
                          r->role_arn ? json_string(r->role_arn) : json_null(), "StartTime", ts,
                          "StateMachine", "Id", sm_arn, "Name", sm, "State", "Name", STATE_NAME,
                          "EnteredTime", ts);
    if (type == ASLRT_STATE_TASK || type == ASLRT_STATE_PARALLEL || type == ASLRT_STATE_MAP)
        json_object_set_new(json_object_get(c, "State"), "RetryCount", json_integer(0));
    free(exec_arn);
    free(sm_arn);
    return c;
}

/* The account of an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:...), or NULL. */
static char *arn_account(const char *arn)
{
    const char *p = arn;
    for (int i = 0; i < 4 && p; i++)
        if ((p = strchr(p, ':')))
            p++;
    const char *end = p ? strchr(p, ':') : NULL;
    if (!end || end == p)
        return NULL;
    return aslrtp_strdupf("%.*s", (int)(end - p), p);
}

/* The answer of a finished run. */
static json_t *response(ts_run *r)
{
    json_t *out = json_pack("{s:s}", "status", r->status);
    if (r->output) {
        char *text = aslrt_json_dumps(r->output);
        json_object_set_new(out, "output", json_string(text));
        free(text);
    }
    if (r->error)
        json_object_set_new(out, "error", json_string(r->error));
    if (r->cause)
        json_object_set_new(out, "cause", json_string(r->cause));
    if (r->next)
        json_object_set_new(out, "nextState", json_string(r->next));
    if (r->level != LEVEL_INFO)
        json_object_set(out, "inspectionData", r->inspection);
    return out;
}

json_t *srv_test_state_at(json_t *req, const aslrt_bindings *bindings, const char *region,
                          const char *account, srv_fault *f)
{
#ifndef HAVE_LIBTCC
    (void)req;
    (void)bindings;
    (void)region;
    (void)account;
    srv_fault_set(f, 500, "InternalFailure", "this aslc was built without libtcc");
    return NULL;
#else
    ts_run r = {0};
    const char *definition, *input_text, *state_name;
    json_t *result = NULL, *doc = NULL, *input = NULL;
    asl_unit *u = NULL;
    asl_jit *jit = NULL;
    aslrt_program *prog = NULL;
    aslrt_machine tm;                 /* the program's descriptor: run_state first */
    aslrt_graph_fn *graphs = NULL;
    char *acct = NULL;
    if (!read_request(req, &r, &definition, &input_text, &state_name, f))
        goto out;
    json_error_t je;
    input = json_loads(input_text ? input_text : "{}", JSON_DECODE_ANY, &je);
    if (!input) {
        srv_fault_set(f, 400, "InvalidExecutionInput",
                      "Invalid State Machine Execution Input: '%s'", je.text);
        goto out;
    }
    /* The machine to compile: the definition, or the state wrapped. */
    doc = json_loads(definition, JSON_DECODE_ANY, &je);
    char *text = NULL;
    if (doc && !state_name && json_is_object(doc)) {
        json_t *m = wrap_state(doc);
        text = json_dumps(m, JSON_COMPACT);
        json_decref(m);
    }
    const char *machine = text ? text : definition;
    u = asl_unit_create("definition", machine, strlen(machine));
    asl_machine *m = u->root ? asl_parse_machine(u) : NULL;
    if (m)
        asl_validate_machine(u, m);
    if (m && u->diags.nerrors == 0)
        asl_validate_supported(u, m, ASL_DIAG_ERROR);
    if (!m || u->diags.nerrors) {
        invalid_definition(f, machine);
        free(text);
        goto out;
    }
    free(text);
    asl_cfg *cfg = asl_lower_machine(u, m, "TestState");
    r.cfg = cfg;
    r.node = find_node(cfg, state_name ? state_name : STATE_NAME, &r.graph);
    if (!r.node) {
        srv_fault_set(f, 400, "ValidationException",
                      "State with name '%s' does not exist in the state machine definition",
                      state_name);
        goto out;
    }
    if (!allowed(&r, cfg->states[r.node->id].type, cfg->states[r.node->id].resource,
                 json_object_get(req, "mock"), f))
        goto out;
    const char *caused_by = json_string_value(
        json_object_get(json_object_get(req, "stateConfiguration"), "errorCausedByState"));
    const ir_graph *g_unused;
    if (caused_by && !find_node(cfg, caused_by, &g_unused)) {
        srv_fault_set(f, 400, "ValidationException",
                      "State with name '%s' does not exist in the state machine definition",
                      caused_by);
        goto out;
    }
    char *why = NULL;
    jit = asl_jit_compile_cfg(cfg, "aslc_test_state", &why);
    if (!jit) {
        srv_fault_set(f, 500, "InternalFailure", "the definition does not compile: %s",
                      why ? why : "");
        free(why);
        goto out;
    }
    /* The descriptor with run_state as the machine's graph; the branches'
     * and item processors' graphs stay, for a Parallel or Map that runs. */
    const aslrt_machine *jm = asl_jit_machine(jit);
    tm = *jm;
    graphs = aslrtp_calloc((size_t)jm->ngraphs, sizeof *graphs);
    for (int i = 0; i < jm->ngraphs; i++)
        graphs[i] = jm->graphs[i];
    graphs[0] = run_state;
    tm.graphs = graphs;
    aslrt_error err = {NULL, NULL};
    prog = aslrt_program_create(&tm, &err);
    if (!prog) {
        srv_fault_set(f, 500, "InternalFailure", "%s", err.cause ? err.cause : "");
        aslrt_error_clear(&err);
        goto out;
    }
    /* The execution: Express, as AWS runs a test, with AWS's names. */
    if (!account && r.role_arn)
        account = acct = arn_account(r.role_arn);
    char exec[ASLRTP_UUID_SIZE], sm[ASLRTP_UUID_SIZE];
    aslrtp_uuid_v4(exec);
    aslrtp_uuid_v4(sm);
    aslrt_config c;
    aslrt_config_init(&c);
    c.bindings = bindings;
    c.execution_name = exec;
    c.state_machine_name = sm;
    c.region = region;
    c.account = account;
    c.express = 1;
    c.sync = 1;
    c.wait_mode = ASLRT_WAIT_SKIP;
    long long now = aslrtp_wall_ms();
    c.start_time_ms = now;
    if (!r.context)
        r.context = default_context(&r, region ? region : "us-east-1",
                                    account ? account : "123456789012", sm, exec, input, now,
                                    cfg->states[r.node->id].type);
    r.inspection = json_object();
    watchdog w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    clock_gettime(CLOCK_REALTIME, &w.until);
    w.until.tv_sec += (time_t)(srv_test_state_limit_ms / 1000);
    w.until.tv_nsec += (long)(srv_test_state_limit_ms % 1000) * 1000000L;
    if (w.until.tv_nsec >= 1000000000L) {
        w.until.tv_sec++;
        w.until.tv_nsec -= 1000000000L;
    }
    pthread_t watcher;
    bool watching = aslrtp_thread_create(&watcher, false, watch, &w) == 0;
    c.abort_flag = &w.expired;
    ts_run *saved = current;
    current = &r;
    json_t *ignored = NULL;
    aslrt_execute(prog, &c, input, &ignored, &err);
    current = saved;
    json_decref(ignored);
    aslrt_error_clear(&err);
    if (watching) {
        pthread_mutex_lock(&w.mu);
        w.done = true;
        pthread_cond_signal(&w.cv);
        pthread_mutex_unlock(&w.mu);
        pthread_join(watcher, NULL);
    }
    if (w.expired) { /* the test ran out of time, whatever it got to */
        json_decref(r.output);
        r.output = NULL;
        r.next = NULL;
        free(r.error);
        free(r.cause);
        r.status = "FAILED";
        r.error = aslrtp_strdup("States.Timeout");
        r.cause = aslrtp_strdupf("The test did not finish within %g seconds",
                                 (double)srv_test_state_limit_ms / 1000);
    }
    if (!r.status) { /* the execution stopped before the state ran */
        r.status = "FAILED";
        r.error = aslrtp_strdup("States.Runtime");
    }
    result = response(&r);
out:
    aslrt_program_destroy(prog);
    free(graphs);
    asl_jit_destroy(jit);
    asl_unit_destroy(u);
    json_decref(doc);
    json_decref(input);
    json_decref(r.mock_result);
    json_decref(r.variables);
    json_decref(r.context);
    json_decref(r.inspection);
    json_decref(r.output);
    free(r.error);
    free(r.cause);
    free(acct);
    return result;
#endif
}

json_t *srv_test_state(json_t *req, const aslrt_bindings *bindings, srv_fault *f)
{
    return srv_test_state_at(req, bindings, NULL, NULL, f);
}

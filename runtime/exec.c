/*
 * exec.c - programs, executions, their context, and the ops of the state
 * loop that generated code calls.
 *
 * A program is a machine descriptor (constant tables emitted by aslc) whose
 * items have been compiled once by the runtime's parsers.  An execution runs
 * the machine's first graph function; that function walks its states with
 * goto and calls one aslrt_op_* per step of ASL's data flow (doc/behaviour.md
 * §4), passing an aslrt_frame that owns the values in flight.  An op that
 * fails records an ASL error (Error, Cause) in the execution and returns 0;
 * the generated code then unwinds.
 *
 * This file holds the execution itself and the ops of the plain states
 * (Pass, Wait, Choice, Succeed, Fail) and of the data flow every state
 * shares (InputPath, Parameters, ResultSelector, ResultPath, OutputPath,
 * Assign, their JSONata forms).  The ops of the other states live beside
 * it and call down into it through exec_private.h: Task in invoke.c, Map
 * and Parallel in fanout.c, Retry and Catch in recover.c.
 *
 * The execution also numbers the history events AWS would have written,
 * because AWS's runtime causes quote the event id at which the failing
 * state was entered ("... (entered at the event id #2). ...").  Every event
 * goes through aslrtp_ex_record(), which counts it and, when the
 * configuration asks for the history, hands it with its details to
 * history.c.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec_private.h"
#include "jsonata/jsonata.h"

/* ==== Programs ========================================================== */

aslrt_program *aslrt_program_create(const aslrt_machine *m, aslrt_error *err)
{
    if (m->abi_version != ASLRT_ABI_VERSION) {
        char *msg = aslrtp_strdupf("the workflow was generated for runtime ABI %d, but this "
                                   "libaslrt implements ABI %d: regenerate it with this aslc",
                                   m->abi_version, ASLRT_ABI_VERSION);
        aslrt_error_set(err, "aslc.AbiMismatch", msg);
        free(msg);
        return NULL;
    }
    aslrt_program *p = aslrtp_calloc(1, sizeof *p);
    p->m = m;
    p->items = aslrtp_calloc((size_t)m->nitems + 1, sizeof *p->items);
    for (int i = 1; i < m->nitems; i++) { /* items[0] stands for "none" */
        const aslrt_item *src = &m->items[i];
        aslrtp_item *it = &p->items[i];
        char *why = NULL;
        size_t off = 0;
        it->kind = src->kind;
        switch (src->kind) {
        case ASLRT_ITEM_PATH:
        case ASLRT_ITEM_REFPATH:
            it->path = aslrtp_path_compile(src->text, src->kind == ASLRT_ITEM_REFPATH, &why, &off);
            break;
        case ASLRT_ITEM_INTRINSIC:
            it->call = aslrtp_intrinsic_compile(src->text, &why, &off);
            break;
        case ASLRT_ITEM_JSON:
        case ASLRT_ITEM_TEMPLATE: {
            json_error_t je;
            json_t *v = src->value ? json_incref((json_t *)src->value)
                                   : aslrtp_json_loads(src->text, strlen(src->text), &je);
            if (!v) {
                why = aslrtp_strdup(je.text);
                break;
            }
            if (src->kind == ASLRT_ITEM_JSON) {
                it->json = v;
                if ((it->is_int = json_is_integer(v)))
                    it->ival = json_integer_value(v);
            } else {
                it->tmpl = aslrtp_tmpl_compile(v, &why);
                if (it->tmpl)
                    it->tmpl_bound = aslrtp_tmpl_bound(it->tmpl);
                json_decref(v);
            }
            break;
        }
        case ASLRT_ITEM_JSONATA:
            it->jn = aslrtp_jfield_compile(src, &why);
            break;
        default:
            why = aslrtp_strdupf("unknown item kind %d", src->kind);
        }
        if (!it->json && !it->path && !it->tmpl && !it->call && !it->jn) {
            char *msg = aslrtp_strdupf("item %d ('%s') does not compile: %s", i, src->text,
                                       why ? why : "error");
            aslrt_error_set(err, "aslc.BadMachine", msg);
            free(msg);
            free(why);
            p->m = m;
            aslrt_program_destroy(p);
            return NULL;
        }
        free(why);
    }
    return p;
}

void aslrt_program_destroy(aslrt_program *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->m->nitems; i++) {
        aslrtp_item *it = &p->items[i];
        json_decref(it->json);
        if (it->path)
            aslrtp_path_free(it->path);
        aslrtp_tmpl_free(it->tmpl);
        if (it->call)
            aslrtp_intrinsic_free(it->call);
        aslrtp_jfield_free(it->jn);
    }
    free(p->items);
    free(p);
}

const aslrt_machine *aslrt_program_machine(const aslrt_program *p)
{
    return p->m;
}

/* ==== Executions ======================================================== */

/* The execution's clock: real time plus what skipped or scaled waits let
 * pass without sleeping, so timestamps and timeouts see the delays AWS
 * would have spent. */
long long aslrtp_ex_clock_ms(const aslrt_exec *ex)
{
    return aslrtp_wall_ms() + ex->skew_ms;
}

/* A random (version 4) UUID: execution names, request ids, Map Run ids. */
char *aslrtp_ex_uuid(void)
{
    char id[ASLRTP_UUID_SIZE];
    aslrtp_uuid_v4(id);
    return aslrtp_strdup(id);
}

/* The region: --region, else the AWS SDKs' variables, else us-east-1. */
const char *aslrtp_ex_region(const aslrt_exec *ex)
{
    if (ex->cfg->region)
        return ex->cfg->region;
    const char *env = getenv("AWS_REGION");
    if (!env || !*env)
        env = getenv("AWS_DEFAULT_REGION");
    return env && *env ? env : "us-east-1";
}

const char *aslrtp_ex_account(const aslrt_exec *ex)
{
    return ex->cfg->account ? ex->cfg->account : "123456789012";
}

/* ---- History (history.c, doc/behaviour.md §20) ----------------------------- */

/* Counts one more event of the execution against its quota (doc/behaviour.md
 * §33): an event that would leave no room for the execution's own last
 * event is not written, and marks the history full instead.  The events
 * that end the execution are written whatever the count: only one is,
 * after every other event, so it is at most the last the quota allows. */
static bool take_event(aslrtp_event_count *c, int type)
{
    if (type == ASLRTP_EV_EXECUTION_SUCCEEDED || type == ASLRTP_EV_EXECUTION_FAILED ||
        type == ASLRTP_EV_EXECUTION_TIMED_OUT || type == ASLRTP_EV_EXECUTION_ABORTED) {
        __atomic_fetch_add(&c->n, 1, __ATOMIC_RELAXED);
        return true;
    }
    long n = __atomic_load_n(&c->n, __ATOMIC_RELAXED);
    do {
        if (n >= ASLRTP_HISTORY_LIMIT - 1) {
            __atomic_store_n(&c->full, 1, __ATOMIC_RELAXED);
            return false;
        }
    } while (!__atomic_compare_exchange_n(&c->n, &n, n + 1, false, __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    return true;
}

/* Writes the next history event and returns its id.  The id is counted
 * whether or not the history is recorded (causes quote it); the details
 * (stolen, NULL when there are none) are built by callers only when
 * ex->hist is set, so an execution without a history pays one increment,
 * and one without a quota either (Express) no more: the state loop's
 * events come through record_inline. */
static inline long record_inline(aslrt_exec *ex, int type, long prev, json_t *details)
{
    if (ex->count && !take_event(ex->count, type)) {
        json_decref(details);
        return ex->event_id;
    }
    long id = ++ex->event_id;
    if (ex->hist)
        aslrtp_hist_add_new(ex->hist, id, prev, type, aslrtp_ex_clock_ms(ex), details);
    return id;
}

long aslrtp_ex_record(aslrt_exec *ex, int type, long prev, json_t *details)
{
    return record_inline(ex, type, prev, details);
}

/* An event that follows the last one of its chain and becomes the last
 * (most events; the exceptions are AWS's, recorded, §24.10). */
static inline long chain_inline(aslrt_exec *ex, int type, json_t *details)
{
    return ex->last_event = record_inline(ex, type, ex->last_event, details);
}

long aslrtp_ex_chain(aslrt_exec *ex, int type, json_t *details)
{
    return chain_inline(ex, type, details);
}

/* d[key] = v as the API returns payloads: a JSON string, with
 * keyDetails {"truncated": false}. */
void aslrtp_ex_put_payload(json_t *d, const char *key, const json_t *v)
{
    char k[40];
    json_object_set_new(d, key, aslrtp_hist_payload(v));
    snprintf(k, sizeof k, "%sDetails", key);
    json_object_set_new(d, k, json_pack("{s:b}", "truncated", 0));
}

void aslrtp_ex_put_error(json_t *d, const char *error, const char *cause)
{
    if (error)
        json_object_set_new(d, "error", json_string(error));
    if (cause)
        json_object_set_new(d, "cause", json_string(cause));
}

/* A Map's or Parallel's failure event, once it is known that no retrier
 * takes the error. */
void aslrtp_ex_flush_failed(aslrt_exec *ex)
{
    if (ex->failed_event != ASLRTP_EV_NONE)
        aslrtp_ex_chain(ex, ex->failed_event, NULL);
    ex->failed_event = ASLRTP_EV_NONE;
}

/* EvaluationFailed, for a JSONata error: details are the error, its cause,
 * the field the cause names ("... specified for the field 'Assign/x' ...")
 * and the state.  Recorded on AWS, it follows the event the state's
 * *StateEntered followed (in a Wait state, that event itself); a Map or
 * Parallel then fails with MapStateFailed or ParallelStateFailed. */
static void evaluation_failed(aslrt_exec *ex, const char *error, const char *cause)
{
    json_t *d = NULL;
    if (ex->hist) {
        d = json_object();
        aslrtp_ex_put_error(d, error, cause);
        static const char field[] = "specified for the field '";
        const char *at = cause ? strstr(cause, field) : NULL;
        const char *end = at ? strchr(at + sizeof field - 1, '\'') : NULL;
        if (end) {
            at += sizeof field - 1;
            json_object_set_new(d, "location", json_stringn(at, (size_t)(end - at)));
        } else if (cause && (at = strstr(cause, "). The ")) && (end = strstr(at + 7, " field "))) {
            /* "The Timestamp field cannot be parsed ..." */
            at += 7;
            if (!memchr(at, ' ', (size_t)(end - at)))
                json_object_set_new(d, "location", json_stringn(at, (size_t)(end - at)));
        }
        json_object_set_new(d, "state", json_string(ex->state ? ex->state->name : ""));
    }
    bool wait = ex->state && ex->state->type == ASLRT_STATE_WAIT;
    ex->last_event = aslrtp_ex_record(ex, ASLRTP_EV_EVALUATION_FAILED,
                                      wait ? ex->entered_event : ex->entered_prev, d);
    if (ex->state && ex->state->type == ASLRT_STATE_MAP)
        ex->failed_event = ASLRTP_EV_MAP_STATE_FAILED;
    else if (ex->state && ex->state->type == ASLRT_STATE_PARALLEL)
        ex->failed_event = ASLRTP_EV_PARALLEL_STATE_FAILED;
}

/* Records an error whose cause AWS prefixes with the state and the event
 * id at which it was entered (doc/behaviour.md §17.2). */
int aslrtp_ex_fail_in_state(aslrt_exec *ex, const char *error, const char *detail)
{
    char *cause = aslrtp_strdupf("An error occurred while executing the state '%s' (entered at "
                                 "the event id #%ld). %s",
                                 ex->state ? ex->state->name : "", ex->entered_event, detail);
    aslrt_error_set(&ex->error, error, cause);
    if (error && strcmp(error, ASLRTP_ERR_QUERY_EVALUATION_ERROR) == 0)
        evaluation_failed(ex, error, cause);
    free(cause);
    ex->status = ASLRT_FAILED;
    return 0;
}

int aslrtp_ex_fail_plain(aslrt_exec *ex, const char *error, const char *cause)
{
    aslrt_error_set(&ex->error, error, cause);
    ex->status = ASLRT_FAILED;
    return 0;
}

/* ---- Callback task tokens (.waitForTaskToken; callback.c, invoke.c) ----- */

bool aslrtp_ex_is_callback(const aslrt_state *s)
{
    size_t n = s->resource ? strlen(s->resource) : 0, k = strlen(ASLRTP_WAIT_FOR_TOKEN);
    return s->type == ASLRT_STATE_TASK && n > k &&
           strcmp(s->resource + n - k, ASLRTP_WAIT_FOR_TOKEN) == 0;
}

/* s is a Task whose resource is an activity ARN,
 * arn:PARTITION:states:REGION:ACCOUNT:activity:NAME (doc/behaviour.md
 * §31.3). */
bool aslrtp_ex_is_activity(const aslrt_state *s)
{
    if (s->type != ASLRT_STATE_TASK || !s->resource || strncmp(s->resource, "arn:", 4) != 0)
        return false;
    const char *p = s->resource + 4;
    for (int field = 1; field <= 5; field++) { /* partition, service, region, account, type */
        const char *colon = strchr(p, ':');
        if (!colon)
            return false;
        size_t n = (size_t)(colon - p);
        if ((field == 1 && n == 0) || (field == 2 && (n != 6 || memcmp(p, "states", 6) != 0)) ||
            (field == 5 && (n != 8 || memcmp(p, "activity", 8) != 0)))
            return false;
        p = colon + 1;
    }
    return *p && !strchr(p, ':');
}

/* The token of this visit of a callback task, made on first use (by
 * $$.Task.Token or by the invocation); NULL with err filled (err may be
 * NULL) when none can be made. */
const char *aslrtp_ex_task_token(aslrt_exec *ex, aslrt_error *err)
{
    if (!ex->task_token)
        ex->task_token = aslrtp_cb_token_create(ex->callbacks, err);
    return ex->task_token;
}

/* A new visit or attempt of a state gets a new token (doc/behaviour.md §7). */
void aslrtp_ex_drop_token(aslrt_exec *ex)
{
    free(ex->task_token);
    ex->task_token = NULL;
}

/* ---- The context object and paths -------------------------------------- */

/* The execution's role: its server's, else one of the account's. */
static char *role_of(const aslrt_exec *ex)
{
    return ex->cfg->role_arn
               ? aslrtp_strdup(ex->cfg->role_arn)
               : aslrtp_strdupf("arn:aws:iam::%s:role/aslc-local", aslrtp_ex_account(ex));
}

/* Merges the members of src over those of dst, objects member by member,
 * other values replacing; dst's own objects may be shared (the execution's
 * input), so an object merged into is a copy.  At the top (depth 0) State,
 * Map and Task are the engine's and are skipped; Execution.Input, the
 * execution's data, is replaced whole (doc/behaviour.md §41). */
static void merge_into(json_t *dst, const json_t *src, int depth, bool in_execution)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)src, key, v) {
        if (depth == 0 && (strcmp(key, "State") == 0 || strcmp(key, "Map") == 0 ||
                           strcmp(key, "Task") == 0))
            continue;
        json_t *old = json_object_get(dst, key);
        bool whole = in_execution && depth == 1 && strcmp(key, "Input") == 0;
        if (!whole && json_is_object(old) && json_is_object(v)) {
            json_t *copy = json_copy(old);
            merge_into(copy, v, depth + 1, depth == 0 && strcmp(key, "Execution") == 0);
            json_object_set_new(dst, key, copy);
        } else {
            json_object_set_new(dst, key, json_deep_copy(v));
        }
    }
}

static void merge_context(json_t *ctx, const json_t *over)
{
    merge_into(ctx, over, 0, false);
}

/* The context object (doc/behaviour.md §7), for the state being run. */
static json_t *context(aslrt_exec *ex)
{
    if (ex->context)
        return ex->context;
    char ts[40], st[40];
    aslrtp_timestamp_format(ex->start_ms, st, sizeof st);
    aslrtp_timestamp_format(ex->entered_ms, ts, sizeof ts);
    /* Express executions have ARNs of their own form (recorded on AWS). */
    char *exec_arn =
        ex->cfg->execution_arn ? aslrtp_strdup(ex->cfg->execution_arn)
        : ex->cfg->express
            ? aslrtp_strdupf("arn:aws:states:%s:%s:express:%s:%s:%s", aslrtp_ex_region(ex),
                             aslrtp_ex_account(ex), ex->sm_name, ex->name, ex->name)
            : aslrtp_strdupf("arn:aws:states:%s:%s:execution:%s:%s", aslrtp_ex_region(ex),
                             aslrtp_ex_account(ex), ex->sm_name, ex->name);
    char *sm_arn = aslrtp_strdupf("arn:aws:states:%s:%s:stateMachine:%s", aslrtp_ex_region(ex),
                                  aslrtp_ex_account(ex), ex->sm_name);
    char *role = role_of(ex);
    ex->context = json_pack("{s:{s:s,s:O,s:s,s:s,s:s,s:i},s:{s:s,s:s},s:{s:s,s:s}}",
                            "Execution", "Id", exec_arn, "Input", ex->input, "Name", ex->name,
                            "RoleArn", role, "StartTime", st, "RedriveCount", 0,
                            "State", "EnteredTime", ts, "Name", ex->state ? ex->state->name : "",
                            "StateMachine", "Id", sm_arn, "Name", ex->sm_name);
    /* --context: its fields over these (doc/behaviour.md §41); State, Map
     * and Task, set below, stay the engine's. */
    if (ex->cfg->context)
        merge_context(ex->context, ex->cfg->context);
    if (ex->has_item)
        json_object_set_new(ex->context, "Map",
                            json_pack("{s:{s:I,s:O}}", "Item", "Index", (json_int_t)ex->item_index,
                                      "Value", ex->item_value));
    /* Recorded on AWS: a synchronous Express execution cannot be redriven
     * and has no RedriveCount. */
    if (ex->cfg->sync)
        json_object_del(json_object_get(ex->context, "Execution"), "RedriveCount");
    /* Recorded on AWS: State.RetryCount exists only where a state can be
     * retried (Task, Parallel, Map). */
    if (ex->state &&
        (ex->state->type == ASLRT_STATE_TASK || ex->state->type == ASLRT_STATE_PARALLEL ||
         ex->state->type == ASLRT_STATE_MAP))
        json_object_set_new(json_object_get(ex->context, "State"), "RetryCount",
                            json_integer(ex->retry_total));
    /* Task.Token: only in callback tasks (doc/behaviour.md §7), and in
     * activity tasks that wait for a worker (§31.3). */
    if (ex->state &&
        (aslrtp_ex_is_callback(ex->state) ||
         (ex->cfg->activity && aslrtp_ex_is_activity(ex->state))) &&
        aslrtp_ex_task_token(ex, NULL))
        json_object_set_new(ex->context, "Task", json_pack("{s:s}", "Token", ex->task_token));
    free(exec_arn);
    free(sm_arn);
    free(role);
    return ex->context;
}

typedef struct resolver {
    aslrt_exec *ex;
    json_t *input;            /* what "$" means here */
} resolver;

/* A variable's value (borrowed): this scope's, else the enclosing ones'
 * (doc/behaviour.md §6: branches and iterations read outer variables). */
static json_t *variable(const aslrt_exec *ex, const char *name)
{
    for (; ex; ex = ex->outer) {
        json_t *v = ex->vars ? json_object_get(ex->vars, name) : NULL;
        if (v)
            return v;
    }
    return NULL;
}

/* Evaluates a path of any root: "$" input, "$$" context, "$x" variable;
 * returns a new reference. */
static json_t *resolve(void *ud, const aslrtp_path *p, char **why)
{
    resolver *r = ud;
    switch (aslrtp_path_root(p)) {
    case ASLRTP_ROOT_CONTEXT:
        return aslrtp_path_get(p, context(r->ex), why);
    case ASLRTP_ROOT_VAR: {
        json_t *v = variable(r->ex, aslrtp_path_var(p));
        if (!v) {
            *why = aslrtp_strdupf("The variable '%s' is not defined", aslrtp_path_var(p));
            return NULL;
        }
        return aslrtp_path_get(p, v, why);
    }
    default:
        return aslrtp_path_get(p, r->input, why);
    }
}

/* resolve() without reference counting: the value is borrowed from the
 * frame, the context or a constant unless *owned says it is new. */
json_t *aslrtp_ex_lookup(aslrt_exec *ex, json_t *input, const aslrtp_path *p, char **why,
                         int *owned)
{
    switch (aslrtp_path_root(p)) {
    case ASLRTP_ROOT_INPUT:
        return aslrtp_path_lookup(p, input, why, owned);
    case ASLRTP_ROOT_CONTEXT:
        return aslrtp_path_lookup(p, context(ex), why, owned);
    default: {
        resolver r = {ex, input};
        *owned = 1;
        return resolve(&r, p, why);
    }
    }
}

/* The resolver templates and intrinsic calls are given. */
static json_t *lookup_cb(void *ud, const aslrtp_path *p, char **why, int *owned)
{
    resolver *r = ud;
    return aslrtp_ex_lookup(r->ex, r->input, p, why, owned);
}

/* "Invalid path '$.x' : No results for path: $['x']" (Jayway, via AWS). */
static int fail_path(aslrt_exec *ex, const aslrtp_path *p, char *why)
{
    char *d = aslrtp_strdupf("Invalid path '%s' : %s", aslrtp_path_text(p), why ? why : "");
    aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_RUNTIME, d);
    free(d);
    free(why);
    return 0;
}

json_t *aslrtp_ex_select(aslrt_exec *ex, int idx, json_t *doc)
{
    if (aslrtp_ex_item(ex, idx)->jn)
        return aslrtp_ex_jn_field(ex, idx, doc, NULL, NULL);
    const aslrtp_path *p = aslrtp_ex_item(ex, idx)->path;
    resolver r = {ex, doc};
    char *why = NULL;
    json_t *v = resolve(&r, p, &why);
    if (!v)
        fail_path(ex, p, why);
    return v;
}

/* ==== Frames and ops ==================================================== */

/* doc/behaviour.md §23: payloads over 256 KiB fail the state, unless the
 * configuration lifts the quota (payload_limit < 0). */
#define PAYLOAD_LIMIT (256 * 1024)

bool aslrtp_ex_over_quota(const aslrt_exec *ex, const json_t *v)
{
    long limit = ex->cfg->payload_limit;
    if (limit < 0)
        return false;
    return aslrtp_json_exceeds(v, limit ? (size_t)limit : PAYLOAD_LIMIT);
}

void aslrt_frame_init(aslrt_frame *f, json_t *input)
{
    f->raw = input;
    f->eff = f->res = f->input = NULL;
    f->state = -1;
}

void aslrt_frame_clear(aslrt_frame *f)
{
    json_decref(f->raw);
    json_decref(f->eff);
    json_decref(f->res);
    json_decref(f->input);
    f->raw = f->eff = f->res = f->input = NULL;
}

json_t *aslrt_frame_finish(aslrt_frame *f)
{
    json_t *out = f->raw;
    f->raw = NULL;
    aslrt_frame_clear(f);
    return out;
}

/* The execution ran past its TimeoutSeconds (doc/behaviour.md §1). */
int aslrtp_ex_timed_out(aslrt_exec *ex)
{
    aslrt_error_set(&ex->error, ASLRTP_ERR_TIMEOUT, NULL);
    ex->status = ASLRT_TIMED_OUT;
    return 0;
}

/* The execution was stopped from outside (doc/behaviour.md §20.4,
 * ExecutionAborted). */
int aslrtp_ex_aborted(aslrt_exec *ex)
{
    aslrt_error_set(&ex->error, NULL, "The execution was aborted");
    ex->status = ASLRT_ABORTED;
    return 0;
}

/* The op_enter's and op_exit's work that most states skip is kept out of
 * line, so the common path (no history kept, no quota, no retrier) is a
 * few loads and stores.  These run only when the history is kept or
 * counted against a quota: the state's *StateEntered, and whether it found
 * room (§33). */
static __attribute__((noinline)) bool entered_recorded(aslrt_exec *ex, aslrt_frame *f)
{
    json_t *d = NULL;
    if (ex->hist) {
        d = json_pack("{s:s}", "name", ex->state->name);
        aslrtp_ex_put_payload(d, "input", f->raw);
    }
    ex->entered_event = chain_inline(ex, aslrtp_hist_entered(ex->state->type), d);
    return !aslrtp_ex_history_full(ex);
}

/* What the previous visit of a state left: its $$ and its task token. */
static __attribute__((noinline)) void forget_visit(aslrt_exec *ex)
{
    if (ex->context) {
        json_decref(ex->context);
        ex->context = NULL;
    }
    if (ex->task_token)
        aslrtp_ex_drop_token(ex);
}

/* ASL spec, "Retry": counters start again at each visit of a state.  A
 * state that can retry or catch keeps its input to start over from. */
static __attribute__((noinline)) void start_recovery(aslrt_exec *ex, aslrt_frame *f,
                                                     const aslrt_state *s)
{
    for (int i = 0; i < s->nretriers; i++)
        ex->retry_counts[s->retrier + i] = 0;
    ex->retry_total = 0;
    aslrtp_slot_set(&f->input, json_incref(f->raw));
}

/* aslrt_op_enter, also inside aslrt_op_flow (a call less a state). */
static inline __attribute__((always_inline)) int enter(aslrt_exec *ex, aslrt_frame *f, int state)
{
    if (aslrtp_ex_abort_requested(ex))
        return aslrtp_ex_aborted(ex);
    const aslrt_state *s = &ex->prog->m->states[state];
    f->state = state;
    ex->state = s;
    /* Reading the clock is most of an empty state's cost: only when the
     * time can be seen ($$ in the machine) or TimeoutSeconds bounds the
     * execution, and every ASLRTP_LIMIT_STRIDE states for the longest an
     * execution may run (a stale time is an earlier one: it never ends an
     * execution too soon). */
    unsigned long n = ex->transitions;
    if (n == 0 && !ex->child)
        ex->entered_ms = ex->start_ms;
    else if (ex->deadline_ms || (ex->prog->m->flags & ASLRT_MACHINE_USES_CONTEXT) ||
             (n & (ASLRTP_LIMIT_STRIDE - 1)) == 0)
        ex->entered_ms = aslrtp_ex_clock_ms(ex);
    if ((ex->deadline_ms && ex->entered_ms >= ex->deadline_ms) || ex->entered_ms >= ex->limit_ms)
        return aslrtp_ex_timed_out(ex);
    ex->entered_prev = ex->last_event;
    if (ex->hist || ex->count) {
        /* No room for the state's entry: it does not run (§33). */
        if (!entered_recorded(ex, f))
            return aslrtp_ex_aborted(ex);
    } else {
        /* Neither kept nor counted: the event is only its id. */
        ex->entered_event = ex->last_event = ++ex->event_id;
    }
    ex->failed_event = ASLRTP_EV_NONE;
    ex->transitions = n + 1;
    if (ex->context || ex->task_token)
        forget_visit(ex);
    ex->heartbeat_expired = 0;
    if (ex->bounded_out)        /* the last state ended without its exit */
        aslrtp_slot_set(&ex->bounded_out, NULL);
    if (s->nretriers || s->ncatchers)
        start_recovery(ex, f, s);
    return 1;
}

int aslrt_op_enter(aslrt_exec *ex, aslrt_frame *f, int state)
{
    return enter(ex, f, state);
}

/* doc/behaviour.md §6: an Assign's values are computed with the variables as
 * they were when the state was entered and become visible from the next
 * state on. */
static __attribute__((noinline)) void commit_assign(aslrt_exec *ex)
{
    if (!ex->pending)
        return;
    if (!ex->vars)
        ex->vars = json_object();
    json_object_update(ex->vars, ex->pending);
    json_decref(ex->pending);
    ex->pending = NULL;
}

/* *StateExited, kept or counted: the state output, and the variables it
 * assigns (each as a JSON string). */
static __attribute__((noinline)) void exited_recorded(aslrt_exec *ex, aslrt_frame *f)
{
    json_t *d = NULL;
    if (ex->hist) {
        d = json_pack("{s:s}", "name", ex->state->name);
        aslrtp_ex_put_payload(d, "output", f->raw);
        if (ex->pending && json_object_size(ex->pending)) {
            json_t *vars = json_object();
            const char *k;
            json_t *v;
            json_object_foreach(ex->pending, k, v)
                json_object_set_new(vars, k, aslrtp_hist_payload(v));
            json_object_set_new(d, "assignedVariables", vars);
            json_object_set_new(d, "assignedVariablesDetails", json_pack("{s:b}", "truncated", 0));
        }
    }
    chain_inline(ex, aslrtp_hist_exited(ex->state->type), d);
}

/* *StateExited; then the assignments take effect. */
static inline __attribute__((always_inline)) void exited(aslrt_exec *ex, aslrt_frame *f)
{
    if (ex->hist || ex->count)
        exited_recorded(ex, f);
    else
        ex->last_event = ++ex->event_id;   /* as in aslrt_op_enter */
    if (ex->pending)
        commit_assign(ex);
}

void aslrtp_ex_exited(aslrt_exec *ex, aslrt_frame *f)
{
    exited(ex, f);
}

int aslrt_op_assign(aslrt_exec *ex, aslrt_frame *f, int tmpl, int source)
{
    json_t *in = source ? f->res : ASLRTP_EFF(f);
    json_t *v = aslrtp_ex_template(ex, tmpl, in ? in : json_null());
    if (!v)
        return 0;
    aslrtp_slot_set(&ex->pending, v);
    return 1;
}

/* aslrt_op_exit, also inside aslrt_op_flow, which names in `bounded` an
 * output it knows to be within the quota (NULL: none). */
static inline __attribute__((always_inline)) int exit_state(aslrt_exec *ex, aslrt_frame *f,
                                                            const json_t *bounded)
{
    /* Recorded on AWS: a state whose output is over the payload quota fails
     * before its *StateExited event.  Choice, Wait and Succeed output a part
     * of their input, which was within the quota, so only states that make
     * new data are measured. */
    enum {
        GROWS = 1u << ASLRT_STATE_PASS | 1u << ASLRT_STATE_TASK | 1u << ASLRT_STATE_PARALLEL |
                1u << ASLRT_STATE_MAP
    };
    bool grows = (1u << ex->state->type) & GROWS;
    if (grows && f->raw != ex->bounded_out && f->raw != bounded &&
        aslrtp_ex_over_quota(ex, f->raw)) {
        char *c = aslrtp_strdupf("The state/task '%s' returned a result with a size exceeding "
                                 "the maximum number of bytes service limit.",
                                 ex->state->name);
        aslrtp_ex_fail_plain(ex, ASLRTP_ERR_DATA_LIMIT_EXCEEDED, c);
        free(c);
        return 0;
    }
    if (f->input)
        aslrtp_slot_set(&f->input, NULL);
    if (ex->bounded_out)
        aslrtp_slot_set(&ex->bounded_out, NULL);
    exited(ex, f);
    return 1;
}

int aslrt_op_exit(aslrt_exec *ex, aslrt_frame *f)
{
    return exit_state(ex, f, NULL);
}

int aslrt_op_input_path(aslrt_exec *ex, aslrt_frame *f, int path)
{
    if (path == ASLRT_NONE) {
        aslrtp_slot_set(&f->eff, json_incref(f->raw));
        return 1;
    }
    if (path == ASLRT_NULL_PATH) {
        aslrtp_slot_set(&f->eff, json_object());
        return 1;
    }
    json_t *v = aslrtp_ex_select(ex, path, f->raw);
    aslrtp_slot_set(&f->eff, v);
    return v != NULL;
}

/* aslrtp_ex_template, also inside aslrt_op_flow (a call less a state). */
static inline __attribute__((always_inline)) json_t *ex_template(aslrt_exec *ex, int tmpl,
                                                               json_t *input)
{
    if (aslrtp_ex_item(ex, tmpl)->jn)
        return aslrtp_ex_jn_field(ex, tmpl, input, NULL, NULL);
    resolver r = {ex, input};
    aslrt_error err = {NULL, NULL};
    if (!ex->kept)
        ex->kept = aslrtp_calloc(2 * ((size_t)ex->prog->m->nitems + 1), sizeof *ex->kept);
    json_t *v = aslrtp_tmpl_eval_kept(aslrtp_ex_item(ex, tmpl)->tmpl, &ex->kept[2 * tmpl],
                                      lookup_cb, &r, input, &err);
    if (!v) {
        aslrtp_ex_fail_in_state(ex, err.error ? err.error : ASLRTP_ERR_RUNTIME,
                                err.cause ? err.cause : "");
        aslrt_error_clear(&err);
    }
    return v;
}

json_t *aslrtp_ex_template(aslrt_exec *ex, int tmpl, json_t *input)
{
    return ex_template(ex, tmpl, input);
}

/* v, the output of template tmpl, becomes the state's output unless a
 * later step changes it; none changes it in place while bounded_out holds
 * it too (the runtime copies what it does not hold alone).  So when tmpl
 * bounds its size within the quota, the exit need not measure it: for a
 * loop's counter that is most of a Pass state's cost. */
static bool tmpl_bounded(aslrt_exec *ex, int tmpl)
{
    long limit = ex->cfg->payload_limit;
    const aslrtp_item *it = aslrtp_ex_item(ex, tmpl);
    return limit >= 0 && !it->jn && it->tmpl_bound <= (limit ? (size_t)limit : PAYLOAD_LIMIT);
}

static void note_bounded(aslrt_exec *ex, int tmpl, json_t *v)
{
    if (v && tmpl_bounded(ex, tmpl))
        aslrtp_slot_set(&ex->bounded_out, json_incref(v));
}

void aslrtp_ex_kept_free(aslrt_exec *ex)
{
    aslrtp_slot_set(&ex->bounded_out, NULL);
    if (!ex->kept)
        return;
    for (int i = 0; i < 2 * (ex->prog->m->nitems + 1); i++)
        json_decref(ex->kept[i]);
    free(ex->kept);
    ex->kept = NULL;
}

int aslrt_op_parameters(aslrt_exec *ex, aslrt_frame *f, int tmpl)
{
    json_t *v = aslrtp_ex_template(ex, tmpl, ASLRTP_EFF(f));
    note_bounded(ex, tmpl, v);
    aslrtp_slot_set(&f->eff, v);
    return v != NULL;
}

int aslrt_op_result_json(aslrt_exec *ex, aslrt_frame *f, int json)
{
    aslrtp_slot_set(&f->res, json_incref(aslrtp_ex_item(ex, json)->json));
    return 1;
}

int aslrt_op_result_input(aslrt_exec *ex, aslrt_frame *f)
{
    (void)ex;
    if (f->eff) {
        aslrtp_slot_set(&f->res, f->eff);
        f->eff = NULL;
    } else {
        aslrtp_slot_set(&f->res, json_incref(f->raw));
    }
    return 1;
}


/* ---- JSONata mode (doc/behaviour.md §5) ----------------------------------- */

/* This thread's JSONata context: one per execution (each branch and
 * iteration has its own), reset before every field. */
static jn_ctx *jn_context(aslrt_exec *ex)
{
    if (!ex->jn) {
        jn_options o = {0};
        o.extra = aslrtp_jsonata_functions;
        o.now_ms = -1;
        ex->jn = jn_ctx_create(&o);
    }
    jn_ctx_reset(ex->jn);
    return ex->jn;
}

/* ---- What a state's fields share ---------------------------------------- */

/* A state's JSONata fields (Arguments, Output, Assign, each Choice rule's
 * Condition, a catcher's Output and Assign) see the same variables and
 * mostly the same input and context object: those are converted into
 * ex->jn_keep's arena once per state entered, not once per field (the
 * fields' own arena is reset before each).  The variables cannot change
 * while a state runs (an Assign takes effect when the state is left,
 * doc/behaviour.md §6); the input and the context object are matched by
 * identity, each held by a reference so that its address cannot come
 * back as another value's.  A value converted here is only read by the
 * evaluations, like a Map's shared input (fanout.c). */

static void keep_drop(struct aslrtp_jn_keep *k)
{
    json_decref(k->input);
    json_decref(k->context);
    free(k->var_names);
    free(k->var_vals);
    k->input = k->context = NULL;
    k->input_val = k->context_val = NULL;
    k->var_names = NULL;
    k->var_vals = NULL;
    k->nvars = -1;
}

void aslrtp_ex_jn_keep_forget(aslrt_exec *ex)
{
    keep_drop(&ex->jn_keep);
}

void aslrtp_ex_jn_keep_free(aslrt_exec *ex)
{
    keep_drop(&ex->jn_keep);
    if (ex->jn_keep.cx)
        jn_ctx_destroy(ex->jn_keep.cx);
    ex->jn_keep.cx = NULL;
}

/* The arena of the current state's shared values, emptied when a new
 * state has been entered since they were made. */
static jn_ctx *keep_context(aslrt_exec *ex)
{
    struct aslrtp_jn_keep *k = &ex->jn_keep;
    if (!k->cx) {
        jn_options o = {0};
        o.extra = aslrtp_jsonata_functions;
        o.now_ms = -1;
        k->cx = jn_ctx_create(&o);
        k->nvars = -1;
        k->at = ex->transitions;
    } else if (k->at != ex->transitions) {
        keep_drop(k);
        jn_ctx_reset(k->cx);
        k->at = ex->transitions;
    }
    return k->cx;
}

/* Collects the variables in scope into k, the enclosing scopes' first so
 * that binding them in order lets the inner ones win (doc/behaviour.md §6). */
static void keep_vars(struct aslrtp_jn_keep *k, jn_ctx *kc, const aslrt_exec *ex, int *cap)
{
    if (!ex)
        return;
    keep_vars(k, kc, ex->outer, cap);
    const char *name;
    json_t *v;
    if (!ex->vars)
        return;
    json_object_foreach(ex->vars, name, v) {
        if (k->nvars == *cap) {
            *cap = *cap ? *cap * 2 : 8;
            k->var_names = aslrtp_realloc(k->var_names, (size_t)*cap * sizeof *k->var_names);
            k->var_vals = aslrtp_realloc(k->var_vals, (size_t)*cap * sizeof *k->var_vals);
        }
        /* The name lives as long as the variable: the scope does not
         * change while the state runs. */
        k->var_names[k->nvars] = name;
        k->var_vals[k->nvars++] = jn_from_json(kc, v);
    }
}

/* Binds every variable in scope into the field's context cx. */
static void jn_bind_scope(jn_ctx *cx, aslrt_exec *ex)
{
    struct aslrtp_jn_keep *k = &ex->jn_keep;
    jn_ctx *kc = keep_context(ex);
    if (k->nvars < 0) {
        int cap = 0;
        k->nvars = 0;
        keep_vars(k, kc, ex, &cap);
    }
    for (int i = 0; i < k->nvars; i++)
        jn_bind(cx, k->var_names[i], k->var_vals[i]);
}

/* $states.input: the Map's shared input, the state's kept one, or a new
 * conversion kept for the state's next fields. */
static jn_value *jn_input(aslrt_exec *ex, json_t *input)
{
    if (input && input == ex->jn_input_src)
        return ex->jn_input_val;
    struct aslrtp_jn_keep *k = &ex->jn_keep;
    jn_ctx *kc = keep_context(ex);
    if (!input)
        return jn_from_json(kc, json_null());
    if (k->input != input) {
        json_decref(k->input);
        k->input = json_incref(input);
        k->input_val = jn_from_json(kc, input);
    }
    return k->input_val;
}

/* The context object c as a JSONata value in cx. */
static jn_value *jn_context_value(aslrt_exec *ex, jn_ctx *cx, json_t *c)
{
    /* --context may give Execution.Input: then it is the one shown. */
    if (!ex->jn_exec_input || ex->cfg->context)
        return jn_from_json(cx, c);
    jn_value *o = jn_object(cx);
    const char *key, *k2;
    json_t *v, *v2;
    json_object_foreach(c, key, v) {
        jn_value *x;
        if (strcmp(key, "Execution") == 0 && json_is_object(v)) {
            x = jn_object(cx);
            json_object_foreach(v, k2, v2) jn_object_set(
                cx, x, k2, strlen(k2),
                strcmp(k2, "Input") == 0 ? ex->jn_exec_input : jn_from_json(cx, v2));
        } else {
            x = jn_from_json(cx, v);
        }
        jn_object_set(cx, o, key, strlen(key), x);
    }
    return o;
}

/* $states.context: the context object, with the execution's input
 * converted once per Map rather than once per item when it can be, kept
 * for the state's next fields while the object is the same one. */
static jn_value *jn_context_object(aslrt_exec *ex)
{
    json_t *c = context(ex);
    struct aslrtp_jn_keep *k = &ex->jn_keep;
    jn_ctx *kc = keep_context(ex);
    if (k->context != c) {
        json_decref(k->context);
        k->context = json_incref(c);
        k->context_val = jn_context_value(ex, kc, c);
    }
    return k->context_val;
}

/* Evaluates JSONATA item idx with $states.input = input (and result,
 * errorOutput when given) and the variables in scope: a new value, or
 * NULL with States.QueryEvaluationError recorded. */
json_t *aslrtp_ex_jn_field(aslrt_exec *ex, int idx, json_t *input, json_t *result,
                           json_t *error_output)
{
    jn_ctx *cx = jn_context(ex);
    jn_bind_scope(cx, ex);
    jn_value *st = jn_object(cx);
    jn_value *in = jn_input(ex, input);
    jn_object_set(cx, st, "input", 5, in);
    jn_object_set(cx, st, "context", 7, jn_context_object(ex));
    if (result)
        jn_object_set(cx, st, "result", 6, jn_from_json(cx, result));
    if (error_output)
        jn_object_set(cx, st, "errorOutput", 11, jn_from_json(cx, error_output));
    jn_bind(cx, "states", st);
    char *detail = NULL;
    json_t *v = aslrtp_jfield_eval(aslrtp_ex_item(ex, idx)->jn, cx, in, &detail);
    if (!v) {
        aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_QUERY_EVALUATION_ERROR, detail ? detail : "");
        free(detail);
    }
    return v;
}

/* A JSONata field that must give a value of one JSON type. */
json_t *aslrtp_ex_jn_typed(aslrt_exec *ex, int idx, json_t *input, json_type want,
                           const char *name)
{
    json_t *v = aslrtp_ex_jn_field(ex, idx, input, NULL, NULL);
    if (!v)
        return NULL;
    /* A number is wanted as an integer or as any number (JSON_REAL). */
    bool ok = json_typeof(v) == want ||
              ((want == JSON_INTEGER || want == JSON_REAL) && json_is_number(v)) ||
              (want == JSON_TRUE && json_is_boolean(v));
    if (want == JSON_INTEGER && ok && json_is_real(v))
        ok = json_real_value(v) == floor(json_real_value(v)) && fabs(json_real_value(v)) < 9.2e18;
    if (!ok) {
        char *d = aslrtp_jfield_type_error(aslrtp_ex_item(ex, idx)->jn, name, v);
        aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_QUERY_EVALUATION_ERROR, d);
        free(d);
        json_decref(v);
        return NULL;
    }
    return v;
}

int aslrt_op_jn_arguments(aslrt_exec *ex, aslrt_frame *f, int item)
{
    json_t *v = aslrtp_ex_jn_field(ex, item, f->raw, NULL, NULL);
    aslrtp_slot_set(&f->eff, v);
    return v != NULL;
}

int aslrt_op_jn_assign(aslrt_exec *ex, aslrt_frame *f, int item)
{
    json_t *v = aslrtp_ex_jn_field(ex, item, f->raw, f->res, NULL);
    if (!v)
        return 0;
    aslrtp_slot_set(&ex->pending, v);
    return 1;
}

int aslrt_op_jn_output(aslrt_exec *ex, aslrt_frame *f, int item)
{
    json_t *v;
    if (item == ASLRT_NONE) {
        if (!f->res)
            return 1;
        v = f->res;
        f->res = NULL;
    } else {
        v = aslrtp_ex_jn_field(ex, item, f->raw, f->res, NULL);
        if (!v)
            return 0;
        aslrtp_slot_set(&f->res, NULL);
    }
    aslrtp_slot_set(&f->eff, NULL);
    aslrtp_slot_set(&f->raw, v);
    return 1;
}

int aslrt_op_jn_condition(aslrt_exec *ex, aslrt_frame *f, int item)
{
    json_t *v = aslrtp_ex_jn_typed(ex, item, f->raw, JSON_TRUE, "boolean");
    if (!v)
        return -1;
    int r = json_is_true(v);
    json_decref(v);
    return r;
}

/* ---- Values the ops read ------------------------------------------------- */

/* A number with no fraction, as an integer. */
long long aslrtp_int_value(json_t *v, bool *ok)
{
    *ok = json_is_integer(v) ||
          (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)));
    return json_is_integer(v) ? json_integer_value(v) : (long long)json_number_value(v);
}

/* A ...Path value as an integer: a number with no fraction, or a string of
 * one (sign and digits only, as Java's Long.parseLong takes it). */
long long aslrtp_path_int(json_t *v, bool *ok)
{
    if (!json_is_string(v))
        return aslrtp_int_value(v, ok);
    const char *t = json_string_value(v);
    char *end;
    errno = 0;
    long long n = strtoll(t, &end, 10);
    *ok = *t && !isspace((unsigned char)*t) && *end == '\0' && errno == 0;
    return n;
}

/* A ...Path value as a number: a JSON number, or a string of a finite one. */
double aslrtp_path_float(json_t *v, bool *ok)
{
    if (!json_is_string(v)) {
        *ok = json_is_number(v);
        return *ok ? json_number_value(v) : 0;
    }
    const char *t = json_string_value(v);
    char *end;
    errno = 0;
    double d = strtod(t, &end);
    *ok = *t && !isspace((unsigned char)*t) && *end == '\0' && errno == 0 && isfinite(d);
    return d;
}

/* ---- A result into the output ------------------------------------------- */

int aslrt_op_result_selector(aslrt_exec *ex, aslrt_frame *f, int tmpl)
{
    json_t *v = aslrtp_ex_template(ex, tmpl, f->res);
    note_bounded(ex, tmpl, v);
    aslrtp_slot_set(&f->res, v);
    return v != NULL;
}

int aslrt_op_result_path(aslrt_exec *ex, aslrt_frame *f, int path)
{
    if (path == ASLRT_NONE) {
        aslrtp_slot_set(&f->raw, f->res);
        f->res = NULL;
        return 1;
    }
    if (path == ASLRT_NULL_PATH) {
        aslrtp_slot_set(&f->res, NULL);
        return 1;
    }
    const aslrtp_path *p = aslrtp_ex_item(ex, path)->path;
    char *why = NULL;
    json_t *doc = aslrtp_path_set(p, f->raw, f->res, &why);
    f->raw = f->res = NULL;
    if (!doc) {
        /* AWS states this one without the "Invalid path" wrapper. */
        aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_RUNTIME, why ? why : "");
        free(why);
        return 0;
    }
    f->raw = doc;
    return 1;
}

int aslrt_op_output_path(aslrt_exec *ex, aslrt_frame *f, int path)
{
    if (path == ASLRT_NONE)
        return 1;
    if (path == ASLRT_NULL_PATH) {
        aslrtp_slot_set(&f->raw, json_object());
        return 1;
    }
    json_t *v = aslrtp_ex_select(ex, path, f->raw);
    aslrtp_slot_set(&f->raw, v);
    return v != NULL;
}

/* The state's input, which its output replaces: released, without an
 * atomic operation when it is the last output of the same Parameters
 * (a loop), held by the frame and that template's kept slot alone: both
 * this execution's, so no other thread can count it. */
static void drop_input(aslrt_exec *ex, json_t *old, int tmpl)
{
    if (old && ex->kept && (old == ex->kept[2 * tmpl] || old == ex->kept[2 * tmpl + 1]) &&
        __atomic_load_n(&old->refcount, __ATOMIC_ACQUIRE) == 2) {
        __atomic_store_n(&old->refcount, 1, __ATOMIC_RELAXED);
        return;
    }
    json_decref(old);
}

/* The ops the compiler would emit one by one, in their order (aslrt.h). */
int aslrt_op_flow(aslrt_exec *ex, aslrt_frame *f, int state)
{
    if (!enter(ex, f, state))
        return 0;
    const aslrt_state *s = ex->state;
    if (s->flow_input_path != ASLRT_NONE && !aslrt_op_input_path(ex, f, s->flow_input_path))
        return 0;
    /* Parameters whose output is the state's (no Result, ResultPath or
     * OutputPath to change it) and bounded within the quota: the exit
     * knows it by its address, which stays its own, as f holds it
     * throughout; no reference for ex->bounded_out, two atomic counts
     * fewer a state, a fifth of a loop's time. */
    const json_t *made = NULL, *bounded = NULL;
    if (s->flow_parameters != ASLRT_NONE) {
        if (s->flow_result == ASLRT_NONE && s->flow_result_path == ASLRT_NONE &&
            s->flow_output_path == ASLRT_NONE) {
            json_t *v = ex_template(ex, s->flow_parameters, ASLRTP_EFF(f));
            aslrtp_slot_set(&f->eff, v);
            if (!v)
                return 0;
            made = v;
            if (tmpl_bounded(ex, s->flow_parameters))
                bounded = v;
        } else if (!aslrt_op_parameters(ex, f, s->flow_parameters)) {
            return 0;
        }
    }
    if (s->flow_result != ASLRT_NONE ? !aslrt_op_result_json(ex, f, s->flow_result)
                                     : !aslrt_op_result_input(ex, f))
        return 0;
    if (made && f->res == made) {
        /* ResultPath "$" of the template's output: aslrt_op_result_path */
        json_t *old = f->raw;
        f->raw = f->res;
        f->res = NULL;
        drop_input(ex, old, s->flow_parameters);
    } else if (!aslrt_op_result_path(ex, f, s->flow_result_path)) {
        return 0;
    }
    if (s->flow_output_path != ASLRT_NONE && !aslrt_op_output_path(ex, f, s->flow_output_path))
        return 0;
    return exit_state(ex, f, bounded);
}

/* ---- Wait --------------------------------------------------------------- */

/* Lets `ms` of execution time pass: sleeps (real), does not (skip), or
 * sleeps a fraction (scale); the virtual clock moves by ms either way.  Stops
 * at the execution deadline: returns 0 when it was reached, -1 when the
 * execution was aborted meanwhile. */
int aslrtp_ex_pass_time(aslrt_exec *ex, double ms)
{
    if (ms < 0)
        ms = 0;
    int ok = 1;
    long long now = aslrtp_ex_clock_ms(ex);
    if (ex->deadline_ms && now + ms >= ex->deadline_ms) {
        ms = (double)(ex->deadline_ms - now);
        if (ms < 0)
            ms = 0;
        ok = 0;
    }
    if (now + ms > ex->limit_ms) {
        ms = (double)(ex->limit_ms - now);
        if (ms < 0)
            ms = 0;
        ok = 0;
    }
    double real = ex->cfg->wait_mode == ASLRT_WAIT_SKIP    ? 0
                  : ex->cfg->wait_mode == ASLRT_WAIT_SCALE ? ms * ex->cfg->wait_scale
                                                           : ms;
    ex->skew_ms += (long long)(ms - real);
    /* Sleep in slices, so that an abort is seen within 100 ms. */
    while (real > 0 && !aslrtp_ex_abort_requested(ex)) {
        double slice = real > 100 ? 100 : real;
        aslrtp_sleep_ms(slice);
        real -= slice;
    }
    if (aslrtp_ex_abort_requested(ex))
        return -1;
    return ok;
}

/* The text AWS quotes for a value in Wait causes: strings bare, others as
 * JSON. */
char *aslrtp_quote_value(json_t *v)
{
    if (json_is_string(v))
        return aslrtp_strdup(json_string_value(v));
    return aslrt_json_dumps(v);
}

/* doc/behaviour.md §11: AWS caps a wait at 99999999 seconds. */
#define WAIT_MAX_SECONDS 99999999LL

int aslrt_op_wait(aslrt_exec *ex, aslrt_frame *f)
{
    const aslrt_state *s = ex->state;
    double delay_ms = 0;
    char *jn_stamp = NULL;
    /* --override-wait: its duration instead of the definition's, whose
     * fields are not read (doc/behaviour.md §41). */
    if (ex->cfg->wait_override_ms && ex->cfg->wait_override_ms[f->state] >= 0) {
        int passed = aslrtp_ex_pass_time(ex, ex->cfg->wait_override_ms[f->state]);
        return passed > 0 ? 1 : passed < 0 ? aslrtp_ex_aborted(ex) : aslrtp_ex_timed_out(ex);
    }
    if (s->jsonata && s->seconds_path != ASLRT_NONE) {
        json_t *v = aslrtp_ex_jn_typed(ex, s->seconds_path, f->raw, JSON_INTEGER, "integer");
        if (!v)
            return 0;
        bool ok;
        long long n = aslrtp_int_value(v, &ok);
        json_decref(v);
        if (n < 0)
            return aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_QUERY_EVALUATION_ERROR,
                                           "The Seconds field references a negative value.");
        if (n > WAIT_MAX_SECONDS)
            return aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_QUERY_EVALUATION_ERROR,
                                           "Wait state delay is too long.");
        delay_ms = (double)n * 1000;
    } else if (s->jsonata && s->timestamp_path != ASLRT_NONE) {
        json_t *v = aslrtp_ex_jn_typed(ex, s->timestamp_path, f->raw, JSON_STRING, "string");
        if (!v)
            return 0;
        jn_stamp = aslrtp_strdup(json_string_value(v));
        json_decref(v);
        int64_t sec;
        int32_t ns;
        if (!aslrtp_timestamp_parse(jn_stamp, &sec, &ns)) {
            char *d = aslrtp_strdupf("The Timestamp field cannot be parsed as an ISO-8601 extended "
                                     "offset date-time format string: %s",
                                     jn_stamp);
            aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_QUERY_EVALUATION_ERROR, d);
            free(d);
            free(jn_stamp);
            return 0;
        }
        long long target = (long long)sec * 1000;
        long long now = aslrtp_ex_clock_ms(ex);
        free(jn_stamp);
        if (target - now > WAIT_MAX_SECONDS * 1000)
            return aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_QUERY_EVALUATION_ERROR,
                                           "Wait state delay is too long.");
        delay_ms = (double)(target - now);
    } else if (s->seconds >= 0) {
        delay_ms = (double)s->seconds * 1000;
    } else if (s->seconds_path != ASLRT_NONE) {
        const aslrtp_path *p = aslrtp_ex_item(ex, s->seconds_path)->path;
        resolver r = {ex, ASLRTP_EFF(f)};
        char *why = NULL;
        json_t *v = resolve(&r, p, &why);
        free(why);
        if (!v) {
            char *d =
                aslrtp_strdupf("The SecondsPath parameter does not reference an input value: %s",
                               aslrtp_path_text(p));
            aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_RUNTIME, d);
            free(d);
            return 0;
        }
        bool ok;
        long long n = aslrtp_path_int(v, &ok);
        char *q = aslrtp_quote_value(v);
        char *d = NULL;
        if (!ok || (json_is_real(v) && fabs(json_real_value(v)) > 9.2e18))
            d = aslrtp_strdupf(
                "The SecondsPath parameter cannot be parsed as a long value: %s == %s",
                aslrtp_path_text(p), q);
        else if (n < 0)
            d = aslrtp_strdupf("The SecondsPath parameter references a negative value: %s == %s",
                               aslrtp_path_text(p), q);
        else if (n > WAIT_MAX_SECONDS)
            d = aslrtp_strdup("Wait state delay is too long.");
        free(q);
        json_decref(v);
        if (d) {
            aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_RUNTIME, d);
            free(d);
            return 0;
        }
        delay_ms = (double)n * 1000;
    } else {
        const char *text = s->timestamp;
        json_t *v = NULL;
        const aslrtp_path *p = NULL;
        if (!text) {
            p = aslrtp_ex_item(ex, s->timestamp_path)->path;
            resolver r = {ex, ASLRTP_EFF(f)};
            char *why = NULL;
            v = resolve(&r, p, &why);
            free(why);
            if (!v) {
                char *d = aslrtp_strdupf(
                    "The TimestampPath parameter does not reference an input value: %s",
                    aslrtp_path_text(p));
                aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_RUNTIME, d);
                free(d);
                return 0;
            }
            text = json_string_value(v);
        }
        int64_t sec;
        int32_t ns;
        if (!text || !aslrtp_timestamp_parse(text, &sec, &ns)) {
            char *q = aslrtp_quote_value(v);
            char *d = aslrtp_strdupf("The TimestampPath parameter does not reference a valid "
                                     "ISO-8601 extended offset date-time format string: %s == %s",
                                     aslrtp_path_text(p), q);
            aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_RUNTIME, d);
            free(d);
            free(q);
            json_decref(v);
            return 0;
        }
        json_decref(v);
        /* Timestamp waits are truncated to whole seconds (doc/behaviour.md §11). */
        long long target = (long long)sec * 1000;
        long long now = aslrtp_ex_clock_ms(ex);
        if (target - now > WAIT_MAX_SECONDS * 1000)
            return aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_RUNTIME, "Wait state delay is too long.");
        delay_ms = (double)(target - now);
    }
    int passed = aslrtp_ex_pass_time(ex, delay_ms);
    return passed > 0 ? 1 : passed < 0 ? aslrtp_ex_aborted(ex) : aslrtp_ex_timed_out(ex);
}

/* ---- Choice ------------------------------------------------------------- */

static inline __attribute__((always_inline)) int test(aslrt_exec *ex, aslrt_frame *f, int cmp)
{
    const aslrt_cmp *c = &ex->prog->m->cmps[cmp];
    const aslrtp_path *vp = aslrtp_ex_item(ex, c->variable)->path;
    char *why = NULL;
    int vown = 0, oown = 0;
    json_t *v = aslrtp_path_quick(vp, ASLRTP_EFF(f));
    if (!v)
        v = aslrtp_ex_lookup(ex, ASLRTP_EFF(f), vp, &why, &vown);
    if (!v && c->op != ASLRT_CMP_IS_PRESENT) {
        /* Only IsPresent tolerates a missing Variable (doc/behaviour.md §10.2). */
        fail_path(ex, vp, why);
        return -1;
    }
    if (why) {
        free(why);
        why = NULL;
    }
    json_t *operand;
    const aslrtp_item *lit = aslrtp_ex_item(ex, c->operand);
    if (c->op >= ASLRT_CMP_NUMERIC_EQ && c->op <= ASLRT_CMP_NUMERIC_GE && !c->is_path &&
        lit->is_int && json_is_integer(v)) {
        int result = aslrtp_compare_ints(c->op, json_integer_value(v), lit->ival);
        if (vown)
            json_decref(v);
        return result;
    }
    if (c->is_path) {
        const aslrtp_path *op = aslrtp_ex_item(ex, c->operand)->path;
        operand = aslrtp_ex_lookup(ex, ASLRTP_EFF(f), op, &why, &oown);
        if (!operand) {
            if (vown)
                json_decref(v);
            fail_path(ex, op, why);
            return -1;
        }
    } else {
        operand = lit->json;
    }
    int result = aslrtp_compare(c->op, v, operand);
    if (vown)
        json_decref(v);
    if (oown)
        json_decref(operand);
    return result;
}

int aslrt_op_test(aslrt_exec *ex, aslrt_frame *f, int cmp)
{
    return test(ex, f, cmp);
}

int aslrt_op_branch(aslrt_exec *ex, aslrt_frame *f, int state, int cmp)
{
    if (!enter(ex, f, state))
        return -1;
    int r = test(ex, f, cmp);
    if (r < 0 || !exit_state(ex, f, NULL))
        return -1;
    return r;
}

/* The truth of the condition at rules[i]: 1, 0 or -1 (an error). */
static int rule_holds(aslrt_exec *ex, aslrt_frame *f, const aslrt_rule *rules, int i)
{
    const aslrt_rule *r = &rules[i];
    switch (r->kind) {
    case ASLRT_RULE_TEST:
        return aslrt_op_test(ex, f, r->arg);
    case ASLRT_RULE_CONDITION:
        return aslrt_op_jn_condition(ex, f, r->arg);
    case ASLRT_RULE_TRUE:
        return 1;
    case ASLRT_RULE_FALSE:
        return 0;
    case ASLRT_RULE_NOT: {
        int v = rule_holds(ex, f, rules, i + 1);
        return v < 0 ? v : !v;
    }
    default: {
        /* And, Or: the operands in order until one decides */
        int stop = r->kind == ASLRT_RULE_OR, k = i + 1;
        for (int n = 0; n < r->nkids; n++, k += rules[k].size) {
            int v = rule_holds(ex, f, rules, k);
            if (v < 0 || v == stop)
                return v;
        }
        return !stop;
    }
    }
}

int aslrt_op_choose(aslrt_exec *ex, aslrt_frame *f, int rule)
{
    const aslrt_rule *rules = ex->prog->m->rules;
    int n = rules[rule].nkids, k = rule + 1;
    for (int j = 0; j < n; j++, k += rules[k].size) {
        int v = rule_holds(ex, f, rules, k);
        if (v)
            return v < 0 ? -1 : j;
    }
    return n;
}

int aslrt_op_no_choice(aslrt_exec *ex, aslrt_frame *f)
{
    (void)f;
    /* doc/behaviour.md §10: the specification and the documentation name
     * States.NoChoiceMatched; that is what we raise. */
    char *d = aslrtp_strdupf("No Choice Rules matched and no Default was specified for state '%s'",
                             ex->state->name);
    aslrtp_ex_fail_plain(ex, ASLRTP_ERR_NO_CHOICE_MATCHED, d);
    free(d);
    return 0;
}

/* ---- Fail ---------------------------------------------------------------- */

/* ErrorPath/CausePath: a path on the state input or an intrinsic call. */
static char *fail_field(aslrt_exec *ex, aslrt_frame *f, int idx, const char *field, bool *bad)
{
    const aslrtp_item *it = aslrtp_ex_item(ex, idx);
    if (it->jn) {
        json_t *v = aslrtp_ex_jn_typed(ex, idx, f->raw, JSON_STRING, "string");
        if (!v) {
            *bad = true;
            return NULL;
        }
        char *s = aslrtp_strdup(json_string_value(v));
        json_decref(v);
        return s;
    }
    resolver r = {ex, f->raw};
    json_t *v;
    if (it->call) {
        aslrt_error err = {NULL, NULL};
        v = aslrtp_intrinsic_eval(it->call, lookup_cb, &r, &err);
        if (!v) {
            aslrtp_ex_fail_in_state(ex, err.error ? err.error : ASLRTP_ERR_RUNTIME,
                                    err.cause ? err.cause : "");
            aslrt_error_clear(&err);
            *bad = true;
            return NULL;
        }
    } else {
        char *why = NULL;
        v = resolve(&r, it->path, &why);
        free(why);
        if (!v) {
            char *in = aslrt_json_dumps(f->raw);
            char *d = aslrtp_strdupf("The JSONPath '%s' specified for the field '%s' could not be "
                                     "found in the input '%s'",
                                     aslrtp_path_text(it->path), field, in);
            aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_RUNTIME, d);
            free(d);
            free(in);
            *bad = true;
            return NULL;
        }
    }
    char *s = json_is_string(v) ? aslrtp_strdup(json_string_value(v)) : aslrt_json_dumps(v);
    json_decref(v);
    return s;
}

int aslrt_op_fail(aslrt_exec *ex, aslrt_frame *f)
{
    const aslrt_state *s = ex->state;
    bool bad = false;
    char *error = s->error_path != ASLRT_NONE ? fail_field(ex, f, s->error_path, "ErrorPath", &bad)
                                              : (s->error ? aslrtp_strdup(s->error) : NULL);
    if (bad)
        return 0;
    char *cause = s->cause_path != ASLRT_NONE ? fail_field(ex, f, s->cause_path, "CausePath", &bad)
                                              : (s->cause ? aslrtp_strdup(s->cause) : NULL);
    if (bad) {
        free(error);
        return 0;
    }
    aslrt_error_clear(&ex->error);
    ex->error.error = error;
    ex->error.cause = cause;
    ex->status = ASLRT_FAILED;
    return 0;
}

/* ==== aslrt_execute ===================================================== */

void aslrt_config_init(aslrt_config *c)
{
    memset(c, 0, sizeof *c);
    c->wait_scale = 1.0;
}

int aslrt_execute(const aslrt_program *p, const aslrt_config *cfg, json_t *input,
                  json_t **output, aslrt_error *err)
{
    return aslrtp_execute_counted(p, cfg, input, output, err, NULL);
}

int aslrtp_execute_counted(const aslrt_program *p, const aslrt_config *cfg, json_t *input,
                           json_t **output, aslrt_error *err, unsigned long *transitions)
{
    aslrt_config defaults;
    if (!cfg) {
        aslrt_config_init(&defaults);
        cfg = &defaults;
    }
    aslrt_exec ex = {.prog = p, .cfg = cfg, .status = ASLRT_SUCCEEDED,
                   .cancel = {cfg->abort_flag, NULL}};
    ex.input = json_incref(input);
    ex.name = cfg->execution_name ? aslrtp_strdup(cfg->execution_name) : aslrtp_ex_uuid();
    ex.sm_name = aslrtp_strdup(cfg->state_machine_name ? cfg->state_machine_name : p->m->name);
    ex.start_ms = cfg->start_time_ms ? cfg->start_time_ms : aslrtp_wall_ms();
    ex.skew_ms = ex.start_ms - aslrtp_wall_ms();
    if (p->m->timeout_seconds > 0)
        ex.deadline_ms = ex.start_ms + (long long)p->m->timeout_seconds * 1000;
    ex.express = cfg->express;
    ex.limit_ms = ex.start_ms + (cfg->express ? ASLRTP_EXPRESS_MAX_MS : ASLRTP_STANDARD_MAX_MS);
    /* A Standard execution's events are counted against the quota whether
     * or not anyone records them; an Express one has no history (§33). */
    aslrtp_event_count count = {0, 0};
    if (!cfg->express)
        ex.count = &count;
    if (cfg->history || cfg->history_event) {
        ex.hist = aslrtp_hist_create();
        if (cfg->history_event)
            aslrtp_hist_set_sink(ex.hist, cfg->history_event, cfg->history_event_ud,
                                 cfg->history != NULL);
        json_t *d = json_object();
        aslrtp_ex_put_payload(d, "input", input);
        char *role = role_of(&ex);
        json_object_set_new(d, "roleArn", json_string(role));
        free(role);
        aslrtp_ex_record(&ex, ASLRTP_EV_EXECUTION_STARTED, 0, d);
    } else {
        aslrtp_ex_record(&ex, ASLRTP_EV_EXECUTION_STARTED, 0, NULL);
    }
    /* Recorded on AWS: the first state's event follows none. */
    ex.last_event = 0;
    /* Callback tasks make the endpoint they wait on when they first need it. */
    aslrtp_cb_server *callbacks = NULL;
    ex.callbacks = &callbacks;
    /* Nested executions started and not waited for (nested.c). */
    aslrtp_background *background = NULL;
    ex.background = &background;
    /* jansson seeds its hash function once; do it before any thread can. */
    json_object_seed(0);
    ex.retry_counts = aslrtp_calloc((size_t)p->m->nretriers + 1, sizeof *ex.retry_counts);
    ex.mock_calls = aslrtp_calloc((size_t)p->m->nstates + 1, sizeof *ex.mock_calls);
    aslrtp_random_bytes(&ex.rng, sizeof ex.rng);
    if (ex.rng == 0)
        ex.rng = (uint64_t)aslrtp_wall_ms() | 1;
    *output = NULL;

    json_t *out = p->m->graphs[0](&ex, json_incref(input));
    /* The nested executions it started end before it does. */
    if (background)
        background->finish(background);
    int status;
    if (aslrtp_ex_history_full(&ex)) {
        /* The history is full (doc/behaviour.md §33): its last event is
         * ExecutionFailed, whatever the execution was doing; no Catch saw
         * the error, which is the execution's, not a state's. */
        json_decref(out);
        out = NULL;
        status = ASLRT_FAILED;
        err->error = aslrtp_strdup(ASLRTP_ERR_RUNTIME);
        err->cause = aslrtp_strdup(ASLRTP_HISTORY_FULL_CAUSE);
    } else if (out) {
        *output = out;
        status = ASLRT_SUCCEEDED;
    } else {
        status = ex.status == ASLRT_SUCCEEDED ? ASLRT_FAILED : ex.status;
        err->error = ex.error.error;
        err->cause = ex.error.cause;
        ex.error.error = ex.error.cause = NULL;
        /* Recorded on AWS: an empty Cause (a Lambda timeout's) is in the
         * error output a catcher sees but not in ExecutionFailed. */
        if (err->cause && !*err->cause) {
            free(err->cause);
            err->cause = NULL;
        }
        /* StopExecution's error and cause, when it gave a reason
         * (doc/behaviour.md §31.2). */
        if (status == ASLRT_ABORTED && cfg->abort_reason)
            aslrt_error_set(err, cfg->abort_reason->error, cfg->abort_reason->cause);
    }
    if (ex.hist) {
        json_t *d = json_object();
        if (status == ASLRT_SUCCEEDED) {
            aslrtp_ex_put_payload(d, "output", out);
        } else {
            aslrtp_ex_flush_failed(&ex);
            if (status != ASLRT_ABORTED || cfg->abort_reason)
                aslrtp_ex_put_error(d, err->error, err->cause);
        }
        aslrtp_ex_chain(&ex, status == ASLRT_SUCCEEDED   ? ASLRTP_EV_EXECUTION_SUCCEEDED
                             : status == ASLRT_TIMED_OUT ? ASLRTP_EV_EXECUTION_TIMED_OUT
                             : status == ASLRT_ABORTED   ? ASLRTP_EV_EXECUTION_ABORTED
                                                         : ASLRTP_EV_EXECUTION_FAILED,
                        d);
        if (cfg->history) {
            json_t *doc = aslrtp_hist_json(ex.hist);
            cfg->history(cfg->history_ud, doc);
            json_decref(doc);
        }
        aslrtp_hist_destroy(ex.hist);
    }
    if (transitions)
        *transitions = ex.transitions;
    aslrt_error_clear(&ex.error);
    json_decref(ex.context);
    json_decref(ex.vars);
    if (ex.jn)
        jn_ctx_destroy(ex.jn);
    aslrtp_ex_jn_keep_free(&ex);
    aslrtp_ex_kept_free(&ex);
    json_decref(ex.pending);
    json_decref(ex.input);
    free(ex.name);
    free(ex.sm_name);
    free(ex.retry_counts);
    free(ex.mock_calls);
    free(ex.task_token);
    aslrtp_cb_server_destroy(callbacks);
    return status;
}

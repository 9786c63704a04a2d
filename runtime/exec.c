/*
 * exec.c - programs, executions and the ops generated code calls.
 *
 * A program is a machine descriptor (constant tables emitted by aslc) whose
 * items have been compiled once by the runtime's parsers.  An execution runs
 * the machine's first graph function; that function walks its states with
 * goto and calls one aslrt_op_* per step of ASL's data flow (ASL-REFERENCE
 * §4), passing an aslrt_frame that owns the values in flight.  An op that
 * fails records an ASL error (Error, Cause) in the execution and returns 0;
 * the generated code then unwinds.
 *
 * The execution also numbers the history events AWS would have written,
 * because AWS's runtime causes quote the event id at which the failing
 * state was entered ("... (entered at the event id #2). ...").  Every event
 * goes through record(), which counts it and, when the configuration asks
 * for the history, hands it with its details to history.c.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "aslrt_private.h"
#include "jsonata.h"

/* ==== Programs ========================================================== */

typedef struct item {
    int kind;
    json_t *json;             /* ASLRT_ITEM_JSON */
    aslrtp_path *path;        /* ASLRT_ITEM_PATH, ASLRT_ITEM_REFPATH */
    aslrtp_tmpl *tmpl;        /* ASLRT_ITEM_TEMPLATE */
    aslrtp_intrinsic *call;   /* ASLRT_ITEM_INTRINSIC */
    aslrtp_jfield *jn;        /* ASLRT_ITEM_JSONATA */
} item;

struct aslrt_program {
    const aslrt_machine *m;
    item *items;
};

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
    aslrt_program *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->m = m;
    p->items = calloc((size_t)m->nitems + 1, sizeof *p->items);
    if (!p->items)
        abort();
    for (int i = 1; i < m->nitems; i++) { /* items[0] stands for "none" */
        const aslrt_item *src = &m->items[i];
        item *it = &p->items[i];
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
            json_t *v = aslrtp_json_loads(src->text, strlen(src->text), &je);
            if (!v) {
                why = aslrtp_strdup(je.text);
                break;
            }
            if (src->kind == ASLRT_ITEM_JSON)
                it->json = v;
            else {
                it->tmpl = aslrtp_tmpl_compile(v, &why);
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
        item *it = &p->items[i];
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

struct aslrt_exec {
    const aslrt_program *prog;
    const aslrt_config *cfg;
    aslrt_error error;        /* set when an op fails */
    int status;               /* ASLRT_FAILED, ... once failed */
    json_t *input;            /* the execution input ($$.Execution.Input) */
    char *name;               /* execution name */
    char *sm_name;            /* state machine name */
    long long start_ms;
    const aslrt_state *state; /* the state being run */
    long long entered_ms;
    long event_id;            /* history events so far */
    long entered_event;       /* id of the current state's *StateEntered */
    long entered_prev;        /* that event's previousEventId */
    long last_event;          /* previousEventId of the next event of this chain */
    aslrtp_hist *hist;        /* where events are recorded; NULL: nowhere */
    int failed_event;         /* Map/ParallelStateFailed, written once Retry has
                                 passed on the error (ASLRTP_EV_NONE: none) */
    json_t *context;          /* $$ for the current state, built on demand */
    unsigned long transitions;
    int child;                /* a Parallel branch's or Map iteration's execution */
    long long skew_ms;        /* virtual time gained by skipped or scaled waits */
    long long deadline_ms;    /* execution TimeoutSeconds, virtual time; 0 = none */
    int *retry_counts;        /* attempts made by each retrier in this state visit */
    int retry_total;          /* retries of this state visit ($$.State.RetryCount) */
    long *mock_calls;         /* invocations of each state so far, for mocks (shared
                                 by the branches and iterations of an execution) */
    uint64_t rng;             /* xorshift64* state, for retry jitter */
    const volatile int *cancel; /* set when a sibling branch or iteration failed */
    json_t *vars;             /* this scope's variables (an object) */
    const struct aslrt_exec *outer; /* the enclosing scope, readable; NULL at the top
                                 and in distributed Map children */
    json_t *pending;          /* the current state's Assign, applied when it exits */
    json_t *fanout_result;    /* the array a Parallel or Map op just built */
    aslrtp_cb_server **callbacks; /* where the endpoint of callback tasks is, once made
                                 (the top execution's, shared by branches and iterations) */
    char *task_token;         /* $$.Task.Token of this visit of a callback task */
    int heartbeat_expired;    /* the current error is a missed heartbeat */
    int has_item;             /* evaluating a Map's ItemSelector: $$.Map.Item exists */
    long item_index;          /* $$.Map.Item.Index */
    json_t *item_value;       /* $$.Map.Item.Value (borrowed) */
    struct jn_ctx *jn;        /* JSONata evaluations of this thread's states */
    /* A JSONata Map's input, converted once for all its ItemSelector
     * evaluations (read-only, shared by the iterations' threads). */
    struct jn_ctx *jn_share;
    json_t *jn_input_src;
    struct jn_value *jn_input_val;
    struct jn_value *jn_exec_input; /* $states.context.Execution.Input, likewise */
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The execution's clock: real time plus what skipped or scaled waits let
 * pass without sleeping, so timestamps and timeouts see the delays AWS
 * would have spent. */
static long long clock_ms(const aslrt_exec *ex)
{
    return now_ms() + ex->skew_ms;
}

static char *new_uuid(void)
{
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        long long t = now_ms();
        for (int i = 0; i < 16; i++)
            b[i] = (unsigned char)(t >> (i % 8 * 8)) ^ (unsigned char)(i * 37);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    return aslrtp_strdupf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                          b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
                          b[11], b[12], b[13], b[14], b[15]);
}

static const char *cfg_region(const aslrt_exec *ex)
{
    return ex->cfg->region ? ex->cfg->region : "us-east-1";
}

static const char *cfg_account(const aslrt_exec *ex)
{
    return ex->cfg->account ? ex->cfg->account : "123456789012";
}

/* ---- History (history.c, ASL-REFERENCE §20) ----------------------------- */

/* Writes the next history event and returns its id.  The id is counted
 * whether or not the history is recorded (causes quote it); the details
 * (stolen, NULL when there are none) are built by callers only when
 * ex->hist is set, so an execution without a history pays one increment. */
static long record(aslrt_exec *ex, int type, long prev, json_t *details)
{
    long id = ++ex->event_id;
    if (ex->hist)
        aslrtp_hist_add_new(ex->hist, id, prev, type, clock_ms(ex), details);
    return id;
}

/* An event that follows the last one of its chain and becomes the last
 * (most events; the exceptions are AWS's, recorded, §24.10). */
static long chain(aslrt_exec *ex, int type, json_t *details)
{
    return ex->last_event = record(ex, type, ex->last_event, details);
}

/* d[key] = v as the API returns payloads: a JSON string, with
 * keyDetails {"truncated": false}. */
static void put_payload(json_t *d, const char *key, const json_t *v)
{
    char k[40];
    json_object_set_new(d, key, aslrtp_hist_payload(v));
    snprintf(k, sizeof k, "%sDetails", key);
    json_object_set_new(d, k, json_pack("{s:b}", "truncated", 0));
}

static void put_error(json_t *d, const char *error, const char *cause)
{
    if (error)
        json_object_set_new(d, "error", json_string(error));
    if (cause)
        json_object_set_new(d, "cause", json_string(cause));
}

/* A Map's or Parallel's failure event, once it is known that no retrier
 * takes the error. */
static void flush_failed(aslrt_exec *ex)
{
    if (ex->failed_event != ASLRTP_EV_NONE)
        chain(ex, ex->failed_event, NULL);
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
        put_error(d, error, cause);
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
    ex->last_event = record(ex, ASLRTP_EV_EVALUATION_FAILED,
                            wait ? ex->entered_event : ex->entered_prev, d);
    if (ex->state && ex->state->type == ASLRT_STATE_MAP)
        ex->failed_event = ASLRTP_EV_MAP_STATE_FAILED;
    else if (ex->state && ex->state->type == ASLRT_STATE_PARALLEL)
        ex->failed_event = ASLRTP_EV_PARALLEL_STATE_FAILED;
}

/* Records an error whose cause AWS prefixes with the state and the event
 * id at which it was entered (ASL-REFERENCE §17.2). */
static int fail_in_state(aslrt_exec *ex, const char *error, const char *detail)
{
    char *cause = aslrtp_strdupf("An error occurred while executing the state '%s' (entered at "
                                 "the event id #%ld). %s",
                                 ex->state ? ex->state->name : "", ex->entered_event, detail);
    aslrt_error_set(&ex->error, error, cause);
    if (error && strcmp(error, "States.QueryEvaluationError") == 0)
        evaluation_failed(ex, error, cause);
    free(cause);
    ex->status = ASLRT_FAILED;
    return 0;
}

static int fail_plain(aslrt_exec *ex, const char *error, const char *cause)
{
    aslrt_error_set(&ex->error, error, cause);
    ex->status = ASLRT_FAILED;
    return 0;
}

/* ---- Callback tasks (.waitForTaskToken; callback.c) --------------------- */

#define WAIT_FOR_TOKEN ".waitForTaskToken"

static bool is_callback(const aslrt_state *s)
{
    size_t n = s->resource ? strlen(s->resource) : 0, k = strlen(WAIT_FOR_TOKEN);
    return s->type == ASLRT_STATE_TASK && n > k && strcmp(s->resource + n - k, WAIT_FOR_TOKEN) == 0;
}

/* The token of this visit of a callback task, made on first use (by
 * $$.Task.Token or by the invocation); NULL with err filled (err may be
 * NULL) when none can be made. */
static const char *task_token(aslrt_exec *ex, aslrt_error *err)
{
    if (!ex->task_token)
        ex->task_token = aslrtp_cb_token_create(ex->callbacks, err);
    return ex->task_token;
}

/* A new visit or attempt of a state gets a new token (ASL-REFERENCE §7). */
static void drop_task_token(aslrt_exec *ex)
{
    free(ex->task_token);
    ex->task_token = NULL;
}

/* The context object (ASL-REFERENCE §7), for the state being run. */
static json_t *context(aslrt_exec *ex)
{
    if (ex->context)
        return ex->context;
    char ts[40], st[40];
    aslrtp_timestamp_format(ex->start_ms, st, sizeof st);
    aslrtp_timestamp_format(ex->entered_ms, ts, sizeof ts);
    /* Express executions have ARNs of their own form (recorded on AWS). */
    char *exec_arn = ex->cfg->express
                         ? aslrtp_strdupf("arn:aws:states:%s:%s:express:%s:%s:%s", cfg_region(ex),
                                          cfg_account(ex), ex->sm_name, ex->name, ex->name)
                         : aslrtp_strdupf("arn:aws:states:%s:%s:execution:%s:%s", cfg_region(ex),
                                          cfg_account(ex), ex->sm_name, ex->name);
    char *sm_arn = aslrtp_strdupf("arn:aws:states:%s:%s:stateMachine:%s", cfg_region(ex),
                                  cfg_account(ex), ex->sm_name);
    char *role = aslrtp_strdupf("arn:aws:iam::%s:role/aslc-local", cfg_account(ex));
    ex->context = json_pack("{s:{s:s,s:O,s:s,s:s,s:s,s:i},s:{s:s,s:s},s:{s:s,s:s}}",
                            "Execution", "Id", exec_arn, "Input", ex->input, "Name", ex->name,
                            "RoleArn", role, "StartTime", st, "RedriveCount", 0,
                            "State", "EnteredTime", ts, "Name", ex->state ? ex->state->name : "",
                            "StateMachine", "Id", sm_arn, "Name", ex->sm_name);
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
    if (ex->state && (ex->state->type == ASLRT_STATE_TASK || ex->state->type == ASLRT_STATE_PARALLEL ||
                      ex->state->type == ASLRT_STATE_MAP))
        json_object_set_new(json_object_get(ex->context, "State"), "RetryCount",
                            json_integer(ex->retry_total));
    /* Task.Token: only in callback tasks (ASL-REFERENCE §7). */
    if (ex->state && is_callback(ex->state) && task_token(ex, NULL))
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
 * (ASL-REFERENCE §6: branches and iterations read outer variables). */
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
static json_t *lookup(aslrt_exec *ex, json_t *input, const aslrtp_path *p, char **why, int *owned)
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
    return lookup(r->ex, r->input, p, why, owned);
}

static const item *get_item(const aslrt_exec *ex, int i)
{
    return &ex->prog->items[i];
}

/* "Invalid path '$.x' : No results for path: $['x']" (Jayway, via AWS). */
static int fail_path(aslrt_exec *ex, const aslrtp_path *p, char *why)
{
    char *d = aslrtp_strdupf("Invalid path '%s' : %s", aslrtp_path_text(p), why ? why : "");
    fail_in_state(ex, "States.Runtime", d);
    free(d);
    free(why);
    return 0;
}

static json_t *jn_field(aslrt_exec *ex, int idx, json_t *input, json_t *result,
                        json_t *error_output);

static json_t *select_path(aslrt_exec *ex, int idx, json_t *doc)
{
    if (get_item(ex, idx)->jn)
        return jn_field(ex, idx, doc, NULL, NULL);
    const aslrtp_path *p = get_item(ex, idx)->path;
    resolver r = {ex, doc};
    char *why = NULL;
    json_t *v = resolve(&r, p, &why);
    if (!v)
        fail_path(ex, p, why);
    return v;
}

/* ==== Frames and ops ==================================================== */

/* ASL-REFERENCE §23: payloads over 256 KiB fail the state, unless the
 * configuration lifts the quota (payload_limit < 0). */
#define PAYLOAD_LIMIT (256 * 1024)

static bool over_quota(const aslrt_exec *ex, const json_t *v)
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

/* The effective input: eff once InputPath or Parameters made one, else the
 * state input itself (the compiler emits no op for an absent InputPath). */
#define EFF(f) ((f)->eff ? (f)->eff : (f)->raw)

static void set(json_t **slot, json_t *v)
{
    json_decref(*slot);
    *slot = v;
}

/* The execution ran past its TimeoutSeconds (ASL-REFERENCE §1). */
static int timed_out(aslrt_exec *ex)
{
    aslrt_error_set(&ex->error, "States.Timeout", NULL);
    ex->status = ASLRT_TIMED_OUT;
    return 0;
}

/* The execution was stopped from outside (ASL-REFERENCE §20.4,
 * ExecutionAborted). */
static int aborted(aslrt_exec *ex)
{
    aslrt_error_set(&ex->error, NULL, "The execution was aborted");
    ex->status = ASLRT_ABORTED;
    return 0;
}

/* What stops a handler that is running: a failed sibling branch or
 * iteration, or, at the top level, the execution's abort (SIGINT,
 * SIGTERM). */
static const volatile int *task_cancel(const aslrt_exec *ex)
{
    return ex->cancel ? ex->cancel : ex->cfg->abort_flag;
}

static bool abort_requested(const aslrt_exec *ex)
{
    return aslrtp_flag(ex->cfg->abort_flag) || aslrtp_flag(ex->cancel);
}

int aslrt_op_enter(aslrt_exec *ex, aslrt_frame *f, int state)
{
    if (abort_requested(ex))
        return aborted(ex);
    f->state = state;
    ex->state = &ex->prog->m->states[state];
    /* Reading the clock is most of an empty state's cost: only when the
     * time can be seen ($$ in the machine) or bounds the execution. */
    if (ex->transitions == 0 && !ex->child)
        ex->entered_ms = ex->start_ms;
    else if (ex->deadline_ms || (ex->prog->m->flags & ASLRT_MACHINE_USES_CONTEXT))
        ex->entered_ms = clock_ms(ex);
    if (ex->deadline_ms && ex->entered_ms >= ex->deadline_ms)
        return timed_out(ex);
    json_t *d = NULL;
    if (ex->hist) {
        d = json_pack("{s:s}", "name", ex->state->name);
        put_payload(d, "input", f->raw);
    }
    ex->entered_prev = ex->last_event;
    ex->entered_event = chain(ex, aslrtp_hist_entered(ex->state->type), d);
    ex->failed_event = ASLRTP_EV_NONE;
    ex->transitions++;
    if (ex->context) {
        json_decref(ex->context);
        ex->context = NULL;
    }
    if (ex->task_token)
        drop_task_token(ex);
    ex->heartbeat_expired = 0;
    /* ASL spec, "Retry": counters start again at each visit of a state.
     * A state that can retry or catch keeps its input to start over from. */
    const aslrt_state *s = ex->state;
    if (s->nretriers || s->ncatchers) {
        for (int i = 0; i < s->nretriers; i++)
            ex->retry_counts[s->retrier + i] = 0;
        ex->retry_total = 0;
        set(&f->input, json_incref(f->raw));
    }
    return 1;
}

static json_t *apply_template(aslrt_exec *ex, int tmpl, json_t *input);

/* ASL-REFERENCE §6: an Assign's values are computed with the variables as
 * they were when the state was entered and become visible from the next
 * state on. */
static void commit_assign(aslrt_exec *ex)
{
    if (!ex->pending)
        return;
    if (!ex->vars)
        ex->vars = json_object();
    json_object_update(ex->vars, ex->pending);
    json_decref(ex->pending);
    ex->pending = NULL;
}

/* *StateExited: the state output, and the variables it assigns (each as
 * a JSON string); then the assignments take effect. */
static void exited(aslrt_exec *ex, aslrt_frame *f)
{
    json_t *d = NULL;
    if (ex->hist) {
        d = json_pack("{s:s}", "name", ex->state->name);
        put_payload(d, "output", f->raw);
        if (ex->pending && json_object_size(ex->pending)) {
            json_t *vars = json_object();
            const char *k;
            json_t *v;
            json_object_foreach(ex->pending, k, v) json_object_set_new(vars, k, aslrtp_hist_payload(v));
            json_object_set_new(d, "assignedVariables", vars);
            json_object_set_new(d, "assignedVariablesDetails", json_pack("{s:b}", "truncated", 0));
        }
    }
    chain(ex, aslrtp_hist_exited(ex->state->type), d);
    commit_assign(ex);
}

int aslrt_op_assign(aslrt_exec *ex, aslrt_frame *f, int tmpl, int source)
{
    json_t *in = source ? f->res : EFF(f);
    json_t *v = apply_template(ex, tmpl, in ? in : json_null());
    if (!v)
        return 0;
    set(&ex->pending, v);
    return 1;
}

int aslrt_op_exit(aslrt_exec *ex, aslrt_frame *f)
{
    /* Recorded on AWS: a state whose output is over the payload quota fails
     * before its *StateExited event.  Choice, Wait and Succeed output a part
     * of their input, which was within the quota, so only states that make
     * new data are measured. */
    int t = ex->state->type;
    bool grows = t == ASLRT_STATE_PASS || t == ASLRT_STATE_TASK || t == ASLRT_STATE_PARALLEL ||
                 t == ASLRT_STATE_MAP;
    if (grows && over_quota(ex, f->raw)) {
        char *c = aslrtp_strdupf("The state/task '%s' returned a result with a size exceeding "
                                 "the maximum number of bytes service limit.",
                                 ex->state->name);
        fail_plain(ex, "States.DataLimitExceeded", c);
        free(c);
        return 0;
    }
    set(&f->input, NULL);
    exited(ex, f);
    return 1;
}

int aslrt_op_input_path(aslrt_exec *ex, aslrt_frame *f, int path)
{
    if (path == ASLRT_NONE) {
        set(&f->eff, json_incref(f->raw));
        return 1;
    }
    if (path == ASLRT_NULL_PATH) {
        set(&f->eff, json_object());
        return 1;
    }
    json_t *v = select_path(ex, path, f->raw);
    set(&f->eff, v);
    return v != NULL;
}

static json_t *apply_template(aslrt_exec *ex, int tmpl, json_t *input)
{
    if (get_item(ex, tmpl)->jn)
        return jn_field(ex, tmpl, input, NULL, NULL);
    resolver r = {ex, input};
    aslrt_error err = {NULL, NULL};
    json_t *v = aslrtp_tmpl_eval(get_item(ex, tmpl)->tmpl, lookup_cb, &r, input, &err);
    if (!v) {
        fail_in_state(ex, err.error ? err.error : "States.Runtime", err.cause ? err.cause : "");
        aslrt_error_clear(&err);
    }
    return v;
}

int aslrt_op_parameters(aslrt_exec *ex, aslrt_frame *f, int tmpl)
{
    json_t *v = apply_template(ex, tmpl, EFF(f));
    set(&f->eff, v);
    return v != NULL;
}

int aslrt_op_result_json(aslrt_exec *ex, aslrt_frame *f, int json)
{
    set(&f->res, json_incref(get_item(ex, json)->json));
    return 1;
}

int aslrt_op_result_input(aslrt_exec *ex, aslrt_frame *f)
{
    (void)ex;
    if (f->eff) {
        set(&f->res, f->eff);
        f->eff = NULL;
    } else {
        set(&f->res, json_incref(f->raw));
    }
    return 1;
}


/* ---- JSONata mode (ASL-REFERENCE §5) ----------------------------------- */

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

/* Binds every variable in scope, the enclosing scopes' first so that the
 * inner ones win (ASL-REFERENCE §6). */
static void jn_bind_scope(jn_ctx *cx, const aslrt_exec *ex)
{
    if (!ex)
        return;
    jn_bind_scope(cx, ex->outer);
    const char *name;
    json_t *v;
    if (ex->vars)
        json_object_foreach(ex->vars, name, v) jn_bind(cx, name, jn_from_json(cx, v));
}

/* $states.context: the context object, with the execution's input
 * converted once per Map rather than once per item when it can be. */
static jn_value *jn_context_object(aslrt_exec *ex, jn_ctx *cx)
{
    json_t *c = context(ex);
    if (!ex->jn_exec_input)
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

/* Evaluates JSONATA item idx with $states.input = input (and result,
 * errorOutput when given) and the variables in scope: a new value, or
 * NULL with States.QueryEvaluationError recorded. */
static json_t *jn_field(aslrt_exec *ex, int idx, json_t *input, json_t *result,
                        json_t *error_output)
{
    jn_ctx *cx = jn_context(ex);
    jn_bind_scope(cx, ex);
    jn_value *st = jn_object(cx);
    jn_value *in = input && input == ex->jn_input_src ? ex->jn_input_val
                                                      : jn_from_json(cx, input ? input : json_null());
    jn_object_set(cx, st, "input", 5, in);
    jn_object_set(cx, st, "context", 7, jn_context_object(ex, cx));
    if (result)
        jn_object_set(cx, st, "result", 6, jn_from_json(cx, result));
    if (error_output)
        jn_object_set(cx, st, "errorOutput", 11, jn_from_json(cx, error_output));
    jn_bind(cx, "states", st);
    char *detail = NULL;
    json_t *v = aslrtp_jfield_eval(get_item(ex, idx)->jn, cx, in, &detail);
    if (!v) {
        fail_in_state(ex, "States.QueryEvaluationError", detail ? detail : "");
        free(detail);
    }
    return v;
}

/* A JSONata field that must give a value of one JSON type. */
static json_t *jn_typed(aslrt_exec *ex, int idx, json_t *input, json_type want,
                        const char *name)
{
    json_t *v = jn_field(ex, idx, input, NULL, NULL);
    if (!v)
        return NULL;
    bool ok = json_typeof(v) == want || (want == JSON_INTEGER && json_is_number(v)) ||
              (want == JSON_TRUE && json_is_boolean(v));
    if (want == JSON_INTEGER && ok && json_is_real(v))
        ok = json_real_value(v) == floor(json_real_value(v)) && fabs(json_real_value(v)) < 9.2e18;
    if (!ok) {
        char *d = aslrtp_jfield_type_error(get_item(ex, idx)->jn, name, v);
        fail_in_state(ex, "States.QueryEvaluationError", d);
        free(d);
        json_decref(v);
        return NULL;
    }
    return v;
}

int aslrt_op_jn_arguments(aslrt_exec *ex, aslrt_frame *f, int item)
{
    json_t *v = jn_field(ex, item, f->raw, NULL, NULL);
    set(&f->eff, v);
    return v != NULL;
}

int aslrt_op_jn_assign(aslrt_exec *ex, aslrt_frame *f, int item)
{
    json_t *v = jn_field(ex, item, f->raw, f->res, NULL);
    if (!v)
        return 0;
    set(&ex->pending, v);
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
        v = jn_field(ex, item, f->raw, f->res, NULL);
        if (!v)
            return 0;
        set(&f->res, NULL);
    }
    set(&f->eff, NULL);
    set(&f->raw, v);
    return 1;
}

int aslrt_op_jn_condition(aslrt_exec *ex, aslrt_frame *f, int item)
{
    json_t *v = jn_typed(ex, item, f->raw, JSON_TRUE, "boolean");
    if (!v)
        return -1;
    int r = json_is_true(v);
    json_decref(v);
    return r;
}


static long long int_value(json_t *v, bool *ok)
{
    *ok = json_is_integer(v) ||
          (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)));
    return json_is_integer(v) ? json_integer_value(v) : (long long)json_number_value(v);
}

/* ---- The Lambda optimized integration (arn:aws:states:::lambda:invoke) ---- */

#define LAMBDA_INVOKE "arn:aws:states:::lambda:invoke"

/* FunctionName, as Lambda accepts it (a name, a name:qualifier, a partial
 * ARN account:function:name[:qualifier], or a full ARN), made a full
 * function ARN for the bindings to match. */
static char *function_arn(const aslrt_exec *ex, const char *name, const char *qualifier)
{
    char *arn;
    if (strncmp(name, "arn:", 4) == 0)
        arn = aslrtp_strdup(name);
    else if (strstr(name, ":function:"))
        arn = aslrtp_strdupf("arn:aws:lambda:%s:%s", cfg_region(ex), name);
    else
        arn = aslrtp_strdupf("arn:aws:lambda:%s:%s:function:%s", cfg_region(ex),
                             cfg_account(ex), name);
    if (qualifier && *qualifier) {
        char *q = aslrtp_strdupf("%s:%s", arn, qualifier);
        free(arn);
        arn = q;
    }
    return arn;
}

/* An HTTP date, as Lambda's response headers carry it. */
static void http_date(long long ms, char *buf, size_t size)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    snprintf(buf, size, "%s, %02d %s %d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Calls the function FunctionName names with Payload, and shapes the result
 * as the integration returns Lambda's Invoke response (ASL-REFERENCE
 * §21.1, recorded): ExecutedVersion, Payload, SdkHttpMetadata,
 * SdkResponseMetadata, StatusCode. */
static int invoke_lambda(aslrt_exec *ex, json_t *params, double timeout, json_t **out,
                         aslrt_error *err)
{
    const char *name = json_string_value(json_object_get(params, "FunctionName"));
    if (!json_is_object(params) || !name) {
        char *p = aslrt_json_dumps(params);
        char *c = aslrtp_strdupf("The Parameters '%s' could not be used to start the Task: "
                                 "[The field \"FunctionName\" is required]",
                                 p);
        aslrt_error_set(err, "States.Runtime", c);
        free(c);
        free(p);
        return 0;
    }
    const char *qualifier = json_string_value(json_object_get(params, "Qualifier"));
    /* Recorded on AWS: a string Payload is sent as it is, so the function
     * reads the JSON it holds; no Payload is an empty event. */
    json_t *payload = json_object_get(params, "Payload");
    json_t *event;
    if (!payload || json_is_null(payload)) {
        event = json_object();
    } else if (json_is_string(payload)) {
        json_error_t je;
        event = aslrtp_json_loads(json_string_value(payload), json_string_length(payload), &je);
        if (!event) {
            char *c = aslrtp_strdupf("Could not parse request body into json: %s (Service: "
                                     "AWSLambda; Status Code: 400; Error Code: "
                                     "InvalidRequestContentException; Proxy: null)",
                                     je.text);
            aslrt_error_set(err, "Lambda.InvalidRequestContentException", c);
            free(c);
            return 0;
        }
    } else {
        event = json_incref(payload);
    }
    char *arn = function_arn(ex, name, qualifier);
    size_t len = 0;
    json_t *res = NULL;
    const char *log_type = json_string_value(json_object_get(params, "LogType"));
    bool tail = log_type && strcmp(log_type, "Tail") == 0;
    char *log = NULL;
    char *ran = NULL;   /* the version that ran, when the handler says (HTTP) */
    int ok = aslrtp_task_invoke_lambda(ex->cfg->bindings, arn, event, timeout, task_cancel(ex), 1,
                                       &len, tail ? &log : NULL, &ran, &res, err);
    json_decref(event);
    if (!ok && err->error) {
        /* Recorded on AWS: the integration names its service in the quota's
         * cause, and times out with an empty Cause. */
        if (strcmp(err->error, "States.DataLimitExceeded") == 0)
            aslrt_error_set(err, err->error,
                            "The state/task 'lambda' returned a result with a size exceeding "
                            "the maximum number of bytes service limit.");
        else if (strcmp(err->error, "States.Timeout") == 0 && !err->cause)
            aslrt_error_set(err, err->error, "");
    }
    if (!ok && err->error && strcmp(err->error, "aslc.UnboundResource") == 0) {
        /* No handler: to Step Functions, no such function. */
        char *id = new_uuid();
        char *c = aslrtp_strdupf("Function not found: %s%s (Service: AWSLambda; Status Code: 404; "
                                 "Error Code: ResourceNotFoundException; Request ID: %s; Proxy: "
                                 "null)",
                                 arn, strchr(arn + 4, ':') && qualifier ? "" : ":$LATEST", id);
        aslrt_error_set(err, "Lambda.ResourceNotFoundException", c);
        free(c);
        free(id);
    }
    if (!ok) {
        free(ran);
        free(log);
        free(arn);
        return 0;
    }
    const char *version = ran ? ran
                          : qualifier && qualifier[0] >= '0' && qualifier[0] <= '9' ? qualifier
                                                                                    : "$LATEST";
    char *rid = new_uuid();
    char date[64], clen[32];
    http_date(clock_ms(ex), date, sizeof date);
    snprintf(clen, sizeof clen, "%zu", len);
    char *trace = aslrtp_strdupf("Root=1-%08llx-%.24s;Sampled=0",
                                 (unsigned long long)(clock_ms(ex) / 1000), rid);
    *out = json_pack(
        "{s:s,s:o,s:{s:{s:[s],s:[s],s:[s],s:[s],s:[s],s:[s],s:[s],s:[s]},"
        "s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s},s:i},s:{s:s},s:i}",
        "ExecutedVersion", version, "Payload", res,
        "SdkHttpMetadata",
        "AllHttpHeaders", "X-Amz-Executed-Version", version, "x-amzn-Remapped-Content-Length", "0",
        "Connection", "keep-alive", "x-amzn-RequestId", rid, "Content-Length", clen,
        "Date", date, "X-Amzn-Trace-Id", trace, "Content-Type", "application/json",
        "HttpHeaders", "Connection", "keep-alive", "Content-Length", clen, "Content-Type",
        "application/json", "Date", date, "X-Amz-Executed-Version", version,
        "x-amzn-Remapped-Content-Length", "0", "x-amzn-RequestId", rid, "X-Amzn-Trace-Id", trace,
        "HttpStatusCode", 200,
        "SdkResponseMetadata", "RequestId", rid,
        "StatusCode", 200);
    if (tail && *out) {
        /* LogType Tail: the log's end, base64-encoded, in LogResult and its
         * header (Lambda's Invoke API). */
        size_t n = log ? strlen(log) : 0;
        unsigned char *b64 = malloc(4 * ((n + 2) / 3) + 1);
        if (!b64)
            abort();
        EVP_EncodeBlock(b64, (const unsigned char *)(log ? log : ""), (int)n);
        json_t *meta = json_object_get(*out, "SdkHttpMetadata");
        json_object_set_new(*out, "LogResult", json_string((char *)b64));
        json_object_set_new(json_object_get(meta, "AllHttpHeaders"), "X-Amz-Log-Result",
                            json_pack("[s]", (char *)b64));
        json_object_set_new(json_object_get(meta, "HttpHeaders"), "X-Amz-Log-Result",
                            json_string((char *)b64));
        free(b64);
    }
    free(log);
    free(ran);
    free(trace);
    free(rid);
    free(arn);
    return *out != NULL;
}

/* A Task's events (ASL-REFERENCE §20.3): TaskScheduled ... TaskTimedOut
 * for integrations, LambdaFunction* for a plain Lambda function ARN.  type
 * is a TASK_* event; error, cause and output go where the type has them. */
static bool legacy_lambda(const aslrt_state *s)
{
    return strncmp(s->resource, "arn:aws:lambda:", 15) == 0;
}

static long task_event(aslrt_exec *ex, int type, const char *error, const char *cause,
                       const json_t *output)
{
    bool legacy = legacy_lambda(ex->state);
    if (legacy)
        type = type == ASLRTP_EV_TASK_STARTED     ? ASLRTP_EV_LAMBDA_STARTED
               : type == ASLRTP_EV_TASK_SUCCEEDED ? ASLRTP_EV_LAMBDA_SUCCEEDED
               : type == ASLRTP_EV_TASK_FAILED    ? ASLRTP_EV_LAMBDA_FAILED
               : type == ASLRTP_EV_TASK_TIMED_OUT ? ASLRTP_EV_LAMBDA_TIMED_OUT
                                                  : type;
    json_t *d = NULL;
    if (ex->hist && type != ASLRTP_EV_LAMBDA_STARTED && type != ASLRTP_EV_TASK_STATE_ABORTED) {
        d = json_object();
        if (!legacy) {
            char *rtype, *res;
            aslrtp_hist_resource(ex->state->resource, &rtype, &res);
            json_object_set_new(d, "resourceType", json_string(rtype));
            json_object_set_new(d, "resource", json_string(res));
            free(rtype);
            free(res);
        }
        bool timed = type == ASLRTP_EV_TASK_TIMED_OUT || type == ASLRTP_EV_LAMBDA_TIMED_OUT;
        /* Recorded on AWS: a timeout's empty Cause is left out. */
        put_error(d, error, timed && cause && !*cause ? NULL : cause);
        if (type == ASLRTP_EV_TASK_SUCCEEDED || type == ASLRTP_EV_TASK_SUBMITTED ||
            type == ASLRTP_EV_LAMBDA_SUCCEEDED)
            put_payload(d, "output", output);
    }
    return chain(ex, type, d);
}

/* TaskScheduled (or LambdaFunctionScheduled) and TaskStarted: the
 * effective input, and the timeouts the state asked for. */
static void task_started(aslrt_exec *ex, json_t *params, double timeout, double heartbeat)
{
    const aslrt_state *s = ex->state;
    bool legacy = legacy_lambda(s);
    json_t *d = NULL;
    if (ex->hist) {
        d = json_object();
        if (legacy) {
            json_object_set_new(d, "resource", json_string(s->resource));
            put_payload(d, "input", params);
        } else {
            char *rtype, *res;
            aslrtp_hist_resource(s->resource, &rtype, &res);
            json_object_set_new(d, "resourceType", json_string(rtype));
            json_object_set_new(d, "resource", json_string(res));
            json_object_set_new(d, "region", json_string(cfg_region(ex)));
            json_object_set_new(d, "parameters", aslrtp_hist_payload(params));
            free(rtype);
            free(res);
        }
        if (timeout > 0)
            json_object_set_new(d, "timeoutInSeconds", json_integer((json_int_t)timeout));
        if (heartbeat > 0 && !legacy)
            json_object_set_new(d, "heartbeatInSeconds", json_integer((json_int_t)heartbeat));
    }
    chain(ex, legacy ? ASLRTP_EV_LAMBDA_SCHEDULED : ASLRTP_EV_TASK_SCHEDULED, d);
    task_event(ex, ASLRTP_EV_TASK_STARTED, NULL, NULL, NULL);
}

/* Waits for the outcome of the callback task t, whose invocation started
 * at started_ms (execution clock) and has returned: TimeoutSeconds counts
 * from the start, HeartbeatSeconds from now on (ASL-REFERENCE §21.1).
 * Returns 1 with *out (SendTaskSuccess), 0 with err (SendTaskFailure's
 * Error and Cause), or -1 with the error recorded in ex (a timeout, an
 * abort). */
static int await_callback(aslrt_exec *ex, aslrtp_cb_task *t, double timeout, bool capped,
                          double heartbeat, long long started_ms, json_t **out, aslrt_error *err)
{
    aslrtp_cb_limits l = {.timeout_ms = -1, .heartbeat_ms = -1, .scale = 1,
                          .abort_flag = ex->cfg->abort_flag, .cancel = ex->cancel};
    if (timeout > 0)
        l.timeout_ms = timeout * 1000 - (double)(clock_ms(ex) - started_ms);
    if (heartbeat > 0)
        l.heartbeat_ms = heartbeat * 1000;
    /* The timers run on the execution's clock, as Wait states do. */
    if (ex->cfg->wait_mode == ASLRT_WAIT_SKIP)
        l.scale = 0;
    else if (ex->cfg->wait_mode == ASLRT_WAIT_SCALE)
        l.scale = ex->cfg->wait_scale;
    double gained = 0;
    int r = aslrtp_cb_wait(t, &l, out, err, &gained);
    ex->skew_ms += (long long)gained;
    if (r == ASLRTP_CB_SUCCEEDED || r == ASLRTP_CB_FAILED)
        return r == ASLRTP_CB_SUCCEEDED;
    if (r == ASLRTP_CB_ABORTED)
        task_event(ex, ASLRTP_EV_TASK_STATE_ABORTED, NULL, NULL, NULL);
    else
        task_event(ex, ASLRTP_EV_TASK_TIMED_OUT, "States.Timeout", NULL, NULL);
    if (r == ASLRTP_CB_ABORTED)
        aborted(ex);
    else if (r == ASLRTP_CB_TIMED_OUT && capped)
        timed_out(ex);
    else {
        /* Recorded on AWS: States.Timeout without a Cause, for a missed
         * heartbeat too (which a States.HeartbeatTimeout retrier or
         * catcher also matches, ASL-REFERENCE §17.1). */
        ex->heartbeat_expired = r == ASLRTP_CB_HEARTBEAT_TIMED_OUT;
        fail_plain(ex, "States.Timeout", NULL);
    }
    return -1;
}

int aslrt_op_invoke(aslrt_exec *ex, aslrt_frame *f)
{
    const aslrt_state *s = ex->state;
    double timeout = s->timeout_seconds;
    double heartbeat = s->heartbeat_seconds;
    ex->heartbeat_expired = 0;
    if (s->jsonata) {
        /* TimeoutSeconds and HeartbeatSeconds written as expressions. */
        int knobs[2] = {s->timeout_path, s->heartbeat_path};
        for (int k = 0; k < 2; k++) {
            if (knobs[k] == ASLRT_NONE)
                continue;
            json_t *v = jn_typed(ex, knobs[k], f->raw, JSON_INTEGER, "integer");
            if (!v)
                return 0;
            bool ok;
            long long t = int_value(v, &ok);
            if (!ok || t <= 0) {
                char *d = aslrtp_jfield_type_error(get_item(ex, knobs[k])->jn, "positive integer", v);
                json_decref(v);
                fail_in_state(ex, "States.QueryEvaluationError", d);
                free(d);
                return 0;
            }
            json_decref(v);
            if (k == 0)
                timeout = (double)t;
            else
                heartbeat = (double)t;
        }
    } else if (s->timeout_path != ASLRT_NONE) {
        json_t *v = select_path(ex, s->timeout_path, f->raw);
        if (!v)
            return 0;
        bool ok;
        long long t = int_value(v, &ok);
        json_decref(v);
        if (!ok || t <= 0) {
            return fail_in_state(ex, "States.Runtime",
                                 "The TimeoutSecondsPath parameter does not reference a positive integer");
        }
        timeout = (double)t;
    }
    /* ASL-REFERENCE §21.1: a request-response call has no heartbeats (they
     * start once a callback task is waiting), so HeartbeatSeconds only has
     * to be valid here; its path must still resolve, as on AWS. */
    if (!s->jsonata && s->heartbeat_path != ASLRT_NONE) {
        /* Recorded on AWS: the ...Path fields read the state input, not
         * Parameters' output. */
        json_t *v = select_path(ex, s->heartbeat_path, f->raw);
        if (!v)
            return 0;
        bool ok;
        long long t = int_value(v, &ok);
        json_decref(v);
        /* A callback task counts with it: a positive integer. */
        if (is_callback(s) && (!ok || t <= 0))
            return fail_in_state(ex, "States.Runtime",
                                 "The HeartbeatSecondsPath parameter does not reference a positive integer");
        heartbeat = (double)t;
    }
    /* The history shows the timeouts the state asked for. */
    double asked_timeout = timeout, asked_heartbeat = heartbeat;
    /* The execution's own deadline bounds the task too. */
    bool capped = false;
    if (ex->deadline_ms) {
        double left = (double)(ex->deadline_ms - clock_ms(ex)) / 1000;
        if (left <= 0)
            return timed_out(ex);
        if (timeout <= 0 || left < timeout) {
            timeout = left;
            capped = true;
        }
    }
    task_started(ex, EFF(f), asked_timeout, asked_heartbeat);
    json_t *out = NULL;
    aslrt_error err = {NULL, NULL};
    /* A mocked state answers from the mock file (counting every invocation,
     * retries included); any other calls its binding. */
    int ok = -1;
    if (ex->cfg->mocks)
        ok = aslrtp_mock_invoke(ex->cfg->mocks, f->state, s->name,
                                __atomic_fetch_add(&ex->mock_calls[f->state], 1, __ATOMIC_RELAXED),
                                &out, &err);
    bool optimized = strcmp(s->resource, LAMBDA_INVOKE) == 0 ||
                     strcmp(s->resource, LAMBDA_INVOKE WAIT_FOR_TOKEN) == 0;
    /* A callback task (not mocked: a mock answers at once, as in Step
     * Functions Local) accepts its token's calls from the invocation on. */
    aslrtp_cb_task *cb = NULL;
    long long started = 0;
    if (ok < 0 && is_callback(s)) {
        const char *token = task_token(ex, &err);
        cb = token ? aslrtp_cb_open(ex->callbacks, token, &err) : NULL;
        if (!cb) {
            fail_in_state(ex, "States.Runtime", err.cause ? err.cause : "");
            aslrt_error_clear(&err);
            return 0;
        }
        started = clock_ms(ex);
    }
    if (ok < 0 && optimized)
        ok = invoke_lambda(ex, EFF(f), timeout, &out, &err);
    else if (ok < 0)
        ok = aslrtp_task_invoke(ex->cfg->bindings, s->resource, EFF(f), timeout, task_cancel(ex),
                                &out, &err);
    if (!ok && aslrtp_flag(ex->cfg->abort_flag)) {
        /* Stopped by the execution's abort, not failed. */
        if (cb)
            aslrtp_cb_close(cb);
        aslrt_error_clear(&err);
        return aborted(ex);
    }
    if (cb && !ok) {
        aslrtp_cb_close(cb);
    } else if (cb) {
        /* The invocation's response is not the result (TaskSubmitted). */
        task_event(ex, ASLRTP_EV_TASK_SUBMITTED, NULL, NULL, out);
        json_decref(out);
        out = NULL;
        ok = await_callback(ex, cb, timeout, capped, heartbeat, started, &out, &err);
        if (ok < 0)
            return 0;
    }
    bool timeout_error = !ok && err.error && strcmp(err.error, "States.Timeout") == 0;
    if (!ok)
        task_event(ex, timeout_error ? ASLRTP_EV_TASK_TIMED_OUT : ASLRTP_EV_TASK_FAILED, err.error,
                   err.cause, NULL);
    if (timeout_error && capped) {
        aslrt_error_clear(&err);
        return timed_out(ex);
    }
    if (!ok) {
        aslrt_error_set(&ex->error, err.error, err.cause);
        aslrt_error_clear(&err);
        ex->status = ASLRT_FAILED;
        return 0;
    }
    if (over_quota(ex, out)) {
        json_decref(out);
        /* Recorded on AWS: the optimized integration names its service. */
        char *c = aslrtp_strdupf("The state/task '%s' returned a result with a size exceeding "
                                 "the maximum number of bytes service limit.",
                                 optimized ? "lambda" : s->resource);
        fail_plain(ex, "States.DataLimitExceeded", c);
        task_event(ex, ASLRTP_EV_TASK_FAILED, ex->error.error, ex->error.cause, NULL);
        free(c);
        return 0;
    }
    task_event(ex, ASLRTP_EV_TASK_SUCCEEDED, NULL, NULL, out);
    set(&f->eff, NULL);
    set(&f->res, out);
    return 1;
}

int aslrt_op_result_selector(aslrt_exec *ex, aslrt_frame *f, int tmpl)
{
    json_t *v = apply_template(ex, tmpl, f->res);
    set(&f->res, v);
    return v != NULL;
}

int aslrt_op_result_path(aslrt_exec *ex, aslrt_frame *f, int path)
{
    if (path == ASLRT_NONE) {
        set(&f->raw, f->res);
        f->res = NULL;
        return 1;
    }
    if (path == ASLRT_NULL_PATH) {
        set(&f->res, NULL);
        return 1;
    }
    const aslrtp_path *p = get_item(ex, path)->path;
    char *why = NULL;
    json_t *doc = aslrtp_path_set(p, f->raw, f->res, &why);
    f->raw = f->res = NULL;
    if (!doc) {
        /* AWS states this one without the "Invalid path" wrapper. */
        fail_in_state(ex, "States.Runtime", why ? why : "");
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
        set(&f->raw, json_object());
        return 1;
    }
    json_t *v = select_path(ex, path, f->raw);
    set(&f->raw, v);
    return v != NULL;
}

/* ---- Wait --------------------------------------------------------------- */

/* Lets `ms` of execution time pass: sleeps (real), does not (skip), or
 * sleeps a fraction (scale); the virtual clock moves by ms either way.  Stops
 * at the execution deadline: returns 0 when it was reached, -1 when the
 * execution was aborted meanwhile. */
static int pass_time(aslrt_exec *ex, double ms)
{
    if (ms < 0)
        ms = 0;
    int ok = 1;
    if (ex->deadline_ms && clock_ms(ex) + ms >= ex->deadline_ms) {
        ms = (double)(ex->deadline_ms - clock_ms(ex));
        if (ms < 0)
            ms = 0;
        ok = 0;
    }
    double real = ex->cfg->wait_mode == ASLRT_WAIT_SKIP    ? 0
                  : ex->cfg->wait_mode == ASLRT_WAIT_SCALE ? ms * ex->cfg->wait_scale
                                                           : ms;
    ex->skew_ms += (long long)(ms - real);
    /* Sleep in slices, so that an abort is seen within 100 ms. */
    while (real > 0 && !abort_requested(ex)) {
        double slice = real > 100 ? 100 : real;
        struct timespec ts = {0, (long)(slice * 1000000)};
        nanosleep(&ts, NULL);
        real -= slice;
    }
    if (abort_requested(ex))
        return -1;
    return ok;
}

/* The text AWS quotes for a value in Wait causes: strings bare, others as
 * JSON. */
static char *quote_value(json_t *v)
{
    if (json_is_string(v))
        return aslrtp_strdup(json_string_value(v));
    return aslrt_json_dumps(v);
}

/* ASL-REFERENCE §11: AWS caps a wait at 99999999 seconds. */
#define WAIT_MAX_SECONDS 99999999LL

int aslrt_op_wait(aslrt_exec *ex, aslrt_frame *f)
{
    const aslrt_state *s = ex->state;
    double delay_ms = 0;
    char *jn_stamp = NULL;
    if (s->jsonata && s->seconds_path != ASLRT_NONE) {
        json_t *v = jn_typed(ex, s->seconds_path, f->raw, JSON_INTEGER, "integer");
        if (!v)
            return 0;
        bool ok;
        long long n = int_value(v, &ok);
        json_decref(v);
        if (n < 0)
            return fail_in_state(ex, "States.QueryEvaluationError",
                                 "The Seconds field references a negative value.");
        if (n > WAIT_MAX_SECONDS)
            return fail_in_state(ex, "States.QueryEvaluationError", "Wait state delay is too long.");
        delay_ms = (double)n * 1000;
    } else if (s->jsonata && s->timestamp_path != ASLRT_NONE) {
        json_t *v = jn_typed(ex, s->timestamp_path, f->raw, JSON_STRING, "string");
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
            fail_in_state(ex, "States.QueryEvaluationError", d);
            free(d);
            free(jn_stamp);
            return 0;
        }
        long long target = (long long)sec * 1000;
        long long now = clock_ms(ex);
        free(jn_stamp);
        if (target - now > WAIT_MAX_SECONDS * 1000)
            return fail_in_state(ex, "States.QueryEvaluationError", "Wait state delay is too long.");
        delay_ms = (double)(target - now);
    } else if (s->seconds >= 0) {
        delay_ms = (double)s->seconds * 1000;
    } else if (s->seconds_path != ASLRT_NONE) {
        const aslrtp_path *p = get_item(ex, s->seconds_path)->path;
        resolver r = {ex, EFF(f)};
        char *why = NULL;
        json_t *v = resolve(&r, p, &why);
        free(why);
        if (!v) {
            char *d = aslrtp_strdupf("The SecondsPath parameter does not reference an input value: %s",
                                     aslrtp_path_text(p));
            fail_in_state(ex, "States.Runtime", d);
            free(d);
            return 0;
        }
        bool ok;
        long long n = int_value(v, &ok);
        char *q = quote_value(v);
        char *d = NULL;
        if (!ok || (json_is_real(v) && fabs(json_real_value(v)) > 9.2e18))
            d = aslrtp_strdupf("The SecondsPath parameter cannot be parsed as a long value: %s == %s",
                               aslrtp_path_text(p), q);
        else if (n < 0)
            d = aslrtp_strdupf("The SecondsPath parameter references a negative value: %s == %s",
                               aslrtp_path_text(p), q);
        else if (n > WAIT_MAX_SECONDS)
            d = aslrtp_strdup("Wait state delay is too long.");
        free(q);
        json_decref(v);
        if (d) {
            fail_in_state(ex, "States.Runtime", d);
            free(d);
            return 0;
        }
        delay_ms = (double)n * 1000;
    } else {
        const char *text = s->timestamp;
        json_t *v = NULL;
        const aslrtp_path *p = NULL;
        if (!text) {
            p = get_item(ex, s->timestamp_path)->path;
            resolver r = {ex, EFF(f)};
            char *why = NULL;
            v = resolve(&r, p, &why);
            free(why);
            if (!v) {
                char *d = aslrtp_strdupf("The TimestampPath parameter does not reference an input value: %s",
                                         aslrtp_path_text(p));
                fail_in_state(ex, "States.Runtime", d);
                free(d);
                return 0;
            }
            text = json_string_value(v);
        }
        int64_t sec;
        int32_t ns;
        if (!text || !aslrtp_timestamp_parse(text, &sec, &ns)) {
            char *q = quote_value(v);
            char *d = aslrtp_strdupf("The TimestampPath parameter does not reference a valid "
                                     "ISO-8601 extended offset date-time format string: %s == %s",
                                     aslrtp_path_text(p), q);
            fail_in_state(ex, "States.Runtime", d);
            free(d);
            free(q);
            json_decref(v);
            return 0;
        }
        json_decref(v);
        /* Timestamp waits are truncated to whole seconds (ASL-REFERENCE §11). */
        long long target = (long long)sec * 1000;
        long long now = clock_ms(ex);
        if (target - now > WAIT_MAX_SECONDS * 1000)
            return fail_in_state(ex, "States.Runtime", "Wait state delay is too long.");
        delay_ms = (double)(target - now);
    }
    int passed = pass_time(ex, delay_ms);
    return passed > 0 ? 1 : passed < 0 ? aborted(ex) : timed_out(ex);
}

/* ---- Choice ------------------------------------------------------------- */

int aslrt_op_test(aslrt_exec *ex, aslrt_frame *f, int cmp)
{
    const aslrt_cmp *c = &ex->prog->m->cmps[cmp];
    const aslrtp_path *vp = get_item(ex, c->variable)->path;
    char *why = NULL;
    int vown = 0, oown = 0;
    json_t *v = lookup(ex, EFF(f), vp, &why, &vown);
    if (!v && c->op != ASLRT_CMP_IS_PRESENT) {
        /* Only IsPresent tolerates a missing Variable (ASL-REFERENCE §10.2). */
        fail_path(ex, vp, why);
        return -1;
    }
    free(why);
    why = NULL;
    json_t *operand;
    if (c->is_path) {
        const aslrtp_path *op = get_item(ex, c->operand)->path;
        operand = lookup(ex, EFF(f), op, &why, &oown);
        if (!operand) {
            if (vown)
                json_decref(v);
            fail_path(ex, op, why);
            return -1;
        }
    } else {
        operand = get_item(ex, c->operand)->json;
    }
    int result = aslrtp_compare(c->op, v, operand);
    if (vown)
        json_decref(v);
    if (oown)
        json_decref(operand);
    return result;
}

int aslrt_op_no_choice(aslrt_exec *ex, aslrt_frame *f)
{
    (void)f;
    /* ASL-REFERENCE §10: the specification and the documentation name
     * States.NoChoiceMatched; that is what we raise. */
    char *d = aslrtp_strdupf("No Choice Rules matched and no Default was specified for state '%s'",
                             ex->state->name);
    fail_plain(ex, "States.NoChoiceMatched", d);
    free(d);
    return 0;
}

/* ---- Fail ---------------------------------------------------------------- */

/* ErrorPath/CausePath: a path on the state input or an intrinsic call. */
static char *fail_field(aslrt_exec *ex, aslrt_frame *f, int idx, const char *field, bool *bad)
{
    const item *it = get_item(ex, idx);
    if (it->jn) {
        json_t *v = jn_typed(ex, idx, f->raw, JSON_STRING, "string");
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
            fail_in_state(ex, err.error ? err.error : "States.Runtime", err.cause ? err.cause : "");
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
            fail_in_state(ex, "States.Runtime", d);
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

/* ---- Parallel and Map --------------------------------------------------- */

/* A branch or iteration runs in an execution of its own that shares the
 * parent's program, configuration, input and mock counters, and has its
 * own state, context object, clock skew, retry counters and error. */
static aslrt_exec *child_create(const aslrt_exec *parent, const volatile int *cancel)
{
    aslrt_exec *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    *c = *parent;
    c->error.error = c->error.cause = NULL;
    c->status = ASLRT_SUCCEEDED;
    c->context = NULL;
    c->cancel = cancel;
    c->has_item = 0;
    c->vars = NULL;
    c->pending = NULL;
    c->task_token = NULL;
    c->jn = NULL;
    c->hist = NULL;
    c->failed_event = ASLRTP_EV_NONE;
    /* Inline branches and iterations read the outer variables; distributed
     * Map children run as executions of their own (ASL-REFERENCE §6). */
    c->outer = parent->state && parent->state->distributed ? NULL : parent;
    c->transitions = 0;
    c->child = 1;
    c->retry_counts = calloc((size_t)parent->prog->m->nretriers + 1, sizeof *c->retry_counts);
    if (!c->retry_counts)
        abort();
    return c;
}

static void child_destroy(aslrt_exec *c)
{
    aslrt_error_clear(&c->error);
    free(c->task_token);
    json_decref(c->context);
    json_decref(c->vars);
    json_decref(c->pending);
    if (c->jn)
        jn_ctx_destroy(c->jn);
    free(c->retry_counts);
    free(c);
}

/* What every thread of a fan-out shares. */
typedef struct fan {
    aslrt_exec *parent;
    aslrt_exec **children;    /* one per worker */
    json_t *input;            /* the state's effective input (read-only) */
    json_t *items;            /* Map: the items (read-only) */
    const int *graphs;        /* Parallel: the branch graphs */
    int graph;                /* Map: the item processor graph */
    int selector;             /* Map: ItemSelector item, or ASLRT_NONE */
    json_t **results;         /* by index */
    volatile int failed;      /* the first failure sets it: the others stop */
    aslrt_error error;        /* that failure */
    int status;
    long events;              /* history events of the children */
    long long skew;           /* the longest child clock */
    size_t n;                 /* items or branches */
    size_t done;              /* finished so far (atomic) */
    int progress;             /* draw a progress line on stderr (a terminal) */
    int tolerant;             /* distributed: failures are counted, not fatal */
    int keep;                 /* note which items failed (failed_items) */
    unsigned char *failed_items; /* with keep: 1 for each failed item */
    size_t nfailed;           /* failed children of a distributed Map (atomic) */
    long long started_ms;     /* for the rate */
    long long shown_ms;       /* when the line was last drawn (atomic) */
    /* History events.  Each item counts its events on from the parent's
     * count plus those of the items finished before it started; fan_out
     * then renumbers them in item order (the identity with one worker). */
    long started;             /* id of the *StateStarted event */
    long *first;              /* each item's first event id, as it counted it */
    long *count;              /* events each item wrote (0: none) */
    long *last;               /* each item's last event of its chain */
    aslrtp_hist **hists;      /* with a history: each item's events */
    size_t failed_index;      /* the item whose error is the state's */
} fan;

/* A progress line for long Map runs, on stderr when it is a terminal:
 * items done / total, failures, rate.  Redrawn at most five times a second,
 * by whichever worker finds it due. */
static void show_progress(fan *fn, bool last)
{
    long long now = now_ms();
    long long shown = __atomic_load_n(&fn->shown_ms, __ATOMIC_RELAXED);
    if (!last && (now - shown < 200 ||
                  !__atomic_compare_exchange_n(&fn->shown_ms, &shown, now, false,
                                               __ATOMIC_RELAXED, __ATOMIC_RELAXED)))
        return;
    size_t done = __atomic_load_n(&fn->done, __ATOMIC_RELAXED);
    double secs = (double)(now - fn->started_ms) / 1000;
    fprintf(stderr, "\r%s: %zu/%zu items, %zu failed, %.0f items/s%s", fn->parent->state->name,
            done, fn->n,
            __atomic_load_n(&fn->nfailed, __ATOMIC_RELAXED) +
                (size_t)__atomic_load_n(&fn->failed, __ATOMIC_RELAXED),
            secs > 0 ? (double)done / secs : 0.0, last ? "\n" : "");
}

static void fan_fail(fan *fn, aslrt_exec *c, size_t i)
{
    /* A distributed Map counts failed children against its tolerance and
     * keeps going; their slot holds their error output. */
    if (fn->tolerant && c->status == ASLRT_FAILED) {
        json_t *out = json_object();
        if (c->error.error)
            json_object_set_new(out, "Error", json_string(c->error.error));
        if (c->error.cause)
            json_object_set_new(out, "Cause", json_string(c->error.cause));
        fn->results[i] = out;
        if (fn->failed_items)
            fn->failed_items[i] = 1;
        __atomic_fetch_add(&fn->nfailed, 1, __ATOMIC_RELAXED);
        return;
    }
    /* The first failure (by time) is the state's; later ones, and the
     * cancellations it causes, are dropped. */
    if (__atomic_exchange_n(&fn->failed, 1, __ATOMIC_ACQ_REL) == 0) {
        fn->failed_index = i;
        fn->error = c->error;
        fn->status = c->status;
        c->error.error = c->error.cause = NULL;
    }
}

static void run_item(void *ud, size_t i, int worker)
{
    fan *fn = ud;
    aslrt_exec *c = fn->children[worker];
    aslrt_error_clear(&c->error);
    c->status = ASLRT_SUCCEEDED;
    /* Each branch and iteration has a scope of its own. */
    set(&c->vars, NULL);
    set(&c->pending, NULL);
    long before = c->event_id;
    json_t *in;
    int graph;
    if (fn->items) {
        json_t *item = json_array_get(fn->items, i);
        graph = fn->graph;
        if (fn->selector != ASLRT_NONE) {
            /* ItemSelector sees the Map's input as $ and the item as
             * $$.Map.Item (only here: ASL-REFERENCE §7). */
            c->state = fn->parent->state;
            c->entered_ms = fn->parent->entered_ms;
            c->entered_event = fn->parent->entered_event;
            c->has_item = 1;
            c->item_index = (long)i;
            c->item_value = item;
            if (c->context) {
                json_decref(c->context);
                c->context = NULL;
            }
            in = apply_template(c, fn->selector, fn->input);
            c->has_item = 0;
            if (c->context) {
                json_decref(c->context);
                c->context = NULL;
            }
            if (!in) {
                fan_fail(fn, c, i);
                return;
            }
        } else {
            in = json_incref(item);
        }
    } else {
        graph = fn->graphs[i];
        in = json_incref(fn->input);
    }
    /* History event ids as AWS numbers them when the branches or
     * iterations run one after another (ASL-REFERENCE §20.4): after the
     * state's *StateStarted and the events of those before.  A distributed
     * Map's children are executions of their own, whose events are not the
     * parent's (§24.10). */
    bool iteration = fn->items && !fn->tolerant;
    if (fn->tolerant) {
        c->event_id = 1; /* their ExecutionStarted */
        c->last_event = 0;
        c->hist = NULL;
    } else {
        c->event_id = fn->parent->event_id + __atomic_load_n(&fn->events, __ATOMIC_RELAXED);
        c->last_event = fn->started;
        c->hist = fn->hists ? aslrtp_hist_create() : NULL;
    }
    before = c->event_id;
    fn->first[i] = before + 1;
    json_t *d = NULL;
    if (iteration) {
        if (c->hist)
            d = json_pack("{s:I,s:s}", "index", (json_int_t)i, "name", fn->parent->state->name);
        chain(c, ASLRTP_EV_MAP_ITERATION_STARTED, json_incref(d));
    }
    json_t *out = c->prog->m->graphs[graph](c, in);
    if (!out)
        flush_failed(c);
    /* Recorded on AWS: a branch that a Task's error ended writes
     * TaskStateAborted after it, outside the chain. */
    if (!out && !fn->items && c->state && c->state->type == ASLRT_STATE_TASK &&
        c->status == ASLRT_FAILED)
        record(c, ASLRTP_EV_TASK_STATE_ABORTED, c->last_event, NULL);
    fn->last[i] = c->last_event;
    if (iteration)
        record(c, out                          ? ASLRTP_EV_MAP_ITERATION_SUCCEEDED
                  : c->status == ASLRT_ABORTED ? ASLRTP_EV_MAP_ITERATION_ABORTED
                                               : ASLRTP_EV_MAP_ITERATION_FAILED,
               c->last_event, d);
    if (!fn->tolerant) {
        fn->count[i] = c->event_id - before;
        __atomic_fetch_add(&fn->events, fn->count[i], __ATOMIC_RELAXED);
    }
    if (fn->hists)
        fn->hists[i] = c->hist;
    c->hist = NULL;
    __atomic_fetch_add(&fn->done, 1, __ATOMIC_RELAXED);
    if (fn->progress)
        show_progress(fn, false);
    if (!out) {
        fan_fail(fn, c, i);
        return;
    }
    fn->results[i] = out;
}

/* "(entered at the event id #N)" in cause, with N in [lo, hi] shifted by
 * delta: a new string, or NULL when there is nothing to change. */
static char *shift_event_id(const char *cause, long lo, long hi, long delta)
{
    static const char mark[] = "(entered at the event id #";
    const char *at = cause ? strstr(cause, mark) : NULL;
    if (!at)
        return NULL;
    char *end;
    long id = strtol(at + sizeof mark - 1, &end, 10);
    if (id < lo || id > hi || *end != ')')
        return NULL;
    return aslrtp_strdupf("%.*s%ld%s", (int)(at + sizeof mark - 1 - cause), cause, id + delta, end);
}

/* After a fan-out: the items' events join the parent's, in item order,
 * numbered on from the parent's count.  Items running at the same time
 * counted from the same place; here each gets its final ids (with one
 * worker they are the ids it counted), and the error the state reports
 * quotes the final id.  Each item is a chain of its own (ASL-REFERENCE
 * §24.10): a MapIterationStarted follows the last event of the item that
 * ran `workers` items earlier in the same slot, or the MapStateStarted. */
static void renumber(aslrt_exec *ex, fan *fn, size_t n, int workers)
{
    long next = ex->event_id;
    long last = fn->started;
    for (size_t i = 0; i < n; i++) {
        if (!fn->count[i])
            continue;
        long lo = fn->first[i], hi = lo + fn->count[i] - 1, delta = next + 1 - lo;
        if (fn->hists && fn->hists[i]) {
            size_t at = aslrtp_hist_count(ex->hist);
            aslrtp_hist_splice(ex->hist, fn->hists[i], lo, hi, delta);
            aslrtp_hist_destroy(fn->hists[i]);
            fn->hists[i] = NULL;
            if (fn->items && i >= (size_t)workers && fn->count[i - workers])
                aslrtp_hist_set_prev(ex->hist, at, fn->last[i - workers]);
        }
        if (fn->last[i] >= lo && fn->last[i] <= hi)
            fn->last[i] += delta;
        if (fn->failed && i == fn->failed_index && delta) {
            char *c = shift_event_id(fn->error.cause, lo, hi, delta);
            if (c) {
                free(fn->error.cause);
                fn->error.cause = c;
            }
        }
        next = hi + delta;
        last = fn->failed ? last : (fn->items ? next : fn->last[i]);
    }
    ex->event_id = next;
    /* The state's next event follows: the failed item's last event, the
     * last MapIterationSucceeded, or the last branch's last event. */
    if (fn->failed && fn->count[fn->failed_index])
        last = fn->last[fn->failed_index];
    if (!fn->tolerant)
        ex->last_event = last;
}

static int fan_out(aslrt_exec *ex, fan *fn, size_t n, int workers)
{
    fn->parent = ex;
    fn->results = calloc(n + 1, sizeof *fn->results);
    if (workers < 1)
        workers = 1;
    if ((size_t)workers > n)
        workers = n ? (int)n : 1;
    fn->children = calloc((size_t)workers, sizeof *fn->children);
    fn->first = calloc(n + 1, sizeof *fn->first);
    fn->count = calloc(n + 1, sizeof *fn->count);
    fn->last = calloc(n + 1, sizeof *fn->last);
    if (ex->hist)
        fn->hists = calloc(n + 1, sizeof *fn->hists);
    if (!fn->results || !fn->children || !fn->first || !fn->count || !fn->last ||
        (ex->hist && !fn->hists))
        abort();
    for (int w = 0; w < workers; w++)
        fn->children[w] = child_create(ex, &fn->failed);
    fn->n = n;
    if (fn->keep) {
        fn->failed_items = calloc(n + 1, 1);
        if (!fn->failed_items)
            abort();
    }
    fn->started_ms = fn->shown_ms = now_ms();
    aslrtp_pool_run(n, workers, run_item, fn, &fn->failed);
    if (fn->progress && now_ms() - fn->started_ms >= 200)
        show_progress(fn, true);
    for (int w = 0; w < workers; w++) {
        if (fn->children[w]->skew_ms > fn->skew)
            fn->skew = fn->children[w]->skew_ms;
        /* The states entered by the branches or iterations count as the
         * execution's (aslrtp_execute_counted). */
        ex->transitions += fn->children[w]->transitions;
        child_destroy(fn->children[w]);
    }
    free(fn->children);
    renumber(ex, fn, n, workers);
    if (fn->skew > ex->skew_ms)
        ex->skew_ms = fn->skew;
    int ok = !fn->failed;
    if (ok) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, fn->results[i]);
        set(&ex->fanout_result, arr);
    } else {
        for (size_t i = 0; i < n; i++)
            json_decref(fn->results[i]);
        /* A branch's or iteration's error is the state's own (recorded on
         * AWS: not States.BranchFailed, ASL-REFERENCE §13). */
        aslrt_error_clear(&ex->error);
        ex->error = fn->error;
        ex->status = fn->status == ASLRT_SUCCEEDED ? ASLRT_FAILED : fn->status;
        if (abort_requested(ex))
            ex->status = ASLRT_ABORTED;
    }
    free(fn->results);
    free(fn->first);
    free(fn->count);
    free(fn->last);
    free(fn->hists);
    return ok;
}

/* The number of threads of a fan-out: the configured pool size, else the
 * machine's cores. */
static int pool_size(const aslrt_exec *ex)
{
    return ex->cfg->threads > 0 ? ex->cfg->threads : aslrtp_pool_default_size();
}

int aslrt_op_parallel(aslrt_exec *ex, aslrt_frame *f)
{
    const aslrt_state *s = ex->state;
    fan fn = {0};
    fn.input = EFF(f);
    fn.graphs = s->branches;
    fn.selector = ASLRT_NONE;
    fn.started = chain(ex, ASLRTP_EV_PARALLEL_STATE_STARTED, NULL);
    /* Branches all run at once, as on AWS: a branch that waits must not
     * hold the others back. */
    if (!fan_out(ex, &fn, (size_t)s->nbranches, s->nbranches)) {
        ex->failed_event = ASLRTP_EV_PARALLEL_STATE_FAILED;
        return 0;
    }
    /* Recorded on AWS: the state's success does not extend the chain. */
    record(ex, ASLRTP_EV_PARALLEL_STATE_SUCCEEDED, ex->last_event, NULL);
    set(&f->eff, NULL);
    set(&f->res, ex->fanout_result);
    ex->fanout_result = NULL;
    return 1;
}

/* A ...Path field that must hold an integer (MaxConcurrencyPath,
 * MaxItemsPath, MaxItemsPerBatchPath, ...): a number with no fraction or a
 * string of one, as AWS parses it; anything else fails the state with AWS's
 * message ("The MaxItemsPath field refers to value "1.5" which is not a
 * valid integer: $.MaxItems", recorded). */
static bool path_int(aslrt_exec *ex, int item, json_t *input, const char *field, long long min,
                     long long *out)
{
    if (get_item(ex, item)->jn) {
        json_t *v = jn_typed(ex, item, input, JSON_INTEGER, "integer");
        if (!v)
            return false;
        bool ok;
        *out = int_value(v, &ok);
        if (*out < min) {
            char *d = aslrtp_jfield_type_error(get_item(ex, item)->jn, "non-negative integer", v);
            fail_in_state(ex, "States.QueryEvaluationError", d);
            free(d);
            ok = false;
        }
        json_decref(v);
        return ok;
    }
    const aslrtp_path *p = get_item(ex, item)->path;
    json_t *v = select_path(ex, item, input);
    if (!v)
        return false;
    bool ok = false;
    if (json_is_number(v)) {
        *out = int_value(v, &ok);
    } else if (json_is_string(v)) {
        const char *t = json_string_value(v);
        char *end;
        errno = 0;
        long long n = strtoll(t, &end, 10);
        ok = *t && *end == '\0' && errno == 0 && t[strspn(t, " \t")] == t[0];
        *out = n;
    }
    ok = ok && *out >= min;
    if (!ok) {
        char *q = quote_value(v);
        char *d = aslrtp_strdupf("The %s field refers to value \"%s\" which is not a valid "
                                 "integer: %s",
                                 field, q, aslrtp_path_text(p));
        fail_in_state(ex, "States.Runtime", d);
        free(d);
        free(q);
    }
    json_decref(v);
    return ok;
}

/* ToleratedFailureCount(Path) and ToleratedFailurePercentage(Path), with
 * AWS's messages for bad values (recorded). */
static bool tolerance(aslrt_exec *ex, const aslrt_state *s, json_t *input, long long *count,
                      double *pct)
{
    if (s->tolerated_count_path != ASLRT_NONE &&
        !path_int(ex, s->tolerated_count_path, input, "ToleratedFailureCountPath", LLONG_MIN, count))
        return false;
    if (*count < -1 || (s->tolerated_count_path != ASLRT_NONE && *count < 0)) {
        fail_in_state(ex, "States.Runtime", "ToleratedFailureCount cannot be negative.");
        return false;
    }
    if (s->tolerated_percentage_path != ASLRT_NONE && s->jsonata) {
        json_t *v = jn_typed(ex, s->tolerated_percentage_path, input, JSON_REAL, "number");
        if (!v)
            return false;
        *pct = json_number_value(v);
        json_decref(v);
        if (*pct < 0 || *pct > 100) {
            fail_in_state(ex, "States.QueryEvaluationError",
                          "ToleratedFailurePercentage must be between 0 and 100.");
            return false;
        }
    } else if (s->tolerated_percentage_path != ASLRT_NONE) {
        const aslrtp_path *p = get_item(ex, s->tolerated_percentage_path)->path;
        json_t *v = select_path(ex, s->tolerated_percentage_path, input);
        if (!v)
            return false;
        if (!json_is_number(v)) {
            char *q = quote_value(v);
            char *d = aslrtp_strdupf("The ToleratedFailurePercentagePath field refers to value "
                                     "\"%s\" which is not a valid float: %s",
                                     q, aslrtp_path_text(p));
            fail_in_state(ex, "States.Runtime", d);
            free(d);
            free(q);
            json_decref(v);
            return false;
        }
        *pct = json_number_value(v);
        json_decref(v);
        if (*pct < 0 || *pct > 100) {
            fail_in_state(ex, "States.Runtime",
                          "ToleratedFailurePercentage must be between 0 and 100.");
            return false;
        }
    }
    return true;
}

/* ItemReader: the items from a file (or listing) under the S3 root. */
static json_t *read_items(aslrt_exec *ex, const aslrt_state *s, json_t *input)
{
    json_t *params = s->reader_params != ASLRT_NONE ? apply_template(ex, s->reader_params, input)
                                                    : json_object();
    if (!params)
        return NULL;
    long long max = s->reader_max_items;
    if (s->reader_max_items_path != ASLRT_NONE &&
        !path_int(ex, s->reader_max_items_path, input, "MaxItemsPath", LLONG_MIN, &max)) {
        json_decref(params);
        return NULL;
    }
    /* Recorded on AWS: 0 (and anything above the documented 100,000,000)
     * reads every item; a negative count fails. */
    if (max < 0) {
        json_decref(params);
        fail_plain(ex, "States.ItemReaderFailed", "field MaxItems must be positive");
        return NULL;
    }
    json_t *config = s->reader_config != ASLRT_NONE ? get_item(ex, s->reader_config)->json : NULL;
    aslrt_error err = {NULL, NULL};
    json_t *items = aslrtp_items_read(ex->cfg->s3_root ? ex->cfg->s3_root : ".", s->reader_resource,
                                      params, config, (long)max, &err);
    json_decref(params);
    if (!items) {
        fail_plain(ex, err.error ? err.error : "States.ItemReaderFailed", err.cause);
        aslrt_error_clear(&err);
    }
    return items;
}

/* ItemSelector on every item (with $$.Map.Item), then ItemBatcher: the
 * inputs of a batched Map's children. */
static json_t *make_batches(aslrt_exec *ex, const aslrt_state *s, json_t *input, json_t *items)
{
    long long max_items = s->batch_max_items, max_bytes = s->batch_max_bytes;
    if (s->batch_max_items_path != ASLRT_NONE &&
        !path_int(ex, s->batch_max_items_path, input, "MaxItemsPerBatchPath", 1, &max_items))
        return NULL;
    if (s->batch_max_bytes_path != ASLRT_NONE &&
        !path_int(ex, s->batch_max_bytes_path, input, "MaxInputBytesPerBatchPath", 1, &max_bytes))
        return NULL;
    json_t *selected = json_array();
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *it = json_array_get(items, i);
        if (s->item_selector != ASLRT_NONE) {
            ex->has_item = 1;
            ex->item_index = (long)i;
            ex->item_value = it;
            if (ex->context) {
                json_decref(ex->context);
                ex->context = NULL;
            }
            it = apply_template(ex, s->item_selector, input);
            ex->has_item = 0;
            if (ex->context) {
                json_decref(ex->context);
                ex->context = NULL;
            }
            if (!it) {
                json_decref(selected);
                return NULL;
            }
            json_array_append_new(selected, it);
        } else {
            json_array_append(selected, it);
        }
    }
    json_t *batch_input = NULL;
    if (s->batch_input != ASLRT_NONE) {
        batch_input = apply_template(ex, s->batch_input, input);
        if (!batch_input) {
            json_decref(selected);
            return NULL;
        }
    }
    aslrt_error err = {NULL, NULL};
    json_t *batches = aslrtp_items_batch(selected, (long)max_items, (long)max_bytes, batch_input, &err);
    json_decref(selected);
    json_decref(batch_input);
    if (!batches) {
        fail_in_state(ex, err.error ? err.error : "States.Runtime", err.cause ? err.cause : "");
        aslrt_error_clear(&err);
    }
    return batches;
}

/* ResultWriter: the children's results go to files under the S3 root; the
 * state's result says where (or is the transformed results array). */
static json_t *write_results(aslrt_exec *ex, const aslrt_state *s, json_t *input, json_t *results,
                             const unsigned char *failed, json_t *inputs)
{
    json_t *params = s->writer_params != ASLRT_NONE ? apply_template(ex, s->writer_params, input)
                                                    : NULL;
    if (s->writer_params != ASLRT_NONE && !params)
        return NULL;
    json_t *config = s->writer_config != ASLRT_NONE ? get_item(ex, s->writer_config)->json : NULL;
    char *id = new_uuid();
    char *arn = aslrtp_strdupf("arn:aws:states:%s:%s:mapRun:%s/%s:%s", cfg_region(ex),
                               cfg_account(ex), ex->sm_name, s->name, id);
    aslrt_error err = {NULL, NULL};
    json_t *out = aslrtp_results_write(ex->cfg->s3_root ? ex->cfg->s3_root : ".", params, config,
                                       arn, results, failed, inputs, &err);
    free(id);
    free(arn);
    json_decref(params);
    if (!out) {
        fail_plain(ex, err.error ? err.error : "States.ResultWriterFailed", err.cause);
        aslrt_error_clear(&err);
    }
    return out;
}

/* A Map state once a distributed Map has started its Map Run. */
static int map_state(aslrt_exec *ex, aslrt_frame *f, long long tol_count, double tol_pct);

int aslrt_op_map(aslrt_exec *ex, aslrt_frame *f)
{
    const aslrt_state *s = ex->state;
    if (!s->distributed)
        return map_state(ex, f, -1, -1);
    /* Distributed (recorded on AWS): MapStateStarted without a length, the
     * tolerated failures (ASL-REFERENCE §15.3, both default to 0), then a
     * Map Run that reads the items and runs the children; a failure from
     * then on fails the Map Run (MapRunFailed) and the state. */
    json_t *d = NULL;
    if (ex->hist) {
        /* The length is the items' count, known here without an ItemReader
         * (a JSONPath Map's; 0 otherwise, as with a reader). */
        size_t length = 0;
        if (!s->reader_resource && !s->jsonata) {
            char *why = NULL;
            int owned = 0;
            json_t *items = s->items_path == ASLRT_NONE
                                ? EFF(f)
                                : lookup(ex, EFF(f), get_item(ex, s->items_path)->path, &why,
                                         &owned);
            length = json_is_array(items) ? json_array_size(items) : 0;
            if (owned)
                json_decref(items);
            free(why);
        }
        d = json_pack("{s:I}", "length", (json_int_t)length);
    }
    chain(ex, ASLRTP_EV_MAP_STATE_STARTED, d);
    long long tol_count = s->tolerated_count;
    double tol_pct = s->tolerated_percentage;
    if (!tolerance(ex, s, EFF(f), &tol_count, &tol_pct))
        return 0;
    d = NULL;
    if (ex->hist) {
        char *id = new_uuid();
        char *arn = aslrtp_strdupf("arn:aws:states:%s:%s:mapRun:%s/%s:%s", cfg_region(ex),
                                   cfg_account(ex), ex->sm_name, s->name, id);
        d = json_pack("{s:s}", "mapRunArn", arn);
        free(arn);
        free(id);
    }
    chain(ex, ASLRTP_EV_MAP_RUN_STARTED, d);
    if (map_state(ex, f, tol_count, tol_pct))
        return 1;
    if (ex->status == ASLRT_FAILED && ex->failed_event == ASLRTP_EV_NONE) {
        d = ex->hist ? json_object() : NULL;
        if (d)
            put_error(d, ex->error.error, ex->error.cause);
        chain(ex, ASLRTP_EV_MAP_RUN_FAILED, d);
        ex->failed_event = ASLRTP_EV_MAP_STATE_FAILED;
    }
    return 0;
}

static int map_state(aslrt_exec *ex, aslrt_frame *f, long long tol_count, double tol_pct)
{
    const aslrt_state *s = ex->state;
    json_t *input = EFF(f);
    json_t *items;
    if (s->reader_resource) {
        items = read_items(ex, s, input);
        if (!items)
            return 0;
    } else if (s->jsonata && s->items_path != ASLRT_NONE) {
        /* Items: an array, or an expression that must give one. */
        items = jn_field(ex, s->items_path, f->raw, NULL, NULL);
        if (!items)
            return 0;
        if (!json_is_array(items)) {
            char *d = aslrtp_jfield_type_error(get_item(ex, s->items_path)->jn, "array", items);
            json_decref(items);
            fail_in_state(ex, "States.QueryEvaluationError", d);
            free(d);
            return 0;
        }
    } else if (s->items_path != ASLRT_NONE) {
        items = select_path(ex, s->items_path, input);
        if (!items)
            return 0;
    } else {
        items = json_incref(input);
    }
    if (!json_is_array(items)) {
        char *v = aslrt_json_dumps(items);
        char *d = aslrtp_strdupf("Map state input must be an array but was: %s", v);
        json_decref(items);
        /* Recorded on AWS: a JSONata Map names this a query error. */
        fail_in_state(ex, s->jsonata ? "States.QueryEvaluationError" : "States.Runtime", d);
        free(d);
        free(v);
        return 0;
    }
    long long limit = s->max_concurrency;
    if (s->max_concurrency_path != ASLRT_NONE &&
        !path_int(ex, s->max_concurrency_path, input, "MaxConcurrencyPath", 0, &limit)) {
        json_decref(items);
        return 0;
    }
    long started = ex->last_event; /* a distributed Map's MapRunStarted */
    if (!s->distributed) {
        json_t *d = ex->hist ? json_pack("{s:I}", "length", (json_int_t)json_array_size(items))
                             : NULL;
        started = chain(ex, ASLRTP_EV_MAP_STATE_STARTED, d);
    }
    if (s->batched) {
        json_t *batches = make_batches(ex, s, input, items);
        json_decref(items);
        if (!batches)
            return 0;
        items = batches;
    }
    size_t n = json_array_size(items);
    int workers = pool_size(ex);
    if (limit > 0 && limit < workers)
        workers = (int)limit;
    fan fn = {0};
    fn.input = input;
    fn.items = items;
    fn.graph = s->processor;
    fn.selector = s->batched ? ASLRT_NONE : s->item_selector;
    fn.keep = s->writes; /* the writer needs the results and which failed */
    fn.progress = ex->cfg->progress && n >= 100;
    fn.tolerant = s->distributed;
    fn.started = started;
    /* Every JSONata ItemSelector sees the Map's input: convert it once
     * instead of once per item (the iterations inherit the pointers). */
    bool share = s->jsonata && fn.selector != ASLRT_NONE && !ex->jn_share;
    if (share) {
        jn_options o = {0};
        ex->jn_share = jn_ctx_create(&o);
        ex->jn_input_src = input;
        ex->jn_input_val = jn_from_json(ex->jn_share, input);
        ex->jn_exec_input = ex->input == input ? ex->jn_input_val
                                               : jn_from_json(ex->jn_share, ex->input);
    }
    int ok = fan_out(ex, &fn, n, workers);
    if (share) {
        jn_ctx_destroy(ex->jn_share);
        ex->jn_share = NULL;
        ex->jn_input_src = NULL;
        ex->jn_input_val = NULL;
        ex->jn_exec_input = NULL;
    }
    if (!ok) {
        ex->failed_event = ASLRTP_EV_MAP_STATE_FAILED;
        json_decref(items);
        free(fn.failed_items);
        return 0;
    }
    if (s->distributed && fn.nfailed > 0) {
        /* Exceeding either threshold that is set fails the Map Run; with
         * neither, no failure is tolerated. */
        bool count_set = tol_count >= 0, pct_set = tol_pct >= 0;
        double pct = 100.0 * (double)fn.nfailed / (double)n;
        bool over = (count_set && (long long)fn.nfailed > tol_count) ||
                    (pct_set && pct > tol_pct) || (!count_set && !pct_set);
        if (over) {
            set(&ex->fanout_result, NULL);
            json_decref(items);
            free(fn.failed_items);
            fail_plain(ex, "States.ExceedToleratedFailureThreshold",
                       "The specified tolerated failure threshold was exceeded");
            return 0; /* MapRunFailed (aslrt_op_map) */
        }
    }
    if (s->writes) {
        json_t *out = write_results(ex, s, input, ex->fanout_result, fn.failed_items, items);
        set(&ex->fanout_result, out);
    }
    json_decref(items);
    free(fn.failed_items);
    if (!ex->fanout_result)
        return 0;
    /* Recorded on AWS since November 2024: neither MapRunSucceeded nor the
     * state's success extends the chain (MapStateExited follows
     * MapRunStarted; recordings made before then show MapRunSucceeded
     * extending it). */
    long prev = ex->last_event;
    if (s->distributed)
        prev = record(ex, ASLRTP_EV_MAP_RUN_SUCCEEDED, prev, NULL);
    record(ex, ASLRTP_EV_MAP_STATE_SUCCEEDED, prev, NULL);
    set(&f->eff, NULL);
    set(&f->res, ex->fanout_result);
    ex->fanout_result = NULL;
    return 1;
}

/* ---- Retry and Catch ---------------------------------------------------- */

/* ASL spec, "Error names": States.ALL matches every error, States.TaskFailed
 * every error but States.Timeout (AWS Developer Guide), other names only
 * themselves.  A missed heartbeat is a States.Timeout that
 * States.HeartbeatTimeout matches too (ASL-REFERENCE §17.1). */
static bool matches(const char *name, const char *const *errors, int n, bool heartbeat)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(errors[i], "States.ALL") == 0 || strcmp(errors[i], name) == 0)
            return true;
        if (heartbeat && strcmp(errors[i], "States.HeartbeatTimeout") == 0)
            return true;
        if (strcmp(errors[i], "States.TaskFailed") == 0 && strcmp(name, "States.Timeout") != 0)
            return true;
    }
    return false;
}

/* A uniform double in [0, 1), for FULL jitter. */
static double uniform01(aslrt_exec *ex)
{
    uint64_t x = ex->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    ex->rng = x;
    return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

int aslrt_op_recover(aslrt_exec *ex, aslrt_frame *f)
{
    /* An execution that timed out ends; States.Runtime is neither retried
     * nor caught, even by name (recorded on AWS, ASL-REFERENCE §17.1). */
    if (ex->status != ASLRT_FAILED)
        return ASLRT_UNCAUGHT;
    const char *name = ex->error.error ? ex->error.error : "";
    if (strcmp(name, "States.Runtime") == 0) {
        flush_failed(ex);
        return ASLRT_UNCAUGHT;
    }
    const aslrt_state *s = ex->state;
    const aslrt_machine *m = ex->prog->m;

    /* The first retrier that matches decides; when it has no attempts left
     * the catchers are consulted (no fall-through to later retriers). */
    for (int i = 0; i < s->nretriers; i++) {
        const aslrt_retrier *r = &m->retriers[s->retrier + i];
        if (!matches(name, r->errors, r->nerrors, ex->heartbeat_expired))
            continue;
        int *count = &ex->retry_counts[s->retrier + i];
        if (*count >= r->max_attempts)
            break;
        double delay = r->interval * pow(r->backoff, *count);
        if (r->max_delay > 0 && delay > r->max_delay)
            delay = r->max_delay;
        if (r->jitter_full)
            delay *= uniform01(ex);
        (*count)++;
        ex->retry_total++;
        int passed = pass_time(ex, delay * 1000);
        if (passed <= 0) {
            if (passed < 0)
                aborted(ex);
            else
                timed_out(ex);
            return ASLRT_UNCAUGHT;
        }
        aslrt_error_clear(&ex->error);
        ex->status = ASLRT_SUCCEEDED;
        set(&ex->pending, NULL);
        set(&f->raw, json_incref(f->input));
        set(&f->eff, NULL);
        set(&f->res, NULL);
        if (ex->context) { /* $$.State.RetryCount changed */
            json_decref(ex->context);
            ex->context = NULL;
        }
        if (ex->task_token) /* a new attempt, a new token */
            drop_task_token(ex);
        ex->failed_event = ASLRTP_EV_NONE; /* a Map or Parallel starts again */
        return ASLRT_RETRY;
    }
    flush_failed(ex);
    for (int k = 0; k < s->ncatchers; k++) {
        const aslrt_catcher *c = &m->catchers[s->catcher + k];
        if (!matches(name, c->errors, c->nerrors, ex->heartbeat_expired))
            continue;
        /* The error output (ASL spec, "Error Output"). */
        json_t *out = json_object();
        json_object_set_new(out, "Error", ex->error.error ? json_string(name) : json_null());
        if (ex->error.cause)
            json_object_set_new(out, "Cause", json_string(ex->error.cause));
        else if (!ex->error.error) /* recorded on AWS: a callback failed with neither */
            json_object_set_new(out, "Cause", json_null());
        set(&f->res, out);
        aslrt_error_clear(&ex->error);
        ex->status = ASLRT_SUCCEEDED;
        return k;
    }
    return ASLRT_UNCAUGHT;
}

int aslrt_op_catch(aslrt_exec *ex, aslrt_frame *f, int k)
{
    const aslrt_catcher *c = &ex->prog->m->catchers[ex->state->catcher + k];
    /* The state's own Assign does not apply, the catcher's does, over the
     * error output (ASL-REFERENCE §6). */
    set(&ex->pending, NULL);
    if (ex->state->jsonata) {
        /* JSONata: Assign and Output over $states.errorOutput; the output
         * is the error output unless the catcher has an Output. */
        json_t *in = f->input ? f->input : f->raw;
        json_t *out = NULL;
        if (c->assign != ASLRT_NONE) {
            json_t *v = jn_field(ex, c->assign, in, NULL, f->res);
            if (!v)
                return 0;
            set(&ex->pending, v);
        }
        if (c->output != ASLRT_NONE) {
            out = jn_field(ex, c->output, in, NULL, f->res);
            if (!out)
                return 0;
        } else {
            out = json_incref(f->res);
        }
        set(&f->raw, out);
        set(&f->res, NULL);
        set(&f->input, NULL);
        set(&f->eff, NULL);
        exited(ex, f);
        return 1;
    }
    if (c->assign != ASLRT_NONE) {
        json_t *v = apply_template(ex, c->assign, f->res);
        if (!v)
            return 0;
        set(&ex->pending, v);
    }
    /* The catcher's ResultPath merges the error output into the state's
     * raw input; the state's own ResultPath and OutputPath do not apply. */
    set(&f->raw, f->input);
    f->input = NULL;
    set(&f->eff, NULL);
    if (!aslrt_op_result_path(ex, f, c->result_path))
        return 0;
    exited(ex, f);
    return 1;
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
    aslrt_exec ex = {.prog = p, .cfg = cfg, .status = ASLRT_SUCCEEDED};
    ex.input = json_incref(input);
    ex.name = cfg->execution_name ? aslrtp_strdup(cfg->execution_name) : new_uuid();
    ex.sm_name = aslrtp_strdup(cfg->state_machine_name ? cfg->state_machine_name : p->m->name);
    ex.start_ms = cfg->start_time_ms ? cfg->start_time_ms : now_ms();
    ex.skew_ms = ex.start_ms - now_ms();
    if (p->m->timeout_seconds > 0)
        ex.deadline_ms = ex.start_ms + (long long)p->m->timeout_seconds * 1000;
    if (cfg->history) {
        ex.hist = aslrtp_hist_create();
        json_t *d = json_object();
        put_payload(d, "input", input);
        char *role = aslrtp_strdupf("arn:aws:iam::%s:role/aslc-local", cfg_account(&ex));
        json_object_set_new(d, "roleArn", json_string(role));
        free(role);
        record(&ex, ASLRTP_EV_EXECUTION_STARTED, 0, d);
    } else {
        record(&ex, ASLRTP_EV_EXECUTION_STARTED, 0, NULL);
    }
    /* Recorded on AWS: the first state's event follows none. */
    ex.last_event = 0;
    /* Callback tasks make the endpoint they wait on when they first need it. */
    aslrtp_cb_server *callbacks = NULL;
    ex.callbacks = &callbacks;
    /* jansson seeds its hash function once; do it before any thread can. */
    json_object_seed(0);
    ex.retry_counts = calloc((size_t)p->m->nretriers + 1, sizeof *ex.retry_counts);
    ex.mock_calls = calloc((size_t)p->m->nstates + 1, sizeof *ex.mock_calls);
    if (!ex.retry_counts || !ex.mock_calls)
        abort();
    if (getrandom(&ex.rng, sizeof ex.rng, 0) != (ssize_t)sizeof ex.rng || ex.rng == 0)
        ex.rng = (uint64_t)now_ms() | 1;
    *output = NULL;

    json_t *out = p->m->graphs[0](&ex, json_incref(input));
    int status;
    if (out) {
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
    }
    if (ex.hist) {
        json_t *d = json_object();
        if (status == ASLRT_SUCCEEDED) {
            put_payload(d, "output", out);
        } else {
            flush_failed(&ex);
            if (status != ASLRT_ABORTED)
                put_error(d, err->error, err->cause);
        }
        chain(&ex, status == ASLRT_SUCCEEDED   ? ASLRTP_EV_EXECUTION_SUCCEEDED
                   : status == ASLRT_TIMED_OUT ? ASLRTP_EV_EXECUTION_TIMED_OUT
                   : status == ASLRT_ABORTED   ? ASLRTP_EV_EXECUTION_ABORTED
                                               : ASLRTP_EV_EXECUTION_FAILED,
              d);
        json_t *doc = aslrtp_hist_json(ex.hist);
        cfg->history(cfg->history_ud, doc);
        json_decref(doc);
        aslrtp_hist_destroy(ex.hist);
    }
    if (transitions)
        *transitions = ex.transitions;
    aslrt_error_clear(&ex.error);
    json_decref(ex.context);
    json_decref(ex.vars);
    if (ex.jn)
        jn_ctx_destroy(ex.jn);
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

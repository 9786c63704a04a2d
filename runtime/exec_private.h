/*
 * exec_private.h - the execution as its four files share it: exec.c (the
 * execution, its context and the ops of the state loop), invoke.c (Task
 * invocation), fanout.c (Map and Parallel) and recover.c (Retry and Catch).
 *
 * Model.  A program is the machine descriptor aslc emitted with its items
 * compiled once; an execution (struct aslrt_exec) is one run of it, owned
 * by one thread: the top level, or one worker of a fan-out, whose child
 * executions copy the parent's and share its program, configuration and
 * counters.  Every op takes the execution and the frame of the state in
 * flight; when it fails it records the error in the execution (with the
 * helpers below) and returns 0.
 *
 * Layering: exec.c is below the other three and calls none of them; they
 * call exec.c's helpers declared here.  A Map inside an item processor
 * reaches fanout.c again through the generated code's graph functions, not
 * through a call from exec.c.  Everything here is internal to libaslrt
 * (aslrtp_*); generated code sees only aslrt.h.
 */
#ifndef EXEC_PRIVATE_H
#define EXEC_PRIVATE_H

#include <stdbool.h>

#include "aslrt_private.h"

/* ==== Programs and executions =========================================== */

/* A compiled item of the machine: exactly one member is set, per kind. */
typedef struct aslrtp_item {
    int kind;
    json_t *json;             /* ASLRT_ITEM_JSON */
    aslrtp_path *path;        /* ASLRT_ITEM_PATH, ASLRT_ITEM_REFPATH */
    aslrtp_tmpl *tmpl;        /* ASLRT_ITEM_TEMPLATE */
    size_t tmpl_bound;        /* aslrtp_tmpl_bound(tmpl) */
    aslrtp_intrinsic *call;   /* ASLRT_ITEM_INTRINSIC */
    aslrtp_jfield *jn;        /* ASLRT_ITEM_JSONATA */
    bool is_int;              /* json is an integer, whose value is ival: Choice
                                 compares it without a call into jansson */
    json_int_t ival;
} aslrtp_item;

struct aslrt_program {
    const aslrt_machine *m;
    aslrtp_item *items;       /* by item index; items[0] stands for "none" */
};

/* The nested executions an execution started without waiting for them
 * (request-response and .waitForTaskToken starts, nested.c): the top
 * execution calls finish, which waits for them and frees the set, before
 * it returns.  exec.c is below nested.c, so it calls through the pointer. */
typedef struct aslrtp_background {
    void (*finish)(struct aslrtp_background *bg);
} aslrtp_background;

/* The history's quota (doc/behaviour.md §33): a Standard execution holds
 * at most this many events, the last of them its ExecutionSucceeded; any
 * other event that would be the last makes it fail with this cause. */
#define ASLRTP_HISTORY_LIMIT 25000
/* How long an execution may run (doc/behaviour.md §38), and how many states
 * may pass between two looks at the clock for it (a power of 2). */
#define ASLRTP_STANDARD_MAX_MS (365LL * 24 * 60 * 60 * 1000)
#define ASLRTP_EXPRESS_MAX_MS (5LL * 60 * 1000)
#define ASLRTP_LIMIT_STRIDE 1024
#define ASLRTP_HISTORY_FULL_CAUSE \
    "The execution reached the maximum number of history events (25000)."

/* The events of one execution, counted by every thread that runs a part
 * of it (the top execution's, shared by its branches and iterations). */
typedef struct aslrtp_event_count {
    long n;                   /* events written so far (atomic) */
    int full;                 /* an event found no room: the execution ends (atomic) */
} aslrtp_event_count;

/* One execution, or one branch's or iteration's child execution. */
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
    aslrtp_event_count *count; /* the execution's events against the quota; NULL:
                                 no quota (Express, a distributed Map's children) */
    int failed_event;         /* Map/ParallelStateFailed, written once Retry has
                                 passed on the error (ASLRTP_EV_NONE: none) */
    json_t *context;          /* $$ for the current state, built on demand */
    unsigned long transitions;
    int child;                /* a Parallel branch's or Map iteration's execution */
    long long skew_ms;        /* virtual time gained by skipped or scaled waits */
    long long deadline_ms;    /* execution TimeoutSeconds, virtual time; 0 = none */
    long long limit_ms;       /* when it has run as long as an execution may (a
                                 year; Express 5 minutes), virtual time: checked
                                 every ASLRTP_LIMIT_STRIDE states, at waits and,
                                 in Express, by tasks (doc/behaviour.md §38) */
    int express;              /* an Express execution, or a distributed Map's
                                 Express child */
    int *retry_counts;        /* attempts made by each retrier in this state visit */
    int retry_total;          /* retries of this state visit ($$.State.RetryCount) */
    long *mock_calls;         /* invocations of each state so far, for mocks (shared
                                 by the branches and iterations of an execution) */
    uint64_t rng;             /* xorshift64* state, for retry jitter */
    aslrtp_cancel cancel;     /* what stops it: the abort flag at the top; in a
                                 branch or iteration its fan-out's flag, then
                                 its parent's chain */
    json_t *vars;             /* this scope's variables (an object) */
    const struct aslrt_exec *outer; /* the enclosing scope, readable; NULL at the top
                                 and in distributed Map children */
    json_t *pending;          /* the current state's Assign, applied when it exits */
    json_t *fanout_result;    /* the array a Parallel or Map op just built */
    aslrtp_cb_server **callbacks; /* where the endpoint of callback tasks is, once made
                                 (the top execution's, shared by branches and iterations) */
    char *task_token;         /* $$.Task.Token of this visit of a callback task */
    aslrtp_background **background; /* nested executions not waited for, once one
                                 started (the top execution's, shared like callbacks) */
    int heartbeat_expired;    /* the current error is a missed heartbeat */
    int has_item;             /* evaluating a Map's ItemSelector: $$.Map.Item exists */
    long item_index;          /* $$.Map.Item.Index */
    json_t *item_value;       /* $$.Map.Item.Value (borrowed) */
    json_t **kept;            /* the last two outputs of each template item (2 per
                                 item index, newest first), refilled when only
                                 this holds one; allocated on first use, this
                                 execution's own (doc/architecture.md) */
    json_t *bounded_out;      /* held from Parameters or ResultSelector to the
                                 state's exit: their output when its template
                                 bounds its size within the payload quota; the
                                 state output need not be measured if it is this */
    struct jn_ctx *jn;        /* JSONata evaluations of this thread's states */
    /* A JSONata Map's input, converted once for all its ItemSelector
     * evaluations (read-only, shared by the iterations' threads). */
    struct jn_ctx *jn_share;
    json_t *jn_input_src;
    struct jn_value *jn_input_val;
    struct jn_value *jn_exec_input; /* $states.context.Execution.Input, likewise */
    /* What every JSONata field of the current state sees, converted once
     * for the state rather than once per field (exec.c, jn_state_values). */
    struct aslrtp_jn_keep {
        struct jn_ctx *cx;    /* the arena they live in */
        unsigned long at;     /* ex->transitions when they were made */
        json_t *input;        /* $states.input's source, held */
        struct jn_value *input_val;
        json_t *context;      /* the context object's source, held */
        struct jn_value *context_val;
        int nvars;            /* the variables in scope, outer first; -1: not yet */
        const char **var_names;
        struct jn_value **var_vals;
    } jn_keep;
};

/* Releases the kept template outputs (an execution's or a child's end). */
void aslrtp_ex_kept_free(aslrt_exec *ex);
/* Frees what jn_keep holds (an execution's or a child's end). */
void aslrtp_ex_jn_keep_free(aslrt_exec *ex);
/* Forgets the kept values: a child starts another branch or iteration,
 * whose scope is new though no state has been entered yet. */
void aslrtp_ex_jn_keep_forget(aslrt_exec *ex);

/* The suffix of a callback task's resource. */
#define ASLRTP_WAIT_FOR_TOKEN ".waitForTaskToken"

/* The effective input: eff once InputPath or Parameters made one, else the
 * state input itself (the compiler emits no op for an absent InputPath). */
#define ASLRTP_EFF(f) ((f)->eff ? (f)->eff : (f)->raw)

/* Item i of the execution's program. */
static inline const aslrtp_item *aslrtp_ex_item(const aslrt_exec *ex, int i)
{
    return &ex->prog->items[i];
}

/* Replaces the value in *slot (stolen v; the old one is released). */
static inline void aslrtp_slot_set(json_t **slot, json_t *v)
{
    json_decref(*slot);
    *slot = v;
}

/* ==== exec.c: clocks, names, history, errors ============================ */

/* The execution's clock: real time plus what skipped or scaled waits saved. */
long long aslrtp_ex_clock_ms(const aslrt_exec *ex);
/* A random (version 4) UUID, malloc'd. */
char *aslrtp_ex_uuid(void);
/* The configured region and account, or AWS's defaults of the local ARNs. */
const char *aslrtp_ex_region(const aslrt_exec *ex);
const char *aslrtp_ex_account(const aslrt_exec *ex);

/* Counts the next history event (and records it with details, stolen,
 * when the history is kept); prev is its previousEventId.  Returns its id. */
long aslrtp_ex_record(aslrt_exec *ex, int type, long prev, json_t *details);
/* The same for an event that follows the last of its chain and becomes it. */
long aslrtp_ex_chain(aslrt_exec *ex, int type, json_t *details);
/* An event found the history full (doc/behaviour.md §33): the execution
 * ends as if aborted, and fails with States.Runtime once unwound.  Inline,
 * as the next one: each state asks twice. */
static inline bool aslrtp_ex_history_full(const aslrt_exec *ex)
{
    return ex->count && __atomic_load_n(&ex->count->full, __ATOMIC_RELAXED);
}
/* d[key] = v as a payload of the history API; d["error"], d["cause"]. */
void aslrtp_ex_put_payload(json_t *d, const char *key, const json_t *v);
void aslrtp_ex_put_error(json_t *d, const char *error, const char *cause);
/* Writes a Map's or Parallel's pending failure event, once no retrier took
 * the error. */
void aslrtp_ex_flush_failed(aslrt_exec *ex);

/* Fail the state (each returns 0): with AWS's "An error occurred while
 * executing the state ..." prefix before detail; with cause as it is; on
 * the execution's TimeoutSeconds; on an abort from outside. */
int aslrtp_ex_fail_in_state(aslrt_exec *ex, const char *error, const char *detail);
int aslrtp_ex_fail_plain(aslrt_exec *ex, const char *error, const char *cause);
int aslrtp_ex_timed_out(aslrt_exec *ex);
int aslrtp_ex_aborted(aslrt_exec *ex);
/* An abort from outside, a sibling's failure, or a full history (which
 * ends the execution as an abort does, doc/behaviour.md §33). */
static inline bool aslrtp_ex_abort_requested(const aslrt_exec *ex)
{
    return aslrtp_cancelled(&ex->cancel) || aslrtp_ex_history_full(ex);
}

/* ==== exec.c: callback tokens (.waitForTaskToken) ======================= */

/* s is a Task whose resource ends in .waitForTaskToken. */
bool aslrtp_ex_is_callback(const aslrt_state *s);
/* s is a Task whose resource is an activity ARN. */
bool aslrtp_ex_is_activity(const aslrt_state *s);
/* This visit's token, made on first use; NULL with err (may be NULL). */
const char *aslrtp_ex_task_token(aslrt_exec *ex, aslrt_error *err);
/* Forgets the token: a new visit or attempt gets a new one. */
void aslrtp_ex_drop_token(aslrt_exec *ex);

/* ==== exec.c: evaluating items ========================================== */

/* Evaluates path p ($, $$ or $var) over input: borrowed unless *owned. */
json_t *aslrtp_ex_lookup(aslrt_exec *ex, json_t *input, const aslrtp_path *p, char **why,
                         int *owned);
/* Path or JSONata item idx over doc: a new value, or NULL with the error
 * recorded. */
json_t *aslrtp_ex_select(aslrt_exec *ex, int idx, json_t *doc);
/* Template (or JSONata) item tmpl over input: likewise. */
json_t *aslrtp_ex_template(aslrt_exec *ex, int tmpl, json_t *input);
/* JSONata item idx with $states.input = input, .result and .errorOutput
 * (both may be NULL): likewise. */
json_t *aslrtp_ex_jn_field(aslrt_exec *ex, int idx, json_t *input, json_t *result,
                           json_t *error_output);
/* The same for a field that must give a value of type want (named name in
 * the error). */
json_t *aslrtp_ex_jn_typed(aslrt_exec *ex, int idx, json_t *input, json_type want,
                           const char *name);
/* v as an integer; *ok says whether it is one (no fraction). */
long long aslrtp_int_value(json_t *v, bool *ok);
/* The number a JSONPath ...Path field refers to, as AWS reads it: a JSON
 * number or a string holding one ("1" works like 1). aslrtp_path_int wants
 * an integer (no fraction; a string of digits), aslrtp_path_float any
 * finite number; *ok says whether v is one. */
long long aslrtp_path_int(json_t *v, bool *ok);
double aslrtp_path_float(json_t *v, bool *ok);
/* The text AWS quotes for a value in causes (malloc'd). */
char *aslrtp_quote_value(json_t *v);

/* ==== exec.c: the state's end and the passing of time =================== */

/* v is over the payload quota. */
bool aslrtp_ex_over_quota(const aslrt_exec *ex, const json_t *v);
/* *StateExited, then the state's Assign takes effect. */
void aslrtp_ex_exited(aslrt_exec *ex, aslrt_frame *f);
/* Lets ms of execution time pass: 1, 0 at the deadline, -1 on an abort. */
int aslrtp_ex_pass_time(aslrt_exec *ex, double ms);

/* ==== nested.c: Step Functions' own API, answered locally =============== */

/* Whether nested.c answers a Task with resource: the Step Functions family
 * (states:startExecution in every pattern, aws-sdk:sfn:startExecution,
 * aws-sdk:sfn:sendTask*; doc/behaviour.md §26).  A start with no local
 * state machines configured fails there as unbound. */
bool aslrtp_nested_answers(const aslrt_exec *ex, const char *resource);
/* Answers the current Task state with params (borrowed): 1 with *out (the
 * result; for .waitForTaskToken the start's response) and, for .sync,
 * *submitted (TaskSubmitted's output), or 0 with err.  timeout (seconds,
 * 0: none) bounds a .sync wait. */
int aslrtp_nested_invoke(aslrt_exec *ex, json_t *params, double timeout, json_t **submitted,
                         json_t **out, aslrt_error *err);

#endif /* EXEC_PRIVATE_H */

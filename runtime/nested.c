/*
 * nested.c - Step Functions' own API as a Task resource, answered locally:
 * nested executions (arn:aws:states:::states:startExecution with or without
 * .sync, .sync:2 or .waitForTaskToken, and aws-sdk:sfn:startExecution) and
 * the callback calls a workflow can make (aws-sdk:sfn:sendTaskSuccess,
 * sendTaskFailure, sendTaskHeartbeat).  It turns a Task's effective input
 * into a child execution and the child's end into the Task's result, in
 * the shapes AWS gives them (doc/behaviour.md §26).
 *
 * Model.  The StateMachineArn names a local state machine through, in this
 * order: the bindings file's "StateMachines" section (by ARN, or by name in
 * the execution's region and account), a file NAME.asl.json or NAME.json in
 * the --state-machines folder (likewise), or a machine compiled into the
 * workflow binary (aslc build).  A definition file becomes a program
 * through the configuration's loader (aslc run compiles it; libaslrt has
 * no compiler); a binary without one runs only the machines compiled into
 * it, matched by their source file.  A child is an execution of its own
 * (aslrt_execute), on its own thread, with its own name, ARN, input and
 * start time, and the parent's bindings, clock mode and nested machines.
 *
 *  - .sync and .sync:2: the parent's thread waits for the child (its
 *    abort, a failed sibling or the Task's TimeoutSeconds abort the
 *    child); TaskSubmitted shows StartExecution's response, the result is
 *    DescribeExecution's shape, a failure States.TaskFailed with that
 *    shape as Cause.
 *  - request-response and .waitForTaskToken: the child runs on while the
 *    parent goes on (waiting for its token with callback.c); the top
 *    execution waits for such children before it ends (the background set
 *    below, finished by exec.c).
 *  - sendTask*: the token names the execution that waits for it, in this
 *    process or another; callback.c's client delivers the outcome.
 *
 * Layering: invoke.c calls in here; this file calls exec.c (executions and
 * the clock), task.c (the "StateMachines" section) and callback.c (the
 * client).  exec.c reaches the background set only through its pointer.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "exec_private.h"

/* ---- The resources ------------------------------------------------------ */

/* What a Task resource of the family asks for. */
typedef enum call {
    NOT_OURS,
    START,                      /* request-response: the child runs on */
    START_SYNC,                 /* .sync: Output as a JSON string */
    START_SYNC2,                /* .sync:2: Output as JSON */
    START_TOKEN,                /* .waitForTaskToken: the child runs on, the parent waits
                                   for its token */
    SEND_SUCCESS,
    SEND_FAILURE,
    SEND_HEARTBEAT
} call;

/* The call a resource names; *sdk says it is the aws-sdk form. */
static call call_of(const char *resource, bool *sdk)
{
    /* arn:PARTITION:states:::REST */
    const char *r = resource;
    *sdk = false;
    if (!r || strncmp(r, "arn:", 4) != 0 || !(r = strchr(r + 4, ':')) ||
        strncmp(r, ":states:::", 10) != 0)
        return NOT_OURS;
    r += 10;
    static const struct {
        const char *rest;
        bool sdk;
        call c;
    } table[] = {
        {"states:startExecution", false, START},
        {"states:startExecution.sync", false, START_SYNC},
        {"states:startExecution.sync:2", false, START_SYNC2},
        {"states:startExecution" ASLRTP_WAIT_FOR_TOKEN, false, START_TOKEN},
        {"aws-sdk:sfn:startExecution", true, START},
        {"aws-sdk:sfn:startExecution" ASLRTP_WAIT_FOR_TOKEN, true, START_TOKEN},
        {"aws-sdk:sfn:sendTaskSuccess", true, SEND_SUCCESS},
        {"aws-sdk:sfn:sendTaskFailure", true, SEND_FAILURE},
        {"aws-sdk:sfn:sendTaskHeartbeat", true, SEND_HEARTBEAT},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (strcmp(r, table[i].rest) == 0) {
            *sdk = table[i].sdk;
            return table[i].c;
        }
    return NOT_OURS;
}

/* Local state machines were named: by the bindings, a folder, or the
 * binary. */
static bool machines_configured(const aslrt_config *cfg)
{
    return cfg->executions || cfg->state_machines_dir || cfg->nchildren > 0 ||
           aslrtp_bindings_has_machines(cfg->bindings);
}

bool aslrtp_nested_answers(const aslrt_exec *ex, const char *resource)
{
    (void)ex;
    bool sdk;
    return call_of(resource, &sdk) != NOT_OURS;
}

/* A start with no local state machines at all: unbound, as any Task that
 * nothing answers, with this way to answer it named too. */
static int unbound_start(const aslrt_exec *ex, aslrt_error *err)
{
    const aslrt_state *s = ex->state;
    char *cause = aslrtp_strdupf(
        "no mock or binding answers Task state '%s' (Resource '%s'): give it a mocked response "
        "in a mock config (--mock-config with --test-case), bind a handler in --bindings to the "
        "state's name (\"States\": {\"%s\": ...}), to the resource, or to a pattern that "
        "matches it, or name the state machine it starts: --state-machines DIR, or a "
        "\"StateMachines\" section in --bindings",
        s->name, s->resource, s->name);
    aslrt_error_set(err, "aslc.UnboundResource", cause);
    free(cause);
    return 0;
}

/* ---- AWS's errors ------------------------------------------------------- */

/* An error of the service, as the integration reports it (doc/behaviour.md
 * §26.4): the optimized one in the SDK v1 form, aws-sdk in the v2 form. */
static void service_error(aslrt_error *err, bool sdk, const char *code, const char *message)
{
    char *rid = aslrtp_ex_uuid();
    size_t n = strlen(code);
    const char *suffix = n >= 9 && strcmp(code + n - 9, "Exception") == 0 ? "" : "Exception";
    char *error, *cause;
    if (sdk) {
        error = aslrtp_strdupf("Sfn.%s%s", code, suffix);
        cause = aslrtp_strdupf("%s (Service: Sfn, Status Code: 400, Request ID: %s) (SDK Attempt "
                               "Count: 1)",
                               message, rid);
    } else {
        error = aslrtp_strdupf("StepFunctions.%s%s", code, suffix);
        cause = aslrtp_strdupf("%s (Service: AWSStepFunctions; Status Code: 400; Error Code: %s; "
                               "Request ID: %s; Proxy: null)",
                               message, code, rid);
    }
    aslrt_error_set(err, error, cause);
    free(error);
    free(cause);
    free(rid);
}

/* Parameters that cannot start the task (the wording of invoke.c's). */
static int bad_parameters(json_t *params, const char *field, aslrt_error *err)
{
    char *p = aslrt_json_dumps(params);
    char *c = aslrtp_strdupf("The Parameters '%s' could not be used to start the Task: [The field "
                             "\"%s\" is required]",
                             p, field);
    aslrt_error_set(err, ASLRTP_ERR_RUNTIME, c);
    free(c);
    free(p);
    return 0;
}

/* ---- sendTaskSuccess, sendTaskFailure, sendTaskHeartbeat ---------------- */

/* A string parameter, or a value AWS serializes to one (doc/behaviour.md
 * §26.3): malloc'd, NULL when absent. */
static char *string_param(json_t *params, const char *key)
{
    json_t *v = json_object_get(params, key);
    if (!v || json_is_null(v))
        return NULL;
    return json_is_string(v) ? aslrtp_strdup(json_string_value(v)) : aslrt_json_dumps(v);
}

static int send_task(call c, json_t *params, json_t **out, aslrt_error *err)
{
    const char *token = json_string_value(json_object_get(params, "TaskToken"));
    if (!json_is_object(params) || !token)
        return bad_parameters(params, "TaskToken", err);
    aslrt_error e = {NULL, NULL};
    int ok;
    if (c == SEND_SUCCESS) {
        char *output = string_param(params, "Output");
        if (!output)
            return bad_parameters(params, "Output", err);
        ok = aslrt_send_task_success(token, output, &e);
        free(output);
    } else if (c == SEND_FAILURE) {
        char *error = string_param(params, "Error"), *cause = string_param(params, "Cause");
        ok = aslrt_send_task_failure(token, error, cause, &e);
        free(error);
        free(cause);
    } else {
        ok = aslrt_send_task_heartbeat(token, &e);
    }
    if (ok) {
        /* The API's response has no members. */
        *out = json_object();
        aslrt_error_clear(&e);
        return 1;
    }
    if (e.error && strncmp(e.error, "aslc.", 5) == 0) {
        *err = e; /* the execution could not be asked: ours, not AWS's */
        return 0;
    }
    service_error(err, true, e.error ? e.error : "InvalidToken", e.cause ? e.cause : "");
    aslrt_error_clear(&e);
    return 0;
}

/* ---- Finding the state machine ------------------------------------------ */

/* A state machine ARN: arn:PARTITION:states:REGION:ACCOUNT:stateMachine:NAME
 * (a version or alias suffix is kept in name's tail and ignored). */
typedef struct sm_arn {
    char *partition, *region, *account, *name;
} sm_arn;

static void sm_arn_free(sm_arn *a)
{
    free(a->partition);
    free(a->region);
    free(a->account);
    free(a->name);
}

static bool sm_arn_parse(const char *arn, sm_arn *a)
{
    memset(a, 0, sizeof *a);
    char *parts[8] = {0};
    char *copy = aslrtp_strdup(arn);
    int n = 0;
    for (char *p = copy, *colon; n < 8; p = colon + 1) {
        colon = strchr(p, ':');
        parts[n++] = p;
        if (!colon)
            break;
        *colon = '\0';
    }
    bool ok = n >= 7 && strcmp(parts[0], "arn") == 0 && *parts[1] &&
              strcmp(parts[2], "states") == 0 && *parts[3] && *parts[4] &&
              strcmp(parts[5], "stateMachine") == 0 && *parts[6];
    if (ok) {
        a->partition = aslrtp_strdup(parts[1]);
        a->region = aslrtp_strdup(parts[3]);
        a->account = aslrtp_strdup(parts[4]);
        a->name = aslrtp_strdup(parts[6]);
    }
    free(copy);
    return ok;
}

/* Programs of the machines compiled into this binary, made on first use:
 * for the process's life, shared by every execution. */
static pthread_mutex_t compiled_mu = PTHREAD_MUTEX_INITIALIZER;
static struct compiled {
    const aslrt_machine *m;
    aslrt_program *p;
} *compiled;
static size_t ncompiled;

static const aslrt_program *program_of(const aslrt_machine *m, aslrt_error *err)
{
    pthread_mutex_lock(&compiled_mu);
    const aslrt_program *found = NULL;
    for (size_t i = 0; i < ncompiled && !found; i++)
        if (compiled[i].m == m)
            found = compiled[i].p;
    if (!found) {
        aslrt_program *p = aslrt_program_create(m, err);
        if (p) {
            compiled = aslrtp_reallocarray(compiled, ncompiled + 1, sizeof *compiled);
            compiled[ncompiled++] = (struct compiled){m, p};
            found = p;
        }
    }
    pthread_mutex_unlock(&compiled_mu);
    return found;
}

/* The machine compiled in from the file path (the same file, whatever
 * way it is named), or NULL. */
static const aslrt_child *compiled_from(const aslrt_config *cfg, const char *path)
{
    char *real = realpath(path, NULL);
    const aslrt_child *found = NULL;
    for (int i = 0; real && i < cfg->nchildren && !found; i++) {
        char *src = realpath(cfg->children[i].source, NULL);
        if (src && strcmp(src, real) == 0)
            found = &cfg->children[i];
        free(src);
    }
    free(real);
    return found;
}

/* The definition file in the --state-machines folder for name, or NULL. */
static char *file_in_dir(const char *dir, const char *name)
{
    static const char *const endings[] = {".asl.json", ".json"};
    for (size_t i = 0; i < 2; i++) {
        char *p = aslrtp_strdupf("%s/%s%s", dir, name, endings[i]);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            return p;
        free(p);
    }
    return NULL;
}

/* The program of the state machine arn (parsed into a), found as the
 * file comment says; NULL with err filled, or with *missing set when no
 * state machine has that ARN. */
static const aslrt_program *find_program(const aslrt_exec *ex, const char *arn, const sm_arn *a,
                                         bool *missing, aslrt_error *err)
{
    const aslrt_config *cfg = ex->cfg;
    *missing = false;
    /* A name stands for the state machine in the execution's region and
     * account (and partition aws). */
    bool here = strcmp(a->region, aslrtp_ex_region(ex)) == 0 &&
                strcmp(a->account, aslrtp_ex_account(ex)) == 0 &&
                strcmp(a->partition, "aws") == 0;
    char *path = NULL;
    const char *p = aslrtp_bindings_machine(cfg->bindings, arn);
    if (!p && here)
        p = aslrtp_bindings_machine(cfg->bindings, a->name);
    if (p)
        path = aslrtp_strdup(p);
    else if (here && cfg->state_machines_dir)
        path = file_in_dir(cfg->state_machines_dir, a->name);
    if (path) {
        const aslrt_program *prog = NULL;
        if (cfg->load_machine) {
            prog = cfg->load_machine(cfg->load_machine_ud, arn, path, err);
        } else {
            const aslrt_child *c = compiled_from(cfg, path);
            if (c) {
                prog = program_of(c->machine, err);
            } else {
                char *m = aslrtp_strdupf("the state machine '%s' (definition '%s') is not "
                                         "compiled into this workflow binary: build it with "
                                         "aslc build --state-machines DIR or --bindings FILE "
                                         "naming that definition",
                                         arn, path);
                aslrt_error_set(err, "aslc.StateMachineNotCompiled", m);
                free(m);
            }
        }
        free(path);
        return prog;
    }
    for (int i = 0; i < cfg->nchildren; i++) {
        const aslrt_child *c = &cfg->children[i];
        if (strcmp(c->key, arn) == 0 || (here && strcmp(c->key, a->name) == 0))
            return program_of(c->machine, err);
    }
    *missing = true;
    return NULL;
}

/* ---- Child executions --------------------------------------------------- */

/* One nested execution, from its start until it has been waited for. */
typedef struct child {
    const aslrt_program *prog;
    aslrt_config cfg;           /* the parent's, made the child's */
    char *name, *sm_name, *region, *account;
    char *exec_arn, *sm_arn;
    json_t *input;
    char *input_text;           /* the input as StartExecution was given it */
    long long start_ms, stop_ms; /* execution clock */
    long long ended_ms;         /* the child's clock at its last event (.sync), 0: unknown */
    long long real_start;       /* monotonic */
    volatile int abort;         /* set by a waiting parent to stop the child */
    int status;                 /* once done: ASLRT_SUCCEEDED, ... */
    json_t *output;
    aslrt_error error;
    int done;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    void *host;                 /* the server's handle (cfg->executions), or NULL */
    const aslrt_executions *hx;
    struct child *next;         /* in the background set */
} child;

static void child_free(child *c)
{
    if (c->host)
        c->hx->release(c->hx->ud, c->host);
    free(c->name);
    free(c->sm_name);
    free(c->region);
    free(c->account);
    free(c->exec_arn);
    free(c->sm_arn);
    free(c->input_text);
    json_decref(c->input);
    json_decref(c->output);
    aslrt_error_clear(&c->error);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
}

/* The events of a .sync child, as they come, for the time of its last:
 * the child's clock, on which skipped and scaled waits have passed.  The
 * events are not kept (doc/behaviour.md §33). */
static void child_event(void *ud, const json_t *event)
{
    child *c = ud;
    c->ended_ms = (long long)json_integer_value(json_object_get(event, "timestamp"));
}

static void *child_main(void *arg)
{
    child *c = arg;
    json_t *out = NULL;
    aslrt_error e = {NULL, NULL};
    int status = aslrt_execute(c->prog, &c->cfg, c->input, &out, &e);
    /* Without its history, the child's clock went as far as the real time
     * it took, in the parent's clock mode. */
    double real = (double)(aslrtp_mono_ms() - c->real_start);
    double virt = c->cfg.wait_mode == ASLRT_WAIT_SCALE && c->cfg.wait_scale > 0
                      ? real / c->cfg.wait_scale
                      : real;
    pthread_mutex_lock(&c->mu);
    c->status = status;
    c->output = out;
    c->error = e;
    c->stop_ms = c->ended_ms >= c->start_ms ? c->ended_ms : c->start_ms + (long long)virt;
    c->done = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* The background set: children nobody waits for until the top execution
 * ends. */
typedef struct background {
    aslrtp_background base;     /* first: exec.c sees only this */
    pthread_mutex_t mu;
    child *list;
} background;

static void background_finish(aslrtp_background *bg)
{
    background *b = (background *)bg;
    for (;;) {
        pthread_mutex_lock(&b->mu);
        child *c = b->list;
        if (c)
            b->list = c->next;
        pthread_mutex_unlock(&b->mu);
        if (!c)
            break;
        pthread_join(c->thread, NULL);
        child_free(c);
    }
    pthread_mutex_destroy(&b->mu);
    free(b);
}

/* The execution's background set, made on first use (branches and
 * iterations may get here at once: one set wins). */
static background *background_of(aslrt_exec *ex)
{
    aslrtp_background *bg = __atomic_load_n(ex->background, __ATOMIC_ACQUIRE);
    if (!bg) {
        background *mine = aslrtp_calloc(1, sizeof *mine);
        mine->base.finish = background_finish;
        pthread_mutex_init(&mine->mu, NULL);
        aslrtp_background *expected = NULL;
        if (__atomic_compare_exchange_n(ex->background, &expected, &mine->base, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            bg = &mine->base;
        } else {
            pthread_mutex_destroy(&mine->mu);
            free(mine);
            bg = expected;
        }
    }
    return (background *)bg;
}

/* The child's input from the Input parameter (doc/behaviour.md §26.2):
 * none or null is {}, a string is the JSON it holds, anything else is
 * itself.  NULL with err filled when a string holds no JSON. */
static json_t *child_input(json_t *params, bool sdk, char **text, aslrt_error *err)
{
    json_t *v = json_object_get(params, "Input");
    if (!v || json_is_null(v)) {
        *text = aslrtp_strdup("{}");
        return json_object();
    }
    if (!json_is_string(v)) {
        *text = aslrt_json_dumps(v);
        return json_incref(v);
    }
    json_error_t je;
    json_t *in = aslrtp_json_loads(json_string_value(v), json_string_length(v), &je);
    if (!in) {
        char *m = aslrtp_strdupf("Invalid State Machine Execution Input: '%s'", je.text);
        service_error(err, sdk, "InvalidExecutionInput", m);
        free(m);
        return NULL;
    }
    *text = aslrtp_strdup(json_string_value(v));
    return in;
}

/* The name at the end of an execution ARN (…:execution:MACHINE:NAME). */
static char *name_of_execution(const char *arn)
{
    const char *e = strstr(arn, ":execution:");
    const char *colon = e ? strchr(e + 11, ':') : NULL;
    return aslrtp_strdup(colon ? colon + 1 : arn);
}

/* The child as an execution of the server (cfg->executions): it runs
 * there, seen by the server's API like any other (doc/behaviour.md §29.8). */
static child *host_start(aslrt_exec *ex, json_t *params, bool sdk, const char *arn,
                         const sm_arn *a, aslrt_error *err)
{
    const aslrt_executions *hx = ex->cfg->executions;
    char *text = NULL;
    json_t *input = child_input(params, sdk, &text, err);
    if (!input)
        return NULL;
    const char *name = json_string_value(json_object_get(params, "Name"));
    char *exec_arn = NULL;
    long long start_ms = 0;
    aslrt_error e = {NULL, NULL};
    void *h = hx->start(hx->ud, arn, name, text, &exec_arn, &start_ms, &e);
    if (!h) {
        service_error(err, sdk, e.error ? e.error : "StateMachineDoesNotExist",
                      e.cause ? e.cause : "");
        aslrt_error_clear(&e);
        json_decref(input);
        free(text);
        return NULL;
    }
    child *c = aslrtp_calloc(1, sizeof *c);
    c->host = h;
    c->hx = hx;
    c->input = input;
    c->input_text = text;
    c->exec_arn = exec_arn;
    c->name = name_of_execution(exec_arn);
    c->sm_name = aslrtp_strdup(a->name);
    c->region = aslrtp_strdup(a->region);
    c->account = aslrtp_strdup(a->account);
    c->sm_arn = aslrtp_strdupf("arn:%s:states:%s:%s:stateMachine:%s", a->partition, a->region,
                               a->account, a->name);
    c->start_ms = start_ms;
    c->real_start = aslrtp_mono_ms();
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    return c;
}

/* Asks the server whether its child has ended (at most wait_ms); its end
 * is then in c. */
static bool host_ended(child *c, double wait_ms)
{
    char *output = NULL;
    aslrt_error e = {NULL, NULL};
    long long stop = 0;
    int status;
    if (!c->hx->wait(c->hx->ud, c->host, wait_ms, &status, &output, &e, &stop))
        return false;
    json_error_t je;
    c->status = status;
    c->output = output ? aslrtp_json_loads(output, strlen(output), &je) : NULL;
    if (status == ASLRT_SUCCEEDED && !c->output)
        c->output = json_null();
    c->error = e;
    c->stop_ms = c->ended_ms = stop;
    c->done = 1;
    free(output);
    return true;
}

/* Starts the child of the current Task (params borrowed).  wait: the
 * parent waits for it, and may abort it. */
static child *child_start(aslrt_exec *ex, json_t *params, bool sdk, bool wait, aslrt_error *err)
{
    const char *arn = json_string_value(json_object_get(params, "StateMachineArn"));
    if (!json_is_object(params) || !arn) {
        bad_parameters(params, "StateMachineArn", err);
        return NULL;
    }
    sm_arn a;
    if (!sm_arn_parse(arn, &a)) {
        char *m = aslrtp_strdupf("Invalid Arn: 'Resource type not valid in this context: %s'",
                                 arn);
        service_error(err, sdk, "InvalidArn", m);
        free(m);
        return NULL;
    }
    if (ex->cfg->executions) {
        child *c = host_start(ex, params, sdk, arn, &a, err);
        sm_arn_free(&a);
        return c;
    }
    bool missing;
    const aslrt_program *prog = find_program(ex, arn, &a, &missing, err);
    if (!prog) {
        if (missing) {
            char *m = aslrtp_strdupf("State Machine Does Not Exist: '%s'", arn);
            service_error(err, sdk, "StateMachineDoesNotExist", m);
            free(m);
        }
        sm_arn_free(&a);
        return NULL;
    }
    char *text = NULL;
    json_t *input = child_input(params, sdk, &text, err);
    if (!input) {
        sm_arn_free(&a);
        return NULL;
    }
    child *c = aslrtp_calloc(1, sizeof *c);
    c->prog = prog;
    c->input = input;
    c->input_text = text;
    const char *name = json_string_value(json_object_get(params, "Name"));
    c->name = name ? aslrtp_strdup(name) : aslrtp_ex_uuid();
    c->sm_name = a.name;
    c->region = a.region;
    c->account = a.account;
    c->sm_arn = aslrtp_strdupf("arn:%s:states:%s:%s:stateMachine:%s", a.partition, a.region,
                               a.account, a.name);
    c->exec_arn = aslrtp_strdupf("arn:%s:states:%s:%s:execution:%s:%s", a.partition, a.region,
                                 a.account, a.name, c->name);
    free(a.partition);
    c->start_ms = aslrtp_ex_clock_ms(ex);
    c->real_start = aslrtp_mono_ms();
    /* The child's configuration: its own names and start, the parent's
     * answers, clock mode and state machines (doc/behaviour.md §26.2). */
    const aslrt_config *pc = ex->cfg;
    aslrt_config_init(&c->cfg);
    c->cfg.bindings = pc->bindings;
    c->cfg.execution_name = c->name;
    c->cfg.state_machine_name = c->sm_name;
    c->cfg.wait_mode = pc->wait_mode;
    c->cfg.wait_scale = pc->wait_scale;
    c->cfg.region = c->region;
    c->cfg.account = c->account;
    c->cfg.start_time_ms = c->start_ms;
    c->cfg.abort_flag = wait ? &c->abort : pc->abort_flag;
    c->cfg.abort_reason = wait ? NULL : pc->abort_reason;
    c->cfg.activity = pc->activity;
    c->cfg.activity_ud = pc->activity_ud;
    if (wait) {
        /* Its clock's end moves the parent's on (doc/behaviour.md §26.2). */
        c->cfg.history_event = child_event;
        c->cfg.history_event_ud = c;
    }
    c->cfg.threads = pc->threads;
    c->cfg.payload_limit = pc->payload_limit;
    c->cfg.s3_root = pc->s3_root;
    c->cfg.state_machines_dir = pc->state_machines_dir;
    c->cfg.load_machine = pc->load_machine;
    c->cfg.load_machine_ud = pc->load_machine_ud;
    c->cfg.children = pc->children;
    c->cfg.nchildren = pc->nchildren;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    int rc = aslrtp_thread_create(&c->thread, false, child_main, c);
    if (rc != 0) {
        char *m = aslrtp_strdupf("cannot start the nested execution '%s': %s", c->exec_arn,
                                 strerror(rc));
        aslrt_error_set(err, ASLRTP_ERR_RUNTIME, m);
        free(m);
        child_free(c);
        return NULL;
    }
    if (!wait) {
        background *b = background_of(ex);
        pthread_mutex_lock(&b->mu);
        c->next = b->list;
        b->list = c;
        pthread_mutex_unlock(&b->mu);
    }
    return c;
}

/* How a .sync wait ended, besides the child's own end. */
enum { WAIT_DONE, WAIT_STOPPED, WAIT_TIMED_OUT };

/* Waits until the child has ended: when the parent is aborted or
 * cancelled, or when limit_ms (real time, < 0: none) has passed, stops it
 * (stop) or stops waiting. */
static int child_until_done(aslrt_exec *ex, child *c, double limit_ms, bool stop)
{
    int why = WAIT_DONE;
    if (c->host) {
        bool stopped = false;
        while (!host_ended(c, 100)) {
            if (why == WAIT_DONE && aslrtp_ex_abort_requested(ex))
                why = WAIT_STOPPED;
            else if (why == WAIT_DONE && limit_ms >= 0 &&
                     (double)(aslrtp_mono_ms() - c->real_start) >= limit_ms)
                why = WAIT_TIMED_OUT;
            if (why != WAIT_DONE && !stop)
                break;
            if (why != WAIT_DONE && !stopped) {
                c->hx->stop(c->hx->ud, c->host, NULL, NULL);
                stopped = true;
            }
        }
        return why;
    }
    pthread_mutex_lock(&c->mu);
    while (!c->done) {
        if (why == WAIT_DONE && aslrtp_ex_abort_requested(ex))
            why = WAIT_STOPPED;
        else if (why == WAIT_DONE && limit_ms >= 0 &&
                 (double)(aslrtp_mono_ms() - c->real_start) >= limit_ms)
            why = WAIT_TIMED_OUT;
        if (why != WAIT_DONE && !stop)
            break;
        if (why != WAIT_DONE)
            c->abort = 1;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&c->cv, &c->mu, &ts);
    }
    pthread_mutex_unlock(&c->mu);
    return why;
}

/* Waits for a .sync child, which it stops when the parent is aborted or
 * cancelled, or when timeout (seconds, 0: none; real time in the clock's
 * mode, none under --wait=skip) has passed. */
static int child_wait(aslrt_exec *ex, child *c, double timeout)
{
    const aslrt_config *pc = ex->cfg;
    double limit = -1;
    if (timeout > 0 && pc->wait_mode == ASLRT_WAIT_REAL)
        limit = timeout * 1000;
    else if (timeout > 0 && pc->wait_mode == ASLRT_WAIT_SCALE)
        limit = timeout * 1000 * pc->wait_scale;
    int why = child_until_done(ex, c, limit, true);
    if (!c->host)
        pthread_join(c->thread, NULL);
    return why;
}

/* ---- Response shapes (doc/behaviour.md §26.1) ---------------------------- */

/* StartExecution's response: {ExecutionArn, StartDate}, and for the
 * optimized integration the SDK's HTTP envelope. */
static json_t *start_response(const aslrt_exec *ex, const child *c, bool sdk)
{
    if (sdk) {
        char date[40];
        aslrtp_timestamp_format(c->start_ms, date, sizeof date);
        return json_pack("{s:s,s:s}", "ExecutionArn", c->exec_arn, "StartDate", date);
    }
    /* The HTTP body the service sent: its length is Content-Length, with
     * startDate as long as AWS writes it (doc/behaviour.md §26.1). */
    char body_date[40];
    snprintf(body_date, sizeof body_date, "%lld.%03lld0000", c->start_ms / 1000,
             c->start_ms % 1000);
    char *body = aslrtp_strdupf("{\"executionArn\":\"%s\",\"startDate\":%s}", c->exec_arn,
                                body_date);
    char clen[24];
    snprintf(clen, sizeof clen, "%zu", strlen(body));
    free(body);
    char *rid = aslrtp_ex_uuid();
    char date[64];
    time_t t = (time_t)(aslrtp_ex_clock_ms(ex) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    json_t *r = json_pack("{s:s,s:{s:{s:[s],s:[s],s:[s],s:[s],s:[s]},"
                          "s:{s:s,s:s,s:s,s:s,s:s},s:i},s:{s:s},s:I}",
                          "ExecutionArn", c->exec_arn, "SdkHttpMetadata", "AllHttpHeaders",
                          "x-amzn-RequestId", rid, "connection", "keep-alive", "Content-Length",
                          clen, "Date", date, "Content-Type", "application/x-amz-json-1.0",
                          "HttpHeaders", "connection", "keep-alive", "Content-Length", clen,
                          "Content-Type", "application/x-amz-json-1.0", "Date", date,
                          "x-amzn-RequestId", rid, "HttpStatusCode", 200, "SdkResponseMetadata",
                          "RequestId", rid, "StartDate", (json_int_t)c->start_ms);
    free(rid);
    return r;
}

/* DescribeExecution's shape of the ended child, members in AWS's
 * (alphabetical) order: Output and Input as JSON strings for .sync, as
 * JSON for .sync:2. */
static json_t *describe(const child *c, bool json)
{
    json_t *d = json_object();
    bool ok = c->status == ASLRT_SUCCEEDED;
    if (!ok && c->error.cause)
        json_object_set_new(d, "Cause", json_string(c->error.cause));
    if (!ok && c->error.error)
        json_object_set_new(d, "Error", json_string(c->error.error));
    json_object_set_new(d, "ExecutionArn", json_string(c->exec_arn));
    json_object_set_new(d, "Input", json ? json_incref(c->input) : json_string(c->input_text));
    json_object_set_new(d, "InputDetails", json_pack("{s:b}", "Included", 1));
    json_object_set_new(d, "Name", json_string(c->name));
    if (ok) {
        char *text = json ? NULL : aslrt_json_dumps(c->output);
        json_object_set_new(d, "Output", json ? json_incref(c->output) : json_string(text));
        free(text);
        json_object_set_new(d, "OutputDetails", json_pack("{s:b}", "Included", 1));
    }
    json_object_set_new(d, "RedriveCount", json_integer(0));
    json_object_set_new(d, "RedriveStatus", json_string(ok ? "NOT_REDRIVABLE" : "REDRIVABLE"));
    if (ok)
        json_object_set_new(d, "RedriveStatusReason",
                            json_string("Execution is SUCCEEDED and cannot be redriven"));
    json_object_set_new(d, "StartDate", json_integer(c->start_ms));
    json_object_set_new(d, "StateMachineArn", json_string(c->sm_arn));
    json_object_set_new(d, "Status", json_string(aslrtp_status_name(c->status)));
    json_object_set_new(d, "StopDate", json_integer(c->stop_ms));
    return d;
}

/* ---- The op's part ------------------------------------------------------ */

int aslrtp_nested_invoke(aslrt_exec *ex, json_t *params, double timeout, json_t **submitted,
                         json_t **out, aslrt_error *err)
{
    bool sdk;
    call c = call_of(ex->state->resource, &sdk);
    *submitted = NULL;
    if (c >= SEND_SUCCESS)
        return send_task(c, params, out, err);
    if (!machines_configured(ex->cfg))
        return unbound_start(ex, err);
    bool sync = c == START_SYNC || c == START_SYNC2;
    child *ch = child_start(ex, params, sdk, sync, err);
    if (!ch)
        return 0;
    json_t *started = start_response(ex, ch, sdk);
    if (!sync) {
        /* The child runs on; this is the task's result (or, for a
         * callback task, what TaskSubmitted shows).  Under --wait=skip a
         * callback task's timers expire at once unless its answer is in:
         * the child's time passes at once too, so it has answered (or
         * never will) once it has ended (doc/behaviour.md §26.2). */
        if (c == START_TOKEN && ex->cfg->wait_mode == ASLRT_WAIT_SKIP)
            child_until_done(ex, ch, -1, false);
        /* A server's child runs on there, nobody's to wait for here. */
        if (ch->host)
            child_free(ch);
        *out = started;
        return 1;
    }
    *submitted = started;
    int why = child_wait(ex, ch, timeout);
    /* The parent's clock is the child's at its end; a child that took
     * longer than the task may (its waits skipped) timed the task out. */
    if (ch->stop_ms > aslrtp_ex_clock_ms(ex))
        ex->skew_ms += ch->stop_ms - aslrtp_ex_clock_ms(ex);
    if (why == WAIT_DONE && timeout > 0 && (double)(ch->stop_ms - ch->start_ms) > timeout * 1000)
        why = WAIT_TIMED_OUT;
    int ok = 0;
    if (why == WAIT_TIMED_OUT) {
        aslrt_error_set(err, ASLRTP_ERR_TIMEOUT, NULL);
    } else if (why == WAIT_STOPPED) {
        aslrt_error_set(err, "aslc.Cancelled", "the task was stopped: its execution, branch or "
                                               "iteration was cancelled");
    } else if (ch->status == ASLRT_SUCCEEDED) {
        *out = describe(ch, c == START_SYNC2);
        ok = 1;
    } else {
        /* doc/behaviour.md §26.1: States.TaskFailed, the description as
         * Cause. */
        json_t *d = describe(ch, c == START_SYNC2);
        char *cause = aslrt_json_dumps(d);
        aslrt_error_set(err, ASLRTP_ERR_TASK_FAILED, cause);
        free(cause);
        json_decref(d);
    }
    child_free(ch);
    return ok;
}

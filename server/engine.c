/*
 * engine.c - what the API's actions stand on: definitions checked with the
 * compiler's diagnostics, state machines compiled once per revision by the
 * in-memory backend, and executions run by the runtime on threads, each
 * recorded in the store (store.c) before anything about it is reported.
 *
 * Model.  A state machine's code is compiled when it is created or
 * updated (srv_compile) and kept, with a reference count, under its ARN
 * and revision; an execution holds a reference for its whole run, so an
 * update or a delete never pulls code from under a running execution.
 * After a restart the code of a stored state machine is compiled again on
 * its first execution.
 *
 * An execution is a `run`: its document (DescribeExecution's shape, the
 * dates in milliseconds) goes into the store as RUNNING when it is
 * started, then the runtime runs it (aslrt_execute) on a thread of its
 * own, at most max_running at once (the others wait in a queue, RUNNING
 * for the API as on AWS), and its end (status, output or error and cause,
 * and its history) is written in one transaction.  StopExecution sets the
 * run's abort flag and reason: the runtime stops at its next state or wait
 * (doc/behaviour.md §29).  Express executions are not stored, as AWS keeps
 * none: StartSyncExecution answers with the end, StartExecution of an
 * Express machine runs in the background.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "aslrt_private.h"
#include "ast.h"
#include "backend.h"
#include "children.h"
#include "config.h"
#include "ir.h"
#include "server.h"
#include "unit.h"

/* ---- The server ---------------------------------------------------------- */

typedef struct compiled compiled;
typedef struct run run;

/* An activity task waiting for a worker (GetActivityTask). */
typedef struct act_task {
    struct run *run;            /* the execution waiting, a reference held */
    char *activity_arn;
    char *token;
    char *input;
    struct act_task *next;
} act_task;

struct srv {
    srv_options o;              /* strings owned (copied) */
    srv_store *store;
    aslrt_bindings *bindings;
    pthread_mutex_t mu;         /* the lists below */
    pthread_cond_t cv;          /* a run ended */
    compiled *code;
    run *runs;                  /* running and queued */
    int running;                /* runs on a thread */
    bool closing;
    int lock_fd;                /* DIR/aslc.lock, held while serving; -1: none */
    act_task *tasks;            /* activity tasks, oldest first (under mu) */
    aslrt_executions nested;    /* what states:startExecution starts */
    pthread_cond_t task_cv;     /* a task was queued, or the server closes */
};

static void *nested_start(void *ud, const char *sm_arn, const char *name, const char *input,
                          char **exec_arn, long long *start_ms, aslrt_error *err);
static int nested_wait(void *ud, void *handle, double wait_ms, int *status, char **output,
                       aslrt_error *err, long long *stop_ms);
static void nested_stop(void *ud, void *handle, const char *error, const char *cause);
static void nested_release(void *ud, void *handle);

long long srv_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const srv_options *srv_opts(const srv *s)
{
    return &s->o;
}

srv_store *srv_store_of(const srv *s)
{
    return s->store;
}

const aslrt_bindings *srv_bindings(const srv *s)
{
    return s->bindings;
}

static char *dup_or_null(const char *v)
{
    return v ? aslrtp_strdup(v) : NULL;
}

srv *srv_create(const srv_options *o, char **err)
{
    srv *s = aslrtp_calloc(1, sizeof *s);
    s->lock_fd = -1;
    s->o = *o;
    s->o.host = dup_or_null(o->host);
    s->o.port_file = dup_or_null(o->port_file);
    s->o.data = dup_or_null(o->data);
    s->o.bindings = dup_or_null(o->bindings);
    s->o.lambda = dup_or_null(o->lambda);
    s->o.mock_config = dup_or_null(o->mock_config);
    s->o.region = aslrtp_strdup(o->region ? o->region : "us-east-1");
    s->o.account = aslrtp_strdup(o->account ? o->account : "123456789012");
    s->o.access_key = dup_or_null(o->access_key);
    s->o.secret_key = dup_or_null(o->secret_key);
    if (s->o.max_running <= 0)
        s->o.max_running = 64;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_cond_init(&s->task_cv, NULL);
    s->nested = (aslrt_executions){nested_start, nested_wait, nested_stop, nested_release, s};
    s->bindings = aslrt_bindings_create();
    if (o->bindings) {
        aslrt_error e = {NULL, NULL};
        if (!aslrt_bindings_load_file(s->bindings, o->bindings, &e)) {
            *err = aslrtp_strdup(e.cause ? e.cause : "the bindings file cannot be read");
            aslrt_error_clear(&e);
            srv_destroy(s);
            return NULL;
        }
    }
    /* Lambda Tasks that no binding answers go to the Lambda endpoint
     * (doc/behaviour.md §29.6). */
    static const char *const lambda_patterns[] = {"arn:aws:lambda:*",
                                                  "arn:aws:states:::lambda:invoke*"};
    for (size_t i = 0; o->lambda && i < 2; i++) {
        char *why = NULL;
        if (!aslrtp_bindings_add_http(s->bindings, lambda_patterns[i], o->lambda, &why)) {
            *err = aslrtp_strdupf("the Lambda endpoint '%s': %s", o->lambda,
                                  why ? why : "not a URL");
            free(why);
            srv_destroy(s);
            return NULL;
        }
    }
    s->store = srv_store_open(o->data, err);
    if (!s->store) {
        srv_destroy(s);
        return NULL;
    }
    /* One server per directory: a second would fail the first's running
     * executions as left by a dead server. */
    if (o->data) {
        char *path = aslrtp_strdupf("%s/aslc.lock", o->data);
        s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (s->lock_fd < 0 || flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
            *err = s->lock_fd < 0
                       ? aslrtp_strdupf("cannot open '%s': %s", path, strerror(errno))
                       : aslrtp_strdupf("another aslc serve is using '%s' (it holds '%s')",
                                        o->data, path);
            free(path);
            srv_store_close(s->store);
            s->store = NULL;
            srv_destroy(s);
            return NULL;
        }
        free(path);
    }
    /* Executions a server that died left running (doc/behaviour.md §29). */
    if (srv_store_recover(s->store, srv_now_ms(), "aslc.ServerStopped",
                          "The server stopped while the execution was running: it did not "
                          "finish, and was not resumed.",
                          err) < 0) {
        srv_destroy(s);
        return NULL;
    }
    return s;
}

/* ---- Definitions: checked and compiled ----------------------------------- */

/* A diagnostic's JSON pointer in AWS's location style: /States/C/Choices[0]/Next. */
static char *aws_location(const char *ptr)
{
    if (!ptr || !*ptr)
        return aslrtp_strdup("/");
    size_t n = strlen(ptr);
    char *out = aslrtp_malloc(n * 2 + 3);
    size_t o = 0;
    const char *p = ptr;
    while (*p == '/') {
        const char *seg = ++p;
        while (*p && *p != '/')
            p++;
        size_t len = (size_t)(p - seg);
        bool digits = len > 0;
        for (size_t i = 0; i < len; i++)
            digits = digits && seg[i] >= '0' && seg[i] <= '9';
        if (digits && o > 0) {
            out[o++] = '[';
            memcpy(out + o, seg, len);
            o += len;
            out[o++] = ']';
        } else {
            out[o++] = '/';
            /* RFC 6901 escapes: ~1 is '/', ~0 is '~'. */
            for (size_t i = 0; i < len; i++) {
                if (seg[i] == '~' && i + 1 < len && (seg[i + 1] == '0' || seg[i + 1] == '1')) {
                    out[o++] = seg[i + 1] == '1' ? '/' : '~';
                    i++;
                } else {
                    out[o++] = seg[i];
                }
            }
        }
    }
    out[o] = '\0';
    return out;
}

/* Parses and checks text into *u; the machine, or NULL. */
static asl_machine *check_text(const char *text, bool express, asl_unit **u)
{
    *u = asl_unit_create("definition", text, strlen(text));
    asl_machine *m = asl_parse_machine(*u);
    if (m) {
        m->express = express;
        asl_validate_machine(*u, m);
        if ((*u)->diags.nerrors == 0)
            asl_validate_supported(*u, m, ASL_DIAG_ERROR);
    }
    return (*u)->diags.nerrors == 0 ? m : NULL;
}

/* The errors of a checked unit in ValidateStateMachineDefinition's shape. */
static json_t *diagnostics_of(asl_unit *u)
{
    asl_diag_sort(&u->diags, u->text, u->len);
    json_t *a = json_array();
    for (size_t i = 0; i < u->diags.n; i++) {
        const asl_diag *d = &u->diags.v[i];
        if (d->severity != ASL_DIAG_ERROR)
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "severity", json_string("ERROR"));
        json_object_set_new(o, "code", json_string(d->code ? d->code : "SCHEMA_VALIDATION_FAILED"));
        json_object_set_new(o, "message", json_string(d->message));
        if (d->anchor != ASL_AT_OFFSET) {
            char *loc = aws_location(d->pointer);
            json_object_set_new(o, "location", json_string(loc));
            free(loc);
        }
        json_array_append_new(a, o);
    }
    return a;
}

json_t *srv_validate(const char *definition, bool express)
{
    asl_unit *u = NULL;
    asl_machine *m = check_text(definition, express, &u);
    json_t *d = m ? NULL : diagnostics_of(u);
    asl_unit_destroy(u);
    return d;
}

char *srv_invalid_message(const json_t *diags)
{
    /* 'CODE: message at location, CODE: message at location' (doc/behaviour.md §29) */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return aslrtp_strdup("Invalid State Machine Definition");
    fputs("Invalid State Machine Definition: '", f);
    size_t i;
    json_t *d;
    json_array_foreach(diags, i, d) {
        const char *loc = json_string_value(json_object_get(d, "location"));
        fprintf(f, "%s%s: %s at %s", i ? ", " : "",
                json_string_value(json_object_get(d, "code")),
                json_string_value(json_object_get(d, "message")), loc ? loc : "null");
    }
    fputc('\'', f);
    fclose(f);
    return buf;
}

/* The code of one revision of a state machine. */
struct compiled {
    char *arn;
    char *revision;
    asl_compiled *mem;          /* its code and program */
    int refs;                   /* the table's and each run's (under s->mu) */
    bool current;               /* in the table */
    compiled *next;
};

static void compiled_free(compiled *c)
{
    asl_compiled_destroy(c->mem);
    free(c->arn);
    free(c->revision);
    free(c);
}

/* Drops a reference (s->mu held). */
static void compiled_release(compiled *c)
{
    if (--c->refs == 0)
        compiled_free(c);
}

/* Compiles the definition of doc; NULL with f set. */
static compiled *compile_doc(srv *s, const json_t *doc, srv_fault *f)
{
    const char *text = json_string_value(json_object_get(doc, "definition"));
    const char *name = json_string_value(json_object_get(doc, "name"));
    bool express = strcmp(json_string_value(json_object_get(doc, "type")) ?: "", "EXPRESS") == 0;
    asl_unit *u = NULL;
    asl_machine *m = check_text(text ? text : "", express, &u);
    if (!m) {
        json_t *d = diagnostics_of(u);
        char *msg = srv_invalid_message(d);
        srv_fault_set(f, 400, "InvalidDefinition", "%s", msg);
        free(msg);
        json_decref(d);
        asl_unit_destroy(u);
        return NULL;
    }
    compiled *c = aslrtp_calloc(1, sizeof *c);
    c->arn = aslrtp_strdup(json_string_value(json_object_get(doc, "stateMachineArn")));
    c->revision = aslrtp_strdup(json_string_value(json_object_get(doc, "revisionId")) ?: "");
    static unsigned long counter;
    char prefix[48];
    snprintf(prefix, sizeof prefix, "aslc_serve_%lu",
             __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
    asl_cfg *cfg = asl_lower_machine(u, m, name ? name : "machine");
    char *why = NULL;
    c->mem = asl_compile_memory(cfg, prefix, s->o.llvm, &why);
    asl_unit_destroy(u);
    if (!c->mem) {
        /* Valid, yet not compiled: aslc's fault, never the user's. */
        srv_fault_set(f, 500, "InternalFailure", "aslc cannot compile this state machine: %s",
                      why ? why : "unknown error");
        free(why);
        compiled_free(c);
        return NULL;
    }
    free(why);
    c->refs = 1;
    return c;
}

bool srv_compile(srv *s, const json_t *doc, srv_fault *f)
{
    compiled *c = compile_doc(s, doc, f);
    if (!c)
        return false;
    pthread_mutex_lock(&s->mu);
    /* The new revision replaces the old in the table. */
    for (compiled **p = &s->code; *p; p = &(*p)->next) {
        if (strcmp((*p)->arn, c->arn) == 0) {
            compiled *old = *p;
            *p = old->next;
            old->current = false;
            compiled_release(old);
            break;
        }
    }
    c->current = true;
    c->next = s->code;
    s->code = c;
    pthread_mutex_unlock(&s->mu);
    return true;
}

void srv_forget(srv *s, const char *machine_arn)
{
    pthread_mutex_lock(&s->mu);
    for (compiled **p = &s->code; *p; p = &(*p)->next) {
        if (strcmp((*p)->arn, machine_arn) == 0) {
            compiled *old = *p;
            *p = old->next;
            old->current = false;
            compiled_release(old);
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
}

/* The code of the state machine doc's revision, a reference taken;
 * compiled now if it is not in the table (after a restart). */
static compiled *code_of(srv *s, const json_t *doc, srv_fault *f)
{
    const char *arn = json_string_value(json_object_get(doc, "stateMachineArn"));
    const char *rev = json_string_value(json_object_get(doc, "revisionId")) ?: "";
    for (int attempt = 0; attempt < 2; attempt++) {
        pthread_mutex_lock(&s->mu);
        for (compiled *c = s->code; c; c = c->next) {
            if (strcmp(c->arn, arn) == 0 && strcmp(c->revision, rev) == 0) {
                c->refs++;
                pthread_mutex_unlock(&s->mu);
                return c;
            }
        }
        pthread_mutex_unlock(&s->mu);
        if (attempt == 0 && !srv_compile(s, doc, f))
            return NULL;
    }
    srv_fault_set(f, 500, "InternalFailure", "the state machine '%s' was updated meanwhile", arn);
    return NULL;
}

/* ---- Executions ----------------------------------------------------------- */

struct run {
    srv *s;
    compiled *code;
    json_t *doc;                /* DescribeExecution's shape, dates in ms */
    json_t *input;
    aslrt_mocks *mocks;
    bool express, sync;
    volatile int abort;
    aslrt_error reason;         /* StopExecution's error and cause */
    pthread_mutex_t hmu;        /* pending, last_ms: the sink against flushes */
    json_t *pending;            /* history events not yet in the store */
    long long last_ms;          /* the time of the last event */
    int workers_seen;           /* ActivityStarted events so far */
    bool closed;                /* its history has ended */
    pthread_cond_t hcv;         /* one more was seen, or the run ended */
    bool started;               /* on a thread */
    bool done;                  /* its end is in doc (and the store) */
    bool reported;              /* stopped by srv_stop before it ended */
    int refs;                   /* the thread's, and each waiter's (under s->mu) */
    bool ending;                /* the thread is recording its end */
    pthread_t thread;
    run *next;
};

static void run_free(run *r)
{
    json_decref(r->doc);
    json_decref(r->input);
    json_decref(r->pending);
    pthread_mutex_destroy(&r->hmu);
    pthread_cond_destroy(&r->hcv);
    aslrt_mocks_destroy(r->mocks);
    aslrt_error_clear(&r->reason);
    free(r);
}

/* Drops a reference (s->mu held). */
static void run_unref(run *r)
{
    if (--r->refs == 0)
        run_free(r);
}

/* Takes r out of the list of runs (s->mu held). */
static void unlist(srv *s, run *r)
{
    for (run **p = &s->runs; *p; p = &(*p)->next)
        if (*p == r) {
            *p = r->next;
            break;
        }
}

/* Events go to the store in batches of this many, at the end, and
 * whenever the API is about to report them (srv_flush_history). */
#define FLUSH_EVENTS 128

/* Appends the pending events to the store (r->hmu held). */
static void flush(run *r)
{
    if (json_array_size(r->pending) == 0)
        return;
    char *err = NULL;
    if (srv_store_events_append(r->s->store,
                                json_string_value(json_object_get(r->doc, "executionArn")),
                                r->pending, &err) != SRV_OK) {
        fprintf(stderr, "aslc serve: cannot record the history of %s: %s\n",
                json_string_value(json_object_get(r->doc, "executionArn")), err ? err : "");
        free(err);
        return;     /* kept: the end tries again */
    }
    json_array_clear(r->pending);
}

/* The runtime's live history (doc/behaviour.md §31.1): each final event. */
static void on_event(void *ud, const json_t *event)
{
    run *r = ud;
    pthread_mutex_lock(&r->hmu);
    /* ExecutionStarted went into the store with the execution. */
    if (!r->reported && json_integer_value(json_object_get(event, "id")) != 1) {
        if (strcmp(json_string_value(json_object_get(event, "type")) ?: "", "ActivityStarted") ==
            0) {
            r->workers_seen++;
            pthread_cond_broadcast(&r->hcv);
        }
        json_array_append_new(r->pending, json_deep_copy(event));
        r->last_ms = json_integer_value(json_object_get(event, "timestamp"));
        if (json_array_size(r->pending) >= FLUSH_EVENTS)
            flush(r);
    }
    pthread_mutex_unlock(&r->hmu);
}

/* ---- Activities (doc/behaviour.md §31.3) ---------------------------------- */

static void run_unref(run *r);

/* Frees a task and its reference to the run (s->mu held). */
static void task_free(act_task *t)
{
    run_unref(t->run);
    free(t->activity_arn);
    free(t->token);
    free(t->input);
    free(t);
}

/* The runtime's activity hook: the task waits in the queue for a worker;
 * an activity that does not exist fails the state as on AWS. */
static int on_activity(void *ud, const char *activity_arn, const char *input,
                       const char *task_token, aslrt_error *err)
{
    run *r = ud;
    srv *s = r->s;
    json_t *a = srv_store_get(s->store, SRV_ACTIVITY, activity_arn);
    if (!a) {
        char *m = aslrtp_strdupf("The activity %s does not exist.", activity_arn);
        aslrt_error_set(err, "States.Runtime", m);
        free(m);
        return 0;
    }
    json_decref(a);
    act_task *t = aslrtp_calloc(1, sizeof *t);
    t->activity_arn = aslrtp_strdup(activity_arn);
    t->token = aslrtp_strdup(task_token);
    t->input = aslrtp_strdup(input ? input : "{}");
    pthread_mutex_lock(&s->mu);
    t->run = r;
    r->refs++;
    act_task **p = &s->tasks;
    while (*p)
        p = &(*p)->next;
    *p = t;
    pthread_cond_broadcast(&s->task_cv);
    pthread_mutex_unlock(&s->mu);
    return 1;
}

json_t *srv_activity_poll(srv *s, const char *activity_arn, const char *worker, double wait_s)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)wait_s;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        act_task *t = NULL;
        for (act_task **p = &s->tasks; *p; p = &(*p)->next)
            if (strcmp((*p)->activity_arn, activity_arn) == 0) {
                t = *p;
                *p = t->next;
                break;
            }
        if (t) {
            /* Taken: the execution records ActivityStarted, which the
             * history shows once the worker has the task.  A task whose
             * execution stopped, or timed out, meanwhile is dropped. */
            pthread_mutex_unlock(&s->mu);
            run *r = t->run;
            pthread_mutex_lock(&r->hmu);
            int seen = r->workers_seen;
            pthread_mutex_unlock(&r->hmu);
            aslrt_error e = {NULL, NULL};
            int ok = aslrt_activity_started(t->token, worker, &e);
            aslrt_error_clear(&e);
            json_t *answer = NULL;
            if (ok) {
                struct timespec until;
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_sec += 10;
                pthread_mutex_lock(&r->hmu);
                while (r->workers_seen == seen && !r->closed &&
                       pthread_cond_timedwait(&r->hcv, &r->hmu, &until) != ETIMEDOUT)
                    ;
                pthread_mutex_unlock(&r->hmu);
                answer = json_pack("{s:s,s:s}", "taskToken", t->token, "input", t->input);
            }
            pthread_mutex_lock(&s->mu);
            task_free(t);
            if (answer) {
                pthread_mutex_unlock(&s->mu);
                return answer;
            }
            continue;
        }
        if (s->closing ||
            pthread_cond_timedwait(&s->task_cv, &s->mu, &until) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&s->mu);
    return json_object();
}

static void *run_main(void *arg);

/* Starts queued runs while there is room (s->mu held). */
static void dispatch(srv *s)
{
    for (run *r = s->runs; r && s->running < s->o.max_running; r = r->next) {
        if (r->started)
            continue;
        r->started = true;
        int rc = aslrtp_thread_create(&r->thread, true, run_main, r);
        if (rc != 0) {
            /* No thread now: it waits for the next run to end. */
            r->started = false;
            break;
        }
        s->running++;
    }
}

/* Writes the end of r into its document and the store. */
static void record_end(run *r, int status, json_t *out, const aslrt_error *e)
{
    srv *s = r->s;
    json_t *d = r->doc;
    /* The execution's own clock (skipped or scaled waits): its last event. */
    long long stop = r->last_ms > 0 ? r->last_ms : srv_now_ms();
    json_object_set_new(d, "status", json_string(aslrtp_status_name(status)));
    json_object_set_new(d, "stopDate", json_integer(stop));
    if (status == ASLRT_SUCCEEDED) {
        char *text = aslrt_json_dumps(out);
        json_object_set_new(d, "output", json_string(text));
        json_object_set_new(d, "outputDetails", json_pack("{s:b}", "included", 1));
        free(text);
    } else {
        if (e && e->error)
            json_object_set_new(d, "error", json_string(e->error));
        if (e && e->cause)
            json_object_set_new(d, "cause", json_string(e->cause));
    }
    if (!r->express) {
        char *err = NULL;
        if (srv_store_exec_update(s->store, d, r->pending, &err) != SRV_OK) {
            fprintf(stderr, "aslc serve: cannot record the end of %s: %s\n",
                    json_string_value(json_object_get(d, "executionArn")), err ? err : "");
            free(err);
        }
        json_array_clear(r->pending);
    }
}

/* Field i (0-based, counted after "arn:") of an ARN: partition, service,
 * region, account, ...  Malloc'd; "" when missing. */
static char *arn_field(const char *arn, int i)
{
    const char *p = arn;
    for (int k = 0; k <= i && p; k++) {
        p = strchr(p, ':');
        if (p)
            p++;
    }
    if (!p)
        return aslrtp_strdup("");
    size_t n = strcspn(p, ":");
    char *f = aslrtp_malloc(n + 1);
    memcpy(f, p, n);
    f[n] = '\0';
    return f;
}

static void *run_main(void *arg)
{
    run *r = arg;
    srv *s = r->s;
    /* The execution is in its state machine's region and account. */
    const char *sm_arn = json_string_value(json_object_get(r->doc, "stateMachineArn"));
    char *region = arn_field(sm_arn, 2), *account = arn_field(sm_arn, 3);
    aslrt_config cfg;
    aslrt_config_init(&cfg);
    cfg.bindings = s->bindings;
    cfg.mocks = r->mocks;
    cfg.execution_name = json_string_value(json_object_get(r->doc, "name"));
    cfg.state_machine_name = json_string_value(json_object_get(r->doc, "_machineName"));
    cfg.region = *region ? region : s->o.region;
    cfg.account = *account ? account : s->o.account;
    cfg.start_time_ms = json_integer_value(json_object_get(r->doc, "startDate"));
    cfg.abort_flag = &r->abort;
    cfg.wait_mode = s->o.wait_mode;
    cfg.wait_scale = s->o.wait_scale;
    cfg.express = r->express;
    cfg.sync = r->sync;
    if (!r->express) {
        cfg.history_event = on_event;
        cfg.history_event_ud = r;
    }
    cfg.abort_reason = &r->reason;
    cfg.execution_arn = json_string_value(json_object_get(r->doc, "executionArn"));
    cfg.role_arn =
        json_string_value(json_object_get(json_object_get(r->doc, "_machine"), "roleArn"));
    cfg.activity = on_activity;
    cfg.activity_ud = r;
    cfg.executions = &s->nested;
    json_t *out = NULL;
    aslrt_error e = {NULL, NULL};
    int status = aslrt_execute(asl_compiled_program(r->code->mem), &cfg, r->input, &out, &e);
    free(region);
    free(account);
    pthread_mutex_lock(&s->mu);
    bool reported = r->reported;
    r->ending = !reported;
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_lock(&r->hmu);
    if (!reported)
        record_end(r, status, out, &e);
    r->closed = true;
    pthread_cond_broadcast(&r->hcv);
    pthread_mutex_unlock(&r->hmu);
    json_decref(out);
    aslrt_error_clear(&e);
    pthread_mutex_lock(&s->mu);
    r->done = true;
    s->running--;
    compiled_release(r->code);
    r->code = NULL;
    unlist(s, r);
    dispatch(s);
    pthread_cond_broadcast(&s->cv);
    run_unref(r);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Names of state machines, executions and activities: 1 to 80 characters
 * (as AWS counts them, in UTF-16 units: "é" is one), no white space,
 * brackets, wildcards, special or control characters (U+0000 to U+001F,
 * U+007F to U+009F). */
bool srv_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || aslrtp_utf16_length(name, n) > 80)
        return false;
    for (size_t i = 0; i < n;) {
        uint32_t c = aslrtp_utf8_next(name, n, 0, &i);
        if (c <= 0x20 || (c >= 0x7f && c <= 0x9f) ||
            (c < 0x80 && strchr("<>{}[]?*\"#%\\^|~`$&,;:/", (int)c)))
            return false;
    }
    return true;
}

static char *uuid(void)
{
    char u[ASLRTP_UUID_SIZE];
    aslrtp_uuid_v4(u);
    return aslrtp_strdup(u);
}

/* The response of StartSyncExecution from the ended run. */
static json_t *sync_response(const run *r)
{
    json_t *d = json_deep_copy(r->doc);
    json_object_del(d, "_machineName");
    json_object_del(d, "_machine");
    json_object_del(d, "redriveCount");
    json_object_del(d, "redriveStatus");
    long long ms = json_integer_value(json_object_get(d, "stopDate")) -
                   json_integer_value(json_object_get(d, "startDate"));
    /* Billed in 100 ms steps (at least one) of 64 MB, as AWS bills
     * Express executions. */
    if (ms < 100)
        ms = 100;
    json_object_set_new(d, "billingDetails",
                        json_pack("{s:I,s:I}", "billedMemoryUsedInMB", (json_int_t)64,
                                  "billedDurationInMilliseconds",
                                  (json_int_t)((ms + 99) / 100 * 100)));
    return d;
}

/* The run of a running execution, a reference taken (s->mu held); NULL
 * when it is not running. */
static run *running_run(srv *s, const char *exec_arn)
{
    for (run *r = s->runs; r; r = r->next)
        if (strcmp(json_string_value(json_object_get(r->doc, "executionArn")), exec_arn) == 0) {
            r->refs++;
            return r;
        }
    return NULL;
}

/* srv_start; with keep, *keep is the run, a reference taken for the
 * caller (a nested execution's parent). */
static bool start_run(srv *s, const json_t *sm, const char *name, const char *input,
                      const char *test_case, bool sync, json_t **out, run **keep, srv_fault *f)
{
    const char *sm_arn = json_string_value(json_object_get(sm, "stateMachineArn"));
    const char *sm_name = json_string_value(json_object_get(sm, "name"));
    bool express = strcmp(json_string_value(json_object_get(sm, "type")) ?: "", "EXPRESS") == 0;
    if (sync && !express) {
        srv_fault_set(f, 400, "StateMachineTypeNotSupported",
                      "This operation is not supported by this type of state machine");
        return false;
    }
    char *own_name = NULL;
    if (!name)
        name = own_name = uuid();
    json_error_t je;
    const char *text = input ? input : "{}";
    json_t *in = aslrtp_json_loads(text, strlen(text), &je);
    if (!in) {
        srv_fault_set(f, 400, "InvalidExecutionInput",
                      "Invalid State Machine Execution Input: '%s'", je.text);
        free(own_name);
        return false;
    }
    run *r = aslrtp_calloc(1, sizeof *r);
    pthread_mutex_init(&r->hmu, NULL);
    pthread_cond_init(&r->hcv, NULL);
    r->pending = json_array();
    r->s = s;
    r->refs = sync ? 2 : 1;
    r->input = in;
    r->express = express;
    r->sync = sync;
    r->code = code_of(s, sm, f);
    if (!r->code) {
        run_free(r);
        free(own_name);
        return false;
    }
    if (test_case) {
        const char *mc = s->o.mock_config;
        aslrt_error e = {NULL, NULL};
        if (!mc) {
            srv_fault_set(f, 400, "ValidationException",
                          "The test case '%s' was asked for, but aslc serve has no mock "
                          "configuration (--mock-config or SFN_MOCK_CONFIG)",
                          test_case);
        } else if (!(r->mocks = aslrt_mocks_load(
                         mc, sm_name, test_case,
                         aslrt_program_machine(asl_compiled_program(r->code->mem)), &e))) {
            srv_fault_set(f, 400, "ValidationException", "%s",
                          e.cause ? e.cause : "the mock configuration cannot be read");
        }
        aslrt_error_clear(&e);
        if (!r->mocks) {
            pthread_mutex_lock(&s->mu);
            compiled_release(r->code);
            pthread_mutex_unlock(&s->mu);
            r->code = NULL;
            run_free(r);
            free(own_name);
            return false;
        }
    }
    long long now = srv_now_ms();
    /* arn:aws:states:R:A:execution:MACHINE:NAME, or express:MACHINE:NAME:UUID */
    char *prefix = aslrtp_strdup(sm_arn);
    char *colon = strstr(prefix, ":stateMachine:");
    if (colon)
        *colon = '\0';
    char *exec_arn;
    if (express) {
        char *u = uuid();
        exec_arn = aslrtp_strdupf("%s:express:%s:%s:%s", prefix, sm_name, name, u);
        free(u);
    } else {
        exec_arn = aslrtp_strdupf("%s:execution:%s:%s", prefix, sm_name, name);
    }
    free(prefix);
    r->doc = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:{s:b},s:I,s:s,s:O}", "executionArn", exec_arn,
                       "stateMachineArn", sm_arn, "name", name, "status", "RUNNING", "startDate",
                       (json_int_t)now, "input", text, "inputDetails", "included", 1,
                       "redriveCount", (json_int_t)0, "_machineName", sm_name, "_machine", sm);
    free(exec_arn);
    free(own_name);
    if (!express) {
        json_t *existing = NULL;
        char *err = NULL;
        /* ExecutionStarted is stored with the execution: its history
         * starts with it whatever becomes of the server (§29.7). */
        json_t *d = json_pack("{s:o,s:{s:b},s:s}", "input", aslrtp_hist_payload(in),
                              "inputDetails", "truncated", 0, "roleArn",
                              json_string_value(json_object_get(sm, "roleArn")) ?: "");
        json_t *started = json_pack("[{s:i,s:i,s:I,s:s,s:o}]", "id", 1, "previousEventId", 0,
                                    "timestamp", (json_int_t)now, "type", "ExecutionStarted",
                                    "executionStartedEventDetails", d);
        int rc = srv_store_exec_insert(s->store, r->doc, started, &existing, &err);
        json_decref(started);
        if (rc == SRV_EXISTS) {
            /* The same name and input while it runs is the same start
             * (doc/behaviour.md §29). */
            bool same = strcmp(json_string_value(json_object_get(existing, "status")) ?: "",
                               "RUNNING") == 0 &&
                        strcmp(json_string_value(json_object_get(existing, "input")) ?: "",
                               text) == 0;
            run *again = NULL;
            if (same && keep) {
                pthread_mutex_lock(&s->mu);
                again = *keep = running_run(s, json_string_value(json_object_get(existing,
                                                                                 "executionArn")));
                pthread_mutex_unlock(&s->mu);
                same = again != NULL;
            }
            if (same)
                *out = json_pack("{s:O,s:O}", "executionArn",
                                 json_object_get(existing, "executionArn"), "startDate",
                                 json_object_get(existing, "startDate"));
            else
                srv_fault_set(f, 400, "ExecutionAlreadyExists", "Execution Already Exists: '%s'",
                              json_string_value(json_object_get(r->doc, "executionArn")));
            json_decref(existing);
        } else if (rc != SRV_OK) {
            srv_fault_set(f, 500, "InternalFailure", "the store failed: %s", err ? err : "");
        }
        free(err);
        if (rc != SRV_OK) {
            pthread_mutex_lock(&s->mu);
            compiled_release(r->code);
            pthread_mutex_unlock(&s->mu);
            r->code = NULL;
            run_free(r);
            return rc == SRV_EXISTS && !f->type;
        }
    }
    pthread_mutex_lock(&s->mu);
    if (s->closing) {
        pthread_mutex_unlock(&s->mu);
        srv_fault_set(f, 503, "ServiceUnavailable", "the server is shutting down");
        record_end(r, ASLRT_ABORTED, NULL,
                   &(aslrt_error){"aslc.ServerStopped", "The server shut down."});
        pthread_mutex_lock(&s->mu);
        compiled_release(r->code);
        pthread_mutex_unlock(&s->mu);
        r->code = NULL;
        run_free(r);
        return false;
    }
    r->next = s->runs;
    s->runs = r;
    if (keep) {
        r->refs++;
        *keep = r;
    }
    if (!sync)
        *out = json_pack("{s:O,s:O}", "executionArn", json_object_get(r->doc, "executionArn"),
                         "startDate", json_object_get(r->doc, "startDate"));
    dispatch(s);
    if (sync) {
        while (!r->done)
            pthread_cond_wait(&s->cv, &s->mu);
        *out = sync_response(r);
        run_unref(r);
        pthread_mutex_unlock(&s->mu);
        return true;
    }
    pthread_mutex_unlock(&s->mu);
    return true;
}

bool srv_start(srv *s, const json_t *sm, const char *name, const char *input,
               const char *test_case, bool sync, json_t **out, srv_fault *f)
{
    return start_run(s, sm, name, input, test_case, sync, out, NULL, f);
}

/* ---- Nested executions (aslrt_executions) --------------------------------- */

/* A Task's states:startExecution: an execution of the server's, as the
 * API's StartExecution starts it (doc/behaviour.md §29.8). */
static void *nested_start(void *ud, const char *sm_arn, const char *name, const char *input,
                          char **exec_arn, long long *start_ms, aslrt_error *err)
{
    srv *s = ud;
    srv_fault f = {0, NULL, NULL};
    json_t *sm = NULL;
    if (name && !srv_name_ok(name))
        srv_fault_set(&f, 400, "InvalidName", "Invalid Name: '%s'", name);
    else if (!(sm = srv_store_get(s->store, SRV_MACHINE, sm_arn)))
        srv_fault_set(&f, 400, "StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'",
                      sm_arn);
    json_t *out = NULL;
    run *r = NULL;
    if (sm)
        start_run(s, sm, name, input, NULL, false, &out, &r, &f);
    json_decref(sm);
    if (!r) {
        aslrt_error_set(err, f.type ? f.type : "StateMachineDoesNotExist",
                        f.message ? f.message : "");
        srv_fault_clear(&f);
        json_decref(out);
        return NULL;
    }
    *exec_arn = aslrtp_strdup(json_string_value(json_object_get(out, "executionArn")));
    *start_ms = json_integer_value(json_object_get(out, "startDate"));
    json_decref(out);
    return r;
}

static int nested_wait(void *ud, void *handle, double wait_ms, int *status, char **output,
                       aslrt_error *err, long long *stop_ms)
{
    srv *s = ud;
    run *r = handle;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    long long ns = until.tv_nsec + (long long)(wait_ms * 1e6);
    until.tv_sec += (time_t)(ns / 1000000000);
    until.tv_nsec = (long)(ns % 1000000000);
    pthread_mutex_lock(&s->mu);
    while (!r->done)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &until) == ETIMEDOUT)
            break;
    bool done = r->done;
    pthread_mutex_unlock(&s->mu);
    if (!done)
        return 0;
    /* Ended: its document holds the end (written before done was set). */
    const json_t *d = r->doc;
    *status = aslrtp_status_of(json_string_value(json_object_get(d, "status")));
    const char *o = json_string_value(json_object_get(d, "output"));
    *output = o ? aslrtp_strdup(o) : NULL;
    const char *e = json_string_value(json_object_get(d, "error"));
    const char *c = json_string_value(json_object_get(d, "cause"));
    err->error = e ? aslrtp_strdup(e) : NULL;
    err->cause = c ? aslrtp_strdup(c) : NULL;
    *stop_ms = json_integer_value(json_object_get(d, "stopDate"));
    return 1;
}

static void nested_stop(void *ud, void *handle, const char *error, const char *cause)
{
    srv *s = ud;
    run *r = handle;
    pthread_mutex_lock(&s->mu);
    if (!r->done && !r->reason.error && !r->reason.cause) {
        r->reason.error = dup_or_null(error);
        r->reason.cause = dup_or_null(cause);
    }
    __atomic_store_n(&r->abort, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&s->mu);
}

static void nested_release(void *ud, void *handle)
{
    srv *s = ud;
    pthread_mutex_lock(&s->mu);
    run_unref(handle);
    pthread_mutex_unlock(&s->mu);
}

void srv_flush_history(srv *s, const char *exec_arn)
{
    pthread_mutex_lock(&s->mu);
    run *r = running_run(s, exec_arn);
    pthread_mutex_unlock(&s->mu);
    if (!r)
        return;
    pthread_mutex_lock(&r->hmu);
    if (!r->reported)
        flush(r);
    pthread_mutex_unlock(&r->hmu);
    pthread_mutex_lock(&s->mu);
    run_unref(r);
    pthread_mutex_unlock(&s->mu);
}

/* A queued run that will never start: ABORTED with error and cause, its
 * waiters told (s->mu held). */
static void end_queued(srv *s, run *r, const char *error, const char *cause)
{
    unlist(s, r);
    record_end(r, ASLRT_ABORTED, NULL, &(aslrt_error){(char *)error, (char *)cause});
    compiled_release(r->code);
    r->code = NULL;
    r->done = true;
    pthread_cond_broadcast(&s->cv);
    run_unref(r);
}

bool srv_stop(srv *s, const char *exec_arn, const char *error, const char *cause,
              long long *stop_ms)
{
    pthread_mutex_lock(&s->mu);
    run *r = running_run(s, exec_arn);
    if (!r || r->done || r->reported) {
        if (r)
            run_unref(r);
        pthread_mutex_unlock(&s->mu);
        return false;
    }
    if (!r->reason.error && !r->reason.cause) {
        r->reason.error = dup_or_null(error);
        r->reason.cause = dup_or_null(cause);
    }
    __atomic_store_n(&r->abort, 1, __ATOMIC_RELEASE);
    if (!r->started) {
        end_queued(s, r, r->reason.error, r->reason.cause);
        *stop_ms = json_integer_value(json_object_get(r->doc, "stopDate"));
        run_unref(r);
        pthread_mutex_unlock(&s->mu);
        return true;
    }
    /* The runtime stops at its next state or wait: wait for that, a while,
     * then record the stop whatever the thread is doing (a C handler
     * cannot be interrupted). */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    while (!r->done)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &until) == ETIMEDOUT && !r->ending)
            break;
    if (!r->done) {
        /* The store is written under s->mu here: the thread may end
         * meanwhile. */
        pthread_mutex_lock(&r->hmu);
        r->reported = true;
        aslrt_error e = {r->reason.error, r->reason.cause};
        record_end(r, ASLRT_ABORTED, NULL, &e);
        pthread_mutex_unlock(&r->hmu);
    }
    /* Its document holds the end, written before done was set. */
    *stop_ms = json_integer_value(json_object_get(r->doc, "stopDate"));
    run_unref(r);
    pthread_mutex_unlock(&s->mu);
    return true;
}

void srv_shutdown(srv *s)
{
    pthread_mutex_lock(&s->mu);
    s->closing = true;
    /* Queued runs never start; running ones are stopped. */
    for (run *r = s->runs, *next; r; r = next) {
        next = r->next;
        if (!r->started) {
            end_queued(s, r, "aslc.ServerStopped",
                       "The server shut down before the execution started.");
            continue;
        }
        if (!r->reason.error) {
            r->reason.error = aslrtp_strdup("aslc.ServerStopped");
            r->reason.cause = aslrtp_strdup("The server shut down while the execution was running.");
        }
        __atomic_store_n(&r->abort, 1, __ATOMIC_RELEASE);
    }
    pthread_cond_broadcast(&s->task_cv);
    while (s->running > 0)
        pthread_cond_wait(&s->cv, &s->mu);
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

bool srv_closing(srv *s)
{
    pthread_mutex_lock(&s->mu);
    bool c = s->closing;
    pthread_mutex_unlock(&s->mu);
    return c;
}

void srv_destroy(srv *s)
{
    if (!s)
        return;
    if (s->store)
        srv_shutdown(s);
    pthread_mutex_lock(&s->mu);
    while (s->code) {
        compiled *c = s->code;
        s->code = c->next;
        compiled_release(c);
    }
    while (s->tasks) {
        act_task *t = s->tasks;
        s->tasks = t->next;
        task_free(t);
    }
    pthread_mutex_unlock(&s->mu);
    srv_store_close(s->store);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    aslrt_bindings_destroy(s->bindings);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    pthread_cond_destroy(&s->task_cv);
    free((char *)s->o.host);
    free((char *)s->o.port_file);
    free((char *)s->o.data);
    free((char *)s->o.bindings);
    free((char *)s->o.lambda);
    free((char *)s->o.mock_config);
    free((char *)s->o.region);
    free((char *)s->o.account);
    free((char *)s->o.access_key);
    free((char *)s->o.secret_key);
    free(s);
}

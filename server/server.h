/*
 * server.h - aslc serve: the Step Functions API on a local HTTP port.
 *
 * The server is a room of its own beside compiler/ and runtime/ (see
 * doc/architecture.md, "The server"):
 *
 *   serve.c     the command line, the daemon's life (start, SIGTERM, stop)
 *   http.c      libmicrohttpd: requests in, AWS's JSON 1.0 protocol, SigV4
 *   api.c       one function per action of the API, AWS's errors
 *   engine.c    state machines compiled once, executions on threads
 *   store.c     SQLite: everything the API reports lives here first
 *   teststate.c the TestState action: one state run once
 *
 * Records are JSON objects (jansson) in the shapes the API returns, with
 * AWS's member names (camelCase), so that what the store gives back is
 * what a Describe* answers.  Times are milliseconds since the epoch in the
 * store and seconds (a JSON real) on the wire.
 */
#ifndef ASL_SERVER_H
#define ASL_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "aslrt.h"

/* ==== fault.c: AWS's errors ================================================ */

/* A request the API refuses: the HTTP status (400 for nearly everything),
 * AWS's error code (the "__type" of the JSON 1.0 protocol, e.g.
 * "InvalidArn", "ValidationException") and its message, worded as AWS
 * words it (doc/behaviour.md, "The server's errors"). */
typedef struct srv_fault {
    int status;
    char *type;        /* malloc'd; NULL: no fault */
    char *message;     /* malloc'd */
} srv_fault;

void srv_fault_set(srv_fault *f, int status, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void srv_fault_clear(srv_fault *f);

/* ==== store.c: SQLite ===================================================== */

typedef struct srv_store srv_store;

/* What a store call reports besides its result.  *err (malloc'd: what
 * was being done and SQLite's message) is set with SRV_FAILED only. */
enum {
    SRV_OK = 0,
    SRV_EXISTS,        /* a record of that key is there already */
    SRV_NOT_FOUND,     /* no record of that key */
    SRV_BAD_TOKEN,     /* a pagination token the store did not give out */
    SRV_FAILED         /* SQLite failed: *err says why */
};

/* Kinds of named records kept by ARN. */
typedef enum srv_kind {
    SRV_MACHINE,       /* state machines: DescribeStateMachine's shape */
    SRV_ACTIVITY       /* activities: DescribeActivity's shape */
} srv_kind;

/* Opens the store in DIR/aslc.db (made with DIR, mode 0700, when
 * missing), or in memory when dir is NULL; refuses a database of a newer
 * schema or of another program.  Every write is durable once the call
 * returns (WAL, synchronous=FULL).  Thread-safe: one store serves every
 * thread.  NULL with *err (malloc'd) on failure. */
srv_store *srv_store_open(const char *dir, char **err);
void srv_store_close(srv_store *s);

/* Named records.  put stores doc (borrowed) under arn: when create is
 * set, SRV_EXISTS if a record of that ARN is there (the record is then
 * returned in *existing as a new reference when existing is not NULL);
 * otherwise it replaces the record (which keeps its place in the list) or
 * stores a new one.  get returns a new reference or NULL.
 * delete is SRV_NOT_FOUND when there was none.  list pages through the
 * records of a kind in the order they were created: at most limit (> 0)
 * from token (NULL: the first page), *next (malloc'd) the token of the
 * page after, NULL at the end.  Every list answers SRV_BAD_TOKEN, with
 * *page and *next NULL, for a token it did not give out itself (tokens
 * outlive a restart, not a new database). */
int srv_store_put(srv_store *s, srv_kind kind, const char *arn, json_t *doc, bool create,
                  json_t **existing, char **err);
json_t *srv_store_get(srv_store *s, srv_kind kind, const char *arn);
int srv_store_delete(srv_store *s, srv_kind kind, const char *arn, char **err);
int srv_store_list(srv_store *s, srv_kind kind, const char *token, int limit, json_t **page,
                   char **next, char **err);

/* Executions: doc is DescribeExecution's shape (executionArn,
 * stateMachineArn, name, status, startDate, input, ... with the dates as
 * milliseconds); the store reads executionArn, stateMachineArn, mapRunArn
 * (a Map Run's child), status and startDate, and SRV_FAILED is a document
 * without them.  insert stores doc and its first events (a JSON array,
 * may be NULL) in one transaction; SRV_EXISTS when the ARN is taken
 * (*existing then holds that execution).  update replaces the document (status and
 * the rest) and appends the events (a JSON array, may be NULL) in the same
 * transaction; SRV_NOT_FOUND when the execution is not there.  list: the
 * executions of a state machine, or of a Map Run when machine_arn is a
 * Map Run's ARN (arn:...:mapRun:...), newest first (by startDate, then
 * the last stored first), with status (NULL: any). */
int srv_store_exec_insert(srv_store *s, json_t *doc, json_t *events, json_t **existing,
                          char **err);
int srv_store_exec_update(srv_store *s, json_t *doc, json_t *events, char **err);
json_t *srv_store_exec_get(srv_store *s, const char *arn);
int srv_store_exec_list(srv_store *s, const char *machine_arn, const char *status,
                        const char *token, int limit, json_t **page, char **next, char **err);
/* Removes the executions (and their events) of a deleted state machine,
 * its Map Runs' children (state machine ARN "MACHINE/label") with them. */
int srv_store_exec_delete_of(srv_store *s, const char *machine_arn, char **err);

/* History events, GetExecutionHistory's shape (id, previousEventId,
 * timestamp as milliseconds, type, *EventDetails), appended while the
 * execution runs.  Each has an integer id of its own in its execution (a
 * batch with an id taken is refused whole, SRV_FAILED).  Both are
 * SRV_NOT_FOUND when the execution is not there.  list pages through them
 * by id, oldest first or newest first (reverse). */
int srv_store_events_append(srv_store *s, const char *exec_arn, json_t *events, char **err);
int srv_store_events_list(srv_store *s, const char *exec_arn, bool reverse, const char *token,
                          int limit, json_t **page, char **next, char **err);

/* After a restart: every execution still RUNNING in the store becomes
 * FAILED at now_ms (stopDate) with error and cause, and gets its
 * ExecutionFailed event (the next id, previousEventId the last one's), all
 * in one transaction.  Returns how many, or -1 with *err. */
int srv_store_recover(srv_store *s, long long now_ms, const char *error, const char *cause,
                      char **err);

/* ==== engine.c: state machines compiled once, executions on threads ======= */

typedef struct srv srv;

/* How the server runs (serve.c reads them from the command line and the
 * environment Step Functions Local reads). */
typedef struct srv_options {
    const char *host;          /* address to listen on: 127.0.0.1 */
    int port;                  /* 8083; 0: any free port */
    const char *port_file;     /* where the port listened on is written (may be NULL) */
    const char *data;          /* the store's directory; NULL: in memory */
    const char *bindings;      /* bindings file (may be NULL) */
    const char *lambda;        /* the Lambda Invoke API's endpoint for Lambda Tasks no
                                  binding answers (may be NULL) */
    const char *mock_config;   /* Step Functions Local mock config (may be NULL) */
    const char *region;        /* us-east-1 */
    const char *account;       /* 123456789012 */
    int wait_mode;             /* ASLRT_WAIT_* */
    double wait_scale;
    const char *access_key;    /* when set, requests are signed with this key */
    const char *secret_key;
    int max_running;           /* executions running at once; more wait for a turn */
    bool llvm;                 /* compile with LLVM's ORC, else TinyCC */
} srv_options;

/* Opens the store (recovering executions a dead server left running),
 * loads the bindings.  NULL with *err (malloc'd). */
srv *srv_create(const srv_options *o, char **err);
/* Stops every running execution (ABORTED by the server's shutdown) and
 * waits for them; from then on no execution starts. */
void srv_shutdown(srv *s);
bool srv_closing(srv *s);
/* srv_shutdown if not done, then closes the store. */
void srv_destroy(srv *s);
const srv_options *srv_opts(const srv *s);
srv_store *srv_store_of(const srv *s);
const aslrt_bindings *srv_bindings(const srv *s);

/* Checks a definition as CreateStateMachine does (type EXPRESS or
 * STANDARD): NULL when it is valid, else the diagnostics, an array of
 * {code, message, location} in AWS's shape (ValidateStateMachineDefinition). */
json_t *srv_validate(const char *definition, bool express);
/* The message of CreateStateMachine's InvalidDefinition for diagnostics. */
char *srv_invalid_message(const json_t *diags);
/* Compiles the state machine doc (DescribeStateMachine's shape) once:
 * executions of its revision use the result.  False with f set. */
bool srv_compile(srv *s, const json_t *doc, srv_fault *f);
/* Forgets the compiled code of a state machine (deleted or updated):
 * executions still running keep theirs. */
void srv_forget(srv *s, const char *machine_arn);

/* Starts an execution of the state machine doc: name (NULL: a UUID),
 * input (text, NULL: "{}"), test_case of the mock config (may be NULL),
 * trace header.  sync: StartSyncExecution (waits for the end, *out is its
 * response).  Otherwise *out is StartExecution's response. */
bool srv_start(srv *s, const json_t *sm, const char *name, const char *input,
               const char *test_case, bool sync, json_t **out, srv_fault *f);
/* Stops a running execution with error and cause (may be NULL): the
 * execution is ABORTED once its thread has stopped.  True when it was
 * running (*stop_ms: the stop date). */
bool srv_stop(srv *s, const char *exec_arn, const char *error, const char *cause,
              long long *stop_ms);
/* Writes the events of a running execution that are not in the store yet:
 * called before its history is reported. */
void srv_flush_history(srv *s, const char *exec_arn);
/* GetActivityTask: the oldest task of the activity, taken by worker (may
 * be NULL), as {taskToken, input}; {} when none came within wait_s seconds
 * or the server is closing. */
json_t *srv_activity_poll(srv *s, const char *activity_arn, const char *worker, double wait_s);
/* Whether a name of a state machine, execution or activity is one AWS
 * accepts (doc/behaviour.md §29.3). */
bool srv_name_ok(const char *name);
/* Milliseconds since the epoch. */
long long srv_now_ms(void);

/* ==== api.c: the actions ==================================================== */

/* Answers the action (X-Amz-Target without its prefix) with body req,
 * for region (the request's, from its signature; NULL: the server's):
 * the response (new reference), or NULL with f set. */
json_t *srv_api_call(srv *s, const char *action, json_t *req, const char *region,
                     srv_fault *f);

/* ==== http.c: the HTTP side ================================================= */

typedef struct srv_http srv_http;
/* Listens on o->host:o->port; *port is the port it listens on. */
srv_http *srv_http_start(srv *s, int *port, char **err);
void srv_http_stop(srv_http *h);

/* ==== serve.c ================================================================ */

/* aslc serve [options]: argv[0] is "serve". */
int asl_serve_main(int argc, char **argv);

/* ==== teststate.c: TestState =============================================== */

/* Runs the TestState request req (definition, roleArn, input,
 * inspectionLevel, revealSecrets, variables, stateName, mock, context,
 * stateConfiguration: the API's members) and returns its response (status,
 * output or error and cause, nextState, inspectionData), or NULL with f
 * set.  Tasks without a mock are answered by bindings (may be NULL). */
json_t *srv_test_state(json_t *req, const aslrt_bindings *bindings, srv_fault *f);
/* The same in a region and an account (NULL: us-east-1, and the account
 * of the request's roleArn or 123456789012), which the ARNs of the
 * context object name. */
json_t *srv_test_state_at(json_t *req, const aslrt_bindings *bindings, const char *region,
                          const char *account, srv_fault *f);
/* How long a test may run, in milliseconds: five minutes, as on AWS (tests
 * make it shorter); then it fails with States.Timeout. */
extern long long srv_test_state_limit_ms;

#endif /* ASL_SERVER_H */

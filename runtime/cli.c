/*
 * cli.c - aslrt_main: the command line of every workflow binary, and of
 * `aslc run` (which hands it the options after the definition), so both
 * behave the same.
 *
 *   prog [--input JSON | --input-file F] [--bindings F] [--name N]
 *        [--state-machine-name N] [--wait=real|skip|scale:F] [--bench N]
 *        [--override-task S:PROG] [--override-wait S:MS]
 *        [--override-retry S:MS[,MS...]] [--context JSON | --context-file F]
 *
 * --bench N runs the workflow N times and reports on stderr (bench.c).
 *
 * Without --input or --input-file the input is read from stdin when stdin
 * is not a terminal, and is {} otherwise or when stdin is empty (AWS's
 * default input).  An input of several JSON values runs one execution per
 * value, one output line each; the overrides and the context are checked
 * against the machine and handed to the runtime through aslrt_config and
 * the bindings (doc/behaviour.md §41).
 *
 * `prog send-task-success|send-task-failure|send-task-heartbeat` complete a
 * callback task of a running execution instead (aslrt_send_task_main, which
 * `aslc` runs too), with the options and exit codes of the AWS CLI.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aslrt_private.h"
#include "config.h"

/* SIGINT, SIGTERM, SIGHUP (the terminal went away), SIGUSR1, SIGUSR2 and
 * SIGALRM abort the execution (exit status 4): its handlers are stopped,
 * its output and history written and its callback socket removed, where
 * their default action would end the process with none of that.  The only
 * state a signal handler may touch is this flag, which the runtime polls.
 * SIGPIPE is ignored: a reader that went away makes a write fail (EPIPE),
 * which is reported, instead of killing the run. */
static volatile int abort_flag;

static void on_signal(int sig)
{
    (void)sig;
    abort_flag = 1;
}

/* ---- The options ---------------------------------------------------------
 *
 * One getopt_long table for every workflow program and for `aslc run`,
 * which hands over the ones that are not its own (compiler/main.c): so
 * both accept the same spellings (--opt VALUE, --opt=VALUE, unambiguous
 * prefixes) and name a misspelt option the same way. */

enum {
    O_INPUT = ASLRTP_RUN_OPTION_BASE, O_INPUT_FILE, O_BINDINGS, O_NAME, O_PAYLOAD_LIMIT,
    O_S3_ROOT, O_STATE_MACHINES, O_THREADS, O_BENCH, O_HISTORY, O_MOCK_CONFIG, O_TEST_CASE,
    O_SYNC, O_TYPE, O_ACCOUNT, O_REGION, O_PROFILE, O_AWS, O_SM_NAME, O_WAIT,
    O_OVERRIDE_TASK, O_OVERRIDE_WAIT, O_OVERRIDE_RETRY, O_CONTEXT, O_CONTEXT_FILE
};

static const struct option run_options[] = {
    {"input", required_argument, NULL, O_INPUT},
    {"input-file", required_argument, NULL, O_INPUT_FILE},
    {"bindings", required_argument, NULL, O_BINDINGS},
    {"name", required_argument, NULL, O_NAME},
    {"state-machine-name", required_argument, NULL, O_SM_NAME},
    {"account", required_argument, NULL, O_ACCOUNT},
    {"region", required_argument, NULL, O_REGION},
    {"profile", required_argument, NULL, O_PROFILE},
    {"aws", no_argument, NULL, O_AWS},
    {"type", required_argument, NULL, O_TYPE},
    {"sync", no_argument, NULL, O_SYNC},
    {"mock-config", required_argument, NULL, O_MOCK_CONFIG},
    {"test-case", required_argument, NULL, O_TEST_CASE},
    {"threads", required_argument, NULL, O_THREADS},
    {"payload-limit", required_argument, NULL, O_PAYLOAD_LIMIT},
    {"s3-root", required_argument, NULL, O_S3_ROOT},
    {"history", required_argument, NULL, O_HISTORY},
    {"state-machines", required_argument, NULL, O_STATE_MACHINES},
    {"wait", required_argument, NULL, O_WAIT},
    {"bench", required_argument, NULL, O_BENCH},
    {"override-task", required_argument, NULL, O_OVERRIDE_TASK},
    {"override-wait", required_argument, NULL, O_OVERRIDE_WAIT},
    {"override-retry", required_argument, NULL, O_OVERRIDE_RETRY},
    {"context", required_argument, NULL, O_CONTEXT},
    {"context-file", required_argument, NULL, O_CONTEXT_FILE},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}
};

const struct option *aslrtp_run_options(void)
{
    return run_options;
}

char *aslrtp_option_error(const struct option *opts, char **argv, int c)
{
    /* getopt_long has stepped past the word it refused. */
    const char *word = argv[optind - 1];
    if (c == ':')
        return aslrtp_strdupf("option '%s' needs a value", word);
    if (optopt && word[0] == '-' && word[1] != '-')
        return aslrtp_strdupf("unknown option '-%c'", optopt);
    /* The name as written, without "--" and "=VALUE". */
    size_t len = strcspn(word + 2, "=");
    char *name = aslrtp_strdupf("%.*s", (int)len, word + 2);
    size_t n = 0;
    while (opts[n].name)
        n++;
    const char **names = aslrtp_reallocarray(NULL, n + 1, sizeof *names);
    size_t matches = 0;
    for (size_t i = 0; i < n; i++) {
        names[i] = opts[i].name;
        matches += strncmp(opts[i].name, name, len) == 0;
    }
    const char *near = matches > 1 ? NULL : aslrtp_utf8_nearest(name, names, n);
    char *msg = matches > 1 ? aslrtp_strdupf("ambiguous option '--%s'", name)
                : near      ? aslrtp_strdupf("unknown option '--%s' (did you mean '--%s'?)",
                                             name, near)
                            : aslrtp_strdupf("unknown option '--%s'", name);
    free(names);
    free(name);
    return msg;
}

void aslrtp_run_usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s [--input JSON | --input-file FILE] [--bindings FILE] [--name NAME]\n"
            "          [--state-machine-name NAME] [--account ID] [--region R]\n"
            "          [--profile P] [--aws]\n"
            "          [--type=STANDARD|EXPRESS] [--sync] [--mock-config FILE --test-case NAME]\n"
            "          [--threads N] [--payload-limit BYTES|none] [--s3-root DIR]\n"
            "          [--history FILE] [--state-machines DIR]\n"
            "          [--wait=real|skip|scale:FACTOR] [--bench N]\n"
            "          [--override-task STATE:PROGRAM] [--override-wait STATE:MS]\n"
            "          [--override-retry STATE:MS[,MS...]]\n"
            "          [--context JSON | --context-file FILE] [--help] [--version]\n"
            "Runs the workflow once and prints its output JSON.  An input of several JSON\n"
            "values (JSON lines) runs it once per value and prints one line per value; the\n"
            "exit status is then that of the first execution that did not succeed.\n"
            "--override-task STATE:PROGRAM: the Task state STATE runs PROGRAM (its input on\n"
            "stdin, its result on stdout) instead of its mock, binding or Resource.\n"
            "--override-wait STATE:MS: the Wait state STATE waits MS milliseconds.\n"
            "--override-retry STATE:MS[,MS...]: the retriers of STATE wait MS milliseconds\n"
            "before each retry (one value for all, or one per retrier in order).\n"
            "--context JSON, --context-file FILE: fields of the context object ($$), such\n"
            "as {\"Execution\": {\"Name\": \"x\"}}, merged over its defaults.\n"
            "The override options may be repeated.\n"
            "--history FILE writes the execution history, in the JSON shape of\n"
            "GetExecutionHistory, to FILE (- for standard error).\n"
            "--state-machines DIR: NAME.asl.json or NAME.json there is the state machine\n"
            "NAME that nested executions (states:startExecution) run.\n"
            "--bench N runs it N times (same input, a fresh execution each time), prints\n"
            "the last output (or the last failure) as usual and reports executions/s,\n"
            "transitions/s, latency percentiles and peak RSS on stderr.\n"
            "Tasks that call AWS services go to the endpoints that AWS_ENDPOINT_URL_<SERVICE>,\n"
            "AWS_ENDPOINT_URL or the bindings' \"Endpoints\" give; --aws also lets them call\n"
            "AWS itself, with the credentials of the environment or of --profile.\n"
            "Exit status: 0 succeeded, 1 failed (prints {\"Error\", \"Cause\"}), 2 bad usage or\n"
            "input, 3 timed out, 4 aborted (SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 or\n"
            "SIGALRM: running handlers are stopped, output and history written).\n"
            "The commands send-task-success, send-task-failure and send-task-heartbeat\n"
            "complete a callback task of a running execution (see their --help).\n",
            prog);
}

/* --history with --bench: keeps the history document of the last
 * execution (one execution writes its history as it goes instead). */
static void keep_history(void *ud, const json_t *doc)
{
    json_t **slot = ud;
    json_decref(*slot);
    *slot = json_incref((json_t *)doc);
}

/* Writes the last execution's history document: 0, or why it could not
 * be (errno; -1: unknown). */
static int write_history(const char *path, const json_t *doc)
{
    FILE *f = strcmp(path, "-") == 0 ? stderr : fopen(path, "w");
    if (!f)
        return errno;
    int err = 0;
    char *text = json_dumps(doc, JSON_INDENT(2));
    if (text)
        aslrtp_write(f, text, strlen(text), &err);
    free(text);
    aslrtp_write(f, "\n", 1, &err);
    return aslrtp_stream_finish(f, err);
}

static char *read_all(FILE *f, size_t *len)
{
    aslrtp_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        aslrtp_buf_add(&b, chunk, n);
    if (ferror(f)) {
        free(aslrtp_buf_finish(&b));
        return NULL;
    }
    *len = b.len;
    return aslrtp_buf_finish(&b);
}

/* --wait's value: real, skip or scale:FACTOR. */
bool aslrtp_wait_parse(const char *v, int *mode, double *scale)
{
    char *end;
    double f;
    if (strcmp(v, "real") == 0)
        *mode = ASLRT_WAIT_REAL;
    else if (strcmp(v, "skip") == 0)
        *mode = ASLRT_WAIT_SKIP;
    else if (strncmp(v, "scale:", 6) == 0 && (f = strtod(v + 6, &end)) >= 0 && end != v + 6 &&
             *end == '\0') {
        *mode = ASLRT_WAIT_SCALE;
        *scale = f;
    } else
        return false;
    return true;
}

/* ---- send-task-success, send-task-failure, send-task-heartbeat ---------- */

static bool is_send_task(const char *cmd)
{
    return strcmp(cmd, "send-task-success") == 0 || strcmp(cmd, "send-task-failure") == 0 ||
           strcmp(cmd, "send-task-heartbeat") == 0;
}

static int send_task_usage(FILE *out, const char *cmd, int status)
{
    fprintf(out,
            "usage: %s --task-token TOKEN%s\n"
            "Completes a callback task (.waitForTaskToken) of a running execution, as the\n"
            "AWS CLI's 'aws stepfunctions %s' does.\n"
            "Exit status: 0 done, 252 bad usage, 254 refused, 255 execution unreachable.\n",
            cmd,
            strcmp(cmd, "send-task-success") == 0   ? " --task-output JSON|file://FILE"
            : strcmp(cmd, "send-task-failure") == 0 ? " [--error ERROR] [--cause CAUSE]"
                                                    : "",
            cmd);
    return status;
}

/* A parameter value as the AWS CLI takes it: "file://PATH" reads PATH. */
static char *param_value(const char *opt, const char *v)
{
    if (strncmp(v, "file://", 7) != 0)
        return aslrtp_strdup(v);
    FILE *f = fopen(v + 7, "rb");
    size_t len = 0;
    char *text = f ? read_all(f, &len) : NULL;
    if (f)
        fclose(f);
    if (!text || strlen(text) != len) {
        fprintf(stderr, "\nError parsing parameter '%s': Unable to load paramfile %s: %s\n", opt,
                v, text ? "it holds a NUL byte" : strerror(errno));
        free(text);
        return NULL;
    }
    return text;
}

int aslrt_send_task_main(int argc, char **argv)
{
    const char *cmd = argc > 0 ? argv[0] : "send-task-success";
    if (!is_send_task(cmd)) {
        fprintf(stderr, "aslc: unknown command '%s'\n", cmd);
        return 252;
    }
    bool success = strcmp(cmd, "send-task-success") == 0;
    bool failure = strcmp(cmd, "send-task-failure") == 0;
    char *token = NULL, *output = NULL, *error = NULL, *cause = NULL;
    int status = 0;
    for (int i = 1; i < argc && !status; i++) {
        const char *a = argv[i];
        char **slot = strcmp(a, "--task-token") == 0              ? &token
                      : success && strcmp(a, "--task-output") == 0 ? &output
                      : failure && strcmp(a, "--error") == 0       ? &error
                      : failure && strcmp(a, "--cause") == 0       ? &cause
                                                                   : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            status = -1;
        } else if (strcmp(a, "--no-cli-pager") == 0) {
            /* AWS CLI options that mean nothing here are accepted. */
        } else if (strcmp(a, "--region") == 0 || strcmp(a, "--profile") == 0 ||
                   strcmp(a, "--endpoint-url") == 0 || strcmp(a, "--output") == 0) {
            if (++i >= argc) {
                fprintf(stderr, "aslc %s: error: argument %s: expected one argument\n", cmd, a);
                status = 252;
            }
        } else if (!slot) {
            fprintf(stderr, "aslc %s: error: unknown option '%s'\n", cmd, a);
            status = send_task_usage(stderr, cmd, 252);
        } else if (i + 1 >= argc) {
            fprintf(stderr, "aslc %s: error: argument %s: expected one argument\n", cmd, a);
            status = 252;
        } else {
            free(*slot);
            *slot = param_value(a, argv[++i]);
            if (!*slot)
                status = 252;
        }
    }
    if (status < 0) {
        /* The AWS CLI's general failure, when the help is lost. */
        status = send_task_usage(stdout, cmd, 0);
        char *who = aslrtp_strdupf("aslc %s", cmd);
        if (!aslrtp_stdout_done(who))
            status = 255;
        free(who);
    } else if (!status && (!token || (success && !output))) {
        fprintf(stderr, "aslc %s: error: the following arguments are required: %s\n", cmd,
                !token && success && !output ? "--task-token, --task-output"
                : !token                     ? "--task-token"
                                             : "--task-output");
        status = 252;
    } else if (!status) {
        aslrt_error err = {NULL, NULL};
        int ok = success   ? aslrt_send_task_success(token, output, &err)
                 : failure ? aslrt_send_task_failure(token, error, cause, &err)
                           : aslrt_send_task_heartbeat(token, &err);
        if (!ok && err.error && strncmp(err.error, "aslc.", 5) == 0) {
            fprintf(stderr, "aslc %s: %s\n", cmd, err.cause ? err.cause : err.error);
            status = 255;
        } else if (!ok) {
            /* The AWS CLI's form, operation named as in the API. */
            fprintf(stderr, "\nAn error occurred (%s) when calling the %s operation: %s\n",
                    err.error ? err.error : "Unknown",
                    success ? "SendTaskSuccess" : failure ? "SendTaskFailure" : "SendTaskHeartbeat",
                    err.cause ? err.cause : "");
            status = 254;
        }
        aslrt_error_clear(&err);
    }
    free(token);
    free(output);
    free(error);
    free(cause);
    return status;
}

/* What a workflow program's command line asks for. */
typedef struct run_args {
    const char *input_text, *input_file, *bindings_file, *mock_file, *test_case;
    const char *history_file;
    long bench;                 /* --bench N: executions; 0 = run once, no report */
    bool help, version;
    aslrt_config cfg;
    /* --override-task, --override-wait and --override-retry, as given
     * (checked against the machine by resolve_overrides), and --context. */
    const char **over[3];
    int nover[3];
    json_t *context;
} run_args;

enum { OVER_TASK, OVER_WAIT, OVER_RETRY };
static const char *const over_option[] = {"--override-task", "--override-wait",
                                          "--override-retry"};

static void run_args_free(run_args *a)
{
    for (int i = 0; i < 3; i++)
        free(a->over[i]);
    json_decref(a->context);
}

/* A duration in milliseconds: digits, at most AWS's longest wait. */
static bool parse_ms(const char *s, size_t len, double *ms)
{
    if (len == 0 || len > 12 || strspn(s, "0123456789") < len)
        return false;
    double v = 0;
    for (size_t i = 0; i < len; i++)
        v = v * 10 + (s[i] - '0');
    *ms = v;
    return v <= 99999999000.0;
}

/* A --override-wait or --override-retry value, STATE:MS or STATE:MS,MS...
 * (split at the last colon: a state's name may hold one); NULL when it is
 * well formed, else why not (malloc'd). */
static char *check_override(int kind, const char *v)
{
    const char *colon = strrchr(v, ':');
    if (kind == OVER_TASK) {
        colon = strchr(v, ':');
        if (!colon || colon == v || colon[1] == '\0')
            return aslrtp_strdupf("bad --override-task '%s' (expected STATE:PROGRAM)", v);
        return NULL;
    }
    const char *form = kind == OVER_WAIT ? "STATE:MS" : "STATE:MS[,MS...]";
    if (!colon || colon == v)
        return aslrtp_strdupf("bad %s '%s' (expected %s)", over_option[kind], v, form);
    for (const char *p = colon + 1;; ) {
        size_t len = kind == OVER_RETRY ? strcspn(p, ",") : strlen(p);
        double ms;
        if (!parse_ms(p, len, &ms))
            return aslrtp_strdupf("bad %s '%s': '%.*s' is not a number of milliseconds "
                                  "(0 to 99999999000)", over_option[kind], v, (int)len, p);
        if (p[len] != ',')
            break;
        p += len + 1;
    }
    return NULL;
}

/* Names members of obj that are not among known (NULL-terminated):
 * NULL when all are known, else why (malloc'd), with the name meant. */
static char *unknown_member(const char *where, json_t *obj, const char *const *known)
{
    const char *key;
    json_t *v;
    size_t n = 0;
    while (known[n])
        n++;
    json_object_foreach(obj, key, v) {
        size_t i = 0;
        while (i < n && strcmp(known[i], key) != 0)
            i++;
        if (i < n)
            continue;
        const char *near = aslrtp_utf8_nearest(key, known, n);
        return near ? aslrtp_strdupf("bad --context: %s has no field '%s' (did you mean '%s'?)",
                                     where, key, near)
                    : aslrtp_strdupf("bad --context: %s has no field '%s'", where, key);
    }
    return NULL;
}

/* The fields --context may set, in the shapes AWS gives them
 * (doc/behaviour.md §41): NULL when ctx is fine, else why (malloc'd). */
static char *check_context(json_t *ctx)
{
    static const char *const top[] = {"Execution", "StateMachine", "State", "Map", "Task", NULL};
    static const char *const exec[] = {"Id", "Input", "Name", "RoleArn", "StartTime",
                                       "RedriveCount", "RedriveTime", NULL};
    static const char *const sm[] = {"Id", "Name", NULL};
    if (!json_is_object(ctx))
        return aslrtp_strdup("bad --context: expected a JSON object such as "
                             "{\"Execution\": {\"Name\": \"x\"}}");
    char *why = unknown_member("the context object", ctx, top);
    if (why)
        return why;
    const char *key;
    json_t *v;
    json_object_foreach(ctx, key, v) {
        if (strcmp(key, "Execution") != 0 && strcmp(key, "StateMachine") != 0)
            return aslrtp_strdupf("bad --context: $$.%s is set by the engine as the execution "
                                  "runs; only Execution and StateMachine may be given", key);
        if (!json_is_object(v))
            return aslrtp_strdupf("bad --context: %s must be an object", key);
        bool is_exec = strcmp(key, "Execution") == 0;
        why = unknown_member(key, v, is_exec ? exec : sm);
        if (why)
            return why;
        const char *f;
        json_t *x;
        json_object_foreach(v, f, x) {
            int64_t sec;
            int32_t ns;
            if (strcmp(f, "Input") == 0)
                continue;
            if (strcmp(f, "RedriveCount") == 0) {
                if (!json_is_integer(x) || json_integer_value(x) < 0)
                    return aslrtp_strdup("bad --context: Execution.RedriveCount must be a "
                                         "non-negative integer");
            } else if (!json_is_string(x)) {
                return aslrtp_strdupf("bad --context: %s.%s must be a string", key, f);
            } else if ((strcmp(f, "StartTime") == 0 || strcmp(f, "RedriveTime") == 0) &&
                       !aslrtp_timestamp_parse(json_string_value(x), &sec, &ns)) {
                return aslrtp_strdupf("bad --context: Execution.%s '%s' is not an ISO-8601 "
                                      "timestamp such as 2024-01-02T03:04:05.678Z",
                                      f, json_string_value(x));
            }
        }
    }
    return NULL;
}

/* Reads and checks --context (text) or --context-file (path). */
static char *load_context(const char *text, const char *path, json_t **out)
{
    char *owned = NULL;
    size_t len = text ? strlen(text) : 0;
    if (path) {
        FILE *f = fopen(path, "rb");
        if (!f)
            return aslrtp_strdupf("--context-file '%s': %s", path, strerror(errno));
        owned = read_all(f, &len);
        fclose(f);
        if (!owned)
            return aslrtp_strdupf("--context-file '%s': cannot read it", path);
        text = owned;
    }
    json_error_t je;
    json_t *v = aslrtp_json_loads(text, len, &je);
    free(owned);
    if (!v)
        return path ? aslrtp_strdupf("bad --context-file '%s': not valid JSON (line %d, column "
                                     "%d: %s)", path, je.line, je.column, je.text)
                    : aslrtp_strdupf("bad --context: not valid JSON (line %d, column %d: %s)",
                                     je.line, je.column, je.text);
    char *why = check_context(v);
    if (why) {
        json_decref(v);
        return why;
    }
    *out = v;
    return NULL;
}

/* Reads argv into a, checking every value that can be checked without
 * running anything.  Returns false with *why (malloc'd) on the first
 * error. */
static bool parse_run_args(int argc, char **argv, const aslrt_child *children, int nchildren,
                           aslrt_machine_loader_fn load, void *load_ud, run_args *a, char **why)
{
    memset(a, 0, sizeof *a);
    aslrt_config_init(&a->cfg);
    /* Nested executions: the machines compiled in, and a compiler. */
    a->cfg.children = children;
    a->cfg.nchildren = children ? nchildren : 0;
    a->cfg.load_machine = load;
    a->cfg.load_machine_ud = load_ud;
    aslrt_config *cfg = &a->cfg;
    optind = 0;                 /* start over (GNU), also after aslc's own parse */
    opterr = 0;
    int c;
    char *end;
    const char *context_text = NULL, *context_file = NULL;
    while ((c = getopt_long(argc, argv, ":hV", run_options, NULL)) != -1) {
        const char *v = optarg;
        switch (c) {
        case O_OVERRIDE_TASK:
        case O_OVERRIDE_WAIT:
        case O_OVERRIDE_RETRY: {
            int k = c == O_OVERRIDE_TASK ? OVER_TASK : c == O_OVERRIDE_WAIT ? OVER_WAIT : OVER_RETRY;
            if ((*why = check_override(k, v)))
                return false;
            a->over[k] = aslrtp_reallocarray(a->over[k], (size_t)a->nover[k] + 1,
                                             sizeof *a->over[k]);
            a->over[k][a->nover[k]++] = v;
            break;
        }
        case O_CONTEXT: context_text = v; break;
        case O_CONTEXT_FILE: context_file = v; break;
        case 'h': a->help = true; break;
        case 'V': a->version = true; break;
        case O_INPUT: a->input_text = v; break;
        case O_INPUT_FILE: a->input_file = v; break;
        case O_BINDINGS: a->bindings_file = v; break;
        case O_NAME: cfg->execution_name = v; break;
        case O_S3_ROOT: cfg->s3_root = v; break;
        case O_HISTORY: a->history_file = v; break;
        case O_MOCK_CONFIG: a->mock_file = v; break;
        case O_TEST_CASE: a->test_case = v; break;
        case O_SYNC: cfg->sync = 1; break;
        case O_ACCOUNT: cfg->account = v; break;
        case O_REGION: cfg->region = v; break;
        case O_PROFILE: cfg->profile = v; break;
        case O_AWS: cfg->aws = 1; break;
        case O_SM_NAME: cfg->state_machine_name = v; break;
        case O_PAYLOAD_LIMIT: {
            long l = strtol(v, &end, 10);
            if (strcmp(v, "none") == 0)
                cfg->payload_limit = -1;
            else if (*end || end == v || l < 1)
                return *why = aslrtp_strdupf("bad --payload-limit '%s' (bytes, or none)", v),
                       false;
            else
                cfg->payload_limit = l;
            break;
        }
        case O_STATE_MACHINES: {
            struct stat st;
            int found = stat(v, &st) == 0;
            if (!found || !S_ISDIR(st.st_mode))
                return *why = aslrtp_strdupf("--state-machines '%s': %s", v,
                                             found ? "not a directory" : strerror(errno)),
                       false;
            cfg->state_machines_dir = v;
            break;
        }
        case O_THREADS: {
            long t = strtol(v, &end, 10);
            if (*end || end == v || t < 1 || t > 4096)
                return *why = aslrtp_strdupf("bad --threads value '%s' (expected 1 to 4096)",
                                             v),
                       false;
            cfg->threads = (int)t;
            break;
        }
        case O_BENCH:
            a->bench = strtol(v, &end, 10);
            if (*end || end == v || a->bench < 1 || a->bench > 100000000)
                return *why = aslrtp_strdupf("bad --bench value '%s' (expected 1 to "
                                             "100000000)", v),
                       false;
            break;
        case O_TYPE:
            if (strcmp(v, "EXPRESS") != 0 && strcmp(v, "STANDARD") != 0)
                return *why = aslrtp_strdupf("bad --type '%s' (expected STANDARD or EXPRESS)",
                                             v),
                       false;
            cfg->express = strcmp(v, "EXPRESS") == 0;
            break;
        case O_WAIT:
            if (!aslrtp_wait_parse(v, &cfg->wait_mode, &cfg->wait_scale))
                return *why = aslrtp_strdupf("bad --wait value '%s' (expected real, skip or "
                                             "scale:FACTOR)", v),
                       false;
            break;
        default:                /* '?' or ':' */
            *why = aslrtp_option_error(run_options, argv, c);
            return false;
        }
    }
    if (optind < argc)
        return *why = aslrtp_strdupf("unexpected argument '%s'", argv[optind]), false;
    if (a->input_text && a->input_file)
        return *why = aslrtp_strdup("give --input or --input-file, not both"), false;
    if (context_text && context_file)
        return *why = aslrtp_strdup("give --context or --context-file, not both"), false;
    if ((context_text || context_file) &&
        (*why = load_context(context_text, context_file, &a->context)))
        return false;
    cfg->context = a->context;
    /* Mocks, as Step Functions Local takes them: the file from
     * --mock-config or SFN_MOCK_CONFIG (or LOCALSTACK_SFN_MOCK_CONFIG), used
     * when a test case is chosen. */
    if (!a->mock_file)
        a->mock_file = getenv("SFN_MOCK_CONFIG");
    if (!a->mock_file)
        a->mock_file = getenv("LOCALSTACK_SFN_MOCK_CONFIG");
    if (a->test_case && !a->mock_file)
        return *why = aslrtp_strdup("--test-case needs --mock-config FILE (or SFN_MOCK_CONFIG)"),
               false;
    return true;
}

bool aslrtp_run_args_check(int argc, char **argv, char **why)
{
    run_args a;
    bool ok = parse_run_args(argc, argv, NULL, 0, NULL, NULL, &a, why);
    run_args_free(&a);
    return ok;
}

int aslrt_main(const aslrt_machine *m, int argc, char **argv)
{
    return aslrt_main_nested(m, NULL, 0, NULL, NULL, argc, argv);
}

/* ---- Overrides, checked against the machine (doc/behaviour.md §41) ------ */

static const char *const type_names[] = {"", "Pass", "Task", "Choice", "Wait",
                                         "Succeed", "Fail", "Parallel", "Map"};

/* Whether state s is one that override kind applies to. */
static bool override_fits(int kind, const aslrt_state *s)
{
    return kind == OVER_TASK   ? s->type == ASLRT_STATE_TASK
           : kind == OVER_WAIT ? s->type == ASLRT_STATE_WAIT
                               : s->nretriers > 0;
}

/* The first state named name (len bytes), or -1.  Every state of the
 * machine is in m->states, those inside Map and Parallel too. */
static int state_named(const aslrt_machine *m, const char *name, size_t len)
{
    for (int i = 0; i < m->nstates; i++)
        if (strlen(m->states[i].name) == len && memcmp(m->states[i].name, name, len) == 0)
            return i;
    return -1;
}

/* Why the state named name cannot take override kind: unknown (with the
 * nearest fitting name) or of the wrong type; NULL when it can. */
static char *state_refused(const aslrt_machine *m, int kind, const char *name)
{
    int i = state_named(m, name, strlen(name));
    if (i >= 0 && override_fits(kind, &m->states[i]))
        return NULL;
    if (i >= 0 && kind == OVER_RETRY)
        return aslrtp_strdupf("%s: state '%s' has no Retry", over_option[kind], name);
    if (i >= 0)
        return aslrtp_strdupf("%s: state '%s' is a %s state, not a %s state", over_option[kind],
                              name, type_names[m->states[i].type],
                              kind == OVER_TASK ? "Task" : "Wait");
    const char **names = aslrtp_reallocarray(NULL, (size_t)m->nstates + 1, sizeof *names);
    size_t n = 0;
    for (int k = 0; k < m->nstates; k++)
        if (override_fits(kind, &m->states[k]))
            names[n++] = m->states[k].name;
    const char *near = aslrtp_utf8_nearest(name, names, n);
    char *why = near ? aslrtp_strdupf("%s: no state named '%s' (did you mean '%s'?)",
                                      over_option[kind], name, near)
                     : aslrtp_strdupf("%s: no state named '%s'", over_option[kind], name);
    free(names);
    return why;
}

/* A --override-task value split into its state's name (malloc'd) and its
 * program: at the first colon after which the name is a Task state's (a
 * name may hold colons), else at the first colon. */
static char *task_override_split(const aslrt_machine *m, const char *v, const char **program)
{
    for (const char *c = strchr(v, ':'); c; c = strchr(c + 1, ':')) {
        int i = state_named(m, v, (size_t)(c - v));
        if (i >= 0 && m->states[i].type == ASLRT_STATE_TASK && c[1]) {
            *program = c + 1;
            return aslrtp_strdupf("%.*s", (int)(c - v), v);
        }
    }
    const char *c = strchr(v, ':');
    *program = c + 1;
    return aslrtp_strdupf("%.*s", (int)(c - v), v);
}

/* The overrides of a, checked against m: wait_ms and retry_ms (malloc'd,
 * NULL when no such override is given) for the configuration.  NULL, or
 * why not (malloc'd). */
static char *resolve_overrides(const aslrt_machine *m, const run_args *a, double **wait_ms,
                               double **retry_ms)
{
    *wait_ms = *retry_ms = NULL;
    for (int k = 0; k < a->nover[OVER_TASK]; k++) {
        const char *program;
        char *name = task_override_split(m, a->over[OVER_TASK][k], &program);
        char *why = state_refused(m, OVER_TASK, name);
        if (!why && strchr(program, '/') && access(program, X_OK) != 0)
            why = aslrtp_strdupf("--override-task: cannot run '%s' for state '%s': %s",
                                 program, name, strerror(errno));
        free(name);
        if (why)
            return why;
    }
    for (int kind = OVER_WAIT; kind <= OVER_RETRY; kind++) {
        for (int k = 0; k < a->nover[kind]; k++) {
            const char *v = a->over[kind][k], *colon = strrchr(v, ':');
            char *name = aslrtp_strdupf("%.*s", (int)(colon - v), v);
            char *why = state_refused(m, kind, name);
            if (why) {
                free(name);
                return why;
            }
            /* The value (check_override found it well formed), for every
             * state of that name. */
            size_t nvals = 1;
            for (const char *p = colon + 1; *p; p++)
                nvals += *p == ',';
            for (int i = 0; i < m->nstates; i++) {
                const aslrt_state *s = &m->states[i];
                if (strcmp(s->name, name) != 0 || !override_fits(kind, s))
                    continue;
                if (kind == OVER_RETRY && nvals > 1 && nvals != (size_t)s->nretriers) {
                    why = aslrtp_strdupf("--override-retry: state '%s' has %d retrier%s, but "
                                         "'%s' gives %zu intervals (give one for all, or one "
                                         "per retrier)", name, s->nretriers,
                                         s->nretriers == 1 ? "" : "s", colon + 1, nvals);
                    free(name);
                    return why;
                }
                double **slot = kind == OVER_WAIT ? wait_ms : retry_ms;
                int n = kind == OVER_WAIT ? m->nstates : m->nretriers;
                if (!*slot) {
                    *slot = aslrtp_reallocarray(NULL, (size_t)n, sizeof **slot);
                    for (int j = 0; j < n; j++)
                        (*slot)[j] = -1;
                }
                const char *p = colon + 1;
                if (kind == OVER_WAIT) {
                    parse_ms(p, strlen(p), &(*wait_ms)[i]);
                    continue;
                }
                for (int r = 0; r < s->nretriers; r++) {
                    size_t len = strcspn(p, ",");
                    parse_ms(p, len, &(*retry_ms)[s->retrier + r]);
                    if (nvals > 1)
                        p += len + 1;
                }
            }
            free(name);
        }
    }
    return NULL;
}

/* ---- Several inputs ------------------------------------------------------ */

/* Line and column (in characters, as jansson counts them) of the byte at
 * offset off of text: where a value that starts there is. */
static void position_of(const char *text, size_t off, int *line, int *column)
{
    *line = 1;
    *column = 0;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *column = 0;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            (*column)++;
        }
    }
}

/* Reads the JSON values of text, one after another with any white space
 * between them (JSON lines): the array of them, or NULL with *why
 * (malloc'd) naming where the first bad one is in `from`. */
static json_t *input_values(const char *text, size_t len, const char *from, char **why)
{
    json_t *values = json_array();
    size_t pos = 0;
    for (;;) {
        while (pos < len && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\r' ||
                              text[pos] == '\n'))
            pos++;
        if (pos == len && json_array_size(values) > 0)
            return values;
        json_error_t je;
        size_t used;
        json_t *v = aslrtp_json_loads_first(text + pos, len - pos, &used, &je);
        if (!v) {
            int line, column;
            position_of(text, pos, &line, &column);
            if (je.line <= 1)
                column += je.column;
            else
                column = je.column;
            line += je.line > 1 ? je.line - 1 : 0;
            *why = aslrtp_strdupf("the input is not valid JSON (line %d, column %d of %s: %s)",
                                  line, column, from, je.text);
            json_decref(values);
            return NULL;
        }
        json_array_append_new(values, v);
        pos += used;
    }
}

int aslrt_main_nested(const aslrt_machine *m, const aslrt_child *children, int nchildren,
                      aslrt_machine_loader_fn load, void *load_ud, int argc, char **argv)
{
    /* A closed standard stream stays closed (util.c). */
    aslrtp_std_fds_hold();
    /* A heap past 1 MiB on huge pages (alloc.c): a Map over 10,000 items
     * runs in half the time; a program that stays small is as it was. */
    aslrtp_heap_huge((size_t)1 << 20, (size_t)16 << 20);
    /* The callback commands work from any workflow binary. */
    if (argc > 1 && is_send_task(argv[1]))
        return aslrt_send_task_main(argc - 1, argv + 1);
    /* Out of memory, the execution fails (doc/behaviour.md §36). */
    aslrtp_oom_exit(ASLRT_FAILED, true);
    const char *prog = argc > 0 ? argv[0] : "workflow";
    run_args a;
    char *why = NULL;
    double *wait_ms = NULL, *retry_ms = NULL;
    if (!parse_run_args(argc, argv, children, nchildren, load, load_ud, &a, &why) ||
        (!a.help && !a.version && (why = resolve_overrides(m, &a, &wait_ms, &retry_ms)))) {
        fprintf(stderr, "%s: %s\n", prog, why);
        fprintf(stderr, "Try '%s --help'.\n", prog);
        free(why);
        run_args_free(&a);
        return 2;
    }
    if (a.help || a.version) {
        if (a.help)
            aslrtp_run_usage(stdout, prog);
        else
            printf("%s: the state machine %s, compiled by aslc %s (runtime ABI %d)\n", prog,
                   m->name, PACKAGE_VERSION, ASLRT_ABI_VERSION);
        run_args_free(&a);
        return aslrtp_stdout_done(prog) ? 0 : 2;
    }
    const char *input_text = a.input_text, *input_file = a.input_file;
    const char *bindings_file = a.bindings_file, *mock_file = a.mock_file;
    const char *test_case = a.test_case, *history_file = a.history_file;
    long bench = a.bench;
    aslrt_config cfg = a.cfg;
    cfg.wait_override_ms = wait_ms;
    cfg.retry_override_ms = retry_ms;
    json_t *history = NULL;
    int status = 2;
    json_t *inputs = NULL;
    aslrt_bindings *b = NULL;
    aslrt_mocks *mocks = NULL;
    aslrt_program *p = NULL;
    aslrtp_hist_file *hfile = NULL;
    aslrt_error err = {NULL, NULL};

    /* The input. */
    char *owned = NULL;
    size_t len = 0;
    const char *from = "--input";
    if (input_file) {
        FILE *f = strcmp(input_file, "-") == 0 ? stdin : fopen(input_file, "rb");
        if (!f) {
            fprintf(stderr, "%s: cannot read input file '%s': %s\n", prog, input_file,
                    strerror(errno));
            goto done;
        }
        owned = read_all(f, &len);
        if (f != stdin)
            fclose(f);
        if (!owned) {
            fprintf(stderr, "%s: cannot read input file '%s'\n", prog, input_file);
            goto done;
        }
        from = input_file;
    } else if (input_text) {
        len = strlen(input_text);
    } else if (!isatty(STDIN_FILENO)) {
        owned = read_all(stdin, &len);
        if (!owned) {
            fprintf(stderr, "%s: cannot read the input from stdin\n", prog);
            goto done;
        }
        from = "<stdin>";
    } else {
        input_text = "{}";
        len = 2;
    }
    const char *text = owned ? owned : input_text;
    /* Nothing on stdin is no input at all: AWS's default input, {}. */
    if (owned && !input_file && strspn(owned, " \t\r\n") == len) {
        text = "{}";
        len = 2;
    }
    /* Several values, one after another: one execution each
     * (doc/behaviour.md §41). */
    inputs = input_values(text, len, from, &why);
    free(owned);
    if (!inputs) {
        fprintf(stderr, "%s: %s\n", prog, why);
        free(why);
        goto done;
    }
    size_t ninputs = json_array_size(inputs);
    if (ninputs > 1 && (history_file || bench)) {
        fprintf(stderr, "%s: the input holds %zu JSON values (one execution each); %s takes "
                        "one execution: give one value\n",
                prog, ninputs, history_file ? "--history" : "--bench");
        goto done;
    }

    /* Bindings: the --override-task ones first, so that they win over the
     * file's (doc/behaviour.md §41). */
    b = aslrt_bindings_create();
    for (int k = 0; k < a.nover[OVER_TASK]; k++) {
        const char *program;
        char *name = task_override_split(m, a.over[OVER_TASK][k], &program);
        const char *pargv[] = {program, NULL};
        aslrt_bindings_add_state_program(b, name, pargv, NULL);
        free(name);
    }
    if (bindings_file && !aslrt_bindings_load_file(b, bindings_file, &err)) {
        fprintf(stderr, "%s: %s\n", prog, err.cause ? err.cause : "bad bindings file");
        goto done;
    }
    cfg.bindings = b;

    /* Mocks: the test case chosen (parse_run_args found the file). */
    if (test_case) {
        const char *sm = cfg.state_machine_name ? cfg.state_machine_name : m->name;
        mocks = aslrt_mocks_load(mock_file, sm, test_case, m, &err);
        if (!mocks) {
            fprintf(stderr, "%s: %s\n", prog, err.cause ? err.cause : "bad mock configuration");
            goto done;
        }
        /* An --override-task wins over the mock of its state. */
        for (int k = 0; k < a.nover[OVER_TASK]; k++) {
            const char *program;
            char *name = task_override_split(m, a.over[OVER_TASK][k], &program);
            for (int i = 0; i < m->nstates; i++)
                if (strcmp(m->states[i].name, name) == 0)
                    aslrtp_mock_drop(mocks, i);
            free(name);
        }
        cfg.mocks = mocks;
    }
    p = aslrt_program_create(m, &err);
    if (!p) {
        fprintf(stderr, "%s: %s\n", prog, err.cause ? err.cause : "cannot load the workflow");
        goto done;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    static const int stops[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM};
    for (size_t i = 0; i < sizeof stops / sizeof *stops; i++) {
        /* A signal ignored by whoever started us (nohup) stays ignored. */
        struct sigaction old;
        if (stops[i] != SIGINT && stops[i] != SIGTERM && sigaction(stops[i], NULL, &old) == 0 &&
            old.sa_handler == SIG_IGN)
            continue;
        sigaction(stops[i], &sa, NULL);
    }
    signal(SIGPIPE, SIG_IGN);
    cfg.abort_flag = &abort_flag;
    /* Long Map runs show their progress, on a terminal only. */
    cfg.progress = isatty(STDERR_FILENO);

    /* The history file is made (or its folder found wanting) before the
     * execution runs, and written as it runs: the history is never held
     * whole (doc/behaviour.md §33); --bench writes the last one's. */
    if (history_file) {
        bool made;
        if (bench) {
            FILE *hf = strcmp(history_file, "-") == 0 ? stderr : fopen(history_file, "w");
            made = hf != NULL;
            if (hf && hf != stderr)
                fclose(hf);
            cfg.history = keep_history;
            cfg.history_ud = &history;
        } else {
            hfile = aslrtp_hist_file_open(history_file);
            made = hfile != NULL;
            cfg.history_event = aslrtp_hist_file_event;
            cfg.history_event_ud = hfile;
        }
        if (!made) {
            fprintf(stderr, "%s: cannot write history file '%s': %s\n", prog, history_file,
                    strerror(errno));
            goto done;
        }
        /* No progress line inside a history written on stderr. */
        if (strcmp(history_file, "-") == 0)
            cfg.progress = 0;
    }

    /* One execution per input value, one line of output each; the status
     * is the first that is not success (doc/behaviour.md §41). */
    status = ASLRT_SUCCEEDED;
    for (size_t k = 0; k < ninputs; k++) {
        json_t *input = json_array_get(inputs, k);
        json_t *output = NULL;
        aslrt_error_clear(&err);
        int st = bench ? aslrtp_bench_run(p, &cfg, input, bench, stderr, &output, &err)
                       : aslrt_execute(p, &cfg, input, &output, &err);
        char *text_out = NULL;
        if (st < 0) {
            fprintf(stderr, "%s: %s\n", prog, err.cause ? err.cause : "--bench failed");
            st = 2;
        } else if (st == ASLRT_SUCCEEDED) {
            text_out = aslrt_json_dumps(output);
        } else {
            json_t *e = json_object();
            if (err.error)
                json_object_set_new(e, "Error", json_string(err.error));
            if (err.cause)
                json_object_set_new(e, "Cause", json_string(err.cause));
            text_out = aslrt_json_dumps(e);
            json_decref(e);
        }
        json_decref(output);
        /* Output lost to a write error is no success (as coreutils'
         * close_stdout): exit status 2 then. */
        if (text_out) {
            int werr = 0;
            aslrtp_write(stdout, text_out, strlen(text_out), &werr);
            aslrtp_write(stdout, "\n", 1, &werr);
            werr = k + 1 < ninputs ? (fflush(stdout) ? errno : werr)
                                   : aslrtp_stream_finish(stdout, werr);
            if (werr) {
                aslrtp_write_error(prog, "standard output", werr);
                if (st == ASLRT_SUCCEEDED)
                    st = 2;
            }
        }
        free(text_out);
        if (status == ASLRT_SUCCEEDED)
            status = st;
        /* An abort stops the executions still to come. */
        if (abort_flag || st == 2)
            break;
    }
    /* The result is out: running out of memory from here on ends the
     * program with the status the execution has (doc/behaviour.md §36). */
    aslrtp_oom_exit(status == ASLRT_SUCCEEDED ? 2 : status, false);
    int herr = hfile     ? aslrtp_hist_file_close(hfile)
               : history ? write_history(history_file, history)
                         : 0;
    hfile = NULL;
    if (herr) {
        fprintf(stderr, "%s: cannot write history file '%s': %s\n", prog, history_file,
                herr > 0 ? strerror(herr) : "write error");
        if (status == ASLRT_SUCCEEDED)
            status = 2;
    }
done:
    if (hfile)
        aslrtp_hist_file_close(hfile);
    json_decref(history);
    aslrt_error_clear(&err);
    aslrt_program_destroy(p);
    aslrt_mocks_destroy(mocks);
    aslrt_bindings_destroy(b);
    json_decref(inputs);
    run_args_free(&a);
    free(wait_ms);
    free(retry_ms);
    return status;
}

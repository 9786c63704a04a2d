/*
 * cli.c - aslrt_main: the command line of every workflow binary, and of
 * `aslc run` (which hands it the options after the definition), so both
 * behave the same.
 *
 *   prog [--input JSON | --input-file F] [--bindings F] [--name N]
 *        [--state-machine-name N] [--wait=real|skip|scale:F] [--bench N]
 *
 * --bench N runs the workflow N times and reports on stderr (bench.c).
 *
 * Without --input or --input-file the input is read from stdin when stdin
 * is not a terminal, and is {} otherwise or when stdin is empty (AWS's
 * default input).
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
    O_SYNC, O_TYPE, O_ACCOUNT, O_REGION, O_PROFILE, O_AWS, O_SM_NAME, O_WAIT
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
            "          [--wait=real|skip|scale:FACTOR] [--bench N] [--help] [--version]\n"
            "Runs the workflow once and prints its output JSON.\n"
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
} run_args;

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
    while ((c = getopt_long(argc, argv, ":hV", run_options, NULL)) != -1) {
        const char *v = optarg;
        switch (c) {
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
    return parse_run_args(argc, argv, NULL, 0, NULL, NULL, &a, why);
}

int aslrt_main(const aslrt_machine *m, int argc, char **argv)
{
    return aslrt_main_nested(m, NULL, 0, NULL, NULL, argc, argv);
}

int aslrt_main_nested(const aslrt_machine *m, const aslrt_child *children, int nchildren,
                      aslrt_machine_loader_fn load, void *load_ud, int argc, char **argv)
{
    /* A closed standard stream stays closed (util.c). */
    aslrtp_std_fds_hold();
    /* The callback commands work from any workflow binary. */
    if (argc > 1 && is_send_task(argv[1]))
        return aslrt_send_task_main(argc - 1, argv + 1);
    /* Out of memory, the execution fails (doc/behaviour.md §36). */
    aslrtp_oom_exit(ASLRT_FAILED, true);
    const char *prog = argc > 0 ? argv[0] : "workflow";
    run_args a;
    char *why = NULL;
    if (!parse_run_args(argc, argv, children, nchildren, load, load_ud, &a, &why)) {
        fprintf(stderr, "%s: %s\n", prog, why);
        fprintf(stderr, "Try '%s --help'.\n", prog);
        free(why);
        return 2;
    }
    if (a.help) {
        aslrtp_run_usage(stdout, prog);
        return aslrtp_stdout_done(prog) ? 0 : 2;
    }
    if (a.version) {
        printf("%s: the state machine %s, compiled by aslc %s (runtime ABI %d)\n", prog,
               m->name, PACKAGE_VERSION, ASLRT_ABI_VERSION);
        return aslrtp_stdout_done(prog) ? 0 : 2;
    }
    const char *input_text = a.input_text, *input_file = a.input_file;
    const char *bindings_file = a.bindings_file, *mock_file = a.mock_file;
    const char *test_case = a.test_case, *history_file = a.history_file;
    long bench = a.bench;
    aslrt_config cfg = a.cfg;
    json_t *history = NULL;

    /* The input. */
    char *owned = NULL;
    size_t len = 0;
    const char *from = "--input";
    if (input_file) {
        FILE *f = strcmp(input_file, "-") == 0 ? stdin : fopen(input_file, "rb");
        if (!f) {
            fprintf(stderr, "%s: cannot read input file '%s': %s\n", prog, input_file,
                    strerror(errno));
            return 2;
        }
        owned = read_all(f, &len);
        if (f != stdin)
            fclose(f);
        if (!owned) {
            fprintf(stderr, "%s: cannot read input file '%s'\n", prog, input_file);
            return 2;
        }
        from = input_file;
    } else if (input_text) {
        len = strlen(input_text);
    } else if (!isatty(STDIN_FILENO)) {
        owned = read_all(stdin, &len);
        if (!owned) {
            fprintf(stderr, "%s: cannot read the input from stdin\n", prog);
            return 2;
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
    json_error_t je;
    json_t *input = aslrtp_json_loads(text, len, &je);
    if (!input) {
        fprintf(stderr, "%s: the input is not valid JSON (%s:%d:%d: %s)\n", prog, from, je.line,
                je.column, je.text);
        free(owned);
        return 2;
    }
    free(owned);

    /* Bindings and program. */
    aslrt_bindings *b = aslrt_bindings_create();
    aslrt_error err = {NULL, NULL};
    if (bindings_file && !aslrt_bindings_load_file(b, bindings_file, &err)) {
        fprintf(stderr, "%s: %s\n", prog, err.cause ? err.cause : "bad bindings file");
        aslrt_error_clear(&err);
        aslrt_bindings_destroy(b);
        json_decref(input);
        return 2;
    }
    cfg.bindings = b;

    /* Mocks: the test case chosen (parse_run_args found the file). */
    aslrt_mocks *mocks = NULL;
    if (test_case) {
        const char *sm = cfg.state_machine_name ? cfg.state_machine_name : m->name;
        mocks = aslrt_mocks_load(mock_file, sm, test_case, m, &err);
        if (!mocks) {
            fprintf(stderr, "%s: %s\n", prog, err.cause ? err.cause : "bad mock configuration");
            aslrt_error_clear(&err);
            aslrt_bindings_destroy(b);
            json_decref(input);
            return 2;
        }
        cfg.mocks = mocks;
    }
    aslrt_program *p = aslrt_program_create(m, &err);
    if (!p) {
        fprintf(stderr, "%s: %s\n", prog, err.cause ? err.cause : "cannot load the workflow");
        aslrt_error_clear(&err);
        aslrt_mocks_destroy(mocks);
        aslrt_bindings_destroy(b);
        json_decref(input);
        return 2;
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
    aslrtp_hist_file *hfile = NULL;
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
            aslrt_program_destroy(p);
            aslrt_mocks_destroy(mocks);
            aslrt_bindings_destroy(b);
            json_decref(input);
            return 2;
        }
        /* No progress line inside a history written on stderr. */
        if (strcmp(history_file, "-") == 0)
            cfg.progress = 0;
    }

    json_t *output = NULL;
    int status = bench ? aslrtp_bench_run(p, &cfg, input, bench, stderr, &output, &err)
                       : aslrt_execute(p, &cfg, input, &output, &err);
    char *text_out = NULL;
    if (status < 0) {
        fprintf(stderr, "%s: %s\n", prog, err.cause ? err.cause : "--bench failed");
        status = 2;
    } else if (status == ASLRT_SUCCEEDED) {
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
    /* Output lost to a write error is no success (as coreutils'
     * close_stdout): exit status 2 then. */
    if (text_out) {
        int werr = 0;
        aslrtp_write(stdout, text_out, strlen(text_out), &werr);
        aslrtp_write(stdout, "\n", 1, &werr);
        werr = aslrtp_stream_finish(stdout, werr);
        if (werr) {
            aslrtp_write_error(prog, "standard output", werr);
            if (status == ASLRT_SUCCEEDED)
                status = 2;
        }
    }
    free(text_out);
    /* The result is out: running out of memory from here on ends the
     * program with the status the execution has (doc/behaviour.md §36). */
    aslrtp_oom_exit(status == ASLRT_SUCCEEDED ? 2 : status, false);
    int herr = hfile     ? aslrtp_hist_file_close(hfile)
               : history ? write_history(history_file, history)
                         : 0;
    if (herr) {
        fprintf(stderr, "%s: cannot write history file '%s': %s\n", prog, history_file,
                herr > 0 ? strerror(herr) : "write error");
        if (status == ASLRT_SUCCEEDED)
            status = 2;
    }
    json_decref(history);
    json_decref(output);
    aslrt_error_clear(&err);
    aslrt_program_destroy(p);
    aslrt_mocks_destroy(mocks);
    aslrt_bindings_destroy(b);
    json_decref(input);
    return status;
}

/*
 * serve.c - `aslc serve`: the command line of the server, the environment
 * Step Functions Local reads, and the server's life: start, serve until
 * SIGTERM or SIGINT, stop cleanly (doc/behaviour.md §29).
 *
 * The main thread only waits for a signal: every signal that would end
 * the process is blocked before any thread starts, so it reaches the main
 * thread through sigwait and the shutdown runs in order: running
 * executions are stopped (ABORTED, recorded), the HTTP daemon stops
 * (requests in flight answered), the store is closed.  A second signal
 * during the shutdown ends the process at once; what the store holds is
 * consistent whenever the process ends (store.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aslrt_private.h"
#include "config.h"
#include "server.h"

static void serve_usage(FILE *out)
{
    fputs("usage: aslc serve [--host ADDR] [--port N] [--port-file F] [--data DIR]\n"
          "                  [--bindings F] [--mock-config F] [--region R] [--account ID]\n"
          "                  [--wait=real|skip|scale:F] [--lambda-endpoint URL]\n"
          "                  [--access-key-id K --secret-access-key S]\n"
          "                  [--max-running N] [--backend=tcc|llvm]\n"
          "\n"
          "Serves the AWS Step Functions API (JSON 1.0 protocol) on http://ADDR:N/,\n"
          "127.0.0.1:8083 by default: point the AWS CLI or an SDK at it with\n"
          "--endpoint-url http://127.0.0.1:8083.  State machines are compiled once\n"
          "when created; executions run on threads.\n"
          "\n"
          "  --data DIR        keep state machines, executions and histories in\n"
          "                    DIR/aslc.db (SQLite); without it, in memory\n"
          "  --port 0          any free port; --port-file F writes the one chosen\n"
          "  --bindings F      what answers Task states (README, \"Bindings\")\n"
          "  --mock-config F   Step Functions Local mock configuration: start\n"
          "                    STATE_MACHINE_ARN#TestCase to run a test case\n"
          "  --access-key-id, --secret-access-key\n"
          "                    accept only requests signed with this key\n"
          "\n"
          "Step Functions Local's environment is read too: SFN_MOCK_CONFIG,\n"
          "AWS_ACCOUNT_ID, AWS_DEFAULT_REGION, WAIT_TIME_SCALE, and LAMBDA_ENDPOINT,\n"
          "SQS_ENDPOINT, SNS_ENDPOINT, DYNAMODB_ENDPOINT, EVENTBRIDGE_ENDPOINT,\n"
          "STEP_FUNCTIONS_ENDPOINT (each as AWS_ENDPOINT_URL_<SERVICE>).\n",
          out);
}

/* Step Functions Local's endpoint variables, as the SDKs' ones. */
static void endpoints_from_env(void)
{
    static const char *const map[][2] = {
        {"LAMBDA_ENDPOINT", "AWS_ENDPOINT_URL_LAMBDA"},
        {"SQS_ENDPOINT", "AWS_ENDPOINT_URL_SQS"},
        {"SNS_ENDPOINT", "AWS_ENDPOINT_URL_SNS"},
        {"DYNAMODB_ENDPOINT", "AWS_ENDPOINT_URL_DYNAMODB"},
        {"EVENTBRIDGE_ENDPOINT", "AWS_ENDPOINT_URL_EVENTBRIDGE"},
        {"STEP_FUNCTIONS_ENDPOINT", "AWS_ENDPOINT_URL_SFN"},
        {"BATCH_ENDPOINT", "AWS_ENDPOINT_URL_BATCH"},
        {"ECS_ENDPOINT", "AWS_ENDPOINT_URL_ECS"},
        {"GLUE_ENDPOINT", "AWS_ENDPOINT_URL_GLUE"},
        {"SAGE_MAKER_ENDPOINT", "AWS_ENDPOINT_URL_SAGEMAKER"},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
        const char *v = getenv(map[i][0]);
        if (v && *v && !getenv(map[i][1]))
            setenv(map[i][1], v, 0);
    }
}

/* The value of --name VALUE or --name=VALUE at argv[*i]; NULL otherwise. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *bad)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        fprintf(stderr, "aslc serve: %s needs a value\n", name);
        *bad = true;
        return NULL;
    }
    return argv[++*i];
}

static bool parse_int(const char *v, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!*v || *end || errno || n < lo || n > hi)
        return false;
    *out = (int)n;
    return true;
}

int asl_serve_main(int argc, char **argv)
{
    srv_options o = {.host = "127.0.0.1", .port = 8083, .wait_mode = ASLRT_WAIT_REAL};
    o.mock_config = getenv("SFN_MOCK_CONFIG");
    if (o.mock_config && !*o.mock_config)
        o.mock_config = NULL;
    o.account = getenv("AWS_ACCOUNT_ID");
    o.region = getenv("AWS_DEFAULT_REGION");
    if (!o.region || !*o.region)
        o.region = getenv("AWS_REGION");
    const char *scale = getenv("WAIT_TIME_SCALE");
    if (scale && *scale) {
        char *end;
        double f = strtod(scale, &end);
        if (*end || !(f >= 0)) {
            fprintf(stderr, "aslc serve: WAIT_TIME_SCALE='%s' is not a number >= 0\n", scale);
            return 2;
        }
        o.wait_mode = f == 0 ? ASLRT_WAIT_SKIP : ASLRT_WAIT_SCALE;
        o.wait_scale = f;
    }
    const char *lambda = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        bool bad = false;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            serve_usage(stdout);
            return 0;
        } else if ((v = opt_value(argc, argv, &i, "--host", &bad))) {
            o.host = v;
        } else if ((v = opt_value(argc, argv, &i, "--port-file", &bad))) {
            o.port_file = v;
        } else if ((v = opt_value(argc, argv, &i, "--port", &bad))) {
            if (!parse_int(v, 0, 65535, &o.port)) {
                fprintf(stderr, "aslc serve: --port '%s' is not a port (0 to 65535)\n", v);
                return 2;
            }
        } else if ((v = opt_value(argc, argv, &i, "--data", &bad))) {
            o.data = v;
        } else if ((v = opt_value(argc, argv, &i, "--bindings", &bad))) {
            o.bindings = v;
        } else if ((v = opt_value(argc, argv, &i, "--mock-config", &bad))) {
            o.mock_config = v;
        } else if ((v = opt_value(argc, argv, &i, "--region", &bad))) {
            o.region = v;
        } else if ((v = opt_value(argc, argv, &i, "--account", &bad))) {
            o.account = v;
        } else if ((v = opt_value(argc, argv, &i, "--wait", &bad))) {
            /* A scale of 0 would stop time: --wait=skip says that. */
            if (!aslrtp_wait_parse(v, &o.wait_mode, &o.wait_scale) ||
                (o.wait_mode == ASLRT_WAIT_SCALE && !(o.wait_scale > 0))) {
                fprintf(stderr, "aslc serve: --wait '%s': expected real, skip or scale:F\n", v);
                return 2;
            }
        } else if ((v = opt_value(argc, argv, &i, "--lambda-endpoint", &bad))) {
            lambda = v;
        } else if ((v = opt_value(argc, argv, &i, "--access-key-id", &bad))) {
            o.access_key = v;
        } else if ((v = opt_value(argc, argv, &i, "--secret-access-key", &bad))) {
            o.secret_key = v;
        } else if ((v = opt_value(argc, argv, &i, "--max-running", &bad))) {
            if (!parse_int(v, 1, 100000, &o.max_running)) {
                fprintf(stderr, "aslc serve: --max-running '%s' is not a number from 1\n", v);
                return 2;
            }
        } else if ((v = opt_value(argc, argv, &i, "--backend", &bad))) {
            if (strcmp(v, "llvm") == 0) {
#ifdef HAVE_LLVM
                o.llvm = true;
#else
                fprintf(stderr, "aslc serve: this aslc was built without LLVM\n");
                return 2;
#endif
            } else if (strcmp(v, "tcc") != 0) {
                fprintf(stderr, "aslc serve: --backend '%s': expected tcc or llvm\n", v);
                return 2;
            }
        } else if (!bad) {
            fprintf(stderr, "aslc serve: unknown option '%s' (aslc serve --help lists them)\n", a);
            return 2;
        }
        if (bad)
            return 2;
    }
    if ((o.access_key == NULL) != (o.secret_key == NULL)) {
        fputs("aslc serve: --access-key-id and --secret-access-key go together\n", stderr);
        return 2;
    }
    if (o.region && !*o.region)
        o.region = NULL;
    if (o.account && !*o.account)
        o.account = NULL;
    endpoints_from_env();
    /* Lambda Tasks go to the Invoke API there: --lambda-endpoint, else
     * LAMBDA_ENDPOINT or AWS_ENDPOINT_URL_LAMBDA. */
    o.lambda = lambda ? lambda : getenv("AWS_ENDPOINT_URL_LAMBDA");
    if (o.lambda && !*o.lambda)
        o.lambda = NULL;

    /* Signals reach the main thread only (see the top of the file). */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Out of memory, the server ends with status 1, its store as the last
     * transaction left it (doc/behaviour.md §36). */
    aslrtp_oom_exit(1, false);

    char *err = NULL;
    srv *s = srv_create(&o, &err);
    if (!s) {
        fprintf(stderr, "aslc serve: %s\n", err ? err : "cannot start");
        free(err);
        return 1;
    }
    int port = 0;
    srv_http *h = srv_http_start(s, &port, &err);
    if (!h) {
        fprintf(stderr, "aslc serve: %s\n", err ? err : "cannot listen");
        free(err);
        srv_destroy(s);
        return 1;
    }
    if (o.port_file) {
        /* Written whole, then renamed: a reader never sees half a number. */
        char *tmp = aslrtp_strdupf("%s.tmp", o.port_file);
        FILE *f = fopen(tmp, "w");
        int werr = f ? 0 : errno;
        if (f) {
            char text[16];
            int n = snprintf(text, sizeof text, "%d\n", port);
            aslrtp_write(f, text, (size_t)n, &werr);
            werr = aslrtp_stream_finish(f, werr);
        }
        if (!werr && rename(tmp, o.port_file) != 0)
            werr = errno;
        if (werr) {
            /* Nothing half-written is left behind. */
            if (f)
                unlink(tmp);
            fprintf(stderr, "aslc serve: cannot write the port file '%s': %s\n", o.port_file,
                    werr > 0 ? strerror(werr) : "write error");
            free(tmp);
            srv_http_stop(h);
            srv_destroy(s);
            return 1;
        }
        free(tmp);
    }
    fprintf(stderr, "aslc serve: listening on http://%s%s%s:%d/ (%s)\n",
            strchr(o.host, ':') ? "[" : "", o.host, strchr(o.host, ':') ? "]" : "", port,
            o.data ? o.data : "in memory");
    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    fprintf(stderr, "aslc serve: %s: stopping\n", strsignal(sig));
    /* A second signal ends the process at once. */
    pthread_sigmask(SIG_UNBLOCK, &stop, NULL);
    srv_shutdown(s);
    srv_http_stop(h);
    srv_destroy(s);
    return 0;
}

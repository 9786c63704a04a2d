/*
 * fuzz_runtime.c - libFuzzer target for the runtime's state loop: the input
 * bytes are an execution input, run through each machine of
 * tests/fuzz/runtime/ (compiled ahead of time by `aslc emit`: paths.asl.json,
 * JSONPath; jsonata.asl.json, JSONata).  The input's "op" member picks the
 * states a run goes through: Choice rules of every kind, Pass with
 * Parameters and intrinsics, InputPath/ResultPath/OutputPath, Assign, Map
 * with ItemsPath/Items and ItemSelector (inline, and distributed with an
 * ItemBatcher and a tolerated failure percentage), Parallel, Wait with
 * SecondsPath or TimestampPath (skipped: ASLRT_WAIT_SKIP, so nothing
 * sleeps, retry intervals neither), Fail with ErrorPath/CausePath, a Task
 * answered by the mock configuration tests/fuzz/runtime/mocks.json and one
 * bound to the C handler below (no process is ever started).  An input of
 * odd length runs as an Express execution.  Every execution is
 * recorded in a history that is then serialised.  Input that is not JSON is
 * refused as aslrt_main refuses it.  A failed execution is the normal case;
 * anything but an output or a failure (a crash, a sanitizer report, a
 * leak, a success without an output) is a finding.
 *
 * Built with libFuzzer by tests/fuzz/run-fuzz.sh runtime, which emits the
 * machines' C into its build directory; `make check` emits them with the
 * aslc it built, links them with tests/fuzz/replay.c and replays
 * tests/fuzz/corpus/runtime/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aslrt.h"
#include "aslrt_private.h"

#ifndef FUZZ_RUNTIME_DIR
#error "FUZZ_RUNTIME_DIR (the folder tests/fuzz/runtime) must be defined"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const aslrt_machine fuzz_rt_paths_machine;
extern const aslrt_machine fuzz_rt_jsonata_machine;

/* The machines, each with its program and its test case of mocks.json. */
static struct {
    const aslrt_machine *m;
    aslrt_program *prog;
    aslrt_mocks *mocks;
} machines[] = {
    { &fuzz_rt_paths_machine, NULL, NULL },
    { &fuzz_rt_jsonata_machine, NULL, NULL },
};
#define NMACHINES (sizeof machines / sizeof machines[0])

static aslrt_bindings *bindings;

static void die(const char *what, const aslrt_error *e)
{
    fprintf(stderr, "fuzz_runtime: %s: %s: %s\n", what, e->error ? e->error : "?",
            e->cause ? e->cause : "?");
    abort();
}

/* The Echo function: its result is its input; an input whose "in" holds a
 * string "throw" fails with that Error instead (Retry and Catch match it). */
static int echo(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    (void)ud;
    json_t *thr = json_object_get(json_object_get(input, "in"), "throw");
    if (json_is_string(thr)) {
        aslrt_error_set(err, json_string_value(thr), "thrown by the fuzz handler");
        return 0;
    }
    *output = json_incref(input);
    return 1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    bindings = aslrt_bindings_create();
    if (!aslrt_bindings_add_c(bindings, "arn:aws:lambda:*:function:Echo", echo, NULL))
        abort();
    for (size_t i = 0; i < NMACHINES; i++) {
        aslrt_error e = { 0 };
        machines[i].prog = aslrt_program_create(machines[i].m, &e);
        if (!machines[i].prog)
            die("cannot create the program", &e);
        machines[i].mocks = aslrt_mocks_load(FUZZ_RUNTIME_DIR "/mocks.json",
                                             machines[i].m->name, "fuzz", machines[i].m, &e);
        if (!machines[i].mocks)
            die("cannot load the mocks", &e);
    }
    return 0;
}

/* Frees the programs, mocks and bindings (the replay driver calls it
 * before exiting, so that LeakSanitizer sees nothing left). */
void fuzz_target_cleanup(void);
void fuzz_target_cleanup(void)
{
    for (size_t i = 0; i < NMACHINES; i++) {
        aslrt_mocks_destroy(machines[i].mocks);
        aslrt_program_destroy(machines[i].prog);
    }
    aslrt_bindings_destroy(bindings);
}

/* The history document, serialised as `--history` writes it. */
static void history(void *ud, const json_t *doc)
{
    (void)ud;
    free(aslrt_json_dumps(doc));
}

static void run(size_t i, json_t *input, int express)
{
    aslrt_config cfg;
    aslrt_config_init(&cfg);
    cfg.bindings = bindings;
    cfg.mocks = machines[i].mocks;
    cfg.execution_name = "fuzz";
    cfg.region = "us-east-1";
    cfg.account = "123456789012";
    cfg.start_time_ms = 1700000000000LL;
    cfg.wait_mode = ASLRT_WAIT_SKIP;
    cfg.threads = 2;
    cfg.express = express;
    cfg.history = history;

    json_t *out = NULL;
    aslrt_error e = { 0 };
    int status = aslrt_execute(machines[i].prog, &cfg, input, &out, &e);
    if (status == ASLRT_SUCCEEDED) {
        if (!out) {
            fprintf(stderr, "fuzz_runtime: %s succeeded without an output\n",
                    machines[i].m->name);
            abort();
        }
        free(aslrt_json_dumps(out));
        json_decref(out);
    } else if (status != ASLRT_FAILED && status != ASLRT_TIMED_OUT && status != ASLRT_ABORTED) {
        fprintf(stderr, "fuzz_runtime: %s ended with the unknown status %d\n",
                machines[i].m->name, status);
        abort();
    }
    aslrt_error_clear(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *input = aslrtp_json_loads((const char *)data, size, &je);
    if (!input)
        return 0;
    for (size_t i = 0; i < NMACHINES; i++)
        run(i, input, size % 2 == 1);
    json_decref(input);
    return 0;
}

/*
 * fuzz_loaders.c - libFuzzer target for the two files a run loads beside
 * its definition: the input bytes are written to a file and loaded both as
 * a bindings file (aslrt_bindings_load_file, runtime/task.c, with its
 * "States", "StateMachines" and "Endpoints" sections and its program,
 * python, worker and http bindings) and as a Step Functions Local mock
 * configuration (aslrt_mocks_load, runtime/mock.c).  Whatever loads is then
 * used lightly and freed: every key of the document is looked up as a state
 * name, a resource, a state machine and a service; the mocks' test case
 * (the document's first machine and its first test case) is loaded
 * against a machine whose states are the names it mocks (all of them, or
 * all but one, which must be refused), and every mocked state answers
 * invocations 0 to 3.  Nothing is ever run: the files a binding may name
 * (an executable, a Python file, the Python adapter, a definition) are
 * made once in a scratch directory, beside the loaded file.  A refused
 * file is the normal case; anything but a load or an error with a message
 * (a crash, a sanitizer report, a leak) is a finding.
 *
 * Built with libFuzzer by tests/fuzz/run-fuzz.sh loaders; `make check` links
 * it with tests/fuzz/replay.c and replays tests/fuzz/corpus/loaders/.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "aslrt.h"
#include "aslrt_private.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The scratch directory and the file each input is written to. */
static char dir[] = "/tmp/aslc-fuzz-loaders.XXXXXX";
static char *file;

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_loaders: %s%s%.200s\n", what, detail ? ": " : "",
            detail ? detail : "");
    abort();
}

/* Writes size bytes of data to dir/name, with mode. */
static void put(const char *name, const void *data, size_t size, mode_t mode)
{
    char *path = aslrtp_strdupf("%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0 || chmod(path, mode) != 0)
        fail("cannot write", path);
    free(path);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Removes the scratch directory (at exit, also when libFuzzer ends). */
static void remove_dir(void)
{
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!mkdtemp(dir))
        fail("cannot make the scratch directory", dir);
    atexit(remove_dir);
    static const char script[] = "#!/bin/sh\nexit 1\n";
    static const char definition[] =
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}";
    put("handler", script, sizeof script - 1, 0755);
    put("adapter", script, sizeof script - 1, 0755);
    put("handler.py", "", 0, 0644);
    put("child.asl.json", definition, sizeof definition - 1, 0644);
    char *sub = aslrtp_strdupf("%s/sub", dir);
    if (mkdir(sub, 0755) != 0)
        fail("cannot make", sub);
    free(sub);
    /* The Python adapter the loader checks for; no credentials, so that
     * whether http bindings are signed does not depend on the caller. */
    char *adapter = aslrtp_strdupf("%s/adapter", dir);
    setenv("ASLC_PYTHON_HANDLER", adapter, 1);
    free(adapter);
    unsetenv("ASLC_PYTHON");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    file = aslrtp_strdupf("%s/loaded.json", dir);
    return 0;
}

/* Frees what LLVMFuzzerInitialize made (the replay driver calls it before
 * exiting, so that LeakSanitizer sees nothing left). */
void fuzz_target_cleanup(void);
void fuzz_target_cleanup(void)
{
    free(file);
}

/* A refusal says what is wrong. */
static void check_error(const char *loader, aslrt_error *e)
{
    if (!e->error || !e->cause || !*e->cause)
        fail(loader, "refused without an Error and a Cause");
    aslrt_error_clear(e);
}

/* Every string that could name something: the document's keys, two levels
 * down, and a few fixed names. */
static void collect(json_t *v, int depth, json_t *names)
{
    const char *k;
    json_t *m;
    json_object_foreach(v, k, m) {
        json_array_append_new(names, json_string(k));
        if (depth < 2)
            collect(m, depth + 1, names);
    }
}

static void use_bindings(const aslrt_bindings *b, json_t *names)
{
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) {
        const char *s = json_string_value(n);
        (void)aslrtp_task_bound(b, s, s);
        (void)aslrtp_task_bound(b, NULL, s);
        (void)aslrtp_bindings_machine(b, s);
        const char *url = aslrtp_bindings_endpoint(b, s);
        if (url && strncmp(url, "http", 4) != 0)
            fail("an endpoint that is no URL", url);
    }
    (void)aslrtp_bindings_has_machines(b);
}

static void load_bindings(json_t *names)
{
    aslrt_bindings *b = aslrt_bindings_create();
    aslrt_error e = { 0 };
    if (aslrt_bindings_load_file(b, file, &e))
        use_bindings(b, names);
    else
        check_error("the bindings loader", &e);
    aslrt_error_clear(&e);
    aslrt_bindings_destroy(b);
}

/* The mocks of the first test case of the first machine, against a machine
 * with the states it names (all but the last when drop is set) and one
 * that it does not. */
static void load_mocks(json_t *doc, int drop)
{
    const char *machine = "fuzz", *test_case = "fuzz";
    json_t *cases = NULL;
    void *it = json_object_iter(json_object_get(doc, "StateMachines"));
    if (it) {
        machine = json_object_iter_key(it);
        cases = json_object_get(json_object_iter_value(it), "TestCases");
        void *c = json_object_iter(cases);
        if (c)
            test_case = json_object_iter_key(c);
    }
    json_t *tc = json_object_get(cases, test_case);
    size_t n = json_is_object(tc) ? json_object_size(tc) : 0;
    if (drop && n > 0)
        n--;
    aslrt_state *states = aslrtp_calloc(n + 1, sizeof *states);
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(tc, k, v) {
        if (i == n)
            break;
        states[i++] = (aslrt_state){ .name = k, .type = ASLRT_STATE_TASK };
    }
    states[n] = (aslrt_state){ .name = "Not mocked", .type = ASLRT_STATE_PASS };
    aslrt_machine m = { .abi_version = ASLRT_ABI_VERSION, .name = machine,
                        .source = "fuzz", .states = states, .nstates = (int)n + 1 };

    aslrt_error e = { 0 };
    aslrt_mocks *mk = aslrt_mocks_load(file, machine, test_case, &m, &e);
    if (mk) {
        for (int s = 0; s < m.nstates; s++) {
            for (long call = 0; call < 4; call++) {
                json_t *out = NULL;
                aslrt_error r = { 0 };
                if (aslrtp_mock_invoke(mk, s, states[s].name, call, &out, &r)) {
                    free(aslrt_json_dumps(out));
                    json_decref(out);
                } else if (!r.error && !r.cause) {
                    fail("a mocked response failed without an Error or a Cause",
                         states[s].name);
                }
                aslrt_error_clear(&r);
            }
        }
        aslrt_mocks_destroy(mk);
    } else {
        check_error("the mock loader", &e);
    }
    aslrt_error_clear(&e);
    free(states);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    put("loaded.json", data, size, 0644);
    json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    json_t *names = json_pack("[sss]", "arn:aws:lambda:us-east-1:123456789012:function:F",
                              "dynamodb", "*");
    collect(doc, 0, names);
    load_bindings(names);
    load_mocks(doc, size % 2 == 1);
    json_decref(names);
    json_decref(doc);
    return 0;
}

/*
 * mock.c - mocked Task responses in the format of AWS Step Functions
 * Local's mock configuration file (MockConfigFile.json):
 *
 *   {"StateMachines": {"<machine>": {"TestCases": {"<case>": {"<state>": "<response>"}}}},
 *    "MockedResponses": {"<response>": {"0": {"Return": ...}, "1-2": {"Throw": {"Error", "Cause"}}}}}
 *
 * One test case is selected per execution.  A Task state the test case names
 * answers from its mocked response instead of calling its binding; the
 * response is chosen by the number of times the state was invoked so far in
 * the execution, retries and later visits included (as Step Functions Local
 * counts).  Names that do not exist (test case, state, response) are
 * reported when the file is loaded; a response entry is only checked when it
 * is used, as Step Functions Local does.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"

typedef struct mock_range {
    long lo, hi;             /* invocation numbers, inclusive */
    json_t *entry;           /* {"Return": ...} or {"Throw": ...} (borrowed from root) */
} mock_range;

typedef struct mock_state {
    const char *response;    /* the mocked response's name */
    mock_range *ranges;      /* NULL for a state the test case does not mock */
    size_t nranges;
} mock_state;

struct aslrt_mocks {
    json_t *root;            /* the whole file */
    char *file;
    mock_state *states;      /* by the machine's state index */
    int nstates;
};

static int fail(aslrt_error *err, const char *fmt, const char *a, const char *b, const char *c)
{
    char *msg = aslrtp_strdupf(fmt, a, b ? b : "", c ? c : "");
    aslrt_error_set(err, "aslc.MockConfigError", msg);
    free(msg);
    return 0;
}

/* "3" or "1-2"; returns 0 when the key is neither. */
static int parse_range(const char *k, long *lo, long *hi)
{
    char *end;
    errno = 0;
    if (*k < '0' || *k > '9')
        return 0;
    *lo = strtol(k, &end, 10);
    if (errno || *lo < 0)
        return 0;
    if (*end == '\0') {
        *hi = *lo;
        return 1;
    }
    if (*end != '-' || end[1] < '0' || end[1] > '9')
        return 0;
    *hi = strtol(end + 1, &end, 10);
    return !errno && *end == '\0' && *hi >= *lo;
}

static int by_lo(const void *a, const void *b)
{
    const mock_range *x = a, *y = b;
    return (x->lo > y->lo) - (x->lo < y->lo);
}

aslrt_mocks *aslrt_mocks_load(const char *path, const char *machine_name, const char *test_case,
                              const aslrt_machine *m, aslrt_error *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, JSON_DECODE_ANY, &je);
    if (!root) {
        char line[32];
        snprintf(line, sizeof line, "%d", je.line);
        fail(err, "%s:%s: the mock configuration is not valid JSON: %s", path, line, je.text);
        return NULL;
    }
    aslrt_mocks *mk = aslrtp_calloc(1, sizeof *mk);
    mk->root = root;
    mk->file = aslrtp_strdup(path);
    mk->nstates = m->nstates;
    mk->states = aslrtp_calloc((size_t)m->nstates + 1, sizeof *mk->states);

    json_t *machines = json_object_get(root, "StateMachines");
    json_t *responses = json_object_get(root, "MockedResponses");
    json_t *cases = json_object_get(json_object_get(machines, machine_name), "TestCases");
    json_t *tc = json_object_get(cases, test_case);
    if (!json_is_object(root) || !json_is_object(machines) || !json_is_object(responses)) {
        fail(err, "%s: a mock configuration needs the objects \"StateMachines\" and "
                  "\"MockedResponses\"%s%s",
             path, NULL, NULL);
        goto bad;
    }
    if (!json_is_object(json_object_get(machines, machine_name))) {
        fail(err, "%s: no state machine \"%s\" in \"StateMachines\" (set its name with "
                  "--state-machine-name)%s",
             path, machine_name, NULL);
        goto bad;
    }
    if (!json_is_object(tc)) {
        fail(err, "%s: state machine \"%s\" has no test case \"%s\"", path, machine_name,
             test_case);
        goto bad;
    }
    const char *state;
    json_t *rname;
    json_object_foreach(tc, state, rname) {
        int idx = -1;
        for (int i = 0; i < m->nstates; i++)
            if (strcmp(m->states[i].name, state) == 0)
                idx = i;
        if (idx < 0) {
            fail(err, "%s: test case \"%s\" mocks state \"%s\", which the state machine does not have",
                 path, test_case, state);
            goto bad;
        }
        json_t *resp = json_object_get(responses, json_string_value(rname));
        if (!json_is_string(rname) || !json_is_object(resp)) {
            fail(err, "%s: test case \"%s\" names the mocked response \"%s\", which "
                      "\"MockedResponses\" does not define",
                 path, test_case, json_is_string(rname) ? json_string_value(rname) : "?");
            goto bad;
        }
        mock_state *ms = &mk->states[idx];
        ms->response = json_string_value(rname);
        ms->ranges = aslrtp_calloc(json_object_size(resp) + 1, sizeof *ms->ranges);
        const char *key;
        json_t *entry;
        json_object_foreach(resp, key, entry) {
            mock_range *r = &ms->ranges[ms->nranges];
            if (!parse_range(key, &r->lo, &r->hi)) {
                fail(err, "%s: mocked response \"%s\": \"%s\" is not an invocation number or a "
                          "range such as \"1-3\"",
                     path, ms->response, key);
                goto bad;
            }
            r->entry = entry;
            ms->nranges++;
        }
        qsort(ms->ranges, ms->nranges, sizeof *ms->ranges, by_lo);
    }
    return mk;
bad:
    aslrt_mocks_destroy(mk);
    return NULL;
}

void aslrt_mocks_destroy(aslrt_mocks *mk)
{
    if (!mk)
        return;
    for (int i = 0; i < mk->nstates; i++)
        free(mk->states[i].ranges);
    free(mk->states);
    free(mk->file);
    json_decref(mk->root);
    free(mk);
}

void aslrtp_mock_drop(aslrt_mocks *mk, int state)
{
    if (mk && state >= 0 && state < mk->nstates) {
        free(mk->states[state].ranges);
        mk->states[state].ranges = NULL;
        mk->states[state].nranges = 0;
    }
}

bool aslrtp_mock_covers(const aslrt_mocks *mk, int state)
{
    return mk && state >= 0 && state < mk->nstates && mk->states[state].ranges != NULL;
}

int aslrtp_mock_invoke(const aslrt_mocks *mk, int state, const char *state_name, long call,
                       json_t **out, aslrt_error *err)
{
    if (!aslrtp_mock_covers(mk, state)) {
        char *c = aslrtp_strdupf("state '%s' is not mocked", state_name);
        aslrt_error_set(err, ASLRTP_ERR_RUNTIME, c);
        free(c);
        return 0;
    }
    const mock_state *ms = &mk->states[state];
    const mock_range *r = NULL;
    for (size_t i = 0; i < ms->nranges; i++)
        if (call >= ms->ranges[i].lo && call <= ms->ranges[i].hi)
            r = &ms->ranges[i];
    char num[32];
    snprintf(num, sizeof num, "%ld", call);
    /* Step Functions Local: "you must specify a mocked response for every
     * invocation ... If you do not, the state machine execution will fail." */
    if (!r) {
        char *c = aslrtp_strdupf("The mocked response '%s' has no entry for invocation %s of "
                                 "state '%s' (invocations count from 0)",
                                 ms->response, num, state_name);
        aslrt_error_set(err, ASLRTP_ERR_RUNTIME, c);
        free(c);
        return 0;
    }
    json_t *ret = json_object_get(r->entry, "Return");
    json_t *thr = json_object_get(r->entry, "Throw");
    if (!json_is_object(r->entry) || !!ret == !!thr || json_object_size(r->entry) != 1 ||
        (thr && (!json_is_object(thr) || !json_is_string(json_object_get(thr, "Error")) ||
                 (json_object_get(thr, "Cause") &&
                  !json_is_string(json_object_get(thr, "Cause")))))) {
        char *c = aslrtp_strdupf("The mocked response '%s' for invocation %s is invalid: it "
                                 "must hold exactly one field, \"Return\" (any JSON value) or "
                                 "\"Throw\" ({\"Error\": string, \"Cause\": string})",
                                 ms->response, num);
        aslrt_error_set(err, ASLRTP_ERR_RUNTIME, c);
        free(c);
        return 0;
    }
    if (ret) {
        *out = json_incref(ret);
        return 1;
    }
    aslrt_error_set(err, json_string_value(json_object_get(thr, "Error")),
                    json_string_value(json_object_get(thr, "Cause")));
    return 0;
}

/*
 * test.c - `aslc test`: turns mock configurations (Step Functions Local's
 * MockConfigFile.json) and test files (definition, input, test case and
 * what is expected of each run) into executions, and their results into a
 * TAP 13 or JUnit XML report.
 *
 *   files → suites (one per state machine: its definition, bindings, mock
 *   configuration) → cases → one execution each → results → report
 *
 * Each definition is compiled once (the compile-on-first-use table of
 * children.c, which nested executions share) and every case of it runs on
 * that program, a fresh execution each, with its test case's mocks loaded
 * for it.  What a test file holds, the mask syntax and what "pass" means:
 * doc/behaviour.md §42.
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "aslrt.h"
#include "aslrt_private.h"
#include "backend.h"
#include "children.h"
#include "config.h"
#include "dynlib.h"     /* libxml2's writer, opened on use */
#include "test.h"

/* What a mask or a cause mask puts in the place of what it hides. */
#define MASKED "<masked>"

/* ---- What the files ask for ---------------------------------------------- */

/* One step of a mask path: a member by name, an element by index, or every
 * child; deep: at any depth at or below (..name). */
typedef struct mask_step {
    enum { STEP_KEY, STEP_INDEX, STEP_ANY } kind;
    bool deep;
    char *key;
    size_t index;
} mask_step;

typedef struct mask {
    mask_step *steps;
    size_t n;
} mask;

typedef struct tcase {
    char *name;
    char *test_case;            /* the mock configuration's test case; NULL: no mocks */
    json_t *input;
    json_t *expected_output;    /* NULL: not checked */
    char *expected_error, *expected_cause;
    int expected_status;        /* ASLRT_*; -1: not given */
    mask *masks;
    size_t nmasks;
    pcre2_code **cause_masks;
    size_t ncause_masks;
} tcase;

typedef struct suite {
    char *name;                 /* the state machine's name (mock configuration's key) */
    char *definition;           /* NULL: not found (why) */
    char *why;
    char *mock_config, *bindings, *sm_dir;
    tcase *cases;
    size_t ncases;
} suite;

typedef struct test_opts {
    const char *format, *output, *sm_dir, *bindings, *filter;
    bool llvm;
    int wait_mode;
    double wait_scale;
} test_opts;

/* ---- What came of a case ------------------------------------------------- */

enum { PASS, FAIL, ERROR };

typedef struct result {
    const suite *s;
    const tcase *c;
    int outcome;
    char *kind;                 /* failure/error type: OutputMismatch, ... */
    char *message;
    char *expected, *actual, *at;
    int status;                 /* the execution's ASLRT_*, -1: none ran */
    char *output, *error, *cause;
    double ms;
} result;

static void mask_free(mask *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->steps[i].key);
    free(m->steps);
}

static void tcase_free(tcase *c)
{
    free(c->name);
    free(c->test_case);
    json_decref(c->input);
    json_decref(c->expected_output);
    free(c->expected_error);
    free(c->expected_cause);
    for (size_t i = 0; i < c->nmasks; i++)
        mask_free(&c->masks[i]);
    free(c->masks);
    for (size_t i = 0; i < c->ncause_masks; i++)
        pcre2_code_free(c->cause_masks[i]);
    free(c->cause_masks);
}

static void suite_free(suite *s)
{
    free(s->name);
    free(s->definition);
    free(s->why);
    free(s->mock_config);
    free(s->bindings);
    free(s->sm_dir);
    for (size_t i = 0; i < s->ncases; i++)
        tcase_free(&s->cases[i]);
    free(s->cases);
}

static void result_free(result *r)
{
    free(r->kind);
    free(r->message);
    free(r->expected);
    free(r->actual);
    free(r->at);
    free(r->output);
    free(r->error);
    free(r->cause);
}

/* ---- Masks ---------------------------------------------------------------
 *
 * $ then steps: .name, ['name'] (or "name"), [N], [*] or .*, and ..name,
 * ..['name'], ..[N], ..* for any depth.  Returns NULL, or why the text is
 * not a mask (malloc'd). */
static char *mask_parse(const char *text, mask *m)
{
    memset(m, 0, sizeof *m);
    const char *p = text;
    if (*p++ != '$')
        return aslrtp_strdup("a mask starts with '$'");
    while (*p) {
        mask_step st = {.kind = STEP_KEY};
        if (p[0] == '.' && p[1] == '.') {
            st.deep = true;
            p += 2;
            if (*p == '[')
                goto bracket;
        } else if (*p == '.') {
            p++;
        } else if (*p == '[') {
            goto bracket;
        } else {
            return aslrtp_strdupf("unexpected '%c' at offset %zu", *p, (size_t)(p - text));
        }
        if (*p == '*') {
            st.kind = STEP_ANY;
            p++;
        } else {
            size_t len = strcspn(p, ".[");
            if (len == 0)
                return aslrtp_strdupf("a name is missing at offset %zu", (size_t)(p - text));
            st.key = aslrtp_strdupf("%.*s", (int)len, p);
            p += len;
        }
        goto add;
    bracket:
        p++;
        if (*p == '*' && p[1] == ']') {
            st.kind = STEP_ANY;
            p += 2;
        } else if (*p == '\'' || *p == '"') {
            char q = *p++;
            aslrtp_buf b = {0};
            while (*p && *p != q) {
                if (*p == '\\' && p[1])
                    p++;
                aslrtp_buf_add(&b, p++, 1);
            }
            st.key = aslrtp_buf_finish(&b);
            if (*p != q || p[1] != ']') {
                free(st.key);
                return aslrtp_strdupf("an unterminated ['name'] at offset %zu",
                                      (size_t)(p - text));
            }
            p += 2;
        } else if (*p >= '0' && *p <= '9') {
            char *end;
            errno = 0;
            unsigned long long i = strtoull(p, &end, 10);
            if (errno || *end != ']')
                return aslrtp_strdupf("a bad index at offset %zu", (size_t)(p - text));
            st.kind = STEP_INDEX;
            st.index = (size_t)i;
            p = end + 1;
        } else {
            return aslrtp_strdupf("expected a number, '*' or a quoted name after '[' at "
                                  "offset %zu",
                                  (size_t)(p - text));
        }
    add:
        m->steps = aslrtp_reallocarray(m->steps, m->n + 1, sizeof *m->steps);
        m->steps[m->n++] = st;
    }
    return NULL;
}

static void mask_apply_at(json_t *v, const mask_step *s, size_t n);

/* Applies step s, at this level only (s->deep aside), to the children of
 * the container v, and steps s[1..n) to what it selects: what the last
 * step selects becomes MASKED. */
static void mask_apply_here(json_t *v, const mask_step *s, size_t n)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *child;
        json_object_foreach(v, k, child) {
            if (s->kind == STEP_INDEX || (s->kind == STEP_KEY && strcmp(k, s->key) != 0))
                continue;
            if (n == 1)
                json_object_set_new(v, k, json_string(MASKED));
            else
                mask_apply_at(child, s + 1, n - 1);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *child;
        json_array_foreach(v, i, child) {
            if (s->kind == STEP_KEY || (s->kind == STEP_INDEX && i != s->index))
                continue;
            if (n == 1)
                json_array_set_new(v, i, json_string(MASKED));
            else
                mask_apply_at(child, s + 1, n - 1);
        }
    }
}

/* Applies steps s[0..n) (n > 0) to the children of the container v, and,
 * for a deep step (..name), to those of every container below. */
static void mask_apply_at(json_t *v, const mask_step *s, size_t n)
{
    mask_apply_here(v, s, n);
    if (!s->deep)
        return;
    /* What was masked here is a string now, and is not entered. */
    const char *k;
    json_t *child;
    size_t i;
    if (json_is_object(v))
        json_object_foreach(v, k, child) mask_apply_at(child, s, n);
    else if (json_is_array(v))
        json_array_foreach(v, i, child) mask_apply_at(child, s, n);
}

/* v (a new reference, or NULL) with every mask applied: a copy. */
static json_t *masked(const json_t *v, const mask *masks, size_t n)
{
    if (!v)
        return NULL;
    json_t *copy = json_deep_copy(v);
    for (size_t i = 0; i < n; i++) {
        if (masks[i].n == 0) {
            json_decref(copy);
            return json_string(MASKED);
        }
        mask_apply_at(copy, masks[i].steps, masks[i].n);
    }
    return copy;
}

/* Cause text with every match of the cause masks replaced (malloc'd). */
static char *cause_masked(const char *text, pcre2_code **re, size_t n)
{
    char *cur = aslrtp_strdup(text ? text : "");
    for (size_t i = 0; i < n; i++) {
        PCRE2_SIZE len = strlen(cur) * 2 + 64;
        for (;;) {
            char *out = aslrtp_calloc(1, len + 1);
            PCRE2_SIZE outlen = len + 1;
            int rc = pcre2_substitute(re[i], (PCRE2_SPTR)cur, PCRE2_ZERO_TERMINATED, 0,
                                      PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH |
                                          PCRE2_SUBSTITUTE_LITERAL,
                                      NULL, NULL, (PCRE2_SPTR)MASKED, strlen(MASKED),
                                      (PCRE2_UCHAR *)out, &outlen);
            if (rc == PCRE2_ERROR_NOMEMORY) {
                free(out);
                len = outlen;
                continue;
            }
            if (rc >= 0) {
                free(cur);
                cur = out;
            } else {
                free(out);      /* text that is not UTF-8: compared as it is */
            }
            break;
        }
    }
    return cur;
}

/* ---- Comparing ----------------------------------------------------------- */

/* Appends the step to member key, in the mask syntax. */
static void path_add_key(aslrtp_buf *b, const char *key)
{
    bool plain = *key && !(key[0] >= '0' && key[0] <= '9');
    for (const char *k = key; *k && plain; k++)
        plain = (*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
                (*k >= '0' && *k <= '9') || *k == '_' || *k == '-';
    if (plain) {
        aslrtp_buf_addf(b, ".%s", key);
        return;
    }
    aslrtp_buf_adds(b, "['");
    for (const char *k = key; *k; k++) {
        if (*k == '\'' || *k == '\\')
            aslrtp_buf_add(b, "\\", 1);
        aslrtp_buf_add(b, k, 1);
    }
    aslrtp_buf_adds(b, "']");
}

/* Whether a and b differ as JSON values; if so, the path of the first
 * difference is appended to path (doc/behaviour.md §42.3). */
static bool first_diff(const json_t *a, const json_t *b, aslrtp_buf *path)
{
    size_t mark = path->len;
    if (json_is_object(a) && json_is_object(b)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)a, k, x) {
            path_add_key(path, k);
            json_t *y = json_object_get(b, k);
            if (!y || first_diff(x, y, path))
                return true;
            path->len = mark;
        }
        json_object_foreach((json_t *)b, k, x) {
            if (!json_object_get(a, k)) {
                path_add_key(path, k);
                return true;
            }
        }
        return false;
    }
    if (json_is_array(a) && json_is_array(b)) {
        size_t na = json_array_size(a), nb = json_array_size(b);
        for (size_t i = 0; i < na || i < nb; i++) {
            aslrtp_buf_addf(path, "[%zu]", i);
            if (i >= na || i >= nb || first_diff(json_array_get(a, i), json_array_get(b, i), path))
                return true;
            path->len = mark;
        }
        return false;
    }
    /* Numbers by value: 1 and 1.0 are the same JSON number. */
    if (json_is_integer(a) && json_is_integer(b))
        return json_integer_value(a) != json_integer_value(b);
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) != json_number_value(b);
    return !json_equal((json_t *)a, (json_t *)b);
}

static const char *status_name(int status)
{
    switch (status) {
    case ASLRT_SUCCEEDED: return "SUCCEEDED";
    case ASLRT_FAILED: return "FAILED";
    case ASLRT_TIMED_OUT: return "TIMED_OUT";
    case ASLRT_ABORTED: return "ABORTED";
    default: return "NONE";
    }
}

static int status_parse(const char *s)
{
    static const int all[] = {ASLRT_SUCCEEDED, ASLRT_FAILED, ASLRT_TIMED_OUT, ASLRT_ABORTED};
    for (size_t i = 0; s && i < sizeof all / sizeof *all; i++)
        if (strcmp(s, status_name(all[i])) == 0)
            return all[i];
    return -1;
}

static char *dump(const json_t *v)
{
    return v ? aslrt_json_dumps(v) : aslrtp_strdup("null");
}

/* Judges the execution's end against what c expects (doc/behaviour.md
 * §42.3): fills r->outcome and, for a failure, why. */
static void judge(const tcase *c, int status, const json_t *output, const aslrt_error *err,
                  result *r)
{
    int want = c->expected_status >= 0   ? c->expected_status
               : c->expected_error || c->expected_cause ? ASLRT_FAILED
                                                        : ASLRT_SUCCEEDED;
    /* An expected error is that of a failure, a time-out or an abort:
     * without ExpectedStatus, any of them. */
    bool status_ok = status == want ||
                     (c->expected_status < 0 && want == ASLRT_FAILED && status != ASLRT_SUCCEEDED);
    r->outcome = PASS;
    if (!status_ok) {
        r->outcome = FAIL;
        r->kind = aslrtp_strdup("StatusMismatch");
        r->message = aslrtp_strdupf("the execution %s, expected %s", status_name(status),
                                    status_name(want));
        r->expected = aslrtp_strdup(status_name(want));
        r->actual = aslrtp_strdup(status_name(status));
        return;
    }
    if (c->expected_output && status == ASLRT_SUCCEEDED) {
        json_t *e = masked(c->expected_output, c->masks, c->nmasks);
        json_t *a = masked(output, c->masks, c->nmasks);
        aslrtp_buf path = {0};
        aslrtp_buf_adds(&path, "$");
        if (first_diff(e, a, &path)) {
            r->outcome = FAIL;
            r->kind = aslrtp_strdup("OutputMismatch");
            r->at = aslrtp_buf_finish(&path);
            r->message = aslrtp_strdupf("the output differs at %s", r->at);
            r->expected = dump(e);
            r->actual = dump(a);
        }
        free(path.data);
        json_decref(e);
        json_decref(a);
        return;
    }
    if (status == ASLRT_SUCCEEDED)
        return;
    const char *error = err->error ? err->error : "";
    if (c->expected_error && strcmp(c->expected_error, error) != 0) {
        r->outcome = FAIL;
        r->kind = aslrtp_strdup("ErrorMismatch");
        r->message = aslrtp_strdupf("the error is %s, expected %s", error, c->expected_error);
        r->expected = aslrtp_strdup(c->expected_error);
        r->actual = aslrtp_strdup(error);
        return;
    }
    if (c->expected_cause) {
        char *e = cause_masked(c->expected_cause, c->cause_masks, c->ncause_masks);
        char *a = cause_masked(err->cause, c->cause_masks, c->ncause_masks);
        if (strcmp(e, a) != 0) {
            r->outcome = FAIL;
            r->kind = aslrtp_strdup("CauseMismatch");
            r->message = aslrtp_strdup("the cause differs");
            r->expected = e;
            r->actual = a;
            return;
        }
        free(e);
        free(a);
    }
}

/* ---- Running ------------------------------------------------------------- */

static void fail_setup(result *r, const char *kind, const char *why)
{
    r->outcome = ERROR;
    r->kind = aslrtp_strdup(kind);
    r->message = aslrtp_strdup(why ? why : kind);
}

/* Runs case c of s on p (NULL: s could not be set up, why in setup). */
static void run_case(const suite *s, const tcase *c, const aslrt_program *p,
                     const aslrt_bindings *b, asl_children *kids, const test_opts *o,
                     result *r)
{
    r->s = s;
    r->c = c;
    r->status = -1;
    long long t0 = aslrtp_mono_ns();
    aslrt_error err = {NULL, NULL};
    aslrt_mocks *mocks = NULL;
    if (c->test_case) {
        mocks = aslrt_mocks_load(s->mock_config, s->name, c->test_case,
                                 aslrt_program_machine(p), &err);
        if (!mocks) {
            fail_setup(r, "MockConfigError", err.cause);
            aslrt_error_clear(&err);
            return;
        }
    }
    aslrt_config cfg;
    aslrt_config_init(&cfg);
    cfg.bindings = b;
    cfg.mocks = mocks;
    cfg.state_machine_name = s->name;
    cfg.wait_mode = o->wait_mode;
    cfg.wait_scale = o->wait_scale;
    cfg.state_machines_dir = s->sm_dir;
    cfg.load_machine = asl_children_load;
    cfg.load_machine_ud = kids;
    json_t *output = NULL;
    int status = aslrt_execute(p, &cfg, c->input, &output, &err);
    r->ms = (double)(aslrtp_mono_ns() - t0) / 1e6;
    r->status = status;
    if (status == ASLRT_SUCCEEDED) {
        r->output = dump(output);
    } else {
        r->error = aslrtp_strdup(err.error ? err.error : "");
        r->cause = err.cause ? aslrtp_strdup(err.cause) : NULL;
    }
    judge(c, status, output, &err, r);
    json_decref(output);
    aslrt_error_clear(&err);
    aslrt_mocks_destroy(mocks);
}

/* Whether --filter lets "MACHINE/CASE" run: a glob on that, or, without a
 * '/', on either name. */
static bool selected(const char *filter, const char *machine, const char *name)
{
    if (!filter)
        return true;
    if (strchr(filter, '/')) {
        char *both = aslrtp_strdupf("%s/%s", machine, name);
        bool ok = fnmatch(filter, both, 0) == 0;
        free(both);
        return ok;
    }
    return fnmatch(filter, machine, 0) == 0 || fnmatch(filter, name, 0) == 0;
}

/* Runs every selected case of s, appending to *rs. */
static void run_suite(const suite *s, asl_children *kids, const test_opts *o, result **rs,
                      size_t *nrs)
{
    const aslrt_program *p = NULL;
    aslrt_bindings *b = NULL;
    char *why = NULL;
    const char *kind = NULL;
    bool any = false;
    for (size_t i = 0; i < s->ncases; i++)
        any |= selected(o->filter, s->name, s->cases[i].name);
    if (!any)
        return;
    if (!s->definition) {
        kind = "DefinitionNotFound";
        why = aslrtp_strdup(s->why);
    } else {
        aslrt_error err = {NULL, NULL};
        p = asl_children_load(kids, s->name, s->definition, &err);
        if (!p) {
            kind = "DefinitionInvalid";
            why = aslrtp_strdup(err.cause ? err.cause : "the definition does not compile");
        }
        aslrt_error_clear(&err);
        b = aslrt_bindings_create();
        if (p && s->bindings && !aslrt_bindings_load_file(b, s->bindings, &err)) {
            kind = "BindingsError";
            why = aslrtp_strdup(err.cause ? err.cause : "bad bindings file");
            p = NULL;
        }
        aslrt_error_clear(&err);
    }
    for (size_t i = 0; i < s->ncases; i++) {
        if (!selected(o->filter, s->name, s->cases[i].name))
            continue;
        *rs = aslrtp_reallocarray(*rs, *nrs + 1, sizeof **rs);
        result *r = &(*rs)[(*nrs)++];
        memset(r, 0, sizeof *r);
        if (p) {
            run_case(s, &s->cases[i], p, b, kids, o, r);
        } else {
            r->s = s;
            r->c = &s->cases[i];
            r->status = -1;
            fail_setup(r, kind, why);
        }
    }
    free(why);
    aslrt_bindings_destroy(b);
}

/* ---- Reading the files --------------------------------------------------- */

/* path relative to the folder of file (absolute paths stay). */
static char *relative_to(const char *file, const char *path)
{
    if (path[0] == '/')
        return aslrtp_strdup(path);
    const char *slash = strrchr(file, '/');
    if (!slash)
        return aslrtp_strdup(path);
    return aslrtp_strdupf("%.*s/%s", (int)(slash - file), file, path);
}

static char *folder_of(const char *file)
{
    const char *slash = strrchr(file, '/');
    return slash ? aslrtp_strdupf("%.*s", (int)(slash - file), file) : aslrtp_strdup(".");
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Sets s->definition to NAME.asl.json or NAME.json in dir, or s->why. */
static void find_definition(suite *s, const char *dir)
{
    static const char *const ends[] = {".asl.json", ".json"};
    for (size_t i = 0; i < 2 && !s->definition; i++) {
        char *p = aslrtp_strdupf("%s/%s%s", dir, s->name, ends[i]);
        if (is_file(p))
            s->definition = p;
        else
            free(p);
    }
    if (!s->definition)
        s->why = aslrtp_strdupf("no definition of the state machine '%s': neither %s/%s.asl.json "
                                "nor %s/%s.json exists",
                                s->name, dir, s->name, dir, s->name);
}

/* A bad test file: "FILE: WHERE: WHY" on stderr; returns false. */
static bool bad_file(const char *file, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool bad_file(const char *file, const char *where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "aslc test: error: %s: %s: ", file, where);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return false;
}

/* Checks that obj has only the fields names[] (NULL-ended). */
static bool known_fields(const char *file, const char *where, const json_t *obj,
                         const char *const *names)
{
    const char *k;
    json_t *v;
    size_t n = 0;
    while (names[n])
        n++;
    json_object_foreach((json_t *)obj, k, v) {
        size_t i = 0;
        while (i < n && strcmp(names[i], k) != 0)
            i++;
        if (i == n) {
            const char *near = aslrtp_utf8_nearest(k, names, n);
            return bad_file(file, where, "unknown field \"%s\"%s%s%s", k,
                            near ? " (did you mean \"" : "", near ? near : "", near ? "\"?)" : "");
        }
    }
    return true;
}

/* A string field of obj (NULL when absent); false when it is not a string. */
static bool string_field(const char *file, const char *where, const json_t *obj, const char *name,
                         const char **out)
{
    json_t *v = json_object_get(obj, name);
    *out = json_string_value(v);
    if (v && !*out)
        return bad_file(file, where, "\"%s\" must be a string", name);
    return true;
}

/* The mock configuration alone: every test case of every state machine,
 * with input {} (doc/behaviour.md §42.1). */
static bool read_mock_config(const char *file, json_t *doc, const test_opts *o, suite **ss,
                             size_t *nss)
{
    json_t *machines = json_object_get(doc, "StateMachines");
    if (!json_is_object(machines) || !json_is_object(json_object_get(doc, "MockedResponses")))
        return bad_file(file, "the mock configuration",
                        "it needs the objects \"StateMachines\" and \"MockedResponses\"");
    char *dir = o->sm_dir ? aslrtp_strdup(o->sm_dir) : folder_of(file);
    const char *name;
    json_t *m;
    bool ok = true;
    json_object_foreach(machines, name, m) {
        json_t *cases = json_object_get(m, "TestCases");
        if (!json_is_object(cases)) {
            char *where = aslrtp_strdupf("StateMachines.%s", name);
            ok = bad_file(file, where, "\"TestCases\" must be an object");
            free(where);
            break;
        }
        *ss = aslrtp_reallocarray(*ss, *nss + 1, sizeof **ss);
        suite *s = &(*ss)[(*nss)++];
        memset(s, 0, sizeof *s);
        s->name = aslrtp_strdup(name);
        s->mock_config = aslrtp_strdup(file);
        s->sm_dir = aslrtp_strdup(dir);
        s->bindings = o->bindings ? aslrtp_strdup(o->bindings) : NULL;
        find_definition(s, dir);
        s->cases = aslrtp_calloc(json_object_size(cases) + 1, sizeof *s->cases);
        const char *cname;
        json_t *cv;
        json_object_foreach(cases, cname, cv) {
            tcase *c = &s->cases[s->ncases++];
            c->name = aslrtp_strdup(cname);
            c->test_case = aslrtp_strdup(cname);
            c->input = json_object();
            c->expected_status = -1;
        }
    }
    free(dir);
    return ok;
}

/* One entry of a machine's "Tests" into c. */
static bool read_test(const char *file, const char *where, const json_t *t, bool have_mocks,
                      size_t index, tcase *c)
{
    static const char *const fields[] = {
        "Name", "TestCase", "Input", "ExpectedOutput", "ExpectedError", "ExpectedCause",
        "ExpectedStatus", "Masks", "CauseMasks", NULL};
    c->expected_status = -1;
    if (!json_is_object(t))
        return bad_file(file, where, "a test must be an object");
    if (!known_fields(file, where, t, fields))
        return false;
    const char *name, *test_case, *error, *cause, *status;
    if (!string_field(file, where, t, "Name", &name) ||
        !string_field(file, where, t, "TestCase", &test_case) ||
        !string_field(file, where, t, "ExpectedError", &error) ||
        !string_field(file, where, t, "ExpectedCause", &cause) ||
        !string_field(file, where, t, "ExpectedStatus", &status))
        return false;
    c->name = name        ? aslrtp_strdup(name)
              : test_case ? aslrtp_strdup(test_case)
                          : aslrtp_strdupf("test %zu", index + 1);
    c->test_case = test_case ? aslrtp_strdup(test_case) : NULL;
    if (test_case && !have_mocks)
        return bad_file(file, where, "\"TestCase\" needs a \"MockConfig\" (of the state machine "
                                     "or of the file)");
    json_t *input = json_object_get(t, "Input");
    c->input = input ? json_incref(input) : json_object();
    json_t *out = json_object_get(t, "ExpectedOutput");
    c->expected_output = out ? json_incref(out) : NULL;
    c->expected_error = error ? aslrtp_strdup(error) : NULL;
    c->expected_cause = cause ? aslrtp_strdup(cause) : NULL;
    if (out && (error || cause))
        return bad_file(file, where, "give \"ExpectedOutput\" or \"ExpectedError\" / "
                                     "\"ExpectedCause\", not both");
    if (status) {
        c->expected_status = status_parse(status);
        if (c->expected_status < 0)
            return bad_file(file, where, "\"ExpectedStatus\" must be SUCCEEDED, FAILED, "
                                         "TIMED_OUT or ABORTED, not \"%s\"",
                            status);
        if ((out && c->expected_status != ASLRT_SUCCEEDED) ||
            ((error || cause) && c->expected_status == ASLRT_SUCCEEDED))
            return bad_file(file, where, "\"ExpectedStatus\" %s contradicts the expected %s",
                            status, out ? "output" : "error");
    }
    json_t *masks = json_object_get(t, "Masks");
    if (masks && !json_is_array(masks))
        return bad_file(file, where, "\"Masks\" must be an array of paths such as \"$.id\"");
    c->masks = aslrtp_calloc(json_array_size(masks) + 1, sizeof *c->masks);
    size_t i;
    json_t *m;
    json_array_foreach(masks, i, m) {
        const char *text = json_string_value(m);
        char *why = text ? mask_parse(text, &c->masks[c->nmasks]) : aslrtp_strdup("not a string");
        if (text)
            c->nmasks++;
        if (why) {
            bad_file(file, where, "Masks[%zu] \"%s\": %s", i, text ? text : "", why);
            free(why);
            return false;
        }
    }
    json_t *cms = json_object_get(t, "CauseMasks");
    if (cms && !json_is_array(cms))
        return bad_file(file, where, "\"CauseMasks\" must be an array of regular expressions");
    c->cause_masks = aslrtp_calloc(json_array_size(cms) + 1, sizeof *c->cause_masks);
    json_array_foreach(cms, i, m) {
        const char *text = json_string_value(m);
        if (!text)
            return bad_file(file, where, "CauseMasks[%zu] must be a string", i);
        int code;
        PCRE2_SIZE off;
        pcre2_code *re = pcre2_compile((PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code,
                                       &off, NULL);
        if (!re) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(code, msg, sizeof msg);
            return bad_file(file, where, "CauseMasks[%zu] \"%s\": at offset %zu: %s", i, text,
                            (size_t)off, (const char *)msg);
        }
        c->cause_masks[c->ncause_masks++] = re;
    }
    return true;
}

/* A test file (doc/behaviour.md §42.2). */
static bool read_test_file(const char *file, json_t *doc, const test_opts *o, suite **ss,
                           size_t *nss)
{
    static const char *const top_fields[] = {"StateMachines", "MockConfig", "Bindings", NULL};
    static const char *const sm_fields[] = {"Definition", "MockConfig", "Bindings", "Tests",
                                            NULL};
    if (!json_is_object(doc))
        return bad_file(file, "the test file", "it must be an object with \"StateMachines\"");
    if (!known_fields(file, "the test file", doc, top_fields))
        return false;
    json_t *machines = json_object_get(doc, "StateMachines");
    if (!json_is_object(machines))
        return bad_file(file, "the test file", "\"StateMachines\" must be an object naming "
                                               "state machines");
    const char *top_mocks, *top_bindings;
    if (!string_field(file, "the test file", doc, "MockConfig", &top_mocks) ||
        !string_field(file, "the test file", doc, "Bindings", &top_bindings))
        return false;
    const char *name;
    json_t *m;
    json_object_foreach(machines, name, m) {
        char *where = aslrtp_strdupf("StateMachines.%s", name);
        const char *def, *mocks, *bindings;
        json_t *tests = json_object_get(m, "Tests");
        bool ok = json_is_object(m) ? known_fields(file, where, m, sm_fields)
                                    : bad_file(file, where, "must be an object");
        ok = ok && string_field(file, where, m, "Definition", &def) &&
             string_field(file, where, m, "MockConfig", &mocks) &&
             string_field(file, where, m, "Bindings", &bindings);
        if (ok && !json_is_array(tests))
            ok = bad_file(file, where, "\"Tests\" must be an array of tests");
        if (!ok) {
            free(where);
            return false;
        }
        *ss = aslrtp_reallocarray(*ss, *nss + 1, sizeof **ss);
        suite *s = &(*ss)[(*nss)++];
        memset(s, 0, sizeof *s);
        s->name = aslrtp_strdup(name);
        mocks = mocks ? mocks : top_mocks;
        bindings = bindings ? bindings : top_bindings;
        s->mock_config = mocks ? relative_to(file, mocks) : NULL;
        s->bindings = bindings ? relative_to(file, bindings)
                      : o->bindings ? aslrtp_strdup(o->bindings)
                                    : NULL;
        s->sm_dir = o->sm_dir ? aslrtp_strdup(o->sm_dir) : folder_of(file);
        if (def) {
            s->definition = relative_to(file, def);
            if (!is_file(s->definition)) {
                s->why = aslrtp_strdupf("cannot read the definition '%s': %s", s->definition,
                                        strerror(errno ? errno : ENOENT));
                free(s->definition);
                s->definition = NULL;
            }
        } else {
            find_definition(s, s->sm_dir);
        }
        s->cases = aslrtp_calloc(json_array_size(tests) + 1, sizeof *s->cases);
        size_t i;
        json_t *t;
        json_array_foreach(tests, i, t) {
            char *twhere = aslrtp_strdupf("%s.Tests[%zu]", where, i);
            ok = read_test(file, twhere, t, s->mock_config != NULL, i, &s->cases[s->ncases++]);
            free(twhere);
            if (!ok)
                break;
        }
        free(where);
        if (!ok)
            return false;
    }
    return true;
}

/* Reads file into suites: false (said on stderr) when it cannot be used. */
static bool read_file(const char *file, const test_opts *o, suite **ss, size_t *nss)
{
    json_error_t je;
    json_t *doc = json_load_file(file, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        if (je.line < 1)
            fprintf(stderr, "aslc test: error: cannot read '%s': %s\n", file, je.text);
        else
            fprintf(stderr, "aslc test: error: %s:%d:%d: %s\n", file, je.line, je.column,
                    je.text);
        return false;
    }
    /* A mock configuration has "MockedResponses", or state machines with
     * "TestCases"; a test file's have "Tests". */
    bool mock = json_object_get(doc, "MockedResponses") != NULL;
    const char *k;
    json_t *m;
    json_object_foreach(json_object_get(doc, "StateMachines"), k, m) {
        if (json_object_get(m, "TestCases") && !json_object_get(m, "Tests"))
            mock = true;
    }
    bool ok = mock ? read_mock_config(file, doc, o, ss, nss)
                   : read_test_file(file, doc, o, ss, nss);
    json_decref(doc);
    return ok;
}

/* ---- Reports ------------------------------------------------------------- */

/* The code point at s[i] (i < n), -1 where s is not UTF-8; *len: its
 * length in bytes. */
static int32_t char_at(const char *s, size_t n, size_t i, size_t *len)
{
    if ((unsigned char)s[i] < 0x80)
        return *len = 1, (unsigned char)s[i];
    return aslrtp_utf8_decode(s + i, n - i, 0, len);
}

/* Whether YAML and XML 1.0 forbid the code point cp in text (YAML's
 * printable set; XML's is wider, but the C1 controls are no text either). */
static bool unprintable(int32_t cp)
{
    return cp < 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
           (cp >= 0x7F && cp <= 0x9F && cp != 0x85) || cp == 0xFFFE || cp == 0xFFFF;
}

/* s as a YAML double-quoted scalar (a JSON string too): what is not UTF-8
 * becomes U+FFFD, the quote, the backslash and what YAML cannot print are
 * escaped. */
static void yaml_string(aslrtp_buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0, i = 0, len;
    aslrtp_buf_add(b, "\"", 1);
    while (i < n) {
        int32_t cp = char_at(s, n, i, &len);
        if (cp < 0)
            aslrtp_buf_adds(b, "\\uFFFD");
        else if (cp == '"' || cp == '\\')
            aslrtp_buf_addf(b, "\\%c", (char)cp);
        else if (cp == '\n')
            aslrtp_buf_adds(b, "\\n");
        else if (cp == '\t' || cp == '\r' || unprintable(cp))
            aslrtp_buf_addf(b, "\\u%04X", (unsigned)cp);
        else
            aslrtp_buf_add(b, s + i, len);
        i += len;
    }
    aslrtp_buf_add(b, "\"", 1);
}

/* The test's name on a TAP line: '#' and '\' escaped, what cannot be
 * printed (line breaks included) as U+FFFD. */
static void tap_name(aslrtp_buf *b, const char *s)
{
    size_t n = strlen(s), i = 0, len;
    while (i < n) {
        int32_t cp = char_at(s, n, i, &len);
        if (cp == '#' || cp == '\\')
            aslrtp_buf_add(b, "\\", 1);
        if (unprintable(cp) || cp == '\n' || cp == '\r' || cp == '\t')
            aslrtp_buf_adds(b, "\xEF\xBF\xBD");
        else
            aslrtp_buf_add(b, s + i, len);
        i += len;
    }
}

static void yaml_field(aslrtp_buf *b, const char *name, const char *value)
{
    if (!value)
        return;
    aslrtp_buf_addf(b, "  %s: ", name);
    yaml_string(b, value);
    aslrtp_buf_add(b, "\n", 1);
}

static char *report_tap(const result *rs, size_t n, size_t compiled)
{
    aslrtp_buf b = {0};
    size_t failed = 0;
    aslrtp_buf_addf(&b, "TAP version 13\n1..%zu\n", n);
    for (size_t i = 0; i < n; i++) {
        const result *r = &rs[i];
        failed += r->outcome != PASS;
        aslrtp_buf_addf(&b, "%sok %zu - ", r->outcome == PASS ? "" : "not ", i + 1);
        tap_name(&b, r->s->name);
        aslrtp_buf_adds(&b, " / ");
        tap_name(&b, r->c->name);
        aslrtp_buf_adds(&b, "\n  ---\n");
        yaml_field(&b, "message", r->message);
        yaml_field(&b, "type", r->kind);
        yaml_field(&b, "at", r->at);
        yaml_field(&b, "expected", r->expected);
        yaml_field(&b, "actual", r->actual);
        if (r->status >= 0)
            yaml_field(&b, "status", status_name(r->status));
        yaml_field(&b, "output", r->output);
        yaml_field(&b, "error", r->error);
        yaml_field(&b, "cause", r->cause);
        aslrtp_buf_addf(&b, "  duration_ms: %.3f\n  ...\n", r->ms);
    }
    aslrtp_buf_addf(&b, "# %zu passed, %zu failed; %zu definition%s compiled\n", n - failed,
                    failed, compiled, compiled == 1 ? "" : "s");
    return aslrtp_buf_finish(&b);
}

/* s as text XML 1.0 allows: valid UTF-8, and no character it forbids
 * (control characters but tab, line feed and carriage return, U+FFFE and
 * U+FFFF; the C1 controls too): each becomes U+FFFD.  Malloc'd. */
static char *xml_clean(const char *s)
{
    aslrtp_buf b = {0};
    size_t n = s ? strlen(s) : 0, i = 0, len;
    while (i < n) {
        int32_t cp = char_at(s, n, i, &len);
        aslrtp_buf_add(&b, unprintable(cp) ? "\xEF\xBF\xBD" : s + i, unprintable(cp) ? 3 : len);
        i += len;
    }
    return aslrtp_buf_finish(&b);
}

static void xml_attr(xmlTextWriterPtr w, const char *name, const char *value)
{
    char *v = xml_clean(value);
    xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST v);
    free(v);
}

static void xml_text(xmlTextWriterPtr w, const char *value)
{
    char *v = xml_clean(value);
    xmlTextWriterWriteString(w, BAD_CAST v);
    free(v);
}

/* The lines "name: value" of the fields given, for a JUnit element's text. */
static void text_field(aslrtp_buf *b, const char *name, const char *value)
{
    if (value)
        aslrtp_buf_addf(b, "%s: %s\n", name, value);
}

static char *report_junit(const result *rs, size_t n)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = xmlNewTextWriterMemory(buf, 0);
    if (!buf || !w)
        aslrtp_oom(0);
    xmlTextWriterSetIndent(w, 1);
    xmlTextWriterSetIndentString(w, BAD_CAST "  ");
    xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL);
    size_t failures = 0, errors = 0;
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        failures += rs[i].outcome == FAIL;
        errors += rs[i].outcome == ERROR;
        total += rs[i].ms;
    }
    xmlTextWriterStartElement(w, BAD_CAST "testsuites");
    xmlTextWriterWriteFormatAttribute(w, BAD_CAST "tests", "%zu", n);
    xmlTextWriterWriteFormatAttribute(w, BAD_CAST "failures", "%zu", failures);
    xmlTextWriterWriteFormatAttribute(w, BAD_CAST "errors", "%zu", errors);
    xmlTextWriterWriteFormatAttribute(w, BAD_CAST "time", "%.3f", total / 1000);
    /* One suite per state machine of a file: the results of a suite are
     * next to each other. */
    for (size_t i = 0; i < n;) {
        size_t j = i, sf = 0, se = 0;
        double st = 0;
        for (; j < n && rs[j].s == rs[i].s; j++) {
            sf += rs[j].outcome == FAIL;
            se += rs[j].outcome == ERROR;
            st += rs[j].ms;
        }
        xmlTextWriterStartElement(w, BAD_CAST "testsuite");
        xml_attr(w, "name", rs[i].s->name);
        xmlTextWriterWriteFormatAttribute(w, BAD_CAST "tests", "%zu", j - i);
        xmlTextWriterWriteFormatAttribute(w, BAD_CAST "failures", "%zu", sf);
        xmlTextWriterWriteFormatAttribute(w, BAD_CAST "errors", "%zu", se);
        xmlTextWriterWriteAttribute(w, BAD_CAST "skipped", BAD_CAST "0");
        xmlTextWriterWriteFormatAttribute(w, BAD_CAST "time", "%.3f", st / 1000);
        for (; i < j; i++) {
            const result *r = &rs[i];
            xmlTextWriterStartElement(w, BAD_CAST "testcase");
            xml_attr(w, "classname", r->s->name);
            xml_attr(w, "name", r->c->name);
            xmlTextWriterWriteFormatAttribute(w, BAD_CAST "time", "%.3f", r->ms / 1000);
            if (r->outcome != PASS) {
                xmlTextWriterStartElement(w, BAD_CAST(r->outcome == FAIL ? "failure" : "error"));
                xml_attr(w, "message", r->message);
                xml_attr(w, "type", r->kind);
                aslrtp_buf t = {0};
                text_field(&t, "at", r->at);
                text_field(&t, "expected", r->expected);
                text_field(&t, "actual", r->actual);
                char *text = aslrtp_buf_finish(&t);
                xml_text(w, text);
                free(text);
                xmlTextWriterEndElement(w);
            }
            aslrtp_buf out = {0};
            if (r->status >= 0)
                text_field(&out, "status", status_name(r->status));
            text_field(&out, "output", r->output);
            text_field(&out, "error", r->error);
            text_field(&out, "cause", r->cause);
            char *text = aslrtp_buf_finish(&out);
            if (*text) {
                xmlTextWriterStartElement(w, BAD_CAST "system-out");
                xml_text(w, text);
                xmlTextWriterEndElement(w);
            }
            free(text);
            xmlTextWriterEndElement(w);
        }
        xmlTextWriterEndElement(w);
    }
    xmlTextWriterEndDocument(w);
    xmlFreeTextWriter(w);
    char *doc = aslrtp_strdup((const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    return doc;
}

/* ---- The command --------------------------------------------------------- */

static void test_usage(FILE *out)
{
    fputs("usage: aslc test FILE... [--format=tap|junit] [-o FILE] [--state-machines DIR]\n"
          "          [--bindings FILE] [--wait=real|skip|scale:F] [--backend=c|llvm]\n"
          "          [--filter PATTERN]\n"
          "Runs every test case of each FILE, a Step Functions Local mock configuration\n"
          "(each test case of each state machine in it, with input {}: a case passes when\n"
          "its execution succeeds) or a test file (state machines, their definitions and\n"
          "tests: input, test case, expected output or error, masks), and reports TAP\n"
          "version 13 (the default) or JUnit XML, on standard output or in -o FILE.\n"
          "Each definition is compiled once, in memory, for all its cases.\n"
          "\n"
          "  --state-machines DIR  where the definition of state machine NAME is found\n"
          "                        (NAME.asl.json or NAME.json), and what nested\n"
          "                        executions start (default: the file's folder)\n"
          "  --bindings FILE       the bindings of the state machines that do not name\n"
          "                        their own\n"
          "  --wait=skip           Wait states and Retry intervals take no time (the\n"
          "                        default; the execution's clock moves on); real, or\n"
          "                        scale:F for F times their length\n"
          "  --filter PATTERN      run the cases whose \"MACHINE/CASE\" the glob matches\n"
          "                        (without a '/': the machine's or the case's name)\n"
          "\n"
          "Exit status: 0 every test passed, 1 some failed, 2 bad usage or a file that\n"
          "cannot be read.  See aslc(1) and doc/behaviour.md §42.\n",
          out);
}

enum { T_FORMAT = 0x100, T_STATE_MACHINES, T_BINDINGS, T_WAIT, T_BACKEND, T_FILTER };

static const struct option test_options[] = {
    {"format", required_argument, NULL, T_FORMAT},
    {"output", required_argument, NULL, 'o'},
    {"state-machines", required_argument, NULL, T_STATE_MACHINES},
    {"bindings", required_argument, NULL, T_BINDINGS},
    {"wait", required_argument, NULL, T_WAIT},
    {"backend", required_argument, NULL, T_BACKEND},
    {"filter", required_argument, NULL, T_FILTER},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}
};

static int test_bad_usage(char *why)
{
    fprintf(stderr, "aslc test: %s\nTry 'aslc test --help'.\n", why);
    free(why);
    return 2;
}

int asl_test_main(int argc, char **argv)
{
    test_opts o = {.format = "tap", .wait_mode = ASLRT_WAIT_SKIP};
    bool help = false;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", test_options, NULL)) != -1) {
        const char *v = optarg;
        switch (c) {
        case 'h': help = true; break;
        case 'o': o.output = v; break;
        case T_FORMAT:
            if (strcmp(v, "tap") != 0 && strcmp(v, "junit") != 0)
                return test_bad_usage(aslrtp_strdupf("unknown format '%s' (tap or junit)", v));
            o.format = v;
            if (strcmp(v, "junit") == 0) {
                /* libxml2 writes the report; it is opened now, not linked. */
                const char *why;
                if (!aslrtp_xml_load(&why)) {
                    fprintf(stderr, "aslc test: error: --format=junit needs libxml2: %s\n", why);
                    return 2;
                }
            }
            break;
        case T_STATE_MACHINES: {
            struct stat st;
            if (stat(v, &st) != 0 || !S_ISDIR(st.st_mode))
                return test_bad_usage(aslrtp_strdupf("--state-machines '%s': not a directory",
                                                     v));
            o.sm_dir = v;
            break;
        }
        case T_BINDINGS: o.bindings = v; break;
        case T_FILTER: o.filter = v; break;
        case T_WAIT:
            if (!aslrtp_wait_parse(v, &o.wait_mode, &o.wait_scale))
                return test_bad_usage(aslrtp_strdupf("bad --wait value '%s' (expected real, "
                                                     "skip or scale:FACTOR)",
                                                     v));
            break;
        case T_BACKEND:
            if (strcmp(v, "c") != 0 && strcmp(v, "tcc") != 0 && strcmp(v, "llvm") != 0)
                return test_bad_usage(aslrtp_strdupf("unknown backend '%s' (c, tcc or llvm)",
                                                     v));
            o.llvm = strcmp(v, "llvm") == 0;
            break;
        default:
            return test_bad_usage(aslrtp_option_error(test_options, argv, c));
        }
    }
    if (help) {
        test_usage(stdout);
        return 0;
    }
    if (optind >= argc)
        return test_bad_usage(aslrtp_strdup("no test file or mock configuration given"));
#ifndef HAVE_LLVM
    if (o.llvm) {
        fputs("aslc: error: this aslc was built without LLVM (configure --with-llvm)\n", stderr);
        return 2;
    }
#else
    char *why = NULL;
    if (o.llvm && !asl_llvm_available(&why)) {
        fprintf(stderr, "aslc: error: %s\n", why);
        free(why);
        return 2;
    }
#endif
    suite *ss = NULL;
    size_t nss = 0;
    bool ok = true;
    for (int i = optind; i < argc && ok; i++)
        ok = read_file(argv[i], &o, &ss, &nss);
    FILE *out = NULL;
    if (ok) {
        out = o.output ? fopen(o.output, "w") : stdout;
        if (!out) {
            fprintf(stderr, "aslc test: error: cannot write '%s': %s\n", o.output,
                    strerror(errno));
            ok = false;
        }
    }
    if (!ok) {
        for (size_t i = 0; i < nss; i++)
            suite_free(&ss[i]);
        free(ss);
        return 2;
    }
    /* Every definition compiled once, shared with nested executions. */
    asl_children *kids = asl_children_create(o.llvm);
    result *rs = NULL;
    size_t nrs = 0;
    for (size_t i = 0; i < nss; i++)
        run_suite(&ss[i], kids, &o, &rs, &nrs);
    char *report = strcmp(o.format, "junit") == 0 ? report_junit(rs, nrs)
                                                  : report_tap(rs, nrs, asl_children_count(kids));
    int err = 0, rc = 0;
    aslrtp_write(out, report, strlen(report), &err);
    free(report);
    err = aslrtp_stream_finish(out, err);
    if (err) {
        if (out == stdout)
            aslrtp_write_error("aslc test", "standard output", err);
        else
            fprintf(stderr, "aslc test: error: cannot write '%s': %s\n", o.output,
                    err > 0 ? strerror(err) : "write error");
        rc = 2;
    }
    for (size_t i = 0; i < nrs; i++) {
        if (rs[i].outcome != PASS && !rc)
            rc = 1;
        result_free(&rs[i]);
    }
    free(rs);
    asl_children_destroy(kids);
    for (size_t i = 0; i < nss; i++)
        suite_free(&ss[i]);
    free(ss);
    return rc;
}

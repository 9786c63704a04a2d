/*
 * runner.c - runs the JSONata 2.0.6 test suite (tests/jsonata/suite)
 * against aslc's engine (runtime/jsonata/) and counts what passes.
 *
 *   runner [--group NAME] [-v] [--min-pass PCT] [--timeout SEC]
 *          [--strict-errors] [--no-fork] SUITE_DIR
 *
 * A case passes as it does in jsonata-js's own runner (test/run-test-suite.js):
 *   - the expression does not parse: pass when the case expects an error
 *     `code` and the parser gave that code;
 *   - `undefinedResult`: the evaluation gives undefined;
 *   - `result`: the evaluation gives a value deep-equal to it as chai's
 *     deep.equal sees it (same types; numbers equal as doubles, +0 and -0
 *     apart; arrays element by element, JN_SEQUENCE and the other flags
 *     ignored; objects as sets of keys, order ignored; a function equals
 *     nothing from JSON);
 *   - `error` or `code`: the evaluation fails with that error code.
 * jsonata-js also compares the error's `token` and `message` where a case
 * gives them; --strict-errors does so here too (without it, the code alone
 * decides).  The `timelimit` and `depth` of a case become the context's
 * time_limit_ms and max_depth when the case gives both, as timeboxExpression
 * does in jsonata-js.
 *
 * Each case runs in a context of its own, in a child process forked for it,
 * so a crash or a hang takes down only that case: the runner reports it (a
 * crash always makes the exit status 2, whatever the pass rate) and goes on.
 * --no-fork runs everything in one process, for gdb and valgrind.  Built
 * with AddressSanitizer (configure --enable-sanitizers), each child also
 * checks for leaks once its context is destroyed, and a leak is a crash.
 *
 * `$eval` is refused by AWS and stays unbound here: a case that calls $eval
 * and fails with T1006 ("attempted to invoke a non-function") is listed
 * apart as expected; it still counts as failed in the totals.
 *
 * The case files are read with jansson, with numbers as doubles
 * (JSON_DECODE_INT_AS_REAL) as JSON.parse reads them.  A file jansson
 * rejects (a lone UTF-16 surrogate such as "\ud800" has no UTF-8 form)
 * counts as one failed case with jansson's message.
 *
 * Exit status: 0 when the pass rate reaches --min-pass (default 0), 1 when
 * it does not, 2 on a crash or a bad command line.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "jsonata/jsonata.h"

#if defined(__SANITIZE_ADDRESS__)
#define RUNNER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RUNNER_ASAN 1
#endif
#endif
#ifdef RUNNER_ASAN
#include <sanitizer/lsan_interface.h>
#endif

#define SHOW_MAX 160    /* bytes of an expected or actual value shown */
#define EXPR_MAX 100    /* bytes of an expression shown */
#define DETAIL_MAX 2048 /* bytes of a failure's description */

/* ==== small helpers ==================================================== */

static _Noreturn void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("runner: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* A bounded text buffer: text past `max` bytes is dropped and "..." marks
 * the cut (at a UTF-8 character boundary). */
typedef struct tbuf {
    char *s;
    size_t len, cap, max;
    bool cut;
} tbuf;

static void tb_add(tbuf *b, const char *s, size_t n)
{
    if (b->cut)
        return;
    if (b->len + n > b->max) {
        n = b->max - b->len;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* do not split a character */
        b->cut = true;
    }
    if (b->len + n + 4 > b->cap) {
        b->cap = b->len + n + 64;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    if (b->cut) {
        memcpy(b->s + b->len, "...", 3);
        b->len += 3;
    }
    b->s[b->len] = '\0';
}

static void tb_adds(tbuf *b, const char *s) { tb_add(b, s, strlen(s)); }

static char *tb_take(tbuf *b)
{
    if (!b->s)
        return xstrdup("");
    return b->s;
}

/* s shortened to max bytes, on one line. */
static char *one_line(const char *s, size_t max)
{
    tbuf b = { .max = max };
    for (const char *p = s; *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            if (b.len > 0 && b.s[b.len - 1] != ' ')
                tb_add(&b, " ", 1);
            while (p[1] == ' ' || p[1] == '\n' || p[1] == '\r' || p[1] == '\t')
                p++;
        } else {
            tb_add(&b, p, 1);
        }
    }
    return tb_take(&b);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ==== showing values =================================================== */

static void show_string(tbuf *b, const char *s, size_t len)
{
    tb_add(b, "\"", 1);
    for (size_t i = 0; i < len && !b->cut; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            tb_add(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            tb_adds(b, esc);
        } else {
            tb_add(b, (const char *)&s[i], 1);
        }
    }
    tb_add(b, "\"", 1);
}

static void show_number(tbuf *b, double d)
{
    char buf[40];
    if (isnan(d))
        tb_adds(b, "NaN");
    else if (isinf(d))
        tb_adds(b, d > 0 ? "Infinity" : "-Infinity");
    else if (d == 0 && signbit(d))
        tb_adds(b, "-0");
    else {
        jn_format_number(d, buf);
        tb_adds(b, buf);
    }
}

static void show_value(tbuf *b, const jn_value *v)
{
    if (b->cut)
        return;
    if (!v) {
        tb_adds(b, "undefined");
        return;
    }
    switch (v->type) {
    case JN_NULL:
        tb_adds(b, "null");
        break;
    case JN_BOOLEAN:
        tb_adds(b, v->u.boolean ? "true" : "false");
        break;
    case JN_NUMBER:
        show_number(b, v->u.number);
        break;
    case JN_STRING:
        show_string(b, v->u.string.s, v->u.string.len);
        break;
    case JN_ARRAY:
        tb_add(b, "[", 1);
        for (size_t i = 0; i < v->u.array.n && !b->cut; i++) {
            if (i)
                tb_add(b, ",", 1);
            show_value(b, v->u.array.items[i]);
        }
        tb_add(b, "]", 1);
        break;
    case JN_OBJECT:
        tb_add(b, "{", 1);
        for (size_t i = 0; i < v->u.object.n && !b->cut; i++) {
            const jn_member *m = &v->u.object.members[i];
            if (i)
                tb_add(b, ",", 1);
            show_string(b, m->key, m->key_len);
            tb_add(b, ":", 1);
            show_value(b, m->value);
        }
        tb_add(b, "}", 1);
        break;
    case JN_FUNCTION: {
        const jn_function *f = v->u.function;
        tb_adds(b, "<function");
        if (f && f->name) {
            tb_adds(b, " $");
            tb_adds(b, f->name);
        }
        tb_adds(b, ">");
        break;
    }
    default: {
        char buf[32];
        snprintf(buf, sizeof buf, "<bad type %d>", v->type);
        tb_adds(b, buf);
    }
    }
}

static void show_json(tbuf *b, json_t *j)
{
    if (b->cut)
        return;
    switch (json_typeof(j)) {
    case JSON_NULL:
        tb_adds(b, "null");
        break;
    case JSON_TRUE:
        tb_adds(b, "true");
        break;
    case JSON_FALSE:
        tb_adds(b, "false");
        break;
    case JSON_INTEGER:
        show_number(b, (double)json_integer_value(j));
        break;
    case JSON_REAL:
        show_number(b, json_real_value(j));
        break;
    case JSON_STRING:
        show_string(b, json_string_value(j), json_string_length(j));
        break;
    case JSON_ARRAY:
        tb_add(b, "[", 1);
        for (size_t i = 0; i < json_array_size(j) && !b->cut; i++) {
            if (i)
                tb_add(b, ",", 1);
            show_json(b, json_array_get(j, i));
        }
        tb_add(b, "]", 1);
        break;
    case JSON_OBJECT: {
        tb_add(b, "{", 1);
        bool first = true;
        for (void *it = json_object_iter(j); it && !b->cut;
             it = json_object_iter_next(j, it)) {
            if (!first)
                tb_add(b, ",", 1);
            first = false;
            show_string(b, json_object_iter_key(it), json_object_iter_key_len(it));
            tb_add(b, ":", 1);
            show_json(b, json_object_iter_value(it));
        }
        tb_add(b, "}", 1);
        break;
    }
    }
}

static char *value_text(const jn_value *v)
{
    tbuf b = { .max = SHOW_MAX };
    show_value(&b, v);
    return tb_take(&b);
}

static char *json_text(json_t *j)
{
    tbuf b = { .max = SHOW_MAX };
    show_json(&b, j);
    return tb_take(&b);
}

/* ==== chai's deep.equal ================================================= */

/* Numbers as chai compares them: ===, except that +0 and -0 differ and
 * NaN equals NaN. */
static bool same_number(double a, double b)
{
    if (a == b)
        return a != 0 || signbit(a) == signbit(b);
    return isnan(a) && isnan(b);
}

static const jn_member *member_of(const jn_value *obj, const char *key, size_t len)
{
    for (size_t i = 0; i < obj->u.object.n; i++) {
        const jn_member *m = &obj->u.object.members[i];
        if (m->key_len == len && memcmp(m->key, key, len) == 0)
            return m;
    }
    return NULL;
}

/* Is got (a result of the engine, NULL for undefined) deep-equal to want
 * (a JSON value of the case)? */
static bool deep_equal(const jn_value *got, json_t *want)
{
    if (!got)
        return false;
    switch (json_typeof(want)) {
    case JSON_NULL:
        return got->type == JN_NULL;
    case JSON_TRUE:
        return got->type == JN_BOOLEAN && got->u.boolean;
    case JSON_FALSE:
        return got->type == JN_BOOLEAN && !got->u.boolean;
    case JSON_INTEGER:
        return got->type == JN_NUMBER &&
               same_number(got->u.number, (double)json_integer_value(want));
    case JSON_REAL:
        return got->type == JN_NUMBER && same_number(got->u.number, json_real_value(want));
    case JSON_STRING:
        return got->type == JN_STRING && got->u.string.len == json_string_length(want) &&
               memcmp(got->u.string.s, json_string_value(want), got->u.string.len) == 0;
    case JSON_ARRAY:
        if (got->type != JN_ARRAY || got->u.array.n != json_array_size(want))
            return false;
        for (size_t i = 0; i < got->u.array.n; i++)
            if (!deep_equal(got->u.array.items[i], json_array_get(want, i)))
                return false;
        return true;
    case JSON_OBJECT:
        if (got->type != JN_OBJECT || got->u.object.n != json_object_size(want))
            return false;
        for (void *it = json_object_iter(want); it; it = json_object_iter_next(want, it)) {
            const jn_member *m = member_of(got, json_object_iter_key(it),
                                           json_object_iter_key_len(it));
            if (!m || !deep_equal(m->value, json_object_iter_value(it)))
                return false;
        }
        return true;
    }
    return false;
}

/* ==== the suite ========================================================= */

typedef struct tcase {
    const char *group;
    char *name;          /* "case000", or "case008[2]" inside an array file */
    json_t *spec;        /* the case object (borrowed from its file), or NULL */
    char *expr;          /* the expression (from expr or expr-file), or NULL */
    char *load_error;    /* why the case could not be read, or NULL */
} tcase;

typedef struct dataset {
    char *name;
    json_t *data;        /* NULL when it could not be read */
    char *error;
} dataset;

typedef struct suite {
    const char *dir;
    tcase *cases;
    size_t ncases, capcases;
    char **groups;
    size_t ngroups;
    dataset *datasets;
    size_t ndatasets, capdatasets;
    json_t **files;      /* the case files, kept alive for their cases */
    size_t nfiles, capfiles;
} suite;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir that pass keep(), sorted. */
static char **list_dir(const char *dir, bool (*keep)(const char *dir, const char *name),
                       size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        die("%s: %s", dir, strerror(errno));
    char **names = NULL;
    size_t len = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !keep(dir, e->d_name))
            continue;
        if (len == cap) {
            cap = cap ? cap * 2 : 64;
            names = xrealloc(names, cap * sizeof *names);
        }
        names[len++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (len)
        qsort(names, len, sizeof *names, cmp_str);
    *n = len;
    return names;
}

static bool is_dir(const char *dir, const char *name)
{
    char *p = xasprintf("%s/%s", dir, name);
    DIR *d = opendir(p);
    free(p);
    if (d)
        closedir(d);
    return d != NULL;
}

static bool is_json(const char *dir, const char *name)
{
    (void)dir;
    size_t n = strlen(name);
    return n > 5 && strcmp(name + n - 5, ".json") == 0;
}

static char *read_text(const char *path, char **error)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *error = xasprintf("%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t len = 0, cap = 4096;
    char *s = xmalloc(cap);
    size_t n;
    while ((n = fread(s + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2)
            s = xrealloc(s, cap *= 2);
    }
    fclose(f);
    s[len] = '\0';
    return s;
}

static json_t *load_json(const char *path, char **error)
{
    json_error_t jerr;
    json_t *j = json_load_file(path, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &jerr);
    if (!j)
        *error = xasprintf("cannot read %s: jansson: %s (line %d)", path, jerr.text,
                           jerr.line);
    return j;
}

static tcase *add_case(suite *s, const char *group, char *name)
{
    if (s->ncases == s->capcases) {
        s->capcases = s->capcases ? s->capcases * 2 : 256;
        s->cases = xrealloc(s->cases, s->capcases * sizeof *s->cases);
    }
    tcase *c = &s->cases[s->ncases++];
    memset(c, 0, sizeof *c);
    c->group = group;
    c->name = name;
    return c;
}

static void keep_file(suite *s, json_t *j)
{
    if (s->nfiles == s->capfiles) {
        s->capfiles = s->capfiles ? s->capfiles * 2 : 256;
        s->files = xrealloc(s->files, s->capfiles * sizeof *s->files);
    }
    s->files[s->nfiles++] = j;
}

/* Fills c->expr from the case's expr or expr-file. */
static void case_expr(const suite *s, tcase *c)
{
    json_t *e = json_object_get(c->spec, "expr");
    json_t *file = json_object_get(c->spec, "expr-file");
    if (json_is_string(file)) {
        char *path = xasprintf("%s/groups/%s/%s", s->dir, c->group, json_string_value(file));
        c->expr = read_text(path, &c->load_error);
        free(path);
    } else if (json_is_string(e)) {
        c->expr = xstrdup(json_string_value(e));
    } else {
        c->load_error = xstrdup("the case has no expr and no expr-file");
    }
}

static void load_group(suite *s, const char *group)
{
    char *gdir = xasprintf("%s/groups/%s", s->dir, group);
    size_t nfiles;
    char **files = list_dir(gdir, is_json, &nfiles);
    for (size_t i = 0; i < nfiles; i++) {
        char *path = xasprintf("%s/%s", gdir, files[i]);
        char *stem = xstrdup(files[i]);
        stem[strlen(stem) - 5] = '\0';
        char *error = NULL;
        json_t *j = load_json(path, &error);
        if (!j) {
            add_case(s, group, stem)->load_error = error;
        } else if (json_is_array(j)) {
            keep_file(s, j);
            for (size_t k = 0; k < json_array_size(j); k++) {
                tcase *c = add_case(s, group, xasprintf("%s[%zu]", stem, k));
                c->spec = json_array_get(j, k);
                if (json_is_object(c->spec))
                    case_expr(s, c);
                else
                    c->load_error = xstrdup("the case is not an object");
            }
            free(stem);
        } else {
            keep_file(s, j);
            tcase *c = add_case(s, group, stem);
            c->spec = j;
            if (json_is_object(j))
                case_expr(s, c);
            else
                c->load_error = xstrdup("the case is not an object");
        }
        free(path);
        free(files[i]);
    }
    free(files);
    free(gdir);
}

/* The dataset of that name (read once), or NULL with *error set. */
static json_t *find_dataset(suite *s, const char *name, const char **error)
{
    for (size_t i = 0; i < s->ndatasets; i++)
        if (strcmp(s->datasets[i].name, name) == 0) {
            *error = s->datasets[i].error;
            return s->datasets[i].data;
        }
    if (s->ndatasets == s->capdatasets) {
        s->capdatasets = s->capdatasets ? s->capdatasets * 2 : 32;
        s->datasets = xrealloc(s->datasets, s->capdatasets * sizeof *s->datasets);
    }
    dataset *d = &s->datasets[s->ndatasets++];
    d->name = xstrdup(name);
    d->error = NULL;
    d->data = NULL;
    if (strchr(name, '/') || strcmp(name, "..") == 0) {
        d->error = xasprintf("bad dataset name \"%s\"", name);
    } else {
        char *path = xasprintf("%s/datasets/%s.json", s->dir, name);
        d->data = load_json(path, &d->error);
        free(path);
    }
    *error = d->error;
    return d->data;
}

/* ==== running one case ================================================== */

enum outcome_status {
    OUT_PASS = 'P',
    OUT_FAIL = 'F',
    OUT_EVAL = 'E',     /* failed because $eval is unbound (expected) */
    OUT_CRASH = 'C',
    OUT_TIMEOUT = 'T'
};

typedef struct outcome {
    char status;
    char detail[DETAIL_MAX]; /* for a failure: what was expected, what came */
} outcome;

static void set_outcome(outcome *o, char status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_outcome(outcome *o, char status, const char *fmt, ...)
{
    o->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->detail, sizeof o->detail, fmt, ap);
    va_end(ap);
}

static char *error_text(const jn_error *e)
{
    tbuf b = { .max = SHOW_MAX };
    tb_adds(&b, "error ");
    tb_adds(&b, e->code[0] ? e->code : "(no code)");
    if (e->token[0]) {
        tb_adds(&b, " token '");
        tb_adds(&b, e->token);
        tb_adds(&b, "'");
    }
    if (e->message[0]) {
        tb_adds(&b, ": ");
        tb_adds(&b, e->message);
    }
    return tb_take(&b);
}

static char *expected_text(json_t *spec)
{
    json_t *v;
    if (json_object_get(spec, "undefinedResult"))
        return xstrdup("undefined");
    if ((v = json_object_get(spec, "result")))
        return json_text(v);
    if ((v = json_object_get(spec, "error"))) {
        char *t = json_text(v);
        char *s = xasprintf("error %s", t);
        free(t);
        return s;
    }
    if ((v = json_object_get(spec, "code")))
        return xasprintf("error %s", json_is_string(v) ? json_string_value(v) : "?");
    return xstrdup("(nothing)");
}

/* With --strict-errors: the fields of the expected error (an object such as
 * {"code":..., "token":..., "message":...}) that the error does not match,
 * described in *why; true when all match.  jn_error carries code, token,
 * message and position; other fields (functionName, value) cannot be
 * checked and fail. */
static bool error_fields_match(const jn_error *e, json_t *want, tbuf *why)
{
    bool ok = true;
    for (void *it = json_object_iter(want); it; it = json_object_iter_next(want, it)) {
        const char *k = json_object_iter_key(it);
        json_t *v = json_object_iter_value(it);
        const char *have = NULL;
        if (strcmp(k, "code") == 0)
            have = e->code;
        else if (strcmp(k, "token") == 0)
            have = e->token;
        else if (strcmp(k, "message") == 0)
            have = e->message;
        bool same;
        if (strcmp(k, "position") == 0)
            same = json_is_number(v) && json_number_value(v) == e->position;
        else
            same = have && json_is_string(v) && strcmp(have, json_string_value(v)) == 0;
        if (!same) {
            tb_adds(why, ok ? " (" : ", ");
            tb_adds(why, k);
            tb_adds(why, have ? " differs" : " not carried by jn_error");
            ok = false;
        }
    }
    if (!ok)
        tb_adds(why, ")");
    return ok;
}

static bool calls_eval(const char *expr)
{
    for (const char *p = expr; (p = strstr(p, "$eval")); p += 5) {
        char c = p[5];
        if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9')))
            return true;
    }
    return false;
}

/* The verdict when evaluation (or parsing) failed with e. */
static void judge_error(const tcase *c, const jn_error *e, bool at_parse, bool strict,
                        outcome *o)
{
    json_t *spec = c->spec;
    json_t *code = json_object_get(spec, "code");
    json_t *errobj = json_object_get(spec, "error");
    char *got = error_text(e);
    char *want = expected_text(spec);
    bool pass = false;
    tbuf why = { .max = 200 };

    if (at_parse) {
        /* jsonata-js: a compile error passes when testcase.code matches
         * (and testcase.token, when given); anything else is "an
         * unexpected exception". */
        if (json_is_string(code) && json_string_length(code) > 0) {
            pass = strcmp(e->code, json_string_value(code)) == 0;
            json_t *token = json_object_get(spec, "token");
            if (pass && strict && token) {
                pass = json_is_string(token) && strcmp(e->token, json_string_value(token)) == 0;
                if (!pass)
                    tb_adds(&why, " (token differs)");
            }
        }
    } else if (json_object_get(spec, "undefinedResult") || json_object_get(spec, "result")) {
        pass = false;
    } else if (errobj) {
        json_t *ecode = json_object_get(errobj, "code");
        if (strict)
            pass = json_is_object(errobj) && error_fields_match(e, errobj, &why);
        else
            pass = json_is_string(ecode) && strcmp(e->code, json_string_value(ecode)) == 0;
    } else if (code) {
        pass = json_is_string(code) && strcmp(e->code, json_string_value(code)) == 0;
    }

    if (pass)
        set_outcome(o, OUT_PASS, "%s", got);
    else
        set_outcome(o, calls_eval(c->expr) && strcmp(e->code, "T1006") == 0 ? OUT_EVAL : OUT_FAIL,
                    "expected %s, got %s%s%s", want, got, at_parse ? " (at parse)" : "",
                    why.s ? why.s : "");
    free(why.s);
    free(got);
    free(want);
}

static void run_case(suite *s, const tcase *c, bool strict, outcome *o)
{
    if (c->load_error) {
        set_outcome(o, OUT_FAIL, "%s", c->load_error);
        return;
    }
    json_t *spec = c->spec;

    /* The input, as resolveDataset: data, else a null dataset for
     * undefined, else the named dataset. */
    json_t *input = NULL;
    json_t *ds = json_object_get(spec, "dataset");
    if (json_object_get(spec, "data")) {
        input = json_object_get(spec, "data");
    } else if (json_is_null(ds)) {
        input = NULL;
    } else if (json_is_string(ds)) {
        const char *error;
        input = find_dataset(s, json_string_value(ds), &error);
        if (!input) {
            set_outcome(o, OUT_FAIL, "%s", error);
            return;
        }
    } else {
        set_outcome(o, OUT_FAIL, "the case names no data and no dataset");
        return;
    }

    jn_options opt = { .now_ms = -1 };
    json_t *limit = json_object_get(spec, "timelimit");
    json_t *depth = json_object_get(spec, "depth");
    if (json_is_number(limit) && json_is_number(depth)) {
        opt.time_limit_ms = (long)json_number_value(limit);
        opt.max_depth = (int)json_number_value(depth);
    }

    jn_ctx *cx = jn_ctx_create(&opt);
    if (!cx) {
        set_outcome(o, OUT_FAIL, "jn_ctx_create failed");
        return;
    }
    jn_error err;
    memset(&err, 0, sizeof err);
    const jn_node *ast = jn_parse(cx, c->expr, strlen(c->expr), &err);
    if (!ast) {
        judge_error(c, &err, true, strict, o);
        jn_ctx_destroy(cx);
        return;
    }

    json_t *bindings = json_object_get(spec, "bindings");
    if (json_is_object(bindings))
        for (void *it = json_object_iter(bindings); it;
             it = json_object_iter_next(bindings, it))
            jn_bind(cx, json_object_iter_key(it), jn_from_json(cx, json_object_iter_value(it)));

    jn_value *in = input ? jn_from_json(cx, input) : NULL;
    jn_value *result = NULL;
    memset(&err, 0, sizeof err);
    if (!jn_eval(cx, ast, in, &result, &err)) {
        judge_error(c, &err, false, strict, o);
        jn_ctx_destroy(cx);
        return;
    }

    json_t *want;
    bool pass;
    if (json_object_get(spec, "undefinedResult"))
        pass = result == NULL;
    else if ((want = json_object_get(spec, "result")))
        pass = deep_equal(result, want);
    else
        pass = false; /* an error was expected, or the case tests nothing */

    char *got = value_text(result);
    if (pass) {
        set_outcome(o, OUT_PASS, "%s", got);
    } else {
        char *w = expected_text(spec);
        set_outcome(o, OUT_FAIL, "expected %s, got %s", w, got);
        free(w);
    }
    free(got);
    jn_ctx_destroy(cx);
}

/* ==== running a case in a child ========================================= */

static bool built_with_asan(void)
{
#ifdef RUNNER_ASAN
    return true;
#else
    return false;
#endif
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* Runs the case in a child process with a wall-clock limit of `seconds`. */
static void run_forked(suite *s, const tcase *c, bool strict, double seconds, outcome *o)
{
    int fd[2];
    if (pipe(fd) != 0)
        die("pipe: %s", strerror(errno));
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        close(fd[0]);
        if (!built_with_asan()) {
            /* A runaway case must not take the machine's memory. */
            struct rlimit rl = { .rlim_cur = 4UL << 30, .rlim_max = 4UL << 30 };
            setrlimit(RLIMIT_AS, &rl);
        }
        outcome mine;
        run_case(s, c, strict, &mine);
#ifdef RUNNER_ASAN
        /* The case's context is destroyed: whatever it left is a leak
         * (LeakSanitizer then exits non-zero, which counts as a crash). */
        __lsan_do_leak_check();
#endif
        write_all(fd[1], &mine.status, 1);
        write_all(fd[1], mine.detail, strlen(mine.detail));
        close(fd[1]);
        _exit(0);
    }
    close(fd[1]);

    char buf[DETAIL_MAX + 1];
    size_t len = 0;
    double deadline = now_s() + seconds;
    bool timed_out = false;
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd p = { .fd = fd[0], .events = POLLIN };
        int r = poll(&p, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            continue;
        char chunk[512];
        ssize_t n = read(fd[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        size_t take = (size_t)n < sizeof buf - 1 - len ? (size_t)n : sizeof buf - 1 - len;
        memcpy(buf + len, chunk, take);
        len += take;
    }
    close(fd[0]);
    if (timed_out)
        kill(pid, SIGKILL);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    buf[len] = '\0';

    if (timed_out) {
        set_outcome(o, OUT_TIMEOUT, "no result after %g s: killed", seconds);
    } else if (WIFSIGNALED(st)) {
        set_outcome(o, OUT_CRASH, "crashed: signal %d (%s)", WTERMSIG(st),
                    strsignal(WTERMSIG(st)));
    } else if (WIFEXITED(st) && WEXITSTATUS(st) != 0) {
        set_outcome(o, OUT_CRASH, "crashed: the child exited with status %d",
                    WEXITSTATUS(st));
    } else if (len == 0) {
        set_outcome(o, OUT_CRASH, "crashed: the child exited without a verdict");
    } else {
        o->status = buf[0];
        snprintf(o->detail, sizeof o->detail, "%s", buf + 1);
    }
}

/* ==== main ============================================================== */

typedef struct group_count {
    const char *name;
    int total, passed, eval;
} group_count;

static void usage(void)
{
    fputs("usage: runner [--group NAME] [-v] [--min-pass PCT] [--timeout SEC]\n"
          "              [--strict-errors] [--no-fork] SUITE_DIR\n"
          "Runs the JSONata test suite in SUITE_DIR (groups/, datasets/) against\n"
          "aslc's JSONata engine.\n"
          "  --group NAME      run only that group\n"
          "  -v                print every case, not only the failures\n"
          "  --min-pass PCT    exit 1 when fewer than PCT % of the cases pass (default 0)\n"
          "  --timeout SEC     wall-clock limit of one case (default 60; at least twice\n"
          "                    the case's own timelimit)\n"
          "  --strict-errors   also compare an expected error's token and message\n"
          "  --no-fork         run every case in this process (a crash ends the run)\n"
          "Exit status: 0 pass rate reached, 1 not reached, 2 crash or usage error.\n",
          stderr);
}

static bool parse_number(const char *s, double *d)
{
    char *end;
    errno = 0;
    *d = strtod(s, &end);
    return s[0] && !*end && errno == 0 && *d >= 0;
}

int main(int argc, char **argv)
{
    const char *only_group = NULL, *dir = NULL;
    bool verbose = false, strict = false, fork_cases = true;
    double min_pass = 0, timeout = 60;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--group") == 0 && i + 1 < argc)
            only_group = argv[++i];
        else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
            verbose = true;
        else if (strcmp(a, "--min-pass") == 0 && i + 1 < argc) {
            if (!parse_number(argv[++i], &min_pass) || min_pass > 100)
                die("--min-pass wants a percentage, not \"%s\"", argv[i]);
        } else if (strcmp(a, "--timeout") == 0 && i + 1 < argc) {
            if (!parse_number(argv[++i], &timeout) || timeout == 0)
                die("--timeout wants seconds, not \"%s\"", argv[i]);
        } else if (strcmp(a, "--strict-errors") == 0)
            strict = true;
        else if (strcmp(a, "--no-fork") == 0)
            fork_cases = false;
        else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage();
            return 0;
        } else if (a[0] == '-' || dir) {
            usage();
            return 2;
        } else
            dir = a;
    }
    if (!dir) {
        usage();
        return 2;
    }

    suite s = { .dir = dir };
    char *gdir = xasprintf("%s/groups", dir);
    s.groups = list_dir(gdir, is_dir, &s.ngroups);
    free(gdir);
    group_count *counts = xmalloc((s.ngroups ? s.ngroups : 1) * sizeof *counts);
    size_t ncounts = 0;
    for (size_t g = 0; g < s.ngroups; g++) {
        if (only_group && strcmp(only_group, s.groups[g]) != 0)
            continue;
        size_t before = s.ncases;
        load_group(&s, s.groups[g]);
        counts[ncounts++] = (group_count){ s.groups[g], (int)(s.ncases - before), 0, 0 };
    }
    if (only_group && ncounts == 0)
        die("no group \"%s\" in %s/groups", only_group, dir);
    if (s.ncases == 0)
        die("no test cases in %s/groups", dir);

    int passed = 0, failed = 0, crashed = 0, timeouts = 0, evals = 0;
    tbuf evallist = { .max = (size_t)1 << 20 };
    tbuf crashlist = { .max = (size_t)1 << 20 };
    size_t gi = 0;
    for (size_t i = 0; i < s.ncases; i++) {
        tcase *c = &s.cases[i];
        while (strcmp(counts[gi].name, c->group) != 0)
            gi++;
        outcome o;
        double seconds = timeout;
        json_t *limit = c->spec ? json_object_get(c->spec, "timelimit") : NULL;
        if (json_is_number(limit) && 2 * json_number_value(limit) / 1000 > seconds)
            seconds = 2 * json_number_value(limit) / 1000;
        if (fork_cases)
            run_forked(&s, c, strict, seconds, &o);
        else
            run_case(&s, c, strict, &o);

        char *expr = one_line(c->expr ? c->expr : "", EXPR_MAX);
        const char *tag;
        switch (o.status) {
        case OUT_PASS:
            passed++;
            counts[gi].passed++;
            tag = verbose ? "PASS" : NULL;
            break;
        case OUT_EVAL:
            failed++;
            evals++;
            counts[gi].eval++;
            tag = verbose ? "XFAIL" : NULL;
            {
                char *line = xasprintf("  %s/%s: %s -- %s\n", c->group, c->name, expr, o.detail);
                tb_adds(&evallist, line);
                free(line);
            }
            break;
        case OUT_CRASH:
        case OUT_TIMEOUT: {
            failed++;
            if (o.status == OUT_CRASH)
                crashed++;
            else
                timeouts++;
            tag = o.status == OUT_CRASH ? "CRASH" : "TIMEOUT";
            char *line = xasprintf("  %s %s/%s: %s -- %s\n", tag, c->group, c->name, expr,
                                   o.detail);
            tb_adds(&crashlist, line);
            free(line);
            break;
        }
        default:
            failed++;
            tag = "FAIL";
        }
        if (tag)
            printf("%s %s/%s: %s -- %s\n", tag, c->group, c->name, expr, o.detail);
        free(expr);
    }

    printf("\npassed per group:\n");
    for (size_t g = 0; g < ncounts; g++)
        printf("  %-34s %4d/%-4d%s%s\n", counts[g].name, counts[g].passed, counts[g].total,
               counts[g].passed == counts[g].total ? "" : "  <",
               counts[g].eval ? " (with expected $eval failures)" : "");
    if (evals)
        printf("\nexpected (AWS refuses $eval): %d case%s, counted as failed\n%s", evals,
               evals == 1 ? "" : "s", evallist.s);
    if (crashed || timeouts)
        printf("\ncrashes: %d, timeouts: %d\n%s", crashed, timeouts, crashlist.s);
    int total = passed + failed;
    double pct = floor(1000.0 * passed / total) / 10; /* never rounded up */
    int status = 0;
    printf("\n");
    if (100.0 * passed < min_pass * total) {
        printf("runner: the pass rate is below --min-pass %g%%\n", min_pass);
        status = 1;
    }
    if (crashed) {
        printf("runner: %d case%s crashed the engine\n", crashed, crashed == 1 ? "" : "s");
        status = 2;
    }
    /* The last line, as every test script of `make check` ends. */
    printf("jsonata suite: %d passed, %d failed of %d (%.1f%%)\n", passed, failed, total, pct);

    free(evallist.s);
    free(crashlist.s);
    for (size_t i = 0; i < s.ncases; i++) {
        free(s.cases[i].name);
        free(s.cases[i].expr);
        free(s.cases[i].load_error);
    }
    for (size_t i = 0; i < s.nfiles; i++)
        json_decref(s.files[i]);
    for (size_t i = 0; i < s.ndatasets; i++) {
        free(s.datasets[i].name);
        free(s.datasets[i].error);
        json_decref(s.datasets[i].data);
    }
    for (size_t g = 0; g < s.ngroups; g++)
        free(s.groups[g]);
    free(s.groups);
    free(s.cases);
    free(s.files);
    free(s.datasets);
    free(counts);
    return status;
}

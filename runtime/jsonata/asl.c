/*
 * asl.c - JSONata inside Amazon States Language (doc/behaviour.md §5):
 * fields whose "{% %}" strings are expressions, AWS's wording of their
 * failures, and the functions Step Functions adds to JSONata.
 *
 * A JSONata field (Output, Arguments, an Assign, Items, ...) is any JSON
 * value; each string in it that starts with "{%" and ends with "%}" is an
 * expression.  aslc parsed every one and emitted its AST; the item carries
 * them in the order jansson iterates the value, which is the order the walk
 * below meets them in the same text.  Nothing is parsed here but the JSON.
 *
 * Failures are States.QueryEvaluationError with a cause that names the
 * expression and the field ("Output/result"); exec.c adds the state prefix.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>


#include "aslrt_private.h"
#include "dynlib.h"
#include "jsonata.h"

struct aslrtp_jfield {
    json_t *value;                       /* the field's JSON, as written */
    const char *field;
    const aslrt_jn_node *const *exprs;
    int nexprs;
};

aslrtp_jfield *aslrtp_jfield_compile(const aslrt_item *src, char **why)
{
    json_error_t je;
    json_t *v = aslrtp_json_loads(src->text, strlen(src->text), &je);
    if (!v) {
        *why = aslrtp_strdup(je.text);
        return NULL;
    }
    aslrtp_jfield *f = aslrtp_calloc(1, sizeof *f);
    f->value = v;
    f->field = src->field ? src->field : "";
    f->exprs = src->exprs;
    f->nexprs = src->nexprs;
    return f;
}

void aslrtp_jfield_free(aslrtp_jfield *f)
{
    if (!f)
        return;
    json_decref(f->value);
    free(f);
}

static bool is_expression(const json_t *v, const char **text, size_t *len)
{
    const char *s = json_string_value(v);
    size_t n = s ? json_string_length(v) : 0;
    if (n < 4 || s[0] != '{' || s[1] != '%' || s[n - 2] != '%' || s[n - 1] != '}')
        return false;
    /* AWS quotes the expression without its delimiters and outer blanks. */
    s += 2;
    n -= 4;
    while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    *text = s;
    *len = n;
    return true;
}

typedef struct walker {
    const aslrtp_jfield *f;
    jn_ctx *cx;
    jn_value *input;
    int next;                 /* the next expression's index */
    char *detail;             /* set on failure */
    aslrtp_buf path;          /* field path: "Output/result" */
} walker;

static void say(walker *w, const char *text, size_t len, const char *what)
{
    w->detail = aslrtp_strdupf("The JSONata expression '%.*s' specified for the field '%.*s' %s",
                               (int)len, text, (int)w->path.len, w->path.data, what);
}

static const char *aws_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

static json_t *walk(walker *w, json_t *t)
{
    const char *text;
    size_t len;
    if (is_expression(t, &text, &len)) {
        if (w->next >= w->f->nexprs) {
            say(w, text, len, "has no compiled form (internal error).");
            return NULL;
        }
        const aslrt_jn_node *root = w->f->exprs[w->next++];
        jn_value *r;
        jn_error e;
        if (!jn_eval(w->cx, root, w->input, &r, &e)) {
            char *m = aslrtp_strdupf("threw an error during evaluation. %s: %s", e.code, e.message);
            say(w, text, len, m);
            free(m);
            return NULL;
        }
        if (!r) {
            say(w, text, len, "returned nothing (undefined).");
            return NULL;
        }
        bool unsupported = false;
        json_t *j = jn_to_json(r, &unsupported);
        if (!j)
            say(w, text, len, unsupported ? "returned an unsupported result type."
                                          : "returned nothing (undefined).");
        return j;
    }
    size_t mark = w->path.len;
    if (json_is_object(t)) {
        json_t *o = json_object();
        const char *key;
        json_t *v;
        json_object_foreach(t, key, v) {
            aslrtp_buf_addf(&w->path, "/%s", key);
            json_t *x = walk(w, v);
            w->path.len = mark;
            if (!x) {
                json_decref(o);
                return NULL;
            }
            json_object_set_new(o, key, x);
        }
        return o;
    }
    if (json_is_array(t)) {
        json_t *a = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(t, i, v) {
            aslrtp_buf_addf(&w->path, "/%zu", i);
            json_t *x = walk(w, v);
            w->path.len = mark;
            if (!x) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, x);
        }
        return a;
    }
    return json_incref(t);
}

json_t *aslrtp_jfield_eval(const aslrtp_jfield *f, jn_ctx *cx, jn_value *input, char **detail)
{
    walker w = {.f = f, .cx = cx, .input = input};
    aslrtp_buf_adds(&w.path, f->field);
    aslrtp_buf_add(&w.path, "", 1);
    w.path.len--;
    json_t *v = walk(&w, f->value);
    free(w.path.data);
    if (!v)
        *detail = w.detail;
    return v;
}

bool aslrtp_jfield_is_expression(const aslrtp_jfield *f)
{
    const char *t;
    size_t n;
    return is_expression(f->value, &t, &n);
}

char *aslrtp_jfield_type_error(const aslrtp_jfield *f, const char *expected, const json_t *v)
{
    const char *t = "";
    size_t n = 0;
    if (!is_expression(f->value, &t, &n)) {
        t = "";
        n = 0;
    }
    char *val = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    char *d = aslrtp_strdupf("The JSONata expression '%.*s' specified for the field '%s' returned an "
                             "unexpected result type. Expected '%s', but was '%s' for value: %s",
                             (int)n, t, f->field, expected, aws_type(v), val ? val : "");
    free(val);
    return d;
}

/* ==== Step Functions' own JSONata functions (doc/behaviour.md §5) ========== */

/* "Integer parameters of these functions are truncated." */
static long long trunc_arg(const jn_value *v)
{
    double d = v->u.number;
    if (d != d)
        return 0;
    if (d > 9e18)
        return (long long)9e18;
    if (d < -9e18)
        return (long long)-9e18;
    return (long long)trunc(d);
}

static jn_value *fn_partition(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    if (nargs < 2 || !args[0] || !args[1])
        jn_fail(cx, "T0410", "partition", NULL, 1);
    long long size = trunc_arg(args[1]);
    if (size <= 0)
        jn_fail_msg(cx, ASLRTP_ERR_RUNTIME, "The chunk size must be greater than zero");
    jn_value *in = args[0];
    jn_value *out = jn_array(cx, 0);
    if (!jn_is_array(in)) {
        jn_value *chunk = jn_array(cx, 1);
        jn_array_push(cx, chunk, in);
        jn_array_push(cx, out, chunk);
        return out;
    }
    for (size_t i = 0; i < in->u.array.n; i += (size_t)size) {
        jn_value *chunk = jn_array(cx, (size_t)size);
        for (size_t j = i; j < in->u.array.n && j < i + (size_t)size; j++)
            jn_array_push(cx, chunk, in->u.array.items[j]);
        jn_array_push(cx, out, chunk);
    }
    return out;
}

static jn_value *fn_range(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    long long start = trunc_arg(args[0]), end = trunc_arg(args[1]);
    long long step = nargs > 2 && args[2] ? trunc_arg(args[2]) : 1;
    if (step == 0)
        jn_fail_msg(cx, ASLRTP_ERR_RUNTIME, "The step of $range cannot be zero");
    jn_value *out = jn_sequence(cx);
    long long count = 0;
    for (long long i = start; step > 0 ? i <= end : i >= end; i += step) {
        if (++count > 1000)
            jn_fail_msg(cx, ASLRTP_ERR_RUNTIME,
                        "The $range function cannot produce more than 1000 elements");
        jn_array_push(cx, out, jn_number(cx, (double)i));
    }
    return out;
}

static jn_value *fn_hash(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    (void)nargs;
    const char *algo = args[1]->u.string.s;
    const EVP_MD *md = aslrtp_crypto_md(algo);
    if (!md)
        jn_fail_msg(cx, ASLRTP_ERR_RUNTIME,
                    jn_printf(cx, "The hash algorithm '%s' is not supported: use one of MD5, "
                                  "SHA-1, SHA-256, SHA-384, SHA-512",
                              algo));
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(args[0]->u.string.s, args[0]->u.string.len, digest, &n, md, NULL);
    char *hex = jn_alloc(cx, 2 * n + 1);
    for (unsigned int i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return jn_string_ref(cx, hex, 2 * n);
}

/* $random(seed): java.util.Random(seed).nextDouble(), as AWS computes it
 * (doc/behaviour.md §5: $random(42) = 0.7275636800328681). */
static jn_value *fn_random(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    if (nargs < 1 || !args[0])
        return jn_number(cx, jn_random(cx));
    const uint64_t mult = 0x5DEECE66DULL, mask = (1ULL << 48) - 1;
    uint64_t seed = ((uint64_t)trunc_arg(args[0]) ^ mult) & mask;
    uint64_t hi, lo;
    seed = (seed * mult + 0xB) & mask;
    hi = seed >> (48 - 26);
    seed = (seed * mult + 0xB) & mask;
    lo = seed >> (48 - 27);
    return jn_number(cx, (double)((hi << 27) + lo) * 0x1.0p-53);
}

static jn_value *fn_uuid(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)args;
    (void)nargs;
    (void)data;
    unsigned char b[16];
    for (int i = 0; i < 16; i++)
        b[i] = (unsigned char)(jn_random(cx) * 256);
    char text[ASLRTP_UUID_SIZE];
    aslrtp_uuid_format(b, 4, text);
    return jn_string(cx, text, ASLRTP_UUID_SIZE - 1);
}

static jn_value *fn_parse(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    (void)nargs;
    if (!args[0])
        return NULL;
    json_error_t je;
    json_t *j = aslrtp_json_loads(args[0]->u.string.s, args[0]->u.string.len, &je);
    if (!j)
        jn_fail_msg(cx, ASLRTP_ERR_RUNTIME,
                    jn_printf(cx, "The string passed to $parse is not valid JSON: %s", je.text));
    jn_value *v = jn_from_json_copy(cx, j);
    json_decref(j);
    return v;
}

const jn_builtin aslrtp_jsonata_functions[] = {
    {"partition", "<an:a>", fn_partition},
    {"range", "<nnn?:a>", fn_range},
    {"hash", "<ss:s>", fn_hash},
    {"random", "<n?:n>", fn_random},
    {"uuid", "<:s>", fn_uuid},
    {"parse", "<s:x>", fn_parse},
    {NULL, NULL, NULL},
};

/*
 * fn_coll.c - JSONata's array, object, aggregation, boolean and
 * higher-order functions: $count $sum $max $min $average $append $reverse
 * $shuffle $sort $distinct $zip $keys $lookup $spread $merge $each $sift
 * $error $assert $type $boolean $not $exists $map $filter $single $reduce
 * $clone.
 *
 * Each follows jsonata-js 2.0.6 (src/functions.js, and functionClone in
 * src/jsonata.js) line by line, with the signature it is bound with there.
 * The evaluator has validated the arguments against the signature, but any
 * argument may still be undefined (NULL): jsonata-js signatures accept a
 * missing value for every parameter, and most functions then return
 * undefined.  The natives still check what they rely on, so a direct call
 * with odd arguments gets an error, never a crash.
 *
 * Arrays: jsonata-js marks the arrays it makes with createSequence (flag
 * JN_SEQUENCE), and the evaluator unwraps a sequence of one item to the item
 * and an empty one to undefined.  The results here carry exactly the flags
 * jsonata-js gives them: $map, $filter, $keys, $each and $lookup over an
 * array build sequences; $append, $reverse, $sort, $shuffle and $zip build
 * plain arrays (Array.prototype.concat and new Array drop the flag);
 * $distinct keeps its input's kind; functions that return their argument
 * unchanged (a short array to $sort, say) return it with its flags.
 *
 * Function arguments are called through jn_apply.  $map, $filter, $each,
 * $sift and $single pass as many arguments (value, index or key, the whole
 * array or object) as the function declares (jsonata-js hofFuncArgs);
 * $reduce passes the accumulator and value, then the index and the array
 * when the function takes them.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "aslrt_private.h"
#include "jsonata.h"

/* The i-th argument, or undefined when fewer were supplied. */
#define ARG(i) ((i) < nargs ? args[(i)] : NULL)

/* ==== helpers ============================================================ */

/* The items of an array argument.  The signature has turned a single value
 * into an array already; a direct call with a single value gets the same
 * treatment, and undefined gives no items. */
typedef struct items {
    jn_value *const *v;
    size_t n;
    jn_value *one;
} items;

static void items_of(jn_value *a, items *it)
{
    if (jn_is_array(a)) {
        it->v = a->u.array.items;
        it->n = a->u.array.n;
    } else if (a) {
        it->one = a;
        it->v = &it->one;
        it->n = 1;
    } else {
        it->v = NULL;
        it->n = 0;
    }
}

/* The number at items[i] of argument `index` of function `name`. */
static double number_at(jn_ctx *cx, const items *it, size_t i, const char *name)
{
    jn_value *v = it->v[i];
    if (!jn_is_number(v))
        jn_fail(cx, "T0412", name, v, 1);
    return v->u.number;
}

/* $boolean of a function's result, undefined being false. */
static bool truthy(const jn_value *v)
{
    return v && jn_boolean_of(v);
}

/* The code point at s[*i] (*i < n), moving *i past it; a byte that starts
 * no well-formed sequence stands for itself, so the order stays total. */
static inline uint32_t next_char(const char *s, size_t n, size_t *i)
{
    unsigned char c = (unsigned char)s[*i];
    if (c < 0x80) {
        (*i)++;
        return c;
    }
    return aslrtp_utf8_next(s, n, ASLRTP_UTF8_WTF8, i);
}

/* The first UTF-16 code unit of code point cp. */
static uint32_t utf16_lead(uint32_t cp)
{
    return cp < 0x10000 ? cp : 0xD800 + ((cp - 0x10000) >> 10);
}

/* Compares two UTF-8 strings as JavaScript compares strings: by UTF-16
 * code units (characters above U+FFFF sort before U+E000..U+FFFF). */
static int js_strcmp(const jn_value *a, const jn_value *b)
{
    const char *s = a->u.string.s, *t = b->u.string.s;
    size_t ls = a->u.string.len, lt = b->u.string.len, i = 0, j = 0;
    while (i < ls && j < lt) {
        uint32_t c = next_char(s, ls, &i), d = next_char(t, lt, &j);
        if (c == d)
            continue;
        uint32_t uc = utf16_lead(c), ud = utf16_lead(d);
        if (uc != ud)
            return uc < ud ? -1 : 1;
        return c < d ? -1 : 1;  /* same lead surrogate: trail decides */
    }
    if (i < ls)
        return 1;
    if (j < lt)
        return -1;
    return 0;
}

/* Calls func on (value, position, whole) as hofFuncArgs does: the value
 * always, the others when the function declares that many parameters. */
static jn_value *hof_call(jn_ctx *cx, jn_value *func, jn_value *value,
                          jn_value *position, jn_value *whole)
{
    jn_value *argv[3] = { value, position, whole };
    int arity = jn_is_function(func) ? jn_function_arity(func) : 1;
    int n = arity >= 3 ? 3 : arity >= 2 ? 2 : 1;
    return jn_apply(cx, func, argv, n);
}

/* ==== aggregation ======================================================== */

/* $count <a:n> */
static jn_value *fn_count(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    items it;
    items_of(ARG(0), &it);
    return jn_number(cx, (double)it.n);
}

/* The sum of the items of a (numbers, or T0412 naming name); *n is their
 * count.  False (undefined) when a is undefined. */
static bool sum_items(jn_ctx *cx, jn_value *a, const char *name, double *total, size_t *n)
{
    if (!a)
        return false;
    items it;
    items_of(a, &it);
    *total = 0;
    for (size_t i = 0; i < it.n; i++)
        *total += number_at(cx, &it, i, name);
    *n = it.n;
    return true;
}

/* $sum <a<n>:n> */
static jn_value *fn_sum(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    double total;
    size_t n;
    return sum_items(cx, ARG(0), "sum", &total, &n) ? jn_number(cx, total) : NULL;
}

/* Math.max / Math.min over the items: NaN wins, +0 is above -0. */
static jn_value *extreme(jn_ctx *cx, jn_value *a, bool want_max, const char *name)
{
    if (!a)
        return NULL;
    items it;
    items_of(a, &it);
    if (it.n == 0)
        return NULL;
    double r = want_max ? -INFINITY : INFINITY;
    for (size_t i = 0; i < it.n; i++) {
        double x = number_at(cx, &it, i, name);
        if (isnan(x))
            return jn_number(cx, x);
        if (want_max ? (x > r || (x == 0 && r == 0 && !signbit(x)))
                     : (x < r || (x == 0 && r == 0 && signbit(x))))
            r = x;
    }
    return jn_number(cx, r);
}

/* $max <a<n>:n> */
static jn_value *fn_max(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    return extreme(cx, ARG(0), true, "max");
}

/* $min <a<n>:n> */
static jn_value *fn_min(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    return extreme(cx, ARG(0), false, "min");
}

/* $average <a<n>:n> */
static jn_value *fn_average(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    double total;
    size_t n;
    if (!sum_items(cx, ARG(0), "average", &total, &n) || n == 0)
        return NULL;
    return jn_number(cx, total / (double)n);
}

/* ==== boolean ============================================================ */

/* $boolean <x-:b> */
static jn_value *fn_boolean(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)cx, (void)data;
    jn_value *a = ARG(0);
    return a ? jn_bool(jn_boolean_of(a)) : NULL;
}

/* $not <x-:b> */
static jn_value *fn_not(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)cx, (void)data;
    jn_value *a = ARG(0);
    return a ? jn_bool(!jn_boolean_of(a)) : NULL;
}

/* $exists <x:b> */
static jn_value *fn_exists(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)cx, (void)data;
    return jn_bool(ARG(0) != NULL);
}

/* $type <x:s> */
static jn_value *fn_type(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *a = ARG(0);
    if (!a)
        return NULL;
    /* isNumeric throws for infinities */
    if (a->type == JN_NUMBER && isinf(a->u.number))
        jn_fail(cx, "D1001", NULL, a, 0);
    const char *name = jn_type_name(a);
    return name ? jn_string_ref(cx, name, strlen(name)) : NULL;
}

/* ==== errors ============================================================= */

/* $error <s?:x>: D3137 with the message, or a default one when it is
 * missing or empty. */
static jn_value *fn_error(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *m = ARG(0);
    if (m && !jn_is_string(m))
        jn_fail(cx, "T0410", "error", m, 1);
    if (m && m->u.string.len > 0)
        jn_fail_msg(cx, "D3137", m->u.string.s);
    jn_fail_msg(cx, "D3137", "$error() function evaluated");
}

/* $assert <bs?:x>: D3141 unless the condition holds; undefined. */
static jn_value *fn_assert(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *cond = ARG(0), *m = ARG(1);
    if (jn_js_truthy(cond))
        return NULL;
    if (m && !jn_is_string(m))
        jn_fail(cx, "T0410", "assert", m, 2);
    if (m && m->u.string.len > 0)
        jn_fail_msg(cx, "D3141", m->u.string.s);
    jn_fail_msg(cx, "D3141", "$assert() statement failed");
}

/* ==== arrays ============================================================= */

jn_value *jn_coll_append(jn_ctx *cx, jn_value *a, jn_value *b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    items ia, ib;
    items_of(a, &ia);
    items_of(b, &ib);
    jn_value *r = jn_array(cx, ia.n + ib.n);
    for (size_t i = 0; i < ia.n; i++)
        jn_array_push(cx, r, ia.v[i]);
    for (size_t i = 0; i < ib.n; i++)
        jn_array_push(cx, r, ib.v[i]);
    return r;
}

/* $append <xx:a> */
static jn_value *fn_append(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    return jn_coll_append(cx, ARG(0), ARG(1));
}

/* $reverse <a:a> */
static jn_value *fn_reverse(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *a = ARG(0);
    if (!jn_is_array(a) || a->u.array.n <= 1)
        return a;
    size_t n = a->u.array.n;
    jn_value *r = jn_array(cx, n);
    for (size_t i = n; i-- > 0;)
        jn_array_push(cx, r, a->u.array.items[i]);
    return r;
}

/* $shuffle <a:a>: the inside-out Fisher-Yates of jsonata-js. */
static jn_value *fn_shuffle(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *a = ARG(0);
    if (!jn_is_array(a) || a->u.array.n <= 1)
        return a;
    size_t n = a->u.array.n;
    jn_value **res = jn_alloc(cx, n * sizeof *res);
    for (size_t i = 0; i < n; i++) {
        size_t j = (size_t)floor(jn_random(cx) * (double)(i + 1));
        if (j > i)
            j = i;
        if (i != j)
            res[i] = res[j];
        res[j] = a->u.array.items[i];
    }
    jn_value *r = jn_array(cx, n);
    for (size_t i = 0; i < n; i++)
        jn_array_push(cx, r, res[i]);
    return r;
}

/* ---- sorting ---- */

typedef struct sorter {
    jn_ctx *cx;
    jn_coll_greater greater;
    void *data;
    jn_value **tmp;
} sorter;

/* jsonata-js msort: split at floor(n/2), sort both halves, merge taking
 * from the right only when greater(left, right). */
static void msort(sorter *s, jn_value **v, size_t n)
{
    if (n <= 1)
        return;
    size_t mid = n / 2;
    msort(s, v, mid);
    msort(s, v + mid, n - mid);
    size_t i = 0, j = mid, k = 0;
    while (i < mid && j < n) {
        if (s->greater(s->cx, v[i], v[j], s->data))
            s->tmp[k++] = v[j++];
        else
            s->tmp[k++] = v[i++];
    }
    while (i < mid)
        s->tmp[k++] = v[i++];
    while (j < n)
        s->tmp[k++] = v[j++];
    memcpy(v, s->tmp, n * sizeof *v);
}

jn_value *jn_coll_sort(jn_ctx *cx, jn_value *arr, jn_coll_greater greater, void *data)
{
    if (!jn_is_array(arr) || arr->u.array.n <= 1)
        return arr;
    size_t n = arr->u.array.n;
    jn_value **v = jn_alloc(cx, n * sizeof *v);
    memcpy(v, arr->u.array.items, n * sizeof *v);
    sorter s = { cx, greater, data, jn_alloc(cx, n * sizeof *v) };
    msort(&s, v, n);
    jn_value *r = jn_array(cx, n);
    for (size_t i = 0; i < n; i++)
        jn_array_push(cx, r, v[i]);
    return r;
}

/* The default comparator: a > b on numbers or on strings. */
static bool default_greater(jn_ctx *cx, jn_value *a, jn_value *b, void *data)
{
    (void)cx, (void)data;
    if (a->type == JN_NUMBER && b->type == JN_NUMBER)
        return a->u.number > b->u.number;
    if (a->type == JN_STRING && b->type == JN_STRING)
        return js_strcmp(a, b) > 0;
    return false;
}

/* A comparator function: its result tested as JavaScript's `if` does. */
static bool function_greater(jn_ctx *cx, jn_value *a, jn_value *b, void *data)
{
    jn_value *argv[2] = { a, b };
    return jn_js_truthy(jn_apply(cx, (jn_value *)data, argv, 2));
}

/* $sort <af?:a> */
static jn_value *fn_sort(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *a = ARG(0), *comparator = ARG(1);
    if (!a)
        return NULL;
    if (!jn_is_array(a) || a->u.array.n <= 1)
        return a;
    if (!comparator) {
        if (!jn_is_array_of_numbers(a) && !jn_is_array_of_strings(a))
            jn_fail(cx, "D3070", NULL, NULL, 1);
        return jn_coll_sort(cx, a, default_greater, NULL);
    }
    return jn_coll_sort(cx, a, function_greater, comparator);
}

/* ---- $distinct ---- */

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* A hash that deep-equal values share: object members are combined in any
 * order, numbers by value (-0 as 0); below a depth the structure alone. */
static uint64_t hash_value(const jn_value *v, int depth)
{
    switch (v->type) {
    case JN_NULL:
        return 1;
    case JN_BOOLEAN:
        return v->u.boolean ? 2 : 3;
    case JN_NUMBER: {
        double d = v->u.number == 0 ? 0 : v->u.number;
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        return mix(bits ^ 4);
    }
    case JN_STRING:
        return hash_bytes(v->u.string.s, v->u.string.len) ^ 5;
    case JN_ARRAY: {
        uint64_t h = 6 + v->u.array.n;
        if (depth > 0)
            for (size_t i = 0; i < v->u.array.n; i++)
                h = mix(h * 31 + hash_value(v->u.array.items[i], depth - 1));
        return h;
    }
    case JN_OBJECT: {
        uint64_t h = 0;
        for (size_t i = 0; i < v->u.object.n; i++) {
            const jn_member *m = &v->u.object.members[i];
            uint64_t mh = hash_bytes(m->key, m->key_len);
            if (depth > 0)
                mh = mix(mh ^ hash_value(m->value, depth - 1));
            h += mh;
        }
        return mix(h + 7 + v->u.object.n);
    }
    default:
        return 8;       /* functions: jn_deep_equal decides */
    }
}

/* $distinct <x:x>: first occurrences in order, by deep equality. */
static jn_value *fn_distinct(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *a = ARG(0);
    if (!jn_is_array(a) || a->u.array.n <= 1)
        return a;
    size_t n = a->u.array.n, cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    /* open addressing: slots hold index + 1 of a kept item, 0 = free */
    size_t *slot = jn_alloc(cx, cap * sizeof *slot);
    uint64_t *hashes = jn_alloc(cx, n * sizeof *hashes);
    jn_value *r = jn_is_sequence(a) ? jn_sequence(cx) : jn_array(cx, n);
    for (size_t i = 0; i < n; i++) {
        jn_value *v = a->u.array.items[i];
        uint64_t h = hash_value(v, 16);
        size_t k = (size_t)h & (cap - 1);
        bool seen = false;
        for (; slot[k]; k = (k + 1) & (cap - 1)) {
            size_t idx = slot[k] - 1;
            if (hashes[idx] == h && jn_deep_equal(v, r->u.array.items[idx])) {
                seen = true;
                break;
            }
        }
        if (!seen) {
            hashes[r->u.array.n] = h;
            slot[k] = r->u.array.n + 1;
            jn_array_push(cx, r, v);
        }
    }
    return r;
}

/* $zip <a+>: tuples up to the shortest array (a non-array counts as empty). */
static jn_value *fn_zip(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *r = jn_array(cx, 0);
    if (nargs <= 0)
        return r;
    size_t len = SIZE_MAX;
    for (int k = 0; k < nargs; k++) {
        size_t n = jn_is_array(args[k]) ? args[k]->u.array.n : 0;
        if (n < len)
            len = n;
    }
    for (size_t i = 0; i < len; i++) {
        jn_value *tuple = jn_array(cx, (size_t)nargs);
        for (int k = 0; k < nargs; k++)
            jn_array_push(cx, tuple, args[k]->u.array.items[i]);
        jn_array_push(cx, r, tuple);
    }
    return r;
}

/* ==== objects ============================================================ */

/* Adds the keys of v (an object, or the objects in an array, nested
 * arrays included) to the set `seen`, in order of first appearance. */
static void collect_keys(jn_ctx *cx, jn_value *v, jn_value *seen)
{
    if (jn_is_array(v)) {
        for (size_t i = 0; i < v->u.array.n; i++)
            collect_keys(cx, v->u.array.items[i], seen);
    } else if (jn_is_object(v)) {
        for (size_t i = 0; i < v->u.object.n; i++) {
            const jn_member *m = &v->u.object.members[i];
            if (!jn_object_get(seen, m->key, m->key_len))
                jn_object_set(cx, seen, m->key, m->key_len, JN_TRUE);
        }
    }
}

/* $keys <x-:a<s>>: a sequence of the keys. */
static jn_value *fn_keys(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *a = ARG(0), *r = jn_sequence(cx);
    jn_value *src = a;
    if (jn_is_array(a)) {
        src = jn_object(cx);
        collect_keys(cx, a, src);
    }
    if (jn_is_object(src))
        for (size_t i = 0; i < src->u.object.n; i++) {
            const jn_member *m = &src->u.object.members[i];
            jn_array_push(cx, r, jn_string_ref(cx, m->key, m->key_len));
        }
    return r;
}

jn_value *jn_coll_lookup(jn_ctx *cx, jn_value *input, const char *key, size_t len)
{
    if (jn_is_array(input)) {
        jn_value *r = jn_sequence(cx);
        for (size_t i = 0; i < input->u.array.n; i++) {
            jn_value *res = jn_coll_lookup(cx, input->u.array.items[i], key, len);
            if (jn_is_array(res)) {
                for (size_t j = 0; j < res->u.array.n; j++)
                    jn_array_push(cx, r, res->u.array.items[j]);
            } else if (res) {
                jn_array_push(cx, r, res);
            }
        }
        return r;
    }
    if (jn_is_object(input))
        return jn_object_get(input, key, len);
    return NULL;
}

/* $lookup <x-s:x>.  An undefined key is looked up as "undefined", as
 * JavaScript's input[undefined] does. */
static jn_value *fn_lookup(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *k = ARG(1);
    if (k && !jn_is_string(k))
        jn_fail(cx, "T0410", "lookup", k, 2);
    if (!k)
        return jn_coll_lookup(cx, ARG(0), "undefined", 9);
    return jn_coll_lookup(cx, ARG(0), k->u.string.s, k->u.string.len);
}

static jn_value *spread(jn_ctx *cx, jn_value *a)
{
    if (jn_is_array(a)) {
        jn_value *r = jn_sequence(cx);
        for (size_t i = 0; i < a->u.array.n; i++)
            r = jn_coll_append(cx, r, spread(cx, a->u.array.items[i]));
        return r;
    }
    if (jn_is_object(a)) {
        jn_value *r = jn_sequence(cx);
        for (size_t i = 0; i < a->u.object.n; i++) {
            const jn_member *m = &a->u.object.members[i];
            jn_value *o = jn_object(cx);
            jn_object_set(cx, o, m->key, m->key_len, m->value);
            jn_array_push(cx, r, o);
        }
        return r;
    }
    return a;
}

/* $spread <x-:a<o>>: an object becomes a sequence of one-member objects;
 * an array spreads each item; anything else comes back as it is. */
static jn_value *fn_spread(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    return spread(cx, ARG(0));
}

/* $merge <a<o>:o>: later members override earlier ones. */
static jn_value *fn_merge(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *a = ARG(0);
    if (!a)
        return NULL;
    items it;
    items_of(a, &it);
    jn_value *r = jn_object(cx);
    for (size_t i = 0; i < it.n; i++) {
        jn_value *o = it.v[i];
        if (!jn_is_object(o))
            jn_fail(cx, "T0412", "merge", o, 1);
        for (size_t j = 0; j < o->u.object.n; j++) {
            const jn_member *m = &o->u.object.members[j];
            jn_object_set(cx, r, m->key, m->key_len, m->value);
        }
    }
    return r;
}

/* func on a member of o: (value, key, object), as $each and $sift call it. */
static jn_value *member_call(jn_ctx *cx, jn_value *func, jn_value *o, const jn_member *m)
{
    return hof_call(cx, func, m->value, jn_string_ref(cx, m->key, m->key_len), o);
}

/* $each <o-f:a>: a sequence of the function's defined results. */
static jn_value *fn_each(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *o = ARG(0), *func = ARG(1), *r = jn_sequence(cx);
    if (!jn_is_object(o))
        return r;
    for (size_t i = 0; i < o->u.object.n; i++) {
        const jn_member *m = &o->u.object.members[i];
        jn_value *val = member_call(cx, func, o, m);
        if (val)
            jn_array_push(cx, r, val);
    }
    return r;
}

/* $sift <o-f?:o>: the members the predicate holds for; undefined when
 * none does. */
static jn_value *fn_sift(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *o = ARG(0), *func = ARG(1);
    if (!jn_is_object(o))
        return NULL;
    jn_value *r = jn_object(cx);
    for (size_t i = 0; i < o->u.object.n; i++) {
        const jn_member *m = &o->u.object.members[i];
        jn_value *res = member_call(cx, func, o, m);
        if (truthy(res))
            jn_object_set(cx, r, m->key, m->key_len, m->value);
    }
    return r->u.object.n ? r : NULL;
}

/* ==== higher-order ======================================================= */

/* $map and $filter: func on each item with its index; the results that
 * are not undefined ($map), or the items it holds for ($filter). */
static jn_value *map_items(jn_ctx *cx, jn_value *const *args, int nargs, bool filter)
{
    jn_value *a = ARG(0), *func = ARG(1);
    if (!a)
        return NULL;
    items it;
    items_of(a, &it);
    jn_value *r = jn_sequence(cx);
    for (size_t i = 0; i < it.n; i++) {
        jn_value *res = hof_call(cx, func, it.v[i], jn_number(cx, (double)i), a);
        if (filter ? truthy(res) : res != NULL)
            jn_array_push(cx, r, filter ? it.v[i] : res);
    }
    return r;
}

/* $map <af> */
static jn_value *fn_map(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    return map_items(cx, args, nargs, false);
}

/* $filter <af> */
static jn_value *fn_filter(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    return map_items(cx, args, nargs, true);
}

/* $single <af?>: the one item the predicate (or, without one, every item)
 * holds for; D3138 at a second match, D3139 when none. */
static jn_value *fn_single(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *a = ARG(0), *func = ARG(1), *result = NULL;
    if (!a)
        return NULL;
    items it;
    items_of(a, &it);
    bool found = false;
    for (size_t i = 0; i < it.n; i++) {
        bool positive = true;
        if (func)
            positive = truthy(hof_call(cx, func, it.v[i], jn_number(cx, (double)i), a));
        if (positive) {
            if (found)
                jn_fail(cx, "D3138", NULL, NULL, (int)i);
            result = it.v[i];
            found = true;
        }
    }
    if (!found)
        jn_fail(cx, "D3139", NULL, NULL, 0);
    return result;
}

/* $reduce <afj?:j>: a left fold; the function takes (accumulator, value
 * [, index [, array]]). */
static jn_value *fn_reduce(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *a = ARG(0), *func = ARG(1), *init = ARG(2);
    if (!a)
        return NULL;
    int arity = jn_is_function(func) ? jn_function_arity(func) : 0;
    if (arity < 2)
        jn_fail(cx, "D3050", NULL, NULL, 1);
    items it;
    items_of(a, &it);
    jn_value *result;
    size_t i;
    if (!init && it.n > 0) {
        result = it.v[0];
        i = 1;
    } else {
        result = init;
        i = 0;
    }
    for (; i < it.n; i++) {
        jn_value *argv[4] = { result, it.v[i], NULL, a };
        int n = 2;
        if (arity >= 3) {
            argv[2] = jn_number(cx, (double)i);
            n = arity >= 4 ? 4 : 3;
        }
        result = jn_apply(cx, func, argv, n);
    }
    return result;
}

/* ==== $clone ============================================================= */

/* $clone <(oa)-:o>: JSON.parse($string(arg)), so numbers come back through
 * 15 significant digits and functions inside as "". */
static jn_value *fn_clone(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *a = ARG(0);
    if (!a)
        return NULL;
    if (a->type == JN_STRING || a->type == JN_FUNCTION)
        jn_fail(cx, "T0410", "clone", a, 1);   /* not JSON text once stringified */
    jn_value *text = jn_stringify(cx, a, false);
    json_error_t err;
    json_t *j = json_loadb(text->u.string.s, text->u.string.len,
                           JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &err);
    if (!j)
        jn_fail_msg(cx, "T0410", jn_printf(cx, "$clone: cannot read back %s", err.text));
    jn_value *r = jn_from_json_copy(cx, j);
    json_decref(j);
    return r;
}

/* ==== the table ========================================================== */

const jn_builtin jn_builtins_coll[] = {
    { "sum", "<a<n>:n>", fn_sum },
    { "count", "<a:n>", fn_count },
    { "max", "<a<n>:n>", fn_max },
    { "min", "<a<n>:n>", fn_min },
    { "average", "<a<n>:n>", fn_average },
    { "boolean", "<x-:b>", fn_boolean },
    { "not", "<x-:b>", fn_not },
    { "map", "<af>", fn_map },
    { "zip", "<a+>", fn_zip },
    { "filter", "<af>", fn_filter },
    { "single", "<af?>", fn_single },
    { "reduce", "<afj?:j>", fn_reduce },
    { "sift", "<o-f?:o>", fn_sift },
    { "keys", "<x-:a<s>>", fn_keys },
    { "lookup", "<x-s:x>", fn_lookup },
    { "append", "<xx:a>", fn_append },
    { "exists", "<x:b>", fn_exists },
    { "spread", "<x-:a<o>>", fn_spread },
    { "merge", "<a<o>:o>", fn_merge },
    { "reverse", "<a:a>", fn_reverse },
    { "each", "<o-f:a>", fn_each },
    { "error", "<s?:x>", fn_error },
    { "assert", "<bs?:x>", fn_assert },
    { "type", "<x:s>", fn_type },
    { "sort", "<af?:a>", fn_sort },
    { "shuffle", "<a:a>", fn_shuffle },
    { "distinct", "<x:x>", fn_distinct },
    { "clone", "<(oa)-:o>", fn_clone },
    { NULL, NULL, NULL }
};

/*
 * eval.c - the evaluator of jsonata-js (jsonata.js), function for
 * function: evaluate() dispatches on the node kind, paths run their steps
 * over sequences (or, once a step binds a variable with @ or #, or % needs
 * an ancestor, over tuple streams of binding objects), results are
 * normalized on the way out exactly as jsonata-js does (empty sequences
 * become undefined, singletons their only item unless kept).
 *
 * Values are jsonata-js's: arrays carry its marks as flags (sequence,
 * keepSingleton, outerWrapper, tupleStream, cons); tuples are objects whose
 * keys are '@', the bound variables' names and the parent slots' labels.
 *
 * Functions: lambdas close over a frame; built-ins come from the five
 * library tables (and the options' extra functions), each validated against
 * its signature (signature.js) before the call; partial applications keep
 * their target and bound arguments; tail calls come back as thunks that
 * apply() runs in a loop, so tail recursion does not grow the C stack.
 *
 * Errors longjmp to jn_eval.  The position and token jsonata-js's catch
 * blocks would add on the way out are kept in a stack of jn_catch records
 * (pushed by function calls and the boolean operators) and applied when
 * the error is raised.  Limits: max_depth counts nested evaluate() calls
 * as jsonata-js's test runner does; the C stack and the time limit are
 * checked too (U1001).
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"
#include "private.h"

#define DEFAULT_MAX_DEPTH 10000
/* The C stack an evaluation may use at most, and what it leaves free below
 * itself on a smaller thread stack (natives and libc need some too). */
#define STACK_LIMIT ((size_t)5 * 1024 * 1024)
#define STACK_RESERVE ((size_t)256 * 1024)

typedef const aslrt_jn_node node_t;

static jn_value *evaluate(jn_ctx *cx, node_t *expr, jn_value *input, jn_frame *env);
static jn_value *apply(jn_ctx *cx, jn_value *proc, jn_value **args, int nargs,
                       jn_value *input, jn_frame *env);

/* A bound argument of a partial application that was undefined (NULL
 * stands for the '?' placeholders there). */
static jn_value undefined_arg = {.type = JN_NULL};

static jn_value *const no_input[1] = {NULL};

/* ==== small helpers ===================================================== */

static inline bool is_array(const jn_value *v)
{
    return v && v->type == JN_ARRAY;
}

static inline bool is_seq(const jn_value *v)
{
    return v && v->type == JN_ARRAY && (v->flags & JN_SEQUENCE);
}

static inline bool is_fn(const jn_value *v)
{
    return v && v->type == JN_FUNCTION;
}

static jn_value *seq1(jn_ctx *cx, jn_value *v)
{
    jn_value *s = jn_sequence(cx);
    if (v)
        jn_array_push(cx, s, v);
    return s;
}

static _Noreturn void fail(jn_ctx *cx, const char *code, int pos, const char *token,
                           const jn_value *value)
{
    jn_raise(cx, code, pos, token, value, NULL, 0, NULL);
}

/* isNumeric of utils.js: a number that is not NaN; D1001 when infinite. */
static bool numeric(jn_ctx *cx, const jn_value *v)
{
    if (!v || v->type != JN_NUMBER || isnan(v->u.number))
        return false;
    if (isinf(v->u.number))
        fail(cx, "D1001", -1, NULL, v);
    return true;
}

static bool array_of_numbers(jn_ctx *cx, const jn_value *v)
{
    if (!is_array(v))
        return false;
    for (size_t i = 0; i < v->u.array.n; i++)
        if (!numeric(cx, v->u.array.items[i]))
            return false;
    return true;
}

/* fn.append: the two joined into a new plain array (either may be
 * undefined, then the other comes back as it is). */
static jn_value *append(jn_ctx *cx, jn_value *a, jn_value *b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    size_t na = is_array(a) ? a->u.array.n : 1;
    size_t nb = is_array(b) ? b->u.array.n : 1;
    jn_value *r = jn_array(cx, na + nb ? na + nb : 1);
    if (!is_array(a))
        r->u.array.items[0] = a;
    else if (na)
        memcpy(r->u.array.items, a->u.array.items, na * sizeof(jn_value *));
    if (!is_array(b))
        r->u.array.items[na] = b;
    else if (nb)
        memcpy(r->u.array.items + na, b->u.array.items, nb * sizeof(jn_value *));
    r->u.array.n = na + nb;
    return r;
}

/* ==== limits ============================================================ */

static void check_limits(jn_ctx *cx)
{
    /* The frame's address, not a local's: AddressSanitizer's
     * detect_stack_use_after_return moves locals off the real stack. */
    const char *here = __builtin_frame_address(0);
    if (cx->depth > cx->max_depth ||
        (cx->stack_base && (size_t)(cx->stack_base - here) > cx->stack_limit))
        jn_fail_msg(cx, "U1001",
                    "Stack overflow error: Check for non-terminating recursive function.  "
                    "Consider rewriting as tail-recursive.");
    if (cx->deadline_ms && (++cx->tick & 255) == 0 && aslrtp_mono_ms() > cx->deadline_ms)
        jn_fail_msg(cx, "U1001", "Expression evaluation timeout: Check for infinite loop");
}

/* ==== variables and built-ins =========================================== */

static const jn_sig *sig_of(jn_ctx *cx, const char *text)
{
    if (!text)
        return NULL;
    jn_sig *s = jn_ptrmap_get(&cx->sigs, text);
    if (!s) {
        s = jn_sig_parse(cx, text);
        jn_ptrmap_put(cx, &cx->sigs, text, s);
    }
    return s;
}

/* jn_native (value.c) with its signature parsed, as the evaluator's own
 * natives have it from the start. */
static jn_value *native(jn_ctx *cx, const char *name, const char *signature, jn_native_fn fn,
                        void *data)
{
    jn_value *v = jn_native(cx, name, signature, fn, data);
    v->u.function->sig = sig_of(cx, signature);
    return v;
}

/* The built-in named name[0..len), or NULL: the options' extra functions
 * first, then the library's tables.  Each gets one value per context. */
static jn_value builtin_missing = {.type = JN_NULL};

static jn_value *find_builtin(jn_ctx *cx, const char *name, size_t len);

/* The built-in named name[0..len), or NULL, remembered per context. */
static jn_value *builtin(jn_ctx *cx, const char *name, size_t len)
{
    if (!cx->builtin_names)
        cx->builtin_names = jn_object(cx);
    jn_value *v = jn_object_get(cx->builtin_names, name, len);
    if (v)
        return v == &builtin_missing ? NULL : v;
    v = find_builtin(cx, name, len);
    jn_object_set(cx, cx->builtin_names, name, len, v ? v : &builtin_missing);
    return v;
}

/* b is named name[0..len); the first byte is tested first, since most
 * names differ there. */
static bool is_named(const jn_builtin *b, const char *name, size_t len)
{
    return (len == 0 || b->name[0] == name[0]) && strlen(b->name) == len &&
           memcmp(b->name, name, len) == 0;
}

static jn_value *find_builtin(jn_ctx *cx, const char *name, size_t len)
{
    static const jn_builtin *const tables[] = {
        jn_builtins_string, jn_builtins_regex, jn_builtins_number, jn_builtins_time,
        jn_builtins_coll
    };
    const jn_builtin *found = NULL;
    void *data = NULL;
    if (cx->opt.extra) {
        for (const jn_builtin *b = cx->opt.extra; b->name; b++)
            if (is_named(b, name, len)) {
                found = b;
                data = cx->opt.extra_data;
                break;
            }
    }
    for (size_t t = 0; !found && t < sizeof tables / sizeof tables[0]; t++)
        for (const jn_builtin *b = tables[t]; b->name; b++)
            if (is_named(b, name, len)) {
                found = b;
                break;
            }
    if (!found)
        return NULL;
    jn_value *v = jn_ptrmap_get(&cx->builtins, found);
    if (!v) {
        v = native(cx, found->name, found->signature, found->fn, data);
        jn_ptrmap_put(cx, &cx->builtins, found, v);
    }
    return v;
}

static jn_value *lookup_var(jn_ctx *cx, jn_frame *env, const char *name, size_t len,
                            uint32_t hash, bool *found)
{
    jn_value *v = jn_frame_lookup(env, name, len, hash, found);
    if (*found)
        return v;
    v = builtin(cx, name, len);
    *found = v != NULL;
    return v;
}

static jn_value *lookup_name(jn_ctx *cx, jn_frame *env, const char *name)
{
    bool found;
    size_t len = strlen(name);
    return lookup_var(cx, env, name, len, jn_hash(name, len), &found);
}

/* createFrameFromTuple */
static jn_frame *frame_from_tuple(jn_ctx *cx, jn_frame *env, const jn_value *tuple)
{
    jn_frame *f = jn_frame_create(cx, env);
    if (tuple && tuple->type == JN_OBJECT)
        for (size_t i = 0; i < tuple->u.object.n; i++) {
            const jn_member *m = &tuple->u.object.members[i];
            jn_frame_bind(cx, f, m->key, m->key_len, jn_hash(m->key, m->key_len), m->value);
        }
    return f;
}

static jn_value *tuple_get(const jn_value *tuple, const char *key)
{
    if (!tuple || tuple->type != JN_OBJECT)
        return NULL;
    return jn_object_get(tuple, key, strlen(key));
}

static jn_value *tuple_copy(jn_ctx *cx, const jn_value *t)
{
    jn_value *o = jn_object(cx);
    if (t && t->type == JN_OBJECT) {
        size_t n = t->u.object.n;
        o->u.object.members = jn_alloc(cx, (n + 3) * sizeof(jn_member));
        o->u.object.cap = n + 3;
        for (size_t i = 0; i < n; i++)
            jn_object_set_ref(cx, o, t->u.object.members[i].key, t->u.object.members[i].key_len,
                              t->u.object.members[i].value);
    }
    return o;
}

static void tuple_set(jn_ctx *cx, jn_value *t, const char *key, jn_value *v)
{
    jn_object_set_ref(cx, t, key, strlen(key), v);
}

/* ==== lookup, wildcard, descendants ===================================== */

/* fn.lookup */
static jn_value *lookup(jn_ctx *cx, jn_value *input, const char *key, size_t len)
{
    if (!input)
        return NULL;
    if (input->type == JN_ARRAY) {
        jn_value *r = jn_sequence(cx);
        for (size_t i = 0; i < input->u.array.n; i++) {
            jn_value *res = lookup(cx, input->u.array.items[i], key, len);
            if (!res)
                continue;
            if (res->type == JN_ARRAY) {
                for (size_t j = 0; j < res->u.array.n; j++)
                    jn_array_push(cx, r, res->u.array.items[j]);
            } else {
                jn_array_push(cx, r, res);
            }
        }
        return r;
    }
    if (input->type == JN_OBJECT)
        return jn_object_get(input, key, len);
    return NULL;
}

static void too_deep(jn_ctx *cx)
{
    jn_fail_msg(cx, "U1001", "The value is nested too deeply");
}

static void flatten_into(jn_ctx *cx, jn_value *v, jn_value *out, int level)
{
    if (level > JN_MAX_NESTING)
        too_deep(cx);
    if (is_array(v)) {
        for (size_t i = 0; i < v->u.array.n; i++)
            flatten_into(cx, v->u.array.items[i], out, level + 1);
    } else {
        jn_array_push(cx, out, v);
    }
}

static jn_value *wildcard(jn_ctx *cx, jn_value *input)
{
    jn_value *results = jn_sequence(cx);
    if (is_array(input) && (input->flags & JN_OUTER_WRAPPER) && input->u.array.n > 0)
        input = input->u.array.items[0];
    if (!input)
        return results;
    jn_value *const *vals;
    size_t n;
    jn_value **tmp = NULL;
    if (input->type == JN_OBJECT) {
        n = input->u.object.n;
        tmp = jn_alloc(cx, (n ? n : 1) * sizeof *tmp);
        for (size_t i = 0; i < n; i++)
            tmp[i] = input->u.object.members[i].value;
        vals = tmp;
    } else if (input->type == JN_ARRAY) {
        n = input->u.array.n;
        vals = input->u.array.items;
    } else {
        return results;
    }
    for (size_t i = 0; i < n; i++) {
        jn_value *v = vals[i];
        if (!v)
            continue;
        if (is_array(v)) {
            flatten_into(cx, v, results, 0);
            results->flags &= (uint8_t)~JN_SEQUENCE;  /* fn.append's concat */
        } else {
            jn_array_push(cx, results, v);
        }
    }
    return results;
}

static void recurse_descendants(jn_ctx *cx, jn_value *v, jn_value *out, int level)
{
    if (!v)
        return;
    if (level > JN_MAX_NESTING)
        too_deep(cx);
    if (v->type != JN_ARRAY)
        jn_array_push(cx, out, v);
    if (v->type == JN_ARRAY) {
        for (size_t i = 0; i < v->u.array.n; i++)
            recurse_descendants(cx, v->u.array.items[i], out, level + 1);
    } else if (v->type == JN_OBJECT) {
        for (size_t i = 0; i < v->u.object.n; i++)
            recurse_descendants(cx, v->u.object.members[i].value, out, level + 1);
    }
}

static jn_value *descendants(jn_ctx *cx, jn_value *input)
{
    if (!input)
        return NULL;
    jn_value *seq = jn_sequence(cx);
    recurse_descendants(cx, input, seq, 0);
    if (seq->u.array.n == 1)
        return seq->u.array.items[0];
    return seq;
}

/* ==== predicates ======================================================== */

static jn_value *evaluate_filter(jn_ctx *cx, node_t *pred, jn_value *input, jn_frame *env)
{
    jn_value *results = jn_sequence(cx);
    bool tuples = input && is_array(input) && (input->flags & JN_TUPLE_STREAM);
    if (tuples)
        results->flags |= JN_TUPLE_STREAM;
    jn_value *const *items;
    size_t n;
    if (is_array(input)) {
        items = input->u.array.items;
        n = input->u.array.n;
    } else {
        items = input ? &input : no_input;
        n = 1;
    }
    if (pred->type == ASLRT_JN_NUMBER) {
        double idx = floor(pred->number);
        if (idx < 0)
            idx += (double)n;
        if (idx >= 0 && idx < (double)n) {
            jn_value *item = items[(size_t)idx];
            if (item) {
                if (is_array(item))
                    return item;
                jn_array_push(cx, results, item);
            }
        }
        return results;
    }
    for (size_t i = 0; i < n; i++) {
        jn_value *item = items[i];
        jn_value *context = item;
        jn_frame *fenv = env;
        if (tuples) {
            context = tuple_get(item, "@");
            fenv = frame_from_tuple(cx, env, item);
        }
        jn_value *res = evaluate(cx, pred, context, fenv);
        if (numeric(cx, res)) {
            double d = floor(res->u.number);
            if (d < 0)
                d += (double)n;
            if (d == (double)i && item)
                jn_array_push(cx, results, item);
        } else if (array_of_numbers(cx, res)) {
            for (size_t j = 0; j < res->u.array.n; j++) {
                double d = floor(res->u.array.items[j]->u.number);
                if (d < 0)
                    d += (double)n;
                if (d == (double)i && item)
                    jn_array_push(cx, results, item);
            }
        } else if (jn_boolean_of(res) && item) {
            jn_array_push(cx, results, item);
        }
    }
    return results;
}

static jn_value *evaluate_stages(jn_ctx *cx, node_t *step, jn_value *input, jn_frame *env)
{
    jn_value *result = input;
    for (int s = 0; s < step->nstages; s++) {
        node_t *stage = step->stages[s];
        if (stage->type == ASLRT_JN_FILTER) {
            result = evaluate_filter(cx, stage->lhs, result, env);
        } else if (is_array(result)) {
            for (size_t e = 0; e < result->u.array.n; e++) {
                jn_value *t = result->u.array.items[e];
                if (t && t->type == JN_OBJECT)
                    tuple_set(cx, t, stage->str, jn_number(cx, (double)e));
            }
        }
    }
    return result;
}

/* ==== sorting =========================================================== */

typedef struct sort_ctx {
    jn_ctx *cx;
    node_t *expr;
    jn_frame *env;
    bool tuples;
} sort_ctx;

/* The order-by comparator: true when a goes after b. */
static bool sort_after(sort_ctx *sc, jn_value *a, jn_value *b)
{
    jn_ctx *cx = sc->cx;
    int comp = 0;
    for (int i = 0; comp == 0 && i < sc->expr->nitems; i++) {
        node_t *term = sc->expr->items[i];
        jn_value *ctx_a = a, *ctx_b = b;
        jn_frame *env_a = sc->env, *env_b = sc->env;
        if (sc->tuples) {
            ctx_a = tuple_get(a, "@");
            env_a = frame_from_tuple(cx, sc->env, a);
            ctx_b = tuple_get(b, "@");
            env_b = frame_from_tuple(cx, sc->env, b);
        }
        jn_value *aa = evaluate(cx, term->lhs, ctx_a, env_a);
        jn_value *bb = evaluate(cx, term->lhs, ctx_b, env_b);
        if (!aa) {
            comp = bb ? 1 : 0;
            continue;
        }
        if (!bb) {
            comp = -1;
            continue;
        }
        bool a_ok = aa->type == JN_STRING || aa->type == JN_NUMBER;
        bool b_ok = bb->type == JN_STRING || bb->type == JN_NUMBER;
        if (!a_ok || !b_ok)
            fail(cx, "T2008", sc->expr->position, NULL, !a_ok ? aa : bb);
        if (aa->type != bb->type)
            jn_raise(cx, "T2007", sc->expr->position, NULL, aa, bb, 0, NULL);
        int c;
        if (aa->type == JN_NUMBER) {
            c = aa->u.number == bb->u.number ? 0 : aa->u.number < bb->u.number ? -1 : 1;
            if (isnan(aa->u.number) || isnan(bb->u.number))
                c = 1;
        } else {
            size_t la = aa->u.string.len, lb = bb->u.string.len;
            int m = memcmp(aa->u.string.s, bb->u.string.s, la < lb ? la : lb);
            c = m ? (m < 0 ? -1 : 1) : la == lb ? 0 : la < lb ? -1 : 1;
        }
        if (c == 0)
            continue;
        comp = c;
        if (term->flags & ASLRT_JN_DESCENDING)
            comp = -comp;
    }
    return comp == 1;
}

/* fn.sort's merge sort (stable: equal items keep their order). */
static void merge_sort(sort_ctx *sc, jn_value **v, jn_value **tmp, size_t n)
{
    if (n <= 1)
        return;
    size_t mid = n / 2;
    merge_sort(sc, v, tmp, mid);
    merge_sort(sc, v + mid, tmp, n - mid);
    size_t i = 0, j = mid, k = 0;
    while (i < mid && j < n) {
        if (sort_after(sc, v[i], v[j]))
            tmp[k++] = v[j++];
        else
            tmp[k++] = v[i++];
    }
    while (i < mid)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

static jn_value *evaluate_sort(jn_ctx *cx, node_t *expr, jn_value *input, jn_frame *env)
{
    if (!input)
        return NULL;
    if (!is_array(input) || input->u.array.n <= 1)
        return input;
    sort_ctx sc = {cx, expr, env, (input->flags & JN_TUPLE_STREAM) != 0};
    jn_value *r = jn_array_copy(cx, input);
    jn_value **tmp = jn_alloc(cx, r->u.array.n * sizeof *tmp);
    merge_sort(&sc, r->u.array.items, tmp, r->u.array.n);
    return r;
}

/* ==== paths ============================================================= */

static jn_value *evaluate_step(jn_ctx *cx, node_t *step, jn_value *const *items, size_t n,
                               jn_value *input_value, jn_frame *env, bool last)
{
    if (step->type == ASLRT_JN_SORT) {
        jn_value *r = evaluate_sort(cx, step, input_value, env);
        if (step->nstages)
            r = evaluate_stages(cx, step, r, env);
        return r;
    }
    jn_value **res = n ? jn_alloc(cx, n * sizeof *res) : NULL;
    size_t nres = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        jn_value *r = evaluate(cx, step, items[i], env);
        for (int s = 0; s < step->nstages; s++)
            r = evaluate_filter(cx, step->stages[s]->lhs, r, env);
        if (r) {
            res[nres++] = r;
            total += (is_array(r) && !(r->flags & JN_CONS)) ? r->u.array.n : 1;
        }
    }
    if (last && nres == 1 && is_array(res[0]) && !is_seq(res[0]))
        return res[0];
    jn_value *out = jn_array(cx, total ? total : 1);
    out->flags = JN_SEQUENCE;
    jn_value **o = out->u.array.items;
    for (size_t i = 0; i < nres; i++) {
        jn_value *r = res[i];
        if (!is_array(r) || (r->flags & JN_CONS)) {
            *o++ = r;
        } else if (r->u.array.n) {
            memcpy(o, r->u.array.items, r->u.array.n * sizeof *o);
            o += r->u.array.n;
        }
    }
    out->u.array.n = total;
    return out;
}

static jn_value *new_tuple_stream(jn_ctx *cx)
{
    jn_value *r = jn_sequence(cx);
    r->flags |= JN_TUPLE_STREAM;
    return r;
}

static jn_value *evaluate_tuple_step(jn_ctx *cx, node_t *step, jn_value *const *items, size_t n,
                                     jn_value *input_value, jn_value *tuples, jn_frame *env)
{
    jn_value *result;
    if (step->type == ASLRT_JN_SORT) {
        if (tuples) {
            result = evaluate_sort(cx, step, tuples, env);
        } else {
            jn_value *sorted = evaluate_sort(cx, step, input_value, env);
            result = new_tuple_stream(cx);
            size_t ns = is_array(sorted) ? sorted->u.array.n : sorted ? 1 : 0;
            for (size_t s = 0; s < ns; s++) {
                jn_value *t = jn_object(cx);
                tuple_set(cx, t, "@", is_array(sorted) ? sorted->u.array.items[s] : sorted);
                if (step->index)
                    tuple_set(cx, t, step->index, jn_number(cx, (double)s));
                jn_array_push(cx, result, t);
            }
        }
        if (step->nstages)
            result = evaluate_stages(cx, step, result, env);
        return result;
    }
    result = new_tuple_stream(cx);
    if (!tuples) {
        tuples = jn_array(cx, n ? n : 1);
        for (size_t i = 0; i < n; i++) {
            jn_value *t = jn_object(cx);
            tuple_set(cx, t, "@", items[i]);
            tuples->u.array.items[i] = t;
        }
        tuples->u.array.n = n;
    }
    for (size_t e = 0; e < tuples->u.array.n; e++) {
        jn_value *tb = tuples->u.array.items[e];
        jn_frame *step_env = frame_from_tuple(cx, env, tb);
        jn_value *at = tuple_get(tb, "@");
        jn_value *res = evaluate(cx, step, at, step_env);
        if (!res)
            continue;
        jn_value *const *rv = is_array(res) ? res->u.array.items : &res;
        size_t rn = is_array(res) ? res->u.array.n : 1;
        bool res_tuples = is_array(res) && (res->flags & JN_TUPLE_STREAM);
        for (size_t b = 0; b < rn; b++) {
            jn_value *t = tuple_copy(cx, tb);
            if (res_tuples) {
                const jn_value *rt = rv[b];
                if (rt && rt->type == JN_OBJECT)
                    for (size_t k = 0; k < rt->u.object.n; k++)
                        jn_object_set_ref(cx, t, rt->u.object.members[k].key,
                                          rt->u.object.members[k].key_len,
                                          rt->u.object.members[k].value);
            } else {
                if (step->focus) {
                    tuple_set(cx, t, step->focus, rv[b]);
                    tuple_set(cx, t, "@", at);
                } else {
                    tuple_set(cx, t, "@", rv[b]);
                }
                if (step->index)
                    tuple_set(cx, t, step->index, jn_number(cx, (double)b));
                if (step->ancestor)
                    tuple_set(cx, t, step->ancestor, at);
            }
            jn_array_push(cx, result, t);
        }
    }
    if (step->nstages)
        result = evaluate_stages(cx, step, result, env);
    return result;
}

static jn_value *evaluate_group(jn_ctx *cx, node_t *expr, jn_value *input, jn_frame *env);

static jn_value *evaluate_path(jn_ctx *cx, node_t *expr, jn_value *input, jn_frame *env)
{
    jn_value *const *items;
    size_t n;
    jn_value *input_value;     /* the input sequence as a value */
    if (is_array(input) && expr->items[0]->type != ASLRT_JN_VARIABLE) {
        items = input->u.array.items;
        n = input->u.array.n;
        input_value = input;
    } else {
        items = input ? &input : no_input;
        n = 1;
        input_value = seq1(cx, input);
    }
    jn_value *result = NULL;
    bool tuple_mode = false;
    jn_value *tuples = NULL;
    for (int i = 0; i < expr->nitems; i++) {
        node_t *step = expr->items[i];
        if (step->flags & ASLRT_JN_TUPLE)
            tuple_mode = true;
        if (i == 0 && (step->flags & ASLRT_JN_CONSARRAY)) {
            result = evaluate(cx, step, input_value, env);
        } else if (tuple_mode) {
            tuples = evaluate_tuple_step(cx, step, items, n, input_value, tuples, env);
        } else {
            result = evaluate_step(cx, step, items, n, input_value, env, i == expr->nitems - 1);
        }
        if (!tuple_mode && (!result || (is_array(result) && result->u.array.n == 0)))
            break;
        if (!step->focus) {
            if (is_array(result)) {
                items = result->u.array.items;
                n = result->u.array.n;
            } else {
                items = result ? &result : no_input;
                n = result ? 1 : 0;
            }
            input_value = result;
        }
    }
    if (tuple_mode) {
        if (expr->flags & ASLRT_JN_TUPLE) {
            result = tuples;
        } else {
            result = jn_sequence(cx);
            if (tuples)
                for (size_t t = 0; t < tuples->u.array.n; t++) {
                    jn_value *v = tuple_get(tuples->u.array.items[t], "@");
                    if (v)
                        jn_array_push(cx, result, v);
                }
        }
    }
    if (expr->flags & ASLRT_JN_KEEP_SINGLETON) {
        if (is_array(result) && (result->flags & JN_CONS) && !is_seq(result))
            result = seq1(cx, result);
        if (is_seq(result))
            result->flags |= JN_KEEP_SINGLETON;
    }
    if (expr->group)
        result = evaluate_group(cx, expr->group, tuple_mode ? tuples : result, env);
    return result;
}

/* ==== operators ========================================================= */

static const char *op_name(int op)
{
    static const char *const names[] = {
        "", "+", "-", "*", "/", "%", "=", "!=", "<", "<=", ">", ">=", "&", "and", "or",
        "in", ".."
    };
    return op > 0 && op <= ASLRT_JN_OP_RANGE ? names[op] : "";
}

static jn_value *numeric_op(jn_ctx *cx, node_t *expr, jn_value *lhs, jn_value *rhs)
{
    const char *tok = op_name(expr->op);
    /* (an infinite operand is D1001, with the operator as its token) */
    if (lhs && lhs->type == JN_NUMBER && isinf(lhs->u.number))
        fail(cx, "D1001", expr->position, tok, lhs);
    if (rhs && rhs->type == JN_NUMBER && isinf(rhs->u.number))
        fail(cx, "D1001", expr->position, tok, rhs);
    if (lhs && !numeric(cx, lhs))
        fail(cx, "T2001", expr->position, tok, lhs);
    if (rhs && !numeric(cx, rhs))
        fail(cx, "T2002", expr->position, tok, rhs);
    if (!lhs || !rhs)
        return NULL;
    double a = lhs->u.number, b = rhs->u.number, r;
    switch (expr->op) {
    case ASLRT_JN_OP_ADD: r = a + b; break;
    case ASLRT_JN_OP_SUB: r = a - b; break;
    case ASLRT_JN_OP_MUL: r = a * b; break;
    case ASLRT_JN_OP_DIV: r = a / b; break;
    default: r = fmod(a, b); break;
    }
    return jn_number(cx, r);
}

static int compare_strings(const jn_value *a, const jn_value *b)
{
    size_t la = a->u.string.len, lb = b->u.string.len;
    int m = memcmp(a->u.string.s, b->u.string.s, la < lb ? la : lb);
    return m ? m : la == lb ? 0 : la < lb ? -1 : 1;
}

static jn_value *comparison(jn_ctx *cx, node_t *expr, jn_value *lhs, jn_value *rhs)
{
    const char *tok = op_name(expr->op);
    bool lc = !lhs || lhs->type == JN_STRING || lhs->type == JN_NUMBER;
    bool rc = !rhs || rhs->type == JN_STRING || rhs->type == JN_NUMBER;
    if (!lc || !rc) {
        bool l_ok = lhs && (lhs->type == JN_STRING || lhs->type == JN_NUMBER);
        fail(cx, "T2010", expr->position, tok, !l_ok ? lhs : rhs);
    }
    if (!lhs || !rhs)
        return NULL;
    if (lhs->type != rhs->type)
        jn_raise(cx, "T2009", expr->position, tok, lhs, rhs, 0, NULL);
    bool r;
    if (lhs->type == JN_NUMBER) {
        double a = lhs->u.number, b = rhs->u.number;
        switch (expr->op) {
        case ASLRT_JN_OP_LT: r = a < b; break;
        case ASLRT_JN_OP_LE: r = a <= b; break;
        case ASLRT_JN_OP_GT: r = a > b; break;
        default: r = a >= b; break;
        }
    } else {
        int c = compare_strings(lhs, rhs);
        switch (expr->op) {
        case ASLRT_JN_OP_LT: r = c < 0; break;
        case ASLRT_JN_OP_LE: r = c <= 0; break;
        case ASLRT_JN_OP_GT: r = c > 0; break;
        default: r = c >= 0; break;
        }
    }
    return jn_bool(r);
}

/* JavaScript's === */
static bool strict_equal(const jn_value *a, const jn_value *b)
{
    if (a == b)
        return true;
    if (!a || !b || a->type != b->type)
        return false;
    switch (a->type) {
    case JN_NULL: return true;
    case JN_BOOLEAN: return a->u.boolean == b->u.boolean;
    case JN_NUMBER: return a->u.number == b->u.number;
    case JN_STRING: return compare_strings(a, b) == 0;
    default: return false;
    }
}

static jn_value *range(jn_ctx *cx, node_t *expr, jn_value *lhs, jn_value *rhs)
{
    const char *tok = op_name(expr->op);
    if (lhs && (lhs->type != JN_NUMBER || !isfinite(lhs->u.number) ||
                floor(lhs->u.number) != lhs->u.number))
        fail(cx, "T2003", expr->position, tok, lhs);
    if (rhs && (rhs->type != JN_NUMBER || !isfinite(rhs->u.number) ||
                floor(rhs->u.number) != rhs->u.number))
        fail(cx, "T2004", expr->position, tok, rhs);
    if (!lhs || !rhs)
        return NULL;
    double a = lhs->u.number, b = rhs->u.number;
    if (a > b)
        return NULL;
    double size = b - a + 1;
    if (size > 1e7) {
        jn_value *sz = jn_number(cx, size);
        fail(cx, "D2014", expr->position, tok, sz);
    }
    size_t n = (size_t)size;
    jn_value *r = jn_array(cx, n);
    r->flags = JN_SEQUENCE;
    /* one block for all the numbers */
    size_t vsize = (offsetof(jn_value, u) + sizeof(double) + 15) & ~(size_t)15;
    char *block = jn_alloc(cx, vsize * n);
    for (size_t i = 0; i < n; i++) {
        jn_value *v = (jn_value *)(void *)(block + i * vsize);
        v->type = JN_NUMBER;
        v->u.number = a + (double)i;
        r->u.array.items[i] = v;
    }
    r->u.array.n = n;
    return r;
}

static jn_value *evaluate_binary(jn_ctx *cx, node_t *expr, jn_value *input, jn_frame *env)
{
    jn_value *lhs = evaluate(cx, expr->lhs, input, env);
    if (expr->op == ASLRT_JN_OP_AND || expr->op == ASLRT_JN_OP_OR) {
        jn_catch c = {cx->catches, JN_CATCH_OVERRIDE, expr->position, op_name(expr->op)};
        cx->catches = &c;
        bool l = jn_boolean_of(lhs);
        if (lhs && lhs->type == JN_NUMBER)
            numeric(cx, lhs);
        bool r;
        if (expr->op == ASLRT_JN_OP_AND) {
            r = l;
            if (l) {
                jn_value *rv = evaluate(cx, expr->rhs, input, env);
                if (rv && rv->type == JN_NUMBER)
                    numeric(cx, rv);
                r = jn_boolean_of(rv);
            }
        } else {
            r = l;
            if (!l) {
                jn_value *rv = evaluate(cx, expr->rhs, input, env);
                if (rv && rv->type == JN_NUMBER)
                    numeric(cx, rv);
                r = jn_boolean_of(rv);
            }
        }
        cx->catches = c.up;
        return jn_bool(r);
    }
    jn_value *rhs = evaluate(cx, expr->rhs, input, env);
    switch (expr->op) {
    case ASLRT_JN_OP_ADD:
    case ASLRT_JN_OP_SUB:
    case ASLRT_JN_OP_MUL:
    case ASLRT_JN_OP_DIV:
    case ASLRT_JN_OP_MOD:
        return numeric_op(cx, expr, lhs, rhs);
    case ASLRT_JN_OP_EQ:
        return jn_bool(lhs && rhs && jn_deep_equal(lhs, rhs));
    case ASLRT_JN_OP_NE:
        return jn_bool(lhs && rhs && !jn_deep_equal(lhs, rhs));
    case ASLRT_JN_OP_LT:
    case ASLRT_JN_OP_LE:
    case ASLRT_JN_OP_GT:
    case ASLRT_JN_OP_GE:
        return comparison(cx, expr, lhs, rhs);
    case ASLRT_JN_OP_CONCAT: {
        jn_catch c = {cx->catches, JN_CATCH_OVERRIDE, expr->position, "&"};
        cx->catches = &c;
        jn_value *ls = lhs ? jn_stringify(cx, lhs, false) : NULL;
        jn_value *rs = rhs ? jn_stringify(cx, rhs, false) : NULL;
        cx->catches = c.up;
        size_t ll = ls ? ls->u.string.len : 0, rl = rs ? rs->u.string.len : 0;
        if (!rl && ls)
            return ls;
        if (!ll && rs)
            return rs;
        char *buf = jn_alloc(cx, ll + rl + 1);
        if (ll)
            memcpy(buf, ls->u.string.s, ll);
        if (rl)
            memcpy(buf + ll, rs->u.string.s, rl);
        return jn_string_ref(cx, buf, ll + rl);
    }
    case ASLRT_JN_OP_RANGE:
        return range(cx, expr, lhs, rhs);
    case ASLRT_JN_OP_IN: {
        if (!lhs || !rhs)
            return JN_FALSE;
        if (!is_array(rhs))
            return jn_bool(strict_equal(lhs, rhs));
        for (size_t i = 0; i < rhs->u.array.n; i++)
            if (strict_equal(rhs->u.array.items[i], lhs))
                return JN_TRUE;
        return JN_FALSE;
    }
    default:
        return NULL;
    }
}

/* ==== grouping ========================================================== */

typedef struct group_entry {
    const char *key;
    size_t len;
    int expr_index;
    jn_value *first;        /* the only item so far */
    jn_value *list;         /* once a second item came: the appended array */
    bool has_first;
} group_entry;

/* reduceTupleStream */
static jn_value *reduce_tuples(jn_ctx *cx, jn_value *data)
{
    if (!is_array(data))
        return tuple_copy(cx, data);
    jn_value *r = tuple_copy(cx, data->u.array.n ? data->u.array.items[0] : NULL);
    for (size_t i = 1; i < data->u.array.n; i++) {
        const jn_value *t = data->u.array.items[i];
        if (!t || t->type != JN_OBJECT)
            continue;
        for (size_t k = 0; k < t->u.object.n; k++) {
            const jn_member *m = &t->u.object.members[k];
            jn_value *cur = jn_object_get(r, m->key, m->key_len);
            jn_object_set_ref(cx, r, m->key, m->key_len, append(cx, cur, m->value));
        }
    }
    return r;
}

static jn_value *evaluate_group(jn_ctx *cx, node_t *expr, jn_value *input, jn_frame *env)
{
    jn_value *result = jn_object(cx);
    bool reduce = is_array(input) && (input->flags & JN_TUPLE_STREAM);
    jn_value *const *items;
    size_t n;
    if (is_array(input) && input->u.array.n > 0) {
        items = input->u.array.items;
        n = input->u.array.n;
    } else if (is_array(input) || !input) {
        items = no_input;
        n = 1;
    } else {
        items = &input;
        n = 1;
    }
    int npairs = expr->nitems / 2;
    group_entry *groups = NULL;
    size_t ng = 0, capg = 0;
    jn_value *index = jn_object(cx);   /* key -> entry number + 1 */
    for (size_t i = 0; i < n; i++) {
        jn_value *item = items[i];
        jn_frame *fenv = reduce ? frame_from_tuple(cx, env, item) : env;
        jn_value *ctx = reduce ? tuple_get(item, "@") : item;
        for (int p = 0; p < npairs; p++) {
            jn_value *key = evaluate(cx, expr->items[2 * p], ctx, fenv);
            if (key && key->type != JN_STRING)
                fail(cx, "T1003", expr->position, NULL, key);
            if (!key)
                continue;
            jn_value *at = jn_object_get(index, key->u.string.s, key->u.string.len);
            if (at) {
                group_entry *g = &groups[(size_t)at->u.number];
                if (g->expr_index != p)
                    fail(cx, "D1009", expr->position, NULL, key);
                if (!g->list) {
                    jn_value *f = g->first;
                    g->list = jn_array(cx, 4);
                    if (is_array(f))
                        for (size_t k = 0; k < f->u.array.n; k++)
                            jn_array_push(cx, g->list, f->u.array.items[k]);
                    else if (f)
                        jn_array_push(cx, g->list, f);
                }
                if (is_array(item))
                    for (size_t k = 0; k < item->u.array.n; k++)
                        jn_array_push(cx, g->list, item->u.array.items[k]);
                else if (item)
                    jn_array_push(cx, g->list, item);
            } else {
                if (ng == capg) {
                    capg = capg ? capg * 2 : 8;
                    group_entry *ngs = jn_alloc(cx, capg * sizeof *ngs);
                    if (ng)
                        memcpy(ngs, groups, ng * sizeof *ngs);
                    groups = ngs;
                }
                groups[ng] = (group_entry){key->u.string.s, key->u.string.len, p, item, NULL,
                                           true};
                jn_object_set_ref(cx, index, key->u.string.s, key->u.string.len,
                                  jn_number(cx, (double)ng));
                ng++;
            }
        }
    }
    for (size_t g = 0; g < ng; g++) {
        group_entry *e = &groups[g];
        jn_value *data = e->list ? e->list : e->first;
        jn_value *context = data;
        jn_frame *fenv = env;
        if (reduce) {
            jn_value *t = reduce_tuples(cx, data);
            context = tuple_get(t, "@");
            jn_object_delete(cx, t, "@", 1);
            fenv = frame_from_tuple(cx, env, t);
        }
        jn_value *v = evaluate(cx, expr->items[2 * e->expr_index + 1], context, fenv);
        if (v)
            jn_object_set_ref(cx, result, e->key, e->len, v);
    }
    return result;
}

/* ==== signatures ======================================================== */

static unsigned char symbol_of(const jn_value *v)
{
    if (!v)
        return JN_SYM_M;
    switch (v->type) {
    case JN_STRING: return JN_SYM_S;
    case JN_NUMBER: return JN_SYM_N;
    case JN_BOOLEAN: return JN_SYM_B;
    case JN_NULL: return JN_SYM_L;
    case JN_ARRAY: return JN_SYM_A;
    case JN_OBJECT: return JN_SYM_O;
    default: return JN_SYM_F;
    }
}

static const char *array_type_name(const char *subtype)
{
    if (!subtype)
        return NULL;
    switch (subtype[0]) {
    case 'a': return "arrays";
    case 'b': return "booleans";
    case 'f': return "functions";
    case 'n': return "numbers";
    case 'o': return "objects";
    case 's': return "strings";
    default: return NULL;
    }
}

/* signature.validate: the arguments checked and coerced (new array). */
static jn_value **validate(jn_ctx *cx, const jn_sig *sig, jn_value **args, int nargs,
                           jn_value *context, int *nout)
{
    unsigned char syms[64];
    unsigned char *sy = nargs <= 64 ? syms : jn_alloc(cx, (size_t)nargs);
    for (int i = 0; i < nargs; i++)
        sy[i] = symbol_of(args[i]);
    int (*caps)[2] = jn_alloc(cx, (size_t)(sig->n ? sig->n : 1) * sizeof *caps);
    if (!jn_sig_match(sig, sig->n, sy, nargs, true, caps, NULL)) {
        /* throwValidationError: the first parameter a prefix fails at */
        int good = 0;
        for (int k = 1; k <= sig->n; k++) {
            int matched;
            if (!jn_sig_match(sig, k, sy, nargs, false, NULL, &matched)) {
                jn_raise(cx, "T0410", -1, NULL, good < nargs ? args[good] : NULL, NULL,
                         good + 1, NULL);
            }
            good = matched;
        }
        jn_raise(cx, "T0410", -1, NULL, good < nargs ? args[good] : NULL, NULL, good + 1,
                 NULL);
    }
    int cap = nargs + sig->n + 1;
    jn_value **out = jn_alloc(cx, (size_t)cap * sizeof *out);
    int nv = 0;
    int ai = 0;
    for (int p = 0; p < sig->n; p++) {
        const jn_sig_param *pr = &sig->p[p];
        int mstart = caps[p][0], mlen = caps[p][1];
        if (mlen == 0) {
            if (pr->context) {
                if (symbol_of(context) & pr->ctx_cls)
                    out[nv++] = context;
                else
                    jn_raise(cx, "T0411", -1, NULL, context, NULL, ai + 1, NULL);
            } else {
                out[nv++] = ai < nargs ? args[ai] : NULL;
                ai++;
            }
            continue;
        }
        for (int k = 0; k < mlen; k++) {
            unsigned char single = sy[mstart + k];
            jn_value *arg = ai < nargs ? args[ai] : NULL;
            if (pr->type == 'a') {
                if (single == JN_SYM_M) {
                    arg = NULL;
                } else {
                    bool ok = true;
                    if (pr->subtype) {
                        if (single != JN_SYM_A) {
                            /* match !== param.subtype: the matched symbols */
                            char ms[64];
                            int ml = 0;
                            for (int q = 0; q < mlen && ml < 63; q++) {
                                static const char letters[] = "asnblfom";
                                for (int b = 0; b < 8; b++)
                                    if (sy[mstart + q] == (1 << b))
                                        ms[ml++] = letters[b];
                            }
                            ms[ml] = '\0';
                            ok = strcmp(ms, pr->subtype) == 0;
                        } else if (arg->u.array.n > 0) {
                            unsigned char it = symbol_of(arg->u.array.items[0]);
                            static const char letters[] = "asnblfom";
                            char c = 0;
                            for (int b = 0; b < 8; b++)
                                if (it == (1 << b))
                                    c = letters[b];
                            if (c != pr->subtype[0]) {
                                ok = false;
                            } else {
                                for (size_t q = 0; q < arg->u.array.n; q++)
                                    if (symbol_of(arg->u.array.items[q]) != it) {
                                        ok = false;
                                        break;
                                    }
                            }
                        }
                    }
                    if (!ok)
                        jn_raise(cx, "T0412", -1, NULL, arg, NULL, ai + 1,
                                 array_type_name(pr->subtype));
                    if (single != JN_SYM_A) {
                        jn_value *a = jn_array(cx, 1);
                        jn_array_push(cx, a, arg);
                        arg = a;
                    }
                }
            }
            if (nv < cap)
                out[nv++] = arg;
            ai++;
        }
    }
    *nout = nv;
    return out;
}

/* ==== functions ========================================================= */

static jn_value *fn_value(jn_ctx *cx, jn_function *f)
{
    jn_value *v = jn_alloc(cx, sizeof *v);
    v->type = JN_FUNCTION;
    v->u.function = f;
    return v;
}

static jn_value *evaluate_lambda(jn_ctx *cx, node_t *expr, jn_value *input, jn_frame *env)
{
    jn_function *f = jn_alloc(cx, sizeof *f);
    f->kind = JN_FN_LAMBDA;
    f->arity = expr->nitems;
    f->node = expr;
    f->env = env;
    f->input = input;
    f->signature = expr->str;
    f->sig = sig_of(cx, expr->str);
    return fn_value(cx, f);
}

static bool is_thunk(const jn_value *v)
{
    return v && v->type == JN_FUNCTION && v->u.function->kind == JN_FN_LAMBDA &&
           (v->u.function->node->flags & ASLRT_JN_THUNK);
}

static jn_value *apply_procedure(jn_ctx *cx, jn_function *f, jn_value **args, int nargs)
{
    jn_frame *env = jn_frame_create(cx, f->env);
    node_t *lam = f->node;
    for (int i = 0; i < lam->nitems; i++) {
        node_t *param = lam->items[i];
        jn_frame_bind(cx, env, param->str, param->len, param->hash, i < nargs ? args[i] : NULL);
    }
    return evaluate(cx, lam->lhs, f->input, env);
}

static jn_value *call_native(jn_ctx *cx, jn_function *f, jn_value **args, int nargs)
{
    return f->native(cx, args, nargs, f->data);
}

static jn_value *apply_inner(jn_ctx *cx, jn_value *proc, jn_value **args, int nargs,
                             jn_value *input, jn_frame *env);

/* A partial application called: the placeholders filled in order. */
static jn_value *apply_partial(jn_ctx *cx, jn_function *f, jn_value **args, int nargs,
                               jn_frame *env)
{
    int n = f->nargs;
    jn_value **full = jn_alloc(cx, (size_t)(n ? n : 1) * sizeof *full);
    int next = 0;
    for (int i = 0; i < n; i++) {
        if (!f->args[i])
            full[i] = next < nargs ? args[next++] : NULL;
        else if (f->args[i] == &undefined_arg)
            full[i] = NULL;
        else
            full[i] = f->args[i];
    }
    jn_function *t = f->target->u.function;
    if (t->kind == JN_FN_LAMBDA)
        return apply_procedure(cx, t, full, n);
    return apply_inner(cx, f->target, full, n, NULL, env);
}

static jn_value *apply_inner(jn_ctx *cx, jn_value *proc, jn_value **args, int nargs,
                             jn_value *input, jn_frame *env)
{
    if (!is_fn(proc))
        fail(cx, "T1006", -1, NULL, NULL);
    jn_function *f = proc->u.function;
    const jn_sig *sig = f->sig;
    if (!sig && f->signature && f->kind == JN_FN_NATIVE)
        sig = sig_of(cx, f->signature);     /* made by jn_native outside eval.c */
    if (sig)
        args = validate(cx, sig, args, nargs, input, &nargs);
    switch (f->kind) {
    case JN_FN_LAMBDA:
        return apply_procedure(cx, f, args, nargs);
    case JN_FN_NATIVE:
        return call_native(cx, f, args, nargs);
    case JN_FN_PARTIAL:
        return apply_partial(cx, f, args, nargs, env);
    case JN_FN_REGEX:
        return jn_regex_call(cx, proc, nargs > 0 ? args[0] : NULL);
    default:
        fail(cx, "T1006", -1, NULL, NULL);
    }
}

static jn_value *apply(jn_ctx *cx, jn_value *proc, jn_value **args, int nargs,
                       jn_value *input, jn_frame *env)
{
    jn_value *result = apply_inner(cx, proc, args, nargs, input, env);
    while (is_thunk(result)) {
        jn_function *th = result->u.function;
        node_t *call = th->node->lhs;
        jn_frame *tenv = th->env;
        jn_value *next = evaluate(cx, call->lhs, th->input, tenv);
        jn_value **eargs = jn_alloc(cx, (size_t)(call->nitems ? call->nitems : 1) * sizeof *eargs);
        for (int i = 0; i < call->nitems; i++)
            eargs[i] = evaluate(cx, call->items[i], th->input, tenv);
        jn_catch c = {cx->catches, JN_CATCH_CALL, call->lhs->position,
                      call->lhs->type == ASLRT_JN_VARIABLE ? call->lhs->str : NULL};
        cx->catches = &c;
        result = apply_inner(cx, next, eargs, call->nitems, input, env);
        cx->catches = c.up;
    }
    return result;
}

/* The name jsonata-js reports for a call's procedure. */
static const char *proc_name(node_t *procedure)
{
    if (procedure->type == ASLRT_JN_PATH)
        procedure = procedure->nitems > 0 ? procedure->items[0] : procedure;
    switch (procedure->type) {
    case ASLRT_JN_VARIABLE:
    case ASLRT_JN_NAME:
        return procedure->str;
    case ASLRT_JN_FUNCTION:
    case ASLRT_JN_PARTIAL:
        return "(";      /* the node's value in jsonata-js */
    default:
        return NULL;
    }
}

static bool forgot_dollar(jn_ctx *cx, node_t *procedure, jn_frame *env)
{
    if (procedure->type != ASLRT_JN_PATH || procedure->nitems == 0 || !procedure->items[0]->str)
        return false;
    node_t *s = procedure->items[0];
    bool found;
    jn_value *v = lookup_var(cx, env, s->str, s->len, jn_hash(s->str, s->len), &found);
    return v != NULL && !(v->type == JN_BOOLEAN && !v->u.boolean) &&
           !(v->type == JN_NUMBER && v->u.number == 0) &&
           !(v->type == JN_STRING && v->u.string.len == 0) && v->type != JN_NULL;
}

static jn_value *evaluate_function(jn_ctx *cx, node_t *expr, jn_value *input, jn_frame *env,
                                   bool has_context, jn_value *context)
{
    jn_value *proc = evaluate(cx, expr->lhs, input, env);
    if (!proc && forgot_dollar(cx, expr->lhs, env))
        fail(cx, "T1005", expr->position, expr->lhs->items[0]->str, NULL);
    int n = expr->nitems + (has_context ? 1 : 0);
    jn_value **args = jn_alloc(cx, (size_t)(n ? n : 1) * sizeof *args);
    int k = 0;
    if (has_context)
        args[k++] = context;
    for (int i = 0; i < expr->nitems; i++)
        args[k++] = evaluate(cx, expr->items[i], input, env);
    jn_catch c = {cx->catches, JN_CATCH_CALL, expr->position, proc_name(expr->lhs)};
    cx->catches = &c;
    int saved_pos = cx->call_position;
    const char *saved_tok = cx->call_token;
    cx->call_position = expr->position;
    cx->call_token = c.token;
    jn_value *r = apply(cx, proc, args, n, input, env);
    cx->call_position = saved_pos;
    cx->call_token = saved_tok;
    cx->catches = c.up;
    return r;
}

static jn_value *evaluate_partial(jn_ctx *cx, node_t *expr, jn_value *input, jn_frame *env)
{
    int n = expr->nitems;
    jn_value **args = jn_alloc(cx, (size_t)(n ? n : 1) * sizeof *args);
    for (int i = 0; i < n; i++) {
        if (expr->items[i]->type == ASLRT_JN_PLACEHOLDER) {
            args[i] = NULL;
        } else {
            jn_value *v = evaluate(cx, expr->items[i], input, env);
            args[i] = v ? v : &undefined_arg;
        }
    }
    jn_value *proc = evaluate(cx, expr->lhs, input, env);
    if (!proc && forgot_dollar(cx, expr->lhs, env))
        fail(cx, "T1007", expr->position, expr->lhs->items[0]->str, NULL);
    if (!is_fn(proc))
        fail(cx, "T1008", expr->position, proc_name(expr->lhs), NULL);
    jn_function *target = proc->u.function;
    int arity = target->kind == JN_FN_LAMBDA ? target->node->nitems
                : target->kind == JN_FN_PARTIAL ? target->arity
                : target->kind == JN_FN_REGEX ? 2 : target->arity;
    jn_function *f = jn_alloc(cx, sizeof *f);
    f->kind = JN_FN_PARTIAL;
    f->target = proc;
    f->nargs = arity;
    f->args = jn_alloc(cx, (size_t)(arity ? arity : 1) * sizeof *f->args);
    int unbound = 0;
    for (int i = 0; i < arity; i++) {
        if (i < n) {
            f->args[i] = args[i];
            if (!args[i])
                unbound++;
        } else {
            f->args[i] = &undefined_arg;
        }
    }
    f->arity = unbound;
    return fn_value(cx, f);
}

/* function composition f ~> g: λ($x){ $g($f($x)) } */
typedef struct chain_data {
    jn_value *f, *g;
} chain_data;

static jn_value *chain_call(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    chain_data *d = data;
    jn_value *x = nargs > 0 ? args[0] : NULL;
    jn_value *fx = apply(cx, d->f, &x, 1, NULL, cx->top);
    return apply(cx, d->g, &fx, 1, NULL, cx->top);
}

static jn_value *evaluate_apply(jn_ctx *cx, node_t *expr, jn_value *input, jn_frame *env)
{
    jn_value *lhs = evaluate(cx, expr->lhs, input, env);
    if (expr->rhs->type == ASLRT_JN_FUNCTION)
        return evaluate_function(cx, expr->rhs, input, env, true, lhs);
    jn_value *func = evaluate(cx, expr->rhs, input, env);
    if (!is_fn(func))
        fail(cx, "T2006", expr->position, NULL, func);
    if (is_fn(lhs)) {
        chain_data *d = jn_alloc(cx, sizeof *d);
        d->f = lhs;
        d->g = func;
        jn_value *v = native(cx, NULL, NULL, chain_call, d);
        v->u.function->arity = 1;
        return v;
    }
    jn_value *arg = lhs;
    return apply(cx, func, &arg, 1, JN_NULLV, env);
}

/* ==== transform ========================================================= */

typedef struct transform_data {
    node_t *expr;
    jn_frame *env;
} transform_data;

static jn_value *transform_call(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    transform_data *d = data;
    node_t *expr = d->expr;
    jn_value *obj = nargs > 0 ? args[0] : NULL;
    if (!obj)
        return NULL;
    jn_value *clone = lookup_name(cx, d->env, "clone");
    if (!is_fn(clone))
        fail(cx, "T2013", expr->position, NULL, NULL);
    jn_value *result = apply(cx, clone, &obj, 1, NULL, d->env);
    jn_value *matches = evaluate(cx, expr->lhs, result, d->env);
    if (!matches)
        return result;
    jn_value *const *mv = is_array(matches) ? matches->u.array.items : &matches;
    size_t mn = is_array(matches) ? matches->u.array.n : 1;
    for (size_t i = 0; i < mn; i++) {
        jn_value *match = mv[i];
        jn_value *update = evaluate(cx, expr->rhs, match, d->env);
        if (update) {
            if (update->type != JN_OBJECT)
                fail(cx, "T2011", expr->rhs->position, NULL, update);
            if (match && match->type == JN_OBJECT)
                for (size_t k = 0; k < update->u.object.n; k++) {
                    const jn_member *m = &update->u.object.members[k];
                    jn_object_set(cx, match, m->key, m->key_len, m->value);
                }
        }
        if (expr->third) {
            jn_value *del = evaluate(cx, expr->third, match, d->env);
            if (del) {
                jn_value *val = del;
                if (!is_array(del))
                    del = seq1(cx, del);
                if (!jn_is_array_of_strings(del))
                    fail(cx, "T2012", expr->third->position, NULL, val);
                if (match && match->type == JN_OBJECT)
                    for (size_t k = 0; k < del->u.array.n; k++)
                        jn_object_delete(cx, match, del->u.array.items[k]->u.string.s,
                                         del->u.array.items[k]->u.string.len);
            }
        }
    }
    return result;
}

static jn_value *evaluate_transform(jn_ctx *cx, node_t *expr, jn_frame *env)
{
    transform_data *d = jn_alloc(cx, sizeof *d);
    d->expr = expr;
    d->env = env;
    jn_value *v = native(cx, NULL, "<(oa):o>", transform_call, d);
    v->u.function->arity = 1;
    return v;
}

/* ==== evaluate ========================================================== */

static jn_value *evaluate_array(jn_ctx *cx, node_t *expr, jn_value *input, jn_frame *env)
{
    jn_value *result = jn_array(cx, expr->nitems ? (size_t)expr->nitems : 1);
    for (int i = 0; i < expr->nitems; i++) {
        node_t *item = expr->items[i];
        jn_value *v = evaluate(cx, item, input, env);
        if (!v)
            continue;
        if (item->type == ASLRT_JN_ARRAY || !is_array(v)) {
            jn_array_push(cx, result, v);
        } else {
            for (size_t k = 0; k < v->u.array.n; k++)
                jn_array_push(cx, result, v->u.array.items[k]);
        }
    }
    if (expr->flags & ASLRT_JN_CONSARRAY)
        result->flags |= JN_CONS;
    return result;
}

static jn_value *evaluate_node(jn_ctx *cx, node_t *expr, jn_value *input, jn_frame *env)
{
    switch (expr->type) {
    case ASLRT_JN_PATH:
        return evaluate_path(cx, expr, input, env);
    case ASLRT_JN_BINARY:
        return evaluate_binary(cx, expr, input, env);
    case ASLRT_JN_NEGATE: {
        jn_value *v = evaluate(cx, expr->lhs, input, env);
        if (!v)
            return NULL;
        if (numeric(cx, v))
            return jn_number(cx, -v->u.number);
        fail(cx, "D1002", expr->position, "-", v);
    }
    case ASLRT_JN_ARRAY:
        return evaluate_array(cx, expr, input, env);
    case ASLRT_JN_OBJECT:
        return evaluate_group(cx, expr, input, env);
    case ASLRT_JN_NAME:
        return lookup(cx, input, expr->str, expr->len);
    case ASLRT_JN_STRING:
        return jn_string_ref(cx, expr->str, expr->len);
    case ASLRT_JN_NUMBER:
        return jn_number(cx, expr->number);
    case ASLRT_JN_VALUE:
        return expr->op == ASLRT_JN_LIT_TRUE ? JN_TRUE
               : expr->op == ASLRT_JN_LIT_FALSE ? JN_FALSE : JN_NULLV;
    case ASLRT_JN_WILDCARD:
        return wildcard(cx, input);
    case ASLRT_JN_DESCENDANT:
        return descendants(cx, input);
    case ASLRT_JN_PARENT: {
        bool found;
        size_t len = strlen(expr->ancestor);
        return jn_frame_lookup(env, expr->ancestor, len, jn_hash(expr->ancestor, len), &found);
    }
    case ASLRT_JN_CONDITION: {
        jn_value *c = evaluate(cx, expr->lhs, input, env);
        if (c && c->type == JN_NUMBER)
            numeric(cx, c);
        if (jn_boolean_of(c))
            return evaluate(cx, expr->rhs, input, env);
        if (expr->third)
            return evaluate(cx, expr->third, input, env);
        return NULL;
    }
    case ASLRT_JN_BLOCK: {
        jn_frame *frame = jn_frame_create(cx, env);
        jn_value *r = NULL;
        for (int i = 0; i < expr->nitems; i++)
            r = evaluate(cx, expr->items[i], input, frame);
        return r;
    }
    case ASLRT_JN_BIND: {
        jn_value *v = evaluate(cx, expr->rhs, input, env);
        jn_frame_bind(cx, env, expr->lhs->str, expr->lhs->len, expr->lhs->hash, v);
        return v;
    }
    case ASLRT_JN_REGEX:
        return jn_regex_new(cx, expr->str, expr->len, expr->str2 ? expr->str2 : "");
    case ASLRT_JN_FUNCTION:
        return evaluate_function(cx, expr, input, env, false, NULL);
    case ASLRT_JN_VARIABLE: {
        if (expr->len == 0)
            return is_array(input) && (input->flags & JN_OUTER_WRAPPER) && input->u.array.n
                       ? input->u.array.items[0]
                       : input;
        bool found;
        return lookup_var(cx, env, expr->str, expr->len, expr->hash, &found);
    }
    case ASLRT_JN_LAMBDA:
        return evaluate_lambda(cx, expr, input, env);
    case ASLRT_JN_PARTIAL:
        return evaluate_partial(cx, expr, input, env);
    case ASLRT_JN_APPLY:
        return evaluate_apply(cx, expr, input, env);
    case ASLRT_JN_TRANSFORM:
        return evaluate_transform(cx, expr, env);
    default:
        return NULL;
    }
}

static jn_value *evaluate(jn_ctx *cx, node_t *expr, jn_value *input, jn_frame *env)
{
    cx->depth++;
    check_limits(cx);
    jn_value *result = evaluate_node(cx, expr, input, env);
    for (int i = 0; i < expr->npredicate; i++)
        result = evaluate_filter(cx, expr->predicate[i]->lhs, result, env);
    if (expr->type != ASLRT_JN_PATH && expr->group)
        result = evaluate_group(cx, expr->group, result, env);
    cx->depth--;
    if (result && result->type == JN_ARRAY && (result->flags & JN_SEQUENCE) &&
        !(result->flags & JN_TUPLE_STREAM)) {
        if (expr->flags & ASLRT_JN_KEEP_ARRAY)
            result->flags |= JN_KEEP_SINGLETON;
        if (result->u.array.n == 0)
            return NULL;
        if (result->u.array.n == 1 && !(result->flags & JN_KEEP_SINGLETON))
            return result->u.array.items[0];
    }
    return result;
}

/* ==== entry points ====================================================== */

/* How much stack the evaluation may use below base: STACK_LIMIT, or less
 * on a thread whose stack is smaller (looked up once per thread). */
static size_t stack_budget(jn_ctx *cx, const char *base)
{
    unsigned long self = (unsigned long)pthread_self();
    if (!cx->stack_known || cx->stack_thread != self) {
        cx->stack_known = true;
        cx->stack_thread = self;
        cx->stack_low = NULL;
        pthread_attr_t attr;
        if (pthread_getattr_np(pthread_self(), &attr) == 0) {
            void *addr;
            size_t size;
            if (pthread_attr_getstack(&attr, &addr, &size) == 0)
                cx->stack_low = addr;
            pthread_attr_destroy(&attr);
        }
    }
    if (!cx->stack_low || base <= cx->stack_low)
        return STACK_LIMIT;
    size_t room = (size_t)(base - cx->stack_low);
    if (room <= STACK_RESERVE * 2)
        return room / 2;
    room -= STACK_RESERVE;
    return room < STACK_LIMIT ? room : STACK_LIMIT;
}

/* jn_apply's work (value.c calls it through cx->apply): apply() with a
 * copy of the arguments, in the top frame. */
static jn_value *apply_entry(jn_ctx *cx, jn_value *fn, jn_value *const *args, int nargs)
{
    jn_value **copy = jn_alloc(cx, (size_t)(nargs > 0 ? nargs : 1) * sizeof *copy);
    for (int i = 0; i < nargs; i++)
        copy[i] = args[i];
    return apply(cx, fn, copy, nargs, JN_NULLV, cx->top);
}

/* A new context (value.c's jn_ctx_new) whose natives call function values
 * through the evaluator's entry, so that they need not know eval.c. */
jn_ctx *jn_ctx_create(const jn_options *opt)
{
    jn_ctx *cx = jn_ctx_new(opt);
    cx->apply = apply_entry;
    return cx;
}

/* What jn_eval changes in the context and puts back when it returns. */
typedef struct saved_state {
    jmp_buf *jmp;
    jn_error *err;
    jn_catch *catches;
    const char *stack_base;
    int depth;
} saved_state;

static void restore(jn_ctx *cx, const saved_state *s)
{
    cx->jmp = s->jmp;
    cx->err = s->err;
    cx->catches = s->catches;
    cx->stack_base = s->stack_base;
    cx->depth = s->depth;
}

bool jn_eval(jn_ctx *cx, const jn_node *root, jn_value *input, jn_value **result,
             jn_error *err)
{
    jmp_buf here;
    jn_error local;
    saved_state saved = {cx->jmp, cx->err, cx->catches, cx->stack_base, cx->depth};
    cx->err = err ? err : &local;
    cx->jmp = &here;
    cx->catches = NULL;
    if (!saved.jmp) {
        cx->depth = 0;
        cx->max_depth = cx->opt.max_depth > 0 ? cx->opt.max_depth : DEFAULT_MAX_DEPTH;
        cx->stack_base = __builtin_frame_address(0);
        cx->stack_limit = stack_budget(cx, cx->stack_base);
        cx->deadline_ms = cx->opt.time_limit_ms > 0 ? aslrtp_mono_ms() + cx->opt.time_limit_ms : 0;
        cx->now_ms = cx->opt.now_ms >= 0 ? cx->opt.now_ms : aslrtp_wall_ms();
        cx->call_position = -1;
        cx->call_token = NULL;
    }
    if (setjmp(here)) {
        restore(cx, &saved);
        if (result)
            *result = NULL;
        return false;
    }
    jn_frame *frame = jn_frame_create(cx, cx->top);
    jn_frame_bind(cx, frame, "$", 1, jn_hash("$", 1), input);
    jn_value *context = input;
    if (is_array(input) && !is_seq(input)) {
        context = seq1(cx, input);
        context->flags |= JN_OUTER_WRAPPER;
    }
    jn_value *r = evaluate(cx, root, context, frame);
    restore(cx, &saved);
    if (result)
        *result = r;
    return true;
}

/*
 * payload.c - payload templates: Parameters, ResultSelector, ItemSelector.
 *
 * ASL spec, "Payload Template": in a JSON object (at any depth, arrays
 * included) a key ending in ".$" has a dynamic value — a path ($ input, $$
 * context, $var variable) or an intrinsic call — and loses the suffix.  A
 * template is compiled once into a tree whose constant parts are collapsed
 * into single shared values (reused by reference, never copied: the runtime
 * copies before it mutates anything shared), so evaluating a template costs
 * one object per dynamic level plus the dynamic leaves.
 *
 * An object template's output always has the template's keys in the
 * template's order: a path that selects nothing is an error, never an
 * omitted key.  So when the caller keeps earlier outputs of the template
 * (aslrtp_tmpl_eval_kept) and one of them is held by nobody else any more,
 * the new values are put into it in place, pair by pair through jansson's
 * iterator: no hashing, and no allocation of the object or its pairs.  Why
 * that is safe is in doc/architecture.md ("Template outputs are reused").
 */
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"

enum { T_CONST, T_OBJECT, T_ARRAY, T_PATH, T_CALL };

struct aslrtp_tmpl {
    int kind;
    json_t *value;            /* T_CONST */
    aslrtp_path *path;        /* T_PATH */
    aslrtp_intrinsic *call;   /* T_CALL */
    bool int_call;            /* T_CALL whose value is always an integer */
    const aslrtp_path *step_path; /* T_CALL, a counter's (aslrtp_intrinsic_step) */
    json_int_t step;
    char *key;                /* member name in the parent object (".$" dropped) */
    size_t keylen;            /* strlen(key) */
    char *field;              /* the key as written ("value.$"), for causes */
    struct aslrtp_tmpl *kids; /* T_OBJECT / T_ARRAY */
    size_t nkids;
    bool refill;              /* T_OBJECT: its keys are distinct, so an output has
                                 exactly nkids pairs, in the kids' order */
    size_t bound;             /* the longest an output can be as JSON text;
                                 SIZE_MAX when a path's value is in it */
};

static size_t add_sat(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* n's bound, once its kids have theirs: constants as they are, an intrinsic
 * by its function, an object or array by its parts ("{}" or "[]", and per
 * member its key, escaped at worst six bytes a byte, quoted, ':' and ','). */
static size_t node_bound(const aslrtp_tmpl *n)
{
    switch (n->kind) {
    case T_CONST: return aslrtp_json_size_bound(n->value);
    case T_PATH: return SIZE_MAX;
    case T_CALL: return aslrtp_intrinsic_bound(n->call);
    default: break;
    }
    size_t b = 2;
    for (size_t i = 0; i < n->nkids; i++) {
        size_t key = n->kind == T_OBJECT ? add_sat(6 * n->kids[i].keylen, 3) : 0;
        b = add_sat(b, add_sat(key + 1, n->kids[i].bound));
    }
    return b;
}

static bool is_dynamic_key(const char *k)
{
    size_t n = strlen(k);
    return n >= 2 && k[n - 2] == '.' && k[n - 1] == '$';
}

/* True when no key anywhere below v ends in ".$". */
static bool is_constant(json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, k, x) if (is_dynamic_key(k) || !is_constant(x)) return false;
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) if (!is_constant(x)) return false;
    }
    return true;
}

static bool compile_node(aslrtp_tmpl *n, json_t *v, char **err)
{
    if (is_constant(v)) {
        n->kind = T_CONST;
        n->value = json_incref(v);
        n->bound = node_bound(n);
        return true;
    }
    size_t count = json_is_object(v) ? json_object_size(v) : json_array_size(v);
    n->kind = json_is_object(v) ? T_OBJECT : T_ARRAY;
    n->kids = aslrtp_calloc(count + 1, sizeof *n->kids);
    if (n->kind == T_ARRAY) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (!compile_node(&n->kids[n->nkids++], x, err))
                return false;
        }
        n->bound = node_bound(n);
        return true;
    }
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        aslrtp_tmpl *c = &n->kids[n->nkids++];
        c->field = aslrtp_strdup(k);
        c->key = aslrtp_strdup(k);
        c->keylen = strlen(k);
        if (!is_dynamic_key(k)) {
            if (!compile_node(c, x, err))
                return false;
            continue;
        }
        c->key[strlen(k) - 2] = '\0';
        c->keylen = strlen(c->key);
        const char *s = json_string_value(x);
        size_t off;
        char *why = NULL;
        if (s && s[0] == '$') {
            c->kind = T_PATH;
            c->path = aslrtp_path_compile(s, 0, &why, &off);
        } else if (s && aslrtp_intrinsic_like(s)) {
            c->kind = T_CALL;
            c->call = aslrtp_intrinsic_compile(s, &why, &off);
            if (c->call) {
                c->int_call = aslrtp_intrinsic_is_int(c->call);
                c->step_path = aslrtp_intrinsic_step(c->call, &c->step);
            }
        }
        if (!c->path && !c->call) {
            *err = aslrtp_strdupf("The value for the field '%s' must be a valid JSONPath or a "
                                  "valid intrinsic function call%s%s",
                                  k, why ? ": " : "", why ? why : "");
            free(why);
            return false;
        }
        c->bound = node_bound(c);
    }
    n->bound = node_bound(n);
    /* "a" and "a.$" name one member: the output has fewer pairs than the
     * template, and is never refilled. */
    n->refill = true;
    for (size_t i = 0; i < n->nkids && n->refill; i++)
        for (size_t j = 0; j < i; j++)
            if (n->kids[i].keylen == n->kids[j].keylen &&
                memcmp(n->kids[i].key, n->kids[j].key, n->kids[i].keylen) == 0) {
                n->refill = false;
                break;
            }
    return true;
}

static void free_node(aslrtp_tmpl *n)
{
    json_decref(n->value);
    if (n->path)
        aslrtp_path_free(n->path);
    if (n->call)
        aslrtp_intrinsic_free(n->call);
    for (size_t i = 0; i < n->nkids; i++)
        free_node(&n->kids[i]);
    free(n->kids);
    free(n->key);
    free(n->field);
}

aslrtp_tmpl *aslrtp_tmpl_compile(json_t *t, char **err)
{
    aslrtp_tmpl *n = aslrtp_calloc(1, sizeof *n);
    if (!compile_node(n, t, err)) {
        aslrtp_tmpl_free(n);
        return NULL;
    }
    return n;
}

size_t aslrtp_tmpl_bound(const aslrtp_tmpl *t)
{
    return t->bound;
}

void aslrtp_tmpl_free(aslrtp_tmpl *t)
{
    if (!t)
        return;
    free_node(t);
    free(t);
}

typedef struct evalctx {
    aslrtp_resolve_fn resolve;
    void *ud;
    json_t *input;
    aslrt_error *err;
} evalctx;

static json_t *eval_node(const aslrtp_tmpl *n, evalctx *e);

/* Recorded on AWS (doc/behaviour.md §4): a path of a template that matches
 * nothing, directly or as an intrinsic's argument, is reported with the
 * path, the field and the input. */
static char *not_found(const aslrtp_path *p, const char *field, json_t *input)
{
    char *in = aslrt_json_dumps(input);
    char *cause = aslrtp_strdupf(
        "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'",
        aslrtp_path_text(p), field, in);
    free(in);
    return cause;
}

typedef struct argctx {
    evalctx *e;
    const char *field;
} argctx;

/* A path's value, borrowed unless *owned.  "$" is the template's input,
 * so paths from it are walked here; the resolver answers the others ($$,
 * variables). */
static json_t *lookup(evalctx *e, const aslrtp_path *p, char **why, int *owned)
{
    if (aslrtp_path_root(p) == ASLRTP_ROOT_INPUT)
        return aslrtp_path_lookup(p, e->input, why, owned);
    return e->resolve(e->ud, p, why, owned);
}

static json_t *resolve_arg(void *ud, const aslrtp_path *p, char **why, int *owned)
{
    argctx *a = ud;
    json_t *v = lookup(a->e, p, why, owned);
    if (!v) {
        free(*why);
        *why = not_found(p, a->field, a->e->input);
    }
    return v;
}

static json_t *eval_leaf(const aslrtp_tmpl *c, evalctx *e)
{
    if (c->kind == T_CALL) {
        argctx a = {e, c->field};
        return aslrtp_intrinsic_eval(c->call, resolve_arg, &a, e->err);
    }
    if (c->kind != T_PATH)
        return eval_node(c, e);
    char *why = NULL;
    int owned = 0;
    json_t *v = lookup(e, c->path, &why, &owned);
    if (v && !owned)
        json_incref(v); /* it goes into the payload */
    if (!v) {
        char *cause = not_found(c->path, c->field, e->input);
        aslrt_error_set(e->err, ASLRTP_ERR_RUNTIME, cause);
        free(cause);
        free(why);
    }
    return v;
}

static json_t *eval_node(const aslrtp_tmpl *n, evalctx *e)
{
    switch (n->kind) {
    case T_CONST:
        return json_incref(n->value);
    case T_ARRAY: {
        json_t *a = json_array();
        for (size_t i = 0; i < n->nkids; i++) {
            json_t *v = eval_node(&n->kids[i], e);
            if (!v) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, v);
        }
        return a;
    }
    case T_OBJECT: {
        json_t *o = json_object();
        for (size_t i = 0; i < n->nkids; i++) {
            json_t *v = eval_leaf(&n->kids[i], e);
            if (!v) {
                json_decref(o);
                return NULL;
            }
            /* the key came from parsed JSON: valid UTF-8 already */
            json_object_setn_new_nocheck(o, n->kids[i].key, n->kids[i].keylen, v);
        }
        return o;
    }
    default:
        return eval_leaf(n, e);
    }
}

json_t *aslrtp_tmpl_eval(const aslrtp_tmpl *t, aslrtp_resolve_fn resolve, void *ud,
                         json_t *input, aslrt_error *err)
{
    evalctx e = {resolve, ud, input, err};
    return eval_node(t, &e);
}

/* Nobody but the one who asks holds v.  The load acquires: a holder on
 * another thread let go with a releasing decrement, so whatever it did
 * with v happened before we change it. */
static bool sole_holder(json_t *v)
{
    return __atomic_load_n(&v->refcount, __ATOMIC_ACQUIRE) == 1;
}

static int refill(const aslrtp_tmpl *n, json_t *o, evalctx *e);

/* Puts the values of object template n into o, an earlier output of n held
 * only by the caller: 1 done, 0 an evaluation failed (err set; o keeps its
 * keys), -1 o is not of n's shape (it is left half-filled: drop it).
 * Inline in aslrtp_tmpl_eval_kept; refill for the objects inside. */
static inline __attribute__((always_inline)) int refill_object(const aslrtp_tmpl *n, json_t *o,
                                                              evalctx *e)
{
    bool direct = aslrtp_jansson_layout();
    if (aslrtp_obj_size(o, direct) != n->nkids)
        return -1;
    void *it = aslrtp_obj_iter(o, direct);
    for (size_t i = 0; i < n->nkids;
         i++, it = i < n->nkids ? aslrtp_obj_iter_next(o, it, direct) : NULL) {
        const aslrtp_tmpl *c = &n->kids[i];
        if (!it || aslrtp_iter_key_len(it, direct) != c->keylen)
            return -1;
        const char *k = aslrtp_iter_key(it, direct);
        if (c->keylen && (k[0] != c->key[0] ||
                          (c->keylen > 1 && memcmp(k + 1, c->key + 1, c->keylen - 1) != 0)))
            return -1;
        if (c->kind == T_OBJECT && c->refill) {
            /* an inner object that only o holds is o's alone too */
            json_t *old = aslrtp_iter_value(it, direct);
            if (json_is_object(old) && sole_holder(old)) {
                int r = refill(c, old, e);
                if (r >= 0) {
                    if (r == 0)
                        return 0;
                    continue;
                }
            }
        }
        if (c->int_call) {
            /* an integer that only o holds takes the new value in place */
            json_t *old = aslrtp_iter_value(it, direct);
            if (json_is_integer(old) && sole_holder(old)) {
                argctx a = {e, c->field};
                json_int_t x;
                if (!(c->step_path ? aslrtp_step_quick(c->step_path, c->step, e->input, &x)
                                   : aslrtp_intrinsic_eval_int_quick(c->call, e->input, &x)) &&
                    !aslrtp_intrinsic_eval_int(c->call, resolve_arg, &a, e->err, &x))
                    return 0;
                json_integer_set(old, x);
                continue;
            }
        }
        json_t *v = eval_leaf(c, e);
        if (!v)
            return 0;
        json_object_iter_set_new(o, it, v);
    }
    return 1;
}

static int refill(const aslrtp_tmpl *n, json_t *o, evalctx *e)
{
    return refill_object(n, o, e);
}

json_t *aslrtp_tmpl_eval_kept(const aslrtp_tmpl *t, json_t *kept[2], aslrtp_resolve_fn resolve,
                              void *ud, json_t *input, aslrt_error *err)
{
    evalctx e = {resolve, ud, input, err};
    if (t->kind != T_OBJECT || !t->refill)
        return eval_node(t, &e);
    if (!kept[0] && !kept[1]) {
        /* A template met once (most are: a state not in a loop) keeps
         * nothing alive; null, which is never refilled, says it ran. */
        kept[1] = json_null();
        return eval_node(t, &e);
    }
    for (int i = 0; i < 2; i++) {
        json_t *o = kept[i];
        if (!o || !sole_holder(o))
            continue;
        int r = json_is_object(o) ? refill_object(t, o, &e) : -1;
        if (r == 0)
            return NULL;
        if (r == 1) {
            /* the newest first: the other is the older one to give up */
            kept[i] = kept[0];
            kept[0] = o;
            /* The caller's reference, counted without an atomic operation
             * (about 8 ns each, a loop's counter state takes two): o is
             * the kept slot's alone, so no other thread can see it, as
             * refilling it in place assumes. */
            __atomic_store_n(&o->refcount, 2, __ATOMIC_RELAXED);
            return o;
        }
        json_decref(o);
        kept[i] = NULL;
        break;
    }
    json_t *v = eval_node(t, &e);
    if (!v)
        return NULL;
    if (kept[1]) {
        json_decref(kept[1]);
        kept[1] = NULL;
    }
    if (kept[0])
        kept[1] = kept[0];
    kept[0] = json_incref(v);
    return v;
}

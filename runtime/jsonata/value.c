/*
 * value.c - the values of a JSONata evaluation and the context
 * that owns them.
 *
 * Every value lives in the context's arena: a list of malloc'd chunks
 * handed out by bumping a pointer, freed all at once by jn_ctx_reset.
 * Numbers and strings are allocated short (only the part of the union they
 * use), so a jn_value is never copied by value.  Objects keep their members
 * in JavaScript's order (integer-like keys first, ascending, then the rest
 * in insertion order, as a JavaScript object enumerates them) and get an
 * open-addressing hash index once they grow past a few members.
 *
 * The text functions follow JavaScript: jn_format_number is
 * Number.prototype.toString (shortest digits that read back the same),
 * jn_stringify is jsonata-js's $string (JSON.stringify with numbers through
 * toPrecision(15)).  Errors are raised here too: the message templates are
 * jsonata-js's errorCodes table with its {{token}}/{{value}} substitution.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"
#include "private.h"

jn_value jn_null_value = {.type = JN_NULL};
jn_value jn_true_value = {.type = JN_BOOLEAN, .u.boolean = true};
jn_value jn_false_value = {.type = JN_BOOLEAN, .u.boolean = false};

/* ==== arena ============================================================= */

#define CHUNK_MIN ((size_t)16 * 1024)
#define CHUNK_MAX ((size_t)4 * 1024 * 1024)
#define ALIGN 16

static void new_chunk(jn_ctx *cx, size_t need)
{
    size_t size = cx->total < CHUNK_MIN ? CHUNK_MIN : cx->total;
    if (size > CHUNK_MAX)
        size = CHUNK_MAX;
    if (size < need)
        size = need;
    jn_chunk *c = aslrtp_malloc(sizeof(jn_chunk) + ALIGN + size);
    c->size = size;
    c->next = cx->chunks;
    cx->chunks = c;
    cx->total += size;
    uintptr_t p = (uintptr_t)(c + 1);
    p = (p + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
    cx->cur = (char *)p;
    cx->end = cx->cur + size;
}

void *jn_alloc(jn_ctx *cx, size_t size)
{
    size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (size == 0)
        size = ALIGN;
    if ((size_t)(cx->end - cx->cur) < size) {
        if (size > CHUNK_MAX / 4) {
            /* A big block gets a chunk of its own, behind the current one,
             * so that the current chunk's free space is not lost. */
            jn_chunk *c = aslrtp_malloc(sizeof(jn_chunk) + ALIGN + size);
            c->size = size;
            if (cx->chunks) {
                c->next = cx->chunks->next;
                cx->chunks->next = c;
            } else {
                c->next = NULL;
                cx->chunks = c;
                cx->cur = cx->end = NULL;
            }
            uintptr_t p = (uintptr_t)(c + 1);
            p = (p + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
            memset((void *)p, 0, size);
            return (void *)p;
        }
        new_chunk(cx, size);
    }
    void *p = cx->cur;
    cx->cur += size;
    memset(p, 0, size);
    return p;
}

/* Allocation without zeroing, for buffers that are filled at once. */
static void *alloc_raw(jn_ctx *cx, size_t size)
{
    size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (size == 0)
        size = ALIGN;
    if ((size_t)(cx->end - cx->cur) < size || size > CHUNK_MAX / 4)
        return jn_alloc(cx, size);
    void *p = cx->cur;
    cx->cur += size;
    return p;
}

char *jn_strndup(jn_ctx *cx, const char *s, size_t len)
{
    char *p = alloc_raw(cx, len + 1);
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/* Measures, then writes into the arena (messages: not a hot path). */
char *jn_printf(jn_ctx *cx, const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = alloc_raw(cx, n > 0 ? (size_t)n + 1 : 1);
    if (n > 0)
        vsnprintf(p, (size_t)n + 1, fmt, again);
    else
        p[0] = '\0';
    va_end(again);
    return p;
}

static void free_chunks(jn_ctx *cx)
{
    jn_chunk *c = cx->chunks;
    while (c) {
        jn_chunk *next = c->next;
        free(c);
        c = next;
    }
    cx->chunks = NULL;
    cx->cur = cx->end = NULL;
    cx->total = 0;
}

/* ==== the context ======================================================= */

void jn_ctx_init_state(jn_ctx *cx)
{
    cx->top = jn_frame_create(cx, NULL);
    memset(&cx->builtins, 0, sizeof cx->builtins);
    memset(&cx->sigs, 0, sizeof cx->sigs);
    cx->builtin_names = NULL;
    cx->chain = NULL;
    cx->catches = NULL;
    cx->jmp = NULL;
    cx->depth = 0;
}

/* A context without the evaluator's entry: jn_ctx_create (eval.c) adds it. */
jn_ctx *jn_ctx_new(const jn_options *opt)
{
    jn_ctx *cx = aslrtp_calloc(1, sizeof *cx);
    if (opt)
        cx->opt = *opt;
    else
        cx->opt.now_ms = -1;
    cx->now_ms = cx->opt.now_ms >= 0 ? cx->opt.now_ms : aslrtp_wall_ms();
    jn_ctx_init_state(cx);
    return cx;
}

void jn_ctx_reset(jn_ctx *cx)
{
    /* Keeps the newest chunk (if it is an ordinary one) for reuse. */
    jn_chunk *keep = cx->chunks;
    if (keep && keep->size <= CHUNK_MAX) {
        cx->chunks = keep->next;
        keep->next = NULL;
        free_chunks(cx);
        cx->chunks = keep;
        cx->total = keep->size;
        uintptr_t p = (uintptr_t)(keep + 1);
        p = (p + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
        cx->cur = (char *)p;
        cx->end = cx->cur + keep->size;
    } else {
        free_chunks(cx);
    }
    jn_ctx_init_state(cx);
}

void jn_ctx_destroy(jn_ctx *cx)
{
    if (!cx)
        return;
    for (int i = 0; i < JN_SLOTS; i++)
        if (cx->slot[i] && cx->slot_free[i])
            cx->slot_free[i](cx->slot[i]);
    free_chunks(cx);
    free(cx);
}

void *jn_ctx_get_slot(jn_ctx *cx, int slot)
{
    return slot >= 0 && slot < JN_SLOTS ? cx->slot[slot] : NULL;
}

void jn_ctx_set_slot(jn_ctx *cx, int slot, void *p, void (*destroy)(void *))
{
    if (slot < 0 || slot >= JN_SLOTS)
        return;
    if (cx->slot[slot] && cx->slot_free[slot] && cx->slot[slot] != p)
        cx->slot_free[slot](cx->slot[slot]);
    cx->slot[slot] = p;
    cx->slot_free[slot] = destroy;
}

void *jn_user_data(jn_ctx *cx)
{
    return cx->opt.extra_data;
}

long long jn_now_ms(jn_ctx *cx)
{
    return cx->now_ms;
}

/* xoshiro256**, seeded from the clocks and the context's address. */
static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double jn_random(jn_ctx *cx)
{
    uint64_t *s = cx->rng;
    if (!cx->rng_seeded) {
        uint64_t seed = (uint64_t)aslrtp_wall_ns() ^ (uint64_t)(uintptr_t)cx ^
                        ((uint64_t)aslrtp_mono_ms() << 40);
        for (int i = 0; i < 4; i++)
            s[i] = splitmix(&seed);
        cx->rng_seeded = true;
    }
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return (double)(result >> 11) * 0x1.0p-53;
}

/* ==== pointer maps ====================================================== */

static size_t ptr_slot(const void *key, size_t cap)
{
    uintptr_t h = (uintptr_t)key;
    h ^= h >> 17;
    h *= 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 7) & (cap - 1);
}

void *jn_ptrmap_get(const jn_ptrmap *m, const void *key)
{
    if (!m->cap)
        return NULL;
    for (size_t i = ptr_slot(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key)
            return m->vals[i];
        if (!m->keys[i])
            return NULL;
    }
}

void jn_ptrmap_put(jn_ctx *cx, jn_ptrmap *m, const void *key, void *val)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 32;
        jn_ptrmap nm = {jn_alloc(cx, cap * sizeof(void *)), jn_alloc(cx, cap * sizeof(void *)),
                        0, cap};
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i])
                jn_ptrmap_put(cx, &nm, m->keys[i], m->vals[i]);
        *m = nm;
    }
    for (size_t i = ptr_slot(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key) {
            m->vals[i] = val;
            return;
        }
        if (!m->keys[i]) {
            m->keys[i] = key;
            m->vals[i] = val;
            m->n++;
            return;
        }
    }
}

/* ==== frames ============================================================ */

uint32_t jn_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

jn_frame *jn_frame_create(jn_ctx *cx, jn_frame *parent)
{
    jn_frame *f = alloc_raw(cx, sizeof *f);
    f->parent = parent;
    f->b = f->inl;
    f->n = 0;
    f->cap = 4;
    return f;
}

void jn_frame_bind(jn_ctx *cx, jn_frame *f, const char *name, size_t len, uint32_t hash,
                   jn_value *v)
{
    for (int i = 0; i < f->n; i++) {
        jn_binding *b = &f->b[i];
        if (b->hash == hash && b->len == len && memcmp(b->name, name, len) == 0) {
            b->value = v;
            return;
        }
    }
    if (f->n == f->cap) {
        int cap = f->cap * 2;
        jn_binding *nb = alloc_raw(cx, (size_t)cap * sizeof *nb);
        memcpy(nb, f->b, (size_t)f->n * sizeof *nb);
        f->b = nb;
        f->cap = cap;
    }
    jn_binding *b = &f->b[f->n++];
    b->name = name;
    b->len = len;
    b->hash = hash;
    b->value = v;
}

jn_value *jn_frame_lookup(const jn_frame *f, const char *name, size_t len, uint32_t hash,
                          bool *found)
{
    for (; f; f = f->parent) {
        for (int i = 0; i < f->n; i++) {
            const jn_binding *b = &f->b[i];
            if (b->hash == hash && b->len == len && memcmp(b->name, name, len) == 0) {
                *found = true;
                return b->value;
            }
        }
    }
    *found = false;
    return NULL;
}

void jn_bind(jn_ctx *cx, const char *name, jn_value *v)
{
    size_t len = strlen(name);
    const char *copy = jn_strndup(cx, name, len);
    jn_frame_bind(cx, cx->top, copy, len, jn_hash(copy, len), v);
}

/* ==== values ============================================================ */

/* Numbers and strings use only the start of the union. */
#define SHORT_SIZE(field) (offsetof(jn_value, u) + sizeof(((jn_value *)0)->u.field))

jn_value *jn_number(jn_ctx *cx, double d)
{
    jn_value *v = alloc_raw(cx, SHORT_SIZE(number));
    v->type = JN_NUMBER;
    v->flags = 0;
    v->u.number = d;
    return v;
}

jn_value *jn_string_ref(jn_ctx *cx, const char *s, size_t len)
{
    jn_value *v = alloc_raw(cx, SHORT_SIZE(string));
    v->type = JN_STRING;
    v->flags = 0;
    v->u.string.s = s;
    v->u.string.len = len;
    return v;
}

jn_value *jn_string(jn_ctx *cx, const char *s, size_t len)
{
    return jn_string_ref(cx, jn_strndup(cx, s, len), len);
}

jn_value *jn_cstring(jn_ctx *cx, const char *s)
{
    return jn_string(cx, s, strlen(s));
}

jn_value *jn_array(jn_ctx *cx, size_t cap_hint)
{
    jn_value *v = jn_alloc(cx, sizeof *v);
    v->type = JN_ARRAY;
    if (cap_hint) {
        v->u.array.items = alloc_raw(cx, cap_hint * sizeof(jn_value *));
        v->u.array.cap = cap_hint;
    }
    return v;
}

jn_value *jn_sequence(jn_ctx *cx)
{
    jn_value *v = jn_array(cx, 0);
    v->flags = JN_SEQUENCE;
    return v;
}

void jn_array_push(jn_ctx *cx, jn_value *arr, jn_value *v)
{
    if (arr->u.array.n == arr->u.array.cap) {
        size_t cap = arr->u.array.cap ? arr->u.array.cap * 2 : 4;
        jn_value **items = alloc_raw(cx, cap * sizeof *items);
        if (arr->u.array.n)
            memcpy(items, arr->u.array.items, arr->u.array.n * sizeof *items);
        arr->u.array.items = items;
        arr->u.array.cap = cap;
    }
    arr->u.array.items[arr->u.array.n++] = v;
}

jn_value *jn_array_copy(jn_ctx *cx, const jn_value *a)
{
    size_t n = a->u.array.n;
    jn_value *r = jn_array(cx, n ? n : 1);
    if (n)
        memcpy(r->u.array.items, a->u.array.items, n * sizeof(jn_value *));
    r->u.array.n = n;
    return r;
}

jn_value *jn_object(jn_ctx *cx)
{
    jn_value *v = jn_alloc(cx, sizeof *v);
    v->type = JN_OBJECT;
    return v;
}

#define INDEX_FROM 8

/* True when key is a canonical array index ("0", "17", up to 2^32-2):
 * JavaScript enumerates such keys first, in numeric order. */
static bool index_key(const char *k, size_t len, uint32_t *out)
{
    if (len == 0 || len > 10 || (len > 1 && k[0] == '0'))
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (k[i] < '0' || k[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(k[i] - '0');
    }
    if (v > 4294967294ULL)
        return false;
    *out = (uint32_t)v;
    return true;
}

static void index_insert(jn_value *o, size_t member)
{
    const jn_member *m = &o->u.object.members[member];
    size_t mask = o->u.object.index_cap - 1;
    for (size_t i = jn_hash(m->key, m->key_len) & mask;; i = (i + 1) & mask) {
        if (!o->u.object.index[i]) {
            o->u.object.index[i] = (uint32_t)member + 1;
            return;
        }
    }
}

static void index_rebuild(jn_ctx *cx, jn_value *o, size_t want)
{
    size_t cap = 16;
    while (cap < want * 2)
        cap *= 2;
    o->u.object.index = jn_alloc(cx, cap * sizeof(uint32_t));
    o->u.object.index_cap = cap;
    for (size_t i = 0; i < o->u.object.n; i++)
        index_insert(o, i);
}

static long member_find(const jn_value *o, const char *key, size_t len)
{
    const jn_member *m = o->u.object.members;
    if (o->u.object.index) {
        size_t mask = o->u.object.index_cap - 1;
        for (size_t i = jn_hash(key, len) & mask;; i = (i + 1) & mask) {
            uint32_t e = o->u.object.index[i];
            if (!e)
                return -1;
            const jn_member *c = &m[e - 1];
            if (c->key_len == len && memcmp(c->key, key, len) == 0)
                return (long)e - 1;
        }
    }
    for (size_t i = 0; i < o->u.object.n; i++)
        if (m[i].key_len == len && memcmp(m[i].key, key, len) == 0)
            return (long)i;
    return -1;
}

jn_value *jn_object_get(const jn_value *obj, const char *key, size_t len)
{
    if (!obj || obj->type != JN_OBJECT)
        return NULL;
    long i = member_find(obj, key, len);
    return i < 0 ? NULL : obj->u.object.members[i].value;
}

void jn_object_set_ref(jn_ctx *cx, jn_value *o, const char *key, size_t len, jn_value *v)
{
    long found = member_find(o, key, len);
    if (found >= 0) {
        o->u.object.members[found].value = v;
        return;
    }
    if (o->u.object.n == o->u.object.cap) {
        size_t cap = o->u.object.cap ? o->u.object.cap * 2 : 4;
        jn_member *m = alloc_raw(cx, cap * sizeof *m);
        if (o->u.object.n)
            memcpy(m, o->u.object.members, o->u.object.n * sizeof *m);
        o->u.object.members = m;
        o->u.object.cap = cap;
    }
    jn_member *m = o->u.object.members;
    size_t n = o->u.object.n;
    size_t at = n;
    uint32_t k;
    if (index_key(key, len, &k)) {
        /* among the leading integer keys, in numeric order */
        at = 0;
        uint32_t other;
        while (at < n && index_key(m[at].key, m[at].key_len, &other) && other < k)
            at++;
        if (at < n)
            memmove(&m[at + 1], &m[at], (n - at) * sizeof *m);
    }
    m[at].key = key;
    m[at].key_len = len;
    m[at].value = v;
    o->u.object.n = n + 1;
    if (o->u.object.index && at == n && (n + 1) * 2 <= o->u.object.index_cap)
        index_insert(o, at);
    else if (o->u.object.index || n + 1 >= INDEX_FROM)
        index_rebuild(cx, o, n + 1);
}

void jn_object_set(jn_ctx *cx, jn_value *obj, const char *key, size_t len, jn_value *v)
{
    if (member_find(obj, key, len) >= 0) {
        jn_object_set_ref(cx, obj, key, len, v);
        return;
    }
    jn_object_set_ref(cx, obj, jn_strndup(cx, key, len), len, v);
}

bool jn_object_delete(jn_ctx *cx, jn_value *o, const char *key, size_t len)
{
    long i = member_find(o, key, len);
    if (i < 0)
        return false;
    jn_member *m = o->u.object.members;
    memmove(&m[i], &m[i + 1], (o->u.object.n - (size_t)i - 1) * sizeof *m);
    o->u.object.n--;
    if (o->u.object.index)
        index_rebuild(cx, o, o->u.object.n);
    return true;
}

bool jn_is_array_of_strings(const jn_value *v)
{
    if (!jn_is_array(v))
        return false;
    for (size_t i = 0; i < v->u.array.n; i++)
        if (v->u.array.items[i]->type != JN_STRING)
            return false;
    return true;
}

bool jn_is_array_of_numbers(const jn_value *v)
{
    if (!jn_is_array(v))
        return false;
    for (size_t i = 0; i < v->u.array.n; i++) {
        const jn_value *e = v->u.array.items[i];
        if (e->type != JN_NUMBER || isnan(e->u.number))
            return false;
    }
    return true;
}

const char *jn_type_name(const jn_value *v)
{
    if (!v)
        return NULL;
    switch (v->type) {
    case JN_NULL: return "null";
    case JN_BOOLEAN: return "boolean";
    case JN_NUMBER: return "number";
    case JN_STRING: return "string";
    case JN_ARRAY: return "array";
    case JN_OBJECT: return "object";
    default: return "function";
    }
}

static bool deep_equal(const jn_value *a, const jn_value *b, int level);

bool jn_deep_equal(const jn_value *a, const jn_value *b)
{
    return deep_equal(a, b, 0);
}

/* (Values nested past JN_MAX_NESTING compare unequal unless identical.) */
static bool deep_equal(const jn_value *a, const jn_value *b, int level)
{
    if (a == b)
        return true;
    if (level > JN_MAX_NESTING)
        return false;
    if (!a || !b || a->type != b->type)
        return false;
    switch (a->type) {
    case JN_NULL:
        return true;
    case JN_BOOLEAN:
        return a->u.boolean == b->u.boolean;
    case JN_NUMBER:
        return a->u.number == b->u.number;
    case JN_STRING:
        return a->u.string.len == b->u.string.len &&
               memcmp(a->u.string.s, b->u.string.s, a->u.string.len) == 0;
    case JN_ARRAY:
        if (a->u.array.n != b->u.array.n)
            return false;
        for (size_t i = 0; i < a->u.array.n; i++)
            if (!deep_equal(a->u.array.items[i], b->u.array.items[i], level + 1))
                return false;
        return true;
    case JN_OBJECT:
        if (a->u.object.n != b->u.object.n)
            return false;
        for (size_t i = 0; i < a->u.object.n; i++) {
            const jn_member *m = &a->u.object.members[i];
            long j = member_find(b, m->key, m->key_len);
            if (j < 0 || !deep_equal(m->value, b->u.object.members[j].value, level + 1))
                return false;
        }
        return true;
    default:
        return false;   /* functions: identity only */
    }
}

bool jn_js_truthy(const jn_value *v)
{
    if (!v)
        return false;
    switch (v->type) {
    case JN_NULL:
        return false;
    case JN_BOOLEAN:
        return v->u.boolean;
    case JN_NUMBER:
        return v->u.number != 0 && !isnan(v->u.number);
    case JN_STRING:
        return v->u.string.len > 0;
    default:
        return true;    /* arrays (even empty), objects, functions */
    }
}

bool jn_boolean_of(const jn_value *v)
{
    if (!v)
        return false;
    switch (v->type) {
    case JN_ARRAY:
        if (v->u.array.n == 1)
            return jn_boolean_of(v->u.array.items[0]);
        for (size_t i = 0; i < v->u.array.n; i++)
            if (jn_boolean_of(v->u.array.items[i]))
                return true;
        return false;
    case JN_OBJECT:
        return v->u.object.n > 0;
    case JN_FUNCTION:
        return false;
    default:
        return jn_js_truthy(v);     /* the scalars */
    }
}

/* ==== functions ========================================================= */

/* The arity of a native: the parameters its signature declares ($string
 * and $zip are jsonata-js's exceptions). */
static int builtin_arity(const char *name, const char *sig)
{
    if (strcmp(name, "string") == 0)
        return 1;
    if (strcmp(name, "zip") == 0)
        return 0;
    if (!sig)
        return 0;
    int n = 0;
    char bad[8];
    int off;
    (void)bad;
    (void)off;
    for (const char *s = sig + 1; *s && *s != ':'; s++) {
        switch (*s) {
        case 's': case 'n': case 'b': case 'l': case 'o': case 'a': case 'f':
        case 'j': case 'x':
            n++;
            break;
        case '(': {
            int depth = 1;
            n++;
            while (s[1] && depth) {
                s++;
                if (*s == '(')
                    depth++;
                else if (*s == ')')
                    depth--;
            }
            break;
        }
        case '<': {
            int depth = 1;
            while (s[1] && depth) {
                s++;
                if (*s == '<')
                    depth++;
                else if (*s == '>')
                    depth--;
            }
            break;
        }
        default:
            break;
        }
    }
    return n;
}

/* A native function value; eval.c parses its signature (at creation for
 * its own natives, at each call, cached per context, for the others). */
jn_value *jn_native(jn_ctx *cx, const char *name, const char *signature, jn_native_fn fn,
                    void *data)
{
    jn_function *f = jn_alloc(cx, sizeof *f);
    f->kind = JN_FN_NATIVE;
    f->name = name;
    f->signature = signature;
    f->sig = NULL;              /* parsed by eval.c (private.h: jn_sig) */
    f->native = fn;
    f->data = data;
    f->arity = builtin_arity(name ? name : "", signature);
    jn_value *v = jn_alloc(cx, sizeof *v);
    v->type = JN_FUNCTION;
    v->u.function = f;
    return v;
}

int jn_function_arity(const jn_value *fn)
{
    if (!jn_is_function(fn))
        return 0;
    return fn->u.function->arity;
}

/* Applies fn through the evaluator's entry, which jn_ctx_create (eval.c)
 * installs: the natives call function values without depending on eval.c. */
jn_value *jn_apply(jn_ctx *cx, jn_value *fn, jn_value *const *args, int nargs)
{
    return cx->apply(cx, fn, args, nargs);
}

/* ==== UTF-8 ============================================================= */

size_t jn_utf8_count(const char *s, size_t len)
{
    return aslrtp_utf8_count(s, len);
}

size_t jn_utf8_offset(const char *s, size_t len, size_t cp)
{
    size_t i = 0;
    while (i < len && cp > 0) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        cp--;
    }
    return i;
}

/* ==== numbers as JavaScript prints them ================================= */

/* The shortest digits of d (|d| > 0, finite) that read back as d: digits
 * in dig (no dot, no trailing zeros), returns the count; *exp10 is the
 * exponent of the first digit (d = 0.DIGITS x 10^(exp10+1)). */
static int shortest_digits(double d, char *dig, int *exp10)
{
    char tmp[40];
    /* 15 digits always read back as themselves (DBL_DIG), so the shortest
     * form has 15 digits or fewer exactly when the 15-digit one reads back
     * (its trailing zeros dropped); subnormals have fewer digits. */
    for (int prec = fabs(d) < 2.2250738585072014e-308 ? 1 : 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
        if (prec == 17 || strtod(tmp, NULL) == d)
            break;
    }
    const char *p = tmp;
    if (*p == '-')
        p++;
    int k = 0;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            dig[k++] = *p;
    *exp10 = atoi(p + 1);
    while (k > 1 && dig[k - 1] == '0')
        k--;
    dig[k] = '\0';
    return k;
}

int jn_format_number(double d, char *buf)
{
    if (d == 0) {
        strcpy(buf, "0");
        return 1;
    }
    if (isnan(d)) {
        strcpy(buf, "NaN");
        return 3;
    }
    if (isinf(d)) {
        strcpy(buf, d < 0 ? "-Infinity" : "Infinity");
        return (int)strlen(buf);
    }
    if (d == floor(d) && fabs(d) < 1e15) {
        /* integers: their digits, no printf round trip */
        char tmp[24];
        int n = 0;
        unsigned long long u = (unsigned long long)fabs(d);
        while (u) {
            tmp[n++] = (char)('0' + u % 10);
            u /= 10;
        }
        char *o = buf;
        if (d < 0)
            *o++ = '-';
        while (n)
            *o++ = tmp[--n];
        *o = '\0';
        return (int)(o - buf);
    }
    char dig[24];
    int e;
    int k = shortest_digits(d, dig, &e);
    int n = e + 1;   /* position of the decimal point */
    char *o = buf;
    if (d < 0)
        *o++ = '-';
    if (k <= n && n <= 21) {
        memcpy(o, dig, (size_t)k);
        o += k;
        for (int i = k; i < n; i++)
            *o++ = '0';
    } else if (0 < n && n <= 21) {
        memcpy(o, dig, (size_t)n);
        o += n;
        *o++ = '.';
        memcpy(o, dig + n, (size_t)(k - n));
        o += k - n;
    } else if (-6 < n && n <= 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -n; i++)
            *o++ = '0';
        memcpy(o, dig, (size_t)k);
        o += k;
    } else {
        *o++ = dig[0];
        if (k > 1) {
            *o++ = '.';
            memcpy(o, dig + 1, (size_t)(k - 1));
            o += k - 1;
        }
        o += sprintf(o, "e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
    }
    *o = '\0';
    return (int)(o - buf);
}

/* Number(n.toPrecision(15)) */
static double precision15(double d)
{
    if (d == floor(d) && fabs(d) < 1e15)
        return d;   /* 15 digits hold it exactly */
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.14e", d);
    return strtod(tmp, NULL);
}

/* ==== JSON text ========================================================= */

static void put_json_string(aslrtp_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    aslrtp_buf_add(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[8];
        int32_t cp;
        size_t n;
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c == '\b')
            esc = "\\b";
        else if (c == '\f')
            esc = "\\f";
        else if (c == '\n')
            esc = "\\n";
        else if (c == '\r')
            esc = "\\r";
        else if (c == '\t')
            esc = "\\t";
        else if (c < 0x20) {
            u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
            u[4] = hex[c >> 4]; u[5] = hex[c & 15]; u[6] = '\0';
            esc = u;
        } else if (c == 0xED && (cp = aslrtp_utf8_decode(s + i, len - i, ASLRTP_UTF8_WTF8,
                                                         &n)) >= 0xD800 && cp <= 0xDFFF) {
            /* a lone surrogate (WTF-8): JSON.stringify writes \udxxx */
            snprintf(u, sizeof u, "\\u%04x", (unsigned)cp);
            aslrtp_buf_add(b, s + i - run, run);
            run = 0;
            aslrtp_buf_add(b, u, 6);
            i += 2;
            continue;
        }
        if (esc) {
            aslrtp_buf_add(b, s + i - run, run);
            run = 0;
            aslrtp_buf_adds(b, esc);
        } else {
            run++;
        }
    }
    aslrtp_buf_add(b, s + len - run, run);
    aslrtp_buf_add(b, "\"", 1);
}

static void put_indent(aslrtp_buf *b, int level)
{
    aslrtp_buf_add(b, "\n", 1);
    for (int i = 0; i < level; i++)
        aslrtp_buf_add(b, "  ", 2);
}

/* mode 0: $string (toPrecision(15), functions as ""), mode 1: plain
 * JSON.stringify for messages (functions left out).  Returns false when
 * nothing was written (undefined). */
static bool put_json(jn_ctx *cx, aslrtp_buf *b, const jn_value *v, bool pretty, int level,
                     int mode)
{
    char num[40];
    if (!v)
        return false;
    if (level > JN_MAX_NESTING) {
        /* deeper than any JSON document: refused rather than risking the stack */
        if (mode == 0) {
            free(b->data);
            b->data = NULL;
            jn_fail_msg(cx, "U1001", "The value is nested too deeply to be converted to text");
        }
        aslrtp_buf_adds(b, "...");
        return true;
    }
    switch (v->type) {
    case JN_NULL:
        aslrtp_buf_add(b, "null", 4);
        return true;
    case JN_BOOLEAN:
        aslrtp_buf_adds(b, v->u.boolean ? "true" : "false");
        return true;
    case JN_NUMBER: {
        double d = v->u.number;
        if (!isfinite(d)) {
            if (mode == 0 && !isnan(d)) {
                free(b->data);
                b->data = NULL;
                jn_raise(cx, "D1001", -1, NULL, v, NULL, 0, NULL);
            }
            aslrtp_buf_add(b, "null", 4);
            return true;
        }
        if (mode == 0)
            d = precision15(d);
        aslrtp_buf_add(b, num, (size_t)jn_format_number(d, num));
        return true;
    }
    case JN_STRING:
        put_json_string(b, v->u.string.s, v->u.string.len);
        return true;
    case JN_FUNCTION:
        if (mode == 0) {
            aslrtp_buf_add(b, "\"\"", 2);
            return true;
        }
        return false;
    case JN_ARRAY: {
        if (v->u.array.n == 0) {
            aslrtp_buf_add(b, "[]", 2);
            return true;
        }
        aslrtp_buf_add(b, "[", 1);
        for (size_t i = 0; i < v->u.array.n; i++) {
            if (i)
                aslrtp_buf_add(b, ",", 1);
            if (pretty)
                put_indent(b, level + 1);
            if (!put_json(cx, b, v->u.array.items[i], pretty, level + 1, mode))
                aslrtp_buf_add(b, "null", 4);
        }
        if (pretty)
            put_indent(b, level);
        aslrtp_buf_add(b, "]", 1);
        return true;
    }
    case JN_OBJECT: {
        bool any = false;
        aslrtp_buf_add(b, "{", 1);
        for (size_t i = 0; i < v->u.object.n; i++) {
            const jn_member *m = &v->u.object.members[i];
            if (!m->value || (mode == 1 && m->value->type == JN_FUNCTION))
                continue;
            if (any)
                aslrtp_buf_add(b, ",", 1);
            any = true;
            if (pretty)
                put_indent(b, level + 1);
            put_json_string(b, m->key, m->key_len);
            aslrtp_buf_add(b, pretty ? ": " : ":", pretty ? 2 : 1);
            put_json(cx, b, m->value, pretty, level + 1, mode);
        }
        if (any && pretty)
            put_indent(b, level);
        aslrtp_buf_add(b, "}", 1);
        return true;
    }
    }
    return false;
}

jn_value *jn_stringify(jn_ctx *cx, jn_value *v, bool pretty)
{
    if (!v)
        return NULL;
    if (v->type == JN_STRING)
        return v;
    if (v->type == JN_FUNCTION)
        return jn_string_ref(cx, "", 0);
    if (v->type == JN_NUMBER) {
        if (!isfinite(v->u.number))
            jn_raise(cx, "D3001", -1, NULL, v, NULL, 0, NULL);
        char num[40];
        int n = jn_format_number(precision15(v->u.number), num);
        return jn_string(cx, num, (size_t)n);
    }
    if (v->type == JN_ARRAY && (v->flags & JN_OUTER_WRAPPER) && v->u.array.n > 0)
        v = v->u.array.items[0];
    aslrtp_buf b = {0};
    put_json(cx, &b, v, pretty, 0, 0);
    jn_value *r = jn_string(cx, b.data ? b.data : "", b.len);
    free(b.data);
    return r;
}

void jn_render_value(const jn_value *v, char *buf, size_t size)
{
    aslrtp_buf b = {0};
    if (!put_json(NULL, &b, v, false, 0, 1))
        aslrtp_buf_adds(&b, "undefined");
    snprintf(buf, size, "%s", b.data ? b.data : "");
    free(b.data);
}

/* ==== conversion ======================================================== */

/* j as a value; copy: strings and keys copied into the arena, else
 * referenced. */
static jn_value *from_json(jn_ctx *cx, json_t *j, bool copy)
{
    if (!j)
        return NULL;
    switch (json_typeof(j)) {
    case JSON_NULL:
        return JN_NULLV;
    case JSON_TRUE:
        return JN_TRUE;
    case JSON_FALSE:
        return JN_FALSE;
    case JSON_INTEGER:
        return jn_number(cx, (double)json_integer_value(j));
    case JSON_REAL:
        return jn_number(cx, json_real_value(j));
    case JSON_STRING:
        return (copy ? jn_string : jn_string_ref)(cx, json_string_value(j),
                                                  json_string_length(j));
    case JSON_ARRAY: {
        size_t n = json_array_size(j);
        jn_value *a = jn_array(cx, n);
        for (size_t i = 0; i < n; i++)
            a->u.array.items[i] = from_json(cx, json_array_get(j, i), copy);
        a->u.array.n = n;
        return a;
    }
    case JSON_OBJECT: {
        jn_value *o = jn_object(cx);
        for (void *it = json_object_iter(j); it; it = json_object_iter_next(j, it)) {
            const char *key = json_object_iter_key(it);
#if JANSSON_VERSION_HEX >= 0x020e00
            size_t klen = json_object_iter_key_len(it);
#else
            size_t klen = strlen(key);
#endif
            (copy ? jn_object_set : jn_object_set_ref)(cx, o, key, klen,
                                                       from_json(cx, json_object_iter_value(it), copy));
        }
        return o;
    }
    }
    return NULL;
}

jn_value *jn_from_json(jn_ctx *cx, json_t *j)
{
    return from_json(cx, j, false);
}

jn_value *jn_from_json_copy(jn_ctx *cx, json_t *j)
{
    return from_json(cx, j, true);
}

static json_t *to_json(const jn_value *v, int level)
{
    if (level > JN_MAX_NESTING)
        return NULL;
    switch (v->type) {
    case JN_NULL:
        return json_null();
    case JN_BOOLEAN:
        return json_boolean(v->u.boolean);
    case JN_NUMBER: {
        double d = v->u.number;
        if (!isfinite(d))
            return json_null();
        if (d == floor(d) && fabs(d) <= 9007199254740992.0)
            return json_integer((json_int_t)d);
        return json_real(d);
    }
    case JN_STRING:
        return json_stringn_nocheck(v->u.string.s, v->u.string.len);
    case JN_ARRAY: {
        json_t *a = json_array();
        for (size_t i = 0; i < v->u.array.n; i++) {
            const jn_value *e = v->u.array.items[i];
            json_t *j = e->type == JN_FUNCTION ? json_null() : to_json(e, level + 1);
            if (!j) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, j);
        }
        return a;
    }
    case JN_OBJECT: {
        json_t *o = json_object();
        for (size_t i = 0; i < v->u.object.n; i++) {
            const jn_member *m = &v->u.object.members[i];
            if (!m->value || m->value->type == JN_FUNCTION)
                continue;
            json_t *j = to_json(m->value, level + 1);
            if (!j) {
                json_decref(o);
                return NULL;
            }
            json_object_setn_new_nocheck(o, m->key, m->key_len, j);
        }
        return o;
    }
    }
    return json_null();
}

json_t *jn_to_json(const jn_value *v, bool *unsupported)
{
    if (unsupported)
        *unsupported = false;
    if (!v)
        return NULL;
    if (v->type == JN_FUNCTION) {
        if (unsupported)
            *unsupported = true;
        return NULL;
    }
    json_t *j = to_json(v, 0);
    if (!j && unsupported)
        *unsupported = true;
    return j;
}

/* ==== errors ============================================================ */

static const struct {
    const char *code;
    const char *text;
} templates[] = {
    {"S0101", "String literal must be terminated by a matching quote"},
    {"S0102", "Number out of range: {{token}}"},
    {"S0103", "Unsupported escape sequence: \\{{token}}"},
    {"S0104", "The escape sequence \\u must be followed by 4 hex digits"},
    {"S0105", "Quoted property name must be terminated with a backquote (`)"},
    {"S0106", "Comment has no closing tag"},
    {"S0201", "Syntax error: {{token}}"},
    {"S0202", "Expected {{value}}, got {{token}}"},
    {"S0203", "Expected {{value}} before end of expression"},
    {"S0204", "Unknown operator: {{token}}"},
    {"S0205", "Unexpected token: {{token}}"},
    {"S0206", "Unknown expression type: {{token}}"},
    {"S0207", "Unexpected end of expression"},
    {"S0208", "Parameter {{value}} of function definition must be a variable name (start with $)"},
    {"S0209", "A predicate cannot follow a grouping expression in a step"},
    {"S0210", "Each step can only have one grouping expression"},
    {"S0211", "The symbol {{token}} cannot be used as a unary operator"},
    {"S0212", "The left side of := must be a variable name (start with $)"},
    {"S0213", "The literal value {{value}} cannot be used as a step within a path expression"},
    {"S0214", "The right side of {{token}} must be a variable name (start with $)"},
    {"S0215", "A context variable binding must precede any predicates on a step"},
    {"S0216", "A context variable binding must precede the 'order-by' clause on a step"},
    {"S0217", "The object representing the 'parent' cannot be derived from this expression"},
    {"S0301", "Empty regular expressions are not allowed"},
    {"S0302", "No terminating / in regular expression"},
    {"S0402", "Choice groups containing parameterized types are not supported"},
    {"S0401", "Type parameters can only be applied to functions and arrays"},
    {"S0500", "Attempted to evaluate an expression containing syntax error(s)"},
    {"T0410", "Argument {{index}} of function {{token}} does not match function signature"},
    {"T0411", "Context value is not a compatible type with argument {{index}} of function {{token}}"},
    {"T0412", "Argument {{index}} of function {{token}} must be an array of {{type}}"},
    {"D1001", "Number out of range: {{value}}"},
    {"D1002", "Cannot negate a non-numeric value: {{value}}"},
    {"T1003", "Key in object structure must evaluate to a string; got: {{value}}"},
    {"D1004", "Regular expression matches zero length string"},
    {"T1005", "Attempted to invoke a non-function. Did you mean ${{{token}}}?"},
    {"T1006", "Attempted to invoke a non-function"},
    {"T1007", "Attempted to partially apply a non-function. Did you mean ${{{token}}}?"},
    {"T1008", "Attempted to partially apply a non-function"},
    {"D1009", "Multiple key definitions evaluate to same key: {{value}}"},
    {"D1010", "Attempted to access the Javascript object prototype"},
    {"T1010", "The matcher function argument passed to function {{token}} does not return the correct object structure"},
    {"T2001", "The left side of the {{token}} operator must evaluate to a number"},
    {"T2002", "The right side of the {{token}} operator must evaluate to a number"},
    {"T2003", "The left side of the range operator (..) must evaluate to an integer"},
    {"T2004", "The right side of the range operator (..) must evaluate to an integer"},
    {"D2005", "The left side of := must be a variable name (start with $)"},
    {"T2006", "The right side of the function application operator ~> must be a function"},
    {"T2007", "Type mismatch when comparing values {{value}} and {{value2}} in order-by clause"},
    {"T2008", "The expressions within an order-by clause must evaluate to numeric or string values"},
    {"T2009", "The values {{value}} and {{value2}} either side of operator {{token}} must be of the same data type"},
    {"T2010", "The expressions either side of operator {{token}} must evaluate to numeric or string values"},
    {"T2011", "The insert/update clause of the transform expression must evaluate to an object: {{value}}"},
    {"T2012", "The delete clause of the transform expression must evaluate to a string or array of strings: {{value}}"},
    {"T2013", "The transform expression clones the input object using the $clone() function.  This has been overridden in the current scope by a non-function."},
    {"D2014", "The size of the sequence allocated by the range operator (..) must not exceed 1e6.  Attempted to allocate {{value}}."},
    {"D3001", "Attempting to invoke string function on Infinity or NaN"},
    {"D3010", "Second argument of replace function cannot be an empty string"},
    {"D3011", "Fourth argument of replace function must evaluate to a positive number"},
    {"D3012", "Attempted to replace a matched string with a non-string value"},
    {"D3020", "Third argument of split function must evaluate to a positive number"},
    {"D3030", "Unable to cast value to a number: {{value}}"},
    {"D3040", "Third argument of match function must evaluate to a positive number"},
    {"D3050", "The second argument of reduce function must be a function with at least two arguments"},
    {"D3060", "The sqrt function cannot be applied to a negative number: {{value}}"},
    {"D3061", "The power function has resulted in a value that cannot be represented as a JSON number: base={{value}}, exponent={{exp}}"},
    {"D3070", "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function"},
    {"D3080", "The picture string must only contain a maximum of two sub-pictures"},
    {"D3081", "The sub-picture must not contain more than one instance of the 'decimal-separator' character"},
    {"D3082", "The sub-picture must not contain more than one instance of the 'percent' character"},
    {"D3083", "The sub-picture must not contain more than one instance of the 'per-mille' character"},
    {"D3084", "The sub-picture must not contain both a 'percent' and a 'per-mille' character"},
    {"D3085", "The mantissa part of a sub-picture must contain at least one character that is either an 'optional digit character' or a member of the 'decimal digit family'"},
    {"D3086", "The sub-picture must not contain a passive character that is preceded by an active character and that is followed by another active character"},
    {"D3087", "The sub-picture must not contain a 'grouping-separator' character that appears adjacent to a 'decimal-separator' character"},
    {"D3088", "The sub-picture must not contain a 'grouping-separator' at the end of the integer part"},
    {"D3089", "The sub-picture must not contain two adjacent instances of the 'grouping-separator' character"},
    {"D3090", "The integer part of the sub-picture must not contain a member of the 'decimal digit family' that is followed by an instance of the 'optional digit character'"},
    {"D3091", "The fractional part of the sub-picture must not contain an instance of the 'optional digit character' that is followed by a member of the 'decimal digit family'"},
    {"D3092", "A sub-picture that contains a 'percent' or 'per-mille' character must not contain a character treated as an 'exponent-separator'"},
    {"D3093", "The exponent part of the sub-picture must comprise only of one or more characters that are members of the 'decimal digit family'"},
    {"D3100", "The radix of the formatBase function must be between 2 and 36.  It was given {{value}}"},
    {"D3110", "The argument of the toMillis function must be an ISO 8601 formatted timestamp. Given {{value}}"},
    {"D3120", "Syntax error in expression passed to function eval: {{value}}"},
    {"D3121", "Dynamic error evaluating the expression passed to function eval: {{value}}"},
    {"D3130", "Formatting or parsing an integer as a sequence starting with {{value}} is not supported by this implementation"},
    {"D3131", "In a decimal digit pattern, all digits must be from the same decimal group"},
    {"D3132", "Unknown component specifier {{value}} in date/time picture string"},
    {"D3133", "The 'name' modifier can only be applied to months and days in the date/time picture string, not {{value}}"},
    {"D3134", "The timezone integer format specifier cannot have more than four digits"},
    {"D3135", "No matching closing bracket ']' in date/time picture string"},
    {"D3136", "The date/time picture string is missing specifiers required to parse the timestamp"},
    {"D3137", "{{{message}}}"},
    {"D3138", "The $single() function expected exactly 1 matching result.  Instead it matched more."},
    {"D3139", "The $single() function expected exactly 1 matching result.  Instead it matched 0."},
    {"D3140", "Malformed URL passed to ${{{functionName}}}(): {{value}}"},
    {"D3141", "{{{message}}}"},
    {"U1001", "Stack overflow error: Check for non-terminating recursive function.  "
              "Consider rewriting as tail-recursive."},
};

const char *jn_error_template(const char *code)
{
    for (size_t i = 0; i < sizeof templates / sizeof templates[0]; i++)
        if (strcmp(templates[i].code, code) == 0)
            return templates[i].text;
    return NULL;
}

/* JSON.stringify of a string, for {{token}}. */
static void render_string(const char *s, aslrtp_buf *b)
{
    put_json_string(b, s, strlen(s));
}

/* Fills e->message from the template: {{{x}}} inserts raw text,
 * {{x}} JSON text. */
static void fill_message(jn_error *e, const jn_value *value, const jn_value *value2,
                         int index, const char *type, bool has_token)
{
    const char *t = jn_error_template(e->code);
    if (!t) {
        snprintf(e->message, sizeof e->message, "%s", e->code);
        return;
    }
    aslrtp_buf b = {0};
    char tmp[512];
    while (*t) {
        if (t[0] == '{' && t[1] == '{') {
            bool raw = t[2] == '{';
            const char *name = t + (raw ? 3 : 2);
            const char *close = strstr(name, "}}");
            if (!close)
                break;
            size_t nlen = (size_t)(close - name);
            const char *after = close + (raw ? 3 : 2);
            if (raw && *close && close[2] != '}')
                after = close + 2;
            if (nlen == 5 && memcmp(name, "token", 5) == 0) {
                if (!has_token)
                    aslrtp_buf_adds(&b, "undefined");
                else if (raw)
                    aslrtp_buf_adds(&b, e->token);
                else
                    render_string(e->token, &b);
            } else if (nlen == 5 && memcmp(name, "value", 5) == 0) {
                if (raw && value && value->type == JN_STRING)
                    aslrtp_buf_add(&b, value->u.string.s, value->u.string.len);
                else {
                    jn_render_value(value, tmp, sizeof tmp);
                    aslrtp_buf_adds(&b, tmp);
                }
            } else if (nlen == 6 && memcmp(name, "value2", 6) == 0) {
                jn_render_value(value2, tmp, sizeof tmp);
                aslrtp_buf_adds(&b, tmp);
            } else if (nlen == 5 && memcmp(name, "index", 5) == 0) {
                aslrtp_buf_addf(&b, "%d", index);
            } else if (nlen == 4 && memcmp(name, "type", 4) == 0) {
                if (type)
                    render_string(type, &b);
                else
                    aslrtp_buf_adds(&b, "undefined");
            } else if (raw && has_token) {
                /* {{{message}}}, {{{functionName}}}: the token's text */
                aslrtp_buf_adds(&b, e->token);
            } else {
                aslrtp_buf_adds(&b, "undefined");
            }
            t = after;
            continue;
        }
        aslrtp_buf_add(&b, t, 1);
        t++;
    }
    snprintf(e->message, sizeof e->message, "%s", b.data ? b.data : "");
    free(b.data);
}

/* Jumps to the innermost jn_eval or jn_try with e filled; an error outside
 * any is an internal error. */
static _Noreturn void jump(jn_ctx *cx, const jn_error *e)
{
    if (!cx->jmp) {
        fprintf(stderr, "aslrt: JSONata error %s outside an evaluation: %s\n", e->code,
                e->message);
        abort();
    }
    longjmp(*cx->jmp, 1);
}

_Noreturn void jn_raise(jn_ctx *cx, const char *code, int position, const char *token,
                        const jn_value *value, const jn_value *value2, int index,
                        const char *type)
{
    jn_error *e = cx->err ? cx->err : &cx->errbuf;
    memset(e, 0, sizeof *e);
    snprintf(e->code, sizeof e->code, "%s", code);
    bool has_token = token != NULL;
    const char *tok = token;
    int pos = position;
    /* what the catch blocks of jsonata-js would add on the way out */
    for (const jn_catch *c = cx->catches; c; c = c->up) {
        if (c->kind == JN_CATCH_OVERRIDE) {
            pos = c->position;
            tok = c->token;
            has_token = tok != NULL;
        } else {
            if (pos < 0)
                pos = c->position;
            if (!has_token && c->token) {
                tok = c->token;
                has_token = true;
            }
        }
    }
    e->position = pos;
    if (has_token)
        snprintf(e->token, sizeof e->token, "%s", tok);
    fill_message(e, value, value2, index, type, has_token);
    jump(cx, e);
}

_Noreturn void jn_fail(jn_ctx *cx, const char *code, const char *token, jn_value *value,
                       int index)
{
    jn_raise(cx, code, -1, token, value, NULL, index, NULL);
}

_Noreturn void jn_fail_at(jn_ctx *cx, const char *code, int position, const char *token,
                          jn_value *value, int index)
{
    jn_raise(cx, code, position, token, value, NULL, index, NULL);
}

_Noreturn void jn_fail_msg(jn_ctx *cx, const char *code, const char *message)
{
    jn_error *e = cx->err ? cx->err : &cx->errbuf;
    memset(e, 0, sizeof *e);
    snprintf(e->code, sizeof e->code, "%s", code);
    e->position = -1;
    for (const jn_catch *c = cx->catches; c; c = c->up) {
        if (c->kind == JN_CATCH_OVERRIDE || e->position < 0)
            e->position = c->position;
        if (c->token && (c->kind == JN_CATCH_OVERRIDE || !e->token[0]))
            snprintf(e->token, sizeof e->token, "%s", c->token);
    }
    snprintf(e->message, sizeof e->message, "%s", message ? message : "");
    jump(cx, e);
}

bool jn_try(jn_ctx *cx, jn_value *(*body)(jn_ctx *cx, void *data), void *data,
            jn_value **result, jn_error *err)
{
    jmp_buf here;
    jmp_buf *saved_jmp = cx->jmp;
    jn_error *saved_err = cx->err;
    jn_catch *saved_catches = cx->catches;
    int saved_depth = cx->depth;
    int saved_pos = cx->call_position;
    const char *saved_tok = cx->call_token;
    jn_error local;
    cx->err = err ? err : &local;
    cx->jmp = &here;
    cx->catches = NULL;
    if (setjmp(here)) {
        cx->jmp = saved_jmp;
        cx->err = saved_err;
        cx->catches = saved_catches;
        cx->depth = saved_depth;
        cx->call_position = saved_pos;
        cx->call_token = saved_tok;
        if (result)
            *result = NULL;
        return false;
    }
    jn_value *r = body(cx, data);
    cx->jmp = saved_jmp;
    cx->err = saved_err;
    cx->catches = saved_catches;
    if (result)
        *result = r;
    return true;
}

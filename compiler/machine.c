/*
 * machine.c - a machine descriptor (aslrt_machine, aslrt.h) built in
 * memory from a cfg, for the in-memory backend.
 *
 * emit_c.c writes the descriptor and its tables as C initializers for
 * programs that are built; `aslc run` has them at hand already, and
 * TinyCC spends more on a large machine's initializers (a string literal
 * and a relocation per field) than on its code.  So the in-memory backend
 * has TinyCC compile only the graph functions (code_only) and takes the
 * tables from here: the same values emit_c.c writes, field for field.
 *
 * Everything the descriptor points to is copied into blocks it owns
 * (strings, lists, JSONata trees), so it outlives the cfg and its unit:
 * `aslc run` frees the definition before the execution starts.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"
#include "backend.h"

typedef struct block {
    struct block *next;
    size_t used, size;
    alignas(max_align_t) unsigned char data[];
} block;

/* The descriptor first, so that its address is the whole one's. */
typedef struct built {
    aslrt_machine m;
    block *blocks;
    /* JSONata nodes copied so far, an open-addressing table of capmap
     * slots (a power of two) keyed by the original's address: a node the
     * parser shares is copied once */
    const aslrt_jn_node **from;
    aslrt_jn_node **to;
    size_t nmap, capmap;
} built;

static void *take(built *b, size_t n)
{
    n = (n + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
    block *k = b->blocks;
    if (!k || k->size - k->used < n) {
        size_t size = n > 32768 ? n : 32768;
        k = aslrtp_malloc(sizeof *k + size);
        k->size = size;
        k->used = 0;
        k->next = b->blocks;
        b->blocks = k;
    }
    void *p = k->data + k->used;
    k->used += n;
    memset(p, 0, n);
    return p;
}

static const char *copy_n(built *b, const char *s, size_t len)
{
    if (!s)
        return NULL;
    char *d = take(b, len + 1);
    memcpy(d, s, len);
    return d;
}

static const char *copy_str(built *b, const char *s)
{
    return s ? copy_n(b, s, strlen(s)) : NULL;
}

/* n rows of size bytes from src, which may be NULL when n is 0 (an empty
 * table is one row of zeros, as emit_c.c writes it). */
static void *copy_rows(built *b, const void *src, size_t n, size_t size)
{
    void *d = take(b, (n ? n : 1) * size);
    if (n)
        memcpy(d, src, n * size);
    return d;
}

static const char *const *copy_errors(built *b, const char *const *errors, size_t n)
{
    const char **d = take(b, (n ? n : 1) * sizeof *d);
    for (size_t i = 0; i < n; i++)
        d[i] = copy_str(b, errors[i]);
    return d;
}

/* The members emit_jsonata.c writes, which this file copies too: a node
 * that grows a member breaks the build there and here. */
_Static_assert(offsetof(aslrt_jn_node, group) + sizeof(void *) == sizeof(aslrt_jn_node),
               "aslrt_jn_node changed: teach machine.c its new fields");

static aslrt_jn_node *copy_node(built *b, const aslrt_jn_node *k);

static const aslrt_jn_node *const *copy_list(built *b, const aslrt_jn_node *const *v, int n)
{
    if (!v || n <= 0)   /* as emit_jsonata.c: an empty list is none */
        return NULL;
    const aslrt_jn_node **d = take(b, (size_t)n * sizeof *d);
    for (int i = 0; i < n; i++)
        d[i] = v[i] ? copy_node(b, v[i]) : NULL;
    return d;
}

static size_t slot_of(const built *b, const aslrt_jn_node *k)
{
    size_t h = (size_t)((uintptr_t)k >> 4) * 0x9E3779B97F4A7C15u;
    size_t mask = b->capmap - 1;
    for (h &= mask; b->from[h] && b->from[h] != k; h = (h + 1) & mask)
        ;
    return h;
}

static void remember(built *b, const aslrt_jn_node *k, aslrt_jn_node *d)
{
    if (2 * (b->nmap + 1) > b->capmap) {
        const aslrt_jn_node **from = b->from;
        aslrt_jn_node **to = b->to;
        size_t old = b->capmap;
        b->capmap = old ? 2 * old : 256;
        b->from = aslrtp_calloc(b->capmap, sizeof *b->from);
        b->to = aslrtp_calloc(b->capmap, sizeof *b->to);
        for (size_t i = 0; i < old; i++)
            if (from[i]) {
                size_t h = slot_of(b, from[i]);
                b->from[h] = from[i];
                b->to[h] = to[i];
            }
        free(from);
        free(to);
    }
    size_t h = slot_of(b, k);
    b->from[h] = k;
    b->to[h] = d;
    b->nmap++;
}

static aslrt_jn_node *copy_node(built *b, const aslrt_jn_node *k)
{
    if (b->capmap) {
        size_t h = slot_of(b, k);
        if (b->from[h])
            return b->to[h];
    }
    aslrt_jn_node *d = take(b, sizeof *d);
    remember(b, k, d);
    *d = *k;
    d->str = copy_n(b, k->str, k->len);
    d->str2 = copy_str(b, k->str2);
    d->focus = copy_str(b, k->focus);
    d->index = copy_str(b, k->index);
    d->ancestor = copy_str(b, k->ancestor);
    d->lhs = k->lhs ? copy_node(b, k->lhs) : NULL;
    d->rhs = k->rhs ? copy_node(b, k->rhs) : NULL;
    d->third = k->third ? copy_node(b, k->third) : NULL;
    d->group = k->group ? copy_node(b, k->group) : NULL;
    d->items = copy_list(b, k->items, k->nitems);
    d->stages = copy_list(b, k->stages, k->nstages);
    d->predicate = copy_list(b, k->predicate, k->npredicate);
    return d;
}

static aslrt_item *copy_items(built *b, const asl_cfg *c)
{
    aslrt_item *v = take(b, (c->nitems ? c->nitems : 1) * sizeof *v);
    for (size_t i = 0; i < c->nitems; i++) {
        const ir_item *it = &c->items[i];
        v[i].kind = it->kind;
        v[i].text = copy_str(b, it->text);
        /* the runtime need not parse the text again; the reference keeps
         * the value when the unit's document goes */
        v[i].value = it->value ? json_incref(it->value) : NULL;
        if (it->kind != ASLRT_ITEM_JSONATA)
            continue;
        v[i].field = copy_str(b, it->field);
        if (it->nexprs) {
            const aslrt_jn_node **e = take(b, it->nexprs * sizeof *e);
            for (size_t k = 0; k < it->nexprs; k++)
                e[k] = copy_node(b, it->exprs[k]);
            v[i].exprs = e;
            v[i].nexprs = (int)it->nexprs;
        }
    }
    return v;
}

static aslrt_state *copy_states(built *b, const asl_cfg *c)
{
    aslrt_state *v = take(b, (c->nstates ? c->nstates : 1) * sizeof *v);
    for (size_t i = 0; i < c->nstates; i++) {
        const aslrt_state *s = &c->states[i];
        aslrt_state *d = &v[i];
        *d = *s;
        d->name = copy_str(b, s->name);
        d->resource = copy_str(b, s->resource);
        d->timestamp = copy_str(b, s->timestamp);
        d->error = copy_str(b, s->error);
        d->cause = copy_str(b, s->cause);
        d->reader_resource = copy_str(b, s->reader_resource);
        d->writer_resource = copy_str(b, s->writer_resource);
        d->label = copy_str(b, s->label);
        /* as emit_c.c writes them: Seconds only for a Wait state (-1
         * there: no Seconds field), the processor and the tolerated
         * failures only for a Map (-1: not given), where its retriers and
         * catchers start only when it has some */
        if (!s->nretriers)
            d->retrier = 0;
        if (!s->ncatchers)
            d->catcher = 0;
        if (s->type != ASLRT_STATE_WAIT)
            d->seconds = 0;
        if (s->type != ASLRT_STATE_MAP) {
            d->processor = 0;
            d->tolerated_count = 0;
            d->tolerated_percentage = 0;
        }
        /* as emit_c.c: the branches of a Parallel state, from its list */
        d->branches = NULL;
        if (c->branch_lists[i]) {
            d->branches = copy_rows(b, c->branch_lists[i], (size_t)s->nbranches, sizeof(int));
        } else {
            d->nbranches = 0;
        }
    }
    return v;
}

aslrt_machine *asl_machine_build(const asl_cfg *c, const aslrt_graph_fn *graphs)
{
    built *b = aslrtp_calloc(1, sizeof *b);
    aslrt_machine *m = &b->m;
    m->abi_version = ASLRT_ABI_VERSION;
    m->name = copy_str(b, c->name);
    m->source = copy_str(b, c->source);
    m->items = copy_items(b, c);
    m->nitems = (int)c->nitems;
    m->states = copy_states(b, c);
    m->nstates = (int)c->nstates;

    m->cmps = copy_rows(b, c->cmps, c->ncmps, sizeof *m->cmps);
    m->ncmps = (int)c->ncmps;
    m->rules = copy_rows(b, c->rules, c->nrules, sizeof *m->rules);
    m->nrules = (int)c->nrules;
    m->graphs = copy_rows(b, graphs, c->ngraphs, sizeof *m->graphs);
    m->ngraphs = (int)c->ngraphs;

    aslrt_retrier *r = take(b, (c->nretriers ? c->nretriers : 1) * sizeof *r);
    for (size_t i = 0; i < c->nretriers; i++) {
        const ir_retrier *s = &c->retriers[i];
        r[i] = (aslrt_retrier){copy_errors(b, s->errors, s->nerrors), (int)s->nerrors,
                               s->interval, (int)s->max_attempts, s->backoff,
                               (int)s->max_delay, s->jitter_full};
    }
    m->retriers = r;
    m->nretriers = (int)c->nretriers;
    aslrt_catcher *k = take(b, (c->ncatchers ? c->ncatchers : 1) * sizeof *k);
    for (size_t i = 0; i < c->ncatchers; i++) {
        const ir_catcher *s = &c->catchers[i];
        k[i] = (aslrt_catcher){copy_errors(b, s->errors, s->nerrors), (int)s->nerrors,
                               s->result_path, s->assign, s->output};
    }
    m->catchers = k;
    m->ncatchers = (int)c->ncatchers;
    m->timeout_seconds = (int)c->timeout_seconds;
    m->flags = c->flags;

    free(b->from);
    free(b->to);
    b->from = NULL;
    b->to = NULL;
    b->nmap = b->capmap = 0;
    return m;
}

void asl_machine_free(aslrt_machine *m)
{
    if (!m)
        return;
    built *b = (built *)m;
    for (int i = 0; i < m->nitems; i++)
        json_decref((json_t *)m->items[i].value);
    for (block *k = b->blocks, *next; k; k = next) {
        next = k->next;
        free(k);
    }
    free(b);
}

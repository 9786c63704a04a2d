/*
 * emit_jsonata.c - a JSONata AST (aslrt_jn_node, aslrt.h) as static C data.
 *
 * aslc parses every "{% %}" expression of a definition with the runtime's
 * parser and writes the tree into the generated code, so that the program
 * never parses JSONata: each node becomes a `static const aslrt_jn_node`
 * with designated initializers, each child list a `static const
 * aslrt_jn_node *const` array, children before their parents.  A node
 * reachable twice (the parser may share subtrees) is written once.
 *
 * Layering: emit_c.c calls this file for each JSONata item; this file calls
 * only ctext.c (string literals) and the runtime's allocator, and knows
 * nothing of emit_c.c or the IR.
 *
 * Every field of aslrt_jn_node is written here: the static assertion below
 * breaks the build when the node grows a field this file does not know.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"
#include "backend.h"

/* The fields this file writes, in aslrt.h's order: a node type that grew
 * or changed a field no longer has this layout. */
struct known_node {
    int type, op, flags, position;
    double number;
    const char *str;
    unsigned long len;
    unsigned hash;
    const char *str2, *focus, *index, *ancestor;
    const void *lhs, *rhs, *third;
    const void *items;
    int nitems, nstages;
    const void *stages, *predicate;
    int npredicate;
    const void *group;
};
_Static_assert(sizeof(struct known_node) == sizeof(struct aslrt_jn_node) &&
                   offsetof(struct known_node, group) == offsetof(struct aslrt_jn_node, group) &&
                   offsetof(struct known_node, hash) == offsetof(struct aslrt_jn_node, hash) &&
                   offsetof(struct known_node, nitems) == offsetof(struct aslrt_jn_node, nitems),
               "aslrt_jn_node changed: teach emit_jsonata.c its new fields");

typedef struct emitter {
    FILE *out;
    const char *prefix;
    int next;                          /* the next name's number */
    const aslrt_jn_node **seen;        /* nodes written, and their numbers */
    int *names;
    size_t nseen, capseen;
} emitter;

static int name_of(const emitter *e, const aslrt_jn_node *k)
{
    for (size_t i = 0; i < e->nseen; i++)
        if (e->seen[i] == k)
            return e->names[i];
    return -1;
}

static int node(emitter *e, const aslrt_jn_node *k, bool root);

/* A child list: returns its name's number, or -1 for an empty list. */
static int list(emitter *e, const aslrt_jn_node *const *v, int n)
{
    if (!v || n <= 0)
        return -1;
    int *ids = aslrtp_reallocarray(NULL, (size_t)n, sizeof *ids);
    for (int i = 0; i < n; i++)
        ids[i] = v[i] ? node(e, v[i], false) : -1;
    int me = e->next++;
    fprintf(e->out, "static const aslrt_jn_node *const %s_%d[] = {", e->prefix, me);
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0)
            fprintf(e->out, "%s0", i ? ", " : "");
        else
            fprintf(e->out, "%s&%s_%d", i ? ", " : "", e->prefix, ids[i]);
    }
    fputs("};\n", e->out);
    free(ids);
    return me;
}

static void put_str(emitter *e, const char *field, const char *s, size_t len)
{
    if (!s)
        return;
    fprintf(e->out, ", .%s = ", field);
    asl_put_literal_n(e->out, s, len);
}

static void put_ref(emitter *e, const char *field, int id, bool array)
{
    if (id < 0)
        return;
    fprintf(e->out, ", .%s = %s%s_%d", field, array ? "" : "&", e->prefix, id);
}

static int node(emitter *e, const aslrt_jn_node *k, bool root)
{
    int known = name_of(e, k);
    if (known >= 0 && !root)
        return known;
    int lhs = k->lhs ? node(e, k->lhs, false) : -1;
    int rhs = k->rhs ? node(e, k->rhs, false) : -1;
    int third = k->third ? node(e, k->third, false) : -1;
    int group = k->group ? node(e, k->group, false) : -1;
    int items = list(e, k->items, k->nitems);
    int stages = list(e, k->stages, k->nstages);
    int predicate = list(e, k->predicate, k->npredicate);
    int me = root ? -1 : e->next++;
    if (root)
        fprintf(e->out, "static const aslrt_jn_node %s = {", e->prefix);
    else
        fprintf(e->out, "static const aslrt_jn_node %s_%d = {", e->prefix, me);
    fprintf(e->out, ".type = %d, .op = %d, .flags = %d, .position = %d", k->type, k->op,
            k->flags, k->position);
    if (k->number != 0)
        fprintf(e->out, ", .number = %.17g", k->number);  /* reads back exactly */
    else if (signbit(k->number))
        fputs(", .number = -0.0", e->out);
    put_str(e, "str", k->str, k->len);
    if (k->str)
        fprintf(e->out, ", .len = %lu", k->len);
    if (k->hash)
        fprintf(e->out, ", .hash = %uu", k->hash);
    put_str(e, "str2", k->str2, k->str2 ? strlen(k->str2) : 0);
    put_str(e, "focus", k->focus, k->focus ? strlen(k->focus) : 0);
    put_str(e, "index", k->index, k->index ? strlen(k->index) : 0);
    put_str(e, "ancestor", k->ancestor, k->ancestor ? strlen(k->ancestor) : 0);
    put_ref(e, "lhs", lhs, false);
    put_ref(e, "rhs", rhs, false);
    put_ref(e, "third", third, false);
    put_ref(e, "items", items, true);
    if (items >= 0)
        fprintf(e->out, ", .nitems = %d", k->nitems);
    put_ref(e, "stages", stages, true);
    if (stages >= 0)
        fprintf(e->out, ", .nstages = %d", k->nstages);
    put_ref(e, "predicate", predicate, true);
    if (predicate >= 0)
        fprintf(e->out, ", .npredicate = %d", k->npredicate);
    put_ref(e, "group", group, false);
    fputs("};\n", e->out);
    if (!root) {
        if (e->nseen == e->capseen) {
            e->capseen = e->capseen ? 2 * e->capseen : 32;
            e->seen = aslrtp_reallocarray(e->seen, e->capseen, sizeof *e->seen);
            e->names = aslrtp_reallocarray(e->names, e->capseen, sizeof *e->names);
        }
        e->seen[e->nseen] = k;
        e->names[e->nseen++] = me;
    }
    return me;
}

void asl_emit_jsonata(FILE *out, const struct aslrt_jn_node *root, const char *prefix)
{
    emitter e = {.out = out, .prefix = prefix};
    node(&e, root, true);
    free(e.seen);
    free(e.names);
}

/*
 * validate.c - rules that relate states to each other, and what aslc can
 * run today.
 *
 * Graph rules, per graph (the machine, each Parallel branch, each Map item
 * processor), as AWS applies them at CreateStateMachine (doc/behaviour.md §22):
 * state names are unique machine-wide; StartAt, Next, Default, Choices[i]
 * .Next and Catch[i].Next name a state of the same graph; some state is
 * terminal; every state is reachable from StartAt.  AWS skips the
 * reachability walk when a graph has no terminal state (measured by a third
 * party: doc/behaviour.md §22), and so do we.  validate mutates nothing.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt.h"
#include "aslrt_private.h"
#include "ast.h"

#define TARGET "MISSING_TRANSITION_TARGET"

/* Calls fn for each transition of s: (target name, pointer of the field). */
typedef void (*edge_fn)(void *ud, const asl_state *s, const char *target, const char *ptr);

static void each_edge(asl_unit *u, const asl_state *s, edge_fn fn, void *ud)
{
    if (s->next)
        fn(ud, s, s->next, asl_ptr(u, s->ptr, "Next"));
    if (s->default_next)
        fn(ud, s, s->default_next, asl_ptr(u, s->ptr, "Default"));
    for (size_t i = 0; i < s->nchoices; i++)
        if (s->choices[i]->next)
            fn(ud, s, s->choices[i]->next, asl_ptr(u, s->choices[i]->ptr, "Next"));
    for (size_t i = 0; i < s->ncatch; i++)
        if (s->catch_[i]->next)
            fn(ud, s, s->catch_[i]->next, asl_ptr(u, s->catch_[i]->ptr, "Next"));
}

typedef struct walk {
    asl_unit *u;
    const asl_graph *g;
    unsigned char *seen;
    asl_state **stack;
    size_t n;
    bool ok;
    int suggestions;          /* "did you mean" notes this graph may still add */
} walk;

/* A note after a missing target: the state of g whose name is nearest to
 * target (aslrtp_utf8_nearest), if any.  AWS's message stays as AWS words
 * it; the note is aslc's. */
static void suggest_state(walk *w, const char *target, const char *ptr)
{
    if (w->suggestions <= 0)
        return;
    w->suggestions--;
    const char **names = aslrtp_reallocarray(NULL, w->g->nstates + 1, sizeof *names);
    for (size_t i = 0; i < w->g->nstates; i++)
        names[i] = w->g->states[i]->name;
    const char *name = aslrtp_utf8_nearest(target, names, w->g->nstates);
    free(names);
    if (name)
        asl_diag_add(&w->u->diags, ASL_DIAG_NOTE, ptr, ASL_AT_VALUE, 0, NULL,
                     "did you mean \"%s\"?", name);
}

static void check_target(void *ud, const asl_state *s, const char *target, const char *ptr)
{
    walk *w = ud;
    (void)s;
    if (!asl_graph_find(w->g, target)) {
        asl_diag_add(&w->u->diags, ASL_DIAG_ERROR, ptr, ASL_AT_VALUE, 0, TARGET,
                     "Missing 'Next' target: %s", target);
        suggest_state(w, target, ptr);
        w->ok = false;
    }
}

static void visit(void *ud, const asl_state *s, const char *target, const char *ptr)
{
    walk *w = ud;
    (void)s;
    (void)ptr;
    asl_state *t = asl_graph_find(w->g, target);
    if (t && !w->seen[t->index]) {
        w->seen[t->index] = 1;
        w->stack[w->n++] = t;
    }
}

static bool validate_graph(asl_unit *u, const asl_graph *g)
{
    /* A few notes per graph: a misspelt name is fixed a few at a time,
     * and each costs a look at every name of the graph. */
    walk w = {.u = u, .g = g, .ok = true, .suggestions = 8};
    if (g->start_at && !asl_graph_find(g, g->start_at)) {
        const char *ptr = asl_ptr(u, g->ptr, "StartAt");
        asl_diag_add(&u->diags, ASL_DIAG_ERROR, ptr, ASL_AT_VALUE, 0, TARGET,
                     "Missing 'Next' target: %s", g->start_at);
        suggest_state(&w, g->start_at, ptr);
        w.ok = false;
    }
    bool terminal = false;
    for (size_t i = 0; i < g->nstates; i++) {
        each_edge(u, g->states[i], check_target, &w);
        terminal |= g->states[i]->end;
    }
    if (g->nstates && !terminal) {
        asl_diag_add(&u->diags, ASL_DIAG_ERROR, g->ptr, ASL_AT_VALUE, 0, "MISSING_END_STATE",
                     "Workflow has no terminal state");
        return false;
    }
    asl_state *start = g->start_at ? asl_graph_find(g, g->start_at) : NULL;
    if (!start)
        return w.ok;
    w.seen = aslrtp_calloc(g->nstates + 1, 1);
    w.stack = aslrtp_calloc(g->nstates + 1, sizeof *w.stack);
    w.seen[start->index] = 1;
    w.stack[w.n++] = start;
    while (w.n)
        each_edge(u, w.stack[--w.n], visit, &w);
    for (size_t i = 0; i < g->nstates; i++)
        if (!w.seen[i]) {
            asl_diag_add(&u->diags, ASL_DIAG_ERROR, g->states[i]->ptr, ASL_AT_KEY, 0, TARGET,
                         "State \"%s\" is not reachable.", g->states[i]->name);
            w.ok = false;
        }
    free(w.seen);
    free(w.stack);
    return w.ok;
}

static int cmp_names(const void *a, const void *b)
{
    const asl_state *x = *(asl_state *const *)a, *y = *(asl_state *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->id < y->id ? -1 : x->id > y->id);
}

/* Optimized integrations whose complete list of API actions is known
 * (AWS Developer Guide, "Integrating services"); AWS refuses any other
 * action of these services at CreateStateMachine.  Services not listed are
 * not checked. */
static const struct service_actions {
    const char *service;
    const char *const actions[8];
} known_services[] = {
    {"lambda", {"invoke"}},
    {"dynamodb", {"getItem", "putItem", "updateItem", "deleteItem"}},
    {"sns", {"publish"}},
    {"sqs", {"sendMessage"}},
    {"states", {"startExecution"}},
    {"events", {"putEvents"}},
    {"glue", {"startJobRun"}},
    {"ecs", {"runTask"}},
    {"batch", {"submitJob"}},
    {"http", {"invoke"}},
};

static void validate_resource(asl_unit *u, const asl_machine *m, const asl_state *s)
{
    const char *r = s->resource;
    const char *ptr = asl_ptr(u, s->ptr, "Resource");
    const char *opt = strstr(r, ":states:::");
    if (opt && strncmp(opt + 10, "aws-sdk:", 8) != 0) {
        const char *svc = opt + 10;
        const char *colon = strchr(svc, ':');
        size_t sl = colon ? (size_t)(colon - svc) : strlen(svc);
        const char *act = colon ? colon + 1 : "";
        size_t al = strcspn(act, ".");
        /* The integration patterns: request-response, .sync, .sync:2 and
         * .waitForTaskToken; AWS recognizes no other suffix. */
        const char *pat = act + al;
        if (*pat && strcmp(pat, ".sync") != 0 && strcmp(pat, ".sync:2") != 0 &&
            strcmp(pat, ".waitForTaskToken") != 0) {
            asl_diag_add(&u->diags, ASL_DIAG_ERROR, ptr, ASL_AT_VALUE, 0,
                         "SCHEMA_VALIDATION_FAILED",
                         "The resource provided %s is not recognized. The value is not a valid "
                         "resource ARN, or the resource is not available in this region.",
                         r);
            return;
        }
        for (size_t i = 0; i < sizeof known_services / sizeof *known_services; i++) {
            const struct service_actions *k = &known_services[i];
            if (strlen(k->service) != sl || strncmp(k->service, svc, sl) != 0)
                continue;
            bool found = false;
            for (size_t j = 0; j < 8 && k->actions[j]; j++)
                found |= strlen(k->actions[j]) == al && strncmp(k->actions[j], act, al) == 0;
            if (!found)
                asl_diag_add(&u->diags, ASL_DIAG_ERROR, ptr, ASL_AT_VALUE, 0,
                             "SCHEMA_VALIDATION_FAILED",
                             "The resource provided %s is not recognized. The value is not a valid "
                             "resource ARN, or the resource is not available in this region.",
                             r);
        }
    }
    if (!m->express)
        return;
    /* doc/behaviour.md §21.2: Express machines run request-response only. */
    if (strstr(r, ":activity:"))
        asl_diag_add(&u->diags, ASL_DIAG_ERROR, ptr, ASL_AT_VALUE, 0, "SCHEMA_VALIDATION_FAILED",
                     "Express state machine does not support Activity ARN");
    else if (strstr(r, ".sync"))
        asl_diag_add(&u->diags, ASL_DIAG_ERROR, ptr, ASL_AT_VALUE, 0, "SCHEMA_VALIDATION_FAILED",
                     "Express state machine does not support '.sync' service integration");
    else if (strstr(r, ".waitForTaskToken"))
        asl_diag_add(&u->diags, ASL_DIAG_ERROR, ptr, ASL_AT_VALUE, 0, "SCHEMA_VALIDATION_FAILED",
                     "Express state machine does not support '.waitForTaskToken' service integration");
}

/* ==== Variables ========================================================== */

/* A variable name (doc/behaviour.md §6): an identifier (ASCII letters, digits
 * and '_', not starting with a digit; any non-ASCII character is taken as a
 * letter), at most 80 characters, and not the reserved "states". */
static bool valid_variable(const char *name, size_t len)
{
    if (len == 0 || len > 80 * 4 || (len == 6 && strncmp(name, "states", 6) == 0))
        return false;
    size_t chars = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        chars += (c & 0xC0) != 0x80;
        bool ok = c >= 0x80 || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return false;
    }
    return chars <= 80;
}

/* Every change to and look-up in a table of names the variable check
 * made, for the tests (asl_validate_steps). */
static atomic_size_t var_steps;

size_t asl_validate_steps(void)
{
    return atomic_load(&var_steps);
}

/* The name an Assign key sets ("name" or "name.$"): its length. */
static size_t variable_len(const char *key)
{
    size_t n = strlen(key);
    return n >= 2 && strcmp(key + n - 2, ".$") == 0 ? n - 2 : n;
}

/* Adds delta to name's count in table (a name counted 0 times leaves it). */
static void count(json_t *table, const char *name, json_int_t delta)
{
    atomic_fetch_add(&var_steps, 1);
    json_int_t n = json_integer_value(json_object_get(table, name)) + delta;
    if (n > 0)
        json_object_set_new(table, name, json_integer(n));
    else
        json_object_del(table, name);
}

/* Counts (sign 1) or uncounts (-1) in table every name of counts, as often
 * as counts says. */
static void count_table(json_t *table, json_t *counts, int sign)
{
    const char *name;
    json_t *n;
    json_object_foreach(counts, name, n)
        count(table, name, sign * json_integer_value(n));
}

/* Counts (sign 1) or uncounts (-1) in table the valid names that one Assign
 * object's keys set. */
static void count_assign(json_t *table, json_t *assign, int sign)
{
    const char *key;
    json_t *val;
    json_object_foreach(assign, key, val) {
        size_t len = variable_len(key);
        if (!valid_variable(key, len))
            continue;
        char *name = aslrtp_strdupf("%.*s", (int)len, key);
        count(table, name, sign);
        free(name);
    }
}

/* Checks one Assign object's names; with around (the names the graphs
 * around this one may assign, NULL at the top and inside a distributed
 * Map), also that none of them is assigned again inside a branch or item
 * processor, which AWS forbids.  Counts its names in mine. */
static void check_assign(asl_unit *u, json_t *assign, const char *ptr, json_t *around,
                         json_t *mine)
{
    const char *key;
    json_t *val;
    json_object_foreach(assign, key, val) {
        size_t len = variable_len(key);
        char *kptr = asl_ptr(u, ptr, key);
        if (!valid_variable(key, len)) {
            asl_diag_add(&u->diags, ASL_DIAG_ERROR, kptr, ASL_AT_KEY, 0, "SCHEMA_VALIDATION_FAILED",
                         "'%.*s' is not a valid variable name (an identifier of at most 80 "
                         "characters, not 'states')",
                         (int)len, key);
            continue;
        }
        char *name = asl_strdupf(u, "%.*s", (int)len, key);
        atomic_fetch_add(&var_steps, 1);
        if (around && json_object_get(around, name))
            asl_diag_add(&u->diags, ASL_DIAG_ERROR, kptr, ASL_AT_KEY, 0, "SCHEMA_VALIDATION_FAILED",
                         "The variable '%s' is assigned in an enclosing scope: a Parallel branch "
                         "or Map item processor may read it but not assign it",
                         name);
        count(mine, name, 1);
    }
}

/* Checks and counts the names a graph's states assign (including Choice
 * rules and catchers, which assign in the graph of their state). */
static void graph_assigns(asl_unit *u, const asl_graph *g, json_t *around, json_t *mine)
{
    for (size_t i = 0; i < g->nstates; i++) {
        const asl_state *s = g->states[i];
        if (s->assign)
            check_assign(u, s->assign, asl_ptr(u, s->ptr, "Assign"), around, mine);
        for (size_t j = 0; j < s->nchoices; j++)
            if (s->choices[j]->assign)
                check_assign(u, s->choices[j]->assign, asl_ptr(u, s->choices[j]->ptr, "Assign"),
                             around, mine);
        for (size_t j = 0; j < s->ncatch; j++)
            if (s->catch_[j]->assign)
                check_assign(u, s->catch_[j]->assign, asl_ptr(u, s->catch_[j]->ptr, "Assign"),
                             around, mine);
    }
}

/* Checks the variables of graph g and of the graphs inside it.  around
 * counts the names the graphs around g may assign (NULL: none may be
 * checked against, at the top and inside a distributed Map).  A nested
 * graph may not assign them, nor anything g assigns, except what the
 * catchers of its own state assign: they assign once its branches or
 * iterations have ended (recorded on AWS: a branch and its Parallel's
 * catcher may assign the same name).  One table serves the whole descent:
 * g's names are counted in on the way down and out on the way back, so a
 * machine's check costs a number of steps in proportion to its Assign
 * fields however deep its graphs nest. */
static void validate_variables(asl_unit *u, const asl_graph *g, json_t *around)
{
    json_t *mine = json_object();
    graph_assigns(u, g, around, mine);
    json_t *inner = NULL;       /* around, with mine counted in */
    for (size_t i = 0; i < g->nstates; i++) {
        const asl_state *s = g->states[i];
        if (!s->nbranches && !s->processor)
            continue;
        if (!inner) {
            inner = around ? around : json_object();
            count_table(inner, mine, 1);
        }
        for (size_t j = 0; j < s->ncatch; j++)
            if (s->catch_[j]->assign)
                count_assign(inner, s->catch_[j]->assign, -1);
        for (size_t b = 0; b < s->nbranches; b++)
            validate_variables(u, s->branches[b], inner);
        if (s->processor)
            validate_variables(u, s->processor, s->distributed ? NULL : inner);
        for (size_t j = 0; j < s->ncatch; j++)
            if (s->catch_[j]->assign)
                count_assign(inner, s->catch_[j]->assign, 1);
    }
    if (inner && inner == around)
        count_table(around, mine, -1);
    else
        json_decref(inner);
    json_decref(mine);
}

bool asl_validate_machine(asl_unit *u, const asl_machine *m)
{
    size_t before = u->diags.nerrors;
    for (size_t i = 0; i < m->ngraphs; i++)
        validate_graph(u, m->graphs[i]);
    if (m->top)
        validate_variables(u, m->top, NULL);

    /* Names are unique across the whole machine, nested graphs included. */
    asl_state **sorted = aslrtp_reallocarray(NULL, m->nstates + 1, sizeof *sorted);
    memcpy(sorted, m->states, m->nstates * sizeof *sorted);
    qsort(sorted, m->nstates, sizeof *sorted, cmp_names);
    for (size_t i = 1; i < m->nstates; i++)
        if (strcmp(sorted[i]->name, sorted[i - 1]->name) == 0)
            asl_diag_add(&u->diags, ASL_DIAG_ERROR, sorted[i]->ptr, ASL_AT_KEY, 0,
                         "DUPLICATE_STATE_NAME", "Duplicate State name: %s", sorted[i]->name);
    free(sorted);

    for (size_t i = 0; i < m->nstates; i++) {
        const asl_state *s = m->states[i];
        if (s->type == ASLRT_STATE_TASK && s->resource)
            validate_resource(u, m, s);
        /* ASL spec: a state name is at most 80 Unicode characters. */
        if (aslrtp_utf8_count(s->name, strlen(s->name)) > 80)
            asl_diag_add(&u->diags, ASL_DIAG_ERROR, s->ptr, ASL_AT_KEY, 0, "INVALID_STATE_NAME",
                         "State name is longer than 80 characters: %s", s->name);
        /* doc/behaviour.md §2: a JSONata machine may not hold JSONPath states. */
        if (m->query_language && strcmp(m->query_language, "JSONata") == 0 && s->query_language &&
            strcmp(s->query_language, "JSONPath") == 0)
            asl_diag_add(&u->diags, ASL_DIAG_ERROR, asl_ptr(u, s->ptr, "QueryLanguage"),
                         ASL_AT_VALUE, 0, "SCHEMA_VALIDATION_FAILED",
                         "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole "
                         "state machine");
    }
    return u->diags.nerrors == before;
}

/* ==== What this version runs ============================================ */

static void unsupported(asl_unit *u, asl_severity sev, const char *ptr, asl_anchor a,
                        const char *what)
{
    asl_diag_add(&u->diags, sev, ptr, a, 0, NULL, "%s is not supported yet", what);
}


bool asl_validate_supported(asl_unit *u, const asl_machine *m, asl_severity sev)
{
    size_t before = u->diags.n;
    for (size_t i = 0; i < m->nstates; i++) {
        const asl_state *s = m->states[i];
        if (s->type == ASLRT_STATE_MAP) {
            const char *fmt = s->reader_config
                                  ? json_string_value(json_object_get(s->reader_config, "InputType"))
                                  : NULL;
            if (fmt && (strcmp(fmt, "PARQUET") == 0 || strcmp(fmt, "MANIFEST") == 0))
                unsupported(u, sev, asl_ptr(u, s->ptr, "ItemReader"), ASL_AT_KEY,
                            strcmp(fmt, "PARQUET") == 0 ? "ItemReader InputType PARQUET"
                                                        : "ItemReader InputType MANIFEST");
        }


        /* Every Resource AWS accepts compiles: a Task is answered at run
         * time by a mock or a binding, or fails naming the ways to answer it. */
        if (s->credentials)
            unsupported(u, sev, asl_ptr(u, s->ptr, "Credentials"), ASL_AT_KEY, "Credentials");
    }
    /* Variable references in paths are part of "Assign (variables)". */
    return u->diags.n == before;
}

/*
 * graph.c - `aslc graph`: the state machine drawn in Graphviz DOT or
 * Mermaid, and the lowered control-flow graph as text.
 *
 * DOT and Mermaid come from one walk of the AST, done twice: first every
 * node, nested in clusters (a Parallel or Map state is a cluster holding an
 * entry node that carries its name, one sub-cluster per branch or for the
 * item processor, and a join node where the branches meet); then every
 * edge, at top level.  Edges come last because both languages put a node in
 * the first (sub)graph that mentions it: an edge written inside a cluster
 * would pull the other end into it.
 *
 * Node identifiers are ours (s<state id>, s<id>_join, n_start, n_finish;
 * never "end", a Mermaid keyword); the
 * state names only ever appear inside quoted labels, escaped for the
 * language, so no name can end a label or start a statement.
 */
#include "aslrt_private.h"
#include "graph.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ==== A growing string =================================================== */

typedef struct sbuf {
    char *s;      /* NUL-terminated, or NULL while empty */
    size_t n;     /* length */
    size_t cap;   /* allocated bytes */
} sbuf;

static void sb_putn(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = aslrtp_realloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        char *tmp = aslrtp_malloc((size_t)n + 1);
        vsnprintf(tmp, (size_t)n + 1, fmt, ap2);
        sb_putn(b, tmp, (size_t)n);
        free(tmp);
    }
    va_end(ap2);
}

static const char *sb_str(const sbuf *b)
{
    return b->s ? b->s : "";
}

/* A JSON value as AWS prints it (shortest numbers, compact). */
static void sb_json(sbuf *b, const json_t *v)
{
    char *s = aslrt_json_dumps(v);
    if (!s)
        asl_internal_error(__FILE__, __LINE__, "cannot serialize a JSON value");
    sb_puts(b, s);
    free(s);
}

/* Cuts b to at most max code points, the last one then being "…".  Cuts on
 * a code point boundary (the text is UTF-8: jansson checked it). */
static void sb_truncate(sbuf *b, size_t max)
{
    size_t cps = 0, cut = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (((unsigned char)b->s[i] & 0xC0) == 0x80)
            continue;
        if (cps == max - 1)
            cut = i;
        if (++cps > max) {
            b->n = cut;
            b->s[cut] = '\0';
            sb_puts(b, "\xE2\x80\xA6");
            return;
        }
    }
}

/* Edge labels longer than this are cut: a drawing is for reading. */
#define LABEL_MAX 60

/* ==== Choice rules, in short ============================================= */

/* ASL spec, "Choice Rules": each operator, as written and as drawn.  The
 * Is* tests read "is null" for true and "is not null" for false. */
static const struct cmp_name {
    int op;
    const char *name;   /* the ASL field, without the Path suffix */
    const char *sym;    /* the short form on a drawing */
} cmp_names[] = {
    {ASLRT_CMP_STRING_EQ, "StringEquals", "=="},
    {ASLRT_CMP_STRING_LT, "StringLessThan", "<"},
    {ASLRT_CMP_STRING_GT, "StringGreaterThan", ">"},
    {ASLRT_CMP_STRING_LE, "StringLessThanEquals", "<="},
    {ASLRT_CMP_STRING_GE, "StringGreaterThanEquals", ">="},
    {ASLRT_CMP_STRING_MATCHES, "StringMatches", "matches"},
    {ASLRT_CMP_NUMERIC_EQ, "NumericEquals", "=="},
    {ASLRT_CMP_NUMERIC_LT, "NumericLessThan", "<"},
    {ASLRT_CMP_NUMERIC_GT, "NumericGreaterThan", ">"},
    {ASLRT_CMP_NUMERIC_LE, "NumericLessThanEquals", "<="},
    {ASLRT_CMP_NUMERIC_GE, "NumericGreaterThanEquals", ">="},
    {ASLRT_CMP_BOOLEAN_EQ, "BooleanEquals", "=="},
    {ASLRT_CMP_TIMESTAMP_EQ, "TimestampEquals", "=="},
    {ASLRT_CMP_TIMESTAMP_LT, "TimestampLessThan", "<"},
    {ASLRT_CMP_TIMESTAMP_GT, "TimestampGreaterThan", ">"},
    {ASLRT_CMP_TIMESTAMP_LE, "TimestampLessThanEquals", "<="},
    {ASLRT_CMP_TIMESTAMP_GE, "TimestampGreaterThanEquals", ">="},
    {ASLRT_CMP_IS_NULL, "IsNull", "null"},
    {ASLRT_CMP_IS_PRESENT, "IsPresent", "present"},
    {ASLRT_CMP_IS_NUMERIC, "IsNumeric", "numeric"},
    {ASLRT_CMP_IS_STRING, "IsString", "a string"},
    {ASLRT_CMP_IS_BOOLEAN, "IsBoolean", "a boolean"},
    {ASLRT_CMP_IS_TIMESTAMP, "IsTimestamp", "a timestamp"},
};

static const struct cmp_name *cmp_find(int op)
{
    for (size_t i = 0; i < sizeof cmp_names / sizeof cmp_names[0]; i++)
        if (cmp_names[i].op == op)
            return &cmp_names[i];
    ASL_UNREACHABLE(); /* parse.c only stores the operators above */
}

static bool is_type_test(int op)
{
    return op >= ASLRT_CMP_IS_NULL && op <= ASLRT_CMP_IS_TIMESTAMP;
}

/* `$.x == 1`, `$.s matches "a*"`, `$.y is not null`, `And(..., ...)`, or a
 * JSONata Condition as written. */
static void render_rule(sbuf *b, const asl_rule *r)
{
    switch (r->kind) {
    case ASL_RULE_AND:
    case ASL_RULE_OR:
    case ASL_RULE_NOT:
        sb_puts(b, r->kind == ASL_RULE_AND ? "And(" : r->kind == ASL_RULE_OR ? "Or(" : "Not(");
        for (size_t i = 0; i < r->nkids; i++) {
            if (i)
                sb_puts(b, ", ");
            render_rule(b, r->kids[i]);
        }
        sb_puts(b, ")");
        return;
    case ASL_RULE_CONDITION:
        if (json_is_string(r->condition))
            sb_puts(b, json_string_value(r->condition));
        else
            sb_puts(b, json_is_true(r->condition) ? "true" : "false");
        return;
    case ASL_RULE_TEST:
        break;
    }
    const struct cmp_name *c = cmp_find(r->op);
    sb_puts(b, r->variable ? r->variable : "$");
    if (is_type_test(r->op)) {
        sb_puts(b, json_is_false(r->operand) ? " is not " : " is ");
        sb_puts(b, c->sym);
        return;
    }
    sb_printf(b, " %s ", c->sym);
    if (r->is_path)
        sb_puts(b, json_string_value(r->operand));
    else
        sb_json(b, r->operand);
}

/* ==== The drawing: nodes and edges, in DOT or Mermaid ==================== */

typedef enum {
    N_START, N_END, N_TASK, N_PASS, N_CHOICE, N_WAIT, N_SUCCEED, N_FAIL,
    N_FORK,     /* a Parallel or Map state: its name, at the top of its cluster */
    N_JOIN      /* where its branches meet; its outgoing edges start here */
} node_kind;

typedef enum {
    E_NEXT,     /* Next, End, and the edges into and out of branches */
    E_RULE,     /* a Choice rule */
    E_DEFAULT,  /* a Choice state's Default */
    E_CATCH,    /* a catcher: dashed */
    E_RETRY     /* Retry: a dotted loop back to the state (no rank constraint
                   in DOT, so it never pulls the state down) */
} edge_kind;

typedef struct drawer {
    FILE *out;
    bool mermaid;
    int depth;          /* cluster nesting, for indentation */
} drawer;

typedef struct { char s[48]; } node_id;

static node_id id_of(const asl_state *s, bool join)
{
    node_id id;
    snprintf(id.s, sizeof id.s, "s%zu%s", s->id, join ? "_join" : "");
    return id;
}

static void indent(drawer *d)
{
    for (int i = 0; i <= d->depth; i++)
        fputs("    ", d->out);
}

/* A quoted DOT string: quote and backslash escaped (a backslash would
 * otherwise start \N, \G, \l...), a newline as DOT's \n, other control
 * characters as spaces. */
static void put_dot(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p < 0x20 || *p == 0x7F)
            fputc(' ', out);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

/* A quoted Mermaid string.  Inside quotes only '"' ends the string, but
 * Mermaid then decodes "#code;" entities and, in HTML labels, tags: so
 * '"', '#', '<', '>', '&', '|' and '`' (which starts a Markdown string)
 * become decimal entities, a newline becomes <br>, and other control
 * characters spaces. */
static void put_mermaid(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (strchr("\"#<>&|`", *p))
            fprintf(out, "#%d;", *p);
        else if (*p == '\n')
            fputs("<br>", out);
        else if (*p < 0x20 || *p == 0x7F)
            fputc(' ', out);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static void put_label(drawer *d, const char *s)
{
    if (d->mermaid)
        put_mermaid(d->out, s);
    else
        put_dot(d->out, s);
}

/* One node: label is the state name and, on a second line, its type. */
static void draw_node(drawer *d, const char *id, node_kind k, const char *name,
                      const char *type)
{
    sbuf label = {0};
    sb_puts(&label, name);
    if (type) {
        sb_puts(&label, "\n");
        sb_puts(&label, type);
    }
    indent(d);
    if (d->mermaid) {
        static const char *const open[] = {"((", "((", "[", "(", "{", "{{", "([", "([", "[[", "(("};
        static const char *const close[] = {"))", "))", "]", ")", "}", "}}", "])", "])", "]]", "))"};
        fprintf(d->out, "%s%s", id, open[k]);
        put_label(d, sb_str(&label));
        fputs(close[k], d->out);
        if (k == N_SUCCEED || k == N_FAIL)
            fputs(k == N_SUCCEED ? ":::succeed" : ":::fail", d->out);
        else if (k == N_START || k == N_END || k == N_JOIN)
            fputs(":::marker", d->out);
        fputc('\n', d->out);
    } else {
        static const char *const attrs[] = {
            [N_START] = "shape=oval, style=filled, fillcolor=\"#eeeeee\"",
            [N_END] = "shape=oval, style=filled, fillcolor=\"#eeeeee\"",
            [N_TASK] = "shape=box",
            [N_PASS] = "shape=box, style=rounded",
            [N_CHOICE] = "shape=diamond",
            [N_WAIT] = "shape=hexagon",
            [N_SUCCEED] = "shape=box, style=\"rounded,filled\", fillcolor=\"#c8e6c9\", "
                          "color=\"#2e7d32\"",
            [N_FAIL] = "shape=box, style=\"rounded,filled\", fillcolor=\"#ffcdd2\", "
                       "color=\"#c62828\"",
            [N_FORK] = "shape=box, style=bold",
            [N_JOIN] = "shape=point, width=0.12",
        };
        fprintf(d->out, "%s [label=", id);
        put_label(d, sb_str(&label));
        fprintf(d->out, ", %s];\n", attrs[k]);
    }
    free(label.s);
}

static void draw_edge(drawer *d, const char *from, const char *to, edge_kind k,
                      const char *label)
{
    indent(d);
    if (d->mermaid) {
        fprintf(d->out, "%s %s", from, k == E_CATCH || k == E_RETRY ? "-.->" : "-->");
        if (label) {
            fputc('|', d->out);
            put_label(d, label);
            fputc('|', d->out);
        }
        fprintf(d->out, " %s\n", to);
        return;
    }
    fprintf(d->out, "%s -> %s", from, to);
    if (label || k == E_CATCH || k == E_RETRY) {
        fputs(" [", d->out);
        if (label) {
            fputs("label=", d->out);
            put_label(d, label);
        }
        if (k == E_CATCH || k == E_RETRY)
            fprintf(d->out, "%s%s", label ? ", " : "",
                    k == E_CATCH ? "style=dashed, color=\"#c62828\", fontcolor=\"#c62828\""
                                 : "style=dotted, constraint=false");
        fputc(']', d->out);
    }
    fputs(";\n", d->out);
}

/* Clusters: Parallel and Map states, and each of their branches. */
static void begin_cluster(drawer *d, const char *id, const char *title)
{
    indent(d);
    if (d->mermaid) {
        fprintf(d->out, "subgraph c_%s [", id);
        put_label(d, title ? title : " ");
        fputs("]\n", d->out);
    } else {
        fprintf(d->out, "subgraph cluster_%s {\n", id);
        indent(d);
        fputs("    label=", d->out);
        put_label(d, title ? title : "");
        fprintf(d->out, "; style=%s;\n", title ? "dotted" : "dashed");
    }
    d->depth++;
}

static void end_cluster(drawer *d)
{
    d->depth--;
    indent(d);
    fputs(d->mermaid ? "end\n" : "}\n", d->out);
}

static bool has_cluster(const asl_state *s)
{
    return s->type == ASLRT_STATE_PARALLEL || s->type == ASLRT_STATE_MAP;
}

static const char *type_name(const asl_state *s)
{
    switch (s->type) {
    case ASLRT_STATE_PASS: return "Pass";
    case ASLRT_STATE_TASK: return "Task";
    case ASLRT_STATE_CHOICE: return "Choice";
    case ASLRT_STATE_WAIT: return "Wait";
    case ASLRT_STATE_SUCCEED: return "Succeed";
    case ASLRT_STATE_FAIL: return "Fail";
    case ASLRT_STATE_PARALLEL: return "Parallel";
    case ASLRT_STATE_MAP: return s->distributed ? "Map (distributed)" : "Map";
    }
    ASL_UNREACHABLE();
}

static void draw_nodes(drawer *d, const asl_graph *g)
{
    for (size_t i = 0; i < g->nstates; i++) {
        const asl_state *s = g->states[i];
        node_id id = id_of(s, false);
        if (!has_cluster(s)) {
            static const node_kind kinds[] = {
                [ASLRT_STATE_PASS] = N_PASS, [ASLRT_STATE_TASK] = N_TASK,
                [ASLRT_STATE_CHOICE] = N_CHOICE, [ASLRT_STATE_WAIT] = N_WAIT,
                [ASLRT_STATE_SUCCEED] = N_SUCCEED, [ASLRT_STATE_FAIL] = N_FAIL,
            };
            ASL_ASSERT(s->type >= ASLRT_STATE_PASS && s->type <= ASLRT_STATE_FAIL);
            draw_node(d, id.s, kinds[s->type], s->name, type_name(s));
            continue;
        }
        begin_cluster(d, id.s, NULL);
        draw_node(d, id.s, N_FORK, s->name, type_name(s));
        char sub[64];
        if (s->type == ASLRT_STATE_PARALLEL) {
            for (size_t b = 0; b < s->nbranches; b++) {
                char title[48];
                snprintf(sub, sizeof sub, "g%zu", s->branches[b]->id);
                snprintf(title, sizeof title, "Branch %zu", b + 1);
                begin_cluster(d, sub, title);
                draw_nodes(d, s->branches[b]);
                end_cluster(d);
            }
        } else if (s->processor) {
            snprintf(sub, sizeof sub, "g%zu", s->processor->id);
            begin_cluster(d, sub, "Item processor");
            draw_nodes(d, s->processor);
            end_cluster(d);
        }
        node_id join = id_of(s, true);
        draw_node(d, join.s, N_JOIN, d->mermaid ? " " : "", NULL);
        end_cluster(d);
    }
}

/* The edges of graph g; owner is the Parallel or Map state that holds it,
 * NULL for the state machine itself (whose ends go to the End marker). */
static void draw_edges(drawer *d, const asl_graph *g, const asl_state *owner)
{
    node_id start = owner ? id_of(owner, false) : (node_id){"n_start"};
    node_id end = owner ? id_of(owner, true) : (node_id){"n_finish"};
    const asl_state *first = asl_graph_find(g, g->start_at);
    ASL_ASSERT(first);
    draw_edge(d, start.s, id_of(first, false).s, E_NEXT, NULL);

    sbuf label = {0};
    for (size_t i = 0; i < g->nstates; i++) {
        const asl_state *s = g->states[i];
        node_id from = id_of(s, has_cluster(s));
        if (s->type == ASLRT_STATE_PARALLEL)
            for (size_t b = 0; b < s->nbranches; b++)
                draw_edges(d, s->branches[b], s);
        else if (s->type == ASLRT_STATE_MAP && s->processor)
            draw_edges(d, s->processor, s);

        if (s->type == ASLRT_STATE_CHOICE) {
            for (size_t r = 0; r < s->nchoices; r++) {
                const asl_state *t = asl_graph_find(g, s->choices[r]->next);
                ASL_ASSERT(t);
                label.n = 0;
                render_rule(&label, s->choices[r]);
                sb_truncate(&label, LABEL_MAX);
                draw_edge(d, from.s, id_of(t, false).s, E_RULE, sb_str(&label));
            }
            if (s->default_next) {
                const asl_state *t = asl_graph_find(g, s->default_next);
                ASL_ASSERT(t);
                draw_edge(d, from.s, id_of(t, false).s, E_DEFAULT, "Default");
            }
        } else if (s->next) {
            const asl_state *t = asl_graph_find(g, s->next);
            ASL_ASSERT(t);
            draw_edge(d, from.s, id_of(t, false).s, E_NEXT, NULL);
        } else if (s->type != ASLRT_STATE_FAIL || !owner) {
            /* End: true and Succeed end the graph; a Fail state ends the
             * execution (the console joins it to End), or, in a branch,
             * fails the Parallel or Map state. */
            draw_edge(d, from.s, end.s, E_NEXT, NULL);
        }

        if (s->nretry) {
            label.n = 0;
            sb_puts(&label, "Retry");
            for (size_t r = 0; r < s->nretry; r++) {
                const asl_handler *h = s->retry[r];
                sb_puts(&label, r ? "\n" : ": ");
                for (size_t e = 0; e < h->nerrors; e++) {
                    sb_puts(&label, e ? ", " : "");
                    sb_puts(&label, h->errors[e]);
                }
                sb_printf(&label, " \xC3\x97%lld", h->max_attempts);
            }
            draw_edge(d, from.s, id_of(s, false).s, E_RETRY, sb_str(&label));
        }
        for (size_t c = 0; c < s->ncatch; c++) {
            const asl_handler *h = s->catch_[c];
            const asl_state *t = asl_graph_find(g, h->next);
            ASL_ASSERT(t);
            label.n = 0;
            sb_puts(&label, "Catch: ");
            for (size_t e = 0; e < h->nerrors; e++) {
                sb_puts(&label, e ? ", " : "");
                sb_puts(&label, h->errors[e]);
            }
            sb_truncate(&label, LABEL_MAX);
            draw_edge(d, from.s, id_of(t, false).s, E_CATCH, sb_str(&label));
        }
    }
    free(label.s);
}

bool asl_draw_parse_format(const char *name, asl_draw_format *f)
{
    if (strcmp(name, "dot") == 0)
        *f = ASL_DRAW_DOT;
    else if (strcmp(name, "mermaid") == 0)
        *f = ASL_DRAW_MERMAID;
    else if (strcmp(name, "ir") == 0)
        *f = ASL_DRAW_IR;
    else
        return false;
    return true;
}

bool asl_draw_dot(FILE *out, const asl_machine *m, const char *name)
{
    drawer d = {.out = out, .mermaid = false};
    fputs("digraph ", out);
    put_dot(out, name);
    fputs(" {\n"
          "    graph [fontname=\"Helvetica\", fontsize=10];\n"
          "    node [fontname=\"Helvetica\", fontsize=11];\n"
          "    edge [fontname=\"Helvetica\", fontsize=9];\n",
          out);
    draw_node(&d, "n_start", N_START, "Start", NULL);
    draw_nodes(&d, m->top);
    draw_node(&d, "n_finish", N_END, "End", NULL);
    draw_edges(&d, m->top, NULL);
    fputs("}\n", out);
    return !ferror(out);
}

bool asl_draw_mermaid(FILE *out, const asl_machine *m)
{
    drawer d = {.out = out, .mermaid = true};
    fputs("flowchart TD\n"
          "    classDef succeed fill:#c8e6c9,stroke:#2e7d32\n"
          "    classDef fail fill:#ffcdd2,stroke:#c62828\n"
          "    classDef marker fill:#eeeeee\n",
          out);
    draw_node(&d, "n_start", N_START, "Start", NULL);
    draw_nodes(&d, m->top);
    draw_node(&d, "n_finish", N_END, "End", NULL);
    draw_edges(&d, m->top, NULL);
    return !ferror(out);
}

/* ==== The control-flow graph as text ===================================== */

/* A string as a JSON string literal: escaped, so any name prints on one
 * line.  With max, cut to that many code points. */
static void put_quoted(FILE *out, const char *s, size_t max)
{
    sbuf b = {0};
    sb_puts(&b, s);
    if (max)
        sb_truncate(&b, max);
    json_t *v = json_string(sb_str(&b));
    char *t = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
    if (!t)
        asl_internal_error(__FILE__, __LINE__, "cannot quote a string");
    fputs(t, out);
    free(t);
    json_decref(v);
    free(b.s);
}

static const char *item_kind_name(int kind)
{
    switch (kind) {
    case ASLRT_ITEM_JSON: return "json";
    case ASLRT_ITEM_PATH: return "path";
    case ASLRT_ITEM_REFPATH: return "refpath";
    case ASLRT_ITEM_TEMPLATE: return "template";
    case ASLRT_ITEM_INTRINSIC: return "intrinsic";
    case ASLRT_ITEM_JSONATA: return "jsonata";
    }
    return "none";
}

/* An item's text: JSON, templates and JSONata values are JSON text on one
 * line, shown as they are; paths and intrinsic calls are quoted.  With
 * max, cut to that many code points. */
static void put_item_text(FILE *out, const ir_item *it, size_t max)
{
    if (it->kind != ASLRT_ITEM_JSON && it->kind != ASLRT_ITEM_TEMPLATE &&
        it->kind != ASLRT_ITEM_JSONATA) {
        put_quoted(out, it->text, max);
        return;
    }
    sbuf b = {0};
    sb_puts(&b, it->text);
    if (max)
        sb_truncate(&b, max);
    fputs(b.s, out);
    free(b.s);
}

/* An item operand: i3 "$.a" (its text cut short; the items table at the
 * end has it whole), or what ASLRT_NONE and ASLRT_NULL_PATH mean here. */
static void put_item(FILE *out, const asl_cfg *c, int item, const char *none)
{
    if (item == ASLRT_NULL_PATH) {
        fputs("null", out);
    } else if (item == ASLRT_NONE || item < 0 || (size_t)item >= c->nitems) {
        fputs(none, out);
    } else {
        fprintf(out, "i%d ", item);
        put_item_text(out, &c->items[item], 40);
    }
}

static void put_op(FILE *out, const asl_cfg *c, const ir_op *o)
{
    static const char *const names[] = {
        [IR_ENTER] = "enter", [IR_INPUT_PATH] = "input_path",
        [IR_PARAMETERS] = "parameters", [IR_RESULT_JSON] = "result_json",
        [IR_RESULT_INPUT] = "result_input", [IR_INVOKE] = "invoke",
        [IR_RESULT_SELECTOR] = "result_selector", [IR_RESULT_PATH] = "result_path",
        [IR_OUTPUT_PATH] = "output_path", [IR_WAIT] = "wait", [IR_PARALLEL] = "parallel",
        [IR_MAP] = "map", [IR_ASSIGN_EFF] = "assign_effective",
        [IR_ASSIGN_RES] = "assign_result", [IR_EXIT] = "exit",
        [IR_JN_ARGUMENTS] = "jsonata_arguments", [IR_JN_ASSIGN] = "jsonata_assign",
        [IR_JN_OUTPUT] = "jsonata_output",
    };
    fprintf(out, "        %s", names[o->kind]);
    switch (o->kind) {
    case IR_ENTER:
        fprintf(out, " state %d", o->arg);
        break;
    case IR_INPUT_PATH:
    case IR_RESULT_PATH:
    case IR_OUTPUT_PATH:
        fputc(' ', out);
        put_item(out, c, o->arg, "$");
        break;
    case IR_PARAMETERS:
    case IR_RESULT_JSON:
    case IR_RESULT_SELECTOR:
    case IR_ASSIGN_EFF:
    case IR_ASSIGN_RES:
    case IR_JN_ARGUMENTS:
    case IR_JN_ASSIGN:
        fputc(' ', out);
        put_item(out, c, o->arg, "none");
        break;
    case IR_JN_OUTPUT:
        fputc(' ', out);
        put_item(out, c, o->arg, "default");
        break;
    default:
        break;
    }
    fputc('\n', out);
}

static void put_cmp(FILE *out, const asl_cfg *c, int i)
{
    const aslrt_cmp *k = &c->cmps[i];
    fprintf(out, "c%d(", i);
    put_item(out, c, k->variable, "$");
    fprintf(out, " %s%s ", cmp_find(k->op)->name, k->is_path ? "Path" : "");
    put_item(out, c, k->operand, "none");
    fputc(')', out);
}

static void put_cond(FILE *out, const asl_cfg *c, const ir_cond *k)
{
    switch (k->kind) {
    case ASL_RULE_TEST:
        put_cmp(out, c, k->cmp);
        return;
    case ASL_RULE_CONDITION:
        if (k->item == ASLRT_NONE)
            fputs(k->literal ? "true" : "false", out);
        else
            put_item(out, c, k->item, "none");
        return;
    default:
        fputs(k->kind == ASL_RULE_AND ? "And(" : k->kind == ASL_RULE_OR ? "Or(" : "Not(", out);
        for (size_t i = 0; i < k->nkids; i++) {
            if (i)
                fputs(", ", out);
            put_cond(out, c, k->kids[i]);
        }
        fputc(')', out);
    }
}

/* "@3 "Name"": a node of the same graph, by index and state name. */
static void put_target(FILE *out, const ir_graph *g, int target)
{
    fprintf(out, "@%d ", target);
    put_quoted(out, g->nodes[target].state->name, 0);
}

static void put_node(FILE *out, const asl_cfg *c, const ir_graph *g, size_t i)
{
    const ir_node *n = &g->nodes[i];
    fprintf(out, "    @%zu ", i);
    put_quoted(out, n->state->name, 0);
    fprintf(out, " %s%s, state %d\n", type_name(n->state), n->jsonata ? " (JSONata)" : "",
            n->id);
    for (size_t j = 0; j < n->nops; j++)
        put_op(out, c, &n->ops[j]);
    if (n->recovers) {
        const aslrt_state *d = &c->states[n->id];
        fputs("        on error:", out);
        if (d->nretriers)
            fprintf(out, " retry r%d..r%d", d->retrier, d->retrier + d->nretriers - 1);
        for (size_t k = 0; k < n->ncatch; k++) {
            fprintf(out, "%s catch k%d -> ", k || d->nretriers ? "," : "", d->catcher + (int)k);
            put_target(out, g, n->catch_targets[k]);
        }
        fputc('\n', out);
    }
    switch (n->term) {
    case IR_GOTO:
        fputs("        goto ", out);
        put_target(out, g, n->next);
        fputc('\n', out);
        break;
    case IR_RETURN:
        fputs("        return\n", out);
        break;
    case IR_FAIL:
        fputs("        fail\n", out);
        break;
    case IR_CHOOSE:
        fputs("        choose\n", out);
        for (size_t a = 0; a < n->narms; a++) {
            const ir_arm *arm = &n->arms[a];
            fputs("          when ", out);
            put_cond(out, c, arm->cond);
            fputs(" -> ", out);
            put_target(out, g, arm->target);
            if (arm->assign != ASLRT_NONE) {
                fputs(", assign ", out);
                put_item(out, c, arm->assign, "none");
            }
            if (arm->output != ASLRT_NONE) {
                fputs(", output ", out);
                put_item(out, c, arm->output, "none");
            }
            fputc('\n', out);
        }
        fputs("          default -> ", out);
        if (n->next >= 0)
            put_target(out, g, n->next);
        else
            fputs(ASLRTP_ERR_NO_CHOICE_MATCHED, out);
        if (n->default_assign != ASLRT_NONE) {
            fputs(", assign ", out);
            put_item(out, c, n->default_assign, "none");
        }
        if (n->default_output != ASLRT_NONE) {
            fputs(", output ", out);
            put_item(out, c, n->default_output, "none");
        }
        fputc('\n', out);
        fputs("        then\n", out);
        for (size_t j = 0; j < n->nafter; j++) {
            fputs("  ", out);
            put_op(out, c, &n->after_choice[j]);
        }
        break;
    }
}

/* Where graph gi comes from: the state machine, or a branch or the item
 * processor of a state. */
static void put_graph_title(FILE *out, const asl_cfg *c, size_t gi)
{
    fprintf(out, "graph %zu: ", gi);
    if (gi == 0) {
        fputs("state machine", out);
        return;
    }
    for (size_t s = 0; s < c->nstates; s++) {
        const aslrt_state *d = &c->states[s];
        for (int b = 0; b < d->nbranches; b++)
            if (c->branch_lists[s][b] == (int)gi) {
                fprintf(out, "branch %d of ", b + 1);
                put_quoted(out, d->name, 0);
                fprintf(out, " (state %zu)", s);
                return;
            }
        if (d->type == ASLRT_STATE_MAP && d->processor == (int)gi) {
            fputs("item processor of ", out);
            put_quoted(out, d->name, 0);
            fprintf(out, " (state %zu)", s);
            return;
        }
    }
    ASL_UNREACHABLE(); /* every graph but the first belongs to a state */
}

static void put_errors(FILE *out, const char *const *errors, size_t n)
{
    fputc('[', out);
    for (size_t e = 0; e < n; e++) {
        if (e)
            fputs(", ", out);
        put_quoted(out, errors[e], 0);
    }
    fputc(']', out);
}

/* The non-default fields of a state descriptor. */
static void put_state(FILE *out, const asl_cfg *c, size_t i)
{
    const aslrt_state *d = &c->states[i];
    static const char *const types[] = {"?", "Pass", "Task", "Choice", "Wait", "Succeed",
                                        "Fail", "Parallel", "Map"};
    fprintf(out, "    %zu ", i);
    put_quoted(out, d->name, 0);
    fprintf(out, " %s", d->type >= 1 && d->type <= 8 ? types[d->type] : "?");
    if (d->resource) {
        fputs(" resource ", out);
        put_quoted(out, d->resource, 0);
    }
    if (d->timeout_seconds)
        fprintf(out, " timeout %d", d->timeout_seconds);
    if (d->heartbeat_seconds)
        fprintf(out, " heartbeat %d", d->heartbeat_seconds);
    if (d->type == ASLRT_STATE_WAIT && d->seconds >= 0)
        fprintf(out, " seconds %lld", d->seconds);
    if (d->timestamp) {
        fputs(" timestamp ", out);
        put_quoted(out, d->timestamp, 0);
    }
    if (d->error) {
        fputs(" error ", out);
        put_quoted(out, d->error, 0);
    }
    if (d->cause) {
        fputs(" cause ", out);
        put_quoted(out, d->cause, 0);
    }
    static const struct {
        const char *name;
        size_t offset;
    } paths[] = {
        {"timeout_path", offsetof(aslrt_state, timeout_path)},
        {"heartbeat_path", offsetof(aslrt_state, heartbeat_path)},
        {"seconds_path", offsetof(aslrt_state, seconds_path)},
        {"timestamp_path", offsetof(aslrt_state, timestamp_path)},
        {"error_path", offsetof(aslrt_state, error_path)},
        {"cause_path", offsetof(aslrt_state, cause_path)},
        {"items", offsetof(aslrt_state, items_path)},
        {"item_selector", offsetof(aslrt_state, item_selector)},
        {"max_concurrency_path", offsetof(aslrt_state, max_concurrency_path)},
        {"tolerated_count_path", offsetof(aslrt_state, tolerated_count_path)},
        {"tolerated_percentage_path", offsetof(aslrt_state, tolerated_percentage_path)},
        {"reader_params", offsetof(aslrt_state, reader_params)},
        {"reader_config", offsetof(aslrt_state, reader_config)},
        {"reader_max_items_path", offsetof(aslrt_state, reader_max_items_path)},
        {"batch_max_items_path", offsetof(aslrt_state, batch_max_items_path)},
        {"batch_max_bytes_path", offsetof(aslrt_state, batch_max_bytes_path)},
        {"batch_input", offsetof(aslrt_state, batch_input)},
        {"writer_params", offsetof(aslrt_state, writer_params)},
        {"writer_config", offsetof(aslrt_state, writer_config)},
    };
    for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
        int item = *(const int *)((const char *)d + paths[p].offset);
        if (item != ASLRT_NONE) {
            fprintf(out, " %s ", paths[p].name);
            put_item(out, c, item, "none");
        }
    }
    if (d->nbranches) {
        fputs(" branches", out);
        for (int b = 0; b < d->nbranches; b++)
            fprintf(out, " g%d", c->branch_lists[i][b]);
    }
    if (d->type == ASLRT_STATE_MAP) {
        fprintf(out, " processor g%d", d->processor);
        if (d->max_concurrency)
            fprintf(out, " max_concurrency %d", d->max_concurrency);
        if (d->distributed)
            fputs(" distributed", out);
        if (d->tolerated_count >= 0)
            fprintf(out, " tolerated_count %d", d->tolerated_count);
        if (d->tolerated_percentage >= 0)
            fprintf(out, " tolerated_percentage %g", d->tolerated_percentage);
        if (d->reader_resource) {
            fputs(" reader ", out);
            put_quoted(out, d->reader_resource, 0);
        }
        if (d->reader_max_items)
            fprintf(out, " reader_max_items %d", d->reader_max_items);
        if (d->batched)
            fprintf(out, " batched max_items %d max_bytes %d", d->batch_max_items,
                    d->batch_max_bytes);
        if (d->writer_resource) {
            fputs(" writer ", out);
            put_quoted(out, d->writer_resource, 0);
        }
    }
    if (d->nretriers)
        fprintf(out, " retriers r%d..r%d", d->retrier, d->retrier + d->nretriers - 1);
    if (d->ncatchers)
        fprintf(out, " catchers k%d..k%d", d->catcher, d->catcher + d->ncatchers - 1);
    fputc('\n', out);
}

bool asl_draw_ir(FILE *out, const asl_cfg *c)
{
    fputs("machine ", out);
    put_quoted(out, c->name, 0);
    if (c->timeout_seconds)
        fprintf(out, ", timeout %lld s", c->timeout_seconds);
    if (c->flags & ASLRT_MACHINE_USES_CONTEXT)
        fputs(", uses the context object", out);
    fputc('\n', out);

    for (size_t gi = 0; gi < c->ngraphs; gi++) {
        const ir_graph *g = &c->graphs[gi];
        fputc('\n', out);
        put_graph_title(out, c, gi);
        fprintf(out, ", start @%d\n", g->start);
        for (size_t i = 0; i < g->nnodes; i++)
            put_node(out, c, g, i);
    }

    fputs("\nstates\n", out);
    for (size_t i = 0; i < c->nstates; i++)
        put_state(out, c, i);
    if (c->nretriers)
        fputs("retriers\n", out);
    for (size_t i = 0; i < c->nretriers; i++) {
        const ir_retrier *r = &c->retriers[i];
        fprintf(out, "    r%zu ", i);
        put_errors(out, r->errors, r->nerrors);
        fprintf(out, " interval %g backoff %g max_attempts %lld", r->interval, r->backoff,
                r->max_attempts);
        if (r->max_delay)
            fprintf(out, " max_delay %lld", r->max_delay);
        if (r->jitter_full)
            fputs(" jitter FULL", out);
        fputc('\n', out);
    }
    if (c->ncatchers)
        fputs("catchers\n", out);
    for (size_t i = 0; i < c->ncatchers; i++) {
        const ir_catcher *k = &c->catchers[i];
        fprintf(out, "    k%zu ", i);
        put_errors(out, k->errors, k->nerrors);
        fputs(" result_path ", out);
        put_item(out, c, k->result_path, "$");
        if (k->assign != ASLRT_NONE) {
            fputs(" assign ", out);
            put_item(out, c, k->assign, "none");
        }
        if (k->output != ASLRT_NONE) {
            fputs(" output ", out);
            put_item(out, c, k->output, "none");
        }
        fputc('\n', out);
    }
    if (c->nitems > 1)
        fputs("items\n", out);
    for (size_t i = 1; i < c->nitems; i++) {
        const ir_item *it = &c->items[i];
        fprintf(out, "    i%zu %s", i, item_kind_name(it->kind));
        if (it->field)
            fprintf(out, " (%s)", it->field);
        fputc(' ', out);
        put_item_text(out, it, 0);
        if (it->kind == ASLRT_ITEM_JSONATA)
            fprintf(out, ", %zu expression%s", it->nexprs, it->nexprs == 1 ? "" : "s");
        fputc('\n', out);
    }
    return !ferror(out);
}

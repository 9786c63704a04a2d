/*
 * emit_c.c - the C backend: asl_cfg to C source.
 *
 * The output is one translation unit that includes only aslrt.h.  Constant
 * tables first (the JSONata trees, written by emit_jsonata.c; items,
 * comparisons, branch lists, retriers, catchers, state descriptors), then
 * per graph a static function per state, whose operations are aslrt_op_*
 * calls that fail the state when they report an error, whose Choice rules
 * are C conditions and which returns the next state's index; a table of
 * those functions; and the graph function, a loop that calls them in turn.
 * Small functions keep a C compiler's time linear in the number of states
 * (doc/architecture.md).  The only external symbols are `<prefix>_machine`
 * and, with --main, `main`.
 *
 * Safety: every string from the definition is written through ctext.c, as
 * a fully escaped C literal or a sanitised comment, so no definition can
 * inject code.  The output carries no date or version and
 * names its definition by the path given on the command line, never an
 * absolute one, so it is reproducible and golden files stay stable.
 */
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"
#include "backend.h"

static void put_literal(FILE *out, const char *s)
{
    asl_put_literal_n(out, s, s ? strlen(s) : 0);
}

static const char *item_kind_name(int k)
{
    switch (k) {
    case 0: return "0";
    case ASLRT_ITEM_JSON: return "ASLRT_ITEM_JSON";
    case ASLRT_ITEM_PATH: return "ASLRT_ITEM_PATH";
    case ASLRT_ITEM_REFPATH: return "ASLRT_ITEM_REFPATH";
    case ASLRT_ITEM_TEMPLATE: return "ASLRT_ITEM_TEMPLATE";
    case ASLRT_ITEM_INTRINSIC: return "ASLRT_ITEM_INTRINSIC";
    case ASLRT_ITEM_JSONATA: return "ASLRT_ITEM_JSONATA";
    }
    ASL_UNREACHABLE();
}

static const char *state_type_name(int t)
{
    static const char *const names[] = {NULL, "ASLRT_STATE_PASS", "ASLRT_STATE_TASK",
                                        "ASLRT_STATE_CHOICE", "ASLRT_STATE_WAIT",
                                        "ASLRT_STATE_SUCCEED", "ASLRT_STATE_FAIL",
                                        "ASLRT_STATE_PARALLEL", "ASLRT_STATE_MAP"};
    ASL_ASSERT(t >= 1 && t <= 8);
    return names[t];
}

static const char *cmp_name(int op)
{
    static const char *const names[] = {
        NULL, "ASLRT_CMP_STRING_EQ", "ASLRT_CMP_STRING_LT", "ASLRT_CMP_STRING_GT",
        "ASLRT_CMP_STRING_LE", "ASLRT_CMP_STRING_GE", "ASLRT_CMP_STRING_MATCHES",
        "ASLRT_CMP_NUMERIC_EQ", "ASLRT_CMP_NUMERIC_LT", "ASLRT_CMP_NUMERIC_GT",
        "ASLRT_CMP_NUMERIC_LE", "ASLRT_CMP_NUMERIC_GE", "ASLRT_CMP_BOOLEAN_EQ",
        "ASLRT_CMP_TIMESTAMP_EQ", "ASLRT_CMP_TIMESTAMP_LT", "ASLRT_CMP_TIMESTAMP_GT",
        "ASLRT_CMP_TIMESTAMP_LE", "ASLRT_CMP_TIMESTAMP_GE", "ASLRT_CMP_IS_NULL",
        "ASLRT_CMP_IS_PRESENT", "ASLRT_CMP_IS_NUMERIC", "ASLRT_CMP_IS_STRING",
        "ASLRT_CMP_IS_BOOLEAN", "ASLRT_CMP_IS_TIMESTAMP"};
    ASL_ASSERT(op >= 1 && op <= ASLRT_CMP_IS_TIMESTAMP);
    return names[op];
}

static void put_index(FILE *out, int i)
{
    if (i == ASLRT_NONE)
        fputs("ASLRT_NONE", out);
    else if (i == ASLRT_NULL_PATH)
        fputs("ASLRT_NULL_PATH", out);
    else
        fprintf(out, "%d", i);
}

static void put_errors(FILE *out, const char *what, size_t i, const char **errors, size_t n)
{
    fprintf(out, "static const char *const %s%zu_errors[] = {", what, i);
    for (size_t j = 0; j < n; j++) {
        fputs(j ? ", " : "", out);
        put_literal(out, errors[j]);
    }
    fputs("};\n", out);
}

static void emit_tables(FILE *out, const asl_cfg *c)
{
    /* JSONata expressions, parsed by aslc: static ASTs the runtime walks. */
    for (size_t i = 0; i < c->nitems; i++) {
        const ir_item *it = &c->items[i];
        if (it->kind != ASLRT_ITEM_JSONATA || !it->nexprs)
            continue;
        char prefix[64];
        for (size_t k = 0; k < it->nexprs; k++) {
            snprintf(prefix, sizeof prefix, "jn%zu_%zu", i, k);
            asl_emit_jsonata(out, it->exprs[k], prefix);
        }
        fprintf(out, "static const aslrt_jn_node *const jn%zu[] = {", i);
        for (size_t k = 0; k < it->nexprs; k++)
            fprintf(out, "%s&jn%zu_%zu", k ? ", " : "", i, k);
        fputs("};\n\n", out);
    }
    fprintf(out, "static const aslrt_item items[] = {\n");
    for (size_t i = 0; i < c->nitems; i++) {
        const ir_item *it = &c->items[i];
        fprintf(out, "    /* %zu */ {.kind = %s, .text = ", i, item_kind_name(it->kind));
        put_literal(out, it->text);
        if (it->kind == ASLRT_ITEM_JSONATA) {
            fputs(", .field = ", out);
            put_literal(out, it->field);
            if (it->nexprs)
                fprintf(out, ", .exprs = jn%zu, .nexprs = %zu", i, it->nexprs);
        }
        fputs("},\n", out);
    }
    if (!c->nitems)
        fputs("    {.kind = 0}\n", out);
    fputs("};\n\n", out);

    fputs("static const aslrt_cmp cmps[] = {\n", out);
    for (size_t i = 0; i < c->ncmps; i++)
        fprintf(out, "    /* %zu */ {%d, %s, %d, %d},\n", i, c->cmps[i].variable,
                cmp_name(c->cmps[i].op), c->cmps[i].operand, c->cmps[i].is_path);
    if (!c->ncmps)
        fputs("    {0, 0, 0, 0}\n", out);
    fputs("};\n\n", out);

    for (size_t i = 0; i < c->nstates; i++) {
        if (!c->branch_lists[i])
            continue;
        fprintf(out, "static const int branches%zu[] = {", i);
        for (int j = 0; j < c->states[i].nbranches; j++)
            fprintf(out, "%s%d", j ? ", " : "", c->branch_lists[i][j]);
        fputs("};\n", out);
    }
    /* State descriptors name their fields and leave out zeros (absent
     * items are 0, ASLRT_NONE), so that they stay readable and any
     * C compiler takes them without a missing-initializer warning. */
    fputs("static const aslrt_state states[] = {\n", out);
    for (size_t i = 0; i < c->nstates; i++) {
        const aslrt_state *s = &c->states[i];
        fprintf(out, "    /* %zu */ {.name = ", i);
        put_literal(out, s->name);
        fprintf(out, ", .type = %s", state_type_name(s->type));
        if (s->jsonata)
            fputs(", .jsonata = 1", out);
#define STR_FIELD(f)                  \
    if (s->f) {                       \
        fputs(", ." #f " = ", out);   \
        put_literal(out, s->f);       \
    }
#define INT_FIELD(f)                                          \
    if (s->f)                                                 \
        fprintf(out, ", ." #f " = %lld", (long long)s->f);
#define ITEM_FIELD(f)                 \
    if (s->f != ASLRT_NONE) {         \
        fputs(", ." #f " = ", out);   \
        put_index(out, s->f);         \
    }
        STR_FIELD(resource)
        INT_FIELD(timeout_seconds)
        ITEM_FIELD(timeout_path)
        INT_FIELD(heartbeat_seconds)
        ITEM_FIELD(heartbeat_path)
        if (s->type == ASLRT_STATE_WAIT && s->seconds) /* -1: no Seconds field */
            fprintf(out, ", .seconds = %lldLL", s->seconds);
        STR_FIELD(timestamp)
        ITEM_FIELD(seconds_path)
        ITEM_FIELD(timestamp_path)
        STR_FIELD(error)
        STR_FIELD(cause)
        ITEM_FIELD(error_path)
        ITEM_FIELD(cause_path)
        if (s->nretriers)
            fprintf(out, ", .retrier = %d, .nretriers = %d", s->retrier, s->nretriers);
        if (s->ncatchers)
            fprintf(out, ", .catcher = %d, .ncatchers = %d", s->catcher, s->ncatchers);
        if (c->branch_lists[i])
            fprintf(out, ", .branches = branches%zu, .nbranches = %d", i, s->nbranches);
        if (s->type == ASLRT_STATE_MAP)
            fprintf(out, ", .processor = %d", s->processor);
        ITEM_FIELD(items_path)
        ITEM_FIELD(item_selector)
        INT_FIELD(max_concurrency)
        ITEM_FIELD(max_concurrency_path)
        INT_FIELD(distributed)
        if (s->type == ASLRT_STATE_MAP) { /* -1: not given */
            INT_FIELD(tolerated_count)
            if (s->tolerated_percentage)
                fprintf(out, ", .tolerated_percentage = %.17g", s->tolerated_percentage);
        }
        ITEM_FIELD(tolerated_count_path)
        ITEM_FIELD(tolerated_percentage_path)
        STR_FIELD(reader_resource)
        ITEM_FIELD(reader_params)
        ITEM_FIELD(reader_config)
        INT_FIELD(reader_max_items)
        ITEM_FIELD(reader_max_items_path)
        INT_FIELD(batched)
        INT_FIELD(batch_max_items)
        ITEM_FIELD(batch_max_items_path)
        INT_FIELD(batch_max_bytes)
        ITEM_FIELD(batch_max_bytes_path)
        ITEM_FIELD(batch_input)
        INT_FIELD(writes)
        STR_FIELD(writer_resource)
        ITEM_FIELD(writer_params)
        ITEM_FIELD(writer_config)
        STR_FIELD(label)
#undef STR_FIELD
#undef INT_FIELD
#undef ITEM_FIELD
        fputs("},\n", out);
    }
    fputs("};\n\n", out);

    /* Retry and Catch: ErrorEquals lists, then the tables. */
    for (size_t i = 0; i < c->nretriers; i++)
        put_errors(out, "retry", i, c->retriers[i].errors, c->retriers[i].nerrors);
    for (size_t i = 0; i < c->ncatchers; i++)
        put_errors(out, "catch", i, c->catchers[i].errors, c->catchers[i].nerrors);
    fputs("static const aslrt_retrier retriers[] = {\n", out);
    for (size_t i = 0; i < c->nretriers; i++) {
        const ir_retrier *r = &c->retriers[i];
        fprintf(out, "    /* %zu */ {retry%zu_errors, %zu, %.17g, %lld, %.17g, %lld, %d},\n", i, i,
                r->nerrors, r->interval, r->max_attempts, r->backoff, r->max_delay,
                r->jitter_full);
    }
    if (!c->nretriers)
        fputs("    {0, 0, 0, 0, 0, 0, 0}\n", out);
    fputs("};\n\nstatic const aslrt_catcher catchers[] = {\n", out);
    for (size_t i = 0; i < c->ncatchers; i++) {
        fprintf(out, "    /* %zu */ {catch%zu_errors, %zu, ", i, i, c->catchers[i].nerrors);
        put_index(out, c->catchers[i].result_path);
        fputs(", ", out);
        put_index(out, c->catchers[i].assign);
        fputs(", ", out);
        put_index(out, c->catchers[i].output);
        fputs("},\n", out);
    }
    if (!c->ncatchers)
        fputs("    {0, 0, 0, 0, 0}\n", out);
    fputs("};\n\n", out);
}

static void indent(FILE *out, int depth)
{
    for (int i = 0; i < depth; i++)
        fputs("    ", out);
}

/* One op: a runtime call that goes to `onfail` when it reports an error:
 * "return FAILED" or "goto error". */
static void emit_op(FILE *out, const ir_op *o, const char *onfail, int depth)
{
    ir_op_call call = ir_op_runtime_call(o->kind);
    indent(out, depth);
    fprintf(out, "if (!%s(ex, f", call.fn);
    if (call.nargs == 2) {
        fprintf(out, ", %d, %d", o->arg, o->kind == IR_ASSIGN_RES);
    } else if (call.nargs == 1) {
        fputs(", ", out);
        put_index(out, o->arg);
    }
    fprintf(out, ")) %s;\n", onfail);
}

/* Leaves the truth of k in r (0 or 1); a test that errs fails the state. */
static void emit_cond(FILE *out, const ir_cond *k, int depth)
{
    switch (k->kind) {
    case ASL_RULE_TEST:
        indent(out, depth);
        fprintf(out, "r = aslrt_op_test(ex, f, %d);\n", k->cmp);
        indent(out, depth);
        fputs("if (r < 0) return FAILED;\n", out);
        return;
    case ASL_RULE_CONDITION:
        indent(out, depth);
        if (k->item == ASLRT_NONE) {
            fprintf(out, "r = %d;\n", k->literal);
            return;
        }
        fprintf(out, "r = aslrt_op_jn_condition(ex, f, %d);\n", k->item);
        indent(out, depth);
        fputs("if (r < 0) return FAILED;\n", out);
        return;
    case ASL_RULE_NOT:
        emit_cond(out, k->kids[0], depth);
        indent(out, depth);
        fputs("r = !r;\n", out);
        return;
    case ASL_RULE_AND:
    case ASL_RULE_OR:
        /* Short-circuit, as AWS evaluates And/Or: a later operand whose path
         * is missing is never looked at once the result is known. */
        emit_cond(out, k->kids[0], depth);
        for (size_t i = 1; i < k->nkids; i++) {
            indent(out, depth + (int)i - 1);
            fputs(k->kind == ASL_RULE_AND ? "if (r) {\n" : "if (!r) {\n", out);
            emit_cond(out, k->kids[i], depth + (int)i);
        }
        for (size_t i = k->nkids - 1; i >= 1; i--) {
            indent(out, depth + (int)i - 1);
            fputs("}\n", out);
        }
        return;
    }
}

/* What a Choice does once it has chosen (arm j, or Default when j is
 * narms): the rule's Assign (the state's for Default), in JSONata its
 * Output, the ops after the choice, then on to the target. */
static void emit_chosen(FILE *out, const ir_node *n, size_t j, int depth)
{
    int target = j < n->narms ? n->arms[j].target : n->next;
    int assign = j < n->narms ? n->arms[j].assign : n->default_assign;
    if (n->jsonata) {
        /* JSONata: the rule's Assign and Output (doc/behaviour.md §10), the
         * state's where the rule has none. */
        int output = j < n->narms && n->arms[j].output != ASLRT_NONE ? n->arms[j].output
                                                                     : n->default_output;
        ir_op o = {IR_JN_ASSIGN, assign};
        if (assign != ASLRT_NONE)
            emit_op(out, &o, "return FAILED", depth);
        o = (ir_op){IR_JN_OUTPUT, output};
        if (output != ASLRT_NONE)
            emit_op(out, &o, "return FAILED", depth);
    } else if (assign != ASLRT_NONE) {
        ir_op o = {IR_ASSIGN_EFF, assign};
        emit_op(out, &o, "return FAILED", depth);
    }
    for (size_t k = 0; k < n->nafter; k++)
        emit_op(out, &n->after_choice[k], "return FAILED", depth);
    indent(out, depth);
    fprintf(out, "return %d;\n", target);
}

/* Node i of graph g as a state function: it runs the state's ops, its
 * Choice rules and its own Retry and Catch, and returns the index of the
 * next node, END or FAILED.  Each function is small and stands alone, so
 * that a C compiler's time grows with the number of states and not faster
 * (doc/architecture.md). */
static void emit_state(FILE *out, const ir_graph *g, size_t i)
{
    const ir_node *n = &g->nodes[i];
    fputs("/* \"", out);
    asl_put_comment_text(out, n->state->name);
    fprintf(out, "\", states[%d] */\nstatic int g%d_s%zu(aslrt_exec *ex, aslrt_frame *f)\n{\n",
            n->id, g->id, i);
    if (n->term == IR_CHOOSE)
        fputs("    int r;\n\n", out);
    /* A state with Retry or Catch: its ops after the entry go to the
     * recovery, which retries from the retry label, catches, or lets the
     * error stand. */
    const char *onfail = n->recovers ? "goto error" : "return FAILED";
    for (size_t j = 0; j < n->nops; j++) {
        emit_op(out, &n->ops[j], j == 0 ? "return FAILED" : onfail, 1);
        if (j == 0 && n->recovers)
            fputs("retry:\n", out);
    }
    switch (n->term) {
    case IR_GOTO:
        fprintf(out, "    return %d;\n", n->next);
        break;
    case IR_RETURN:
        fputs("    return END;\n", out);
        break;
    case IR_FAIL:
        fputs("    aslrt_op_fail(ex, f);\n    return FAILED;\n", out);
        break;
    case IR_CHOOSE:
        ASL_ASSERT(!n->recovers);
        for (size_t j = 0; j < n->narms; j++) {
            emit_cond(out, n->arms[j].cond, 1);
            fputs("    if (r) {\n", out);
            emit_chosen(out, n, j, 2);
            fputs("    }\n", out);
        }
        if (n->next >= 0)
            emit_chosen(out, n, n->narms, 1);
        else
            fputs("    aslrt_op_no_choice(ex, f);\n    return FAILED;\n", out);
        break;
    }
    if (n->recovers) {
        fputs("\nerror: /* Retry and Catch */\n    switch (aslrt_op_recover(ex, f)) {\n"
              "    case ASLRT_RETRY:\n        goto retry;\n",
              out);
        for (size_t k = 0; k < n->ncatch; k++)
            fprintf(out, "    case %zu:\n        if (!aslrt_op_catch(ex, f, %zu)) return FAILED;\n"
                         "        return %d;\n",
                    k, k, n->catch_targets[k]);
        fputs("    default:\n        return FAILED;\n    }\n", out);
    }
    fputs("}\n\n", out);
}

/* A graph: its state functions, their table, and the graph function, which
 * owns the frame and calls the state functions in turn from the table (a
 * loop, not a chain of calls: TinyCC makes no tail calls, and a loop in
 * the machine must not grow the stack). */
static void emit_graph(FILE *out, const ir_graph *g)
{
    for (size_t i = 0; i < g->nnodes; i++)
        emit_state(out, g, i);
    fprintf(out, "static step_fn *const g%d_steps[] = {", g->id);
    for (size_t i = 0; i < g->nnodes; i++)
        fprintf(out, "%s%sg%d_s%zu", i ? "," : "", i % 8 ? " " : "\n    ", g->id, i);
    fprintf(out, "\n};\n\nstatic json_t *graph%d(aslrt_exec *ex, json_t *input)\n{\n", g->id);
    fprintf(out, "    aslrt_frame f;\n    int s = %d;\n\n", g->start);
    fprintf(out, "    aslrt_frame_init(&f, input);\n"
                 "    do\n        s = g%d_steps[s](ex, &f);\n    while (s >= 0);\n"
                 "    if (s == END)\n        return aslrt_frame_finish(&f);\n"
                 "    aslrt_frame_clear(&f);\n    return 0;\n}\n\n",
            g->id);
}

bool asl_emit_c(FILE *out, const asl_cfg *c, const asl_emit_options *o)
{
    fputs("/* Generated by aslc from ", out);
    asl_put_comment_text(out, c->source);
    fputs(". Do not edit. */\n", out);
    if (o->include_header)
        fputs("#include \"aslrt.h\"\n", out);
    fputs("\n", out);
    emit_tables(out, c);
    for (size_t i = 0; i < c->ngraphs; i++)
        fprintf(out, "static json_t *graph%zu(aslrt_exec *ex, json_t *input);\n", i);
    /* A state function returns the next node's index, or one of these. */
    fputs("\ntypedef int step_fn(aslrt_exec *ex, aslrt_frame *f);\n"
          "enum { END = -1, FAILED = -2 }; /* the graph's output; an error */\n\n",
          out);
    for (size_t i = 0; i < c->ngraphs; i++)
        emit_graph(out, &c->graphs[i]);
    fputs("static const aslrt_graph_fn graphs[] = {", out);
    for (size_t i = 0; i < c->ngraphs; i++)
        fprintf(out, "%sgraph%zu", i ? ", " : "", i);
    fputs("};\n\n", out);
    fprintf(out, "const aslrt_machine %s_machine = {\n", o->prefix);
    fputs("    ASLRT_ABI_VERSION,\n    ", out);
    put_literal(out, c->name);
    fputs(",\n    ", out);
    put_literal(out, c->source);
    fprintf(out, ",\n    items, %zu,\n    states, %zu,\n    cmps, %zu,\n    graphs, %zu,\n"
                 "    retriers, %zu,\n    catchers, %zu,\n    %lld,\n    %s\n};\n",
            c->nitems, c->nstates, c->ncmps, c->ngraphs, c->nretriers, c->ncatchers,
            c->timeout_seconds,
            c->flags & ASLRT_MACHINE_USES_CONTEXT ? "ASLRT_MACHINE_USES_CONTEXT" : "0");
    if (o->with_main)
        fprintf(out, "\nint main(int argc, char **argv)\n{\n    return aslrt_main(&%s_machine, argc, argv);\n}\n",
                o->prefix);
    return !ferror(out);
}

char *asl_emit_c_string(const asl_cfg *c, const asl_emit_options *o)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    bool ok = asl_emit_c(f, c, o);
    if (fclose(f) != 0 || !ok) {
        free(buf);
        return NULL;
    }
    return buf;
}

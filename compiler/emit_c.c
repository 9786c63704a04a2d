/*
 * emit_c.c - the C backend: asl_cfg to C source.
 *
 * The output is one translation unit that includes only aslrt.h.  Constant
 * tables first (the JSONata trees, written by emit_jsonata.c; items,
 * comparisons, branch lists, retriers, catchers, state descriptors), then
 * per graph its region functions (asl_ir_regions: runs of states of
 * bounded size), in which every state is a label, its operations are
 * aslrt_op_* calls that fail the state when they report an error, Choice
 * rules are C conditions, a transition inside the region is a goto and one
 * out of it returns the next state's index; a table that gives each state
 * its region's function; and the graph function, a loop that calls them.
 * Bounded functions keep a C compiler's time linear in the number of
 * states (doc/architecture.md).  The only external symbols are
 * `<prefix>_machine` and, with --main, `main`.  With code_only (the
 * in-memory backend, which builds the tables itself: machine.c) the
 * tables and the descriptor are left out and the one external symbol is
 * the graph functions' table, `<prefix>_graphs`.
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

/* The rows of a table of n entries: an empty one has a row of zeros.
 * Tables give their size: TinyCC reads an initializer of unknown size
 * twice (once to count), a fifth of its time on a large machine. */
static size_t table_rows(size_t n)
{
    return n ? n : 1;
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
    fprintf(out, "static const aslrt_item items[%zu] = {\n", table_rows(c->nitems));
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

    fprintf(out, "static const aslrt_cmp cmps[%zu] = {\n", table_rows(c->ncmps));
    for (size_t i = 0; i < c->ncmps; i++)
        fprintf(out, "    /* %zu */ {%d, %s, %d, %d},\n", i, c->cmps[i].variable,
                cmp_name(c->cmps[i].op), c->cmps[i].operand, c->cmps[i].is_path);
    if (!c->ncmps)
        fputs("    {0, 0, 0, 0}\n", out);
    fputs("};\n\n", out);

    static const char *const rule_kinds[] = {
        [ASLRT_RULE_CHOICE] = "ASLRT_RULE_CHOICE", [ASLRT_RULE_TEST] = "ASLRT_RULE_TEST",
        [ASLRT_RULE_CONDITION] = "ASLRT_RULE_CONDITION", [ASLRT_RULE_TRUE] = "ASLRT_RULE_TRUE",
        [ASLRT_RULE_FALSE] = "ASLRT_RULE_FALSE", [ASLRT_RULE_NOT] = "ASLRT_RULE_NOT",
        [ASLRT_RULE_AND] = "ASLRT_RULE_AND", [ASLRT_RULE_OR] = "ASLRT_RULE_OR"};
    fprintf(out, "static const aslrt_rule rules[%zu] = {\n", table_rows(c->nrules));
    for (size_t i = 0; i < c->nrules; i++)
        fprintf(out, "    /* %zu */ {%s, %d, %d, %d},\n", i, rule_kinds[c->rules[i].kind],
                c->rules[i].arg, c->rules[i].nkids, c->rules[i].size);
    if (!c->nrules)
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
    fprintf(out, "static const aslrt_state states[%zu] = {\n", table_rows(c->nstates));
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
        ITEM_FIELD(flow_input_path)
        ITEM_FIELD(flow_parameters)
        ITEM_FIELD(flow_result)
        ITEM_FIELD(flow_result_path)
        ITEM_FIELD(flow_output_path)
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
    fprintf(out, "static const aslrt_retrier retriers[%zu] = {\n", table_rows(c->nretriers));
    for (size_t i = 0; i < c->nretriers; i++) {
        const ir_retrier *r = &c->retriers[i];
        fprintf(out, "    /* %zu */ {retry%zu_errors, %zu, %.17g, %lld, %.17g, %lld, %d},\n", i, i,
                r->nerrors, r->interval, r->max_attempts, r->backoff, r->max_delay,
                r->jitter_full);
    }
    if (!c->nretriers)
        fputs("    {0, 0, 0, 0, 0, 0, 0}\n", out);
    fprintf(out, "};\n\nstatic const aslrt_catcher catchers[%zu] = {\n", table_rows(c->ncatchers));
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

/* A graph being written: which region each node is in, and per node the
 * bits 1: the target of a jump inside its region, 2: an entry of its
 * region (the start, or the target of a transition from another region),
 * 4: needs a label. */
typedef struct region_map {
    const ir_graph *g;
    int *region_of;
    unsigned char *labelled;
} region_map;

/* Node i goes on to the node written right after it: no jump, no label
 * (a chain of states is then straight-line code, less for a C compiler
 * to read). */
static bool falls_through(const region_map *m, size_t i)
{
    const ir_node *n = &m->g->nodes[i];
    return n->term == IR_GOTO && !n->recovers && n->next >= 0 && (size_t)n->next == i + 1 &&
           m->region_of[i + 1] == m->region_of[i];
}

/* On to node t: a jump inside the region, else back to the loop. */
static void emit_jump(FILE *out, const region_map *m, size_t from, int t, int depth)
{
    indent(out, depth);
    if (m->region_of[t] == m->region_of[from])
        fprintf(out, "goto s%d;\n", t);
    else
        fprintf(out, "return %d;\n", t);
}

/* What a Choice does once it has chosen arm j (Default when j is narms):
 * ir_choice_chosen. */
static void emit_chosen(FILE *out, const region_map *m, size_t i, size_t j, int depth)
{
    const ir_node *n = &m->g->nodes[i];
    ir_chosen c = ir_choice_chosen(n, j);
    ir_op o = {n->jsonata ? IR_JN_ASSIGN : IR_ASSIGN_EFF, c.assign};
    if (c.assign != ASLRT_NONE)
        emit_op(out, &o, "return FAILED", depth);
    o = (ir_op){IR_JN_OUTPUT, c.output};
    if (c.output != ASLRT_NONE)
        emit_op(out, &o, "return FAILED", depth);
    for (size_t k = 0; k < n->nafter; k++)
        emit_op(out, &n->after_choice[k], "return FAILED", depth);
    emit_jump(out, m, i, c.target, depth);
}

/* Whether another of the Choice's arms (Default included) does what arm j
 * does once chosen: they then share one copy, under label sI_cJ. */
static bool shared_chosen(const ir_node *n, size_t j)
{
    size_t last = n->next >= 0 ? n->narms : n->narms - 1;
    for (size_t k = 0; k <= last; k++)
        if (k != j && ir_choice_same(n, k) == ir_choice_same(n, j))
            return true;
    return false;
}

/* A Choice whose rules are data: aslrt_op_choose picks the arm, a switch
 * goes to what it does (one case list per ir_choice_same group). */
static void emit_choose_table(FILE *out, const region_map *m, size_t i)
{
    const ir_node *n = &m->g->nodes[i];
    size_t last = n->next >= 0 ? n->narms : n->narms - 1; /* Default is arm narms */
    fprintf(out, "    switch (aslrt_op_choose(ex, f, %d)) {\n    case -1:\n        return FAILED;\n",
            n->rules);
    for (size_t j = 0; j <= last; j++) {
        if (ir_choice_same(n, j) != j)
            continue;
        for (size_t k = j; k <= last; k++)
            if (ir_choice_same(n, k) == j) {
                if (k < n->narms)
                    fprintf(out, "    case %zu:\n", k);
                else
                    fputs("    default:\n", out);
            }
        emit_chosen(out, m, i, j, 2);
    }
    if (n->next < 0)
        fputs("    default:\n        aslrt_op_no_choice(ex, f);\n        return FAILED;\n", out);
    fputs("    }\n", out);
}

/* Node i inside its region's function: the state's ops, its Choice rules
 * and its own Retry and Catch (labels sI_retry, sI_error). */
static void emit_node(FILE *out, const region_map *m, size_t i)
{
    const ir_node *n = &m->g->nodes[i];
    fputs("\n", out);
    if (m->labelled[i] & 4)
        fprintf(out, "s%zu: ", i);
    fputs("/* \"", out);
    asl_put_comment_text(out, n->state->name);
    fprintf(out, "\", states[%d] */\n", n->id);
    /* A state with Retry or Catch: its ops after the entry go to the
     * recovery, which retries from the retry label, catches, or lets the
     * error stand. */
    char onfail[48] = "return FAILED";
    if (n->recovers)
        snprintf(onfail, sizeof onfail, "goto s%zu_error", i);
    ir_flow fl;
    ir_branch br;
    if (ir_node_branch(n, &br)) {
        fprintf(out, "    r = aslrt_op_branch(ex, f, %d, %d);\n    if (r < 0) return FAILED;\n",
                br.state, br.cmp);
        fputs("    if (r)\n", out);
        emit_jump(out, m, i, n->arms[0].target, 2);
        emit_jump(out, m, i, n->next, 1);
        return;
    }
    if (ir_node_flow(n, &fl)) {
        fprintf(out, "    if (!aslrt_op_flow(ex, f, %d)) return FAILED;\n", fl.state);
    } else {
        for (size_t j = 0; j < n->nops; j++) {
            emit_op(out, &n->ops[j], j == 0 ? "return FAILED" : onfail, 1);
            if (j == 0 && n->recovers)
                fprintf(out, "s%zu_retry:\n", i);
        }
    }
    switch (n->term) {
    case IR_GOTO:
        if (!falls_through(m, i))
            emit_jump(out, m, i, n->next, 1);
        break;
    case IR_RETURN:
        fputs("    return END;\n", out);
        break;
    case IR_FAIL:
        fputs("    aslrt_op_fail(ex, f);\n    return FAILED;\n", out);
        break;
    case IR_CHOOSE:
        ASL_ASSERT(!n->recovers);
        if (n->rules >= 0) {
            emit_choose_table(out, m, i);
            break;
        }
        for (size_t j = 0; j < n->narms; j++) {
            const ir_cond *k = n->arms[j].cond;
            if (shared_chosen(n, j)) {
                /* A single test leaves its error (-1) in r for the shared
                 * code, which checks it once for all the rules. */
                if (k->kind == ASL_RULE_TEST)
                    fprintf(out, "    r = aslrt_op_test(ex, f, %d);\n", k->cmp);
                else if (k->kind == ASL_RULE_CONDITION && k->item != ASLRT_NONE)
                    fprintf(out, "    r = aslrt_op_jn_condition(ex, f, %d);\n", k->item);
                else
                    emit_cond(out, k, 1);
                fprintf(out, "    if (r) goto s%zu_c%zu;\n", i, ir_choice_same(n, j));
                continue;
            }
            emit_cond(out, k, 1);
            fputs("    if (r) {\n", out);
            emit_chosen(out, m, i, j, 2);
            fputs("    }\n", out);
        }
        if (n->next < 0)
            fputs("    aslrt_op_no_choice(ex, f);\n    return FAILED;\n", out);
        else if (shared_chosen(n, n->narms))
            fprintf(out, "    goto s%zu_c%zu;\n", i, ir_choice_same(n, n->narms));
        else
            emit_chosen(out, m, i, n->narms, 1);
        for (size_t j = 0; j < n->narms; j++)
            if (ir_choice_same(n, j) == j && shared_chosen(n, j)) {
                fprintf(out, "s%zu_c%zu:\n    if (r < 0) return FAILED;\n", i, j);
                emit_chosen(out, m, i, j, 1);
            }
        break;
    }
    if (n->recovers) {
        fprintf(out, "s%zu_error: /* Retry and Catch */\n    switch (aslrt_op_recover(ex, f)) {\n"
                     "    case ASLRT_RETRY:\n        goto s%zu_retry;\n",
                i, i);
        for (size_t k = 0; k < n->ncatch; k++) {
            fprintf(out, "    case %zu:\n        if (!aslrt_op_catch(ex, f, %zu)) return FAILED;\n",
                    k, k);
            emit_jump(out, m, i, n->catch_targets[k], 2);
        }
        fputs("    default:\n        return FAILED;\n    }\n", out);
    }
}

/* Calls fn(m, from, target) for every transition of node `from`. */
static void each_target(const ir_node *n, void (*fn)(region_map *, size_t, int), region_map *m,
                        size_t from)
{
    if (n->term == IR_GOTO || (n->term == IR_CHOOSE && n->next >= 0))
        fn(m, from, n->next);
    if (n->term == IR_CHOOSE)
        for (size_t j = 0; j < n->narms; j++)
            fn(m, from, n->arms[j].target);
    for (size_t k = 0; k < n->ncatch; k++)
        fn(m, from, n->catch_targets[k]);
}

/* A jump inside a region needs a label; one from another region makes
 * its target an entry of its region (marked in labelled as 2). */
static void mark_target(region_map *m, size_t from, int t)
{
    if (m->region_of[t] == m->region_of[from])
        m->labelled[t] |= 1;
    else
        m->labelled[t] |= 2;
}

/* Region r, nodes [lo, hi), as `static int gG_rR(ex, f, s)`: it starts at
 * node s, one of its entries, and returns the next node outside the
 * region, END or FAILED. */
static void emit_region(FILE *out, region_map *m, int r, size_t lo, size_t hi)
{
    const ir_graph *g = m->g;
    bool has_choice = false;
    size_t nentries = 0, first = hi;
    for (size_t i = lo; i < hi; i++) {
        has_choice |= g->nodes[i].term == IR_CHOOSE && g->nodes[i].rules < 0;
        if (m->labelled[i] & 2) {
            nentries++;
            if (first == hi)
                first = i;
        }
    }
    fprintf(out, "static int g%d_r%d(aslrt_exec *ex, aslrt_frame *f, int s)\n{\n", g->id, r);
    if (has_choice)
        fputs("    int r;\n\n", out);
    /* Entered at its first entry, or through a switch on s. */
    if (nentries > 1) {
        fputs("    switch (s) {\n", out);
        for (size_t i = first + 1; i < hi; i++)
            if (m->labelled[i] & 2)
                fprintf(out, "    case %zu:\n        goto s%zu;\n", i, i);
        fputs("    }\n", out);
    } else
        fputs("    (void)s;\n", out);
    if (first != lo && first != hi)
        fprintf(out, "    goto s%zu;\n", first);
    /* A label where a jump goes: inside the region, from the switch, or
     * to the first entry when it is not the first node. */
    for (size_t i = lo; i < hi; i++)
        if ((m->labelled[i] & 1) || ((m->labelled[i] & 2) && (i != first || first != lo)))
            m->labelled[i] |= 4;
    for (size_t i = lo; i < hi; i++)
        emit_node(out, m, i);
    fputs("}\n\n", out);
}

/* A graph: its region functions, their table (one entry per node: the
 * region that holds it), and the graph function, which owns the frame and
 * calls the regions in turn from the table (a loop, not a chain of calls:
 * TinyCC makes no tail calls, and a loop in the machine must not grow the
 * stack). */
static void emit_graph(FILE *out, const ir_graph *g)
{
    region_map m = {g, aslrtp_calloc(g->nnodes, sizeof *m.region_of),
                    aslrtp_calloc(g->nnodes, sizeof *m.labelled)};
    asl_ir_regions(g, m.region_of);
    m.labelled[g->start] |= 2;
    for (size_t i = 0; i < g->nnodes; i++)
        if (!falls_through(&m, i))
            each_target(&g->nodes[i], mark_target, &m, i);
    for (size_t lo = 0, hi; lo < g->nnodes; lo = hi) {
        for (hi = lo; hi < g->nnodes && m.region_of[hi] == m.region_of[lo]; hi++)
            ;
        emit_region(out, &m, m.region_of[lo], lo, hi);
    }
    fprintf(out, "static step_fn *const g%d_steps[] = {", g->id);
    for (size_t i = 0; i < g->nnodes; i++)
        fprintf(out, "%s%sg%d_r%d", i ? "," : "", i % 8 ? " " : "\n    ", g->id, m.region_of[i]);
    fprintf(out, "\n};\n\nstatic json_t *graph%d(aslrt_exec *ex, json_t *input)\n{\n", g->id);
    fprintf(out, "    aslrt_frame f;\n    int s = %d;\n\n", g->start);
    fprintf(out, "    aslrt_frame_init(&f, input);\n"
                 "    do\n        s = g%d_steps[s](ex, &f, s);\n    while (s >= 0);\n"
                 "    if (s == END)\n        return aslrt_frame_finish(&f);\n"
                 "    aslrt_frame_clear(&f);\n    return 0;\n}\n\n",
            g->id);
    free(m.region_of);
    free(m.labelled);
}

bool asl_emit_c(FILE *out, const asl_cfg *c, const asl_emit_options *o)
{
    fputs("/* Generated by aslc from ", out);
    asl_put_comment_text(out, c->source);
    fputs(". Do not edit. */\n", out);
    if (o->include_header)
        fputs("#include \"aslrt.h\"\n", out);
    fputs("\n", out);
    if (!o->code_only)
        emit_tables(out, c);
    for (size_t i = 0; i < c->ngraphs; i++)
        fprintf(out, "static json_t *graph%zu(aslrt_exec *ex, json_t *input);\n", i);
    /* A region function returns the next node's index, or one of these. */
    fputs("\ntypedef int step_fn(aslrt_exec *ex, aslrt_frame *f, int s);\n"
          "enum { END = -1, FAILED = -2 }; /* the graph's output; an error */\n\n",
          out);
    for (size_t i = 0; i < c->ngraphs; i++)
        emit_graph(out, &c->graphs[i]);
    if (o->code_only)
        fprintf(out, "const aslrt_graph_fn %s_graphs[] = {", o->prefix);
    else
        fputs("static const aslrt_graph_fn graphs[] = {", out);
    for (size_t i = 0; i < c->ngraphs; i++)
        fprintf(out, "%sgraph%zu", i ? ", " : "", i);
    fputs("};\n", out);
    if (o->code_only)
        return !ferror(out);
    fputs("\n", out);
    fprintf(out, "const aslrt_machine %s_machine = {\n", o->prefix);
    fputs("    ASLRT_ABI_VERSION,\n    ", out);
    put_literal(out, c->name);
    fputs(",\n    ", out);
    put_literal(out, c->source);
    fprintf(out, ",\n    items, %zu,\n    states, %zu,\n    cmps, %zu,\n    graphs, %zu,\n"
                 "    retriers, %zu,\n    catchers, %zu,\n    %lld,\n    %s,\n    rules, %zu\n};\n",
            c->nitems, c->nstates, c->ncmps, c->ngraphs, c->nretriers, c->ncatchers,
            c->timeout_seconds,
            c->flags & ASLRT_MACHINE_USES_CONTEXT ? "ASLRT_MACHINE_USES_CONTEXT" : "0",
            c->nrules);
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

/*
 * emit_c.c - the C backend: asl_cfg to C source.
 *
 * The output is one translation unit that includes only aslrt.h.  Constant
 * tables first (items, comparisons, state descriptors), then one static
 * function per graph, in which every state is a label, its operations are
 * aslrt_op_* calls that `goto fail` when they report an error, transitions
 * are gotos and Choice rules are C conditions.  The only external symbol is
 * `<prefix>_machine`.
 *
 * Safety: every string from the definition is written as a fully escaped C
 * literal (octal escapes for anything but plain printable ASCII, `?` escaped
 * against trigraphs), and comments only ever hold a sanitised copy, so no
 * definition can inject code.  The output carries no date or version, so it
 * is reproducible and golden files stay stable.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

static void put_literal(FILE *out, const char *s)
{
    if (!s) {
        fputs("0", out);
        return;
    }
    fputc('"', out);
    size_t col = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        /* Long literals are split so that lines stay readable. */
        if (col >= 100) {
            fputs("\"\n    \"", out);
            col = 0;
        }
        unsigned char ch = *p;
        if (ch == '"' || ch == '\\' || ch == '?') {
            fputc('\\', out);
            fputc(ch, out);
            col += 2;
        } else if (ch >= 0x20 && ch < 0x7f) {
            fputc(ch, out);
            col++;
        } else {
            fprintf(out, "\\%03o", ch);
            col += 4;
        }
    }
    fputc('"', out);
}

/* A state name in a comment: printable ASCII only, never closing it. */
static void put_comment_text(FILE *out, const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n < 60; p++, n++) {
        unsigned char ch = *p;
        if (ch == '*' || ch == '/' || ch == '\\' || ch == '?' || ch < 0x20 || ch >= 0x7f)
            fputc('.', out);
        else
            fputc(ch, out);
    }
    if (strlen(s) > 60)
        fputs("...", out);
}

static const char *item_kind_name(int k)
{
    switch (k) {
    case ASLRT_ITEM_JSON: return "ASLRT_ITEM_JSON";
    case ASLRT_ITEM_PATH: return "ASLRT_ITEM_PATH";
    case ASLRT_ITEM_REFPATH: return "ASLRT_ITEM_REFPATH";
    case ASLRT_ITEM_TEMPLATE: return "ASLRT_ITEM_TEMPLATE";
    case ASLRT_ITEM_INTRINSIC: return "ASLRT_ITEM_INTRINSIC";
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

static void emit_tables(FILE *out, const asl_cfg *c)
{
    fprintf(out, "static const aslrt_item items[] = {\n");
    for (size_t i = 0; i < c->nitems; i++) {
        fprintf(out, "    /* %zu */ {%s, ", i, item_kind_name(c->items[i].kind));
        put_literal(out, c->items[i].text);
        fputs("},\n", out);
    }
    if (!c->nitems)
        fputs("    {0, 0}\n", out);
    fputs("};\n\n", out);

    fputs("static const aslrt_cmp cmps[] = {\n", out);
    for (size_t i = 0; i < c->ncmps; i++)
        fprintf(out, "    /* %zu */ {%d, %s, %d, %d},\n", i, c->cmps[i].variable,
                cmp_name(c->cmps[i].op), c->cmps[i].operand, c->cmps[i].is_path);
    if (!c->ncmps)
        fputs("    {0, 0, 0, 0}\n", out);
    fputs("};\n\n", out);

    fputs("static const aslrt_state states[] = {\n", out);
    for (size_t i = 0; i < c->nstates; i++) {
        const aslrt_state *s = &c->states[i];
        fprintf(out, "    /* %zu */ {", i);
        put_literal(out, s->name);
        fprintf(out, ", %s, ", state_type_name(s->type));
        put_literal(out, s->resource);
        fprintf(out, ", %d, ", s->timeout_seconds);
        put_index(out, s->timeout_path);
        fprintf(out, ", %d, ", s->heartbeat_seconds);
        put_index(out, s->heartbeat_path);
        fprintf(out, ", %lldLL, ", s->seconds);
        put_literal(out, s->timestamp);
        fputs(", ", out);
        put_index(out, s->seconds_path);
        fputs(", ", out);
        put_index(out, s->timestamp_path);
        fputs(", ", out);
        put_literal(out, s->error);
        fputs(", ", out);
        put_literal(out, s->cause);
        fputs(", ", out);
        put_index(out, s->error_path);
        fputs(", ", out);
        put_index(out, s->cause_path);
        fputs("},\n", out);
    }
    fputs("};\n\n", out);
}

static void emit_op(FILE *out, const ir_op *o)
{
    switch (o->kind) {
    case IR_ENTER: fprintf(out, "    if (!aslrt_op_enter(ex, &f, %d)) goto fail;\n", o->arg); return;
    case IR_INPUT_PATH: fputs("    if (!aslrt_op_input_path(ex, &f, ", out); break;
    case IR_PARAMETERS: fputs("    if (!aslrt_op_parameters(ex, &f, ", out); break;
    case IR_RESULT_JSON: fputs("    if (!aslrt_op_result_json(ex, &f, ", out); break;
    case IR_RESULT_SELECTOR: fputs("    if (!aslrt_op_result_selector(ex, &f, ", out); break;
    case IR_RESULT_PATH: fputs("    if (!aslrt_op_result_path(ex, &f, ", out); break;
    case IR_OUTPUT_PATH: fputs("    if (!aslrt_op_output_path(ex, &f, ", out); break;
    case IR_RESULT_INPUT: fputs("    if (!aslrt_op_result_input(ex, &f)) goto fail;\n", out); return;
    case IR_INVOKE: fputs("    if (!aslrt_op_invoke(ex, &f)) goto fail;\n", out); return;
    case IR_WAIT: fputs("    if (!aslrt_op_wait(ex, &f)) goto fail;\n", out); return;
    case IR_EXIT: fputs("    if (!aslrt_op_exit(ex, &f)) goto fail;\n", out); return;
    }
    put_index(out, o->arg);
    fputs(")) goto fail;\n", out);
}

static void indent(FILE *out, int depth)
{
    for (int i = 0; i < depth; i++)
        fputs("    ", out);
}

/* Leaves the truth of k in r (0 or 1); a test that errs jumps to fail. */
static void emit_cond(FILE *out, const ir_cond *k, int depth)
{
    switch (k->kind) {
    case ASL_RULE_TEST:
        indent(out, depth);
        fprintf(out, "r = aslrt_op_test(ex, &f, %d);\n", k->cmp);
        indent(out, depth);
        fputs("if (r < 0) goto fail;\n", out);
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

static void emit_graph(FILE *out, const asl_cfg *c, const ir_graph *g)
{
    fprintf(out, "static json_t *graph%d(aslrt_exec *ex, json_t *input)\n{\n", g->id);
    fputs("    aslrt_frame f;\n", out);
    bool has_choice = false;
    for (size_t i = 0; i < g->nnodes; i++)
        has_choice |= g->nodes[i].term == IR_CHOOSE;
    if (has_choice)
        fputs("    int r;\n", out);
    fputs("\n    aslrt_frame_init(&f, input);\n", out);
    fprintf(out, "    goto s%d;\n", g->start);
    for (size_t i = 0; i < g->nnodes; i++) {
        const ir_node *n = &g->nodes[i];
        fprintf(out, "\ns%zu: /* \"", i);
        put_comment_text(out, n->state->name);
        fprintf(out, "\", states[%d] */\n", n->id);
        for (size_t j = 0; j < n->nops; j++)
            emit_op(out, &n->ops[j]);
        switch (n->term) {
        case IR_GOTO:
            fprintf(out, "    goto s%d;\n", n->next);
            break;
        case IR_RETURN:
            fputs("    return aslrt_frame_finish(&f);\n", out);
            break;
        case IR_FAIL:
            fputs("    aslrt_op_fail(ex, &f);\n    goto fail;\n", out);
            break;
        case IR_CHOOSE:
            for (size_t j = 0; j < n->narms; j++) {
                emit_cond(out, n->arms[j].cond, 1);
                fprintf(out, "    if (r) goto s%zu_%zu;\n", i, j);
            }
            if (n->next >= 0)
                fprintf(out, "    goto s%zu_default;\n", i);
            else
                fputs("    aslrt_op_no_choice(ex, &f);\n    goto fail;\n", out);
            for (size_t j = 0; j <= n->narms; j++) {
                int target = j < n->narms ? n->arms[j].target : n->next;
                if (target < 0)
                    break;
                if (j < n->narms)
                    fprintf(out, "s%zu_%zu:\n", i, j);
                else
                    fprintf(out, "s%zu_default:\n", i);
                for (size_t k = 0; k < n->nafter; k++)
                    emit_op(out, &n->after_choice[k]);
                fprintf(out, "    goto s%d;\n", target);
            }
            break;
        }
    }
    fputs("\nfail:\n    aslrt_frame_clear(&f);\n    return 0;\n}\n\n", out);
    (void)c;
}

bool asl_emit_c(FILE *out, const asl_cfg *c, const asl_emit_options *o)
{
    fputs("/* Generated by aslc from ", out);
    put_comment_text(out, c->source);
    fputs(". Do not edit. */\n", out);
    if (o->include_header)
        fputs("#include \"aslrt.h\"\n", out);
    fputs("\n", out);
    emit_tables(out, c);
    for (size_t i = 0; i < c->ngraphs; i++)
        fprintf(out, "static json_t *graph%zu(aslrt_exec *ex, json_t *input);\n", i);
    fputs("\n", out);
    for (size_t i = 0; i < c->ngraphs; i++)
        emit_graph(out, c, &c->graphs[i]);
    fputs("static const aslrt_graph_fn graphs[] = {", out);
    for (size_t i = 0; i < c->ngraphs; i++)
        fprintf(out, "%sgraph%zu", i ? ", " : "", i);
    fputs("};\n\n", out);
    fprintf(out, "const aslrt_machine %s_machine = {\n", o->prefix);
    fputs("    ASLRT_ABI_VERSION,\n    ", out);
    put_literal(out, c->name);
    fputs(",\n    ", out);
    put_literal(out, c->source);
    fprintf(out, ",\n    items, %zu,\n    states, %zu,\n    cmps, %zu,\n    graphs, %zu,\n    %lld,\n    %s\n};\n",
            c->nitems, c->nstates, c->ncmps, c->ngraphs, c->timeout_seconds,
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

char *asl_emit_c_identifier(const char *filename)
{
    const char *base = strrchr(filename, '/');
    base = base ? base + 1 : filename;
    size_t n = strlen(base);
    static const char *const suffixes[] = {".asl.json", ".json", ".asl", NULL};
    for (size_t i = 0; suffixes[i]; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && strcmp(base + n - k, suffixes[i]) == 0) {
            n -= k;
            break;
        }
    }
    char *id = malloc(n + 2);
    if (!id)
        abort();
    size_t j = 0;
    if (n == 0 || isdigit((unsigned char)base[0]))
        id[j++] = '_';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)base[i];
        id[j++] = (isalnum(ch) && ch < 0x80) ? (char)ch : '_';
    }
    id[j] = '\0';
    return id;
}

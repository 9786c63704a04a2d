/*
 * lower.c - from the validated AST to the control-flow graph (ir.h).
 *
 * Everything static is decided here: which operations a state needs (a
 * state with no InputPath gets none of the work an InputPath costs), where
 * each transition goes (node indexes, not names), and which constants the
 * runtime must compile once per program (the item table, deduplicated so a
 * path used by a thousand states is compiled once).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"
#include "jsonata/jsonata.h"

typedef struct lowerer {
    asl_unit *u;
    asl_cfg *c;
    int *slots;               /* open-addressing index of items: item + 1, 0 = empty */
    size_t nslots;            /* a power of two, kept above twice the items */
} lowerer;

/* Room for one more element in an arena array of n elements of size bytes
 * and capacity *cap: the array, moved to twice the room when it is full
 * (first elements at first). */
static void *room_for_one(lowerer *l, void *arr, size_t n, size_t *cap, size_t size,
                          size_t first)
{
    if (n < *cap)
        return arr;
    *cap = *cap ? 2 * *cap : first;
    void *a = asl_alloc(l->u, *cap * size);
    if (n)
        memcpy(a, arr, n * size);
    return a;
}

static size_t item_hash(int kind, const char *text)
{
    size_t h = 2166136261u ^ (size_t)kind; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

static void index_item(lowerer *l, int i)
{
    size_t mask = l->nslots - 1;
    size_t h = item_hash(l->c->items[i].kind, l->c->items[i].text) & mask;
    while (l->slots[h])
        h = (h + 1) & mask;
    l->slots[h] = i + 1;
}

/* Items are deduplicated: a path used by a thousand states is compiled once
 * by the runtime. */
static int add_item_field(lowerer *l, int kind, const char *text, const char *field)
{
    asl_cfg *c = l->c;
    if (2 * (c->nitems + 1) > l->nslots) {
        l->nslots = l->nslots ? 2 * l->nslots : 256;
        l->slots = asl_alloc(l->u, l->nslots * sizeof *l->slots);
        for (size_t i = 1; i < c->nitems; i++)
            index_item(l, (int)i);
    }
    size_t mask = l->nslots - 1;
    for (size_t h = item_hash(kind, text) & mask; l->slots[h]; h = (h + 1) & mask) {
        const ir_item *it = &c->items[l->slots[h] - 1];
        if (it->kind == kind && strcmp(it->text, text) == 0 &&
            (it->field == field || (it->field && field && strcmp(it->field, field) == 0)))
            return l->slots[h] - 1;
    }
    c->items = room_for_one(l, c->items, c->nitems, &c->capitems, sizeof *c->items, 64);
    ir_item *it = &c->items[c->nitems];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->text = asl_strdup(l->u, text);
    it->field = field ? asl_strdup(l->u, field) : NULL;
    index_item(l, (int)c->nitems);
    return (int)c->nitems++;
}

static int add_item(lowerer *l, int kind, const char *text)
{
    return add_item_field(l, kind, text, NULL);
}

/* A JSON value as compact text, key order kept, reals exact. */
static int add_json_item(lowerer *l, int kind, json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    if (!s)
        asl_internal_error(__FILE__, __LINE__, "json_dumps failed");
    int i = add_item(l, kind, s);
    free(s);
    if (!l->c->items[i].value)   /* one text, one value: the first stands for all */
        l->c->items[i].value = v;
    return i;
}

/* The "{% %}" strings of a JSONata field value, in the order jansson
 * iterates it (the order the runtime walks the same text in). */
static void collect_expressions(lowerer *l, json_t *v, const jn_node ***list, size_t *n,
                                size_t *cap)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        if (len < 4 || strncmp(s, "{%", 2) != 0 || strcmp(s + len - 2, "%}") != 0)
            return;
        jn_error e;
        const jn_node *root = jn_parse(asl_unit_jsonata(l->u), s + 2, len - 4, &e);
        if (!root)
            asl_internal_error(__FILE__, __LINE__, "a JSONata expression that parsed no longer does");
        *list = room_for_one(l, *list, *n, cap, sizeof **list, 4);
        (*list)[(*n)++] = root;
        return;
    }
    size_t i;
    json_t *e;
    const char *key;
    if (json_is_array(v))
        json_array_foreach(v, i, e) collect_expressions(l, e, list, n, cap);
    else if (json_is_object(v))
        json_object_foreach(v, key, e) collect_expressions(l, e, list, n, cap);
}

/* A JSONata field value: its JSON text and its parsed expressions.  Absent
 * (NULL) gives ASLRT_NONE. */
static int jsonata_item(lowerer *l, json_t *v, const char *field)
{
    if (!v)
        return ASLRT_NONE;
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    if (!s)
        asl_internal_error(__FILE__, __LINE__, "json_dumps failed");
    int i = add_item_field(l, ASLRT_ITEM_JSONATA, s, field);
    free(s);
    ir_item *it = &l->c->items[i];
    if (!it->exprs) {
        size_t cap = 0;
        collect_expressions(l, v, (const jn_node ***)&it->exprs, &it->nexprs, &cap);
        if (!it->exprs)
            it->exprs = asl_alloc(l->u, sizeof *it->exprs);
    }
    return i;
}

/* InputPath/OutputPath/ResultPath: absent → ASLRT_NONE, null → ASLRT_NULL_PATH. */
static int path_arg(lowerer *l, json_t *v, int kind)
{
    if (!v)
        return ASLRT_NONE;
    if (json_is_null(v))
        return ASLRT_NULL_PATH;
    const char *s = json_string_value(v);
    ASL_ASSERT(s);
    if (strcmp(s, "$") == 0)
        return ASLRT_NONE;
    return add_item(l, kind, s);
}

static int path_item(lowerer *l, const char *text, int kind)
{
    return text ? add_item(l, kind, text) : ASLRT_NONE;
}

/* ErrorPath/CausePath: a path or an intrinsic call. */
static int dynamic_item(lowerer *l, const char *text)
{
    if (!text)
        return ASLRT_NONE;
    return add_item(l, text[0] == '$' ? ASLRT_ITEM_PATH : ASLRT_ITEM_INTRINSIC, text);
}

typedef struct opbuf {
    ir_op v[16];
    size_t n;
} opbuf;

static void op(opbuf *b, ir_op_kind k, int arg)
{
    ASL_ASSERT(b->n < 16);
    b->v[b->n].kind = k;
    b->v[b->n].arg = arg;
    b->n++;
}

static ir_op *copy_ops(lowerer *l, const opbuf *b)
{
    ir_op *o = asl_alloc(l->u, (b->n + 1) * sizeof *o);
    memcpy(o, b->v, b->n * sizeof *o);
    return o;
}

static int node_of(const asl_graph *g, const char *name)
{
    const asl_state *s = asl_graph_find(g, name);
    if (!s)
        ASL_UNREACHABLE(); /* validate.c checked every target */
    return (int)s->index;
}

static ir_cond *lower_cond(lowerer *l, const asl_rule *r)
{
    ir_cond *c = asl_alloc(l->u, sizeof *c);
    c->kind = r->kind;
    if (r->kind == ASL_RULE_CONDITION) {
        if (json_is_boolean(r->condition))
            c->literal = json_is_true(r->condition);
        else
            c->item = jsonata_item(l, r->condition, "Condition");
        return c;
    }
    if (r->kind != ASL_RULE_TEST) {
        c->nkids = r->nkids;
        c->kids = asl_alloc(l->u, (r->nkids + 1) * sizeof *c->kids);
        for (size_t i = 0; i < r->nkids; i++)
            c->kids[i] = lower_cond(l, r->kids[i]);
        return c;
    }
    asl_cfg *cfg = l->c;
    cfg->cmps = room_for_one(l, cfg->cmps, cfg->ncmps, &cfg->capcmps, sizeof *cfg->cmps, 32);
    aslrt_cmp *k = &cfg->cmps[cfg->ncmps];
    k->variable = add_item(l, ASLRT_ITEM_PATH, r->variable);
    k->op = r->op;
    k->is_path = r->is_path;
    k->operand = r->is_path ? add_item(l, ASLRT_ITEM_PATH, json_string_value(r->operand))
                            : add_json_item(l, ASLRT_ITEM_JSON, r->operand);
    c->cmp = (int)cfg->ncmps++;
    return c;
}

/* The runtime calls a condition makes at most. */
static size_t cond_weight(const ir_cond *k)
{
    if (k->kind == ASL_RULE_TEST || k->kind == ASL_RULE_CONDITION)
        return 1;
    size_t w = 0;
    for (size_t i = 0; i < k->nkids; i++)
        w += cond_weight(k->kids[i]);
    return w;
}

/* IR_CHOICE_INLINE_MAX, or what ASLC_CHOICE_INLINE_MAX says (a count). */
static size_t choice_inline_max(void)
{
    const char *v = getenv("ASLC_CHOICE_INLINE_MAX");
    char *end;
    if (v && *v) {
        unsigned long n = strtoul(v, &end, 10);
        if (!*end && n <= 1000000)
            return n;
    }
    return IR_CHOICE_INLINE_MAX;
}

static size_t choice_weight(const ir_node *n)
{
    size_t w = 0;
    for (size_t j = 0; j < n->narms; j++)
        w += cond_weight(n->arms[j].cond);
    return w;
}

/* Appends an entry to cfg->rules; returns its index. */
static int add_rule(lowerer *l, int kind, int arg, size_t nkids)
{
    asl_cfg *cfg = l->c;
    cfg->rules = room_for_one(l, cfg->rules, cfg->nrules, &cfg->caprules, sizeof *cfg->rules, 64);
    ASL_ASSERT(cfg->nrules < INT_MAX && nkids < INT_MAX);
    cfg->rules[cfg->nrules] = (aslrt_rule){kind, arg, (int)nkids, 1};
    return (int)cfg->nrules++;
}

/* k and its operands in prefix order, each entry with its size. */
static void add_cond(lowerer *l, const ir_cond *k)
{
    asl_cfg *cfg = l->c;
    static const int kinds[] = {
        [ASL_RULE_AND] = ASLRT_RULE_AND, [ASL_RULE_OR] = ASLRT_RULE_OR,
        [ASL_RULE_NOT] = ASLRT_RULE_NOT, [ASL_RULE_TEST] = ASLRT_RULE_TEST,
        [ASL_RULE_CONDITION] = ASLRT_RULE_CONDITION};
    int kind = kinds[k->kind], arg = 0;
    if (k->kind == ASL_RULE_TEST)
        arg = k->cmp;
    else if (k->kind == ASL_RULE_CONDITION && k->item != ASLRT_NONE)
        arg = k->item;
    else if (k->kind == ASL_RULE_CONDITION)
        kind = k->literal ? ASLRT_RULE_TRUE : ASLRT_RULE_FALSE;
    int at = add_rule(l, kind, arg, k->nkids);
    for (size_t i = 0; i < k->nkids; i++)
        add_cond(l, k->kids[i]);
    cfg->rules[at].size = (int)(cfg->nrules - (size_t)at);
}

/* A Choice's rules as data: the header, then each rule's condition. */
static int rules_of(lowerer *l, const ir_node *n)
{
    asl_cfg *cfg = l->c;
    int at = add_rule(l, ASLRT_RULE_CHOICE, 0, n->narms);
    for (size_t j = 0; j < n->narms; j++)
        add_cond(l, n->arms[j].cond);
    cfg->rules[at].size = (int)(cfg->nrules - (size_t)at);
    return at;
}

/* The ops of a JSONata-mode state (doc/behaviour.md §5): Arguments, the
 * work, then Assign and Output, both over the state input and the result
 * as they are before either runs. */
static void lower_jsonata_ops(lowerer *l, const asl_state *s, opbuf *b, ir_node *n)
{
    n->jsonata = true;
    switch (s->type) {
    case ASLRT_STATE_TASK:
    case ASLRT_STATE_PARALLEL:
    case ASLRT_STATE_MAP:
        if (s->arguments)
            op(b, IR_JN_ARGUMENTS, jsonata_item(l, s->arguments, "Arguments"));
        op(b, s->type == ASLRT_STATE_TASK ? IR_INVOKE
              : s->type == ASLRT_STATE_PARALLEL ? IR_PARALLEL : IR_MAP, 0);
        break;
    case ASLRT_STATE_WAIT:
        op(b, IR_WAIT, 0);
        break;
    case ASLRT_STATE_CHOICE:
        /* Assign and Output are per rule, or the state's for Default. */
        n->default_assign = jsonata_item(l, s->assign, "Assign");
        n->default_output = jsonata_item(l, s->output, "Output");
        opbuf a = {.n = 0};
        op(&a, IR_EXIT, 0);
        n->after_choice = copy_ops(l, &a);
        n->nafter = a.n;
        return;
    case ASLRT_STATE_FAIL:
        return;
    default:
        break;
    }
    if (s->assign)
        op(b, IR_JN_ASSIGN, jsonata_item(l, s->assign, "Assign"));
    if (s->output)
        op(b, IR_JN_OUTPUT, jsonata_item(l, s->output, "Output"));
    else if (s->type == ASLRT_STATE_TASK || s->type == ASLRT_STATE_PARALLEL ||
             s->type == ASLRT_STATE_MAP)
        op(b, IR_JN_OUTPUT, ASLRT_NONE);
    op(b, IR_EXIT, 0);
}

static void lower_state(lowerer *l, const asl_state *s, ir_node *n)
{
    opbuf b = {.n = 0};
    n->state = s;
    n->id = (int)s->id;
    n->next = -1;
    n->default_output = ASLRT_NONE;
    op(&b, IR_ENTER, (int)s->id);

    if (s->jsonata)
        lower_jsonata_ops(l, s, &b, n);
    else switch (s->type) {
    case ASLRT_STATE_PASS:
    case ASLRT_STATE_TASK:
    case ASLRT_STATE_PARALLEL:
    case ASLRT_STATE_MAP:
        /* States that make a result (doc/behaviour.md §4).  An absent
         * InputPath (or "$") costs nothing: the effective input is then the
         * state input itself. */
    {
        int in = path_arg(l, s->input_path, ASLRT_ITEM_PATH);
        if (in != ASLRT_NONE)
            op(&b, IR_INPUT_PATH, in);
        if (s->parameters) /* a Map's Parameters is its ItemSelector */
            op(&b, IR_PARAMETERS, add_json_item(l, ASLRT_ITEM_TEMPLATE, s->parameters));
        if (s->type == ASLRT_STATE_TASK)
            op(&b, IR_INVOKE, 0);
        else if (s->type == ASLRT_STATE_PARALLEL)
            op(&b, IR_PARALLEL, 0);
        else if (s->type == ASLRT_STATE_MAP)
            op(&b, IR_MAP, 0);
        else if (s->result)
            op(&b, IR_RESULT_JSON, add_json_item(l, ASLRT_ITEM_JSON, s->result));
        else
            op(&b, IR_RESULT_INPUT, 0);
        /* doc/behaviour.md §6: Assign sees the raw result (a Pass's result). */
        if (s->assign)
            op(&b, IR_ASSIGN_RES, add_json_item(l, ASLRT_ITEM_TEMPLATE, s->assign));
        if (s->result_selector)
            op(&b, IR_RESULT_SELECTOR, add_json_item(l, ASLRT_ITEM_TEMPLATE, s->result_selector));
        op(&b, IR_RESULT_PATH, path_arg(l, s->result_path, ASLRT_ITEM_REFPATH));
        int out = path_arg(l, s->output_path, ASLRT_ITEM_PATH);
        if (out != ASLRT_NONE)
            op(&b, IR_OUTPUT_PATH, out);
        op(&b, IR_EXIT, 0);
        break;
    }
    case ASLRT_STATE_WAIT:
    case ASLRT_STATE_SUCCEED:
    case ASLRT_STATE_CHOICE:
    {
        /* These pass their (filtered) input through: ResultPath "$" of the
         * effective input, then OutputPath.  Without InputPath and
         * OutputPath that is the identity, and no op is emitted for it. */
        int in = path_arg(l, s->input_path, ASLRT_ITEM_PATH);
        int out = path_arg(l, s->output_path, ASLRT_ITEM_PATH);
        opbuf a = {.n = 0};
        if (in != ASLRT_NONE) {
            op(&b, IR_INPUT_PATH, in);
            op(&a, IR_RESULT_INPUT, 0);
            op(&a, IR_RESULT_PATH, ASLRT_NONE);
        }
        if (out != ASLRT_NONE)
            op(&a, IR_OUTPUT_PATH, out);
        op(&a, IR_EXIT, 0);
        if (s->type == ASLRT_STATE_WAIT)
            op(&b, IR_WAIT, 0);
        /* Wait's Assign sees the effective input; Choice's is per rule. */
        if (s->type == ASLRT_STATE_WAIT && s->assign)
            op(&b, IR_ASSIGN_EFF, add_json_item(l, ASLRT_ITEM_TEMPLATE, s->assign));
        n->default_assign = s->type == ASLRT_STATE_CHOICE && s->assign
                                ? add_json_item(l, ASLRT_ITEM_TEMPLATE, s->assign)
                                : ASLRT_NONE;
        if (s->type == ASLRT_STATE_CHOICE) {
            n->after_choice = copy_ops(l, &a);
            n->nafter = a.n;
            break;
        }
        for (size_t i = 0; i < a.n; i++)
            op(&b, a.v[i].kind, a.v[i].arg);
        break;
    }
    case ASLRT_STATE_FAIL:
        break;
    default:
        ASL_UNREACHABLE();
    }
    n->ops = copy_ops(l, &b);
    n->nops = b.n;

    const asl_graph *g = s->graph;
    if (s->nretry || s->ncatch) {
        n->recovers = true;
        n->ncatch = s->ncatch;
        n->catch_targets = asl_alloc(l->u, (s->ncatch + 1) * sizeof *n->catch_targets);
        for (size_t i = 0; i < s->ncatch; i++)
            n->catch_targets[i] = node_of(g, s->catch_[i]->next);
    }
    if (s->type == ASLRT_STATE_FAIL) {
        n->term = IR_FAIL;
    } else if (s->type == ASLRT_STATE_CHOICE) {
        n->term = IR_CHOOSE;
        n->narms = s->nchoices;
        n->arms = asl_alloc(l->u, (s->nchoices + 1) * sizeof *n->arms);
        for (size_t i = 0; i < s->nchoices; i++) {
            n->arms[i].cond = lower_cond(l, s->choices[i]);
            n->arms[i].target = node_of(g, s->choices[i]->next);
            if (s->jsonata) {
                n->arms[i].assign = jsonata_item(l, s->choices[i]->assign, "Assign");
                n->arms[i].output = jsonata_item(l, s->choices[i]->output, "Output");
            } else {
                n->arms[i].assign = s->choices[i]->assign
                                        ? add_json_item(l, ASLRT_ITEM_TEMPLATE, s->choices[i]->assign)
                                        : ASLRT_NONE;
            }
        }
        n->next = s->default_next ? node_of(g, s->default_next) : -1;
        n->rules = choice_weight(n) > choice_inline_max() ? rules_of(l, n) : -1;
    } else if (s->end) {
        n->term = IR_RETURN;
    } else {
        n->term = IR_GOTO;
        n->next = node_of(g, s->next);
    }
}

/* The state descriptor the runtime keeps for names, Task, Wait and Fail. */
static void describe(lowerer *l, const asl_state *s, aslrt_state *d)
{
    d->name = s->name;
    d->type = s->type;
    d->resource = s->resource;
    d->timeout_seconds = (int)s->timeout_seconds;
    d->timeout_path = path_item(l, s->timeout_path, ASLRT_ITEM_REFPATH);
    d->heartbeat_seconds = (int)s->heartbeat_seconds;
    d->heartbeat_path = path_item(l, s->heartbeat_path, ASLRT_ITEM_REFPATH);
    d->seconds = s->seconds;
    d->timestamp = s->timestamp;
    d->seconds_path = path_item(l, s->seconds_path, ASLRT_ITEM_REFPATH);
    d->timestamp_path = path_item(l, s->timestamp_path, ASLRT_ITEM_REFPATH);
    d->error = s->error;
    d->cause = s->cause;
    d->error_path = dynamic_item(l, s->error_path);
    d->cause_path = dynamic_item(l, s->cause_path);
    if (s->jsonata) {
        /* Fields written as expressions take the place of their ...Path. */
        d->jsonata = 1;
        d->timeout_path = jsonata_item(l, s->x_timeout, "TimeoutSeconds");
        d->heartbeat_path = jsonata_item(l, s->x_heartbeat, "HeartbeatSeconds");
        d->seconds_path = jsonata_item(l, s->x_seconds, "Seconds");
        d->timestamp_path = jsonata_item(l, s->x_timestamp, "Timestamp");
        d->error_path = jsonata_item(l, s->x_error, "Error");
        d->cause_path = jsonata_item(l, s->x_cause, "Cause");
    }

    asl_cfg *c = l->c;
    /* Parallel and Map: graphs, items and limits. */
    d->items_path = path_item(l, s->items_path, ASLRT_ITEM_REFPATH);
    d->item_selector = s->item_selector ? add_json_item(l, ASLRT_ITEM_TEMPLATE, s->item_selector)
                                        : ASLRT_NONE;
    d->max_concurrency = (int)s->max_concurrency;
    d->max_concurrency_path = path_item(l, s->max_concurrency_path, ASLRT_ITEM_REFPATH);
    d->processor = s->processor ? (int)s->processor->id : ASLRT_NONE;
    d->distributed = !s->distributed       ? 0
                     : s->express_children ? ASLRT_DISTRIBUTED_EXPRESS
                                           : ASLRT_DISTRIBUTED_STANDARD;
    d->tolerated_count = (int)s->tolerated_count;
    d->tolerated_percentage = s->tolerated_percentage;
    d->tolerated_count_path = path_item(l, s->tolerated_count_path, ASLRT_ITEM_REFPATH);
    d->tolerated_percentage_path = path_item(l, s->tolerated_percentage_path, ASLRT_ITEM_REFPATH);
    d->reader_resource = s->reader_resource;
    d->reader_params = s->reader_params ? add_json_item(l, ASLRT_ITEM_TEMPLATE, s->reader_params)
                                        : ASLRT_NONE;
    d->reader_config = s->reader_config ? add_json_item(l, ASLRT_ITEM_JSON, s->reader_config)
                                        : ASLRT_NONE;
    d->reader_max_items = (int)s->reader_max_items;
    d->reader_max_items_path = path_item(l, s->reader_max_items_path, ASLRT_ITEM_REFPATH);
    d->batched = s->batched;
    d->batch_max_items = (int)s->batch_max_items;
    d->batch_max_items_path = path_item(l, s->batch_max_items_path, ASLRT_ITEM_REFPATH);
    d->batch_max_bytes = (int)s->batch_max_bytes;
    d->batch_max_bytes_path = path_item(l, s->batch_max_bytes_path, ASLRT_ITEM_REFPATH);
    d->batch_input = s->batch_input ? add_json_item(l, ASLRT_ITEM_TEMPLATE, s->batch_input)
                                    : ASLRT_NONE;
    d->writes = s->writes;
    d->writer_resource = s->writer_resource;
    d->label = s->label;
    d->writer_params = s->writer_params ? add_json_item(l, ASLRT_ITEM_TEMPLATE, s->writer_params)
                                        : ASLRT_NONE;
    d->writer_config = s->writer_config ? add_json_item(l, ASLRT_ITEM_JSON, s->writer_config)
                                        : ASLRT_NONE;
    if (s->jsonata) {
        d->items_path = jsonata_item(l, s->items, "Items");
        d->item_selector = jsonata_item(l, s->item_selector, "ItemSelector");
        d->max_concurrency_path = jsonata_item(l, s->x_max_concurrency, "MaxConcurrency");
        d->tolerated_count_path = jsonata_item(l, s->x_tolerated_count, "ToleratedFailureCount");
        d->tolerated_percentage_path =
            jsonata_item(l, s->x_tolerated_percentage, "ToleratedFailurePercentage");
        d->reader_params = jsonata_item(l, s->reader_params, "ItemReader/Arguments");
        d->reader_max_items_path = jsonata_item(l, s->x_reader_max_items, "ItemReader/ReaderConfig/MaxItems");
        d->batch_max_items_path = jsonata_item(l, s->x_batch_max_items, "ItemBatcher/MaxItemsPerBatch");
        d->batch_max_bytes_path =
            jsonata_item(l, s->x_batch_max_bytes, "ItemBatcher/MaxInputBytesPerBatch");
        d->batch_input = jsonata_item(l, s->batch_input, "ItemBatcher/BatchInput");
        d->writer_params = jsonata_item(l, s->writer_params, "ResultWriter/Arguments");
    }
    d->nbranches = (int)s->nbranches;
    if (s->nbranches) {
        int *ids = asl_alloc(l->u, s->nbranches * sizeof *ids);
        for (size_t i = 0; i < s->nbranches; i++)
            ids[i] = (int)s->branches[i]->id;
        c->branch_lists[s->id] = ids;
    }

    /* Retry and Catch tables: the state's range of each. */
    d->retrier = (int)c->nretriers;
    d->nretriers = (int)s->nretry;
    d->catcher = (int)c->ncatchers;
    d->ncatchers = (int)s->ncatch;
    for (size_t i = 0; i < s->nretry; i++) {
        const asl_handler *h = s->retry[i];
        ir_retrier *r = &c->retriers[c->nretriers++];
        r->errors = h->errors;
        r->nerrors = h->nerrors;
        r->interval = h->interval;
        r->backoff = h->backoff;
        r->max_attempts = h->max_attempts;
        r->max_delay = h->max_delay;
        r->jitter_full = h->jitter_full;
    }
    for (size_t i = 0; i < s->ncatch; i++) {
        const asl_handler *h = s->catch_[i];
        ir_catcher *k = &c->catchers[c->ncatchers++];
        k->errors = h->errors;
        k->nerrors = h->nerrors;
        k->result_path = path_arg(l, h->result_path, ASLRT_ITEM_REFPATH);
        if (s->jsonata) {
            k->assign = jsonata_item(l, h->assign, "Assign");
            k->output = jsonata_item(l, h->output, "Output");
        } else {
            k->assign = h->assign ? add_json_item(l, ASLRT_ITEM_TEMPLATE, h->assign) : ASLRT_NONE;
        }
    }
}

asl_cfg *asl_lower_machine(asl_unit *u, const asl_machine *m, const char *name)
{
    lowerer l = {.u = u};
    asl_cfg *c = l.c = asl_alloc(u, sizeof *c);
    /* items[0] is the "none" item (ASLRT_NONE): no field refers to it. */
    c->capitems = 64;
    c->items = asl_alloc(u, c->capitems * sizeof *c->items);
    c->items[0].kind = 0;
    c->items[0].text = "";
    c->nitems = 1;
    c->name = asl_strdup(u, name);
    c->source = u->filename;
    c->timeout_seconds = m->timeout_seconds;
    c->nstates = m->nstates;
    c->states = asl_alloc(u, (m->nstates + 1) * sizeof *c->states);
    size_t nr = 0, nc = 0;
    for (size_t i = 0; i < m->nstates; i++) {
        nr += m->states[i]->nretry;
        nc += m->states[i]->ncatch;
    }
    c->branch_lists = asl_alloc(u, (m->nstates + 1) * sizeof *c->branch_lists);
    c->retriers = asl_alloc(u, (nr + 1) * sizeof *c->retriers);
    c->catchers = asl_alloc(u, (nc + 1) * sizeof *c->catchers);
    for (size_t i = 0; i < m->nstates; i++)
        describe(&l, m->states[i], &c->states[i]);
    c->ngraphs = m->ngraphs;
    c->graphs = asl_alloc(u, (m->ngraphs + 1) * sizeof *c->graphs);
    for (size_t gi = 0; gi < m->ngraphs; gi++) {
        const asl_graph *g = m->graphs[gi];
        ir_graph *ig = &c->graphs[gi];
        ig->id = (int)gi;
        ig->nnodes = g->nstates;
        ig->nodes = asl_alloc(u, (g->nstates + 1) * sizeof *ig->nodes);
        for (size_t i = 0; i < g->nstates; i++)
            lower_state(&l, g->states[i], &ig->nodes[i]);
        ig->start = node_of(g, g->start_at);
        /* A state that aslrt_op_flow runs takes its items from its
         * descriptor: the call in the code names only the state. */
        ir_flow fl;
        for (size_t i = 0; i < ig->nnodes; i++)
            if (ir_node_flow(&ig->nodes[i], &fl)) {
                aslrt_state *d = &c->states[fl.state];
                d->flow_input_path = fl.input_path;
                d->flow_parameters = fl.parameters;
                d->flow_result = fl.result;
                d->flow_result_path = fl.result_path;
                d->flow_output_path = fl.output_path;
            }
    }
    /* The runtime notes each state's entry time only when something can
     * read it: a path into the context object. */
    for (size_t i = 0; i < c->nitems; i++)
        if (strstr(c->items[i].text, c->items[i].kind == ASLRT_ITEM_JSONATA ? "$states" : "$$"))
            c->flags |= ASLRT_MACHINE_USES_CONTEXT;
    asl_ir_check(c);
    return c;
}

static void check_op(const asl_cfg *c, const ir_op *o)
{
    int want = 0;
    switch (o->kind) {
    case IR_INPUT_PATH:
    case IR_OUTPUT_PATH: want = ASLRT_ITEM_PATH; break;
    case IR_RESULT_PATH: want = ASLRT_ITEM_REFPATH; break;
    case IR_PARAMETERS:
    case IR_ASSIGN_EFF:
    case IR_ASSIGN_RES:
    case IR_RESULT_SELECTOR: want = ASLRT_ITEM_TEMPLATE; break;
    case IR_RESULT_JSON: want = ASLRT_ITEM_JSON; break;
    case IR_JN_ARGUMENTS:
    case IR_JN_ASSIGN:
    case IR_JN_OUTPUT:
        if (o->arg == ASLRT_NONE)
            return;
        want = ASLRT_ITEM_JSONATA;
        break;
    case IR_ENTER: ASL_ASSERT(o->arg >= 0 && (size_t)o->arg < c->nstates); return;
    default: return;
    }
    if (o->arg == ASLRT_NONE || o->arg == ASLRT_NULL_PATH) {
        ASL_ASSERT(want == ASLRT_ITEM_PATH || want == ASLRT_ITEM_REFPATH);
        return;
    }
    ASL_ASSERT(o->arg >= 0 && (size_t)o->arg < c->nitems);
    ASL_ASSERT(c->items[o->arg].kind == want);
}

static void check_cond(const asl_cfg *c, const ir_cond *k)
{
    if (k->kind == ASL_RULE_TEST) {
        ASL_ASSERT(k->cmp >= 0 && (size_t)k->cmp < c->ncmps);
        return;
    }
    if (k->kind == ASL_RULE_CONDITION) {
        ASL_ASSERT(k->item == ASLRT_NONE || c->items[k->item].kind == ASLRT_ITEM_JSONATA);
        return;
    }
    ASL_ASSERT(k->kind != ASL_RULE_NOT || k->nkids == 1);
    for (size_t i = 0; i < k->nkids; i++)
        check_cond(c, k->kids[i]);
}

void asl_ir_check(const asl_cfg *c)
{
    ASL_ASSERT(c->ngraphs >= 1);
    for (size_t gi = 0; gi < c->ngraphs; gi++) {
        const ir_graph *g = &c->graphs[gi];
        ASL_ASSERT(g->start >= 0 && (size_t)g->start < g->nnodes);
        for (size_t i = 0; i < g->nnodes; i++) {
            const ir_node *n = &g->nodes[i];
            ASL_ASSERT(n->nops >= 1 || n->term == IR_FAIL || n->term == IR_CHOOSE);
            for (size_t j = 0; j < n->nops; j++)
                check_op(c, &n->ops[j]);
            for (size_t j = 0; j < n->nafter; j++)
                check_op(c, &n->after_choice[j]);
            switch (n->term) {
            case IR_GOTO: ASL_ASSERT(n->next >= 0 && (size_t)n->next < g->nnodes); break;
            case IR_CHOOSE:
                ASL_ASSERT(n->next >= -1 && n->next < (int)g->nnodes);
                ASL_ASSERT(n->rules < 0 ||
                           ((size_t)n->rules < c->nrules &&
                            c->rules[n->rules].kind == ASLRT_RULE_CHOICE &&
                            c->rules[n->rules].nkids == (int)n->narms &&
                            (size_t)n->rules + (size_t)c->rules[n->rules].size <= c->nrules));
                for (size_t j = 0; j < n->narms; j++) {
                    ASL_ASSERT(n->arms[j].target >= 0 && (size_t)n->arms[j].target < g->nnodes);
                    check_cond(c, n->arms[j].cond);
                }
                break;
            default: break;
            }
        }
    }
}

/* ---- Regions ---------------------------------------------------------- */

/* The size of a node's code, counted in runtime calls. */
static size_t node_weight(const ir_node *n)
{
    ir_flow fl;
    if (ir_node_flow(n, &fl))
        return 2;               /* one aslrt_op_flow call, then on */
    size_t w = n->nops + 1;
    if (n->term == IR_CHOOSE)
        for (size_t j = 0; j <= n->narms; j++) {
            if (j < n->narms)
                w += (n->rules >= 0 ? 0 : cond_weight(n->arms[j].cond)) + 1;
            if ((j < n->narms || n->next >= 0) && ir_choice_same(n, j) == j)
                w += 2 + n->nafter; /* what it does once chosen, shared */
        }
    if (n->recovers)
        w += 1 + 2 * n->ncatch;
    return w;
}

int asl_ir_regions(const ir_graph *g, int *region_of)
{
    const size_t budget = IR_REGION_BUDGET;
    int r = -1;
    size_t w = budget;
    for (size_t i = 0; i < g->nnodes; i++) {
        size_t nw = node_weight(&g->nodes[i]);
        if (w + nw > budget) {
            r++;
            w = 0;
        }
        w += nw;
        region_of[i] = r;
    }
    return r + 1;
}

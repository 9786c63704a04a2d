/*
 * ir.h - the compiler's intermediate form: a control-flow graph per ASL
 * graph (state machine, Parallel branch, Map item processor).
 *
 * Each state becomes one node: a straight sequence of operations (the data
 * flow of doc/behaviour.md §4: select input, build a template, invoke, select
 * and merge the result, select the output) followed by a terminator (go to
 * a node, return, branch on Choice conditions, fail).  Operands are indexes
 * into the cfg's constant tables: items (paths, templates, JSON values, as
 * source text that the runtime compiles once per program), comparisons and
 * state descriptors.  Backends walk this and nothing else; they never see
 * the AST or the JSON document.
 */
#ifndef ASL_IR_H
#define ASL_IR_H

#include <stddef.h>

#include "aslrt.h"
#include "ast.h"

typedef enum {
    IR_ENTER,            /* arg: state id */
    IR_INPUT_PATH,       /* arg: PATH item, ASLRT_NONE ($) or ASLRT_NULL_PATH */
    IR_PARAMETERS,       /* arg: TEMPLATE item */
    IR_RESULT_JSON,      /* arg: JSON item (Pass Result) */
    IR_RESULT_INPUT,     /* result = effective input */
    IR_INVOKE,           /* call the Task's handler */
    IR_RESULT_SELECTOR,  /* arg: TEMPLATE item */
    IR_RESULT_PATH,      /* arg: REFPATH item, ASLRT_NONE ($) or ASLRT_NULL_PATH */
    IR_OUTPUT_PATH,      /* arg: PATH item, ASLRT_NONE ($) or ASLRT_NULL_PATH */
    IR_WAIT,             /* the Wait state's delay */
    IR_PARALLEL,         /* run the branches (state descriptor) */
    IR_MAP,              /* run the item processor over the items */
    IR_ASSIGN_EFF,       /* arg: TEMPLATE item: Assign over the effective input */
    IR_ASSIGN_RES,       /* arg: TEMPLATE item: Assign over the result */
    IR_EXIT,             /* state exited */
    /* JSONata mode (doc/behaviour.md §5); args are JSONATA items or ASLRT_NONE */
    IR_JN_ARGUMENTS,     /* effective input = Arguments */
    IR_JN_ASSIGN,        /* Assign, over $states.input and $states.result */
    IR_JN_OUTPUT         /* state output = Output (default: the result, else the input) */
} ir_op_kind;

typedef struct ir_op {
    ir_op_kind kind;
    int arg;
} ir_op;

/* The runtime call an op becomes, the same in every backend: the
 * aslrt_op_* function of aslrt.h, and how many int arguments follow its
 * (ex, &f): none, the op's arg, or for Assign the arg and 1 when it runs
 * over the result. */
typedef struct ir_op_call {
    const char *fn;
    int nargs;
} ir_op_call;

static inline ir_op_call ir_op_runtime_call(ir_op_kind k)
{
    static const ir_op_call calls[] = {
        [IR_ENTER] = {"aslrt_op_enter", 1},
        [IR_INPUT_PATH] = {"aslrt_op_input_path", 1},
        [IR_PARAMETERS] = {"aslrt_op_parameters", 1},
        [IR_RESULT_JSON] = {"aslrt_op_result_json", 1},
        [IR_RESULT_INPUT] = {"aslrt_op_result_input", 0},
        [IR_INVOKE] = {"aslrt_op_invoke", 0},
        [IR_RESULT_SELECTOR] = {"aslrt_op_result_selector", 1},
        [IR_RESULT_PATH] = {"aslrt_op_result_path", 1},
        [IR_OUTPUT_PATH] = {"aslrt_op_output_path", 1},
        [IR_WAIT] = {"aslrt_op_wait", 0},
        [IR_PARALLEL] = {"aslrt_op_parallel", 0},
        [IR_MAP] = {"aslrt_op_map", 0},
        [IR_ASSIGN_EFF] = {"aslrt_op_assign", 2},
        [IR_ASSIGN_RES] = {"aslrt_op_assign", 2},
        [IR_EXIT] = {"aslrt_op_exit", 0},
        [IR_JN_ARGUMENTS] = {"aslrt_op_jn_arguments", 1},
        [IR_JN_ASSIGN] = {"aslrt_op_jn_assign", 1},
        [IR_JN_OUTPUT] = {"aslrt_op_jn_output", 1},
    };
    ASL_ASSERT((size_t)k < sizeof calls / sizeof calls[0] && calls[k].fn);
    return calls[k];
}

/* A Choice condition: a tree of And/Or/Not over data tests. */
typedef struct ir_cond {
    asl_rule_kind kind;
    struct ir_cond **kids;
    size_t nkids;
    int cmp;                  /* ASL_RULE_TEST: index into cfg->cmps */
    int item;                 /* ASL_RULE_CONDITION: JSONATA item, or ASLRT_NONE with */
    bool literal;             /*   a literal true/false Condition */
} ir_cond;

typedef struct ir_arm {
    ir_cond *cond;
    int target;               /* node index in the same graph */
    int assign;               /* the rule's Assign (TEMPLATE or JSONATA item) or ASLRT_NONE */
    int output;               /* JSONata: the rule's Output (JSONATA item) or ASLRT_NONE */
} ir_arm;

typedef enum {
    IR_GOTO,                  /* to `next` */
    IR_RETURN,                /* end of the graph: its output is the state output */
    IR_CHOOSE,                /* first arm whose cond holds, else `next` (Default) or no match */
    IR_FAIL                   /* a Fail state */
} ir_term;

typedef struct ir_node {
    const asl_state *state;   /* for names and comments */
    int id;                   /* index into cfg->states */
    ir_op *ops;
    size_t nops;
    ir_term term;
    int next;                 /* IR_GOTO target, IR_CHOOSE default (-1: none) */
    ir_arm *arms;             /* IR_CHOOSE */
    size_t narms;
    ir_op *after_choice;      /* IR_CHOOSE: ops run once an arm is taken */
    size_t nafter;
    int default_assign;       /* IR_CHOOSE: the state's Assign, for Default */
    int default_output;       /* IR_CHOOSE, JSONata: the state's Output, or ASLRT_NONE */
    int rules;                /* IR_CHOOSE: its rules' header in cfg->rules when they
                                 are data (aslrt_op_choose), else -1: code */
    bool jsonata;             /* a JSONata-mode state */
    bool recovers;            /* has Retry or Catch: failing ops go to the recovery */
    int *catch_targets;       /* node of each catcher's Next */
    size_t ncatch;
} ir_node;

/* The arguments of aslrt_op_flow (aslrt.h), when node n's ops are exactly
 * the ones it makes: enter, [InputPath], [Parameters], Result or the
 * effective input, ResultPath, [OutputPath], exit; and a failure ends the
 * graph (no Retry or Catch).  Backends then make that one call for the
 * ops: most Pass states, whose chains would otherwise be five calls and
 * five tests a state for the C compiler to read. */
typedef struct ir_flow {
    int state, input_path, parameters, result, result_path, output_path;
} ir_flow;

static inline bool ir_node_flow(const ir_node *n, ir_flow *fl)
{
    const ir_op *o = n->ops, *end = n->ops + n->nops;
    if (n->recovers || n->jsonata || o == end || o->kind != IR_ENTER)
        return false;
    *fl = (ir_flow){(o++)->arg, ASLRT_NONE, ASLRT_NONE, ASLRT_NONE, ASLRT_NONE, ASLRT_NONE};
    /* An op whose arg is ASLRT_NONE is one the call would leave out. */
    if (o < end && o->kind == IR_INPUT_PATH && o->arg != ASLRT_NONE)
        fl->input_path = (o++)->arg;
    if (o < end && o->kind == IR_PARAMETERS && o->arg != ASLRT_NONE)
        fl->parameters = (o++)->arg;
    if (o < end && o->kind == IR_RESULT_JSON && o->arg != ASLRT_NONE)
        fl->result = (o++)->arg;
    else if (o < end && o->kind == IR_RESULT_INPUT)
        o++;
    else
        return false;
    if (o == end || o->kind != IR_RESULT_PATH)
        return false;
    fl->result_path = (o++)->arg;
    if (o < end && o->kind == IR_OUTPUT_PATH && o->arg != ASLRT_NONE)
        fl->output_path = (o++)->arg;
    return o + 1 == end && o->kind == IR_EXIT;
}

/* What a Choice does once it has chosen arm j (Default when j is narms):
 * the Assign (the rule's, or the state's for Default), in JSONata the
 * Output (the rule's, else the state's; doc/behaviour.md §10), then the
 * node's after_choice ops and on to target. */
typedef struct ir_chosen {
    int target, assign, output;
} ir_chosen;

static inline ir_chosen ir_choice_chosen(const ir_node *n, size_t j)
{
    if (j == n->narms)
        return (ir_chosen){n->next, n->default_assign, n->jsonata ? n->default_output : ASLRT_NONE};
    const ir_arm *a = &n->arms[j];
    return (ir_chosen){a->target, a->assign,
                       !n->jsonata ? ASLRT_NONE
                       : a->output != ASLRT_NONE ? a->output : n->default_output};
}

/* The first of a Choice's arms (0 .. narms, Default last) that does what
 * arm j does once chosen: rules that lead to the same place share one
 * copy of that code in every backend. */
static inline size_t ir_choice_same(const ir_node *n, size_t j)
{
    ir_chosen c = ir_choice_chosen(n, j);
    for (size_t k = 0; k < j; k++) {
        ir_chosen d = ir_choice_chosen(n, k);
        if (d.target == c.target && d.assign == c.assign && d.output == c.output)
            return k;
    }
    return j;
}

/* The arguments of aslrt_op_branch (aslrt.h), when node n is a Choice it
 * runs whole: its ops only enter, one rule that is a single test, a
 * Default, and once chosen only the exit (no Assign, InputPath or
 * OutputPath); a failure ends the graph.  Most loops end in one. */
typedef struct ir_branch {
    int state, cmp;
} ir_branch;

static inline bool ir_node_branch(const ir_node *n, ir_branch *b)
{
    if (n->term != IR_CHOOSE || n->rules >= 0 || n->recovers || n->jsonata || n->nops != 1 ||
        n->ops[0].kind != IR_ENTER || n->narms != 1 || n->arms[0].cond->kind != ASL_RULE_TEST ||
        n->next < 0 || n->nafter != 1 || n->after_choice[0].kind != IR_EXIT)
        return false;
    for (size_t j = 0; j <= 1; j++) {
        ir_chosen c = ir_choice_chosen(n, j);
        if (c.assign != ASLRT_NONE || c.output != ASLRT_NONE)
            return false;
    }
    *b = (ir_branch){n->ops[0].arg, n->arms[0].cond->cmp};
    return true;
}

/* Retriers and catchers, with their ErrorEquals. */
typedef struct ir_retrier {
    const char **errors;
    size_t nerrors;
    double interval, backoff;
    long long max_attempts, max_delay;
    bool jitter_full;
} ir_retrier;

typedef struct ir_catcher {
    const char **errors;
    size_t nerrors;
    int result_path;          /* REFPATH item, ASLRT_NONE or ASLRT_NULL_PATH */
    int assign;               /* TEMPLATE (JSONata: JSONATA) item or ASLRT_NONE */
    int output;               /* JSONata: the catcher's Output (JSONATA item) or ASLRT_NONE */
} ir_catcher;

typedef struct ir_graph {
    int id;                   /* index into cfg->graphs */
    int start;                /* entry node */
    ir_node *nodes;
    size_t nnodes;
} ir_graph;

typedef struct ir_item {
    int kind;                 /* ASLRT_ITEM_* */
    const char *text;
    /* ASLRT_ITEM_JSONATA: the field named in errors ("Output", "Items"),
     * and the parsed "{% %}" expressions of text in document order. */
    const char *field;
    const struct aslrt_jn_node **exprs;
    size_t nexprs;
    /* ASLRT_ITEM_JSON, ASLRT_ITEM_TEMPLATE: the value text was written
     * from (borrowed from the unit's document), for the in-memory backend */
    json_t *value;
} ir_item;

typedef struct asl_cfg {
    const char *name;         /* default state machine name */
    const char *source;       /* definition file */
    ir_graph *graphs;         /* graphs[0] is the state machine */
    size_t ngraphs;
    ir_item *items;
    size_t nitems, capitems;
    aslrt_cmp *cmps;
    size_t ncmps, capcmps;
    aslrt_rule *rules;        /* the rules of Choice states with many (ir_node.rules) */
    size_t nrules, caprules;
    aslrt_state *states;      /* one descriptor per state (strings in the arena) */
    size_t nstates;
    int **branch_lists;       /* per state: its branches' graph ids (Parallel), else NULL */
    ir_retrier *retriers;     /* every state's, in state order (aslrt_state.retrier) */
    size_t nretriers;
    ir_catcher *catchers;     /* every state's (aslrt_state.catcher) */
    size_t ncatchers;
    long long timeout_seconds;
    int flags;                /* ASLRT_MACHINE_* */
} asl_cfg;

/* lower.c: a validated machine to its cfg (arena of u).  Assumes the
 * machine passed asl_validate_machine and asl_validate_supported. */
asl_cfg *asl_lower_machine(asl_unit *u, const asl_machine *m, const char *name);

/* lower.c: splits graph g into regions, runs of consecutive nodes that a
 * backend compiles into one function: region_of[i] is node i's region;
 * returns how many there are.  A region holds nodes while the size of
 * their code (runtime calls and branches) stays within IR_REGION_BUDGET,
 * so that an optimizing compiler's work per function is bounded and its
 * time grows linearly with the number of states, while most transitions
 * stay jumps inside a function.  A function per state costs gcc -O2 about
 * twice as much in all (it spends much per function whatever its size);
 * 128 to 256 was the cheapest on the chains of bench/compile/gen.py
 * (doc/architecture.md). */
#define IR_REGION_BUDGET 192

/* A Choice state whose rules make more runtime calls than this has them
 * as data, run by aslrt_op_choose, instead of code: each call site and
 * branch costs an optimizing compiler more than the whole rule costs at
 * run time in a table, and the few rules of a loop's Choice stay code
 * (doc/architecture.md).  ASLC_CHOICE_INLINE_MAX sets another limit (0:
 * every Choice as data), so that the test suite can run the conformance
 * corpus, whose Choices are small, through the tables too (aslc(1)). */
#define IR_CHOICE_INLINE_MAX 4
int asl_ir_regions(const ir_graph *g, int *region_of);

/* lower.c: checks the cfg's invariants (targets in range, operands of the
 * right item kind); aborts with an internal error when one is broken. */
void asl_ir_check(const asl_cfg *c);

#endif /* ASL_IR_H */

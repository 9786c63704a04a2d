/*
 * ast.h - the ASL document model (JSONPath and JSONata modes) that parse.c
 * builds.
 *
 * A machine is a tree of graphs: the top-level state machine, each Parallel
 * branch and each Map item processor is an asl_graph with its own StartAt
 * and States.  Every node carries its JSON pointer (`ptr`), the canonical
 * location for diagnostics.  json_t pointers are borrowed from the unit's
 * root; NULL means "field absent", json null means the field was null.
 */
#ifndef ASL_AST_H
#define ASL_AST_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "unit.h"

typedef struct asl_graph asl_graph;
typedef struct asl_state asl_state;

/* A Choice rule: a Boolean combination or a data test. */
typedef enum {
    ASL_RULE_AND, ASL_RULE_OR, ASL_RULE_NOT, ASL_RULE_TEST,
    ASL_RULE_CONDITION         /* JSONata: Condition */
} asl_rule_kind;

typedef struct asl_rule {
    asl_rule_kind kind;
    char *ptr;                 /* JSON pointer of the rule object */
    struct asl_rule **kids;    /* And/Or operands; Not has one */
    size_t nkids;
    const char *variable;      /* data test: Variable */
    int op;                    /* data test: ASLRT_CMP_* */
    const char *op_name;       /* the operator field's name as written */
    json_t *operand;           /* data test: the operator's value */
    bool is_path;              /* the ...Path form */
    const char *next;          /* top-level rules: Next */
    json_t *assign;            /* top-level rules: Assign */
    /* JSONata rules (doc/behaviour.md §10.1) */
    json_t *condition;         /* Condition: true, false or a "{% %}" string */
    json_t *output;            /* Output */
} asl_rule;

/* A retrier or catcher. */
typedef struct asl_handler {
    char *ptr;
    const char **errors;       /* ErrorEquals */
    size_t nerrors;
    /* Retry */
    double interval, backoff;  /* IntervalSeconds, BackoffRate */
    long long max_attempts;    /* MaxAttempts */
    long long max_delay;       /* MaxDelaySeconds, 0 = unbounded */
    bool jitter_full;          /* JitterStrategy FULL */
    /* Catch */
    const char *next;
    json_t *result_path;
    json_t *assign;
    json_t *output;            /* JSONata: the catcher's Output */
} asl_handler;

struct asl_state {
    const char *name;          /* the key in States */
    char *ptr;                 /* "/States/<name>" (escaped) */
    int type;                  /* ASLRT_STATE_* */
    json_t *json;              /* the state object */
    asl_graph *graph;          /* the graph that holds it */
    size_t index;              /* position in graph->states */
    size_t id;                 /* position in the machine's state table */
    const char *comment;

    const char *next;          /* Next, or NULL */
    bool end;                  /* End: true (or a terminal type) */

    /* JSONPath data flow */
    json_t *input_path, *output_path, *result_path;
    json_t *parameters, *result_selector, *result, *assign;

    /* Task */
    const char *resource;
    long long timeout_seconds, heartbeat_seconds;   /* 0 = absent */
    const char *timeout_path, *heartbeat_path;
    json_t *credentials;

    /* Choice */
    asl_rule **choices;
    size_t nchoices;
    const char *default_next;

    /* Wait */
    long long seconds;         /* -1 = absent */
    const char *timestamp, *seconds_path, *timestamp_path;

    /* Fail */
    const char *error, *cause, *error_path, *cause_path;

    /* Retry and Catch (Task, Parallel, Map) */
    asl_handler **retry;
    size_t nretry;
    asl_handler **catch_;
    size_t ncatch;

    /* Parallel */
    asl_graph **branches;
    size_t nbranches;

    /* Map */
    asl_graph *processor;      /* ItemProcessor or Iterator */
    json_t *item_selector;     /* ItemSelector or (Map) Parameters */
    const char *items_path;
    long long max_concurrency; /* MaxConcurrency, 0 when absent (unbounded) */
    const char *max_concurrency_path;
    bool distributed;          /* ProcessorConfig.Mode DISTRIBUTED */
    bool express_children;     /* ProcessorConfig.ExecutionType EXPRESS */
    long long tolerated_count; /* ToleratedFailureCount, -1 when absent */
    double tolerated_percentage; /* ToleratedFailurePercentage, -1 when absent */
    const char *tolerated_count_path, *tolerated_percentage_path;
    json_t *map_json;          /* the Map's other distributed fields, as written */
    /* ItemReader */
    const char *reader_resource;
    json_t *reader_params;     /* Parameters template */
    json_t *reader_config;     /* ReaderConfig */
    long long reader_max_items;/* MaxItems, 0 when absent */
    const char *reader_max_items_path;
    /* ItemBatcher */
    bool batched;
    long long batch_max_items, batch_max_bytes;      /* 0 when absent */
    const char *batch_max_items_path, *batch_max_bytes_path;
    json_t *batch_input;       /* BatchInput template */
    /* ResultWriter */
    bool writes;
    const char *writer_resource;
    json_t *writer_params;
    json_t *writer_config;
    const char *label;         /* Map: Label, or NULL */

    const char *query_language;/* the state's QueryLanguage, or NULL */

    /* JSONata mode (doc/behaviour.md §5).  Every "{% %}" string in these was
     * parsed when the state was; lower.c turns them into JSONATA items.  A
     * numeric or string knob written as an expression is kept as its JSON
     * string here (the literal forms fill the fields above). */
    bool jsonata;
    json_t *arguments, *output;
    json_t *x_timeout, *x_heartbeat, *x_seconds, *x_timestamp, *x_error, *x_cause;
    json_t *items;             /* Map Items: an array or an expression */
    json_t *x_max_concurrency, *x_tolerated_count, *x_tolerated_percentage;
    json_t *x_reader_max_items, *x_batch_max_items, *x_batch_max_bytes;
};

struct asl_graph {
    char *ptr;                 /* pointer of the object holding StartAt/States */
    const char *start_at;
    asl_state **states;        /* in document order */
    size_t nstates;
    asl_state *owner;          /* the Parallel/Map state, NULL at top level */
    size_t id;                 /* position in the machine's graph table */
    asl_state **by_name;       /* the states sorted by name, for asl_graph_find */
};

typedef struct asl_machine {
    asl_graph *top;
    const char *comment, *version, *query_language;
    long long timeout_seconds; /* 0 = absent */
    asl_state **states;        /* every state, machine-wide, document order */
    size_t nstates;
    asl_graph **graphs;        /* every graph; graphs[0] is top */
    size_t ngraphs;
    bool express;              /* checked as an EXPRESS state machine (set by the caller) */
} asl_machine;

/* parse.c: builds the AST and checks each field's shape and sub-language
 * (paths, templates, intrinsic calls, timestamps).  Returns NULL only when
 * the document is not an object; otherwise a machine, possibly with errors
 * recorded in u->diags. */
asl_machine *asl_parse_machine(asl_unit *u);

/* parse.c: the state of graph g called name, or NULL; O(log n). */
asl_state *asl_graph_find(const asl_graph *g, const char *name);

/* validate.c: graph rules (targets, reachability, terminal states, unique
 * names).  Adds diagnostics; returns true when it found no error. */
bool asl_validate_machine(asl_unit *u, const asl_machine *m);
/* How many look-ups and changes of its name tables the variable check of
 * every machine of this process has made: its work, for the tests. */
size_t asl_validate_steps(void);

/* validate.c: reports what this version of aslc cannot execute yet, as
 * errors (sev ASL_DIAG_ERROR) or, for `aslc check`, warnings.  Returns true
 * when the machine is fully supported. */
bool asl_validate_supported(asl_unit *u, const asl_machine *m, asl_severity sev);

#endif /* ASL_AST_H */

/*
 * graph.h - drawings of a state machine, for `aslc graph`.
 *
 * Two views: the machine as the AWS console draws it (one node per state,
 * Start and End markers, Next, Choice, Catch and Retry edges, Parallel and
 * Map as clusters holding their branches and item processor), in Graphviz
 * DOT or Mermaid, drawn from the AST; and the compiler's own control-flow
 * graph (ir.h) as readable text.  State names may hold any character: every
 * user string is written escaped for the target language, so a name can
 * never end a label or start a statement.
 *
 * (The prefix asl_graph_ belongs to the AST's graphs: these are asl_draw_.)
 */
#ifndef ASL_GRAPH_H
#define ASL_GRAPH_H

#include <stdbool.h>
#include <stdio.h>

#include "ast.h"
#include "ir.h"

typedef enum {
    ASL_DRAW_DOT,       /* Graphviz: digraph, clusters for Parallel and Map */
    ASL_DRAW_MERMAID,   /* Mermaid: flowchart TD, subgraphs */
    ASL_DRAW_IR         /* the lowered cfg as text */
} asl_draw_format;

/* "dot", "mermaid" or "ir" to *f; false for any other name. */
bool asl_draw_parse_format(const char *name, asl_draw_format *f);

/* Writes the validated machine m, titled name, to out in DOT or Mermaid.
 * Returns false only when writing failed (ferror). */
bool asl_draw_dot(FILE *out, const asl_machine *m, const char *name);
bool asl_draw_mermaid(FILE *out, const asl_machine *m);

/* Writes the cfg as text: each graph's nodes with their operations and
 * terminator, then the tables (states, retriers, catchers, comparisons,
 * items).  Stable from run to run, so golden tests can compare it.
 * Returns false only when writing failed. */
bool asl_draw_ir(FILE *out, const asl_cfg *c);

#endif /* ASL_GRAPH_H */

/*
 * children.h - the state machines a workflow starts as nested executions,
 * compiled for `aslc run` (on first use) and `aslc build` (all at once):
 * children.c.
 */
#ifndef ASL_CHILDREN_H
#define ASL_CHILDREN_H

#include <stdbool.h>
#include <stddef.h>

#include "aslrt.h"

/* A state machine compiled in memory (TinyCC, or LLVM's ORC when llvm)
 * under the C prefix, with its program: NULL with *why (malloc'd).
 * Shared by aslc run's children and aslc serve.  Thread-safe. */
struct asl_cfg;
typedef struct asl_compiled asl_compiled;
asl_compiled *asl_compile_memory(const struct asl_cfg *cfg, const char *prefix, bool llvm,
                                 char **why);
const aslrt_program *asl_compiled_program(const asl_compiled *c);
void asl_compiled_destroy(asl_compiled *c);

/* aslc run: a loader of definition files (aslrt_machine_loader_fn with the
 * table as its ud), compiling each file once, with LLVM's ORC when llvm
 * is set, else with TinyCC.  Thread-safe.  Destroy it after the
 * executions have returned: it owns the programs. */
typedef struct asl_children asl_children;
asl_children *asl_children_create(bool llvm);
void asl_children_destroy(asl_children *c);
const aslrt_program *asl_children_load(void *ud, const char *arn, const char *path,
                                       aslrt_error *err);
/* How many definitions the table has compiled so far. */
size_t asl_children_count(asl_children *c);

/* aslc build: one state machine compiled in, under the key the runtime
 * finds it by (an ARN or a name), with its definition's absolute path and
 * its C (prefix aslc_child_<index>, the header included). */
typedef struct asl_child_c {
    char *key;
    char *source;
    char *csrc;
} asl_child_c;

/* The children named by the bindings file's "StateMachines" section and
 * by the definitions in dir (either may be NULL), compiled to C.  False
 * with *err (malloc'd) when one cannot be read or is not valid. */
bool asl_children_collect(const char *bindings, const char *dir, asl_child_c **out, size_t *n,
                          char **err);
void asl_children_free(asl_child_c *v, size_t n);
/* The C of main(): the machine <prefix>_machine run with the children
 * v[0..n) compiled in (aslrt_main_nested).  Malloc'd. */
char *asl_children_main(const char *prefix, const asl_child_c *v, size_t n);

#endif /* ASL_CHILDREN_H */

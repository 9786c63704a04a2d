/*
 * unit.h - one compilation: the file name, its bytes, the parsed JSON tree,
 * an arena for everything the compiler builds, and the diagnostics.
 *
 * Memory model (QBE's alloc/freeall): the AST, the IR and every string the
 * compiler makes come from the unit's arena and die together in
 * asl_unit_destroy.  AST and IR nodes hold borrowed json_t pointers into
 * the unit's root, valid for the unit's lifetime.
 */
#ifndef ASL_UNIT_H
#define ASL_UNIT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "diag.h"

typedef struct asl_arena_block asl_arena_block;

typedef struct asl_unit {
    char *filename;          /* as given on the command line */
    char *text;              /* the source bytes, NUL-terminated */
    size_t len;              /* their length */
    json_t *root;            /* the parsed document (one reference) or NULL */
    asl_diags diags;         /* everything found wrong, in order found */
    asl_arena_block *arena;  /* allocation blocks, freed in one go */
    struct jn_ctx *jn;       /* JSONata ASTs of the definition (asl_unit_jsonata) */
} asl_unit;

/* Creates a unit from bytes (copied).  Parses the JSON: a syntax error is
 * recorded as a diagnostic and root stays NULL. */
asl_unit *asl_unit_create(const char *filename, const char *text, size_t len);
/* Reads a file; returns NULL and sets *errmsg (static text from strerror)
 * when it cannot be read. */
asl_unit *asl_unit_load(const char *path, const char **errmsg);
void asl_unit_destroy(asl_unit *u);
/* The arena that JSONata ASTs parsed from u live in, created on first use. */
struct jn_ctx *asl_unit_jsonata(asl_unit *u);

/* Arena allocation: zeroed, aligned for any type, aborts on OOM. */
void *asl_alloc(asl_unit *u, size_t size);
char *asl_strdup(asl_unit *u, const char *s);
char *asl_strdupf(asl_unit *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A pointer for diagnostics: base + "/" + escaped token, in the arena. */
char *asl_ptr(asl_unit *u, const char *base, const char *token);
char *asl_ptr_index(asl_unit *u, const char *base, size_t index);

/* Aborts with an internal-error message: a broken invariant, never bad
 * input (STYLE: separate bad input from broken invariants). */
_Noreturn void asl_internal_error(const char *file, int line, const char *msg);
#define ASL_UNREACHABLE() asl_internal_error(__FILE__, __LINE__, "unreachable")
#define ASL_ASSERT(c) \
    ((c) ? (void)0 : asl_internal_error(__FILE__, __LINE__, "assertion failed: " #c))

#endif /* ASL_UNIT_H */

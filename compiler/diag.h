/*
 * diag.h - compiler diagnostics: records, and the one printer.
 *
 * Library code never writes to stderr: it appends asl_diag records to an
 * asl_diags list.  Only main.c prints them, through asl_diag_print, which is
 * the single place that turns a JSON pointer into file:line:col, the source
 * line and a caret (srcmap.c does the locating).
 *
 * The JSON pointer (RFC 6901, "~" -> "~0", "/" -> "~1") is the canonical
 * location of every diagnostic.
 */
#ifndef ASL_DIAG_H
#define ASL_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum {
    ASL_DIAG_ERROR,
    ASL_DIAG_WARNING,
    ASL_DIAG_NOTE
} asl_severity;

/* Where, for a given pointer, the caret goes. */
typedef enum {
    ASL_AT_VALUE,   /* the value the pointer names (default) */
    ASL_AT_KEY,     /* the key of the member the pointer names */
    ASL_AT_STRING,  /* inside the string value, at str_offset (decoded bytes) */
    ASL_AT_OFFSET   /* at byte str_offset of the text, whatever the pointer
                       (JSON syntax errors, which have no value to point at) */
} asl_anchor;

typedef struct asl_diag {
    asl_severity severity;
    char *pointer;       /* JSON pointer of the value concerned ("" = root) */
    asl_anchor anchor;   /* where the caret goes */
    size_t str_offset;   /* with ASL_AT_STRING: byte offset in the decoded string */
    char *code;          /* AWS's diagnostic code (SCHEMA_VALIDATION_FAILED, ...) or NULL */
    char *message;       /* lower case, no final period */
    char *file;          /* NULL: the definition; else the file it is about
                            (a bindings file, an input file), not placed */
} asl_diag;

typedef struct asl_diags {
    asl_diag *v;         /* records in the order they were added */
    size_t n, cap;
    size_t nerrors;      /* how many have severity ASL_DIAG_ERROR */
} asl_diags;

void asl_diag_init(asl_diags *d);
void asl_diag_free(asl_diags *d);

/* Appends a record; pointer and code are copied.  Returns the record. */
asl_diag *asl_diag_add(asl_diags *d, asl_severity sev, const char *pointer,
                       asl_anchor anchor, size_t str_offset, const char *code,
                       const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
asl_diag *asl_diag_vadd(asl_diags *d, asl_severity sev, const char *pointer,
                        asl_anchor anchor, size_t str_offset, const char *code,
                        const char *fmt, va_list ap);

/* Says that g is about another file than the definition (copied). */
void asl_diag_set_file(asl_diag *g, const char *file);

/* Sorts the records into document order (by their byte offset in text),
 * keeping the order of records at the same place.  Stable. */
void asl_diag_sort(asl_diags *d, const char *text, size_t len);

/* Prints the records in GCC's format, followed by the JSON pointer, the
 * source line and a caret:
 *
 *   order.asl.json:14:15: error: "Next" names ... [/States/Charge/Next]
 *      14 |       "Next": "Shipp",
 *         |               ^
 *
 * At most max_errors errors are printed (0 = no limit); a line says how many
 * were left out.  text may be NULL (then no line:col and no caret). */
void asl_diag_print(FILE *out, const asl_diags *d, const char *filename,
                    const char *text, size_t len, size_t max_errors);
/* Has asl_diag_print paint what it writes to out with ANSI colours, as GCC
 * does for a terminal (NULL: nothing is painted; main.c decides, from
 * --color and NO_COLOR). */
void asl_diag_use_color(FILE *out);

/* Prints the records as one JSON document, for editors and CI tools (jq,
 * problem matchers), on one line:
 *
 *   {"diagnostics": [{"severity": "error", "code": "SCHEMA_VALIDATION_FAILED",
 *     "message": "...", "file": "order.asl.json", "line": 14, "column": 15,
 *     "pointer": "/States/Charge/Next", "offset": 301}, ...],
 *    "errors": 1, "warnings": 0}
 *
 * severity is "error", "warning" or "note"; code is null when the record
 * has none; line, column (1-based, in code points) and offset (bytes) are
 * null when the pointer cannot be located.  Every record is listed
 * (max_errors is for people); errors and warnings count them.  The
 * document is printed even when there is no record. */
void asl_diag_print_json(FILE *out, const asl_diags *d, const char *filename,
                         const char *text, size_t len);

/* -Werror: makes every warning an error.  Returns how many it changed. */
size_t asl_diag_promote_warnings(asl_diags *d);

/* Returns a new malloc'd pointer: base + "/" + token, with token escaped
 * as RFC 6901 requires. */
char *asl_pointer_join(const char *base, const char *token);
/* Same, with an array index. */
char *asl_pointer_index(const char *base, size_t index);

#endif /* ASL_DIAG_H */

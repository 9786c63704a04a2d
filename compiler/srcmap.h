/*
 * srcmap.h - from a JSON pointer to a place in the source text.
 *
 * jansson keeps no positions for values, so srcmap indexes the document
 * text (only when a diagnostic is to be placed): one scan, however many
 * places are then asked for.  Lines and columns are 1-based; columns count
 * Unicode code points.
 */
#ifndef ASL_SRCMAP_H
#define ASL_SRCMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

/* An index of one text (borrowed: it must outlive the map), built on the
 * first question. */
typedef struct asl_srcmap asl_srcmap;

asl_srcmap *asl_srcmap_create(const char *text, size_t len);
void asl_srcmap_destroy(asl_srcmap *m);

/* Finds the value that pointer names in the JSON text (or, with
 * ASL_AT_KEY, the key of that member; with ASL_AT_STRING, the byte of the
 * string value's source text that holds decoded byte str_offset, escapes
 * taken into account; with ASL_AT_OFFSET, byte str_offset of the text).
 * Stores its byte offset in *offset.  When the pointer names nothing (a
 * missing member), the nearest existing ancestor is used.  Returns false
 * only when text is not JSON enough to scan. When an object has a key
 * twice, the last one is used, as jansson does. */
bool asl_srcmap_locate(asl_srcmap *m, const char *pointer, asl_anchor anchor,
                       size_t str_offset, size_t *offset);

/* Converts a byte offset to line and column (both 1-based; column counts
 * UTF-8 code points).  An offset past the end is the end. */
void asl_srcmap_position(asl_srcmap *m, size_t offset, int *line, int *col);

/* The offset where the line holding offset starts. */
size_t asl_srcmap_line_start(asl_srcmap *m, size_t offset);

/* One question on a text, indexed for it (tests, single look-ups). */
bool asl_srcmap_find(const char *text, size_t len, const char *pointer,
                     asl_anchor anchor, size_t str_offset, size_t *offset);
void asl_srcmap_linecol(const char *text, size_t len, size_t offset,
                        int *line, int *col);

/* How many bytes of text every srcmap of this process has read so far: the
 * work placing diagnostics costs, for the tests. */
size_t asl_srcmap_scanned(void);

#endif /* ASL_SRCMAP_H */

/*
 * diag.c - diagnostic records, JSON-pointer building, and the one printer.
 *
 * A diagnostic is located only by its JSON pointer and an anchor (value,
 * key, or a byte inside a string value); positions are computed by srcmap.c
 * at the moment of sorting or printing, from the source text, indexed once
 * for each (so placing n diagnostics costs one scan of the text, not n).  Records own
 * copies of their strings, so callers may pass temporaries.
 *
 * Output format (GCC's, so that editors can jump to it):
 *
 *   file:line:col: error: message [/json/pointer]
 *      14 |       "Next": "Shipp",
 *         |               ^
 *
 * The root pointer "" prints no brackets.  Without text, or when the text is
 * not JSON enough to locate the pointer, the line is "file: error: message
 * [pointer]" and no source line is shown.
 */
#include "diag.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aslrt_private.h"
#include "srcmap.h"

/* Allocation failure in the compiler is fatal (see STYLE.md, "Ownership"):
 * aslrtp_malloc and its kin go to the runtime's one out-of-memory path, the
 * one place that writes to stderr by itself. */

/* ==== Records ============================================================ */

void asl_diag_init(asl_diags *d)
{
    d->v = NULL;
    d->n = d->cap = 0;
    d->nerrors = 0;
}

void asl_diag_free(asl_diags *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].pointer);
        free(d->v[i].code);
        free(d->v[i].message);
        free(d->v[i].file);
    }
    free(d->v);
    asl_diag_init(d);
}

static char *vformat(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)   /* only for an invalid format; keep the format itself */
        return aslrtp_strdup(fmt);
    char *s = aslrtp_malloc((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

/* The returned record lives in d->v: it stays valid until the next add. */
asl_diag *asl_diag_vadd(asl_diags *d, asl_severity sev, const char *pointer,
                        asl_anchor anchor, size_t str_offset, const char *code,
                        const char *fmt, va_list ap)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        d->v = aslrtp_reallocarray(d->v, cap, sizeof *d->v);
        d->cap = cap;
    }
    asl_diag *r = &d->v[d->n++];
    r->severity = sev;
    r->pointer = aslrtp_strdup(pointer ? pointer : "");
    r->anchor = anchor;
    r->str_offset = str_offset;
    r->code = code ? aslrtp_strdup(code) : NULL;
    r->message = vformat(fmt, ap);
    r->file = NULL;
    if (sev == ASL_DIAG_ERROR)
        d->nerrors++;
    return r;
}

asl_diag *asl_diag_add(asl_diags *d, asl_severity sev, const char *pointer,
                       asl_anchor anchor, size_t str_offset, const char *code,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    asl_diag *r = asl_diag_vadd(d, sev, pointer, anchor, str_offset, code, fmt, ap);
    va_end(ap);
    return r;
}

void asl_diag_set_file(asl_diag *g, const char *file)
{
    free(g->file);
    g->file = file ? aslrtp_strdup(file) : NULL;
}

/* ==== Sorting ============================================================ */

/* A record with its sort key.  Records that cannot be located (no text, or
 * text that does not scan) sort after all located ones, keeping the order
 * they were added in: they are typically about the document as a whole, and
 * the located ones read best first, in document order. */
typedef struct keyed {
    bool located;    /* false: goes to the end */
    size_t offset;   /* byte offset in the text, when located */
    size_t index;    /* position before sorting: makes the sort stable */
    asl_diag diag;   /* the record itself (moved, not copied) */
} keyed;

static int compare_keyed(const void *pa, const void *pb)
{
    const keyed *a = pa, *b = pb;
    if (a->located != b->located)
        return a->located ? -1 : 1;
    if (a->located && a->offset != b->offset)
        return a->offset < b->offset ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

void asl_diag_sort(asl_diags *d, const char *text, size_t len)
{
    if (d->n < 2)
        return;
    keyed *k = aslrtp_malloc(d->n * sizeof *k);
    asl_srcmap *map = text ? asl_srcmap_create(text, len) : NULL;
    for (size_t i = 0; i < d->n; i++) {
        k[i].diag = d->v[i];
        k[i].index = i;
        k[i].offset = 0;
        k[i].located = map && !d->v[i].file && asl_srcmap_locate(map, d->v[i].pointer, d->v[i].anchor,
                                                d->v[i].str_offset, &k[i].offset);
    }
    asl_srcmap_destroy(map);
    /* qsort is not stable; the index tie-break makes the order total. */
    qsort(k, d->n, sizeof *k, compare_keyed);
    for (size_t i = 0; i < d->n; i++)
        d->v[i] = k[i].diag;
    free(k);
}

/* ==== Printing =========================================================== */

/* Colours, as GCC paints its diagnostics (asl_diag_use_color): the place
 * in bold, the severity in bold red, magenta or cyan, the caret in green.
 * Only what goes to color_stream is painted (a diagnostic quoted in a
 * Cause, through a memory stream, never is); use_color is set while one
 * asl_diag_print call writes there. */
static FILE *color_stream;
static bool use_color;

void asl_diag_use_color(FILE *out)
{
    color_stream = out;
}

#define PAINT(code) (use_color ? "\033[" code "m" : "")
#define BOLD PAINT("1")
#define RESET PAINT("0")

static const char *severity_color(asl_severity s)
{
    switch (s) {
    case ASL_DIAG_ERROR: return PAINT("1;31");
    case ASL_DIAG_WARNING: return PAINT("1;35");
    case ASL_DIAG_NOTE: return PAINT("1;36");
    }
    return "";
}

static const char *severity_name(asl_severity s)
{
    switch (s) {
    case ASL_DIAG_ERROR: return "error";
    case ASL_DIAG_WARNING: return "warning";
    case ASL_DIAG_NOTE: return "note";
    }
    return "error";
}

/* Longer lines are shown as a window of EXCERPT bytes around the caret
 * (a minified definition is one long line: printing all of it under every
 * diagnostic would make the output grow with their number times the file). */
#define EXCERPT 160

/* Prints the line that holds offset, then a caret under it.  The caret line
 * copies the tabs of the source line, so the caret stays aligned whatever
 * the tab width; other code points become one space each (columns count
 * code points).  A line longer than EXCERPT bytes is cut around the caret,
 * at code point boundaries, and "..." marks each cut. */
static void print_excerpt(FILE *out, asl_srcmap *map, const char *text, size_t len,
                          size_t offset, int line)
{
    int width = 5;

    if (offset > len)
        offset = len;
    size_t line_start = asl_srcmap_line_start(map, offset), start = line_start;
    /* The line's end, looked for no further than EXCERPT bytes on. */
    size_t end = offset;
    while (end < len && end - offset < EXCERPT && text[end] != '\n')
        end++;
    if (end < len && text[end] == '\r' && (end + 1 == len || text[end + 1] == '\n'))
        end++;   /* what would be cut is only the CR */
    bool line_ends = end >= len || text[end] == '\n';
    if (end - start > EXCERPT) {
        /* Too long: EXCERPT bytes, the caret in the middle unless a cut
         * is not needed on one side. */
        if (offset - start > EXCERPT / 2)
            start = offset - EXCERPT / 2;
        if (end - start > EXCERPT)
            end = start + EXCERPT;
        else if (line_ends)
            start = end - EXCERPT > line_start ? end - EXCERPT : line_start;
    }
    bool cut_start = start > line_start;
    bool cut_end = end < len && text[end] != '\n';
    if (!cut_end && end > line_start && text[end - 1] == '\r')
        end--;   /* a CRLF file: the CR would move the cursor back */
    /* Never cut inside a UTF-8 sequence. */
    while (cut_start && start < offset && ((unsigned char)text[start] & 0xC0) == 0x80)
        start++;
    while (cut_end && end > offset && ((unsigned char)text[end] & 0xC0) == 0x80)
        end--;

    for (int l = line; l >= 100000; l /= 10)
        width++;
    fprintf(out, "%*d | %s", width, line, cut_start ? "..." : "");
    fwrite(text + start, 1, end - start, out);
    fprintf(out, "%s\n%*s | %s", cut_end ? "..." : "", width, "", cut_start ? "   " : "");
    for (size_t i = start; i < offset; i++) {
        unsigned char b = (unsigned char)text[i];
        if (b == '\t')
            fputc('\t', out);
        else if ((b & 0xC0) != 0x80)
            fputc(' ', out);
    }
    fprintf(out, "%s^%s\n", PAINT("1;32"), RESET);
}

static void print_one(FILE *out, const asl_diag *g, const char *filename, asl_srcmap *map,
                      const char *text, size_t len)
{
    size_t offset = 0;
    bool located = map && !g->file &&
                   asl_srcmap_locate(map, g->pointer, g->anchor, g->str_offset, &offset);
    int line = 0, col = 0;

    if (g->file)
        filename = g->file;
    if (located) {
        asl_srcmap_position(map, offset, &line, &col);
        fprintf(out, "%s%s:%d:%d:%s ", BOLD, filename, line, col, RESET);
    } else {
        fprintf(out, "%s%s:%s ", BOLD, filename, RESET);
    }
    fprintf(out, "%s%s:%s %s", severity_color(g->severity), severity_name(g->severity), RESET,
            g->message);
    if (g->pointer[0] != '\0')
        fprintf(out, " [%s]", g->pointer);
    fputc('\n', out);
    if (located)
        print_excerpt(out, map, text, len, offset, line);
}

/* Errors past max_errors are counted, not printed, and so are the notes
 * that follow such an error (they would point at nothing).  Warnings are
 * always printed. */
void asl_diag_print(FILE *out, const asl_diags *d, const char *filename,
                    const char *text, size_t len, size_t max_errors)
{
    size_t printed = 0, omitted = 0;
    bool skipping_notes = false;
    asl_srcmap *map = text ? asl_srcmap_create(text, len) : NULL;

    use_color = out == color_stream;
    if (!filename)
        filename = "<input>";
    for (size_t i = 0; i < d->n; i++) {
        const asl_diag *g = &d->v[i];
        if (g->severity == ASL_DIAG_ERROR) {
            skipping_notes = max_errors != 0 && printed >= max_errors;
            if (skipping_notes) {
                omitted++;
                continue;
            }
            printed++;
        } else if (g->severity == ASL_DIAG_NOTE) {
            if (skipping_notes)
                continue;
        } else {
            skipping_notes = false;
        }
        print_one(out, g, filename, map, text, len);
    }
    asl_srcmap_destroy(map);
    if (omitted)
        fprintf(out, "aslc: %zu more error%s not shown\n", omitted,
                omitted == 1 ? "" : "s");
}

/* ==== JSON =============================================================== */

/* A JSON string of s; bytes that are not UTF-8 (a file name may hold
 * any) become '?', since a JSON document must be UTF-8. */
static json_t *utf8_string(const char *s)
{
    json_t *v = json_string(s);
    if (v)
        return v;
    char *t = aslrtp_strdup(s);
    for (char *p = t; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    v = json_string(t);
    free(t);
    return v;
}

static json_t *int_or_null(bool known, long long n)
{
    return known ? json_integer((json_int_t)n) : json_null();
}

/* The fields of one record; NULL only when jansson runs out of memory. */
static json_t *json_of(const asl_diag *g, const char *filename, asl_srcmap *map)
{
    size_t offset = 0;
    bool located = map && !g->file &&
                   asl_srcmap_locate(map, g->pointer, g->anchor, g->str_offset, &offset);
    int line = 0, col = 0;
    if (located)
        asl_srcmap_position(map, offset, &line, &col);
    if (g->file)
        filename = g->file;
    return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                     "severity", severity_name(g->severity),
                     "code", g->code ? utf8_string(g->code) : json_null(),
                     "message", utf8_string(g->message),
                     "file", utf8_string(filename),
                     "line", int_or_null(located, line),
                     "column", int_or_null(located, col),
                     "pointer", utf8_string(g->pointer),
                     "offset", int_or_null(located, (long long)offset));
}

void asl_diag_print_json(FILE *out, const asl_diags *d, const char *filename,
                         const char *text, size_t len)
{
    size_t nwarnings = 0;
    json_t *list = json_array();
    asl_srcmap *map = text ? asl_srcmap_create(text, len) : NULL;
    if (!filename)
        filename = "<input>";
    for (size_t i = 0; list && i < d->n; i++) {
        if (d->v[i].severity == ASL_DIAG_WARNING)
            nwarnings++;
        if (json_array_append_new(list, json_of(&d->v[i], filename, map)) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    asl_srcmap_destroy(map);
    json_t *doc = list ? json_pack("{s:o, s:I, s:I}", "diagnostics", list,
                                   "errors", (json_int_t)d->nerrors,
                                   "warnings", (json_int_t)nwarnings)
                       : NULL;
    /* One write: stderr is unbuffered, and the document may be long. */
    char *dump = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (!dump)
        aslrtp_oom(0);
    fprintf(out, "%s\n", dump);
    free(dump);
    json_decref(doc);
}

size_t asl_diag_promote_warnings(asl_diags *d)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].severity == ASL_DIAG_WARNING) {
            d->v[i].severity = ASL_DIAG_ERROR;
            d->nerrors++;
            n++;
        }
    return n;
}

/* ==== JSON pointers ====================================================== */

char *asl_pointer_join(const char *base, const char *token)
{
    size_t blen = base ? strlen(base) : 0;
    size_t n = blen + 2;
    for (const char *p = token; *p; p++)
        n += (*p == '~' || *p == '/') ? 2 : 1;
    char *s = aslrtp_malloc(n), *q = s;
    if (blen) {
        memcpy(q, base, blen);
        q += blen;
    }
    *q++ = '/';
    for (const char *p = token; *p; p++) {
        if (*p == '~') {
            *q++ = '~';
            *q++ = '0';
        } else if (*p == '/') {
            *q++ = '~';
            *q++ = '1';
        } else {
            *q++ = *p;
        }
    }
    *q = '\0';
    return s;
}

char *asl_pointer_index(const char *base, size_t index)
{
    size_t blen = base ? strlen(base) : 0;
    size_t n = blen + 2 + 20;   /* 20 digits hold any 64-bit size_t */
    char *s = aslrtp_malloc(n);
    snprintf(s, n, "%s/%zu", base ? base : "", index);
    return s;
}

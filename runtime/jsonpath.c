/*
 * jsonpath.c - the one JSONPath implementation of aslc, compiled once and
 * walked at run time (compiler and runtime share it).
 *
 * AWS evaluates JSONPath with Jayway JsonPath (Java) over Jackson trees
 * (its JacksonJsonNodeJsonProvider), and its error texts leak into Cause
 * strings, so this file follows Jayway rather than RFC 9535:
 *
 *  - A path compiles to an array of segments (member, members, index,
 *    indexes, slice, wildcard, deep scan, filter).  A path is "definite"
 *    when each segment can select one node: a member, an index (negative
 *    too), or a list of members as the LAST segment (Jayway then returns one
 *    object holding those members).  A definite path returns that node; any
 *    other returns an array of its matches, in Jayway's order.
 *  - Definite paths fail with Jayway's messages: "No results for path:
 *    $['a']['b']" when the last member is missing, "Missing property in path
 *    $['a']" when an intermediate one is, "Expected to find an object with
 *    property ['b'] in path $['a'] but found 'java.lang.String'. ..." when a
 *    member is read from a non-object.  Recorded on AWS (corpus, ASL-
 *    REFERENCE §4): `Invalid path '$.no.such.result.path' : Missing property
 *    in path $['no']`.
 *  - Indefinite paths never fail: a missing or mistyped step contributes no
 *    match, so `$.items[*]` on {} is [] (recorded on AWS).
 *  - Jackson's ArrayNode.get() answers null for an index out of range, so
 *    `$.a[5]` on a 2-element array is JSON null, not an error (third-party
 *    AWS measurement, doc/behaviour.md §24; Jayway with that provider agrees).
 *  - Slices are Jayway's: [from:to], negative bounds counted from the end
 *    for [n:] and [:n]; a third (step) part is accepted and ignored, as
 *    Jayway's ArraySliceOperation ignores it.
 *
 * Definite paths are walked with borrowed pointers and allocate nothing
 * (the caller gets json_incref of the found node), except the object built
 * for a trailing member list.  Messages are built only on failure.
 *
 * ResultPath (aslrtp_path_set) is a set-at-path over a reference path,
 * creating missing objects and copying any shared node (refcount > 1)
 * before changing it: constants and inputs are shared between states.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"

/* ==== Compiled form ===================================================== */

enum {
    SEG_NAME = 1,   /* .a or ['a']: one member */
    SEG_NAMES,      /* ['a','b']: several members */
    SEG_INDEX,      /* [n] */
    SEG_INDEXES,    /* [n,m,...] */
    SEG_SLICE,      /* [from:to] */
    SEG_WILD,       /* [*] or .* */
    SEG_SCAN,       /* ..: applies the next segment at every depth */
    SEG_FILTER      /* [?(...)] */
};

typedef struct fexpr fexpr;

typedef struct seg {
    int kind;
    size_t n;              /* number of names or indexes */
    char **names;          /* SEG_NAME(S): decoded member names */
    size_t *lens;          /* their lengths (names may hold U+0000) */
    long long *idx;        /* SEG_INDEX(ES) */
    long long from, to;    /* SEG_SLICE */
    int has_from, has_to;
    fexpr *filter;         /* SEG_FILTER */
} seg;

struct aslrtp_path {
    aslrtp_path_view view; /* first: aslrtp_path_quick reads it (aslrt_private.h) */
    char *text;            /* source text */
    int root;              /* ASLRTP_ROOT_* */
    char *var;             /* ROOT_VAR: the variable name */
    seg *segs;
    size_t nsegs;
    int definite;
    int names_only;        /* definite, and made of SEG_NAME segments only */
};

/* Filter expressions: Jayway's subset that ASL users write. */
enum { FV_CUR = 1, FV_ROOT, FV_LIT };                   /* operand kinds */
enum { FX_OR = 1, FX_AND, FX_NOT, FX_EXISTS, FX_CMP };  /* node kinds */
enum { OP_EQ = 1, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NIN };

typedef struct fval {
    int kind;              /* FV_* */
    aslrtp_path *path;     /* FV_CUR (@...) and FV_ROOT ($...) */
    json_t *lit;           /* FV_LIT */
} fval;

struct fexpr {
    int kind;              /* FX_* */
    fexpr *a, *b;          /* FX_OR, FX_AND, FX_NOT (a only) */
    int op;                /* FX_CMP */
    fval l, r;             /* FX_CMP (l, r), FX_EXISTS (l) */
};

static void fexpr_free(fexpr *x);

static void seg_clear(seg *s)
{
    for (size_t i = 0; s->names && i < s->n; i++)
        free(s->names[i]);
    free(s->names);
    free(s->lens);
    free(s->idx);
    fexpr_free(s->filter);
}

void aslrtp_path_free(aslrtp_path *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nsegs; i++)
        seg_clear(&p->segs[i]);
    free(p->segs);
    free(p->text);
    free(p->var);
    free(p->view.names);
    free(p->view.lens);
    free(p);
}

static void fval_clear(fval *v)
{
    aslrtp_path_free(v->path);
    json_decref(v->lit);
}

static void fexpr_free(fexpr *x)
{
    if (!x)
        return;
    fexpr_free(x->a);
    fexpr_free(x->b);
    fval_clear(&x->l);
    fval_clear(&x->r);
    free(x);
}

int aslrtp_path_root(const aslrtp_path *p)
{
    return p->root;
}

const char *aslrtp_path_var(const aslrtp_path *p)
{
    return p->var;
}

const char *aslrtp_path_text(const aslrtp_path *p)
{
    return p->text;
}

int aslrtp_path_definite(const aslrtp_path *p)
{
    return p->definite;
}

/* ==== Parser ============================================================ */

/* One compilation: the text, a cursor, the first error. */
typedef struct parser {
    const char *s;
    size_t len;
    size_t i;
    int reference;         /* reference path: single-node steps only */
    char *err;
    size_t erroff;
} parser;

static int fail(parser *p, size_t off, const char *msg)
{
    if (!p->err) {
        p->err = aslrtp_strdup(msg);
        p->erroff = off;
    }
    return 0;
}

static int failf_char(parser *p, size_t off, const char *fmt)
{
    /* fmt has one %c, filled with the character at off */
    char c = off < p->len ? p->s[off] : '?';
    char *m = aslrtp_strdupf(fmt, c);
    fail(p, off, m);
    free(m);
    return 0;
}

static int peek(const parser *p)
{
    return p->i < p->len ? (unsigned char)p->s[p->i] : -1;
}

static void skip_spaces(parser *p)
{
    while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
                             p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

static seg *add_seg(aslrtp_path *path)
{
    path->segs = aslrtp_reallocarray(path->segs, path->nsegs + 1, sizeof *path->segs);
    seg *s = &path->segs[path->nsegs++];
    memset(s, 0, sizeof *s);
    return s;
}

static void seg_add_name(seg *s, aslrtp_buf *name)
{
    s->names = aslrtp_reallocarray(s->names, s->n + 1, sizeof *s->names);
    s->lens = aslrtp_reallocarray(s->lens, s->n + 1, sizeof *s->lens);
    s->lens[s->n] = name->len;
    s->names[s->n] = aslrtp_buf_finish(name);
    s->n++;
}

static void seg_add_index(seg *s, long long v)
{
    s->idx = aslrtp_reallocarray(s->idx, s->n + 1, sizeof *s->idx);
    s->idx[s->n++] = v;
}

/* Reads \uXXXX at p->i (just after the 'u'); 1 on success. */
static int read_hex4(parser *p, unsigned *out)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        int h = p->i < p->len ? aslrtp_hexval((unsigned char)p->s[p->i]) : -1;
        if (h < 0)
            return fail(p, p->i, "Invalid \\u escape: four hexadecimal digits expected");
        v = v * 16 + (unsigned)h;
        p->i++;
    }
    *out = v;
    return 1;
}

/* A quoted string, 'x' or "x".  A backslash always keeps the next character
 * from closing it.  In a bracket member name (raw) Jayway keeps the text as
 * written, backslashes included: ['a\'b'] names the key a\'b.  In a filter
 * literal it reads Java's escapes: \' \" \\ \/ \b \f \n \r \t \uXXXX. */
static int read_quoted(parser *p, aslrtp_buf *out, int raw)
{
    char q = p->s[p->i];
    size_t start = p->i++;
    for (;;) {
        if (p->i >= p->len)
            return fail(p, start, "Unterminated quoted name");
        char c = p->s[p->i++];
        if (c == q)
            return 1;
        if (c != '\\') {
            aslrtp_buf_add(out, &c, 1);
            continue;
        }
        if (p->i >= p->len)
            return fail(p, start, "Unterminated quoted name");
        c = p->s[p->i++];
        if (raw) {
            aslrtp_buf_add(out, "\\", 1);
            aslrtp_buf_add(out, &c, 1);
            continue;
        }
        switch (c) {
        case 'b': aslrtp_buf_add(out, "\b", 1); break;
        case 'f': aslrtp_buf_add(out, "\f", 1); break;
        case 'n': aslrtp_buf_add(out, "\n", 1); break;
        case 'r': aslrtp_buf_add(out, "\r", 1); break;
        case 't': aslrtp_buf_add(out, "\t", 1); break;
        case 'u': {
            unsigned cp;
            if (!read_hex4(p, &cp))
                return 0;
            if (cp >= 0xD800 && cp < 0xDC00 && p->i + 1 < p->len &&
                p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
                size_t save = p->i;
                unsigned lo;
                p->i += 2;
                if (read_hex4(p, &lo) && lo >= 0xDC00 && lo < 0xE000)
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                else if (p->err)
                    return 0;
                else
                    p->i = save;
            }
            aslrtp_utf8_add(out, cp);
            break;
        }
        default:        /* \' \" \\ \/ and any other character itself */
            aslrtp_buf_add(out, &c, 1);
            break;
        }
    }
}

/* True for characters that end a dot-notation name.  Inside a filter the
 * name also ends at an operator, a parenthesis or a blank. */
static int ends_name(int c, int in_filter)
{
    if (c < 0 || c == '.' || c == '[')
        return 1;
    if (in_filter)
        return strchr(" \t\r\n)=!<>&|,]", c) != NULL;
    return 0;
}

/* .name: ASL allows any character but blanks (spec examples: `$.&Ж中`),
 * and a backslash escapes the next one (`$.store\.book`). */
static int read_dot_name(parser *p, seg *s, int in_filter)
{
    aslrtp_buf name = {0};
    size_t start = p->i, run = p->i; /* the name's bytes are copied a run at a time */
    while (!ends_name(peek(p), in_filter)) {
        char c = p->s[p->i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            free(name.data);
            return fail(p, p->i, "Use bracket notation ['my prop'] if your property "
                                 "contains blank characters");
        }
        if (c == '\\') {
            if (p->i + 1 >= p->len) {
                free(name.data);
                return fail(p, p->i, "Path must not end with a '\\'");
            }
            /* the backslash goes; the character after it is the name's,
             * whatever it is */
            aslrtp_buf_add(&name, p->s + run, p->i - run);
            p->i++;
            run = p->i;
        }
        p->i++;
    }
    if (p->i == start) {
        free(name.data);
        return fail(p, start, "Path must not end with a '.' or '..'");
    }
    aslrtp_buf_add(&name, p->s + run, p->i - run);
    s->kind = SEG_NAME;
    seg_add_name(s, &name);
    return 1;
}

/* An integer of an index or slice (Jayway parses them as Java ints). */
static int read_int(parser *p, long long *out)
{
    size_t start = p->i;
    if (peek(p) == '-')
        p->i++;
    if (!isdigit(peek(p)))
        return fail(p, start, "Could not parse token: an integer was expected");
    long long v = 0;
    while (isdigit(peek(p))) {
        v = v * 10 + (p->s[p->i] - '0');
        if (v > (long long)INT_MAX + 1)
            return fail(p, start, "Array index out of range");
        p->i++;
    }
    if (p->s[start] == '-')
        v = -v;
    if (v > INT_MAX || v < INT_MIN)
        return fail(p, start, "Array index out of range");
    *out = v;
    return 1;
}

static fexpr *parse_filter_or(parser *p);

/* [...] after its '[' (p->i is just past it). */
static int read_bracket(parser *p, seg *s, size_t open)
{
    skip_spaces(p);
    int c = peek(p);
    if (c == '\'' || c == '"') {
        for (;;) {
            aslrtp_buf name = {0};
            if (!read_quoted(p, &name, 1)) {
                free(name.data);
                return 0;
            }
            seg_add_name(s, &name);
            skip_spaces(p);
            if (peek(p) == ',') {
                p->i++;
                skip_spaces(p);
                if (peek(p) != '\'' && peek(p) != '"')
                    return fail(p, p->i, "Expected a quoted property name after ','");
                continue;
            }
            if (peek(p) != ']')
                return fail(p, p->i, "Property must be separated by comma or Property "
                                     "must be terminated close square bracket");
            p->i++;
            break;
        }
        s->kind = s->n == 1 ? SEG_NAME : SEG_NAMES;
        if (s->kind == SEG_NAMES && p->reference)
            return fail(p, open, "A reference path selects a single node: a list of "
                                 "properties is not allowed");
        return 1;
    }
    if (c == '*') {
        p->i++;
        skip_spaces(p);
        if (peek(p) != ']')
            return fail(p, p->i, "Expected ']' after '[*'");
        p->i++;
        if (p->reference)
            return fail(p, open, "A reference path selects a single node: '[*]' is not "
                                 "allowed");
        s->kind = SEG_WILD;
        return 1;
    }
    if (c == '?') {
        if (p->reference)
            return fail(p, open, "A reference path selects a single node: filters are "
                                 "not allowed");
        p->i++;
        skip_spaces(p);
        if (peek(p) != '(')
            return fail(p, p->i, "Expected '(' after '[?'");
        p->i++;
        fexpr *x = parse_filter_or(p);
        if (!x)
            return 0;
        s->kind = SEG_FILTER;
        s->filter = x;
        skip_spaces(p);
        if (peek(p) != ')')
            return fail(p, p->i, "Expected ')' to close the filter");
        p->i++;
        skip_spaces(p);
        if (peek(p) != ']')
            return fail(p, p->i, "Expected ']' to close the filter");
        p->i++;
        return 1;
    }
    if (c == '-' || c == ':' || isdigit(c)) {
        /* an index, a list of indexes or a slice */
        long long v[3];
        int have[3] = {0, 0, 0};
        int colons = 0;
        for (;;) {
            skip_spaces(p);
            if (peek(p) == '-' || isdigit(peek(p))) {
                if (colons > 2)
                    return fail(p, p->i, "Too many ':' in an array slice");
                if (!read_int(p, &v[colons]))
                    return 0;
                have[colons] = 1;
                skip_spaces(p);
            }
            if (peek(p) == ':') {
                if (s->n)
                    return fail(p, p->i, "A list of indexes cannot hold a slice");
                colons++;
                if (colons > 2)
                    return fail(p, p->i, "Too many ':' in an array slice");
                p->i++;
                continue;
            }
            if (colons)
                break;
            if (!have[0])
                return fail(p, p->i, "Could not parse token: an integer was expected");
            seg_add_index(s, v[0]);
            have[0] = 0;
            if (peek(p) == ',') {
                p->i++;
                continue;
            }
            break;
        }
        skip_spaces(p);
        if (peek(p) != ']')
            return failf_char(p, p->i, "Unexpected character '%c' in an array index");
        p->i++;
        if (colons) {
            if (!have[0] && !have[1])
                return fail(p, open, "Failed to parse SliceOperation: a slice needs a "
                                     "start or an end");
            if (p->reference)
                return fail(p, open, "A reference path selects a single node: array "
                                     "slices are not allowed");
            s->kind = SEG_SLICE;
            s->has_from = have[0];
            s->has_to = have[1];
            s->from = have[0] ? v[0] : 0;
            s->to = have[1] ? v[1] : 0;
            return 1;
        }
        s->kind = s->n == 1 ? SEG_INDEX : SEG_INDEXES;
        if (p->reference) {
            if (s->n != 1)
                return fail(p, open, "A reference path selects a single node: a list of "
                                     "indexes is not allowed");
            if (s->idx[0] < 0)
                return fail(p, open, "A reference path selects a single node: negative "
                                     "indexes are not allowed");
        }
        return 1;
    }
    if (c < 0)
        return fail(p, open, "Path must not end with a '['");
    return fail(p, p->i, "Could not parse token starting at position of '['. "
                         "Expected ?, ', 0-9, * ");
}

/* Segments from p->i up to the end, or (in_filter) to a character that
 * cannot continue a path. */
static int parse_segments(parser *p, aslrtp_path *path, int in_filter)
{
    for (;;) {
        int c = peek(p);
        if (c < 0)
            return 1;
        size_t at = p->i;
        if (c == '.') {
            p->i++;
            if (peek(p) == '.') {
                p->i++;
                if (p->reference)
                    return fail(p, at, "A reference path selects a single node: '..' is "
                                       "not allowed");
                add_seg(path)->kind = SEG_SCAN;
                c = peek(p);
                if (c < 0 || c == '.')
                    return fail(p, at, "Path must not end with a '.' or '..'");
            }
            c = peek(p);
            if (c == '*') {
                p->i++;
                if (p->reference)
                    return fail(p, at, "A reference path selects a single node: '*' is "
                                       "not allowed");
                add_seg(path)->kind = SEG_WILD;
                if (!ends_name(peek(p), in_filter))
                    return fail(p, p->i, "Unexpected character after '*'");
                continue;
            }
            if (c == '[') {     /* $.['a b'] (AWS documents this form) */
                p->i++;
                if (!read_bracket(p, add_seg(path), p->i - 1))
                    return 0;
                continue;
            }
            if (!read_dot_name(p, add_seg(path), in_filter))
                return 0;
            continue;
        }
        if (c == '[') {
            p->i++;
            if (!read_bracket(p, add_seg(path), at))
                return 0;
            continue;
        }
        if (in_filter)
            return 1;
        return failf_char(p, at, "Unexpected character '%c': expected '.' or '['");
    }
}

/* Definiteness, as Jayway's isDefinite: a member list counts as one node
 * only at the end (it is then merged into one object). */
static int compute_definite(const aslrtp_path *path)
{
    for (size_t i = 0; i < path->nsegs; i++) {
        int k = path->segs[i].kind;
        if (k == SEG_NAME || k == SEG_INDEX)
            continue;
        if (k == SEG_NAMES && i + 1 == path->nsegs)
            continue;
        return 0;
    }
    return 1;
}

static aslrtp_path *new_path(const char *text, size_t len, int root)
{
    aslrtp_path *path = aslrtp_calloc(1, sizeof *path);
    path->text = aslrtp_memdup(text, len);
    path->root = root;
    return path;
}

/* ---- filters ---- */

static int read_literal(parser *p, json_t **out);

/* An operand: @..., $..., or a literal. */
static int read_operand(parser *p, fval *v)
{
    skip_spaces(p);
    int c = peek(p);
    if (c == '@' || c == '$') {
        size_t start = p->i;
        p->i++;
        aslrtp_path *sub = new_path("", 0, ASLRTP_ROOT_INPUT);
        int saved_ref = p->reference;
        p->reference = 0;
        int ok = parse_segments(p, sub, 1);
        p->reference = saved_ref;
        free(sub->text);
        sub->text = aslrtp_memdup(p->s + start, p->i - start);
        sub->definite = compute_definite(sub);
        v->kind = c == '@' ? FV_CUR : FV_ROOT;
        v->path = sub;
        return ok;
    }
    v->kind = FV_LIT;
    return read_literal(p, &v->lit);
}

/* A literal: number, 'string', "string", true, false, null, or a list
 * [lit, ...] (the right side of in / nin). */
static int read_literal(parser *p, json_t **out)
{
    int c = peek(p);
    if (c == '\'' || c == '"') {
        aslrtp_buf b = {0};
        if (!read_quoted(p, &b, 0)) {
            free(b.data);
            return 0;
        }
        *out = json_stringn_nocheck(b.data ? b.data : "", b.len);
        free(b.data);
        return 1;
    }
    if (c == '-' || isdigit(c)) {
        size_t start = p->i;
        int real = 0;
        if (c == '-')
            p->i++;
        while (p->i < p->len && strchr("0123456789.eE+-", p->s[p->i])) {
            if (strchr(".eE", p->s[p->i]))
                real = 1;
            p->i++;
        }
        char buf[64];
        size_t n = p->i - start;
        if (n >= sizeof buf)
            return fail(p, start, "Number literal too long");
        memcpy(buf, p->s + start, n);
        buf[n] = '\0';
        char *end;
        errno = 0;
        if (!real) {
            long long v = strtoll(buf, &end, 10);
            if (*end == '\0' && errno == 0) {
                *out = json_integer(v);
                return 1;
            }
        }
        double d = strtod(buf, &end);
        if (*end != '\0')
            return fail(p, start, "Invalid number literal in filter");
        *out = json_real(d);
        return 1;
    }
    static const struct { const char *w; size_t n; } words[] = {
        {"true", 4}, {"false", 5}, {"null", 4}};
    for (int k = 0; k < 3; k++) {
        if (p->len - p->i >= words[k].n && !memcmp(p->s + p->i, words[k].w, words[k].n)) {
            p->i += words[k].n;
            *out = k == 0 ? json_true() : k == 1 ? json_false() : json_null();
            return 1;
        }
    }
    if (c == '[') {
        size_t start = p->i++;
        json_t *arr = json_array();
        skip_spaces(p);
        if (peek(p) == ']') {
            p->i++;
            *out = arr;
            return 1;
        }
        for (;;) {
            skip_spaces(p);
            json_t *e = NULL;
            if (!read_literal(p, &e)) {
                json_decref(arr);
                return 0;
            }
            json_array_append_new(arr, e);
            skip_spaces(p);
            if (peek(p) == ',') {
                p->i++;
                continue;
            }
            if (peek(p) == ']') {
                p->i++;
                *out = arr;
                return 1;
            }
            json_decref(arr);
            return fail(p, start, "Unterminated list literal in filter");
        }
    }
    if (c < 0)
        return fail(p, p->i, "Unexpected end of filter");
    return failf_char(p, p->i, "Unexpected character '%c' in filter");
}

static int read_op(parser *p, int *op)
{
    static const struct { const char *t; int op; } ops[] = {
        {"==", OP_EQ}, {"!=", OP_NE}, {"<=", OP_LE}, {">=", OP_GE},
        {"<", OP_LT}, {">", OP_GT}, {"nin", OP_NIN}, {"in", OP_IN}};
    skip_spaces(p);
    if (p->len - p->i >= 2 && !memcmp(p->s + p->i, "=~", 2))
        return fail(p, p->i, "Regular expression filters (=~) are not supported");
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        size_t n = strlen(ops[k].t);
        if (p->len - p->i >= n && !memcmp(p->s + p->i, ops[k].t, n)) {
            p->i += n;
            *op = ops[k].op;
            return 1;
        }
    }
    *op = 0;
    return 1;
}

static fexpr *new_fexpr(int kind)
{
    fexpr *x = aslrtp_calloc(1, sizeof *x);
    x->kind = kind;
    return x;
}

/* operand [op operand] | '!' unary | '(' or ')' */
static fexpr *parse_filter_unary(parser *p)
{
    skip_spaces(p);
    if (peek(p) == '!') {
        p->i++;
        fexpr *a = parse_filter_unary(p);
        if (!a)
            return NULL;
        fexpr *x = new_fexpr(FX_NOT);
        x->a = a;
        return x;
    }
    if (peek(p) == '(') {
        p->i++;
        fexpr *x = parse_filter_or(p);
        if (!x)
            return NULL;
        skip_spaces(p);
        if (peek(p) != ')') {
            fexpr_free(x);
            fail(p, p->i, "Expected ')' in filter");
            return NULL;
        }
        p->i++;
        return x;
    }
    size_t start = p->i;
    fexpr *x = new_fexpr(FX_CMP);
    int op;
    if (!read_operand(p, &x->l) || !read_op(p, &op)) {
        fexpr_free(x);
        return NULL;
    }
    if (!op) {
        if (x->l.kind == FV_LIT) {
            fexpr_free(x);
            fail(p, start, "A filter needs a comparison or a path to test for existence");
            return NULL;
        }
        x->kind = FX_EXISTS;
        return x;
    }
    x->op = op;
    if (!read_operand(p, &x->r)) {
        fexpr_free(x);
        return NULL;
    }
    return x;
}

static fexpr *parse_filter_and(parser *p)
{
    fexpr *x = parse_filter_unary(p);
    for (;;) {
        if (!x)
            return NULL;
        skip_spaces(p);
        if (p->len - p->i < 2 || memcmp(p->s + p->i, "&&", 2))
            return x;
        p->i += 2;
        fexpr *y = new_fexpr(FX_AND);
        y->a = x;
        y->b = parse_filter_unary(p);
        if (!y->b) {
            fexpr_free(y);
            return NULL;
        }
        x = y;
    }
}

static fexpr *parse_filter_or(parser *p)
{
    fexpr *x = parse_filter_and(p);
    for (;;) {
        if (!x)
            return NULL;
        skip_spaces(p);
        if (p->len - p->i < 2 || memcmp(p->s + p->i, "||", 2))
            return x;
        p->i += 2;
        fexpr *y = new_fexpr(FX_OR);
        y->a = x;
        y->b = parse_filter_and(p);
        if (!y->b) {
            fexpr_free(y);
            return NULL;
        }
        x = y;
    }
}

/* A variable name after '$': the characters AWS allows in variable names
 * (letters, digits, '_'), and any non-ASCII letter. */
static int var_char(int c)
{
    return c >= 0x80 || isalnum(c) || c == '_';
}

aslrtp_path *aslrtp_path_compile(const char *text, int reference, char **err,
                                 size_t *erroff)
{
    parser p = {text, strlen(text), 0, reference, NULL, 0};
    aslrtp_path *path = NULL;
    if (p.len == 0 || text[0] != '$') {
        fail(&p, 0, "Path must start with '$'");
        goto out;
    }
    p.i = 1;
    int root = ASLRTP_ROOT_INPUT;
    size_t var_start = 0, var_len = 0;
    if (peek(&p) == '$') {
        root = ASLRTP_ROOT_CONTEXT;
        p.i++;
    } else if (peek(&p) >= 0 && var_char(peek(&p)) && !isdigit(peek(&p))) {
        root = ASLRTP_ROOT_VAR;
        var_start = p.i;
        while (peek(&p) >= 0 && var_char(peek(&p)))
            p.i++;
        var_len = p.i - var_start;
    }
    path = new_path(text, p.len, root);
    if (root == ASLRTP_ROOT_VAR)
        path->var = aslrtp_memdup(text + var_start, var_len);
    if (!parse_segments(&p, path, 0))
        goto out;
    path->definite = compute_definite(path);
    path->names_only = path->definite && path->nsegs > 0;
    for (size_t i = 0; i < path->nsegs; i++)
        if (path->segs[i].kind != SEG_NAME)
            path->names_only = 0;
    if (path->names_only && root == ASLRTP_ROOT_INPUT) {
        const char **names = aslrtp_calloc(path->nsegs, sizeof *names);
        size_t *lens = aslrtp_calloc(path->nsegs, sizeof *lens);
        for (size_t i = 0; i < path->nsegs; i++) {
            names[i] = path->segs[i].names[0];
            lens[i] = path->segs[i].lens[0];
        }
        path->view = (aslrtp_path_view){names, lens, path->nsegs};
    }
out:
    if (p.err) {
        aslrtp_path_free(path);
        if (err)
            *err = p.err;
        else
            free(p.err);
        if (erroff)
            *erroff = p.erroff;
        return NULL;
    }
    return path;
}

/* ==== Jayway's texts ===================================================== */

/* Appends Jayway's fragment for one segment: ['a'], ['a', 'b'], [0],
 * [0,1], [1:2], [*], .., [?]. */
static void add_fragment(aslrtp_buf *b, const seg *s)
{
    switch (s->kind) {
    case SEG_NAME:
    case SEG_NAMES:
        aslrtp_buf_adds(b, "[");
        for (size_t i = 0; i < s->n; i++) {
            if (i)
                aslrtp_buf_adds(b, ", ");
            aslrtp_buf_adds(b, "'");
            aslrtp_buf_add(b, s->names[i], s->lens[i]);
            aslrtp_buf_adds(b, "'");
        }
        aslrtp_buf_adds(b, "]");
        break;
    case SEG_INDEX:
    case SEG_INDEXES:
        aslrtp_buf_adds(b, "[");
        for (size_t i = 0; i < s->n; i++)
            aslrtp_buf_addf(b, i ? ",%lld" : "%lld", s->idx[i]);
        aslrtp_buf_adds(b, "]");
        break;
    case SEG_SLICE:
        aslrtp_buf_adds(b, "[");
        if (s->has_from)
            aslrtp_buf_addf(b, "%lld", s->from);
        aslrtp_buf_adds(b, ":");
        if (s->has_to)
            aslrtp_buf_addf(b, "%lld", s->to);
        aslrtp_buf_adds(b, "]");
        break;
    case SEG_WILD:
        aslrtp_buf_adds(b, "[*]");
        break;
    case SEG_SCAN:
        aslrtp_buf_adds(b, "..");
        break;
    case SEG_FILTER:
        aslrtp_buf_adds(b, "[?]");
        break;
    }
}

/* "$" followed by the fragments of segs[from..to). */
static void add_fragments(aslrtp_buf *b, const aslrtp_path *p, size_t from, size_t to,
                          int with_root)
{
    if (with_root)
        aslrtp_buf_adds(b, "$");
    for (size_t i = from; i < to; i++)
        add_fragment(b, &p->segs[i]);
}

/* The Java class Jayway names for a value that is not an object, as the
 * Jackson node provider unwraps it. */
static const char *java_class(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        return "java.lang.String";
    case JSON_INTEGER: {
        json_int_t i = json_integer_value(v);
        return i >= INT_MIN && i <= INT_MAX ? "java.lang.Integer" : "java.lang.Long";
    }
    case JSON_REAL:
        return "java.lang.Double";
    case JSON_TRUE:
    case JSON_FALSE:
        return "java.lang.Boolean";
    case JSON_ARRAY:
        return "com.fasterxml.jackson.databind.node.ArrayNode";
    case JSON_OBJECT:
        return "com.fasterxml.jackson.databind.node.ObjectNode";
    default:
        return "null";
    }
}

/* Java's toString of an unwrapped value: strings bare, nodes as JSON. */
static void add_java_string(aslrtp_buf *b, const json_t *v)
{
    if (json_is_string(v))
        aslrtp_buf_add(b, json_string_value(v), json_string_length(v));
    else
        aslrtp_buf_add_json(b, v);
}

static char *why_not_object(const aslrtp_path *p, size_t i, const json_t *cur)
{
    aslrtp_buf b = {0};
    aslrtp_buf_adds(&b, "Expected to find an object with property ");
    add_fragment(&b, &p->segs[i]);
    aslrtp_buf_adds(&b, " in path ");
    add_fragments(&b, p, 0, i, 1);
    aslrtp_buf_addf(&b, " but found '%s'. This is not a json object according to the "
                        "JsonProvider: 'com.jayway.jsonpath.spi.json."
                        "JacksonJsonNodeJsonProvider'.",
                    java_class(cur));
    return aslrtp_buf_finish(&b);
}

/* ==== Evaluation ========================================================= */

/* The direct reading of jansson's objects (aslrt_private.h): only with
 * jansson 2.14 running, and only once objects of one to six members, some
 * with a member deleted, were seen through the layout exactly as
 * jansson's own calls see them: the size, then each member's iterator,
 * key, key length and value, in order, and the end. */
int aslrtp_jansson_direct;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

static bool layout_agrees(json_t *obj)
{
    if (aslrtp_obj_size(obj, true) != json_object_size(obj))
        return false;
    void *d = aslrtp_obj_iter(obj, true);
    for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
        if (d != it || aslrtp_iter_key(d, true) != json_object_iter_key(it) ||
            aslrtp_iter_key_len(d, true) != json_object_iter_key_len(it) ||
            aslrtp_iter_value(d, true) != json_object_iter_value(it))
            return false;
        d = aslrtp_obj_iter_next(obj, d, true);
    }
    return d == NULL;
}

static void probe_layout(void)
{
    static const struct {
        const char *s;
        size_t n;
    } keys[] = {{"a", 1}, {"bb", 2}, {"ccc", 3}, {"", 0}, {"eeeee", 5}, {"f\0f", 3}};
    bool ok = strcmp(jansson_version_str(), "2.14") == 0;
    for (size_t n = 1; n <= 6 && ok; n++) {
        json_t *obj = json_object();
        for (size_t i = 0; i < n; i++)
            json_object_setn_new_nocheck(obj, keys[i].s, keys[i].n, json_integer((json_int_t)i));
        ok = layout_agrees(obj);
        if (ok && n > 2) {
            json_object_deln(obj, keys[1].s, keys[1].n);
            ok = layout_agrees(obj);
        }
        json_decref(obj);
    }
    __atomic_store_n(&aslrtp_jansson_direct, ok ? 1 : -1, __ATOMIC_RELEASE);
}

int aslrtp_jansson_probe(void)
{
    pthread_once(&probe_once, probe_layout);
    return __atomic_load_n(&aslrtp_jansson_direct, __ATOMIC_ACQUIRE);
}

/* Walks a definite path with borrowed pointers.  Returns the node (a new
 * object for a trailing member list, *owned set to 1), or NULL with *why
 * (when why is not NULL) set to Jayway's message. */
static json_t *walk_definite(const aslrtp_path *p, json_t *doc, char **why, int *owned)
{
    json_t *cur = doc;
    *owned = 0;
    for (size_t i = 0; i < p->nsegs; i++) {
        const seg *s = &p->segs[i];
        int leaf = i + 1 == p->nsegs;
        if (s->kind == SEG_NAME || s->kind == SEG_NAMES) {
            if (!json_is_object(cur)) {
                if (why)
                    *why = why_not_object(p, i, cur);
                return NULL;
            }
            if (s->kind == SEG_NAMES) {     /* leaf only: one merged object */
                json_t *o = json_object();
                for (size_t k = 0; k < s->n; k++) {
                    json_t *v = json_object_getn(cur, s->names[k], s->lens[k]);
                    if (v)
                        json_object_setn(o, s->names[k], s->lens[k], v);
                }
                *owned = 1;
                return o;
            }
            json_t *v = aslrtp_member(cur, s->names[0], s->lens[0]);
            if (!v) {
                if (why) {
                    aslrtp_buf b = {0};
                    if (leaf) {
                        aslrtp_buf_adds(&b, "No results for path: ");
                        add_fragments(&b, p, 0, p->nsegs, 1);
                    } else {
                        aslrtp_buf_adds(&b, "Missing property in path ");
                        add_fragments(&b, p, 0, i + 1, 1);
                    }
                    *why = aslrtp_buf_finish(&b);
                }
                return NULL;
            }
            cur = v;
        } else {                            /* SEG_INDEX */
            if (!json_is_array(cur)) {
                if (why) {
                    aslrtp_buf b = {0};
                    if (json_is_null(cur)) {
                        aslrtp_buf_adds(&b, "The path ");
                        add_fragments(&b, p, 0, i, 1);
                        aslrtp_buf_adds(&b, " is null");
                    } else {
                        aslrtp_buf_adds(&b, "Filter: ");
                        add_fragments(&b, p, i, p->nsegs, 0);
                        aslrtp_buf_adds(&b, " can only be applied to arrays. Current "
                                            "context is: ");
                        add_java_string(&b, cur);
                    }
                    *why = aslrtp_buf_finish(&b);
                }
                return NULL;
            }
            long long n = (long long)json_array_size(cur);
            long long k = s->idx[0] < 0 ? n + s->idx[0] : s->idx[0];
            /* Jackson: an index out of range reads as null */
            cur = k >= 0 && k < n ? json_array_get(cur, (size_t)k) : json_null();
        }
    }
    return cur;
}

typedef struct evalctx {
    json_t *root;          /* what $ means inside filters */
    json_t *out;           /* the matches, in order */
} evalctx;

static int filter_test(const fexpr *x, json_t *cur, json_t *root);

static void eval_from(evalctx *c, const aslrtp_path *p, size_t i, json_t *cur);

/* Jayway's handleArrayIndex: negative counts from the end; out of range is
 * null (Jackson's ArrayNode.get). */
static void eval_index(evalctx *c, const aslrtp_path *p, size_t i, json_t *arr, long long k)
{
    long long n = (long long)json_array_size(arr);
    long long e = k < 0 ? n + k : k;
    eval_from(c, p, i + 1, e >= 0 && e < n ? json_array_get(arr, (size_t)e) : json_null());
}

static void eval_slice(evalctx *c, const aslrtp_path *p, size_t i, json_t *arr)
{
    const seg *s = &p->segs[i];
    long long n = (long long)json_array_size(arr);
    if (n == 0)
        return;
    if (s->has_from && !s->has_to) {        /* [from:] */
        long long from = s->from < 0 ? n + s->from : s->from;
        if (from < 0)
            from = 0;
        for (long long k = from; k < n; k++)
            eval_index(c, p, i, arr, k);
    } else if (s->has_from) {               /* [from:to]: Jayway does not wrap */
        long long to = s->to < n ? s->to : n;
        for (long long k = s->from; k < to; k++)
            eval_index(c, p, i, arr, k);
    } else {                                /* [:to] */
        long long to = s->to < 0 ? n + s->to : s->to;
        if (to > n)
            to = n;
        for (long long k = 0; k < to; k++)
            eval_index(c, p, i, arr, k);
    }
}

/* Deep scan (Jayway's ScanPathToken): visits cur and every container below
 * it in document order, applying segment i wherever it can apply, then
 * descending. */
static void eval_scan(evalctx *c, const aslrtp_path *p, size_t i, json_t *cur)
{
    const seg *s = &p->segs[i];
    if (json_is_object(cur)) {
        int match = 1;
        if (s->kind == SEG_NAME)
            match = json_object_getn(cur, s->names[0], s->lens[0]) != NULL;
        else if (s->kind == SEG_INDEX || s->kind == SEG_INDEXES || s->kind == SEG_SLICE)
            match = 0;
        if (match)
            eval_from(c, p, i, cur);
        const char *key;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(cur, tmp, key, v) eval_scan(c, p, i, v);
        (void)key;
    } else if (json_is_array(cur)) {
        int match = 1;
        if (s->kind == SEG_NAME || s->kind == SEG_NAMES)
            match = 0;
        else if (s->kind == SEG_FILTER)     /* the filter tests the array itself */
            match = filter_test(s->filter, cur, c->root);
        if (match)
            eval_from(c, p, i, cur);
        size_t k;
        json_t *v;
        json_array_foreach(cur, k, v) eval_scan(c, p, i, v);
    }
}

/* Applies segments i.. to cur, appending every match to c->out.  Nothing
 * here fails: an indefinite path just matches less. */
static void eval_from(evalctx *c, const aslrtp_path *p, size_t i, json_t *cur)
{
    if (i == p->nsegs) {
        json_array_append(c->out, cur);
        return;
    }
    const seg *s = &p->segs[i];
    switch (s->kind) {
    case SEG_NAME:
        if (json_is_object(cur)) {
            json_t *v = json_object_getn(cur, s->names[0], s->lens[0]);
            if (v)
                eval_from(c, p, i + 1, v);
        }
        break;
    case SEG_NAMES:
        if (!json_is_object(cur))
            break;
        if (i + 1 == p->nsegs) {            /* merged into one object */
            json_t *o = json_object();
            for (size_t k = 0; k < s->n; k++) {
                json_t *v = json_object_getn(cur, s->names[k], s->lens[k]);
                if (v)
                    json_object_setn(o, s->names[k], s->lens[k], v);
            }
            json_array_append_new(c->out, o);
        } else {
            for (size_t k = 0; k < s->n; k++) {
                json_t *v = json_object_getn(cur, s->names[k], s->lens[k]);
                if (v)
                    eval_from(c, p, i + 1, v);
            }
        }
        break;
    case SEG_INDEX:
    case SEG_INDEXES:
        if (json_is_array(cur))
            for (size_t k = 0; k < s->n; k++)
                eval_index(c, p, i, cur, s->idx[k]);
        break;
    case SEG_SLICE:
        if (json_is_array(cur))
            eval_slice(c, p, i, cur);
        break;
    case SEG_WILD:
        if (json_is_object(cur)) {
            const char *key;
            json_t *v;
            void *tmp;
            json_object_foreach_safe(cur, tmp, key, v) eval_from(c, p, i + 1, v);
            (void)key;
        } else if (json_is_array(cur)) {
            size_t k;
            json_t *v;
            json_array_foreach(cur, k, v) eval_from(c, p, i + 1, v);
        }
        break;
    case SEG_FILTER:
        if (json_is_object(cur)) {          /* Jayway tests the object itself */
            if (filter_test(s->filter, cur, c->root))
                eval_from(c, p, i + 1, cur);
        } else if (json_is_array(cur)) {
            size_t k;
            json_t *v;
            json_array_foreach(cur, k, v) {
                if (filter_test(s->filter, v, c->root))
                    eval_from(c, p, i + 1, v);
            }
        }
        break;
    case SEG_SCAN:
        eval_scan(c, p, i + 1, cur);
        break;
    }
}

/* $.a.b, the paths Choice rules and templates mostly read: the walk
 * without its failure cases, which walk_definite words; NULL when it
 * fails or p is another kind of path. */
static inline json_t *walk_names(const aslrtp_path *p, json_t *doc)
{
    if (!p->names_only)
        return NULL;
    json_t *cur = doc;
    for (size_t i = 0; cur && i < p->nsegs; i++)
        cur = json_is_object(cur) ? aslrtp_member(cur, p->segs[i].names[0], p->segs[i].lens[0])
                                  : NULL;
    return cur;
}


/* aslrtp_path_lookup when walk_names has not found the node. */
static __attribute__((noinline)) json_t *lookup_rest(const aslrtp_path *p, json_t *doc,
                                                     char **why, int *owned)
{
    if (p->definite)
        return walk_definite(p, doc, why, owned);
    *owned = 1;
    return aslrtp_path_get(p, doc, why);
}

json_t *aslrtp_path_lookup(const aslrtp_path *p, json_t *doc, char **why, int *owned)
{
    if (why)
        *why = NULL;
    json_t *cur = walk_names(p, doc);
    if (cur) {
        *owned = 0;
        return cur;
    }
    return lookup_rest(p, doc, why, owned);
}

json_t *aslrtp_path_get(const aslrtp_path *p, json_t *doc, char **why)
{
    if (why)
        *why = NULL;
    if (p->definite) {
        int owned;
        json_t *v = walk_definite(p, doc, why, &owned);
        return owned ? v : json_incref(v);
    }
    evalctx c = {doc, json_array()};
    eval_from(&c, p, 0, doc);
    return c.out;
}

/* ---- filter evaluation ---- */

/* An operand's value: a borrowed or new reference in *v (new when *owned),
 * or NULL for Jayway's UNDEFINED (a definite path that matched nothing). */
static json_t *operand_value(const fval *f, json_t *cur, json_t *root, int *owned)
{
    *owned = 0;
    if (f->kind == FV_LIT)
        return f->lit;
    json_t *base = f->kind == FV_CUR ? cur : root;
    if (f->path->definite) {
        json_t *v = walk_definite(f->path, base, NULL, owned);
        return v;
    }
    *owned = 1;
    return aslrtp_path_get(f->path, base, NULL);
}

/* Compares two numbers like BigDecimal.compareTo. */
static int num_cmp(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b)) {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return x < y ? -1 : x > y;
    }
    double x = json_number_value(a), y = json_number_value(b);
    return x < y ? -1 : x > y;
}

/* Java's String.compareTo: UTF-16 code unit order.  It differs from UTF-8
 * byte order only between supplementary characters and U+E000..U+FFFF. */
static int utf16_unit(unsigned cp)
{
    return cp >= 0x10000 ? (int)(0xD800 + ((cp - 0x10000) >> 10)) : (int)cp;
}

static int java_strcmp(const json_t *a, const json_t *b)
{
    const char *x = json_string_value(a), *y = json_string_value(b);
    size_t xn = json_string_length(a), yn = json_string_length(b), i = 0, j = 0;
    while (i < xn && j < yn) {
        unsigned cx = aslrtp_utf8_next(x, xn, 0, &i), cy = aslrtp_utf8_next(y, yn, 0, &j);
        if (cx == cy)
            continue;
        int ux = utf16_unit(cx), uy = utf16_unit(cy);
        if (ux != uy)
            return ux < uy ? -1 : 1;
        return cx < cy ? -1 : 1;        /* same high surrogate */
    }
    return (i < xn) - (j < yn);
}

/* The text Jayway's NumberNode.asStringNode gives a number. */
static void number_text(const json_t *v, char *buf, size_t size)
{
    if (json_is_integer(v))
        snprintf(buf, size, "%lld", (long long)json_integer_value(v));
    else
        aslrtp_format_double(json_real_value(v), buf, size);
}

/* Jayway's EqualsEvaluator over ValueNodes: numbers by value (1 == 1.0), a
 * number against a string by parsing the string, a string against a number
 * by the number's text; other kinds by JSON equality. */
static int values_equal(const json_t *l, const json_t *r)
{
    if (!l || !r)
        return 0;                       /* UNDEFINED equals nothing */
    if (json_is_number(l) && json_is_number(r))
        return num_cmp(l, r) == 0;
    if (json_is_number(l) && json_is_string(r)) {
        char *end;
        const char *s = json_string_value(r);
        double d = strtod(s, &end);
        if (end == s || *end)
            return 0;
        return json_number_value(l) == d;
    }
    if (json_is_string(l) && json_is_number(r)) {
        char buf[64];
        number_text(r, buf, sizeof buf);
        return strcmp(json_string_value(l), buf) == 0;
    }
    return json_equal(l, r);
}

static int compare(int op, const json_t *l, const json_t *r)
{
    switch (op) {
    case OP_EQ:
        return values_equal(l, r);
    case OP_NE:
        return !values_equal(l, r);
    case OP_IN:
    case OP_NIN: {
        int found = 0;
        if (l && json_is_array(r)) {
            size_t k;
            json_t *e;
            json_array_foreach(r, k, e) {
                if (values_equal(l, e)) {
                    found = 1;
                    break;
                }
            }
        }
        return op == OP_IN ? found : !found;
    }
    default:
        break;
    }
    if (!l || !r)
        return 0;
    int c;
    if (json_is_number(l) && json_is_number(r))
        c = num_cmp(l, r);
    else if (json_is_string(l) && json_is_string(r))
        c = java_strcmp(l, r);
    else
        return 0;
    switch (op) {
    case OP_LT: return c < 0;
    case OP_LE: return c <= 0;
    case OP_GT: return c > 0;
    default:    return c >= 0;
    }
}

static int filter_test(const fexpr *x, json_t *cur, json_t *root)
{
    switch (x->kind) {
    case FX_OR:
        return filter_test(x->a, cur, root) || filter_test(x->b, cur, root);
    case FX_AND:
        return filter_test(x->a, cur, root) && filter_test(x->b, cur, root);
    case FX_NOT:
        return !filter_test(x->a, cur, root);
    case FX_EXISTS: {
        int owned;
        json_t *v = operand_value(&x->l, cur, root, &owned);
        int r = v != NULL && (x->l.path->definite || json_array_size(v) > 0);
        if (owned)
            json_decref(v);
        return r;
    }
    default: {
        int ol, or_;
        json_t *l = operand_value(&x->l, cur, root, &ol);
        json_t *r = operand_value(&x->r, cur, root, &or_);
        int res = compare(x->op, l, r);
        if (ol)
            json_decref(l);
        if (or_)
            json_decref(r);
        return res;
    }
    }
}

/* ==== ResultPath ========================================================= */

/* AWS's text when ResultPath cannot be applied (quoted from an AWS run in
 * aws-cdk#29473, where the input was a string):
 *   Unable to apply ReferencePath $.partitioned to input "{...}" */
static char *why_cannot_apply(const aslrtp_path *p, const json_t *doc)
{
    aslrtp_buf b = {0};
    aslrtp_buf_addf(&b, "Unable to apply ReferencePath %s to input ", p->text);
    aslrtp_buf_add_json(&b, doc);
    return aslrtp_buf_finish(&b);
}

/* Makes *slot exclusively ours before we change it: a node that someone
 * else also holds (refcount > 1) is replaced by a shallow copy. */
static json_t *own(json_t *v)
{
    if (v->refcount > 1) {
        json_t *c = json_copy(v);
        json_decref(v);
        return c;
    }
    return v;
}

/* Stores value (stolen) at segs[i..] below node (stolen, may be NULL when
 * missing); the walk was checked by aslrtp_path_set. */
static json_t *set_below(const aslrtp_path *p, size_t i, json_t *node, json_t *value)
{
    if (i == p->nsegs) {
        json_decref(node);
        return value;
    }
    const seg *s = &p->segs[i];
    if (s->kind == SEG_NAME) {
        node = node ? own(node) : json_object();
        json_t *child = json_object_getn(node, s->names[0], s->lens[0]);
        if (child) {
            /* take the child out without moving its key: keep our reference
             * and park null in its place, so that its refcount only counts
             * the other holders */
            json_incref(child);
            json_object_setn(node, s->names[0], s->lens[0], json_null());
        }
        json_object_setn_new(node, s->names[0], s->lens[0],
                             set_below(p, i + 1, child, value));
        return node;
    }
    node = own(node);
    size_t k = (size_t)s->idx[0];
    json_t *child = json_incref(json_array_get(node, k));
    json_array_set(node, k, json_null());
    json_array_set_new(node, k, set_below(p, i + 1, child, value));
    return node;
}

json_t *aslrtp_path_set(const aslrtp_path *p, json_t *doc, json_t *value, char **why)
{
    if (why)
        *why = NULL;
    if (p->root != ASLRTP_ROOT_INPUT) {
        if (why)
            *why = aslrtp_strdupf("ResultPath must be a reference path starting with "
                                  "'$.': %s", p->text);
        json_decref(doc);
        json_decref(value);
        return NULL;
    }
    /* Check the whole walk first, so the message shows the input as it was
     * and nothing is half-changed. */
    const json_t *cur = doc;
    for (size_t i = 0; i < p->nsegs; i++) {
        const seg *s = &p->segs[i];
        int ok;
        if (s->kind == SEG_NAME) {
            ok = !cur || json_is_object(cur);  /* missing: created */
            if (ok && cur)
                cur = json_object_getn(cur, s->names[0], s->lens[0]);
        } else if (s->kind == SEG_INDEX) {
            ok = cur && json_is_array(cur) && s->idx[0] >= 0 &&
                 (size_t)s->idx[0] < json_array_size(cur);
            if (ok)
                cur = json_array_get(cur, (size_t)s->idx[0]);
        } else {
            ok = 0;                            /* not a reference path */
        }
        if (!ok) {
            if (why)
                *why = why_cannot_apply(p, doc);
            json_decref(doc);
            json_decref(value);
            return NULL;
        }
    }
    return set_below(p, 0, doc, value);
}

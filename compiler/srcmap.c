/*
 * srcmap.c - from a JSON pointer to a byte offset, and from a byte offset
 * to line:column, through an index of the raw JSON text built in one pass.
 *
 * jansson keeps no positions, so the first time a place is asked for, the
 * text is scanned once, start to end, into an index: every value gets a
 * node (its offset, its key's offset and decoded name for an object
 * member, its parent), the children of each container are then listed
 * together (an object's sorted by name, so that a member is found by binary
 * search; the last of duplicate keys wins, as in jansson), and the offsets
 * where lines start are recorded, with a count of code points every
 * CHECKPOINT bytes.  A JSON pointer is then resolved one token at a time
 * without reading the text again, and a line:column costs a binary search
 * and at most CHECKPOINT bytes: placing every diagnostic of a document
 * costs one scan of it, however many there are.  Nothing recurses, so
 * deeply nested input cannot exhaust the stack.
 *
 * The scanner is lenient: it only needs the text to be "JSON enough" on the
 * way to the value.  Strict validation is jansson's job.  When the text
 * stops being JSON, the index keeps what came before; a container left
 * open is marked incomplete, and what is looked for in it past that point
 * is not found.
 */
#include "aslrt_private.h"
#include "srcmap.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Bytes between two code point counts (see asl_srcmap_position). */
#define CHECKPOINT 64

/* Every byte any srcmap read, for the tests (asl_srcmap_scanned). */
static atomic_size_t scanned;

/* A cursor over the text; every read is bounded by len, since the text need
 * not be NUL-terminated. */
typedef struct scan {
    const char *s;   /* the JSON text */
    size_t len;      /* its length in bytes */
    size_t pos;      /* current byte offset */
} scan;

static int peek(const scan *sc)
{
    return sc->pos < sc->len ? (unsigned char)sc->s[sc->pos] : -1;
}

static void skip_ws(scan *sc)
{
    while (sc->pos < sc->len) {
        char c = sc->s[sc->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        sc->pos++;
    }
}

/* Reads 4 hex digits at p; returns -1 when they are not there. */
static long hex4(const scan *sc, size_t p)
{
    long v = 0;
    if (p + 4 > sc->len)
        return -1;
    for (size_t i = 0; i < 4; i++) {
        int h = aslrtp_hexval((unsigned char)sc->s[p + i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Decodes one unit of a string body at sc->pos: a raw UTF-8 sequence or an
 * escape (a surrogate pair \uD83D\uDE00 is one unit, as it is one code
 * point).  Writes its decoded bytes to out (up to 4) and advances sc->pos.
 * Returns how many bytes it decoded, 0 at the closing quote (not consumed)
 * and -1 on malformed text. */
static int string_unit(scan *sc, unsigned char out[4])
{
    int c = peek(sc);
    if (c < 0 || c == '"')
        return c < 0 ? -1 : 0;
    if (c != '\\') {
        /* One code point of raw UTF-8 maps byte for byte. */
        size_t n = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        size_t i;
        for (i = 0; i < n && sc->pos < sc->len; i++)
            out[i] = (unsigned char)sc->s[sc->pos++];
        return (int)i;
    }
    sc->pos++;
    c = peek(sc);
    if (c < 0)
        return -1;
    sc->pos++;
    switch (c) {
    case '"': case '\\': case '/': out[0] = (unsigned char)c; return 1;
    case 'b': out[0] = '\b'; return 1;
    case 'f': out[0] = '\f'; return 1;
    case 'n': out[0] = '\n'; return 1;
    case 'r': out[0] = '\r'; return 1;
    case 't': out[0] = '\t'; return 1;
    case 'u': break;
    default: return -1;
    }
    long cp = hex4(sc, sc->pos);
    if (cp < 0)
        return -1;
    sc->pos += 4;
    if (cp >= 0xD800 && cp <= 0xDBFF && sc->pos + 1 < sc->len &&
        sc->s[sc->pos] == '\\' && sc->s[sc->pos + 1] == 'u') {
        long lo = hex4(sc, sc->pos + 2);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            sc->pos += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
    }
    /* A lone surrogate (which jansson rejects) is counted as the 3 bytes
     * a lenient decoder would give it. */
    return (int)aslrtp_utf8_encode((uint32_t)cp, (char *)out);
}

/* ==== The index ========================================================== */

/* One value of the document. */
typedef struct node {
    size_t value;      /* offset of its first byte */
    size_t key;        /* offset of its key's opening quote (members) */
    size_t name, namelen; /* its decoded key: offset in names, length */
    size_t parent;     /* index of its container (the root: itself) */
    size_t first, n;   /* its children: kids[first .. first + n) */
    char kind;         /* '{', '[' or 0 for any other value */
    bool has_key;      /* false for the root and for array elements */
    bool complete;     /* a container whose closing bracket was read */
} node;

/* A child in its container's list: an object's are sorted by name (then
 * document order), an array's are in document order. */
typedef struct kid {
    const char *name;  /* into names (objects) */
    size_t namelen;
    size_t node;
} kid;

struct asl_srcmap {
    const char *text;
    size_t len;
    bool indexed;      /* the tree below has been built */
    node *nodes;       /* in document order; nodes[0] is the root */
    size_t nnodes, capnodes;
    kid *kids;         /* nnodes - 1 entries: every node but the root */
    char *names;       /* the decoded keys, end to end */
    size_t namelen, capnames;
    size_t *lines;     /* offsets where lines start; lines[0] = 0 */
    size_t *line_points; /* code points before each line start */
    size_t nlines;
    size_t *points;    /* points[i]: code points in text[0, i * CHECKPOINT) */
};

asl_srcmap *asl_srcmap_create(const char *text, size_t len)
{
    asl_srcmap *m = aslrtp_calloc(1, sizeof *m);
    m->text = text;
    m->len = text ? len : 0;
    return m;
}

void asl_srcmap_destroy(asl_srcmap *m)
{
    if (!m)
        return;
    free(m->nodes);
    free(m->kids);
    free(m->names);
    free(m->lines);
    free(m->line_points);
    free(m->points);
    free(m);
}

size_t asl_srcmap_scanned(void)
{
    return atomic_load(&scanned);
}

static size_t add_node(asl_srcmap *m, size_t value, size_t parent)
{
    if (m->nnodes == m->capnodes) {
        m->capnodes = m->capnodes ? m->capnodes * 2 : 64;
        m->nodes = aslrtp_reallocarray(m->nodes, m->capnodes, sizeof *m->nodes);
    }
    node *n = &m->nodes[m->nnodes];
    memset(n, 0, sizeof *n);
    n->value = value;
    n->parent = parent;
    return m->nnodes++;
}

/* With sc at an opening quote, appends the decoded string to m->names and
 * leaves sc past the closing quote.  Returns false on malformed text. */
static bool read_name(asl_srcmap *m, scan *sc)
{
    unsigned char buf[4];
    int n;

    sc->pos++;
    while ((n = string_unit(sc, buf)) > 0) {
        if (m->namelen + 4 > m->capnames) {
            m->capnames = m->capnames ? m->capnames * 2 : 256;
            m->names = aslrtp_realloc(m->names, m->capnames);
        }
        memcpy(m->names + m->namelen, buf, (size_t)n);
        m->namelen += (size_t)n;
    }
    if (n < 0)
        return false;
    sc->pos++;
    return true;
}

static bool skip_string(scan *sc)
{
    unsigned char buf[4];
    int n;

    sc->pos++;
    while ((n = string_unit(sc, buf)) > 0)
        ;
    if (n < 0)
        return false;
    sc->pos++;
    return true;
}

/* Reads the value at sc, whose node is v: a container is opened (and
 * becomes the current one), anything else is skipped.  Returns 1, 0 when
 * the value is missing, -1 on a malformed string. */
#define NONE ((size_t)-1)
static int read_value(asl_srcmap *m, scan *sc, size_t v, size_t *current)
{
    int c = peek(sc);
    if (c == '{' || c == '[') {
        m->nodes[v].kind = (char)c;
        sc->pos++;
        *current = v;
        return 1;
    }
    if (c == '"')
        return skip_string(sc) ? 1 : -1;
    /* A number or a literal: runs to the next delimiter. */
    size_t start = sc->pos;
    while (sc->pos < sc->len && !strchr(",:]}\"{[ \t\r\n", sc->s[sc->pos]))
        sc->pos++;
    return sc->pos > start;
}

/* After something unexpected inside a container, skips to its closing
 * bracket by counting brackets (of any kind, strings skipped), as a reader
 * that never looks inside it would.  Returns false at the end of the text
 * or on a malformed string. */
static bool skip_rest(scan *sc)
{
    size_t depth = 1;
    for (;;) {
        int c = peek(sc);
        if (c < 0)
            return false;
        if (c == '"') {
            if (!skip_string(sc))
                return false;
            continue;
        }
        sc->pos++;
        if (c == '{' || c == '[')
            depth++;
        else if ((c == '}' || c == ']') && --depth == 0)
            return true;
    }
}

/* Scans the text once into m->nodes; stops at the end of the root value,
 * at the end of the text or at a malformed string.  A container in which
 * something unexpected comes is left incomplete and skipped, so that its
 * siblings after it are still found (as a reader that skips it whole would
 * find them). */
static void scan_tree(asl_srcmap *m)
{
    scan sc = {m->text, m->len, 0};
    size_t current = NONE;   /* the innermost open container */
    bool after_value = false; /* a member or element was just read in it */

    /* A UTF-8 byte order mark is not JSON, but is harmless to step over. */
    if (m->len >= 3 && memcmp(m->text, "\xEF\xBB\xBF", 3) == 0)
        sc.pos = 3;
    skip_ws(&sc);
    if (sc.pos >= sc.len || read_value(m, &sc, add_node(m, sc.pos, 0), &current) <= 0)
        goto done;
    while (current != NONE) {
        char kind = m->nodes[current].kind;
        skip_ws(&sc);
        int c = peek(&sc);
        if (c == (kind == '{' ? '}' : ']')) {
            sc.pos++;
            m->nodes[current].complete = true;
            current = current == 0 ? NONE : m->nodes[current].parent;
            after_value = true;
            continue;
        }
        if (after_value) {
            if (c != ',')
                goto unexpected;
            sc.pos++;
            skip_ws(&sc);
            c = peek(&sc);
        }
        size_t key = sc.pos, name = m->namelen;
        if (kind == '{') {
            if (c != '"')
                goto unexpected;
            if (!read_name(m, &sc))
                goto done;
            skip_ws(&sc);
            if (peek(&sc) != ':')
                goto unexpected;
            sc.pos++;
            skip_ws(&sc);
        }
        size_t v = add_node(m, sc.pos, current);
        if (kind == '{') {
            m->nodes[v].has_key = true;
            m->nodes[v].key = key;
            m->nodes[v].name = name;
            m->nodes[v].namelen = m->namelen - name;
        }
        size_t before = current;
        int r = read_value(m, &sc, v, &current);
        if (r < 0)
            goto done;
        if (r == 0)
            goto unexpected;
        after_value = current == before;
        continue;
    unexpected:
        if (!skip_rest(&sc))
            goto done;
        current = current == 0 ? NONE : m->nodes[current].parent;
        after_value = true;
    }
done:
    atomic_fetch_add(&scanned, sc.pos);
}

/* Orders an object's members by name, then by document order. */
static int compare_kids(const void *pa, const void *pb)
{
    const kid *a = pa, *b = pb;
    size_t n = a->namelen < b->namelen ? a->namelen : b->namelen;
    int c = n ? memcmp(a->name, b->name, n) : 0;
    if (c == 0 && a->namelen != b->namelen)
        c = a->namelen < b->namelen ? -1 : 1;
    if (c == 0)
        c = a->node < b->node ? -1 : a->node > b->node;
    return c;
}

/* Lists every container's children together (m->kids). */
static void list_kids(asl_srcmap *m)
{
    if (m->nnodes < 2)
        return;
    m->kids = aslrtp_reallocarray(NULL, m->nnodes - 1, sizeof *m->kids);
    /* A counting sort by parent keeps document order within each list. */
    for (size_t i = 1; i < m->nnodes; i++)
        m->nodes[m->nodes[i].parent].n++;
    size_t at = 0;
    for (size_t i = 0; i < m->nnodes; i++) {
        m->nodes[i].first = at;
        at += m->nodes[i].n;
        m->nodes[i].n = 0;
    }
    for (size_t i = 1; i < m->nnodes; i++) {
        node *p = &m->nodes[m->nodes[i].parent];
        kid *k = &m->kids[p->first + p->n++];
        k->name = m->names ? m->names + m->nodes[i].name : "";
        k->namelen = m->nodes[i].namelen;
        k->node = i;
    }
    for (size_t i = 0; i < m->nnodes; i++)
        if (m->nodes[i].kind == '{' && m->nodes[i].n > 1)
            qsort(m->kids + m->nodes[i].first, m->nodes[i].n, sizeof *m->kids, compare_kids);
}

static void build_index(asl_srcmap *m)
{
    if (m->indexed)
        return;
    m->indexed = true;
    if (!m->text)
        return;
    scan_tree(m);
    list_kids(m);
}

/* The last member of object o named tok, or NONE. */
static size_t find_member(const asl_srcmap *m, const node *o, const char *tok, size_t toklen)
{
    kid want = {tok, toklen, NONE};   /* sorts after every member so named */
    size_t lo = 0, hi = o->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (compare_kids(&m->kids[o->first + mid], &want) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NONE;
    const kid *k = &m->kids[o->first + lo - 1];
    return k->namelen == toklen && (toklen == 0 || memcmp(k->name, tok, toklen) == 0)
               ? k->node : NONE;
}

/* An array index token as RFC 6901 spells it: "0" or digits without a
 * leading zero.  Returns false for anything else (including "-", which
 * names the element after the last, so never an existing one). */
static bool parse_index(const char *tok, size_t toklen, size_t *index)
{
    size_t v = 0;

    if (toklen == 0 || (tok[0] == '0' && toklen > 1))
        return false;
    for (size_t i = 0; i < toklen; i++) {
        if (tok[i] < '0' || tok[i] > '9')
            return false;
        if (v > (SIZE_MAX - 9) / 10)
            return false;
        v = v * 10 + (size_t)(tok[i] - '0');
    }
    *index = v;
    return true;
}

/* Unescapes one reference token (RFC 6901: "~1" is "/", "~0" is "~") from
 * p up to the next '/' or the end.  Returns a malloc'd copy and its length
 * in *toklen; *next points past the token. */
static char *read_token(const char *p, size_t *toklen, const char **next)
{
    size_t n = strcspn(p, "/");
    char *tok = aslrtp_malloc(n + 1);
    size_t j = 0;

    for (size_t i = 0; i < n; i++) {
        if (p[i] == '~' && i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1')) {
            tok[j++] = p[i + 1] == '0' ? '~' : '/';
            i++;
        } else {
            tok[j++] = p[i];
        }
    }
    tok[j] = '\0';
    *toklen = j;
    *next = p + n;
    return tok;
}

/* Maps decoded byte str_offset of the string at sc (an opening quote) back
 * to the source: the first byte of the unit (raw code point or escape) that
 * produced it.  Past the end, the closing quote.  Returns false on malformed
 * text. */
static bool string_byte(scan *sc, size_t str_offset, size_t *offset)
{
    size_t decoded = 0, start = sc->pos;
    unsigned char buf[4];
    bool ok = true;

    sc->pos++;
    for (;;) {
        size_t unit = sc->pos;
        int n = string_unit(sc, buf);
        if (n < 0) {
            ok = false;
            break;
        }
        if (n == 0 || str_offset < decoded + (size_t)n) {
            *offset = unit;
            break;
        }
        decoded += (size_t)n;
    }
    atomic_fetch_add(&scanned, sc->pos - start);
    return ok;
}

bool asl_srcmap_locate(asl_srcmap *m, const char *pointer, asl_anchor anchor,
                       size_t str_offset, size_t *offset)
{
    if (anchor == ASL_AT_OFFSET) {
        *offset = str_offset < m->len ? str_offset : m->len;
        return true;
    }
    build_index(m);
    if (m->nnodes == 0)
        return false;

    size_t at = 0;
    bool complete = true;   /* false once a token names nothing */
    const char *p = pointer ? pointer : "";
    /* Every token of a well-formed pointer is preceded by '/'; anything
     * else cannot name a value below the root. */
    while (*p == '/') {
        size_t toklen, index;
        char *tok = read_token(p + 1, &toklen, &p);
        const node *n = &m->nodes[at];
        size_t next = NONE;
        bool malformed = false;

        if (n->kind == '{') {
            /* A later duplicate could follow where the scan stopped. */
            next = find_member(m, n, tok, toklen);
            malformed = !n->complete;
        } else if (n->kind == '[' && parse_index(tok, toklen, &index)) {
            if (index < n->n)
                next = m->kids[n->first + index].node;
            else
                malformed = !n->complete;
        }
        free(tok);
        if (malformed)
            return false;
        if (next == NONE) {
            /* A missing member: the nearest existing ancestor stands in. */
            complete = false;
            break;
        }
        at = next;
    }

    const node *n = &m->nodes[at];
    if (anchor == ASL_AT_KEY && n->has_key) {
        *offset = n->key;
        return true;
    }
    scan sc = {m->text, m->len, n->value};
    if (anchor == ASL_AT_STRING && complete && peek(&sc) == '"')
        return string_byte(&sc, str_offset, offset);
    *offset = n->value;
    return true;
}

/* Records where lines start and the code point counts (one pass). */
static void index_lines(asl_srcmap *m)
{
    size_t cap = 64, points = 0;
    m->lines = aslrtp_reallocarray(NULL, cap, sizeof *m->lines);
    m->line_points = aslrtp_reallocarray(NULL, cap, sizeof *m->line_points);
    m->lines[0] = m->line_points[0] = 0;
    m->nlines = 1;
    m->points = aslrtp_reallocarray(NULL, m->len / CHECKPOINT + 1, sizeof *m->points);
    for (size_t i = 0; i < m->len; i++) {
        unsigned char b = (unsigned char)m->text[i];
        if (i % CHECKPOINT == 0)
            m->points[i / CHECKPOINT] = points;
        /* Continuation bytes belong to the code point already counted. */
        points += (b & 0xC0) != 0x80;
        if (b == '\n') {
            if (m->nlines == cap) {
                cap *= 2;
                m->lines = aslrtp_reallocarray(m->lines, cap, sizeof *m->lines);
                m->line_points = aslrtp_reallocarray(m->line_points, cap, sizeof *m->line_points);
            }
            m->lines[m->nlines] = i + 1;
            m->line_points[m->nlines++] = points;
        }
    }
    if (m->len % CHECKPOINT == 0)
        m->points[m->len / CHECKPOINT] = points;
    atomic_fetch_add(&scanned, m->len);
}

/* Code points in text[from, to). */
static size_t points_between(const asl_srcmap *m, size_t from, size_t to)
{
    size_t n = 0;
    for (size_t i = from; i < to; i++)
        n += ((unsigned char)m->text[i] & 0xC0) != 0x80;
    atomic_fetch_add(&scanned, to - from);
    return n;
}

void asl_srcmap_position(asl_srcmap *m, size_t offset, int *line, int *col)
{
    if (!m->lines)
        index_lines(m);
    if (offset > m->len)
        offset = m->len;
    /* The last line that starts at or before offset. */
    size_t lo = 0, hi = m->nlines;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->lines[mid] <= offset)
            lo = mid;
        else
            hi = mid;
    }
    *line = (int)(lo + 1);
    /* Counted from the line's start or from the checkpoint before offset,
     * whichever is nearer: never more than CHECKPOINT bytes. */
    size_t check = offset - offset % CHECKPOINT;
    size_t points = check <= m->lines[lo]
                        ? points_between(m, m->lines[lo], offset)
                        : m->points[check / CHECKPOINT] - m->line_points[lo] +
                              points_between(m, check, offset);
    *col = (int)(points + 1);
}

size_t asl_srcmap_line_start(asl_srcmap *m, size_t offset)
{
    int line, col;
    asl_srcmap_position(m, offset, &line, &col);
    return m->lines[line - 1];
}

bool asl_srcmap_find(const char *text, size_t len, const char *pointer,
                     asl_anchor anchor, size_t str_offset, size_t *offset)
{
    asl_srcmap *m = asl_srcmap_create(text, len);
    bool found = asl_srcmap_locate(m, pointer, anchor, str_offset, offset);
    asl_srcmap_destroy(m);
    return found;
}

void asl_srcmap_linecol(const char *text, size_t len, size_t offset,
                        int *line, int *col)
{
    asl_srcmap *m = asl_srcmap_create(text, len);
    asl_srcmap_position(m, offset, line, col);
    asl_srcmap_destroy(m);
}

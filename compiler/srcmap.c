/*
 * srcmap.c - from a JSON pointer to a byte offset, and from a byte offset
 * to line:column, by rescanning the raw JSON text.
 *
 * jansson keeps no positions, so when a diagnostic is printed we walk the
 * text again, one pointer token at a time: inside an object we read every
 * member (the last of duplicate keys wins, as in jansson), inside an array
 * we count elements, and whatever we do not descend into is skipped without
 * being decoded.  Nothing is allocated but the current token, and nothing
 * recurses, so deeply nested input cannot exhaust the stack.
 *
 * The scanner is lenient: it only needs the text to be "JSON enough" on the
 * way to the value.  Strict validation is jansson's job.
 */
#include "aslrt_private.h"
#include "srcmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* With sc at an opening quote, compares the decoded string with the len
 * bytes of want, and leaves sc past the closing quote.  Returns 1 when
 * equal, 0 when not, -1 on malformed text. */
static int string_equals(scan *sc, const char *want, size_t wlen)
{
    size_t matched = 0;
    bool equal = true;
    unsigned char buf[4];
    int n;

    sc->pos++;
    while ((n = string_unit(sc, buf)) > 0) {
        if (!equal)
            continue;
        if (matched + (size_t)n > wlen || memcmp(want + matched, buf, (size_t)n) != 0)
            equal = false;
        else
            matched += (size_t)n;
    }
    if (n < 0)
        return -1;
    sc->pos++;   /* the closing quote */
    return equal && matched == wlen;
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

/* Skips one value of any kind.  Containers are skipped by counting
 * brackets, not by recursion; their inner structure is not checked. */
static bool skip_value(scan *sc)
{
    size_t depth = 0;

    for (;;) {
        skip_ws(sc);
        int c = peek(sc);
        if (c < 0)
            return false;
        if (c == '"') {
            if (!skip_string(sc))
                return false;
        } else if (c == '{' || c == '[') {
            depth++;
            sc->pos++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return false;
            depth--;
            sc->pos++;
        } else if (c == ',' || c == ':') {
            if (depth == 0)
                return false;
            sc->pos++;
        } else {
            /* A number or a literal: runs to the next delimiter. */
            size_t start = sc->pos;
            while (sc->pos < sc->len && !strchr(",:]}\"{[ \t\r\n", sc->s[sc->pos]))
                sc->pos++;
            if (sc->pos == start)
                return false;
        }
        if (depth == 0)
            return true;
    }
}

/* Where one step of the walk landed. */
typedef struct place {
    size_t value;    /* offset of the first byte of the value */
    size_t key;      /* offset of the key's opening quote */
    bool has_key;    /* false for the root and for array elements */
} place;

/* With sc at '{', finds the last member named tok.  Returns 1 and fills
 * *found, 0 when there is no such member, -1 on malformed text. */
static int find_member(scan *sc, const char *tok, size_t toklen, place *found)
{
    int hit = 0;

    sc->pos++;
    skip_ws(sc);
    if (peek(sc) == '}')
        return 0;
    for (;;) {
        skip_ws(sc);
        if (peek(sc) != '"')
            return -1;
        size_t key = sc->pos;
        int eq = string_equals(sc, tok, toklen);
        if (eq < 0)
            return -1;
        skip_ws(sc);
        if (peek(sc) != ':')
            return -1;
        sc->pos++;
        skip_ws(sc);
        if (eq) {
            /* Keep looking: a later duplicate replaces this one. */
            hit = 1;
            found->key = key;
            found->value = sc->pos;
            found->has_key = true;
        }
        if (!skip_value(sc))
            return -1;
        skip_ws(sc);
        int c = peek(sc);
        sc->pos++;
        if (c == '}')
            return hit;
        if (c != ',')
            return -1;
    }
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

/* With sc at '[', finds element index.  Same returns as find_member. */
static int find_element(scan *sc, size_t index, place *found)
{
    sc->pos++;
    skip_ws(sc);
    if (peek(sc) == ']')
        return 0;
    for (size_t i = 0;; i++) {
        skip_ws(sc);
        if (i == index) {
            found->value = sc->pos;
            found->has_key = false;
            return 1;
        }
        if (!skip_value(sc))
            return -1;
        skip_ws(sc);
        int c = peek(sc);
        sc->pos++;
        if (c == ']')
            return 0;
        if (c != ',')
            return -1;
    }
}

/* Unescapes one reference token (RFC 6901: "~1" is "/", "~0" is "~") from
 * p up to the next '/' or the end.  Returns a malloc'd copy (NULL when out
 * of memory) and its length in *toklen; *next points past the token. */
static char *read_token(const char *p, size_t *toklen, const char **next)
{
    size_t n = strcspn(p, "/");
    char *tok = malloc(n + 1);
    size_t j = 0;

    if (!tok)
        return NULL;
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
    size_t decoded = 0;
    unsigned char buf[4];

    sc->pos++;
    for (;;) {
        size_t start = sc->pos;
        int n = string_unit(sc, buf);
        if (n < 0)
            return false;
        if (n == 0 || str_offset < decoded + (size_t)n) {
            *offset = start;
            return true;
        }
        decoded += (size_t)n;
    }
}

bool asl_srcmap_find(const char *text, size_t len, const char *pointer,
                     asl_anchor anchor, size_t str_offset, size_t *offset)
{
    scan sc = {text, len, 0};
    place at = {0, 0, false};
    bool complete = true;   /* false once a token names nothing */

    if (anchor == ASL_AT_OFFSET) {
        *offset = str_offset < len ? str_offset : len;
        return true;
    }

    if (!text)
        return false;
    /* A UTF-8 byte order mark is not JSON, but is harmless to step over. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        sc.pos = 3;
    skip_ws(&sc);
    if (sc.pos >= len)
        return false;
    at.value = sc.pos;

    const char *p = pointer ? pointer : "";
    /* Every token of a well-formed pointer is preceded by '/'; anything
     * else cannot name a value below the root. */
    while (*p == '/') {
        size_t toklen;
        char *tok = read_token(p + 1, &toklen, &p);
        place next = at;
        int r = 0;

        if (!tok)
            return false;
        sc.pos = at.value;
        if (peek(&sc) == '{') {
            r = find_member(&sc, tok, toklen, &next);
        } else if (peek(&sc) == '[') {
            size_t index;
            if (parse_index(tok, toklen, &index))
                r = find_element(&sc, index, &next);
        }
        free(tok);
        if (r < 0)
            return false;
        if (r == 0) {
            /* A missing member: the nearest existing ancestor stands in. */
            complete = false;
            break;
        }
        at = next;
    }

    if (anchor == ASL_AT_KEY && at.has_key) {
        *offset = at.key;
        return true;
    }
    sc.pos = at.value;
    if (anchor == ASL_AT_STRING && complete && peek(&sc) == '"')
        return string_byte(&sc, str_offset, offset);
    *offset = at.value;
    return true;
}

void asl_srcmap_linecol(const char *text, size_t len, size_t offset,
                        int *line, int *col)
{
    int l = 1, c = 1;

    if (offset > len)
        offset = len;
    for (size_t i = 0; i < offset; i++) {
        unsigned char b = (unsigned char)text[i];
        if (b == '\n') {
            l++;
            c = 1;
        } else if ((b & 0xC0) != 0x80) {
            /* Continuation bytes belong to the code point already counted. */
            c++;
        }
    }
    *line = l;
    *col = c;
}

/*
 * picture.h - what the picture functions share: fn_integer.c (integer
 * pictures, fn:format-integer) and fn_time.c (date and time pictures,
 * which format and parse their numeric components with integer pictures).
 *
 * Two parts.  The text helpers of datetime.js's JavaScript (UTF-16 lengths
 * and strings, parseInt, '' + number, substring's clamping, the case
 * folding of a case-insensitive regular expression, D1001 for a number out
 * of range), header-only as static inline functions on text.h's strings.
 * Then the interface of fn_integer.c: an analysed integer picture (ifmt),
 * formatting and parsing with it, and the words datetime.js knows.
 */
#ifndef ASLRT_JSONATA_PICTURE_H
#define ASLRT_JSONATA_PICTURE_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define MAX_PAD 10000000.0          /* zeros a width may ask for */
#define MAX_ROMAN 10000000.0        /* deeper than jsonata-js's recursion goes */
#define NONE SIZE_MAX

/* ==== text as datetime.js measures it =================================== */

/* A string's length as JavaScript counts it (UTF-16 units). */
static inline size_t utf16_len(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len;)
        n += utf8_get(s, len, &i) >= 0x10000 ? 2 : 1;
    return n;
}

/* A growable UTF-16 string in the arena, for the code that measures and
 * cuts strings as JavaScript does. */
typedef struct u16 {
    jn_ctx *cx;
    uint16_t *p;
    size_t n, cap;
} u16;

static inline void u16_init(u16 *b, jn_ctx *cx)
{
    b->cx = cx;
    b->p = NULL;
    b->n = b->cap = 0;
}

static inline void u16_reserve(u16 *b, size_t extra)
{
    if (b->n + extra <= b->cap)
        return;
    size_t cap = b->cap ? b->cap * 2 : 32;
    while (cap < b->n + extra)
        cap *= 2;
    uint16_t *p = jn_alloc(b->cx, cap * sizeof *p);
    if (b->n)
        memcpy(p, b->p, b->n * sizeof *p);
    b->p = p;
    b->cap = cap;
}

static inline void u16_push(u16 *b, uint16_t c)
{
    u16_reserve(b, 1);
    b->p[b->n++] = c;
}

static inline void u16_cp(u16 *b, uint32_t c)
{
    if (c >= 0x10000) {
        c -= 0x10000;
        u16_push(b, (uint16_t)(0xD800 | c >> 10));
        u16_push(b, (uint16_t)(0xDC00 | (c & 0x3FF)));
    } else {
        u16_push(b, (uint16_t)c);
    }
}

static inline void u16_utf8(u16 *b, const char *s, size_t len)
{
    for (size_t i = 0; i < len;)
        u16_cp(b, utf8_get(s, len, &i));
}

/* Inserts the k units u at position pos (<= b->n). */
static inline void u16_insert(u16 *b, size_t pos, const uint16_t *u, size_t k)
{
    u16_reserve(b, k);
    memmove(b->p + pos + k, b->p + pos, (b->n - pos) * sizeof *b->p);
    memcpy(b->p + pos, u, k * sizeof *u);
    b->n += k;
}

/* UTF-16 units to UTF-8 (a lone surrogate becomes U+FFFD). */
static inline void sb_u16(sbuf *o, const uint16_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t c = p[i];
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n && p[i + 1] >= 0xDC00 &&
            p[i + 1] <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (p[i + 1] - 0xDC00);
            i++;
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            c = 0xFFFD;
        }
        sb_cp(o, c);
    }
}

/* JavaScript's parseInt(s) without a radix: leading white space, a sign,
 * "0x" for hexadecimal, then the longest run of digits; NaN when there is
 * none. */
static inline double js_parse_int16(jn_ctx *cx, const uint16_t *s, size_t n)
{
    size_t i = 0;
    while (i < n && js_space(s[i]))
        i++;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    double v = 0;
    if (i + 1 < n && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        size_t start = i += 2;
        for (; i < n; i++) {
            int d = s[i] >= '0' && s[i] <= '9'   ? s[i] - '0'
                    : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
                    : s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10
                                                 : -1;
            if (d < 0)
                break;
            v = v * 16 + d;
        }
        if (i == start)
            return NAN;
    } else {
        size_t start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return NAN;
        /* strtod rounds the decimal digits correctly, as V8 does */
        char *digits = jn_alloc(cx, i - start + 1);
        for (size_t k = start; k < i; k++)
            digits[k - start] = (char)s[k];
        v = strtod(digits, NULL);
    }
    return neg ? -v : v;
}

static inline double js_parse_int(jn_ctx *cx, const char *s, size_t len)
{
    u16 b;
    u16_init(&b, cx);
    u16_utf8(&b, s, len);
    return js_parse_int16(cx, b.p, b.n);
}

/* '' + d, as JavaScript writes a number. */
static inline void sb_jsnum(sbuf *b, double d)
{
    if (isnan(d)) {
        sb_adds(b, "NaN");
    } else if (isinf(d)) {
        sb_adds(b, d < 0 ? "-Infinity" : "Infinity");
    } else {
        char buf[32];
        unsigned k = (unsigned)jn_format_number(d, buf);
        sb_add(b, buf, k < sizeof buf ? k : 0);
    }
}

/* An index as String.prototype.substring clamps it. */
static inline size_t js_clamp(double x, size_t len)
{
    if (isnan(x) || x <= 0)
        return 0;
    if (x >= (double)len)
        return len;
    return (size_t)x;
}

static inline bool in_set(uint32_t c, const char *set)
{
    return c > 0 && c < 128 && strchr(set, (int)c) != NULL;
}

static inline char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 32) : c; }
static inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }

/* JavaScript's case-insensitive regular expressions (without the u flag)
 * compare characters by their upper case, except that nothing outside
 * ASCII may turn into ASCII.  The common alphabets' simple mappings: */
static inline uint32_t canon(uint32_t c)
{
    if (c >= 'a' && c <= 'z')
        return c - 32;
    if (c < 0x80)
        return c;
    if ((c >= 0xE0 && c <= 0xFE && c != 0xF7) || (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) ||
        (c >= 0x430 && c <= 0x44F) || (c >= 0xFF41 && c <= 0xFF5A))
        return c - 32;
    if (c == 0xFF)
        return 0x178;
    if (c == 0xB5)
        return 0x39C;
    if (c == 0x3C2)
        return 0x3A3;
    if (c >= 0x450 && c <= 0x45F)
        return c - 0x50;
    if (((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177) ||
         (c >= 0x460 && c <= 0x481)) && (c & 1))
        return c - 1;
    if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && !(c & 1))
        return c - 1;
    return c;
}

/* Matches lit case-insensitively at s[pos]: the end of the match, or NONE. */
static inline size_t match_ci(const char *s, size_t len, size_t pos, const char *lit, size_t lit_len)
{
    size_t i = pos, j = 0;
    while (j < lit_len) {
        if (i >= len)
            return NONE;
        uint32_t a = utf8_get(s, len, &i), b = utf8_get(lit, lit_len, &j);
        if (a != b && canon(a) != canon(b))
            return NONE;
    }
    return i;
}

/* D1001 where JavaScript would fail without a JSONata error. */
static inline _Noreturn void fail_range(jn_ctx *cx, double v)
{
    if (isnan(v))
        jn_fail_msg(cx, "D1001", "Number out of range: NaN");
    if (isinf(v))
        jn_fail_msg(cx, "D1001", v < 0 ? "Number out of range: -Infinity"
                                       : "Number out of range: Infinity");
    jn_fail(cx, "D1001", NULL, jn_number(cx, v), -1);
}

/* ==== fn_integer.c: integer pictures ==================================== */

/* datetime.js's wordValues (jn_word_values, jn_nwords of them), in the order of Object.keys (which is also the
 * order of the alternatives of its regular expression for words). */
typedef struct wordval {
    const char *word;
    double value;
} wordval;
extern const wordval jn_word_values[];
extern const size_t jn_nwords;

enum { FMT_DECIMAL, FMT_LETTERS, FMT_ROMAN, FMT_WORDS, FMT_SEQUENCE };
enum { CASE_LOWER, CASE_UPPER, CASE_TITLE };

typedef struct isep {
    int position;               /* digits to its right */
    uint32_t cp;                /* the grouping-separator-sign */
} isep;

/* An analysed integer picture (analyseIntegerPicture).  The numbers that
 * JavaScript leaves undefined for some pictures are NaN here, which
 * compares the way undefined does. */
typedef struct ifmt {
    int primary;                /* FMT_* */
    int tcase;                  /* CASE_* */
    bool ordinal;               /* ";o" */
    uint32_t zero;              /* DECIMAL: the family's zero */
    double mandatory;           /* DECIMAL: mandatory digits, or NaN */
    double optional;            /* DECIMAL: '#' signs, or NaN */
    bool regular;               /* DECIMAL: separators repeat regularly */
    int reg_position;           /* regular: the interval */
    uint32_t reg_cp;            /* regular: the separator */
    isep *seps;                 /* not regular: the separators, right to left */
    size_t nseps;
    const char *token;          /* SEQUENCE: the picture, for D3130 */
    size_t token_len;
} ifmt;

/* Analyses an integer picture (analyseIntegerPicture) into f; D3xxx
 * errors for a bad one. */
void jn_analyse_integer(jn_ctx *cx, const char *pic, size_t len, ifmt *f);
/* Appends value formatted with f to out (formatInteger's format). */
void jn_format_int(jn_ctx *cx, double value, const ifmt *f, sbuf *out);
/* The same with the picture given as text. */
void jn_format_integer_pic(jn_ctx *cx, double value, const char *pic, size_t len, sbuf *out);
/* The number s[0..len) reads as under f (parseInteger's parse). */
double jn_parse_int_pic(jn_ctx *cx, const char *s, size_t len, const ifmt *f);

#endif

/*
 * text.h - strings as JavaScript sees them, for the natives that read and
 * build text (fn_string.c, regex.c, fn_number.c, fn_integer.c,
 * fn_time.c): a growable string in the arena, UTF-8 decoded into
 * JavaScript's characters (lone surrogates as WTF-8, a surrogate pair
 * written as two sequences joined), JavaScript's white space, and
 * String(v) of a value.  The decoding itself is the runtime's
 * (aslrtp_utf8_decode in utf8.c); what a caller gets for a byte that starts
 * no sequence is its own choice: the byte marked BAD_BYTE (fn_string.c,
 * regex.c) or U+FFFD (the others), always with length 1.  Header-only, as
 * static inline functions, so the hot loops keep their ASCII fast path
 * inline.
 */
#ifndef ASLRT_JSONATA_TEXT_H
#define ASLRT_JSONATA_TEXT_H

#include <math.h>
#include <string.h>

#include "aslrt_private.h"
#include "jsonata.h"

/* A growable string in the arena (a grown buffer leaves the old one to
 * the arena). */
typedef struct sbuf {
    jn_ctx *cx;
    char *p;
    size_t len, cap;
} sbuf;

static inline void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = jn_alloc(b->cx, cap);
        if (b->len)
            memcpy(p, b->p, b->len);
        b->p = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static inline void sb_init(sbuf *b, jn_ctx *cx)
{
    b->cx = cx;
    b->p = NULL;
    b->len = b->cap = 0;
}

static inline void sb_addc(sbuf *b, char c) { sb_add(b, &c, 1); }
static inline void sb_adds(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static inline jn_value *sb_value(sbuf *b)
{
    return b->p ? jn_string_ref(b->cx, b->p, b->len) : jn_string_ref(b->cx, "", 0);
}

/* A byte that is not part of any UTF-8 sequence, as next_cp returns it. */
#define BAD_BYTE 0x80000000u

/* Decodes the WTF-8 sequence at s (n > 0 bytes left): returns its code
 * point and sets *used to its length; a byte that starts no well-formed
 * sequence comes back as bad, with length 1. */
static inline uint32_t decode_or(const unsigned char *s, size_t n, size_t *used, uint32_t bad)
{
    if (s[0] < 0x80) {
        *used = 1;
        return s[0];
    }
    int32_t cp = aslrtp_utf8_decode((const char *)s, n, ASLRTP_UTF8_WTF8, used);
    if (cp < 0) {
        *used = 1;
        return bad;
    }
    return (uint32_t)cp;
}

/* The same with a bad byte as BAD_BYTE | byte. */
static inline uint32_t decode1(const unsigned char *s, size_t n, size_t *used)
{
    return decode_or(s, n, used, BAD_BYTE | s[0]);
}

/* The code point at s[*i] (*i < len), advancing *i; a byte that starts no
 * valid sequence comes back alone as U+FFFD. */
static inline uint32_t utf8_get(const char *s, size_t len, size_t *i)
{
    size_t n;
    uint32_t c = decode_or((const unsigned char *)s + *i, len - *i, &n, 0xFFFD);
    *i += n;
    return c;
}

/* Appends cp (a BAD_BYTE as its byte) to b. */
static inline void sb_cp(sbuf *b, uint32_t cp)
{
    char tmp[4];
    if (cp & BAD_BYTE) {
        tmp[0] = (char)(cp & 0xFF);
        sb_add(b, tmp, 1);
    } else {
        sb_add(b, tmp, aslrtp_utf8_encode(cp, tmp));
    }
}

/* JavaScript's WhiteSpace and LineTerminator (\s, String.prototype.trim). */
static inline bool js_space(uint32_t c)
{
    switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20:
    case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F:
    case 0x205F: case 0x3000: case 0xFEFF:
        return true;
    default:
        return c >= 0x2000 && c <= 0x200A;
    }
}

/* The character at s[i] (i < len) as JavaScript's string iterator sees
 * it: a code point, a lone surrogate, or a surrogate pair written as two
 * WTF-8 sequences joined into one code point.  *n is its byte length. */
static inline uint32_t next_cp(const char *s, size_t len, size_t i, size_t *n)
{
    const unsigned char *p = (const unsigned char *)s + i;
    uint32_t cp = decode1(p, len - i, n);
    if (cp >= 0xD800 && cp <= 0xDBFF && i + *n < len) {
        size_t n2;
        uint32_t lo = decode1(p + *n, len - i - *n, &n2);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            *n += n2;
        }
    }
    return cp;
}

/* JavaScript's String(v) for what a matcher function may return. */
static inline void js_text(sbuf *b, const jn_value *v)
{
    char buf[40];
    if (!v) {
        sb_adds(b, "undefined");
        return;
    }
    switch (v->type) {
    case JN_STRING:
        sb_add(b, v->u.string.s, v->u.string.len);
        break;
    case JN_NUMBER:
        if (isfinite(v->u.number)) {
            sb_add(b, buf, (size_t)jn_format_number(v->u.number, buf));
        } else {
            sb_adds(b, isnan(v->u.number) ? "NaN" : v->u.number < 0 ? "-Infinity"
                                                                    : "Infinity");
        }
        break;
    case JN_BOOLEAN:
        sb_adds(b, v->u.boolean ? "true" : "false");
        break;
    case JN_NULL:
        sb_adds(b, "null");
        break;
    case JN_ARRAY:
        for (size_t i = 0; i < v->u.array.n; i++) {
            if (i)
                sb_addc(b, ',');
            if (v->u.array.items[i]->type != JN_NULL)
                js_text(b, v->u.array.items[i]);
        }
        break;
    case JN_OBJECT:
        sb_adds(b, "[object Object]");
        break;
    default:
        break;
    }
}

/* Argument i, or NULL (undefined) past the last one given. */
static inline jn_value *arg_at(jn_value *const *args, int nargs, int i)
{
    return i < nargs ? args[i] : NULL;
}

/* A number argument, if one was given. */
static inline bool num_at(jn_value *const *args, int nargs, int i, double *out)
{
    jn_value *v = arg_at(args, nargs, i);
    if (!jn_is_number(v))
        return false;
    *out = v->u.number;
    return true;
}

#endif


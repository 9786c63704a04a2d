/*
 * text.h - strings as JavaScript sees them, for the natives that read and
 * build text (fn_string.c, regex.c): a growable string in the arena, UTF-8
 * decoded into JavaScript's characters (lone surrogates as WTF-8, a
 * surrogate pair written as two sequences joined), UTF-16 lengths and
 * indexes, and String(v) of a value.  Header-only, as plain static
 * functions (both files use every one): each file compiles them as the
 * one file did before regex.c was split from fn_string.c.
 */
#ifndef ASLRT_JSONATA_TEXT_H
#define ASLRT_JSONATA_TEXT_H

#include <math.h>
#include <string.h>

#include "jsonata.h"

/* A growable string in the arena (a grown buffer leaves the old one to
 * the arena). */
typedef struct sbuf {
    jn_ctx *cx;
    char *p;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
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

static void sb_addc(sbuf *b, char c) { sb_add(b, &c, 1); }
static void sb_adds(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static jn_value *sb_value(sbuf *b)
{
    return b->p ? jn_string_ref(b->cx, b->p, b->len) : jn_string_ref(b->cx, "", 0);
}

/* A byte that is not part of any UTF-8 sequence, as next_cp returns it. */
#define BAD_BYTE 0x80000000u

/* Decodes a sequence at s (n bytes left), surrogates included; returns
 * the code point and its length, or BAD_BYTE with length 1. */
static uint32_t decode1(const unsigned char *s, size_t n, size_t *used)
{
    uint32_t c = s[0], cp, min;
    size_t k;
    if (c < 0x80) {
        *used = 1;
        return c;
    } else if (c >= 0xC2 && c <= 0xDF) {
        k = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        k = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4, cp = c & 0x07, min = 0x10000;
    } else {
        *used = 1;
        return BAD_BYTE | c;
    }
    if (n < k)
        goto bad;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            goto bad;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF)
        goto bad;
    *used = k;
    return cp;
bad:
    *used = 1;
    return BAD_BYTE | c;
}

/* The character at s[i] (i < len) as JavaScript's string iterator sees
 * it: a code point, a lone surrogate, or a surrogate pair written as two
 * WTF-8 sequences joined into one code point.  *n is its byte length. */
static uint32_t next_cp(const char *s, size_t len, size_t i, size_t *n)
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
static void js_text(sbuf *b, const jn_value *v)
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
static jn_value *arg_at(jn_value *const *args, int nargs, int i)
{
    return i < nargs ? args[i] : NULL;
}

/* A number argument, if one was given. */
static bool num_at(jn_value *const *args, int nargs, int i, double *out)
{
    jn_value *v = arg_at(args, nargs, i);
    if (!jn_is_number(v))
        return false;
    *out = v->u.number;
    return true;
}

#endif


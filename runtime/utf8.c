/*
 * utf8.c - UTF-8 text: one decoder, one encoder, validation and counting.
 *
 * Strings reach the runtime as bytes (jansson has checked the ones inside
 * JSON values, but a program's output, an S3 object or a base64 payload
 * may hold anything), so the decoder says exactly what it does with bytes
 * that are not UTF-8:
 *
 *  - A well-formed sequence is Unicode's: no overlong forms, nothing above
 *    U+10FFFF, and no surrogates (ED A0..BF) unless the caller passes
 *    ASLRTP_UTF8_WTF8, for JavaScript strings (JSONata), whose lone
 *    surrogates are kept as the three bytes of their code point.
 *  - An ill-formed sequence decodes as -1, and its length is its "maximal
 *    subpart": the longest start of a well-formed sequence there, at least
 *    one byte.  Java's decoder and the WHATWG one replace each maximal
 *    subpart with one U+FFFD; a caller that wants one U+FFFD per byte (a
 *    Cause quoting a program's output) or the byte itself (JavaScript's
 *    'binary' strings) steps one byte instead.
 *
 * aslrtp_utf8_next reads text that is known to be UTF-8 (jansson's
 * strings) and lets a stray byte stand for itself, as a Latin-1 character;
 * aslrtp_utf8_add_clean makes any bytes valid UTF-8 under either of the
 * two replacement rules; the counters count lead bytes, as code points or
 * as the UTF-16 units Java and JavaScript count.
 */
#include <string.h>

#include "aslrt_private.h"

int32_t aslrtp_utf8_decode(const char *s, size_t n, int flags, size_t *len)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned c = u[0], lo = 0x80, hi = 0xBF;
    size_t need;
    uint32_t cp;
    *len = 1;
    if (c < 0x80)
        return (int32_t)c;
    if (c >= 0xC2 && c <= 0xDF)
        need = 2, cp = c & 0x1F;
    else if (c == 0xE0)
        need = 3, cp = 0, lo = 0xA0;            /* no overlong forms */
    else if (c == 0xED && !(flags & ASLRTP_UTF8_WTF8))
        need = 3, cp = 0x0D, hi = 0x9F;         /* no surrogates */
    else if (c >= 0xE1 && c <= 0xEF)
        need = 3, cp = c & 0x0F;
    else if (c == 0xF0)
        need = 4, cp = 0, lo = 0x90;            /* no overlong forms */
    else if (c >= 0xF1 && c <= 0xF3)
        need = 4, cp = c & 0x07;
    else if (c == 0xF4)
        need = 4, cp = 4, hi = 0x8F;            /* nothing above U+10FFFF */
    else
        return -1;                              /* 80..C1, F5..FF */
    for (size_t i = 1; i < need; i++) {
        unsigned l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
        if (i >= n || u[i] < l || u[i] > h) {
            *len = i;
            return -1;
        }
        cp = cp << 6 | (u[i] & 0x3F);
    }
    *len = need;
    return (int32_t)cp;
}

uint32_t aslrtp_utf8_next(const char *s, size_t n, int flags, size_t *i)
{
    size_t len;
    int32_t cp = aslrtp_utf8_decode(s + *i, n - *i, flags, &len);
    if (cp < 0) {
        cp = (unsigned char)s[*i];
        len = 1;
    }
    *i += len;
    return (uint32_t)cp;
}

size_t aslrtp_utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

void aslrtp_utf8_add(aslrtp_buf *b, uint32_t cp)
{
    char u[4];
    aslrtp_buf_add(b, u, aslrtp_utf8_encode(cp, u));
}

bool aslrtp_utf8_valid(const char *s, size_t n, int flags)
{
    size_t i = 0, len;
    while (i < n) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        if (aslrtp_utf8_decode(s + i, n - i, flags, &len) < 0)
            return false;
        i += len;
    }
    return true;
}

void aslrtp_utf8_add_clean(aslrtp_buf *b, const char *s, size_t n, int flags)
{
    size_t run = 0, i = 0, len;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        bool ok;
        if (c < 0x80) {
            len = 1;
            ok = c != 0 || !(flags & ASLRTP_UTF8_NO_NUL);
        } else {
            ok = aslrtp_utf8_decode(s + i, n - i, flags, &len) >= 0;
        }
        if (ok) {
            i += len;
            continue;
        }
        aslrtp_buf_add(b, s + run, i - run);
        aslrtp_buf_add(b, "\xEF\xBF\xBD", 3);
        i += flags & ASLRTP_UTF8_PER_BYTE ? 1 : len;
        run = i;
    }
    aslrtp_buf_add(b, s + run, n - run);
}

size_t aslrtp_utf8_count(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += ((unsigned char)s[i] & 0xC0) != 0x80;
    return count;
}

size_t aslrtp_utf16_length(const char *s, size_t n)
{
    size_t units = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c & 0xC0) != 0x80)
            units += c >= 0xF0 ? 2 : 1;
    }
    return units;
}

size_t aslrtp_utf8_floor(const char *s, size_t i)
{
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

json_t *aslrtp_utf8_json_string(const char *s, size_t n)
{
    json_t *v = json_stringn(s ? s : "", n);
    if (v)
        return v;
    aslrtp_buf b = {0};
    aslrtp_utf8_add_clean(&b, s, n, 0);
    v = json_stringn(b.data ? b.data : "", b.len);
    free(b.data);
    return v;
}

/* ---- Names that are nearly alike --------------------------------------- */

/* The code points of s (malloc'd), their count in *n. */
static uint32_t *code_points(const char *s, size_t *n)
{
    size_t len = strlen(s), k = 0;
    uint32_t *cp = aslrtp_calloc(len + 1, sizeof *cp);
    for (size_t i = 0; i < len;)
        cp[k++] = aslrtp_utf8_next(s, len, 0, &i);
    *n = k;
    return cp;
}

/* The edit distance between a and b (insertions, deletions, substitutions
 * and swaps of two neighbours, in code points), or cap + 1 once it is over
 * cap. */
static size_t distance(const uint32_t *a, size_t la, const uint32_t *b, size_t lb, size_t cap)
{
    if ((la > lb ? la - lb : lb - la) > cap)
        return cap + 1;
    /* Three rows of the table: i - 2, i - 1 and i. */
    size_t *row = aslrtp_calloc(3 * (lb + 1), sizeof *row);
    size_t *pp = row, *prev = row + lb + 1, *cur = row + 2 * (lb + 1);
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    size_t d = cap + 1;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        size_t least = cur[0];
        for (size_t j = 1; j <= lb; j++) {
            size_t v = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < v)
                v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            cur[j] = v;
            if (v < least)
                least = v;
        }
        if (least > cap)
            goto done;
        size_t *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    d = prev[lb] <= cap ? prev[lb] : cap + 1;
done:
    free(row);
    return d;
}

const char *aslrtp_utf8_nearest(const char *s, const char *const *names, size_t n)
{
    size_t len;
    uint32_t *t = code_points(s, &len);
    size_t best = len / 3 > 1 ? len / 3 : 1;
    const char *found = NULL;
    for (size_t i = 0; i < n; i++) {
        size_t m;
        uint32_t *c = code_points(names[i], &m);
        size_t d = distance(t, len, c, m, best);
        free(c);
        if (d > 0 && (d < best || (d == best && !found))) {
            best = d;
            found = names[i];
        }
    }
    free(t);
    return found;
}

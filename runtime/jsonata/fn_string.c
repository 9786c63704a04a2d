/*
 * fn_string.c - JSONata's string functions, as jsonata-js 2.0.6
 * (src/functions.js) computes them; those taking a pattern ($contains,
 * $split, $match, $replace) are in regex.c.
 *
 * Strings are UTF-8 here and UTF-16 in JavaScript.  Each function counts
 * the way functions.js does: $length, $substring and $pad go through
 * stringToArray (code points); $base64encode sees UTF-16 code units
 * (Buffer's 'binary' keeps the low byte of each).  Escapes such as
 * "\uD800" can leave lone surrogates in a string, encoded as three bytes
 * (WTF-8); they count as one character, and $encodeUrl rejects them as
 * encodeURI does (D3140).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* memmem, newlocale/towupper_l */
#endif

#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "jsonata.h"
#include "text.h"

/* ==== characters ======================================================== */

/* The number of characters (code points, as stringToArray counts). */
static size_t count_chars(const char *s, size_t len)
{
    size_t k = 0, n;
    for (size_t i = 0; i < len; i += n, k++)
        next_cp(s, len, i, &n);
    return k;
}

/* The byte offset of character number k (clamped to len). */
static size_t char_offset(const char *s, size_t len, size_t k)
{
    size_t i = 0, n;
    while (k-- > 0 && i < len) {
        next_cp(s, len, i, &n);
        i += n;
    }
    return i;
}

/* ==== $string, $length, $substring, $substringBefore/After ============= */

static jn_value *fn_string(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *v = arg_at(args, nargs, 0);
    jn_value *p = arg_at(args, nargs, 1);
    if (!v)
        return NULL;
    bool pretty = p && p->type == JN_BOOLEAN && p->u.boolean;
    if (v->type == JN_ARRAY && (v->flags & JN_OUTER_WRAPPER)) {
        if (v->u.array.n == 0)
            return NULL;
        v = v->u.array.items[0];
    }
    return jn_stringify(cx, v, pretty);
}

static jn_value *fn_length(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *v = arg_at(args, nargs, 0);
    if (!jn_is_string(v))
        return NULL;
    return jn_number(cx, (double)count_chars(v->u.string.s, v->u.string.len));
}

/* Array.prototype.slice's bounds over n items. */
static void js_slice_bounds(double n, double start, double end, size_t *from, size_t *to)
{
    double a = isnan(start) ? 0 : trunc(start), b = isnan(end) ? 0 : trunc(end);
    a = a < 0 ? (n + a < 0 ? 0 : n + a) : (a > n ? n : a);
    b = b < 0 ? (n + b < 0 ? 0 : n + b) : (b > n ? n : b);
    if (b < a)
        b = a;
    *from = (size_t)a;
    *to = (size_t)b;
}

static jn_value *fn_substring(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *v = arg_at(args, nargs, 0);
    double start = 0, length;
    if (!jn_is_string(v))
        return NULL;
    num_at(args, nargs, 1, &start);
    const char *s = v->u.string.s;
    size_t len = v->u.string.len;
    double n = (double)count_chars(s, len);
    if (n + start < 0)
        start = 0;
    size_t from, to;
    if (num_at(args, nargs, 2, &length)) {
        if (length <= 0)
            return jn_string_ref(cx, "", 0);
        double end = start >= 0 ? start + length : n + start + length;
        js_slice_bounds(n, start, end, &from, &to);
    } else {
        js_slice_bounds(n, start, n, &from, &to);
    }
    size_t a = char_offset(s, len, from);
    size_t b = a + char_offset(s + a, len - a, to - from);
    return jn_string_ref(cx, s + a, b - a);
}

/* $substringBefore and $substringAfter: the part of the string before
 * (or after) the first occurrence of chars. */
static jn_value *substring_around(jn_ctx *cx, jn_value *const *args, int nargs, bool after)
{
    jn_value *v = arg_at(args, nargs, 0), *c = arg_at(args, nargs, 1);
    if (!jn_is_string(v))
        return NULL;
    if (!jn_is_string(c))
        return v;
    const char *p = memmem(v->u.string.s, v->u.string.len, c->u.string.s, c->u.string.len);
    if (!p)
        return v;
    if (!after)
        return jn_string_ref(cx, v->u.string.s, (size_t)(p - v->u.string.s));
    size_t at = (size_t)(p - v->u.string.s) + c->u.string.len;
    return jn_string_ref(cx, v->u.string.s + at, v->u.string.len - at);
}

static jn_value *fn_substring_before(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    return substring_around(cx, args, nargs, false);
}

static jn_value *fn_substring_after(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    return substring_around(cx, args, nargs, true);
}

/* ==== $uppercase, $lowercase =========================================== */

/* The case mappings of the C.UTF-8 locale (glibc's, which has Unicode's
 * simple mappings), opened once per context. */
typedef struct case_locale {
    locale_t loc;           /* (locale_t)0 when unavailable: ASCII only */
} case_locale;

static void free_case_locale(void *p)
{
    case_locale *cl = p;
    if (cl->loc)
        freelocale(cl->loc);
    free(cl);
}

/* Kept in slot JN_SLOT_STRING for the context's life. */
static locale_t get_locale(jn_ctx *cx)
{
    case_locale *cl = jn_ctx_get_slot(cx, JN_SLOT_STRING);
    if (!cl) {
        cl = malloc(sizeof *cl);
        if (!cl)
            return (locale_t)0;
        cl->loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
        if (!cl->loc)
            cl->loc = newlocale(LC_CTYPE_MASK, "C.utf8", (locale_t)0);
        jn_ctx_set_slot(cx, JN_SLOT_STRING, cl, free_case_locale);
    }
    return cl->loc;
}

static bool is_letter(locale_t loc, uint32_t cp)
{
    if (cp & BAD_BYTE)
        return false;
    if (cp < 0x80 || !loc)
        return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
    return iswalpha_l((wint_t)cp, loc);
}

/* toUpperCase / toLowerCase: simple mappings, with the special cases of
 * JavaScript that change length (sharp s and the Latin ligatures to upper
 * case, dotted capital I to lower case) and the final sigma. */
static jn_value *map_case(jn_ctx *cx, jn_value *v, bool upper)
{
    const char *s = v->u.string.s;
    size_t len = v->u.string.len, i, n;
    for (i = 0; i < len && !(s[i] & 0x80); i++)
        ;
    if (i == len) {     /* ASCII */
        char *out = jn_alloc(cx, len + 1);
        for (i = 0; i < len; i++) {
            char c = s[i];
            if (upper && c >= 'a' && c <= 'z')
                c = (char)(c - 32);
            else if (!upper && c >= 'A' && c <= 'Z')
                c = (char)(c + 32);
            out[i] = c;
        }
        return jn_string_ref(cx, out, len);
    }
    static const char *const ligatures[] = { "FF", "FI", "FL", "FFI", "FFL", "ST", "ST" };
    locale_t loc = get_locale(cx);
    sbuf b = { cx, NULL, 0, 0 };
    uint32_t prev = 0;
    for (i = 0; i < len; i += n) {
        uint32_t cp = next_cp(s, len, i, &n), out = cp;
        if (cp & BAD_BYTE) {
            sb_addc(&b, (char)(cp & 0xFF));
            prev = cp;
            continue;
        }
        if (upper) {
            if (cp == 0xDF) {
                sb_adds(&b, "SS");
                prev = cp;
                continue;
            }
            if (cp >= 0xFB00 && cp <= 0xFB06) {
                sb_adds(&b, ligatures[cp - 0xFB00]);
                prev = cp;
                continue;
            }
            if (cp < 0x80)
                out = cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
            else if (loc)
                out = (uint32_t)towupper_l((wint_t)cp, loc);
        } else {
            if (cp == 0x130) {
                sb_adds(&b, "i\xCC\x87");
                prev = cp;
                continue;
            }
            if (cp == 0x3A3) {
                size_t n2 = 0;
                uint32_t after = i + n < len ? next_cp(s, len, i + n, &n2) : 0;
                bool final = is_letter(loc, prev) && !(i + n < len && is_letter(loc, after));
                out = final ? 0x3C2 : 0x3C3;
            } else if (cp < 0x80) {
                out = cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
            } else if (loc) {
                out = (uint32_t)towlower_l((wint_t)cp, loc);
            }
        }
        sb_cp(&b, out);
        prev = cp;
    }
    return sb_value(&b);
}

static jn_value *fn_uppercase(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *v = arg_at(args, nargs, 0);
    return jn_is_string(v) ? map_case(cx, v, true) : NULL;
}

static jn_value *fn_lowercase(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *v = arg_at(args, nargs, 0);
    return jn_is_string(v) ? map_case(cx, v, false) : NULL;
}

/* ==== $trim, $pad ======================================================= */

static jn_value *fn_trim(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *v = arg_at(args, nargs, 0);
    if (!jn_is_string(v))
        return NULL;
    /* str.replace(/[ \t\n\r]+/gm, ' ') then one leading and one trailing
     * space off */
    const char *s = v->u.string.s;
    size_t len = v->u.string.len;
    char *out = jn_alloc(cx, len + 1);
    size_t k = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
            while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
                i++;
            out[k++] = ' ';
        } else {
            out[k++] = s[i++];
        }
    }
    size_t a = 0;
    if (k > 0 && out[0] == ' ')
        a = 1;
    if (k > a && out[k - 1] == ' ')
        k--;
    return jn_string_ref(cx, out + a, k - a);
}

/* Longest string $pad builds (JavaScript's own limit is near 2^29). */
#define PAD_MAX (1L << 28)

static jn_value *fn_pad(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *v = arg_at(args, nargs, 0), *c = arg_at(args, nargs, 2);
    double width = 0;
    if (!jn_is_string(v))
        return NULL;
    num_at(args, nargs, 1, &width);
    const char *pc = " ";
    size_t pclen = 1;
    if (jn_is_string(c) && c->u.string.len > 0)
        pc = c->u.string.s, pclen = c->u.string.len;
    double pad = fabs(width) - (double)count_chars(v->u.string.s, v->u.string.len);
    if (!(pad > 0))
        return v;
    if (pad > PAD_MAX)
        jn_fail_msg(cx, "U1001", "$pad: the padded string would be too long");
    /* (new Array(pad + 1)).join(char), cut to pad characters */
    long want = (long)pad;
    sbuf b = { cx, NULL, 0, 0 };
    if (width > 0)
        sb_add(&b, v->u.string.s, v->u.string.len);
    long got = 0;
    size_t i = 0, n;
    while (got < want) {
        next_cp(pc, pclen, i, &n);
        sb_add(&b, pc + i, n);
        got++;
        i += n;
        if (i >= pclen)
            i = 0;
    }
    if (width < 0)
        sb_add(&b, v->u.string.s, v->u.string.len);
    return sb_value(&b);
}

/* ==== $join ============================================================= */

static jn_value *fn_join(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *v = arg_at(args, nargs, 0), *sep = arg_at(args, nargs, 1);
    if (!v)
        return NULL;
    if (v->type == JN_STRING)
        return v;
    if (v->type != JN_ARRAY)
        return NULL;
    sbuf b = { cx, NULL, 0, 0 };
    for (size_t i = 0; i < v->u.array.n; i++) {
        if (i && jn_is_string(sep))
            sb_add(&b, sep->u.string.s, sep->u.string.len);
        js_text(&b, v->u.array.items[i]);
    }
    return sb_value(&b);
}

/* ==== $base64encode, $base64decode ===================================== */

static jn_value *fn_base64encode(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *v = arg_at(args, nargs, 0);
    if (!jn_is_string(v))
        return NULL;
    /* Buffer.from(str, 'binary'): the low byte of each UTF-16 unit */
    const char *s = v->u.string.s;
    size_t len = v->u.string.len, n, k = 0;
    unsigned char *bytes = jn_alloc(cx, len + 1);
    for (size_t i = 0; i < len; i += n) {
        uint32_t cp = next_cp(s, len, i, &n);
        if (cp & BAD_BYTE) {
            bytes[k++] = (unsigned char)(cp & 0xFF);
        } else if (cp < 0x10000) {
            bytes[k++] = (unsigned char)(cp & 0xFF);
        } else {
            bytes[k++] = (unsigned char)((0xD800 + ((cp - 0x10000) >> 10)) & 0xFF);
            bytes[k++] = (unsigned char)((0xDC00 + ((cp - 0x10000) & 0x3FF)) & 0xFF);
        }
    }
    /* jn_alloc never jumps out, so the malloc'd text cannot leak */
    size_t olen;
    char *text = aslrtp_base64_encode(bytes, k, 0, &olen);
    jn_value *r = jn_string(cx, text, olen);
    free(text);
    return r;
}

static jn_value *fn_base64decode(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *v = arg_at(args, nargs, 0);
    if (!jn_is_string(v))
        return NULL;
    /* Buffer.from(str, 'base64').toString('binary'), as Node decodes
     * (aslrtp_base64_decode_lenient reads it the same way) */
    size_t k;
    unsigned char *out = (unsigned char *)aslrtp_base64_decode_lenient(v->u.string.s,
                                                                       v->u.string.len, &k);
    sbuf b = { cx, NULL, 0, 0 };
    for (size_t i = 0; i < k; i++)
        sb_cp(&b, out[i]);     /* 'binary' is Latin-1 */
    free(out);
    return sb_value(&b);
}

/* ==== $encodeUrl, $encodeUrlComponent, $decodeUrl, $decodeUrlComponent = */

/* "Malformed URL passed to ${{{functionName}}}(): {{value}}": the
 * token fills functionName. */
static _Noreturn void fail_url(jn_ctx *cx, const char *fname, jn_value *v)
{
    jn_fail(cx, "D3140", fname, v, -1);
}

/* encodeURI / encodeURIComponent: everything but letters, digits and
 * `keep` as %XX of its UTF-8; a lone surrogate is a URIError. */
static jn_value *uri_encode(jn_ctx *cx, jn_value *v, const char *keep, const char *fname)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *s = v->u.string.s;
    size_t len = v->u.string.len, n;
    sbuf b = { cx, NULL, 0, 0 };
    for (size_t i = 0; i < len; i += n) {
        uint32_t cp = next_cp(s, len, i, &n);
        if ((cp & BAD_BYTE) || (cp >= 0xD800 && cp <= 0xDFFF))
            fail_url(cx, fname, v);
        if (cp < 0x80 && ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
                          (cp >= '0' && cp <= '9') || (cp && strchr(keep, (int)cp)))) {
            sb_addc(&b, (char)cp);
            continue;
        }
        char u[4];
        size_t k = aslrtp_utf8_encode(cp, u);
        for (size_t j = 0; j < k; j++) {
            char e[3] = { '%', hex[(unsigned char)u[j] >> 4], hex[(unsigned char)u[j] & 15] };
            sb_add(&b, e, 3);
        }
    }
    return sb_value(&b);
}

/* The Decode operation of ECMAScript (decodeURI, decodeURIComponent): an
 * escape decoding to a character of `reserved` stays as written; bad
 * escapes or bad UTF-8 are a URIError. */
static jn_value *uri_decode(jn_ctx *cx, jn_value *v, const char *reserved, const char *fname)
{
    const char *s = v->u.string.s;
    size_t len = v->u.string.len;
    sbuf b = { cx, NULL, 0, 0 };
    for (size_t k = 0; k < len; k++) {
        if (s[k] != '%') {
            sb_addc(&b, s[k]);
            continue;
        }
        size_t start = k;
        if (k + 2 >= len || aslrtp_hexval(s[k + 1]) < 0 || aslrtp_hexval(s[k + 2]) < 0)
            fail_url(cx, fname, v);
        unsigned B = (unsigned)(aslrtp_hexval(s[k + 1]) << 4 | aslrtp_hexval(s[k + 2]));
        k += 2;
        if (!(B & 0x80)) {
            if (B && strchr(reserved, (int)B))
                sb_add(&b, s + start, k + 1 - start);
            else
                sb_addc(&b, (char)B);
            continue;
        }
        int n = (B & 0xE0) == 0xC0 ? 2 : (B & 0xF0) == 0xE0 ? 3 : (B & 0xF8) == 0xF0 ? 4 : 0;
        if (n == 0 || k + 3 * (size_t)(n - 1) >= len)
            fail_url(cx, fname, v);
        unsigned char oct[4] = { (unsigned char)B, 0, 0, 0 };
        for (int j = 1; j < n; j++) {
            k++;
            if (s[k] != '%' || aslrtp_hexval(s[k + 1]) < 0 || aslrtp_hexval(s[k + 2]) < 0)
                fail_url(cx, fname, v);
            unsigned c = (unsigned)(aslrtp_hexval(s[k + 1]) << 4 | aslrtp_hexval(s[k + 2]));
            if ((c & 0xC0) != 0x80)
                fail_url(cx, fname, v);
            k += 2;
            oct[j] = (unsigned char)c;
        }
        size_t used;
        uint32_t cp = decode1(oct, (size_t)n, &used);
        if ((cp & BAD_BYTE) || used != (size_t)n || (cp >= 0xD800 && cp <= 0xDFFF))
            fail_url(cx, fname, v);
        sb_cp(&b, cp);
    }
    return sb_value(&b);
}

/* The four URL natives: what each keeps unescaped (or leaves escaped) and
 * its name for errors. */
static const struct {
    bool decode;
    const char *keep, *name;
} url_fns[] = {
    {false, "-_.!~*'()", "encodeUrlComponent"},
    {false, "-_.!~*'();/?:@&=+$,#", "encodeUrl"},
    {true, "", "decodeUrlComponent"},
    {true, ";/?:@&=+$,#", "decodeUrl"},
};

static jn_value *url_fn(jn_ctx *cx, jn_value *const *args, int nargs, int which)
{
    jn_value *v = arg_at(args, nargs, 0);
    if (!jn_is_string(v))
        return NULL;
    return (url_fns[which].decode ? uri_decode : uri_encode)(cx, v, url_fns[which].keep,
                                                            url_fns[which].name);
}

static jn_value *fn_encode_url_component(jn_ctx *cx, jn_value *const *args, int nargs,
                                         void *data)
{
    (void)data;
    return url_fn(cx, args, nargs, 0);
}

static jn_value *fn_encode_url(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    return url_fn(cx, args, nargs, 1);
}

static jn_value *fn_decode_url_component(jn_ctx *cx, jn_value *const *args, int nargs,
                                         void *data)
{
    (void)data;
    return url_fn(cx, args, nargs, 2);
}

static jn_value *fn_decode_url(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    return url_fn(cx, args, nargs, 3);
}

/* ==== the table ========================================================= */

/* Signatures as jsonata.js binds them. */
const jn_builtin jn_builtins_string[] = {
    { "string", "<x-b?:s>", fn_string },
    { "length", "<s-:n>", fn_length },
    { "substring", "<s-nn?:s>", fn_substring },
    { "substringBefore", "<s-s:s>", fn_substring_before },
    { "substringAfter", "<s-s:s>", fn_substring_after },
    { "uppercase", "<s-:s>", fn_uppercase },
    { "lowercase", "<s-:s>", fn_lowercase },
    { "trim", "<s-:s>", fn_trim },
    { "pad", "<s-ns?:s>", fn_pad },
    { "join", "<a<s>s?:s>", fn_join },
    { "base64encode", "<s-:s>", fn_base64encode },
    { "base64decode", "<s-:s>", fn_base64decode },
    { "encodeUrlComponent", "<s-:s>", fn_encode_url_component },
    { "encodeUrl", "<s-:s>", fn_encode_url },
    { "decodeUrlComponent", "<s-:s>", fn_decode_url_component },
    { "decodeUrl", "<s-:s>", fn_decode_url },
    { NULL, NULL, NULL }
};

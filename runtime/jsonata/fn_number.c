/*
 * fn_number.c - JSONata's numeric functions: $number, $abs,
 * $floor, $ceil, $round, $power, $sqrt, $random, $formatNumber and
 * $formatBase, as jsonata-js 2.0.6 (src/functions.js) computes them.
 *
 * Numbers are doubles and most of these are one libm call.  The work is
 * in reproducing JavaScript where jsonata-js leans on it:
 *  - $round shifts the decimal point through the number's text
 *    (Number.prototype.toString, then "e" arithmetic, then Number()),
 *    rounds with Math.round and corrects to half-even;
 *  - $number accepts the decimal strings of its regular expression and,
 *    since 2.0, the 0x/0o/0b forms through Number();
 *  - $formatNumber is the XPath F&O 3.1 fn:format-number of functions.js,
 *    quirks included (it finds the exponent in the active part with an
 *    offset taken from the whole sub-picture, takes the suffix as the
 *    fractional part when there is no decimal separator, and the last
 *    failing validation rule gives the error code).  Pictures are handled
 *    as arrays of code points, which is what the UTF-16 strings of
 *    functions.js amount to for every character of the BMP;
 *  - toFixed rounds half away from zero on the exact binary value, and
 *    toString(radix) is V8's DoubleToRadixCString.
 * Where jsonata-js would loop forever ($formatNumber of 0 or of a negative
 * number with an exponent picture) or return NaN ($number of a string the
 * hexadecimal test lets through but Number() rejects), this file does the
 * sensible thing instead: it scales the magnitude, and raises D3030.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonata.h"
#include "text.h"

/* ==== helpers =========================================================== */

/* JavaScript's Number(string) (StringToNumber): blanks trimmed, "" is 0,
 * 0x/0o/0b integers, decimal literals with sign and exponent, Infinity;
 * anything else NaN. */
static double js_string_to_number(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + len;
    size_t used;
    while (p < e && js_space(decode_or(p, (size_t)(e - p), &used, 0xFFFD)))
        p += used;
    while (e > p) {
        const unsigned char *q = e - 1;
        while (q > p && (*q & 0xC0) == 0x80)
            q--;
        if (!js_space(decode_or(q, (size_t)(e - q), &used, 0xFFFD)) || q + used != e)
            break;
        e = q;
    }
    size_t n = (size_t)(e - p);
    if (n == 0)
        return 0;
    if (n > 2 && p[0] == '0' && p[1] && strchr("xXoObB", p[1])) {
        int base = (p[1] == 'x' || p[1] == 'X') ? 16 : (p[1] == 'o' || p[1] == 'O') ? 8 : 2;
        double v = 0;
        for (size_t i = 2; i < n; i++) {
            int d;
            if (p[i] >= '0' && p[i] <= '9')
                d = p[i] - '0';
            else if (p[i] >= 'a' && p[i] <= 'f')
                d = p[i] - 'a' + 10;
            else if (p[i] >= 'A' && p[i] <= 'F')
                d = p[i] - 'A' + 10;
            else
                return NAN;
            if (d >= base)
                return NAN;
            v = v * base + d;
        }
        if (base == 16) {   /* strtod rounds long hexadecimal correctly */
            char *tmp = aslrtp_memdup((const char *)p, n);
            v = strtod(tmp, NULL);
            free(tmp);
        }
        return v;
    }
    size_t i = 0;
    bool neg = false;
    if (p[i] == '+' || p[i] == '-')
        neg = p[i++] == '-';
    if (n - i == 8 && memcmp(p + i, "Infinity", 8) == 0)
        return neg ? -INFINITY : INFINITY;
    size_t digits = 0, start = i;
    while (i < n && p[i] >= '0' && p[i] <= '9')
        i++, digits++;
    if (i < n && p[i] == '.') {
        i++;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++, digits++;
    }
    if (digits == 0)
        return NAN;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        size_t ed = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++, ed++;
        if (ed == 0)
            return NAN;
    }
    if (i != n)
        return NAN;
    char small[64], *tmp = n - start < sizeof small ? small : aslrtp_malloc(n - start + 1);
    memcpy(tmp, p + start, n - start);
    tmp[n - start] = '\0';
    double v = strtod(tmp, NULL);
    if (tmp != small)
        free(tmp);
    return neg ? -v : v;
}

/* JavaScript's Math.round: the nearest integer, halves toward +Infinity. */
static double js_math_round(double x)
{
    if (!isfinite(x) || x == 0)
        return x;
    if (x > 0 && x < 0.5)
        return 0.0;
    if (x < 0 && x >= -0.5)
        return -0.0;
    double r = floor(x);
    if (x - r >= 0.5)
        r += 1;
    return r;
}

/* Shifts the decimal point of x by k places through its text, as
 * functions.js round() does: x.toString() split at 'e', the exponent
 * increased by k, read back with Number(). */
static double shift_decimal(double x, double k)
{
    char buf[40], text[96];
    if (!isfinite(x))
        return x;
    jn_format_number(x, buf);
    char *e = strchr(buf, 'e');
    double exp = k;
    if (e) {
        *e = '\0';
        exp = strtod(e + 1, NULL) + k;
    }
    char eb[40];
    if (!isfinite(exp))
        return NAN;
    jn_format_number(exp, eb);
    int n = snprintf(text, sizeof text, "%se%s", buf, eb);
    if (n < 0 || (size_t)n >= sizeof text)
        return NAN;
    return js_string_to_number(text, (size_t)n);
}

/* functions.js round(arg, precision): round half to even at `precision`
 * decimal places (negative: to tens, hundreds, ...); never -0. */
static double jsonata_round(double arg, double precision)
{
    bool shift = precision != 0 && !isnan(precision);
    if (shift)
        arg = shift_decimal(arg, precision);
    double result = js_math_round(arg);
    double diff = result - arg;
    if (fabs(diff) == 0.5 && fabs(fmod(result, 2)) == 1)
        result -= 1;
    if (shift)
        result = shift_decimal(result, -precision);
    if (result == 0)
        result = 0;     /* JSON has no -0 */
    return result;
}

/* JavaScript's Number.prototype.toFixed(dp) for finite x: the exact value
 * rounded to dp decimals, halves away from zero; from 1e21 on, the plain
 * toString form. */
static char *js_to_fixed(jn_ctx *cx, double x, int dp)
{
    if (fabs(x) >= 1e21) {
        char buf[40];
        jn_format_number(x, buf);
        return jn_strndup(cx, buf, strlen(buf));
    }
    /* glibc prints the exact binary value; 1100 places cover any double */
    size_t cap = 1500;
    char *exact = jn_alloc(cx, cap);
    snprintf(exact, cap, "%.1100f", fabs(x));
    char *dot = strchr(exact, '.');
    size_t ilen = (size_t)(dot - exact);
    /* digits: integer part then dp fraction digits, with a leading 0 for a carry */
    size_t nd = ilen + (size_t)dp;
    char *d = jn_alloc(cx, nd + 2);
    d[0] = '0';
    memcpy(d + 1, exact, ilen);
    memcpy(d + 1 + ilen, dot + 1, (size_t)dp);
    if (dot[1 + dp] >= '5') {
        size_t i = nd;
        while (d[i] == '9')
            d[i--] = '0';
        d[i]++;
    }
    sbuf b = { cx, NULL, 0, 0 };
    if (x < 0)
        sb_addc(&b, '-');
    size_t first = d[0] == '0' ? 1 : 0;
    sb_add(&b, d + first, ilen + 1 - first);
    if (dp > 0) {
        sb_addc(&b, '.');
        sb_add(&b, d + 1 + ilen, (size_t)dp);
    }
    return b.p;
}

static double num_arg(jn_value *const *args, int nargs, int i, bool *present)
{
    if (i < nargs && args[i] && args[i]->type == JN_NUMBER) {
        *present = true;
        return args[i]->u.number;
    }
    *present = false;
    return 0;
}

/* ==== $number, $abs, $floor, $ceil, $round, $sqrt, $power, $random ==== */

static bool is_decimal_literal(const char *s, size_t n)
{
    /* /^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$/ */
    size_t i = 0, k;
    if (i < n && s[i] == '-')
        i++;
    for (k = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        ;
    if (i == k)
        return false;
    if (i < n && s[i] == '.') {
        for (k = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            ;
        if (i == k)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        for (k = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            ;
        if (i == k)
            return false;
    }
    return i == n;
}

/* The test 2.0.6 applies before Number():
 * /^(0[xX][0-9A-Fa-f]+)|(0[oO][0-7]+)|(0[bB][0-1]+)$/, whose alternatives
 * are anchored separately: a hex prefix, an octal run anywhere, or a
 * binary suffix. */
static bool is_radix_literal(const char *s, size_t n)
{
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2] &&
        strchr("0123456789abcdefABCDEF", s[2]))
        return true;
    for (size_t i = 0; i + 2 < n; i++)
        if (s[i] == '0' && (s[i + 1] == 'o' || s[i + 1] == 'O') && s[i + 2] >= '0' &&
            s[i + 2] <= '7')
            return true;
    for (size_t i = n; i-- > 0;) {
        if (s[i] == '0' || s[i] == '1')
            continue;
        /* s[i+1..] is the run of binary digits at the end */
        return i + 1 < n && i >= 1 && (s[i] == 'b' || s[i] == 'B') && s[i - 1] == '0';
    }
    return false;
}

static jn_value *fn_number(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *arg = nargs > 0 ? args[0] : NULL;
    if (!arg)
        return NULL;
    switch (arg->type) {
    case JN_NUMBER:
        return arg;
    case JN_BOOLEAN:
        return jn_number(cx, arg->u.boolean ? 1 : 0);
    case JN_STRING: {
        const char *s = arg->u.string.s;
        size_t n = arg->u.string.len;
        if (is_decimal_literal(s, n)) {
            double v = js_string_to_number(s, n);
            if (isfinite(v))
                return jn_number(cx, v);
        }
        if (is_radix_literal(s, n)) {
            double v = js_string_to_number(s, n);
            if (isfinite(v))
                return jn_number(cx, v);
        }
        break;
    }
    default:
        break;
    }
    jn_fail(cx, "D3030", NULL, arg, 1);
}

static jn_value *fn_abs(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    bool has;
    double x = num_arg(args, nargs, 0, &has);
    return has ? jn_number(cx, fabs(x)) : NULL;
}

static jn_value *fn_floor(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    bool has;
    double x = num_arg(args, nargs, 0, &has);
    return has ? jn_number(cx, floor(x)) : NULL;
}

static jn_value *fn_ceil(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    bool has;
    double x = num_arg(args, nargs, 0, &has);
    return has ? jn_number(cx, ceil(x)) : NULL;
}

static jn_value *fn_round(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    bool has, hasp;
    double x = num_arg(args, nargs, 0, &has);
    double p = num_arg(args, nargs, 1, &hasp);
    if (!has)
        return NULL;
    return jn_number(cx, jsonata_round(x, hasp ? p : 0));
}

static jn_value *fn_sqrt(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    bool has;
    double x = num_arg(args, nargs, 0, &has);
    if (!has)
        return NULL;
    if (x < 0)
        jn_fail(cx, "D3060", NULL, args[0], 1);
    return jn_number(cx, sqrt(x));
}

/* JavaScript's Math.pow, which differs from C's pow for a base of +-1
 * with an infinite or NaN exponent. */
static double js_pow(double b, double e)
{
    if (isnan(e))
        return NAN;
    if (fabs(b) == 1 && isinf(e))
        return NAN;
    return pow(b, e);
}

static jn_value *fn_power(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    bool has, hase;
    double b = num_arg(args, nargs, 0, &has);
    double e = num_arg(args, nargs, 1, &hase);
    if (!has)
        return NULL;
    double r = js_pow(b, hase ? e : NAN);
    if (!isfinite(r)) {
        char bb[40], eb[40];
        /* {{value}} and {{exp}} are JSON.stringify'd: non-finite is null */
        if (isfinite(b))
            jn_format_number(b, bb);
        else
            strcpy(bb, "null");
        if (hase && isfinite(e))
            jn_format_number(e, eb);
        else
            strcpy(eb, "null");
        jn_fail_msg(cx, "D3061",
                    jn_printf(cx, "The power function has resulted in a value that cannot "
                                  "be represented as a JSON number: base=%s, exponent=%s",
                              bb, eb));
    }
    return jn_number(cx, r);
}

static jn_value *fn_random(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)args, (void)nargs, (void)data;
    return jn_number(cx, jn_random(cx));
}

/* ==== $formatBase ======================================================= */

/* V8's DoubleToRadixCString for an integral value (radix != 10): digits
 * beyond the 53 bits of precision come out as 0. */
static jn_value *to_radix(jn_ctx *cx, double v, int radix)
{
    static const char chars[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    if (isnan(v))
        return jn_cstring(cx, "NaN");
    if (isinf(v))
        return jn_cstring(cx, v < 0 ? "-Infinity" : "Infinity");
    bool neg = v < 0;
    double integer = fabs(v);
    char buf[1100];
    size_t pos = sizeof buf;
    while (integer / radix >= 9007199254740992.0 && pos > 2) {  /* 2^53 */
        integer /= radix;
        buf[--pos] = '0';
    }
    do {
        double rem = fmod(integer, radix);
        buf[--pos] = chars[(int)rem];
        integer = (integer - rem) / radix;
    } while (integer > 0 && pos > 1);
    if (neg)
        buf[--pos] = '-';
    return jn_string(cx, buf + pos, sizeof buf - pos);
}

static jn_value *fn_format_base(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    bool has, hasr;
    double v = num_arg(args, nargs, 0, &has);
    double r = num_arg(args, nargs, 1, &hasr);
    if (!has)
        return NULL;
    v = jsonata_round(v, 0);
    double radix = hasr ? jsonata_round(r, 0) : 10;
    if (radix < 2 || radix > 36)
        jn_fail(cx, "D3100", NULL, jn_number(cx, radix), -1);
    if (radix == 10) {
        char buf[40];
        if (!isfinite(v))
            return to_radix(cx, v, 10);
        jn_format_number(v, buf);
        return jn_cstring(cx, buf);
    }
    return to_radix(cx, v, (int)radix);
}

/* ==== $formatNumber ===================================================== */

/* A string as code points: what functions.js's string operations see. */
typedef struct ustr {
    unsigned *c;
    long n;
} ustr;

static ustr u_from(jn_ctx *cx, const char *s, size_t len)
{
    ustr u = { jn_alloc(cx, (len + 1) * sizeof(unsigned)), 0 };
    const unsigned char *p = (const unsigned char *)s;
    size_t used;
    for (size_t i = 0; i < len; i += used)
        u.c[u.n++] = decode_or(p + i, len - i, &used, 0xFFFD);
    return u;
}

static ustr u_lit(jn_ctx *cx, const char *s) { return u_from(cx, s, strlen(s)); }

/* JavaScript's substring(a, b): clamped to the string, swapped if a > b. */
static ustr u_sub(ustr s, long a, long b)
{
    if (a < 0)
        a = 0;
    if (b < 0)
        b = 0;
    if (a > s.n)
        a = s.n;
    if (b > s.n)
        b = s.n;
    if (a > b) {
        long t = a;
        a = b;
        b = t;
    }
    ustr r = { s.c + a, b - a };
    return r;
}

/* JavaScript's slice(a, b): negative positions count from the end. */
static ustr u_slice(ustr s, long a, long b)
{
    if (a < 0)
        a = a + s.n < 0 ? 0 : a + s.n;
    if (b < 0)
        b = b + s.n < 0 ? 0 : b + s.n;
    if (a > s.n)
        a = s.n;
    if (b > s.n)
        b = s.n;
    if (b < a)
        b = a;
    ustr r = { s.c + a, b - a };
    return r;
}

static long u_index_of(ustr h, ustr nd, long from)
{
    if (from < 0)
        from = 0;
    if (from > h.n)
        from = h.n;
    for (long i = from; i + nd.n <= h.n; i++)
        if (nd.n == 0 || memcmp(h.c + i, nd.c, (size_t)nd.n * sizeof(unsigned)) == 0)
            return i;
    return -1;
}

static long u_last_index_of(ustr h, ustr nd)
{
    for (long i = h.n - nd.n; i >= 0; i--)
        if (nd.n == 0 || memcmp(h.c + i, nd.c, (size_t)nd.n * sizeof(unsigned)) == 0)
            return i;
    return -1;
}

/* s.charAt(i) === p: the character (or "" out of range) equals p. */
static bool u_char_at_is(ustr s, long i, ustr p)
{
    if (i < 0 || i >= s.n)
        return p.n == 0;
    return p.n == 1 && p.c[0] == s.c[i];
}

static bool ch_is(unsigned ch, ustr p) { return p.n == 1 && p.c[0] == ch; }

static ustr u_cat(jn_ctx *cx, ustr a, ustr b)
{
    ustr r = { jn_alloc(cx, (size_t)(a.n + b.n + 1) * sizeof(unsigned)), a.n + b.n };
    if (a.n)
        memcpy(r.c, a.c, (size_t)a.n * sizeof(unsigned));
    if (b.n)
        memcpy(r.c + a.n, b.c, (size_t)b.n * sizeof(unsigned));
    return r;
}

static ustr u_cat3(jn_ctx *cx, ustr a, ustr b, ustr c) { return u_cat(cx, u_cat(cx, a, b), c); }

static ustr u_repeat(jn_ctx *cx, ustr p, long times)
{
    ustr r = { jn_alloc(cx, (size_t)((times > 0 ? times : 0) * p.n + 1) * sizeof(unsigned)), 0 };
    for (long i = 0; i < times; i++)
        for (long j = 0; j < p.n; j++)
            r.c[r.n++] = p.c[j];
    return r;
}

static jn_value *u_value(jn_ctx *cx, ustr u)
{
    sbuf b = { cx, NULL, 0, 0 };
    char tmp[4];
    for (long i = 0; i < u.n; i++)
        sb_add(&b, tmp, aslrtp_utf8_encode(u.c[i], tmp));
    return sb_value(&b);
}

enum {
    P_DECIMAL, P_GROUPING, P_EXPONENT, P_INFINITY, P_MINUS, P_NAN, P_PERCENT,
    P_PERMILLE, P_ZERO, P_DIGIT, P_PATTERN, P_COUNT
};

static const char *const prop_names[P_COUNT] = {
    "decimal-separator", "grouping-separator", "exponent-separator", "infinity",
    "minus-sign", "NaN", "percent", "per-mille", "zero-digit", "digit",
    "pattern-separator"
};

static const char *const prop_defaults[P_COUNT] = {
    ".", ",", "e", "Infinity", "-", "NaN", "%", "\xE2\x80\xB0", "0", "#", ";"
};

typedef struct picture_env {
    jn_ctx *cx;
    ustr prop[P_COUNT];
    unsigned family[10];    /* the decimal digit family, from zero-digit */
    int nfamily;
} picture_env;

static bool in_family(const picture_env *pe, unsigned ch)
{
    for (int i = 0; i < pe->nfamily; i++)
        if (pe->family[i] == ch)
            return true;
    return false;
}

/* activeChars.indexOf(ch) !== -1 */
static bool is_active(const picture_env *pe, unsigned ch)
{
    return in_family(pe, ch) || ch_is(ch, pe->prop[P_DECIMAL]) ||
           ch_is(ch, pe->prop[P_EXPONENT]) || ch_is(ch, pe->prop[P_GROUPING]) ||
           ch_is(ch, pe->prop[P_DIGIT]) || ch_is(ch, pe->prop[P_PATTERN]);
}

static long count_family(const picture_env *pe, ustr s, bool or_digit)
{
    long k = 0;
    for (long i = 0; i < s.n; i++)
        if (in_family(pe, s.c[i]) || (or_digit && ch_is(s.c[i], pe->prop[P_DIGIT])))
            k++;
    return k;
}

typedef struct picture_parts {
    ustr prefix, suffix, active, mantissa, exponent, integer, fraction, sub;
    bool has_exponent;
} picture_parts;

typedef struct picture_vars {
    long int_groups[64];
    int nint_groups;
    long regular;
    long min_int, scaling, min_frac, max_frac, min_exp;
    long frac_groups[64];
    int nfrac_groups;
    ustr prefix, suffix, picture;
} picture_vars;

/* splitParts of functions.js. */
static void split_parts(const picture_env *pe, ustr sub, picture_parts *pp)
{
    long i, pre = -1, suf = -1;
    for (i = 0; i < sub.n; i++)
        if (is_active(pe, sub.c[i]) && !ch_is(sub.c[i], pe->prop[P_EXPONENT])) {
            pre = i;
            break;
        }
    for (i = sub.n - 1; i >= 0; i--)
        if (is_active(pe, sub.c[i]) && !ch_is(sub.c[i], pe->prop[P_EXPONENT])) {
            suf = i + 1;
            break;
        }
    if (pre < 0)    /* no active character: jsonata-js fails on undefined */
        jn_fail(pe->cx, "D3085", NULL, NULL, -1);
    memset(pp, 0, sizeof *pp);
    pp->sub = sub;
    pp->prefix = u_sub(sub, 0, pre);
    pp->suffix = u_sub(sub, suf, sub.n);
    pp->active = u_sub(sub, pp->prefix.n, sub.n - pp->suffix.n);
    long ep = u_index_of(sub, pe->prop[P_EXPONENT], pp->prefix.n);
    if (ep == -1 || ep > sub.n - pp->suffix.n) {
        pp->mantissa = pp->active;
        pp->has_exponent = false;
    } else {
        pp->mantissa = u_sub(pp->active, 0, ep);
        pp->exponent = u_sub(pp->active, ep + 1, pp->active.n);
        pp->has_exponent = true;
    }
    long dp = u_index_of(pp->mantissa, pe->prop[P_DECIMAL], 0);
    if (dp == -1) {
        pp->integer = pp->mantissa;
        pp->fraction = pp->suffix;
    } else {
        pp->integer = u_sub(pp->mantissa, 0, dp);
        pp->fraction = u_sub(pp->mantissa, dp + 1, pp->mantissa.n);
    }
}

/* validate of functions.js (F&O 4.7.3): the last rule broken names the
 * error, as there. */
static void validate_parts(const picture_env *pe, const picture_parts *pp)
{
    const char *error = NULL;
    ustr sub = pp->sub;
    const ustr *P = pe->prop;
    long dpos = u_index_of(sub, P[P_DECIMAL], 0);
    if (dpos != u_last_index_of(sub, P[P_DECIMAL]))
        error = "D3081";
    if (u_index_of(sub, P[P_PERCENT], 0) != u_last_index_of(sub, P[P_PERCENT]))
        error = "D3082";
    if (u_index_of(sub, P[P_PERMILLE], 0) != u_last_index_of(sub, P[P_PERMILLE]))
        error = "D3083";
    if (u_index_of(sub, P[P_PERCENT], 0) != -1 && u_index_of(sub, P[P_PERMILLE], 0) != -1)
        error = "D3084";
    bool valid = false;
    for (long i = 0; i < pp->mantissa.n; i++)
        if (in_family(pe, pp->mantissa.c[i]) || ch_is(pp->mantissa.c[i], P[P_DIGIT])) {
            valid = true;
            break;
        }
    if (!valid)
        error = "D3085";
    for (long i = 0; i < pp->active.n; i++)
        if (!is_active(pe, pp->active.c[i]))
            error = "D3086";
    if (dpos != -1) {
        if (u_char_at_is(sub, dpos - 1, P[P_GROUPING]) || u_char_at_is(sub, dpos + 1, P[P_GROUPING]))
            error = "D3087";
    } else if (u_char_at_is(pp->integer, pp->integer.n - 1, P[P_GROUPING])) {
        error = "D3088";
    }
    if (u_index_of(sub, u_cat(pe->cx, P[P_GROUPING], P[P_GROUPING]), 0) != -1)
        error = "D3089";
    long op = u_index_of(pp->integer, P[P_DIGIT], 0);
    if (op != -1 && count_family(pe, u_sub(pp->integer, 0, op), false) > 0)
        error = "D3090";
    op = u_last_index_of(pp->fraction, P[P_DIGIT]);
    if (op != -1 && count_family(pe, u_sub(pp->fraction, op, pp->fraction.n), false) > 0)
        error = "D3091";
    if (pp->has_exponent && pp->exponent.n > 0 &&
        (u_index_of(sub, P[P_PERCENT], 0) != -1 || u_index_of(sub, P[P_PERMILLE], 0) != -1))
        error = "D3092";
    if (pp->has_exponent &&
        (pp->exponent.n == 0 || count_family(pe, pp->exponent, false) != pp->exponent.n))
        error = "D3093";
    if (error)
        jn_fail(pe->cx, error, NULL, NULL, -1);
}

static int grouping_positions(const picture_env *pe, const picture_parts *pp, ustr part,
                              bool to_left, long *out, int max)
{
    int n = 0;
    long gp = u_index_of(part, pe->prop[P_GROUPING], 0);
    while (gp != -1 && n < max) {
        ustr side = to_left ? u_sub(part, 0, gp) : u_sub(part, gp, part.n);
        out[n++] = count_family(pe, side, true);
        /* functions.js searches the integer part here, for both parts */
        long next = u_index_of(pp->integer, pe->prop[P_GROUPING], gp + 1);
        if (next != -1 && next <= gp)
            break;
        gp = next;
    }
    return n;
}

static long gcd(long a, long b) { return b == 0 ? a : gcd(b, a % b); }

/* analyse of functions.js (F&O 4.7.4). */
static void analyse_parts(const picture_env *pe, const picture_parts *pp, picture_vars *v)
{
    memset(v, 0, sizeof *v);
    v->nint_groups = grouping_positions(pe, pp, pp->integer, false, v->int_groups, 64);
    v->regular = 0;
    if (v->nint_groups > 0) {
        long factor = v->int_groups[0];
        for (int i = 1; i < v->nint_groups; i++)
            factor = gcd(factor, v->int_groups[i]);
        v->regular = factor;
        for (int idx = 1; idx <= v->nint_groups; idx++) {
            bool found = false;
            for (int j = 0; j < v->nint_groups; j++)
                if (v->int_groups[j] == idx * factor)
                    found = true;
            if (!found) {
                v->regular = 0;
                break;
            }
        }
    }
    v->nfrac_groups = grouping_positions(pe, pp, pp->fraction, true, v->frac_groups, 64);
    v->min_int = count_family(pe, pp->integer, false);
    v->scaling = v->min_int;
    v->min_frac = count_family(pe, pp->fraction, false);
    v->max_frac = count_family(pe, pp->fraction, true);
    if (v->min_int == 0 && v->max_frac == 0) {
        if (pp->has_exponent) {
            v->min_frac = 1;
            v->max_frac = 1;
        } else {
            v->min_int = 1;
        }
    }
    if (pp->has_exponent && v->min_int == 0 && u_index_of(pp->integer, pe->prop[P_DIGIT], 0) != -1)
        v->min_int = 1;
    if (v->min_int == 0 && v->min_frac == 0)
        v->min_frac = 1;
    v->min_exp = pp->has_exponent ? count_family(pe, pp->exponent, false) : 0;
    v->prefix = pp->prefix;
    v->suffix = pp->suffix;
    v->picture = pp->sub;
}

/* makeString of functions.js: toFixed of the magnitude, digits mapped to
 * the family of zero-digit. */
static ustr make_string(const picture_env *pe, double value, long dp)
{
    char *s = js_to_fixed(pe->cx, fabs(value), dp > 1000 ? 1000 : (int)dp);
    ustr u = u_lit(pe->cx, s);
    if (!(pe->prop[P_ZERO].n == 1 && pe->prop[P_ZERO].c[0] == '0'))
        for (long i = 0; i < u.n; i++)
            if (u.c[i] >= '0' && u.c[i] <= '9' && (int)(u.c[i] - '0') < pe->nfamily)
                u.c[i] = pe->family[u.c[i] - '0'];
    return u;
}

/* The text of an option value, as JavaScript would coerce it. */
static ustr option_text(jn_ctx *cx, jn_value *v)
{
    char buf[40];
    switch (v->type) {
    case JN_STRING:
        return u_from(cx, v->u.string.s, v->u.string.len);
    case JN_NUMBER:
        if (isfinite(v->u.number)) {
            jn_format_number(v->u.number, buf);
            return u_lit(cx, buf);
        }
        return u_lit(cx, "NaN");
    case JN_BOOLEAN:
        return u_lit(cx, v->u.boolean ? "true" : "false");
    case JN_NULL:
        return u_lit(cx, "null");
    default:
        return u_lit(cx, "[object Object]");
    }
}

static jn_value *fn_format_number(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    if (nargs < 1 || !args[0] || args[0]->type != JN_NUMBER)
        return NULL;
    double value = args[0]->u.number;
    if (nargs < 2 || !jn_is_string(args[1]))
        return NULL;
    picture_env pe;
    memset(&pe, 0, sizeof pe);
    pe.cx = cx;
    for (int i = 0; i < P_COUNT; i++)
        pe.prop[i] = u_lit(cx, prop_defaults[i]);
    if (nargs > 2 && jn_is_object(args[2])) {
        const jn_value *o = args[2];
        for (size_t m = 0; m < o->u.object.n; m++)
            for (int i = 0; i < P_COUNT; i++)
                if (strlen(prop_names[i]) == o->u.object.members[m].key_len &&
                    memcmp(prop_names[i], o->u.object.members[m].key,
                           o->u.object.members[m].key_len) == 0)
                    pe.prop[i] = option_text(cx, o->u.object.members[m].value);
    }
    if (pe.prop[P_ZERO].n > 0)
        for (int i = 0; i < 10; i++)
            pe.family[pe.nfamily++] = pe.prop[P_ZERO].c[0] + (unsigned)i;

    /* the sub-pictures: picture.split(pattern-separator) */
    ustr picture = u_from(cx, args[1]->u.string.s, args[1]->u.string.len);
    ustr subs[2];
    int nsubs = 0;
    ustr sep = pe.prop[P_PATTERN];
    if (sep.n == 0) {
        if (picture.n > 2)
            jn_fail(cx, "D3080", NULL, NULL, -1);
        for (long i = 0; i < picture.n; i++)
            subs[nsubs++] = u_sub(picture, i, i + 1);
    } else {
        long from = 0;
        for (;;) {
            long at = u_index_of(picture, sep, from);
            if (nsubs == 2)
                jn_fail(cx, "D3080", NULL, NULL, -1);
            if (at == -1) {
                subs[nsubs++] = u_sub(picture, from, picture.n);
                break;
            }
            subs[nsubs++] = u_sub(picture, from, at);
            from = at + sep.n;
        }
    }
    if (nsubs == 0)     /* "".split("") is [] */
        jn_fail(cx, "D3085", NULL, NULL, -1);

    picture_parts parts[2];
    for (int i = 0; i < nsubs; i++)
        split_parts(&pe, subs[i], &parts[i]);
    for (int i = 0; i < nsubs; i++)
        validate_parts(&pe, &parts[i]);
    picture_vars vars[2];
    for (int i = 0; i < nsubs; i++)
        analyse_parts(&pe, &parts[i], &vars[i]);
    ustr minus = pe.prop[P_MINUS], zero = pe.prop[P_ZERO];
    ustr decsep = pe.prop[P_DECIMAL], grpsep = pe.prop[P_GROUPING];
    if (nsubs == 1) {
        vars[1] = vars[0];
        vars[1].prefix = u_cat(cx, minus, vars[0].prefix);
    }
    picture_vars *pic = value >= 0 ? &vars[0] : &vars[1];

    double adjusted = value;
    if (u_index_of(pic->picture, pe.prop[P_PERCENT], 0) != -1)
        adjusted = value * 100;
    else if (u_index_of(pic->picture, pe.prop[P_PERMILLE], 0) != -1)
        adjusted = value * 1000;

    double mantissa;
    long exponent = 0;
    bool has_exponent = false;
    if (pic->min_exp == 0) {
        mantissa = adjusted;
    } else {
        /* mantissa * 10^exponent = adjusted; jsonata-js loops forever on 0
         * and on negative numbers here, so this scales the magnitude */
        double max_m = pow(10, (double)pic->scaling);
        double min_m = pow(10, (double)(pic->scaling - 1));
        double sign = adjusted < 0 ? -1 : 1;
        mantissa = fabs(adjusted);
        has_exponent = true;
        if (mantissa != 0 && isfinite(mantissa)) {
            while (mantissa < min_m) {
                mantissa *= 10;
                exponent -= 1;
            }
            while (mantissa > max_m) {
                mantissa /= 10;
                exponent += 1;
            }
        }
        mantissa *= sign;
    }
    double rounded = jsonata_round(mantissa, (double)pic->max_frac);
    ustr sv = make_string(&pe, rounded, pic->max_frac);
    ustr dot = u_lit(cx, ".");
    long dpos = u_index_of(sv, dot, 0);
    if (dpos == -1)
        sv = u_cat(cx, sv, decsep);
    else
        sv = u_cat3(cx, u_sub(sv, 0, dpos), decsep, u_sub(sv, dpos + 1, sv.n));
    while (sv.n > 0 && u_char_at_is(sv, 0, zero))
        sv = u_sub(sv, 1, sv.n);
    while (sv.n > 0 && u_char_at_is(sv, sv.n - 1, zero))
        sv = u_sub(sv, 0, sv.n - 1);
    /* bullets 8 and 9: pad to the minimum sizes */
    dpos = u_index_of(sv, decsep, 0);
    long pad_left = pic->min_int - dpos;
    long pad_right = pic->min_frac - (sv.n - dpos - 1);
    sv = u_cat3(cx, u_repeat(cx, zero, pad_left), sv, u_repeat(cx, zero, pad_right));
    dpos = u_index_of(sv, decsep, 0);
    /* bullet 10: integer grouping */
    if (pic->regular > 0) {
        long groups = (long)floor((double)(dpos - 1) / (double)pic->regular);
        for (long g = 1; g <= groups; g++) {
            long at = dpos - g * pic->regular;
            sv = u_cat3(cx, u_slice(sv, 0, at), grpsep, u_slice(sv, at, sv.n));
        }
    } else {
        for (int i = 0; i < pic->nint_groups; i++) {
            long at = dpos - pic->int_groups[i];
            sv = u_cat3(cx, u_slice(sv, 0, at), grpsep, u_slice(sv, at, sv.n));
            dpos++;
        }
    }
    /* bullet 11: fraction grouping */
    dpos = u_index_of(sv, decsep, 0);
    for (int i = 0; i < pic->nfrac_groups; i++) {
        long at = pic->frac_groups[i] + dpos + 1;
        sv = u_cat3(cx, u_slice(sv, 0, at), grpsep, u_slice(sv, at, sv.n));
    }
    /* bullet 12: no decimal separator in the picture, or nothing after it */
    dpos = u_index_of(sv, decsep, 0);
    if (u_index_of(pic->picture, decsep, 0) == -1 || dpos == sv.n - 1)
        sv = u_sub(sv, 0, sv.n - 1);
    /* bullet 13: the exponent */
    if (has_exponent) {
        ustr se = make_string(&pe, (double)exponent, 0);
        long pl = pic->min_exp - se.n;
        if (pl > 0)
            se = u_cat(cx, u_repeat(cx, zero, pl), se);
        ustr sign = exponent < 0 ? minus : u_lit(cx, "");
        sv = u_cat(cx, sv, u_cat3(cx, pe.prop[P_EXPONENT], sign, se));
    }
    /* bullet 14 */
    sv = u_cat3(cx, pic->prefix, sv, pic->suffix);
    return u_value(cx, sv);
}

/* ==== the table ========================================================= */

const jn_builtin jn_builtins_number[] = {
    { "number", "<(nsb)-:n>", fn_number },
    { "abs", "<n-:n>", fn_abs },
    { "floor", "<n-:n>", fn_floor },
    { "ceil", "<n-:n>", fn_ceil },
    { "round", "<n-n?:n>", fn_round },
    { "sqrt", "<n-:n>", fn_sqrt },
    { "power", "<n-n:n>", fn_power },
    { "random", "<:n>", fn_random },
    { "formatNumber", "<n-so?:s>", fn_format_number },
    { "formatBase", "<n-n?:s>", fn_format_base },
    { NULL, NULL, NULL }
};

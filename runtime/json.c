/*
 * json.c - reading JSON text and writing it back the way AWS prints it.
 *
 * AWS Step Functions is a Java service: values travel as Jackson trees and
 * are printed by Jackson.  Everything a user sees (outputs, history events,
 * Cause strings that embed the input) is therefore compact Jackson output:
 * no spaces, keys in insertion order, doubles as Java's Double.toString
 * prints them ("1.0", "0.1", "1.0E21", "4.9E-324"), strings with only `"`,
 * `\` and control characters escaped ("\u001F").  jansson's dumper prints
 * reals with %.17g ("0.10000000000000001"), so this file has its own
 * serializer, writing straight into an aslrtp_buf: no allocation per value.
 * Reading is jansson's, widened to accept integers beyond int64.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"

/* ==== Reading ========================================================== */

/* ASL inputs may be any JSON value (a bare "x" or 42), and strings may hold
 * U+0000 (Jackson accepts "\u0000"). */
#define LOAD_FLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)

/* True when the integer token s[0..n) (an optional '-' and digits) does not
 * fit in int64, i.e. when jansson would report "too big integer". */
static int int_token_overflows(const char *s, size_t n)
{
    int neg = 0;
    if (n && s[0] == '-') {
        neg = 1;
        s++;
        n--;
    }
    while (n > 1 && s[0] == '0') {  /* leading zeros do not add magnitude */
        s++;
        n--;
    }
    if (n != 19)
        return n > 19;
    return memcmp(s, neg ? "9223372036854775808" : "9223372036854775807", 19) > 0;
}

/* Copies text, turning every integer token too big for int64 into a real
 * ("123...890" -> "123...890.0"), so that jansson reads it as a double the
 * way JSON_DECODE_INT_AS_REAL would, while the integers that fit stay
 * integers.  Strings are skipped.  Returns NULL when nothing had to change. */
static char *widen_big_integers(const char *text, size_t len, size_t *outlen)
{
    aslrtp_buf out = {0};
    size_t copied = 0;          /* text[0..copied) is already in out */
    int changed = 0;
    size_t i = 0;
    while (i < len) {
        char c = text[i];
        if (c == '"') {
            for (i++; i < len && text[i] != '"'; i++)
                if (text[i] == '\\')
                    i++;
            i++;
            continue;
        }
        if (c != '-' && (c < '0' || c > '9')) {
            i++;
            continue;
        }
        size_t start = i;
        if (c == '-')
            i++;
        while (i < len && text[i] >= '0' && text[i] <= '9')
            i++;
        if (i < len && (text[i] == '.' || text[i] == 'e' || text[i] == 'E')) {
            /* already a real: skip the rest of the number */
            while (i < len && strchr("0123456789.eE+-", text[i]))
                i++;
            continue;
        }
        if (int_token_overflows(text + start, i - start)) {
            aslrtp_buf_add(&out, text + copied, i - copied);
            aslrtp_buf_add(&out, ".0", 2);
            copied = i;
            changed = 1;
        }
    }
    if (!changed) {
        free(out.data);
        return NULL;
    }
    aslrtp_buf_add(&out, text + copied, len - copied);
    *outlen = out.len;
    return aslrtp_buf_finish(&out);
}

json_t *aslrtp_json_loads(const char *text, size_t len, json_error_t *err)
{
    json_error_t local;
    if (!err)
        err = &local;
    json_t *v = json_loadb(text, len, LOAD_FLAGS, err);
    if (v || json_error_code(err) != json_error_numeric_overflow)
        return v;

    /* An integer beyond int64 (Jackson would keep it as a BigInteger):
     * read it as a real instead of failing. */
    size_t wlen = 0;
    char *wide = widen_big_integers(text, len, &wlen);
    if (!wide)
        return NULL;            /* a real overflowed (1e400): a true error */
    json_error_t werr;
    v = json_loadb(wide, wlen, LOAD_FLAGS, &werr);
    free(wide);
    if (v)
        return v;
    /* Another error further on.  Report it at its place in the caller's
     * text: parsing with every integer as a real gets past the big integer
     * and stops at the same error, with unshifted positions. */
    v = json_loadb(text, len, LOAD_FLAGS | JSON_DECODE_INT_AS_REAL, err);
    if (v) {                    /* cannot happen; never return a tree of reals */
        json_decref(v);
        *err = werr;
    }
    return NULL;
}

json_t *aslrtp_json_loads_first(const char *text, size_t len, size_t *used, json_error_t *err)
{
    json_error_t local;
    if (!err)
        err = &local;
    json_t *v = json_loadb(text, len, LOAD_FLAGS | JSON_DISABLE_EOF_CHECK, err);
    if (v || json_error_code(err) != json_error_numeric_overflow) {
        *used = v ? err->position : 0;
        return v;
    }
    /* A big integer: where the value ends (every integer read as a real),
     * then the value read as aslrtp_json_loads reads one. */
    v = json_loadb(text, len, LOAD_FLAGS | JSON_DISABLE_EOF_CHECK | JSON_DECODE_INT_AS_REAL, err);
    if (!v)
        return NULL;
    json_decref(v);
    *used = err->position;
    return aslrtp_json_loads(text, *used, err);
}

/* ==== Numbers ========================================================== */

/* A decimal d1.d2d3...dn x 10^exp: n significant digits, no trailing zeros
 * once trimmed. */
typedef struct decimal {
    char dig[24];       /* ASCII digits, dig[0] != '0' */
    int n;              /* number of digits */
    int exp;            /* decimal exponent of dig[0] */
} decimal;

/* The n-digit decimal nearest to x > 0 (glibc's printf rounds exactly, ties
 * to even).  Returns the value that decimal reads back as. */
static double nearest_decimal(double x, int n, decimal *r)
{
    char s[40];
    snprintf(s, sizeof s, "%.*e", n - 1, x);   /* "d.ddde+XX" */
    int k = 0;
    const char *p = s;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            r->dig[k++] = *p;
    r->n = k;
    r->exp = atoi(p + 1);
    return strtod(s, NULL);
}

static double decimal_value(const decimal *r)
{
    char s[48];
    snprintf(s, sizeof s, "%.*se%d", r->n, r->dig, r->exp - r->n + 1);
    return strtod(s, NULL);
}

/* Moves r by one unit in its last digit, up (dir > 0) or down, keeping its
 * number of digits: 9.99 -> 1.00e+1, 1.00 -> 9.99e-1. */
static void decimal_step(decimal *r, int dir)
{
    int i = r->n - 1;
    if (dir > 0) {
        while (i >= 0 && r->dig[i] == '9')
            r->dig[i--] = '0';
        if (i >= 0) {
            r->dig[i]++;
        } else {
            r->dig[0] = '1';
            r->exp++;
        }
    } else {
        while (i >= 0 && r->dig[i] == '0')
            r->dig[i--] = '9';
        r->dig[i]--;
        if (r->dig[0] == '0') {
            memmove(r->dig, r->dig + 1, (size_t)r->n - 1);
            r->dig[r->n - 1] = '9';
            r->exp--;
        }
    }
}

/* The n-digit decimal closest to x that reads back as x, if any.  Among the
 * n-digit decimals the nearest one is the best; when it does not read back,
 * only its neighbour on the other side of x can (the set of decimals that
 * read back as x is an interval around x). */
static int closest_roundtrip(double x, int n, decimal *r)
{
    double back = nearest_decimal(x, n, r);
    if (back == x)
        return 1;
    decimal_step(r, back < x ? 1 : -1);
    return decimal_value(r) == x;
}

static void decimal_trim(decimal *r)
{
    while (r->n > 1 && r->dig[r->n - 1] == '0')
        r->n--;
}

/* Digits of the integer 0 < v < 2^53, as the decimal v x 10^-k. */
static void integer_decimal(unsigned long long v, int k, decimal *r)
{
    char tmp[24];
    int n = 0;
    while (v > 0) {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    }
    r->n = n;
    r->exp = n - 1 - k;
    for (int i = 0; i < n; i++)
        r->dig[i] = tmp[n - 1 - i];
    decimal_trim(r);
}

/* The fast path for the numbers people write (9.99, 140.48, 0.001): finds
 * the fewest fraction digits k such that round(x * 10^k) / 10^k == x.  That
 * division of two exact doubles is correctly rounded, so it is what reading
 * the decimal back gives.  Below 2^50 the product's rounding cannot pick the
 * wrong integer, and the decimals 10^-k apart are farther apart than x's
 * rounding interval is wide, so the one found is the only, hence closest,
 * decimal of its length.  Returns 0 when no such k exists here. */
static int few_digits_decimal(double x, decimal *r)
{
    static const double p10[] = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    };
    for (int k = 0; k < (int)(sizeof p10 / sizeof p10[0]); k++) {
        double m = x * p10[k];
        if (m >= 1125899906842624.0)     /* 2^50 */
            return 0;
        double v = nearbyint(m);
        if (v != 0 && v / p10[k] == x) {
            integer_decimal((unsigned long long)v, k, r);
            return 1;
        }
    }
    return 0;
}

/* The decimal Java's Double.toString (the JDK 19+ specification; Jackson
 * writes doubles with it) picks for x > 0, finite: the fewest digits that read back as x, the closest such
 * decimal to x, and when one digit suffices, the closest of the one- and
 * two-digit decimals (which is why Double.MIN_VALUE prints "4.9E-324").
 * JDK 18 and earlier agree on every short decimal but print a longer form
 * for some 17-digit values (1e23 as "9.999999999999999E22"). */
static void shortest_decimal(double x, decimal *r)
{
    if (x >= 1e-7 && x < 1e15 && few_digits_decimal(x, r))
        return;
    if (x >= DBL_MIN) {
        /* Normal doubles hold 15 decimal digits exactly (DBL_DIG): any
         * decimal of 15 or fewer digits that reads back as x is x rounded
         * to 15 digits, trailing zeros dropped.  That covers the two-digit
         * rule too. */
        if (nearest_decimal(x, DBL_DIG, r) == x || closest_roundtrip(x, 16, r)) {
            decimal_trim(r);
            return;
        }
        nearest_decimal(x, 17, r);      /* 17 digits always read back */
        decimal_trim(r);
        return;
    }
    /* Subnormals have fewer significant bits: search upwards. */
    for (int n = 1; n <= 17; n++) {
        if (!closest_roundtrip(x, n, r))
            continue;
        decimal two;
        if (n == 1 && closest_roundtrip(x, 2, &two))
            *r = two;
        decimal_trim(r);
        return;
    }
    nearest_decimal(x, 17, r);
    decimal_trim(r);
}

int aslrtp_format_double(double d, char *buf, size_t size)
{
    char out[40];
    int len = 0;

    if (isnan(d)) {
        len = snprintf(out, sizeof out, "NaN");
    } else if (isinf(d)) {
        len = snprintf(out, sizeof out, d < 0 ? "-Infinity" : "Infinity");
    } else if (d == 0) {
        len = snprintf(out, sizeof out, signbit(d) ? "-0.0" : "0.0");
    } else {
        double x = fabs(d);
        decimal r;
        if (x < 9007199254740992.0 && x == floor(x))
            /* an integer below 2^53 is exact: its own digits are the
             * shortest decimal that reads back */
            integer_decimal((unsigned long long)x, 0, &r);
        else
            shortest_decimal(x, &r);

        char *p = out;
        if (d < 0)
            *p++ = '-';
        if (r.exp >= -3 && r.exp < 7) {
            /* Java: plain notation for 10^-3 <= |d| < 10^7, with at least
             * one digit after the point. */
            if (r.exp < 0) {
                *p++ = '0';
                *p++ = '.';
                for (int i = -1; i > r.exp; i--)
                    *p++ = '0';
                memcpy(p, r.dig, (size_t)r.n);
                p += r.n;
            } else {
                for (int i = 0; i <= r.exp; i++)
                    *p++ = i < r.n ? r.dig[i] : '0';
                *p++ = '.';
                if (r.n > r.exp + 1) {
                    memcpy(p, r.dig + r.exp + 1, (size_t)(r.n - r.exp - 1));
                    p += r.n - r.exp - 1;
                } else {
                    *p++ = '0';
                }
            }
        } else {
            /* Java's "computerized scientific notation": d.dddE-n, again
             * with at least one fraction digit, no '+' on the exponent. */
            *p++ = r.dig[0];
            *p++ = '.';
            if (r.n > 1) {
                memcpy(p, r.dig + 1, (size_t)r.n - 1);
                p += r.n - 1;
            } else {
                *p++ = '0';
            }
            p += snprintf(p, sizeof out - (size_t)(p - out), "E%d", r.exp);
        }
        *p = '\0';
        len = (int)(p - out);
    }

    if (size) {
        size_t n = (size_t)len < size ? (size_t)len : size - 1;
        memcpy(buf, out, n);
        buf[n] = '\0';
    }
    return len;
}

/* ==== Writing ========================================================== */

static void put(aslrtp_buf *b, const char *s, size_t n)
{
    memcpy(aslrtp_buf_reserve(b, n), s, n);
    b->len += n;
}

static void put_char(aslrtp_buf *b, char c)
{
    *aslrtp_buf_reserve(b, 1) = c;
    b->len++;
}

/* How Jackson's default writer escapes a byte (CharTypes.sOutputEscapes128):
 * 0 copies it, a letter means "\<letter>", 'u' means "\u00XX".  Only `"`,
 * `\` and U+0000..U+001F are escaped; '/', U+007F, U+2028/U+2029 and all
 * other non-ASCII text are written as they are, in UTF-8. */
static const unsigned char escape_of[256] = {
    ['\0'] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u',
    [0x05] = 'u', [0x06] = 'u', [0x07] = 'u', ['\b'] = 'b', ['\t'] = 't',
    ['\n'] = 'n', [0x0b] = 'u', ['\f'] = 'f', ['\r'] = 'r', [0x0e] = 'u',
    [0x0f] = 'u', [0x10] = 'u', [0x11] = 'u', [0x12] = 'u', [0x13] = 'u',
    [0x14] = 'u', [0x15] = 'u', [0x16] = 'u', [0x17] = 'u', [0x18] = 'u',
    [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u', [0x1c] = 'u', [0x1d] = 'u',
    [0x1e] = 'u', [0x1f] = 'u', ['"'] = '"', ['\\'] = '\\',
};

static void put_string(aslrtp_buf *b, const char *s, size_t n)
{
    /* Jackson writes hex digits in upper case: "\u001F". */
    static const char hex[] = "0123456789ABCDEF";
    put_char(b, '"');
    size_t run = 0;             /* start of the bytes not yet copied */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        unsigned char e = escape_of[c];
        if (!e)
            continue;
        put(b, s + run, i - run);
        run = i + 1;
        if (e == 'u') {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(b, u, 6);
        } else {
            char two[2] = {'\\', (char)e};
            put(b, two, 2);
        }
    }
    put(b, s + run, n - run);
    put_char(b, '"');
}

static void put_integer(aslrtp_buf *b, json_int_t v)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    /* Work on the magnitude as unsigned: -INT64_MIN does not fit. */
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    put(b, p, (size_t)(tmp + sizeof tmp - p));
}

static void put_value(aslrtp_buf *b, const json_t *v)
{
    json_t *m = (json_t *)v;    /* jansson's iterators take non-const */
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        put_char(b, '{');
        int first = 1;
        for (void *it = json_object_iter(m); it; it = json_object_iter_next(m, it)) {
            if (!first)
                put_char(b, ',');
            first = 0;
            put_string(b, json_object_iter_key(it), json_object_iter_key_len(it));
            put_char(b, ':');
            put_value(b, json_object_iter_value(it));
        }
        put_char(b, '}');
        break;
    }
    case JSON_ARRAY: {
        put_char(b, '[');
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++) {
            if (i)
                put_char(b, ',');
            put_value(b, json_array_get(v, i));
        }
        put_char(b, ']');
        break;
    }
    case JSON_STRING:
        put_string(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        put_integer(b, json_integer_value(v));
        break;
    case JSON_REAL: {
        char *p = aslrtp_buf_reserve(b, 40);
        b->len += (size_t)aslrtp_format_double(json_real_value(v), p, 40);
        break;
    }
    case JSON_TRUE:
        put(b, "true", 4);
        break;
    case JSON_FALSE:
        put(b, "false", 5);
        break;
    case JSON_NULL:
        put(b, "null", 4);
        break;
    }
}

void aslrtp_buf_add_json(aslrtp_buf *b, const json_t *v)
{
    if (v)
        put_value(b, v);
    else
        put(b, "null", 4);      /* no value at all: print as JSON null */
    *aslrtp_buf_reserve(b, 0) = '\0';
}

char *aslrt_json_dumps(const json_t *v)
{
    aslrtp_buf b = {0};
    aslrtp_buf_add_json(&b, v);
    return aslrtp_buf_finish(&b);
}

/* ==== Sizes ============================================================ */

/* Every state that makes data measures its output against the payload
 * quota, so the measure is taken in two walks, the second rarely: the
 * first counts everything exactly but a string's escapes, which would
 * cost a look at every byte, and gives a lower and an upper bound (each
 * byte of a string takes 1 to 6 bytes escaped).  Only when the limit falls
 * between the two does the second walk count the escapes. */

/* The decimal digits of u, without dividing: the bit length gives the
 * count to within one (1233 / 4096 is just above log10(2)), and one
 * comparison settles it. */
static size_t digit_count(unsigned long long u)
{
    static const unsigned long long pow10[20] = {
        1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
        100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
        10000000000000ULL, 100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
        100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL,
    };
    if (u < 10)
        return 1;
    unsigned bits = 64 - (unsigned)__builtin_clzll(u);
    unsigned t = (bits * 1233) >> 12;   /* digits - 1, or digits */
    return t + 1 - (u < pow10[t]);
}

static size_t integer_size(json_int_t n)
{
    /* The magnitude as unsigned: -INT64_MIN does not fit. */
    unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
    return digit_count(u) + (n < 0);
}

static size_t string_size(const char *s, size_t n)
{
    size_t size = n + 2;
    for (size_t i = 0; i < n; i++) {
        unsigned char e = escape_of[(unsigned char)s[i]];
        if (e)
            size += e == 'u' ? 5 : 1;
    }
    return size;
}

/* The longest a double prints (aslrtp_format_double's buffer). */
#define REAL_MAX 40

static void add_bounds(const json_t *v, size_t *lo, size_t *slack, size_t limit);

/* The first walk: adds v's size without escapes to *lo, and what escapes
 * and doubles could add at most to *slack; stops once *lo exceeds limit.
 * Scalars are measured in line, containers by add_bounds. */
static inline void value_bounds(const json_t *v, size_t *lo, size_t *slack, size_t limit)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        add_bounds(v, lo, slack, limit);
        break;
    case JSON_STRING: {
        size_t n = json_string_length(v);
        *lo += n + 2;
        *slack += 5 * n;
        break;
    }
    case JSON_INTEGER: *lo += integer_size(json_integer_value(v)); break;
    case JSON_REAL: *lo += 3; *slack += REAL_MAX - 3; break; /* "0.0" at least */
    case JSON_TRUE: *lo += 4; break;
    case JSON_FALSE: *lo += 5; break;
    case JSON_NULL: *lo += 4; break;
    }
}

static void add_bounds(const json_t *v, size_t *lo, size_t *slack, size_t limit)
{
    json_t *m = (json_t *)v;    /* jansson's iterators take non-const */
    if (json_is_object(v)) {
        /* "{}", and per member its key quoted, ':' and a ',' but for one */
        *lo += 1;
        void *it = json_object_iter(m);
        if (!it)
            *lo += 1;
        for (; it; it = json_object_iter_next(m, it)) {
            size_t k = json_object_iter_key_len(it);
            *lo += k + 4;
            *slack += 5 * k;
            value_bounds(json_object_iter_value(it), lo, slack, limit);
            if (*lo > limit)
                return;
        }
    } else {
        size_t n = json_array_size(v);
        *lo += 2 + (n ? n - 1 : 0);
        for (size_t i = 0; i < n && *lo <= limit; i++)
            value_bounds(json_array_get(v, i), lo, slack, limit);
    }
}

/* The second walk: adds v's serialized size to *acc exactly; stops early
 * once *acc exceeds limit. */
static void add_size(const json_t *v, size_t *acc, size_t limit)
{
    json_t *m = (json_t *)v;
    if (*acc > limit)
        return;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = 0;
        *acc += 2;
        for (void *it = json_object_iter(m); it; it = json_object_iter_next(m, it)) {
            *acc += string_size(json_object_iter_key(it), json_object_iter_key_len(it)) + 1 +
                    (n++ ? 1 : 0);
            add_size(json_object_iter_value(it), acc, limit);
            if (*acc > limit)
                return;
        }
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;
        *acc += 2;
        json_array_foreach(v, i, x) {
            *acc += i ? 1 : 0;
            add_size(x, acc, limit);
            if (*acc > limit)
                return;
        }
        break;
    }
    case JSON_STRING:
        *acc += string_size(json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        *acc += integer_size(json_integer_value(v));
        break;
    case JSON_REAL: {
        char tmp[REAL_MAX];
        *acc += (size_t)aslrtp_format_double(json_real_value(v), tmp, sizeof tmp);
        break;
    }
    case JSON_TRUE: *acc += 4; break;
    case JSON_FALSE: *acc += 5; break;
    case JSON_NULL: *acc += 4; break;
    }
}

size_t aslrtp_json_size_bound(const json_t *v)
{
    size_t lo = 0, slack = 0;
    value_bounds(v, &lo, &slack, SIZE_MAX / 2);
    return lo > SIZE_MAX / 2 || slack > SIZE_MAX / 2 ? SIZE_MAX : lo + slack;
}

bool aslrtp_json_exceeds(const json_t *v, size_t limit)
{
    size_t lo = 0, slack = 0;
    value_bounds(v, &lo, &slack, limit);
    if (lo > limit)
        return true;
    if (lo + slack <= limit)
        return false;
    size_t acc = 0;
    add_size(v, &acc, limit);
    return acc > limit;
}

/*
 * choice.c - the data-test rules of Choice states, and timestamps.
 *
 * A rule compares the Variable's value with an operand (a literal, or the
 * value a ...Path names).  AWS never fails on types: a comparison whose
 * sides are not both of the operator's type is simply false (ASL spec,
 * "Choice Rules"; recorded on AWS: BooleanEquals on 0, "", [] and {} is
 * false, StringEquals on numbers is false).  A Variable path that matched
 * nothing is the caller's business: only IsPresent accepts it.
 *
 * Strings order like Java's String.compareTo (UTF-16 code units), numbers
 * by mathematical value whatever their JSON type (1 == 1.0), timestamps by
 * the instant they name.  Timestamps are parsed the way Java's
 * ISO_OFFSET_DATE_TIME reads them, the parser AWS's messages name ("ISO-8601
 * extended offset date-time"), with the upper-case 'T' and 'Z' the ASL spec
 * requires.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "aslrt_private.h"

/* ==== Timestamps ======================================================= */

static int days_in_month(int64_t y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

/* Reads exactly n digits at *p. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

/* The form accepted is Java's ISO_OFFSET_DATE_TIME, resolved strictly:
 *   yyyy-MM-ddTHH:mm[:ss[.f{0,9}]](Z|(+|-)HH[:MM[:SS]])
 * Seconds are optional and the fraction has at most 9 digits (nanoseconds)
 * as in Java; month 13, hour 24, second 60 and Feb 30 are rejected (AWS
 * rejects "2016-12-05T25:29:29Z" and "2016-13-05T21:29:29Z").  'T' and 'Z'
 * must be upper case, and offsets are limited to +-18:00 like ZoneOffset. */
bool aslrtp_timestamp_parse(const char *s, int64_t *sec, int32_t *nsec)
{
    const char *p = s;
    int year, mon, day, hour, min, secs = 0, frac = 0;

    if (!digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &mon) ||
        *p++ != '-' || !digits(&p, 2, &day) || *p++ != 'T' ||
        !digits(&p, 2, &hour) || *p++ != ':' || !digits(&p, 2, &min))
        return false;
    if (*p == ':') {
        p++;
        if (!digits(&p, 2, &secs))
            return false;
        if (*p == '.') {
            p++;
            int n = 0;
            while (*p >= '0' && *p <= '9') {
                if (++n > 9)
                    return false;
                frac = frac * 10 + (*p++ - '0');
            }
            for (; n < 9; n++)   /* Java takes "00." too: n may be 0 */
                frac *= 10;
        }
    }
    if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
        hour > 23 || min > 59 || secs > 59)
        return false;

    int offset = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1;
        int oh, om = 0, os = 0;
        if (!digits(&p, 2, &oh))
            return false;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &om))
                return false;
            if (*p == ':') {
                p++;
                if (!digits(&p, 2, &os))
                    return false;
            }
        }
        if (oh > 18 || om > 59 || os > 59)
            return false;
        offset = oh * 3600 + om * 60 + os;
        if (offset > 18 * 3600)
            return false;
        offset *= sign;
    } else {
        return false;           /* a local time without zone */
    }
    if (*p != '\0')
        return false;

    if (sec)
        *sec = aslrtp_days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 +
               secs - offset;
    if (nsec)
        *nsec = frac;
    return true;
}

/* As Java's Instant.toString prints it, which is what AWS shows for
 * $$.Execution.StartTime and $$.State.EnteredTime: the fraction in groups
 * of three digits, and none at all when the milliseconds are 0
 * ("2025-02-03T04:05:06Z", not "...06.000Z"). */
void aslrtp_timestamp_format(long long ms, char *buf, size_t size)
{
    long long secs = ms / 1000, milli = ms % 1000;
    if (milli < 0) {
        milli += 1000;
        secs--;
    }
    long long days = secs / 86400, tod = secs % 86400;
    if (tod < 0) {
        tod += 86400;
        days--;
    }
    int64_t y;
    int m, d;
    aslrtp_civil_from_days(days, &y, &m, &d);

    char year[24];
    if (y > 9999)               /* ISO 8601 expanded years, as Java */
        snprintf(year, sizeof year, "+%lld", (long long)y);
    else if (y < 0)
        snprintf(year, sizeof year, "-%04lld", -(long long)y);
    else
        snprintf(year, sizeof year, "%04lld", (long long)y);

    int hh = (int)(tod / 3600), mi = (int)(tod / 60 % 60), ss = (int)(tod % 60);
    if (milli)
        snprintf(buf, size, "%s-%02d-%02dT%02d:%02d:%02d.%03dZ", year, m, d, hh, mi, ss,
                 (int)milli);
    else
        snprintf(buf, size, "%s-%02d-%02dT%02d:%02d:%02dZ", year, m, d, hh, mi, ss);
}

/* ==== Strings ========================================================== */

/* Java's String.compareTo: by UTF-16 code unit.  UTF-8 byte order is code
 * point order, which agrees except that a supplementary character (a
 * surrogate pair, D800-DBFF first) sorts before U+E000..U+FFFF in UTF-16.
 * Returns <0, 0 or >0. */
static int utf16_compare(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    size_t i = 0;
    while (i < n && a[i] == b[i])
        i++;
    if (i == n)
        return an < bn ? -1 : an > bn;
    /* Both strings share the bytes before i, so they are inside the same
     * kind of sequence: back up to its first byte. */
    i = aslrtp_utf8_floor(a, i);
    size_t ia = i, ib = i;
    uint32_t ca = aslrtp_utf8_next(a, an, 0, &ia), cb = aslrtp_utf8_next(b, bn, 0, &ib);
    if ((ca >= 0x10000) != (cb >= 0x10000)) {
        /* one surrogate pair, one BMP character (never itself a surrogate) */
        uint32_t bmp = ca >= 0x10000 ? cb : ca;
        int pair_first = bmp >= 0xe000;   /* D800-DBFF < U+E000.. */
        return (ca >= 0x10000) == pair_first ? -1 : 1;
    }
    return ca < cb ? -1 : 1;
}

/* StringMatches: '*' matches any run of characters (none included); "\*"
 * is a literal star and "\\" a literal backslash (ASL spec, "Choice
 * Rules"); a backslash makes any following character literal.  A pattern
 * ending in a lone backslash matches nothing.  Matching bytes is matching
 * characters here: a UTF-8 sequence can only match at a character start.
 * Greedy with one backtrack point, so linear in practice. */
static int wildcard_match(const char *p, size_t pn, const char *s, size_t sn)
{
    size_t pi = 0, si = 0;
    size_t star_p = (size_t)-1, star_s = 0;   /* after the last '*' */
    while (si < sn) {
        if (pi < pn && p[pi] == '*') {
            star_p = ++pi;
            star_s = si;
            continue;
        }
        if (pi < pn) {
            size_t step = 1;
            char lit = p[pi];
            if (lit == '\\') {
                if (pi + 1 >= pn)
                    return 0;
                lit = p[pi + 1];
                step = 2;
            }
            if (lit == s[si]) {
                pi += step;
                si++;
                continue;
            }
        }
        if (star_p == (size_t)-1)
            return 0;
        pi = star_p;            /* let the last '*' take one more byte */
        si = ++star_s;
    }
    while (pi < pn && p[pi] == '*')
        pi++;
    return pi == pn;
}

/* ==== Numbers ========================================================== */

/* Compares an integer with a double by value, exactly (no rounding of the
 * integer to a double: 2^53 + 1 > 2^53). */
static int int_real_compare(json_int_t i, double d)
{
    if (d >= 9223372036854775808.0)         /* 2^63 */
        return -1;
    if (d < -9223372036854775808.0)
        return 1;
    double t = trunc(d);
    json_int_t ti = (json_int_t)t;
    if (i != ti)
        return i < ti ? -1 : 1;
    double frac = d - t;
    return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

/* Numbers compare by value whatever their JSON form: 1 == 1.0 and
 * 0 == 0.0 on AWS. */
static int number_compare(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b)) {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return x < y ? -1 : x > y;
    }
    if (json_is_integer(a))
        return int_real_compare(json_integer_value(a), json_real_value(b));
    if (json_is_integer(b))
        return -int_real_compare(json_integer_value(b), json_real_value(a));
    double x = json_real_value(a), y = json_real_value(b);
    return x < y ? -1 : x > y;
}

/* ==== Rules ============================================================ */

/* A timestamp string, parsed; false for anything else.  A string with an
 * embedded U+0000 is never a timestamp. */
static bool json_timestamp(const json_t *v, int64_t *sec, int32_t *nsec)
{
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
        return false;
    return aslrtp_timestamp_parse(s, sec, nsec);
}

/* Applies an ordering operator to the result c of a three-way compare.
 * The operators come in the same order in every family of aslrt.h. */
static int ordered(int op, int family_eq, int c)
{
    switch (op - family_eq) {
    case 0: return c == 0;      /* ...Equals */
    case 1: return c < 0;       /* ...LessThan */
    case 2: return c > 0;       /* ...GreaterThan */
    case 3: return c <= 0;      /* ...LessThanEquals */
    case 4: return c >= 0;      /* ...GreaterThanEquals */
    }
    return 0;
}

int aslrtp_compare(int op, json_t *value, json_t *operand)
{
    /* No value: the Variable path matched nothing.  IsPresent is the only
     * test that tolerates it (ASL spec); "IsPresent": false is then true. */
    if (!value)
        return op == ASLRT_CMP_IS_PRESENT && json_is_false(operand);
    if (!operand)
        return 0;

    switch (op) {
    case ASLRT_CMP_STRING_EQ:
    case ASLRT_CMP_STRING_LT:
    case ASLRT_CMP_STRING_GT:
    case ASLRT_CMP_STRING_LE:
    case ASLRT_CMP_STRING_GE:
        if (!json_is_string(value) || !json_is_string(operand))
            return 0;
        return ordered(op, ASLRT_CMP_STRING_EQ,
                       utf16_compare(json_string_value(value), json_string_length(value),
                                     json_string_value(operand),
                                     json_string_length(operand)));

    case ASLRT_CMP_STRING_MATCHES:
        if (!json_is_string(value) || !json_is_string(operand))
            return 0;
        return wildcard_match(json_string_value(operand), json_string_length(operand),
                              json_string_value(value), json_string_length(value));

    case ASLRT_CMP_NUMERIC_EQ:
    case ASLRT_CMP_NUMERIC_LT:
    case ASLRT_CMP_NUMERIC_GT:
    case ASLRT_CMP_NUMERIC_LE:
    case ASLRT_CMP_NUMERIC_GE:
        if (!json_is_number(value) || !json_is_number(operand))
            return 0;
        return ordered(op, ASLRT_CMP_NUMERIC_EQ, number_compare(value, operand));

    case ASLRT_CMP_BOOLEAN_EQ:
        if (!json_is_boolean(value) || !json_is_boolean(operand))
            return 0;
        return json_is_true(value) == json_is_true(operand);

    case ASLRT_CMP_TIMESTAMP_EQ:
    case ASLRT_CMP_TIMESTAMP_LT:
    case ASLRT_CMP_TIMESTAMP_GT:
    case ASLRT_CMP_TIMESTAMP_LE:
    case ASLRT_CMP_TIMESTAMP_GE: {
        /* Both sides must be timestamps; any other string is false (AWS:
         * "2023-02-24 12:15:56.832957" TimestampEquals ... is false). */
        int64_t s1, s2;
        int32_t n1, n2;
        if (!json_timestamp(value, &s1, &n1) || !json_timestamp(operand, &s2, &n2))
            return 0;
        int c = s1 != s2 ? (s1 < s2 ? -1 : 1) : (n1 > n2) - (n1 < n2);
        return ordered(op, ASLRT_CMP_TIMESTAMP_EQ, c);
    }

    /* The type tests take a boolean: "IsNumeric": false holds for every
     * value that is not a number (AWS: IsNumeric false on null is true). */
    case ASLRT_CMP_IS_NULL:
    case ASLRT_CMP_IS_PRESENT:
    case ASLRT_CMP_IS_NUMERIC:
    case ASLRT_CMP_IS_STRING:
    case ASLRT_CMP_IS_BOOLEAN:
    case ASLRT_CMP_IS_TIMESTAMP: {
        if (!json_is_boolean(operand))
            return 0;
        int is;
        switch (op) {
        case ASLRT_CMP_IS_NULL: is = json_is_null(value); break;
        case ASLRT_CMP_IS_PRESENT: is = 1; break;   /* JSON null is present */
        case ASLRT_CMP_IS_NUMERIC: is = json_is_number(value); break;
        case ASLRT_CMP_IS_STRING: is = json_is_string(value); break;
        case ASLRT_CMP_IS_BOOLEAN: is = json_is_boolean(value); break;
        default: is = json_timestamp(value, NULL, NULL); break;
        }
        return !is == !json_is_true(operand);
    }
    }
    return 0;
}

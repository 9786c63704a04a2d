/*
 * fn_time.c - JSONata's date and time functions: $now, $millis,
 * $fromMillis and $toMillis, ported from jsonata-js 2.0.6
 * (src/datetime.js), and the two natives of the integer pictures
 * ($formatInteger, $parseInteger), whose pictures are fn_integer.c's.
 *
 * The picture strings are XPath F&O 3.1's fn:format-dateTime as
 * datetime.js reads them.  A picture is analysed into a description (dpic)
 * that formatting walks; a numeric component is an integer picture
 * (picture.h).  Parsing a timestamp matches the input against the parts of
 * the picture with a small backtracking matcher that follows the regular
 * expression datetime.js builds (the same alternatives in the same order,
 * the same greediness, case-insensitive as its 'i' flag), then combines
 * the captured components as parseDateTime does.  $toMillis without a
 * picture reads the text as V8's Date.parse does (its own parser, last in
 * this file).
 *
 * JavaScript shows through everywhere and is reproduced on purpose:
 * numbers are doubles and NaN flows where JavaScript's would (an invalid
 * Date formats as "NaN"); strings are measured in UTF-16 units where
 * datetime.js measures them (substr, length, charAt); Date.UTC (years
 * 0-99 mean 1900-1999) and Date.parse are reimplemented.  The calendar
 * arithmetic is our own (days from civil) and in UTC: nothing here reads
 * the process's time zone, and what V8 would take as local time (a
 * date-time without offset) is taken as UTC.
 *
 * Where jsonata-js dies of a JavaScript error instead of a JSONata one,
 * these functions raise a JSONata error:
 *  - D1001 "Number out of range" for the TypeError on the undefined month
 *    name of an invalid Date;
 *  - D3133 for a name presentation of fractional seconds ([fN]);
 *  - T0410 for an undefined picture of $formatInteger/$parseInteger;
 *  - U1001 when matching a timestamp against its picture would backtrack
 *    beyond 2*10^7 steps (where JavaScript's regular expression would
 *    run for hours).
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "picture.h"

#define MS_PER_DAY 86400000.0
#define MAX_TIME 8.64e15            /* ECMAScript's time value range */

#define ARG(i) ((i) < nargs ? args[i] : NULL)

/* ==== date/time pictures (fn:format-dateTime) =========================== */

enum { NAMES_NONE, NAMES_LOWER, NAMES_UPPER, NAMES_TITLE };

/* One part of an analysed date/time picture: a literal or a variable
 * marker [C presentation , width]. */
typedef struct dpart {
    bool literal;
    const char *text;           /* literal: the text (']]' made ']') */
    size_t len;
    uint32_t comp;              /* marker: the component, 0 for "[]" */
    const char *comp_text;      /* its UTF-8, for error values */
    size_t comp_len;
    const char *p1;             /* first presentation modifier */
    size_t p1_len;
    char p2;                    /* second presentation modifier: a t c o, or 0 */
    int names;                  /* NAMES_*: presented as a name */
    bool has_int;               /* integer presentation (and Z, z) */
    ifmt fmt;
    bool has_width;             /* a width modifier was given */
    double wmin, wmax;          /* NaN for '*' */
    bool wmax_def;              /* a maximum width was given */
    double n;                   /* Y, M, D: digits (Y keeps that many), -1 for all */
} dpart;

typedef struct dpic {
    dpart *parts;
    size_t n, cap;
} dpic;

static void dpic_push(jn_ctx *cx, dpic *d, const dpart *p)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        dpart *np = jn_alloc(cx, cap * sizeof *np);
        if (d->n)
            memcpy(np, d->parts, d->n * sizeof *np);
        d->parts = np;
        d->cap = cap;
    }
    d->parts[d->n++] = *p;
}

static void add_literal(jn_ctx *cx, dpic *d, const char *pic, size_t start, size_t end)
{
    if (end <= start)
        return;
    char *t = jn_alloc(cx, end - start + 1);
    size_t k = 0;
    for (size_t i = start; i < end; i++) {
        t[k++] = pic[i];
        if (pic[i] == ']' && i + 1 < end && pic[i + 1] == ']')
            i++;
    }
    dpart p = {.literal = true, .text = t, .len = k};
    dpic_push(cx, d, &p);
}

static const char *default_presentation(uint32_t c)
{
    switch (c) {
    case 'Y': case 'M': case 'D': case 'd': case 'W': case 'w': case 'X': case 'x':
    case 'H': case 'h': case 'f':
        return "1";
    case 'F': case 'P': case 'C': case 'E':
        return "n";
    case 'm': case 's':
        return "01";
    case 'Z': case 'z':
        return "01:01";
    default:
        return NULL;
    }
}

/* parseWidth(): '*' is no limit (NaN here); otherwise parseInt. */
static double width_value(jn_ctx *cx, const char *s, size_t len)
{
    if (len == 1 && s[0] == '*')
        return NAN;
    return js_parse_int(cx, s, len);
}

/* analyseDateTimePicture. */
static void analyse_datetime(jn_ctx *cx, const char *pic, size_t len, dpic *d)
{
    memset(d, 0, sizeof *d);
    size_t start = 0, pos = 0;
    while (pos < len) {
        if (pic[pos] == '[') {
            if (pos + 1 < len && pic[pos + 1] == '[') {
                /* a literal [ */
                add_literal(cx, d, pic, start, pos);
                dpart lb = {.literal = true, .text = "[", .len = 1};
                dpic_push(cx, d, &lb);
                pos += 2;
                start = pos;
                continue;
            }
            add_literal(cx, d, pic, start, pos);
            start = pos;
            const char *close = memchr(pic + start, ']', len - start);
            if (!close)
                jn_fail(cx, "D3135", NULL, NULL, -1);
            pos = (size_t)(close - pic);

            /* white space within a marker is ignored */
            char *m = jn_alloc(cx, pos - start + 1);
            size_t ml = 0;
            for (size_t i = start + 1; i < pos;) {
                size_t i0 = i;
                if (!js_space(utf8_get(pic, pos, &i))) {
                    memcpy(m + ml, pic + i0, i - i0);
                    ml += i - i0;
                }
            }
            dpart p = {.n = -1, .wmin = NAN, .wmax = NAN};
            size_t clen = 0;
            if (ml > 0)
                p.comp = utf8_get(m, ml, &clen);
            p.comp_text = m;
            p.comp_len = clen;

            const char *pres = m + clen;
            size_t pres_len = ml - clen;
            const char *comma = NULL;
            for (size_t i = ml; i-- > 0;) {
                if (m[i] == ',') {
                    comma = m + i;
                    break;
                }
            }
            if (comma) {
                /* the width modifier: min or min-max */
                const char *w = comma + 1;
                size_t wl = (size_t)(m + ml - w);
                const char *dash = memchr(w, '-', wl);
                p.has_width = true;
                if (!dash) {
                    p.wmin = width_value(cx, w, wl);
                } else {
                    p.wmin = width_value(cx, w, (size_t)(dash - w));
                    p.wmax = width_value(cx, dash + 1, (size_t)(w + wl - dash - 1));
                    p.wmax_def = !(w + wl - dash - 1 == 1 && dash[1] == '*');
                }
                if (comma >= m + clen) {
                    pres_len = (size_t)(comma - pres);
                } else {
                    /* substring(1, 0) swaps its bounds: the comma itself */
                    pres = m;
                    pres_len = clen;
                }
            }
            size_t units = utf16_len(pres, pres_len);
            if (units == 1) {
                p.p1 = pres;
                p.p1_len = pres_len;
            } else if (units > 1) {
                char last = pres[pres_len - 1];
                p.p1 = pres;
                p.p1_len = pres_len;
                if (last == 'a' || last == 't' || last == 'c' || last == 'o') {
                    /* 'o' ordinal; 'c' cardinal (the default); 'a' and 't'
                     * are read and ignored */
                    p.p2 = last;
                    p.p1_len--;
                }
            } else {
                p.p1 = ml > 0 ? default_presentation(p.comp) : NULL;
                p.p1_len = p.p1 ? strlen(p.p1) : 0;
            }
            if (!p.p1)
                jn_fail(cx, "D3132", NULL, jn_string(cx, m, clen), -1);

            if (p.p1[0] == 'n') {
                p.names = NAMES_LOWER;
            } else if (p.p1[0] == 'N') {
                p.names = p.p1_len > 1 && p.p1[1] == 'n' ? NAMES_TITLE : NAMES_UPPER;
            } else if (in_set(p.comp, "YMDdFWwXxHhmsf")) {
                char *ip = jn_alloc(cx, p.p1_len + 3);
                memcpy(ip, p.p1, p.p1_len);
                size_t il = p.p1_len;
                if (p.p2) {
                    ip[il++] = ';';
                    ip[il++] = p.p2;
                }
                jn_analyse_integer(cx, ip, il, &p.fmt);
                p.has_int = true;
                if (p.has_width && p.fmt.mandatory < p.wmin)
                    p.fmt.mandatory = p.wmin;
                if (in_set(p.comp, "YMD")) {
                    /* the digits of a year (9.8.4.4), also of a month
                     * and a day in jsonata-js */
                    p.n = -1;
                    if (p.has_width && p.wmax_def) {
                        p.n = p.wmax;
                        p.fmt.mandatory = p.n;
                    } else {
                        double w = p.fmt.mandatory + p.fmt.optional;
                        if (w >= 2)
                            p.n = w;
                    }
                }
            }
            if (p.comp == 'Z' || p.comp == 'z') {
                jn_analyse_integer(cx, p.p1, p.p1_len, &p.fmt);
                p.has_int = true;
            }
            dpic_push(cx, d, &p);
            start = pos + 1;
        }
        pos++;
    }
    add_literal(cx, d, pic, start, len);
}

static const char *const iso_picture = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]";

static const char *const day_names[8] = {"",         "Monday", "Tuesday",  "Wednesday",
                                         "Thursday", "Friday", "Saturday", "Sunday"};
static const char *const month_names[12] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

/* ---- the calendar (ECMAScript's, proleptic Gregorian, UTC) -------------- */

/* TimeClip: NaN outside +-8.64e15, else the integer part. */
static double time_clip(double t)
{
    if (!isfinite(t) || fabs(t) > MAX_TIME)
        return NAN;
    return trunc(t) + 0.0;
}

/* MakeDay as V8 computes it (years within +-1e6, months within +-1e7). */
static double make_day(double year, double month, double date)
{
    if (!(year >= -1000000 && year <= 1000000) || !(month >= -10000000 && month <= 10000000) ||
        !isfinite(date))
        return NAN;
    int64_t y = (int64_t)year, m = (int64_t)month;
    y += m / 12;
    m %= 12;
    if (m < 0) {
        m += 12;
        y -= 1;
    }
    return (double)aslrtp_days_from_civil(y, m + 1, 1) + trunc(date) - 1;
}

static double make_time(double h, double m, double s, double ms)
{
    if (!isfinite(h) || !isfinite(m) || !isfinite(s) || !isfinite(ms))
        return NAN;
    return trunc(h) * 3600000 + trunc(m) * 60000 + trunc(s) * 1000 + trunc(ms);
}

static double make_date(double day, double time)
{
    if (!isfinite(day) || !isfinite(time))
        return NAN;
    return day * MS_PER_DAY + time;
}

/* Date.UTC(y, mo, d, h, mi, s, ms): years 0 to 99 are 1900 to 1999. */
static double date_utc(double y, double mo, double d, double h, double mi, double s,
                       double ms)
{
    if (!isnan(y)) {
        double yi = trunc(y);
        if (yi >= 0 && yi <= 99)
            y = 1900 + yi;
    }
    return time_clip(make_date(make_day(y, mo, d), make_time(h, mi, s, ms)));
}

/* A Date's UTC fields (all NaN for an invalid date). */
typedef struct jdate {
    double t, year, month, day, wday, hours, minutes, seconds, ms;
} jdate;

static void date_of(double t, jdate *d)
{
    d->t = t;
    if (isnan(t)) {
        d->year = d->month = d->day = d->wday = NAN;
        d->hours = d->minutes = d->seconds = d->ms = NAN;
        return;
    }
    double days = floor(t / MS_PER_DAY), in_day = t - days * MS_PER_DAY;
    int64_t y;
    int m, dd;
    aslrtp_civil_from_days((int64_t)days, &y, &m, &dd);
    d->year = (double)y;
    d->month = m - 1;
    d->day = dd;
    int64_t wd = ((int64_t)days + 4) % 7;
    d->wday = (double)(wd < 0 ? wd + 7 : wd);
    d->hours = floor(in_day / 3600000);
    d->minutes = floor(fmod(in_day, 3600000) / 60000);
    d->seconds = floor(fmod(in_day, 60000) / 1000);
    d->ms = fmod(in_day, 1000);
}

static double weekday_of(double t)
{
    jdate d;
    date_of(t, &d);
    return d.wday;
}

/* ISO 8601's first week (of a year, or as XPath extends it, of a month):
 * the one with the first Thursday, starting on Monday. */
static double start_of_first_week(double year, double month)
{
    double jan1 = date_utc(year, month, 1, 0, 0, 0, 0);
    double dow = weekday_of(jan1);
    if (dow == 0)
        dow = 7;
    return dow > 4 ? jan1 + (8 - dow) * MS_PER_DAY : jan1 - (dow - 1) * MS_PER_DAY;
}

static double delta_weeks(double start, double end)
{
    return (end - start) / (MS_PER_DAY * 7) + 1;
}

enum { V_UNDEF, V_NUM, V_STR };

/* A JavaScript value as getDateTimeFragment returns it. */
typedef struct jval {
    int kind;
    double num;
    const char *str;
} jval;

static jval vnum(double x)
{
    jval v = {V_NUM, x, NULL};
    return v;
}

/* getDateTimeFragment. */
static jval fragment(const jdate *d, uint32_t comp)
{
    jval v = {V_UNDEF, 0, NULL};
    switch (comp) {
    case 'Y':
        return vnum(d->year);
    case 'M':
        return vnum(d->month + 1);
    case 'D':
        return vnum(d->day);
    case 'd': {
        double today = date_utc(d->year, d->month, d->day, 0, 0, 0, 0);
        double jan1 = date_utc(d->year, 0, 1, 0, 0, 0, 0);
        return vnum((today - jan1) / MS_PER_DAY + 1);
    }
    case 'F':
        return vnum(d->wday == 0 ? 7 : d->wday);
    case 'W': {
        double start = start_of_first_week(d->year, 0);
        double today = date_utc(d->year, d->month, d->day, 0, 0, 0, 0);
        double week = delta_weeks(start, today);
        if (week > 52) {
            if (today >= start_of_first_week(d->year + 1, 0))
                week = 1;
        } else if (week < 1) {
            week = delta_weeks(start_of_first_week(d->year - 1, 0), today);
        }
        return vnum(floor(week));
    }
    case 'w': {
        double start = start_of_first_week(d->year, d->month);
        double today = date_utc(d->year, d->month, d->day, 0, 0, 0, 0);
        double week = delta_weeks(start, today);
        if (week > 4) {
            double ny = d->month == 11 ? d->year + 1 : d->year;
            double nm = d->month == 11 ? 0 : d->month + 1;
            if (today >= start_of_first_week(ny, nm))
                week = 1;
        } else if (week < 1) {
            double py = d->month == 0 ? d->year - 1 : d->year;
            double pm = d->month == 0 ? 11 : d->month - 1;
            week = delta_weeks(start_of_first_week(py, pm), today);
        }
        return vnum(floor(week));
    }
    case 'X': {
        /* the ISO week-numbering year */
        if (d->t < start_of_first_week(d->year, 0))
            return vnum(d->year - 1);
        if (d->t >= start_of_first_week(d->year + 1, 0))
            return vnum(d->year + 1);
        return vnum(d->year);
    }
    case 'x': {
        /* the month its week of the month belongs to */
        double ny = d->month == 11 ? d->year + 1 : d->year;
        double nm = d->month == 11 ? 0 : d->month + 1;
        if (d->t < start_of_first_week(d->year, d->month))
            return vnum((d->month == 0 ? 11 : d->month - 1) + 1);
        if (d->t >= start_of_first_week(ny, nm))
            return vnum(nm + 1);
        return vnum(d->month + 1);
    }
    case 'H':
        return vnum(d->hours);
    case 'h': {
        double h = fmod(d->hours, 12);
        return vnum(h == 0 ? 12 : h);
    }
    case 'P':
        v.kind = V_STR;
        v.str = d->hours >= 12 ? "pm" : "am";
        return v;
    case 'm':
        return vnum(d->minutes);
    case 's':
        return vnum(d->seconds);
    case 'f':
        return vnum(d->ms);
    case 'C': /* calendar */
    case 'E': /* era */
        v.kind = V_STR;
        v.str = "ISO";
        return v;
    default: /* Z and z: the date is UTC; and unknown components */
        return v;
    }
}

/* formatComponent: one marker of formatDateTime, appended to out. */
static void format_component(jn_ctx *cx, const jdate *d, const dpart *p, double oh, double om,
                             double t, sbuf *out)
{
    jval v = fragment(d, p->comp);
    if (in_set(p->comp, "YMDdFWwXxHhms")) {
        if (p->comp == 'Y' && p->n != -1)
            v.num = fmod(v.num, pow(10, p->n));
        if (p->names) {
            const char *name = NULL;
            if (p->comp == 'M' || p->comp == 'x') {
                double i = v.num - 1;
                if (i >= 0 && i < 12 && i == floor(i))
                    name = month_names[(int)i];
            } else if (p->comp == 'F') {
                if (v.num >= 0 && v.num < 8 && v.num == floor(v.num))
                    name = day_names[(int)v.num];
            } else {
                jn_fail(cx, "D3133", NULL, jn_string(cx, p->comp_text, p->comp_len), -1);
            }
            if (!name) {
                /* an invalid date: JavaScript would call a method of
                 * undefined */
                if (p->names != NAMES_TITLE || p->has_width)
                    fail_range(cx, t);
                sb_adds(out, "undefined");
                return;
            }
            size_t from = out->len;
            sb_adds(out, name);
            for (size_t i = from; i < out->len; i++) {
                if (p->names == NAMES_UPPER)
                    out->p[i] = ascii_upper(out->p[i]);
                else if (p->names == NAMES_LOWER)
                    out->p[i] = ascii_lower(out->p[i]);
            }
            if (p->has_width && (double)(out->len - from) > p->wmax)
                out->len = from + js_clamp(p->wmax, out->len - from);
        } else {
            jn_format_int(cx, v.num, &p->fmt, out);
        }
    } else if (p->comp == 'f') {
        if (!p->has_int)        /* [fN]: JavaScript formats with no format */
            jn_fail(cx, "D3133", NULL, jn_string(cx, p->comp_text, p->comp_len), -1);
        jn_format_int(cx, v.num, &p->fmt, out);
    } else if (p->comp == 'Z' || p->comp == 'z') {
        /* 9.8.4.6: the offset */
        double offset = oh * 100 + om;
        sbuf z;
        sb_init(&z, cx);
        if (p->fmt.regular) {
            jn_format_int(cx, offset, &p->fmt, &z);
        } else {
            double digits = p->fmt.mandatory;
            if (digits == 1 || digits == 2) {
                jn_format_int(cx, oh, &p->fmt, &z);
                if (om != 0) {
                    sb_adds(&z, ":");
                    jn_format_integer_pic(cx, om, "00", 2, &z);
                }
            } else if (digits == 3 || digits == 4) {
                jn_format_int(cx, offset, &p->fmt, &z);
            } else {
                jn_fail(cx, "D3134", NULL, isnan(digits) ? NULL : jn_number(cx, digits), -1);
            }
        }
        if (offset == 0 && p->p2 == 't') {
            sb_adds(out, "Z");
            return;
        }
        if (p->comp == 'z')
            sb_adds(out, "GMT");
        if (offset >= 0)
            sb_adds(out, "+");
        sb_add(out, z.p ? z.p : "", z.len);
    } else if (p->comp == 'P') {
        /* 9.8.4.7: am/pm, upper case on request */
        size_t from = out->len;
        sb_adds(out, v.str);
        if (p->names == NAMES_UPPER)
            for (size_t i = from; i < out->len; i++)
                out->p[i] = ascii_upper(out->p[i]);
    } else if (v.kind == V_STR) {
        sb_adds(out, v.str);
    } else if (v.kind == V_NUM) {
        sb_jsnum(out, v.num);
    } else {
        sb_adds(out, "undefined");
    }
}

/* formatDateTime(millis, picture, timezone); picture and timezone may be
 * NULL (ISO 8601, UTC). */
static jn_value *format_datetime(jn_ctx *cx, double millis, const jn_value *picture,
                                 const jn_value *timezone)
{
    double oh = 0, om = 0;
    if (timezone) {
        /* "+hhmm", read by parseInt */
        double offset = js_parse_int(cx, timezone->u.string.s, timezone->u.string.len);
        oh = floor(offset / 100);
        om = fmod(offset, 100);
    }
    dpic spec;
    if (picture)
        analyse_datetime(cx, picture->u.string.s, picture->u.string.len, &spec);
    else
        analyse_datetime(cx, iso_picture, strlen(iso_picture), &spec);

    double t = millis + (60 * oh + om) * 60 * 1000;
    jdate d;
    date_of(time_clip(t), &d);
    sbuf out;
    sb_init(&out, cx);
    for (size_t i = 0; i < spec.n; i++) {
        const dpart *p = &spec.parts[i];
        if (p->literal)
            sb_add(&out, p->text, p->len);
        else
            format_component(cx, &d, p, oh, om, t, &out);
    }
    return sb_value(&out);
}

/* ==== parsing a timestamp with a picture (parseDateTime) ================ */

/* The matcher of one part: what the part's regular expression in
 * datetime.js's generateRegex matches. */
enum { MK_LIT, MK_CLASS, MK_WORDS, MK_TZ };
enum { CL_DIGIT, CL_ALPHA, CL_ROMAN };
enum { PK_NONE, PK_INT, PK_TZ, PK_NAME };

typedef struct mpart {
    int kind;                   /* MK_* */
    int cls;                    /* MK_CLASS: CL_* ([0-9], [a-zA-Z], [MDCLXVI] with i) */
    int parse;                  /* PK_*: how the capture becomes a component */
    const char *lit;            /* MK_LIT; MK_CLASS: text after a bad quantifier */
    size_t lit_len;
    size_t qmin, qmax;          /* MK_CLASS: {qmin,qmax} (+ is 1 to SIZE_MAX) */
    bool ordinal;               /* MK_CLASS: (?:th|st|nd|rd) follows */
    bool gmt;                   /* MK_TZ: GMT first */
    bool has_sep;               /* MK_TZ: [-+][0-9]+ sep [0-9]+ */
    uint32_t sep;
    const dpart *part;
} mpart;

/* Where the matcher stands in one part: the candidate ends it has still to
 * offer, in the order JavaScript's backtracking tries them. */
typedef struct mframe {
    size_t start, end;
    bool done;
    size_t a, b;                /* the next run length to try, plus one */
    size_t base, qs;            /* MK_TZ: after the sign; after the separator */
    size_t *wpos;               /* MK_WORDS: the iterations' stack */
    size_t *walt;
    size_t wn, wcap;
} mframe;

/* Failed (part, position) pairs: the rest of the expression cannot match
 * from there, whatever came before (there are no back-references). */
typedef struct memo {
    jn_ctx *cx;
    uint64_t *keys;             /* key + 1; 0 is free */
    size_t n, cap;
} memo;

static size_t memo_slot(const memo *m, uint64_t key)
{
    size_t i = (size_t)((key + 1) * 0x9E3779B97F4A7C15ULL >> 17) & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != key + 1)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static bool memo_has(const memo *m, uint64_t key)
{
    return m->cap && m->keys[memo_slot(m, key)] == key + 1;
}

static void memo_add(memo *m, uint64_t key)
{
    if ((m->n + 1) * 2 > m->cap) {
        memo old = *m;
        m->cap = m->cap ? m->cap * 2 : 64;
        m->keys = jn_alloc(m->cx, m->cap * sizeof *m->keys);
        m->n = 0;
        for (size_t i = 0; i < old.cap; i++) {
            if (old.keys[i]) {
                m->keys[memo_slot(m, old.keys[i] - 1)] = old.keys[i];
                m->n++;
            }
        }
    }
    size_t i = memo_slot(m, key);
    if (!m->keys[i]) {
        m->keys[i] = key + 1;
        m->n++;
    }
}

static bool class_has(int cls, unsigned char c)
{
    switch (cls) {
    case CL_DIGIT:
        return c >= '0' && c <= '9';
    case CL_ALPHA:
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    default:
        return c && strchr("MDCLXVImdclxvi", c) != NULL;
    }
}

static size_t run_of(int cls, const char *s, size_t len, size_t pos)
{
    size_t k = 0;
    while (pos + k < len && class_has(cls, (unsigned char)s[pos + k]))
        k++;
    return k;
}

/* (?:th|st|nd|rd) at pos, case-insensitively. */
static size_t ordinal_suffix(const char *s, size_t len, size_t pos)
{
    static const char *const sfx[] = {"th", "st", "nd", "rd"};
    for (int i = 0; i < 4; i++) {
        size_t e = match_ci(s, len, pos, sfx[i], 2);
        if (e != NONE)
            return e;
    }
    return NONE;
}

/* The separator of a time zone, pasted into the expression as it is: '.'
 * matches any character but a line terminator. */
static size_t sep_match(const mpart *m, const char *s, size_t len, size_t pos)
{
    if (pos >= len)
        return NONE;
    if (m->sep == '.') {
        size_t i = pos;
        uint32_t c = utf8_get(s, len, &i);
        return c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029 ? NONE : i;
    }
    char t[4];
    return match_ci(s, len, pos, t, aslrtp_utf8_encode(m->sep, t));
}

/* The alternatives of the expression for words:
 * (?:zero|one|...|trillionth|and|[\-, ])+, tried in that order. */
static bool next_word(const char *s, size_t len, size_t pos, size_t *alt, size_t *np)
{
    for (size_t k = *alt; k < jn_nwords + 2; k++) {
        size_t e;
        if (k < jn_nwords)
            e = match_ci(s, len, pos, jn_word_values[k].word, strlen(jn_word_values[k].word));
        else if (k == jn_nwords)
            e = match_ci(s, len, pos, "and", 3);
        else
            e = pos < len && (s[pos] == '-' || s[pos] == ',' || s[pos] == ' ') ? pos + 1 : NONE;
        if (e != NONE) {
            *alt = k + 1;
            *np = e;
            return true;
        }
    }
    *alt = jn_nwords + 2;
    return false;
}

static void frame_init(jn_ctx *cx, const mpart *m, mframe *f, const char *s, size_t len,
                       size_t start)
{
    f->start = start;
    f->done = false;
    f->a = f->b = 0;
    switch (m->kind) {
    case MK_CLASS: {
        size_t run = run_of(m->cls, s, len, start);
        f->a = (run < m->qmax ? run : m->qmax) + 1;
        break;
    }
    case MK_TZ: {
        size_t p = start;
        f->done = true;
        if (m->gmt && (p = match_ci(s, len, p, "GMT", 3)) == NONE)
            break;
        if (p >= len || (s[p] != '-' && s[p] != '+'))
            break;
        f->base = p + 1;
        f->a = run_of(CL_DIGIT, s, len, f->base) + 1;
        f->done = false;
        break;
    }
    case MK_WORDS:
        if (f->wcap == 0) {
            f->wcap = 16;
            f->wpos = jn_alloc(cx, f->wcap * sizeof *f->wpos);
            f->walt = jn_alloc(cx, f->wcap * sizeof *f->walt);
        }
        f->wn = 1;
        f->wpos[0] = start;
        f->walt[0] = 0;
        break;
    default:
        break;
    }
}

/* The matcher's state: the input, the memo, and a bound on the work (the
 * expressions jsonata-js builds can backtrack for a very long time on long
 * inputs; JavaScript would hang where this gives up). */
typedef struct matcher {
    jn_ctx *cx;
    const char *s;
    size_t len;
    memo seen;
    unsigned long steps;
} matcher;

#define MATCH_BUDGET 20000000UL
#define WORD_KEY (1ULL << 63)

static void match_step(matcher *mt)
{
    if (++mt->steps > MATCH_BUDGET)
        jn_fail_msg(mt->cx, "U1001",
                    "Expression evaluation timeout: the timestamp is too long to match its "
                    "picture string");
}

/* The next place part i (m) may end, or false when it has no more. */
static bool frame_next(matcher *mt, size_t i, const mpart *m, mframe *f, size_t *end)
{
    jn_ctx *cx = mt->cx;
    const char *s = mt->s;
    size_t len = mt->len;
    match_step(mt);
    switch (m->kind) {
    case MK_LIT:
        if (f->done)
            return false;
        f->done = true;
        *end = match_ci(s, len, f->start, m->lit, m->lit_len);
        return *end != NONE;
    case MK_CLASS:
        /* greedy: the longest run first */
        while (f->a > m->qmin) {
            size_t q = f->start + --f->a;
            if (m->lit && (q = match_ci(s, len, q, m->lit, m->lit_len)) == NONE)
                continue;
            if (m->ordinal && (q = ordinal_suffix(s, len, q)) == NONE)
                continue;
            *end = q;
            return true;
        }
        return false;
    case MK_TZ:
        if (f->done)
            return false;
        if (!m->has_sep) {
            if (f->a <= 1)
                return false;
            *end = f->base + --f->a;
            return true;
        }
        for (;;) {
            if (f->b > 1) {
                *end = f->qs + --f->b;
                return true;
            }
            if (f->a <= 1)
                return false;
            size_t qs = sep_match(m, s, len, f->base + --f->a);
            f->b = 0;
            if (qs != NONE) {
                f->qs = qs;
                f->b = run_of(CL_DIGIT, s, len, qs) + 1;
            }
        }
    case MK_WORDS:
        /* a greedy loop: after each iteration the next one is tried
         * first, so an iteration's end is offered once everything after
         * it has failed.  What follows an iteration ending at q depends on
         * q alone: once q and all that follows it have failed, later
         * attempts of this part skip it. */
        if (f->b) {
            memo_add(&mt->seen, WORD_KEY | (uint64_t)i << 40 | f->qs);
            f->b = 0;
        }
        while (f->wn > 0) {
            size_t top = f->wn - 1, np;
            match_step(mt);
            if (next_word(s, len, f->wpos[top], &f->walt[top], &np)) {
                if (memo_has(&mt->seen, WORD_KEY | (uint64_t)i << 40 | np))
                    continue;
                if (f->wn == f->wcap) {
                    size_t cap = f->wcap * 2;
                    size_t *pos = jn_alloc(cx, cap * sizeof *pos);
                    size_t *alt = jn_alloc(cx, cap * sizeof *alt);
                    memcpy(pos, f->wpos, f->wn * sizeof *pos);
                    memcpy(alt, f->walt, f->wn * sizeof *alt);
                    f->wpos = pos;
                    f->walt = alt;
                    f->wcap = cap;
                }
                f->wpos[f->wn] = np;
                f->walt[f->wn] = 0;
                f->wn++;
                continue;
            }
            f->wn--;
            if (top > 0) {
                *end = f->qs = f->wpos[top];
                f->b = 1;       /* mark it failed when asked again */
                return true;
            }
        }
        return false;
    default:
        return false;
    }
}

/* ^(part)(part)...$ against s: true with every frame's start and end. */
static bool match_parts(jn_ctx *cx, const mpart *m, mframe *f, size_t n, const char *s,
                        size_t len)
{
    matcher mt = {.cx = cx, .s = s, .len = len, .seen = {.cx = cx}};
    if (n == 0)
        return len == 0;
    size_t i = 0;
    frame_init(cx, &m[0], &f[0], s, len, 0);
    for (;;) {
        size_t e;
        if (frame_next(&mt, i, &m[i], &f[i], &e)) {
            f[i].end = e;
            if (i + 1 == n) {
                if (e == len)
                    return true;
                continue;
            }
            if (memo_has(&mt.seen, (uint64_t)(i + 1) << 40 | e))
                continue;
            i++;
            frame_init(cx, &m[i], &f[i], s, len, e);
        } else {
            memo_add(&mt.seen, (uint64_t)i << 40 | f[i].start);
            if (i == 0)
                return false;
            i--;
        }
    }
}

/* generateRegex for a date/time picture. */
static mpart *gen_matchers(jn_ctx *cx, const dpic *d)
{
    mpart *ms = jn_alloc(cx, (d->n + 1) * sizeof *ms);
    for (size_t i = 0; i < d->n; i++) {
        const dpart *p = &d->parts[i];
        mpart *m = &ms[i];
        m->part = p;
        if (p->literal) {
            m->kind = MK_LIT;
            m->lit = p->text;
            m->lit_len = p->len;
        } else if (p->comp == 'Z' || p->comp == 'z') {
            m->kind = MK_TZ;
            m->parse = PK_TZ;
            m->gmt = p->comp == 'z';
            m->has_sep = p->fmt.primary == FMT_DECIMAL && p->fmt.regular;
            m->sep = p->fmt.reg_cp;
        } else if (p->has_int) {
            m->parse = PK_INT;
            m->qmin = 1;
            m->qmax = SIZE_MAX;
            switch (p->fmt.primary) {
            case FMT_LETTERS:
                m->kind = MK_CLASS;
                m->cls = CL_ALPHA;
                break;
            case FMT_ROMAN:
                m->kind = MK_CLASS;
                m->cls = CL_ROMAN;
                break;
            case FMT_WORDS:
                m->kind = MK_WORDS;
                break;
            case FMT_DECIMAL: {
                /* [0-9]{n} or [0-9]{n-optional,n} where the picture fixes
                 * the width of a year, month or day, else [0-9]+ */
                m->kind = MK_CLASS;
                m->cls = CL_DIGIT;
                m->ordinal = p->fmt.ordinal;
                double n = p->n, lo = n - p->fmt.optional;
                if (n > 0) {
                    if (lo >= 0 && n < 1e21) {
                        m->qmin = (size_t)lo;
                        m->qmax = (size_t)n;
                    } else {
                        /* "[0-9]{-2,2}" holds no quantifier: one digit,
                         * then that text */
                        sbuf t;
                        sb_init(&t, cx);
                        sb_adds(&t, "{");
                        if (p->fmt.optional != 0) {
                            sb_jsnum(&t, lo);
                            sb_adds(&t, ",");
                        }
                        sb_jsnum(&t, n);
                        sb_adds(&t, "}");
                        m->qmin = m->qmax = 1;
                        m->lit = t.p;
                        m->lit_len = t.len;
                    }
                }
                break;
            }
            default:
                jn_fail(cx, "D3130", NULL, jn_string(cx, p->fmt.token, p->fmt.token_len), -1);
            }
        } else {
            /* a month or day name, or am/pm */
            if (p->comp != 'M' && p->comp != 'x' && p->comp != 'F' && p->comp != 'P')
                jn_fail(cx, "D3133", NULL, jn_string(cx, p->comp_text, p->comp_len), -1);
            m->kind = MK_CLASS;
            m->cls = CL_ALPHA;
            m->qmin = 1;
            m->qmax = SIZE_MAX;
            m->parse = PK_NAME;
        }
    }
    return ms;
}

/* The minutes of a time zone offset, as its parse() reads them. */
static double tz_parse(jn_ctx *cx, const mpart *m, const char *s, size_t len)
{
    if (m->gmt) {
        s += 3;
        len -= 3;
    }
    double hours = 0, minutes = 0;
    if (m->has_sep) {
        char t[4];
        size_t tl = aslrtp_utf8_encode(m->sep, t);
        const char *at = NULL;
        for (size_t i = 0; i + tl <= len && !at; i++)
            if (memcmp(s + i, t, tl) == 0)
                at = s + i;
        if (!at) {
            /* indexOf gives -1: substring(0, -1) is empty, substring(0)
             * everything */
            hours = NAN;
            minutes = js_parse_int(cx, s, len);
        } else {
            hours = js_parse_int(cx, s, (size_t)(at - s));
            /* substring(index + 1) skips one UTF-16 unit */
            minutes = tl == 4 ? NAN : js_parse_int(cx, at + tl, (size_t)(s + len - at - tl));
        }
    } else if (utf16_len(s, len) - 1 <= 2) {
        hours = js_parse_int(cx, s, len);
    } else {
        hours = js_parse_int(cx, s, 3);
        minutes = js_parse_int(cx, s + 3, len - 3);
    }
    return hours * 60 + minutes;
}

/* A month or day name (exactly as written, or its first width.max
 * characters), or am/pm: 1-based, or NaN (undefined). */
static bool name_parse(const dpart *p, const char *s, size_t len, double *out)
{
    bool cut = p->has_width && p->wmax != 0 && !isnan(p->wmax);
    bool found = false;
    if (p->comp == 'P') {
        if ((len == 2 && (memcmp(s, "am", 2) == 0 || memcmp(s, "AM", 2) == 0))) {
            *out = 0;
            return true;
        }
        if ((len == 2 && (memcmp(s, "pm", 2) == 0 || memcmp(s, "PM", 2) == 0))) {
            *out = 1;
            return true;
        }
        return false;
    }
    const char *const *names = p->comp == 'F' ? day_names : month_names;
    int count = p->comp == 'F' ? 8 : 12, first = p->comp == 'F' ? 1 : 0;
    for (int i = first; i < count; i++) {
        size_t nl = strlen(names[i]);
        if (cut)
            nl = js_clamp(p->wmax, nl);
        if (nl == len && memcmp(names[i], s, len) == 0) {
            *out = p->comp == 'F' ? i : i + 1;      /* the last one wins */
            found = true;
        }
    }
    return found;
}

/* The components of a timestamp, as parseDateTime's `components`. */
typedef struct comps {
    bool present[128];          /* the key exists */
    jval v[128];                /* its value (V_UNDEF: undefined) */
} comps;

static bool truthy(const comps *c, char k)
{
    const jval *v = &c->v[(int)k];
    if (v->kind == V_NUM)
        return v->num != 0 && !isnan(v->num);
    return v->kind == V_STR && v->str[0];
}

static double num_of(const comps *c, char k)
{
    return c->v[(int)k].kind == V_NUM ? c->v[(int)k].num : NAN;
}

/* parseDateTime: the millis, or false for undefined. */
static bool parse_datetime(jn_ctx *cx, const char *s, size_t len, const char *pic,
                           size_t pic_len, double *result)
{
    dpic spec;
    analyse_datetime(cx, pic, pic_len, &spec);
    mpart *ms = gen_matchers(cx, &spec);
    mframe *fr = jn_alloc(cx, (spec.n + 1) * sizeof *fr);
    if (!match_parts(cx, ms, fr, spec.n, s, len))
        return false;

    comps *c = jn_alloc(cx, sizeof *c);
    bool any = false;
    for (size_t i = 0; i < spec.n; i++) {
        const mpart *m = &ms[i];
        const char *v = s + fr[i].start;
        size_t vl = fr[i].end - fr[i].start;
        jval val = {V_UNDEF, 0, NULL};
        switch (m->parse) {
        case PK_INT:
            val = vnum(jn_parse_int_pic(cx, v, vl, &m->part->fmt));
            break;
        case PK_TZ:
            val = vnum(tz_parse(cx, m, v, vl));
            break;
        case PK_NAME: {
            double x = 0;
            if (name_parse(m->part, v, vl, &x))
                val = vnum(x);
            break;
        }
        default:
            continue;
        }
        uint32_t k = m->part->comp;
        if (k < 128) {
            c->present[k] = true;
            c->v[k] = val;
            any = true;
        }
    }
    if (!any)
        return false;           /* nothing specified */

    /* which components make the date and the time: bit masks over
     * YXMxWwdD and PHhmsf (1: relevant, 0: must not appear) */
    enum { DM_A = 161, DM_B = 130, DM_C = 84, DM_D = 72, TM_A = 23, TM_B = 47 };
    unsigned mask = 0;
    for (const char *k = "YXMxWwdD"; *k; k++)
        mask = mask << 1 | truthy(c, *k);
#define IS_TYPE(t) (!(~(unsigned)(t) & mask) && ((t) & mask))
    bool date_a = IS_TYPE(DM_A);
    bool date_b = !date_a && IS_TYPE(DM_B);
    bool date_c = IS_TYPE(DM_C);
    bool date_d = !date_c && IS_TYPE(DM_D);
    mask = 0;
    for (const char *k = "PHhmsf"; *k; k++)
        mask = mask << 1 | truthy(c, *k);
    bool time_a = IS_TYPE(TM_A);
    bool time_b = !time_a && IS_TYPE(TM_B);
#undef IS_TYPE

    const char *date_comps = date_b ? "YD" : date_c ? "XxwF" : date_d ? "XWF" : "YMD";
    const char *time_comps = time_b ? "Phmsf" : "Hmsf";
    char order[16];
    strcpy(order, date_comps);
    strcat(order, time_comps);

    /* before the first given component: now's; after the last: zero (one
     * for months and days); a gap between given ones: D3136 */
    jdate now;
    date_of((double)jn_now_ms(cx), &now);
    bool start_given = false, end_given = false;
    for (const char *k = order; *k; k++) {
        jval *v = &c->v[(int)*k];
        if (v->kind == V_UNDEF) {
            if (start_given) {
                *v = vnum(strchr("MDd", *k) ? 1 : 0);
                end_given = true;
            } else {
                *v = fragment(&now, (uint32_t)*k);
            }
        } else {
            start_given = true;
            if (end_given)
                jn_fail(cx, "D3136", NULL, NULL, -1);
        }
    }

    double month = num_of(c, 'M');
    month = month > 0 ? month - 1 : 0;          /* Date.UTC counts from 0 */
    double day = num_of(c, 'D');
    if (date_b) {
        double jan1 = date_utc(num_of(c, 'Y'), 0, 1, 0, 0, 0, 0);
        jdate derived;
        date_of(time_clip(jan1 + (num_of(c, 'd') - 1) * MS_PER_DAY), &derived);
        month = derived.month;
        day = derived.day;
    }
    if (date_c || date_d)       /* week dates: not supported by jsonata-js */
        jn_fail(cx, "D3136", NULL, NULL, -1);
    double hours = num_of(c, 'H');
    if (time_b) {
        double h = num_of(c, 'h');
        hours = h == 12 ? 0 : h;
        if (c->v['P'].kind == V_NUM && c->v['P'].num == 1)
            hours += 12;
    }
    double millis = date_utc(num_of(c, 'Y'), month, day, hours, num_of(c, 'm'),
                             num_of(c, 's'), num_of(c, 'f'));
    if (truthy(c, 'Z'))
        millis -= num_of(c, 'Z') * 60 * 1000;
    else if (truthy(c, 'z'))
        millis -= num_of(c, 'z') * 60 * 1000;
    *result = millis;
    return true;
}

/* ==== $toMillis without a picture: ISO 8601 and V8's Date.parse ========= */

static bool dig(char c) { return c >= '0' && c <= '9'; }

/* (-[0-3]\d)*(T[0-2]\d:[0-5]\d:[0-5]\d)*(\.\d+)? over all of s: what
 * remains of datetime.js's iso8601regex once the year and the time zone
 * are off (the starts '-', 'T' and '.' tell its parts apart). */
static bool iso_middle(const char *s, size_t n)
{
    size_t i = 0;
    while (i + 3 <= n && s[i] == '-' && s[i + 1] >= '0' && s[i + 1] <= '3' && dig(s[i + 2]))
        i += 3;
    while (i + 9 <= n && s[i] == 'T' && s[i + 1] >= '0' && s[i + 1] <= '2' && dig(s[i + 2]) &&
           s[i + 3] == ':' && s[i + 4] >= '0' && s[i + 4] <= '5' && dig(s[i + 5]) &&
           s[i + 6] == ':' && s[i + 7] >= '0' && s[i + 7] <= '5' && dig(s[i + 8]))
        i += 9;
    if (i < n && s[i] == '.') {
        if (++i >= n)
            return false;
        while (i < n && dig(s[i]))
            i++;
    }
    return i == n;
}

/* ^\d{4}(-[01]\d)*(-[0-3]\d)*(T[0-2]\d:[0-5]\d:[0-5]\d)*(\.\d+)?
 *  ([+-][0-2]\d:?[0-5]\d|Z)?$ */
static bool iso_valid(const char *s, size_t n)
{
    if (n < 4 || !dig(s[0]) || !dig(s[1]) || !dig(s[2]) || !dig(s[3]))
        return false;
    s += 4;
    n -= 4;
    if (iso_middle(s, n))
        return true;
    if (n >= 1 && s[n - 1] == 'Z' && iso_middle(s, n - 1))
        return true;
    for (size_t tl = 5; tl <= 6; tl++) {
        if (n < tl)
            continue;
        const char *t = s + n - tl;
        if ((t[0] != '+' && t[0] != '-') || t[1] < '0' || t[1] > '2' || !dig(t[2]))
            continue;
        if (tl == 6 && t[3] != ':')
            continue;
        if (t[tl - 2] < '0' || t[tl - 2] > '5' || !dig(t[tl - 1]))
            continue;
        if (iso_middle(s, n - tl))
            return true;
    }
    return false;
}

/* V8's DateParser (src/date/dateparser*.{h,cc}): the ES5 ISO format
 * first, then its legacy parser for whatever the ES5 one leaves. */
#define KNONE INT_MAX

enum { TK_INVALID, TK_UNKNOWN, TK_WS, TK_NUM, TK_SYM, TK_END, TK_KW };
enum { KW_INVALID, KW_MONTH, KW_TZ, KW_TSEP, KW_AMPM };

typedef struct dtok {
    int tag, kw;                /* TK_*; KW_* for TK_KW */
    int len, value;             /* characters; the number, symbol or keyword value */
} dtok;

typedef struct dscan {
    const char *s;
    size_t n, idx;
    unsigned ch;
    dtok next;
} dscan;

static const struct {
    char w[4];
    int type, value;
} kw_table[] = {
    {"jan", KW_MONTH, 1}, {"feb", KW_MONTH, 2}, {"mar", KW_MONTH, 3}, {"apr", KW_MONTH, 4},
    {"may", KW_MONTH, 5}, {"jun", KW_MONTH, 6}, {"jul", KW_MONTH, 7}, {"aug", KW_MONTH, 8},
    {"sep", KW_MONTH, 9}, {"oct", KW_MONTH, 10}, {"nov", KW_MONTH, 11}, {"dec", KW_MONTH, 12},
    {"am", KW_AMPM, 0}, {"pm", KW_AMPM, 12}, {"ut", KW_TZ, 0}, {"utc", KW_TZ, 0},
    {"z", KW_TZ, 0}, {"gmt", KW_TZ, 0}, {"cdt", KW_TZ, -5}, {"cst", KW_TZ, -6},
    {"edt", KW_TZ, -4}, {"est", KW_TZ, -5}, {"mdt", KW_TZ, -6}, {"mst", KW_TZ, -7},
    {"pdt", KW_TZ, -7}, {"pst", KW_TZ, -8}, {"t", KW_TSEP, 0}};

static void ds_advance(dscan *d)
{
    d->ch = d->idx < d->n ? (unsigned char)d->s[d->idx] : 0;
    d->idx++;
}

static dtok ds_scan(dscan *d)
{
    dtok t = {TK_UNKNOWN, KW_INVALID, 1, -1};
    size_t pre = d->idx;
    if (d->ch == 0) {
        t.tag = TK_END;
        t.len = 0;
        return t;
    }
    if (dig((char)d->ch)) {
        /* at most 9 significant digits count; leading zeros do not */
        int v = 0, i = 0;
        while (d->ch == '0')
            ds_advance(d);
        while (dig((char)d->ch)) {
            if (i < 9)
                v = v * 10 + (int)(d->ch - '0');
            i++;
            ds_advance(d);
        }
        t.tag = TK_NUM;
        t.value = v;
        t.len = (int)(d->idx - pre);
        return t;
    }
    if (d->ch == ':' || d->ch == '-' || d->ch == '+' || d->ch == '.' || d->ch == ')') {
        t.tag = TK_SYM;
        t.value = (int)d->ch;
        ds_advance(d);
        return t;
    }
    if (d->ch >= 'A') {
        char pre3[4] = {0};
        int len = 0;
        for (; d->ch >= 'A'; ds_advance(d), len++)
            if (len < 3)
                pre3[len] = ascii_lower((char)d->ch);
        t.tag = TK_KW;
        t.len = len;
        t.kw = KW_INVALID;
        t.value = 0;
        for (size_t i = 0; i < sizeof kw_table / sizeof *kw_table; i++) {
            if (strncmp(kw_table[i].w, pre3, 3) == 0 &&
                (len <= 3 || kw_table[i].type == KW_MONTH)) {
                t.kw = kw_table[i].type;
                t.value = kw_table[i].value;
                break;
            }
        }
        return t;
    }
    if (js_space(d->ch)) {
        ds_advance(d);
        t.tag = TK_WS;
        t.len = (int)(d->idx - pre);
        return t;
    }
    if (d->ch == '(') {
        int balance = 0;
        do {
            if (d->ch == ')')
                --balance;
            else if (d->ch == '(')
                ++balance;
            ds_advance(d);
        } while (balance > 0 && d->ch);
        return t;
    }
    ds_advance(d);
    return t;
}

static dtok ds_next(dscan *d)
{
    dtok r = d->next;
    d->next = ds_scan(d);
    return r;
}

static bool ds_skip(dscan *d, int sym)
{
    if (d->next.tag == TK_SYM && d->next.value == sym) {
        d->next = ds_scan(d);
        return true;
    }
    return false;
}

static bool between(int x, int lo, int hi) { return (unsigned)(x - lo) <= (unsigned)(hi - lo); }
static bool tk_num(dtok t, int len) { return t.tag == TK_NUM && t.len == len; }
static bool tk_sign(dtok t) { return t.tag == TK_SYM && (t.value == '-' || t.value == '+'); }
static bool tk_z(dtok t) { return t.tag == TK_KW && t.kw == KW_TZ && t.len == 1 && t.value == 0; }

typedef struct day_c {
    int comp[3], index, named_month;
    bool iso;
} day_c;
typedef struct time_c {
    int comp[4], index, hour_offset;
} time_c;
typedef struct tz_c {
    int sign, hour, minute;
} tz_c;

static bool day_add(day_c *d, int n)
{
    if (d->index >= 3)
        return false;
    d->comp[d->index++] = n;
    return true;
}
static bool time_add(time_c *t, int n)
{
    if (t->index >= 4)
        return false;
    t->comp[t->index++] = n;
    return true;
}
static bool time_add_final(time_c *t, int n)
{
    if (!time_add(t, n))
        return false;
    while (t->index < 4)
        t->comp[t->index++] = 0;
    return true;
}
static bool time_expecting(const time_c *t, int n)
{
    return (t->index == 1 && between(n, 0, 59)) || (t->index == 2 && between(n, 0, 59)) ||
           (t->index == 3 && between(n, 0, 999));
}
static void tz_set(tz_c *z, int offset_hours)
{
    z->sign = offset_hours < 0 ? -1 : 1;
    z->hour = offset_hours * z->sign;
    z->minute = 0;
}
static bool tz_expecting(const tz_c *z, int n)
{
    return z->hour != KNONE && z->minute == KNONE && between(n, 0, 59);
}

static int read_ms(dtok t)
{
    int number = t.value, length = t.len;
    if (length == 1)
        number *= 100;
    else if (length == 2)
        number *= 10;
    else if (length > 3) {
        if (length > 9)
            length = 9;
        int factor = 1;
        do {
            factor *= 10;
            length--;
        } while (length > 3);
        number /= factor;
    }
    return number;
}

/* ParseES5DateTime: the token to continue with, TK_END when done, or
 * TK_INVALID. */
static dtok parse_es5(dscan *sc, day_c *day, time_c *time, tz_c *tz)
{
    dtok invalid = {TK_INVALID, KW_INVALID, 0, -1}, end = {TK_END, KW_INVALID, 0, -1};
    if (tk_sign(sc->next)) {
        dtok sign = ds_next(sc);
        if (!tk_num(sc->next, 6))
            return sign;
        int year = ds_next(sc).value;
        if (sign.value == '-' && year == 0)
            return sign;
        day_add(day, sign.value == '-' ? -year : year);
    } else if (tk_num(sc->next, 4)) {
        day_add(day, ds_next(sc).value);
    } else {
        return ds_next(sc);
    }
    if (ds_skip(sc, '-')) {
        if (!tk_num(sc->next, 2) || !between(sc->next.value, 1, 12))
            return ds_next(sc);
        day_add(day, ds_next(sc).value);
        if (ds_skip(sc, '-')) {
            if (!tk_num(sc->next, 2) || !between(sc->next.value, 1, 31))
                return ds_next(sc);
            day_add(day, ds_next(sc).value);
        }
    }
    if (!(sc->next.tag == TK_KW && sc->next.kw == KW_TSEP)) {
        if (sc->next.tag != TK_END)
            return ds_next(sc);
    } else {
        ds_next(sc);
        if (!tk_num(sc->next, 2) || !between(sc->next.value, 0, 24))
            return invalid;
        bool hour_24 = sc->next.value == 24;
        time_add(time, ds_next(sc).value);
        if (!ds_skip(sc, ':'))
            return invalid;
        if (!tk_num(sc->next, 2) || !between(sc->next.value, 0, 59) ||
            (hour_24 && sc->next.value > 0))
            return invalid;
        time_add(time, ds_next(sc).value);
        if (ds_skip(sc, ':')) {
            if (!tk_num(sc->next, 2) || !between(sc->next.value, 0, 59) ||
                (hour_24 && sc->next.value > 0))
                return invalid;
            time_add(time, ds_next(sc).value);
            if (ds_skip(sc, '.')) {
                if (sc->next.tag != TK_NUM || (hour_24 && sc->next.value > 0))
                    return invalid;
                time_add(time, read_ms(ds_next(sc)));
            }
        }
        if (tk_z(sc->next)) {
            ds_next(sc);
            tz_set(tz, 0);
        } else if (tk_sign(sc->next)) {
            tz->sign = ds_next(sc).value == '+' ? 1 : -1;
            if (tk_num(sc->next, 4)) {
                int hourmin = ds_next(sc).value, hour = hourmin / 100, min = hourmin % 100;
                if (!between(hour, 0, 23) || !between(min, 0, 59))
                    return invalid;
                tz->hour = hour;
                tz->minute = min;
            } else {
                if (!tk_num(sc->next, 2) || !between(sc->next.value, 0, 23))
                    return invalid;
                tz->hour = ds_next(sc).value;
                if (!ds_skip(sc, ':'))
                    return invalid;
                if (!tk_num(sc->next, 2) || !between(sc->next.value, 0, 59))
                    return invalid;
                tz->minute = ds_next(sc).value;
            }
        }
        if (sc->next.tag != TK_END)
            return invalid;
    }
    /* date-only forms are UTC (date-time forms local, which is UTC here) */
    if (tz->hour == KNONE && time->index == 0)
        tz_set(tz, 0);
    day->iso = true;
    return end;
}

/* Date.parse(s), for the strings that pass iso_valid. */
static double date_parse(const char *s, size_t n)
{
    dscan sc = {.s = s, .n = n};
    ds_advance(&sc);
    sc.next = ds_scan(&sc);
    day_c day = {.named_month = KNONE};
    time_c time = {.hour_offset = KNONE};
    tz_c tz = {KNONE, KNONE, KNONE};

    dtok tok = parse_es5(&sc, &day, &time, &tz);
    if (tok.tag == TK_INVALID)
        return NAN;
    bool has_read_number = day.index > 0;
    for (; tok.tag != TK_END; tok = ds_next(&sc)) {
        if (tok.tag == TK_NUM) {
            has_read_number = true;
            int v = tok.value;
            if (ds_skip(&sc, ':')) {
                if (ds_skip(&sc, ':')) {
                    if (time.index != 0)
                        return NAN;
                    time_add(&time, v);
                    time_add(&time, 0);
                } else {
                    if (!time_add(&time, v))
                        return NAN;
                    if (sc.next.tag == TK_SYM && sc.next.value == '.')
                        ds_next(&sc);
                }
            } else if (ds_skip(&sc, '.') && time_expecting(&time, v)) {
                time_add(&time, v);
                if (sc.next.tag != TK_NUM)
                    return NAN;
                int ms = read_ms(ds_next(&sc));
                if (ms < 0)
                    return NAN;
                time_add_final(&time, ms);
            } else if (tz_expecting(&tz, v)) {
                tz.minute = v;
            } else if (time_expecting(&time, v)) {
                time_add_final(&time, v);
                dtok peek = sc.next;
                if (peek.tag != TK_END && peek.tag != TK_WS && !tk_z(peek) && !tk_sign(peek))
                    return NAN;
            } else {
                if (!day_add(&day, v))
                    return NAN;
                ds_skip(&sc, '-');
            }
        } else if (tok.tag == TK_KW) {
            if (tok.kw == KW_AMPM && time.index != 0) {
                time.hour_offset = tok.value;
            } else if (tok.kw == KW_MONTH) {
                day.named_month = tok.value;
                ds_skip(&sc, '-');
            } else if (tok.kw == KW_TZ && has_read_number) {
                tz_set(&tz, tok.value);
            } else {
                if (has_read_number)
                    return NAN;
                if (sc.next.tag == TK_NUM)
                    return NAN;
            }
        } else if (tk_sign(tok) && ((tz.hour == 0 && tz.minute == 0) || time.index != 0)) {
            tz.sign = tok.value == '+' ? 1 : -1;
            int v = 0, length = 0;
            if (sc.next.tag == TK_NUM) {
                dtok t = ds_next(&sc);
                length = t.len;
                v = t.value;
            }
            has_read_number = true;
            if (sc.next.tag == TK_SYM && sc.next.value == ':') {
                tz.hour = v;
                tz.minute = KNONE;
            } else if (length == 1 || length == 2) {
                tz.hour = v;
                tz.minute = 0;
            } else if (length == 3 || length == 4) {
                tz.hour = v / 100;
                tz.minute = v % 100;
            } else {
                return NAN;
            }
        } else if ((tk_sign(tok) || (tok.tag == TK_SYM && tok.value == ')')) &&
                   has_read_number) {
            return NAN;
        }
    }

    /* DayComposer::Write */
    if (day.index < 1)
        return NAN;
    while (day.index < 3)
        day.comp[day.index++] = 1;
    int year = 0, month, mday;
    if (day.named_month == KNONE) {
        if (day.iso || (day.index == 3 && !between(day.comp[0], 1, 31))) {
            year = day.comp[0];
            month = day.comp[1];
            mday = day.comp[2];
        } else {
            month = day.comp[0];
            mday = day.comp[1];
            if (day.index == 3)
                year = day.comp[2];
        }
    } else {
        month = day.named_month;
        if (day.index == 1) {
            mday = day.comp[0];
        } else if (!between(day.comp[0], 1, 31)) {
            year = day.comp[0];
            mday = day.comp[1];
        } else {
            mday = day.comp[0];
            year = day.comp[1];
        }
    }
    if (!day.iso) {
        if (between(year, 0, 49))
            year += 2000;
        else if (between(year, 50, 99))
            year += 1900;
    }
    if (!between(month, 1, 12) || !between(mday, 1, 31))
        return NAN;
    /* TimeComposer::Write */
    while (time.index < 4)
        time.comp[time.index++] = 0;
    int hour = time.comp[0], minute = time.comp[1], second = time.comp[2],
        msec = time.comp[3];
    if (time.hour_offset != KNONE) {
        if (!between(hour, 0, 12))
            return NAN;
        hour %= 12;
        hour += time.hour_offset;
    }
    if (!between(hour, 0, 23) || !between(minute, 0, 59) || !between(second, 0, 59) ||
        !between(msec, 0, 999)) {
        if (hour != 24 || minute != 0 || second != 0 || msec != 0)
            return NAN;
    }
    /* TimeZoneComposer::Write */
    bool has_offset = tz.sign != KNONE;
    double offset = 0;
    if (has_offset) {
        double h = tz.hour == KNONE ? 0 : tz.hour, m = tz.minute == KNONE ? 0 : tz.minute;
        offset = (h * 3600 + m * 60) * (tz.sign < 0 ? -1 : 1);
        if (h * 3600 + m * 60 > 1073741823.0)
            return NAN;
    }
    double date = make_date(make_day(year, month - 1, mday),
                            make_time(hour, minute, second, msec));
    if (!has_offset) {
        if (!(fabs(date) <= MAX_TIME + 864000000.0))
            return NAN;
    } else {
        date -= offset * 1000;
        if (!(fabs(date) <= MAX_TIME))
            return NAN;
    }
    return time_clip(date);
}

/* ==== the functions ===================================================== */

static jn_value *fn_now(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    return format_datetime(cx, (double)jn_now_ms(cx), ARG(0), ARG(1));
}

static jn_value *fn_millis(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)args, (void)nargs, (void)data;
    return jn_number(cx, (double)jn_now_ms(cx));
}

static jn_value *fn_from_millis(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *millis = ARG(0);
    if (!millis)
        return NULL;
    return format_datetime(cx, millis->u.number, ARG(1), ARG(2));
}

static jn_value *fn_to_millis(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *ts = ARG(0), *pic = ARG(1);
    if (!ts)
        return NULL;
    const char *s = ts->u.string.s;
    size_t len = ts->u.string.len;
    if (!pic) {
        if (!iso_valid(s, len))
            jn_fail(cx, "D3110", NULL, ts, -1);
        return jn_number(cx, date_parse(s, len));
    }
    double millis;
    if (!parse_datetime(cx, s, len, pic->u.string.s, pic->u.string.len, &millis))
        return NULL;
    return jn_number(cx, millis);
}

static jn_value *fn_format_integer(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *v = ARG(0), *pic = ARG(1);
    if (!v)
        return NULL;
    if (!jn_is_string(pic))     /* undefined: a TypeError in jsonata-js */
        jn_fail(cx, "T0410", "formatInteger", pic, 2);
    sbuf out;
    sb_init(&out, cx);
    jn_format_integer_pic(cx, v->u.number, pic->u.string.s, pic->u.string.len, &out);
    return sb_value(&out);
}

static jn_value *fn_parse_integer(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *v = ARG(0), *pic = ARG(1);
    if (!v)
        return NULL;
    if (!jn_is_string(pic))
        jn_fail(cx, "T0410", "parseInteger", pic, 2);
    ifmt f;
    jn_analyse_integer(cx, pic->u.string.s, pic->u.string.len, &f);
    return jn_number(cx, jn_parse_int_pic(cx, v->u.string.s, v->u.string.len, &f));
}

/* The signatures are jsonata-js's (jsonata.js binds $now and $millis per
 * expression, with these signatures). */
const jn_builtin jn_builtins_time[] = {
    {"now", "<s?s?:s>", fn_now},
    {"millis", "<:n>", fn_millis},
    {"fromMillis", "<n-s?s?:s>", fn_from_millis},
    {"toMillis", "<s-s?:n>", fn_to_millis},
    {"formatInteger", "<n-s:s>", fn_format_integer},
    {"parseInteger", "<s-s:n>", fn_parse_integer},
    {NULL, NULL, NULL}};

/*
 * fn_integer.c - JSONata's integer pictures: $formatInteger and
 * $parseInteger's pictures, ported from jsonata-js 2.0.6 (src/datetime.js),
 * which are XPath F&O 3.1's fn:format-integer as datetime.js reads them.
 *
 * A picture is analysed into a description (ifmt, picture.h) that
 * formatting walks: decimal digits of any Unicode digit family with
 * grouping separators (regular or not), letters (a, A), roman numerals
 * (i, I), words (w, W, Ww) and ordinals (";o").  Parsing reads the same
 * forms back.  fn_time.c formats and parses the numeric components of
 * dates with these (a date picture's [Y0001] is an integer picture), and
 * holds the two natives.
 *
 * Where jsonata-js dies of a JavaScript error, these raise D1001 "Number
 * out of range" (an infinite number in letters, words or roman numerals,
 * NaN in words, a width asking for more than 10^7 zeros) and D3131 for a
 * digit outside the picture's digit family in $parseInteger.  Roman
 * numerals go up to 10^7 (jsonata-js's recursion overflows V8's stack
 * somewhat before that).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "picture.h"

/* ==== integer pictures (fn:format-integer) ============================== */

static const char *const few[20] = {
    "Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten",
    "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen",
    "Eighteen", "Nineteen"};
static const char *const ordinals[20] = {
    "Zeroth", "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth",
    "Ninth", "Tenth", "Eleventh", "Twelfth", "Thirteenth", "Fourteenth", "Fifteenth",
    "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"};
static const char *const decades[9] = {"Twenty", "Thirty", "Forty", "Fifty", "Sixty",
                                       "Seventy", "Eighty", "Ninety", "Hundred"};
static const char *const magnitudes[4] = {"Thousand", "Million", "Billion", "Trillion"};


const wordval jn_word_values[] = {
    {"zero", 0}, {"one", 1}, {"two", 2}, {"three", 3}, {"four", 4}, {"five", 5},
    {"six", 6}, {"seven", 7}, {"eight", 8}, {"nine", 9}, {"ten", 10}, {"eleven", 11},
    {"twelve", 12}, {"thirteen", 13}, {"fourteen", 14}, {"fifteen", 15}, {"sixteen", 16},
    {"seventeen", 17}, {"eighteen", 18}, {"nineteen", 19},
    {"zeroth", 0}, {"first", 1}, {"second", 2}, {"third", 3}, {"fourth", 4}, {"fifth", 5},
    {"sixth", 6}, {"seventh", 7}, {"eighth", 8}, {"ninth", 9}, {"tenth", 10},
    {"eleventh", 11}, {"twelfth", 12}, {"thirteenth", 13}, {"fourteenth", 14},
    {"fifteenth", 15}, {"sixteenth", 16}, {"seventeenth", 17}, {"eighteenth", 18},
    {"nineteenth", 19},
    {"twenty", 20}, {"twentieth", 20}, {"thirty", 30}, {"thirtieth", 30}, {"forty", 40},
    {"fortieth", 40}, {"fifty", 50}, {"fiftieth", 50}, {"sixty", 60}, {"sixtieth", 60},
    {"seventy", 70}, {"seventieth", 70}, {"eighty", 80}, {"eightieth", 80}, {"ninety", 90},
    {"ninetieth", 90}, {"hundred", 100}, {"hundreieth", 100}, /* sic: 'hundre' + 'ieth' */
    {"hundredth", 100},
    {"thousand", 1e3}, {"thousandth", 1e3}, {"million", 1e6}, {"millionth", 1e6},
    {"billion", 1e9}, {"billionth", 1e9}, {"trillion", 1e12}, {"trillionth", 1e12},
};
const size_t jn_nwords = sizeof jn_word_values / sizeof jn_word_values[0];

/* The zero of each Unicode decimal digit family datetime.js knows. */
static const uint32_t decimal_groups[] = {
    0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6,
    0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0,
    0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620,
    0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10};


static int gcd(int a, int b)
{
    while (b != 0) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* regularRepeat: the interval of the separators when they are all the same
 * character at every multiple of one interval, else 0.  (Positions never
 * exceed the picture's length, max_pos.) */
static int regular_repeat(jn_ctx *cx, const isep *s, size_t n, size_t max_pos)
{
    if (n == 0)
        return 0;
    for (size_t i = 1; i < n; i++)
        if (s[i].cp != s[0].cp)
            return 0;
    int factor = s[0].position;
    for (size_t i = 1; i < n; i++)
        factor = gcd(factor, s[i].position);
    if (factor == 0)
        return 0;
    /* is every multiple factor, 2 factor, ... n factor a position? */
    bool *at = jn_alloc(cx, max_pos + 1);
    for (size_t i = 0; i < n; i++)
        at[s[i].position] = true;
    for (size_t index = 1; index <= n; index++)
        if (index * (size_t)factor > max_pos || !at[index * (size_t)factor])
            return 0;
    return factor;
}

void jn_analyse_integer(jn_ctx *cx, const char *pic, size_t len, ifmt *f)
{
    memset(f, 0, sizeof *f);
    f->primary = FMT_DECIMAL;
    f->tcase = CASE_LOWER;
    f->zero = 0x30;
    f->mandatory = f->optional = NAN;

    size_t plen = len;
    for (size_t i = len; i-- > 0;) {
        if (pic[i] == ';') {
            plen = i;
            if (i + 1 < len && pic[i + 1] == 'o')
                f->ordinal = true;
            break;
        }
    }
#define PIC_IS(s) (plen == sizeof(s) - 1 && memcmp(pic, s, plen) == 0)
    if (PIC_IS("A")) {
        f->tcase = CASE_UPPER;
        f->primary = FMT_LETTERS;
    } else if (PIC_IS("a")) {
        f->primary = FMT_LETTERS;
    } else if (PIC_IS("I")) {
        f->tcase = CASE_UPPER;
        f->primary = FMT_ROMAN;
    } else if (PIC_IS("i")) {
        f->primary = FMT_ROMAN;
    } else if (PIC_IS("W")) {
        f->tcase = CASE_UPPER;
        f->primary = FMT_WORDS;
    } else if (PIC_IS("Ww")) {
        f->tcase = CASE_TITLE;
        f->primary = FMT_WORDS;
    } else if (PIC_IS("w")) {
        f->primary = FMT_WORDS;
    } else {
        /* a decimal-digit-pattern, read right to left to place the
         * grouping separators */
        uint32_t *cps = jn_alloc(cx, (plen + 1) * sizeof *cps);
        size_t ncp = 0;
        for (size_t i = 0; i < plen;)
            cps[ncp++] = utf8_get(pic, plen, &i);
        isep *seps = jn_alloc(cx, (ncp + 1) * sizeof *seps);
        size_t nseps = 0;
        int mandatory = 0, optional = 0, position = 0;
        bool have_zero = false;
        uint32_t zero = 0;
        for (size_t k = ncp; k-- > 0;) {
            uint32_t c = cps[k];
            bool digit = false;
            for (size_t g = 0; g < sizeof decimal_groups / sizeof *decimal_groups; g++) {
                uint32_t group = decimal_groups[g];
                if (c >= group && c <= group + 9) {
                    digit = true;
                    mandatory++;
                    position++;
                    if (!have_zero) {
                        zero = group;
                        have_zero = true;
                    } else if (group != zero) {
                        jn_fail(cx, "D3131", NULL, NULL, -1);
                    }
                    break;
                }
            }
            if (!digit) {
                if (c == '#') {
                    position++;
                    optional++;
                } else {
                    seps[nseps].position = position;
                    seps[nseps].cp = c;
                    nseps++;
                }
            }
        }
        if (mandatory > 0) {
            f->primary = FMT_DECIMAL;
            f->zero = zero;
            f->mandatory = mandatory;
            f->optional = optional;
            int regular = regular_repeat(cx, seps, nseps, (size_t)position);
            if (regular > 0) {
                f->regular = true;
                f->reg_position = regular;
                f->reg_cp = seps[0].cp;
            } else {
                f->seps = seps;
                f->nseps = nseps;
            }
        } else {
            /* a numbering sequence: jsonata-js supports none */
            f->primary = FMT_SEQUENCE;
            f->token = pic;
            f->token_len = plen;
        }
    }
#undef PIC_IS
}

static const char *table_word(const char *const *table, int n, double x)
{
    if (x >= 0 && x < n && x == floor(x))
        return table[(int)x];
    return "undefined";          /* what an array read out of range gives */
}

/* numberToWords's lookup(): English in title case ("One Hundred and
 * Twenty-Three"). */
static void words_of(sbuf *b, double num, bool prev, bool ord)
{
    if (num <= 19) {
        if (prev)
            sb_adds(b, " and ");
        sb_adds(b, table_word(ord ? ordinals : few, 20, num));
    } else if (num < 100) {
        double tens = floor(num / 10), rem = fmod(num, 10);
        if (prev)
            sb_adds(b, " and ");
        sb_adds(b, table_word(decades, 9, tens - 2));
        if (rem > 0) {
            sb_adds(b, "-");
            words_of(b, rem, false, ord);
        } else if (ord) {
            b->len--;             /* Twenty -> Twentieth */
            sb_adds(b, "ieth");
        }
    } else if (num < 1000) {
        double hundreds = floor(num / 100), rem = fmod(num, 100);
        if (prev)
            sb_adds(b, ", ");
        sb_adds(b, table_word(few, 20, hundreds));
        sb_adds(b, " Hundred");
        if (rem > 0)
            words_of(b, rem, true, ord);
        else if (ord)
            sb_adds(b, "th");
    } else {
        double mag = floor(log10(num) / 3);
        if (mag > 4)
            mag = 4;            /* the largest word */
        double factor = pow(10, mag * 3);
        double mant = floor(num / factor), rem = num - mant * factor;
        if (prev)
            sb_adds(b, ", ");
        words_of(b, mant, false, false);
        sb_adds(b, " ");
        sb_adds(b, magnitudes[(int)mag - 1]);
        if (rem > 0)
            words_of(b, rem, true, ord);
        else if (ord)
            sb_adds(b, "th");
    }
}

static const struct {
    double value;
    const char *numeral;
} roman_numerals[] = {
    {1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"}, {90, "xc"}, {50, "l"},
    {40, "xl"}, {10, "x"}, {9, "ix"}, {5, "v"}, {4, "iv"}, {1, "i"}};

/* _formatInteger: value in the analysed picture, appended to out. */
void jn_format_int(jn_ctx *cx, double value, const ifmt *f, sbuf *out)
{
    bool negative = value < 0;
    value = fabs(value);
    if (f->primary == FMT_SEQUENCE)
        jn_fail(cx, "D3130", NULL, jn_string(cx, f->token, f->token_len), -1);
    if (negative)
        sb_adds(out, "-");
    switch (f->primary) {
    case FMT_LETTERS: {
        /* spreadsheet columns: a..z, aa, ab, ... */
        if (isinf(value))
            fail_range(cx, value);
        uint16_t a = f->tcase == CASE_UPPER ? 'A' : 'a';
        u16 rev;
        u16_init(&rev, cx);
        while (value > 0) {
            double code = fmod(value - 1, 26) + a;
            u16_push(&rev, (uint16_t)(int64_t)code);
            value = floor((value - 1) / 26);
        }
        for (size_t i = rev.n; i-- > 0;)
            sb_u16(out, &rev.p[i], 1);
        break;
    }
    case FMT_ROMAN:
        if (value > MAX_ROMAN)
            fail_range(cx, value);
        for (size_t i = 0; i < sizeof roman_numerals / sizeof *roman_numerals;) {
            if (value >= roman_numerals[i].value) {
                for (const char *c = roman_numerals[i].numeral; *c; c++) {
                    char u = f->tcase == CASE_UPPER ? ascii_upper(*c) : *c;
                    sb_add(out, &u, 1);
                }
                value -= roman_numerals[i].value;
                i = 0;
            } else {
                i++;
            }
        }
        break;
    case FMT_WORDS: {
        if (!isfinite(value))
            fail_range(cx, value);
        size_t from = out->len;
        words_of(out, value, false, f->ordinal);
        for (size_t i = from; i < out->len; i++) {
            if (f->tcase == CASE_UPPER)
                out->p[i] = ascii_upper(out->p[i]);
            else if (f->tcase == CASE_LOWER)
                out->p[i] = ascii_lower(out->p[i]);
        }
        break;
    }
    case FMT_DECIMAL: {
        sbuf num;
        sb_init(&num, cx);
        sb_jsnum(&num, value);
        u16 s;
        u16_init(&s, cx);
        double pad = f->mandatory - (double)num.len;
        if (pad > 0) {
            if (pad > MAX_PAD)
                fail_range(cx, f->mandatory);
            for (size_t i = 0; i < (size_t)pad; i++)
                u16_cp(&s, f->zero);
        }
        for (size_t i = 0; i < num.len; i++)
            u16_cp(&s, (uint32_t)(unsigned char)num.p[i] + f->zero - 0x30);
        if (f->regular) {
            u16 sep;
            u16_init(&sep, cx);
            u16_cp(&sep, f->reg_cp);
            size_t n = (s.n - 1) / (size_t)f->reg_position;
            for (size_t ii = n; ii > 0; ii--)
                u16_insert(&s, s.n - ii * (size_t)f->reg_position, sep.p, sep.n);
        } else {
            /* right to left in the picture, as datetime.js's reverse() */
            for (size_t k = f->nseps; k-- > 0;) {
                u16 sep;
                u16_init(&sep, cx);
                u16_cp(&sep, f->seps[k].cp);
                long pos = (long)s.n - f->seps[k].position;
                if (pos >= 0) {
                    u16_insert(&s, (size_t)pos, sep.p, sep.n);
                } else {
                    /* substr(0, pos) is empty and substr(pos) counts from
                     * the end: what is left of the separator is lost */
                    long keep = -pos < (long)s.n ? -pos : (long)s.n;
                    u16 t;
                    u16_init(&t, cx);
                    for (size_t i = 0; i < sep.n; i++)
                        u16_push(&t, sep.p[i]);
                    for (size_t i = s.n - (size_t)keep; i < s.n; i++)
                        u16_push(&t, s.p[i]);
                    s = t;
                }
            }
        }
        if (f->ordinal) {
            const char *suffix = "th";
            uint16_t last = s.n ? s.p[s.n - 1] : 0;
            if (last == '1')
                suffix = "st";
            else if (last == '2')
                suffix = "nd";
            else if (last == '3')
                suffix = "rd";
            if (s.n > 1 && s.p[s.n - 2] == '1')
                suffix = "th";
            u16_push(&s, (uint16_t)suffix[0]);
            u16_push(&s, (uint16_t)suffix[1]);
        }
        sb_u16(out, s.p, s.n);
        break;
    }
    default:
        break;
    }
}

/* $formatInteger's formatInteger(value, picture). */
void jn_format_integer_pic(jn_ctx *cx, double value, const char *pic, size_t len,
                               sbuf *out)
{
    ifmt f;
    jn_analyse_integer(cx, pic, len, &f);
    jn_format_int(cx, floor(value), &f, out);
}

/* ---- reading integers back ---------------------------------------------- */

static double letters_to_decimal(jn_ctx *cx, const char *s, size_t len, uint16_t a)
{
    u16 b;
    u16_init(&b, cx);
    u16_utf8(&b, s, len);
    double decimal = 0;
    for (size_t i = 0; i < b.n; i++)
        decimal += ((double)b.p[b.n - i - 1] - a + 1) * pow(26, (double)i);
    return decimal;
}

static double roman_value(uint32_t c)
{
    switch (c) {
    case 'M': return 1000;
    case 'D': return 500;
    case 'C': return 100;
    case 'L': return 50;
    case 'X': return 10;
    case 'V': return 5;
    case 'I': return 1;
    default: return NAN;
    }
}

/* romanToDecimal, after toUpperCase() unless the picture was upper case.
 * A character that is no numeral makes the sum NaN. */
static double roman_to_decimal(const char *s, size_t len, bool upper)
{
    double decimal = 0, max = 1;
    /* the characters from the last to the first */
    for (size_t end = len; end > 0;) {
        size_t st = end - 1;
        while (st > 0 && ((unsigned char)s[st] & 0xC0) == 0x80 && end - st < 4)
            st--;
        size_t i = st;
        uint32_t c = utf8_get(s, len, &i);
        if (i != end) {         /* malformed: one byte */
            st = end - 1;
            c = 0xFFFD;
        }
        if (!upper) {
            if (c >= 'a' && c <= 'z')
                c -= 32;
            else if (c == 0x131)        /* dotless i upper-cases to I */
                c = 'I';
        }
        double v = roman_value(c);
        if (isnan(v))
            return NAN;
        if (v < max) {
            decimal -= v;
        } else {
            max = v;
            decimal += v;
        }
        end = st;
    }
    return decimal;
}

/* wordsToNumber, after toLowerCase(). */
static double words_to_number(jn_ctx *cx, const char *s, size_t len)
{
    /* text.split(/,\s|\sand\s|[\s\\-]/) over code points */
    uint32_t *c = jn_alloc(cx, (len + 1) * sizeof *c);
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp = utf8_get(s, len, &i);
        if (cp == 0x212A)       /* KELVIN SIGN lower-cases to k */
            cp = 'k';
        c[n++] = cp < 0x80 ? (uint32_t)ascii_lower((char)cp) : cp;
    }
    double *segs = jn_alloc(cx, (n + 2) * sizeof *segs);
    size_t nsegs = 1;
    segs[0] = 0;
    size_t p = 0, q = 0;
    for (;;) {
        size_t e = NONE;
        if (q < n) {
            if (c[q] == ',' && q + 1 < n && js_space(c[q + 1]))
                e = q + 2;
            else if (js_space(c[q]) && q + 4 < n && c[q + 1] == 'a' && c[q + 2] == 'n' &&
                     c[q + 3] == 'd' && js_space(c[q + 4]))
                e = q + 5;
            else if (js_space(c[q]) || c[q] == '\\' || c[q] == '-')
                e = q + 1;
        }
        if (q < n && e == NONE) {
            q++;
            continue;
        }
        /* a part: c[p..q) */
        size_t end = q < n ? q : n;
        double value = NAN;
        if (end - p < 16) {
            char w[16];
            bool ascii = true;
            for (size_t k = p; k < end; k++) {
                ascii = ascii && c[k] < 0x80;
                w[k - p] = (char)c[k];
            }
            w[end - p] = '\0';
            for (size_t k = 0; ascii && k < jn_nwords; k++)
                if (strcmp(jn_word_values[k].word, w) == 0)
                    value = jn_word_values[k].value;
        }
        if (value < 100) {
            double top = segs[--nsegs];
            if (top >= 1000) {
                segs[nsegs++] = top;
                top = 0;
            }
            segs[nsegs++] = top + value;
        } else {
            /* NaN (an unknown word) lands here too, as undefined does */
            segs[nsegs - 1] = segs[nsegs - 1] * value;
        }
        if (q >= n)
            break;
        p = q = e;
    }
    double result = 0;
    for (size_t i = 0; i < nsegs; i++)
        result += segs[i];
    return result;
}

/* The parse() of a decimal picture: the suffix and separators go, digits
 * of another family map to ASCII, then parseInt. */
static double decimal_parse(jn_ctx *cx, const char *s, size_t len, const ifmt *f)
{
    u16 d;
    u16_init(&d, cx);
    u16_utf8(&d, s, len);
    if (f->ordinal)
        d.n = d.n >= 2 ? d.n - 2 : 0;
    /* strip out the separators (a regular picture strips ',' whatever its
     * separator is, as datetime.js does) */
    size_t nsep = f->regular ? 1 : f->nseps;
    for (size_t k = 0; k < nsep; k++) {
        u16 sep;
        u16_init(&sep, cx);
        u16_cp(&sep, f->regular ? ',' : f->seps[k].cp);
        size_t o = 0;
        for (size_t i = 0; i < d.n;) {
            if (i + sep.n <= d.n && memcmp(d.p + i, sep.p, sep.n * sizeof *sep.p) == 0) {
                i += sep.n;
            } else {
                d.p[o++] = d.p[i++];
            }
        }
        d.n = o;
    }
    if (f->zero != 0x30) {
        for (size_t i = 0; i < d.n; i++) {
            long c = (long)d.p[i] - (long)f->zero + 0x30;
            if (c < 0)          /* String.fromCodePoint throws a RangeError */
                jn_fail(cx, "D3131", NULL, NULL, -1);
            d.p[i] = (uint16_t)c;
        }
    }
    return js_parse_int16(cx, d.p, d.n);
}

/* The parse() of an integer picture (parseInteger, and a date component
 * that has an integer presentation). */
double jn_parse_int_pic(jn_ctx *cx, const char *s, size_t len, const ifmt *f)
{
    switch (f->primary) {
    case FMT_LETTERS:
        return letters_to_decimal(cx, s, len, f->tcase == CASE_UPPER ? 'A' : 'a');
    case FMT_ROMAN:
        return roman_to_decimal(s, len, f->tcase == CASE_UPPER);
    case FMT_WORDS:
        return words_to_number(cx, s, len);
    case FMT_DECIMAL:
        return decimal_parse(cx, s, len, f);
    default:
        jn_fail(cx, "D3130", NULL, jn_string(cx, f->token, f->token_len), -1);
    }
}

/*
 * check_prims.c - the runtime's small primitives, one home each: UTF-8
 * (utf8.c), base64 (base64.c), UUIDs (uuid.c), clocks (clock.c),
 * allocation (alloc.c) and the States.* error names (errnames.h).
 *
 * The UTF-8 cases are Unicode's own examples of ill-formed text (overlong
 * forms, surrogates, sequences cut short); the base64 ones are RFC 4648's
 * test vectors, round trips of every length, and the lenient reading
 * compared with JSONata's $base64decode and $base64encode, which still
 * decode by hand.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aslrt_private.h"
#include "jsonata/jsonata.h"

/* ==== UTF-8 ============================================================ */

/* Decodes s (n bytes) with flags; checks the code point and length. */
static void decodes(const char *s, size_t n, int flags, int32_t cp, size_t len)
{
    size_t got_len = 99;
    int32_t got = aslrtp_utf8_decode(s, n, flags, &got_len);
    ck_assert_msg(got == cp && got_len == len, "decode of %zu bytes %02x..: %d/%zu, want %d/%zu",
                  n, (unsigned char)s[0], (int)got, got_len, (int)cp, len);
}

START_TEST(test_utf8_decode_valid)
{
    decodes("A", 1, 0, 'A', 1);
    decodes("\x7F", 1, 0, 0x7F, 1);
    decodes("\xC2\x80", 2, 0, 0x80, 2);
    decodes("\xDF\xBF", 2, 0, 0x7FF, 2);
    decodes("\xE0\xA0\x80", 3, 0, 0x800, 3);
    decodes("\xE2\x82\xAC", 3, 0, 0x20AC, 3);
    decodes("\xED\x9F\xBF", 3, 0, 0xD7FF, 3);   /* the last before the surrogates */
    decodes("\xEE\x80\x80", 3, 0, 0xE000, 3);   /* the first after them */
    decodes("\xEF\xBF\xBF", 3, 0, 0xFFFF, 3);
    decodes("\xF0\x90\x80\x80", 4, 0, 0x10000, 4);
    decodes("\xF0\x9F\x98\x80", 4, 0, 0x1F600, 4);
    decodes("\xF4\x8F\xBF\xBF", 4, 0, 0x10FFFF, 4);
    decodes("\xE2\x82\xAC" "rest", 7, 0, 0x20AC, 3);  /* stops after one character */
}
END_TEST

START_TEST(test_utf8_decode_overlong)
{
    decodes("\xC0\x80", 2, 0, -1, 1);           /* C0 and C1 start nothing */
    decodes("\xC1\xBF", 2, 0, -1, 1);
    decodes("\xE0\x80\x80", 3, 0, -1, 1);       /* E0 needs A0..BF next */
    decodes("\xE0\x9F\xBF", 3, 0, -1, 1);
    decodes("\xF0\x80\x80\x80", 4, 0, -1, 1);   /* F0 needs 90..BF next */
    decodes("\xF0\x8F\xBF\xBF", 4, 0, -1, 1);
}
END_TEST

START_TEST(test_utf8_decode_surrogates)
{
    decodes("\xED\xA0\x80", 3, 0, -1, 1);       /* U+D800 */
    decodes("\xED\xBF\xBF", 3, 0, -1, 1);       /* U+DFFF */
    decodes("\xED\xA0\x80", 3, ASLRTP_UTF8_WTF8, 0xD800, 3);
    decodes("\xED\xBF\xBF", 3, ASLRTP_UTF8_WTF8, 0xDFFF, 3);
    decodes("\xED\x9F\xBF", 3, ASLRTP_UTF8_WTF8, 0xD7FF, 3);
    /* WTF-8 is no excuse for overlong forms */
    decodes("\xE0\x80\x80", 3, ASLRTP_UTF8_WTF8, -1, 1);
}
END_TEST

START_TEST(test_utf8_decode_truncated_and_stray)
{
    decodes("\xE2\x82", 2, 0, -1, 2);           /* cut short: the maximal subpart */
    decodes("\xE2\x82" "A", 3, 0, -1, 2);
    decodes("\xF0\x9F\x98", 3, 0, -1, 3);
    decodes("\xF0\x9F", 2, 0, -1, 2);
    decodes("\xC2", 1, 0, -1, 1);
    decodes("\xC2" "A", 2, 0, -1, 1);
    decodes("\x80", 1, 0, -1, 1);               /* a continuation byte alone */
    decodes("\xBF\x80", 2, 0, -1, 1);
    decodes("\xF4\x90\x80\x80", 4, 0, -1, 1);   /* above U+10FFFF */
    decodes("\xF5\x80\x80\x80", 4, 0, -1, 1);
    decodes("\xFF", 1, 0, -1, 1);
}
END_TEST

START_TEST(test_utf8_encode)
{
    const uint32_t cps[] = {0, 0x41, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFD,
                            0xFFFF, 0x10000, 0x1F600, 0x10FFFF};
    for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
        char u[4];
        size_t n = aslrtp_utf8_encode(cps[i], u), len;
        ck_assert_uint_eq(n, cps[i] < 0x80 ? 1 : cps[i] < 0x800 ? 2 : cps[i] < 0x10000 ? 3 : 4);
        ck_assert_int_eq(aslrtp_utf8_decode(u, n, 0, &len), (int32_t)cps[i]);
        ck_assert_uint_eq(len, n);
    }
    /* a surrogate is written as its three bytes (WTF-8) */
    char u[4];
    ck_assert_uint_eq(aslrtp_utf8_encode(0xD83D, u), 3);
    ck_assert(memcmp(u, "\xED\xA0\xBD", 3) == 0);
    aslrtp_buf b = {0};
    aslrtp_utf8_add(&b, 0x20AC);
    aslrtp_utf8_add(&b, 'x');
    ck_assert_str_eq(b.data, "\xE2\x82\xAC" "x");
    free(b.data);
}
END_TEST

START_TEST(test_utf8_valid)
{
    ck_assert(aslrtp_utf8_valid("", 0, 0));
    ck_assert(aslrtp_utf8_valid("a\0b", 3, 0));
    ck_assert(aslrtp_utf8_valid("caf\xC3\xA9 \xF0\x9F\x98\x80", 10, 0));
    ck_assert(!aslrtp_utf8_valid("caf\xC3", 4, 0));
    ck_assert(!aslrtp_utf8_valid("\xC0\xAF", 2, 0));
    ck_assert(!aslrtp_utf8_valid("\xED\xA0\x80", 3, 0));
    ck_assert(aslrtp_utf8_valid("\xED\xA0\x80", 3, ASLRTP_UTF8_WTF8));
}
END_TEST

/* s made clean with flags, compared with want. */
static void cleans(const char *s, size_t n, int flags, const char *want)
{
    aslrtp_buf b = {0};
    aslrtp_utf8_add_clean(&b, s, n, flags);
    ck_assert_uint_eq(b.len, strlen(want));
    ck_assert_msg(memcmp(b.data, want, b.len) == 0, "cleaned to '%s', want '%s'", b.data, want);
    ck_assert(aslrtp_utf8_valid(b.data, b.len, 0));
    free(b.data);
}

#define FFFD "\xEF\xBF\xBD"

START_TEST(test_utf8_add_clean)
{
    cleans("plain", 5, 0, "plain");
    cleans("", 0, 0, "");
    /* one U+FFFD per maximal subpart (Java's decoder) ... */
    cleans("a\xE2\x82" "b", 4, 0, "a" FFFD "b");
    cleans("\xF0\x9F\x98", 3, 0, FFFD);
    cleans("\xE0\x80\x80", 3, 0, FFFD FFFD FFFD);       /* overlong: three subparts */
    cleans("\xED\xA0\x80", 3, 0, FFFD FFFD FFFD);       /* surrogate */
    cleans("\xC3\xA9\xFF\xC3\xA9", 5, 0, "\xC3\xA9" FFFD "\xC3\xA9");
    /* ... or one per byte (Causes) */
    cleans("a\xE2\x82" "b", 4, ASLRTP_UTF8_PER_BYTE, "a" FFFD FFFD "b");
    cleans("\xF0\x9F\x98", 3, ASLRTP_UTF8_PER_BYTE, FFFD FFFD FFFD);
    cleans("\xF0\x9F\x98\x80", 4, ASLRTP_UTF8_PER_BYTE, "\xF0\x9F\x98\x80");
    /* NULs kept, or replaced */
    aslrtp_buf b = {0};
    aslrtp_utf8_add_clean(&b, "a\0b", 3, 0);
    ck_assert_uint_eq(b.len, 3);
    ck_assert(memcmp(b.data, "a\0b", 4) == 0);
    free(b.data);
    cleans("a\0b", 3, ASLRTP_UTF8_NO_NUL | ASLRTP_UTF8_PER_BYTE, "a" FFFD "b");
}
END_TEST

START_TEST(test_utf8_count)
{
    const char *s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"; /* a é € 😀 */
    ck_assert_uint_eq(aslrtp_utf8_count(s, strlen(s)), 4);
    ck_assert_uint_eq(aslrtp_utf16_length(s, strlen(s)), 5);
    ck_assert_uint_eq(aslrtp_utf8_count("", 0), 0);
    ck_assert_uint_eq(aslrtp_utf8_floor(s, 2), 1);   /* inside é */
    ck_assert_uint_eq(aslrtp_utf8_floor(s, 9), 6);   /* inside 😀 */
    ck_assert_uint_eq(aslrtp_utf8_floor(s, 3), 3);
    ck_assert_uint_eq(aslrtp_utf8_floor("\x80\x80", 1), 0);
    /* text known to be UTF-8, with a stray byte standing for itself */
    size_t i = 0;
    ck_assert_uint_eq(aslrtp_utf8_next(s, strlen(s), 0, &i), 'a');
    ck_assert_uint_eq(aslrtp_utf8_next(s, strlen(s), 0, &i), 0xE9);
    ck_assert_uint_eq(aslrtp_utf8_next(s, strlen(s), 0, &i), 0x20AC);
    ck_assert_uint_eq(aslrtp_utf8_next(s, strlen(s), 0, &i), 0x1F600);
    ck_assert_uint_eq(i, strlen(s));
    i = 0;
    ck_assert_uint_eq(aslrtp_utf8_next("\xE9x", 2, 0, &i), 0xE9);
    ck_assert_uint_eq(i, 1);
}
END_TEST

/* ==== base64 =========================================================== */

START_TEST(test_base64_vectors)
{
    /* RFC 4648 §10 */
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const b64[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
                                      "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        size_t len = 99;
        char *e = aslrtp_base64_encode(plain[i], strlen(plain[i]), 0, &len);
        ck_assert_str_eq(e, b64[i]);
        ck_assert_uint_eq(len, strlen(b64[i]));
        free(e);
        char *d = aslrtp_base64_decode(b64[i], strlen(b64[i]), 0, &len);
        ck_assert_ptr_nonnull(d);
        ck_assert_uint_eq(len, strlen(plain[i]));
        ck_assert_str_eq(d, plain[i]);
        free(d);
        d = aslrtp_base64_decode_lenient(b64[i], strlen(b64[i]), &len);
        ck_assert_str_eq(d, plain[i]);
        free(d);
        e = aslrtp_base64_encode(plain[i], strlen(plain[i]), ASLRTP_B64_NOPAD, NULL);
        ck_assert_uint_eq(strlen(e), strlen(b64[i]) - (strchr(b64[i], '=') ?
                                                       strlen(strchr(b64[i], '=')) : 0));
        d = aslrtp_base64_decode(e, strlen(e), ASLRTP_B64_NOPAD, &len);
        ck_assert_str_eq(d, plain[i]);
        free(d);
        free(e);
    }
    char *e = aslrtp_base64_encode("\xFB\xFF\xBF", 3, 0, NULL);
    ck_assert_str_eq(e, "+/+/");
    free(e);
    e = aslrtp_base64_encode("\xFB\xFF\xBF", 3, ASLRTP_B64_URL, NULL);
    ck_assert_str_eq(e, "-_-_");
    free(e);
}
END_TEST

START_TEST(test_base64_round_trips)
{
    unsigned char data[200];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 151 + 7);
    const int modes[] = {0, ASLRTP_B64_URL, ASLRTP_B64_NOPAD, ASLRTP_B64_URL | ASLRTP_B64_NOPAD};
    for (size_t n = 0; n <= sizeof data; n++)
        for (int m = 0; m < 4; m++) {
            size_t elen, dlen;
            char *e = aslrtp_base64_encode(data, n, modes[m], &elen);
            ck_assert_uint_eq(elen, strlen(e));
            char *d = aslrtp_base64_decode(e, elen, modes[m], &dlen);
            ck_assert_ptr_nonnull(d);
            ck_assert_uint_eq(dlen, n);
            ck_assert(memcmp(d, data, n) == 0);
            ck_assert_int_eq(d[n], '\0');
            free(d);
            d = aslrtp_base64_decode_lenient(e, elen, &dlen);
            ck_assert_uint_eq(dlen, n);
            ck_assert(memcmp(d, data, n) == 0);
            free(d);
            free(e);
        }
}
END_TEST

static void rejects(const char *s, int flags)
{
    size_t len;
    char *d = aslrtp_base64_decode(s, strlen(s), flags, &len);
    ck_assert_msg(d == NULL, "'%s' (flags %d) decoded", s, flags);
}

START_TEST(test_base64_strict)
{
    rejects("Zg=", 0);          /* not a multiple of four */
    rejects("Zm9", 0);
    rejects("Z===", 0);         /* six bits are not a byte */
    rejects("====", 0);
    rejects("Zg=a", 0);         /* '=' only at the end */
    rejects("Z=g=", 0);
    rejects("Zm9v!A==", 0);
    rejects(" Zm9v", 0);        /* no blanks */
    rejects("Zm9v\n", 0);
    rejects("-_-_", 0);         /* the URL alphabet is not the standard one */
    rejects("+/+/", ASLRTP_B64_URL);
    rejects("Zg==", ASLRTP_B64_NOPAD);
    rejects("Z", ASLRTP_B64_NOPAD);
    rejects("Zm9vY", ASLRTP_B64_NOPAD);
    size_t len;
    char *d = aslrtp_base64_decode("-_-_", 4, ASLRTP_B64_URL | ASLRTP_B64_NOPAD, &len);
    ck_assert_uint_eq(len, 3);
    ck_assert(memcmp(d, "\xFB\xFF\xBF", 3) == 0);
    free(d);
    /* non-zero bits in the padding's place are ignored, as OpenSSL does */
    d = aslrtp_base64_decode("QR==", 4, 0, &len);
    ck_assert_uint_eq(len, 1);
    ck_assert_int_eq(d[0], 'A');
    free(d);
}
END_TEST

static void lenient(const char *s, const char *want, size_t want_len)
{
    size_t len;
    char *d = aslrtp_base64_decode_lenient(s, strlen(s), &len);
    ck_assert_msg(len == want_len && memcmp(d, want, len) == 0, "'%s' decoded to %zu bytes", s,
                  len);
    free(d);
}

START_TEST(test_base64_lenient)
{
    lenient("Zm9v YmFy", "foobar", 6);          /* blanks skipped */
    lenient("Zm9v\nYmFy\n", "foobar", 6);
    lenient("Zm9vYg", "foob", 4);               /* padding optional */
    lenient("Zm9vY", "foo", 3);                 /* a lone last character dropped */
    lenient("Zg==Zm9v", "f", 1);                /* '=' ends the data */
    lenient("=Zm9v", "", 0);
    lenient("-_-_", "\xFB\xFF\xBF", 3);         /* both alphabets */
    lenient("+/-_", "\xFB\xFF\xBF", 3);
    lenient("Zm!9v*", "foo", 3);                /* anything else skipped */
    lenient("", "", 0);
    lenient("Z", "", 0);
}
END_TEST

/* JSONata's $base64decode and $base64encode (jsonata_fn_string.c, Node's
 * Buffer rules) agree with the lenient decoder and the encoder on 'binary'
 * (Latin-1) strings. */
static const jn_builtin *builtin(const char *name)
{
    for (const jn_builtin *b = jn_builtins_string; b->name; b++)
        if (strcmp(b->name, name) == 0)
            return b;
    ck_abort_msg("no builtin $%s", name);
    return NULL;
}

/* bytes as a Latin-1 string in UTF-8. */
static void latin1(aslrtp_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        aslrtp_utf8_add(b, (unsigned char)s[i]);
    aslrtp_buf_add(b, "", 0);
}

START_TEST(test_base64_as_jsonata)
{
    static const char *const inputs[] = {
        "Zm9vYmFy", "Zm9vYg==", "Zm9vYg", "Zm9vY", "Zm9v YmFy", "Zg==Zm9v", "-_-_", "+/+/",
        "Zm!9v*", "", "Z", "=", "==", "QQ", "QQ=", "Q===", "////", "AAEC/f7/", "w6k=",
        "8J+YgA==", "\xC3\xA9QUJD",
    };
    jn_ctx *cx = jn_ctx_create(NULL);
    const jn_builtin *dec = builtin("base64decode"), *enc = builtin("base64encode");
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        jn_value *arg = jn_cstring(cx, inputs[i]);
        jn_value *r = dec->fn(cx, &arg, 1, NULL);
        ck_assert(jn_is_string(r));
        size_t len;
        char *d = aslrtp_base64_decode_lenient(inputs[i], strlen(inputs[i]), &len);
        aslrtp_buf want = {0};
        latin1(&want, d, len);
        ck_assert_msg(r->u.string.len == want.len &&
                          memcmp(r->u.string.s, want.data, want.len) == 0,
                      "$base64decode('%s') differs", inputs[i]);
        /* and back: $base64encode of the Latin-1 text is the padded encoding */
        jn_value *e = enc->fn(cx, &r, 1, NULL);
        char *mine = aslrtp_base64_encode(d, len, 0, NULL);
        ck_assert(jn_is_string(e));
        ck_assert_uint_eq(e->u.string.len, strlen(mine));
        ck_assert(memcmp(e->u.string.s, mine, strlen(mine)) == 0);
        free(mine);
        free(want.data);
        free(d);
    }
    jn_ctx_destroy(cx);
}
END_TEST

/* ==== UUIDs ============================================================ */

static void is_uuid(const char *s, char version)
{
    ck_assert_uint_eq(strlen(s), 36);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            ck_assert_int_eq(s[i], '-');
        else
            ck_assert_msg(strchr("0123456789abcdef", s[i]) && s[i], "'%s' at %d", s, i);
    }
    ck_assert_int_eq(s[14], version);
    ck_assert_msg(strchr("89ab", s[19]) != NULL, "variant of '%s'", s);
}

START_TEST(test_uuid)
{
    unsigned char b[16];
    for (int i = 0; i < 16; i++)
        b[i] = (unsigned char)(0xF0 + i);
    char s[ASLRTP_UUID_SIZE];
    aslrtp_uuid_format(b, 4, s);
    ck_assert_str_eq(s, "f0f1f2f3-f4f5-46f7-b8f9-fafbfcfdfeff");
    memset(b, 0, sizeof b);
    aslrtp_uuid_format(b, 3, s);
    ck_assert_str_eq(s, "00000000-0000-3000-8000-000000000000");
    char t[ASLRTP_UUID_SIZE];
    aslrtp_uuid_v4(s);
    aslrtp_uuid_v4(t);
    is_uuid(s, '4');
    is_uuid(t, '4');
    ck_assert_str_ne(s, t);
}
END_TEST

/* ==== Clocks =========================================================== */

START_TEST(test_clocks)
{
    long long ms = aslrtp_mono_ms(), ns = aslrtp_mono_ns();
    for (int i = 0; i < 1000; i++) {
        long long ms2 = aslrtp_mono_ms(), ns2 = aslrtp_mono_ns();
        ck_assert(ms2 >= ms && ns2 >= ns);
        ms = ms2;
        ns = ns2;
    }
    /* a sleep returns 0 (how long it lasts is bench/'s to measure) */
    ck_assert(aslrtp_sleep_ms(20) == 0);
    ck_assert(aslrtp_sleep_ms(0) == 0);
    ck_assert(aslrtp_sleep_ms(-5) == 0);
    /* the wall clock is time(2)'s; time(2) reads the kernel's coarse clock,
     * which can trail a precise reading by a tick, across a second's edge */
    time_t t0 = time(NULL);
    long long wall = aslrtp_wall_ms(), wall_ns = aslrtp_wall_ns();
    time_t t1 = time(NULL);
    ck_assert(wall / 1000 >= (long long)t0 && wall / 1000 <= (long long)t1 + 1);
    ck_assert(wall_ns / 1000000 >= wall);
}
END_TEST

/* ==== Allocation and error names ======================================= */

START_TEST(test_alloc)
{
    char *p = aslrtp_malloc(0);
    ck_assert_ptr_nonnull(p);
    free(p);
    int *z = aslrtp_calloc(100, sizeof *z);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(z[i], 0);
    z = aslrtp_reallocarray(z, 1000, sizeof *z);
    z[999] = 1;
    free(z);
    char *d = aslrtp_memdup("a\0b", 3);
    ck_assert(memcmp(d, "a\0b", 4) == 0);
    free(d);
    d = aslrtp_strdup("text");
    ck_assert_str_eq(d, "text");
    free(d);
}
END_TEST

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* The VmFlags of the mapping of this process that holds p, in buf; false
 * when no mapping holds it. */
static bool vm_flags(const void *p, char *buf, size_t cap)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f)
        return false;
    char line[512];
    bool in = false, found = false;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
            in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
        else if (in && strncmp(line, "VmFlags:", 8) == 0) {
            size_t n = strlen(line + 8);
            n = n < cap ? n : cap - 1;
            memcpy(buf, line + 8, n);
            buf[n] = '\0';
            found = true;
            break;
        }
    }
    fclose(f);
    return found;
}

/* The child of test_heap_huge, a fresh process (exec'd, so that its heap
 * does not exist yet): aslrtp_heap_huge as a workflow binary calls it,
 * then 200 KiB in small blocks and 8 MiB in pages; late, the small blocks
 * come first, as in aslc, whose heap holds a little when it calls it.
 * Exit status: 0 as expected, 10 + what went wrong otherwise. */
static int heap_child(bool late)
{
    static char *small[200], *big[2048];
    if (!late)
        aslrtp_heap_huge((size_t)1 << 20, (size_t)16 << 20);
    for (int i = 0; i < 200; i++) {
        small[i] = aslrtp_malloc(1000);
        memset(small[i], i, 1000);
    }
    if (late)
        aslrtp_heap_huge(4096, (size_t)16 << 20);
    for (int i = 0; i < 2048; i++) {
        big[i] = aslrtp_malloc(4000);
        memset(big[i], i & 0xff, 4000);
    }
    for (int i = 0; i < 200; i++)
        if (small[i][999] != (char)i)
            return 11;
    for (int i = 0; i < 2048; i++)
        if (big[i][3999] != (char)(i & 0xff))
            return 12;
    char flags[256];
    if (!vm_flags(small[0], flags, sizeof flags))
        return 13;
    if (strstr(flags, " hg"))       /* the first MiB: ordinary pages */
        return 14;
    if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) != 0)
        return 0;                   /* a kernel without huge pages */
    if (!vm_flags(big[2047], flags, sizeof flags))
        return 15;
    if (!strstr(flags, " hg"))      /* past it: advised */
        return 16;
    /* 24 MiB more: past the first 16 MiB step the heap grew by, whose
     * advice is carried on (alloc.c, advise_growth) */
    static char *more[6144];
    for (int i = 0; i < 6144; i++) {
        more[i] = aslrtp_malloc(4000);
        memset(more[i], 1, 4000);
    }
    if (!vm_flags(more[4096], flags, sizeof flags))  /* not in the break's last 2 MiB */
        return 17;
    if (!strstr(flags, " hg"))
        return 18;
    return 0;
}

/* doc/architecture.md, page faults: a workflow program's heap past its
 * first MiB is advised for huge pages, the first MiB is not, and memory
 * from both works; so too when the heap held something before.  (Not under AddressSanitizer, whose allocator is not
 * glibc's.) */
START_TEST(test_heap_huge)
{
#ifndef UNDER_ASAN
    const char *how[] = {"heap-child", "heap-child-late"};
    for (int i = 0; i < 2; i++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            execl("/proc/self/exe", "check_prims", how[i], (char *)NULL);
            _exit(99);
        }
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status));
        ck_assert_msg(WEXITSTATUS(status) == 0, "%s: exit status %d", how[i],
                      WEXITSTATUS(status));
    }
#endif
}
END_TEST

/* Out of memory: the one message, naming the size, then SIGABRT.  (Not
 * under AddressSanitizer, which reports the request itself.) */
START_TEST(test_out_of_memory)
{
#ifndef UNDER_ASAN
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        void *p = aslrtp_malloc(SIZE_MAX - 4096);
        (void)p;
        _exit(0);
    }
    close(fds[1]);
    char msg[256];
    ssize_t n = read(fds[0], msg, sizeof msg - 1);
    close(fds[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    ck_assert_int_gt(n, 0);
    msg[n] = '\0';
    char want[64];
    snprintf(want, sizeof want, ": out of memory (%zu bytes)\n", (size_t)SIZE_MAX - 4096);
    ck_assert_msg(strstr(msg, want) != NULL, "message '%s'", msg);
#endif
}
END_TEST

/* Out of memory in a workflow program (aslrtp_oom_exit): the failed
 * execution on stdout, the message on stderr, the status asked for; a
 * second thread out of memory at the same time adds nothing.
 * (doc/behaviour.md §36.) */
static void *oom_thread(void *arg)
{
    (void)arg;
    void *p = aslrtp_malloc(SIZE_MAX - 4096);
    return p;
}

START_TEST(test_out_of_memory_fails_execution)
{
#ifndef UNDER_ASAN
    int out[2], err[2];
    ck_assert_int_eq(pipe(out), 0);
    ck_assert_int_eq(pipe(err), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        close(out[0]);
        close(err[0]);
        aslrtp_oom_exit(1, true);
        pthread_t t;
        if (aslrtp_thread_create(&t, false, oom_thread, NULL) != 0)
            _exit(9);
        oom_thread(NULL);
        _exit(0);
    }
    close(out[1]);
    close(err[1]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    char msg[512];
    ssize_t n = read(out[0], msg, sizeof msg - 1);
    ck_assert_int_gt(n, 0);
    msg[n] = '\0';
    char want[256];
    snprintf(want, sizeof want,
             "{\"Error\":\"States.Runtime\",\"Cause\":\"The execution ran out of memory: "
             "an allocation of %zu bytes failed.\"}\n",
             (size_t)SIZE_MAX - 4096);
    ck_assert_str_eq(msg, want);
    n = read(err[0], msg, sizeof msg - 1);
    ck_assert_int_gt(n, 0);
    msg[n] = '\0';
    ck_assert_msg(strstr(msg, ": out of memory (") != NULL && !strstr(strstr(msg, "\n") + 1, "out"),
                  "message '%s'", msg);
    close(out[0]);
    close(err[0]);
#endif
}
END_TEST

START_TEST(test_error_names)
{
    static const char *const names[] = {
#define X(name) name,
        ASLRTP_STATES_ERRORS(X)
#undef X
    };
    size_t n = sizeof names / sizeof names[0];
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(strncmp(names[i], "States.", 7) == 0 && names[i][7], "%s", names[i]);
        for (size_t j = i + 1; j < n; j++)
            ck_assert_str_ne(names[i], names[j]);
    }
    ck_assert_str_eq(ASLRTP_ERR_RUNTIME, "States.Runtime");
    ck_assert_str_eq(ASLRTP_ERR_ALL, "States.ALL");
}
END_TEST

int main(int argc, char **argv)
{
    if (argc > 1 && strncmp(argv[1], "heap-child", 10) == 0)
        return heap_child(strcmp(argv[1], "heap-child-late") == 0);
    Suite *s = suite_create("prims");
    TCase *tc = tcase_create("prims");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_utf8_decode_valid);
    tcase_add_test(tc, test_utf8_decode_overlong);
    tcase_add_test(tc, test_utf8_decode_surrogates);
    tcase_add_test(tc, test_utf8_decode_truncated_and_stray);
    tcase_add_test(tc, test_utf8_encode);
    tcase_add_test(tc, test_utf8_valid);
    tcase_add_test(tc, test_utf8_add_clean);
    tcase_add_test(tc, test_utf8_count);
    tcase_add_test(tc, test_base64_vectors);
    tcase_add_test(tc, test_base64_round_trips);
    tcase_add_test(tc, test_base64_strict);
    tcase_add_test(tc, test_base64_lenient);
    tcase_add_test(tc, test_base64_as_jsonata);
    tcase_add_test(tc, test_uuid);
    tcase_add_test(tc, test_clocks);
    tcase_add_test(tc, test_alloc);
    tcase_add_test(tc, test_heap_huge);
    tcase_add_test(tc, test_out_of_memory);
    tcase_add_test(tc, test_out_of_memory_fails_execution);
    tcase_add_test(tc, test_error_names);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

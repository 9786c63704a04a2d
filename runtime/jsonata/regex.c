/*
 * regex.c - JSONata's regular expressions and the functions that take a
 * pattern ($contains, $split, $match, $replace), as jsonata-js 2.0.6
 * (src/functions.js, and evaluateRegex of src/jsonata.js) computes them.
 *
 * Regular expressions are PCRE2 patterns compiled with options that give
 * JavaScript's meaning to what a JSONata regex can say: \uHHHH escapes
 * (ALT_BSUX), a back reference to an unset group matching the empty string,
 * $ only at the very end without the m flag, [] and [^] as JavaScript reads
 * them; and the pattern is rewritten where PCRE2 still reads it otherwise
 * (\s with Unicode's spaces, '.' stopping at U+2028/U+2029, \v, escaped
 * letters JavaScript takes literally: js_translate).  jsonata-js makes every
 * regex global ('g') and chains matches through `next`, each search
 * starting where the previous match ended; an empty match anywhere but the
 * first raises D1004 ("matches zero length string"), which is what keeps a
 * chain from looping.  A pattern PCRE2 rejects raises S0303 (jsonata-js
 * leaves JavaScript's SyntaxError uncaught there, with no code).
 *
 * Compiled patterns are cached in the context (slot JN_SLOT_REGEX) by
 * flags and pattern text, each with its match data, in malloc'd memory
 * freed by jn_ctx_destroy: a regex inside a loop, or in an expression
 * evaluated again and again, compiles once.  Nothing of PCRE2 is allocated
 * per match, so a jn_fail between two calls leaks nothing.  Past
 * REGEX_CACHE_MAX patterns, PCRE2 allocates from the arena (a general
 * context whose free does nothing) for the current evaluation only.
 *
 * $match, $contains, $split and $replace take a string or any matcher
 * function: a regex goes through PCRE2 directly, anything else is called
 * as jsonata-js calls it (evaluateMatcher), its result checked for the
 * matcher structure (T1010).  Positions a matcher returns ("start", "end",
 * $match's "index") are UTF-16 indexes, as RegExp gives them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* memmem */
#endif
#define PCRE2_CODE_UNIT_WIDTH 8

#include <math.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "jsonata.h"
#include "text.h"

/* ==== UTF-16 indexes ==================================================== */

/* UTF-16 code units of a character. */
static unsigned units16(uint32_t cp) { return (cp & BAD_BYTE) || cp < 0x10000 ? 1 : 2; }

/* The length of s[0..len) in UTF-16 code units. */
static double count_units16(const char *s, size_t len)
{
    double k = 0;
    size_t n;
    for (size_t i = 0; i < len; i += n)
        k += units16(next_cp(s, len, i, &n));
    return k;
}

/* The byte offset of UTF-16 index u (clamped; an index inside a
 * surrogate pair falls back to the pair's start). */
static size_t unit_offset(const char *s, size_t len, double u)
{
    size_t i = 0, n;
    double k = 0;
    while (i < len) {
        uint32_t cp = next_cp(s, len, i, &n);
        if (k + units16(cp) > u)
            break;
        k += units16(cp);
        i += n;
    }
    return i;
}

/* Walks UTF-16 indexes forward along a string: the index of byte offset
 * `to`, counting on from where the previous call stopped. */
typedef struct u16cursor {
    size_t byte;
    double unit;
} u16cursor;

static double cursor_at(u16cursor *c, const char *s, size_t len, size_t to)
{
    if (to < c->byte)
        c->byte = 0, c->unit = 0;
    size_t n;
    while (c->byte < to && c->byte < len) {
        c->unit += units16(next_cp(s, len, c->byte, &n));
        c->byte += n;
    }
    return c->unit;
}

/* ==== regular expressions: PCRE2 ======================================= */

static uint32_t compile_options(const char *flags)
{
    uint32_t o = PCRE2_UTF | PCRE2_ALT_BSUX | PCRE2_MATCH_UNSET_BACKREF |
                 PCRE2_DOLLAR_ENDONLY | PCRE2_ALLOW_EMPTY_CLASS;
    for (; flags && *flags; flags++) {
        if (*flags == 'i')
            o |= PCRE2_CASELESS;
        else if (*flags == 'm')
            o |= PCRE2_MULTILINE;
    }
    return o;
}

static void setup_compile(pcre2_compile_context *cc)
{
    pcre2_set_compile_extra_options(cc, PCRE2_EXTRA_ALT_BSUX);
    pcre2_set_newline(cc, PCRE2_NEWLINE_ANYCRLF);
}

/* Backtracking memory a match may take (KiB), instead of PCRE2's default
 * of about 20 GB; past it (or past PCRE2's default of ten million steps)
 * the match fails with U1001 where JavaScript would keep going. */
#define REGEX_HEAP_LIMIT_KB 65536

static void setup_match(pcre2_match_context *mc)
{
    pcre2_set_heap_limit(mc, REGEX_HEAP_LIMIT_KB);
}

/* ---- JavaScript patterns in PCRE2 terms -------------------------------- */

/* JavaScript's \s: white space and line terminators, Unicode's spaces
 * included (PCRE2's \s, without UCP, is ASCII only). */
#define JS_SPACE "\\s\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"

/* A pattern being rewritten, with the source offset of each byte. */
typedef struct tbuf {
    char *p;
    size_t *map;
    size_t len, cap;
    bool oom;
} tbuf;

static void t_add(tbuf *t, const char *s, size_t n, size_t from)
{
    if (t->oom)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *p = realloc(t->p, cap);
        if (p)
            t->p = p;
        size_t *map = p ? realloc(t->map, cap * sizeof *map) : NULL;
        if (map)
            t->map = map;
        if (!p || !map) {
            t->oom = true;
            return;
        }
        t->cap = cap;
    }
    memcpy(t->p + t->len, s, n);
    for (size_t i = 0; i < n; i++)
        t->map[t->len + i] = from;
    t->len += n;
}

/* Rewrites what PCRE2 reads differently from JavaScript (without the u
 * flag, as JSONata's regexes are): \s and \S with Unicode's spaces, '.'
 * stopping at U+2028 and U+2029 too, \v the vertical tab (not a class), and
 * a backslash before a letter JavaScript gives no meaning to (\A, \Q, \e,
 * \h, ...) standing for the letter itself.  \S inside a class keeps
 * PCRE2's ASCII meaning.  Returns false when out of memory. */
static bool js_translate(const char *p, size_t len, tbuf *t)
{
    bool in_class = false;
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < len;) {
        char c = p[i];
        if (c == '\\' && i + 1 < len) {
            char e = p[i + 1];
            bool letter = (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z');
            if (e == 's')
                t_add(t, in_class ? JS_SPACE : "[" JS_SPACE "]",
                      in_class ? sizeof JS_SPACE - 1 : sizeof JS_SPACE + 1, i);
            else if (e == 'S' && !in_class)
                t_add(t, "[^" JS_SPACE "]", sizeof JS_SPACE + 2, i);
            else if (e == 'v')
                t_add(t, "\\x0b", 4, i);
            else if (letter && !strchr("bBdDsSwWfnrtcxuk", e))
                t_add(t, &e, 1, i);
            else
                t_add(t, p + i, 2, i);
            i += 2;
            continue;
        }
        if (in_class) {
            if (c == ']')
                in_class = false;
        } else if (c == '[') {
            in_class = true;
        } else if (c == '.') {
            static const char dot[] = "[^\\n\\r\\u2028\\u2029]";
            t_add(t, dot, sizeof dot - 1, i);
            i++;
            continue;
        }
        t_add(t, &c, 1, i);
        i++;
    }
    t_add(t, "", 0, len);
    return !t->oom;
}

/* pcre2_compile of a JavaScript pattern.  On failure *err is PCRE2's code
 * and *off the offset in the JavaScript pattern. */
static pcre2_code *compile_js(const char *pattern, size_t len, uint32_t opts,
                              pcre2_compile_context *cc, int *err, size_t *off)
{
    tbuf t;
    pcre2_code *code = NULL;
    *off = 0;
    if (!js_translate(pattern, len, &t)) {
        *err = PCRE2_ERROR_NOMEMORY;
    } else {
        PCRE2_SIZE o;
        code = pcre2_compile((PCRE2_SPTR)t.p, t.len, opts, err, &o, cc);
        if (!code)
            *off = o < t.len ? t.map[o] : len;
    }
    free(t.p);
    free(t.map);
    return code;
}

/* What a regex value's jn_function.data points at. */
typedef struct regex_data {
    pcre2_code *code;
    pcre2_match_data *md;       /* scratch: read right after each match */
    pcre2_match_context *mctx;  /* allocates as md does */
    uint32_t ngroups;           /* capture groups */
    char *source;               /* the pattern text (NUL-terminated) */
    size_t source_len;
    char *key;                  /* cache key: options byte, then the pattern */
    size_t key_len;
} regex_data;

/* The context's compiled patterns (slot JN_SLOT_REGEX), kept across
 * resets until jn_ctx_destroy, in malloc'd memory.  Once it holds
 * REGEX_CACHE_MAX patterns, further ones are compiled into the arena for
 * the current evaluation only. */
#define REGEX_CACHE_MAX 256

typedef struct regex_cache {
    pcre2_compile_context *comp;
    pcre2_match_context *match;
    regex_data *items[REGEX_CACHE_MAX];
    size_t n;
} regex_cache;

static void free_regex_cache(void *p)
{
    regex_cache *rc = p;
    for (size_t i = 0; i < rc->n; i++) {
        regex_data *rd = rc->items[i];
        pcre2_match_data_free(rd->md);
        pcre2_code_free(rd->code);
        free(rd->source);
        free(rd->key);
        free(rd);
    }
    pcre2_compile_context_free(rc->comp);
    pcre2_match_context_free(rc->match);
    free(rc);
}

static regex_cache *get_cache(jn_ctx *cx)
{
    regex_cache *rc = jn_ctx_get_slot(cx, JN_SLOT_REGEX);
    if (rc)
        return rc;
    rc = calloc(1, sizeof *rc);
    if (!rc)
        return NULL;
    rc->comp = pcre2_compile_context_create(NULL);
    rc->match = pcre2_match_context_create(NULL);
    if (!rc->comp || !rc->match) {
        free_regex_cache(rc);
        return NULL;
    }
    setup_compile(rc->comp);
    setup_match(rc->match);
    jn_ctx_set_slot(cx, JN_SLOT_REGEX, rc, free_regex_cache);
    return rc;
}

/* PCRE2 allocating from the arena, for patterns beyond the cache. */
static void *arena_malloc(PCRE2_SIZE size, void *data)
{
    return jn_alloc((jn_ctx *)data, size ? size : 1);
}

static void arena_free(void *p, void *data)
{
    (void)p, (void)data;    /* the arena takes it back at reset */
}

bool jn_is_regex(const jn_value *v)
{
    return v && v->type == JN_FUNCTION && v->u.function->kind == JN_FN_REGEX;
}

static regex_data *regex_of(const jn_value *re) { return re->u.function->data; }

static _Noreturn void fail_out_of_memory(jn_ctx *cx)
{
    jn_fail_msg(cx, "U1001", "Out of memory compiling a regular expression");
}

static _Noreturn void fail_compile(jn_ctx *cx, const char *pattern, size_t len, int err)
{
    PCRE2_UCHAR msg[256];
    if (pcre2_get_error_message(err, msg, sizeof msg) < 0)
        strcpy((char *)msg, "invalid pattern");
    jn_fail_msg(cx, "S0303", jn_printf(cx, "Invalid regular expression: /%.*s/: %s", (int)len,
                                       pattern, (const char *)msg));
}

/* Compiles into malloc'd memory for the cache, or NULL when out of
 * memory; fails on a bad pattern. */
static regex_data *compile_cached(jn_ctx *cx, regex_cache *rc, const char *pattern, size_t len,
                                  uint32_t opts, const char *key, size_t klen)
{
    int err;
    size_t off;
    pcre2_code *code = compile_js(pattern, len, opts, rc->comp, &err, &off);
    if (!code) {
        if (err == PCRE2_ERROR_NOMEMORY)
            return NULL;
        fail_compile(cx, pattern, len, err);
    }
    regex_data *rd = calloc(1, sizeof *rd);
    if (rd) {
        rd->md = pcre2_match_data_create_from_pattern(code, NULL);
        rd->source = malloc(len + 1);
        rd->key = malloc(klen);
    }
    if (!rd || !rd->md || !rd->source || !rd->key) {
        if (rd) {
            pcre2_match_data_free(rd->md);
            free(rd->source);
            free(rd->key);
            free(rd);
        }
        pcre2_code_free(code);
        return NULL;
    }
    rd->code = code;
    rd->mctx = rc->match;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &rd->ngroups);
    memcpy(rd->source, pattern, len);
    rd->source[len] = '\0';
    rd->source_len = len;
    memcpy(rd->key, key, klen);
    rd->key_len = klen;
    rc->items[rc->n++] = rd;
    return rd;
}

/* Compiles into the arena, for this evaluation only. */
static regex_data *compile_arena(jn_ctx *cx, const char *pattern, size_t len, uint32_t opts)
{
    pcre2_general_context *gen = pcre2_general_context_create(arena_malloc, arena_free, cx);
    pcre2_compile_context *comp = gen ? pcre2_compile_context_create(gen) : NULL;
    pcre2_match_context *mctx = gen ? pcre2_match_context_create(gen) : NULL;
    if (!comp || !mctx)
        fail_out_of_memory(cx);
    setup_compile(comp);
    setup_match(mctx);
    int err;
    size_t off;
    pcre2_code *code = compile_js(pattern, len, opts, comp, &err, &off);
    if (!code)
        fail_compile(cx, pattern, len, err);
    regex_data *rd = jn_alloc(cx, sizeof *rd);
    rd->code = code;
    rd->md = pcre2_match_data_create_from_pattern(code, gen);
    if (!rd->md)
        fail_out_of_memory(cx);
    rd->mctx = mctx;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &rd->ngroups);
    rd->source = jn_strndup(cx, pattern, len);
    rd->source_len = len;
    return rd;
}

jn_value *jn_regex_new(jn_ctx *cx, const char *pattern, size_t len, const char *flags)
{
    uint32_t opts = compile_options(flags);
    size_t klen = len + 1;
    char *key = jn_alloc(cx, klen);
    key[0] = (char)('0' + ((opts & PCRE2_CASELESS) ? 1 : 0) + ((opts & PCRE2_MULTILINE) ? 2 : 0));
    memcpy(key + 1, pattern, len);
    regex_cache *rc = get_cache(cx);
    regex_data *rd = NULL;
    for (size_t i = 0; rc && i < rc->n && !rd; i++)
        if (rc->items[i]->key_len == klen && memcmp(rc->items[i]->key, key, klen) == 0)
            rd = rc->items[i];
    if (!rd && rc && rc->n < REGEX_CACHE_MAX)
        rd = compile_cached(cx, rc, pattern, len, opts, key, klen);
    if (!rd)
        rd = compile_arena(cx, pattern, len, opts);
    jn_function *f = jn_alloc(cx, sizeof *f);
    f->kind = JN_FN_REGEX;
    f->arity = 1;
    f->data = rd;
    jn_value *v = jn_alloc(cx, sizeof *v);
    v->type = JN_FUNCTION;
    v->u.function = f;
    return v;
}

bool jn_regex_check(const char *pattern, size_t len, const char *flags, char *msg,
                    size_t msgsize, size_t *offset)
{
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    if (!cc) {
        if (msgsize)
            snprintf(msg, msgsize, "out of memory");
        *offset = 0;
        return false;
    }
    setup_compile(cc);
    int err;
    size_t off;
    pcre2_code *code = compile_js(pattern, len, compile_options(flags), cc, &err, &off);
    pcre2_compile_context_free(cc);
    if (code) {
        pcre2_code_free(code);
        return true;
    }
    if (msgsize) {
        PCRE2_UCHAR text[256];
        if (pcre2_get_error_message(err, text, sizeof text) < 0)
            strcpy((char *)text, "invalid pattern");
        snprintf(msg, msgsize, "%s", (const char *)text);
    }
    *offset = off;
    return false;
}

/* PCRE2 wants valid UTF-8 (and is told not to check it again).  Returns s
 * itself, or a copy of the same length where each lone surrogate is
 * U+FFFD (also three bytes) and each stray byte '?', so that offsets into
 * the copy are offsets into s. */
static const char *utf8_clean(jn_ctx *cx, const char *s, size_t len)
{
    size_t i = 0, n;
    char *copy = NULL;
    while (i < len) {
        uint32_t cp = decode1((const unsigned char *)s + i, len - i, &n);
        bool bad = (cp & BAD_BYTE) || (cp >= 0xD800 && cp <= 0xDFFF);
        if (bad && !copy) {
            copy = jn_alloc(cx, len + 1);
            memcpy(copy, s, len);
        }
        if ((cp & BAD_BYTE))
            copy[i] = '?';
        else if (cp >= 0xD800 && cp <= 0xDFFF)
            memcpy(copy + i, "\xEF\xBF\xBD", 3);
        i += n;
    }
    return copy ? copy : s;
}

/* Matches from byte `from` (a character boundary) of clean (valid UTF-8).
 * Returns false when there is no match; the offsets are then in rd->md. */
static bool re_run(jn_ctx *cx, regex_data *rd, const char *clean, size_t len, size_t from)
{
    int rc = pcre2_match(rd->code, (PCRE2_SPTR)clean, len, from, PCRE2_NO_UTF_CHECK, rd->md,
                         rd->mctx);
    if (rc == PCRE2_ERROR_NOMATCH)
        return false;
    if (rc < 0) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(rc, msg, sizeof msg) < 0)
            strcpy((char *)msg, "matching failed");
        jn_fail_msg(cx, "U1001",
                    jn_printf(cx, "Regular expression /%.*s/ could not be matched: %s",
                              (int)rd->source_len, rd->source, (const char *)msg));
    }
    return true;
}

/* Group g (0: the whole match) of the last match, or false if unset. */
static bool re_group(const regex_data *rd, uint32_t g, size_t *start, size_t *end)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rd->md);
    if (g >= pcre2_get_ovector_count(rd->md) || ov[2 * g] == PCRE2_UNSET)
        return false;
    *start = ov[2 * g];
    *end = ov[2 * g + 1];
    return true;
}

bool jn_regex_exec(jn_ctx *cx, const jn_value *re, const char *s, size_t len, size_t from,
                   jn_match *m)
{
    if (!jn_is_regex(re) || from > len)
        return false;
    regex_data *rd = regex_of(re);
    const char *clean = utf8_clean(cx, s, len);
    while (from < len && (clean[from] & 0xC0) == 0x80)
        from++;
    if (!re_run(cx, rd, clean, len, from))
        return false;
    re_group(rd, 0, &m->start, &m->end);
    m->ngroups = rd->ngroups < 32 ? (int)rd->ngroups : 32;
    for (int g = 0; g < m->ngroups; g++)
        if (!re_group(rd, (uint32_t)g + 1, &m->gstart[g], &m->gend[g]))
            m->gstart[g] = m->gend[g] = SIZE_MAX;
    return true;
}

/* ---- the match objects of a regex closure ------------------------------ */

/* What a match's `next` function carries. */
typedef struct next_data {
    jn_value *re;
    const char *s, *clean;  /* the subject, and its PCRE2-safe twin */
    size_t len;
    size_t last;            /* lastIndex: where the match ended */
    u16cursor cur;
} next_data;

static jn_value *regex_next(jn_ctx *cx, jn_value *const *args, int nargs, void *data);

static void fail_zero_length(jn_ctx *cx, const regex_data *rd)
{
    jn_fail(cx, "D1004", NULL, jn_string(cx, rd->source, rd->source_len), -1);
}

/* The captures of the last match as strings (an unset group is ""). */
static jn_value *groups_array(jn_ctx *cx, const regex_data *rd, const char *s)
{
    jn_value *groups = jn_array(cx, rd->ngroups);
    for (uint32_t g = 1; g <= rd->ngroups; g++) {
        size_t a, b;
        if (re_group(rd, g, &a, &b))
            jn_array_push(cx, groups, jn_string_ref(cx, s + a, b - a));
        else
            jn_array_push(cx, groups, jn_string_ref(cx, "", 0));
    }
    return groups;
}

/* {"match", "start", "end", "groups", "next"} of the last match of re in
 * s, as jsonata-js's regex closure returns it. */
static jn_value *match_object(jn_ctx *cx, jn_value *re, const char *s, const char *clean,
                              size_t len, u16cursor *cur)
{
    regex_data *rd = regex_of(re);
    size_t a = 0, b = 0;
    re_group(rd, 0, &a, &b);
    double ua = cursor_at(cur, s, len, a);
    double ub = ua + count_units16(s + a, b - a);
    jn_value *obj = jn_object(cx);
    jn_object_set(cx, obj, "match", 5, jn_string_ref(cx, s + a, b - a));
    jn_object_set(cx, obj, "start", 5, jn_number(cx, ua));
    jn_object_set(cx, obj, "end", 3, jn_number(cx, ub));
    jn_object_set(cx, obj, "groups", 6, groups_array(cx, rd, s));
    next_data *nd = jn_alloc(cx, sizeof *nd);
    nd->re = re;
    nd->s = s;
    nd->clean = clean;
    nd->len = len;
    nd->last = b;
    nd->cur = *cur;
    jn_object_set(cx, obj, "next", 4, jn_native(cx, "next", NULL, regex_next, nd));
    return obj;
}

static jn_value *regex_next(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)args, (void)nargs;
    next_data *nd = data;
    regex_data *rd = regex_of(nd->re);
    if (nd->last >= nd->len)
        return NULL;
    if (!re_run(cx, rd, nd->clean, nd->len, nd->last))
        return NULL;
    size_t a = 0, b = 0;
    re_group(rd, 0, &a, &b);
    if (a == b)
        fail_zero_length(cx, rd);
    u16cursor cur = nd->cur;
    return match_object(cx, nd->re, nd->s, nd->clean, nd->len, &cur);
}

jn_value *jn_regex_call(jn_ctx *cx, jn_value *re, jn_value *str)
{
    if (!jn_is_regex(re) || !str)
        return NULL;
    jn_value *subject = str;
    if (str->type != JN_STRING) {
        /* RegExp.prototype.exec takes String(str) */
        if (str->type == JN_OBJECT || str->type == JN_ARRAY || str->type == JN_FUNCTION)
            return NULL;
        sbuf b = { cx, NULL, 0, 0 };
        js_text(&b, str);
        subject = sb_value(&b);
    }
    const char *s = subject->u.string.s;
    size_t len = subject->u.string.len;
    const char *clean = utf8_clean(cx, s, len);
    if (!re_run(cx, regex_of(re), clean, len, 0))
        return NULL;
    u16cursor cur = { 0, 0 };
    return match_object(cx, re, s, clean, len, &cur);
}

/* ==== matchers: evaluateMatcher of functions.js ========================= */

/* Walks the matches of a matcher function over a string.  Positions are
 * in "units": bytes when the matcher is a regex (handled here directly),
 * UTF-16 indexes when it is any other function (whose result objects
 * speak JavaScript's indexes). */
typedef struct matcher {
    jn_ctx *cx;
    jn_value *fn;
    const char *fname;      /* the calling function, for T1010 */
    const char *s, *clean;
    size_t len;
    bool is_regex;
    bool found;             /* a current match exists */
    size_t start, end;      /* regex: the current match, bytes */
    u16cursor cur;          /* regex: UTF-16 indexes of match starts */
    jn_value *obj;          /* other: the current result */
} matcher;

static jn_value *member(const jn_value *obj, const char *key)
{
    return jn_is_object(obj) ? jn_object_get(obj, key, strlen(key)) : NULL;
}

/* The T1010 test of evaluateMatcher (its `result.end === 'number'` is
 * jsonata-js's own). */
static void check_matcher_result(matcher *m, jn_value *r)
{
    if (!jn_js_truthy(r))
        return;
    jn_value *end = member(r, "end");
    if (jn_is_number(member(r, "start")) ||
        (jn_is_string(end) && end->u.string.len == 6 && memcmp(end->u.string.s, "number", 6) == 0) ||
        jn_is_array(member(r, "groups")) || jn_is_function(member(r, "next")))
        return;
    jn_fail(m->cx, "T1010", m->fname, NULL, -1);
}

static void m_run_regex(matcher *m, size_t from)
{
    regex_data *rd = regex_of(m->fn);
    m->found = re_run(m->cx, rd, m->clean, m->len, from);
    if (m->found)
        re_group(rd, 0, &m->start, &m->end);
}

static void m_first(matcher *m, jn_ctx *cx, jn_value *fn, jn_value *str, const char *fname)
{
    memset(m, 0, sizeof *m);
    m->cx = cx;
    m->fn = fn;
    m->fname = fname;
    m->s = str->u.string.s;
    m->len = str->u.string.len;
    if (!jn_is_function(fn))
        jn_fail(cx, "T1010", fname, NULL, -1);
    if (jn_is_regex(fn)) {
        m->is_regex = true;
        m->clean = utf8_clean(cx, m->s, m->len);
        m_run_regex(m, 0);
        return;
    }
    jn_value *a[1] = { str };
    jn_value *r = jn_apply(cx, fn, a, 1);
    check_matcher_result(m, r);
    m->obj = r;
    m->found = r != NULL;
}

static void m_next(matcher *m)
{
    if (!m->found)
        return;
    if (m->is_regex) {
        size_t last = m->end;
        if (last >= m->len) {
            m->found = false;
            return;
        }
        m_run_regex(m, last);
        if (m->found && m->start == m->end)
            fail_zero_length(m->cx, regex_of(m->fn));
        return;
    }
    jn_value *next = member(m->obj, "next");
    if (!jn_is_function(next)) {
        m->found = false;
        return;
    }
    jn_value *r = jn_apply(m->cx, next, NULL, 0);
    check_matcher_result(m, r);
    m->obj = r;
    m->found = r != NULL;
}

static double m_num(const matcher *m, const char *key)
{
    jn_value *v = member(m->obj, key);
    return jn_is_number(v) ? v->u.number : NAN;
}

static double m_start(const matcher *m) { return m->is_regex ? (double)m->start : m_num(m, "start"); }
static double m_end(const matcher *m) { return m->is_regex ? (double)m->end : m_num(m, "end"); }

/* The total length of the string in units. */
static double m_length(const matcher *m)
{
    return m->is_regex ? (double)m->len : count_units16(m->s, m->len);
}

/* The byte range of str.substring(a, b), a and b in units. */
static void m_substring(const matcher *m, double a, double b, size_t *from, size_t *to)
{
    double L = m_length(m);
    a = isnan(a) ? 0 : a < 0 ? 0 : a > L ? L : trunc(a);
    b = isnan(b) ? 0 : b < 0 ? 0 : b > L ? L : trunc(b);
    if (a > b) {
        double t = a;
        a = b;
        b = t;
    }
    if (m->is_regex) {
        *from = (size_t)a;
        *to = (size_t)b;
    } else {
        *from = unit_offset(m->s, m->len, a);
        *to = unit_offset(m->s, m->len, b);
    }
}

static jn_value *m_slice_value(const matcher *m, double a, double b)
{
    size_t f, t;
    m_substring(m, a, b, &f, &t);
    return jn_string_ref(m->cx, m->s + f, t - f);
}

static void m_slice_add(const matcher *m, sbuf *out, double a, double b)
{
    size_t f, t;
    m_substring(m, a, b, &f, &t);
    sb_add(out, m->s + f, t - f);
}

/* The match object handed to a replacement function. */
static jn_value *m_object(matcher *m)
{
    if (!m->is_regex)
        return m->obj;
    return match_object(m->cx, m->fn, m->s, m->clean, m->len, &m->cur);
}

/* ==== $contains, $split, $match, $replace ============================== */

static jn_value *fn_contains(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *v = arg_at(args, nargs, 0), *t = arg_at(args, nargs, 1);
    if (!jn_is_string(v))
        return NULL;
    if (jn_is_string(t))
        return jn_bool(memmem(v->u.string.s, v->u.string.len, t->u.string.s,
                              t->u.string.len) != NULL);
    matcher m;
    m_first(&m, cx, t, v, "contains");
    return jn_bool(m.found);
}

/* ECMAScript ToUint32. */
static double to_uint32(double x)
{
    if (!isfinite(x))
        return 0;
    double t = fmod(trunc(x), 4294967296.0);
    return t < 0 ? t + 4294967296.0 : t;
}

static jn_value *fn_split(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *v = arg_at(args, nargs, 0), *sep = arg_at(args, nargs, 1);
    double limit = 0;
    if (!jn_is_string(v))
        return NULL;
    bool has_limit = num_at(args, nargs, 2, &limit);
    if (has_limit && limit < 0)
        jn_fail(cx, "D3020", NULL, args[2], 3);
    jn_value *result = jn_array(cx, 0);
    if (has_limit && !(limit > 0))
        return result;
    const char *s = v->u.string.s;
    size_t len = v->u.string.len;
    if (jn_is_string(sep)) {
        /* String.prototype.split(separator, limit) */
        double lim = has_limit ? to_uint32(limit) : 4294967295.0;
        double count = 0;
        const char *p = sep->u.string.s;
        size_t plen = sep->u.string.len;
        if (lim == 0)
            return result;
        if (plen == 0) {
            size_t n;
            for (size_t i = 0; i < len && count < lim; i += n, count++) {
                next_cp(s, len, i, &n);
                jn_array_push(cx, result, jn_string_ref(cx, s + i, n));
            }
            return result;
        }
        size_t pos = 0;
        for (;;) {
            const char *hit = pos <= len ? memmem(s + pos, len - pos, p, plen) : NULL;
            if (!hit)
                break;
            size_t at = (size_t)(hit - s);
            jn_array_push(cx, result, jn_string_ref(cx, s + pos, at - pos));
            if (++count >= lim)
                return result;
            pos = at + plen;
        }
        jn_array_push(cx, result, jn_string_ref(cx, s + pos, len - pos));
        return result;
    }
    matcher m;
    double count = 0;
    m_first(&m, cx, sep, v, "split");
    if (!m.found) {
        jn_array_push(cx, result, v);
        return result;
    }
    double start = 0;
    while (m.found && (!has_limit || count < limit)) {
        jn_array_push(cx, result, m_slice_value(&m, start, m_start(&m)));
        start = m_end(&m);
        m_next(&m);
        count++;
    }
    if (!has_limit || count < limit)
        jn_array_push(cx, result, m_slice_value(&m, start, m_length(&m)));
    return result;
}

static jn_value *fn_match(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *v = arg_at(args, nargs, 0), *re = arg_at(args, nargs, 1);
    double limit = 0;
    if (!jn_is_string(v))
        return NULL;
    bool has_limit = num_at(args, nargs, 2, &limit);
    if (has_limit && limit < 0)
        jn_fail(cx, "D3040", NULL, args[2], 3);
    jn_value *result = jn_sequence(cx);
    if (has_limit && !(limit > 0))
        return result;
    matcher m;
    double count = 0;
    m_first(&m, cx, re, v, "match");
    while (m.found && (!has_limit || count < limit)) {
        jn_value *obj = jn_object(cx);
        if (m.is_regex) {
            regex_data *rd = regex_of(m.fn);
            jn_object_set(cx, obj, "match", 5, jn_string_ref(cx, m.s + m.start, m.end - m.start));
            jn_object_set(cx, obj, "index", 5, jn_number(cx, cursor_at(&m.cur, m.s, m.len, m.start)));
            jn_object_set(cx, obj, "groups", 6, groups_array(cx, rd, m.s));
        } else {
            jn_value *f;
            if ((f = member(m.obj, "match")))
                jn_object_set(cx, obj, "match", 5, f);
            if ((f = member(m.obj, "start")))
                jn_object_set(cx, obj, "index", 5, f);
            if ((f = member(m.obj, "groups")))
                jn_object_set(cx, obj, "groups", 6, f);
        }
        jn_array_push(cx, result, obj);
        m_next(&m);
        count++;
    }
    return result;
}

/* Appends the text $n refers to, group n (1-based) of the current match;
 * false when that group is undefined. */
static bool m_group_text(matcher *m, sbuf *out, double n)
{
    if (m->is_regex) {
        size_t a, b;
        regex_data *rd = regex_of(m->fn);
        if (n < 1 || n > rd->ngroups || !re_group(rd, (uint32_t)n, &a, &b))
            return false;
        sb_add(out, m->s + a, b - a);
        return true;
    }
    jn_value *g = member(m->obj, "groups");
    if (!jn_is_array(g) || n < 1 || n > (double)g->u.array.n)
        return false;
    js_text(out, g->u.array.items[(size_t)n - 1]);
    return true;
}

static double m_ngroups(matcher *m)
{
    if (m->is_regex)
        return regex_of(m->fn)->ngroups;
    jn_value *g = member(m->obj, "groups");
    return jn_is_array(g) ? (double)g->u.array.n : 0;
}

/* parseInt(s, 10) over n bytes: NaN when no digits lead. */
static double parse_int10(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')))
        i++;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i >= n || s[i] < '0' || s[i] > '9')
        return NAN;
    double v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        v = v * 10 + (s[i++] - '0');
    return neg ? -v : v;
}

/* The replacer of a string replacement in functions.js: $$ is '$', $0 the
 * match, $n a group (as many digits as the group count has, then one
 * fewer if that names no group); a '$' before anything else stays. */
static void substitute(matcher *m, sbuf *out, const char *r, size_t rlen)
{
    size_t position = 0;
    const char *d = memchr(r, '$', rlen);
    while (d && position < rlen) {
        size_t index = (size_t)(d - r);
        sb_add(out, r + position, index - position);
        position = index + 1;
        char dollar = position < rlen ? r[position] : '\0';
        if (position < rlen && dollar == '$') {
            sb_addc(out, '$');
            position++;
        } else if (position < rlen && dollar == '0') {
            if (m->is_regex)
                sb_add(out, m->s + m->start, m->end - m->start);
            else
                js_text(out, member(m->obj, "match"));
            position++;
        } else {
            double ng = m_ngroups(m);
            size_t max_digits = ng == 0 ? 1 : (size_t)floor(log(ng) * 0.4342944819032518) + 1;
            size_t avail = rlen - position;
            double gi = parse_int10(r + position, max_digits < avail ? max_digits : avail);
            if (max_digits > 1 && gi > ng) {
                size_t k = max_digits - 1;
                gi = parse_int10(r + position, k < avail ? k : avail);
            }
            if (!isnan(gi)) {
                if (ng > 0)
                    m_group_text(m, out, gi);
                char buf[40];
                position += (size_t)jn_format_number(gi, buf);
            } else {
                sb_addc(out, '$');
            }
        }
        d = position < rlen ? memchr(r + position, '$', rlen - position) : NULL;
    }
    if (position < rlen)
        sb_add(out, r + position, rlen - position);
}

static jn_value *fn_replace(jn_ctx *cx, jn_value *const *args, int nargs, void *data)
{
    (void)data;
    jn_value *v = arg_at(args, nargs, 0), *pattern = arg_at(args, nargs, 1);
    jn_value *replacement = arg_at(args, nargs, 2);
    double limit = 0;
    if (!jn_is_string(v))
        return NULL;
    if (jn_is_string(pattern) && pattern->u.string.len == 0)
        jn_fail(cx, "D3010", NULL, pattern, 2);
    bool has_limit = num_at(args, nargs, 3, &limit);
    if (has_limit && limit < 0)
        jn_fail(cx, "D3011", NULL, args[3], 4);
    if (has_limit && !(limit > 0))
        return v;
    const char *s = v->u.string.s;
    size_t len = v->u.string.len;
    sbuf out = { cx, NULL, 0, 0 };
    double count = 0;
    if (jn_is_string(pattern)) {
        /* a string pattern inserts the replacement as it is */
        if (!jn_is_string(replacement))
            jn_fail(cx, "D3012", NULL, replacement, -1);
        const char *p = pattern->u.string.s;
        size_t plen = pattern->u.string.len, pos = 0;
        while (!has_limit || count < limit) {
            const char *hit = memmem(s + pos, len - pos, p, plen);
            if (!hit)
                break;
            sb_add(&out, s + pos, (size_t)(hit - (s + pos)));
            sb_add(&out, replacement->u.string.s, replacement->u.string.len);
            pos = (size_t)(hit - s) + plen;
            count++;
        }
        sb_add(&out, s + pos, len - pos);
        return sb_value(&out);
    }
    if (!jn_is_string(replacement) && !jn_is_function(replacement))
        jn_fail(cx, "D3012", NULL, replacement, -1);
    matcher m;
    m_first(&m, cx, pattern, v, "replace");
    if (!m.found)
        return v;
    double position = 0;
    while (m.found && (!has_limit || count < limit)) {
        m_slice_add(&m, &out, position, m_start(&m));
        if (jn_is_string(replacement)) {
            substitute(&m, &out, replacement->u.string.s, replacement->u.string.len);
        } else {
            jn_value *a[1] = { m_object(&m) };
            jn_value *r = jn_apply(cx, replacement, a, 1);
            if (!jn_is_string(r))
                jn_fail(cx, "D3012", NULL, r, -1);
            sb_add(&out, r->u.string.s, r->u.string.len);
        }
        if (m.is_regex) {
            position = (double)m.end;
        } else {
            jn_value *mt = member(m.obj, "match");
            position = m_start(&m) +
                       (jn_is_string(mt) ? count_units16(mt->u.string.s, mt->u.string.len) : 0);
        }
        count++;
        m_next(&m);
    }
    m_slice_add(&m, &out, position, m_length(&m));
    return sb_value(&out);
}


/* ==== the table ========================================================= */

/* Signatures as jsonata.js binds them. */
const jn_builtin jn_builtins_regex[] = {
    { "contains", "<s-(sf):b>", fn_contains },
    { "split", "<s-(sf)n?:a<s>>", fn_split },
    { "match", "<s-f<s:o>n?:a<o>>", fn_match },
    { "replace", "<s-(sf)(sf)n?:s>", fn_replace },
    { NULL, NULL, NULL }
};

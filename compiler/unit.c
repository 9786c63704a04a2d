/*
 * unit.c - one compilation's unit: the definition read from its file (or
 * "-", stdin), its text parsed by jansson (and kept, for srcmap.c's
 * positions), the arena everything the compiler builds is allocated from,
 * and the helpers that build JSON pointers for diagnostics.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"
#include "unit.h"
#include "jsonata/jsonata.h"

struct asl_arena_block {
    asl_arena_block *next;
    size_t used, size;
    _Alignas(max_align_t) unsigned char data[];
};

_Noreturn void asl_internal_error(const char *file, int line, const char *msg)
{
    fprintf(stderr, "aslc: internal error at %s:%d: %s\n", file, line, msg);
    abort();
}

void *asl_alloc(asl_unit *u, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    asl_arena_block *b = u->arena;
    if (!b || b->used + size > b->size) {
        size_t bs = size > 65536 ? size : 65536;
        b = aslrtp_malloc(sizeof *b + bs);
        b->next = u->arena;
        b->used = 0;
        b->size = bs;
        u->arena = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *asl_strdup(asl_unit *u, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = asl_alloc(u, n);
    memcpy(d, s, n);
    return d;
}

char *asl_strdupf(asl_unit *u, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        aslrtp_oom(0);
    char *d = asl_alloc(u, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

char *asl_ptr(asl_unit *u, const char *base, const char *token)
{
    char *p = asl_pointer_join(base, token);
    char *d = asl_strdup(u, p);
    free(p);
    return d;
}

char *asl_ptr_index(asl_unit *u, const char *base, size_t index)
{
    return asl_strdupf(u, "%s/%zu", base, index);
}

asl_unit *asl_unit_create(const char *filename, const char *text, size_t len)
{
    asl_unit *u = aslrtp_calloc(1, sizeof *u);
    u->filename = aslrtp_strdup(filename);
    u->text = aslrtp_memdup(text, len);
    u->len = len;
    asl_diag_init(&u->diags);

    /* AWS accepts a key given twice (the last one wins, as in jansson);
     * a warning says so, since it is almost always a mistake.  The
     * text is parsed strictly first, and again leniently only when that
     * met a duplicate key: one parse, not two, for the usual definition. */
    json_error_t err, dup;
    u->root = json_loadb(u->text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES,
                         &err);
    if (!u->root && json_error_code(&err) == json_error_duplicate_key) {
        dup = err;
        u->root = json_loadb(u->text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
        if (u->root)
            asl_diag_add(&u->diags, ASL_DIAG_WARNING, "", ASL_AT_OFFSET, (size_t)dup.position,
                         NULL, "%s; the last value is used", dup.text);
    }
    if (!u->root) {
        /* jansson's column is 0 after a newline; take the byte position and
         * let srcmap compute line and column like for every other error. */
        asl_diag_add(&u->diags, ASL_DIAG_ERROR, "", ASL_AT_OFFSET, (size_t)err.position,
                     "INVALID_JSON_DESCRIPTION", "invalid JSON: %s", err.text);
    }
    return u;
}

asl_unit *asl_unit_load(const char *path, const char **errmsg)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        *errmsg = strerror(errno);
        return NULL;
    }
    size_t cap = 65536, len = 0;
    char *buf = aslrtp_malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            buf = aslrtp_realloc(buf, cap);
        }
    }
    int bad = ferror(f);
    int e = errno;
    if (f != stdin)
        fclose(f);
    if (bad) {
        free(buf);
        *errmsg = strerror(e);
        return NULL;
    }
    asl_unit *u = asl_unit_create(path, buf, len);
    free(buf);
    return u;
}

struct jn_ctx *asl_unit_jsonata(asl_unit *u)
{
    if (!u->jn) {
        jn_options o = {0};
        o.now_ms = 0;
        u->jn = jn_ctx_create(&o);
    }
    return u->jn;
}

void asl_unit_destroy(asl_unit *u)
{
    if (!u)
        return;
    while (u->arena) {
        asl_arena_block *n = u->arena->next;
        free(u->arena);
        u->arena = n;
    }
    json_decref(u->root);
    if (u->jn)
        jn_ctx_destroy(u->jn);
    asl_diag_free(&u->diags);
    free(u->filename);
    free(u->text);
    free(u);
}

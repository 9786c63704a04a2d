/*
 * rest.c - the parts of a rest-xml or rest-json request that the model
 * places outside the body, and the output members the answer carries
 * outside its body (doc/behaviour.md §27):
 *
 *  - the path: the operation's requestUri ("/{Bucket}/{Key+}") with each
 *    {Name} replaced by the uri member whose locationName is Name,
 *    percent-encoded, '/' kept for a greedy {Name+}; a path-style URL, so
 *    that it works with any endpoint it is given;
 *  - the query string: the requestUri's own parameters ("list-type=2",
 *    "uploads" as "uploads=") and the querystring members (a list repeats
 *    its name, a map gives its entries), sorted by name then value and
 *    encoded as SigV4's canonical request wants, so that what libcurl signs
 *    is what is sent;
 *  - headers: header members by their locationName (timestamps as RFC 822
 *    dates, lists joined with ", "), headers maps as prefix + key;
 *  - from the answer: header members, a headers map (the headers that
 *    start with its prefix, the prefix taken off) and the status code.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rest.h"
#include "xml.h"

const char *aslrtp_rest_header(const aslrtp_aws_response *r, const char *name)
{
    const char *key;
    json_t *val;
    json_object_foreach(r->headers, key, val) {
        if (strcasecmp(key, name) == 0)
            return json_string_value(val);
    }
    return NULL;
}

bool aslrtp_rest_has_header(const aslrtp_aws_wire *w, const char *name)
{
    size_t n = strlen(name);
    for (char **h = w->headers; h && *h; h++)
        if (strncasecmp(*h, name, n) == 0 && (*h)[n] == ':')
            return true;
    return false;
}

const aslrtp_aws_member *aslrtp_rest_payload(const aslrtp_aws_service *s, int shape)
{
    if (shape < 0 || s->shapes[shape].type != ASLRTP_SHAPE_STRUCTURE)
        return NULL;
    const aslrtp_aws_shape *sh = &s->shapes[shape];
    for (int i = 0; i < sh->count; i++)
        if (s->members[sh->first + i].flags & ASLRTP_MEMBER_PAYLOAD)
            return &s->members[sh->first + i];
    return NULL;
}

bool aslrtp_rest_has_body_members(const aslrtp_aws_service *s, int shape)
{
    if (shape < 0 || s->shapes[shape].type != ASLRTP_SHAPE_STRUCTURE)
        return false;
    const aslrtp_aws_shape *sh = &s->shapes[shape];
    for (int i = 0; i < sh->count; i++)
        if (s->members[sh->first + i].location == ASLRTP_LOC_BODY)
            return true;
    return false;
}

/* ---- The request -------------------------------------------------------- */

/* A query parameter, encoded. */
typedef struct param {
    char *key, *value;
} param;

typedef struct params {
    param *p;
    size_t n, cap;
} params;

/* Adds key=value, encoding both (n bytes of each). */
static void param_add(params *ps, const char *key, size_t kn, const char *value, size_t vn)
{
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 8;
        ps->p = aslrtp_reallocarray(ps->p, ps->cap, sizeof *ps->p);
    }
    aslrtp_buf k = {0}, v = {0};
    aslrtp_aws_uri_encode(&k, key, kn, false);
    aslrtp_aws_uri_encode(&v, value, vn, false);
    char *ks = aslrtp_buf_finish(&k), *vs = aslrtp_buf_finish(&v);
    ps->p[ps->n].key = ks ? ks : aslrtp_strdup("");
    ps->p[ps->n].value = vs ? vs : aslrtp_strdup("");
    ps->n++;
}

static int param_cmp(const void *a, const void *b)
{
    const param *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

static int wrong(const char *name, const char *what, aslrt_error *err)
{
    char *c = aslrtp_strdupf("The value of %s must be %s", name, what);
    aslrt_error_set(err, ASLRTP_ERR_RUNTIME, c);
    free(c);
    return 0;
}

/* The text of v as member m's scalar in a place whose timestamps default
 * to fmt (malloc'd), or NULL. */
static char *text_of(const aslrtp_aws_service *s, int shape, json_t *v, const char *fmt)
{
    const aslrtp_aws_shape *sh = shape >= 0 ? &s->shapes[shape] : NULL;
    if (sh && sh->timestamp_format)
        fmt = aslrtp_aws_str_at(sh->timestamp_format);
    return aslrtp_aws_scalar_text(sh, v, fmt, true);
}

/* The query string members of params into ps. */
static int query_members(const aslrtp_aws_service *s, const aslrtp_aws_member *m, json_t *v,
                         params *ps, aslrt_error *err)
{
    const char *key = aslrtp_aws_str_at(m->wire ? m->wire : m->name);
    const aslrtp_aws_shape *sh = m->shape >= 0 ? &s->shapes[m->shape] : NULL;
    if (sh && sh->type == ASLRTP_SHAPE_LIST) {
        if (!json_is_array(v))
            return wrong(aslrtp_aws_str_at(m->name), "an array", err);
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            char *t = text_of(s, s->members[sh->first].shape, item, "iso8601");
            if (!t)
                return wrong(aslrtp_aws_str_at(m->name), "an array of scalars", err);
            param_add(ps, key, strlen(key), t, strlen(t));
            free(t);
        }
        return 1;
    }
    if (sh && sh->type == ASLRTP_SHAPE_MAP) {
        if (!json_is_object(v))
            return wrong(aslrtp_aws_str_at(m->name), "an object", err);
        const char *k;
        json_t *mv;
        json_object_foreach(v, k, mv) {
            const aslrtp_aws_shape *vsh = &s->shapes[s->members[sh->first + 1].shape];
            json_t *vals = vsh->type == ASLRTP_SHAPE_LIST ? json_incref(mv) : json_pack("[O]", mv);
            size_t i;
            json_t *item;
            json_array_foreach(vals, i, item) {
                char *t = aslrtp_aws_scalar_text(NULL, item, NULL, true);
                if (t)
                    param_add(ps, k, strlen(k), t, strlen(t));
                free(t);
            }
            json_decref(vals);
        }
        return 1;
    }
    char *t = text_of(s, m->shape, v, "iso8601");
    if (!t)
        return wrong(aslrtp_aws_str_at(m->name), "a scalar", err);
    param_add(ps, key, strlen(key), t, strlen(t));
    free(t);
    return 1;
}

static bool header_safe(const char *s)
{
    for (; *s; s++)
        if (*s == '\r' || *s == '\n' || *s == '\0')
            return false;
    return true;
}

/* The header members of params into w. */
static int header_members(const aslrtp_aws_service *s, const aslrtp_aws_member *m, json_t *v,
                          aslrtp_aws_wire *w, aslrt_error *err)
{
    const char *name = aslrtp_aws_str_at(m->wire ? m->wire : m->name);
    const aslrtp_aws_shape *sh = m->shape >= 0 ? &s->shapes[m->shape] : NULL;
    if (m->location == ASLRTP_LOC_HEADERS) {
        if (!json_is_object(v))
            return wrong(aslrtp_aws_str_at(m->name), "an object", err);
        const char *k;
        json_t *mv;
        json_object_foreach(v, k, mv) {
            char *t = aslrtp_aws_scalar_text(NULL, mv, NULL, true);
            char *h = aslrtp_strdupf("%s%s", name, k);
            int ok = t && header_safe(t) && header_safe(h) && !strchr(h, ':');
            if (ok)
                aslrtp_aws_wire_header(w, h, t);
            free(t);
            free(h);
            if (!ok)
                return wrong(aslrtp_aws_str_at(m->name), "an object of one-line texts", err);
        }
        return 1;
    }
    char *t;
    if (sh && sh->type == ASLRTP_SHAPE_LIST && json_is_array(v)) {
        aslrtp_buf b = {0};
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            char *it = text_of(s, s->members[sh->first].shape, item, "rfc822");
            if (it) {
                if (b.len)
                    aslrtp_buf_adds(&b, ", ");
                aslrtp_buf_adds(&b, it);
            }
            free(it);
        }
        t = aslrtp_buf_finish(&b);
        if (!t)
            t = aslrtp_strdup("");
    } else {
        t = text_of(s, m->shape, v, "rfc822");
    }
    if (!t || !header_safe(t)) {
        free(t);
        return wrong(aslrtp_aws_str_at(m->name), "a one-line scalar", err);
    }
    aslrtp_aws_wire_header(w, name, t);
    free(t);
    return 1;
}

/* The uri member of structure sh named name (by locationName). */
static const aslrtp_aws_member *uri_member(const aslrtp_aws_service *s, const aslrtp_aws_shape *sh,
                                           const char *name, size_t n)
{
    for (int i = 0; sh && i < sh->count; i++) {
        const aslrtp_aws_member *m = &s->members[sh->first + i];
        const char *w = aslrtp_aws_str_at(m->wire ? m->wire : m->name);
        if (m->location == ASLRTP_LOC_URI && strlen(w) == n && strncmp(w, name, n) == 0)
            return m;
    }
    return NULL;
}

int aslrtp_rest_request(const aslrtp_aws_service *s, const aslrtp_aws_op *op, json_t *params_in,
                        aslrtp_aws_wire *w, aslrt_error *err)
{
    const aslrtp_aws_shape *sh = op->input >= 0 ? &s->shapes[op->input] : NULL;
    if (sh && sh->type != ASLRTP_SHAPE_STRUCTURE)
        sh = NULL;
    const char *uri = op->uri ? aslrtp_aws_str_at(op->uri) : "/";
    const char *q = strchr(uri, '?');
    size_t plen = q ? (size_t)(q - uri) : strlen(uri);
    aslrtp_buf path = {0};
    params ps = {0};
    int ok = 1;
    for (size_t i = 0; i < plen && ok;) {
        if (uri[i] != '{') {
            aslrtp_buf_add(&path, uri + i, 1);
            i++;
            continue;
        }
        const char *close = memchr(uri + i, '}', plen - i);
        if (!close)
            break;
        const char *name = uri + i + 1;
        size_t n = (size_t)(close - name);
        bool greedy = n && name[n - 1] == '+';
        if (greedy)
            n--;
        const aslrtp_aws_member *m = uri_member(s, sh, name, n);
        json_t *v = m ? json_object_get(params_in, aslrtp_aws_str_at(m->name)) : NULL;
        char *t = v ? text_of(s, m->shape, v, "iso8601") : NULL;
        if (!t || !*t) {
            char *c = aslrtp_strdupf("The parameter %.*s of %s must be given (a non-empty "
                                     "text): it is part of the request's path",
                                     (int)n, name, aslrtp_aws_str_at(op->name));
            aslrt_error_set(err, ASLRTP_ERR_RUNTIME, c);
            free(c);
            ok = 0;
        } else {
            aslrtp_aws_uri_encode(&path, t, strlen(t), greedy);
        }
        free(t);
        i = (size_t)(close - uri) + 1;
    }
    /* The template's own query parameters. */
    for (const char *p = q ? q + 1 : NULL; p && *p && ok;) {
        size_t n = strcspn(p, "&");
        const char *eq = memchr(p, '=', n);
        if (eq)
            param_add(&ps, p, (size_t)(eq - p), eq + 1, n - (size_t)(eq - p) - 1);
        else if (n)
            param_add(&ps, p, n, "", 0);
        p += n;
        if (*p == '&')
            p++;
    }
    for (int i = 0; sh && ok && i < sh->count; i++) {
        const aslrtp_aws_member *m = &s->members[sh->first + i];
        json_t *v = json_object_get(params_in, aslrtp_aws_str_at(m->name));
        if (!v || json_is_null(v))
            continue;
        if (m->location == ASLRTP_LOC_QUERY)
            ok = query_members(s, m, v, &ps, err);
        else if (m->location == ASLRTP_LOC_HEADER || m->location == ASLRTP_LOC_HEADERS)
            ok = header_members(s, m, v, w, err);
    }
    if (ps.n)
        qsort(ps.p, ps.n, sizeof *ps.p, param_cmp);
    for (size_t i = 0; i < ps.n; i++) {
        aslrtp_buf_addf(&path, "%c%s=%s", i ? '&' : '?', ps.p[i].key, ps.p[i].value);
        free(ps.p[i].key);
        free(ps.p[i].value);
    }
    free(ps.p);
    char *p = aslrtp_buf_finish(&path);
    if (!ok) {
        free(p);
        return 0;
    }
    w->method = aslrtp_strdup(op->method ? aslrtp_aws_str_at(op->method) : "POST");
    w->path = p ? p : aslrtp_strdup("/");
    return 1;
}

/* ---- The answer --------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    const aslrtp_aws_member *x = *(const aslrtp_aws_member *const *)a;
    const aslrtp_aws_member *y = *(const aslrtp_aws_member *const *)b;
    return strcmp(aslrtp_aws_str_at(x->name), aslrtp_aws_str_at(y->name));
}

void aslrtp_rest_read_headers(const aslrtp_aws_service *s, int shape,
                              const aslrtp_aws_response *r, json_t *out)
{
    if (shape < 0 || s->shapes[shape].type != ASLRTP_SHAPE_STRUCTURE)
        return;
    const aslrtp_aws_shape *sh = &s->shapes[shape];
    /* In the order of their names, as Step Functions gives them. */
    const aslrtp_aws_member **ms = aslrtp_calloc((size_t)sh->count + 1, sizeof *ms);
    for (int i = 0; i < sh->count; i++)
        ms[i] = &s->members[sh->first + i];
    qsort(ms, (size_t)sh->count, sizeof *ms, by_name);
    for (int i = 0; i < sh->count; i++) {
        const aslrtp_aws_member *m = ms[i];
        const char *name = aslrtp_aws_str_at(m->name);
        const char *wire = aslrtp_aws_str_at(m->wire ? m->wire : m->name);
        const aslrtp_aws_shape *msh = m->shape >= 0 ? &s->shapes[m->shape] : NULL;
        if (m->location == ASLRTP_LOC_STATUS) {
            json_object_set_new(out, name, json_integer(r->status));
        } else if (m->location == ASLRTP_LOC_HEADERS) {
            json_t *o = json_object();
            size_t plen = strlen(wire);
            const char *key;
            json_t *val;
            json_object_foreach(r->headers, key, val) {
                if (strncasecmp(key, wire, plen) == 0 && key[plen])
                    json_object_set(o, key + plen, val);
            }
            json_object_set_new(out, name, o);
        } else if (m->location == ASLRTP_LOC_HEADER) {
            const char *v = aslrtp_rest_header(r, wire);
            if (!v)
                continue;
            if (msh && msh->type == ASLRTP_SHAPE_LIST) {
                const aslrtp_aws_shape *ish = &s->shapes[s->members[msh->first].shape];
                json_t *a = json_array();
                for (const char *p = v; *p;) {
                    size_t n = strcspn(p, ",");
                    size_t k = n;
                    const char *t = aslrtp_text_trim(p, &k);
                    char *item = aslrtp_memdup(t, k);
                    json_array_append_new(a, aslrtp_aws_scalar_value(ish, item));
                    free(item);
                    p += n;
                    if (*p == ',')
                        p++;
                }
                json_object_set_new(out, name, a);
            } else {
                json_object_set_new(out, name, aslrtp_aws_scalar_value(msh, v));
            }
        }
    }
    free(ms);
}

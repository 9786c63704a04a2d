/*
 * xml.c - XML answers turned into JSON and JSON parameters into XML, by
 * the shapes of the service table, for the query, ec2 and rest-xml
 * protocols (doc/behaviour.md §27); and the text of scalars that every
 * non-JSON protocol writes into a form, a URI, a header or an element.
 *
 * libxml2 parses; an answer is never trusted: no network access, entities
 * are never substituted (a document that declares a DTD is refused), the
 * text of an element is read from its text nodes only, and the size is
 * bounded.
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "xml.h"

/* ---- Parsing ------------------------------------------------------------ */

int aslrtp_xml_ready(aslrt_error *err)
{
    const char *why;
    if (aslrtp_xml_load(&why))
        return 1;
    aslrt_error_set(err, "aslc.MissingLibrary", why);
    return 0;
}

xmlDoc *aslrtp_xml_parse(const char *body, size_t len, const char **why)
{
    if (len > ASLRTP_XML_LIMIT || len > INT_MAX) {
        *why = "the XML answer is larger than 16 MiB";
        return NULL;
    }
    if (!aslrtp_xml_load(why))
        return NULL;
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
    xmlDoc *d = xmlReadMemory(body ? body : "", (int)len, NULL, NULL, opts);
    if (!d) {
        *why = "the answer is not well-formed XML";
        return NULL;
    }
    if (d->intSubset || d->extSubset) {
        xmlFreeDoc(d);
        *why = "the answer declares a DTD, which AWS's answers never do";
        return NULL;
    }
    if (!xmlDocGetRootElement(d)) {
        xmlFreeDoc(d);
        *why = "the XML answer has no element";
        return NULL;
    }
    return d;
}

const char *aslrtp_xml_name(const xmlNode *n)
{
    const char *name = (const char *)n->name;
    const char *colon = strchr(name, ':');
    return colon ? colon + 1 : name;
}

xmlNode *aslrtp_xml_child(const xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp(aslrtp_xml_name(c), name) == 0)
            return c;
    return NULL;
}

xmlNode *aslrtp_xml_find(xmlNode *n, const char *name)
{
    /* Iterative: a hostile document's depth costs no stack. */
    xmlNode *top = n;
    while (n) {
        if (n->type == XML_ELEMENT_NODE && strcmp(aslrtp_xml_name(n), name) == 0)
            return n;
        if (n->type == XML_ELEMENT_NODE && n->children) {
            n = n->children;
            continue;
        }
        while (n && n != top && !n->next)
            n = n->parent;
        if (!n || n == top)
            return NULL;
        n = n->next;
    }
    return NULL;
}

char *aslrtp_xml_text(const xmlNode *n)
{
    aslrtp_buf b = {0};
    for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
            aslrtp_buf_adds(&b, (const char *)c->content);
    char *t = aslrtp_buf_finish(&b);
    return t ? t : aslrtp_strdup("");
}

/* ---- Scalars ------------------------------------------------------------ */

/* Epoch seconds as fmt writes them (malloc'd). */
static char *time_text(double secs, const char *fmt)
{
    if (fmt && strcmp(fmt, "unixTimestamp") == 0) {
        char buf[64];
        aslrtp_format_double(secs, buf, sizeof buf);
        return aslrtp_strdup(buf);
    }
    time_t t = (time_t)floor(secs);
    int ms = (int)llround((secs - floor(secs)) * 1000);
    if (ms >= 1000) {
        t++;
        ms -= 1000;
    }
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[64];
    if (fmt && strcmp(fmt, "rfc822") == 0) {
        /* Always in English, whatever the locale. */
        static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
                 tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                 tm.tm_sec);
    } else {
        size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
        if (ms)
            snprintf(buf + n, sizeof buf - n, ".%03dZ", ms);
        else
            snprintf(buf + n, sizeof buf - n, "Z");
    }
    return aslrtp_strdup(buf);
}

/* The epoch seconds of an ISO 8601 text, or NAN. */
static double iso_seconds(const char *text)
{
    struct tm tm = {0};
    const char *end = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end)
        return NAN;
    double frac = 0;
    if (*end == '.') {
        double scale = 0.1;
        for (end++; isdigit((unsigned char)*end); end++, scale /= 10)
            frac += (*end - '0') * scale;
    }
    int64_t days = aslrtp_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    return (double)days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec + frac;
}

char *aslrtp_aws_scalar_text(const aslrtp_aws_shape *sh, json_t *v, const char *fmt, bool raw)
{
    char buf[64];
    switch (sh ? sh->type : ASLRTP_SHAPE_STRING) {
    case ASLRTP_SHAPE_STRING:
        if (json_is_string(v))
            return aslrtp_memdup(json_string_value(v), json_string_length(v));
        return json_is_null(v) ? NULL : aslrt_json_dumps(v);
    case ASLRTP_SHAPE_BLOB: {
        char *text = json_is_string(v) ? aslrtp_memdup(json_string_value(v), json_string_length(v))
                                       : aslrt_json_dumps(v);
        if (raw)
            return text;
        char *b64 = aslrtp_base64_encode(text, strlen(text), 0, NULL);
        free(text);
        return b64;
    }
    case ASLRTP_SHAPE_INTEGER:
    case ASLRTP_SHAPE_LONG:
        if (json_is_integer(v))
            return aslrtp_strdupf("%lld", (long long)json_integer_value(v));
        if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
            fabs(json_real_value(v)) < 9.2e18)
            return aslrtp_strdupf("%lld", (long long)json_real_value(v));
        if (json_is_string(v)) {
            char *end;
            strtoll(json_string_value(v), &end, 10);
            if (*json_string_value(v) && !*end)
                return aslrtp_strdup(json_string_value(v));
        }
        return NULL;
    case ASLRTP_SHAPE_DOUBLE:
    case ASLRTP_SHAPE_FLOAT:
        if (json_is_number(v)) {
            aslrtp_format_double(json_number_value(v), buf, sizeof buf);
            return aslrtp_strdup(buf);
        }
        return json_is_string(v) ? aslrtp_strdup(json_string_value(v)) : NULL;
    case ASLRTP_SHAPE_BOOLEAN:
        if (json_is_boolean(v))
            return aslrtp_strdup(json_is_true(v) ? "true" : "false");
        if (json_is_string(v) && (strcmp(json_string_value(v), "true") == 0 ||
                                  strcmp(json_string_value(v), "false") == 0))
            return aslrtp_strdup(json_string_value(v));
        return NULL;
    case ASLRTP_SHAPE_TIMESTAMP:
        if (json_is_number(v))
            return time_text(json_number_value(v), fmt);
        if (json_is_string(v)) {
            double secs = iso_seconds(json_string_value(v));
            if (!isnan(secs) && fmt && strcmp(fmt, "iso8601") != 0)
                return time_text(secs, fmt);
            return aslrtp_strdup(json_string_value(v));
        }
        return NULL;
    default:
        return NULL;
    }
}

json_t *aslrtp_aws_scalar_value(const aslrtp_aws_shape *sh, const char *t)
{
    char *end;
    switch (sh ? sh->type : ASLRTP_SHAPE_STRING) {
    case ASLRTP_SHAPE_INTEGER:
    case ASLRTP_SHAPE_LONG: {
        long long n = strtoll(t, &end, 10);
        if (*t && !*end)
            return json_integer((json_int_t)n);
        break;
    }
    case ASLRTP_SHAPE_DOUBLE:
    case ASLRTP_SHAPE_FLOAT: {
        double d = strtod(t, &end);
        if (*t && !*end && isfinite(d))
            return json_real(d);
        break;
    }
    case ASLRTP_SHAPE_BOOLEAN:
        if (strcmp(t, "true") == 0)
            return json_true();
        if (strcmp(t, "false") == 0)
            return json_false();
        break;
    case ASLRTP_SHAPE_TIMESTAMP: {
        /* Epoch seconds (unixTimestamp) become a number; text stays text
         * for protocol.c to read. */
        double d = strtod(t, &end);
        if (*t && !*end && isfinite(d))
            return json_real(d);
        break;
    }
    default:
        break;
    }
    json_t *s = json_string(t);
    if (!s) {
        aslrtp_buf b = {0};
        aslrtp_utf8_add_clean(&b, t, strlen(t), 0);
        s = json_string(b.data ? b.data : "");
        free(b.data);
    }
    return s;
}

void aslrtp_aws_uri_encode(aslrtp_buf *b, const char *s, size_t n, bool keep_slash)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/'))
            aslrtp_buf_add(b, (const char *)&c, 1);
        else
            aslrtp_buf_addf(b, "%%%02X", c);
    }
}

/* ---- XML to JSON by shape ----------------------------------------------- */

static const char *wire_name(const aslrtp_aws_member *m)
{
    return aslrtp_aws_str_at(m->wire ? m->wire : m->name);
}

static const aslrtp_aws_shape *shape_at(const aslrtp_aws_service *s, int i)
{
    return i >= 0 && (size_t)i < s->nshapes ? &s->shapes[i] : NULL;
}

/* Whether member m (a list or a map) is written without its wrapper. */
static bool flattened(const aslrtp_aws_member *m, const aslrtp_aws_shape *sh)
{
    return (m && (m->flags & ASLRTP_MEMBER_FLATTENED)) || (sh && (sh->flags & ASLRTP_SHAPE_FLATTENED));
}

/* The element name of a flattened list's items: the list member's
 * locationName, else the structure member's own name. */
static const char *flat_item_name(const aslrtp_aws_service *s, const aslrtp_aws_member *m,
                                  const aslrtp_aws_shape *list)
{
    const aslrtp_aws_member *item = &s->members[list->first];
    return item->wire ? aslrtp_aws_str_at(item->wire) : wire_name(m);
}

/* One map entry (an element holding key and value) into o. */
static void map_entry(const aslrtp_aws_service *s, const aslrtp_aws_shape *sh, xmlNode *entry,
                      json_t *o)
{
    const aslrtp_aws_member *km = &s->members[sh->first], *vm = &s->members[sh->first + 1];
    xmlNode *k = aslrtp_xml_child(entry, km->wire ? aslrtp_aws_str_at(km->wire) : "key");
    xmlNode *v = aslrtp_xml_child(entry, vm->wire ? aslrtp_aws_str_at(vm->wire) : "value");
    if (!k)
        return;
    char *key = aslrtp_xml_text(k);
    json_object_set_new(o, key, v ? aslrtp_xml_value(s, vm->shape, v, false) : json_null());
    free(key);
}

/* The text of attribute name (local part) of n, or NULL. */
static char *attribute(const xmlNode *n, const char *name)
{
    const char *colon = strchr(name, ':');
    const char *local = colon ? colon + 1 : name;
    for (xmlAttr *a = n->properties; a; a = a->next)
        if (strcmp((const char *)a->name, local) == 0)
            return aslrtp_xml_text((const xmlNode *)a);
    return NULL;
}

json_t *aslrtp_xml_value(const aslrtp_aws_service *s, int shape, xmlNode *node, bool body_only)
{
    const aslrtp_aws_shape *sh = shape_at(s, shape);
    if (!sh) {
        char *t = aslrtp_xml_text(node);
        json_t *v = aslrtp_aws_scalar_value(NULL, t);
        free(t);
        return v;
    }
    if (sh->type == ASLRTP_SHAPE_STRUCTURE) {
        json_t *o = json_object();
        for (int i = 0; i < sh->count; i++) {
            const aslrtp_aws_member *m = &s->members[sh->first + i];
            if (body_only && m->location != ASLRTP_LOC_BODY)
                continue;
            const char *name = aslrtp_aws_str_at(m->name), *wire = wire_name(m);
            const aslrtp_aws_shape *msh = shape_at(s, m->shape);
            if (m->flags & ASLRTP_MEMBER_XML_ATTRIBUTE) {
                char *t = attribute(node, wire);
                if (t)
                    json_object_set_new(o, name, aslrtp_aws_scalar_value(msh, t));
                free(t);
                continue;
            }
            if (msh && (msh->type == ASLRTP_SHAPE_LIST || msh->type == ASLRTP_SHAPE_MAP) &&
                flattened(m, msh)) {
                bool list = msh->type == ASLRTP_SHAPE_LIST;
                const char *item = list ? flat_item_name(s, m, msh) : wire;
                json_t *v = list ? json_array() : json_object();
                for (xmlNode *c = node->children; c; c = c->next) {
                    if (c->type != XML_ELEMENT_NODE || strcmp(aslrtp_xml_name(c), item) != 0)
                        continue;
                    if (list)
                        json_array_append_new(
                            v, aslrtp_xml_value(s, s->members[msh->first].shape, c, false));
                    else
                        map_entry(s, msh, c, v);
                }
                if (json_array_size(v) || json_object_size(v))
                    json_object_set_new(o, name, v);
                else
                    json_decref(v);
                continue;
            }
            xmlNode *c = aslrtp_xml_child(node, wire);
            if (c)
                json_object_set_new(o, name, aslrtp_xml_value(s, m->shape, c, false));
        }
        return o;
    }
    if (sh->type == ASLRTP_SHAPE_LIST) {
        const aslrtp_aws_member *item = &s->members[sh->first];
        const char *iname = item->wire ? aslrtp_aws_str_at(item->wire) : "member";
        json_t *a = json_array();
        for (xmlNode *c = node->children; c; c = c->next)
            if (c->type == XML_ELEMENT_NODE && strcmp(aslrtp_xml_name(c), iname) == 0)
                json_array_append_new(a, aslrtp_xml_value(s, item->shape, c, false));
        return a;
    }
    if (sh->type == ASLRTP_SHAPE_MAP) {
        json_t *o = json_object();
        for (xmlNode *c = node->children; c; c = c->next)
            if (c->type == XML_ELEMENT_NODE && strcmp(aslrtp_xml_name(c), "entry") == 0)
                map_entry(s, sh, c, o);
        return o;
    }
    char *t = aslrtp_xml_text(node);
    json_t *v = aslrtp_aws_scalar_value(sh, t);
    free(t);
    return v;
}

/* ---- JSON to XML by shape ----------------------------------------------- */

static int cannot(const char *where, const char *what, aslrt_error *err)
{
    char *c = aslrtp_strdupf("The value of %s must be %s", where, what);
    aslrt_error_set(err, ASLRTP_ERR_RUNTIME, c);
    free(c);
    return 0;
}

static const char *type_word(int type)
{
    switch (type) {
    case ASLRTP_SHAPE_STRUCTURE:
    case ASLRTP_SHAPE_MAP:
        return "an object";
    case ASLRTP_SHAPE_LIST:
        return "an array";
    case ASLRTP_SHAPE_INTEGER:
    case ASLRTP_SHAPE_LONG:
        return "an integer";
    case ASLRTP_SHAPE_DOUBLE:
    case ASLRTP_SHAPE_FLOAT:
        return "a number";
    case ASLRTP_SHAPE_BOOLEAN:
        return "a boolean";
    case ASLRTP_SHAPE_TIMESTAMP:
        return "a timestamp (ISO 8601 text or epoch seconds)";
    default:
        return "a string";
    }
}

int aslrtp_xml_put(const aslrtp_aws_service *s, int shape, const char *name, json_t *v,
                   xmlNode *parent, const char *where, aslrt_error *err)
{
    if (!v || json_is_null(v))
        return 1;
    const aslrtp_aws_shape *sh = shape_at(s, shape);
    int type = sh ? sh->type : ASLRTP_SHAPE_STRING;
    if (type == ASLRTP_SHAPE_STRUCTURE) {
        if (!json_is_object(v))
            return cannot(where, "an object", err);
        xmlNode *el = xmlNewChild(parent, NULL, BAD_CAST name, NULL);
        for (int i = 0; i < sh->count; i++) {
            const aslrtp_aws_member *m = &s->members[sh->first + i];
            const char *mname = aslrtp_aws_str_at(m->name), *wire = wire_name(m);
            json_t *mv = json_object_get(v, mname);
            if (!mv || json_is_null(mv))
                continue;
            char *at = aslrtp_strdupf("%s.%s", where, mname);
            const aslrtp_aws_shape *msh = shape_at(s, m->shape);
            int ok = 1;
            if (m->flags & ASLRTP_MEMBER_XML_ATTRIBUTE) {
                char *t = aslrtp_aws_scalar_text(msh, mv, NULL, false);
                if (!t)
                    ok = cannot(at, type_word(msh ? msh->type : ASLRTP_SHAPE_STRING), err);
                else if (strncmp(wire, "xsi:", 4) == 0) {
                    xmlNs *ns = xmlNewNs(el, BAD_CAST "http://www.w3.org/2001/XMLSchema-instance",
                                         BAD_CAST "xsi");
                    xmlNewNsProp(el, ns, BAD_CAST(wire + 4), BAD_CAST t);
                } else {
                    xmlNewProp(el, BAD_CAST wire, BAD_CAST t);
                }
                free(t);
            } else if (msh && msh->type == ASLRTP_SHAPE_LIST && flattened(m, msh)) {
                if (!json_is_array(mv))
                    ok = cannot(at, "an array", err);
                size_t j;
                json_t *item;
                json_array_foreach(mv, j, item) {
                    if (!ok)
                        break;
                    ok = aslrtp_xml_put(s, s->members[msh->first].shape,
                                        flat_item_name(s, m, msh), item, el, at, err);
                }
            } else {
                ok = aslrtp_xml_put(s, m->shape, wire, mv, el, at, err);
            }
            free(at);
            if (!ok)
                return 0;
        }
        return 1;
    }
    if (type == ASLRTP_SHAPE_LIST) {
        if (!json_is_array(v))
            return cannot(where, "an array", err);
        xmlNode *el = xmlNewChild(parent, NULL, BAD_CAST name, NULL);
        const aslrtp_aws_member *item = &s->members[sh->first];
        const char *iname = item->wire ? aslrtp_aws_str_at(item->wire) : "member";
        size_t j;
        json_t *iv;
        json_array_foreach(v, j, iv) {
            if (!aslrtp_xml_put(s, item->shape, iname, iv, el, where, err))
                return 0;
        }
        return 1;
    }
    if (type == ASLRTP_SHAPE_MAP) {
        if (!json_is_object(v))
            return cannot(where, "an object", err);
        xmlNode *el = xmlNewChild(parent, NULL, BAD_CAST name, NULL);
        const aslrtp_aws_member *km = &s->members[sh->first], *vm = &s->members[sh->first + 1];
        const char *key;
        json_t *mv;
        json_object_foreach(v, key, mv) {
            xmlNode *entry = xmlNewChild(el, NULL, BAD_CAST "entry", NULL);
            xmlNewTextChild(entry, NULL, BAD_CAST(km->wire ? aslrtp_aws_str_at(km->wire) : "key"),
                            BAD_CAST key);
            if (!aslrtp_xml_put(s, vm->shape, vm->wire ? aslrtp_aws_str_at(vm->wire) : "value",
                                mv, entry, where, err))
                return 0;
        }
        return 1;
    }
    char *t = aslrtp_aws_scalar_text(sh, v, sh ? aslrtp_aws_str_at(sh->timestamp_format) : NULL,
                                     false);
    if (!t)
        return cannot(where, type_word(type), err);
    xmlNewTextChild(parent, NULL, BAD_CAST name, BAD_CAST t);
    free(t);
    return 1;
}

/* ---- Errors ------------------------------------------------------------- */

bool aslrtp_xml_fault(const aslrtp_aws_response *r, aslrtp_aws_fault *f)
{
    size_t n = r->body_len;
    const char *text = aslrtp_text_trim(r->body ? r->body : "", &n);
    if (!n)
        return false;
    const char *why;
    xmlDoc *d = aslrtp_xml_parse(text, n, &why);
    if (!d)
        return false;
    xmlNode *root = xmlDocGetRootElement(d);
    xmlNode *e = aslrtp_xml_find(root, "Error");
    xmlNode *code = aslrtp_xml_child(e, "Code"), *msg = aslrtp_xml_child(e, "Message");
    xmlNode *id = aslrtp_xml_find(root, "RequestId");
    if (!id)
        id = aslrtp_xml_find(root, "RequestID");
    xmlNode *host = aslrtp_xml_find(root, "HostId");
    if (code) {
        free(f->code);
        f->code = aslrtp_xml_text(code);
    }
    if (msg) {
        free(f->message);
        f->message = aslrtp_xml_text(msg);
    }
    if (id) {
        free(f->request_id);
        f->request_id = aslrtp_xml_text(id);
    }
    if (host) {
        free(f->extended_request_id);
        f->extended_request_id = aslrtp_xml_text(host);
    }
    xmlFreeDoc(d);
    return code != NULL;
}

void aslrtp_aws_bad_answer(const aslrtp_aws_service *s, const aslrtp_aws_op *op,
                           const char *why, aslrt_error *err)
{
    char *c = aslrtp_strdupf("the answer of %s to %s cannot be read: %s",
                             aslrtp_aws_str_at(s->service_id), aslrtp_aws_str_at(op->name), why);
    aslrt_error_set(err, "aslc.AwsBadAnswer", c);
    free(c);
}

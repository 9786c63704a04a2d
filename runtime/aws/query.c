/*
 * query.c - the query protocol (SQS in older models, SNS, STS, IAM,
 * CloudWatch, ...) and its ec2 variant (doc/behaviour.md §27).
 *
 * A request is a POST to "/" whose form-encoded body is
 * Action=Op&Version=API_VERSION and the input's members, flattened into
 * dotted names by the model: a structure member is Prefix.Name, a list
 * Prefix.member.N (Prefix.N when flattened, with the list member's
 * locationName as the last name when it has one), a map
 * Prefix.entry.N.key / .value; booleans are true/false, timestamps ISO
 * 8601.  ec2 writes every list as Prefix.N (none for an empty list) and
 * names members by their queryName, else their locationName with a
 * capital first letter.
 *
 * The answer is XML: <OpResponse><OpResult>output</OpResult>
 * <ResponseMetadata><RequestId>..</RequestId></ResponseMetadata>
 * </OpResponse> (the operation's result wrapper; ec2 has none, the output
 * is the root).  An error is <ErrorResponse><Error><Type/><Code/>
 * <Message/></Error><RequestId/></ErrorResponse>, in ec2 <Response>
 * <Errors><Error><Code/><Message/></Error></Errors><RequestID/>.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "xml.h"

typedef struct form {
    aslrtp_buf b;
    bool ec2;
} form;

static void add(form *f, const char *key, const char *val)
{
    if (f->b.len)
        aslrtp_buf_add(&f->b, "&", 1);
    aslrtp_aws_uri_encode(&f->b, key, strlen(key), false);
    aslrtp_buf_add(&f->b, "=", 1);
    aslrtp_aws_uri_encode(&f->b, val, strlen(val), false);
}

/* The name member m takes in a key (malloc'd). */
static char *key_name(const form *f, const aslrtp_aws_member *m)
{
    char *n = aslrtp_strdup(aslrtp_aws_str_at(m->wire ? m->wire : m->name));
    if (f->ec2 && m->wire)
        n[0] = (char)toupper((unsigned char)n[0]);
    return n;
}

static char *join(const char *prefix, const char *name)
{
    return *prefix ? aslrtp_strdupf("%s.%s", prefix, name) : aslrtp_strdup(name);
}

static int put(const aslrtp_aws_service *s, const aslrtp_aws_member *m, int shape,
               const char *prefix, json_t *v, form *f, aslrt_error *err);

static int bad(const char *prefix, const char *what, aslrt_error *err)
{
    char *c = aslrtp_strdupf("The value of %s must be %s", prefix, what);
    aslrt_error_set(err, ASLRTP_ERR_RUNTIME, c);
    free(c);
    return 0;
}

static int put_list(const aslrtp_aws_service *s, const aslrtp_aws_member *m,
                    const aslrtp_aws_shape *sh, const char *prefix, json_t *v, form *f,
                    aslrt_error *err)
{
    if (!json_is_array(v))
        return bad(prefix, "an array", err);
    const aslrtp_aws_member *item = &s->members[sh->first];
    if (!json_array_size(v)) {
        if (!f->ec2)
            add(f, prefix, "");
        return 1;
    }
    char *list_prefix;
    bool flat = (m && (m->flags & ASLRTP_MEMBER_FLATTENED)) || (sh->flags & ASLRTP_SHAPE_FLATTENED);
    if (f->ec2) {
        list_prefix = aslrtp_strdup(prefix);
    } else if (flat) {
        if (item->wire) {
            const char *dot = strrchr(prefix, '.');
            list_prefix = dot ? aslrtp_strdupf("%.*s.%s", (int)(dot - prefix), prefix,
                                               aslrtp_aws_str_at(item->wire))
                              : aslrtp_strdup(aslrtp_aws_str_at(item->wire));
        } else {
            list_prefix = aslrtp_strdup(prefix);
        }
    } else {
        list_prefix = join(prefix, item->wire ? aslrtp_aws_str_at(item->wire) : "member");
    }
    int ok = 1;
    size_t i;
    json_t *iv;
    json_array_foreach(v, i, iv) {
        char *p = aslrtp_strdupf("%s.%zu", list_prefix, i + 1);
        ok = put(s, item, item->shape, p, iv, f, err);
        free(p);
        if (!ok)
            break;
    }
    free(list_prefix);
    return ok;
}

static int put_map(const aslrtp_aws_service *s, const aslrtp_aws_member *m,
                   const aslrtp_aws_shape *sh, const char *prefix, json_t *v, form *f,
                   aslrt_error *err)
{
    if (!json_is_object(v))
        return bad(prefix, "an object", err);
    const aslrtp_aws_member *km = &s->members[sh->first], *vm = &s->members[sh->first + 1];
    bool flat = (m && (m->flags & ASLRTP_MEMBER_FLATTENED)) || (sh->flags & ASLRTP_SHAPE_FLATTENED);
    const char *ks = km->wire ? aslrtp_aws_str_at(km->wire) : "key";
    const char *vs = vm->wire ? aslrtp_aws_str_at(vm->wire) : "value";
    size_t i = 0;
    const char *key;
    json_t *mv;
    int ok = 1;
    json_object_foreach(v, key, mv) {
        i++;
        char *kp = aslrtp_strdupf("%s%s.%zu.%s", prefix, flat ? "" : ".entry", i, ks);
        char *vp = aslrtp_strdupf("%s%s.%zu.%s", prefix, flat ? "" : ".entry", i, vs);
        add(f, kp, key);
        ok = put(s, vm, vm->shape, vp, mv, f, err);
        free(kp);
        free(vp);
        if (!ok)
            break;
    }
    return ok;
}

/* Writes v (of shape, as member m, which may be NULL) under prefix. */
static int put(const aslrtp_aws_service *s, const aslrtp_aws_member *m, int shape,
               const char *prefix, json_t *v, form *f, aslrt_error *err)
{
    if (!v || json_is_null(v))
        return 1;
    const aslrtp_aws_shape *sh = shape >= 0 ? &s->shapes[shape] : NULL;
    if (sh && sh->type == ASLRTP_SHAPE_STRUCTURE) {
        if (!json_is_object(v))
            return bad(*prefix ? prefix : "the parameters", "an object", err);
        for (int i = 0; i < sh->count; i++) {
            const aslrtp_aws_member *mm = &s->members[sh->first + i];
            json_t *mv = json_object_get(v, aslrtp_aws_str_at(mm->name));
            if (!mv)
                continue;
            char *name = key_name(f, mm);
            char *p = join(prefix, name);
            int ok = put(s, mm, mm->shape, p, mv, f, err);
            free(p);
            free(name);
            if (!ok)
                return 0;
        }
        return 1;
    }
    if (sh && sh->type == ASLRTP_SHAPE_LIST)
        return put_list(s, m, sh, prefix, v, f, err);
    if (sh && sh->type == ASLRTP_SHAPE_MAP)
        return put_map(s, m, sh, prefix, v, f, err);
    const char *fmt = sh && sh->timestamp_format ? aslrtp_aws_str_at(sh->timestamp_format)
                                                 : "iso8601";
    char *t = aslrtp_aws_scalar_text(sh, v, fmt, false);
    if (!t)
        return bad(prefix, "a scalar of its type", err);
    add(f, prefix, t);
    free(t);
    return 1;
}

static int encode(const aslrtp_aws_service *s, const aslrtp_aws_op *op, json_t *params,
                  aslrtp_aws_wire *w, aslrt_error *err)
{
    if (!aslrtp_xml_ready(err))     /* the answer will be XML */
        return 0;
    form f = {.ec2 = s->protocol == ASLRTP_AWS_EC2};
    add(&f, "Action", aslrtp_aws_str_at(op->name));
    add(&f, "Version", aslrtp_aws_str_at(s->api_version));
    if (op->input >= 0 && !put(s, NULL, op->input, "", params, &f, err)) {
        free(f.b.data);
        return 0;
    }
    w->method = aslrtp_strdup("POST");
    w->path = aslrtp_strdup("/");
    aslrtp_aws_wire_header(w, "Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    w->body_len = f.b.len;
    w->body = aslrtp_buf_finish(&f.b);
    if (!w->body)
        w->body = aslrtp_strdup("");
    return 1;
}

static int decode(const aslrtp_aws_service *s, const aslrtp_aws_op *op,
                  const aslrtp_aws_response *r, json_t **out, aslrt_error *err)
{
    size_t n = r->body_len;
    const char *text = aslrtp_text_trim(r->body ? r->body : "", &n);
    if (!n || op->output < 0) {
        *out = json_object();
        return 1;
    }
    const char *why;
    xmlDoc *d = aslrtp_xml_parse(text, n, &why);
    if (!d) {
        aslrtp_aws_bad_answer(s, op, why, err);
        return 0;
    }
    xmlNode *node = xmlDocGetRootElement(d);
    if (op->result_wrapper)
        node = aslrtp_xml_child(node, aslrtp_aws_str_at(op->result_wrapper));
    *out = node ? aslrtp_xml_value(s, op->output, node, false) : json_object();
    xmlFreeDoc(d);
    return 1;
}

static void fault(const aslrtp_aws_service *s, const aslrtp_aws_response *r, aslrtp_aws_fault *f)
{
    (void)s;
    if (aslrtp_xml_fault(r, f))
        return;
    size_t n = r->body_len;
    const char *text = aslrtp_text_trim(r->body ? r->body : "", &n);
    if (n && !f->message) {
        aslrtp_buf b = {0};
        aslrtp_text_excerpt(&b, text, n, 512);
        f->message = aslrtp_buf_finish(&b);
    }
}

const aslrtp_aws_codec aslrtp_aws_query_codec = {encode, decode, fault};

/*
 * restxml.c - the rest-xml protocol (S3, CloudFront, Route 53; doc/
 * behaviour.md §27): the request line and headers as rest.c writes them,
 * and a body that is the input's payload member (a blob or string as its
 * bytes, a structure as an XML document whose root is the member's
 * locationName, in the service's namespace), or, without one, the body
 * members under <OpRequest>.  S3 wants the SHA-256 of the body in
 * x-amz-content-sha256, which libcurl's SigV4 does not add: it is added
 * here (and signed by libcurl with the other headers), and a body that is
 * XML carries its Content-MD5, which some S3 operations require.
 *
 * The answer: the header and status members (rest.c), and the payload
 * member (a blob, S3's GetObject Body, as text, as Step Functions gives
 * it; a structure from the XML body) or the body members read from the
 * root element.  An error is <Error><Code/><Message/><RequestId/>
 * <HostId/></Error>, the HostId (else the x-amz-id-2 header) being the
 * extended request id; an error without a body (a HEAD) is named from its
 * status (NotFound, Forbidden, ...).
 */
#include <stdlib.h>
#include <string.h>

#include "rest.h"
#include "xml.h"
#include "dynlib.h"

/* The hex SHA-256 of data[0..n) and its base64 MD5 into w's headers. */
static void digests(const aslrtp_aws_service *s, aslrtp_aws_wire *w, bool md5)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    aslrtp_crypto_need();
    if (strcmp(aslrtp_aws_str_at(s->signing_name), "s3") == 0 &&
        EVP_Digest(w->body ? w->body : "", w->body_len, md, &len, EVP_sha256(), NULL)) {
        char hex[2 * EVP_MAX_MD_SIZE + 1];
        for (unsigned i = 0; i < len; i++)
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
        aslrtp_aws_wire_header(w, "x-amz-content-sha256", hex);
    }
    if (md5 && !aslrtp_rest_has_header(w, "Content-MD5") &&
        EVP_Digest(w->body, w->body_len, md, &len, EVP_md5(), NULL)) {
        char *b64 = aslrtp_base64_encode(md, len, 0, NULL);
        aslrtp_aws_wire_header(w, "Content-MD5", b64);
        free(b64);
    }
}

/* The document made of root as text (into w's body). */
static void dump(xmlDoc *d, aslrtp_aws_wire *w)
{
    xmlChar *text = NULL;
    int n = 0;
    xmlDocDumpMemoryEnc(d, &text, &n, "UTF-8");
    w->body = aslrtp_memdup(text ? (const char *)text : "", text ? (size_t)n : 0);
    w->body_len = text ? (size_t)n : 0;
    xmlFree(text);
}

/* A new document whose root is an element named name in s's namespace. */
static xmlDoc *new_doc(const aslrtp_aws_service *s, const char *name, xmlNode **root)
{
    xmlDoc *d = xmlNewDoc(BAD_CAST "1.0");
    *root = xmlNewNode(NULL, BAD_CAST name);
    xmlDocSetRootElement(d, *root);
    if (s->xml_namespace)
        xmlNewNs(*root, BAD_CAST aslrtp_aws_str_at(s->xml_namespace), NULL);
    return d;
}

static int encode(const aslrtp_aws_service *s, const aslrtp_aws_op *op, json_t *params,
                  aslrtp_aws_wire *w, aslrt_error *err)
{
    if (!aslrtp_xml_ready(err) || !aslrtp_rest_request(s, op, params, w, err))
        return 0;
    const aslrtp_aws_member *pm = aslrtp_rest_payload(s, op->input);
    bool xml = false;
    if (pm) {
        const char *name = aslrtp_aws_str_at(pm->name);
        json_t *v = json_object_get(params, name);
        const aslrtp_aws_shape *psh = pm->shape >= 0 ? &s->shapes[pm->shape] : NULL;
        if (v && !json_is_null(v) && psh && psh->type == ASLRTP_SHAPE_STRUCTURE) {
            xmlNode *holder = xmlNewNode(NULL, BAD_CAST "holder");
            const char *wire = aslrtp_aws_str_at(pm->wire ? pm->wire : pm->name);
            int ok = aslrtp_xml_put(s, pm->shape, wire, v, holder, name, err);
            if (!ok) {
                xmlFreeNode(holder);
                return 0;
            }
            xmlNode *root = holder->children;
            xmlUnlinkNode(root);
            xmlFreeNode(holder);
            xmlDoc *d = xmlNewDoc(BAD_CAST "1.0");
            xmlDocSetRootElement(d, root);
            if (s->xml_namespace)
                xmlSetNs(root, xmlNewNs(root, BAD_CAST aslrtp_aws_str_at(s->xml_namespace), NULL));
            dump(d, w);
            xmlFreeDoc(d);
            xml = true;
        } else if (v && !json_is_null(v)) {
            /* A blob or a string: its bytes; other JSON as its text. */
            char *t = aslrtp_aws_scalar_text(psh, v, NULL, true);
            if (!t)
                t = aslrt_json_dumps(v);
            w->body_len = strlen(t);
            if (json_is_string(v))
                w->body_len = json_string_length(v);
            w->body = t;
            if (!aslrtp_rest_has_header(w, "Content-Type"))
                aslrtp_aws_wire_header(w, "Content-Type", "binary/octet-stream");
        }
    } else if (aslrtp_rest_has_body_members(s, op->input)) {
        /* No payload: the body members under <OpRequest>. */
        const aslrtp_aws_shape *sh = &s->shapes[op->input];
        xmlNode *root;
        char *rname = aslrtp_strdupf("%sRequest", aslrtp_aws_str_at(op->name));
        xmlDoc *d = new_doc(s, rname, &root);
        free(rname);
        bool any = false;
        for (int i = 0; i < sh->count; i++) {
            const aslrtp_aws_member *m = &s->members[sh->first + i];
            json_t *v = json_object_get(params, aslrtp_aws_str_at(m->name));
            if (m->location != ASLRTP_LOC_BODY || !v || json_is_null(v))
                continue;
            any = true;
            if (!aslrtp_xml_put(s, m->shape, aslrtp_aws_str_at(m->wire ? m->wire : m->name), v,
                                root, aslrtp_aws_str_at(m->name), err)) {
                xmlFreeDoc(d);
                return 0;
            }
        }
        if (any) {
            dump(d, w);
            xml = true;
        }
        xmlFreeDoc(d);
    }
    if (xml && !aslrtp_rest_has_header(w, "Content-Type"))
        aslrtp_aws_wire_header(w, "Content-Type", "application/xml");
    if (!w->body) {
        w->body = aslrtp_strdup("");
        w->body_len = 0;
    }
    digests(s, w, xml);
    return 1;
}

/* When the output has one body member and the answer's root element is
 * that member (S3's GetBucketLocation answers <LocationConstraint>), sets
 * it in o and returns true. */
static bool lone_member_root(const aslrtp_aws_service *s, int shape, xmlNode *root, json_t *o)
{
    const aslrtp_aws_shape *sh = &s->shapes[shape];
    const aslrtp_aws_member *only = NULL;
    for (int i = 0; sh->type == ASLRTP_SHAPE_STRUCTURE && i < sh->count; i++) {
        const aslrtp_aws_member *m = &s->members[sh->first + i];
        if (m->location != ASLRTP_LOC_BODY)
            continue;
        if (only)
            return false;
        only = m;
    }
    if (!only || strcmp(aslrtp_xml_name(root), aslrtp_aws_str_at(only->wire ? only->wire
                                                                             : only->name)) != 0)
        return false;
    json_object_set_new(o, aslrtp_aws_str_at(only->name),
                        aslrtp_xml_value(s, only->shape, root, false));
    return true;
}

static int decode(const aslrtp_aws_service *s, const aslrtp_aws_op *op,
                  const aslrtp_aws_response *r, json_t **out, aslrt_error *err)
{
    /* The header and status members first, then the body's. */
    json_t *o = json_object();
    aslrtp_rest_read_headers(s, op->output, r, o);
    const aslrtp_aws_member *pm = aslrtp_rest_payload(s, op->output);
    const aslrtp_aws_shape *psh = pm && pm->shape >= 0 ? &s->shapes[pm->shape] : NULL;
    if (pm && psh && psh->type != ASLRTP_SHAPE_STRUCTURE) {
        /* A blob payload (S3's GetObject Body) as Step Functions gives
         * it: the bytes as UTF-8 text, each ill-formed sequence U+FFFD. */
        json_object_set_new(o, aslrtp_aws_str_at(pm->name),
                            aslrtp_utf8_json_string(r->body, r->body_len));
    } else if (op->output >= 0) {
        size_t n = r->body_len;
        const char *text = aslrtp_text_trim(r->body ? r->body : "", &n);
        if (n) {
            const char *why;
            xmlDoc *d = aslrtp_xml_parse(text, n, &why);
            if (!d) {
                json_decref(o);
                aslrtp_aws_bad_answer(s, op, why, err);
                return 0;
            }
            xmlNode *root = xmlDocGetRootElement(d);
            if (pm)
                json_object_set_new(o, aslrtp_aws_str_at(pm->name),
                                    aslrtp_xml_value(s, pm->shape, root, false));
            else if (lone_member_root(s, op->output, root, o)) {
                /* GetBucketLocation: the root is the member itself. */
            } else {
                json_t *body = aslrtp_xml_value(s, op->output, root, true);
                json_object_update(o, body);
                json_decref(body);
            }
            xmlFreeDoc(d);
        }
    }
    *out = o;
    return 1;
}

/* The error code S3 implies by a status alone (an answer without a body). */
static const char *status_code(long status)
{
    switch (status) {
    case 301: return "MovedPermanently";
    case 304: return "NotModified";
    case 400: return "BadRequest";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 409: return "Conflict";
    case 412: return "PreconditionFailed";
    case 416: return "InvalidRange";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    default: return NULL;
    }
}

static void fault(const aslrtp_aws_service *s, const aslrtp_aws_response *r, aslrtp_aws_fault *f)
{
    (void)s;
    if (!aslrtp_xml_fault(r, f)) {
        size_t n = r->body_len;
        const char *text = aslrtp_text_trim(r->body ? r->body : "", &n);
        const char *code = status_code(r->status);
        if (code && !f->code)
            f->code = aslrtp_strdup(code);
        if (n && !f->message) {
            aslrtp_buf b = {0};
            aslrtp_text_excerpt(&b, text, n, 512);
            f->message = aslrtp_buf_finish(&b);
        }
    }
    const char *id2 = aslrtp_rest_header(r, "x-amz-id-2");
    if (!f->extended_request_id && id2)
        f->extended_request_id = aslrtp_strdup(id2);
    const char *id = aslrtp_rest_header(r, "x-amz-request-id");
    if (!f->request_id && id)
        f->request_id = aslrtp_strdup(id);
}

const aslrtp_aws_codec aslrtp_aws_rest_xml_codec = {encode, decode, fault};

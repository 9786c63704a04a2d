/*
 * restjson.c - the rest-json protocol (Lambda, Batch, API Gateway, EKS,
 * ...; doc/behaviour.md §27): the request line and headers as rest.c
 * writes them, and a body that is the payload member (a blob or string as
 * its bytes, a structure as JSON) or else the body members as one JSON
 * object keyed by their locationName; the answer is the payload member,
 * or the JSON body's members, with the header and status members added.
 * An error is named by the x-amzn-ErrorType header or the body's
 * "__type" / "code" and worded by its "message", as in awsJson (json.c).
 */
#include <stdlib.h>
#include <string.h>

#include "rest.h"

static int encode(const aslrtp_aws_service *s, const aslrtp_aws_op *op, json_t *params,
                  aslrtp_aws_wire *w, aslrt_error *err)
{
    if (!aslrtp_rest_request(s, op, params, w, err))
        return 0;
    const aslrtp_aws_member *pm = aslrtp_rest_payload(s, op->input);
    if (pm) {
        json_t *v = json_object_get(params, aslrtp_aws_str_at(pm->name));
        const aslrtp_aws_shape *psh = pm->shape >= 0 ? &s->shapes[pm->shape] : NULL;
        bool structure = !psh || psh->type == ASLRTP_SHAPE_STRUCTURE;
        if (v && !json_is_null(v)) {
            if (json_is_string(v) && !structure) {
                w->body_len = json_string_length(v);
                w->body = aslrtp_memdup(json_string_value(v), w->body_len);
            } else {
                w->body = aslrt_json_dumps(v);
                w->body_len = strlen(w->body);
            }
            if (!aslrtp_rest_has_header(w, "Content-Type"))
                aslrtp_aws_wire_header(w, "Content-Type",
                                       structure ? "application/json" : "application/octet-stream");
        }
    } else if (aslrtp_rest_has_body_members(s, op->input)) {
        const aslrtp_aws_shape *sh = &s->shapes[op->input];
        json_t *body = json_object();
        for (int i = 0; i < sh->count; i++) {
            const aslrtp_aws_member *m = &s->members[sh->first + i];
            json_t *v = json_object_get(params, aslrtp_aws_str_at(m->name));
            if (m->location == ASLRTP_LOC_BODY && v)
                json_object_set(body, aslrtp_aws_str_at(m->wire ? m->wire : m->name), v);
        }
        /* Members the model does not know go to the body too: the service
         * judges them. */
        const char *key;
        json_t *v;
        json_object_foreach(params, key, v) {
            bool known = false;
            for (int i = 0; i < sh->count && !known; i++)
                known = strcmp(aslrtp_aws_str_at(s->members[sh->first + i].name), key) == 0;
            if (!known)
                json_object_set(body, key, v);
        }
        w->body = aslrt_json_dumps(body);
        w->body_len = strlen(w->body);
        json_decref(body);
        aslrtp_aws_wire_header(w, "Content-Type", "application/json");
    }
    if (!w->body) {
        w->body = aslrtp_strdup("");
        w->body_len = 0;
    }
    return 1;
}

static int decode(const aslrtp_aws_service *s, const aslrtp_aws_op *op,
                  const aslrtp_aws_response *r, json_t **out, aslrt_error *err)
{
    /* The header and status members first, then the body's. */
    json_t *o = json_object();
    aslrtp_rest_read_headers(s, op->output, r, o);
    const aslrtp_aws_member *pm = aslrtp_rest_payload(s, op->output);
    const aslrtp_aws_shape *psh = pm && pm->shape >= 0 ? &s->shapes[pm->shape] : NULL;
    size_t n = r->body_len;
    const char *text = aslrtp_text_trim(r->body ? r->body : "", &n);
    if (pm && psh && psh->type != ASLRTP_SHAPE_STRUCTURE) {
        /* A blob payload (S3's GetObject Body) as Step Functions gives
         * it: the bytes as UTF-8 text, each ill-formed sequence U+FFFD. */
        json_object_set_new(o, aslrtp_aws_str_at(pm->name),
                            aslrtp_utf8_json_string(r->body, r->body_len));
    } else if (n) {
        json_error_t je;
        json_t *body = aslrtp_json_loads(text, n, &je);
        if (!body) {
            json_decref(o);
            char *c = aslrtp_strdupf("the answer of %s to %s is not JSON (%s, at line %d "
                                     "column %d)",
                                     aslrtp_aws_str_at(s->service_id),
                                     aslrtp_aws_str_at(op->name), je.text, je.line, je.column);
            aslrt_error_set(err, "aslc.AwsBadAnswer", c);
            free(c);
            return 0;
        }
        if (pm) {
            json_object_set_new(o, aslrtp_aws_str_at(pm->name), body);
        } else if (json_is_object(body)) {
            /* Body keys are locationNames: back to the model's names. */
            const aslrtp_aws_shape *sh = op->output >= 0 ? &s->shapes[op->output] : NULL;
            const char *key;
            json_t *v;
            json_object_foreach(body, key, v) {
                const char *name = key;
                for (int i = 0; sh && sh->type == ASLRTP_SHAPE_STRUCTURE && i < sh->count; i++) {
                    const aslrtp_aws_member *m = &s->members[sh->first + i];
                    if (m->location == ASLRTP_LOC_BODY && m->wire &&
                        strcmp(aslrtp_aws_str_at(m->wire), key) == 0)
                        name = aslrtp_aws_str_at(m->name);
                }
                json_object_set(o, name, v);
            }
            json_decref(body);
        } else {
            json_decref(body);
        }
    }
    *out = o;
    return 1;
}

/* Errors are worded as in awsJson. */
static void fault(const aslrtp_aws_service *s, const aslrtp_aws_response *r, aslrtp_aws_fault *f)
{
    aslrtp_aws_json_codec.fault(s, r, f);
}

const aslrtp_aws_codec aslrtp_aws_rest_json_codec = {encode, decode, fault};

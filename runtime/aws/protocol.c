/*
 * protocol.c - one call of an AWS service operation, whatever its protocol:
 * the Task's parameters turned into the model's members, written by the
 * service's codec (json.c, query.c, restxml.c, restjson.c), sent (http.c),
 * and the answer read back, with members named as Step Functions names
 * them, or the error named and worded as Step Functions words it
 * (doc/behaviour.md §25):
 *
 *  - names: Step Functions takes and gives the members of every structure
 *    with a capital first letter ("StateMachineArn" for the model's
 *    "stateMachineArn"); map keys stay as they are;
 *  - timestamps come back as ISO 8601 text in UTC, as Java's Instant prints
 *    them ("2024-01-31T10:00:00Z", "2024-01-31T10:00:00.250Z");
 *  - errors: the aws-sdk integration names an error <Client>.<Class>, the
 *    class being the modeled exception's name with "Exception" added where
 *    it lacks it, or <Client>Exception for an error the model does not
 *    know; the optimized integrations use their family's names
 *    (aslrtp_aws_errstyle).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws.h"

/* ---- Wires and faults --------------------------------------------------- */

void aslrtp_aws_wire_free(aslrtp_aws_wire *w)
{
    free(w->method);
    free(w->path);
    for (char **h = w->headers; h && *h; h++)
        free(*h);
    free(w->headers);
    free(w->body);
    memset(w, 0, sizeof *w);
}

void aslrtp_aws_wire_header(aslrtp_aws_wire *w, const char *name, const char *value)
{
    size_t n = 0;
    while (w->headers && w->headers[n])
        n++;
    w->headers = aslrtp_realloc(w->headers, (n + 2) * sizeof *w->headers);
    w->headers[n] = aslrtp_strdupf("%s: %s", name, value);
    w->headers[n + 1] = NULL;
}

void aslrtp_aws_fault_free(aslrtp_aws_fault *f)
{
    free(f->code);
    free(f->message);
    free(f->request_id);
    free(f->extended_request_id);
    memset(f, 0, sizeof *f);
}

void aslrtp_aws_meta_free(aslrtp_aws_meta *m)
{
    free(m->request_id);
    json_decref(m->headers);
    json_decref(m->header_lists);
    memset(m, 0, sizeof *m);
}

/* The codec of s's protocol, or NULL when this build has none for it. */
static const aslrtp_aws_codec *codec_of(const aslrtp_aws_service *s)
{
    switch (s->protocol) {
    case ASLRTP_AWS_JSON:
        return &aslrtp_aws_json_codec;
    case ASLRTP_AWS_QUERY:
    case ASLRTP_AWS_EC2:
        return &aslrtp_aws_query_codec;
    case ASLRTP_AWS_REST_XML:
        return &aslrtp_aws_rest_xml_codec;
    case ASLRTP_AWS_REST_JSON:
        return &aslrtp_aws_rest_json_codec;
    default:
        return NULL;
    }
}

/* ---- Step Functions' names and the model's ------------------------------ */

/* name with its first letter a capital (malloc'd). */
static char *capitalized(const char *name)
{
    char *c = aslrtp_strdup(name);
    c[0] = (char)toupper((unsigned char)c[0]);
    return c;
}

/* The member of structure sh that key names: its model name, or the same
 * with a capital first letter. */
static const aslrtp_aws_member *member_for(const aslrtp_aws_service *s,
                                           const aslrtp_aws_shape *sh, const char *key)
{
    const aslrtp_aws_member *loose = NULL;
    for (int i = 0; i < sh->count; i++) {
        const aslrtp_aws_member *m = &s->members[sh->first + i];
        const char *name = aslrtp_aws_str_at(m->name);
        if (strcmp(name, key) == 0)
            return m;
        if (!loose && toupper((unsigned char)name[0]) == (unsigned char)key[0] &&
            strcmp(name + 1, key + 1) == 0)
            loose = m;
    }
    return loose;
}

json_t *aslrtp_aws_to_model(const aslrtp_aws_service *s, int shape, json_t *v)
{
    if (shape < 0 || !v)
        return json_incref(v);
    const aslrtp_aws_shape *sh = &s->shapes[shape];
    if (sh->type == ASLRTP_SHAPE_STRUCTURE && json_is_object(v)) {
        json_t *o = json_object();
        const char *key;
        json_t *val;
        json_object_foreach(v, key, val) {
            const aslrtp_aws_member *m = member_for(s, sh, key);
            json_object_set_new(o, m ? aslrtp_aws_str_at(m->name) : key,
                                aslrtp_aws_to_model(s, m ? m->shape : -1, val));
        }
        return o;
    }
    if (sh->type == ASLRTP_SHAPE_LIST && json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *val;
        json_array_foreach(v, i, val)
            json_array_append_new(a, aslrtp_aws_to_model(s, s->members[sh->first].shape, val));
        return a;
    }
    if (sh->type == ASLRTP_SHAPE_MAP && json_is_object(v)) {
        json_t *o = json_object();
        const char *key;
        json_t *val;
        json_object_foreach(v, key, val)
            json_object_set_new(o, key, aslrtp_aws_to_model(s, s->members[sh->first + 1].shape, val));
        return o;
    }
    /* A text member given other JSON takes its JSON text (SQS's
     * MessageBody, SNS's Message, S3's Body: doc/behaviour.md §27). */
    if (sh->type == ASLRTP_SHAPE_STRING && !json_is_string(v) && !json_is_null(v)) {
        char *text = aslrt_json_dumps(v);
        json_t *t = json_string(text);
        free(text);
        return t;
    }
    return json_incref(v);
}

/* ms since the epoch as Java's Instant prints it. */
static json_t *instant(double ms)
{
    long long t = (long long)floor(ms / 1000);
    int frac = (int)llround(ms - (double)t * 1000);
    if (frac >= 1000) {
        t++;
        frac -= 1000;
    }
    long long days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    long long secs = t - days * 86400;
    int64_t y;
    int m, d;
    aslrtp_civil_from_days(days, &y, &m, &d);
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02lld:%02lld:%02lld", (long long)y, m, d,
                     secs / 3600, secs / 60 % 60, secs % 60);
    if (frac)
        snprintf(buf + n, sizeof buf - (size_t)n, ".%03dZ", frac);
    else
        snprintf(buf + n, sizeof buf - (size_t)n, "Z");
    return json_string(buf);
}

/* A timestamp as the wire gave it (epoch seconds, or ISO 8601 / RFC 822
 * text) in Step Functions' form; text it cannot read stays as it is. */
static json_t *timestamp(json_t *v)
{
    if (json_is_number(v))
        return instant(json_number_value(v) * 1000);
    if (!json_is_string(v))
        return json_incref(v);
    const char *text = json_string_value(v);
    struct tm tm = {0};
    const char *end = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end)
        end = strptime(text, "%a, %d %b %Y %H:%M:%S", &tm);
    if (!end)
        return json_incref(v);
    double ms = 0;
    if (*end == '.') {
        double scale = 100;
        for (end++; isdigit((unsigned char)*end); end++, scale /= 10)
            ms += (*end - '0') * scale;
    }
    int64_t days = aslrtp_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    double secs = (double)days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
    return instant(secs * 1000 + floor(ms + 0.5));
}

json_t *aslrtp_aws_from_model(const aslrtp_aws_service *s, int shape, json_t *v)
{
    if (shape < 0 || !v)
        return json_incref(v);
    const aslrtp_aws_shape *sh = &s->shapes[shape];
    switch (sh->type) {
    case ASLRTP_SHAPE_STRUCTURE:
        if (json_is_object(v)) {
            json_t *o = json_object();
            const char *key;
            json_t *val;
            json_object_foreach(v, key, val) {
                const aslrtp_aws_member *m = member_for(s, sh, key);
                char *name = capitalized(key);
                json_object_set_new(o, name, aslrtp_aws_from_model(s, m ? m->shape : -1, val));
                free(name);
            }
            return o;
        }
        break;
    case ASLRTP_SHAPE_LIST:
        if (json_is_array(v)) {
            json_t *a = json_array();
            size_t i;
            json_t *val;
            json_array_foreach(v, i, val)
                json_array_append_new(a, aslrtp_aws_from_model(s, s->members[sh->first].shape, val));
            return a;
        }
        break;
    case ASLRTP_SHAPE_MAP:
        if (json_is_object(v)) {
            json_t *o = json_object();
            const char *key;
            json_t *val;
            json_object_foreach(v, key, val)
                json_object_set_new(o, key, aslrtp_aws_from_model(s, s->members[sh->first + 1].shape, val));
            return o;
        }
        break;
    case ASLRTP_SHAPE_TIMESTAMP:
        return timestamp(v);
    default:
        break;
    }
    return json_incref(v);
}

/* ---- Errors ------------------------------------------------------------- */

/* The class of an exception shape: its name, with "Exception" added
 * where it lacks it (malloc'd). */
static char *exception_class(const char *shape)
{
    size_t n = strlen(shape);
    if (n >= 9 && strcmp(shape + n - 9, "Exception") == 0)
        return aslrtp_strdup(shape);
    return aslrtp_strdupf("%sException", shape);
}

void aslrtp_aws_name_fault(const aslrtp_aws_service *s, const aslrtp_aws_errstyle *style,
                           long status, const aslrtp_aws_fault *f, aslrt_error *err)
{
    const char *client = aslrtp_aws_str_at(s->client);
    const char *prefix = style && style->prefix ? style->prefix : client;
    const char *code = f->code ? f->code : "UnknownError";
    const char *shape = aslrtp_aws_error_shape(s, code);
    const char *id = f->request_id ? f->request_id : "null";
    const char *message = f->message && *f->message ? f->message : "null";
    char *cls, *name, *cause;
    if (style && style->v1_service) {
        cls = shape ? exception_class(shape) : aslrtp_strdup(style->v1_unmodeled);
        cause = aslrtp_strdupf("%s (Service: %s; Status Code: %ld; Error Code: %s; Request ID: "
                               "%s; Proxy: null)",
                               message, style->v1_service, status, code, id);
    } else {
        cls = shape ? exception_class(shape) : aslrtp_strdupf("%sException", client);
        if (f->extended_request_id)
            cause = aslrtp_strdupf("%s (Service: %s, Status Code: %ld, Request ID: %s, Extended "
                                   "Request ID: %s) (SDK Attempt Count: 1)",
                                   message, client, status, id, f->extended_request_id);
        else
            cause = aslrtp_strdupf("%s (Service: %s, Status Code: %ld, Request ID: %s) (SDK "
                                   "Attempt Count: 1)",
                                   message, client, status, id);
    }
    name = aslrtp_strdupf("%s.%s", prefix, cls);
    aslrt_error_set(err, name, cause);
    free(cls);
    free(name);
    free(cause);
}

/* The request id the headers carry, or NULL. */
static const char *header_request_id(const aslrtp_aws_response *r)
{
    static const char *const names[] = {"x-amzn-RequestId", "x-amz-request-id",
                                        "x-amzn-requestid", "X-Amzn-RequestId"};
    const char *key;
    json_t *val;
    json_object_foreach(r->headers, key, val) {
        for (size_t i = 0; i < sizeof names / sizeof *names; i++)
            if (strcasecmp(key, names[i]) == 0)
                return json_string_value(val);
    }
    return NULL;
}

/* ---- The call ----------------------------------------------------------- */

int aslrtp_aws_call(const aslrtp_aws_service *s, const aslrtp_aws_op *op,
                    const aslrtp_aws_target *t, json_t *params, double timeout,
                    const aslrtp_cancel *cancel, const aslrtp_aws_errstyle *style,
                    json_t **out, aslrtp_aws_meta *meta, aslrt_error *err)
{
    *out = NULL;
    if (meta)
        memset(meta, 0, sizeof *meta);
    const aslrtp_aws_codec *codec = codec_of(s);
    if (!codec) {
        char *c = aslrtp_strdupf("calling %s (%s) from a Task is not supported yet: its protocol "
                                 "has no codec in this build",
                                 aslrtp_aws_str_at(s->service_id), aslrtp_aws_str_at(op->name));
        aslrt_error_set(err, "aslc.UnsupportedProtocol", c);
        free(c);
        return 0;
    }
    json_t *model = aslrtp_aws_to_model(s, op->input, params);
    aslrtp_aws_wire w = {0};
    int ok = codec->encode(s, op, model ? model : json_null(), &w, err);
    json_decref(model);
    if (!ok) {
        aslrtp_aws_wire_free(&w);
        return 0;
    }
    aslrtp_aws_request req = {.method = w.method, .path = w.path,
                              .headers = (const char *const *)w.headers, .body = w.body,
                              .body_len = w.body_len, .timeout = timeout, .cancel = cancel};
    aslrtp_aws_response r;
    aslrt_error herr = {NULL, NULL};
    ok = aslrtp_aws_http(s, t, &req, &r, &herr);
    aslrtp_aws_wire_free(&w);
    if (!ok) {
        if (herr.error && strcmp(herr.error, "aslc.AwsUnreachable") == 0) {
            /* No answer: the SDK's client exception, which a Retry on
             * States.TaskFailed or <Prefix>.SdkClientException retries. */
            const char *prefix = style && style->prefix ? style->prefix
                                                        : aslrtp_aws_str_at(s->client);
            char *name = aslrtp_strdupf("%s.SdkClientException", prefix);
            aslrt_error_set(err, name, herr.cause);
            free(name);
            aslrt_error_clear(&herr);
        } else {
            *err = herr;
        }
        return 0;
    }
    if (r.status / 100 != 2) {
        aslrtp_aws_fault f = {0};
        codec->fault(s, &r, &f);
        if (!f.request_id && header_request_id(&r))
            f.request_id = aslrtp_strdup(header_request_id(&r));
        aslrtp_aws_name_fault(s, style, r.status, &f, err);
        aslrtp_aws_fault_free(&f);
        aslrtp_aws_response_free(&r);
        return 0;
    }
    json_t *wire = NULL;
    ok = codec->decode(s, op, &r, &wire, err);
    if (ok) {
        *out = aslrtp_aws_from_model(s, op->output, wire);
        if (!json_is_object(*out)) {
            json_decref(*out);
            *out = json_object();
        }
        json_decref(wire);
    }
    if (ok && meta) {
        meta->status = r.status;
        const char *id = header_request_id(&r);
        meta->request_id = id ? aslrtp_strdup(id) : NULL;
        meta->headers = json_incref(r.headers);
        meta->header_lists = json_incref(r.header_lists);
        meta->body_len = r.body_len;
    }
    aslrtp_aws_response_free(&r);
    return ok;
}

void aslrtp_aws_add_sdk_metadata(json_t *out, const aslrtp_aws_meta *meta)
{
    json_t *lists = json_deep_copy(meta->header_lists ? meta->header_lists : json_object());
    json_t *single = json_deep_copy(meta->headers ? meta->headers : json_object());
    json_object_set_new(out, "SdkHttpMetadata",
                        json_pack("{s:o,s:o,s:i}", "AllHttpHeaders", lists, "HttpHeaders", single,
                                  "HttpStatusCode", (json_int_t)meta->status));
    json_object_set_new(out, "SdkResponseMetadata",
                        json_pack("{s:s?}", "RequestId", meta->request_id));
}

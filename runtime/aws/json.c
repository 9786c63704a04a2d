/*
 * json.c - the awsJson1_0 and awsJson1_1 protocols (DynamoDB, EventBridge,
 * Step Functions, Secrets Manager, ...): every operation is a POST to "/"
 * whose X-Amz-Target header names it (TARGET_PREFIX.Operation) and whose
 * body is the input as JSON (application/x-amz-json-1.0 or -1.1); the
 * answer is the output as JSON.  An error answer names its code in the
 * body's "__type" (possibly after a namespace and '#') or in the
 * x-amzn-ErrorType header (before any ':'), its text in "message" or
 * "Message".
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws.h"

static int encode(const aslrtp_aws_service *s, const aslrtp_aws_op *op, json_t *params,
                  aslrtp_aws_wire *w, aslrt_error *err)
{
    (void)err;
    w->method = aslrtp_strdup("POST");
    w->path = aslrtp_strdup("/");
    char *type = aslrtp_strdupf("application/x-amz-json-%s", aslrtp_aws_str_at(s->json_version));
    char *target = aslrtp_strdupf("%s.%s", aslrtp_aws_str_at(s->target_prefix),
                                  aslrtp_aws_str_at(op->name));
    aslrtp_aws_wire_header(w, "Content-Type", type);
    aslrtp_aws_wire_header(w, "X-Amz-Target", target);
    free(type);
    free(target);
    w->body = json_is_object(params) ? aslrt_json_dumps(params) : aslrtp_strdup("{}");
    w->body_len = strlen(w->body);
    return 1;
}

static int decode(const aslrtp_aws_service *s, const aslrtp_aws_op *op,
                  const aslrtp_aws_response *r, json_t **out, aslrt_error *err)
{
    size_t n = r->body_len;
    const char *text = aslrtp_text_trim(r->body, &n);
    if (!n) {
        *out = json_object();
        return 1;
    }
    json_error_t je;
    *out = aslrtp_json_loads(text, n, &je);
    if (*out)
        return 1;
    char *c = aslrtp_strdupf("the answer of %s to %s is not JSON (%s, at line %d column %d)",
                             aslrtp_aws_str_at(s->service_id), aslrtp_aws_str_at(op->name),
                             je.text, je.line, je.column);
    aslrt_error_set(err, "aslc.AwsBadAnswer", c);
    free(c);
    return 0;
}

/* s without a namespace before '#' and anything after ':' (malloc'd). */
static char *bare_code(const char *s)
{
    const char *hash = strrchr(s, '#');
    if (hash)
        s = hash + 1;
    size_t n = strcspn(s, ":");
    char *c = aslrtp_malloc(n + 1);
    memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

static void fault(const aslrtp_aws_service *s, const aslrtp_aws_response *r, aslrtp_aws_fault *f)
{
    (void)s;
    json_error_t je;
    size_t n = r->body_len;
    const char *text = aslrtp_text_trim(r->body, &n);
    json_t *body = n ? aslrtp_json_loads(text, n, &je) : NULL;
    const char *type = json_string_value(json_object_get(body, "__type"));
    if (!type)
        type = json_string_value(json_object_get(body, "code"));
    const char *key;
    json_t *val;
    json_object_foreach(r->headers, key, val) {
        if (strcasecmp(key, "x-amzn-ErrorType") == 0 && json_string_value(val))
            type = json_string_value(val);
    }
    if (type)
        f->code = bare_code(type);
    const char *msg = json_string_value(json_object_get(body, "message"));
    if (!msg)
        msg = json_string_value(json_object_get(body, "Message"));
    if (msg)
        f->message = aslrtp_strdup(msg);
    else if (!body && n) {
        aslrtp_buf b = {0};
        aslrtp_text_excerpt(&b, text, n, 512);
        f->message = aslrtp_buf_finish(&b);
    }
    json_decref(body);
}

const aslrtp_aws_codec aslrtp_aws_json_codec = {encode, decode, fault};

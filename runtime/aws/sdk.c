/*
 * sdk.c - a Task's Resource made a service call (doc/behaviour.md §25):
 *
 *  - arn:aws:states:::aws-sdk:SERVICE:ACTION[.waitForTaskToken]: the
 *    operation ACTION (its first letter made a capital: getItem is
 *    GetItem) of the service whose aws-sdk name is SERVICE, called with
 *    the Task's parameters; the result is the operation's output, errors
 *    named as the AWS SDK for Java 2 names them;
 *  - arn:aws:states:::FAMILY:action[.waitForTaskToken]: an optimized
 *    integration of the table below, which calls the same operation and
 *    shapes it as Step Functions does for that family: the SDK for Java 1's
 *    error names and Causes, and for most the HTTP metadata
 *    (SdkHttpMetadata, SdkResponseMetadata) beside the output.
 *
 * A .waitForTaskToken Task makes the same call; invoke.c then waits for
 * its token.  The .sync patterns of the optimized integrations (run a job
 * and wait for it) are not supported yet: such a Task fails with a Cause
 * that says so.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "rest.h"

/* An optimized integration family: arn:aws:states:::NAME:action. */
typedef struct family {
    const char *name;           /* in the ARN: "dynamodb", "sqs", "events" */
    const char *service;        /* the aws-sdk name of the service it calls */
    const char *const *actions; /* the actions Step Functions integrates */
    aslrtp_aws_errstyle style;  /* the SDK for Java 1's names */
    bool metadata;              /* adds SdkHttpMetadata and SdkResponseMetadata */
    /* Shapes the result further, or turns it into an error; NULL: none. */
    int (*after)(json_t **out, aslrt_error *err);
} family;

static const char *const dynamodb_actions[] = {"getItem", "putItem", "updateItem", "deleteItem",
                                               NULL};
static const char *const sqs_actions[] = {"sendMessage", NULL};
static const char *const sns_actions[] = {"publish", NULL};
static const char *const events_actions[] = {"putEvents", NULL};

/* EventBridge's putEvents: an entry that failed fails the Task
 * (EventBridge.FailedEntry, its Cause the output). */
static int events_after(json_t **out, aslrt_error *err)
{
    json_t *count = json_object_get(*out, "FailedEntryCount");
    if (!json_is_integer(count) || json_integer_value(count) == 0)
        return 1;
    char *cause = aslrt_json_dumps(*out);
    aslrt_error_set(err, "EventBridge.FailedEntry", cause);
    free(cause);
    return 0;
}

static const family families[] = {
    {"dynamodb", "dynamodb", dynamodb_actions,
     {"DynamoDB", "AmazonDynamoDBv2", "AmazonDynamoDBException"}, true, NULL},
    {"events", "eventbridge", events_actions,
     {"EventBridge", "AmazonEventBridge", "AmazonEventBridgeException"}, false, events_after},
    {"sns", "sns", sns_actions, {"SNS", "AmazonSNS", "AmazonSNSException"}, true, NULL},
    {"sqs", "sqs", sqs_actions, {"SQS", "AmazonSQS", "AmazonSQSException"}, true, NULL},
};

/* A Resource read: which service, which operation, which family. */
typedef struct parsed {
    const aslrtp_aws_service *service;
    const aslrtp_aws_op *op;
    const family *fam;          /* NULL: aws-sdk */
    bool sync;                  /* a .sync pattern */
    char action[128];           /* the action as the Resource writes it */
} parsed;

#define STATES_ARN "arn:aws:states:::"

/* Reads resource; false when it is no service call this layer knows. */
static bool parse(const char *resource, parsed *p)
{
    memset(p, 0, sizeof *p);
    if (strncmp(resource, STATES_ARN, strlen(STATES_ARN)) != 0)
        return false;
    const char *rest = resource + strlen(STATES_ARN);
    bool sdk = strncmp(rest, "aws-sdk:", 8) == 0;
    if (sdk)
        rest += 8;
    const char *colon = strchr(rest, ':');
    if (!colon || colon == rest || (size_t)(colon - rest) >= 64)
        return false;
    char name[64];
    memcpy(name, rest, (size_t)(colon - rest));
    name[colon - rest] = '\0';
    const char *action = colon + 1;
    size_t alen = strcspn(action, ".");
    if (alen == 0 || alen >= sizeof p->action)
        return false;
    memcpy(p->action, action, alen);
    p->action[alen] = '\0';
    const char *pattern = action + alen;
    p->sync = strncmp(pattern, ".sync", 5) == 0;
    if (*pattern && !p->sync && strcmp(pattern, ".waitForTaskToken") != 0)
        return false;
    if (sdk) {
        p->service = aslrtp_aws_service_find(name);
    } else {
        for (size_t i = 0; i < sizeof families / sizeof *families; i++)
            if (strcmp(families[i].name, name) == 0 && aslrtp_str_in(p->action, families[i].actions))
                p->fam = &families[i];
        if (!p->fam)
            return false;
        p->service = aslrtp_aws_service_find(p->fam->service);
    }
    if (!p->service)
        return false;
    char op[sizeof p->action];
    memcpy(op, p->action, sizeof op);
    op[0] = (char)toupper((unsigned char)op[0]);
    p->op = aslrtp_aws_op_find(p->service, op);
    return p->op != NULL;
}

/* params with a blob payload (S3's Body) given a string made that string's
 * JSON text, quotes included, as Step Functions stores it (doc/behaviour.md
 * §27; other JSON becomes its text in aslrtp_aws_to_model).  A new
 * reference. */
static json_t *payload_as_json(const aslrtp_aws_service *s, const aslrtp_aws_op *op,
                               json_t *params)
{
    const aslrtp_aws_member *pm = aslrtp_rest_payload(s, op->input);
    if (!pm || pm->shape < 0 || s->shapes[pm->shape].type != ASLRTP_SHAPE_BLOB ||
        !json_is_object(params))
        return json_incref(params);
    const char *name = aslrtp_aws_str_at(pm->name);
    const char *key;
    json_t *v;
    json_object_foreach(params, key, v) {
        /* Parameters name members with a capital first letter (§25). */
        if (!json_is_string(v) || !key[0] ||
            toupper((unsigned char)key[0]) != toupper((unsigned char)name[0]) ||
            strcmp(key + 1, name + 1) != 0)
            continue;
        json_t *copy = json_copy(params);
        char *text = aslrt_json_dumps(v);
        json_object_set_new(copy, key, json_string(text));
        free(text);
        return copy;
    }
    return json_incref(params);
}

bool aslrtp_aws_answers(const aslrt_config *cfg, const char *resource)
{
    parsed p;
    return parse(resource, &p) && aslrtp_aws_has_endpoint(cfg, p.service);
}

int aslrtp_aws_invoke(const aslrt_config *cfg, const char *region, const char *resource,
                      json_t *params, double timeout, const aslrtp_cancel *cancel,
                      json_t **out, aslrt_error *err)
{
    *out = NULL;
    parsed p;
    if (!parse(resource, &p)) {
        char *c = aslrtp_strdupf("'%s' names no AWS service operation", resource);
        aslrt_error_set(err, "aslc.UnboundResource", c);
        free(c);
        return 0;
    }
    if (p.sync) {
        char *c = aslrtp_strdupf("the .sync pattern of '%s' (run a job and wait for it) is not "
                                 "supported yet: mock the state, or bind it to a handler",
                                 resource);
        aslrt_error_set(err, "aslc.UnsupportedIntegration", c);
        free(c);
        return 0;
    }
    aslrtp_aws_target t;
    int r = aslrtp_aws_target_resolve(cfg, p.service, region, &t, err);
    if (r <= 0) {
        if (r == 0) {
            char *c = aslrtp_strdupf("no endpoint is configured for %s (set AWS_ENDPOINT_URL_%s "
                                     "or AWS_ENDPOINT_URL, or give --aws)",
                                     aslrtp_aws_str_at(p.service->service_id),
                                     aslrtp_aws_str_at(p.service->env_name));
            aslrt_error_set(err, "aslc.UnboundResource", c);
            free(c);
        }
        return 0;
    }
    aslrtp_aws_meta meta;
    json_t *given = payload_as_json(p.service, p.op, params);
    int ok = aslrtp_aws_call(p.service, p.op, &t, given, timeout, cancel,
                             p.fam ? &p.fam->style : NULL, out,
                             p.fam && p.fam->metadata ? &meta : NULL, err);
    json_decref(given);
    aslrtp_aws_target_free(&t);
    if (ok && p.fam && p.fam->metadata) {
        aslrtp_aws_add_sdk_metadata(*out, &meta);
        aslrtp_aws_meta_free(&meta);
    }
    if (ok && p.fam && p.fam->after && !p.fam->after(out, err)) {
        json_decref(*out);
        *out = NULL;
        ok = 0;
    }
    return ok;
}

/*
 * aws.h - the runtime's AWS services layer: what a Task that calls an AWS
 * service needs, from the Resource to the JSON it returns.
 *
 * Layers, bottom up (each file only calls those below it):
 *
 *   services.c   generated at build time from the service models of
 *                botocore (tools/gen-aws-services.py): per service its
 *                protocol, target prefix, endpoint prefix, signing name,
 *                API version, modeled errors and operations, and for the
 *                protocols that need them (query, ec2, rest-xml) the
 *                shapes of every operation's input and output;
 *   config.c     where a call goes and as whom: the endpoint (bindings
 *                "Endpoints", AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL,
 *                or AWS's own when --aws allows it), the region and the
 *                credentials (environment variables, then the shared
 *                credentials and config files' profile);
 *   http.c       one signed HTTP request through libcurl (SigV4), bounded
 *                by the Task's timeout and stopped by its cancel flag;
 *   protocol.c   a call of the aws-sdk integration in a service's protocol:
 *                the request made from the Task's parameters, the answer
 *                read back to JSON, and errors named as Step Functions
 *                names them (<Client>.<Code>, doc/behaviour.md §25);
 *   json.c,      the codecs, one per protocol: awsJson (json.c), query and
 *   query.c,     ec2 (query.c), rest-xml (restxml.c), rest-json
 *   restxml.c,   (restjson.c), driven by the table's shapes; rest.c holds
 *   restjson.c,  what the rest protocols share (URI template, query string,
 *   rest.c,      headers), xml.c what the XML ones do (libxml2 parses);
 *   xml.c
 *   s3.c         S3 objects read, listed and written for the distributed
 *                Map's ItemReader and ResultWriter;
 *   dynamodb.c,  the optimized integrations (arn:aws:states:::SERVICE:ACTION),
 *   sqs.c, ...   one file per service family: what Step Functions adds on
 *                top of the service's API (parameter and result shaping,
 *                SDK v1-style error names and Causes).
 *
 * The entry point for invoke.c is aslrtp_aws_invoke.
 */
#ifndef ASLRT_AWS_H
#define ASLRT_AWS_H

#include <stdbool.h>
#include <stddef.h>

#include "aslrt_private.h"

/* ---- The service models (services.c, generated) ------------------------- */

enum aslrtp_aws_protocol {
    ASLRTP_AWS_JSON,            /* awsJson1_0 / awsJson1_1: POST /, X-Amz-Target */
    ASLRTP_AWS_REST_JSON,
    ASLRTP_AWS_QUERY,           /* form-encoded Action=...&Version=..., XML answers */
    ASLRTP_AWS_EC2,
    ASLRTP_AWS_REST_XML
};

/* A shape's type. */
enum aslrtp_aws_type {
    ASLRTP_SHAPE_STRUCTURE, ASLRTP_SHAPE_LIST, ASLRTP_SHAPE_MAP, ASLRTP_SHAPE_STRING,
    ASLRTP_SHAPE_INTEGER, ASLRTP_SHAPE_LONG, ASLRTP_SHAPE_BOOLEAN, ASLRTP_SHAPE_DOUBLE,
    ASLRTP_SHAPE_FLOAT, ASLRTP_SHAPE_TIMESTAMP, ASLRTP_SHAPE_BLOB
};

/* Where a member travels (rest protocols); BODY for the others. */
enum aslrtp_aws_location {
    ASLRTP_LOC_BODY, ASLRTP_LOC_URI, ASLRTP_LOC_QUERY, ASLRTP_LOC_HEADER,
    ASLRTP_LOC_HEADERS, ASLRTP_LOC_STATUS
};

enum {
    ASLRTP_SHAPE_FLATTENED = 1,     /* a list or map without its wrapper element */
    ASLRTP_SHAPE_EXCEPTION = 2,
    ASLRTP_SHAPE_STREAMING = 4      /* a blob streamed as the whole body */
};

enum {
    ASLRTP_MEMBER_XML_ATTRIBUTE = 1,
    ASLRTP_MEMBER_FLATTENED = 2,
    ASLRTP_MEMBER_REQUIRED = 4,
    ASLRTP_MEMBER_PAYLOAD = 8       /* the structure's payload member (rest) */
};

/* A string of the table: an offset in one pool (0 is NULL), so that the
 * table needs no relocations; aslrtp_aws_str_at gives the text. */
typedef unsigned aslrtp_aws_str;
const char *aslrtp_aws_str_at(aslrtp_aws_str s);

typedef struct aslrtp_aws_member {
    aslrtp_aws_str name;            /* the model's member name */
    aslrtp_aws_str wire;            /* locationName, or 0: the name */
    int shape;                      /* index in the service's shapes */
    unsigned char location;         /* ASLRTP_LOC_* */
    unsigned char flags;            /* ASLRTP_MEMBER_* */
} aslrtp_aws_member;

typedef struct aslrtp_aws_shape {
    unsigned char type;             /* ASLRTP_SHAPE_* */
    unsigned char flags;            /* ASLRTP_SHAPE_* */
    /* A structure's members are members[first .. first + count); a list's
     * member is members[first]; a map's key and value members[first] and
     * members[first + 1]. */
    int first, count;
    aslrtp_aws_str timestamp_format;   /* 0: the protocol's default */
} aslrtp_aws_shape;

typedef struct aslrtp_aws_op {
    aslrtp_aws_str name;            /* "GetItem" */
    aslrtp_aws_str method;          /* rest protocols: "GET", ... (else 0) */
    aslrtp_aws_str uri;             /* rest protocols: "/{Bucket}/{Key+}" */
    int input, output;              /* shape indexes, -1 when none (or not kept) */
    aslrtp_aws_str result_wrapper;  /* query: "SendMessageResult" */
} aslrtp_aws_op;

typedef struct aslrtp_aws_service {
    aslrtp_aws_str sdk_name;        /* "dynamodb": the name in arn:aws:states:::aws-sdk:NAME:... */
    aslrtp_aws_str client;          /* "DynamoDb": the SDK's client name, aws-sdk errors' prefix */
    aslrtp_aws_str service_id;      /* "DynamoDB" */
    aslrtp_aws_str env_name;        /* "DYNAMODB": AWS_ENDPOINT_URL_DYNAMODB */
    aslrtp_aws_str endpoint_prefix; /* "dynamodb" */
    aslrtp_aws_str signing_name;    /* "dynamodb" */
    aslrtp_aws_str api_version;
    int protocol;                   /* ASLRTP_AWS_* */
    aslrtp_aws_str json_version;    /* "1.0" / "1.1", else 0 */
    aslrtp_aws_str target_prefix;   /* "DynamoDB_20120810", else 0 */
    const aslrtp_aws_str *errors;   /* modeled exceptions: pairs (code, shape name), by code */
    size_t nerrors;                 /* pairs */
    const aslrtp_aws_op *ops;       /* sorted by name */
    size_t nops;
    const aslrtp_aws_shape *shapes; /* kept for the protocols that need them */
    size_t nshapes;
    const aslrtp_aws_member *members;
    size_t nmembers;
    aslrtp_aws_str xml_namespace;   /* rest-xml: its request bodies' xmlns, else 0 */
} aslrtp_aws_service;

/* The service whose aws-sdk name is name ("dynamodb", "sfn", "s3",
 * "eventbridge", ...), or NULL. */
const aslrtp_aws_service *aslrtp_aws_service_find(const char *name);
/* The service with this endpoint prefix ("states", "events"), or NULL. */
const aslrtp_aws_service *aslrtp_aws_service_by_prefix(const char *endpoint_prefix);
/* The operation named name (PascalCase, "GetItem"), or NULL. */
const aslrtp_aws_op *aslrtp_aws_op_find(const aslrtp_aws_service *s, const char *name);
/* The name of the exception shape the service models for the error code
 * code ("QueueDoesNotExist" for "AWS.SimpleQueueService.NonExistentQueue"),
 * or NULL when it models none. */
const char *aslrtp_aws_error_shape(const aslrtp_aws_service *s, const char *code);

/* ---- Where a call goes, as whom (config.c) ------------------------------ */

/* What a call needs besides its request: resolved once per call. */
typedef struct aslrtp_aws_target {
    char *endpoint;                 /* "http://127.0.0.1:4566", no trailing '/' */
    char *region;
    char *access_key, *secret_key, *session_token;  /* session_token may be NULL */
    size_t body_limit;              /* the most an answer's body may hold; 0: twice
                                       the payload quota (a Task's result) */
} aslrtp_aws_target;

/* Resolves where a call to service s goes and with which credentials:
 * the bindings' "Endpoints" (by aws-sdk name, then "*"), then
 * AWS_ENDPOINT_URL_<ENV_NAME>, then AWS_ENDPOINT_URL, then, only when
 * cfg->aws allows it, AWS's endpoint for the region.  Returns 0 when no
 * endpoint is configured (the Task is then unbound), -1 with err filled
 * when one is but the credentials cannot be found, 1 on success. */
int aslrtp_aws_target_resolve(const aslrt_config *cfg, const aslrtp_aws_service *s,
                              const char *region, aslrtp_aws_target *t, aslrt_error *err);
void aslrtp_aws_target_free(aslrtp_aws_target *t);
/* Whether any endpoint is configured for service s (bindings or
 * environment, or --aws), without reading credentials. */
bool aslrtp_aws_has_endpoint(const aslrt_config *cfg, const aslrtp_aws_service *s);

/* ---- One signed HTTP request (http.c) ----------------------------------- */

typedef struct aslrtp_aws_request {
    const char *method;             /* "POST" */
    const char *path;               /* "/" or "/bucket/key?x=y": escaped already */
    const char *const *headers;     /* "Name: value" lines, NULL-terminated; may be NULL */
    const char *body;
    size_t body_len;
    double timeout;                 /* seconds; <= 0: none */
    const aslrtp_cancel *cancel;     /* non-zero: stop now; may be NULL */
} aslrtp_aws_request;

typedef struct aslrtp_aws_response {
    long status;                    /* HTTP status */
    char *body;                     /* NUL-terminated */
    size_t body_len;
    json_t *headers;                /* {"Name": "value", ...} as received (last wins) */
    json_t *header_lists;           /* {"Name": ["value", ...]} */
} aslrtp_aws_response;

/* Sends req to t's endpoint for service s, signed with SigV4.  Returns 1
 * when an HTTP answer came (whatever its status), 0 with err filled when
 * none did: States.Timeout when the timeout ran out, aslc.AwsUnreachable
 * (with curl's reason) when the endpoint could not be reached, or the
 * cancel flag's stop. */
int aslrtp_aws_http(const aslrtp_aws_service *s, const aslrtp_aws_target *t,
                    const aslrtp_aws_request *req, aslrtp_aws_response *resp, aslrt_error *err);
void aslrtp_aws_response_free(aslrtp_aws_response *r);

/* ---- The protocols (json.c, query.c, restxml.c, restjson.c) ------------- */

/* A request as a protocol writes it (all malloc'd). */
typedef struct aslrtp_aws_wire {
    char *method;                   /* "POST" */
    char *path;                     /* "/" or "/bucket/key?list-type=2", escaped */
    char **headers;                 /* "Name: value", NULL-terminated, or NULL */
    char *body;
    size_t body_len;
} aslrtp_aws_wire;
void aslrtp_aws_wire_free(aslrtp_aws_wire *w);
/* Appends the header "name: value" to w. */
void aslrtp_aws_wire_header(aslrtp_aws_wire *w, const char *name, const char *value);

/* An error answer, as the protocol reads it (malloc'd; NULL when absent). */
typedef struct aslrtp_aws_fault {
    char *code;                     /* "ResourceNotFoundException", "AWS.SimpleQueueService.NonExistentQueue" */
    char *message;
    char *request_id;               /* when the body carries it */
    char *extended_request_id;      /* S3's x-amz-id-2 */
} aslrtp_aws_fault;
void aslrtp_aws_fault_free(aslrtp_aws_fault *f);

/* A protocol: writes a request from params (members by their model names,
 * as Step Functions passes them), reads a 2xx answer into JSON (members by
 * their model names), and reads an error answer.  encode and decode return
 * 1, or 0 with err filled (States.Runtime-style text for parameters the
 * protocol cannot write). */
typedef struct aslrtp_aws_codec {
    int (*encode)(const aslrtp_aws_service *s, const aslrtp_aws_op *op, json_t *params,
                  aslrtp_aws_wire *w, aslrt_error *err);
    int (*decode)(const aslrtp_aws_service *s, const aslrtp_aws_op *op,
                  const aslrtp_aws_response *r, json_t **out, aslrt_error *err);
    void (*fault)(const aslrtp_aws_service *s, const aslrtp_aws_response *r,
                  aslrtp_aws_fault *f);
} aslrtp_aws_codec;

extern const aslrtp_aws_codec aslrtp_aws_json_codec;      /* json.c: awsJson1_0, awsJson1_1 */
extern const aslrtp_aws_codec aslrtp_aws_query_codec;     /* query.c: query, ec2 */
extern const aslrtp_aws_codec aslrtp_aws_rest_xml_codec;  /* restxml.c: rest-xml (S3) */
extern const aslrtp_aws_codec aslrtp_aws_rest_json_codec; /* restjson.c: rest-json */

/* ---- A call (protocol.c) ------------------------------------------------ */

/* How an error is named and worded: as the aws-sdk integration names it
 * (AWS SDK for Java 2: "DynamoDb.ConditionalCheckFailedException",
 * "message (Service: DynamoDb, Status Code: 400, Request ID: id)"), or as
 * an optimized integration does (AWS SDK for Java 1:
 * "DynamoDB.ConditionalCheckFailedException", "message (Service:
 * AmazonDynamoDBv2; Status Code: 400; Error Code: ...; Request ID: id;
 * Proxy: null)"), with the family's prefix and service name. */
typedef struct aslrtp_aws_errstyle {
    const char *prefix;             /* NULL: the SDK v2 client name ("DynamoDb") */
    const char *v1_service;         /* non-NULL: SDK v1 wording with this service name */
    const char *v1_unmodeled;       /* SDK v1: the code of an unmodeled error ("AmazonDynamoDBException") */
} aslrtp_aws_errstyle;

/* A call's answer besides the body. */
typedef struct aslrtp_aws_meta {
    long status;
    char *request_id;
    json_t *headers;                /* {"Name": "value"} */
    json_t *header_lists;           /* {"Name": ["value"]} */
    size_t body_len;
} aslrtp_aws_meta;

/* Calls operation op of service s with params (the Task's effective
 * input, members by their model names) and returns the operation's output
 * as JSON in *out (members by their model names).  meta, when non-NULL,
 * receives the HTTP details (free with aslrtp_aws_meta_free).  Errors are
 * named as style says.  Returns 1, or 0 with err filled. */
int aslrtp_aws_call(const aslrtp_aws_service *s, const aslrtp_aws_op *op,
                    const aslrtp_aws_target *t, json_t *params, double timeout,
                    const aslrtp_cancel *cancel, const aslrtp_aws_errstyle *style,
                    json_t **out, aslrtp_aws_meta *meta, aslrt_error *err);
void aslrtp_aws_meta_free(aslrtp_aws_meta *m);

/* v (a value of shape shape, -1: unknown) with structure members named as
 * the model names them (a member may be written with a capital first
 * letter, as Step Functions takes them), recursively; unknown members pass
 * as they are.  A new reference. */
json_t *aslrtp_aws_to_model(const aslrtp_aws_service *s, int shape, json_t *v);
/* v as Step Functions gives it: structure members with a capital first
 * letter, timestamps as ISO 8601 text in UTC (doc/behaviour.md §25), map
 * keys as they are.  A new reference. */
json_t *aslrtp_aws_from_model(const aslrtp_aws_service *s, int shape, json_t *v);
/* Fills err with the error answer f (HTTP status) of service s, named and
 * worded as style says (NULL: the aws-sdk integration's way). */
void aslrtp_aws_name_fault(const aslrtp_aws_service *s, const aslrtp_aws_errstyle *style,
                           long status, const aslrtp_aws_fault *f, aslrt_error *err);

/* The SdkHttpMetadata and SdkResponseMetadata that optimized integrations
 * add to a result (doc/behaviour.md §25): added to the object out. */
void aslrtp_aws_add_sdk_metadata(json_t *out, const aslrtp_aws_meta *meta);

/* ---- S3 objects for the distributed Map (s3.c) --------------------------- */

/* The most an object read by an ItemReader may hold. */
#define ASLRTP_S3_OBJECT_LIMIT ((size_t)256 * 1024 * 1024)

/* Whether S3 is reached through an endpoint (one is configured for S3, or
 * --aws allows AWS's own). */
bool aslrtp_s3_remote(const aslrt_config *cfg);
/* GetObject: the bytes of s3://bucket/key (malloc'd, NUL-terminated, *len
 * their count), or NULL with err named as the aws-sdk integration names
 * S3's errors. */
char *aslrtp_s3_get(const aslrt_config *cfg, const char *region, const char *bucket,
                    const char *key, size_t *len, aslrt_error *err);
/* ListObjectsV2, every page: a new array of the objects whose key starts
 * with prefix, in key order, each {"Key", "ETag", "LastModified" (epoch
 * seconds), "Size", "StorageClass"}; NULL with err filled. */
json_t *aslrtp_s3_list(const aslrt_config *cfg, const char *region, const char *bucket,
                       const char *prefix, aslrt_error *err);
/* PutObject of data[0..len) at s3://bucket/key.  Returns 1, or 0 with err
 * filled. */
int aslrtp_s3_put(const aslrt_config *cfg, const char *region, const char *bucket,
                  const char *key, const char *data, size_t len, aslrt_error *err);

/* ---- The Task's entry point (sdk.c) ------------------------------------- */

/* Whether a Task's Resource calls an AWS service operation that this
 * layer knows (an aws-sdk integration, or an optimized one of its
 * families) and an endpoint is configured for the service. */
bool aslrtp_aws_answers(const aslrt_config *cfg, const char *resource);

/* Calls the service a Task's Resource names, with params; the result as
 * the integration returns it.  Returns 1, or 0 with err filled. */
int aslrtp_aws_invoke(const aslrt_config *cfg, const char *region, const char *resource,
                      json_t *params, double timeout, const aslrtp_cancel *cancel,
                      json_t **out, aslrt_error *err);

#endif /* ASLRT_AWS_H */

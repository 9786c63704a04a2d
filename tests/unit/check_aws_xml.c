/*
 * check_aws_xml.c - the XML and rest protocols' codecs (runtime/aws/
 * query.c, restxml.c, restjson.c, xml.c, rest.c) on fixed wire texts:
 * requests written exactly as the models say (form encoding, URI
 * templates, query strings in SigV4's order, headers, XML bodies), answers
 * read by their shapes (an SQS SendMessage, S3 listings of one and of two
 * objects, S3 GetObject and Lambda Invoke headers and payloads), error
 * bodies of each protocol, and hostile XML (an external entity, a billion
 * laughs, deep nesting, a huge body) refused without harm.
 */
#include <stdlib.h>
#include <string.h>

#include "aws/aws.h"
#include "aws/xml.h"
#include "testutil.h"

static const aslrtp_aws_service *svc(const char *name)
{
    const aslrtp_aws_service *s = aslrtp_aws_service_find(name);
    ck_assert_msg(s != NULL, "no service %s in the table", name);
    return s;
}

static const aslrtp_aws_op *op_of(const aslrtp_aws_service *s, const char *name)
{
    const aslrtp_aws_op *o = aslrtp_aws_op_find(s, name);
    ck_assert_msg(o != NULL, "no operation %s", name);
    return o;
}

/* Encodes params (JSON text) for s's op with codec c; the wire in *w. */
static void encode(const aslrtp_aws_codec *c, const char *service, const char *op,
                   const char *params, aslrtp_aws_wire *w)
{
    const aslrtp_aws_service *s = svc(service);
    json_t *p = json_loads(params, 0, NULL);
    ck_assert_ptr_nonnull(p);
    aslrt_error err = {NULL, NULL};
    memset(w, 0, sizeof *w);
    int ok = c->encode(s, op_of(s, op), p, w, &err);
    ck_assert_msg(ok, "encode failed: %s: %s", err.error, err.cause);
    json_decref(p);
}

/* The value of header name in w, or NULL. */
static const char *wire_header(const aslrtp_aws_wire *w, const char *name)
{
    size_t n = strlen(name);
    for (char **h = w->headers; h && *h; h++)
        if (strncasecmp(*h, name, n) == 0 && (*h)[n] == ':')
            return *h + n + 2;
    return NULL;
}

/* A response with status and body (headers "Name: value" pairs, NULL
 * ended); free with aslrtp_aws_response_free. */
static aslrtp_aws_response answer(long status, const char *body, const char *const *headers)
{
    aslrtp_aws_response r = {0};
    r.status = status;
    r.body = aslrtp_strdup(body);
    r.body_len = strlen(body);
    r.headers = json_object();
    r.header_lists = json_object();
    for (const char *const *h = headers; h && *h; h += 2)
        json_object_set_new(r.headers, h[0], json_string(h[1]));
    return r;
}

/* Decodes r as s's op with codec c; the output as compact JSON text. */
static char *decode(const aslrtp_aws_codec *c, const char *service, const char *op,
                    aslrtp_aws_response *r)
{
    const aslrtp_aws_service *s = svc(service);
    json_t *out = NULL;
    aslrt_error err = {NULL, NULL};
    int ok = c->decode(s, op_of(s, op), r, &out, &err);
    ck_assert_msg(ok, "decode failed: %s: %s", err.error, err.cause);
    char *text = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(out);
    return text;
}

/* ---- query ---------------------------------------------------------------- */

START_TEST(query_send_message_form)
{
    aslrtp_aws_wire w;
    encode(&aslrtp_aws_query_codec, "sqs", "SendMessage",
           "{\"QueueUrl\": \"https://sqs.us-east-1.amazonaws.com/1/q\","
           " \"MessageBody\": \"hello world & more ~é\", \"DelaySeconds\": 5,"
           " \"MessageAttributes\": {\"a\": {\"DataType\": \"String\", \"StringValue\": \"x\"}}}",
           &w);
    ck_assert_str_eq(w.method, "POST");
    ck_assert_str_eq(w.path, "/");
    ck_assert_str_eq(wire_header(&w, "Content-Type"),
                     "application/x-www-form-urlencoded; charset=utf-8");
    /* The map is flattened, its key and value named Name and Value. */
    ck_assert_str_eq(w.body,
                     "Action=SendMessage&Version=2012-11-05"
                     "&QueueUrl=https%3A%2F%2Fsqs.us-east-1.amazonaws.com%2F1%2Fq"
                     "&MessageBody=hello%20world%20%26%20more%20~%C3%A9&DelaySeconds=5"
                     "&MessageAttribute.1.Name=a&MessageAttribute.1.Value.StringValue=x"
                     "&MessageAttribute.1.Value.DataType=String");
    ck_assert_uint_eq(w.body_len, strlen(w.body));
    aslrtp_aws_wire_free(&w);
}
END_TEST

START_TEST(query_lists_maps_and_scalars)
{
    aslrtp_aws_wire w;
    /* SNS: a wrapped map (entry.N); a message given as an object would have
     * been made its JSON text by protocol.c, a number here is written. */
    encode(&aslrtp_aws_query_codec, "sns", "Publish",
           "{\"TopicArn\": \"arn:aws:sns:us-east-1:1:t\", \"Message\": \"m\","
           " \"MessageAttributes\": {\"k\": {\"DataType\": \"String\", \"StringValue\": \"v\"}}}",
           &w);
    ck_assert_str_eq(w.body,
                     "Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A1%3At"
                     "&Message=m&MessageAttributes.entry.1.Name=k"
                     "&MessageAttributes.entry.1.Value.DataType=String"
                     "&MessageAttributes.entry.1.Value.StringValue=v");
    aslrtp_aws_wire_free(&w);
    /* A flattened list whose member has a locationName; an empty list. */
    encode(&aslrtp_aws_query_codec, "sqs", "ChangeMessageVisibilityBatch",
           "{\"QueueUrl\": \"u\", \"Entries\": [{\"Id\": \"1\", \"ReceiptHandle\": \"r\","
           " \"VisibilityTimeout\": 3}]}",
           &w);
    ck_assert_str_eq(w.body, "Action=ChangeMessageVisibilityBatch&Version=2012-11-05&QueueUrl=u"
                             "&ChangeMessageVisibilityBatchRequestEntry.1.Id=1"
                             "&ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle=r"
                             "&ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout=3");
    aslrtp_aws_wire_free(&w);
    encode(&aslrtp_aws_query_codec, "sqs", "GetQueueAttributes",
           "{\"QueueUrl\": \"u\", \"AttributeNames\": []}", &w);
    ck_assert_str_eq(w.body, "Action=GetQueueAttributes&Version=2012-11-05&QueueUrl=u"
                             "&AttributeNames=");
    aslrtp_aws_wire_free(&w);
    /* A wrapped list (member.N) and a boolean. */
    encode(&aslrtp_aws_query_codec, "sns", "CreateTopic",
           "{\"Name\": \"t\", \"Tags\": [{\"Key\": \"a\", \"Value\": \"b\"}]}", &w);
    ck_assert_str_eq(w.body, "Action=CreateTopic&Version=2010-03-31&Name=t"
                             "&Tags.member.1.Key=a&Tags.member.1.Value=b");
    aslrtp_aws_wire_free(&w);
}
END_TEST

START_TEST(query_ec2_form)
{
    aslrtp_aws_wire w;
    encode(&aslrtp_aws_query_codec, "ec2", "DescribeInstances",
           "{\"InstanceIds\": [\"i-1\", \"i-2\"], \"DryRun\": false,"
           " \"Filters\": [{\"Name\": \"tag:a\", \"Values\": [\"x\", \"y\"]}]}",
           &w);
    ck_assert_str_eq(w.body, "Action=DescribeInstances&Version=2016-11-15"
                             "&Filter.1.Name=tag%3Aa&Filter.1.Value.1=x&Filter.1.Value.2=y"
                             "&InstanceId.1=i-1&InstanceId.2=i-2&DryRun=false");
    aslrtp_aws_wire_free(&w);
}
END_TEST

START_TEST(query_wrong_type_is_an_error)
{
    const aslrtp_aws_service *s = svc("sqs");
    json_t *p = json_pack("{s:s,s:s,s:s}", "QueueUrl", "u", "MessageBody", "m", "DelaySeconds",
                          "soon");
    aslrtp_aws_wire w = {0};
    aslrt_error err = {NULL, NULL};
    ck_assert_int_eq(aslrtp_aws_query_codec.encode(s, op_of(s, "SendMessage"), p, &w, &err), 0);
    ck_assert_str_eq(err.error, "States.Runtime");
    ck_assert_ptr_nonnull(strstr(err.cause, "DelaySeconds"));
    aslrt_error_clear(&err);
    aslrtp_aws_wire_free(&w);
    json_decref(p);
}
END_TEST

START_TEST(query_send_message_answer)
{
    aslrtp_aws_response r = answer(
        200,
        "<?xml version=\"1.0\"?>\n"
        "<SendMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"
        "<SendMessageResult><MD5OfMessageBody>fafb00f5732ab283681e124bf8747ed1</MD5OfMessageBody>"
        "<MessageId>5fea7756-0ea4-451a-a703-a558b933e274</MessageId></SendMessageResult>"
        "<ResponseMetadata><RequestId>27daac76-34dd-47df-bd01-1f6e873584a0</RequestId>"
        "</ResponseMetadata></SendMessageResponse>",
        NULL);
    char *out = decode(&aslrtp_aws_query_codec, "sqs", "SendMessage", &r);
    ck_assert_str_eq(out, "{\"MD5OfMessageBody\":\"fafb00f5732ab283681e124bf8747ed1\","
                          "\"MessageId\":\"5fea7756-0ea4-451a-a703-a558b933e274\"}");
    free(out);
    aslrtp_aws_response_free(&r);
    /* A flattened map and list in a result: attributes and a number. */
    r = answer(200,
               "<GetQueueAttributesResponse><GetQueueAttributesResult>"
               "<Attribute><Name>VisibilityTimeout</Name><Value>30</Value></Attribute>"
               "<Attribute><Name>QueueArn</Name><Value>arn:aws:sqs:us-east-1:1:q</Value></Attribute>"
               "</GetQueueAttributesResult></GetQueueAttributesResponse>",
               NULL);
    out = decode(&aslrtp_aws_query_codec, "sqs", "GetQueueAttributes", &r);
    ck_assert_str_eq(out, "{\"Attributes\":{\"QueueArn\":\"arn:aws:sqs:us-east-1:1:q\","
                          "\"VisibilityTimeout\":\"30\"}}");
    free(out);
    aslrtp_aws_response_free(&r);
}
END_TEST

START_TEST(query_error_bodies)
{
    const aslrtp_aws_service *s = svc("sqs");
    aslrtp_aws_response r = answer(
        400,
        "<ErrorResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><Error>"
        "<Type>Sender</Type><Code>MissingParameter</Code>"
        "<Message>The request must contain the parameter MessageBody.</Message><Detail/>"
        "</Error><RequestId>b5bf2332-e983-5e86-a2e2-7d0f7d4d1ca1</RequestId></ErrorResponse>",
        NULL);
    aslrtp_aws_fault f = {0};
    aslrtp_aws_query_codec.fault(s, &r, &f);
    ck_assert_str_eq(f.code, "MissingParameter");
    ck_assert_str_eq(f.message, "The request must contain the parameter MessageBody.");
    ck_assert_str_eq(f.request_id, "b5bf2332-e983-5e86-a2e2-7d0f7d4d1ca1");
    aslrtp_aws_fault_free(&f);
    aslrtp_aws_response_free(&r);
    /* ec2's form. */
    r = answer(400,
               "<Response><Errors><Error><Code>InvalidInstanceID.Malformed</Code>"
               "<Message>Invalid id: \"i-1\"</Message></Errors>"
               "<RequestID>e2a4e4d0-1</RequestID></Response>",
               NULL);
    aslrtp_aws_query_codec.fault(svc("ec2"), &r, &f);
    /* Not well-formed (the Error is not closed): nothing is read. */
    ck_assert_ptr_null(f.code);
    ck_assert_ptr_nonnull(f.message);
    aslrtp_aws_fault_free(&f);
    aslrtp_aws_response_free(&r);
    r = answer(400,
               "<Response><Errors><Error><Code>InvalidInstanceID.Malformed</Code>"
               "<Message>Invalid id: \"i-1\"</Message></Error></Errors>"
               "<RequestID>e2a4e4d0-1</RequestID></Response>",
               NULL);
    aslrtp_aws_query_codec.fault(svc("ec2"), &r, &f);
    ck_assert_str_eq(f.code, "InvalidInstanceID.Malformed");
    ck_assert_str_eq(f.message, "Invalid id: \"i-1\"");
    ck_assert_str_eq(f.request_id, "e2a4e4d0-1");
    aslrtp_aws_fault_free(&f);
    aslrtp_aws_response_free(&r);
    /* The model's name of a queue error's code. */
    ck_assert_str_eq(aslrtp_aws_error_shape(s, "AWS.SimpleQueueService.NonExistentQueue"),
                     "QueueDoesNotExist");
}
END_TEST

/* ---- rest-xml (S3) ----------------------------------------------------------- */

START_TEST(s3_requests)
{
    aslrtp_aws_wire w;
    encode(&aslrtp_aws_rest_xml_codec, "s3", "GetObject",
           "{\"Bucket\": \"b1\", \"Key\": \"dir/a b+c.json\", \"Range\": \"bytes=0-9\"}", &w);
    ck_assert_str_eq(w.method, "GET");
    /* Path-style, the greedy key keeps its '/'; the template's x-id (when
     * the model has one) is the only query parameter. */
    ck_assert_ptr_nonnull(strstr(w.path, "/b1/dir/a%20b%2Bc.json"));
    ck_assert_str_eq(wire_header(&w, "Range"), "bytes=0-9");
    /* SHA-256 of the empty body. */
    ck_assert_str_eq(wire_header(&w, "x-amz-content-sha256"),
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    aslrtp_aws_wire_free(&w);

    /* The query string sorted by name as SigV4 canonicalizes it. */
    encode(&aslrtp_aws_rest_xml_codec, "s3", "ListObjectsV2",
           "{\"Bucket\": \"b1\", \"Prefix\": \"a/b c\", \"ContinuationToken\": \"t=1\","
           " \"MaxKeys\": 2}",
           &w);
    ck_assert_str_eq(w.path, "/b1?continuation-token=t%3D1&list-type=2&max-keys=2&prefix=a%2Fb%20c");
    aslrtp_aws_wire_free(&w);

    /* A blob payload: the text as it is, other JSON as its text. */
    encode(&aslrtp_aws_rest_xml_codec, "s3", "PutObject",
           "{\"Bucket\": \"b1\", \"Key\": \"k\", \"Body\": \"text data\","
           " \"Metadata\": {\"owner\": \"me\"}, \"ContentType\": \"text/plain\"}",
           &w);
    ck_assert_str_eq(w.method, "PUT");
    ck_assert_str_eq(w.body, "text data");
    ck_assert_str_eq(wire_header(&w, "x-amz-meta-owner"), "me");
    ck_assert_str_eq(wire_header(&w, "Content-Type"), "text/plain");
    ck_assert_str_eq(wire_header(&w, "x-amz-content-sha256"),
                     "aa33d9f1cf1ff89ae717178d1d6856db328b8ee140709b7abb1c763fee760c3d");
    aslrtp_aws_wire_free(&w);
    encode(&aslrtp_aws_rest_xml_codec, "s3", "PutObject",
           "{\"Bucket\": \"b1\", \"Key\": \"k\", \"Body\": {\"Dict\": \"Value\"}}", &w);
    ck_assert_str_eq(w.body, "{\"Dict\":\"Value\"}");
    ck_assert_str_eq(wire_header(&w, "Content-Type"), "binary/octet-stream");
    aslrtp_aws_wire_free(&w);

    /* A structure payload: XML in S3's namespace, with its Content-MD5. */
    encode(&aslrtp_aws_rest_xml_codec, "s3", "PutBucketTagging",
           "{\"Bucket\": \"b1\", \"Tagging\": {\"TagSet\": [{\"Key\": \"a&b\", \"Value\": \"<v>\"}]}}",
           &w);
    ck_assert_ptr_nonnull(strstr(w.path, "/b1?tagging="));
    ck_assert_ptr_nonnull(strstr(w.body, "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                                         "<TagSet><Tag><Key>a&amp;b</Key><Value>&lt;v&gt;</Value>"
                                         "</Tag></TagSet></Tagging>"));
    ck_assert_str_eq(wire_header(&w, "Content-Type"), "application/xml");
    ck_assert_ptr_nonnull(wire_header(&w, "Content-MD5"));
    aslrtp_aws_wire_free(&w);

    /* A missing path member is an error naming it. */
    const aslrtp_aws_service *s = svc("s3");
    json_t *p = json_pack("{s:s}", "Key", "k");
    aslrt_error err = {NULL, NULL};
    memset(&w, 0, sizeof w);
    ck_assert_int_eq(aslrtp_aws_rest_xml_codec.encode(s, op_of(s, "GetObject"), p, &w, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.cause, "Bucket"));
    aslrt_error_clear(&err);
    aslrtp_aws_wire_free(&w);
    json_decref(p);
}
END_TEST

static const char list_head[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>b1</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys>";
static const char object_a[] =
    "<Contents><Key>a.csv</Key><LastModified>2024-01-31T10:00:00.000Z</LastModified>"
    "<ETag>&quot;e34875f97b3d9d5a3081624253be7ef1&quot;</ETag><Size>15</Size>"
    "<StorageClass>STANDARD</StorageClass></Contents>";
static const char object_b[] =
    "<Contents><Key>b.csv</Key><LastModified>2024-01-31T10:00:01.250Z</LastModified>"
    "<ETag>&quot;0f&quot;</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>";

START_TEST(s3_list_one_and_two)
{
    char *body = aslrtp_strdupf("%s<KeyCount>1</KeyCount><IsTruncated>false</IsTruncated>%s"
                                "</ListBucketResult>",
                                list_head, object_a);
    aslrtp_aws_response r = answer(200, body, NULL);
    char *out = decode(&aslrtp_aws_rest_xml_codec, "s3", "ListObjectsV2", &r);
    /* One object is still a list; numbers and booleans are typed. */
    ck_assert_str_eq(out, "{\"Contents\":[{\"ETag\":\"\\\"e34875f97b3d9d5a3081624253be7ef1\\\"\","
                          "\"Key\":\"a.csv\",\"LastModified\":\"2024-01-31T10:00:00.000Z\","
                          "\"Size\":15,\"StorageClass\":\"STANDARD\"}],\"IsTruncated\":false,"
                          "\"KeyCount\":1,\"MaxKeys\":1000,\"Name\":\"b1\",\"Prefix\":\"\"}");
    free(out);
    free(body);
    aslrtp_aws_response_free(&r);
    body = aslrtp_strdupf("%s<KeyCount>2</KeyCount><IsTruncated>true</IsTruncated>"
                          "<NextContinuationToken>n1</NextContinuationToken>%s%s"
                          "</ListBucketResult>",
                          list_head, object_a, object_b);
    r = answer(200, body, NULL);
    const aslrtp_aws_service *s = svc("s3");
    json_t *o = NULL;
    aslrt_error err = {NULL, NULL};
    ck_assert(aslrtp_aws_rest_xml_codec.decode(s, op_of(s, "ListObjectsV2"), &r, &o, &err));
    ck_assert_uint_eq(json_array_size(json_object_get(o, "Contents")), 2);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(o, "Contents"), 1), "Key")),
                     "b.csv");
    ck_assert(json_is_true(json_object_get(o, "IsTruncated")));
    ck_assert_int_eq(json_integer_value(json_object_get(o, "KeyCount")), 2);
    ck_assert_str_eq(json_string_value(json_object_get(o, "NextContinuationToken")), "n1");
    json_decref(o);
    free(body);
    aslrtp_aws_response_free(&r);
}
END_TEST

START_TEST(s3_get_object_answer)
{
    static const char *const headers[] = {
        "Accept-Ranges", "bytes", "Content-Length", "11", "Content-Type", "binary/octet-stream",
        "ETag", "\"e1a49b59e0c42e4fd3735ad644f25d57\"",
        "Last-Modified", "Wed, 31 Jan 2024 10:00:00 GMT", "x-amz-meta-Owner", "me",
        "x-amz-server-side-encryption", "AES256", NULL};
    aslrtp_aws_response r = answer(200, "binary data", headers);
    char *out = decode(&aslrtp_aws_rest_xml_codec, "s3", "GetObject", &r);
    ck_assert_str_eq(out, "{\"AcceptRanges\":\"bytes\",\"Body\":\"binary data\","
                          "\"ContentLength\":11,\"ContentType\":\"binary/octet-stream\","
                          "\"ETag\":\"\\\"e1a49b59e0c42e4fd3735ad644f25d57\\\"\","
                          "\"LastModified\":\"Wed, 31 Jan 2024 10:00:00 GMT\","
                          "\"Metadata\":{\"Owner\":\"me\"},\"ServerSideEncryption\":\"AES256\"}");
    free(out);
    aslrtp_aws_response_free(&r);
    /* An answer whose root is the output's only member. */
    r = answer(200,
               "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
               "eu-west-1</LocationConstraint>",
               NULL);
    out = decode(&aslrtp_aws_rest_xml_codec, "s3", "GetBucketLocation", &r);
    ck_assert_str_eq(out, "{\"LocationConstraint\":\"eu-west-1\"}");
    free(out);
    aslrtp_aws_response_free(&r);
    /* Bytes that are not UTF-8 become U+FFFD; no metadata is {}. */
    r = answer(200, "a\xff" "b", NULL);
    out = decode(&aslrtp_aws_rest_xml_codec, "s3", "GetObject", &r);
    ck_assert_str_eq(out, "{\"Body\":\"a\xef\xbf\xbd" "b\",\"Metadata\":{}}");
    free(out);
    aslrtp_aws_response_free(&r);
}
END_TEST

START_TEST(s3_error_bodies)
{
    const aslrtp_aws_service *s = svc("s3");
    aslrtp_aws_response r = answer(
        404,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code>"
        "<Message>The specified bucket does not exist</Message><BucketName>nb</BucketName>"
        "<RequestId>4442587FB7D0A2F9</RequestId><HostId>h0st/id=</HostId></Error>",
        NULL);
    aslrtp_aws_fault f = {0};
    aslrtp_aws_rest_xml_codec.fault(s, &r, &f);
    ck_assert_str_eq(f.code, "NoSuchBucket");
    ck_assert_str_eq(f.message, "The specified bucket does not exist");
    ck_assert_str_eq(f.request_id, "4442587FB7D0A2F9");
    ck_assert_str_eq(f.extended_request_id, "h0st/id=");
    ck_assert_str_eq(aslrtp_aws_error_shape(s, f.code), "NoSuchBucket");
    aslrtp_aws_fault_free(&f);
    aslrtp_aws_response_free(&r);
    /* A HEAD's error has no body: named from its status, ids from headers. */
    static const char *const headers[] = {"x-amz-request-id", "R1", "x-amz-id-2", "I2", NULL};
    r = answer(404, "", headers);
    aslrtp_aws_rest_xml_codec.fault(s, &r, &f);
    ck_assert_str_eq(f.code, "NotFound");
    ck_assert_ptr_null(f.message);
    ck_assert_str_eq(f.request_id, "R1");
    ck_assert_str_eq(f.extended_request_id, "I2");
    aslrtp_aws_fault_free(&f);
    aslrtp_aws_response_free(&r);
}
END_TEST

/* ---- rest-json (Lambda) -------------------------------------------------------- */

START_TEST(rest_json_invoke)
{
    aslrtp_aws_wire w;
    encode(&aslrtp_aws_rest_json_codec, "lambda", "Invoke",
           "{\"FunctionName\": \"my fn\", \"InvocationType\": \"Event\","
           " \"Qualifier\": \"v1\", \"Payload\": {\"a\": 1}}",
           &w);
    ck_assert_str_eq(w.method, "POST");
    ck_assert_str_eq(w.path, "/2015-03-31/functions/my%20fn/invocations?Qualifier=v1");
    ck_assert_str_eq(wire_header(&w, "X-Amz-Invocation-Type"), "Event");
    ck_assert_str_eq(w.body, "{\"a\":1}");
    aslrtp_aws_wire_free(&w);
    /* Body members as one object. */
    encode(&aslrtp_aws_rest_json_codec, "lambda", "UpdateFunctionConfiguration",
           "{\"FunctionName\": \"f\", \"Timeout\": 30, \"Environment\": {\"Variables\": "
           "{\"A\": \"1\"}}}",
           &w);
    ck_assert_str_eq(w.method, "PUT");
    ck_assert_str_eq(w.path, "/2015-03-31/functions/f/configuration");
    ck_assert_str_eq(w.body, "{\"Timeout\":30,\"Environment\":{\"Variables\":{\"A\":\"1\"}}}");
    ck_assert_str_eq(wire_header(&w, "Content-Type"), "application/json");
    aslrtp_aws_wire_free(&w);

    static const char *const headers[] = {"X-Amz-Function-Error", "Unhandled",
                                          "X-Amz-Executed-Version", "$LATEST", NULL};
    aslrtp_aws_response r = answer(200, "{\"errorMessage\":\"boom\"}", headers);
    char *out = decode(&aslrtp_aws_rest_json_codec, "lambda", "Invoke", &r);
    ck_assert_str_eq(out, "{\"ExecutedVersion\":\"$LATEST\",\"FunctionError\":\"Unhandled\","
                          "\"Payload\":\"{\\\"errorMessage\\\":\\\"boom\\\"}\",\"StatusCode\":200}");
    free(out);
    aslrtp_aws_response_free(&r);

    static const char *const eh[] = {"x-amzn-ErrorType", "ResourceNotFoundException:http://x",
                                     NULL};
    r = answer(404, "{\"Type\":\"User\",\"message\":\"Function not found: f\"}", eh);
    aslrtp_aws_fault f = {0};
    aslrtp_aws_rest_json_codec.fault(svc("lambda"), &r, &f);
    ck_assert_str_eq(f.code, "ResourceNotFoundException");
    ck_assert_str_eq(f.message, "Function not found: f");
    aslrtp_aws_fault_free(&f);
    aslrtp_aws_response_free(&r);
}
END_TEST

/* ---- hostile XML --------------------------------------------------------------- */

/* The answer text is refused by the parser and by the codec. */
static void refused(const char *text, size_t len)
{
    const char *why = NULL;
    xmlDoc *d = aslrtp_xml_parse(text, len, &why);
    ck_assert_ptr_null(d);
    ck_assert_ptr_nonnull(why);
    aslrtp_aws_response r = {0};
    r.status = 200;
    r.body = aslrtp_memdup(text, len);
    r.body_len = len;
    r.headers = json_object();
    const aslrtp_aws_service *s = svc("sqs");
    json_t *out = NULL;
    aslrt_error err = {NULL, NULL};
    ck_assert_int_eq(aslrtp_aws_query_codec.decode(s, op_of(s, "SendMessage"), &r, &out, &err), 0);
    ck_assert_str_eq(err.error, "aslc.AwsBadAnswer");
    ck_assert_ptr_nonnull(strstr(err.cause, "SendMessage"));
    aslrt_error_clear(&err);
    /* An error answer of the same text names nothing and does not crash. */
    r.status = 400;
    aslrtp_aws_fault f = {0};
    aslrtp_aws_query_codec.fault(s, &r, &f);
    ck_assert_ptr_null(f.code);
    aslrtp_aws_fault_free(&f);
    aslrtp_aws_response_free(&r);
}

START_TEST(hostile_external_entity)
{
    char *path = aslrtp_strdupf("%s/secret.txt", scratch);
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs("TOP-SECRET", fp);
    fclose(fp);
    char *text = aslrtp_strdupf(
        "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file://%s\">]>"
        "<SendMessageResponse><SendMessageResult><MessageId>&x;</MessageId>"
        "</SendMessageResult></SendMessageResponse>",
        path);
    refused(text, strlen(text));
    free(text);
    /* Without a DTD an undeclared entity is not well-formed. */
    static const char undeclared[] =
        "<SendMessageResponse><SendMessageResult><MessageId>&x;</MessageId>"
        "</SendMessageResult></SendMessageResponse>";
    refused(undeclared, strlen(undeclared));
    free(path);
}
END_TEST

START_TEST(hostile_billion_laughs)
{
    aslrtp_buf b = {0};
    aslrtp_buf_adds(&b, "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
    for (int i = 1; i <= 9; i++) {
        aslrtp_buf_addf(&b, "<!ENTITY lol%d \"", i);
        for (int j = 0; j < 10; j++)
            aslrtp_buf_addf(&b, "&lol%s;", i == 1 ? "" : (char[2]){(char)('0' + i - 1), 0});
        aslrtp_buf_adds(&b, "\">");
    }
    aslrtp_buf_adds(&b, "]><SendMessageResponse><SendMessageResult><MessageId>&lol9;"
                        "</MessageId></SendMessageResult></SendMessageResponse>");
    refused(b.data, b.len);
    free(b.data);
}
END_TEST

START_TEST(hostile_deep_nesting)
{
    aslrtp_buf b = {0};
    for (int i = 0; i < 100000; i++)
        aslrtp_buf_adds(&b, "<a>");
    for (int i = 0; i < 100000; i++)
        aslrtp_buf_adds(&b, "</a>");
    refused(b.data, b.len);
    free(b.data);
}
END_TEST

START_TEST(hostile_huge_body)
{
    size_t n = ASLRTP_XML_LIMIT + 64;
    char *text = aslrtp_malloc(n + 1);
    memset(text, ' ', n);
    memcpy(text, "<SendMessageResponse>", 21);
    memcpy(text + n - 22, "</SendMessageResponse>", 22);
    text[n] = '\0';
    refused(text, n);
    free(text);
}
END_TEST

static Suite *aws_xml_suite(void)
{
    Suite *s = suite_create("aws_xml");
    TCase *q = tcase_create("query");
    tcase_add_test(q, query_send_message_form);
    tcase_add_test(q, query_lists_maps_and_scalars);
    tcase_add_test(q, query_ec2_form);
    tcase_add_test(q, query_wrong_type_is_an_error);
    tcase_add_test(q, query_send_message_answer);
    tcase_add_test(q, query_error_bodies);
    suite_add_tcase(s, q);
    TCase *x = tcase_create("rest_xml");
    tcase_add_test(x, s3_requests);
    tcase_add_test(x, s3_list_one_and_two);
    tcase_add_test(x, s3_get_object_answer);
    tcase_add_test(x, s3_error_bodies);
    suite_add_tcase(s, x);
    TCase *j = tcase_create("rest_json");
    tcase_add_test(j, rest_json_invoke);
    suite_add_tcase(s, j);
    TCase *h = tcase_create("hostile");
    tcase_add_test(h, hostile_external_entity);
    tcase_add_test(h, hostile_billion_laughs);
    tcase_add_test(h, hostile_deep_nesting);
    tcase_add_test(h, hostile_huge_body);
    suite_add_tcase(s, h);
    return s;
}

int main(void)
{
    if (scratch_create("check_aws_xml") != 0)
        return 99;
    int failed = run_suite(aws_xml_suite(), CK_NORMAL);
    scratch_remove();
    return failed ? 1 : 0;
}

/*
 * check_aws.c - the AWS services layer without a network: the service
 * table generated from botocore's models, where calls go and as whom
 * (endpoints, credentials, profiles), Step Functions' member names and
 * timestamps, error names and Causes, and the JSON protocols' requests and
 * error answers.  The calls themselves are tested against real servers
 * (tests/run-aws-*.sh).
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "aws/aws.h"

extern const aslrtp_aws_service aslrtp_aws_services[];
extern const size_t aslrtp_aws_nservices;

static const char *S(aslrtp_aws_str s)
{
    return aslrtp_aws_str_at(s);
}

/* Clears every variable that steers endpoints and credentials. */
static void clean_env(void)
{
    static const char *const vars[] = {
        "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SFN",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
        "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", NULL};
    for (const char *const *v = vars; *v; v++)
        unsetenv(*v);
    /* No file of the user's own may answer. */
    setenv("HOME", scratch, 1);
}

/* ---- The table ---------------------------------------------------------- */

START_TEST(test_table_names)
{
    const aslrtp_aws_service *s = aslrtp_aws_service_find("dynamodb");
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(S(s->client), "DynamoDb");
    ck_assert_str_eq(S(s->env_name), "DYNAMODB");
    ck_assert_str_eq(S(s->target_prefix), "DynamoDB_20120810");
    ck_assert_str_eq(S(s->json_version), "1.0");
    ck_assert_int_eq(s->protocol, ASLRTP_AWS_JSON);

    s = aslrtp_aws_service_find("sfn");
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(S(s->client), "Sfn");
    ck_assert_str_eq(S(s->endpoint_prefix), "states");
    ck_assert_str_eq(S(s->target_prefix), "AWSStepFunctions");

    s = aslrtp_aws_service_find("eventbridge");
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(S(s->endpoint_prefix), "events");
    ck_assert_str_eq(S(s->json_version), "1.1");

    s = aslrtp_aws_service_find("secretsmanager");
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(S(s->client), "SecretsManager");
    ck_assert_str_eq(S(s->env_name), "SECRETS_MANAGER");

    s = aslrtp_aws_service_find("cloudwatchlogs");
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(S(s->env_name), "CLOUDWATCH_LOGS");

    s = aslrtp_aws_service_find("s3");
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(s->protocol, ASLRTP_AWS_REST_XML);
    ck_assert_ptr_eq(aslrtp_aws_service_by_prefix("states"), aslrtp_aws_service_find("sfn"));
    ck_assert_ptr_null(aslrtp_aws_service_find("nosuchservice"));
    ck_assert_ptr_null(aslrtp_aws_service_find(NULL));
}
END_TEST

/* Every operation and every modeled error code of every service is found
 * by its name (the generator sorted what is searched). */
START_TEST(test_table_sorted)
{
    ck_assert_int_gt(aslrtp_aws_nservices, 300);
    size_t ops = 0;
    for (size_t i = 0; i < aslrtp_aws_nservices; i++) {
        const aslrtp_aws_service *s = &aslrtp_aws_services[i];
        ck_assert_ptr_eq(aslrtp_aws_service_find(S(s->sdk_name)), s);
        for (size_t k = 0; k < s->nops; k++, ops++)
            ck_assert_ptr_eq(aslrtp_aws_op_find(s, S(s->ops[k].name)), &s->ops[k]);
        /* (Two shapes may share a code: either is the code's.) */
        for (size_t k = 0; k < s->nerrors; k++)
            ck_assert_ptr_nonnull(aslrtp_aws_error_shape(s, S(s->errors[2 * k])));
    }
    ck_assert_int_gt(ops, 10000);
    const aslrtp_aws_service *sqs = aslrtp_aws_service_find("sqs");
    ck_assert_str_eq(aslrtp_aws_error_shape(sqs, "AWS.SimpleQueueService.NonExistentQueue"),
                     "QueueDoesNotExist");
    ck_assert_ptr_null(aslrtp_aws_error_shape(sqs, "MissingParameter"));
    ck_assert_ptr_null(aslrtp_aws_op_find(sqs, "sendMessage"));
    ck_assert_ptr_nonnull(aslrtp_aws_op_find(sqs, "SendMessage"));
}
END_TEST

/* ---- Where calls go ----------------------------------------------------- */

static aslrt_bindings *bindings_with(const char *text)
{
    char *path = write_file("bindings.json", text, 0600);
    aslrt_bindings *b = aslrt_bindings_create();
    aslrt_error err = {NULL, NULL};
    ck_assert_msg(aslrt_bindings_load_file(b, path, &err), "%s", err.cause);
    free(path);
    return b;
}

START_TEST(test_endpoint_order)
{
    clean_env();
    const aslrtp_aws_service *ddb = aslrtp_aws_service_find("dynamodb");
    const aslrtp_aws_service *sfn = aslrtp_aws_service_find("sfn");
    aslrt_config cfg;
    aslrt_config_init(&cfg);
    aslrtp_aws_target t;
    aslrt_error err = {NULL, NULL};
    setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);

    /* Nothing configured: no endpoint, no call. */
    ck_assert(!aslrtp_aws_has_endpoint(&cfg, ddb));
    ck_assert_int_eq(aslrtp_aws_target_resolve(&cfg, ddb, "us-east-1", &t, &err), 0);

    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566/", 1);
    ck_assert_int_eq(aslrtp_aws_target_resolve(&cfg, ddb, "eu-west-1", &t, &err), 1);
    ck_assert_str_eq(t.endpoint, "http://127.0.0.1:4566");
    ck_assert_str_eq(t.region, "eu-west-1");
    ck_assert_str_eq(t.access_key, "AKID");
    ck_assert_ptr_null(t.session_token);
    aslrtp_aws_target_free(&t);

    /* The service's own variable comes first. */
    setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://localhost:8000", 1);
    ck_assert_int_eq(aslrtp_aws_target_resolve(&cfg, ddb, "us-east-1", &t, &err), 1);
    ck_assert_str_eq(t.endpoint, "http://localhost:8000");
    aslrtp_aws_target_free(&t);
    ck_assert_int_eq(aslrtp_aws_target_resolve(&cfg, sfn, "us-east-1", &t, &err), 1);
    ck_assert_str_eq(t.endpoint, "http://127.0.0.1:4566");
    aslrtp_aws_target_free(&t);

    /* The bindings' Endpoints before every variable; "*" for the rest. */
    aslrt_bindings *b = bindings_with(
        "{\"Endpoints\": {\"dynamodb\": \"http://10.0.0.1:1\", \"*\": \"https://any.example\"}}");
    cfg.bindings = b;
    ck_assert_int_eq(aslrtp_aws_target_resolve(&cfg, ddb, "us-east-1", &t, &err), 1);
    ck_assert_str_eq(t.endpoint, "http://10.0.0.1:1");
    aslrtp_aws_target_free(&t);
    ck_assert_int_eq(aslrtp_aws_target_resolve(&cfg, sfn, "us-east-1", &t, &err), 1);
    ck_assert_str_eq(t.endpoint, "https://any.example");
    aslrtp_aws_target_free(&t);
    cfg.bindings = NULL;
    aslrt_bindings_destroy(b);

    /* The SDKs' switch turns the variables off. */
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
    ck_assert(!aslrtp_aws_has_endpoint(&cfg, ddb));
    /* --aws: AWS's own endpoint for the region. */
    cfg.aws = 1;
    ck_assert_int_eq(aslrtp_aws_target_resolve(&cfg, sfn, "eu-central-1", &t, &err), 1);
    ck_assert_str_eq(t.endpoint, "https://states.eu-central-1.amazonaws.com");
    aslrtp_aws_target_free(&t);
    clean_env();
}
END_TEST

START_TEST(test_bad_endpoints)
{
    clean_env();
    char *path = write_file("bad.json", "{\"Endpoints\": {\"dynamodb\": \"ftp://x\"}}", 0600);
    aslrt_bindings *b = aslrt_bindings_create();
    aslrt_error err = {NULL, NULL};
    ck_assert(!aslrt_bindings_load_file(b, path, &err));
    ck_assert_str_eq(err.error, "aslc.BindingsError");
    ck_assert_ptr_nonnull(strstr(err.cause, "/Endpoints/dynamodb: expected an http:// or "
                                            "https:// URL"));
    aslrt_error_clear(&err);
    free(path);
    path = write_file("bad2.json", "{\"Endpoints\": [\"http://x\"]}", 0600);
    ck_assert(!aslrt_bindings_load_file(b, path, &err));
    ck_assert_ptr_nonnull(strstr(err.cause, "/Endpoints: expected an object"));
    aslrt_error_clear(&err);
    free(path);
    aslrt_bindings_destroy(b);

    /* A variable that holds no URL is the Task's error, not a crash. */
    const aslrtp_aws_service *ddb = aslrtp_aws_service_find("dynamodb");
    aslrt_config cfg;
    aslrt_config_init(&cfg);
    setenv("AWS_ENDPOINT_URL_DYNAMODB", "localhost:8000", 1);
    aslrtp_aws_target t;
    ck_assert_int_eq(aslrtp_aws_target_resolve(&cfg, ddb, "us-east-1", &t, &err), -1);
    ck_assert_str_eq(err.error, "aslc.AwsConfigError");
    aslrt_error_clear(&err);
    clean_env();
}
END_TEST

START_TEST(test_credentials)
{
    clean_env();
    const aslrtp_aws_service *ddb = aslrtp_aws_service_find("dynamodb");
    aslrt_config cfg;
    aslrt_config_init(&cfg);
    aslrtp_aws_target t;
    aslrt_error err = {NULL, NULL};
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9", 1);

    /* None anywhere: the Task's error names the ways to give them. */
    ck_assert_int_eq(aslrtp_aws_target_resolve(&cfg, ddb, "us-east-1", &t, &err), -1);
    ck_assert_str_eq(err.error, "aslc.AwsCredentialsError");
    ck_assert_ptr_nonnull(strstr(err.cause, "AWS_ACCESS_KEY_ID"));
    ck_assert_ptr_nonnull(strstr(err.cause, "profile 'default'"));
    aslrt_error_clear(&err);

    /* ~/.aws/credentials: the default profile, then a named one. */
    free(write_file(".aws/credentials", "# comment\n[default]\naws_access_key_id = DEF\n"
                                        "aws_secret_access_key=defsecret\n\n[dev]\n"
                                        "aws_access_key_id = DEV\naws_secret_access_key = "
                                        "devsecret\naws_session_token = tok\n", 0600));
    ck_assert_int_eq(aslrtp_aws_target_resolve(&cfg, ddb, "us-east-1", &t, &err), 1);
    ck_assert_str_eq(t.access_key, "DEF");
    ck_assert_str_eq(t.secret_key, "defsecret");
    aslrtp_aws_target_free(&t);
    setenv("AWS_PROFILE", "dev", 1);
    ck_assert_int_eq(aslrtp_aws_target_resolve(&cfg, ddb, "us-east-1", &t, &err), 1);
    ck_assert_str_eq(t.access_key, "DEV");
    ck_assert_str_eq(t.session_token, "tok");
    aslrtp_aws_target_free(&t);

    /* --profile over AWS_PROFILE; ~/.aws/config's [profile NAME]. */
    free(write_file(".aws/config", "[profile ci]\naws_access_key_id = CI\n"
                                   "aws_secret_access_key = cisecret\n"
                                   "endpoint_url = http://127.0.0.1:7\n", 0600));
    cfg.profile = "ci";
    unsetenv("AWS_ENDPOINT_URL");
    ck_assert(aslrtp_aws_has_endpoint(&cfg, ddb));
    ck_assert_int_eq(aslrtp_aws_target_resolve(&cfg, ddb, "us-east-1", &t, &err), 1);
    ck_assert_str_eq(t.access_key, "CI");
    ck_assert_str_eq(t.endpoint, "http://127.0.0.1:7");
    aslrtp_aws_target_free(&t);

    /* The environment's keys come before every file. */
    setenv("AWS_ACCESS_KEY_ID", "ENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    ck_assert_int_eq(aslrtp_aws_target_resolve(&cfg, ddb, "us-east-1", &t, &err), 1);
    ck_assert_str_eq(t.access_key, "ENV");
    aslrtp_aws_target_free(&t);
    clean_env();
}
END_TEST

/* ---- Names, timestamps, errors ------------------------------------------ */

START_TEST(test_member_names)
{
    const aslrtp_aws_service *sfn = aslrtp_aws_service_find("sfn");
    const aslrtp_aws_op *op = aslrtp_aws_op_find(sfn, "StartExecution");
    ck_assert_ptr_nonnull(op);
    json_t *in = json_pack("{s:s,s:s,s:s,s:i}", "StateMachineArn", "arn:x", "Input", "{}",
                           "name", "n1", "Unknown", 1);
    json_t *m = aslrtp_aws_to_model(sfn, op->input, in);
    char *text = aslrt_json_dumps(m);
    ck_assert_str_eq(text,
                     "{\"stateMachineArn\":\"arn:x\",\"input\":\"{}\",\"name\":\"n1\","
                     "\"Unknown\":1}");
    free(text);
    json_decref(m);
    json_decref(in);

    json_t *wire = json_pack("{s:s,s:f}", "executionArn", "arn:e", "startDate", 1700000000.25);
    json_t *out = aslrtp_aws_from_model(sfn, op->output, wire);
    text = aslrt_json_dumps(out);
    ck_assert_str_eq(text, "{\"ExecutionArn\":\"arn:e\",\"StartDate\":\"2023-11-14T22:13:20.250Z\"}");
    free(text);
    json_decref(out);
    json_decref(wire);

    /* Map keys stay: a DynamoDB item's attribute names. */
    const aslrtp_aws_service *ddb = aslrtp_aws_service_find("dynamodb");
    op = aslrtp_aws_op_find(ddb, "GetItem");
    wire = json_pack("{s:{s:{s:s},s:{s:[{s:s}]}}}", "Item", "id", "S", "a", "tags", "L", "S",
                     "x");
    out = aslrtp_aws_from_model(ddb, op->output, wire);
    text = aslrt_json_dumps(out);
    ck_assert_str_eq(text, "{\"Item\":{\"id\":{\"S\":\"a\"},\"tags\":{\"L\":[{\"S\":\"x\"}]}}}");
    free(text);
    json_decref(out);
    json_decref(wire);

    /* Whole seconds print without a fraction; text timestamps are read. */
    const aslrtp_aws_service *s3 = aslrtp_aws_service_find("s3");
    op = aslrtp_aws_op_find(s3, "HeadObject");
    wire = json_pack("{s:s}", "LastModified", "Wed, 21 Oct 2015 07:28:00 GMT");
    out = aslrtp_aws_from_model(s3, op->output, wire);
    ck_assert_str_eq(json_string_value(json_object_get(out, "LastModified")),
                     "2015-10-21T07:28:00Z");
    json_decref(out);
    json_decref(wire);
}
END_TEST

START_TEST(test_error_names)
{
    const aslrtp_aws_service *ddb = aslrtp_aws_service_find("dynamodb");
    aslrtp_aws_fault f = {.code = "ResourceNotFoundException",
                          .message = "Requested resource not found", .request_id = "RID"};
    aslrt_error err = {NULL, NULL};
    aslrtp_aws_name_fault(ddb, NULL, 400, &f, &err);
    ck_assert_str_eq(err.error, "DynamoDb.ResourceNotFoundException");
    ck_assert_str_eq(err.cause, "Requested resource not found (Service: DynamoDb, Status Code: "
                                "400, Request ID: RID) (SDK Attempt Count: 1)");
    aslrt_error_clear(&err);

    /* Unmodeled: the client's base exception. */
    f.code = "ValidationException";
    aslrtp_aws_name_fault(ddb, NULL, 400, &f, &err);
    ck_assert_str_eq(err.error, "DynamoDb.DynamoDbException");
    aslrt_error_clear(&err);

    /* The optimized integration: the SDK for Java 1's names. */
    aslrtp_aws_errstyle v1 = {"DynamoDB", "AmazonDynamoDBv2", "AmazonDynamoDBException"};
    aslrtp_aws_name_fault(ddb, &v1, 400, &f, &err);
    ck_assert_str_eq(err.error, "DynamoDB.AmazonDynamoDBException");
    ck_assert_str_eq(err.cause, "Requested resource not found (Service: AmazonDynamoDBv2; "
                                "Status Code: 400; Error Code: ValidationException; Request ID: "
                                "RID; Proxy: null)");
    aslrt_error_clear(&err);
    f.code = "ConditionalCheckFailedException";
    aslrtp_aws_name_fault(ddb, &v1, 400, &f, &err);
    ck_assert_str_eq(err.error, "DynamoDB.ConditionalCheckFailedException");
    aslrt_error_clear(&err);

    /* "Exception" added to a shape without it; S3's extended id. */
    const aslrtp_aws_service *s3 = aslrtp_aws_service_find("s3");
    aslrtp_aws_fault g = {.code = "NoSuchBucket", .message = "The specified bucket does not exist",
                          .request_id = "R1", .extended_request_id = "X2"};
    aslrtp_aws_name_fault(s3, NULL, 404, &g, &err);
    ck_assert_str_eq(err.error, "S3.NoSuchBucketException");
    ck_assert_str_eq(err.cause, "The specified bucket does not exist (Service: S3, Status Code: "
                                "404, Request ID: R1, Extended Request ID: X2) (SDK Attempt "
                                "Count: 1)");
    aslrt_error_clear(&err);

    /* SQS names its modeled errors by a code unlike the shape's name. */
    const aslrtp_aws_service *sqs = aslrtp_aws_service_find("sqs");
    aslrtp_aws_fault q = {.code = "AWS.SimpleQueueService.NonExistentQueue", .message = "m"};
    aslrtp_aws_errstyle sv1 = {"SQS", "AmazonSQS", "AmazonSQSException"};
    aslrtp_aws_name_fault(sqs, &sv1, 400, &q, &err);
    ck_assert_str_eq(err.error, "SQS.QueueDoesNotExistException");
    ck_assert_ptr_nonnull(strstr(err.cause, "Request ID: null; Proxy: null)"));
    aslrt_error_clear(&err);
}
END_TEST

/* ---- The JSON protocols ------------------------------------------------- */

START_TEST(test_json_codec)
{
    const aslrtp_aws_service *ddb = aslrtp_aws_service_find("dynamodb");
    const aslrtp_aws_op *op = aslrtp_aws_op_find(ddb, "PutItem");
    aslrtp_aws_wire w = {0};
    aslrt_error err = {NULL, NULL};
    json_t *p = json_pack("{s:s}", "TableName", "Orders");
    ck_assert(aslrtp_aws_json_codec.encode(ddb, op, p, &w, &err));
    ck_assert_str_eq(w.method, "POST");
    ck_assert_str_eq(w.path, "/");
    ck_assert_str_eq(w.headers[0], "Content-Type: application/x-amz-json-1.0");
    ck_assert_str_eq(w.headers[1], "X-Amz-Target: DynamoDB_20120810.PutItem");
    ck_assert_ptr_null(w.headers[2]);
    ck_assert_str_eq(w.body, "{\"TableName\":\"Orders\"}");
    aslrtp_aws_wire_free(&w);
    json_decref(p);

    /* Errors: __type after its namespace, or the header (before ':'). */
    aslrtp_aws_response r = {.status = 400,
                             .body = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
                                     "ResourceNotFoundException\",\"message\":\"gone\"}",
                             .headers = json_object()};
    r.body_len = strlen(r.body);
    aslrtp_aws_fault f = {0};
    aslrtp_aws_json_codec.fault(ddb, &r, &f);
    ck_assert_str_eq(f.code, "ResourceNotFoundException");
    ck_assert_str_eq(f.message, "gone");
    aslrtp_aws_fault_free(&f);
    json_object_set_new(r.headers, "x-amzn-ErrorType",
                        json_string("ThrottlingException:http://internal.amazon.com/"));
    r.body = "{\"Message\":\"slow down\"}";
    r.body_len = strlen(r.body);
    aslrtp_aws_json_codec.fault(ddb, &r, &f);
    ck_assert_str_eq(f.code, "ThrottlingException");
    ck_assert_str_eq(f.message, "slow down");
    aslrtp_aws_fault_free(&f);
    /* A body that is not JSON is quoted, not trusted. */
    r.body = "<html>bad gateway</html>";
    r.body_len = strlen(r.body);
    aslrtp_aws_json_codec.fault(ddb, &r, &f);
    ck_assert_str_eq(f.message, "<html>bad gateway</html>");
    aslrtp_aws_fault_free(&f);
    json_decref(r.headers);

    /* A 2xx answer that is not JSON fails the Task with its place. */
    aslrtp_aws_response ok = {.status = 200, .body = "{\"a\":", .body_len = 5};
    json_t *out = NULL;
    ck_assert(!aslrtp_aws_json_codec.decode(ddb, op, &ok, &out, &err));
    ck_assert_str_eq(err.error, "aslc.AwsBadAnswer");
    aslrt_error_clear(&err);
    ok.body = "";
    ok.body_len = 0;
    ck_assert(aslrtp_aws_json_codec.decode(ddb, op, &ok, &out, &err));
    ck_assert(json_is_object(out) && json_object_size(out) == 0);
    json_decref(out);
}
END_TEST

int main(void)
{
    if (scratch_create("check_aws") != 0)
        return EXIT_FAILURE;
    Suite *s = suite_create("aws");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, test_table_names);
    tcase_add_test(tc, test_table_sorted);
    suite_add_tcase(s, tc);
    tc = tcase_create("config");
    tcase_add_test(tc, test_endpoint_order);
    tcase_add_test(tc, test_bad_endpoints);
    tcase_add_test(tc, test_credentials);
    suite_add_tcase(s, tc);
    tc = tcase_create("protocol");
    tcase_add_test(tc, test_member_names);
    tcase_add_test(tc, test_error_names);
    tcase_add_test(tc, test_json_codec);
    suite_add_tcase(s, tc);
    int failed = run_suite(s, CK_NORMAL);
    scratch_remove();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

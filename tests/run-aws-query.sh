#!/bin/bash
# run-aws-query.sh - the query protocol and S3 listings end to end against
# tests/aws-xml/sigv4_server.py, a small fake of SQS, SNS and S3 that
# recomputes every request's SigV4 signature as AWS does: the optimized
# sqs:sendMessage and sns:publish (results with SdkHttpMetadata, errors named
# and worded as Step Functions' SDK for Java 1 does: SQS.AmazonSQSException
# for MissingParameter, SNS.InvalidParameterException), the aws-sdk form
# (Sqs.QueueDoesNotExistException), a message given as JSON sent as its
# text, both query languages, wrong credentials, and the distributed Map's
# ItemReader listing S3 over two pages (a continuation token that needs
# encoding, in a signed query string).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/cli/lib.sh"

if [ "$have_python" = no ]; then
    echo "run-aws-query.sh: no python3, skipped"
    exit 77
fi

exec 3> >(exec "$PYTHON3" "$top_srcdir/tests/aws-xml/sigv4_server.py" --port-file "$tmp/port" \
    --log "$tmp/log" 2>"$tmp/server.err")
server_pid=$!
trap 'exec 3>&-; kill "$server_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do
    [ -s "$tmp/port" ] && break
    sleep 0.1
done
if [ ! -s "$tmp/port" ]; then
    echo "run-aws-query.sh: the test server did not start" >&2
    exit 99
fi
port=$(cat "$tmp/port")

unset AWS_PROFILE AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
export AWS_ENDPOINT_URL=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=SECRETEXAMPLE
q=https://sqs.us-east-1.amazonaws.com/123456789012

# check DESC RC PYTHON: the last run exited RC and PYTHON holds, given the
# output as out and the server's log of requests as log.
check() {
    local desc=$1 want=$2 code=$3
    expect "$desc" eval '[ "$rc" = "$want" ] && "$PYTHON3" -c "import json, re, sys
out = json.loads(sys.argv[1])
log = [json.loads(l) for l in open(sys.argv[2])] if sys.argv[2] else []
$code" "$out" "$tmp/log"'
}
: >"$tmp/log"

cat >"$tmp/sqs.asl.json" <<'EOF'
{"StartAt": "Send", "States": {
 "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
   "Parameters": {"QueueUrl.$": "$.queue", "MessageBody.$": "$.body",
     "MessageAttributes": {"my_attribute": {"DataType": "String", "StringValue": "Hello"}}},
   "Catch": [{"ErrorEquals": ["SQS.AmazonSQSException"], "Next": "Caught"}], "End": true},
 "Caught": {"Type": "Pass", "End": true}}}
EOF
run "$aslc" run "$tmp/sqs.asl.json" --input "{\"queue\": \"$q/queue1\", \"body\": {\"a\": 1}}"
check "sqs:sendMessage: MD5OfMessageBody, MessageId and the SDK's HTTP metadata; an object body sent as its JSON text" 0 "
import hashlib
assert set(out) == {'MD5OfMessageBody', 'MessageId', 'SdkHttpMetadata', 'SdkResponseMetadata'}, out
assert out['MD5OfMessageBody'] == hashlib.md5(b'{\"a\":1}').hexdigest(), out
m = out['SdkHttpMetadata']
assert m['HttpStatusCode'] == 200 and m['HttpHeaders']['Content-Type'] == 'text/xml', m
assert m['AllHttpHeaders']['Content-Type'] == ['text/xml'], m
assert out['SdkResponseMetadata']['RequestId'] == m['HttpHeaders']['x-amzn-RequestId'], out
form = log[-1]['form']
assert form['Action'] == 'SendMessage' and form['Version'] == '2012-11-05', form
assert form['MessageBody'] == '{\"a\":1}', form
assert form['MessageAttribute.1.Name'] == 'my_attribute', form
assert form['MessageAttribute.1.Value.DataType'] == 'String', form"

run "$aslc" run "$tmp/sqs.asl.json" --input "{\"queue\": \"$q/queue1\", \"body\": null}"
check "sqs:sendMessage without a body: SQS.AmazonSQSException, worded as the SDK for Java 1" 0 "
assert out['Error'] == 'SQS.AmazonSQSException', out
assert re.match(r'The request must contain the parameter MessageBody\. \(Service: AmazonSQS; Status Code: 400; Error Code: MissingParameter; Request ID: [0-9a-f-]{36}; Proxy: null\)$', out['Cause']), out"

run "$aslc" run "$tmp/sqs.asl.json" --input "{\"queue\": \"$q/nope\", \"body\": \"x\"}"
check "a queue that does not exist: the modeled SQS.QueueDoesNotExistException" 1 "
assert out['Error'] == 'SQS.QueueDoesNotExistException', out
assert 'Error Code: AWS.SimpleQueueService.NonExistentQueue;' in out['Cause'], out"

cat >"$tmp/sdk.asl.json" <<'EOF'
{"QueryLanguage": "JSONata", "StartAt": "Send", "States": {
 "Send": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:sendMessage",
   "Arguments": {"QueueUrl": "{% $states.input.queue %}", "MessageBody": "{% $states.input.body %}"},
   "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $states.errorOutput %}", "Next": "Caught"}],
   "End": true},
 "Caught": {"Type": "Pass", "End": true}}}
EOF
run "$aslc" run "$tmp/sdk.asl.json" --input "{\"queue\": \"$q/queue1\", \"body\": \"text\"}"
check "JSONata, aws-sdk:sqs:sendMessage: the output alone" 0 "
import hashlib
assert set(out) == {'MD5OfMessageBody', 'MessageId'}, out
assert out['MD5OfMessageBody'] == hashlib.md5(b'text').hexdigest()"
run "$aslc" run "$tmp/sdk.asl.json" --input "{\"queue\": \"$q/nope\", \"body\": \"text\"}"
check "aws-sdk:sqs: errors named as the SDK for Java 2 names them" 0 "
assert out['Error'] == 'Sqs.QueueDoesNotExistException', out
assert re.match(r'The specified queue does not exist for this wsdl version\. \(Service: Sqs, Status Code: 400, Request ID: [0-9a-f-]{36}\) \(SDK Attempt Count: 1\)$', out['Cause']), out"

cat >"$tmp/sns.asl.json" <<'EOF'
{"StartAt": "Publish", "States": {
 "Publish": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
   "Parameters": {"TopicArn.$": "$.topic", "Message.$": "$.message",
     "MessageAttributes": {"Version": {"DataType": "String", "StringValue": "v1"}}}, "End": true}}}
EOF
run "$aslc" run "$tmp/sns.asl.json" \
    --input '{"topic": "arn:aws:sns:us-east-1:123456789012:topic1", "message": {"message": "string-literal"}}'
check "sns:publish: MessageId and the SDK's HTTP metadata; the message object sent as its JSON text" 0 "
assert set(out) == {'MessageId', 'SdkHttpMetadata', 'SdkResponseMetadata'}, out
form = log[-1]['form']
assert form['Message'] == '{\"message\":\"string-literal\"}', form
assert form['MessageAttributes.entry.1.Name'] == 'Version', form
assert form['MessageAttributes.entry.1.Value.StringValue'] == 'v1', form"
run "$aslc" run "$tmp/sns.asl.json" \
    --input '{"topic": "arn:aws:sns:us-east-1:123456789012:topic1.fifo", "message": "m"}'
check "sns:publish to a FIFO topic without MessageGroupId: SNS.InvalidParameterException" 1 "
assert out['Error'] == 'SNS.InvalidParameterException', out
assert re.match(r'Invalid parameter: The MessageGroupId parameter is required for FIFO topics \(Service: AmazonSNS; Status Code: 400; Error Code: InvalidParameter; Request ID: [0-9a-f-]{36}; Proxy: null\)$', out['Cause']), out"

AWS_SECRET_ACCESS_KEY=wrong run "$aslc" run "$tmp/sns.asl.json" \
    --input '{"topic": "arn:aws:sns:us-east-1:123456789012:topic1", "message": "m"}'
check "a wrong secret: the signature does not match (403)" 1 "
assert out['Error'] == 'SNS.AmazonSNSException', out
assert 'Status Code: 403; Error Code: SignatureDoesNotMatch;' in out['Cause'], out"

cat >"$tmp/key.asl.json" <<'EOF'
{"StartAt": "Get", "States": {"Get": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
   "Parameters": {"Bucket": "bucket1", "Key": "dir/a b+c~é.json"}, "End": true}}}
EOF
run "$aslc" run "$tmp/key.asl.json" --input '{}'
check "S3: a key that needs encoding is signed as S3 wants (path encoded once); S3's error with its HostId" 1 "
assert out == {'Error': 'S3.NoSuchKeyException', 'Cause': 'The specified key does not exist. (Service: S3, Status Code: 404, Request ID: R1, Extended Request ID: H1) (SDK Attempt Count: 1)'}, out
assert log[-1]['path'] == '/bucket1/dir/a%20b%2Bc~%C3%A9.json', log[-1]"

cat >"$tmp/map.asl.json" <<'EOF'
{"StartAt": "Listed", "States": {"Listed": {"Type": "Map",
   "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2",
     "ReaderConfig": {"InputType": "JSON", "Transformation": "LOAD_AND_FLATTEN"},
     "Parameters": {"Bucket": "bucket1", "Prefix": "items/"}},
   "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
     "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}}
EOF
run "$aslc" run "$tmp/map.asl.json" --input '{}'
check "ItemReader listObjectsV2 over two signed pages (the token encoded), each object read" 0 "
assert out == [1, 2, 3], out
pages = [e for e in log if e['service'] == 's3' and 'list-type' in e['query']]
assert len(pages) == 2 and pages[1]['query']['continuation-token'] == 'page 2/+=', pages
assert pages[0]['query']['prefix'] == 'items/', pages"

finish

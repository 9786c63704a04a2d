#!/bin/bash
# run-aws-servers.sh - the AWS-compatible servers that the service tests
# run against (tests/services/aws/servers.sh: dynalite, s3rver and our
# SQS, SNS and EventBridge protocol servers), checked with the AWS clients
# as they are: the AWS CLI and boto3 (tests/services/aws/check_sdk.py) send
# their requests and must get the answers, errors and checksums AWS gives.
# Node, the npm packages, the AWS CLI or botocore missing fail the test
# with what to install, rather than skipping it.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/cli/lib.sh"
servers=$top_srcdir/tests/services/aws/servers.sh

missing() {
    echo "run-aws-servers.sh: $1 is not installed: tools/install-deps.sh installs it" >&2
    exit 1
}
command -v aws >/dev/null 2>&1 || missing "the AWS CLI (aws)"
"$PYTHON3" -c 'import boto3' 2>/dev/null || missing "boto3 for $PYTHON3"

# The servers stop with the test, however it ends.
srv=$tmp/servers
trap 'bash "$servers" stop "$srv"; rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bash "$servers" start "$srv" || exit 1
set -a
. "$srv/env"
set +a
# Nothing of the user's AWS configuration, and no proxy, takes part.
export AWS_CONFIG_FILE=$tmp/no-config AWS_SHARED_CREDENTIALS_FILE=$tmp/no-credentials
export AWS_PAGER= AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_MAX_ATTEMPTS AWS_RETRY_MODE
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
echo "$(aws --version 2>&1)"

# cli SERVICE ARGS...: the AWS CLI against SERVICE's server (the endpoint
# named explicitly: older CLIs do not read AWS_ENDPOINT_URL_*).
cli() {
    local var
    case $1 in
        dynamodb) var=$AWS_ENDPOINT_URL_DYNAMODB ;;
        s3api) var=$AWS_ENDPOINT_URL_S3 ;;
        sqs) var=$AWS_ENDPOINT_URL_SQS ;;
        sns) var=$AWS_ENDPOINT_URL_SNS ;;
        events) var=$AWS_ENDPOINT_URL_EVENTBRIDGE ;;
    esac
    run aws --endpoint-url "$var" --output json "$@"
}

# q EXPR: EXPR, in Python, of the last command's JSON output `v`.
q() {
    "$PYTHON3" -c 'import json, sys; v = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' \
        "$out" "$1" 2>/dev/null
}

# test_get URL: the body of a test-only GET endpoint.
test_get() {
    "$PYTHON3" -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())' "$1"
}

# throttle URL N: the server at URL throttles its next N calls.
throttle() {
    "$PYTHON3" -c 'import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_aslc/throttle?count=" + sys.argv[2], b"", method="POST")).read()' "$1" "$2"
}

failed_with() {
    [ "$rc" != 0 ] && stderr_has "$1"
}

# ---- DynamoDB (dynalite) ---------------------------------------------------
cli dynamodb create-table --table-name orders --billing-mode PAY_PER_REQUEST \
    --attribute-definitions AttributeName=id,AttributeType=S \
    --key-schema AttributeName=id,KeyType=HASH
expect "DynamoDB create-table" eval '[ "$rc" = 0 ] && [ "$(q "v[\"TableDescription\"][\"TableName\"]")" = orders ]'
run aws --endpoint-url "$AWS_ENDPOINT_URL_DYNAMODB" dynamodb wait table-exists --table-name orders
cli dynamodb put-item --table-name orders --item '{"id":{"S":"o-1"},"total":{"N":"42"}}'
expect "DynamoDB put-item" eval '[ "$rc" = 0 ]'
cli dynamodb get-item --table-name orders --key '{"id":{"S":"o-1"}}'
expect "DynamoDB get-item returns the item" \
    eval '[ "$rc" = 0 ] && [ "$(q "v[\"Item\"]")" = "{'"'"'id'"'"': {'"'"'S'"'"': '"'"'o-1'"'"'}, '"'"'total'"'"': {'"'"'N'"'"': '"'"'42'"'"'}}" ]'
cli dynamodb put-item --table-name orders --item '{"id":{"S":"o-1"}}' \
    --condition-expression 'attribute_not_exists(id)'
expect "DynamoDB conditional put on an existing item: ConditionalCheckFailedException" \
    failed_with 'ConditionalCheckFailedException.*The conditional request failed'
cli dynamodb get-item --table-name missing --key '{"id":{"S":"o-1"}}'
expect "DynamoDB get-item on a missing table: ResourceNotFoundException" \
    failed_with 'ResourceNotFoundException.*Requested resource not found'

# ---- S3 (s3rver) -----------------------------------------------------------
cli s3api create-bucket --bucket aslc-bucket
expect "S3 create-bucket" eval '[ "$rc" = 0 ]'
printf 'hello, S3\n' >"$tmp/object.txt"
cli s3api put-object --bucket aslc-bucket --key in/object.txt --body "$tmp/object.txt"
expect "S3 put-object returns the ETag (the MD5 of the object)" \
    eval '[ "$rc" = 0 ] && [ "$(q "v[\"ETag\"]")" = "\"$(md5sum <"$tmp/object.txt" | cut -d" " -f1)\"" ]'
cli s3api get-object --bucket aslc-bucket --key in/object.txt "$tmp/got.txt"
expect "S3 get-object returns the bytes put" \
    eval '[ "$rc" = 0 ] && cmp -s "$tmp/object.txt" "$tmp/got.txt" && [ "$(q "v[\"ContentLength\"]")" = 10 ]'
cli s3api list-objects-v2 --no-paginate --bucket aslc-bucket --prefix in/
expect "S3 list-objects-v2 lists the key" \
    eval '[ "$rc" = 0 ] && [ "$(q "[o[\"Key\"] for o in v[\"Contents\"]]")" = "['"'"'in/object.txt'"'"']" ] && [ "$(q "v[\"KeyCount\"]")" = 1 ]'
cli s3api get-object --bucket aslc-bucket --key missing "$tmp/none"
expect "S3 get-object of a missing key: NoSuchKey" failed_with 'NoSuchKey'

# ---- SQS (sqs_server.py) ---------------------------------------------------
cli sqs create-queue --queue-name jobs --attributes VisibilityTimeout=60
queue=$(q 'v["QueueUrl"]')
expect "SQS create-queue gives the queue's URL" \
    eval '[ "$rc" = 0 ] && [ "$queue" = "$AWS_ENDPOINT_URL_SQS/123456789012/jobs" ]'
cli sqs get-queue-url --queue-name jobs
expect "SQS get-queue-url" eval '[ "$rc" = 0 ] && [ "$(q "v[\"QueueUrl\"]")" = "$queue" ]'
attrs='{"n":{"DataType":"Number","StringValue":"42"},"s":{"DataType":"String","StringValue":"x"}}'
cli sqs send-message --queue-url "$queue" --message-body 'hello' --message-attributes "$attrs"
sent=$out
attrs_md5=$("$PYTHON3" -c '
import hashlib, json, struct, sys
h = hashlib.md5()
attrs = json.loads(sys.argv[1])
for name in sorted(attrs):
    for part in (name, attrs[name]["DataType"]):
        h.update(struct.pack(">I", len(part.encode())) + part.encode())
    v = attrs[name]["StringValue"].encode()
    h.update(b"\x01" + struct.pack(">I", len(v)) + v)
print(h.hexdigest())' "$attrs")
expect "SQS send-message: MD5OfMessageBody is the body's MD5" \
    eval '[ "$rc" = 0 ] && [ "$(q "v[\"MD5OfMessageBody\"]")" = "$(printf hello | md5sum | cut -d" " -f1)" ]'
expect "SQS send-message: MD5OfMessageAttributes as the SQS documentation computes it" \
    eval '[ "$(q "v[\"MD5OfMessageAttributes\"]")" = "$attrs_md5" ]'
cli sqs receive-message --queue-url "$queue" --message-attribute-names All --attribute-names All
received=$out
expect "SQS receive-message: the message sent, its attributes and MD5s" \
    eval '[ "$rc" = 0 ] && [ "$(q "v[\"Messages\"][0][\"Body\"], v[\"Messages\"][0][\"MD5OfMessageAttributes\"], sorted(v[\"Messages\"][0][\"MessageAttributes\"])")" = "('"'"'hello'"'"', '"'"'$attrs_md5'"'"', ['"'"'n'"'"', '"'"'s'"'"'])" ]'
out=$received
handle=$(q 'v["Messages"][0]["ReceiptHandle"]')
cli sqs delete-message --queue-url "$queue" --receipt-handle "$handle"
expect "SQS delete-message" eval '[ "$rc" = 0 ]'
cli sqs get-queue-attributes --queue-url "$queue" --attribute-names ApproximateNumberOfMessages ApproximateNumberOfMessagesNotVisible QueueArn
expect "SQS get-queue-attributes: the queue is empty, its ARN" \
    eval '[ "$rc" = 0 ] && [ "$(q "v[\"Attributes\"]")" = "{'"'"'ApproximateNumberOfMessages'"'"': '"'"'0'"'"', '"'"'ApproximateNumberOfMessagesNotVisible'"'"': '"'"'0'"'"', '"'"'QueueArn'"'"': '"'"'arn:aws:sqs:us-east-1:123456789012:jobs'"'"'}" ]'
cli sqs list-queues
expect "SQS list-queues" eval '[ "$rc" = 0 ] && [ "$(q "v[\"QueueUrls\"]")" = "['"'"'$queue'"'"']" ]'
cli sqs send-message --queue-url "$queue" --message-body ''
expect "SQS send-message with an empty body: MissingParameter, AWS's message" \
    failed_with 'MissingParameter.*The request must contain the parameter MessageBody\.'
cli sqs send-message --queue-url "${queue}-missing" --message-body 'x'
expect "SQS send-message to a missing queue: AWS.SimpleQueueService.NonExistentQueue" \
    failed_with 'AWS\.SimpleQueueService\.NonExistentQueue'
cli sqs purge-queue --queue-url "$queue"
expect "SQS purge-queue" eval '[ "$rc" = 0 ]'
cli sqs delete-queue --queue-url "$queue"
cli sqs get-queue-url --queue-name jobs
expect "SQS delete-queue: the queue is gone" failed_with 'NonExistentQueue'

# ---- SNS (sns_server.py) ---------------------------------------------------
cli sns create-topic --name alerts
topic=$(q 'v["TopicArn"]')
expect "SNS create-topic" eval '[ "$rc" = 0 ] && [ "$topic" = arn:aws:sns:us-east-1:123456789012:alerts ]'
cli sns publish --topic-arn "$topic" --message 'disk full' \
    --message-attributes '{"level":{"DataType":"String","StringValue":"high"}}'
expect "SNS publish returns a MessageId" eval '[ "$rc" = 0 ] && [ -n "$(q "v[\"MessageId\"]")" ]'
published=$(test_get "$AWS_ENDPOINT_URL_SNS/_aslc/messages")
expect "SNS: the server received the message and its attributes" \
    eval '[ "$("$PYTHON3" -c "import json,sys; m = json.loads(sys.argv[1])[0]; print(m[\"Message\"], m[\"MessageAttributes\"][\"level\"][\"StringValue\"])" "$published")" = "disk full high" ]'
cli sns create-topic --name alerts.fifo --attributes FifoTopic=true
fifo=$(q 'v["TopicArn"]')
cli sns publish --topic-arn "$fifo" --message 'x'
expect "SNS publish to a FIFO topic without MessageGroupId: InvalidParameter, AWS's message" \
    failed_with 'InvalidParameter.*Invalid parameter: The MessageGroupId parameter is required for FIFO topics'
cli sns publish --topic-arn "$fifo" --message 'x' --message-group-id g --message-deduplication-id d
expect "SNS publish to a FIFO topic: MessageId and SequenceNumber" \
    eval '[ "$rc" = 0 ] && [ "$(q "len(v[\"SequenceNumber\"])")" = 20 ]'
cli sns publish --topic-arn arn:aws:sns:us-east-1:123456789012:missing --message 'x'
expect "SNS publish to a missing topic: NotFound" failed_with 'NotFound.*Topic does not exist'
cli sns list-topics
expect "SNS list-topics" eval '[ "$rc" = 0 ] && [ "$(q "sorted(t[\"TopicArn\"] for t in v[\"Topics\"])")" = "['"'"'$topic'"'"', '"'"'$fifo'"'"']" ]'

# ---- EventBridge (events_server.py) ----------------------------------------
cli events put-events --entries '[{"Source":"aslc.test","DetailType":"order","Detail":"{\"id\":\"o-1\"}"},{"Source":"aslc.test","DetailType":"order","Detail":"\"text\""},{"DetailType":"order","Detail":"{}"}]'
expect "EventBridge put-events: one accepted, a malformed Detail and a missing Source failed per entry" \
    eval '[ "$rc" = 0 ] && [ "$(q "v[\"FailedEntryCount\"], [e.get(\"ErrorCode\") for e in v[\"Entries\"]], v[\"Entries\"][2][\"ErrorMessage\"]")" = "(2, [None, '"'"'MalformedDetail'"'"', '"'"'InvalidArgument'"'"'], '"'"'Parameter Source is not valid. Reason: Source is a required argument.'"'"')" ]'
event_id=$(q 'v["Entries"][0]["EventId"]')
got=$(test_get "$AWS_ENDPOINT_URL_EVENTBRIDGE/_aslc/events")
expect "EventBridge: the accepted event reads back as EventBridge delivers it" \
    eval '[ "$("$PYTHON3" -c "import json,sys; e = json.loads(sys.argv[1]); print(len(e), e[0][\"id\"], e[0][\"source\"], e[0][\"detail-type\"], e[0][\"detail\"], e[0][\"event-bus-name\"])" "$got")" = "1 $event_id aslc.test order {'"'"'id'"'"': '"'"'o-1'"'"'} default" ]'
cli events create-event-bus --name orders
expect "EventBridge create-event-bus" eval '[ "$rc" = 0 ] && [ "$(q "v[\"EventBusArn\"]")" = arn:aws:events:us-east-1:123456789012:event-bus/orders ]'
cli events list-event-buses
expect "EventBridge list-event-buses" eval '[ "$rc" = 0 ] && [ "$(q "[b[\"Name\"] for b in v[\"EventBuses\"]]")" = "['"'"'default'"'"', '"'"'orders'"'"']" ]'
cli events put-events --entries '[{"Source":"s","DetailType":"t","Detail":"{}","EventBusName":"missing"}]'
expect "EventBridge put-events to a missing bus: ResourceNotFoundException" \
    failed_with 'ResourceNotFoundException.*Event bus missing does not exist\.'

# ---- credentials and throttling (more of both in check_sdk.py) -------------
cli sqs --no-sign-request list-queues
expect "SQS: a request without credentials is refused (MissingAuthenticationToken)" \
    failed_with 'MissingAuthenticationToken\b'
AWS_ACCESS_KEY_ID=AKIDWRONG cli events list-event-buses
expect "EventBridge: a request signed with an unknown key id is refused (UnrecognizedClientException)" \
    failed_with 'UnrecognizedClientException.*The security token included in the request is invalid\.'
throttle "$AWS_ENDPOINT_URL_SQS" 1
AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard cli sqs list-queues
expect "SQS throttled, no retry: RequestThrottled" failed_with 'RequestThrottled'
throttle "$AWS_ENDPOINT_URL_EVENTBRIDGE" 2
before=$(test_get "$AWS_ENDPOINT_URL_EVENTBRIDGE/_aslc/requests" | "$PYTHON3" -c 'import json,sys; print(len(json.load(sys.stdin)))')
AWS_MAX_ATTEMPTS=3 AWS_RETRY_MODE=standard cli events list-event-buses
after=$(test_get "$AWS_ENDPOINT_URL_EVENTBRIDGE/_aslc/requests" | "$PYTHON3" -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect "EventBridge throttled twice: the CLI's retries succeed on the third call" \
    eval '[ "$rc" = 0 ] && [ $((after - before)) = 3 ]'

# ---- boto3 ---------------------------------------------------------------------
# check_sdk.py prints one "pass: ..." or "FAIL: ..." line per check.
"$PYTHON3" "$top_srcdir/tests/services/aws/check_sdk.py" >"$tmp/sdk" 2>&1
sdk_rc=$?
cat "$tmp/sdk"
npass=$((npass + $(grep -c '^pass: ' "$tmp/sdk")))
nfail=$((nfail + $(grep -c '^FAIL: ' "$tmp/sdk")))
expect "boto3: check_sdk.py ran to its end" eval 'grep -q "^done: " "$tmp/sdk" && { [ "$sdk_rc" = 0 ] || grep -q "^FAIL: " "$tmp/sdk"; }'

# ---- the harness itself -------------------------------------------------------
# running_in DIR: the command lines of the processes that name DIR (every
# server does: its port file is there).
running_in() {
    commands_naming "$1/"
}
expect "servers.sh start: the five servers are running" eval '[ "$(running_in "$srv" | wc -l)" = 5 ]'
run bash "$servers" stop "$srv"
expect "servers.sh stop: no server left running" \
    eval '[ "$rc" = 0 ] && [ -z "$(running_in "$srv")" ] && [ ! -e "$srv/env" ]'
# A server that cannot start: start fails naming it, and stops the others.
NODE=false run bash "$servers" start "$tmp/bad"
expect "servers.sh start: a server that exits at once fails the start, the others are stopped" \
    eval '[ "$rc" = 1 ] && stderr_has "the (dynamodb|s3) server exited" && [ -z "$(running_in "$tmp/bad")" ] && [ ! -e "$tmp/bad/env" ]'

finish

#!/bin/bash
# run-aws-services.sh - workflows that call AWS services, run by aslc
# against the AWS-compatible servers of tests/services/aws (dynalite for
# DynamoDB, our protocol servers for SQS, SNS and EventBridge), in both
# query languages (tests/aws-services/jsonpath and jsonata hold the same
# workflows):
#
#   - DynamoDB's optimized putItem, updateItem, getItem, deleteItem and
#     aws-sdk getItem, query, describeTable: results compared with
#     tests/aws-services/expected/*.json, everything but the values that
#     vary (request ids, dates, lengths: tests/aws-services/normalize.py);
#   - errors caught by their names: a conditional-check failure, a missing
#     table, wrong credentials, an endpoint that does not answer (a closed
#     port; a late answer and the Task's TimeoutSeconds), throttled calls
#     retried by a Retry (the history shows the retries);
#   - SQS sendMessage (the message received back with the AWS CLI), its
#     .waitForTaskToken completed by aslc send-task-success with the token
#     the message carries, SNS publish, EventBridge putEvents and its
#     EventBridge.FailedEntry;
#   - endpoints from the bindings' "Endpoints", credentials from a
#     --profile in a scratch HOME;
#   - examples/aws-services/orders.asl.json, run twice.
#
# Several workflows also run as programs made by aslc build.  Node, the npm
# servers, the AWS CLI or botocore missing, or a server that does not
# start, fail the test: it never skips.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/cli/lib.sh"
servers=$top_srcdir/tests/services/aws/servers.sh
data=$top_srcdir/tests/aws-services

command -v aws >/dev/null 2>&1 || {
    echo "run-aws-services.sh: the AWS CLI (aws) is not installed: tools/install-deps.sh installs it" >&2
    exit 1
}

# The servers stop with the test, however it ends.
srv=$tmp/servers
trap 'bash "$servers" stop "$srv"; rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bash "$servers" start "$srv" || {
    echo "run-aws-services.sh: the servers did not start" >&2
    exit 1
}
set -a
. "$srv/env"
set +a
# Nothing of the user's AWS configuration, and no proxy, takes part.
export AWS_CONFIG_FILE=$tmp/no-config AWS_SHARED_CREDENTIALS_FILE=$tmp/no-credentials
export AWS_PAGER= AWS_EC2_METADATA_DISABLED=true
unset AWS_ENDPOINT_URL AWS_PROFILE AWS_SESSION_TOKEN AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY

# cli SERVICE ARGS...: the AWS CLI against SERVICE's server, its JSON in $out.
cli() {
    local url
    case $1 in
        dynamodb) url=$AWS_ENDPOINT_URL_DYNAMODB ;;
        sqs) url=$AWS_ENDPOINT_URL_SQS ;;
        sns) url=$AWS_ENDPOINT_URL_SNS ;;
    esac
    run aws --endpoint-url "$url" --output json "$@"
}

# py CODE ARGS...: runs the Python CODE with json, re and sys imported and
# ARGS in sys.argv[1:]; succeeds when CODE does not raise.
py() {
    local code=$1
    shift
    "$PYTHON3" -c "import json, re, sys
$code" "$@"
}

# q EXPR: EXPR, in Python, of the last command's JSON output v.
q() {
    py 'v = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$out" "$1" 2>/dev/null
}

# check DESC CODE: the last run exited 0 and the Python CODE, given its
# output as the JSON value out, holds (it asserts).
check() {
    check_code="out = json.loads(sys.argv[1])
$2"
    expect "$1" eval '[ "$rc" = 0 ] && py "$check_code" "$out"'
}

# normalized [KEY...]: the last output through normalize.py, without the
# top-level KEYs.
normalized() {
    printf '%s' "$out" | "$PYTHON3" "$data/normalize.py" "$@"
}

# same_as NAME [KEY...]: the last output, normalized without KEYs, is
# tests/aws-services/expected/NAME.json; if not, the difference goes to
# the log.
same_as() {
    local name=$1
    shift
    normalized "$@" | "$PYTHON3" -m json.tool --indent 1 --sort-keys >"$tmp/got.json"
    "$PYTHON3" -m json.tool --indent 1 --sort-keys "$data/expected/$name.json" >"$tmp/want.json"
    diff -u "$tmp/want.json" "$tmp/got.json" >"$tmp/diff" && return 0
    sed 's/^/  /' "$tmp/diff"
    return 1
}

# test_post URL: a test-only POST endpoint of a Python server.
test_post() {
    py 'import urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1], b"", method="POST")).read()' "$1"
}

# test_get URL: prints the body of a test-only GET endpoint.
test_get() {
    py 'import urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())' "$1"
}

# free_port: a port on 127.0.0.1 that nothing listens on.
free_port() {
    py 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wf LANG NAME: the definition of workflow NAME in LANG.
wf() {
    echo "$data/$1/$2.asl.json"
}

# ---- What the workflows need ------------------------------------------------
account=${ASLC_TEST_ACCOUNT:-123456789012}
cli dynamodb create-table --table-name aslc_items --billing-mode PAY_PER_REQUEST \
    --attribute-definitions AttributeName=id,AttributeType=S \
    --key-schema AttributeName=id,KeyType=HASH
expect "setup: the DynamoDB table" eval '[ "$rc" = 0 ]'
# CreateTable answers before the table is ACTIVE; DynamoDB clients wait.
cli dynamodb wait table-exists --table-name aslc_items
expect "setup: the DynamoDB table is ACTIVE" eval '[ "$rc" = 0 ]'
cli sns create-topic --name aslc-orders
topic=$(q 'v["TopicArn"]')
expect "setup: the SNS topic" eval '[ "$rc" = 0 ] && [ "$topic" = "arn:aws:sns:us-east-1:$account:aslc-orders" ]'
cli sqs create-queue --queue-name aslc-jobs
queue=$(q 'v["QueueUrl"]')
expect "setup: the SQS queue" eval '[ "$rc" = 0 ] && [ -n "$queue" ]'

# new_queue NAME: creates the SQS queue NAME and prints its URL.
new_queue() {
    aws --endpoint-url "$AWS_ENDPOINT_URL_SQS" --output text sqs create-queue \
        --queue-name "$1" --query QueueUrl
}

# receive QUEUE: the AWS CLI's ReceiveMessage of QUEUE (all attributes), in $out.
receive() {
    cli sqs receive-message --queue-url "$1" --max-number-of-messages 10 \
        --message-attribute-names All --wait-time-seconds 1
}

late=0
for lang in jsonpath jsonata; do
    echo "---- $lang"
    input=$(py 'print(json.dumps({"table": "aslc_items", "id": "k1",
                     "missing": "aslc_no_such_table", "queue": sys.argv[2], "topic": sys.argv[3],
                     "order": "o-7"}))' "$lang" "$queue" "$topic")
    inkeys="table id missing queue topic order"

    # ---- DynamoDB: results, with aslc run and a built program ---------------
    run "$aslc" run "$(wf $lang dynamodb)" --input "$input"
    expect "$lang: DynamoDB putItem, updateItem, getItem, deleteItem, aws-sdk getItem, query, describeTable" \
        eval '[ "$rc" = 0 ] && same_as dynamodb $inkeys'
    check "$lang: describeTable's CreationDateTime is ISO 8601 text in UTC" '
assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$", out["sdkDescribe"]["CreationDateTime"])
assert out["put"]["SdkResponseMetadata"]["RequestId"] == out["put"]["SdkHttpMetadata"]["HttpHeaders"]["x-amzn-RequestId"]'
    run "$aslc" build "$(wf $lang dynamodb)" -o "$tmp/dynamodb-$lang"
    expect "$lang: aslc build of the DynamoDB workflow" eval '[ "$rc" = 0 ]'
    run "$tmp/dynamodb-$lang" --input "$input"
    expect "$lang: the built DynamoDB workflow gives the same results" \
        eval '[ "$rc" = 0 ] && same_as dynamodb $inkeys'

    # ---- DynamoDB's errors, caught by their names --------------------------
    run "$aslc" run "$(wf $lang errors)" --input "$input"
    expect "$lang: ConditionalCheckFailedException, ResourceNotFoundException (optimized and aws-sdk) caught" \
        eval '[ "$rc" = 0 ] && same_as errors $inkeys'
    run "$aslc" build "$(wf $lang errors)" -o "$tmp/errors-$lang"
    run "$tmp/errors-$lang" --input "$input"
    expect "$lang: the same errors from a built program" eval '[ "$rc" = 0 ] && same_as errors $inkeys'

    # ---- Wrong credentials -------------------------------------------------
    AWS_ACCESS_KEY_ID=AKIDUNKNOWN run "$aslc" run "$(wf $lang credentials)" --input "$input"
    expect "$lang: an unknown access key: each service's error and Cause" \
        eval '[ "$rc" = 0 ] && same_as credentials $inkeys'

    # ---- An endpoint that does not answer ----------------------------------
    closed=http://127.0.0.1:$(free_port)
    AWS_ENDPOINT_URL_DYNAMODB=$closed run "$aslc" run "$(wf $lang unreachable)" --input "$input"
    check "$lang: a closed port: DynamoDB.SdkClientException, DynamoDb.SdkClientException" '
for k in ("dynamodb", "dynamodbSdk"):
    assert out[k]["Error"] == {"dynamodb": "DynamoDB", "dynamodbSdk": "DynamoDb"}[k] + ".SdkClientException", out[k]
    assert out[k]["Cause"].startswith("Unable to execute HTTP request: "), out[k]
assert "unexpected" not in out'
    test_post "$AWS_ENDPOINT_URL_SQS/_aslc/delay?count=1&seconds=4"
    run "$aslc" run "$(wf $lang timeout)" --input "$input"
    expect "$lang: an answer later than the Task's TimeoutSeconds: States.Timeout" \
        eval '[ "$rc" = 1 ] && output_is "{\"Error\": \"States.Timeout\"}"'
    # The server handles the late call after its delay; it must be done
    # before the next calls (a throttle must not count it).
    late=$((late + 1))
    for _ in $(seq 300); do
        [ "$(test_get "$AWS_ENDPOINT_URL_SQS/_aslc/requests" |
            py 'print(sum(c["params"].get("MessageBody") == "late" for c in json.load(sys.stdin)))')" \
            -ge "$late" ] && break
        sleep 0.1
    done

    # ---- Throttled calls retried -------------------------------------------
    for url in "$AWS_ENDPOINT_URL_SQS" "$AWS_ENDPOINT_URL_SNS" "$AWS_ENDPOINT_URL_EVENTBRIDGE"; do
        test_post "$url/_aslc/throttle?count=2"
    done
    run "$aslc" run "$(wf $lang throttle)" --input "$input" --history "$tmp/history.json"
    check "$lang: throttled SQS, SNS and EventBridge calls retried until they succeed" '
assert out["sqs"] == {"md5": "a7ed4b1e36eb3952422cc2f840674f45", "status": 200}, out
assert out["sns"] == {"status": 200} and out["eventbridge"] == {"failed": 0}, out'
    expect "$lang: the history shows two throttled attempts, then the call that succeeded, per service" \
        py '
events = json.load(open(sys.argv[1]))["events"]
seen = {}
for e in events:
    d = e.get("taskFailedEventDetails") or e.get("taskSucceededEventDetails")
    if d:
        seen.setdefault(d["resourceType"], []).append((e["type"], d.get("error"), d.get("cause", "")))
want = {"sqs": ("SQS.AmazonSQSException", "Error Code: RequestThrottled;"),
        "sns": ("SNS.ThrottledException", "Error Code: Throttled;"),
        "events": ("EventBridge.AmazonEventBridgeException", "Error Code: ThrottlingException;")}
assert sorted(seen) == sorted(want), seen
for k, (name, code) in want.items():
    got = seen[k]
    assert [t for t, _, _ in got] == ["TaskFailed", "TaskFailed", "TaskSucceeded"], got
    for t, err, cause in got[:2]:
        assert err == name and code in cause and cause.startswith("Rate exceeded (Service: "), (err, cause)
' "$tmp/history.json"

    # ---- SQS, SNS and EventBridge ------------------------------------------
    q1=$(new_queue "aslc-messages-$lang")
    minput=$(py 'v = json.loads(sys.argv[1]); v["queue"] = sys.argv[2]; print(json.dumps(v))' "$input" "$q1")
    run "$aslc" run "$(wf $lang messaging)" --input "$minput"
    expect "$lang: SQS sendMessage, SNS publish, EventBridge putEvents results" \
        eval '[ "$rc" = 0 ] && same_as messaging $inkeys'
    result=$out
    receive "$q1"
    expect "$lang: the message is in the queue, as sendMessage said" py '
r = json.loads(sys.argv[1]); m = json.loads(sys.argv[2])["Messages"]
assert len(m) == 1, m
m = m[0]
assert m["Body"] == json.dumps({"order": "o-7", "quantity": 2}, separators=(",", ":")), m
assert m["MessageId"] == r["sqs"]["MessageId"] and m["MD5OfBody"] == r["sqs"]["MD5OfMessageBody"], m
assert m["MessageAttributes"] == {"kind": {"DataType": "String", "StringValue": "order"}}, m
' "$result" "$out" "$lang"
    expect "$lang: SNS received the message published" py '
r = json.loads(sys.argv[1]); msgs = json.loads(sys.argv[2])
m = [x for x in msgs if x["MessageId"] == r["sns"]["MessageId"]]
assert len(m) == 1 and m[0]["Message"] == "{\"order\":\"o-7\"}" and m[0]["Subject"] == "order", msgs
assert m[0]["TopicArn"] == r["topic"]
' "$result" "$(test_get "$AWS_ENDPOINT_URL_SNS/_aslc/messages")" "$lang"
    expect "$lang: EventBridge accepted both events, as the target gets them" py '
r = json.loads(sys.argv[1]); events = json.loads(sys.argv[2])
ids = [e["EventId"] for e in r["eventbridge"]["Entries"]]
got = {e["id"]: e for e in events}
a, b = got[ids[0]], got[ids[1]]
assert a["source"] == "aslc.orders" and a["detail-type"] == "OrderPlaced" and a["detail"] == {"order": "o-7"}, a
assert b["detail-type"] == "OrderText" and b["detail"] == {"text": True}, b
assert a["event-bus-name"] == b["event-bus-name"] == "default"
' "$result" "$(test_get "$AWS_ENDPOINT_URL_EVENTBRIDGE/_aslc/events")" "$lang"
    run "$aslc" build "$(wf $lang messaging)" -o "$tmp/messaging-$lang"
    run "$tmp/messaging-$lang" --input "$minput"
    expect "$lang: the built messaging workflow gives the same results" \
        eval '[ "$rc" = 0 ] && same_as messaging $inkeys'
    receive "$q1"
    expect "$lang: and its message is in the queue" eval '[ "$rc" = 0 ] && [ "$(q "len(v[\"Messages\"])")" = 1 ]'

    run "$aslc" run "$(wf $lang malformed-detail)" --input "$input"
    expect "$lang: putEvents with a malformed Detail: EventBridge.FailedEntry, the result as its Cause" \
        eval '[ "$rc" = 1 ] && same_as malformed-detail'

    # ---- sendMessage.waitForTaskToken --------------------------------------
    q2=$(new_queue "aslc-callback-$lang")
    cinput=$(py 'v = json.loads(sys.argv[1]); print(json.dumps({"queue": sys.argv[2], "order": v["order"]}))' \
        "$input" "$q2")
    timeout "${ASLC_TEST_TIMEOUT:-120}" "$aslc" run "$(wf $lang callback)" --input "$cinput" \
        --history "$tmp/cb-history.json" >"$tmp/cb.out" 2>"$tmp/cb.err" &
    cb=$!
    token=
    for _ in $(seq 60); do
        receive "$q2"
        token=$(q 'json.loads(v["Messages"][0]["Body"])["token"]')
        received=$out
        [ -n "$token" ] && break
        kill -0 "$cb" 2>/dev/null || break
    done
    expect "$lang: the message sendMessage.waitForTaskToken sent carries the task token" \
        eval '[ -n "$token" ] && [ "$(q "json.loads(v[\"Messages\"][0][\"Body\"])[\"order\"]")" = "o-7" ]'
    # Without a token nobody can complete the task: stop the execution.
    [ -n "$token" ] || kill "$cb" 2>/dev/null
    run "$aslc" send-task-success --task-token "$token" --task-output '{"shipped": true}'
    expect "$lang: send-task-success with the token from the message" eval '[ "$rc" = 0 ]'
    wait "$cb"
    rc=$?
    out=$(cat "$tmp/cb.out")
    cp "$tmp/cb.err" "$tmp/err"
    expect "$lang: the waiting Task's result is the output sent" \
        eval '[ "$rc" = 0 ] && output_is "{\"queue\": \"$q2\", \"order\": \"o-7\", \"answer\": {\"shipped\": true}}"'
    expect "$lang: the history: TaskSubmitted holds sendMessage's result, TaskSucceeded the output sent" py '
events = json.load(open(sys.argv[1]))["events"]
m = json.loads(sys.argv[2])["Messages"][0]
types = [e["type"] for e in events]
assert types[types.index("TaskStarted"):][:3] == ["TaskStarted", "TaskSubmitted", "TaskSucceeded"], types
sub = events[types.index("TaskSubmitted")]["taskSubmittedEventDetails"]
assert sub["resourceType"] == "sqs" and sub["resource"] == "sendMessage.waitForTaskToken", sub
res = json.loads(sub["output"])
assert res["MessageId"] == m["MessageId"] and res["MD5OfMessageBody"] == m["MD5OfBody"], res
assert res["SdkHttpMetadata"]["HttpStatusCode"] == 200, res
ok = events[types.index("TaskSucceeded")]["taskSucceededEventDetails"]
assert json.loads(ok["output"]) == {"shipped": True}, ok
' "$tmp/cb-history.json" "$received"
done

# ---- Endpoints from the bindings file -------------------------------------
input='{"table": "aslc_items", "id": "k1", "missing": "aslc_no_such_table"}'
printf '{"Endpoints": {"dynamodb": "%s"}}\n' "$AWS_ENDPOINT_URL_DYNAMODB" >"$tmp/endpoints.json"
printf '{"Endpoints": {"*": "%s"}}\n' "$AWS_ENDPOINT_URL_DYNAMODB" >"$tmp/endpoints-any.json"
run env -u AWS_ENDPOINT_URL_DYNAMODB "$aslc" run "$(wf jsonpath dynamodb)" --input "$input"
expect "bindings: without an endpoint the Task is unbound and says how to bind it" \
    eval '[ "$rc" = 1 ] && error_is aslc.UnboundResource && grep -q Endpoints "$tmp/out"'
run env -u AWS_ENDPOINT_URL_DYNAMODB "$aslc" run "$(wf jsonpath dynamodb)" --input "$input" \
    --bindings "$tmp/endpoints.json"
expect "bindings: \"Endpoints\" by the service's name" eval '[ "$rc" = 0 ] && same_as dynamodb table id missing'
run env -u AWS_ENDPOINT_URL_DYNAMODB "$aslc" run "$(wf jsonata dynamodb)" --input "$input" \
    --bindings "$tmp/endpoints-any.json"
expect "bindings: \"Endpoints\" by \"*\" (JSONata)" eval '[ "$rc" = 0 ] && same_as dynamodb table id missing'
AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$(free_port) run "$tmp/errors-jsonata" --input "$input" \
    --bindings "$tmp/endpoints.json"
expect "bindings: \"Endpoints\" come before AWS_ENDPOINT_URL_DYNAMODB (a built program)" \
    eval '[ "$rc" = 0 ] && same_as errors table id missing'

# ---- Credentials from a profile -------------------------------------------
home=$tmp/home
mkdir -p "$home/.aws"
cat >"$home/.aws/credentials" <<EOF
[aslc-test]
aws_access_key_id = $AWS_ACCESS_KEY_ID
aws_secret_access_key = $AWS_SECRET_ACCESS_KEY

[aslc-wrong]
aws_access_key_id = AKIDUNKNOWN
aws_secret_access_key = nothing
EOF
noenv="env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SHARED_CREDENTIALS_FILE -u AWS_CONFIG_FILE HOME=$home"
run $noenv "$aslc" run "$(wf jsonpath dynamodb)" --input "$input" --profile aslc-test
expect "profile: --profile reads ~/.aws/credentials" eval '[ "$rc" = 0 ] && same_as dynamodb table id missing'
run $noenv AWS_PROFILE=aslc-test "$tmp/dynamodb-jsonata" --input "$input"
expect "profile: AWS_PROFILE, in a built program" eval '[ "$rc" = 0 ] && same_as dynamodb table id missing'
run $noenv "$tmp/dynamodb-jsonpath" --input "$input" --profile aslc-wrong
expect "profile: the profile's key is the one sent (an unknown one is refused)" \
    eval '[ "$rc" = 1 ] && error_is DynamoDB.AmazonDynamoDBException && grep -q UnrecognizedClientException "$tmp/out"'
run $noenv "$aslc" run "$(wf jsonpath dynamodb)" --input "$input"
expect "profile: no credentials at all: the Task fails saying where they are looked for" \
    eval '[ "$rc" = 1 ] && error_is aslc.AwsCredentialsError && grep -q "credentials" "$tmp/out"'

# ---- The example: examples/aws-services ------------------------------------
example=$top_srcdir/examples/aws-services/orders.asl.json
cli dynamodb create-table --table-name Orders --billing-mode PAY_PER_REQUEST \
    --attribute-definitions AttributeName=id,AttributeType=S \
    --key-schema AttributeName=id,KeyType=HASH
expect "example: the Orders table" eval '[ "$rc" = 0 ]'
# CreateTable answers before the table is ACTIVE; DynamoDB clients wait.
cli dynamodb wait table-exists --table-name Orders
expect "example: the Orders table is ACTIVE" eval '[ "$rc" = 0 ]'
shipping=$(new_queue shipping)
input=$(py 'print(json.dumps({"order_id": "ORD-1001", "item": "book", "quantity": 2, "queue_url": sys.argv[1]}))' \
    "$shipping")
run "$aslc" run "$example" --input "$input"
expect "example: the first run records and queues the order" eval '[ "$rc" = 0 ] && output_is "{\"status\": \"QUEUED\"}"'
run "$aslc" run "$example" --input "$input"
expect "example: the second run finds it recorded" \
    eval '[ "$rc" = 0 ] && output_is "{\"status\": \"QUEUED\", \"duplicate\": true}"'
receive "$shipping"
messages=$out
cli dynamodb get-item --table-name Orders --key '{"id": {"S": "ORD-1001"}}'
expect "example: one message queued, the item QUEUED with its message id" py '
m = json.loads(sys.argv[1])["Messages"]; item = json.loads(sys.argv[2])["Item"]
assert len(m) == 1 and json.loads(m[0]["Body"]) == {"order_id": "ORD-1001", "item": "book", "quantity": 2}, m
assert item == {"id": {"S": "ORD-1001"}, "item": {"S": "book"}, "quantity": {"N": "2"},
                "status": {"S": "QUEUED"}, "message_id": {"S": m[0]["MessageId"]}}, item
' "$messages" "$out"

finish

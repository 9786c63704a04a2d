#!/bin/bash
# run-services.sh - Task states of every resource kind and integration
# pattern (DynamoDB, SQS .waitForTaskToken, SNS, EventBridge,
# startExecution.sync:2, aws-sdk:s3, an activity), in both query languages,
# answered (a) by a Step Functions Local mock config, AWS's own
# LambdaSQSIntegration example included, (b) by bindings keyed by state name,
# exact resource and pattern, and (c) by nothing: the execution fails with
# aslc.UnboundResource naming the state, its Resource and the ways to answer
# it.  Outputs are compared exactly.  Files are in tests/services/.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/cli/lib.sh"
dir=$top_srcdir/tests/services
mocks=$dir/MockConfigFile.json

# The callback sockets go to a directory of this test's own.
export XDG_RUNTIME_DIR=$tmp/xdg
mkdir -m 700 "$XDG_RUNTIME_DIR"
export SERVICES_ASLC=$aslc

# exactly JSON: stdout is JSON, byte for byte.
exactly() {
    [ "$out" = "$1" ]
}

# unbound STATE RESOURCE: the error of a Task nothing answers.
unbound() {
    printf '{"Error":"aslc.UnboundResource","Cause":"no mock or binding answers Task state '"'"'%s'"'"' (Resource '"'"'%s'"'"'): give it a mocked response in a mock config (--mock-config with --test-case), bind a handler in --bindings to the state'"'"'s name (\\"States\\": {\\"%s\\": ...}), to the resource, or to a pattern that matches it, or, for an AWS service, give its endpoint (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, \\"Endpoints\\" in --bindings, or --aws for AWS itself)"}' \
        "$1" "$2" "$1"
}

# ---- every Resource compiles ---------------------------------------------
for m in services services-jsonata; do
    run "$aslc" check "$dir/$m.asl.json"
    expect "$m: aslc check accepts every resource kind, without a warning" \
        eval '[ "$rc" = 0 ] && [ ! -s "$tmp/err" ]'
done
sed 's/sendMessage.waitForTaskToken/sendMessage.waitForTaskTokens/' "$dir/services.asl.json" \
    >"$tmp/bad.asl.json"
run "$aslc" run "$tmp/bad.asl.json"
expect "an unknown integration pattern is refused with AWS's message" \
    eval '[ "$rc" = 2 ] && stderr_has "error: The resource provided arn:aws:states:::sqs:sendMessage\.waitForTaskTokens is not recognized\. The value is not a valid resource ARN, or the resource is not available in this region\. \[/States/Send message/Resource\]"'

# ---- (a) a mock config answers every Task ---------------------------------
all_mocked='{"id":"o-1","put":{"SdkHttpMetadata":{"HttpStatusCode":200}},"got":{"item":{"id":{"S":"o-1"},"total":{"N":"42"}}},"approval":{"approved":true},"published":{"MessageId":"a1b2c3d4-0000-0000-0000-000000000001"},"events":{"FailedEntryCount":0},"child":{"Output":{"shipped":true},"Status":"SUCCEEDED"},"object":{"Body":"receipt for o-1"},"activity":{"approvedBy":"clerk"}}'
for m in services services-jsonata; do
    run "$aslc" run "$dir/$m.asl.json" --mock-config "$mocks" --test-case AllMocked \
        --input '{"id":"o-1"}'
    expect "$m: mocks answer every resource kind, .waitForTaskToken and .sync:2 at once" \
        eval '[ "$rc" = 0 ] && exactly "$all_mocked"'
done
run "$aslc" run "$dir/services.asl.json" --mock-config "$mocks" --test-case Rejected \
    --input '{"id":"o-1"}'
expect "a mocked callback state's Throw fails the execution" \
    eval '[ "$rc" = 1 ] && exactly "{\"Error\":\"Rejected\",\"Cause\":\"not today\"}"'

sqs='{"MD5OfMessageBody":"3bcb6e8e-7h85-4375-b0bc-1a59812c6e51","MessageId":"3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}'
for t in HappyPath RetryPath; do
    run "$aslc" run "$dir/LambdaSQSIntegration.asl.json" --mock-config "$mocks" --test-case "$t" \
        --wait=skip --input '{}'
    expect "AWS's LambdaSQSIntegration example, $t: sqs:sendMessage answered by its mock" \
        eval '[ "$rc" = 0 ] && exactly "$sqs"'
done
run "$aslc" run "$dir/LambdaSQSIntegration.asl.json" --mock-config "$mocks" --test-case HybridPath \
    --input '{}'
expect "LambdaSQSIntegration, HybridPath: the unmocked SQSState fails naming itself" \
    eval '[ "$rc" = 1 ] && exactly "$(unbound SQSState arn:aws:states:::sqs:sendMessage)"'
run "$aslc" run "$dir/LambdaSQSIntegration.asl.json" --mock-config "$mocks" --test-case HybridPath \
    --bindings "$dir/bindings-lambda.json" --input '{}'
expect "HybridPath with bindings by state name: the mock wins over LambdaState's binding, SQSState's binding answers" \
    eval '[ "$rc" = 0 ] && exactly "{\"by\":\"state SQSState\",\"event\":{\"QueueUrl\":\"https://sqs.us-east-1.amazonaws.com/123456789012/myQueue\",\"MessageBody\":{\"StatusCode\":200,\"Payload\":{\"StatusCode\":200,\"body\":\"Hello from Lambda!\"}}}}"'

# ---- (b) bindings by state name, exact resource and pattern ---------------
# Put item: its state name beats the dynamodb:* pattern; Get item: the
# dynamodb:* pattern, listed before states:::*; Send message: by state name,
# a consumer that completes the task with its token; Publish: the exact
# resource beats the states:::* pattern listed before it; Put events, Start
# child, Get object: the states:::* pattern; Approve: the activity pattern.
w() { printf '{"Item":{"by":"%s"},"MessageId":"%s","FailedEntryCount":"%s","Output":"%s","Status":"%s","Body":"%s","by":"%s"}' "$1" "$1" "$1" "$1" "$1" "$1" "$1"; }
p='pattern states:::*'
bound='{"id":"o-1","put":'$(w "state Put item")',"got":{"item":{"by":"pattern dynamodb:*"}},"approval":{"approved":"by state name"},"published":{"MessageId":"exact sns:publish"},"events":{"FailedEntryCount":"'$p'"},"child":{"Output":"'$p'","Status":"'$p'"},"object":{"Body":"'$p'"},"activity":'$(w "pattern activity")'}'
for m in services services-jsonata; do
    run "$aslc" run "$dir/$m.asl.json" --bindings "$dir/bindings.json" --input '{"id":"o-1"}'
    expect "$m: bindings by state name, then exact resource, then patterns in order" \
        eval '[ "$rc" = 0 ] && exactly "$bound"'
done

# ---- (c) nothing answers -----------------------------------------------------
for m in services services-jsonata; do
    run "$aslc" run "$dir/$m.asl.json" --input '{"id":"o-1"}'
    expect "$m, no mock, no binding: aslc.UnboundResource names the state, Resource and remedies" \
        eval '[ "$rc" = 1 ] && exactly "$(unbound "Put item" arn:aws:states:::dynamodb:putItem)"'
done
run "$aslc" run "$dir/services.asl.json" --mock-config "$mocks" --test-case NoActivity \
    --input '{"id":"o-1"}'
expect "an unanswered activity: aslc.UnboundResource with its ARN" \
    eval '[ "$rc" = 1 ] && exactly "$(unbound Approve arn:aws:states:us-east-1:123456789012:activity:Approve)"'
run "$aslc" run "$dir/services.asl.json" --input '{"id":"o-1"}' --history -
expect "the unanswered Task's failure is in the history, as a TaskFailed" \
    eval 'grep -q "\"TaskFailed\"" "$tmp/err" && grep -q "aslc.UnboundResource" "$tmp/err"'

finish

#!/bin/bash
# run-serve-tutorial.sh - the tutorial the project started from, against
# aslc serve: its own deploy.sh and execute.sh (tests/serve/tutorial/, as
# the tutorial prints them) run unchanged with the AWS CLI, which reaches
# the server through its --endpoint-url option (added by a wrapper named
# aws, first on PATH: the scripts themselves say `aws stepfunctions ...`).
# The state machine's two Lambda functions are the example's Python
# handlers (examples/order-processing/bindings.json).  Then the execution
# is followed as a user would: describe-execution until it has ended, its
# output, its history.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/cli/lib.sh"

# The AWS CLI of Debian's awscli package (tools/install-deps.sh), else the
# first on PATH.
real_aws=/usr/bin/aws
[ -x "$real_aws" ] || real_aws=$(command -v aws) || {
    echo "run-serve-tutorial.sh: the AWS CLI is not installed: tools/install-deps.sh installs it" >&2
    exit 1
}
[ "$have_python" = yes ] || { echo "run-serve-tutorial.sh: python3 is needed" >&2; exit 1; }

server_pid=
stop_server() {
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        server_pid=
    fi
}
trap 'stop_server; rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Nothing of the user's AWS configuration, and no proxy, takes part.
export AWS_CONFIG_FILE=$tmp/no-config AWS_SHARED_CREDENTIALS_FILE=$tmp/no-credentials
export AWS_PAGER= AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=AKIDTUTORIAL AWS_SECRET_ACCESS_KEY=tutorial-secret
export AWS_DEFAULT_REGION=eu-west-1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY

# The server, on a free port, with the example's handlers.
work=$tmp/tutorial
mkdir -p "$work" "$tmp/bin"
cp "$top_srcdir/examples/order-processing/state-machine-v2.json" \
   "$top_srcdir/examples/order-processing/"*.py \
   "$top_srcdir/examples/order-processing/bindings.json" "$work/"
cp "$top_srcdir/tests/serve/tutorial/deploy.sh" "$top_srcdir/tests/serve/tutorial/execute.sh" "$work/"
"$aslc" serve --port 0 --port-file "$tmp/port" --bindings "$work/bindings.json" \
    >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
    [ -s "$tmp/port" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
expect "aslc serve starts and says its port" [ -s "$tmp/port" ]
[ -s "$tmp/port" ] || { cat "$tmp/server.log" >&2; finish; }
port=$(cat "$tmp/port")
printf '#!/bin/sh\nexec %s --endpoint-url http://127.0.0.1:%s "$@"\n' "$real_aws" "$port" \
    >"$tmp/bin/aws"
chmod +x "$tmp/bin/aws"
export PATH="$tmp/bin:$PATH"

cd "$work" || exit 99
run bash deploy.sh
expect "deploy.sh: create-state-machine succeeds" [ "$rc" = 0 ]
expect "deploy.sh: the state machine's ARN is in eu-west-1" \
    grep -q '"stateMachineArn": "arn:aws:states:eu-west-1:123456789012:stateMachine:OrderProcessingWorkflow"' "$tmp/out"
run bash execute.sh
expect "execute.sh: start-execution succeeds" [ "$rc" = 0 ]
exec_arn=$("$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["executionArn"])' <"$tmp/out" 2>/dev/null)
expect "execute.sh: an execution ARN of the state machine" \
    [ "${exec_arn#arn:aws:states:eu-west-1:123456789012:execution:OrderProcessingWorkflow:}" != "$exec_arn" ]

# Followed as a user would: describe-execution until it has ended.
status=RUNNING
for _ in $(seq 1 300); do
    run aws stepfunctions describe-execution --execution-arn "$exec_arn"
    status=$("$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["status"])' <"$tmp/out" 2>/dev/null)
    [ "$status" = RUNNING ] || break
    sleep 0.2
done
expect "the execution succeeds (status $status)" [ "$status" = SUCCEEDED ]
"$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["output"])' <"$tmp/out" >"$tmp/output.json" 2>/dev/null
expect "its output is the example's expected output" \
    "$PYTHON3" -c 'import json,sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
    "$tmp/output.json" "$top_srcdir/examples/order-processing/expected-output.json"

run aws stepfunctions get-execution-history --execution-arn "$exec_arn"
expect "get-execution-history succeeds" [ "$rc" = 0 ]
types=$("$PYTHON3" -c 'import json,sys; print(" ".join(e["type"] for e in json.load(sys.stdin)["events"]))' <"$tmp/out" 2>/dev/null)
expect "the history runs from ExecutionStarted through both Lambda tasks to ExecutionSucceeded" \
    [ "$types" = "ExecutionStarted TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited ExecutionSucceeded" ]
run aws stepfunctions list-executions \
    --state-machine-arn arn:aws:states:eu-west-1:123456789012:stateMachine:OrderProcessingWorkflow
expect "list-executions lists it" grep -q "\"executionArn\": \"$exec_arn\"" "$tmp/out"

# Deploying again is the same state machine (same definition and role).
run bash deploy.sh
expect "deploy.sh again: the same state machine" [ "$rc" = 0 ]
run aws stepfunctions list-state-machines
expect "list-state-machines: one state machine" \
    [ "$("$PYTHON3" -c 'import json,sys; print(len(json.load(sys.stdin)["stateMachines"]))' <"$tmp/out")" = 1 ]

stop_server
expect "the server stops cleanly on SIGTERM" grep -q 'stopping' "$tmp/server.log"
finish

#!/bin/bash
# run-http.sh - whole workflows whose tasks are bound to functions served
# over the AWS Lambda Invoke API ("http" bindings, runtime/task_http.c):
# `aslc run` and an `aslc build` binary against tests/http/lambda_server.py,
# which checks every request's Signature Version 4 with known test
# credentials.  The definitions are in tests/http/.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/cli/lib.sh"
http=$top_srcdir/tests/http

if [ "$have_python" = no ]; then
    echo "run-http.sh: no python3, skipped"
    exit 77
fi

# The server runs as long as this script holds its stdin open (fd 3), so it
# stops with the script however the script ends.
key_id=AKIDEXAMPLE
secret=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
token=session-token-for-tests
exec 3> >(exec "$PYTHON3" "$http/lambda_server.py" --port 0 --port-file "$tmp/port" \
    --credentials "$key_id:$secret:$token" --region us-east-1 --exit-on-eof >/dev/null)
server_pid=$!
trap 'exec 3>&-; kill "$server_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do
    [ -s "$tmp/port" ] && break
    sleep 0.1
done
if [ ! -s "$tmp/port" ]; then
    echo "run-http.sh: the test server did not start" >&2
    exit 99
fi
port=$(cat "$tmp/port")

export AWS_ACCESS_KEY_ID=$key_id AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token
unset AWS_REGION AWS_DEFAULT_REGION
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
# Signed by default: the credentials are in the environment.
cat >"$tmp/bindings.json" <<EOF
{"arn:aws:lambda:*": {"http": "http://127.0.0.1:$port", "region": "us-east-1"}}
EOF

# A build without libcurl refuses the binding before any state runs.
run "$aslc" run "$http/workflow.asl.json" --bindings "$tmp/bindings.json" --input '{}'
if grep -q "no HTTP support" "$tmp/err"; then
    expect "a build without libcurl refuses http bindings, naming the member" \
        eval '[ "$rc" = 2 ] && stderr_has "bindings\.json: /arn:aws:lambda:\*/http: this build of aslc has no HTTP support"'
    finish
fi

# check_workflow DESC: the last command ran tests/http/workflow.asl.json on
# {"order": {"id": 7}} to its end.
check_workflow() {
    expect "$1" eval '[ "$rc" = 0 ] && "$PYTHON3" -c "$workflow_check" "$out" "$(cat "$tmp/err")"'
}
workflow_check='
import base64, json, re, sys
out = json.loads(sys.argv[1])
order = {"id": 7}
assert out["order"] == order, out
assert out["bare"] == {"order": order, "step": "bare"}, out["bare"]
assert out["optimized"] == {"payload": {"version": "7"}, "version": "7", "status": 200}, out["optimized"]
assert out["logs"]["payload"] == {"logged": True}, out["logs"]
assert "hello from the function" in base64.b64decode(out["logs"]["log"]).decode(), out["logs"]
assert out["caught"]["Error"] == "InvalidOrder", out["caught"]
assert json.loads(out["caught"]["Cause"])["errorMessage"] == "the order is invalid", out["caught"]
t = out["throttled"]
assert t["Error"] == "Lambda.TooManyRequestsException", t
assert re.fullmatch(r"Rate Exceeded\. \(Service: AWSLambda; Status Code: 429; Error Code: "
                    r"TooManyRequestsException; Request ID: [0-9a-f-]{36}; Proxy: null\)",
                    t["Cause"]), t
'

run "$aslc" run "$http/workflow.asl.json" --bindings "$tmp/bindings.json" --wait=skip \
    --input '{"order": {"id": 7}}'
check_workflow "run: bare ARN and lambda:invoke tasks through a signed http binding"

run "$aslc" build "$http/workflow.asl.json" -o "$tmp/workflow"
expect "build: a workflow binary with http bindings" eval '[ "$rc" = 0 ] && [ -x "$tmp/workflow" ]'
if [ -x "$tmp/workflow" ]; then
    run "$tmp/workflow" --bindings "$tmp/bindings.json" --wait=skip --input '{"order": {"id": 7}}'
    check_workflow "binary: the same workflow gives the same result"
fi

# Errors the service and the transport give, as the task's Error.
run "$aslc" run "$http/missing.asl.json" --bindings "$tmp/bindings.json" --input '{}'
expect "run: an unknown function is Lambda.ResourceNotFoundException" \
    eval '[ "$rc" = 1 ] && error_is Lambda.ResourceNotFoundException &&
          json_field "$out" Cause | grep -q "^Function not found: arn:aws:lambda:us-east-1:123456789012:function:no-such-function (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: "'

run "$aslc" run "$http/timeout.asl.json" --bindings "$tmp/bindings.json" --input '{"seconds": 5}'
expect "run: a function slower than TimeoutSeconds is States.Timeout" \
    eval '[ "$rc" = 1 ] && error_is States.Timeout'

# The sibling sleeps an hour: that the run ends at all shows it was stopped.
run "$aslc" run "$http/parallel.asl.json" --bindings "$tmp/bindings.json" --input '{}'
expect "run: a failing Parallel branch cancels its sibling's call at once" \
    eval '[ "$rc" = 1 ] && error_is InvalidOrder'

cat >"$tmp/unsigned.json" <<EOF
{"arn:aws:lambda:*": {"http": "http://127.0.0.1:$port", "sign": false}}
EOF
run "$aslc" run "$http/workflow.asl.json" --bindings "$tmp/unsigned.json" --input '{"order": {}}'
expect "run: an unsigned request is refused by the endpoint (403)" \
    eval '[ "$rc" = 1 ] && error_is Lambda.AWSLambdaException &&
          json_field "$out" Cause | grep -q "Error Code: MissingAuthenticationTokenException"'

AWS_SECRET_ACCESS_KEY=not-the-secret run "$aslc" run "$http/workflow.asl.json" \
    --bindings "$tmp/bindings.json" --input '{"order": {}}'
expect "run: a signature made with the wrong secret is refused (403)" \
    eval '[ "$rc" = 1 ] && error_is Lambda.AWSLambdaException &&
          json_field "$out" Cause | grep -q "^The request signature we calculated does not match"'

# Nobody listening: the SDK's client error.
"$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
    >"$tmp/closed-port"
cat >"$tmp/refused.json" <<EOF
{"arn:aws:lambda:*": {"http": "http://127.0.0.1:$(cat "$tmp/closed-port")", "sign": false}}
EOF
run "$aslc" run "$http/workflow.asl.json" --bindings "$tmp/refused.json" --input '{"order": {}}'
expect "run: connection refused is Lambda.SdkClientException" \
    eval '[ "$rc" = 1 ] && error_is Lambda.SdkClientException &&
          json_field "$out" Cause | grep -q "^Unable to execute HTTP request: "'

# Bindings file mistakes stop the run before any state, with their place.
cat >"$tmp/bad.json" <<EOF
{"arn:aws:lambda:*": {"http": "http://127.0.0.1:$port", "regoin": "us-east-1"}}
EOF
run "$aslc" run "$http/workflow.asl.json" --bindings "$tmp/bad.json" --input '{}'
expect "run: an unknown member of an http binding is reported with its location" \
    eval '[ "$rc" = 2 ] && [ -z "$out" ] &&
          stderr_has "bad\.json: /arn:aws:lambda:\*/regoin: unknown member \"regoin\" of an http binding"'

finish

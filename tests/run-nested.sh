#!/bin/bash
# run-nested.sh - nested executions run locally: parents in tests/nested/
# start the state machines of tests/nested/machines/ with
# states:startExecution (request-response, .sync, .sync:2,
# .waitForTaskToken) and aws-sdk:sfn:startExecution, in both query
# languages, from a Map, failing, unknown, and answering their parent's
# token with aws-sdk:sfn:sendTaskSuccess / sendTaskFailure.  Every check
# runs through `aslc run` (children compiled on first use) and through a
# binary from `aslc build --state-machines` (children compiled in); the
# machines are found by --state-machines or a bindings "StateMachines"
# section.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/cli/lib.sh"
dir=$top_srcdir/tests/nested
machines=$dir/machines

if [ "$have_python" != yes ]; then
    echo "run-nested.sh: no Python 3 to read the outputs; skipped"
    exit 77
fi
# The callback sockets go to a directory of this test's own.
export XDG_RUNTIME_DIR=$tmp/xdg
mkdir -m 700 "$XDG_RUNTIME_DIR"

acct=123456789012
arn_of() { # arn_of MACHINE
    printf 'arn:aws:states:us-east-1:%s:stateMachine:%s' "$acct" "$1"
}

# py EXPR: evaluates a Python expression over the last output (o), its exit
# status (rc) and the parsed Cause of an error output (cause); true when it
# is true.
py() {
    "$PYTHON3" -c '
import json, re, sys
o = json.loads(sys.argv[2])
rc = int(sys.argv[3])
cause = None
if isinstance(o, dict) and isinstance(o.get("Cause"), str):
    try:
        cause = json.loads(o["Cause"])
    except ValueError:
        pass
sys.exit(0 if eval("(" + sys.argv[1] + "\n)") else 1)
' "$1" "$out" "$rc" 2>>"$tmp/py.err"
}

# The binaries: each parent built once with every machine compiled in.
build() { # build PARENT: prints the binary's path
    local bin=$tmp/bin-$1
    if [ ! -x "$bin" ]; then
        "$aslc" build "$dir/$1.asl.json" -o "$bin" --state-machines "$machines" \
            >"$tmp/build.out" 2>"$tmp/build.err" || cp "$tmp/build.err" "$tmp/build-$1.err"
    fi
    printf '%s' "$bin"
}

# both DESC PARENT INPUT TEST [OPTIONS...]: runs PARENT with INPUT through
# aslc run and through its binary (each with --state-machines unless
# OPTIONS say otherwise) and checks TEST (an expression for py) on each.
both() {
    local desc=$1 parent=$2 input=$3 test=$4
    shift 4
    local opts=("$@")
    [ ${#opts[@]} -eq 0 ] && opts=(--state-machines "$machines")
    run "$aslc" run "$dir/$parent.asl.json" --input "$input" --wait=skip "${opts[@]}"
    expect "$desc (aslc run)" py "$test"
    run "$(build "$parent")" --input "$input" --wait=skip "${opts[@]}"
    expect "$desc (aslc build)" py "$test"
}

# ---- .sync: DescribeExecution's shape, Input and Output as JSON strings ---
both ".sync: the child's description, Output and Input as JSON strings" parent-sync \
    '{"who": "world"}' '
o["Status"] == "SUCCEEDED" and o["Name"] == "first"
and o["ExecutionArn"] == "arn:aws:states:us-east-1:'$acct':execution:child:first"
and o["StateMachineArn"] == "'"$(arn_of child)"'"
and json.loads(o["Output"])["greeting"] == "hello world"
and json.loads(o["Output"])["execution"] == "first"
and json.loads(o["Output"])["machine"] == "child"
and json.loads(o["Output"])["id"] == o["ExecutionArn"]
and json.loads(o["Input"])["who"] == "world"
and json.loads(o["Input"])["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"].startswith("arn:aws:states:us-east-1:'$acct':execution:parent-sync:")
and json.loads(o["Output"])["input"] == json.loads(o["Input"])
and o["InputDetails"] == {"Included": True} and o["OutputDetails"] == {"Included": True}
and isinstance(o["StartDate"], int) and o["StartDate"] <= o["StopDate"]
and o["RedriveStatus"] == "NOT_REDRIVABLE"'

# ---- .sync:2 in JSONata: Output and Input as JSON -----------------------
both ".sync:2 (JSONata): Output and Input as JSON, the child's own name" \
    parent-sync2-jsonata '{"n": 7}' '
o == {"status": "SUCCEEDED", "output": {"n": 7, "square": 49, "name": "sq"}, "input": {"n": 7},
      "arn": "arn:aws:states:us-east-1:'$acct':execution:square:sq"}'

# ---- request-response: the optimized integration and the AWS SDK one ----
both "request-response: {ExecutionArn, StartDate} and the SDK envelope" parent-start '{}' '
o["optimized"] == {"arn": "arn:aws:states:us-east-1:'$acct':execution:child:rr", "status": 200, "keys": 1}
and o["sdk"]["arnPrefix"] == "execution"
and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o["sdk"]["startDate"])'

# ---- the history of a .sync task: TaskSubmitted, then TaskSucceeded -----
run "$aslc" run "$dir/parent-sync.asl.json" --input '{"who": "h"}' \
    --state-machines "$machines" --history "$tmp/history.json"
expect ".sync history: TaskScheduled, TaskStarted, TaskSubmitted (the start), TaskSucceeded" \
    "$PYTHON3" -c '
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
types = [e["type"] for e in ev]
i = types.index("TaskScheduled")
assert types[i:i + 4] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"], types
sub = json.loads(ev[i + 2]["taskSubmittedEventDetails"]["output"])
assert set(sub) == {"ExecutionArn", "SdkHttpMetadata", "SdkResponseMetadata", "StartDate"}, sub
assert ev[i]["taskScheduledEventDetails"]["resource"] == "startExecution.sync"
assert ev[i]["taskScheduledEventDetails"]["resourceType"] == "states"
' "$tmp/history.json"

# ---- a child that fails --------------------------------------------------
both "a failing .sync child: States.TaskFailed, the description as Cause" parent-fail '{}' '
o["error"] == "States.TaskFailed" and o["cause"]["Error"] == "Child.Broken"
and o["cause"]["Cause"] == "the child gave up" and o["cause"]["Status"] == "FAILED"
and o["cause"]["Name"] == "doomed" and o["cause"]["Input"] == "{}" and "Output" not in o["cause"]'

# ---- time: the child's skipped waits move the parent's clock on ---------
both ".sync under --wait=skip: the child's 30 s pass, and the parent's clock goes on" \
    parent-timeout '{"timeout": 100}' '
o["child"]["stop"] - o["child"]["start"] >= 30000 and o["now"] >= o["child"]["woke"]'
both ".sync: a child that takes longer than TimeoutSeconds times the task out" \
    parent-timeout '{"timeout": 10}' 'rc == 1 and o == {"Error": "States.Timeout"}'

# ---- children started concurrently by a Map ------------------------------
items='[{"n":1},{"n":2},{"n":3},{"n":4},{"n":5},{"n":6},{"n":7},{"n":8}]'
both "a Map's iterations start their children at once, each compiled once" parent-map "$items" '
o == [{"n": k, "square": k * k, "name": "item-%d" % k} for k in range(1, 9)]' \
    --state-machines "$machines" --threads 8

# ---- a grandchild, named in the child's region and account --------------
both "a child starts a child of its own, in its own region and account" parent-relay '{"n": 3}' '
o["relayed"]["n"] == 3 and o["relayed"]["square"] == 9 and o["by"] == "middle"' \
    --state-machines "$machines" --region eu-west-1 --account 210987654321
both "a name stands for the state machine in the execution's region and account only" \
    parent-relay '{"n": 3}' '
rc == 1 and o["Error"] == "StepFunctions.StateMachineDoesNotExistException"'

# ---- .waitForTaskToken answered by the child -----------------------------
both ".waitForTaskToken: the child answers with aws-sdk:sfn:sendTaskSuccess" parent-token \
    '{"machine": "'"$(arn_of answer)"'", "payload": {"a": [1, 2]}}' 'o == {"a": [1, 2]}'
both ".waitForTaskToken: the child refuses with aws-sdk:sfn:sendTaskFailure (JSONata)" \
    parent-token '{"machine": "'"$(arn_of refuse)"'", "payload": 1}' '
rc == 1 and o == {"Error": "Refused", "Cause": "no payload"}'
both "aws-sdk:sfn:sendTaskSuccess with a token that is none: Sfn.InvalidTokenException" \
    parent-badtoken '{"token": "NoSuchTaskToken"}' '
rc == 1 and o["Error"] == "Sfn.InvalidTokenException"
and re.fullmatch(r"Invalid Token: .Invalid token. \(Service: Sfn, Status Code: 400, Request ID: [0-9a-f-]{36}\) \(SDK Attempt Count: 1\)", o["Cause"])'

# ---- unknown ARNs ---------------------------------------------------------
both "an ARN no local state machine has: StateMachineDoesNotExist, as AWS words it" \
    parent-unknown '{}' '
rc == 1 and o["Error"] == "StepFunctions.StateMachineDoesNotExistException"
and re.fullmatch(r"State Machine Does Not Exist: .arn:aws:states:us-east-1:'$acct':stateMachine:nobody. \(Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist; Request ID: [0-9a-f-]{36}; Proxy: null\)", o["Cause"])'
run "$aslc" run "$dir/parent-unknown.asl.json"
expect "no state machines given: aslc.UnboundResource, as for any unbound Task" \
    py 'rc == 1 and o["Error"] == "aslc.UnboundResource" and "--state-machines DIR" in o["Cause"]'

# ---- the bindings' "StateMachines" section --------------------------------
mkdir "$tmp/b"
cat >"$tmp/b/bindings.json" <<EOF
{"StateMachines": {
   "$(arn_of child)": "$(realpath --relative-to="$tmp/b" "$machines/child.asl.json")",
   "square": "$machines/square.asl.json"}}
EOF
run "$aslc" run "$dir/parent-sync.asl.json" --input '{"who": "b"}' --bindings "$tmp/b/bindings.json"
expect "StateMachines keyed by ARN, a path relative to the bindings file" \
    py 'rc == 0 and json.loads(o["Output"])["greeting"] == "hello b"'
run "$aslc" run "$dir/parent-sync2-jsonata.asl.json" --input '{"n": 2}' --bindings "$tmp/b/bindings.json"
expect "StateMachines keyed by name" py 'rc == 0 and o["output"]["square"] == 4'
run "$aslc" build "$dir/parent-sync.asl.json" -o "$tmp/bin-bindings" --bindings "$tmp/b/bindings.json"
expect "aslc build --bindings compiles the section's machines in" eval '[ "$rc" = 0 ]'
run "$tmp/bin-bindings" --input '{"who": "c"}'
expect "... and the binary runs them with no option" \
    py 'rc == 0 and json.loads(o["Output"])["greeting"] == "hello c"'
run "$tmp/bin-bindings" --input '{"who": "d"}' --bindings "$tmp/b/bindings.json"
expect "... or named again at run time by the same file" \
    py 'rc == 0 and json.loads(o["Output"])["greeting"] == "hello d"'
cat >"$tmp/b/bad.json" <<EOF
{"StateMachines": {"child": "missing.asl.json"}}
EOF
run "$aslc" run "$dir/parent-sync.asl.json" --bindings "$tmp/b/bad.json"
expect "a StateMachines entry whose file is missing is refused with its location" \
    eval '[ "$rc" = 2 ] && stderr_has "bad.json: /StateMachines/child: cannot use definition file"'

# ---- precedence: a binding of the resource comes before the local machine --
cat >"$tmp/b/echo.json" <<EOF
{"arn:aws:states:::states:startExecution.sync": {"program": ["cat"]}}
EOF
run "$aslc" run "$dir/parent-sync.asl.json" --input '{"who": "e"}' --bindings "$tmp/b/echo.json" \
    --state-machines "$machines"
expect "a resource binding answers before the nested state machine" \
    py 'rc == 0 and o["StateMachineArn"] == "'"$(arn_of child)"'" and o["Input"]["who"] == "e"'

# ---- definitions that cannot be run ---------------------------------------
mkdir "$tmp/broken"
printf '{"StartAt": "Nowhere", "States": {"A": {"Type": "Pass", "End": true}}}' \
    >"$tmp/broken/child.asl.json"
run "$aslc" run "$dir/parent-sync.asl.json" --input '{"who": "x"}' --state-machines "$tmp/broken"
expect "aslc run: a child that is not valid fails the task with its diagnostics" \
    py 'rc == 1 and o["Error"] == "aslc.InvalidStateMachine" and "Nowhere" in o["Cause"]'
run "$aslc" build "$dir/parent-sync.asl.json" -o "$tmp/bin-broken" --state-machines "$tmp/broken"
expect "aslc build: a child that is not valid is refused" \
    eval '[ "$rc" = 2 ] && stderr_has "the state machine .child.: the definition .*child.asl.json. is not valid"'
run "$aslc" build "$dir/parent-sync.asl.json" -o "$tmp/bin-alone"
run "$tmp/bin-alone" --input '{"who": "x"}' --state-machines "$machines"
expect "a binary runs only the machines compiled into it" error_is aslc.StateMachineNotCompiled

no_build_errors() {
    ! ls "$tmp"/build-*.err >/dev/null 2>&1 || { cat "$tmp"/build-*.err; false; }
}
expect "every parent was built with its machines" no_build_errors
expect "the executions removed their callback sockets" \
    eval '[ -z "$(find "$XDG_RUNTIME_DIR" -name "cb-*.sock" 2>/dev/null)" ]'
finish

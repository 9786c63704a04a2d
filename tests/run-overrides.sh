#!/bin/bash
# run-overrides.sh - the run options that aws-local-stepfunctions users know
# (doc/behaviour.md §41): --override-task, --override-wait, --override-retry,
# --context and --context-file, and several JSON inputs in one invocation,
# through `aslc run` and through a binary `aslc build` makes.  Times are read
# from the execution's virtual clock under --wait=skip (history timestamps,
# $$.State.EnteredTime), never from the wall clock.  Fixtures: tests/overrides/.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/cli/lib.sh"
dir=$top_srcdir/tests/overrides
got=$dir/got.sh
fail=$dir/fail.sh

if [ "$have_python" != yes ]; then
    echo "SKIP: no $PYTHON3 to read the histories"
    exit 77
fi

# py EXPR: evaluates a Python expression over o (the last command's output
# as JSON) and h (the events of $tmp/h.json, when it is there), with ms(t):
# a timestamp in milliseconds; succeeds when it is true.
py() {
    "$PYTHON3" - "$1" "$tmp/out" "$tmp/h.json" <<'EOF'
import datetime, json, os, sys
def ms(t):
    return datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() * 1000
o = json.loads(open(sys.argv[2]).read() or "null")
h = json.load(open(sys.argv[3]))["events"] if os.path.exists(sys.argv[3]) else []
def ev(kind):
    return [e for e in h if e["type"] == kind]
sys.exit(0 if eval("(" + sys.argv[1] + ")") else 1)
EOF
}

# Both ways: aslc run DEF, then the binary built from DEF (once, into $bin).
build_once() {
    bin=$tmp/bin-$(basename "$1" .asl.json)
    if [ ! -e "$bin.tried" ]; then
        : >"$bin.tried"
        run "$aslc" build "$dir/$1" -o "$bin"
        expect "build $1" eval '[ "$rc" = 0 ] && [ -x "$bin" ]'
    fi
}
both() { # DESC TEST DEF ARGS...: TEST after aslc run and after the binary
    local desc=$1 test=$2 def=$3
    shift 3
    rm -f "$tmp/h.json"
    run "$aslc" run "$dir/$def" "$@"
    expect "aslc run: $desc" eval "$test"
    build_once "$def"
    [ -x "$bin" ] || return 0
    rm -f "$tmp/h.json"
    run "$bin" "$@"
    expect "binary: $desc" eval "$test"
}

# ---- --override-task ----------------------------------------------------
both "--override-task at the top, in a Parallel branch and in a Map: the program's result" \
    '[ "$rc" = 0 ] && py "o[\"start\"] == {\"got\": {\"items\": [1, 2]}} and
        o[\"branch\"][0][\"got\"][\"start\"] == o[\"start\"] and
        o[\"mapped\"] == [{\"got\": 1}, {\"got\": 2}]"' \
    flow.asl.json --wait=skip --input '{"items": [1, 2]}' \
    --override-task "Start:$got" --override-task "In branch:$got" \
    --override-task "In map:$got" --override-task "Flaky:$got"
both "--override-task wins over the bindings file's state and resource bindings" \
    '[ "$rc" = 0 ] && py "o[\"start\"] == {\"got\": {\"items\": []}} and
        \"caught\" in o and o[\"caught\"][\"Error\"] == \"Custom.Flaky\""' \
    flow.asl.json --wait=skip --input '{"items": []}' --bindings "$dir/bindings.json" \
    --override-task "Start:$got" --override-task "In branch:$got"
both "--override-task wins over the mock of its state; the other states keep theirs" \
    '[ "$rc" = 0 ] && py "o[\"mapped\"] == [{\"got\": 7}] and o[\"start\"] == {\"mocked\": True}
        and o[\"flaky\"] == {\"mocked\": True}"' \
    flow.asl.json --wait=skip --input '{"items": [7]}' --mock-config "$dir/mocks.json" \
    --test-case Mocked --override-task "In map:$got"
both "--override-task: a program failing as Lambda does fails the state (caught here)" \
    '[ "$rc" = 0 ] && py "o[\"caught\"][\"Error\"] == \"Custom.Flaky\" and len(ev(\"LambdaFunctionFailed\")) == 3"' \
    flow.asl.json --wait=skip --input '{"items": []}' --history "$tmp/h.json" \
    --override-task "Start:$got" --override-task "In branch:$got" --override-task "Flaky:$fail"

# ---- --override-wait ----------------------------------------------------
# Under --wait=skip the execution's clock still moves by each wait.
until=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)
run "$aslc" run "$dir/waits.asl.json" --wait=skip --input "{\"secs\": 7200, \"until\": \"$until\"}"
expect "waits.asl.json as defined: the virtual clock moves by 3600 s, then 7200 s" \
    eval '[ "$rc" = 0 ] && py "ms(o[\"a\"][\"t\"]) - ms(o[\"c\"][\"start\"]) >= 3600000 and
        ms(o[\"b\"][\"t\"]) - ms(o[\"a\"][\"t\"]) >= 7200000"'
waits='[ "$rc" = 0 ] && py "
    1500 <= ms(o[\"a\"][\"t\"]) - ms(o[\"c\"][\"start\"]) < 3600000 and
    0 <= ms(o[\"b\"][\"t\"]) - ms(o[\"a\"][\"t\"]) < 7200000 and
    2500 <= ms(o[\"c\"][\"t\"]) - ms(o[\"b\"][\"t\"]) < 3600000 and
    10 <= ms(o[\"d\"][\"t\"]) - ms(o[\"c\"][\"t\"]) < 7200000"'
both "--override-wait on Seconds, SecondsPath, Timestamp and JSONata Seconds: \$\$.State.EnteredTime" \
    "$waits" waits.asl.json --wait=skip --input "{\"secs\": 7200, \"until\": \"$until\"}" \
    --override-wait "By seconds:1500" --override-wait "By path:0" \
    --override-wait "By timestamp:2500" --override-wait "By JSONata:10"
both "--override-wait: the history's WaitStateEntered and WaitStateExited" \
    '[ "$rc" = 0 ] && py "1500 <= ms(ev(\"WaitStateExited\")[0][\"timestamp\"]) -
        ms(ev(\"WaitStateEntered\")[0][\"timestamp\"]) < 3600000"' \
    flow.asl.json --wait=skip --input '{"items": []}' --history "$tmp/h.json" \
    --override-task "Start:$got" --override-task "In branch:$got" --override-task "Flaky:$got" \
    --override-wait Pause:1500

# ---- --override-retry ---------------------------------------------------
# gaps: the time from each failed attempt to the next attempt.
gaps='[(ms(b["timestamp"]) - ms(a["timestamp"])) for a, b in
       zip(ev("LambdaFunctionFailed"), ev("LambdaFunctionScheduled")[2:])]'
flaky=(flow.asl.json --wait=skip --input '{"items": []}' --history "$tmp/h.json"
       --override-task "Start:$got" --override-task "In branch:$got" --override-task "Flaky:$fail")
run "$aslc" run "$dir/${flaky[0]}" "${flaky[@]:1}"
expect "Flaky as defined: waits 1000 s, then 2000 s (BackoffRate 2) before its retries" \
    eval '[ "$rc" = 0 ] && py "[g >= w for g, w in zip($gaps, [1000000, 2000000])] == [True, True]"'
both "--override-retry Flaky:250: 250 ms before each retry, MaxAttempts kept" \
    '[ "$rc" = 0 ] && py "len($gaps) == 2 and all(250 <= g < 1000000 for g in $gaps)"' \
    "${flaky[@]}" --override-retry Flaky:250
both "--override-retry Flaky:300000,40: the matching (second) retrier's own interval" \
    '[ "$rc" = 0 ] && py "len($gaps) == 2 and all(40 <= g < 300000 for g in $gaps)"' \
    "${flaky[@]}" --override-retry Flaky:300000,40

# ---- --context ----------------------------------------------------------
ctx='{"Execution": {"Name": "my-run", "Id": "arn:aws:states:us-east-1:111122223333:execution:context:my-run",
      "StartTime": "2024-01-02T03:04:05.678Z", "RedriveCount": 2, "Input": {"given": true}},
      "StateMachine": {"Name": "orders"}}'
context_ok='[ "$rc" = 0 ] && py "o[\"path\"] == {\"id\": \"arn:aws:states:us-east-1:111122223333:execution:context:my-run\",
    \"name\": \"my-run\", \"input\": {\"given\": True}, \"sm\": \"orders\", \"state\": \"Path\", \"redrive\": 2}
    and o[\"nata\"] == {\"id\": o[\"path\"][\"id\"], \"name\": \"my-run\", \"input\": {\"given\": True},
    \"start\": \"2024-01-02T03:04:05.678Z\", \"state\": \"Nata\"} and o[\"a\"] == 1"'
both "--context: \$\$ in JSONPath and \$states.context in JSONata; State.Name stays the engine's" \
    "$context_ok" context.asl.json --input '{"a": 1}' --context "$ctx"
printf '%s\n' "$ctx" >"$tmp/ctx.json"
both "--context-file: the same" "$context_ok" context.asl.json --input '{"a": 1}' \
    --context-file "$tmp/ctx.json"
both "--context merges: fields not given keep their defaults" \
    '[ "$rc" = 0 ] && py "o[\"path\"][\"name\"] == \"n1\" and o[\"path\"][\"input\"] == {\"a\": 1} and
        o[\"path\"][\"sm\"] == \"context\" and o[\"path\"][\"id\"].endswith(\":execution:context:n1\")"' \
    context.asl.json --input '{"a": 1}' --name n1 --context '{"Execution": {"RedriveCount": 1}}'

# ---- several inputs -----------------------------------------------------
printf '{"n": 1}\n{"fail": true, "n": 2}\n{"n": 3}\n' >"$tmp/lines.json"
printf '{"n": 1}\n{"fail": true, "n": 2}\n{"n": 3}\n' >"$tmp/stdin.json"
several='[ "$rc" = 1 ] && [ "$(wc -l <"$tmp/out")" = 3 ] &&
    [ "$(sed -n 1p "$tmp/out")" = "{\"n\":1}" ] &&
    [ "$(sed -n 2p "$tmp/out")" = "{\"Error\":\"Custom.Boom\",\"Cause\":\"asked to fail\"}" ] &&
    [ "$(sed -n 3p "$tmp/out")" = "{\"n\":3}" ]'
both "3 JSON lines, the second failing: 3 result lines in order, exit 1" "$several" \
    several.asl.json --input-file "$tmp/lines.json"
run_in "$tmp/stdin.json" "$aslc" run "$dir/several.asl.json"
expect "aslc run: 3 JSON lines on stdin: 3 result lines, exit 1" eval "$several"
printf '{"n": 1} {"n": 2}{"n": 3}\n\n  [4]' >"$tmp/spaced.json"
both "values one after another with any white space between: one run each, exit 0" \
    '[ "$rc" = 0 ] && [ "$out" = "$(printf "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n[4]")" ]' \
    several.asl.json --input-file "$tmp/spaced.json"
printf '{"n": 1}\n{"n": 2}\n{"fail": true}\n' >"$tmp/last.json"
both "the exit status is the first that is not success" \
    '[ "$rc" = 1 ] && [ "$(wc -l <"$tmp/out")" = 3 ]' several.asl.json --input-file "$tmp/last.json"
printf '{\n  "n": 1,\n  "more": [\n    1,\n    2\n  ]\n}\n' >"$tmp/pretty.json"
both "a pretty-printed document is one value: one run, one line" \
    '[ "$rc" = 0 ] && [ "$out" = "{\"n\":1,\"more\":[1,2]}" ]' \
    several.asl.json --input-file "$tmp/pretty.json"
printf '{"n": 1}\n{"n": 2}\n  {"n": x}\n' >"$tmp/bad.json"
both "a bad value among several: its line and column, exit 2, nothing run" \
    '[ "$rc" = 2 ] && [ ! -s "$tmp/out" ] &&
     stderr_has "not valid JSON \\(line 3, column 9 of .*bad.json: "' \
    several.asl.json --input-file "$tmp/bad.json"
both "--history with several inputs: a usage error" \
    '[ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && stderr_has "holds 3 JSON values .*--history takes one execution"' \
    several.asl.json --input-file "$tmp/lines.json" --history "$tmp/h.json"
both "--bench with several inputs: a usage error" \
    '[ "$rc" = 2 ] && stderr_has "--bench takes one execution"' \
    several.asl.json --input-file "$tmp/lines.json" --bench 2

# ---- usage errors: exit 2, the state named ------------------------------
usage() { # DESC ERE DEF ARGS...
    local desc=$1 ere=$2
    shift 2
    both "$desc" '[ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && stderr_has "$ere"' "$@"
}
usage "--override-task: an unknown state, with the one meant" \
    "--override-task: no state named 'In mpa' \\(did you mean 'In map'\\?\\)" \
    flow.asl.json --override-task "In mpa:$got"
usage "--override-task: not a Task state" \
    "--override-task: state 'Pause' is a Wait state, not a Task state" \
    flow.asl.json --override-task "Pause:$got"
usage "--override-task: a program that cannot run" \
    "--override-task: cannot run '$tmp/nothing.sh' for state 'Start'" \
    flow.asl.json --override-task "Start:$tmp/nothing.sh"
usage "--override-task without a program" "bad --override-task 'Start' \\(expected STATE:PROGRAM\\)" \
    flow.asl.json --override-task Start
usage "--override-wait: an unknown state, with the one meant" \
    "--override-wait: no state named 'Puase' \\(did you mean 'Pause'\\?\\)" \
    flow.asl.json --override-wait Puase:10
usage "--override-wait: not a Wait state" \
    "--override-wait: state 'Each' is a Map state, not a Wait state" \
    flow.asl.json --override-wait Each:10
usage "--override-wait: a bad MS" "bad --override-wait 'Pause:-5': '-5' is not a number of milliseconds" \
    flow.asl.json --override-wait Pause:-5
usage "--override-wait: MS missing" "bad --override-wait 'Pause' \\(expected STATE:MS\\)" \
    flow.asl.json --override-wait Pause
usage "--override-retry: a state without Retry" "--override-retry: state 'Start' has no Retry" \
    flow.asl.json --override-retry Start:10
usage "--override-retry: a list of the wrong length" \
    "--override-retry: state 'Flaky' has 2 retriers, but '1,2,3' gives 3 intervals" \
    flow.asl.json --override-retry Flaky:1,2,3
usage "--override-retry: a bad MS in the list" "bad --override-retry 'Flaky:1,x': 'x' is not" \
    flow.asl.json --override-retry Flaky:1,x
usage "--context: not JSON" "bad --context: not valid JSON \\(line 1, column" \
    context.asl.json --context '{"Execution":'
usage "--context: not an object" "bad --context: expected a JSON object" context.asl.json --context '[]'
usage "--context: State is the engine's" "bad --context: \\\$\\\$.State is set by the engine" \
    context.asl.json --context '{"State": {"Name": "x"}}'
usage "--context: a misspelt field, with the one meant" \
    "bad --context: Execution has no field 'Nmae' \\(did you mean 'Name'\\?\\)" \
    context.asl.json --context '{"Execution": {"Nmae": "x"}}'
usage "--context: AWS's shapes kept" "bad --context: Execution.StartTime 'soon' is not an ISO-8601" \
    context.asl.json --context '{"Execution": {"StartTime": "soon"}}'
usage "--context and --context-file together" "give --context or --context-file, not both" \
    context.asl.json --context '{}' --context-file "$tmp/ctx.json"
usage "--context-file missing" "--context-file '$tmp/none.json': No such file" \
    context.asl.json --context-file "$tmp/none.json"
run "$aslc" run --diagnostics-format=json "$dir/context.asl.json" --context '{"Execution":'
expect "aslc run --diagnostics-format=json: a bad --context is a JSON diagnostic, as other option errors" \
    eval '[ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && cp "$tmp/err" "$tmp/out" && py "o[\"errors\"] == 1 and
        o[\"diagnostics\"][0][\"message\"].startswith(\"bad --context: not valid JSON\")"'
run "$aslc" run --diagnostics-format=json "$dir/flow.asl.json" --override-retry Flaky:x
expect "aslc run --diagnostics-format=json: a bad --override-retry value likewise" \
    eval '[ "$rc" = 2 ] && cp "$tmp/err" "$tmp/out" && py "o[\"diagnostics\"][0][\"message\"].startswith(\"bad --override-retry\")"'

# ---- the help -----------------------------------------------------------
run "$aslc" run --help
expect "aslc run --help lists the override and context options" \
    eval '[ "$rc" = 0 ] && grep -q -- "--override-task STATE:PROGRAM" "$tmp/out" &&
          grep -q -- "--override-wait STATE:MS" "$tmp/out" &&
          grep -q -- "--override-retry STATE:MS" "$tmp/out" &&
          grep -q -- "--context JSON | --context-file FILE" "$tmp/out"'

finish

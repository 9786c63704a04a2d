#!/bin/bash
# run-callback.sh - callback tasks (.waitForTaskToken) from the command line:
# handler programs that complete their task with `aslc send-task-*` or with
# the workflow program's own subcommands, callbacks sent later by this
# script (heartbeats, a Map completed in reverse order), timeouts, and the
# errors and exit codes the senders get.  Definitions and handlers are in
# tests/callback/.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/cli/lib.sh"
dir=$top_srcdir/tests/callback
bindings=$dir/bindings.json

# The sockets go to a directory of this test's own.
export XDG_RUNTIME_DIR=$tmp/xdg
mkdir -m 700 "$XDG_RUNTIME_DIR"
export CALLBACK_DIR=$tmp/tokens
mkdir "$CALLBACK_DIR"
export CALLBACK_CLI=$aslc

# wait_token I: waits (up to 20 s) for the token of iteration I and prints it.
wait_token() {
    local k=0
    while [ ! -s "$CALLBACK_DIR/token.$1" ] && [ "$k" -lt 200 ]; do
        sleep 0.1
        k=$((k + 1))
    done
    cat "$CALLBACK_DIR/token.$1" 2>/dev/null
}

# no_sockets: the executions left no socket behind.
no_sockets() {
    [ -z "$(find "$XDG_RUNTIME_DIR" -name 'cb-*.sock' 2>/dev/null)" ]
}

input() { # input DO TIMEOUT HEARTBEAT
    printf '{"do": "%s", "timeout": %s, "heartbeat": %s}' "$1" "$2" "$3"
}

# The AWS CLI's line for a refused call: aws_error CODE OPERATION MESSAGE.
aws_error() {
    printf 'An error occurred (%s) when calling the %s operation: %s' "$1" "$2" "$3"
}
timed_out_message="Task Timed Out: 'Provided task does not exist anymore'"

# ---- the handler completes its own task ---------------------------------
run "$aslc" run "$dir/callback.asl.json" --bindings "$bindings" --input "$(input success 30 10)"
want='{"do": "success", "timeout": 30, "heartbeat": 10, "approval": {"from": "handler"}}'
expect "send-task-success from the handler: its output is the result" \
    eval '[ "$rc" = 0 ] && output_is "$want"'
run "$aslc" run "$dir/callback.asl.json" --bindings "$bindings" --input "$(input fail 30 10)"
expect "send-task-failure from the handler: Error and Cause reach the Catch" \
    eval '[ "$rc" = 0 ] &&
          grep -Eq "\"rejected\": *\{\"Error\": *\"Rejected\", *\"Cause\": *\"no way\"\}" "$tmp/out"'
run "$aslc" run "$dir/callback.asl.json" --bindings "$bindings" --input "$(input twice 30 10)"
expect "a token used twice: the first call counts" \
    eval '[ "$rc" = 0 ] && grep -q "\"approval\": *1" "$tmp/out"'
expect "a token used twice: the second call exits 254 with AWS's TaskTimedOut" \
    eval '[ "$(cat "$CALLBACK_DIR/twice.rc")" = 254 ] &&
          grep -qxF "$(aws_error TaskTimedOut SendTaskSuccess "$timed_out_message")" \
              "$CALLBACK_DIR/twice.err"'
expect "the executions removed their sockets" no_sockets

# ---- callbacks that come later -----------------------------------------
# Heartbeats every 0.5 s keep a task with HeartbeatSeconds 2 alive for 2.5 s;
# output that is not JSON is refused on the way; then --task-output file://.
printf '{"late": true}' >"$tmp/late.json"
(
    token=$(wait_token 0)
    "$aslc" send-task-success --task-token "$token" --task-output 'not JSON' \
        >"$tmp/bad-output.out" 2>"$tmp/bad-output.err"
    echo $? >"$tmp/bad-output.rc"
    for _ in 1 2 3 4 5; do
        "$aslc" send-task-heartbeat --task-token "$token" || echo failed >>"$tmp/beats.err"
        sleep 0.5
    done
    "$aslc" send-task-success --task-token "$token" --task-output "file://$tmp/late.json"
    echo $? >"$tmp/late.rc"
) &
run "$aslc" run "$dir/callback.asl.json" --bindings "$bindings" --input "$(input record 30 2)"
wait
expect "heartbeats keep the task alive past HeartbeatSeconds; the late output is the result" \
    eval '[ "$rc" = 0 ] && grep -q "\"approval\": *{\"late\": *true}" "$tmp/out" &&
          [ ! -e "$tmp/beats.err" ] &&
          [ "$(cat "$tmp/late.rc")" = 0 ]'
expect "output that is not JSON: exit 254, InvalidOutput" \
    eval '[ "$(cat "$tmp/bad-output.rc")" = 254 ] && [ ! -s "$tmp/bad-output.out" ] &&
          grep -qF "$(aws_error InvalidOutput SendTaskSuccess "Invalid Output: ")" \
              "$tmp/bad-output.err"'
token=$(cat "$CALLBACK_DIR/token.0")
run "$aslc" send-task-heartbeat --task-token "$token"
expect "a token of an execution that has ended: exit 254, TaskTimedOut" \
    eval '[ "$rc" = 254 ] &&
          grep -qxF "$(aws_error TaskTimedOut SendTaskHeartbeat "$timed_out_message")" "$tmp/err"'
rm -f "$CALLBACK_DIR"/token.*

# ---- clients that connect and say nothing ---------------------------------
# Idle connections to the execution's socket (three, then more than the
# listener keeps) must not hold up a real heartbeat or the success after it.
cat >"$tmp/idle.py" <<'END'
import socket, sys, time
socks = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    socks.append(s)
open(sys.argv[3], "w").write("connected\n")
time.sleep(3600)
END
if [ "$have_python" = yes ]; then
    timeout "${ASLC_TEST_TIMEOUT:-120}" "$aslc" run "$dir/callback.asl.json" --bindings "$bindings" \
        --input "$(input record 600 600)" >"$tmp/idle.out" 2>"$tmp/idle.err" &
    pid=$!
    token=$(wait_token 0)
    sock=$(find "$XDG_RUNTIME_DIR" -name 'cb-*.sock' | head -n 1)
    for idle in 3 100; do
        rm -f "$tmp/idle.ready"
        "$PYTHON3" "$tmp/idle.py" "$sock" "$idle" "$tmp/idle.ready" &
        idle_pid=$!
        while [ ! -e "$tmp/idle.ready" ] && kill -0 "$idle_pid" 2>/dev/null; do
            sleep 0.1
        done
        run "$aslc" send-task-heartbeat --task-token "$token"
        expect "a heartbeat gets through while $idle idle clients are connected" \
            eval '[ "$rc" = 0 ] && [ -e "$tmp/idle.ready" ]'
        [ "$idle" = 100 ] || kill "$idle_pid" 2>/dev/null
    done
    run "$aslc" send-task-success --task-token "$token" --task-output '{"idle": "ignored"}'
    kill "$idle_pid" 2>/dev/null
    wait "$pid"
    rc=$?
    expect "... and so does the success: the execution ends with its output" \
        eval '[ "$rc" = 0 ] && grep -q "\"idle\": *\"ignored\"" "$tmp/idle.out" && no_sockets'
    rm -f "$CALLBACK_DIR"/token.*
fi

# ---- timeouts ---------------------------------------------------------------
run "$aslc" run "$dir/callback.asl.json" --bindings "$bindings" --input "$(input record 1 99)"
expect "no callback within TimeoutSeconds: States.Timeout" \
    eval '[ "$rc" = 1 ] && error_is States.Timeout'
rm -f "$CALLBACK_DIR"/token.*
# TimeoutSeconds is an hour: only the heartbeat can end the wait.
run "$aslc" run "$dir/callback.asl.json" --bindings "$bindings" --input "$(input record 3600 1)"
expect "no heartbeat within HeartbeatSeconds: States.Timeout (as AWS reports it)" \
    eval '[ "$rc" = 1 ] && error_is States.Timeout'
rm -f "$CALLBACK_DIR"/token.*
run "$aslc" run "$dir/callback.asl.json" --bindings "$bindings" --input "$(input record 3600 600)" \
    --wait=skip
expect "--wait=skip: a timer that would expire is reported at once" \
    eval '[ "$rc" = 1 ] && error_is States.Timeout'
rm -f "$CALLBACK_DIR"/token.*
# SIGTERM while waiting: aborted, and the socket goes away.
"$aslc" run "$dir/callback.asl.json" --bindings "$bindings" --input "$(input record 600 600)" \
    >"$tmp/abort.out" 2>"$tmp/abort.err" &
pid=$!
wait_token 0 >/dev/null
kill -TERM "$pid"
wait "$pid"
rc=$?
expect "SIGTERM while a task waits: aborted (exit 4), no socket left" \
    eval '[ "$rc" = 4 ] && no_sockets'
rm -f "$CALLBACK_DIR"/token.*
# SIGHUP (the terminal closed) and SIGUSR1 the same: not killed on the spot.
for sig in HUP USR1; do
    "$aslc" run "$dir/callback.asl.json" --bindings "$bindings" --input "$(input record 600 600)" \
        >"$tmp/abort.out" 2>"$tmp/abort.err" &
    pid=$!
    wait_token 0 >/dev/null
    kill -s "$sig" "$pid"
    wait "$pid"
    rc=$?
    expect "SIG$sig while a task waits: aborted (exit 4), output written, no socket left" \
        eval '[ "$rc" = 4 ] && grep -q "aborted" "$tmp/abort.out" && no_sockets'
    rm -f "$CALLBACK_DIR"/token.*
done

# ---- a Map whose iterations wait together, completed in reverse order -------
(
    for i in 0 1 2; do wait_token "$i" >/dev/null; done
    for i in 2 1 0; do
        "$aslc" send-task-success --task-token "$(cat "$CALLBACK_DIR/token.$i")" \
            --task-output "{\"i\": $i}" || echo "failed $i" >>"$tmp/map.err"
        sleep 0.1
    done
) &
run "$aslc" run "$dir/map.asl.json" --bindings "$bindings" --threads 3 \
    --input '{"items": [0, 1, 2]}'
wait
expect "Map: three waiting iterations completed in reverse order, results in item order" \
    eval '[ "$rc" = 0 ] && output_is "[{\"i\": 0}, {\"i\": 1}, {\"i\": 2}]" &&
          [ ! -e "$tmp/map.err" ]'
rm -f "$CALLBACK_DIR"/token.*

# ---- the senders' errors and usage ---------------------------------------
run "$aslc" send-task-success --task-token garbage --task-output '{}'
expect "a malformed token: exit 254, InvalidToken" \
    eval '[ "$rc" = 254 ] &&
          grep -qxF "$(aws_error InvalidToken SendTaskSuccess "Invalid Token: '"'"'Invalid token'"'"'")" \
              "$tmp/err"'
run "$aslc" send-task-failure --task-token garbage --error E
expect "send-task-failure with a malformed token: exit 254" \
    eval '[ "$rc" = 254 ] && stderr_has "when calling the SendTaskFailure operation"'
run "$aslc" send-task-success --task-token abc
expect "send-task-success without --task-output: exit 252 naming it" \
    eval '[ "$rc" = 252 ] && stderr_has "required: --task-output"'
run "$aslc" send-task-heartbeat --task-token abc --task-output '{}'
expect "an option the command does not take: exit 252" [ "$rc" = 252 ]
run "$aslc" send-task-success --task-token abc --task-output "file://$tmp/no-such-file"
expect "--task-output file:// of a missing file: exit 252" \
    eval '[ "$rc" = 252 ] && stderr_has "no-such-file"'
run "$aslc" send-task-heartbeat --help
expect "send-task-heartbeat --help exits 0" eval '[ "$rc" = 0 ] && grep -q "task-token" "$tmp/out"'

# ---- a workflow program: same commands, same behaviour --------------------
run "$aslc" build "$dir/callback.asl.json" -o "$tmp/approve"
expect "build a definition with a callback task" eval '[ "$rc" = 0 ] && [ -x "$tmp/approve" ]'
if [ -x "$tmp/approve" ]; then
    CALLBACK_CLI=$tmp/approve run "$tmp/approve" --bindings "$bindings" \
        --input "$(input success 30 10)"
    expect "workflow program: its own send-task-success completes the task" \
        eval '[ "$rc" = 0 ] && grep -q "\"approval\": *{\"from\": *\"handler\"}" "$tmp/out"'
    run "$tmp/approve" send-task-failure --task-token garbage
    expect "workflow program: send-task-failure with a malformed token exits 254" \
        eval '[ "$rc" = 254 ] && stderr_has "InvalidToken"'
fi

# ---- a Python function completes its own task ------------------------------
if [ "$have_python" = yes ]; then
    run "$aslc" run "$dir/python.asl.json" --bindings "$bindings" --input '{"n": 41}'
    expect "a Python handler calls aslc send-task-success" \
        eval '[ "$rc" = 0 ] && output_is "{\"python\": 42}"'
fi
expect "no socket left behind" no_sockets

finish

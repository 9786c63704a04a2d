#!/bin/bash
# run-cli.sh - the command line of aslc and of the workflow binaries it
# builds: exit codes, messages, input handling, task handler failures.
# Helper definitions and handler programs are in tests/cli/.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/cli/lib.sh"
cli=$top_srcdir/tests/cli
bindings=$cli/bindings.json

# ---- aslc itself --------------------------------------------------------
run "$aslc" --help
expect "aslc --help exits 0 and prints the commands" \
    eval '[ "$rc" = 0 ] && grep -q "emit" "$tmp/out"'
run "$aslc" --version
expect "aslc --version exits 0" eval '[ "$rc" = 0 ] && [ -n "$out" ]'
run "$aslc"
expect "aslc without a command exits 2" [ "$rc" = 2 ]
run "$aslc" frobnicate "$cli/echo.asl.json"
expect "an unknown command exits 2" eval '[ "$rc" = 2 ] && [ -s "$tmp/err" ]'
run "$aslc" run "$cli/echo.asl.json" --frobnicate
expect "an unknown option exits 2" eval '[ "$rc" = 2 ] && [ -s "$tmp/err" ]'
run "$aslc" run "$cli/echo.asl.json" --wait=sometimes --input '{}'
expect "a bad --wait value exits 2" [ "$rc" = 2 ]

# One option table (getopt_long) for aslc and workflow programs: help for
# each command, a misspelt option named with the one meant, values checked
# before anything is compiled.
run "$aslc" run --help
expect "aslc run --help: run's usage with the workflow program's options, exit 0" \
    eval '[ "$rc" = 0 ] && grep -q "^usage: aslc run DEFINITION" "$tmp/out" &&
          grep -q -- "--mock-config" "$tmp/out" && [ ! -s "$tmp/err" ]'
cp "$tmp/out" "$tmp/run-help"
run "$aslc" help run
expect "aslc help run: the same as aslc run --help" \
    eval '[ "$rc" = 0 ] && cmp -s "$tmp/out" "$tmp/run-help"'
run "$aslc" help serve
expect "aslc help serve: serve's own usage" eval '[ "$rc" = 0 ] && grep -q -- "--port" "$tmp/out"'
run "$aslc" check --help
expect "aslc check --help: the usage, exit 0" eval '[ "$rc" = 0 ] && grep -q "^usage: aslc" "$tmp/out"'
run "$aslc" -V
expect "aslc -V: the version" eval '[ "$rc" = 0 ] && grep -q "^aslc " "$tmp/out"'
run "$aslc" run "$cli/echo.asl.json" --bindigns "$bindings"
expect "a misspelt option is named, with the one meant" \
    eval '[ "$rc" = 2 ] && stderr_has "^aslc run: unknown option .--bindigns. \\(did you mean .--bindings.\\?\\)\$" &&
          stderr_has "^Try .aslc run --help.\.\$"'
run "$aslc" run "$cli/echo.asl.json" --inp '{}'
expect "an ambiguous abbreviation is refused" eval '[ "$rc" = 2 ] && stderr_has "ambiguous option .--inp."'
run "$aslc" run "$cli/echo.asl.json" --bind "$bindings" --input '{"x": 1}'
expect "an unambiguous abbreviation is the option (getopt_long)" \
    eval '[ "$rc" = 0 ] && output_is "{\"x\": 1}"'
run "$aslc" run "$cli/echo.asl.json" --input
expect "an option without its value" eval '[ "$rc" = 2 ] && stderr_has "option .--input. needs a value"'
run "$aslc" check "$cli/echo.asl.json" -O5
expect "-O5 is refused" eval '[ "$rc" = 2 ] && stderr_has "-O0, -O1, -O2 or -O3"'
run "$aslc" check "$cli/echo.asl.json" "$cli/wait.asl.json"
expect "a second definition is an unexpected argument" \
    eval '[ "$rc" = 2 ] && stderr_has "unexpected argument"'
run "$aslc" run "$cli/echo.asl.json" --diagnostics-format=json --threads abc
expect "--diagnostics-format=json: a bad workflow option value is the one document's record" \
    eval '[ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
          grep -q "\"errors\":1" "$tmp/err" && grep -q "bad --threads value" "$tmp/err"'

# Colours: on a terminal (GCC's), never with NO_COLOR, --color decides alone.
esc=$(printf '\033')
run "$aslc" check "$cli/bad-next.asl.json" --color=always
expect "--color=always paints the severity (bold red) and the caret" \
    eval '[ "$rc" = 1 ] && grep -q "${esc}\[1;31merror:${esc}\[0m" "$tmp/err" &&
          grep -q "${esc}\[1;32m^" "$tmp/err"'
run "$aslc" check "$cli/bad-next.asl.json"
expect "no colours into a file or pipe" eval '[ "$rc" = 1 ] && ! grep -q "$esc" "$tmp/err"'
run "$aslc" check "$cli/bad-next.asl.json" --color=sometimes
expect "a bad --color value" eval '[ "$rc" = 2 ] && stderr_has "auto, always or never"'
if command -v script >/dev/null 2>&1; then
    # A terminal that shows colours, whatever the caller's TERM and NO_COLOR.
    export TERM=xterm
    unset NO_COLOR
    script -qec "$aslc check $cli/bad-next.asl.json" /dev/null >"$tmp/tty" 2>&1
    expect "colours on a terminal" grep -q "${esc}\[1;31merror:" "$tmp/tty"
    TERM=dumb script -qec "$aslc check $cli/bad-next.asl.json" /dev/null >"$tmp/tty" 2>&1
    expect "TERM=dumb: none on a terminal" eval 'grep -q "error:" "$tmp/tty" && ! grep -q "$esc" "$tmp/tty"'
    NO_COLOR=1 script -qec "$aslc check $cli/bad-next.asl.json" /dev/null >"$tmp/tty" 2>&1
    expect "NO_COLOR: none on a terminal" eval 'grep -q "error:" "$tmp/tty" && ! grep -q "$esc" "$tmp/tty"'
    NO_COLOR=1 script -qec "$aslc check $cli/bad-next.asl.json --color=always" /dev/null \
        >"$tmp/tty" 2>&1
    expect "--color=always wins over NO_COLOR" grep -q "${esc}\[1;31merror:" "$tmp/tty"
fi

# ---- check --------------------------------------------------------------
run "$aslc" check "$cli/echo.asl.json"
expect "check: a valid definition exits 0" [ "$rc" = 0 ]
run "$aslc" check "$cli/malformed.asl.json"
expect "check: malformed JSON exits 1 with file:line:col" \
    eval '[ "$rc" = 1 ] && stderr_has "malformed\.asl\.json:5:[0-9]+: error: "'
run "$aslc" check "$cli/bad-next.asl.json"
expect "check: Next to a missing state exits 1 with line:col and JSON pointer" \
    eval '[ "$rc" = 1 ] && stderr_has "bad-next\.asl\.json:7:15: error: .*\[/States/First/Next\]"'
expect "check: the diagnostic shows the source line and a caret" \
    eval 'grep -q "\"Next\": \"Nowhere\"" "$tmp/err" && stderr_has "^ *[0-9]* *\| *\^"'

# ---- emit ---------------------------------------------------------------
run "$aslc" emit "$cli/task-lambda-error.asl.json"
expect "emit: the default prefix is the file name as a C identifier" \
    eval '[ "$rc" = 0 ] && grep -q "const aslrt_machine task_lambda_error_machine" "$tmp/out"'
run "$aslc" emit "$cli/echo.asl.json" --prefix wf --main -o "$tmp/wf.c"
expect "emit --main -o writes a file with main()" \
    eval '[ "$rc" = 0 ] && grep -q "wf_machine" "$tmp/wf.c" && grep -q "aslrt_main" "$tmp/wf.c"'
# shellcheck disable=SC2046,SC2086  # word lists
run "${CC:-cc}" -std=c11 $sanitize_flags -I"$ASLC_INCLUDE_DIR" -o "$tmp/wf" "$tmp/wf.c" \
    "$ASLC_LIB_DIR/libaslrt.a" $(pkg-config --cflags --libs jansson libcrypto libpcre2-8 libxml-2.0) \
    $(pkg-config --libs libcurl 2>/dev/null) -lpthread -lm
expect "emit --main: the file alone compiles to a workflow program" \
    eval '[ "$rc" = 0 ] && [ -x "$tmp/wf" ]'
if [ -x "$tmp/wf" ]; then
    run "$tmp/wf" --input '{"emitted": 1}'
    expect "emit --main: the program runs" eval '[ "$rc" = 0 ] && output_is "{\"emitted\": 1}"'
fi

# ---- run: input ---------------------------------------------------------
run "$aslc" run "$cli/echo.asl.json" --input '{"a": [1, 2.5, "x"]}'
expect "run --input: output on stdout, exit 0" \
    eval '[ "$rc" = 0 ] && output_is "{\"a\": [1, 2.5, \"x\"]}"'
printf '{"from": "a file"}' >"$tmp/input.json"
run "$aslc" run "$cli/echo.asl.json" --input-file "$tmp/input.json"
expect "run --input-file" eval '[ "$rc" = 0 ] && output_is "{\"from\": \"a file\"}"'
printf '{"from": "stdin"}\n' >"$tmp/stdin.json"
run_in "$tmp/stdin.json" "$aslc" run "$cli/echo.asl.json"
expect "run: input from stdin" eval '[ "$rc" = 0 ] && output_is "{\"from\": \"stdin\"}"'
run "$aslc" run "$cli/echo.asl.json" --input 'not JSON'
expect "run: --input that is not JSON exits 2 with a message" \
    eval '[ "$rc" = 2 ] && [ -s "$tmp/err" ] && [ -z "$out" ]'
run "$aslc" run "$cli/echo.asl.json" --input-file "$tmp/no-such-file.json"
expect "run: a missing input file exits 2 naming it" \
    eval '[ "$rc" = 2 ] && grep -q "no-such-file.json" "$tmp/err"'
run "$aslc" run "$cli/context.asl.json" --name cli-test --input '{"k": 1}'
expect "run --name sets \$\$.Execution.Name" \
    eval '[ "$rc" = 0 ] && output_is "{\"name\": \"cli-test\", \"input\": {\"k\": 1}}"'

# ---- run: definitions that cannot run -----------------------------------
run "$aslc" run "$cli/malformed.asl.json" --input '{}'
expect "run: malformed JSON definition exits 2 with file:line:col" \
    eval '[ "$rc" = 2 ] && stderr_has "malformed\.asl\.json:5:[0-9]+: error: "'
run "$aslc" run "$cli/bad-next.asl.json" --input '{}'
expect "run: an invalid definition exits 2" \
    eval '[ "$rc" = 2 ] && stderr_has "\[/States/First/Next\]"'
run "$aslc" run "$tmp/no-such-definition.asl.json" --input '{}'
expect "run: a missing definition file exits 2" [ "$rc" = 2 ]

# ---- diagnostics: --diagnostics-format=json, -Werror, carets ------------
# diag_doc CHECK: stderr is one JSON document of diagnostics (errors and
# warnings count its records) and the Python expression CHECK holds of it
# (d: the document, r: its records).  Without Python: one line, braces.
diag_doc() {
    if [ "$have_python" != yes ]; then
        [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q '^{"diagnostics":' "$tmp/err"
        return
    fi
    "$PYTHON3" -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
d = json.loads(lines[0]) if len(lines) == 1 else sys.exit(1)
r = d["diagnostics"]
assert d["errors"] == sum(x["severity"] == "error" for x in r)
assert d["warnings"] == sum(x["severity"] == "warning" for x in r)
for x in r:
    assert set(x) >= {"severity", "code", "message", "file", "line", "column", "pointer"}
sys.exit(0 if eval(sys.argv[2]) else 1)
' "$tmp/err" "$1" 2>/dev/null
}
diagdir=$top_srcdir/tests/diagnostics
run "$aslc" check "$cli/bad-next.asl.json" --diagnostics-format=json
expect "--diagnostics-format=json: the errors with line, column and pointer, exit 1" \
    eval '[ "$rc" = 1 ] && diag_doc "any(x[\"pointer\"] == \"/States/First/Next\" and
          x[\"line\"] == 7 and x[\"column\"] == 15 and x[\"severity\"] == \"error\" and
          x[\"code\"] == \"MISSING_TRANSITION_TARGET\" for x in r)"'
run "$aslc" check "$cli/echo.asl.json" --diagnostics-format=json
expect "--diagnostics-format=json: a valid definition gives an empty list, exit 0" \
    eval '[ "$rc" = 0 ] && [ "$(cat "$tmp/err")" = "{\"diagnostics\":[],\"errors\":0,\"warnings\":0}" ]'
run "$aslc" check "$diagdir/duplicate-key-warning.asl.json" --diagnostics-format=json
expect "--diagnostics-format=json: a duplicate key is a warning, exit 0" \
    eval '[ "$rc" = 0 ] && diag_doc "d[\"warnings\"] == 1 and d[\"errors\"] == 0"'
run "$aslc" check "$tmp/no-such-definition.asl.json" --diagnostics-format=json
expect "--diagnostics-format=json: an unreadable file is a record without a line, exit 2" \
    eval '[ "$rc" = 2 ] && diag_doc "d[\"errors\"] == 1 and r[0][\"line\"] is None"'
run "$aslc" run "$cli/echo.asl.json" --diagnostics-format=json --input '{"j": 1}'
expect "run --diagnostics-format=json: the output on stdout, the document on stderr" \
    eval '[ "$rc" = 0 ] && output_is "{\"j\": 1}" && diag_doc "not r"'
run "$aslc" check "$diagdir/duplicate-key-warning.asl.json" -Werror
expect "-Werror: a warning is an error, exit 1" \
    eval '[ "$rc" = 1 ] && stderr_has ":4:46: error: duplicate object key"'
run "$aslc" emit "$diagdir/duplicate-key-warning.asl.json" -Werror --diagnostics-format=json
expect "emit -Werror: no C, exit 2, the error in the document" \
    eval '[ "$rc" = 2 ] && [ -z "$out" ] && diag_doc "d[\"errors\"] == 1 and d[\"warnings\"] == 0"'
run "$aslc" check "$cli/echo.asl.json" -Werror
expect "-Werror: a definition without warnings passes" eval '[ "$rc" = 0 ] && [ ! -s "$tmp/err" ]'
# Every error of the command is in the one document, counted, and nothing
# is printed in text on top.
run "$aslc" check --frobnicate "$cli/echo.asl.json" --diagnostics-format=json
expect "--diagnostics-format=json: an unknown option before it is a record, exit 2" \
    eval '[ "$rc" = 2 ] && diag_doc "d[\"errors\"] == 1 and \"frobnicate\" in r[0][\"message\"]"'
printf '{"Bindings": 3}' >"$tmp/bad-bindings.json"
run "$aslc" run "$cli/echo.asl.json" --diagnostics-format=json --bindings "$tmp/bad-bindings.json" \
    --input '{}'
expect "run --diagnostics-format=json: a bad bindings file is a record about it, exit 2" \
    eval '[ "$rc" = 2 ] && [ -z "$out" ] && diag_doc "(d[\"errors\"] == 1 and
          r[0][\"file\"].endswith(\"bad-bindings.json\") and \"/Bindings\" in r[0][\"message\"])"'
run "$aslc" run "$cli/echo.asl.json" --diagnostics-format=json --bindings "$tmp/none.json"
expect "run --diagnostics-format=json: a missing bindings file is a record, exit 2" \
    eval '[ "$rc" = 2 ] && diag_doc "d[\"errors\"] == 1 and r[0][\"file\"].endswith(\"none.json\")"'
run "$aslc" build "$cli/echo.asl.json" -o "$tmp/never" --bindings "$tmp/bad-bindings.json" \
    --diagnostics-format=json
expect "build --diagnostics-format=json: a bad bindings file is a record, exit 2" \
    eval '[ "$rc" = 2 ] && [ ! -e "$tmp/never" ] && diag_doc "d[\"errors\"] == 1"'

run "$aslc" run "$cli/echo.asl.json" --diagnostics-format=json --input '{bad'
expect "run --diagnostics-format=json: input that is not JSON is a record, exit 2" \
    eval '[ "$rc" = 2 ] && [ -z "$out" ] && diag_doc "(d[\"errors\"] == 1 and
          \"not valid JSON\" in r[0][\"message\"])"'
run "$aslc" run "$cli/echo.asl.json" --diagnostics-format=json --input-file "$tmp/none.json"
expect "run --diagnostics-format=json: an unreadable input file is a record, exit 2" \
    eval '[ "$rc" = 2 ] && diag_doc "d[\"errors\"] == 1 and r[0][\"file\"].endswith(\"none.json\")"'

# ---- --prefix: only what can begin C names --------------------------------
for p in 'x; int y' '_x' '9x' 'aslrt' 'aslc_child_0' ''; do
    run "$aslc" emit "$cli/echo.asl.json" --prefix "$p"
    expect "emit --prefix '$p' is refused, exit 2, no C" \
        eval '[ "$rc" = 2 ] && [ -z "$out" ] && stderr_has "--prefix"'
done
run "$aslc" emit "$cli/echo.asl.json" --prefix 'x; int y' --diagnostics-format=json
expect "emit --prefix refused, as a record of the json document" \
    eval '[ "$rc" = 2 ] && [ -z "$out" ] && diag_doc "d[\"errors\"] == 1"'
run "$aslc" emit "$cli/echo.asl.json" --prefix Order_2
expect "emit --prefix Order_2 names Order_2_machine" \
    eval '[ "$rc" = 0 ] && grep -q "const aslrt_machine Order_2_machine" "$tmp/out"'

# ---- binding URLs: a password is never printed ---------------------------
printf '{"arn:aws:lambda:*": {"http": "http://user:s3cr3t@127.0.0.1:1"}}' >"$tmp/pw.json"
run "$aslc" run "$cli/echo.asl.json" --bindings "$tmp/pw.json" --input '{}'
expect "a binding URL with a password is refused without showing it" \
    eval '[ "$rc" = 2 ] && stderr_has "http://\*\*\*@127.0.0.1:1" && ! grep -q s3cr3t "$tmp/err"'
printf '{"arn:aws:lambda:*": {"http": "http://user:s3/cr3t@bad host"}}' >"$tmp/pw.json"
run "$aslc" run "$cli/echo.asl.json" --bindings "$tmp/pw.json" --input '{}'
expect "a binding URL that is no URL is refused without its password" \
    eval '[ "$rc" = 2 ] && stderr_has "not a URL" && ! grep -q cr3t "$tmp/err"'
run "$aslc" run "$cli/echo.asl.json" --bindings "$tmp/pw.json" --diagnostics-format=json
expect "... nor in the json document" \
    eval '[ "$rc" = 2 ] && diag_doc "d[\"errors\"] == 1" && ! grep -q cr3t "$tmp/err"'
printf '{"Endpoints": {"sqs": "http://user:s3cr3t@127.0.0.1:1"}}' >"$tmp/pw.json"
run "$aslc" run "$cli/echo.asl.json" --bindings "$tmp/pw.json" --input '{}'
expect "an Endpoints URL with a password is refused without showing it" \
    eval '[ "$rc" = 2 ] && stderr_has "credentials do not belong" && ! grep -q s3cr3t "$tmp/err"'

# Every diagnostic of the diagnostics corpus has file:line:col, then its
# source line and a caret; in JSON, a line and a column.
nocaret=
for def in "$diagdir"/*.asl.json; do
    "$aslc" check --max-errors=0 "$def" 2>"$tmp/diag.txt" >/dev/null
    awk '/: (error|warning|note): / {
             if ($0 !~ /^[^ ]+:[0-9]+:[0-9]+: /) { print; next }
             getline src; getline caret
             if (src !~ /^ *[0-9]+ \| / || caret !~ /^ *\| *\^$/) print }' \
        "$tmp/diag.txt" >>"$tmp/nocaret"
    "$aslc" check --max-errors=0 --diagnostics-format=json "$def" 2>"$tmp/err" >/dev/null
    diag_doc "all(x[\"line\"] and x[\"column\"] for x in r)" || nocaret="$nocaret $def"
done
expect "every diagnostic of tests/diagnostics has a line, a column and a caret" \
    eval '[ ! -s "$tmp/nocaret" ] && [ -z "$nocaret" ]'

# ---- run: states and tasks ----------------------------------------------
# The Wait is 100000 s: that the run ends at all shows it was skipped.
run "$aslc" run "$cli/wait.asl.json" --wait=skip --input '{"w": true}'
expect "run --wait=skip: a Wait of 100000 s finishes at once" \
    eval '[ "$rc" = 0 ] && output_is "{\"w\": true}"'
# SIGTERM stops a waiting execution: ABORTED, exit 4 (its Wait would last
# 100000 s).
"$aslc" run "$cli/wait.asl.json" --input '{}' >"$tmp/abort.out" 2>"$tmp/abort.err" &
pid=$!
sleep 1
kill -TERM "$pid"
wait "$pid"
rc=$?
expect "run: SIGTERM aborts the execution with exit 4" \
    eval '[ "$rc" = 4 ]'
# ... and one whose task handler is running: the handler is stopped too.
SLEEP_PIDFILE=$tmp/sleep.pid "$aslc" run "$cli/task-sleep.asl.json" --bindings "$bindings" \
    --input '{}' >"$tmp/abort.out" 2>"$tmp/abort.err" &
pid=$!
sleep 1
kill -TERM "$pid"
wait "$pid"
rc=$?
expect "run: SIGTERM during a task aborts at once and stops its handler" \
    eval '[ "$rc" = 4 ] && [ -s "$tmp/sleep.pid" ] &&
          ! kill -0 "$(cat "$tmp/sleep.pid")" 2>/dev/null'
# ---- run: stopping handlers that never return ----------------------------
# Each handler (tests/cli/hang.sh) notes its pid in $tmp/hang.pids and
# sleeps for ever: a run that is stopped ends only if it stops them.  Runs
# get the usual time limit, by SIGKILL (a run that ignores SIGTERM must not
# hang `make check`).

# hang_start DEF THREADS INPUT N: starts DEF (a definition in tests/cli, or
# a workflow program) in the background and waits until N of its handlers
# run (or the run has ended); $hang_pid is the run.
hang_start() {
    : >"$tmp/hang.pids"
    : >"$tmp/hang.hist"
    local cmd=("$aslc" run "$cli/$1")
    [ -x "$1" ] && cmd=("$1")
    HANG_PIDS=$tmp/hang.pids timeout -s KILL "${ASLC_TEST_TIMEOUT:-120}" "${cmd[@]}" \
        --bindings "$bindings" --threads "$2" --input "$3" --history "$tmp/hang.hist" \
        >"$tmp/hang.out" 2>"$tmp/hang.err" &
    hang_timeout=$!
    while [ "$(wc -l <"$tmp/hang.pids")" -lt "$4" ] && kill -0 "$hang_timeout" 2>/dev/null; do
        sleep 0.1
    done
    hang_pid=$(children_of "$hang_timeout")
}

# hang_stop SIGNAL...: sends the signals to the run and waits for its end.
hang_stop() {
    local sig
    for sig in "$@"; do
        kill -s "$sig" "$hang_pid"
    done
    wait "$hang_timeout" 2>/dev/null
    rc=$?
}

# handlers_alive: the pids of hang.pids that still run (a zombie has ended).
handlers_alive() {
    local p
    for p in $(cat "$tmp/hang.pids"); do
        if kill -0 "$p" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]; then
            echo "$p"
        fi
    done
}

# aborted_cleanly N: the run ended as aborted (exit 4, its Cause on stdout,
# its history written) with N handlers started, none of them left.
aborted_cleanly() {
    [ "$rc" = 4 ] && [ "$(wc -l <"$tmp/hang.pids")" = "$1" ] && [ -z "$(handlers_alive)" ] &&
        grep -q '"The execution was aborted"' "$tmp/hang.out" &&
        grep -q '"ExecutionAborted"' "$tmp/hang.hist"
}

# hang_cleanup: ends the handlers a failed case left behind.
hang_cleanup() {
    local p
    for p in $(handlers_alive); do
        kill -KILL "$p" 2>/dev/null
    done
}

hang_start map-hang.asl.json 2 '{"items": [1, 2]}' 2
hang_stop TERM
expect "run: SIGTERM stops a Map whose iterations are in their handlers (exit 4, handlers ended)" \
    aborted_cleanly 2
hang_cleanup
hang_start map-hang.asl.json 1 '{"items": [1, 2]}' 1
hang_stop INT
expect "run: SIGINT stops a Map on one thread inside its handler" aborted_cleanly 1
hang_cleanup
hang_start map-hang-worker.asl.json 2 '{"items": [1, 2]}' 2
hang_stop TERM
expect "run: SIGTERM stops a Map inside \"worker\": true handlers" aborted_cleanly 2
hang_cleanup
hang_start map-hang-distributed.asl.json 2 '{"items": [1, 2]}' 2
hang_stop TERM
expect "run: SIGTERM stops a distributed Map inside its handlers" aborted_cleanly 2
hang_cleanup
# Signals whose default would kill the run without cleanup stop it as
# SIGTERM does; SIGPIPE (sent first, delivered first) does nothing.
for sig in HUP USR1 USR2 ALRM; do
    hang_start map-hang.asl.json 2 '{"items": [1]}' 1
    hang_stop "$sig"
    expect "run: SIG$sig aborts the execution cleanly (output, history, handler ended)" \
        aborted_cleanly 1
    hang_cleanup
done
hang_start map-hang.asl.json 2 '{"items": [1]}' 1
hang_stop PIPE TERM
expect "run: SIGPIPE does not kill the run" aborted_cleanly 1
hang_cleanup

# A workflow program behaves the same.
run "$aslc" build "$cli/map-hang.asl.json" -o "$tmp/map-hang"
expect "build a Map whose handlers never return" eval '[ "$rc" = 0 ] && [ -x "$tmp/map-hang" ]'
if [ -x "$tmp/map-hang" ]; then
    for sig in TERM HUP; do
        hang_start "$tmp/map-hang" 2 '{"items": [1, 2]}' 2
        hang_stop "$sig"
        expect "workflow program: SIG$sig stops a Map inside its handlers" aborted_cleanly 2
        hang_cleanup
    done
fi

# kill -9 leaves no handler behind: each dies with the workflow process,
# also when the thread that started it (a Map's) has ended.  The check
# waits for them (up to the time limit): init reaps them when it will.
for def in map-hang.asl.json map-hang-worker.asl.json "$tmp/map-hang"; do
    hang_start "$def" 2 '{"items": [1, 2]}' 2
    hang_stop KILL
    k=0
    while [ -n "$(handlers_alive)" ] && [ "$k" -lt $((${ASLC_TEST_TIMEOUT:-120} * 10)) ]; do
        sleep 0.1
        k=$((k + 1))
    done
    expect "run: kill -9 of the workflow ends its handlers too (${def##*/})" \
        eval '[ "$(wc -l <"$tmp/hang.pids")" = 2 ] && [ -z "$(handlers_alive)" ]'
    hang_cleanup
done

run "$aslc" run "$cli/fail.asl.json" --input '{}'
expect "run: a Fail state exits 1 with its Error and Cause" \
    eval '[ "$rc" = 1 ] && output_is "{\"Error\": \"Order.Rejected\", \"Cause\": \"the order was rejected\"}"'
run "$aslc" run "$cli/task-echo-event.asl.json" --bindings "$bindings" --input '{"n": 7}'
expect "run: a program handler (first matching binding wins)" \
    eval '[ "$rc" = 0 ] && output_is "{\"handled\": {\"n\": 7}}"'
run "$aslc" run "$cli/task-lambda-error.asl.json" --bindings "$bindings" --input '{}'
expect "run: a Lambda-style error becomes Error and Cause" \
    eval '[ "$rc" = 1 ] && error_is OrderError && [ -n "$(json_field "$out" Cause | grep "no such order")" ]'
run "$aslc" run "$cli/task-unbound.asl.json" --bindings "$bindings" --input '{}'
expect "run: an unbound resource fails naming the resource" \
    eval '[ "$rc" = 1 ] && [ -n "$(json_field "$out" Error)" ] && grep -q "function:Unbound" "$tmp/out"'
run "$aslc" run "$cli/task-unbound.asl.json" --input '{}'
expect "run: without --bindings a Task fails naming the resource" \
    eval '[ "$rc" = 1 ] && grep -q "function:Unbound" "$tmp/out"'
run "$aslc" run "$cli/task-crash.asl.json" --bindings "$bindings" --input '{}'
expect "run: a handler killed by SIGSEGV gives Lambda.Unknown" \
    eval '[ "$rc" = 1 ] && error_is Lambda.Unknown'
run "$aslc" run "$cli/task-garbage.asl.json" --bindings "$bindings" --input '{}'
expect "run: a handler printing something not JSON fails with an Error" \
    eval '[ "$rc" = 1 ] && [ -n "$(json_field "$out" Error)" ]'

# ---- --bench N: N executions, a report on stderr ------------------------
# The handler counts its calls in a file beside it.
mkdir -p "$tmp/bench"
cat >"$tmp/bench/count.sh" <<'END'
#!/bin/sh
echo call >>"$(dirname "$0")/calls"
printf '{"handled": '
cat
printf '}\n'
END
chmod +x "$tmp/bench/count.sh"
printf '{"arn:aws:lambda:*:*:function:*Event": {"program": ["./count.sh"]}}\n' >"$tmp/bench/b.json"
bench_report_ok() { # N SUCCEEDED FAILED: the report's fields are there
    stderr_has "^bench: [^ ]+: $1 executions: $2 succeeded, $3 failed" &&
        stderr_has "^bench: time: .* in all; [0-9.]+ executions/s" &&
        stderr_has "^bench: transitions: [0-9]+ in all, .*; [0-9]+ transitions/s" &&
        stderr_has "^bench: latency: min [0-9.]+ [num]?s, p50 [0-9.]+ [num]?s, p90 .*, p99 .*, max " &&
        stderr_has "^bench: peak RSS: [0-9.]+ MB"
}
rm -f "$tmp/bench/calls"
run "$aslc" run "$cli/task-echo-event.asl.json" --bindings "$tmp/bench/b.json" \
    --input '{"n": 7}' --bench 7
expect "run --bench 7: 7 executions, 7 handler calls, the last output on stdout" \
    eval '[ "$rc" = 0 ] && output_is "{\"handled\": {\"n\": 7}}" &&
          [ "$(wc -l <"$tmp/bench/calls")" -eq 7 ] && bench_report_ok 7 7 0'
run "$aslc" run "$cli/echo.asl.json" --input '{}' --bench=3
expect "run --bench=3: 3 transitions in all" \
    eval '[ "$rc" = 0 ] && bench_report_ok 3 3 0 && stderr_has "^bench: transitions: 3 in all"'
run "$aslc" run "$cli/fail.asl.json" --input '{}' --bench 4
expect "run --bench: failed executions are counted and the failure printed, exit 1" \
    eval '[ "$rc" = 1 ] && error_is Order.Rejected && bench_report_ok 4 0 4 &&
          stderr_has "^bench: first failure: execution 1: Order.Rejected"'
# Mock invocation numbers start at 0 in every execution: response "1"
# would show that the executions shared their counts.
printf '%s\n' '{"StateMachines": {"task-echo-event": {"TestCases": {"T": {"Call": "R"}}}},' \
    '"MockedResponses": {"R": {"0": {"Return": {"first": true}}, "1": {"Return": {"first": false}}}}}' \
    >"$tmp/bench/mock.json"
run "$aslc" run "$cli/task-echo-event.asl.json" --mock-config "$tmp/bench/mock.json" \
    --test-case T --input '{}' --bench 3
expect "run --bench with mocks: each execution is fresh" \
    eval '[ "$rc" = 0 ] && output_is "{\"first\": true}" && bench_report_ok 3 3 0'
for bad in 0 -1 x 2x; do
    run "$aslc" run "$cli/echo.asl.json" --input '{}' --bench "$bad"
    expect "run --bench $bad exits 2" eval '[ "$rc" = 2 ] && [ -z "$out" ] && stderr_has "--bench"'
done
run "$aslc" build "$cli/task-echo-event.asl.json" -o "$tmp/bench/bin"
rm -f "$tmp/bench/calls"
run "$tmp/bench/bin" --bindings "$tmp/bench/b.json" --input '{"n": 1}' --bench 5
expect "binary --bench 5: 5 executions and 5 handler calls" \
    eval '[ "$rc" = 0 ] && output_is "{\"handled\": {\"n\": 1}}" &&
          [ "$(wc -l <"$tmp/bench/calls")" -eq 5 ] && bench_report_ok 5 5 0'

# ---- workflow binaries: same exits and outputs as aslc run --------------
# same_as_run NAME DEFINITION STDIN ARGS...: builds DEFINITION (once), then
# runs it both ways.
same_as_run() {
    local name=$1 def=$2 stdin=$3 bin=$tmp/bin-${2%.asl.json} want_rc want_out
    shift 3
    if [ ! -e "$bin.tried" ]; then
        : >"$bin.tried"
        run "$aslc" build "$cli/$def" -o "$bin"
        expect "build $def" eval '[ "$rc" = 0 ] && [ -x "$bin" ]'
    fi
    [ -x "$bin" ] || return 0
    run_in "$stdin" "$aslc" run "$cli/$def" "$@"
    want_rc=$rc want_out=$out
    run_in "$stdin" "$bin" "$@"
    expect "binary, $name: exit $want_rc and the output of aslc run" \
        eval '[ "$rc" = "$want_rc" ] && { [ "$out" = "$want_out" ] || output_is "$want_out"; }'
}
same_as_run echo echo.asl.json /dev/null --input '{"a": 1}'
same_as_run stdin echo.asl.json "$tmp/stdin.json"
same_as_run "bad input" echo.asl.json /dev/null --input 'not JSON'
same_as_run "missing input file" echo.asl.json /dev/null --input-file "$tmp/no-such-file.json"
same_as_run "unknown option" echo.asl.json /dev/null --frobnicate
if [ -x "$tmp/bin-echo" ]; then
    run "$tmp/bin-echo" --version
    expect "a workflow program's --version names its state machine and aslc" \
        eval '[ "$rc" = 0 ] && grep -q "the state machine echo, compiled by aslc " "$tmp/out"'
    run "$tmp/bin-echo" --inptu '{}'
    expect "a workflow program names a misspelt option with the one meant" \
        eval '[ "$rc" = 2 ] && stderr_has "unknown option .--inptu. \\(did you mean .--input.\\?\\)"'
fi
same_as_run --name context.asl.json /dev/null --name bin-test --input '{}'
same_as_run --wait=skip wait.asl.json /dev/null --wait=skip --input '{}'
same_as_run Fail fail.asl.json /dev/null --input '{}'
same_as_run "program handler" task-echo-event.asl.json /dev/null --bindings "$bindings" --input '{}'
same_as_run "Lambda-style error" task-lambda-error.asl.json /dev/null --bindings "$bindings" --input '{}'
same_as_run "unbound resource" task-unbound.asl.json /dev/null --bindings "$bindings" --input '{}'
same_as_run "crashing handler" task-crash.asl.json /dev/null --bindings "$bindings" --input '{}'

# A binary built by this uninstalled aslc finds the Python and Node.js
# adapters with no variable set (the source tree's, or the installed ones),
# for SAM-style bindings too.
mkdir -p "$tmp/sam/src"
printf 'def lambda_handler(event, context):\n    return {"py": event}\n' >"$tmp/sam/src/app.py"
printf 'exports.handler = async (event) => ({ node: event });\n' >"$tmp/sam/src/index.js"
printf '{"arn:aws:lambda:*:*:function:EchoEvent": {"runtime": "python3.12", "codeUri": "src", "handler": "app.lambda_handler"}}\n' >"$tmp/sam/py.json"
printf '{"arn:aws:lambda:*:*:function:EchoEvent": {"runtime": "nodejs20.x", "codeUri": "src", "handler": "index.handler"}}\n' >"$tmp/sam/node.json"
if [ -x "$tmp/bin-task-echo-event" ] && [ "$have_python" = yes ]; then
    run env -u ASLC_PYTHON_HANDLER -u ASLC_NODE_HANDLER "$tmp/bin-task-echo-event" \
        --bindings "$tmp/sam/py.json" --input '{"n": 1}'
    expect "binary: a Python handler without ASLC_PYTHON_HANDLER" \
        eval '[ "$rc" = 0 ] && output_is "{\"py\": {\"n\": 1}}"'
fi
if [ -x "$tmp/bin-task-echo-event" ] && command -v node >/dev/null 2>&1; then
    run env -u ASLC_PYTHON_HANDLER -u ASLC_NODE_HANDLER "$tmp/bin-task-echo-event" \
        --bindings "$tmp/sam/node.json" --input '{"n": 2}'
    expect "binary: a Node.js handler without ASLC_NODE_HANDLER" \
        eval '[ "$rc" = 0 ] && output_is "{\"node\": {\"n\": 2}}"'
else
    echo "skip: node not found, the Node.js adapter is not tried"
fi

# tcc cannot link a runtime built with sanitizers.
if command -v tcc >/dev/null 2>&1 && [ "$runtime_sanitized" = no ]; then
    run "$aslc" build "$cli/echo.asl.json" -o "$tmp/echo-tcc" --cc=tcc
    expect "build --cc=tcc" eval '[ "$rc" = 0 ] && [ -x "$tmp/echo-tcc" ]'
    run "$tmp/echo-tcc" --input '{"tcc": true}'
    expect "binary built with tcc" eval '[ "$rc" = 0 ] && output_is "{\"tcc\": true}"'
fi

# ---- reproducible output -----------------------------------------------
# Generated code names its definition by the path given on the command line,
# never by where aslc ran: the same definition, given as the same relative
# path in two directories, emits and builds to the same bytes.
mkdir -p "$tmp/repro/a/defs" "$tmp/repro/bb/defs"
cp "$cli/task-echo-event.asl.json" "$tmp/repro/a/defs/wf.asl.json"
cp "$cli/task-echo-event.asl.json" "$tmp/repro/bb/defs/wf.asl.json"
in_dir() {
    local dir=$1
    shift
    run sh -c 'cd "$1" && shift && exec "$@"' in_dir "$dir" "$@"
}
for d in a bb; do
    in_dir "$tmp/repro/$d" "$aslc" emit defs/wf.asl.json -o wf.c
    expect "reproducible: emit in $d/" eval '[ "$rc" = 0 ] && [ -s "$tmp/repro/'$d'/wf.c" ]'
done
expect "reproducible: emit names the definition as given" \
    eval 'grep -q "defs/wf\.asl\.json" "$tmp/repro/a/wf.c" && ! grep -q "$tmp" "$tmp/repro/a/wf.c"'
expect "reproducible: emit gives the same bytes in two directories" \
    cmp "$tmp/repro/a/wf.c" "$tmp/repro/bb/wf.c"
repro_builds="cc:"
if command -v tcc >/dev/null 2>&1 && [ "$runtime_sanitized" = no ]; then
    repro_builds="$repro_builds tcc:--cc=tcc"
fi
repro_builds="$repro_builds cc-g:-g"
if "$aslc" --version | grep -q "llvm"; then
    repro_builds="$repro_builds llvm:--backend=llvm"
    for d in a bb; do
        in_dir "$tmp/repro/$d" "$aslc" emit --backend=llvm defs/wf.asl.json -o wf.ll
        expect "reproducible: emit --backend=llvm in $d/" eval '[ "$rc" = 0 ]'
    done
    expect "reproducible: LLVM IR is the same in two directories" \
        cmp "$tmp/repro/a/wf.ll" "$tmp/repro/bb/wf.ll"
fi
for b in $repro_builds; do
    name=${b%%:*}
    flag=${b#*:}
    for d in a bb; do
        # shellcheck disable=SC2086  # $flag is empty or one word
        in_dir "$tmp/repro/$d" "$aslc" build defs/wf.asl.json -o "wf-$name" $flag
        expect "reproducible: build ($name) in $d/" \
            eval '[ "$rc" = 0 ] && [ -x "$tmp/repro/'$d'/wf-'$name'" ]'
    done
    expect "reproducible: build ($name) gives the same bytes in two directories" \
        cmp "$tmp/repro/a/wf-$name" "$tmp/repro/bb/wf-$name"
done
run "$tmp/repro/bb/wf-cc" --bindings "$bindings" --input '{}'
expect "reproducible: the binary runs" eval '[ "$rc" = 0 ]'

# ---- the history as it grows ----------------------------------------------
# --history writes the events as they come, never holding them: an Express
# loop (no quota) grows its file while it runs, and SIGTERM still ends the
# document.  A Standard one stops at the quota of 25,000 events.
cat >"$tmp/spin.asl.json" <<'EOF'
{"StartAt": "A", "States": {
  "A": {"Type": "Pass", "Next": "C"},
  "C": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "D"}],
        "Default": "A"},
  "D": {"Type": "Succeed"}}}
EOF
rm -f "$tmp/spin.json"
timeout 300 "$aslc" run "$tmp/spin.asl.json" --type=EXPRESS --input '{}' \
    --history "$tmp/spin.json" </dev/null >"$tmp/out" 2>"$tmp/err" &
spin=$!
# (a guard against a hang, not a measure)
for _ in $(seq 1200); do
    [ "$(stat -c %s "$tmp/spin.json" 2>/dev/null || echo 0)" -gt 1000000 ] && break
    sleep 0.1
done
grown=$(stat -c %s "$tmp/spin.json" 2>/dev/null || echo 0)
kill -TERM "$spin" 2>/dev/null
wait "$spin"
rc=$?
expect "--history: the file grows while the execution runs (Express, no quota)" \
    [ "$grown" -gt 1000000 ]
expect "--history: a stopped execution's file is a whole document ending in ExecutionAborted" \
    eval '[ "$rc" = 4 ] && { [ "$have_python" = no ] || "$PYTHON3" -c "
import json, sys
e = json.load(open(sys.argv[1]))[\"events\"]
assert len(e) > 2000 and e[-1][\"type\"] == \"ExecutionAborted\", e[-1]
assert [x[\"id\"] for x in e] == list(range(1, len(e) + 1))
" "$tmp/spin.json"; }'
run "$aslc" run "$tmp/spin.asl.json" --input '{}' --history "$tmp/spin.json"
full_cause="The execution reached the maximum number of history events (25000)."
expect "a Standard loop stops at the history's quota: States.Runtime, 25,000 events" \
    eval '[ "$rc" = 1 ] && error_is States.Runtime &&
          [ "$(json_field "$out" Cause)" = "$full_cause" ] &&
          { [ "$have_python" = no ] || "$PYTHON3" -c "
import json, sys
e = json.load(open(sys.argv[1]))[\"events\"]
assert len(e) == 25000 and e[-1][\"type\"] == \"ExecutionFailed\", (len(e), e[-1])
" "$tmp/spin.json"; }'

# ---- how long an execution may run (doc/behaviour.md §38) -----------------
# Virtual time (--wait=skip) passes the limits at once.
run "$aslc" run "$cli/wait-loop.asl.json" --type=EXPRESS --wait=skip --input '{"s": 60}' \
    --history "$tmp/limit.json"
expect "an Express execution ends after 5 minutes: States.Timeout, ExecutionTimedOut" \
    eval '[ "$rc" = 3 ] && error_is States.Timeout && { [ "$have_python" = no ] || "$PYTHON3" -c "
import json, sys
e = json.load(open(sys.argv[1]))[\"events\"]
assert e[-1][\"type\"] == \"ExecutionTimedOut\", e[-1]
waits = [x for x in e if x[\"type\"] == \"WaitStateEntered\"]
# 5 waits of 60 s fill the 5 minutes, and the real time the run takes
# counts too: the fifth or the sixth wait is the one cut short
assert 5 <= len(waits) <= 6, len(waits)
" "$tmp/limit.json"; }'
run "$aslc" run "$cli/wait-loop.asl.json" --wait=skip --input '{"s": 20000000}'
expect "a Standard execution ends after a year: States.Timeout" \
    eval '[ "$rc" = 3 ] && error_is States.Timeout'
run "$aslc" run "$cli/map-dist-loop.asl.json" --input '[1, 2]'
expect "a distributed Map's Standard child has a history quota of its own" \
    eval '[ "$rc" = 0 ] && [ "$(printf "%s" "$out" | grep -o "\"Error\":\"States.Runtime\",\"Cause\":\"$full_cause\"" | wc -l)" = 2 ]'
run "$aslc" run "$cli/map-dist-express-loop.asl.json" --wait=skip --input '[1, 2]'
expect "a distributed Map's Express child ends after 5 minutes, a failure the Map tolerates" \
    eval '[ "$rc" = 0 ] && output_is "[{\"Error\":\"States.Timeout\"},{\"Error\":\"States.Timeout\"}]"'

# ---- write errors ---------------------------------------------------------
# What a command writes is lost to a full disk or a closed stdout: it says so
# and exits non-zero, never 0 (as coreutils' close_stdout).

# run_out full|closed CMD...: CMD with stdout on /dev/full or closed.
run_out() {
    local how=$1
    shift
    if [ "$how" = full ]; then
        timeout "${ASLC_TEST_TIMEOUT:-120}" "$@" </dev/null >/dev/full 2>"$tmp/err"
    else
        timeout "${ASLC_TEST_TIMEOUT:-120}" "$@" </dev/null >&- 2>"$tmp/err"
    fi
    rc=$?
}
nospace="error writing standard output: No space left on device"
closed="error writing standard output: Bad file descriptor"
run_out full "$aslc" emit "$cli/echo.asl.json"
expect "emit > /dev/full: exit 2, the reason" \
    eval '[ "$rc" = 2 ] && stderr_has "^aslc: $nospace\$" && [ "$(wc -l <"$tmp/err")" = 1 ]'
run_out closed "$aslc" emit "$cli/echo.asl.json"
expect "emit with stdout closed: exit 2, the reason" \
    eval '[ "$rc" = 2 ] && stderr_has "^aslc: $closed\$"'
run_out full "$aslc" run "$cli/echo.asl.json" --input '{}'
expect "run > /dev/full: exit 2, not 0" \
    eval '[ "$rc" = 2 ] && stderr_has "^aslc run: $nospace\$" && [ "$(wc -l <"$tmp/err")" = 1 ]'
run_out closed "$aslc" run "$cli/echo.asl.json" --input '{}'
expect "run with stdout closed: exit 2, not 0" \
    eval '[ "$rc" = 2 ] && stderr_has "^aslc run: $closed\$"'
run_out full "$aslc" run "$cli/fail.asl.json"
expect "run > /dev/full of a failing execution: still exit 1, the loss said" \
    eval '[ "$rc" = 1 ] && stderr_has "$nospace"'
run_out full "$aslc" run --backend=llvm "$cli/echo.asl.json" --input '{}'
expect "run --backend=llvm > /dev/full: exit 2" \
    eval '[ "$rc" = 2 ] && { stderr_has "$nospace" || stderr_has "without LLVM"; }'
for cmd in --help --version "graph $cli/echo.asl.json" "graph --format=ir $cli/echo.asl.json" \
    "run $cli/echo.asl.json --help" "serve --help" "send-task-success --help"; do
    # shellcheck disable=SC2086  # the command's words
    run_out full "$aslc" $cmd
    expect "aslc $cmd > /dev/full: non-zero, the reason" \
        eval '[ "$rc" != 0 ] && stderr_has "$nospace"'
done
if [ -x "$tmp/wf" ]; then
    run_out full "$tmp/wf" --input '{}'
    expect "a workflow program > /dev/full: exit 2" \
        eval '[ "$rc" = 2 ] && stderr_has "wf: $nospace\$"'
    run_out closed "$tmp/wf" --input '{}'
    expect "a workflow program with stdout closed: exit 2" \
        eval '[ "$rc" = 2 ] && stderr_has "wf: $closed\$"'
fi
run "$aslc" run "$cli/echo.asl.json" --input '{}' --history /dev/full
expect "run --history /dev/full: exit 2, the reason" \
    eval '[ "$rc" = 2 ] && stderr_has "history file .*/dev/full.*: No space left on device"'
rm -f "$tmp/h.json"
run_out closed "$aslc" run "$cli/echo.asl.json" --input '{"x": 1}' --history "$tmp/h.json"
expect "run with stdout closed: the history file gets the history, not the output" \
    eval '[ "$rc" = 2 ] && { [ "$have_python" = no ] || "$PYTHON3" -c "
import json, sys
e = json.load(open(sys.argv[1]))[\"events\"]
assert [x[\"id\"] for x in e] == list(range(1, len(e) + 1))
assert e[-1][\"type\"] == \"ExecutionSucceeded\"
" "$tmp/h.json"; }'
mkdir -p "$tmp/portdir"
ASLC_TEST_TIMEOUT=30 run "$aslc" serve --port 0 --port-file "$tmp/portdir"
expect "serve: a port file it cannot write: exit 1, the reason, no temporary file left" \
    eval '[ "$rc" = 1 ] && stderr_has "port file" && [ ! -e "$tmp/portdir.tmp" ]'
# (its stderr goes through a pipe: no file can grow under ulimit -f 0)
(
    trap '' XFSZ
    ulimit -f 0
    exec timeout 30 "$aslc" serve --port 0 --port-file "$tmp/port" </dev/null 2>&1 >/dev/null
) | cat >"$tmp/err"
rc=${PIPESTATUS[0]}
expect "serve: a port file that cannot grow: exit 1, File too large, nothing left" \
    eval '[ "$rc" = 1 ] && stderr_has "port file.*File too large" &&
          [ ! -e "$tmp/port" ] && [ ! -e "$tmp/port.tmp" ]'

# ---- the manual page ----------------------------------------------------
if command -v groff >/dev/null 2>&1; then
    expect "doc/aslc.1 renders without warnings" \
        eval '[ -z "$(groff -man -ww -z "$top_srcdir/doc/aslc.1" 2>&1)" ]'
fi

finish

# lib.sh - helpers for tests/run-cli.sh and tests/run-examples.sh (sourced).
#
# The caller sets top_srcdir and sources this file.  `make check` exports
# the variables below (Makefile.am, AM_TESTS_ENVIRONMENT); the defaults let
# a script run by hand from an in-tree build.
#
#   run CMD...      runs CMD (stdin from /dev/null), sets $rc; output in
#                   "$tmp/out" and "$tmp/err", and in $out
#   run_in FILE CMD...   the same with stdin from FILE
#   expect DESC TEST...  counts one check: TEST is a command (e.g. `[ "$rc" = 1 ]`)
#   finish          prints "N passed, N failed" and exits 0 only if none failed

top_builddir=${top_builddir:-$top_srcdir}
ASLC_INCLUDE_DIR=${ASLC_INCLUDE_DIR:-$top_srcdir/runtime}
ASLC_LIB_DIR=${ASLC_LIB_DIR:-$top_builddir/.libs}
ASLC_PYTHON_HANDLER=${ASLC_PYTHON_HANDLER:-$top_srcdir/runtime/aslc-python-handler}
PYTHON3=${PYTHON3:-python3}
export top_srcdir top_builddir ASLC_INCLUDE_DIR ASLC_LIB_DIR ASLC_PYTHON_HANDLER PYTHON3

# The signals these tests send must reach the programs they start.  A test
# run started with a signal ignored (under nohup, or by a runner that ignores
# SIGHUP) hands the ignore down, bash cannot undo it, and aslc keeps an
# ignore it inherits (aslc(1), SIGNALS).  So the script starts over once
# with every signal it sends at its default disposition.
if [ -z "${ASLC_TEST_SIGNALS_DEFAULT:-}" ] && command -v "$PYTHON3" >/dev/null 2>&1; then
    export ASLC_TEST_SIGNALS_DEFAULT=1
    exec "$PYTHON3" -c '
import os, signal, sys
for s in ("SIGHUP", "SIGINT", "SIGTERM", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGPIPE"):
    signal.signal(getattr(signal, s), signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "${BASH:-/bin/bash}" "$0" "$@"
fi

aslc=$top_builddir/aslc
npass=0
nfail=0
rc=0
out=
ulimit -c 0    # handlers that crash on purpose leave no core files

tmp=$(mktemp -d "${TMPDIR:-/tmp}/aslc-test.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/out"
: >"$tmp/err"

# A runtime built with --enable-sanitizers needs them at link time too.
runtime_sanitized=no
sanitize_flags=
if nm "$ASLC_LIB_DIR/libaslrt.a" 2>/dev/null | grep -q '__asan_'; then
    runtime_sanitized=yes
    sanitize_flags=-fsanitize=address,undefined
fi

have_python=no
if command -v "$PYTHON3" >/dev/null 2>&1 && "$PYTHON3" -c 'import json' 2>/dev/null; then
    have_python=yes
fi

# Every command gets a time limit so that a hang fails the test instead of
# blocking `make check`.
run_in() {
    local input=$1
    shift
    timeout "${ASLC_TEST_TIMEOUT:-120}" "$@" <"$input" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    out=$(cat "$tmp/out")
}

run() {
    run_in /dev/null "$@"
}

# children_of PID: the pids of PID's children, read from /proc (procps, for
# pgrep and ps, is not on every machine the tests run on).
children_of() {
    local parent=$1 f s
    for f in /proc/[0-9]*/stat; do
        s=$(cat "$f" 2>/dev/null) || continue
        s=${s##*) }             # the fields after the command's name
        set -- $s
        [ "${2:-}" = "$parent" ] && { f=${f#/proc/}; echo "${f%/stat}"; }
    done
    return 0
}

# commands_naming TEXT: the command lines (arguments joined by spaces) of
# the processes whose command line holds TEXT.
commands_naming() {
    local f line
    for f in /proc/[0-9]*/cmdline; do
        line=$(tr '\0' ' ' <"$f" 2>/dev/null) || continue
        case $line in *"$1"*) echo "$line" ;; esac
    done
    return 0
}

expect() {
    local desc=$1
    shift
    if "$@"; then
        npass=$((npass + 1))
        printf 'pass: %s\n' "$desc"
    else
        nfail=$((nfail + 1))
        printf 'FAIL: %s\n' "$desc"
        printf '  last command exited %s\n' "$rc"
        printf '  stdout: %s\n' "$(head -c 1500 "$tmp/out")"
        printf '  stderr: %s\n' "$(head -c 1500 "$tmp/err")"
    fi
}

# stderr_has ERE: the last command's stderr matches the extended regex.
stderr_has() {
    grep -Eq -- "$1" "$tmp/err"
}

# json_same A B: A and B are the same JSON value (key order and white space
# aside; true and 1 differ).
json_same() {
    if [ "$have_python" = yes ]; then
        "$PYTHON3" -c '
import json, sys
def canon(s):
    return json.dumps(json.loads(s), sort_keys=True)
sys.exit(0 if canon(sys.argv[1]) == canon(sys.argv[2]) else 1)
' "$1" "$2" 2>/dev/null
    else
        [ "$(printf '%s' "$1" | tr -d ' \t\r\n')" = "$(printf '%s' "$2" | tr -d ' \t\r\n')" ]
    fi
}

# json_field JSON KEY: prints the string member KEY of a JSON object.
json_field() {
    if [ "$have_python" = yes ]; then
        "$PYTHON3" -c '
import json, sys
v = json.loads(sys.argv[1])
x = v.get(sys.argv[2]) if isinstance(v, dict) else None
if isinstance(x, str):
    print(x)
' "$1" "$2" 2>/dev/null
    else
        printf '%s' "$1" | sed -n 's/.*"'"$2"'" *: *"\(\([^"\\]\|\\.\)*\)".*/\1/p' | head -n 1
    fi
}

# error_is NAME: the last command printed {"Error": NAME, ...} on stdout.
error_is() {
    [ "$(json_field "$out" Error)" = "$1" ]
}

# output_is JSON: the last command printed JSON (as a value) on stdout.
output_is() {
    json_same "$out" "$1"
}

finish() {
    printf '%s passed, %s failed\n' "$npass" "$nfail"
    [ "$nfail" -eq 0 ]
    exit $?
}

if [ ! -x "$aslc" ]; then
    printf '%s: not built\n' "$aslc" >&2
    exit 99
fi

#!/bin/bash
# run-aslc-test.sh - `aslc test` (compiler/test.c) on the fixtures in
# tests/aslc-test/: every test case of a mock configuration, a test file
# with passing and deliberately failing expectations (outputs, errors,
# causes, masks), a missing definition, bad test files (exit 2 with the
# place), TAP checked line by line, JUnit XML parsed by Python's
# xml.etree with its counts checked (and with text XML cannot hold), 200
# cases of one definition compiled once; with --backend=llvm too when aslc
# has LLVM.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/cli/lib.sh"
dir=$top_srcdir/tests/aslc-test
py=/usr/bin/python3
[ -x "$py" ] || py=$PYTHON3

# The "ok"/"not ok" lines of the last TAP output, numbers and names only.
tap_lines() { grep -E '^(not )?ok ' "$tmp/out"; }

# junit_check FILE TESTS FAILURES ERRORS: FILE is well-formed XML whose
# <testsuites> and <testsuite> counts agree with its <testcase>s and with
# the numbers given.
junit_check() {
    "$py" - "$@" <<'END'
import sys
import xml.etree.ElementTree as ET
path, tests, failures, errors = sys.argv[1], *map(int, sys.argv[2:5])
root = ET.parse(path).getroot()
assert root.tag == "testsuites", root.tag
cases = root.findall("testsuite/testcase")
nf = sum(1 for c in cases if c.find("failure") is not None)
ne = sum(1 for c in cases if c.find("error") is not None)
assert (len(cases), nf, ne) == (tests, failures, errors), (len(cases), nf, ne)
assert (int(root.get("tests")), int(root.get("failures")), int(root.get("errors"))) == \
    (tests, failures, errors), root.attrib
for s in root.findall("testsuite"):
    sc = s.findall("testcase")
    assert int(s.get("tests")) == len(sc)
    assert int(s.get("failures")) == sum(1 for c in sc if c.find("failure") is not None)
    assert int(s.get("errors")) == sum(1 for c in sc if c.find("error") is not None)
    assert s.get("skipped") == "0"
    for c in sc:
        assert c.get("classname") == s.get("name") and float(c.get("time")) >= 0
END
}

# tap_yaml_ok: every YAML block of the last TAP output parses (when Python
# has PyYAML) and has a duration_ms.
tap_yaml_ok() {
    "$py" - "$tmp/out" <<'END'
import sys
try:
    import yaml
except ImportError:
    yaml = None
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
blocks, cur = [], None
for l in lines:
    if l == "  ---":
        cur = []
    elif l == "  ..." and cur is not None:
        blocks.append("\n".join(x[2:] for x in cur))
        cur = None
    elif cur is not None:
        cur.append(l)
assert blocks
for b in blocks:
    if yaml:
        d = yaml.safe_load(b)
        assert isinstance(d["duration_ms"], float), b
    else:
        assert "duration_ms: " in b
END
}

for backend in c llvm; do
    if [ "$backend" = llvm ] && ! "$aslc" --version | grep -q llvm; then
        printf 'skip: --backend=llvm (aslc built without LLVM)\n'
        continue
    fi
    b=--backend=$backend

    # ---- A mock configuration alone -----------------------------------------
    run "$aslc" test "$b" "$dir/mocks.json"
    expect "$backend: mock config: a failed case and a missing definition make exit 1" \
        eval '[ "$rc" = 1 ]'
    tap_lines >"$tmp/lines"
    expect "$backend: mock config: TAP 13, the plan, then every case in order" \
        eval '[ "$(sed -n 1p "$tmp/out")" = "TAP version 13" ] &&
              [ "$(sed -n 2p "$tmp/out")" = "1..6" ] &&
              diff - "$tmp/lines" <<"END"
ok 1 - Order / HappyPath
ok 2 - Order / Declined
ok 3 - Order / Throttled
not ok 4 - Order / ShipFails
ok 5 - Fanout / AllAnswer
not ok 6 - Missing / Anything
END'
    expect "$backend: mock config: the failure's error and cause, the missing definition named" \
        eval 'grep -q "error: \"ShipError\"" "$tmp/out" && grep -q "cause: \"no truck\"" "$tmp/out" &&
              grep -q "message: \"no definition of the state machine '"'"'Missing'"'"'" "$tmp/out" &&
              grep -q "type: \"DefinitionNotFound\"" "$tmp/out"'
    expect "$backend: mock config: the Map and Parallel output, the output of a passing case" \
        eval 'grep -qF "output: \"{\\\"items\\\":[1,2,3],\\\"both\\\":[\\\"left\\\",\\\"right\\\"],\\\"each\\\":[{\\\"done\\\":true},{\\\"done\\\":true},{\\\"done\\\":true}]}\"" "$tmp/out"'
    expect "$backend: mock config: every YAML block parses" tap_yaml_ok
    expect "$backend: mock config: each definition compiled once" \
        eval 'grep -qx "# 4 passed, 2 failed; 2 definitions compiled" "$tmp/out"'

    # ---- A test file --------------------------------------------------------
    run "$aslc" test "$b" "$dir/tests.json"
    tap_lines >"$tmp/lines"
    expect "$backend: test file: exit 1, the right cases not ok" \
        eval '[ "$rc" = 1 ] && [ "$(sed -n 2p "$tmp/out")" = "1..17" ] && diff - "$tmp/lines" <<"END"
ok 1 - Order / happy path
ok 2 - Order / declined is caught
ok 3 - Order / throttled once, retried
ok 4 - Order / shipping fails
not ok 5 - Order / wrong output on purpose
not ok 6 - Order / wrong error on purpose
ok 7 - Order / no mocks: Lambda has no such function
ok 8 - Ids / ids and times masked
not ok 9 - Ids / a masked path missing on one side
not ok 10 - Ids / unmasked ids differ
ok 11 - Oops / cause masked
not ok 12 - Oops / cause unmasked differs
not ok 13 - Xml / xml <&>"'"'"' � output
not ok 14 - Xml / xml cause
not ok 15 - Garbage / a handler printing bytes XML cannot hold
not ok 16 - Gone / a definition that is not there
ok 17 - Parent / a nested execution
END'
    expect "$backend: test file: the first differing path, expected and actual" \
        eval 'grep -qx "  at: \"\$.shipped\"" "$tmp/out" &&
              grep -qxF "  expected: \"{\\\"shipped\\\":false}\"" "$tmp/out" &&
              grep -qxF "  actual: \"{\\\"shipped\\\":true}\"" "$tmp/out"'
    expect "$backend: test file: a masked path missing on one side is a mismatch there" \
        eval 'grep -qx "  message: \"the output differs at \$.executionId\"" "$tmp/out"'
    expect "$backend: test file: an unmasked id is the first difference" \
        eval 'grep -qx "  at: \"\$.items\[1\].id\"" "$tmp/out"'
    expect "$backend: test file: a wrong error and a wrong cause are named" \
        eval 'grep -q "the error is ShipError, expected States.TaskFailed" "$tmp/out" &&
              grep -q "type: \"CauseMismatch\"" "$tmp/out"'
    expect "$backend: test file: every YAML block parses" tap_yaml_ok
    expect "$backend: test file: the nested state machine found beside the test file, compiled once" \
        eval 'grep -qx "# 8 passed, 9 failed; 7 definitions compiled" "$tmp/out"'
    expect "$backend: test file: control characters escaped in YAML" \
        eval 'grep -qF "cause <&>\\\"'"'"' \\u0001\\u001F\\uFFFE ]]> end" "$tmp/out" &&
              ! grep -q "$(printf "\001")" "$tmp/out"'

    # ---- JUnit XML ------------------------------------------------------------
    run "$aslc" test "$b" --format=junit -o "$tmp/report.xml" "$dir/tests.json" "$dir/mocks.json"
    expect "$backend: junit: exit 1, nothing on stdout" eval '[ "$rc" = 1 ] && [ ! -s "$tmp/out" ]'
    expect "$backend: junit: well-formed, counts agree (23 tests, 9 failures, 2 errors)" \
        junit_check "$tmp/report.xml" 23 9 2
    expect "$backend: junit: <&>, quotes and control characters survive as text" \
        eval '"$py" -c "
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
c = [c for c in r.iter(\"testcase\") if c.get(\"classname\") == \"Xml\"]
assert c[0].get(\"name\") == \"xml <&>\\\"'"'"' \ufffd output\", c[0].get(\"name\")
out = c[1].find(\"system-out\").text
assert \"cause <&>\\\"'"'"' \ufffd\ufffd\ufffd ]]> end\" in out, out
g = [c for c in r.iter(\"testcase\") if c.get(\"classname\") == \"Garbage\"][0]
assert \"<&>\" in g.find(\"system-out\").text
f = c[0].find(\"failure\")
assert f.get(\"type\") == \"OutputMismatch\" and \"\$.text\" in f.get(\"message\")
" "$tmp/report.xml"'
    run "$aslc" test "$b" --format=junit "$dir/tests.json" --filter "Order/*"
    expect "$backend: junit on stdout, --filter MACHINE/CASE" \
        eval '[ "$rc" = 1 ] && cp "$tmp/out" "$tmp/stdout.xml" && junit_check "$tmp/stdout.xml" 7 2 0'
    run "$aslc" test "$b" "$dir/tests.json" --filter "*masked"
    expect "$backend: --filter without '/' matches case names; all pass: exit 0" \
        eval '[ "$rc" = 0 ] && [ "$(sed -n 2p "$tmp/out")" = "1..2" ] &&
              grep -qx "ok 1 - Ids / ids and times masked" "$tmp/out" &&
              grep -qx "ok 2 - Oops / cause masked" "$tmp/out"'

    # ---- Many cases, one compile ----------------------------------------------
    "$py" - "$dir" "$tmp/many.json" <<'END'
import json, sys
tests = [{"Name": "case %d" % i, "TestCase": "HappyPath", "Input": {"n": i},
          "ExpectedOutput": {"shipped": True}} for i in range(200)]
json.dump({"MockConfig": sys.argv[1] + "/mocks.json",
           "StateMachines": {"Order": {"Definition": sys.argv[1] + "/Order.asl.json",
                                       "Tests": tests}}}, open(sys.argv[2], "w"))
END
    run "$aslc" test "$b" "$tmp/many.json"
    expect "$backend: 200 cases of one machine pass, its definition compiled once" \
        eval '[ "$rc" = 0 ] && [ "$(sed -n 2p "$tmp/out")" = "1..200" ] &&
              [ "$(grep -c "^ok " "$tmp/out")" = 200 ] &&
              grep -qx "# 200 passed, 0 failed; 1 definition compiled" "$tmp/out"'
done

# ---- --state-machines: where the mock configuration's definitions are ------
mkdir -p "$tmp/defs"
cp "$dir/Order.asl.json" "$dir/Fanout.asl.json" "$tmp/defs/"
printf '{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}\n' >"$tmp/defs/Missing.json"
run "$aslc" test --state-machines "$tmp/defs" "$dir/mocks.json"
expect "--state-machines DIR: NAME.json found there, only the mocked failure fails" \
    eval '[ "$rc" = 1 ] && [ "$(grep -c "^not ok" "$tmp/out")" = 1 ] &&
          grep -qx "not ok 4 - Order / ShipFails" "$tmp/out" && grep -qx "ok 6 - Missing / Anything" "$tmp/out"'
run "$aslc" test -o "$tmp/no-such-dir/report.tap" "$dir/mocks.json"
expect "-o into a folder that does not exist: exit 2, said" \
    eval '[ "$rc" = 2 ] && stderr_has "cannot write .*no-such-dir/report.tap"'

# ---- Files that cannot be used, and usage -----------------------------------
run "$aslc" test "$dir/bad-syntax.json"
expect "bad JSON: exit 2, file:line:column" \
    eval '[ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && stderr_has "bad-syntax.json:5:[0-9]+: "'
run "$aslc" test "$dir/bad-field.json"
expect "a misspelt field: exit 2, where, and a suggestion" \
    eval '[ "$rc" = 2 ] && stderr_has "StateMachines.Order.Tests\[0\]: unknown field \"ExpectedOuput\" \(did you mean \"ExpectedOutput\"\?\)"'
run "$aslc" test "$dir/bad-mask.json"
expect "a bad mask: exit 2, the mask named" \
    eval '[ "$rc" = 2 ] && stderr_has "Masks\[0\] \"\\\$.items\[x\]\""'
run "$aslc" test "$dir/no-such-file.json"
expect "a missing test file: exit 2" eval '[ "$rc" = 2 ] && stderr_has "no-such-file.json"'
run "$aslc" test
expect "no file: exit 2 with where help is" eval '[ "$rc" = 2 ] && stderr_has "aslc test --help"'
run "$aslc" test --formt=junit "$dir/mocks.json"
expect "a misspelt option: named, with a suggestion" \
    eval '[ "$rc" = 2 ] && stderr_has "unknown option .--formt. \(did you mean .--format.\?\)"'
run "$aslc" test --format=xml "$dir/mocks.json"
expect "an unknown format: exit 2" eval '[ "$rc" = 2 ] && stderr_has "tap or junit"'
run "$aslc" test --help
expect "aslc test --help lists the options" \
    eval '[ "$rc" = 0 ] && grep -q -- "--filter" "$tmp/out" && grep -q -- "--format" "$tmp/out"'
run "$aslc" help test
expect "aslc help test is aslc test --help" eval '[ "$rc" = 0 ] && grep -q "usage: aslc test" "$tmp/out"'
run "$aslc" --help
expect "aslc --help names the test command" eval 'grep -q "^  test " "$tmp/out"'

finish

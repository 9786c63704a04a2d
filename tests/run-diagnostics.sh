#!/bin/bash
# Diagnostics tests: tests/diagnostics/NAME.asl.json -> NAME.err, the exact
# stderr of `aslc check` (caret lines included).  A case whose .err is empty
# must be accepted (exit 0); any other must be rejected with exit 1.
# UPDATE_GOLDEN=1 rewrites the expected files.
set -u
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-$srcdir}
aslc=${ASLC:-$builddir/aslc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
cd "$srcdir/tests/diagnostics" || exit 1
for def in *.asl.json; do
    name=${def%.asl.json}
    "$aslc" check --max-errors=0 "$def" 2>"$tmp/$name.err" >/dev/null
    rc=$?
    if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then cp "$tmp/$name.err" "$name.err"; fi
    want=1
    [ -s "$name.err" ] || want=0
    if ! grep -q ': error: ' "$name.err" 2>/dev/null; then want=0; fi
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL: $name: exit $rc, expected $want"; cat "$tmp/$name.err"; fail=$((fail + 1)); continue
    fi
    if ! diff -u "$name.err" "$tmp/$name.err"; then
        echo "FAIL: $name: diagnostics differ"; fail=$((fail + 1)); continue
    fi
    echo "PASS: $name"
    pass=$((pass + 1))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

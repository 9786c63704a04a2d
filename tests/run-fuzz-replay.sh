#!/bin/sh
# run-fuzz-replay.sh - every input of the fuzz corpora (tests/fuzz/corpus/
# jsonata, frontend, paths, runtime, loaders) run once through its fuzz
# target, linked with tests/fuzz/replay.c instead of libFuzzer
# (tests/fuzz/replay_TARGET, built by `make check`).  A target that crashes, aborts or, in a build configured
# with --enable-sanitizers, draws a report from ASan, UBSan or LeakSanitizer
# fails the test; its log names the input last started.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"

pass=0
fail=0
for target in jsonata frontend paths runtime loaders; do
    prog=$top_builddir/tests/fuzz/replay_$target
    corpus=$top_srcdir/tests/fuzz/corpus/$target
    log=$top_builddir/tests/fuzz/replay_$target.log
    "$prog" "$corpus" > "$log" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then
        pass=$((pass + 1))
        echo "PASS $target: $(tail -n 1 "$log")"
    else
        fail=$((fail + 1))
        echo "FAIL $target (exit status $rc); the report and the last input started:"
        grep -v '^/' "$log" | head -n 40
        grep '^/' "$log" | tail -n 1
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

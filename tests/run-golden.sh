#!/bin/bash
# Golden tests of the C backend: tests/golden/NAME.asl.json -> NAME.c, exact;
# then the shape of the code for long chains (doc/architecture.md): states
# in region functions of bounded size, called from a loop.
# Each expected file is also compiled with cc -Wall -Werror and with tcc, so
# the generated code stays warning-free C that both compilers accept.
# UPDATE_GOLDEN=1 rewrites the expected files (review them in the diff).
set -u
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-$srcdir}
aslc=${ASLC:-$builddir/aslc}
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
cd "$srcdir/tests/golden" || exit 1
for def in *.asl.json; do
    name=${def%.asl.json}
    if ! "$aslc" emit "$def" --prefix golden --main -o "$tmp/$name.c" 2>"$tmp/$name.stderr"; then
        echo "FAIL: $name: aslc emit failed"; cat "$tmp/$name.stderr"; fail=$((fail + 1)); continue
    fi
    if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then cp "$tmp/$name.c" "$name.c"; fi
    if ! diff -u "$name.c" "$tmp/$name.c" >"$tmp/$name.diff"; then
        echo "FAIL: $name: generated C differs from $name.c"; cat "$tmp/$name.diff"; fail=$((fail + 1)); continue
    fi
    if ! "$cc" -std=c11 -Wall -Wextra -Werror -fsyntax-only -I"$srcdir/runtime" "$name.c" 2>"$tmp/$name.cc"; then
        echo "FAIL: $name: $cc rejects the generated C"; cat "$tmp/$name.cc"; fail=$((fail + 1)); continue
    fi
    if command -v tcc >/dev/null 2>&1 &&
       ! tcc -std=c11 -c -I"$srcdir/runtime" -o "$tmp/$name.o" "$name.c" 2>"$tmp/$name.tcc"; then
        echo "FAIL: $name: tcc rejects the generated C"; cat "$tmp/$name.tcc"; fail=$((fail + 1)); continue
    fi
    echo "PASS: $name"
    pass=$((pass + 1))
done
# Long chains (bench/compile/gen.py): many region functions, none with
# more than a region's worth of runtime calls (IR_REGION_BUDGET, 192; one
# state never exceeds it here), every state reached through the loop's
# table, transitions out of a region returned to the loop, no goto left in
# the graph function.
py=${PYTHON3:-python3}
for shape in pass choice; do
    name="$shape chain"
    def=$("$py" "$srcdir/bench/compile/gen.py" "$shape" 300 "$tmp") &&
        "$aslc" emit "$def" -o "$tmp/$shape.c" 2>"$tmp/$shape.stderr" || {
        echo "FAIL: $name: cannot generate or emit"; cat "$tmp/$shape.stderr"; fail=$((fail + 1)); continue; }
    shape_err=$(awk '
        /^static int g0_r[0-9]+\(aslrt_exec \*ex, aslrt_frame \*f, int s\)$/ { fn = $3; nfn++; calls = 0; next }
        /^static json_t \*graph0\(/ { fn = "graph0"; next }
        /^}/ { if (fn != "" && fn != "graph0" && calls > max) max = calls; fn = ""; next }
        fn == "graph0" && /goto/ { print "goto in the graph function: " $0 }
        fn == "graph0" && /g0_steps\[s\]\(ex, &f, s\)/ { loop = 1 }
        fn != "" && /aslrt_op_/ { calls++ }
        fn != "" && fn != "graph0" && /^ +return [0-9]+;$/ { out++ }
        /^static step_fn \*const g0_steps\[\] = \{$/ { tab = 1; next }
        tab && /^};$/ { tab = 0 }
        tab { entries += gsub(/g0_r[0-9]+/, "") }
        END {
            if (nfn < 3) print nfn " region functions for 300 states"
            if (max > 192) print "a region function makes " max " runtime calls"
            if (entries != 300) print entries " table entries for 300 states"
            if (!loop) print "no dispatch loop in graph0"
            if (out < nfn - 2) print "only " out " transitions out of regions"
        }' "$tmp/$shape.c")
    if [ -n "$shape_err" ]; then
        echo "FAIL: $name: $shape_err"; fail=$((fail + 1)); continue
    fi
    if ! "$cc" -std=c11 -Wall -Wextra -Werror -fsyntax-only -I"$srcdir/runtime" "$tmp/$shape.c" 2>"$tmp/$shape.cc"; then
        echo "FAIL: $name: $cc rejects the generated C"; cat "$tmp/$shape.cc"; fail=$((fail + 1)); continue
    fi
    # and it runs: through TinyCC, and through LLVM when aslc has it
    input=${def%.asl.json}.input.json expected=${def%.asl.json}.expected.json
    backends=c
    if "$aslc" --version | grep -q llvm; then backends="c llvm"; fi
    for be in $backends; do
        "$aslc" run "$def" --backend=$be --input-file "$input" >"$tmp/$shape.$be.out" 2>"$tmp/$shape.$be.err" || true
        if ! "$py" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
                "$tmp/$shape.$be.out" "$expected" 2>>"$tmp/$shape.$be.err"; then
            echo "FAIL: $name: wrong output with --backend=$be"; head -c 400 "$tmp/$shape.$be.out" "$tmp/$shape.$be.err"
            fail=$((fail + 1)); continue 2
        fi
    done
    echo "PASS: $name"
    pass=$((pass + 1))
done
# Transitions between regions both ways, into the middle of a region (its
# switch on s) and back to its first state: Start, defined last, enters the
# first region at P10; Loop goes back to Count three times.  Through
# TinyCC, LLVM (when aslc has it) and cc.
name="loop across regions"
{
    printf '{"StartAt": "Start", "States": {\n'
    printf '"Count": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "P1"},\n'
    for k in $(seq 1 200); do
        printf '"P%d": {"Type": "Pass", "Result": "x", "ResultPath": "$.p", "Next": "%s"},\n' \
            "$k" "$([ "$k" -lt 200 ] && echo "P$((k + 1))" || echo Loop)"
    done
    printf '"Loop": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThan": 3, "Next": "Count"}], "Default": "Done"},\n'
    printf '"Done": {"Type": "Succeed"},\n'
    printf '"Start": {"Type": "Pass", "Next": "P10"}}}\n'
} >"$tmp/loop.asl.json"
"$aslc" emit "$tmp/loop.asl.json" -o "$tmp/loop.c"
loop_err=
grep -q '^static int g0_r1(' "$tmp/loop.c" || loop_err="one region only"
grep -q '^    case 10:$' "$tmp/loop.c" || loop_err="$loop_err; no switch entry for P10"
"$aslc" build "$tmp/loop.asl.json" -o "$tmp/loop" 2>"$tmp/loop.err" || loop_err="$loop_err; aslc build failed: $(cat "$tmp/loop.err")"
for run in "$aslc run $tmp/loop.asl.json" "$aslc run $tmp/loop.asl.json --backend=llvm" "$tmp/loop"; do
    case $run in *llvm*) "$aslc" --version | grep -q llvm || continue ;; esac
    out=$($run --input '{"i": 0}' 2>&1)
    [ "$out" = '{"i":3,"p":"x"}' ] || loop_err="$loop_err; $run: $out"
done
if [ -n "$loop_err" ]; then
    echo "FAIL: $name: $loop_err"; fail=$((fail + 1))
else
    echo "PASS: $name"; pass=$((pass + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

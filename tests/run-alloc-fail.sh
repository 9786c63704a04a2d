#!/bin/bash
# run-alloc-fail.sh - running out of memory ends an execution cleanly
# (doc/behaviour.md §36).
#
# The sweep, as jansson's and SQLite's test suites fail their allocators:
# for a few representative workflow programs (Pass states and a Choice
# loop, a Map whose iterations run on two threads, a JSONata machine, a
# Task with a program handler) the runtime's allocator is made to fail at
# the N-th call (ASLRT_TEST_ALLOC_FAIL=N, runtime/alloc.c), for N from 1 to
# the number of calls of the run, plus one.  Every N must give either the
# run's normal output (exit 0) or exactly the failed execution
# {"Error":"States.Runtime","Cause":"The execution ran out of memory: ..."}
# with exit status 1: never a crash, a hang (each run has a time limit), a
# sanitizer report or other output.  When a run makes more than
# ASLC_ALLOC_SWEEP (default 150) calls, N strides over them evenly (the
# first and the last call always included), so that the test stays short.
#
# The same sweep over `aslc run` itself: while it compiles the definition,
# running out of memory ends aslc with "aslc: out of memory (N bytes)" on
# stderr, nothing on stdout and exit status 2 (it used to abort); once the
# execution runs, as above.
#
# The address-space case: a Map of 20,000 JSONata iterations on 4 and on
# 16 threads under `ulimit -v 200000` either finishes or fails as above,
# never aborts (exit 134), as it did when glibc's per-thread arenas and
# 8 MiB stacks used up the address space.  Skipped with a sanitized runtime
# (AddressSanitizer reserves terabytes of address space).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/cli/lib.sh"
dir=$top_srcdir/tests/alloc-fail
limit=${ASLC_ALLOC_SWEEP:-150}

if ! command -v "${CC:-cc}" >/dev/null 2>&1; then
    echo "run-alloc-fail.sh: no C compiler to build the workflows; skipped"
    exit 77
fi

oom_doc='^\{"Error":"States\.Runtime","Cause":"The execution ran out of memory(: an allocation of [0-9]+ bytes failed)?\."\}$'

# outcome BIN INPUT N: runs BIN failing its N-th allocation (0: none) and
# prints ok, oom or the trouble.
outcome() {
    local bin=$1 input=$2 n=$3
    (cd "$dir" && ASLRT_TEST_ALLOC_FAIL=$n timeout "${ASLC_TEST_TIMEOUT:-120}" "$bin" \
        --bindings bindings.json --threads 2 --input "$input" \
        >"$tmp/out" 2>"$tmp/err")
    local r=$?
    if grep -Eq 'Sanitizer|runtime error:' "$tmp/err"; then
        echo "sanitizer report (exit $r)"
    elif [ "$r" = 0 ] && cmp -s "$tmp/out" "$tmp/expected"; then
        echo ok
    elif [ "$r" = 1 ] && [ "$(wc -l <"$tmp/out")" = 1 ] && grep -Eq "$oom_doc" "$tmp/out" &&
        grep -q 'out of memory' "$tmp/err"; then
        echo oom
    elif [ "$r" = 2 ] && [ ! -s "$tmp/out" ] &&
        grep -Eq '^aslc: out of memory \([0-9]+ bytes\)$' "$tmp/err"; then
        echo oom        # aslc run, while compiling
    else
        echo "exit $r: $(head -c 300 "$tmp/out") $(head -c 300 "$tmp/err")"
    fi
}

total_runs=0
total_oom=0
total_ok=0
sweep() { # sweep NAME INPUT: the workflow program built from NAME.asl.json
    local name=$1 input=$2 bin=$tmp/$1
    run "$aslc" build "$dir/$name.asl.json" -o "$bin"
    expect "$name: builds" [ "$rc" = 0 ]
    [ "$rc" = 0 ] || return
    sweep_program "$name" "$bin" "$input"
}

sweep_program() { # sweep_program NAME PROGRAM INPUT
    local name=$1 bin=$2 input=$3
    (cd "$dir" && "$bin" --bindings bindings.json --threads 2 --input "$input" \
        >"$tmp/expected" 2>"$tmp/err")
    rc=$?
    expect "$name: runs without an injected failure" [ "$rc" = 0 ]
    [ "$rc" = 0 ] || return
    # The number of calls: the least N whose run is not cut short.
    local lo=0 hi=1
    while [ "$(outcome "$bin" "$input" "$hi")" != ok ]; do
        lo=$hi
        hi=$((hi * 2))
        if [ "$hi" -gt 100000000 ]; then
            expect "$name: the count of allocations is found" false
            return
        fi
    done
    while [ $((hi - lo)) -gt 1 ]; do
        local mid=$(((lo + hi) / 2))
        if [ "$(outcome "$bin" "$input" "$mid")" = ok ]; then hi=$mid; else lo=$mid; fi
    done
    local calls=$lo stride=1
    [ "$calls" -gt "$limit" ] && stride=$(((calls + limit - 1) / limit))
    local n=1 runs=0 oom=0 ok=0 bad=0 first_bad=
    while :; do
        local o
        o=$(outcome "$bin" "$input" "$n")
        runs=$((runs + 1))
        case $o in
        ok) ok=$((ok + 1)) ;;
        oom) oom=$((oom + 1)) ;;
        *)
            bad=$((bad + 1))
            [ -n "$first_bad" ] || first_bad="N=$n: $o"
            ;;
        esac
        [ "$n" -gt "$calls" ] && break
        if [ "$n" -lt "$calls" ] && [ $((n + stride)) -gt "$calls" ]; then
            n=$calls
        else
            n=$((n + stride))
        fi
    done
    echo "$name: $calls allocations; $runs runs (N stride $stride): $oom out of memory, $ok succeeded, $bad otherwise"
    total_runs=$((total_runs + runs))
    total_oom=$((total_oom + oom))
    total_ok=$((total_ok + ok))
    expect "$name: every N fails cleanly or succeeds${first_bad:+ ($first_bad)}" [ "$bad" = 0 ]
    expect "$name: the failures were injected" [ "$oom" -gt 0 ]
}

sweep choice '{}'
sweep map '{"items":[1,2,3,4,5,6]}'
sweep jsonata '{"items":[1,2,3,4]}'
sweep task '{"x":[1,{"y":"z"}]}'
printf '#!/bin/sh\nexec "%s" run "%s" "$@"\n' "$aslc" "$dir/choice.asl.json" >"$tmp/aslc-run-choice"
chmod +x "$tmp/aslc-run-choice"
sweep_program "aslc run choice" "$tmp/aslc-run-choice" '{}'
echo "sweep: $total_runs runs, $total_oom out of memory, $total_ok succeeded"

# ---- under an address-space limit -------------------------------------------
if [ "$runtime_sanitized" = yes ]; then
    echo "the ulimit -v case is skipped with a sanitized runtime"
else
    run "$aslc" build "$dir/map-jsonata.asl.json" -o "$tmp/bigmap"
    expect "map-jsonata: builds" [ "$rc" = 0 ]
    seq 0 19999 | tr '\n' ',' | sed 's/^/[/; s/,$/]/' >"$tmp/items.json"
    # Express: 20,000 iterations are more events than a Standard execution's
    # history may hold (doc/behaviour.md §33), and memory is what is tested.
    for threads in 4 16; do
        (ulimit -v 200000 && timeout "${ASLC_TEST_TIMEOUT:-300}" "$tmp/bigmap" \
            --type=EXPRESS --threads "$threads" --payload-limit none --input-file "$tmp/items.json" \
            >"$tmp/out" 2>"$tmp/err")
        rc=$?
        echo "ulimit -v 200000, $threads threads: exit $rc"
        expect "ulimit -v 200000, $threads threads: finishes or fails cleanly" \
            eval '[ "$rc" = 0 ] && head -c 30 "$tmp/out" | grep -q "^\[{\"v\":0," ||
                  { [ "$rc" = 1 ] && grep -Eq "$oom_doc" "$tmp/out"; }'
    done
fi

finish

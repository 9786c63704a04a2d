#!/bin/sh
# bench/llvm/run.sh - what the LLVM backend costs and gives, next to TinyCC
# and cc, on the pass chain (a_pass_chain_1000) and the Choice loop
# (b_choice_loop_100k) workloads of bench/workloads.
#
#   bench/llvm/run.sh [--runs N]          (ASLC=/path/to/aslc; default ./aslc)
#
# Needs an aslc configured --with-llvm (aslc --version lists llvm).  For each
# workload and each way of compiling it prints, best of N runs (default 3):
#   build  - `aslc build` to an executable (compile + link), seconds
#   run    - that executable on the workload's input (--wait=skip), seconds
#   memory - `aslc run` compiling in memory and running once (TinyCC, LLVM ORC)
# Ways: tcc (aslc build --cc=tcc / aslc run), cc -O2 (aslc build -O2),
# llvm -O0 and llvm -O2 (aslc build|run --backend=llvm -O0|-O2).  Every
# output is checked against the workload's .expected.json.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$(dirname "$here")")
runs=3
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=$2; shift 2 ;;
        --runs=*) runs=${1#--runs=}; shift ;;
        *) echo "usage: bench/llvm/run.sh [--runs N]" >&2; exit 2 ;;
    esac
done

aslc=${ASLC:-$root/aslc}
[ -x "$aslc" ] || { echo "run.sh: no aslc at $aslc (build it, or set ASLC)" >&2; exit 2; }
aslc=$(cd "$(dirname "$aslc")" && pwd)/$(basename "$aslc")
if ! "$aslc" --version | grep -q llvm; then
    echo "run.sh: $aslc has no LLVM backend (configure --with-llvm)" >&2
    exit 2
fi
: "${ASLC_INCLUDE_DIR:=$root/runtime}"
: "${ASLC_LIB_DIR:=$(dirname "$aslc")/.libs}"
export ASLC_INCLUDE_DIR ASLC_LIB_DIR
PYTHON3=${PYTHON3:-python3}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

now() { date +%s%N; }

# best CMD...: runs CMD $runs times (stdout to $tmp/out), prints the best
# wall time in seconds; fails when CMD fails.
best() {
    b=
    i=0
    while [ $i -lt "$runs" ]; do
        t0=$(now)
        "$@" >"$tmp/out" 2>"$tmp/err" || {
            echo "run.sh: failed: $*" >&2
            cat "$tmp/err" >&2
            exit 1
        }
        t=$(( $(now) - t0 ))
        if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
        i=$((i + 1))
    done
    awk -v ns="$b" 'BEGIN { printf "%.3f", ns / 1e9 }'
}

# same EXPECTED: the last output equals the expected one (keys sorted).
same() {
    "$PYTHON3" - "$1" "$tmp/out" <<'EOF' || { echo "run.sh: wrong output" >&2; exit 1; }
import json, sys
want = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))
sys.exit(0 if want == got else 1)
EOF
}

echo "aslc LLVM backend benchmark: $("$aslc" --version | tr '\n' ' ')"
echo "best of $runs; seconds; $(nproc) cores"
echo
printf '| %-20s | %-10s | %8s | %8s | %8s |\n' workload way build run memory
printf '| %-20s | %-10s | %8s | %8s | %8s |\n' -------------------- ---------- -------- -------- --------
for w in a_pass_chain_1000 b_choice_loop_100k; do
    def=$root/bench/workloads/$w.asl.json
    in=$root/bench/workloads/$w.input.json
    exp=$root/bench/workloads/$w.expected.json
    for way in tcc cc-O2 llvm-O0 llvm-O2; do
        case $way in
            tcc) build="--cc=tcc"; mem="" ;;
            cc-O2) build="-O2"; mem=- ;;
            llvm-O0) build="--backend=llvm -O0"; mem="--backend=llvm -O0" ;;
            llvm-O2) build="--backend=llvm -O2"; mem="--backend=llvm -O2" ;;
        esac
        # shellcheck disable=SC2086
        tb=$(best "$aslc" build "$def" -o "$tmp/wf" $build)
        tr=$(best "$tmp/wf" --input-file "$in" --wait=skip)
        same "$exp"
        tm=-
        if [ "$mem" != - ]; then
            # shellcheck disable=SC2086
            tm=$(best "$aslc" run "$def" $mem --input-file "$in" --wait=skip)
            same "$exp"
        fi
        printf '| %-20s | %-10s | %8s | %8s | %8s |\n' "$w" "$way" "$tb" "$tr" "$tm"
    done
done

#!/bin/sh
# bench/tasks/run.sh - Task invocations per second, by kind of handler: a
# no-op Python lambda_handler started per call and as a persistent worker, the
# same no-op as a C program per call and as a worker, and a C function in the
# workflow's own process.  Figures only, never pass/fail on time.
#
#   bench/tasks/run.sh [--runs N] [--scale F]
#
#   --runs N    runs per figure (default 3); the figure is the median
#   --scale F   multiply every call count by F (e.g. 0.1 for a quick look)
#
# Two workflows call the Noop task: loop.asl.json (a Task, a Pass and a
# Choice per call, one call at a time) and map.asl.json (a Map over N items,
# as many at a time as there are cores).  The Python and program cases run
# `aslc build` binaries with a bindings file; the C case is c_tasks.c, which
# embeds both workflows (`aslc emit`) and binds Noop to a C function.  Every
# figure is the whole process, start-up included, timed by bench/measure.c;
# every output is checked.  Uses ./aslc of the source tree unless ASLC names
# another, and the uninstalled runtime beside it (ASLC_INCLUDE_DIR,
# ASLC_LIB_DIR, ASLC_PYTHON_HANDLER), as bench/run.sh does.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
aslc=${ASLC:-$root/aslc}
: "${ASLC_INCLUDE_DIR:=$root/runtime}"
: "${ASLC_LIB_DIR:=$(dirname "$aslc")/.libs}"
: "${ASLC_PYTHON_HANDLER:=$root/runtime/aslc-python-handler}"
# The interpreter itself, not a wrapper such as pyenv's shim (a shell script
# that would add its own start-up to every per-call run).
: "${ASLC_PYTHON:=$(python3 -c 'import sys; print(sys.executable)')}"
export ASLC_INCLUDE_DIR ASLC_LIB_DIR ASLC_PYTHON_HANDLER ASLC_PYTHON

runs=3
scale=1
while [ $# -gt 0 ]; do
    case $1 in
    --runs) runs=$2; shift 2 ;;
    --runs=*) runs=${1#--runs=}; shift ;;
    --scale) scale=$2; shift 2 ;;
    --scale=*) scale=${1#--scale=}; shift ;;
    *) echo "usage: bench/tasks/run.sh [--runs N] [--scale F]" >&2; exit 2 ;;
    esac
done
[ -x "$aslc" ] || { echo "run.sh: $aslc is not built (set ASLC)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
say() { printf '== %s\n' "$*" >&2; }

# ---- build ----------------------------------------------------------------
say "building the handlers, the workflows and the C driver in $tmp"
cc -O2 -o "$tmp/measure" "$root/bench/measure.c"
cc -O2 -o "$tmp/noop" "$root/bench/handlers/handler.c"
cc -O2 -o "$tmp/noop_worker" "$here/noop_worker.c"
cp "$here/noop.py" "$tmp/noop.py"
"$aslc" build "$here/loop.asl.json" -o "$tmp/loop"
"$aslc" build "$here/map.asl.json" -o "$tmp/map"
"$aslc" emit "$here/loop.asl.json" --prefix tloop -o "$tmp/tloop.c"
"$aslc" emit "$here/map.asl.json" --prefix tmap -o "$tmp/tmap.c"
curl_libs=$(pkg-config --libs libcurl 2>/dev/null || true)
# shellcheck disable=SC2046,SC2086  # word lists
cc -O2 -std=c11 -I"$ASLC_INCLUDE_DIR" -o "$tmp/c_tasks" "$here/c_tasks.c" \
    "$tmp/tloop.c" "$tmp/tmap.c" "$ASLC_LIB_DIR/libaslrt.a" \
    $(pkg-config --cflags --libs jansson libcrypto libpcre2-8 libxml-2.0) $curl_libs -lpthread -lm

arn='arn:aws:lambda:*:*:function:Noop'
printf '{"%s": {"python": "noop.py"}}\n' "$arn" >"$tmp/python.json"
printf '{"%s": {"python": "noop.py", "worker": true}}\n' "$arn" >"$tmp/python-worker.json"
printf '{"%s": {"program": ["./noop"]}}\n' "$arn" >"$tmp/program.json"
printf '{"%s": {"program": ["./noop_worker"], "worker": true}}\n' "$arn" >"$tmp/program-worker.json"

# ---- measure --------------------------------------------------------------
# calls BASE: BASE scaled, at least 1.
calls() {
    awk -v b="$1" -v s="$scale" 'BEGIN { n = int(b * s); print n < 1 ? 1 : n }'
}

# measure NAME WORKFLOW N CMD...: runs CMD $runs times; the output must be
# the workflow's for N calls.  Prints "N MEDIAN_NS".
measure() {
    name=$1 wf=$2 n=$3
    shift 3
    if [ "$wf" = loop ]; then want="{\"i\":$n,\"n\":$n}"; else want="{\"calls\":$n}"; fi
    : >"$tmp/times"
    r=0
    while [ "$r" -lt "$runs" ]; do
        r=$((r + 1))
        (cd "$tmp" && ./measure "$tmp/res" "$@") >"$tmp/out" 2>"$tmp/err" || true
        read -r status ns kb <"$tmp/res"
        got=$(cat "$tmp/out")
        if [ "$status" != 0 ] || [ "$got" != "$want" ]; then
            echo "run.sh: $name ($wf, $n calls) failed with status $status: $got" >&2
            head -c 2000 "$tmp/err" >&2
            exit 1
        fi
        echo "$ns" >>"$tmp/times"
        say "$name, $wf, $n calls, run $r: $(awk -v ns="$ns" 'BEGIN { printf "%.1f ms", ns / 1e6 }') (peak RSS ${kb} KB)"
    done
    med=$(sort -n "$tmp/times" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    echo "$n $med"
}

# One row per kind of handler: its name, the calls it makes (the slow ones
# fewer, so that each run takes about a second), and how it runs.
rows="python:Python lambda_handler, a process per call:100
python-worker:Python lambda_handler, persistent worker:20000
program:C program, a process per call:1000
program-worker:C program, persistent worker:50000
c:C function (aslrt_bindings_add_c), in process:1000000"

: >"$tmp/rows"
echo "$rows" | while IFS=: read -r kind _label base; do
    n=$(calls "$base")
    for wf in loop map; do
        if [ "$wf" = loop ]; then input="{\"i\":0,\"n\":$n}"; else
            awk -v n="$n" 'BEGIN { printf "{\"items\":["; for (i = 0; i < n; i++) printf "%s%d", (i ? "," : ""), i; print "]}" }' >"$tmp/items.json"
        fi
        if [ "$kind" = c ]; then
            set -- ./c_tasks "$wf" "$n"
        elif [ "$wf" = loop ]; then
            # Express: 20,000 calls write more than a Standard execution's
            # 25,000 history events.
            set -- ./loop --type=EXPRESS --bindings "$kind.json" --input "$input"
        else
            set -- ./map --type=EXPRESS --bindings "$kind.json" --input-file items.json \
                --payload-limit=none
        fi
        res=$(measure "$kind" "$wf" "$n" "$@")
        echo "$kind $wf $res" >>"$tmp/rows"
    done
done

# ---- report ---------------------------------------------------------------
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
echo "# Task invocations per second, by kind of handler"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $commit; $("$aslc" --version 2>/dev/null | head -n 1)"
echo "- CPU: $cpu; nproc: $(nproc); load average before the report: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- python: $("$ASLC_PYTHON" --version 2>&1) ($ASLC_PYTHON); runs per figure: $runs (median); whole process, start-up included"
echo "- loop: one call at a time (Task, Pass, Choice per call); map: a Map over N items, $(nproc) at a time"
echo
echo "| handler | calls | loop ms | loop calls/s | loop × | map ms | map calls/s | map × |"
echo "|---|--:|--:|--:|--:|--:|--:|--:|"
awk -v rows="$rows" '
    BEGIN {
        nk = split(rows, lines, "\n")
        for (i = 1; i <= nk; i++) { split(lines[i], f, ":"); order[i] = f[1]; label[f[1]] = f[2] }
    }
    { n[$1] = $3; ns[$1, $2] = $4; rate[$1, $2] = $3 / ($4 / 1e9) }
    END {
        for (i = 1; i <= nk; i++) {
            k = order[i]
            printf "| %s | %d |", label[k], n[k]
            for (w = 1; w <= 2; w++) {
                wf = w == 1 ? "loop" : "map"
                printf " %.1f | %.0f | ×%.1f |", ns[k, wf] / 1e6, rate[k, wf], rate[k, wf] / rate["python", wf]
            }
            printf "\n"
        }
        printf "\n× = calls/s ÷ the Python per-call calls/s of the same workflow.\n"
        printf "Python worker ÷ Python per call: loop ×%.0f, map ×%.0f; C program worker ÷ C program per call: loop ×%.0f, map ×%.0f; C function ÷ Python worker: loop ×%.0f, map ×%.0f.\n",
            rate["python-worker", "loop"] / rate["python", "loop"], rate["python-worker", "map"] / rate["python", "map"],
            rate["program-worker", "loop"] / rate["program", "loop"], rate["program-worker", "map"] / rate["program", "map"],
            rate["c", "loop"] / rate["python-worker", "loop"], rate["c", "map"] / rate["python-worker", "map"]
    }' "$tmp/rows"

#!/bin/sh
# bench/startup.sh - what starting costs: whole processes that do almost
# nothing, so that what remains is exec, the dynamic loader and the
# runtime's own start.  Figures only, never pass/fail on time.
#
#   bench/startup.sh [--runs N]      (default 101; the figure is the median)
#
# Rows: /bin/true (the floor of a process on this machine); a one-Pass
# workflow program built by `aslc build` (cc -O2); the same through
# `aslc run` (TinyCC in memory, compile included); `aslc --version`; and
# `aslc run` of the 1,000-state Pass chain (workload a), compile included.
# Each row also gives the shared libraries the dynamic loader loaded for
# the process (LD_DEBUG=files), and the peak RSS.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
aslc=${ASLC:-$root/aslc}
runs=101
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=$2; shift 2 ;;
        --runs=*) runs=${1#--runs=}; shift ;;
        *) echo "startup.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -o "$tmp/measure" "$here/measure.c"
echo '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}' >"$tmp/pass.asl.json"
echo '{}' >"$tmp/empty.json"
"$aslc" build -O2 "$tmp/pass.asl.json" -o "$tmp/pass"
wl=$root/bench/workloads/a_pass_chain_1000

# row NAME CMD...: median wall ms, libraries loaded, peak RSS MB over $runs runs.
row() {
    name=$1
    shift
    : >"$tmp/walls"
    kb=0
    i=0
    while [ $i -lt "$runs" ]; do
        "$tmp/measure" "$tmp/res" "$@" <"$tmp/empty.json" >/dev/null 2>&1 ||
            { echo "startup.sh: $name failed" >&2; exit 1; }
        read -r status ns k <"$tmp/res"
        echo "$ns" >>"$tmp/walls"
        [ "$k" -gt "$kb" ] && kb=$k
        i=$((i + 1))
    done
    ms=$(sort -n "$tmp/walls" | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] / 1e6 }')
    libs=$(LD_DEBUG=files "$@" <"$tmp/empty.json" 2>&1 >/dev/null |
           grep -c 'file=.*\[0\];  \(needed\|dynamically loaded\) by' || true)
    printf '| %s | %s | %s | %.1f |\n' "$name" "$ms" "$libs" "$(echo "$kb" | awk '{ print $1 / 1024 }')"
}

echo "# Start-up: whole processes that do almost nothing"
echo
echo "Median of $runs runs (wall time from exec to wait4, bench/measure.c); libraries: the shared"
echo "objects the dynamic loader loaded (LD_DEBUG=files), needed at start or opened later."
echo
echo "| process | wall ms | libraries | peak RSS MB |"
echo "|---|--:|--:|--:|"
row "/bin/true" /bin/true
row "one-Pass program (\`aslc build\`, cc -O2)" "$tmp/pass"
row "\`aslc --version\`" "$aslc" --version
row "\`aslc run\` of the one-Pass machine" "$aslc" run "$tmp/pass.asl.json"
runs=$(( runs > 21 ? 21 : runs ))
row "\`aslc run\` of a_pass_chain_1000 (compile included)" \
    "$aslc" run "$wl.asl.json" --input-file "$wl.input.json"
echo
echo "$("$aslc" --version | tr '\n' ' ')"

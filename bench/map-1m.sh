#!/bin/sh
# bench/map-1m.sh - a Map over 1,000,000 small items ({"id": k}) whose item
# processor is a Pass and a Choice, as a built workflow program: wall time,
# items/s and peak RSS, with MaxConcurrency 1 and unbounded; the two outputs
# must be identical.  Figures only, never pass/fail on time.
#
#   bench/map-1m.sh [ITEMS]       (default 1000000)
#
# The output (an array of ITEMS strings) is far over AWS's 256 KiB payload
# quota, so the runs lift it with --payload-limit=none.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
aslc=${ASLC:-$root/aslc}
n=${1:-1000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cc -O2 -o "$tmp/measure" "$here/measure.c"
python3 - "$tmp" "$n" <<'PY'
import json, sys
tmp, n = sys.argv[1], int(sys.argv[2])
for name, conc in (("seq", 1), ("par", 0)):
    d = {"StartAt": "Fan", "States": {"Fan": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": conc,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Get", "States": {
            "Get": {"Type": "Pass", "Parameters": {"v.$": "$.id"}, "Next": "Big"},
            "Big": {"Type": "Choice", "Choices": [
                {"Variable": "$.v", "NumericGreaterThanEquals": n // 2, "Next": "Hi"}],
                "Default": "Lo"},
            "Hi": {"Type": "Pass", "Result": "hi", "End": True},
            "Lo": {"Type": "Pass", "Result": "lo", "End": True}}},
        "End": True}}}
    json.dump(d, open("%s/map_%s.asl.json" % (tmp, name), "w"))
with open(tmp + "/input.json", "w") as f:
    f.write('{"items":[' + ",".join('{"id":%d}' % k for k in range(n)) + "]}")
PY

echo "# Map over $n items (Pass + Choice per item), built program, $(nproc) cores"
echo
echo "| MaxConcurrency | threads | wall s | items/s | peak RSS MB |"
echo "|---|--:|--:|--:|--:|"
for name in seq par; do
    "$aslc" build "$tmp/map_$name.asl.json" -o "$tmp/map_$name"
    "$tmp/measure" "$tmp/res" "$tmp/map_$name" --input-file "$tmp/input.json" \
        --payload-limit=none >"$tmp/out_$name.json" 2>/dev/null
    read -r status ns kb <"$tmp/res"
    [ "$status" = 0 ] || { echo "map_$name failed with status $status"; exit 1; }
    conc=$([ "$name" = seq ] && echo 1 || echo "0 (unbounded)")
    threads=$([ "$name" = seq ] && echo 1 || nproc)
    awk -v n="$n" -v ns="$ns" -v kb="$kb" -v c="$conc" -v t="$threads" \
        'BEGIN { printf "| %s | %s | %.2f | %.0f | %.0f |\n", c, t, ns / 1e9, n / (ns / 1e9), kb / 1024 }'
done
echo
if cmp -s "$tmp/out_seq.json" "$tmp/out_par.json"; then
    echo "outputs identical ($(wc -c <"$tmp/out_seq.json") bytes)"
else
    echo "OUTPUTS DIFFER"; exit 1
fi

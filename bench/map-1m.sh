#!/bin/sh
# bench/map-1m.sh - a Map over 1,000,000 small items ({"id": k}) whose item
# processor is a Pass and a Choice, as a built workflow program: wall time,
# items/s and peak RSS, with MaxConcurrency 1 and unbounded; the two outputs
# must be identical.  Peak RSS is also given against the input's JSON size
# (the ratio), next to a machine that only passes the same input through (a
# Pass state): what holding the parsed input costs before any Map runs.
# Figures only, never pass/fail on time.
#
#   bench/map-1m.sh [ITEMS]       (default 1000000)
#
# The output (an array of ITEMS strings) is far over AWS's 256 KiB payload
# quota, so the runs lift it with --payload-limit=none; and its 1,000,000
# iterations write about 5,000,000 history events, far over a Standard
# execution's 25,000 (doc/behaviour.md §33), so the runs are Express
# executions (--type=EXPRESS), which have no such quota.
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
json.dump({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
          open(tmp + "/pass.asl.json", "w"))
with open(tmp + "/input.json", "w") as f:
    f.write('{"items":[' + ",".join('{"id":%d}' % k for k in range(n)) + "]}")
PY

echo "# Map over $n items (Pass + Choice per item), built program, $(nproc) cores"
echo
insize=$(wc -c <"$tmp/input.json" | tr -d ' ')
echo "input: $insize bytes of JSON"
echo
echo "| machine | threads | wall s | items/s | peak RSS MB | RSS / input |"
echo "|---|--:|--:|--:|--:|--:|"
# The floor: jansson's tree of the input alone, in a program that does
# nothing else (the runtime holds every JSON value as a jansson tree).
cat >"$tmp/parse.c" <<'EOF'
#include <jansson.h>
int main(int argc, char **argv)
{
    json_error_t e;
    json_t *v = argc > 1 ? json_load_file(argv[1], JSON_DECODE_ANY, &e) : NULL;
    return v ? 0 : 1;
}
EOF
if cc -O2 -o "$tmp/parse" "$tmp/parse.c" -ljansson 2>/dev/null &&
    "$tmp/measure" "$tmp/res" "$tmp/parse" "$tmp/input.json"; then
    read -r status ns kb <"$tmp/res"
    awk -v ns="$ns" -v kb="$kb" -v isz="$insize" \
        'BEGIN { printf "| jansson parse alone (json_load_file) | 1 | %.2f | - | %.0f | %.1f |\n", ns / 1e9, kb / 1024, kb * 1024 / isz }'
fi
"$aslc" build "$tmp/pass.asl.json" -o "$tmp/pass"
"$tmp/measure" "$tmp/res" "$tmp/pass" --type=EXPRESS --input-file "$tmp/input.json" \
    --payload-limit=none >/dev/null 2>&1
read -r status ns kb <"$tmp/res"
[ "$status" = 0 ] || { echo "pass failed with status $status"; exit 1; }
awk -v ns="$ns" -v kb="$kb" -v isz="$insize" \
    'BEGIN { printf "| Pass (the input parsed, no Map) | 1 | %.2f | - | %.0f | %.1f |\n", ns / 1e9, kb / 1024, kb * 1024 / isz }'
for name in seq par; do
    "$aslc" build "$tmp/map_$name.asl.json" -o "$tmp/map_$name"
    "$tmp/measure" "$tmp/res" "$tmp/map_$name" --type=EXPRESS --input-file "$tmp/input.json" \
        --payload-limit=none >"$tmp/out_$name.json" 2>"$tmp/err_$name" || true
    read -r status ns kb <"$tmp/res"
    [ "$status" = 0 ] || { echo "map_$name failed with status $status:"; head -c 2000 "$tmp/err_$name" "$tmp/out_$name.json"; exit 1; }
    conc=$([ "$name" = seq ] && echo 1 || echo "0 (unbounded)")
    threads=$([ "$name" = seq ] && echo 1 || nproc)
    awk -v n="$n" -v ns="$ns" -v kb="$kb" -v c="$conc" -v t="$threads" -v isz="$insize" \
        'BEGIN { printf "| Map, MaxConcurrency %s | %s | %.2f | %.0f | %.0f | %.1f |\n", c, t, ns / 1e9, n / (ns / 1e9), kb / 1024, kb * 1024 / isz }'
done
echo
if cmp -s "$tmp/out_seq.json" "$tmp/out_par.json"; then
    echo "outputs identical ($(wc -c <"$tmp/out_seq.json") bytes)"
else
    echo "OUTPUTS DIFFER"; exit 1
fi

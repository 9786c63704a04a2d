#!/bin/sh
# bench/map-reader.sh - a distributed Map over ITEMS items ({"id": k}) read by
# an ItemReader (s3:getObject) from a JSON Lines, CSV and JSON-array object,
# without and with a ResultWriter, as a built workflow program: wall time,
# items/s and peak RSS of the whole process.  The item processor is a Pass
# and a Choice (Express children).  S3 is the folder given by --s3-root
# (doc/behaviour.md §28), so no S3 server is needed.  Figures only, never
# pass/fail on time; the script fails only when a run fails or when the
# results of the three formats differ.
#
#   bench/map-reader.sh [ITEMS]       (default 1000000)
#
# Without a ResultWriter the Map's output is the array of ITEMS results,
# held whole (far over AWS's 256 KiB payload quota: the runs lift it with
# --payload-limit=none); with one, the results go to
# out/<prefix>/<run id>/SUCCEEDED_0.json as the children finish (JSON Lines,
# Transformation NONE: each entry is the child's DescribeExecution, about
# 600 bytes).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
aslc=${ASLC:-$root/aslc}
n=${1:-1000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cc -O2 -o "$tmp/measure" "$here/measure.c"
mkdir -p "$tmp/s3/in" "$tmp/s3/out"
/usr/bin/python3 - "$tmp" "$n" <<'PY'
import json, sys
tmp, n = sys.argv[1], int(sys.argv[2])
with open(tmp + "/s3/in/items.jsonl", "w") as f:
    for k in range(n):
        f.write('{"id":%d}\n' % k)
with open(tmp + "/s3/in/items.csv", "w") as f:
    f.write("id\n")
    for k in range(n):
        f.write("%d\n" % k)
with open(tmp + "/s3/in/items.json", "w") as f:
    f.write("[" + ",\n".join('{"id":%d}' % k for k in range(n)) + "]\n")
for fmt, key in (("JSONL", "items.jsonl"), ("CSV", "items.csv"), ("JSON", "items.json")):
    for writer in (False, True):
        m = {
            "Type": "Map",
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                           "ReaderConfig": {"InputType": fmt},
                           "Parameters": {"Bucket": "in", "Key": key}},
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                "StartAt": "Get", "States": {
                    # CSV fields are strings: States.StringToJson makes them numbers.
                    "Get": {"Type": "Pass", "Parameters": {
                        "v.$": "States.StringToJson($.id)" if fmt == "CSV" else "$.id"},
                        "Next": "Big"},
                    "Big": {"Type": "Choice", "Choices": [
                        {"Variable": "$.v", "NumericGreaterThanEquals": n // 2, "Next": "Hi"}],
                        "Default": "Lo"},
                    "Hi": {"Type": "Pass", "Result": "hi", "End": True},
                    "Lo": {"Type": "Pass", "Result": "lo", "End": True}}},
            "End": True}
        if writer:
            m["ResultWriter"] = {"Resource": "arn:aws:states:::s3:putObject",
                                 "Parameters": {"Bucket": "out", "Prefix": fmt.lower()},
                                 "WriterConfig": {"OutputType": "JSONL",
                                                  "Transformation": "NONE"}}
        d = {"StartAt": "Fan", "States": {"Fan": m}}
        name = "%s_%s" % (fmt.lower(), "writer" if writer else "array")
        json.dump(d, open("%s/%s.asl.json" % (tmp, name), "w"))
PY

size() { wc -c <"$1" | tr -d ' '; }
echo "# Distributed Map over $n items from an ItemReader (Pass + Choice per item), built program, $(nproc) cores"
echo
echo "objects: JSONL $(size "$tmp/s3/in/items.jsonl") bytes, CSV $(size "$tmp/s3/in/items.csv") bytes, JSON $(size "$tmp/s3/in/items.json") bytes"
echo
echo "| InputType | ResultWriter | wall s | items/s | peak RSS MB | output |"
echo "|---|---|--:|--:|--:|---|"
for fmt in jsonl csv json; do
    for mode in array writer; do
        name=${fmt}_$mode
        "$aslc" build "$tmp/$name.asl.json" -o "$tmp/$name"
        "$tmp/measure" "$tmp/res" "$tmp/$name" --s3-root "$tmp/s3" --input '{}' \
            --payload-limit=none >"$tmp/out_$name.json" 2>"$tmp/err_$name" || true
        read -r status ns kb <"$tmp/res"
        if [ "$status" != 0 ]; then
            echo "$name failed with status $status:"; head -c 2000 "$tmp/err_$name" "$tmp/out_$name.json"
            exit 1
        fi
        if [ "$mode" = writer ]; then
            file=$(find "$tmp/s3/out/$fmt" -name 'SUCCEEDED_0.json')
            what="SUCCEEDED_0.json $(size "$file") bytes"
            /usr/bin/python3 -c 'import json,sys; print(json.dumps([json.loads(json.loads(l)["Output"]) for l in open(sys.argv[1])]))' \
                "$file" >"$tmp/written_$fmt.json"
            rm -rf "$tmp/s3/out/$fmt"
        else
            what="array, $(size "$tmp/out_$name.json") bytes"
        fi
        awk -v n="$n" -v ns="$ns" -v kb="$kb" -v f="$fmt" -v m="$mode" -v w="$what" \
            'BEGIN { printf "| %s | %s | %.2f | %.0f | %.1f | %s |\n", toupper(f), (m == "writer" ? "yes" : "no"), ns / 1e9, n / (ns / 1e9), kb / 1024, w }'
    done
done
echo
for fmt in csv json; do
    cmp -s "$tmp/out_jsonl_array.json" "$tmp/out_${fmt}_array.json" ||
        { echo "OUTPUTS DIFFER: jsonl and $fmt"; exit 1; }
done
/usr/bin/python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
want = json.load(open(tmp + "/out_jsonl_array.json"))
for fmt in ("jsonl", "csv", "json"):
    if json.load(open("%s/written_%s.json" % (tmp, fmt))) != want:
        sys.exit("RESULT FILES DIFFER: %s" % fmt)
PY
echo "outputs identical across formats and ResultWriter files ($(size "$tmp/out_jsonl_array.json") bytes)"

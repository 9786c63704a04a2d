#!/bin/sh
# run-map-stream.sh - a distributed Map with an ItemReader reads its items a
# window at a time and writes its ResultWriter files as the children finish
# (doc/behaviour.md §44).  Its results must be those of the same Map over
# the same items given at once (ItemsPath), across window boundaries (2,500
# items; a window is 1,024 children): ItemSelector with $$.Map.Item.Index,
# ItemBatcher, MaxItems, JSONL, CSV and JSON-array objects, failures in the
# middle within and beyond ToleratedFailureCount, and the ResultWriter's
# files (entries, manifest sizes, nothing left behind by a failed run).
set -u
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-$srcdir}
aslc=${ASLC:-$builddir/aslc}
PYTHON3=${PYTHON3:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! "$PYTHON3" -c 'import sys; sys.exit(sys.version_info < (3, 6))' >/dev/null 2>&1; then
    echo "run-map-stream.sh: no Python 3 as '$PYTHON3'; skipped"
    exit 77
fi

"$PYTHON3" - "$tmp" "$aslc" <<'PY'
import json, os, subprocess, sys

tmp, aslc = sys.argv[1], sys.argv[2]
N = 2500
root = os.path.join(tmp, "s3")
os.makedirs(os.path.join(root, "in"))
os.makedirs(os.path.join(root, "out"))
items = [{"id": k, "name": "n%d" % k} for k in range(N)]
with open(os.path.join(root, "in", "items.jsonl"), "w") as f:
    for it in items:
        f.write(json.dumps(it) + "\n")
with open(os.path.join(root, "in", "items.json"), "w") as f:
    # One element per line, spaced, so that the 64 KiB reads cut elements.
    f.write("[\n" + ",\n".join("  " + json.dumps(it) for it in items) + "\n]\n")
with open(os.path.join(root, "in", "items.csv"), "w") as f:
    f.write("id,name\n" + "".join("%d,n%d\n" % (k, k) for k in range(N)))

passed = failed = 0

def report(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("PASS: " + what)
    else:
        failed += 1
        print("FAIL: " + what + ("\n  " + detail[:2000] if detail else ""))

def run(defn, inp, name):
    path = os.path.join(tmp, name + ".asl.json")
    with open(path, "w") as f:
        json.dump({"StartAt": "M", "States": {"M": defn}}, f)
    p = subprocess.run([aslc, "run", path, "--s3-root", root, "--payload-limit=none",
                        "--input", json.dumps(inp)], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    return p.returncode, json.loads(p.stdout) if p.stdout.strip() else None, p.stderr

def reader(fmt, key, extra=None):
    r = {"Resource": "arn:aws:states:::s3:getObject",
         "ReaderConfig": {"InputType": fmt}, "Parameters": {"Bucket": "in", "Key": key}}
    r["ReaderConfig"].update(extra or {})
    return r

def processor(fail_every=0):
    states = {"P": {"Type": "Pass", "End": True}}
    if fail_every:
        states = {
            "C": {"Type": "Choice", "Choices": [
                {"Variable": "$.bad", "BooleanEquals": True, "Next": "F"}], "Default": "P"},
            "F": {"Type": "Fail", "Error": "Bad", "Cause": "bad item"},
            "P": {"Type": "Pass", "End": True}}
    return {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
            "StartAt": "C" if fail_every else "P", "States": states}

def pair(fields, fmt="JSONL", key="items.jsonl", reader_extra=None, limit=None):
    """The Map with the reader, and the same Map over the items given at once."""
    streamed = dict(fields, ItemReader=reader(fmt, key, reader_extra))
    given = dict(fields, ItemsPath="$.items")
    src = items[:limit] if limit else items
    return streamed, given, {"items": src}

# ItemSelector: $ is the Map's input, $$.Map.Item.Value the item.
selector = {"i.$": "$$.Map.Item.Index", "id.$": "$$.Map.Item.Value.id",
            "name.$": "$$.Map.Item.Value.name",
            "bad.$": "States.ArrayContains(States.Array(499, 1500, 2024), $$.Map.Item.Value.id)"}
csv_selector = dict(selector, **{
    "id.$": "States.StringToJson($$.Map.Item.Value.id)",
    "bad.$": "States.ArrayContains(States.Array('499', '1500', '2024'), $$.Map.Item.Value.id)"})

# 1. ItemSelector with the item's index, three formats.
want = [{"i": k, "id": k, "name": "n%d" % k, "bad": k in (499, 1500, 2024)} for k in range(N)]
base = {"Type": "Map", "ItemSelector": selector, "ItemProcessor": processor(), "End": True}
s, g, inp = pair(base)
rc1, out1, err1 = run(s, {}, "sel_stream")
rc2, out2, err2 = run(g, inp, "sel_given")
report(rc1 == 0 and out1 == want and out1 == out2,
       "JSONL reader, ItemSelector with $$.Map.Item.Index: as the items given at once",
       "%s %s %s" % (rc1, err1, str(out1)[:300]))
for fmt, key, sel in (("JSON", "items.json", selector), ("CSV", "items.csv", csv_selector)):
    s, _, _ = pair(dict(base, ItemSelector=sel), fmt, key)
    rc, out, err = run(s, {}, "sel_" + fmt)
    report(rc == 0 and out == want, "%s reader: the same items and indexes" % fmt,
           "%s %s %s" % (rc, err, str(out)[:300]))

# 2. MaxItems.
s, g, inp = pair(dict(base), reader_extra={"MaxItems": 1500}, limit=1500)
rc1, out1, _ = run(s, {}, "max_stream")
rc2, out2, _ = run(g, inp, "max_given")
report(rc1 == 0 and out1 == out2 and len(out1) == 1500, "MaxItems 1500 across a window",
       str(out1)[:300])

# 3. ItemBatcher (7 items a batch, BatchInput) over the selected items.
batched = dict(base, ItemBatcher={"MaxItemsPerBatch": 7, "BatchInput": {"b": 1}})
s, g, inp = pair(batched)
rc1, out1, err1 = run(s, {}, "batch_stream")
rc2, out2, _ = run(g, inp, "batch_given")
report(rc1 == 0 and out1 == out2 and len(out1) == (N + 6) // 7 and
       out1[-1]["Items"][-1]["i"] == N - 1,
       "ItemBatcher with ItemSelector: the same batches", "%s %s %s" % (rc1, err1, str(out1)[:300]))
s, g, inp = pair(dict(base, ItemBatcher={"MaxInputBytesPerBatch": 1000}))
rc1, out1, _ = run(s, {}, "bytes_stream")
rc2, out2, _ = run(g, inp, "bytes_given")
report(rc1 == 0 and out1 == out2, "ItemBatcher by bytes: the same batches", str(out1)[:300])

# 4. Failures in the middle: tolerated, then not.
def masked(entries):
    keep = ("Input", "Output", "Status", "Error", "Cause", "RedriveStatus")
    return [{k: e[k] for k in keep if k in e} for e in entries]

def written(prefix):
    """The manifest and result files under out/prefix, checked and parsed."""
    top = os.path.join(root, "out", prefix)
    runs = os.listdir(top) if os.path.isdir(top) else []
    if len(runs) != 1:
        return None
    d = os.path.join(top, runs[0])
    names = sorted(os.listdir(d))
    m = json.load(open(os.path.join(d, "manifest.json")))
    files = {}
    for status in ("SUCCEEDED", "FAILED"):
        for f in m["ResultFiles"][status]:
            path = os.path.join(root, "out", f["Key"])
            if os.path.getsize(path) != f["Size"]:
                return None
            files[status] = masked(json.load(open(path)))
    return names, files

tolerant = dict(base, ItemProcessor=processor(fail_every=1), ToleratedFailureCount=3,
                ResultWriter={"Resource": "arn:aws:states:::s3:putObject",
                              "Parameters": {"Bucket": "out", "Prefix": "p1"}})
s, g, inp = pair(tolerant)
rc1, out1, err1 = run(s, {}, "tol_stream")
w1 = written("p1")
g["ResultWriter"] = {"Resource": "arn:aws:states:::s3:putObject",
                     "Parameters": {"Bucket": "out", "Prefix": "p2"}}
rc2, out2, _ = run(g, inp, "tol_given")
w2 = written("p2")
report(rc1 == 0 and w1 is not None and w1 == w2 and
       w1[0] == ["FAILED_0.json", "SUCCEEDED_0.json", "manifest.json"] and
       len(w1[1]["FAILED"]) == 3 and len(w1[1]["SUCCEEDED"]) == N - 3 and
       w1[1]["FAILED"][1]["Input"] == json.dumps(items[1500], separators=(",", ":")),
       "three failures tolerated: the same SUCCEEDED_0.json and FAILED_0.json entries",
       "%s %s %s" % (rc1, err1, str(w1)[:500]))
s["ToleratedFailureCount"] = 2
s["ResultWriter"]["Parameters"]["Prefix"] = "p3"
rc, out, err = run(s, {}, "tol_over")
left = [f for _, _, fs in os.walk(os.path.join(root, "out", "p3")) for f in fs]
report(rc != 0 and out is not None and
       out.get("Error") == "States.ExceedToleratedFailureThreshold" and not left,
       "beyond ToleratedFailureCount: ExceedToleratedFailureThreshold, no file left",
       "%s %s" % (out, err))

# 5. The JSONL/COMPACT ResultWriter: one line per child, in order.
jl = dict(base, ResultWriter={"Resource": "arn:aws:states:::s3:putObject",
                              "Parameters": {"Bucket": "out", "Prefix": "p4"},
                              "WriterConfig": {"OutputType": "JSONL", "Transformation": "COMPACT"}})
s, _, _ = pair(jl)
rc, out, err = run(s, {}, "jsonl_writer")
ok = False
if rc == 0:
    m = json.load(open(os.path.join(root, "out", out["ResultWriterDetails"]["Key"])))
    f = m["ResultFiles"]["SUCCEEDED"][0]
    text = open(os.path.join(root, "out", f["Key"])).read()
    ok = (len(text) == f["Size"] and
          [json.loads(l) for l in text.splitlines()] == want and
          m["ResultFiles"]["FAILED"] == [])
report(ok, "JSONL COMPACT result file: every result in order", "%s %s" % (out, err))

# 6. A broken JSON object after good elements: the whole document's error.
with open(os.path.join(root, "in", "broken.json"), "w") as f:
    f.write("[" + ",".join(json.dumps(it) for it in items) + ",{\"id\": x}]")
s, _, _ = pair(base, "JSON", "broken.json")
rc, out, err = run(s, {}, "broken")
report(rc != 0 and out and out.get("Error") == "States.ItemReaderFailed" and
       out.get("Cause", "").startswith("The object s3://in/broken.json is not valid JSON: ") and
       "line 1, column" in out.get("Cause", ""),
       "a JSON object broken after 2,500 elements: ItemReaderFailed with jansson's position",
       "%s %s" % (out, err))

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY

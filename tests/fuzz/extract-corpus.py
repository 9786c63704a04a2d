#!/usr/bin/env python3
"""extract-corpus.py - writes the expressions of the JSONata test suite into
the fuzz seed corpus, one file each, deduplicated: corpus/jsonata/suite-<sha1>.

    tests/fuzz/extract-corpus.py [SUITE_DIR]

SUITE_DIR defaults to tests/jsonata/suite, the copy in the source tree.
Old suite-* files are replaced; the hand-written nasty-* seeds are left alone.
"""
import hashlib
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.dirname(os.path.dirname(here))
suite = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, "tests", "jsonata", "suite")
out = os.path.join(here, "corpus", "jsonata")
groups = os.path.join(suite, "groups")
if not os.path.isdir(groups):
    sys.exit("extract-corpus.py: no test suite in %s" % suite)

exprs = set()
for group in sorted(os.listdir(groups)):
    gdir = os.path.join(groups, group)
    for name in sorted(os.listdir(gdir)):
        path = os.path.join(gdir, name)
        if name.endswith(".jsonata"):
            with open(path, "rb") as f:
                exprs.add(f.read())
            continue
        if not name.endswith(".json"):
            continue
        with open(path, "rb") as f:
            # A lone surrogate ("\ud800") has no UTF-8 form: keep it as
            # the bytes Python's surrogatepass gives, which the engine
            # must reject without crashing.
            spec = json.loads(f.read().decode("utf-8"))
        for case in spec if isinstance(spec, list) else [spec]:
            if isinstance(case.get("expr"), str):
                exprs.add(case["expr"].encode("utf-8", "surrogatepass"))

os.makedirs(out, exist_ok=True)
for old in os.listdir(out):
    if old.startswith("suite-"):
        os.remove(os.path.join(out, old))
for e in exprs:
    with open(os.path.join(out, "suite-" + hashlib.sha1(e).hexdigest()[:16]), "wb") as f:
        f.write(e)
print("extract-corpus.py: %d expressions in %s" % (len(exprs), out))

#!/bin/sh
# bench/compile/run.sh - the `aslc build` time section of bench/run.py: runs
# build_times.py on $ASLC (default ./aslc) and prints its Markdown report.
#   sh bench/compile/run.sh [--big] [--runs N] [--backends c,llvm]
# --big adds the 20,000-state Pass chain (minutes with cc -O2).
here=$(cd "$(dirname "$0")" && pwd)
# Without LLVM in aslc, only cc.
backends=c
if "${ASLC:-./aslc}" --version 2>/dev/null | grep -q llvm; then backends=c,llvm; fi
exec "${PYTHON3:-/usr/bin/python3}" "$here/build_times.py" --aslc "${ASLC:-./aslc}" \
    --backends "$backends" --markdown "$@"

#!/bin/sh
# run-jsonata-asl.sh - aslc's own JSONata-mode executions (tests/jsonata-asl),
# through both backends, with the conformance runner.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
PYTHON3=${PYTHON3:-python3}
if ! "$PYTHON3" -c 'import sys; sys.exit(sys.version_info < (3, 9))' >/dev/null 2>&1; then
    echo "run-jsonata-asl.sh: no Python 3.9+ as '$PYTHON3'; skipped"
    exit 77
fi
exec "$PYTHON3" "$top_srcdir/tests/conformance/runner.py" --no-invalid \
    --corpus "$top_srcdir/tests/jsonata-asl" --aslc "${ASLC:-$top_builddir/aslc}" "$@"

#!/bin/sh
# run-conformance.sh - runs the AWS Step Functions conformance corpus
# (tests/conformance/localstack, or the folder $ASLC_CONFORMANCE_DIR names)
# through aslc, both backends; see tests/conformance/runner.py.  Arguments are passed on to the runner
# (--filter, --jobs, --path, -v, --list-failures, ...).
#
# Exit status: 0 all passed, 1 some case failed or the corpus is missing
# (it is part of the source tree: a missing corpus is a broken tree, never a
# skip), 77 (automake's "skipped") when there is no Python 3.9+.

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
PYTHON3=${PYTHON3:-python3}
corpus=${ASLC_CONFORMANCE_DIR:-$top_srcdir/tests/conformance/localstack}

if ! "$PYTHON3" -c 'import sys; sys.exit(sys.version_info < (3, 9))' >/dev/null 2>&1; then
    echo "run-conformance.sh: no Python 3.9+ as '$PYTHON3'; skipped"
    exit 77
fi
if [ ! -d "$corpus/cases" ]; then
    echo "run-conformance.sh: no conformance corpus in $corpus"
    exit 1
fi

# The runner's own matcher first: a broken comparison would make every
# result below meaningless.
"$PYTHON3" "$top_srcdir/tests/conformance/runner.py" --self-test || exit 1

exec "$PYTHON3" "$top_srcdir/tests/conformance/runner.py" \
    --corpus "$corpus" --aslc "${ASLC:-$top_builddir/aslc}" "$@"

#!/bin/sh
# run-conformance.sh - runs the AWS Step Functions conformance corpus
# (tests/conformance/localstack, or the folder $ASLC_CONFORMANCE_DIR names)
# through aslc, both backends; see tests/conformance/runner.py.  Arguments are passed on to the runner
# (--filter, --jobs, --path, -v, --list-failures, ...).
#
# The cases that call DynamoDB, SQS, SNS, EventBridge or S3 run against the
# AWS-compatible test servers (tests/services/aws/servers.sh: dynalite,
# s3rver and our SQS, SNS and EventBridge servers), started once here with
# the corpus's account and stopped at the end.  ASLC_CONFORMANCE_SERVICES
# says what happens when they cannot start: "yes" (the default, as in
# `make check`) fails the test; "auto" (`make conformance`) runs without
# them, skipping those cases; "no" does not start them.
#
# Exit status: 0 all passed, 1 some case failed, the corpus is missing (it
# is part of the source tree: a missing corpus is a broken tree, never a
# skip) or the servers did not start, 77 (automake's "skipped") when there
# is no Python 3.9+.

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

. "$top_srcdir/tests/conformance/services.sh"
start_services run-conformance.sh "$PYTHON3"
if [ -n "$services_args" ]; then
    set -- "$services_args" "$@"
fi

"$PYTHON3" "$top_srcdir/tests/conformance/runner.py" \
    --corpus "$corpus" --aslc "${ASLC:-$top_builddir/aslc}" "$@"
rc=$?
exit $rc

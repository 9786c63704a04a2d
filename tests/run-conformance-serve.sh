#!/bin/sh
# run-conformance-serve.sh - the executions recorded on AWS (the conformance
# corpus, tests/conformance/localstack or $ASLC_CONFORMANCE_DIR) run through
# the Step Functions API of `aslc serve` and compared with what AWS returned:
# tests/conformance/through_serve.py, which reuses runner.py's comparisons.
# Arguments are passed on to it (--filter, --jobs, --subset, -v,
# --list-failures, --serve-arg=--backend=llvm, ...).
#
# The cases that call DynamoDB, SQS, SNS, EventBridge or S3 run against the
# AWS-compatible test servers (tests/services/aws/servers.sh), started once
# here with the corpus's account and stopped at the end, as
# run-conformance.sh does; ASLC_CONFORMANCE_SERVICES (yes, auto, no) says
# what happens when they cannot start, as there.
#
# The whole corpus runs with the server's default backend (TinyCC); when
# aslc has LLVM, the representative subset (--subset) runs again with
# --backend=llvm.
#
# Exit status: 0 all passed, 1 some case failed (or the corpus is missing,
# or the servers did not start), 77 (skipped) without boto3
# (python3-boto3) or without `aslc serve`.

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
corpus=${ASLC_CONFORMANCE_DIR:-$top_srcdir/tests/conformance/localstack}

# Debian's python3 sees python3-boto3; another python3 first in PATH (pyenv)
# may not.
py=
for p in /usr/bin/python3 "${PYTHON3:-python3}"; do
    if "$p" -c 'import sys, boto3, botocore; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
        py=$p
        break
    fi
done
if [ -z "$py" ]; then
    echo "run-conformance-serve.sh: no Python 3.9+ with boto3 (python3-boto3): skipped" >&2
    exit 77
fi
if [ ! -d "$corpus/cases" ]; then
    echo "run-conformance-serve.sh: no conformance corpus in $corpus"
    exit 1
fi
aslc=${ASLC:-$top_builddir/aslc}
if [ ! -x "$aslc" ]; then
    echo "run-conformance-serve.sh: $aslc: not built" >&2
    exit 99
fi
if ! "$aslc" serve --help >/dev/null 2>&1; then
    echo "run-conformance-serve.sh: this aslc has no serve command: skipped" >&2
    exit 77
fi

. "$top_srcdir/tests/conformance/services.sh"
start_services run-conformance-serve.sh "$py"
if [ -n "$services_args" ]; then
    set -- "$services_args" "$@"
fi

# A hang fails the test instead of holding make check.
through() {
    timeout "${ASLC_SERVE_TEST_TIMEOUT:-1800}" "$py" -W ignore::ResourceWarning \
        "$top_srcdir/tests/conformance/through_serve.py" --corpus "$corpus" --aslc "$aslc" "$@"
}
echo "== the whole corpus, state machines compiled by TinyCC"
through "$@"
rc=$?
# The server's other compiler, on the representative subset.
if "$aslc" --version 2>/dev/null | grep -q '^backends:.*llvm'; then
    echo
    echo "== the subset, state machines compiled by LLVM (aslc serve --backend=llvm)"
    through --subset --serve-arg=--backend=llvm "$@" || rc=1
fi
exit $rc

#!/bin/sh
# run-test-state.sh - the TestState corpus (tests/conformance/localstack/
# test_state_cases: calls to AWS's TestState API and its answers) through
# `aslc serve`'s API: tests/conformance/runner.py --test-state starts the
# servers itself on free ports of 127.0.0.1 and stops them.  Arguments are
# passed on to the runner (--filter, -v, --list-failures, --driver PROG to
# call server/teststate.c without HTTP, ...).
#
# Exit status: 0 all passed, 1 some case failed or the corpus is missing,
# 77 (automake's "skipped") when there is no Python 3.9+.

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
PYTHON3=${PYTHON3:-python3}
corpus=${ASLC_CONFORMANCE_DIR:-$top_srcdir/tests/conformance/localstack}

if ! "$PYTHON3" -c 'import sys; sys.exit(sys.version_info < (3, 9))' >/dev/null 2>&1; then
    echo "run-test-state.sh: no Python 3.9+ as '$PYTHON3'; skipped"
    exit 77
fi
if [ ! -d "$corpus/test_state_cases" ]; then
    echo "run-test-state.sh: no TestState corpus in $corpus"
    exit 1
fi
# No AWS setting or proxy of the user's takes part.
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
exec "$PYTHON3" "$top_srcdir/tests/conformance/runner.py" --test-state \
    --corpus "$corpus" --aslc "$top_builddir/aslc" --list-failures "$@"

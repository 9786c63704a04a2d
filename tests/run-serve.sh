#!/bin/bash
# run-serve.sh - aslc serve, the Step Functions API, as the AWS SDK for
# Python sees it: tests/serve/test_api.py (every action, success and error
# paths, against AWS's recorded answers; the protocol; SigV4 keys; mocks; a
# restart on --data) and tests/serve/load.py --quick (executions by 16
# concurrent clients with their histories checked, SIGKILL under load and a
# restart, malformed requests).  Each starts its servers on 127.0.0.1 and
# stops them, however it ends.
#
# boto3 must be importable by Debian's python3 (python3-boto3) or by
# $PYTHON3: without it the test is skipped (77).  By hand, from a built
# tree: bash tests/run-serve.sh; the full load figures:
# python3 tests/serve/load.py.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
export top_srcdir top_builddir

# Debian's python3 sees python3-boto3; another python3 first in PATH (pyenv)
# may not.
py=
for p in /usr/bin/python3 "${PYTHON3:-python3}"; do
    if "$p" -c 'import boto3, botocore' 2>/dev/null; then
        py=$p
        break
    fi
done
if [ -z "$py" ]; then
    echo "run-serve.sh: boto3 is not installed for python3 (python3-boto3): skipped" >&2
    exit 77
fi
if [ ! -x "$top_builddir/aslc" ]; then
    echo "run-serve.sh: $top_builddir/aslc: not built" >&2
    exit 99
fi
if ! "$top_builddir/aslc" serve --help >/dev/null 2>&1; then
    echo "run-serve.sh: this aslc has no serve command: skipped" >&2
    exit 77
fi
"$py" -c 'import boto3, botocore; print("boto3", boto3.__version__, "botocore", botocore.__version__)'

npass=0
nfail=0
# part NAME CMD...: one part, its log inline; a hang fails it.
part() {
    local name=$1
    shift
    echo "== $name"
    if timeout "${ASLC_SERVE_TEST_TIMEOUT:-1200}" "$@"; then
        npass=$((npass + 1))
        echo "pass: $name"
    else
        nfail=$((nfail + 1))
        echo "FAIL: $name"
    fi
}
part "test_api.py" "$py" -W ignore::ResourceWarning "$top_srcdir/tests/serve/test_api.py"
part "load.py --quick" "$py" -W ignore::ResourceWarning "$top_srcdir/tests/serve/load.py" --quick
printf '%s passed, %s failed\n' "$npass" "$nfail"
[ "$nfail" -eq 0 ]

#!/bin/sh
# tools/install-deps.sh - installs from Debian's packages what aslc builds
# and tests with: the compilers and autotools, jansson, libtcc and tcc,
# Check, OpenSSL's libcrypto, libcurl, PCRE2, libxml2, python3 (the Python handler
# adapter and the test servers), groff (the man page test) and Graphviz
# (the graph test).  With --llvm, also llvm-19-dev for `configure
# --with-llvm`.  For the tests against AWS-compatible servers: node and npm,
# python3-botocore and python3-boto3 (the service models the protocol
# servers check requests against, and a client), the AWS CLI, PyYAML (the
# `aslc test` check reads its TAP report's YAML blocks); then `npm ci`
# installs the npm servers tests/services/aws/package-lock.json pins
# (dynalite, s3rver) into tests/services/aws/node_modules, as the user who
# ran the script (through sudo: the invoking user, SUDO_USER).
#
# The README's two commands start with it.  Run as root, it calls apt-get
# itself; run as a user, through sudo.
set -eu

llvm=
for arg in "$@"; do
    case $arg in
        --llvm) llvm=llvm-19-dev ;;
        *) echo "usage: tools/install-deps.sh [--llvm]" >&2; exit 2 ;;
    esac
done

if [ "$(id -u)" -eq 0 ]; then
    as_root=
elif command -v sudo >/dev/null 2>&1; then
    as_root=sudo
else
    echo "tools/install-deps.sh: run it as root, or install sudo" >&2
    exit 1
fi

# npm: Debian's package, unless the node installed has its own (a node
# from elsewhere that provides npm conflicts with Debian's npm).
npm=
command -v npm >/dev/null 2>&1 || npm=npm

$as_root env DEBIAN_FRONTEND=noninteractive apt-get update
# shellcheck disable=SC2086
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    build-essential autoconf automake libtool pkg-config binutils \
    libjansson-dev libtcc-dev tcc check libssl-dev libcurl4-openssl-dev libpcre2-dev \
    libxml2-dev libmicrohttpd-dev libsqlite3-dev python3 groff-base graphviz debhelper \
    nodejs python3-botocore python3-boto3 python3-yaml awscli $npm $llvm

# The npm servers, without optional packages (leveldown, native: dynalite
# keeps its tables in memory and does not need it).
aws_dir=$(cd "$(dirname "$0")/../tests/services/aws" && pwd)
if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
    as_user="sudo -u $SUDO_USER -H"
else
    as_user=
fi
(cd "$aws_dir" && $as_user npm ci --omit=optional --no-audit --no-fund)

#!/bin/sh
# tools/install-deps.sh - installs from Debian's packages what aslc builds
# and tests with: the compilers and autotools, jansson, libtcc and tcc,
# Check, OpenSSL's libcrypto, libcurl, PCRE2, libxml2, python3 (the Python handler
# adapter and the test servers), groff (the man page test) and Graphviz
# (the graph test).  With --llvm, also llvm-19-dev for `configure
# --with-llvm`.
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

$as_root env DEBIAN_FRONTEND=noninteractive apt-get update
# shellcheck disable=SC2086
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    build-essential autoconf automake libtool pkg-config binutils \
    libjansson-dev libtcc-dev tcc check libssl-dev libcurl4-openssl-dev libpcre2-dev \
    libxml2-dev \
    python3 python3-botocore groff-base graphviz $llvm

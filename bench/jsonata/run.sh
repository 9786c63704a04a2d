#!/bin/sh
# bench/jsonata/run.sh - the cost of one JSONata evaluation in aslc's engine
# beside jsonata-js 2.0.6 on Node (see bench/README.md, "JSONata").
#
#   bench/jsonata/run.sh [--time-ms MS] [--runs N] [--only SUBSTR]
#   bench/jsonata/run.sh --setup      # npm-install jsonata@2.0.6, then exit
#
# Builds bench_jsonata.c against the runtime's sources with cc -O2 (as the
# library is built) into $BENCH_BUILD_DIR (default /tmp/aslc-bench-jsonata),
# without touching the autotools build; installs jsonata@2.0.6 into
# bench/jsonata/peer (ignored by git) when it is missing; then measures both
# engines on document.json with expressions.json and prints one Markdown
# report on stdout (progress on stderr).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
peer=$here/peer
build=${BENCH_BUILD_DIR:-${TMPDIR:-/tmp}/aslc-bench-jsonata}
CC=${CC:-cc}
NODE=${NODE:-node}

setup() {
    command -v npm >/dev/null 2>&1 || {
        echo "run.sh: npm is needed to install jsonata (apt-get install npm)" >&2
        exit 1
    }
    echo "== installing jsonata@2.0.6 into $peer" >&2
    mkdir -p "$peer"
    npm install --prefix "$peer" --no-audit --no-fund --silent --save-exact jsonata@2.0.6 >&2
}

time_ms=200 runs=5 prev=
for a in "$@"; do
    case $prev in
        --time-ms) time_ms=$a ;;
        --runs) runs=$a ;;
    esac
    prev=$a
    case $a in
        --setup) setup; exit 0 ;;
        --time-ms|--runs|--only) ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        -*) echo "run.sh: unknown option $a (see --help)" >&2; exit 2 ;;
    esac
done
command -v "$NODE" >/dev/null 2>&1 || { echo "run.sh: node is needed" >&2; exit 1; }
grep -q '"version": "2.0.6"' "$peer/node_modules/jsonata/package.json" 2>/dev/null || setup

# ---- the C driver, with the runtime's sources compiled directly; a small
# config.h stands in for configure's: no libcurl (the HTTP handler is left
# out), the version the command line prints, libxml2 and libcrypto by their
# Debian sonames (runtime/dynlib.c opens them on use; the driver never does).
mkdir -p "$build/obj"
printf '%s\n' '#define PACKAGE_VERSION "bench"' '#define ASLC_XML_SONAME "libxml2.so.2"' \
    '#define ASLC_CRYPTO_SONAME "libcrypto.so.3"' > "$build/config.h"
cflags="-std=c11 -O2 -g -D_GNU_SOURCE -I$build \
 -I$top/runtime -I$top/runtime/jsonata $(pkg-config --cflags jansson libpcre2-8 libcrypto libxml-2.0)"
libs="$(pkg-config --libs jansson libpcre2-8) -ldl -lm -pthread"
newest_header=$(ls -t "$top"/runtime/*.h "$top"/runtime/jsonata/*.h | head -n 1)
objs=
for src in "$top"/runtime/*.c "$top"/runtime/jsonata/*.c; do
    # runtime/jsonata/parse.c -> jsonata_parse.o
    rel=${src#"$top"/runtime/}
    obj=$build/obj/$(echo "${rel%.c}" | tr / _).o
    objs="$objs $obj"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_header" -nt "$obj" ]; then
        echo "== $CC -c $rel" >&2
        # shellcheck disable=SC2086
        $CC $cflags -c "$src" -o "$obj"
    fi
done
rm -f "$build/libaslrt-bench.a"
# shellcheck disable=SC2086
ar rcs "$build/libaslrt-bench.a" $objs
# shellcheck disable=SC2086
$CC $cflags "$here/bench_jsonata.c" "$build/libaslrt-bench.a" $libs -o "$build/bench_jsonata"

# ---- measure
echo "== aslc's engine" >&2
"$build/bench_jsonata" "$@" "$here/document.json" "$here/expressions.json" > "$build/c.tsv"
echo "== jsonata-js" >&2

commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$top" status --porcelain -- runtime 2>/dev/null | head -n 1)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "## JSONata: aslc's engine vs jsonata-js"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- aslc: commit $commit${dirty:+ (runtime/ has uncommitted changes)}"
echo "- CPU: ${cpu:-unknown}; nproc: $(nproc); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- C: $($CC --version | head -n 1), -O2; Node: $("$NODE" --version)"
echo "- input: bench/jsonata/document.json ($(wc -c < "$here/document.json") bytes, 100 items)"
echo "- figures: the median of $runs batches of ~$time_ms ms each (after a warm-up) of the time per evaluation; parse: batches of ~$((time_ms / 4)) ms"
echo
"$NODE" "$here/bench.js" --c-results "$build/c.tsv" "$@" "$here/document.json" "$here/expressions.json"

#!/bin/sh
# .ci/installed.sh - the installed Debian packages (aslc, libaslrt-dev) used
# as a user would, from the source tree's examples and without any ASLC_*
# variable: the tutorial's workflow through `aslc run` and as a built
# program (the installed Python adapter found by itself), and the embed
# example built by its Makefile against pkg-config's aslrt.  Prints
# "N passed, N failed"; exit status 1 when one failed.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
check() { # DESC CMD...: one check
    desc=$1
    shift
    if "$@"; then pass=$((pass + 1)); echo "pass: $desc"; else fail=$((fail + 1)); echo "FAIL: $desc"; fi
}
# A clean environment: what an installed aslc must find, it finds alone.
clean() { env -i PATH=/usr/bin:/bin HOME="$tmp" "$@"; }
same_json() { # FILE FILE: the same JSON value
    python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' "$1" "$2"
}

ex=$root/examples/order-processing
check "aslc is /usr/bin/aslc" [ "$(command -v aslc)" = /usr/bin/aslc ]
check "aslc --version" clean aslc --version
check "aslc serve --help: the installed server module loads" sh -c 'env -i PATH=/usr/bin:/bin aslc serve --help >/dev/null'
clean aslc run "$ex/state-machine-v2.json" --bindings "$ex/bindings.json" \
    --input-file "$ex/input.json" >"$tmp/run.json" 2>"$tmp/run.err"
check "the tutorial through aslc run: the expected output" same_json "$tmp/run.json" "$ex/expected-output.json"
clean aslc build "$ex/state-machine-v2.json" -o "$tmp/order" 2>"$tmp/build.err"
check "aslc build of the tutorial" [ -x "$tmp/order" ]
clean "$tmp/order" --bindings "$ex/bindings.json" --input-file "$ex/input.json" \
    >"$tmp/bin.json" 2>"$tmp/bin.err"
check "the built program: the expected output" same_json "$tmp/bin.json" "$ex/expected-output.json"
cp -r "$root/examples/embed" "$tmp/embed"
clean make -C "$tmp/embed" >"$tmp/make.log" 2>&1
check "examples/embed: make against the installed aslc and pkg-config aslrt" [ -x "$tmp/embed/embed" ]
clean "$tmp/embed/embed" >"$tmp/embed.out" 2>&1
check "examples/embed: two outputs" [ "$(grep -c '"greeting"' "$tmp/embed.out")" = 2 ]
for f in run.err build.err bin.err make.log embed.out; do
    [ -s "$tmp/$f" ] && { echo "--- $f"; head -20 "$tmp/$f"; }
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

#!/bin/bash
# Golden tests of the C backend: tests/golden/NAME.asl.json -> NAME.c, exact,
# and of its shape: one function per state, no goto from a state to another.
# Each expected file is also compiled with cc -Wall -Werror and with tcc, so
# the generated code stays warning-free C that both compilers accept.
# UPDATE_GOLDEN=1 rewrites the expected files (review them in the diff).
set -u
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-$srcdir}
aslc=${ASLC:-$builddir/aslc}
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
cd "$srcdir/tests/golden" || exit 1
for def in *.asl.json; do
    name=${def%.asl.json}
    if ! "$aslc" emit "$def" --prefix golden --main -o "$tmp/$name.c" 2>"$tmp/$name.stderr"; then
        echo "FAIL: $name: aslc emit failed"; cat "$tmp/$name.stderr"; fail=$((fail + 1)); continue
    fi
    if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then cp "$tmp/$name.c" "$name.c"; fi
    if ! diff -u "$name.c" "$tmp/$name.c" >"$tmp/$name.diff"; then
        echo "FAIL: $name: generated C differs from $name.c"; cat "$tmp/$name.diff"; fail=$((fail + 1)); continue
    fi
    # The shape (doc/architecture.md): a function per state, and no goto
    # but a state's own jumps to its recovery and back; the graphs call
    # the states from a loop.
    nstates=$(sed -n 's/^    states, \([0-9]*\),$/\1/p' "$name.c")
    nfns=$(grep -cE '^static int g[0-9]+_s[0-9]+\(aslrt_exec \*ex, aslrt_frame \*f\)$' "$name.c")
    stray=$(grep -E 'goto ' "$name.c" | grep -vE '^ +(if \(.*\) )?goto (retry|error);$')
    if [ -z "$nstates" ] || [ "$nfns" != "$nstates" ] || [ -n "$stray" ]; then
        echo "FAIL: $name: not a function per state ($nfns functions, ${nstates:-?} states) or a goto between states: $stray"
        fail=$((fail + 1)); continue
    fi
    if ! "$cc" -std=c11 -Wall -Wextra -Werror -fsyntax-only -I"$srcdir/runtime" "$name.c" 2>"$tmp/$name.cc"; then
        echo "FAIL: $name: $cc rejects the generated C"; cat "$tmp/$name.cc"; fail=$((fail + 1)); continue
    fi
    if command -v tcc >/dev/null 2>&1 &&
       ! tcc -std=c11 -c -I"$srcdir/runtime" -o "$tmp/$name.o" "$name.c" 2>"$tmp/$name.tcc"; then
        echo "FAIL: $name: tcc rejects the generated C"; cat "$tmp/$name.tcc"; fail=$((fail + 1)); continue
    fi
    echo "PASS: $name"
    pass=$((pass + 1))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

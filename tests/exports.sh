#!/bin/sh
# exports.sh - the public surface of libaslrt: every global symbol that
# .libs/libaslrt.so exports and that .libs/libaslrt.a defines starts with
# aslrt_ (the runtime's internals, aslrtp_ and jn_, are made local when the
# library is built: see Makefile.am).  The one other is __wrap_dlopen,
# whose name ld's --wrap=dlopen dictates: what a program aslc build links
# statically calls for dlopen (runtime/dynlib.c).  Prints the offenders.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
NM=${NM:-nm}

pass=0
fail=0
check() { # WHAT NM-OPTIONS FILE
    what=$1 opts=$2 file=$3
    if [ ! -f "$file" ]; then
        echo "SKIP $what: no $file"
        return
    fi
    # shellcheck disable=SC2086
    syms=$($NM $opts "$file") || { echo "FAIL $what: $NM $opts $file"; fail=$((fail + 1)); return; }
    total=$(printf '%s\n' "$syms" | awk 'NF >= 3 { n++ } END { print n + 0 }')
    bad=$(printf '%s\n' "$syms" |
        awk 'NF >= 3 && $3 !~ /^aslrt_/ && $3 != "__wrap_dlopen" { print "    " $3 " (" $2 ")" }')
    if [ "$total" -eq 0 ]; then
        echo "FAIL $what: no global symbol at all in $file"
        fail=$((fail + 1))
    elif [ -n "$bad" ]; then
        echo "FAIL $what: $(printf '%s\n' "$bad" | wc -l) of $total global symbols are not aslrt_*:"
        printf '%s\n' "$bad"
        fail=$((fail + 1))
    else
        echo "PASS $what: $total global symbols, all aslrt_* (or __wrap_dlopen)"
        pass=$((pass + 1))
    fi
}
check "libaslrt.so" "-D --defined-only" "$top_builddir/.libs/libaslrt.so"
check "libaslrt.a" "-g --defined-only" "$top_builddir/.libs/libaslrt.a"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]

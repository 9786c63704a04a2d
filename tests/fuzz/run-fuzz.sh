#!/bin/sh
# tests/fuzz/run-fuzz.sh [SECONDS] - builds tests/fuzz/fuzz_jsonata.c with
# libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer (clang), and
# fuzzes aslc's JSONata engine for SECONDS (default 600).  Not part of
# `make check`.
#
# The runtime's sources are compiled directly into $FUZZ_BUILD_DIR (default
# tests/fuzz/build, ignored by git), never through the autotools build; an
# empty config.h there stands in for configure's (no libcurl).  The seed
# corpus is tests/fuzz/corpus/jsonata (see extract-corpus.py) and
# tests/fuzz/jsonata.dict; new inputs go to $FUZZ_BUILD_DIR/corpus.
# libFuzzer runs in fork mode so that it goes on after a crash; every
# crashing, leaking, timing-out or out-of-memory input is saved under
# tests/fuzz/crashes/, rerun, and listed at the end grouped by the place in
# runtime/ where it happens, with one example input and report per place.
# `run-fuzz.sh 0` fuzzes nothing and reruns every saved finding against the
# current sources (a fixed one shows as "no longer reproduces").
#
# Environment: CLANG (default clang, else clang-14), FUZZ_BUILD_DIR,
# FUZZ_JOBS (parallel fuzzing processes, default 1), FUZZ_FLAGS (more
# libFuzzer options), FUZZ_NO_LEAKS=1 (no leak detection, neither per input
# nor at exit: to look past a known leak for other bugs).
#
# Exit status: 0 no finding, 1 findings (listed), 2 build failure.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
seconds=${1:-600}
build=${FUZZ_BUILD_DIR:-$here/build}
crashes=$here/crashes
jobs=${FUZZ_JOBS:-1}
CLANG=${CLANG:-}
if [ -z "$CLANG" ]; then
    for c in clang clang-14; do
        if command -v "$c" >/dev/null 2>&1; then CLANG=$c; break; fi
    done
fi
[ -n "$CLANG" ] || { echo "run-fuzz.sh: clang is needed (apt-get install clang)" >&2; exit 2; }

case $seconds in
    ''|*[!0-9]*) echo "usage: run-fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac

mkdir -p "$build/obj" "$build/corpus" "$crashes" || exit 2
: > "$build/config.h"

san="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
cflags="-std=c11 -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE $san \
 -DASLC_PKGDATADIR=\"/nonexistent\" -I$build -I$top/runtime -I$top/runtime/jsonata \
 $(pkg-config --cflags jansson libpcre2-8 libcrypto)"
libs="$(pkg-config --libs jansson libpcre2-8 libcrypto) -lm -pthread"

# ---- build: every runtime source into one archive (the linker takes only
# the objects the engine needs), recompiled when it or a header changed.
newest_header=$(ls -t "$top"/runtime/*.h "$top"/runtime/jsonata/*.h | head -n 1)
objs=
for src in "$top"/runtime/*.c "$top"/runtime/jsonata/*.c; do
    # runtime/jsonata/parse.c -> jsonata_parse.o
    rel=${src#"$top"/runtime/}
    obj=$build/obj/$(echo "${rel%.c}" | tr / _).o
    objs="$objs $obj"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_header" -nt "$obj" ] ||
       [ "$0" -nt "$obj" ]; then
        echo "== $CLANG -c $rel"
        # shellcheck disable=SC2086
        $CLANG $cflags -c "$src" -o "$obj" || { echo "run-fuzz.sh: cannot compile $src" >&2; exit 2; }
    fi
done
rm -f "$build/libaslrt-fuzz.a"
# shellcheck disable=SC2086
ar rcs "$build/libaslrt-fuzz.a" $objs || exit 2
echo "== linking $build/fuzz_jsonata"
# shellcheck disable=SC2086
$CLANG $cflags -fsanitize=fuzzer "$here/fuzz_jsonata.c" "$build/libaslrt-fuzz.a" $libs \
    -o "$build/fuzz_jsonata" || { echo "run-fuzz.sh: cannot link the fuzz target" >&2; exit 2; }

# ---- fuzz (SECONDS 0: no fuzzing, rerun every saved finding instead)
stamp=$build/stamp
log=$build/fuzz.log
rc=0
if [ "$seconds" -eq 0 ]; then
    touch -d '1970-01-02' "$stamp"
    echo "== rerunning the saved findings in $crashes"
else
    : > "$stamp"
    sleep 1
    echo "== fuzzing for $seconds s ($jobs job(s)); log in $log"
    # Leaks are checked (LeakSanitizer): the arena must free everything.
    leakflag=
    if [ "${FUZZ_NO_LEAKS:-0}" = 1 ]; then
        leakflag=-detect_leaks=0
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
        export ASAN_OPTIONS
    fi
    # shellcheck disable=SC2086
    ASAN_OPTIONS=${ASAN_OPTIONS:-} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    "$build/fuzz_jsonata" -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -dict="$here/jsonata.dict" -artifact_prefix="$crashes/" -print_final_stats=1 \
        $leakflag ${FUZZ_FLAGS:-} "$build/corpus" "$here/corpus/jsonata" > "$log" 2>&1
    rc=$?
    grep -E '^#[0-9]+: cov:' "$log" | tail -n 1
    grep -E 'INFO: fuzzed for' "$log" | tail -n 1
fi

# ---- report what this run found: each new finding is rerun, its report
# kept in $build/reports/, and findings are grouped by where they happen
# (the first frame in runtime/ outside util.c and alloc.c); one example each is shown.
mkdir -p "$build/reports"
found=0
: > "$build/sites"
for f in "$crashes"/*; do
    [ -f "$f" ] || continue
    [ "$f" -nt "$stamp" ] || continue
    case $(basename "$f") in *.txt|*.md|README*) continue ;; esac
    found=$((found + 1))
    report=$build/reports/$(basename "$f").txt
    ASAN_OPTIONS=${ASAN_OPTIONS:-} \
    timeout 60 "$build/fuzz_jsonata" -timeout=10 -rss_limit_mb=2048 "$f" > "$report" 2>&1
    site=$(grep -E '^ *#[0-9]+ .* in .*/runtime/' "$report" | grep -vE '/runtime/(util|alloc).c' |
           head -n 1 | sed -E 's/.* in ([^ ]+) .*\/runtime\/([^ ]+)/\1 runtime\/\2/')
    [ -n "$site" ] || site=$(grep -m 1 -E '^fuzz_jsonata:|ERROR|runtime error' "$report" | cut -c 1-120)
    kind=$(basename "$f" | sed 's/-.*//')
    if ! grep -qE 'ERROR|SUMMARY|runtime error|^fuzz_jsonata:' "$report"; then
        kind="$kind(no longer reproduces)"
    fi
    printf '%s\t%s\t%s\n' "$kind" "${site:-unknown}" "$f" >> "$build/sites"
done
if [ "$found" -gt 0 ]; then
    echo
    echo "== findings by site (count, kind, where; reports in $build/reports/)"
    cut -f 1,2 "$build/sites" | sort | uniq -c | sort -rn
    cut -f 1,2 "$build/sites" | sort -u | while IFS='	' read -r kind site; do
        f=$(awk -F '\t' -v k="$kind" -v s="$site" '$1 == k && $2 == s { print $3 }' "$build/sites" |
            xargs ls -S -r | head -n 1)
        echo
        echo "== $kind at $site, e.g. $f"
        printf '   input (%s bytes): ' "$(wc -c < "$f")"
        head -c 300 "$f" | od -An -c | tr -s ' ' | tr -d '\n' | cut -c 1-400
        echo
        grep -E 'ERROR|SUMMARY|runtime error|^fuzz_jsonata:|^ *#[0-9] ' \
            "$build/reports/$(basename "$f").txt" | head -n 12 | sed 's/^/   /'
    done
fi
echo
if [ "$found" -gt 0 ]; then
    echo "run-fuzz.sh: $found finding(s) in $seconds s, saved in $crashes"
    exit 1
fi
if [ "$rc" -ne 0 ]; then
    echo "run-fuzz.sh: libFuzzer exited with status $rc (see $log)"
    exit 1
fi
echo "run-fuzz.sh: no finding in $seconds s"

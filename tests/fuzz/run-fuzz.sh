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
# tests/fuzz/crashes/ and listed at the end with the first lines of its
# report.
#
# Environment: CLANG (default clang, else clang-14), FUZZ_BUILD_DIR,
# FUZZ_JOBS (parallel fuzzing processes, default 1), FUZZ_FLAGS (more
# libFuzzer options).
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
 -DASLC_PKGDATADIR=\"/nonexistent\" -I$build -I$top/runtime \
 $(pkg-config --cflags jansson libpcre2-8 libcrypto)"
libs="$(pkg-config --libs jansson libpcre2-8 libcrypto) -lm -pthread"

# ---- build: every runtime source into one archive (the linker takes only
# the objects the engine needs), recompiled when it or a header changed.
newest_header=$(ls -t "$top"/runtime/*.h | head -n 1)
objs=
for src in "$top"/runtime/*.c; do
    obj=$build/obj/$(basename "$src" .c).o
    objs="$objs $obj"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_header" -nt "$obj" ] ||
       [ "$0" -nt "$obj" ]; then
        echo "== $CLANG -c $(basename "$src")"
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

# ---- fuzz
stamp=$build/stamp
: > "$stamp"
sleep 1
log=$build/fuzz.log
echo "== fuzzing for $seconds s ($jobs job(s)); log in $log"
# Leaks are checked (ASan's LeakSanitizer): the arena must free everything.
# shellcheck disable=SC2086
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_stack_use_after_return=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
"$build/fuzz_jsonata" -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    -dict="$here/jsonata.dict" -artifact_prefix="$crashes/" -print_final_stats=1 \
    ${FUZZ_FLAGS:-} "$build/corpus" "$here/corpus/jsonata" > "$log" 2>&1
rc=$?
grep -E '^#[0-9]+.*(DONE|cov:)' "$log" | tail -n 1
grep -E 'stat::number_of_executed_units|INFO: fuzzed for' "$log" | tail -n 2

# ---- report what this run found
found=0
for f in "$crashes"/*; do
    [ -f "$f" ] || continue
    [ "$f" -nt "$stamp" ] || continue
    case $(basename "$f") in *.txt|*.md|README*) continue ;; esac
    found=$((found + 1))
    echo
    echo "== finding: $f"
    printf '   input (%s bytes): ' "$(wc -c < "$f")"
    head -c 300 "$f" | od -An -c | tr -s ' ' | tr -d '\n' | cut -c 1-400
    echo
    # The sanitizer's or the fuzzer's first lines for this input: rerun it.
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_stack_use_after_return=1} \
    timeout 60 "$build/fuzz_jsonata" -timeout=10 -rss_limit_mb=2048 "$f" 2>&1 |
        grep -E 'ERROR|SUMMARY|runtime error|fuzz_jsonata:|^ *#[0-9] ' | head -n 12 | sed 's/^/   /'
done
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

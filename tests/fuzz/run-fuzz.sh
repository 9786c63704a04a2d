#!/bin/sh
# tests/fuzz/run-fuzz.sh [TARGET] [SECONDS] - builds tests/fuzz/fuzz_TARGET.c
# with libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer (clang),
# and fuzzes it for SECONDS (default 600).  TARGET is one of
#   jsonata   the JSONata parser and evaluator (the default)
#   frontend  definitions through parse and validate to diagnostics
#   paths     JSONPath, reference paths and intrinsic functions, evaluated
#   runtime   execution inputs run through the machines of tests/fuzz/runtime/
#   loaders   bindings files and mock configurations, loaded and looked up
# (`run-fuzz.sh SECONDS` alone fuzzes jsonata).  Not part of `make check`,
# which only replays the corpora (tests/run-fuzz-replay.sh).
#
# The runtime's sources (and, for frontend, the compiler's) are compiled
# directly into $FUZZ_BUILD_DIR (default tests/fuzz/build, ignored by git),
# never through the autotools build; an empty config.h there stands in for
# configure's but for libcurl (HAVE_LIBCURL; never libtcc).  For runtime,
# the machines are emitted as C by the aslc built in the tree ($ASLC, default
# ./aslc: run `make` first) and compiled with the target.  The seed corpus is
# tests/fuzz/corpus/TARGET (for jsonata see extract-corpus.py) and
# tests/fuzz/TARGET.dict when there is one; new inputs go to
# $FUZZ_BUILD_DIR/corpus-TARGET.  libFuzzer runs in fork mode so that it goes
# on after a crash; every crashing, leaking, timing-out or out-of-memory
# input is saved under tests/fuzz/crashes/TARGET/, rerun, and listed at the
# end grouped by the place in runtime/ or compiler/ where it happens, with
# one example input and report per place.  `run-fuzz.sh TARGET 0` fuzzes
# nothing and reruns every saved finding against the current sources (a
# fixed one shows as "no longer reproduces").  A finding that is fixed
# belongs in tests/fuzz/corpus/TARGET/, where `make check` replays it.
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
target=jsonata
case ${1:-} in
    ''|*[!0-9]*) [ $# -gt 0 ] && { target=$1; shift; } ;;
esac
seconds=${1:-600}
case $target in
    jsonata) max_len=4096 ;;
    frontend) max_len=8192 ;;
    paths) max_len=1024 ;;
    runtime|loaders) max_len=4096 ;;
    *) echo "run-fuzz.sh: unknown target '$target' (jsonata, frontend, paths, runtime or loaders)" >&2
       exit 2 ;;
esac
build=${FUZZ_BUILD_DIR:-$here/build}
crashes=$here/crashes/$target
jobs=${FUZZ_JOBS:-1}
CLANG=${CLANG:-}
if [ -z "$CLANG" ]; then
    for c in clang clang-14; do
        if command -v "$c" >/dev/null 2>&1; then CLANG=$c; break; fi
    done
fi
[ -n "$CLANG" ] || { echo "run-fuzz.sh: clang is needed (apt-get install clang)" >&2; exit 2; }

case $seconds in
    ''|*[!0-9]*) echo "usage: run-fuzz.sh [jsonata|frontend|paths|runtime|loaders] [SECONDS]" >&2
                 exit 2 ;;
esac

mkdir -p "$build/obj" "$build/corpus-$target" "$crashes" || exit 2
# Rewritten only when it changes, so that objects are rebuilt only then.
printf '%s\n' '#define HAVE_LIBCURL 1' '#define PACKAGE_VERSION "fuzz"' \
    '#define ASLC_CURL_SONAME "libcurl.so.4"' '#define ASLC_XML_SONAME "libxml2.so.2"' \
    '#define ASLC_CRYPTO_SONAME "libcrypto.so.3"' > "$build/config.h.new"
if cmp -s "$build/config.h.new" "$build/config.h"; then
    rm -f "$build/config.h.new"
else
    mv "$build/config.h.new" "$build/config.h"
fi

# Every directory of runtime/ and compiler/ that holds headers.
incs=
for d in $(find "$top/runtime" "$top/compiler" -name '*.h' -exec dirname {} \; | sort -u); do
    incs="$incs -I$d"
done
san="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
cflags="-std=c11 -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE $san \
 -I$build $incs \
 $(pkg-config --cflags jansson libpcre2-8 libcrypto libxml-2.0 libcurl)"
libs="$(pkg-config --libs jansson libpcre2-8 libcrypto libxml-2.0 libcurl) -lm -pthread"

# ---- build: the sources into archives (the linker takes only the objects
# the target needs), each recompiled when it or a header changed.  The
# compiler's command line (main.c), back ends and build.c are left out.
newest_header=$(ls -t "$build/config.h" $(find "$top/runtime" "$top/compiler" -name '*.h') | head -n 1)
compile_into() { # ARCHIVE SOURCES...
    archive=$1
    shift
    objs=
    for src in "$@"; do
        rel=${src#"$top"/}
        obj=$build/obj/$(echo "${rel%.c}" | tr / _).o
        objs="$objs $obj"
        if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_header" -nt "$obj" ] ||
           [ "$0" -nt "$obj" ]; then
            echo "== $CLANG -c $rel"
            # shellcheck disable=SC2086
            $CLANG $cflags -c "$src" -o "$obj" || { echo "run-fuzz.sh: cannot compile $src" >&2; exit 2; }
        fi
    done
    rm -f "$archive"
    # shellcheck disable=SC2086
    ar rcs "$archive" $objs || exit 2
}
compile_into "$build/libaslrt-fuzz.a" $(find "$top/runtime" -name '*.c' | sort)
archives=$build/libaslrt-fuzz.a
if [ "$target" = frontend ]; then
    compile_into "$build/libaslc-fuzz.a" $(find "$top/compiler" -name '*.c' ! -name main.c \
        ! -name 'backend_*.c' ! -name build.c | sort)
    archives="$build/libaslc-fuzz.a $archives"
fi
# runtime: its machines' C, emitted by aslc (each a translation unit of its
# own: the emitted tables are static).
machines=
if [ "$target" = runtime ]; then
    ASLC=${ASLC:-$top/aslc}
    [ -x "$ASLC" ] || { echo "run-fuzz.sh: runtime needs aslc: build it (make) or set ASLC" >&2; exit 2; }
    for def in "$here"/runtime/*.asl.json; do
        name=$(basename "$def" .asl.json)
        (cd "$top" && "$ASLC" emit "tests/fuzz/runtime/$name.asl.json" --prefix "fuzz_rt_$name" \
            -o "$build/rt_$name.c") || { echo "run-fuzz.sh: cannot emit $def" >&2; exit 2; }
        machines="$machines $build/rt_$name.c"
    done
    cflags="$cflags -DFUZZ_RUNTIME_DIR=\"$here/runtime\""
fi
fuzzer=$build/fuzz_$target
echo "== linking $fuzzer"
# shellcheck disable=SC2086
$CLANG $cflags -fsanitize=fuzzer "$here/fuzz_$target.c" $machines $archives $libs \
    -o "$fuzzer" || { echo "run-fuzz.sh: cannot link the fuzz target" >&2; exit 2; }
dict=
[ -f "$here/$target.dict" ] && dict=-dict=$here/$target.dict

# ---- fuzz (SECONDS 0: no fuzzing, rerun every saved finding instead)
stamp=$build/stamp-$target
log=$build/fuzz-$target.log
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
    "$fuzzer" -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=$max_len \
        $dict -artifact_prefix="$crashes/" -print_final_stats=1 \
        $leakflag ${FUZZ_FLAGS:-} "$build/corpus-$target" "$here/corpus/$target" > "$log" 2>&1
    rc=$?
    grep -E '^#[0-9]+: cov:' "$log" | tail -n 1
    grep -E 'INFO: fuzzed for' "$log" | tail -n 1
fi

# ---- report what this run found: each new finding is rerun, its report
# kept in $build/reports/, and findings are grouped by where they happen
# (the first frame in runtime/ or compiler/ outside util.c, alloc.c and unit.c); one
# example each is shown.
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
    timeout 60 "$fuzzer" -timeout=10 -rss_limit_mb=2048 "$f" > "$report" 2>&1
    site=$(grep -E '^ *#[0-9]+ .* in .*/(runtime|compiler)/' "$report" |
           grep -vE '/runtime/(util|alloc).c|/compiler/unit.c' | head -n 1 |
           sed -E 's/.* in ([^ ]+) .*\/(runtime|compiler)\/([^ ]+)/\1 \2\/\3/')
    [ -n "$site" ] || site=$(grep -m 1 -E '^fuzz_[a-z]+:|ERROR|runtime error' "$report" | cut -c 1-120)
    kind=$(basename "$f" | sed 's/-.*//')
    if ! grep -qE 'ERROR|SUMMARY|runtime error|^fuzz_[a-z]+:' "$report"; then
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
        grep -E 'ERROR|SUMMARY|runtime error|^fuzz_[a-z]+:|^ *#[0-9] ' \
            "$build/reports/$(basename "$f").txt" | head -n 12 | sed 's/^/   /'
    done
fi
echo
if [ "$found" -gt 0 ]; then
    echo "run-fuzz.sh: $target: $found finding(s) in $seconds s, saved in $crashes"
    exit 1
fi
if [ "$rc" -ne 0 ]; then
    echo "run-fuzz.sh: libFuzzer exited with status $rc (see $log)"
    exit 1
fi
echo "run-fuzz.sh: $target: no finding in $seconds s"

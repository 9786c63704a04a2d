#!/bin/bash
# run-startup.sh - what a workflow program loads (doc/architecture.md,
# "Start-up"; doc/behaviour.md §43): a program that never calls HTTP maps
# only the C library, libcurl and libxml2 are opened on the first call that
# needs them, and a program that cannot open them fails that call with
# aslc.MissingLibrary naming the soname, never a crash.  The libraries a
# program loads are read from the dynamic loader itself (LD_DEBUG=files),
# not from its own report.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/cli/lib.sh"

have_curl=no
grep -q '^#define HAVE_LIBCURL 1' "$top_builddir/config.h" && have_curl=yes
if ! command -v readelf >/dev/null 2>&1; then
    echo "SKIP: no readelf (binutils)"
    exit 77
fi

# The C library's parts; a runtime built with --enable-sanitizers adds the
# sanitizers' own libraries to every program.
base='^(libc|libm|libdl|libpthread|librt)\.so'
[ "$runtime_sanitized" = yes ] && base='^(libc|libm|libdl|libpthread|librt|libasan|libubsan|libstdc\+\+|libgcc_s)\.so'

# loaded PROGRAM...: the files the dynamic loader loaded while PROGRAM ran
# on {} (one soname per line, "name how" with how "needed" or "dlopen").
loaded() {
    echo '{}' | env LD_DEBUG=files "$@" 2>&1 >/dev/null |
        sed -n 's/.*file=\([^ ]*\) \[0\];  \(needed\|dynamically loaded\) by.*/\1 \2/p' |
        sed 's/ dynamically loaded$/ dlopen/' | sort -u
}

# A machine that needs no library is linked statically where configure
# found the C library's archives (doc/architecture.md, "Start-up"): no
# dynamic loader at its start.  Not in a sanitized build.
static=no
grep -q '^#define ASLC_LINK_STATIC 1' "$top_builddir/config.h" &&
    ! grep -q '^#define ASLC_SANITIZERS 1' "$top_builddir/config.h" &&
    ! grep -q '^#define ASLC_STATIC_LIBS ""' "$top_builddir/config.h" && static=yes
interp() { readelf -lW "$1" | grep -c 'Requesting program interpreter'; }

# The one-Pass program: its NEEDED entries and what it loads.
echo '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"ok":true},"End":true}}}' \
    >"$tmp/pass.asl.json"
run "$aslc" build "$tmp/pass.asl.json" -o "$tmp/pass"
expect "aslc build of a one-Pass machine" [ "$rc" = 0 ]
readelf -d "$tmp/pass" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' >"$tmp/needed"
expect "the program needs only the C library (NEEDED: $(tr '\n' ' ' <"$tmp/needed"))" \
    eval '! grep -Ev "$base" "$tmp/needed" | grep -q .'
run_in <(echo '{}') "$tmp/pass"
expect "and it runs" eval '[ "$rc" = 0 ] && [ "$out" = "{\"ok\":true}" ]'
# The same position-independent (--pie): always dynamic.
run "$aslc" build --pie "$tmp/pass.asl.json" -o "$tmp/pass-pie"
expect "aslc build --pie of it" [ "$rc" = 0 ]
loaded "$tmp/pass-pie" >"$tmp/loaded"
expect "running that loads only the C library ($(tr '\n' ' ' <"$tmp/loaded"))" \
    eval '[ -s "$tmp/loaded" ] && ! grep -Ev "$base" "$tmp/loaded" | grep -q .'
run_in <(echo '{}') "$tmp/pass-pie"
expect "which runs the same" eval '[ "$rc" = 0 ] && [ "$out" = "{\"ok\":true}" ]'
if [ "$static" = yes ]; then
    expect "the one-Pass program is linked statically ($(interp "$tmp/pass") interpreter, NEEDED: $(tr '\n' ' ' <"$tmp/needed"))" \
        eval '[ "$(interp "$tmp/pass")" = 0 ] && [ ! -s "$tmp/needed" ]'
    expect "with --pie it is not ($(interp "$tmp/pass-pie") interpreter)" \
        eval '[ "$(interp "$tmp/pass-pie")" = 1 ]'
else
    loaded "$tmp/pass" >"$tmp/loaded"
    expect "running it loads only the C library ($(tr '\n' ' ' <"$tmp/loaded"))" \
        eval '[ -s "$tmp/loaded" ] && ! grep -Ev "$base" "$tmp/loaded" | grep -q .'
fi

# Linked at a fixed address (doc/architecture.md, "Start-up"): no relative
# relocations of the static libraries' pointers at each start; --pie keeps
# a position-independent program.
elf_type() { readelf -h "$1" | sed -n 's/^ *Type: *\([A-Z]*\).*/\1/p'; }
relocs() { readelf -rW "$1" | grep -c R_X86_64_RELATIVE; }
if [ "$(uname -m)" = x86_64 ]; then
    expect "the program is linked at a fixed address (type $(elf_type "$tmp/pass"), $(relocs "$tmp/pass") relative relocations)" \
        eval '[ "$(elf_type "$tmp/pass")" = EXEC ] && [ "$(relocs "$tmp/pass")" -lt 1000 ]'
    expect "aslc build --pie makes a position-independent program (type $(elf_type "$tmp/pass-pie"))" \
        eval '[ "$(elf_type "$tmp/pass-pie")" = DYN ]'
fi

# A JSONata machine with a regular expression and a case mapping (which
# reads the C.UTF-8 locale): the same.
cat >"$tmp/jn.asl.json" <<'EOF'
{"QueryLanguage": "JSONata", "StartAt": "J", "States": {"J": {"Type": "Pass",
 "Output": "{% [$contains('order-17', /[0-9]+$/), $uppercase('straße é')] %}", "End": true}}}
EOF
run "$aslc" build "$tmp/jn.asl.json" -o "$tmp/jn"
run_in <(echo '{}') "$tmp/jn"
expect "a JSONata machine with a regex runs ($out)" \
    eval '[ "$rc" = 0 ] && [ "$out" = "[true,\"STRASSE É\"]" ]'
if [ "$static" = yes ]; then
    expect "and is linked statically" eval '[ "$(interp "$tmp/jn")" = 0 ]'
else
    loaded "$tmp/jn" >"$tmp/loaded"
    expect "a JSONata machine with a regex loads only the C library ($(tr '\n' ' ' <"$tmp/loaded"))" \
        eval '[ -s "$tmp/loaded" ] && ! grep -Ev "$base" "$tmp/loaded" | grep -q .'
fi

# libcrypto (digests, base64) is opened by the first state that needs it:
# the one-Pass program above never did; this one hashes.  aslc itself does
# not need it at start either.
cat >"$tmp/hash.asl.json" <<'EOF'
{"StartAt": "H", "States": {"H": {"Type": "Pass",
 "Parameters": {"h.$": "States.Hash('abc', 'SHA-256')", "b.$": "States.Base64Encode('abc')"},
 "End": true}}}
EOF
run "$aslc" build "$tmp/hash.asl.json" -o "$tmp/hash"
readelf -d "$tmp/hash" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' >"$tmp/needed"
expect "a program that hashes does not need libcrypto at start" \
    eval '[ "$rc" = 0 ] && ! grep -q "^libcrypto" "$tmp/needed"'
loaded "$tmp/hash" >"$tmp/loaded"
expect "it opens libcrypto when the state hashes ($(tr '\n' ' ' <"$tmp/loaded"))" \
    eval 'grep -q "^libcrypto\.so\.[0-9]* dlopen$" "$tmp/loaded"'
run_in <(echo '{}') "$tmp/hash"
expect "and hashes" \
    eval '[ "$rc" = 0 ] && [ "$out" = "{\"h\":\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\",\"b\":\"YWJj\"}" ]'
mkdir -p "$tmp/broken"
: >"$tmp/broken/libcrypto.so.3"
run_in <(echo '{}') env LD_LIBRARY_PATH="$tmp/broken" "$tmp/hash"
expect "without libcrypto it ends as the loader would, naming the library (status $rc)" \
    eval '[ "$rc" = 127 ] && grep -q "libcrypto.so.3 could not be loaded" "$tmp/err"'
rm "$tmp/broken/libcrypto.so.3"
expect "a program that hashes is not linked statically ($(interp "$tmp/hash") interpreter)" \
    eval '[ "$(interp "$tmp/hash")" = 1 ]'
if [ "$static" = yes ]; then
    # Were a static program to need a library anyway, dlopen refuses
    # (runtime/dynlib.c): the hashing program, linked as aslc build links
    # a static one, ends as with a missing library, saying why.
    run "$aslc" emit "$tmp/hash.asl.json" --main -o "$tmp/hash-static.c"
    statics=$(sed -n 's/^#define ASLC_STATIC_LIBS "\(.*\)"$/\1/p' "$top_builddir/config.h")
    run ${CC:-cc} -O1 -I"$ASLC_INCLUDE_DIR" -fno-pie -no-pie -static -Wl,--wrap=dlopen \
        "$tmp/hash-static.c" -o "$tmp/hash-static" "$ASLC_LIB_DIR/libaslrt.a" $statics -lpthread -lm
    expect "the hashing program links statically by hand" [ "$rc" = 0 ]
    run_in <(echo '{}') "$tmp/hash-static"
    expect "there it cannot open libcrypto, and says why (status $rc)" \
        eval '[ "$rc" = 127 ] && grep -q "libcrypto.so.3 cannot be loaded by this program, which is linked statically" "$tmp/err"'
fi
readelf -d "$aslc" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' >"$tmp/needed"
expect "aslc does not need libcrypto at start ($(tr '\n' ' ' <"$tmp/needed"))" \
    eval '! grep -q "^libcrypto" "$tmp/needed"'

if [ "$have_curl" = yes ]; then
    # An AWS SDK call over the query protocol (SNS): libxml2 and libcurl are
    # opened when the Task runs.  The endpoint is a closed port.
    closed=$("$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    echo '{"StartAt":"L","States":{"L":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sns:listTopics","End":true}}}' \
        >"$tmp/sns.asl.json"
    run "$aslc" build "$tmp/sns.asl.json" -o "$tmp/sns"
    expect "aslc build of an SNS Task" [ "$rc" = 0 ]
    awsenv=(env -i PATH=/usr/bin:/bin AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=secret
            AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
            AWS_ENDPOINT_URL=http://127.0.0.1:$closed)
    loaded "${awsenv[@]}" LD_DEBUG=files "$tmp/sns" >"$tmp/loaded"
    expect "the SNS Task opens libcurl and libxml2 when it runs" \
        eval 'grep -q "^libcurl\.so\.[0-9]* dlopen$" "$tmp/loaded" && grep -q "^libxml2\.so\.[0-9]* dlopen$" "$tmp/loaded"'
    readelf -d "$tmp/sns" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' >"$tmp/needed"
    expect "the SNS program does not need them at start" \
        eval '! grep -Eq "^lib(curl|xml2)" "$tmp/needed"'
    run_in <(echo '{}') "${awsenv[@]}" "$tmp/sns"
    expect "a closed endpoint is a failed call, not a missing library" \
        eval '[ "$rc" = 1 ] && ! grep -q MissingLibrary "$tmp/out" "$tmp/err"'

    # The libraries cannot be opened: an empty file stands for each.
    for lib in libcurl.so.4 libxml2.so.2; do
        : >"$tmp/broken/$lib"
        run_in <(echo '{}') "${awsenv[@]}" LD_LIBRARY_PATH="$tmp/broken" "$tmp/sns"
        expect "without $lib the Task fails with aslc.MissingLibrary naming it" \
            eval '[ "$rc" = 1 ] && grep -q "aslc.MissingLibrary" "$tmp/out" "$tmp/err" &&
                  grep -q "$lib could not be loaded" "$tmp/out" "$tmp/err"'
        rm "$tmp/broken/$lib"
    done
    : >"$tmp/broken/libxml2.so.2"
    # A catcher takes it like any other error.
    cat >"$tmp/caught.asl.json" <<'EOF'
{"StartAt":"L","States":{"L":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sns:listTopics",
 "Catch":[{"ErrorEquals":["aslc.MissingLibrary"],"ResultPath":"$.e","Next":"Caught"}],"End":true},
 "Caught":{"Type":"Pass","OutputPath":"$.e.Error","End":true}}}
EOF
    run "$aslc" build "$tmp/caught.asl.json" -o "$tmp/caught"
    run_in <(echo '{}') "${awsenv[@]}" LD_LIBRARY_PATH="$tmp/broken" "$tmp/caught"
    expect "a catcher takes aslc.MissingLibrary" \
        eval '[ "$rc" = 0 ] && [ "$out" = "\"aslc.MissingLibrary\"" ]'
    rm "$tmp/broken/libxml2.so.2"

    # An http binding needs libcurl when the bindings are read.
    : >"$tmp/broken/libcurl.so.4"
    echo "{\"arn:aws:lambda:*\": {\"http\": \"http://127.0.0.1:$closed\", \"sign\": false}}" \
        >"$tmp/bindings.json"
    run_in <(echo '{}') env LD_LIBRARY_PATH="$tmp/broken" "$tmp/pass-pie" --bindings "$tmp/bindings.json"
    expect "an http binding without libcurl is refused, naming libcurl.so.4" \
        eval '[ "$rc" = 2 ] && grep -q "libcurl.so.4 could not be loaded" "$tmp/err"'
    if [ "$static" = yes ]; then
        run_in <(echo '{}') "$tmp/pass" --bindings "$tmp/bindings.json"
        expect "so is one given to a static program, which says why" \
            eval '[ "$rc" = 2 ] && grep -q "libcurl.so.4 cannot be loaded by this program, which is linked statically" "$tmp/err"'
    fi
fi

finish

#!/bin/bash
# run-examples.sh - the examples under examples/ do what their READMEs say.
#
#  - order-processing (the tutorial's workflows, Python handlers), with
#    `aslc run` and with `aslc build` + the binary: output as AWS gives it,
#    and a ValueError for an order_id that ValidateLambda refuses;
#  - embed: `aslc emit` + a C program that binds tasks to C functions,
#    built by its Makefile against the build tree;
#  - two-workflows: two `aslc emit --prefix` files in one C program (its
#    Makefile), the first workflow's output fed to the second, output as its
#    README shows.
# The Python parts need python3; without it this test is skipped (77)
# once the rest has passed.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/cli/lib.sh"

# The C examples build with their own Makefiles, as their READMEs say
# (`make`), here against the uninstalled aslc and libaslrt.a, each in a copy
# of its folder.
# shellcheck disable=SC2046,SC2086  # word lists
aslrt_libs="$ASLC_LIB_DIR/libaslrt.a $(pkg-config --libs jansson libcrypto libpcre2-8 libxml-2.0) $(pkg-config --libs libcurl 2>/dev/null) -lpthread -lm"
aslrt_cflags="-I$ASLC_INCLUDE_DIR $(pkg-config --cflags jansson)"
# make_example NAME: copies examples/NAME to $tmp/NAME and runs make there.
make_example() {
    cp -r "$top_srcdir/examples/$1" "$tmp/$1" && chmod -R u+w "$tmp/$1" &&
        run make -C "$tmp/$1" ASLC="$aslc" CC="${CC:-cc}" CFLAGS="-Wall -Wextra $sanitize_flags" \
            ASLRT_CFLAGS="$aslrt_cflags" ASLRT_LIBS="$aslrt_libs"
}

# ---- embed ----------------------------------------------------------------
embed=$top_srcdir/examples/embed
make_example embed
expect "embed: make builds it (aslc emit --prefix greeting, then cc)" \
    eval '[ "$rc" = 0 ] && [ -s "$tmp/embed/greeting.c" ] && [ -x "$tmp/embed/embed" ]'

run "$tmp/embed/embed"
{
    printf '%s\n' '{"name":"Ada","excited":true,"salutation":"Hello","greeting":"HELLO, ADA!"}'
    printf '%s\n' '{"name":"Grace","excited":false,"salutation":"Hello","greeting":"Hello, Grace!"}'
} >"$tmp/embed.expected"
embed_output_ok() {
    local got want i
    [ "$rc" = 0 ] && [ "$(wc -l <"$tmp/out")" -eq 2 ] || return 1
    for i in 1 2; do
        got=$(sed -n "${i}p" "$tmp/out")
        want=$(sed -n "${i}p" "$tmp/embed.expected")
        [ "$got" = "$want" ] || json_same "$got" "$want" || return 1
    done
}
expect "embed: prints the two outputs of its README" embed_output_ok
run make -C "$tmp/embed" clean
expect "embed: make clean removes what make made" \
    eval '[ "$rc" = 0 ] && [ ! -e "$tmp/embed/embed" ] && [ ! -e "$tmp/embed/greeting.c" ]'

# ---- two-workflows --------------------------------------------------------
two=$top_srcdir/examples/two-workflows
make_example two-workflows
expect "two-workflows: make builds it (two aslc emit --prefix, one program)" \
    eval '[ "$rc" = 0 ] && [ -s "$tmp/two-workflows/quote.c" ] && [ -s "$tmp/two-workflows/ship.c" ] &&
          [ -x "$tmp/two-workflows/two_workflows" ]'

# The README shows the output: the block after "`./two_workflows` prints".
awk '/`\.\/two_workflows` prints/ { found = 1; next }
     found && /^```/ { if (inside) exit; inside = 1; next }
     inside' "$two/README.md" >"$tmp/two.expected"
run "$tmp/two-workflows/two_workflows"
expect "two-workflows: prints what its README shows (quote fed to ship, a failed quote)" \
    eval '[ "$rc" = 0 ] && [ -s "$tmp/two.expected" ] && cmp -s "$tmp/out" "$tmp/two.expected"'

# ---- order-processing -----------------------------------------------------
if [ "$have_python" != yes ]; then
    printf 'SKIP: order-processing: %s not found\n' "$PYTHON3"
    printf '%s passed, %s failed\n' "$npass" "$nfail"
    [ "$nfail" -eq 0 ] && exit 77
    exit 1
fi

ex=$top_srcdir/examples/order-processing
expected=$(cat "$ex/expected-output.json")
for def in state-machine.json state-machine-v2.json; do
    run "$aslc" run "$ex/$def" --bindings "$ex/bindings.json" --input-file "$ex/input.json"
    expect "order-processing: aslc run $def" \
        eval '[ "$rc" = 0 ] && output_is "$expected"'

    bin=$tmp/${def%.json}
    run "$aslc" build "$ex/$def" -o "$bin"
    expect "order-processing: aslc build $def" eval '[ "$rc" = 0 ] && [ -x "$bin" ]'
    if [ -x "$bin" ]; then
        run "$bin" --bindings "$ex/bindings.json" --input-file "$ex/input.json"
        expect "order-processing: the binary built from $def" \
            eval '[ "$rc" = 0 ] && output_is "$expected"'
    fi
done

# ValidateLambda raises ValueError: the execution fails as on AWS, with the
# exception's type as Error and the Lambda error payload as Cause.
bad='{"order_id": "12345"}'
run "$aslc" run "$ex/state-machine-v2.json" --bindings "$ex/bindings.json" --input "$bad"
expect "order-processing: a bad order_id fails with ValueError (aslc run)" \
    eval '[ "$rc" = 1 ] && error_is ValueError && json_field "$out" Cause | grep -q "ORD-"'
if [ -x "$tmp/state-machine-v2" ]; then
    run "$tmp/state-machine-v2" --bindings "$ex/bindings.json" --input "$bad"
    expect "order-processing: a bad order_id fails with ValueError (binary)" \
        eval '[ "$rc" = 1 ] && error_is ValueError'
fi

finish

#!/bin/bash
# run-examples.sh - the examples under examples/ do what their READMEs say.
#
#  - order-processing (the tutorial's workflows, Python handlers), with
#    `aslc run` and with `aslc build` + the binary: output as AWS gives it,
#    and a ValueError for an order_id that ValidateLambda refuses;
#  - embed: `aslc emit` + a C program that binds tasks to C functions,
#    built from the build tree;
#  - two-workflows: two `aslc emit --prefix` files in one C program, the
#    first workflow's output fed to the second, output as its README shows.
# The Python parts need python3; without it this test is skipped (77)
# once the rest has passed.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/cli/lib.sh"

# ---- embed ----------------------------------------------------------------
embed=$top_srcdir/examples/embed
run "$aslc" emit "$embed/workflow.asl.json" --prefix greeting -o "$tmp/greeting.c"
expect "embed: aslc emit --prefix greeting" eval '[ "$rc" = 0 ] && [ -s "$tmp/greeting.c" ]'

# shellcheck disable=SC2046,SC2086  # word lists
run "${CC:-cc}" -std=c11 $sanitize_flags -I"$ASLC_INCLUDE_DIR" -o "$tmp/embed" \
    "$embed/embed.c" "$tmp/greeting.c" "$ASLC_LIB_DIR/libaslrt.a" \
    $(pkg-config --cflags --libs jansson libcrypto libpcre2-8 libxml-2.0) $(pkg-config --libs libcurl 2>/dev/null) \
    -lpthread -lm
expect "embed: compiles against libaslrt.a" eval '[ "$rc" = 0 ] && [ -x "$tmp/embed" ]'

run "$tmp/embed"
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

# ---- two-workflows --------------------------------------------------------
two=$top_srcdir/examples/two-workflows
run "$aslc" emit "$two/quote.asl.json" --prefix quote -o "$tmp/quote.c"
expect "two-workflows: aslc emit --prefix quote" eval '[ "$rc" = 0 ] && [ -s "$tmp/quote.c" ]'
run "$aslc" emit "$two/ship.asl.json" --prefix ship -o "$tmp/ship.c"
expect "two-workflows: aslc emit --prefix ship" eval '[ "$rc" = 0 ] && [ -s "$tmp/ship.c" ]'

# shellcheck disable=SC2046,SC2086  # word lists
run "${CC:-cc}" -std=c11 -Wall -Wextra $sanitize_flags -I"$ASLC_INCLUDE_DIR" \
    -o "$tmp/two_workflows" "$two/two_workflows.c" "$tmp/quote.c" "$tmp/ship.c" \
    "$ASLC_LIB_DIR/libaslrt.a" $(pkg-config --cflags --libs jansson libcrypto libpcre2-8 libxml-2.0) \
    $(pkg-config --libs libcurl 2>/dev/null) -lpthread -lm
expect "two-workflows: both workflows link into one program" \
    eval '[ "$rc" = 0 ] && [ -x "$tmp/two_workflows" ]'

# The README shows the output: the block after "`./two_workflows` prints".
awk '/`\.\/two_workflows` prints/ { found = 1; next }
     found && /^```/ { if (inside) exit; inside = 1; next }
     inside' "$two/README.md" >"$tmp/two.expected"
run "$tmp/two_workflows"
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

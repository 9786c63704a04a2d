#!/bin/bash
# Golden tests of `aslc graph`: tests/graph/NAME.asl.json and the examples'
# definitions (as example-DIR-FILE) -> NAME.dot, NAME.mmd and NAME.ir in
# tests/graph/, exact.  Besides:
# - each DOT file is laid out by Graphviz (`dot -Tsvg`) where it is installed;
# - each DOT and Mermaid file is checked statement by statement: with every
#   quoted string taken out, each line must be one of the few statements
#   aslc writes, so no state name can have ended its label (hostile-names);
# - with MERMAID_MODULES=DIR (a node_modules that holds mermaid and jsdom),
#   each Mermaid file also goes through Mermaid's own parser.
# UPDATE_GOLDEN=1 rewrites the expected files (review them in the diff).
set -u
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-$srcdir}
aslc=${ASLC:-$builddir/aslc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
cd "$srcdir/tests/graph" || exit 1

ok() { echo "PASS: $1"; pass=$((pass + 1)); }
bad() { echo "FAIL: $1"; fail=$((fail + 1)); }

# Statements, once quoted strings are replaced by Q (an identifier is ours:
# s3, s3_join, n_start, c_g1...).
id='[a-z][a-z0-9_]*'
attr="[a-z]+=([a-z0-9.]+|Q)"
dot_re="^(digraph Q \{|(graph|node|edge) \[$attr(, $attr)*\];|$id \[$attr(, $attr)*\];"
dot_re+="|subgraph cluster_$id \{|label=Q; style=[a-z]+;|\}|$id -> $id( \[$attr(, $attr)*\])?;)$"
mmd_re="^(flowchart TD|classDef [a-z]+ [a-z]+:#[0-9a-f]+(,[a-z]+:#[0-9a-f]+)*"
mmd_re+="|$id(\(\(|\(\[|\[\[|\{\{|\[|\(|\{)Q(\)\)|\]\)|\]\]|\}\}|\]|\)|\})(:::[a-z]+)?"
mmd_re+="|subgraph c_$id \[Q\]|end|$id (-->|-\.->)(\|Q\|)? $id)$"

# statements FILE REGEX: prints the lines of FILE that are not statements.
statements() {
    sed -E -e 's/^ +//' -e 's/"([^"\\]|\\.)*"/Q/g' "$1" | grep -Env -- "$2"
}

defs=(*.asl.json)
for ex in "$srcdir"/examples/*/*.json; do
    grep -q '"StartAt"' "$ex" && defs+=("$ex")
done

have_dot=no
command -v dot >/dev/null 2>&1 && have_dot=yes
[ "$have_dot" = yes ] || echo "note: Graphviz is not installed; DOT files are not laid out"

for def in "${defs[@]}"; do
    case $def in
    /*) rel=${def#"$srcdir"/examples/}; name=example-${rel//\//-}; name=${name%.json}; name=${name%.asl} ;;
    *) name=${def%.asl.json} ;;
    esac
    for fmt in dot mermaid ir; do
        ext=$fmt; [ "$fmt" = mermaid ] && ext=mmd
        got=$tmp/$name.$ext
        if ! "$aslc" graph "$def" --format=$fmt -o "$got" 2>"$tmp/err"; then
            bad "$name.$ext: aslc graph failed"; cat "$tmp/err"; continue
        fi
        if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then cp "$got" "$name.$ext"; fi
        if ! diff -u "$name.$ext" "$got"; then
            bad "$name.$ext: differs"; continue
        fi
        case $fmt in
        dot)
            if statements "$got" "$dot_re" >"$tmp/bad"; then
                bad "$name.dot: lines that are not DOT statements of aslc"; cat "$tmp/bad"; continue
            fi
            if [ "$have_dot" = yes ] && ! dot -Tsvg "$got" -o "$tmp/$name.svg" 2>"$tmp/err"; then
                bad "$name.dot: Graphviz rejects it"; cat "$tmp/err"; continue
            fi ;;
        mermaid)
            if statements "$got" "$mmd_re" >"$tmp/bad"; then
                bad "$name.mmd: lines that are not Mermaid statements of aslc"; cat "$tmp/bad"; continue
            fi ;;
        esac
        ok "$name.$ext"
    done
done

# Mermaid's own parser, where it is at hand (not in CI: it comes from npm).
if [ -n "${MERMAID_MODULES:-}" ]; then
    if node "$srcdir/tests/graph/mermaid-parse.mjs" "$tmp"/*.mmd \
        >"$tmp/parse" 2>&1; then
        ok "Mermaid parses every .mmd ($(grep -c '^ok' "$tmp/parse") files)"
    else
        bad "Mermaid rejects a file"; cat "$tmp/parse"
    fi
fi

# The command line of graph.
"$aslc" graph features.asl.json --format=svg >/dev/null 2>"$tmp/err"
if [ $? = 2 ] && grep -q "unknown graph format 'svg'" "$tmp/err"; then
    ok "an unknown --format exits 2 and names it"
else
    bad "an unknown --format exits 2 and names it"
fi
printf '{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}' >"$tmp/broken.asl.json"
"$aslc" graph "$tmp/broken.asl.json" >"$tmp/out" 2>"$tmp/err"
if [ $? = 1 ] && [ ! -s "$tmp/out" ] && grep -q 'error: .*\[/States/A/Next\]' "$tmp/err"; then
    ok "an invalid definition is not drawn: its errors, exit 1"
else
    bad "an invalid definition is not drawn: its errors, exit 1"
fi
"$aslc" graph features.asl.json -o "$tmp/no-such-dir/x.dot" 2>"$tmp/err"
if [ $? = 2 ] && grep -q "cannot write" "$tmp/err"; then
    ok "an unwritable -o exits 2"
else
    bad "an unwritable -o exits 2"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

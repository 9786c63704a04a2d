#!/bin/bash
# run-completion.sh - the shell completion scripts (completion/): bash
# loads completion/aslc and completes commands, each command's options as
# aslc lists them (every option of `aslc run --help`, nothing of another
# command), the values of options with a fixed set, and definitions; zsh,
# when it is installed, loads completion/_aslc without an error.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/cli/lib.sh"

# complete WORD...: what _aslc offers for the last word, one per line, in
# $tmp/out (run in a fresh bash that loaded the script).
complete_words() {
    local words
    words=$(printf '%q ' "$@")
    bash --norc --noprofile -c '
        . "$1" || exit 3
        complete -p aslc >/dev/null || exit 4
        eval "COMP_WORDS=($2)"
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        _aslc
        printf "%s\n" "${COMPREPLY[@]}"' _ "$top_srcdir/completion/aslc" "$aslc $words" \
        >"$tmp/out" 2>"$tmp/err"
    rc=$?
}
offers() { grep -qx -- "$1" "$tmp/out"; }

run bash --norc --noprofile -c '. "$1" && complete -p aslc' _ "$top_srcdir/completion/aslc"
expect "bash loads the script and it completes aslc" \
    eval '[ "$rc" = 0 ] && grep -q "_aslc" "$tmp/out" && [ ! -s "$tmp/err" ]'

complete_words ch
expect "a command from its start" eval '[ "$rc" = 0 ] && offers check && [ "$(wc -l <"$tmp/out")" = 1 ]'
complete_words ""
expect "every command" eval 'offers run && offers serve && offers send-task-heartbeat && offers help'

# Every option that `aslc run --help` names, from the runtime's table.
complete_words run def.asl.json --
"$aslc" run --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u >"$tmp/run-options"
missing=$(comm -23 "$tmp/run-options" <(sort -u "$tmp/out"))
expect "run: every option of aslc run --help is offered" \
    eval '[ "$rc" = 0 ] && [ -s "$tmp/run-options" ] && [ -z "$missing" ]'
expect "run: the workflow's options are there (--bindings, --mock-config)" \
    eval 'offers --bindings && offers --mock-config && offers --wait'
expect "run: the override and context options are there (doc/behaviour.md §41)" \
    eval 'offers --override-task && offers --override-wait && offers --override-retry &&
          offers --context && offers --context-file && ! offers --override-'
complete_words check def.asl.json --
expect "check: its own options, not run's" eval 'offers --type && ! offers --bindings'
complete_words run def.asl.json --bindi
expect "an option from its start" eval '[ "$(cat "$tmp/out")" = --bindings ]'
complete_words run def.asl.json --type ""
expect "--type: STANDARD and EXPRESS" \
    eval 'offers STANDARD && offers EXPRESS && [ "$(wc -l <"$tmp/out")" = 2 ]'
complete_words graph def.asl.json --format ""
expect "--format: dot, mermaid, ir" eval 'offers dot && offers mermaid && offers ir'
complete_words te
expect "test: the command" eval '[ "$(cat "$tmp/out")" = test ]'
complete_words test mocks.json --
expect "test: its own options (aslc test --help), not run's" \
    eval 'offers --filter && offers --format && offers --state-machines && ! offers --mock-config'
complete_words test mocks.json --format ""
expect "test: --format is tap or junit" \
    eval 'offers tap && offers junit && [ "$(wc -l <"$tmp/out")" = 2 ]'
complete_words help r
expect "help: the commands" eval '[ "$(cat "$tmp/out")" = run ]'

mkdir -p "$tmp/defs/sub"
: >"$tmp/defs/order.asl.json"
: >"$tmp/defs/notes.txt"
complete_words check "$tmp/defs/"
expect "a definition: JSON files and folders, not other files" \
    eval 'offers "$tmp/defs/order.asl.json" && offers "$tmp/defs/sub" && ! offers "$tmp/defs/notes.txt"'

if command -v zsh >/dev/null 2>&1; then
    run zsh -f -c 'autoload -Uz compinit && compinit -u -D && fpath=("$1" $fpath) &&
        autoload -Uz _aslc && whence -w _aslc' _ "$top_srcdir/completion"
    expect "zsh loads _aslc" eval '[ "$rc" = 0 ] && grep -q "_aslc: function" "$tmp/out"'
else
    echo "zsh not installed: its completion is not loaded here"
fi

finish

#!/bin/sh
# aslc-bench-inc: event {"i": N} -> {"i": N+1}.
# The event is read from stdin (aslc "program" handlers) or from the first
# argument (local-sfn -t overrides). Plain POSIX sh, no jq: the integer after
# the key "i" is taken from the JSON text.
if [ $# -gt 0 ]; then
    ev=$1
else
    ev=
    while IFS= read -r _l || [ -n "$_l" ]; do ev="$ev$_l"; done
fi
case $ev in
*'"i"'*) ;;
*) echo '{"errorType":"BadEvent","errorMessage":"no key i in the event"}'; exit 1 ;;
esac
i=${ev#*\"i\"}
i=${i#*:}
i=${i%%[,\}]*}
echo "{\"i\":$((i + 1))}"

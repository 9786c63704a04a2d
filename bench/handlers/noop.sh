#!/bin/sh
# aslc-bench-noop: returns {} whatever the event.
# aslc "program" handlers get the event as JSON on stdin; local-sfn's -t overrides
# get it as the first argument. Both work: with no argument, stdin is read (and dropped).
if [ $# -eq 0 ]; then
    while IFS= read -r _l || [ -n "$_l" ]; do :; done
fi
echo '{}'

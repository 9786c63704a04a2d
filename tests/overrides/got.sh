#!/bin/sh
# An --override-task program: its input on stdin, its result on stdout.
printf '{"got": '
cat
printf '}\n'

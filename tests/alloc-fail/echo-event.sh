#!/bin/sh
# A task handler program: wraps the event it reads on stdin.
printf '{"handled": '
cat
printf '}\n'
